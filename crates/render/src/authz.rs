//! `authz` output: linkerd's `viz authz` table (`cli/table`, sorted by SERVER, ROUTE,
//! AUTHORIZATION) and its JSON (`MarshalIndent` of maps: keys sorted, the table's cells parsed
//! back into numbers, `-` cells left out), plus lviz's `-o wide` (ALLOWED and DENIED counts),
//! `--sort-by`, `--no-headers` and colors.
//!
//! Differences, deliberate: linkerd's JSON is not sorted (map order) and has no trailing
//! newline; lviz sorts it like the table and ends it with one. Linkerd shows numbers for a row
//! when `success + success + denied > 0` (sic); lviz uses `success + failure + denied`. Pure;
//! no I/O.

use lviz_api::AuthzRow;

use crate::clitable;
use crate::gojson::{GoJson, marshal_indent_line};
use crate::metrics::{MetricLine, RowMetrics};
use crate::numbers::{go_fixed, percent_cell, request_rate, rps_cell, success_rate};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::stat_inbound::{RouteStatsView, left, right};
use crate::style::Palette;
use crate::{OutputFormat, Rendered};

/// One displayed row: its text cells and, with traffic, its numbers.
struct AuthzLine<'a> {
    row: &'a AuthzRow,
    route: String,
    server: String,
    authorization: String,
    metrics: Option<RowMetrics>,
}

fn line<'a>(r: &'a AuthzRow, window: &str) -> Option<AuthzLine<'a>> {
    let srv = &r.srv_stats.srv;
    let server = if srv.kind == "default" { format!("{}:{}", srv.kind, srv.name) } else { srv.name.clone() };
    let authz = &r.srv_stats.authz;
    let authorization = if authz.kind.is_empty() { String::new() } else { format!("{}/{}", authz.kind, authz.name) };
    let s = &r.stats;
    let denied = r.srv_stats.denied_count;
    let traffic = s.success_count.saturating_add(s.failure_count).saturating_add(denied) > 0;
    // Without traffic, the default and the unauthorized (no authorization) rows are skipped.
    if !traffic && (authz.kind.is_empty() || authz.kind == "default") {
        return None;
    }
    let metrics = traffic.then(|| RowMetrics {
        success: success_rate(s.success_count, s.failure_count),
        rps: request_rate(s.success_count, s.failure_count, window),
        p50: s.latency_ms_p50,
        p95: s.latency_ms_p95,
        p99: s.latency_ms_p99,
        unauthorized: Some(request_rate(denied, 0, window)),
        ..RowMetrics::default()
    });
    Some(AuthzLine { row: r, route: r.srv_stats.route.name.clone(), server, authorization, metrics })
}

fn lines<'a>(rows: &'a [AuthzRow], view: &RouteStatsView) -> Vec<AuthzLine<'a>> {
    let mut out: Vec<AuthzLine> = rows.iter().filter_map(|r| line(r, &view.window)).collect();
    // linkerd's table sort (SERVER, ROUTE, AUTHORIZATION), then every other cell for the ties.
    out.sort_by_cached_key(|l| (l.server.clone(), l.route.clone(), l.authorization.clone(), cells(l, view, false)));
    if let Some(sort) = view.sort {
        out.sort_by(|a, b| compare(sort, a, b));
    }
    out
}

fn compare(sort: SortBy, a: &AuthzLine, b: &AuthzLine) -> std::cmp::Ordering {
    let desc = sort.descending;
    let by = |f: fn(&RowMetrics) -> f64| cmp_values(a.metrics.as_ref().map(f), b.metrics.as_ref().map(f), desc);
    match sort.column {
        SortColumn::Route => cmp_text(&a.route, &b.route, desc),
        SortColumn::Server => cmp_text(&a.server, &b.server, desc),
        SortColumn::Authorization => cmp_text(&a.authorization, &b.authorization, desc),
        SortColumn::Unauthorized => by(|m| m.unauthorized.unwrap_or(0.0)),
        SortColumn::Success => by(|m| m.success),
        SortColumn::Rps => by(|m| m.rps),
        SortColumn::P50 => by(|m| m.p50 as f64),
        SortColumn::P95 => by(|m| m.p95 as f64),
        SortColumn::P99 => by(|m| m.p99 as f64),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The number cells of a row (`-` without traffic), colored when asked.
fn cells(l: &AuthzLine, view: &RouteStatsView, color: bool) -> Vec<String> {
    let palette = Palette { on: color };
    let mut c = match &l.metrics {
        Some(m) => vec![
            rps_cell(m.unauthorized.unwrap_or(0.0)),
            palette.success(percent_cell(m.success), m.success),
            rps_cell(m.rps),
            palette.latency(format!("{}ms", m.p50), m.p50),
            palette.latency(format!("{}ms", m.p95), m.p95),
            palette.latency(format!("{}ms", m.p99), m.p99),
        ],
        None => vec!["-".to_string(); 6],
    };
    if view.output == OutputFormat::Wide {
        c.extend([l.row.srv_stats.allowed_count, l.row.srv_stats.denied_count].map(|n| n.to_string()));
    }
    c
}

pub fn render_authz(rows: &[AuthzRow], view: &RouteStatsView) -> Rendered {
    let lines = lines(rows, view);
    let stdout = match view.output {
        OutputFormat::Json => authz_json(&lines, view),
        OutputFormat::Table | OutputFormat::Wide => {
            let mut columns = vec![left("ROUTE"), left("SERVER"), left("AUTHORIZATION")];
            columns.extend(["UNAUTHORIZED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"].map(right));
            if view.output == OutputFormat::Wide {
                columns.extend([right("ALLOWED"), right("DENIED")]);
            }
            let table: Vec<Vec<String>> = lines
                .iter()
                .map(|l| {
                    let mut c = vec![l.route.clone(), l.server.clone(), l.authorization.clone()];
                    c.extend(cells(l, view, view.color));
                    c
                })
                .collect();
            clitable::render(&columns, &table, !view.no_headers)
        }
    };
    Rendered { stdout, stderr: String::new() }
}

/// linkerd's `renderJSON`: per row a map from the lower-cased header to the cell, numbers parsed
/// back from their text (`%frps` and `%f%%` into float32, `%dms` into an integer), `-` cells
/// left out; Go sorts map keys.
fn authz_json(lines: &[AuthzLine], view: &RouteStatsView) -> String {
    let entries = lines
        .iter()
        .map(|l| {
            let mut fields: Vec<(&str, GoJson)> = vec![
                ("authorization", GoJson::str(&l.authorization)),
                ("route", GoJson::str(&l.route)),
                ("server", GoJson::str(&l.server)),
            ];
            if let Some(m) = &l.metrics {
                let parsed_rps = |rate: f64| GoJson::Float32(go_fixed(rate, 1).parse::<f32>().unwrap_or(0.0));
                let percent = go_fixed(m.success * 100.0, 2).parse::<f32>().unwrap_or(0.0);
                fields.extend([
                    ("latency_ms_p50", GoJson::Uint(m.p50)),
                    ("latency_ms_p95", GoJson::Uint(m.p95)),
                    ("latency_ms_p99", GoJson::Uint(m.p99)),
                    ("rps", parsed_rps(m.rps)),
                    ("success", GoJson::Float32(percent / 100.0)),
                    ("unauthorized", parsed_rps(m.unauthorized.unwrap_or(0.0))),
                ]);
            }
            if view.output == OutputFormat::Wide {
                fields.push(("allowed", GoJson::Uint(l.row.srv_stats.allowed_count)));
                fields.push(("denied", GoJson::Uint(l.row.srv_stats.denied_count)));
            }
            fields.sort_by(|a, b| a.0.cmp(b.0));
            GoJson::object(fields)
        })
        .collect();
    marshal_indent_line(&GoJson::Array(entries))
}

/// The rows as displayed, with their numbers (for `--fail-if`).
pub fn authz_lines(rows: &[AuthzRow], view: &RouteStatsView) -> Vec<MetricLine> {
    lines(rows, view)
        .into_iter()
        .map(|l| {
            let authz = if l.authorization.is_empty() { "no authorization".to_string() } else { l.authorization };
            MetricLine { subject: format!("route {} of server {} ({authz})", l.route, l.server), metrics: l.metrics }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::assert_same;
    use lviz_api::{BasicStats, Resource, ResourceKind, ServerStats};

    fn res(kind: &str, name: &str) -> Resource {
        Resource { namespace: String::new(), kind: kind.into(), name: name.into() }
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        route: &str,
        srv: (&str, &str),
        authz: (&str, &str),
        s: u64,
        f: u64,
        lat: [u64; 3],
        allowed: u64,
        denied: u64,
    ) -> AuthzRow {
        AuthzRow {
            resource: res("deployment", ""),
            time_window: "1m".into(),
            stats: BasicStats {
                success_count: s,
                failure_count: f,
                latency_ms_p50: lat[0],
                latency_ms_p95: lat[1],
                latency_ms_p99: lat[2],
                ..BasicStats::default()
            },
            srv_stats: ServerStats {
                allowed_count: allowed,
                denied_count: denied,
                srv: res(srv.0, srv.1),
                route: res(if route == "default" { "default" } else { "HTTPRoute" }, route),
                authz: res(authz.0, authz.1),
            },
        }
    }

    /// The README's `authz deploy -n emojivoto` rows, out of order, plus rows without traffic.
    fn emojivoto() -> Vec<AuthzRow> {
        vec![
            row(
                "voting-api",
                ("server", "voting-grpc"),
                ("authorizationpolicy", "voting-allow-web"),
                48,
                12,
                [15, 75, 95],
                60,
                0,
            ),
            row("voting-api", ("server", "voting-grpc"), ("", ""), 0, 0, [0, 0, 0], 0, 6),
            row(
                "default",
                ("default", "all-unauthenticated"),
                ("default", "all-unauthenticated"),
                288,
                12,
                [9, 29, 45],
                300,
                0,
            ),
            row("idle", ("server", "voting-grpc"), ("default", "all-unauthenticated"), 0, 0, [0, 0, 0], 0, 0),
        ]
    }

    fn view(output: OutputFormat) -> RouteStatsView {
        RouteStatsView {
            output,
            kind: ResourceKind::Deployment,
            window: "1m".into(),
            all_namespaces: false,
            sort: None,
            no_headers: false,
            color: false,
        }
    }

    #[test]
    fn table_is_linkerds() {
        let want = "\
ROUTE       SERVER                       AUTHORIZATION                         UNAUTHORIZED  SUCCESS     RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  
default     default:all-unauthenticated  default/all-unauthenticated                 0.0rps   96.00%  5.0rps          9ms         29ms         45ms  
voting-api  voting-grpc                                                              0.1rps    0.00%  0.0rps          0ms          0ms          0ms  
voting-api  voting-grpc                  authorizationpolicy/voting-allow-web        0.0rps   80.00%  1.0rps         15ms         75ms         95ms  
";
        assert_same("authz table", want, &render_authz(&emojivoto(), &view(OutputFormat::Table)).stdout);
    }

    #[test]
    fn json_is_linkerds_plus_a_newline() {
        let json = render_authz(&emojivoto()[..1], &view(OutputFormat::Json)).stdout;
        let want = "[\n  {\n    \"authorization\": \"authorizationpolicy/voting-allow-web\",\n    \"latency_ms_p50\": 15,\n    \"latency_ms_p95\": 75,\n    \"latency_ms_p99\": 95,\n    \"route\": \"voting-api\",\n    \"rps\": 1,\n    \"server\": \"voting-grpc\",\n    \"success\": 0.8,\n    \"unauthorized\": 0\n  }\n]\n";
        assert_same("authz json", want, &json);
        let mut quiet = emojivoto()[3].clone();
        quiet.srv_stats.authz = res("authorizationpolicy", "p");
        let json = render_authz(&[quiet], &view(OutputFormat::Json)).stdout;
        assert_eq!(
            json,
            "[\n  {\n    \"authorization\": \"authorizationpolicy/p\",\n    \"route\": \"idle\",\n    \"server\": \"voting-grpc\"\n  }\n]\n",
            "`-` cells are left out"
        );
        assert_eq!(render_authz(&[], &view(OutputFormat::Json)).stdout, "[]\n");
    }

    #[test]
    fn float32_numbers_in_json() {
        let r = row("r", ("server", "s"), ("authorizationpolicy", "a"), 168, 12, [16, 35, 47], 180, 0);
        let json = render_authz(&[r], &view(OutputFormat::Json)).stdout;
        assert!(json.contains("\"success\": 0.9333,"), "float32(93.33)/100: {json}");
        assert!(json.contains("\"rps\": 3,"), "{json}");
    }

    #[test]
    fn wide_and_lines() {
        let out = render_authz(&emojivoto()[..1], &view(OutputFormat::Wide)).stdout;
        assert!(out.starts_with("ROUTE       SERVER       AUTHORIZATION                         UNAUTHORIZED  SUCCESS     RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  ALLOWED  DENIED  \n"), "{out}");
        assert!(out.ends_with("95ms       60       0  \n"), "{out}");
        let lines = authz_lines(&emojivoto(), &view(OutputFormat::Table));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].subject, "route voting-api of server voting-grpc (no authorization)");
        assert_eq!(lines[1].metrics.and_then(|m| m.unauthorized), Some(0.1));
    }
}

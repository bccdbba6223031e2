//! `stat-outbound` output: linkerd's `renderStatOutboundTable` (route rows, each followed by
//! its backends drawn as a tree, `├─ … ─►` and `└` on the last) and `renderStatOutboundJSON`
//! (compact; route rows carry `retryRate`, backend rows `backend` and `backendPort`), byte for
//! byte, plus lviz's `-A`, `-o wide`, `--sort-by`, `--no-headers` and colors.
//!
//! Differences, deliberate: linkerd prints rows in Go map order (random); lviz sorts routes by
//! namespace, NAME, SERVICE, ROUTE, TYPE and backends by BACKEND. Linkerd's table also prints
//! backends that had no request in the window (`NaN%` cells) while its JSON skips them; lviz
//! leaves them out of both. Pure; no I/O.

use lviz_api::{OutboundBackend, OutboundRoute, OutboundStats};

use crate::clitable;
use crate::gojson::{GoJson, compact_json, marshal_indent_line};
use crate::metrics::{MetricLine, RowMetrics};
use crate::numbers::{latency_ms_cell, percent32_cell, rate32_cell, request_rate};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::stat_inbound::{RouteStatsView, latency_ms, left, right, subject};
use crate::style::Palette;
use crate::{OutputFormat, Rendered};

fn service_cell(r: &OutboundRoute) -> String {
    format!("{}:{}", r.service, r.port)
}

fn backend_cell(b: &OutboundBackend) -> String {
    format!("{}:{}", b.name, b.port)
}

fn fraction(part: u64, whole: u64) -> f64 {
    part as f64 / whole as f64
}

fn metrics(s: &OutboundStats, retries: Option<u64>, window: &str) -> RowMetrics {
    let total = s.requests();
    RowMetrics {
        success: fraction(s.success_count, total),
        rps: request_rate(s.success_count, s.failure_count, window),
        p50: latency_ms(s.latency_ms_p50),
        p95: latency_ms(s.latency_ms_p95),
        p99: latency_ms(s.latency_ms_p99),
        timeouts: Some(fraction(s.timeout_count, total)),
        retries: retries.map(|r| fraction(r, total.saturating_add(r))),
        ..RowMetrics::default()
    }
}

fn ordered<'a>(rows: &'a [OutboundRoute], view: &RouteStatsView) -> Vec<&'a OutboundRoute> {
    let mut sorted: Vec<&OutboundRoute> = rows.iter().collect();
    sorted.sort_by_cached_key(|r| {
        (r.namespace.clone(), r.name.clone(), service_cell(r), r.route.clone(), r.route_type.clone())
    });
    if let Some(sort) = view.sort {
        sorted.sort_by(|a, b| compare(sort, a, b, &view.window));
    }
    sorted
}

fn backends(r: &OutboundRoute) -> Vec<&OutboundBackend> {
    let mut out: Vec<&OutboundBackend> = r.backends.iter().filter(|b| b.stats.requests() > 0).collect();
    out.sort_by_cached_key(|b| backend_cell(b));
    out
}

fn compare(sort: SortBy, a: &OutboundRoute, b: &OutboundRoute, window: &str) -> std::cmp::Ordering {
    let desc = sort.descending;
    let (ma, mb) = (metrics(&a.stats, Some(a.retry_count), window), metrics(&b.stats, Some(b.retry_count), window));
    match sort.column {
        SortColumn::Name => cmp_text(&a.name, &b.name, desc),
        SortColumn::Namespace => cmp_text(&a.namespace, &b.namespace, desc),
        SortColumn::Service => cmp_text(&service_cell(a), &service_cell(b), desc),
        SortColumn::Route => cmp_text(&a.route, &b.route, desc),
        SortColumn::Type => cmp_text(&a.route_type, &b.route_type, desc),
        SortColumn::Success => cmp_values(Some(ma.success), Some(mb.success), desc),
        SortColumn::Rps => cmp_values(Some(ma.rps), Some(mb.rps), desc),
        SortColumn::P50 => cmp_values(a.stats.latency_ms_p50, b.stats.latency_ms_p50, desc),
        SortColumn::P95 => cmp_values(a.stats.latency_ms_p95, b.stats.latency_ms_p95, desc),
        SortColumn::P99 => cmp_values(a.stats.latency_ms_p99, b.stats.latency_ms_p99, desc),
        SortColumn::Timeouts => cmp_values(ma.timeouts, mb.timeouts, desc),
        SortColumn::Retries => cmp_values(ma.retries, mb.retries, desc),
        _ => std::cmp::Ordering::Equal,
    }
}

pub fn render_stat_outbound(rows: &[OutboundRoute], view: &RouteStatsView) -> Rendered {
    let rows = ordered(rows, view);
    let stdout = match view.output {
        OutputFormat::Json => outbound_json(&rows, view),
        OutputFormat::Table | OutputFormat::Wide => outbound_table(&rows, view),
    };
    Rendered { stdout, stderr: String::new() }
}

/// The number cells shared by route and backend rows: SUCCESS RPS P50 P95 P99 TIMEOUTS.
fn number_cells(s: &OutboundStats, view: &RouteStatsView, palette: Palette) -> Vec<String> {
    let total = s.requests();
    let m = metrics(s, None, &view.window);
    let mut c =
        vec![palette.success(percent32_cell(s.success_count, total), m.success), rate32_cell(total, &view.window)];
    for (ms, rounded) in [(s.latency_ms_p50, m.p50), (s.latency_ms_p95, m.p95), (s.latency_ms_p99, m.p99)] {
        let text = latency_ms_cell(ms);
        c.push(if ms.is_some() { palette.latency(text, rounded) } else { text });
    }
    c.push(percent32_cell(s.timeout_count, total));
    c
}

fn outbound_table(rows: &[&OutboundRoute], view: &RouteStatsView) -> String {
    let palette = Palette { on: view.color };
    let wide = view.output == OutputFormat::Wide;
    let mut columns = Vec::new();
    if view.all_namespaces {
        columns.push(left("NAMESPACE"));
    }
    columns.extend([left("NAME"), left("SERVICE"), left("ROUTE"), left("TYPE"), left("BACKEND")]);
    columns.extend(["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TIMEOUTS", "RETRIES"].map(right));
    if wide {
        columns.extend(["SUCCESSES", "FAILURES", "TIMED_OUT", "RETRIED"].map(right));
    }
    let lead = usize::from(view.all_namespaces);
    let mut cells: Vec<Vec<String>> = Vec::new();
    for r in rows {
        let s = &r.stats;
        let mut c = Vec::new();
        if view.all_namespaces {
            c.push(r.namespace.clone());
        }
        c.extend([r.name.clone(), service_cell(r), r.route.clone(), r.route_type.clone(), String::new()]);
        c.extend(number_cells(s, view, palette));
        c.push(percent32_cell(r.retry_count, s.requests().saturating_add(r.retry_count)));
        if wide {
            c.extend([s.success_count, s.failure_count, s.timeout_count, r.retry_count].map(|n| n.to_string()));
        }
        cells.push(c);
        for b in backends(r) {
            let mut c = vec![String::new(); lead];
            c.extend([String::new(), String::new(), "├─".to_string(), "─►".to_string(), backend_cell(b)]);
            c.extend(number_cells(&b.stats, view, palette));
            c.push(String::new());
            if wide {
                let s = &b.stats;
                c.extend([s.success_count.to_string(), s.failure_count.to_string(), s.timeout_count.to_string()]);
                c.push(String::new());
            }
            cells.push(c);
        }
        // The last row of the route's group: its first `├` becomes `└` (linkerd does this to the
        // route row itself when it has no backend, where it changes nothing).
        if let Some(last) = cells.last_mut() {
            last[lead + 2] = last[lead + 2].replacen('├', "└", 1);
        }
    }
    clitable::render(&columns, &cells, !view.no_headers)
}

fn outbound_json(rows: &[&OutboundRoute], view: &RouteStatsView) -> String {
    let mut entries = Vec::new();
    let head = |r: &OutboundRoute| {
        let mut fields = Vec::new();
        if view.all_namespaces {
            fields.push(("namespace", GoJson::str(&r.namespace)));
        }
        fields.extend([
            ("name", GoJson::str(&r.name)),
            ("service", GoJson::str(&r.service)),
            ("port", GoJson::str(&r.port)),
            ("route", GoJson::str(&r.route)),
            ("routeType", GoJson::str(&r.route_type)),
        ]);
        fields
    };
    let numbers = |fields: &mut Vec<(&'static str, GoJson)>, s: &OutboundStats| {
        let total = s.requests();
        fields.extend([
            ("successRate", GoJson::Float(fraction(s.success_count, total))),
            ("rps", GoJson::Float(request_rate(s.success_count, s.failure_count, &view.window))),
            ("latencyMsP50", GoJson::opt_float(s.latency_ms_p50)),
            ("latencyMsP95", GoJson::opt_float(s.latency_ms_p95)),
            ("latencyMsP99", GoJson::opt_float(s.latency_ms_p99)),
            ("timeoutRate", GoJson::Float(fraction(s.timeout_count, total))),
        ]);
    };
    for r in rows {
        let mut fields = head(r);
        numbers(&mut fields, &r.stats);
        let retries = fraction(r.retry_count, r.stats.requests().saturating_add(r.retry_count));
        fields.push(("retryRate", GoJson::Float(retries)));
        entries.push(GoJson::object(fields));
        for b in backends(r) {
            let mut fields = head(r);
            // `omitempty`: an empty backend name or port is left out.
            if !b.name.is_empty() {
                fields.push(("backend", GoJson::str(&b.name)));
            }
            if !b.port.is_empty() {
                fields.push(("backendPort", GoJson::str(&b.port)));
            }
            numbers(&mut fields, &b.stats);
            entries.push(GoJson::object(fields));
        }
    }
    compact_json(&marshal_indent_line(&GoJson::Array(entries)))
}

/// Route and backend rows as displayed, with their numbers (for `--fail-if`).
pub fn stat_outbound_lines(rows: &[OutboundRoute], view: &RouteStatsView) -> Vec<MetricLine> {
    let mut lines = Vec::new();
    for r in ordered(rows, view) {
        let route = format!("{}, route {} to {}", subject(view.kind, &r.namespace, &r.name), r.route, service_cell(r));
        lines.push(MetricLine {
            subject: route.clone(),
            metrics: Some(metrics(&r.stats, Some(r.retry_count), &view.window)),
        });
        for b in backends(r) {
            lines.push(MetricLine {
                subject: format!("{route}, backend {}", backend_cell(b)),
                metrics: Some(metrics(&b.stats, None, &view.window)),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::assert_same;
    use lviz_api::ResourceKind;

    fn stats(s: u64, f: u64, t: u64, lat: [Option<f64>; 3]) -> OutboundStats {
        OutboundStats {
            success_count: s,
            failure_count: f,
            timeout_count: t,
            latency_ms_p50: lat[0],
            latency_ms_p95: lat[1],
            latency_ms_p99: lat[2],
        }
    }

    fn backend(name: &str, stats: OutboundStats) -> OutboundBackend {
        OutboundBackend { name: name.into(), port: "8080".into(), stats }
    }

    #[allow(clippy::too_many_arguments)]
    fn route(
        ns: &str,
        name: &str,
        service: &str,
        route: &str,
        kind: &str,
        stats: OutboundStats,
        retries: u64,
        backends: Vec<OutboundBackend>,
    ) -> OutboundRoute {
        OutboundRoute {
            namespace: ns.into(),
            name: name.into(),
            service: service.into(),
            port: "8080".into(),
            route: route.into(),
            route_type: kind.into(),
            stats,
            retry_count: retries,
            backends,
        }
    }

    /// The README's `stat-outbound deploy -n emojivoto` rows, given out of order.
    fn emojivoto() -> Vec<OutboundRoute> {
        vec![
            route(
                "emojivoto",
                "web",
                "voting-svc",
                "voting-rpc",
                "GRPCRoute",
                stats(48, 12, 0, [Some(41.66666666666667), Some(749.9999999999998), Some(950.0)]),
                6,
                vec![backend(
                    "voting-svc",
                    stats(48, 18, 0, [Some(45.83333333333334), Some(208.7499999999999), Some(241.74999999999991)]),
                )],
            ),
            route(
                "emojivoto",
                "vote-bot",
                "web-svc-east",
                "web-multicluster",
                "HTTPRoute",
                stats(96, 24, 12, [Some(114.28571428571426), Some(7749.999999999997), Some(9549.999999999998)]),
                24,
                vec![
                    backend("web-svc-west", stats(0, 36, 36, [None, None, None])),
                    backend(
                        "web-svc-east",
                        stats(96, 12, 0, [Some(45.833333333333336), Some(275.0), Some(454.99999999999994)]),
                    ),
                    backend("idle", stats(0, 0, 0, [None, None, None])),
                ],
            ),
            route(
                "emojivoto",
                "web",
                "emoji-svc",
                "[default]",
                "",
                stats(120, 0, 0, [Some(29.411764705882355), Some(349.9999999999999), Some(470.0)]),
                0,
                vec![backend(
                    "emoji-svc",
                    stats(120, 0, 0, [Some(17.85714285714286), Some(74.99999999999999), Some(95.0)]),
                )],
            ),
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
NAME      SERVICE            ROUTE             TYPE       BACKEND            SUCCESS   RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  TIMEOUTS  RETRIES  
vote-bot  web-svc-east:8080  web-multicluster  HTTPRoute                      80.00%  2.00        114ms       7750ms       9550ms    10.00%   16.67%  
                             ├─────────────────────────►  web-svc-east:8080   88.89%  1.80         46ms        275ms        455ms     0.00%           
                             └─────────────────────────►  web-svc-west:8080    0.00%  0.60            -            -            -   100.00%           
web       emoji-svc:8080     [default]                                       100.00%  2.00         29ms        350ms        470ms     0.00%    0.00%  
                             └─────────────────────────►  emoji-svc:8080     100.00%  2.00         18ms         75ms         95ms     0.00%           
web       voting-svc:8080    voting-rpc        GRPCRoute                      80.00%  1.00         42ms        750ms        950ms     0.00%    9.09%  
                             └─────────────────────────►  voting-svc:8080     72.73%  1.10         46ms        209ms        242ms     0.00%           
";
        assert_same(
            "stat-outbound table",
            want,
            &render_stat_outbound(&emojivoto(), &view(OutputFormat::Table)).stdout,
        );
    }

    #[test]
    fn json_is_linkerds() {
        let json = render_stat_outbound(&emojivoto(), &view(OutputFormat::Json)).stdout;
        let want_start = concat!(
            r#"[{"name":"vote-bot","service":"web-svc-east","port":"8080","route":"web-multicluster","routeType":"HTTPRoute","successRate":0.8,"rps":2,"latencyMsP50":114.28571428571426,"latencyMsP95":7749.999999999997,"latencyMsP99":9549.999999999998,"timeoutRate":0.1,"retryRate":0.16666666666666666},"#,
            r#"{"name":"vote-bot","service":"web-svc-east","port":"8080","route":"web-multicluster","routeType":"HTTPRoute","backend":"web-svc-east","backendPort":"8080","successRate":0.8888888888888888,"rps":1.8,"latencyMsP50":45.833333333333336,"latencyMsP95":275,"latencyMsP99":454.99999999999994,"timeoutRate":0},"#,
            r#"{"name":"vote-bot","service":"web-svc-east","port":"8080","route":"web-multicluster","routeType":"HTTPRoute","backend":"web-svc-west","backendPort":"8080","successRate":0,"rps":0.6,"latencyMsP50":null,"latencyMsP95":null,"latencyMsP99":null,"timeoutRate":1},"#,
        );
        assert!(json.starts_with(want_start), "{json}");
        assert!(json.ends_with("\"timeoutRate\":0}]\n"), "{json}");
        assert_eq!(json.matches("retryRate").count(), 3, "route rows only");
        assert!(!json.contains("idle"), "backends without requests are left out");
    }

    #[test]
    fn wide_and_all_namespaces_and_lines() {
        let mut v = view(OutputFormat::Wide);
        v.all_namespaces = true;
        let rows = vec![emojivoto().remove(2)];
        let want = "\
NAMESPACE  NAME  SERVICE         ROUTE      TYPE  BACKEND         SUCCESS   RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  TIMEOUTS  RETRIES  SUCCESSES  FAILURES  TIMED_OUT  RETRIED  
emojivoto  web   emoji-svc:8080  [default]                        100.00%  2.00         29ms        350ms        470ms     0.00%    0.00%        120         0          0        0  
                                 └─────────────►  emoji-svc:8080  100.00%  2.00         18ms         75ms         95ms     0.00%                 120         0          0           
";
        assert_same("wide -A", want, &render_stat_outbound(&rows, &v).stdout);
        let lines = stat_outbound_lines(&emojivoto(), &view(OutputFormat::Table));
        assert_eq!(lines.len(), 7);
        assert_eq!(lines[0].subject, "deploy/vote-bot in emojivoto, route web-multicluster to web-svc-east:8080");
        let m = lines[0].metrics.expect("data");
        assert_eq!((m.timeouts, m.retries), (Some(0.1), Some(24.0 / 144.0)));
        assert_eq!(
            lines[2].subject,
            "deploy/vote-bot in emojivoto, route web-multicluster to web-svc-east:8080, backend web-svc-west:8080"
        );
        assert_eq!(lines[2].metrics.and_then(|m| m.retries), None);
    }
}

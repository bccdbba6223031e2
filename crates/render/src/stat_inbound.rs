//! `stat-inbound` output: linkerd's `renderStatInboundTable` (a `cli/table`, float32 numbers,
//! two spaces after every cell) and `renderStatInboundJson` (compact, `successesRate`), byte
//! for byte, plus lviz's additions (all off by default): `-A`'s NAMESPACE column and
//! `namespace` key, `-o wide`'s count columns, `--sort-by`, `--no-headers`, colors.
//!
//! Order: linkerd sorts the table by NAME, SERVER, TYPE with an unstable sort and never sorts
//! the JSON; lviz sorts both by namespace, NAME, SERVER, TYPE, then ROUTE, so every table it
//! prints is one linkerd can print. Pure; no I/O.

use lviz_api::{InboundRow, ResourceKind};

use crate::clitable::{self, Column};
use crate::gojson::{GoJson, compact_json, marshal_indent_line};
use crate::metrics::{MetricLine, RowMetrics};
use crate::numbers::{latency_ms_cell, percent32_cell, rate32_cell, request_rate};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::style::Palette;
use crate::{OutputFormat, Rendered};

/// How stat-inbound, stat-outbound and authz were asked to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteStatsView {
    pub output: OutputFormat,
    /// The kind asked for (names the rows of `--fail-if` messages).
    pub kind: ResourceKind,
    /// The window as sent: rates are counts over its seconds.
    pub window: String,
    /// `-A`: a NAMESPACE column and a `namespace` JSON key.
    pub all_namespaces: bool,
    pub sort: Option<SortBy>,
    pub no_headers: bool,
    pub color: bool,
}

/// A left-aligned, flexible `cli/table` column (`NewColumn(h).WithLeftAlign()`).
pub(crate) const fn left(header: &'static str) -> Column {
    Column { header, width: header.len(), flexible: true, left_align: true }
}

/// A right-aligned, flexible `cli/table` column (`NewColumn(h)`).
pub(crate) const fn right(header: &'static str) -> Column {
    Column { header, width: header.len(), flexible: true, left_align: false }
}

/// The latency a gate or a color reads: the rounded milliseconds, 0 for NaN.
pub(crate) fn latency_ms(ms: Option<f64>) -> u64 {
    ms.map_or(0, |v| v.round() as u64)
}

/// `deploy/web in emojivoto` (or `ns/emojivoto`), for `--fail-if` messages.
pub(crate) fn subject(kind: ResourceKind, namespace: &str, name: &str) -> String {
    let short = if kind.short().is_empty() { kind.canonical() } else { kind.short() };
    if namespace.is_empty() { format!("{short}/{name}") } else { format!("{short}/{name} in {namespace}") }
}

fn server_cell(r: &InboundRow) -> String {
    format!("{}:{}", r.server, r.port)
}

/// The rows in display order: lviz's default order, then `--sort-by` (stable).
fn ordered<'a>(rows: &'a [InboundRow], view: &RouteStatsView) -> Vec<&'a InboundRow> {
    let mut sorted: Vec<&InboundRow> = rows.iter().collect();
    sorted.sort_by_cached_key(|r| {
        (r.namespace.clone(), r.name.clone(), server_cell(r), r.route_type.clone(), r.route.clone())
    });
    if let Some(sort) = view.sort {
        sorted.sort_by(|a, b| compare(sort, a, b, &view.window));
    }
    sorted
}

fn compare(sort: SortBy, a: &InboundRow, b: &InboundRow, window: &str) -> std::cmp::Ordering {
    let desc = sort.descending;
    let m = |r: &InboundRow| metrics(r, window);
    match sort.column {
        SortColumn::Name => cmp_text(&a.name, &b.name, desc),
        SortColumn::Namespace => cmp_text(&a.namespace, &b.namespace, desc),
        SortColumn::Server => cmp_text(&server_cell(a), &server_cell(b), desc),
        SortColumn::Route => cmp_text(&a.route, &b.route, desc),
        SortColumn::Type => cmp_text(&a.route_type, &b.route_type, desc),
        SortColumn::Success => cmp_values(Some(m(a).success), Some(m(b).success), desc),
        SortColumn::Rps => cmp_values(Some(m(a).rps), Some(m(b).rps), desc),
        SortColumn::P50 => cmp_values(a.latency_ms_p50, b.latency_ms_p50, desc),
        SortColumn::P95 => cmp_values(a.latency_ms_p95, b.latency_ms_p95, desc),
        SortColumn::P99 => cmp_values(a.latency_ms_p99, b.latency_ms_p99, desc),
        _ => std::cmp::Ordering::Equal,
    }
}

fn metrics(r: &InboundRow, window: &str) -> RowMetrics {
    let total = r.success_count.saturating_add(r.failure_count);
    RowMetrics {
        success: r.success_count as f64 / total as f64,
        rps: request_rate(r.success_count, r.failure_count, window),
        p50: latency_ms(r.latency_ms_p50),
        p95: latency_ms(r.latency_ms_p95),
        p99: latency_ms(r.latency_ms_p99),
        ..RowMetrics::default()
    }
}

pub fn render_stat_inbound(rows: &[InboundRow], view: &RouteStatsView) -> Rendered {
    let rows = ordered(rows, view);
    match view.output {
        OutputFormat::Json => Rendered { stdout: inbound_json(&rows, view), stderr: String::new() },
        OutputFormat::Table | OutputFormat::Wide => {
            Rendered { stdout: inbound_table(&rows, view), stderr: String::new() }
        }
    }
}

fn inbound_table(rows: &[&InboundRow], view: &RouteStatsView) -> String {
    let palette = Palette { on: view.color };
    let wide = view.output == OutputFormat::Wide;
    let mut columns = Vec::new();
    if view.all_namespaces {
        columns.push(left("NAMESPACE"));
    }
    columns.extend([left("NAME"), left("SERVER"), left("ROUTE"), left("TYPE")]);
    columns.extend(["SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99"].map(right));
    if wide {
        columns.extend([right("SUCCESSES"), right("FAILURES")]);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let total = r.success_count.saturating_add(r.failure_count);
            let m = metrics(r, &view.window);
            let mut c = Vec::new();
            if view.all_namespaces {
                c.push(r.namespace.clone());
            }
            c.extend([r.name.clone(), server_cell(r), r.route.clone(), r.route_type.clone()]);
            c.push(palette.success(percent32_cell(r.success_count, total), m.success));
            c.push(rate32_cell(total, &view.window));
            for (ms, rounded) in [(r.latency_ms_p50, m.p50), (r.latency_ms_p95, m.p95), (r.latency_ms_p99, m.p99)] {
                let text = latency_ms_cell(ms);
                c.push(if ms.is_some() { palette.latency(text, rounded) } else { text });
            }
            if wide {
                c.extend([r.success_count.to_string(), r.failure_count.to_string()]);
            }
            c
        })
        .collect();
    clitable::render(&columns, &cells, !view.no_headers)
}

fn inbound_json(rows: &[&InboundRow], view: &RouteStatsView) -> String {
    let entries = rows
        .iter()
        .map(|r| {
            let mut fields = Vec::new();
            if view.all_namespaces {
                fields.push(("namespace", GoJson::str(&r.namespace)));
            }
            let total = r.success_count.saturating_add(r.failure_count);
            fields.extend([
                ("name", GoJson::str(&r.name)),
                ("server", GoJson::str(&r.server)),
                ("port", GoJson::str(&r.port)),
                ("route", GoJson::str(&r.route)),
                ("routeType", GoJson::str(&r.route_type)),
                ("successesRate", GoJson::Float(r.success_count as f64 / total as f64)),
                ("rps", GoJson::Float(request_rate(r.success_count, r.failure_count, &view.window))),
                ("latencyMsP50", GoJson::opt_float(r.latency_ms_p50)),
                ("latencyMsP95", GoJson::opt_float(r.latency_ms_p95)),
                ("latencyMsP99", GoJson::opt_float(r.latency_ms_p99)),
            ]);
            GoJson::object(fields)
        })
        .collect();
    compact_json(&marshal_indent_line(&GoJson::Array(entries)))
}

/// The rows as displayed, with their numbers (for `--fail-if` and the hints).
pub fn stat_inbound_lines(rows: &[InboundRow], view: &RouteStatsView) -> Vec<MetricLine> {
    ordered(rows, view)
        .into_iter()
        .map(|r| MetricLine {
            subject: format!(
                "{}, server {}, route {}",
                subject(view.kind, &r.namespace, &r.name),
                server_cell(r),
                r.route
            ),
            metrics: Some(metrics(r, &view.window)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::assert_same;

    fn row(name: &str, server: &str, route: &str, kind: &str, s: u64, f: u64, lat: [Option<f64>; 3]) -> InboundRow {
        InboundRow {
            namespace: "emojivoto".into(),
            name: name.into(),
            server: server.into(),
            port: "8080".into(),
            route: route.into(),
            route_type: kind.into(),
            success_count: s,
            failure_count: f,
            latency_ms_p50: lat[0],
            latency_ms_p95: lat[1],
            latency_ms_p99: lat[2],
        }
    }

    /// The README's emojivoto rows (crates/testkit/README.md "Modern Linkerd"), given out of order.
    fn emojivoto() -> Vec<InboundRow> {
        vec![
            row(
                "web",
                "[default]",
                "[default]",
                "",
                168,
                12,
                [Some(16.428571428571427), Some(34.99999999999998), Some(46.99999999999998)],
            ),
            row(
                "voting",
                "voting-grpc",
                "voting-api",
                "HTTPRoute",
                48,
                12,
                [Some(15.0), Some(74.99999999999997), Some(95.0)],
            ),
            row("emoji", "[default]", "[default]", "", 120, 0, [Some(2.75), Some(8.749999999999998), Some(9.75)]),
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
NAME    SERVER            ROUTE       TYPE       SUCCESS   RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  
emoji   [default]:8080    [default]              100.00%  2.00          3ms          9ms         10ms  
voting  voting-grpc:8080  voting-api  HTTPRoute   80.00%  1.00         15ms         75ms         95ms  
web     [default]:8080    [default]               93.33%  3.00         16ms         35ms         47ms  
";
        assert_same("stat-inbound table", want, &render_stat_inbound(&emojivoto(), &view(OutputFormat::Table)).stdout);
    }

    #[test]
    fn json_is_linkerds() {
        let want = concat!(
            r#"[{"name":"emoji","server":"[default]","port":"8080","route":"[default]","routeType":"","successesRate":1,"rps":2,"latencyMsP50":2.75,"latencyMsP95":8.749999999999998,"latencyMsP99":9.75},"#,
            r#"{"name":"voting","server":"voting-grpc","port":"8080","route":"voting-api","routeType":"HTTPRoute","successesRate":0.8,"rps":1,"latencyMsP50":15,"latencyMsP95":74.99999999999997,"latencyMsP99":95},"#,
            r#"{"name":"web","server":"[default]","port":"8080","route":"[default]","routeType":"","successesRate":0.9333333333333333,"rps":3,"latencyMsP50":16.428571428571427,"latencyMsP95":34.99999999999998,"latencyMsP99":46.99999999999998}]"#,
            "\n"
        );
        assert_same("stat-inbound json", want, &render_stat_inbound(&emojivoto(), &view(OutputFormat::Json)).stdout);
    }

    #[test]
    fn nan_latency_empty_result_and_lviz_additions() {
        let rows = vec![row("a", "s", "r", "", 1, 0, [None, Some(0.0), Some(2.5)])];
        let mut v = view(OutputFormat::Wide);
        v.all_namespaces = true;
        let want = "\
NAMESPACE  NAME  SERVER  ROUTE  TYPE  SUCCESS   RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  SUCCESSES  FAILURES  
emojivoto  a     s:8080  r            100.00%  0.02            -          0ms          2ms          1         0  
";
        assert_same("wide -A", want, &render_stat_inbound(&rows, &v).stdout);
        v.output = OutputFormat::Json;
        assert!(render_stat_inbound(&rows, &v).stdout.starts_with(r#"[{"namespace":"emojivoto","name":"a""#));
        assert!(render_stat_inbound(&rows, &v).stdout.contains(r#""latencyMsP50":null"#));
        let empty = render_stat_inbound(&[], &view(OutputFormat::Table));
        assert_eq!(
            empty.stdout, "NAME  SERVER  ROUTE  TYPE  SUCCESS  RPS  LATENCY_P50  LATENCY_P95  LATENCY_P99  \n",
            "upstream prints the header alone"
        );
        assert_eq!(render_stat_inbound(&[], &view(OutputFormat::Json)).stdout, "[]\n");
    }

    #[test]
    fn sort_and_lines() {
        let mut v = view(OutputFormat::Table);
        v.sort = Some(crate::parse_sort(crate::SortTable::StatInbound, "-p99").expect("column"));
        let lines = stat_inbound_lines(&emojivoto(), &v);
        let subjects: Vec<&str> = lines.iter().map(|l| l.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "deploy/voting in emojivoto, server voting-grpc:8080, route voting-api",
                "deploy/web in emojivoto, server [default]:8080, route [default]",
                "deploy/emoji in emojivoto, server [default]:8080, route [default]",
            ]
        );
        assert_eq!(lines[0].metrics.map(|m| (m.success, m.p99)), Some((0.8, 95)));
    }
}

//! `stat` output: linkerd's `writeStatsToBuffer` / `printStatTables` / `printStatJSON`
//! (`viz/cmd/stat.go`) over the rows of every stat response, plus lviz's `--sort-by`,
//! `--no-headers` and colors (all off by default, leaving linkerd's bytes). Pure; no I/O.

use std::collections::{BTreeMap, BTreeSet};

use std::cmp::Ordering;

use crate::gojson::{GoJson, marshal_indent_line};
use crate::metrics::{MetricLine, RowMetrics};
use crate::numbers::{per_second, request_rate, success_rate};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::tabwriter::{TabWriter, strip_left_padding};
use crate::{OutputFormat, Rendered};
use lviz_api::{ResourceKind, StatRow};

mod table;
use table::{Widths, write_table};

/// How `stat` was asked to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatView {
    pub output: OutputFormat,
    /// `-A`: adds the NAMESPACE column.
    pub all_namespaces: bool,
    /// `--unmeshed`: keep rows of pod-owning kinds with no meshed pod.
    pub unmeshed: bool,
    /// `--from` was given: unmeshed destinations are kept (their metrics are client-side).
    pub from_set: bool,
    /// `--sort-by`: rows within each table (and JSON entries) in this order instead of by name.
    pub sort: Option<SortBy>,
    /// `--no-headers`: column headers size the columns but are not printed.
    pub no_headers: bool,
    /// Health colors and bold headers (tables only).
    pub color: bool,
}

/// One displayed row: linkerd's `row` plus `rowStats` (present only with request data).
pub(crate) struct ViewRow {
    pub(crate) meshed: String,
    /// (meshed, running) pod counts, for `--sort-by meshed`; `None` where MESHED shows `-`.
    pub(crate) pod_counts: Option<(u64, u64)>,
    pub(crate) status: String,
    pub(crate) stats: Option<RowStats>,
    /// Policy rows: the server's name (`srv_stats.srv.name`), and the denied fraction of
    /// the allowed and denied requests (0 without srv stats or without either).
    pub(crate) server: Option<String>,
    pub(crate) unauthorized: f64,
}

pub(crate) struct RowStats {
    pub(crate) success: f64,
    pub(crate) rps: f64,
    pub(crate) p50: u64,
    pub(crate) p95: u64,
    pub(crate) p99: u64,
    pub(crate) tcp_conns: u64,
    pub(crate) read_rate: f64,
    pub(crate) write_rate: f64,
}

/// The kind string as a known kind; linkerd works on the raw type string, so unknown strings are
/// kept as tables (they count for prefixes and "No traffic found.") but never displayed.
fn kind(type_str: &str) -> Option<ResourceKind> {
    ResourceKind::from_canonical(type_str)
}

/// `isPodOwnerResource`; the removed `authority` type is the one unknown string that is not.
fn owns_pods(type_str: &str) -> bool {
    kind(type_str).map_or(type_str != "authority", ResourceKind::owns_pods)
}

/// `showTCPConns`.
pub(crate) fn shows_tcp(type_str: &str) -> bool {
    !matches!(type_str, "authority" | "serverauthorization" | "authorizationpolicy" | "httproute")
}

/// Kinds in `k8s.AllResources`, the only ones linkerd prints (in that order).
fn display_rank(type_str: &str) -> Option<usize> {
    let rank = kind(type_str)?.display_rank();
    (rank != ResourceKind::All.display_rank()).then_some(rank)
}

/// `getNamePrefix`: `<short>/`, which is a bare `/` for kinds without a short name.
fn name_prefix(type_str: &str) -> String {
    format!("{}/", kind(type_str).map_or("", ResourceKind::short))
}

/// `namespaceName`: the key is `"<namespace>/<name>"` and linkerd splits it back on `/`.
pub(crate) fn split_key(key: &str) -> (&str, &str) {
    let mut parts = key.split('/');
    let namespace = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    (namespace, name)
}

/// Rows grouped per type (keyed `namespace/name`), and the widths linkerd computes over them.
struct Collected<'a> {
    tables: BTreeMap<&'a str, BTreeMap<String, ViewRow>>,
    max_name: usize,
    max_namespace: usize,
}

/// Displayed tables in linkerd's kind order, each with its rows in display order.
type Displayed<'a, 'c> = Vec<(&'a str, Vec<(&'c String, &'c ViewRow)>)>;

fn collect<'a>(rows: &'a [StatRow], view: &StatView) -> Collected<'a> {
    // The prefix decision for *widths* counts every returned type, even those whose rows the
    // unmeshed filter drops below (linkerd edge case: over-wide NAME column, unprefixed names).
    let all_types: BTreeSet<&str> = rows.iter().map(|r| r.resource.kind.as_str()).collect();
    let prefix_for_width = all_types.len() > 1;

    let mut max_name = "NAME".len();
    let mut max_namespace = "NAMESPACE".len();
    // type → key → row; BTreeMap iteration is `sort.Strings` byte order, and a duplicate key
    // overwrites the earlier row as linkerd's map assignment does.
    let mut tables: BTreeMap<&str, BTreeMap<String, ViewRow>> = BTreeMap::new();

    for r in rows {
        let type_str = r.resource.kind.as_str();
        // Unknown pod counts (Prometheus-only mode) cannot prove a row unmeshed: keep it.
        if !view.unmeshed && !r.pods_unknown && r.meshed_pod_count == 0 && owns_pods(type_str) && !view.from_set {
            continue;
        }
        let name = &r.resource.name;
        let namespace = &r.resource.namespace;
        let shown_len = if prefix_for_width { name_prefix(type_str).len() + name.len() } else { name.len() };
        max_name = max_name.max(shown_len);
        max_namespace = max_namespace.max(namespace.len());

        let (meshed, pod_counts) = match type_str {
            "authority" | "service" => ("-".to_string(), None),
            _ if r.pods_unknown => ("-".to_string(), None),
            _ => (
                format!("{}/{}", r.meshed_pod_count, r.running_pod_count),
                Some((r.meshed_pod_count, r.running_pod_count)),
            ),
        };
        let status = if r.pods_unknown { "-".to_string() } else { r.status.clone() };
        let server = r.srv_stats.as_ref().map(|s| s.srv.name.clone());
        let unauthorized = r.srv_stats.as_ref().map_or(0.0, |s| {
            let total = s.allowed_count.saturating_add(s.denied_count);
            if total == 0 { 0.0 } else { s.denied_count as f64 / total as f64 }
        });
        let stats = r.stats.filter(|s| s.has_request_data()).map(|s| {
            let tcp = r.tcp_stats.unwrap_or_default();
            RowStats {
                success: success_rate(s.success_count, s.failure_count),
                rps: request_rate(s.success_count, s.failure_count, &r.time_window),
                p50: s.latency_ms_p50,
                p95: s.latency_ms_p95,
                p99: s.latency_ms_p99,
                tcp_conns: tcp.open_connections,
                read_rate: per_second(tcp.read_bytes_total, &r.time_window),
                write_rate: per_second(tcp.write_bytes_total, &r.time_window),
            }
        });
        tables
            .entry(type_str)
            .or_default()
            .insert(format!("{namespace}/{name}"), ViewRow { meshed, pod_counts, status, stats, server, unauthorized });
    }
    Collected { tables, max_name, max_namespace }
}

/// The tables linkerd prints (known kinds, in its order), rows sorted per `view.sort`.
fn displayed<'a, 'c>(collected: &'c Collected<'a>, view: &StatView) -> Displayed<'a, 'c> {
    let mut tables: Vec<(usize, &'a str, &'c BTreeMap<String, ViewRow>)> =
        collected.tables.iter().filter_map(|(t, rows)| display_rank(t).map(|rank| (rank, *t, rows))).collect();
    tables.sort_by_key(|(rank, ..)| *rank);
    tables
        .into_iter()
        .map(|(_, type_str, rows)| {
            let mut ordered: Vec<(&String, &ViewRow)> = rows.iter().collect();
            if let Some(sort) = view.sort {
                ordered.sort_by(|a, b| compare(sort, a, b));
            }
            (type_str, ordered)
        })
        .collect()
}

/// `--sort-by` over two rows of one table; stable, so ties keep the name order.
fn compare(sort: SortBy, (ka, a): &(&String, &ViewRow), (kb, b): &(&String, &ViewRow)) -> Ordering {
    let desc = sort.descending;
    let (a_ns, a_name) = split_key(ka);
    let (b_ns, b_name) = split_key(kb);
    let stat = |r: &ViewRow, f: fn(&RowStats) -> f64| r.stats.as_ref().map(f);
    let by = |f: fn(&RowStats) -> f64| cmp_values(stat(a, f), stat(b, f), desc);
    match sort.column {
        SortColumn::Name => cmp_text(a_name, b_name, desc),
        SortColumn::Namespace => cmp_text(a_ns, b_ns, desc),
        SortColumn::Status => cmp_text(&a.status, &b.status, desc),
        SortColumn::Meshed => cmp_values(a.pod_counts, b.pod_counts, desc),
        SortColumn::Success => by(|s| s.success),
        SortColumn::Rps => by(|s| s.rps),
        SortColumn::P50 => by(|s| s.p50 as f64),
        SortColumn::P95 => by(|s| s.p95 as f64),
        SortColumn::P99 => by(|s| s.p99 as f64),
        SortColumn::Tcp => by(|s| s.tcp_conns as f64),
        SortColumn::Read => by(|s| s.read_rate),
        SortColumn::Write => by(|s| s.write_rate),
        _ => Ordering::Equal,
    }
}

pub fn render_stat(rows: &[StatRow], view: &StatView) -> Rendered {
    let collected = collect(rows, view);
    let displayed = displayed(&collected, view);
    match view.output {
        OutputFormat::Json => Rendered { stdout: stat_json(&displayed), stderr: String::new() },
        OutputFormat::Table | OutputFormat::Wide => {
            if collected.tables.is_empty() {
                return Rendered { stdout: String::new(), stderr: "No traffic found.\n".to_string() };
            }
            let widths = Widths { name: collected.max_name, namespace: collected.max_namespace };
            // The printed prefix counts the tables kept, not the types returned.
            let print_prefix = collected.tables.len() > 1;
            let mut w = TabWriter::default().with_display_width(view.color);
            for (i, (type_str, rows)) in displayed.iter().enumerate() {
                if i > 0 {
                    w.write("\n");
                }
                let prefix = if print_prefix { name_prefix(type_str) } else { String::new() };
                write_table(&mut w, type_str, rows, &prefix, widths, view);
            }
            Rendered { stdout: strip_left_padding(&w.finish()), stderr: String::new() }
        }
    }
}

/// The rows `render_stat` displays, in its order, with their numbers (for `--fail-if` and the
/// empty-result diagnostics). Subjects read `deploy/web in emojivoto` (`ns/emojivoto` for
/// namespaces).
pub fn stat_lines(rows: &[StatRow], view: &StatView) -> Vec<MetricLine> {
    let collected = collect(rows, view);
    let mut lines = Vec::new();
    for (type_str, rows) in displayed(&collected, view) {
        let short = kind(type_str).map_or("", ResourceKind::short);
        let shown_kind = if short.is_empty() { type_str } else { short };
        for (key, row) in rows {
            let (namespace, name) = split_key(key);
            let subject = if namespace.is_empty() || type_str == "namespace" {
                format!("{shown_kind}/{name}")
            } else {
                format!("{shown_kind}/{name} in {namespace}")
            };
            let tcp = shows_tcp(type_str);
            let metrics = row.stats.as_ref().map(|s| RowMetrics {
                success: s.success,
                rps: s.rps,
                p50: s.p50,
                p95: s.p95,
                p99: s.p99,
                tcp: tcp.then_some(s.tcp_conns),
                read: tcp.then_some(s.read_rate),
                write: tcp.then_some(s.write_rate),
                ..RowMetrics::default()
            });
            lines.push(MetricLine { subject, metrics });
        }
    }
    lines
}

fn stat_json(displayed: &Displayed<'_, '_>) -> String {
    let mut entries = Vec::new();
    for (type_str, rows) in displayed {
        for (key, row) in rows.iter() {
            let (namespace, name) = split_key(key);
            let mut fields = vec![
                ("namespace", GoJson::str(namespace)),
                ("kind", GoJson::str(type_str)),
                ("name", GoJson::str(name)),
            ];
            // `meshed` is declared omitempty and never set upstream, so it never appears.
            let s = row.stats.as_ref();
            fields.push(("success", GoJson::opt_float(s.map(|s| s.success))));
            fields.push(("rps", GoJson::opt_float(s.map(|s| s.rps))));
            fields.push(("latency_ms_p50", GoJson::opt_uint(s.map(|s| s.p50))));
            fields.push(("latency_ms_p95", GoJson::opt_uint(s.map(|s| s.p95))));
            fields.push(("latency_ms_p99", GoJson::opt_uint(s.map(|s| s.p99))));
            if let Some(s) = s
                && shows_tcp(type_str)
            {
                fields.push(("tcp_open_connections", GoJson::Uint(s.tcp_conns)));
                fields.push(("tcp_read_bytes_rate", GoJson::Float(s.read_rate)));
                fields.push(("tcp_write_bytes_rate", GoJson::Float(s.write_rate)));
            }
            entries.push(GoJson::object(fields));
        }
    }
    marshal_indent_line(&GoJson::Array(entries))
}

//! `multicluster gateways` output. lviz reads latency percentiles from Prometheus, so it prints
//! the pre-2022 viz layout of linkerd's `gateways` command (`CLUSTER ALIVE NUM_SVC LATENCY_P50
//! LATENCY_P95 LATENCY_P99`, `cli/table` style). Pure; no I/O.
//!
//! Deliberate departures from upstream, where upstream is unhelpful:
//! * no rows: upstream prints a bare header (old command) or `null` (current `-o json`); lviz
//!   prints `No gateways found.` on stderr for tables, like stat and edges, and `[]` for JSON;
//! * upstream rows come in Go map order (random); lviz sorts by cluster name, then ALIVE text,
//!   which is the sort the old table asked for;
//! * upstream cuts numbers wider than the fixed NUM_SVC (9) and LATENCY (11) columns; lviz lets
//!   those columns grow instead, which changes nothing for realistic values;
//! * the JSON is the API's rows (the spec's fields, latencies 0 without probe data); upstream's
//!   current JSON has different fields.
//!
//! `--sort-by` and `--no-headers` are lviz additions, off by default.

use crate::clitable::{self, Column};
use crate::gojson::{GoJson, marshal_indent_line};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::{OutputFormat, Rendered};
use lviz_api::GatewayRow;

/// How `gateways` was asked to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatewaysView {
    pub output: OutputFormat,
    /// `--sort-by`: rows (and JSON entries) in this order instead of by cluster.
    pub sort: Option<SortBy>,
    /// `--no-headers`.
    pub no_headers: bool,
}

const COLUMNS: [Column; 6] = [
    Column { header: "CLUSTER", width: 7, flexible: true, left_align: true },
    Column { header: "ALIVE", width: 5, flexible: true, left_align: true },
    Column { header: "NUM_SVC", width: 9, flexible: true, left_align: false },
    Column { header: "LATENCY_P50", width: 11, flexible: true, left_align: false },
    Column { header: "LATENCY_P95", width: 11, flexible: true, left_align: false },
    Column { header: "LATENCY_P99", width: 11, flexible: true, left_align: false },
];

fn alive_text(alive: bool) -> &'static str {
    if alive { "True" } else { "False" }
}

/// `--sort-by` over two gateways; latencies of dead gateways (shown `-`) sort last.
fn compare(sort: SortBy, a: &GatewayRow, b: &GatewayRow) -> std::cmp::Ordering {
    let desc = sort.descending;
    let latency = |r: &GatewayRow, ms: u64| r.alive.then_some(ms);
    match sort.column {
        SortColumn::Cluster => cmp_text(&a.cluster_name, &b.cluster_name, desc),
        SortColumn::Alive => cmp_text(alive_text(a.alive), alive_text(b.alive), desc),
        SortColumn::NumSvc => cmp_values(Some(a.paired_services), Some(b.paired_services), desc),
        SortColumn::P50 => cmp_values(latency(a, a.latency_ms_p50), latency(b, b.latency_ms_p50), desc),
        SortColumn::P95 => cmp_values(latency(a, a.latency_ms_p95), latency(b, b.latency_ms_p95), desc),
        SortColumn::P99 => cmp_values(latency(a, a.latency_ms_p99), latency(b, b.latency_ms_p99), desc),
        _ => std::cmp::Ordering::Equal,
    }
}

pub fn render_gateways(rows: &[GatewayRow], view: &GatewaysView) -> Rendered {
    let mut sorted: Vec<&GatewayRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (a.cluster_name.as_str(), alive_text(a.alive)).cmp(&(b.cluster_name.as_str(), alive_text(b.alive)))
    });
    if let Some(sort) = view.sort {
        sorted.sort_by(|a, b| compare(sort, a, b));
    }

    match view.output {
        OutputFormat::Json => Rendered { stdout: gateways_json(&sorted), stderr: String::new() },
        OutputFormat::Table | OutputFormat::Wide => {
            if sorted.is_empty() {
                return Rendered { stdout: String::new(), stderr: "No gateways found.\n".to_string() };
            }
            let cells: Vec<Vec<String>> = sorted
                .iter()
                .map(|r| {
                    let latency = |ms: u64| {
                        if r.alive { format!("{ms}ms") } else { "-".to_string() }
                    };
                    vec![
                        r.cluster_name.clone(),
                        alive_text(r.alive).to_string(),
                        // Prometheus-only mode: mirrored Services were not counted.
                        if r.paired_services_unknown { "-".to_string() } else { r.paired_services.to_string() },
                        latency(r.latency_ms_p50),
                        latency(r.latency_ms_p95),
                        latency(r.latency_ms_p99),
                    ]
                })
                .collect();
            Rendered { stdout: clitable::render(&COLUMNS, &cells, !view.no_headers), stderr: String::new() }
        }
    }
}

/// The rows with the spec's `GatewaysResponse` row fields, in its order: latencies are
/// numbers, 0 for a gateway without probe data, as Linkerd's metrics API answers. Paired
/// Services that were not counted (`--no-kube`) are `null`: unknown, not zero.
fn gateways_json(rows: &[&GatewayRow]) -> String {
    let entries = rows
        .iter()
        .map(|r| {
            let paired = if r.paired_services_unknown { GoJson::Null } else { GoJson::Uint(r.paired_services) };
            let mut fields = vec![
                ("namespace", GoJson::str(&r.namespace)),
                ("name", GoJson::str(&r.name)),
                ("cluster_name", GoJson::str(&r.cluster_name)),
                ("paired_services", paired),
            ];
            fields.extend([
                ("alive", GoJson::Bool(r.alive)),
                ("latency_ms_p50", GoJson::Uint(r.latency_ms_p50)),
                ("latency_ms_p95", GoJson::Uint(r.latency_ms_p95)),
                ("latency_ms_p99", GoJson::Uint(r.latency_ms_p99)),
            ]);
            GoJson::object(fields)
        })
        .collect();
    marshal_indent_line(&GoJson::Array(entries))
}

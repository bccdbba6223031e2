//! `routes` output: linkerd's `writeRouteStatsToBuffer` / `printRouteTable` / `printRouteJSON`
//! (`viz/cmd/routes.go`) over the route tables of a top-routes response. Pure; no I/O.
//!
//! Choosing between table and wide, and rejecting `-o wide` without `--to`, is the CLI's job.

use std::collections::BTreeMap;

use super::gojson::{GoJson, marshal_indent_line};
use super::numbers::{percent_cell, request_rate, rps_cell, success_rate};
use super::tabwriter::{TabWriter, pad_right_runes, strip_left_padding};
use super::{OutputFormat, Rendered};
use crate::api::RouteTable;

/// How `routes` was asked to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutesView {
    pub output: OutputFormat,
    /// `--to` was given: JSON gets effective/actual fields, and wide output their columns.
    pub to_set: bool,
}

/// linkerd's `routeRowStats`.
struct RouteView<'a> {
    route: &'a str,
    authority: &'a str,
    success: f64,
    rps: f64,
    actual_success: f64,
    actual_rps: f64,
    p50: u64,
    p95: u64,
    p99: u64,
    has_request_data: bool,
}

pub fn render_routes(tables: &[RouteTable], view: &RoutesView) -> Rendered {
    // resource → rows. BTreeMap gives the sorted resource order (and Go's sorted map keys in
    // JSON); a repeated resource replaces the earlier table, as linkerd's map assignment does.
    let mut by_resource: BTreeMap<&str, Vec<RouteView<'_>>> = BTreeMap::new();
    for table in tables {
        let mut rows: Vec<RouteView<'_>> = table
            .rows
            .iter()
            .filter_map(|r| {
                let s = r.stats?;
                Some(RouteView {
                    route: &r.route,
                    authority: &r.authority,
                    success: success_rate(s.success_count, s.failure_count),
                    rps: request_rate(s.success_count, s.failure_count, &r.time_window),
                    actual_success: success_rate(s.actual_success_count, s.actual_failure_count),
                    actual_rps: request_rate(s.actual_success_count, s.actual_failure_count, &r.time_window),
                    p50: s.latency_ms_p50,
                    p95: s.latency_ms_p95,
                    p99: s.latency_ms_p99,
                    has_request_data: s.has_request_data(),
                })
            })
            .collect();
        // Byte order of authority+route concatenated, so `[DEFAULT]` sorts between upper- and
        // lowercase route names. (linkerd's sort is unstable; ties keep input order here.)
        rows.sort_by(|a, b| {
            let ka = [a.authority.as_bytes(), a.route.as_bytes()].concat();
            let kb = [b.authority.as_bytes(), b.route.as_bytes()].concat();
            ka.cmp(&kb)
        });
        by_resource.insert(table.resource.as_str(), rows);
    }

    let stdout = match view.output {
        OutputFormat::Json => routes_json(&by_resource, view.to_set),
        OutputFormat::Table | OutputFormat::Wide => {
            let actual_columns = view.to_set && view.output == OutputFormat::Wide;
            let mut w = TabWriter::default();
            for (resource, rows) in &by_resource {
                if by_resource.len() > 1 {
                    w.write(&format!("==> {resource} <==\t\x0c"));
                }
                write_table(&mut w, rows, actual_columns);
                w.write("\n");
            }
            strip_left_padding(&w.finish())
        }
    };
    Rendered { stdout, stderr: String::new() }
}

fn write_table(w: &mut TabWriter, rows: &[RouteView<'_>], actual_columns: bool) {
    // Width of the longest route in bytes; the header does not count (the server's `[DEFAULT]`
    // row makes it at least 9 in practice).
    let route_width = rows.iter().map(|r| r.route.len()).max().unwrap_or(0);

    let mut header = vec![pad_right_runes("ROUTE", route_width), "SERVICE".to_string()];
    if actual_columns {
        header.extend(["EFFECTIVE_SUCCESS", "EFFECTIVE_RPS", "ACTUAL_SUCCESS", "ACTUAL_RPS"].map(String::from));
    } else {
        header.extend(["SUCCESS", "RPS"].map(String::from));
    }
    header.extend(["LATENCY_P50", "LATENCY_P95", "LATENCY_P99"].map(String::from));
    w.write_row(&header);

    for row in rows {
        let mut cells = vec![pad_right_runes(row.route, route_width), row.authority.to_string()];
        if row.has_request_data {
            cells.push(percent_cell(row.success));
            cells.push(rps_cell(row.rps));
            if actual_columns {
                cells.push(percent_cell(row.actual_success));
                cells.push(rps_cell(row.actual_rps));
            }
            cells.extend([row.p50, row.p95, row.p99].map(|ms| format!("{ms}ms")));
        } else {
            let dashes = if actual_columns { 7 } else { 5 };
            cells.extend(std::iter::repeat_n("-".to_string(), dashes));
        }
        w.write_row(&cells);
    }
}

/// An object keyed by resource (sorted, as Go sorts map keys); tables without rows get no key.
/// Values are printed even for rows without request data.
fn routes_json(by_resource: &BTreeMap<&str, Vec<RouteView<'_>>>, to_set: bool) -> String {
    let mut object = Vec::new();
    for (resource, rows) in by_resource {
        if rows.is_empty() {
            continue;
        }
        let entries = rows
            .iter()
            .map(|row| {
                let mut fields = vec![("route", GoJson::str(row.route)), ("authority", GoJson::str(row.authority))];
                if to_set {
                    fields.push(("effective_success", GoJson::Float(row.success)));
                    fields.push(("effective_rps", GoJson::Float(row.rps)));
                    fields.push(("actual_success", GoJson::Float(row.actual_success)));
                    fields.push(("actual_rps", GoJson::Float(row.actual_rps)));
                } else {
                    fields.push(("success", GoJson::Float(row.success)));
                    fields.push(("rps", GoJson::Float(row.rps)));
                }
                fields.push(("latency_ms_p50", GoJson::Uint(row.p50)));
                fields.push(("latency_ms_p95", GoJson::Uint(row.p95)));
                fields.push(("latency_ms_p99", GoJson::Uint(row.p99)));
                GoJson::object(fields)
            })
            .collect();
        object.push((resource.to_string(), GoJson::Array(entries)));
    }
    marshal_indent_line(&GoJson::Object(object))
}

//! `routes` output: linkerd's `writeRouteStatsToBuffer` / `printRouteTable` / `printRouteJSON`
//! (`viz/cmd/routes.go`) over the route tables of a top-routes response. Pure; no I/O.
//!
//! Choosing between table and wide, and rejecting `-o wide` without `--to`, is the CLI's job.
//! `--sort-by`, `--no-headers` and colors are lviz additions, off by default.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::gojson::{GoJson, marshal_indent_line};
use crate::metrics::{MetricLine, RowMetrics};
use crate::numbers::{percent_cell, request_rate, rps_cell, success_rate};
use crate::sort::{SortBy, SortColumn, cmp_text, cmp_values};
use crate::style::Palette;
use crate::tabwriter::{TabWriter, pad_right_runes, strip_left_padding};
use crate::{OutputFormat, Rendered};
use lviz_api::{ResourceKind, RouteTable};

/// How `routes` was asked to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoutesView {
    pub output: OutputFormat,
    /// `--to` was given: JSON gets effective/actual fields, and wide output their columns.
    pub to_set: bool,
    /// `--sort-by`: rows of each table (and JSON entries) in this order instead of by route.
    pub sort: Option<SortBy>,
    /// `--no-headers`: column headers size the columns but are not printed.
    pub no_headers: bool,
    /// Health colors and bold headers (tables only).
    pub color: bool,
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

/// `--sort-by` over two routes; stable, so ties keep the route order.
fn compare(sort: SortBy, a: &RouteView<'_>, b: &RouteView<'_>) -> Ordering {
    let desc = sort.descending;
    let value = |r: &RouteView<'_>, v: f64| r.has_request_data.then_some(v);
    match sort.column {
        SortColumn::Route => cmp_text(a.route, b.route, desc),
        SortColumn::Service => cmp_text(a.authority, b.authority, desc),
        SortColumn::Success => cmp_values(value(a, a.success), value(b, b.success), desc),
        SortColumn::Rps => cmp_values(value(a, a.rps), value(b, b.rps), desc),
        SortColumn::ActualSuccess => cmp_values(value(a, a.actual_success), value(b, b.actual_success), desc),
        SortColumn::ActualRps => cmp_values(value(a, a.actual_rps), value(b, b.actual_rps), desc),
        SortColumn::P50 => cmp_values(value(a, a.p50 as f64), value(b, b.p50 as f64), desc),
        SortColumn::P95 => cmp_values(value(a, a.p95 as f64), value(b, b.p95 as f64), desc),
        SortColumn::P99 => cmp_values(value(a, a.p99 as f64), value(b, b.p99 as f64), desc),
        _ => Ordering::Equal,
    }
}

/// Every table's rows in display order, by resource.
fn collect<'a>(tables: &'a [RouteTable], view: &RoutesView) -> BTreeMap<&'a str, Vec<RouteView<'a>>> {
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
        if let Some(sort) = view.sort {
            rows.sort_by(|a, b| compare(sort, a, b));
        }
        by_resource.insert(table.resource.as_str(), rows);
    }
    by_resource
}

pub fn render_routes(tables: &[RouteTable], view: &RoutesView) -> Rendered {
    let by_resource = collect(tables, view);
    let stdout = match view.output {
        OutputFormat::Json => routes_json(&by_resource, view.to_set),
        OutputFormat::Table | OutputFormat::Wide => {
            let actual_columns = view.to_set && view.output == OutputFormat::Wide;
            let mut w = TabWriter::default().with_display_width(view.color);
            for (resource, rows) in &by_resource {
                if by_resource.len() > 1 {
                    w.write(&format!("==> {resource} <==\t\x0c"));
                }
                write_table(&mut w, rows, actual_columns, view);
                w.write("\n");
            }
            strip_left_padding(&w.finish())
        }
    };
    Rendered { stdout, stderr: String::new() }
}

/// `deployment/web` → `deploy/web`.
fn short_resource(resource: &str) -> String {
    match resource.split_once('/') {
        Some((kind, name)) => {
            let short = ResourceKind::from_canonical(kind).map_or("", ResourceKind::short);
            format!("{}/{name}", if short.is_empty() { kind } else { short })
        }
        None => resource.to_string(),
    }
}

/// The routes `render_routes` displays, in its order, with their numbers (for `--fail-if` and
/// the empty-result diagnostics). Subjects read `route "GET /api/vote" of deploy/web`.
pub fn route_lines(tables: &[RouteTable], view: &RoutesView) -> Vec<MetricLine> {
    let mut lines = Vec::new();
    for (resource, rows) in collect(tables, view) {
        let owner = short_resource(resource);
        for r in rows {
            let subject = if owner.is_empty() {
                format!("route {:?} ({})", r.route, r.authority)
            } else {
                format!("route {:?} of {owner} ({})", r.route, r.authority)
            };
            let metrics = r.has_request_data.then_some(RowMetrics {
                success: r.success,
                rps: r.rps,
                p50: r.p50,
                p95: r.p95,
                p99: r.p99,
                tcp: None,
                read: None,
                write: None,
                actual_success: Some(r.actual_success),
                actual_rps: Some(r.actual_rps),
                ..RowMetrics::default()
            });
            lines.push(MetricLine { subject, metrics });
        }
    }
    lines
}

fn write_table(w: &mut TabWriter, rows: &[RouteView<'_>], actual_columns: bool, view: &RoutesView) {
    let palette = Palette { on: view.color };
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
    let header: Vec<String> = header.into_iter().map(|h| palette.header(h)).collect();
    w.write_header(&header, !view.no_headers);

    for row in rows {
        let mut cells = vec![pad_right_runes(row.route, route_width), row.authority.to_string()];
        if row.has_request_data {
            cells.push(palette.success(percent_cell(row.success), row.success));
            cells.push(rps_cell(row.rps));
            if actual_columns {
                cells.push(palette.success(percent_cell(row.actual_success), row.actual_success));
                cells.push(rps_cell(row.actual_rps));
            }
            cells.extend([row.p50, row.p95, row.p99].map(|ms| palette.latency(format!("{ms}ms"), ms)));
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

//! Exact-bytes tests of `render_routes`: per-table widths, `==>` headers, wide and JSON forms.

use super::{assert_golden, assert_same};
use crate::{OutputFormat, RoutesView, render_routes};
use lviz_api::{BasicStats, RouteRow, RouteTable};

fn route(route: &str, authority: &str, success: u64, actual: u64) -> RouteRow {
    let latencies = if success > 0 { (5, 10, 12) } else { (0, 0, 0) };
    RouteRow {
        route: route.into(),
        time_window: "1m".into(),
        authority: authority.into(),
        stats: Some(BasicStats {
            success_count: success,
            latency_ms_p50: latencies.0,
            latency_ms_p95: latencies.1,
            latency_ms_p99: latencies.2,
            actual_success_count: actual,
            ..BasicStats::default()
        }),
    }
}

fn table(resource: &str, rows: Vec<RouteRow>) -> RouteTable {
    RouteTable { rows, resource: resource.into() }
}

/// The reference's §4.4 two-table example, given out of order.
fn two_tables() -> Vec<RouteTable> {
    vec![
        table(
            "deployment/webapp",
            vec![
                route("post-x", "books", 6, 0),
                route("[DEFAULT]", "books", 0, 0),
                route("GET /books", "books", 30, 0),
            ],
        ),
        table("deployment/authors", vec![route("[DEFAULT]", "books", 60, 0)]),
    ]
}

#[test]
fn derived_two_tables_with_headers_and_per_table_widths() {
    let r =
        render_routes(&two_tables(), &RoutesView { output: OutputFormat::Table, to_set: false, ..Default::default() });
    assert_eq!(r.stderr, "");
    assert_golden!("routes_derived_two_tables.golden", r.stdout);
}

#[test]
fn wide_with_to_shows_effective_and_actual() {
    let tables = [table("deployment/web", vec![route("/a", "svc", 30, 60), route("[DEFAULT]", "svc", 0, 0)])];
    let r = render_routes(&tables, &RoutesView { output: OutputFormat::Wide, to_set: true, ..Default::default() });
    let want = "ROUTE       SERVICE   EFFECTIVE_SUCCESS   EFFECTIVE_RPS   ACTUAL_SUCCESS   ACTUAL_RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99\n\
                /a              svc             100.00%          0.5rps          100.00%       1.0rps           5ms          10ms          12ms\n\
                [DEFAULT]       svc                   -               -                -            -             -             -             -\n\
                \n";
    assert_same("routes wide", want, &r.stdout);
}

#[test]
fn json_with_to_keys_by_resource_and_skips_empty_tables() {
    let tables = [
        table("deployment/web", vec![route("[DEFAULT]", "svc", 0, 0)]),
        table("deployment/empty", vec![RouteRow { route: "/x".into(), ..RouteRow::default() }]),
    ];
    let r = render_routes(&tables, &RoutesView { output: OutputFormat::Json, to_set: true, ..Default::default() });
    let want = "{\n  \"deployment/web\": [\n    {\n      \"route\": \"[DEFAULT]\",\n      \"authority\": \"svc\",\n      \"effective_success\": 0,\n      \"effective_rps\": 0,\n      \"actual_success\": 0,\n      \"actual_rps\": 0,\n      \"latency_ms_p50\": 0,\n      \"latency_ms_p95\": 0,\n      \"latency_ms_p99\": 0\n    }\n  ]\n}\n";
    assert_same("routes json", want, &r.stdout);
    let none = render_routes(&[], &RoutesView { output: OutputFormat::Json, to_set: false, ..Default::default() });
    assert_eq!(none.stdout, "{}\n");
}

#[test]
fn short_routes_keep_the_route_width_below_the_header() {
    // Without a `[DEFAULT]` row the ROUTE width is the longest route, which may be shorter
    // than the header: upstream then right-aligns the values under it.
    let tables = [table("deployment/web", vec![route("/a", "svc", 60, 0)])];
    let r = render_routes(&tables, &RoutesView { output: OutputFormat::Table, to_set: false, ..Default::default() });
    let want = "ROUTE   SERVICE   SUCCESS      RPS   LATENCY_P50   LATENCY_P95   LATENCY_P99\n\
                \x20  /a       svc   100.00%   1.0rps           5ms          10ms          12ms\n\
                \n";
    assert_same("short route", want, &r.stdout);
}

//! lviz's table options over the renderers: `--sort-by`, `--no-headers` and colors. With every
//! option off the goldens of the other test files hold; here, what each option changes.

use super::assert_same;
use crate::style::display_width;
use crate::{
    EdgesView, GatewaysView, OutputFormat, RoutesView, SortTable, StatView, parse_sort, render_edges, render_gateways,
    render_routes, render_stat, route_lines, stat_lines,
};
use lviz_api::{BasicStats, Edge, GatewayRow, Resource, RouteRow, RouteTable, StatRow, TcpStats};

fn deploy(name: &str, success: u64, failure: u64, p99: u64, tcp: u64) -> StatRow {
    StatRow {
        resource: Resource { namespace: "ns".into(), kind: "deployment".into(), name: name.into() },
        time_window: "1m".into(),
        meshed_pod_count: 1,
        running_pod_count: 1,
        stats: Some(BasicStats {
            success_count: success,
            failure_count: failure,
            latency_ms_p50: p99 / 4,
            latency_ms_p95: p99 / 2,
            latency_ms_p99: p99,
            ..BasicStats::default()
        }),
        tcp_stats: Some(TcpStats { open_connections: tcp, read_bytes_total: 60, write_bytes_total: 120 }),
        ..StatRow::default()
    }
}

fn rows() -> Vec<StatRow> {
    let mut idle = deploy("idle", 0, 0, 0, 0);
    idle.stats = None;
    vec![deploy("a", 60, 0, 20, 1), deploy("b", 90, 30, 700, 3), idle, deploy("c", 117, 3, 200, 2)]
}

fn sorted(column: &str) -> StatView {
    StatView { sort: Some(parse_sort(SortTable::Stat, column).unwrap()), ..StatView::default() }
}

fn names(out: &str) -> Vec<&str> {
    out.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect()
}

#[test]
fn stat_sort_by_metric_keeps_rows_without_data_last() {
    assert_eq!(names(&render_stat(&rows(), &sorted("-rps")).stdout), ["b", "c", "a", "idle"]);
    assert_eq!(names(&render_stat(&rows(), &sorted("rps")).stdout), ["a", "b", "c", "idle"]);
    assert_eq!(names(&render_stat(&rows(), &sorted("success")).stdout), ["b", "c", "a", "idle"]);
    assert_eq!(names(&render_stat(&rows(), &sorted("-p99")).stdout), ["b", "c", "a", "idle"]);
    assert_eq!(names(&render_stat(&rows(), &sorted("tcp")).stdout), ["a", "c", "b", "idle"]);
    assert_eq!(names(&render_stat(&rows(), &sorted("-name")).stdout), ["idle", "c", "b", "a"]);
    // Ties keep the name order.
    assert_eq!(names(&render_stat(&rows(), &sorted("meshed")).stdout), ["a", "b", "c", "idle"]);
}

#[test]
fn stat_sort_orders_json_too() {
    let v = StatView { output: OutputFormat::Json, ..sorted("-p99") };
    let out = render_stat(&rows(), &v).stdout;
    let b = out.find("\"b\"").unwrap_or(usize::MAX);
    let c = out.find("\"c\"").unwrap_or(usize::MAX);
    let idle = out.find("\"idle\"").unwrap_or(usize::MAX);
    assert!(b < c && c < idle, "{out}");
}

#[test]
fn stat_no_headers_drops_only_the_header_line() {
    let plain = render_stat(&rows(), &StatView::default()).stdout;
    let bare = render_stat(&rows(), &StatView { no_headers: true, ..StatView::default() }).stdout;
    let want: String = plain.split_inclusive('\n').skip(1).collect();
    assert_same("no headers", &want, &bare);
}

#[test]
fn stat_colors_by_health_without_moving_columns() {
    let plain = render_stat(&rows(), &StatView::default()).stdout;
    let colored = render_stat(&rows(), &StatView { color: true, ..StatView::default() }).stdout;
    assert!(colored.contains("\x1b[32m100.00%\x1b[39m"), "a: green");
    assert!(colored.contains("\x1b[33m97.50%\x1b[39m"), "c: yellow");
    assert!(colored.contains("\x1b[31m75.00%\x1b[39m"), "b: red");
    assert!(colored.contains("\x1b[31m700ms\x1b[39m"), "b p99: red");
    assert!(colored.contains("\x1b[33m200ms\x1b[39m"), "c p99: yellow");
    assert!(colored.contains("\x1b[32m20ms\x1b[39m"), "a p99: green");
    assert!(colored.starts_with("\x1b[1mNAME\x1b[0m"), "bold header: {colored:?}");
    let widths = |text: &str| text.lines().map(display_width).collect::<Vec<_>>();
    assert_eq!(widths(&colored), widths(&plain));
    assert_eq!(colored.lines().filter(|l| l.contains("idle")).count(), 1);
    assert!(colored.contains("idle      1/1         -"), "no color on dashes: {colored:?}");
    // JSON is never colored.
    let json = render_stat(&rows(), &StatView { output: OutputFormat::Json, color: true, ..StatView::default() });
    assert!(!json.stdout.contains('\x1b'));
}

#[test]
fn stat_lines_are_the_displayed_rows() {
    let lines = stat_lines(&rows(), &sorted("-rps"));
    let subjects: Vec<&str> = lines.iter().map(|l| l.subject.as_str()).collect();
    assert_eq!(subjects, ["deploy/b in ns", "deploy/c in ns", "deploy/a in ns", "deploy/idle in ns"]);
    let b = lines[0].metrics.unwrap_or_default();
    assert_eq!((b.success, b.rps, b.p99, b.tcp), (0.75, 2.0, 700, Some(3)));
    assert_eq!(lines[3].metrics, None);
}

fn route(name: &str, success: u64, failure: u64, p99: u64) -> RouteRow {
    RouteRow {
        route: name.into(),
        time_window: "1m".into(),
        authority: "svc".into(),
        stats: Some(BasicStats {
            success_count: success,
            failure_count: failure,
            latency_ms_p99: p99,
            ..BasicStats::default()
        }),
    }
}

#[test]
fn routes_sort_no_headers_and_lines() {
    let tables = [RouteTable {
        rows: vec![route("GET /a", 60, 0, 10), route("GET /b", 100, 20, 90), route("[DEFAULT]", 0, 0, 0)],
        resource: "deployment/web".into(),
    }];
    let view = RoutesView {
        sort: Some(parse_sort(SortTable::Routes, "-rps").unwrap()),
        no_headers: true,
        ..RoutesView::default()
    };
    let out = render_routes(&tables, &view).stdout;
    let order: Vec<&str> = out.lines().filter_map(|l| l.split("   ").next()).filter(|r| !r.is_empty()).collect();
    assert_eq!(order, ["GET /b", "GET /a", "[DEFAULT]"], "{out}");
    assert!(!out.contains("ROUTE"));
    let lines = route_lines(&tables, &view);
    assert_eq!(lines[0].subject, "route \"GET /b\" of deploy/web (svc)");
    assert_eq!(lines[2].metrics, None);
}

#[test]
fn edges_sort_and_no_headers() {
    let edge = |src: &str, dst: &str| Edge {
        src: Resource { namespace: "ns".into(), kind: "deployment".into(), name: src.into() },
        dst: Resource { namespace: "ns".into(), kind: "deployment".into(), name: dst.into() },
        ..Edge::default()
    };
    let edges = [edge("a", "z"), edge("b", "y"), edge("c", "x")];
    let view = EdgesView {
        sort: Some(parse_sort(SortTable::Edges, "dst").unwrap()),
        no_headers: true,
        ..EdgesView::default()
    };
    let out = render_edges(&edges, &view).stdout;
    assert_same(
        "edges",
        "c     x     ns       ns       √      \nb     y     ns       ns       √      \na     z     ns       ns       √      \n",
        &out,
    );
}

#[test]
fn gateways_sort_dead_last_and_no_headers() {
    let gw = |name: &str, alive: bool, p99: u64| GatewayRow {
        cluster_name: name.into(),
        alive,
        paired_services: 1,
        latency_ms_p99: p99,
        ..GatewayRow::default()
    };
    let rows = [gw("a", true, 5), gw("b", false, 0), gw("c", true, 9)];
    let view = GatewaysView {
        sort: Some(parse_sort(SortTable::Gateways, "-p99").unwrap()),
        no_headers: true,
        ..GatewaysView::default()
    };
    let out = render_gateways(&rows, &view).stdout;
    let order: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(order, ["c", "a", "b"]);
    assert!(!out.contains("CLUSTER"));
}

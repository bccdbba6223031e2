//! Zero-config discovery (linkerd-viz's Prometheus through the fake API server's service
//! proxy, with only a kubeconfig) and Prometheus-only mode (`--no-kube`: rows from metric
//! labels, Kubernetes-only values unknown), against the shared real Prometheus.

mod common;

use common::{Run, assert_cells, lviz, lviz_raw, row};
use lviz_testkit::mesh::EVAL_TIME;
use serde_json::Value;

/// `lviz` with only a kubeconfig whose cluster proxies linkerd-viz's Prometheus.
fn lviz_discovered(extra: &[&str]) -> Run {
    let e = common::env();
    e.kube.set_service_proxy("linkerd-viz", "prometheus", 9090, &e.prometheus_url);
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full = vec!["--at", at.as_str(), "--kubeconfig", kubeconfig.as_str()];
    full.extend(extra);
    lviz_raw(&full, &[])
}

/// `lviz --no-kube` against the shared Prometheus.
fn lviz_no_kube(args: &[&str]) -> Run {
    let e = common::env();
    let at = EVAL_TIME.to_string();
    let mut full = vec!["--prometheus-url", e.prometheus_url.as_str(), "--at", at.as_str(), "--no-kube"];
    full.extend(args);
    lviz_raw(&full, &[])
}

#[test]
fn discovered_prometheus_gives_the_same_output() {
    for args in [
        &["stat", "deploy", "-n", "emojivoto"][..],
        &["stat", "deploy", "-n", "emojivoto", "-o", "json"],
        &["routes", "deploy/web", "-n", "emojivoto"],
        &["edges", "deploy", "-A"],
        &["gateways"],
    ] {
        let direct = lviz(args).ok();
        let discovered = lviz_discovered(args).ok();
        assert_eq!(discovered.stdout, direct.stdout, "{args:?}");
        assert_eq!(discovered.stderr, direct.stderr, "{args:?}");
    }
    let e = common::env();
    let proxied = e
        .kube
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/api/v1/namespaces/linkerd-viz/services/prometheus:9090/proxy/api/v1/query"));
    assert!(proxied, "queries went through the service proxy");
}

#[test]
fn verbose_names_the_discovered_prometheus_on_stderr() {
    let run = lviz_discovered(&["-v", "stat", "deploy/web", "-n", "emojivoto"]).ok();
    assert!(run.stdout.starts_with("NAME"), "stdout stays data: {}", run.stdout);
    let url = common::env().kube.url();
    let want = format!(
        "lviz: Prometheus at {url}/api/v1/namespaces/linkerd-viz/services/prometheus:9090/proxy/ (linkerd-viz in namespace linkerd-viz, through the Kubernetes API service proxy)"
    );
    assert!(run.stderr.lines().any(|l| l == want), "{}", run.stderr);
}

#[test]
fn discovery_failure_explains_both_options() {
    // emojivoto has no `prometheus` Service.
    let run = lviz_discovered(&["--viz-namespace", "emojivoto", "stat", "deploy", "-n", "emojivoto"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: Kubernetes API at "), "{}", run.stderr);
    assert!(run.stderr.contains("--prometheus-url") && run.stderr.contains("install linkerd-viz"), "{}", run.stderr);
    // Auth flags belong to --prometheus-url.
    let run = lviz_discovered(&["--prometheus-header", "X-Scope-OrgID: t", "stat", "deploy"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// --- Prometheus-only mode -----------------------------------------------------------------------

const CELLS: [&str; 7] = ["MESHED", "SUCCESS", "RPS", "LATENCY_P50", "LATENCY_P95", "LATENCY_P99", "TCP_CONN"];

fn cells(values: [&str; 7]) -> Vec<(&'static str, &str)> {
    CELLS.iter().copied().zip(values).collect()
}

#[test]
fn no_kube_stat_shows_the_reference_numbers_with_unknown_pod_counts() {
    let run = lviz_no_kube(&["stat", "deploy", "-n", "emojivoto", "-o", "wide"]).ok();
    assert_eq!(run.stderr, "");
    let rows = run.table();
    assert_cells(row(&rows, "web"), &cells(["-", "93.33%", "3.0rps", "16ms", "35ms", "47ms", "5"]));
    assert_cells(row(&rows, "web"), &[("READ_BYTES/SEC", "470.0B/s"), ("WRITE_BYTES/SEC", "6500.0B/s")]);
    assert_cells(row(&rows, "emoji"), &cells(["-", "100.00%", "2.0rps", "3ms", "9ms", "10ms", "6"]));
    assert_cells(row(&rows, "voting"), &cells(["-", "80.00%", "1.0rps", "15ms", "75ms", "95ms", "3"]));

    let rows = lviz_no_kube(&["stat", "po", "-n", "emojivoto"]).ok().table();
    for pod in ["emoji-7f5d8c9b6c-4xk7p", "emoji-7f5d8c9b6c-r8m2n"] {
        assert_cells(row(&rows, pod), &[("STATUS", "-"), ("MESHED", "-"), ("SUCCESS", "100.00%"), ("RPS", "1.0rps")]);
        assert_cells(row(&rows, pod), &[("LATENCY_P50", "3ms"), ("LATENCY_P95", "9ms"), ("LATENCY_P99", "10ms")]);
    }
    let rows = lviz_no_kube(&["stat", "ns/emojivoto"]).ok().table();
    assert_cells(row(&rows, "emojivoto"), &cells(["-", "93.33%", "6.0rps", "11ms", "30ms", "70ms", "15"]));
    let rows = lviz_no_kube(&["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot"]).ok().table();
    assert_cells(row(&rows, "web"), &cells(["-", "90.00%", "2.0rps", "17ms", "45ms", "49ms", "1"]));
    let rows =
        lviz_no_kube(&["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/traffic", "--from-namespace", "ops"])
            .ok()
            .table();
    assert_cells(row(&rows, "web"), &[("SUCCESS", "100.00%"), ("RPS", "1.0rps"), ("LATENCY_P50", "17ms")]);
    let rows = lviz_no_kube(&["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/voting"]).ok().table();
    assert_cells(
        row(&rows, "web"),
        &[("SUCCESS", "80.00%"), ("RPS", "1.0rps"), ("LATENCY_P50", "16ms"), ("LATENCY_P95", "75ms")],
    );
    let rows = lviz_no_kube(&["stat", "deploy/traffic", "-n", "ops", "--to", "deploy/legacy"]).ok().table();
    assert_cells(row(&rows, "traffic"), &[("SUCCESS", "100.00%"), ("RPS", "0.5rps"), ("LATENCY_P99", "5ms")]);
    let rows = lviz_no_kube(&["stat", "svc/web-svc", "-n", "emojivoto"]).ok().table();
    assert_cells(row(&rows, "web-svc"), &cells(["-", "93.33%", "3.0rps", "17ms", "45ms", "49ms", "2"]));

    // JSON keeps linkerd's shape; it never carried pod counts.
    let json = lviz_no_kube(&["stat", "deploy/web", "-n", "emojivoto", "-o", "json"]).ok().json();
    assert_eq!(json[0]["success"].as_f64(), Some(0.9333333333333333));
    assert_eq!(json[0]["rps"].as_f64(), Some(3.0));
    // -l filters Kubernetes objects: refused rather than ignored.
    let run = lviz_no_kube(&["stat", "deploy", "-n", "emojivoto", "-l", "app=web"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("needs Kubernetes"), "{}", run.stderr);
}

fn route<'a>(table: &'a Value, name: &str) -> &'a Value {
    table
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["route"] == name))
        .unwrap_or_else(|| panic!("no route {name} in {table}"))
}

#[test]
fn no_kube_routes_come_from_route_labels() {
    let run = lviz_no_kube(&["routes", "deploy/web", "-n", "emojivoto"]).ok();
    let rows = run.table();
    let names: Vec<&str> = rows.iter().map(|r| r["ROUTE"].as_str()).collect();
    // Routes with no traffic (GET /api/leaderboard) are unknown without the ServiceProfile.
    assert_eq!(names, ["GET", "GET", "[DEFAULT]"], "{}", run.stdout);
    let json = lviz_no_kube(&["routes", "deploy/web", "-n", "emojivoto", "-o", "json"]).ok().json();
    let table = &json["deployment/web"];
    let list = route(table, "GET /api/list");
    assert_eq!((list["success"].as_f64(), list["rps"].as_f64()), (Some(1.0), Some(1.0)), "{list}");
    assert_eq!([&list["latency_ms_p50"], &list["latency_ms_p95"], &list["latency_ms_p99"]], [17, 28, 30]);
    let vote = route(table, "GET /api/vote");
    assert_eq!(vote["success"].as_f64(), Some(0.8));
    assert_eq!([&vote["latency_ms_p50"], &vote["latency_ms_p95"], &vote["latency_ms_p99"]], [17, 45, 49]);
    let default = route(table, "[DEFAULT]");
    assert_eq!([&default["latency_ms_p50"], &default["latency_ms_p95"], &default["latency_ms_p99"]], [16, 28, 30]);
    assert!(table.as_array().is_some_and(|r| r.len() == 3 && r.iter().all(|r| r["authority"] == "web-svc")), "{table}");

    let json = lviz_no_kube(&["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "json"])
        .ok()
        .json();
    let table = &json["deployment/vote-bot"];
    let list = route(table, "GET /api/list");
    assert_eq!([&list["latency_ms_p50"], &list["latency_ms_p95"], &list["latency_ms_p99"]], [18, 45, 49]);
    let vote = route(table, "GET /api/vote");
    assert_eq!(vote["effective_success"].as_f64().or(vote["success"].as_f64()), Some(0.8), "{vote}");
    let run = lviz_no_kube(&["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "deploy/web"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--to svc/NAME"), "{}", run.stderr);
}

#[test]
fn no_kube_edges_have_unknown_client_identities() {
    let json = lviz_no_kube(&["edges", "deploy", "-n", "ops", "-o", "json"]).ok().json();
    let edges = json.as_array().expect("array");
    let pairs: Vec<(String, String)> = edges.iter().map(|e| (e["src"].to_string(), e["dst"].to_string())).collect();
    assert_eq!(pairs.len(), 3, "{pairs:?}");
    for e in edges {
        assert!(e["client_id"].is_null(), "unknown, not empty: {e}");
    }
    let legacy = edges.iter().find(|e| e["dst"] == "legacy").expect("traffic → legacy");
    assert_eq!(legacy["no_tls_reason"], "Not Provided By Service Discovery");
    assert_eq!(legacy["server_id"], "");
    let web = edges.iter().find(|e| e["dst"] == "web").expect("traffic → web");
    assert_eq!(web["server_id"], "web.emojivoto");
    let wide = lviz_no_kube(&["edges", "deploy", "-n", "ops", "-o", "wide"]).ok();
    let web_line = wide.stdout.lines().find(|l| l.starts_with("traffic") && l.contains(" web ")).expect("row");
    assert!(web_line.split_whitespace().any(|c| c == "-"), "{}", wide.stdout);
}

#[test]
fn no_kube_gateways_have_unknown_paired_services() {
    let run = lviz_no_kube(&["gateways"]).ok();
    let rows = run.table();
    assert_cells(
        row_by(&rows, "CLUSTER", "east"),
        &[
            ("ALIVE", "True"),
            ("NUM_SVC", "-"),
            ("LATENCY_P50", "26ms"),
            ("LATENCY_P95", "175ms"),
            ("LATENCY_P99", "195ms"),
        ],
    );
    assert_cells(row_by(&rows, "CLUSTER", "west"), &[("ALIVE", "False"), ("NUM_SVC", "-"), ("LATENCY_P50", "-")]);
    let json = lviz_no_kube(&["gateways", "-o", "json"]).ok().json();
    assert!(json[0]["paired_services"].is_null(), "{json}");
}

fn row_by<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    col: &str,
    value: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter()
        .find(|r| r.get(col).is_some_and(|v| v == value))
        .unwrap_or_else(|| panic!("no {col}={value} in {rows:#?}"))
}

#[test]
fn no_kube_without_url_is_a_usage_error() {
    let run = lviz_raw(&["--no-kube", "stat", "deploy"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--prometheus-url"), "{}", run.stderr);
}

//! `lviz routes`, `edges` and `gateways` end to end against the real Prometheus and the fake
//! Kubernetes API. Expected values are proxy-metrics.md §7.6 (the generator's traffic model).

mod common;

use common::lviz;
use serde_json::Value;

fn route<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r["route"] == name))
        .unwrap_or_else(|| panic!("no route {name} in {rows:#}"))
}

fn latencies(r: &Value) -> [i64; 3] {
    ["latency_ms_p50", "latency_ms_p95", "latency_ms_p99"].map(|k| r[k].as_i64().unwrap_or(-1))
}

#[test]
fn routes_of_web_inbound() {
    let json = lviz(&["routes", "deploy/web", "-n", "emojivoto", "-o", "json"]).ok().json();
    let rows = &json["deployment/web"];
    let list = route(rows, "GET /api/list");
    assert_eq!(
        (list["authority"].as_str(), list["success"].as_f64(), list["rps"].as_f64()),
        (Some("web-svc"), Some(1.0), Some(1.0))
    );
    assert_eq!(latencies(list), [17, 28, 30]);
    let vote = route(rows, "GET /api/vote");
    assert_eq!((vote["success"].as_f64(), vote["rps"].as_f64()), (Some(0.8), Some(1.0)));
    assert_eq!(latencies(vote), [17, 45, 49]);
    let default = route(rows, "[DEFAULT]");
    assert_eq!((default["success"].as_f64(), default["rps"].as_f64()), (Some(1.0), Some(1.0)));
    assert_eq!(latencies(default), [16, 28, 30]);
    let idle = route(rows, "GET /api/leaderboard");
    assert_eq!((idle["success"].as_f64(), idle["rps"].as_f64()), (Some(0.0), Some(0.0)));
}

#[test]
fn routes_table_shows_dashes_and_trailing_blank_line() {
    let run = lviz(&["routes", "deploy/web", "-n", "emojivoto"]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("ROUTE "), "{}", run.stdout);
    let leaderboard = lines.iter().find(|l| l.starts_with("GET /api/leaderboard")).expect("leaderboard row");
    assert_eq!(leaderboard.split_whitespace().filter(|c| *c == "-").count(), 5, "{leaderboard}");
    let list = lines.iter().find(|l| l.starts_with("GET /api/list")).expect("list row");
    assert!(list.ends_with("web-svc   100.00%   1.0rps          17ms          28ms          30ms"), "{list:?}");
    assert!(run.stdout.ends_with("\n\n"), "{:?}", run.stdout);
    // Byte order: `GET …` sorts before `[DEFAULT]`.
    let order: Vec<&str> =
        lines[1..].iter().filter(|l| !l.is_empty()).map(|l| l.split("   ").next().unwrap_or("").trim()).collect();
    assert_eq!(order, ["GET /api/leaderboard", "GET /api/list", "GET /api/vote", "[DEFAULT]"]);
}

#[test]
fn routes_to_a_service_effective_and_actual() {
    let json = lviz(&["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "json"]).ok().json();
    let rows = &json["deployment/vote-bot"];
    let list = route(rows, "GET /api/list");
    assert_eq!(list["effective_success"].as_f64(), Some(1.0));
    assert_eq!(list["effective_rps"].as_f64(), Some(1.0));
    assert_eq!(list["actual_success"].as_f64(), Some(1.0), "no retries: actual equals effective");
    assert_eq!(latencies(list), [18, 45, 49]);
    let vote = route(rows, "GET /api/vote");
    assert_eq!((vote["effective_success"].as_f64(), vote["actual_rps"].as_f64()), (Some(0.8), Some(1.0)));
    assert_eq!(latencies(vote), [16, 45, 49]);
    let default = route(rows, "[DEFAULT]");
    assert_eq!(default["effective_rps"].as_f64(), Some(0.0));

    let wide = lviz(&["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"]).ok();
    assert!(wide.stdout.starts_with("ROUTE "), "{}", wide.stdout);
    assert!(wide.stdout.contains("EFFECTIVE_SUCCESS   EFFECTIVE_RPS   ACTUAL_SUCCESS   ACTUAL_RPS"), "{}", wide.stdout);
}

#[test]
fn routes_without_profile_show_only_default() {
    let json = lviz(&["routes", "deploy/voting", "-n", "emojivoto", "-o", "json"]).ok().json();
    let rows = json["deployment/voting"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{json:#}");
    assert_eq!(rows[0]["route"], "[DEFAULT]");
}

#[test]
fn routes_of_a_missing_target_exit_1() {
    let run = lviz(&["routes", "deploy/nope", "-n", "emojivoto"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("\"nope\" not found"), "{}", run.stderr);
}

fn edge<'a>(edges: &'a Value, src: &str, dst: &str) -> &'a Value {
    edges
        .as_array()
        .and_then(|e| e.iter().find(|e| e["src"] == src && e["dst"] == dst))
        .unwrap_or_else(|| panic!("no edge {src} -> {dst} in {edges:#}"))
}

#[test]
fn edges_of_all_deployments() {
    let json = lviz(&["edges", "deploy", "-A", "-o", "json"]).ok().json();
    let e = edge(&json, "vote-bot", "web");
    assert_eq!(
        (e["client_id"].as_str(), e["server_id"].as_str(), e["no_tls_reason"].as_str()),
        (Some("default.emojivoto"), Some("web.emojivoto"), Some(""))
    );
    assert_eq!(edge(&json, "web", "emoji")["server_id"], "emoji.emojivoto");
    assert_eq!(edge(&json, "web", "voting")["server_id"], "voting.emojivoto");
    for dst in ["emoji", "vote-bot", "voting", "web"] {
        let e = edge(&json, "prometheus", dst);
        assert_eq!(
            (e["src_namespace"].as_str(), e["dst_namespace"].as_str()),
            (Some("linkerd-viz"), Some("emojivoto"))
        );
        assert_eq!(e["client_id"], "prometheus.linkerd-viz");
    }
    assert_eq!(edge(&json, "prometheus", "traffic")["server_id"], "traffic.ops");
    assert_eq!(edge(&json, "traffic", "web")["client_id"], "traffic.ops");
    let legacy = edge(&json, "traffic", "legacy");
    assert_eq!(
        (legacy["server_id"].as_str(), legacy["no_tls_reason"].as_str()),
        (Some(""), Some("Not Provided By Service Discovery"))
    );
    assert_eq!(json.as_array().map(Vec::len), Some(10), "{json:#}");
}

#[test]
fn edges_of_one_namespace() {
    let json = lviz(&["edges", "deploy", "-n", "ops", "-o", "json"]).ok().json();
    let pairs: Vec<(String, String)> = json
        .as_array()
        .expect("array")
        .iter()
        .map(|e| (e["src"].as_str().unwrap_or("").to_string(), e["dst"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(pairs.len(), 3, "{pairs:?}");
    for (s, d) in [("prometheus", "traffic"), ("traffic", "web"), ("traffic", "legacy")] {
        assert!(pairs.contains(&(s.to_string(), d.to_string())), "{s}->{d} missing: {pairs:?}");
    }
    let table = lviz(&["edges", "deploy", "-n", "ops"]).ok();
    assert!(table.stdout.starts_with("SRC "), "{}", table.stdout);
    assert!(table.stdout.contains("Not Provided By Service Discovery"), "{}", table.stdout);
    assert!(table.stdout.contains("√"), "{}", table.stdout);
    assert!(!table.stdout.contains('\x1b'), "no color when piped");
}

#[test]
fn gateways_from_service_mirror_metrics() {
    let json = lviz(&["gateways", "-o", "json"]).ok().json();
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), 2, "{json:#}");
    let east = rows.iter().find(|r| r["cluster_name"] == "east").expect("east");
    assert_eq!(east["alive"], true);
    assert_eq!(east["paired_services"], 3);
    assert_eq!(
        [east["latency_ms_p50"].as_i64(), east["latency_ms_p95"].as_i64(), east["latency_ms_p99"].as_i64()],
        [Some(26), Some(175), Some(195)]
    );
    let west = rows.iter().find(|r| r["cluster_name"] == "west").expect("west");
    assert_eq!(west["alive"], false);
    assert_eq!(west["paired_services"], 1);

    let table = lviz(&["gateways"]).ok();
    let rows = common::parse_table(&table.stdout);
    common::assert_cells(
        &rows[0],
        &[("CLUSTER", "east"), ("ALIVE", "True"), ("NUM_SVC", "3"), ("LATENCY_P50", "26ms"), ("LATENCY_P99", "195ms")],
    );
    common::assert_cells(&rows[1], &[("CLUSTER", "west"), ("ALIVE", "False"), ("NUM_SVC", "1"), ("LATENCY_P50", "-")]);
}

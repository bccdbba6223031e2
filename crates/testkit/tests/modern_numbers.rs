//! Linkerd's exact queries for stat-inbound, stat-outbound and authz (README "Modern Linkerd")
//! against a real Prometheus loaded with the emojivoto mesh, 2.42 and 3.5.3: every sample equals
//! the answer the mesh model derives on its own (`Mesh::model_query`), and the headline numbers
//! of the README's tables follow from the model.

mod common;

use common::{Labels, assert_model_answer, authz, modern_queries, query, stat_inbound, stat_outbound};
use lviz_testkit::mesh::Mesh;
use lviz_testkit::prometheus::{shared_prometheus, shared_prometheus3};

async fn answers_match_the_model(base: &str) {
    let mesh = Mesh::emojivoto();
    let queries = modern_queries();
    assert!(queries.len() > 50, "{}", queries.len());
    for expr in &queries {
        let answer = query(base, expr).await;
        assert_model_answer(&mesh, expr, &answer);
    }
}

/// The builders print the reference's examples (modern-linkerd.md §1, viz-semantics.md §7).
#[test]
fn query_strings_are_linkerds() {
    let inbound = stat_inbound("deployment", Some("web"), "emojivoto", "1m");
    assert_eq!(
        inbound[0],
        r#"sum(increase(response_total{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (srv_name, srv_kind, route_name, route_kind, classification, target_port, namespace, deployment)"#
    );
    assert_eq!(
        inbound[1],
        r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (le, srv_name, srv_kind, route_name, route_kind, target_port, namespace, deployment))"#
    );
    let outbound = stat_outbound("deployment", Some("web"), "emojivoto", "1m");
    assert_eq!(outbound.len(), 18, "9 queries per protocol");
    assert_eq!(
        outbound[4],
        r#"sum(increase(outbound_http_route_request_statuses_total{deployment="web", namespace="emojivoto"}[1m])) by (parent_name, parent_port, route_name, route_kind, http_status, error, namespace, deployment)"#
    );
    let authz = authz("deployment", Some("web"), Some("emojivoto"), "1m");
    assert_eq!(
        authz[0],
        r#"sum(increase(response_total{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name, classification, tls)"#
    );
    assert_eq!(
        authz[2],
        r#"sum(increase(inbound_http_authz_deny_total{deployment="web", namespace="emojivoto"}[1m])) by (route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name)"#
    );
}

#[tokio::test]
async fn prometheus2_answers_linkerds_queries_like_the_model() {
    answers_match_the_model(&shared_prometheus().url()).await;
}

#[tokio::test]
async fn prometheus3_answers_linkerds_queries_like_the_model() {
    let Some(prom) = shared_prometheus3("prometheus3_answers_linkerds_queries_like_the_model") else { return };
    answers_match_the_model(&prom.url()).await;
}

/// Values keyed by the named labels (absent labels as "").
fn keyed(samples: Vec<common::ModelRow>, keys: &[&str]) -> Vec<(Vec<String>, f64)> {
    let mut out: Vec<(Vec<String>, f64)> = samples
        .into_iter()
        .map(|(l, v)| (keys.iter().map(|k| l.get(*k).cloned().unwrap_or_default()).collect(), v))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn model(mesh: &Mesh, expr: &str) -> Vec<(Labels, f64)> {
    mesh.model_query(expr).expect("model").into_iter().map(|s| (s.labels, s.value)).collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The README's stat-inbound rows: counts and raw quantiles per (deployment, server, route).
#[test]
fn readme_stat_inbound_numbers() {
    let mesh = Mesh::emojivoto();
    let q = stat_inbound("deployment", None, "emojivoto", "1m");
    let counts = keyed(model(&mesh, &q[0]), &["deployment", "srv_name", "route_name", "route_kind", "classification"]);
    assert_eq!(
        counts,
        [
            (strs(&["emoji", "all-unauthenticated", "default", "default", "success"]), 120.0),
            (strs(&["voting", "voting-grpc", "voting-api", "HTTPRoute", "failure"]), 12.0),
            (strs(&["voting", "voting-grpc", "voting-api", "HTTPRoute", "success"]), 48.0),
            (strs(&["web", "all-unauthenticated", "default", "default", "failure"]), 12.0),
            (strs(&["web", "all-unauthenticated", "default", "default", "success"]), 168.0),
        ]
    );
    let p50 = keyed(model(&mesh, &q[1]), &["deployment"]);
    let p99 = keyed(model(&mesh, &q[3]), &["deployment"]);
    let want50 = [2.75, 15.0, 16.428_571_428_571];
    let want99 = [9.75, 95.0, 47.0];
    for i in 0..3 {
        assert!((p50[i].1 - want50[i]).abs() < 1e-9 && (p99[i].1 - want99[i]).abs() < 1e-9, "{p50:?} {p99:?}");
    }
}

/// The README's stat-outbound rows: route and backend counts, timeouts and retries.
#[test]
fn readme_stat_outbound_numbers() {
    let mesh = Mesh::emojivoto();
    let q = stat_outbound("deployment", None, "emojivoto", "1m");
    // HTTP: [0] backend statuses, [1..4] backend quantiles, [4] route statuses, [5] retries.
    let backend = keyed(model(&mesh, &q[0]), &["backend_name", "http_status", "error"]);
    assert_eq!(
        backend,
        [
            (strs(&["web-svc-east", "200", ""]), 96.0),
            (strs(&["web-svc-east", "500", ""]), 12.0),
            (strs(&["web-svc-west", "", "RESPONSE_HEADERS_TIMEOUT"]), 36.0),
        ]
    );
    let west_p50 = keyed(model(&mesh, &q[1]), &["backend_name"]);
    assert!(west_p50[1].1.is_nan(), "a backend that never answers has no latency: {west_p50:?}");
    assert!((west_p50[0].1 - 0.045_833_333_333).abs() < 1e-9, "{west_p50:?}");
    let route = keyed(model(&mesh, &q[4]), &["route_name", "http_status", "error"]);
    assert_eq!(
        route,
        [
            (strs(&["web-multicluster", "", "REQUEST_TIMEOUT"]), 6.0),
            (strs(&["web-multicluster", "", "RESPONSE_HEADERS_TIMEOUT"]), 6.0),
            (strs(&["web-multicluster", "200", ""]), 96.0),
            (strs(&["web-multicluster", "500", ""]), 12.0),
        ]
    );
    assert_eq!(keyed(model(&mesh, &q[5]), &["route_name"]), [(strs(&["web-multicluster"]), 24.0)]);
    // gRPC: [9] backend statuses, [13] route statuses, [14] retries.
    let attempts = keyed(model(&mesh, &q[9]), &["backend_name", "grpc_status"]);
    assert_eq!(
        attempts[1..],
        [
            (strs(&["voting-svc", "OK"]), 48.0),
            (strs(&["voting-svc", "UNAVAILABLE"]), 6.0),
            (strs(&["voting-svc", "UNKNOWN"]), 12.0)
        ]
    );
    let grpc = keyed(model(&mesh, &q[13]), &["parent_name", "route_name", "grpc_status"]);
    assert_eq!(
        grpc,
        [
            (strs(&["emoji-svc", "grpc", "OK"]), 120.0),
            (strs(&["voting-svc", "voting-rpc", "OK"]), 48.0),
            (strs(&["voting-svc", "voting-rpc", "UNKNOWN"]), 12.0),
        ]
    );
    let retries = keyed(model(&mesh, &q[14]), &["parent_name"]);
    assert_eq!(retries, [(strs(&["emoji-svc"]), 0.0), (strs(&["voting-svc"]), 6.0)]);
}

/// The README's authz rows for voting: allowed, denied (no authorization labels) and latency.
#[test]
fn readme_authz_numbers() {
    let mesh = Mesh::emojivoto();
    let q = authz("deployment", Some("voting"), Some("emojivoto"), "1m");
    let keys = ["route_name", "srv_name", "authz_name", "classification"];
    assert_eq!(
        keyed(model(&mesh, &q[0]), &keys),
        [
            (strs(&["voting-api", "voting-grpc", "voting-allow-web", "failure"]), 12.0),
            (strs(&["voting-api", "voting-grpc", "voting-allow-web", "success"]), 48.0),
        ]
    );
    assert_eq!(
        keyed(model(&mesh, &q[1]), &keys[..3]),
        [(strs(&["voting-api", "voting-grpc", "voting-allow-web"]), 60.0)]
    );
    assert_eq!(keyed(model(&mesh, &q[2]), &keys[..3]), [(strs(&["voting-api", "voting-grpc", ""]), 6.0)]);
    let all = authz("deployment", None, None, "1m");
    let default = keyed(model(&mesh, &all[0]), &["srv_kind", "classification"]);
    assert_eq!(default[0], (strs(&["default", "failure"]), 12.0));
    assert_eq!(default[1], (strs(&["default", "success"]), 288.0));
}

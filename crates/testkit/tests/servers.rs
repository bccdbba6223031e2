//! Launcher variants: Prometheus with a route prefix, and VictoriaMetrics loaded with the same mesh.

use lviz_testkit::EVAL_TIME;
use lviz_testkit::mesh::Mesh;
use lviz_testkit::prometheus::{PrometheusOptions, PrometheusServer, VictoriaMetricsServer};

async fn scalar(base: &str, expr: &str) -> f64 {
    let time = EVAL_TIME.to_string();
    let resp: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/query"))
        .form(&[("query", expr), ("time", time.as_str())])
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("JSON");
    let result = resp["data"]["result"].as_array().expect("vector");
    assert_eq!(result.len(), 1, "{expr}: {resp}");
    result[0]["value"][1].as_str().expect("value").parse().expect("float")
}

#[tokio::test]
async fn prometheus_with_route_prefix() {
    let opts = PrometheusOptions {
        start: EVAL_TIME - 300,
        end: EVAL_TIME,
        route_prefix: Some("/prom".into()),
        ..Default::default()
    };
    let prom = tokio::task::spawn_blocking(move || PrometheusServer::start_with(&Mesh::emojivoto(), &opts))
        .await
        .expect("join")
        .expect("start");
    assert!(prom.url().ends_with("/prom"));
    let v = scalar(
        &prom.url(),
        r#"sum(increase(response_total{direction="inbound",deployment="web",classification="success"}[1m]))"#,
    )
    .await;
    assert!((v - 168.0).abs() < 1e-9, "{v}");
}

#[tokio::test]
async fn victoria_metrics_holds_the_same_series() {
    let vm = tokio::task::spawn_blocking(|| VictoriaMetricsServer::start(&Mesh::emojivoto()))
        .await
        .expect("join")
        .expect("start");
    // Gauges are exact in any engine; VictoriaMetrics' increase() does not extrapolate.
    let conns =
        scalar(&vm.url(), r#"sum(tcp_open_connections{direction="inbound",namespace="emojivoto",deployment="web"})"#)
            .await;
    assert_eq!(conns, 5.0);
    let alive = scalar(&vm.url(), r#"sum(gateway_alive{target_cluster_name="east"})"#).await;
    assert_eq!(alive, 1.0);
}

//! Against a real Prometheus loaded by the crate, instant queries at `EVAL_TIME` reproduce the raw
//! numbers of proxy-metrics.md §7.6, independently of lviz.

use std::collections::BTreeMap;

use lviz_testkit::EVAL_TIME;
use lviz_testkit::prometheus::shared_prometheus;

type Sample = (BTreeMap<String, String>, f64);

async fn query(expr: &str) -> Vec<Sample> {
    let url = format!("{}/api/v1/query", shared_prometheus().url());
    let time = EVAL_TIME.to_string();
    let resp: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .form(&[("query", expr), ("time", time.as_str())])
        .send()
        .await
        .expect("query Prometheus")
        .json()
        .await
        .expect("JSON answer");
    assert_eq!(resp["status"], "success", "{expr}: {resp}");
    resp["data"]["result"]
        .as_array()
        .expect("vector result")
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .expect("metric")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let v: f64 = s["value"][1].as_str().expect("value").parse().expect("float");
            (labels, v)
        })
        .collect()
}

/// The single value of a query that must return exactly one sample.
async fn scalar(expr: &str) -> f64 {
    let r = query(expr).await;
    assert_eq!(r.len(), 1, "{expr}: {r:?}");
    r[0].1
}

/// Values keyed by one label.
async fn by(expr: &str, label: &str) -> BTreeMap<String, f64> {
    query(expr).await.into_iter().map(|(l, v)| (l.get(label).cloned().unwrap_or_default(), v)).collect()
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < 1e-6, "{what}: got {actual}, want {expected}");
}

async fn quantiles(selector: &str, group: &str) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (i, q) in [0.5, 0.95, 0.99].iter().enumerate() {
        let e = format!("histogram_quantile({q}, sum(irate({selector}[1m])) by (le{group}))");
        out[i] = scalar(&e).await;
    }
    out
}

fn close3(actual: [f64; 3], expected: [f64; 3], what: &str) {
    for i in 0..3 {
        assert!((actual[i] - expected[i]).abs() < 0.005, "{what} quantile {i}: got {actual:?}, want {expected:?}");
    }
}

async fn success_failure(selector: &str) -> (f64, f64) {
    let r = by(&format!("sum(increase({selector}[1m])) by (classification)"), "classification").await;
    (r.get("success").copied().unwrap_or(0.0), r.get("failure").copied().unwrap_or(0.0))
}

#[tokio::test]
async fn deployments_inbound() {
    let cases = [
        ("web", (168.0, 12.0), [16.428571, 35.0, 47.0]),
        ("emoji", (120.0, 0.0), [2.75, 8.75, 9.75]),
        ("voting", (48.0, 12.0), [15.0, 75.0, 95.0]),
    ];
    for (deploy, (s, f), q) in cases {
        let l = format!(r#"direction="inbound",namespace="emojivoto",deployment="{deploy}""#);
        let (gs, gf) = success_failure(&format!("response_total{{{l}}}")).await;
        close(gs, s, deploy);
        close(gf, f, deploy);
        close3(quantiles(&format!("response_latency_ms_bucket{{{l}}}"), "").await, q, deploy);
    }
    let (s, f) = success_failure(r#"response_total{direction="inbound",namespace="emojivoto"}"#).await;
    close(s, 336.0, "ns success");
    close(f, 24.0, "ns failure");
    let q = quantiles(r#"response_latency_ms_bucket{direction="inbound",namespace="emojivoto"}"#, "").await;
    close3(q, [10.555556, 30.0, 70.0], "ns");
    // Each emoji pod on its own.
    let per_pod = by(
        r#"sum(increase(response_total{direction="inbound",namespace="emojivoto",deployment="emoji"}[1m])) by (pod)"#,
        "pod",
    )
    .await;
    assert_eq!(per_pod.len(), 2);
    for v in per_pod.values() {
        close(*v, 60.0, "emoji pod");
    }
}

#[tokio::test]
async fn from_to_and_services() {
    let from = r#"direction="outbound",namespace="emojivoto",deployment="vote-bot",dst_namespace="emojivoto",dst_deployment="web""#;
    let (s, f) = success_failure(&format!("response_total{{{from}}}")).await;
    close(s, 108.0, "from vote-bot");
    close(f, 12.0, "from vote-bot");
    close3(quantiles(&format!("response_latency_ms_bucket{{{from}}}"), "").await, [17.272727, 45.0, 49.0], "from");
    close(scalar(&format!("sum(tcp_open_connections{{{from}}})")).await, 1.0, "from conns");
    close(
        scalar(&format!(r#"sum(increase(tcp_read_bytes_total{{{from},peer="dst"}}[1m]))"#)).await,
        90000.0,
        "from read",
    );
    close(
        scalar(&format!(r#"sum(increase(tcp_write_bytes_total{{{from},peer="dst"}}[1m]))"#)).await,
        18000.0,
        "from write",
    );

    let traffic =
        r#"direction="outbound",namespace="ops",deployment="traffic",dst_namespace="emojivoto",dst_deployment="web""#;
    let (s, f) = success_failure(&format!("response_total{{{traffic}}}")).await;
    close(s, 60.0, "traffic");
    close(f, 0.0, "traffic");
    close3(
        quantiles(&format!("response_latency_ms_bucket{{{traffic}}}"), "").await,
        [16.666667, 45.0, 49.0],
        "traffic",
    );

    let to_voting = r#"direction="outbound",namespace="emojivoto",deployment="web",dst_namespace="emojivoto",dst_deployment="voting""#;
    let (s, f) = success_failure(&format!("response_total{{{to_voting}}}")).await;
    close(s, 48.0, "to voting");
    close(f, 12.0, "to voting");

    let to_legacy =
        r#"direction="outbound",namespace="ops",deployment="traffic",dst_namespace="ops",dst_deployment="legacy""#;
    let (s, _) = success_failure(&format!("response_total{{{to_legacy}}}")).await;
    close(s, 30.0, "to legacy");
    close3(quantiles(&format!("response_latency_ms_bucket{{{to_legacy}}}"), "").await, [2.75, 4.75, 4.95], "legacy");

    let svc = r#"authority=~"^web-svc.emojivoto.svc.cluster.local.*",direction="outbound""#;
    let (s, f) = success_failure(&format!("response_total{{{svc}}}")).await;
    close(s, 168.0, "svc");
    close(f, 12.0, "svc");
    close3(quantiles(&format!("response_latency_ms_bucket{{{svc}}}"), "").await, [17.058824, 45.0, 49.0], "svc");
}

#[tokio::test]
async fn routes() {
    let l = r#"deployment="web",direction="inbound",dst=~"(web-svc.emojivoto.svc.cluster.local)(:\\d+)?",namespace="emojivoto""#;
    let counts =
        query(&format!("sum(increase(route_response_total{{{l}}}[1m])) by (rt_route, dst, classification)")).await;
    let get = |route: &str, class: &str| {
        counts
            .iter()
            .find(|(k, _)| k.get("rt_route").map(String::as_str).unwrap_or("") == route && k["classification"] == class)
            .map(|(_, v)| *v)
            .unwrap_or(0.0)
    };
    close(get("GET /api/list", "success"), 60.0, "list");
    close(get("GET /api/list", "failure"), 0.0, "list");
    close(get("GET /api/vote", "success"), 48.0, "vote");
    close(get("GET /api/vote", "failure"), 12.0, "vote");
    close(get("", "success"), 60.0, "default");
    assert!(counts.iter().all(|(k, _)| k.get("rt_route").map(String::as_str) != Some("GET /api/leaderboard")));
    let q =
        quantiles(&format!(r#"route_response_latency_ms_bucket{{{l},rt_route="GET /api/list"}}"#), ", dst, rt_route")
            .await;
    close3(q, [16.666667, 28.333333, 29.666667], "list latency");
    let q =
        quantiles(&format!(r#"route_response_latency_ms_bucket{{{l},rt_route="GET /api/vote"}}"#), ", dst, rt_route")
            .await;
    close3(q, [16.666667, 45.0, 49.0], "vote latency");

    // Outbound at vote-bot, with the actual (per-attempt) counters equal to the effective ones.
    let out = r#"deployment="vote-bot",direction="outbound",namespace="emojivoto",dst=~"(web-svc.emojivoto.svc.cluster.local)(:\\d+)?""#;
    for family in ["route_response_total", "route_actual_response_total"] {
        let r = by(
            &format!(r#"sum(increase({family}{{{out},rt_route="GET /api/list"}}[1m])) by (classification)"#),
            "classification",
        )
        .await;
        close(r["success"], 60.0, family);
    }
    let q =
        quantiles(&format!(r#"route_response_latency_ms_bucket{{{out},rt_route="GET /api/list"}}"#), ", dst, rt_route")
            .await;
    close3(q, [18.333333, 45.0, 49.0], "vote-bot list latency");
}

#[tokio::test]
async fn tcp() {
    let conns =
        by(r#"sum(tcp_open_connections{direction="inbound",namespace="emojivoto"}) by (deployment)"#, "deployment")
            .await;
    close(conns["web"], 5.0, "web conns");
    close(conns["emoji"], 6.0, "emoji conns");
    close(conns["voting"], 3.0, "voting conns");
    close(conns["vote-bot"], 1.0, "vote-bot conns");
    let read = by(
        r#"sum(increase(tcp_read_bytes_total{direction="inbound",namespace="emojivoto",peer="src"}[1m])) by (deployment)"#,
        "deployment",
    )
    .await;
    let write = by(
        r#"sum(increase(tcp_write_bytes_total{direction="inbound",namespace="emojivoto",peer="src"}[1m])) by (deployment)"#,
        "deployment",
    )
    .await;
    for (d, r, w) in [
        ("web", 28200.0, 390000.0),
        ("emoji", 14400.0, 420000.0),
        ("voting", 7200.0, 186000.0),
        ("vote-bot", 1200.0, 180000.0),
    ] {
        close(read[d], r, d);
        close(write[d], w, d);
    }
}

#[tokio::test]
async fn edges() {
    let r = query(
        r#"sum(tcp_open_connections{deployment!="", direction="outbound", dst_deployment!=""}) by (deployment, dst_deployment, pod, server_id, namespace, dst_namespace, no_tls_reason)"#,
    )
    .await;
    let mut edges: Vec<(String, String, String)> = r
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(l, _)| {
            (l["deployment"].clone(), l["dst_deployment"].clone(), l.get("no_tls_reason").cloned().unwrap_or_default())
        })
        .collect();
    edges.sort();
    edges.dedup();
    let want: Vec<(String, String, String)> = [
        ("prometheus", "emoji", ""),
        ("prometheus", "traffic", ""),
        ("prometheus", "vote-bot", ""),
        ("prometheus", "voting", ""),
        ("prometheus", "web", ""),
        ("traffic", "legacy", "not_provided_by_service_discovery"),
        ("traffic", "web", ""),
        ("vote-bot", "web", ""),
        ("web", "emoji", ""),
        ("web", "voting", ""),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(edges, want);
}

#[tokio::test]
async fn gateways() {
    let alive =
        by("sum(gateway_alive) by (gateway_namespace, target_cluster_name, gateway_name)", "target_cluster_name").await;
    close(alive["east"], 1.0, "east alive");
    close(alive["west"], 0.0, "west alive");
    let q = quantiles(r#"gateway_probe_latency_ms_bucket{target_cluster_name="east"}"#, ", target_cluster_name").await;
    close3(q, [26.25, 175.0, 195.0], "east");
    let west = scalar(
        r#"histogram_quantile(0.5, sum(irate(gateway_probe_latency_ms_bucket{target_cluster_name="west"}[1m])) by (le, target_cluster_name))"#,
    )
    .await;
    assert!(west.is_nan(), "west p50 {west}");
    let r = query(r#"gateway_alive{target_cluster_name="east"}"#).await;
    assert_eq!(r[0].0["job"], "linkerd-multicluster-controller");
    assert_eq!(r[0].0["instance"], "10.42.3.41:9999");
    assert_eq!(r[0].0["component"], "service-mirror");
    assert!(!r[0].0.contains_key("namespace"));
}

#[tokio::test]
async fn web_inbound_failure_series_labels() {
    // §3.1's example series, label for label.
    let r = query(r#"response_total{direction="inbound",deployment="web",classification="failure"}"#).await;
    assert_eq!(r.len(), 1, "{r:?}");
    let want: BTreeMap<String, String> = [
        ("__name__", "response_total"),
        ("app", "web-svc"),
        ("authz_kind", "default"),
        ("authz_name", "all-unauthenticated"),
        ("classification", "failure"),
        ("client_id", "default.emojivoto.serviceaccount.identity.linkerd.cluster.local"),
        ("control_plane_ns", "linkerd"),
        ("deployment", "web"),
        ("direction", "inbound"),
        ("instance", "10.42.0.12:4191"),
        ("job", "linkerd-proxy"),
        ("namespace", "emojivoto"),
        ("pod", "web-6b8c6f9d8b-9kq2x"),
        ("pod_template_hash", "6b8c6f9d8b"),
        ("route_kind", "default"),
        ("route_name", "default"),
        ("srv_kind", "default"),
        ("srv_name", "all-unauthenticated"),
        ("srv_port", "8080"),
        ("status_code", "500"),
        ("target_addr", "10.42.0.12:8080"),
        ("target_ip", "10.42.0.12"),
        ("target_port", "8080"),
        ("tls", "true"),
        ("version", "v11"),
        ("workload_ns", "emojivoto"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(r[0].0, want);
}

//! Linkerd's StatSummary unit-test vectors (`../shared/conformance/queries.json`) run through the
//! real engine: the case's Kubernetes objects are served by the fake API server and read with the
//! real kube client; Prometheus is a stand-in that answers every query with the case's vector,
//! which is how the upstream tests mock it (the only way these vectors can be reproduced).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use lviz_api::{Answer, Envelope, Rejection, Stat, StatSummaryRequest, StatSummaryResponse, Validated};
use lviz_engine::{Engine, EngineSettings, Metrics, QueryPlan};
use lviz_k8s::{self as k8s, KubeSettings};
use lviz_prom::{BackendError, Sample};
use lviz_testkit::kube::FakeKube;
use serde_json::Value;

struct SameVector(Vec<Sample>);

impl Metrics for SameVector {
    fn query<'a>(&'a self, _: &'a str, _: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
    fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>> {
        Box::pin(async { None })
    }
}

fn cases() -> Option<Vec<Value>> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance"));
    if !dir.is_dir() {
        assert!(std::env::var("LVIZ_REQUIRE_CONFORMANCE").as_deref() != Ok("1"), "{} is missing", dir.display());
        eprintln!("note: {} not found; conformance vectors skipped", dir.display());
        return None;
    }
    let text = std::fs::read_to_string(dir.join("queries.json")).expect("queries.json");
    Some(serde_json::from_str(&text).expect("valid JSON"))
}

fn samples(case: &Value) -> Vec<Sample> {
    case["prometheus_samples"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|s| Sample {
                    labels: serde_json::from_value(s["metric"].clone()).expect("labels"),
                    value: s["value"].as_f64().expect("value"),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn objects(case: &Value) -> Vec<Value> {
    case["kubernetes_objects"]
        .as_array()
        .map(|docs| {
            docs.iter()
                .map(|d| serde_yaml_ng::from_str::<Value>(d.as_str().unwrap_or_default()).expect("YAML object"))
                .collect()
        })
        .unwrap_or_default()
}

fn request(case: &Value) -> StatSummaryRequest {
    let mut raw = case["request"].clone();
    let skip = raw["extensions"]["skip_stats"].as_bool().unwrap_or(false);
    if let Some(obj) = raw.as_object_mut() {
        obj.remove("extensions");
    }
    let mut req: StatSummaryRequest = serde_json::from_value(raw).expect("request");
    req.skip_stats = skip;
    req
}

/// The response the metrics API gives: an invalid request is its error object, as upstream.
async fn stat(engine: &Engine, req: StatSummaryRequest) -> Result<StatSummaryResponse, Rejection> {
    let result = match Validated::<Stat>::new(req) {
        Ok(valid) => engine.answer(&valid).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(ok) => Ok(Envelope::ok(ok)),
        Err(Rejection::Invalid(message)) => Ok(Envelope::error(message)),
        Err(e) => Err(e),
    }
}

/// Upstream's comparison order: tables without rows first, then by the first row's type.
fn normalise(mut response: Value) -> Value {
    if let Some(tables) = response["ok"]["stat_tables"].as_array_mut() {
        for t in tables.iter_mut() {
            if let Some(rows) = t["pod_group"]["rows"].as_array_mut() {
                rows.sort_by_key(|r| format!("{}/{}", r["resource"]["namespace"], r["resource"]["name"]));
            }
        }
        tables.sort_by_key(|t| {
            let first = &t["pod_group"]["rows"][0];
            (first.is_object(), first["resource"]["type"].as_str().unwrap_or("").to_string())
        });
    }
    response
}

#[tokio::test]
async fn stat_responses_match_linkerd() {
    let Some(cases) = cases() else { return };
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["endpoint"] == "stat") {
        let name = case["name"].as_str().unwrap_or("?");
        let kube = FakeKube::start_verbatim(objects(case)).await.expect("fake API server");
        let settings = KubeSettings { kubeconfig: Some(kube.kubeconfig_path().to_path_buf()), context: None };
        let inventory = k8s::connect(&settings).await.expect("kube client");
        // Every query answers the same vector, which only means something to Linkerd's queries.
        let engine_settings = EngineSettings { query_plan: QueryPlan::Linkerd, ..EngineSettings::default() };
        let engine = Engine::new(Arc::new(SameVector(samples(case))), inventory, engine_settings);
        let response = stat(&engine, request(case)).await;
        let checks: Vec<&str> =
            case["upstream_checks"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if let Some(message) = case["expected_error"].as_str() {
            let response = response.unwrap_or_else(|e| panic!("{name}: engine failed: {e}"));
            let got = response.error.map(|e| e.error).unwrap_or_default();
            if checks.contains(&"error_text") || checks.contains(&"error_response_present") {
                assert_eq!(got, message, "{name}");
            }
        } else if checks.contains(&"response") {
            let response = response.unwrap_or_else(|e| panic!("{name}: engine failed: {e}"));
            let got = normalise(serde_json::to_value(&response).expect("serialise"));
            let want = normalise(case["expected_response"].clone());
            assert_eq!(got, want, "{name}");
        } else if checks.contains(&"no_error") {
            let response = response.unwrap_or_else(|e| panic!("{name}: engine failed: {e}"));
            assert!(response.error.is_none(), "{name}: {:?}", response.error);
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} stat cases");
}

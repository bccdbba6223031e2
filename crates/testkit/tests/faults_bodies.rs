//! Fault server, bodies: every status case carries its code and body kind, compressed, hostile,
//! long, truncated and wrongly typed bodies are what their names say, Prometheus samples follow
//! the query's grouping, credentials are echoed back, and the metrics API shapes are served.

mod fault_client;

use std::io::Read;
use std::time::Duration;

use fault_client::{exchange, get, http};
use lviz_testkit::faults::{Backend, Fault, FaultCase, FaultServer, Labels, Plan, secret_forms};
use serde_json::Value;

fn case(backend: Backend, name: &str) -> FaultCase {
    Fault::catalog_for(backend)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {}/{name}", backend.name()))
}

/// A request to where the backend's answers come from.
async fn ask(server: &FaultServer, backend: Backend) -> reqwest::Response {
    let url = server.url();
    let request = match backend {
        Backend::Prometheus => {
            http().post(format!("{url}/api/v1/query")).form(&[("query", "sum(up) by (namespace)"), ("time", "1")])
        }
        Backend::Kube => http().get(format!("{url}/api/v1/namespaces/emojivoto/pods")),
        Backend::MetricsApi => {
            http().post(format!("{url}/api/v1/stat")).json(&serde_json::json!({"resource_type": "pod"}))
        }
    };
    request.send().await.expect("a complete head")
}

#[tokio::test]
async fn every_status_case_has_its_code_and_body_kind() {
    let mut checked = 0;
    for backend in Backend::ALL {
        for case in Fault::catalog_for(backend).into_iter().filter(|c| c.name.starts_with("status-")) {
            let parts: Vec<&str> = case.name.splitn(3, '-').collect();
            let Ok(code) = parts[1].parse::<u16>() else { continue };
            let server = case.start().await.expect("start");
            let resp = ask(&server, backend).await;
            assert_eq!(resp.status().as_u16(), code, "{}", case.id());
            let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().expect("ascii").to_string());
            let text = resp.text().await.expect("body");
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match parts[2] {
                "html" => assert!(text.starts_with("<html>") && text.contains(&code.to_string()), "{text}"),
                "empty" => assert!(text.is_empty(), "{}: {text}", case.id()),
                "status" => assert!(json["kind"] == "Status" && json["code"] == code && json["reason"] != "", "{text}"),
                "envelope" => assert!(json["status"] == "error" && json["errorType"].is_string(), "{text}"),
                "api-error" => assert!(json["error"]["error"].is_string(), "{text}"),
                tail => {
                    let after = tail.strip_prefix("retry-after-").expect("a known body kind");
                    assert_eq!(retry_after.as_deref(), Some(after), "{}", case.id());
                    assert!(json.is_object(), "{}: a native error body: {text}", case.id());
                }
            }
            checked += 1;
        }
    }
    // 7 codes × (4 Prometheus + 3 Kubernetes + 3 metrics API body kinds) + 3 Retry-After each.
    assert_eq!(checked, 7 * 10 + 3 * 3);
}

#[tokio::test]
async fn compressed_bodies_are_gzip_with_and_without_the_header() {
    for (name, encoded) in [("gzip-with-encoding", true), ("gzip-without-encoding", false)] {
        let server = case(Backend::Prometheus, name).start().await.expect("start");
        let ex = exchange(server.addr(), &get("/api/v1/query?query=up"), Duration::from_secs(5)).await;
        assert_eq!(ex.header("content-encoding").is_some(), encoded, "{name}");
        let body = ex.body().expect("complete head");
        assert_eq!(&body[..2], &[0x1f, 0x8b], "{name}: gzip magic");
        let mut plain = String::new();
        flate2::read::GzDecoder::new(body).read_to_string(&mut plain).expect("gunzip");
        let json: Value = serde_json::from_str(&plain).expect("JSON inside");
        assert_eq!(json["data"]["resultType"], "vector");
    }
}

#[tokio::test]
async fn hostile_and_long_errors_carry_what_a_terminal_must_not_get() {
    let server = case(Backend::Prometheus, "control-chars-error").start().await.expect("start");
    let json: Value = ask(&server, Backend::Prometheus).await.json().await.expect("JSON");
    let message = json["error"].as_str().expect("error");
    for c in ['\u{1b}', '\u{7}', '\r', '\0', '\u{202e}', '\u{2067}'] {
        assert!(message.contains(c), "{c:?} in {message:?}");
    }

    let server = case(Backend::Kube, "control-chars-html").start().await.expect("start");
    let raw = ask(&server, Backend::Kube).await.bytes().await.expect("body");
    for b in [0x1b, 0x07, 0x00, b'\r'] {
        assert!(raw.contains(&b), "raw byte {b:#x}");
    }

    let server = case(Backend::Kube, "long-error-line").start().await.expect("start");
    let json: Value = ask(&server, Backend::Kube).await.json().await.expect("JSON");
    let message = json["message"].as_str().expect("message");
    assert_eq!((message.len(), message.contains('\n')), (1 << 20, false));
}

#[tokio::test]
async fn malformed_bodies_do_not_parse() {
    for backend in Backend::ALL {
        for name in ["not-json", "truncated-json", "empty-200"] {
            let server = case(backend, name).start().await.expect("start");
            let resp = ask(&server, backend).await;
            assert_eq!(resp.status(), 200);
            let text = resp.text().await.expect("body");
            assert!(serde_json::from_str::<Value>(&text).is_err(), "{}/{name}: {text}", backend.name());
        }
    }
}

#[tokio::test]
async fn wrong_result_types_are_not_vectors() {
    for (name, result_type) in [("result-matrix", "matrix"), ("result-scalar", "scalar"), ("result-string", "string")] {
        let server = case(Backend::Prometheus, name).start().await.expect("start");
        let json: Value = ask(&server, Backend::Prometheus).await.json().await.expect("JSON");
        assert_eq!(
            (json["status"].as_str(), json["data"]["resultType"].as_str()),
            (Some("success"), Some(result_type))
        );
    }
}

async fn samples(value: &str, labels: Labels, query: &str) -> Vec<Value> {
    let server =
        FaultServer::start(Plan::prometheus(Fault::PromSamples { value: value.into(), labels })).await.expect("start");
    let resp = http()
        .post(format!("{}/api/v1/query", server.url()))
        .form(&[("query", query), ("time", "1767226800")])
        .send()
        .await
        .expect("send");
    let json: Value = resp.json().await.expect("JSON");
    assert_eq!((json["status"].as_str(), json["data"]["resultType"].as_str()), (Some("success"), Some("vector")));
    json["data"]["result"].as_array().expect("result").clone()
}

#[tokio::test]
async fn prometheus_samples_follow_the_query() {
    let buckets = "sum(irate(response_latency_ms_bucket{direction=\"inbound\"}[1m])) by (le, namespace, deployment)";
    let rows = samples("NaN", Labels::Grouping, buckets).await;
    let les: Vec<&str> = rows.iter().map(|r| r["metric"]["le"].as_str().expect("le")).collect();
    assert_eq!(les, ["10", "100", "+Inf"]);
    assert_eq!(rows[0]["metric"]["namespace"], "emojivoto");
    assert_eq!(rows[0]["value"], serde_json::json!([1767226800.0, "NaN"]));

    let quantile = format!("histogram_quantile(0.5, {buckets})");
    let rows = samples("+Inf", Labels::Grouping, &quantile).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["metric"], serde_json::json!({"namespace": "emojivoto", "deployment": "web"}));
    assert_eq!(rows[0]["value"][1], "+Inf");

    let rows = samples("1", Labels::Missing, buckets).await;
    assert!(rows.iter().all(|r| r["metric"] == serde_json::json!({"namespace": "emojivoto"})), "{rows:?}");

    let rows = samples("-Inf", Labels::Hostile, "sum(x) by (deployment)").await;
    let name = rows[0]["metric"]["deployment"].as_str().expect("deployment");
    assert!(name.contains("web") && name.contains('\u{1b}') && name.contains('\0'), "{name:?}");
}

#[tokio::test]
async fn credentials_are_echoed_back() {
    let server = case(Backend::Prometheus, "echo-credentials").start().await.expect("start");
    let url = format!("{}/api/v1/query?query=up", server.url_with_credentials());
    let resp = http().get(url).send().await.expect("send");
    assert_eq!(resp.status(), 401);
    let text = resp.text().await.expect("body");
    assert!(text.contains(&secret_forms()[1]), "the basic-auth form of the secret: {text}");

    let server = case(Backend::Kube, "echo-credentials").start().await.expect("start");
    let resp = http().get(format!("{}/api/v1/pods", server.url())).bearer_auth(&secret_forms()[0]).send().await;
    let json: Value = resp.expect("send").json().await.expect("Status");
    assert!(json["message"].as_str().expect("message").contains(&secret_forms()[0]), "{json}");
}

#[tokio::test]
async fn metrics_api_shapes_and_healthy_answers() {
    let server = case(Backend::MetricsApi, "neither-ok-nor-error").start().await.expect("start");
    assert_eq!(ask(&server, Backend::MetricsApi).await.text().await.expect("body"), "{}");
    let server = case(Backend::MetricsApi, "ok-null").start().await.expect("start");
    assert_eq!(ask(&server, Backend::MetricsApi).await.text().await.expect("body"), r#"{"ok":null}"#);

    let healthy = FaultServer::start(Fault::Healthy(Backend::MetricsApi)).await.expect("start");
    for (path, key) in [("stat", "stat_tables"), ("top-routes", "routes"), ("edges", "edges")] {
        let resp = http().post(format!("{}/api/v1/{path}", healthy.url())).json(&serde_json::json!({})).send().await;
        let json: Value = resp.expect("send").json().await.expect("JSON");
        assert_eq!(json["ok"][key], serde_json::json!([]), "{path}");
    }
    let resp = http().post(format!("{}/api/v1/gateways", healthy.url())).send().await.expect("send");
    let json: Value = resp.json().await.expect("JSON");
    assert_eq!(json["ok"]["gateways_table"]["rows"], serde_json::json!([]));
}

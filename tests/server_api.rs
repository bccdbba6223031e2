//! `lviz serve`'s HTTP surface, in process (`router(state)` + `oneshot`, no sockets) against the
//! shared real Prometheus and fake Kubernetes API: every 200 body validates against the OpenAPI
//! schemas of `metrics-api.openapi.yml`, and every error case answers its documented status with
//! the spec's error object.

mod common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use lviz::Cli;
use lviz::settings::Env;
use lviz_http::server::router;
use lviz_testkit::mesh::EVAL_TIME;
use serde_json::{Value, json};
use tower::ServiceExt;

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/metrics-api.openapi.yml");

/// A router like `lviz <flags> serve <serve flags>` would serve, with the harness's backends
/// unless `prometheus_url` overrides Prometheus.
fn app(prometheus_url: Option<&str>, serve_flags: &[&str]) -> axum::Router {
    let e = common::env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let prom = prometheus_url.unwrap_or(&e.prometheus_url);
    let mut argv = vec!["lviz", "--prometheus-url", prom, "--kubeconfig", &kubeconfig, "serve"];
    argv.extend(serve_flags);
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("serve flags: {e}"));
    let env = Env { default_namespace: &|_| Ok("default".to_string()), color: false };
    let state = runtime().block_on(lviz::commands::serve::prepare_cli(cli, &env)).expect("serve state").0;
    let app = router(state);
    wait_for_kube_caches(&app);
    app
}

/// Waits (briefly) until `/ready` no longer names unsynced Kubernetes caches, so tests about
/// other readiness reasons see only theirs.
fn wait_for_kube_caches(app: &axum::Router) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if !call(app, "GET", "/ready", None).body.contains("caches not synced") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the Kubernetes caches never synced: {}", call(app, "GET", "/ready", None).body);
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime"))
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// Asserts the status and that the body is exactly the spec's error object; returns its text.
    fn error(&self, status: StatusCode) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(self.content_type.starts_with("application/json"), "{}", self.content_type);
        let json = self.json();
        let message = json["error"]["error"].as_str().unwrap_or_else(|| panic!("no error object: {json}"));
        assert_eq!(json, json!({"error": {"error": message}}), "nothing but the error object");
        message.to_string()
    }
}

fn call(app: &axum::Router, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let request = builder.body(Body::from(body.unwrap_or("").to_string())).expect("request");
    send(app, request)
}

fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    runtime().block_on(async {
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Answer { status, content_type, body: String::from_utf8_lossy(&bytes).into_owned() }
    })
}

fn shared_app() -> &'static axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| app(None, &[]))
}

// ---------------------------------------------------------------------------------------------
// Conformance of 200 bodies
// ---------------------------------------------------------------------------------------------

/// The spec as one JSON document, or None (with a note) when it is not beside the repository.
fn spec() -> Option<Value> {
    match std::fs::read_to_string(SPEC) {
        Ok(text) => Some(serde_yaml_ng::from_str(&text).expect("the spec is YAML")),
        Err(e) => {
            assert!(
                std::env::var("LVIZ_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
                "LVIZ_REQUIRE_CONFORMANCE=1 but {SPEC} cannot be read: {e}"
            );
            eprintln!("note: skipping OpenAPI conformance: {SPEC} not readable ({e})");
            None
        }
    }
}

/// A JSON Schema validator for the 200 body of `POST path`: the operation's schema with the
/// spec's `components` alongside, so its `#/components/schemas/…` references resolve.
fn response_validator(spec: &Value, path: &str) -> jsonschema::Validator {
    let schema = &spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no 200 schema for {path}");
    let mut document = schema.clone();
    document["components"] = spec["components"].clone();
    document["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    jsonschema::validator_for(&document).unwrap_or_else(|e| panic!("schema of {path}: {e}"))
}

fn assert_valid(validator: &jsonschema::Validator, what: &str, body: &Value) {
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{body:#}");
}

#[test]
fn every_200_body_validates_against_the_spec() {
    let Some(spec) = spec() else { return };
    let at = EVAL_TIME;
    let cases: Vec<(&str, Value)> = vec![
        ("/api/v1/stat", json!({"resource_type": "deployment", "namespace": "emojivoto", "at": at, "tcp_stats": true})),
        (
            "/api/v1/stat",
            json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto", "at": at}),
        ),
        ("/api/v1/stat", json!({"resource_type": "pod", "namespace": "emojivoto", "time_window": "1m", "at": at})),
        ("/api/v1/stat", json!({"resource_type": "namespace", "at": at, "tcp_stats": true})),
        ("/api/v1/stat", json!({"resource_type": "service", "namespace": "emojivoto", "at": at})),
        ("/api/v1/stat", json!({"resource_type": "all", "namespace": "emojivoto", "at": at})),
        (
            "/api/v1/stat",
            json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto",
                   "from_resource_type": "deployment", "from_resource_name": "vote-bot", "from_namespace": "emojivoto", "at": at}),
        ),
        (
            "/api/v1/stat",
            json!({"resource_type": "deployment", "namespace": "emojivoto", "to_resource_type": "deployment",
                   "to_resource_name": "voting", "to_namespace": "emojivoto", "at": at}),
        ),
        ("/api/v1/stat", json!({"resource_type": "deployment", "namespace": "emojivoto", "skip_stats": true})),
        (
            "/api/v1/top-routes",
            json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto", "at": at}),
        ),
        (
            "/api/v1/top-routes",
            json!({"resource_type": "deployment", "resource_name": "vote-bot", "namespace": "emojivoto",
                   "to_resource_type": "service", "to_resource_name": "web-svc", "to_namespace": "emojivoto", "at": at}),
        ),
        ("/api/v1/edges", json!({"resource_type": "deployment", "at": at})),
        ("/api/v1/edges", json!({"resource_type": "deployment", "namespace": "ops", "at": at})),
        ("/api/v1/gateways", json!({"at": at})),
        ("/api/v1/gateways", json!({"time_window": "1m", "gateway_namespace": "linkerd-multicluster", "at": at})),
    ];
    // The validators do reject what the spec forbids.
    let stat = response_validator(&spec, "/api/v1/stat");
    assert!(!stat.is_valid(&json!({"ok": {"stat_tables": [{"pod_group": {"rows": [{"meshed_pod_count": "1"}]}}]}})));
    assert!(
        !response_validator(&spec, "/api/v1/gateways")
            .is_valid(&json!({"ok": {"gateways_table": {"rows": [{"alive": "yes"}]}}}))
    );
    for (path, request) in cases {
        let answer = call(shared_app(), "POST", path, Some(&request.to_string()));
        assert_eq!(answer.status, StatusCode::OK, "{path} {request}: {}", answer.body);
        let body = answer.json();
        assert!(body.get("ok").is_some() && body.get("error").is_none(), "{path} {request}: {body}");
        assert_valid(&response_validator(&spec, path), &format!("{path} {request}"), &body);
    }
}

#[test]
fn stat_body_carries_the_numbers() {
    let request = json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto", "at": EVAL_TIME, "tcp_stats": true});
    let body = call(shared_app(), "POST", "/api/v1/stat", Some(&request.to_string())).json();
    let row = &body["ok"]["stat_tables"][0]["pod_group"]["rows"][0];
    assert_eq!(row["resource"], json!({"namespace": "emojivoto", "type": "deployment", "name": "web"}));
    assert_eq!(row["meshed_pod_count"], 1);
    assert!(row["stats"]["success_count"].as_u64().is_some_and(|n| n > 0), "{row}");
    assert!(row["tcp_stats"]["open_connections"].is_u64(), "{row}");
}

#[test]
fn error_bodies_validate_against_the_spec_too() {
    let Some(spec) = spec() else { return };
    let answer = call(shared_app(), "POST", "/api/v1/stat", Some(r#"{"resource_type":"bogus"}"#));
    answer.error(StatusCode::BAD_REQUEST);
    assert_valid(&response_validator(&spec, "/api/v1/stat"), "error body", &answer.json());
}

// ---------------------------------------------------------------------------------------------
// Error contract
// ---------------------------------------------------------------------------------------------

/// The message `lviz` prints for the same request (`error: <message>`), so both say the same.
fn cli_message(args: &[&str]) -> String {
    let run = common::lviz(args);
    assert_ne!(run.code, 0, "{args:?} should fail");
    // The error line; a `hint:` line after it is the CLI's own advice, not the message.
    let line = run.stderr.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[test]
fn invalid_window_is_400_with_the_cli_message() {
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "time_window": "1x"});
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, cli_message(&["stat", "deploy", "-n", "emojivoto", "-t", "1x"]));
}

#[test]
fn short_windows_are_400() {
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "time_window": "1s", "at": EVAL_TIME});
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "metrics time window needs to be at least 15s");
    // top-routes has no 15 s minimum, but no window may be shorter than the scrape interval.
    let body = json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto",
                      "time_window": "1s", "at": EVAL_TIME});
    let message =
        call(shared_app(), "POST", "/api/v1/top-routes", Some(&body.to_string())).error(StatusCode::BAD_REQUEST);
    assert!(message.starts_with("invalid time window"), "{message}");
}

#[test]
fn unknown_resource_type_is_400() {
    let message =
        call(shared_app(), "POST", "/api/v1/stat", Some(r#"{"resource_type":"bogus"}"#)).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "unimplemented resource type: bogus");
    let message = call(shared_app(), "POST", "/api/v1/edges", Some(r#"{"resource_type":"bogus"}"#))
        .error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "unimplemented resource type: bogus");
}

#[test]
fn missing_resource_type_is_400() {
    let message = call(shared_app(), "POST", "/api/v1/stat", Some("{}")).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "StatSummary request missing Selector Resource");
    let message = call(shared_app(), "POST", "/api/v1/top-routes", Some("{}")).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "TopRoutes request missing Selector Resource");
}

#[test]
fn to_and_from_together_is_400() {
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto",
                      "to_resource_type": "deployment", "from_resource_type": "deployment"});
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::BAD_REQUEST);
    assert_eq!(message, "--to and --from flags are mutually exclusive");
}

#[test]
fn missing_object_is_404_with_the_cli_message() {
    let body =
        json!({"resource_type": "deployment", "resource_name": "nope", "namespace": "emojivoto", "at": EVAL_TIME});
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::NOT_FOUND);
    assert_eq!(message, cli_message(&["stat", "deploy/nope", "-n", "emojivoto"]));
    let message =
        call(shared_app(), "POST", "/api/v1/top-routes", Some(&body.to_string())).error(StatusCode::NOT_FOUND);
    assert_eq!(message, cli_message(&["routes", "deploy/nope", "-n", "emojivoto"]));
}

#[test]
fn malformed_json_is_400() {
    let message =
        call(shared_app(), "POST", "/api/v1/stat", Some(r#"{"resource_type":"#)).error(StatusCode::BAD_REQUEST);
    assert!(message.contains("JSON"), "{message}");
}

#[test]
fn wrong_field_type_is_422() {
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(r#"{"resource_type":5}"#))
        .error(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message.contains("resource_type"), "{message}");
    call(shared_app(), "POST", "/api/v1/edges", Some(r#"[1,2]"#)).error(StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn body_without_json_content_type_is_415() {
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/stat")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"resource_type":"deployment"}"#))
        .expect("request");
    send(shared_app(), request).error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[test]
fn oversized_body_is_413() {
    let padding = "x".repeat(lviz_http::server::BODY_LIMIT + 1);
    let body = format!(r#"{{"resource_type":"deployment","namespace":"{padding}"}}"#);
    let message = call(shared_app(), "POST", "/api/v1/stat", Some(&body)).error(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(message.contains("length limit"), "{message}");
}

#[test]
fn unknown_path_is_404() {
    let message = call(shared_app(), "GET", "/api/v1/nope", None).error(StatusCode::NOT_FOUND);
    assert_eq!(message, "no such endpoint: GET /api/v1/nope");
    call(shared_app(), "POST", "/", Some("{}")).error(StatusCode::NOT_FOUND);
}

#[test]
fn wrong_method_is_405() {
    let message = call(shared_app(), "GET", "/api/v1/stat", None).error(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(message, "method GET is not allowed on /api/v1/stat");
    call(shared_app(), "DELETE", "/api/v1/gateways", None).error(StatusCode::METHOD_NOT_ALLOWED);
    call(shared_app(), "POST", "/ready", Some("{}")).error(StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn ready_is_200_when_both_backends_answer() {
    let answer = call(shared_app(), "GET", "/ready", None);
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "ok\n"));
}

#[test]
fn prometheus_down_is_502_naming_prometheus_and_ready_is_503() {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    let down = app(Some("http://user:secret@127.0.0.1:1"), &[]);
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "at": EVAL_TIME});
    let message = call(&down, "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::BAD_GATEWAY);
    assert!(message.starts_with("Prometheus at http://user:***@127.0.0.1:1/: "), "{message}");
    assert!(!message.contains("secret"), "{message}");
    let message =
        call(&down, "POST", "/api/v1/edges", Some(r#"{"resource_type":"deployment"}"#)).error(StatusCode::BAD_GATEWAY);
    assert!(message.starts_with("Prometheus at "), "{message}");
    let message = call(&down, "GET", "/ready", None).error(StatusCode::SERVICE_UNAVAILABLE);
    assert!(message.starts_with("not ready: Prometheus at http://user:***@127.0.0.1:1/"), "{message}");
    assert!(!message.contains("Kubernetes"), "Kubernetes is fine: {message}");
}

#[test]
fn handler_timeout_is_504() {
    let slow = app(None, &["--handler-timeout", "1ns"]);
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "at": EVAL_TIME});
    let message = call(&slow, "POST", "/api/v1/stat", Some(&body.to_string())).error(StatusCode::GATEWAY_TIMEOUT);
    assert!(message.starts_with("request took longer than 1ns"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Coalescing and counters
// ---------------------------------------------------------------------------------------------

fn counter(app: &axum::Router, name: &str) -> u64 {
    let answer = call(app, "GET", "/metrics", None);
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type.starts_with("text/plain"), "{}", answer.content_type);
    answer
        .body
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{}", answer.body))
}

#[test]
fn identical_concurrent_requests_send_each_query_once() {
    // The response cache off, so the requests reach the engine and its query coalescing.
    let fresh = app(None, &["--cache-ttl", "0s"]);
    let body =
        json!({"resource_type": "pod", "namespace": "emojivoto", "at": EVAL_TIME, "tcp_stats": true}).to_string();
    let before = counter(&fresh, "lviz_prometheus_queries_total");
    call(&fresh, "POST", "/api/v1/stat", Some(&body));
    let one = counter(&fresh, "lviz_prometheus_queries_total") - before;
    assert!(one > 0, "a stat request sends queries");

    let requests = (0..8).map(|_| {
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/stat")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .expect("request");
        fresh.clone().oneshot(request)
    });
    let responses = runtime().block_on(futures::future::join_all(requests));
    assert!(responses.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == StatusCode::OK)));
    // Queries a request sends before its first await are always shared; later ones are shared
    // when the requests are still in step (usually, not always: this is not a lockstep test).
    let eight = counter(&fresh, "lviz_prometheus_queries_total") - before - one;
    let coalesced = counter(&fresh, "lviz_prometheus_queries_coalesced_total");
    assert!(eight < 8 * one / 2, "8 identical concurrent requests sent {eight} queries, one sends {one}");
    assert_eq!(eight + coalesced, 8 * one, "every query was either sent or joined a flight");
    let metrics = call(&fresh, "GET", "/metrics", None).body;
    assert!(metrics.contains("lviz_http_requests_total{route=\"/api/v1/stat\",status=\"200\"} 9"), "{metrics}");
}

#[test]
fn cache_answers_repeated_requests() {
    let cached = app(None, &["--cache-ttl", "1m"]);
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "at": EVAL_TIME}).to_string();
    let first = call(&cached, "POST", "/api/v1/stat", Some(&body));
    let sent = counter(&cached, "lviz_prometheus_queries_total");
    // The same request written differently is the same view.
    let respaced = json!({"at": EVAL_TIME, "namespace": "emojivoto", "resource_type": "deployment"}).to_string();
    for text in [&body, &respaced, &body] {
        let again = call(&cached, "POST", "/api/v1/stat", Some(text));
        assert_eq!((again.status, &again.content_type, &again.body), (first.status, &first.content_type, &first.body));
    }
    assert_eq!(counter(&cached, "lviz_prometheus_queries_total"), sent, "answered from the cache");
    assert_eq!(counter(&cached, "lviz_response_cache_hits_total"), 3);
    assert_eq!(counter(&cached, "lviz_response_cache_misses_total"), 1);
    assert_eq!(counter(&cached, "lviz_response_cache_entries"), 1);
}

//! `lviz serve`'s caches, in process (`router(state)` + `oneshot`) against the shared real
//! Prometheus and a fake Kubernetes API of each test's own (so its request log and faults are
//! the test's): the watch-backed Kubernetes caches answer exactly what per-request lists answer,
//! list nothing after they synced, keep NotFound, apply label selectors, and hold `/ready` at
//! 503 until they synced; the response cache answers repeated views without asking again.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use lviz::Cli;
use lviz::settings::{Env, Settings, Tables};
use lviz_api::{
    Answer as _, Edges, EdgesRequest, Endpoint, Envelope, Gateways, GatewaysRequest, Rejection, Stat,
    StatSummaryRequest, TopRoutes, TopRoutesRequest, Validated,
};
use lviz_engine::Engine;
use lviz_engine::coalesce::CoalesceOptions;
use lviz_http::server::{AppState, router};
use lviz_testkit::fixtures::emojivoto_objects;
use lviz_testkit::kube::FakeKube;
use lviz_testkit::mesh::EVAL_TIME;
use lviz_testkit::prometheus::shared_prometheus;
use serde_json::{Value, json};
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime"))
}

fn fake_kube() -> FakeKube {
    FakeKube::start_background(emojivoto_objects()).unwrap_or_else(|e| panic!("fake Kubernetes API: {e:#}"))
}

fn default_ns(_: &lviz_k8s::KubeSettings) -> Result<String, lviz::CliError> {
    Ok("default".to_string())
}

const ENV: Env = Env { default_namespace: &default_ns, color: false };

/// `lviz --prometheus-url … --kubeconfig … serve <flags>`.
fn cli(kube: &FakeKube, serve_flags: &[&str]) -> Cli {
    let kubeconfig = kube.kubeconfig_path().to_string_lossy().to_string();
    let prometheus = shared_prometheus().url();
    let mut argv = vec!["lviz", "--prometheus-url", &prometheus, "--kubeconfig", &kubeconfig, "serve"];
    argv.extend(serve_flags);
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("serve flags: {e}"))
}

/// The server's state for those flags, caches starting (not waited for).
fn state(kube: &FakeKube, serve_flags: &[&str]) -> AppState {
    runtime().block_on(lviz::commands::serve::prepare_cli(cli(kube, serve_flags), &ENV)).expect("serve state").0
}

/// What the embedded CLI would use with the same flags.
fn settings(kube: &FakeKube) -> Settings {
    let Cli { global, .. } = cli(kube, &[]);
    lviz::settings::resolve(global, Tables::default(), &ENV).expect("settings").0
}

/// The server's router, caches starting (not waited for).
fn app(kube: &FakeKube, serve_flags: &[&str]) -> axum::Router {
    router(state(kube, serve_flags))
}

/// A live engine's answer as the server would encode it: the response, or an invalid request's
/// error object; other rejections are the server's error statuses.
fn live<E: Endpoint>(engine: &Engine, request: E::Request) -> Result<String, Rejection>
where
    Engine: lviz_api::Answer<E>,
{
    let result = match Validated::<E>::new(request) {
        Ok(valid) => runtime().block_on(engine.answer(&valid)),
        Err(e) => Err(e),
    };
    match result {
        Ok(ok) => Ok(encode(&Envelope::ok(ok))),
        Err(Rejection::Invalid(message)) => Ok(encode(&Envelope::<()>::error(message))),
        Err(e) => Err(e),
    }
}

struct Answer {
    status: StatusCode,
    body: String,
}

fn call(app: &axum::Router, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let request = builder.body(Body::from(body.unwrap_or("").to_string())).expect("request");
    runtime().block_on(async {
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Answer { status, body: String::from_utf8_lossy(&bytes).into_owned() }
    })
}

/// Polls `/ready` until it answers 200, for at most `limit`.
fn wait_ready(app: &axum::Router, limit: Duration) -> Answer {
    let deadline = Instant::now() + limit;
    loop {
        let answer = call(app, "GET", "/ready", None);
        if answer.status == StatusCode::OK || Instant::now() > deadline {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn counter(app: &axum::Router, name: &str) -> u64 {
    let text = call(app, "GET", "/metrics", None).body;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// Requests to the fake that were not watches: lists and gets.
fn non_watch_requests(kube: &FakeKube) -> Vec<String> {
    kube.requests()
        .into_iter()
        .filter(|r| !r.query.split('&').any(|p| p == "watch=true" || p == "watch=1"))
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect()
}

fn stat(kind: &str, name: &str, ns: &str, labels: &str) -> StatSummaryRequest {
    StatSummaryRequest {
        resource_type: kind.into(),
        resource_name: name.into(),
        namespace: ns.into(),
        time_window: "1m".into(),
        tcp_stats: Some(true),
        label_selector: labels.into(),
        at: Some(EVAL_TIME as f64),
        ..Default::default()
    }
}

fn stat_requests() -> Vec<StatSummaryRequest> {
    vec![
        stat("deployment", "", "emojivoto", ""),
        stat("deployment", "", "", ""),
        stat("pod", "", "", ""),
        stat("pod", "", "emojivoto", "app=web-svc"),
        stat("all", "", "emojivoto", ""),
        stat("namespace", "", "", ""),
        stat("namespace", "emojivoto", "", ""),
        stat("service", "", "emojivoto", ""),
        stat("deployment", "", "emojivoto", "app in (web-svc, voting-svc)"),
        stat("deployment", "", "emojivoto", "app!=web-svc"),
        stat("deployment", "web", "emojivoto", "app=nothing-matches"),
        stat("statefulset", "", "", ""),
        stat("cronjob", "", "", ""),
        stat("replicationcontroller", "", "", ""),
    ]
}

#[test]
fn cached_answers_equal_live_answers() {
    let kube = fake_kube();
    let server = app(&kube, &["--cache-ttl", "0s"]);
    let settings = settings(&kube);
    let mut quiet = |_| {};
    let compose = lviz_engine::compose(&settings.engine, CoalesceOptions::default(), false, &mut quiet);
    let engine = runtime().block_on(compose).map(|c| c.engine).expect("live engine");
    assert_eq!(wait_ready(&server, Duration::from_secs(20)).status, StatusCode::OK);
    let same = |path: &str, request: String, live: Result<String, Rejection>| {
        let cached = call(&server, "POST", path, Some(&request));
        match live {
            Ok(live) => assert_eq!(cached.body, live, "{path} {request}"),
            Err(e) => assert_eq!(cached.body, json!({"error": {"error": e.to_string()}}).to_string(), "{request}"),
        }
    };
    for request in stat_requests() {
        let answer = live::<Stat>(&engine, request.clone());
        same("/api/v1/stat", encode(&request), answer);
    }
    let routes = TopRoutesRequest {
        resource_type: "deployment".into(),
        resource_name: "web".into(),
        namespace: "emojivoto".into(),
        time_window: "1m".into(),
        at: Some(EVAL_TIME as f64),
        ..Default::default()
    };
    let answer = live::<TopRoutes>(&engine, routes.clone());
    same("/api/v1/top-routes", encode(&routes), answer);
    let edges = EdgesRequest { resource_type: "deployment".into(), at: Some(EVAL_TIME as f64), ..Default::default() };
    let answer = live::<Edges>(&engine, edges.clone());
    same("/api/v1/edges", encode(&edges), answer);
    let gateways = GatewaysRequest { at: Some(EVAL_TIME as f64), ..Default::default() };
    let answer = live::<Gateways>(&engine, gateways.clone());
    same("/api/v1/gateways", encode(&gateways), answer);
}

/// A request or response as the server serializes it.
fn encode<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serializable")
}

#[test]
fn repeated_requests_list_nothing_after_sync() {
    let kube = fake_kube();
    // Response cache off: every request reaches the engine and its inventory.
    let server = app(&kube, &["--cache-ttl", "0s"]);
    assert_eq!(wait_ready(&server, Duration::from_secs(20)).status, StatusCode::OK);
    let initial = non_watch_requests(&kube);
    // One initial list per cached kind, nothing else (the fixture fits in one page): 11, and
    // Linkerd's policy HTTPRoutes since `stat httproute`.
    assert_eq!(initial.len(), 12, "{initial:#?}");
    assert!(initial.iter().all(|r| r.starts_with("GET ") && r.contains("limit=500")), "{initial:#?}");
    for _ in 0..3 {
        for request in stat_requests() {
            let body = serde_json::to_string(&request).expect("json");
            let answer = call(&server, "POST", "/api/v1/stat", Some(&body));
            assert!(answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND, "{}", answer.body);
        }
        let routes =
            json!({"resource_type": "deployment", "resource_name": "web", "namespace": "emojivoto", "at": EVAL_TIME});
        assert_eq!(call(&server, "POST", "/api/v1/top-routes", Some(&routes.to_string())).status, StatusCode::OK);
        assert_eq!(call(&server, "POST", "/api/v1/gateways", Some(r#"{}"#)).status, StatusCode::OK);
    }
    assert_eq!(non_watch_requests(&kube), initial, "no list or get after the caches synced");
    let watches = kube.requests().len() - initial.len();
    assert!(watches <= 2 * 11, "only the reflectors' watch connections: {watches}");
}

#[test]
fn not_found_and_selectors_through_the_cache() {
    let kube = fake_kube();
    let server = app(&kube, &[]);
    let missing = [
        ("deployment", "deployments.apps"),
        ("pod", "pods"),
        ("job", "jobs.batch"),
        ("replicationcontroller", "replicationcontrollers"),
    ];
    for (kind, resource) in missing {
        let body = json!({"resource_type": kind, "resource_name": "nope", "namespace": "emojivoto", "at": EVAL_TIME});
        let answer = call(&server, "POST", "/api/v1/stat", Some(&body.to_string()));
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
        let expected = json!({"error": {"error": format!("{resource} \"nope\" not found")}});
        assert_eq!(serde_json::from_str::<Value>(&answer.body).ok(), Some(expected));
    }
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "label_selector": "app=web-svc", "at": EVAL_TIME});
    let answer = call(&server, "POST", "/api/v1/stat", Some(&body.to_string()));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json: Value = serde_json::from_str(&answer.body).expect("json");
    let rows = json["ok"]["stat_tables"][0]["pod_group"]["rows"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = rows.iter().filter_map(|r| r["resource"]["name"].as_str()).collect();
    assert_eq!(names, vec!["web"], "{answer:?}", answer = answer.body);
}

#[test]
fn ready_waits_for_every_cache_and_recovers_from_a_failing_watch() {
    let kube = fake_kube();
    kube.fail_always("/apis/apps/v1/deployments", 403);
    let server = app(&kube, &[]);
    // Every other cache syncs; the deployments one keeps failing its list.
    let deadline = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let answer = call(&server, "GET", "/ready", None);
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.body);
        let message = serde_json::from_str::<Value>(&answer.body).expect("json")["error"]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // Settled once every cache before deployments in the (sorted) list has synced too.
        let settled = !message.contains("pods") && message.contains("caches not synced yet: deployments.apps (");
        if settled || Instant::now() > deadline {
            break message;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(message.starts_with("not ready: Kubernetes API at http://127.0.0.1:"), "{message}");
    assert!(message.contains("caches not synced yet: deployments.apps ("), "{message}");
    assert!(message.contains("Forbidden"), "the last error is named: {message}");
    assert!(!message.contains("pods"), "{message}");
    // A request that needs only synced caches is answered meanwhile.
    let pods = json!({"resource_type": "pod", "namespace": "emojivoto", "at": EVAL_TIME}).to_string();
    assert_eq!(call(&server, "POST", "/api/v1/stat", Some(&pods)).status, StatusCode::OK);

    kube.clear_faults();
    let answer = wait_ready(&server, Duration::from_secs(40));
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "ok\n"), "the watcher retried");
    let deploys = json!({"resource_type": "deployment", "namespace": "emojivoto", "at": EVAL_TIME}).to_string();
    assert_eq!(call(&server, "POST", "/api/v1/stat", Some(&deploys)).status, StatusCode::OK);
}

#[test]
fn response_cache_answers_polls_from_memory() {
    let kube = fake_kube();
    let server = app(&kube, &[]);
    assert_eq!(wait_ready(&server, Duration::from_secs(20)).status, StatusCode::OK);
    // "Now": the view a dashboard polls. Ten polls, one computation (two if the 10 s bucket
    // turns in between).
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "time_window": "1m"}).to_string();
    let first = call(&server, "POST", "/api/v1/stat", Some(&body));
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let sent = counter(&server, "lviz_prometheus_queries_total");
    for _ in 0..9 {
        assert_eq!(call(&server, "POST", "/api/v1/stat", Some(&body)).status, StatusCode::OK);
    }
    // If the bucket turned, the previous answer was served stale while one refresh ran.
    let misses = counter(&server, "lviz_response_cache_misses_total");
    let stale = counter(&server, "lviz_response_cache_stale_total");
    assert_eq!(misses, 1, "one computation that clients waited for");
    assert!(counter(&server, "lviz_response_cache_refreshes_total") <= 1);
    assert_eq!(counter(&server, "lviz_response_cache_hits_total") + stale, 10 - misses);
    if stale == 0 {
        assert_eq!(counter(&server, "lviz_prometheus_queries_total"), sent, "no query after the first poll");
    }
    // Concurrent identical polls join one computation.
    let other = json!({"resource_type": "pod", "namespace": "emojivoto", "at": EVAL_TIME}).to_string();
    let polls = (0..20).map(|_| {
        let request = Request::builder()
            .method("POST")
            .uri("/api/v1/stat")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(other.clone()))
            .expect("request");
        server.clone().oneshot(request)
    });
    let answers = runtime().block_on(futures::future::join_all(polls));
    assert!(answers.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == StatusCode::OK)));
    let computed = counter(&server, "lviz_response_cache_misses_total") - misses;
    assert_eq!(computed, 1, "20 concurrent identical polls were computed once");
}

#[test]
fn expired_answers_are_served_while_one_refresh_replaces_them() {
    let kube = fake_kube();
    let server = app(&kube, &["--cache-ttl", "1s", "--cache-stale-for", "1m"]);
    assert_eq!(wait_ready(&server, Duration::from_secs(20)).status, StatusCode::OK);
    let body = json!({"resource_type": "deployment", "namespace": "emojivoto", "at": EVAL_TIME}).to_string();
    let first = call(&server, "POST", "/api/v1/stat", Some(&body));
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let one_set = counter(&server, "lviz_prometheus_queries_total");
    assert!(one_set > 0);
    std::thread::sleep(Duration::from_millis(1100));
    // Past the TTL: answered at once with the stored answer; one refresh runs behind it.
    for _ in 0..5 {
        let again = call(&server, "POST", "/api/v1/stat", Some(&body));
        assert_eq!((again.status, &again.body), (StatusCode::OK, &first.body));
    }
    assert!(counter(&server, "lviz_response_cache_stale_total") >= 1);
    assert_eq!(counter(&server, "lviz_response_cache_refreshes_total"), 1, "one refresh for five stale answers");
    assert_eq!(counter(&server, "lviz_response_cache_misses_total"), 1, "no client waited after the first");
    // The refresh lands: the answer is fresh again, at the cost of exactly one more query set.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let hits = counter(&server, "lviz_response_cache_hits_total");
        assert_eq!(call(&server, "POST", "/api/v1/stat", Some(&body)).body, first.body);
        if counter(&server, "lviz_response_cache_hits_total") == hits + 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the refresh never landed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(counter(&server, "lviz_prometheus_queries_total"), 2 * one_set);
    assert_eq!(counter(&server, "lviz_response_cache_refreshes_total"), 1);
}

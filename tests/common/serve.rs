//! The real `lviz serve` binary for remote-mode tests, behind a recording reverse proxy: every
//! answer the server gives during a test is kept, so the test can check each one against the
//! response schemas of the API documents (the seed spec for its paths, `docs/openapi.yml` for
//! lviz's extensions).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{env, lviz_bin, servers};

/// One answer of the server: the path asked, the status and the body.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub path: String,
    pub status: u16,
    pub body: String,
}

/// The server child (killed when dropped), its faces, and the recording proxy in front of its
/// JSON API.
pub struct Server {
    child: Child,
    /// The JSON API itself.
    pub direct_url: String,
    /// The recording proxy (or, from [`start_with`], the JSON API itself): what tests point
    /// `--api-addr` at.
    pub url: String,
    /// `IP:PORT` of the gRPC API.
    pub grpc: String,
    /// `http://IP:PORT` of the admin endpoints.
    pub admin: String,
    recorded: Arc<Mutex<Vec<Exchange>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn child_id(&self) -> u32 {
        self.child.id()
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Every answer recorded so far.
    pub fn recorded(&self) -> Vec<Exchange> {
        self.recorded.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Starts `lviz serve` with every face on `127.0.0.1:0` against `prometheus_url` and the
/// harness's fake Kubernetes API, reads the bound addresses from its first stderr lines, waits
/// for `/ready`, and puts a recording proxy in front of the JSON API.
pub fn start_server(prometheus_url: &str, extra: &[&str]) -> Server {
    let mut server = start_with(prometheus_url, extra);
    wait_ready(&server.direct_url);
    server.url = recording_proxy(&server.direct_url, server.recorded.clone());
    server
}

/// [`start_server`] against the shared Prometheus.
pub fn start(extra: &[&str]) -> Server {
    start_server(&env().prometheus_url, extra)
}

/// The server without waiting for `/ready` and without the recording proxy.
pub fn start_with(prometheus_url: &str, extra: &[&str]) -> Server {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut cmd = Command::new(lviz_bin());
    cmd.args(["--prometheus-url", prometheus_url, "--kubeconfig", &kubeconfig, "serve", "--addr", "127.0.0.1:0"])
        .args(["--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .env_remove("LVIZ_AT")
        .env("HOME", e.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start lviz serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut read = |prefix: &str, child: &mut Child| {
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        match line.strip_prefix(prefix) {
            Some(rest) => rest.trim().to_string(),
            None => {
                let _ = child.kill();
                panic!("lviz serve did not start: expected {prefix:?}, got {line:?}");
            }
        }
    };
    let direct_url = read("lviz serve: listening on ", &mut child);
    let grpc = read("lviz serve: gRPC (linkerd2.viz.Api) listening on ", &mut child);
    let admin = read("lviz serve: admin (/ready, /ping, /metrics) listening on ", &mut child);
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let url = direct_url.clone();
    Server { child, direct_url, url, grpc, admin, recorded: Arc::new(Mutex::new(Vec::new())) }
}

pub fn wait_ready(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let ready = format!("{url}/ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = rt.block_on(client.get(&ready).send());
        if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            return;
        }
        assert!(Instant::now() < deadline, "{ready} never answered 200");
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Recorder {
    upstream: String,
    http: reqwest::Client,
    recorded: Arc<Mutex<Vec<Exchange>>>,
}

async fn record(State(r): State<Arc<Recorder>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let content_type = req.headers().get("content-type").cloned();
    let Ok(body) = axum::body::to_bytes(req.into_body(), 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut out = r.http.request(method, format!("{}{path}", r.upstream)).body(body);
    if let Some(ct) = content_type {
        out = out.header("content-type", ct.as_bytes());
    }
    let Ok(resp) = out.send().await else { return StatusCode::BAD_GATEWAY.into_response() };
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.as_bytes().to_vec());
    let bytes = resp.bytes().await.unwrap_or_default();
    r.recorded.lock().unwrap_or_else(|p| p.into_inner()).push(Exchange {
        path,
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let mut answer = Response::new(Body::from(bytes));
    *answer.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(ct) = ct.and_then(|c| axum::http::HeaderValue::from_bytes(&c).ok()) {
        answer.headers_mut().insert("content-type", ct);
    }
    answer
}

fn recording_proxy(upstream: &str, recorded: Arc<Mutex<Vec<Exchange>>>) -> String {
    let recorder = Arc::new(Recorder { upstream: upstream.to_string(), http: reqwest::Client::new(), recorded });
    let addr = servers::serve_background(Router::new().fallback(record).with_state(recorder));
    format!("http://{addr}")
}

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/metrics-api.openapi.yml");
const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yml");

fn load(path: &str) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// A JSON Schema validator for `schema` with `spec`'s components beside it.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut document = schema.clone();
    document["components"] = spec["components"].clone();
    document["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    jsonschema::validator_for(&document).unwrap_or_else(|e| panic!("schema: {e}"))
}

/// Checks every recorded answer of a metrics-API path against its schema: a 200 against the
/// path's 200 response schema (the seed spec's for its own paths, when it is beside the
/// checkout; `docs/openapi.yml`'s otherwise), any other status against the error object.
/// Returns how many answers were checked.
pub fn assert_answers_follow_the_spec(exchanges: &[Exchange]) -> usize {
    let document = load(DOCUMENT).expect("docs/openapi.yml");
    let seed = load(SEED);
    if seed.is_none() {
        assert!(std::env::var("LVIZ_REQUIRE_CONFORMANCE").as_deref() != Ok("1"), "{SEED} is missing");
    }
    let mut checked = 0;
    let mut problems = Vec::new();
    for x in exchanges.iter().filter(|x| x.path.starts_with("/api/")) {
        let (spec, schema) = if x.status == 200 {
            let spec = match &seed {
                Some(s) if s["paths"][&x.path].is_object() => s,
                _ => &document,
            };
            (spec, spec["paths"][&x.path]["post"]["responses"]["200"]["content"]["application/json"]["schema"].clone())
        } else {
            (&document, json!({"$ref": "#/components/schemas/ErrorResponse"}))
        };
        assert!(schema.is_object(), "no schema for {} {}", x.path, x.status);
        let body: Value = match serde_json::from_str(&x.body) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{} {}: not JSON ({e}): {}", x.path, x.status, x.body));
                continue;
            }
        };
        let v = validator(spec, &schema);
        let errors: Vec<String> = v.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        if !errors.is_empty() {
            problems.push(format!("{} {}: {errors:?}\n{body}", x.path, x.status));
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "{} answers do not follow the spec:\n{}", problems.len(), problems.join("\n"));
    checked
}

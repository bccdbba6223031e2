//! Small loopback HTTP servers for access tests: an authenticating reverse proxy in front of a
//! Prometheus (with an optional path prefix), a server that never answers, and one that answers
//! non-JSON. Each runs on its own runtime thread for the rest of the test binary.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Serves `app` on 127.0.0.1 from a background runtime thread; returns its address.
pub fn serve_background(app: Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
            tx.send(listener.local_addr().expect("addr")).expect("send addr");
            let _ = axum::serve(listener, app).await;
        });
    });
    rx.recv().expect("server thread started")
}

/// What the proxy demands before forwarding.
#[derive(Clone, Default)]
pub struct ProxyRules {
    /// Required headers (name, exact value).
    pub required: Vec<(String, String)>,
    /// Path prefix the proxy serves under (e.g. `/prometheus`), stripped before forwarding.
    pub prefix: String,
}

struct Proxy {
    rules: ProxyRules,
    /// While set, every request gets 503 (an outage the test switches on and off).
    down: Option<Arc<std::sync::atomic::AtomicBool>>,
    upstream: String,
    http: reqwest::Client,
}

async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    if proxy.down.as_ref().is_some_and(|d| d.load(std::sync::atomic::Ordering::SeqCst)) {
        return (StatusCode::SERVICE_UNAVAILABLE, "upstream is down\n").into_response();
    }
    let headers: HeaderMap = req.headers().clone();
    for (name, value) in &proxy.rules.required {
        let got = headers.get(name.as_str()).and_then(|v| v.to_str().ok());
        if got != Some(value.as_str()) {
            return (StatusCode::UNAUTHORIZED, format!("missing or wrong {name}\n")).into_response();
        }
    }
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(&proxy.rules.prefix) else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let mut url = format!("{}{rest}", proxy.upstream);
    if let Some(q) = req.uri().query() {
        url.push('?');
        url.push_str(q);
    }
    let method = req.method().clone();
    let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let mut out = proxy.http.request(method, url).body(body);
    if let Some(ct) = headers.get("content-type") {
        out = out.header("content-type", ct.as_bytes());
    }
    let Ok(resp) = out.send().await else { return StatusCode::BAD_GATEWAY.into_response() };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let ct = resp.headers().get("content-type").map(|v| v.as_bytes().to_vec());
    let bytes = resp.bytes().await.unwrap_or_default();
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    if let Some(ct) = ct.and_then(|c| axum::http::HeaderValue::from_bytes(&c).ok()) {
        r.headers_mut().insert("content-type", ct);
    }
    r
}

/// A reverse proxy to `upstream` (no trailing slash) enforcing `rules`; returns its base URL
/// including the prefix.
pub fn auth_proxy(upstream: &str, rules: ProxyRules) -> String {
    let prefix = rules.prefix.clone();
    let upstream = upstream.trim_end_matches('/').to_string();
    let proxy = Arc::new(Proxy { rules, down: None, upstream, http: reqwest::Client::new() });
    let addr = serve_background(Router::new().fallback(forward).with_state(proxy));
    format!("http://{addr}{prefix}")
}

/// A reverse proxy to `upstream` that answers 503 while its switch is on; returns its URL and
/// the switch.
pub fn switchable_proxy(upstream: &str) -> (String, Arc<std::sync::atomic::AtomicBool>) {
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let upstream = upstream.trim_end_matches('/').to_string();
    let proxy = Arc::new(Proxy {
        rules: ProxyRules::default(),
        down: Some(down.clone()),
        upstream,
        http: reqwest::Client::new(),
    });
    let addr = serve_background(Router::new().fallback(forward).with_state(proxy));
    (format!("http://{addr}"), down)
}

/// Accepts connections and never answers.
pub fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{addr}")
}

/// Answers every request with 200 and an HTML page.
pub fn html_server() -> String {
    let app = Router::new().fallback(|| async { ([("content-type", "text/html")], "<html>Grafana login</html>\n") });
    format!("http://{}", serve_background(app))
}

/// A loopback port nothing listens on.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

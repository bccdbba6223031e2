//! The counting reverse proxy in front of Prometheus: it forwards every call and records the
//! query texts, the other calls and the bytes answered, so the bench can compare what each
//! query plan asked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What the counting proxy saw of one lviz run.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// `query` of every `/api/v1/query` call, in arrival order.
    pub queries: Vec<String>,
    /// Other calls (`/api/v1/status/config`).
    pub other_calls: usize,
    /// Response body bytes of every call.
    pub bytes: usize,
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Seen>>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_value(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

async fn proxy(State(st): State<ProxyState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut req = st.http.request(method, format!("{}{path_and_query}", st.upstream)).body(body.clone());
    if let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) {
        req = req.header(axum::http::header::CONTENT_TYPE, ct.clone());
    }
    let answer = match req.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
    let bytes = match answer.bytes().await {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    {
        let mut seen = st.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.bytes += bytes.len();
        if uri.path().ends_with("/api/v1/query") {
            let form = std::str::from_utf8(&body).unwrap_or_default();
            let query = form_value(form, "query")
                .or_else(|| uri.query().and_then(|q| form_value(q, "query")))
                .unwrap_or_default();
            seen.queries.push(query);
        } else {
            seen.other_calls += 1;
        }
    }
    let mut response = (status, bytes).into_response();
    if let Some(ct) = content_type {
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
    }
    response
}

/// A counting reverse proxy in front of Prometheus.
pub async fn start_proxy(upstream: String) -> Result<(SocketAddr, Arc<Mutex<Seen>>)> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = ProxyState { upstream, http: reqwest::Client::new(), seen: seen.clone() };
    let app = axum::Router::new().fallback(proxy).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the proxy")?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, seen))
}

pub fn take_seen(seen: &Mutex<Seen>) -> Seen {
    std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()))
}

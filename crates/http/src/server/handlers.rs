//! The handlers: one generic handler for every endpoint of the list, which hands the decoded
//! request to the shared engine (through the answer cache both faces share) and maps its answer
//! to a status (no metrics logic here); plus `/ready`, `/ping`, `/metrics` and the JSON answers
//! for unknown paths and wrong methods.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use lviz_api::{BackendError, Endpoint};
use lviz_engine::Engine;

use super::AppState;
use super::answer::Answer;
use super::errors::{ApiError, ApiJson, respond};

/// How long `/ready` waits for each backend; kubelet probes have short timeouts of their own.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Any endpoint of the list: the request is validated once (400 with Linkerd's words when it
/// is wrong), then answered by the engine through the answer cache; the JSON of an answer is
/// made once and kept beside it.
pub async fn endpoint<E>(State(state): State<AppState>, ApiJson(req): ApiJson<E::Request>) -> Answer
where
    E: Endpoint,
    Engine: lviz_api::Answer<E>,
{
    let served = state.serving().answer::<E>(req).await;
    served.encoded(respond)
}

/// 200 `ok` once Prometheus answers a query and Kubernetes is usable (when it is used at all):
/// every watch-backed cache has synced, or, for a live inventory, the API server answers its
/// version. Otherwise 503 with the error object naming whatever is missing.
/// `GET /version` (lviz extension): `{"version": "0.1.0"}`, for `lviz version --api-addr`.
pub async fn version() -> Response {
    axum::Json(serde_json::json!({ "version": env!("CARGO_PKG_VERSION") })).into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let late = format!("no answer within {}", humantime::format_duration(PROBE_TIMEOUT));
    let prometheus = async {
        match tokio::time::timeout(PROBE_TIMEOUT, state.metrics().probe()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("Prometheus: {late}")),
        }
    };
    let kubernetes = async {
        let cluster = state.serving().engine().cluster()?;
        let url = cluster.shown_url().to_string();
        if let Some(missing) = cluster.unsynced() {
            return (!missing.is_empty())
                .then(|| format!("{} at {url}: caches not synced yet: {}", lviz_k8s::BACKEND, missing.join(", ")));
        }
        match tokio::time::timeout(PROBE_TIMEOUT, cluster.client().apiserver_version()).await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(BackendError { backend: lviz_k8s::BACKEND, url, cause: e.to_string() }.to_string()),
            Err(_) => Some(format!("{} at {url}: {late}", lviz_k8s::BACKEND)),
        }
    };
    let (prometheus, kubernetes) = futures::join!(prometheus, kubernetes);
    let reasons: Vec<String> = prometheus.into_iter().chain(kubernetes).collect();
    if reasons.is_empty() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {}", reasons.join("; "))).into_response()
    }
}

/// Prometheus text format: request counts and latencies (of this face and any other added to
/// the state), the answer cache, and what reached Prometheus.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.telemetry().render(state.metrics().stats(), state.serving().cache_stats());
    body.push_str(&state.more_metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// Liveness, as Linkerd's admin server answers it.
pub async fn ping() -> &'static str {
    "pong\n"
}

fn shown_path(req: &Request) -> String {
    req.uri().path().chars().take(256).collect()
}

pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no such endpoint: {} {}", req.method(), shown_path(&req)))
}

pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {} is not allowed on {}", req.method(), shown_path(&req)),
    )
}

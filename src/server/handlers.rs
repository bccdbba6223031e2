//! The endpoints: each metrics-API handler hands the decoded request to the shared `Engine`
//! (through the response cache) and maps its answer to a status (no metrics logic here); plus
//! `/ready`, `/metrics` and the JSON answers for unknown paths and wrong methods.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::cache::Answer;
use super::errors::{ApiError, ApiJson, respond};
use crate::api::{EdgesRequest, GatewaysRequest, StatSummaryRequest, TopRoutesRequest};
use crate::k8s;
use crate::prom::BackendError;

/// How long `/ready` waits for each backend; kubelet probes have short timeouts of their own.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn stat(State(state): State<AppState>, ApiJson(req): ApiJson<StatSummaryRequest>) -> Answer {
    let engine = state.engine().clone();
    state
        .responses()
        .answer("stat", &req, req.at, || {
            let req = req.clone();
            async move { respond(engine.stat(&req).await) }
        })
        .await
}

pub async fn top_routes(State(state): State<AppState>, ApiJson(req): ApiJson<TopRoutesRequest>) -> Answer {
    let engine = state.engine().clone();
    state
        .responses()
        .answer("top-routes", &req, req.at, || {
            let req = req.clone();
            async move { respond(engine.top_routes(&req).await) }
        })
        .await
}

pub async fn edges(State(state): State<AppState>, ApiJson(req): ApiJson<EdgesRequest>) -> Answer {
    let engine = state.engine().clone();
    state
        .responses()
        .answer("edges", &req, req.at, || {
            let req = req.clone();
            async move { respond(engine.edges(&req).await) }
        })
        .await
}

pub async fn gateways(State(state): State<AppState>, ApiJson(req): ApiJson<GatewaysRequest>) -> Answer {
    let engine = state.engine().clone();
    state
        .responses()
        .answer("gateways", &req, req.at, || {
            let req = req.clone();
            async move { respond(engine.gateways(&req).await) }
        })
        .await
}

/// 200 `ok` once Prometheus answers a query and Kubernetes is usable (when it is used at all):
/// every watch-backed cache has synced, or, for a live inventory, the API server answers its
/// version. Otherwise 503 with the error object naming whatever is missing.
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
        let inventory = state.engine().inventory()?;
        let url = inventory.shown_url().to_string();
        if let Some(cache) = inventory.cache() {
            let missing = cache.unsynced();
            return (!missing.is_empty())
                .then(|| format!("{} at {url}: caches not synced yet: {}", k8s::BACKEND, missing.join(", ")));
        }
        match tokio::time::timeout(PROBE_TIMEOUT, inventory.client().apiserver_version()).await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(BackendError { backend: k8s::BACKEND, url, cause: e.to_string() }.to_string()),
            Err(_) => Some(format!("{} at {url}: {late}", k8s::BACKEND)),
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

/// Prometheus text format: request counts and what reached Prometheus.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.telemetry().render(state.metrics().stats(), state.responses().stats());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
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

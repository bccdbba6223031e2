//! Request bookkeeping for `lviz serve`: the per-request deadline, the access log (one
//! key=value line per request on stderr, only with `--access-log`), and the counters `/metrics`
//! exposes in the Prometheus text format (requests and their latency by route, through the
//! engine's `RequestTelemetry`, which the gRPC face uses too; the answer cache; Prometheus).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::ResponseCacheStats;
use super::errors::ApiError;
use lviz_engine::coalesce::CoalesceStats;
use lviz_engine::serving::RequestTelemetry;

/// Requests answered, by route (never the raw path: bounded label values) and status.
pub struct Telemetry {
    requests: RequestTelemetry,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry { requests: RequestTelemetry::new("lviz_http", "HTTP requests", "route", "status") }
    }
}

impl Telemetry {
    /// The Prometheus text exposition of every counter.
    pub fn render(&self, queries: CoalesceStats, responses: ResponseCacheStats) -> String {
        let mut out = self.requests.render();
        let counters = [
            ("lviz_prometheus_queries_total", "Queries sent to Prometheus.", queries.sent),
            (
                "lviz_prometheus_queries_coalesced_total",
                "Queries answered by joining an identical query already in flight.",
                queries.coalesced,
            ),
            ("lviz_prometheus_query_cache_hits_total", "Queries answered from the result cache.", queries.cache_hits),
            ("lviz_prometheus_query_failures_total", "Queries sent to Prometheus that failed.", queries.failed),
            ("lviz_response_cache_hits_total", "API requests answered from the response cache.", responses.hits),
            (
                "lviz_response_cache_stale_total",
                "API requests answered with an expired answer while it was being recomputed.",
                responses.stale,
            ),
            (
                "lviz_response_cache_refreshes_total",
                "Computations started in the background to replace an expired answer.",
                responses.refreshes,
            ),
            (
                "lviz_response_cache_joined_total",
                "API requests that waited for an identical request being answered.",
                responses.joined,
            ),
            ("lviz_response_cache_misses_total", "API requests computed (response cache on).", responses.misses),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }
        let (name, value) = ("lviz_response_cache_entries", responses.entries);
        let _ = writeln!(out, "# HELP {name} Answers held by the response cache.\n# TYPE {name} gauge\n{name} {value}");
        out
    }
}

/// Outermost layer: counts every answer and, with `--access-log`, logs it.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(256).collect();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let response = next.run(req).await;
    let status = response.status();
    state.telemetry().requests.observe(&route, status.as_str(), started.elapsed());
    if state.access_log() {
        let line = format!(
            "ts={} method={method} path={:?} status={} duration_ms={:.3}\n",
            now_rfc3339(),
            lviz_api::hygiene::escape_unsafe(&path),
            status.as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        // A closed stderr must not take the server down: write, don't `eprintln!`.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
    response
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "-".to_string())
}

/// How long after the handler deadline the server gives up on a handler that did not end.
const DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Every request gets at most the handler timeout; past it, 504 with the error object. The
/// queries it started are not lost: the coalescing layer lets them finish for others.
pub async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.handler_timeout();
    // Every backend call inside gives up at the deadline, naming itself (502); the outer
    // bound, a moment later, answers 504 for anything that would not.
    let deadline = std::time::Instant::now() + limit;
    let scoped = lviz_api::deadline::scope(Some(deadline), next.run(req));
    let abandoned = |why: Option<String>| {
        let mut message = format!("request took longer than {} and was abandoned", humantime::format_duration(limit));
        if let Some(why) = why {
            message.push_str(": ");
            message.push_str(&why);
        }
        ApiError::new(StatusCode::GATEWAY_TIMEOUT, message).into_response()
    };
    match tokio::time::timeout(limit + DEADLINE_GRACE, scoped).await {
        Ok(response) if response.status() != StatusCode::BAD_GATEWAY || std::time::Instant::now() < deadline => {
            response
        }
        // A backend that gave up because the handler's time ran out: the request timed out,
        // and the message says which backend was still being waited for.
        Ok(response) => abandoned(error_message(response).await),
        Err(_) => abandoned(None),
    }
}

/// The message of an error object answer.
async fn error_message(response: Response) -> Option<String> {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value["error"]["error"].as_str().map(str::to_string)
}

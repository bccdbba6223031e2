//! Request bookkeeping for `lviz serve`: the per-request deadline, the access log (one
//! key=value line per request on stderr, only with `--access-log`), and the counters `/metrics`
//! exposes in the Prometheus text format. Hand-written because it is four counters; a metrics
//! crate would bring a registry this server does not need.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::cache::ResponseCacheStats;
use super::errors::ApiError;
use lviz_engine::coalesce::CoalesceStats;

/// Requests answered, by route (never the raw path: bounded label values) and status.
#[derive(Default)]
pub struct Telemetry {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Telemetry {
    fn count(&self, route: &str, status: StatusCode) {
        let mut map = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry((route.to_string(), status.as_u16())).or_default() += 1;
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self, queries: CoalesceStats, responses: ResponseCacheStats) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        out.push_str("# HELP lviz_http_requests_total HTTP requests answered, by route and status.\n");
        out.push_str("# TYPE lviz_http_requests_total counter\n");
        for ((route, status), n) in &requests {
            let _ = writeln!(out, "lviz_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}", escape(route));
        }
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

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Outermost layer: counts every answer and, with `--access-log`, logs it.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(256).collect();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let response = next.run(req).await;
    let status = response.status();
    state.telemetry().count(&route, status);
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

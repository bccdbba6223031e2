//! `lviz serve`'s HTTP JSON face: the Linkerd Viz metrics API (`metrics-api.openapi.yml`) plus
//! lviz's extensions, one route per endpoint of the list. The same `Engine` the CLI embeds
//! (reading Kubernetes through watch-backed caches), behind axum and a short-lived response
//! cache: this module only wires routes, limits, caching and shutdown.
//!
//! Status policy (docs/serve.md): 200 answer; 400 the engine's error object (invalid request)
//! or malformed JSON; 413 body over [`BODY_LIMIT`]; 415 not JSON; 422 wrong field types; 404
//! unknown path or missing object; 405 wrong method; 502 Prometheus or Kubernetes failed;
//! 503 `/ready` while a backend is down; 504 the handler timeout passed; 500 a bug (panic).
//! Every error body is `{"error":{"error":"…"}}`.

mod cache;
mod errors;
mod guard;
mod handlers;
mod listener;
mod telemetry;

pub use cache::{Answer, CachePolicy, ResponseCache, ResponseCacheStats};
pub use errors::ApiError;
pub use listener::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_HEADER_BYTES, MAX_URI_BYTES, ServeLimits};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;

use lviz_api::{BackendError, Endpoint, Rejection};
use lviz_engine::coalesce::{CoalesceOptions, Coalescing};
use lviz_engine::{Engine, EngineConfig};
use telemetry::Telemetry;

/// Request bodies above this are refused with 413; the largest real request is well under 1 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the server behaves, resolved from `lviz serve`'s flags.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub access_log: bool,
    /// Queries outstanding towards Prometheus at once.
    pub max_concurrent_queries: usize,
    /// Response cache (`--cache-ttl`, `--cache-stale-for`); `None` is off.
    pub cache: Option<CachePolicy>,
    /// Longest a request may take before it is answered 504.
    pub handler_timeout: Duration,
    /// Connection limits (`--header-read-timeout`, `--max-connections`); their
    /// `handler_timeout` is the one above.
    pub limits: ServeLimits,
}

struct Inner {
    engine: Engine,
    metrics: Arc<Coalescing>,
    responses: ResponseCache,
    telemetry: Telemetry,
    access_log: bool,
    handler_timeout: Duration,
    body_read_timeout: Duration,
}

/// What every handler shares: the engine, the coalescing layer under it (for `/ready` and the
/// query counters), the response cache and the request counters.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// `metrics` must be the layer the engine queries through, so its counters are the engine's.
    pub fn new(engine: Engine, metrics: Arc<Coalescing>, options: &ServeOptions) -> Self {
        AppState {
            inner: Arc::new(Inner {
                engine,
                metrics,
                responses: ResponseCache::new(options.cache),
                telemetry: Telemetry::default(),
                access_log: options.access_log,
                handler_timeout: options.handler_timeout,
                body_read_timeout: options.limits.body_read_timeout,
            }),
        }
    }

    fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    fn metrics(&self) -> &Coalescing {
        &self.inner.metrics
    }
    fn responses(&self) -> &ResponseCache {
        &self.inner.responses
    }
    fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }
    fn access_log(&self) -> bool {
        self.inner.access_log
    }
    fn handler_timeout(&self) -> Duration {
        self.inner.handler_timeout
    }
    fn body_read_timeout(&self) -> Duration {
        self.inner.body_read_timeout
    }
}

/// One `POST` route per endpoint of the list.
macro_rules! api_routes {
    ($($e:ty),*) => {
        Router::new() $(.route(<$e as Endpoint>::PATH, post(handlers::endpoint::<$e>)))*
    };
}

/// What `lviz serve` serves with: the engine composed from `config` (Kubernetes read through
/// watch-backed caches, started here) and its coalescing layer. `note` receives the lines an
/// operator should see on stderr.
pub async fn state(
    config: &EngineConfig,
    options: &ServeOptions,
    verbose: bool,
    note: &mut (dyn FnMut(String) + Send),
) -> Result<AppState, Rejection> {
    // `--cache-ttl` is the server's response cache (`cache.rs`); the query-level cache stays
    // off, as whole answers already cover repeated views without holding raw samples.
    let coalesce = CoalesceOptions { max_in_flight: options.max_concurrent_queries, cache_ttl: None };
    let composed = lviz_engine::compose(config, coalesce, verbose, note).await?;
    Ok(AppState::new(composed.engine.with_cached_cluster(), composed.metrics, options))
}

/// The whole HTTP surface, testable with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    let api: Router<AppState> = lviz_api::for_each_endpoint!(api_routes);
    api.route("/ready", get(handlers::ready))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        // Innermost first: body limit, sizes and body read time, panics → 500, deadline, then
        // counting and logging,
        // so the access log sees the status the client got.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(state.clone(), telemetry::deadline))
        .layer(middleware::from_fn_with_state(state.clone(), telemetry::observe))
        .with_state(state)
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error while answering this request").into_response()
}

/// Binds, serves until SIGTERM or SIGINT, then closes idle connections and lets requests in
/// flight finish (each bounded by the handler timeout).
pub async fn serve(state: AppState, addr: SocketAddr) -> Result<(), BackendError> {
    let limits = ServeLimits { handler_timeout: state.handler_timeout(), ..ServeLimits::default() };
    serve_with(state, addr, limits).await
}

/// [`serve`] with explicit connection limits.
pub async fn serve_with(state: AppState, addr: SocketAddr, limits: ServeLimits) -> Result<(), BackendError> {
    let fail = |cause: String| BackendError { backend: "lviz serve listener", url: addr.to_string(), cause };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| fail(e.to_string()))?;
    let bound = listener.local_addr().map_err(|e| fail(e.to_string()))?;
    // Tests and scripts read this line to learn the port of `--addr 127.0.0.1:0`.
    log_line(&format!("lviz serve: listening on http://{bound}"));
    listener::run(listener, router(state), limits, shutdown_signal()).await.map_err(|e| fail(e.to_string()))?;
    log_line("lviz serve: stopped");
    Ok(())
}

fn log_line(line: &str) {
    use std::io::Write;
    let line = lviz_api::hygiene::escape_unsafe(line);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let wait = |kind: SignalKind| async move {
        match signal(kind) {
            Ok(mut s) => {
                s.recv().await;
            }
            // Cannot listen for it: then it never arrives this way.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = wait(SignalKind::terminate()) => {}
        _ = wait(SignalKind::interrupt()) => {}
    }
    log_line("lviz serve: shutting down, finishing requests in flight");
}

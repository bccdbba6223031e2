//! `lviz serve`'s HTTP JSON face: the Linkerd Viz metrics API (`metrics-api.openapi.yml`) plus
//! lviz's extensions, one route per endpoint of the list; and the admin face (`/ready`,
//! `/ping`, `/metrics`, Linkerd's admin port). The same `Engine` the CLI embeds (reading
//! Kubernetes through watch-backed caches), shared with the gRPC face together with its cache
//! of whole answers (`lviz_engine::serving`): this module only wires routes, limits and
//! shutdown.
//!
//! Status policy (docs/serve.md): 200 answer; 400 the engine's error object (invalid request)
//! or malformed JSON; 413 body over [`BODY_LIMIT`]; 415 not JSON; 422 wrong field types; 404
//! unknown path or missing object; 405 wrong method; 502 Prometheus or Kubernetes failed;
//! 503 `/ready` while a backend is down; 504 the handler timeout passed; 500 a bug (panic).
//! Every error body is `{"error":{"error":"…"}}`.

mod answer;
mod errors;
mod guard;
mod handlers;
mod listener;
mod telemetry;

pub use answer::Answer;
pub use errors::ApiError;
pub use listener::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_HEADER_BYTES, MAX_URI_BYTES, ServeLimits};
pub use lviz_engine::serving::{CachePolicy, CacheStats as ResponseCacheStats};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;

use lviz_api::{BackendError, Endpoint, Rejection};
use lviz_engine::EngineConfig;
use lviz_engine::coalesce::Coalescing;
use lviz_engine::serving::{Serving, ServingOptions};
use telemetry::Telemetry;

/// Request bodies above this are refused with 413; the largest real request is well under 1 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How the server behaves, resolved from `lviz serve`'s flags.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// The JSON API's address; `None`: not served (the admin and gRPC faces may still be).
    pub addr: Option<SocketAddr>,
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

/// More text for `/metrics` (another face's counters), rendered at each scrape.
pub type MetricsSource = Box<dyn Fn() -> String + Send + Sync>;

struct Inner {
    serving: Serving,
    telemetry: Telemetry,
    access_log: bool,
    handler_timeout: Duration,
    more_metrics: OnceLock<MetricsSource>,
    body_read_timeout: Duration,
}

/// What every handler shares: the engine with its answer cache and the coalescing layer under
/// it (for `/ready` and the query counters), and the request counters.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    pub fn new(serving: Serving, options: &ServeOptions) -> Self {
        AppState {
            inner: Arc::new(Inner {
                serving,
                telemetry: Telemetry::default(),
                access_log: options.access_log,
                handler_timeout: options.handler_timeout,
                more_metrics: OnceLock::new(),
                body_read_timeout: options.limits.body_read_timeout,
            }),
        }
    }

    /// Adds another face's counters to `/metrics` (once; later calls are ignored).
    pub fn add_metrics(&self, source: MetricsSource) {
        let _ = self.inner.more_metrics.set(source);
    }

    /// The engine and answer cache this state serves from (shared with the gRPC face).
    pub fn serving(&self) -> &Serving {
        &self.inner.serving
    }
    fn metrics(&self) -> &Coalescing {
        self.inner.serving.metrics()
    }
    fn more_metrics(&self) -> String {
        self.inner.more_metrics.get().map(|f| f()).unwrap_or_default()
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
    // `--cache-ttl` is the answer cache both faces share; the query-level cache stays off, as
    // whole answers already cover repeated views without holding raw samples.
    let serving_options =
        ServingOptions { max_concurrent_queries: options.max_concurrent_queries, cache: options.cache };
    let serving = Serving::compose(config, serving_options, verbose, note).await?;
    Ok(AppState::new(serving, options))
}

/// The whole HTTP surface, testable with `tower::ServiceExt::oneshot`.
pub fn router(state: AppState) -> Router {
    let api: Router<AppState> = lviz_api::for_each_endpoint!(api_routes);
    api.route("/ready", get(handlers::ready))
        .route("/metrics", get(handlers::metrics))
        .route("/version", get(handlers::version))
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

/// The admin face (Linkerd's admin port, 9995): `/ready`, `/ping` and `/metrics` only.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/ready", get(handlers::ready))
        .route("/ping", get(handlers::ping))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error while answering this request").into_response()
}

/// A listener on `addr`, or the failure naming it.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, BackendError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| listener_error(addr, e.to_string()))
}

/// The address a listener is bound to (its port, for `:0`).
pub fn local_addr(listener: &tokio::net::TcpListener) -> String {
    listener.local_addr().map_or_else(|e| format!("(unknown address: {e})"), |a| a.to_string())
}

fn listener_error(addr: impl std::fmt::Display, cause: String) -> BackendError {
    BackendError { backend: "lviz serve listener", url: addr.to_string(), cause }
}

/// Serves `app` (the API's [`router`] or the [`admin_router`]) on `listener` under `limits`
/// (header-read timeout, connection cap) until `shutdown` completes, then lets in-flight
/// requests finish.
pub async fn serve_listener(
    app: Router,
    listener: tokio::net::TcpListener,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BackendError> {
    let addr = local_addr(&listener);
    listener::run(listener, app, limits, shutdown).await.map_err(|e| listener_error(addr, e.to_string()))
}

/// One line on stderr; a closed stderr is not an error.
pub fn log_line(line: &str) {
    use std::io::Write;
    let line = lviz_api::hygiene::escape_unsafe(line);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// SIGTERM or SIGINT (then a note on stderr).
pub async fn shutdown_signal() {
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

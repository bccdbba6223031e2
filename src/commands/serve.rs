//! `lviz serve`: the metrics API server. Its arguments and their resolution into server
//! options, and the three faces it starts on one engine and one answer cache: gRPC
//! `linkerd2.viz.Api` (`lviz_grpc::server`, Linkerd's port 8085), the HTTP JSON API
//! (`lviz_http::server`) and the admin endpoints (Linkerd's admin port 9995). Each face can be
//! turned off with `off`; they stop together on SIGTERM/SIGINT.

use std::net::SocketAddr;

use clap::Args;
use futures::FutureExt;
use futures::future::BoxFuture;
use lviz_grpc::{GrpcOptions, GrpcState};
use lviz_http::server::{AppState, CachePolicy, ServeLimits, ServeOptions};

use super::Run;
use crate::args::{FlagGroup, GlobalArgs};
use crate::error::{CliError, usage};
use crate::session::Outcome;
use crate::settings::{self, Env, Tables, duration_flag};

pub const NOTES: &str = "\
Examples:
  lviz serve --addr 127.0.0.1:8085
  lviz serve --prometheus-url http://prometheus.linkerd-viz:9090 --access-log
  lviz --api-addr http://127.0.0.1:8085 stat deploy -n emojivoto

Uses the same Prometheus and Kubernetes options as the other commands; in a pod without a
kubeconfig it uses the pod's service account. Serves linkerd2.viz.Api over gRPC (--grpc-addr,
Linkerd's metrics-api port 8085), the HTTP JSON API (--addr) and the admin endpoints /ready,
/ping and /metrics (--admin-addr, Linkerd's 9995), from one engine and one answer cache. See
docs/serve.md and docs/dropin.md.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address of the HTTP JSON API, or `off` (port 0 picks a free port, printed on stderr)
    #[arg(long, visible_alias = "http-addr", default_value = "0.0.0.0:8086", value_name = "ADDR")]
    pub addr: String,

    /// Address of the gRPC API (linkerd2.viz.Api, plaintext HTTP/2), or `off`
    #[arg(long, default_value = "0.0.0.0:8085", value_name = "ADDR")]
    pub grpc_addr: String,

    /// Address of the admin endpoints (/ready, /ping, /metrics), or `off`
    #[arg(long, default_value = "0.0.0.0:9995", value_name = "ADDR")]
    pub admin_addr: String,

    /// Log one line per request on stderr (key=value: ts, method, path, status, duration_ms)
    #[arg(long)]
    pub access_log: bool,

    /// Queries outstanding towards Prometheus at once
    #[arg(long, default_value = "16", value_name = "N")]
    pub max_concurrent_queries: usize,

    /// Reuse whole answers for this long (0s: off); "now" requests share 10 s buckets
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub cache_ttl: String,

    /// After the TTL, keep serving an answer this long while one refresh replaces it (0s: wait)
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub cache_stale_for: String,

    /// Answer 504 (gRPC: DEADLINE_EXCEEDED) when a request takes longer than this
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub handler_timeout: String,

    /// gRPC connections served at once; more wait until one closes
    #[arg(long, default_value = "1024", value_name = "N")]
    pub grpc_max_connections: usize,

    /// Close a connection whose request headers (or body: 408) do not arrive within this;
    /// also how long an idle keep-alive connection is kept
    #[arg(long, default_value = "20s", value_name = "DURATION")]
    pub header_read_timeout: String,

    /// HTTP connections held at once; past it a connection gets 503 and is closed
    #[arg(long, default_value = "1024", value_name = "N")]
    pub max_connections: usize,
}

/// The faces besides the JSON API and how the gRPC one behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faces {
    pub grpc: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub grpc_options: GrpcOptions,
}

impl Run for ServeArgs {
    // What a request asks (namespace, window, time) comes with each request; output, watch and
    // gates belong to the CLI's views; a server does not ask another server.
    const FLAGS: &'static [FlagGroup] = &[FlagGroup::Prometheus, FlagGroup::Kubernetes, FlagGroup::Requests];

    fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>> {
        Box::pin(async move {
            let (state, options, faces) = prepare_all(self, global, env).await?;
            serve(state, &options, &faces).await.map_err(lviz_api::Rejection::from)?;
            Ok(Outcome::default())
        })
    }
}

/// Binds every face first (so a taken port fails before anything is served), names each on
/// stderr (the JSON API's line first, as scripts read it), then serves until SIGTERM/SIGINT.
async fn serve(state: AppState, options: &ServeOptions, faces: &Faces) -> Result<(), lviz_api::BackendError> {
    use lviz_http::server::{admin_router, bind, local_addr, log_line, router, serve_listener, shutdown_signal};
    let grpc = GrpcState::new(state.serving().clone(), faces.grpc_options);
    let counters = grpc.clone();
    state.add_metrics(Box::new(move || counters.metrics_text()));
    let json = match options.addr {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let grpc_listener = match faces.grpc {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let admin = match faces.admin {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    if let Some(l) = &json {
        // Tests and scripts read this line to learn the port of `--addr 127.0.0.1:0`.
        log_line(&format!("lviz serve: listening on http://{}", local_addr(l)));
    }
    if let Some(l) = &grpc_listener {
        log_line(&format!("lviz serve: gRPC (linkerd2.viz.Api) listening on {}", local_addr(l)));
    }
    if let Some(l) = &admin {
        log_line(&format!("lviz serve: admin (/ready, /ping, /metrics) listening on http://{}", local_addr(l)));
    }
    let stop = shutdown_signal().boxed().shared();
    let json = async {
        match json {
            Some(l) => serve_listener(router(state.clone()), l, options.limits, stop.clone()).await,
            None => Ok(()),
        }
    };
    let admin = async {
        match admin {
            Some(l) => serve_listener(admin_router(state.clone()), l, options.limits, stop.clone()).await,
            None => Ok(()),
        }
    };
    let grpc = async {
        match grpc_listener {
            Some(l) => lviz_grpc::server::serve(grpc, l, stop.clone()).await,
            None => Ok(()),
        }
    };
    futures::try_join!(json, grpc, admin)?;
    log_line("lviz serve: stopped");
    Ok(())
}

/// What `lviz <flags> serve <serve flags>` serves with, without listening yet: the resolved
/// options and the server's state (engine composed, Kubernetes caches started).
pub async fn prepare(args: ServeArgs, global: GlobalArgs, env: &Env<'_>) -> Result<(AppState, ServeOptions), CliError> {
    let (state, options, _) = prepare_all(args, global, env).await?;
    Ok((state, options))
}

async fn prepare_all(
    args: ServeArgs,
    global: GlobalArgs,
    env: &Env<'_>,
) -> Result<(AppState, ServeOptions, Faces), CliError> {
    let (settings, _) = settings::resolve(global, Tables::default(), env)?;
    let (options, faces) = options(args)?;
    let mut note = |line: String| crate::output::stderr_line(&line);
    let state = lviz_http::server::state(&settings.engine, &options, settings.verbose, &mut note).await?;
    Ok((state, options, faces))
}

/// An `IP:PORT` flag, or `off`.
fn address(flag: &str, text: &str, default_port: u16) -> Result<Option<SocketAddr>, CliError> {
    if text == "off" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| {
        usage(format!("invalid {flag} {text:?}: {e} (expected IP:PORT, e.g. 0.0.0.0:{default_port}, or off)"))
    })
}

fn options(args: ServeArgs) -> Result<(ServeOptions, Faces), CliError> {
    let ServeArgs {
        addr,
        grpc_addr,
        admin_addr,
        access_log,
        max_concurrent_queries,
        cache_ttl,
        cache_stale_for,
        handler_timeout,
        grpc_max_connections,
        header_read_timeout,
        max_connections,
    } = args;
    let addr = address("--addr", &addr, 8086)?;
    let grpc = address("--grpc-addr", &grpc_addr, 8085)?;
    let admin = address("--admin-addr", &admin_addr, 9995)?;
    if addr.is_none() && grpc.is_none() {
        return Err(usage("--addr off and --grpc-addr off: nothing would answer requests"));
    }
    if max_concurrent_queries == 0 {
        return Err(usage("invalid --max-concurrent-queries 0: must be at least 1"));
    }
    if grpc_max_connections == 0 {
        return Err(usage("invalid --grpc-max-connections 0: must be at least 1"));
    }
    let ttl = duration_flag("--cache-ttl", &cache_ttl, true)?;
    let stale_for = duration_flag("--cache-stale-for", &cache_stale_for, true)?;
    let cache = Some(CachePolicy { ttl, stale_for }).filter(|p| !p.ttl.is_zero());
    let handler_timeout = duration_flag("--handler-timeout", &handler_timeout, false)?;
    let header_read_timeout = duration_flag("--header-read-timeout", &header_read_timeout, false)?;
    if max_connections == 0 {
        return Err(usage("invalid --max-connections 0: must be at least 1"));
    }
    let limits =
        ServeLimits { header_read_timeout, max_connections, body_read_timeout: header_read_timeout, handler_timeout };
    let grpc_options = GrpcOptions { handler_timeout, max_connections: grpc_max_connections, ..GrpcOptions::default() };
    let options = ServeOptions { addr, access_log, max_concurrent_queries, cache, handler_timeout, limits };
    Ok((options, Faces { grpc, admin, grpc_options }))
}

/// [`prepare`] for a whole parsed command line whose command is `serve` (tests and embedding).
pub async fn prepare_cli(cli: crate::Cli, env: &Env<'_>) -> Result<(AppState, ServeOptions), CliError> {
    let crate::Cli { global, command } = cli;
    match command {
        super::Command::Serve(args) => prepare(args, global, env).await,
        _ => Err(usage("not a serve command line")),
    }
}

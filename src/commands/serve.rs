//! `lviz serve`: the metrics API server. Its arguments and their resolution into server
//! options; the server itself is `lviz_http::server`, composed with the same engine the CLI
//! embeds.

use clap::Args;
use futures::future::BoxFuture;
use lviz_http::server::{AppState, CachePolicy, ServeLimits, ServeOptions};

use super::Run;
use crate::args::GlobalArgs;
use crate::error::{CliError, usage};
use crate::session::Outcome;
use crate::settings::{self, Env, Tables, duration_flag};

pub const NOTES: &str = "\
Uses the same Prometheus and Kubernetes options as the other commands; in a pod without a
kubeconfig it uses the pod's service account. GET /ready answers 200 once both backends
answer, GET /metrics exposes request and Prometheus query counters. See docs/serve.md.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port, printed on stderr)
    #[arg(long, default_value = "0.0.0.0:8085", value_name = "ADDR")]
    pub addr: String,

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

    /// Answer 504 when a request takes longer than this
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub handler_timeout: String,

    /// Close a connection whose request headers (or body: 408) do not arrive within this;
    /// also how long an idle keep-alive connection is kept
    #[arg(long, default_value = "20s", value_name = "DURATION")]
    pub header_read_timeout: String,

    /// Connections held at once; past it a connection gets 503 and is closed
    #[arg(long, default_value = "1024", value_name = "N")]
    pub max_connections: usize,
}

impl Run for ServeArgs {
    fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>> {
        Box::pin(async move {
            let (state, options) = prepare(self, global, env).await?;
            lviz_http::server::serve_with(state, options.addr, options.limits)
                .await
                .map_err(lviz_api::Rejection::from)?;
            Ok(Outcome::default())
        })
    }
}

/// What `lviz <flags> serve <serve flags>` serves with, without listening yet: the resolved
/// options and the server's state (engine composed, Kubernetes caches started).
pub async fn prepare(args: ServeArgs, global: GlobalArgs, env: &Env<'_>) -> Result<(AppState, ServeOptions), CliError> {
    let (settings, _) = settings::resolve(global, Tables::default(), env)?;
    let options = options(args)?;
    let mut note = |line: String| crate::output::stderr_line(&line);
    let state = lviz_http::server::state(&settings.engine, &options, settings.verbose, &mut note).await?;
    Ok((state, options))
}

fn options(args: ServeArgs) -> Result<ServeOptions, CliError> {
    let ServeArgs {
        addr,
        access_log,
        max_concurrent_queries,
        cache_ttl,
        cache_stale_for,
        handler_timeout,
        header_read_timeout,
        max_connections,
    } = args;
    let addr = addr
        .parse()
        .map_err(|e| usage(format!("invalid --addr {addr:?}: {e} (expected IP:PORT, e.g. 0.0.0.0:8085)")))?;
    if max_concurrent_queries == 0 {
        return Err(usage("invalid --max-concurrent-queries 0: must be at least 1"));
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
    Ok(ServeOptions { addr, access_log, max_concurrent_queries, cache, handler_timeout, limits })
}

/// [`prepare`] for a whole parsed command line whose command is `serve` (tests and embedding).
pub async fn prepare_cli(cli: crate::Cli, env: &Env<'_>) -> Result<(AppState, ServeOptions), CliError> {
    let crate::Cli { global, command } = cli;
    match command {
        super::Command::Serve(args) => prepare(args, global, env).await,
        _ => Err(usage("not a serve command line")),
    }
}

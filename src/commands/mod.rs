//! One file per command: its arguments (clap), how they become validated requests, and, for
//! the commands that ask a backend, its [`View`]: how to fetch, render, gate and diagnose its
//! answer. The session machinery (`crate::session`) runs any view; this module only lists the
//! commands, in the order `lviz --help` shows them.

pub mod authz;
pub mod completions;
pub mod edges;
pub mod gateways;
pub mod generate;
pub mod man;
mod route_stats;
pub mod routes;
pub mod serve;
pub mod stat;
pub mod stat_inbound;
pub mod stat_outbound;

use clap::{Parser, Subcommand};
use futures::future::BoxFuture;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::session::{self, Outcome, View};
use crate::settings::{self, Common, Env, Tables};

const ABOUT: &str =
    "Linkerd's golden metrics (success rate, RPS, latency, TCP) straight from Prometheus and Kubernetes";

const EXIT_CODES: &str = "\
Exit codes:
  0  success (an empty result is a success)
  1  a backend failed (Prometheus, Kubernetes, metrics API) or an object was not found
  2  usage error (bad argument, flag or value)
  3  a --fail-if gate failed (the output is printed; the breaches are listed on stderr)";

#[derive(Debug, Parser)]
#[command(name = "lviz", version, about = ABOUT, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Runs a command from its parsed arguments and the global flags.
pub trait Run {
    fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>>;
}

/// A command that asks a backend and shows the answer.
pub trait ViewCommand: Sized + Send + 'static {
    type View: View + 'static;
    /// What its `--sort-by` and `--fail-if` apply to.
    const TABLES: Tables;
    /// Its arguments as validated requests and a render view, with linkerd's checks in
    /// linkerd's order.
    fn resolve(self, common: &Common) -> Result<Self::View, CliError>;
}

impl<C: ViewCommand> Run for C {
    fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>> {
        Box::pin(async move {
            let (settings, common) = settings::resolve(global, C::TABLES, env)?;
            let view = self.resolve(&common)?;
            session::run(&view, &settings, &common.session).await
        })
    }
}

/// Declares the command enum and its dispatch from one list: a new command is one line here.
macro_rules! commands {
    ($($(#[$meta:meta])* $variant:ident($args:ty),)*) => {
        #[derive(Debug, Subcommand)]
        pub enum Command {
            $($(#[$meta])* $variant($args),)*
        }

        impl Command {
            pub fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>> {
                match self {
                    $(Command::$variant(args) => Run::run(args, global, env),)*
                }
            }
        }
    };
}

commands! {
    /// Golden metrics per resource: meshed pods, success rate, RPS, latency percentiles, TCP
    #[command(after_help = stat::EXAMPLES)]
    Stat(stat::StatArgs),
    /// Per-route metrics from ServiceProfiles
    Routes(routes::RoutesArgs),
    /// Connections between resources and their mTLS identities
    Edges(edges::EdgesArgs),
    /// Multicluster gateways: alive, paired services, probe latency
    Gateways(gateways::GatewaysArgs),
    /// Inbound traffic per server and route (Linkerd 2.16+ policy metrics)
    #[command(after_help = stat_inbound::EXAMPLES)]
    StatInbound(stat_inbound::StatInboundArgs),
    /// Outbound traffic per route and backend of the Services called, with timeouts and retries
    #[command(after_help = stat_outbound::EXAMPLES)]
    StatOutbound(stat_outbound::StatOutboundArgs),
    /// Inbound traffic per route, server and authorization policy, with denied requests
    #[command(after_help = authz::EXAMPLES)]
    Authz(authz::AuthzArgs),
    /// Serve the Linkerd Viz metrics API over HTTP (POST /api/v1/stat, top-routes, edges, gateways, …)
    #[command(after_help = serve::NOTES)]
    Serve(serve::ServeArgs),
    /// Print a shell completion script to stdout
    #[command(after_help = completions::EXAMPLES)]
    Completions(completions::CompletionsArgs),
    /// Write the man pages (lviz.1, lviz-stat.1, ...) into DIR
    #[command(hide = true)]
    GenerateMan(man::GenerateManArgs),
}

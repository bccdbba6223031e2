//! One file per command: its arguments (clap), how they become validated requests, and, for
//! the commands that ask a backend, its [`View`]: how to fetch, render, gate and diagnose its
//! answer. The session machinery (`crate::session`) runs any view; this module lists the
//! commands, in the order `lviz --help` shows them, and arranges the clap command every one of
//! them gets (`cli_command`: its own flags first, the global flags under their headings, only the
//! global flags it uses; `parse_from`: clap's whole message on an error).

pub mod authz;
pub mod complete_dynamic;
pub mod completion;
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
pub mod suggest;
pub mod version;

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use futures::future::BoxFuture;

use crate::args::{FlagGroup, GLOBAL_DISPLAY_ORDER, GlobalArgs};
use crate::error::{CliError, from_clap};
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
#[command(name = "lviz", version, about = ABOUT, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Runs a command from its parsed arguments and the global flags.
pub trait Run {
    /// The global flags the command uses; the others are hidden from its help and refused.
    const FLAGS: &'static [FlagGroup] = FlagGroup::ALL;

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
            let view = self.resolve(&common).map_err(suggest::unknown_kind)?;
            let searched = suggest::Searched::of(&common);
            session::run(&view, &settings, &common.session).await.map_err(|e| searched.explain(e))
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

        /// The global flags each command uses, in the order of the list.
        const FLAG_GROUPS: &[&[FlagGroup]] = &[$(<$args as Run>::FLAGS,)*];
    };
}

commands! {
    /// Golden metrics per resource: meshed pods, success rate, RPS, latency, TCP
    #[command(after_help = stat::EXAMPLES)]
    Stat(stat::StatArgs),
    /// Per-route metrics from ServiceProfiles
    #[command(after_help = routes::EXAMPLES)]
    Routes(routes::RoutesArgs),
    /// Connections between resources and their mTLS identities
    #[command(after_help = edges::EXAMPLES)]
    Edges(edges::EdgesArgs),
    /// Multicluster gateways: alive, paired services, probe latency
    #[command(after_help = gateways::EXAMPLES)]
    Gateways(gateways::GatewaysArgs),
    /// Inbound traffic per server and route (Linkerd 2.16+ policy metrics)
    #[command(after_help = stat_inbound::EXAMPLES)]
    StatInbound(stat_inbound::StatInboundArgs),
    /// Outbound traffic per route and backend, with timeouts and retries
    #[command(after_help = stat_outbound::EXAMPLES)]
    StatOutbound(stat_outbound::StatOutboundArgs),
    /// Inbound traffic per route, server and authorization policy, with denied requests
    #[command(after_help = authz::EXAMPLES)]
    Authz(authz::AuthzArgs),
    /// Serve the Linkerd Viz metrics API (HTTP JSON; docs/serve.md)
    #[command(after_help = serve::NOTES)]
    Serve(serve::ServeArgs),
    /// Print the shell completion script (static and dynamic completion)
    #[command(after_help = completion::EXAMPLES, alias = "completions")]
    Completion(completion::CompletionArgs),
    /// Print lviz's version and, with --api-addr, the metrics API server's
    #[command(after_help = version::EXAMPLES)]
    Version(version::VersionArgs),
    /// Show a man page (lviz man stat), or install them where man finds them
    #[command(after_help = man::EXAMPLES)]
    Man(man::ManArgs),
    /// Write the man pages (lviz.1, lviz-stat.1, ...) into DIR
    #[command(hide = true)]
    GenerateMan(man::GenerateManArgs),
}

/// The command line as lviz parses it: `Cli`'s definition with one `-h/--help` (the one-line
/// summaries; `lviz help COMMAND` gives the details), every global flag after the command's own
/// ones, and the global flags a command does not use hidden from its help.
pub fn cli_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_flag(true).arg(
        clap::Arg::new("help")
            .short('h')
            .long("help")
            .global(true)
            .action(clap::ArgAction::HelpShort)
            .help("Print help (details: lviz help COMMAND, or man lviz-COMMAND)"),
    );
    let globals: Vec<String> =
        cmd.get_arguments().filter(|a| a.is_global_set()).map(|a| a.get_id().to_string()).collect();
    for (i, id) in globals.iter().enumerate() {
        cmd = cmd.mut_arg(id, |a| a.display_order(GLOBAL_DISPLAY_ORDER + i));
    }
    cmd = complete_dynamic::attach(cmd);
    // A command's own hidden copy of a global flag it does not use stops clap from propagating
    // the global one into it: hidden from its help, parsed, then refused by `refuse_unused`.
    // (`mut_subcommand` moves the command to the end: visit all, in order, to keep the order.)
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in &names {
        let copies: Vec<clap::Arg> = unused_flags(flag_groups(name))
            .filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == id))
            .map(|a| a.clone().global(false).hide(true))
            .collect();
        cmd = cmd.mut_subcommand(name, |sub| sub.args(copies));
    }
    cmd.build();
    cmd
}

/// The global flag groups the command `name` uses (all for clap's `help`).
fn flag_groups(name: &str) -> &'static [FlagGroup] {
    let position = Cli::command().get_subcommands().position(|s| s.get_name() == name);
    position.and_then(|i| FLAG_GROUPS.get(i)).copied().unwrap_or(FlagGroup::ALL)
}

/// The global flags outside `groups`.
fn unused_flags(groups: &[FlagGroup]) -> impl Iterator<Item = &'static str> + '_ {
    FlagGroup::ALL.iter().filter(|g| !groups.contains(g)).flat_map(|g| g.ids().iter().copied())
}

/// Parses a command line (`args[0]` is the program). `Err(Ok(text))`: help or version text
/// for stdout (exit 0); `Err(Err(e))`: the error to report.
pub fn parse_from<I, T>(args: I) -> Result<Cli, Result<String, CliError>>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = cli_command();
    let matches = cmd.try_get_matches_from_mut(args).map_err(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Err(command_list(&cmd)),
        _ => from_clap(e),
    })?;
    refuse_unused(&mut cmd, &matches).map_err(from_clap)?;
    Cli::from_arg_matches(&matches).map_err(|e| from_clap(e.format(&mut cmd)))
}

/// `lviz` alone: what there is to run, and where to read more (exit 2, as for any usage error).
fn command_list(cmd: &clap::Command) -> CliError {
    let template = "{about}\n\nUsage: lviz [OPTIONS] <COMMAND>\n\nCommands:\n{subcommands}\n\n\
                    See 'lviz <COMMAND> --help' for a command's flags and examples, 'lviz --help' for the global flags.";
    let text = cmd.clone().help_template(template).render_help().to_string();
    CliError::Parse(text)
}

/// A global flag given on the command line to a command that does not use it is an error
/// (`lviz serve -o json` would otherwise be silently ignored). Values from the environment
/// (`LVIZ_AT`, `LVIZ_API_ADDR`, ...) are not: they are meant for every command that uses them.
fn refuse_unused(cmd: &mut clap::Command, matches: &ArgMatches) -> Result<(), clap::Error> {
    let Some((name, sub)) = matches.subcommand() else { return Ok(()) };
    for id in unused_flags(flag_groups(name)) {
        let given = [matches, sub].iter().any(|m| m.value_source(id) == Some(ValueSource::CommandLine));
        if !given {
            continue;
        }
        let flag = cmd.get_arguments().find(|a| a.get_id() == id).map_or(id.to_string(), |a| a.to_string());
        let sub_cmd = cmd.find_subcommand_mut(name).expect("the parsed subcommand exists");
        return Err(sub_cmd.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{flag} does not apply to `lviz {name}` (see lviz {name} --help)"),
        ));
    }
    Ok(())
}

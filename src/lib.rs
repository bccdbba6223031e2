//! lviz: Linkerd's golden metrics straight from Prometheus and Kubernetes. This crate is the
//! command line on top of the layers (see `docs/architecture.md`): clap arguments (`args`, and
//! one file per command in `commands/`), global settings, the backend a command asks
//! (`backend`: the embedded engine or a remote API), and the session machinery that fetches,
//! renders, gates, diagnoses and watches any view (`session`).
//!
//! Data flows one way: argv → args → validated request → backend → answer → render → text.

pub mod args;
pub mod backend;
pub mod commands;
pub mod error;
pub mod gate;
pub mod output;
pub mod session;
pub mod settings;

use std::io::IsTerminal;

pub use commands::Cli;
pub use error::CliError;
pub use session::Outcome;
pub use settings::Env;

/// Whether color is wanted when `--color auto`: `NO_COLOR` (non-empty) turns it off, then
/// `CLICOLOR_FORCE` or `FORCE_COLOR` (non-empty, not `0`) turn it on, else stdout must be a
/// terminal whose TERM is not `dumb` (linkerd's rule for its check mark).
fn color_enabled() -> bool {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if set("CLICOLOR_FORCE").or_else(|| set("FORCE_COLOR")).is_some_and(|v| v != "0") {
        return true;
    }
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !dumb
}

fn default_namespace(settings: &lviz_k8s::KubeSettings) -> Result<String, CliError> {
    lviz_k8s::default_namespace(settings).map_err(|e| CliError::Rejected(e.into()))
}

/// Runs one parsed command line in this process's environment.
pub async fn run(cli: Cli) -> Result<Outcome, CliError> {
    let env = Env { default_namespace: &default_namespace, color: color_enabled() };
    let Cli { global, command } = cli;
    command.run(global, &env).await
}

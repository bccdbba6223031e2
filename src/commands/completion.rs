//! `lviz completion SHELL` (alias `completions`): prints the shell's completion script. The
//! script calls back into lviz on every Tab (`clap_complete`'s dynamic engine), so flags and
//! commands come from the binary that is installed, and resource types, names, namespaces and
//! contexts from the cluster (`complete_dynamic.rs`).

use clap::Args;
use futures::future::BoxFuture;

use super::Run;
use super::generate::completion_script;
use crate::args::{FlagGroup, GlobalArgs};
use crate::error::CliError;
use crate::session::Outcome;

pub const EXAMPLES: &str = "\
Examples:
  mkdir -p ~/.local/share/bash-completion/completions
  lviz completion bash > ~/.local/share/bash-completion/completions/lviz
  echo 'source <(lviz completion zsh)' >> ~/.zshrc
  mkdir -p ~/.config/fish/completions
  lviz completion fish > ~/.config/fish/completions/lviz.fish

Completes commands, flags, resource types, TYPE/NAME from the cluster (-n, --kubeconfig and
--context on the line are used), namespaces and contexts; the cluster is asked with a 1.5s
deadline, and its values are left out when it does not answer. The script runs `lviz`, which
must be on PATH.";

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

impl Run for CompletionArgs {
    const FLAGS: &'static [FlagGroup] = &[];

    fn run<'a>(
        self,
        _global: GlobalArgs,
        _env: &'a crate::settings::Env<'a>,
    ) -> BoxFuture<'a, Result<Outcome, CliError>> {
        Box::pin(async move {
            let script = String::from_utf8_lossy(&completion_script(self.shell)).into_owned();
            Ok(Outcome::stdout(script))
        })
    }
}

//! `lviz version`: the client's version and, with `--api-addr` (or `LVIZ_API_ADDR`), the
//! version of the metrics API server it would ask (`GET /version`), as `kubectl version` and
//! `linkerd version` print both.

use clap::Args;
use futures::future::BoxFuture;
use lviz_http::RemoteClient;

use super::Run;
use crate::args::{FlagGroup, GlobalArgs};
use crate::error::CliError;
use crate::session::Outcome;
use crate::settings::{self, Env, Tables};

pub const EXAMPLES: &str = "\
Examples:
  lviz version
  lviz version --api-addr http://127.0.0.1:8085
  lviz version --client";

/// This binary's version.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print the client's version only, without asking a server
    #[arg(long)]
    pub client: bool,
}

impl Run for VersionArgs {
    const FLAGS: &'static [FlagGroup] = &[FlagGroup::Remote, FlagGroup::Requests];

    fn run<'a>(self, global: GlobalArgs, env: &'a Env<'a>) -> BoxFuture<'a, Result<Outcome, CliError>> {
        Box::pin(async move {
            let (settings, _) = settings::resolve(global, Tables::default(), env)?;
            let mut text = format!("Client version: {CLIENT_VERSION}\n");
            if let Some(url) = settings.api_addr.as_deref().filter(|_| !self.client) {
                let client = RemoteClient::new(url, settings.timeout).map_err(lviz_api::Rejection::from)?;
                let server = client.server_version().await?;
                text.push_str(&format!("Server version: {server} ({})\n", client.shown_url()));
            }
            Ok(Outcome::stdout(text))
        })
    }
}

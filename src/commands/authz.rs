//! `lviz authz`: Linkerd 2.16+'s `linkerd viz authz` (the metrics API's `Authz` call: per
//! route, server and authorization of a resource's inbound traffic, with denied requests).
//! Its arguments (`route_stats.rs`; the window is checked first, with stat's 15 s minimum, as
//! linkerd does), and its view. lviz adds `-A` and makes `-l` select the objects counted.

use futures::future::BoxFuture;
use lviz_api::{Answer, Authz, AuthzRow, Rejection, Validated};
use lviz_engine::views::stat_inbound::LATENCY_FAMILY;
use lviz_render::{MetricLine, Rendered, RouteStatsView, SortTable, authz_lines, render_authz};

use super::ViewCommand;
use super::route_stats::{self, RouteStatsArgs};
use super::stat_inbound::scope;
use crate::backend::Backend;
use crate::error::CliError;
use crate::gate::GateScope;
use crate::session::View;
use crate::session::route_hints;
use crate::settings::{Common, Tables};

pub const EXAMPLES: &str = "\
Examples:
  lviz authz deploy/voting -n emojivoto
  lviz authz deploy -n emojivoto -o json
  lviz authz server/voting-grpc -n emojivoto -o wide
  lviz authz deploy -A --fail-if 'unauthorized>0'

Resource types: the workload types of stat-inbound, and server (srv), serverauthorization
(saz), authorizationpolicy (ap), httproute.";

#[derive(Debug, clap::Args)]
pub struct AuthzArgs {
    #[command(flatten)]
    pub args: RouteStatsArgs,
}

/// `lviz authz`, resolved.
pub struct AuthzCommand {
    pub request: Validated<Authz>,
    pub view: RouteStatsView,
}

impl ViewCommand for AuthzArgs {
    type View = AuthzCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::Authz), gates: Some(GateScope::Authz) };

    fn resolve(self, c: &Common) -> Result<AuthzCommand, CliError> {
        let resolved = route_stats::resolve::<Authz>("authz", self.args, c, true)?;
        Ok(AuthzCommand { request: resolved.request, view: resolved.view })
    }
}

impl View for AuthzCommand {
    type Answer = Vec<AuthzRow>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<AuthzRow>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.stat_table.pod_group.rows) })
    }

    fn render(&self, rows: &Vec<AuthzRow>) -> Rendered {
        render_authz(rows, &self.view)
    }

    fn metric_lines(&self, rows: &Vec<AuthzRow>) -> Option<Vec<MetricLine>> {
        Some(authz_lines(rows, &self.view))
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        rows: &'a Vec<AuthzRow>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            if !authz_lines(rows, &self.view).is_empty() {
                return None;
            }
            let scope = scope("authz", self.request.request(), &self.view, at, &[LATENCY_FAMILY]);
            route_hints::hint(backend, &scope, true).await
        })
    }
}

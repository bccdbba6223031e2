//! `lviz stat-inbound`: Linkerd 2.16+'s `linkerd viz stat-inbound` (per server and route of a
//! resource's inbound traffic). Its arguments (`route_stats.rs`), and its view.

use futures::future::BoxFuture;
use lviz_api::{Answer, InboundRow, Rejection, StatInbound, Validated};
use lviz_engine::views::stat_inbound::LATENCY_FAMILY;
use lviz_render::{MetricLine, Rendered, RouteStatsView, SortTable, render_stat_inbound, stat_inbound_lines};

use super::ViewCommand;
use super::route_stats::{self, RouteStatsArgs};
use crate::backend::Backend;
use crate::error::CliError;
use crate::gate::GateScope;
use crate::session::View;
use crate::session::route_hints::{self, RouteScope};
use crate::settings::{Common, Tables};

pub const EXAMPLES: &str = "\
Examples:
  lviz stat-inbound deploy -n emojivoto
  lviz stat-inbound deploy/voting -n emojivoto -o json
  lviz stat-inbound deploy -A --sort-by -rps
  lviz stat-inbound deploy -n emojivoto --fail-if 'success<99%'

Resource types: cronjob (cj), daemonset (ds), deployment (deploy), job, namespace (ns), pod (po),
replicaset (rs), replicationcontroller (rc), statefulset (sts).";

#[derive(Debug, clap::Args)]
pub struct StatInboundArgs {
    #[command(flatten)]
    pub args: RouteStatsArgs,
}

/// `lviz stat-inbound`, resolved.
pub struct StatInboundCommand {
    pub request: Validated<StatInbound>,
    pub view: RouteStatsView,
}

impl ViewCommand for StatInboundArgs {
    type View = StatInboundCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::StatInbound), gates: Some(GateScope::StatInbound) };

    fn resolve(self, c: &Common) -> Result<StatInboundCommand, CliError> {
        let resolved = route_stats::resolve::<StatInbound>("stat-inbound", self.args, c, false)?;
        Ok(StatInboundCommand { request: resolved.request, view: resolved.view })
    }
}

/// The hint scope of a route-stats request.
pub(super) fn scope(
    command: &'static str,
    r: &lviz_api::RouteStatsRequest,
    view: &RouteStatsView,
    at: Option<f64>,
    families: &'static [&'static str],
) -> RouteScope {
    RouteScope {
        command,
        kind: view.kind,
        name: r.resource_name.clone(),
        namespace: r.namespace.clone(),
        selector: r.label_selector.clone(),
        window: view.window.clone(),
        at,
        families,
    }
}

impl View for StatInboundCommand {
    type Answer = Vec<InboundRow>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(&'a self, backend: &'a Backend, at: Option<f64>) -> BoxFuture<'a, Result<Vec<InboundRow>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.rows) })
    }

    fn render(&self, rows: &Vec<InboundRow>) -> Rendered {
        render_stat_inbound(rows, &self.view)
    }

    fn metric_lines(&self, rows: &Vec<InboundRow>) -> Option<Vec<MetricLine>> {
        Some(stat_inbound_lines(rows, &self.view))
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        rows: &'a Vec<InboundRow>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let no_latency = rows.iter().all(|r| r.latency_ms_p50 == Some(0.0) && r.latency_ms_p99 == Some(0.0));
            if !rows.is_empty() && !no_latency {
                return None;
            }
            let scope = scope("stat-inbound", self.request.request(), &self.view, at, &[LATENCY_FAMILY]);
            route_hints::hint(backend, &scope, rows.is_empty()).await
        })
    }
}

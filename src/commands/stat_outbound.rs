//! `lviz stat-outbound`: Linkerd 2.16+'s `linkerd viz stat-outbound` (per route of the Services
//! a resource calls, with backends, timeouts and retries). Its arguments (`route_stats.rs`),
//! and its view.

use futures::future::BoxFuture;
use lviz_api::{Answer, OutboundRoute, Rejection, StatOutbound, Validated};
use lviz_render::{MetricLine, Rendered, RouteStatsView, SortTable, render_stat_outbound, stat_outbound_lines};

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
  lviz stat-outbound deploy -n emojivoto
  lviz stat-outbound deploy/vote-bot -n emojivoto -o json
  lviz stat-outbound deploy -A -o wide
  lviz stat-outbound deploy -n emojivoto --fail-if 'timeouts>1%' --fail-if 'retries>5%'

Resource types: cronjob (cj), daemonset (ds), deployment (deploy), job, namespace (ns), pod (po),
replicaset (rs), replicationcontroller (rc), statefulset (sts).";

/// The histogram families stat-outbound reads.
const FAMILIES: &[&str] = &[
    "outbound_http_route_request_duration_seconds",
    "outbound_http_route_backend_response_duration_seconds",
    "outbound_grpc_route_request_duration_seconds",
    "outbound_grpc_route_backend_response_duration_seconds",
];

#[derive(Debug, clap::Args)]
pub struct StatOutboundArgs {
    #[command(flatten)]
    pub args: RouteStatsArgs,
}

/// `lviz stat-outbound`, resolved.
pub struct StatOutboundCommand {
    pub request: Validated<StatOutbound>,
    pub view: RouteStatsView,
}

impl ViewCommand for StatOutboundArgs {
    type View = StatOutboundCommand;
    const TABLES: Tables = Tables { sort: Some(SortTable::StatOutbound), gates: Some(GateScope::StatOutbound) };

    fn resolve(self, c: &Common) -> Result<StatOutboundCommand, CliError> {
        let resolved = route_stats::resolve::<StatOutbound>("stat-outbound", self.args, c, false)?;
        Ok(StatOutboundCommand { request: resolved.request, view: resolved.view })
    }
}

impl View for StatOutboundCommand {
    type Answer = Vec<OutboundRoute>;

    fn at(&self) -> Option<f64> {
        self.request.at()
    }

    fn fetch<'a>(
        &'a self,
        backend: &'a Backend,
        at: Option<f64>,
    ) -> BoxFuture<'a, Result<Vec<OutboundRoute>, Rejection>> {
        Box::pin(async move { Ok(backend.answer(&self.request.at_time(at)?).await?.rows) })
    }

    fn render(&self, rows: &Vec<OutboundRoute>) -> Rendered {
        render_stat_outbound(rows, &self.view)
    }

    fn metric_lines(&self, rows: &Vec<OutboundRoute>) -> Option<Vec<MetricLine>> {
        Some(stat_outbound_lines(rows, &self.view))
    }

    fn diagnose<'a>(
        &'a self,
        backend: &'a Backend,
        rows: &'a Vec<OutboundRoute>,
        at: Option<f64>,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let no_latency =
                rows.iter().all(|r| r.stats.latency_ms_p50 == Some(0.0) && r.stats.latency_ms_p99 == Some(0.0));
            if !rows.is_empty() && !no_latency {
                return None;
            }
            let scope = scope("stat-outbound", self.request.request(), &self.view, at, FAMILIES);
            route_hints::hint(backend, &scope, rows.is_empty()).await
        })
    }
}

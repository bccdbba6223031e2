//! StatSummary ⇄ `lviz_api::Stat`.

use futures::future::BoxFuture;

use super::{Rpc, Stubs, from_resource, from_stats, parts, resource, resource_error, selection, to_resource, to_stats};
use crate::proto::viz::stat_summary_request::Outbound;
use crate::proto::viz::stat_summary_response::{Ok as StatOk, Response};
use crate::proto::viz::stat_table::pod_group::Row;
use crate::proto::viz::stat_table::{PodGroup as ProtoPodGroup, Table};
use crate::proto::viz::{self, Empty, StatSummaryResponse, TcpStats};
use lviz_api::{PodGroup, Stat, StatRow, StatSummaryOk, StatSummaryRequest, StatTable};

fn row(r: &StatRow) -> Row {
    Row {
        resource: Some(to_resource(&r.resource)),
        time_window: r.time_window.clone(),
        status: r.status.clone(),
        meshed_pod_count: r.meshed_pod_count,
        running_pod_count: r.running_pod_count,
        failed_pod_count: r.failed_pod_count,
        stats: r.stats.as_ref().map(to_stats),
        tcp_stats: r.tcp_stats.map(|t| TcpStats {
            open_connections: t.open_connections,
            read_bytes_total: t.read_bytes_total,
            write_bytes_total: t.write_bytes_total,
        }),
        ts_stats: None,
        srv_stats: r.srv_stats.as_ref().map(|s| viz::ServerStats {
            allowed_count: s.allowed_count,
            denied_count: s.denied_count,
            srv: Some(to_resource(&s.srv)),
            route: Some(to_resource(&s.route)),
            authz: Some(to_resource(&s.authz)),
        }),
        errors_by_pod: Default::default(),
        pods_unknown: r.pods_unknown,
    }
}

fn from_row(r: Row) -> StatRow {
    StatRow {
        resource: from_resource(r.resource),
        time_window: r.time_window,
        status: r.status,
        meshed_pod_count: r.meshed_pod_count,
        running_pod_count: r.running_pod_count,
        failed_pod_count: r.failed_pod_count,
        pods_unknown: r.pods_unknown,
        stats: r.stats.map(from_stats),
        tcp_stats: r.tcp_stats.map(|t| lviz_api::TcpStats {
            open_connections: t.open_connections,
            read_bytes_total: t.read_bytes_total,
            write_bytes_total: t.write_bytes_total,
        }),
        srv_stats: r.srv_stats.map(|s| lviz_api::ServerStats {
            allowed_count: s.allowed_count,
            denied_count: s.denied_count,
            srv: from_resource(s.srv),
            route: from_resource(s.route),
            authz: from_resource(s.authz),
        }),
    }
}

/// The tables of an answer; each of lviz's tables is a pod group.
pub(crate) fn tables(ok: &StatSummaryOk) -> Vec<viz::StatTable> {
    ok.stat_tables
        .iter()
        .map(|t| viz::StatTable {
            table: Some(Table::PodGroup(ProtoPodGroup { rows: t.pod_group.rows.iter().map(row).collect() })),
        })
        .collect()
}

pub(crate) fn from_table(t: viz::StatTable) -> StatTable {
    let rows = match t.table {
        Some(Table::PodGroup(group)) => group.rows.into_iter().map(from_row).collect(),
        None => Vec::new(),
    };
    StatTable { pod_group: PodGroup { rows } }
}

impl Rpc for Stat {
    type Proto = viz::StatSummaryRequest;
    type Reply = StatSummaryResponse;
    const METHOD: &'static str = "StatSummary";

    fn from_proto(request: viz::StatSummaryRequest) -> StatSummaryRequest {
        let selector = request.selector.unwrap_or_default();
        let (namespace, resource_type, resource_name) = parts(selector.resource);
        let mut req = StatSummaryRequest {
            resource_type,
            resource_name,
            namespace,
            time_window: request.time_window,
            tcp_stats: request.tcp_stats.then_some(true),
            label_selector: selector.label_selector,
            at: request.at,
            skip_stats: request.skip_stats,
            ..Default::default()
        };
        match request.outbound {
            Some(Outbound::ToResource(to)) => {
                (req.to_namespace, req.to_resource_type, req.to_resource_name) = parts(Some(to));
            }
            Some(Outbound::FromResource(from)) => {
                (req.from_namespace, req.from_resource_type, req.from_resource_name) = parts(Some(from));
            }
            Some(Outbound::None(_)) | None => {}
        }
        req
    }

    fn to_proto(r: &StatSummaryRequest) -> viz::StatSummaryRequest {
        let to = [&r.to_resource_type, &r.to_resource_name, &r.to_namespace].iter().any(|v| !v.is_empty());
        let from = [&r.from_resource_type, &r.from_resource_name, &r.from_namespace].iter().any(|v| !v.is_empty());
        let outbound = if to {
            Outbound::ToResource(resource(&r.to_namespace, &r.to_resource_type, &r.to_resource_name))
        } else if from {
            Outbound::FromResource(resource(&r.from_namespace, &r.from_resource_type, &r.from_resource_name))
        } else {
            Outbound::None(Empty {})
        };
        viz::StatSummaryRequest {
            selector: Some(selection(&r.namespace, &r.resource_type, &r.resource_name, &r.label_selector)),
            time_window: r.time_window.clone(),
            skip_stats: r.skip_stats,
            tcp_stats: r.tcp_stats.unwrap_or(false),
            at: r.at,
            outbound: Some(outbound),
        }
    }

    fn reply(r: &StatSummaryRequest, answer: Result<&StatSummaryOk, &str>) -> Option<StatSummaryResponse> {
        let response = match answer {
            Ok(ok) => Response::Ok(StatOk { stat_tables: tables(ok) }),
            Err(e) => Response::Error(resource_error(resource(&r.namespace, &r.resource_type, &r.resource_name), e)),
        };
        Some(StatSummaryResponse { at: r.at, response: Some(response) })
    }

    fn read_reply(reply: StatSummaryResponse) -> Option<Result<StatSummaryOk, String>> {
        match reply.response? {
            Response::Ok(ok) => {
                Some(Ok(StatSummaryOk { stat_tables: ok.stat_tables.into_iter().map(from_table).collect() }))
            }
            Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &StatSummaryResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::StatSummaryRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<StatSummaryResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.stat_summary(request).await })
    }
}

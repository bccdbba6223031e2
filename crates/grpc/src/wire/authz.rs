//! Authz ⇄ `lviz_api::Authz`: Linkerd's `AuthzRequest` (the resource and the window, plus lviz's
//! `at` and label selector) and its answer, one stat table whose rows carry `srv_stats`.

use futures::future::BoxFuture;

use super::{Rpc, Stubs, from_resource, from_stats, parts, resource, resource_error, to_resource, to_stats};
use crate::proto::viz::stat_table::pod_group::Row;
use crate::proto::viz::stat_table::{PodGroup as ProtoPodGroup, Table};
use crate::proto::viz::{self, AuthzResponse, authz_response};
use lviz_api::{Authz, AuthzOk, AuthzRow, AuthzRows, AuthzTable, RouteStatsRequest, ServerStats};

fn to_server_stats(s: &ServerStats) -> viz::ServerStats {
    viz::ServerStats {
        allowed_count: s.allowed_count,
        denied_count: s.denied_count,
        srv: Some(to_resource(&s.srv)),
        route: Some(to_resource(&s.route)),
        authz: Some(to_resource(&s.authz)),
    }
}

fn from_server_stats(s: viz::ServerStats) -> ServerStats {
    ServerStats {
        allowed_count: s.allowed_count,
        denied_count: s.denied_count,
        srv: from_resource(s.srv),
        route: from_resource(s.route),
        authz: from_resource(s.authz),
    }
}

fn row(r: &AuthzRow) -> Row {
    Row {
        resource: Some(to_resource(&r.resource)),
        time_window: r.time_window.clone(),
        stats: Some(to_stats(&r.stats)),
        srv_stats: Some(to_server_stats(&r.srv_stats)),
        ..Default::default()
    }
}

fn from_row(r: Row) -> AuthzRow {
    AuthzRow {
        resource: from_resource(r.resource),
        time_window: r.time_window,
        stats: r.stats.map(from_stats).unwrap_or_default(),
        srv_stats: r.srv_stats.map(from_server_stats).unwrap_or_default(),
    }
}

impl Rpc for Authz {
    type Proto = viz::AuthzRequest;
    type Reply = AuthzResponse;
    const METHOD: &'static str = "Authz";

    fn from_proto(request: viz::AuthzRequest) -> RouteStatsRequest {
        let (namespace, resource_type, resource_name) = parts(request.resource);
        RouteStatsRequest {
            resource_type,
            resource_name,
            namespace,
            time_window: request.time_window,
            label_selector: request.label_selector,
            at: request.at,
        }
    }

    fn to_proto(r: &RouteStatsRequest) -> viz::AuthzRequest {
        viz::AuthzRequest {
            resource: Some(resource(&r.namespace, &r.resource_type, &r.resource_name)),
            time_window: r.time_window.clone(),
            at: r.at,
            label_selector: r.label_selector.clone(),
        }
    }

    fn reply(r: &RouteStatsRequest, answer: Result<&AuthzOk, &str>) -> Option<AuthzResponse> {
        let response = match answer {
            Ok(ok) => authz_response::Response::Ok(authz_response::Ok {
                stat_table: Some(viz::StatTable {
                    table: Some(Table::PodGroup(ProtoPodGroup {
                        rows: ok.stat_table.pod_group.rows.iter().map(row).collect(),
                    })),
                }),
            }),
            Err(e) => authz_response::Response::Error(resource_error(
                resource(&r.namespace, &r.resource_type, &r.resource_name),
                e,
            )),
        };
        Some(AuthzResponse { response: Some(response), at: r.at })
    }

    fn read_reply(reply: AuthzResponse) -> Option<Result<AuthzOk, String>> {
        match reply.response? {
            authz_response::Response::Ok(ok) => {
                let rows = match ok.stat_table.and_then(|t| t.table) {
                    Some(Table::PodGroup(group)) => group.rows.into_iter().map(from_row).collect(),
                    None => Vec::new(),
                };
                Some(Ok(AuthzOk { stat_table: AuthzTable { pod_group: AuthzRows { rows } } }))
            }
            authz_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &AuthzResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::AuthzRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<AuthzResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.authz(request).await })
    }
}

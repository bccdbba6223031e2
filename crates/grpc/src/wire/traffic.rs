//! Edges ⇄ `lviz_api::Edges` and Gateways ⇄ `lviz_api::Gateways`.

use futures::future::BoxFuture;

use super::{Rpc, Stubs, from_resource, parts, resource, resource_error, selection, to_resource};
use crate::proto::viz::{self, EdgesResponse, GatewaysResponse, edges_response, gateways_response, gateways_table};
use lviz_api::{Edge, Edges, EdgesOk, EdgesRequest, GatewayRow, Gateways, GatewaysOk, GatewaysRequest, GatewaysTable};

impl Rpc for Edges {
    type Proto = viz::EdgesRequest;
    type Reply = EdgesResponse;
    const METHOD: &'static str = "Edges";

    fn from_proto(request: viz::EdgesRequest) -> EdgesRequest {
        let (namespace, resource_type, _) = parts(request.selector.unwrap_or_default().resource);
        EdgesRequest { resource_type, namespace, at: request.at }
    }

    fn to_proto(r: &EdgesRequest) -> viz::EdgesRequest {
        viz::EdgesRequest { selector: Some(selection(&r.namespace, &r.resource_type, "", "")), at: r.at }
    }

    fn reply(r: &EdgesRequest, answer: Result<&EdgesOk, &str>) -> Option<EdgesResponse> {
        let response = match answer {
            Ok(ok) => edges_response::Response::Ok(edges_response::Ok {
                edges: ok
                    .edges
                    .iter()
                    .map(|e| viz::Edge {
                        src: Some(to_resource(&e.src)),
                        dst: Some(to_resource(&e.dst)),
                        client_id: e.client_id.clone(),
                        server_id: e.server_id.clone(),
                        no_identity_msg: e.no_identity_msg.clone(),
                        client_id_unknown: e.client_id_unknown,
                    })
                    .collect(),
            }),
            Err(e) => edges_response::Response::Error(resource_error(resource(&r.namespace, &r.resource_type, ""), e)),
        };
        Some(EdgesResponse { at: r.at, response: Some(response) })
    }

    fn read_reply(reply: EdgesResponse) -> Option<Result<EdgesOk, String>> {
        match reply.response? {
            edges_response::Response::Ok(ok) => Some(Ok(EdgesOk {
                edges: ok
                    .edges
                    .into_iter()
                    .map(|e| Edge {
                        src: from_resource(e.src),
                        dst: from_resource(e.dst),
                        client_id: e.client_id,
                        server_id: e.server_id,
                        no_identity_msg: e.no_identity_msg,
                        client_id_unknown: e.client_id_unknown,
                    })
                    .collect(),
            })),
            edges_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &EdgesResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::EdgesRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<EdgesResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.edges(request).await })
    }
}

fn gateway_row(r: &GatewayRow) -> gateways_table::Row {
    gateways_table::Row {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        cluster_name: r.cluster_name.clone(),
        paired_services: r.paired_services,
        alive: r.alive,
        latency_ms_p50: r.latency_ms_p50,
        latency_ms_p95: r.latency_ms_p95,
        latency_ms_p99: r.latency_ms_p99,
        paired_services_unknown: r.paired_services_unknown,
    }
}

fn from_gateway_row(r: gateways_table::Row) -> GatewayRow {
    GatewayRow {
        namespace: r.namespace,
        name: r.name,
        cluster_name: r.cluster_name,
        paired_services: r.paired_services,
        paired_services_unknown: r.paired_services_unknown,
        alive: r.alive,
        latency_ms_p50: r.latency_ms_p50,
        latency_ms_p95: r.latency_ms_p95,
        latency_ms_p99: r.latency_ms_p99,
    }
}

impl Rpc for Gateways {
    type Proto = viz::GatewaysRequest;
    type Reply = GatewaysResponse;
    const METHOD: &'static str = "Gateways";

    fn from_proto(request: viz::GatewaysRequest) -> GatewaysRequest {
        GatewaysRequest {
            time_window: request.time_window,
            gateway_namespace: request.gateway_namespace,
            remote_cluster_name: request.remote_cluster_name,
            at: request.at,
        }
    }

    fn to_proto(r: &GatewaysRequest) -> viz::GatewaysRequest {
        viz::GatewaysRequest {
            remote_cluster_name: r.remote_cluster_name.clone(),
            gateway_namespace: r.gateway_namespace.clone(),
            time_window: r.time_window.clone(),
            at: r.at,
        }
    }

    fn reply(r: &GatewaysRequest, answer: Result<&GatewaysOk, &str>) -> Option<GatewaysResponse> {
        let response = match answer {
            Ok(ok) => gateways_response::Response::Ok(gateways_response::Ok {
                gateways_table: Some(viz::GatewaysTable {
                    rows: ok.gateways_table.rows.iter().map(gateway_row).collect(),
                }),
            }),
            Err(e) => gateways_response::Response::Error(resource_error(resource(&r.gateway_namespace, "", ""), e)),
        };
        Some(GatewaysResponse { at: r.at, response: Some(response) })
    }

    fn read_reply(reply: GatewaysResponse) -> Option<Result<GatewaysOk, String>> {
        match reply.response? {
            gateways_response::Response::Ok(ok) => {
                let rows = ok.gateways_table.unwrap_or_default().rows.into_iter().map(from_gateway_row).collect();
                Some(Ok(GatewaysOk { gateways_table: GatewaysTable { rows } }))
            }
            gateways_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &GatewaysResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::GatewaysRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<GatewaysResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.gateways(request).await })
    }
}

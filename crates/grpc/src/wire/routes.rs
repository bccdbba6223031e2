//! TopRoutes ⇄ `lviz_api::TopRoutes`.

use futures::future::BoxFuture;

use super::{Rpc, Stubs, from_stats, parts, resource, resource_error, selection, to_stats};
use crate::proto::viz::top_routes_request::Outbound;
use crate::proto::viz::top_routes_response::{Ok as RoutesOk, Response};
use crate::proto::viz::{self, Empty, TopRoutesResponse, route_table};
use lviz_api::{RouteRow, RouteTable, TopRoutes, TopRoutesOk, TopRoutesRequest};

fn table(t: &RouteTable) -> viz::RouteTable {
    let rows = t
        .rows
        .iter()
        .map(|r| route_table::Row {
            route: r.route.clone(),
            time_window: r.time_window.clone(),
            authority: r.authority.clone(),
            stats: r.stats.as_ref().map(to_stats),
        })
        .collect();
    viz::RouteTable { rows, resource: t.resource.clone() }
}

fn from_table(t: viz::RouteTable) -> RouteTable {
    let rows = t
        .rows
        .into_iter()
        .map(|r| RouteRow {
            route: r.route,
            time_window: r.time_window,
            authority: r.authority,
            stats: r.stats.map(from_stats),
        })
        .collect();
    RouteTable { rows, resource: t.resource }
}

impl Rpc for TopRoutes {
    type Proto = viz::TopRoutesRequest;
    type Reply = TopRoutesResponse;
    const METHOD: &'static str = "TopRoutes";

    fn from_proto(request: viz::TopRoutesRequest) -> TopRoutesRequest {
        let selector = request.selector.unwrap_or_default();
        let (namespace, resource_type, resource_name) = parts(selector.resource);
        let mut req = TopRoutesRequest {
            resource_type,
            resource_name,
            namespace,
            time_window: request.time_window,
            label_selector: selector.label_selector,
            at: request.at,
            ..Default::default()
        };
        if let Some(Outbound::ToResource(to)) = request.outbound {
            (req.to_namespace, req.to_resource_type, req.to_resource_name) = parts(Some(to));
        }
        req
    }

    fn to_proto(r: &TopRoutesRequest) -> viz::TopRoutesRequest {
        let to = [&r.to_resource_type, &r.to_resource_name, &r.to_namespace].iter().any(|v| !v.is_empty());
        let outbound = if to {
            Outbound::ToResource(resource(&r.to_namespace, &r.to_resource_type, &r.to_resource_name))
        } else {
            Outbound::None(Empty {})
        };
        viz::TopRoutesRequest {
            selector: Some(selection(&r.namespace, &r.resource_type, &r.resource_name, &r.label_selector)),
            time_window: r.time_window.clone(),
            at: r.at,
            outbound: Some(outbound),
        }
    }

    fn reply(r: &TopRoutesRequest, answer: Result<&TopRoutesOk, &str>) -> Option<TopRoutesResponse> {
        let response = match answer {
            Ok(ok) => Response::Ok(RoutesOk { routes: ok.routes.iter().map(table).collect() }),
            Err(e) => Response::Error(resource_error(resource(&r.namespace, &r.resource_type, &r.resource_name), e)),
        };
        Some(TopRoutesResponse { at: r.at, response: Some(response) })
    }

    fn read_reply(reply: TopRoutesResponse) -> Option<Result<TopRoutesOk, String>> {
        match reply.response? {
            Response::Ok(ok) => Some(Ok(TopRoutesOk { routes: ok.routes.into_iter().map(from_table).collect() })),
            Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &TopRoutesResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::TopRoutesRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<TopRoutesResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.top_routes(request).await })
    }
}

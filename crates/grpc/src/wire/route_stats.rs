//! lviz's `Extensions/StatInbound` and `Extensions/StatOutbound` ⇄ `lviz_api::StatInbound` and
//! `lviz_api::StatOutbound` (Linkerd queries Prometheus itself for these two; lviz serves them).

use futures::future::BoxFuture;

use super::{Rpc, Stubs, resource, resource_error};
use crate::proto::ext::{
    self, StatInboundResponse, StatOutboundResponse, stat_inbound_response, stat_outbound_response,
};
use lviz_api::{
    InboundRow, OutboundBackend, OutboundRoute, OutboundStats, RouteStatsRequest, StatInbound, StatInboundOk,
    StatOutbound, StatOutboundOk,
};

fn to_request(r: &RouteStatsRequest) -> ext::RouteStatsRequest {
    ext::RouteStatsRequest {
        resource_type: r.resource_type.clone(),
        resource_name: r.resource_name.clone(),
        namespace: r.namespace.clone(),
        time_window: r.time_window.clone(),
        label_selector: r.label_selector.clone(),
        at: r.at,
    }
}

fn from_request(r: ext::RouteStatsRequest) -> RouteStatsRequest {
    RouteStatsRequest {
        resource_type: r.resource_type,
        resource_name: r.resource_name,
        namespace: r.namespace,
        time_window: r.time_window,
        label_selector: r.label_selector,
        at: r.at,
    }
}

fn error_of(r: &RouteStatsRequest, e: &str) -> crate::proto::viz::ResourceError {
    resource_error(resource(&r.namespace, &r.resource_type, &r.resource_name), e)
}

fn inbound_row(r: &InboundRow) -> ext::InboundRow {
    ext::InboundRow {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        server: r.server.clone(),
        port: r.port.clone(),
        route: r.route.clone(),
        route_type: r.route_type.clone(),
        success_count: r.success_count,
        failure_count: r.failure_count,
        latency_ms_p50: r.latency_ms_p50,
        latency_ms_p95: r.latency_ms_p95,
        latency_ms_p99: r.latency_ms_p99,
    }
}

fn from_inbound_row(r: ext::InboundRow) -> InboundRow {
    InboundRow {
        namespace: r.namespace,
        name: r.name,
        server: r.server,
        port: r.port,
        route: r.route,
        route_type: r.route_type,
        success_count: r.success_count,
        failure_count: r.failure_count,
        latency_ms_p50: r.latency_ms_p50,
        latency_ms_p95: r.latency_ms_p95,
        latency_ms_p99: r.latency_ms_p99,
    }
}

fn to_stats(s: &OutboundStats) -> ext::OutboundStats {
    ext::OutboundStats {
        success_count: s.success_count,
        failure_count: s.failure_count,
        timeout_count: s.timeout_count,
        latency_ms_p50: s.latency_ms_p50,
        latency_ms_p95: s.latency_ms_p95,
        latency_ms_p99: s.latency_ms_p99,
    }
}

fn from_stats(s: Option<ext::OutboundStats>) -> OutboundStats {
    let s = s.unwrap_or_default();
    OutboundStats {
        success_count: s.success_count,
        failure_count: s.failure_count,
        timeout_count: s.timeout_count,
        latency_ms_p50: s.latency_ms_p50,
        latency_ms_p95: s.latency_ms_p95,
        latency_ms_p99: s.latency_ms_p99,
    }
}

fn outbound_route(r: &OutboundRoute) -> ext::OutboundRoute {
    ext::OutboundRoute {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        service: r.service.clone(),
        port: r.port.clone(),
        route: r.route.clone(),
        route_type: r.route_type.clone(),
        stats: Some(to_stats(&r.stats)),
        retry_count: r.retry_count,
        backends: r
            .backends
            .iter()
            .map(|b| ext::OutboundBackend {
                name: b.name.clone(),
                port: b.port.clone(),
                stats: Some(to_stats(&b.stats)),
            })
            .collect(),
    }
}

fn from_outbound_route(r: ext::OutboundRoute) -> OutboundRoute {
    OutboundRoute {
        namespace: r.namespace,
        name: r.name,
        service: r.service,
        port: r.port,
        route: r.route,
        route_type: r.route_type,
        stats: from_stats(r.stats),
        retry_count: r.retry_count,
        backends: r
            .backends
            .into_iter()
            .map(|b| OutboundBackend { name: b.name, port: b.port, stats: from_stats(b.stats) })
            .collect(),
    }
}

impl Rpc for StatInbound {
    type Proto = ext::RouteStatsRequest;
    type Reply = StatInboundResponse;
    const METHOD: &'static str = "StatInbound";

    fn from_proto(request: ext::RouteStatsRequest) -> RouteStatsRequest {
        from_request(request)
    }

    fn to_proto(r: &RouteStatsRequest) -> ext::RouteStatsRequest {
        to_request(r)
    }

    fn reply(r: &RouteStatsRequest, answer: Result<&StatInboundOk, &str>) -> Option<StatInboundResponse> {
        let response = match answer {
            Ok(ok) => stat_inbound_response::Response::Ok(stat_inbound_response::Ok {
                rows: ok.rows.iter().map(inbound_row).collect(),
            }),
            Err(e) => stat_inbound_response::Response::Error(error_of(r, e)),
        };
        Some(StatInboundResponse { response: Some(response), at: r.at })
    }

    fn read_reply(reply: StatInboundResponse) -> Option<Result<StatInboundOk, String>> {
        match reply.response? {
            stat_inbound_response::Response::Ok(ok) => {
                Some(Ok(StatInboundOk { rows: ok.rows.into_iter().map(from_inbound_row).collect() }))
            }
            stat_inbound_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &StatInboundResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: ext::RouteStatsRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<StatInboundResponse>, tonic::Status>> {
        Box::pin(async move { stubs.ext.stat_inbound(request).await })
    }
}

impl Rpc for StatOutbound {
    type Proto = ext::RouteStatsRequest;
    type Reply = StatOutboundResponse;
    const METHOD: &'static str = "StatOutbound";

    fn from_proto(request: ext::RouteStatsRequest) -> RouteStatsRequest {
        from_request(request)
    }

    fn to_proto(r: &RouteStatsRequest) -> ext::RouteStatsRequest {
        to_request(r)
    }

    fn reply(r: &RouteStatsRequest, answer: Result<&StatOutboundOk, &str>) -> Option<StatOutboundResponse> {
        let response = match answer {
            Ok(ok) => stat_outbound_response::Response::Ok(stat_outbound_response::Ok {
                rows: ok.rows.iter().map(outbound_route).collect(),
            }),
            Err(e) => stat_outbound_response::Response::Error(error_of(r, e)),
        };
        Some(StatOutboundResponse { response: Some(response), at: r.at })
    }

    fn read_reply(reply: StatOutboundResponse) -> Option<Result<StatOutboundOk, String>> {
        match reply.response? {
            stat_outbound_response::Response::Ok(ok) => {
                Some(Ok(StatOutboundOk { rows: ok.rows.into_iter().map(from_outbound_route).collect() }))
            }
            stat_outbound_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    fn echoed_at(reply: &StatOutboundResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: ext::RouteStatsRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<StatOutboundResponse>, tonic::Status>> {
        Box::pin(async move { stubs.ext.stat_outbound(request).await })
    }
}

//! The mapping between `lviz_api`'s endpoints and the gRPC methods that carry them: for each
//! endpoint, its request and response messages, how a request and an answer cross the wire both
//! ways, and which stub method sends it ([`Rpc`]). The server and the client are generic over
//! [`Rpc`], so a new view that the protocol carries is one more implementation here (a
//! `wire/*.rs` file and a line in the service list of `server/service.rs`).
//!
//! Pure: no I/O besides handing a message to a generated stub.

mod authz;
mod checks;
mod cluster;
mod route_stats;
mod routes;
mod stat;
mod traffic;

use futures::future::BoxFuture;
use tonic::transport::Channel;

use crate::proto::ext::extensions_client::ExtensionsClient;
use crate::proto::viz::api_client::ApiClient;
use crate::proto::viz::{Resource, ResourceError, ResourceSelection};
use lviz_api::Endpoint;

/// The generated stubs a client sends through (cheap clones of one channel).
#[derive(Clone)]
pub struct Stubs {
    pub api: ApiClient<Channel>,
    pub ext: ExtensionsClient<Channel>,
}

/// An endpoint of `lviz_api` carried by a gRPC method.
pub trait Rpc: Endpoint {
    /// The request message.
    type Proto: prost::Message + Default + Clone + Send + Sync + 'static;
    /// The response message.
    type Reply: prost::Message + Default + Clone + Send + Sync + 'static;
    /// The method's name in its service (`StatSummary`), for counters and messages.
    const METHOD: &'static str;

    /// A request message as the endpoint's request (what the server answers).
    fn from_proto(request: Self::Proto) -> Self::Request;
    /// The endpoint's request as a message (what the client sends).
    fn to_proto(request: &Self::Request) -> Self::Proto;
    /// The response to `request`: its answer, or (`Err`) the message of a rejected request,
    /// which goes in the response's `error` field. `None` when the response has no such field
    /// (the server then answers INVALID_ARGUMENT).
    fn reply(request: &Self::Request, answer: Result<&Self::Ok, &str>) -> Option<Self::Reply>;
    /// A response read back: the answer, or the text of its `error` field; `None` when it holds
    /// neither (malformed).
    fn read_reply(reply: Self::Reply) -> Option<Result<Self::Ok, String>>;
    /// The evaluation time the response echoes (lviz's extension field; Linkerd's servers
    /// leave it unset).
    fn echoed_at(reply: &Self::Reply) -> Option<f64>;
    /// The answer when the server does not have the method (UNIMPLEMENTED); `None`: that is
    /// a failure. Facts that only help (the hints' checks) are then simply unknown.
    fn when_unanswered() -> Option<Self::Ok> {
        None
    }
    /// Sends the message with the stub method that carries it.
    fn call(
        stubs: Stubs,
        request: Self::Proto,
    ) -> BoxFuture<'static, Result<tonic::Response<Self::Reply>, tonic::Status>>;
}

/// A message `Resource`.
pub(crate) fn resource(namespace: &str, kind: &str, name: &str) -> Resource {
    Resource { namespace: namespace.to_string(), r#type: kind.to_string(), name: name.to_string() }
}

/// `Resource` back as (namespace, type, name); absent is all empty.
pub(crate) fn parts(resource: Option<Resource>) -> (String, String, String) {
    let r = resource.unwrap_or_default();
    (r.namespace, r.r#type, r.name)
}

pub(crate) fn selection(namespace: &str, kind: &str, name: &str, label_selector: &str) -> ResourceSelection {
    ResourceSelection { resource: Some(resource(namespace, kind, name)), label_selector: label_selector.to_string() }
}

/// Upstream's `error` member: the request's resource and the message.
pub(crate) fn resource_error(resource: Resource, error: &str) -> ResourceError {
    ResourceError { resource: Some(resource), error: error.to_string() }
}

/// `lviz_api::Resource` ⇄ message.
pub(crate) fn to_resource(r: &lviz_api::Resource) -> Resource {
    resource(&r.namespace, &r.kind, &r.name)
}

pub(crate) fn from_resource(r: Option<Resource>) -> lviz_api::Resource {
    let (namespace, kind, name) = parts(r);
    lviz_api::Resource { namespace, kind, name }
}

/// Stats ⇄ message.
pub(crate) fn to_stats(s: &lviz_api::BasicStats) -> crate::proto::viz::BasicStats {
    crate::proto::viz::BasicStats {
        success_count: s.success_count,
        failure_count: s.failure_count,
        latency_ms_p50: s.latency_ms_p50,
        latency_ms_p95: s.latency_ms_p95,
        latency_ms_p99: s.latency_ms_p99,
        actual_success_count: s.actual_success_count,
        actual_failure_count: s.actual_failure_count,
    }
}

pub(crate) fn from_stats(s: crate::proto::viz::BasicStats) -> lviz_api::BasicStats {
    lviz_api::BasicStats {
        success_count: s.success_count,
        failure_count: s.failure_count,
        latency_ms_p50: s.latency_ms_p50,
        latency_ms_p95: s.latency_ms_p95,
        latency_ms_p99: s.latency_ms_p99,
        actual_success_count: s.actual_success_count,
        actual_failure_count: s.actual_failure_count,
    }
}

/// `Rpc` for an endpoint no gRPC method carries yet (a view Linkerd's metrics-api does not
/// have, before its `lviz.v1.Extensions` method exists): the client answers that the metrics
/// API at the address does not have it (as UNIMPLEMENTED from the server), and the server has no
/// route to it. `lviz_grpc::not_carried!(lviz_api::SomeView, "SomeView");`
#[macro_export]
macro_rules! not_carried {
    ($endpoint:ty, $method:literal) => {
        impl $crate::wire::Rpc for $endpoint {
            type Proto = $crate::proto::viz::Empty;
            type Reply = $crate::proto::viz::Empty;
            const METHOD: &'static str = $method;
            fn from_proto(_: $crate::proto::viz::Empty) -> <$endpoint as lviz_api::Endpoint>::Request {
                Default::default()
            }
            fn to_proto(_: &<$endpoint as lviz_api::Endpoint>::Request) -> $crate::proto::viz::Empty {
                $crate::proto::viz::Empty {}
            }
            fn reply(
                _: &<$endpoint as lviz_api::Endpoint>::Request,
                _: Result<&<$endpoint as lviz_api::Endpoint>::Ok, &str>,
            ) -> Option<$crate::proto::viz::Empty> {
                None
            }
            fn read_reply(
                _: $crate::proto::viz::Empty,
            ) -> Option<Result<<$endpoint as lviz_api::Endpoint>::Ok, String>> {
                None
            }
            fn echoed_at(_: &$crate::proto::viz::Empty) -> Option<f64> {
                None
            }
            fn call(
                _: $crate::wire::Stubs,
                _: $crate::proto::viz::Empty,
            ) -> futures::future::BoxFuture<'static, Result<tonic::Response<$crate::proto::viz::Empty>, tonic::Status>>
            {
                Box::pin(async {
                    Err(tonic::Status::unimplemented(concat!("no gRPC method carries ", $method, " yet")))
                })
            }
        }
    };
}

#[cfg(test)]
mod tests;

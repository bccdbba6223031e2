//! The two services on the wire, `linkerd2.viz.Api` and `lviz.v1.Extensions`, as tower services
//! that route each method to its endpoint's [`Rpc`] mapping: the request is decoded into its
//! message, and the answer goes out as protobuf bytes encoded once per cached answer, so a
//! polled view is served without re-encoding (as the HTTP face serves its JSON bytes). Written by
//! hand instead of tonic's generated servers for that one reason; the messages are the generated
//! ones. An unknown method is UNIMPLEMENTED, as from a generated server.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes};
use futures::future::BoxFuture;
use prost::Message;
use tonic::body::Body;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};

use super::GrpcState;
use crate::wire::Rpc;
use lviz_api::{
    Authz, Checks, Edges, Gateways, ListPods, ListServices, SelfCheck, Stat, StatInbound, StatOutbound, TopRoutes,
};
use lviz_engine::Engine;

/// Decodes requests as the message `D`, sends responses as bytes already encoded.
struct Encoded<D>(PhantomData<fn() -> D>);

impl<D: Message + Default + Send + 'static> Codec for Encoded<D> {
    type Encode = Bytes;
    type Decode = D;
    type Encoder = BytesEncoder;
    type Decoder = MessageDecoder<D>;
    fn encoder(&mut self) -> BytesEncoder {
        BytesEncoder
    }
    fn decoder(&mut self) -> MessageDecoder<D> {
        MessageDecoder(PhantomData)
    }
}

struct BytesEncoder;

impl Encoder for BytesEncoder {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

struct MessageDecoder<D>(PhantomData<fn() -> D>);

impl<D: Message + Default> Decoder for MessageDecoder<D> {
    type Item = D;
    type Error = Status;
    /// A message that is not protobuf is INTERNAL, as gRPC's status code guide says.
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        D::decode(src.copy_to_bytes(src.remaining())).map(Some).map_err(|e| Status::internal(e.to_string()))
    }
}

/// One method: the state answers, the bytes go out.
struct Method<E>(GrpcState, PhantomData<fn() -> E>);

impl<E> UnaryService<E::Proto> for Method<E>
where
    E: Rpc,
    Engine: lviz_api::Answer<E>,
{
    type Response = Bytes;
    type Future = BoxFuture<'static, Result<Response<Bytes>, Status>>;
    fn call(&mut self, request: Request<E::Proto>) -> Self::Future {
        let state = self.0.clone();
        Box::pin(async move { state.answer::<E>(request).await })
    }
}

async fn unary<E>(state: GrpcState, request: http::Request<Body>) -> http::Response<Body>
where
    E: Rpc,
    Engine: lviz_api::Answer<E>,
{
    let max = state.inner.options.max_request_bytes;
    let mut grpc = Grpc::new(Encoded::<E::Proto>(PhantomData)).apply_max_message_size_config(Some(max), None);
    grpc.unary(Method::<E>(state, PhantomData), request).await
}

/// Routes a call by its path; `None`: not a method of this server.
async fn route(state: GrpcState, request: http::Request<Body>) -> http::Response<Body> {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/linkerd2.viz.Api/StatSummary" => unary::<Stat>(state, request).await,
        "/linkerd2.viz.Api/TopRoutes" => unary::<TopRoutes>(state, request).await,
        "/linkerd2.viz.Api/Edges" => unary::<Edges>(state, request).await,
        "/linkerd2.viz.Api/Gateways" => unary::<Gateways>(state, request).await,
        "/linkerd2.viz.Api/ListPods" => unary::<ListPods>(state, request).await,
        "/linkerd2.viz.Api/ListServices" => unary::<ListServices>(state, request).await,
        "/linkerd2.viz.Api/SelfCheck" => unary::<SelfCheck>(state, request).await,
        "/linkerd2.viz.Api/Authz" => unary::<Authz>(state, request).await,
        "/lviz.v1.Extensions/Checks" => unary::<Checks>(state, request).await,
        "/lviz.v1.Extensions/StatInbound" => unary::<StatInbound>(state, request).await,
        "/lviz.v1.Extensions/StatOutbound" => unary::<StatOutbound>(state, request).await,
        _ => {
            Status::unimplemented(format!("unknown method {}", path.chars().take(200).collect::<String>())).into_http()
        }
    }
}

/// A service of the server, named as the `.proto` names it.
#[derive(Clone)]
pub struct Service<N> {
    state: GrpcState,
    _name: PhantomData<fn() -> N>,
}

/// `linkerd2.viz.Api`.
#[derive(Clone)]
pub struct VizApi;
/// `lviz.v1.Extensions`.
#[derive(Clone)]
pub struct Extensions;

impl NamedService for Service<VizApi> {
    const NAME: &'static str = "linkerd2.viz.Api";
}

impl NamedService for Service<Extensions> {
    const NAME: &'static str = "lviz.v1.Extensions";
}

impl<N> Service<N> {
    pub fn new(state: GrpcState) -> Self {
        Service { state, _name: PhantomData }
    }
}

impl<N> tower::Service<http::Request<Body>> for Service<N> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move { Ok(route(state, request).await) })
    }
}

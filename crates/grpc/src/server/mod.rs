//! `lviz serve`'s gRPC face: `linkerd2.viz.Api` (and lviz's `lviz.v1.Extensions`) over
//! plaintext HTTP/2 on its own port (8085, as Linkerd's metrics-api). Every call is decoded into
//! its `lviz_api` request ([`crate::wire`]), answered by the engine and answer cache both faces
//! share (`lviz_engine::serving`), and encoded back; this module only maps outcomes to Linkerd's
//! error contract and applies the limits.
//!
//! Error contract (viz-semantics §8.1): a request the engine rejects as invalid is answered OK
//! with the response's `error` field (`{resource, error}`), or INVALID_ARGUMENT for the calls
//! whose response has none (ListPods, ListServices, SelfCheck); a missing object is NOT_FOUND;
//! a Prometheus or Kubernetes failure is UNAVAILABLE; a server configured so that it cannot
//! answer (Prometheus-only mode asked for pods) is FAILED_PRECONDITION; a call past the handler
//! timeout is DEADLINE_EXCEEDED. Each message is one line naming the backend and its redacted
//! URL. Malformed protobuf is INTERNAL, an unknown method UNIMPLEMENTED, a request over
//! [`GrpcOptions::max_request_bytes`] OUT_OF_RANGE (tonic's codes).
//!
//! Limits: request size, concurrent connections (further ones wait in the accept queue),
//! concurrent streams per connection, a deadline for a new connection's HTTP/2 preface (a
//! client that connects and sends nothing is dropped), HTTP/2 keepalive pings (a peer that stops
//! answering is dropped), a maximum connection age (GOAWAY, then the handler timeout as grace),
//! the handler timeout, and graceful shutdown: no new connections, idle ones closed with
//! GOAWAY, calls in flight finish.

mod dispatch;
mod limits;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;
use tonic::transport::Server;
use tonic::{Code, Request, Response, Status};

use crate::wire::Rpc;
pub use dispatch::{Extensions, Service, VizApi};
use lviz_api::{BackendError, Rejection};
use lviz_engine::Engine;
use lviz_engine::serving::{RequestTelemetry, Serving};

/// How the gRPC face behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrpcOptions {
    /// A call not answered by then gets DEADLINE_EXCEEDED (`--handler-timeout`).
    pub handler_timeout: Duration,
    /// Largest request message; the largest real one is well under 1 KiB.
    pub max_request_bytes: usize,
    /// Connections served at once; more wait until one closes.
    pub max_connections: usize,
    /// Concurrent calls (HTTP/2 streams) per connection.
    pub max_streams_per_connection: u32,
    /// A new connection must send the HTTP/2 preface within this.
    pub preface_timeout: Duration,
    /// HTTP/2 ping interval; a peer that does not answer one within the same time is dropped.
    pub keepalive: Duration,
    /// A connection older than this is asked to go away (GOAWAY; clients reconnect), so no
    /// client holds a connection slot forever; calls in flight get the handler timeout to end.
    pub max_connection_age: Duration,
}

impl Default for GrpcOptions {
    fn default() -> Self {
        GrpcOptions {
            handler_timeout: Duration::from_secs(60),
            max_request_bytes: 64 * 1024,
            max_connections: 1024,
            max_streams_per_connection: 128,
            preface_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(30),
            max_connection_age: Duration::from_secs(600),
        }
    }
}

struct Inner {
    serving: Serving,
    telemetry: RequestTelemetry,
    options: GrpcOptions,
}

/// What every call shares: the engine and answer cache (the HTTP face's own), the counters.
#[derive(Clone)]
pub struct GrpcState {
    inner: Arc<Inner>,
}

impl GrpcState {
    pub fn new(serving: Serving, options: GrpcOptions) -> Self {
        let telemetry = RequestTelemetry::new("lviz_grpc", "gRPC calls", "method", "code");
        GrpcState { inner: Arc::new(Inner { serving, telemetry, options }) }
    }

    /// Calls answered and their latency, by method and code, in the Prometheus text format.
    pub fn metrics_text(&self) -> String {
        self.inner.telemetry.render()
    }

    /// One call of any method: decode, answer through the shared cache, encode (once per
    /// answer: the protobuf bytes are kept beside it), count.
    pub(crate) async fn answer<E>(&self, request: Request<E::Proto>) -> Result<Response<Bytes>, Status>
    where
        E: Rpc,
        Engine: lviz_api::Answer<E>,
    {
        let started = Instant::now();
        let req = E::from_proto(request.into_inner());
        let limit = self.inner.options.handler_timeout;
        // One deadline for every backend call the answer makes (as the JSON face's): a backend
        // that gives up because it ran out is reported as the deadline, naming that backend.
        let deadline = Instant::now() + limit;
        let answering = lviz_api::deadline::scope(Some(deadline), self.inner.serving.answer::<E>(req.clone()));
        let abandoned = |why: Option<&str>| {
            let mut message =
                format!("request took longer than {} and was abandoned", humantime::format_duration(limit));
            if let Some(why) = why {
                message.push_str(": ");
                message.push_str(why);
            }
            Status::deadline_exceeded(one_line(&message))
        };
        let reply = match tokio::time::timeout(limit + DEADLINE_GRACE, answering).await {
            Ok(served) => match served.result() {
                Err(Rejection::Backend(e)) if Instant::now() >= deadline => Err(abandoned(Some(&e.to_string()))),
                _ => served.encoded(|result| reply::<E>(&req, result).map(|r| Bytes::from(r.encode_to_vec()))),
            },
            Err(_) => Err(abandoned(None)),
        };
        let code = reply.as_ref().map_or_else(Status::code, |_| Code::Ok);
        self.inner.telemetry.observe(E::METHOD, &format!("{code:?}"), started.elapsed());
        reply.map(Response::new)
    }
}

/// The response to an outcome, or its status (Linkerd's error contract, above).
fn reply<E: Rpc>(request: &E::Request, result: &Result<E::Ok, Rejection>) -> Result<E::Reply, Status> {
    match result {
        Ok(ok) => E::reply(request, Ok(ok)).ok_or_else(|| Status::internal("cannot encode the answer")),
        Err(Rejection::Invalid(message)) => {
            E::reply(request, Err(message)).ok_or_else(|| Status::invalid_argument(one_line(message)))
        }
        Err(other) => Err(status(other)),
    }
}

/// The one mapping of a rejection to a status code (an invalid request only for calls whose
/// response has no `error` field).
pub fn status(rejection: &Rejection) -> Status {
    let message = one_line(&rejection.to_string());
    match rejection {
        Rejection::Invalid(_) => Status::invalid_argument(message),
        Rejection::NotFound(_) => Status::not_found(message),
        Rejection::Backend(_) => Status::unavailable(message),
        Rejection::Usage(_) => Status::failed_precondition(message),
    }
}

/// How long after the handler deadline a call that did not end is abandoned.
const DEADLINE_GRACE: Duration = Duration::from_millis(250);

/// Messages travel in a header: one bounded line, unsafe characters escaped.
fn one_line(text: &str) -> String {
    lviz_api::hygiene::one_line(text, lviz_api::hygiene::LINE_CHARS)
}

/// The two services (each applies the request size limit).
pub fn services(state: &GrpcState) -> (Service<VizApi>, Service<Extensions>) {
    (Service::new(state.clone()), Service::new(state.clone()))
}

/// Serves both services on `listener` until `shutdown` completes, then lets calls in flight
/// finish (each bounded by the handler timeout).
pub async fn serve(
    state: GrpcState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), BackendError> {
    let addr = listener.local_addr().map_or_else(|_| "(unknown)".to_string(), |a| a.to_string());
    let options = state.inner.options;
    let (api, ext) = services(&state);
    let incoming = limits::incoming(listener, options.max_connections, options.preface_timeout);
    Server::builder()
        .max_concurrent_streams(Some(options.max_streams_per_connection))
        .http2_keepalive_interval(Some(options.keepalive))
        .http2_keepalive_timeout(Some(options.keepalive))
        .http2_max_header_list_size(Some(16 * 1024))
        .max_connection_age(options.max_connection_age)
        .max_connection_age_grace(options.handler_timeout)
        // A backstop behind each call's own deadline (which answers DEADLINE_EXCEEDED first).
        .timeout(options.handler_timeout + Duration::from_secs(5))
        .add_service(api)
        .add_service(ext)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| BackendError { backend: "lviz serve gRPC listener", url: addr, cause: e.to_string() })
}

//! The gRPC face under hostile and unlucky clients, over real HTTP/2 on loopback: malformed
//! protobuf, unknown methods and oversized messages get gRPC status codes and the server keeps
//! answering; a client that connects and sends nothing is dropped and does not hold a
//! connection slot; the connection limit holds; a call past the handler timeout is
//! DEADLINE_EXCEEDED; graceful shutdown finishes calls in flight and closes idle connections.
//!
//! Prometheus is a stand-in here (the faults are the client's, not the backend's): it answers
//! every query with no samples, after a configurable delay. Answers with real data are the
//! end-to-end tests' (`tests/e2e_grpc.rs`, `tests/grpc_conformance.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes};
use futures::future::BoxFuture;
use http::uri::PathAndQuery;
use lviz_engine::coalesce::{CoalesceOptions, Coalescing};
use lviz_engine::serving::Serving;
use lviz_engine::{Engine, EngineSettings, Metrics};
use lviz_grpc::proto::viz::api_client::ApiClient;
use lviz_grpc::proto::viz::{AuthzRequest, ResourceSelection, StatSummaryRequest, stat_summary_response};
use lviz_grpc::{GrpcOptions, GrpcState};
use lviz_prom::{BackendError, Sample};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// Answers every query with no samples after `delay`.
struct SlowEmpty {
    delay: Duration,
}

impl Metrics for SlowEmpty {
    fn query<'a>(&'a self, _query: &'a str, _at: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            Ok(Vec::new())
        })
    }
    fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>> {
        Box::pin(async { None })
    }
}

struct Running {
    addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Result<(), BackendError>>,
}

async fn start(delay: Duration, options: GrpcOptions) -> Running {
    let metrics = Arc::new(Coalescing::new(Arc::new(SlowEmpty { delay }), CoalesceOptions::default()));
    let engine = Engine::prometheus_only(metrics.clone(), EngineSettings::default());
    let state = GrpcState::new(Serving::new(engine, metrics, None), options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(lviz_grpc::server::serve(state, listener, async {
        let _ = stopped.await;
    }));
    Running { addr, stop: Some(stop), done }
}

async fn channel(addr: &str) -> Channel {
    Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await.expect("connect")
}

fn stat_request() -> StatSummaryRequest {
    StatSummaryRequest {
        selector: Some(ResourceSelection {
            resource: Some(lviz_grpc::proto::viz::Resource {
                namespace: "emojivoto".into(),
                r#type: "deployment".into(),
                name: String::new(),
            }),
            label_selector: String::new(),
        }),
        time_window: "1m".into(),
        ..Default::default()
    }
}

/// A well-formed call answers (no rows: the stand-in has no samples).
async fn answers(channel: Channel) -> Result<(), Status> {
    let reply = ApiClient::new(channel).stat_summary(stat_request()).await?.into_inner();
    match reply.response {
        Some(stat_summary_response::Response::Ok(_)) => Ok(()),
        other => Err(Status::internal(format!("unexpected answer {other:?}"))),
    }
}

/// Sends and receives raw bytes: any message, to any path.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

async fn raw(channel: Channel, path: &'static str, body: Vec<u8>) -> Result<Bytes, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let reply = grpc.unary(tonic::Request::new(Bytes::from(body)), PathAndQuery::from_static(path), RawCodec).await?;
    Ok(reply.into_inner())
}

#[tokio::test]
async fn malformed_unknown_and_oversized_calls_get_status_codes_and_the_server_keeps_answering() {
    let server = start(Duration::ZERO, GrpcOptions::default()).await;
    let ch = channel(&server.addr).await;

    // Not protobuf: a field tag with an invalid wire type (7) and a truncated varint.
    let malformed = raw(ch.clone(), "/linkerd2.viz.Api/StatSummary", vec![0x0f, 0xff, 0xff]).await.unwrap_err();
    assert_eq!(malformed.code(), Code::Internal, "{malformed:?}");
    assert!(malformed.message().contains("decode"), "{malformed:?}");

    for path in ["/linkerd2.viz.Api/Tap", "/linkerd2.viz.Nope/StatSummary", "/x"] {
        let unknown = raw(ch.clone(), path_static(path), stat_request().encode_to_vec()).await.unwrap_err();
        assert_eq!(unknown.code(), Code::Unimplemented, "{path}: {unknown:?}");
    }

    // Valid protobuf, 100 KiB: over the 64 KiB request limit.
    let mut big = stat_request();
    big.time_window = "1".repeat(100 * 1024);
    let oversized = raw(ch.clone(), "/linkerd2.viz.Api/StatSummary", big.encode_to_vec()).await.unwrap_err();
    assert_eq!(oversized.code(), Code::OutOfRange, "{oversized:?}");
    assert!(oversized.message().contains("the limit is: 65536 bytes"), "{oversized:?}");

    // Authz without a resource: Linkerd's words in the response's error field, not a status.
    let authz = ApiClient::new(ch.clone()).authz(AuthzRequest::default()).await.expect("an answer").into_inner();
    match authz.response {
        Some(lviz_grpc::proto::viz::authz_response::Response::Error(e)) => {
            assert_eq!(e.error, "AuthzRequest missing resource");
        }
        other => panic!("expected the error field: {other:?}"),
    }

    // The same connection, and a new one, still get answers.
    answers(ch).await.expect("answers after the bad calls");
    answers(channel(&server.addr).await).await.expect("answers on a new connection");
    assert!(!server.done.is_finished(), "the server is still serving");
}

fn path_static(path: &str) -> &'static str {
    Box::leak(path.to_string().into_boxed_str())
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_dropped_and_the_connection_limit_holds() {
    let options =
        GrpcOptions { max_connections: 1, preface_timeout: Duration::from_millis(400), ..GrpcOptions::default() };
    let server = start(Duration::ZERO, options).await;

    // A slowloris: connects, sends half the preface, then nothing. It holds the only slot...
    let mut idle = tokio::net::TcpStream::connect(&server.addr).await.expect("connect");
    idle.write_all(b"PRI * HTTP/2.0\r\n").await.expect("write");
    let started = Instant::now();
    let blocked =
        tokio::time::timeout(Duration::from_millis(150), async { answers(channel(&server.addr).await).await }).await;
    assert!(blocked.is_err(), "a second connection was served beyond the limit: {blocked:?}");

    // ...until the preface deadline drops it (the server closes the socket).
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the idle connection was never closed");
    let held = started.elapsed();
    assert!(held >= Duration::from_millis(200) && held < Duration::from_secs(3), "held for {held:?}");
    answers(channel(&server.addr).await).await.expect("the slot is free again");
}

#[tokio::test]
async fn a_call_past_the_handler_timeout_is_deadline_exceeded() {
    let options = GrpcOptions { handler_timeout: Duration::from_millis(200), ..GrpcOptions::default() };
    let server = start(Duration::from_secs(3), options).await;
    let started = Instant::now();
    let late = answers(channel(&server.addr).await).await.unwrap_err();
    assert_eq!(late.code(), Code::DeadlineExceeded, "{late:?}");
    assert_eq!(late.message(), "request took longer than 200ms and was abandoned");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn shutdown_finishes_calls_in_flight_and_closes_idle_connections() {
    let options = GrpcOptions { preface_timeout: Duration::from_secs(1), ..GrpcOptions::default() };
    let mut server = start(Duration::from_millis(600), options).await;
    // An idle HTTP/2 connection (it made a call) and one that never sent its preface.
    let idle = channel(&server.addr).await;
    answers(idle.clone()).await.expect("first call");
    let _silent = tokio::net::TcpStream::connect(&server.addr).await.expect("connect");
    // A call in flight when the signal comes (a new request, so it is computed: 600 ms).
    let mut slow_request = stat_request();
    slow_request.time_window = "2m".into();
    let in_flight = tokio::spawn({
        let ch = channel(&server.addr).await;
        async move { ApiClient::new(ch).stat_summary(slow_request).await.map(|_| ()) }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    server.stop.take().expect("stop").send(()).expect("signal");
    let finished = in_flight.await.expect("join");
    assert!(finished.is_ok(), "the call in flight was cut: {finished:?}");
    let stopped = tokio::time::timeout(Duration::from_secs(15), &mut server.done).await;
    let result = stopped.expect("the server stopped in time").expect("join");
    assert!(result.is_ok(), "{result:?}");
    // Bounded by the silent connection's preface deadline (1 s), not by the idle HTTP/2 one.
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    let refused = tokio::net::TcpStream::connect(&server.addr).await;
    assert!(refused.is_err(), "still accepting after shutdown");
}

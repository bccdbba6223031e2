//! Pod port-forward through the fake API server with kube's own `Api::<Pod>::portforward`
//! (WebSocket, `v4.channel.k8s.io`): bytes and HTTP/2 both ways, several ports and forwards,
//! the recorded request, and that every side's close ends the session and its TCP connection.

mod support;

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use lviz_testkit::fixtures::{
    METRICS_API_ADMIN_PORT, METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, emojivoto_objects,
    with_metrics_api,
};
use lviz_testkit::kube::FakeKube;
use support::{Upstream, WAIT, client, eventually};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

async fn fake() -> FakeKube {
    FakeKube::start(with_metrics_api(emojivoto_objects())).await.expect("start fake")
}

async fn metrics_api_pods(kube: &FakeKube) -> Api<Pod> {
    Api::namespaced(client(kube).await, METRICS_API_NAMESPACE)
}

/// Writes `data` while reading as many bytes back: an echo round trip of any size.
async fn echo_round_trip<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, data: &[u8]) -> Vec<u8> {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let write = async {
        writer.write_all(data).await.expect("write");
    };
    let read = async {
        let mut back = vec![0u8; data.len()];
        reader.read_exact(&mut back).await.expect("read back");
        back
    };
    let ((), back) = tokio::time::timeout(WAIT, async { tokio::join!(write, read) }).await.expect("echo in time");
    back
}

#[tokio::test]
async fn bytes_round_trip_and_the_request_is_recorded() {
    let kube = fake().await;
    let echo = Upstream::echo().await;
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &echo.addr.to_string());
    let pods = metrics_api_pods(&kube).await;
    kube.clear_requests();

    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("portforward");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    assert_eq!(echo_round_trip(&mut stream, b"ping").await, b"ping");
    // Larger than one read chunk and one WebSocket message, in both directions at once.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(echo_round_trip(&mut stream, &big).await, big);
    assert_eq!(echo.accepted(), 1, "one TCP connection per forwarded port");

    let requests = kube.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, format!("/api/v1/namespaces/linkerd-viz/pods/{METRICS_API_POD}/portforward"));
    assert_eq!(requests[0].query, "&ports=8085", "kube's query string, as sent");
    assert_eq!(kube.active_port_forwards(), 1);
}

#[tokio::test]
async fn http2_requests_round_trip_through_the_forward() {
    let kube = fake().await;
    let h2 = Upstream::h2c().await;
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &h2.addr.to_string());
    let pods = metrics_api_pods(&kube).await;
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("portforward");
    let stream = pf.take_stream(METRICS_API_PORT).expect("stream");

    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.expect("h2 handshake");
    tokio::spawn(conn);
    // Concurrent streams on the one connection, as a gRPC channel multiplexes calls.
    let calls = (0..5).map(|i| {
        let mut sender = sender.clone();
        async move {
            let req = hyper::Request::post("http://metrics-api.linkerd-viz.svc:8085/linkerd2.viz.Api/StatSummary")
                .header("content-type", "application/grpc")
                .body(Full::new(Bytes::from(format!("call {i}"))))
                .expect("request");
            let resp = sender.send_request(req).await.expect("response");
            assert_eq!(resp.version(), hyper::Version::HTTP_2);
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            String::from_utf8(body.to_vec()).expect("utf-8")
        }
    });
    let answers = tokio::time::timeout(WAIT, futures_util::future::join_all(calls)).await.expect("in time");
    let want: Vec<String> = (0..5).map(|i| format!("HTTP/2.0 POST /linkerd2.viz.Api/StatSummary call {i}")).collect();
    assert_eq!(answers, want);
    assert_eq!(h2.accepted(), 1);
}

#[tokio::test]
async fn several_ports_in_one_forward_and_concurrent_forwards() {
    let kube = fake().await;
    let (h2, mut echo) = (Upstream::h2c().await, Upstream::echo().await);
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &h2.addr.to_string());
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_ADMIN_PORT, &echo.addr.to_string());
    let pods = metrics_api_pods(&kube).await;

    let mut both = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT, METRICS_API_ADMIN_PORT]).await.expect("pf");
    let mut admin = both.take_stream(METRICS_API_ADMIN_PORT).expect("admin stream");
    let grpc = both.take_stream(METRICS_API_PORT).expect("grpc stream");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(grpc)).await.expect("h2");
    tokio::spawn(conn);
    let req = hyper::Request::get("http://metrics-api:8085/ping").body(Full::new(Bytes::new())).expect("request");
    let body = sender.send_request(req).await.expect("response").into_body().collect().await.expect("body");
    assert_eq!(body.to_bytes(), "HTTP/2.0 GET /ping ");
    assert_eq!(echo_round_trip(&mut admin, b"admin port").await, b"admin port");

    // Independent sessions at once, each with its own upstream connection.
    let sessions = (0..4).map(|i| {
        let pods = pods.clone();
        async move {
            let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_ADMIN_PORT]).await.expect("pf");
            let mut s = pf.take_stream(METRICS_API_ADMIN_PORT).expect("stream");
            let data = format!("session {i} ").repeat(1000).into_bytes();
            assert_eq!(echo_round_trip(&mut s, &data).await, data);
            (pf, s)
        }
    });
    let open = futures_util::future::join_all(sessions).await;
    assert_eq!(echo.accepted(), 5);
    assert_eq!(kube.active_port_forwards(), 5);
    drop(open);
    for _ in 0..4 {
        assert!(echo.connection_closed().await, "each closed session closes its upstream connection");
    }
    assert!(eventually(|| kube.active_port_forwards() == 1).await, "only the two-port session is left");
}

#[tokio::test]
async fn dropping_the_forwarder_closes_the_upstream_connection() {
    let kube = fake().await;
    let mut echo = Upstream::echo().await;
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &echo.addr.to_string());
    let pods = metrics_api_pods(&kube).await;

    // Closing cleanly: the stream and the forwarder go away, kube sends a WebSocket Close.
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("pf");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    assert_eq!(echo_round_trip(&mut stream, b"hello").await, b"hello");
    drop(stream);
    drop(pf);
    assert!(echo.connection_closed().await, "upstream connection closed after the forwarder was dropped");
    assert!(eventually(|| kube.active_port_forwards() == 0).await);

    // Abruptly: the client's task dies with the connection, no Close frame.
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("pf");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    assert_eq!(echo_round_trip(&mut stream, b"again").await, b"again");
    pf.abort();
    assert!(echo.connection_closed().await, "upstream connection closed after the client vanished");
    assert!(eventually(|| kube.active_port_forwards() == 0).await);
    assert_eq!(echo.accepted(), 2);
}

#[tokio::test]
async fn the_pod_side_closing_ends_the_forward() {
    let kube = fake().await;
    let bye = Upstream::say_and_hang_up(b"bye").await;
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &bye.addr.to_string());
    let pods = metrics_api_pods(&kube).await;
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("pf");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    let mut got = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut got)).await.expect("EOF in time").expect("read");
    assert_eq!(got, b"bye", "the data, then end of stream");
    // kube settles a port's error future once its own side of the port is gone too.
    drop(stream);
    let error = pf.take_error(METRICS_API_PORT).expect("error future");
    assert_eq!(tokio::time::timeout(WAIT, error).await.expect("in time"), None, "a clean end is no error");
    assert!(eventually(|| kube.active_port_forwards() == 0).await);
}

#[tokio::test]
async fn dropping_the_fake_ends_open_forwards() {
    let kube = fake().await;
    let mut echo = Upstream::echo().await;
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &echo.addr.to_string());
    let pods = metrics_api_pods(&kube).await;
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("pf");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    assert_eq!(echo_round_trip(&mut stream, b"x").await, b"x");

    drop(kube);
    assert!(echo.connection_closed().await, "the fake's session closed its upstream connection");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0))), "the client sees its stream end: {read:?}");
}

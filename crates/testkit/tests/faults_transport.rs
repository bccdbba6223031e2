//! Fault server, transport faults: each connection-level fault does exactly what it claims on
//! the wire (seen with a raw TCP client), per-path routing picks the fault, and every stall ends
//! when the server is dropped or the connection limit passes.

mod fault_client;

use std::time::{Duration, Instant};

use fault_client::{End, exchange, get, http};
use lviz_testkit::faults::{Backend, Delivery, Fault, FaultServer, Plan, Reply};

/// How long a stall must last to count as one (and how long a slow server has to say anything).
const QUIET: Duration = Duration::from_secs(1);
/// Patience for exchanges that end by themselves: only a broken server waits this long.
const ENDS: Duration = Duration::from_secs(5);

fn reply(body: &str) -> Reply {
    Reply::new(200, "application/json", body)
}

#[tokio::test]
async fn refused_has_nothing_listening() {
    let server = FaultServer::start(Fault::Refused).await.expect("start");
    let err = tokio::net::TcpStream::connect(server.addr()).await.expect_err("nothing listens");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn hangup_closes_without_a_byte() {
    let server = FaultServer::start(Fault::Hangup).await.expect("start");
    let ex = exchange(server.addr(), &get("/api/v1/query"), ENDS).await;
    assert_eq!((ex.end, ex.bytes.len()), (End::Eof, 0));
    assert_eq!(server.requests()[0].path, "/api/v1/query");
}

#[tokio::test]
async fn silence_and_stalled_headers_send_nothing_useful() {
    let server = FaultServer::start(Fault::Silence).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), QUIET).await;
    assert_eq!((ex.end, ex.bytes.len()), (End::Quiet, 0));

    let server = FaultServer::start(Fault::StallHeaders).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), QUIET).await;
    assert_eq!(ex.end, End::Quiet);
    assert!(ex.text().starts_with("HTTP/1.1 200 OK\r\n"), "{}", ex.text());
    assert!(ex.body().is_none(), "the head never ends: {:?}", ex.text());
}

#[tokio::test]
async fn stalled_body_sends_headers_then_nothing() {
    let body = "x".repeat(100);
    let server = FaultServer::start(reply(&body).delivered(Delivery::StallAfter(0))).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), QUIET).await;
    assert_eq!(ex.end, End::Quiet);
    assert_eq!(ex.header("content-length").as_deref(), Some("100"));
    assert_eq!(ex.body(), Some(&b""[..]));

    let server = FaultServer::start(reply(&body).delivered(Delivery::StallAfter(40))).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), QUIET).await;
    assert_eq!((ex.end, ex.body().map(<[u8]>::len)), (End::Quiet, Some(40)));
}

#[tokio::test]
async fn drip_sends_one_byte_per_interval() {
    let server = FaultServer::start(reply("0123456789").delivered(Delivery::Drip(Duration::from_millis(50))))
        .await
        .expect("start");
    let ex = exchange(server.addr(), &get("/"), Duration::from_secs(2)).await;
    assert_eq!(ex.end, End::Eof);
    assert_eq!(ex.body(), Some(&b"0123456789"[..]));
    // The body arrives in pieces (a busy reader may see two bytes at once), the last no earlier
    // than ten pauses in.
    assert!(ex.arrivals.len() > 6, "{:?}", ex.arrivals);
    assert!(*ex.arrivals.last().expect("arrivals") >= Duration::from_millis(500), "{:?}", ex.arrivals);
}

#[tokio::test]
async fn short_body_closes_before_content_length() {
    let server = FaultServer::start(reply(&"y".repeat(100)).delivered(Delivery::Short(30))).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), ENDS).await;
    assert_eq!(ex.end, End::Eof);
    assert_eq!(ex.header("content-length").as_deref(), Some("100"));
    assert_eq!(ex.body().map(<[u8]>::len), Some(30));

    let err = http().get(server.url()).send().await.expect("head").bytes().await.expect_err("short");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
}

#[tokio::test]
async fn reset_mid_body_resets() {
    let server = FaultServer::start(reply(&"z".repeat(100)).delivered(Delivery::ResetAfter(20))).await.expect("start");
    let ex = exchange(server.addr(), &get("/"), ENDS).await;
    assert_eq!(ex.end, End::Reset);
    assert_eq!(ex.body().map(<[u8]>::len), Some(20));
}

#[tokio::test]
async fn redirect_loop_points_at_itself() {
    let server = FaultServer::start(Fault::RedirectLoop).await.expect("start");
    let ex = exchange(server.addr(), &get("/api/v1/query?query=up"), ENDS).await;
    assert!(ex.text().starts_with("HTTP/1.1 302 Found\r\n"), "{}", ex.text());
    assert_eq!(ex.header("location").as_deref(), Some("/api/v1/query?query=up"));

    let err = http().get(format!("{}/x?y=1", server.url())).send().await.expect_err("loop");
    assert!(err.is_redirect(), "{err:?}");
    // The raw request, then reqwest's: its first and 10 redirects (the default policy).
    assert_eq!(server.request_count(), 1 + 11);
}

#[tokio::test]
async fn routes_fault_one_path_and_answer_the_others() {
    let server = FaultServer::start(Plan::prometheus(Fault::Silence)).await.expect("start");
    let config: serde_json::Value = http()
        .get(format!("{}/api/v1/status/config", server.url()))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert!(config["data"]["yaml"].as_str().expect("yaml").contains("scrape_interval: 10s"));
    let ex = exchange(server.addr(), &get("/api/v1/query?query=up"), QUIET).await;
    assert_eq!((ex.end, ex.bytes.len()), (End::Quiet, 0));
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/v1/status/config", "/api/v1/query"]);
}

#[tokio::test]
async fn requests_are_recorded_with_their_form() {
    let server = FaultServer::start(Plan::prometheus(Fault::Hangup)).await.expect("start");
    let _ = http()
        .post(format!("{}/api/v1/query?x=1", server.url()))
        .basic_auth("u", Some("p"))
        .form(&[("query", "sum(up) by (pod)"), ("time", "1767226800")])
        .send()
        .await;
    let seen = &server.requests()[0];
    assert_eq!((seen.method.as_str(), seen.path.as_str(), seen.query.as_str()), ("POST", "/api/v1/query", "x=1"));
    assert_eq!(seen.param("query").as_deref(), Some("sum(up) by (pod)"));
    assert_eq!(seen.param("x").as_deref(), Some("1"));
    assert!(seen.header("Authorization").is_some_and(|a| a.starts_with("Basic ")));
}

#[tokio::test]
async fn connection_limit_ends_a_stall() {
    let plan = Plan::new(Fault::Silence).connection_limit(Duration::from_millis(300));
    let server = FaultServer::start(plan).await.expect("start");
    let start = Instant::now();
    let ex = exchange(server.addr(), &get("/"), Duration::from_secs(5)).await;
    assert_eq!(ex.end, End::Eof);
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
}

async fn assert_drop_ends_stalls(server: FaultServer) {
    let addr = server.addr();
    let mut stalled = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut stalled, get("/").as_bytes()).await.expect("write");
    // Let the server read the request, so the connection task exists.
    while server.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(server);
    let ex = fault_client::read_until_quiet(&mut stalled, Duration::from_secs(3)).await;
    assert_ne!(ex.end, End::Quiet, "a stalled connection outlived its server");
    // The listener is gone too (give an aborted task a moment to be dropped).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn dropping_the_server_ends_every_connection() {
    assert_drop_ends_stalls(FaultServer::start(Fault::Silence).await.expect("start")).await;
}

#[tokio::test]
async fn dropping_a_background_server_ends_every_connection() {
    assert_drop_ends_stalls(FaultServer::start_background(Fault::Silence).expect("start")).await;
}

#[tokio::test]
async fn healthy_answers_are_relayed_to_an_upstream() {
    let upstream = FaultServer::start(reply(r#"{"from":"upstream"}"#)).await.expect("upstream");
    let plan = Plan::new(Fault::Healthy(Backend::Prometheus)).upstream(&upstream.url());
    let server = FaultServer::start(plan).await.expect("start");
    let resp =
        http().post(format!("{}/api/v1/query", server.url())).form(&[("query", "up")]).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), r#"{"from":"upstream"}"#);
    let relayed = &upstream.requests()[0];
    assert_eq!((relayed.method.as_str(), relayed.param("query").as_deref()), ("POST", Some("up")));
}

//! Carrying out a fault on one connection: writing a reply byte by byte as its delivery says
//! (whole, stalled, dripped, cut short, reset), the stalls that send nothing, the redirect loop,
//! watch streams that stall, and relaying to an upstream for the benign routes.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::Backend;
use super::canned::{self, reason_phrase};
use super::conn::{SeenRequest, Shared, Stream};
use super::plan::{Delivery, Fault, Labels, Reply};
use super::{kubernetes, metrics_api, prometheus};

const CHUNK: usize = 64 * 1024;

/// Answers `request` with `fault`.
pub(crate) async fn answer(
    stream: &mut Stream,
    request: &SeenRequest,
    fault: &Fault,
    shared: &Shared,
) -> io::Result<()> {
    match fault {
        Fault::Refused | Fault::Hangup => Ok(()),
        Fault::Silence => stall().await,
        Fault::StallHeaders => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n").await?;
            stream.flush().await?;
            stall().await
        }
        Fault::Reply(reply) => send(stream, reply).await,
        Fault::RedirectLoop => send(stream, &Reply::empty(302).header("Location", &request.target)).await,
        Fault::PromSamples { value, labels } => {
            send(stream, &Reply::new(200, "application/json", prometheus::samples(request, value, *labels))).await
        }
        Fault::KubeList(paging) if kubernetes::is_collection(&request.path) && !kubernetes::is_watch(request) => {
            send(stream, &kubernetes::page(request, *paging)).await
        }
        Fault::KubeList(_) | Fault::KubeWatchStall if kubernetes::is_watch(request) => stall_watch(stream).await,
        Fault::KubeList(_) | Fault::KubeWatchStall => answer_healthy(stream, request, Backend::Kube, shared).await,
        Fault::EchoCredentials { status, backend } => {
            send(stream, &canned::echo_credentials(request, *status, *backend)).await
        }
        Fault::Healthy(backend) => answer_healthy(stream, request, *backend, shared).await,
        Fault::Forward(upstream) => match &shared.http {
            Some(http) => forward(stream, request, upstream.trim_end_matches('/'), http).await,
            None => Ok(()),
        },
    }
}

/// Waits until the connection limit or the server's drop cancels the task.
async fn stall() -> io::Result<()> {
    std::future::pending::<()>().await;
    Ok(())
}

/// A watch that never sends an event.
async fn stall_watch(stream: &mut Stream) -> io::Result<()> {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await?;
    stall().await
}

/// Relayed to the plan's upstream, or canned.
async fn answer_healthy(
    stream: &mut Stream,
    request: &SeenRequest,
    backend: Backend,
    shared: &Shared,
) -> io::Result<()> {
    match (&shared.plan.upstream, &shared.http) {
        (Some(upstream), Some(http)) => forward(stream, request, upstream, http).await,
        _ if backend == Backend::Kube && kubernetes::is_watch(request) => stall_watch(stream).await,
        _ => send(stream, &healthy(backend, request)).await,
    }
}

fn healthy(backend: Backend, request: &SeenRequest) -> Reply {
    let json = "application/json";
    match backend {
        Backend::Prometheus if request.path.ends_with("/api/v1/status/config") => {
            Reply::new(200, json, prometheus::good_config())
        }
        Backend::Prometheus if request.path.ends_with("/api/v1/status/buildinfo") => {
            Reply::new(200, json, prometheus::good_buildinfo())
        }
        Backend::Prometheus => Reply::new(200, json, prometheus::samples(request, "1", Labels::Grouping)),
        Backend::Kube => kubernetes::healthy(request),
        Backend::MetricsApi => metrics_api::healthy(&request.path),
    }
}

fn head(status: u16, headers: &[(String, String)]) -> String {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

/// Writes `reply` as its delivery says.
pub(crate) async fn send(stream: &mut Stream, reply: &Reply) -> io::Result<()> {
    let mut head = head(reply.status, &reply.headers);
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()));
    stream.write_all(head.as_bytes()).await?;
    let mut cursor = reply.body.cursor();
    match reply.delivery {
        Delivery::Whole => {
            copy(stream, &mut cursor, u64::MAX).await?;
            stream.shutdown().await
        }
        Delivery::StallAfter(n) => {
            copy(stream, &mut cursor, n).await?;
            stall().await
        }
        Delivery::Drip(pause) => {
            stream.flush().await?;
            let mut byte = Vec::with_capacity(1);
            while cursor.fill(&mut byte, 1) > 0 {
                tokio::time::sleep(pause).await;
                stream.write_all(&byte).await?;
                stream.flush().await?;
                byte.clear();
            }
            stream.shutdown().await
        }
        Delivery::Short(n) => {
            copy(stream, &mut cursor, n).await?;
            stream.shutdown().await
        }
        Delivery::ResetAfter(n) => {
            copy(stream, &mut cursor, n).await?;
            // Let the bytes leave before the reset discards whatever is still queued.
            tokio::time::sleep(Duration::from_millis(50)).await;
            stream.tcp().set_zero_linger()
            // Dropping the stream with SO_LINGER 0 sends RST.
        }
    }
}

/// Writes at most `limit` bytes of the body, then flushes.
async fn copy(stream: &mut (impl AsyncWrite + Unpin), cursor: &mut super::body::Cursor, limit: u64) -> io::Result<()> {
    let mut left = limit;
    let mut buf = Vec::with_capacity(CHUNK);
    while left > 0 {
        buf.clear();
        let n = cursor.fill(&mut buf, CHUNK.min(usize::try_from(left).unwrap_or(CHUNK)));
        if n == 0 {
            break;
        }
        stream.write_all(&buf).await?;
        left -= n as u64;
    }
    stream.flush().await
}

/// Relays `request` to `upstream` and streams its answer back (chunked, so watches flow).
async fn forward(stream: &mut Stream, request: &SeenRequest, upstream: &str, http: &reqwest::Client) -> io::Result<()> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut outgoing = http.request(method, format!("{upstream}{}", request.target)).body(request.body.clone());
    for (name, value) in &request.headers {
        if matches!(name.as_str(), "content-type" | "accept" | "authorization") {
            outgoing = outgoing.header(name, value);
        }
    }
    let mut response = match outgoing.send().await {
        Ok(r) => r,
        Err(e) => {
            let message = format!("fault server: relaying to {upstream} failed: {e}");
            return send(stream, &Reply::new(502, "text/plain", message)).await;
        }
    };
    let content_type = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let headers = vec![("Content-Type".to_string(), content_type.unwrap_or("application/octet-stream").to_string())];
    let mut head = head(response.status().as_u16(), &headers);
    head.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
                stream.flush().await?;
            }
            Ok(None) => break,
            // An upstream failing mid-answer: end without the last chunk, so the client sees it.
            Err(_) => return Ok(()),
        }
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.shutdown().await
}

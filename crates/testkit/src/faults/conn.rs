//! One connection of a fault server: the optional TLS handshake, reading one HTTP/1.1 request
//! by hand (a fault server must not depend on an HTTP stack that refuses to misbehave), recording
//! it, and handing it to the fault its path selects. One request per connection: every answer
//! says `Connection: close`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

use super::plan::Plan;
use super::respond;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 4 * 1024 * 1024;
/// How much of a request body the record keeps.
const RECORDED_BODY: usize = 64 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One request as the fault server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// Path and query as sent (`/api/v1/query?x=1`).
    pub target: String,
    pub path: String,
    /// Raw query string (percent-encoded), empty when absent.
    pub query: String,
    /// Header names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body (its first 64 KiB in [`FaultServer::requests`](super::FaultServer::requests)).
    pub body: Vec<u8>,
}

impl SeenRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// A parameter from the query string or, failing that, from a form-encoded body.
    pub fn param(&self, name: &str) -> Option<String> {
        let find =
            |bytes: &[u8]| url::form_urlencoded::parse(bytes).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        find(self.query.as_bytes()).or_else(|| {
            let form = self.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
            if form { find(&self.body) } else { None }
        })
    }
}

/// Requests kept in full; later ones are only counted, so a runaway client cannot grow the server.
pub const KEPT_REQUESTS: usize = 10_000;

/// The requests a server has read.
#[derive(Default)]
pub(crate) struct Record {
    pub kept: Vec<SeenRequest>,
    pub total: usize,
}

/// What every connection of one server shares.
pub(crate) struct Shared {
    pub plan: Plan,
    pub record: Mutex<Record>,
    /// Relays `Forward` and upstream `Healthy` requests (`None` when the plan has neither).
    pub http: Option<reqwest::Client>,
}

impl Shared {
    pub fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        // Plain pushes cannot leave the record inconsistent if a holder panicked.
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A plain or TLS server-side connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Stream {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Serves one connection to its end. The caller bounds the whole by the plan's connection limit.
pub(crate) async fn serve(tcp: TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let mut stream = match tls {
        None => Stream::Plain(tcp),
        Some(acceptor) => match timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(Ok(s)) => Stream::Tls(Box::new(s)),
            // The client refused the certificate (the point of most TLS variants) or went away.
            _ => return,
        },
    };
    let Ok(Ok(Some(request))) = timeout(REQUEST_TIMEOUT, read_request(&mut stream)).await else {
        return;
    };
    {
        let mut record = shared.record();
        record.total += 1;
        if record.kept.len() < KEPT_REQUESTS {
            let mut kept = request.clone();
            kept.body.truncate(RECORDED_BODY);
            record.kept.push(kept);
        }
    }
    let fault = shared.plan.fault_for(&request.path).clone();
    // Write errors mean the client went away, which is no concern of the server's.
    let _ = respond::answer(&mut stream, &request, &fault, &shared).await;
}

/// Reads one request head and its `Content-Length` body. `None`: EOF, garbage or too large.
async fn read_request(stream: &mut Stream) -> io::Result<Option<SeenRequest>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (mut request, head_len, body_len) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        match parse_head(&buf) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) if buf.len() <= MAX_HEAD => continue,
            _ => return Ok(None),
        }
    };
    let body_len = body_len.min(MAX_BODY);
    let mut body = buf.split_off(head_len);
    while body.len() < body_len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(body_len);
    request.body = body;
    Ok(Some(request))
}

/// `Ok(None)`: incomplete head. The request comes back without its body, with the head's
/// length and the body's declared length.
fn parse_head(buf: &[u8]) -> Result<Option<(SeenRequest, usize, usize)>, httparse::Error> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_len) = parsed.parse(buf)? else {
        return Ok(None);
    };
    let target = parsed.path.unwrap_or("/").to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
        .collect();
    let body_len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let method = parsed.method.unwrap_or("GET").to_string();
    Ok(Some((SeenRequest { method, target, path, query, headers, body: Vec::new() }, head_len, body_len)))
}

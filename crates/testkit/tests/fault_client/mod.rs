//! Plain clients for the fault-server tests: a raw TCP exchange that reports exactly which
//! bytes arrived and how the connection ended, and a reqwest client that never uses a proxy.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a raw read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The server closed (FIN).
    Eof,
    /// The server reset the connection (RST).
    Reset,
    /// Nothing more arrived for the quiet period; the connection is still open.
    Quiet,
}

pub struct Exchange {
    pub bytes: Vec<u8>,
    pub end: End,
    /// When each read returned data, from the moment the request was written.
    pub arrivals: Vec<Duration>,
}

impl Exchange {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The body after the head, if the head is complete.
    pub fn body(&self) -> Option<&[u8]> {
        let at = self.bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        Some(&self.bytes[at + 4..])
    }

    /// The value of a response header (case-insensitive), if the head is complete.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next()?;
        head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// `GET target` over a fresh connection.
pub fn get(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n")
}

/// Writes `request`, then reads until the server closes or resets, or `quiet` passes without data.
pub async fn exchange(addr: SocketAddr, request: &str, quiet: Duration) -> Exchange {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write request");
    read_until_quiet(&mut stream, quiet).await
}

pub async fn read_until_quiet(stream: &mut TcpStream, quiet: Duration) -> Exchange {
    let start = Instant::now();
    let mut out = Exchange { bytes: Vec::new(), end: End::Quiet, arrivals: Vec::new() };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(quiet, stream.read(&mut buf)).await {
            Err(_) => return out,
            Ok(Ok(0)) => {
                out.end = End::Eof;
                return out;
            }
            Ok(Ok(n)) => {
                out.bytes.extend_from_slice(&buf[..n]);
                out.arrivals.push(start.elapsed());
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                out.end = End::Reset;
                return out;
            }
            Ok(Err(e)) => panic!("read: {e}"),
        }
    }
}

/// A client for loopback servers: no proxy from the environment, short timeouts.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("client")
}

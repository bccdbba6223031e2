//! Loading a mesh into Prometheus 3 by scraping, so that Prometheus itself converts the classic
//! histograms into native histograms with custom buckets (NHCB): promtool's backfill cannot
//! (3.5.3's `create-blocks-from openmetrics` has no such option).
//!
//! How: a loopback HTTP server ([`StepServer`]) serves the mesh's exposition for one 10 s step of
//! the data at a time, every sample with its explicit timestamp. Prometheus scrapes it every
//! [`SCRAPE_INTERVAL`] with `honor_timestamps` and `convert_classic_histograms_to_nhcb`; the
//! loader moves to the next step once a query sees the current step stored, so a failed scrape
//! is simply repeated and every step lands exactly once (a repeated identical sample is a no-op).
//!
//! The data is in the past while the scrape's own `up`/`scrape_*` samples are stamped now, which
//! moves the head past the data after the first scrape: the later steps are accepted through the
//! out-of-order window (`out_of_order_time_window: 100y`), which Prometheus 3 supports for native
//! histograms. Once the last step is stored the loader reloads an empty scrape configuration.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::mesh::{Exposition, STEP};

/// How often Prometheus scrapes the step server while loading.
pub const SCRAPE_INTERVAL: &str = "50ms";
/// How long one step may take to be stored before loading fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The configuration Prometheus runs with once loaded: no scraping and the chart's 10 s global
/// interval (viz validates time windows against it); with `out_of_order` the window the
/// scrape-loaded data needs (a backfilled server has none, as before).
pub(crate) fn idle_config(out_of_order: bool) -> String {
    let storage = if out_of_order { "storage: {tsdb: {out_of_order_time_window: 100y}}\n" } else { "" };
    format!(
        "global: {{scrape_interval: 10s, scrape_timeout: 10s, evaluation_interval: 10s}}\n{storage}scrape_configs: []\n"
    )
}

/// The configuration that scrapes the step server at `target`.
pub(crate) fn loading_config(target: SocketAddr, keep_classic: bool) -> String {
    format!(
        "global: {{scrape_interval: 10s, scrape_timeout: 10s, evaluation_interval: 10s}}\n\
         storage: {{tsdb: {{out_of_order_time_window: 100y}}}}\n\
         scrape_configs:\n\
         - job_name: lviz-testkit-load\n  \
           honor_labels: true\n  \
           honor_timestamps: true\n  \
           scrape_interval: {SCRAPE_INTERVAL}\n  \
           scrape_timeout: {SCRAPE_INTERVAL}\n  \
           convert_classic_histograms_to_nhcb: true\n  \
           always_scrape_classic_histograms: {keep_classic}\n  \
           static_configs: [{{targets: ['{target}']}}]\n"
    )
}

/// Serves one step of an exposition per request, the step chosen by [`StepServer::set_step`].
pub(crate) struct StepServer {
    addr: SocketAddr,
    step: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn serve_one(mut conn: TcpStream, exposition: &Exposition, t: i64) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    // The request itself does not matter: read its head and answer.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let mut body = String::with_capacity(1 << 20);
    exposition.write_step(t, &mut body);
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(header.as_bytes())?;
    conn.write_all(body.as_bytes())
}

impl StepServer {
    pub(crate) fn start(exposition: Exposition, first: i64) -> Result<StepServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the step server")?;
        let addr = listener.local_addr()?;
        let step = Arc::new(AtomicI64::new(first));
        let stop = Arc::new(AtomicBool::new(false));
        let (step_in, stop_in) = (step.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("lviz-step-server".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop_in.load(Ordering::SeqCst) {
                        return;
                    }
                    // A failed answer is a failed scrape, which Prometheus repeats.
                    if let Ok(conn) = conn {
                        let _ = serve_one(conn, &exposition, step_in.load(Ordering::SeqCst));
                    }
                }
            })
            .context("spawning the step server")?;
        Ok(StepServer { addr, step, stop, thread: Some(thread) })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn set_step(&self, t: i64) {
        self.step.store(t, Ordering::SeqCst);
    }
}

impl Drop for StepServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Percent-encodes a query parameter (RFC 3986 unreserved characters pass). Hand-written: the
/// loader runs outside any async runtime and needs nothing else from an HTTP client crate.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plain HTTP/1.0 request to Prometheus; the status and body.
pub(crate) fn http(addr: SocketAddr, method: &str, path: &str) -> Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Whether Prometheus holds `sentinel`'s sample at `t` (the newest sample at or before `t`).
fn stored(addr: SocketAddr, prefix: &str, sentinel: &str, t: i64) -> Result<bool> {
    let path = format!("{prefix}/api/v1/query?query={}&time={t}", encode(&format!("timestamp({sentinel})")));
    let (status, body) = http(addr, "GET", &path)?;
    if status != 200 {
        bail!("query for the loading sentinel answered {status}: {body}");
    }
    let v: serde_json::Value = serde_json::from_str(&body).context("parsing a query answer")?;
    Ok(v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse::<f64>().ok()) == Some(t as f64))
}

/// Walks the step server through `start..=end` (10 s steps), each step once it is stored.
pub(crate) fn load_steps(
    prometheus: SocketAddr,
    prefix: &str,
    server: &StepServer,
    sentinel: &str,
    (start, end): (i64, i64),
    mut alive: impl FnMut() -> Result<()>,
) -> Result<()> {
    let mut t = start;
    while t <= end {
        server.set_step(t);
        let deadline = Instant::now() + STEP_TIMEOUT;
        while !stored(prometheus, prefix, sentinel, t)? {
            alive()?;
            if Instant::now() > deadline {
                bail!("step {t} was not stored after {STEP_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        t += STEP;
    }
    Ok(())
}

//! VictoriaMetrics (Debian's `victoria-metrics`), standing in for Thanos/Mimir: started on a
//! loopback port and loaded through its Prometheus text import.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::process::{find_binary, free_port, http_status, spawn_watched, wait_ready};
use crate::mesh::{DATA_END, DATA_START, Mesh, TimestampUnit};

/// A running VictoriaMetrics single-node server holding a mesh, imported through
/// `/api/v1/import/prometheus` (Prometheus text with millisecond timestamps). Killed on Drop.
pub struct VictoriaMetricsServer {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl VictoriaMetricsServer {
    /// Imports `mesh` over the standard range and starts.
    pub fn start(mesh: &Mesh) -> Result<VictoriaMetricsServer> {
        Self::start_with(mesh, DATA_START, DATA_END, &[])
    }

    /// Imports `mesh` over `start..=end`; `extra_args` are passed to `victoria-metrics`.
    pub fn start_with(mesh: &Mesh, start: i64, end: i64, extra_args: &[String]) -> Result<VictoriaMetricsServer> {
        let binary = find_binary("victoria-metrics", "victoria-metrics")?;
        let dir =
            tempfile::Builder::new().prefix("lviz-victoria-").tempdir().context("creating a temporary directory")?;
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut args = vec![
            format!("-storageDataPath={}", dir.path().join("data").display()),
            format!("-httpListenAddr={addr}"),
            "-retentionPeriod=100y".to_string(),
            // Backfilled samples are far in the past; do not hide the newest 30 s of "now".
            "-search.latencyOffset=0s".to_string(),
        ];
        args.extend(extra_args.iter().cloned());
        let log = dir.path().join("victoria-metrics.log");
        let mut child = spawn_watched(&binary, &args, &log, dir.path())?;
        wait_ready(&mut child, "victoria-metrics", &log, || http_status(addr, "/health") == Some(200))?;
        let server = VictoriaMetricsServer { child, addr, dir };

        let mut body = Vec::new();
        mesh.write_samples(start, end, TimestampUnit::Milliseconds, &mut body).context("writing samples")?;
        server.post("/api/v1/import/prometheus", &body)?;
        server.post("/internal/force_flush", &[])?;
        Ok(server)
    }

    fn post(&self, path: &str, body: &[u8]) -> Result<()> {
        let mut s = TcpStream::connect(self.addr)
            .with_context(|| format!("connecting to victoria-metrics at {}", self.addr))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        let head = format!(
            "POST {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes())?;
        s.write_all(body)?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        let status: u16 = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        if !(200..300).contains(&status) {
            bail!("victoria-metrics POST {path} answered: {resp}");
        }
        Ok(())
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT` (serves the Prometheus query API under `/api/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for VictoriaMetricsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Starts a real Prometheus (Debian's `prometheus` 2.42 + `promtool`) on a loopback port, loaded
//! by backfill with a mesh's series, and a VictoriaMetrics equivalent. Owns the processes and
//! their temporary directories; both die on Drop, and a watchdog kills them (and removes the
//! directory) if the test process dies without running Drop.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::mesh::{DATA_END, DATA_START, Mesh, TimestampUnit};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start a [`PrometheusServer`].
#[derive(Debug, Clone)]
pub struct PrometheusOptions {
    /// First sample (unix seconds, multiple of 10).
    pub start: i64,
    /// Last sample (unix seconds, multiple of 10).
    pub end: i64,
    /// `--web.route-prefix` (e.g. `/prom`); also used for the readiness check and `url()`.
    pub route_prefix: Option<String>,
    /// Contents of a `--web.config.file` (TLS, basic auth). When set, readiness is taken from the
    /// log line `Server is ready to receive web requests.` instead of `GET /-/ready`.
    pub web_config_yaml: Option<String>,
    /// Further command-line arguments.
    pub extra_args: Vec<String>,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        PrometheusOptions {
            start: DATA_START,
            end: DATA_END,
            route_prefix: None,
            web_config_yaml: None,
            extra_args: Vec::new(),
        }
    }
}

/// A running Prometheus holding a backfilled mesh. Killed on Drop.
pub struct PrometheusServer {
    child: Child,
    addr: SocketAddr,
    route_prefix: String,
    dir: tempfile::TempDir,
}

/// Finds `name` on `PATH`, or explains how to install it.
fn find_binary(name: &str, package: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()).with_context(|| {
        format!("`{name}` not found on PATH: install Debian's {package} package (apt-get install {package})")
    })
}

/// A free loopback port (bound then released; the tiny race is acceptable for tests).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    Ok(l.local_addr()?.port())
}

/// Spawns `program args…` under `sh`, with a watchdog subshell that kills it when this process
/// disappears and then removes `cleanup_dir`. `exec` keeps the program's pid equal to the
/// child's, so Drop can kill it directly.
fn spawn_watched(program: &Path, args: &[String], log: &Path, cleanup_dir: &Path) -> Result<Child> {
    let script = r#"
parent="$1"; dir="$2"; shift 2
self=$$
(
  while kill -0 "$parent" 2>/dev/null && kill -0 "$self" 2>/dev/null; do sleep 1; done
  if ! kill -0 "$parent" 2>/dev/null; then
    kill "$self" 2>/dev/null
    i=0
    while kill -0 "$self" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    kill -9 "$self" 2>/dev/null
    rm -rf "$dir"
  fi
) </dev/null >/dev/null 2>&1 &
exec "$@"
"#;
    let log_file = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let log_err = log_file.try_clone()?;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("lviz-testkit-watchdog")
        .arg(std::process::id().to_string())
        .arg(cleanup_dir)
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .with_context(|| format!("starting {}", program.display()))
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Plain-HTTP GET returning the status code, or `None` when nothing answers yet.
fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until `ready()` is true, failing early if the child exits.
fn wait_ready(child: &mut Child, what: &str, log: &Path, mut ready: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited with {status} before becoming ready; log tail:\n{}", log_tail(log));
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{what} not ready after {READY_TIMEOUT:?}; log tail:\n{}", log_tail(log));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl PrometheusServer {
    /// Backfills `mesh` over the standard range ([`DATA_START`]..=[`DATA_END`]) and starts.
    pub fn start(mesh: &Mesh) -> Result<PrometheusServer> {
        Self::start_with(mesh, &PrometheusOptions::default())
    }

    /// Backfills `mesh` over `opts.start..=opts.end` and starts with the given options.
    pub fn start_with(mesh: &Mesh, opts: &PrometheusOptions) -> Result<PrometheusServer> {
        let prometheus = find_binary("prometheus", "prometheus")?;
        let promtool = find_binary("promtool", "prometheus")?;
        let dir =
            tempfile::Builder::new().prefix("lviz-prometheus-").tempdir().context("creating a temporary directory")?;
        let data = dir.path().join("data.om");
        let tsdb = dir.path().join("tsdb");
        {
            let file = fs::File::create(&data).with_context(|| format!("creating {}", data.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            mesh.write_openmetrics(opts.start, opts.end, &mut w).context("writing OpenMetrics data")?;
            w.flush()?;
        }
        let out = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&data)
            .arg(&tsdb)
            .output()
            .with_context(|| format!("running {}", promtool.display()))?;
        if !out.status.success() {
            bail!(
                "promtool tsdb create-blocks-from openmetrics failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The OpenMetrics file is large and no longer needed.
        let _ = fs::remove_file(&data);

        let config = dir.path().join("prometheus.yml");
        fs::write(
            &config,
            "global: {scrape_interval: 10s, scrape_timeout: 10s, evaluation_interval: 10s}\nscrape_configs: []\n",
        )?;
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", tsdb.display()),
            "--storage.tsdb.retention.time=100y".to_string(),
            format!("--web.listen-address={addr}"),
        ];
        if let Some(yaml) = &opts.web_config_yaml {
            let web = dir.path().join("web-config.yml");
            fs::write(&web, yaml)?;
            args.push(format!("--web.config.file={}", web.display()));
        }
        let route_prefix = opts
            .route_prefix
            .as_deref()
            .map(|p| format!("/{}", p.trim_matches('/')))
            .filter(|p| p != "/")
            .unwrap_or_default();
        if !route_prefix.is_empty() {
            args.push(format!("--web.route-prefix={route_prefix}"));
        }
        args.extend(opts.extra_args.iter().cloned());

        let log = dir.path().join("prometheus.log");
        let mut child = spawn_watched(&prometheus, &args, &log, dir.path())?;
        let ready_path = format!("{route_prefix}/-/ready");
        let by_log = opts.web_config_yaml.is_some();
        wait_ready(&mut child, "prometheus", &log, || {
            if by_log {
                fs::read_to_string(&log)
                    .map(|l| l.contains("Server is ready to receive web requests."))
                    .unwrap_or(false)
            } else {
                http_status(addr, &ready_path) == Some(200)
            }
        })?;
        Ok(PrometheusServer { child, addr, route_prefix, dir })
    }

    /// Base URL including the route prefix, e.g. `http://127.0.0.1:PORT` (no trailing slash).
    /// Uses `http`; with a TLS web config, swap the scheme yourself.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.route_prefix)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The temporary directory holding the TSDB, config and `prometheus.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Prometheus per test binary, loaded with [`Mesh::emojivoto`] over the standard range.
/// It is never dropped; the watchdog kills it when the test process exits.
///
/// Panics (with the reason) if it cannot start: every test using it needs it.
pub fn shared_prometheus() -> &'static PrometheusServer {
    static SHARED: OnceLock<PrometheusServer> = OnceLock::new();
    SHARED.get_or_init(|| match PrometheusServer::start(&Mesh::emojivoto()) {
        Ok(p) => p,
        Err(e) => panic!("starting the shared Prometheus: {e:#}"),
    })
}

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

//! Starts a real Prometheus (Debian's `prometheus` 2.42 + `promtool`) on a loopback port, loaded
//! by backfill with a mesh's series, and a VictoriaMetrics equivalent. Owns the processes and
//! their temporary directories; both die on Drop, and a watchdog kills them (and removes the
//! directory) if the test process dies without running Drop.
//!
//! A large mesh is backfilled in shards ([`Mesh::shards`]): promtool holds its whole input in
//! memory (mmapped) plus every series of it in a head, so one file of the 10× benchmark mesh
//! (≈ 40 GB for 3 minutes) fits neither the disk nor the memory of a test machine.

use std::fs;
use std::io::{BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::mesh::{DATA_END, DATA_START, Mesh, STEP, TimestampUnit};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Most OpenMetrics bytes one shard's file may hold when the shard count is chosen
/// ([`auto_shards`]). promtool mmaps its whole input and reads it twice, so this bounds the disk
/// the loader needs besides the TSDB and the file-backed part of promtool's memory. 2 GB keeps a
/// promtool run at 2–3 GB of RSS (measured, 1× mesh × 3 minutes: 3 shards of ≈ 1.4 GB peaked at
/// 2.2 GB, one 4.1 GB file at 6.6 GB) and gives the 10× mesh × 3 minutes ≈ 23 shards: enough
/// that Prometheus opens and compacts the overlapping blocks in about a minute.
const SHARD_BYTES: u64 = 2_000_000_000;

/// Most series one shard may hold when the shard count is chosen: promtool keeps every series of
/// its input in an in-memory head (≈ 8 kB per series, measured as above) and the generator holds
/// the shard's label sets, whatever the number of samples; this bounds both (≈ 2 GB of head) when
/// few samples make the files small.
const SHARD_SERIES: u64 = 250_000;

/// Average bytes of one OpenMetrics sample line, for sizing shards: ≈ 660 for the scaled mesh
/// (13.3 GB for 330,900 series × 61 samples), less for emojivoto; rounded up so that the
/// estimate errs towards more shards.
const LINE_BYTES: u64 = 700;

/// The number of shards a backfill of `mesh` over `start..=end` uses unless
/// [`PrometheusOptions::shards`] says otherwise: the fewest that keep every shard under
/// [`SHARD_BYTES`] of OpenMetrics and [`SHARD_SERIES`] series, by the mesh's upper-bound series
/// estimate. Small meshes (emojivoto, the tests' scaled ones) get one.
pub fn auto_shards(mesh: &Mesh, start: i64, end: i64) -> usize {
    let series = mesh.series_estimate();
    let samples = ((end - start) / STEP + 1).max(1) as u64;
    let by_bytes = (series * samples * LINE_BYTES).div_ceil(SHARD_BYTES);
    let by_series = series.div_ceil(SHARD_SERIES);
    by_bytes.max(by_series).max(1) as usize
}

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
    /// Backfill in this many shards (see [`Mesh::shards`]; fewer when the mesh has fewer pods)
    /// instead of [`auto_shards`].
    pub shards: Option<usize>,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        PrometheusOptions {
            start: DATA_START,
            end: DATA_END,
            route_prefix: None,
            web_config_yaml: None,
            extra_args: Vec::new(),
            shards: None,
        }
    }
}

/// A running Prometheus holding a backfilled mesh. Killed on Drop.
pub struct PrometheusServer {
    child: Child,
    addr: SocketAddr,
    route_prefix: String,
    dir: tempfile::TempDir,
    backfill: Backfill,
}

/// What loading the mesh took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backfill {
    /// Shards written, one OpenMetrics file and one promtool run each.
    pub shards: usize,
    /// Series written, over all shards.
    pub series: u64,
    /// OpenMetrics bytes written, over all shards.
    pub bytes: u64,
    /// The largest shard's OpenMetrics file, the most disk the loader held at once.
    pub largest_file: u64,
    /// Peak resident memory of the largest promtool run, in kB, sampled from `/proc` every 50 ms
    /// (so possibly a little low); it counts the pages of the mmapped input file. `None` when
    /// `/proc` did not tell.
    pub promtool_peak_rss_kb: Option<u64>,
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

/// Peak resident set (`VmHWM`) of a running process in kB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Runs `command` to completion with its output in `log`, sampling its peak RSS meanwhile.
fn run_sampled(command: &mut Command, log: &Path) -> Result<(ExitStatus, Option<u64>)> {
    let log_file = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = command.stdin(Stdio::null()).stdout(log_file.try_clone()?).stderr(log_file).spawn()?;
    let pid = child.id();
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let sampler = scope.spawn(move || {
            let mut peak = None;
            loop {
                peak = peak.max(peak_rss_kb(pid));
                // Wakes at once when `stop` is dropped.
                if stopped.recv_timeout(Duration::from_millis(50)) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return peak;
                }
            }
        });
        let status = child.wait();
        drop(stop);
        let peak = sampler.join().unwrap_or(None);
        Ok((status?, peak))
    })
}

/// Loads `mesh` over `opts.start..=opts.end` into the TSDB at `tsdb`, shard by shard: each
/// shard's OpenMetrics file is written to `dir`, turned into blocks by promtool and deleted before
/// the next one is written, so disk and memory hold one shard at a time (the mesh model aside).
///
/// Blocks of different shards cover the same time range with disjoint series. Prometheus 2.42
/// opens such overlapping blocks without any flag (`--storage.tsdb.allow-overlapping-blocks` is
/// a no-op since 2.39), merges them at query time, and compacts them into one block in the
/// background about a minute after starting ([`PrometheusServer::wait_compacted`]).
fn backfill(mesh: &Mesh, opts: &PrometheusOptions, promtool: &Path, dir: &Path, tsdb: &Path) -> Result<Backfill> {
    let count = opts.shards.unwrap_or_else(|| auto_shards(mesh, opts.start, opts.end));
    let data = dir.join("data.om");
    let log = dir.join("promtool.log");
    let mut report = Backfill::default();
    for shard in mesh.shards(count) {
        let series = {
            let file = fs::File::create(&data).with_context(|| format!("creating {}", data.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let series = mesh
                .write_shard(&shard, opts.start, opts.end, TimestampUnit::Seconds, &mut w)
                .context("writing OpenMetrics data")?;
            w.flush()?;
            series
        };
        let bytes = fs::metadata(&data)?.len();
        let mut command = Command::new(promtool);
        command.args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&data).arg(tsdb);
        let (status, peak) =
            run_sampled(&mut command, &log).with_context(|| format!("running {}", promtool.display()))?;
        if !status.success() {
            bail!("promtool tsdb create-blocks-from openmetrics failed ({status}):\n{}", log_tail(&log));
        }
        // The OpenMetrics file is large and no longer needed.
        let _ = fs::remove_file(&data);
        report.shards += 1;
        report.series += series;
        report.bytes += bytes;
        report.largest_file = report.largest_file.max(bytes);
        report.promtool_peak_rss_kb = report.promtool_peak_rss_kb.max(peak);
    }
    Ok(report)
}

/// Time ranges (`minTime`, `maxTime`) of the blocks in a TSDB directory.
fn block_ranges(tsdb: &Path) -> Result<Vec<(i64, i64)>> {
    let mut ranges = Vec::new();
    for entry in fs::read_dir(tsdb).with_context(|| format!("listing {}", tsdb.display()))? {
        let entry = entry?;
        // Blocks being written or deleted have a temporary directory name, or no meta.json yet.
        if entry.file_name().to_string_lossy().contains(".tmp") {
            continue;
        }
        let meta = entry.path().join("meta.json");
        let Ok(text) = fs::read_to_string(&meta) else { continue };
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", meta.display()))?;
        if let (Some(min), Some(max)) = (v["minTime"].as_i64(), v["maxTime"].as_i64()) {
            ranges.push((min, max));
        }
    }
    ranges.sort();
    Ok(ranges)
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
        let tsdb = dir.path().join("tsdb");
        let backfill = backfill(mesh, opts, &promtool, dir.path(), &tsdb)?;

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
        Ok(PrometheusServer { child, addr, route_prefix, dir, backfill })
    }

    /// What loading the mesh took.
    pub fn backfill(&self) -> &Backfill {
        &self.backfill
    }

    /// Time ranges (`minTime`, `maxTime`, ms) of the TSDB's blocks, sorted.
    pub fn blocks(&self) -> Result<Vec<(i64, i64)>> {
        block_ranges(&self.dir.path().join("tsdb"))
    }

    /// Waits until no two blocks overlap: after a sharded backfill, Prometheus compacts the
    /// shards' overlapping blocks into one about a minute after starting, which takes CPU and
    /// memory that a measurement should not share. Returns the time waited.
    pub fn wait_compacted(&self, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        loop {
            let blocks = self.blocks()?;
            if blocks.windows(2).all(|w| w[0].1 <= w[1].0) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                bail!("{} blocks still overlap after {timeout:?}", blocks.len());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::EVAL_TIME;

    /// The result of an instant query at the data's end, each element as JSON text, sorted (the
    /// order of a vector's elements is not part of the answer).
    async fn query(http: &reqwest::Client, server: &PrometheusServer, expr: &str) -> Vec<String> {
        let time = EVAL_TIME.to_string();
        let resp: serde_json::Value = http
            .post(format!("{}/api/v1/query", server.url()))
            .form(&[("query", expr), ("time", time.as_str())])
            .send()
            .await
            .expect("query")
            .json()
            .await
            .expect("JSON");
        assert_eq!(resp["status"], "success", "{expr}: {resp}");
        let mut result: Vec<String> =
            resp["data"]["result"].as_array().expect("a vector").iter().map(|e| e.to_string()).collect();
        result.sort();
        result
    }

    async fn start(mesh: &Mesh, shards: usize) -> PrometheusServer {
        let opts =
            PrometheusOptions { start: EVAL_TIME - 180, end: EVAL_TIME, shards: Some(shards), ..Default::default() };
        let mesh = mesh.clone();
        tokio::task::spawn_blocking(move || PrometheusServer::start_with(&mesh, &opts))
            .await
            .expect("join")
            .expect("start")
    }

    /// Prometheus 2.42 opens the overlapping blocks of a sharded backfill and merges them at query
    /// time: every answer is the one-shard answer.
    #[tokio::test]
    async fn sharded_backfill_answers_like_one_shard() {
        let mesh = Mesh::scaled(4, 3, 2);
        let one = start(&mesh, 1).await;
        let sharded = start(&mesh, 3).await;
        assert_eq!(one.backfill().shards, 1);
        assert_eq!(sharded.backfill().shards, 3);
        assert_eq!(one.backfill().series, sharded.backfill().series);
        assert_eq!(one.blocks().expect("blocks").len(), 1);
        let blocks = sharded.blocks().expect("blocks");
        assert_eq!(blocks.len(), 3, "one block per shard");
        assert!(blocks.windows(2).all(|w| w[0] == w[1]), "the shards' blocks cover the same range: {blocks:?}");

        let http = reqwest::Client::new();
        let count = query(&http, &one, r#"count({__name__=~".+"})"#).await;
        assert!(count[0].contains(&format!(r#""{}""#, one.backfill().series)), "{count:?}");
        for expr in [
            r#"count({__name__=~".+"})"#,
            r#"count by (__name__) ({__name__=~".+"})"#,
            "sum(increase(request_total[1m])) by (namespace)",
            "sum(increase(response_total[1m])) by (deployment, direction, classification)",
            "histogram_quantile(0.95, sum(rate(response_latency_ms_bucket[1m])) by (le, namespace, direction))",
            "sum(tcp_open_connections) by (pod, peer)",
            r#"tcp_read_bytes_total{namespace="linkerd-viz"}"#,
            r#"response_total{namespace="scale-001"}"#,
        ] {
            let expected = query(&http, &one, expr).await;
            assert!(!expected.is_empty(), "{expr} answered nothing");
            assert_eq!(query(&http, &sharded, expr).await, expected, "{expr}");
        }
        // Prometheus compacts overlapping blocks a minute after starting: the answers above came
        // from merging the three blocks at query time.
        assert_eq!(sharded.blocks().expect("blocks").len(), 3, "compacted before the queries ran");
    }

    #[test]
    fn only_large_meshes_are_sharded() {
        assert_eq!(auto_shards(&Mesh::emojivoto(), DATA_START, DATA_END), 1);
        assert_eq!(auto_shards(&Mesh::scaled(4, 3, 2), DATA_START, DATA_END), 1);
        assert_eq!(auto_shards(&Mesh::scaled(10, 10, 3), EVAL_TIME - 600, EVAL_TIME), 1);
        // 1×: 330,900 series, ≈ 4.4 GB for 3 minutes, ≈ 14 GB for 10.
        let one_x = Mesh::scaled(100, 10, 3);
        assert_eq!(auto_shards(&one_x, EVAL_TIME - 180, EVAL_TIME), 3);
        assert_eq!(auto_shards(&one_x, EVAL_TIME - 600, EVAL_TIME), 8);
        // Few samples: the series bound decides.
        assert_eq!(auto_shards(&one_x, EVAL_TIME, EVAL_TIME), 2);
    }
}

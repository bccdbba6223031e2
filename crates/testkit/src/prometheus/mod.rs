//! Starts a real Prometheus on a loopback port holding a mesh's series, and a VictoriaMetrics
//! equivalent. Owns the processes and their temporary directories; both die on Drop, and a
//! watchdog kills them (and removes the directory) if the test process dies without running Drop.
//!
//! Two flavors ([`Flavor`]): Debian's 2.42 (default) and Debian sid's 3.5.3. Two ways to load:
//! backfill with promtool (`backfill.rs`, classic histograms) or, on 3.x, scraping a step server
//! so that Prometheus converts the histograms to native ones (`native.rs`).

mod backfill;
mod flavor;
mod native;
mod process;
mod victoria;

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub use backfill::{Backfill, auto_shards};
pub use flavor::{
    Flavor, PROMETHEUS3_DIR_ENV, REQUIRE_PROMETHEUS3_ENV, default_prometheus3_dir, prometheus3_available,
    prometheus3_dir, require_prometheus3,
};
pub use victoria::VictoriaMetricsServer;

use crate::mesh::{DATA_END, DATA_START, Mesh};
use process::{free_port, http_status, spawn_watched, wait_ready};

/// Which form the histograms take in the TSDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Histograms {
    /// Classic `_bucket`/`_count`/`_sum` series, backfilled by promtool (any flavor).
    #[default]
    Classic,
    /// Native histograms with custom buckets only (no `_bucket` series), converted by Prometheus
    /// 3 while scraping the mesh step by step ([`Flavor::V3`] only).
    Native,
    /// Both: the native histograms and the classic series (`always_scrape_classic_histograms`).
    NativeAndClassic,
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
    /// log line `Server is ready to receive web requests.` instead of `GET /-/ready`. Not with
    /// scrape loading ([`Histograms::Native`]), whose loader queries over plain HTTP.
    pub web_config_yaml: Option<String>,
    /// Further command-line arguments.
    pub extra_args: Vec<String>,
    /// Backfill in this many shards (see [`Mesh::shards`]; fewer when the mesh has fewer pods)
    /// instead of [`auto_shards`].
    pub shards: Option<usize>,
    /// Which Prometheus.
    pub flavor: Flavor,
    /// Which histogram form to load.
    pub histograms: Histograms,
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
            flavor: Flavor::V2,
            histograms: Histograms::Classic,
        }
    }
}

/// A running Prometheus holding a mesh. Killed on Drop.
pub struct PrometheusServer {
    child: Child,
    addr: SocketAddr,
    route_prefix: String,
    dir: tempfile::TempDir,
    backfill: Backfill,
    flavor: Flavor,
    load_time: Duration,
}

/// `--web.route-prefix` as Prometheus wants it: `/prom`, or empty for none.
fn route_prefix(opts: &PrometheusOptions) -> String {
    opts.route_prefix.as_deref().map(|p| format!("/{}", p.trim_matches('/'))).filter(|p| p != "/").unwrap_or_default()
}

impl PrometheusServer {
    /// Backfills `mesh` over the standard range ([`DATA_START`]..=[`DATA_END`]) into Debian's
    /// 2.42 and starts it.
    pub fn start(mesh: &Mesh) -> Result<PrometheusServer> {
        Self::start_with(mesh, &PrometheusOptions::default())
    }

    /// Prometheus 3.5.3 holding `mesh` over the standard range with native (NHCB) histograms only,
    /// loaded by scraping (see `native.rs`; about 10 s for emojivoto).
    pub fn start_native(mesh: &Mesh) -> Result<PrometheusServer> {
        let opts = PrometheusOptions { flavor: Flavor::V3, histograms: Histograms::Native, ..Default::default() };
        Self::start_with(mesh, &opts)
    }

    /// Loads `mesh` over `opts.start..=opts.end` as `opts` says and starts.
    pub fn start_with(mesh: &Mesh, opts: &PrometheusOptions) -> Result<PrometheusServer> {
        let started = Instant::now();
        let (prometheus, promtool) = flavor::binaries(opts.flavor)?;
        let scrape = opts.histograms != Histograms::Classic;
        if scrape && opts.flavor != Flavor::V3 {
            bail!("native histograms need Prometheus 3 (Flavor::V3)");
        }
        if scrape && opts.web_config_yaml.is_some() {
            bail!("a web config (TLS, auth) cannot be combined with scrape loading");
        }
        let dir =
            tempfile::Builder::new().prefix("lviz-prometheus-").tempdir().context("creating a temporary directory")?;
        let tsdb = dir.path().join("tsdb");
        let backfill =
            if scrape { Backfill::default() } else { backfill::backfill(mesh, opts, &promtool, dir.path(), &tsdb)? };
        let config = dir.path().join("prometheus.yml");
        fs::write(&config, native::idle_config(scrape))?;
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let mut args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", tsdb.display()),
            "--storage.tsdb.retention.time=100y".to_string(),
            format!("--web.listen-address={addr}"),
        ];
        if scrape {
            args.push("--enable-feature=native-histograms".into());
            args.push("--web.enable-lifecycle".into());
        }
        if let Some(yaml) = &opts.web_config_yaml {
            let web = dir.path().join("web-config.yml");
            fs::write(&web, yaml)?;
            args.push(format!("--web.config.file={}", web.display()));
        }
        let route_prefix = route_prefix(opts);
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
        let mut server = PrometheusServer {
            child,
            addr,
            route_prefix,
            dir,
            backfill,
            flavor: opts.flavor,
            load_time: Duration::ZERO,
        };
        if scrape {
            server.scrape_load(mesh, opts, &config)?;
        }
        server.load_time = started.elapsed();
        Ok(server)
    }

    /// Loads `mesh` by scraping (see `native.rs`), then stops scraping.
    fn scrape_load(&mut self, mesh: &Mesh, opts: &PrometheusOptions, config: &Path) -> Result<()> {
        let exposition = mesh.exposition(opts.start);
        let sentinel = exposition.sentinel().context("the mesh has no counter to follow the loading by")?;
        let step_server = native::StepServer::start(exposition, opts.start)?;
        let keep_classic = opts.histograms == Histograms::NativeAndClassic;
        fs::write(config, native::loading_config(step_server.addr(), keep_classic))?;
        self.reload()?;
        let log = self.dir.path().join("prometheus.log");
        let child = &mut self.child;
        let alive = || match child.try_wait() {
            Ok(None) => Ok(()),
            _ => bail!("prometheus exited while loading; log tail:\n{}", process::log_tail(&log)),
        };
        native::load_steps(self.addr, &self.route_prefix, &step_server, &sentinel, (opts.start, opts.end), alive)?;
        fs::write(config, native::idle_config(true))?;
        self.reload()
    }

    /// `POST /-/reload` (needs `--web.enable-lifecycle`).
    fn reload(&self) -> Result<()> {
        let (status, body) = native::http(self.addr, "POST", &format!("{}/-/reload", self.route_prefix))?;
        if status != 200 {
            bail!("prometheus refused to reload its configuration ({status}): {body}");
        }
        Ok(())
    }

    /// What loading the mesh took (all zero for a scrape-loaded server).
    pub fn backfill(&self) -> &Backfill {
        &self.backfill
    }

    /// Which Prometheus this is.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Wall time from the call to start until ready with the data loaded.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Time ranges (`minTime`, `maxTime`, ms) of the TSDB's blocks, sorted.
    pub fn blocks(&self) -> Result<Vec<(i64, i64)>> {
        backfill::block_ranges(&self.dir.path().join("tsdb"))
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

/// One Prometheus 2.42 per test binary, loaded with [`Mesh::emojivoto`] over the standard range.
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

/// Starts a shared Prometheus 3 once per test binary, or says why not (see
/// [`require_prometheus3`]).
fn shared3(
    cell: &'static OnceLock<Option<PrometheusServer>>,
    test: &str,
    opts: PrometheusOptions,
) -> Option<&'static PrometheusServer> {
    if !require_prometheus3(test) {
        return None;
    }
    cell.get_or_init(|| match PrometheusServer::start_with(&Mesh::emojivoto(), &opts) {
        Ok(p) => Some(p),
        Err(e) => panic!("starting the shared Prometheus 3: {e:#}"),
    })
    .as_ref()
}

/// One Prometheus 3.5.3 per test binary, backfilled with [`Mesh::emojivoto`] over the standard
/// range like [`shared_prometheus`] (classic histograms; `le` in float form, `le="1.0"`, as 3.x
/// stores a scraped proxy's). `None`, with a note on stderr, when Prometheus 3 is absent;
/// panics instead when `LVIZ_REQUIRE_PROMETHEUS3=1`. `test` names the caller in the note.
pub fn shared_prometheus3(test: &str) -> Option<&'static PrometheusServer> {
    static SHARED: OnceLock<Option<PrometheusServer>> = OnceLock::new();
    shared3(&SHARED, test, PrometheusOptions { flavor: Flavor::V3, ..Default::default() })
}

/// One Prometheus 3.5.3 per test binary holding [`Mesh::emojivoto`] over the standard range with
/// native (NHCB) histograms only: no `_bucket`, `_count` or `_sum` series. Same absence rule as
/// [`shared_prometheus3`].
pub fn shared_prometheus3_native(test: &str) -> Option<&'static PrometheusServer> {
    static SHARED: OnceLock<Option<PrometheusServer>> = OnceLock::new();
    let opts = PrometheusOptions { flavor: Flavor::V3, histograms: Histograms::Native, ..Default::default() };
    shared3(&SHARED, test, opts)
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
}

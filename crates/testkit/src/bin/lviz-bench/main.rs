//! `lviz-bench`: the scale benchmark behind `bench/scale.sh` (a measurement, not a test).
//!
//! Generates `Mesh::scaled(namespaces, deployments, pods)` with `--minutes` of 10 s samples,
//! backfills it into a real Prometheus (in shards sized by `prometheus::auto_shards`, or
//! `--shards`, and waits until Prometheus has compacted their overlapping blocks), serves its
//! Kubernetes objects with `FakeKube`, and then for each command measures, side by side in one
//! run:
//! * the end-to-end wall of the real `lviz` binary on its default (lviz) query plan and on
//!   `--query-plan linkerd` (median of `--runs` after a warm-up), and its peak RSS
//!   (`/usr/bin/time -v`, "Maximum resident set size");
//! * the floor of each plan: its query texts (captured from lviz through a counting proxy) sent
//!   straight to Prometheus in parallel, bodies read, nothing parsed;
//! * the number of Prometheus queries and the response bytes of each plan (through the proxy);
//! * whether both plans print byte-identical output.
//!
//! Prints a Markdown report on stdout; progress goes to stderr. Loopback only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
mod host;
mod proxy;

use host::{dir_size, machine, peak_rss_kb};
use lviz_testkit::fixtures::objects_for;
use lviz_testkit::kube::FakeKube;
use lviz_testkit::prometheus::{PrometheusOptions, PrometheusServer, auto_shards};
use lviz_testkit::{EVAL_TIME, Mesh};
use proxy::{Seen, start_proxy, take_seen};

const USAGE: &str = "usage: lviz-bench [--namespaces N] [--deployments N] [--pods N] [--minutes N] [--runs N] \
[--shards N] [--lviz PATH] [--only SUBSTRING,…]";

struct BenchArgs {
    namespaces: usize,
    deployments: usize,
    pods: usize,
    minutes: i64,
    runs: usize,
    /// Backfill shards; `None`: `auto_shards`.
    shards: Option<usize>,
    lviz: PathBuf,
    only: Option<String>,
}

fn parse_args() -> Result<BenchArgs> {
    let mut a = BenchArgs {
        namespaces: 100,
        deployments: 10,
        pods: 3,
        minutes: 10,
        runs: 5,
        shards: None,
        lviz: PathBuf::from("target/release/lviz"),
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--namespaces" => a.namespaces = value()?.parse()?,
            "--deployments" => a.deployments = value()?.parse()?,
            "--pods" => a.pods = value()?.parse()?,
            "--minutes" => a.minutes = value()?.parse()?,
            "--runs" => a.runs = value()?.parse()?,
            "--shards" => a.shards = Some(value()?.parse()?),
            "--lviz" => a.lviz = value()?.into(),
            "--only" => a.only = Some(value()?),
            _ => bail!("unknown argument {flag:?}\n{USAGE}"),
        }
    }
    if a.runs == 0 || a.minutes < 2 || a.shards == Some(0) {
        bail!("--runs and --shards must be at least 1 and --minutes at least 2\n{USAGE}");
    }
    Ok(a)
}

struct LvizRun {
    wall: Duration,
    max_rss_kb: Option<u64>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: i32,
}

struct Ctx {
    lviz: PathBuf,
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
    time_bin: Option<PathBuf>,
}

impl Ctx {
    /// One run of lviz against `prometheus_url`, under `/usr/bin/time -v` when available.
    fn run(&self, prometheus_url: &str, args: &[&str], linkerd_plan: bool) -> Result<LvizRun> {
        let rss_file = self.home.path().join("time.txt");
        let mut cmd = match &self.time_bin {
            Some(t) => {
                let mut c = Command::new(t);
                c.arg("-v").arg("-o").arg(&rss_file).arg(&self.lviz);
                c
            }
            None => Command::new(&self.lviz),
        };
        let at = EVAL_TIME.to_string();
        // `stat all -A` at scale queues dozens of slow queries: allow them more than 30 s.
        cmd.args(["--prometheus-url", prometheus_url, "--at", &at, "--request-timeout", "600s", "--kubeconfig"])
            .arg(&self.kubeconfig)
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("LVIZ_PROMETHEUS_URL")
            .env_remove("LVIZ_API_ADDR")
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if linkerd_plan {
            cmd.args(["--query-plan", "linkerd"]);
        }
        let started = Instant::now();
        let out = cmd.output().with_context(|| format!("running {}", self.lviz.display()))?;
        let wall = started.elapsed();
        let max_rss_kb = self.time_bin.as_ref().and_then(|_| {
            let text = std::fs::read_to_string(&rss_file).ok()?;
            text.lines()
                .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
                .and_then(|v| v.trim().parse().ok())
        });
        Ok(LvizRun { wall, max_rss_kb, stdout: out.stdout, stderr: out.stderr, code: out.status.code().unwrap_or(-1) })
    }
}

/// Sends `queries` to Prometheus in parallel at the evaluation time and reads every body.
async fn floor(http: &reqwest::Client, prometheus_url: &str, queries: &[String]) -> Result<Duration> {
    let started = Instant::now();
    let at = EVAL_TIME.to_string();
    let sends = queries.iter().map(|q| {
        let at = at.clone();
        async move {
            let r = http
                .post(format!("{prometheus_url}/api/v1/query"))
                .form(&[("query", q.as_str()), ("time", at.as_str())])
                .send()
                .await?;
            let status = r.status();
            let body = r.bytes().await?;
            if !status.is_success() {
                bail!("query {q:?} answered {status}: {}", String::from_utf8_lossy(&body));
            }
            Ok(body.len())
        }
    });
    futures_util::future::try_join_all(sends).await?;
    Ok(started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

fn mb(kb: u64) -> String {
    format!("{:.1}", kb as f64 / 1024.0)
}

struct Case {
    name: String,
    args: Vec<String>,
}

/// The benchmark, in order: generate and backfill the mesh, wait for compaction, start the fake
/// API and the counting proxy, print the header, then one row per case ([`measure`]). It is long
/// because it prints its figures as it goes, in the order BENCHMARKS.md shows them.
async fn bench(a: BenchArgs) -> Result<()> {
    let lviz = std::path::absolute(&a.lviz)?;
    if !lviz.is_file() {
        bail!("{} not found: build it with `cargo build --release`", lviz.display());
    }
    let time_bin = Path::new("/usr/bin/time").is_file().then(|| PathBuf::from("/usr/bin/time"));
    if time_bin.is_none() {
        eprintln!("warning: /usr/bin/time not found: no peak RSS (apt-get install time)");
    }

    let started = Instant::now();
    let mesh = Mesh::scaled(a.namespaces, a.deployments, a.pods);
    let pods = mesh.pod_count();
    let (start, end) = (EVAL_TIME - a.minutes * 60, EVAL_TIME);
    let shards = a.shards.unwrap_or_else(|| auto_shards(&mesh, start, end));
    // Prometheus's default 2 min query timeout would cut Linkerd's plan short at 10× on 2 cores.
    let opts = PrometheusOptions {
        start,
        end,
        shards: Some(shards),
        extra_args: vec!["--query.timeout=10m".to_string()],
        ..PrometheusOptions::default()
    };
    eprintln!("generating and backfilling {pods} pods × {} min in up to {shards} shard(s)…", a.minutes);
    // The mesh moves to the loader and back: no second copy of a 10× model.
    let (mesh, prometheus) = tokio::task::spawn_blocking(move || {
        let prometheus = PrometheusServer::start_with(&mesh, &opts);
        (mesh, prometheus)
    })
    .await
    .context("Prometheus start task")?;
    let prometheus = prometheus?;
    let backfill_time = started.elapsed();
    let loaded = prometheus.backfill().clone();
    eprintln!("Prometheus ready after {backfill_time:?}: {loaded:?}");
    // Blocks of a sharded backfill overlap until Prometheus compacts them (about a minute after
    // it starts): measure against the one compacted block, as with an unsharded backfill.
    let prometheus = Arc::new(prometheus);
    let waiting = prometheus.clone();
    let compaction = tokio::task::spawn_blocking(move || waiting.wait_compacted(Duration::from_secs(3600)))
        .await
        .context("compaction wait task")??;
    let tsdb_bytes = dir_size(&prometheus.dir().join("tsdb"));
    eprintln!("blocks compacted after {compaction:?} more ({} MB TSDB)", tsdb_bytes / 1_000_000);
    let kube = FakeKube::start(objects_for(&mesh)).await?;
    drop(mesh);
    let bench_rss_kb = peak_rss_kb();
    let prom_url = prometheus.url();
    let http = reqwest::Client::new();
    let series = count_series(&http, &prom_url).await.unwrap_or(0);
    let (proxy_addr, seen) = start_proxy(prom_url.clone()).await?;
    let proxy_url = format!("http://{proxy_addr}");
    let ctx = Ctx { lviz, kubeconfig: kube.kubeconfig_path().to_path_buf(), home: tempfile::tempdir()?, time_bin };

    let cases: Vec<Case> = [
        "stat deploy -A",
        "stat po -A",
        "stat all -A",
        "routes deploy/app-01 -n scale-000",
        "edges po -A",
        "stat-inbound deploy -A",
        "stat-outbound deploy -A",
    ]
    .iter()
    .filter(|c| a.only.as_ref().is_none_or(|o| o.split(',').any(|o| c.contains(o))))
    .map(|c| Case { name: c.to_string(), args: c.split(' ').map(str::to_string).collect() })
    .collect();

    println!(
        "### {} namespaces × {} deployments × {} pods ({pods} pods, {series} series, {} min of 10 s samples)\n",
        a.namespaces, a.deployments, a.pods, a.minutes
    );
    println!(
        "Generation + backfill + Prometheus start: {:.1} s in {} shard(s) ({} series, {} MB of OpenMetrics, \
         largest shard file {} MB, promtool peak RSS {} MB); overlapping blocks compacted {:.1} s later; TSDB {} MB; \
         lviz-bench peak RSS {} MB.\n",
        backfill_time.as_secs_f64(),
        loaded.shards,
        loaded.series,
        loaded.bytes / 1_000_000,
        loaded.largest_file / 1_000_000,
        loaded.promtool_peak_rss_kb.map_or_else(|| "?".to_string(), mb),
        compaction.as_secs_f64(),
        tsdb_bytes / 1_000_000,
        bench_rss_kb.map_or_else(|| "?".to_string(), mb),
    );
    println!(
        "| command | rows | lviz e2e ms | Linkerd-plan floor ms | ratio | lviz `--query-plan linkerd` e2e ms | lviz-plan floor ms | queries lviz / linkerd | bytes lviz / linkerd | peak RSS MB lviz / linkerd | identical |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for case in &cases {
        eprintln!("{}…", case.name);
        let target = Target { prometheus: &prom_url, proxy: &proxy_url, seen: &seen };
        println!("{}", measure(&ctx, &http, target, case, a.runs).await?);
    }
    println!("\nMachine:\n\n{}", machine());
    drop(kube);
    drop(prometheus);
    Ok(())
}

/// Where a case is measured: Prometheus itself, and the counting proxy in front of it.
#[derive(Clone, Copy)]
struct Target<'a> {
    prometheus: &'a str,
    proxy: &'a str,
    seen: &'a Mutex<Seen>,
}

/// One case's table row: a counted run of each plan through the proxy (query texts, counts,
/// bytes), a warm-up, then `runs` interleaved timed runs of lviz and of both plans' floors.
async fn measure(ctx: &Ctx, http: &reqwest::Client, target: Target<'_>, case: &Case, runs: usize) -> Result<String> {
    let Target { prometheus: prom_url, proxy: proxy_url, seen } = target;
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    // Counted runs through the proxy: query texts, counts and bytes of each plan.
    take_seen(seen);
    let counted_lviz = ctx.run(proxy_url, &args, false)?;
    let seen_lviz = take_seen(seen);
    let counted_linkerd = ctx.run(proxy_url, &args, true)?;
    let seen_linkerd = take_seen(seen);
    for (run, plan) in [(&counted_lviz, "lviz"), (&counted_linkerd, "linkerd")] {
        if run.code != 0 {
            bail!("{} ({plan} plan) exited {}: {}", case.name, run.code, String::from_utf8_lossy(&run.stderr));
        }
    }
    let identical = counted_lviz.stdout == counted_linkerd.stdout && counted_lviz.stderr == counted_linkerd.stderr;
    let rows = counted_lviz.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count().saturating_sub(1);

    // Warm-up, then interleaved timed runs so drift hits every measure alike.
    ctx.run(prom_url, &args, false)?;
    ctx.run(prom_url, &args, true)?;
    floor(http, prom_url, &seen_linkerd.queries).await?;
    floor(http, prom_url, &seen_lviz.queries).await?;
    let (mut e2e, mut e2e_linkerd, mut floor_linkerd, mut floor_lviz) = (vec![], vec![], vec![], vec![]);
    let (mut rss, mut rss_linkerd) = (0u64, 0u64);
    let mut all_identical = identical;
    for _ in 0..runs {
        let r = ctx.run(prom_url, &args, false)?;
        let l = ctx.run(prom_url, &args, true)?;
        all_identical &= r.stdout == counted_lviz.stdout && l.stdout == counted_lviz.stdout;
        e2e.push(r.wall);
        e2e_linkerd.push(l.wall);
        rss = rss.max(r.max_rss_kb.unwrap_or(0));
        rss_linkerd = rss_linkerd.max(l.max_rss_kb.unwrap_or(0));
        floor_linkerd.push(floor(http, prom_url, &seen_linkerd.queries).await?);
        floor_lviz.push(floor(http, prom_url, &seen_lviz.queries).await?);
    }
    let (e2e, floor_l) = (median(e2e), median(floor_linkerd));
    Ok(format!(
        "| `{}` | {rows} | {} | {} | {:.2} | {} | {} | {} (+{}) / {} (+{}) | {} / {} | {} / {} | {} |",
        case.name,
        ms(e2e),
        ms(floor_l),
        e2e.as_secs_f64() / floor_l.as_secs_f64(),
        ms(median(e2e_linkerd)),
        ms(median(floor_lviz)),
        seen_lviz.queries.len(),
        seen_lviz.other_calls,
        seen_linkerd.queries.len(),
        seen_linkerd.other_calls,
        seen_lviz.bytes,
        seen_linkerd.bytes,
        mb(rss),
        mb(rss_linkerd),
        if all_identical { "yes" } else { "**no**" },
    ))
}

/// Number of series in the head and blocks at the evaluation time.
async fn count_series(http: &reqwest::Client, prom_url: &str) -> Result<u64> {
    let body: serde_json::Value = http
        .post(format!("{prom_url}/api/v1/query"))
        .form(&[("query", "count({__name__=~\".+\"})"), ("time", &EVAL_TIME.to_string())])
        .send()
        .await?
        .json()
        .await?;
    let v = body["data"]["result"][0]["value"][1].as_str().unwrap_or("0");
    Ok(v.parse().unwrap_or(0))
}

fn main() {
    let result = parse_args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("building the tokio runtime")?
            .block_on(bench(args))
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

//! `lviz-testkit up [--background] [--dir DIR] [--ignore-stdin] [--scale
//! NAMESPACES,DEPLOYMENTS,PODS,MINUTES] [--prometheus3 | --native]`: starts Prometheus (loaded with the emojivoto mesh, or with
//! `Mesh::scaled` and MINUTES of data ending at the evaluation time; Debian's 2.42, or with
//! `--prometheus3` sid's 3.5.3, or with `--native` 3.5.3 holding native histograms, emojivoto only)
//! and the fake Kubernetes API, prints shell `export` lines and `ready`, then serves until
//! SIGTERM/SIGINT or until stdin closes (unless `--ignore-stdin`), cleaning up on exit. With
//! `--background` it returns once ready and keeps serving (`background.rs`); `lviz-testkit down`
//! stops it.

mod background;

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lviz_testkit::fixtures::{emojivoto_objects, objects_for};
use lviz_testkit::kube::FakeKube;
use lviz_testkit::prometheus::{Flavor, Histograms, PrometheusOptions, PrometheusServer};
use lviz_testkit::{EVAL_TIME, Mesh};
use tokio::signal::unix::{SignalKind, signal};

const USAGE: &str = "usage: lviz-testkit up [--background] [--dir DIR] [--ignore-stdin] [--scale NAMESPACES,DEPLOYMENTS,PODS,MINUTES] [--prometheus3 | --native]\n       lviz-testkit down";

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days; avoids a date crate for one line).
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

struct UpArgs {
    dir: Option<PathBuf>,
    ignore_stdin: bool,
    /// `Mesh::scaled(namespaces, deployments, pods)` with this many minutes of samples.
    scale: Option<[usize; 4]>,
    flavor: Flavor,
    histograms: Histograms,
    /// Remove `dir` on exit (the child of `--background`).
    remove_dir: bool,
}

fn parse_scale(text: &str) -> Result<[usize; 4]> {
    let parts: Vec<usize> = text
        .split(',')
        .map(|p| p.trim().parse::<usize>().ok().filter(|n| *n > 0))
        .collect::<Option<_>>()
        .with_context(|| format!("usage: invalid --scale {text:?}: four positive integers expected\n{USAGE}"))?;
    match parts[..] {
        [ns, deploy, pods, minutes] if minutes >= 2 => Ok([ns, deploy, pods, minutes]),
        _ => bail!("usage: invalid --scale {text:?}: NAMESPACES,DEPLOYMENTS,PODS,MINUTES with MINUTES >= 2\n{USAGE}"),
    }
}

fn parse_args(args: Vec<String>) -> Result<UpArgs> {
    let mut args = args.into_iter();
    let mut up = UpArgs {
        dir: None,
        ignore_stdin: false,
        scale: None,
        flavor: Flavor::V2,
        histograms: Histograms::Classic,
        remove_dir: false,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--remove-dir" => up.remove_dir = true,
            "--dir" => up.dir = Some(args.next().context(USAGE)?.into()),
            "--ignore-stdin" => up.ignore_stdin = true,
            "--scale" => up.scale = Some(parse_scale(&args.next().context(USAGE)?)?),
            "--prometheus3" => up.flavor = Flavor::V3,
            "--native" => (up.flavor, up.histograms) = (Flavor::V3, Histograms::Native),
            _ => bail!("unknown argument {a:?}\n{USAGE}"),
        }
    }
    if up.scale.is_some() && up.histograms != Histograms::Classic {
        bail!("usage: --native loads the emojivoto mesh only\n{USAGE}");
    }
    Ok(up)
}

async fn wait_for_exit(ignore_stdin: bool) -> Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    // A plain thread: blocking stdin reads cannot be cancelled, and the process exits anyway.
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    if !ignore_stdin {
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = closed_tx.send(());
        });
    }
    let stdin_closed = async move {
        if closed_rx.await.is_err() {
            // Sender dropped without sending: stdin is ignored.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = stdin_closed => {}
    }
    Ok(())
}

async fn up(args: UpArgs) -> Result<()> {
    let (_tmp, dir) = match args.dir.clone() {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            (None, d)
        }
        None => {
            let t = tempfile::Builder::new().prefix("lviz-testkit-").tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let (prometheus, objects) = match args.scale {
        None => {
            let mesh = Mesh::emojivoto();
            let opts = PrometheusOptions { flavor: args.flavor, histograms: args.histograms, ..Default::default() };
            let prometheus = tokio::task::spawn_blocking(move || PrometheusServer::start_with(&mesh, &opts))
                .await
                .context("Prometheus start task")??;
            (prometheus, emojivoto_objects())
        }
        Some([namespaces, deployments, pods, minutes]) => {
            let mesh = Mesh::scaled(namespaces, deployments, pods);
            let objects = objects_for(&mesh);
            let minutes = i64::try_from(minutes).context("--scale minutes")?;
            let opts = PrometheusOptions {
                start: EVAL_TIME - minutes * 60,
                end: EVAL_TIME,
                flavor: args.flavor,
                ..Default::default()
            };
            eprintln!("lviz-testkit: backfilling {} pods × {minutes} min…", mesh.pod_count());
            let prometheus = tokio::task::spawn_blocking(move || {
                let prometheus = PrometheusServer::start_with(&mesh, &opts)?;
                // A sharded backfill leaves overlapping blocks that Prometheus merges about a
                // minute after start: wait, so measurements do not share the machine with it.
                prometheus.wait_compacted(std::time::Duration::from_secs(900))?;
                Ok::<_, anyhow::Error>(prometheus)
            })
            .await
            .context("Prometheus start task")??;
            (prometheus, objects)
        }
    };
    let kube = FakeKube::start(objects).await?;
    // lviz can also reach Prometheus through the API server, as `linkerd viz` does.
    kube.set_service_proxy("linkerd-viz", "prometheus", 9090, &prometheus.url());
    let kubeconfig = std::path::absolute(dir.join("kubeconfig"))?;
    kube.write_kubeconfig(&kubeconfig, None)?;
    println!("export LVIZ_PROMETHEUS_URL={}", prometheus.url());
    println!("export KUBECONFIG={}", kubeconfig.display());
    println!("export LVIZ_AT={}", rfc3339(EVAL_TIME));
    println!("ready");
    wait_for_exit(args.ignore_stdin).await?;
    drop(kube);
    drop(prometheus);
    if args.remove_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((first, rest)) if first == "up" && rest.iter().any(|a| a == "--background") => {
            let rest: Vec<String> = rest.iter().filter(|a| *a != "--background").cloned().collect();
            parse_args(rest.clone()).and_then(|_| background::up(&rest))
        }
        Some((first, [])) if first == "down" => background::down(),
        Some((first, rest)) if first == "up" => parse_args(rest.to_vec()).and_then(run_up),
        _ => Err(anyhow::anyhow!("usage: {USAGE}")),
    };
    exit_with(result);
}

fn run_up(args: UpArgs) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("building the tokio runtime")?
        .block_on(up(args))
}

fn exit_with(result: Result<()>) {
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(if e.to_string().starts_with("usage") || e.to_string().starts_with("unknown argument") {
            2
        } else {
            1
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339(lviz_testkit::EVAL_TIME), "2026-01-01T00:20:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn scale_flag() {
        assert_eq!(super::parse_scale("100,10,3,3").unwrap(), [100, 10, 3, 3]);
        for bad in ["100,10,3", "100,10,3,1", "0,1,1,3", "a,1,1,3", "1,1,1,3,4"] {
            let e = super::parse_scale(bad).unwrap_err().to_string();
            assert!(e.starts_with("usage: invalid --scale") && e.contains(bad), "{bad}: {e}");
        }
    }
}

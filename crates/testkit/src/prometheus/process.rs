//! Child processes of the launchers: finding binaries, free loopback ports, spawning under a
//! watchdog that kills the child (and removes its directory) when the test process dies,
//! readiness polling, and peak-RSS sampling of short-lived tools.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Finds `name` on `PATH`, or explains how to install it.
pub(crate) fn find_binary(name: &str, package: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()).with_context(|| {
        format!("`{name}` not found on PATH: install Debian's {package} package (apt-get install {package})")
    })
}

/// A free loopback port (bound then released; the tiny race is acceptable for tests).
pub(crate) fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    Ok(l.local_addr()?.port())
}

/// Spawns `program args…` under `sh`, with a watchdog subshell that kills it when this process
/// disappears and then removes `cleanup_dir`. `exec` keeps the program's pid equal to the
/// child's, so Drop can kill it directly.
pub(crate) fn spawn_watched(program: &Path, args: &[String], log: &Path, cleanup_dir: &Path) -> Result<Child> {
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

pub(crate) fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Plain-HTTP GET returning the status code, or `None` when nothing answers yet.
pub(crate) fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
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
pub(crate) fn wait_ready(child: &mut Child, what: &str, log: &Path, mut ready: impl FnMut() -> bool) -> Result<()> {
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
pub(crate) fn run_sampled(command: &mut Command, log: &Path) -> Result<(ExitStatus, Option<u64>)> {
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

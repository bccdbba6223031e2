//! `lviz-testkit up --background` and `lviz-testkit down`: the README's try-it path. `up
//! --background` starts `up` as a child in its own folder, waits for its `ready`, prints the
//! same `export` lines plus `LVIZ_TESTKIT_PID`, and returns, leaving the environment up for
//! `eval "$(lviz-testkit up --background)"`; `down` stops it (SIGTERM; the child then removes
//! its folder).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The environment variable naming the background process, for `down`.
pub const PID_VAR: &str = "LVIZ_TESTKIT_PID";

/// Starts `up` in the background with `extra` flags; prints its exports once it is ready.
pub fn up(extra: &[String]) -> Result<()> {
    let dir = tempfile::Builder::new().prefix("lviz-testkit-").tempdir()?.keep();
    let log = std::fs::File::create(dir.join("testkit.log")).context("creating the log file")?;
    let exe = std::env::current_exe().context("finding lviz-testkit's own path")?;
    let mut child = Command::new(exe)
        .arg("up")
        .arg("--ignore-stdin")
        .arg("--dir")
        .arg(&dir)
        .arg("--remove-dir")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .context("starting lviz-testkit up")?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading lviz-testkit up")?;
        if line == "ready" {
            writeln!(out, "export {PID_VAR}={}", child.id())?;
            writeln!(out, "# ready; stop it with: lviz-testkit down")?;
            return Ok(());
        }
        writeln!(out, "{line}")?;
    }
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.join("testkit.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    bail!("lviz-testkit up stopped before it was ready:\n{log}")
}

/// Stops the environment `up --background` started (`$LVIZ_TESTKIT_PID`).
pub fn down() -> Result<()> {
    let pid = std::env::var(PID_VAR).with_context(|| format!("usage: {PID_VAR} is not set (nothing to stop)"))?;
    let pid: u32 = pid.trim().parse().with_context(|| format!("usage: {PID_VAR}={pid:?} is not a process id"))?;
    let status = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().context("running kill")?;
    if !status.success() {
        bail!("no lviz-testkit process {pid} to stop");
    }
    Ok(())
}

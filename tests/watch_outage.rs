//! `--watch` through an outage, piped (issue 15 item 7): lviz watches the real Prometheus through
//! a loopback proxy the test switches off and on. A failed refresh is a `{"error":…,"at":…}`
//! line on the NDJSON stream (and the error on stderr); the watch goes on, recovers, and exits
//! 1 when it ends on a failed refresh. The terminal side is in `watch_tty.rs`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{env, lviz_bin};
use lviz_testkit::mesh::EVAL_TIME;

/// A proxy in front of the shared Prometheus, and its outage switch.
fn switchable_prometheus() -> (String, Arc<AtomicBool>) {
    common::servers::switchable_proxy(&env().prometheus_url)
}

fn watch_command(prometheus: &str, extra: &[&str]) -> Command {
    let e = env();
    let mut cmd = Command::new(lviz_bin());
    cmd.args(["--prometheus-url", prometheus, "--kubeconfig"])
        .arg(e.kube.kubeconfig_path())
        .args(["--at", &EVAL_TIME.to_string(), "stat", "deploy", "-n", "emojivoto"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .env_remove("LVIZ_AT")
        .env("HOME", e.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn ndjson_carries_errors_and_the_watch_recovers() {
    let (url, down) = switchable_prometheus();
    let mut child = watch_command(&url, &["-w", "300ms", "--watch-count", "6", "-o", "json"]).spawn().expect("lviz");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut frames: Vec<serde_json::Value> = Vec::new();
    let mut read = |frames: &mut Vec<serde_json::Value>| {
        let line = lines.next().expect("another NDJSON line");
        frames.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
    };
    read(&mut frames);
    down.store(true, Ordering::SeqCst);
    read(&mut frames);
    read(&mut frames);
    down.store(false, Ordering::SeqCst);
    for _ in 0..3 {
        read(&mut frames);
    }
    let out = child.wait_with_output().expect("lviz ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "the last refresh succeeded: {stderr}");

    assert!(frames[0]["data"].as_array().is_some_and(|rows| !rows.is_empty()), "{}", frames[0]);
    assert_eq!(frames[0]["at"], "2026-01-01T00:20:00Z");
    // The outage: error objects with the refresh's time, in order.
    let errors: Vec<&serde_json::Value> = frames.iter().filter(|f| f.get("error").is_some()).collect();
    assert!(!errors.is_empty(), "{frames:#?}");
    for e in &errors {
        let message = e["error"].as_str().unwrap_or_default();
        assert!(message.starts_with("Prometheus at "), "{message}");
        assert!(message.contains("503"), "{message}");
        assert!(e["at"].as_str().is_some_and(|t| t.starts_with("2026-01-01T00:20:0")), "{e}");
        assert_eq!(e.as_object().map(|o| o.len()), Some(2), "{e}");
    }
    assert!(stderr.lines().any(|l| l.starts_with("error: Prometheus at ")), "{stderr}");
    // Every frame has a time, and the last ones are data again.
    assert!(frames.iter().all(|f| f["at"].is_string()), "{frames:#?}");
    assert_eq!(frames.last().map(|f| f["data"] == frames[0]["data"]), Some(true), "{frames:#?}");
}

#[test]
fn a_watch_ending_on_a_failed_refresh_exits_1() {
    let (url, down) = switchable_prometheus();
    let mut child = watch_command(&url, &["-w", "300ms", "--watch-count", "3"]).spawn().expect("lviz");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    // The first table's title, then its header: the first refresh worked.
    assert!(lines.next().is_some_and(|l| l.starts_with("Every 300ms: refresh 1/3 at 2026-01-01T00:20:00Z")));
    assert!(lines.next().is_some_and(|l| l.starts_with("NAME")));
    down.store(true, Ordering::SeqCst);
    let rest: Vec<String> = lines.collect();
    let out = child.wait_with_output().expect("lviz ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!rest.iter().any(|l| l.contains("refresh 3/3")), "no table for a failed refresh: {rest:?}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: the last refresh failed (stale since "), "{stderr}");
    assert!(last.contains(": Prometheus at http://127.0.0.1:"), "{stderr}");
}

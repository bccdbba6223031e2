//! Remote mode end to end: the real `lviz serve` binary on a free loopback port (same Prometheus
//! and fake Kubernetes API as the embedded tests), and the real CLI pointed at it with
//! `--api-addr`. Every command of the embedded e2e suites, error cases included, must print
//! byte-identical stdout and stderr with the same exit code in both modes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, env, lviz, lviz_bin, lviz_raw};
use lviz_testkit::mesh::EVAL_TIME;

/// The server child; killed when the test ends, passes or panics.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lviz serve --addr 127.0.0.1:0`, reads the bound address from its first stderr line,
/// then waits for `/ready`.
fn start_server(extra: &[&str]) -> Server {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut cmd = Command::new(lviz_bin());
    cmd.args(["--prometheus-url", &e.prometheus_url, "--kubeconfig", &kubeconfig, "serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("KUBECONFIG")
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .env_remove("LVIZ_AT")
        .env("HOME", e.home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start lviz serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let server = match first.strip_prefix("lviz serve: listening on ") {
        Some(url) => Server { child, url: url.trim().to_string() },
        None => {
            let _ = child.kill();
            panic!("lviz serve did not start: {first:?}");
        }
    };
    wait_ready(&server.url);
    server
}

fn wait_ready(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let ready = format!("{url}/ready");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = rt.block_on(client.get(&ready).send());
        if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            return;
        }
        assert!(Instant::now() < deadline, "{ready} never answered 200");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn remote(server: &Server, args: &[&str]) -> Run {
    let e = env();
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full: Vec<&str> = vec!["--api-addr", &server.url, "--at", &at, "--kubeconfig", &kubeconfig];
    full.extend(args);
    lviz_raw(&full, &[])
}

/// Every command of `e2e_stat.rs` and `e2e_routes_edges_gateways.rs`, plus error cases.
const COMMANDS: &[&[&str]] = &[
    &["stat", "deploy/web", "-n", "emojivoto"],
    &["stat", "deploy", "-n", "emojivoto"],
    &["stat", "deploy", "-n", "emojivoto", "-o", "wide"],
    &["stat", "deploy", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["stat", "po", "-n", "emojivoto"],
    &["stat", "po", "-n", "emojivoto", "-o", "wide"],
    &["stat", "ns/emojivoto"],
    &["stat", "ns", "-o", "json"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot", "-o", "wide"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/traffic", "--from-namespace", "ops"],
    &["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/voting"],
    &["stat", "deploy/traffic", "-n", "ops", "--to", "deploy/legacy"],
    &["stat", "svc/web-svc", "-n", "emojivoto"],
    &["stat", "svc", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy", "-n", "ops"],
    &["stat", "deploy", "-n", "ops", "--unmeshed"],
    &["stat", "deploy", "-A"],
    &["stat", "deploy", "-A", "-o", "wide"],
    &["stat", "deploy/web", "po", "-n", "emojivoto"],
    &["stat", "all", "-n", "emojivoto"],
    &["stat", "all", "-n", "emojivoto", "-o", "json"],
    &["stat", "po", "-n", "emojivoto", "-l", "app=emoji-svc"],
    &["stat", "svc/nope", "-n", "emojivoto"],
    &["stat", "svc/nope", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy/nope", "-n", "emojivoto"],
    &["stat", "deploy/nope", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy", "-n", "emojivoto", "-t", "1s"],
    &["stat", "bogus"],
    &["--context", "other", "stat", "deploy"],
    &["routes", "deploy/web", "-n", "emojivoto"],
    &["routes", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "json"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"],
    &["routes", "deploy/voting", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/nope", "-n", "emojivoto"],
    &["routes", "deploy/web", "-n", "emojivoto", "-t", "1s"],
    &["routes", "deploy/web", "-n", "nowhere"],
    &["edges", "deploy", "-A"],
    &["edges", "deploy", "-A", "-o", "json"],
    &["edges", "deploy", "-n", "ops"],
    &["edges", "deploy", "-n", "ops", "-o", "json"],
    &["edges", "deploy", "-n", "ops", "-o", "wide"],
    &["edges", "po", "-n", "emojivoto"],
    &["gateways"],
    &["gateways", "-o", "json"],
    &["gateways", "--cluster-name", "nope"],
];

#[test]
fn remote_mode_prints_exactly_what_embedded_mode_prints() {
    let server = start_server(&[]);
    let mut differences = Vec::new();
    let mut succeeded = 0;
    for args in COMMANDS {
        let embedded = lviz(args);
        let remote = remote(&server, args);
        succeeded += usize::from(embedded.code == 0 && !embedded.stdout.is_empty());
        // Hints included: the server answers the same `checks` facts (POST /api/v1/checks).
        if (embedded.code, &embedded.stdout, &embedded.stderr) != (remote.code, &remote.stdout, &remote.stderr) {
            differences.push(format!(
                "lviz {}\n  embedded: exit {}\n{}{}\n  remote: exit {}\n{}{}",
                args.join(" "),
                embedded.code,
                embedded.stdout,
                embedded.stderr,
                remote.code,
                remote.stdout,
                remote.stderr
            ));
        }
    }
    // Guard against comparing two identical failures: most commands print data.
    assert!(succeeded >= 35, "only {succeeded} commands printed data");
    assert!(
        differences.is_empty(),
        "{} of {} commands differ:\n{}",
        differences.len(),
        COMMANDS.len(),
        differences.join("\n")
    );
}

#[test]
fn remote_mode_needs_no_prometheus_and_names_an_unreachable_api() {
    // Nothing listens on port 1: the CLI says which backend failed, exit 1.
    let run = lviz_raw(&["--api-addr", "http://u:pw@127.0.0.1:1", "stat", "deploy", "-n", "emojivoto"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: metrics API at http://u:***@127.0.0.1:1/: cannot connect"),
        "{}",
        run.stderr
    );
    // LVIZ_API_ADDR works like the flag.
    let run = lviz_raw(&["stat", "deploy", "-n", "emojivoto"], &[("LVIZ_API_ADDR", "http://127.0.0.1:1")]);
    assert!(run.stderr.starts_with("error: metrics API at http://127.0.0.1:1/"), "{}", run.stderr);
}

#[test]
fn serve_rejects_bad_flags_as_usage_errors() {
    let run = lviz_raw(&["--prometheus-url", "http://127.0.0.1:1", "serve", "--addr", "localhost"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: invalid --addr \"localhost\""), "{}", run.stderr);
    let run = lviz_raw(&["--prometheus-url", "http://127.0.0.1:1", "serve", "--max-concurrent-queries", "0"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn serve_stops_on_sigterm() {
    let mut server = start_server(&["--access-log"]);
    let run = remote(&server, &["stat", "deploy/web", "-n", "emojivoto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            assert!(status.success(), "lviz serve exited with {status} on SIGTERM");
            break;
        }
        assert!(Instant::now() < deadline, "lviz serve still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every empty-result hint, from the answer and the `checks` facts: the same line in embedded
/// and remote mode (the server checks where its backends are), and never a suggestion of the
/// value already in use.
#[test]
fn every_hint_is_the_same_in_remote_mode() {
    let data_end = lviz_testkit::mesh::EVAL_TIME;
    // 2026-06-01T00:00:00Z: after the data, so the newest sample is older than the evaluation.
    let after = 1_780_272_000_i64;
    let days = (after - data_end) / 86_400;
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--at=2026-06-01T00:00:00Z", "stat", "deploy", "-n", "emojivoto"],
            format!(
                "hint: Prometheus's newest sample is at 2026-01-01T00:20:00Z, {days} days before \
                 2026-06-01T00:00:00Z: nothing was scraped after it. To see that data, evaluate at its time: --at \
                 2026-01-01T00:20:00Z (or export LVIZ_AT=2026-01-01T00:20:00Z)"
            ),
        ),
        (
            vec!["--at=2025-01-01T00:00:00Z", "stat", "deploy", "-n", "emojivoto"],
            "hint: Prometheus has no Linkerd proxy series (response_total, tcp_open_connections) at \
             2025-01-01T00:00:00Z: check --at, and that this Prometheus scrapes the linkerd-proxy containers"
                .into(),
        ),
        (
            vec!["stat", "deploy", "-n", "emojivot"],
            "hint: namespace \"emojivot\" does not exist: check -n (or the context's namespace)".into(),
        ),
        (
            vec!["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/nope"],
            "hint: --to deploy/nope does not exist in namespace \"emojivoto\": check its name (and --to-namespace)"
                .into(),
        ),
        (vec!["stat", "sts", "-n", "emojivoto"], "hint: there are no statefulsets in namespace \"emojivoto\"".into()),
        (
            vec!["stat", "deploy", "-n", "emojivoto", "-l", "app=nope"],
            "hint: no deployment in namespace \"emojivoto\" matches -l app=nope".into(),
        ),
        (
            vec!["stat", "deploy", "-n", "empty-ns"],
            "hint: namespace \"empty-ns\" has no meshed pods (1 pod, without the Linkerd proxy): inject its \
             workloads (linkerd inject), or add --unmeshed to show its rows anyway"
                .into(),
        ),
        (
            // Before: "try a longer window (-t 10m)" with -t 10m in use; the cause is no proxy.
            vec!["stat", "deploy/legacy", "-n", "ops", "-t", "10m"],
            "hint: deploy/legacy has no meshed pods: inject it (linkerd inject), or add --unmeshed to list it".into(),
        ),
        (
            vec!["stat", "deploy/vote-bot", "-n", "emojivoto", "-t", "15s"],
            "hint: the 15s window is shorter than two scrape intervals (10s each), so rates often have a single \
             sample: use -t 20s or more"
                .into(),
        ),
        (
            vec!["stat", "deploy/vote-bot", "-n", "emojivoto"],
            "hint: deploy/vote-bot receives no requests but sends some: see them with lviz stat deploy --from \
             deploy/vote-bot -n emojivoto"
                .into(),
        ),
        (
            vec!["stat", "deploy", "-n", "ops", "-t", "10m"],
            "hint: no requests in the 10m window ending 2026-01-01T00:20:00Z: try a longer window (-t 1h) or \
             another --at"
                .into(),
        ),
        (
            vec!["stat", "deploy", "-n", "ops", "-t", "1h"],
            "hint: no requests in the 1h window ending 2026-01-01T00:20:00Z: try another --at".into(),
        ),
        (
            vec!["routes", "deploy/vote-bot", "-n", "emojivoto"],
            "hint: deploy/vote-bot is not behind any Service, so it has no routes: routes come from the \
             ServiceProfiles of the Services that select its pods"
                .into(),
        ),
        (
            vec!["routes", "deploy/emoji", "-n", "emojivoto"],
            "hint: no ServiceProfile for emoji-svc: routes shows only [DEFAULT]; create one, e.g. linkerd profile \
             --template emoji-svc -n emojivoto"
                .into(),
        ),
    ];
    let server = start_server(&[]);
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let data_end = data_end.to_string();
    let run = |backend: [&str; 2], args: &[&str]| {
        // The data's end, unless the case says when.
        let at = if args[0].starts_with("--at=") { args[0] } else { data_end.as_str() };
        let args = if args[0].starts_with("--at=") { &args[1..] } else { args };
        let mut full =
            vec![backend[0], backend[1], "--kubeconfig", &kubeconfig, "--at", at.trim_start_matches("--at=")];
        full.extend(args);
        lviz_raw(&full, &[])
    };
    for (args, hint) in &cases {
        let embedded = run(["--prometheus-url", &e.prometheus_url], args);
        let remote = run(["--api-addr", &server.url], args);
        for (mode, run) in [("embedded", &embedded), ("remote", &remote)] {
            assert_eq!(run.code, 0, "{mode} {args:?}: {}", run.stderr);
            let hints: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("hint: ")).collect();
            assert_eq!(hints, vec![hint.as_str()], "{mode} {args:?}");
        }
    }
}

#[test]
fn version_names_the_client_and_the_server() {
    let server = start_server(&[]);
    let run = lviz_raw(&["version", "--api-addr", &server.url], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(run.stdout, format!("Client version: {version}\nServer version: {version} ({}/)\n", server.url));
    // LVIZ_API_ADDR works too; --client asks no server.
    let run = lviz_raw(&["version"], &[("LVIZ_API_ADDR", &server.url)]);
    assert!(run.stdout.contains("Server version: "), "{}", run.stdout);
    let run = lviz_raw(&["version", "--client"], &[("LVIZ_API_ADDR", &server.url)]);
    assert_eq!(run.stdout, format!("Client version: {version}\n"));
    // An unreachable server: the client's version, then the error naming it, exit 1.
    let run = lviz_raw(&["version", "--api-addr", "http://127.0.0.1:1"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: metrics API at http://127.0.0.1:1/: cannot connect"), "{}", run.stderr);
}

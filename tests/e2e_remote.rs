//! Remote mode end to end: the real `lviz serve` binary on free loopback ports (same Prometheus
//! and fake Kubernetes API as the embedded tests), and the real CLI pointed at it with
//! `--api-addr`, over HTTP JSON and over gRPC. Every command of the embedded e2e suites, error
//! cases included, must print byte-identical stdout and stderr with the same exit code in every
//! mode, and every answer the JSON server gives along the way follows the response schemas of the
//! API documents.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::serve::{self, Server};
use common::{Run, env, lviz, lviz_raw};
use lviz_testkit::mesh::EVAL_TIME;

fn start_server(extra: &[&str]) -> Server {
    serve::start(extra)
}

fn remote(server: &Server, args: &[&str]) -> Run {
    remote_at(&server.url, args)
}

/// The CLI against the metrics API at `addr` (`http://…` JSON, `grpc://…` gRPC).
fn remote_at(addr: &str, args: &[&str]) -> Run {
    let e = env();
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full: Vec<&str> = vec!["--api-addr", addr, "--at", &at, "--kubeconfig", &kubeconfig];
    full.extend(args);
    lviz_raw(&full, &[])
}

fn shown(args: &[&str], run: &Run) -> String {
    format!("lviz {}: exit {}\n{}{}", args.join(" "), run.code, run.stdout, run.stderr)
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
    &["stat", "httproute", "-n", "emojivoto"],
    &["stat", "httproute/voting-api", "-n", "emojivoto", "-o", "json"],
    &["stat-inbound", "deploy", "-n", "emojivoto"],
    &["stat-inbound", "deploy", "-n", "emojivoto", "-o", "json"],
    &["stat-inbound", "deploy", "-A", "-o", "wide"],
    &["stat-inbound", "deploy/nope", "-n", "emojivoto"],
    &["stat-outbound", "deploy", "-n", "emojivoto"],
    &["stat-outbound", "deploy", "-n", "emojivoto", "-o", "json"],
    &["stat-outbound", "deploy", "-A", "-o", "wide"],
    &["stat-outbound", "deploy", "-n", "ops", "-l", "app=traffic"],
    &["stat-outbound", "deploy", "-n", "linkerd-viz"],
    &["authz", "deploy/voting", "-n", "emojivoto"],
    &["authz", "deploy", "-n", "emojivoto", "-o", "json"],
    &["authz", "deploy", "-A", "-o", "wide"],
    &["authz", "deploy", "-n", "emojivoto", "-l", "app=web-svc"],
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
    assert!(succeeded >= 45, "only {succeeded} commands printed data");
    assert!(
        differences.is_empty(),
        "{} of {} commands differ:\n{}",
        differences.len(),
        COMMANDS.len(),
        differences.join("\n")
    );
    // Every answer of the server (the views, the hints' checks, the errors) follows the spec.
    let checked = serve::assert_answers_follow_the_spec(&server.recorded());
    assert!(checked >= COMMANDS.len(), "only {checked} answers recorded");
}

/// gRPC (`linkerd2.viz.Api` plus lviz's `Checks`) carries every answer and every hint fact: the
/// CLI prints exactly what embedded mode prints, hints included, and exactly what JSON remote
/// mode prints.
#[test]
fn grpc_remote_mode_prints_exactly_what_embedded_mode_prints() {
    let server = start_server(&[]);
    let grpc = format!("grpc://{}", server.grpc);
    let mut differences = Vec::new();
    let mut succeeded = 0;
    for args in COMMANDS {
        let embedded = lviz(args);
        let over_grpc = remote_at(&grpc, args);
        let over_json = remote(&server, args);
        succeeded += usize::from(over_grpc.code == 0 && !over_grpc.stdout.is_empty());
        let same = |a: &Run, b: &Run| (a.code, &a.stdout, &a.stderr) == (b.code, &b.stdout, &b.stderr);
        if !same(&embedded, &over_grpc) {
            differences.push(format!("embedded {}gRPC {}", shown(args, &embedded), shown(args, &over_grpc)));
        }
        if !same(&over_json, &over_grpc) {
            differences.push(format!("JSON {}gRPC {}", shown(args, &over_json), shown(args, &over_grpc)));
        }
    }
    assert!(succeeded >= 35, "only {succeeded} commands printed data over gRPC");
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    // The same with the protocol named and no scheme (linkerd's `--api-addr HOST:PORT`).
    let args = ["--api-protocol", "grpc", "stat", "deploy", "-n", "emojivoto"];
    let explicit = remote_at(&format!("http://{}", server.grpc), &args);
    let bare = remote_at(&server.grpc, &args[2..]);
    let embedded = lviz(&args[2..]).ok();
    assert_eq!((explicit.code, &explicit.stdout), (0, &embedded.stdout), "{}", explicit.stderr);
    assert_eq!((bare.code, &bare.stdout), (0, &embedded.stdout), "{}", bare.stderr);
}

#[test]
fn grpc_remote_mode_names_an_unreachable_api() {
    let run = lviz_raw(&["--api-addr", "grpc://127.0.0.1:1", "stat", "deploy", "-n", "emojivoto"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: metrics API at grpc://127.0.0.1:1: Unavailable: "), "{}", run.stderr);
    assert!(run.stderr.contains("onnection refused"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = lviz_raw(&["--api-addr", "grpc://127.0.0.1", "stat", "deploy", "-n", "emojivoto"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "error: metrics API at grpc://127.0.0.1: missing port (the metrics API listens on 8085)\n");
    let run = lviz_raw(&["--api-protocol", "grpc", "stat", "deploy", "-n", "emojivoto"], &[]);
    assert_eq!((run.code, run.stderr.as_str()), (2, "error: --api-protocol needs --api-addr\n"));
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
    let run = remote_at(&format!("grpc://{}", server.grpc), &["stat", "deploy/web", "-n", "emojivoto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pid = server.child_id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = server.child().try_wait() {
            assert!(status.success(), "lviz serve exited with {status} on SIGTERM");
            break;
        }
        assert!(Instant::now() < deadline, "lviz serve still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_spec_check_refuses_what_the_spec_forbids() {
    // A dead gateway's latency as null, as `gateways -o json` printed it before issue 13.
    let dead = r#"{"ok":{"gateways_table":{"rows":[{"cluster_name":"west","alive":false,"latency_ms_p50":null}]}}}"#;
    let bad = serve::Exchange { path: "/api/v1/gateways".into(), status: 200, body: dead.into() };
    assert!(std::panic::catch_unwind(|| serve::assert_answers_follow_the_spec(&[bad])).is_err());
    let error = serve::Exchange { path: "/api/v1/authz".into(), status: 400, body: r#"{"error":"flat"}"#.into() };
    assert!(std::panic::catch_unwind(|| serve::assert_answers_follow_the_spec(&[error])).is_err());
    let good = serve::Exchange { path: "/api/v1/authz".into(), status: 400, body: r#"{"error":{"error":"x"}}"#.into() };
    assert_eq!(serve::assert_answers_follow_the_spec(&[good]), 1);
}

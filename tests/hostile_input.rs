//! What a user can type must not reach a request unchecked, crash lviz or reach the terminal
//! raw (issue 17, items 3 and 4), against the real binary. Prometheus is a closed port here: a
//! run that exits 2 proves the value was refused before any request (a request would exit 1).

mod common;

use std::process::{Command, Stdio};

use common::{env, lviz_bin, lviz_raw};
use lviz_testkit::faults::unsafe_char;

const CLOSED: &str = "http://127.0.0.1:1";

/// `lviz` with a closed Prometheus and the fake Kubernetes API.
fn refused(args: &[&str]) -> common::Run {
    let kubeconfig = env().kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full = vec!["--prometheus-url", CLOSED, "--kubeconfig", &kubeconfig];
    full.extend(args);
    lviz_raw(&full, &[])
}

/// Exit 2, one safe stderr line containing `needle`, nothing on stdout.
fn assert_usage(run: &common::Run, needle: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{needle:?} not in {}", run.stderr);
    assert_eq!(unsafe_char(&run.stderr), None, "{:?}", run.stderr);
}

#[test]
fn names_and_namespaces_are_checked_as_kubernetes_does() {
    for (args, needle) in [
        (
            &["stat", "deploy", "web#x", "-n", "emojivoto"][..],
            r#"resource_name: Invalid value: "web#x": a lowercase RFC 1123 subdomain"#,
        ),
        (&["stat", "deploy/../../api/v1/secrets", "-n", "emojivoto"][..], "Invalid resource string"),
        (&["stat", "deploy", "../../api/v1/secrets", "-n", "emojivoto"][..], r#""../../api/v1/secrets""#),
        (&["stat", "deploy", "web x", "-n", "emojivoto"][..], r#""web x""#),
        (
            &["stat", "svc", "-n", "emojiv.to"][..],
            r#"namespace: Invalid value: "emojiv.to": a lowercase RFC 1123 label"#,
        ),
        (&["stat", "svc/w.b-svc", "-n", "emojivoto"][..], r#""w.b-svc""#),
        (&["routes", "deploy/Web", "-n", "emojivoto"][..], r#""Web""#),
        (
            &["stat", "deploy", "-n", "emojivoto", "--to", "deploy/a%2F"][..],
            r#"to_resource_name: Invalid value: "a%2F""#,
        ),
        (&["edges", "po", "-n", "EMOJI"][..], r#""EMOJI""#),
        (&["gateways", "-n", "x", "--viz-namespace", "bad_ns"][..], r#""bad_ns""#),
        (&["stat-inbound", "deploy/web#x", "-n", "emojivoto"][..], r#"resource_name: Invalid value: "web#x""#),
        (&["stat-outbound", "deploy", "-n", "emojiv.to"][..], r#"namespace: Invalid value: "emojiv.to""#),
        (&["authz", "deploy", "../../api/v1/secrets", "-n", "emojivoto"][..], "Invalid resource string"),
    ] {
        assert_usage(&refused(args), needle);
    }
}

#[test]
fn bad_selectors_durations_and_flags_are_usage_errors() {
    assert_usage(&refused(&["stat", "deploy", "-n", "emojivoto", "-l", "app=("]), r#"invalid label selector "app=(""#);
    // Go's grammar, without a panic inside `µ` and without float overflow.
    assert_usage(&refused(&["stat", "deploy", "-n", "emojivoto", "-t", "1µs"]), "at least 15s");
    assert_usage(&refused(&["routes", "deploy/web", "-n", "emojivoto", "-t", "1µs"]), "1ms resolution");
    assert_usage(&refused(&["stat", "deploy", "-n", "emojivoto", "-t", "9223372036854775808ns"]), "invalid duration");
    assert_usage(&refused(&["stat", "deploy", "-n", "emojivoto", "--max-answer-size", "0"]), "--max-answer-size");
    for header in ["Content-Length: 5", "Host: evil", "Transfer-Encoding: chunked", "Connection: close"] {
        let run = refused(&["stat", "deploy", "-n", "emojivoto", "--prometheus-header", header]);
        assert_usage(&run, "is set by lviz's HTTP client");
    }
}

#[test]
fn hostile_text_in_arguments_is_escaped() {
    let run = refused(&["stat", "deploy", "-n", "emojivoto", "--context", "\u{1b}[2J\u{202e}evil"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(unsafe_char(&run.stderr), None, "{:?}", run.stderr);
    assert!(run.stderr.contains("[2J") && run.stderr.contains("evil"), "{}", run.stderr);
    // clap's own echo of an unknown argument.
    let run = refused(&["stat", "deploy", "--bogus\u{7}\u{1b}]0;title\u{7}"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(unsafe_char(&run.stderr), None, "{:?}", run.stderr);
}

#[test]
fn a_broken_kubeconfig_is_named_by_file_and_line_never_quoted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config");
    let secret = "s3cr3t-token-never-printed";
    let text = format!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {secret}\n    client-key-data: [unclosed\ncontexts: []\n"
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    let path_text = path.to_string_lossy().to_string();
    let run = lviz_raw(&["--prometheus-url", CLOSED, "--kubeconfig", &path_text, "stat", "deploy", "-n", "x"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains(secret) && !run.stderr.contains("unclosed"), "{}", run.stderr);
    assert!(run.stderr.contains(&path_text) && run.stderr.contains("line "), "{}", run.stderr);
}

#[test]
fn closed_output_streams_never_panic() {
    // stderr a pipe nobody reads: the usage error cannot be printed, the exit code stays 2.
    let mut child = Command::new(lviz_bin())
        .args(["stat", "deploy", "web#x", "--prometheus-url", CLOSED, "--no-kube"])
        .env("HOME", env().home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stderr.take());
    assert_eq!(child.wait().expect("wait").code(), Some(2));
    // stdout closed early (`| head`): still 0.
    let mut child = Command::new(lviz_bin())
        .args(["completions", "bash"])
        .env("HOME", env().home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

//! Every validation error of viz-semantics §1.3 (and the conformance `cli_errors.json`): a
//! one-line message on stderr (Linkerd's words; a `hint:` line may follow it), nothing on
//! stdout, exit code 2, no backend contacted. clap's own errors keep clap's whole message.

mod common;

use common::lviz_raw;

/// Runs with an unreachable Prometheus and no cluster: validation must fail before either.
fn usage_error(args: &[&str]) -> String {
    let mut full = vec!["--prometheus-url", "http://127.0.0.1:9"];
    full.extend(args);
    let run = lviz_raw(&full, &[]);
    assert_eq!(run.code, 2, "args {args:?}: stderr {}", run.stderr);
    assert_eq!(run.stdout, "", "args {args:?}");
    let mut lines = run.stderr.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{}", run.stderr);
    assert!(lines.all(|l| l.starts_with("hint: ")), "one error line, then hints only: {}", run.stderr);
    first.trim_start_matches("error: ").to_string()
}

#[test]
fn stat_validation_messages() {
    let cases: &[(&[&str], &str)] = &[
        (&["stat", "po", "web", "-A"], "stats for a resource cannot be retrieved by name across all namespaces"),
        (
            &["stat", "ns", "test", "--to", "deploy/foo", "--from", "deploy/bar"],
            "--to and --from flags are mutually exclusive",
        ),
        (
            &["stat", "po", "--to-namespace", "foo", "--from-namespace", "bar"],
            "--to-namespace and --from-namespace flags are mutually exclusive",
        ),
        (
            &["stat", "ns", "foo", "--to-namespace", "bar"],
            "--to-namespace flag is incompatible with namespace resource type",
        ),
        (
            &["stat", "ns/bar", "--from-namespace", "foo"],
            "--from-namespace flag is incompatible with namespace resource type",
        ),
        (&["stat", "ns/bar", "-n", "other"], "--namespace flag is incompatible with namespace resource type"),
        (&["stat", "ns/bar", "-t", "10s"], "metrics time window needs to be at least 15s"),
        (&["stat", "po", "-t", "abc"], r#"time: invalid duration "abc""#),
        (&["stat", "po", "-t", "10"], r#"time: missing unit in duration "10""#),
        (&["stat", "po", "-t", "10x"], r#"time: unknown unit "x" in duration "10x""#),
        (&["stat", "au"], "cannot find Kubernetes canonical name from friendly name [au]"),
        (&["stat", "deploy/a/b"], "Invalid resource string: deploy/a/b"),
        (&["stat", "po", "a", "a"], "cannot supply duplicate resources"),
        (&["stat", "all", "deploy"], "'all' can't be supplied alongside other resources"),
        (&["stat", "po", "--to", "all"], "resource type 'all' is not supported as a filter"),
        (
            &["stat", "po", "--from", "svc/web"],
            "service is not supported as a target on 'from' queries, or as a target with 'to' queries",
        ),
        (&["stat", "srv"], "unimplemented resource type: server"),
        (&["stat", "po", "-o", "yaml"], r#"--output currently only supports table, json and wide (got "yaml")"#),
        (&["stat", "po", "-l", "app=("], r#"invalid label selector "app=(": unexpected '('"#),
        (
            &["stat", "po", "--at", "yesterday"],
            r#"invalid --at value "yesterday": expected RFC 3339 (2026-01-01T00:20:00Z) or Unix seconds"#,
        ),
    ];
    for (args, message) in cases {
        assert_eq!(usage_error(args), *message, "args {args:?}");
    }
}

#[test]
fn edges_and_routes_validation_messages() {
    let cases: &[(&[&str], &str)] = &[
        (&["edges", "deployment", "-o", "test", "-A"], r#"--output supports table, json and wide (got "test")"#),
        (
            &["edges", "pod/pod-name", "-A"],
            "Edges cannot be returned for a specific resource name; remove pod-name from query",
        ),
        (&["edges", "authority", "-A"], "cannot find Kubernetes canonical name from friendly name [authority]"),
        (&["edges", "service", "-A"], "Resource type is not supported: service"),
        (&["edges", "all", "-A"], "Resource type is not supported: all"),
        (&["routes", "deploy/web", "-o", "wide"], "wide output is only available when --to is specified"),
        (&["routes", "svc/web", "--to", "deploy/x"], "The service resource type is not supported with 'to' queries"),
    ];
    for (args, message) in cases {
        assert_eq!(usage_error(args), *message, "args {args:?}");
    }
}

#[test]
fn clap_errors_keep_clap_whole_message_exit_2() {
    let run = lviz_raw(&["stat", "po", "--bogus"], &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(run.stderr.starts_with("error: unexpected argument '--bogus' found\n"), "{}", run.stderr);
    assert!(run.stderr.contains("\nUsage: lviz stat "), "{}", run.stderr);
    assert!(run.stderr.ends_with("For more information, try '--help'.\n"), "{}", run.stderr);
}

#[test]
fn unreachable_prometheus_exits_1_naming_it() {
    let e = common::env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let run = lviz_raw(
        &[
            "--prometheus-url",
            "http://user:hunter2@127.0.0.1:9",
            "--kubeconfig",
            &kubeconfig,
            "stat",
            "deploy",
            "-n",
            "emojivoto",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: Prometheus at http://user:***@127.0.0.1:9/: "), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter2"));
}

#[test]
fn missing_prometheus_url_is_a_usage_error() {
    let run = lviz_raw(&["stat", "deploy"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--prometheus-url"), "{}", run.stderr);
}

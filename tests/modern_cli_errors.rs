//! Bad input to `stat-inbound`, `stat-outbound` and `authz`: a one-line message on stderr (then
//! at most a `hint:` line; clap's own errors keep its usage block), nothing on stdout, exit code
//! 2, and no backend contacted (Prometheus is unreachable here).
//! lviz checks everything before querying, where linkerd checks `-o` and the window of
//! stat-inbound and stat-outbound only after its queries.

mod common;

use common::lviz_raw;

fn usage_error(args: &[&str]) -> String {
    let mut full = vec!["--prometheus-url", "http://127.0.0.1:9"];
    full.extend(args);
    let run = lviz_raw(&full, &[]);
    assert_eq!(run.code, 2, "args {args:?}: stderr {}", run.stderr);
    assert_eq!(run.stdout, "", "args {args:?}");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    let mut lines = run.stderr.lines();
    let first = lines.next().unwrap_or_default();
    assert!(lines.all(|l| l.starts_with("hint: ")), "one error line, then hints only: {}", run.stderr);
    first.trim_start_matches("error: ").to_string()
}

#[test]
fn validation_messages() {
    let workloads = "(supported: cronjob, daemonset, deployment, job, namespace, pod, replicaset, \
                     replicationcontroller, statefulset)";
    let cases: Vec<(&[&str], String)> = vec![
        (&["stat-inbound", "deploy", "web", "x"], "stat-inbound takes one resource, TYPE[/NAME] or TYPE NAME (got 3 arguments)".into()),
        (&["stat-inbound", "bogus"], "cannot find Kubernetes canonical name from friendly name [bogus]".into()),
        (&["stat-inbound", "au"], "cannot find Kubernetes canonical name from friendly name [au]".into()),
        (&["stat-inbound", "svc"], format!("unsupported resource type for stat-inbound: service {workloads}")),
        (&["stat-outbound", "all"], format!("unsupported resource type for stat-outbound: all {workloads}")),
        (&["stat-outbound", "deploy/a/b"], "Invalid resource string: deploy/a/b".into()),
        (&["stat-outbound", "deploy", "a/b"], "Invalid resource string: deploy/a/b".into()),
        (&["stat-inbound", "deploy", "-o", "yaml"], "Invalid output format: yaml".into()),
        (&["authz", "deploy", "-o", "yaml"], "Invalid output format: yaml".into()),
        (&["stat-inbound", "deploy", "-t", "abc"], r#"time: invalid duration "abc""#.into()),
        (&["stat-outbound", "deploy", "-t", "10x"], r#"time: unknown unit "x" in duration "10x""#.into()),
        (&["stat-outbound", "deploy", "-t", "0s"], "time window 0s must be longer than 0s".into()),
        (&["authz", "deploy", "-t", "10s"], "metrics time window needs to be at least 15s".into()),
        (&["authz", "bogus", "-t", "10s"], "metrics time window needs to be at least 15s".into()),
        (&["authz", "deploy/web", "-A"], "stats for a resource cannot be retrieved by name across all namespaces".into()),
        (&["stat-inbound", "deploy", "web", "-A"], "stats for a resource cannot be retrieved by name across all namespaces".into()),
        (
            &["authz", "svc/web"],
            "unsupported resource type for authz: service (supported: cronjob, daemonset, deployment, job, \
             namespace, pod, replicaset, replicationcontroller, statefulset, server, serverauthorization, \
             authorizationpolicy, httproute)"
                .into(),
        ),
        (&["stat-inbound", "po", "-l", "app=("], r#"invalid label selector "app=(": unexpected '('"#.into()),
        (
            &["stat-inbound", "deploy", "--fail-if", "timeouts>1%"],
            r#"invalid --fail-if "timeouts>1%": unknown metric "timeouts" for stat-inbound; valid metrics: success, rps, p50, p95, p99"#.into(),
        ),
        (
            &["stat-outbound", "deploy", "--fail-if", "retries>5"],
            r#"invalid --fail-if "retries>5": a share is a percentage (99.5%) or a fraction between 0 and 1 (0.995), not 5"#.into(),
        ),
        (
            &["authz", "deploy", "--sort-by", "tcp"],
            r#"unknown --sort-by column "tcp" for authz; valid columns: route, server, authorization, unauthorized, success, rps, p50, p95, p99 (prefix with - for descending)"#.into(),
        ),
        (
            &["stat-outbound", "deploy", "--at", "yesterday"],
            r#"invalid --at value "yesterday": expected RFC 3339 (2026-01-01T00:20:00Z) or Unix seconds"#.into(),
        ),
    ];
    for (args, message) in cases {
        assert_eq!(usage_error(args), message, "args {args:?}");
    }
}

#[test]
fn clap_errors_keep_clap_usage_exit_2() {
    let run = lviz_raw(&["--prometheus-url", "http://127.0.0.1:9", "authz", "deploy", "--to", "deploy/x"], &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert!(run.stderr.starts_with("error: unexpected argument '--to' found\n"), "{}", run.stderr);
    assert!(run.stderr.contains("Usage: lviz authz"), "{}", run.stderr);
    let run = lviz_raw(&["stat-outbound"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

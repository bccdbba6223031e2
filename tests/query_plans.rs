//! The lviz query plan (bucket rates once, quantiles computed in lviz) against Linkerd's plan
//! (three `histogram_quantile` queries) and against Prometheus itself:
//! * every end-to-end case of `e2e_stat.rs` and `e2e_routes_edges_gateways.rs`, plus `--at`
//!   cases at unaligned times, prints byte-identical output on both plans;
//! * `engine::quantile` gives the very doubles Prometheus's `histogram_quantile` gives, on
//!   hand-made bucket sets (non-monotonic, empty, without `+Inf`, …) and on the mesh's data;
//! * `stat po -A` and `stat deploy -n X` list each Kubernetes collection once.

mod common;

use std::collections::BTreeMap;

use common::{env, lviz_raw};
use lviz_prom::Sample;
use lviz_prom::quantile::histogram_quantiles;
use lviz_testkit::fixtures::emojivoto_objects;
use lviz_testkit::kube::FakeKube;
use lviz_testkit::mesh::EVAL_TIME;
use serde_json::Value;

/// Every argument vector of the end-to-end suites (after the shared backend flags).
const E2E_CASES: &[&[&str]] = &[
    &["stat", "deploy/web", "-n", "emojivoto"],
    &["stat", "deploy", "-n", "emojivoto"],
    &["stat", "deploy", "-n", "emojivoto", "-o", "wide"],
    &["stat", "deploy", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["stat", "po", "-n", "emojivoto"],
    &["stat", "ns/emojivoto"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot", "-o", "wide"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/traffic", "--from-namespace", "ops"],
    &["stat", "deploy/web", "-n", "emojivoto", "--to", "deploy/voting"],
    &["stat", "deploy/traffic", "-n", "ops", "--to", "deploy/legacy"],
    &["stat", "svc/web-svc", "-n", "emojivoto"],
    &["stat", "deploy", "-n", "ops"],
    &["stat", "deploy", "-n", "ops", "--unmeshed"],
    &["stat", "deploy", "-A"],
    &["stat", "deploy/web", "po", "-n", "emojivoto"],
    &["stat", "all", "-n", "emojivoto"],
    &["stat", "po", "-n", "emojivoto", "-l", "app=emoji-svc"],
    &["stat", "svc/nope", "-n", "emojivoto"],
    &["stat", "svc/nope", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy/nope", "-n", "emojivoto"],
    &["--context", "other", "stat", "deploy"],
    &["routes", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/web", "-n", "emojivoto"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "json"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"],
    &["routes", "deploy/voting", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/nope", "-n", "emojivoto"],
    &["edges", "deploy", "-A", "-o", "json"],
    &["edges", "deploy", "-n", "ops", "-o", "json"],
    &["edges", "deploy", "-n", "ops"],
    &["gateways", "-o", "json"],
    &["gateways"],
    &["stat", "httproute", "-n", "emojivoto", "-o", "json"],
    &["stat-inbound", "deploy", "-A", "-o", "json"],
    &["stat-outbound", "deploy", "-A", "-o", "json"],
    &["stat-outbound", "deploy", "-n", "emojivoto"],
    &["authz", "deploy", "-A", "-o", "json"],
];

/// Cases whose latencies are not whole numbers of ms: windows that do not hold whole scrapes.
const UNALIGNED_AT: &[&str] = &["1767226795.5", "1767226803.7", "1767226790", "1767226501.25"];
const UNALIGNED_CASES: &[&[&str]] = &[
    &["stat", "deploy", "-A", "-o", "json"],
    &["stat", "po", "-A", "-o", "wide"],
    &["stat", "all", "-n", "emojivoto", "-o", "json"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot", "-o", "json"],
    &["stat", "svc", "-A", "-o", "json"],
    &["routes", "deploy/web", "-n", "emojivoto", "-o", "json"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "json"],
    &["gateways", "-o", "json"],
    &["stat-inbound", "deploy", "-A", "-o", "json"],
    &["stat-outbound", "deploy", "-A", "-o", "json"],
    &["authz", "deploy", "-A", "-o", "json"],
];

fn backend_args(at: &str) -> Vec<String> {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    ["--prometheus-url", &e.prometheus_url, "--kubeconfig", &kubeconfig, "--at", at].map(str::to_string).to_vec()
}

/// Runs one case on both plans and asserts identical exit code, stdout and stderr.
fn assert_same_on_both_plans(args: &[String]) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let lviz_plan = lviz_raw(&args, &[]);
    let mut linkerd_args = args.clone();
    linkerd_args.extend(["--query-plan", "linkerd"]);
    let linkerd_plan = lviz_raw(&linkerd_args, &[]);
    let explicit: Vec<&str> = args.iter().copied().chain(["--query-plan", "lviz"]).collect();
    let explicit = lviz_raw(&explicit, &[]);
    for (name, other) in [("--query-plan linkerd", &linkerd_plan), ("--query-plan lviz", &explicit)] {
        assert_eq!(lviz_plan.code, other.code, "exit code of {args:?} vs {name}");
        pretty_assertions::assert_eq!(lviz_plan.stdout, other.stdout, "stdout of {args:?} vs {name}");
        pretty_assertions::assert_eq!(lviz_plan.stderr, other.stderr, "stderr of {args:?} vs {name}");
    }
}

#[test]
fn both_plans_print_the_same_on_every_e2e_case() {
    let at = EVAL_TIME.to_string();
    for case in E2E_CASES {
        let mut args = backend_args(&at);
        args.extend(case.iter().map(|a| a.to_string()));
        assert_same_on_both_plans(&args);
    }
}

#[test]
fn both_plans_print_the_same_at_unaligned_times() {
    for at in UNALIGNED_AT {
        for window in ["1m", "30s"] {
            for case in UNALIGNED_CASES {
                let mut args = backend_args(at);
                args.extend(["-t".to_string(), window.to_string()]);
                args.extend(case.iter().map(|a| a.to_string()));
                assert_same_on_both_plans(&args);
            }
        }
    }
}

#[test]
fn unaligned_times_do_give_fractional_latencies() {
    // Guard for the test above: if every quantile were a whole number, equal output would
    // prove little. At 4.5 s before the data's end the windows hold uneven samples.
    let values = instant_query(
        &format!(
            "histogram_quantile(0.95, {})",
            "sum(irate(response_latency_ms_bucket{direction=\"inbound\"}[30s])) by (le, namespace, deployment)"
        ),
        "1767226795.5",
    );
    assert!(values.iter().any(|s| s.value.fract() != 0.0 && !s.value.is_nan()), "{values:?}");
}

fn prometheus_post(query: &str, at: &str) -> Value {
    let url = format!("{}/api/v1/query", env().prometheus_url);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let body = reqwest::Client::new()
            .post(url)
            .form(&[("query", query), ("time", at)])
            .send()
            .await
            .expect("Prometheus answers")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&body).expect("JSON")
    })
}

/// An instant vector, values parsed exactly as lviz's client reads them.
fn instant_query(query: &str, at: &str) -> Vec<Sample> {
    let json = prometheus_post(query, at);
    assert_eq!(json["status"], "success", "{query}: {json}");
    json["data"]["result"]
        .as_array()
        .expect("vector")
        .iter()
        .map(|s| {
            let labels: BTreeMap<String, String> = s["metric"]
                .as_object()
                .expect("metric")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let raw = s["value"][1].as_str().expect("value string");
            let value = match raw {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().expect("float"),
            };
            Sample { labels, value }
        })
        .collect()
}

fn same_double(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Asserts `histogram_quantile(q, buckets)` in Prometheus equals lviz's quantile of `buckets`.
fn assert_matches_prometheus(buckets: &str, at: &str, qs: &[f64]) -> usize {
    let input = instant_query(buckets, at);
    let ours = histogram_quantiles(&input, qs);
    let mut compared = 0;
    for (q, ours) in qs.iter().zip(ours) {
        let theirs = instant_query(&format!("histogram_quantile({q:?}, {buckets})"), at);
        let ours: BTreeMap<_, f64> = ours.into_iter().map(|s| (s.labels, s.value)).collect();
        let theirs: BTreeMap<_, f64> = theirs.into_iter().map(|s| (s.labels, s.value)).collect();
        assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>(), "groups of {buckets} at q={q}");
        for (labels, theirs) in &theirs {
            let mine = ours[labels];
            assert!(
                same_double(mine, *theirs),
                "q={q} {labels:?} of {buckets} at {at}: lviz {mine:?}, Prometheus {theirs:?}"
            );
            compared += 1;
        }
    }
    compared
}

/// A vector of literal buckets: `le` → cumulative count, in one group per `g`.
fn literal_buckets(groups: &[(&str, &[(&str, f64)])]) -> String {
    let mut parts = Vec::new();
    for (g, buckets) in groups {
        for (le, count) in *buckets {
            parts.push(format!(
                "label_replace(label_replace(vector({count:?}), \"le\", \"{le}\", \"\", \"\"), \"g\", \"{g}\", \"\", \"\")"
            ));
        }
    }
    format!("({})", parts.join(" or "))
}

const QS: &[f64] = &[-0.5, 0.0, 0.01, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0, 1.5];

#[test]
fn quantiles_equal_prometheus_on_hand_made_buckets() {
    let at = EVAL_TIME.to_string();
    let groups: &[(&str, &[(&str, f64)])] = &[
        ("plain", &[("10", 3.0), ("20", 7.0), ("50", 9.0), ("+Inf", 10.0)]),
        ("unsorted", &[("+Inf", 10.0), ("50", 9.0), ("10", 3.0), ("20", 7.0)]),
        ("dip", &[("1", 5.0), ("2", 3.0), ("5", 8.0), ("+Inf", 8.0)]),
        ("empty-middle", &[("1", 2.0), ("50", 2.0), ("100", 2.0), ("200", 9.0), ("+Inf", 9.0)]),
        ("tail", &[("10", 1.0), ("50000", 2.0), ("+Inf", 100.0)]),
        ("no-inf", &[("10", 1.0), ("20", 2.0)]),
        ("only-inf", &[("+Inf", 4.0)]),
        ("zero", &[("10", 0.0), ("+Inf", 0.0)]),
        ("negative-bound", &[("-5", 1.0), ("0", 2.0), ("10", 4.0), ("+Inf", 4.0)]),
        ("zero-bound", &[("0", 1.0), ("10", 3.0), ("+Inf", 3.0)]),
        ("fractional", &[("0.5", 0.1), ("2.5", 0.30000000000000004), ("7", 0.7), ("+Inf", 1.1)]),
        ("same-bound", &[("1", 1.0), ("1.0", 2.0), ("3", 5.0), ("+Inf", 6.0)]),
        ("not-a-bound", &[("ten", 1.0), ("10", 2.0), ("+Inf", 4.0)]),
    ];
    let compared = assert_matches_prometheus(&literal_buckets(groups), &at, QS);
    assert!(compared >= 12 * QS.len(), "compared only {compared}");
}

#[test]
fn quantiles_equal_prometheus_on_the_mesh() {
    let exprs = [
        "sum(irate(response_latency_ms_bucket{direction=\"inbound\"}[W])) by (le, namespace, deployment)",
        "sum(irate(response_latency_ms_bucket{direction=\"inbound\"}[W])) by (le, namespace, pod)",
        "sum(irate(response_latency_ms_bucket{direction=\"outbound\"}[W])) by (le, dst_namespace, dst_service)",
        "sum(irate(route_response_latency_ms_bucket[W])) by (le, dst, rt_route)",
        "sum(irate(gateway_probe_latency_ms_bucket[W])) by (le, target_cluster_name)",
        // Unsummed: per-series buckets, with every original label.
        "irate(response_latency_ms_bucket{namespace=\"emojivoto\"}[W])",
    ];
    let mut compared = 0;
    for at in UNALIGNED_AT.iter().copied().chain([EVAL_TIME.to_string().as_str()]) {
        for window in ["1m", "30s", "15s"] {
            for e in exprs {
                compared += assert_matches_prometheus(&e.replace("[W]", &format!("[{window}]")), at, QS);
            }
        }
    }
    assert!(compared > 1000, "compared only {compared}");
}

/// Kubernetes list calls of one command against a private fake API server.
fn list_calls(args: &[&str]) -> BTreeMap<String, usize> {
    let kube = FakeKube::start_background(emojivoto_objects()).expect("fake API server");
    let kubeconfig = kube.kubeconfig_path().to_string_lossy().to_string();
    let at = EVAL_TIME.to_string();
    let mut full = vec!["--prometheus-url", env().prometheus_url.as_str(), "--kubeconfig", &kubeconfig, "--at", &at];
    full.extend(args);
    let run = lviz_raw(&full, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    kube.request_counts()
}

#[test]
fn stat_lists_each_collection_once() {
    let pods = list_calls(&["stat", "po", "-A"]);
    assert_eq!(pods.get("/api/v1/pods"), Some(&1), "{pods:#?}");
    assert_eq!(pods.values().sum::<usize>(), 1, "only pods are needed: {pods:#?}");

    let deploys = list_calls(&["stat", "deploy", "-n", "emojivoto"]);
    let scoped = |kind: &str| deploys.get(&format!("/apis/apps/v1/namespaces/emojivoto/{kind}")).copied();
    assert_eq!(scoped("deployments"), Some(1), "{deploys:#?}");
    assert_eq!(scoped("replicasets"), Some(1), "{deploys:#?}");
    assert_eq!(deploys.get("/api/v1/namespaces/emojivoto/pods"), Some(&1), "{deploys:#?}");
    assert_eq!(deploys.values().sum::<usize>(), 3, "{deploys:#?}");
}

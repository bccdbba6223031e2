//! Native histograms end to end: the emojivoto mesh written both ways into Prometheus 3.5.3 (its
//! latency histograms as classic `_bucket` series in one, as native histograms with custom
//! buckets and no `_bucket` series in the other), and every view that reads a histogram prints
//! the same table from both. lviz asks the classic form first; when a histogram answers nothing
//! although its rows have requests, it probes which form exists and asks again in that form.
//!
//! Tables (and wide tables) are compared byte for byte: their cells are rounded. JSON is
//! compared to 1e-12 relative, not bit for bit: a native quantile adds per-bucket rates where a
//! classic one adds cumulative ones, so a raw float may differ in its last digits (≤ 23 ulps on
//! this mesh; see crates/testkit/tests/native_histograms.rs).
//!
//! And with neither form (the histograms deleted through Prometheus's admin API), rows keep
//! their counts, latencies print 0ms, and the hint names the missing histogram.

mod common;

use common::{Run, env, lviz_raw};
use lviz_testkit::mesh::{EVAL_TIME, Mesh};
use lviz_testkit::prometheus::{
    Flavor, PrometheusOptions, PrometheusServer, require_prometheus3, shared_prometheus3, shared_prometheus3_native,
};
use serde_json::Value;

fn on(prometheus_url: &str, args: &[&str]) -> Run {
    let e = env();
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let mut full = vec!["--prometheus-url", prometheus_url, "--at", &at, "--kubeconfig", &kubeconfig];
    full.extend(args);
    lviz_raw(&full, &[])
}

/// Every view that reads a latency histogram.
const VIEWS: &[&[&str]] = &[
    &["stat", "deploy", "-n", "emojivoto"],
    &["stat", "po", "-A", "-o", "wide"],
    &["stat", "svc", "-n", "emojivoto"],
    &["stat", "httproute", "-n", "emojivoto"],
    &["routes", "deploy/web", "-n", "emojivoto"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"],
    &["gateways"],
    &["stat-inbound", "deploy", "-A", "-o", "wide"],
    &["stat-outbound", "deploy", "-A", "-o", "wide"],
    &["authz", "deploy", "-A", "-o", "wide"],
];

fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys()) && x.iter().zip(y).all(|((_, a), (_, b))| close(a, b))
        }
        _ => a == b,
    }
}

#[test]
fn both_forms_give_the_same_tables() {
    let test = "both_forms_give_the_same_tables";
    let (Some(classic), Some(native)) = (shared_prometheus3(test), shared_prometheus3_native(test)) else { return };
    for args in VIEWS {
        for plan in ["lviz", "linkerd"] {
            let mut with_plan = vec!["--query-plan", plan];
            with_plan.extend(*args);
            let c = on(&classic.url(), &with_plan).ok();
            let n = on(&native.url(), &with_plan).ok();
            assert_eq!(n.stdout, c.stdout, "lviz {} ({plan} plan)", args.join(" "));
            assert!(c.stdout.lines().skip(1).any(|l| l.contains("ms ") || l.ends_with("ms")), "{}", c.stdout);
            // The same view as JSON (its `-o wide` replaced).
            let mut json: Vec<&str> = Vec::new();
            let mut skip = false;
            for a in &with_plan {
                if std::mem::take(&mut skip) {
                    continue;
                }
                skip = *a == "-o";
                if !skip {
                    json.push(a);
                }
            }
            json.extend(["-o", "json"]);
            let (c, n) = (on(&classic.url(), &json).ok().json(), on(&native.url(), &json).ok().json());
            assert!(close(&c, &n), "lviz {} -o json ({plan} plan):\nclassic {c}\nnative {n}", args.join(" "));
        }
    }
}

/// `lviz_prometheus_queries_total` of a server: the queries it sent to Prometheus.
fn queries_sent(server: &common::serve::Server) -> u64 {
    let text = block_on(async {
        reqwest::get(format!("{}/metrics", server.direct_url)).await.expect("metrics").text().await.expect("text")
    });
    text.lines()
        .find_map(|l| l.strip_prefix("lviz_prometheus_queries_total ")?.parse().ok())
        .unwrap_or_else(|| panic!("no query counter in {text}"))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

#[test]
fn a_server_probes_each_family_once() {
    let test = "a_server_probes_each_family_once";
    let (Some(classic), Some(native)) = (shared_prometheus3(test), shared_prometheus3_native(test)) else { return };
    let server = common::serve::start_server(&native.url(), &["--cache-ttl", "0s"]);
    let e = env();
    let at = EVAL_TIME.to_string();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    // (args, the lviz plan's classic queries that come back empty the first time).
    let cases: [(&[&str], u64); 2] = [
        // 6 counters and 4 histograms in two `le` parts.
        (&["stat-outbound", "deploy", "-n", "emojivoto"], 14),
        // requests, the two bucket parts, 3 TCP queries.
        (&["stat", "deploy", "-n", "emojivoto"], 6),
    ];
    for (args, classic_queries) in cases {
        let mut remote = vec!["--api-addr", server.url.as_str(), "--at", &at, "--kubeconfig", &kubeconfig];
        remote.extend(args);
        let mut sent = Vec::new();
        for _ in 0..2 {
            let before = queries_sent(&server);
            assert_eq!(lviz_raw(&remote, &[]).ok().stdout, on(&classic.url(), args).ok().stdout, "{args:?}");
            sent.push(queries_sent(&server) - before);
        }
        // First: the classic plan, one probe, the native plan; then the native plan alone.
        assert_eq!(sent[0], sent[1] + classic_queries + 1, "{args:?}: {sent:?}");
    }
}

/// A private Prometheus 3 holding the mesh with every latency histogram deleted.
fn without_histograms() -> Option<PrometheusServer> {
    if !require_prometheus3("neither_form_leaves_counts_and_a_hint") {
        return None;
    }
    let opts = PrometheusOptions {
        flavor: Flavor::V3,
        extra_args: vec!["--web.enable-admin-api".to_string()],
        ..Default::default()
    };
    let prom = PrometheusServer::start_with(&Mesh::emojivoto(), &opts).expect("Prometheus 3");
    let matcher = r#"{__name__=~".+_bucket|.+_(ms|seconds)(_count|_sum)?"}"#;
    let url = format!("{}/api/v1/admin/tsdb/delete_series", prom.url());
    let status = block_on(async { reqwest::Client::new().post(&url).form(&[("match[]", matcher)]).send().await })
        .expect("delete_series")
        .status();
    assert!(status.is_success(), "delete_series answered {status}");
    Some(prom)
}

#[test]
fn neither_form_leaves_counts_and_a_hint() {
    let Some(prom) = without_histograms() else { return };
    let run = on(&prom.url(), &["stat-inbound", "deploy", "-n", "emojivoto"]).ok();
    assert!(
        run.stdout.contains("web     [default]:8080    [default]               93.33%  3.00          0ms"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "hint: Prometheus has neither classic (response_latency_ms_bucket) nor native (response_latency_ms) series \
         of the response_latency_ms histogram at 2026-01-01T00:20:00Z: latencies cannot be computed; check the \
         scrape config (metric_relabel_configs)\n"
    );
    let run = on(&prom.url(), &["stat-outbound", "deploy", "-n", "emojivoto"]).ok();
    assert!(run.stderr.starts_with("hint: Prometheus holds no outbound route histogram"), "{}", run.stderr);
}

//! The lviz plan asks a histogram's bucket rates as two queries over disjoint `le` sets, so
//! Prometheus computes them on two cores. Prometheus 3 stores a typed histogram's `le` in float
//! form (`"1.0"` where 2.42 keeps the proxy's `"1"`): a split regex written for one spelling
//! would put every bucket in the second query, silently losing the parallelism. On both
//! versions, each part holds the buckets it should (13/13 for Linkerd's 26 bounds, 2/3 and 4/4
//! for the route families), and together they are exactly the unsplit query's answer.

use std::collections::{BTreeMap, BTreeSet};

use lviz_engine::histograms::{HistogramForm, Latency};
use lviz_engine::promql::{Matcher, Selector};
use lviz_testkit::mesh::EVAL_TIME;
use lviz_testkit::prometheus::{shared_prometheus, shared_prometheus3};
use serde_json::Value;

type Answer = BTreeSet<(BTreeMap<String, String>, String)>;

fn query(base: &str, expr: &str) -> Answer {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let body: Value = rt.block_on(async {
        let time = EVAL_TIME.to_string();
        let r = reqwest::Client::new()
            .post(format!("{base}/api/v1/query"))
            .form(&[("query", expr), ("time", time.as_str())])
            .send()
            .await
            .expect("query");
        r.json().await.expect("JSON")
    });
    assert_eq!(body["status"], "success", "{expr}: {body}");
    body["data"]["result"]
        .as_array()
        .expect("vector")
        .iter()
        .map(|s| {
            let labels = serde_json::from_value(s["metric"].clone()).expect("labels");
            (labels, s["value"][1].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// `le` values per group (the labels other than `le`).
fn bounds_per_group(answer: &Answer) -> BTreeMap<BTreeMap<String, String>, BTreeSet<String>> {
    let mut out: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for (labels, _) in answer {
        let mut group = labels.clone();
        let le = group.remove("le").unwrap_or_default();
        out.entry(group).or_default().insert(le);
    }
    out
}

/// (family, group, lower bounds, (first, second) buckets per group).
type Case = (&'static str, &'static str, &'static [&'static str], (usize, usize));

const CASES: &[Case] = &[
    ("response_latency_ms", "namespace, deployment", lviz_engine::promql::LATENCY_MS_LOWER, (13, 13)),
    ("outbound_http_route_request_duration_seconds", "parent_name, deployment", &["0.05", "0.5"], (2, 3)),
    (
        "outbound_grpc_route_backend_response_duration_seconds",
        "backend_name, deployment",
        &["0.025", "0.05", "0.1", "0.25"],
        (4, 4),
    ),
];

fn parts_split_as_meant(base: &str, float_le: bool) {
    let labels = Selector::new().with(Matcher::eq("namespace", "emojivoto"));
    for (family, group, lower, (first, second)) in CASES {
        let latency = Latency::build(HistogramForm::Classic, family, std::slice::from_ref(&labels), "1m", group, lower);
        let [low, high] = [&latency.buckets[0], &latency.buckets[1]].map(|q| query(base, q));
        let whole = query(base, &format!("sum(irate({family}_bucket{}[1m])) by (le, {group})", labels.render()));
        assert!(!whole.is_empty(), "{family}: no data");
        assert!(low.is_disjoint(&high), "{family}: the parts overlap");
        assert_eq!(low.union(&high).cloned().collect::<Answer>(), whole, "{family}: the parts are not the whole");
        let groups = bounds_per_group(&whole).len();
        assert_eq!(bounds_per_group(&low).len(), groups, "{family}: every group has buckets in the first part");
        assert_eq!(bounds_per_group(&high).len(), groups, "{family}: every group has buckets in the second part");
        for (g, les) in bounds_per_group(&low) {
            assert_eq!(les.len(), *first, "{family} {g:?}: {les:?}");
            // On 3.x the ms bounds are spelled in float form, and still land in the first part.
            if family.ends_with("_ms") {
                assert_eq!(les.contains("1.0"), float_le, "{les:?}");
                assert_eq!(les.contains("1"), !float_le, "{les:?}");
            }
        }
        for (g, les) in bounds_per_group(&high) {
            assert_eq!(les.len(), *second, "{family} {g:?}: {les:?}");
        }
    }
}

#[test]
fn parts_split_evenly_on_prometheus2() {
    parts_split_as_meant(&shared_prometheus().url(), false);
}

#[test]
fn parts_split_evenly_on_prometheus3() {
    let Some(prom) = shared_prometheus3("parts_split_evenly_on_prometheus3") else { return };
    parts_split_as_meant(&prom.url(), true);
}

//! Shared by the Prometheus-backed tests: instant queries at `EVAL_TIME`, Linkerd's query strings
//! for stat-inbound, stat-outbound and authz (viz/cmd/stat-inbound.go `queryRate`/
//! `queryQuantiles`, viz/metrics-api/authz.go), and comparison with the model's answers.

#![allow(dead_code)]

use std::collections::BTreeMap;

use lviz_testkit::EVAL_TIME;
use lviz_testkit::mesh::{Mesh, ModelSample};

pub type Labels = BTreeMap<String, String>;

/// One element of an answer: labels and value.
pub type ModelRow = (Labels, f64);

/// The vector an instant query at `EVAL_TIME` answers, as (labels without `__name__`, value).
pub async fn query(base: &str, expr: &str) -> Vec<(Labels, f64)> {
    let time = EVAL_TIME.to_string();
    let resp: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/query"))
        .form(&[("query", expr), ("time", time.as_str())])
        .send()
        .await
        .expect("query Prometheus")
        .json()
        .await
        .expect("JSON answer");
    assert_eq!(resp["status"], "success", "{expr}: {resp}");
    resp["data"]["result"]
        .as_array()
        .expect("vector result")
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .expect("metric")
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let v: f64 = s["value"][1].as_str().expect("a float sample").parse().expect("float");
            (labels, v)
        })
        .collect()
}

/// `{a="x", b="y"}` as Go's `model.LabelSet.String()` prints it (sorted).
pub fn label_set(pairs: &[(&str, &str)]) -> String {
    let mut pairs = pairs.to_vec();
    pairs.sort();
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

pub const QUANTILES: [&str; 3] = ["0.5", "0.95", "0.99"];

/// `queryRate` and `queryQuantiles` of stat-inbound.go: one rate query and three quantile queries.
fn stat_queries(
    rate: (&str, &[&str]),
    latency: (&str, &[&str]),
    labels: &str,
    window: &str,
    resource: &[&str],
) -> Vec<String> {
    let by = |g: &[&str]| g.iter().chain(resource).copied().collect::<Vec<_>>().join(", ");
    let mut out = vec![format!("sum(increase({}{labels}[{window}])) by ({})", rate.0, by(rate.1))];
    for q in QUANTILES {
        out.push(format!(
            "histogram_quantile({q}, sum(irate({}{labels}[{window}])) by (le, {}))",
            latency.0,
            by(latency.1)
        ));
    }
    out
}

/// The queries of `linkerd viz stat-inbound <kind>[/name] -n ns` (`kind_label` e.g. `deployment`).
pub fn stat_inbound(kind_label: &str, name: Option<&str>, ns: &str, window: &str) -> Vec<String> {
    let mut pairs = vec![("direction", "inbound"), ("namespace", ns)];
    pairs.extend(name.map(|n| (kind_label, n)));
    let group = ["srv_name", "srv_kind", "route_name", "route_kind", "classification", "target_port"];
    let latency = ["srv_name", "srv_kind", "route_name", "route_kind", "target_port"];
    stat_queries(
        ("response_total", &group),
        ("response_latency_ms_bucket", &latency),
        &label_set(&pairs),
        window,
        &["namespace", kind_label],
    )
}

/// The queries of `linkerd viz stat-outbound <kind>[/name] -n ns`: per protocol, the backend
/// statuses and latency, then the route statuses, retries and latency.
pub fn stat_outbound(kind_label: &str, name: Option<&str>, ns: &str, window: &str) -> Vec<String> {
    let mut pairs = vec![("namespace", ns)];
    pairs.extend(name.map(|n| (kind_label, n)));
    let labels = label_set(&pairs);
    let resource = ["namespace", kind_label];
    let mut out = Vec::new();
    for proto in ["http", "grpc"] {
        let status = format!("{proto}_status");
        let f = |family: &str| format!("outbound_{proto}_route_{family}");
        let backend = ["parent_name", "parent_port", "backend_name", "backend_port", "route_name", "route_kind"];
        let backend_status: Vec<&str> = backend.iter().copied().chain([status.as_str(), "error"]).collect();
        out.extend(stat_queries(
            (&f("backend_response_statuses_total"), &backend_status),
            (&f("backend_response_duration_seconds_bucket"), &backend),
            &labels,
            window,
            &resource,
        ));
        let route = ["parent_name", "parent_port", "route_name", "route_kind"];
        let route_status: Vec<&str> = route.iter().copied().chain([status.as_str(), "error"]).collect();
        let by = |g: &[&str]| g.iter().chain(&resource).copied().collect::<Vec<_>>().join(", ");
        out.push(format!(
            "sum(increase({}{labels}[{window}])) by ({})",
            f("request_statuses_total"),
            by(&route_status)
        ));
        out.push(format!("sum(increase({}{labels}[{window}])) by ({})", f("retry_requests_total"), by(&route)));
        for q in QUANTILES {
            out.push(format!(
                "histogram_quantile({q}, sum(irate({}{labels}[{window}])) by (le, {}))",
                f("request_duration_seconds_bucket"),
                by(&route)
            ));
        }
    }
    out
}

/// The metrics API queries of `linkerd viz authz <kind>[/name] -n ns` (authz.go); `ns` None is
/// lviz's `-A` (no namespace label).
pub fn authz(kind_label: &str, name: Option<&str>, ns: Option<&str>, window: &str) -> Vec<String> {
    let mut pairs: Vec<(&str, &str)> = ns.map(|ns| ("namespace", ns)).into_iter().collect();
    pairs.extend(name.map(|n| (kind_label, n)));
    let labels = label_set(&pairs);
    pairs.push(("direction", "inbound"));
    let req = label_set(&pairs);
    let group = "route_kind, route_name, authz_kind, authz_name, srv_kind, srv_name";
    let mut out = vec![
        format!("sum(increase(response_total{req}[{window}])) by ({group}, classification, tls)"),
        format!("sum(increase(inbound_http_authz_allow_total{labels}[{window}])) by ({group})"),
        format!("sum(increase(inbound_http_authz_deny_total{labels}[{window}])) by ({group})"),
    ];
    for q in QUANTILES {
        out.push(format!(
            "histogram_quantile({q}, sum(irate(response_latency_ms_bucket{req}[{window}])) by (le, {group}))"
        ));
    }
    out
}

/// Every query of the README's "Modern Linkerd" expected answers.
pub fn modern_queries() -> Vec<String> {
    let mut out = stat_inbound("deployment", None, "emojivoto", "1m");
    out.extend(stat_inbound("deployment", Some("voting"), "emojivoto", "1m"));
    out.extend(stat_outbound("deployment", None, "emojivoto", "1m"));
    out.extend(stat_outbound("deployment", Some("vote-bot"), "emojivoto", "1m"));
    out.extend(stat_outbound("deployment", None, "ops", "1m"));
    for name in ["voting", "web"] {
        out.extend(authz("deployment", Some(name), Some("emojivoto"), "1m"));
    }
    out.extend(authz("deployment", None, Some("emojivoto"), "1m"));
    out.extend(authz("deployment", None, None, "1m"));
    out
}

/// Whether Prometheus's value equals the model's: counts exactly (linear counters give exact
/// integers), quantiles to 1e-9 relative (Prometheus sums per-second rates, the model counts).
pub fn same_value(actual: f64, expected: f64) -> bool {
    (actual.is_nan() && expected.is_nan()) || (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// Asserts that `answer` is the model's answer to `expr`, element by element.
pub fn assert_model_answer(mesh: &Mesh, expr: &str, answer: &[(Labels, f64)]) {
    let model: Vec<ModelSample> = mesh.model_query(expr).unwrap_or_else(|e| panic!("model: {expr}: {e}"));
    let mut got: Vec<(Labels, f64)> = answer.to_vec();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(Labels, f64)> = model.into_iter().map(|s| (s.labels, s.value)).collect();
    let keys = |v: &[(Labels, f64)]| v.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&got), keys(&want), "{expr}: the groups differ");
    // Counts must be exact: stat-inbound and stat-outbound truncate (`uint64(v)`), so
    // 47.99999999999999 would print 47.
    let exact = !expr.starts_with("histogram_quantile");
    for ((labels, a), (_, e)) in got.iter().zip(&want) {
        let ok = if exact { a == e } else { same_value(*a, *e) };
        assert!(ok, "{expr}: {labels:?}: Prometheus {a}, model {e}");
    }
}

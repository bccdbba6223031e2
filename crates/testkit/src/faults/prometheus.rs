//! Prometheus in its own words: the success and error envelopes of `/api/v1/*`, good
//! `status/config` and `status/buildinfo` answers, answers of the wrong result type, a huge
//! vector, and instant vectors shaped after the request's PromQL (`Fault::PromSamples`).

use serde_json::{Map, Value, json};

use super::body::Body;
use super::conn::SeenRequest;
use super::plan::Labels;
use crate::mesh::EVAL_TIME;

/// `{"status":"success","data":…}`.
pub fn success(data: Value) -> String {
    json!({"status": "success", "data": data}).to_string()
}

/// Prometheus's error envelope.
pub fn error_envelope(error_type: &str, error: &str) -> String {
    json!({"status": "error", "errorType": error_type, "error": error}).to_string()
}

/// The `errorType` Prometheus (or Thanos/Mimir in front of it) gives a status code.
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 | 401 | 403 => "bad_data",
        404 => "not_found",
        406 => "not_acceptable",
        422 | 429 => "execution",
        502 | 503 => "unavailable",
        504 => "timeout",
        _ => "internal",
    }
}

/// A small, valid vector answer (used as the body the transport faults break).
pub fn good_vector() -> String {
    let sample = |pod: &str, value: &str| json!({"metric": {"namespace": "emojivoto", "deployment": "web", "pod": pod}, "value": [EVAL_TIME, value]});
    success(json!({"resultType": "vector", "result": [
        sample("web-6b8c6f9d8b-9kq2x", "168"),
        sample("web-6b8c6f9d8b-4ffwz", "12"),
    ]}))
}

/// `/api/v1/status/config` of a Prometheus scraping every 10 s.
pub fn good_config() -> String {
    success(json!({"yaml": "global:\n  scrape_interval: 10s\n  scrape_timeout: 10s\n  evaluation_interval: 10s\n"}))
}

/// `/api/v1/status/buildinfo` of Debian's Prometheus 2.42.
pub fn good_buildinfo() -> String {
    success(json!({
        "version": "2.42.0+ds", "revision": "", "branch": "debian/sid",
        "buildUser": "team+pkg-go@tracker.debian.org", "buildDate": "20230311-12:00:00", "goVersion": "go1.19.6"
    }))
}

/// A success whose `resultType` is not the `vector` an instant query of lviz expects.
pub fn wrong_type(result_type: &str) -> String {
    let result = match result_type {
        "matrix" => json!([{"metric": {"namespace": "emojivoto", "deployment": "web"},
                             "values": [[EVAL_TIME - 10, "1"], [EVAL_TIME, "2"]]}]),
        "scalar" => json!([EVAL_TIME, "1"]),
        _ => json!([EVAL_TIME, "hello"]),
    };
    success(json!({"resultType": result_type, "result": result}))
}

/// A vector answer of about `bytes` bytes, generated as it is sent (one series per pod).
pub fn huge_vector(bytes: u64) -> Body {
    let item = format!(
        r#"{{"metric":{{"__name__":"response_total","namespace":"emojivoto","deployment":"web","pod":"web-{{i}}"}},"value":[{EVAL_TIME},"1"]}}"#
    );
    Body::repeat_to_size(r#"{"status":"success","data":{"resultType":"vector","result":["#, &item, ",", "]}}", bytes)
}

/// The answer of `Fault::PromSamples` to `request`.
pub fn samples(request: &SeenRequest, value: &str, labels: Labels) -> String {
    let query = request.param("query").unwrap_or_default();
    let time = request.param("time").and_then(|t| t.parse::<f64>().ok()).unwrap_or(EVAL_TIME as f64);
    let mut names = grouping(&query);
    if query.trim_start().starts_with("histogram_quantile") {
        names.retain(|n| n != "le");
    }
    let les: &[&str] = if names.iter().any(|n| n == "le") { &["10", "100", "+Inf"] } else { &[""] };
    let result: Vec<Value> = les
        .iter()
        .map(|le| {
            let mut metric = Map::new();
            for (i, name) in names.iter().enumerate() {
                if labels == Labels::Missing && i % 2 == 0 {
                    continue;
                }
                let plain = if name == "le" { le.to_string() } else { plausible(name).to_string() };
                let shown = match labels {
                    Labels::Hostile => format!("\u{1b}[31m{plain}\u{7}\r\u{0}\u{202e}\u{1b}[0m"),
                    _ => plain,
                };
                metric.insert(name.clone(), Value::String(shown));
            }
            json!({"metric": metric, "value": [time, value]})
        })
        .collect();
    success(json!({"resultType": "vector", "result": result}))
}

/// The labels of the last `by (…)` clause of `query`.
pub fn grouping(query: &str) -> Vec<String> {
    let bytes = query.as_bytes();
    let mut found = None;
    let mut from = 0;
    while let Some(at) = query[from..].find("by") {
        let start = from + at;
        from = start + 2;
        let word_start = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let rest = query[start + 2..].trim_start();
        if word_start && rest.starts_with('(') {
            found = Some(rest[1..].split(')').next().unwrap_or_default().to_string());
        }
    }
    found
        .map(|list| list.split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default()
}

/// An emojivoto-looking value for a label name.
fn plausible(label: &str) -> &'static str {
    match label {
        l if l.ends_with("namespace") => "emojivoto",
        l if l == "pod" || l.ends_with("_pod") => "web-6b8c6f9d8b-9kq2x",
        l if l.ends_with("service") || l == "authority" => "web-svc",
        "classification" => "success",
        "tls" => "true",
        "direction" => "inbound",
        "rt_route" | "route" => "GET /api/list",
        l if l.contains("cluster") => "east",
        _ => "web",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_takes_the_last_by_clause() {
        let q = "histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{direction=\"inbound\"}[1m])) by (le, namespace, deployment))";
        assert_eq!(grouping(q), ["le", "namespace", "deployment"]);
        assert_eq!(
            grouping("sum(x) by(pod) / sum(y) by (namespace , dst_deployment)"),
            ["namespace", "dst_deployment"]
        );
        assert!(grouping("sum(bytes_total)").is_empty());
        assert!(grouping("sum(x{standby=\"1\"})").is_empty());
    }
}

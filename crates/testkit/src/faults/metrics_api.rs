//! The lviz/Linkerd metrics API (`../shared/spec/metrics-api.openapi.yml`) in its own words:
//! the spec's `{"error":{"error":…}}` object, the empty `ok` answers of a healthy server,
//! answers that are neither `ok` nor `error` or have the wrong shape, and a huge answer.

use serde_json::json;

use super::body::Body;
use super::plan::Reply;

/// The spec's error object.
pub fn error(message: &str) -> String {
    json!({"error": {"error": message}}).to_string()
}

/// A small, valid `stat` answer (the body the transport faults break).
pub fn good_stat() -> String {
    json!({"ok": {"stat_tables": [{"pod_group": {"rows": [{
        "resource": {"namespace": "emojivoto", "type": "deployment", "name": "web"},
        "time_window": "1m", "meshed_pod_count": 1, "running_pod_count": 1, "failed_pod_count": 0
    }]}}]}})
    .to_string()
}

/// A healthy server with nothing to report: each endpoint's empty `ok` answer.
pub fn healthy(path: &str) -> Reply {
    let body = match path.trim_end_matches('/') {
        p if p.ends_with("/api/v1/stat") => json!({"ok": {"stat_tables": []}}),
        p if p.ends_with("/api/v1/top-routes") => json!({"ok": {"routes": []}}),
        p if p.ends_with("/api/v1/edges") => json!({"ok": {"edges": []}}),
        p if p.ends_with("/api/v1/gateways") => json!({"ok": {"gateways_table": {"rows": []}}}),
        p if p.ends_with("/ready") => return Reply::new(200, "text/plain", "ok"),
        _ => return Reply::new(404, "application/json", error("not found")),
    };
    Reply::new(200, "application/json", body.to_string())
}

/// Bodies of the right syntax and the wrong meaning, by name.
pub fn wrong_shapes() -> Vec<(&'static str, &'static str)> {
    vec![
        ("neither-ok-nor-error", "{}"),
        ("ok-null", r#"{"ok":null}"#),
        ("top-level-array", "[]"),
        ("ok-array", r#"{"ok":[]}"#),
        (
            "ok-tables-not-array",
            r#"{"ok":{"stat_tables":"none","routes":"none","edges":"none","gateways_table":"none"}}"#,
        ),
        ("error-not-object", r#"{"error":"a string where an object belongs"}"#),
        ("error-without-message", r#"{"error":{}}"#),
    ]
}

/// A `stat` answer of about `bytes` bytes, generated as it is sent (one row per pod).
pub fn huge_stat(bytes: u64) -> Body {
    let item = r#"{"resource":{"namespace":"emojivoto","type":"pod","name":"web-{i}"},"time_window":"1m","meshed_pod_count":1,"running_pod_count":1,"failed_pod_count":0}"#;
    Body::repeat_to_size(r#"{"ok":{"stat_tables":[{"pod_group":{"rows":["#, item, ",", "]}}]}}", bytes)
}

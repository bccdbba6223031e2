//! The Kubernetes API in its own words: `Status` bodies with the reasons the API server gives
//! each code, lists and their paging faults (`Fault::KubeList`), the canned answers of a
//! healthy but empty cluster, and a huge list.

use serde_json::{Value, json};

use super::body::Body;
use super::conn::SeenRequest;
use super::plan::{Paging, Reply};

/// A `metav1.Status` failure body.
pub fn status(code: u16, message: &str) -> String {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason(code), "code": code,
    });
    if matches!(code, 429 | 503) {
        body["details"] = json!({"retryAfterSeconds": 1});
    }
    body.to_string()
}

/// The `reason` the API server gives a status code.
pub fn reason(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

/// What the API server says with each code.
pub fn message(code: u16) -> &'static str {
    match code {
        401 => "Unauthorized",
        403 => {
            "pods is forbidden: User \"system:serviceaccount:default:lviz\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
        }
        404 => "the server could not find the requested resource",
        410 => {
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
        }
        429 => "storage is (re)initializing",
        503 => "the server is currently unable to handle the request",
        _ => "Internal error occurred: etcdserver: request timed out",
    }
}

/// A small, valid pod list (the body the transport faults break).
pub fn good_list() -> String {
    list(vec![item(0)], None)
}

fn item(n: u64) -> Value {
    json!({"metadata": {"name": format!("web-{n:010}"), "namespace": "emojivoto", "resourceVersion": "1",
                        "uid": format!("00000000-0000-4000-8000-{n:012}")}})
}

fn list(items: Vec<Value>, continue_token: Option<String>) -> String {
    let mut metadata = json!({"resourceVersion": "1"});
    if let Some(token) = continue_token {
        metadata["continue"] = Value::String(token);
    }
    json!({"kind": "List", "apiVersion": "v1", "metadata": metadata, "items": items}).to_string()
}

/// A pod list of about `bytes` bytes, generated as it is sent.
pub fn huge_list(bytes: u64) -> Body {
    let item = r#"{"metadata":{"name":"web-{i}","namespace":"emojivoto","resourceVersion":"1","labels":{"app":"web","linkerd.io/control-plane-ns":"linkerd"}},"status":{"phase":"Running","podIP":"10.42.0.12"}}"#;
    Body::repeat_to_size(
        r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":["#,
        item,
        ",",
        "]}",
        bytes,
    )
}

/// True for `watch=true` / `watch=1` requests.
pub fn is_watch(request: &SeenRequest) -> bool {
    request.param("watch").is_some_and(|w| w == "true" || w == "1")
}

/// The answer of `Fault::KubeList` to a list request.
pub fn page(request: &SeenRequest, paging: Paging) -> Reply {
    let presented = request.param("continue").filter(|c| !c.is_empty());
    let body = match (paging, presented) {
        (Paging::Endless, token) => {
            let n = token.and_then(|t| t.strip_prefix("page-").and_then(|n| n.parse::<u64>().ok())).unwrap_or(0);
            list(vec![item(n)], Some(format!("page-{}", n + 1)))
        }
        (Paging::Repeat, _) => list(vec![item(0)], Some("same-token".into())),
        (Paging::GoneOnContinue, None) => list(vec![item(0)], Some("expired-token".into())),
        (Paging::GoneOnContinue, Some(_)) => return Reply::new(410, "application/json", status(410, message(410))),
    };
    Reply::new(200, "application/json", body)
}

/// A healthy API server with no objects: collections are empty lists, single objects are
/// `NotFound`, as is anything else (discovery included). Watches are the caller's.
pub fn healthy(request: &SeenRequest) -> Reply {
    if is_collection(&request.path) {
        Reply::new(200, "application/json", list(Vec::new(), None))
    } else {
        Reply::new(404, "application/json", status(404, message(404)))
    }
}

/// `/api/v1/pods`, `/api/v1/namespaces/x/pods`, `/apis/g/v/deployments`, … (not `/api/v1/namespaces/x`).
pub fn is_collection(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segments.first() {
        Some(&"api") if segments.len() >= 2 => &segments[2..],
        Some(&"apis") if segments.len() >= 3 => &segments[3..],
        _ => return false,
    };
    matches!(rest, [_] | ["namespaces", _, _])
}

#[cfg(test)]
mod tests {
    use super::is_collection;

    #[test]
    fn collections_are_told_from_objects() {
        assert!(is_collection("/api/v1/pods"));
        assert!(is_collection("/api/v1/namespaces/emojivoto/pods"));
        assert!(is_collection("/apis/apps/v1/namespaces/emojivoto/deployments"));
        assert!(is_collection("/api/v1/namespaces"));
        assert!(!is_collection("/api/v1/namespaces/emojivoto"));
        assert!(!is_collection("/apis/apps/v1/namespaces/emojivoto/deployments/web"));
        assert!(!is_collection("/version"));
        assert!(!is_collection("/apis"));
    }
}

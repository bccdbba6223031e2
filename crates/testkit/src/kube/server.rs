//! HTTP side of the fake API server: one fallback handler that parses Kubernetes REST paths
//! (discovery, list, get, watch, service proxy), records each request and applies injected
//! faults. Read-only: every other verb answers 405.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::store::{ApiError, ListQuery, RESOURCES, Resource, Store, find_resource, reason_for, status};

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Raw query string (percent-encoded), empty when absent.
    pub query: String,
}

pub(crate) struct Fault {
    pub prefix: String,
    pub status: u16,
    /// `None`: every matching request; `Some(n)`: the next `n`.
    pub remaining: Option<usize>,
}

#[derive(Default)]
pub(crate) struct Mutable {
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<Fault>,
    /// (namespace, service, port) → upstream base URL.
    pub proxies: BTreeMap<(String, String, String), String>,
    /// (namespace, pod, pod port) → `host:port` the port really listens on.
    pub port_forwards: BTreeMap<(String, String, u16), String>,
}

pub(crate) struct Shared {
    pub store: Store,
    pub mutable: Mutex<Mutable>,
    pub http: reqwest::Client,
    /// Set to `true` when the `FakeKube` is dropped: ends every port-forward session.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// Port-forward sessions currently open.
    pub active_forwards: AtomicUsize,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Mutable> {
        // A panic while holding the lock cannot leave the data inconsistent (plain pushes).
        self.mutable.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

pub(super) fn json_response(code: u16, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

pub(super) fn error_response((code, body): ApiError) -> Response {
    json_response(code, &body)
}

fn not_found_path() -> ApiError {
    (404, status(404, "NotFound", "the server could not find the requested resource", Some(json!({}))))
}

/// Records the request; answers it with an injected fault when one matches its path (each
/// fault for its remaining count of requests).
fn record_and_inject(shared: &Shared, method: &Method, path: &str, query: &str) -> Option<Response> {
    let code = {
        let mut m = shared.lock();
        m.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
        });
        let mut hit = None;
        for f in m.faults.iter_mut() {
            if path.starts_with(&f.prefix) && f.remaining != Some(0) {
                if let Some(n) = f.remaining.as_mut() {
                    *n -= 1;
                }
                hit = Some(f.status);
                break;
            }
        }
        m.faults.retain(|f| f.remaining != Some(0));
        hit
    }?;
    let message = match code {
        403 => format!("forbidden: User \"fake\" cannot access path \"{path}\" (injected fault)"),
        _ => format!("injected fault for {path}"),
    };
    Some(json_response(code, &status(code, reason_for(code), &message, Some(json!({})))))
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    if let Some(injected) = record_and_inject(&shared, &method, &path, &query) {
        return injected;
    }
    let params: Vec<(String, String)> = Query::try_from_uri(&uri).map(|Query(p)| p).unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();

    // Port-forward is a connect verb (GET or POST, upgraded), like the real API server's.
    if let ["api", "v1", "namespaces", ns, "pods", pod, "portforward"] = segments.as_slice()
        && (method == Method::GET || method == Method::POST)
    {
        return super::portforward::respond(&shared, ns, pod, &params, req);
    }
    // Service proxy accepts every verb; everything else is read-only.
    if let ["api", "v1", "namespaces", ns, "services", target, "proxy", rest @ ..] = segments.as_slice() {
        let (ns, target, rest) = (ns.to_string(), target.to_string(), rest.join("/"));
        let headers = req.headers().clone();
        let body = match axum::body::to_bytes(req.into_body(), 64 << 20).await {
            Ok(b) => b,
            Err(e) => {
                return error_response((400, status(400, "BadRequest", &e.to_string(), None)));
            }
        };
        return service_proxy(&shared, &ns, &target, &rest, &query, method, headers, body)
            .await
            .unwrap_or_else(error_response);
    }
    if method != Method::GET {
        return error_response((
            405,
            status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource (read-only fake)",
                Some(json!({})),
            ),
        ));
    }
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match segments.as_slice() {
        ["version"] => json_response(200, &version()),
        ["api"] => {
            json_response(200, &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
        }
        ["apis"] => json_response(200, &group_list()),
        ["api", "v1"] => json_response(200, &resource_list("", "v1")),
        ["apis", group] => match group_doc(group) {
            Some(doc) => json_response(200, &doc),
            None => error_response(not_found_path()),
        },
        ["apis", group, version] if RESOURCES.iter().any(|r| r.group == *group && r.version == *version) => {
            json_response(200, &resource_list(group, version))
        }
        ["api", "v1", rest @ ..] => resource_request(&shared, "", "v1", rest, &param),
        ["apis", group, version, rest @ ..] => resource_request(&shared, group, version, rest, &param),
        _ => error_response(not_found_path()),
    }
}

fn resource_request(
    shared: &Arc<Shared>,
    group: &str,
    version: &str,
    rest: &[&str],
    param: &dyn Fn(&str) -> Option<String>,
) -> Response {
    let (ns, plural, name) = match rest {
        [plural] => (None, *plural, None),
        [plural, name]
            if *plural == "namespaces" || find_resource(group, version, plural).is_some_and(|r| !r.namespaced) =>
        {
            (None, *plural, Some(*name))
        }
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        _ => return error_response(not_found_path()),
    };
    let Some(res) = find_resource(group, version, plural) else {
        return error_response(not_found_path());
    };
    if ns.is_some() && !res.namespaced {
        return error_response(not_found_path());
    }
    if let Some(name) = name {
        return match shared.store.get(res, ns, name) {
            Ok(obj) => json_response(200, &obj),
            Err(e) => error_response(e),
        };
    }
    let q = ListQuery {
        label_selector: param("labelSelector"),
        field_selector: param("fieldSelector"),
        limit: param("limit").and_then(|l| l.parse().ok()),
        continue_token: param("continue"),
    };
    let is_true = |k: &str| param(k).is_some_and(|v| v == "true" || v == "1");
    if is_true("watch") {
        return watch(shared, res, ns, &q, param);
    }
    match shared.store.list(res, ns, &q) {
        Ok(list) => json_response(200, &list),
        Err(e) => error_response(e),
    }
}

/// Streams `ADDED` events for the current objects (when the client asks for initial state),
/// then holds the connection open until `timeoutSeconds` (default 30 min) or the client leaves.
/// The store never changes, so a watch from a given `resourceVersion` has nothing to replay.
fn watch(
    shared: &Arc<Shared>,
    res: &Resource,
    ns: Option<&str>,
    q: &ListQuery,
    param: &dyn Fn(&str) -> Option<String>,
) -> Response {
    let objects = match shared.store.select(res, ns, &ListQuery { limit: None, continue_token: None, ..q.clone() }) {
        Ok(o) => o,
        Err(e) => return error_response(e),
    };
    let rv = param("resourceVersion").unwrap_or_default();
    let send_initial = param("sendInitialEvents").is_some_and(|v| v == "true");
    let replay = send_initial || rv.is_empty() || rv == "0";
    let timeout = param("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).unwrap_or(1800);
    let mut lines: Vec<Bytes> = Vec::new();
    if replay {
        for obj in objects {
            lines.push(Bytes::from(format!("{}\n", json!({"type": "ADDED", "object": obj}))));
        }
    }
    if send_initial {
        let bookmark = json!({
            "type": "BOOKMARK",
            "object": {
                "kind": res.kind,
                "apiVersion": res.api_version(),
                "metadata": {
                    "resourceVersion": shared.store.resource_version(),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            },
        });
        lines.push(Bytes::from(format!("{bookmark}\n")));
    }
    let initial = futures_util::stream::iter(lines.into_iter().map(Ok::<_, std::io::Error>));
    let hold = futures_util::stream::once(async move {
        tokio::time::sleep(Duration::from_secs(timeout)).await;
        Ok::<_, std::io::Error>(Bytes::new())
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(initial, hold));
    let mut resp = Response::new(body);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

#[allow(clippy::too_many_arguments)]
async fn service_proxy(
    shared: &Arc<Shared>,
    ns: &str,
    target: &str,
    rest: &str,
    query: &str,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // `name:port`, `scheme:name:port` or just `name`.
    let parts: Vec<&str> = target.split(':').collect();
    let (svc, port) = match parts.as_slice() {
        [svc] => (*svc, ""),
        [svc, port] => (*svc, *port),
        [_, svc, port] => (*svc, *port),
        _ => return Err(not_found_path()),
    };
    let upstream = shared.lock().proxies.get(&(ns.to_string(), svc.to_string(), port.to_string())).cloned();
    let Some(upstream) = upstream else {
        let exists = find_resource("", "v1", "services").is_some_and(|r| shared.store.get(r, Some(ns), svc).is_ok());
        return Err(if exists {
            (503, status(503, "ServiceUnavailable", &format!("no endpoints available for service \"{svc}\""), None))
        } else {
            (
                404,
                status(
                    404,
                    "NotFound",
                    &format!("services \"{svc}\" not found"),
                    Some(json!({"name": svc, "kind": "services"})),
                ),
            )
        });
    };
    let mut url = format!("{}/{rest}", upstream.trim_end_matches('/'));
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
        .map_err(|e| (400, status(400, "BadRequest", &e.to_string(), None)))?;
    let mut req = shared.http.request(method, &url).body(body);
    for name in [header::CONTENT_TYPE, header::ACCEPT, header::USER_AGENT] {
        if let Some(v) = headers.get(&name) {
            req = req.header(name.as_str(), v.as_bytes());
        }
    }
    let upstream_err = |e: reqwest::Error| {
        (503, status(503, "ServiceUnavailable", &format!("error trying to reach service: {e}"), None))
    };
    let resp = req.send().await.map_err(upstream_err)?;
    let code = resp.status().as_u16();
    let content_type = resp.headers().get(header::CONTENT_TYPE.as_str()).map(|v| v.as_bytes().to_vec());
    let bytes = resp.bytes().await.map_err(upstream_err)?;
    let mut out = Response::new(Body::from(bytes));
    *out.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(ct) = content_type.and_then(|ct| HeaderValue::from_bytes(&ct).ok()) {
        out.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(out)
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "34",
        "gitVersion": "v1.34.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-08-27T00:00:00Z",
        "goVersion": "go1.24.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// Every API group with its versions, in table order (the first version is the preferred one).
fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version),
            Some(_) => {}
            None => out.push((r.group, vec![r.version])),
        }
    }
    out
}

fn group_json(group: &str, versions: &[&str]) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    let all: Vec<Value> = versions.iter().map(|v| gv(v)).collect();
    json!({"name": group, "versions": all, "preferredVersion": gv(versions[0])})
}

fn group_list() -> Value {
    let groups: Vec<Value> = groups().iter().map(|(g, v)| group_json(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn group_doc(group: &str) -> Option<Value> {
    let (g, v) = groups().into_iter().find(|(g, _)| *g == group)?;
    let mut doc = group_json(g, &v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

fn resource_list(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "list", "watch"],
                "shortNames": r.short_names,
            })
        })
        .collect();
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

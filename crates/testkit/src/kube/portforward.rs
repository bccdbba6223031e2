//! The pod `portforward` subresource up to the WebSocket upgrade: the `ports` options, the
//! checks the API server, kubelet and container runtime make before a forward starts (each
//! answered the way that component answers), the subprotocol handshake, and the hand-over of
//! the upgraded connection to [`tunnel`](super::tunnel). No bytes are forwarded here.
//!
//! Order of checks, as on a real cluster: the API server decodes `ports` (400 `Status`), finds
//! the pod (404 `Status`) and its node (400 `Status` "does not have a host assigned"), requires
//! an upgrade (400 `Status` "Upgrade request required"), then proxies to the kubelet, whose
//! errors reach the client as plain text (the API server passes a backend's non-101 answer
//! through): a missing/zero port (400), no ready pod sandbox (500), no subprotocol it speaks
//! (bare 403). Only then is the WebSocket accepted.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::server::{Shared, error_response};
use super::store::{ApiError, find_resource, status, uid_for};
use super::tunnel::{self, Forward, Sandbox};

/// The binary channel protocol the kubelet speaks for port-forward (besides base64 and SPDY).
/// kube's client offers `v5.channel.k8s.io, v4.channel.k8s.io`; v5 exists only for exec/attach,
/// so a real node picks v4 (kube-client `src/client/upgrade.rs`).
const V4_PROTOCOL: &str = "v4.channel.k8s.io";

/// Answers `GET|POST /api/v1/namespaces/{ns}/pods/{pod}/portforward?ports=…`.
pub(crate) fn respond(
    shared: &Arc<Shared>,
    ns: &str,
    pod: &str,
    params: &[(String, String)],
    req: Request,
) -> Response {
    match admit(shared, ns, pod, params, req.headers()) {
        Ok((handshake, forwards, sandbox)) => start(shared, req, handshake, forwards, sandbox),
        Err(refusal) => refusal.into_response(),
    }
}

/// Why a forward is refused before the upgrade, by the component that refuses it.
enum Refusal {
    /// The API server: a `Status` body.
    ApiServer(ApiError),
    /// The kubelet or the container runtime, relayed by the API server as plain text.
    Node(u16, String),
    /// The kubelet's WebSocket handshake (golang.org/x/net/websocket): a bare 403.
    Handshake,
}

impl Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::ApiServer(e) => error_response(e),
            Refusal::Node(code, message) => {
                let mut resp = Response::new(Body::from(message));
                *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
                resp
            }
            Refusal::Handshake => {
                let mut resp = Response::new(Body::empty());
                *resp.status_mut() = StatusCode::FORBIDDEN;
                resp
            }
        }
    }
}

/// Every check before the upgrade, in the cluster's order; the session's parameters if all pass.
fn admit(
    shared: &Arc<Shared>,
    ns: &str,
    pod: &str,
    params: &[(String, String)],
    headers: &HeaderMap,
) -> Result<(Handshake, Vec<Forward>, Sandbox), Refusal> {
    let ports = api_server_ports(params).map_err(Refusal::ApiServer)?;
    let pods = find_resource("", "v1", "pods")
        .ok_or_else(|| Refusal::ApiServer((500, status(500, "InternalError", "pods are not served", None))))?;
    let object = shared.store.get(pods, Some(ns), pod).map_err(Refusal::ApiServer)?;
    scheduled(&object, pod)?;
    let key = upgrade_key(headers)?;
    // Past this point the API server has proxied the request to the pod's kubelet.
    let ports = kubelet_ports(ports).map_err(|message| Refusal::Node(400, message))?;
    let sandbox = sandbox(&object, ns, pod)?;
    let handshake = Handshake::negotiate(headers, key)?;
    let table = &shared.lock().port_forwards;
    let forwards = ports
        .iter()
        .map(|&port| Forward { port, target: table.get(&(ns.to_string(), pod.to_string(), port)).cloned() })
        .collect();
    Ok((handshake, forwards, sandbox))
}

/// `ports` as the API server converts it: repeated parameters and/or comma-separated lists of
/// 16-bit unsigned numbers (apimachinery `Convert_Slice_string_To_Slice_int32`).
fn api_server_ports(params: &[(String, String)]) -> Result<Vec<u16>, ApiError> {
    let mut ports = Vec::new();
    for (_, value) in params.iter().filter(|(k, _)| k == "ports") {
        for part in value.split(',') {
            // Go's ParseUint takes digits only (no sign), then checks the range.
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            let port = if digits { part.parse::<u16>().ok() } else { None };
            let Some(port) = port else {
                let why = if digits { "value out of range" } else { "invalid syntax" };
                let message = format!("cannot convert to []int32: strconv.ParseUint: parsing {part:?}: {why}");
                return Err((400, status(400, "BadRequest", &message, None)));
            };
            ports.push(port);
        }
    }
    Ok(ports)
}

/// The kubelet's own check of the forwarded ports (`portforward.NewV4Options`).
fn kubelet_ports(ports: Vec<u16>) -> Result<Vec<u16>, String> {
    if ports.is_empty() {
        return Err("query parameter \"port\" is required".into());
    }
    if ports.contains(&0) {
        return Err("port \"0\" must be > 0".into());
    }
    Ok(ports)
}

/// The API server forwards to the pod's node, so a pod without one fails there. It does not
/// look at the phase: a pod that is not Running fails later, in the kubelet or the runtime.
/// (kubectl refuses earlier on its own, "pod is not running": that is the client's business.)
fn scheduled(pod: &Value, name: &str) -> Result<(), Refusal> {
    if pod["spec"]["nodeName"].as_str().unwrap_or_default().is_empty() {
        let message = format!("pod {name} does not have a host assigned");
        return Err(Refusal::ApiServer((400, status(400, "BadRequest", &message, None))));
    }
    Ok(())
}

/// The pod's ready sandbox, or what the kubelet answers when there is none.
fn sandbox(pod: &Value, ns: &str, name: &str) -> Result<Sandbox, Refusal> {
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    match pod["status"]["phase"].as_str().unwrap_or_default() {
        "Running" => Ok(Sandbox::for_pod(uid)),
        // The sandbox of a finished pod still exists but is stopped: containerd refuses.
        "Succeeded" | "Failed" => {
            Err(Refusal::Node(500, "rpc error: code = Unknown desc = sandbox container is not running".into()))
        }
        // Scheduled but no sandbox yet (kuberuntime `GetPortForward`).
        _ => Err(Refusal::Node(500, format!("failed to find sandboxID for pod {name}_{ns}({uid})"))),
    }
}

impl Sandbox {
    /// A sandbox id and network namespace derived from the pod UID, stable across runs.
    fn for_pod(uid: &str) -> Sandbox {
        let id =
            format!("{}{}", uid_for(&format!("sandbox/{uid}")), uid_for(&format!("sandbox2/{uid}"))).replace('-', "");
        Sandbox { id, netns: format!("/var/run/netns/cni-{}", uid_for(&format!("netns/{uid}"))) }
    }
}

/// The `Sec-WebSocket-Key` of an upgrade request; anything else is refused by the API server's
/// upgrade-aware proxy (this fake speaks no SPDY, so a SPDY upgrade is refused the same way).
fn upgrade_key(headers: &HeaderMap) -> Result<&HeaderValue, Refusal> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    let version_ok = headers.get(header::SEC_WEBSOCKET_VERSION).is_some_and(|v| v.as_bytes() == b"13");
    match headers.get(header::SEC_WEBSOCKET_KEY) {
        Some(key)
            if version_ok && has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket") =>
        {
            Ok(key)
        }
        _ => Err(Refusal::ApiServer((400, status(400, "BadRequest", "Upgrade request required", None)))),
    }
}

/// The server's side of the WebSocket handshake.
struct Handshake {
    accept: String,
    /// `None`: the client named no subprotocol (the kubelet then speaks v4 framing unnamed).
    protocol: Option<&'static str>,
}

impl Handshake {
    /// Picks the subprotocol as the kubelet's wsstream does: a client that names protocols must
    /// name one the server speaks.
    fn negotiate(headers: &HeaderMap, key: &HeaderValue) -> Result<Handshake, Refusal> {
        let offered: Vec<String> = headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
            .filter(|p| !p.is_empty())
            .collect();
        let protocol = if offered.is_empty() {
            None
        } else if offered.iter().any(|p| p == V4_PROTOCOL) {
            Some(V4_PROTOCOL)
        } else {
            return Err(Refusal::Handshake);
        };
        Ok(Handshake { accept: derive_accept_key(key.as_bytes()), protocol })
    }
}

/// Answers 101 and runs the session once hyper hands over the connection.
fn start(
    shared: &Arc<Shared>,
    mut req: Request,
    handshake: Handshake,
    forwards: Vec<Forward>,
    sandbox: Sandbox,
) -> Response {
    let on_upgrade = hyper::upgrade::on(&mut req);
    let mut shutdown = shared.shutdown.subscribe();
    let guard = ActiveGuard::new(shared.clone());
    tokio::spawn(async move {
        let _guard = guard;
        let upgraded = tokio::select! {
            u = on_upgrade => u,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let Ok(upgraded) = upgraded else { return };
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        tunnel::run(socket, forwards, sandbox, shutdown).await;
    });
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&handshake.accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(protocol) = handshake.protocol {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol));
    }
    resp
}

/// Counts a session in `active_forwards` for as long as it lives.
struct ActiveGuard(Arc<Shared>);

impl ActiveGuard {
    fn new(shared: Arc<Shared>) -> ActiveGuard {
        shared.active_forwards.fetch_add(1, Ordering::SeqCst);
        ActiveGuard(shared)
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active_forwards.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn ports_are_repeated_or_comma_separated() {
        let p = api_server_ports(&params(&[("ports", "8085,9995"), ("ports", "80")])).expect("ports");
        assert_eq!(p, [8085, 9995, 80]);
        let (code, body) = api_server_ports(&params(&[("ports", "80,x")])).expect_err("bad port");
        assert_eq!(code, 400);
        assert_eq!(body["message"], "cannot convert to []int32: strconv.ParseUint: parsing \"x\": invalid syntax");
        let (_, body) = api_server_ports(&params(&[("ports", "+80")])).expect_err("sign");
        assert_eq!(body["message"], "cannot convert to []int32: strconv.ParseUint: parsing \"+80\": invalid syntax");
        let (_, body) = api_server_ports(&params(&[("ports", "70000")])).expect_err("too big");
        assert_eq!(
            body["message"],
            "cannot convert to []int32: strconv.ParseUint: parsing \"70000\": value out of range"
        );
        assert_eq!(kubelet_ports(vec![]), Err("query parameter \"port\" is required".to_string()));
        assert_eq!(kubelet_ports(vec![80, 0]), Err("port \"0\" must be > 0".to_string()));
    }

    #[test]
    fn sandbox_is_stable_and_shaped_like_containerd_ids() {
        let a = Sandbox::for_pod("0b5c-uid");
        assert_eq!(a, Sandbox::for_pod("0b5c-uid"));
        assert_eq!(a.id.len(), 64);
        assert!(a.id.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(a.netns.starts_with("/var/run/netns/cni-"));
        assert_ne!(a, Sandbox::for_pod("other"));
    }
}

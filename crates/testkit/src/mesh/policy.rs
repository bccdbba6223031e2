//! The policy half of the mesh model, as a proxy of 2025–2026 sees it: inbound Servers, routes
//! and authorizations (with denied requests), and outbound policy routes (HTTPRoute, GRPCRoute or
//! the default route of a Service) with their backends, retries and timeouts. Types only; the
//! series they become are built in `route_series.rs`.

use super::{PodRef, Protocol};

/// `policy.linkerd.io`, the group of Server, AuthorizationPolicy and Linkerd's HTTPRoute.
pub const POLICY_GROUP: &str = "policy.linkerd.io";
/// `gateway.networking.k8s.io`, the group of Gateway API routes.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// A policy object as the proxy labels it: `<prefix>_group`, `<prefix>_kind`, `<prefix>_name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyRef {
    pub group: String,
    pub kind: String,
    pub name: String,
}

impl PolicyRef {
    pub fn new(group: &str, kind: &str, name: &str) -> PolicyRef {
        PolicyRef { group: group.into(), kind: kind.into(), name: name.into() }
    }

    /// `srv_kind="default", srv_name="all-unauthenticated"`: the default policy's server.
    pub fn default_server() -> PolicyRef {
        PolicyRef::new("", "default", "all-unauthenticated")
    }

    /// `route_kind="default", route_name="default"`: the inbound default route.
    pub fn default_inbound_route() -> PolicyRef {
        PolicyRef::new("", "default", "default")
    }

    /// `authz_kind="default", authz_name="all-unauthenticated"`.
    pub fn default_authz() -> PolicyRef {
        PolicyRef::new("", "default", "all-unauthenticated")
    }
}

/// A named inbound policy on one port of a workload's pods: a `Server`, the route its traffic
/// matches and the `AuthorizationPolicy` that allows it. Traffic to other ports, and to
/// workloads without one, gets the default policy.
#[derive(Debug, Clone)]
pub struct InboundPolicy {
    /// Index into `Mesh::workloads`.
    pub workload: usize,
    pub port: u16,
    /// `policy.linkerd.io` / `server` / name.
    pub server: PolicyRef,
    /// The route every request to the server matches (kind `HTTPRoute`).
    pub route: PolicyRef,
    /// `policy.linkerd.io` / `authorizationpolicy` / name, targeting `route`.
    pub authz: PolicyRef,
    /// Name of the `MeshTLSAuthentication` the authorization requires.
    pub authentication: String,
    /// Identities (`<sa>.<ns>.serviceaccount.identity.…`) that authentication accepts.
    pub identities: Vec<String>,
    /// Path prefix the route matches.
    pub path_prefix: String,
}

/// Requests the inbound policy of `server`'s pod on `port` refuses (403 from the proxy): they
/// count in `inbound_http_authz_deny_total` only, never in `response_total`.
#[derive(Debug, Clone)]
pub struct Denial {
    pub client: PodRef,
    pub server: PodRef,
    pub port: u16,
    /// Denied requests per 10 s.
    pub per10s: u64,
}

/// A Service as a parent or backend of an outbound route (it need not be in `Mesh::services`:
/// mirrored multicluster Services are backends too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub namespace: String,
    pub name: String,
    pub port: u16,
}

impl ServiceRef {
    pub fn new(namespace: &str, name: &str, port: u16) -> ServiceRef {
        ServiceRef { namespace: namespace.into(), name: name.into(), port }
    }
}

/// How one request (route level) or one attempt (backend level) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP response status (`http_status`).
    Http(u16),
    /// A gRPC status name as the proxy writes it (`grpc_status="OK"`, `"UNKNOWN"`, …).
    Grpc(&'static str),
    /// The proxy's own error (`error="REQUEST_TIMEOUT"`, …): no `http_status`; gRPC routes write
    /// `grpc_status="UNKNOWN"` beside it.
    Error(&'static str),
}

/// The route a client's request to a parent Service matched: a named HTTPRoute/GRPCRoute, or the
/// Service's default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteKey {
    pub route: PolicyRef,
    /// Namespace of a named route (`route_namespace`); empty for the default route.
    pub namespace: String,
}

impl RouteKey {
    /// `route_kind="default", route_name="http"` (or `"grpc"`): the route of a Service without
    /// HTTPRoute/GRPCRoute.
    pub fn default_for(protocol: Protocol) -> RouteKey {
        let name = match protocol {
            Protocol::Http => "http",
            Protocol::Grpc => "grpc",
        };
        RouteKey { route: PolicyRef::new("", "default", name), namespace: String::new() }
    }

    pub fn named(kind: &str, namespace: &str, name: &str) -> RouteKey {
        RouteKey { route: PolicyRef::new(GATEWAY_GROUP, kind, name), namespace: namespace.into() }
    }

    pub fn is_default(&self) -> bool {
        self.route.kind == "default"
    }
}

/// Attempts one backend of a route served, per 10 s.
#[derive(Debug, Clone)]
pub struct RouteBackend {
    pub service: ServiceRef,
    /// `backendRefs[].weight` of the route object.
    pub weight: u32,
    /// Outcome of each attempt sent to this backend, per 10 s.
    pub responses: Vec<(Outcome, u64)>,
    /// Non-cumulative `*_backend_response_duration_seconds` buckets per 10 s, by upper bound in
    /// ms ([`super::RESPONSE_BOUNDS_MS`]). Empty: the series exist but never increase (a backend
    /// that never answers).
    pub response_hist: Vec<(u32, u64)>,
}

/// One client pod's traffic through one outbound policy route, per 10 s: what the application
/// saw (after retries), the retries, and what each backend answered.
#[derive(Debug, Clone)]
pub struct OutboundRoute {
    pub client: PodRef,
    pub parent: ServiceRef,
    pub protocol: Protocol,
    pub route: RouteKey,
    /// Outcome of each request as the application sees it, per 10 s.
    pub requests: Vec<(Outcome, u64)>,
    /// Non-cumulative `*_request_duration_seconds` buckets per 10 s by upper bound in ms
    /// ([`super::REQUEST_BOUNDS_MS`]).
    pub request_hist: Vec<(u32, u64)>,
    /// Retried attempts per 10 s (`*_retry_requests_total`).
    pub retries: u64,
    pub backends: Vec<RouteBackend>,
    /// Annotations of the route object (retry and timeout configuration).
    pub annotations: Vec<(String, String)>,
}

//! The series of the policy half of a mesh: denied inbound requests
//! (`inbound_http_authz_deny_total`, server and route labels but no authorization labels, no
//! `direction`) and the outbound policy-route families of a 2025–2026 proxy
//! (`outbound_{http,grpc}_route_*`: seconds, no `direction`, parent/route/backend labels, empty
//! `hostname` dropped), plus the series counts loaders size their shards by.

use super::series::{LabelBuilder, Labels, SeriesSet, Targets};
use super::{Layout, Mesh, OutboundRoute, Outcome, PodRef, PolicyRef, Protocol, ServiceRef};

/// The families of one protocol's routes.
struct RouteFamilies {
    request_statuses: &'static str,
    request_duration: &'static str,
    backend_statuses: &'static str,
    backend_duration: &'static str,
    retries: &'static str,
}

const HTTP_ROUTE: RouteFamilies = RouteFamilies {
    request_statuses: "outbound_http_route_request_statuses_total",
    request_duration: "outbound_http_route_request_duration_seconds",
    backend_statuses: "outbound_http_route_backend_response_statuses_total",
    backend_duration: "outbound_http_route_backend_response_duration_seconds",
    retries: "outbound_http_route_retry_requests_total",
};

const GRPC_ROUTE: RouteFamilies = RouteFamilies {
    request_statuses: "outbound_grpc_route_request_statuses_total",
    request_duration: "outbound_grpc_route_request_duration_seconds",
    backend_statuses: "outbound_grpc_route_backend_response_statuses_total",
    backend_duration: "outbound_grpc_route_backend_response_duration_seconds",
    retries: "outbound_grpc_route_retry_requests_total",
};

fn families(protocol: Protocol) -> &'static RouteFamilies {
    match protocol {
        Protocol::Http => &HTTP_ROUTE,
        Protocol::Grpc => &GRPC_ROUTE,
    }
}

/// `parent_*` and `route_*` labels (`hostname` is empty by default, so absent).
fn route_labels(base: &Labels, r: &OutboundRoute) -> LabelBuilder {
    LabelBuilder::new(base)
        .set("parent_group", "core")
        .set("parent_kind", "Service")
        .set("parent_namespace", r.parent.namespace.clone())
        .set("parent_name", r.parent.name.clone())
        .set("parent_port", r.parent.port.to_string())
        .policy("route", &r.route.route)
        .set("route_namespace", r.route.namespace.clone())
}

fn backend_labels(b: LabelBuilder, s: &ServiceRef) -> LabelBuilder {
    b.set("backend_group", "core")
        .set("backend_kind", "Service")
        .set("backend_namespace", s.namespace.clone())
        .set("backend_name", s.name.clone())
        .set("backend_port", s.port.to_string())
}

/// `http_status` or `grpc_status`, and `error`, of an outcome on a route of `protocol`.
fn outcome_labels(b: LabelBuilder, protocol: Protocol, outcome: Outcome) -> LabelBuilder {
    match (protocol, outcome) {
        (Protocol::Http, Outcome::Http(code)) => b.set("http_status", code.to_string()),
        (Protocol::Grpc, Outcome::Grpc(code)) => b.set("grpc_status", code),
        // The proxy labels a gRPC stream it gave up on as UNKNOWN.
        (Protocol::Grpc, Outcome::Error(e)) => b.set("grpc_status", "UNKNOWN").set("error", e),
        (Protocol::Http, Outcome::Error(e)) => b.set("error", e),
        (p, o) => panic!("{o:?} on a {p:?} route"),
    }
}

impl Mesh {
    /// Denials and outbound route traffic of the pods in `targets`.
    pub(crate) fn add_policy_series(&self, set: &mut SeriesSet, targets: &Targets) {
        for d in &self.denials {
            let Some(base) = targets.get(&d.server) else { continue };
            let route = match self.policy_for(d.server.workload, d.port) {
                Some(p) => p.route.clone(),
                None => PolicyRef::default_inbound_route(),
            };
            // No `direction` and no authorization labels: nothing authorized the request.
            let b = self.target(LabelBuilder::new(base), &self.pod(d.server).ip, d.port);
            let b = self.server_labels(self.inbound_tls(b, d.client), d.server, d.port).policy("route", &route);
            set.counter("inbound_http_authz_deny_total", b.build(), d.per10s);
        }
        for r in &self.outbound_routes {
            if let Some(base) = targets.get(&r.client) {
                Self::add_outbound_route(set, base, r);
            }
        }
    }

    fn add_outbound_route(set: &mut SeriesSet, base: &Labels, r: &OutboundRoute) {
        let fam = families(r.protocol);
        for (outcome, per10s) in &r.requests {
            let labels = outcome_labels(route_labels(base, r), r.protocol, *outcome).build();
            set.counter(fam.request_statuses, labels, *per10s);
        }
        set.histogram(fam.request_duration, Layout::RequestSeconds, route_labels(base, r).build(), &r.request_hist);
        set.counter(fam.retries, route_labels(base, r).build(), r.retries);
        for b in &r.backends {
            for (outcome, per10s) in &b.responses {
                let labels = outcome_labels(backend_labels(route_labels(base, r), &b.service), r.protocol, *outcome);
                set.counter(fam.backend_statuses, labels.build(), *per10s);
            }
            let labels = backend_labels(route_labels(base, r), &b.service).build();
            set.histogram(fam.backend_duration, Layout::ResponseSeconds, labels, &b.response_hist);
        }
    }

    /// How many series each pod's proxy exports (by position in [`Mesh::pod_refs`]), and how many
    /// are mesh-wide, without building them: what [`Mesh::series`] adds per flow, before flows
    /// that land on the same label set are summed, so an upper bound (exact when none are).
    pub(crate) fn series_weights(&self) -> (Vec<u64>, u64) {
        let mut first = Vec::with_capacity(self.workloads.len());
        let mut pods = 0;
        for w in &self.workloads {
            first.push(pods);
            pods += w.pods.len();
        }
        let mut weights = vec![0u64; pods];
        let mut add = |r: PodRef, n: u64| {
            if self.workload(r).meshed {
                weights[first[r.workload] + r.pod] += n;
            }
        };
        // Each proxy's start time (`process_start_time_seconds`).
        for r in self.pod_refs() {
            add(r, 1);
        }
        let latency = Layout::LatencyMs.series_count();
        for f in &self.http_flows {
            let profiled = f.service.is_some_and(|s| self.services[s].profile.is_some());
            // request, response, latency, authz (+ route request, response, latency).
            add(f.server, 3 + latency + if profiled { 2 + latency } else { 0 });
            // request, response, latency (+ route request, response, latency, actual request, response).
            add(f.client, 2 + latency + if profiled { 4 + latency } else { 0 });
        }
        // Four families per connection side: inbound; outbound and the app's loopback to its proxy.
        for c in &self.tcp_conns {
            add(c.server, 4);
            add(c.client, 8);
        }
        for r in self.pod_refs().filter(|r| self.pod(*r).loopback_conns > 0) {
            add(r, 4);
        }
        for d in &self.denials {
            add(d.server, 1);
        }
        for r in &self.outbound_routes {
            // Statuses, retries and the request histogram; per backend its statuses and histogram.
            let mut n = r.requests.len() as u64 + 1 + Layout::RequestSeconds.series_count();
            for b in &r.backends {
                n += b.responses.len() as u64 + Layout::ResponseSeconds.series_count();
            }
            add(r.client, n);
        }
        // alive, enabled, latency, probes, probe latency.
        let global = self.gateways.len() as u64 * (4 + latency);
        (weights, global)
    }

    /// An upper bound of the number of series, counted from the flows without building them (the
    /// series each flow adds, before flows that land on the same label set are summed): what a
    /// loader sizes its shards by.
    pub fn series_estimate(&self) -> u64 {
        let (pods, global) = self.series_weights();
        global + pods.iter().sum::<u64>()
    }
}

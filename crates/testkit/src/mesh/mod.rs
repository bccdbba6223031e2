//! The synthetic Linkerd mesh, modelled as data: workloads and their pods, services (with optional
//! ServiceProfile routes), HTTP/gRPC flows, TCP connections and multicluster gateways.
//!
//! `emojivoto.rs` builds the reference data set of `proxy-metrics.md` §7.1–§7.5 and
//! `emojivoto_policy.rs` its policy half (inbound Servers and authorizations, outbound policy
//! routes), `scaled.rs` a large plausible mesh; `series.rs`, `route_series.rs` and
//! `openmetrics.rs` turn any mesh into the series a linkerd-viz Prometheus would hold, whole or
//! one [`Shard`] at a time; `model_query.rs` answers Linkerd's query shapes from the model alone.
//! This module owns the model only: no I/O, no Kubernetes JSON (that is `fixtures`).

mod emojivoto;
mod emojivoto_policy;
mod histogram;
mod model_query;
mod openmetrics;
mod policy;
mod route_series;
mod scaled;
mod series;

use std::ops::Range;

pub use histogram::{LATENCY_BOUNDS, Layout, REQUEST_BOUNDS_MS, RESPONSE_BOUNDS_MS};
pub use model_query::{ModelSample, bucket_quantile};
pub use openmetrics::{Exposition, TimestampUnit};
pub use policy::{
    Denial, GATEWAY_GROUP, InboundPolicy, OutboundRoute, Outcome, POLICY_GROUP, PolicyRef, RouteBackend, RouteKey,
    ServiceRef,
};

/// 2026-01-01T00:00:00Z: first sample of the standard data set (aligned to 10 s and to 2 h blocks).
pub const DATA_START: i64 = 1_767_225_600;
/// Last sample of the standard data set (20 minutes of data).
pub const DATA_END: i64 = DATA_START + 1200;
/// Tests evaluate queries at the data's end, where `increase(…[1m])` is exact.
pub const EVAL_TIME: i64 = DATA_END;
/// Counters start at `BASE × per10s` so that extrapolation toward zero is never capped (§6.2).
pub const BASE: i64 = 360;
/// Scrape interval of the model, in seconds.
pub const STEP: i64 = 10;
/// Port of the proxy's admin server, scraped by Prometheus.
pub const ADMIN_PORT: u16 = 4191;
/// When every meshed pod's proxy started (`process_start_time_seconds`, a gauge of each proxy):
/// an hour before the data begins. What ListPods reads as `added` and the proxy's uptime.
pub const PROXY_START_TIME: i64 = DATA_START - 3600;

/// A whole mesh: what exists (workloads, services) and what flows between it.
#[derive(Debug, Clone)]
pub struct Mesh {
    /// Identity trust domain, e.g. `cluster.local`.
    pub trust_domain: String,
    /// Cluster DNS domain used in authorities, e.g. `cluster.local`.
    pub cluster_domain: String,
    /// Namespace of the Linkerd control plane (`linkerd`).
    pub control_plane_ns: String,
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    pub http_flows: Vec<HttpFlow>,
    pub tcp_conns: Vec<TcpConn>,
    pub gateways: Vec<Gateway>,
    /// Named inbound policies (Server + route + AuthorizationPolicy); other ports get the default.
    pub policies: Vec<InboundPolicy>,
    /// Requests refused by an inbound policy.
    pub denials: Vec<Denial>,
    /// Outbound policy-route traffic (the `outbound_{http,grpc}_route_*` families). A Service
    /// with a ServiceProfile has none: 2.16+ proxies route its traffic by the profile.
    pub outbound_routes: Vec<OutboundRoute>,
}

/// A Deployment and its pods (all pods share one ReplicaSet / `pod-template-hash`).
#[derive(Debug, Clone)]
pub struct Workload {
    pub namespace: String,
    /// Deployment name.
    pub name: String,
    pub service_account: String,
    /// Whether the pods run a `linkerd-proxy` (and so produce series at all).
    pub meshed: bool,
    pub pod_template_hash: String,
    /// Application pod labels (`app`, `version`, `component`, …), besides the `linkerd.io/*` ones
    /// the injector adds and `pod-template-hash`.
    pub labels: Vec<(String, String)>,
    /// Container port of the application, if it serves anything.
    pub app_port: Option<u16>,
    pub pods: Vec<Pod>,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub name: String,
    pub ip: String,
    /// Open loopback connections from the proxy to the local app (inbound `peer="dst"`).
    pub loopback_conns: u64,
}

/// Index of a pod in `Mesh::workloads[workload].pods[pod]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodRef {
    pub workload: usize,
    pub pod: usize,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub cluster_ip: String,
    pub port: u16,
    pub target_port: u16,
    /// Pod labels selected by the service.
    pub selector: Vec<(String, String)>,
    /// Routes of the ServiceProfile `<name>.<ns>.svc.<cluster-domain>`; `None` when no profile.
    pub profile: Option<Vec<ProfileRoute>>,
}

#[derive(Debug, Clone)]
pub struct ProfileRoute {
    /// Route name, e.g. `GET /api/list`.
    pub name: String,
    pub method: String,
    pub path_regex: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Grpc,
}

/// Requests from one client pod to one server pod with one outcome. Rates are per 10 s.
#[derive(Debug, Clone)]
pub struct HttpFlow {
    pub client: PodRef,
    pub server: PodRef,
    /// Index into `Mesh::services`: the logical destination (gives `authority`, `dst_service`).
    pub service: Option<usize>,
    /// ServiceProfile route matched, `None` for `[DEFAULT]` (no `rt_route` label).
    pub route: Option<String>,
    pub protocol: Protocol,
    pub status_code: u16,
    /// gRPC status code (gRPC only).
    pub grpc_status: Option<u32>,
    pub success: bool,
    /// Requests per 10 s.
    pub per10s: u64,
    /// Non-cumulative latency buckets per 10 s observed by the server's proxy: `(upper bound, count)`.
    pub inbound_hist: Vec<(u32, u64)>,
    /// Non-cumulative latency buckets per 10 s observed by the client's proxy.
    pub outbound_hist: Vec<(u32, u64)>,
}

/// Open TCP connections from a client pod to a server pod. Bytes are per 10 s.
#[derive(Debug, Clone)]
pub struct TcpConn {
    pub client: PodRef,
    pub server: PodRef,
    /// Service the client dialled; `None` for direct pod-IP connections (Prometheus scrapes).
    pub service: Option<usize>,
    /// Server port actually reached (the pod port).
    pub port: u16,
    pub conns: u64,
    /// Client-to-server bytes per 10 s.
    pub c2s: u64,
    /// Server-to-client bytes per 10 s.
    pub s2c: u64,
}

/// A multicluster link as probed by the service mirror.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub target_cluster_name: String,
    pub alive: bool,
    /// `gateway_latency`: last probe latency in ms.
    pub latency_ms: u64,
    /// Non-cumulative probe latency buckets per 10 s (empty for a dead gateway).
    pub probe_hist: Vec<(u32, u64)>,
}

/// One part of a mesh's series, so that a large mesh can be written and loaded piece by piece:
/// the series exported by the proxies of the pods at positions `pods` of [`Mesh::pod_refs`], plus,
/// when `global`, the series no pod exports (the service mirror's gateway metrics).
///
/// Every pod series carries its exporting pod's target labels (`pod`, `instance`), and flows are
/// only ever summed into series of one exporting pod, so shards over disjoint pod ranges hold
/// disjoint series with the same values as in the whole mesh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub pods: Range<usize>,
    pub global: bool,
}

/// Instance label of the service-mirror pod's admin port (§1.3).
pub const SERVICE_MIRROR_INSTANCE: &str = "10.42.3.41:9999";

impl Mesh {
    /// The "emojivoto + ops + multicluster" data set of proxy-metrics.md §7.
    pub fn emojivoto() -> Mesh {
        let mut mesh = emojivoto::build();
        emojivoto_policy::add(&mut mesh);
        mesh
    }

    /// A plausible large mesh: `namespaces × deployments_per_ns × pods_per_deployment` meshed pods
    /// plus one Prometheus pod scraping them all. See `scaled.rs` for the traffic shape.
    pub fn scaled(namespaces: usize, deployments_per_ns: usize, pods_per_deployment: usize) -> Mesh {
        scaled::build(namespaces, deployments_per_ns, pods_per_deployment)
    }

    pub fn workload(&self, r: PodRef) -> &Workload {
        &self.workloads[r.workload]
    }

    pub fn pod(&self, r: PodRef) -> &Pod {
        &self.workloads[r.workload].pods[r.pod]
    }

    /// Finds a workload by namespace and name.
    pub fn find_workload(&self, namespace: &str, name: &str) -> Option<usize> {
        self.workloads.iter().position(|w| w.namespace == namespace && w.name == name)
    }

    /// Every pod with its reference, in workload order.
    pub fn pod_refs(&self) -> impl Iterator<Item = PodRef> + '_ {
        self.workloads
            .iter()
            .enumerate()
            .flat_map(|(wi, w)| (0..w.pods.len()).map(move |pi| PodRef { workload: wi, pod: pi }))
    }

    /// Number of pods in the mesh (meshed or not).
    pub fn pod_count(&self) -> usize {
        self.workloads.iter().map(|w| w.pods.len()).sum()
    }

    /// The one shard holding every series.
    pub fn whole(&self) -> Shard {
        Shard { pods: 0..self.pod_count(), global: true }
    }

    /// Splits the series into at most `count` non-empty shards of contiguous pods with about the
    /// same number of series each (by [`Mesh::series_estimate`]); the mesh-wide series go to the
    /// first. Fewer shards come back when there are fewer pods, or when one pod alone exports more
    /// than a shard's share (the scaled mesh's Prometheus pod, scraping every other pod): shards
    /// hold at most a share plus one pod's series.
    pub fn shards(&self, count: usize) -> Vec<Shard> {
        let (pods, global) = self.series_weights();
        let count = count.clamp(1, pods.len().max(1)) as u128;
        let total = u128::from(global + pods.iter().sum::<u64>()).max(1);
        let mut shards: Vec<Shard> = Vec::new();
        let mut current = None;
        let mut before = u128::from(global);
        for (position, weight) in pods.iter().map(|w| u128::from(*w)).enumerate() {
            // The share holding the pod's midpoint: ascending with position, so shards stay
            // contiguous; a share no midpoint falls in gives no shard.
            let index = ((before + weight / 2) * count / total).min(count - 1);
            before += weight;
            match shards.last_mut() {
                Some(last) if current == Some(index) => last.pods.end = position + 1,
                _ => {
                    shards.push(Shard { pods: position..position + 1, global: shards.is_empty() });
                    current = Some(index);
                }
            }
        }
        if shards.is_empty() {
            shards.push(self.whole());
        }
        shards
    }

    /// Identity of a workload's service account: `<sa>.<ns>.serviceaccount.identity.<cp>.<td>`.
    pub fn identity(&self, w: &Workload) -> String {
        format!(
            "{}.{}.serviceaccount.identity.{}.{}",
            w.service_account, w.namespace, self.control_plane_ns, self.trust_domain
        )
    }

    /// `<svc>.<ns>.svc.<cluster-domain>:<port>`, the outbound `authority` and route `dst`.
    pub fn authority(&self, s: &Service) -> String {
        format!("{}.{}.svc.{}:{}", s.name, s.namespace, self.cluster_domain, s.port)
    }

    /// Every Kubernetes pod label of a pod, as the injector would leave them.
    pub fn pod_labels(&self, w: &Workload) -> Vec<(String, String)> {
        let mut labels = w.labels.clone();
        labels.push(("pod-template-hash".into(), w.pod_template_hash.clone()));
        if w.meshed {
            labels.push(("linkerd.io/control-plane-ns".into(), self.control_plane_ns.clone()));
            labels.push(("linkerd.io/proxy-deployment".into(), w.name.clone()));
            labels.push(("linkerd.io/workload-ns".into(), w.namespace.clone()));
        }
        labels.sort();
        labels
    }
}

impl Mesh {
    /// The named inbound policy covering `port` of a workload's pods, if any.
    pub fn policy_for(&self, workload: usize, port: u16) -> Option<&InboundPolicy> {
        self.policies.iter().find(|p| p.workload == workload && p.port == port)
    }
}

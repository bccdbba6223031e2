//! Expands a [`Mesh`] into the series a linkerd-viz Prometheus stores: label sets (target labels
//! of §1.2 plus the proxy's own labels of §2) with a per-10 s increment (counters), a constant
//! (gauges) or non-cumulative per-10 s bucket counts (histograms). Flows that land on the same
//! label set are summed, as the proxy would. The policy half (denials, outbound routes) is in
//! `route_series.rs`.
//!
//! Every pod series starts from its exporting pod's target labels, so a [`Shard`] (a range of
//! exporting pods) is built by expanding only the flow sides whose exporting pod it holds.

use std::collections::{BTreeMap, HashMap};

use super::{ADMIN_PORT, HttpFlow, Layout, Mesh, PodRef, PolicyRef, Protocol, SERVICE_MIRROR_INSTANCE, Shard, TcpConn};

/// Target labels of each meshed pod of the shard being built: a flow side is expanded exactly
/// when its exporting pod is a key.
pub(crate) type Targets = HashMap<PodRef, Labels>;

/// A label set, sorted by name, without duplicates.
pub(crate) type Labels = Vec<(String, String)>;

/// Non-cumulative per-10 s counts for each finite bound of a [`Layout`], then `+Inf` overflow.
pub(crate) type Buckets = Vec<u64>;

/// The series of one histogram family.
pub(crate) struct HistogramFamily {
    pub layout: Layout,
    pub series: BTreeMap<Labels, Buckets>,
}

#[derive(Default)]
pub(crate) struct SeriesSet {
    /// family → labels → increment per 10 s.
    pub counters: BTreeMap<&'static str, BTreeMap<Labels, u64>>,
    /// family → labels → constant value.
    pub gauges: BTreeMap<&'static str, BTreeMap<Labels, u64>>,
    /// family (without `_bucket`) → its layout and labels → buckets per 10 s.
    pub histograms: BTreeMap<&'static str, HistogramFamily>,
}

impl SeriesSet {
    pub(crate) fn counter(&mut self, family: &'static str, labels: Labels, per10s: u64) {
        *self.counters.entry(family).or_default().entry(labels).or_default() += per10s;
    }

    fn gauge(&mut self, family: &'static str, labels: Labels, value: u64) {
        *self.gauges.entry(family).or_default().entry(labels).or_default() += value;
    }

    /// Adds `hist` (`(upper bound in ms, count)` pairs) to a series; an empty `hist` still creates
    /// the series, which then never increases.
    pub(crate) fn histogram(&mut self, family: &'static str, layout: Layout, labels: Labels, hist: &[(u32, u64)]) {
        let fam = self.histograms.entry(family).or_insert_with(|| HistogramFamily { layout, series: BTreeMap::new() });
        assert_eq!(fam.layout, layout, "{family} written with two layouts");
        let buckets = fam.series.entry(labels).or_insert_with(|| vec![0; layout.bounds_ms().len() + 1]);
        for (bound, count) in hist {
            buckets[layout.index(*bound)] += count;
        }
    }
}

/// Builds a label set from pairs, dropping empty values (Prometheus stores them as absent).
pub(crate) struct LabelBuilder(BTreeMap<String, String>);

impl LabelBuilder {
    pub(crate) fn new(base: &Labels) -> Self {
        LabelBuilder(base.iter().cloned().collect())
    }
    pub(crate) fn set(mut self, k: &str, v: impl Into<String>) -> Self {
        let v = v.into();
        if !v.is_empty() {
            self.0.insert(k.to_string(), v);
        }
        self
    }
    /// `<prefix>_group`, `<prefix>_kind`, `<prefix>_name` of a policy object.
    pub(crate) fn policy(self, prefix: &str, r: &PolicyRef) -> Self {
        self.set(&format!("{prefix}_group"), r.group.clone())
            .set(&format!("{prefix}_kind"), r.kind.clone())
            .set(&format!("{prefix}_name"), r.name.clone())
    }
    pub(crate) fn build(self) -> Labels {
        self.0.into_iter().collect()
    }
}

/// Prometheus label-name sanitising: every character outside `[a-zA-Z0-9_]` becomes `_`.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

impl Mesh {
    /// Target labels Prometheus attaches to a meshed pod's series (relabeling of §1.2).
    pub fn target_labels(&self, r: PodRef) -> Vec<(String, String)> {
        let w = self.workload(r);
        let p = self.pod(r);
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in self.pod_labels(w) {
            let name = if let Some(owner) = k.strip_prefix("linkerd.io/proxy-") {
                if owner == "job" { "k8s_job".to_string() } else { sanitize(owner) }
            } else if let Some(rest) = k.strip_prefix("linkerd.io/") {
                sanitize(rest)
            } else {
                sanitize(&k)
            };
            out.insert(name, v);
        }
        out.insert("job".into(), "linkerd-proxy".into());
        out.insert("instance".into(), format!("{}:{}", p.ip, ADMIN_PORT));
        out.insert("namespace".into(), w.namespace.clone());
        out.insert("pod".into(), p.name.clone());
        out.into_iter().collect()
    }

    /// The Destination API's `dst_*` labels for an endpoint (§2.3).
    fn dst_labels(&self, b: LabelBuilder, server: PodRef, service: Option<usize>) -> LabelBuilder {
        let w = self.workload(server);
        let mut b = b
            .set("dst_namespace", w.namespace.clone())
            .set("dst_pod", self.pod(server).name.clone())
            .set("dst_deployment", w.name.clone())
            .set("dst_serviceaccount", w.service_account.clone())
            .set("dst_pod_template_hash", w.pod_template_hash.clone());
        if w.meshed {
            b = b.set("dst_control_plane_ns", self.control_plane_ns.clone());
        }
        if let Some(s) = service {
            b = b.set("dst_service", self.services[s].name.clone()).set("dst_zone_locality", "unknown");
        }
        b
    }

    fn outbound_tls(&self, b: LabelBuilder, server: PodRef) -> LabelBuilder {
        let w = self.workload(server);
        if w.meshed {
            b.set("tls", "true").set("server_id", self.identity(w))
        } else {
            b.set("tls", "no_identity").set("no_tls_reason", "not_provided_by_service_discovery")
        }
    }

    pub(crate) fn inbound_tls(&self, b: LabelBuilder, client: PodRef) -> LabelBuilder {
        let w = self.workload(client);
        if w.meshed {
            b.set("tls", "true").set("client_id", self.identity(w))
        } else {
            b.set("tls", "no_identity").set("no_tls_reason", "no_tls_from_remote")
        }
    }

    pub(crate) fn target(&self, b: LabelBuilder, ip: &str, port: u16) -> LabelBuilder {
        b.set("target_addr", format!("{ip}:{port}")).set("target_ip", ip).set("target_port", port.to_string())
    }

    /// The server labels (`srv_*`, with `srv_port`) of `server`'s inbound `port`: its named
    /// Server, or the default policy's.
    pub(crate) fn server_labels(&self, b: LabelBuilder, server: PodRef, port: u16) -> LabelBuilder {
        let srv = match self.policy_for(server.workload, port) {
            Some(p) => p.server.clone(),
            None => PolicyRef::default_server(),
        };
        b.policy("srv", &srv).set("srv_port", port.to_string())
    }

    /// The inbound policy labels of an allowed request to `server`'s `port`: server, route and
    /// authorization, named or default.
    fn inbound_policy(&self, b: LabelBuilder, server: PodRef, port: u16) -> LabelBuilder {
        let (route, authz) = match self.policy_for(server.workload, port) {
            Some(p) => (p.route.clone(), p.authz.clone()),
            None => (PolicyRef::default_inbound_route(), PolicyRef::default_authz()),
        };
        self.server_labels(b, server, port).policy("route", &route).policy("authz", &authz)
    }

    fn server_port(&self, flow: &HttpFlow) -> u16 {
        flow.service.map(|s| self.services[s].target_port).or(self.workload(flow.server).app_port).unwrap_or(80)
    }

    /// The request, response and latency series that one HTTP flow produces. It is long because
    /// it writes every side: the inbound endpoint with its policy labels, the outbound client,
    /// and the ServiceProfile route on both sides. They share the flow's labels and counts, and
    /// keeping them together shows that the two sides of one request always agree.
    /// (`route_series.rs` writes the modern outbound route families.)
    fn add_http_flow(&self, set: &mut SeriesSet, targets: &Targets, f: &HttpFlow) {
        let port = self.server_port(f);
        let server_ip = self.pod(f.server).ip.clone();
        let outcome = |b: LabelBuilder, with_class: bool| {
            let b = b.set("status_code", f.status_code.to_string());
            if !with_class {
                return b;
            }
            let b = b.set("classification", if f.success { "success" } else { "failure" });
            match (f.protocol, f.grpc_status) {
                (Protocol::Grpc, Some(code)) => b.set("grpc_status", code.to_string()),
                _ => b,
            }
        };
        let profile_dst = f.service.and_then(|s| {
            let svc = &self.services[s];
            svc.profile.as_ref().map(|_| self.authority(svc))
        });

        if let Some(base) = targets.get(&f.server) {
            let endpoint = || {
                let b = LabelBuilder::new(base).set("direction", "inbound");
                let b = self.target(b, &server_ip, port);
                let b = self.inbound_tls(b, f.client);
                self.inbound_policy(b, f.server, port)
            };
            set.counter("request_total", endpoint().build(), f.per10s);
            set.counter("response_total", outcome(endpoint(), true).build(), f.per10s);
            set.histogram(
                "response_latency_ms",
                Layout::LatencyMs,
                outcome(endpoint(), false).build(),
                &f.inbound_hist,
            );
            // No `direction` on authz metrics.
            let authz = {
                let b = self.target(LabelBuilder::new(base), &server_ip, port);
                self.inbound_policy(self.inbound_tls(b, f.client), f.server, port)
            };
            set.counter("inbound_http_authz_allow_total", authz.build(), f.per10s);
            if let Some(dst) = &profile_dst {
                let route = || {
                    LabelBuilder::new(base)
                        .set("direction", "inbound")
                        .set("dst", dst.clone())
                        .set("rt_route", f.route.clone().unwrap_or_default())
                };
                set.counter("route_request_total", route().build(), f.per10s);
                set.counter("route_response_total", outcome(route(), true).build(), f.per10s);
                set.histogram(
                    "route_response_latency_ms",
                    Layout::LatencyMs,
                    outcome(route(), false).build(),
                    &f.inbound_hist,
                );
            }
        }

        if let Some(base) = targets.get(&f.client) {
            let endpoint = || {
                let mut b = LabelBuilder::new(base).set("direction", "outbound");
                if let Some(s) = f.service {
                    b = b.set("authority", self.authority(&self.services[s]));
                }
                let b = self.target(b, &server_ip, port);
                let b = self.outbound_tls(b, f.server);
                self.dst_labels(b, f.server, f.service)
            };
            set.counter("request_total", endpoint().build(), f.per10s);
            set.counter("response_total", outcome(endpoint(), true).build(), f.per10s);
            set.histogram(
                "response_latency_ms",
                Layout::LatencyMs,
                outcome(endpoint(), false).build(),
                &f.outbound_hist,
            );
            if let Some(dst) = &profile_dst {
                let route = || {
                    LabelBuilder::new(base)
                        .set("direction", "outbound")
                        .set("dst", dst.clone())
                        .set("rt_route", f.route.clone().unwrap_or_default())
                };
                set.counter("route_request_total", route().build(), f.per10s);
                set.counter("route_response_total", outcome(route(), true).build(), f.per10s);
                set.histogram(
                    "route_response_latency_ms",
                    Layout::LatencyMs,
                    outcome(route(), false).build(),
                    &f.outbound_hist,
                );
                // No retries in the model: actual equals effective.
                set.counter("route_actual_request_total", route().build(), f.per10s);
                set.counter("route_actual_response_total", outcome(route(), true).build(), f.per10s);
            }
        }
    }

    fn tcp_series(set: &mut SeriesSet, labels: Labels, conns: u64, read: u64, write: u64) {
        set.gauge("tcp_open_connections", labels.clone(), conns);
        // Connections stay open for the whole data set: the open counter never moves.
        set.gauge("tcp_open_total", labels.clone(), conns);
        set.counter("tcp_read_bytes_total", labels.clone(), read);
        set.counter("tcp_write_bytes_total", labels, write);
    }

    fn add_tcp_conn(&self, set: &mut SeriesSet, targets: &Targets, c: &TcpConn) {
        let server_ip = self.pod(c.server).ip.clone();
        if let Some(base) = targets.get(&c.server) {
            let b = LabelBuilder::new(base).set("direction", "inbound").set("peer", "src");
            let b = self.target(b, &server_ip, c.port);
            let b = self.inbound_tls(b, c.client);
            let b = self.server_labels(b, c.server, c.port);
            Self::tcp_series(set, b.build(), c.conns, c.c2s, c.s2c);
        }
        if let Some(base) = targets.get(&c.client) {
            let mut b = LabelBuilder::new(base).set("direction", "outbound").set("peer", "dst");
            if let Some(s) = c.service {
                b = b.set("authority", self.authority(&self.services[s]));
            }
            let b = self.target(b, &server_ip, c.port);
            let b = self.outbound_tls(b, c.server);
            let b = self.dst_labels(b, c.server, c.service);
            Self::tcp_series(set, b.build(), c.conns, c.s2c, c.c2s);

            // The app's own connection to its proxy, to the address it dialled.
            let dialled = match c.service {
                Some(s) => {
                    let svc = &self.services[s];
                    format!("{}:{}", svc.cluster_ip, svc.port)
                }
                None => format!("{server_ip}:{}", c.port),
            };
            let b = LabelBuilder::new(base)
                .set("direction", "outbound")
                .set("peer", "src")
                .set("target_addr", dialled)
                .set("tls", "no_identity")
                .set("no_tls_reason", "loopback");
            Self::tcp_series(set, b.build(), c.conns, c.c2s, c.s2c);
        }
    }

    /// The series of `shard`: those its pods' proxies export, and the mesh-wide ones when it is
    /// global. [`Mesh::whole`] gives every series of the mesh.
    pub(crate) fn series(&self, shard: &Shard) -> SeriesSet {
        let mut set = SeriesSet::default();
        // Computed once per pod: large meshes would otherwise rebuild them per flow.
        let targets: Targets = self
            .pod_refs()
            .skip(shard.pods.start)
            .take(shard.pods.len())
            .filter(|r| self.workload(*r).meshed)
            .map(|r| (r, self.target_labels(r)))
            .collect();
        // Each proxy's start time, under its pod's target labels (what ListPods reads).
        for base in targets.values() {
            set.gauge("process_start_time_seconds", base.clone(), super::PROXY_START_TIME as u64);
        }
        for f in &self.http_flows {
            self.add_http_flow(&mut set, &targets, f);
        }
        for c in &self.tcp_conns {
            self.add_tcp_conn(&mut set, &targets, c);
        }
        self.add_policy_series(&mut set, &targets);
        // Loopback connections from each proxy to its app; their bytes are the app traffic the
        // pod serves (viz filters bytes on `peer="src"`, so they never show). Summed in one pass
        // over the connections: a pass per pod is quadratic in a large mesh.
        let mut served: HashMap<PodRef, (u64, u64)> = HashMap::new();
        for c in self.tcp_conns.iter().filter(|c| c.port != ADMIN_PORT && targets.contains_key(&c.server)) {
            let (read, write) = served.entry(c.server).or_default();
            *read += c.s2c;
            *write += c.c2s;
        }
        for (r, base) in &targets {
            let conns = self.pod(*r).loopback_conns;
            if conns == 0 {
                continue;
            }
            let (read, write) = served.get(r).copied().unwrap_or_default();
            let b = LabelBuilder::new(base)
                .set("direction", "inbound")
                .set("peer", "dst")
                .set("tls", "no_identity")
                .set("no_tls_reason", "loopback");
            Self::tcp_series(&mut set, b.build(), conns, read, write);
        }
        if !shard.global {
            return set;
        }
        for g in &self.gateways {
            let labels: Labels = vec![
                ("component".into(), "service-mirror".into()),
                ("instance".into(), SERVICE_MIRROR_INSTANCE.into()),
                ("job".into(), "linkerd-multicluster-controller".into()),
                ("target_cluster_name".into(), g.target_cluster_name.clone()),
            ];
            set.gauge("gateway_alive", labels.clone(), u64::from(g.alive));
            set.gauge("gateway_enabled", labels.clone(), 1);
            set.gauge("gateway_latency", labels.clone(), g.latency_ms);
            set.histogram("gateway_probe_latency_ms", Layout::LatencyMs, labels.clone(), &g.probe_hist);
            // Five probes per 10 s (a 2 s period), all succeeding or all failing.
            let mut probes = labels;
            probes.push(("probe_successful".into(), g.alive.to_string()));
            probes.sort();
            set.counter("gateway_probes", probes, 5);
        }
        set
    }
}

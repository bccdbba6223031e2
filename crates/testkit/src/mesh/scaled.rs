//! A large, plausible mesh for volume tests: namespaces `scale-000…`, each with deployments
//! `app-00…` (all meshed, one service `app-NN-svc:8080` each), and one Prometheus pod in
//! `linkerd-viz` scraping every pod.
//!
//! Traffic: pod `j` of deployment `i` (i ≥ 1) receives HTTP from pod `j` of deployment `i − 1`
//! (round robin when the pod counts differ): 9 successes and, on every odd deployment, 1 failure
//! per 10 s; one TCP connection carries each pair. Deployment 0 only sends. The same requests go
//! through the server Service's default HTTP route (`outbound_http_route_*`, one backend, no
//! retries).

use super::{
    ADMIN_PORT, HttpFlow, Mesh, OutboundRoute, Outcome, Pod, PodRef, Protocol, RouteBackend, RouteKey, Service,
    ServiceRef, TcpConn, Workload,
};

/// The default-route traffic of one client pod to `service`: 9 successes and `failures` 500s per
/// 10 s (latencies chosen so that no quantile lands on a half millisecond).
fn default_route(client: PodRef, service: ServiceRef, failures: u64) -> OutboundRoute {
    let mut statuses = vec![(Outcome::Http(200), 9)];
    if failures > 0 {
        statuses.push((Outcome::Http(500), failures));
    }
    OutboundRoute {
        client,
        parent: service.clone(),
        protocol: Protocol::Http,
        route: RouteKey::default_for(Protocol::Http),
        requests: statuses.clone(),
        request_hist: vec![(50, 5), (500, 4 + failures)],
        retries: 0,
        backends: vec![RouteBackend {
            service,
            weight: 1,
            responses: statuses,
            response_hist: vec![(25, 3), (50, 6 + failures)],
        }],
        annotations: Vec::new(),
    }
}

/// The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusables).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A deterministic pseudo-random name suffix of `len` characters.
fn suffix(seed: u64, len: usize) -> String {
    // SplitMix64: cheap, deterministic, well spread.
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.push(ALPHABET[(z % ALPHABET.len() as u64) as usize] as char);
    }
    out
}

/// `10.a.b.c` for the n-th address of a /8-sized pool starting at `base`.
fn ip(base: u32, n: u32) -> String {
    let v = base + n;
    format!("10.{}.{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)
}

/// The scaled mesh. It is long because it is one declaration: the workloads, Services, flows,
/// TCP connections and modern routes of every namespace come from the same loop indices, which
/// tie a caller to its callee and keep each number predictable.
pub(super) fn build(namespaces: usize, deployments: usize, pods: usize) -> Mesh {
    let mut workloads = Vec::with_capacity(namespaces * deployments + 1);
    let mut services = Vec::with_capacity(namespaces * deployments);
    let mut http_flows = Vec::new();
    let mut tcp_conns = Vec::new();
    let mut outbound_routes = Vec::new();
    let mut pod_counter: u32 = 0;
    let pods = pods.max(1);

    for n in 0..namespaces {
        let ns = format!("scale-{n:03}");
        for d in 0..deployments {
            let name = format!("app-{d:02}");
            let seed = (n * 10_000 + d) as u64;
            let hash = suffix(seed, 10);
            let app = format!("{name}-svc");
            workloads.push(Workload {
                namespace: ns.clone(),
                name: name.clone(),
                service_account: name.clone(),
                meshed: true,
                pod_template_hash: hash.clone(),
                labels: vec![("app".into(), app.clone()), ("version".into(), "v1".into())],
                app_port: Some(8080),
                pods: (0..pods)
                    .map(|p| {
                        pod_counter += 1;
                        Pod {
                            name: format!("{name}-{hash}-{}", suffix(seed * 1000 + p as u64, 5)),
                            ip: ip(64 << 16, pod_counter),
                            loopback_conns: u64::from(d > 0),
                        }
                    })
                    .collect(),
            });
            services.push(Service {
                namespace: ns.clone(),
                name: app.clone(),
                cluster_ip: ip(96 << 16, services.len() as u32 + 1),
                port: 8080,
                target_port: 8080,
                selector: vec![("app".into(), app)],
                profile: None,
            });
            if d == 0 {
                continue;
            }
            let server_w = workloads.len() - 1;
            let client_w = server_w - 1;
            let svc = services.len() - 1;
            for p in 0..pods {
                let client = PodRef { workload: client_w, pod: p };
                let server = PodRef { workload: server_w, pod: p };
                let flow = |status_code: u16, success: bool, per10s: u64| HttpFlow {
                    client,
                    server,
                    service: Some(svc),
                    route: None,
                    protocol: Protocol::Http,
                    status_code,
                    grpc_status: None,
                    success,
                    per10s,
                    inbound_hist: vec![(10, per10s / 3), (20, per10s - per10s / 3)],
                    outbound_hist: vec![(20, per10s / 3), (30, per10s - per10s / 3)],
                };
                http_flows.push(flow(200, true, 9));
                if d % 2 == 1 {
                    http_flows.push(flow(500, false, 1));
                }
                let parent = ServiceRef::new(&ns, &services[svc].name, 8080);
                outbound_routes.push(default_route(client, parent, (d % 2) as u64));
                tcp_conns.push(TcpConn {
                    client,
                    server,
                    service: Some(svc),
                    port: 8080,
                    conns: 1,
                    c2s: 1000,
                    s2c: 4000,
                });
            }
        }
    }

    let prom_w = workloads.len();
    let targets: Vec<PodRef> = (0..prom_w)
        .flat_map(|wi| (0..workloads[wi].pods.len()).map(move |pi| PodRef { workload: wi, pod: pi }))
        .collect();
    workloads.push(Workload {
        namespace: "linkerd-viz".into(),
        name: "prometheus".into(),
        service_account: "prometheus".into(),
        meshed: true,
        pod_template_hash: "6c9d7b8f5d".into(),
        labels: vec![
            ("component".into(), "prometheus".into()),
            ("linkerd.io/extension".into(), "viz".into()),
            ("namespace".into(), "linkerd-viz".into()),
        ],
        app_port: Some(9090),
        pods: vec![Pod { name: "prometheus-6c9d7b8f5d-pm7kq".into(), ip: "10.42.2.31".into(), loopback_conns: 0 }],
    });
    for server in targets {
        tcp_conns.push(TcpConn {
            client: PodRef { workload: prom_w, pod: 0 },
            server,
            service: None,
            port: ADMIN_PORT,
            conns: 1,
            c2s: 200,
            s2c: 30000,
        });
    }

    Mesh {
        trust_domain: "cluster.local".into(),
        cluster_domain: "cluster.local".into(),
        control_plane_ns: "linkerd".into(),
        workloads,
        services,
        http_flows,
        tcp_conns,
        gateways: Vec::new(),
        policies: Vec::new(),
        denials: Vec::new(),
        outbound_routes,
    }
}

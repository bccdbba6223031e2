//! The reference "emojivoto + ops + multicluster" mesh of proxy-metrics.md §7.1–§7.4, transcribed
//! table by table. The expected answers of §7.6 follow from these numbers; change nothing here
//! without re-deriving them.

use super::{ADMIN_PORT, Gateway, HttpFlow, Mesh, Pod, PodRef, ProfileRoute, Protocol, Service, TcpConn, Workload};

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

struct Spec<'a> {
    ns: &'a str,
    name: &'a str,
    sa: &'a str,
    meshed: bool,
    hash: &'a str,
    labels: &'a [(&'a str, &'a str)],
    app_port: Option<u16>,
    pods: &'a [(&'a str, &'a str, u64)],
}

fn workload(s: Spec<'_>) -> Workload {
    Workload {
        namespace: s.ns.into(),
        name: s.name.into(),
        service_account: s.sa.into(),
        meshed: s.meshed,
        pod_template_hash: s.hash.into(),
        labels: labels(s.labels),
        app_port: s.app_port,
        pods: s
            .pods
            .iter()
            .map(|(suffix, ip, loopback)| Pod {
                name: format!("{}-{}-{}", s.name, s.hash, suffix),
                ip: (*ip).into(),
                loopback_conns: *loopback,
            })
            .collect(),
    }
}

fn service(ns: &str, name: &str, ip: &str, port: u16, target: u16, app: &str) -> Service {
    Service {
        namespace: ns.into(),
        name: name.into(),
        cluster_ip: ip.into(),
        port,
        target_port: target,
        selector: labels(&[("app", app)]),
        profile: None,
    }
}

// Workload indices, in the order `build` pushes them.
const VOTE_BOT: usize = 0;
const WEB: usize = 1;
const EMOJI: usize = 2;
const VOTING: usize = 3;
const TRAFFIC: usize = 4;
const LEGACY: usize = 5;
const PROMETHEUS: usize = 6;

// Service indices.
const WEB_SVC: usize = 0;
const EMOJI_SVC: usize = 1;
const VOTING_SVC: usize = 2;
const LEGACY_SVC: usize = 3;

fn pod(workload: usize, pod: usize) -> PodRef {
    PodRef { workload, pod }
}

/// The emojivoto mesh, declared in one place. It is long because it is data: each workload,
/// Service, flow and route is one literal whose numbers the tests derive their expectations
/// from, so splitting it would only scatter what a reader compares against.
pub(super) fn build() -> Mesh {
    let app11 = |app: &'static str| [("app", app), ("version", "v11")];
    let workloads = vec![
        workload(Spec {
            ns: "emojivoto",
            name: "vote-bot",
            sa: "default",
            meshed: true,
            hash: "5b7f5657f6",
            labels: &app11("vote-bot"),
            app_port: None,
            pods: &[("xbjjw", "10.42.0.11", 0)],
        }),
        workload(Spec {
            ns: "emojivoto",
            name: "web",
            sa: "web",
            meshed: true,
            hash: "6b8c6f9d8b",
            labels: &app11("web-svc"),
            app_port: Some(8080),
            pods: &[("9kq2x", "10.42.0.12", 2)],
        }),
        workload(Spec {
            ns: "emojivoto",
            name: "emoji",
            sa: "emoji",
            meshed: true,
            hash: "7f5d8c9b6c",
            labels: &app11("emoji-svc"),
            app_port: Some(8080),
            pods: &[("4xk7p", "10.42.0.13", 1), ("r8m2n", "10.42.0.14", 1)],
        }),
        workload(Spec {
            ns: "emojivoto",
            name: "voting",
            sa: "voting",
            meshed: true,
            hash: "69d7c8d4f8",
            labels: &app11("voting-svc"),
            app_port: Some(8080),
            pods: &[("2hzqv", "10.42.0.15", 1)],
        }),
        workload(Spec {
            ns: "ops",
            name: "traffic",
            sa: "traffic",
            meshed: true,
            hash: "7c9f6d5b4d",
            labels: &[("app", "traffic")],
            app_port: None,
            pods: &[("q8w3e", "10.42.1.21", 0)],
        }),
        workload(Spec {
            ns: "ops",
            name: "legacy",
            sa: "default",
            meshed: false,
            hash: "5d4c8b7f9b",
            labels: &[("app", "legacy")],
            app_port: Some(8080),
            pods: &[("zx9vb", "10.42.1.22", 0)],
        }),
        workload(Spec {
            ns: "linkerd-viz",
            name: "prometheus",
            sa: "prometheus",
            meshed: true,
            hash: "6c9d7b8f5d",
            labels: &[("component", "prometheus"), ("linkerd.io/extension", "viz"), ("namespace", "linkerd-viz")],
            app_port: Some(9090),
            pods: &[("pm7kq", "10.42.2.31", 0)],
        }),
    ];

    let mut web_svc = service("emojivoto", "web-svc", "10.43.0.80", 80, 8080, "web-svc");
    web_svc.profile = Some(
        [("GET /api/list", "/api/list"), ("GET /api/vote", "/api/vote"), ("GET /api/leaderboard", "/api/leaderboard")]
            .iter()
            .map(|(name, path)| ProfileRoute { name: (*name).into(), method: "GET".into(), path_regex: (*path).into() })
            .collect(),
    );
    let mut prometheus_svc = service("linkerd-viz", "prometheus", "10.43.2.90", 9090, 9090, "unused");
    prometheus_svc.selector = labels(&[("component", "prometheus")]);
    let services = vec![
        web_svc,
        service("emojivoto", "emoji-svc", "10.43.0.81", 8080, 8080, "emoji-svc"),
        service("emojivoto", "voting-svc", "10.43.0.82", 8080, 8080, "voting-svc"),
        service("ops", "legacy-svc", "10.43.1.90", 8080, 8080, "legacy"),
        prometheus_svc,
    ];

    let http = |client: PodRef,
                server: PodRef,
                svc: usize,
                route: Option<&str>,
                protocol: Protocol,
                (status_code, grpc_status, success): (u16, Option<u32>, bool),
                per10s: u64,
                inbound: &[(u32, u64)],
                outbound: &[(u32, u64)]| HttpFlow {
        client,
        server,
        service: Some(svc),
        route: route.map(str::to_string),
        protocol,
        status_code,
        grpc_status,
        success,
        per10s,
        inbound_hist: inbound.to_vec(),
        outbound_hist: outbound.to_vec(),
    };
    use Protocol::{Grpc, Http};
    let ok = (200, None, true);
    let emoji_in: &[(u32, u64)] = &[(2, 2), (3, 4), (4, 2), (10, 2)];
    let emoji_out: &[(u32, u64)] = &[(3, 2), (4, 3), (5, 3), (10, 2)];
    // §7.2, row by row.
    let http_flows = vec![
        http(
            pod(VOTE_BOT, 0),
            pod(WEB, 0),
            WEB_SVC,
            Some("GET /api/list"),
            Http,
            ok,
            10,
            &[(10, 1), (20, 6), (30, 3)],
            &[(20, 6), (30, 2), (40, 1), (50, 1)],
        ),
        http(
            pod(VOTE_BOT, 0),
            pod(WEB, 0),
            WEB_SVC,
            Some("GET /api/vote"),
            Http,
            ok,
            8,
            &[(10, 1), (20, 3), (30, 2), (40, 1), (50, 1)],
            &[(20, 5), (30, 1), (40, 1), (50, 1)],
        ),
        http(
            pod(VOTE_BOT, 0),
            pod(WEB, 0),
            WEB_SVC,
            Some("GET /api/vote"),
            Http,
            (500, None, false),
            2,
            &[(2, 2)],
            &[(3, 2)],
        ),
        http(
            pod(TRAFFIC, 0),
            pod(WEB, 0),
            WEB_SVC,
            None,
            Http,
            ok,
            10,
            &[(10, 2), (20, 5), (30, 3)],
            &[(10, 1), (20, 6), (30, 2), (50, 1)],
        ),
        http(pod(WEB, 0), pod(EMOJI, 0), EMOJI_SVC, None, Grpc, (200, Some(0), true), 10, emoji_in, emoji_out),
        http(pod(WEB, 0), pod(EMOJI, 1), EMOJI_SVC, None, Grpc, (200, Some(0), true), 10, emoji_in, emoji_out),
        http(
            pod(WEB, 0),
            pod(VOTING, 0),
            VOTING_SVC,
            None,
            Grpc,
            (200, Some(0), true),
            8,
            &[(10, 3), (20, 4), (30, 1)],
            &[(10, 2), (20, 5), (30, 1)],
        ),
        http(
            pod(WEB, 0),
            pod(VOTING, 0),
            VOTING_SVC,
            None,
            Grpc,
            (200, Some(2), false),
            2,
            &[(30, 1), (100, 1)],
            &[(40, 1), (100, 1)],
        ),
        // The server is unmeshed: only the client's outbound series exist.
        http(pod(TRAFFIC, 0), pod(LEGACY, 0), LEGACY_SVC, None, Http, ok, 5, &[], &[(2, 1), (3, 2), (4, 1), (5, 1)]),
    ];

    let tcp = |client: PodRef, server: PodRef, svc: Option<usize>, port, c2s, s2c| TcpConn {
        client,
        server,
        service: svc,
        port,
        conns: 1,
        c2s,
        s2c,
    };
    // §7.3.
    let mut tcp_conns = vec![
        tcp(pod(VOTE_BOT, 0), pod(WEB, 0), Some(WEB_SVC), 8080, 3000, 15000),
        tcp(pod(TRAFFIC, 0), pod(WEB, 0), Some(WEB_SVC), 8080, 1500, 20000),
        tcp(pod(WEB, 0), pod(EMOJI, 0), Some(EMOJI_SVC), 8080, 1000, 5000),
        tcp(pod(WEB, 0), pod(EMOJI, 1), Some(EMOJI_SVC), 8080, 1000, 5000),
        tcp(pod(WEB, 0), pod(VOTING, 0), Some(VOTING_SVC), 8080, 1000, 1000),
        tcp(pod(TRAFFIC, 0), pod(LEGACY, 0), Some(LEGACY_SVC), 8080, 500, 2500),
    ];
    // Prometheus scrapes every other meshed pod's admin port by pod IP.
    for (wi, w) in workloads.iter().enumerate() {
        if !w.meshed || wi == PROMETHEUS {
            continue;
        }
        for pi in 0..w.pods.len() {
            tcp_conns.push(tcp(pod(PROMETHEUS, 0), pod(wi, pi), None, ADMIN_PORT, 200, 30000));
        }
    }

    // §7.4.
    let gateways = vec![
        Gateway {
            target_cluster_name: "east".into(),
            alive: true,
            latency_ms: 26,
            probe_hist: vec![(30, 4), (200, 1)],
        },
        Gateway { target_cluster_name: "west".into(), alive: false, latency_ms: 0, probe_hist: vec![] },
    ];

    Mesh {
        trust_domain: "cluster.local".into(),
        cluster_domain: "cluster.local".into(),
        control_plane_ns: "linkerd".into(),
        workloads,
        services,
        http_flows,
        tcp_conns,
        gateways,
        policies: Vec::new(),
        denials: Vec::new(),
        outbound_routes: Vec::new(),
    }
}

//! Every mapping round-trips (request → message → request, answer → response → answer), and
//! the messages put each field under the number of viz-semantics §8.1 / modern-linkerd.md §2
//! (checked byte for byte against hand-encoded protobuf).

use prost::Message;

use super::Rpc;
use crate::proto::viz;
use lviz_api::*;

fn round_trip<E: Rpc>(request: E::Request, answer: E::Ok)
where
    E::Request: PartialEq + std::fmt::Debug,
    E::Ok: PartialEq + std::fmt::Debug,
{
    let sent = E::to_proto(&request);
    let bytes = sent.encode_to_vec();
    let decoded = E::Proto::decode(bytes.as_slice()).expect("decodes");
    assert_eq!(E::from_proto(decoded), request, "{} request", E::METHOD);
    let reply = E::reply(&request, Ok(&answer)).expect("an answer always has a response");
    let reply = E::Reply::decode(reply.encode_to_vec().as_slice()).expect("decodes");
    assert_eq!(E::echoed_at(&reply), E::at(&request), "{} echoes at", E::METHOD);
    assert_eq!(E::read_reply(reply), Some(Ok(answer)), "{} answer", E::METHOD);
}

fn res(ns: &str, kind: &str, name: &str) -> Resource {
    Resource { namespace: ns.into(), kind: kind.into(), name: name.into() }
}

fn stats(n: u64) -> BasicStats {
    BasicStats {
        success_count: n,
        failure_count: n + 1,
        latency_ms_p50: n + 2,
        latency_ms_p95: n + 3,
        latency_ms_p99: n + 4,
        actual_success_count: n + 5,
        actual_failure_count: n + 6,
    }
}

#[test]
fn stat_round_trips_every_field() {
    let mut request = StatSummaryRequest {
        resource_type: "deployment".into(),
        resource_name: "web".into(),
        namespace: "emojivoto".into(),
        time_window: "30s".into(),
        from_resource_type: "deployment".into(),
        from_resource_name: "vote-bot".into(),
        from_namespace: "ops".into(),
        tcp_stats: Some(true),
        label_selector: "app=web".into(),
        at: Some(1767226800.5),
        skip_stats: true,
        ..Default::default()
    };
    let row = |name: &str, data: bool| StatRow {
        resource: res("emojivoto", "deployment", name),
        time_window: "30s".into(),
        status: "Running".into(),
        meshed_pod_count: 1,
        running_pod_count: 2,
        failed_pod_count: 3,
        pods_unknown: !data,
        stats: data.then(|| stats(10)),
        tcp_stats: data.then_some(TcpStats { open_connections: 5, read_bytes_total: 6, write_bytes_total: 7 }),
        srv_stats: data.then(|| lviz_api::ServerStats {
            allowed_count: 60,
            denied_count: 6,
            srv: res("emojivoto", "server", "voting-grpc"),
            route: res("emojivoto", "httproute", "voting-api"),
            authz: res("emojivoto", "authorizationpolicy", "voting-allow-web"),
        }),
    };
    let answer = StatSummaryOk {
        stat_tables: vec![
            StatTable { pod_group: PodGroup { rows: vec![row("web", true), row("emoji", false)] } },
            StatTable::default(),
        ],
    };
    round_trip::<Stat>(request.clone(), answer.clone());
    (request.from_resource_type, request.from_resource_name, request.from_namespace) = Default::default();
    request.to_namespace = "other".into();
    round_trip::<Stat>(request.clone(), answer);
    request.to_namespace.clear();
    round_trip::<Stat>(request, StatSummaryOk::default());
}

#[test]
fn routes_edges_gateways_round_trip() {
    let request = TopRoutesRequest {
        resource_type: "deployment".into(),
        resource_name: "vote-bot".into(),
        namespace: "emojivoto".into(),
        time_window: "1m".into(),
        to_resource_type: "service".into(),
        to_resource_name: "web-svc".into(),
        to_namespace: "emojivoto".into(),
        label_selector: "a=b".into(),
        at: Some(5.0),
    };
    let route = |r: &str, s: Option<BasicStats>| RouteRow {
        route: r.into(),
        time_window: "1m".into(),
        authority: "web-svc.emojivoto.svc.cluster.local".into(),
        stats: s,
    };
    let answer = TopRoutesOk {
        routes: vec![RouteTable {
            rows: vec![route("GET /api/list", Some(stats(1))), route("[DEFAULT]", None)],
            resource: "deployment/vote-bot".into(),
        }],
    };
    round_trip::<TopRoutes>(request, answer);

    let request = EdgesRequest { resource_type: "deployment".into(), namespace: "ops".into(), at: None };
    let edge = Edge {
        src: res("ops", "deployment", "traffic"),
        dst: res("ops", "deployment", "legacy"),
        client_id: "traffic.ops.serviceaccount.identity.linkerd.cluster.local".into(),
        server_id: String::new(),
        no_identity_msg: "Not Provided By Service Discovery".into(),
        client_id_unknown: true,
    };
    round_trip::<Edges>(request, EdgesOk { edges: vec![edge] });

    let request = GatewaysRequest {
        time_window: "2m".into(),
        gateway_namespace: "linkerd-multicluster".into(),
        remote_cluster_name: "east".into(),
        at: Some(7.0),
    };
    let row = GatewayRow {
        namespace: "n".into(),
        name: "g".into(),
        cluster_name: "east".into(),
        paired_services: 3,
        paired_services_unknown: true,
        alive: true,
        latency_ms_p50: 26,
        latency_ms_p95: 175,
        latency_ms_p99: 195,
    };
    round_trip::<Gateways>(request, GatewaysOk { gateways_table: GatewaysTable { rows: vec![row] } });
}

#[test]
fn cluster_facts_and_checks_round_trip() {
    let request = ListPodsRequest {
        namespace: "emojivoto".into(),
        resource_type: "deployment".into(),
        resource_name: "web".into(),
        at: Some(9.0),
    };
    let pod = |owner: &str, timed: bool| PodRow {
        name: "emojivoto/web-1".into(),
        pod_ip: "10.0.0.1".into(),
        owner_type: owner.into(),
        owner_name: if owner.is_empty() { String::new() } else { format!("emojivoto/{owner}-x") },
        status: "Running".into(),
        added: timed,
        since_last_report_ms: timed.then_some(1_500),
        controller_namespace: "linkerd".into(),
        control_plane: true,
        uptime_ms: timed.then_some(61_001),
        proxy_ready: true,
        proxy_version: "edge-25.8.1".into(),
        resource_version: "42".into(),
    };
    let kinds = ["deployment", "replicaset", "replicationcontroller", "statefulset", "daemonset", "job", ""];
    let pods = kinds.iter().enumerate().map(|(i, k)| pod(k, i % 2 == 0)).collect();
    round_trip::<ListPods>(request, ListPodsOk { pods });

    let services = vec![ServiceRow { namespace: "a".into(), name: "b".into() }];
    round_trip::<ListServices>(ListServicesRequest { namespace: "a".into() }, ListServicesOk { services });

    let result = |status| CheckResult {
        subsystem_name: "kubernetes".into(),
        check_description: "linkerd viz can talk to Kubernetes".into(),
        status,
        friendly_message_to_user: "why".into(),
    };
    let results = vec![result(CheckStatus::Ok), result(CheckStatus::Fail), result(CheckStatus::Error)];
    round_trip::<SelfCheck>(SelfCheckRequest {}, SelfCheckOk { results });

    let request = ChecksRequest {
        at: Some(3.0),
        proxy_series: true,
        scrape_interval: true,
        exist: vec![res("", "namespace", "emojivoto"), res("emojivoto", "deployment", "web")],
        count: Some(ObjectCount { namespace: "ops".into(), kind: "deployment".into(), label_selector: "a".into() }),
        pods_in: "ops".into(),
        sends: Some(res("ops", "deployment", "traffic")),
        newest_sample: true,
        histograms: vec!["response_latency_ms".into()],
    };
    let answer = ChecksOk {
        proxy_series: Some(false),
        scrape_interval_seconds: Some(10.0),
        exist: vec![Existence { resource: res("", "namespace", "emojivoto"), exists: None }],
        count: Some(0),
        pods: Some(PodTally { running: 2, meshed: 1 }),
        sends: Some(true),
        newest_sample: Some(1767226800.0),
        histograms: vec![lviz_api::HistogramCheck { family: "response_latency_ms".into(), form: "native".into() }],
    };
    round_trip::<Checks>(request, answer);
    round_trip_modern_views();
    round_trip::<Checks>(ChecksRequest::default(), ChecksOk::default());
}

/// stat-inbound, stat-outbound (lviz's extension service) and Authz (Linkerd's) cross the wire
/// and come back equal, NaN latencies (`None`) included.
fn round_trip_modern_views() {
    use lviz_api::{
        Authz, AuthzOk, AuthzRow, AuthzRows, AuthzTable, InboundRow, OutboundBackend, OutboundRoute, OutboundStats,
        RouteStatsRequest, ServerStats, StatInbound, StatInboundOk, StatOutbound, StatOutboundOk,
    };
    let request = RouteStatsRequest {
        resource_type: "deployment".into(),
        resource_name: "web".into(),
        namespace: "emojivoto".into(),
        time_window: "1m".into(),
        label_selector: "app=web".into(),
        at: Some(1767226800.0),
    };
    let inbound = InboundRow {
        namespace: "emojivoto".into(),
        name: "voting".into(),
        server: "voting-grpc".into(),
        port: "8080".into(),
        route: "voting-api".into(),
        route_type: "HTTPRoute".into(),
        success_count: 48,
        failure_count: 12,
        latency_ms_p50: Some(15.0),
        latency_ms_p95: None,
        latency_ms_p99: Some(95.5),
    };
    round_trip::<StatInbound>(request.clone(), StatInboundOk { rows: vec![inbound, InboundRow::default()] });
    let counts = OutboundStats {
        success_count: 40,
        failure_count: 8,
        timeout_count: 2,
        latency_ms_p50: Some(25.0),
        latency_ms_p95: Some(95.0),
        latency_ms_p99: None,
    };
    let route = OutboundRoute {
        namespace: "emojivoto".into(),
        name: "vote-bot".into(),
        service: "web-svc-east".into(),
        port: "8080".into(),
        route: "web-multicluster".into(),
        route_type: "HTTPRoute".into(),
        stats: counts,
        retry_count: 4,
        backends: vec![OutboundBackend { name: "web-svc-west".into(), port: "8080".into(), stats: counts }],
    };
    round_trip::<StatOutbound>(request.clone(), StatOutboundOk { rows: vec![route] });
    let row = AuthzRow {
        resource: res("emojivoto", "deployment", "voting"),
        time_window: "1m".into(),
        stats: stats(7),
        srv_stats: ServerStats {
            allowed_count: 60,
            denied_count: 6,
            srv: res("emojivoto", "server", "voting-grpc"),
            route: res("emojivoto", "httproute", "voting-api"),
            authz: res("", "", ""),
        },
    };
    let answer = AuthzOk { stat_table: AuthzTable { pod_group: AuthzRows { rows: vec![row] } } };
    round_trip::<Authz>(request, answer);
}

#[test]
fn rejections_go_in_the_error_field_where_there_is_one() {
    let request = StatSummaryRequest { resource_type: "bogus".into(), namespace: "ns".into(), ..Default::default() };
    let reply = <Stat as Rpc>::reply(&request, Err("unimplemented resource type: bogus")).expect("has an error field");
    let expected = viz::StatSummaryResponse {
        at: None,
        response: Some(viz::stat_summary_response::Response::Error(viz::ResourceError {
            resource: Some(viz::Resource { namespace: "ns".into(), r#type: "bogus".into(), name: String::new() }),
            error: "unimplemented resource type: bogus".into(),
        })),
    };
    assert_eq!(reply, expected);
    assert_eq!(<Stat as Rpc>::read_reply(reply), Some(Err("unimplemented resource type: bogus".into())));
    assert_eq!(<Stat as Rpc>::read_reply(viz::StatSummaryResponse::default()), None, "neither ok nor error");
    assert!(<ListPods as Rpc>::reply(&ListPodsRequest::default(), Err("bad")).is_none());
    assert!(<SelfCheck as Rpc>::reply(&SelfCheckRequest {}, Err("bad")).is_none());
}

/// Field numbers, checked against protobuf written by hand from the reference: tag byte =
/// field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited).
#[test]
fn field_numbers_are_linkerds() {
    let request = <Stat as Rpc>::to_proto(&StatSummaryRequest {
        resource_type: "pod".into(),
        namespace: "n".into(),
        time_window: "1m".into(),
        to_resource_type: "pod".into(),
        tcp_stats: Some(true),
        skip_stats: true,
        ..Default::default()
    });
    let expected: Vec<u8> = [
        // selector = 1 { resource = 1 { namespace = 1 "n"; type = 2 "pod" } }
        &[0x0a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, b'n', 0x12, 0x03, b'p', b'o', b'd'][..],
        // time_window = 2 "1m"
        &[0x12, 0x02, b'1', b'm'],
        // to_resource = 4 { type = 2 "pod" }
        &[0x22, 0x05, 0x12, 0x03, b'p', b'o', b'd'],
        // skip_stats = 6, tcp_stats = 7
        &[0x30, 0x01, 0x38, 0x01],
    ]
    .concat();
    assert_eq!(request.encode_to_vec(), expected);

    let routes = <TopRoutes as Rpc>::to_proto(&TopRoutesRequest {
        resource_type: "pod".into(),
        to_namespace: "x".into(),
        at: Some(0.0),
        ..Default::default()
    });
    // selector = 1 { resource = 1 { type = 2 "pod" } }; to_resource = 7 { namespace = 1 "x" }; at = 1000
    // (fixed64 0.0). prost writes fields in tag order, a oneof at its lowest tag.
    let expected: Vec<u8> = [
        &[0x0a, 0x07, 0x0a, 0x05, 0x12, 0x03, b'p', b'o', b'd'][..],
        &[0x3a, 0x03, 0x0a, 0x01, b'x'],
        &[0xc1, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
    .concat();
    assert_eq!(routes.encode_to_vec(), expected);

    // Row: status = 9, meshed = 3, running = 4, failed = 6, tcp_stats = 8 { open = 1 }.
    let row = viz::stat_table::pod_group::Row {
        status: "R".into(),
        meshed_pod_count: 1,
        running_pod_count: 2,
        failed_pod_count: 3,
        tcp_stats: Some(viz::TcpStats { open_connections: 4, ..Default::default() }),
        ..Default::default()
    };
    assert_eq!(row.encode_to_vec(), vec![0x18, 1, 0x20, 2, 0x30, 3, 0x42, 0x02, 0x08, 4, 0x4a, 0x01, b'R']);

    // Gateways request: remote_cluster_name = 1, gateway_namespace = 2, time_window = 3.
    let gateways = viz::GatewaysRequest {
        remote_cluster_name: "e".into(),
        gateway_namespace: "g".into(),
        time_window: "t".into(),
        at: None,
    };
    assert_eq!(gateways.encode_to_vec(), vec![0x0a, 1, b'e', 0x12, 1, b'g', 0x1a, 1, b't']);

    // ListPods: selector = 2; Pod: proxyReady = 15, proxyVersion = 16, resourceVersion = 17, replica_set = 10.
    let pods = <ListPods as Rpc>::to_proto(&ListPodsRequest { namespace: "n".into(), ..Default::default() });
    assert_eq!(pods.encode_to_vec(), vec![0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, b'n']);
    let pod = viz::Pod {
        proxy_ready: true,
        proxy_version: "v".into(),
        resource_version: "1".into(),
        owner: Some(viz::pod::Owner::ReplicaSet("r".into())),
        ..Default::default()
    };
    assert_eq!(pod.encode_to_vec(), vec![0x52, 1, b'r', 0x78, 1, 0x82, 0x01, 1, b'v', 0x8a, 0x01, 1, b'1']);
}

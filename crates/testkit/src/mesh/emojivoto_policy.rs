//! The policy half of the reference mesh, as a 2025–2026 proxy reports it (the crate README's
//! "Modern Linkerd" section derives every expected answer from these numbers; change nothing
//! here without re-deriving them):
//!
//! - inbound: voting's port 8080 is Server `voting-grpc`; every request matches the
//!   policy.linkerd.io HTTPRoute `voting-api`, allowed by AuthorizationPolicy `voting-allow-web`
//!   (MeshTLSAuthentication `web-identity`). The unmeshed legacy pod calls voting directly and is
//!   denied once per 10 s. web and emoji keep the default policy. Voting's existing series only
//!   change label values, one series per existing key, so every §7.6 answer stays bit-identical.
//! - outbound policy routes (per 10 s). web-svc has a ServiceProfile, so its clients' traffic is
//!   profile-routed and has no route series. The legacy endpoint and TCP series of §7 are left as
//!   they were: the route-only traffic below (vote-bot's multicluster route, retries, timeouts)
//!   exists in the route families alone.
//!   - vote-bot → web-svc-east:8080, HTTPRoute `web-multicluster` split 80/20 over web-svc-east
//!     and web-svc-west (whose gateway is dead: every attempt there times out).
//!   - web → emoji-svc:8080, default gRPC route, all OK (the two emoji flows of §7.2).
//!   - web → voting-svc:8080, GRPCRoute `voting-rpc` with retries on UNAVAILABLE (the voting
//!     flows of §7.2 plus one retried UNAVAILABLE attempt).
//!   - traffic → legacy-svc:8080, default HTTP route (the legacy flow of §7.2).

use super::{
    Denial, InboundPolicy, Mesh, OutboundRoute, Outcome, POLICY_GROUP, PodRef, PolicyRef, Protocol, RouteBackend,
    RouteKey, ServiceRef,
};

fn pod(mesh: &Mesh, ns: &str, deploy: &str) -> PodRef {
    let workload = mesh.find_workload(ns, deploy).unwrap_or_else(|| panic!("no workload {ns}/{deploy}"));
    PodRef { workload, pod: 0 }
}

fn annotations(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Adds the inbound policy of voting and the denied legacy requests.
fn inbound(mesh: &mut Mesh) {
    let voting = pod(mesh, "emojivoto", "voting");
    let web = &mesh.workloads[pod(mesh, "emojivoto", "web").workload];
    let web_identity = mesh.identity(web);
    mesh.policies.push(InboundPolicy {
        workload: voting.workload,
        port: 8080,
        server: PolicyRef::new(POLICY_GROUP, "server", "voting-grpc"),
        route: PolicyRef::new(POLICY_GROUP, "HTTPRoute", "voting-api"),
        authz: PolicyRef::new(POLICY_GROUP, "authorizationpolicy", "voting-allow-web"),
        authentication: "web-identity".into(),
        identities: vec![web_identity],
        path_prefix: "/emojivoto.v1.VotingService/".into(),
    });
    mesh.denials.push(Denial { client: pod(mesh, "ops", "legacy"), server: voting, port: 8080, per10s: 1 });
}

fn vote_bot_multicluster(mesh: &Mesh) -> OutboundRoute {
    use Outcome::{Error, Http};
    let east = ServiceRef::new("emojivoto", "web-svc-east", 8080);
    let west = ServiceRef::new("emojivoto", "web-svc-west", 8080);
    OutboundRoute {
        client: pod(mesh, "emojivoto", "vote-bot"),
        parent: east.clone(),
        protocol: Protocol::Http,
        route: RouteKey::named("HTTPRoute", "emojivoto", "web-multicluster"),
        // 20 requests: 16 succeed (2 after a retry), 2 get a 500 from east, 2 time out at west
        // twice (once with the request timeout, once with the retry's response headers timeout).
        requests: vec![
            (Http(200), 16),
            (Http(500), 2),
            (Error("REQUEST_TIMEOUT"), 1),
            (Error("RESPONSE_HEADERS_TIMEOUT"), 1),
        ],
        request_hist: vec![(50, 9), (500, 7), (10_000, 4)],
        // The 4 first attempts at west time out and are retried: 2 land at east, 2 at west again.
        retries: 4,
        backends: vec![
            RouteBackend {
                service: east,
                weight: 80,
                responses: vec![(Http(200), 16), (Http(500), 2)],
                response_hist: vec![(25, 4), (50, 6), (100, 5), (250, 2), (500, 1)],
            },
            RouteBackend {
                service: west,
                weight: 20,
                responses: vec![(Error("RESPONSE_HEADERS_TIMEOUT"), 6)],
                response_hist: Vec::new(),
            },
        ],
        annotations: annotations(&[
            ("retry.linkerd.io/http", "503"),
            ("retry.linkerd.io/limit", "1"),
            ("retry.linkerd.io/timeout", "1s"),
            ("timeout.linkerd.io/request", "3s"),
        ]),
    }
}

fn web_routes(mesh: &Mesh) -> [OutboundRoute; 2] {
    use Outcome::Grpc;
    let web = pod(mesh, "emojivoto", "web");
    let emoji = ServiceRef::new("emojivoto", "emoji-svc", 8080);
    let voting = ServiceRef::new("emojivoto", "voting-svc", 8080);
    let emoji_route = OutboundRoute {
        client: web,
        parent: emoji.clone(),
        protocol: Protocol::Grpc,
        route: RouteKey::default_for(Protocol::Grpc),
        requests: vec![(Grpc("OK"), 20)],
        request_hist: vec![(50, 17), (500, 3)],
        retries: 0,
        backends: vec![RouteBackend {
            service: emoji,
            weight: 1,
            responses: vec![(Grpc("OK"), 20)],
            response_hist: vec![(25, 14), (50, 4), (100, 2)],
        }],
        annotations: Vec::new(),
    };
    let voting_route = OutboundRoute {
        client: web,
        parent: voting.clone(),
        protocol: Protocol::Grpc,
        route: RouteKey::named("GRPCRoute", "emojivoto", "voting-rpc"),
        requests: vec![(Grpc("OK"), 8), (Grpc("UNKNOWN"), 2)],
        request_hist: vec![(50, 6), (500, 3), (1000, 1)],
        retries: 1,
        backends: vec![RouteBackend {
            service: voting,
            weight: 1,
            responses: vec![(Grpc("OK"), 8), (Grpc("UNKNOWN"), 2), (Grpc("UNAVAILABLE"), 1)],
            response_hist: vec![(25, 3), (50, 3), (100, 3), (250, 2)],
        }],
        annotations: annotations(&[("retry.linkerd.io/grpc", "unavailable"), ("retry.linkerd.io/limit", "1")]),
    };
    [emoji_route, voting_route]
}

fn traffic_legacy(mesh: &Mesh) -> OutboundRoute {
    let legacy = ServiceRef::new("ops", "legacy-svc", 8080);
    OutboundRoute {
        client: pod(mesh, "ops", "traffic"),
        parent: legacy.clone(),
        protocol: Protocol::Http,
        route: RouteKey::default_for(Protocol::Http),
        requests: vec![(Outcome::Http(200), 5)],
        request_hist: vec![(50, 3), (500, 2)],
        retries: 0,
        backends: vec![RouteBackend {
            service: legacy,
            weight: 1,
            responses: vec![(Outcome::Http(200), 5)],
            response_hist: vec![(25, 1), (50, 2), (100, 2)],
        }],
        annotations: Vec::new(),
    }
}

/// Adds the policy half to the §7 mesh.
pub(super) fn add(mesh: &mut Mesh) {
    inbound(mesh);
    let routes = [vote_bot_multicluster(mesh)].into_iter().chain(web_routes(mesh)).chain([traffic_legacy(mesh)]);
    mesh.outbound_routes.extend(routes);
}

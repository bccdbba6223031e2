//! Fault server, Kubernetes: paging faults seen by following `continue` tokens, a watch that
//! stalls, and the real kube client against the server's own kubeconfig (errors arrive as the
//! API's `Status`, the healthy server lists nothing, the secret is the bearer token).

mod fault_client;

use std::time::Duration;

use fault_client::{End, exchange, get, http};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use lviz_testkit::faults::{Backend, Fault, FaultServer, Paging, Plan, SECRET};
use serde_json::Value;

async fn page(server: &FaultServer, token: Option<&str>) -> (u16, Value) {
    let mut url = format!("{}/api/v1/pods?limit=500", server.url());
    if let Some(t) = token {
        url.push_str(&format!("&continue={t}"));
    }
    let resp = http().get(url).send().await.expect("send");
    (resp.status().as_u16(), resp.json().await.expect("JSON"))
}

fn token(list: &Value) -> Option<String> {
    list["metadata"]["continue"].as_str().map(str::to_string)
}

#[tokio::test]
async fn endless_paging_never_ends_and_never_repeats() {
    let server = FaultServer::start(Fault::KubeList(Paging::Endless)).await.expect("start");
    let mut seen = std::collections::HashSet::new();
    let mut next = None;
    for _ in 0..200 {
        let (code, list) = page(&server, next.as_deref()).await;
        assert_eq!((code, list["items"].as_array().map(Vec::len)), (200, Some(1)));
        next = token(&list);
        assert!(seen.insert(next.clone().expect("a continue token")), "tokens never repeat");
    }
    assert_eq!(server.request_count(), 200);
}

#[tokio::test]
async fn repeated_and_expired_continue_tokens() {
    let server = FaultServer::start(Fault::KubeList(Paging::Repeat)).await.expect("start");
    let first = token(&page(&server, None).await.1).expect("token");
    let second = token(&page(&server, Some(&first)).await.1).expect("token");
    assert_eq!(first, second);

    let server = FaultServer::start(Fault::KubeList(Paging::GoneOnContinue)).await.expect("start");
    let first = token(&page(&server, None).await.1).expect("token");
    let (code, status) = page(&server, Some(&first)).await;
    assert_eq!((code, status["kind"].as_str(), status["reason"].as_str()), (410, Some("Status"), Some("Expired")));
}

#[tokio::test]
async fn watches_stall_after_their_headers() {
    // Lists are relayed to the upstream; watches stall.
    let upstream = FaultServer::start(Fault::Healthy(Backend::Kube)).await.expect("upstream");
    let server = FaultServer::start(Plan::new(Fault::KubeWatchStall).upstream(&upstream.url())).await.expect("start");
    let ex = exchange(server.addr(), &get("/api/v1/pods?watch=true&resourceVersion=1"), Duration::from_secs(1)).await;
    assert_eq!(ex.end, End::Quiet);
    assert_eq!(ex.header("transfer-encoding").as_deref(), Some("chunked"));
    assert_eq!(ex.body(), Some(&b""[..]));
    let (code, list) = page(&server, None).await;
    assert_eq!((code, list["items"].as_array().map(Vec::len)), (200, Some(0)));
    let targets: Vec<String> = upstream.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/api/v1/pods?limit=500"], "only the list is relayed");
}

async fn kube_client(server: &FaultServer) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(server.kubeconfig_path()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
    kube::Client::try_from(config).expect("client")
}

#[tokio::test]
async fn the_kube_client_sees_status_errors_and_sends_the_token() {
    let case = Fault::catalog_for(Backend::Kube).into_iter().find(|c| c.name == "status-403-status").expect("case");
    let server = case.start().await.expect("start");
    let pods: Api<Pod> = Api::all(kube_client(&server).await);
    match pods.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
            assert!(status.message.contains("cannot list resource"), "{}", status.message);
        }
        other => panic!("expected a Forbidden Status, got {other:?}"),
    }
    let auth = server.requests()[0].header("authorization").map(str::to_string);
    assert_eq!(auth, Some(format!("Bearer {SECRET}")));
}

#[tokio::test]
async fn the_kube_client_lists_nothing_from_a_healthy_server() {
    let server = FaultServer::start(Fault::Healthy(Backend::Kube)).await.expect("start");
    let client = kube_client(&server).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "emojivoto");
    assert!(pods.list(&ListParams::default()).await.expect("list").items.is_empty());
    match pods.get("web").await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 404),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn the_kube_client_trusts_the_kubeconfig_ca_of_a_tls_server() {
    use lviz_testkit::faults::TlsCert;
    let plan = |cert| Plan::new(Fault::Healthy(Backend::Kube)).tls(cert);
    let valid = FaultServer::start(plan(TlsCert::Valid)).await.expect("start");
    assert!(valid.kubeconfig_yaml().contains("certificate-authority: "));
    let pods: Api<Pod> = Api::namespaced(kube_client(&valid).await, "emojivoto");
    assert!(pods.list(&ListParams::default()).await.expect("list over TLS").items.is_empty());

    let expired = FaultServer::start(plan(TlsCert::Expired)).await.expect("start");
    let pods: Api<Pod> = Api::namespaced(kube_client(&expired).await, "emojivoto");
    let err = pods.list(&ListParams::default()).await.expect_err("an expired certificate");
    assert!(format!("{err:?}").contains("Expired"), "{err:?}");
    assert_eq!(expired.request_count(), 0, "no request gets past the handshake");
}

#[tokio::test]
async fn paging_faults_leave_single_objects_alone() {
    let server = FaultServer::start(Fault::KubeList(Paging::Endless)).await.expect("start");
    let resp = http().get(format!("{}/api/v1/namespaces/emojivoto", server.url())).send().await.expect("send");
    assert_eq!(resp.status(), 404, "a single object is not a list");
    let ex = exchange(server.addr(), &get("/api/v1/pods?watch=1"), Duration::from_secs(1)).await;
    assert_eq!((ex.end, ex.body()), (End::Quiet, Some(&b""[..])), "watches stall");
}

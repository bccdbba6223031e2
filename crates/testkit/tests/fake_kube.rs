//! The fake API server against the real `kube` client: lists with selectors, gets, NotFound,
//! pagination, a CRD through `DynamicObject`, watch, faults, request recording, and the service
//! proxy.

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use lviz_testkit::fixtures::emojivoto_objects;
use lviz_testkit::kube::FakeKube;

async fn client(kube: &FakeKube, context: Option<&str>) -> Client {
    let kubeconfig = Kubeconfig::read_from(kube.kubeconfig_path()).expect("kubeconfig parses");
    let opts = KubeConfigOptions { context: context.map(str::to_string), ..Default::default() };
    let config = Config::from_custom_kubeconfig(kubeconfig, &opts).await.expect("config");
    Client::try_from(config).expect("client")
}

#[tokio::test]
async fn lists_gets_and_not_found() {
    let kube = FakeKube::start(emojivoto_objects()).await.expect("start");
    let c = client(&kube, None).await;

    let pods: Api<Pod> = Api::namespaced(c.clone(), "emojivoto");
    let web = pods
        .list(&ListParams::default().labels("app=web-svc,linkerd.io/control-plane-ns=linkerd"))
        .await
        .expect("list pods");
    let names: Vec<String> = web.items.iter().filter_map(|p| p.metadata.name.clone()).collect();
    assert_eq!(names, ["web-6b8c6f9d8b-9kq2x"]);
    let env = web.items[0].spec.as_ref().expect("spec").containers[0].env.as_ref().expect("env");
    assert!(env.iter().any(|e| e.name == "LINKERD2_PROXY_IDENTITY_LOCAL_NAME"
        && e.value.as_deref() == Some("$(_pod_sa).$(_pod_ns).serviceaccount.identity.linkerd.cluster.local")));

    let running = pods.list(&ListParams::default().fields("status.phase=Running")).await.expect("field selector");
    assert_eq!(running.items.len(), 5);
    let all = pods.list(&ListParams::default()).await.expect("all pods");
    assert_eq!(all.items.len(), 7, "5 running + 1 failed + 1 succeeded");
    let emoji = pods
        .list(&ListParams::default().labels("app in (emoji-svc, voting-svc), !missing"))
        .await
        .expect("set selector");
    assert_eq!(emoji.items.len(), 4, "2 emoji + voting + failed voting");

    let deploys: Api<Deployment> = Api::namespaced(c.clone(), "emojivoto");
    let d = deploys.get("emoji").await.expect("get deployment");
    assert_eq!(d.spec.replicas, Some(2));
    let rs: Api<ReplicaSet> = Api::namespaced(c.clone(), "emojivoto");
    let rs = rs.get("emoji-7f5d8c9b6c").await.expect("get rs");
    let owner = &rs.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(owner.uid, d.metadata.uid.clone().expect("uid"));
    assert_eq!(owner.controller, Some(true));

    match deploys.get("nope").await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.reason, "NotFound");
            assert_eq!(s.code, 404);
            assert_eq!(s.message, "deployments.apps \"nope\" not found");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    match pods.get("x").await {
        Err(kube::Error::Api(s)) => assert_eq!(s.message, "pods \"x\" not found"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    match pods.list(&ListParams::default().labels("app in web")).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 400);
            assert_eq!(s.reason, "BadRequest");
        }
        other => panic!("expected BadRequest, got {other:?}"),
    }

    let namespaces: Api<Namespace> = Api::all(c.clone());
    let ns = namespaces.get("linkerd-viz").await.expect("namespace");
    assert_eq!(ns.metadata.labels.expect("labels")["linkerd.io/extension"], "viz");
    let all_ns = namespaces.list(&ListParams::default()).await.expect("namespaces");
    assert_eq!(all_ns.items.len(), 6);

    let counts = kube.request_counts();
    assert_eq!(counts["/api/v1/namespaces/emojivoto/pods"], 5);
    assert_eq!(counts["/apis/apps/v1/namespaces/emojivoto/deployments/nope"], 1);
}

#[tokio::test]
async fn pagination_crd_and_contexts() {
    let kube = FakeKube::start(emojivoto_objects()).await.expect("start");
    let c = client(&kube, Some("other")).await;
    assert_eq!(c.default_namespace(), "ops");

    let services: Api<Service> = Api::all(c.clone());
    let everything = services.list(&ListParams::default()).await.expect("list");
    let mut seen = Vec::new();
    let mut lp = ListParams::default().limit(2);
    loop {
        let page = services.list(&lp).await.expect("page");
        assert!(page.items.len() <= 2);
        seen.extend(page.items.into_iter().filter_map(|s| s.metadata.name));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = lp.continue_token(&token),
            _ => break,
        }
    }
    let all: Vec<String> = everything.items.into_iter().filter_map(|s| s.metadata.name).collect();
    assert_eq!(seen, all);
    assert_eq!(all.len(), 11);

    let gvk = GroupVersionKind::gvk("linkerd.io", "v1alpha2", "ServiceProfile");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "serviceprofiles");
    let profiles: Api<DynamicObject> = Api::namespaced_with(c.clone(), "emojivoto", &ar);
    let list = profiles.list(&ListParams::default()).await.expect("serviceprofiles");
    assert_eq!(list.items.len(), 1);
    let sp = &list.items[0];
    assert_eq!(sp.metadata.name.as_deref(), Some("web-svc.emojivoto.svc.cluster.local"));
    let routes: Vec<&str> =
        sp.data["spec"]["routes"].as_array().expect("routes").iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(routes, ["GET /api/list", "GET /api/vote", "GET /api/leaderboard"]);
}

#[tokio::test]
async fn watch_faults_and_proxy() {
    let kube = FakeKube::start(emojivoto_objects()).await.expect("start");
    let c = client(&kube, None).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "ops");
    let stream = pods.watch(&WatchParams::default().timeout(5), "0").await.expect("watch");
    let events: Vec<WatchEvent<Pod>> = stream.take(2).try_collect().await.expect("events");
    let names: Vec<String> = events
        .iter()
        .map(|e| match e {
            WatchEvent::Added(p) => p.metadata.name.clone().unwrap_or_default(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(names, ["legacy-5d4c8b7f9b-zx9vb", "traffic-7c9f6d5b4d-q8w3e"]);

    kube.fail_next("/apis/apps/v1", 403);
    let deploys: Api<Deployment> = Api::all(c.clone());
    match deploys.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden")),
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert_eq!(deploys.list(&ListParams::default()).await.expect("fault consumed").items.len(), 9);

    // The service proxy forwards to an upstream: here, the fake itself.
    kube.set_service_proxy("linkerd-viz", "prometheus", 9090, &kube.url());
    let url = format!("{}/api/v1/namespaces/linkerd-viz/services/prometheus:9090/proxy/version?x=1", kube.url());
    let v: serde_json::Value = reqwest::get(&url).await.expect("proxy").json().await.expect("json");
    assert_eq!(v["major"], "1");
    assert!(kube.requests().iter().any(|r| r.path == "/version" && r.query == "x=1"));
    let missing = format!("{}/api/v1/namespaces/emojivoto/services/web-svc:80/proxy/", kube.url());
    assert_eq!(reqwest::get(&missing).await.expect("proxy").status(), 503);
}

#[test]
fn background_server_from_sync_code() {
    let kube = FakeKube::start_background(emojivoto_objects()).expect("start");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let c = client(&kube, None).await;
        let pods: Api<Pod> = Api::namespaced(c, "empty-ns");
        let list = pods.list(&ListParams::default()).await.expect("list");
        assert_eq!(list.items.len(), 1);
        assert!(list.items[0].metadata.labels.as_ref().expect("labels").get("linkerd.io/control-plane-ns").is_none());
    });
    drop(kube);
}

/// The policy objects the metrics name, through the real client: the Server, route and
/// authorization of voting's inbound policy and the Gateway API routes of the outbound families;
/// discovery lists policy.linkerd.io with both its versions.
#[tokio::test]
async fn policy_objects() {
    let kube = FakeKube::start(emojivoto_objects()).await.expect("start");
    let c = client(&kube, None).await;
    let dynamic = |group: &str, version: &str, kind: &str, plural: &str| {
        let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        Api::<DynamicObject>::namespaced_with(c.clone(), "emojivoto", &ar)
    };
    let names = |list: kube::core::ObjectList<DynamicObject>| -> Vec<String> {
        list.items.into_iter().filter_map(|o| o.metadata.name).collect()
    };
    let lp = ListParams::default();
    let servers = dynamic("policy.linkerd.io", "v1beta3", "Server", "servers");
    let server = servers.get("voting-grpc").await.expect("server");
    assert_eq!(server.data["spec"]["podSelector"]["matchLabels"]["app"], "voting-svc");
    assert_eq!(server.data["spec"]["port"], 8080);
    let routes = dynamic("policy.linkerd.io", "v1beta3", "HTTPRoute", "httproutes");
    assert_eq!(names(routes.list(&lp).await.expect("routes")), ["voting-api"]);
    let authz = dynamic("policy.linkerd.io", "v1alpha1", "AuthorizationPolicy", "authorizationpolicies");
    let ap = authz.get("voting-allow-web").await.expect("authorization policy");
    assert_eq!(ap.data["spec"]["targetRef"]["name"], "voting-api");
    let authn = dynamic("policy.linkerd.io", "v1alpha1", "MeshTLSAuthentication", "meshtlsauthentications");
    let identities = authn.get("web-identity").await.expect("authentication").data["spec"]["identities"].clone();
    assert_eq!(identities[0], "web.emojivoto.serviceaccount.identity.linkerd.cluster.local");

    let http = dynamic("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes");
    let split = http.get("web-multicluster").await.expect("HTTPRoute");
    let backends = &split.data["spec"]["rules"][0]["backendRefs"];
    assert_eq!((backends[0]["name"].as_str(), backends[0]["weight"].as_u64()), (Some("web-svc-east"), Some(80)));
    assert_eq!((backends[1]["name"].as_str(), backends[1]["weight"].as_u64()), (Some("web-svc-west"), Some(20)));
    let grpc = dynamic("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes");
    assert_eq!(names(grpc.list(&lp).await.expect("grpcroutes")), ["voting-rpc"]);
    assert!(names(servers.list(&lp).await.expect("servers")).len() == 1);

    let groups: serde_json::Value =
        reqwest::get(format!("{}/apis", kube.url())).await.expect("discovery").json().await.expect("json");
    let policy = groups["groups"].as_array().expect("groups").iter().find(|g| g["name"] == "policy.linkerd.io");
    let versions: Vec<&str> = policy.expect("policy group")["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(versions, ["v1beta3", "v1alpha1"]);
}

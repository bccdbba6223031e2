//! Port-forward failures as kube's client sees them (missing pod, pods that are not Running,
//! ports nothing listens on, bad requests), and the metrics-api fixture found the way the
//! linkerd CLI finds it.

mod support;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Api;
use kube::api::ListParams;
use lviz_testkit::fixtures::{
    METRICS_API_ADMIN_PORT, METRICS_API_NAMESPACE, METRICS_API_PENDING_POD, METRICS_API_POD, METRICS_API_PORT,
    emojivoto_objects, with_metrics_api,
};
use lviz_testkit::kube::FakeKube;
use support::{Upstream, WAIT, client, closed_port};
use tokio::io::AsyncReadExt;

/// The `Status` kube reports for a refused forward: (code, reason, message).
async fn refusal(pods: &Api<Pod>, pod: &str) -> (u16, String, String) {
    match pods.portforward(pod, &[METRICS_API_PORT]).await {
        Err(kube::Error::Api(s)) => (s.code, s.reason.clone(), s.message.clone()),
        Err(other) => panic!("expected an API error for {pod}, got {other:?}"),
        Ok(_) => panic!("expected {pod} to refuse the forward"),
    }
}

#[tokio::test]
async fn missing_pod_is_a_not_found_status() {
    let kube = FakeKube::start(with_metrics_api(emojivoto_objects())).await.expect("start");
    let pods: Api<Pod> = Api::namespaced(client(&kube).await, METRICS_API_NAMESPACE);
    let (code, reason, message) = refusal(&pods, "metrics-api-gone").await;
    assert_eq!((code, reason.as_str(), message.as_str()), (404, "NotFound", "pods \"metrics-api-gone\" not found"));
    let recorded = kube.requests().into_iter().find(|r| r.path.ends_with("/portforward")).expect("recorded");
    assert_eq!(recorded.path, "/api/v1/namespaces/linkerd-viz/pods/metrics-api-gone/portforward");
}

#[tokio::test]
async fn pods_that_are_not_running_refuse_as_the_cluster_does() {
    // The Pending metrics-api pod has no node: the API server refuses.
    let mut objects = with_metrics_api(emojivoto_objects());
    let kube = FakeKube::start(objects.clone()).await.expect("start");
    let c = client(&kube).await;
    let viz: Api<Pod> = Api::namespaced(c.clone(), METRICS_API_NAMESPACE);
    let want = format!("pod {METRICS_API_PENDING_POD} does not have a host assigned");
    assert_eq!(refusal(&viz, METRICS_API_PENDING_POD).await, (400, "BadRequest".into(), want));

    // Finished pods keep a stopped sandbox: the runtime refuses, the kubelet's plain-text 500
    // reaches kube, which wraps it in a Status of its own.
    let emojivoto: Api<Pod> = Api::namespaced(c.clone(), "emojivoto");
    for finished in ["voting-69d7c8d4f8-old01", "vote-bot-5b7f5657f6-done1"] {
        let (code, reason, message) = refusal(&emojivoto, finished).await;
        assert_eq!(
            (code, message.as_str()),
            (500, "rpc error: code = Unknown desc = sandbox container is not running")
        );
        assert_eq!(reason, "Failed to parse error data", "kube's reason for a non-Status body");
    }

    // Scheduled but still Pending: no sandbox yet.
    for obj in objects.iter_mut().filter(|o| o["metadata"]["name"] == METRICS_API_PENDING_POD) {
        obj["spec"]["nodeName"] = "node-1".into();
    }
    let kube = FakeKube::start(objects).await.expect("start");
    let viz: Api<Pod> = Api::namespaced(client(&kube).await, METRICS_API_NAMESPACE);
    let uid = viz.get(METRICS_API_PENDING_POD).await.expect("pod").metadata.uid.expect("uid");
    let (code, _, message) = refusal(&viz, METRICS_API_PENDING_POD).await;
    assert_eq!(code, 500);
    assert_eq!(message, format!("failed to find sandboxID for pod {METRICS_API_PENDING_POD}_linkerd-viz({uid})"));
}

#[tokio::test]
async fn ports_nothing_listens_on_fail_on_their_error_channel() {
    let kube = FakeKube::start(with_metrics_api(emojivoto_objects())).await.expect("start");
    let echo = Upstream::echo().await;
    // 8085 points at a loopback port nobody listens on; 9995 has no target at all; 4191 works.
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &closed_port().await.to_string());
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, 4191, &echo.addr.to_string());
    let pods: Api<Pod> = Api::namespaced(client(&kube).await, METRICS_API_NAMESPACE);
    let mut pf =
        pods.portforward(METRICS_API_POD, &[METRICS_API_PORT, METRICS_API_ADMIN_PORT, 4191]).await.expect("pf");

    for port in [METRICS_API_PORT, METRICS_API_ADMIN_PORT] {
        let error = pf.take_error(port).expect("error future");
        let message = tokio::time::timeout(WAIT, error).await.expect("in time").expect("an error message");
        let (head, tail) = message.split_once(", uid : ").expect("kubelet's prefix");
        let sandbox = head.strip_prefix(&format!("error forwarding port {port} to pod ")).expect("port and sandbox");
        assert_eq!(sandbox.len(), 64, "a containerd sandbox id: {sandbox}");
        assert!(tail.starts_with("failed to execute portforward in network namespace \"/var/run/netns/cni-"), "{tail}");
        assert!(
            tail.ends_with(&format!(
                "failed to connect to localhost:{port} inside namespace \"{sandbox}\", IPv4: dial tcp4 127.0.0.1:{port}: \
                 connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found"
            )),
            "{tail}"
        );
    }
    // The failed ports do not take the working one down.
    let mut ok = pf.take_stream(4191).expect("stream");
    tokio::io::AsyncWriteExt::write_all(&mut ok, b"still here").await.expect("write");
    let mut back = [0u8; 10];
    tokio::time::timeout(WAIT, ok.read_exact(&mut back)).await.expect("in time").expect("read");
    assert_eq!(&back, b"still here");
}

#[tokio::test]
async fn a_lone_refused_port_ends_the_session() {
    let kube = FakeKube::start(with_metrics_api(emojivoto_objects())).await.expect("start");
    let pods: Api<Pod> = Api::namespaced(client(&kube).await, METRICS_API_NAMESPACE);
    let mut pf = pods.portforward(METRICS_API_POD, &[METRICS_API_PORT]).await.expect("pf");
    let mut stream = pf.take_stream(METRICS_API_PORT).expect("stream");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await.expect("EOF in time");
    assert_eq!(read.expect("read"), 0, "no data, end of stream");
    let error = pf.take_error(METRICS_API_PORT).expect("error future");
    let message = tokio::time::timeout(WAIT, error).await.expect("in time").expect("error message");
    assert!(message.contains("dial tcp4 127.0.0.1:8085: connect: connection refused"), "{message}");
}

#[tokio::test]
async fn requests_kube_would_not_send_are_refused_like_the_api_server() {
    let kube = FakeKube::start(with_metrics_api(emojivoto_objects())).await.expect("start");
    let base = format!("{}/api/v1/namespaces/linkerd-viz/pods/{METRICS_API_POD}/portforward", kube.url());
    let http = reqwest::Client::new();
    let status = |url: String| {
        let http = http.clone();
        async move {
            let resp = http.get(url).send().await.expect("send");
            let code = resp.status().as_u16();
            let body: serde_json::Value = resp.json().await.expect("a Status body");
            (code, body["reason"].as_str().unwrap_or_default().to_string(), body["message"].clone())
        }
    };
    let (code, reason, message) = status(format!("{base}?ports=8085")).await;
    assert_eq!((code, reason.as_str(), message.as_str()), (400, "BadRequest", Some("Upgrade request required")));
    let (code, _, message) = status(format!("{base}?ports=8085,http")).await;
    assert_eq!(code, 400);
    assert_eq!(message, "cannot convert to []int32: strconv.ParseUint: parsing \"http\": invalid syntax");

    // A WebSocket client that offers only protocols the kubelet does not speak.
    let refused = http
        .get(format!("{base}?ports=8085"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "v5.channel.k8s.io, v4.base64.channel.k8s.io")
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn metrics_api_fixture_is_found_the_way_the_linkerd_cli_finds_it() {
    let base = emojivoto_objects();
    let objects = with_metrics_api(base.clone());
    let kinds = |objs: &[serde_json::Value], kind: &str| objs.iter().filter(|o| o["kind"] == kind).count();
    for (kind, added) in [("Namespace", 0), ("Deployment", 1), ("ReplicaSet", 1), ("Pod", 2), ("Service", 1)] {
        assert_eq!(kinds(&objects, kind), kinds(&base, kind) + added, "{kind}");
    }
    let alone = with_metrics_api(Vec::new());
    let ns: Vec<&serde_json::Value> = alone.iter().filter(|o| o["kind"] == "Namespace").collect();
    assert_eq!(ns.len(), 1, "the namespace comes along when missing");
    assert_eq!(ns[0]["metadata"]["labels"]["linkerd.io/extension"], "viz");

    let kube = FakeKube::start(objects).await.expect("start");
    let c = client(&kube).await;

    let namespaces: Api<Namespace> = Api::all(c.clone());
    let viz = namespaces.list(&ListParams::default().labels("linkerd.io/extension=viz")).await.expect("namespaces");
    let names: Vec<String> = viz.items.into_iter().filter_map(|n| n.metadata.name).collect();
    assert_eq!(names, [METRICS_API_NAMESPACE]);

    let pods: Api<Pod> = Api::namespaced(c.clone(), METRICS_API_NAMESPACE);
    let replicasets: Api<ReplicaSet> = Api::namespaced(c.clone(), METRICS_API_NAMESPACE);
    let listed = pods.list(&ListParams::default()).await.expect("pods").items;
    let mut candidates = Vec::new();
    for pod in &listed {
        let rs_owner = pod.metadata.owner_references.iter().flatten().find(|o| o.kind == "ReplicaSet");
        let Some(rs) = rs_owner else { continue };
        let rs = replicasets.get(&rs.name).await.expect("replicaset");
        let owned_by_metrics_api = rs.metadata.owner_references.iter().flatten().any(|o| o.name == "metrics-api");
        if owned_by_metrics_api {
            let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            candidates.push((pod.metadata.name.clone().unwrap_or_default(), phase));
        }
    }
    let want = [(METRICS_API_PENDING_POD, "Pending"), (METRICS_API_POD, "Running")];
    let got: Vec<(&str, &str)> = candidates.iter().map(|(n, p)| (n.as_str(), p.as_str())).collect();
    assert_eq!(got, want, "the Pending pod is listed first; the first Running one is the pick");

    let running = &listed.iter().find(|p| p.metadata.name.as_deref() == Some(METRICS_API_POD)).expect("pod");
    let app = running.spec.as_ref().expect("spec").containers.iter().find(|c| c.name == "metrics-api").expect("app");
    let ports: Vec<(Option<&str>, i32)> =
        app.ports.iter().flatten().map(|p| (p.name.as_deref(), p.container_port)).collect();
    assert_eq!(ports, [(Some("http"), 8085), (Some("admin"), 9995)]);
    let labels = running.metadata.labels.as_ref().expect("labels");
    assert_eq!(labels["component"], "metrics-api");
    assert_eq!(labels["linkerd.io/extension"], "viz");
}

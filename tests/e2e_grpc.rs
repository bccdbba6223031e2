//! gRPC end to end, with the real `lviz serve` binary: the CLI reaching it the way the linkerd
//! CLI reaches linkerd-viz's metrics-api (a pod port-forward through the fake Kubernetes API,
//! `--api-via port-forward`), the calls the CLI does not make (ListPods, ListServices,
//! SelfCheck) with answers derived from the fixtures and the mesh, and the admin endpoints.

mod common;

use std::collections::BTreeSet;

use common::serve::{Server, start as start_server, start_with};
use common::{Run, env, lviz, lviz_raw};
use lviz_api::{
    Answer as _, CheckStatus, Endpoint, ListPods, ListPodsRequest, ListServices, ListServicesRequest, Rejection,
    SelfCheck, SelfCheckRequest, Validated,
};
use lviz_grpc::GrpcClient;
use lviz_testkit::fixtures::{
    METRICS_API_NAMESPACE, METRICS_API_PENDING_POD, METRICS_API_POD, METRICS_API_PORT, emojivoto_objects,
    with_metrics_api,
};
use lviz_testkit::kube::FakeKube;
use lviz_testkit::mesh::{EVAL_TIME, Mesh, PROXY_START_TIME};
use serde_json::Value;

/// The CLI with exactly these arguments, evaluated at the data's end.
fn run_at(args: &[&str]) -> Run {
    let at = EVAL_TIME.to_string();
    let mut full = vec!["--at", &at];
    full.extend(args);
    lviz_raw(&full, &[])
}

/// Commands of each kind, with and without data, and errors.
const PORT_FORWARD_COMMANDS: &[&[&str]] = &[
    &["stat", "deploy", "-n", "emojivoto"],
    &["stat", "deploy/web", "-n", "emojivoto", "--from", "deploy/vote-bot", "-o", "json"],
    &["stat", "deploy", "-n", "empty-ns"],
    &["stat", "deploy/nope", "-n", "emojivoto"],
    &["routes", "deploy/vote-bot", "-n", "emojivoto", "--to", "svc/web-svc", "-o", "wide"],
    &["edges", "deploy", "-A"],
    &["gateways"],
    &["stat", "deploy", "-n", "emojivoto", "-t", "1s"],
];

#[test]
fn port_forward_reaches_the_running_metrics_api_pod_and_prints_what_embedded_mode_prints() {
    let server = start_server(&[]);
    let kube = FakeKube::start_background(with_metrics_api(emojivoto_objects())).expect("fake Kubernetes API");
    kube.set_port_forward(METRICS_API_NAMESPACE, METRICS_API_POD, METRICS_API_PORT, &server.grpc);
    let kubeconfig = kube.kubeconfig_path().to_string_lossy().to_string();
    for args in PORT_FORWARD_COMMANDS {
        kube.clear_requests();
        let mut full = vec!["--api-via", "port-forward", "--kubeconfig", &kubeconfig];
        full.extend(*args);
        let forwarded = run_at(&full);
        let embedded = lviz(args);
        assert_eq!(
            (forwarded.code, &forwarded.stdout, &forwarded.stderr),
            (embedded.code, &embedded.stdout, &embedded.stderr),
            "lviz {}",
            args.join(" ")
        );
        // Found by label, the Running pod (not the Pending one listed first), port 8085; a
        // request the CLI refuses itself (exit 2) reaches nothing.
        let forwards: Vec<(String, String)> = kube
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/portforward"))
            .map(|r| (r.path, r.query))
            .collect();
        let expected = format!("/api/v1/namespaces/{METRICS_API_NAMESPACE}/pods/{METRICS_API_POD}/portforward");
        assert_eq!(forwards.is_empty(), forwarded.code == 2, "lviz {}: {forwards:?}", args.join(" "));
        assert!(forwards.iter().all(|(p, q)| *p == expected && q == "&ports=8085"), "{forwards:?}");
        assert!(!forwards.iter().any(|(p, _)| p.contains(METRICS_API_PENDING_POD)));
    }
}

#[test]
fn port_forward_says_why_it_cannot_find_the_metrics_api() {
    let e = env();
    let kubeconfig = e.kube.kubeconfig_path().to_string_lossy().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["--api-via", "port-forward", "--kubeconfig", &kubeconfig];
        args.extend(extra);
        args.extend(["stat", "deploy", "-n", "emojivoto"]);
        run_at(&args)
    };
    // The shared fixtures have linkerd-viz (labelled) but no metrics-api pods.
    let none = run(&[]);
    assert_eq!(none.code, 1, "{}", none.stderr);
    assert!(none.stderr.starts_with("error: Kubernetes API at http://127.0.0.1:"), "{}", none.stderr);
    assert!(
        none.stderr.ends_with(": no running pods found for metrics-api in namespace linkerd-viz\n"),
        "{}",
        none.stderr
    );
    let unlabelled = run(&["--viz-namespace", "emojivoto"]);
    assert_eq!(unlabelled.code, 1, "{}", unlabelled.stderr);
    assert!(
        unlabelled.stderr.ends_with(": namespace emojivoto: This is not a linkerd-viz namespace\n"),
        "{}",
        unlabelled.stderr
    );
    let json = run(&["--api-protocol", "json"]);
    assert_eq!(json.code, 2, "{}", json.stderr);
    assert!(
        json.stderr.starts_with("error: --api-via port-forward reaches linkerd-viz's metrics-api"),
        "{}",
        json.stderr
    );
    let both = lviz_raw(&["--api-via", "port-forward", "--api-addr", "grpc://127.0.0.1:1", "stat", "deploy"], &[]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}

fn call<E>(server: &Server, request: E::Request) -> Result<E::Ok, Rejection>
where
    E: Endpoint + lviz_grpc::Rpc,
{
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = GrpcClient::new(&server.grpc, std::time::Duration::from_secs(20)).expect("client");
        client.answer(&Validated::<E>::new(request)?).await
    })
}

/// Pods of `namespace` in the fixtures, by name.
fn fixture_pods(namespace: &str) -> Vec<Value> {
    let mut pods: Vec<Value> = emojivoto_objects()
        .into_iter()
        .filter(|o| o["kind"] == "Pod" && o["metadata"]["namespace"] == namespace)
        .collect();
    pods.sort_by_key(|p| p["metadata"]["name"].as_str().unwrap_or_default().to_string());
    pods
}

#[test]
fn list_pods_answers_from_kubernetes_and_prometheus() {
    let server = start_server(&[]);
    let request = ListPodsRequest { namespace: "emojivoto".into(), at: Some(EVAL_TIME as f64), ..Default::default() };
    let answer = call::<ListPods>(&server, request).expect("ListPods");
    let pods = fixture_pods("emojivoto");
    assert_eq!(answer.pods.len(), pods.len(), "{answer:#?}");
    // Pods with a proxy in the mesh's data (process_start_time_seconds).
    let reported: BTreeSet<(String, String)> = Mesh::emojivoto()
        .workloads
        .iter()
        .filter(|w| w.meshed)
        .flat_map(|w| w.pods.iter().map(|p| (w.namespace.clone(), p.name.clone())))
        .collect();
    let uptime_ms = u64::try_from((EVAL_TIME - PROXY_START_TIME) * 1000).expect("positive");
    let objects = emojivoto_objects();
    for (row, pod) in answer.pods.iter().zip(&pods) {
        let name = pod["metadata"]["name"].as_str().expect("name");
        assert_eq!(row.name, format!("emojivoto/{name}"));
        let phase = pod["status"]["phase"].as_str().unwrap_or_default();
        let expected_status = if pod["status"]["reason"] == "Evicted" { "Evicted" } else { phase };
        assert_eq!(row.status, expected_status, "{name}");
        assert_eq!(row.pod_ip, pod["status"]["podIP"].as_str().unwrap_or_default(), "{name}");
        // The ReplicaSet's owner stands in for it.
        let rs = pod["metadata"]["ownerReferences"][0]["name"].as_str().expect("owner");
        let deployment = objects
            .iter()
            .find(|o| o["kind"] == "ReplicaSet" && o["metadata"]["name"] == rs)
            .and_then(|o| o["metadata"]["ownerReferences"][0]["name"].as_str())
            .expect("deployment");
        assert_eq!(
            (row.owner_type.as_str(), row.owner_name.clone()),
            ("deployment", format!("emojivoto/{deployment}"))
        );
        let added = reported.contains(&("emojivoto".to_string(), name.to_string()));
        assert_eq!(row.added, added, "{name}");
        assert_eq!(row.uptime_ms, added.then_some(uptime_ms), "{name}");
        assert_eq!(row.since_last_report_ms, added.then_some(0), "{name}");
        let meshed_label = pod["metadata"]["labels"]["linkerd.io/control-plane-ns"].as_str().unwrap_or_default();
        assert_eq!(row.controller_namespace, meshed_label, "{name}");
        let proxy_ready = pod["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["name"] == "linkerd-proxy" && c["ready"] == true);
        assert_eq!(row.proxy_ready, proxy_ready, "{name}");
        let version = pod["metadata"]["annotations"]["linkerd.io/proxy-version"].as_str().unwrap_or_default();
        assert_eq!(row.proxy_version, version, "{name}");
        assert!(!row.resource_version.is_empty(), "{name}");
    }
    assert!(answer.pods.iter().any(|p| p.added) && answer.pods.iter().any(|p| !p.added), "both kinds present");

    // Filtered by owner; a bad namespace is refused before any lookup.
    let web = ListPodsRequest {
        namespace: "emojivoto".into(),
        resource_type: "deployment".into(),
        resource_name: "web".into(),
        at: Some(EVAL_TIME as f64),
    };
    let only = call::<ListPods>(&server, web).expect("ListPods");
    let names: Vec<&str> = only.pods.iter().map(|p| p.name.as_str()).collect();
    let expected: Vec<String> = pods
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .filter(|n| n.starts_with("web-"))
        .map(|n| format!("emojivoto/{n}"))
        .collect();
    assert_eq!(names, expected);
    let refused = raw_list_pods(&server, "../x").expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().starts_with("namespace: Invalid value: \"../x\": a lowercase RFC 1123 label"),
        "{refused:?}"
    );
}

/// ListPods as any gRPC client sends it, without lviz's client-side validation.
fn raw_list_pods(server: &Server, namespace: &str) -> Result<lviz_grpc::proto::viz::ListPodsResponse, tonic::Status> {
    use lviz_grpc::proto::viz::{ListPodsRequest as Proto, api_client::ApiClient};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let mut client = ApiClient::connect(format!("http://{}", server.grpc)).await.expect("connect");
        client.list_pods(Proto { namespace: namespace.into(), ..Default::default() }).await.map(|r| r.into_inner())
    })
}

#[test]
fn list_services_and_self_check() {
    let server = start_server(&[]);
    let answer =
        call::<ListServices>(&server, ListServicesRequest { namespace: "emojivoto".into() }).expect("services");
    let mut expected: Vec<String> = emojivoto_objects()
        .iter()
        .filter(|o| o["kind"] == "Service" && o["metadata"]["namespace"] == "emojivoto")
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    expected.sort();
    let names: Vec<&str> = answer.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, expected);
    assert!(answer.services.iter().all(|s| s.namespace == "emojivoto"));

    let check = call::<SelfCheck>(&server, SelfCheckRequest {}).expect("SelfCheck");
    let results: Vec<(&str, &str, CheckStatus, &str)> = check
        .results
        .iter()
        .map(|r| {
            (r.subsystem_name.as_str(), r.check_description.as_str(), r.status, r.friendly_message_to_user.as_str())
        })
        .collect();
    assert_eq!(
        results,
        vec![
            ("kubernetes", "linkerd viz can talk to Kubernetes", CheckStatus::Ok, ""),
            ("prometheus", "linkerd viz can talk to Prometheus", CheckStatus::Ok, ""),
        ]
    );
}

#[test]
fn self_check_reports_a_prometheus_it_cannot_reach() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let server = start_with(&closed, &[]);
    let check = call::<SelfCheck>(&server, SelfCheckRequest {}).expect("SelfCheck answers even so");
    assert_eq!(check.results[1].subsystem_name, "prometheus");
    assert_eq!(check.results[1].status, CheckStatus::Error);
    let message = &check.results[1].friendly_message_to_user;
    let prefix = format!("Error calling Prometheus from the control plane: Prometheus at {closed}/: ");
    assert!(message.starts_with(&prefix), "{message}");
    // The admin port's /ready agrees, and /ping does not care.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let get = |path: &str| {
        rt.block_on(async {
            let r = reqwest::get(format!("{}{path}", server.admin)).await.expect("admin answers");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        })
    };
    assert_eq!(get("/ping"), (200, "pong\n".to_string()));
    let (status, body) = get("/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("Prometheus at "), "{body}");
}

#[test]
fn admin_metrics_count_grpc_calls_with_latency() {
    let server = start_server(&[]);
    let ok = call::<ListServices>(&server, ListServicesRequest::default());
    assert!(ok.is_ok(), "{ok:?}");
    let bad = raw_list_pods(&server, "NOPE");
    assert_eq!(bad.map_err(|s| s.code()), Err(tonic::Code::InvalidArgument));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let text = rt.block_on(async {
        reqwest::get(format!("{}/metrics", server.admin)).await.expect("metrics").text().await.expect("text")
    });
    assert!(text.contains("lviz_grpc_requests_total{method=\"ListServices\",code=\"Ok\"} 1\n"), "{text}");
    assert!(text.contains("lviz_grpc_requests_total{method=\"ListPods\",code=\"InvalidArgument\"} 1\n"), "{text}");
    assert!(text.contains("lviz_grpc_request_duration_seconds_count{method=\"ListServices\"} 1\n"), "{text}");
    // Both were computed (an invalid request is kept too: it is deterministic).
    assert!(text.contains("lviz_response_cache_misses_total 2\n"), "{text}");
    assert!(text.contains("# TYPE lviz_http_request_duration_seconds histogram\n"), "{text}");
}

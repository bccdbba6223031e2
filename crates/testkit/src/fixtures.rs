//! The Kubernetes side of a mesh as real API objects (JSON): namespaces, Deployments owning
//! ReplicaSets owning Pods (with the injector's labels and `linkerd-proxy` container), Services
//! and ServiceProfiles. `emojivoto_objects` adds the extra objects of the reference data set
//! (non-running pods, an unmeshed namespace, multicluster mirrors); see the crate README.
//!
//! Generated from the `mesh` model rather than written by hand so that pods, IPs, labels and
//! identities can never disagree with the metrics.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::mesh::{ADMIN_PORT, Mesh, Pod, Workload};

const CREATED: &str = "2025-12-31T12:00:00Z";
const PROXY_IMAGE: &str = "cr.l5d.io/linkerd/proxy:edge-25.8.1";

/// Deterministic UID for an object (kind, namespace, name), UUID-shaped.
fn uid(kind: &str, ns: &str, name: &str) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in format!("{kind}/{ns}/{name}").bytes() {
        h = (h ^ u128::from(b)).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let x = format!("{h:032x}");
    format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

fn map(pairs: &[(String, String)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

fn namespace(name: &str, extra_labels: &[(&str, &str)]) -> Value {
    let mut labels = json!({"kubernetes.io/metadata.name": name});
    for (k, v) in extra_labels {
        labels[*k] = json!(v);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "uid": uid("Namespace", "", name), "labels": labels, "creationTimestamp": CREATED},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

/// The labels a Deployment selects on: its first application label (`app` or `component`).
fn selector(w: &Workload) -> Vec<(String, String)> {
    w.labels.iter().take(1).cloned().collect()
}

fn rs_name(w: &Workload) -> String {
    format!("{}-{}", w.name, w.pod_template_hash)
}

fn proxy_container() -> Value {
    json!({
        "name": "linkerd-proxy",
        "image": PROXY_IMAGE,
        "env": [
            {"name": "_pod_name", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "_pod_ns", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
            {"name": "_pod_sa", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.serviceAccountName"}}},
            {"name": "LINKERD2_PROXY_ADMIN_LISTEN_ADDR", "value": format!("[::]:{ADMIN_PORT}")},
            {"name": "LINKERD2_PROXY_IDENTITY_LOCAL_NAME", "value": "$(_pod_sa).$(_pod_ns).serviceaccount.identity.linkerd.cluster.local"},
        ],
        "ports": [
            {"name": "linkerd-proxy", "containerPort": 4143, "protocol": "TCP"},
            {"name": "linkerd-admin", "containerPort": ADMIN_PORT, "protocol": "TCP"},
        ],
    })
}

fn app_container(w: &Workload) -> Value {
    let mut c = json!({
        "name": w.name,
        "image": format!("example.test/{}:v11", w.name),
    });
    if let Some(port) = w.app_port {
        c["ports"] = json!([{"name": "http", "containerPort": port, "protocol": "TCP"}]);
    }
    c
}

fn running_status(names: &[&str]) -> Value {
    names
        .iter()
        .map(|n| {
            json!({
                "name": n, "ready": true, "started": true, "restartCount": 0,
                "image": n, "imageID": "", "containerID": format!("containerd://{}", uid("c", n, n).replace('-', "")),
                "state": {"running": {"startedAt": CREATED}},
            })
        })
        .collect()
}

/// A pod of `w` in the given phase (`Running`, `Failed`, `Succeeded`, `Pending`).
pub fn pod_object(mesh: &Mesh, w: &Workload, pod: &Pod, phase: &str) -> Value {
    let rs = rs_name(w);
    let mut containers = vec![app_container(w)];
    if w.meshed {
        containers.insert(0, proxy_container());
    }
    let names: Vec<String> = containers.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut annotations = json!({});
    if w.meshed {
        annotations = json!({
            "linkerd.io/created-by": "linkerd/proxy-injector edge-25.8.1",
            "linkerd.io/identity-mode": "default",
            "linkerd.io/proxy-version": "edge-25.8.1",
        });
    }
    let status = match phase {
        "Running" => json!({
            "phase": "Running",
            "podIP": pod.ip, "podIPs": [{"ip": pod.ip}], "hostIP": "172.18.0.2",
            "startTime": CREATED,
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True"},
                {"type": "ContainersReady", "status": "True"},
                {"type": "PodScheduled", "status": "True"},
            ],
            "containerStatuses": running_status(&name_refs),
        }),
        "Failed" => json!({
            "phase": "Failed",
            "reason": "Evicted",
            "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91Mi.",
            "hostIP": "172.18.0.2",
            "startTime": CREATED,
            "containerStatuses": name_refs.iter().map(|n| json!({
                "name": n, "ready": false, "started": false, "restartCount": 0, "image": n, "imageID": "",
                "state": {"terminated": {"exitCode": 137, "reason": "Error", "startedAt": CREATED, "finishedAt": CREATED}},
            })).collect::<Vec<_>>(),
        }),
        "Succeeded" => json!({
            "phase": "Succeeded",
            "podIP": pod.ip, "hostIP": "172.18.0.2",
            "startTime": CREATED,
            "containerStatuses": name_refs.iter().map(|n| json!({
                "name": n, "ready": false, "started": false, "restartCount": 0, "image": n, "imageID": "",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": CREATED, "finishedAt": CREATED}},
            })).collect::<Vec<_>>(),
        }),
        other => json!({"phase": other, "startTime": CREATED}),
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "namespace": w.namespace,
            "uid": uid("Pod", &w.namespace, &pod.name),
            "creationTimestamp": CREATED,
            "labels": map(&mesh.pod_labels(w)),
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                "uid": uid("ReplicaSet", &w.namespace, &rs), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "serviceAccountName": w.service_account,
            "serviceAccount": w.service_account,
            "nodeName": "node-1",
            "restartPolicy": "Always",
            "containers": containers,
        },
        "status": status,
    })
}

/// Deployment, ReplicaSet and Running pods of a workload.
pub fn workload_objects(mesh: &Mesh, w: &Workload) -> Vec<Value> {
    let sel = selector(w);
    let mut rs_sel = sel.clone();
    rs_sel.push(("pod-template-hash".into(), w.pod_template_hash.clone()));
    let replicas = w.pods.len();
    let mut template_annotations = json!({});
    if w.meshed {
        template_annotations = json!({"linkerd.io/inject": "enabled"});
    }
    let template = |labels: &[(String, String)]| {
        json!({
            "metadata": {"labels": map(labels), "annotations": template_annotations},
            "spec": {"serviceAccountName": w.service_account, "containers": [app_container(w)]},
        })
    };
    let ready = json!({
        "replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
        "observedGeneration": 1,
    });
    let deploy_uid = uid("Deployment", &w.namespace, &w.name);
    let rs = rs_name(w);
    let mut rs_labels = w.labels.clone();
    rs_labels.push(("pod-template-hash".into(), w.pod_template_hash.clone()));
    let mut out = vec![
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": w.name, "namespace": w.namespace, "uid": deploy_uid, "generation": 1,
                "creationTimestamp": CREATED, "labels": map(&sel),
                "annotations": {"deployment.kubernetes.io/revision": "1"},
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": map(&sel)},
                "template": template(&w.labels),
                "strategy": {"type": "RollingUpdate"},
            },
            "status": {
                "replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                "updatedReplicas": replicas, "observedGeneration": 1,
            },
        }),
        json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": rs, "namespace": w.namespace, "uid": uid("ReplicaSet", &w.namespace, &rs),
                "generation": 1, "creationTimestamp": CREATED, "labels": map(&rs_labels),
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": w.name, "uid": deploy_uid,
                    "controller": true, "blockOwnerDeletion": true,
                }],
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": map(&rs_sel)},
                "template": template(&rs_labels),
            },
            "status": ready,
        }),
    ];
    out.extend(w.pods.iter().map(|p| pod_object(mesh, w, p, "Running")));
    out
}

fn service_object(ns: &str, name: &str, ip: &str, ports: Value, selector: Option<Value>, labels: Value) -> Value {
    let mut spec = json!({
        "type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ports": ports,
        "sessionAffinity": "None", "ipFamilies": ["IPv4"],
    });
    if let Some(sel) = selector {
        spec["selector"] = sel;
    }
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "uid": uid("Service", ns, name), "creationTimestamp": CREATED, "labels": labels},
        "spec": spec,
        "status": {"loadBalancer": {}},
    })
}

/// Every object of a mesh: namespaces, workloads, services and ServiceProfiles.
pub fn objects_for(mesh: &Mesh) -> Vec<Value> {
    let mut namespaces: BTreeSet<&str> = BTreeSet::new();
    namespaces.insert(&mesh.control_plane_ns);
    namespaces.extend(mesh.workloads.iter().map(|w| w.namespace.as_str()));
    namespaces.extend(mesh.services.iter().map(|s| s.namespace.as_str()));
    let mut out: Vec<Value> = namespaces
        .iter()
        .map(|ns| match *ns {
            "linkerd-viz" => namespace(ns, &[("linkerd.io/extension", "viz")]),
            "linkerd-multicluster" => namespace(ns, &[("linkerd.io/extension", "multicluster")]),
            _ => namespace(ns, &[]),
        })
        .collect();
    for w in &mesh.workloads {
        out.extend(workload_objects(mesh, w));
    }
    for s in &mesh.services {
        let ports = json!([{"name": "http", "port": s.port, "targetPort": s.target_port, "protocol": "TCP"}]);
        out.push(service_object(&s.namespace, &s.name, &s.cluster_ip, ports, Some(map(&s.selector)), json!({})));
        if let Some(routes) = &s.profile {
            let fqdn = format!("{}.{}.svc.{}", s.name, s.namespace, mesh.cluster_domain);
            let routes: Vec<Value> = routes
                .iter()
                .map(|r| json!({"name": r.name, "condition": {"method": r.method, "pathRegex": r.path_regex}}))
                .collect();
            out.push(json!({
                "apiVersion": "linkerd.io/v1alpha2",
                "kind": "ServiceProfile",
                "metadata": {"name": fqdn, "namespace": s.namespace, "uid": uid("ServiceProfile", &s.namespace, &fqdn), "creationTimestamp": CREATED},
                "spec": {"routes": routes},
            }));
        }
    }
    out
}

fn simple_workload(
    ns: &str,
    name: &str,
    hash: &str,
    sa: &str,
    meshed: bool,
    labels: &[(&str, &str)],
    pod: (&str, &str),
) -> Workload {
    Workload {
        namespace: ns.into(),
        name: name.into(),
        service_account: sa.into(),
        meshed,
        pod_template_hash: hash.into(),
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        app_port: None,
        pods: vec![Pod { name: format!("{name}-{hash}-{}", pod.0), ip: pod.1.into(), loopback_conns: 0 }],
    }
}

/// The Kubernetes objects of the reference data set (proxy-metrics.md §7.1), plus: a Failed
/// (evicted) voting pod and a Succeeded vote-bot pod, namespace `empty-ns` with the unmeshed
/// deployment `idle`, and the multicluster service mirror with mirrored Services.
pub fn emojivoto_objects() -> Vec<Value> {
    let mesh = Mesh::emojivoto();
    let mut out = objects_for(&mesh);
    out.push(namespace("linkerd-multicluster", &[("linkerd.io/extension", "multicluster")]));
    out.push(namespace("empty-ns", &[]));

    // Pods that exist but are not running: they must not change MESHED counts.
    let extra_pod = |deploy: &str, suffix: &str, ip: &str, phase: &str| -> Option<Value> {
        let w = &mesh.workloads[mesh.find_workload("emojivoto", deploy)?];
        let pod =
            Pod { name: format!("{}-{}-{suffix}", w.name, w.pod_template_hash), ip: ip.into(), loopback_conns: 0 };
        Some(pod_object(&mesh, w, &pod, phase))
    };
    out.extend(extra_pod("voting", "old01", "10.42.0.115", "Failed"));
    out.extend(extra_pod("vote-bot", "done1", "10.42.0.111", "Succeeded"));

    let idle = simple_workload(
        "empty-ns",
        "idle",
        "7d9f8b6c5d",
        "default",
        false,
        &[("app", "idle")],
        ("k2m4p", "10.42.4.51"),
    );
    out.extend(workload_objects(&mesh, &idle));

    let mirror = simple_workload(
        "linkerd-multicluster",
        "linkerd-service-mirror-east",
        "5c8d9f7b6d",
        "linkerd-service-mirror-east",
        true,
        &[("component", "linkerd-service-mirror"), ("mirror.linkerd.io/cluster-name", "east")],
        ("w7x2q", "10.42.3.41"),
    );
    for mut obj in workload_objects(&mesh, &mirror) {
        if obj["kind"] == "Pod" {
            let app = json!({
                "name": "service-mirror",
                "image": "cr.l5d.io/linkerd/controller:edge-25.8.1",
                "ports": [{"name": "svcmi-admin", "containerPort": 9999, "protocol": "TCP"}],
            });
            obj["spec"]["containers"][1] = app;
            obj["status"]["containerStatuses"] = running_status(&["linkerd-proxy", "service-mirror"]);
        }
        out.push(obj);
    }

    let mirrored = |name: &str, cluster: &str, ip: &str| {
        let labels = json!({
            "mirror.linkerd.io/cluster-name": cluster,
            "mirror.linkerd.io/mirrored-service": "true",
        });
        let ports = json!([{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]);
        service_object("emojivoto", name, ip, ports, None, labels)
    };
    out.push(mirrored("web-svc-east", "east", "10.43.5.1"));
    out.push(mirrored("voting-svc-east", "east", "10.43.5.2"));
    out.push(mirrored("emoji-svc-east", "east", "10.43.5.3"));
    out.push(mirrored("web-svc-west", "west", "10.43.5.4"));
    for (cluster, ip) in [("east", "10.43.5.10"), ("west", "10.43.5.11")] {
        let labels = json!({
            "mirror.linkerd.io/cluster-name": cluster,
            "mirror.linkerd.io/mirrored-gateway": "true",
        });
        let ports = json!([{"name": "mc-probe", "port": 4191, "targetPort": 4191, "protocol": "TCP"}]);
        out.push(service_object("linkerd-multicluster", &format!("probe-gateway-{cluster}"), ip, ports, None, labels));
    }
    out
}

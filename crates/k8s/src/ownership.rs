//! Ownership walks as linkerd's metrics API does them: the pods of an object (`GetPodsFor`),
//! its pod counts (`getPodStats`), the Services that select its pods (`GetServicesFor`), and
//! mirrored Services per linked cluster. Pure functions over listed [`Object`]s.

use std::collections::BTreeMap;

use lviz_api::ResourceKind;

use crate::object::{Object, PodCounts, map_matches};

/// Services the multicluster service mirror created for a remote Service.
pub const MIRRORED_SERVICE_LABEL: &str = "mirror.linkerd.io/mirrored-service";
/// Set on the mirror of a remote gateway, which is not a paired service.
pub const MIRRORED_GATEWAY_LABEL: &str = "mirror.linkerd.io/mirrored-gateway";
/// The Link (target cluster) a mirrored Service belongs to.
pub const CLUSTER_NAME_LABEL: &str = "mirror.linkerd.io/cluster-name";

/// linkerd's `GetPodsFor` ownership walk, without the phase filter. `pods` must cover the
/// object's namespace.
pub fn pods_for<'a>(obj: &Object, pods: &'a [Object], intermediates: &[Object]) -> Vec<&'a Object> {
    let kind = obj.kind.unwrap_or(ResourceKind::Pod);
    match kind {
        ResourceKind::Namespace => pods.iter().filter(|p| p.namespace == obj.name).collect(),
        ResourceKind::Pod => pods.iter().filter(|p| p.namespace == obj.namespace && p.name == obj.name).collect(),
        ResourceKind::Deployment | ResourceKind::CronJob => {
            let owners: Vec<&Object> =
                intermediates.iter().filter(|i| i.namespace == obj.namespace && i.owned_by(obj)).collect();
            pods.iter().filter(|p| p.namespace == obj.namespace && owners.iter().any(|o| p.owned_by(o))).collect()
        }
        _ => pods.iter().filter(|p| p.namespace == obj.namespace && p.owned_by(obj)).collect(),
    }
}

/// linkerd's `GetPodsFor` + `getPodStats`. `pods` must cover the object's namespace.
pub fn pod_counts(obj: &Object, pods: &[Object], intermediates: &[Object], controller_ns: &str) -> PodCounts {
    let mut counts = PodCounts::default();
    for pod in pods_for(obj, pods, intermediates).into_iter().filter(|p| p.counts_as_pod()) {
        if pod.pod.as_ref().is_some_and(|p| p.phase == "Failed") {
            counts.failed += 1;
        } else {
            counts.running += 1;
            if pod.labels.get("linkerd.io/control-plane-ns").map(String::as_str) == Some(controller_ns) {
                counts.meshed += 1;
            }
        }
    }
    counts
}
/// linkerd's `GetServicesFor` (without failed pods): a Service maps to itself; any other object
/// to the Services whose `spec.selector` selects at least one of its Pending/Running pods.
/// `services`, `pods` and `intermediates` must cover the object's namespace.
pub fn services_for(obj: &Object, services: &[Object], pods: &[Object], intermediates: &[Object]) -> Vec<Object> {
    if obj.kind == Some(ResourceKind::Service) {
        return vec![obj.clone()];
    }
    let mine: Vec<&Object> = pods_for(obj, pods, intermediates).into_iter().filter(|p| p.is_listed_pod()).collect();
    services
        .iter()
        .filter(|svc| {
            // A Service without a selector (or an empty one) selects no pods, as in Kubernetes.
            let Some(selector) = svc.selector.as_ref().and_then(|s| s.match_labels.as_ref()) else {
                return false;
            };
            !selector.is_empty()
                && mine.iter().any(|p| p.namespace == svc.namespace && map_matches(selector, &p.labels))
        })
        .cloned()
        .collect()
}

/// Mirrored Services per target cluster: labelled `mirrored-service`, not `mirrored-gateway`.
pub fn count_mirrored(services: &[Object]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for svc in services {
        if !svc.labels.contains_key(MIRRORED_SERVICE_LABEL) || svc.labels.contains_key(MIRRORED_GATEWAY_LABEL) {
            continue;
        }
        let cluster = svc.labels.get(CLUSTER_NAME_LABEL).cloned().unwrap_or_default();
        *counts.entry(cluster).or_insert(0) += 1;
    }
    counts
}

/// linkerd's `GetOwnerKindAndName`: a pod's owner as viz names it, lower-cased (`deployment`,
/// `statefulset`, …). A pod with no owner, or with several, is its own (`pod`, its name); a
/// ReplicaSet's or Job's single owner stands in for it (so a Deployment's pod belongs to the
/// Deployment, a CronJob's to the CronJob). `parents` are the pod namespace's ReplicaSets and
/// Jobs; one that is missing leaves the ReplicaSet or Job as the owner.
pub fn owner_kind_and_name(pod: &Object, parents: &[Object]) -> (String, String) {
    let [parent] = pod.owners.as_slice() else { return ("pod".to_string(), pod.name.clone()) };
    let walks = matches!(parent.kind.as_str(), "ReplicaSet" | "Job");
    let parent_kind = if parent.kind == "ReplicaSet" { ResourceKind::ReplicaSet } else { ResourceKind::Job };
    let found = parents
        .iter()
        .find(|p| walks && p.kind == Some(parent_kind) && p.namespace == pod.namespace && p.name == parent.name);
    match found.map(|p| p.owners.as_slice()) {
        Some([grandparent]) => (grandparent.kind.to_lowercase(), grandparent.name.clone()),
        _ => (parent.kind.to_lowercase(), parent.name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::PodInfo;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn service(name: &str, ns: &str, selector: Option<&[(&str, &str)]>) -> Object {
        Object {
            kind: Some(ResourceKind::Service),
            namespace: ns.into(),
            name: name.into(),
            uid: format!("svc-{name}"),
            selector: Some(LabelSelector { match_labels: selector.map(labels), match_expressions: None }),
            ..Default::default()
        }
    }

    fn pod(name: &str, ns: &str, owner: &str, phase: &str, l: &[(&str, &str)]) -> Object {
        Object {
            kind: Some(ResourceKind::Pod),
            namespace: ns.into(),
            name: name.into(),
            labels: labels(l),
            owner_uids: vec![owner.into()],
            pod: Some(PodInfo { phase: phase.into(), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn services_for_follows_pods() {
        let deploy = Object {
            kind: Some(ResourceKind::Deployment),
            namespace: "default".into(),
            name: "books".into(),
            uid: "d1".into(),
            selector: Some(LabelSelector { match_labels: Some(labels(&[("app", "books")])), match_expressions: None }),
            ..Default::default()
        };
        let rs = Object {
            kind: Some(ResourceKind::ReplicaSet),
            namespace: "default".into(),
            name: "books-1".into(),
            uid: "r1".into(),
            owner_uids: vec!["d1".into()],
            labels: labels(&[("app", "books")]),
            selector: deploy.selector.clone(),
            ..Default::default()
        };
        let pods = vec![
            pod("books-1-a", "default", "r1", "Running", &[("app", "books")]),
            pod("old", "default", "r1", "Succeeded", &[("app", "books"), ("old", "yes")]),
        ];
        let services = vec![
            service("books", "default", Some(&[("app", "books")])),
            service("headless", "default", None),
            service("only-old", "default", Some(&[("old", "yes")])),
            service("books", "other", Some(&[("app", "books")])),
        ];
        let found = services_for(&deploy, &services, &pods, &[rs]);
        let names: Vec<(&str, &str)> = found.iter().map(|s| (s.namespace.as_str(), s.name.as_str())).collect();
        assert_eq!(names, vec![("default", "books")]);

        let svc = service("web", "default", None);
        assert_eq!(services_for(&svc, &[], &[], &[])[0].name, "web");
    }

    #[test]
    fn owners_walk_one_level_through_replicasets_and_jobs() {
        use crate::object::OwnerRef;
        let owned = |kind: Option<ResourceKind>, name: &str, owners: &[(&str, &str)]| Object {
            kind,
            namespace: "ns".into(),
            name: name.into(),
            owners: owners.iter().map(|(k, n)| OwnerRef { kind: k.to_string(), name: n.to_string() }).collect(),
            ..Default::default()
        };
        let parents = vec![
            owned(Some(ResourceKind::ReplicaSet), "web-1", &[("Deployment", "web")]),
            owned(Some(ResourceKind::ReplicaSet), "bare-1", &[]),
            owned(Some(ResourceKind::Job), "nightly-1", &[("CronJob", "nightly")]),
        ];
        let pod = |owners: &[(&str, &str)]| owned(Some(ResourceKind::Pod), "p", owners);
        let kind_name = |p: &Object| owner_kind_and_name(p, &parents);
        assert_eq!(kind_name(&pod(&[("ReplicaSet", "web-1")])), ("deployment".into(), "web".into()));
        assert_eq!(kind_name(&pod(&[("ReplicaSet", "bare-1")])), ("replicaset".into(), "bare-1".into()));
        assert_eq!(kind_name(&pod(&[("ReplicaSet", "gone-1")])), ("replicaset".into(), "gone-1".into()));
        assert_eq!(kind_name(&pod(&[("Job", "nightly-1")])), ("cronjob".into(), "nightly".into()));
        assert_eq!(kind_name(&pod(&[("StatefulSet", "db")])), ("statefulset".into(), "db".into()));
        assert_eq!(kind_name(&pod(&[])), ("pod".into(), "p".into()));
        assert_eq!(kind_name(&pod(&[("DaemonSet", "a"), ("DaemonSet", "b")])), ("pod".into(), "p".into()));
    }

    #[test]
    fn mirrored_counts_skip_gateways() {
        let mk = |l: &[(&str, &str)]| Object { labels: labels(l), ..Default::default() };
        let services = vec![
            mk(&[(MIRRORED_SERVICE_LABEL, "true"), (CLUSTER_NAME_LABEL, "east")]),
            mk(&[(MIRRORED_SERVICE_LABEL, "true"), (CLUSTER_NAME_LABEL, "east")]),
            mk(&[(MIRRORED_SERVICE_LABEL, "true"), (MIRRORED_GATEWAY_LABEL, "true"), (CLUSTER_NAME_LABEL, "east")]),
            mk(&[(MIRRORED_SERVICE_LABEL, "true"), (CLUSTER_NAME_LABEL, "west")]),
            mk(&[(CLUSTER_NAME_LABEL, "west")]),
        ];
        let counts = count_mirrored(&services);
        assert_eq!(counts.get("east"), Some(&2));
        assert_eq!(counts.get("west"), Some(&1));
    }
}

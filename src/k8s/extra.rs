//! Kubernetes facts for `routes` and gateways: the Services behind an object, ServiceProfiles
//! (read as dynamic objects, so no linkerd CRD types are compiled in) and mirrored-Service
//! counts per linked cluster. Lookups only; no PromQL and no response shaping here.

use std::collections::BTreeMap;

use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;

use super::inventory::{Inventory, KubeError, Object};
use super::pods_for;
use crate::api::ResourceKind;

/// Services the multicluster service mirror created for a remote Service.
pub const MIRRORED_SERVICE_LABEL: &str = "mirror.linkerd.io/mirrored-service";
/// Set on the mirror of a remote gateway, which is not a paired service.
pub const MIRRORED_GATEWAY_LABEL: &str = "mirror.linkerd.io/mirrored-gateway";
/// The Link (target cluster) a mirrored Service belongs to.
pub const CLUSTER_NAME_LABEL: &str = "mirror.linkerd.io/cluster-name";

/// A Service's ServiceProfile, reduced to what `routes` needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceProfile {
    /// The Service's short name: the `authority` of its rows.
    pub service: String,
    /// The Service's namespace.
    pub namespace: String,
    /// The profile name, `<svc>.<ns>.svc.<cluster domain>`, which is also the `dst` label value.
    pub name: String,
    /// `spec.routes[].name` in profile order; empty for the default profile.
    pub routes: Vec<String>,
}

/// linkerd's profile name for a Service.
pub fn profile_name(service: &str, namespace: &str, cluster_domain: &str) -> String {
    format!("{service}.{namespace}.svc.{cluster_domain}")
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
                && mine
                    .iter()
                    .any(|p| p.namespace == svc.namespace && super::selector::map_matches(selector, &p.labels))
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

pub(super) fn service_profile_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("linkerd.io", "v1alpha2", "ServiceProfile");
    ApiResource::from_gvk_with_plural(&gvk, "serviceprofiles")
}

/// `spec.routes[].name`, skipping malformed entries rather than failing the whole table.
pub(super) fn route_names(profile: &DynamicObject) -> Vec<String> {
    let routes = profile.data.get("spec").and_then(|s| s.get("routes")).and_then(|r| r.as_array());
    routes.into_iter().flatten().filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_string)).collect()
}

impl Inventory {
    /// linkerd's `GetServiceProfileFor`: the profile `<svc>.<svcns>.svc.<domain>` from the client
    /// namespace, else from the Service's namespace, else the default profile (no routes). A
    /// cluster without the ServiceProfile CRD answers 404 and so also gets the default.
    pub async fn service_profile(
        &self,
        service: &str,
        svc_ns: &str,
        client_ns: &str,
        cluster_domain: &str,
    ) -> Result<ServiceProfile, KubeError> {
        let name = profile_name(service, svc_ns, cluster_domain);
        let resource = service_profile_resource();
        let mut routes = Vec::new();
        let mut namespaces = vec![client_ns];
        if svc_ns != client_ns {
            namespaces.push(svc_ns);
        }
        for ns in namespaces.into_iter().filter(|ns| !ns.is_empty()) {
            if let Some(cache) = self.cache() {
                if let Some(found) = cache.profile_routes(ns, &name).await? {
                    routes = found;
                    break;
                }
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(self.client().clone(), ns, &resource);
            if let Some(profile) = api.get_opt(&name).await.map_err(|e| self.error(e))? {
                routes = route_names(&profile);
                break;
            }
        }
        Ok(ServiceProfile { service: service.to_string(), namespace: svc_ns.to_string(), name, routes })
    }

    /// Paired (mirrored) Services per target cluster, listed cluster-wide.
    pub async fn mirrored_service_counts(&self) -> Result<BTreeMap<String, u64>, KubeError> {
        // The gateway exclusion is also applied locally (`count_mirrored`), so a server that
        // ignores `!label` still gives the right count.
        let selector = format!("{MIRRORED_SERVICE_LABEL},!{MIRRORED_GATEWAY_LABEL}");
        let services = self.objects(ResourceKind::Service, "", "", &selector).await?;
        Ok(count_mirrored(&services))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::PodInfo;
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

    #[test]
    fn route_names_tolerate_junk() {
        let mut obj = DynamicObject::new("books.default.svc.cluster.local", &service_profile_resource());
        obj.data =
            serde_json::json!({"spec": {"routes": [{"name": "/a"}, {"condition": {}}, {"name": 3}, {"name": "/b"}]}});
        assert_eq!(route_names(&obj), vec!["/a".to_string(), "/b".to_string()]);
        obj.data = serde_json::json!({});
        assert!(route_names(&obj).is_empty());
    }
}

//! Kubernetes facts for `routes` and gateways, read through a [`Cluster`]: a Service's
//! ServiceProfile (read as a dynamic object, so no linkerd CRD types are compiled in) and the
//! mirrored-Service counts per linked cluster. Lookups only; no PromQL, no response shaping.

use std::collections::BTreeMap;

use lviz_api::ResourceKind;

use crate::cluster::Cluster;
use crate::error::KubeError;
use crate::ownership::{MIRRORED_GATEWAY_LABEL, MIRRORED_SERVICE_LABEL, count_mirrored};

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

impl Cluster {
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
        let mut routes = Vec::new();
        let mut namespaces = vec![client_ns];
        if svc_ns != client_ns {
            namespaces.push(svc_ns);
        }
        for ns in namespaces.into_iter().filter(|ns| !ns.is_empty()) {
            if let Some(found) = self.source().profile_routes(ns, &name).await? {
                routes = found;
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

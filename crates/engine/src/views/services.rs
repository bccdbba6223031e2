//! ListServices (`viz/metrics-api/grpc_server.go` ListServices): the Services of a namespace,
//! or of every namespace, by namespace and name. Sorted (upstream: the informer's order).

use lviz_api::{
    Answer, AnswerFuture, ListServices, ListServicesOk, Rejection, ResourceKind, ServiceRow, ServicesSpec, Validated,
};
use lviz_k8s::Object;

use super::needs_kubernetes;
use crate::Engine;

/// Pure: the rows, sorted by namespace then name.
pub fn assemble(services: &[Object]) -> Vec<ServiceRow> {
    let mut rows: Vec<ServiceRow> =
        services.iter().map(|s| ServiceRow { namespace: s.namespace.clone(), name: s.name.clone() }).collect();
    rows.sort();
    rows
}

impl Answer<ListServices> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<ListServices>) -> AnswerFuture<'a, ListServicesOk> {
        Box::pin(self.list_services(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/services`.
    pub async fn list_services(&self, spec: &ServicesSpec) -> Result<ListServicesOk, Rejection> {
        let cluster = self.cluster().ok_or_else(|| needs_kubernetes("ListServices"))?;
        let services = cluster.objects(ResourceKind::Service, &spec.namespace, "", "").await?;
        Ok(ListServicesOk { services: assemble(&services) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_namespace_then_name() {
        let svc = |ns: &str, name: &str| Object { namespace: ns.into(), name: name.into(), ..Default::default() };
        let rows = assemble(&[svc("b", "a"), svc("a", "z"), svc("a", "b")]);
        let shown: Vec<String> = rows.iter().map(|r| format!("{}/{}", r.namespace, r.name)).collect();
        assert_eq!(shown, vec!["a/b", "a/z", "b/a"]);
    }
}

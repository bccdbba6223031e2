//! ListPods, ListServices and SelfCheck ⇄ `lviz_api`'s `ListPods`, `ListServices`, `SelfCheck`.
//! Their responses have no `error` field: a rejected request is INVALID_ARGUMENT.

use futures::future::BoxFuture;

use super::{Rpc, Stubs, parts, selection};
use crate::proto::viz::{self, ListPodsResponse, ListServicesResponse, SelfCheckResponse, pod::Owner};
use lviz_api::{
    CheckResult, CheckStatus, ListPods, ListPodsOk, ListPodsRequest, ListServices, ListServicesOk, ListServicesRequest,
    PodRow, SelfCheck, SelfCheckOk, SelfCheckRequest, ServiceRow,
};

fn duration(ms: u64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(ms / 1000).unwrap_or(i64::MAX),
        nanos: i32::try_from(ms % 1000).unwrap_or(0) * 1_000_000,
    }
}

fn from_duration(d: prost_types::Duration) -> u64 {
    let ms = u64::try_from(d.seconds).unwrap_or(0).saturating_mul(1000);
    ms.saturating_add(u64::try_from(d.nanos / 1_000_000).unwrap_or(0))
}

/// `owner_type` and `owner_name` as the `owner` oneof (only the kinds it has a member for).
fn owner(r: &PodRow) -> Option<Owner> {
    let name = r.owner_name.clone();
    Some(match r.owner_type.as_str() {
        "deployment" => Owner::Deployment(name),
        "replicaset" => Owner::ReplicaSet(name),
        "replicationcontroller" => Owner::ReplicationController(name),
        "statefulset" => Owner::StatefulSet(name),
        "daemonset" => Owner::DaemonSet(name),
        "job" => Owner::Job(name),
        _ => return None,
    })
}

fn from_owner(owner: Option<Owner>) -> (String, String) {
    let (kind, name) = match owner {
        None => return (String::new(), String::new()),
        Some(Owner::Deployment(n)) => ("deployment", n),
        Some(Owner::ReplicaSet(n)) => ("replicaset", n),
        Some(Owner::ReplicationController(n)) => ("replicationcontroller", n),
        Some(Owner::StatefulSet(n)) => ("statefulset", n),
        Some(Owner::DaemonSet(n)) => ("daemonset", n),
        Some(Owner::Job(n)) => ("job", n),
    };
    (kind.to_string(), name)
}

fn pod(r: &PodRow) -> viz::Pod {
    viz::Pod {
        name: r.name.clone(),
        pod_ip: r.pod_ip.clone(),
        status: r.status.clone(),
        added: r.added,
        since_last_report: r.since_last_report_ms.map(duration),
        controller_namespace: r.controller_namespace.clone(),
        control_plane: r.control_plane,
        uptime: r.uptime_ms.map(duration),
        proxy_ready: r.proxy_ready,
        proxy_version: r.proxy_version.clone(),
        resource_version: r.resource_version.clone(),
        owner: owner(r),
    }
}

fn from_pod(p: viz::Pod) -> PodRow {
    let (owner_type, owner_name) = from_owner(p.owner);
    PodRow {
        name: p.name,
        pod_ip: p.pod_ip,
        owner_type,
        owner_name,
        status: p.status,
        added: p.added,
        since_last_report_ms: p.since_last_report.map(from_duration),
        controller_namespace: p.controller_namespace,
        control_plane: p.control_plane,
        uptime_ms: p.uptime.map(from_duration),
        proxy_ready: p.proxy_ready,
        proxy_version: p.proxy_version,
        resource_version: p.resource_version,
    }
}

impl Rpc for ListPods {
    type Proto = viz::ListPodsRequest;
    type Reply = ListPodsResponse;
    const METHOD: &'static str = "ListPods";

    /// Upstream reads the deprecated `namespace` first, then the selector's.
    fn from_proto(request: viz::ListPodsRequest) -> ListPodsRequest {
        let (selected, resource_type, resource_name) = parts(request.selector.unwrap_or_default().resource);
        let namespace = if request.namespace.is_empty() { selected } else { request.namespace };
        ListPodsRequest { namespace, resource_type, resource_name, at: request.at }
    }

    fn to_proto(r: &ListPodsRequest) -> viz::ListPodsRequest {
        viz::ListPodsRequest {
            namespace: String::new(),
            selector: Some(selection(&r.namespace, &r.resource_type, &r.resource_name, "")),
            at: r.at,
        }
    }

    fn reply(r: &ListPodsRequest, answer: Result<&ListPodsOk, &str>) -> Option<ListPodsResponse> {
        answer.ok().map(|ok| ListPodsResponse { pods: ok.pods.iter().map(pod).collect(), at: r.at })
    }

    fn read_reply(reply: ListPodsResponse) -> Option<Result<ListPodsOk, String>> {
        Some(Ok(ListPodsOk { pods: reply.pods.into_iter().map(from_pod).collect() }))
    }

    fn echoed_at(reply: &ListPodsResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: viz::ListPodsRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<ListPodsResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.list_pods(request).await })
    }
}

impl Rpc for ListServices {
    type Proto = viz::ListServicesRequest;
    type Reply = ListServicesResponse;
    const METHOD: &'static str = "ListServices";

    fn from_proto(request: viz::ListServicesRequest) -> ListServicesRequest {
        ListServicesRequest { namespace: request.namespace }
    }

    fn to_proto(r: &ListServicesRequest) -> viz::ListServicesRequest {
        viz::ListServicesRequest { namespace: r.namespace.clone() }
    }

    fn reply(_: &ListServicesRequest, answer: Result<&ListServicesOk, &str>) -> Option<ListServicesResponse> {
        answer.ok().map(|ok| ListServicesResponse {
            services: ok
                .services
                .iter()
                .map(|s| viz::Service { name: s.name.clone(), namespace: s.namespace.clone() })
                .collect(),
        })
    }

    fn read_reply(reply: ListServicesResponse) -> Option<Result<ListServicesOk, String>> {
        let services =
            reply.services.into_iter().map(|s| ServiceRow { namespace: s.namespace, name: s.name }).collect();
        Some(Ok(ListServicesOk { services }))
    }

    fn echoed_at(_: &ListServicesResponse) -> Option<f64> {
        None
    }

    fn call(
        mut stubs: Stubs,
        request: viz::ListServicesRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<ListServicesResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.list_services(request).await })
    }
}

fn status(s: CheckStatus) -> viz::CheckStatus {
    match s {
        CheckStatus::Ok => viz::CheckStatus::Ok,
        CheckStatus::Fail => viz::CheckStatus::Fail,
        CheckStatus::Error => viz::CheckStatus::Error,
    }
}

fn from_status(s: i32) -> CheckStatus {
    match viz::CheckStatus::try_from(s) {
        Ok(viz::CheckStatus::Ok) => CheckStatus::Ok,
        Ok(viz::CheckStatus::Fail) => CheckStatus::Fail,
        // An unknown status is not an OK one.
        Ok(viz::CheckStatus::Error) | Err(_) => CheckStatus::Error,
    }
}

impl Rpc for SelfCheck {
    type Proto = viz::SelfCheckRequest;
    type Reply = SelfCheckResponse;
    const METHOD: &'static str = "SelfCheck";

    fn from_proto(_: viz::SelfCheckRequest) -> SelfCheckRequest {
        SelfCheckRequest {}
    }

    fn to_proto(_: &SelfCheckRequest) -> viz::SelfCheckRequest {
        viz::SelfCheckRequest {}
    }

    fn reply(_: &SelfCheckRequest, answer: Result<&SelfCheckOk, &str>) -> Option<SelfCheckResponse> {
        answer.ok().map(|ok| SelfCheckResponse {
            results: ok
                .results
                .iter()
                .map(|r| viz::CheckResult {
                    subsystem_name: r.subsystem_name.clone(),
                    check_description: r.check_description.clone(),
                    status: status(r.status).into(),
                    friendly_message_to_user: r.friendly_message_to_user.clone(),
                })
                .collect(),
        })
    }

    fn read_reply(reply: SelfCheckResponse) -> Option<Result<SelfCheckOk, String>> {
        let results = reply
            .results
            .into_iter()
            .map(|r| CheckResult {
                subsystem_name: r.subsystem_name,
                check_description: r.check_description,
                status: from_status(r.status),
                friendly_message_to_user: r.friendly_message_to_user,
            })
            .collect();
        Some(Ok(SelfCheckOk { results }))
    }

    fn echoed_at(_: &SelfCheckResponse) -> Option<f64> {
        None
    }

    fn call(
        mut stubs: Stubs,
        request: viz::SelfCheckRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<SelfCheckResponse>, tonic::Status>> {
        Box::pin(async move { stubs.api.self_check(request).await })
    }
}

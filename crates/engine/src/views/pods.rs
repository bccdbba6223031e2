//! ListPods (`viz/metrics-api/grpc_server.go` ListPods, `K8sPodToPublicPod`): every pod of a
//! namespace with its owner, status and proxy facts, and whether Prometheus has its proxy
//! (`max(process_start_time_seconds{…}) by (pod, namespace)`). The query and the rows are pure
//! functions; only `Engine::list_pods` does I/O.
//!
//! Deliberate differences from upstream:
//! * Prometheus's reports are matched by namespace and pod name (upstream: pod name alone, so
//!   same-named pods of two namespaces share one report).
//! * The namespace is checked (an RFC 1123 label) and escaped in the query (upstream pastes it).
//! * Rows are sorted by `namespace/name` (upstream: the informer's order).
//! * With `at`, durations are measured to `at`, so `since_last_report` is 0 (the instant query's
//!   timestamp is its evaluation time, upstream and here).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use lviz_api::views::pods::IGNORED_NAMESPACES;
use lviz_api::{Answer, AnswerFuture, ListPods, ListPodsOk, PodRow, PodsSpec, Rejection, ResourceKind, Validated};
use lviz_k8s::{Object, owner_kind_and_name};
use lviz_prom::Sample;

use super::needs_kubernetes;
use crate::Engine;
use crate::promql::{Matcher, Selector};

/// Owners upstream's `Pod.owner` can carry; other kinds (`cronjob`, `pod`) leave it unset.
const CARRIED_OWNERS: &[&str] =
    &["deployment", "daemonset", "job", "replicaset", "replicationcontroller", "statefulset"];

/// Pure: the one query (upstream's `podQuery`).
pub fn plan(spec: &PodsSpec) -> String {
    let mut labels = Selector::new();
    if !spec.namespace.is_empty() {
        labels.push(Matcher::eq("namespace", &spec.namespace));
    }
    format!("max(process_start_time_seconds{}) by (pod, namespace)", labels.render())
}

/// The time the answer is about: `at`, else now (Unix seconds).
fn now_or(at: Option<f64>) -> f64 {
    at.unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0))
}

fn millis(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1000.0).round() as u64
}

/// `K8sPodToPublicPod`'s status: the phase, `Terminating` while deleted, `Evicted` when evicted.
fn status(info: &lviz_k8s::PodInfo) -> String {
    if info.reason == "Evicted" {
        "Evicted".to_string()
    } else if info.terminating {
        "Terminating".to_string()
    } else {
        info.phase.clone()
    }
}

/// What the answer needs of the clock: when Prometheus evaluated the query, and the moment the
/// durations are measured to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub evaluated: f64,
    pub now: f64,
}

/// Pure: the rows of the pods the spec asks for. `parents` are the ReplicaSets and Jobs of the
/// pods' namespaces; `reports` the answer to [`plan`]'s query.
pub fn assemble(spec: &PodsSpec, pods: &[Object], parents: &[Object], reports: &[Sample], clock: Clock) -> Vec<PodRow> {
    let started: HashMap<(&str, &str), f64> =
        reports.iter().map(|s| ((s.label("namespace"), s.label("pod")), s.value)).collect();
    let mut rows: Vec<PodRow> = pods
        .iter()
        .filter(|p| !IGNORED_NAMESPACES.contains(&p.namespace.as_str()))
        .filter(|p| spec.namespace.is_empty() || p.namespace == spec.namespace)
        .filter_map(|p| {
            let info = p.pod.as_ref()?;
            let (owner_kind, owner_name) = owner_kind_and_name(p, parents);
            let kind_ok = spec.owner_kind.is_none_or(|k: ResourceKind| k.canonical() == owner_kind);
            if !kind_ok || (!spec.owner_name.is_empty() && spec.owner_name != owner_name) {
                return None;
            }
            let start = started.get(&(p.namespace.as_str(), p.name.as_str())).copied();
            let carried = CARRIED_OWNERS.contains(&owner_kind.as_str());
            Some(PodRow {
                name: format!("{}/{}", p.namespace, p.name),
                pod_ip: info.ip.clone(),
                owner_type: if carried { owner_kind } else { String::new() },
                owner_name: if carried { format!("{}/{owner_name}", p.namespace) } else { String::new() },
                status: status(info),
                added: start.is_some(),
                since_last_report_ms: start.map(|_| millis(clock.now - clock.evaluated)),
                controller_namespace: p.labels.get("linkerd.io/control-plane-ns").cloned().unwrap_or_default(),
                control_plane: p.labels.get("linkerd.io/control-plane-component").is_some_and(|c| !c.is_empty()),
                // Upstream keeps whole seconds of the start time.
                uptime_ms: start.filter(|s| s.is_finite()).map(|s| millis(clock.now - s.trunc())),
                proxy_ready: info.proxy_ready,
                proxy_version: info.proxy_version.clone(),
                resource_version: info.resource_version.clone(),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

impl Answer<ListPods> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<ListPods>) -> AnswerFuture<'a, ListPodsOk> {
        Box::pin(self.list_pods(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/pods`: the query and the three listings at once.
    pub async fn list_pods(&self, spec: &PodsSpec) -> Result<ListPodsOk, Rejection> {
        let cluster = self.cluster().ok_or_else(|| needs_kubernetes("ListPods"))?;
        let query = plan(spec);
        let evaluated = now_or(spec.at);
        let ns = spec.namespace.as_str();
        let (reports, pods, sets, jobs) = futures::join!(
            self.metrics().query(&query, spec.at),
            cluster.pods(ns),
            cluster.objects(ResourceKind::ReplicaSet, ns, "", ""),
            cluster.objects(ResourceKind::Job, ns, "", ""),
        );
        let (reports, pods) = (reports?, pods?);
        let parents: Vec<Object> = sets?.into_iter().chain(jobs?).collect();
        let clock = Clock { evaluated, now: now_or(spec.at) };
        Ok(ListPodsOk { pods: assemble(spec, &pods, &parents, &reports, clock) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{ListPodsRequest, pods_request};
    use lviz_k8s::{OwnerRef, PodInfo};

    fn spec(namespace: &str, kind: &str, name: &str) -> PodsSpec {
        let req = ListPodsRequest {
            namespace: namespace.into(),
            resource_type: kind.into(),
            resource_name: name.into(),
            at: Some(100.0),
        };
        pods_request(&req).expect("valid")
    }

    fn object(kind: ResourceKind, ns: &str, name: &str, owner: Option<(&str, &str)>) -> Object {
        Object {
            kind: Some(kind),
            namespace: ns.into(),
            name: name.into(),
            owners: owner.map(|(k, n)| OwnerRef { kind: k.into(), name: n.into() }).into_iter().collect(),
            ..Default::default()
        }
    }

    fn pod(ns: &str, name: &str, owner: Option<(&str, &str)>, info: PodInfo) -> Object {
        let mut o = object(ResourceKind::Pod, ns, name, owner);
        o.pod = Some(info);
        o
    }

    #[test]
    fn query_text() {
        assert_eq!(plan(&spec("", "", "")), "max(process_start_time_seconds{}) by (pod, namespace)");
        assert_eq!(
            plan(&spec("emojivoto", "", "")),
            r#"max(process_start_time_seconds{namespace="emojivoto"}) by (pod, namespace)"#
        );
    }

    #[test]
    fn rows_owners_reports_and_filters() {
        let running = PodInfo {
            phase: "Running".into(),
            ip: "10.0.0.1".into(),
            proxy_ready: true,
            proxy_version: "edge-1".into(),
            resource_version: "7".into(),
            ..Default::default()
        };
        let evicted = PodInfo { phase: "Failed".into(), reason: "Evicted".into(), ..Default::default() };
        let deleting = PodInfo { phase: "Running".into(), terminating: true, ..Default::default() };
        let mut web = pod("a", "web-1-x", Some(("ReplicaSet", "web-1")), running.clone());
        web.labels.insert("linkerd.io/control-plane-ns".into(), "linkerd".into());
        let pods = vec![
            web,
            pod("a", "job-1-y", Some(("Job", "nightly-1")), evicted),
            pod("a", "bare", None, deleting),
            pod("kube-system", "dns", Some(("ReplicaSet", "dns-1")), running.clone()),
        ];
        let parents = vec![
            object(ResourceKind::ReplicaSet, "a", "web-1", Some(("Deployment", "web"))),
            object(ResourceKind::Job, "a", "nightly-1", Some(("CronJob", "nightly"))),
        ];
        let start = |ns: &str, p: &str, v: f64| Sample {
            labels: [("namespace", ns), ("pod", p)].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            value: v,
        };
        // Same pod name in another namespace: not this pod's report.
        let reports = vec![start("a", "web-1-x", 40.7), start("b", "bare", 1.0)];
        let clock = Clock { evaluated: 100.0, now: 100.0 };
        let rows = assemble(&spec("", "", ""), &pods, &parents, &reports, clock);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["a/bare", "a/job-1-y", "a/web-1-x"], "sorted, kube-system ignored");
        let web = &rows[2];
        assert_eq!((web.owner_type.as_str(), web.owner_name.as_str()), ("deployment", "a/web"));
        assert_eq!((web.added, web.since_last_report_ms, web.uptime_ms), (true, Some(0), Some(60_000)));
        assert_eq!((web.controller_namespace.as_str(), web.control_plane, web.proxy_ready), ("linkerd", false, true));
        assert_eq!(
            (web.pod_ip.as_str(), web.proxy_version.as_str(), web.resource_version.as_str()),
            ("10.0.0.1", "edge-1", "7")
        );
        let job = &rows[1];
        assert_eq!(
            (job.owner_type.as_str(), job.status.as_str(), job.added),
            ("", "Evicted", false),
            "cronjob not carried"
        );
        assert_eq!(
            (rows[0].status.as_str(), rows[0].owner_type.as_str(), rows[0].uptime_ms),
            ("Terminating", "", None)
        );

        let only = |s: PodsSpec| {
            assemble(&s, &pods, &parents, &reports, clock).into_iter().map(|r| r.name).collect::<Vec<_>>()
        };
        assert_eq!(only(spec("a", "deployment", "web")), vec!["a/web-1-x"]);
        assert_eq!(only(spec("a", "cronjob", "")), vec!["a/job-1-y"]);
        assert_eq!(only(spec("a", "pod", "bare")), vec!["a/bare"]);
        assert!(only(spec("b", "", "")).is_empty());
    }
}

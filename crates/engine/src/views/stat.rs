//! StatSummary: the queries of §2 per resource kind, the Kubernetes facts of §2.4, and the rows
//! (the policy `httproute` kind is `stat/policy.rs`).

use std::collections::{BTreeSet, HashMap};

use futures::future::try_join_all;

mod policy;

use crate::histograms::{Forms, HistogramForm, Latency, LatencyPlan, LatencyUse, RESPONSE_LATENCY as LATENCY_FAMILY};
use crate::promql::{self, LATENCY_MS_LOWER, Matcher, Selector, StatQueries};
use crate::samples::{Key, count_by_classification, value_by_key};
use crate::{Engine, EngineSettings, QueryPlan, Results};
use lviz_api::resource::STAT_ALL_KINDS;
use lviz_api::{
    Answer, AnswerFuture, BasicStats, Direction, PodGroup, Rejection, Resource, ResourceKind, ServerStats, Stat,
    StatRow, StatSpec, StatSummaryOk, StatTable, TcpStats, Validated,
};
use lviz_k8s::{Object, pod_counts};
use policy::{plan_http_route, server_stats};

/// The queries of one resource kind and how to read their samples back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindPlan {
    pub kind: ResourceKind,
    pub group_by: Vec<String>,
    pub queries: StatQueries,
    pub latency: Latency,
    /// Policy kinds (`httproute`): the allowed and denied counters (viz-semantics §2.9).
    pub authz: Option<[String; 2]>,
}

impl KindPlan {
    /// Whether the kind has TCP queries (policy kinds have none).
    fn has_tcp(&self) -> bool {
        self.authz.is_none()
    }
}

/// Pure: the PromQL of one kind of a stat request (`stat_summary.go:386-548`), on classic
/// histograms (what Linkerd queries).
pub fn plan_kind(spec: &StatSpec, kind: ResourceKind, settings: &EngineSettings) -> KindPlan {
    plan_kind_in(spec, kind, settings, HistogramForm::Classic)
}

/// [`plan_kind`] with the latency histogram in `form`.
pub fn plan_kind_in(spec: &StatSpec, kind: ResourceKind, settings: &EngineSettings, form: HistogramForm) -> KindPlan {
    // Validation already proved the window renders.
    let window = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    if kind == ResourceKind::HttpRoute {
        return plan_http_route(spec, &window, form);
    }
    let target = lviz_api::Target { kind, ..spec.target.clone() };
    let mut labels = Selector::new();
    let group_by;
    let peer;
    if kind == ResourceKind::Service {
        // Services come only from clients' outbound metrics, matched on the authority.
        labels.push(Matcher::eq("direction", "outbound"));
        match &spec.direction {
            Direction::To(to) => labels.extend(&promql::dst_peer_labels(to)),
            Direction::From(from) => labels.extend(&promql::peer_labels(from)),
            Direction::Inbound => {}
        }
        let name = if target.name.is_empty() { ".+".to_string() } else { promql::regex_escape(&target.name) };
        let authority = format!(
            // The template's own dots are escaped too (linkerd leaves them bare).
            r"^{name}\.{}\.svc\.{}.*",
            promql::regex_escape(&target.namespace),
            promql::regex_escape(&settings.cluster_domain)
        );
        labels.push(Matcher::regex("authority", &authority));
        group_by = vec!["dst_namespace".to_string(), "dst_service".to_string()];
        peer = "dst";
    } else {
        match &spec.direction {
            Direction::Inbound => {
                labels.extend(&promql::target_labels(&target));
                labels.push(Matcher::eq("direction", "inbound"));
                group_by = promql::group_by(kind);
                peer = "src";
            }
            Direction::To(to) => {
                labels.extend(&promql::dst_peer_labels(to));
                labels.extend(&promql::target_labels(&target));
                labels.push(Matcher::eq("direction", "outbound"));
                group_by = promql::group_by(kind);
                peer = "dst";
            }
            Direction::From(from) => {
                labels.extend(&promql::peer_labels(from));
                labels.extend(&promql::dst_target_labels(&target));
                labels.push(Matcher::eq("direction", "outbound"));
                group_by = promql::dst_group_by(kind);
                peer = "dst";
            }
        }
    }
    let mut bytes_labels = labels.clone();
    bytes_labels.push(Matcher::eq("peer", peer));
    let conn_labels = if kind == ResourceKind::Service { &bytes_labels } else { &labels };
    let g = group_by.join(", ");
    let latency = Latency::build(form, LATENCY_FAMILY, std::slice::from_ref(&labels), &window, &g, LATENCY_MS_LOWER);
    let queries = StatQueries::build(&labels, conn_labels, &bytes_labels, &group_by, &window);
    KindPlan { kind, queries, latency, group_by, authz: None }
}

/// Pure: every query text a request sends (deduplicated). The lviz plan asks for each kind's
/// bucket rates once instead of Linkerd's three `histogram_quantile` queries.
pub fn query_texts(plans: &[KindPlan], tcp: bool, query_plan: QueryPlan) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in plans {
        out.insert(p.queries.requests.clone());
        out.extend(p.latency.texts(query_plan).iter().cloned());
        if tcp && p.has_tcp() {
            out.insert(p.queries.tcp_connections.clone());
            out.insert(p.queries.tcp_read_bytes.clone());
            out.insert(p.queries.tcp_write_bytes.clone());
        }
        out.extend(p.authz.iter().flatten().cloned());
    }
    out
}

/// The plans of one request, as [`Engine::run_with_forms`] runs them.
struct StatPlan {
    plans: Vec<KindPlan>,
    tcp: bool,
    skip_stats: bool,
}

impl LatencyPlan for StatPlan {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        if self.skip_stats { BTreeSet::new() } else { query_texts(&self.plans, self.tcp, plan) }
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        self.plans.iter().map(|p| p.latency.used_with(&p.queries.requests)).collect()
    }
}

/// Kubernetes facts for one request. Pods and intermediates are sorted by namespace, so each
/// row looks only at its own namespace's objects: with 3,000 pods in 100 namespaces a row's
/// ownership walk reads 30 pods, not 3,000 (`stat po -A` would otherwise be quadratic).
#[derive(Debug, Default)]
pub struct KubeFacts {
    /// Objects per kind (no entry for services, which come from metrics only).
    objects: HashMap<ResourceKind, Vec<Object>>,
    pods: Vec<Object>,
    intermediates: HashMap<ResourceKind, Vec<Object>>,
    /// The pod rows are the listed ones among `pods` (not copied into `objects`).
    pods_are_rows: bool,
}

/// The objects of `namespace` in a slice sorted by namespace.
fn in_namespace<'a>(sorted: &'a [Object], namespace: &str) -> &'a [Object] {
    let start = sorted.partition_point(|o| o.namespace.as_str() < namespace);
    let len = sorted[start..].partition_point(|o| o.namespace == namespace);
    &sorted[start..start + len]
}

impl KubeFacts {
    pub fn new(
        objects: HashMap<ResourceKind, Vec<Object>>,
        mut pods: Vec<Object>,
        mut intermediates: HashMap<ResourceKind, Vec<Object>>,
    ) -> Self {
        // Stable: within a namespace, the order the API server listed them in is kept.
        pods.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        for list in intermediates.values_mut() {
            list.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        }
        KubeFacts { objects, pods, intermediates, pods_are_rows: false }
    }

    /// The pod rows are the listed pods among the pods (no name or selector was asked for).
    fn with_pod_rows_from_pods(self) -> Self {
        KubeFacts { pods_are_rows: true, ..self }
    }

    /// The objects that are rows of `kind`.
    fn rows_of(&self, kind: ResourceKind) -> Box<dyn Iterator<Item = &Object> + '_> {
        if kind == ResourceKind::Pod && self.pods_are_rows {
            return Box::new(self.pods.iter().filter(|p| p.is_listed_pod()));
        }
        Box::new(self.objects.get(&kind).into_iter().flatten())
    }

    /// The pods a row of `obj` can own: its namespace's, or for a namespace, the ones in it.
    fn pods_near(&self, obj: &Object) -> &[Object] {
        let ns = if obj.kind == Some(ResourceKind::Namespace) { &obj.name } else { &obj.namespace };
        in_namespace(&self.pods, ns)
    }

    fn intermediates_near(&self, kind: ResourceKind, obj: &Object) -> &[Object] {
        self.intermediates.get(&kind).map(|list| in_namespace(list, &obj.namespace)).unwrap_or_default()
    }
}

/// One kind's numbers by row key, read from its query results.
struct KindNumbers {
    basic: HashMap<Key, BasicStats>,
    conns: HashMap<Key, u64>,
    reads: HashMap<Key, u64>,
    writes: HashMap<Key, u64>,
    /// Policy kinds: the server stats of each key.
    srv: HashMap<Key, ServerStats>,
}

impl KindNumbers {
    fn read(plan: &KindPlan, results: &Results) -> Self {
        let empty = Vec::new();
        let get = |q: &String| results.get(q).unwrap_or(&empty);
        let g = &plan.group_by;
        let mut basic: HashMap<Key, BasicStats> = HashMap::new();
        for (key, (success, failure)) in count_by_classification(get(&plan.queries.requests), g) {
            let b = basic.entry(key).or_default();
            b.success_count = success;
            b.failure_count = failure;
        }
        for (i, q) in plan.latency.quantiles.iter().enumerate() {
            for (key, v) in value_by_key(get(q), g) {
                let b = basic.entry(key).or_default();
                match i {
                    0 => b.latency_ms_p50 = v,
                    1 => b.latency_ms_p95 = v,
                    _ => b.latency_ms_p99 = v,
                }
            }
        }
        let srv = match &plan.authz {
            Some([allowed, denied]) => server_stats(plan, results, get(allowed), get(denied)),
            None => HashMap::new(),
        };
        KindNumbers {
            basic,
            conns: value_by_key(get(&plan.queries.tcp_connections), g),
            reads: value_by_key(get(&plan.queries.tcp_read_bytes), g),
            writes: value_by_key(get(&plan.queries.tcp_write_bytes), g),
            srv,
        }
    }

    fn tcp(&self, key: &Key) -> Option<TcpStats> {
        if !(self.conns.contains_key(key) || self.reads.contains_key(key) || self.writes.contains_key(key)) {
            return None;
        }
        Some(TcpStats {
            open_connections: self.conns.get(key).copied().unwrap_or(0),
            read_bytes_total: self.reads.get(key).copied().unwrap_or(0),
            write_bytes_total: self.writes.get(key).copied().unwrap_or(0),
        })
    }

    /// The row of `resource`, numbered by `key` (no counts, no status yet).
    fn row(&self, resource: Resource, key: &Key, window: &str) -> StatRow {
        StatRow {
            resource,
            time_window: window.to_string(),
            stats: self.basic.get(key).copied().filter(|b| *b != BasicStats::default()),
            tcp_stats: self.tcp(key),
            srv_stats: self.srv.get(key).cloned(),
            ..Default::default()
        }
    }
}

/// Pure: rows of one kind from its samples and the facts.
pub fn assemble_kind(
    plan: &KindPlan,
    spec: &StatSpec,
    results: &Results,
    facts: Option<&KubeFacts>,
    settings: &EngineSettings,
) -> StatTable {
    let numbers = KindNumbers::read(plan, results);
    let kind_name = plan.kind.canonical().to_string();
    let window = spec.window.raw.as_str();
    let keyed = |key: &Key| Resource { namespace: key.0.clone(), kind: kind_name.clone(), name: key.1.clone() };
    let mut rows: Vec<StatRow> = Vec::new();
    if plan.kind == ResourceKind::Service {
        rows.extend(numbers.basic.keys().map(|key| numbers.row(keyed(key), key, window)));
    } else if let Some(facts) = facts {
        for obj in facts.rows_of(plan.kind) {
            let key = (obj.namespace.clone(), obj.name.clone());
            // With --to/--from, only objects that have request metrics are rows.
            if spec.direction != Direction::Inbound && !numbers.basic.contains_key(&key) {
                continue;
            }
            let counts = pod_counts(
                obj,
                facts.pods_near(obj),
                facts.intermediates_near(plan.kind, obj),
                &settings.controller_namespace,
            );
            let mut r = numbers.row(keyed(&key), &key, window);
            r.meshed_pod_count = counts.meshed;
            r.running_pod_count = counts.running;
            r.failed_pod_count = counts.failed;
            r.status = obj.pod.as_ref().map(|p| p.status.clone()).unwrap_or_default();
            rows.push(r);
        }
    } else {
        // Prometheus-only: every key any query returned is a row (with --to/--from, only keys
        // with request metrics, as above); pod counts and status are unknown.
        let mut keys: BTreeSet<&Key> = numbers.basic.keys().collect();
        if spec.direction == Direction::Inbound {
            keys.extend(numbers.conns.keys().chain(numbers.reads.keys()).chain(numbers.writes.keys()));
            keys.extend(numbers.srv.keys());
        }
        for key in keys {
            let mut r = numbers.row(keyed(key), key, window);
            r.pods_unknown = true;
            rows.push(r);
        }
    }
    rows.sort_by(|a, b| (&a.resource.namespace, &a.resource.name).cmp(&(&b.resource.namespace, &b.resource.name)));
    StatTable { pod_group: PodGroup { rows } }
}

/// `-l` filters Kubernetes objects; metric labels do not carry Kubernetes labels.
pub const NEEDS_KUBE_SELECTOR: &str = "a label selector (-l) needs Kubernetes access; it cannot be used with --no-kube";

impl Answer<Stat> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<Stat>) -> AnswerFuture<'a, StatSummaryOk> {
        Box::pin(self.stat(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/stat`.
    pub async fn stat(&self, spec: &StatSpec) -> Result<StatSummaryOk, Rejection> {
        let kinds: Vec<ResourceKind> =
            if spec.target.kind == ResourceKind::All { STAT_ALL_KINDS.to_vec() } else { vec![spec.target.kind] };
        if self.cluster().is_none() && !spec.label_selector.is_empty() {
            return Err(Rejection::Invalid(NEEDS_KUBE_SELECTOR.to_string()));
        }
        let build = |forms: &Forms| StatPlan {
            plans: kinds.iter().map(|k| plan_kind_in(spec, *k, self.settings(), forms.form(LATENCY_FAMILY))).collect(),
            tcp: spec.tcp_stats,
            skip_stats: spec.skip_stats,
        };
        let (answer, facts, window_check) =
            futures::join!(self.run_with_forms(build, spec.at), self.kube_facts(spec, &kinds), async {
                if spec.skip_stats { Ok(()) } else { self.check_window(&spec.window).await }
            });
        window_check.map_err(Rejection::Invalid)?;
        let facts = facts?;
        let (plan, results) = answer?;
        let stat_tables =
            plan.plans.iter().map(|p| assemble_kind(p, spec, &results, facts.as_ref(), self.settings())).collect();
        Ok(StatSummaryOk { stat_tables })
    }

    /// The Kubernetes facts of a request; None in Prometheus-only mode.
    async fn kube_facts(&self, spec: &StatSpec, kinds: &[ResourceKind]) -> Result<Option<KubeFacts>, Rejection> {
        let t = &spec.target;
        let Some(kube) = self.cluster() else { return Ok(None) };
        let listed: Vec<ResourceKind> = kinds.iter().copied().filter(|k| *k != ResourceKind::Service).collect();
        // Without a name or selector, the pod rows are the listed pods of the same scope the
        // counts need: list pods once, not twice (3,000 pods are most of a `stat po -A`).
        let pod_rows_from_pods = t.name.is_empty() && spec.label_selector.is_empty();
        let fetched: Vec<ResourceKind> =
            listed.iter().copied().filter(|k| !(pod_rows_from_pods && *k == ResourceKind::Pod)).collect();
        let objects = try_join_all(fetched.iter().map(|k| async move {
            Ok::<_, Rejection>((*k, kube.objects(*k, &t.namespace, &t.name, &spec.label_selector).await?))
        }));
        let intermediates = try_join_all(
            listed.iter().map(|k| async move { Ok::<_, Rejection>((*k, kube.intermediates(*k, &t.namespace).await?)) }),
        );
        let pods = async {
            // Policy objects own no pods.
            if listed.iter().all(|k| !k.owns_pods()) {
                return Ok(Vec::new());
            }
            // Namespaces count the pods they hold; other kinds the pods of their namespace.
            let scope = if t.kind == ResourceKind::Namespace { t.name.as_str() } else { t.namespace.as_str() };
            Ok::<_, Rejection>(kube.pods(scope).await?)
        };
        let (objects, intermediates, pods) = futures::try_join!(objects, intermediates, pods)?;
        let facts = KubeFacts::new(objects.into_iter().collect(), pods, intermediates.into_iter().collect());
        if pod_rows_from_pods && listed.contains(&ResourceKind::Pod) {
            return Ok(Some(facts.with_pod_rows_from_pods()));
        }
        Ok(Some(facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::StatSummaryRequest;
    use lviz_api::stat_request;

    #[test]
    fn namespace_slices_of_the_sorted_inventory() {
        let obj = |ns: &str, name: &str| Object { namespace: ns.into(), name: name.into(), ..Default::default() };
        let pods = vec![obj("b", "1"), obj("a", "2"), obj("ab", "3"), obj("b", "4"), obj("a", "5"), obj("", "6")];
        let inv = KubeFacts::new(HashMap::new(), pods, HashMap::new());
        let names = |ns: &str| in_namespace(&inv.pods, ns).iter().map(|o| o.name.as_str()).collect::<Vec<_>>();
        assert_eq!(names("a"), ["2", "5"], "listing order kept within a namespace");
        assert_eq!(names("ab"), ["3"], "a prefix is another namespace");
        assert_eq!(names("b"), ["1", "4"]);
        assert_eq!(names(""), ["6"]);
        assert!(names("c").is_empty() && names("aa").is_empty());
        let ns = Object { kind: Some(ResourceKind::Namespace), name: "b".into(), ..Default::default() };
        assert_eq!(inv.pods_near(&ns).len(), 2, "a namespace row sees the pods in it");
        assert!(inv.intermediates_near(ResourceKind::Deployment, &ns).is_empty());
    }

    /// All queries of one request, sorted, as linkerd's tests compare them.
    fn queries(req: StatSummaryRequest) -> Vec<String> {
        let spec = stat_request(&req).expect("valid request");
        let plan = plan_kind(&spec, spec.target.kind, &EngineSettings::default());
        query_texts(&[plan], spec.tcp_stats, QueryPlan::Linkerd).into_iter().collect()
    }

    fn req(kind: &str, name: &str, ns: &str) -> StatSummaryRequest {
        StatSummaryRequest {
            resource_type: kind.into(),
            resource_name: name.into(),
            namespace: ns.into(),
            time_window: "1m".into(),
            tcp_stats: Some(true),
            ..Default::default()
        }
    }

    // viz-semantics.md §2.2: upstream-tested strings (stat_summary_test.go).
    #[test]
    fn named_pod_inbound_with_tcp() {
        let mut want = vec![
            r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}[1m])) by (le, namespace, pod))"#,
            r#"histogram_quantile(0.95, sum(irate(response_latency_ms_bucket{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}[1m])) by (le, namespace, pod))"#,
            r#"histogram_quantile(0.99, sum(irate(response_latency_ms_bucket{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}[1m])) by (le, namespace, pod))"#,
            r#"sum(increase(response_total{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}[1m])) by (namespace, pod, classification, tls)"#,
            r#"sum(tcp_open_connections{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}) by (namespace, pod)"#,
            r#"sum(increase(tcp_read_bytes_total{direction="inbound", namespace="emojivoto", peer="src", pod="emojivoto-1"}[1m])) by (namespace, pod)"#,
            r#"sum(increase(tcp_write_bytes_total{direction="inbound", namespace="emojivoto", peer="src", pod="emojivoto-1"}[1m])) by (namespace, pod)"#,
        ];
        want.sort();
        assert_eq!(queries(req("pod", "emojivoto-1", "emojivoto")), want);
    }

    #[test]
    fn to_and_from_pods() {
        let mut r = req("pod", "emojivoto-1", "emojivoto");
        r.to_resource_type = "pod".into();
        r.to_resource_name = "emojivoto-2".into();
        r.to_namespace = "emojivoto".into();
        let q = queries(r);
        assert!(q.contains(&r#"sum(increase(response_total{direction="outbound", dst_namespace="emojivoto", dst_pod="emojivoto-2", namespace="emojivoto", pod="emojivoto-1"}[1m])) by (namespace, pod, classification, tls)"#.to_string()), "{q:#?}");
        assert!(q.contains(&r#"sum(increase(tcp_read_bytes_total{direction="outbound", dst_namespace="emojivoto", dst_pod="emojivoto-2", namespace="emojivoto", peer="dst", pod="emojivoto-1"}[1m])) by (namespace, pod)"#.to_string()), "{q:#?}");

        let mut r = req("pod", "emojivoto-1", "emojivoto");
        r.from_resource_type = "pod".into();
        r.from_resource_name = "emojivoto-2".into();
        r.from_namespace = "emojivoto".into();
        let q = queries(r);
        assert!(q.contains(&r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{direction="outbound", dst_namespace="emojivoto", dst_pod="emojivoto-1", namespace="emojivoto", pod="emojivoto-2"}[1m])) by (le, dst_namespace, dst_pod))"#.to_string()), "{q:#?}");
        assert!(q.contains(&r#"sum(increase(response_total{direction="outbound", dst_namespace="emojivoto", dst_pod="emojivoto-1", namespace="emojivoto", pod="emojivoto-2"}[1m])) by (dst_namespace, dst_pod, classification, tls)"#.to_string()), "{q:#?}");

        // No target name: DstQueryLabels adds nothing, not even the namespace.
        let mut r = req("pod", "", "emojivoto");
        r.from_resource_type = "pod".into();
        r.from_resource_name = "emojivoto-2".into();
        let q = queries(r);
        assert!(q.contains(&r#"sum(increase(response_total{direction="outbound", pod="emojivoto-2"}[1m])) by (dst_namespace, dst_pod, classification, tls)"#.to_string()), "{q:#?}");
    }

    #[test]
    fn namespaces_jobs_and_services() {
        let q = queries(req("namespace", "emojivoto", ""));
        assert!(q.contains(&r#"sum(increase(response_total{direction="inbound", namespace="emojivoto"}[1m])) by (namespace, classification, tls)"#.to_string()), "{q:#?}");
        let q = queries(req("namespace", "", ""));
        assert!(
            q.contains(
                &r#"sum(increase(response_total{direction="inbound"}[1m])) by (namespace, classification, tls)"#
                    .to_string()
            ),
            "{q:#?}"
        );
        let q = queries(req("job", "books", "default"));
        assert!(q.contains(&r#"sum(increase(response_total{direction="inbound", k8s_job="books", namespace="default"}[1m])) by (namespace, k8s_job, classification, tls)"#.to_string()), "{q:#?}");
        // §2.3: services come from clients' outbound metrics; every TCP query carries peer="dst".
        let q = queries(req("service", "web", "emojivoto"));
        assert!(q.contains(&r#"sum(increase(response_total{authority=~"^web\\.emojivoto\\.svc\\.cluster\\.local.*", direction="outbound"}[1m])) by (dst_namespace, dst_service, classification, tls)"#.to_string()), "{q:#?}");
        assert!(q.contains(&r#"sum(tcp_open_connections{authority=~"^web\\.emojivoto\\.svc\\.cluster\\.local.*", direction="outbound", peer="dst"}) by (dst_namespace, dst_service)"#.to_string()), "{q:#?}");
        let q = queries(req("service", "", ""));
        assert!(q.contains(&r#"sum(increase(response_total{authority=~"^.+\\.\\.svc\\.cluster\\.local.*", direction="outbound"}[1m])) by (dst_namespace, dst_service, classification, tls)"#.to_string()), "{q:#?}");
    }

    #[test]
    fn user_values_cannot_change_a_query_shape() {
        // Validation refuses such names before any query is built (`lviz_api::names`); the
        // builders stay safe on their own all the same.
        assert!(stat_request(&req("deployment", "x\"}", "emojivoto")).is_err());
        let hostile = |kind: &str, name: &str, ns: &str| {
            let mut spec = stat_request(&req(kind, "placeholder", "placeholder")).expect("valid request");
            spec.target.name = name.into();
            spec.target.namespace = ns.into();
            let plan = plan_kind(&spec, spec.target.kind, &EngineSettings::default());
            query_texts(&[plan], spec.tcp_stats, QueryPlan::Linkerd).into_iter().collect::<Vec<_>>()
        };
        let q = hostile("deployment", r#"x"} or vector(1) or {a="#, "emojivoto");
        assert!(q.iter().all(|q| q.contains(r#"deployment="x\"} or vector(1) or {a=""#)), "{q:#?}");
        let q = hostile("service", "a|b.*", "ns)");
        assert!(
            q.iter().any(|q| q.contains(r#"authority=~"^a\\|b\\.\\*\\.ns\\)\\.svc\\.cluster\\.local.*""#)),
            "{q:#?}"
        );
    }
}

//! StatSummary: the queries of §2 per resource kind, the inventory of §2.4, and the rows.

use std::collections::{BTreeSet, HashMap};

use futures::future::try_join_all;

use super::promql::{self, Matcher, Selector, StatQueries};
use super::samples::{Key, count_by_classification, value_by_key};
use super::{Engine, EngineError, EngineSettings, Results};
use crate::api::resource::STAT_ALL_KINDS;
use crate::api::validate::{Direction, StatSpec, stat_request};
use crate::api::{
    BasicStats, PodGroup, Resource, ResourceKind, ResponseError, StatRow, StatSummaryOk, StatSummaryRequest,
    StatSummaryResponse, StatTable, TcpStats,
};
use crate::k8s::{Object, pod_counts};

/// The queries of one resource kind and how to read their samples back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindPlan {
    pub kind: ResourceKind,
    pub group_by: Vec<String>,
    pub queries: StatQueries,
}

/// Pure: the PromQL of one kind of a stat request (`stat_summary.go:386-548`).
pub fn plan_kind(spec: &StatSpec, kind: ResourceKind, settings: &EngineSettings) -> KindPlan {
    let target = crate::api::Target { kind, ..spec.target.clone() };
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
            "^{name}.{}.svc.{}.*",
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
    // Validation already proved the window renders.
    let window = spec.window.promql().unwrap_or_else(|_| spec.window.raw.clone());
    KindPlan { kind, queries: StatQueries::build(&labels, &bytes_labels, &group_by, &window), group_by }
}

/// Pure: every query text a request sends (deduplicated).
pub fn query_texts(plans: &[KindPlan], tcp: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in plans {
        out.insert(p.queries.requests.clone());
        out.extend(p.queries.latency.iter().cloned());
        if tcp {
            out.insert(p.queries.tcp_connections.clone());
            out.insert(p.queries.tcp_read_bytes.clone());
            out.insert(p.queries.tcp_write_bytes.clone());
        }
    }
    out
}

/// Kubernetes facts for one request.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Objects per kind (no entry for services, which come from metrics only).
    pub objects: HashMap<ResourceKind, Vec<Object>>,
    pub pods: Vec<Object>,
    pub intermediates: HashMap<ResourceKind, Vec<Object>>,
}

/// Pure: rows of one kind from its samples and the inventory.
pub fn assemble_kind(
    plan: &KindPlan,
    spec: &StatSpec,
    results: &Results,
    inventory: &Inventory,
    settings: &EngineSettings,
) -> StatTable {
    let empty = Vec::new();
    let get = |q: &String| results.get(q).unwrap_or(&empty);
    let g = &plan.group_by;
    let mut basic: HashMap<Key, BasicStats> = HashMap::new();
    for (key, (success, failure)) in count_by_classification(get(&plan.queries.requests), g) {
        let b = basic.entry(key).or_default();
        b.success_count = success;
        b.failure_count = failure;
    }
    for (i, q) in plan.queries.latency.iter().enumerate() {
        for (key, v) in value_by_key(get(q), g) {
            let b = basic.entry(key).or_default();
            match i {
                0 => b.latency_ms_p50 = v,
                1 => b.latency_ms_p95 = v,
                _ => b.latency_ms_p99 = v,
            }
        }
    }
    let conns = value_by_key(get(&plan.queries.tcp_connections), g);
    let reads = value_by_key(get(&plan.queries.tcp_read_bytes), g);
    let writes = value_by_key(get(&plan.queries.tcp_write_bytes), g);
    let tcp_of = |key: &Key| {
        if !(conns.contains_key(key) || reads.contains_key(key) || writes.contains_key(key)) {
            return None;
        }
        Some(TcpStats {
            open_connections: conns.get(key).copied().unwrap_or(0),
            read_bytes_total: reads.get(key).copied().unwrap_or(0),
            write_bytes_total: writes.get(key).copied().unwrap_or(0),
        })
    };
    let stats_of = |key: &Key| basic.get(key).copied().filter(|b| *b != BasicStats::default());
    let kind_name = plan.kind.canonical().to_string();
    let row = |resource: Resource, key: &Key| StatRow {
        resource,
        time_window: spec.window.raw.clone(),
        stats: stats_of(key),
        tcp_stats: tcp_of(key),
        ..Default::default()
    };

    let mut rows: Vec<StatRow> = Vec::new();
    if plan.kind == ResourceKind::Service {
        for key in basic.keys() {
            let resource = Resource { namespace: key.0.clone(), kind: kind_name.clone(), name: key.1.clone() };
            rows.push(row(resource, key));
        }
    } else {
        let objects = inventory.objects.get(&plan.kind).map(Vec::as_slice).unwrap_or_default();
        let intermediates = inventory.intermediates.get(&plan.kind).map(Vec::as_slice).unwrap_or_default();
        for obj in objects {
            let key = (obj.namespace.clone(), obj.name.clone());
            // With --to/--from, only objects that have request metrics are rows.
            if spec.direction != Direction::Inbound && !basic.contains_key(&key) {
                continue;
            }
            let resource =
                Resource { namespace: obj.namespace.clone(), kind: kind_name.clone(), name: obj.name.clone() };
            let counts = pod_counts(obj, &inventory.pods, intermediates, &settings.controller_namespace);
            let mut r = row(resource, &key);
            r.meshed_pod_count = counts.meshed;
            r.running_pod_count = counts.running;
            r.failed_pod_count = counts.failed;
            r.status = obj.pod.as_ref().map(|p| p.status.clone()).unwrap_or_default();
            rows.push(r);
        }
    }
    rows.sort_by(|a, b| (&a.resource.namespace, &a.resource.name).cmp(&(&b.resource.namespace, &b.resource.name)));
    StatTable { pod_group: PodGroup { rows } }
}

pub fn error_response(message: String) -> StatSummaryResponse {
    StatSummaryResponse { ok: None, error: Some(ResponseError { error: message }) }
}

impl Engine {
    /// `POST /api/v1/stat`.
    pub async fn stat(&self, req: &StatSummaryRequest) -> Result<StatSummaryResponse, EngineError> {
        let spec = match stat_request(req) {
            Ok(spec) => spec,
            Err(message) => return Ok(error_response(message)),
        };
        let kinds: Vec<ResourceKind> =
            if spec.target.kind == ResourceKind::All { STAT_ALL_KINDS.to_vec() } else { vec![spec.target.kind] };
        let plans: Vec<KindPlan> = kinds.iter().map(|k| plan_kind(&spec, *k, self.settings())).collect();
        let queries = if spec.skip_stats { BTreeSet::new() } else { query_texts(&plans, spec.tcp_stats) };

        let (results, inventory, window_check) =
            futures::join!(self.run_queries(queries, spec.at), self.stat_inventory(&spec, &kinds), async {
                if spec.skip_stats { Ok(()) } else { self.check_window(&spec.window).await }
            });
        if let Err(message) = window_check {
            return Ok(error_response(message));
        }
        let inventory = inventory?;
        let results = results?;
        let stat_tables =
            plans.iter().map(|p| assemble_kind(p, &spec, &results, &inventory, self.settings())).collect();
        Ok(StatSummaryResponse { ok: Some(StatSummaryOk { stat_tables }), error: None })
    }

    async fn stat_inventory(&self, spec: &StatSpec, kinds: &[ResourceKind]) -> Result<Inventory, EngineError> {
        let t = &spec.target;
        let kube = self.inventory();
        let listed: Vec<ResourceKind> = kinds.iter().copied().filter(|k| *k != ResourceKind::Service).collect();
        let objects = try_join_all(listed.iter().map(|k| async move {
            Ok::<_, EngineError>((*k, kube.objects(*k, &t.namespace, &t.name, &spec.label_selector).await?))
        }));
        let intermediates = try_join_all(
            listed
                .iter()
                .map(|k| async move { Ok::<_, EngineError>((*k, kube.intermediates(*k, &t.namespace).await?)) }),
        );
        let pods = async {
            if listed.is_empty() {
                return Ok(Vec::new());
            }
            // Namespaces count the pods they hold; other kinds the pods of their namespace.
            let scope = if t.kind == ResourceKind::Namespace { t.name.as_str() } else { t.namespace.as_str() };
            Ok::<_, EngineError>(kube.pods(scope).await?)
        };
        let (objects, intermediates, pods) = futures::try_join!(objects, intermediates, pods)?;
        Ok(Inventory {
            objects: objects.into_iter().collect(),
            pods,
            intermediates: intermediates.into_iter().collect(),
        })
    }
}

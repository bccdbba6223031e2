//! TopRoutes, fetching half: which objects make tables, the Services behind them and their
//! ServiceProfiles (from Kubernetes), then one set of queries for every table. The query text
//! and the rows are `plan.rs`.

mod plan;

pub use plan::{
    DEFAULT_ROUTE, LATENCY_FAMILY, NEEDS_KUBE_TO, NO_PROFILES, NO_ROUTE_METRICS, RouteQueries, assemble_table,
    plan_table, plan_table_grouped, plan_table_in, profiles_from_samples, route_labels,
};

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use lviz_api::{
    Answer, AnswerFuture, Rejection, ResourceKind, RouteTable, RoutesSpec, Target, TopRoutes, TopRoutesOk, Validated,
};
use lviz_k8s::{Cluster, Object, ServiceProfile, services_for};

use crate::histograms::{Forms, LatencyPlan, LatencyUse};
use crate::{Engine, QueryPlan, Results};
use plan::strip_port;

impl Answer<TopRoutes> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<TopRoutes>) -> AnswerFuture<'a, TopRoutesOk> {
        Box::pin(self.top_routes(request.spec()))
    }
}

/// The namespace an object's pods and Services live in (a Namespace object is its own).
fn home_namespace(obj: &Object) -> &str {
    if obj.kind == Some(ResourceKind::Namespace) { &obj.name } else { &obj.namespace }
}

fn target_of(obj: &Object, kind: ResourceKind) -> Target {
    Target::new(obj.kind.unwrap_or(kind), &obj.name, &obj.namespace)
}

/// Every table's queries (their union is sent once).
struct TablesPlan {
    plans: Vec<(String, Vec<ServiceProfile>, RouteQueries)>,
    queries: BTreeSet<String>,
}

impl LatencyPlan for TablesPlan {
    fn texts(&self, _plan: QueryPlan) -> BTreeSet<String> {
        self.queries.clone()
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        self.plans.iter().filter(|(_, profiles, _)| !profiles.is_empty()).map(|(_, _, q)| q.latency_use()).collect()
    }
}

/// The one table of Prometheus-only mode.
struct OneTable(RouteQueries);

impl LatencyPlan for OneTable {
    fn texts(&self, plan: QueryPlan) -> BTreeSet<String> {
        self.0.texts(plan).cloned().collect()
    }
    fn latencies(&self) -> Vec<LatencyUse<'_>> {
        vec![self.0.latency_use()]
    }
}

/// One table to fill: the object it is about, and its Services as (namespace, name).
struct Table<'a> {
    object: &'a Object,
    services: BTreeSet<(String, String)>,
}

impl Engine {
    /// `POST /api/v1/top-routes`.
    ///
    /// Unlike upstream, a failure while building one table (Kubernetes or Prometheus) fails the
    /// request instead of silently dropping the table and answering "No Service Profiles found"
    /// (viz-semantics edge case 18).
    pub async fn top_routes(&self, spec: &RoutesSpec) -> Result<TopRoutesOk, Rejection> {
        let t = &spec.target;
        let Some(kube) = self.cluster() else { return self.top_routes_prometheus_only(spec).await };
        // `--to-namespace` without a kind is rejected upstream (as an unimplemented type, then
        // swallowed); lviz reads it as "every Service of that namespace", which is what the
        // outbound filter means for stat.
        let to_kind = spec.to.as_ref().map(|p| p.kind.unwrap_or(ResourceKind::Service));
        let (window_check, targets, peers) = futures::join!(
            self.check_window(&spec.window),
            kube.objects(t.kind, &t.namespace, &t.name, &spec.label_selector),
            async {
                match (&spec.to, to_kind) {
                    (Some(p), Some(kind)) => {
                        kube.objects(kind, &p.namespace, &p.name, &spec.label_selector).await.map(Some)
                    }
                    _ => Ok(None),
                }
            }
        );
        window_check.map_err(Rejection::Invalid)?;
        let targets = targets?;
        let peers = peers?;
        if targets.is_empty() {
            return Err(Rejection::Invalid(NO_PROFILES.to_string()));
        }

        // The requested (destination) objects and the Services behind them.
        let (requested, kind, scope) = match (&spec.to, to_kind, &peers) {
            (Some(p), Some(kind), Some(objs)) => {
                let scope = if kind == ResourceKind::Namespace { p.name.as_str() } else { p.namespace.as_str() };
                (objs.as_slice(), kind, scope)
            }
            _ => {
                let scope = if t.kind == ResourceKind::Namespace { t.name.as_str() } else { t.namespace.as_str() };
                (targets.as_slice(), t.kind, scope)
            }
        };
        let services_of = self.services_of(requested, kind, scope).await?;
        // Inbound tables show their own Services, `--to` tables all the requested ones; keyed by
        // (namespace, service) so the rows come out in a stable order.
        let tables: Vec<Table> = targets
            .iter()
            .enumerate()
            .map(|(i, object)| {
                let services = if spec.to.is_some() {
                    services_of.iter().flatten().map(|s| (s.namespace.clone(), s.name.clone())).collect()
                } else {
                    services_of[i].iter().map(|s| (s.namespace.clone(), s.name.clone())).collect()
                };
                Table { object, services }
            })
            .collect();
        let profiles = self.profiles_of(kube, &tables).await?;
        let routes = self.fill_tables(spec, &tables, &profiles).await?;
        Ok(TopRoutesOk { routes })
    }

    /// The ServiceProfile of every (Service, client namespace) any table needs, each read once.
    async fn profiles_of(
        &self,
        kube: &Cluster,
        tables: &[Table<'_>],
    ) -> Result<BTreeMap<(String, String, String), ServiceProfile>, Rejection> {
        let mut wanted: BTreeSet<(String, String, String)> = BTreeSet::new();
        for table in tables {
            let client_ns = home_namespace(table.object);
            wanted.extend(table.services.iter().map(|(ns, name)| (ns.clone(), name.clone(), client_ns.to_string())));
        }
        let domain = &self.settings().cluster_domain;
        let fetched = try_join_all(wanted.into_iter().map(|(ns, name, client_ns)| async move {
            let profile = kube.service_profile(&name, &ns, &client_ns, domain).await?;
            Ok::<_, Rejection>(((ns, name, client_ns), profile))
        }))
        .await?;
        Ok(fetched.into_iter().collect())
    }

    /// Plans every table, sends the union of their queries once, and assembles the tables.
    async fn fill_tables(
        &self,
        spec: &RoutesSpec,
        tables: &[Table<'_>],
        profiles: &BTreeMap<(String, String, String), ServiceProfile>,
    ) -> Result<Vec<RouteTable>, Rejection> {
        let t = &spec.target;
        let query_plan = self.settings().query_plan;
        let build = |forms: &Forms| {
            let form = forms.form(plan::LATENCY_FAMILY);
            let mut plans = Vec::new();
            let mut queries = BTreeSet::new();
            for table in tables {
                let obj = table.object;
                let client_ns = home_namespace(obj);
                let table_profiles: Vec<ServiceProfile> = table
                    .services
                    .iter()
                    .filter_map(|(ns, name)| profiles.get(&(ns.clone(), name.clone(), client_ns.to_string())).cloned())
                    .collect();
                let fqdns: Vec<String> = table_profiles.iter().map(|p| p.name.clone()).collect();
                let plan = plan_table_in(spec, &target_of(obj, t.kind), &fqdns, None, form);
                // A table without profiles has no rows to fill; upstream still sends its (broad)
                // queries, lviz does not.
                if !table_profiles.is_empty() {
                    queries.extend(plan.texts(query_plan).cloned());
                }
                let resource = format!("{}/{}", obj.kind.unwrap_or(t.kind).canonical(), obj.name);
                plans.push((resource, table_profiles, plan));
            }
            TablesPlan { plans, queries }
        };
        // Tables with the same label set share their queries: they are sent once.
        let (TablesPlan { plans, .. }, results) = self.run_with_forms(build, spec.at).await?;
        let mut routes: Vec<RouteTable> = plans
            .into_iter()
            .map(|(resource, profiles, plan)| assemble_table(resource, &profiles, &plan, &results, &spec.window.raw))
            .collect();
        routes.sort_by(|a, b| a.resource.cmp(&b.resource));
        Ok(routes)
    }

    /// Prometheus-only TopRoutes: the tables are the objects seen in the route metrics (the
    /// kind's label, or the `dst` Service for Service targets), their rows the routes seen.
    async fn top_routes_prometheus_only(&self, spec: &RoutesSpec) -> Result<TopRoutesOk, Rejection> {
        let t = &spec.target;
        if !spec.label_selector.is_empty() {
            return Err(Rejection::Invalid(crate::views::stat::NEEDS_KUBE_SELECTOR.to_string()));
        }
        let domain = &self.settings().cluster_domain;
        let fqdn = |name: &str, ns: &str| format!("{name}.{ns}.svc.{domain}");
        let mut fqdns = Vec::new();
        match &spec.to {
            Some(to) if to.kind.unwrap_or(ResourceKind::Service) == ResourceKind::Service && !to.name.is_empty() => {
                fqdns.push(fqdn(&to.name, &to.namespace));
            }
            Some(_) => return Err(Rejection::Invalid(NEEDS_KUBE_TO.to_string())),
            None if t.kind == ResourceKind::Service && !t.name.is_empty() => fqdns.push(fqdn(&t.name, &t.namespace)),
            None => {}
        }
        let extra = (t.kind != ResourceKind::Service).then(|| t.kind.prom_label());
        let build = |forms: &Forms| OneTable(plan_table_in(spec, t, &fqdns, extra, forms.form(plan::LATENCY_FAMILY)));
        let (window_check, answer) =
            futures::join!(self.check_window(&spec.window), self.run_with_forms(build, spec.at));
        window_check.map_err(Rejection::Invalid)?;
        let (OneTable(queries), results) = answer?;
        let object_of = |s: &lviz_prom::Sample| match extra {
            Some(label) => s.label(label).to_string(),
            None => strip_port(s.label("dst")).split('.').next().unwrap_or_default().to_string(),
        };
        let counted = std::iter::once(&queries.requests).chain(queries.actual.iter());
        let objects: BTreeSet<String> =
            counted.filter_map(|q| results.get(q)).flatten().map(object_of).filter(|o| !o.is_empty()).collect();
        if objects.is_empty() {
            return Err(Rejection::Invalid(NO_ROUTE_METRICS.to_string()));
        }
        let routes = objects
            .into_iter()
            .map(|object| {
                let own: Results = results
                    .iter()
                    .map(|(q, samples)| {
                        (q.clone(), samples.iter().filter(|s| object_of(s) == object).cloned().collect())
                    })
                    .collect();
                let counted = std::iter::once(&queries.requests).chain(queries.actual.iter());
                let profiles = profiles_from_samples(counted.filter_map(|q| own.get(q)).flatten());
                let resource = format!("{}/{object}", t.kind.canonical());
                assemble_table(resource, &profiles, &queries, &own, &spec.window.raw)
            })
            .collect();
        Ok(TopRoutesOk { routes })
    }

    /// linkerd's `GetServicesFor` for each object, with one listing of pods, Services and
    /// intermediate owners for the whole scope instead of one per object.
    async fn services_of(
        &self,
        objects: &[Object],
        kind: ResourceKind,
        scope: &str,
    ) -> Result<Vec<Vec<Object>>, Rejection> {
        if kind == ResourceKind::Service {
            return Ok(objects.iter().map(|o| services_for(o, &[], &[], &[])).collect());
        }
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let Some(kube) = self.cluster() else { return Ok(vec![Vec::new(); objects.len()]) };
        let (pods, services, intermediates) = futures::try_join!(
            kube.pods(scope),
            kube.objects(ResourceKind::Service, scope, "", ""),
            kube.intermediates(kind, scope),
        )?;
        Ok(objects.iter().map(|o| services_for(o, &services, &pods, &intermediates)).collect())
    }
}

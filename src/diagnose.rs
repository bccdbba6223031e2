//! Empty-result diagnostics: when `stat`, `routes` or `edges` finds nothing, or every metric cell
//! is `-`, one `hint: …` line for stderr naming the likeliest cause. The checks are cheap: an
//! instant query or two at the command's own evaluation time, a few object lists, the scrape
//! interval, and the answer itself. In order, the first that fires wins:
//!
//! 1. Prometheus holds no Linkerd proxy series at all (`response_total`, `tcp_open_connections`);
//! 2. the namespace, a `--to`/`--from` object, or any object of the kind (matching `-l`) is missing;
//! 3. the namespace has no meshed pod (or the kind's objects have none: `--unmeshed`);
//! 4. the window is shorter than two scrape intervals, so a rate can have one sample;
//! 5. routes: the resource is behind no Service, or its Services have no ServiceProfile;
//! 6. otherwise: the target only sends (stat), or a generic "no requests in the window".
//!
//! Checks 1–4 need direct access to Prometheus and Kubernetes, so they run with the embedded
//! engine only (2–3 also need Kubernetes: skipped in Prometheus-only mode); through a remote
//! metrics API only the answer-based checks run. A failing check
//! is skipped, never reported: diagnostics never change the output or the exit code.

use std::time::Duration;

use crate::api::window::{go_duration_string, parse_go_duration};
use crate::api::{ResourceKind, RouteTable};
use crate::backend::Backend;
use crate::cli::resolve::Plan;
use crate::engine::Engine;
use crate::engine::promql::{Matcher, query_labels};
use crate::k8s::KubeError;
use crate::render::all_without_data;
use crate::run::Answer;

/// Any Linkerd proxy series at all, at the evaluation time.
pub const PROXY_SERIES_QUERY: &str = "count(response_total) or count(tcp_open_connections)";

/// The one hint line (without a newline) for an empty answer, or `None` when the answer has data.
pub(crate) async fn hint(backend: &Backend, plan: &Plan, answer: &Answer) -> Option<String> {
    if !looks_empty(plan, answer) {
        return None;
    }
    let scope = Scope::of(plan)?;
    let found = match embedded(backend) {
        Some(engine) => engine_checks(engine, &scope, plan, answer).await,
        None => None,
    };
    let found = found.or_else(|| routes_check(&scope, answer));
    let found = match found {
        Some(h) => Some(h),
        None => match embedded(backend) {
            Some(engine) => only_sends(engine, &scope, answer).await,
            None => None,
        },
    };
    Some(format!("hint: {}", found.unwrap_or_else(|| fallback(&scope, answer))))
}

/// The embedded engine; `None` in remote mode, where Prometheus and Kubernetes are out of reach.
fn embedded(backend: &Backend) -> Option<&Engine> {
    match backend {
        Backend::Embedded(engine) => Some(engine),
        Backend::Remote(_) => None,
    }
}

fn looks_empty(plan: &Plan, answer: &Answer) -> bool {
    match answer {
        Answer::Stat(_) | Answer::Routes(_) => answer.metric_lines(plan).is_some_and(|l| all_without_data(&l)),
        Answer::Edges(edges) => edges.is_empty(),
        Answer::Gateways(_) => false,
    }
}

/// A `--to` or `--from` object.
struct Peer {
    flag: &'static str,
    kind: ResourceKind,
    name: String,
    namespace: String,
}

/// What the command asked about, from its plan.
struct Scope {
    command: &'static str,
    kind: ResourceKind,
    name: String,
    /// Empty with `-A`.
    namespace: String,
    selector: String,
    window: Option<String>,
    at: Option<f64>,
    peer: Option<Peer>,
    /// stat without `--unmeshed`: rows of unmeshed objects were dropped.
    hides_unmeshed: bool,
}

/// `deploy`, or the canonical name for kinds without a short one.
fn short_kind(kind: ResourceKind) -> &'static str {
    if kind.short().is_empty() { kind.canonical() } else { kind.short() }
}

fn peer(flag: &'static str, kind: &str, name: &str, namespace: &str) -> Option<Peer> {
    let kind = ResourceKind::from_canonical(kind)?;
    (!name.is_empty()).then(|| Peer { flag, kind, name: name.to_string(), namespace: namespace.to_string() })
}

impl Scope {
    fn of(plan: &Plan) -> Option<Scope> {
        match plan {
            Plan::Stat { requests, view } => {
                let r = requests.first()?;
                Some(Scope {
                    command: "stat",
                    kind: ResourceKind::from_canonical(&r.resource_type)?,
                    name: r.resource_name.clone(),
                    namespace: r.namespace.clone(),
                    selector: r.label_selector.clone(),
                    window: Some(r.time_window.clone()),
                    at: r.at,
                    peer: peer("--to", &r.to_resource_type, &r.to_resource_name, &r.to_namespace)
                        .or_else(|| peer("--from", &r.from_resource_type, &r.from_resource_name, &r.from_namespace)),
                    hides_unmeshed: !view.unmeshed && !view.from_set,
                })
            }
            Plan::Routes { request: r, .. } => Some(Scope {
                command: "routes",
                kind: ResourceKind::from_canonical(&r.resource_type)?,
                name: r.resource_name.clone(),
                namespace: r.namespace.clone(),
                selector: r.label_selector.clone(),
                window: Some(r.time_window.clone()),
                at: r.at,
                peer: peer("--to", &r.to_resource_type, &r.to_resource_name, &r.to_namespace),
                hides_unmeshed: false,
            }),
            Plan::Edges { request: r, .. } => Some(Scope {
                command: "edges",
                kind: ResourceKind::from_canonical(&r.resource_type)?,
                name: String::new(),
                namespace: r.namespace.clone(),
                selector: String::new(),
                window: None,
                at: r.at,
                peer: None,
                hides_unmeshed: false,
            }),
            _ => None,
        }
    }

    /// The namespace whose pods matter: a named namespace target, else `-n`.
    fn home_namespace(&self) -> &str {
        if self.kind == ResourceKind::Namespace && !self.name.is_empty() { &self.name } else { &self.namespace }
    }

    /// `deploy/web` or `deploy`.
    fn target(&self) -> String {
        let kind = short_kind(self.kind);
        if self.name.is_empty() { kind.to_string() } else { format!("{kind}/{}", self.name) }
    }

    fn time(&self) -> String {
        match self.at {
            Some(secs) => time::OffsetDateTime::from_unix_timestamp_nanos((secs * 1e9) as i128)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_else(|| format!("{secs}")),
            None => "now".to_string(),
        }
    }
}

/// Checks 1–4, run concurrently; the first in priority order that fires wins.
async fn engine_checks(engine: &Engine, scope: &Scope, plan: &Plan, answer: &Answer) -> Option<String> {
    let rows_empty = answer.metric_lines(plan).is_some_and(|l| l.is_empty());
    let (series, missing, meshed, window) = futures::join!(
        no_proxy_series(engine, scope),
        missing_objects(engine, scope, rows_empty),
        no_meshed_pods(engine, scope),
        short_window(engine, scope),
    );
    let (missing, unmeshed_kind) = missing.unwrap_or_default();
    series.or(missing).or(meshed).or(unmeshed_kind).or(window)
}

async fn no_proxy_series(engine: &Engine, scope: &Scope) -> Option<String> {
    let samples = engine.metrics().query(PROXY_SERIES_QUERY, scope.at).await.ok()?;
    if !samples.is_empty() {
        return None;
    }
    Some(match scope.at {
        Some(_) => format!(
            "Prometheus has no Linkerd proxy series (response_total, tcp_open_connections) at {}: check --at, \
             and that this Prometheus scrapes the linkerd-proxy containers",
            scope.time()
        ),
        None => "Prometheus has no Linkerd proxy series (response_total, tcp_open_connections): check that this \
                 Prometheus (--prometheus-url) scrapes the linkerd-proxy containers"
            .to_string(),
    })
}

fn plural(kind: ResourceKind) -> String {
    match kind.canonical() {
        "" => "objects".to_string(),
        // Every canonical kind name takes a plain -s.
        k => format!("{k}s"),
    }
}

/// (something named or listed is missing, the kind's objects all lack meshed pods).
type Missing = (Option<String>, Option<String>);

async fn missing_objects(engine: &Engine, scope: &Scope, rows_empty: bool) -> Option<Missing> {
    // Prometheus-only mode has no Kubernetes to ask.
    let kube = engine.inventory()?;
    let home = scope.home_namespace();
    if !home.is_empty()
        && matches!(kube.objects(ResourceKind::Namespace, "", home, "").await, Err(KubeError::NotFound(_)))
    {
        return Some((Some(format!("namespace {home:?} does not exist: check -n (or the context's namespace)")), None));
    }
    if let Some(p) = &scope.peer
        && matches!(kube.objects(p.kind, &p.namespace, &p.name, "").await, Err(KubeError::NotFound(_)))
    {
        let short = short_kind(p.kind);
        let message = format!(
            "{} {short}/{} does not exist in namespace {:?}: check its name (and --{}-namespace)",
            p.flag,
            p.name,
            p.namespace,
            p.flag.trim_start_matches('-')
        );
        return Some((Some(message), None));
    }
    // Only when no row came back: does the named object (services are not looked up by the
    // query itself), or any object of the kind, exist?
    if !rows_empty || scope.kind == ResourceKind::All || scope.command == "edges" {
        return None;
    }
    if !scope.name.is_empty() {
        let lookup = kube.objects(scope.kind, &scope.namespace, &scope.name, "").await;
        let missing = matches!(lookup, Err(KubeError::NotFound(_))).then(|| {
            format!("{} does not exist in namespace {:?}: check its name and -n", scope.target(), scope.namespace)
        });
        return Some((missing, None));
    }
    let objects = kube.objects(scope.kind, &scope.namespace, "", &scope.selector).await.ok()?;
    let place = if scope.namespace.is_empty() {
        "in any namespace".to_string()
    } else {
        format!("in namespace {:?}", scope.namespace)
    };
    let kinds = plural(scope.kind);
    if objects.is_empty() {
        let message = if scope.selector.is_empty() {
            format!("there are no {kinds} {place}")
        } else {
            format!("no {} {place} matches -l {}", scope.kind.canonical(), scope.selector)
        };
        return Some((Some(message), None));
    }
    let unmeshed = scope.hides_unmeshed.then(|| match objects.len() {
        1 => format!(
            "the {} {place} has no meshed pods: inject it (linkerd inject), or add --unmeshed to list it",
            scope.kind.canonical()
        ),
        n => format!(
            "the {n} {kinds} {place} have no meshed pods: inject them (linkerd inject), or add --unmeshed to list them"
        ),
    });
    Some((None, unmeshed))
}

async fn no_meshed_pods(engine: &Engine, scope: &Scope) -> Option<String> {
    let home = scope.home_namespace();
    if home.is_empty() {
        return None;
    }
    let pods = engine.inventory()?.pods(home).await.ok()?;
    let controller = &engine.settings().controller_namespace;
    let running: Vec<_> = pods
        .iter()
        .filter(|p| p.pod.as_ref().is_some_and(|i| matches!(i.phase.as_str(), "Running" | "Pending")))
        .collect();
    let meshed = running.iter().filter(|p| p.labels.get("linkerd.io/control-plane-ns") == Some(controller)).count();
    if meshed > 0 {
        return None;
    }
    let pods = match running.len() {
        0 => "no running pods".to_string(),
        1 => "1 pod, without the Linkerd proxy".to_string(),
        n => format!("{n} pods, none with the Linkerd proxy"),
    };
    let unmeshed = if scope.hides_unmeshed { ", or add --unmeshed to show its rows anyway" } else { "" };
    Some(format!("namespace {home:?} has no meshed pods ({pods}): inject its workloads (linkerd inject){unmeshed}"))
}

async fn short_window(engine: &Engine, scope: &Scope) -> Option<String> {
    let raw = scope.window.as_deref()?;
    let nanos = u64::try_from(parse_go_duration(raw).ok()?).ok()?;
    let window = Duration::from_nanos(nanos);
    let interval = engine.metrics().scrape_interval().await?;
    if window >= interval * 2 {
        return None;
    }
    Some(format!(
        "the {raw} window is shorter than two scrape intervals ({} each), so rates often have a single sample: \
         use -t {} or more",
        go_duration_string(interval),
        go_duration_string(interval * 2)
    ))
}

/// Check 5, from the answer alone (works through a remote API too).
fn routes_check(scope: &Scope, answer: &Answer) -> Option<String> {
    let Answer::Routes(tables) = answer else { return None };
    if tables.iter().all(|t| t.rows.is_empty()) {
        return Some(format!(
            "{} is not behind any Service, so it has no routes: routes come from the ServiceProfiles of the \
             Services that select its pods",
            scope.target()
        ));
    }
    let only_default = tables.iter().flat_map(|t| &t.rows).all(|r| r.route == "[DEFAULT]");
    if !only_default {
        return None;
    }
    let mut services: Vec<&str> = services_of(tables);
    services.dedup();
    let first = services.first().copied().unwrap_or("the service");
    Some(format!(
        "no ServiceProfile for {}: routes shows only [DEFAULT]; create one, e.g. linkerd profile --template {first} \
         -n {}",
        services.join(", "),
        if scope.namespace.is_empty() { "NAMESPACE" } else { &scope.namespace }
    ))
}

fn services_of(tables: &[RouteTable]) -> Vec<&str> {
    let mut services: Vec<&str> = tables.iter().flat_map(|t| &t.rows).map(|r| r.authority.as_str()).collect();
    services.sort_unstable();
    services
}

/// Check 6a: a named stat target whose rows came back without data, but which sends requests.
async fn only_sends(engine: &Engine, scope: &Scope, answer: &Answer) -> Option<String> {
    let Answer::Stat(rows) = answer else { return None };
    if rows.is_empty() || scope.name.is_empty() || scope.peer.is_some() || scope.kind == ResourceKind::Service {
        return None;
    }
    let mut labels = query_labels(Some(scope.kind), &scope.name, &scope.namespace);
    labels.push(Matcher::eq("direction", "outbound"));
    let query = format!("count(response_total{})", labels.render());
    let samples = engine.metrics().query(&query, scope.at).await.ok()?;
    if samples.is_empty() {
        return None;
    }
    let ns = if scope.namespace.is_empty() { String::new() } else { format!(" -n {}", scope.namespace) };
    Some(format!(
        "{} receives no requests but sends some: see them with lviz stat {} --from {}{ns}",
        scope.target(),
        short_kind(scope.kind),
        scope.target()
    ))
}

/// Check 6b: nothing specific found.
fn fallback(scope: &Scope, answer: &Answer) -> String {
    if let Answer::Edges(_) = answer {
        return format!(
            "no connections between meshed pods{}: edges shows the open TCP connections seen by the proxies at {}",
            if scope.namespace.is_empty() { String::new() } else { format!(" in namespace {:?}", scope.namespace) },
            scope.time()
        );
    }
    let window = scope.window.as_deref().unwrap_or("1m");
    format!("no requests in the {window} window ending {}: try a longer window (-t 10m) or another --at", scope.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(ResourceKind::Deployment), "deployments");
        assert_eq!(plural(ResourceKind::ReplicaSet), "replicasets");
        assert_eq!(plural(ResourceKind::DaemonSet), "daemonsets");
        assert_eq!(plural(ResourceKind::Namespace), "namespaces");
        assert_eq!(plural(ResourceKind::ReplicationController), "replicationcontrollers");
    }
}

//! Empty-result diagnostics: when a view finds nothing, or every metric cell is `-`, one
//! `hint: …` line for stderr naming the likeliest cause. The facts come from the backend's
//! `checks` endpoint (so a remote API answers them where its backends are), plus the answer
//! itself. In order, the first that fires wins:
//!
//! 1. Prometheus holds no Linkerd proxy series at all (`response_total`, `tcp_open_connections`)
//!    at the evaluation time: when its newest sample is older than that time, the data ends
//!    before it (say so, with the `--at` that shows it); otherwise it does not scrape the proxies;
//! 2. the namespace, a `--to`/`--from` object, or any object of the kind (matching `-l`) is missing;
//! 3. the namespace has no meshed pod (or the kind's objects, or the named one, have none:
//!    `--unmeshed`);
//! 4. the window is shorter than two scrape intervals, so a rate can have one sample;
//! 5. routes: the resource is behind no Service, or its Services have no ServiceProfile;
//! 6. otherwise: the target only sends (stat), or a generic "no requests in the window" (which
//!    suggests a longer window only when there is one longer than the window in use).
//!
//! A hint is only derived from a check that ran: a backend that cannot check something (no
//! Kubernetes, an API without the `checks` endpoint) answers "unknown", and that check is
//! skipped. Diagnostics never change the output or the exit code.

use std::time::Duration;

use lviz_api::window::{go_duration_string, parse_go_duration};
use lviz_api::{Answer, Checks, ChecksOk, ChecksRequest, ObjectCount, Resource, ResourceKind, RouteTable, Validated};

use crate::backend::Backend;

/// `2026-01-01T00:20:00Z` for Unix seconds.
fn rfc3339(secs: f64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos((secs * 1e9) as i128)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("{secs}"))
}

/// A duration as people say it: `340 days`, `5 hours`, `12 minutes`.
fn age(seconds: f64) -> String {
    let (value, unit) = match seconds {
        s if s >= 2.0 * 86_400.0 => (s / 86_400.0, "days"),
        s if s >= 2.0 * 3_600.0 => (s / 3_600.0, "hours"),
        s => (s / 60.0, "minutes"),
    };
    format!("{} {unit}", value.floor())
}

/// A `--to` or `--from` object.
#[derive(Debug, Clone)]
pub struct Peer {
    pub flag: &'static str,
    pub kind: ResourceKind,
    pub name: String,
    pub namespace: String,
}

/// What the command asked about.
#[derive(Debug, Clone)]
pub struct Scope {
    pub command: &'static str,
    pub kind: ResourceKind,
    pub name: String,
    /// Empty with `-A`.
    pub namespace: String,
    pub selector: String,
    pub window: Option<String>,
    pub at: Option<f64>,
    pub peer: Option<Peer>,
    /// stat without `--unmeshed`: rows of unmeshed objects were dropped.
    pub hides_unmeshed: bool,
}

/// What the answer shows, beyond being empty or without data.
pub enum Evidence<'a> {
    /// stat: the rows the answer holds, and the rows displayed (after `--unmeshed` filtering).
    Stat {
        rows: usize,
        shown: usize,
    },
    /// routes: the tables, and the rows displayed.
    Routes {
        tables: &'a [RouteTable],
        shown: usize,
    },
    Edges,
}

impl Evidence<'_> {
    /// No row is displayed (edges never looks objects up, whatever its rows).
    fn rows_empty(&self) -> bool {
        match self {
            Evidence::Stat { shown, .. } | Evidence::Routes { shown, .. } => *shown == 0,
            Evidence::Edges => false,
        }
    }
}

/// `deploy`, or the canonical name for kinds without a short one.
fn short_kind(kind: ResourceKind) -> &'static str {
    if kind.short().is_empty() { kind.canonical() } else { kind.short() }
}

/// A `--to`/`--from` peer worth checking: a known kind and a name.
pub fn peer(flag: &'static str, kind: &str, name: &str, namespace: &str) -> Option<Peer> {
    let kind = ResourceKind::from_canonical(kind)?;
    (!name.is_empty()).then(|| Peer { flag, kind, name: name.to_string(), namespace: namespace.to_string() })
}

impl Scope {
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
            Some(secs) => rfc3339(secs),
            None => "now".to_string(),
        }
    }

    /// Whether the kind's objects (or the named one) are looked up: only when no row came back.
    fn looks_up_objects(&self, evidence: &Evidence) -> bool {
        evidence.rows_empty() && self.kind != ResourceKind::All && self.command != "edges"
    }

    fn resource(&self, kind: ResourceKind, name: &str, namespace: &str) -> Resource {
        Resource { namespace: namespace.to_string(), kind: kind.canonical().to_string(), name: name.to_string() }
    }

    /// The checks this scope and answer call for.
    fn checks(&self, evidence: &Evidence) -> ChecksRequest {
        let mut req = ChecksRequest {
            at: self.at,
            proxy_series: true,
            newest_sample: true,
            scrape_interval: self.window.is_some(),
            pods_in: self.home_namespace().to_string(),
            ..Default::default()
        };
        let home = self.home_namespace();
        if !home.is_empty() {
            req.exist.push(self.resource(ResourceKind::Namespace, home, ""));
        }
        if let Some(p) = &self.peer {
            req.exist.push(self.resource(p.kind, &p.name, &p.namespace));
        }
        if self.looks_up_objects(evidence) {
            if self.name.is_empty() {
                req.count = Some(ObjectCount {
                    namespace: self.namespace.clone(),
                    kind: self.kind.canonical().to_string(),
                    label_selector: self.selector.clone(),
                });
            } else {
                req.exist.push(self.resource(self.kind, &self.name, &self.namespace));
            }
        }
        if let Evidence::Stat { rows, .. } = evidence
            && *rows > 0
            && !self.name.is_empty()
            && self.peer.is_none()
            && self.kind != ResourceKind::Service
        {
            req.sends = Some(self.resource(self.kind, &self.name, &self.namespace));
        }
        req
    }
}

/// The hint line (without a newline) for an empty answer, from the backend's checks.
pub async fn hint(backend: &Backend, scope: &Scope, evidence: Evidence<'_>) -> String {
    let request = scope.checks(&evidence);
    let facts = match Validated::<Checks>::new(request) {
        Ok(valid) => backend.answer(&valid).await.unwrap_or_default(),
        Err(_) => ChecksOk::default(),
    };
    let found = from_facts(scope, &facts, &evidence)
        .or_else(|| routes_check(scope, &evidence))
        .or_else(|| only_sends(scope, &facts));
    format!("hint: {}", found.unwrap_or_else(|| fallback(scope, &evidence)))
}

/// Checks 1–4, in priority order.
fn from_facts(scope: &Scope, facts: &ChecksOk, evidence: &Evidence) -> Option<String> {
    let series = (facts.proxy_series == Some(false)).then(|| no_proxy_series(scope, facts.newest_sample));
    let (missing, unmeshed_kind) = missing_objects(scope, facts, evidence);
    series.or(missing).or_else(|| no_meshed_pods(scope, facts)).or(unmeshed_kind).or_else(|| short_window(scope, facts))
}

/// Prometheus's default lookback: a sample older than this before the evaluation time is not
/// seen by an instant query.
const LOOKBACK_SECONDS: f64 = 300.0;

fn no_proxy_series(scope: &Scope, newest: Option<f64>) -> String {
    let at = scope.at.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp() as f64);
    if let Some(newest) = newest.filter(|t| *t + LOOKBACK_SECONDS < at) {
        // Whole seconds: the head reports its max time one millisecond past the last sample.
        let shown = rfc3339(newest.floor());
        return format!(
            "Prometheus's newest sample is at {shown}, {} before {}: nothing was scraped after it. To see that \
             data, evaluate at its time: --at {shown} (or export LVIZ_AT={shown})",
            age(at - newest),
            scope.time()
        );
    }
    match scope.at {
        Some(_) => format!(
            "Prometheus has no Linkerd proxy series (response_total, tcp_open_connections) at {}: check --at, \
             and that this Prometheus scrapes the linkerd-proxy containers",
            scope.time()
        ),
        None => "Prometheus has no Linkerd proxy series (response_total, tcp_open_connections): check that this \
                 Prometheus (--prometheus-url) scrapes the linkerd-proxy containers"
            .to_string(),
    }
}

fn plural(kind: ResourceKind) -> String {
    match kind.canonical() {
        "" => "objects".to_string(),
        // Every canonical kind name takes a plain -s.
        k => format!("{k}s"),
    }
}

/// Whether the check found this object missing (not: could not tell).
fn missing(facts: &ChecksOk, kind: ResourceKind, name: &str, namespace: &str) -> bool {
    let namespace = if kind == ResourceKind::Namespace { "" } else { namespace };
    facts.exist.iter().any(|e| {
        e.exists == Some(false)
            && e.resource.kind == kind.canonical()
            && e.resource.name == name
            && e.resource.namespace == namespace
    })
}

/// (something named or listed is missing, the kind's objects all lack meshed pods).
fn missing_objects(scope: &Scope, facts: &ChecksOk, evidence: &Evidence) -> (Option<String>, Option<String>) {
    let home = scope.home_namespace();
    if !home.is_empty() && missing(facts, ResourceKind::Namespace, home, "") {
        return (Some(format!("namespace {home:?} does not exist: check -n (or the context's namespace)")), None);
    }
    if let Some(p) = &scope.peer
        && missing(facts, p.kind, &p.name, &p.namespace)
    {
        let message = format!(
            "{} {}/{} does not exist in namespace {:?}: check its name (and --{}-namespace)",
            p.flag,
            short_kind(p.kind),
            p.name,
            p.namespace,
            p.flag.trim_start_matches('-')
        );
        return (Some(message), None);
    }
    if !scope.looks_up_objects(evidence) {
        return (None, None);
    }
    if !scope.name.is_empty() {
        let gone = missing(facts, scope.kind, &scope.name, &scope.namespace).then(|| {
            format!("{} does not exist in namespace {:?}: check its name and -n", scope.target(), scope.namespace)
        });
        // The answer had the row; only `--unmeshed` would show it: its pods have no proxy.
        let hidden = matches!(evidence, Evidence::Stat { rows, shown } if rows > shown) && scope.hides_unmeshed;
        let unmeshed = hidden.then(|| {
            format!("{} has no meshed pods: inject it (linkerd inject), or add --unmeshed to list it", scope.target())
        });
        return (gone, unmeshed);
    }
    let Some(count) = facts.count else { return (None, None) };
    let place = if scope.namespace.is_empty() {
        "in any namespace".to_string()
    } else {
        format!("in namespace {:?}", scope.namespace)
    };
    let kinds = plural(scope.kind);
    if count == 0 {
        let message = if scope.selector.is_empty() {
            format!("there are no {kinds} {place}")
        } else {
            format!("no {} {place} matches -l {}", scope.kind.canonical(), scope.selector)
        };
        return (Some(message), None);
    }
    let unmeshed = scope.hides_unmeshed.then(|| match count {
        1 => format!(
            "the {} {place} has no meshed pods: inject it (linkerd inject), or add --unmeshed to list it",
            scope.kind.canonical()
        ),
        n => format!(
            "the {n} {kinds} {place} have no meshed pods: inject them (linkerd inject), or add --unmeshed to list them"
        ),
    });
    (None, unmeshed)
}

fn no_meshed_pods(scope: &Scope, facts: &ChecksOk) -> Option<String> {
    let home = scope.home_namespace();
    let tally = facts.pods.filter(|_| !home.is_empty())?;
    if tally.meshed > 0 {
        return None;
    }
    let pods = match tally.running {
        0 => "no running pods".to_string(),
        1 => "1 pod, without the Linkerd proxy".to_string(),
        n => format!("{n} pods, none with the Linkerd proxy"),
    };
    let unmeshed = if scope.hides_unmeshed { ", or add --unmeshed to show its rows anyway" } else { "" };
    Some(format!("namespace {home:?} has no meshed pods ({pods}): inject its workloads (linkerd inject){unmeshed}"))
}

fn short_window(scope: &Scope, facts: &ChecksOk) -> Option<String> {
    let raw = scope.window.as_deref()?;
    let nanos = u64::try_from(parse_go_duration(raw).ok()?).ok()?;
    let window = Duration::from_nanos(nanos);
    let interval = Duration::try_from_secs_f64(facts.scrape_interval_seconds?).ok()?;
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

/// Check 5, from the answer alone.
fn routes_check(scope: &Scope, evidence: &Evidence) -> Option<String> {
    let Evidence::Routes { tables, .. } = evidence else { return None };
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
fn only_sends(scope: &Scope, facts: &ChecksOk) -> Option<String> {
    if facts.sends != Some(true) {
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
fn fallback(scope: &Scope, evidence: &Evidence) -> String {
    if let Evidence::Edges = evidence {
        return format!(
            "no connections between meshed pods{}: edges shows the open TCP connections seen by the proxies at {}",
            if scope.namespace.is_empty() { String::new() } else { format!(" in namespace {:?}", scope.namespace) },
            scope.time()
        );
    }
    let window = scope.window.as_deref().unwrap_or("1m");
    let longer = longer_window(window).map(|w| format!("a longer window (-t {w}) or ")).unwrap_or_default();
    format!("no requests in the {window} window ending {}: try {longer}another --at", scope.time())
}

/// A window to suggest instead of `window`: the first of 10m, 1h that is longer, if any.
fn longer_window(window: &str) -> Option<&'static str> {
    let nanos = parse_go_duration(window).ok()?;
    let current = Duration::from_nanos(u64::try_from(nanos).ok()?);
    [("10m", Duration::from_secs(600)), ("1h", Duration::from_secs(3600))]
        .into_iter()
        .find(|(_, d)| *d > current)
        .map(|(w, _)| w)
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

    fn scope() -> Scope {
        Scope {
            command: "stat",
            kind: ResourceKind::Deployment,
            name: String::new(),
            namespace: "ops".into(),
            selector: String::new(),
            window: Some("1m".into()),
            at: None,
            peer: None,
            hides_unmeshed: true,
        }
    }

    #[test]
    fn checks_asked_follow_the_answer() {
        let s = scope();
        let empty = s.checks(&Evidence::Stat { rows: 0, shown: 0 });
        assert!(empty.proxy_series && empty.scrape_interval);
        assert_eq!(empty.pods_in, "ops");
        assert_eq!(empty.exist.len(), 1, "the namespace only");
        assert_eq!(empty.count.as_ref().map(|c| c.kind.as_str()), Some("deployment"));
        let with_rows = s.checks(&Evidence::Stat { rows: 2, shown: 2 });
        assert!(with_rows.count.is_none() && with_rows.sends.is_none(), "no name: no sends check");
    }

    #[test]
    fn the_window_suggested_is_never_the_one_in_use() {
        assert_eq!(longer_window("1m"), Some("10m"));
        assert_eq!(longer_window("10m"), Some("1h"));
        assert_eq!(longer_window("1h"), None);
        let mut s = scope();
        s.window = Some("1h".into());
        assert_eq!(
            fallback(&s, &Evidence::Stat { rows: 1, shown: 1 }),
            "no requests in the 1h window ending now: try another --at"
        );
    }

    #[test]
    fn data_older_than_the_evaluation_time_is_named_with_its_time() {
        let mut s = scope();
        s.at = Some(1796650000.0);
        assert_eq!(
            no_proxy_series(&s, Some(1767226800.001)),
            "Prometheus's newest sample is at 2026-01-01T00:20:00Z, 340 days before 2026-12-07T13:26:40Z: nothing \
             was scraped after it. To see that data, evaluate at its time: --at 2026-01-01T00:20:00Z (or export \
             LVIZ_AT=2026-01-01T00:20:00Z)"
        );
        // Fresh samples (within the lookback), or none known: Prometheus does not scrape the proxies.
        assert!(no_proxy_series(&s, Some(1796649900.0)).contains("scrapes the linkerd-proxy containers"));
        assert!(no_proxy_series(&s, None).contains("scrapes the linkerd-proxy containers"));
        assert_eq!(age(90.0 * 60.0), "90 minutes");
        assert_eq!(age(5.5 * 3600.0), "5 hours");
    }

    #[test]
    fn unknown_facts_give_no_specific_hint() {
        let s = scope();
        assert_eq!(from_facts(&s, &ChecksOk::default(), &Evidence::Stat { rows: 0, shown: 0 }), None);
        let facts = ChecksOk { count: Some(2), ..Default::default() };
        assert_eq!(
            from_facts(&s, &facts, &Evidence::Stat { rows: 0, shown: 0 }).as_deref(),
            Some(
                "the 2 deployments in namespace \"ops\" have no meshed pods: inject them (linkerd inject), or add \
                 --unmeshed to list them"
            )
        );
    }
}

//! Hints for `stat-inbound`, `stat-outbound` and `authz`: one `hint: …` line when a command
//! finds no row, or when its rows have no latency because Prometheus holds the histogram in
//! neither form (no classic `_bucket` series, no native series). The facts come from the
//! backend's `checks` endpoint, as for the other views (`diagnose.rs`); a check that cannot run
//! gives no hint. In order, the first that fires wins:
//!
//! 1. Prometheus holds no Linkerd proxy series at all;
//! 2. the namespace, the named object, or any object of the kind (matching `-l`) is missing;
//! 3. the histograms the command reads exist in neither form (for stat-outbound: the proxies
//!    emit no route metrics, which Linkerd 2.16+ proxies do);
//! 4. the window is shorter than two scrape intervals;
//! 5. otherwise: no requests in the window.

use std::time::Duration;

use lviz_api::window::{go_duration_string, parse_go_duration};
use lviz_api::{Answer, Checks, ChecksOk, ChecksRequest, ObjectCount, Resource, ResourceKind, Validated};

use crate::backend::Backend;

/// What the command asked about.
pub struct RouteScope {
    pub command: &'static str,
    pub kind: ResourceKind,
    pub name: String,
    /// Empty with `-A`.
    pub namespace: String,
    pub selector: String,
    pub window: String,
    pub at: Option<f64>,
    /// The histogram families the command reads.
    pub families: &'static [&'static str],
}

impl RouteScope {
    fn target(&self) -> String {
        let kind = if self.kind.short().is_empty() { self.kind.canonical() } else { self.kind.short() };
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

    /// The namespace to check: a named namespace target's, else `-n` (none with `-A`).
    fn namespace_to_check(&self) -> &str {
        if self.kind == ResourceKind::Namespace { &self.name } else { &self.namespace }
    }

    fn checks(&self, empty: bool) -> ChecksRequest {
        let mut req = ChecksRequest {
            at: self.at,
            histograms: self.families.iter().map(|f| f.to_string()).collect(),
            ..Default::default()
        };
        if !empty {
            return req;
        }
        req.proxy_series = true;
        req.scrape_interval = true;
        let resource = |kind: ResourceKind, name: &str, namespace: &str| Resource {
            namespace: namespace.to_string(),
            kind: kind.canonical().to_string(),
            name: name.to_string(),
        };
        let ns = self.namespace_to_check();
        if !ns.is_empty() {
            req.exist.push(resource(ResourceKind::Namespace, ns, ""));
        }
        if !self.name.is_empty() && self.kind != ResourceKind::Namespace {
            req.exist.push(resource(self.kind, &self.name, &self.namespace));
        } else if self.name.is_empty() {
            req.count = Some(ObjectCount {
                namespace: self.namespace.clone(),
                kind: self.kind.canonical().to_string(),
                label_selector: self.selector.clone(),
            });
        }
        req
    }
}

/// The hint for an answer with no row (`empty`) or whose rows have no latency.
pub async fn hint(backend: &Backend, scope: &RouteScope, empty: bool) -> Option<String> {
    let facts = match Validated::<Checks>::new(scope.checks(empty)) {
        Ok(valid) => backend.answer(&valid).await.unwrap_or_default(),
        Err(_) => ChecksOk::default(),
    };
    let found = if empty {
        missing_series(scope, &facts)
            .or_else(|| missing_object(scope, &facts))
            .or_else(|| no_histograms(scope, &facts))
            .or_else(|| short_window(scope, &facts))
            .unwrap_or_else(|| {
                format!(
                    "no requests in the {} window ending {}: try a longer window (-t 10m) or another --at",
                    scope.window,
                    scope.time()
                )
            })
    } else {
        no_histograms(scope, &facts)?
    };
    Some(format!("hint: {found}"))
}

fn missing_series(scope: &RouteScope, facts: &ChecksOk) -> Option<String> {
    (facts.proxy_series == Some(false)).then(|| {
        format!(
            "Prometheus has no Linkerd proxy series (response_total, tcp_open_connections) at {}: check --at, and \
             that this Prometheus scrapes the linkerd-proxy containers",
            scope.time()
        )
    })
}

fn missing_object(scope: &RouteScope, facts: &ChecksOk) -> Option<String> {
    let gone = |kind: ResourceKind, name: &str| {
        facts
            .exist
            .iter()
            .any(|e| e.exists == Some(false) && e.resource.kind == kind.canonical() && e.resource.name == name)
    };
    let ns = scope.namespace_to_check();
    if !ns.is_empty() && gone(ResourceKind::Namespace, ns) {
        return Some(format!("namespace {ns:?} does not exist: check -n (or the context's namespace)"));
    }
    if !scope.name.is_empty() && gone(scope.kind, &scope.name) {
        return Some(format!(
            "{} does not exist in namespace {:?}: check its name and -n",
            scope.target(),
            scope.namespace
        ));
    }
    if facts.count != Some(0) {
        return None;
    }
    let place = if scope.namespace.is_empty() {
        "in any namespace".to_string()
    } else {
        format!("in namespace {:?}", scope.namespace)
    };
    Some(if scope.selector.is_empty() {
        format!("there are no {}s {place}", scope.kind.canonical())
    } else {
        format!("no {} {place} matches -l {}", scope.kind.canonical(), scope.selector)
    })
}

fn no_histograms(scope: &RouteScope, facts: &ChecksOk) -> Option<String> {
    if facts.histograms.is_empty() || facts.histograms.iter().any(|h| h.form != "none") {
        return None;
    }
    Some(if scope.command == "stat-outbound" {
        format!(
            "Prometheus holds no outbound route histogram ({}, classic or native) at {}: stat-outbound reads the \
             route metrics of Linkerd 2.16+ proxies; older proxies, or a scrape config that drops them, have none",
            scope.families.join(", "),
            scope.time()
        )
    } else {
        let f = scope.families.first().copied().unwrap_or_default();
        format!(
            "Prometheus has neither classic ({f}_bucket) nor native ({f}) series of the {f} histogram at {}: \
             latencies cannot be computed; check the scrape config (metric_relabel_configs)",
            scope.time()
        )
    })
}

fn short_window(scope: &RouteScope, facts: &ChecksOk) -> Option<String> {
    let nanos = u64::try_from(parse_go_duration(&scope.window).ok()?).ok()?;
    let window = Duration::from_nanos(nanos);
    let interval = Duration::try_from_secs_f64(facts.scrape_interval_seconds?).ok()?;
    (window < interval * 2).then(|| {
        format!(
            "the {} window is shorter than two scrape intervals ({} each), so rates often have a single sample: \
             use -t {} or more",
            scope.window,
            go_duration_string(interval),
            go_duration_string(interval * 2)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::HistogramCheck;

    fn scope(command: &'static str, families: &'static [&'static str]) -> RouteScope {
        RouteScope {
            command,
            kind: ResourceKind::Deployment,
            name: String::new(),
            namespace: "ops".into(),
            selector: String::new(),
            window: "1m".into(),
            at: Some(1767226800.0),
            families,
        }
    }

    #[test]
    fn checks_asked() {
        let s = scope("stat-inbound", &["response_latency_ms"]);
        let empty = s.checks(true);
        assert!(empty.proxy_series && empty.scrape_interval);
        assert_eq!(empty.count.as_ref().map(|c| c.kind.as_str()), Some("deployment"));
        assert_eq!(empty.histograms, ["response_latency_ms"]);
        let latencies = s.checks(false);
        assert!(!latencies.proxy_series && latencies.count.is_none() && latencies.exist.is_empty());
    }

    #[test]
    fn neither_form_is_named() {
        let none = |f: &str| HistogramCheck { family: f.into(), form: "none".into() };
        let facts = ChecksOk { histograms: vec![none("response_latency_ms")], ..Default::default() };
        let hint = no_histograms(&scope("authz", &["response_latency_ms"]), &facts).expect("a hint");
        assert!(
            hint.starts_with(
                "Prometheus has neither classic (response_latency_ms_bucket) nor native (response_latency_ms)"
            ),
            "{hint}"
        );
        let facts = ChecksOk {
            histograms: vec![none("a"), HistogramCheck { family: "b".into(), form: "native".into() }],
            ..Default::default()
        };
        assert_eq!(no_histograms(&scope("stat-outbound", &["a", "b"]), &facts), None);
        assert_eq!(
            missing_object(&scope("x", &[]), &ChecksOk { count: Some(0), ..Default::default() }).as_deref(),
            Some("there are no deployments in namespace \"ops\"")
        );
    }
}

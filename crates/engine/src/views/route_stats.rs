//! What stat-inbound, stat-outbound and authz share: how Linkerd reads a count or a latency
//! sample, the deterministic order samples are folded in, and `-l` (the objects a label
//! selector keeps, listed through Kubernetes).

use std::collections::BTreeSet;

use lviz_api::{Rejection, ResourceKind, RouteStatsSpec};
use lviz_prom::Sample;

use crate::Engine;
use crate::promql::{Matcher, Selector, regex_escape};

pub use crate::views::stat::NEEDS_KUBE_SELECTOR;

/// Go's `uint64(sample.Value)` as stat-inbound and stat-outbound use it: truncated. Rust's cast
/// saturates where Go's is undefined (NaN, negative, huge): 0 or `u64::MAX`.
pub fn truncate(v: f64) -> u64 {
    v as u64
}

/// A latency sample: `None` for NaN (and the infinities, which JSON cannot carry), else the
/// value as Prometheus answered it.
pub fn latency(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Samples in label order. Linkerd folds samples into rows in the order Prometheus sends
/// them, and where two land on one key the last quantile wins; sorting first makes the winner
/// the same on every run and on both query plans.
pub fn in_label_order(samples: &[Sample]) -> Vec<&Sample> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by(|a, b| a.labels.cmp(&b.labels));
    sorted
}

/// The (namespace, name) of every object `-l` selects; `None` without a selector. A namespace
/// object's namespace is `""`, as its rows'.
pub type Selected = Option<BTreeSet<(String, String)>>;

impl Engine {
    /// The objects of the request's kind that match its label selector.
    pub async fn selected_objects(&self, spec: &RouteStatsSpec) -> Result<Selected, Rejection> {
        if spec.label_selector.is_empty() {
            return Ok(None);
        }
        let Some(kube) = self.cluster() else {
            return Err(Rejection::Invalid(NEEDS_KUBE_SELECTOR.to_string()));
        };
        let t = &spec.target;
        let objects = kube.objects(t.kind, &t.namespace, &t.name, &spec.label_selector).await?;
        Ok(Some(objects.into_iter().map(|o| (o.namespace, o.name)).collect()))
    }
}

/// Whether a row of (namespace, name) is kept by `-l`.
pub fn is_selected(selected: &Selected, namespace: &str, name: &str) -> bool {
    selected.as_ref().is_none_or(|set| set.contains(&(namespace.to_string(), name.to_string())))
}

/// Linkerd's `QueryLabels` for any kind, including the policy kinds' own labels
/// (`srv_kind`/`srv_name`, `authz_kind`/`authz_name`, `route_name`), over `names` of one
/// namespace: one name is Linkerd's `label="name"`, several a regex of them (`-l`).
pub fn query_labels(kind: ResourceKind, names: &[String], namespace: &str) -> Selector {
    let mut s = Selector::new();
    let name_matcher = |label: &str| match names {
        [] => None,
        [one] => Some(Matcher::eq(label, one)),
        many => {
            let escaped: Vec<String> = many.iter().map(|n| regex_escape(n)).collect();
            Some(Matcher::regex(label, &escaped.join("|")))
        }
    };
    let named = |kind_label: &str, kind_value: &str, name_label: &str| {
        let mut m = vec![Matcher::eq(kind_label, kind_value)];
        m.extend(name_matcher(name_label));
        m
    };
    let matchers = match kind {
        _ if names.is_empty() => Vec::new(),
        ResourceKind::Server => named("srv_kind", "server", "srv_name"),
        ResourceKind::ServerAuthorization => named("authz_kind", "serverauthorization", "authz_name"),
        ResourceKind::AuthorizationPolicy => named("authz_kind", "authorizationpolicy", "authz_name"),
        ResourceKind::HttpRoute => name_matcher("route_name").into_iter().collect(),
        ResourceKind::Service => Vec::new(),
        other => name_matcher(other.prom_label()).into_iter().collect(),
    };
    for m in matchers {
        s.push(m);
    }
    if kind != ResourceKind::Namespace && !namespace.is_empty() {
        s.push(Matcher::eq("namespace", namespace));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_of_every_kind() {
        let one = names(&["web"]);
        assert_eq!(
            query_labels(ResourceKind::Deployment, &one, "emojivoto").render(),
            r#"{deployment="web", namespace="emojivoto"}"#
        );
        assert_eq!(query_labels(ResourceKind::Deployment, &[], "emojivoto").render(), r#"{namespace="emojivoto"}"#);
        assert_eq!(query_labels(ResourceKind::Deployment, &[], "").render(), "{}");
        assert_eq!(query_labels(ResourceKind::Namespace, &one, "x").render(), r#"{namespace="web"}"#);
        assert_eq!(query_labels(ResourceKind::Job, &one, "x").render(), r#"{k8s_job="web", namespace="x"}"#);
        assert_eq!(
            query_labels(ResourceKind::Server, &one, "x").render(),
            r#"{namespace="x", srv_kind="server", srv_name="web"}"#
        );
        assert_eq!(
            query_labels(ResourceKind::AuthorizationPolicy, &one, "x").render(),
            r#"{authz_kind="authorizationpolicy", authz_name="web", namespace="x"}"#
        );
        assert_eq!(query_labels(ResourceKind::HttpRoute, &one, "x").render(), r#"{namespace="x", route_name="web"}"#);
        assert_eq!(
            query_labels(ResourceKind::Deployment, &names(&["a.b", "c|d", "e\"}"]), "x").render(),
            r#"{deployment=~"a\\.b|c\\|d|e\"\\}", namespace="x"}"#
        );
    }

    #[test]
    fn truncation_and_latency() {
        assert_eq!((truncate(47.999), truncate(f64::NAN), truncate(-1.0)), (47, 0, 0));
        assert_eq!((latency(1.5), latency(f64::NAN), latency(f64::INFINITY)), (Some(1.5), None, None));
        let selected: Selected = Some([("a".to_string(), "b".to_string())].into_iter().collect());
        assert!(is_selected(&selected, "a", "b") && !is_selected(&selected, "a", "c") && is_selected(&None, "x", "y"));
    }
}

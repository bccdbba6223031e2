//! PromQL text, built without I/O and tested as exact strings.
//!
//! Every value that comes from a user or the cluster passes through [`quote`] (and regex values
//! through [`regex_escape`] first), so nothing typed can change the shape of a query.

use lviz_api::Peer;
use lviz_api::ResourceKind;
use lviz_api::Target;

/// Go's `strconv.Quote`, which PromQL's string grammar accepts: `"`, `\` and control
/// characters are escaped, so a value always stays one string literal.
pub fn quote(value: &str) -> String {
    lviz_api::window::go_quote(value)
}

/// Escapes every RE2 metacharacter, `.` included: linkerd leaves `.` bare in its authority and
/// dst regexes, so `svc/w.b-svc` matched `web-svc` there (README, compatibility table).
pub fn regex_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One label matcher, e.g. `namespace="emojivoto"` or `pod!=""`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Matcher(String);

impl Matcher {
    pub fn eq(name: &str, value: &str) -> Self {
        Matcher(format!("{name}={}", quote(value)))
    }
    pub fn not_empty(name: &str) -> Self {
        Matcher(format!("{name}!=\"\""))
    }
    pub fn regex(name: &str, pattern: &str) -> Self {
        Matcher(format!("{name}=~{}", quote(pattern)))
    }
    pub fn not_regex(name: &str, pattern: &str) -> Self {
        Matcher(format!("{name}!~{}", quote(pattern)))
    }
}

/// The first half of the Linkerd proxy's 26 latency bucket bounds (1 ms … 300 ms); the other
/// half (400 ms … 50 s, `+Inf`) is everything else.
pub const LOWER_LE: &str = "1|2|3|4|5|10|20|30|40|50|100|200|300";

/// The lviz plan's bucket rates of one histogram, `sum(irate(<metric><labels>[<window>])) by
/// (le, <group>)`, as two queries over disjoint `le` sets: `le=~"1|…|300"` and its negation.
/// Each output series is one `le` of one group, so it lands in exactly one part and has the same
/// value as in the unsplit query, whatever bounds a histogram really has (unknown ones fall in
/// the second part); split evenly for Linkerd's bounds, the parts run on two Prometheus cores at
/// once. Prometheus evaluates one query on one core; Linkerd's three `histogram_quantile`
/// queries use three, but each recomputes every bucket rate.
pub fn bucket_rate_parts(metric: &str, labels: &Selector, window: &str, group: &str) -> Vec<String> {
    [Matcher::regex("le", LOWER_LE), Matcher::not_regex("le", LOWER_LE)]
        .into_iter()
        .map(|le| format!("sum(irate({metric}{}[{window}])) by (le, {group})", labels.clone().with(le).render()))
        .collect()
}

/// A set of matchers, printed `{a="1", b="2"}` sorted as whole strings. For plain equality
/// matchers this is the order of prometheus/common's `LabelSet.String()` (sorted by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(Vec<Matcher>);

impl Selector {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(mut self, m: Matcher) -> Self {
        self.push(m);
        self
    }
    pub fn push(&mut self, m: Matcher) {
        if !self.0.contains(&m) {
            self.0.push(m);
        }
    }
    pub fn extend(&mut self, other: &Selector) {
        for m in &other.0 {
            self.push(m.clone());
        }
    }
    pub fn render(&self) -> String {
        let mut parts: Vec<&str> = self.0.iter().map(|m| m.0.as_str()).collect();
        parts.sort_unstable();
        format!("{{{}}}", parts.join(", "))
    }
}

/// linkerd's `QueryLabels`: the resource's own label (not for services) and its namespace.
pub fn query_labels(kind: Option<ResourceKind>, name: &str, namespace: &str) -> Selector {
    let mut s = Selector::new();
    if let Some(kind) = kind
        && !name.is_empty()
        && kind != ResourceKind::Service
    {
        s.push(Matcher::eq(kind.prom_label(), name));
    }
    if kind != Some(ResourceKind::Namespace) && !namespace.is_empty() {
        s.push(Matcher::eq("namespace", namespace));
    }
    s
}

/// linkerd's `DstQueryLabels`: nothing at all unless a name is given.
pub fn dst_query_labels(kind: Option<ResourceKind>, name: &str, namespace: &str) -> Selector {
    let mut s = Selector::new();
    if name.is_empty() {
        return s;
    }
    if let Some(kind) = kind {
        s.push(Matcher::eq(&format!("dst_{}", kind.prom_label()), name));
    }
    if kind != Some(ResourceKind::Namespace) && !namespace.is_empty() {
        s.push(Matcher::eq("dst_namespace", namespace));
    }
    s
}

pub fn target_labels(t: &Target) -> Selector {
    query_labels(Some(t.kind), &t.name, &t.namespace)
}
pub fn peer_labels(p: &Peer) -> Selector {
    query_labels(p.kind, &p.name, &p.namespace)
}
pub fn dst_target_labels(t: &Target) -> Selector {
    dst_query_labels(Some(t.kind), &t.name, &t.namespace)
}
pub fn dst_peer_labels(p: &Peer) -> Selector {
    dst_query_labels(p.kind, &p.name, &p.namespace)
}

/// linkerd's `GroupByLabelNames`.
pub fn group_by(kind: ResourceKind) -> Vec<String> {
    if kind == ResourceKind::Namespace {
        vec!["namespace".into()]
    } else {
        vec!["namespace".into(), kind.prom_label().into()]
    }
}

/// linkerd's `DstGroupByLabelNames`.
pub fn dst_group_by(kind: ResourceKind) -> Vec<String> {
    group_by(kind).into_iter().map(|l| format!("dst_{l}")).collect()
}

/// The five stat query texts of one resource kind (`stat_summary.go:51-55`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatQueries {
    pub requests: String,
    /// p50, p95, p99.
    pub latency: [String; 3],
    pub tcp_connections: String,
    pub tcp_read_bytes: String,
    pub tcp_write_bytes: String,
    /// The bucket rates the quantiles are computed from (for the lviz query plan), in parts
    /// ([`bucket_rate_parts`]).
    pub latency_buckets: Vec<String>,
}

pub const QUANTILES: [(&str, f64); 3] = [("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99)];

impl StatQueries {
    /// `conn_labels` is `labels` except for services, whose connection query also carries the
    /// peer matcher (`stat_summary.go` applies `peer="dst"` to every service TCP query).
    pub fn build(
        labels: &Selector,
        conn_labels: &Selector,
        bytes_labels: &Selector,
        group: &[String],
        window: &str,
    ) -> Self {
        let l = labels.render();
        let g = group.join(", ");
        let buckets = format!("sum(irate(response_latency_ms_bucket{l}[{window}])) by (le, {g})");
        StatQueries {
            requests: format!("sum(increase(response_total{l}[{window}])) by ({g}, classification, tls)"),
            latency: QUANTILES.map(|(q, _)| format!("histogram_quantile({q}, {buckets})")),
            tcp_connections: format!("sum(tcp_open_connections{}) by ({g})", conn_labels.render()),
            tcp_read_bytes: format!("sum(increase(tcp_read_bytes_total{}[{window}])) by ({g})", bytes_labels.render()),
            tcp_write_bytes: format!(
                "sum(increase(tcp_write_bytes_total{}[{window}])) by ({g})",
                bytes_labels.render()
            ),
            latency_buckets: bucket_rate_parts("response_latency_ms_bucket", labels, window, &g),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_one_literal() {
        assert_eq!(quote(r#"a"} or vector(1) #"#), r#""a\"} or vector(1) #""#);
        assert_eq!(quote("a\\b\n"), r#""a\\b\n""#);
        assert_eq!(regex_escape("web.svc(x)|y"), r"web\.svc\(x\)\|y");
    }

    #[test]
    fn selector_sorts_like_linkerd() {
        let s = Selector::new()
            .with(Matcher::eq("pod", "emojivoto-1"))
            .with(Matcher::eq("namespace", "emojivoto"))
            .with(Matcher::eq("direction", "inbound"));
        assert_eq!(s.render(), r#"{direction="inbound", namespace="emojivoto", pod="emojivoto-1"}"#);
        assert_eq!(Selector::new().render(), "{}");
    }

    #[test]
    fn bucket_rates_come_in_two_disjoint_parts() {
        let labels = Selector::new().with(Matcher::eq("direction", "inbound")).with(Matcher::eq("namespace", "a\"b"));
        let parts = bucket_rate_parts("response_latency_ms_bucket", &labels, "1m", "namespace, pod");
        assert_eq!(
            parts,
            [
                r#"sum(irate(response_latency_ms_bucket{direction="inbound", le=~"1|2|3|4|5|10|20|30|40|50|100|200|300", namespace="a\"b"}[1m])) by (le, namespace, pod)"#,
                r#"sum(irate(response_latency_ms_bucket{direction="inbound", le!~"1|2|3|4|5|10|20|30|40|50|100|200|300", namespace="a\"b"}[1m])) by (le, namespace, pod)"#,
            ]
        );
        // Linkerd's 26 bounds split 13/13.
        let bounds =
            "1 2 3 4 5 10 20 30 40 50 100 200 300 400 500 1000 2000 3000 4000 5000 10000 20000 30000 40000 50000 +Inf";
        let lower: Vec<&str> = LOWER_LE.split('|').collect();
        let (first, second): (Vec<&str>, Vec<&str>) = bounds.split(' ').partition(|b| lower.contains(b));
        assert_eq!((first.len(), second.len()), (13, 13));
    }
}

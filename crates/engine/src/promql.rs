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
pub const LATENCY_MS_LOWER: &[&str] = &["1", "2", "3", "4", "5", "10", "20", "30", "40", "50", "100", "200", "300"];

/// The bounds of [`LATENCY_MS_LOWER`] as an `le` regex that matches both spellings of a bound:
/// Prometheus 2.x keeps the proxy's `"1"`, Prometheus 3.x stores a typed histogram's bounds in
/// float form (`"1.0"`). Without the second spelling every bucket of a 3.x Prometheus would
/// fall in the second part: the numbers stay right, the parallelism is lost.
pub const LOWER_LE: &str = r"(1|2|3|4|5|10|20|30|40|50|100|200|300)(\.0)?";

/// An `le` regex matching exactly these bounds, in either spelling (`1` and `1.0`).
pub fn le_pattern(bounds: &[&str]) -> String {
    let escaped: Vec<String> = bounds.iter().map(|b| b.replace('.', r"\.")).collect();
    format!(r"({})(\.0)?", escaped.join("|"))
}

/// The lviz plan's bucket rates of one histogram, `sum(irate(<metric><labels>[<window>])) by
/// (le, <group>)`, as two queries over disjoint `le` sets: `le=~"(1|…|300)(\.0)?"` and its
/// negation. Each output series is one `le` of one group, so it lands in exactly one part and
/// has the same value as in the unsplit query, whatever bounds a histogram really has (unknown
/// ones fall in the second part); split evenly for Linkerd's bounds, the parts run on two
/// Prometheus cores at once. Prometheus evaluates one query on one core; Linkerd's three
/// `histogram_quantile` queries use three, but each recomputes every bucket rate.
pub fn bucket_rate_parts(metric: &str, labels: &Selector, window: &str, group: &str) -> Vec<String> {
    split_bucket_rates(metric, labels, window, group, LATENCY_MS_LOWER)
}

/// [`bucket_rate_parts`] for a histogram whose lower half of bounds is `lower`.
pub fn split_bucket_rates(metric: &str, labels: &Selector, window: &str, group: &str, lower: &[&str]) -> Vec<String> {
    split_union_bucket_rates(metric, std::slice::from_ref(labels), window, group, lower)
}

/// [`split_bucket_rates`] over the union of several selectors ([`union_of`]).
pub fn split_union_bucket_rates(
    metric: &str,
    selectors: &[Selector],
    window: &str,
    group: &str,
    lower: &[&str],
) -> Vec<String> {
    let pattern = le_pattern(lower);
    [Matcher::regex("le", &pattern), Matcher::not_regex("le", &pattern)]
        .into_iter()
        .map(|le| {
            let with_le: Vec<Selector> = selectors.iter().map(|s| s.clone().with(le.clone())).collect();
            format!("sum({}) by (le, {group})", union_of("irate", metric, &with_le, window))
        })
        .collect()
}

/// `f(m{S1}[w]) or f(m{S2}[w]) …`: one range function over the union of several selectors'
/// series (disjoint ones, e.g. per namespace). With one selector it is Linkerd's
/// `f(m{S}[w])`.
pub fn union_of(func: &str, metric: &str, selectors: &[Selector], window: &str) -> String {
    let parts: Vec<String> = selectors.iter().map(|s| format!("{func}({metric}{}[{window}])", s.render())).collect();
    parts.join(" or ")
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

/// The request and TCP query texts of one resource kind (`stat_summary.go:51-55`); the
/// latency ones are a [`crate::histograms::Latency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatQueries {
    pub requests: String,
    pub tcp_connections: String,
    pub tcp_read_bytes: String,
    pub tcp_write_bytes: String,
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
        StatQueries {
            requests: format!("sum(increase(response_total{l}[{window}])) by ({g}, classification, tls)"),
            tcp_connections: format!("sum(tcp_open_connections{}) by ({g})", conn_labels.render()),
            tcp_read_bytes: format!("sum(increase(tcp_read_bytes_total{}[{window}])) by ({g})", bytes_labels.render()),
            tcp_write_bytes: format!(
                "sum(increase(tcp_write_bytes_total{}[{window}])) by ({g})",
                bytes_labels.render()
            ),
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
        // The regex takes both spellings of a bound (2.x `le="1"`, 3.x `le="1.0"`);
        // tests/bucket_split.rs proves the parts split 13/13 on both Prometheus versions.
        assert_eq!(
            parts,
            [
                r#"sum(irate(response_latency_ms_bucket{direction="inbound", le=~"(1|2|3|4|5|10|20|30|40|50|100|200|300)(\\.0)?", namespace="a\"b"}[1m])) by (le, namespace, pod)"#,
                r#"sum(irate(response_latency_ms_bucket{direction="inbound", le!~"(1|2|3|4|5|10|20|30|40|50|100|200|300)(\\.0)?", namespace="a\"b"}[1m])) by (le, namespace, pod)"#,
            ]
        );
        assert_eq!(LOWER_LE, le_pattern(LATENCY_MS_LOWER));
        assert_eq!(le_pattern(&["0.05", "0.5"]), r"(0\.05|0\.5)(\.0)?");
        // Linkerd's 26 bounds split 13/13.
        let bounds =
            "1 2 3 4 5 10 20 30 40 50 100 200 300 400 500 1000 2000 3000 4000 5000 10000 20000 30000 40000 50000 +Inf";
        let (first, second): (Vec<&str>, Vec<&str>) = bounds.split(' ').partition(|b| LATENCY_MS_LOWER.contains(b));
        assert_eq!((first.len(), second.len()), (13, 13));
    }
}

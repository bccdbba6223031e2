//! Answers Linkerd's query shapes from the mesh model alone, without Prometheus: what a test
//! compares a real Prometheus's answer with, so every expected number is derived from the data
//! the test wrote instead of copied from an earlier answer.
//!
//! Understood (exactly the shapes viz's stat, stat-inbound, stat-outbound and authz send, plus
//! the native-histogram form):
//! - `sum(increase|rate|irate(F{…}[W])) by (G…)` and `sum by (G…) (increase|rate|irate(F{…}[W]))`
//! - `histogram_quantile(Q, <one of the above over F_bucket, grouped by le, G…>)`, and over a
//!   native histogram `F` grouped without `le`.
//!
//! Matchers are `=` and `!=`. Values are those at the end of the data ([`super::EVAL_TIME`]) for
//! a window the data covers: counters grow linearly, so `increase` is `per10s × W / 10` and
//! `rate`/`irate` are `per10s / 10`, on Prometheus 2.x and 3.x alike.

use std::collections::BTreeMap;

use super::Mesh;
use super::series::{Labels, SeriesSet};

/// One element of a model answer: the group's labels (empty ones omitted, as Prometheus does)
/// and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Increase,
    Rate,
}

struct Aggregation {
    metric: String,
    matchers: Vec<(String, bool, String)>,
    function: Function,
    window_s: i64,
    group_by: Vec<String>,
}

/// Splits `name(args)` into (`name`, `args`) when `s` is exactly one call.
fn call<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    s.trim().strip_prefix(name)?.trim_start().strip_prefix('(')?.strip_suffix(')')
}

/// Parses `(a, b, c)` at the start of `s`, returning the names and the rest.
fn label_list(s: &str) -> Result<(Vec<String>, &str), String> {
    let s = s.trim_start().strip_prefix('(').ok_or_else(|| format!("expected a label list at {s:?}"))?;
    let end = s.find(')').ok_or("unclosed label list")?;
    let names = s[..end].split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    Ok((names, &s[end + 1..]))
}

fn window_seconds(w: &str) -> Result<i64, String> {
    let (n, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len()));
    let n: i64 = n.parse().map_err(|_| format!("bad window {w:?}"))?;
    match unit {
        "s" => Ok(n),
        "m" => Ok(n * 60),
        "h" => Ok(n * 3600),
        _ => Err(format!("bad window {w:?}")),
    }
}

/// `a="x", b!="y"` (values with `\"` and `\\` escapes).
fn matchers(s: &str) -> Result<Vec<(String, bool, String)>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let op = rest.find(['=', '!']).ok_or_else(|| format!("bad matcher {rest:?}"))?;
        let name = rest[..op].trim().to_string();
        let (equal, after) = match rest[op..].strip_prefix("!=") {
            Some(after) => (false, after),
            None => (true, rest[op..].strip_prefix('=').ok_or("bad operator")?),
        };
        let after = after.trim_start().strip_prefix('"').ok_or_else(|| format!("unquoted value at {after:?}"))?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => value.extend(chars.next().map(|(_, c)| c)),
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => return Err("unclosed value".into()),
            }
        };
        out.push((name, equal, value));
        rest = after[end + 1..].trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

/// `sum(f(F{…}[W])) by (G)` or `sum by (G) (f(F{…}[W]))`.
fn aggregation(s: &str) -> Result<Aggregation, String> {
    let s = s.trim().strip_prefix("sum").ok_or_else(|| format!("expected sum at {s:?}"))?.trim_start();
    let (group_by, inner) = if let Some(rest) = s.strip_prefix("by") {
        let (names, rest) = label_list(rest)?;
        (names, rest.trim().strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or("bad sum body")?.to_string())
    } else {
        let close = s.rfind(") by").ok_or("expected `) by (…)`")?;
        let (names, rest) = label_list(&s[close + 4..])?;
        if !rest.trim().is_empty() {
            return Err(format!("trailing {rest:?}"));
        }
        (names, s[1..close].to_string())
    };
    let (function, arg) = if let Some(a) = call(&inner, "increase") {
        (Function::Increase, a)
    } else if let Some(a) = call(&inner, "irate").or_else(|| call(&inner, "rate")) {
        (Function::Rate, a)
    } else {
        return Err(format!("unsupported function in {inner:?}"));
    };
    let open = arg.rfind('[').ok_or("expected a range")?;
    let window_s = window_seconds(arg[open + 1..].trim_end_matches(']'))?;
    let selector = arg[..open].trim();
    let (metric, matchers) = match selector.find('{') {
        Some(i) => (selector[..i].to_string(), matchers(selector[i + 1..].trim_end_matches('}'))?),
        None => (selector.to_string(), Vec::new()),
    };
    Ok(Aggregation { metric, matchers, function, window_s, group_by })
}

fn matches(labels: &Labels, matchers: &[(String, bool, String)]) -> bool {
    matchers.iter().all(|(name, equal, value)| {
        let actual = labels.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
        (actual == value) == *equal
    })
}

fn group_key(labels: &Labels, group_by: &[String]) -> BTreeMap<String, String> {
    group_by
        .iter()
        .filter(|g| g.as_str() != "le")
        .filter_map(|g| labels.iter().find(|(k, _)| k == g).map(|(k, v)| (k.clone(), v.clone())))
        .collect()
}

/// Prometheus's `histogram_quantile` over cumulative `(upper bound, count)` pairs, `+Inf` last.
pub fn bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> f64 {
    let total = buckets.last().map_or(0.0, |b| b.1);
    if buckets.len() < 2 || total == 0.0 {
        return f64::NAN;
    }
    let rank = q * total;
    let b = buckets[..buckets.len() - 1].iter().position(|(_, c)| *c >= rank).unwrap_or(buckets.len() - 1);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    let (start, below) = if b == 0 { (0.0, 0.0) } else { buckets[b - 1] };
    start + (buckets[b].0 - start) * ((rank - below) / (buckets[b].1 - below))
}

impl Mesh {
    /// The answer the model gives to `query` (see the module doc for the shapes understood).
    pub fn model_query(&self, query: &str) -> Result<Vec<ModelSample>, String> {
        let set = self.series(&self.whole());
        if let Some(args) = call(query, "histogram_quantile") {
            let comma = args.find(',').ok_or("histogram_quantile needs two arguments")?;
            let q: f64 = args[..comma].trim().parse().map_err(|_| "bad quantile")?;
            return quantiles(&set, q, &aggregation(&args[comma + 1..])?);
        }
        let agg = aggregation(query)?;
        let scale = match agg.function {
            Function::Increase => agg.window_s as f64 / 10.0,
            Function::Rate => 0.1,
        };
        let series = set.counters.get(agg.metric.as_str()).ok_or_else(|| format!("no counter {}", agg.metric))?;
        let mut groups: BTreeMap<BTreeMap<String, String>, u64> = BTreeMap::new();
        for (labels, per10s) in series.iter().filter(|(l, _)| matches(l, &agg.matchers)) {
            *groups.entry(group_key(labels, &agg.group_by)).or_default() += per10s;
        }
        Ok(groups.into_iter().map(|(labels, n)| ModelSample { labels, value: n as f64 * scale }).collect())
    }
}

fn quantiles(set: &SeriesSet, q: f64, agg: &Aggregation) -> Result<Vec<ModelSample>, String> {
    let family = agg.metric.strip_suffix("_bucket").unwrap_or(&agg.metric);
    let hist = set.histograms.get(family).ok_or_else(|| format!("no histogram {family}"))?;
    let bounds = hist.layout.bounds();
    let mut groups: BTreeMap<BTreeMap<String, String>, Vec<u64>> = BTreeMap::new();
    for (labels, buckets) in hist.series.iter().filter(|(l, _)| matches(l, &agg.matchers)) {
        let sum = groups.entry(group_key(labels, &agg.group_by)).or_insert_with(|| vec![0; buckets.len()]);
        sum.iter_mut().zip(buckets).for_each(|(s, b)| *s += b);
    }
    Ok(groups
        .into_iter()
        .map(|(labels, counts)| {
            let mut cumulative = 0;
            let buckets: Vec<(f64, f64)> = counts
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    cumulative += n;
                    (bounds.get(i).copied().unwrap_or(f64::INFINITY), cumulative as f64)
                })
                .collect();
            ModelSample { labels, value: bucket_quantile(q, &buckets) }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linkerd_shapes() {
        let a = aggregation(
            r#"sum(increase(response_total{deployment="web", direction="inbound"}[1m])) by (srv_name, classification)"#,
        )
        .expect("parse");
        assert_eq!(a.metric, "response_total");
        assert_eq!(a.window_s, 60);
        assert_eq!(a.group_by, ["srv_name", "classification"]);
        assert_eq!(a.matchers[1], ("direction".to_string(), true, "inbound".to_string()));
        let b = aggregation(r#"sum by (deployment) (rate(response_latency_ms{a!="x\"y"}[30s]))"#).expect("parse");
        assert_eq!(
            (b.function, b.window_s, b.group_by.as_slice()),
            (Function::Rate, 30, &["deployment".to_string()][..])
        );
        assert_eq!(b.matchers, [("a".to_string(), false, "x\"y".to_string())]);
        assert!(aggregation("max(up)").is_err());
    }

    #[test]
    fn quantile_follows_prometheus() {
        let b = [(10.0, 3.0), (20.0, 7.0), (30.0, 9.0), (100.0, 10.0), (f64::INFINITY, 10.0)];
        assert_eq!(bucket_quantile(0.5, &b), 15.0);
        assert!((bucket_quantile(0.95, &b) - 65.0).abs() < 1e-9);
        assert_eq!(bucket_quantile(0.5, &[(1.0, 0.0), (f64::INFINITY, 4.0)]), 1.0, "+Inf: the largest finite bound");
        assert!(bucket_quantile(0.5, &[(1.0, 0.0), (f64::INFINITY, 0.0)]).is_nan());
    }

    #[test]
    fn emojivoto_inbound_totals() {
        let mesh = Mesh::emojivoto();
        let q = r#"sum(increase(response_total{deployment="web", direction="inbound", namespace="emojivoto"}[1m])) by (classification)"#;
        let r = mesh.model_query(q).expect("query");
        let by: BTreeMap<&str, f64> = r.iter().map(|s| (s.labels["classification"].as_str(), s.value)).collect();
        assert_eq!(by, BTreeMap::from([("failure", 12.0), ("success", 168.0)]));
        let q = r#"histogram_quantile(0.5, sum(irate(response_latency_ms_bucket{deployment="voting", direction="inbound"}[1m])) by (le, deployment))"#;
        assert_eq!(mesh.model_query(q).expect("query")[0].value, 15.0);
    }
}

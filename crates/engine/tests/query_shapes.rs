//! Property (issue 17, item 7): whatever names, namespaces and cluster names reach the query
//! builders of stat, routes, checks, stat-inbound, stat-outbound and authz (validation refuses
//! most of them first; the builders must be safe regardless), every query parses with a real
//! PromQL parser (`promql-parser`) into the same syntax tree as with a plain placeholder, and
//! each value comes back unchanged: an equality matcher holds it as it is, a regex matcher
//! matches exactly the text it stands for.

use lviz_api::{Direction, Peer, ResourceKind, StatSummaryRequest, Target, stat_request};
use lviz_engine::histograms::{Forms, HistogramForm, LatencyPlan};
use lviz_engine::views::{authz, checks, route_stats, routes, stat, stat_inbound, stat_outbound};
use lviz_engine::{EngineSettings, QueryPlan};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use proptest::prelude::*;

/// (name, op, value) of every matcher, in tree order; the tree keeps empty values and `=`/`!=`.
type Matchers = Vec<(String, &'static str, String)>;

fn blank(vs: &mut VectorSelector, out: &mut Matchers) {
    for m in &mut vs.matchers.matchers {
        let op = match m.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Re(_) => "=~",
            MatchOp::NotRe(_) => "!~",
        };
        out.push((m.name.clone(), op, std::mem::take(&mut m.value)));
        m.name = format!("{}{op}", m.name);
        m.op = MatchOp::Equal;
    }
    vs.matchers.matchers.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Takes every matcher value out of the tree (into `out`).
fn strip(expr: &mut Expr, out: &mut Matchers) {
    match expr {
        Expr::Aggregate(a) => {
            strip(&mut a.expr, out);
            if let Some(p) = &mut a.param {
                strip(p, out);
            }
        }
        Expr::Unary(u) => strip(&mut u.expr, out),
        Expr::Binary(b) => {
            strip(&mut b.lhs, out);
            strip(&mut b.rhs, out);
        }
        Expr::Paren(p) => strip(&mut p.expr, out),
        Expr::Subquery(s) => strip(&mut s.expr, out),
        Expr::VectorSelector(vs) => blank(vs, out),
        Expr::MatrixSelector(ms) => blank(&mut ms.vs, out),
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| strip(a, out)),
        _ => {}
    }
}

/// The query's tree without its values, and the values.
fn shape(query: &str) -> (String, Matchers) {
    let mut expr = parser::parse(query).unwrap_or_else(|e| panic!("does not parse ({e}): {query}"));
    let mut values = Vec::new();
    strip(&mut expr, &mut values);
    (format!("{expr:?}"), values)
}

/// Every query the builders make for a target named `name` in `ns`, with a peer `peer` in `peer_ns`.
fn queries(name: &str, ns: &str, peer: &str, peer_ns: &str) -> Vec<String> {
    let settings = EngineSettings::default();
    let mut out = Vec::new();
    for (kind, to) in [(ResourceKind::Deployment, true), (ResourceKind::Pod, false), (ResourceKind::Service, false)] {
        let request = StatSummaryRequest {
            resource_type: kind.canonical().into(),
            resource_name: "placeholder".into(),
            namespace: "placeholder".into(),
            ..Default::default()
        };
        let mut spec = stat_request(&request).expect("a valid request");
        spec.target = Target { kind, name: name.into(), namespace: ns.into() };
        let p = Peer { kind: Some(ResourceKind::Deployment), name: peer.into(), namespace: peer_ns.into() };
        spec.direction = if to { Direction::To(p) } else { Direction::From(p) };
        let plans = [stat::plan_kind(&spec, kind, &settings)];
        for plan in [QueryPlan::Linkerd, QueryPlan::Lviz] {
            out.extend(stat::query_texts(&plans, true, plan));
        }
    }
    let routes_request = lviz_api::TopRoutesRequest {
        resource_type: "deployment".into(),
        resource_name: "placeholder".into(),
        namespace: "placeholder".into(),
        ..Default::default()
    };
    let spec = lviz_api::routes_request(&routes_request).expect("a valid request");
    let target = Target { kind: ResourceKind::Deployment, name: name.into(), namespace: ns.into() };
    let fqdns = [format!("{peer}.{peer_ns}.svc.cluster.local")];
    let r = routes::plan_table(&spec, &target, &fqdns);
    out.push(r.requests);
    out.extend(r.latency);
    out.extend(r.latency_buckets);
    let resource = lviz_api::Resource { namespace: ns.into(), kind: "deployment".into(), name: name.into() };
    out.push(checks::sends_query(ResourceKind::Deployment, &resource));
    out.extend(route_stats_queries(name, ns));
    out
}

/// The queries of stat-inbound, stat-outbound and authz (both plans, both histogram forms) for
/// a deployment `name` in `ns`.
fn route_stats_queries(name: &str, ns: &str) -> Vec<String> {
    let request = lviz_api::RouteStatsRequest {
        resource_type: "deployment".into(),
        resource_name: "placeholder".into(),
        namespace: "placeholder".into(),
        ..Default::default()
    };
    let mut spec = lviz_api::stat_inbound_request(&request).expect("a valid request");
    spec.target = Target { kind: ResourceKind::Deployment, name: name.into(), namespace: ns.into() };
    let selectors = [route_stats::query_labels(ResourceKind::Deployment, &[name.to_string()], ns)];
    let mut out = Vec::new();
    for plan in [QueryPlan::Lviz, QueryPlan::Linkerd] {
        // Each plan's texts come as a set ordered by text, which the values change: order them
        // by their shape instead, so the same query of two builds pairs up.
        let mut texts: Vec<String> = Vec::new();
        for form in [HistogramForm::Classic, HistogramForm::Native] {
            texts.extend(stat_inbound::plan(&spec, form).texts(plan));
        }
        texts.extend(stat_outbound::plan(&spec, &Forms::default()).texts(plan));
        texts.extend(authz::plan(&selectors, "1m", &Forms::default()).texts(plan));
        texts.sort_by_cached_key(|q| shape(q).0);
        out.extend(texts);
    }
    assert!(out.len() >= 20, "every view's queries: {out:?}");
    out
}

/// Checks one set of values against the placeholder's.
fn same_shape_and_values(name: &str, ns: &str, peer: &str, peer_ns: &str) {
    let reference = queries("pa", "pb", "pc", "pd");
    let built = queries(name, ns, peer, peer_ns);
    assert_eq!(reference.len(), built.len());
    let inputs = [name, ns, peer, peer_ns];
    for (r, q) in reference.iter().zip(&built) {
        let (r_shape, r_values) = shape(r);
        let (q_shape, q_values) = shape(q);
        assert_eq!(r_shape, q_shape, "the tree changed:\n{r}\n{q}");
        for ((_, _, placeholder), (label, op, value)) in r_values.iter().zip(&q_values) {
            match *op {
                // A value the builders put as it is: back unchanged.
                "=" | "!=" => {
                    if let Some(i) = ["pa", "pb", "pc", "pd"].iter().position(|p| p == placeholder) {
                        assert_eq!(value, inputs[i], "{label} in {q}");
                    }
                }
                // A regex standing for a literal text: it matches that text, whole.
                _ => {
                    let literal = match label.as_str() {
                        "authority" => format!("{name}.{ns}.svc.cluster.local"),
                        "dst" => format!("{peer}.{peer_ns}.svc.cluster.local"),
                        _ => continue,
                    };
                    let anchored = regex::Regex::new(&format!("^(?:{value})$")).expect("a valid regex");
                    assert!(anchored.is_match(&literal), "{label}=~{value:?} does not match {literal:?}");
                    let altered = format!("{literal}x").replacen('.', "X", 1);
                    assert!(
                        !anchored.is_match(&altered) || literal.find('.').is_none(),
                        "{value:?} matches {altered:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn hostile_examples_keep_the_shape() {
    for (name, ns) in [
        (r#"x"} or vector(1) or {a=""#, "emojivoto"),
        ("a|b.*", "ns)"),
        ("\\", "\u{1b}[2J\u{202e}"),
        ("w.b-svc", "emojiv.to"),
        ("(?i)web", "^$"),
    ] {
        same_shape_and_values(name, ns, name, ns);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_value_keeps_the_shape(
        name in "\\PC{1,16}|[a-z0-9.|*+?(){}\\[\\]^$\\\\\"]{1,12}",
        ns in "\\PC{1,12}",
        peer in "[ -~]{1,12}",
        peer_ns in "\\PC{1,12}",
    ) {
        same_shape_and_values(&name, &ns, &peer, &peer_ns);
    }
}

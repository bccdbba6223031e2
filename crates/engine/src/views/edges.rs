//! Edges (viz-semantics §5.1): the one `tcp_open_connections` query, and the edges built from
//! its samples plus the source pods' identities. Query text and edges are pure functions; only
//! `Engine::edges` talks to Prometheus and Kubernetes.

use std::collections::{BTreeSet, HashMap, HashSet};

use futures::future::try_join_all;

use crate::Engine;
use crate::promql::{Matcher, Selector};
use lviz_api::{Answer, AnswerFuture, Edge, Edges, EdgesOk, EdgesSpec, Rejection, Resource, ResourceKind, Validated};
use lviz_k8s::Object;
use lviz_prom::Sample;

/// Pure: the edges query of one kind (`edges.go:17,42-46`). For pods the `by` clause names `pod`
/// twice, exactly as upstream; Prometheus accepts the duplicate.
pub fn plan(kind: ResourceKind) -> String {
    let t = kind.prom_label();
    let labels = Selector::new()
        .with(Matcher::not_empty(t))
        .with(Matcher::eq("direction", "outbound"))
        .with(Matcher::not_empty(&format!("dst_{t}")));
    format!(
        "sum(tcp_open_connections{}) by ({t}, dst_{t}, pod, server_id, namespace, dst_namespace, no_tls_reason)",
        labels.render()
    )
}

/// linkerd's `formatMsg`: why a connection is not mTLS'd. Anything else, or no reason, is "".
pub fn no_identity_msg(reason: &str) -> &'static str {
    match reason {
        "disabled" => "Disabled",
        "loopback" => "Loopback",
        "no_authority_in_http_request" => "No Authority In HTTP Request",
        "not_http" => "Not HTTP",
        "not_provided_by_remote" => "Not Provided By Remote",
        "not_provided_by_service_discovery" => "Not Provided By Service Discovery",
        _ => "",
    }
}

/// An edge's identity: (src, srcNs, dst, dstNs).
type EdgeKey<'a> = (&'a str, &'a str, &'a str, &'a str);

fn key_of<'a>(s: &'a Sample, t: &str, dst_t: &str) -> EdgeKey<'a> {
    (s.label(t), s.label("namespace"), s.label(dst_t), s.label("dst_namespace"))
}

/// Samples that can become edges: non-zero, and touching `namespace` unless it is "" (all).
fn kept<'a>(namespace: &'a str, samples: &'a [Sample]) -> impl Iterator<Item = &'a Sample> {
    samples.iter().filter(move |s| {
        s.value != 0.0
            && (namespace.is_empty() || s.label("namespace") == namespace || s.label("dst_namespace") == namespace)
    })
}

/// Pure: the namespaces whose pods must be listed to resolve the sources' identities.
pub fn source_namespaces(namespace: &str, samples: &[Sample]) -> BTreeSet<String> {
    kept(namespace, samples).map(|s| s.label("namespace").to_string()).collect()
}

/// Pure: the edges of a request (`edges.go:48-138`).
///
/// `pods` must cover the source namespaces. A sample whose source pod is missing or not Running
/// is dropped; the first sample per key that resolves wins. Samples are visited in label order,
/// so "first" does not depend on the order Prometheus happened to return them in.
///
/// `pods` is None in Prometheus-only mode: every kept sample becomes an edge (the Running check
/// cannot be made) and the client identity is unknown.
pub fn assemble(kind: ResourceKind, namespace: &str, samples: &[Sample], pods: Option<&[Object]>) -> Vec<Edge> {
    let t = kind.prom_label();
    let dst_t = format!("dst_{t}");
    let by_name: HashMap<(&str, &str), &Object> =
        pods.unwrap_or_default().iter().map(|p| ((p.namespace.as_str(), p.name.as_str()), p)).collect();
    let mut ordered: Vec<&Sample> = kept(namespace, samples).collect();
    ordered.sort_by(|a, b| a.labels.cmp(&b.labels));

    let mut seen: HashSet<EdgeKey> = HashSet::new();
    let mut edges = Vec::new();
    for s in ordered {
        let key = key_of(s, t, &dst_t);
        if seen.contains(&key) {
            continue;
        }
        let client_id = if pods.is_some() {
            let running = by_name
                .get(&(key.1, s.label("pod")))
                .and_then(|p| p.pod.as_ref())
                .filter(|info| info.phase == "Running");
            let Some(src_pod) = running else { continue };
            Some(src_pod.identity.clone())
        } else {
            None
        };
        seen.insert(key);
        let (src, src_ns, dst, dst_ns) = key;
        let kind_name = kind.canonical().to_string();
        edges.push(Edge {
            src: Resource { namespace: src_ns.to_string(), kind: kind_name.clone(), name: src.to_string() },
            dst: Resource { namespace: dst_ns.to_string(), kind: kind_name, name: dst.to_string() },
            client_id_unknown: client_id.is_none(),
            client_id: client_id.unwrap_or_default(),
            server_id: s.label("server_id").to_string(),
            no_identity_msg: no_identity_msg(s.label("no_tls_reason")).to_string(),
        });
    }
    // linkerd sorts on the plain concatenation srcNs+dstNs+src+dst (no separator).
    edges.sort_by_cached_key(|e| format!("{}{}{}{}", e.src.namespace, e.dst.namespace, e.src.name, e.dst.name));
    edges
}

impl Answer<Edges> for Engine {
    fn answer<'a>(&'a self, request: &'a Validated<Edges>) -> AnswerFuture<'a, EdgesOk> {
        Box::pin(self.edges(request.spec()))
    }
}

impl Engine {
    /// `POST /api/v1/edges`.
    ///
    /// Upstream reports a failed Prometheus query inside the response (`Query failed: "<q>":
    /// <err>`); lviz returns `Rejection::Backend`, so the CLI exits 1 naming Prometheus and
    /// `lviz serve` answers 5xx, as for every other endpoint.
    pub async fn edges(&self, spec: &EdgesSpec) -> Result<EdgesOk, Rejection> {
        let query = plan(spec.kind);
        let Some(kube) = self.cluster() else {
            let samples = self.metrics().query(&query, spec.at).await?;
            let edges = assemble(spec.kind, &spec.namespace, &samples, None);
            return Ok(EdgesOk { edges });
        };
        let (samples, pods) = if spec.namespace.is_empty() {
            // All namespaces: any pod may be a source, so list them all while the query runs.
            let (samples, pods) = futures::join!(self.metrics().query(&query, spec.at), kube.pods(""));
            (samples?, pods?)
        } else {
            let samples = self.metrics().query(&query, spec.at).await?;
            let namespaces = source_namespaces(&spec.namespace, &samples);
            let lists = try_join_all(namespaces.iter().map(|ns| kube.pods(ns))).await?;
            (samples, lists.concat())
        };
        let edges = assemble(spec.kind, &spec.namespace, &samples, Some(&pods));
        Ok(EdgesOk { edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_k8s::PodInfo;

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample { labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), value }
    }

    fn pod(name: &str, ns: &str, sa: &str, phase: &str) -> Object {
        Object {
            kind: Some(ResourceKind::Pod),
            namespace: ns.into(),
            name: name.into(),
            pod: Some(PodInfo {
                phase: phase.into(),
                identity: format!("{sa}.{ns}.serviceaccount.identity.linkerd.cluster.local"),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn outbound(src: &str, ns: &str, dst: &str, dst_ns: &str, pod: &str, value: f64) -> Sample {
        let server_id = format!("{dst}.{dst_ns}.serviceaccount.identity.linkerd.cluster.local");
        sample(
            &[
                ("deployment", src),
                ("dst_deployment", dst),
                ("dst_namespace", dst_ns),
                ("namespace", ns),
                ("pod", pod),
                ("server_id", &server_id),
            ],
            value,
        )
    }

    /// conformance/queries.json `derived_queries` (edges.go:17,42-46).
    #[test]
    fn conformance_edges_query() {
        assert_eq!(
            plan(ResourceKind::Deployment),
            r#"sum(tcp_open_connections{deployment!="", direction="outbound", dst_deployment!=""}) by (deployment, dst_deployment, pod, server_id, namespace, dst_namespace, no_tls_reason)"#
        );
        assert_eq!(
            plan(ResourceKind::Pod),
            r#"sum(tcp_open_connections{direction="outbound", dst_pod!="", pod!=""}) by (pod, dst_pod, pod, server_id, namespace, dst_namespace, no_tls_reason)"#
        );
        assert_eq!(
            plan(ResourceKind::Job),
            r#"sum(tcp_open_connections{direction="outbound", dst_k8s_job!="", k8s_job!=""}) by (k8s_job, dst_k8s_job, pod, server_id, namespace, dst_namespace, no_tls_reason)"#
        );
    }

    fn conformance_samples() -> Vec<Sample> {
        vec![
            outbound("web", "emojivoto", "emoji", "emojivoto", "web-0", 123.0),
            outbound("web", "emojivoto", "voting", "emojivoto", "web-0", 123.0),
            outbound("vote-bot", "emojivoto", "web", "emojivoto", "vote-bot-0", 123.0),
            outbound("linkerd-identity", "linkerd", "linkerd-prometheus", "linkerd", "linkerd-identity-0", 123.0),
        ]
    }

    fn conformance_pods() -> Vec<Object> {
        vec![
            pod("web-0", "emojivoto", "web", "Running"),
            pod("vote-bot-0", "emojivoto", "default", "Running"),
            pod("linkerd-identity-0", "linkerd", "linkerd-identity", "Running"),
        ]
    }

    fn summary(edges: &[Edge]) -> Vec<String> {
        edges
            .iter()
            .map(|e| {
                format!(
                    "{}/{}->{}/{} {} {} {}",
                    e.src.namespace,
                    e.src.name,
                    e.dst.namespace,
                    e.dst.name,
                    e.client_id,
                    e.server_id,
                    e.no_identity_msg
                )
            })
            .collect()
    }

    #[test]
    fn conformance_edges_responses() {
        let all = assemble(ResourceKind::Deployment, "", &conformance_samples(), Some(&conformance_pods()));
        assert_eq!(
            summary(&all),
            [
                "emojivoto/vote-bot->emojivoto/web default.emojivoto.serviceaccount.identity.linkerd.cluster.local web.emojivoto.serviceaccount.identity.linkerd.cluster.local ",
                "emojivoto/web->emojivoto/emoji web.emojivoto.serviceaccount.identity.linkerd.cluster.local emoji.emojivoto.serviceaccount.identity.linkerd.cluster.local ",
                "emojivoto/web->emojivoto/voting web.emojivoto.serviceaccount.identity.linkerd.cluster.local voting.emojivoto.serviceaccount.identity.linkerd.cluster.local ",
                "linkerd/linkerd-identity->linkerd/linkerd-prometheus linkerd-identity.linkerd.serviceaccount.identity.linkerd.cluster.local linkerd-prometheus.linkerd.serviceaccount.identity.linkerd.cluster.local ",
            ]
        );
        assert_eq!(
            all[0].src,
            Resource { namespace: "emojivoto".into(), kind: "deployment".into(), name: "vote-bot".into() }
        );
        let linkerd = assemble(ResourceKind::Deployment, "linkerd", &conformance_samples(), Some(&conformance_pods()));
        assert_eq!(summary(&linkerd), summary(&all[3..]));
        let emojivoto =
            assemble(ResourceKind::Deployment, "emojivoto", &conformance_samples(), Some(&conformance_pods()));
        assert_eq!(summary(&emojivoto), summary(&all[..3]));
    }

    #[test]
    fn zero_missing_and_not_running_are_dropped() {
        let samples = vec![
            outbound("web", "emojivoto", "emoji", "emojivoto", "web-0", 0.0),
            outbound("web", "emojivoto", "voting", "emojivoto", "gone-0", 3.0),
            outbound("vote-bot", "emojivoto", "web", "emojivoto", "vote-bot-0", 1.0),
            outbound("web", "emojivoto", "emoji", "emojivoto", "", 3.0),
        ];
        let pods =
            vec![pod("web-0", "emojivoto", "web", "Running"), pod("vote-bot-0", "emojivoto", "default", "Pending")];
        assert!(assemble(ResourceKind::Deployment, "", &samples, Some(&pods)).is_empty());
        assert!(source_namespaces("other", &samples).is_empty());
        let ns = source_namespaces("emojivoto", &samples);
        assert_eq!(ns.into_iter().collect::<Vec<_>>(), ["emojivoto"]);
    }

    #[test]
    fn first_resolving_sample_wins_and_messages_map() {
        let mut a = outbound("web", "emojivoto", "emoji", "emojivoto", "web-0", 1.0);
        a.labels.insert("no_tls_reason".into(), "not_provided_by_service_discovery".into());
        a.labels.remove("server_id");
        // Sorts first (pod "a-gone" < "web-0") but its pod does not exist.
        let b = outbound("web", "emojivoto", "emoji", "emojivoto", "a-gone", 1.0);
        let mut c = outbound("web", "emojivoto", "voting", "emojivoto", "web-0", 1.0);
        c.labels.insert("no_tls_reason".into(), "something_new".into());
        let pods = vec![pod("web-0", "emojivoto", "web", "Running")];
        let edges = assemble(ResourceKind::Deployment, "emojivoto", &[c, b, a], Some(&pods));
        assert_eq!(edges.len(), 2);
        assert_eq!(edges[0].dst.name, "emoji");
        assert_eq!(edges[0].no_identity_msg, "Not Provided By Service Discovery");
        assert_eq!(edges[0].server_id, "");
        assert_eq!(edges[1].no_identity_msg, "");
        for (reason, msg) in [
            ("disabled", "Disabled"),
            ("loopback", "Loopback"),
            ("no_authority_in_http_request", "No Authority In HTTP Request"),
            ("not_http", "Not HTTP"),
            ("not_provided_by_remote", "Not Provided By Remote"),
            ("", ""),
        ] {
            assert_eq!(no_identity_msg(reason), msg);
        }
    }

    #[test]
    fn sorts_on_concatenation() {
        // "a-b"+"x" vs "a"+"bx": concatenation puts namespace "a" (→ "abx…") after "a-b".
        let samples = vec![outbound("x", "a", "y", "b", "p1", 1.0), outbound("x", "a-b", "y", "a-b", "p2", 1.0)];
        let pods = vec![pod("p1", "a", "sa", "Running"), pod("p2", "a-b", "sa", "Running")];
        let edges = assemble(ResourceKind::Deployment, "", &samples, Some(&pods));
        assert_eq!(edges[0].src.namespace, "a-b");
        assert_eq!(edges[1].src.namespace, "a");
    }
}

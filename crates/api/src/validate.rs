//! Validation pieces several views share: kind names, the other end of an outbound filter,
//! the evaluation time. Each view's own rules live beside its request (`views/*.rs`).

use crate::resource::ResourceKind;

/// The other end of an outbound (`--to`/`--from`) filter. The kind may be absent
/// (`--to-namespace` alone), and an empty name means "all of that kind".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub kind: Option<ResourceKind>,
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    To(Peer),
    From(Peer),
}

pub(crate) fn unimplemented(kind: &str) -> String {
    format!("unimplemented resource type: {kind}")
}

pub(crate) fn canonical_kind(kind: &str) -> Result<ResourceKind, String> {
    ResourceKind::from_canonical(kind).ok_or_else(|| unimplemented(kind))
}

pub(crate) fn peer(kind: &str, name: &str, namespace: &str) -> Result<Option<Peer>, String> {
    if kind.is_empty() && name.is_empty() && namespace.is_empty() {
        return Ok(None);
    }
    let kind = if kind.is_empty() { None } else { Some(canonical_kind(kind)?) };
    Ok(Some(Peer { kind, name: name.to_string(), namespace: namespace.to_string() }))
}

/// Kubernetes' rule for names that become one path segment (namespaces): an RFC 1123 label,
/// in the API server's words, so a value that reaches a Kubernetes path can never change it.
pub(crate) fn dns1123_label(what: &str, value: &str) -> Result<(), String> {
    let valid_chars = value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ends = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if value.len() > 63 {
        return Err(format!("invalid {what} {value:?}: must be no more than 63 characters"));
    }
    if !valid_chars || !ends(value.as_bytes().first()) || !ends(value.as_bytes().last()) {
        return Err(format!(
            "invalid {what} {value:?}: a lowercase RFC 1123 label must consist of lower case alphanumeric \
             characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or \
             '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ));
    }
    Ok(())
}

pub(crate) fn check_at(at: Option<f64>) -> Result<(), String> {
    match at {
        Some(t) if !t.is_finite() || t < 0.0 => Err(format!("invalid evaluation time: {t}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    fn stat(kind: &str) -> StatSummaryRequest {
        StatSummaryRequest { resource_type: kind.into(), namespace: "emojivoto".into(), ..Default::default() }
    }

    #[test]
    fn stat_errors_follow_linkerd() {
        assert_eq!(stat_request(&stat("")).unwrap_err(), "StatSummary request missing Selector Resource");
        assert_eq!(stat_request(&stat("po")).unwrap_err(), "unimplemented resource type: po");
        assert_eq!(stat_request(&stat("server")).unwrap_err(), "unimplemented resource type: server");
        let mut r = stat("pod");
        r.from_resource_type = "service".into();
        assert!(stat_request(&r).unwrap_err().starts_with("service is not supported"));
        let mut r = stat("pod");
        r.to_resource_type = "all".into();
        assert_eq!(stat_request(&r).unwrap_err(), "resource type 'all' is not supported as a filter");
        let mut r = stat("pod");
        r.to_resource_type = "pod".into();
        r.from_resource_type = "pod".into();
        assert_eq!(stat_request(&r).unwrap_err(), "--to and --from flags are mutually exclusive");
        let mut r = stat("pod");
        r.time_window = "5s".into();
        assert_eq!(stat_request(&r).unwrap_err(), "metrics time window needs to be at least 15s");
    }

    #[test]
    fn stat_defaults() {
        let spec = stat_request(&stat("deployment")).unwrap();
        assert_eq!(spec.window.raw, "1m");
        assert_eq!(spec.direction, Direction::Inbound);
        let mut r = stat("service");
        r.to_resource_type = "pod".into();
        assert!(stat_request(&r).is_ok(), "--to svc/x and svc --to are accepted upstream");
    }

    #[test]
    fn namespaces_are_rfc1123_labels() {
        assert_eq!(dns1123_label("namespace", "emojivoto"), Ok(()));
        assert_eq!(dns1123_label("namespace", "a-1"), Ok(()));
        for bad in ["", "-a", "a-", "Emoji", "a/b", "a..b", "../x", "a b", "a%2F"] {
            let err = dns1123_label("namespace", bad).unwrap_err();
            assert!(err.starts_with(&format!("invalid namespace {bad:?}: a lowercase RFC 1123 label")), "{err}");
        }
        let long = "a".repeat(64);
        assert_eq!(
            dns1123_label("namespace", &long).unwrap_err(),
            format!("invalid namespace \"{long}\": must be no more than 63 characters")
        );
    }

    #[test]
    fn edges_and_routes_errors() {
        let e = EdgesRequest { resource_type: "service".into(), ..Default::default() };
        assert_eq!(edges_request(&e).unwrap_err(), "Resource type is not supported: service");
        let r = TopRoutesRequest {
            resource_type: "service".into(),
            to_resource_type: "deployment".into(),
            ..Default::default()
        };
        assert_eq!(routes_request(&r).unwrap_err(), "The service resource type is not supported with 'to' queries");
    }
}

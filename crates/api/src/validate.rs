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

/// An optional request field that, when present, must hold a value: `null` is no boolean or
/// number, and the schema says so (absent is what "not set" looks like).
pub(crate) fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
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
    fn optional_fields_refuse_null() {
        assert!(serde_json::from_str::<StatSummaryRequest>(r#"{"resource_type":"pod","tcp_stats":null}"#).is_err());
        assert!(serde_json::from_str::<EdgesRequest>(r#"{"resource_type":"pod","at":null}"#).is_err());
        assert!(serde_json::from_str::<crate::ListPodsRequest>(r#"{"at":null}"#).is_err());
        assert!(serde_json::from_str::<crate::ChecksRequest>(r#"{"count":null}"#).is_err());
        assert!(serde_json::from_str::<crate::ChecksRequest>(r#"{"sends":null}"#).is_err());
        assert!(serde_json::from_str::<crate::RouteStatsRequest>(r#"{"resource_type":"pod","at":null}"#).is_err());
        let absent: StatSummaryRequest = serde_json::from_str(r#"{"resource_type":"pod"}"#).expect("absent is fine");
        assert_eq!((absent.tcp_stats, absent.at), (None, None));
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

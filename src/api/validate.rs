//! Request validation shared by the CLI and `lviz serve`: a request that passes comes out as a
//! typed `*Spec` the engine runs; one that fails gets linkerd's message, word for word.

use super::resource::{ResourceKind, Target};
use super::window::Window;
use super::{EdgesRequest, GatewaysRequest, StatSummaryRequest, TopRoutesRequest};

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

#[derive(Debug, Clone, PartialEq)]
pub struct StatSpec {
    pub target: Target,
    pub window: Window,
    pub direction: Direction,
    pub label_selector: String,
    pub at: Option<f64>,
    pub tcp_stats: bool,
    pub skip_stats: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutesSpec {
    pub target: Target,
    pub window: Window,
    /// `--to`: the destination whose ServiceProfiles name the routes; `None` means inbound.
    pub to: Option<Peer>,
    pub label_selector: String,
    pub at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EdgesSpec {
    pub kind: ResourceKind,
    pub namespace: String,
    pub at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GatewaysSpec {
    pub window: Window,
    pub gateway_namespace: String,
    pub cluster_name: String,
    pub at: Option<f64>,
}

fn unimplemented(kind: &str) -> String {
    format!("unimplemented resource type: {kind}")
}

fn canonical_kind(kind: &str) -> Result<ResourceKind, String> {
    ResourceKind::from_canonical(kind).ok_or_else(|| unimplemented(kind))
}

fn peer(kind: &str, name: &str, namespace: &str) -> Result<Option<Peer>, String> {
    if kind.is_empty() && name.is_empty() && namespace.is_empty() {
        return Ok(None);
    }
    let kind = if kind.is_empty() { None } else { Some(canonical_kind(kind)?) };
    Ok(Some(Peer { kind, name: name.to_string(), namespace: namespace.to_string() }))
}

fn check_at(at: Option<f64>) -> Result<(), String> {
    match at {
        Some(t) if !t.is_finite() || t < 0.0 => Err(format!("invalid evaluation time: {t}")),
        _ => Ok(()),
    }
}

/// linkerd's StatSummary validation (`stat_summary.go:70-109`) plus the window rules.
pub fn stat_request(req: &StatSummaryRequest) -> Result<StatSpec, String> {
    if req.resource_type.is_empty() {
        return Err("StatSummary request missing Selector Resource".to_string());
    }
    let kind = canonical_kind(&req.resource_type)?;
    if !(kind.is_stat_kind() || kind == ResourceKind::All) {
        return Err(unimplemented(&req.resource_type));
    }
    let to = peer(&req.to_resource_type, &req.to_resource_name, &req.to_namespace)?;
    let from = peer(&req.from_resource_type, &req.from_resource_name, &req.from_namespace)?;
    let direction = match (to, from) {
        (Some(_), Some(_)) => return Err("--to and --from flags are mutually exclusive".to_string()),
        (Some(to), None) => Direction::To(to),
        (None, Some(from)) => Direction::From(from),
        (None, None) => Direction::Inbound,
    };
    for p in [&direction] {
        if let Direction::To(p) | Direction::From(p) = p {
            match p.kind {
                Some(ResourceKind::All) => {
                    return Err("resource type 'all' is not supported as a filter".to_string());
                }
                Some(k) if !k.is_stat_kind() => return Err(unimplemented(k.canonical())),
                _ => {}
            }
        }
    }
    if let Direction::From(p) = &direction
        && p.kind == Some(ResourceKind::Service)
    {
        return Err(
            "service is not supported as a target on 'from' queries, or as a target with 'to' queries".to_string()
        );
    }
    let window = Window::parse_stat(&req.time_window)?;
    window.promql()?;
    check_at(req.at)?;
    Ok(StatSpec {
        target: Target::new(kind, &req.resource_name, &req.namespace),
        window,
        direction,
        label_selector: req.label_selector.clone(),
        at: req.at,
        tcp_stats: req.tcp_stats.unwrap_or(false),
        skip_stats: req.skip_stats,
    })
}

/// linkerd's TopRoutes validation (`top_routes.go`), plus window parsing (no 15s minimum).
pub fn routes_request(req: &TopRoutesRequest) -> Result<RoutesSpec, String> {
    if req.resource_type.is_empty() {
        return Err("TopRoutes request missing Selector Resource".to_string());
    }
    let kind = canonical_kind(&req.resource_type)?;
    if !kind.is_stat_kind() {
        return Err(unimplemented(&req.resource_type));
    }
    let to = peer(&req.to_resource_type, &req.to_resource_name, &req.to_namespace)?;
    if to.is_some() && kind == ResourceKind::Service {
        return Err("The service resource type is not supported with 'to' queries".to_string());
    }
    if let Some(Peer { kind: Some(k), .. }) = &to
        && !k.is_stat_kind()
    {
        return Err(unimplemented(k.canonical()));
    }
    let window = Window::parse(&req.time_window)?;
    window.promql()?;
    check_at(req.at)?;
    Ok(RoutesSpec {
        target: Target::new(kind, &req.resource_name, &req.namespace),
        window,
        to,
        label_selector: req.label_selector.clone(),
        at: req.at,
    })
}

/// linkerd's Edges validation: one kind, never `service` or `all`.
pub fn edges_request(req: &EdgesRequest) -> Result<EdgesSpec, String> {
    if req.resource_type.is_empty() {
        return Err("Edges request missing Selector Resource".to_string());
    }
    let kind = canonical_kind(&req.resource_type)?;
    if matches!(kind, ResourceKind::Service | ResourceKind::All) {
        return Err(format!("Resource type is not supported: {}", kind.canonical()));
    }
    check_at(req.at)?;
    Ok(EdgesSpec { kind, namespace: req.namespace.clone(), at: req.at })
}

pub fn gateways_request(req: &GatewaysRequest) -> Result<GatewaysSpec, String> {
    let window = Window::parse(&req.time_window)?;
    window.promql()?;
    check_at(req.at)?;
    Ok(GatewaysSpec {
        window,
        gateway_namespace: req.gateway_namespace.clone(),
        cluster_name: req.remote_cluster_name.clone(),
        at: req.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! `POST /api/v1/top-routes` (TopRoutes): the request, the answer, and Linkerd's validation.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::resource::{ResourceKind, Target};
use crate::rows::BasicStats;
use crate::validate::{Peer, canonical_kind, check_at, peer, unimplemented};
use crate::window::Window;
use crate::{names, selector};

endpoint! {
    /// The TopRoutes endpoint.
    TopRoutes, "top-routes", "/api/v1/top-routes", TopRoutesRequest, TopRoutesOk, RoutesSpec, routes_request
}

/// `POST /api/v1/top-routes`. The `to_*` fields are upstream's outbound filter, which the spec
/// lacks; `label_selector` and `at` are lviz extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopRoutesRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_window: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_resource_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
}

/// The response of `POST /api/v1/top-routes`.
pub type TopRoutesResponse = crate::Envelope<TopRoutesOk>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopRoutesOk {
    pub routes: Vec<RouteTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteTable {
    pub rows: Vec<RouteRow>,
    /// lviz extension (upstream `RouteTable.resource`): `<canonical type>/<name>` of the target
    /// object this table belongs to, e.g. `deployment/web`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteRow {
    pub route: String,
    pub time_window: String,
    pub authority: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<BasicStats>,
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
    names::check_name("resource_name", Some(kind), &req.resource_name)?;
    names::check_namespace("namespace", &req.namespace)?;
    if let Some(p) = &to {
        names::check_name("to_resource_name", p.kind, &p.name)?;
        names::check_namespace("to_namespace", &p.namespace)?;
    }
    selector::validate(&req.label_selector)?;
    Ok(RoutesSpec {
        target: Target::new(kind, &req.resource_name, &req.namespace),
        window,
        to,
        label_selector: req.label_selector.clone(),
        at: req.at,
    })
}

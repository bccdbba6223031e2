//! `POST /api/v1/edges` (Edges): the request, the answer, and Linkerd's validation.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::names;
use crate::resource::ResourceKind;
use crate::rows::Resource;
use crate::validate::{canonical_kind, check_at};

endpoint! {
    /// The Edges endpoint.
    Edges, "edges", "/api/v1/edges", EdgesRequest, EdgesOk, EdgesSpec, edges_request
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EdgesRequest {
    pub resource_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// lviz extension: evaluation time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
}

/// The response of `POST /api/v1/edges`.
pub type EdgesResponse = crate::Envelope<EdgesOk>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EdgesOk {
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Edge {
    pub src: Resource,
    pub dst: Resource,
    pub client_id: String,
    pub server_id: String,
    pub no_identity_msg: String,
    /// lviz extension: the source's identity is unknown (Prometheus-only mode: it comes from
    /// the source pod in Kubernetes); `client_id` is then empty. Absent (false) otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_id_unknown: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EdgesSpec {
    pub kind: ResourceKind,
    pub namespace: String,
    pub at: Option<f64>,
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
    names::check_namespace("namespace", &req.namespace)?;
    Ok(EdgesSpec { kind, namespace: req.namespace.clone(), at: req.at })
}

//! `POST /api/v1/services` (ListServices; lviz's JSON face of `linkerd2.viz.Api/ListServices`):
//! the Services of a namespace, or of every namespace, by name. The request, the answer and
//! their validation.

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::names;

/// The ListServices endpoint.
pub struct ListServices;

impl Endpoint for ListServices {
    const NAME: &'static str = "services";
    const PATH: &'static str = "/api/v1/services";
    type Request = ListServicesRequest;
    type Ok = ListServicesOk;
    type Spec = ServicesSpec;

    fn validate(request: &ListServicesRequest) -> Result<ServicesSpec, String> {
        services_request(request)
    }
    /// Kubernetes facts only: nothing is evaluated at a time.
    fn at(_: &ListServicesRequest) -> Option<f64> {
        None
    }
    fn set_at(_: &mut ListServicesRequest, _: Option<f64>) {}
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListServicesRequest {
    /// Only this namespace; empty: every namespace.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// The response of `POST /api/v1/services`.
pub type ListServicesResponse = crate::Envelope<ListServicesOk>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListServicesOk {
    /// Sorted by namespace, then name (upstream: the informer's order).
    pub services: Vec<ServiceRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceRow {
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesSpec {
    pub namespace: String,
}

pub fn services_request(req: &ListServicesRequest) -> Result<ServicesSpec, String> {
    names::check_namespace("namespace", &req.namespace)?;
    Ok(ServicesSpec { namespace: req.namespace.clone() })
}

//! The two ways a command gets its answers: the embedded engine (lviz queries Prometheus and
//! Kubernetes itself) or a remote metrics API. Both speak the API types, so rendering and
//! everything after it is the same code.

use crate::api::{
    EdgesRequest, EdgesResponse, GatewaysRequest, GatewaysResponse, StatSummaryRequest, StatSummaryResponse,
    TopRoutesRequest, TopRoutesResponse,
};
use crate::engine::Engine;
use crate::error::CliError;
use crate::remote::RemoteClient;

pub enum Backend {
    Embedded(Engine),
    /// `--api-addr`: a metrics API (`lviz serve`) answers.
    Remote(RemoteClient),
}

impl Backend {
    pub async fn stat(&self, req: &StatSummaryRequest) -> Result<StatSummaryResponse, CliError> {
        match self {
            Backend::Embedded(engine) => Ok(engine.stat(req).await?),
            Backend::Remote(client) => client.stat(req).await,
        }
    }

    pub async fn top_routes(&self, req: &TopRoutesRequest) -> Result<TopRoutesResponse, CliError> {
        match self {
            Backend::Embedded(engine) => Ok(engine.top_routes(req).await?),
            Backend::Remote(client) => client.top_routes(req).await,
        }
    }

    pub async fn edges(&self, req: &EdgesRequest) -> Result<EdgesResponse, CliError> {
        match self {
            Backend::Embedded(engine) => Ok(engine.edges(req).await?),
            Backend::Remote(client) => client.edges(req).await,
        }
    }

    pub async fn gateways(&self, req: &GatewaysRequest) -> Result<GatewaysResponse, CliError> {
        match self {
            Backend::Embedded(engine) => Ok(engine.gateways(req).await?),
            Backend::Remote(client) => client.gateways(req).await,
        }
    }
}

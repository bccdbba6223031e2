//! The generated service traits, each method one line: answer through the endpoint that
//! carries it. Authz waits for lviz's authz view (the one method without an endpoint yet).

use tonic::{Request, Response, Status};

use super::GrpcState;
use crate::proto::ext::extensions_server::Extensions;
use crate::proto::ext::{ChecksRequest, ChecksResponse};
use crate::proto::viz::api_server::Api;
use crate::proto::viz::*;
use lviz_api::{Checks, Edges, Gateways, ListPods, ListServices, SelfCheck, Stat, TopRoutes};

#[tonic::async_trait]
impl Api for GrpcState {
    async fn stat_summary(&self, r: Request<StatSummaryRequest>) -> Result<Response<StatSummaryResponse>, Status> {
        self.answer::<Stat>(r).await
    }
    async fn edges(&self, r: Request<EdgesRequest>) -> Result<Response<EdgesResponse>, Status> {
        self.answer::<Edges>(r).await
    }
    async fn gateways(&self, r: Request<GatewaysRequest>) -> Result<Response<GatewaysResponse>, Status> {
        self.answer::<Gateways>(r).await
    }
    async fn top_routes(&self, r: Request<TopRoutesRequest>) -> Result<Response<TopRoutesResponse>, Status> {
        self.answer::<TopRoutes>(r).await
    }
    async fn list_pods(&self, r: Request<ListPodsRequest>) -> Result<Response<ListPodsResponse>, Status> {
        self.answer::<ListPods>(r).await
    }
    async fn list_services(&self, r: Request<ListServicesRequest>) -> Result<Response<ListServicesResponse>, Status> {
        self.answer::<ListServices>(r).await
    }
    async fn self_check(&self, r: Request<SelfCheckRequest>) -> Result<Response<SelfCheckResponse>, Status> {
        self.answer::<SelfCheck>(r).await
    }
    async fn authz(&self, r: Request<AuthzRequest>) -> Result<Response<AuthzResponse>, Status> {
        authz(self, r).await
    }
}

#[tonic::async_trait]
impl Extensions for GrpcState {
    async fn checks(&self, r: Request<ChecksRequest>) -> Result<Response<ChecksResponse>, Status> {
        self.answer::<Checks>(r).await
    }
}

/// The adapter for Authz: once `lviz_api` has the authz view (its request: the resource and
/// window of `AuthzRequest`; its answer: one `StatTable` of rows with `srv_stats`), this is
/// `state.answer::<lviz_api::Authz>(request)` plus a `wire/authz.rs` mapping, like every
/// other call. Until then it answers UNIMPLEMENTED rather than a second authz view.
async fn authz(_state: &GrpcState, _request: Request<AuthzRequest>) -> Result<Response<AuthzResponse>, Status> {
    Err(Status::unimplemented("Authz: lviz serve does not answer this call yet (no authz view)"))
}

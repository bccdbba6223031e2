//! The wire contract of the Linkerd Viz metrics API (`metrics-api.openapi.yml`) plus lviz's
//! extensions: one file per endpoint (`views/`), the endpoint list, request validation with
//! Linkerd's words, resource kinds and windows, and the one error type every answer can fail
//! with. Shared by the engine, every front-end and the CLI, so a request is validated once and
//! every mode rejects bad input with the same words.
//!
//! Owns: types and pure checks (and the URL redaction every error message goes through).
//! Refuses: I/O, async runtimes, dependencies beyond serde and url.

pub mod deadline;
mod endpoint;
mod envelope;
mod error;
pub mod hygiene;
pub mod limits;
pub mod names;
mod redact;
pub mod resource;
mod rows;
pub mod selector;
pub mod validate;
pub mod views;
pub mod window;

pub use endpoint::{Answer, AnswerFuture, Endpoint, Validated};
pub use envelope::{Envelope, ResponseError};
pub use error::{BackendError, Rejection};
pub use redact::redact_url;
pub use resource::{ResourceKind, Target};
pub use rows::{BasicStats, Resource, TcpStats};
pub use validate::{Direction, Peer};
pub use views::ENDPOINTS;
pub use views::authz::{
    AUTHZ_KINDS, Authz, AuthzOk, AuthzResponse, AuthzRow, AuthzRows, AuthzTable, ServerStats, authz_request,
};
pub use views::checks::{
    Checks, ChecksOk, ChecksRequest, ChecksSpec, Existence, HistogramCheck, ObjectCount, PodTally, checks_request,
};
pub use views::edges::{Edge, Edges, EdgesOk, EdgesRequest, EdgesResponse, EdgesSpec, edges_request};
pub use views::gateways::{
    GatewayRow, Gateways, GatewaysOk, GatewaysRequest, GatewaysResponse, GatewaysSpec, GatewaysTable, gateways_request,
};
pub use views::pods::{ListPods, ListPodsOk, ListPodsRequest, ListPodsResponse, PodRow, PodsSpec, pods_request};
pub use views::routes::{
    RouteRow, RouteTable, RoutesSpec, TopRoutes, TopRoutesOk, TopRoutesRequest, TopRoutesResponse, routes_request,
};
pub use views::self_check::{CheckResult, CheckStatus, SelfCheck, SelfCheckOk, SelfCheckRequest, SelfCheckResponse};
pub use views::services::{
    ListServices, ListServicesOk, ListServicesRequest, ListServicesResponse, ServiceRow, ServicesSpec, services_request,
};
pub use views::stat::{
    PodGroup, Stat, StatRow, StatSpec, StatSummaryOk, StatSummaryRequest, StatSummaryResponse, StatTable, stat_request,
};
pub use views::stat_inbound::{
    InboundRow, RouteStatsRequest, RouteStatsSpec, StatInbound, StatInboundOk, StatInboundResponse, WORKLOAD_KINDS,
    stat_inbound_request,
};
pub use views::stat_outbound::{
    OutboundBackend, OutboundRoute, OutboundStats, StatOutbound, StatOutboundOk, StatOutboundResponse,
    stat_outbound_request,
};

//! One module per endpoint: its pure query building and assembly (exact-string tested), and
//! its [`Answer`](lviz_api::Answer) implementation for the [`Engine`](crate::Engine), the only
//! part that awaits the clients.

pub mod authz;
pub mod checks;
pub mod edges;
pub mod gateways;
pub mod route_stats;
pub mod routes;
pub mod stat;
pub mod stat_inbound;
pub mod stat_outbound;

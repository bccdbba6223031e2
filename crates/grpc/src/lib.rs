//! The Linkerd Viz metrics API over gRPC (`linkerd2.viz.Api`, plaintext HTTP/2): `lviz serve`'s
//! gRPC face ([`server`]) and the CLI's gRPC client ([`client`]), which reaches `lviz serve` or
//! a real Linkerd metrics-api, directly or through a Kubernetes port-forward. Both map the
//! protocol's messages to and from `lviz_api`'s request and answer types ([`wire`]) and answer
//! through the same engine and answer cache as the HTTP JSON face, so no view is written here.
//!
//! Owns: the `.proto` contract (`proto/`), the mapping of messages, Linkerd's error contract on
//! the wire (validation in the response's `error`, infrastructure failures as status codes),
//! the server's limits. Refuses: metrics logic, rendering.

pub mod client;
pub mod proto;
pub mod server;
pub mod wire;

pub use client::GrpcClient;
pub use server::{GrpcOptions, GrpcState};
pub use wire::Rpc;

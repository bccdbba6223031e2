//! The metrics API over HTTP JSON: `lviz serve`'s server ([`server`]) and the CLI's remote
//! client ([`client`]), both generic over the endpoint list of `lviz_api`, so no endpoint's path
//! or types are written here.
//!
//! Owns: HTTP status policy, the spec's error object on the wire, limits, caching of whole
//! answers. Refuses: metrics logic (the engine's) and rendering.

pub mod client;
pub mod server;

pub use client::RemoteClient;

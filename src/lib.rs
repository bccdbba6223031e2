//! lviz: Linkerd's golden metrics straight from Prometheus and Kubernetes.
//!
//! Data flows one way: argv → `cli` args → `api` request (validated) → backend (embedded
//! `engine` or remote API) → `api` response → `render` → text.

pub mod api;
pub mod backend;
pub mod cli;
pub mod engine;
pub mod error;
pub mod k8s;
pub mod prom;
pub mod remote;
pub mod render;
mod run;
pub mod server;

pub use run::{coalesced_engine, embedded_engine, execute, run, serve_state};

//! lviz: Linkerd's golden metrics straight from Prometheus and Kubernetes.
//!
//! Data flows one way: argv → `cli` args → `api` request (validated) → backend (embedded
//! `engine` or remote API) → `api` response → `render` → text.

pub mod api;
pub mod backend;
pub mod cli;
mod diagnose;
pub mod engine;
pub mod error;
pub mod gate;
pub mod k8s;
mod progress;
pub mod prom;
pub mod remote;
pub mod render;
mod run;
pub mod server;
mod watch;

pub use run::{Outcome, coalesced_engine, embedded_engine, execute, run, serve_state};

//! lviz: Linkerd's golden metrics straight from Prometheus and Kubernetes.
//!
//! Data flows one way: argv → `cli` args → `api` request (validated) → backend (embedded
//! `engine` or remote API) → `api` response → `render` → text.

pub mod api;
pub mod render;
pub mod engine;
pub mod k8s;
pub mod prom;

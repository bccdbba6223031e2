//! Real-component test harness for lviz: a synthetic Linkerd mesh and its Prometheus series
//! (`mesh`), a real Prometheus loaded with them (`prometheus`), the matching Kubernetes objects
//! (`fixtures`), an in-process fake Kubernetes API server that serves them (`kube`), and a
//! fault server that plays each backend badly (`faults`).
//!
//! Nothing here is used by lviz itself; it exists so tests can run lviz against real components.

pub mod faults;
pub mod fixtures;
pub mod kube;
pub mod mesh;
pub mod prometheus;

pub use mesh::{DATA_END, DATA_START, EVAL_TIME, Mesh};

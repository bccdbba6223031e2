//! The Rust types and service stubs generated from `proto/viz.proto` (package `linkerd2.viz`)
//! and `proto/lviz.proto` (package `lviz.v1`) at build time; the modules nest as the packages
//! do, which the generated cross-package paths rely on. Generated code: not linted.

/// Package `linkerd2`.
pub mod linkerd2 {
    /// `linkerd2.viz`: Linkerd's metrics API (`Api`) and its messages.
    #[allow(clippy::all, clippy::pedantic)]
    pub mod viz {
        tonic::include_proto!("linkerd2.viz");
    }
}

/// Package `lviz`.
pub mod lviz {
    /// `lviz.v1`: lviz's calls beside Linkerd's (`Extensions`).
    #[allow(clippy::all, clippy::pedantic)]
    pub mod v1 {
        tonic::include_proto!("lviz.v1");
    }
}

pub use linkerd2::viz;
pub use lviz::v1 as ext;

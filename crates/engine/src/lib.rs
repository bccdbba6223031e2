//! The metrics engine: turns validated requests into Prometheus queries and Kubernetes
//! lookups, and samples into API answers. One module per view (`views/`), where query text and
//! aggregation are pure and only the `Answer` implementations await the clients; the
//! [`Coalescing`](coalesce::Coalescing) layer that spares Prometheus; the composition of the
//! backends from a configuration ([`compose`]), which the CLI and every server call; and what
//! the servers share ([`serving`]: the engine behind one cache of whole answers).
//!
//! Owns: what to ask and how to read the answers. Refuses: rendering, wire protocols of its own
//! (front-ends serve it), printing.

pub mod coalesce;
mod compose;
mod engine;
pub mod histograms;
pub mod promql;
pub mod samples;
pub mod serving;
pub mod views;

pub use compose::{Composed, EngineConfig, compose};
pub use engine::{Engine, EngineSettings, Metrics, QueryPlan, Results};

/// Every endpoint of the list is answered by the engine: a new view that forgets its
/// `Answer` implementation does not compile.
#[allow(dead_code)]
fn answers_every_endpoint(engine: &Engine) {
    macro_rules! check {
        ($($e:ty),*) => {$(
            let _: &dyn lviz_api::Answer<$e> = engine;
        )*};
    }
    lviz_api::for_each_endpoint!(check);
}

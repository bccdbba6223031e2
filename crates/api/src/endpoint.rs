//! What an endpoint of the metrics API is, described once: its name, its HTTP path, its request,
//! its answer and how a request is validated into the spec the engine runs. Every front-end
//! (the HTTP server and client, the gRPC server, the CLI's backends) is generic over
//! [`Endpoint`] and iterates the list, [`for_each_endpoint!`](crate::for_each_endpoint) (in
//! `views/mod.rs`); none of them names an endpoint's path or types by hand.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Rejection;

/// One endpoint of the metrics API.
pub trait Endpoint: Sized + Send + Sync + 'static {
    /// Short name (`stat`): cache keys, counters, messages.
    const NAME: &'static str;
    /// Path of the HTTP JSON API (`/api/v1/stat`). The only place the path is written.
    const PATH: &'static str;
    /// The request body (the spec's `*Request`).
    type Request: Serialize + DeserializeOwned + Clone + Debug + Default + PartialEq + Send + Sync + 'static;
    /// What the `ok` member of the response holds.
    type Ok: Serialize + DeserializeOwned + Clone + Debug + Default + PartialEq + Send + Sync + 'static;
    /// The request once validated: typed, what the engine runs.
    type Spec: Clone + Debug + Send + Sync + 'static;
    /// Whether a server may reuse an answer for an identical request (its answer cache). A
    /// health check must not be reused.
    const CACHEABLE: bool = true;

    /// Linkerd's validation of the request, with its words.
    fn validate(request: &Self::Request) -> Result<Self::Spec, String>;
    /// The evaluation time asked for (`None`: now).
    fn at(request: &Self::Request) -> Option<f64>;
    /// Sets the evaluation time (a watch replaying history moves it forward).
    fn set_at(request: &mut Self::Request, at: Option<f64>);
}

/// A request that passed validation, with the spec it validated into. Built only by
/// [`Validated::new`], so holding one proves the request was checked exactly once.
pub struct Validated<E: Endpoint> {
    request: E::Request,
    spec: E::Spec,
}

impl<E: Endpoint> Clone for Validated<E> {
    fn clone(&self) -> Self {
        Validated { request: self.request.clone(), spec: self.spec.clone() }
    }
}

impl<E: Endpoint> Debug for Validated<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validated").field("endpoint", &E::NAME).field("request", &self.request).finish()
    }
}

impl<E: Endpoint> Validated<E> {
    /// Validates `request`; an invalid one is [`Rejection::Invalid`] with Linkerd's message.
    pub fn new(request: E::Request) -> Result<Self, Rejection> {
        let spec = E::validate(&request).map_err(Rejection::Invalid)?;
        Ok(Validated { request, spec })
    }

    pub fn request(&self) -> &E::Request {
        &self.request
    }

    pub fn spec(&self) -> &E::Spec {
        &self.spec
    }

    pub fn at(&self) -> Option<f64> {
        E::at(&self.request)
    }

    /// The same request evaluated at `at`.
    pub fn at_time(&self, at: Option<f64>) -> Result<Self, Rejection> {
        let mut request = self.request.clone();
        E::set_at(&mut request, at);
        Validated::new(request)
    }
}

/// Implements [`Endpoint`] for a view whose request carries its evaluation time in `at`:
/// `endpoint!(Stat, "stat", "/api/v1/stat", StatSummaryRequest, StatSummaryOk, StatSpec, stat_request);`
macro_rules! endpoint {
    ($(#[$doc:meta])* $view:ident, $name:literal, $path:literal, $request:ty, $ok:ty, $spec:ty, $validate:path) => {
        $(#[$doc])*
        pub struct $view;

        impl $crate::Endpoint for $view {
            const NAME: &'static str = $name;
            const PATH: &'static str = $path;
            type Request = $request;
            type Ok = $ok;
            type Spec = $spec;

            fn validate(request: &$request) -> Result<$spec, String> {
                $validate(request)
            }
            fn at(request: &$request) -> Option<f64> {
                request.at
            }
            fn set_at(request: &mut $request, at: Option<f64>) {
                request.at = at;
            }
        }
    };
}
pub(crate) use endpoint;

/// The future of an answer.
pub type AnswerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Rejection>> + Send + 'a>>;

/// Something that answers an endpoint: the embedded engine, a remote metrics API, a backend
/// choosing between them.
pub trait Answer<E: Endpoint>: Send + Sync {
    fn answer<'a>(&'a self, request: &'a Validated<E>) -> AnswerFuture<'a, E::Ok>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_happens_once_and_again_on_a_new_time() {
        let request = crate::StatSummaryRequest { resource_type: "deployment".into(), ..Default::default() };
        let v = Validated::<crate::Stat>::new(request).expect("valid");
        assert_eq!(v.at(), None);
        let moved = v.at_time(Some(10.0)).expect("valid");
        assert_eq!(moved.at(), Some(10.0));
        assert_eq!(moved.spec().at, Some(10.0));
        let bad = v.at_time(Some(f64::NAN)).unwrap_err();
        assert!(matches!(bad, Rejection::Invalid(m) if m.starts_with("invalid evaluation time")));
    }
}

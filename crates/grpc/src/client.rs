//! The CLI's gRPC client of a metrics API: `lviz serve`, or a real Linkerd metrics-api, at an
//! address (`--api-addr grpc://HOST:PORT`) or through a Kubernetes port-forward to its pod
//! (`--api-via port-forward`, as the linkerd CLI reaches it). Generic over [`Rpc`]: each call
//! sends an endpoint's request and reads back the same answer the embedded engine gives.
//!
//! Outcomes come back as the embedded engine's rejections: the response's `error` field and
//! INVALID_ARGUMENT are [`Rejection::Invalid`], NOT_FOUND is [`Rejection::NotFound`], anything
//! else is [`Rejection::Backend`] naming "metrics API" and the redacted address. A response with
//! neither `ok` nor `error` is malformed, not an empty success. A server that ignores `at`
//! (Linkerd's) is told apart by lviz's echo of it, and refused rather than answered for "now".

use std::time::Duration;

use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::proto::ext::extensions_client::ExtensionsClient;
use crate::proto::viz::api_client::ApiClient;
use crate::wire::{Rpc, Stubs};
use lviz_api::{Answer, AnswerFuture, BackendError, Rejection, Validated, hygiene, redact_url};
use lviz_k8s::Cluster;
use lviz_k8s::portforward::{METRICS_API_PORT, MetricsApiPod, port_forward};

/// The backend name in messages.
pub const BACKEND: &str = "metrics API";

/// Largest answer accepted unless told (`--max-answer-size`'s default; a 10,000-row stat
/// answer is a few MB).
const MAX_ANSWER_BYTES: usize = 128 * 1024 * 1024;

#[derive(Clone)]
pub struct GrpcClient {
    channel: Channel,
    stubs: Stubs,
    shown: String,
    timeout: Duration,
}

/// `grpc://HOST:PORT`, `http://HOST:PORT` or `HOST:PORT` as the URI tonic dials (plaintext).
fn dial_uri(address: &str) -> Result<String, String> {
    let rest = ["grpc://", "http://"].iter().find_map(|p| address.strip_prefix(p)).unwrap_or(address);
    if rest.contains("://") {
        return Err("unsupported URL scheme (expected grpc://HOST:PORT, http://HOST:PORT or HOST:PORT)".to_string());
    }
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err("expected HOST:PORT (no path, query or credentials)".to_string());
    }
    let uri = format!("http://{authority}");
    match uri.parse::<http::Uri>() {
        Ok(u) if u.port().is_some() => Ok(uri),
        Ok(_) => Err("missing port (the metrics API listens on 8085)".to_string()),
        Err(e) => Err(format!("invalid address: {e}")),
    }
}

fn stubs(channel: Channel, max_answer_bytes: usize) -> Stubs {
    Stubs {
        api: ApiClient::new(channel.clone()).max_decoding_message_size(max_answer_bytes),
        ext: ExtensionsClient::new(channel).max_decoding_message_size(max_answer_bytes),
    }
}

fn endpoint(uri: String, timeout: Duration) -> Result<Endpoint, String> {
    let endpoint = Endpoint::from_shared(uri).map_err(|e| format!("invalid address: {e}"))?;
    Ok(endpoint.timeout(timeout).connect_timeout(timeout.min(Duration::from_secs(10))))
}

impl GrpcClient {
    /// A metrics API at `address`; connects at the first call.
    pub fn new(address: &str, timeout: Duration) -> Result<Self, BackendError> {
        let shown = redact_url(address);
        let fail = |cause: String| BackendError { backend: BACKEND, url: shown.clone(), cause };
        let channel = endpoint(dial_uri(address).map_err(&fail)?, timeout).map_err(&fail)?.connect_lazy();
        Ok(GrpcClient { stubs: stubs(channel.clone(), MAX_ANSWER_BYTES), channel, shown, timeout })
    }

    /// The metrics API of `target`'s pod, through a port-forward of `cluster` (a new one per
    /// connection); connects at the first call.
    pub fn port_forward(cluster: Cluster, target: MetricsApiPod, timeout: Duration) -> Result<Self, BackendError> {
        let shown = format!(
            "{}/{}:{METRICS_API_PORT} (port-forward through {})",
            target.namespace,
            target.pod,
            cluster.shown_url()
        );
        let fail = |cause: String| BackendError { backend: BACKEND, url: shown.clone(), cause };
        let uri = format!("http://{}.{}:{METRICS_API_PORT}", target.pod, target.namespace);
        let connector = tower::service_fn(move |_: http::Uri| {
            let (cluster, target) = (cluster.clone(), target.clone());
            async move { port_forward(&cluster, &target, METRICS_API_PORT).await.map(TokioIo::new) }
        });
        let channel = endpoint(uri, timeout).map_err(&fail)?.connect_with_connector_lazy(connector);
        Ok(GrpcClient { stubs: stubs(channel.clone(), MAX_ANSWER_BYTES), channel, shown, timeout })
    }

    /// Refuses answers larger than `bytes` (`--max-answer-size`) instead of the default.
    pub fn with_answer_limit(mut self, bytes: u64) -> Self {
        self.stubs = stubs(self.channel.clone(), usize::try_from(bytes).unwrap_or(usize::MAX));
        self
    }

    /// The redacted address, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn error(&self, cause: impl Into<String>) -> Rejection {
        Rejection::Backend(BackendError { backend: BACKEND, url: self.shown.clone(), cause: cause.into() })
    }

    async fn call<E: Rpc>(&self, request: &E::Request) -> Result<E::Ok, Rejection> {
        // The request's deadline (a watch refresh's, a server's handler) bounds the call too.
        let deadline = lviz_api::deadline::earliest(std::time::Instant::now() + self.timeout);
        let calling = E::call(self.stubs.clone(), E::to_proto(request));
        let Ok(called) = tokio::time::timeout_at(deadline.into(), calling).await else {
            let waited = humantime::format_duration(self.timeout);
            return Err(self.error(format!("no answer within {waited} (--request-timeout)")));
        };
        let reply = match called {
            Ok(reply) => reply.into_inner(),
            Err(status) if status.code() == Code::Unimplemented => {
                return E::when_unanswered().ok_or_else(|| {
                    self.error(format!("{} is not answered there (UNIMPLEMENTED: {})", E::METHOD, status.message()))
                });
            }
            Err(status) => return Err(self.rejection(&status)),
        };
        if E::at(request).is_some() && E::echoed_at(&reply).is_none() {
            return Err(Rejection::Usage(format!(
                "the metrics API at {} answers {} for now only (it is not lviz serve): remove --at",
                self.shown,
                E::METHOD
            )));
        }
        match E::read_reply(reply) {
            Some(Ok(ok)) => Ok(ok),
            Some(Err(message)) => Err(Rejection::Invalid(hygiene::backend_text(&message))),
            None => Err(self.error(format!("answer to {} has neither `ok` nor `error`", E::METHOD))),
        }
    }

    fn rejection(&self, status: &Status) -> Rejection {
        let message = hygiene::backend_text(status.message());
        match status.code() {
            Code::NotFound => Rejection::NotFound(message),
            Code::InvalidArgument => Rejection::Invalid(message),
            _ => self.error(hygiene::backend_text(&describe(status))),
        }
    }
}

/// A status as one line: the code, the message and (for a transport failure) the innermost
/// cause, which says why a connection failed.
fn describe(status: &Status) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    let code = format!("{:?}", status.code());
    match innermost.filter(|i| !status.message().contains(i.as_str())) {
        Some(i) if status.message().is_empty() => format!("{code}: {i}"),
        Some(i) => format!("{code}: {}: {i}", status.message()),
        None => format!("{code}: {}", status.message()),
    }
}

impl<E: Rpc> Answer<E> for GrpcClient {
    fn answer<'a>(&'a self, request: &'a Validated<E>) -> AnswerFuture<'a, E::Ok> {
        Box::pin(self.call::<E>(request.request()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lviz_api::{Endpoint, ListServicesOk, ListServicesRequest};

    #[test]
    fn addresses() {
        assert_eq!(dial_uri("grpc://127.0.0.1:8085"), Ok("http://127.0.0.1:8085".into()));
        assert_eq!(dial_uri("http://metrics-api.linkerd-viz:8085/"), Ok("http://metrics-api.linkerd-viz:8085".into()));
        assert_eq!(dial_uri("localhost:8085"), Ok("http://localhost:8085".into()));
        assert!(dial_uri("https://h:1").unwrap_err().starts_with("unsupported URL scheme"));
        assert!(dial_uri("grpc://u:pw@h:1").unwrap_err().starts_with("expected HOST:PORT"));
        assert!(dial_uri("grpc://h:1/x").unwrap_err().starts_with("expected HOST:PORT"));
        assert_eq!(dial_uri("grpc://h").unwrap_err(), "missing port (the metrics API listens on 8085)");
    }

    /// A view no method carries yet.
    struct Uncarried;

    impl Endpoint for Uncarried {
        const NAME: &'static str = "uncarried";
        const PATH: &'static str = "/api/v1/uncarried";
        type Request = ListServicesRequest;
        type Ok = ListServicesOk;
        type Spec = ();
        fn validate(_: &ListServicesRequest) -> Result<(), String> {
            Ok(())
        }
        fn at(_: &ListServicesRequest) -> Option<f64> {
            None
        }
        fn set_at(_: &mut ListServicesRequest, _: Option<f64>) {}
    }

    crate::not_carried!(Uncarried, "Uncarried");

    #[tokio::test]
    async fn a_view_no_method_carries_is_a_clear_failure() {
        let client = GrpcClient::new("grpc://127.0.0.1:1", std::time::Duration::from_secs(1)).expect("client");
        let request = Validated::<Uncarried>::new(ListServicesRequest::default()).expect("valid");
        let err = client.answer(&request).await.expect_err("not carried");
        assert_eq!(
            err.to_string(),
            "metrics API at grpc://127.0.0.1:1: Uncarried is not answered there (UNIMPLEMENTED: no gRPC method carries \
             Uncarried yet)"
        );
    }
}

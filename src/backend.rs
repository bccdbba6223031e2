//! The ways a command gets its answers: the embedded engine (lviz queries Prometheus and
//! Kubernetes itself) or a remote metrics API, over HTTP JSON (`lviz serve`) or gRPC
//! (`linkerd2.viz.Api`: `lviz serve` or Linkerd's own metrics-api, directly or through a
//! Kubernetes port-forward). All answer every endpoint of the list with the same types and the
//! same [`Rejection`]s, so rendering and everything after it is one code path. A new front-end
//! (another wire protocol) is one more variant here.

use lviz_api::{Answer, AnswerFuture, Endpoint, Rejection, Validated};
use lviz_engine::Engine;
use lviz_engine::coalesce::CoalesceOptions;
use lviz_grpc::{GrpcClient, Rpc};
use lviz_http::RemoteClient;

use crate::args::{ApiProtocol, ApiVia};
use crate::settings::Settings;

pub enum Backend {
    Embedded(Engine),
    /// `--api-addr http://…`: a metrics API (`lviz serve`) answers over HTTP JSON.
    Remote(RemoteClient),
    /// `--api-addr grpc://…` or `--api-via port-forward`: a metrics API answers over gRPC.
    Grpc(GrpcClient),
}

impl<E> Answer<E> for Backend
where
    E: Endpoint + Rpc,
    Engine: Answer<E>,
{
    fn answer<'a>(&'a self, request: &'a Validated<E>) -> AnswerFuture<'a, E::Ok> {
        match self {
            Backend::Embedded(engine) => engine.answer(request),
            Backend::Remote(client) => client.answer(request),
            Backend::Grpc(client) => client.answer(request),
        }
    }
}

impl Backend {
    /// The backend the settings ask for: remote with `--api-addr` or `--api-via`, else the
    /// embedded engine (whose notes, e.g. `-v`'s, go to stderr as they happen).
    pub async fn connect(settings: &Settings) -> Result<Backend, Rejection> {
        if let Some(remote) = remote(settings).await? {
            return Ok(remote);
        }
        let mut note = |line: String| crate::output::stderr_line(&line);
        let composed =
            lviz_engine::compose(&settings.engine, CoalesceOptions::default(), settings.verbose, &mut note).await?;
        Ok(Backend::Embedded(composed.engine))
    }
}

/// The protocol `--api-addr` is spoken in: `--api-protocol`, else its scheme (`http(s)://` is
/// lviz serve's JSON API; `grpc://` and a bare `HOST:PORT`, as linkerd's `--api-addr` takes it,
/// are gRPC).
fn protocol(addr: &str, explicit: Option<ApiProtocol>) -> ApiProtocol {
    explicit.unwrap_or(if addr.starts_with("http://") || addr.starts_with("https://") {
        ApiProtocol::Json
    } else {
        ApiProtocol::Grpc
    })
}

/// A remote backend, when the settings ask for one.
async fn remote(settings: &Settings) -> Result<Option<Backend>, Rejection> {
    match (&settings.api_addr, settings.api_via, settings.api_protocol) {
        (None, None, None) => Ok(None),
        (None, None, Some(_)) => Err(Rejection::Usage("--api-protocol needs --api-addr".into())),
        (Some(_), Some(_), _) => Err(Rejection::Usage("--api-via and --api-addr cannot be used together".into())),
        (None, Some(ApiVia::PortForward), Some(ApiProtocol::Json)) => Err(Rejection::Usage(
            "--api-via port-forward reaches linkerd-viz's metrics-api, which speaks gRPC only (drop --api-protocol json)"
                .into(),
        )),
        (None, Some(ApiVia::PortForward), _) => {
            let cluster = lviz_k8s::connect(&settings.engine.kube).await?;
            let target =
                lviz_k8s::portforward::find_metrics_api(&cluster, settings.engine.viz_namespace.as_deref()).await?;
            if settings.verbose {
                crate::output::stderr_line(&format!(
                    "lviz: metrics API: pod {}/{} port 8085, through a port-forward of the Kubernetes API at {}",
                    target.namespace,
                    target.pod,
                    cluster.shown_url()
                ));
            }
            let client = GrpcClient::port_forward(cluster, target, settings.timeout)?;
            Ok(Some(Backend::Grpc(client.with_answer_limit(settings.engine.max_answer_bytes))))
        }
        (Some(addr), None, explicit) => Ok(Some(match protocol(addr, explicit) {
            ApiProtocol::Json => {
                Backend::Remote(RemoteClient::with_limit(addr, settings.timeout, settings.engine.max_answer_bytes)?)
            }
            ApiProtocol::Grpc => {
                Backend::Grpc(GrpcClient::new(addr, settings.timeout)?.with_answer_limit(settings.engine.max_answer_bytes))
            }
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_protocol_unless_told() {
        assert_eq!(protocol("http://h:8086", None), ApiProtocol::Json);
        assert_eq!(protocol("https://h", None), ApiProtocol::Json);
        assert_eq!(protocol("grpc://h:8085", None), ApiProtocol::Grpc);
        assert_eq!(protocol("h:8085", None), ApiProtocol::Grpc);
        assert_eq!(protocol("http://h:8085", Some(ApiProtocol::Grpc)), ApiProtocol::Grpc);
    }
}

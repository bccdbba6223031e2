//! The two ways a command gets its answers: the embedded engine (lviz queries Prometheus and
//! Kubernetes itself) or a remote metrics API. Both answer every endpoint of the list with the
//! same types and the same [`Rejection`]s, so rendering and everything after it is one code
//! path. A new front-end (another wire protocol) is one more variant here.

use lviz_api::{Answer, AnswerFuture, Endpoint, Rejection, Validated};
use lviz_engine::Engine;
use lviz_engine::coalesce::CoalesceOptions;
use lviz_http::RemoteClient;

use crate::settings::Settings;

pub enum Backend {
    Embedded(Engine),
    /// `--api-addr`: a metrics API (`lviz serve`) answers over HTTP JSON.
    Remote(RemoteClient),
}

impl<E> Answer<E> for Backend
where
    E: Endpoint,
    Engine: Answer<E>,
{
    fn answer<'a>(&'a self, request: &'a Validated<E>) -> AnswerFuture<'a, E::Ok> {
        match self {
            Backend::Embedded(engine) => engine.answer(request),
            Backend::Remote(client) => client.answer(request),
        }
    }
}

impl Backend {
    /// The backend the settings ask for: remote with `--api-addr`, else the embedded engine
    /// (whose notes, e.g. `-v`'s, go to stderr as they happen).
    pub async fn connect(settings: &Settings) -> Result<Backend, Rejection> {
        if let Some(url) = &settings.api_addr {
            let limit = settings.engine.max_answer_bytes;
            return Ok(Backend::Remote(RemoteClient::with_limit(url, settings.timeout, limit)?));
        }
        let mut note = |line: String| crate::output::stderr_line(&line);
        let composed =
            lviz_engine::compose(&settings.engine, CoalesceOptions::default(), settings.verbose, &mut note).await?;
        Ok(Backend::Embedded(composed.engine))
    }
}

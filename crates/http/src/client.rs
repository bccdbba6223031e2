//! A client of a metrics API over HTTP JSON (`lviz serve`, or anything speaking
//! `metrics-api.openapi.yml`): POSTs any endpoint's request to its path and reads back the same
//! answer the embedded engine gives. Generic over [`Endpoint`]: no endpoint is written here.
//!
//! Statuses come back as the embedded engine's rejections: an error object with 404 is
//! [`Rejection::NotFound`]; with another 4xx (or inside a 200) it is [`Rejection::Invalid`];
//! anything else is [`Rejection::Backend`] naming "metrics API" and the redacted URL. An answer
//! with neither `ok` nor `error` is malformed, not an empty success.

use std::time::Duration;

use lviz_api::limits::{DEFAULT_MAX_ANSWER_BYTES, ERROR_BODY_BYTES, too_large};
use lviz_api::{
    Answer, AnswerFuture, BackendError, Endpoint, Rejection, ResponseError, Validated, hygiene, redact_url,
};

/// The backend name in messages.
pub const BACKEND: &str = "metrics API";

#[derive(Debug, Clone)]
pub struct RemoteClient {
    base: url::Url,
    shown: String,
    http: reqwest::Client,
    timeout: Duration,
    max_answer_bytes: u64,
}

/// Just the error object, to read any error body whatever the endpoint.
#[derive(serde::Deserialize)]
struct ErrorEnvelope {
    error: Option<ResponseError>,
}

impl RemoteClient {
    /// `url` is the API's base (`http://metrics-api.linkerd-viz:8085`, a path prefix is fine).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, BackendError> {
        Self::with_limit(url, timeout, DEFAULT_MAX_ANSWER_BYTES)
    }

    /// [`RemoteClient::new`] with an answer size limit (`--max-answer-size`).
    pub fn with_limit(url: &str, timeout: Duration, max_answer_bytes: u64) -> Result<Self, BackendError> {
        let shown = redact_url(url);
        let fail = |cause: String| BackendError { backend: BACKEND, url: shown.clone(), cause };
        let mut base = url::Url::parse(url).map_err(|e| fail(format!("invalid URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(fail(format!("unsupported URL scheme {:?}", base.scheme())));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| fail(format!("cannot build HTTP client: {e}")))?;
        let max_answer_bytes = if max_answer_bytes == 0 { DEFAULT_MAX_ANSWER_BYTES } else { max_answer_bytes };
        Ok(RemoteClient { base, shown, http, timeout, max_answer_bytes })
    }

    /// The redacted base URL, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// The server's version (`GET /version`, an lviz extension).
    pub async fn server_version(&self) -> Result<String, Rejection> {
        let url = self.base.join("version").map_err(|e| self.error(format!("invalid URL: {e}")))?;
        let response = self.http.get(url).send().await.map_err(|e| self.error(describe(&e)))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| self.error(describe(&e)))?;
        if !status.is_success() {
            return Err(self.error(format!("version answered {status}: {}", first_line(&body))));
        }
        #[derive(serde::Deserialize)]
        struct Version {
            version: String,
        }
        serde_json::from_str::<Version>(&body)
            .map(|v| v.version)
            .map_err(|e| self.error(format!("answer to version is not the API's JSON ({e}): {}", first_line(&body))))
    }

    fn error(&self, cause: impl Into<String>) -> Rejection {
        Rejection::Backend(BackendError { backend: BACKEND, url: self.shown.clone(), cause: cause.into() })
    }

    async fn post<E: Endpoint>(&self, req: &E::Request) -> Result<E::Ok, Rejection> {
        let path = E::PATH.trim_start_matches('/');
        let url = self.base.join(path).map_err(|e| self.error(format!("invalid URL: {e}")))?;
        let deadline = lviz_api::deadline::earliest(std::time::Instant::now() + self.timeout).into();
        let late =
            || self.error(format!("no answer within {} (--request-timeout)", humantime::format_duration(self.timeout)));
        let response = match tokio::time::timeout_at(deadline, self.http.post(url).json(req).send()).await {
            Ok(sent) => sent.map_err(|e| self.error(describe(&e)))?,
            Err(_) => return Err(late()),
        };
        let status = response.status();
        let body = match tokio::time::timeout_at(deadline, self.read_body(response)).await {
            Ok(body) => body?,
            Err(_) => return Err(late()),
        };
        if status.is_success() {
            return self.success::<E>(path, &body);
        }
        let message = serde_json::from_str::<ErrorEnvelope>(&body)
            .ok()
            .and_then(|e| e.error)
            .map(|e| hygiene::backend_text(&e.error))
            .filter(|m| !m.is_empty());
        Err(match message {
            // lviz's own words for a missing object (`deployments.apps "web" not found`) and for
            // an invalid request come back as in embedded mode; any other status is the API's
            // failure, named as such.
            Some(m) if status == reqwest::StatusCode::NOT_FOUND && m.contains("\" not found") => Rejection::NotFound(m),
            Some(m) if status == reqwest::StatusCode::BAD_REQUEST => Rejection::Invalid(m),
            Some(m) => self.error(format!("{status}: {m}")),
            None => self.error(format!("{path} answered {status}: {}", first_line(&body))),
        })
    }

    /// A 200 answer: `{"ok": {…}}` or `{"error": {"error": "…"}}`, nothing else (an `ok` that is
    /// not an object, or an error without a message, is malformed, not an empty success).
    fn success<E: Endpoint>(&self, path: &str, body: &str) -> Result<E::Ok, Rejection> {
        let malformed =
            |why: String| self.error(format!("answer to {path} is not the API's JSON ({why}): {}", first_line(body)));
        let raw: RawEnvelope = serde_json::from_str(body).map_err(|e| malformed(e.to_string()))?;
        match (raw.ok, raw.error) {
            (_, Some(error)) => {
                let message = error.error.map(|m| hygiene::backend_text(&m)).filter(|m| !m.is_empty());
                Err(message.map(Rejection::Invalid).unwrap_or_else(|| malformed("an error without a message".into())))
            }
            (Some(ok), None) if ok.get().trim_start().starts_with('{') => {
                serde_json::from_str(ok.get()).map_err(|e| malformed(e.to_string()))
            }
            (Some(_), None) => Err(malformed("`ok` is not an object".into())),
            (None, None) => Err(self.error(format!("answer to {path} has neither `ok` nor `error`"))),
        }
    }
}

/// A response's two members, `ok` kept raw until its shape is checked.
#[derive(serde::Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow, default)]
    ok: Option<&'a serde_json::value::RawValue>,
    #[serde(default)]
    error: Option<LooseError>,
}

/// The error object, its message optional so that a missing one is reported as malformed.
#[derive(serde::Deserialize)]
struct LooseError {
    #[serde(default)]
    error: Option<String>,
}

impl RemoteClient {
    /// The body, read up to the answer limit (an error answer up to [`ERROR_BODY_BYTES`]).
    async fn read_body(&self, mut response: reqwest::Response) -> Result<String, Rejection> {
        let success = response.status().is_success();
        let limit = if success { self.max_answer_bytes } else { ERROR_BODY_BYTES as u64 };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.error(describe(&e)))? {
            let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
            if chunk.len() > room {
                if success {
                    return Err(self.error(too_large(limit)));
                }
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

impl<E: Endpoint> Answer<E> for RemoteClient {
    fn answer<'a>(&'a self, request: &'a Validated<E>) -> AnswerFuture<'a, E::Ok> {
        Box::pin(self.post::<E>(request.request()))
    }
}

fn first_line(body: &str) -> String {
    let cut = hygiene::backend_text(body.lines().next().unwrap_or("").trim());
    if cut.is_empty() { "(empty body)".to_string() } else { cut }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "request timed out (--request-timeout)".to_string();
    }
    // The innermost cause is the useful one ("Connection refused (os error 111)").
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if e.is_connect() { format!("cannot connect: {text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        let err = RemoteClient::new("ftp://u:pw@h", Duration::from_secs(1)).unwrap_err().to_string();
        assert_eq!(err, "metrics API at ftp://u:***@h/: unsupported URL scheme \"ftp\"");
        let c = RemoteClient::new("http://h:8085/prefix", Duration::from_secs(1)).expect("valid");
        assert_eq!(c.base.join("api/v1/stat").expect("join").as_str(), "http://h:8085/prefix/api/v1/stat");
    }
}

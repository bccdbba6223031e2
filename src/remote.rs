//! The CLI's remote mode: POSTs the spec's requests to a metrics API (`lviz serve`, or anything
//! speaking `metrics-api.openapi.yml`) and reads back the same response types the embedded
//! engine returns. Only this module talks to the metrics API over the network.
//!
//! Statuses come back as the embedded mode's errors: an error object with 404 is
//! `CliError::NotFound`; with another 4xx (or 200) it is `CliError::Response`; anything else is
//! a `CliError::Backend` naming "metrics API" and the redacted URL.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    EdgesRequest, EdgesResponse, GatewaysRequest, GatewaysResponse, ResponseError, StatSummaryRequest,
    StatSummaryResponse, TopRoutesRequest, TopRoutesResponse,
};
use crate::error::CliError;
use crate::prom::{BackendError, redact_url};

const BACKEND: &str = "metrics API";

#[derive(Debug, Clone)]
pub struct RemoteClient {
    base: url::Url,
    shown: String,
    http: reqwest::Client,
}

/// Just the error object, to read any error body whatever the endpoint.
#[derive(serde::Deserialize)]
struct ErrorEnvelope {
    error: Option<ResponseError>,
}

impl RemoteClient {
    /// `url` is the API's base (`http://metrics-api.linkerd-viz:8085`, a path prefix is fine).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, BackendError> {
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
        Ok(RemoteClient { base, shown, http })
    }

    fn error(&self, cause: impl Into<String>) -> CliError {
        CliError::Backend(BackendError { backend: BACKEND, url: self.shown.clone(), cause: cause.into() })
    }

    async fn post<Req: Serialize, Resp: DeserializeOwned>(&self, path: &str, req: &Req) -> Result<Resp, CliError> {
        let url = self.base.join(path).map_err(|e| self.error(format!("invalid URL: {e}")))?;
        let response = self.http.post(url).json(req).send().await.map_err(|e| self.error(describe(&e)))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| self.error(describe(&e)))?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|e| {
                self.error(format!("answer to {path} is not the API's JSON ({e}): {}", first_line(&body)))
            });
        }
        let message = serde_json::from_str::<ErrorEnvelope>(&body).ok().and_then(|e| e.error).map(|e| e.error);
        Err(match message {
            Some(m) if status == reqwest::StatusCode::NOT_FOUND => CliError::NotFound(m),
            Some(m) if status.is_client_error() => CliError::Response(m),
            Some(m) => self.error(format!("{status}: {m}")),
            None => self.error(format!("{path} answered {status}: {}", first_line(&body))),
        })
    }

    pub async fn stat(&self, req: &StatSummaryRequest) -> Result<StatSummaryResponse, CliError> {
        self.post("api/v1/stat", req).await
    }

    pub async fn top_routes(&self, req: &TopRoutesRequest) -> Result<TopRoutesResponse, CliError> {
        self.post("api/v1/top-routes", req).await
    }

    pub async fn edges(&self, req: &EdgesRequest) -> Result<EdgesResponse, CliError> {
        self.post("api/v1/edges", req).await
    }

    pub async fn gateways(&self, req: &GatewaysRequest) -> Result<GatewaysResponse, CliError> {
        self.post("api/v1/gateways", req).await
    }
}

fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    let cut: String = line.chars().take(120).collect();
    if cut.is_empty() { "(empty body)".to_string() } else { cut }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "request timed out".to_string();
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

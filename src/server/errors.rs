//! The HTTP face of every failure: one JSON shape (`{"error":{"error":"…"}}`, the spec's error
//! object), one status policy, and a JSON extractor whose rejections use that shape instead of
//! axum's plain text. Nothing here decides whether a request is valid; the engine does.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache::Answer;
use crate::api::ResponseError;
use crate::engine::EngineError;

/// A failure answered with the spec's error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a ResponseError,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = ResponseError { error: self.message };
        (self.status, Json(ErrorBody { error: &error })).into_response()
    }
}

/// `EngineError::NotFound` → 404; a backend (Prometheus, Kubernetes) failure → 502 Bad
/// Gateway, with the message naming the backend and its redacted URL.
impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            EngineError::Backend(b) => ApiError::new(StatusCode::BAD_GATEWAY, b.to_string()),
        }
    }
}

/// axum's own status for each rejection (400 bad JSON, 415 not JSON, 422 wrong field types,
/// 413 body over the limit), with its text in the error object.
impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::new(r.status(), r.body_text())
    }
}

/// `axum::Json`, rejecting in the spec's error shape.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// A response of the metrics API: its `error` object, if the engine rejected the request.
pub trait WithError: Serialize {
    fn error(&self) -> Option<&ResponseError>;
}

macro_rules! with_error {
    ($($t:ty),*) => {$(
        impl WithError for $t {
            fn error(&self) -> Option<&ResponseError> {
                self.error.as_ref()
            }
        }
    )*};
}

with_error!(
    crate::api::StatSummaryResponse,
    crate::api::TopRoutesResponse,
    crate::api::EdgesResponse,
    crate::api::GatewaysResponse
);

/// 200 with the response; 400 with the same body when the engine put its `error` object in it
/// (the request was invalid: unknown type, bad window, --to with --from, no ServiceProfiles…).
/// Serialized once, here, so the response cache can hand out the same bytes.
pub fn respond<T: WithError>(result: Result<T, EngineError>) -> Answer {
    match result {
        Ok(response) if response.error().is_some() => Answer::json(StatusCode::BAD_REQUEST, &response),
        Ok(response) => Answer::json(StatusCode::OK, &response),
        Err(e) => ApiError::from(e).into(),
    }
}

impl From<ApiError> for Answer {
    fn from(e: ApiError) -> Self {
        let error = ResponseError { error: e.message };
        Answer::json(e.status, &ErrorBody { error: &error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::BackendError;

    #[test]
    fn engine_errors_map_to_statuses() {
        let nf = ApiError::from(EngineError::NotFound("deployments.apps \"x\" not found".into()));
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        let backend = BackendError { backend: "Prometheus", url: "http://p/".into(), cause: "down".into() };
        let e = ApiError::from(EngineError::Backend(backend));
        assert_eq!(e, ApiError::new(StatusCode::BAD_GATEWAY, "Prometheus at http://p/: down"));
    }
}

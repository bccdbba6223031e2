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

use lviz_api::{Envelope, Rejection, ResponseError};

use super::answer::Answer;

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

/// The one mapping of a [`Rejection`] to HTTP: an invalid request → 400 with Linkerd's words;
/// a missing object → 404; a backend (Prometheus, Kubernetes) failure → 502 Bad Gateway, with
/// the message naming the backend and its redacted URL; a configuration problem → 500.
impl From<Rejection> for ApiError {
    fn from(e: Rejection) -> Self {
        match e {
            Rejection::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            Rejection::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            Rejection::Backend(b) => ApiError::new(StatusCode::BAD_GATEWAY, b.to_string()),
            Rejection::Usage(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m),
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
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")));
        if !json {
            let message = "Expected request with `Content-Type: application/json`";
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message));
        }
        let bytes =
            axum::body::Bytes::from_request(req, state).await.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        // Every request body is an object: serde would also read a struct from an array.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let message = "Failed to deserialize the JSON body into the target type: expected a JSON object";
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message));
        }
        let Json(value) = Json::<T>::from_bytes(&bytes)?;
        Ok(ApiJson(value))
    }
}

/// 200 with `{"ok": …}`; otherwise the rejection's status and error object. Serialized once
/// per answer, here, so every cached request gets the same bytes.
pub fn respond<T: Serialize>(result: &Result<T, Rejection>) -> Answer {
    match result {
        Ok(ok) => Answer::json(StatusCode::OK, &Envelope::ok(ok)),
        Err(e) => ApiError::from(e.clone()).into(),
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
    use lviz_api::BackendError;

    #[test]
    fn engine_errors_map_to_statuses() {
        let nf = ApiError::from(Rejection::NotFound("deployments.apps \"x\" not found".into()));
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        assert_eq!(ApiError::from(Rejection::Invalid("bad".into())).status, StatusCode::BAD_REQUEST);
        let backend = BackendError { backend: "Prometheus", url: "http://p/".into(), cause: "down".into() };
        let e = ApiError::from(Rejection::Backend(backend));
        assert_eq!(e, ApiError::new(StatusCode::BAD_GATEWAY, "Prometheus at http://p/: down"));
    }
}

//! The request checks below the handlers, answered with the spec's error object like every
//! other failure: a request line over [`MAX_URI_BYTES`] (414), headers over
//! [`MAX_HEADER_BYTES`] (431), a body over [`BODY_LIMIT`] (413) or one that does not arrive
//! within the body read timeout (408: a stalled client must not hold a handler).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::listener::{MAX_HEADER_BYTES, MAX_URI_BYTES};
use super::{ApiError, AppState, BODY_LIMIT};

/// Checks the request's size and reads its body whole, in time, before any handler runs.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri_bytes = req.uri().to_string().len();
    if uri_bytes > MAX_URI_BYTES {
        let message = format!("request line too long: {uri_bytes} bytes, at most {MAX_URI_BYTES}");
        return ApiError::new(StatusCode::URI_TOO_LONG, message).into_response();
    }
    let header_bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if header_bytes > MAX_HEADER_BYTES {
        let message = format!("request header fields too large: {header_bytes} bytes, at most {MAX_HEADER_BYTES}");
        return ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, message).into_response();
    }
    let (parts, body) = req.into_parts();
    let timeout = state.body_read_timeout();
    let bytes = match tokio::time::timeout(timeout, axum::body::to_bytes(body, BODY_LIMIT)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            let message = format!("request body over the length limit of {BODY_LIMIT} bytes, or cut short");
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
        }
        Err(_) => {
            let message = format!(
                "the request body did not arrive within {} (--header-read-timeout)",
                humantime::format_duration(timeout)
            );
            let mut response = ApiError::new(StatusCode::REQUEST_TIMEOUT, message).into_response();
            response
                .headers_mut()
                .insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

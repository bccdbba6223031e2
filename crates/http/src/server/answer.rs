//! A finished HTTP answer: status and JSON body, cheap to clone (the body is shared). The
//! answer cache both servers share (`lviz_engine::serving`) keeps typed answers; the HTTP face
//! keeps its encoding of each beside it, so a cached answer is serialized once.

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A finished answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// The answer of a serializable body. A body that cannot be serialized (it always can)
    /// becomes a 500 rather than a panic.
    pub fn json(status: StatusCode, body: &impl Serialize) -> Answer {
        match serde_json::to_vec(body) {
            Ok(bytes) => Answer { status, body: Bytes::from(bytes) },
            Err(e) => Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: Bytes::from(format!(r#"{{"error":{{"error":"cannot encode the answer: {e}"}}}}"#)),
            },
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}

//! The shape every response of the spec shares: `{"ok": {...}}` or `{"error": {"error": "..."}}`.

use serde::{Deserialize, Serialize};

use crate::error::Rejection;

/// The spec's `error` object. Extra fields are ignored by clients of the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseError {
    pub error: String,
}

/// A response of the metrics API: exactly one of `ok` and `error` is set in a well-formed one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Envelope<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ResponseError>,
}

impl<T> Envelope<T> {
    pub fn ok(ok: T) -> Self {
        Envelope { ok: Some(ok), error: None }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Envelope { ok: None, error: Some(ResponseError { error: message.into() }) }
    }

    /// The answer, or the error it carries as [`Rejection::Invalid`]. `None` when the response
    /// holds neither (a malformed answer, which the caller reports as such).
    pub fn into_result(self) -> Option<Result<T, Rejection>> {
        match (self.ok, self.error) {
            (_, Some(e)) => Some(Err(Rejection::Invalid(e.error))),
            (Some(ok), None) => Some(Ok(ok)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ok: Envelope<u8> = Envelope::ok(1);
        assert_eq!(serde_json::to_string(&ok).expect("json"), r#"{"ok":1}"#);
        let err: Envelope<u8> = Envelope::error("nope");
        assert_eq!(serde_json::to_string(&err).expect("json"), r#"{"error":{"error":"nope"}}"#);
        assert_eq!(err.into_result(), Some(Err(Rejection::Invalid("nope".into()))));
        let empty: Envelope<u8> = serde_json::from_str("{}").expect("json");
        assert_eq!(empty.into_result(), None);
    }
}

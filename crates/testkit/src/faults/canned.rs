//! Error bodies of every kind a backend, or what stands in front of it, may send (an ingress's
//! HTML page, a Kubernetes `Status`, Prometheus's envelope, the metrics API's error object, or
//! nothing), hostile text, huge errors, credential echoes, and each backend's good body (the one
//! the transport faults break). Backend-specific wording lives in the backend's own module.

use super::Backend;
use super::body::Body;
use super::conn::SeenRequest;
use super::plan::Reply;
use super::{kubernetes, metrics_api, prometheus};

/// The kind of an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBody {
    /// An nginx-style HTML page, as an ingress or proxy in front of the backend answers.
    Html,
    /// A Kubernetes `metav1.Status` (the API server, or its service proxy in front of Prometheus).
    Status,
    /// Prometheus's `{"status":"error","errorType":…,"error":…}`.
    Envelope,
    /// The metrics API's `{"error":{"error":…}}`.
    ApiError,
    /// No body at all.
    Empty,
}

impl ErrorBody {
    /// Short name for catalog entries.
    pub fn name(self) -> &'static str {
        match self {
            ErrorBody::Html => "html",
            ErrorBody::Status => "status",
            ErrorBody::Envelope => "envelope",
            ErrorBody::ApiError => "api-error",
            ErrorBody::Empty => "empty",
        }
    }

    /// The backend's own error kind.
    pub fn native(backend: Backend) -> ErrorBody {
        match backend {
            Backend::Prometheus => ErrorBody::Envelope,
            Backend::Kube => ErrorBody::Status,
            Backend::MetricsApi => ErrorBody::ApiError,
        }
    }

    /// The kinds a backend plausibly answers with (Prometheus behind the API server's service
    /// proxy answers `Status` bodies too).
    pub fn for_backend(backend: Backend) -> &'static [ErrorBody] {
        match backend {
            Backend::Prometheus => &[ErrorBody::Envelope, ErrorBody::Status, ErrorBody::Html, ErrorBody::Empty],
            Backend::Kube => &[ErrorBody::Status, ErrorBody::Html, ErrorBody::Empty],
            Backend::MetricsApi => &[ErrorBody::ApiError, ErrorBody::Html, ErrorBody::Empty],
        }
    }
}

/// `code` with a body of `kind` carrying a realistic message.
pub fn error_reply(code: u16, kind: ErrorBody) -> Reply {
    let message = match kind {
        ErrorBody::Status => kubernetes::message(code),
        _ => default_message(code),
    };
    error_reply_with(code, kind, message)
}

/// `code` with a body of `kind` carrying `message` (raw, not HTML-escaped, in an HTML page).
pub fn error_reply_with(code: u16, kind: ErrorBody, message: &str) -> Reply {
    let json = "application/json";
    match kind {
        ErrorBody::Html => Reply::new(code, "text/html", html_page(code, message)),
        ErrorBody::Status => Reply::new(code, json, kubernetes::status(code, message)),
        ErrorBody::Envelope => {
            Reply::new(code, json, prometheus::error_envelope(prometheus::error_type(code), message))
        }
        ErrorBody::ApiError => Reply::new(code, json, metrics_api::error(message)),
        ErrorBody::Empty => Reply::empty(code),
    }
}

fn default_message(code: u16) -> &'static str {
    match code {
        401 => "unauthorized: invalid credentials",
        403 => "forbidden: the tenant has no access to this data",
        404 => "not found",
        429 => "too many outstanding requests",
        500 => "unexpected error: out of memory",
        502 => "bad gateway: the upstream closed the connection",
        503 => "the query engine is unavailable",
        _ => "error",
    }
}

/// An nginx-style error page.
pub fn html_page(code: u16, message: &str) -> String {
    let title = format!("{code} {}", reason_phrase(code));
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<p>{message}</p>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// The HTTP reason phrase of a code.
pub fn reason_phrase(code: u16) -> &'static str {
    axum::http::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()).unwrap_or("Unknown")
}

/// Text a terminal must never receive raw: ANSI colour, screen clear and title escapes, BEL, a
/// bare CR that overwrites the line, NUL, and bidi overrides (Trojan Source).
pub fn hostile_text() -> String {
    "\u{1b}[31mquery failed\u{1b}[0m\u{7} \u{1b}]0;pwned\u{7}\rOVERWRITTEN \u{0}nul \u{202e}txet desrever\u{202c} \u{2067}isolate\u{2069} \u{1b}[2J".into()
}

/// The first character in `text` that must not reach a terminal raw: a C0 control other than
/// newline and tab, DEL, a C1 control, or a bidi embedding, override or isolate. The check a
/// test makes on everything lviz prints.
pub fn unsafe_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// A single-line message of `bytes` bytes (no newline anywhere).
pub fn long_line(bytes: usize) -> String {
    let unit = "error detail without end ";
    let mut line = unit.repeat(bytes / unit.len() + 1);
    line.truncate(bytes);
    line
}

/// A body of the backend's native error kind of about `bytes` bytes, generated as it is sent.
pub fn huge_error(backend: Backend, bytes: u64) -> Body {
    let (head, tail) = match backend {
        Backend::Prometheus => (r#"{"status":"error","errorType":"internal","error":""#, r#""}"#),
        Backend::Kube => (
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"InternalError","code":500,"message":""#,
            r#""}"#,
        ),
        Backend::MetricsApi => (r#"{"error":{"error":""#, r#""}}"#),
    };
    Body::repeat_to_size(head, "out of memory while building the answer; ", "", tail, bytes)
}

/// A valid answer of the backend of about `bytes` bytes (one series, pod or row per item),
/// generated as it is sent.
pub fn huge_answer(backend: Backend, bytes: u64) -> Body {
    match backend {
        Backend::Prometheus => prometheus::huge_vector(bytes),
        Backend::Kube => kubernetes::huge_list(bytes),
        Backend::MetricsApi => metrics_api::huge_stat(bytes),
    }
}

/// A backend's good answer, small enough to hold and long enough to drip for seconds.
pub fn good_body(backend: Backend) -> String {
    match backend {
        Backend::Prometheus => prometheus::good_vector(),
        Backend::Kube => kubernetes::good_list(),
        Backend::MetricsApi => metrics_api::good_stat(),
    }
}

/// `status` with a native error body quoting every request header and the request target.
pub fn echo_credentials(request: &SeenRequest, status: u16, backend: Backend) -> Reply {
    let headers: Vec<String> = request.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let message =
        format!("access denied for {} {} with headers [{}]", request.method, request.target, headers.join("; "));
    error_reply_with(status, ErrorBody::native(backend), &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hostile_character_is_unsafe() {
        let hostile = hostile_text();
        for c in hostile.chars().filter(|c| !c.is_ascii_graphic() && *c != ' ') {
            assert_eq!(unsafe_char(&c.to_string()), Some(c), "{c:?}");
        }
        assert_eq!(unsafe_char("error: Prometheus at http://127.0.0.1:9090/: 503\n\tcaused by: x"), None);
        assert_eq!(unsafe_char("naïve — 日本"), None);
    }
}

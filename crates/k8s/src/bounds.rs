//! How every Kubernetes call is bounded: the kube client's connect and read timeouts, no
//! unbounded retries (kube's default policy retries 429/503 fifteen times and honours any
//! `Retry-After`), answer bodies read through a size limit (an error body is cut at
//! [`ERROR_BODY_BYTES`], any other refused past `--max-answer-size`), and each call given up at
//! the request's deadline (`lviz_api::deadline`), naming the API server.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use kube::client::{ClientBuilder, DynBody};
use lviz_api::limits::{DEFAULT_MAX_ANSWER_BYTES, ERROR_BODY_BYTES, too_large};
use tower::BoxError;

/// The bounds of one cluster's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubeLimits {
    /// `--request-timeout`: what one request may take, every call inside it together.
    pub timeout: Duration,
    /// `--max-answer-size` (0: the default).
    pub max_answer_bytes: u64,
}

impl Default for KubeLimits {
    fn default() -> Self {
        KubeLimits { timeout: Duration::from_secs(30), max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES }
    }
}

impl KubeLimits {
    pub(crate) fn answer_limit(&self) -> u64 {
        if self.max_answer_bytes == 0 { DEFAULT_MAX_ANSWER_BYTES } else { self.max_answer_bytes }
    }

    /// The kube configuration with these bounds: connect and read timeouts, retries off (lviz
    /// retries within the deadline itself, see `live.rs`).
    pub(crate) fn configure(&self, config: &mut kube::Config) {
        config.connect_timeout = Some(self.timeout.min(Duration::from_secs(10)));
        config.read_timeout = Some(self.timeout);
        config.write_timeout = Some(self.timeout);
        config.default_retry = false;
    }

    /// The client, its answers read through the size limit (watch streams excepted: they are
    /// meant to go on for as long as the server runs).
    pub(crate) fn client(&self, config: kube::Config) -> Result<kube::Client, kube::Error> {
        let limit = self.answer_limit();
        let pages = Arc::new(Mutex::new(HashMap::new()));
        let layer = tower::layer::layer_fn(move |inner| BoundedService { inner, limit, pages: pages.clone() });
        Ok(ClientBuilder::try_from(config)?.with_layer(&layer).build())
    }

    /// The cause of a call that ran out of the request's time.
    pub fn late(&self) -> String {
        format!("no answer within {} (--request-timeout)", humantime::format_duration(self.timeout))
    }

    /// `call`, given up at the request's deadline (or this timeout from now).
    pub async fn within<T>(&self, call: impl Future<Output = T>) -> Result<T, String> {
        let deadline = lviz_api::deadline::earliest(std::time::Instant::now() + self.timeout);
        tokio::time::timeout_at(deadline.into(), call).await.map_err(|_| self.late())
    }
}

/// The kube client's service with every non-watch answer read through [`Bounded`].
#[derive(Clone)]
struct BoundedService<S> {
    inner: S,
    limit: u64,
    /// The lists in progress, by path and query (without the token): how often each
    /// `continue` token was followed. The watch-backed caches list through kube's own pager,
    /// so the guard against endless paging lives here.
    pages: Arc<Mutex<HashMap<String, HashMap<String, usize>>>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Pages one list may take before it is refused (see `live.rs`'s own guard); identical lists
/// running at once share the count, hence the headroom.
const MAX_LIST_PAGES: usize = 2000;
/// How often one `continue` token may be followed: identical lists running at once follow the
/// same tokens, a server that repeats one follows it forever.
const MAX_TOKEN_REPEATS: usize = 8;

impl<S> BoundedService<S> {
    /// Refuses a list that keeps following the same `continue` token or does not end; a
    /// request without a token starts the count of its list anew.
    fn check_paging(&self, uri: &http::Uri) -> Result<(), BoxError> {
        let query = uri.query().unwrap_or("");
        let token = query.split('&').find_map(|p| p.strip_prefix("continue="));
        let rest: Vec<&str> = query.split('&').filter(|p| !p.starts_with("continue=")).collect();
        let key = format!("{}?{}", uri.path(), rest.join("&"));
        let mut pages = self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(token) = token else {
            pages.remove(&key);
            return Ok(());
        };
        let list = pages.entry(key).or_default();
        let seen = list.entry(token.to_string()).or_default();
        *seen += 1;
        if *seen > MAX_TOKEN_REPEATS {
            return Err("the API server repeats a list's continue token (the list would never end)".into());
        }
        if list.len() > MAX_LIST_PAGES {
            return Err(format!("a list did not end after {MAX_LIST_PAGES} pages (runaway continue tokens)").into());
        }
        Ok(())
    }
}

impl<S> tower::Service<http::Request<kube::client::Body>> for BoundedService<S>
where
    S: tower::Service<http::Request<kube::client::Body>, Response = http::Response<Box<DynBody>>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Box<DynBody>>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<kube::client::Body>) -> Self::Future {
        let watch = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
        if !watch && let Err(e) = self.check_paging(request.uri()) {
            return Box::pin(async move { Err(e) });
        }
        let limit = self.limit;
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            if watch {
                return Ok(response);
            }
            let cut = !response.status().is_success();
            let limit = if cut { ERROR_BODY_BYTES as u64 } else { limit };
            Ok(response.map(|body| Box::new(Bounded { inner: body, seen: 0, limit, cut, done: false }) as Box<DynBody>))
        })
    }
}

/// A body read up to `limit` bytes: past it, an error answer ends (cut at a character
/// boundary, so its text still decodes), any other fails naming the limit.
struct Bounded {
    inner: Box<DynBody>,
    seen: u64,
    limit: u64,
    cut: bool,
    done: bool,
}

#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&too_large(self.0))
    }
}

impl std::error::Error for TooLarge {}

impl HttpBody for Bounded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        let mut data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => return Poll::Ready(Some(Ok(frame))),
        };
        let room = self.limit.saturating_sub(self.seen);
        if data.len() as u64 > room {
            if !self.cut {
                self.done = true;
                return Poll::Ready(Some(Err(Box::new(TooLarge(self.limit)))));
            }
            let mut end = usize::try_from(room).unwrap_or(0);
            while end > 0 && end < data.len() && data[end] & 0xC0 == 0x80 {
                end -= 1;
            }
            data.truncate(end);
            self.done = true;
        }
        self.seen += data.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_that_never_ends_is_refused() {
        let service = BoundedService { inner: (), limit: 1, pages: Arc::default() };
        let uri = |q: &str| format!("/api/v1/pods?limit=500{q}").parse::<http::Uri>().expect("uri");
        assert!(service.check_paging(&uri("")).is_ok());
        // Identical lists at once follow the same tokens: a few repeats are fine.
        for _ in 0..MAX_TOKEN_REPEATS {
            assert!(service.check_paging(&uri("&continue=abc")).is_ok());
        }
        let repeated = service.check_paging(&uri("&continue=abc")).expect_err("repeated forever");
        assert!(repeated.to_string().contains("repeats a list's continue token"), "{repeated}");
        // A new list starts the count anew; endless distinct tokens are refused too.
        assert!(service.check_paging(&uri("")).is_ok());
        let endless: Vec<_> =
            (0..=MAX_LIST_PAGES).map(|i| service.check_paging(&uri(&format!("&continue=t{i}")))).collect();
        assert!(endless[..MAX_LIST_PAGES].iter().all(Result::is_ok) && endless[MAX_LIST_PAGES].is_err());
        // Another selector is another list.
        assert!(service.check_paging(&"/api/v1/pods?labelSelector=a&continue=abc".parse().expect("uri")).is_ok());
    }
}

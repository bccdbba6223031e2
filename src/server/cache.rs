//! A short-lived cache of whole answers with single flight, so a dashboard's repeated polls of
//! one view cost Prometheus and Kubernetes one computation per TTL, and the server answers the
//! rest from memory.
//!
//! Key: the endpoint, the request re-serialized (so spacing and field order of the client's
//! JSON do not matter) and its evaluation time: the `at` it names, or, for "now", the 10-second
//! bucket the request arrived in (a typical scrape interval: Prometheus has at most one new
//! sample per series within it). An entry is used while it is in its bucket and younger than the
//! TTL; with the TTL at the bucket size, each view costs at most one query set per bucket.
//! Identical requests arriving while one is being computed wait for it instead of computing
//! their own. Only 200 and 400 answers (a deterministic rejection) are kept; a 404 or a backend
//! failure is answered to everyone who waited for it and then forgotten.
//!
//! It reads no request field but `at`, and knows nothing of what the engine computes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde::Serialize;

use crate::engine::coalesce::NOW_BUCKET_SECS;

/// Above this many entries, expired ones are dropped, and if that is not enough, all of them.
const CAPACITY: usize = 1024;

/// A finished answer: status and JSON body, cheap to clone (the body is shared).
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

    fn cacheable(&self) -> bool {
        matches!(self.status, StatusCode::OK | StatusCode::BAD_REQUEST)
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}

/// What the cache has done since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseCacheStats {
    /// Requests answered from a stored answer.
    pub hits: u64,
    /// Requests that waited for an identical request already being computed.
    pub joined: u64,
    /// Requests that were computed.
    pub misses: u64,
    /// Answers stored now.
    pub entries: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EvalTime {
    /// An explicit evaluation time, by its bits.
    At(u64),
    /// "Now", by the bucket of [`NOW_BUCKET_SECS`] the request arrived in.
    NowBucket(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    endpoint: &'static str,
    request: String,
    at: EvalTime,
}

type Flight = Shared<BoxFuture<'static, Answer>>;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    joined: AtomicU64,
    misses: AtomicU64,
}

struct State {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (Instant, Answer)>>,
    in_flight: Mutex<HashMap<Key, Flight>>,
    counters: Counters,
}

/// The cache; `None` TTL (or zero) turns it off and every request is computed.
pub struct ResponseCache {
    state: Option<Arc<State>>,
}

/// A poisoned lock only means another thread panicked mid-update of a plain map; the map is
/// still usable, and refusing service would be worse.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn eval_time(at: Option<f64>) -> EvalTime {
    match at {
        Some(t) => EvalTime::At(t.to_bits()),
        None => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            EvalTime::NowBucket(now / NOW_BUCKET_SECS)
        }
    }
}

impl ResponseCache {
    pub fn new(ttl: Option<Duration>) -> Self {
        let state = ttl.filter(|t| !t.is_zero()).map(|ttl| {
            Arc::new(State {
                ttl,
                entries: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            })
        });
        ResponseCache { state }
    }

    pub fn stats(&self) -> ResponseCacheStats {
        let Some(state) = &self.state else { return ResponseCacheStats::default() };
        let c = &state.counters;
        ResponseCacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            joined: c.joined.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            entries: lock(&state.entries).len() as u64,
        }
    }

    /// The answer to `request` on `endpoint`: stored, joined, or computed by `compute` (which
    /// runs on its own task, so it finishes and is stored even if every caller gave up).
    pub async fn answer<F, Fut>(
        &self,
        endpoint: &'static str,
        request: &impl Serialize,
        at: Option<f64>,
        compute: F,
    ) -> Answer
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Answer> + Send + 'static,
    {
        let Some(state) = &self.state else { return compute().await };
        let Ok(text) = serde_json::to_string(request) else { return compute().await };
        let key = Key { endpoint, request: text, at: eval_time(at) };
        if let Some(answer) = state.stored(&key) {
            state.counters.hits.fetch_add(1, Ordering::Relaxed);
            return answer;
        }
        let flight = {
            let mut in_flight = lock(&state.in_flight);
            // Checked again under the flight lock: a flight stores its answer before it leaves
            // the map, so a request never computes what has just been stored.
            if let Some(answer) = state.stored(&key) {
                state.counters.hits.fetch_add(1, Ordering::Relaxed);
                return answer;
            }
            if let Some(flight) = in_flight.get(&key) {
                state.counters.joined.fetch_add(1, Ordering::Relaxed);
                flight.clone()
            } else {
                state.counters.misses.fetch_add(1, Ordering::Relaxed);
                let owner = Arc::clone(state);
                let flight_key = key.clone();
                let computing = compute();
                let flight: Flight = async move {
                    let answer = computing.await;
                    if answer.cacheable() {
                        owner.remember(flight_key.clone(), answer.clone());
                    }
                    lock(&owner.in_flight).remove(&flight_key);
                    answer
                }
                .boxed()
                .shared();
                in_flight.insert(key, flight.clone());
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(flight.clone());
                }
                flight
            }
        };
        flight.await
    }
}

impl State {
    fn stored(&self, key: &Key) -> Option<Answer> {
        let entries = lock(&self.entries);
        let (stored, answer) = entries.get(key)?;
        (stored.elapsed() < self.ttl).then(|| answer.clone())
    }

    fn remember(&self, key: Key, answer: Answer) {
        let mut entries = lock(&self.entries);
        // Misses are rare (one per view per TTL), so sweeping on each keeps memory to the views
        // polled within the last TTL.
        entries.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn ok(n: usize) -> Answer {
        Answer { status: StatusCode::OK, body: Bytes::from(n.to_string()) }
    }

    #[tokio::test]
    async fn concurrent_identical_requests_compute_once_then_hit() {
        let cache = ResponseCache::new(Some(Duration::from_secs(60)));
        let computed = Arc::new(AtomicUsize::new(0));
        let body = serde_json::json!({"a": 1});
        let ask = || {
            let computed = Arc::clone(&computed);
            cache.answer("stat", &body, Some(5.0), move || async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                ok(computed.fetch_add(1, Ordering::SeqCst) + 1)
            })
        };
        let answers = futures::future::join_all((0..10).map(|_| ask())).await;
        assert!(answers.iter().all(|a| *a == ok(1)), "{answers:?}");
        assert_eq!(ask().await, ok(1));
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats(), ResponseCacheStats { hits: 1, joined: 9, misses: 1, entries: 1 });
    }

    #[tokio::test]
    async fn key_is_endpoint_request_and_time() {
        let cache = ResponseCache::new(Some(Duration::from_secs(60)));
        let n = AtomicUsize::new(0);
        let ask = async |endpoint: &'static str, body: serde_json::Value, at: Option<f64>| {
            let v = n.fetch_add(1, Ordering::SeqCst);
            cache.answer(endpoint, &body, at, move || async move { ok(v) }).await
        };
        let a = ask("stat", serde_json::json!({"a": 1}), Some(1.0)).await;
        assert_eq!(ask("stat", serde_json::json!({"a": 1}), Some(1.0)).await, a);
        assert_ne!(ask("edges", serde_json::json!({"a": 1}), Some(1.0)).await, a);
        assert_ne!(ask("stat", serde_json::json!({"a": 2}), Some(1.0)).await, a);
        assert_ne!(ask("stat", serde_json::json!({"a": 1}), Some(2.0)).await, a);
        let now = ask("stat", serde_json::json!({"a": 1}), None).await;
        // Unless the 10 s bucket turned just now, "now" is answered from the cache too.
        let again = ask("stat", serde_json::json!({"a": 1}), None).await;
        assert!(again == now || cache.stats().misses == 6, "{again:?} {now:?}");
    }

    #[tokio::test]
    async fn failures_are_shared_but_not_kept_and_off_means_off() {
        let cache = ResponseCache::new(Some(Duration::from_secs(60)));
        let bad = Answer { status: StatusCode::BAD_GATEWAY, body: Bytes::from_static(b"{}") };
        let answer = |b: Answer| cache.answer("stat", &1, Some(1.0), move || async move { b });
        assert_eq!(answer(bad.clone()).await, bad);
        assert_eq!(answer(ok(2)).await, ok(2), "the failure was not stored");
        assert_eq!(answer(ok(3)).await, ok(2), "the success was");

        let off = ResponseCache::new(Some(Duration::ZERO));
        assert_eq!(off.answer("stat", &1, Some(1.0), || async { ok(1) }).await, ok(1));
        assert_eq!(off.answer("stat", &1, Some(1.0), || async { ok(2) }).await, ok(2));
        assert_eq!(off.stats(), ResponseCacheStats::default());
    }

    #[tokio::test]
    async fn entries_expire_after_the_ttl() {
        let cache = ResponseCache::new(Some(Duration::from_millis(20)));
        assert_eq!(cache.answer("stat", &1, Some(1.0), || async { ok(1) }).await, ok(1));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.answer("stat", &1, Some(1.0), || async { ok(2) }).await, ok(2));
        assert_eq!(cache.stats().entries, 1, "the expired entry was swept");
    }
}

//! A `Metrics` wrapper that spares Prometheus: identical concurrent queries (same text, same
//! evaluation time) are sent once and every caller gets the answer (single flight); at most
//! `max_in_flight` queries are outstanding at a time; answers may be reused for a short TTL; and
//! the scrape interval is read once a minute instead of once per request. It counts what it
//! actually sends so tests and `lviz serve`'s `/metrics` can show the effect.
//!
//! It builds no query and reads no sample: it only decides whether, and when, to ask.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;

use crate::Metrics;
use lviz_prom::{BackendError, Sample};

/// Queries evaluated "now" share a cache slot per bucket of this many seconds (a typical scrape
/// interval): within one bucket Prometheus has at most one new sample per series anyway.
pub const NOW_BUCKET_SECS: u64 = 10;
/// Above this many cached answers, expired ones are dropped, and if that is not enough, all.
const CACHE_CAPACITY: usize = 4096;
/// How long a known scrape interval is trusted; an unknown one is asked again sooner.
const INTERVAL_TTL: Duration = Duration::from_secs(60);
const UNKNOWN_INTERVAL_TTL: Duration = Duration::from_secs(5);
/// The readiness probe's query: cheap, always a one-sample vector.
const PROBE_QUERY: &str = "vector(1)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoalesceOptions {
    /// Queries outstanding towards Prometheus at once (at least 1).
    pub max_in_flight: usize,
    /// Reuse a successful answer for this long; `None` disables the cache.
    pub cache_ttl: Option<Duration>,
}

impl Default for CoalesceOptions {
    fn default() -> Self {
        CoalesceOptions { max_in_flight: 16, cache_ttl: None }
    }
}

/// What the wrapper has done since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoalesceStats {
    /// Queries actually sent to the wrapped backend.
    pub sent: u64,
    /// Callers that joined a query already in flight instead of sending their own.
    pub coalesced: u64,
    /// Callers answered from the cache.
    pub cache_hits: u64,
    /// Sent queries that failed.
    pub failed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EvalTime {
    /// An explicit evaluation time, by its bits (the same f64 is the same instant).
    At(u64),
    /// Prometheus's now: concurrent callers share whatever "now" the flight asked for.
    Now,
    /// Prometheus's now, as a cache slot: the bucket of [`NOW_BUCKET_SECS`] it fell in.
    NowBucket(u64),
}

/// What is asked of the backend about a query text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ask {
    /// The instant vector itself ([`Metrics::query`]).
    Vector,
    /// Quantiles of a bucket-rate query ([`Metrics::query_quantiles`]), by the bits of each q.
    Quantiles(Vec<u64>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The query text; for quantiles, the parts of the bucket vector.
    queries: Vec<String>,
    ask: Ask,
    at: EvalTime,
}

/// A backend's answer to an [`Ask`], shared by every caller of a flight and by the cache.
#[derive(Debug, Clone)]
enum Value {
    Vector(Arc<Vec<Sample>>),
    Quantiles(Arc<Vec<Vec<Sample>>>),
}

type Answer = Result<Value, BackendError>;
type Flight = Shared<BoxFuture<'static, Answer>>;
/// A cached answer and when it was stored.
type Cached = (Instant, Value);

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    coalesced: AtomicU64,
    cache_hits: AtomicU64,
    failed: AtomicU64,
}

/// The shared state a flight needs after its caller may have gone away.
struct State {
    inner: Arc<dyn Metrics>,
    permits: Semaphore,
    max_in_flight: usize,
    cache_ttl: Option<Duration>,
    in_flight: Mutex<HashMap<Key, Flight>>,
    cache: Mutex<HashMap<Key, Cached>>,
    counters: Counters,
}

pub struct Coalescing {
    state: Arc<State>,
    interval: tokio::sync::Mutex<Option<(Instant, Option<Duration>)>>,
}

/// A poisoned lock only means another thread panicked mid-update of a plain map; the map is
/// still usable, and refusing service would be worse.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn flight_key(queries: &[String], ask: &Ask, at: Option<f64>) -> Key {
    Key { queries: queries.to_vec(), ask: ask.clone(), at: at.map_or(EvalTime::Now, |t| EvalTime::At(t.to_bits())) }
}

fn cache_key(queries: &[String], ask: &Ask, at: Option<f64>) -> Key {
    let at = match at {
        Some(t) => EvalTime::At(t.to_bits()),
        None => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            EvalTime::NowBucket(now / NOW_BUCKET_SECS)
        }
    };
    Key { queries: queries.to_vec(), ask: ask.clone(), at }
}

impl Coalescing {
    pub fn new(inner: Arc<dyn Metrics>, options: CoalesceOptions) -> Self {
        let state = State {
            inner,
            permits: Semaphore::new(options.max_in_flight.max(1)),
            max_in_flight: options.max_in_flight.max(1),
            cache_ttl: options.cache_ttl.filter(|ttl| !ttl.is_zero()),
            in_flight: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        };
        Coalescing { state: Arc::new(state), interval: tokio::sync::Mutex::new(None) }
    }

    pub fn stats(&self) -> CoalesceStats {
        let c = &self.state.counters;
        CoalesceStats {
            sent: c.sent.load(Ordering::Relaxed),
            coalesced: c.coalesced.load(Ordering::Relaxed),
            cache_hits: c.cache_hits.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// Readiness: one cheap query straight to the backend (not cached, not counted).
    pub async fn probe(&self) -> Result<(), BackendError> {
        self.state.inner.query(PROBE_QUERY, None).await.map(|_| ())
    }

    fn cached(&self, key: &Key) -> Option<Value> {
        let ttl = self.state.cache_ttl?;
        let cache = lock(&self.state.cache);
        let (stored, value) = cache.get(key)?;
        (stored.elapsed() < ttl).then(|| value.clone())
    }

    /// The flight for `key`, and whether this caller started it.
    fn join_or_start(&self, key: Key, cache_key: Key, at: Option<f64>) -> (Flight, bool) {
        let mut in_flight = lock(&self.state.in_flight);
        if let Some(flight) = in_flight.get(&key) {
            return (flight.clone(), false);
        }
        let state = Arc::clone(&self.state);
        let flight_key = key.clone();
        // The flight runs on its own task (see `fetch`): it keeps the deadline of the request
        // that started it, so it ends by then (freeing its permit and its map entry) even when
        // every caller has gone.
        let deadline = lviz_api::deadline::current();
        let flight = lviz_api::deadline::scope(deadline, async move {
            let answer = {
                // One permit per query sent (the parts of a bucket vector go out together). The
                // semaphore is never closed; should it be, the queries go out unbounded.
                let sent = flight_key.queries.len();
                let wanted = u32::try_from(sent.clamp(1, state.max_in_flight)).unwrap_or(1);
                let _permits = state.permits.acquire_many(wanted).await.ok();
                state.counters.sent.fetch_add(sent as u64, Ordering::Relaxed);
                state.ask(&flight_key, at).await
            };
            match &answer {
                Ok(value) => state.remember(cache_key, value),
                Err(_) => {
                    state.counters.failed.fetch_add(flight_key.queries.len() as u64, Ordering::Relaxed);
                }
            }
            lock(&state.in_flight).remove(&flight_key);
            answer
        })
        .boxed()
        .shared();
        in_flight.insert(key, flight.clone());
        (flight, true)
    }
}

impl State {
    /// Sends `key`'s question to the wrapped backend.
    async fn ask(&self, key: &Key, at: Option<f64>) -> Answer {
        match &key.ask {
            Ask::Vector => {
                let query = key.queries.first().map(String::as_str).unwrap_or_default();
                self.inner.query(query, at).await.map(|v| Value::Vector(Arc::new(v)))
            }
            Ask::Quantiles(bits) => {
                let qs: Vec<f64> = bits.iter().map(|b| f64::from_bits(*b)).collect();
                self.inner.query_quantiles(&key.queries, &qs, at).await.map(|v| Value::Quantiles(Arc::new(v)))
            }
        }
    }

    fn remember(&self, key: Key, value: &Value) {
        let Some(ttl) = self.cache_ttl else { return };
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, (stored, _)| stored.elapsed() < ttl);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), value.clone()));
    }
}

impl Coalescing {
    /// The answer to `ask` about `query`: from the cache, from a flight already on its way, or
    /// from a new flight.
    async fn fetch(&self, queries: &[String], ask: Ask, at: Option<f64>) -> Answer {
        let cache_key = cache_key(queries, &ask, at);
        if let Some(value) = self.cached(&cache_key) {
            // Counted in queries, like `sent`: a bucket vector's parts count one each.
            self.state.counters.cache_hits.fetch_add(queries.len() as u64, Ordering::Relaxed);
            return Ok(value);
        }
        let (flight, started) = self.join_or_start(flight_key(queries, &ask, at), cache_key, at);
        if started {
            // Run the flight on its own so it finishes (and frees its permit and its map
            // entry) even if every caller gives up, e.g. on a request timeout.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(flight.clone());
            }
        } else {
            self.state.counters.coalesced.fetch_add(queries.len() as u64, Ordering::Relaxed);
        }
        flight.await
    }
}

/// Keys carry the [`Ask`], so a flight or cache entry always holds the matching [`Value`]; a
/// mismatch would be a bug here, reported as a failure rather than a panic.
fn mismatch(query: &str) -> BackendError {
    BackendError {
        backend: "Prometheus",
        url: String::new(),
        cause: format!("internal: wrong answer kind for {query:?}"),
    }
}

impl Metrics for Coalescing {
    fn query<'a>(&'a self, query: &'a str, at: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>> {
        Box::pin(async move {
            match self.fetch(std::slice::from_ref(&query.to_string()), Ask::Vector, at).await? {
                // Usually the last holder (one caller, no cache): the samples move, uncopied.
                Value::Vector(samples) => Ok(Arc::try_unwrap(samples).unwrap_or_else(|shared| (*shared).clone())),
                Value::Quantiles(_) => Err(mismatch(query)),
            }
        })
    }

    fn query_quantiles<'a>(
        &'a self,
        bucket_parts: &'a [String],
        quantiles: &'a [f64],
        at: Option<f64>,
    ) -> BoxFuture<'a, Result<Vec<Vec<Sample>>, BackendError>> {
        Box::pin(async move {
            let ask = Ask::Quantiles(quantiles.iter().map(|q| q.to_bits()).collect());
            match self.fetch(bucket_parts, ask, at).await? {
                Value::Quantiles(vectors) => Ok(Arc::try_unwrap(vectors).unwrap_or_else(|shared| (*shared).clone())),
                Value::Vector(_) => Err(mismatch(&bucket_parts.join(" / "))),
            }
        })
    }

    fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>> {
        Box::pin(async move {
            // Held across the fetch: concurrent callers wait for one answer instead of asking.
            let mut slot = self.interval.lock().await;
            if let Some((stored, value)) = *slot {
                let ttl = if value.is_some() { INTERVAL_TTL } else { UNKNOWN_INTERVAL_TTL };
                if stored.elapsed() < ttl {
                    return value;
                }
            }
            let value = self.state.inner.scrape_interval().await;
            *slot = Some((Instant::now(), value));
            value
        })
    }

    fn tsdb_max_time(&self) -> BoxFuture<'_, Option<f64>> {
        // Asked only for diagnostics of an empty answer: not worth coalescing.
        self.state.inner.tsdb_max_time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Answers every query after a pause with one sample whose value counts the calls so far.
    struct Slow {
        calls: AtomicUsize,
        interval_calls: AtomicUsize,
        running: AtomicUsize,
        max_running: AtomicUsize,
        fail: bool,
    }

    impl Slow {
        fn new(fail: bool) -> Arc<Self> {
            Arc::new(Slow {
                calls: AtomicUsize::new(0),
                interval_calls: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
                max_running: AtomicUsize::new(0),
                fail,
            })
        }
    }

    impl Metrics for Slow {
        fn query<'a>(&'a self, _q: &'a str, _at: Option<f64>) -> BoxFuture<'a, Result<Vec<Sample>, BackendError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_running.fetch_max(running, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                self.running.fetch_sub(1, Ordering::SeqCst);
                if self.fail {
                    return Err(BackendError { backend: "Prometheus", url: "http://p/".into(), cause: "down".into() });
                }
                Ok(vec![Sample { labels: Default::default(), value: n as f64 }])
            })
        }
        fn scrape_interval(&self) -> BoxFuture<'_, Option<Duration>> {
            Box::pin(async move {
                self.interval_calls.fetch_add(1, Ordering::SeqCst);
                Some(Duration::from_secs(10))
            })
        }
    }

    fn wrap(inner: &Arc<Slow>, options: CoalesceOptions) -> Coalescing {
        let inner: Arc<dyn Metrics> = Arc::clone(inner) as Arc<dyn Metrics>;
        Coalescing::new(inner, options)
    }

    #[tokio::test]
    async fn identical_concurrent_queries_are_sent_once() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions::default());
        let answers = futures::future::join_all((0..10).map(|_| c.query("up", Some(100.0)))).await;
        assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|s| s[0].value == 1.0)), "{answers:?}");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert_eq!(c.stats(), CoalesceStats { sent: 1, coalesced: 9, cache_hits: 0, failed: 0 });
        // Finished flights are forgotten: without a cache the next call asks again.
        c.query("up", Some(100.0)).await.ok();
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn different_text_or_time_is_not_coalesced() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions::default());
        let _ = futures::join!(
            c.query("a", Some(1.0)),
            c.query("a", Some(2.0)),
            c.query("b", Some(1.0)),
            c.query("a", None)
        );
        assert_eq!(inner.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn failures_reach_every_caller_and_are_not_cached() {
        let inner = Slow::new(true);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 4, cache_ttl: Some(Duration::from_secs(60)) });
        let (a, b) = futures::join!(c.query("up", None), c.query("up", None));
        assert!(a.is_err() && b.is_err());
        assert!(c.query("up", None).await.is_err());
        assert_eq!(c.stats().sent, 2);
        assert_eq!(c.stats().failed, 2);
    }

    #[tokio::test]
    async fn cache_answers_within_ttl() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 4, cache_ttl: Some(Duration::from_secs(60)) });
        c.query("up", Some(5.0)).await.ok();
        c.query("up", Some(5.0)).await.ok();
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert_eq!(c.stats().cache_hits, 1);
    }

    #[tokio::test]
    async fn in_flight_queries_are_bounded() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 3, cache_ttl: None });
        let texts: Vec<String> = (0..12).map(|i| format!("q{i}")).collect();
        futures::future::join_all(texts.iter().map(|q| c.query(q, None))).await;
        assert_eq!(inner.calls.load(Ordering::SeqCst), 12);
        assert_eq!(inner.max_running.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn abandoned_flights_still_finish() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 1, cache_ttl: None });
        let gave_up = tokio::time::timeout(Duration::from_millis(5), c.query("up", None)).await;
        assert!(gave_up.is_err());
        // The abandoned flight keeps running, releases its permit, and leaves the map.
        let answer = tokio::time::timeout(Duration::from_secs(5), c.query("other", None)).await;
        assert!(answer.is_ok_and(|a| a.is_ok()));
        assert!(lock(&c.state.in_flight).is_empty());
    }

    #[tokio::test]
    async fn quantile_queries_are_coalesced_and_cached_apart_from_vectors() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 4, cache_ttl: Some(Duration::from_secs(60)) });
        let qs = [0.5, 0.99];
        let parts = ["b1".to_string(), "b2".to_string()];
        let answers = futures::future::join_all((0..5).map(|_| c.query_quantiles(&parts, &qs, Some(7.0)))).await;
        assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|v| v.len() == 2)), "{answers:?}");
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2, "each part once");
        assert_eq!(c.stats(), CoalesceStats { sent: 2, coalesced: 8, cache_hits: 0, failed: 0 });
        // Cached; but the vector of one part, or other quantiles, are other questions.
        assert!(c.query_quantiles(&parts, &qs, Some(7.0)).await.is_ok());
        assert!(c.query("b1", Some(7.0)).await.is_ok_and(|v| v.len() == 1));
        assert!(c.query_quantiles(&parts, &[0.5], Some(7.0)).await.is_ok_and(|v| v.len() == 1));
        assert_eq!(inner.calls.load(Ordering::SeqCst), 5);
        assert_eq!(c.stats().cache_hits, 2, "in queries: two parts");
    }

    #[tokio::test]
    async fn parts_hold_one_permit_each_and_never_more_than_all() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions { max_in_flight: 1, cache_ttl: None });
        let parts = ["p1".to_string(), "p2".to_string(), "p3".to_string()];
        // Three parts under a limit of one: the flight takes the one permit, not three (which
        // would wait forever).
        let answer = tokio::time::timeout(Duration::from_secs(5), c.query_quantiles(&parts, &[0.5], None)).await;
        assert!(answer.is_ok_and(|a| a.is_ok()));
        assert_eq!(c.stats().sent, 3);
    }

    #[tokio::test]
    async fn scrape_interval_is_asked_once() {
        let inner = Slow::new(false);
        let c = wrap(&inner, CoalesceOptions::default());
        let (a, b) = futures::join!(c.scrape_interval(), c.scrape_interval());
        assert_eq!((a, b), (Some(Duration::from_secs(10)), Some(Duration::from_secs(10))));
        assert_eq!(inner.interval_calls.load(Ordering::SeqCst), 1);
    }
}

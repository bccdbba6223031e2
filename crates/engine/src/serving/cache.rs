//! A short-lived cache of whole answers with single flight, shared by every server of lviz
//! (`lviz serve`'s HTTP JSON and gRPC faces), so a dashboard's repeated polls of one view cost
//! Prometheus and Kubernetes one computation per TTL whichever protocol they arrive by, and the
//! servers answer the rest from memory. Generic over what is stored: the servers store typed
//! answers (`super::Served`), and each front-end encodes them its way.
//!
//! Key: the endpoint, the request re-serialized (so spacing and field order of the client's
//! JSON, or the protocol it came by, do not matter) and its evaluation time: the `at` it names,
//! or "now". An answer is fresh while it is younger than the TTL and, for "now", was computed in
//! the 10-second bucket the request arrived in (a typical scrape interval: Prometheus has at most
//! one new sample per series within it); with the TTL at the bucket size, each view costs at
//! most one query set per bucket. Identical requests arriving while one is being computed wait
//! for it instead of computing their own.
//!
//! Past its freshness an answer may still be served for the stale window (`--cache-stale-for`)
//! while one background computation replaces it: a polled view then never makes its clients
//! wait for Prometheus after the first computation, and still costs one query set per TTL.
//! Only values that [`Keep::keep`] (an answer, or a deterministic rejection) are kept; a missing
//! object or a backend failure is answered to everyone who waited for it and then forgotten (a
//! stale answer keeps being served until its window ends, so a Prometheus hiccup does not blank
//! a dashboard).
//!
//! It reads no request field but `at`, and knows nothing of what the engine computes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use serde::Serialize;

use crate::coalesce::NOW_BUCKET_SECS;

/// Above this many entries, expired ones are dropped, and if that is not enough, all of them.
const CAPACITY: usize = 1024;

/// Whether a computed value may be kept for later requests.
pub trait Keep {
    fn keep(&self) -> bool;
}

/// What the cache has done since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from a fresh stored answer.
    pub hits: u64,
    /// Requests answered from a stored answer past its freshness, while it was recomputed.
    pub stale: u64,
    /// Requests that waited for an identical request already being computed.
    pub joined: u64,
    /// Requests that were computed while they waited.
    pub misses: u64,
    /// Computations started in the background to replace a stale answer.
    pub refreshes: u64,
    /// Answers stored now.
    pub entries: u64,
}

/// How long answers live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Fresh for this long (and, for "now", within the bucket).
    pub ttl: Duration,
    /// Then served while being recomputed for at most this long; zero: never stale.
    pub stale_for: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EvalTime {
    /// An explicit evaluation time, by its bits.
    At(u64),
    /// "Now"; the entry records the bucket it was computed in.
    Now,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    endpoint: &'static str,
    request: String,
    at: EvalTime,
}

struct Entry<V> {
    stored: Instant,
    /// The "now" bucket the computation started in.
    bucket: u64,
    answer: V,
}

enum Lookup<V> {
    Fresh(V),
    Stale(V),
    Missing,
}

type Flight<V> = Shared<BoxFuture<'static, V>>;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    stale: AtomicU64,
    joined: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
}

struct State<V> {
    policy: CachePolicy,
    entries: Mutex<HashMap<Key, Entry<V>>>,
    in_flight: Mutex<HashMap<Key, Flight<V>>>,
    counters: Counters,
}

/// The cache; `None` (or a zero TTL) turns it off and every request is computed.
pub struct AnswerCache<V> {
    state: Option<Arc<State<V>>>,
}

/// A poisoned lock only means another thread panicked mid-update of a plain map; the map is
/// still usable, and refusing service would be worse.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_bucket() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) / NOW_BUCKET_SECS
}

impl<V: Clone + Keep + Send + Sync + 'static> AnswerCache<V> {
    pub fn new(policy: Option<CachePolicy>) -> Self {
        let state = policy.filter(|p| !p.ttl.is_zero()).map(|policy| {
            Arc::new(State {
                policy,
                entries: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            })
        });
        AnswerCache { state }
    }

    pub fn stats(&self) -> CacheStats {
        let Some(state) = &self.state else { return CacheStats::default() };
        let c = &state.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            stale: c.stale.load(Ordering::Relaxed),
            joined: c.joined.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            refreshes: c.refreshes.load(Ordering::Relaxed),
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
    ) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let Some(state) = &self.state else { return compute().await };
        let Ok(text) = serde_json::to_string(request) else { return compute().await };
        let at = match at {
            Some(t) => EvalTime::At(t.to_bits()),
            None => EvalTime::Now,
        };
        let key = Key { endpoint, request: text, at };
        let stale = match state.lookup(&key) {
            Lookup::Fresh(answer) => {
                state.counters.hits.fetch_add(1, Ordering::Relaxed);
                return answer;
            }
            Lookup::Stale(answer) => Some(answer),
            Lookup::Missing => None,
        };
        let flight = {
            let mut in_flight = lock(&state.in_flight);
            // Checked again under the flight lock: a flight stores its answer before it leaves
            // the map, so a request never computes what has just been stored.
            if let Lookup::Fresh(answer) = state.lookup(&key) {
                state.counters.hits.fetch_add(1, Ordering::Relaxed);
                return answer;
            }
            match (in_flight.get(&key), stale) {
                (Some(_), Some(answer)) => {
                    state.counters.stale.fetch_add(1, Ordering::Relaxed);
                    return answer;
                }
                (Some(flight), None) => {
                    state.counters.joined.fetch_add(1, Ordering::Relaxed);
                    flight.clone()
                }
                (None, Some(answer)) => {
                    state.counters.stale.fetch_add(1, Ordering::Relaxed);
                    state.counters.refreshes.fetch_add(1, Ordering::Relaxed);
                    // Started, not awaited: it runs on its own task and replaces the entry (without
                    // a runtime, the next request that finds it past the window polls it).
                    let _refresh = state.start(&mut in_flight, key, compute());
                    return answer;
                }
                (None, None) => {
                    state.counters.misses.fetch_add(1, Ordering::Relaxed);
                    state.start(&mut in_flight, key, compute())
                }
            }
        };
        flight.await
    }
}

impl<V: Clone + Keep + Send + Sync + 'static> State<V> {
    fn lookup(&self, key: &Key) -> Lookup<V> {
        let entries = lock(&self.entries);
        let Some(entry) = entries.get(key) else { return Lookup::Missing };
        let age = entry.stored.elapsed();
        let in_bucket = key.at != EvalTime::Now || entry.bucket == now_bucket();
        if age < self.policy.ttl && in_bucket {
            Lookup::Fresh(entry.answer.clone())
        } else if age < self.policy.ttl + self.policy.stale_for {
            Lookup::Stale(entry.answer.clone())
        } else {
            Lookup::Missing
        }
    }

    /// Starts computing `key` on its own task (when a runtime is there) and registers the flight.
    fn start(
        self: &Arc<Self>,
        in_flight: &mut HashMap<Key, Flight<V>>,
        key: Key,
        computing: impl Future<Output = V> + Send + 'static,
    ) -> Flight<V> {
        let owner = Arc::clone(self);
        let flight_key = key.clone();
        let bucket = now_bucket();
        // The flight runs on its own task: it keeps the deadline of the request that started it.
        let computing = lviz_api::deadline::scope(lviz_api::deadline::current(), computing);
        let flight: Flight<V> = async move {
            let answer = computing.await;
            if answer.keep() {
                owner.remember(flight_key.clone(), bucket, answer.clone());
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

    fn remember(&self, key: Key, bucket: u64, answer: V) {
        let mut entries = lock(&self.entries);
        // Computations are rare (one per view per TTL), so sweeping on each keeps memory to the
        // views polled within the last TTL and stale window.
        let keep = self.policy.ttl + self.policy.stale_for;
        entries.retain(|_, e| e.stored.elapsed() < keep);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, Entry { stored: Instant::now(), bucket, answer });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A computed value: a number, and whether it may be kept (an answer, not a failure).
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Answer {
        value: usize,
        keep: bool,
    }

    impl Keep for Answer {
        fn keep(&self) -> bool {
            self.keep
        }
    }

    fn ok(n: usize) -> Answer {
        Answer { value: n, keep: true }
    }

    fn failure() -> Answer {
        Answer { value: 502, keep: false }
    }

    fn policy(ttl_ms: u64, stale_ms: u64) -> Option<CachePolicy> {
        Some(CachePolicy { ttl: Duration::from_millis(ttl_ms), stale_for: Duration::from_millis(stale_ms) })
    }

    #[tokio::test]
    async fn concurrent_identical_requests_compute_once_then_hit() {
        let cache = AnswerCache::new(policy(60_000, 0));
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
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.joined, stats.misses, stats.entries), (1, 9, 1, 1), "{stats:?}");
    }

    #[tokio::test]
    async fn key_is_endpoint_request_and_time() {
        let cache = AnswerCache::new(policy(60_000, 0));
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
        let cache = AnswerCache::new(policy(60_000, 0));
        let bad = failure();
        let answer = |b: Answer| cache.answer("stat", &1, Some(1.0), move || async move { b });
        assert_eq!(answer(bad.clone()).await, bad);
        assert_eq!(answer(ok(2)).await, ok(2), "the failure was not stored");
        assert_eq!(answer(ok(3)).await, ok(2), "the success was");

        let off = AnswerCache::new(policy(0, 10_000));
        assert_eq!(off.answer("stat", &1, Some(1.0), || async { ok(1) }).await, ok(1));
        assert_eq!(off.answer("stat", &1, Some(1.0), || async { ok(2) }).await, ok(2));
        assert_eq!(off.stats(), CacheStats::default());
        assert_eq!(AnswerCache::new(None).answer("stat", &1, None, || async { ok(3) }).await, ok(3));
    }

    #[tokio::test]
    async fn entries_expire_after_the_ttl_without_a_stale_window() {
        let cache = AnswerCache::new(policy(20, 0));
        assert_eq!(cache.answer("stat", &1, Some(1.0), || async { ok(1) }).await, ok(1));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.answer("stat", &1, Some(1.0), || async { ok(2) }).await, ok(2));
        assert_eq!(cache.stats().entries, 1, "the expired entry was swept");
    }

    #[tokio::test]
    async fn a_stale_answer_is_served_while_one_refresh_replaces_it() {
        let cache = AnswerCache::new(policy(30, 60_000));
        let computed = Arc::new(AtomicUsize::new(0));
        let (release, gate) = tokio::sync::watch::channel(false);
        let ask = || {
            let computed = Arc::clone(&computed);
            let mut gate = gate.clone();
            cache.answer("stat", &1, Some(1.0), move || {
                let n = computed.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    // The first computation is immediate; refreshes wait for the test's release.
                    if n > 1 {
                        let _ = gate.wait_for(|open| *open).await;
                    }
                    ok(n)
                }
            })
        };
        assert_eq!(ask().await, ok(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Past the TTL: every request gets the old answer at once, and only one refresh runs.
        let answers = futures::future::join_all((0..5).map(|_| ask())).await;
        assert!(answers.iter().all(|a| *a == ok(1)), "{answers:?}");
        assert_eq!(computed.load(Ordering::SeqCst), 2, "one refresh");
        release.send_replace(true);
        // The refresh lands in the background and is then served fresh.
        let mut fresh = None;
        for _ in 0..100 {
            if cache.stats().refreshes == 1 && cache.stats().entries == 1 {
                let a = ask().await;
                if a == ok(2) {
                    fresh = Some(a);
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(fresh, Some(ok(2)));
        let stats = cache.stats();
        assert_eq!((stats.misses, stats.refreshes, stats.stale >= 5), (1, 1, true), "{stats:?}");
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_stale_answer_until_its_window_ends() {
        let cache = AnswerCache::new(policy(10, 80));
        let bad = failure();
        let answer = |b: Answer| cache.answer("stat", &1, Some(1.0), move || async move { b });
        assert_eq!(answer(ok(1)).await, ok(1));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(answer(bad.clone()).await, ok(1), "stale, while the refresh fails");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(answer(bad.clone()).await, ok(1), "still stale: the failure was not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(answer(bad.clone()).await, bad, "past the window the failure reaches the client");
    }
}

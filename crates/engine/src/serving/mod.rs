//! What every server of lviz shares (`lviz serve`'s HTTP JSON and gRPC faces): one engine
//! (Kubernetes read through watch-backed caches), the coalescing layer its queries go through,
//! and one cache of whole answers. A front-end hands it a decoded request and gets back the
//! typed answer ([`Served`]), computed once per TTL whichever protocol asked; it then encodes
//! the answer its own way, once per answer if it likes ([`Served::encoded`]).
//!
//! Owns: the composition of a server's engine and the answer cache. Refuses: wire protocols,
//! statuses, encodings.

mod cache;
pub mod telemetry;

pub use cache::{AnswerCache, CachePolicy, CacheStats, Keep};
pub use telemetry::RequestTelemetry;

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use lviz_api::{Answer as _, Endpoint, Rejection, Validated};

use crate::coalesce::{CoalesceOptions, Coalescing};
use crate::{Engine, EngineConfig};

/// A typed answer, and the encodings front-ends made of it (one per encoding type).
pub struct Served<E: Endpoint> {
    result: Result<E::Ok, Rejection>,
    encodings: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

impl<E: Endpoint> Served<E> {
    pub fn new(result: Result<E::Ok, Rejection>) -> Self {
        Served { result, encodings: Mutex::new(Vec::new()) }
    }

    pub fn result(&self) -> &Result<E::Ok, Rejection> {
        &self.result
    }

    /// The answer encoded by `encode`, computed once per answer and encoding type `T` (the HTTP
    /// server keeps its JSON bytes here, so a cached answer is serialized once).
    pub fn encoded<T: Clone + Send + Sync + 'static>(&self, encode: impl FnOnce(&Result<E::Ok, Rejection>) -> T) -> T {
        let mut encodings = self.encodings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = encodings.iter().find_map(|e| e.downcast_ref::<T>()) {
            return found.clone();
        }
        let made = encode(&self.result);
        encodings.push(Arc::new(made.clone()));
        made
    }

    /// Kept for later requests: an answer, or a deterministic rejection of the request.
    fn keep(&self) -> bool {
        matches!(self.result, Ok(_) | Err(Rejection::Invalid(_)))
    }
}

/// What the cache holds: a `Served<E>` of the endpoint its key names.
#[derive(Clone)]
struct Stored {
    served: Arc<dyn Any + Send + Sync>,
    keep: bool,
}

impl Keep for Stored {
    fn keep(&self) -> bool {
        self.keep
    }
}

struct Inner {
    engine: Engine,
    metrics: Arc<Coalescing>,
    answers: AnswerCache<Stored>,
}

/// The engine as the servers share it; cheap to clone.
#[derive(Clone)]
pub struct Serving {
    inner: Arc<Inner>,
}

/// How a server's engine is composed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServingOptions {
    /// Queries outstanding towards Prometheus at once.
    pub max_concurrent_queries: usize,
    /// The answer cache (`--cache-ttl`, `--cache-stale-for`); `None` is off.
    pub cache: Option<CachePolicy>,
}

impl Serving {
    /// `metrics` must be the layer the engine queries through, so its counters are the engine's.
    pub fn new(engine: Engine, metrics: Arc<Coalescing>, cache: Option<CachePolicy>) -> Self {
        Serving { inner: Arc::new(Inner { engine, metrics, answers: AnswerCache::new(cache) }) }
    }

    /// The engine composed from `config` for serving: Kubernetes read through watch-backed
    /// caches (started here), no query-level cache (whole answers are cached instead, without
    /// holding raw samples). `note` receives the lines an operator should see on stderr.
    pub async fn compose(
        config: &EngineConfig,
        options: ServingOptions,
        verbose: bool,
        note: &mut (dyn FnMut(String) + Send),
    ) -> Result<Self, Rejection> {
        let coalesce = CoalesceOptions { max_in_flight: options.max_concurrent_queries, cache_ttl: None };
        let composed = crate::compose(config, coalesce, verbose, note).await?;
        Ok(Serving::new(composed.engine.with_cached_cluster(), composed.metrics, options.cache))
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The coalescing layer (for readiness probes and the query counters).
    pub fn metrics(&self) -> &Coalescing {
        &self.inner.metrics
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.inner.answers.stats()
    }

    /// The answer to `request`: validated once (an invalid one is answered with its
    /// rejection), then from the cache, joined, or computed.
    pub async fn answer<E>(&self, request: E::Request) -> Arc<Served<E>>
    where
        E: Endpoint,
        Engine: lviz_api::Answer<E>,
    {
        let engine = self.inner.engine.clone();
        let compute = {
            let request = request.clone();
            move || async move {
                let result = match Validated::<E>::new(request) {
                    Ok(valid) => engine.answer(&valid).await,
                    Err(rejection) => Err(rejection),
                };
                Arc::new(Served::<E>::new(result))
            }
        };
        if !E::CACHEABLE {
            return compute().await;
        }
        let at = E::at(&request);
        let stored = self
            .inner
            .answers
            .answer(E::NAME, &request, at, move || async move {
                let served = compute().await;
                Stored { keep: served.keep(), served }
            })
            .await;
        // The key names the endpoint, so the stored answer is this endpoint's.
        match stored.served.downcast::<Served<E>>() {
            Ok(served) => served,
            Err(_) => Arc::new(Served::new(Err(Rejection::Usage(format!("answer cache: wrong type for {}", E::NAME))))),
        }
    }
}

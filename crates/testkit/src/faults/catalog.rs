//! The fault catalog: every fault of issue 17 as a named case per backend, ready to start, with
//! what lviz is expected to do about it, so one table-driven test can run every command
//! against every case. Prometheus cases keep `status/config` and `status/buildinfo` healthy
//! unless the case is about them, so the fault reaches the queries.

use std::time::Duration;

use anyhow::Result;

use super::canned::{self, ErrorBody, error_reply, error_reply_with, good_body, hostile_text, long_line};
use super::plan::{Delivery, Fault, Labels, Paging, Plan, Reply};
use super::tls::TlsCert;
use super::{Backend, FaultServer, kubernetes, metrics_api, prometheus};

/// Size of the huge answers and error bodies (issue 17: "a 300 MB answer").
pub const HUGE_BYTES: u64 = 300 * 1_000_000;
/// Pause between the bytes of the dripping answers: a ~200-byte body takes ~20 s.
const DRIP: Duration = Duration::from_millis(100);
const STATUS_CODES: [u16; 7] = [401, 403, 404, 429, 500, 502, 503];
const JSON: &str = "application/json";

/// What lviz should do against a case. Every expectation also means: no panic, nothing but
/// data on stdout, no secret ([`super::secret_forms`]) and no raw control byte anywhere, and
/// done by the request deadline plus a margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    /// Exit 1 with one stderr line naming the backend and its redacted URL, nothing on stdout,
    /// well before the deadline (retries, if any, are bounded well inside it).
    Fails,
    /// Exit 1 as for `Fails`, but only the deadline can end the wait (stalls, drips, endless
    /// paging, retried 429/503): assert elapsed ≤ deadline + margin, not a lower bound.
    FailsByDeadline,
    /// The answer is valid: exit 0.
    Answers,
    /// Either exit 0 or `Fails`'s single line (huge and compressed answers: lviz may decode
    /// them or refuse them, naming the limit), within the deadline and the memory bound.
    AnswersOrFails,
}

/// One catalog entry.
#[derive(Debug, Clone)]
pub struct FaultCase {
    /// Unique within its backend, e.g. `stall-body`, `status-503-html`, `tls-expired`.
    pub name: String,
    pub backend: Backend,
    pub plan: Plan,
    pub expect: Expect,
    /// Streams hundreds of megabytes ([`HUGE_BYTES`]): worth running once per command and
    /// mode, not in every combination of a larger matrix.
    pub heavy: bool,
}

impl FaultCase {
    /// `backend/name`, e.g. `prometheus/stall-body`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.backend.name(), self.name)
    }

    /// Starts the case's server on the caller's runtime.
    pub async fn start(&self) -> Result<FaultServer> {
        FaultServer::start(self.plan.clone()).await
    }

    /// Starts the case's server on its own thread (for tests that run the lviz binary).
    pub fn start_background(&self) -> Result<FaultServer> {
        FaultServer::start_background(self.plan.clone())
    }

    /// The same case with its [`Fault::Healthy`] routes relayed to a real server (e.g. a
    /// shared Prometheus or a `FakeKube`), so that the healthy parts answer real data.
    pub fn with_upstream(mut self, url: &str) -> FaultCase {
        self.plan = self.plan.upstream(url);
        self
    }
}

impl Fault {
    /// Every catalog case for `backend`.
    pub fn catalog_for(backend: Backend) -> Vec<FaultCase> {
        let mut cases = transport(backend);
        cases.extend(statuses(backend));
        cases.extend(bodies(backend));
        cases.extend(match backend {
            Backend::Prometheus => prometheus_specific(),
            Backend::Kube => kube_specific(),
            Backend::MetricsApi => metrics_api_specific(),
        });
        if backend != Backend::MetricsApi {
            // lviz has a CA setting for Prometheus (`tls_config.ca_file`) and Kubernetes
            // (kubeconfig `certificate-authority`); remote mode has none to test against.
            cases.extend(tls(backend));
        }
        cases
    }
}

fn case(backend: Backend, name: impl Into<String>, plan: Plan, expect: Expect) -> FaultCase {
    FaultCase { name: name.into(), backend, plan, expect, heavy: false }
}

/// `fault` on the paths lviz's answers come from (Prometheus: all but its status endpoints).
fn on_queries(backend: Backend, fault: impl Into<Fault>) -> Plan {
    match backend {
        Backend::Prometheus => Plan::prometheus(fault),
        _ => Plan::new(fault),
    }
}

fn good_reply(backend: Backend) -> Reply {
    Reply::new(200, JSON, good_body(backend))
}

fn transport(backend: Backend) -> Vec<FaultCase> {
    let half = good_body(backend).len() as u64 / 2;
    let deliver = |d: Delivery| on_queries(backend, good_reply(backend).delivered(d));
    vec![
        case(backend, "refused", Plan::new(Fault::Refused), Expect::Fails),
        case(backend, "hangup", on_queries(backend, Fault::Hangup), Expect::Fails),
        case(backend, "silence", on_queries(backend, Fault::Silence), Expect::FailsByDeadline),
        case(backend, "stall-headers", on_queries(backend, Fault::StallHeaders), Expect::FailsByDeadline),
        case(backend, "stall-body", deliver(Delivery::StallAfter(0)), Expect::FailsByDeadline),
        case(backend, "stall-mid-body", deliver(Delivery::StallAfter(half)), Expect::FailsByDeadline),
        case(backend, "drip", deliver(Delivery::Drip(DRIP)), Expect::FailsByDeadline),
        case(backend, "short-body", deliver(Delivery::Short(half)), Expect::Fails),
        case(backend, "reset-mid-body", deliver(Delivery::ResetAfter(half)), Expect::Fails),
    ]
}

fn statuses(backend: Backend) -> Vec<FaultCase> {
    let mut cases = Vec::new();
    for code in STATUS_CODES {
        // 429 and 503 invite retries; lviz may retry them within its deadline.
        let expect = if matches!(code, 429 | 503) { Expect::FailsByDeadline } else { Expect::Fails };
        for &kind in ErrorBody::for_backend(backend) {
            let name = format!("status-{code}-{}", kind.name());
            cases.push(case(backend, name, on_queries(backend, error_reply(code, kind)), expect));
        }
    }
    let native = ErrorBody::native(backend);
    for (code, after) in [(429, "3600"), (503, "3600"), (503, "1")] {
        let reply = error_reply(code, native).header("Retry-After", after);
        let name = format!("status-{code}-retry-after-{after}");
        cases.push(case(backend, name, on_queries(backend, reply), Expect::FailsByDeadline));
    }
    cases
}

fn bodies(backend: Backend) -> Vec<FaultCase> {
    let native = ErrorBody::native(backend);
    let good = good_body(backend);
    let gzipped = super::body::Body::from(good.as_str()).gzip();
    let login_page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>…</form></body></html>";
    let mut cases = vec![
        case(backend, "not-json", on_queries(backend, Reply::new(200, "text/html", login_page)), Expect::Fails),
        case(
            backend,
            "truncated-json",
            on_queries(backend, Reply::new(200, JSON, &good[..good.len() / 2])),
            Expect::Fails,
        ),
        case(backend, "empty-200", on_queries(backend, Reply::new(200, JSON, "")), Expect::Fails),
        case(
            backend,
            "gzip-with-encoding",
            on_queries(backend, Reply::new(200, JSON, gzipped.clone()).header("Content-Encoding", "gzip")),
            Expect::AnswersOrFails,
        ),
        case(backend, "gzip-without-encoding", on_queries(backend, Reply::new(200, JSON, gzipped)), Expect::Fails),
        case(
            backend,
            "control-chars-error",
            on_queries(backend, error_reply_with(500, native, &hostile_text())),
            Expect::Fails,
        ),
        case(
            backend,
            "control-chars-html",
            on_queries(backend, error_reply_with(502, ErrorBody::Html, &hostile_text())),
            Expect::Fails,
        ),
        case(
            backend,
            "long-error-line",
            on_queries(backend, error_reply_with(500, native, &long_line(1 << 20))),
            Expect::Fails,
        ),
        case(backend, "redirect-loop", on_queries(backend, Fault::RedirectLoop), Expect::Fails),
        case(
            backend,
            "echo-credentials",
            on_queries(backend, Fault::EchoCredentials { status: 401, backend }),
            Expect::Fails,
        ),
    ];
    let huge = canned::huge_answer(backend, HUGE_BYTES);
    let huge_error = Reply::new(500, JSON, canned::huge_error(backend, HUGE_BYTES));
    let heavy = [
        case(backend, "huge-answer", on_queries(backend, Reply::new(200, JSON, huge)), Expect::AnswersOrFails),
        case(backend, "huge-error", on_queries(backend, huge_error), Expect::Fails),
    ];
    cases.extend(heavy.into_iter().map(|c| FaultCase { heavy: true, ..c }));
    cases
}

fn prometheus_specific() -> Vec<FaultCase> {
    let b = Backend::Prometheus;
    let samples = |value: &str, labels| Plan::prometheus(Fault::PromSamples { value: value.into(), labels });
    let body = |text: String| Plan::prometheus(Reply::new(200, JSON, text));
    vec![
        case(b, "result-matrix", body(prometheus::wrong_type("matrix")), Expect::Fails),
        case(b, "result-scalar", body(prometheus::wrong_type("scalar")), Expect::Fails),
        case(b, "result-string", body(prometheus::wrong_type("string")), Expect::Fails),
        case(b, "success-without-data", body(r#"{"status":"success"}"#.into()), Expect::Fails),
        case(b, "samples-nan", samples("NaN", Labels::Grouping), Expect::Answers),
        case(b, "samples-plus-inf", samples("+Inf", Labels::Grouping), Expect::Answers),
        case(b, "samples-minus-inf", samples("-Inf", Labels::Grouping), Expect::Answers),
        case(b, "samples-missing-labels", samples("1", Labels::Missing), Expect::Answers),
        case(b, "samples-hostile-labels", samples("1", Labels::Hostile), Expect::Answers),
        // The config probe must share the request's deadline, not add one of its own.
        case(
            b,
            "silent-config-probe",
            Plan::new(Fault::Healthy(b)).on("/api/v1/status/config", Fault::Silence),
            Expect::AnswersOrFails,
        ),
        case(b, "silence-everywhere", Plan::new(Fault::Silence), Expect::FailsByDeadline),
    ]
}

fn kube_specific() -> Vec<FaultCase> {
    let b = Backend::Kube;
    let list = |paging| Plan::new(Fault::KubeList(paging));
    let items_object = r#"{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":{}}"#;
    vec![
        case(b, "endless-pages", list(Paging::Endless), Expect::FailsByDeadline),
        case(b, "repeated-continue", list(Paging::Repeat), Expect::Fails),
        case(b, "gone-on-continue", list(Paging::GoneOnContinue), Expect::Fails),
        // One-shot commands never watch; `lviz serve`'s reflectors list, then wait on the watch.
        case(b, "watch-stall", Plan::new(Fault::KubeWatchStall), Expect::Answers),
        case(b, "items-not-array", Plan::new(Reply::new(200, JSON, items_object)), Expect::Fails),
        case(
            b,
            "status-body-with-200",
            Plan::new(Reply::new(200, JSON, kubernetes::status(500, kubernetes::message(500)))),
            Expect::Fails,
        ),
    ]
}

fn metrics_api_specific() -> Vec<FaultCase> {
    let b = Backend::MetricsApi;
    metrics_api::wrong_shapes()
        .into_iter()
        .map(|(name, text)| case(b, name, Plan::new(Reply::new(200, JSON, text)), Expect::Fails))
        .collect()
}

fn tls(backend: Backend) -> Vec<FaultCase> {
    TlsCert::ALL
        .iter()
        .map(|&cert| {
            let expect = match cert {
                // Go's client (Prometheus's) accepts a self-signed certificate given as its own CA.
                TlsCert::Valid | TlsCert::SelfSignedCa | TlsCert::SelfSignedLeafAsCa => Expect::Answers,
                _ => Expect::Fails,
            };
            case(backend, cert.name(), Plan::new(Fault::Healthy(backend)).tls(cert), expect)
        })
        .collect()
}

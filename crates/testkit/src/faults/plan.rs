//! The fault vocabulary: what a fault server does with one request (`Fault`), the `Reply` a
//! fault may send and how its bytes are delivered (`Delivery`), and the `Plan` that maps path
//! prefixes to faults for one server. Data only: `conn` and `respond` carry it out.

use std::time::Duration;

use super::Backend;
use super::body::Body;
use super::tls::TlsCert;

/// What the server does with a request. Most variants are faults; [`Fault::Healthy`] and
/// [`Fault::Forward`] are the benign answers a [`Plan`] gives the paths it does not fault.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Connection refused: the server binds a loopback port and never listens on it (so no
    /// other server can take the port meanwhile). Only meaningful as a plan's sole fault; as a
    /// route it behaves as [`Fault::Hangup`].
    Refused,
    /// Read the request, then close the connection without sending a byte.
    Hangup,
    /// Accept and read the request, never answer (until the connection limit or drop). To a
    /// client this is the same as never reading: the request fits in the socket buffers.
    Silence,
    /// Send the status line and a header line, never the blank line that ends the headers.
    StallHeaders,
    /// Send this reply (status, headers, body), delivered as its [`Delivery`] says.
    Reply(Reply),
    /// `302 Found` back to the request's own path and query, forever.
    RedirectLoop,
    /// A Prometheus instant-vector answer shaped after the request's PromQL: one sample per row
    /// with the labels of the query's last `by (…)` clause (three `le` rows when `le` is one),
    /// each sample's value the given string (`"NaN"`, `"+Inf"`, `"-Inf"`, `"1"`).
    PromSamples { value: String, labels: Labels },
    /// Lists (collection paths) page badly; watches stall (as [`Fault::KubeWatchStall`]);
    /// single objects are answered as by [`Fault::Healthy`].
    KubeList(Paging),
    /// Watch requests (`watch=true`/`1`) get the `200` head of a chunked stream and then
    /// nothing; every other request is answered as by [`Fault::Healthy`] (relayed to the
    /// upstream when the plan has one).
    KubeWatchStall,
    /// `status` with an error body of `backend`'s kind that quotes the request's credentials
    /// (`Authorization`, `Cookie`, the request target): a server that leaks secrets back.
    EchoCredentials { status: u16, backend: Backend },
    /// Answer as a healthy `backend` would: relayed to the plan's upstream when it has one,
    /// else canned (Prometheus: good `status/config`, `status/buildinfo` and
    /// [`PromSamples`](Fault::PromSamples) of `"1"`; Kubernetes: empty lists, `NotFound` for
    /// single objects, watches that never send an event; metrics API: empty `ok` answers).
    Healthy(Backend),
    /// Relay the request to this `http://` base URL and its answer back.
    Forward(String),
}

/// Label sets of [`Fault::PromSamples`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Every label of the query's grouping, with plausible emojivoto values.
    Grouping,
    /// Every other grouping label left out, starting with the first (`le` or `namespace` in
    /// most lviz queries): samples that cannot be joined to a row.
    Missing,
    /// The grouping labels, each value wrapped in ANSI escapes, BEL, CR, NUL and a bidi override.
    Hostile,
}

/// Pages of [`Fault::KubeList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Every page holds one item and a new `continue` token: the list never ends.
    Endless,
    /// Every page holds one item and the same `continue` token.
    Repeat,
    /// The first page offers a `continue` token; a request that presents one gets
    /// `410 Gone` (`reason: Expired`), as when etcd compacted the list's revision.
    GoneOnContinue,
}

/// One HTTP answer. `Content-Length` is always the whole body's length, whatever is delivered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Extra header lines, sent in order (`Content-Type` included).
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delivery: Delivery,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Body>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delivery: Delivery::Whole,
        }
    }

    /// A reply without `Content-Type` and with an empty body.
    pub fn empty(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Body::from(""), delivery: Delivery::Whole }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delivered(mut self, delivery: Delivery) -> Reply {
        self.delivery = delivery;
        self
    }
}

impl From<Reply> for Fault {
    fn from(reply: Reply) -> Fault {
        Fault::Reply(reply)
    }
}

/// How a [`Reply`]'s body reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// All of it.
    Whole,
    /// The headers and the first `n` bytes, then nothing (`StallAfter(0)`: headers only).
    StallAfter(u64),
    /// One byte, then a pause, and so on to the end.
    Drip(Duration),
    /// The first `n` bytes, then a clean close (FIN): shorter than `Content-Length` promised.
    Short(u64),
    /// The first `n` bytes, then a TCP reset (RST).
    ResetAfter(u64),
}

/// Which fault answers which request, for one server.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) routes: Vec<(String, Fault)>,
    pub(crate) fallback: Fault,
    pub(crate) tls: Option<TlsCert>,
    pub(crate) upstream: Option<String>,
    pub(crate) connection_limit: Duration,
}

/// How long one connection may live before the server closes it, unless a plan says otherwise:
/// bounds every stall even when a test leaks its server.
pub const DEFAULT_CONNECTION_LIMIT: Duration = Duration::from_secs(120);

impl Plan {
    /// `fault` on every path.
    pub fn new(fault: impl Into<Fault>) -> Plan {
        Plan {
            routes: Vec::new(),
            fallback: fault.into(),
            tls: None,
            upstream: None,
            connection_limit: DEFAULT_CONNECTION_LIMIT,
        }
    }

    /// A Prometheus whose `status/config` and `status/buildinfo` answer well while every
    /// other path (the queries) gets `fault`.
    pub fn prometheus(fault: impl Into<Fault>) -> Plan {
        Plan::new(fault)
            .on("/api/v1/status/config", Fault::Healthy(Backend::Prometheus))
            .on("/api/v1/status/buildinfo", Fault::Healthy(Backend::Prometheus))
    }

    /// Requests whose path starts with `prefix` get `fault`. The first matching route wins,
    /// so add the more specific prefixes first.
    pub fn on(mut self, prefix: &str, fault: impl Into<Fault>) -> Plan {
        self.routes.push((prefix.to_string(), fault.into()));
        self
    }

    /// Serve HTTPS with this certificate variant instead of plain HTTP.
    pub fn tls(mut self, cert: TlsCert) -> Plan {
        self.tls = Some(cert);
        self
    }

    /// Where [`Fault::Healthy`] relays requests (`http://…`, e.g. a real Prometheus or a
    /// `FakeKube`), instead of its canned answers.
    pub fn upstream(mut self, url: &str) -> Plan {
        self.upstream = Some(url.trim_end_matches('/').to_string());
        self
    }

    /// How long one connection may live (default [`DEFAULT_CONNECTION_LIMIT`]).
    pub fn connection_limit(mut self, limit: Duration) -> Plan {
        self.connection_limit = limit;
        self
    }

    /// The fault for a request path.
    pub fn fault_for(&self, path: &str) -> &Fault {
        self.routes.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map_or(&self.fallback, |(_, f)| f)
    }

    /// True when some request may be relayed to another server.
    pub(crate) fn relays(&self) -> bool {
        let forwards = |f: &Fault| matches!(f, Fault::Forward(_));
        self.upstream.is_some() || forwards(&self.fallback) || self.routes.iter().any(|(_, f)| forwards(f))
    }

    /// True when nothing should listen at all.
    pub(crate) fn refuses(&self) -> bool {
        self.routes.is_empty() && matches!(self.fallback, Fault::Refused)
    }

    pub fn tls_cert(&self) -> Option<TlsCert> {
        self.tls
    }
}

impl From<Fault> for Plan {
    fn from(fault: Fault) -> Plan {
        Plan::new(fault)
    }
}

impl From<Reply> for Plan {
    fn from(reply: Reply) -> Plan {
        Plan::new(reply)
    }
}

//! The Prometheus client: instant queries (`POST /api/v1/query` with `time=`), bucket-rate
//! queries decoded while they stream, the scrape interval from `/api/v1/status/config`, and
//! errors that name the backend and its redacted URL. Bytes travel over a [`Transport`].

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::StreamExt;

use lviz_api::hygiene;
use lviz_api::limits::ERROR_BODY_BYTES;

use crate::decode::{ChunkReader, Data, Envelope, HEAD_BYTES, RawSample, decode_bucket_envelope, parse_value};
use crate::http_config::Auth;
use crate::quantile::BucketGroups;
use crate::transport::{HttpTransport, PromConfig, RawResponse, StreamedResponse, Transport};
use crate::{BackendError, Sample, redact_url};

use crate::BACKEND;

/// Prometheus's instant-query endpoint, relative to its API root.
const QUERY_PATH: &str = "api/v1/query";

#[derive(Clone)]
pub struct PromClient {
    transport: Arc<dyn Transport>,
    shown: String,
    /// The credentials lviz sends (passwords, tokens, header values): never quoted back, even
    /// when a backend echoes them.
    secrets: Arc<Vec<String>>,
}

impl std::fmt::Debug for PromClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromClient").field("url", &self.shown).finish()
    }
}

impl PromClient {
    pub fn new(config: &PromConfig) -> Result<Self, BackendError> {
        let shown = redact_url(&config.url);
        let fail = |cause: String| BackendError { backend: BACKEND, url: shown.clone(), cause };
        let mut base = url::Url::parse(&config.url).map_err(|e| fail(format!("invalid URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(fail(format!("unsupported URL scheme {:?}", base.scheme())));
        }
        // `join` replaces the last path segment unless the base ends with `/`: keep prefixes.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        // reqwest turns credentials in the URL into basic auth; two Authorization sources conflict.
        if (!base.username().is_empty() || base.password().is_some()) && config.access.auth.is_some() {
            return Err(fail("credentials in the URL conflict with the other Prometheus authentication".into()));
        }
        let transport = HttpTransport::new(config, base.clone()).map_err(fail)?;
        let secrets = Arc::new(secrets_of(config, &base));
        Ok(PromClient { transport: Arc::new(transport), shown, secrets })
    }

    /// A client over another transport; `shown_url` (already redacted) names it in errors.
    pub fn with_transport(transport: Arc<dyn Transport>, shown_url: String) -> Self {
        PromClient { transport, shown: shown_url, secrets: Arc::default() }
    }

    /// The redacted base URL, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn error(&self, cause: impl Into<String>) -> BackendError {
        let cause = hygiene::scrub_known(&cause.into(), &self.secrets);
        BackendError { backend: BACKEND, url: self.shown.clone(), cause }
    }

    /// An instant query; `at` is Unix seconds (None = Prometheus's now).
    pub async fn query(&self, query: &str, at: Option<f64>) -> Result<Vec<Sample>, BackendError> {
        let body = self.send_query(query, at).await?;
        let result = self.vector(&body, query)?;
        let raw: Vec<RawSample> = serde_json::from_str(result.get())
            .map_err(|e| self.error(format!("malformed vector for query {query:?}: {e}")))?;
        raw.into_iter()
            .map(|s| {
                let value = parse_value(&s.value.1)
                    .ok_or_else(|| self.error(format!("malformed sample value {:?}", s.value.1)))?;
                Ok(Sample { labels: s.metric, value })
            })
            .collect()
    }

    /// An instant query of histogram buckets (`sum(irate(…_bucket…)) by (le, …)`), grouped into
    /// histograms while the answer's vector is decoded, one element at a time: a vector of
    /// 78,000 buckets is never held as 78,000 samples.
    ///
    /// The body is decoded while it arrives (on a blocking thread fed chunk by chunk), so the
    /// answer (9 MB for `stat po -A` over 3,000 pods) is never held whole in memory.
    pub async fn query_buckets(&self, query: &str, at: Option<f64>) -> Result<BucketGroups, BackendError> {
        let StreamedResponse { status, mut body } =
            self.transport.call_streamed(QUERY_PATH, Some(query_form(query, at))).await.map_err(|e| self.error(e))?;
        if !(200..300).contains(&status) {
            // An error answer is read only as far as its message needs (64 KiB at most).
            let mut text = Vec::new();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| self.error(e))?;
                text.extend_from_slice(&chunk[..chunk.len().min(ERROR_BODY_BYTES - text.len().min(ERROR_BODY_BYTES))]);
                if text.len() >= ERROR_BODY_BYTES {
                    break;
                }
            }
            return Err(self.status_error(status, &String::from_utf8_lossy(&text)));
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
        let decoder = tokio::task::spawn_blocking(move || {
            let mut reader = ChunkReader { chunks: rx, current: Bytes::new(), head: Vec::new() };
            let decoded = decode_bucket_envelope(&mut reader);
            if decoded.is_err() {
                // The message quotes the answer's first line: read up to HEAD_BYTES of it.
                let mut sink = [0u8; HEAD_BYTES];
                while reader.head.len() < HEAD_BYTES && matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            }
            (decoded, reader.head)
        });
        let mut failed = None;
        while let Some(chunk) = body.next().await {
            match chunk {
                // A closed channel means the decoder stopped early (on an error it reports).
                Ok(chunk) => {
                    if tx.send(chunk).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let (decoded, head) = decoder.await.map_err(|e| self.error(format!("decoding the answer failed: {e}")))?;
        if let Some(cause) = failed {
            return Err(self.error(cause));
        }
        let envelope = match decoded {
            Ok(envelope) => envelope,
            Err(e) if e.is_data() => {
                return Err(self.error(format!("malformed vector for query {query:?}: {e}")));
            }
            Err(_) => {
                let head = String::from_utf8_lossy(&head);
                return Err(self.error(format!("answer is not Prometheus JSON: {}", first_line(&head))));
            }
        };
        if envelope.status != "success" {
            return Err(self.error(format!(
                "query {query:?} failed ({}): {}",
                hygiene::backend_text(&envelope.error_type),
                hygiene::backend_text(&envelope.error)
            )));
        }
        match (envelope.result_type, envelope.groups) {
            (Some(kind), _) if kind != "vector" => {
                Err(self.error(format!("query {query:?} returned a {kind}, not a vector")))
            }
            (Some(_), Some(groups)) => Ok(groups),
            _ => Err(self.error("answer has no data")),
        }
    }

    async fn send_query(&self, query: &str, at: Option<f64>) -> Result<String, BackendError> {
        self.send(QUERY_PATH, Some(query_form(query, at))).await
    }

    /// The raw `result` of a successful answer that is an instant vector.
    fn vector<'a>(&self, body: &'a str, query: &str) -> Result<&'a serde_json::value::RawValue, BackendError> {
        let data = self.decode(body, query)?;
        if data.result_type != "vector" {
            return Err(self.error(format!("query {query:?} returned a {}, not a vector", data.result_type)));
        }
        Ok(data.result)
    }

    /// `global.scrape_interval` from `/api/v1/status/config`, if the server exposes it.
    ///
    /// Best effort, so it takes at most half of what is left of the request's time: a silent
    /// config endpoint must leave the queries time to answer (or to fail, naming Prometheus).
    pub async fn scrape_interval(&self) -> Option<Duration> {
        let probe = self.send("api/v1/status/config", None);
        let body = match lviz_api::deadline::current() {
            Some(deadline) => {
                let half = deadline.saturating_duration_since(std::time::Instant::now()) / 2;
                tokio::time::timeout(half, probe).await.ok()?.ok()?
            }
            None => probe.await.ok()?,
        };
        let data: serde_json::Value = serde_json::from_str(&body).ok()?;
        let yaml = data.get("data")?.get("yaml")?.as_str()?;
        scrape_interval_from_yaml(yaml)
    }

    /// The newest sample time of the TSDB (Unix seconds), from `/api/v1/status/tsdb`'s
    /// `headStats.maxTime`: with only backfilled blocks, the head starts where they end. `None`
    /// when the server does not serve it (Thanos, VictoriaMetrics) or the TSDB is empty.
    pub async fn tsdb_max_time(&self) -> Option<f64> {
        let body = self.send("api/v1/status/tsdb", None).await.ok()?;
        head_max_time(&body)
    }

    /// `GET /-/ready` style probe used by `lviz serve`'s readiness: any successful query.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.query("vector(1)", None).await.map(|_| ())
    }

    async fn send(&self, path: &str, form: Option<Vec<(&'static str, String)>>) -> Result<String, BackendError> {
        let RawResponse { status, body } = self.transport.call(path, form).await.map_err(|e| self.error(e))?;
        let status =
            reqwest::StatusCode::from_u16(status).map_err(|_| self.error(format!("invalid HTTP status {status}")))?;
        if !status.is_success() {
            return Err(self.status_error(status.as_u16(), &body));
        }
        Ok(body)
    }

    /// The error of a non-2xx answer. Prometheus answers 400/422/503 with its JSON error
    /// envelope; keep its message.
    fn status_error(&self, status: u16, body: &str) -> BackendError {
        let Ok(status) = reqwest::StatusCode::from_u16(status) else {
            return self.error(format!("invalid HTTP status {status}"));
        };
        if let Ok(env) = serde_json::from_str::<Envelope>(body)
            && env.status == "error"
        {
            let (kind, message) = (hygiene::backend_text(&env.error_type), hygiene::backend_text(&env.error));
            return self.error(format!("{status} ({kind}): {message}"));
        }
        self.error(format!("HTTP {status}: {}", first_line(body)))
    }

    fn decode<'a>(&self, body: &'a str, query: &str) -> Result<Data<'a>, BackendError> {
        let env: Envelope = serde_json::from_str(body)
            .map_err(|_| self.error(format!("answer is not Prometheus JSON: {}", first_line(body))))?;
        if env.status != "success" {
            let (kind, message) = (hygiene::backend_text(&env.error_type), hygiene::backend_text(&env.error));
            return Err(self.error(format!("query {query:?} failed ({kind}): {message}")));
        }
        env.data.ok_or_else(|| self.error("answer has no data"))
    }
}

/// Chunks (of up to a few tens of KiB each) buffered between the socket and the decoder.
const CHUNKS_IN_FLIGHT: usize = 16;

fn query_form(query: &str, at: Option<f64>) -> Vec<(&'static str, String)> {
    let mut form = vec![("query", query.to_string())];
    if let Some(at) = at {
        form.push(("time", format_time(at)));
    }
    form
}

/// The first line of a body, as a message may quote it (bounded, credentials scrubbed, unsafe
/// characters escaped).
fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    let cut = hygiene::backend_text(line);
    if cut.is_empty() { "(empty body)".to_string() } else { cut }
}

/// Every credential `config` makes lviz send.
fn secrets_of(config: &PromConfig, base: &url::Url) -> Vec<String> {
    let access = &config.access;
    let mut secrets: Vec<String> = access.headers.iter().map(|(_, v)| v.expose().to_string()).collect();
    match &access.auth {
        Some(Auth::Basic { username, password }) => {
            secrets.push(password.expose().to_string());
            let pair = format!("{username}:{}", password.expose());
            secrets.push(base64_encode(pair.as_bytes()));
        }
        Some(Auth::Authorization { credentials, .. }) => secrets.push(credentials.expose().to_string()),
        None => {}
    }
    if let Some(password) = base.password() {
        secrets.push(password.to_string());
        secrets.push(base64_encode(format!("{}:{password}", base.username()).as_bytes()));
    }
    secrets
}

/// Standard base64 with padding: what a basic-auth header carries.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Seconds with millisecond precision, the resolution Prometheus keeps.
fn format_time(at: f64) -> String {
    let ms = (at * 1000.0).round() as i64;
    if ms % 1000 == 0 { format!("{}", ms / 1000) } else { format!("{}.{:03}", ms / 1000, ms % 1000) }
}

/// `data.headStats.maxTime` (milliseconds) as seconds, when it is a real time: an empty head
/// reports `minTime > maxTime` (Go's extreme integers).
fn head_max_time(body: &str) -> Option<f64> {
    let data: serde_json::Value = serde_json::from_str(body).ok()?;
    let head = data.get("data")?.get("headStats")?;
    let (min, max) = (head.get("minTime")?.as_i64()?, head.get("maxTime")?.as_i64()?);
    (max >= min && max > 0).then_some(max as f64 / 1000.0)
}

fn scrape_interval_from_yaml(yaml: &str) -> Option<Duration> {
    // Only `global.scrape_interval` matters; it is the first such key under `global:`.
    let mut in_global = false;
    for line in yaml.lines() {
        if !line.starts_with(' ') {
            in_global = line.trim_end() == "global:";
            continue;
        }
        if in_global && let Some(v) = line.trim().strip_prefix("scrape_interval:") {
            return parse_prom_duration(v.trim());
        }
    }
    None
}

fn parse_prom_duration(s: &str) -> Option<Duration> {
    let mut ms: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let value: u64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let size = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            "y" => 31_536_000_000,
            _ => return None,
        };
        ms += value * size;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use futures::future::BoxFuture;

    use super::*;
    use crate::decode::decode_buckets;

    #[test]
    fn reads_the_head_max_time() {
        let backfilled = r#"{"status":"success","data":{"headStats":{"numSeries":0,"chunkCount":0,
            "minTime":1767226800001,"maxTime":1767226800001},"seriesCountByMetricName":[]}}"#;
        assert_eq!(head_max_time(backfilled), Some(1767226800.001));
        let empty = r#"{"status":"success","data":{"headStats":{"minTime":9223372036854775807,
            "maxTime":-9223372036854775808}}}"#;
        assert_eq!(head_max_time(empty), None);
        assert_eq!(head_max_time(r#"{"status":"success","data":{"totalSeries":3}}"#), None);
    }

    #[test]
    fn reads_scrape_interval() {
        let yaml = "global:\n  scrape_interval: 10s\n  scrape_timeout: 10s\nscrape_configs:\n- job_name: x\n  scrape_interval: 1m\n";
        assert_eq!(scrape_interval_from_yaml(yaml), Some(Duration::from_secs(10)));
        assert_eq!(parse_prom_duration("1m30s"), Some(Duration::from_secs(90)));
    }

    #[test]
    fn basic_credentials_are_known_secrets() {
        assert_eq!(base64_encode(b"lviz:lviz-fault-s3cret-7f3a"), "bHZpejpsdml6LWZhdWx0LXMzY3JldC03ZjNh");
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }

    #[test]
    fn formats_time() {
        assert_eq!(format_time(1767226800.0), "1767226800");
        assert_eq!(format_time(1767226800.37), "1767226800.370");
    }

    /// One fixed answer to every call.
    struct Fixed(&'static str);

    impl Transport for Fixed {
        fn call<'a>(
            &'a self,
            _path: &'a str,
            _form: Option<Vec<(&'static str, String)>>,
        ) -> BoxFuture<'a, Result<RawResponse, String>> {
            Box::pin(async move { Ok(RawResponse { status: 200, body: self.0.to_string() }) })
        }
    }

    fn vector_body(result: &str) -> String {
        format!(r#"{{"status":"success","data":{{"resultType":"vector","result":{result}}}}}"#)
    }

    fn by_pod(vector: &[Sample]) -> BTreeMap<String, f64> {
        vector.iter().map(|s| (s.label("pod").to_string(), s.value)).collect()
    }

    #[test]
    fn buckets_are_grouped_while_decoding() {
        let result = r#"[
            {"metric":{"le":"10","pod":"a","namespace":"n"},"value":[1,"9"]},
            {"metric":{"pod":"b","le":"10","namespace":"n"},"value":[1,"4"]},
            {"metric":{"le":"+Inf","namespace":"n","pod":"a"},"value":[1,"10"]},
            {"metric":{"__name__":"x","le":"+Inf","namespace":"n","pod":"b"},"value":[1,"8"]}
        ]"#;
        let groups = decode_buckets(result).expect("decodes");
        assert_eq!(groups.len(), 2);
        let out = groups.quantiles(&[0.5, 0.99]);
        assert_eq!(out.len(), 2);
        let p50 = by_pod(&out[0]);
        assert_eq!(p50["a"], 10.0 * (5.0 / 9.0));
        assert_eq!(p50["b"], 10.0);
        assert_eq!(by_pod(&out[1])["a"], 10.0);
        // The group's labels, without `le` or `__name__`.
        let labels: Vec<&str> = out[0][0].labels.keys().map(String::as_str).collect();
        assert_eq!(labels, ["namespace", "pod"]);
        // The same answer as decoding the vector whole and grouping it.
        let samples = decode_samples(result);
        let whole = crate::quantile::histogram_quantiles(&samples, &[0.5, 0.99]);
        for (streamed, whole) in out.iter().zip(&whole) {
            assert_eq!(by_pod(streamed), by_pod(whole));
        }
    }

    fn decode_samples(result: &str) -> Vec<Sample> {
        let raw: Vec<RawSample> = serde_json::from_str(result).expect("vector");
        raw.into_iter().map(|s| Sample { labels: s.metric, value: parse_value(&s.value.1).expect("value") }).collect()
    }

    #[test]
    fn buckets_without_a_numeric_le_are_skipped() {
        let result = r#"[
            {"metric":{"pod":"a"},"value":[1,"3"]},
            {"metric":{"pod":"b","le":"ten"},"value":[1,"3"]},
            {"metric":{"pod":"c","le":"10"},"value":[1,"3"]},
            {"metric":{"pod":"c","le":"+Inf"},"value":[1,"3"]}
        ]"#;
        let groups = decode_buckets(result).expect("decodes");
        assert_eq!(groups.len(), 1);
        assert_eq!(by_pod(&groups.quantiles(&[0.5])[0])["c"], 5.0);
        assert!(decode_buckets("[]").expect("empty vector").is_empty());
    }

    #[test]
    fn special_bucket_values_are_read() {
        let result = r#"[
            {"metric":{"pod":"nan","le":"10"},"value":[1,"NaN"]},
            {"metric":{"pod":"nan","le":"+Inf"},"value":[1,"NaN"]},
            {"metric":{"pod":"inf","le":"10"},"value":[1,"1"]},
            {"metric":{"pod":"inf","le":"+Inf"},"value":[1,"+Inf"]}
        ]"#;
        let p50 = by_pod(&decode_buckets(result).expect("decodes").quantiles(&[0.5])[0]);
        // NaN counts are read as NaN; Prometheus's rule then finds no bucket reaching the (NaN)
        // rank and answers the largest finite bound.
        assert_eq!(p50["nan"], 10.0);
        // Rank +Inf is past every finite bucket: the largest finite bound.
        assert_eq!(p50["inf"], 10.0);
    }

    #[test]
    fn malformed_bucket_vectors_are_errors() {
        for bad in [
            r#"[{"metric":{"le":"1"},"value":[1,"x"]}]"#,
            r#"[{"metric":{"le":1},"value":[1,"1"]}]"#,
            r#"[{"metric":{"le":"1"}}]"#,
            r#"[{"metric":{"le":"1"},"value":[1,"1"]}"#,
            r#"[17]"#,
            r#"{"le":"1"}"#,
            r#"[] []"#,
        ] {
            assert!(decode_buckets(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn query_buckets_reports_malformed_answers_as_backend_errors() {
        let body: &'static str =
            Box::leak(vector_body(r#"[{"metric":{"le":"1"},"value":[1,"oops"]}]"#).into_boxed_str());
        let client = PromClient::with_transport(Arc::new(Fixed(body)), "http://prom/".into());
        let err = client.query_buckets("b", None).await.expect_err("malformed");
        assert_eq!(err.url, "http://prom/");
        assert!(err.cause.contains("malformed vector for query \"b\"") && err.cause.contains("\"oops\""), "{err}");

        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        let client = PromClient::with_transport(Arc::new(Fixed(matrix)), "http://prom/".into());
        let err = client.query_buckets("b", None).await.expect_err("not a vector");
        assert!(err.cause.contains("not a vector"), "{err}");

        let good: &'static str =
            Box::leak(vector_body(r#"[{"metric":{"le":"+Inf","pod":"a"},"value":[1,"2"]},{"metric":{"le":"4","pod":"a"},"value":[1,"2"]}]"#).into_boxed_str());
        let client = PromClient::with_transport(Arc::new(Fixed(good)), "http://prom/".into());
        let groups = client.query_buckets("b", Some(1.5)).await.expect("decodes");
        assert_eq!(by_pod(&groups.quantiles(&[0.5])[0])["a"], 2.0);
    }

    /// A body in chunks of `size` bytes, then (optionally) a transport failure.
    struct Chunked {
        status: u16,
        body: String,
        size: usize,
        fail: Option<&'static str>,
    }

    impl Transport for Chunked {
        fn call<'a>(
            &'a self,
            _path: &'a str,
            _form: Option<Vec<(&'static str, String)>>,
        ) -> BoxFuture<'a, Result<RawResponse, String>> {
            Box::pin(async move { Err("not used".to_string()) })
        }

        fn call_streamed<'a>(
            &'a self,
            _path: &'a str,
            _form: Option<Vec<(&'static str, String)>>,
        ) -> BoxFuture<'a, Result<StreamedResponse, String>> {
            let mut chunks: Vec<Result<Bytes, String>> =
                self.body.as_bytes().chunks(self.size).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            if let Some(cause) = self.fail {
                chunks.push(Err(cause.to_string()));
            }
            let status = self.status;
            Box::pin(async move { Ok(StreamedResponse { status, body: futures::stream::iter(chunks).boxed() }) })
        }
    }

    fn chunked(status: u16, body: impl Into<String>, size: usize) -> PromClient {
        let transport = Chunked { status, body: body.into(), size, fail: None };
        PromClient::with_transport(Arc::new(transport), "http://prom/".into())
    }

    #[tokio::test]
    async fn bucket_answers_decode_the_same_in_any_chunking() {
        let mut result = String::from("[");
        for pod in 0..40 {
            for (i, le) in ["1", "5", "10", "+Inf"].iter().enumerate() {
                let sep = if result.len() > 1 { "," } else { "" };
                let count = (pod % 7 + 1) * (i + 1);
                result.push_str(&format!(
                    r#"{sep}{{"metric":{{"le":"{le}","namespace":"n\"s","pod":"p-{pod}"}},"value":[1.5,"{count}"]}}"#
                ));
            }
        }
        result.push(']');
        // Other fields around the data, in another order, are ignored.
        let body =
            format!(r#"{{"data":{{"resultType":"vector","result":{result}}},"warnings":["w"],"status":"success"}}"#);
        let whole = decode_buckets(&result).expect("decodes").quantiles(&[0.5, 0.95, 0.99]);
        assert_eq!(whole[0].len(), 40);
        for size in [1, 7, 100, 4096, body.len()] {
            let groups = chunked(200, body.clone(), size).query_buckets("b", None).await.expect("decodes");
            let streamed = groups.quantiles(&[0.5, 0.95, 0.99]);
            for (s, w) in streamed.iter().zip(&whole) {
                assert_eq!(by_pod(s), by_pod(w), "chunks of {size}");
                assert_eq!(s[0].labels["namespace"], "n\"s");
            }
        }
    }

    #[tokio::test]
    async fn streamed_bucket_answers_report_every_failure() {
        let cause = |client: PromClient| async move { client.query_buckets("b", None).await.expect_err("fails").cause };
        let not_json = cause(chunked(200, "<html>\nproxy error</html>", 3)).await;
        assert_eq!(not_json, "answer is not Prometheus JSON: <html>");
        let failed = r#"{"status":"error","errorType":"execution","error":"query timed out"}"#;
        assert_eq!(cause(chunked(200, failed, 5)).await, "query \"b\" failed (execution): query timed out");
        let unprocessable = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert_eq!(cause(chunked(422, unprocessable, 5)).await, "422 Unprocessable Entity (bad_data): parse error");
        assert_eq!(cause(chunked(502, "bad gateway\nmore", 4)).await, "HTTP 502 Bad Gateway: bad gateway");
        let matrix =
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}"#;
        assert_eq!(cause(chunked(200, matrix, 9)).await, "query \"b\" returned a matrix, not a vector");
        assert_eq!(cause(chunked(200, r#"{"status":"success"}"#, 9)).await, "answer has no data");
        let truncated = vector_body(r#"[{"metric":{"le":"1"},"value":[1,"1"]}"#);
        assert!(cause(chunked(200, truncated, 9)).await.starts_with("answer is not Prometheus JSON"));
        let bad_value = vector_body(r#"[{"metric":{"le":"1"},"value":[1,"x"]}]"#);
        assert!(cause(chunked(200, bad_value, 9)).await.starts_with("malformed vector for query \"b\""));
        // A connection lost mid-answer is the cause, not a JSON error.
        let body = vector_body(r#"[{"metric":{"le":"1"},"value":[1,"1"]}]"#);
        let cut = Chunked { status: 200, body: body[..30].to_string(), size: 8, fail: Some("connection reset") };
        let client = PromClient::with_transport(Arc::new(cut), "http://prom/".into());
        assert_eq!(client.query_buckets("b", None).await.expect_err("cut").cause, "connection reset");
    }

    #[test]
    fn parses_special_values() {
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("12.5"), Some(12.5));
        assert_eq!(parse_value("x"), None);
    }
}

//! `POST /api/v1/query` with `time=`; decodes vectors and Prometheus's error envelope. The
//! bytes travel over a [`Transport`]: reqwest with rustls (auth headers, custom CA, client
//! certificate) or, with zero-config discovery, the Kubernetes API server's service proxy.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::http_config::{Auth, HttpAccess};
use super::{BackendError, Sample, redact_url};
use crate::engine::quantile::{BucketGroups, group_labels};

const BACKEND: &str = "Prometheus";

#[derive(Debug, Clone, Default)]
pub struct PromConfig {
    /// Base URL, possibly with a path prefix (`http://vmselect:8481/select/0/prometheus`).
    pub url: String,
    pub timeout: Duration,
    /// Authentication, extra headers and TLS.
    pub access: HttpAccess,
}

/// An answer before decoding: the status code and the body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
}

/// How requests reach the Prometheus HTTP API: directly over HTTP(S), or through something in
/// between (the Kubernetes API server's service proxy). `path` is relative to the API root
/// (`api/v1/query`); a form means POST, none means GET. Errors are the cause only; the client
/// adds the backend and URL.
pub trait Transport: Send + Sync {
    fn call<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>>;
}

#[derive(Clone)]
pub struct PromClient {
    transport: Arc<dyn Transport>,
    shown: String,
}

impl std::fmt::Debug for PromClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromClient").field("url", &self.shown).finish()
    }
}

/// Direct HTTP(S) with reqwest (rustls, the process's one crypto provider).
struct HttpTransport {
    base: url::Url,
    http: reqwest::Client,
    auth: Option<Auth>,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "resultType")]
    result_type: String,
    /// Kept raw (borrowed from the body, not copied) and decoded straight into samples, or
    /// into histograms: a `Value` tree of a big vector costs many times the size of the JSON.
    #[serde(borrow)]
    result: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
struct RawSample {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

/// Resolves `server_name` to the addresses of the URL's real host, so TLS (SNI and certificate
/// verification) uses `server_name` while the connection goes where the URL points.
struct ServerNameResolver {
    server_name: String,
    real_host: String,
    port: u16,
}

impl reqwest::dns::Resolve for ServerNameResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = if name.as_str().eq_ignore_ascii_case(&self.server_name) {
            self.real_host.clone()
        } else {
            name.as_str().to_string()
        };
        let port = self.port;
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn build_http(config: &PromConfig, base: &mut url::Url) -> Result<reqwest::Client, String> {
    let access = &config.access;
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)))
        .redirect(if access.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
    if !access.enable_http2 {
        builder = builder.http1_only();
    }
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &access.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        // Never quote the value: it may be a secret.
        let mut value = reqwest::header::HeaderValue::from_str(value.expose())
            .map_err(|_| format!("the value of header {name} is not a valid header value"))?;
        value.set_sensitive(true);
        headers.append(name, value);
    }
    builder = builder.default_headers(headers);
    let tls = &access.tls;
    if let Some(ca) = &tls.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(ca).map_err(|e| format!("invalid CA certificate: {e}"))?;
        if certs.is_empty() {
            return Err("the CA file holds no PEM certificate".into());
        }
        // Prometheus (Go) replaces the system roots with `ca_file`; so does lviz.
        builder = builder.tls_certs_only(certs);
    }
    if let Some(pem) = &tls.identity_pem {
        let identity =
            reqwest::Identity::from_pem(pem).map_err(|e| format!("invalid client certificate or key: {e}"))?;
        builder = builder.identity(identity);
    }
    if tls.insecure_skip_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(server_name) = &tls.server_name
        && base.scheme() == "https"
    {
        let real_host = base.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let port = base.port_or_known_default().unwrap_or(443);
        base.set_host(Some(server_name)).map_err(|e| format!("invalid tls_config.server_name: {e}"))?;
        builder =
            builder.dns_resolver(Arc::new(ServerNameResolver { server_name: server_name.clone(), real_host, port }));
    }
    builder.build().map_err(|e| format!("cannot build HTTP client: {}", innermost(&e)))
}

impl Transport for HttpTransport {
    fn call<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>> {
        Box::pin(async move {
            let url = self.base.join(path).map_err(|e| format!("invalid URL: {e}"))?;
            let mut request = match &form {
                Some(form) => self.http.post(url).form(form),
                None => self.http.get(url),
            };
            request = match &self.auth {
                Some(Auth::Basic { username, password }) => request.basic_auth(username, Some(password.expose())),
                Some(Auth::Authorization { scheme, credentials }) => {
                    let mut value =
                        reqwest::header::HeaderValue::from_str(&format!("{scheme} {}", credentials.expose()))
                            .map_err(|_| "the Authorization credentials are not a valid header value".to_string())?;
                    value.set_sensitive(true);
                    request.header(reqwest::header::AUTHORIZATION, value)
                }
                None => request,
            };
            let describe = |e: reqwest::Error| describe_reqwest(&e, self.timeout);
            let response = request.send().await.map_err(describe)?;
            let status = response.status().as_u16();
            // Not `text()`: it decodes into a second copy of a body that can be megabytes of
            // JSON. Prometheus answers UTF-8; the buffer becomes the String in place.
            let bytes = response.bytes().await.map_err(describe)?;
            let body = match String::from_utf8(Vec::from(bytes)) {
                Ok(body) => body,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            Ok(RawResponse { status, body })
        })
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
        let auth = config.access.auth.clone();
        if (!base.username().is_empty() || base.password().is_some()) && auth.is_some() {
            return Err(fail("credentials in the URL conflict with the other Prometheus authentication".into()));
        }
        let http = build_http(config, &mut base).map_err(fail)?;
        let transport = HttpTransport { base, http, auth, timeout: config.timeout };
        Ok(PromClient { transport: Arc::new(transport), shown })
    }

    /// A client over another transport; `shown_url` (already redacted) names it in errors.
    pub fn with_transport(transport: Arc<dyn Transport>, shown_url: String) -> Self {
        PromClient { transport, shown: shown_url }
    }

    /// The redacted base URL, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn error(&self, cause: impl Into<String>) -> BackendError {
        BackendError { backend: BACKEND, url: self.shown.clone(), cause: cause.into() }
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
    pub async fn query_buckets(&self, query: &str, at: Option<f64>) -> Result<BucketGroups, BackendError> {
        let body = self.send_query(query, at).await?;
        let result = self.vector(&body, query)?;
        decode_buckets(result.get()).map_err(|e| self.error(format!("malformed vector for query {query:?}: {e}")))
    }

    async fn send_query(&self, query: &str, at: Option<f64>) -> Result<String, BackendError> {
        let mut form = vec![("query", query.to_string())];
        if let Some(at) = at {
            form.push(("time", format_time(at)));
        }
        self.send("api/v1/query", Some(form)).await
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
    pub async fn scrape_interval(&self) -> Option<Duration> {
        let body = self.send("api/v1/status/config", None).await.ok()?;
        let data: serde_json::Value = serde_json::from_str(&body).ok()?;
        let yaml = data.get("data")?.get("yaml")?.as_str()?;
        scrape_interval_from_yaml(yaml)
    }

    /// `GET /-/ready` style probe used by `lviz serve`'s readiness: any successful query.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.query("vector(1)", None).await.map(|_| ())
    }

    async fn send(&self, path: &str, form: Option<Vec<(&'static str, String)>>) -> Result<String, BackendError> {
        let RawResponse { status, body } = self.transport.call(path, form).await.map_err(|e| self.error(e))?;
        let status =
            reqwest::StatusCode::from_u16(status).map_err(|_| self.error(format!("invalid HTTP status {status}")))?;
        // Prometheus answers 400/422/503 with its JSON error envelope; keep its message.
        if !status.is_success() {
            if let Ok(env) = serde_json::from_str::<Envelope>(&body)
                && env.status == "error"
            {
                return Err(self.error(format!("{} ({}): {}", status, env.error_type, env.error)));
            }
            return Err(self.error(format!("HTTP {status}: {}", first_line(&body))));
        }
        Ok(body)
    }

    fn decode<'a>(&self, body: &'a str, query: &str) -> Result<Data<'a>, BackendError> {
        let env: Envelope = serde_json::from_str(body)
            .map_err(|_| self.error(format!("answer is not Prometheus JSON: {}", first_line(body))))?;
        if env.status != "success" {
            return Err(self.error(format!("query {query:?} failed ({}): {}", env.error_type, env.error)));
        }
        env.data.ok_or_else(|| self.error("answer has no data"))
    }
}

/// Decodes an instant vector of histogram buckets (the JSON array of `result`) straight into
/// [`BucketGroups`]: each element is read into a transient sample, its `le` taken out of its
/// labels, and its count added to its group's histogram before the next element is read.
fn decode_buckets(result: &str) -> Result<BucketGroups, serde_json::Error> {
    let mut groups = BucketGroups::new();
    let mut de = serde_json::Deserializer::from_str(result);
    GroupBuckets(&mut groups).deserialize(&mut de)?;
    de.end()?;
    Ok(groups)
}

/// The seed that feeds the elements of a bucket vector to a [`BucketGroups`].
struct GroupBuckets<'g>(&'g mut BucketGroups);

impl<'de> DeserializeSeed<'de> for GroupBuckets<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupBuckets<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an instant vector (an array of samples)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(RawSample { mut metric, value: (_, value) }) = seq.next_element::<RawSample>()? {
            let count =
                parse_value(&value).ok_or_else(|| de::Error::custom(format!("malformed sample value {value:?}")))?;
            let le = group_labels(&mut metric);
            self.0.push(metric, le.as_deref(), count);
        }
        Ok(())
    }
}

fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    let mut cut: String = line.chars().take(120).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    if cut.is_empty() { "(empty body)".to_string() } else { cut }
}

/// The innermost cause is the useful one ("Connection refused (os error 111)").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn describe_reqwest(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} (--request-timeout)", humantime::format_duration(timeout));
    }
    let text = innermost(e);
    if e.is_connect() { format!("cannot connect: {text}") } else { text }
}

fn parse_value(v: &str) -> Option<f64> {
    match v {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// Seconds with millisecond precision, the resolution Prometheus keeps.
fn format_time(at: f64) -> String {
    let ms = (at * 1000.0).round() as i64;
    if ms % 1000 == 0 { format!("{}", ms / 1000) } else { format!("{}.{:03}", ms / 1000, ms % 1000) }
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
    use super::*;

    #[test]
    fn reads_scrape_interval() {
        let yaml = "global:\n  scrape_interval: 10s\n  scrape_timeout: 10s\nscrape_configs:\n- job_name: x\n  scrape_interval: 1m\n";
        assert_eq!(scrape_interval_from_yaml(yaml), Some(Duration::from_secs(10)));
        assert_eq!(parse_prom_duration("1m30s"), Some(Duration::from_secs(90)));
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
        let whole = crate::engine::quantile::histogram_quantiles(&samples, &[0.5, 0.99]);
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

    #[test]
    fn parses_special_values() {
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("12.5"), Some(12.5));
        assert_eq!(parse_value("x"), None);
    }
}

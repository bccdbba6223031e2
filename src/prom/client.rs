//! `POST /api/v1/query` with `time=`; decodes vectors and Prometheus's error envelope. The
//! bytes travel over a [`Transport`]: reqwest with rustls (auth headers, custom CA, client
//! certificate) or, with zero-config discovery, the Kubernetes API server's service proxy.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::http_config::{Auth, HttpAccess};
use super::{BackendError, Sample, redact_url};

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
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    /// Kept raw and decoded straight into samples: a `Value` tree of a big vector costs many
    /// times the size of the JSON.
    result: Box<serde_json::value::RawValue>,
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
            let body = response.text().await.map_err(describe)?;
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
        let mut form = vec![("query", query.to_string())];
        if let Some(at) = at {
            form.push(("time", format_time(at)));
        }
        let body = self.send("api/v1/query", Some(form)).await?;
        let data = self.decode(&body, query)?;
        if data.result_type != "vector" {
            return Err(self.error(format!("query {query:?} returned a {}, not a vector", data.result_type)));
        }
        let raw: Vec<RawSample> = serde_json::from_str(data.result.get())
            .map_err(|e| self.error(format!("malformed vector for query {query:?}: {e}")))?;
        raw.into_iter()
            .map(|s| {
                let value = parse_value(&s.value.1)
                    .ok_or_else(|| self.error(format!("malformed sample value {:?}", s.value.1)))?;
                Ok(Sample { labels: s.metric, value })
            })
            .collect()
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

    fn decode(&self, body: &str, query: &str) -> Result<Data, BackendError> {
        let env: Envelope = serde_json::from_str(body)
            .map_err(|_| self.error(format!("answer is not Prometheus JSON: {}", first_line(body))))?;
        if env.status != "success" {
            return Err(self.error(format!("query {query:?} failed ({}): {}", env.error_type, env.error)));
        }
        env.data.ok_or_else(|| self.error("answer has no data"))
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

    #[test]
    fn parses_special_values() {
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("12.5"), Some(12.5));
        assert_eq!(parse_value("x"), None);
    }
}

//! `POST /api/v1/query` with `time=`; decodes vectors and Prometheus's error envelope.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{BackendError, Sample, redact_url};

const BACKEND: &str = "Prometheus";

#[derive(Debug, Clone)]
pub struct PromConfig {
    /// Base URL, possibly with a path prefix (`http://vmselect:8481/select/0/prometheus`).
    pub url: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct PromClient {
    base: url::Url,
    shown: String,
    http: reqwest::Client,
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
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSample {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (serde_json::Value, String),
}

impl PromClient {
    pub fn new(config: &PromConfig) -> Result<Self, BackendError> {
        let shown = redact_url(&config.url);
        let fail = |cause: String| BackendError { backend: BACKEND, url: shown.clone(), cause };
        let mut base = url::Url::parse(&config.url).map_err(|e| fail(format!("invalid URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(fail(format!("unsupported URL scheme {:?}", base.scheme())));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| fail(format!("cannot build HTTP client: {e}")))?;
        Ok(PromClient { base, shown, http })
    }

    /// The redacted base URL, for messages.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    fn error(&self, cause: impl Into<String>) -> BackendError {
        BackendError { backend: BACKEND, url: self.shown.clone(), cause: cause.into() }
    }

    fn endpoint(&self, path: &str) -> Result<url::Url, BackendError> {
        self.base.join(path).map_err(|e| self.error(format!("invalid URL: {e}")))
    }

    /// An instant query; `at` is Unix seconds (None = Prometheus's now).
    pub async fn query(&self, query: &str, at: Option<f64>) -> Result<Vec<Sample>, BackendError> {
        let mut form = vec![("query", query.to_string())];
        if let Some(at) = at {
            form.push(("time", format_time(at)));
        }
        let body = self.send(self.http.post(self.endpoint("api/v1/query")?).form(&form)).await?;
        let data = self.decode(&body, query)?;
        if data.result_type != "vector" {
            return Err(self.error(format!("query {query:?} returned a {}, not a vector", data.result_type)));
        }
        let raw: Vec<RawSample> = serde_json::from_value(data.result)
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
        let request = self.http.get(self.endpoint("api/v1/status/config").ok()?);
        let body = self.send(request).await.ok()?;
        let data: serde_json::Value = serde_json::from_str(&body).ok()?;
        let yaml = data.get("data")?.get("yaml")?.as_str()?;
        scrape_interval_from_yaml(yaml)
    }

    /// `GET /-/ready` style probe used by `lviz serve`'s readiness: any successful query.
    pub async fn ping(&self) -> Result<(), BackendError> {
        self.query("vector(1)", None).await.map(|_| ())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<String, BackendError> {
        let response = request.send().await.map_err(|e| self.error(describe_reqwest(&e)))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| self.error(describe_reqwest(&e)))?;
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

fn describe_reqwest(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "request timed out".to_string();
    }
    // The innermost cause is the useful one ("Connection refused (os error 111)").
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
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

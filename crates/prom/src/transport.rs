//! How request bytes reach the Prometheus HTTP API: the [`Transport`] seam, and its direct
//! HTTP(S) implementation with reqwest (rustls, custom CA, client certificate, auth headers,
//! TLS server name). Another transport (the Kubernetes API server's service proxy) lives with
//! whoever composes backends. Nothing here decodes an answer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};

use lviz_api::limits::{DEFAULT_MAX_ANSWER_BYTES, ERROR_BODY_BYTES, too_large};

use crate::http_config::{Auth, HttpAccess};
use crate::trust::AnchorOrWebPki;

/// Where a Prometheus is and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct PromConfig {
    /// Base URL, possibly with a path prefix (`http://vmselect:8481/select/0/prometheus`).
    pub url: String,
    pub timeout: Duration,
    /// Authentication, extra headers and TLS.
    pub access: HttpAccess,
    /// `--max-answer-size` (0: [`lviz_api::limits::DEFAULT_MAX_ANSWER_BYTES`]).
    pub max_answer_bytes: u64,
}

impl PromConfig {
    /// The answer size limit in force.
    pub fn answer_limit(&self) -> u64 {
        if self.max_answer_bytes == 0 { DEFAULT_MAX_ANSWER_BYTES } else { self.max_answer_bytes }
    }
}

/// When the request being served must be done: its deadline (`lviz_api::deadline`), or
/// `timeout` from now, whichever comes first.
pub fn deadline_after(timeout: Duration) -> tokio::time::Instant {
    lviz_api::deadline::earliest(std::time::Instant::now() + timeout).into()
}

/// The cause of a request that ran out of time.
pub fn late(timeout: Duration) -> String {
    format!("no answer within {} (--request-timeout)", humantime::format_duration(timeout))
}

/// An answer before decoding: the status code and the body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
}

/// An answer whose body is handed over in chunks as they arrive.
pub struct StreamedResponse {
    pub status: u16,
    pub body: BoxStream<'static, Result<Bytes, String>>,
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

    /// The same request, with the body streamed: big answers are decoded while they arrive and
    /// never held whole. By default the whole body is read first and handed over as one chunk.
    fn call_streamed<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<StreamedResponse, String>> {
        Box::pin(async move {
            let RawResponse { status, body } = self.call(path, form).await?;
            let chunk = Bytes::from(body.into_bytes());
            Ok(StreamedResponse { status, body: futures::stream::iter([Ok(chunk)]).boxed() })
        })
    }
}

/// Direct HTTP(S) with reqwest (rustls, the process's one crypto provider).
pub(crate) struct HttpTransport {
    base: url::Url,
    http: reqwest::Client,
    auth: Option<Auth>,
    timeout: Duration,
    max_answer_bytes: u64,
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
    if let Some(ca) = tls.ca_pem.as_ref().filter(|_| !tls.insecure_skip_verify) {
        // Go's rule for a server certificate that is itself a configured root (`trust.rs`)
        // needs lviz's own verifier, so the whole TLS configuration is built here.
        let tls_config = rustls_config(ca, tls.identity_pem.as_deref(), access.enable_http2)?;
        builder = builder.tls_backend_preconfigured(tls_config);
    } else if let Some(ca) = &tls.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(ca).map_err(|e| format!("invalid CA certificate: {e}"))?;
        if certs.is_empty() {
            return Err("the CA file holds no PEM certificate".into());
        }
        // Prometheus (Go) replaces the system roots with `ca_file`; so does lviz.
        builder = builder.tls_certs_only(certs);
    }
    if let Some(pem) = tls.identity_pem.as_ref().filter(|_| tls.ca_pem.is_none() || tls.insecure_skip_verify) {
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

/// rustls configured as Prometheus's client would be with `ca_file` (and `cert_file`/`key_file`):
/// the CA file's certificates are the only roots, verified by [`AnchorOrWebPki`].
fn rustls_config(ca: &[u8], identity: Option<&[u8]>, http2: bool) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let roots: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(ca)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("invalid CA certificate: {e}"))?;
    if roots.is_empty() {
        return Err("the CA file holds no PEM certificate".into());
    }
    let verifier = Arc::new(AnchorOrWebPki::new(roots)?);
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(pem) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("invalid client certificate: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("invalid client key: {e}"))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| format!("invalid client certificate or key: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if http2 { vec![b"h2".to_vec(), b"http/1.1".to_vec()] } else { vec![b"http/1.1".to_vec()] };
    Ok(config)
}

impl HttpTransport {
    /// `base` ends with `/`, so API paths join below any prefix.
    pub(crate) fn new(config: &PromConfig, mut base: url::Url) -> Result<Self, String> {
        let http = build_http(config, &mut base)?;
        Ok(HttpTransport {
            base,
            http,
            auth: config.access.auth.clone(),
            timeout: config.timeout,
            max_answer_bytes: config.answer_limit(),
        })
    }

    /// Sends the request; the answer's headers must arrive by the request's deadline, which is
    /// returned for reading the body.
    async fn send(
        &self,
        path: &str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> Result<(reqwest::Response, tokio::time::Instant), String> {
        let deadline = deadline_after(self.timeout);
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
        match tokio::time::timeout_at(deadline, request.send()).await {
            Ok(sent) => sent.map(|r| (r, deadline)).map_err(|e| describe_reqwest(&e, self.timeout)),
            Err(_) => Err(late(self.timeout)),
        }
    }
}

impl Transport for HttpTransport {
    fn call<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<RawResponse, String>> {
        Box::pin(async move {
            let (mut response, deadline) = self.send(path, form).await?;
            let status = response.status().as_u16();
            let success = response.status().is_success();
            // An error answer is read only as far as its message needs.
            let limit = if success { self.max_answer_bytes } else { ERROR_BODY_BYTES as u64 };
            let mut body: Vec<u8> = Vec::new();
            loop {
                let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
                    Ok(chunk) => chunk.map_err(|e| describe_reqwest(&e, self.timeout))?,
                    Err(_) => return Err(late(self.timeout)),
                };
                let Some(chunk) = chunk else { break };
                let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
                if chunk.len() > room {
                    if success {
                        return Err(too_large(limit));
                    }
                    body.extend_from_slice(&chunk[..room]);
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            // Prometheus answers UTF-8; the buffer becomes the String in place.
            let body = match String::from_utf8(body) {
                Ok(body) => body,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            Ok(RawResponse { status, body })
        })
    }

    fn call_streamed<'a>(
        &'a self,
        path: &'a str,
        form: Option<Vec<(&'static str, String)>>,
    ) -> BoxFuture<'a, Result<StreamedResponse, String>> {
        Box::pin(async move {
            let (response, deadline) = self.send(path, form).await?;
            let status = response.status().as_u16();
            let body = bounded(response.bytes_stream(), deadline, self.timeout, self.max_answer_bytes);
            Ok(StreamedResponse { status, body })
        })
    }
}

/// `chunks`, ended with an error at the deadline or once more than `limit` bytes came.
fn bounded(
    chunks: impl futures::Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    deadline: tokio::time::Instant,
    timeout: Duration,
    limit: u64,
) -> BoxStream<'static, Result<Bytes, String>> {
    let state = (Box::pin(chunks), 0u64, false);
    futures::stream::unfold(state, move |(mut chunks, mut seen, done)| async move {
        if done {
            return None;
        }
        let next = match tokio::time::timeout_at(deadline, chunks.next()).await {
            Err(_) => Some(Err(late(timeout))),
            Ok(None) => None,
            Ok(Some(Err(e))) => Some(Err(describe_reqwest(&e, timeout))),
            Ok(Some(Ok(chunk))) => {
                seen += chunk.len() as u64;
                Some(if seen > limit { Err(too_large(limit)) } else { Ok(chunk) })
            }
        };
        next.map(|item| {
            let stop = item.is_err();
            (item, (chunks, seen, stop))
        })
    })
    .boxed()
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
        return late(timeout);
    }
    let text = innermost(e);
    if e.is_connect() { format!("cannot connect: {text}") } else { text }
}

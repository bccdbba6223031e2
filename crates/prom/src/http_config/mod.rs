//! Prometheus's own HTTP client configuration file (the format `promtool --http.config.file`
//! and `scrape_configs` read), parsed with serde, plus the convenience flags, reduced to one
//! [`HttpAccess`]: the headers and TLS material every request to Prometheus carries.
//!
//! Files named inside the config are resolved relative to the config file, as Prometheus does.
//! Secrets are read once, when lviz starts, and are never formatted: [`Secret`]'s `Debug` prints
//! `***`, and no error message quotes a header value or a file's contents.

use std::path::{Path, PathBuf};

mod yaml;

use yaml::FileConfig;

/// A credential: its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// How requests authenticate: at most one of these, as Prometheus allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Basic {
        username: String,
        password: Secret,
    },
    /// `Authorization: <type> <credentials>`.
    Authorization {
        scheme: String,
        credentials: Secret,
    },
}

/// TLS material, already read from disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM roots; when set they replace the built-in roots (Go's `RootCAs`, as Prometheus).
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate chain and private key, PEM, concatenated.
    pub identity_pem: Option<Vec<u8>>,
    /// Name to verify the server certificate against instead of the URL's host.
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
}

/// Everything about *how* to talk to Prometheus, beyond where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAccess {
    pub auth: Option<Auth>,
    /// Extra headers; values are secrets (tenant IDs and API keys alike are never printed).
    pub headers: Vec<(String, Secret)>,
    pub tls: TlsSettings,
    pub follow_redirects: bool,
    pub enable_http2: bool,
}

/// No auth, no extra headers, system roots; redirects followed and HTTP/2 allowed, as in
/// Prometheus's defaults.
impl Default for HttpAccess {
    fn default() -> Self {
        HttpAccess {
            auth: None,
            headers: Vec::new(),
            tls: TlsSettings::default(),
            follow_redirects: true,
            enable_http2: true,
        }
    }
}

/// The environment variable `--prometheus-bearer-token-env` defaults to.
pub const TOKEN_ENV: &str = "LVIZ_PROMETHEUS_TOKEN";
/// Where `--prometheus-user` finds its password.
pub const PASSWORD_ENV: &str = "LVIZ_PROMETHEUS_PASSWORD";

/// The flags and environment that shape [`HttpAccess`], as the CLI collected them.
#[derive(Debug, Clone, Default)]
pub struct AccessFlags {
    /// `--prometheus-http-config`.
    pub http_config: Option<PathBuf>,
    /// `--prometheus-bearer-token-file`.
    pub bearer_token_file: Option<PathBuf>,
    /// The token read from `--prometheus-bearer-token-env VAR` or `LVIZ_PROMETHEUS_TOKEN`, and the
    /// variable's name (for messages).
    pub bearer_token_env: Option<(String, Secret)>,
    /// `--prometheus-header 'Name: value'`, split.
    pub headers: Vec<(String, Secret)>,
    /// `--prometheus-user` and the password from `LVIZ_PROMETHEUS_PASSWORD`.
    pub user: Option<(String, Secret)>,
}

/// A problem with the flags or the files they name: always a usage error (exit 2).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AccessError(pub String);

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, AccessError> {
    std::fs::read(path).map_err(|e| AccessError(format!("cannot read {what} {}: {e}", path.display())))
}

/// A secret file's first line-trimmed contents, as Prometheus trims them.
fn read_secret(path: &Path, what: &str) -> Result<Secret, AccessError> {
    let bytes = read_file(path, what)?;
    let text =
        String::from_utf8(bytes).map_err(|_| AccessError(format!("{what} {} is not UTF-8 text", path.display())))?;
    Ok(Secret(text.trim().to_string()))
}

/// Resolves `path` against the directory of the config file.
fn relative_to(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() { path.to_path_buf() } else { base.join(path) }
}

/// Parses the YAML text of an HTTP config file; `origin` names it in messages.
fn parse_file(text: &str, origin: &Path) -> Result<FileConfig, AccessError> {
    // An empty file is an empty config, as in Prometheus.
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    serde_yaml_ng::from_str(text)
        .map_err(|e| AccessError(format!("invalid --prometheus-http-config {}: {e}", origin.display())))
}

fn unsupported(file: &FileConfig, origin: &Path) -> Result<(), AccessError> {
    let set = [
        ("oauth2", file.oauth2.is_some()),
        ("proxy_url", file.proxy_url.is_some()),
        ("no_proxy", file.no_proxy.is_some()),
        ("proxy_from_environment", file.proxy_from_environment.is_some()),
        ("proxy_connect_header", file.proxy_connect_header.is_some()),
    ];
    let tls = file.tls_config.as_ref();
    let tls_set = [
        ("tls_config.min_version", tls.is_some_and(|t| t.min_version.is_some())),
        ("tls_config.max_version", tls.is_some_and(|t| t.max_version.is_some())),
    ];
    match set.iter().chain(tls_set.iter()).find(|(_, on)| *on) {
        Some((key, _)) => Err(AccessError(format!(
            "invalid --prometheus-http-config {}: `{key}` is not supported by lviz",
            origin.display()
        ))),
        None => Ok(()),
    }
}

/// Inline value or file (exactly one), as Prometheus's `x` / `x_file` pairs.
fn inline_or_file(
    inline: Option<&str>,
    file: Option<&Path>,
    key: &str,
    base: &Path,
    origin: &Path,
) -> Result<Option<Secret>, AccessError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(AccessError(format!(
            "invalid --prometheus-http-config {}: at most one of `{key}` and `{key}_file` may be set",
            origin.display()
        ))),
        (Some(v), None) => Ok(Some(Secret(v.to_string()))),
        (None, Some(p)) => read_secret(&relative_to(base, p), key).map(Some),
        (None, None) => Ok(None),
    }
}

fn pem_or_file(
    inline: Option<&str>,
    file: Option<&Path>,
    key: &str,
    base: &Path,
    origin: &Path,
) -> Result<Option<Vec<u8>>, AccessError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(AccessError(format!(
            "invalid --prometheus-http-config {}: at most one of `tls_config.{key}` and `tls_config.{key}_file` may be set",
            origin.display()
        ))),
        (Some(v), None) => Ok(Some(v.as_bytes().to_vec())),
        (None, Some(p)) => read_file(&relative_to(base, p), &format!("tls_config.{key}_file")).map(Some),
        (None, None) => Ok(None),
    }
}

/// Reduces a parsed file to [`HttpAccess`], reading the files it names.
fn from_file(file: FileConfig, origin: &Path) -> Result<HttpAccess, AccessError> {
    unsupported(&file, origin)?;
    let base = origin.parent().unwrap_or_else(|| Path::new("."));
    let bad = |msg: &str| AccessError(format!("invalid --prometheus-http-config {}: {msg}", origin.display()));
    let mut auths = Vec::new();
    if let Some(b) = file.basic_auth {
        let username = match (b.username.is_empty(), &b.username_file) {
            (false, Some(_)) => return Err(bad("at most one of `username` and `username_file` may be set")),
            (_, Some(p)) => read_secret(&relative_to(base, p), "basic_auth.username_file")?.0,
            (_, None) => b.username,
        };
        let password = inline_or_file(b.password.as_deref(), b.password_file.as_deref(), "password", base, origin)?
            .unwrap_or_else(|| Secret(String::new()));
        auths.push(Auth::Basic { username, password });
    }
    if let Some(a) = file.authorization {
        let scheme = a.scheme.filter(|s| !s.is_empty()).unwrap_or_else(|| "Bearer".to_string());
        if scheme.eq_ignore_ascii_case("basic") {
            return Err(bad("authorization type cannot be set to \"basic\", use \"basic_auth\" instead"));
        }
        let credentials =
            inline_or_file(a.credentials.as_deref(), a.credentials_file.as_deref(), "credentials", base, origin)?
                .unwrap_or_else(|| Secret(String::new()));
        auths.push(Auth::Authorization { scheme, credentials });
    }
    if let Some(token) =
        inline_or_file(file.bearer_token.as_deref(), file.bearer_token_file.as_deref(), "bearer_token", base, origin)?
    {
        auths.push(Auth::Authorization { scheme: "Bearer".into(), credentials: token });
    }
    if auths.len() > 1 {
        return Err(bad("at most one of basic_auth, authorization and bearer_token[_file] may be set"));
    }

    let mut headers = Vec::new();
    for (name, h) in file.http_headers.unwrap_or_default() {
        check_header_name(&name).map_err(|m| bad(&m))?;
        for v in h.values.into_iter().chain(h.secrets) {
            headers.push((name.clone(), Secret(v)));
        }
        for p in h.files {
            headers.push((name.clone(), read_secret(&relative_to(base, &p), &format!("http_headers.{name} file"))?));
        }
    }

    let t = file.tls_config.unwrap_or_default();
    let ca_pem = pem_or_file(t.ca.as_deref(), t.ca_file.as_deref(), "ca", base, origin)?;
    let cert = pem_or_file(t.cert.as_deref(), t.cert_file.as_deref(), "cert", base, origin)?;
    let key = pem_or_file(t.key.as_deref(), t.key_file.as_deref(), "key", base, origin)?;
    let identity_pem = match (cert, key) {
        (Some(mut cert), Some(key)) => {
            cert.push(b'\n');
            cert.extend(key);
            Some(cert)
        }
        (None, None) => None,
        _ => return Err(bad("tls_config needs both a client certificate and its key, or neither")),
    };
    Ok(HttpAccess {
        auth: auths.pop(),
        headers,
        tls: TlsSettings {
            ca_pem,
            identity_pem,
            server_name: t.server_name.filter(|s| !s.is_empty()),
            insecure_skip_verify: t.insecure_skip_verify,
        },
        follow_redirects: file.follow_redirects.unwrap_or(true),
        enable_http2: file.enable_http2.unwrap_or(true),
    })
}

/// Headers the HTTP client sets itself (framing, connection management, content negotiation,
/// the target): a second value would break the request (`Content-Length: 5` makes the server
/// wait for a body that never comes). Prometheus refuses the same in `http_headers`.
const CLIENT_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "content-type",
    "content-encoding",
    "accept-encoding",
    "proxy-authorization",
];

/// An HTTP header name: a non-empty RFC 9110 token, and not one the client owns.
fn check_header_name(name: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("invalid header name {}", lviz_api::window::go_quote(name)));
    }
    if name.eq_ignore_ascii_case("authorization") {
        return Err("set the Authorization header with authorization, basic_auth or a bearer token flag".into());
    }
    if CLIENT_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
        return Err(format!("header {name} is set by lviz's HTTP client and cannot be overridden"));
    }
    Ok(())
}

/// `--prometheus-header 'Name: value'` → (name, value).
pub fn parse_header_flag(text: &str) -> Result<(String, Secret), AccessError> {
    let Some((name, value)) = text.split_once(':') else {
        // Never echo the text: it may hold a secret value.
        return Err(AccessError("invalid --prometheus-header: expected 'Name: value'".into()));
    };
    let name = name.trim();
    check_header_name(name).map_err(|m| AccessError(format!("invalid --prometheus-header: {m}")))?;
    Ok((name.to_string(), Secret(value.trim().to_string())))
}

/// Combines the config file with the flags. Flags add headers; at most one source may set
/// the `Authorization` header, so a token flag next to a file's `authorization` is an error.
pub fn load(flags: &AccessFlags) -> Result<HttpAccess, AccessError> {
    let mut access = match &flags.http_config {
        Some(path) => {
            let text = String::from_utf8(read_file(path, "--prometheus-http-config")?).map_err(|_| {
                AccessError(format!("invalid --prometheus-http-config {}: not UTF-8 text", path.display()))
            })?;
            from_file(parse_file(&text, path)?, path)?
        }
        None => HttpAccess::default(),
    };
    let mut flag_auths: Vec<(&str, Auth)> = Vec::new();
    if let Some(path) = &flags.bearer_token_file {
        let token = read_secret(path, "--prometheus-bearer-token-file")?;
        flag_auths.push(("--prometheus-bearer-token-file", bearer(token)));
    }
    if let Some((_, token)) = &flags.bearer_token_env {
        flag_auths.push(("--prometheus-bearer-token-env", bearer(token.clone())));
    }
    if let Some((user, password)) = &flags.user {
        flag_auths.push(("--prometheus-user", Auth::Basic { username: user.clone(), password: password.clone() }));
    }
    if flag_auths.len() > 1 {
        let names: Vec<&str> = flag_auths.iter().map(|(n, _)| *n).collect();
        return Err(AccessError(format!("{} are mutually exclusive", names.join(" and "))));
    }
    if let Some((name, auth)) = flag_auths.pop() {
        if access.auth.is_some() {
            return Err(AccessError(format!(
                "{name} conflicts with the authentication set in --prometheus-http-config"
            )));
        }
        access.auth = Some(auth);
    }
    access.headers.extend(flags.headers.iter().cloned());
    Ok(access)
}

fn bearer(token: Secret) -> Auth {
    Auth::Authorization { scheme: "Bearer".into(), credentials: token }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(yaml: &str) -> Result<HttpAccess, AccessError> {
        let origin = Path::new("/nonexistent/http.yml");
        from_file(parse_file(yaml, origin)?, origin)
    }

    #[test]
    fn reads_every_supported_key() {
        let a = parsed(
            "basic_auth: {username: u, password: p}\n\
             tls_config: {ca: CA, cert: C, key: K, server_name: prom.internal, insecure_skip_verify: true}\n\
             http_headers:\n  X-Scope-OrgID: {values: [tenant1]}\n  X-Key: {secrets: [s1, s2]}\n\
             follow_redirects: false\n",
        )
        .unwrap();
        assert_eq!(a.auth, Some(Auth::Basic { username: "u".into(), password: Secret::new("p") }));
        assert_eq!(a.tls.ca_pem.as_deref(), Some(&b"CA"[..]));
        assert_eq!(a.tls.identity_pem.as_deref(), Some(&b"C\nK"[..]));
        assert_eq!(a.tls.server_name.as_deref(), Some("prom.internal"));
        assert!(a.tls.insecure_skip_verify && !a.follow_redirects && a.enable_http2);
        let names: Vec<&str> = a.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X-Key", "X-Key", "X-Scope-OrgID"]);
        assert_eq!(format!("{:?}", a.headers[0]), "(\"X-Key\", ***)");
    }

    #[test]
    fn authorization_defaults_to_bearer_and_legacy_keys_work() {
        let a = parsed("authorization: {credentials: tok}\n").unwrap();
        assert_eq!(a.auth, Some(Auth::Authorization { scheme: "Bearer".into(), credentials: Secret::new("tok") }));
        let a = parsed("bearer_token: tok\n").unwrap();
        assert_eq!(a.auth, Some(Auth::Authorization { scheme: "Bearer".into(), credentials: Secret::new("tok") }));
        assert_eq!(parsed("").unwrap().auth, None);
    }

    #[test]
    fn unknown_and_unsupported_keys_are_named() {
        let e = parsed("basic_auth: {username: u, pasword: p}\n").unwrap_err().0;
        assert!(e.contains("pasword") && e.contains("/nonexistent/http.yml"), "{e}");
        let e = parsed("tls_confg: {}\n").unwrap_err().0;
        assert!(e.contains("tls_confg"), "{e}");
        let e = parsed("oauth2: {client_id: x}\n").unwrap_err().0;
        assert!(e.contains("`oauth2` is not supported"), "{e}");
        let e = parsed("basic_auth: {username: u}\nauthorization: {credentials: x}\n").unwrap_err().0;
        assert!(e.contains("at most one"), "{e}");
        let e = parsed("tls_config: {cert: C}\n").unwrap_err().0;
        assert!(e.contains("both"), "{e}");
    }

    #[test]
    fn header_flags() {
        let (n, v) = parse_header_flag("X-Scope-OrgID: tenant1").unwrap();
        assert_eq!((n.as_str(), v.expose()), ("X-Scope-OrgID", "tenant1"));
        let e = parse_header_flag("no colon secretvalue").unwrap_err().0;
        assert!(!e.contains("secretvalue"), "{e}");
        assert!(parse_header_flag("Bad Name: x").is_err());
        assert!(parse_header_flag("Authorization: Bearer x").is_err());
        for owned in ["Content-Length: 5", "host: evil", "Transfer-Encoding: chunked", "CONNECTION: close"] {
            let e = parse_header_flag(owned).unwrap_err().0;
            assert!(e.contains("is set by lviz's HTTP client"), "{owned}: {e}");
        }
    }

    #[test]
    fn flags_conflict_with_file_auth() {
        let flags = AccessFlags {
            bearer_token_env: Some(("T".into(), Secret::new("a"))),
            user: Some(("u".into(), Secret::new("p"))),
            ..Default::default()
        };
        let e = load(&flags).unwrap_err().0;
        assert!(e.contains("mutually exclusive"), "{e}");
    }
}

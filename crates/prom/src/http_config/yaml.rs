//! The YAML of Prometheus's HTTP client configuration file, as serde reads it: every key
//! Prometheus knows is a field (the ones lviz does not support too, so they can be named in an
//! error rather than ignored), and an unknown key is an error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) basic_auth: Option<BasicAuthYaml>,
    pub(super) authorization: Option<AuthorizationYaml>,
    pub(super) bearer_token: Option<String>,
    pub(super) bearer_token_file: Option<PathBuf>,
    pub(super) tls_config: Option<TlsYaml>,
    pub(super) http_headers: Option<BTreeMap<String, HeaderYaml>>,
    pub(super) follow_redirects: Option<bool>,
    pub(super) enable_http2: Option<bool>,
    // Known to Prometheus, not supported by lviz: named in a clear error rather than ignored.
    pub(super) oauth2: Option<serde_yaml_ng::Value>,
    pub(super) proxy_url: Option<serde_yaml_ng::Value>,
    pub(super) no_proxy: Option<serde_yaml_ng::Value>,
    pub(super) proxy_from_environment: Option<serde_yaml_ng::Value>,
    pub(super) proxy_connect_header: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BasicAuthYaml {
    #[serde(default)]
    pub(super) username: String,
    pub(super) username_file: Option<PathBuf>,
    pub(super) password: Option<String>,
    pub(super) password_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthorizationYaml {
    #[serde(rename = "type")]
    pub(super) scheme: Option<String>,
    pub(super) credentials: Option<String>,
    pub(super) credentials_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TlsYaml {
    pub(super) ca: Option<String>,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) cert: Option<String>,
    pub(super) cert_file: Option<PathBuf>,
    pub(super) key: Option<String>,
    pub(super) key_file: Option<PathBuf>,
    pub(super) server_name: Option<String>,
    #[serde(default)]
    pub(super) insecure_skip_verify: bool,
    pub(super) min_version: Option<serde_yaml_ng::Value>,
    pub(super) max_version: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeaderYaml {
    #[serde(default)]
    pub(super) values: Vec<String>,
    #[serde(default)]
    pub(super) secrets: Vec<String>,
    #[serde(default)]
    pub(super) files: Vec<PathBuf>,
}

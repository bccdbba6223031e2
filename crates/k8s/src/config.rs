//! Finding the cluster as kubectl does: `--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`, the
//! in-cluster service account; the context and its default namespace.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use lviz_api::{BackendError, hygiene};

use crate::BACKEND;
use crate::bounds::KubeLimits;
use crate::cluster::Cluster;

/// Where to find the cluster: `--kubeconfig` (one file, no merging), else `$KUBECONFIG`
/// (merged list), else `~/.kube/config`, else the in-cluster service account.
#[derive(Debug, Clone, Default)]
pub struct KubeSettings {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

fn config_error(settings: &KubeSettings, cause: impl std::fmt::Display) -> BackendError {
    let url = match &settings.kubeconfig {
        Some(p) => format!("kubeconfig {}", p.display()),
        None => "kubeconfig".to_string(),
    };
    BackendError { backend: BACKEND, url, cause: hygiene::backend_text(&cause.to_string()) }
}

/// A kubeconfig that cannot be read, named by file and line only: a YAML parser's message
/// quotes the text around the fault, and a kubeconfig holds tokens and keys.
fn kubeconfig_error(settings: &KubeSettings, path: Option<&Path>, e: KubeconfigError) -> BackendError {
    let cause = describe_kubeconfig_error(path, &e);
    let url = match path.or(settings.kubeconfig.as_deref()) {
        Some(p) => format!("kubeconfig {}", p.display()),
        None => "kubeconfig".to_string(),
    };
    BackendError { backend: BACKEND, url, cause: hygiene::backend_text(&cause) }
}

/// The message of a kubeconfig that cannot be used: a parse error names the file and the line
/// only (the parser's own message quotes the text around the fault, tokens included).
pub fn describe_kubeconfig_error(path: Option<&Path>, e: &KubeconfigError) -> String {
    match e {
        KubeconfigError::Parse(inner) => {
            let line = line_of(&inner.to_string()).map(|n| format!(" at line {n}")).unwrap_or_default();
            let file = path.map(|p| format!(" {}", p.display())).unwrap_or_default();
            format!("cannot parse the kubeconfig{file}: invalid YAML{line} (contents not shown)")
        }
        other => hygiene::backend_text(&other.to_string()),
    }
}

/// The first `line N` a parser's message names.
fn line_of(message: &str) -> Option<u64> {
    let at = message.find("line ")?;
    let digits: String = message[at + 5..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The files `$KUBECONFIG` names, as kubectl splits it.
fn env_paths() -> Vec<PathBuf> {
    std::env::var_os("KUBECONFIG")
        .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default()
}

fn read_kubeconfig(settings: &KubeSettings) -> Result<Option<Kubeconfig>, BackendError> {
    match &settings.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map(Some).map_err(|e| kubeconfig_error(settings, Some(path), e)),
        None => {
            let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
            let home_config = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config"));
            if env_set || home_config.as_ref().is_some_and(|p| p.exists()) {
                Kubeconfig::read().map(Some).map_err(|e| {
                    // Name the file at fault: read each one alone.
                    let paths = if env_set { env_paths() } else { home_config.into_iter().collect() };
                    let culprit = paths.iter().find(|p| Kubeconfig::read_from(p).is_err());
                    kubeconfig_error(settings, culprit.map(PathBuf::as_path), e)
                })
            } else {
                Ok(None)
            }
        }
    }
}

/// The namespace commands default to: the context's namespace, else `default`. No network.
pub fn default_namespace(settings: &KubeSettings) -> Result<String, BackendError> {
    let Some(config) = read_kubeconfig(settings)? else { return Ok("default".into()) };
    let context_name = settings.context.clone().or(config.current_context.clone());
    check_context(settings, &config)?;
    let namespace = config
        .contexts
        .iter()
        .find(|c| Some(&c.name) == context_name.as_ref())
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.namespace.clone())
        .filter(|ns| !ns.is_empty());
    Ok(namespace.unwrap_or_else(|| "default".into()))
}

/// `--context NAME` must be one of the kubeconfig's; the error lists those that exist.
fn check_context(settings: &KubeSettings, config: &Kubeconfig) -> Result<(), BackendError> {
    let Some(name) = &settings.context else { return Ok(()) };
    if config.contexts.iter().any(|c| &c.name == name) {
        return Ok(());
    }
    let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    Err(config_error(settings, format!("context {name:?} not found in kubeconfig (contexts: {known})")))
}

/// The names of the kubeconfig's contexts (for completion). No network.
pub fn contexts(settings: &KubeSettings) -> Result<Vec<String>, BackendError> {
    let Some(config) = read_kubeconfig(settings)? else { return Ok(Vec::new()) };
    Ok(config.contexts.iter().map(|c| c.name.clone()).collect())
}

/// Builds a kube client the way kubectl would find the cluster, with the default bounds.
pub async fn connect(settings: &KubeSettings) -> Result<Cluster, BackendError> {
    connect_with(settings, &KubeLimits::default()).await
}

/// Builds a kube client the way kubectl would find the cluster; every call is bounded by
/// `limits` (timeouts, answer size, the request's deadline).
pub async fn connect_with(settings: &KubeSettings, limits: &KubeLimits) -> Result<Cluster, BackendError> {
    let options = KubeConfigOptions { context: settings.context.clone(), ..Default::default() };
    let config = match read_kubeconfig(settings)? {
        Some(kubeconfig) => {
            check_context(settings, &kubeconfig)?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| kubeconfig_error(settings, None, e))?
        }
        None => kube::Config::incluster()
            .map_err(|e| config_error(settings, format!("no kubeconfig found and not running in a cluster ({e})")))?,
    };
    let mut config = config;
    limits.configure(&mut config);
    let shown = lviz_api::redact_url(&config.cluster_url.to_string());
    let client = limits.client(config).map_err(|e| BackendError {
        backend: BACKEND,
        url: shown.clone(),
        cause: hygiene::backend_text(&e.to_string()),
    })?;
    Ok(Cluster::new(client, shown).with_limits(*limits))
}

/// Whether there is any Kubernetes configuration to use: `--kubeconfig`, `$KUBECONFIG`,
/// `~/.kube/config`, or a pod's service account. Without one, lviz can only be Prometheus-only.
pub fn kube_configured(kubeconfig_flag: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let home_config = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".kube/config"));
    kubeconfig_flag || set("KUBECONFIG") || home_config.is_some_and(|p| p.exists()) || set("KUBERNETES_SERVICE_HOST")
}

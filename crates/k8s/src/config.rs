//! Finding the cluster as kubectl does: `--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`, the
//! in-cluster service account; the context and its default namespace.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

use lviz_api::BackendError;

use crate::BACKEND;
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
    BackendError { backend: BACKEND, url, cause: cause.to_string() }
}

fn read_kubeconfig(settings: &KubeSettings) -> Result<Option<Kubeconfig>, BackendError> {
    match &settings.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map(Some).map_err(|e| config_error(settings, e)),
        None => {
            let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
            let home_config = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config"));
            if env_set || home_config.is_some_and(|p| p.exists()) {
                Kubeconfig::read().map(Some).map_err(|e| config_error(settings, e))
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

/// Builds a kube client the way kubectl would find the cluster.
pub async fn connect(settings: &KubeSettings) -> Result<Cluster, BackendError> {
    let options = KubeConfigOptions { context: settings.context.clone(), ..Default::default() };
    let config = match read_kubeconfig(settings)? {
        Some(kubeconfig) => {
            check_context(settings, &kubeconfig)?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options).await.map_err(|e| config_error(settings, e))?
        }
        None => kube::Config::incluster()
            .map_err(|e| config_error(settings, format!("no kubeconfig found and not running in a cluster ({e})")))?,
    };
    let shown = lviz_api::redact_url(&config.cluster_url.to_string());
    let client = kube::Client::try_from(config).map_err(|e| BackendError {
        backend: BACKEND,
        url: shown.clone(),
        cause: e.to_string(),
    })?;
    Ok(Cluster::new(client, shown))
}

/// Whether there is any Kubernetes configuration to use: `--kubeconfig`, `$KUBECONFIG`,
/// `~/.kube/config`, or a pod's service account. Without one, lviz can only be Prometheus-only.
pub fn kube_configured(kubeconfig_flag: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let home_config = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".kube/config"));
    kubeconfig_flag || set("KUBECONFIG") || home_config.is_some_and(|p| p.exists()) || set("KUBERNETES_SERVICE_HOST")
}

//! Kubeconfig-derived input: a kubeconfig parsed as kube parses it, then what lviz takes from
//! it (server URLs redacted for messages, namespaces checked and put into paths, the error of a
//! broken file): never a panic, and the error never quotes the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lviz_api::{names, redact_url};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match kube::config::Kubeconfig::from_yaml(text) {
        Ok(config) => {
            for cluster in config.clusters.iter().filter_map(|c| c.cluster.as_ref()) {
                if let Some(server) = &cluster.server {
                    let _ = redact_url(server);
                }
            }
            for context in config.contexts.iter().filter_map(|c| c.context.as_ref()) {
                if let Some(ns) = &context.namespace
                    && names::check_namespace("namespace", ns).is_ok()
                {
                    assert_eq!(&names::path_segment(ns), ns);
                }
            }
        }
        Err(e) => {
            let message = lviz_k8s::describe_kubeconfig_error(None, &e);
            if let Some(rest) = message.strip_prefix("cannot parse the kubeconfig: invalid YAML") {
                let at = rest.strip_suffix(" (contents not shown)").unwrap_or_else(|| panic!("{message}"));
                let line = at.strip_prefix(" at line ").unwrap_or(at);
                assert!(line.bytes().all(|b| b.is_ascii_digit()), "{message}");
            }
        }
    }
});

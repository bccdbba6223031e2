//! kubectl's pod status string (what linkerd's `GetPodStatus` prints in the STATUS column).

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

pub fn pod_status(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let mut reason = status.and_then(|s| s.phase.clone()).unwrap_or_default();
    if let Some(r) = status.and_then(|s| s.reason.clone()).filter(|r| !r.is_empty()) {
        reason = r;
    }
    let init_total = pod.spec.as_ref().and_then(|s| s.init_containers.as_ref()).map_or(0, Vec::len);
    let mut initializing = false;
    let init_statuses: &[ContainerStatus] =
        status.and_then(|s| s.init_container_statuses.as_deref()).unwrap_or_default();
    for (i, c) in init_statuses.iter().enumerate() {
        let state = c.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        match (terminated, waiting) {
            (Some(t), _) if t.exit_code == 0 => continue,
            (Some(t), _) => {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => format!("Init:{r}"),
                    None if t.signal.unwrap_or(0) != 0 => format!("Init:Signal:{}", t.signal.unwrap_or(0)),
                    None => format!("Init:ExitCode:{}", t.exit_code),
                };
            }
            (None, Some(w)) if w.reason.as_deref().is_some_and(|r| !r.is_empty() && r != "PodInitializing") => {
                reason = format!("Init:{}", w.reason.as_deref().unwrap_or_default());
            }
            _ => reason = format!("Init:{i}/{init_total}"),
        }
        initializing = true;
        break;
    }
    if !initializing {
        let mut has_running = false;
        let statuses: &[ContainerStatus] = status.and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
        for c in statuses.iter().rev() {
            let state = c.state.as_ref();
            let waiting = state.and_then(|s| s.waiting.as_ref());
            let terminated = state.and_then(|s| s.terminated.as_ref());
            if let Some(r) = waiting.and_then(|w| w.reason.clone()).filter(|r| !r.is_empty()) {
                reason = r;
            } else if let Some(t) = terminated {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if c.ready && state.and_then(|s| s.running.as_ref()).is_some() {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = "Running".to_string();
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).expect("valid pod")
    }

    #[test]
    fn statuses() {
        let p = pod(serde_json::json!({"status": {"phase": "Running"}}));
        assert_eq!(pod_status(&p), "Running");
        let p = pod(serde_json::json!({"status": {"phase": "Failed", "reason": "Evicted"}}));
        assert_eq!(pod_status(&p), "Evicted");
        let p = pod(serde_json::json!({
            "spec": {"containers": [], "initContainers": [{"name": "foo"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "foo", "image": "", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"waiting": {"reason": "PodInitializing"}}}]}
        }));
        assert_eq!(pod_status(&p), "Init:0/1");
        let p = pod(serde_json::json!({"status": {"phase": "Running", "containerStatuses": [
            {"name": "a", "image": "", "imageID": "", "ready": false, "restartCount": 3,
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}));
        assert_eq!(pod_status(&p), "CrashLoopBackOff");
    }
}

//! The fake API server's data: the resource table (which plural/kind/group it serves), the
//! fixture objects filed under their resource, and the pure list/get logic with Kubernetes
//! `Status` errors. No HTTP here.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::selector::{FieldSelector, LabelSelector};

/// A REST resource the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `deployments.apps`, or `pods` for the core group (as in NotFound messages).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }
}

const fn r(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> Resource {
    Resource { group, version, plural, singular, kind, namespaced, short_names }
}

pub const RESOURCES: &[Resource] = &[
    r("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"]),
    r("", "v1", "pods", "pod", "Pod", true, &["po"]),
    r("", "v1", "services", "service", "Service", true, &["svc"]),
    r("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, &["rc"]),
    r("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"]),
    r("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"]),
    r("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"]),
    r("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"]),
    r("batch", "v1", "jobs", "job", "Job", true, &[]),
    r("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"]),
    r("linkerd.io", "v1alpha2", "serviceprofiles", "serviceprofile", "ServiceProfile", true, &["sp"]),
    // Linkerd policy (the versions viz reads: pkg/k8s/policy.go) and the Gateway API routes.
    r("policy.linkerd.io", "v1beta3", "servers", "server", "Server", true, &["srv"]),
    r("policy.linkerd.io", "v1beta3", "httproutes", "httproute", "HTTPRoute", true, &[]),
    r(
        "policy.linkerd.io",
        "v1alpha1",
        "authorizationpolicies",
        "authorizationpolicy",
        "AuthorizationPolicy",
        true,
        &[],
    ),
    r(
        "policy.linkerd.io",
        "v1alpha1",
        "meshtlsauthentications",
        "meshtlsauthentication",
        "MeshTLSAuthentication",
        true,
        &[],
    ),
    r("gateway.networking.k8s.io", "v1", "httproutes", "httproute", "HTTPRoute", true, &[]),
    r("gateway.networking.k8s.io", "v1", "grpcroutes", "grpcroute", "GRPCRoute", true, &[]),
];

pub fn find_resource(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// A Kubernetes `Status` failure body.
pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

/// The `reason` the API server uses for a status code.
pub fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

/// An error answer: HTTP status plus `Status` body.
pub type ApiError = (u16, Value);

fn bad_request(message: String) -> ApiError {
    (400, status(400, "BadRequest", &message, None))
}

/// Deterministic UUID-shaped id from a string (FNV-1a, twice).
pub(crate) fn uid_for(key: &str) -> String {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
    for b in key.bytes() {
        h1 = (h1 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        h2 = (h2 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x5bd1_e995);
    }
    let hex = format!("{h1:016x}{h2:016x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Query parameters of a list request.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

/// Objects per resource, sorted by (namespace, name).
pub struct Store {
    objects: Vec<Vec<Value>>,
    resource_version: u64,
}

impl Store {
    /// Files each object under the resource of its `apiVersion` + `kind`, filling `uid`,
    /// `resourceVersion` and `creationTimestamp` when absent.
    pub fn new(objects: Vec<Value>) -> Result<Store> {
        Self::build(objects, true)
    }

    /// Like [`Store::new`] but keeps a missing `uid` missing, as Linkerd's unit-test fixtures
    /// (the conformance vectors) rely on an owner without a UID matching by selector alone.
    pub fn verbatim(objects: Vec<Value>) -> Result<Store> {
        Self::build(objects, false)
    }

    fn build(objects: Vec<Value>, fill_uids: bool) -> Result<Store> {
        let mut by_resource: Vec<Vec<Value>> = vec![Vec::new(); RESOURCES.len()];
        let mut rv: u64 = 1000;
        for mut obj in objects {
            let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
            let kind = obj["kind"].as_str().unwrap_or_default().to_string();
            let Some(idx) = RESOURCES.iter().position(|r| r.api_version() == api_version && r.kind == kind) else {
                bail!(
                    "fixture object with apiVersion {api_version:?} kind {kind:?} is not a resource the fake API serves"
                );
            };
            let res = &RESOURCES[idx];
            let Some(name) = obj["metadata"]["name"].as_str().map(str::to_string) else {
                bail!("fixture {kind} without metadata.name");
            };
            if res.namespaced && obj["metadata"]["namespace"].as_str().is_none() {
                obj["metadata"]["namespace"] = json!("default");
            }
            let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
            let meta = &mut obj["metadata"];
            if fill_uids && meta["uid"].is_null() {
                meta["uid"] = json!(uid_for(&format!("{kind}/{ns}/{name}")));
            }
            if meta["resourceVersion"].is_null() {
                rv += 1;
                meta["resourceVersion"] = json!(rv.to_string());
            }
            if meta["creationTimestamp"].is_null() {
                meta["creationTimestamp"] = json!("2025-12-31T12:00:00Z");
            }
            let list = &mut by_resource[idx];
            if list
                .iter()
                .any(|o| o["metadata"]["name"] == name && o["metadata"]["namespace"].as_str().unwrap_or_default() == ns)
            {
                bail!("duplicate fixture {kind} {ns}/{name}");
            }
            list.push(obj);
        }
        for list in &mut by_resource {
            list.sort_by(|a, b| {
                let key = |o: &Value| {
                    (
                        o["metadata"]["namespace"].as_str().unwrap_or_default().to_string(),
                        o["metadata"]["name"].as_str().unwrap_or_default().to_string(),
                    )
                };
                key(a).cmp(&key(b))
            });
        }
        Ok(Store { objects: by_resource, resource_version: rv })
    }

    fn index(res: &Resource) -> usize {
        RESOURCES.iter().position(|r| r == res).unwrap_or_default()
    }

    /// The list's `resourceVersion`: the newest of all objects.
    pub fn resource_version(&self) -> String {
        self.resource_version.to_string()
    }

    pub fn get(&self, res: &Resource, ns: Option<&str>, name: &str) -> Result<Value, ApiError> {
        self.objects[Self::index(res)]
            .iter()
            .find(|o| o["metadata"]["name"] == name && (!res.namespaced || o["metadata"]["namespace"].as_str() == ns))
            .cloned()
            .ok_or_else(|| {
                let message = format!("{} \"{name}\" not found", res.qualified());
                (
                    404,
                    status(
                        404,
                        "NotFound",
                        &message,
                        Some(json!({"name": name, "group": res.group, "kind": res.plural})),
                    ),
                )
            })
    }

    /// Objects matching namespace and selectors, in stable order (before pagination).
    pub fn select(&self, res: &Resource, ns: Option<&str>, q: &ListQuery) -> Result<Vec<Value>, ApiError> {
        Ok(self.matching(res, ns, q)?.into_iter().cloned().collect())
    }

    /// The objects `select` answers, borrowed: a page copies only its own items (a real API
    /// server pages from its watch cache; copying every pod for each of a list's pages made
    /// a 3,000-pod list several times slower than one).
    fn matching(&self, res: &Resource, ns: Option<&str>, q: &ListQuery) -> Result<Vec<&Value>, ApiError> {
        let labels = match &q.label_selector {
            Some(s) => LabelSelector::parse(s).map_err(bad_request)?,
            None => LabelSelector::default(),
        };
        let fields = match &q.field_selector {
            Some(s) => FieldSelector::parse(s, res.kind == "Pod").map_err(bad_request)?,
            None => FieldSelector::default(),
        };
        Ok(self.objects[Self::index(res)]
            .iter()
            .filter(|o| ns.is_none() || o["metadata"]["namespace"].as_str() == ns)
            .filter(|o| labels.matches(&o["metadata"]["labels"]))
            .filter(|o| fields.matches(o))
            .collect())
    }

    /// A `XxxList` body with `limit`/`continue` pagination (the token is an opaque offset).
    pub fn list(&self, res: &Resource, ns: Option<&str>, q: &ListQuery) -> Result<Value, ApiError> {
        let items = self.matching(res, ns, q)?;
        let offset = match &q.continue_token {
            Some(t) if !t.is_empty() => decode_continue(t)
                .ok_or_else(|| bad_request("continue key is not valid: invalid continue token".into()))?,
            _ => 0,
        };
        let total = items.len();
        let end = match q.limit {
            Some(l) if l > 0 => (offset + l).min(total),
            _ => total,
        };
        let page: Vec<Value> = items.into_iter().skip(offset).take(end.saturating_sub(offset)).cloned().collect();
        let mut metadata = json!({"resourceVersion": self.resource_version()});
        if end < total {
            metadata["continue"] = json!(encode_continue(end));
            metadata["remainingItemCount"] = json!(total - end);
        }
        Ok(json!({
            "kind": format!("{}List", res.kind),
            "apiVersion": res.api_version(),
            "metadata": metadata,
            "items": page,
        }))
    }
}

fn encode_continue(offset: usize) -> String {
    format!("lviz-fake-continue-{offset:08x}")
}

fn decode_continue(token: &str) -> Option<usize> {
    usize::from_str_radix(token.strip_prefix("lviz-fake-continue-")?, 16).ok()
}

//! Resource kinds, their friendly names and linkerd's resource-argument grammar
//! (`TYPE`, `TYPE/NAME`, `TYPE NAME…`, `TYPE/NAME TYPE/NAME…`).

use std::fmt;

/// Every kind linkerd's parser knows. Only some of them can be queried; the rest parse (so the
/// error messages match linkerd's) and are then rejected as unimplemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    AuthorizationPolicy,
    CronJob,
    DaemonSet,
    Deployment,
    HttpRoute,
    Job,
    Namespace,
    Pod,
    ReplicaSet,
    ReplicationController,
    Server,
    ServerAuthorization,
    Service,
    ServiceProfile,
    StatefulSet,
    MeshTlsAuthentication,
    NetworkAuthentication,
    Link,
    All,
}

use ResourceKind::*;

/// (kind, canonical name, plural, short names). Matching is exact and case-sensitive.
const NAMES: &[(ResourceKind, &str, &str, &[&str])] = &[
    (CronJob, "cronjob", "cronjobs", &["cj"]),
    (DaemonSet, "daemonset", "daemonsets", &["ds"]),
    (Deployment, "deployment", "deployments", &["deploy"]),
    (Job, "job", "jobs", &[]),
    (Namespace, "namespace", "namespaces", &["ns"]),
    (Pod, "pod", "pods", &["po"]),
    (ReplicationController, "replicationcontroller", "replicationcontrollers", &["rc"]),
    (ReplicaSet, "replicaset", "replicasets", &["rs"]),
    (StatefulSet, "statefulset", "statefulsets", &["sts"]),
    (Service, "service", "services", &["svc"]),
    (Server, "server", "servers", &["srv"]),
    (ServerAuthorization, "serverauthorization", "serverauthorizations", &["saz", "serverauthz", "srvauthz"]),
    (AuthorizationPolicy, "authorizationpolicy", "authorizationpolicies", &["ap", "authzpolicy"]),
    (HttpRoute, "httproute", "httproutes", &[]),
    (ServiceProfile, "serviceprofile", "serviceprofiles", &["sp"]),
    (MeshTlsAuthentication, "meshtlsauthentication", "meshtlsauthentications", &["meshtlsauthn"]),
    (NetworkAuthentication, "networkauthentication", "networkauthentications", &["netauthn", "networkauthn"]),
    (Link, "link", "links", &["ln"]),
    (All, "all", "all", &[]),
];

/// What `all` expands to, server side (linkerd's `StatAllResourceTypes`).
pub const STAT_ALL_KINDS: &[ResourceKind] =
    &[DaemonSet, StatefulSet, Job, Deployment, ReplicationController, Pod, Service, CronJob, ReplicaSet];

/// The start of linkerd's message for a type name it does not know.
const UNKNOWN_KIND: &str = "cannot find Kubernetes canonical name from friendly name [";

/// The API group of each kind's objects, for kubectl's `TYPE.GROUP` spellings (none: core).
fn api_group(kind: ResourceKind) -> Option<&'static str> {
    match kind {
        Deployment | ReplicaSet | StatefulSet | DaemonSet => Some("apps"),
        Job | CronJob => Some("batch"),
        Server
        | ServerAuthorization
        | AuthorizationPolicy
        | HttpRoute
        | MeshTlsAuthentication
        | NetworkAuthentication => Some("policy.linkerd.io"),
        ServiceProfile => Some("linkerd.io"),
        Link => Some("multicluster.linkerd.io"),
        Pod | Service | Namespace | ReplicationController | All => None,
    }
}

/// A kind by one of its names, as kubectl matches them: any case (`Deployment`).
fn by_name(name: &str) -> Option<ResourceKind> {
    let name = name.to_ascii_lowercase();
    NAMES
        .iter()
        .find(|(_, canonical, plural, shorts)| *canonical == name || *plural == name || shorts.contains(&name.as_str()))
        .map(|(kind, ..)| *kind)
}

/// kubectl's `TYPE.GROUP` and `TYPE.VERSION.GROUP` (`deployments.apps`, `deploy.v1.apps`):
/// the kind, when the group is the kind's own.
fn by_qualified_name(name: &str) -> Option<ResourceKind> {
    let (kind_name, rest) = name.split_once('.')?;
    let kind = by_name(kind_name)?;
    let group = api_group(kind)?;
    let rest = rest.to_ascii_lowercase();
    let versioned = rest.split_once('.').is_some_and(|(version, g)| {
        g == group && version.starts_with('v') && version[1..].starts_with(|c: char| c.is_ascii_digit())
    });
    (rest == group || versioned).then_some(kind)
}

impl ResourceKind {
    /// Parse a friendly name: short, full or plural form, in any case, optionally qualified by
    /// its API group as kubectl accepts it (`deploy`, `Deployment`, `deployments.apps`).
    pub fn from_friendly(name: &str) -> Result<Self, String> {
        by_name(name).or_else(|| by_qualified_name(name)).ok_or_else(|| format!("{UNKNOWN_KIND}{name}]"))
    }

    /// The type name a [`ResourceKind::from_friendly`] error is about.
    pub fn unknown_name(message: &str) -> Option<&str> {
        message.strip_prefix(UNKNOWN_KIND)?.strip_suffix(']')
    }

    /// Every kind with its names: (kind, canonical, plural, short names).
    pub fn names() -> impl Iterator<Item = (ResourceKind, &'static str, &'static str, &'static [&'static str])> {
        NAMES.iter().copied()
    }

    /// Parse a canonical name only (what the API carries).
    pub fn from_canonical(name: &str) -> Option<Self> {
        NAMES.iter().find(|(_, c, ..)| *c == name).map(|(k, ..)| *k)
    }

    pub fn canonical(self) -> &'static str {
        NAMES.iter().find(|(k, ..)| *k == self).map(|(_, c, ..)| *c).unwrap_or("")
    }

    /// The prefix printed before names when several kinds share one output; linkerd returns ""
    /// for kinds without a short name it knows, which prints as a bare `/`.
    pub fn short(self) -> &'static str {
        match self {
            CronJob => "cj",
            DaemonSet => "ds",
            Deployment => "deploy",
            Job => "job",
            Namespace => "ns",
            Pod => "po",
            ReplicationController => "rc",
            ReplicaSet => "rs",
            Service => "svc",
            ServiceProfile => "sp",
            StatefulSet => "sts",
            _ => "",
        }
    }

    /// The Prometheus label the viz scrape config gives this kind (`job` is `k8s_job`).
    pub fn prom_label(self) -> &'static str {
        match self {
            Job => "k8s_job",
            other => other.canonical(),
        }
    }

    /// Kinds whose objects own pods (and so have a meaningful MESHED column).
    pub fn owns_pods(self) -> bool {
        !matches!(self, Service | Server | ServerAuthorization | AuthorizationPolicy | HttpRoute)
    }

    /// Kinds lviz can answer stat queries for: the spec's enum.
    pub fn is_stat_kind(self) -> bool {
        matches!(
            self,
            Deployment
                | Pod
                | Namespace
                | Service
                | ReplicaSet
                | StatefulSet
                | DaemonSet
                | CronJob
                | Job
                | ReplicationController
        )
    }

    pub fn is_policy(self) -> bool {
        matches!(self, Server | ServerAuthorization | AuthorizationPolicy | HttpRoute)
    }

    /// Position in linkerd's `k8s.AllResources`, the display order of stat tables.
    pub fn display_rank(self) -> usize {
        const ORDER: &[ResourceKind] = &[
            AuthorizationPolicy,
            CronJob,
            DaemonSet,
            Deployment,
            HttpRoute,
            Job,
            Namespace,
            Pod,
            ReplicaSet,
            ReplicationController,
            Server,
            ServerAuthorization,
            Service,
            ServiceProfile,
            StatefulSet,
        ];
        ORDER.iter().position(|k| *k == self).unwrap_or(ORDER.len())
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

/// One parsed resource argument: a kind, an optional name (empty = all) and a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: ResourceKind,
    pub name: String,
    pub namespace: String,
}

impl Target {
    /// linkerd's `BuildResource`: `TYPE` or `TYPE/NAME` (`TYPE/` means all of that type).
    pub fn parse(namespace: &str, arg: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arg.split('/').collect();
        let (kind, name) = match parts.as_slice() {
            [kind] => (*kind, ""),
            [kind, name] => (*kind, *name),
            _ => return Err(format!("Invalid resource string: {arg}")),
        };
        let kind = ResourceKind::from_friendly(kind)?;
        Ok(Self::new(kind, name, namespace))
    }

    pub fn new(kind: ResourceKind, name: &str, namespace: &str) -> Self {
        // linkerd clears the namespace of namespace-kind resources.
        let namespace = if kind == Namespace { "" } else { namespace };
        Target { kind, name: name.to_string(), namespace: namespace.to_string() }
    }

    /// linkerd's `BuildResources`: every form of the positional arguments.
    pub fn parse_many(namespace: &str, args: &[String]) -> Result<Vec<Self>, String> {
        match args {
            [] => Err("No resource arguments provided".to_string()),
            [one] => Ok(vec![Self::parse(namespace, one)?]),
            [first, rest @ ..] => match ResourceKind::from_friendly(first) {
                // `TYPE NAME1 NAME2…`: names are taken verbatim, even with a `/`.
                Ok(kind) if kind != All => {
                    check_duplicates(rest)?;
                    Ok(rest.iter().map(|name| Self::new(kind, name, namespace)).collect())
                }
                _ => {
                    check_duplicates(args)?;
                    args.iter().map(|arg| Self::parse(namespace, arg)).collect()
                }
            },
        }
    }
}

fn check_duplicates(items: &[String]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    let mut has_all = false;
    for item in items {
        if !seen.insert(item.as_str()) {
            return Err("cannot supply duplicate resources".to_string());
        }
        if item == "all" {
            has_all = true;
        }
    }
    if has_all && items.len() > 1 {
        return Err("'all' can't be supplied alongside other resources".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aliases_resolve_to_canonical_kinds() {
        for (name, kind) in
            [("deploy", Deployment), ("deployments", Deployment), ("po", Pod), ("job", Job), ("cj", CronJob)]
        {
            assert_eq!(ResourceKind::from_friendly(name), Ok(kind));
        }
        assert_eq!(
            ResourceKind::from_friendly("au").unwrap_err(),
            "cannot find Kubernetes canonical name from friendly name [au]"
        );
    }

    #[test]
    fn kubectl_spellings() {
        for name in
            ["Deployment", "DEPLOY", "deployments.apps", "deploy.apps", "Deployments.Apps", "deployment.v1.apps"]
        {
            assert_eq!(ResourceKind::from_friendly(name), Ok(Deployment), "{name}");
        }
        assert_eq!(ResourceKind::from_friendly("cronjobs.batch"), Ok(CronJob));
        assert_eq!(ResourceKind::from_friendly("Pod"), Ok(Pod));
        for name in ["deployments.batch", "pods.apps", "deploy.", "deploy.x.apps", "all.apps"] {
            let e = ResourceKind::from_friendly(name).unwrap_err();
            assert_eq!(ResourceKind::unknown_name(&e), Some(name), "{e}");
        }
        assert_eq!(ResourceKind::unknown_name("Invalid resource string: a/b/c"), None);
    }

    #[test]
    fn argument_forms() {
        let t = Target::parse_many("ns1", &args(&["deploy/web"])).unwrap();
        assert_eq!(t, vec![Target::new(Deployment, "web", "ns1")]);
        let t = Target::parse_many("ns1", &args(&["po", "a", "b/c"])).unwrap();
        assert_eq!(t[1].name, "b/c");
        let t = Target::parse_many("ns1", &args(&["deploy/", "po/x"])).unwrap();
        assert_eq!((t[0].name.as_str(), t[1].kind), ("", Pod));
        assert_eq!(Target::parse("x", "ns/foo").unwrap().namespace, "");
        assert_eq!(Target::parse("x", "a/b/c").unwrap_err(), "Invalid resource string: a/b/c");
        assert_eq!(Target::parse_many("x", &args(&["po", "a", "a"])).unwrap_err(), "cannot supply duplicate resources");
        assert_eq!(
            Target::parse_many("x", &args(&["all", "deploy"])).unwrap_err(),
            "'all' can't be supplied alongside other resources"
        );
    }
}

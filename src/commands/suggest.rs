//! What to suggest when a command line names something that is not there: the nearest type
//! name on an unknown type (and the valid ones), the namespace that was searched when a named
//! object does not exist. Both are a `hint:` line after linkerd's own message, which stays as
//! linkerd words it. Applied to every view command by `Run` in `commands/mod.rs`; clap suggests
//! the nearest command and flag itself.

use lviz_api::{Rejection, ResourceKind};

use crate::error::CliError;
use crate::settings::Common;

/// How many edits (insert, delete, substitute, swap two neighbours) a typo may be from a name
/// of `len` characters to be suggested: 1 for short names, up to 3 for long ones.
fn max_edits(len: usize) -> usize {
    match len {
        0..=5 => 1,
        6..=9 => 2,
        _ => 3,
    }
}

/// The valid type names a view command accepts, with their short forms.
pub fn valid_types() -> String {
    let mut names: Vec<String> = ResourceKind::names()
        .filter(|(kind, ..)| kind.is_stat_kind())
        .map(|(_, canonical, _, shorts)| match shorts.first() {
            Some(short) => format!("{canonical} ({short})"),
            None => canonical.to_string(),
        })
        .collect();
    names.push("all".to_string());
    names.join(", ")
}

/// The canonical name of the kind whose name (any form) is nearest to `typed`, if any is near.
/// Inputs shorter than three characters match too much to suggest anything.
pub fn nearest_kind(typed: &str) -> Option<&'static str> {
    let typed = typed.split('.').next().unwrap_or(typed).to_ascii_lowercase();
    if typed.chars().count() < 3 {
        return None;
    }
    let mut best: Option<(usize, &'static str)> = None;
    for (kind, canonical, plural, shorts) in ResourceKind::names() {
        if kind == ResourceKind::All {
            continue;
        }
        for name in [canonical, plural].into_iter().chain(shorts.iter().copied()) {
            let edits = strsim::damerau_levenshtein(&typed, name);
            if edits <= max_edits(name.chars().count()) && best.is_none_or(|(e, _)| edits < e) {
                best = Some((edits, canonical));
            }
        }
    }
    best.map(|(_, canonical)| canonical)
}

/// The hint for an unknown type name.
pub fn kind_hint(typed: &str) -> String {
    let valid = valid_types();
    match nearest_kind(typed) {
        Some(near) => format!("did you mean `{near}`? Valid types: {valid}"),
        None => format!("valid types: {valid}"),
    }
}

/// linkerd's unknown-type error, with the hint after it; other errors unchanged.
pub fn unknown_kind(e: CliError) -> CliError {
    let hint = match &e {
        CliError::Usage(message) => ResourceKind::unknown_name(message).map(kind_hint),
        _ => None,
    };
    match hint {
        Some(hint) => e.with_hint(hint),
        None => e,
    }
}

/// The namespace a view command looked for its objects in, and where that namespace came from.
pub struct Searched {
    namespace: Option<String>,
    from_flag: bool,
}

impl Searched {
    pub fn of(common: &Common) -> Searched {
        if common.all_namespaces {
            return Searched { namespace: None, from_flag: false };
        }
        Searched { namespace: common.namespace().ok(), from_flag: common.namespace.is_some() }
    }

    /// A not-found error, with a hint naming the namespace searched (not for namespaces
    /// themselves, which are not in one).
    pub fn explain(&self, e: CliError) -> CliError {
        let (CliError::Rejected(Rejection::NotFound(message)), Some(namespace)) = (&e, &self.namespace) else {
            return e;
        };
        if message.starts_with("namespaces ") {
            return e;
        }
        let hint = if self.from_flag {
            format!("searched namespace {namespace:?} (-n {namespace})")
        } else {
            format!("searched namespace {namespace:?}, the kubeconfig context's: choose another with -n NAMESPACE")
        };
        e.with_hint(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_nearest_type() {
        assert_eq!(nearest_kind("deploymnet"), Some("deployment"));
        assert_eq!(nearest_kind("Deploymnet.apps"), Some("deployment"));
        assert_eq!(nearest_kind("statefulst"), Some("statefulset"));
        assert_eq!(nearest_kind("svcs"), Some("service"));
        assert_eq!(nearest_kind("au"), None);
        assert_eq!(nearest_kind("authority"), None);
    }

    #[test]
    fn hints_name_the_valid_types() {
        assert_eq!(
            valid_types(),
            "cronjob (cj), daemonset (ds), deployment (deploy), job, namespace (ns), pod (po), \
             replicationcontroller (rc), replicaset (rs), statefulset (sts), service (svc), all"
        );
        assert!(kind_hint("deploymnet").starts_with("did you mean `deployment`? Valid types: cronjob (cj), "));
        let e = unknown_kind(CliError::Usage("cannot find Kubernetes canonical name from friendly name [au]".into()));
        assert_eq!(
            e.report(),
            format!(
                "error: cannot find Kubernetes canonical name from friendly name [au]\nhint: valid types: {}\n",
                valid_types()
            )
        );
        assert_eq!(e.exit_code(), 2);
        let other = unknown_kind(CliError::Usage("cannot supply duplicate resources".into()));
        assert_eq!(other.report(), "error: cannot supply duplicate resources\n");
    }
}

//! Dynamic shell completion (`clap_complete`'s engine, `COMPLETE=bash lviz -- …`): resource
//! types, resource names and namespaces from the cluster, contexts from the kubeconfig. The
//! shell scripts `lviz completion SHELL` prints call back into lviz on every Tab; the flags and
//! commands come from the clap definition, the values from here.
//!
//! Values are found by what an argument holds (its value name: `RESOURCES`/`RESOURCE` a type or
//! `TYPE/NAME`, `TYPE` a type, `NAMESPACE` a namespace), so any command's arguments get them.
//! The cluster is asked with a short deadline; on any failure the values it would give are left
//! out silently (a completion never prints an error).

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use lviz_api::ResourceKind;
use lviz_k8s::KubeSettings;

/// How long a completion may wait for the cluster.
pub const CLUSTER_DEADLINE: Duration = Duration::from_millis(1500);

/// Adds the value completers to every argument that names a resource, a type or a namespace,
/// and to `--context`.
pub fn attach(cmd: clap::Command) -> clap::Command {
    let cmd = attach_to_args(cmd);
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    names.iter().fold(cmd, |cmd, name| cmd.mut_subcommand(name, attach_to_args))
}

/// A value completer.
type Completer = fn(&OsStr) -> Vec<CompletionCandidate>;

fn attach_to_args(cmd: clap::Command) -> clap::Command {
    let ids: Vec<(String, Option<Completer>)> = cmd
        .get_arguments()
        .map(|a| {
            let value_name = a.get_value_names().and_then(|v| v.first()).map(|v| v.as_str().to_string());
            let completer: Option<Completer> = match (a.get_id().as_str(), value_name.as_deref()) {
                ("context", _) => Some(complete_contexts),
                (_, Some("RESOURCES" | "RESOURCE")) => Some(complete_resources),
                (_, Some("TYPE")) => Some(complete_types),
                (_, Some("NAMESPACE")) => Some(complete_namespaces),
                _ => None,
            };
            (a.get_id().to_string(), completer)
        })
        .collect();
    ids.into_iter().fold(cmd, |cmd, (id, completer)| match completer {
        Some(f) => cmd.mut_arg(id, |a| a.add(ArgValueCompleter::new(f))),
        None => cmd,
    })
}

/// The words of the command line being completed (after `--`, without the program), and the
/// index of the one being completed. The engine hands a completer only the current word; the
/// namespace and kubeconfig flags are read from the rest, as kubectl's completion does.
fn words() -> (Vec<String>, usize) {
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let words: Vec<String> = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].iter().skip(1).cloned().collect(),
        None => Vec::new(),
    };
    // bash and elvish pass the index (counting the program); zsh and fish complete the last word.
    let index = std::env::var("_CLAP_COMPLETE_INDEX")
        .ok()
        .and_then(|i| i.parse::<usize>().ok())
        .map_or(words.len().saturating_sub(1), |i| i.saturating_sub(1));
    (words, index)
}

/// What the command line says about the cluster to ask.
#[derive(Debug, Default)]
pub struct LineContext {
    pub kube: KubeSettings,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    /// `TYPE` of `lviz stat TYPE NAME…`, when the word being completed is one of the names.
    pub listed_kind: Option<ResourceKind>,
}

/// Flags whose value is the next word (when not written `--flag=value`).
fn takes_value(cmd: &clap::Command, flag: &str) -> bool {
    let matches = |a: &clap::Arg| {
        let long = flag.strip_prefix("--").is_some_and(|l| a.get_long() == Some(l));
        let short = flag.len() == 2 && flag.starts_with('-') && a.get_short() == flag.chars().nth(1);
        long || short
    };
    let args = cmd.get_arguments().chain(cmd.get_subcommands().flat_map(|s| s.get_arguments()));
    args.filter(|a| matches(a))
        .any(|a| a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0))
}

/// Reads `-n`, `-A`, `--kubeconfig`, `--context` and the `TYPE NAME…` form from the words
/// before the one being completed.
pub fn line_context(words: &[String], current: usize) -> LineContext {
    let mut ctx = LineContext::default();
    let cmd = super::cli_command();
    let before = &words[..current.min(words.len())];
    let mut positionals: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < before.len() {
        let word = before[i].as_str();
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ => (word, None),
        };
        if !flag.starts_with('-') || flag == "-" {
            positionals.push(word);
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => Some(v),
            None if takes_value(&cmd, flag) => {
                i += 1;
                before.get(i).cloned()
            }
            None => None,
        };
        match (flag, value) {
            ("-n" | "--namespace", Some(v)) => ctx.namespace = Some(v),
            ("--kubeconfig", Some(v)) => ctx.kube.kubeconfig = Some(PathBuf::from(v)),
            ("--context", Some(v)) => ctx.kube.context = Some(v),
            ("-A" | "--all-namespaces", _) => ctx.all_namespaces = true,
            _ => {}
        }
        i += 1;
    }
    // positionals[0] is the command; [1] the first resource argument.
    if let [_, first, ..] = positionals.as_slice()
        && !first.contains('/')
        && let Ok(kind) = ResourceKind::from_friendly(first)
        && kind != ResourceKind::All
    {
        ctx.listed_kind = Some(kind);
    }
    ctx
}

fn type_names(prefix: &str) -> Vec<CompletionCandidate> {
    let mut names: Vec<CompletionCandidate> = Vec::new();
    for (kind, canonical, _, shorts) in ResourceKind::names() {
        if !(kind.is_stat_kind() || kind == ResourceKind::All) {
            continue;
        }
        for name in std::iter::once(canonical).chain(shorts.iter().copied()) {
            if name.starts_with(prefix) {
                names.push(CompletionCandidate::new(name));
            }
        }
    }
    names
}

/// Runs one cluster lookup with [`CLUSTER_DEADLINE`]; `None` on any failure.
fn ask_cluster<T, F>(settings: KubeSettings, lookup: F) -> Option<T>
where
    F: AsyncFnOnce(lviz_k8s::Cluster) -> Option<T>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    runtime.block_on(async move {
        tokio::time::timeout(CLUSTER_DEADLINE, async move {
            let cluster = lviz_k8s::connect(&settings).await.ok()?;
            lookup(cluster).await
        })
        .await
        .ok()
        .flatten()
    })
}

/// Names of `kind`'s objects in the line's namespace (the context's when not given).
fn object_names(ctx: &LineContext, kind: ResourceKind) -> Vec<String> {
    let namespace = if ctx.all_namespaces || kind == ResourceKind::Namespace {
        String::new()
    } else {
        match &ctx.namespace {
            Some(ns) => ns.clone(),
            None => match lviz_k8s::default_namespace(&ctx.kube) {
                Ok(ns) => ns,
                Err(_) => return Vec::new(),
            },
        }
    };
    let settings = ctx.kube.clone();
    let names = ask_cluster(settings, async move |cluster| {
        let objects = cluster.objects(kind, &namespace, "", "").await.ok()?;
        Some(objects.into_iter().map(|o| o.name).collect::<Vec<_>>())
    });
    let mut names = names.unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

fn current_context() -> LineContext {
    let (words, index) = words();
    line_context(&words, index)
}

/// `RESOURCES`/`RESOURCE`: a type, `TYPE/NAME`, or after `TYPE`, a name.
fn complete_resources(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let ctx = current_context();
    if let Some((typed, prefix)) = current.split_once('/') {
        let Ok(kind) = ResourceKind::from_friendly(typed) else { return Vec::new() };
        return object_names(&ctx, kind)
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .map(|n| CompletionCandidate::new(format!("{typed}/{n}")))
            .collect();
    }
    let mut candidates = Vec::new();
    if let Some(kind) = ctx.listed_kind {
        candidates.extend(
            object_names(&ctx, kind).into_iter().filter(|n| n.starts_with(&*current)).map(CompletionCandidate::new),
        );
    }
    candidates.extend(type_names(&current));
    candidates
}

/// `TYPE`: a type name.
fn complete_types(current: &OsStr) -> Vec<CompletionCandidate> {
    type_names(&current.to_string_lossy())
}

/// `NAMESPACE`: the cluster's namespaces.
fn complete_namespaces(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let ctx = current_context();
    object_names(&ctx, ResourceKind::Namespace)
        .into_iter()
        .filter(|n| n.starts_with(&*current))
        .map(CompletionCandidate::new)
        .collect()
}

/// `--context`: the kubeconfig's contexts.
fn complete_contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let ctx = current_context();
    let settings = KubeSettings { context: None, ..ctx.kube };
    lviz_k8s::contexts(&settings)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.starts_with(&*current))
        .map(CompletionCandidate::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_line_names_namespace_kubeconfig_and_listed_type() {
        let w = words("stat deploy -n emojivoto --kubeconfig /k --context=c ");
        let ctx = line_context(&w, w.len() - 1);
        assert_eq!(ctx.namespace.as_deref(), Some("emojivoto"));
        assert_eq!(ctx.kube.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(ctx.kube.context.as_deref(), Some("c"));
        assert_eq!(ctx.listed_kind, Some(ResourceKind::Deployment));
        let w = words("--namespace=ops stat -A deploy/w");
        let ctx = line_context(&w, w.len() - 1);
        assert_eq!((ctx.namespace.as_deref(), ctx.all_namespaces, ctx.listed_kind), (Some("ops"), true, None));
        // The value of `--to` is not the first resource argument.
        let w = words("stat --to deploy/web po ");
        assert_eq!(line_context(&w, 4).listed_kind, Some(ResourceKind::Pod));
        let w = words("stat -t 1m ");
        assert_eq!(line_context(&w, 3).listed_kind, None);
    }

    #[test]
    fn types_complete_by_prefix() {
        let names: Vec<String> = type_names("d").iter().map(|c| c.get_value().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["daemonset", "ds", "deployment", "deploy"]);
    }
}

//! The layering of `docs/architecture.md`, checked:
//! * each workspace crate depends only on the lviz crates below it (the compiler then refuses a
//!   wrong import);
//! * inside each crate, modules at the same level import each other in one direction only (no
//!   cycle), read from the `use` and path references of every non-test line.
//!
//! The module check reads source text: `crate::a::b`, `super::x`, `self::x`, and references to a
//! file's own child modules; names re-exported by a parent (`pub use child::Item`) are followed
//! to the module that defines them. A parent and its descendants may refer to each other (Rust's
//! usual `super::` pattern); two siblings may not both refer to each other, directly or around a
//! loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The allowed lviz dependencies of each crate: the layers point down.
const LAYERS: &[(&str, &[&str])] = &[
    ("api", &[]),
    ("prom", &["lviz-api"]),
    ("k8s", &["lviz-api"]),
    ("engine", &["lviz-api", "lviz-prom", "lviz-k8s"]),
    ("render", &["lviz-api"]),
    ("http", &["lviz-api", "lviz-engine", "lviz-prom", "lviz-k8s"]),
    ("grpc", &["lviz-api", "lviz-engine", "lviz-k8s"]),
];

fn lviz_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut in_deps = false;
    let mut deps = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some(name) = line.split(['=', ' ']).next().filter(|n| n.starts_with("lviz-")) {
            deps.insert(name.to_string());
        }
    }
    deps
}

#[test]
fn crates_depend_only_downwards() {
    for (name, allowed) in LAYERS {
        let deps = lviz_dependencies(&Path::new(ROOT).join("crates").join(name).join("Cargo.toml"));
        let extra: Vec<&String> = deps.iter().filter(|d| !allowed.contains(&d.as_str())).collect();
        assert!(extra.is_empty(), "crate {name} depends on {extra:?}; allowed: {allowed:?}");
    }
    let top = lviz_dependencies(&Path::new(ROOT).join("Cargo.toml"));
    assert!(
        top.contains("lviz-engine") && top.contains("lviz-http") && top.contains("lviz-grpc"),
        "the binary sits on top: {top:?}"
    );
}

/// A module: its path from the crate root (empty for the root).
type Module = Vec<String>;

struct Source {
    module: Module,
    /// Non-test lines.
    text: String,
    /// Child modules declared in this file.
    children: BTreeSet<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The file without its `#[cfg(test)]` module and comments.
fn non_test_text(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..cut].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "tests"))
        .map(|f| {
            let text = non_test_text(&std::fs::read_to_string(f).unwrap_or_default());
            let children = text
                .lines()
                .filter_map(|l| {
                    let l = l.trim_start().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                    l.strip_prefix("mod ").map(|r| r.trim_end_matches(';').trim().to_string())
                })
                .collect();
            Source { module: module_of(src, f), text, children }
        })
        .collect()
}

/// Every path a file refers to, as segments (`crate::a::b::C` → [crate, a, b, C]), including
/// each branch of `use x::{a, b::c}` groups.
fn paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == ':')) {
            let start = i;
            let mut j = i;
            while j < bytes.len() && (is_ident(bytes[j]) || bytes[j] == ':') {
                j += 1;
            }
            let path: String = bytes[start..j].iter().collect();
            if path.contains("::") {
                let segs: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
                if j < bytes.len() && bytes[j] == '{' && path.ends_with("::") {
                    let end = group_end(&bytes, j);
                    let inner: String = bytes[j + 1..end].iter().collect();
                    for branch in split_top(&inner) {
                        let mut full = segs.clone();
                        full.extend(branch.split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
                        out.push(full);
                    }
                    i = end + 1;
                    continue;
                }
                out.push(segs);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn group_end(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    for (k, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    chars.len().saturating_sub(1)
}

/// The branches of a `use` group body at its top level: `a, b::{c, d}, e` → [a, b::{c, d}, e].
fn top_level_branches(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter().map(|b| b.trim().to_string()).filter(|b| !b.is_empty()).collect()
}

/// `a, b::{c, d}, e` → [a, b::c, b::d, e].
fn split_top(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    for branch in top_level_branches(inner) {
        match branch.split_once("::{") {
            Some((head, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or(rest);
                out.extend(split_top(body).into_iter().map(|tail| format!("{head}::{tail}")));
            }
            None => out.push(branch),
        }
    }
    out
}

struct Crate {
    modules: BTreeSet<Module>,
    /// (module, re-exported name) → the module it comes from.
    reexports: BTreeMap<(Module, String), Module>,
}

impl Crate {
    /// The deepest module a path (already absolute) lands in, following re-exports.
    fn resolve(&self, mut segs: Vec<String>) -> Option<Module> {
        for _ in 0..8 {
            let mut module: Module = Vec::new();
            let mut rest = segs.iter();
            for s in rest.by_ref() {
                let mut next = module.clone();
                next.push(s.clone());
                if !self.modules.contains(&next) {
                    let key = (module.clone(), s.clone());
                    if let Some(target) = self.reexports.get(&key) {
                        let mut redirected = target.clone();
                        redirected.push(s.clone());
                        redirected.extend(rest.cloned());
                        segs = redirected;
                        break;
                    }
                    return Some(module);
                }
                module = next;
            }
            if self.modules.contains(&segs) {
                return Some(segs);
            }
        }
        None
    }
}

fn absolute(from: &Source, segs: &[String]) -> Option<Vec<String>> {
    let first = segs.first()?.as_str();
    let mut base: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => from.module.clone(),
        "super" => {
            let mut m = from.module.clone();
            let mut k = 0;
            while segs.get(k).map(String::as_str) == Some("super") {
                m.pop();
                k += 1;
            }
            m.extend(segs[k..].iter().cloned());
            return Some(m);
        }
        child if from.children.contains(child) => {
            let mut m = from.module.clone();
            m.extend(segs.iter().cloned());
            return Some(m);
        }
        _ => return None,
    };
    base.extend(segs[1..].iter().cloned());
    Some(base)
}

fn check_crate(name: &str, src: &Path) {
    let sources = sources(src);
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut krate = Crate { modules, reexports: BTreeMap::new() };
    for s in &sources {
        for line in s.text.split(';') {
            let Some(rest) = line.trim().strip_prefix("pub use ") else { continue };
            for p in paths(&format!("{rest}::")) {
                if let Some(abs) = absolute(s, &p[..p.len().saturating_sub(1)])
                    && let Some(item) = p.last()
                {
                    krate.reexports.insert((s.module.clone(), item.clone()), abs);
                }
            }
        }
    }
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for s in &sources {
        for p in paths(&s.text) {
            let Some(target) = absolute(s, &p).and_then(|abs| krate.resolve(abs)) else { continue };
            let common = s.module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == s.module.len() || common == target.len() {
                continue;
            }
            edges.entry(s.module[..=common].to_vec()).or_default().insert(target[..=common].to_vec());
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        panic!("crate {name}: modules import each other in a loop: {}", cycle.join(" → "));
    }
}

fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<String>> {
    fn visit(
        node: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|m| m == node) {
            let mut cycle: Vec<String> = stack[pos..].iter().map(|m| m.join("::")).collect();
            cycle.push(node.join("::"));
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_each_other_one_way() {
    for (name, _) in LAYERS {
        check_crate(name, &Path::new(ROOT).join("crates").join(name).join("src"));
    }
    check_crate("lviz", &Path::new(ROOT).join("src"));
}

#[test]
fn the_checker_sees_a_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").expect("write");
    std::fs::write(dir.path().join("a.rs"), "use crate::b::B;\npub struct A;\n").expect("write");
    std::fs::write(dir.path().join("b.rs"), "pub struct B;\nfn f() { let _ = crate::a::A; }\n").expect("write");
    let looped = std::panic::catch_unwind(|| check_crate("fixture", dir.path()));
    assert!(looped.is_err(), "a ↔ b must be reported");
    std::fs::write(dir.path().join("b.rs"), "pub struct B;\n").expect("write");
    check_crate("fixture", dir.path());
}

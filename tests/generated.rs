//! The committed shell completions (`completions/`) and man pages (`man/`) are what the binary
//! generates today. When the CLI changes, regenerate them with
//! `LVIZ_UPDATE_GENERATED=1 cargo test --test generated` and commit the result.

use std::path::{Path, PathBuf};
use std::process::Command;

use lviz::commands::generate::{SHELLS, completion_file_name, completion_script, generated_files};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary with these arguments; generation needs no backend.
fn lviz_raw(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lviz")).args(args).output().expect("run lviz");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn committed_completions_and_man_pages_are_current() {
    let files = match generated_files() {
        Ok(f) => f,
        Err(e) => panic!("generating: {e}"),
    };
    let update = std::env::var("LVIZ_UPDATE_GENERATED").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for (relative, contents) in &files {
        let path = root().join(relative);
        if update {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            }
            std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            continue;
        }
        if std::fs::read(&path).ok().as_deref() != Some(contents.as_slice()) {
            stale.push(relative.display().to_string());
        }
    }
    // No leftovers from removed subcommands or shells.
    for dir in ["completions", "man"] {
        for entry in std::fs::read_dir(root().join(dir)).into_iter().flatten().flatten() {
            let relative = Path::new(dir).join(entry.file_name());
            if !files.iter().any(|(r, _)| *r == relative) {
                if update {
                    let _ = std::fs::remove_file(entry.path());
                } else {
                    stale.push(format!("{} (no longer generated)", relative.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {}\nregenerate with: LVIZ_UPDATE_GENERATED=1 cargo test --test generated",
        stale.join(", ")
    );
}

#[test]
fn every_shell_and_every_subcommand_is_covered() {
    let files: Vec<String> = match generated_files() {
        Ok(f) => f.into_iter().map(|(p, _)| p.display().to_string()).collect(),
        Err(e) => panic!("generating: {e}"),
    };
    for want in [
        "completions/lviz.bash",
        "completions/_lviz",
        "completions/lviz.fish",
        "completions/_lviz.ps1",
        "completions/lviz.elv",
        "man/lviz.1",
        "man/lviz-stat.1",
        "man/lviz-routes.1",
        "man/lviz-edges.1",
        "man/lviz-gateways.1",
        "man/lviz-completion.1",
        "man/lviz-version.1",
        "man/lviz-man.1",
    ] {
        assert!(files.contains(&want.to_string()), "{want} missing from {files:?}");
    }
    assert!(!files.iter().any(|f| f.contains("generate-man")), "hidden commands get no page");
}

#[test]
fn completion_command_prints_the_committed_scripts() {
    for shell in SHELLS {
        let name = shell.to_string();
        let run = lviz_raw(&["completion", &name]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.stdout.as_bytes(), completion_script(shell).as_slice(), "{name}");
        assert!(!completion_file_name(shell).is_empty());
        // kubectl's spelling is `completion`; the older `completions` stays an alias.
        assert_eq!(lviz_raw(&["completions", &name]).stdout, run.stdout, "{name}");
    }
    // The scripts call back into lviz (found on PATH) on every Tab: dynamic completion.
    let bash = lviz_raw(&["completion", "bash"]).stdout;
    assert!(bash.contains("COMPLETE=\"bash\"") && bash.contains("complete -o nospace"), "{bash}");
    let run = lviz_raw(&["completion", "tcsh"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("[possible values: bash, elvish, fish, powershell, zsh]"), "{}", run.stderr);
}

#[test]
fn generate_man_writes_the_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("pages");
    let run = lviz_raw(&["generate-man", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in ["lviz.1", "lviz-stat.1", "lviz-routes.1", "lviz-edges.1", "lviz-gateways.1"] {
        let written = std::fs::read(out.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        let committed = std::fs::read(root().join("man").join(page)).unwrap_or_default();
        assert!(written == committed, "{page} differs from man/{page}");
    }
}

#[test]
fn man_page_renders() {
    let page = root().join("man/lviz-stat.1");
    // man-db's `man -l` when installed, else groff directly (both in scripts/test's apt list).
    let (program, args): (&str, Vec<String>) = if Command::new("man").arg("--version").output().is_ok() {
        ("man", vec!["-l".into(), "-P".into(), "cat".into(), page.display().to_string()])
    } else {
        ("groff", vec!["-man".into(), "-Tutf8".into(), page.display().to_string()])
    };
    let out = Command::new(program)
        .args(&args)
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .unwrap_or_else(|e| panic!("{program} is required to render man pages (apt-get install -y man-db): {e}"));
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // Strip overstrike bold/underline (c\bc, _\bc) that groff emits for terminals.
    let plain: String = {
        let mut chars: Vec<char> = Vec::new();
        for c in text.chars() {
            if c == '\u{8}' {
                chars.pop();
                continue;
            }
            chars.push(c);
        }
        chars.into_iter().collect()
    };
    for want in ["lviz-stat", "NAME", "SYNOPSIS", "--sort-by", "--fail-if", "--watch"] {
        assert!(plain.contains(want), "rendered page lacks {want}:\n{plain}");
    }
}

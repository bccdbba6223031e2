//! Installing like a real tool (issue 15 item 9): `lviz man --install` puts the pages where
//! `man` finds them for a binary on PATH, `lviz man COMMAND` shows one, and the Debian package
//! recipe (`cargo deb`, `[package.metadata.deb]`) builds a package holding the binary, the man
//! pages and the completions, whose binary runs. Needs man-db and cargo-deb (scripts/test
//! installs both).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::lviz_bin;

/// A folder on the target directory's filesystem (hard links need one).
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir")
}

/// `dir/bin/lviz`: the binary as if installed there (a hard link, else a copy).
fn install_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let target = bin.join("lviz");
    if std::fs::hard_link(lviz_bin(), &target).is_err() {
        std::fs::copy(lviz_bin(), &target).expect("copy lviz");
    }
    target
}

#[test]
fn man_install_puts_the_pages_where_man_finds_them() {
    let dir = scratch();
    let lviz = install_binary(dir.path());
    // Before: `man lviz` had no entry after `cargo install`.
    let path = format!("{}:/usr/bin:/bin", dir.path().join("bin").display());
    let where_before = Command::new("man").args(["-w", "lviz-stat"]).env("PATH", &path).env_remove("MANPATH").output();
    assert!(where_before.is_ok_and(|o| !o.status.success()), "no page before the install step");

    let out = Command::new(&lviz).args(["man", "--install"]).output().expect("lviz man --install");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pages = dir.path().join("share/man/man1");
    let written = String::from_utf8_lossy(&out.stdout);
    assert!(written.lines().any(|l| Path::new(l) == pages.join("lviz-stat.1")), "{written}");

    let found = Command::new("man")
        .args(["-w", "lviz-stat"])
        .env("PATH", &path)
        .env_remove("MANPATH")
        .output()
        .expect("man is required (apt-get install -y man-db)");
    assert!(found.status.success(), "{}", String::from_utf8_lossy(&found.stderr));
    assert_eq!(String::from_utf8_lossy(&found.stdout).trim(), pages.join("lviz-stat.1").display().to_string());
}

#[test]
fn man_command_shows_a_page() {
    let out = Command::new(lviz_bin()).args(["man", "stat"]).env("MANWIDTH", "100").output().expect("lviz man stat");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["lviz-stat", "NAME", "SYNOPSIS", "--sort-by", "Examples:", "lviz stat deploy -n emojivoto"] {
        assert!(text.contains(want), "lviz man stat lacks {want}:\n{text}");
    }
    let out = Command::new(lviz_bin()).args(["man", "stats"]).output().expect("lviz man stats");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: no man page for \"stats\": commands are stat, "));
}

/// Runs a command, panicking with its output when it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_debian_package_builds_and_holds_binary_pages_and_completions() {
    let has_cargo_deb = Command::new("cargo").args(["deb", "--version"]).output().is_ok_and(|o| o.status.success());
    assert!(has_cargo_deb, "cargo-deb is required: cargo install cargo-deb --locked (scripts/test installs it)");
    // cargo-deb packages `target/<profile>/lviz`: the test build's binary, under the deb-check
    // profile (Cargo.toml), so no release build is needed to check the recipe.
    let target = lviz_bin().parent().and_then(Path::parent).expect("target folder").to_path_buf();
    let profile_dir = target.join("deb-check");
    std::fs::create_dir_all(&profile_dir).expect("profile folder");
    let packaged = profile_dir.join("lviz");
    let _ = std::fs::remove_file(&packaged);
    if std::fs::hard_link(lviz_bin(), &packaged).is_err() {
        std::fs::copy(lviz_bin(), &packaged).expect("copy lviz");
    }
    let dir = scratch();
    let deb = dir.path().join("lviz.deb");
    run(Command::new("cargo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", &target)
        .args(["deb", "--no-build", "--fast", "--profile", "deb-check", "--output"])
        .arg(&deb));

    let info = run(Command::new("dpkg-deb").arg("--info").arg(&deb));
    assert!(info.contains("Package: lviz"), "{info}");
    assert!(info.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))), "{info}");
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(&deb));
    for want in [
        "./usr/bin/lviz",
        "./usr/share/man/man1/lviz-stat.1",
        "./usr/share/man/man1/lviz.1",
        "./usr/share/bash-completion/completions/lviz",
        "./usr/share/zsh/vendor-completions/_lviz",
        "./usr/share/fish/vendor_completions.d/lviz.fish",
    ] {
        assert!(contents.contains(want), "{want} missing:\n{contents}");
    }
    let root = dir.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let version = run(Command::new(root.join("usr/bin/lviz")).arg("version"));
    assert_eq!(version, format!("Client version: {}\n", env!("CARGO_PKG_VERSION")));
    let completion = std::fs::read(root.join("usr/share/bash-completion/completions/lviz")).expect("completion");
    assert_eq!(
        completion,
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/lviz.bash")).expect("committed")
    );
    let _ = std::fs::remove_file(&packaged);
}

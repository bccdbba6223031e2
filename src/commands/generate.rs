//! Shell completions (`clap_complete`'s dynamic engine: the scripts call back into lviz) and
//! man pages (`clap_mangen`), generated from the same clap definition the binary parses with. `completions/` and `man/` in the repository hold the
//! committed output; `tests/generated.rs` fails when they are stale
//! (`LVIZ_UPDATE_GENERATED=1 cargo test --test generated` rewrites them).

use std::path::{Path, PathBuf};

use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_complete::{Generator, Shell};

use super::cli_command;

/// Every shell `lviz completions` knows, in a fixed order.
pub const SHELLS: [Shell; 5] = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish];

const BIN: &str = "lviz";

/// The variable that asks lviz to complete instead of run (`COMPLETE=bash lviz -- …`).
pub const COMPLETE_VAR: &str = "COMPLETE";

/// The completion script for `shell`: registers a completion function that runs
/// `COMPLETE=<shell> lviz -- <words>` (found on PATH) on every Tab.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        _ => &Powershell,
    };
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = completer.write_registration(COMPLETE_VAR, BIN, BIN, BIN, &mut out);
    out
}

/// The conventional file name of a shell's script (`lviz.bash`, `_lviz`, `lviz.fish`, ...).
pub fn completion_file_name(shell: Shell) -> String {
    shell.file_name(BIN)
}

/// `lviz.1` and one page per visible subcommand (`lviz-stat.1`, ...), as (file name, roff).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // Built: the global flags and the version are in the subcommands, so each page lists them
    // (those a command uses).
    let root = cli_command();
    let mut pages = Vec::new();
    let mut out = Vec::new();
    clap_mangen::Man::new(root.clone()).render(&mut out)?;
    pages.push((format!("{BIN}.1"), out));
    // `build` adds clap's own `help` subcommand; it gets no page.
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("{BIN}-{}", sub.get_name());
        let mut out = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone()).bin_name(name.replace('-', " "))).render(&mut out)?;
        pages.push((format!("{name}.1"), out));
    }
    Ok(pages)
}

/// Every generated file, as (path relative to the repository root, contents).
pub fn generated_files() -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = SHELLS
        .iter()
        .map(|s| (Path::new("completions").join(completion_file_name(*s)), completion_script(*s)))
        .collect();
    for (name, page) in man_pages()? {
        files.push((Path::new("man").join(name), page));
    }
    Ok(files)
}

/// `lviz generate-man DIR`: writes the man pages into `dir`; returns the paths written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, page) in man_pages()? {
        let path = dir.join(name);
        std::fs::write(&path, page)?;
        written.push(path);
    }
    Ok(written)
}

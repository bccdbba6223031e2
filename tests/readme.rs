//! The README's try-it path works by copy and paste (issue 15 item 1): every `$ lviz …` command
//! of its output block, typed as shown (no `--at`: `lviz-testkit up` exports `LVIZ_AT`), prints
//! exactly the output shown there, and every `lviz` example line of its shell blocks that reads
//! the demo's data runs. The environment is the one `lviz-testkit up` exports: the same mesh in
//! Prometheus, the same objects behind a kubeconfig, `LVIZ_AT` at the data's end
//! (`crates/testkit/tests/background.rs` tests `up --background` itself).

mod common;

use std::process::Command;

use common::{env, lviz_bin};
use lviz_testkit::mesh::EVAL_TIME;

const README: &str = include_str!("../README.md");

/// `LVIZ_AT` as `lviz-testkit up` exports it.
fn lviz_at() -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(EVAL_TIME).expect("time");
    t.format(&time::format_description::well_known::Rfc3339).expect("format")
}

/// Runs a README command line in bash with the testkit's environment (and lviz on PATH).
fn bash(line: &str) -> common::Run {
    let e = env();
    let dir = lviz_bin().parent().map(|d| d.to_path_buf()).unwrap_or_default();
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", line])
        .env("PATH", format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()))
        .env("LVIZ_PROMETHEUS_URL", &e.prometheus_url)
        .env("KUBECONFIG", e.kube.kubeconfig_path())
        .env("LVIZ_AT", lviz_at())
        .env("HOME", e.home.path())
        .env_remove("LVIZ_API_ADDR")
        .env_remove("NO_COLOR")
        .output()
        .expect("run bash");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The fenced blocks of `kind` (`text`, `sh`) in the README.
fn blocks(kind: &str) -> Vec<String> {
    let fence = format!("```{kind}\n");
    README.split(&fence).skip(1).filter_map(|rest| rest.split("```\n").next()).map(str::to_string).collect()
}

/// (`lviz …` command, its output) from the block of the try-it section.
fn shown_runs() -> Vec<(String, String)> {
    let block = blocks("text")
        .into_iter()
        .find(|b| b.starts_with("$ lviz stat deploy -n emojivoto\n"))
        .expect("the README's output block");
    let mut runs: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            runs.push((command.to_string(), String::new()));
        } else if let Some((_, output)) = runs.last_mut() {
            output.push_str(line);
            output.push('\n');
        }
    }
    // The demo prints a blank line before each command.
    for (_, output) in &mut runs {
        if output.ends_with("\n\n") {
            output.pop();
        }
    }
    runs
}

#[test]
fn the_try_it_block_is_copy_and_paste() {
    let block = blocks("sh").into_iter().find(|b| b.contains("lviz-testkit up")).expect("the try-it block");
    let commands: Vec<&str> = block.lines().map(|l| l.split("  #").next().unwrap_or(l).trim()).collect();
    // The demo installs Prometheus when it is missing and builds the release binaries.
    assert!(commands.contains(&"bash scripts/demo"), "{block}");
    let demo = include_str!("../scripts/demo");
    assert!(demo.contains("apt-get install -y -qq prometheus") && demo.contains("cargo build --release"), "{demo}");
    assert!(commands.contains(&r#"export PATH="$PWD/target/release:$PATH""#), "{block}");
    assert!(commands.contains(&r#"eval "$(lviz-testkit up --background)""#), "{block}");
    assert!(commands.contains(&"lviz stat deploy -n emojivoto"), "{block}");
    assert!(commands.contains(&"lviz-testkit down"), "{block}");
}

#[test]
fn every_shown_command_prints_what_the_readme_shows() {
    let runs = shown_runs();
    assert!(runs.len() >= 7, "{runs:?}");
    for (command, shown) in runs {
        assert!(!command.contains("--at"), "copy and paste: LVIZ_AT is exported ({command})");
        let run = bash(&command);
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert_eq!(run.stdout, shown, "{command}");
    }
}

#[test]
fn every_example_on_the_demo_data_runs() {
    let mut ran = 0;
    for block in blocks("sh") {
        for line in block.lines() {
            let command = line.split("  #").next().unwrap_or(line).trim();
            // The demo's data: a namespace of the mesh, not a live view or an install step.
            let reads_data = command.starts_with("lviz ")
                && ["emojivoto", "ops"].iter().any(|ns| command.contains(&format!("-n {ns}")))
                && !command.contains("--watch")
                && !command.contains(" -w");
            if !reads_data {
                continue;
            }
            let run = bash(command);
            assert!(run.code == 0 || run.code == 3, "{command}: exit {}: {}", run.code, run.stderr);
            assert!(!run.stdout.trim().is_empty(), "{command}: no output");
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} examples ran");
}

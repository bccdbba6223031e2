//! Dynamic completion (issue 15 item 6) in the real shells: the script `lviz completion SHELL`
//! prints is loaded into bash, fish and zsh, which call back into the real binary on Tab; resource
//! names and namespaces come from the fake Kubernetes API through the kubeconfig, with a short
//! deadline and a silent fallback. Needs bash, fish, zsh and tmux (scripts/test installs them).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{env, lviz_bin};

/// `PATH` with lviz's folder first: the scripts run `lviz`.
fn path_with_lviz() -> String {
    let dir = lviz_bin().parent().map(Path::to_path_buf).unwrap_or_default();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

fn shell(program: &str, script: &str, kubeconfig: &Path) -> String {
    let out = Command::new(program)
        .args(["-c", script])
        .env("PATH", path_with_lviz())
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", env().home.path())
        .env_remove("LVIZ_PROMETHEUS_URL")
        .env_remove("LVIZ_API_ADDR")
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is required for the completion tests (apt-get install -y {program}): {e}")
        });
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "completion is silent on stderr");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What bash's completion function offers for `words` (the last is the one being completed).
fn bash_completes(words: &[&str], kubeconfig: &Path) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(lviz completion bash); COMP_WORDS=(lviz {}); COMP_CWORD={}; \
         _clap_complete_lviz lviz '{}' lviz; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len(),
        words.last().copied().unwrap_or_default()
    );
    shell("bash", &script, kubeconfig).lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// What fish offers for the command line `line`.
fn fish_completes(line: &str, kubeconfig: &Path) -> Vec<String> {
    let script = format!("lviz completion fish | source; complete -C '{line}'");
    shell("fish", &script, kubeconfig).lines().map(|l| l.split('\t').next().unwrap_or(l).to_string()).collect()
}

fn kubeconfig() -> std::path::PathBuf {
    env().kube.kubeconfig_path().to_path_buf()
}

#[test]
fn bash_completes_names_namespaces_types_and_contexts_from_the_cluster() {
    let kc = kubeconfig();
    assert_eq!(
        bash_completes(&["stat", "-n", "emojivoto", "deploy/"], &kc),
        ["deploy/emoji", "deploy/vote-bot", "deploy/voting", "deploy/web"]
    );
    assert_eq!(bash_completes(&["stat", "-n", "emojivoto", "deploy/vo"], &kc), ["deploy/vote-bot", "deploy/voting"]);
    // `TYPE NAME…`: after the type, its objects.
    let names = bash_completes(&["stat", "--namespace=ops", "deploy", ""], &kc);
    assert!(names.starts_with(&["legacy".to_string(), "traffic".to_string()]), "{names:?}");
    assert_eq!(bash_completes(&["stat", "deploy", "-n", "em"], &kc), ["emojivoto", "empty-ns"]);
    assert_eq!(bash_completes(&["routes", "deploy/web", "--to-namespace", "o"], &kc), ["ops"]);
    assert_eq!(bash_completes(&["stat", "de"], &kc), ["deployment", "deploy"]);
    assert_eq!(bash_completes(&["edges", "st"], &kc), ["statefulset", "sts"]);
    assert_eq!(bash_completes(&["--context", ""], &kc), ["fake", "other"]);
    assert_eq!(bash_completes(&["stat", "po", "--sort"], &kc), ["--sort-by"]);
    // `--context other` (namespace ops) decides where names come from.
    assert_eq!(bash_completes(&["--context", "other", "stat", "deploy/"], &kc), ["deploy/legacy", "deploy/traffic"]);
}

#[test]
fn fish_completes_from_the_cluster() {
    let kc = kubeconfig();
    assert_eq!(fish_completes("lviz stat -n emojivoto deploy/w", &kc), ["deploy/web"]);
    assert_eq!(fish_completes("lviz stat deploy -n emp", &kc), ["empty-ns"]);
    assert_eq!(fish_completes("lviz stat dep", &kc), ["deployment", "deploy"]);
}

#[test]
fn zsh_completes_on_tab_in_a_terminal() {
    let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(found, "tmux is required for the zsh completion test: apt-get install -y tmux");
    let socket = format!("lviz-zsh-{}", std::process::id());
    /// Kills the private tmux server however the test ends.
    struct Server(String);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = Command::new("tmux").args(["-L", &self.0, "kill-server"]).output();
        }
    }
    let _server = Server(socket.clone());
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux").args(["-L", &socket, "-f", "/dev/null"]).args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let start = format!(
        "env PATH={} KUBECONFIG={} HOME={} zsh -f",
        path_with_lviz(),
        kubeconfig().display(),
        env().home.path().display()
    );
    tmux(&["new-session", "-d", "-s", "t", "-x", "150", "-y", "20", &start]);
    let wait_for = |what: &str, done: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "t"]);
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    tmux(&[
        "send-keys",
        "-t",
        "t",
        "autoload -U compinit && compinit -u && source <(lviz completion zsh) && echo loaded",
        "Enter",
    ]);
    wait_for("the completion to load", &|s| s.lines().any(|l| l.trim() == "loaded"));
    tmux(&["send-keys", "-t", "t", "lviz stat -n emojivoto deploy/w", "Tab"]);
    let screen = wait_for("the Tab completion", &|s| s.contains("lviz stat -n emojivoto deploy/web"));
    assert!(!screen.contains("deploy/voting"), "one match, completed in place: {screen}");
}

#[test]
fn an_unreachable_cluster_falls_back_silently_within_the_deadline() {
    // A kubeconfig whose API server accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = dir.path().join("kubeconfig");
    let text = std::fs::read_to_string(kubeconfig()).expect("kubeconfig");
    let server = text.lines().find_map(|l| l.trim().strip_prefix("server: ")).expect("server line").to_string();
    std::fs::write(&kc, text.replace(&server, &format!("http://{addr}"))).expect("write kubeconfig");
    let started = Instant::now();
    assert!(bash_completes(&["stat", "-n", "emojivoto", "deploy/"], &kc).is_empty());
    let types = bash_completes(&["stat", "po"], &kc);
    assert_eq!(types, ["pod", "po"]);
    // Two completions, each bounded by the 1.5s deadline (plus the shell).
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

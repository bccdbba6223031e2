//! The `lviz` binary: parse, build the runtime, call `lviz::run`, print, map to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // `COMPLETE=bash lviz -- …` (the completion scripts): answer and exit.
    clap_complete::CompleteEnv::with_factory(lviz::commands::cli_command).complete();
    let cli = match lviz::commands::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        // Help and version: stdout, exit 0.
        Err(Ok(text)) => {
            let _ = lviz::output::stdout_text(&text);
            return ExitCode::SUCCESS;
        }
        // clap's whole message (what it echoes of argv escaped by the writer).
        Err(Err(e)) => {
            lviz::output::stderr_text(&e.report());
            return ExitCode::from(e.exit_code());
        }
    };
    if !matches!(cli.command, lviz::commands::Command::Serve(_)) {
        one_malloc_arena();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            lviz::output::stderr_line(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(lviz::run(cli));
    // The answer is in: nothing left on the runtime (a flight abandoned at the deadline, a
    // decoder thread still reading a stalled body) may keep the process from exiting.
    runtime.shutdown_background();
    match result {
        Ok(outcome) => {
            let rendered = &outcome.rendered;
            // A closed pipe (`lviz stat … | head`) is not an error.
            if let Err(e) = lviz::output::stdout_text(&rendered.stdout)
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                lviz::output::stderr_text(&lviz::CliError::Io(format!("cannot write output: {e}")).report());
                return ExitCode::from(1);
            }
            lviz::output::stderr_text(&rendered.stderr);
            ExitCode::from(outcome.exit_code())
        }
        Err(e) => {
            lviz::output::stderr_text(&e.report());
            ExitCode::from(e.exit_code())
        }
    }
}

/// A one-shot command holds one big answer at a time, handed between a few threads (the socket
/// reader, the decoder, the runtime's workers). glibc gives each thread its own malloc arena,
/// and memory freed in one is not reused by another: one arena cuts the peak RSS of
/// `stat po -A` over 3,000 pods from ≈ 56 to ≈ 48 MB at no measurable cost in time. `lviz serve`
/// keeps glibc's default (many threads allocating at once).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: `mallopt` only changes allocator tuning; it is called before any other thread
    // exists, and a refusal (return 0) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

//! The `lviz` binary: parse, build the runtime, call `lviz::run`, print, map to an exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `COMPLETE=bash lviz -- …` (the completion scripts): answer and exit.
    clap_complete::CompleteEnv::with_factory(lviz::commands::cli_command).complete();
    let cli = match lviz::commands::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        // Help and version: stdout, exit 0.
        Err(Ok(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(Err(e)) => {
            let _ = std::io::stderr().write_all(e.report().as_bytes());
            return ExitCode::from(e.exit_code());
        }
    };
    if !matches!(cli.command, lviz::commands::Command::Serve(_)) {
        one_malloc_arena();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(lviz::run(cli)) {
        Ok(outcome) => {
            let rendered = &outcome.rendered;
            // A closed pipe (`lviz stat … | head`) is not an error.
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(rendered.stdout.as_bytes()).and_then(|_| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write output: {e}");
                return ExitCode::from(1);
            }
            let _ = std::io::stderr().write_all(rendered.stderr.as_bytes());
            ExitCode::from(outcome.exit_code())
        }
        Err(e) => {
            let _ = std::io::stderr().write_all(e.report().as_bytes());
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

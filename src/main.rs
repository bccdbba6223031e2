//! The `lviz` binary: parse, build the runtime, call `lviz::run`, print, map to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let cli = match lviz::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            // One line, not clap's usage block.
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
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

//! The `tidings` binary: parses the command line and hands off to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tidings::cli::Cli::parse();
    match tidings::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole context chain on one line: "file: what went wrong".
            eprintln!("tidings: {}", tidings::sanitize::line(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

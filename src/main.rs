//! The `tidings` binary: parses the command line and hands off to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = tidings::cli::Cli::parse();
    match tidings::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `tidings articles | head`: the reader went away, which is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            // `{:#}` prints the whole context chain on one line: "file: what went wrong".
            eprintln!("tidings: {}", tidings::sanitize::line(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

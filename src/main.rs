//! The `tidings` binary: parses the command line and hands off to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    forget_empty_path_variables();
    let cli = tidings::cli::Cli::parse();
    match tidings::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `tidings articles | head`: the reader went away, which is not an error.
        Err(e)
            if e.chain().any(|c| {
                let kind = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind).or_else(|| {
                    c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind)
                });
                kind == Some(std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        // A query expression that does not parse: the error, the expression and a caret under
        // the column, and 2 as for any other misuse of the command line.
        Err(e) if e.downcast_ref::<tidings::query::ParseError>().is_some() => {
            tell(&e.to_string());
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            // `{:#}` prints the whole context chain on one line: "file: what went wrong".
            tell(&format!("tidings: {}", tidings::sanitize::line(&format!("{e:#}"))));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Writes `line` to stderr, if there still is one: after an SSH disconnect the reader's
/// terminal is gone, and `eprintln!` would panic on the failed write.
fn tell(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `TIDINGS_CONFIG=` and `TIDINGS_DATA_DIR=` (set, but empty) mean "not set", as an empty
/// `XDG_*` variable does: clap would otherwise take the empty value and refuse it ("a value is
/// required"), which reads as a problem with the flags the user did not pass. Runs before any
/// thread exists, so changing the environment cannot race with a reader.
fn forget_empty_path_variables() {
    for var in ["TIDINGS_CONFIG", "TIDINGS_DATA_DIR"] {
        if std::env::var_os(var).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(var);
        }
    }
}

/// glibc gives each thread that allocates under contention its own arena, and freed memory
/// stays in them: a refresh's parse workers and writer grew the peak by ~5 MB of such slack.
/// Two arenas keep contention low on the few threads tidings has.
///
/// glibc also raises its mmap threshold (up to 32 MiB) each time a big block is freed, after
/// which feed bodies and parse buffers come from the arenas and leave holes there that are
/// never handed back. Fixed thresholds (blocks from 64 KiB up get their own mapping, returned
/// on free; the heap top is trimmed past 128 KiB) cut a 500-feed refresh's peak by 3-6 MB
/// (harness, 100 ms latency: 36-37 MB -> 30-33 MB) at no measurable cost in time.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "mallopt: libc has no safe wrapper")]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only changes allocator tuning; called before any thread is spawned.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

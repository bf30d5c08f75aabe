//! The log file through tracing: lines reach the file, `TIDINGS_LOG` filters, control
//! characters never reach it, it is capped, and an unwritable place costs only the log.
//!
//! The subscriber is process-wide, so the tests take turns (`serial`) and each closes its
//! log before the next opens one.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use tidings::logfile::{self, LogFile, MAX_FILE_BYTES};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the log at `path` holds (through the link to today's file).
fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_line_written_goes_to_the_file() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/tidings/tidings.log");
    let log = LogFile::open(&path);
    log.write("refresh: feed 1 (gen) failed: HTTP 500");
    // A second open while the first lives joins the same log.
    let other = LogFile::open(&dir.path().join("elsewhere/tidings.log"));
    other.write("from the second handle");
    drop(other);
    tracing::info!(target: "tidings::refresh", feed = 7, "an event from anywhere in tidings");
    drop(log);

    let text = read_log(&path);
    assert!(text.contains("INFO tidings: refresh: feed 1 (gen) failed: HTTP 500"), "{text}");
    assert!(text.contains("from the second handle"), "{text}");
    assert!(text.contains("an event from anywhere in tidings feed=7"), "{text}");
    assert!(!dir.path().join("elsewhere").exists());
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(path.with_file_name(format!("tidings.{today}.log")).is_file());
    // Closed: nothing more is written.
    tracing::info!(target: "tidings", "after the end");
    assert!(!read_log(&path).contains("after the end"));
}

#[test]
fn tidings_log_sets_the_level() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let emit = || {
        tracing::error!(target: "tidings::store", "e-line");
        tracing::warn!(target: "tidings", "w-line");
        tracing::info!(target: "tidings", "i-line");
        tracing::debug!(target: "tidings::refresh", "d-line");
        tracing::debug!(target: "h2::codec", "library-debug-line");
    };
    let run = |name: &str, value: Option<&str>| {
        let path = dir.path().join(name).join("tidings.log");
        match value {
            Some(v) => std::env::set_var("TIDINGS_LOG", v),
            None => std::env::remove_var("TIDINGS_LOG"),
        }
        let guard = logfile::init(&path);
        std::env::remove_var("TIDINGS_LOG");
        assert!(guard.is_active());
        emit();
        drop(guard);
        read_log(&path)
    };

    let text = run("default", None);
    assert!(text.contains("e-line") && text.contains("w-line") && text.contains("i-line"), "{text}");
    assert!(!text.contains("d-line") && !text.contains("library-debug-line"), "{text}");

    let text = run("warn", Some("warn"));
    assert!(text.contains("e-line") && text.contains("w-line"), "{text}");
    assert!(!text.contains("i-line") && !text.contains("d-line"), "{text}");

    let text = run("debug", Some("debug"));
    assert!(text.contains("i-line") && text.contains("DEBUG tidings::refresh: d-line"), "{text}");
    assert!(!text.contains("library-debug-line"), "a bare level leaves libraries at warn: {text}");

    let text = run("directives", Some("tidings=error,h2=debug"));
    assert!(text.contains("e-line") && text.contains("library-debug-line"), "{text}");
    assert!(!text.contains("w-line"), "{text}");

    let text = run("bad", Some("verbose please"));
    assert!(text.contains("WARN tidings: TIDINGS_LOG=\"verbose please\" is not understood"), "{text}");
    assert!(text.contains("i-line") && !text.contains("d-line"), "{text}");
}

#[test]
fn control_characters_never_reach_the_file() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.log");
    let log = LogFile::open(&path);
    log.write("title \u{1b}]0;pwned\u{7} with\r\nbreaks\u{202e}txt.exe\u{85} and \u{9b}31m");
    // Fields and messages of other events are cleaned too, whoever wrote them.
    tracing::warn!(target: "tidings::fetch", url = "http://x/\u{1b}[2J", "server said \u{0}\u{8}\u{7f}no");
    tracing::warn!(target: "tidings::fetch", "a multi-line\nmessage\u{2028}ends here");
    drop(log);

    let text = read_log(&path);
    // LogFile cleans its line; tracing escapes control characters of other events (`\x08`
    // as text), and the file end drops any that are left.
    assert!(text.contains("INFO tidings: title ]0;pwned with breakstxt.exe and 31m"), "{text}");
    assert!(text.contains("server said") && text.contains("no url="), "{text}");
    assert!(text.contains("a multi-line message ends here"), "{text}");
    assert_eq!(text.lines().count(), 3, "one event, one line: {text}");
    let bad: Vec<char> = text.chars().filter(|&c| c != '\n' && tidings::sanitize::is_forbidden(c)).collect();
    assert!(bad.is_empty(), "forbidden characters in the log: {bad:?}");
}

#[test]
fn a_day_of_logging_is_capped() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.log");
    let guard = logfile::init_with_filter(&path, Some("info"));
    let chunk = "x".repeat(9000);
    // About twice the cap, in lines (a line longer than 16 KiB would be cut).
    let lines = 2 * MAX_FILE_BYTES as usize / chunk.len();
    for i in 0..lines {
        tracing::info!(target: "tidings", "{i} {chunk}");
        if i % 2000 == 1999 {
            // Let the writer thread keep up: its queue drops lines when full.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    tracing::info!(target: "tidings", "{}", "y".repeat(100_000));
    drop(guard);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= MAX_FILE_BYTES + 300, "{size}");
    assert!(size > MAX_FILE_BYTES - 20_000, "{size}");
    let text = read_log(&path);
    assert_eq!(text.matches("reached its 8 MiB cap").count(), 1);
}

#[test]
fn long_lines_are_cut() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.log");
    let guard = logfile::init_with_filter(&path, None);
    tracing::info!(target: "tidings", "{}", "é".repeat(50_000));
    drop(guard);
    let text = read_log(&path);
    assert!(text.len() <= logfile::MAX_LINE_BYTES + 16 && text.ends_with(" [cut]\n"), "{}", text.len());
}

#[test]
fn an_unwritable_place_means_no_log_and_no_error() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    // A file where the directory should be: nothing can be created under it, even as root.
    let blocker = dir.path().join("state");
    std::fs::write(&blocker, "not a directory").unwrap();
    let path = blocker.join("tidings/tidings.log");
    let guard = logfile::init(&path);
    assert!(!guard.is_active());
    let log = LogFile::open(&path);
    log.write("goes nowhere");
    tracing::error!(target: "tidings", "goes nowhere either");
    drop((guard, log));
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a directory");

    // The next run with a good place logs as usual.
    let good = dir.path().join("ok/tidings.log");
    let log = LogFile::open(&good);
    log.write("fine again");
    drop(log);
    assert!(read_log(&good).contains("fine again"));
}

#[test]
fn an_older_plain_log_is_kept_beside_the_new_ones() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.log");
    std::fs::write(&path, "2024-01-01T00:00:00Z refresh: an old line\n").unwrap();
    let log = LogFile::open(&path);
    log.write("a new line");
    drop(log);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tidings.old.log")).unwrap(),
        "2024-01-01T00:00:00Z refresh: an old line\n"
    );
    assert!(read_log(&path).contains("a new line"));
}

#[test]
fn panics_are_logged() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.log");
    logfile::install_panic_hook(path.clone());
    // No log is open: the hook opens one for its line and flushes it.
    let result = std::panic::catch_unwind(|| panic!("boom \u{1b}[31m in a worker"));
    assert!(result.is_err());
    let _ = std::panic::take_hook();
    let text = read_log(&path);
    assert!(
        text.contains("ERROR tidings: panic: panicked at") && text.contains("boom [31m in a worker"),
        "{text}"
    );
}

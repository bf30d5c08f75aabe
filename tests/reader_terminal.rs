//! The terminal the reader takes and gives back (src/ui/terminal.rs), in a pseudo-terminal:
//! given back exactly once on every way out, kept through a contained panic, lent for Ctrl-z.
//!
//! The panics are asked for with `TIDINGS_TEST_PANIC`, which only debug builds (the one the
//! tests run) read.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]
#![allow(unsafe_code, reason = "kill(2), to signal the reader under test")]

mod common;

use common::cli::Tidings;
use common::pty::Screen;

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quokka Gazette</title><link>https://example.org/</link>
<description>d</description>
<item><title>Quokka news</title><link>https://example.org/1</link><guid>q-1</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate><description>&lt;p&gt;Quokkas smile at everyone.&lt;/p&gt;</description></item>
</channel></rss>
"#;

/// Leaving the alternate screen, as crossterm writes it.
const LEAVE: &[u8] = b"\x1b[?1049l";
/// Entering it.
const ENTER: &[u8] = b"\x1b[?1049h";

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

fn with_feed() -> Tidings {
    let t = Tidings::new();
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, FEED).expect("write the feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    t
}

/// Everything the log files hold (they are written when the process ends).
fn log_text(t: &Tidings) -> String {
    let dir = t.dir.path().join("state/tidings");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).expect("the log directory").flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    all
}

fn signal(screen: &Screen, signal: libc::c_int) {
    let pid = screen.child.process_id().expect("pid");
    // SAFETY: kill(2) on the pid of our own child process.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, signal) }, 0);
}

#[test]
fn a_contained_panic_in_rendering_keeps_the_reader_drawing() {
    let t = with_feed();
    let mut screen = Screen::spawn_with_env(&t, &[("TIDINGS_TEST_PANIC", "render")]);
    screen.wait_for(&["Quokka Gazette", "Quokka news"]);
    // Into the articles, open the one: its layout panics, inside the containment.
    screen.keys("\r\r");
    screen.wait_for(&["Link:   https://example.org/1", "Quokkas smile at everyone."]);
    assert!(screen.alternate_screen(), "the panic gave the terminal back:\n{}", screen.contents());
    // Still answering keys and drawing: the help overlay, then back.
    screen.keys("?");
    screen.wait_for(&["next unread article"]);
    assert!(screen.alternate_screen());
    assert_eq!(count(&screen.raw_output(), LEAVE), 0, "the alternate screen was left");
    screen.keys("q"); // closes the window, as Esc
    screen.wait_until("help closed", |s| !s.contents().contains("next unread article"));
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    let out = String::from_utf8_lossy(&screen.raw_output()).into_owned();
    assert!(!out.contains("panicked"), "the panic message reached the screen:\n{out}");
    assert!(!out.contains("the log is in"), "{out}");
    let log = log_text(&t);
    assert!(log.contains("contained panic") && log.contains("TIDINGS_TEST_PANIC=render"), "{log}");
}

#[test]
fn an_uncontained_panic_restores_the_terminal_once_and_names_the_log() {
    let t = with_feed();
    let env = [("TIDINGS_TEST_PANIC", "key"), ("RUST_BACKTRACE", "0")];
    let mut screen = Screen::spawn_with_env(&t, &env);
    screen.wait_for(&["Quokka Gazette", "Quokka news"]);
    assert!(screen.alternate_screen());
    // The first key panics in the reader's loop, outside any containment.
    screen.keys("j");
    assert!(!screen.wait_exit(), "a panic must fail the run");
    screen.wait_restored();
    let log_path = t.dir.path().join("state/tidings/tidings.log");
    let expected = format!("the log is in {}", log_path.display());
    screen.wait_until("the crash message", |_| {
        String::from_utf8_lossy(&screen.raw_output()).contains("the log is in")
    });
    let raw = screen.raw_output();
    let out = String::from_utf8_lossy(&raw);
    assert!(out.contains(&expected), "no {expected:?} in:\n{out}");
    assert!(out.contains("panicked") && out.contains("TIDINGS_TEST_PANIC=key"), "{out}");
    // On the user's screen (the normal one), below what was there before the reader.
    assert!(screen.contents().contains(&expected), "{}", screen.contents());
    assert_eq!(count(&raw, LEAVE), 1, "restored more than once, or never:\n{out:?}");
    // The message is printed after the restore, on the user's screen.
    let leave_at = raw.windows(LEAVE.len()).position(|w| w == LEAVE).expect("left");
    let message_at = out.find("the log is in").expect("message");
    assert!(message_at > leave_at, "the message went to the alternate screen");
    let log = log_text(&t);
    assert!(log.contains("panic") && log.contains("TIDINGS_TEST_PANIC=key"), "{log}");
}

#[test]
fn quit_and_signals_restore_the_terminal_exactly_once() {
    let t = Tidings::with_config("[fetch]\ntimeout_secs = 3\n[reader]\nmouse = true\n");
    let cases: [(&str, Option<libc::c_int>); 3] =
        [("q", None), ("SIGHUP", Some(libc::SIGHUP)), ("SIGTERM", Some(libc::SIGTERM))];
    for (way, sig) in cases {
        let mut screen = Screen::spawn(&t);
        screen.wait_for(&["tidings add URL"]);
        let raw = screen.raw_output();
        assert_eq!(count(&raw, b"\x1b[?1000h"), 1, "{way}: mouse capture is on");
        match sig {
            None => screen.keys("q"),
            Some(s) => signal(&screen, s),
        }
        assert!(screen.wait_exit(), "{way}: tidings exited with failure:\n{}", screen.contents());
        screen.wait_restored();
        let raw = screen.raw_output();
        assert_eq!(count(&raw, LEAVE), 1, "{way}: the alternate screen left once");
        assert_eq!(count(&raw, b"\x1b[?1000l"), 1, "{way}: mouse capture given back once");
    }
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_redraws_on_return() {
    let t = with_feed();
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Quokka Gazette", "Quokka news"]);
    screen.keys("\x1a");
    // Given back; then stopped (by a shell with job control) or not (here, with no job
    // control, the kernel ignores the stop): SIGCONT resumes it either way, as `fg` would.
    screen.wait_until("the terminal given back", |_| count(&screen.raw_output(), LEAVE) == 1);
    signal(&screen, libc::SIGCONT);
    screen.wait_until("the terminal taken again", |_| count(&screen.raw_output(), ENTER) == 2);
    // Everything repainted after the screen was cleared, and keys still work.
    screen.wait_for(&["Quokka Gazette", "Quokka news"]);
    assert!(screen.alternate_screen());
    screen.keys("\r\r");
    screen.wait_for(&["Quokkas smile at everyone."]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(count(&screen.raw_output(), LEAVE), 2);
}

#[test]
fn the_welcome_names_this_runs_config_file_at_40x12() {
    // `--config` names DIR/config.toml and HOME is DIR: shown as ~/config.toml.
    let t = Tidings::new();
    let mut screen = Screen::spawn_sized(&t, 40, 12);
    screen.wait_for(&["Welcome to tidings!", "tidings import FILE.opml", "Config: ~/config.toml", "? help"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
}

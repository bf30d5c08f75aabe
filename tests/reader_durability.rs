//! The reader under hostile endings: `kill -9` a moment after the last key, a dropped SSH
//! session (SIGHUP), and a data directory that is not a database. Flags changed in the reader must be in the database within a second, the terminal
//! must be restored whenever the process gets the chance, and nothing the user owns is lost.

mod common;

use std::time::Duration;

use common::cli::Tidings;
use common::pty::Screen;

/// Five stories, one a day: `Story 5` is the newest and so comes first in the list.
fn feed_xml() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Wombat Weekly</title><link>https://example.org/</link><description>d</description>\n",
    );
    for i in 1..=5 {
        s.push_str(&format!(
            "<item><title>Story {i}</title><link>https://example.org/{i}</link><guid>w-{i}</guid>\
             <pubDate>Mon, 0{i} Jan 2024 10:00:00 +0000</pubDate>\
             <description>&lt;p&gt;Body of story {i}.&lt;/p&gt;</description></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// A data dir subscribed to the five-story feed (a local file, so no server is needed).
fn subscribed() -> Tidings {
    let t = Tidings::new();
    let file = t.dir.path().join("wombat.xml");
    std::fs::write(&file, feed_xml()).expect("write the feed");
    t.ok(&["add", file.to_str().expect("utf-8 path")]);
    t
}

/// Title to (read, starred), as the command line reports it.
fn flags(t: &Tidings) -> Vec<(String, bool, bool)> {
    let mut rows: Vec<(String, bool, bool)> = t
        .json(&["articles", "--json"])
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|a| {
            (
                a["title"].as_str().expect("title").to_owned(),
                a["read"].as_bool().expect("read"),
                a["starred"].as_bool().expect("starred"),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The flags after [`mark_three`]: 5 opened (read), 4 marked read with `m`, 3 starred.
fn expected_after_marking() -> Vec<(String, bool, bool)> {
    (1..=5).map(|i| (format!("Story {i}"), i >= 4, i == 3)).collect()
}

/// In the reader: open the newest story with Enter, back to the list, `m` on the next one,
/// `s` on the one after. Returns once the screen shows all three changes.
fn mark_three(screen: &mut Screen) {
    screen.wait_for(&["Wombat Weekly", "Story 5", "5 unread"]);
    // Into the feed's articles, open the first (marks it read).
    screen.keys("\r");
    screen.wait_for(&["Story 1"]);
    screen.keys("\r");
    screen.wait_for(&["Body of story 5.", "4 unread"]);
    // Back to the list, down one, toggle read; down one, star.
    screen.keys("hjm");
    screen.wait_for(&["3 unread"]);
    screen.keys("js");
    screen.wait_for(&["N*  Story 3"]);
}

fn assert_consistent(t: &Tidings, when: &str) {
    let check = t.output(&["check"]);
    assert!(
        check.status.success(),
        "{when}: integrity check failed:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("database is consistent"));
}

fn send_signal(screen: &Screen, signal: libc::c_int) {
    let pid = screen.child.process_id().expect("the reader's pid");
    // SAFETY: kill(2) on the pid of our own child process.
    let sent = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal}) failed");
}

#[test]
fn sigkill_a_moment_after_the_last_key_keeps_every_flag() {
    // The promise is "in the database within a second"; 0.5 s is the shortest wait that
    // promise covers with the store's 400 ms flush interval.
    for after_ms in [500u64, 700, 900, 1200] {
        let t = subscribed();
        let mut screen = Screen::spawn(&t);
        mark_three(&mut screen);
        std::thread::sleep(Duration::from_millis(after_ms));
        send_signal(&screen, libc::SIGKILL);
        let status = screen.child.wait().expect("wait for the killed reader");
        assert!(!status.success(), "{after_ms} ms: the reader was not killed");

        assert_consistent(&t, &format!("killed {after_ms} ms after the last key"));
        assert_eq!(flags(&t), expected_after_marking(), "killed {after_ms} ms after the last key");
        assert_eq!(t.ok(&["unread"]).trim(), "3");
    }
}

#[test]
fn sighup_exits_restores_the_terminal_and_keeps_marks() {
    let t = subscribed();
    let mut screen = Screen::spawn(&t);
    mark_three(&mut screen);
    assert!(screen.alternate_screen());
    // What the kernel sends when an SSH session drops.
    send_signal(&screen, libc::SIGHUP);
    screen.wait_exit();
    screen.wait_restored();
    assert_consistent(&t, "after SIGHUP");
    assert_eq!(flags(&t), expected_after_marking());
}

/// A data dir whose database files hold garbage: every entry point says which directory is
/// wrong, does not panic, and leaves the files exactly as they were.
#[test]
fn a_data_dir_that_is_not_a_database_is_refused_and_left_alone() {
    let t = Tidings::new();
    let dir = t.data_dir();
    std::fs::create_dir_all(&dir).expect("create the data dir");
    // sled's file names, with what a stray copy or a disk error could leave in them.
    let garbage: Vec<(&str, Vec<u8>)> = vec![
        ("conf", b"this is not a sled config \xff\xfe\x00\x01".to_vec()),
        ("db", (0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()),
        ("notes.txt", b"my precious notes\n".to_vec()),
    ];
    for (name, bytes) in &garbage {
        std::fs::write(dir.join(name), bytes).expect("write garbage");
    }
    let dir_text = dir.to_str().expect("utf-8 path");

    for args in [&["feeds"][..], &["articles", "--json"], &["check"], &["refresh"]] {
        let out = t.output(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "tidings {args:?} succeeded on garbage: {stderr}");
        assert!(stderr.contains(dir_text), "tidings {args:?} does not name the directory: {stderr}");
        assert!(!stderr.contains("panicked"), "tidings {args:?} panicked: {stderr}");
    }

    // The reader refuses before it takes over the terminal.
    let mut screen = Screen::spawn(&t);
    assert!(!screen.wait_exit(), "the reader started on garbage:\n{}", screen.contents());
    screen.wait_until("the error naming the directory", |s| {
        s.contents().split('\n').collect::<String>().contains(dir_text)
    });
    assert!(!screen.contents().contains("panicked"), "{}", screen.contents());
    assert!(!screen.alternate_screen());

    for (name, bytes) in &garbage {
        let now = std::fs::read(dir.join(name)).expect("the garbage file is still there");
        assert!(now == *bytes, "{name} was changed");
    }
}

/// A data dir holding a `db` file but no sled `conf` (another program's directory, or a
/// database that lost its conf): sled would take it for a new database and overwrite `db`.
#[test]
fn a_db_file_without_its_conf_is_not_overwritten() {
    let t = Tidings::new();
    let dir = t.data_dir();
    std::fs::create_dir_all(&dir).expect("create the data dir");
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(dir.join("db"), &bytes).expect("write db");
    for args in [&["feeds"][..], &["refresh"], &["check"]] {
        let out = t.output(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "tidings {args:?} opened it: {stderr}");
        assert!(stderr.contains(dir.to_str().expect("utf-8 path")), "{stderr}");
        assert!(stderr.contains("no `conf` file"), "{stderr}");
    }
    assert!(std::fs::read(dir.join("db")).expect("db is still there") == bytes, "db was overwritten");
    assert!(!dir.join("conf").exists(), "a conf was written next to someone else's db");
}

/// A data dir path that is a regular file: refused with the path, the file untouched.
#[test]
fn a_data_dir_that_is_a_file_is_refused_and_left_alone() {
    let t = Tidings::new();
    std::fs::write(t.data_dir(), b"not a directory\n").expect("write the file");
    let out = t.output(&["feeds"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(t.data_dir().to_str().expect("utf-8 path")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(t.data_dir()).expect("still there"), b"not a directory\n");
}

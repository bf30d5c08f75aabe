//! The reader under hostile endings: `kill -9` a moment after the last key, a dropped SSH
//! session (SIGHUP), a data directory that is not a database, and `kill -9` of whichever
//! process holds the store (a reader, a `tidings refresh`) while others are its clients.
//! Flags changed in the reader must be in the database within a second, a change a client was
//! told is done must survive its holder's death, the terminal must be restored whenever the
//! process gets the chance, and nothing the user owns is lost.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]
#![allow(unsafe_code, reason = "kill(2), to signal the processes under test")]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::cli::{rss_feed, Tidings};
use common::pty::Screen;
use common::server::{Gate, Response, TestServer};

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

/// In the reader: open the newest story with Enter, back to the list, `s` on the third, `m`
/// on the second. Returns once all three changes are answered, so durable.
fn mark_three(screen: &mut Screen) {
    screen.wait_for(&["Wombat Weekly", "Story 5", "5 unread"]);
    // Into the feed's articles, open the first (marks it read).
    screen.keys("\r");
    screen.wait_for(&["Story 1"]);
    screen.keys("\r");
    screen.wait_for(&["Body of story 5.", "4 unread"]);
    // Back to the list, down two, star; up one, toggle read. The star goes first: both go
    // through the reader's one writer in order, and the status line's count comes from the
    // feeds reloaded after the mark was answered, which the store flushes before answering.
    // So once "3 unread" shows, both flags are on disk: what follows waits for a state, not
    // a time.
    screen.keys("hjjs");
    screen.wait_for(&["N*  Story 3"]);
    screen.keys("km");
    screen.wait_for(&["3 unread"]);
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
    // A mark is durable once it is answered (see `mark_three`), so a kill at once keeps it
    // as surely as one later; the waits only vary where the kill lands.
    for after_ms in [0u64, 300, 900] {
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

// ---- Killing the process that holds the store while others use it ----
//
// The first tidings on a data dir holds the store and serves it on `tidings.sock`; the others
// are its clients, and take over when it dies (see `src/engine`). A change a client was told
// is done must survive the holder's SIGKILL, and the clients must go on working.

/// A fetch timeout that outlasts a request held by a [`Gate`].
const PATIENT: &str = "[fetch]\ntimeout_secs = 60\nconnect_timeout_secs = 5\n";

fn socket(t: &Tidings) -> std::path::PathBuf {
    t.data_dir().join("tidings.sock")
}

/// Someone listens on the data dir's socket.
fn served(t: &Tidings) -> bool {
    std::os::unix::net::UnixStream::connect(socket(t)).is_ok()
}

/// Waits (up to 10 s) until `ok` holds.
fn wait_state(what: &str, ok: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "no {what} after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Title to id, from `articles --json`.
fn ids(t: &Tidings) -> BTreeMap<String, String> {
    t.json(&["articles", "--json"])
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|a| (a["title"].as_str().expect("title").to_owned(), a["id"].to_string()))
        .collect()
}

fn sigkill(screen: &mut Screen) {
    send_signal(screen, libc::SIGKILL);
    let status = screen.child.wait().expect("wait for the killed reader");
    assert!(!status.success(), "the reader was not killed");
}

/// Applies `tidings mark WHAT` to the expected (title, read, starred) rows.
fn apply(expected: &mut [(String, bool, bool)], what: &str, title: &str) {
    let row = expected.iter_mut().find(|r| r.0 == title).expect("a known story");
    match what {
        "read" => row.1 = true,
        "unread" => row.1 = false,
        "star" => row.2 = true,
        "unstar" => row.2 = false,
        other => panic!("no mark {other}"),
    }
}

#[test]
fn sigkill_the_holding_reader_between_cli_marks_loses_no_acknowledged_mark() {
    // The marks, in order; each sets one flag, and some undo an earlier one.
    let script = [
        ("read", "Story 1"),
        ("star", "Story 2"),
        ("read", "Story 3"),
        ("unread", "Story 1"),
        ("read", "Story 4"),
        ("unstar", "Story 2"),
        ("star", "Story 5"),
        ("read", "Story 1"),
    ];
    // After k marks acknowledged by the reader, the next one is on its way when it dies.
    for k in [0, 1, 3, 6] {
        let t = subscribed();
        let ids = ids(&t);
        let mut expected = flags(&t);
        let mut screen = Screen::spawn(&t);
        screen.wait_for(&["Wombat Weekly", "5 unread"]);
        assert!(served(&t), "the reader does not serve the store");
        for (what, title) in &script[..k] {
            assert_eq!(t.ok(&["mark", what, &ids[*title]]), "1 article changed\n", "mark {what} {title}");
            apply(&mut expected, what, title);
        }
        let (what, title) = script[k];
        let next = t
            .command()
            .args(["mark", what, &ids[title]])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn tidings mark");
        // Not a timing assertion: only moves the kill around the command's start-up.
        std::thread::sleep(Duration::from_millis(5 * k as u64));
        sigkill(&mut screen);
        let out = next.wait_with_output().expect("wait for tidings mark");
        // A client whose holder died takes the store over and sends its request again.
        assert!(
            out.status.success(),
            "k={k}: mark {what} {title} failed when the reader died: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        apply(&mut expected, what, title);
        // And a command started after the kill finds the store free.
        let (what, title) = script[k + 1];
        assert_eq!(t.ok(&["mark", what, &ids[title]]), "1 article changed\n");
        apply(&mut expected, what, title);

        assert_consistent(&t, &format!("reader killed after {k} marks"));
        assert_eq!(flags(&t), expected, "reader killed after {k} marks");
        let unread = expected.iter().filter(|r| !r.1).count();
        assert_eq!(t.ok(&["unread"]).trim(), unread.to_string());
    }
}

#[test]
fn sigkill_a_cli_refresh_that_holds_the_store_and_its_client_reader_takes_over() {
    let server = TestServer::start();
    let alpha = || Response::ok(rss_feed("Alpha", 3, 1)).content_type("application/rss+xml");
    server.route("/alpha.xml", alpha());
    server.route("/beta.xml", Response::ok(rss_feed("Beta", 2, 1)).content_type("application/rss+xml"));
    let t = Tidings::with_config(PATIENT);
    t.ok(&["add", &server.url("/alpha.xml")]);
    t.ok(&["add", &server.url("/beta.xml")]);
    let ids = ids(&t);
    t.ok(&["mark", "star", &ids["Alpha item 0"]]);

    // A refresh that holds the store, stuck at Alpha.
    let gate = Gate::new();
    server.route("/alpha.xml", alpha().gated(&gate));
    let mut cli =
        t.command().arg("refresh").stdout(std::process::Stdio::null()).spawn().expect("spawn refresh");
    wait_state("Alpha requested", || server.hits("/alpha.xml") == 2);
    assert!(served(&t), "the refresh does not serve the store");

    // The reader is its client: it reads, marks (written by the refresh's process), and asks
    // for a refresh, which joins the running one.
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Alpha", "Beta", "Alpha item 2", "5 unread |"]);
    screen.keys("\r\r");
    screen.wait_for(&["Body 2 v1", "4 unread |"]);
    screen.keys("R");
    screen.wait_for(&["refreshing 0/2 feeds"]);

    // Alpha answers at once from now on (the request already held stays held).
    server.route("/alpha.xml", alpha());
    cli.kill().expect("SIGKILL the refresh");
    assert!(!cli.wait().expect("wait for the refresh").success());

    // The reader holds the store now; its refresh, sent again, ran there.
    screen.wait_for(&["refreshed 2 feeds"]);
    assert_eq!(server.hits("/alpha.xml"), 3);
    wait_state("the reader serving the store", || served(&t));
    // Keys still work, and so do commands.
    screen.keys("hjm");
    screen.wait_for(&["3 unread |"]);
    assert_eq!(t.ok(&["unread"]).trim(), "3");
    t.ok(&["mark", "read", &ids["Alpha item 0"]]);
    screen.wait_for(&["2 unread |"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "the reader failed:\n{}", screen.contents());

    assert_consistent(&t, "after the refresh was killed");
    let all = t.json(&["articles", "--json"]);
    let flags_of = |title: &str| {
        let a = all.as_array().expect("array").iter().find(|a| a["title"] == title).expect("article").clone();
        (a["read"].as_bool().expect("read"), a["starred"].as_bool().expect("starred"))
    };
    assert_eq!(flags_of("Alpha item 0"), (true, true), "the star made before the kill was lost");
    assert_eq!(flags_of("Alpha item 1"), (true, false));
    assert_eq!(
        flags_of("Alpha item 2"),
        (true, false),
        "the reader's mark through the killed holder was lost"
    );
    assert_eq!(t.ok(&["unread"]).trim(), "2");
}

/// A reader that shows another process's refresh must not wait for its end forever when that
/// process dies: after taking over, R refreshes.
#[test]
fn sigkill_a_reader_refreshing_for_another_reader_leaves_the_other_able_to_refresh() {
    let server = TestServer::start();
    let alpha = || Response::ok(rss_feed("Alpha", 3, 1)).content_type("application/rss+xml");
    server.route("/alpha.xml", alpha());
    server.route("/beta.xml", Response::ok(rss_feed("Beta", 2, 1)).content_type("application/rss+xml"));
    let t = Tidings::with_config(PATIENT);
    t.ok(&["add", &server.url("/alpha.xml")]);
    t.ok(&["add", &server.url("/beta.xml")]);

    let mut first = Screen::spawn(&t);
    first.wait_for(&["Alpha", "5 unread |"]);
    assert!(served(&t), "the first reader does not serve the store");
    let mut second = Screen::spawn(&t);
    second.wait_for(&["Alpha", "5 unread |"]);

    let gate = Gate::new();
    server.route("/alpha.xml", alpha().gated(&gate));
    first.keys("R");
    first.wait_for(&["refreshing 1/2 feeds"]);
    second.wait_for(&["refreshing 1/2 feeds"]);
    server.route("/alpha.xml", alpha());
    sigkill(&mut first);

    wait_state("the second reader serving the store", || served(&t));
    // It noticed (else R would still be told a refresh runs).
    second.wait_for(&["R starts another"]);
    second.keys("R");
    second.wait_for(&["refreshed 2 feeds"]);
    second.keys("\r\r");
    second.wait_for(&["Body 2 v1", "4 unread |"]);
    second.keys("Q");
    assert!(second.wait_exit(), "the reader failed:\n{}", second.contents());
    assert_consistent(&t, "after the refreshing reader was killed");
    assert_eq!(t.ok(&["unread"]).trim(), "4");
}

#[test]
fn a_socket_left_by_a_killed_reader_is_replaced_by_the_next_process() {
    let t = subscribed();
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Wombat Weekly", "5 unread"]);
    assert!(served(&t), "the reader does not serve the store");
    sigkill(&mut screen);
    assert!(socket(&t).exists(), "SIGKILL left no socket file: nothing stale to test");
    assert!(!served(&t), "someone still answers on the killed reader's socket");

    // A command works as if the file were not there.
    let out = t.output(&["feeds"]);
    assert!(out.status.success(), "feeds: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Wombat Weekly  5/5"));

    // So does a reader, killed the same way, and the next reader after it serves the others.
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Wombat Weekly", "5 unread"]);
    sigkill(&mut screen);
    assert!(socket(&t).exists() && !served(&t));
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Wombat Weekly", "5 unread"]);
    wait_state("the new reader serving the store", || served(&t));
    let ids = ids(&t);
    assert_eq!(t.ok(&["mark", "read", &ids["Story 5"]]), "1 article changed\n");
    screen.wait_for(&["4 unread"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "the reader failed:\n{}", screen.contents());
    assert_consistent(&t, "after a stale socket");
}

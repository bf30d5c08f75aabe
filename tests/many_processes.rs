//! One data dir, many tidings processes, end to end with the real binary: the first process
//! holds the store and serves it on `tidings.sock`, the others are its clients (see
//! `src/engine`). A command gives the same answer whether a reader is open or not, a change
//! made anywhere shows in every open reader without a key press, a refresh runs once wherever
//! it was asked for, and a reader opens at once while a command holds the store.
//!
//! No assertion here is about time: each test waits for a state (a text on a screen, a
//! request seen by the server, a file) and fails when the state never comes (10 s each).
//! Requests that must still be running at some point are held by a [`Gate`], not slowed down.
//!
//! The kill tests (SIGKILL of a holder while others use it) are in `reader_durability.rs`.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]
#![allow(
    unsafe_code,
    reason = "geteuid and a raw socket connect as another user, for the socket's peer check"
)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::{rss_feed, Tidings};
use common::pty::Screen;
use common::server::{Gate, Response, TestServer};

/// A config whose fetch timeout outlasts a held request (the default test config gives up
/// after 3 s, which a loaded machine can reach while a test waits for a screen).
const PATIENT: &str = "[fetch]\ntimeout_secs = 60\nconnect_timeout_secs = 5\n";

/// Exit code, stdout and stderr of one run, compared whole.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Outcome {
    fn from(out: Output) -> Outcome {
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A data dir subscribed to two feeds served over HTTP and fetched once: Alpha (3 articles,
/// `Alpha item 0..2`, item 2 the newest) and Beta (2 articles).
struct Fixture {
    t: Tidings,
    server: TestServer,
}

impl Fixture {
    fn new(config: &str) -> Fixture {
        let server = TestServer::start();
        server.route("/alpha.xml", Response::ok(rss_feed("Alpha", 3, 1)).content_type("application/rss+xml"));
        server.route("/beta.xml", Response::ok(rss_feed("Beta", 2, 1)).content_type("application/rss+xml"));
        let t = Tidings::with_config(config);
        t.ok(&["add", &server.url("/alpha.xml")]);
        t.ok(&["add", &server.url("/beta.xml")]);
        Fixture { t, server }
    }

    /// From now on Alpha's requests wait for `gate`.
    fn hold_alpha(&self, gate: &Gate) {
        self.server.route(
            "/alpha.xml",
            Response::ok(rss_feed("Alpha", 3, 1)).content_type("application/rss+xml").gated(gate),
        );
    }
}

fn socket(t: &Tidings) -> PathBuf {
    t.data_dir().join("tidings.sock")
}

/// Someone listens on the data dir's socket (when only one tidings runs: that one holds the
/// store). The connection is dropped before the greeting, which the holder shrugs off.
fn served(t: &Tidings) -> bool {
    std::os::unix::net::UnixStream::connect(socket(t)).is_ok()
}

/// The article's id, from `articles --json`.
fn article_id(t: &Tidings, title: &str) -> String {
    let all = t.json(&["articles", "--json"]);
    let found = all.as_array().expect("a JSON array").iter().find(|a| a["title"] == title);
    found.unwrap_or_else(|| panic!("no article {title:?} in {all}"))["id"].to_string()
}

/// (read, starred) of one article, from `articles --json`.
fn flags(t: &Tidings, id: &str) -> (bool, bool) {
    let all = t.json(&["articles", "--json"]);
    let a = all
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|a| a["id"].as_u64() == id.parse().ok())
        .unwrap_or_else(|| panic!("no article {id} in {all}"))
        .clone();
    (a["read"].as_bool().expect("read"), a["starred"].as_bool().expect("starred"))
}

/// One feed of `feeds --json` by title.
fn feed_json(t: &Tidings, title: &str) -> Option<serde_json::Value> {
    t.json(&["feeds", "--json"])
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|f| f["title"] == title)
        .cloned()
}

/// The marks column of the article list row showing `title` (what is between the date and
/// the title: `N` unread, `*` starred, `+` images), if the row is on screen.
fn marks(contents: &str, title: &str) -> Option<String> {
    let line = contents.lines().find(|l| l.contains(title))?;
    let before = &line[..line.find(title)?];
    let row = &before[before.rfind('│').map_or(0, |i| i + '│'.len_utf8())..];
    // "2024-01-03 N + ": the date is 10 columns.
    Some(row.chars().skip(10).collect())
}

/// Waits until the row of `title` shows `unread` and `starred` as asked.
fn wait_marks(screen: &Screen, title: &str, unread: bool, starred: bool) {
    screen.wait_until(&format!("{title} unread={unread} starred={starred}"), |s| {
        marks(&s.contents(), title).is_some_and(|m| m.contains('N') == unread && m.contains('*') == starred)
    });
}

/// Waits (up to 10 s) until `ok` holds; `what` names it in the failure.
fn wait_state(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "no {what} after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Quits a reader with `q` and checks it exited cleanly.
fn quit(mut screen: Screen) {
    screen.keys("Q");
    assert!(screen.wait_exit(), "the reader failed:\n{}", screen.contents());
}

fn assert_consistent(t: &Tidings) {
    let out = t.output(&["check"]);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("database is consistent"),
        "check: {:?}",
        Outcome::from(out)
    );
}

/// `tidings ARGS` started in the background, its output captured.
fn spawn(t: &Tidings, args: &[&str]) -> Child {
    t.command().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn tidings")
}

#[test]
fn every_command_answers_the_same_with_the_reader_open_and_its_changes_show_there_at_once() {
    let f = Fixture::new(PATIENT);
    let t = &f.t;
    let alpha0 = article_id(t, "Alpha item 0");
    let alpha1 = article_id(t, "Alpha item 1");
    let alpha2 = article_id(t, "Alpha item 2");
    let beta1 = article_id(t, "Beta item 1");
    // Some flags, so that the outputs have both kinds of rows.
    t.ok(&["mark", "read", &alpha0]);
    t.ok(&["mark", "star", &beta1]);

    let queries: Vec<Vec<&str>> = vec![
        vec!["unread"],
        vec!["feeds"],
        vec!["feeds", "--json"],
        vec!["articles"],
        vec!["articles", "--json"],
        vec!["articles", "--unread", "--feed", "1"],
        vec!["articles", "--starred", "--json"],
        vec!["show", &alpha2],
        vec!["show", &beta1],
        vec!["log", "1"],
        vec!["log", "2"],
        vec!["check"],
        vec!["export"],
        vec!["export", "--format", "urls"],
        // Refusals: the same message and exit code through the socket.
        vec!["show", "999"],
        vec!["log", "999"],
        vec!["mark", "read", "999"],
        vec!["articles", "--feed", "999"],
        vec!["remove", "999"],
        vec!["set", "999", "--title", "X"],
    ];
    let run_all = || -> Vec<Outcome> {
        queries
            .iter()
            .map(|args| {
                // `unread` answers from a cache file while the database file is unchanged;
                // without it, both runs ask the store (the second through the reader).
                let _ = std::fs::remove_file(t.data_dir().join("unread.cache"));
                Outcome::from(t.output(args))
            })
            .collect()
    };
    let alone = run_all();
    for (args, out) in queries.iter().zip(&alone) {
        let refusal = args.contains(&"999");
        assert_eq!(out.code == Some(0), !refusal, "tidings {args:?} without a reader: {out:?}");
        assert_eq!(out.stderr.is_empty(), !refusal, "tidings {args:?} without a reader: {out:?}");
    }
    assert_eq!(alone[0].stdout, "4\n");
    assert_eq!(alone[14].stderr, "tidings: no article with id 999 (see `tidings articles`)\n");

    let screen = Screen::spawn(t);
    screen.wait_for(&["Alpha", "Beta", "Alpha item 2", "4 unread |"]);
    assert!(served(t), "the reader does not serve the store");
    let beside = run_all();
    for ((args, a), b) in queries.iter().zip(&alone).zip(&beside) {
        assert_eq!(a, b, "tidings {args:?} answers differently with the reader open");
    }

    // Writes, with the reader open: each is in the database when the command returns, and
    // on the reader's screen without a key press.
    let gamma = t.dir.path().join("gamma.xml");
    std::fs::write(&gamma, rss_feed("Gamma", 4, 1)).expect("write the feed");
    let added = t.ok(&["add", gamma.to_str().expect("utf-8 path")]);
    assert!(added.contains("Gamma: 4 articles"), "{added}");
    assert_eq!(feed_json(t, "Gamma").expect("Gamma subscribed")["total"], 4);
    screen.wait_for(&["Gamma", "8 unread |"]);

    let set = t.ok(&["set", "1", "--title", "Alpha Renamed"]);
    assert!(set.starts_with("updated feed 1: Alpha Renamed"), "{set}");
    assert!(feed_json(t, "Alpha Renamed").is_some(), "the title is not stored");
    screen.wait_for(&["Alpha Renamed"]);

    wait_marks(&screen, "Alpha item 2", true, false);
    assert_eq!(t.ok(&["mark", "read", &alpha2]), "1 article changed\n");
    assert_eq!(flags(t, &alpha2), (true, false));
    wait_marks(&screen, "Alpha item 2", false, false);
    screen.wait_for(&["7 unread |"]);

    assert_eq!(t.ok(&["mark", "star", &alpha1]), "1 article changed\n");
    assert_eq!(flags(t, &alpha1), (false, true));
    wait_marks(&screen, "Alpha item 1", true, true);

    f.server.route("/delta.xml", Response::ok(rss_feed("Delta", 2, 1)).content_type("application/rss+xml"));
    let opml = t.dir.path().join("more.opml");
    std::fs::write(
        &opml,
        format!(
            "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head><title>t</title></head><body>\n\
             <outline type=\"rss\" text=\"Delta\" xmlUrl=\"{}\"/>\n</body></opml>\n",
            f.server.url("/delta.xml")
        ),
    )
    .expect("write the OPML");
    let imported = t.ok(&["import", opml.to_str().expect("utf-8 path")]);
    assert!(imported.ends_with(": 1 added, 0 already present, 0 skipped\n"), "{imported}");
    assert_eq!(feed_json(t, "Delta").expect("Delta subscribed")["total"], 0);
    screen.wait_for(&["Delta", "0/0"]);

    let removed = t.ok(&["remove", "2"]);
    assert_eq!(removed, "removed feed 2: Beta\n");
    assert!(feed_json(t, "Beta").is_none(), "Beta is still subscribed");
    screen.wait_until("Beta gone", |s| !s.contents().contains("Beta"));
    screen.wait_for(&["5 unread |"]);

    let refreshed = t.ok(&["refresh"]);
    assert!(refreshed.starts_with("refreshed 3 feeds in "), "{refreshed}");
    assert_eq!(feed_json(t, "Delta").expect("Delta")["total"], 2, "the refresh did not store Delta");
    assert_eq!(f.server.hits("/delta.xml"), 1);
    screen.wait_for(&["7 unread |", "2/2"]);
    screen.wait_for(&["refreshed 3 feeds"]);

    quit(screen);
    assert_eq!(t.ok(&["unread"]), "7\n");
    assert_consistent(t);
}

#[test]
fn a_cli_refresh_runs_once_in_the_reader_and_shows_there() {
    let f = Fixture::new(PATIENT);
    let t = &f.t;
    let (alpha_before, beta_before) = (f.server.hits("/alpha.xml"), f.server.hits("/beta.xml"));
    let mut screen = Screen::spawn(t);
    screen.wait_for(&["Alpha", "Beta", "5 unread |"]);
    assert!(served(t), "the reader does not serve the store");

    // Alpha is held until the reader has shown the refresh running.
    let gate = Gate::new();
    f.hold_alpha(&gate);
    let cli = spawn(t, &["refresh"]);
    wait_state("Alpha requested", || f.server.hits("/alpha.xml") == alpha_before + 1);
    screen.wait_for(&["refreshing 1/2 feeds"]);
    // The reader knows a refresh runs: R does not start another.
    screen.keys("R");
    screen.wait_for(&["a refresh is already running"]);
    gate.open();

    let out = Outcome::from(cli.wait_with_output().expect("wait for the refresh"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.starts_with("refreshed 2 feeds in "), "{out:?}");
    assert!(out.stdout.contains(": 2 fetched, 0 not modified, 0 failed;"), "{out:?}");
    assert_eq!(out.stderr, "");
    screen.wait_for(&["refreshed 2 feeds"]);
    assert_eq!(f.server.hits("/alpha.xml"), alpha_before + 1, "Alpha was fetched more than once");
    assert_eq!(f.server.hits("/beta.xml"), beta_before + 1, "Beta was fetched more than once");
    quit(screen);
    assert_consistent(t);
}

#[test]
fn the_reader_opens_and_works_while_a_cli_refresh_holds_the_store() {
    let f = Fixture::new(PATIENT);
    let t = &f.t;
    let alpha1 = article_id(t, "Alpha item 1");
    let gate = Gate::new();
    f.hold_alpha(&gate);
    let mut cli = spawn(t, &["refresh"]);
    wait_state("Alpha requested", || f.server.hits("/alpha.xml") == 2);
    assert!(served(t), "the refresh does not serve the store");

    let mut screen = Screen::spawn(t);
    screen.wait_for(&["Alpha", "Beta", "Alpha item 2", "5 unread |"]);
    // Into the list, open the newest article: its body shows and it is marked read.
    screen.keys("\r\r");
    screen.wait_for(&["Body 2 v1", "4 unread |"]);
    // All of that while the refresh was still held at Alpha.
    assert!(cli.try_wait().expect("poll the refresh").is_none(), "the refresh ended before the gate opened");
    assert_eq!(f.server.in_flight(), 1);

    gate.open();
    let out = Outcome::from(cli.wait_with_output().expect("wait for the refresh"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.starts_with("refreshed 2 feeds in "), "{out:?}");
    screen.wait_for(&["refreshed 2 feeds"]);
    // The refresh has exited: whoever answers on the socket now is the reader.
    wait_state("the reader serving the store", || served(t));
    assert_eq!(t.ok(&["mark", "read", &alpha1]), "1 article changed\n");
    screen.wait_for(&["3 unread |"]);
    // And the reader's own keys still reach the store: back to the list, star the open one.
    screen.keys("hs");
    screen.wait_until("Alpha item 2 starred", |s| {
        marks(&s.contents(), "Alpha item 2").is_some_and(|m| m.contains('*'))
    });
    let alpha2 = article_id(t, "Alpha item 2");
    wait_state("the star in the database", || flags(t, &alpha2) == (true, true));
    quit(screen);
    assert_eq!(t.ok(&["unread"]), "3\n");
    assert_consistent(t);
}

#[test]
fn a_second_reader_works_beside_the_first_and_takes_over_when_it_quits() {
    let f = Fixture::new(PATIENT);
    let t = &f.t;
    let mut first = Screen::spawn(t);
    first.wait_for(&["Alpha", "Beta", "Alpha item 0", "5 unread |"]);
    assert!(served(t), "the first reader does not serve the store");
    let mut second = Screen::spawn(t);
    // The same data, the same first screen.
    second.wait_until("the first reader's screen", |s| s.contents() == first.contents());

    // A mark in the first shows in the second without a key press there, and back.
    first.keys("\r\r");
    first.wait_for(&["Body 2 v1", "4 unread |"]);
    second.wait_for(&["4 unread |"]);
    wait_marks(&second, "Alpha item 2", false, false);
    second.keys("\rjm");
    second.wait_for(&["3 unread |"]);
    first.wait_for(&["3 unread |"]);
    wait_marks(&first, "Alpha item 1", false, false);

    // The first (the holder) quits; the second goes on, and holds the store now.
    quit(first);
    second.keys("jm");
    second.wait_for(&["2 unread |"]);
    wait_state("the second reader serving the store", || served(t));
    assert_eq!(t.ok(&["unread"]), "2\n");
    let alpha0 = article_id(t, "Alpha item 0");
    assert_eq!(flags(t, &alpha0), (true, false));
    assert_eq!(t.ok(&["mark", "star", &alpha0]), "1 article changed\n");
    wait_marks(&second, "Alpha item 0", false, true);
    quit(second);
    assert_eq!(t.ok(&["unread"]), "2\n");
    assert_consistent(t);
}

/// Root can run a process as another user: that user must get nothing from the socket, first
/// because of its mode (0600), then, with the mode opened up, because the holder checks each
/// peer's uid. Forks (so nothing but this test binary is needed) and does only
/// async-signal-safe calls in the child.
#[test]
fn another_user_cannot_use_the_socket() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "SKIPPED another_user_cannot_use_the_socket: it needs root to run a process as another user"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new(PATIENT);
    let t = &f.t;
    let screen = Screen::spawn(t);
    screen.wait_for(&["Alpha", "5 unread |"]);
    let path = socket(t);
    assert!(path.exists(), "the reader does not serve the store");
    // The other user may reach the socket file: only the socket itself keeps it out.
    for dir in [t.dir.path().to_owned(), t.data_dir()] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).expect("chmod the dir");
    }

    assert_eq!(connect_as(65534, &path), Err(libc::EACCES), "the socket's mode let another user in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod the socket");
    assert_eq!(connect_as(65534, &path), Ok(0), "the holder answered another user");
    // The same connection as root is answered: the refusal above was the uid check.
    assert!(connect_as(0, &path).is_ok_and(|n| n > 0), "the holder does not answer its own user");
    // And the holder carries on.
    assert_eq!(t.ok(&["unread"]), "5\n");
    quit(screen);
}

/// In a child running as `uid`: connects to `path`, sends a tidings greeting and reads the
/// answer. `Err(errno)` when the connection failed, else how many bytes came back before the
/// holder hung up (0: refused without a word, or reset).
fn connect_as(uid: libc::uid_t, path: &std::path::Path) -> Result<i32, i32> {
    use std::os::unix::ffi::OsStrExt;
    // Everything the child needs is built before the fork.
    let mut hello = Vec::new();
    tidings::engine::protocol::write_frame(&mut hello, &tidings::engine::protocol::Hello::ours())
        .expect("a greeting");
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    assert!(bytes.len() < addr.sun_path.len(), "socket path too long");
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let timeout = libc::timeval { tv_sec: 5, tv_usec: 0 };
    // SAFETY: the child only makes async-signal-safe calls (setgroups, setgid, setuid, socket,
    // setsockopt, connect, write, read, _exit) on memory prepared before the fork.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // Exit codes: 0-99 bytes read (capped), 100 + errno for a failure.
            let fail = |step: i32| -> ! {
                let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                libc::_exit(if step == 0 { 100 + errno.min(150) } else { 255 })
            };
            if uid != 0
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(uid) != 0
                    || libc::setuid(uid) != 0)
            {
                fail(1);
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            if fd < 0 {
                fail(1);
            }
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &timeout as *const libc::timeval as *const libc::c_void,
                size_of::<libc::timeval>() as libc::socklen_t,
            );
            let len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
            if libc::connect(fd, &addr as *const libc::sockaddr_un as *const libc::sockaddr, len) != 0 {
                fail(0);
            }
            // A holder that hung up already makes this fail: that is a refusal too.
            libc::write(fd, hello.as_ptr() as *const libc::c_void, hello.len());
            let mut buf = [0u8; 64];
            let n = libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len());
            if n >= 0 {
                libc::_exit(n.min(99) as i32)
            }
            // A reset is a hang-up too (the holder closed with our greeting unread); a
            // timeout is not.
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::ECONNRESET) => libc::_exit(0),
                _ => libc::_exit(254),
            }
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid, "waitpid");
        assert!(libc::WIFEXITED(status), "the child did not exit: {status}");
        match libc::WEXITSTATUS(status) {
            n @ 0..=99 => Ok(n),
            n @ 100..=250 => Err(n - 100),
            254 => panic!("the child got neither an answer nor a hang-up in 5 s"),
            n => panic!("the child failed before connecting (exit {n})"),
        }
    }
}

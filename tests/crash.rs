//! `kill -9` during `tidings refresh`, many times: the database must open, pass the integrity
//! check, and keep every flag written before the kill. Also at the one moment of an open that
//! writes a file sled itself reads back: its snapshot.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]
#![allow(unsafe_code, reason = "inotify, to see the moment sled writes a snapshot")]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::cli::{opml, rss_feed, Tidings};
use common::server::{Response, TestServer};

const FEEDS: usize = 20;
const ITEMS: usize = 50;
const KILLS: u64 = 50;

/// The ids of the read articles and of the starred ones, from one `articles --json`.
fn read_and_starred(t: &Tidings) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let (mut read, mut starred) = (BTreeSet::new(), BTreeSet::new());
    for a in t.json(&["articles", "--json"]).as_array().unwrap() {
        let id = a["id"].as_u64().unwrap();
        if a["read"] == true {
            read.insert(id);
        }
        if a["starred"] == true {
            starred.insert(id);
        }
    }
    (read, starred)
}

#[test]
fn sigkill_during_refresh_loses_nothing() {
    let server = TestServer::start();
    let serve_version = |v: u32| {
        for i in 0..FEEDS {
            server.route(
                &format!("/f{i}.xml"),
                Response::ok(rss_feed(&format!("f{i}"), ITEMS, v)).content_type("application/rss+xml"),
            );
        }
    };
    serve_version(0);
    let t = Tidings::new();
    let urls: Vec<String> = (0..FEEDS).map(|i| server.url(&format!("/f{i}.xml"))).collect();
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, opml(&urls)).unwrap();
    t.ok(&["import", file.to_str().unwrap()]);
    t.ok(&["refresh"]);
    let mut read: BTreeSet<u64> = BTreeSet::new();
    let mut starred: BTreeSet<u64> = BTreeSet::new();
    let all: Vec<u64> = t
        .json(&["articles", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert_eq!(all.len(), FEEDS * ITEMS);
    // A fixed seed keeps a failure reproducible; TIDINGS_CRASH_SEED tries other moments.
    let seed = std::env::var("TIDINGS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng: u64 = seed;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut killed_mid_run = 0;
    for round in 0..KILLS {
        // Flags written before the kill, by a process that exited normally.
        let pick = all[(next() % all.len() as u64) as usize];
        t.ok(&["mark", "read", &pick.to_string()]);
        read.insert(pick);
        if round % 3 == 0 {
            t.ok(&["mark", "star", &pick.to_string()]);
            starred.insert(pick);
        }
        // New content each round, so the refresh has real writes to be cut off in.
        serve_version(round as u32 + 1);
        let mut child = t.command().arg("refresh").spawn().unwrap();
        // Every other kill in the first 30 ms: the store's open (sled's recovery and the
        // snapshot it writes), the stamp and the socket; the others anywhere in the refresh.
        let window = if round % 2 == 0 { 30 } else { 600 };
        std::thread::sleep(Duration::from_millis(next() % window));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let check = t.output(&["check"]);
        assert!(
            check.status.success(),
            "round {round}: integrity check failed:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let (now_read, now_starred) = read_and_starred(&t);
        assert!(
            read.is_subset(&now_read),
            "round {round}: read flags lost: {:?}",
            read.difference(&now_read)
        );
        assert_eq!(now_starred, starred, "round {round}: starred flags changed");
    }
    // How many land mid-run depends on the machine's speed and load (a loaded CI machine saw
    // 9 of 50), so it is reported, not asserted: what is asserted holds wherever they land.
    println!("{killed_mid_run} of {KILLS} SIGKILLs landed mid-refresh (seed {seed})");
    // And after all that, a full refresh still works and the total is exact.
    t.ok(&["refresh"]);
    assert_eq!(t.json(&["articles", "--json"]).as_array().unwrap().len(), FEEDS * ITEMS);
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

/// Watches a directory for new files (Linux's inotify).
#[cfg(target_os = "linux")]
struct Created(i32);

#[cfg(target_os = "linux")]
impl Created {
    fn watch(dir: &std::path::Path) -> Created {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: plain syscalls on a descriptor this value owns.
        let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        assert!(fd >= 0, "inotify_init1: {}", std::io::Error::last_os_error());
        // SAFETY: `fd` was just made; `path` is a C string that outlives the call.
        let watched = unsafe { libc::inotify_add_watch(fd, path.as_ptr(), libc::IN_CREATE) };
        assert!(watched >= 0, "inotify_add_watch: {}", std::io::Error::last_os_error());
        Created(fd)
    }

    /// Waits until a file whose name ends with `suffix` is created (true) or `child` exits.
    fn wait_for(&self, suffix: &str, child: &mut std::process::Child) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            let mut ready = libc::pollfd { fd: self.0, events: libc::POLLIN, revents: 0 };
            // SAFETY: one pollfd, and a read into a buffer of the length given.
            if unsafe { libc::poll(&mut ready, 1, 10) } > 0 {
                // SAFETY: `buf` is ours, `buf.len()` bytes long.
                let len = unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) };
                let len = usize::try_from(len).unwrap_or(0);
                // struct inotify_event: wd, mask, cookie, len (4 bytes each), then the name.
                let mut at = 0;
                while at + 16 <= len {
                    let name_len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into().unwrap()) as usize;
                    let name = &buf[at + 16..(at + 16 + name_len).min(len)];
                    let name = name.split(|&b| b == 0).next().unwrap_or_default();
                    if name.ends_with(suffix.as_bytes()) {
                        return true;
                    }
                    at += 16 + name_len;
                }
            }
            if child.try_wait().unwrap().is_some() {
                return false;
            }
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Created {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// sled writes a snapshot at nearly every open that follows a write, to `snap.<lsn>.generating`
/// (renamed once whole), and reads the highest-named snapshot back, unfinished ones included.
/// A `kill -9` the moment that file appears, in the first milliseconds of a refresh, left a
/// data dir that every later command refused as corrupt (about one kill in three did).
#[cfg(target_os = "linux")]
#[test]
fn sigkill_while_sled_writes_its_snapshot_at_open() {
    const ROUNDS: usize = 20;
    let server = TestServer::start();
    let urls: Vec<String> = (0..3)
        .map(|i| {
            let path = format!("/s{i}.xml");
            server.route(
                &path,
                Response::ok(rss_feed(&format!("s{i}"), 20, 0)).content_type("application/rss+xml"),
            );
            server.url(&path)
        })
        .collect();
    let t = Tidings::new();
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, opml(&urls)).unwrap();
    t.ok(&["import", file.to_str().unwrap()]);
    t.ok(&["refresh"]);
    let target = t.json(&["articles", "--json"]).as_array().unwrap()[0]["id"].as_u64().unwrap();
    let mut read = false;
    let mut at_snapshot = 0;
    for round in 0..ROUNDS {
        // A write, so that the refresh's open finds the log grown and writes a snapshot.
        read = !read;
        t.ok(&["mark", if read { "read" } else { "unread" }, &target.to_string()]);
        let created = Created::watch(&t.data_dir());
        let mut child = t.command().arg("refresh").spawn().unwrap();
        if created.wait_for(".generating", &mut child) {
            at_snapshot += 1;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let check = t.output(&["check"]);
        assert!(
            check.status.success(),
            "round {round}: integrity check failed:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let (now_read, _) = read_and_starred(&t);
        assert_eq!(now_read.contains(&target), read, "round {round}: the flag written before the kill");
    }
    println!("{at_snapshot} of {ROUNDS} SIGKILLs landed as sled created its snapshot");
    assert!(at_snapshot >= 1, "sled never wrote a snapshot at a refresh's open");
}

/// Items in the big feed: enough for many chunks of the store's chunked merge (500 articles
/// each), few enough for a debug build to store them in a few seconds.
const BIG_ITEMS: usize = 8_000;
const BIG_KILLS: u64 = 8;

/// A big RSS file, as `tidings add FILE` reads it.
fn big_feed(path: &std::path::Path) {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title>\
         <link>https://big.example/</link><description>d</description>\n",
    );
    for i in 0..BIG_ITEMS {
        xml.push_str(&format!(
            "<item><title>Item {i}</title><link>https://big.example/{i}</link><guid>big-{i}</guid>\
             <pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>\
             <description>&lt;p&gt;{}&lt;/p&gt;</description></item>\n",
            "lorem ipsum dolor sit amet ".repeat(12)
        ));
    }
    xml.push_str("</channel></rss>");
    std::fs::write(path, xml).unwrap();
}

/// The feed's stored article count (its counter; `check` verifies it against the records).
fn big_total(t: &Tidings) -> u64 {
    t.json(&["feeds", "--json"])[0]["total"].as_u64().unwrap()
}

/// A big feed's first refresh is written in chunks (sled holds a transaction's writes in
/// memory), yet stays all or nothing: killed at any moment, the database passes the check
/// and holds none or all of the feed's articles.
#[test]
fn sigkill_during_the_first_refresh_of_a_big_feed_stores_none_or_all() {
    let files = tempfile::tempdir().unwrap();
    let feed = files.path().join("big.xml");
    big_feed(&feed);
    let feed = feed.to_str().unwrap();
    // How long an uninterrupted first refresh takes here, to spread the kills over it.
    let t = Tidings::new();
    t.ok(&["add", "--no-fetch", feed]);
    let started = std::time::Instant::now();
    t.ok(&["refresh"]);
    let full = started.elapsed().as_millis() as u64;
    assert_eq!(big_total(&t), BIG_ITEMS as u64);
    let mut none_after_kill = 0;
    let mut rolled_back = 0;
    for round in 0..BIG_KILLS {
        let t = Tidings::new();
        t.ok(&["add", "--no-fetch", feed]);
        let mut child = t.command().arg("refresh").spawn().unwrap();
        // From the start to just past the end of an uninterrupted refresh.
        std::thread::sleep(Duration::from_millis(full * (round + 1) / BIG_KILLS));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let check = t.output(&["check"]);
        assert!(
            check.status.success(),
            "round {round}: integrity check failed:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let total = big_total(&t);
        assert!(
            total == 0 || total == BIG_ITEMS as u64,
            "round {round}: {total} of {BIG_ITEMS} articles stored"
        );
        none_after_kill += usize::from(total == 0);
        // `check`'s open rolled back the chunks a kill cut off (it says so in the log).
        rolled_back += usize::from(log_mentions(&t.dir.path().join("state"), "rolling back an update"));
        // The next refresh stores every article, once.
        t.ok(&["refresh"]);
        assert_eq!(big_total(&t), BIG_ITEMS as u64, "round {round}");
        assert!(t.ok(&["check"]).contains("database is consistent"));
    }
    println!(
        "{none_after_kill} of {BIG_KILLS} kills left the feed empty, {rolled_back} of them after writing \
         chunks (an uninterrupted refresh: {full} ms)"
    );
    // Where the kills land depends on the machine's speed and load, so it is reported, not
    // asserted; the rollback of cut-off chunks is proven step by step in `store::chunked`.
}

/// Whether a log file under `dir` holds `text`.
fn log_mentions(dir: &std::path::Path, text: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            log_mentions(&path, text)
        } else {
            std::fs::read_to_string(&path).is_ok_and(|s| s.contains(text))
        }
    })
}

/// Copies a data dir (of a process that exited) to another.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Feed titles and article count, as the user sees them.
fn feeds_and_articles(t: &Tidings) -> (Vec<String>, usize) {
    let feeds = t.json(&["feeds", "--json"]);
    let titles =
        feeds.as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap_or("").to_owned()).collect();
    (titles, t.json(&["articles", "--json"]).as_array().unwrap().len())
}

/// A big feed is removed in chunks (sled holds a transaction's writes in memory), yet stays
/// all or nothing for the user: killed at any moment of `tidings remove`, the database passes
/// the check and shows the feed with all its articles or none of it, and the next open
/// finishes a removal the kill cut off.
#[test]
fn sigkill_during_the_removal_of_a_big_feed_removes_none_or_all() {
    const SMALL: usize = 10;
    const ROUNDS: u64 = 5;
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("big.xml");
    big_feed(&big);
    let small = files.path().join("small.xml");
    std::fs::write(&small, rss_feed("Small", SMALL, 0)).unwrap();
    // One refresh, copied for each round.
    let template = Tidings::new();
    template.ok(&["add", "--no-fetch", big.to_str().unwrap()]);
    template.ok(&["add", "--no-fetch", small.to_str().unwrap()]);
    template.ok(&["refresh"]);
    let big_id = template.json(&["feeds", "--json"])[0]["id"].as_u64().unwrap().to_string();
    let fresh = || {
        let t = Tidings::new();
        copy_dir(&template.data_dir(), &t.data_dir());
        t
    };
    assert_eq!(feeds_and_articles(&template).1, BIG_ITEMS + SMALL);
    // How long an uninterrupted removal takes here, to spread the kills over it.
    let t = fresh();
    let started = std::time::Instant::now();
    t.ok(&["remove", &big_id]);
    let full = started.elapsed().as_millis() as u64;
    assert_eq!(feeds_and_articles(&t), (vec!["Small".to_owned()], SMALL));
    let mut finished = 0;
    for round in 0..ROUNDS {
        let t = fresh();
        let mut child = t.command().args(["remove", &big_id]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(full * (round + 1) / ROUNDS));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let check = t.output(&["check"]);
        assert!(
            check.status.success(),
            "round {round}: integrity check failed:\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let (titles, articles) = feeds_and_articles(&t);
        assert!(
            (titles.len(), articles) == (2, BIG_ITEMS + SMALL)
                || (titles, articles) == (vec!["Small".to_owned()], SMALL),
            "round {round}: {articles} articles stored"
        );
        finished += usize::from(log_mentions(&t.dir.path().join("state"), "finishing its removal"));
        assert!(t.ok(&["check"]).contains("database is consistent"));
    }
    // Where the kills land depends on the machine's speed, so this is reported, not asserted:
    // finishing a cut-off removal is proven step by step in src/store/removal.rs's tests.
    println!("{finished} of {ROUNDS} kills cut a removal off after its first step (an uninterrupted removal: {full} ms)");
}

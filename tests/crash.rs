//! `kill -9` during `tidings refresh`, many times: the database must open, pass the integrity
//! check, and keep every flag written before the kill.

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
        std::thread::sleep(Duration::from_millis(next() % 600));
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
    println!("{killed_mid_run} of {KILLS} SIGKILLs landed mid-refresh (seed {seed})");
    // How many land mid-run depends on the machine's speed and load (a loaded CI machine saw
    // 9 of 50): the test needs some, not a share.
    assert!(killed_mid_run >= 1, "no kill landed mid-refresh");
    // And after all that, a full refresh still works and the total is exact.
    t.ok(&["refresh"]);
    assert_eq!(t.json(&["articles", "--json"]).as_array().unwrap().len(), FEEDS * ITEMS);
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

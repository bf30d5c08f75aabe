//! Two-way sync with a real Fever server (coldsweat), through the real binary.
//!
//! Skipped, with a line that says how to run them, where coldsweat is not installed
//! (scripts/sync-servers.sh installs it; `.ci/run` does, and makes a missing one a failure).

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::cli::Tidings;
use common::coldsweat::{self, Coldsweat, EMAIL, PASSWORD};
use common::server::{Response, TestServer};

/// Two feeds on a loopback server (5 and 3 items), subscribed on a fresh coldsweat.
fn setup() -> Option<(TestServer, Coldsweat)> {
    setup_with(5, 3)
}

fn setup_with(alpha: u32, beta: u32) -> Option<(TestServer, Coldsweat)> {
    let binary = coldsweat::binary()?;
    let web = TestServer::start();
    let base = web.url("");
    let base = base.trim_end_matches('/');
    web.route("/icon.png", Response::ok(vec![0u8; 16]).content_type("image/png"));
    web.route(
        "/alpha.xml",
        Response::ok(coldsweat::feed(base, "alpha", 1..=alpha)).content_type("application/rss+xml"),
    );
    web.route(
        "/beta.xml",
        Response::ok(coldsweat::feed(base, "beta", 1..=beta)).content_type("application/rss+xml"),
    );
    let server = Coldsweat::start(binary, &[(web.url("/alpha.xml"), "Tech"), (web.url("/beta.xml"), "News")]);
    Some((web, server))
}

fn add_account(t: &Tidings, server: &Coldsweat) {
    let out = t
        .command()
        .args(["sync", "add", "fever", &server.endpoint(), "--user", EMAIL])
        .env("TIDINGS_SYNC_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "sync add: {}", String::from_utf8_lossy(&out.stderr));
}

fn local(t: &Tidings) -> HashMap<String, (u64, bool, bool)> {
    common::cli::articles_by_link(t)
}

/// The server's read and starred state by url.
fn remote(server: &Coldsweat) -> HashMap<String, (u64, bool, bool)> {
    let unread = server.ids("unread_item_ids");
    let saved = server.ids("saved_item_ids");
    server
        .items()
        .into_iter()
        .map(|(id, url)| (url, (id, !unread.contains(&id), saved.contains(&id))))
        .collect()
}

/// The flags only, by url, for comparing both sides.
fn flags(m: &HashMap<String, (u64, bool, bool)>) -> HashMap<String, (bool, bool)> {
    m.iter().map(|(u, (_, r, s))| (u.clone(), (*r, *s))).collect()
}

#[test]
fn fever_sync_brings_feeds_items_and_flags_and_carries_flags_both_ways() {
    let Some((web, server)) = setup() else { return };
    let items = server.items();
    assert_eq!(items.len(), 8, "coldsweat fetched both feeds");
    let id_of: HashMap<String, u64> = items.iter().map(|(id, u)| (u.clone(), *id)).collect();
    let url = |feed: &str, i: u32| web.url(&format!("/{feed}/{i}"));
    // Flags set on the server before the first sync.
    server.mark(id_of[&url("alpha", 1)], "read");
    server.mark(id_of[&url("beta", 2)], "saved");

    let t = Tidings::new();
    add_account(&t, &server);
    let status = t.json(&["sync", "status", "--json"]);
    assert_eq!(status["kind"], "fever");
    assert_eq!(status["queued"], 0);
    let out = t.ok(&["refresh"]);
    assert!(out.contains("2 feeds added, 8 new articles"), "with no local feed, a refresh syncs: {out}");

    // Feeds with their groups as tags, every item, the server's flags.
    let feeds = t.json(&["feeds", "--json"]);
    let mut tags: Vec<(String, String)> = feeds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["title"].as_str().unwrap().to_owned(), f["tags"][0].as_str().unwrap().to_owned()))
        .collect();
    tags.sort();
    assert_eq!(tags, [("alpha".to_owned(), "Tech".to_owned()), ("beta".to_owned(), "News".to_owned())]);
    let here = local(&t);
    assert_eq!(here.len(), 8);
    assert_eq!(flags(&here), flags(&remote(&server)));
    assert!(here[&url("alpha", 1)].1 && here[&url("beta", 2)].2);
    assert_eq!(t.ok(&["unread"]).trim(), "7");

    // Changes made here reach the server.
    let a = |feed, i| here[&url(feed, i)].0.to_string();
    t.ok(&["mark", "read", &a("alpha", 2), &a("alpha", 3), &a("beta", 1)]);
    t.ok(&["mark", "unread", &a("alpha", 1)]);
    t.ok(&["mark", "star", &a("alpha", 5)]);
    t.ok(&["mark", "unstar", &a("beta", 2)]);
    assert_eq!(t.json(&["sync", "status", "--json"])["queued"], 6);
    let out = t.ok(&["sync"]);
    assert!(out.contains("6 changes sent, 0 queued"), "{out}");
    let there = remote(&server);
    assert_eq!(flags(&local(&t)), flags(&there));
    assert!(there[&url("alpha", 2)].1 && !there[&url("alpha", 1)].1 && there[&url("alpha", 5)].2);
    assert!(!there[&url("beta", 2)].2);

    // Changes made on the server arrive here, and are not sent back.
    server.mark(id_of[&url("alpha", 4)], "read");
    server.mark(id_of[&url("alpha", 2)], "unread");
    server.mark(id_of[&url("beta", 3)], "saved");
    let out = t.ok(&["sync"]);
    assert!(out.contains("3 flags changed by the server, 0 changes sent"), "{out}");
    assert_eq!(flags(&local(&t)), flags(&remote(&server)));

    // New items on the server: only they come, nothing is doubled.
    web.route(
        "/alpha.xml",
        Response::ok(coldsweat::feed(web.url("").trim_end_matches('/'), "alpha", 1..=7))
            .content_type("application/rss+xml"),
    );
    server.fetch();
    let out = t.ok(&["sync"]);
    assert!(out.contains("2 new articles"), "{out}");
    assert_eq!(local(&t).len(), 10);
    assert_eq!(t.json(&["articles", "--json", "--all"]).as_array().unwrap().len(), 10);
}

#[test]
fn fever_changes_made_while_the_server_is_down_wait_and_arrive_once_it_is_back() {
    let Some((web, mut server)) = setup() else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    server.stop();
    let here = local(&t);
    let ids: Vec<String> = here.values().map(|(id, _, _)| id.to_string()).take(4).collect();
    let mut args = vec!["mark", "read"];
    args.extend(ids.iter().map(String::as_str));
    t.ok(&args);

    let out = t.output(&["sync"]);
    assert!(!out.status.success(), "a sync that could not reach the server fails");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the sync server"), "{err}");
    let status = t.json(&["sync", "status", "--json"]);
    assert_eq!(status["queued"], 4);
    assert!(status["last_error"].as_str().unwrap().contains("cannot reach"), "{status}");
    // A refresh meanwhile still works, and says the sync failed.
    let out = t.output(&["refresh"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync failed"));

    server.run();
    let out = t.ok(&["sync"]);
    assert!(out.contains("4 changes sent, 0 queued"), "{out}");
    assert_eq!(flags(&local(&t)), flags(&remote(&server)));
    assert!(t.json(&["sync", "status", "--json"])["last_error"].is_null());
    drop(web);
}

#[test]
fn fever_a_sync_killed_at_any_moment_loses_no_change_and_the_next_one_delivers_them() {
    // 60 articles: a round queues 120 changes, a push long enough to be caught in the middle.
    let Some((_web, server)) = setup_with(40, 20) else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    let ids: Vec<String> = local(&t).values().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(ids.len(), 60);
    let queued = || t.json(&["sync", "status", "--json"])["queued"].as_u64().unwrap();
    let mut kills_mid_push = 0;
    for round in 0..6u64 {
        // Flip every flag, so each round queues a change per article and flag.
        let (read, star) = if round % 2 == 0 { ("read", "star") } else { ("unread", "unstar") };
        for mark in [read, star] {
            let mut args = vec!["mark", mark];
            args.extend(ids.iter().map(String::as_str));
            t.ok(&args);
        }
        let before = queued();
        assert_eq!(before, 120, "round {round}");
        let mut child = t.command().arg("sync").stdout(std::process::Stdio::null()).spawn().unwrap();
        if round % 3 == 2 {
            // Early: while it starts, logs in or pulls nothing yet.
            std::thread::sleep(Duration::from_millis(round * 10));
        } else {
            // In the middle of the push: once the server has acknowledged some changes
            // (`sync status` asks the syncing process itself, which holds the store).
            while child.try_wait().unwrap().is_none() && queued() == before {}
        }
        let _ = child.kill();
        let killed = child.wait().unwrap().code().is_none();
        let left = queued();
        if killed && left > 0 && left < before {
            kills_mid_push += 1;
        }
        // Whatever the kill interrupted, the next sync makes both sides agree.
        t.ok(&["sync"]);
        assert_eq!(queued(), 0, "round {round}");
        assert_eq!(flags(&local(&t)), flags(&remote(&server)), "round {round}");
        let want = round % 2 == 0;
        assert!(local(&t).values().all(|(_, r, s)| *r == want && *s == want), "round {round}");
    }
    assert!(kills_mid_push >= 1, "no kill landed in the middle of a push");
}

#[test]
fn fever_refresh_syncs_and_never_fetches_a_synced_feed_itself() {
    let Some((web, server)) = setup() else { return };
    let t = Tidings::new();
    // A local feed beside the synced ones.
    web.route(
        "/local.xml",
        Response::ok(common::cli::rss_feed("Local", 2, 2)).content_type("application/rss+xml"),
    );
    t.ok(&["add", &web.url("/local.xml")]);
    add_account(&t, &server);
    let hits_before = (web.hits("/alpha.xml"), web.hits("/beta.xml"));
    let out = t.output(&["refresh"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 feeds added, 8 new articles"), "{stdout}");
    t.ok(&["refresh"]);
    assert_eq!((web.hits("/alpha.xml"), web.hits("/beta.xml")), hits_before, "only coldsweat fetches them");
    assert_eq!(web.hits("/local.xml"), 3, "the local feed: add, then two refreshes");
    assert_eq!(local(&t).len(), 10);
    let synced: HashMap<String, bool> = t
        .json(&["feeds", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["title"].as_str().unwrap().to_owned(), f["synced"].as_bool().unwrap()))
        .collect();
    assert_eq!(synced.len(), 3, "{synced:?}");
    assert!(synced["alpha"] && synced["beta"] && !synced["Local"], "{synced:?}");
    assert_eq!(t.ok(&["feeds"]).lines().filter(|l| l.ends_with("synced")).count(), 2);
}

#[test]
fn fever_a_wrong_password_is_refused_and_nothing_is_kept() {
    let Some((_web, server)) = setup() else { return };
    let t = Tidings::new();
    let out = t
        .command()
        .args(["sync", "add", "fever", &server.endpoint(), "--user", EMAIL])
        .env("TIDINGS_SYNC_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(t.json(&["sync", "status", "--json"]).is_null());
    assert!(!t.data_dir().join("sync.secret").exists());
    // The password from a command, run without a shell.
    let out = t
        .command()
        .args(["sync", "add", "fever", &server.endpoint(), "--user", EMAIL, "--password-command"])
        .arg(format!("printf '%s\\n' '{PASSWORD}'"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = std::fs::read_to_string(t.data_dir().join("sync.secret")).unwrap();
    assert!(!secret.contains(PASSWORD), "the password itself is never stored");
    // Removing the account keeps what was synced.
    t.ok(&["sync"]);
    t.ok(&["sync", "remove"]);
    assert!(t.json(&["sync", "status", "--json"]).is_null());
    assert_eq!(local(&t).len(), 8);
    assert!(!t.data_dir().join("sync.secret").exists());
}

#[test]
fn fever_the_reader_syncs_when_it_opens_a_cli_sync_goes_through_it_and_big_r_syncs() {
    let Some((web, server)) = setup() else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    let mut screen = common::pty::Screen::spawn(&t);
    // The reader holds the store (and serves it) once its socket exists.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !t.data_dir().join("tidings.sock").exists() {
        assert!(std::time::Instant::now() < deadline, "the reader never served the store");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The reader syncs by itself a second after it opens.
    screen.wait_for(&["~alpha", "~beta", "8 unread"]);
    // A sync from another terminal goes through the reader (which holds the store), and the
    // reader says what it brought.
    let id_of: HashMap<String, u64> = server.items().into_iter().map(|(id, u)| (u, id)).collect();
    server.mark(id_of[&web.url("/beta/2")], "read");
    let out = t.ok(&["sync"]);
    assert!(out.contains("synced in"), "{out}");
    screen.wait_for(&["synced: 0 new, 0 sent, 1 from the server", "7 unread"]);

    // Read one in the reader: the server hears of it a few seconds later, with no key.
    screen.keys("\r");
    screen.keys("\r");
    screen.wait_for(&["6 unread"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while flags(&local(&t)) != flags(&remote(&server)) {
        assert!(std::time::Instant::now() < deadline, "the read never reached the server");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Read one and change one on the server; R pushes, pulls and shows it.
    screen.keys("n");
    server.mark(id_of[&web.url("/beta/1")], "read");
    screen.keys("R");
    screen.wait_for(&["synced: 0 new, 1 sent, 1 from the server", "4 unread"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(flags(&local(&t)), flags(&remote(&server)));
    assert_eq!(t.ok(&["unread"]).trim(), "4");
}

//! Two-way sync with a real Tiny Tiny RSS (Debian's tt-rss 21 on PostgreSQL), through the
//! real binary.
//!
//! Skipped, with a line that says how to run them, where TT-RSS is not installed
//! (scripts/sync-servers.sh installs it as root; `.ci/run` does, and makes a missing one a
//! failure).

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::cli::Tidings;
use common::ttrss::{
    self, FeedHost, TtRss, FIELD_STARRED, FIELD_UNREAD, MODE_FALSE, MODE_TRUE, PASSWORD, USER,
};

struct Setup {
    host: FeedHost,
    server: TtRss,
    /// Server feed ids of alpha and beta.
    feeds: (u64, u64),
}

/// Two feeds on [::1]:80 (`alpha` with `a` items in "Tech", `beta` with `b` in "News"),
/// subscribed and fetched on a fresh TT-RSS.
fn setup(a: u32, b: u32) -> Option<Setup> {
    ttrss::available()?;
    let host = FeedHost::start();
    let base = host.url("");
    let alpha = host.serve_rss("/alpha.xml", &ttrss::feed(&base, "alpha", 1..=a));
    let beta = host.serve_rss("/beta.xml", &ttrss::feed(&base, "beta", 1..=b));
    let server = TtRss::start();
    let feeds = (server.subscribe(&alpha, Some("Tech")), server.subscribe(&beta, Some("News")));
    Some(Setup { host, server, feeds })
}

fn add_account(t: &Tidings, server: &TtRss) {
    let out = t
        .command()
        .args(["sync", "add", "ttrss", &server.endpoint(), "--user", USER])
        .env("TIDINGS_SYNC_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "sync add: {}", String::from_utf8_lossy(&out.stderr));
}

fn local(t: &Tidings) -> HashMap<String, (u64, bool, bool)> {
    common::cli::articles_by_link(t)
}

/// url -> (read, starred) on the server.
fn remote(server: &TtRss) -> HashMap<String, (bool, bool)> {
    server.headlines("all_articles").into_iter().map(|h| (h.link, (!h.unread, h.starred))).collect()
}

fn flags(m: &HashMap<String, (u64, bool, bool)>) -> HashMap<String, (bool, bool)> {
    m.iter().map(|(u, (_, r, s))| (u.clone(), (*r, *s))).collect()
}

/// The server's article id by link.
fn server_ids(server: &TtRss) -> HashMap<String, u64> {
    server.all().into_iter().map(|(id, link)| (link, id)).collect()
}

#[test]
fn ttrss_sync_brings_feeds_items_and_flags_and_carries_flags_both_ways() {
    let Some(Setup { host, server, feeds }) = setup(5, 3) else { return };
    let url = |feed: &str, i: u32| host.url(&format!("/{feed}/{i}"));
    let ids = server_ids(&server);
    assert_eq!(ids.len(), 8);
    server.set_flag(&[ids[&url("alpha", 1)]], FIELD_UNREAD, MODE_FALSE);
    server.set_flag(&[ids[&url("beta", 2)]], FIELD_STARRED, MODE_TRUE);

    let t = Tidings::new();
    add_account(&t, &server);
    assert_eq!(t.json(&["sync", "status", "--json"])["kind"], "ttrss");
    let out = t.ok(&["sync"]);
    assert!(out.contains("2 feeds added, 8 new articles"), "{out}");
    let mut tags: Vec<(String, String, bool)> = t
        .json(&["feeds", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["title"].as_str().unwrap().to_owned(),
                f["tags"][0].as_str().unwrap_or("").to_owned(),
                f["synced"].as_bool().unwrap(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(tags, [("alpha".into(), "Tech".into(), true), ("beta".into(), "News".into(), true)]);
    let here = local(&t);
    assert_eq!(here.len(), 8);
    assert_eq!(flags(&here), remote(&server));
    assert!(here[&url("alpha", 1)].1 && here[&url("beta", 2)].2);

    // Changes made here reach the server, in batches.
    let a = |feed, i| here[&url(feed, i)].0.to_string();
    t.ok(&["mark", "read", &a("alpha", 2), &a("alpha", 3), &a("beta", 1)]);
    t.ok(&["mark", "unread", &a("alpha", 1)]);
    t.ok(&["mark", "star", &a("alpha", 5)]);
    t.ok(&["mark", "unstar", &a("beta", 2)]);
    let out = t.ok(&["sync"]);
    assert!(out.contains("6 changes sent, 0 queued"), "{out}");
    let there = remote(&server);
    assert_eq!(flags(&local(&t)), there);
    assert!(there[&url("alpha", 2)].0 && !there[&url("alpha", 1)].0 && there[&url("alpha", 5)].1);

    // Changes made on the server arrive here, and are not sent back.
    server.set_flag(&[ids[&url("alpha", 4)]], FIELD_UNREAD, MODE_FALSE);
    server.set_flag(&[ids[&url("beta", 3)]], FIELD_STARRED, MODE_TRUE);
    let out = t.ok(&["sync"]);
    assert!(out.contains("2 flags changed by the server, 0 changes sent"), "{out}");
    assert_eq!(flags(&local(&t)), remote(&server));
    // A read and an unread in one feed leave its unread count as it was: `--full` (or the
    // hourly full comparison) finds them.
    server.set_flag(&[ids[&url("alpha", 5)]], FIELD_UNREAD, MODE_FALSE);
    server.set_flag(&[ids[&url("alpha", 2)]], FIELD_UNREAD, MODE_TRUE);
    let out = t.ok(&["sync", "--full"]);
    assert!(out.contains("2 flags changed by the server, 0 changes sent"), "{out}");
    assert_eq!(flags(&local(&t)), remote(&server));

    // New items on the server: only they come.
    host.serve_rss("/alpha.xml", &ttrss::feed(&host.url(""), "alpha", 1..=7));
    server.update_feed(feeds.0);
    let out = t.ok(&["sync"]);
    assert!(out.contains("2 new articles"), "{out}");
    assert_eq!(local(&t).len(), 10);
    assert_eq!(flags(&local(&t)), remote(&server));
}

#[test]
fn ttrss_nothing_changed_costs_a_few_requests_and_changes_nothing() {
    let Some(Setup { server, .. }) = setup(30, 30) else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    let before = local(&t);
    let out = t.ok(&["sync"]);
    assert!(out.contains("0 new articles, 0 flags changed by the server, 0 changes sent"), "{out}");
    assert_eq!(local(&t), before);
}

#[test]
fn ttrss_changes_made_while_the_server_is_down_wait_and_arrive_once_it_is_back() {
    let Some(Setup { mut server, .. }) = setup(5, 3) else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    server.stop();
    let ids: Vec<String> = local(&t).values().map(|(id, _, _)| id.to_string()).take(4).collect();
    let mut args = vec!["mark", "star"];
    args.extend(ids.iter().map(String::as_str));
    t.ok(&args);
    let out = t.output(&["sync"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the sync server"));
    assert_eq!(t.json(&["sync", "status", "--json"])["queued"], 4);
    server.run();
    let out = t.ok(&["sync"]);
    assert!(out.contains("4 changes sent, 0 queued"), "{out}");
    assert_eq!(flags(&local(&t)), remote(&server));
    assert_eq!(server.starred().len(), 4);
}

#[test]
fn ttrss_a_sync_killed_at_any_moment_loses_no_change() {
    let Some(Setup { server, .. }) = setup(40, 20) else { return };
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    let ids: Vec<String> = local(&t).values().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(ids.len(), 60);
    for round in 0..6u64 {
        let (read, star) = if round % 2 == 0 { ("read", "star") } else { ("unread", "unstar") };
        for mark in [read, star] {
            let mut args = vec!["mark", mark];
            args.extend(ids.iter().map(String::as_str));
            t.ok(&args);
        }
        let mut child = t.command().arg("sync").stdout(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(15 + round * 30));
        let _ = child.kill();
        let _ = child.wait();
        t.ok(&["sync"]);
        assert_eq!(t.json(&["sync", "status", "--json"])["queued"], 0, "round {round}");
        assert_eq!(flags(&local(&t)), remote(&server), "round {round}");
        let want = round % 2 == 0;
        assert!(local(&t).values().all(|(_, r, s)| *r == want && *s == want), "round {round}");
    }
}

#[test]
fn ttrss_add_and_remove_here_subscribe_and_unsubscribe_on_the_server_without_doubles() {
    let Some(Setup { host, server, .. }) = setup(2, 2) else { return };
    let gamma = host.serve_rss("/gamma.xml", &ttrss::feed(&host.url(""), "gamma", 1..=3));
    let t = Tidings::new();
    add_account(&t, &server);
    t.ok(&["sync"]);
    // Added here: fetched here first, subscribed on the server too.
    let out = t.ok(&["add", &gamma]);
    assert!(out.contains("subscribed on the sync server too"), "{out}");
    assert_eq!(local(&t).len(), 7);
    let on_server = server.call(serde_json::json!({"op": "getFeeds", "cat_id": -3}));
    let gamma_id = on_server
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed_url"].as_str() == Some(gamma.as_str()))
        .map(|f| f["id"].as_u64().unwrap())
        .expect("gamma subscribed on the server");
    server.update_feed(gamma_id);
    // The next sync links it: its three articles are the server's three items, not six.
    t.ok(&["sync"]);
    assert_eq!(local(&t).len(), 7);
    let synced = t.json(&["feeds", "--json"]);
    let gamma_row = synced.as_array().unwrap().iter().find(|f| f["url"] == gamma.as_str()).unwrap().clone();
    assert_eq!(gamma_row["synced"], true, "{gamma_row}");
    // Read here, it is read on the server.
    let g1 = local(&t)[&host.url("/gamma/1")].0.to_string();
    t.ok(&["mark", "read", &g1]);
    t.ok(&["sync"]);
    assert!(remote(&server)[&host.url("/gamma/1")].0);

    // Removed here: unsubscribed there, and not brought back.
    let out = t.output(&["remove", gamma_row["id"].to_string().as_str()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsubscribed on the sync server too"));
    let on_server = server.call(serde_json::json!({"op": "getFeeds", "cat_id": -3}));
    assert!(on_server.as_array().unwrap().iter().all(|f| f["feed_url"].as_str() != Some(gamma.as_str())));
    t.ok(&["sync"]);
    assert_eq!(t.json(&["feeds", "--json"]).as_array().unwrap().len(), 2);
}

#[test]
fn ttrss_a_wrong_password_is_refused_and_a_password_command_is_kept_instead_of_the_password() {
    let Some(Setup { server, .. }) = setup(1, 1) else { return };
    let t = Tidings::new();
    let out = t
        .command()
        .args(["sync", "add", "ttrss", &server.endpoint(), "--user", USER])
        .env("TIDINGS_SYNC_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the credentials"));
    assert!(t.json(&["sync", "status", "--json"]).is_null());
    let script = t.dir.path().join("pw.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho '{PASSWORD}'\n")).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o700,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    t.ok(&[
        "sync",
        "add",
        "ttrss",
        &server.endpoint(),
        "--user",
        USER,
        "--password-command",
        script.to_str().unwrap(),
    ]);
    let secret = std::fs::read_to_string(t.data_dir().join("sync.secret")).unwrap();
    assert!(!secret.contains(PASSWORD), "the command is kept, not what it prints");
    assert!(t.ok(&["sync"]).contains("2 new articles"));
}

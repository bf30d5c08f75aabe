//! The TT-RSS test harness (tests/common/ttrss.rs) against the real server: a feed served on
//! [::1]:80 is subscribed, fetched, listed with its links, and flags set through the API read
//! back. Skipped, with a line that says how to run it, where TT-RSS is not installed
//! (scripts/sync-servers.sh installs it as root).

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::collections::BTreeMap;

use common::ttrss::{self, FeedHost, TtRss, FIELD_STARRED, FIELD_UNREAD, MODE_FALSE, MODE_TRUE};

#[test]
fn subscribes_fetches_and_flags_articles() {
    if ttrss::available().is_none() {
        return;
    }
    let host = FeedHost::start();
    let url = host.serve_rss("/alpha.xml", &ttrss::feed(&host.url(""), "alpha", 1..=3));
    let server = TtRss::start();

    let feed = server.subscribe(&url, Some("Tech"));
    assert!(host.hits("/alpha.xml") >= 1, "TT-RSS never fetched the feed");
    let headlines = server.headlines("all_articles");
    let links: BTreeMap<String, u64> = headlines.iter().map(|h| (h.link.clone(), h.id)).collect();
    let want: Vec<String> = (1..=3).map(|i| format!("http://[::1]/alpha/{i}")).collect();
    assert_eq!(links.keys().cloned().collect::<Vec<_>>(), want, "{headlines:?}");
    assert!(headlines.iter().all(|h| h.feed_id == feed && h.unread && !h.starred), "{headlines:?}");
    // The category was made and the feed is in it.
    let feeds = server.call(serde_json::json!({"op": "getFeeds", "cat_id": server.category("Tech")}));
    assert_eq!(feeds[0]["id"], feed, "{feeds}");

    let first = links[&want[0]];
    let second = links[&want[1]];
    assert_eq!(server.set_flag(&[first], FIELD_UNREAD, MODE_FALSE), 1);
    assert_eq!(server.set_flag(&[second], FIELD_STARRED, MODE_TRUE), 1);

    let unread: Vec<u64> = server.unread().into_keys().collect();
    let mut expected_unread = vec![second, links[&want[2]]];
    expected_unread.sort();
    assert_eq!(unread, expected_unread);
    assert_eq!(server.starred(), BTreeMap::from([(second, want[1].clone())]));

    // The flags are kept in the database across a restart of php.
    let mut server = server;
    server.stop();
    server.run();
    assert_eq!(server.starred().into_keys().collect::<Vec<_>>(), vec![second]);
    assert!(!server.unread().contains_key(&first));
}

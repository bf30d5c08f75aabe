//! Hostile and outsized input, end to end: entity bombs, external entities, a 10,000-item feed,
//! a 5 MB article, and hanging servers that must not hold the others up.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::{opml, rss_feed, Tidings};
use common::server::{Response, TestServer};
use tidings::parse::parse_feed;

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><link>https://example.org/</link><description>d</description>
<item><title>Laughing &lol9;</title><guid>1</guid><description>&lol9;</description></item>
</channel></rss>"#;

#[test]
fn entity_expansion_is_inert() {
    // Whatever the parser makes of it, nothing is expanded a billion times: the text stays
    // small, and it returns (the test would run out of memory or time otherwise).
    match parse_feed(BILLION_LAUGHS.as_bytes(), None, "https://example.org/feed") {
        Ok(feed) => {
            let size: usize = feed.title.len()
                + feed.articles.iter().map(|a| a.title.len() + a.content_html.len()).sum::<usize>();
            assert!(size < 10_000, "entities were expanded: {size} bytes");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[test]
fn external_entities_are_never_read() {
    let secret_dir = tempfile::tempdir().expect("tempdir");
    let secret = secret_dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").expect("write the secret");
    let xml = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{}">]>
<rss version="2.0"><channel><title>t &xxe;</title><link>https://example.org/</link><description>d</description>
<item><title>i &xxe;</title><guid>1</guid><description>&xxe;</description></item></channel></rss>"#,
        secret.display()
    );
    if let Ok(feed) = parse_feed(xml.as_bytes(), None, "https://example.org/feed") {
        let all = format!("{feed:?}");
        assert!(!all.contains("TOP-SECRET"), "an external entity was read: {all}");
    }
}

#[test]
fn a_ten_thousand_item_feed_and_a_five_megabyte_article_work() {
    let t = Tidings::new();
    let big = t.dir.path().join("big.xml");
    std::fs::write(&big, rss_feed("many", 10_000, 1)).expect("write");
    let huge_body = format!("<p>{}</p>", "All work and no play makes a long article. ".repeat(120_000));
    assert!(huge_body.len() > 5_000_000);
    let long = t.dir.path().join("long.xml");
    let escaped = huge_body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    std::fs::write(
        &long,
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>long</title>\
             <link>https://example.org/</link><description>d</description><item><title>The long one</title>\
             <guid>long-1</guid><description>{escaped}</description></item></channel></rss>"
        ),
    )
    .expect("write");
    // The default body cap (16 MiB) lets a 6 MB document through.
    t.ok(&["add", big.to_str().expect("utf-8")]);
    t.ok(&["add", long.to_str().expect("utf-8")]);
    assert_eq!(t.ok(&["unread"]).trim(), "10001");
    let json = t.json(&["articles", "--json", "--feed", "1"]);
    assert_eq!(json.as_array().map(Vec::len), Some(10_000));
    let long_id = t.json(&["articles", "--json", "--feed", "2"])[0]["id"].as_u64().expect("id");
    let shown = t.ok(&["show", &long_id.to_string()]);
    assert!(shown.contains("The long one") && shown.contains("All work and no play"));
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

#[test]
fn hanging_servers_wait_side_by_side_not_one_after_another() {
    let good = TestServer::start();
    let bad = TestServer::start();
    let mut urls = Vec::new();
    for i in 0..50 {
        good.route(&format!("/f{i}.xml"), Response::ok(rss_feed(&format!("f{i}"), 2, 1)));
        urls.push(good.url(&format!("/f{i}.xml")));
    }
    for i in 0..5 {
        bad.route(&format!("/hang{i}.xml"), Response::hang());
        urls.push(bad.url(&format!("/hang{i}.xml")));
    }
    // per_host above 5 so the five hanging feeds of one test server may overlap, as five
    // hanging hosts would.
    let t = Tidings::with_config("[fetch]\ntimeout_secs = 2\nconnect_timeout_secs = 1\nper_host = 8\n");
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, opml(&urls)).expect("write");
    t.ok(&["import", file.to_str().expect("utf-8")]);
    let out = t.ok(&["refresh"]);
    assert!(out.contains("50 fetched") && out.contains("5 failed"), "{out}");
    // All five were waited on at once: about one timeout in all, not five.
    assert_eq!(bad.peak_in_flight(), 5, "hanging requests did not overlap");
    assert_eq!(t.ok(&["unread"]).trim(), "100");
}

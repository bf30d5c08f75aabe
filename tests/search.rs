//! Full-text search end to end: the real binary refreshes feeds served on 127.0.0.1 (one of
//! them the Chinese seed article of the corpus) and `tidings search` finds their words; the
//! process that holds the store and a client through the socket give the same answer; an
//! update, a removed feed and a refresh killed half-way leave the index right.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::path::Path;
use std::time::Duration;

use common::cli::{corpus_feed, Tidings};
use common::server::{Response, TestServer};
use tidings::engine::{Engine, EngineOptions};
use tidings::search::SearchRequest;

/// An RSS feed of `(title, body)` items, the first the newest.
fn rss(title: &str, items: &[(&str, &str)]) -> String {
    let now = chrono::Utc::now().timestamp();
    let items: String = items
        .iter()
        .enumerate()
        .map(|(i, (title, body))| {
            let when = chrono::DateTime::from_timestamp(now - i as i64 * 3600, 0).unwrap().to_rfc2822();
            let body = body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            format!(
                "<item><title>{title}</title><guid>{title}</guid><pubDate>{when}</pubDate>\
                 <description>{body}</description></item>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://example.org/</link><description>d</description>\n{items}</channel></rss>\n"
    )
}

const ENGLISH: &[(&str, &str)] = &[
    ("Running sled in production", "<p>The borrow checker keeps <b>Crème</b> safe.</p>"),
    ("Notes on tokio", "<p>A runtime that runs tasks; check the borrow first.</p>"),
    ("Gardening", "<p>Tomatoes and basil.</p>"),
];

fn setup(server: &TestServer) -> Tidings {
    server.route(
        "/seed.xml",
        Response::ok(corpus_feed("seed-jiqizhixin-rss2.xml")).content_type("application/rss+xml"),
    );
    server.route("/en.xml", Response::ok(rss("Rust Weekly", ENGLISH)).content_type("application/rss+xml"));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/seed.xml")]);
    t.ok(&["add", &server.url("/en.xml")]);
    t.ok(&["refresh"]);
    t
}

fn titles(json: &serde_json::Value) -> Vec<String> {
    json.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()).collect()
}

fn search_titles(t: &Tidings, args: &[&str]) -> Vec<String> {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    titles(&t.json(&all))
}

#[test]
fn words_phrases_and_a_chinese_word_are_found() {
    let server = TestServer::start();
    let t = setup(&server);
    // A word from the seed article's body (not its title): found by its bigrams.
    let hits = t.json(&["search", "笔记本电脑", "--json"]);
    assert_eq!(titles(&hits), ["机器学习开发的灵药—Docker容器"], "{hits}");
    let hit = &hits[0];
    assert!(hit["snippet"].as_str().unwrap().contains("笔记本电脑"), "{hit}");
    // The objects of `articles --json`, plus the snippet.
    let listed = t.json(&["articles", "--json"]);
    let same = listed.as_array().unwrap().iter().find(|a| a["id"] == hit["id"]).unwrap();
    let mut without_snippet = hit.as_object().unwrap().clone();
    without_snippet.remove("snippet");
    assert_eq!(&serde_json::Value::Object(without_snippet), same);

    // Stemming, folding, every word must match, phrases side by side.
    // (The seed article has English words too: --feed keeps to the English feed.)
    assert_eq!(search_titles(&t, &["run", "--feed", "2"]), ["Running sled in production", "Notes on tokio"]);
    assert_eq!(search_titles(&t, &["CREME", "sled"]), ["Running sled in production"]);
    assert_eq!(search_titles(&t, &["borrow", "check"]).len(), 1, "checker is not check");
    assert_eq!(search_titles(&t, &["\"check the borrow\""]), ["Notes on tokio"]);
    // The feed's title counts, and --feed keeps to one feed.
    assert_eq!(search_titles(&t, &["weekly", "tomato"]), ["Gardening"]);
    assert_eq!(search_titles(&t, &["docker", "--feed", "2"]), Vec::<String>::new());
    assert_eq!(search_titles(&t, &["docker", "--feed", "1"]).len(), 1);

    // Plain output: `articles`' rows, each with its snippet below.
    let plain = t.ok(&["search", "tokio"]);
    let rows: Vec<&str> = plain.lines().collect();
    assert_eq!(rows.len(), 2, "{plain}");
    assert!(rows[0].contains("Notes on tokio") && rows[1].trim_start().starts_with("A runtime"), "{plain}");

    // Nothing found is not an error; nothing to look for is.
    let none = t.output(&["search", "zeppelin"]);
    assert!(none.status.success());
    assert!(none.stdout.is_empty());
    assert_eq!(String::from_utf8_lossy(&none.stderr).trim(), "no articles match");
    let bad = t.output(&["search", "--", "--- !!"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nothing to search for"), "{bad:?}");
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

#[test]
fn an_update_and_a_removed_feed_leave_no_stale_results() {
    let server = TestServer::start();
    let t = setup(&server);
    assert_eq!(search_titles(&t, &["basil"]), ["Gardening"]);
    let changed = [ENGLISH[0], ENGLISH[1], ("Gardening", "<p>Peppers and mint.</p>")];
    server.route("/en.xml", Response::ok(rss("Rust Weekly", &changed)).content_type("application/rss+xml"));
    t.ok(&["refresh"]);
    assert!(search_titles(&t, &["basil"]).is_empty(), "the old text no longer finds it");
    assert_eq!(search_titles(&t, &["mint"]), ["Gardening"]);
    t.ok(&["remove", "2"]);
    assert!(search_titles(&t, &["mint"]).is_empty());
    assert_eq!(search_titles(&t, &["docker"]).len(), 1);
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

fn options() -> EngineOptions {
    EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: Duration::from_secs(10),
        build_search_index: false,
    }
}

#[test]
fn the_holder_and_a_client_give_the_same_results() {
    let server = TestServer::start();
    let t = setup(&server);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir: &Path = &t.data_dir();
    let holder = Engine::open(dir, options(), rt.handle().clone()).unwrap();
    let client = Engine::open(dir, options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder() && !client.is_holder());
    for text in ["run", "笔记本电脑", "\"check the borrow\"", "weekly"] {
        let request = SearchRequest { text: text.into(), feed: None, limit: Some(10) };
        let here = holder.search(&request).unwrap().hits;
        assert!(!here.is_empty(), "{text}");
        assert_eq!(here, client.search(&request).unwrap().hits, "{text}: the same through the socket");
    }
    // The binary, a client of this process now, says the same.
    assert_eq!(search_titles(&t, &["weekly", "tomato"]), ["Gardening"]);
    let request = SearchRequest { text: "?!".into(), feed: None, limit: None };
    let err = client.search(&request).unwrap_err().to_string();
    assert!(err.contains("nothing to search for"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_refresh_killed_half_way_leaves_a_search_that_finds_every_article() {
    const ITEMS: usize = 3000;
    let server = TestServer::start();
    let items: Vec<(String, String)> =
        (0..ITEMS).map(|i| (format!("Item {i}"), format!("<p>common words, and word{i}</p>"))).collect();
    let refs: Vec<(&str, &str)> = items.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    server.route("/big.xml", Response::ok(rss("Big", &refs)).content_type("application/rss+xml"));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/big.xml")]);
    let mut killed_mid_run = 0;
    for round in 0..3u64 {
        let mut child = t.command().arg("refresh").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(150 + round * 200));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let stored = t.json(&["articles", "--json"]).as_array().unwrap().len();
        let found = t.json(&["search", "common", "--json", "--limit", "0"]).as_array().unwrap().len();
        assert_eq!(found, stored, "round {round}: every stored article is found");
        if stored > 0 {
            let last = format!("word{}", ITEMS - 1);
            assert_eq!(search_titles(&t, &[&last]).len(), usize::from(stored == ITEMS));
        }
        assert!(t.ok(&["check"]).contains("database is consistent"), "round {round}");
    }
    println!("{killed_mid_run} of 3 SIGKILLs landed mid-refresh");
}

#[test]
fn a_refresh_of_many_small_feeds_indexes_every_article_before_it_ends() {
    // 60 feeds of 20: more than one chunk of the index's catch-up (1,024), whose last one is
    // written by the indexer thread after the last feed's report.
    let server = TestServer::start();
    let t = Tidings::new();
    let mut urls = Vec::new();
    for f in 0..60 {
        let items: Vec<(String, String)> =
            (0..20).map(|i| (format!("Feed {f} item {i}"), format!("<p>body of f{f}i{i}</p>"))).collect();
        let refs: Vec<(&str, &str)> = items.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let path = format!("/f{f}.xml");
        server
            .route(&path, Response::ok(rss(&format!("Feed {f}"), &refs)).content_type("application/rss+xml"));
        urls.push(server.url(&path));
    }
    let subscriptions = t.dir.path().join("subs.opml");
    std::fs::write(&subscriptions, common::cli::opml(&urls)).unwrap();
    assert!(t.ok(&["import", subscriptions.to_str().unwrap()]).contains("60 added"));
    t.ok(&["search", "body"]); // the index is built (empty) before the refresh
    t.ok(&["refresh"]);
    // Read straight from the store: a search would catch the index up itself.
    let open = || tidings::store::Store::open(&t.data_dir(), &Default::default());
    let store = common::when_released(open).unwrap();
    assert_eq!(tidings::search::index::size(&store).unwrap().articles, 1200);
}

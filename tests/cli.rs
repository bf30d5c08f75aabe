//! The real `tidings` binary, driven as a user or a cron job would, against feeds served by a
//! real HTTP server on 127.0.0.1 and a real sled database in a temp dir.

mod common;

use common::cli::{corpus_feed, opml, rss_feed, Tidings};
use common::server::{Response, TestServer};

fn feeds_by_url(t: &Tidings) -> Vec<serde_json::Value> {
    t.json(&["feeds", "--json"]).as_array().cloned().unwrap_or_default()
}

#[test]
fn import_refresh_list_mark_and_refresh_again() {
    let server = TestServer::start();
    server.route(
        "/seed.xml",
        Response::ok(corpus_feed("seed-jiqizhixin-rss2.xml"))
            .content_type("application/rss+xml")
            .etag("\"s1\""),
    );
    server.route(
        "/gen.xml",
        Response::ok(rss_feed("gen", 12, 1)).content_type("application/rss+xml").etag("\"g1\""),
    );
    server.route("/gone.xml", Response::status(404));
    let t = Tidings::new();
    let urls = vec![server.url("/seed.xml"), server.url("/gen.xml"), server.url("/gone.xml")];
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, opml(&urls)).unwrap();
    let out = t.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("3 added, 0 already present, 0 skipped"), "{out}");
    let out = t.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("0 added, 3 already present"), "importing twice adds nothing: {out}");

    let run = t.output(&["refresh"]);
    assert!(run.status.success(), "a failing feed is not fatal");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("3 feeds") && stdout.contains("2 fetched") && stdout.contains("1 failed"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("404"), "the failure is reported: {stderr}");

    let feeds = feeds_by_url(&t);
    assert_eq!(feeds.len(), 3);
    let gen = feeds.iter().find(|f| f["url"] == server.url("/gen.xml")).unwrap();
    assert_eq!(gen["title"], "gen");
    assert_eq!(gen["total"], 12);
    assert_eq!(gen["unread"], 12);
    assert!(gen["last_error"].is_null());
    let gone = feeds.iter().find(|f| f["url"] == server.url("/gone.xml")).unwrap();
    assert!(gone["last_error"].as_str().unwrap().contains("404"), "{gone}");
    let seed = feeds.iter().find(|f| f["url"] == server.url("/seed.xml")).unwrap();
    assert!(seed["total"].as_u64().unwrap() >= 1);

    let articles = t.json(&["articles", "--json"]);
    let articles = articles.as_array().unwrap();
    let total: u64 = feeds.iter().map(|f| f["total"].as_u64().unwrap()).sum();
    assert_eq!(articles.len() as u64, total, "--json lists all articles, no default limit");
    let first = &articles[0];
    for field in ["id", "feed_id", "title", "link", "author", "published", "read", "starred", "images"] {
        assert!(first.get(field).is_some(), "missing {field} in {first}");
    }
    let gen_articles: Vec<&serde_json::Value> =
        articles.iter().filter(|a| a["feed_id"] == gen["id"]).collect();
    assert_eq!(gen_articles[0]["images"], 1);
    assert!(gen_articles.iter().all(|a| a["link"].as_str().unwrap().starts_with("https://example.org/gen/")));

    let unread: u64 = t.ok(&["unread"]).trim().parse().unwrap();
    assert_eq!(unread, total);
    let id = gen_articles[0]["id"].to_string();
    t.ok(&["mark", "read", &id]);
    t.ok(&["mark", "star", &id]);
    assert_eq!(t.ok(&["unread"]).trim(), (total - 1).to_string());
    let starred = t.json(&["articles", "--starred", "--json"]);
    assert_eq!(starred.as_array().unwrap().len(), 1);

    // The second refresh is conditional: the server answers 304 and nothing changes.
    let before = server.hits("/gen.xml");
    let stdout = t.ok(&["refresh"]);
    assert!(stdout.contains("2 not modified"), "{stdout}");
    assert_eq!(server.hits("/gen.xml"), before + 1);
    assert_eq!(
        t.ok(&["unread"]).trim(),
        (total - 1).to_string(),
        "a refresh never makes read articles unread"
    );

    // Updated content: same GUIDs, new bodies: updated, not new, flags kept.
    server.route(
        "/gen.xml",
        Response::ok(rss_feed("gen", 12, 2)).content_type("application/rss+xml").etag("\"g2\""),
    );
    let stdout = t.ok(&["refresh", &server.url("/gen.xml")]);
    assert!(stdout.contains("0 new and 12 updated"), "{stdout}");
    assert_eq!(t.ok(&["unread"]).trim(), (total - 1).to_string());

    let feed_id = gen["id"].to_string();
    let out = t.ok(&["mark", "read", "--all", "--feed", &feed_id]);
    assert!(out.contains("11 article(s) changed"), "{out}");
    let log = t.ok(&["log", &feed_id]);
    assert!(log.contains("304") && log.contains("200"), "{log}");
    let check = t.ok(&["check"]);
    assert!(check.contains("database is consistent"), "{check}");
    let show = t.ok(&["show", &id]);
    assert!(show.contains("Title:  gen item 8") && show.contains("Body 8 v2"), "{show}");
}

#[test]
fn opml_round_trip_keeps_feeds_titles_and_tags() {
    let t = Tidings::new();
    let file = t.dir.path().join("in.opml");
    std::fs::write(
        &file,
        r#"<?xml version="1.0"?><opml version="1.0"><head/><body>
        <outline text="Tech"><outline text="Rust blog" xmlUrl="https://blog.rust-lang.org/feed.xml"/>
          <outline text="Inner"><outline text="LWN" xmlUrl="https://lwn.net/headlines/rss"/></outline></outline>
        <outline text="Plain" xmlUrl="https://example.org/a?x=1&amp;y=2"/></body></opml>"#,
    )
    .unwrap();
    t.ok(&["import", file.to_str().unwrap()]);
    let exported = t.ok(&["export"]);
    let t2 = Tidings::new();
    let file2 = t2.dir.path().join("out.opml");
    std::fs::write(&file2, &exported).unwrap();
    t2.ok(&["import", file2.to_str().unwrap()]);
    let normalize = |v: serde_json::Value| {
        let mut rows: Vec<(String, String, Vec<String>)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let mut tags: Vec<String> =
                    f["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
                tags.sort();
                (f["url"].as_str().unwrap().to_owned(), f["title"].as_str().unwrap().to_owned(), tags)
            })
            .collect();
        rows.sort();
        rows
    };
    let a = normalize(t.json(&["feeds", "--json"]));
    let b = normalize(t2.json(&["feeds", "--json"]));
    assert_eq!(a.len(), 3);
    assert_eq!(a, b);
    let lwn = a.iter().find(|r| r.0.contains("lwn")).unwrap();
    assert_eq!(lwn.2, vec!["Inner".to_string(), "Tech".to_string()]);
    assert!(a.iter().any(|r| r.0 == "https://example.org/a?x=1&y=2"));

    // And the newsboat urls format round-trips too.
    let urls = t.ok(&["export", "--format", "urls"]);
    let t3 = Tidings::new();
    let file3 = t3.dir.path().join("urls");
    std::fs::write(&file3, urls).unwrap();
    t3.ok(&["import", file3.to_str().unwrap()]);
    assert_eq!(normalize(t3.json(&["feeds", "--json"])), a);
}

#[test]
fn newsboat_urls_import_lists_what_it_skipped() {
    let t = Tidings::new();
    let file = t.dir.path().join("urls");
    std::fs::write(
        &file,
        "# my feeds\nhttps://a.example/feed tech \"~A Title\"\n\"query:Unread:unread = \\\"yes\\\"\"\n\
         exec:~/bin/gen.sh\nfilter:~/f.sh:https://b.example/feed\nhttps://c.example/rss news\n",
    )
    .unwrap();
    let out = t.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("2 added") && out.contains("3 skipped"), "{out}");
    assert!(out.contains("exec:") && out.contains("filter:") && out.contains("query:"), "{out}");
    let feeds = t.json(&["feeds", "--json"]);
    let a = feeds.as_array().unwrap().iter().find(|f| f["url"] == "https://a.example/feed").unwrap();
    assert_eq!(a["title"], "A Title");
    assert_eq!(a["tags"][0], "tech");
}

#[test]
fn add_discovers_the_feed_of_a_web_page_and_cleans_hostile_titles() {
    let server = TestServer::start();
    let hostile = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Evil&#27;]0;pwned&#7; feed&#x9b;31m</title>\
        <link>https://evil.example/</link><item><title>Item &#27;[2J cleared</title><guid>1</guid>\
        <link>https://evil.example/1</link><description>x</description></item></channel></rss>";
    server.route("/feed.xml", Response::ok(hostile.as_bytes().to_vec()).content_type("application/rss+xml"));
    server.route(
        "/",
        Response::ok(
            b"<html><head><title>Blog</title>\
              <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Main\" href=\"/feed.xml\">\
              <link rel=\"alternate\" type=\"application/atom+xml\" href=\"/atom.xml\"></head><body>hi</body></html>"
                .to_vec(),
        )
        .content_type("text/html; charset=utf-8"),
    );
    let t = Tidings::new();
    let out = t.ok(&["add", &server.url("/"), "--tag", "misc"]);
    assert!(out.contains("web page") && out.contains("/atom.xml"), "lists the other feeds: {out}");
    let feeds = t.json(&["feeds", "--json"]);
    assert_eq!(feeds[0]["url"], server.url("/feed.xml"));
    assert_eq!(feeds[0]["total"], 1);
    for args in [&["feeds"][..], &["feeds", "--json"], &["articles"], &["articles", "--json"]] {
        let out = t.output(args);
        assert!(
            !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07)
                && !String::from_utf8_lossy(&out.stdout).contains('\u{9b}'),
            "control characters reached the terminal in {args:?}: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(t.ok(&["feeds"]).contains("Evil]0;pwned feed31m"));
    let again = t.ok(&["add", &server.url("/feed.xml")]);
    assert!(again.contains("already subscribed"), "{again}");
}

#[test]
fn local_files_are_feeds_too() {
    let t = Tidings::new();
    let path = common::cli::corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    t.ok(&["add", path.to_str().unwrap()]);
    let feeds = t.json(&["feeds", "--json"]);
    assert!(feeds[0]["url"].as_str().unwrap().starts_with("file://"));
    assert!(feeds[0]["total"].as_u64().unwrap() >= 1);
    assert!(feeds[0]["last_error"].is_null());
}

#[test]
fn bad_config_names_file_and_line() {
    let t = Tidings::with_config("[fetch]\ntimeout_secs = \"soon\"\n");
    let out = t.output(&["feeds"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml") && err.contains("line 2"), "{err}");
}

#[test]
fn a_second_instance_gets_a_clear_message() {
    let t = Tidings::new();
    let store = tidings::store::Store::open(&t.data_dir(), &Default::default()).unwrap();
    let out = t.output(&["unread"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another tidings is using"), "{err}");
    drop(store);
    assert_eq!(t.ok(&["unread"]).trim(), "0");
}

#[test]
fn hanging_and_trickling_feeds_fail_alone() {
    let server = TestServer::start();
    for i in 0..6 {
        server.route(&format!("/ok{i}.xml"), Response::ok(rss_feed(&format!("ok{i}"), 3, 1)));
    }
    server.route("/hang.xml", Response::hang());
    server.route(
        "/trickle.xml",
        Response::trickle(rss_feed("slow", 3, 1), std::time::Duration::from_millis(700)),
    );
    server.route("/loop.xml", Response::redirect(302, "/loop.xml"));
    server.route("/big.xml", Response::huge(3 * 1024 * 1024));
    let t = Tidings::with_config("[fetch]\ntimeout_secs = 2\nmax_body_mib = 1\n");
    let mut urls: Vec<String> = (0..6).map(|i| server.url(&format!("/ok{i}.xml"))).collect();
    urls.extend(["/hang.xml", "/trickle.xml", "/loop.xml", "/big.xml"].map(|p| server.url(p)));
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, opml(&urls)).unwrap();
    t.ok(&["import", file.to_str().unwrap()]);
    let stdout = t.ok(&["refresh"]);
    assert!(stdout.contains("6 fetched") && stdout.contains("4 failed"), "{stdout}");
    let feeds = t.json(&["feeds", "--json"]);
    let error_of = |path: &str| {
        let f = feeds.as_array().unwrap().iter().find(|f| f["url"] == server.url(path)).unwrap();
        f["last_error"].as_str().unwrap_or_default().to_lowercase()
    };
    assert!(error_of("/hang.xml").contains("timed out") || error_of("/hang.xml").contains("timeout"));
    assert!(error_of("/trickle.xml").contains("timed out") || error_of("/trickle.xml").contains("timeout"));
    assert!(error_of("/loop.xml").contains("redirect"), "{}", error_of("/loop.xml"));
    assert!(error_of("/big.xml").contains("larger than"), "{}", error_of("/big.xml"));
    assert_eq!(t.ok(&["unread"]).trim(), "18");
}

//! The real `tidings` binary, driven as a user or a cron job would, against feeds served by a
//! real HTTP server on 127.0.0.1 and a real sled database in a temp dir.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

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
    assert!(out.contains("11 articles changed"), "{out}");
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
fn a_store_held_by_a_process_that_does_not_serve_it_is_waited_for_then_named() {
    let t = Tidings::new();
    // A plain `Store` locks the data dir but serves nobody (as a crashed-but-hung tidings
    // would): commands wait for it, then say who holds what.
    let store = tidings::store::Store::open(&t.data_dir(), &Default::default()).unwrap();
    let out = t.command().env("TIDINGS_WAIT_SECS", "0.3").arg("unread").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another tidings holds") && err.contains("tidings.sock"), "{err}");
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

/// Runs tidings expecting failure; returns stderr.
fn fails(t: &Tidings, args: &[&str]) -> String {
    let out = t.output(args);
    assert!(!out.status.success(), "tidings {args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn request_options_from_add_and_set_are_sent() {
    let server = TestServer::start();
    server.route("/opt.xml", Response::ok(rss_feed("opt", 2, 1)).content_type("application/rss+xml"));
    server.route(
        "/page",
        Response::ok(
            b"<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/opt.xml\"></head>\
              <body>hi</body></html>"
                .to_vec(),
        )
        .content_type("text/html; charset=utf-8"),
    );
    let t = Tidings::new();
    t.ok(&[
        "add",
        &server.url("/page"),
        "--user-agent",
        "Agent/7.1 (test)",
        "--referer",
        "https://ref.example/page",
        "--header",
        "X-Token: abc123",
    ]);
    // The discovery fetch of the page and the first fetch of the feed it found both carry them.
    for path in ["/page", "/opt.xml"] {
        assert_eq!(server.last_header(path, "user-agent").as_deref(), Some("Agent/7.1 (test)"), "{path}");
        assert_eq!(
            server.last_header(path, "referer").as_deref(),
            Some("https://ref.example/page"),
            "{path}"
        );
        assert_eq!(server.last_header(path, "x-token").as_deref(), Some("abc123"), "{path}");
    }
    let hits = server.hits("/opt.xml");
    t.ok(&["refresh"]);
    assert_eq!(server.hits("/opt.xml"), hits + 1);
    assert_eq!(server.last_header("/opt.xml", "user-agent").as_deref(), Some("Agent/7.1 (test)"));
    assert_eq!(server.last_header("/opt.xml", "referer").as_deref(), Some("https://ref.example/page"));
    assert_eq!(server.last_header("/opt.xml", "x-token").as_deref(), Some("abc123"));

    let feeds = feeds_by_url(&t);
    assert_eq!(feeds.len(), 1);
    let id = feeds[0]["id"].to_string();
    assert_eq!(
        feeds[0]["options"],
        serde_json::json!({
            "user_agent": "Agent/7.1 (test)",
            "referer": "https://ref.example/page",
            "headers": [["X-Token", "abc123"]],
            "proxy": null
        })
    );
    let plain = t.ok(&["feeds", "--verbose"]);
    assert!(
        plain.contains(
            "options: user agent \"Agent/7.1 (test)\"; referer https://ref.example/page; headers X-Token"
        ),
        "{plain}"
    );
    assert!(!plain.contains("abc123"), "header values stay out of plain output: {plain}");

    // `set` changes them; the next refresh sends the new values, and a header given again
    // (in any case) replaces the old one.
    let out = t.ok(&[
        "set",
        &id,
        "--user-agent",
        "Agent/8",
        "--header",
        "x-token: def456",
        "--header",
        "Cookie: session=s1",
        "--no-referer",
    ]);
    assert!(out.contains(&format!("updated feed {id}")) && out.contains("headers x-token, Cookie"), "{out}");
    assert!(!out.contains("def456") && !out.contains("session=s1"), "{out}");
    t.ok(&["refresh", &id]);
    let headers = server.last_request_headers("/opt.xml").unwrap();
    assert_eq!(headers.iter().filter(|(n, _)| n == "x-token").count(), 1, "{headers:?}");
    assert_eq!(server.last_header("/opt.xml", "user-agent").as_deref(), Some("Agent/8"));
    assert_eq!(server.last_header("/opt.xml", "x-token").as_deref(), Some("def456"));
    assert_eq!(server.last_header("/opt.xml", "cookie").as_deref(), Some("session=s1"));
    assert_eq!(server.last_header("/opt.xml", "referer"), None, "--no-referer removes it");

    // By URL too; back to the defaults.
    let url = server.url("/opt.xml");
    t.ok(&["set", &url, "--no-headers", "--no-user-agent", "--referer", "https://other.example/"]);
    t.ok(&["refresh", &id]);
    assert!(server.last_header("/opt.xml", "user-agent").unwrap().starts_with("tidings/"));
    assert_eq!(server.last_header("/opt.xml", "x-token"), None);
    assert_eq!(server.last_header("/opt.xml", "cookie"), None);
    assert_eq!(server.last_header("/opt.xml", "referer").as_deref(), Some("https://other.example/"));
    t.ok(&["set", &id, "--no-referer"]);
    t.ok(&["refresh", &id]);
    assert_eq!(server.last_header("/opt.xml", "referer"), None);
    assert!(!t.ok(&["feeds", "--verbose"]).contains("options:"), "no options line when none are set");
    assert_eq!(
        feeds_by_url(&t)[0]["options"],
        serde_json::json!({"user_agent": null, "referer": null, "headers": [], "proxy": null})
    );

    // Proxies: `none` is stored and the feed is still fetched (directly); a password is
    // hidden in plain output; --no-proxy forgets it; a bad one is refused.
    t.ok(&["set", &id, "--proxy", "none"]);
    assert_eq!(feeds_by_url(&t)[0]["options"]["proxy"], "none");
    let hits = server.hits("/opt.xml");
    t.ok(&["refresh", &id]);
    assert_eq!(server.hits("/opt.xml"), hits + 1);
    assert!(feeds_by_url(&t)[0]["last_error"].is_null());
    let out = t.ok(&["set", &id, "--proxy", "socks5h://user:pw9@127.0.0.1:9"]);
    assert!(out.contains("proxy socks5h://user:***@127.0.0.1:9") && !out.contains("pw9"), "{out}");
    assert!(!t.ok(&["feeds", "--verbose"]).contains("pw9"));
    t.ok(&["set", &id, "--no-proxy"]);
    assert!(feeds_by_url(&t)[0]["options"]["proxy"].is_null());
    let err = fails(&t, &["set", &id, "--proxy", "ftp://proxy.example:21"]);
    assert!(err.contains("--proxy") && err.contains("socks5h://"), "{err}");

    // Title and tags.
    let out = t.ok(&["set", &id, "--title", "Mine", "--tag", "a", "--tag", "b"]);
    assert!(out.contains("Mine (yours)") && out.contains("tags:    a, b"), "{out}");
    let out = t.ok(&["set", &id, "--no-title", "--untag", "a"]);
    assert!(out.contains("opt (the feed's own)") && out.contains("tags:    b"), "{out}");

    // Nothing to change is an error, not a silent success.
    let err = fails(&t, &["set", &id]);
    assert!(err.contains("nothing to change"), "{err}");
}

#[test]
fn bad_request_options_are_refused_clearly() {
    let server = TestServer::start();
    server.route("/f.xml", Response::ok(rss_feed("f", 1, 1)).content_type("application/rss+xml"));
    let t = Tidings::new();
    let url = server.url("/f.xml");
    let err = fails(&t, &["add", &url, "--header", "X-Token abc123"]);
    assert!(err.contains("\"Name: value\"") && err.contains("--header"), "shows an example: {err}");
    assert!(!err.contains("abc123"), "the value (maybe a token) is not echoed: {err}");
    let err = fails(&t, &["add", &url, "--header", "X Token: abc123"]);
    assert!(err.contains("\"X Token\" is not a header name") && err.contains("\"Name: value\""), "{err}");
    let err = fails(&t, &["add", &url, "--header", ": abc123"]);
    assert!(err.contains("no name"), "{err}");
    let err = fails(&t, &["add", &url, "--header", "X-Token: abc\r\nX-Evil: 1"]);
    assert!(err.contains("value of X-Token") && err.contains("line break"), "{err}");
    let err = fails(&t, &["add", &url, "--referer", "not a url"]);
    assert!(err.contains("--referer") && err.contains("https://example.org/page"), "{err}");
    assert_eq!(server.hits("/f.xml"), 0, "nothing is fetched with options that are wrong");
    assert!(feeds_by_url(&t).is_empty(), "nor added");

    t.ok(&["add", &url, "--header", "X-Token: good"]);
    let err = fails(&t, &["set", "1", "--header", "X-Token=bad"]);
    assert!(err.contains("\"Name: value\""), "{err}");
    let err = fails(&t, &["set", "1", "--header", "User-Agent: x"]);
    assert!(err.contains("--user-agent"), "{err}");
    assert_eq!(feeds_by_url(&t)[0]["options"]["headers"], serde_json::json!([["X-Token", "good"]]));
    let err = fails(&t, &["set", "99", "--no-referer"]);
    assert!(err.contains("99"), "{err}");
}

#[test]
fn http_charset_wrong_on_utf8_and_right_on_windows_1251() {
    let server = TestServer::start();
    // UTF-8 bytes, no encoding in the prolog, and a server that claims ISO-8859-1: the bytes win.
    let zh = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>机器之心</title>\
              <link>https://zh.example/</link><description>d</description>\
              <item><title>大型语言模型的新进展</title><guid>zh-1</guid><link>https://zh.example/1</link>\
              <description>正文</description></item></channel></rss>";
    server.route(
        "/zh.xml",
        Response::ok(zh.as_bytes().to_vec()).content_type("application/rss+xml; charset=iso-8859-1"),
    );
    // Real windows-1251 bytes, no encoding in the prolog, the right charset in the header.
    let ru = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Новости дня</title>\
              <link>https://ru.example/</link><description>d</description>\
              <item><title>Привет, мир: ёжик</title><guid>ru-1</guid><link>https://ru.example/1</link>\
              <description>Текст</description></item></channel></rss>";
    let (ru_bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(ru);
    assert!(!unmappable && std::str::from_utf8(&ru_bytes).is_err(), "the test feed is really not UTF-8");
    server.route(
        "/ru.xml",
        Response::ok(ru_bytes.into_owned()).content_type("application/rss+xml; charset=windows-1251"),
    );
    let t = Tidings::new();
    t.ok(&["add", &server.url("/zh.xml")]);
    t.ok(&["add", &server.url("/ru.xml")]);
    let feeds = feeds_by_url(&t);
    let feed = |path: &str| feeds.iter().find(|f| f["url"] == server.url(path)).unwrap().clone();
    let (zh_feed, ru_feed) = (feed("/zh.xml"), feed("/ru.xml"));
    assert_eq!(zh_feed["title"], "机器之心");
    assert_eq!(ru_feed["title"], "Новости дня");
    let articles = t.json(&["articles", "--json"]);
    let title_of = |feed: &serde_json::Value| {
        let a = articles.as_array().unwrap().iter().find(|a| a["feed_id"] == feed["id"]).unwrap();
        a["title"].as_str().unwrap().to_owned()
    };
    assert_eq!(title_of(&zh_feed), "大型语言模型的新进展");
    assert_eq!(title_of(&ru_feed), "Привет, мир: ёжик");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let t = Tidings::new();
    let path = common::cli::corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    t.ok(&["add", path.to_str().unwrap()]);
    // `tidings articles | head -0`: the reader is gone before tidings writes.
    let mut child = t
        .command()
        .args(["feeds"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn unread_answers_from_its_cache_only_while_the_database_is_unchanged() {
    let t = Tidings::new();
    let path = common::cli::corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    t.ok(&["add", path.to_str().unwrap()]);
    let total: u64 = t.ok(&["unread"]).trim().parse().unwrap();
    assert!(total >= 1);
    let cache = t.data_dir().join("unread.cache");
    assert!(cache.exists(), "the first `unread` leaves the cache behind");
    assert_eq!(t.ok(&["unread"]).trim(), total.to_string());
    // Another command changes the database: the cache must not be believed afterwards.
    let id = t.json(&["articles", "--json"])[0]["id"].to_string();
    t.ok(&["mark", "read", &id]);
    assert_eq!(t.ok(&["unread"]).trim(), (total - 1).to_string());
    // A cache that claims another number for another database state is ignored.
    std::fs::write(&cache, "tidings-unread-v1 999 1 1\n").unwrap();
    assert_eq!(t.ok(&["unread"]).trim(), (total - 1).to_string());
    // And one for this exact database state is used (proves the fast path is taken).
    let text = std::fs::read_to_string(&cache).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    std::fs::write(&cache, format!("{} 12345 {} {}\n", fields[0], fields[2], fields[3])).unwrap();
    assert_eq!(t.ok(&["unread"]).trim(), "12345");
}

#[test]
fn a_feed_that_keeps_failing_is_given_a_rest_unless_named() {
    let server = TestServer::start();
    server.route("/down.xml", Response::status(500));
    server.route("/up.xml", Response::ok(rss_feed("up", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", "--no-fetch", &server.url("/down.xml")]);
    t.ok(&["add", "--no-fetch", &server.url("/up.xml")]);
    for _ in 0..3 {
        t.ok(&["refresh"]);
    }
    assert_eq!(server.hits("/down.xml"), 3);
    // The fourth run leaves it alone and says why; the other feed is fetched as usual.
    let out = t.output(&["refresh"]);
    assert!(out.status.success());
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.hits("/down.xml"), 3, "{all}");
    assert_eq!(server.hits("/up.xml"), 4);
    assert!(all.contains("failed 3 times in a row"), "{all}");
    // Named, it is fetched at once.
    t.ok(&["refresh", &server.url("/down.xml")]);
    assert_eq!(server.hits("/down.xml"), 4);
}

#[test]
fn add_fetches_a_feed_url_once_and_a_page_then_its_feed() {
    let server = TestServer::start();
    server.route("/feed.xml", Response::ok(rss_feed("once", 3, 1)));
    server.route(
        "/page.html",
        Response::ok(format!(
            "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"{}\"></head></html>",
            "/other.xml"
        ))
        .content_type("text/html"),
    );
    server.route("/other.xml", Response::ok(rss_feed("other", 2, 1)));
    let t = Tidings::new();
    let out = t.ok(&["add", &server.url("/feed.xml")]);
    assert!(out.contains("3 articles"), "{out}");
    assert_eq!(server.hits("/feed.xml"), 1, "the look at the URL is the first fetch");
    assert_eq!(t.ok(&["unread"]).trim(), "3");
    // The fetch is in the feed's log like any refresh.
    assert!(t.ok(&["log", "1"]).contains("200"));
    t.ok(&["add", &server.url("/page.html")]);
    assert_eq!((server.hits("/page.html"), server.hits("/other.xml")), (1, 1));
    assert_eq!(t.ok(&["unread"]).trim(), "5");
}

/// Issue 10, item 5: a feed that gives both a description and a full content. A refresh from
/// a real server keeps the two apart: `show` prints the summary, labelled, above the body,
/// `show --json` has it as `summary` (null for an article with only one text), and a revised
/// summary alone updates the article.
#[test]
fn a_summary_beside_the_full_content_is_shown_above_the_body() {
    let feed = |teaser: &str| {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
             <channel><title>Long Reads</title><link>https://longreads.example/</link>\
             <item><title>On maps</title><guid>maps</guid><link>https://longreads.example/maps</link>\
             <description>{teaser}</description>\
             <content:encoded><![CDATA[<p>The full essay about <a href=\"/atlas\">maps</a>.</p><p>All of it.</p>]]></content:encoded></item>\
             <item><title>On clocks</title><guid>clocks</guid><description>Only a summary about clocks.</description></item>\
             </channel></rss>"
        )
    };
    let server = TestServer::start();
    server.route(
        "/long.xml",
        Response::ok(feed("A short &lt;b&gt;teaser&lt;/b&gt; about maps.\u{1b}[2J"))
            .content_type("application/rss+xml"),
    );
    let t = Tidings::new();
    t.ok(&["add", "--no-fetch", &server.url("/long.xml")]);
    let out = t.ok(&["refresh"]);
    assert!(out.contains("2 new"), "{out}");
    let id_of = |title: &str| {
        let all = t.json(&["articles", "--json"]);
        let found =
            all.as_array().expect("a list").iter().find(|a| a["title"] == title).map(|a| a["id"].to_string());
        found.expect("listed")
    };
    let (maps, clocks) = (id_of("On maps"), id_of("On clocks"));

    let show = t.ok(&["show", &maps]);
    let summary_at = show.find("Summary: A short teaser about maps.").unwrap_or_else(|| panic!("{show}"));
    let body_at = show.find("The full essay about maps[1].").unwrap_or_else(|| panic!("{show}"));
    assert!(show[..summary_at].contains("Title:  On maps"), "{show}");
    assert!(summary_at < body_at, "the summary comes before the body:\n{show}");
    assert!(show.contains("[1] https://longreads.example/atlas"), "{show}");
    assert!(!show.contains('\u{1b}'), "{show:?}");
    let json = t.json(&["show", &maps, "--json"]);
    assert_eq!(json["title"], "On maps");
    assert_eq!(json["summary"], "A short teaser about maps.[2J");
    let body = json["body"].as_str().unwrap_or_default();
    assert!(body.contains("The full essay about maps[1].") && !body.contains("teaser"), "{json}");

    // Only a description: it is the body, and there is no summary.
    let show = t.ok(&["show", &clocks]);
    assert!(show.contains("Only a summary about clocks.") && !show.contains("Summary:"), "{show}");
    let json = t.json(&["show", &clocks, "--json"]);
    assert!(json["summary"].is_null(), "{json}");
    assert!(json.as_object().is_some_and(|o| o.contains_key("summary")), "{json}");

    // A revised summary alone: the article is updated (and keeps its id).
    server.route("/long.xml", Response::ok(feed("A revised teaser.")).content_type("application/rss+xml"));
    let out = t.ok(&["refresh"]);
    assert!(out.contains("0 new and 1 updated"), "{out}");
    assert_eq!(t.json(&["show", &maps, "--json"])["summary"], "A revised teaser.");
    let found = t.json(&["search", "revised", "--json"]);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "the summary is searched: {found}");
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

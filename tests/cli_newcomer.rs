//! The command line as a new user meets it: typos, dead URLs, commands that must not broaden
//! silently, output that says what it left out, pipes closed early, cron's `--quiet`, and the
//! completion script and manual page.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::io::Read;
use std::process::Stdio;

use common::cli::{rss_feed, Tidings};
use common::server::{Response, TestServer};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn adding_a_file_that_does_not_exist_says_so() {
    let t = Tidings::new();
    for typo in ["./typo.xml", "typo.xml", "../feeds/typo.rss", "/nowhere/feed.atom", "~/feed.xml"] {
        let out = t.output(&["add", typo]);
        assert!(!out.status.success(), "{typo}: {}", stdout(&out));
        assert!(stderr(&out).contains("no such file"), "{typo}: {}", stderr(&out));
        assert!(!stdout(&out).contains("added"), "{typo}");
    }
    assert_eq!(t.json(&["feeds", "--json"]).as_array().map(Vec::len), Some(0), "nothing subscribed");
}

#[test]
fn a_dead_or_non_feed_url_is_refused_once_unless_no_fetch() {
    let server = TestServer::start();
    server.route("/gone.xml", Response::status(404));
    server.route(
        "/page",
        Response::ok("<html><head><title>x</title></head><body>hi</body></html>").content_type("text/html"),
    );
    let t = Tidings::new();
    let out = t.output(&["add", &server.url("/gone.xml")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.matches("404").count(), 1, "the error is said once: {err}");
    assert!(err.contains("--no-fetch"), "{err}");
    let out = t.output(&["add", &server.url("/page")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("links to no feed"), "{}", stderr(&out));
    assert_eq!(t.json(&["feeds", "--json"]).as_array().map(Vec::len), Some(0));
    // --no-fetch adds it as typed.
    let added = t.ok(&["add", "--no-fetch", &server.url("/gone.xml")]);
    assert!(added.contains("added feed 1"), "{added}");
}

#[test]
fn mark_all_with_ids_is_an_error_not_everything() {
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(rss_feed("A", 3, 1)));
    server.route("/b.xml", Response::ok(rss_feed("B", 3, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/a.xml")]);
    t.ok(&["add", &server.url("/b.xml")]);
    let out = t.output(&["mark", "read", "--all", "2"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));
    assert_eq!(t.ok(&["unread"]).trim(), "6", "nothing was marked");
    let out = t.ok(&["mark", "read", "1"]);
    assert_eq!(out.trim(), "1 article changed");
}

#[test]
fn articles_say_how_many_more_there_are_and_limit_zero_means_all() {
    let server = TestServer::start();
    server.route("/big.xml", Response::ok(rss_feed("Big", 60, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/big.xml")]);
    let out = t.output(&["articles"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().count(), 50);
    assert!(stderr(&out).contains("... 10 more (use --limit N or --all)"), "{}", stderr(&out));
    for args in [&["articles", "--limit", "0"][..], &["articles", "--all"]] {
        let out = t.output(args);
        assert_eq!(stdout(&out).lines().count(), 60, "{args:?}");
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
    }
    let out = t.output(&["articles", "--limit", "60"]);
    assert!(stderr(&out).is_empty(), "exactly all: nothing more to say");

    // The rest is counted for what was asked: one feed, unread, starred.
    server.route("/small.xml", Response::ok(rss_feed("Small", 3, 1)));
    t.ok(&["add", &server.url("/small.xml")]);
    let listed: Vec<String> = stdout(&t.output(&["articles", "--all", "--feed", "1"]))
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();
    let ids = |n: usize| listed[..n].iter().map(String::as_str).collect::<Vec<_>>();
    t.ok(&[&["mark", "read"][..], &ids(5)].concat());
    t.ok(&[&["mark", "star"][..], &ids(3)].concat());
    for (args, more) in [
        (&["articles"][..], "... 13 more"),
        (&["articles", "--feed", "1"], "... 10 more"),
        (&["articles", "--unread"], "... 8 more"),
        (&["articles", "--unread", "--feed", "1", "--limit", "50"], "... 5 more"),
        (&["articles", "--starred", "--limit", "1"], "... 2 more"),
    ] {
        let out = t.output(args);
        assert!(
            stderr(&out).contains(&format!("{more} (use --limit N or --all)")),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_pipe_closed_early_ends_quietly() {
    let server = TestServer::start();
    server.route("/big.xml", Response::ok(rss_feed("Big", 400, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/big.xml")]);
    for args in [&["articles", "--json"][..], &["articles", "--all"], &["export"], &["show", "1"]] {
        let mut child = t
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tidings");
        // Read a little, then hang up, as `| head -1` does.
        let mut first = [0u8; 16];
        let mut out = child.stdout.take().expect("stdout");
        let _ = out.read(&mut first);
        drop(out);
        let mut err = String::new();
        child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
        let status = child.wait().expect("wait");
        assert!(err.is_empty(), "{args:?} printed: {err}");
        assert!(status.success() || status.code().is_none(), "{args:?}: {status}");
    }
}

#[test]
fn feeds_list_one_line_a_feed_and_verbose_adds_the_url() {
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(rss_feed("A", 1, 1)));
    server.route("/b.xml", Response::ok(rss_feed("B", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/a.xml")]);
    t.ok(&["add", &server.url("/b.xml")]);
    let plain = t.ok(&["feeds"]);
    assert_eq!(plain.lines().count(), 2, "{plain}");
    assert!(plain.lines().next().is_some_and(|l| l.contains("A") && l.contains("1/1")), "{plain}");
    let verbose = t.ok(&["feeds", "--verbose"]);
    assert!(verbose.contains(&server.url("/a.xml")), "{verbose}");
}

#[test]
fn one_is_singular() {
    let server = TestServer::start();
    server.route("/one.xml", Response::ok(rss_feed("One", 1, 1)));
    let t = Tidings::new();
    let added = t.ok(&["add", &server.url("/one.xml")]);
    assert!(added.contains("One: 1 article\n"), "{added}");
    let refreshed = t.ok(&["refresh"]);
    assert!(refreshed.contains("refreshed 1 feed in"), "{refreshed}");
    let check = t.ok(&["check"]);
    assert!(check.starts_with("1 feed, 1 article, 1 unread"), "{check}");
}

#[test]
fn quiet_prints_only_errors() {
    let server = TestServer::start();
    server.route("/ok.xml", Response::ok(rss_feed("Ok", 2, 1)));
    server.route("/bad.xml", Response::status(500));
    let t = Tidings::new();
    t.ok(&["add", "--quiet", &server.url("/ok.xml")]);
    t.ok(&["add", "--no-fetch", "-q", &server.url("/bad.xml")]);
    let out = t.output(&["refresh", "--quiet"]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(stderr(&out).contains("failed: feed 2"), "{}", stderr(&out));
    assert!(t.ok(&["mark", "read", "1", "-q"]).is_empty());
    // What a command is asked to list is still printed.
    assert_eq!(t.ok(&["unread", "--quiet"]).trim(), "1");
}

#[test]
fn completions_and_a_manual_page() {
    let t = Tidings::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = t.ok(&["completions", shell]);
        assert!(script.contains("tidings") && script.contains("refresh"), "{shell}: {script}");
    }
    let man = t.ok(&["manpage"]);
    assert!(man.starts_with(".ie") || man.contains(".TH tidings"), "{}", &man[..man.len().min(200)]);
    assert!(man.contains("refresh"));
    // Neither touches a data dir.
    assert!(!t.data_dir().exists());
}

#[test]
fn export_pins_only_the_titles_the_user_set() {
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(rss_feed("Feed Own Title", 1, 1)));
    server.route("/b.xml", Response::ok(rss_feed("B", 1, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/a.xml")]);
    t.ok(&["add", "--title", "My Name", &server.url("/b.xml")]);
    let opml = t.ok(&["export"]);
    assert!(!opml.contains("Feed Own Title"), "{opml}");
    assert!(opml.contains("title=\"My Name\""), "{opml}");
    // Re-imported elsewhere, the first feed keeps following its own title.
    let file = t.dir.path().join("subs.opml");
    std::fs::write(&file, &opml).unwrap();
    let other = Tidings::new();
    other.ok(&["import", file.to_str().unwrap()]);
    other.ok(&["refresh"]);
    let feeds = other.json(&["feeds", "--json"]);
    let titles: Vec<(&str, Option<&str>)> = feeds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["title"].as_str().unwrap(), f["custom_title"].as_str()))
        .collect();
    assert!(titles.contains(&("Feed Own Title", None)), "{titles:?}");
    assert!(titles.contains(&("My Name", Some("My Name"))), "{titles:?}");
}

#[test]
fn a_moved_feed_keeps_its_new_url_and_an_old_opml_adds_nothing_twice() {
    let server = TestServer::start();
    server.route("/old.xml", Response::redirect(301, "/new.xml"));
    server.route("/new.xml", Response::ok(rss_feed("Moved", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", "--no-fetch", &server.url("/old.xml")]);
    t.ok(&["refresh"]);
    let feeds = t.json(&["feeds", "--json"]);
    assert_eq!(feeds[0]["url"].as_str(), Some(server.url("/new.xml").as_str()), "{feeds}");
    let log = std::fs::read_to_string(t.dir.path().join("state/tidings/tidings.log")).unwrap_or_default();
    assert!(log.contains("moved permanently") && log.contains("/old.xml"), "the log says so: {log}");
    let file = t.dir.path().join("old.opml");
    std::fs::write(&file, common::cli::opml(&[server.url("/old.xml")])).unwrap();
    let out = t.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("0 added, 1 already present"), "{out}");
    assert_eq!(t.json(&["feeds", "--json"]).as_array().map(Vec::len), Some(1));
}

#[test]
fn a_damaged_database_is_refused_not_shown_empty_and_repair_keeps_what_it_can() {
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(rss_feed("A", 3, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/a.xml")]);
    assert_eq!(t.ok(&["unread"]).trim(), "3");
    // The database file cut to nothing (a full disk, a bad copy): never an empty store.
    let db = t.data_dir().join("db");
    std::fs::OpenOptions::new().write(true).open(&db).unwrap().set_len(0).unwrap();
    let _ = std::fs::remove_file(t.data_dir().join("unread.cache"));
    for args in [&["unread"][..], &["feeds"], &["check"]] {
        let out = t.output(args);
        assert!(!out.status.success(), "{args:?} opened a damaged store: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("check --repair") && err.contains("backup"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = t.output(&["check", "--repair"]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("damaged files are kept in"), "{said}");
    // Afterwards it opens again, and the damaged files are kept beside it.
    let after = t.output(&["unread"]);
    assert!(after.status.success(), "{}", stderr(&after));
    let kept = std::fs::read_dir(t.data_dir())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("damaged-"));
    assert!(kept, "the damaged files are kept");
}

#[test]
fn a_data_dir_full_of_other_files_is_refused_and_left_alone() {
    let t = Tidings::new();
    let dir = t.data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("thesis.tex"), "my work").unwrap();
    let out = t.output(&["unread"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&dir.display().to_string()), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["thesis.tex"], "nothing was written into it");
}

#[test]
fn a_wordpress_page_gives_its_feed_not_its_rest_api() {
    let server = TestServer::start();
    let page = format!(
        "<html><head>\
         <link rel=\"alternate\" type=\"application/json\" href=\"{}\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Blog\" href=\"/feed/\">\
         </head><body>hi</body></html>",
        server.url("/wp-json/wp/v2/pages/12")
    );
    server.route("/", Response::ok(page).content_type("text/html"));
    server.route("/feed/", Response::ok(rss_feed("Blog", 2, 1)));
    server.route("/wp-json/wp/v2/pages/12", Response::ok("{\"id\":12}").content_type("application/json"));
    let t = Tidings::new();
    let out = t.ok(&["add", &server.url("/")]);
    assert!(out.contains("links to 1 feed:") && out.contains("/feed/"), "{out}");
    assert!(!out.contains("wp-json"), "{out}");
    assert_eq!(server.hits("/wp-json/wp/v2/pages/12"), 0);
}

/// A feed whose items cannot be read is a failing feed with a reason, never "ok, 0 articles".
#[test]
fn a_feed_whose_items_cannot_be_read_says_so_in_feeds_and_log() {
    let t = Tidings::new();
    let path = t.dir.path().join("odd.xml");
    std::fs::write(
        &path,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Odd</title>\
         <item><title>cut off before its link or id",
    )
    .expect("write the feed");
    let path = path.to_str().expect("utf-8 path");
    t.ok(&["add", "--no-fetch", path]);
    let refresh = t.output(&["refresh"]);
    let said =
        String::from_utf8_lossy(&refresh.stderr).into_owned() + &String::from_utf8_lossy(&refresh.stdout);
    assert!(said.contains("holds 1 item but none could be read"), "{said}");
    let feeds = t.json(&["feeds", "--json"]);
    let error = feeds[0]["last_error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("none could be read"), "{feeds}");
    let id = feeds[0]["id"].to_string();
    let log = t.ok(&["log", &id]);
    assert!(log.contains("none could be read"), "{log}");
}

/// `tidings show` lays the body out as the reader does (numbered links, the Links list, the
/// reader's depth cap), as plain text.
#[test]
fn show_prints_the_article_as_the_reader_lays_it_out() {
    let t = Tidings::new();
    let nested = format!("{}deep{}", "&lt;div&gt;".repeat(3000), "&lt;/div&gt;".repeat(3000));
    let path = t.dir.path().join("s.xml");
    std::fs::write(
        &path,
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>S</title><link>https://example.org/</link>\
             <description>d</description>\
             <item><title>One</title><guid>1</guid><description>&lt;p&gt;See &lt;a href=\"https://example.org/x\"&gt;this\
             &lt;/a&gt;.&lt;/p&gt;&lt;p&gt;&lt;/p&gt;&lt;p&gt;&lt;/p&gt;&lt;p&gt;End\u{1b}[2J&lt;/p&gt;</description></item>\
             <item><title>Deep</title><guid>2</guid><description>{nested}</description></item></channel></rss>"
        ),
    )
    .expect("write the feed");
    t.ok(&["add", path.to_str().expect("utf-8 path")]);
    let id_of = |title: &str| {
        let all = t.json(&["articles", "--json"]);
        let found =
            all.as_array().expect("a list").iter().find(|a| a["title"] == title).map(|a| a["id"].to_string());
        found.expect("listed")
    };
    let one = t.ok(&["show", &id_of("One")]);
    assert!(one.contains("See this[1].\n\nEnd"), "{one}");
    assert!(one.contains("Links\n[1] https://example.org/x"), "{one}");
    assert!(!one.contains('\u{1b}'), "{one:?}");
    let deep = t.ok(&["show", &id_of("Deep")]);
    assert!(deep.contains("deep") && deep.contains("nested more than"), "{deep}");
}

/// A broken feed read leniently says so in its fetch log.
#[test]
fn a_recovered_feed_says_how_it_was_read_in_its_log() {
    let t = Tidings::new();
    let path = t.dir.path().join("broken.xml");
    std::fs::write(
        &path,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Broken</title>\
         <item><title>first</title><link>https://example.org/1</link><category>news</item>\
         <item><title>second</title><link>https://example.org/2</link></item></channel></rss>",
    )
    .expect("write the feed");
    t.ok(&["add", path.to_str().expect("utf-8 path")]);
    let titles: Vec<String> = t
        .json(&["articles", "--json"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let log = t.ok(&["log", "1"]);
    assert!(log.contains("note: recovered: unclosed or mismatched markup balanced"), "{log}");
}

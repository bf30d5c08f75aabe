//! The query language end to end: `tidings articles --query EXPR` and `tidings filter test EXPR`
//! run by the real binary on two local feeds, and the same expression answered by the process
//! that holds the store and by a client through the socket.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::cli::Tidings;
use common::server::{Response, TestServer};
use tidings::engine::{Engine, EngineOptions};
use tidings::store::ArticleQuery;

const DAY: i64 = 86_400;

fn rfc2822(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap().to_rfc2822()
}

fn date(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

/// One `<item>`: title, author, date, HTML body, and extra elements (link, enclosure).
fn item(title: &str, author: Option<&str>, when: i64, body: &str, extra: &str) -> String {
    let escaped = body.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let author = author.map(|a| format!("<dc:creator>{a}</dc:creator>")).unwrap_or_default();
    format!(
        "<item><title>{title}</title><guid>{title}</guid>{author}<pubDate>{}</pubDate>\
         <description>{escaped}</description>{extra}</item>\n",
        rfc2822(when)
    )
}

fn feed(title: &str, items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>{title}</title>\
         <link>https://example.org/</link><description>d</description>\n{}</channel></rss>\n",
        items.concat()
    )
}

/// Feed 1, "Tech Weekly" (tag tech), and feed 2, "Kitchen Notes" (tag food).
fn setup() -> Tidings {
    let t = Tidings::new();
    let now = chrono::Utc::now().timestamp();
    let tech = feed(
        "Tech Weekly",
        &[
            item(
                "Rust 2024 edition released",
                Some("Ada Lovelace"),
                now - DAY,
                "<p>The new edition is out. <img src=\"https://example.org/a.png\"></p>",
                "<link>https://tech.example/rust-2024</link>",
            ),
            item(
                "Sponsored: buy our cloud",
                None,
                date("2025-12-20T10:00:00Z"),
                "<p>This post is <b>spon</b>sored by a cloud.</p>",
                "<link>https://tech.example/cloud</link>",
            ),
            item("Crème brûlée for programmers", None, date("2026-01-15T10:00:00Z"), "<p>A recipe.</p>", ""),
            item(
                "Podcast episode 1",
                None,
                date("2026-01-20T10:00:00Z"),
                "<p>Talking about RUST and more.</p><script>kitchen()</script>",
                "<link>https://tech.example/pod1</link>\
                 <enclosure url=\"https://tech.example/ep1.mp3\" type=\"audio/mpeg\" length=\"1000\"/>",
            ),
        ],
    );
    let kitchen = feed(
        "Kitchen Notes",
        &[
            item(
                "Bread basics",
                Some("Paul"),
                date("2026-02-03T10:00:00Z"),
                "<p>Flour, water, salt.</p>",
                "<link>https://kitchen.example/bread</link>",
            ),
            item(
                "Why I like rust on my pans",
                None,
                now - 10 * DAY,
                "<p>Cast iron.</p>",
                "<link>https://kitchen.example/pans</link>",
            ),
        ],
    );
    let dir = t.dir.path();
    std::fs::write(dir.join("tech.xml"), tech).unwrap();
    std::fs::write(dir.join("kitchen.xml"), kitchen).unwrap();
    t.ok(&["add", dir.join("tech.xml").to_str().unwrap(), "--tag", "tech"]);
    t.ok(&["add", dir.join("kitchen.xml").to_str().unwrap(), "--tag", "food"]);
    let feeds = t.json(&["feeds", "--json"]);
    assert_eq!(feeds.as_array().unwrap().len(), 2, "{feeds}");
    t
}

fn titles(json: &serde_json::Value) -> BTreeSet<String> {
    json.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()).collect()
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|s| (*s).to_owned()).collect()
}

#[track_caller]
fn query_is(t: &Tidings, expr: &str, expected: &[&str]) {
    let got = titles(&t.json(&["articles", "--json", "--query", expr]));
    assert_eq!(got, set(expected), "articles --query {expr:?}");
}

const RUST: &str = "Rust 2024 edition released";
const CLOUD: &str = "Sponsored: buy our cloud";
const CREME: &str = "Crème brûlée for programmers";
const PODCAST: &str = "Podcast episode 1";
const BREAD: &str = "Bread basics";
const PANS: &str = "Why I like rust on my pans";

#[test]
fn every_field_selects_what_it_names() {
    let t = setup();
    query_is(&t, "title:rust", &[RUST, PANS]);
    // A bare word looks in the title and the body's text (not in its script).
    query_is(&t, "rust", &[RUST, PODCAST, PANS]);
    query_is(&t, "kitchen", &[]);
    query_is(&t, "content:rust", &[PODCAST]);
    // Body text is flattened before matching: "<b>spon</b>sored" is "sponsored".
    query_is(&t, "content:sponsored", &[CLOUD]);
    query_is(&t, "author:ada", &[RUST]);
    query_is(&t, "author:\"ADA LOVELACE\"", &[RUST]);
    query_is(&t, "link:kitchen.example", &[BREAD, PANS]);
    query_is(&t, "feed:2", &[BREAD, PANS]);
    query_is(&t, "feed:kitchen", &[BREAD, PANS]);
    query_is(&t, "tag:tech and not title:rust and not content:sponsored", &[CREME, PODCAST]);
    query_is(&t, "tag:FOOD", &[BREAD, PANS]);
    query_is(&t, "has:images", &[RUST]);
    query_is(&t, "has:enclosure", &[PODCAST]);
    query_is(&t, "has:author", &[RUST, BREAD]);
    query_is(&t, "not has:link", &[CREME]);
    query_is(&t, "age<7d", &[RUST]);
    query_is(&t, "age<2w and age>2d", &[PANS]);
    query_is(&t, "date>=2026-01-01 and date<2026-02", &[CREME, PODCAST]);
    query_is(&t, "date<2026", &[CLOUD]);
    query_is(&t, "date:2026-02-03", &[BREAD]);
    // Case and diacritics fold both ways.
    query_is(&t, "creme", &[CREME]);
    query_is(&t, "title:\"CRÈME BRÛLÉE\"", &[CREME]);
    // The issue's examples.
    query_is(&t, "unread and tag:tech and title:\"rust\" and age<7d", &[RUST]);
    query_is(&t, "feed:1 and not content:sponsored", &[RUST, CREME, PODCAST]);
    // and binds tighter than or; parentheses change it.
    query_is(&t, "has:enclosure or tag:food and title:bread", &[PODCAST, BREAD]);
    query_is(&t, "(has:enclosure or tag:food) and title:bread", &[BREAD]);
}

#[test]
fn flags_and_the_other_options_combine_with_a_query() {
    let t = setup();
    let all = t.json(&["articles", "--json"]);
    let id_of = |title: &str| {
        all.as_array().unwrap().iter().find(|a| a["title"] == title).unwrap()["id"]
            .as_u64()
            .unwrap()
            .to_string()
    };
    t.ok(&["mark", "star", &id_of(BREAD)]);
    t.ok(&["mark", "read", &id_of(PANS)]);
    query_is(&t, "starred or author:\"Ada\"", &[RUST, BREAD]);
    query_is(&t, "rust and not unread", &[PANS]);
    query_is(&t, "read", &[PANS]);
    let got = titles(&t.json(&["articles", "--json", "--unread", "--query", "rust"]));
    assert_eq!(got, set(&[RUST, PODCAST]));
    let got = titles(&t.json(&["articles", "--json", "--feed", "2", "--query", "rust"]));
    assert_eq!(got, set(&[PANS]));
    // --limit counts matches, newest first, and says how many more there are.
    let out = t.output(&["articles", "--query", "rust", "--limit", "1"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains(RUST), "the newest match first: {stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "... 2 more (use --limit N or --all)");
}

#[test]
fn filter_test_lists_what_matches_and_changes_nothing() {
    let t = setup();
    let unread_before = t.ok(&["unread"]);
    let out = t.output(&["filter", "test", "rust"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "3 articles match");
    // The same lines as `articles`.
    assert_eq!(String::from_utf8_lossy(&out.stdout), t.ok(&["articles", "--query", "rust"]));
    let json = t.json(&["filter", "test", "--json", "title:bread"]);
    assert_eq!(titles(&json), set(&[BREAD]));
    let none = t.output(&["filter", "test", "nothing-like-this"]);
    assert!(none.status.success() && none.stdout.is_empty());
    assert_eq!(String::from_utf8_lossy(&none.stderr).trim(), "0 articles match");
    assert_eq!(t.ok(&["unread"]), unread_before, "a test marks nothing");
}

#[test]
fn a_bad_expression_exits_2_with_its_column_and_a_caret() {
    let t = setup();
    for args in
        [vec!["articles", "--query", "unread and title:"], vec!["filter", "test", "unread and title:"]]
    {
        let out = t.output(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error at column 18: expected a value after \"title:\"\n  unread and title:\n                   ^\n"
        );
    }
    // Hostile input: 100,000 parentheses are an error, not a stack overflow.
    let out = t.output(&["articles", "--query", &"(".repeat(100_000)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error at column 4097: the expression is longer than 4096 characters"),
        "{stderr}"
    );
    let out = t.output(&["articles", "--query", &format!("{}x", "(".repeat(1000))]);
    assert_eq!(out.status.code(), Some(2));
    // Escape sequences in the expression do not reach the terminal.
    let out = t.output(&["articles", "--query", "\u{1b}]52;c;x\u{7} colour:red"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "{:?}", String::from_utf8_lossy(&out.stderr));
}

fn options() -> EngineOptions {
    EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: Duration::from_secs(10),
        build_search_index: false,
    }
}

fn matches(engine: &Engine, expr: &str) -> Vec<u64> {
    engine.matching_entries(&ArticleQuery::default(), expr).unwrap().iter().map(|e| e.id.0).collect()
}

#[test]
fn the_holder_and_a_client_give_the_same_matches() {
    let t = setup();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir: &Path = &t.data_dir();
    let holder = Engine::open(dir, options(), rt.handle().clone()).unwrap();
    let client = Engine::open(dir, options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder() && !client.is_holder());
    let shown: Vec<_> = holder.list_entries(&ArticleQuery::default()).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(shown.len(), 6);
    for expr in ["rust", "tag:tech and not content:sponsored", "has:enclosure or age<7d", "date<2026"] {
        let here = matches(&holder, expr);
        assert!(!here.is_empty(), "{expr} matches something");
        assert_eq!(here, matches(&client, expr), "{expr}: same answer through the socket");
        // The reader's question: which of the shown ids match, in the shown order.
        let ids: Vec<u64> = holder.matching_ids(&shown, expr).unwrap().iter().map(|id| id.0).collect();
        assert_eq!(ids, here, "{expr}: ids of the shown list");
        let ids: Vec<u64> = client.matching_ids(&shown, expr).unwrap().iter().map(|id| id.0).collect();
        assert_eq!(ids, here);
    }
    // A limit counts matches.
    let q = ArticleQuery { limit: Some(1), ..Default::default() };
    assert_eq!(client.matching_entries(&q, "rust").unwrap().len(), 1);
    // An expression that does not parse is refused with its one line, wherever it is held.
    let err = client.matching_entries(&ArticleQuery::default(), "title:").unwrap_err().to_string();
    assert_eq!(err, "error at column 7: expected a value after \"title:\"");
    let err = holder.matching_ids(&shown, "(").unwrap_err().to_string();
    assert!(err.starts_with("error at column 2: "), "{err}");
}

#[test]
fn the_readers_filter_prompt_takes_a_query_after_a_question_mark() {
    let t = setup();
    let mut screen = common::pty::Screen::spawn_sized(&t, 120, 30);
    screen.wait_for(&["Tech Weekly", "Kitchen Notes", RUST, CLOUD]);
    // Into the articles pane, then a query the store answers (the body is read there).
    screen.keys("\r");
    screen.keys("/?content:rust or has:images\r");
    screen.wait_until("only the two matches", |s| {
        let c = s.contents();
        c.contains(PODCAST) && c.contains(RUST) && !c.contains(CLOUD) && !c.contains("Crème")
    });
    // Esc drops it; a broken expression says where, in the status line.
    screen.keys("\x1b");
    screen.wait_for(&[CLOUD, PODCAST]);
    screen.keys("/?unread and title:\r");
    screen.wait_for(&["error at column 18: expected a value after \"title:\""]);
    screen.keys("\x1b");
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
}

#[test]
fn filters_act_on_new_articles_only_and_hide_for_good() {
    let t = Tidings::with_config(
        "[[filter]]\nquery = 'title:sponsored'\naction = \"hide\"\n\n\
         [[filter]]\nquery = 'feed:kitchen'\naction = \"mark-read\"\n\n\
         [[filter]]\nquery = 'author:ada'\naction = \"star\"\n",
    );
    let now = chrono::Utc::now().timestamp();
    let dir = t.dir.path();
    let tech = |extra: &[String]| {
        let mut items = vec![
            item(RUST, Some("Ada Lovelace"), now - DAY, "<p>Out.</p>", ""),
            item(CLOUD, None, now - 2 * DAY, "<p>Buy.</p>", ""),
        ];
        items.extend_from_slice(extra);
        feed("Tech Weekly", &items)
    };
    std::fs::write(dir.join("tech.xml"), tech(&[])).unwrap();
    std::fs::write(
        dir.join("kitchen.xml"),
        feed("Kitchen Notes", &[item(BREAD, None, now, "<p>Flour.</p>", "")]),
    )
    .unwrap();
    t.ok(&["add", dir.join("tech.xml").to_str().unwrap()]);
    t.ok(&["add", dir.join("kitchen.xml").to_str().unwrap()]);
    let flags = |t: &Tidings| -> std::collections::BTreeMap<String, (bool, bool)> {
        t.json(&["articles", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["title"].as_str().unwrap().to_owned(),
                    (a["read"].as_bool().unwrap(), a["starred"].as_bool().unwrap()),
                )
            })
            .collect()
    };
    let got = flags(&t);
    assert_eq!(got.get(RUST), Some(&(false, true)), "starred by the author filter: {got:?}");
    assert_eq!(got.get(BREAD), Some(&(true, false)), "read by the feed filter: {got:?}");
    assert!(!got.contains_key(CLOUD), "hidden: {got:?}");
    // An article changed by hand is not filtered again by the next refresh; a new one is, and
    // the hidden one does not come back.
    t.ok(&["mark", "unstar", &article_id(&t, RUST).to_string()]);
    std::fs::write(dir.join("tech.xml"), tech(&[item("Sponsored again", None, now, "<p>x</p>", "")]))
        .unwrap();
    t.ok(&["refresh"]);
    let got = flags(&t);
    assert_eq!(got.get(RUST), Some(&(false, false)), "{got:?}");
    assert!(!got.contains_key(CLOUD) && !got.contains_key("Sponsored again"), "{got:?}");
    assert_eq!(t.ok(&["unread"]).trim(), "1");
}

/// Each article's own tags, by title, from `articles --json`.
fn tags_by_title(t: &Tidings) -> std::collections::BTreeMap<String, Vec<String>> {
    let as_text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    t.json(&["articles", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (as_text(&a["title"]), a["tags"].as_array().unwrap().iter().map(as_text).collect()))
        .collect()
}

#[test]
fn a_tag_filter_tags_new_articles_and_tag_queries_find_them_across_refetches() {
    let t = Tidings::with_config(
        "[[filter]]\nquery = 'title:rust'\naction = \"tag:lang\"\n\n\
         [[filter]]\nquery = 'author:ada'\naction = \"tag:Ada\"\n",
    );
    let server = TestServer::start();
    let serve = |items: &[String]| {
        let body = feed("Tech Weekly", items);
        server.route("/tech.xml", Response::ok(body).content_type("application/rss+xml"));
    };
    let now = chrono::Utc::now().timestamp();
    let rust = |body: &str| item(RUST, Some("Ada Lovelace"), now - DAY, body, "");
    let bread = item(BREAD, None, now - 2 * DAY, "<p>Flour.</p>", "");
    serve(&[rust("<p>Out.</p>"), bread.clone()]);
    t.ok(&["add", &server.url("/tech.xml"), "--tag", "tech"]);
    let tags = tags_by_title(&t);
    assert_eq!(tags[RUST], ["Ada", "lang"], "{tags:?}");
    assert!(tags[BREAD].is_empty(), "{tags:?}");
    query_is(&t, "tag:lang", &[RUST]);
    query_is(&t, "tag:ADA and unread", &[RUST]);
    query_is(&t, "tag:tech", &[RUST, BREAD]);
    query_is(&t, "tag:tech and not tag:lang", &[BREAD]);
    assert_eq!(titles(&t.json(&["filter", "test", "tag:lang", "--json"])), set(&[RUST]));

    // The changed article is stored anew and keeps its tags; a new one is filtered.
    serve(&[rust("<p>Out, and revised.</p>"), bread, item(PANS, None, now, "<p>Cast iron.</p>", "")]);
    t.ok(&["refresh"]);
    let show = t.ok(&["show", &article_id(&t, RUST).to_string()]);
    assert!(show.contains("revised") && show.contains("Tags:   Ada, lang"), "{show}");
    let tags = tags_by_title(&t);
    assert_eq!(tags[RUST], ["Ada", "lang"], "{tags:?}");
    assert_eq!(tags[PANS], ["lang"], "{tags:?}");
    query_is(&t, "tag:lang", &[RUST, PANS]);
    // `search --json` gives the same objects, tags included.
    let hits = t.json(&["search", "revised", "--json"]);
    assert_eq!(hits[0]["tags"], serde_json::json!(["Ada", "lang"]), "{hits}");
    // A query feed of a tag counts the tagged articles.
    t.ok(&["query", "add", "Languages", "tag:lang"]);
    let list = t.json(&["query", "list", "--json"]);
    assert_eq!(
        (&list[0]["unread"], &list[0]["total"]),
        (&serde_json::json!(2), &serde_json::json!(2)),
        "{list}"
    );
    assert!(t.ok(&["check"]).contains("database is consistent"));

    // Removing the feed removes its articles' tags: `check` finds none left behind.
    t.ok(&["remove", "1"]);
    assert!(t.ok(&["check"]).contains("database is consistent"));
    query_is(&t, "tag:lang", &[]);
}

#[test]
fn query_counts_follow_a_refresh_that_tags_new_articles() {
    let server = TestServer::start();
    let now = chrono::Utc::now().timestamp();
    let serve = |items: &[String]| {
        let body = feed("Tech Weekly", items);
        server.route("/tech.xml", Response::ok(body).content_type("application/rss+xml"));
    };
    serve(&[item(RUST, None, now - DAY, "<p>Out.</p>", "")]);
    let t = Tidings::new();
    t.ok(&["add", &server.url("/tech.xml")]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let filter = tidings::query::Filter {
        query: tidings::query::Query::parse("title:rust").unwrap(),
        action: tidings::query::FilterAction::Tag("lang".into()),
    };
    let mut options = options();
    options.store.filters = vec![filter];
    let holder = Engine::open(&t.data_dir(), options, rt.handle().clone()).unwrap();
    assert!(holder.is_holder());
    let exprs = ["tag:lang".to_owned()];
    let counts = |engine: &Engine| engine.query_counts(&exprs).unwrap()[0].clone().unwrap();
    // Added before the filter existed: not tagged. The holder keeps this count...
    assert_eq!(counts(&holder).total, 0);
    serve(&[item(RUST, None, now - DAY, "<p>Out.</p>", ""), item(PANS, None, now, "<p>Iron.</p>", "")]);
    let request = tidings::engine::RefreshRequest { feeds: None, named: true };
    holder.refresh(request, &mut |_| {}).unwrap();
    // ...and drops it with the refresh that tagged an article.
    assert_eq!(counts(&holder), tidings::store::Counts { unread: 1, total: 1 });
}

#[test]
fn articles_tagged_by_hand_are_found_shown_and_untagged() {
    let t = setup();
    let (bread, pans) = (article_id(&t, BREAD).to_string(), article_id(&t, PANS).to_string());
    let both = format!("{bread},{pans}");
    // Cleaned like a feed's tags: control characters dropped, an empty one ignored.
    let out = t.ok(&["tag", &both, "later", "to\u{7}read", " "]);
    assert!(out.contains(&format!("tagged article {bread}: later, toread")), "{out}");
    assert!(out.contains(&format!("tagged article {pans}: later, toread")), "{out}");
    query_is(&t, "tag:later", &[BREAD, PANS]);
    // The feed's tags still count too.
    query_is(&t, "tag:later and tag:food", &[BREAD, PANS]);
    let show = t.ok(&["show", &bread]);
    assert!(show.contains("Tags:   later, toread"), "{show}");
    assert_eq!(tags_by_title(&t)[BREAD], ["later", "toread"]);
    // Tagging again changes nothing and says so.
    let out = t.ok(&["tag", &bread, "later"]);
    assert!(out.contains(&format!("unchanged article {bread}: later, toread")), "{out}");

    let out = t.output(&["untag", &bread, "later", "never-had"]);
    assert!(out.status.success());
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("untagged article {bread}: toread")), "{stdout}");
    assert!(stderr.contains(&format!("note: article {bread} had no tag never-had")), "{stderr}");
    query_is(&t, "tag:later", &[PANS]);
    t.ok(&["untag", &both, "later", "toread"]);
    query_is(&t, "tag:later or tag:toread", &[]);
    assert!(!t.ok(&["show", &bread]).contains("Tags:"));
    assert!(t.ok(&["check"]).contains("database is consistent"));

    // An unknown article: a clear error, and the known one is not tagged either.
    let out = t.output(&["tag", &format!("{bread},999"), "later"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no article 999; `tidings articles` lists them"), "{err}");
    query_is(&t, "tag:later", &[]);
    let out = t.output(&["tag", &bread, " "]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no tag given"));
    // A tag `tag:NAME` could not find unquoted is refused, like a filter's.
    let out = t.output(&["tag", &bread, "ok", "to:do"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("\"to:do\" cannot be a tag"), "{err}");
    query_is(&t, "tag:ok", &[]);
}

#[test]
fn query_counts_kept_by_the_holder_follow_tags_given_by_hand() {
    let t = setup();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let holder = Engine::open(&t.data_dir(), options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder());
    let mut events = holder.subscribe();
    // The first two come from the feeds' counters, the third (it tests a title) from a pass.
    let exprs =
        ["tag:later".to_owned(), "unread and tag:later".to_owned(), "tag:later and not title:zzz".to_owned()];
    let counts = || -> Vec<u64> {
        holder.query_counts(&exprs).unwrap().into_iter().map(|c| c.unwrap().total).collect()
    };
    // Counted once and kept by the holder...
    assert_eq!(counts(), [0, 0, 0]);
    holder.mark(&[tidings::model::ArticleId(article_id(&t, BREAD))], tidings::store::Mark::Read).unwrap();
    assert_eq!(counts(), [0, 0, 0]);
    // ...which a `tidings tag` in another process (through the socket) changes.
    let bread = article_id(&t, BREAD).to_string();
    let pans = article_id(&t, PANS).to_string();
    t.ok(&["tag", &format!("{bread},{pans}"), "later"]);
    assert_eq!(counts(), [2, 1, 2]);
    t.ok(&["untag", &pans, "later"]);
    assert_eq!(counts(), [1, 0, 1]);
    // The holder refuses a tag `tag:NAME` could not find, whoever asks.
    let id = tidings::model::ArticleId(article_id(&t, PANS));
    let err = holder.tag_articles(&[id], &["two words".to_owned()], &[]).unwrap_err().to_string();
    assert!(err.contains("\"two words\" cannot be a tag"), "{err}");
    assert_eq!(counts(), [1, 0, 1]);
    // A feed given a tag: its articles are counted again, and no other.
    t.ok(&["set", "2", "--tag", "later"]);
    assert_eq!(counts(), [2, 1, 2]);
    t.ok(&["set", "2", "--untag", "later"]);
    assert_eq!(counts(), [1, 0, 1]);
    assert_eq!(holder.query_count_passes(), Some(1), "tags and feed edits recount their feeds only");
    // Every watcher (a reader) hears of it.
    let mut heard = Vec::new();
    while let Ok(e) = events.try_recv() {
        heard.push(e.change);
    }
    assert_eq!(heard.iter().filter(|c| **c == tidings::engine::Change::Tags).count(), 2, "{heard:?}");
}

#[test]
fn query_counts_kept_by_a_holder_start_the_next_one_unless_something_else_wrote() {
    use tidings::store::Counts;
    let t = setup();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let exprs: Vec<String> = ["unread", "tag:tech or starred", "title:rust", "age<30d", "author:ada"]
        .iter()
        .map(|e| (*e).to_owned())
        .collect();
    let counts_and_passes = |kept: usize| {
        let engine = Engine::open(&t.data_dir(), options(), rt.handle().clone()).unwrap();
        assert!(engine.is_holder());
        let counts: Vec<Counts> =
            engine.query_counts(&exprs[..kept]).unwrap().into_iter().map(Result::unwrap).collect();
        let passes = engine.query_count_passes().unwrap();
        engine.close().unwrap();
        (counts, passes)
    };
    let all = |unread, total| Counts { unread, total };
    let (first, passes) = counts_and_passes(4);
    assert_eq!(first[..3], [all(6, 6), all(4, 4), all(2, 2)]);
    assert_eq!(passes, 1, "the first holder counts");

    // The next holder starts from what the first kept: no pass.
    assert_eq!(counts_and_passes(3), (first[..3].to_vec(), 0));
    // A time-dependent count too, for the minute its counts are good for.
    assert_eq!(counts_and_passes(4), (first.clone(), 0));
    // A query feed new in config.toml, counted by a holder that writes nothing: kept too.
    assert_eq!(counts_and_passes(5).1, 1);
    assert_eq!(counts_and_passes(5).1, 0);

    // A `tidings mark` holding the store itself starts from the kept counts, makes them
    // follow its mark, and keeps them again.
    let rust = article_id(&t, RUST).to_string();
    t.ok(&["mark", "read", &rust]);
    t.ok(&["mark", "star", &article_id(&t, PANS).to_string()]);
    let after_marks = [all(5, 5), all(4, 5), all(1, 2)];
    assert_eq!(counts_and_passes(3), (after_marks.to_vec(), 0));

    // A change by a process that keeps no counts (an older build; here the store itself)
    // hides them: counted afresh, and right.
    {
        let open = || tidings::store::Store::open(&t.data_dir(), &Default::default());
        let store = common::when_released(open).unwrap();
        store
            .mark(&[tidings::model::ArticleId(rust.parse().unwrap())], tidings::store::Mark::Unread)
            .unwrap();
        store.flush().unwrap();
    }
    assert_eq!(counts_and_passes(3), (vec![all(6, 6), all(5, 5), all(2, 2)], 1));
}

/// A cron `tidings refresh` between two readers, and the reader's own refreshes: the counts
/// follow the refreshed feeds, are kept, and no process makes a pass over every article again.
#[test]
fn query_counts_follow_refreshes_in_any_process_without_a_pass_over_every_article() {
    use tidings::store::Counts;
    let server = TestServer::start();
    let now = chrono::Utc::now().timestamp();
    let serve = |path: &str, title: &str, items: &[String]| {
        let body = feed(title, items);
        server.route(path, Response::ok(body).content_type("application/rss+xml"));
    };
    let mut tech = vec![item(RUST, Some("Ada"), now - DAY, "<p>Out.</p>", "")];
    let mut kitchen = vec![item(BREAD, None, now - DAY, "<p>Flour.</p>", ""), item(PANS, None, now, "", "")];
    serve("/tech.xml", "Tech Weekly", &tech);
    serve("/kitchen.xml", "Kitchen Notes", &kitchen);
    let t = Tidings::new();
    t.ok(&["add", &server.url("/tech.xml"), "--tag", "tech"]);
    t.ok(&["add", &server.url("/kitchen.xml"), "--tag", "food"]);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Each tests an article's text, so none comes from the feeds' counters.
    let exprs: Vec<String> = ["title:rust", "tag:food and not title:bread", "unread and not author:nobody"]
        .map(String::from)
        .into();
    let counts = |engine: &Engine| -> Vec<Counts> {
        engine.query_counts(&exprs).unwrap().into_iter().map(Result::unwrap).collect()
    };
    let all = |unread, total| Counts { unread, total };
    // What a pass over every article says, through `articles --query` (no counts kept there).
    let reference = || -> Vec<Counts> {
        exprs
            .iter()
            .map(|e| {
                let found = t.json(&["articles", "--json", "--query", e]);
                let found = found.as_array().unwrap();
                let unread = found.iter().filter(|a| a["read"] == false).count() as u64;
                all(unread, found.len() as u64)
            })
            .collect()
    };
    let refresh = tidings::engine::RefreshRequest { feeds: None, named: true };

    let reader = Engine::open(&t.data_dir(), options(), rt.handle().clone()).unwrap();
    assert!(reader.is_holder());
    assert_eq!(counts(&reader), [all(2, 2), all(1, 1), all(3, 3)]);
    // The reader's own refresh: the changed feed is counted again, alone.
    tech.push(item("Rust 2", None, now, "", ""));
    serve("/tech.xml", "Tech Weekly", &tech);
    reader.refresh(refresh.clone(), &mut |_| {}).unwrap();
    assert_eq!(counts(&reader), [all(3, 3), all(1, 1), all(4, 4)]);
    assert_eq!(counts(&reader), reference());
    assert_eq!(reader.query_count_passes(), Some(1), "a refresh recounts the feeds it wrote only");
    reader.close().unwrap();
    drop(reader);

    // A cron refresh holds the store alone: it starts from the kept counts, makes them follow
    // the feed it wrote, and keeps them.
    kitchen.push(item("Rusty knives", None, now, "", ""));
    serve("/kitchen.xml", "Kitchen Notes", &kitchen);
    t.ok(&["refresh"]);
    let next = Engine::open(&t.data_dir(), options(), rt.handle().clone()).unwrap();
    assert!(next.is_holder());
    assert_eq!(counts(&next), [all(4, 4), all(2, 2), all(5, 5)]);
    assert_eq!(next.query_count_passes(), Some(0), "the cron refresh kept them up to date");
    assert_eq!(counts(&next), reference());
}

fn article_id(t: &Tidings, title: &str) -> u64 {
    let all = t.json(&["articles", "--json"]);
    let found = all.as_array().unwrap().iter().find(|a| a["title"] == title);
    found.unwrap_or_else(|| panic!("no article {title:?} in {all}"))["id"].as_u64().unwrap()
}

#[test]
fn a_bad_filter_or_query_feed_in_config_is_refused_with_its_line() {
    for (config, expected) in [
        ("[[filter]]\nquery = 'title:'\naction = \"hide\"\n", "line 2"),
        ("[[filter]]\nquery = 'title:x'\naction = \"delete\"\n", "the actions are mark-read, star, hide"),
        ("\n[[query]]\nname = \"x\"\nquery = 'unread and ('\n", "line 4"),
    ] {
        let t = Tidings::with_config(config);
        let out = t.output(&["unread"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{config:?}: {err}");
    }
}

#[test]
fn query_feeds_from_config_and_the_command_line_are_listed_with_live_counts() {
    let t = setup();
    std::fs::write(t.config_path(), "[[query]]\nname = \"Rusty\"\nquery = 'title:rust'\n").unwrap();
    t.ok(&["query", "add", "Unread food", "unread and tag:food"]);
    let out = t.output(&["query", "add", "Rusty", "unread"]);
    assert!(!out.status.success(), "a name config.toml has");
    let out = t.output(&["query", "add", "Broken", "title:"]);
    assert_eq!(out.status.code(), Some(2));
    let list = t.json(&["query", "list", "--json"]);
    let rows: Vec<(String, u64, u64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let name = q["name"].as_str().unwrap().to_owned();
            let origin = q["defined_in"].as_str().unwrap().to_owned();
            (name, q["unread"].as_u64().unwrap(), q["total"].as_u64().unwrap(), origin)
        })
        .collect();
    assert_eq!(
        rows,
        vec![("Rusty".into(), 2, 2, "config".into()), ("Unread food".into(), 2, 2, "database".into())]
    );
    t.ok(&["mark", "read", &article_id(&t, PANS).to_string()]);
    let list = t.json(&["query", "list", "--json"]);
    assert_eq!(list[0]["unread"], 1);
    assert_eq!(list[1]["unread"], 1);
    t.ok(&["query", "remove", "Unread food"]);
    assert!(!t.output(&["query", "remove", "Rusty"]).status.success(), "config.toml's is removed there");
    assert_eq!(t.json(&["query", "list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn the_reader_lists_query_feeds_first_and_counts_them_after_each_mark() {
    let t = setup();
    t.ok(&["query", "add", "Rusty", "unread and title:rust"]);
    let mut screen = common::pty::Screen::spawn_sized(&t, 120, 30);
    screen.wait_for(&["?Rusty", " 2/2", "Tech Weekly"]);
    // The query feed is the first row; its list is every matching article of every feed.
    screen.keys("g");
    screen.wait_until("the query's articles", |s| {
        let c = s.contents();
        c.contains(RUST) && c.contains(PANS) && !c.contains(CLOUD) && !c.contains(BREAD)
    });
    screen.keys("\r");
    screen.keys("m");
    screen.wait_for(&["?Rusty", " 1/1"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
}

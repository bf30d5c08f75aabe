//! `subscriptions::newsboat::read` on newsboat-shaped directories (a urls file and a cache.db
//! made here with newsboat's own schema), and `Store::import_flags` applying what it read to a
//! real store whose feeds were fetched from documents with the same guids.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection};
use tidings::model::FeedId;
use tidings::store::{
    ArticleQuery, FeedUpdate, FetchRecord, FetchResult, Flags, NewFeed, Store, StoreSettings,
};
use tidings::subscriptions::newsboat::{self, NewsboatError, NewsboatImport};

/// The schema of a cache.db made by newsboat 2.21.0 (Debian 12), as `sqlite3 cache.db .schema`
/// prints it; its `metadata` row says 2.11.
const NEWSBOAT_2_21_SCHEMA: &str = r#"
CREATE TABLE rss_feed (  rssurl VARCHAR(1024) PRIMARY KEY NOT NULL,  url VARCHAR(1024) NOT NULL,  title VARCHAR(1024) NOT NULL , lastmodified INTEGER(11) NOT NULL DEFAULT 0, is_rtl INTEGER(1) NOT NULL DEFAULT 0, etag VARCHAR(128) NOT NULL DEFAULT "");
CREATE TABLE rss_item (  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,  guid VARCHAR(64) NOT NULL,  title VARCHAR(1024) NOT NULL,  author VARCHAR(1024) NOT NULL,  url VARCHAR(1024) NOT NULL,  feedurl VARCHAR(1024) NOT NULL,  pubDate INTEGER NOT NULL,  content VARCHAR(65535) NOT NULL, unread INTEGER(1) NOT NULL , enclosure_url VARCHAR(1024), enclosure_type VARCHAR(1024), enqueued INTEGER(1) NOT NULL DEFAULT 0, flags VARCHAR(52), deleted INTEGER(1) NOT NULL DEFAULT 0, base VARCHAR(128) NOT NULL DEFAULT "");
CREATE TABLE google_replay (  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,  guid VARCHAR(64) NOT NULL,  state INTEGER NOT NULL,  ts INTEGER NOT NULL );
CREATE INDEX idx_rssurl ON rss_feed(rssurl);
CREATE INDEX idx_guid ON rss_item(guid);
CREATE INDEX idx_feedurl ON rss_item(feedurl);
CREATE INDEX idx_lastmodified ON rss_feed(lastmodified);
CREATE INDEX idx_deleted ON rss_item(deleted);
CREATE TABLE metadata (  db_schema_version_major INTEGER NOT NULL,  db_schema_version_minor INTEGER NOT NULL );
INSERT INTO metadata VALUES (2, 11);
"#;

const FEED_A: &str = "https://a.example/feed.xml";
const FEED_B: &str = "https://b.example/atom";

/// The urls file: tags, a `~title`, a hidden tag, a query feed and an exec feed. Feed B is
/// written with an upper-case host, as a user might; the cache repeats it the same way.
const URLS: &str = concat!(
    "# my feeds\n",
    "https://a.example/feed.xml news \"~My A\"\n",
    "https://B.example/atom tech !hidden\n",
    "\"query:Unread:unread = \\\"yes\\\"\" q\n",
    "exec:~/bin/make-feed\n",
);

const RSS_A: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Feed A</title><link>https://a.example/</link>
<item><title>A one</title><link>https://a.example/1</link><guid isPermaLink="false">urn:a:1</guid><description>one</description></item>
<item><title>A two</title><link>https://a.example/2</link><guid>https://a.example/2</guid><description>two</description></item>
<item><title>A three</title><link>https://a.example/3</link><description>no guid: newsboat uses the link</description></item>
<item><title>A four</title><description>no guid, no link: newsboat uses the title</description></item>
<item><title>A six</title><link>https://a.example/6</link><guid>urn:a:6</guid><description>six</description></item>
</channel></rss>"#;

const ATOM_B: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed B</title><id>urn:b</id><updated>2024-01-02T00:00:00Z</updated>
<entry><title>B one</title><id>tag:b,2024:1</id><link href="https://b.example/1"/><updated>2024-01-01T00:00:00Z</updated><summary>s</summary></entry>
<entry><title>B two</title><id>tag:b,2024:2</id><link href="https://b.example/2"/><updated>2024-01-02T00:00:00Z</updated><summary>s</summary></entry>
</feed>"#;

struct Row<'a> {
    feed: &'a str,
    guid: &'a str,
    unread: i64,
    flags: Option<&'a str>,
    deleted: i64,
}

fn row<'a>(feed: &'a str, guid: &'a str, unread: i64, flags: Option<&'a str>, deleted: i64) -> Row<'a> {
    Row { feed, guid, unread, flags, deleted }
}

/// The rows as newsboat writes them (see the module comment of `newsboat.rs`).
fn rows() -> Vec<Row<'static>> {
    vec![
        row(FEED_A, "urn:a:1", 0, Some("s"), 0),
        row(FEED_A, "https://a.example/2", 0, Some(""), 1),
        row(FEED_A, "https://a.example/3", 1, Some("Asz"), 0),
        row(FEED_A, "A four", 0, None, 0),
        row(FEED_A, "urn:a:5", 0, None, 0),
        row(FEED_A, "urn:a:6", 1, None, 0),
        row("https://B.example/atom", "tag:b,2024:1", 0, None, 0),
        row("https://B.example/atom", "tag:b,2024:2", 1, Some(""), 0),
        row("https://gone.example/feed", "urn:gone:1", 0, Some("s"), 0),
        row("exec:~/bin/make-feed", "urn:exec:1", 0, None, 0),
    ]
}

fn make_cache(path: &Path, rows: &[Row<'_>]) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(NEWSBOAT_2_21_SCHEMA).unwrap();
    for r in rows {
        conn.execute(
            "INSERT INTO rss_item (guid, title, author, url, feedurl, pubDate, content, unread, flags, deleted) \
             VALUES (?1, 'title', '', '', ?2, 0, '', ?3, ?4, ?5)",
            params![r.guid, r.feed, r.unread, r.flags, r.deleted],
        )
        .unwrap();
    }
}

fn newsboat_dir(rows: &[Row<'_>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), URLS).unwrap();
    make_cache(&dir.path().join("cache.db"), rows);
    dir
}

fn now() -> i64 {
    1_710_000_000
}

/// A store subscribed to the import's feeds, each fetched once from its document.
fn fetched_store(dir: &Path, import: &NewsboatImport) -> Store {
    let store = Store::open(dir, &StoreSettings::default()).unwrap();
    for sub in &import.list.subscriptions {
        let (id, _) = store
            .add_feed(NewFeed {
                url: sub.url.clone(),
                title: sub.title.clone(),
                tags: sub.tags.clone(),
                ..Default::default()
            })
            .unwrap();
        let doc = if sub.url == FEED_A { RSS_A } else { ATOM_B };
        let parsed = tidings::parse::parse_feed(doc.as_bytes(), None, &sub.url).unwrap();
        let result = FetchResult::Updated(FeedUpdate::from_parsed(parsed));
        store.apply_fetch(id, result, FetchRecord::default(), &StoreSettings::default(), now()).unwrap();
    }
    store
}

/// What the CLI does: each feed's states, by the store's feed id.
fn states_for(
    store: &Store,
    import: &NewsboatImport,
) -> Vec<(FeedId, Vec<tidings::model::ArticleKey>, Flags)> {
    let mut out = Vec::new();
    for feed in &import.feeds {
        let id = store.resolve_feed(&feed.url).unwrap().id;
        out.extend(feed.articles.iter().map(|a| (id, a.identity_keys(), a.flags())));
    }
    out
}

fn flags_by_title(store: &Store, url: &str) -> Vec<(String, bool, bool)> {
    let feed = store.resolve_feed(url).unwrap().id;
    let mut v: Vec<(String, bool, bool)> = store
        .articles(&ArticleQuery { feed: Some(feed), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|a| (a.meta.title.clone(), a.flags.read, a.flags.starred))
        .collect();
    v.sort();
    v
}

fn assert_consistent(store: &Store) {
    let rep = store.check().unwrap();
    assert!(rep.problems.is_empty(), "integrity problems: {:?}", rep.problems);
}

#[test]
fn read_and_starred_tags_and_titles_carry_over() {
    let nb = newsboat_dir(&rows());
    let import = newsboat::read(nb.path()).unwrap();

    // urls: tags, titles, the hidden tag kept without its `!`, the host normalised.
    let subs: Vec<(&str, Option<&str>, Vec<&str>)> = import
        .list
        .subscriptions
        .iter()
        .map(|s| (s.url.as_str(), s.title.as_deref(), s.tags.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(subs, [(FEED_A, Some("My A"), vec!["news"]), (FEED_B, None, vec!["tech", "hidden"])]);
    assert_eq!(import.queries.len(), 1);
    assert_eq!(
        (import.queries[0].name.as_str(), import.queries[0].expression.as_str()),
        ("Unread", "unread = \"yes\"")
    );
    assert_eq!(import.queries[0].tags, ["q"]);
    let skipped: Vec<&str> =
        import.list.skipped.iter().map(|s| s.reason.split(' ').next().unwrap_or("")).collect();
    assert_eq!(skipped, ["query:", "exec:"]);
    assert!(import.notes.is_empty(), "{:?}", import.notes);
    assert_eq!(import.cache_path.as_deref(), Some(nb.path().join("cache.db").as_path()));

    // cache.db: unread rows without flags are not even loaded.
    let s = &import.stats;
    assert_eq!((s.rows, s.read, s.flagged, s.deleted, s.other_feeds, s.unusable), (8, 5, 2, 1, 2, 0));
    assert_eq!(
        s.flag_letters.iter().map(|(c, n)| (*c, *n)).collect::<Vec<_>>(),
        [('A', 1), ('s', 2), ('z', 1)]
    );
    let per_feed: Vec<(&str, usize)> =
        import.feeds.iter().map(|f| (f.url.as_str(), f.articles.len())).collect();
    assert_eq!(per_feed, [(FEED_A, 5), (FEED_B, 1)]);

    let data = tempfile::tempdir().unwrap();
    let store = fetched_store(data.path(), &import);
    assert_eq!(store.unread_total().unwrap(), 7);
    let states = states_for(&store, &import);
    let report = store.import_flags(&states).unwrap();
    // Not found: "A four" (newsboat knows it by title only) and urn:a:5 (not fetched here).
    assert_eq!((report.matched, report.changed, report.not_found), (4, 4, 2));
    assert_eq!(
        flags_by_title(&store, FEED_A),
        [
            ("A four".to_string(), false, false),
            ("A one".to_string(), true, true),
            ("A six".to_string(), false, false),
            ("A three".to_string(), false, true),
            ("A two".to_string(), true, false),
        ]
    );
    assert_eq!(
        flags_by_title(&store, FEED_B),
        [("B one".to_string(), true, false), ("B two".to_string(), false, false)]
    );
    assert_eq!(store.unread_total().unwrap(), 4);
    assert_consistent(&store);
    let a = store.resolve_feed(FEED_A).unwrap();
    assert_eq!(
        (a.custom_title.as_deref(), a.tags.as_slice()),
        (Some("My A"), ["news".to_string()].as_slice())
    );

    // Importing again changes nothing; nor does it clear what was read here since.
    let again = store.import_flags(&states).unwrap();
    assert_eq!((again.matched, again.changed, again.not_found), (4, 0, 2));
    assert_eq!(store.unread_total().unwrap(), 4);
    assert_consistent(&store);
}

#[test]
fn duplicate_rows_count_once_in_the_counters() {
    let nb = newsboat_dir(&[row(FEED_A, "urn:a:1", 0, None, 0), row(FEED_A, "urn:a:1", 0, Some("s"), 0)]);
    let import = newsboat::read(nb.path()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = fetched_store(data.path(), &import);
    let report = store.import_flags(&states_for(&store, &import)).unwrap();
    assert_eq!((report.matched, report.changed), (2, 2));
    assert_eq!(store.unread_total().unwrap(), 6);
    assert_consistent(&store);
}

#[test]
fn without_a_cache_the_subscriptions_still_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), URLS).unwrap();
    let import = newsboat::read(dir.path()).unwrap();
    assert_eq!(import.list.subscriptions.len(), 2);
    assert!(import.feeds.is_empty() && import.cache_path.is_none());
    assert_eq!(import.notes.len(), 1);
    assert!(
        import.notes[0].contains("no cache.db") && import.notes[0].contains("without read and flagged state")
    );
}

#[test]
fn the_xdg_layout_finds_the_cache_in_the_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/newsboat");
    let data = home.path().join(".local/share/newsboat");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(config.join("urls"), URLS).unwrap();
    make_cache(&data.join("cache.db"), &rows());
    // XDG_DATA_HOME, if the environment sets it, points elsewhere and holds no cache.
    let import = newsboat::read(&config).unwrap();
    assert_eq!(import.cache_path.as_deref(), Some(data.join("cache.db").as_path()));
    assert_eq!(import.feeds.len(), 2);
}

#[test]
fn a_cache_that_is_not_newsboats_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), URLS).unwrap();
    let cache = dir.path().join("cache.db");

    std::fs::write(&cache, "this is a text file, not a database\n".repeat(200)).unwrap();
    let err = newsboat::read(dir.path()).unwrap_err();
    assert!(matches!(err, NewsboatError::NotACache { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("not an SQLite database") && msg.contains("move that file aside"), "{msg}");

    // An empty file is an empty database to SQLite: no rss_item table.
    std::fs::write(&cache, "").unwrap();
    let msg = newsboat::read(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("no rss_item table"), "{msg}");

    // Another program's database.
    std::fs::remove_file(&cache).unwrap();
    Connection::open(&cache)
        .unwrap()
        .execute_batch("CREATE TABLE rss_item (id INTEGER, title TEXT);")
        .unwrap();
    let msg = newsboat::read(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("no rss_item table with guid, feedurl and unread columns"), "{msg}");
}

#[test]
fn a_missing_or_wrong_directory_says_where_to_look() {
    let dir = tempfile::tempdir().unwrap();
    let err = newsboat::read(dir.path()).unwrap_err();
    assert!(matches!(err, NewsboatError::NoUrls(_)), "{err:?}");
    assert!(err.to_string().contains("~/.config/newsboat"), "{err}");
    let file = dir.path().join("urls.txt");
    std::fs::write(&file, "http://a/\n").unwrap();
    assert!(matches!(newsboat::read(&file), Err(NewsboatError::NotADirectory(_))));
    std::fs::write(dir.path().join("urls"), "{\"feeds\": []}\n").unwrap();
    let err = newsboat::read(dir.path()).unwrap_err();
    assert!(err.to_string().contains("urls") && err.to_string().contains("not a feed URL"), "{err}");
}

#[test]
fn odd_and_oversized_rows_are_skipped_not_loaded() {
    let long_guid = "x".repeat(5000);
    let nb = newsboat_dir(&[
        row(FEED_A, &long_guid, 0, None, 0),
        row(FEED_A, "  ", 0, None, 0),
        row(FEED_A, "urn:a:1", 0, None, 0),
    ]);
    // Values of the wrong type, as a damaged or hand-edited cache may hold.
    let conn = Connection::open(nb.path().join("cache.db")).unwrap();
    conn.execute_batch(
        "INSERT INTO rss_item (guid, title, author, url, feedurl, pubDate, content, unread, flags, deleted) \
         VALUES (x'75726e3a613a36', '', '', '', 'https://a.example/feed.xml', 0, '', 0, 7, 'yes');",
    )
    .unwrap();
    drop(conn);
    let import = newsboat::read(nb.path()).unwrap();
    assert_eq!(import.stats.unusable, 2);
    let mut articles = import.feeds[0].articles.clone();
    articles.sort_by(|a, b| a.guid.cmp(&b.guid));
    let guids: Vec<&str> = articles.iter().map(|a| &*a.guid).collect();
    assert_eq!(guids, ["urn:a:1", "urn:a:6"]);
    // A flags value that holds no letter is no flag.
    assert_eq!(articles[1].flags(), Flags { read: true, starred: false });
}

#[test]
fn a_cache_being_written_is_read_without_waiting_long_and_without_writing() {
    let nb = newsboat_dir(&rows());
    let cache = nb.path().join("cache.db");
    let before_mtime = std::fs::metadata(&cache).unwrap().modified().unwrap();

    // newsboat mid-reload with changes not committed yet: readers see the committed state.
    let writer = Connection::open(&cache).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE; UPDATE rss_item SET unread = 0, flags = 'x';").unwrap();
    let import = newsboat::read_waiting(nb.path(), Duration::from_millis(200)).unwrap();
    assert!(import.notes.is_empty(), "{:?}", import.notes);
    assert_eq!(import.stats.read, 5);
    writer.execute_batch("ROLLBACK").unwrap();

    // newsboat holding the write lock (committing): read as it is on disk, with a note.
    writer.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let import = newsboat::read_waiting(nb.path(), Duration::from_millis(200)).unwrap();
    assert_eq!(import.stats.read, 5);
    assert_eq!(import.notes.len(), 1);
    assert!(import.notes[0].contains("quit newsboat and import again"), "{:?}", import.notes);
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);

    // Reading wrote nothing: no journal, WAL or shm file appeared, the file is untouched.
    let mut names: Vec<String> = std::fs::read_dir(nb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["cache.db", "urls"]);
    assert_eq!(std::fs::metadata(&cache).unwrap().modified().unwrap(), before_mtime);
}

#[test]
fn a_hot_journal_left_by_a_crash_does_not_stop_the_import() {
    // A journal that only a writer can roll back: the file is read as it is, with a note.
    let nb = newsboat_dir(&rows());
    let cache = nb.path().join("cache.db");
    let writer = Connection::open(&cache).unwrap();
    // A tiny page cache makes the uncommitted change spill into the file, as a long reload
    // does; a copy of the file and its journal taken now is what a crash leaves behind.
    writer
        .execute_batch(
            "PRAGMA cache_size = 1; BEGIN; \
             UPDATE rss_item SET content = hex(randomblob(20000)) WHERE guid = 'urn:a:6';",
        )
        .unwrap();
    let crashed = tempfile::tempdir().unwrap();
    std::fs::write(crashed.path().join("urls"), URLS).unwrap();
    std::fs::copy(&cache, crashed.path().join("cache.db")).unwrap();
    let journal = nb.path().join("cache.db-journal");
    assert!(journal.exists(), "the writer has a journal");
    std::fs::copy(&journal, crashed.path().join("cache.db-journal")).unwrap();
    writer.execute_batch("ROLLBACK").unwrap();

    let import = newsboat::read_waiting(crashed.path(), Duration::from_millis(200)).unwrap();
    assert_eq!(import.notes.len(), 1, "{:?}", import.notes);
    assert_eq!(import.stats.read, 5);
    assert!(
        crashed.path().join("cache.db-journal").exists(),
        "the journal is left for newsboat to roll back"
    );
}

/// The whole path a newsboat user takes, with the real binary: import the directory
/// (subscriptions), refresh, import again (the flags), and nothing twice on a third run.
#[test]
fn import_newsboat_from_the_command_line() {
    use common::cli::Tidings;
    use common::server::{Response, TestServer};
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(RSS_A));
    let url = server.url("/a.xml");
    let nb = tempfile::tempdir().unwrap();
    std::fs::write(
        nb.path().join("urls"),
        format!(
            "{url} news \"~My A\"\n\"query:Unread:unread = \\\"yes\\\"\"\n\
             \"query:Rust news:title =~ \\\"rust\\\" and tags # \\\"news\\\"\"\n\
             \"query:Anchored:title =~ \\\"^Rust\\\"\"\n"
        ),
    )
    .unwrap();
    make_cache(
        &nb.path().join("cache.db"),
        &[
            row(&url, "urn:a:1", 0, Some("s"), 0),
            row(&url, "https://a.example/2", 0, None, 1),
            row(&url, "urn:a:6", 1, None, 0),
        ],
    );
    let dir = nb.path().to_str().unwrap();
    let t = Tidings::new();
    let first = t.ok(&["import", "--newsboat", dir]);
    assert!(first.contains("1 added"), "{first}");
    // Query feeds come along, translated; what has no equivalent is named.
    assert!(first.contains("query feed \"Unread\": unread"), "{first}");
    assert!(first.contains("skipped query feed \"Anchored\""), "{first}");
    assert!(first.contains("regular expression"), "{first}");
    let queries = t.json(&["query", "list", "--json"]);
    let names: Vec<(&str, &str)> = queries
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["name"].as_str().unwrap(), q["query"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("Unread", "unread"), ("Rust news", "(title:\"rust\" and tag:\"news\")")]);
    assert!(first.contains("not here yet"), "nothing fetched yet: {first}");
    t.ok(&["refresh"]);
    let second = t.ok(&["import", "--newsboat", dir]);
    assert!(second.contains("0 added, 1 already present"), "{second}");
    assert!(second.contains("2 marked read, 1 starred"), "{second}");
    let third = t.ok(&["import", "--newsboat", dir]);
    assert!(third.contains("0 marked read, 0 starred"), "nothing twice: {third}");
    let feeds = t.json(&["feeds", "--json"]);
    assert_eq!(feeds[0]["title"].as_str(), Some("My A"));
    assert_eq!(feeds[0]["tags"], serde_json::json!(["news"]));
    let articles = t.json(&["articles", "--json"]);
    let flags: Vec<(String, bool, bool)> = articles
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["read"].as_bool().unwrap(),
                a["starred"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(flags.contains(&("A one".into(), true, true)), "{flags:?}");
    assert!(flags.contains(&("A two".into(), true, false)), "deleted counts as read: {flags:?}");
    assert!(flags.contains(&("A six".into(), false, false)), "{flags:?}");
    assert!(t.ok(&["check"]).contains("database is consistent"));
}

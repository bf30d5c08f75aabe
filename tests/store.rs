//! The store on a real sled database in a temp dir: identity, updates, flags, counters,
//! retention, fetch log, removal, locking, and the integrity check after each.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;
use chrono::{TimeZone, Utc};
use tidings::model::{ArticleId, ArticleKey, FeedId, ParsedArticle};
use tidings::store::{
    ArticleQuery, FeedUpdate, FetchRecord, FetchResult, ListEntry, Mark, NewFeed, PreparedArticle, Store,
    StoreError, StoreSettings, FETCH_LOG_LEN,
};

fn article(n: u8, title: &str, day: u32) -> ParsedArticle {
    ParsedArticle {
        key: ArticleKey([n; 16]),
        guid: Some(format!("guid-{n}")),
        title: title.to_owned(),
        link: Some(format!("https://example.org/{n}")),
        author: Some("Ann".into()),
        date: Some(Utc.with_ymd_and_hms(2024, 3, day, 12, 0, 0).unwrap()),
        content_html: format!("<p>body of {title}</p>"),
        images: vec!["https://example.org/i.png".into()],
        ..Default::default()
    }
}

fn update(articles: Vec<ParsedArticle>) -> FetchResult {
    FetchResult::Updated(FeedUpdate {
        feed_title: "Example".into(),
        site_link: Some("https://example.org/".into()),
        etag: Some("\"e1\"".into()),
        last_modified: None,
        moved_to: None,
        articles: articles.into_iter().map(PreparedArticle::new).collect(),
    })
}

fn now() -> i64 {
    Utc.with_ymd_and_hms(2024, 3, 30, 0, 0, 0).unwrap().timestamp()
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, &StoreSettings::default()).unwrap()
}

fn add(store: &Store, url: &str) -> FeedId {
    store.add_feed(NewFeed { url: url.into(), tags: vec!["news".into()], ..Default::default() }).unwrap().0
}

fn assert_consistent(store: &Store) {
    let rep = store.check().unwrap();
    assert!(rep.problems.is_empty(), "integrity problems: {:?}", rep.problems);
}

fn apply(store: &Store, feed: FeedId, result: FetchResult) -> tidings::store::ApplyStats {
    store.apply_fetch(feed, result, FetchRecord::default(), &StoreSettings::default(), now()).unwrap()
}

#[test]
fn refetch_never_duplicates_and_keeps_flags() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let s = apply(&store, feed, update(vec![article(1, "one", 1), article(2, "two", 2)]));
    assert_eq!((s.new, s.updated, s.total), (2, 0, 2));
    assert_eq!(store.unread_total().unwrap(), 2);

    let list = store.articles(&ArticleQuery { feed: Some(feed), ..Default::default() }).unwrap();
    assert_eq!(list.iter().map(|a| a.meta.title.as_str()).collect::<Vec<_>>(), ["two", "one"]);
    let one = list[1].meta.id;
    assert_eq!(store.mark(&[one], Mark::Read).unwrap(), vec![one]);
    assert_eq!(store.mark(&[one], Mark::Read).unwrap(), vec![], "already read: no change");
    assert_eq!(store.unread_total().unwrap(), 1);

    // Same document again: nothing new, nothing updated, the read flag stays.
    let s = apply(&store, feed, update(vec![article(1, "one", 1), article(2, "two", 2)]));
    assert_eq!((s.new, s.updated, s.total), (0, 0, 2));
    assert!(store.article(one).unwrap().unwrap().flags.read);

    // Article one changes: it takes the new content and keeps its flag.
    let s = apply(&store, feed, update(vec![article(1, "one, revised", 1), article(2, "two", 2)]));
    assert_eq!((s.new, s.updated), (0, 1));
    let a = store.article(one).unwrap().unwrap();
    assert_eq!(a.meta.title, "one, revised");
    assert!(a.flags.read);
    let body = store.body(one).unwrap().unwrap();
    assert_eq!(body.html, "<p>body of one, revised</p>");
    assert_eq!(body.images, ["https://example.org/i.png"]);
    assert_eq!(a.meta.image_count, 1);
    assert_eq!(store.counts(feed).unwrap().unread, 1);
    assert_consistent(&store);
}

/// The summary is stored with the body, and counts in the content hash only when there is
/// one: articles without one keep the hash (no article is rewritten by the upgrade that
/// brought summaries), a summary that appears or changes updates the article (flags kept),
/// and a refetch of the same summary changes nothing.
#[test]
fn the_summary_is_stored_and_a_changed_one_updates_the_article() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let plain = article(1, "one", 1);
    let hash = |a: &ParsedArticle| PreparedArticle::new(a.clone()).content_hash;
    let with = |summary: &str| ParsedArticle { summary_html: Some(summary.into()), ..article(1, "one", 1) };
    assert_ne!(hash(&plain), hash(&with("<p>teaser</p>")));
    assert_ne!(hash(&with("<p>teaser</p>")), hash(&with("<p>other</p>")));

    let s = apply(&store, feed, update(vec![plain.clone()]));
    assert_eq!((s.new, s.updated), (1, 0));
    let id = store.articles(&ArticleQuery::default()).unwrap()[0].meta.id;
    assert_eq!(store.body(id).unwrap().unwrap().summary, None);
    store.mark(&[id], Mark::Read).unwrap();

    let s = apply(&store, feed, update(vec![with("<p>teaser</p>")]));
    assert_eq!((s.new, s.updated), (0, 1), "a summary that appears is stored");
    let body = store.body(id).unwrap().unwrap();
    assert_eq!((body.html.as_str(), body.summary.as_deref()), ("<p>body of one</p>", Some("<p>teaser</p>")));
    assert!(store.article(id).unwrap().unwrap().flags.read, "an update keeps the read mark");

    let s = apply(&store, feed, update(vec![with("<p>teaser</p>")]));
    assert_eq!((s.new, s.updated), (0, 0));
    let s = apply(&store, feed, update(vec![with("<p>teaser, revised</p>")]));
    assert_eq!((s.new, s.updated), (0, 1));
    assert_eq!(store.body(id).unwrap().unwrap().summary.as_deref(), Some("<p>teaser, revised</p>"));
    assert_consistent(&store);
}

#[test]
fn duplicate_guids_in_one_document_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let s = apply(&store, feed, update(vec![article(7, "first", 1), article(7, "second", 2)]));
    assert_eq!((s.new, s.total), (1, 1));
    assert_consistent(&store);
}

#[test]
fn a_missing_date_becomes_first_seen_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let mut a = article(3, "undated", 1);
    a.date = None;
    apply(&store, feed, update(vec![a.clone()]));
    let got = store.articles(&ArticleQuery::default()).unwrap();
    assert_eq!(got[0].meta.date, now());
    assert!(!got[0].meta.date_from_feed);
    a.title = "undated, edited".into();
    store
        .apply_fetch(feed, update(vec![a]), FetchRecord::default(), &StoreSettings::default(), now() + 500)
        .unwrap();
    assert_eq!(store.articles(&ArticleQuery::default()).unwrap()[0].meta.date, now());
    assert_consistent(&store);
}

#[test]
fn marking_updates_counters_and_mark_all_is_per_feed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = add(&store, "https://a.example/feed");
    let b = add(&store, "https://b.example/feed");
    apply(&store, a, update(vec![article(1, "a1", 1), article(2, "a2", 2)]));
    apply(&store, b, update(vec![article(1, "b1", 3)]));
    assert_eq!(store.unread_total().unwrap(), 3);
    let changed = store.mark_all_read(Some(a)).unwrap();
    assert_eq!(changed.len(), 2);
    assert_eq!(store.counts(a).unwrap().unread, 0);
    assert_eq!(store.counts(b).unwrap().unread, 1);
    // Undo is marking the same ids unread.
    store.mark(&changed, Mark::Unread).unwrap();
    assert_eq!(store.counts(a).unwrap().unread, 2);
    let starred = store.articles(&ArticleQuery { feed: Some(b), ..Default::default() }).unwrap()[0].meta.id;
    store.mark(&[starred], Mark::Star).unwrap();
    let list = store.articles(&ArticleQuery { starred_only: true, ..Default::default() }).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].meta.title, "b1");
    assert!(store.mark(&[ArticleId(9999)], Mark::Read).unwrap().is_empty());
    assert_consistent(&store);
}

#[test]
fn marking_several_feeds_read_returns_every_id_for_one_undo() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = add(&store, "https://a.example/feed");
    let b = add(&store, "https://b.example/feed");
    let c = add(&store, "https://c.example/feed");
    apply(&store, a, update(vec![article(1, "a1", 1), article(2, "a2", 2)]));
    apply(&store, b, update(vec![article(1, "b1", 3)]));
    apply(&store, c, update(vec![article(1, "c1", 4)]));
    let a1 = store.articles(&ArticleQuery { feed: Some(a), ..Default::default() }).unwrap()[0].meta.id;
    store.mark(&[a1], Mark::Read).unwrap();
    let changed = store.mark_feeds_read(&[a, b]).unwrap();
    assert_eq!(changed.len(), 2, "the already read one is not in the undo list");
    assert!(!changed.contains(&a1));
    assert_eq!((store.counts(a).unwrap().unread, store.counts(b).unwrap().unread), (0, 0));
    assert_eq!(store.counts(c).unwrap().unread, 1);
    store.mark(&changed, Mark::Unread).unwrap();
    assert_eq!(store.unread_total().unwrap(), 3);
    assert!(store.mark_feeds_read(&[]).unwrap().is_empty());
    assert_consistent(&store);
}

#[test]
fn retention_drops_oldest_keeps_starred_and_never_resurrects() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let all: Vec<ParsedArticle> = (1..=5).map(|n| article(n, &format!("a{n}"), u32::from(n))).collect();
    apply(&store, feed, update(all.clone()));
    // Star the oldest: it must survive any limit.
    let oldest = store.articles(&ArticleQuery::default()).unwrap().last().unwrap().meta.id;
    store.mark(&[oldest], Mark::Star).unwrap();
    let keep2 = StoreSettings { max_articles_per_feed: 2, ..Default::default() };
    let s = store.apply_fetch(feed, update(all.clone()), FetchRecord::default(), &keep2, now()).unwrap();
    assert_eq!(s.dropped, 2);
    let titles: Vec<String> =
        store.articles(&ArticleQuery::default()).unwrap().into_iter().map(|a| a.meta.title).collect();
    assert_eq!(titles, ["a5", "a4", "a1"]);
    // The dropped ones are still in the feed: they must not come back as new.
    let s = store.apply_fetch(feed, update(all.clone()), FetchRecord::default(), &keep2, now()).unwrap();
    assert_eq!((s.new, s.dropped), (0, 0));
    assert_eq!(store.counts(feed).unwrap().total, 3);
    // keep_days: everything is older than 10 days at `now`, except nothing is newer; starred stays.
    let days = StoreSettings { keep_days: 10, ..Default::default() };
    store.apply_fetch(feed, update(all), FetchRecord::default(), &days, now()).unwrap();
    let titles: Vec<String> =
        store.articles(&ArticleQuery::default()).unwrap().into_iter().map(|a| a.meta.title).collect();
    assert_eq!(titles, ["a1"]);
    assert_consistent(&store);
}

#[test]
fn fetch_log_keeps_the_last_twenty_and_failures_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    for i in 0..25 {
        let record = FetchRecord { started_ms: i, status: Some(500), ..Default::default() };
        let result = FetchResult::Failed { error: format!("HTTP 500 number {i}"), retry_not_before: None };
        store.apply_fetch(feed, result, record, &StoreSettings::default(), now()).unwrap();
    }
    let log = store.fetch_log(feed).unwrap();
    assert_eq!(log.len(), FETCH_LOG_LEN);
    assert_eq!(log.first().unwrap().started_ms, 5);
    assert_eq!(log.last().unwrap().started_ms, 24);
    let rec = store.feed(feed).unwrap().unwrap();
    assert_eq!(rec.last_error.as_deref(), Some("HTTP 500 number 24"));
    assert_eq!(rec.consecutive_failures, 25);
    assert_eq!(rec.failing_since, Some(now()));
    apply(&store, feed, update(vec![article(1, "ok", 1)]));
    let rec = store.feed(feed).unwrap().unwrap();
    assert_eq!(rec.last_error, None);
    assert_eq!(rec.failing_since, None);
    assert_eq!(rec.etag.as_deref(), Some("\"e1\""));
    assert_eq!(store.fetch_log(feed).unwrap().last().unwrap().new, 1);
}

#[test]
fn not_modified_and_permanent_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://old.example/feed");
    apply(&store, feed, update(vec![article(1, "x", 1)]));
    let s = apply(
        &store,
        feed,
        FetchResult::NotModified {
            etag: None,
            last_modified: Some("Tue, 01 Oct 2024 00:00:00 GMT".into()),
            moved_to: Some("https://new.example/feed".into()),
        },
    );
    assert_eq!((s.new, s.total), (0, 1));
    let rec = store.feed(feed).unwrap().unwrap();
    assert_eq!(rec.url, "https://new.example/feed");
    assert_eq!(rec.etag.as_deref(), Some("\"e1\""), "a 304 without validators keeps the old ones");
    assert!(store.resolve_feed("https://new.example/feed").is_ok());
    // The old address still names it: an old OPML re-imported adds nothing twice.
    assert_eq!(store.resolve_feed("https://old.example/feed").unwrap().id, feed);
    let (again, added) =
        store.add_feed(NewFeed { url: "https://old.example/feed".into(), ..Default::default() }).unwrap();
    assert_eq!((again, added), (feed, false));
    assert_eq!(store.feeds().unwrap().len(), 1);
    assert_consistent(&store);
    // Removing it forgets both addresses.
    store.remove_feed(feed).unwrap();
    assert!(store.resolve_feed("https://old.example/feed").is_err());
    assert!(store.resolve_feed("https://new.example/feed").is_err());
    assert_consistent(&store);
}

#[test]
fn adding_twice_merges_tags_and_remove_deletes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let (again, new) = store
        .add_feed(NewFeed {
            url: "https://example.org/feed".into(),
            tags: vec!["tech".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!((again, new), (feed, false));
    assert_eq!(store.feed(feed).unwrap().unwrap().tags, ["news", "tech"]);
    let other = add(&store, "https://other.example/feed");
    apply(&store, feed, update(vec![article(1, "x", 1), article(2, "y", 2)]));
    apply(&store, other, update(vec![article(1, "z", 1)]));
    store.remove_feed(feed).unwrap();
    assert!(store.feed(feed).unwrap().is_none());
    assert_eq!(store.unread_total().unwrap(), 1);
    assert_eq!(store.articles(&ArticleQuery::default()).unwrap().len(), 1);
    assert!(store.fetch_log(feed).unwrap().is_empty());
    assert_consistent(&store);
    // A new feed never reuses the removed feed's id.
    assert!(add(&store, "https://third.example/feed") > other);
}

#[test]
fn state_survives_reopen_and_a_second_open_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let feed = add(&store, "https://example.org/feed");
        apply(&store, feed, update(vec![article(1, "x", 1)]));
        let id = store.articles(&ArticleQuery::default()).unwrap()[0].meta.id;
        store.mark(&[id], Mark::Star).unwrap();
        let err = Store::open(dir.path(), &StoreSettings::default()).err().unwrap();
        assert!(matches!(err, StoreError::Locked(_)), "{err:?}");
        assert!(err.to_string().contains("another tidings is using"), "{err}");
        store.flush().unwrap();
    }
    // sled lets go of its lock a moment after the last handle is dropped.
    let store = common::when_released(|| Store::open(dir.path(), &StoreSettings::default())).unwrap();
    let list = store.articles(&ArticleQuery::default()).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].flags.starred);
    assert_consistent(&store);
}

#[test]
fn listing_limits_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    apply(&store, feed, update((1..=9).map(|n| article(n, &format!("a{n}"), u32::from(n))).collect()));
    let list = store.articles(&ArticleQuery { limit: Some(3), ..Default::default() }).unwrap();
    assert_eq!(list.iter().map(|a| a.meta.title.as_str()).collect::<Vec<_>>(), ["a9", "a8", "a7"]);
    store.mark(&[list[0].meta.id], Mark::Read).unwrap();
    let unread =
        store.articles(&ArticleQuery { unread_only: true, limit: Some(1), ..Default::default() }).unwrap();
    assert_eq!(unread[0].meta.title, "a8");
}

#[test]
fn list_entries_are_a_feeds_ids_and_flags_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = add(&store, "https://a.example/feed");
    let b = add(&store, "https://b.example/feed");
    apply(&store, a, update(vec![article(1, "a1", 1), article(3, "a3", 3), article(2, "a2", 2)]));
    apply(&store, b, update(vec![article(1, "b1", 4)]));
    let full = store.articles(&ArticleQuery { feed: Some(a), ..Default::default() }).unwrap();
    let ids: Vec<ArticleId> = full.iter().map(|x| x.meta.id).collect();
    store.mark(&[ids[0]], Mark::Read).unwrap();
    store.mark(&[ids[1]], Mark::Star).unwrap();

    let entries = store.list_entries(&ArticleQuery { feed: Some(a), ..Default::default() }).unwrap();
    let entry = |id, read, starred| ListEntry { id, feed: a, read, starred };
    // The same order as the full listing (newest first), flags from the flags tree.
    assert_eq!(
        entries,
        [entry(ids[0], true, false), entry(ids[1], false, true), entry(ids[2], false, false)]
    );
    assert_eq!(full.iter().map(|x| x.meta.title.as_str()).collect::<Vec<_>>(), ["a3", "a2", "a1"]);
    let unread =
        store.list_entries(&ArticleQuery { feed: Some(a), unread_only: true, ..Default::default() }).unwrap();
    assert_eq!(unread.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[1], ids[2]]);
    let limited = store.list_entries(&ArticleQuery { feed: Some(a), limit: Some(1), ..Default::default() });
    assert_eq!(limited.unwrap().len(), 1);

    // Starred, over every feed, newest first, each entry naming its feed.
    let b1 = store.list_entries(&ArticleQuery { feed: Some(b), ..Default::default() }).unwrap()[0].id;
    store.mark(&[b1], Mark::Star).unwrap();
    let starred = store.list_entries(&ArticleQuery { starred_only: true, ..Default::default() }).unwrap();
    assert_eq!(
        starred,
        [ListEntry { id: b1, feed: b, read: false, starred: true }, entry(ids[1], false, true)]
    );
}

#[test]
fn articles_by_id_reads_just_the_ones_asked_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    apply(&store, feed, update((1..=5).map(|n| article(n, &format!("a{n}"), u32::from(n))).collect()));
    let entries = store.list_entries(&ArticleQuery { feed: Some(feed), ..Default::default() }).unwrap();
    store.mark(&[entries[3].id], Mark::Read).unwrap();
    let asked = [entries[3].id, ArticleId(9999), entries[0].id];
    let got = store.articles_by_id(&asked).unwrap();
    // a5 is the newest (entries[0]), a2 the fourth; an id not stored is left out.
    assert_eq!(got.iter().map(|x| x.meta.title.as_str()).collect::<Vec<_>>(), ["a2", "a5"]);
    assert_eq!(got.iter().map(|x| x.flags.read).collect::<Vec<_>>(), [true, false]);
    assert!(store.articles_by_id(&[]).unwrap().is_empty());
}

/// `[[filter]]`s that tag: `title:x` -> tag `lang`, then articles tagged `lang` -> `picked`.
fn tagging() -> StoreSettings {
    let filter = |query: &str, action: &str| tidings::query::Filter {
        query: tidings::query::Query::parse(query).unwrap(),
        action: tidings::query::FilterAction::parse(action).unwrap(),
    };
    StoreSettings {
        filters: vec![filter("title:rust", "tag:lang"), filter("tag:lang", "tag:picked")],
        ..Default::default()
    }
}

fn apply_with(store: &Store, feed: FeedId, result: FetchResult, settings: &StoreSettings) {
    store.apply_fetch(feed, result, FetchRecord::default(), settings, now()).unwrap();
}

fn tags_by_title(store: &Store) -> Vec<(String, Vec<String>)> {
    let mut all: Vec<_> = store
        .articles(&ArticleQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| (a.meta.title, a.tags))
        .collect();
    all.sort();
    all
}

fn matching_titles(store: &Store, expr: &str) -> Vec<String> {
    let query = tidings::query::Query::parse(expr).unwrap();
    let entries = tidings::query::matching_entries(store, &ArticleQuery::default(), &query, now()).unwrap();
    let ids: Vec<ArticleId> = entries.iter().map(|e| e.id).collect();
    let mut titles: Vec<String> =
        store.articles_by_id(&ids).unwrap().into_iter().map(|a| a.meta.title).collect();
    titles.sort();
    titles
}

#[test]
fn a_tag_filter_tags_new_articles_it_matches_and_the_tags_outlive_refetches() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let settings = tagging();
    apply_with(&store, feed, update(vec![article(1, "Rust one", 1), article(2, "Go two", 2)]), &settings);
    let tagged = || vec!["lang".to_owned(), "picked".to_owned()];
    assert_eq!(tags_by_title(&store), [("Go two".into(), vec![]), ("Rust one".into(), tagged())]);
    // A changed body and title: the stored article is updated, not filtered again, and keeps
    // its tags (a retitled "Go two" does not gain any); a new article is filtered.
    let mut changed = article(1, "Rust one", 1);
    changed.content_html = "<p>a new body</p>".into();
    apply_with(
        &store,
        feed,
        update(vec![changed, article(2, "Rust now", 2), article(3, "Rust three", 3)]),
        &settings,
    );
    assert!(store.body(ArticleId(1)).unwrap().unwrap().html.contains("a new body"));
    assert_eq!(
        tags_by_title(&store),
        [("Rust now".into(), vec![]), ("Rust one".into(), tagged()), ("Rust three".into(), tagged())]
    );
    // `tag:` finds the article's own tags (any case) as well as the feed's.
    assert_eq!(matching_titles(&store, "tag:LANG"), ["Rust one", "Rust three"]);
    assert_eq!(matching_titles(&store, "tag:news and not tag:picked"), ["Rust now"]);
    assert_eq!(matching_titles(&store, "tag:news").len(), 3);
    assert_consistent(&store);
}

#[test]
fn tags_go_with_their_articles_when_retention_drops_them_or_the_feed_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let other = add(&store, "https://other.example/feed");
    let settings = tagging();
    apply_with(&store, feed, update(vec![article(1, "Rust old", 1), article(2, "Rust new", 20)]), &settings);
    apply_with(&store, other, update(vec![article(1, "Rust elsewhere", 1)]), &settings);
    let old = ArticleId(1);
    assert_eq!(store.article_tags(old).unwrap(), ["lang", "picked"]);
    let keep_one = StoreSettings { max_articles_per_feed: 1, ..tagging() };
    apply_with(&store, feed, update(vec![article(1, "Rust old", 1), article(2, "Rust new", 20)]), &keep_one);
    assert!(store.article(old).unwrap().is_none());
    assert!(store.article_tags(old).unwrap().is_empty(), "dropped with its article");
    assert_consistent(&store);
    let kept: Vec<ArticleId> = store
        .list_entries(&ArticleQuery { feed: Some(feed), ..Default::default() })
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(!store.article_tags(kept[0]).unwrap().is_empty());
    store.remove_feed(feed).unwrap();
    assert!(store.article_tags(kept[0]).unwrap().is_empty(), "removed with the feed");
    // `check` reports any tag record whose article is gone: it passes.
    assert_consistent(&store);
    assert_eq!(tags_by_title(&store), [("Rust elsewhere".into(), vec!["lang".into(), "picked".into()])]);
}

#[test]
fn tagging_by_hand_adds_removes_changes_nothing_twice_and_refuses_an_unknown_article() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let feed = add(&store, "https://example.org/feed");
    let settings = tagging();
    apply_with(&store, feed, update(vec![article(1, "Rust one", 1), article(2, "Go two", 2)]), &settings);
    let (rust, go) = (ArticleId(1), ArticleId(2));
    let tags = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();

    // Added to what a filter gave, sorted; an id given twice counts once.
    let changed = store.tag_articles(&[go, rust, go], &tags(&["later", "fun"]), &[]).unwrap();
    assert_eq!(changed, [go, rust]);
    assert_eq!(store.article_tags(rust).unwrap(), ["fun", "lang", "later", "picked"]);
    assert_eq!(store.article_tags(go).unwrap(), ["fun", "later"]);
    assert_eq!(matching_titles(&store, "tag:later"), ["Go two", "Rust one"]);
    // The same again changes nothing, and says so.
    assert!(store.tag_articles(&[go, rust], &tags(&["later"]), &[]).unwrap().is_empty());

    // Removed, a filter's tag too; removing a tag it does not have changes nothing.
    let changed = store.tag_articles(&[rust], &[], &tags(&["lang", "fun", "absent"])).unwrap();
    assert_eq!(changed, [rust]);
    assert_eq!(store.article_tags(rust).unwrap(), ["later", "picked"]);
    assert!(store.tag_articles(&[rust], &[], &tags(&["absent"])).unwrap().is_empty());
    // The last tag gone: no record left (what `check` expects of an article without tags).
    store.tag_articles(&[go], &[], &tags(&["fun", "later"])).unwrap();
    assert!(store.article_tags(go).unwrap().is_empty());
    assert_eq!(matching_titles(&store, "tag:later"), ["Rust one"]);

    // An unknown id fails the whole call: the known article is not tagged either.
    let err = store.tag_articles(&[go, ArticleId(99)], &tags(&["new"]), &[]).unwrap_err();
    assert!(matches!(err, StoreError::NoSuchArticle(ArticleId(99))), "{err:?}");
    assert!(err.to_string().contains("no article 99; `tidings articles` lists them"), "{err}");
    assert!(store.article_tags(go).unwrap().is_empty());
    assert_consistent(&store);

    // Durable: the tags are there after a reopen.
    drop(store);
    let store = reopen(dir.path());
    assert_eq!(store.article_tags(rust).unwrap(), ["later", "picked"]);
}

/// sled lets go of a closed database's lock from a background thread, a moment later.
fn raw_sled(dir: &std::path::Path) -> sled::Db {
    for _ in 0..400 {
        match sled::Config::new().path(dir).mode(sled::Mode::LowSpace).open() {
            Err(e) if e.to_string().contains("lock") => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other.unwrap(),
        }
    }
    panic!("sled's lock was never released");
}

fn reopen(dir: &std::path::Path) -> Store {
    common::when_released(|| Store::open(dir, &StoreSettings::default())).unwrap()
}

#[test]
fn a_database_from_before_article_tags_opens_and_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let store = open(dir);
    let feed = add(&store, "https://example.org/feed");
    apply(&store, feed, update(vec![article(1, "Rust one", 1)]));
    store.flush().unwrap();
    drop(store);
    // What schema 2 wrote: no `article_tags` tree.
    {
        let db = raw_sled(dir);
        assert!(db.drop_tree("article_tags").unwrap(), "this build made the tree");
        db.open_tree("meta").unwrap().insert("schema", &2u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
        assert!(!db.tree_names().iter().any(|n| n == b"article_tags"));
    }
    let store = reopen(dir);
    assert_consistent(&store);
    assert_eq!(tags_by_title(&store), [("Rust one".into(), vec![])]);
    // Filters tag from now on, and the version says so: a tidings before tags refuses it.
    apply_with(&store, feed, update(vec![article(1, "Rust one", 1), article(2, "Rust two", 2)]), &tagging());
    assert_eq!(store.article_tags(ArticleId(2)).unwrap(), ["lang", "picked"]);
    store.flush().unwrap();
    drop(store);
    let db = raw_sled(dir);
    let schema = db.open_tree("meta").unwrap().get("schema").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(schema.as_ref().try_into().unwrap()), tidings::store::SCHEMA_VERSION);
    assert_eq!(tidings::store::SCHEMA_VERSION, 3);
}

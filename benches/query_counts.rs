//! Query feeds' counts at 100,000 articles (the benches' store: 100 feeds of 1,000): the one
//! pass that makes them (one query; the 20 query feeds of the startup bench at once), the
//! same with a `content:` test that reads every body, what the process holding the store
//! answers once it keeps them, after a feed of 1,000 was refreshed (that feed counted again),
//! and a mark followed by the counts the reader asks for behind it, and a new holder starting
//! from the counts the last one kept in the store; a query feed of recent dates counted, and
//! query feeds opened (every match listed). Then `tidings query list --json` as whole
//! processes: the first (which counts), then min / median / max of 20 (which find them kept).
//! Also the size of the packs a pass reads. `cargo bench --bench query_counts` (builds the data
//! once, ~1 min).
//!
//! The target: a query feed's count < 20 ms at 100,000 articles.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::Criterion;
use tidings::model::ArticleId;
use tidings::query::counts::CountCache;
use tidings::query::{count_matches, matching_entries, Query};
use tidings::store::{ArticleQuery, Mark, Store, StoreSettings};

use common::{build, FEEDS, PER_FEED};

/// Twenty query feeds of the kinds people define (the startup bench's set has the same mix).
const QUERY_FEEDS: [&str; 20] = [
    "unread",
    "starred",
    "unread and title:\"article 999\"",
    "title:\"article 1\"",
    "age<7d",
    "age<1d and unread",
    "author:\"A. Writer\"",
    "feed:\"Feed 042\"",
    "feed:\"Feed 001\" or feed:\"Feed 002\"",
    "unread and not feed:\"Feed 000\"",
    "link:example.org",
    "tag:tech",
    "tag:news and unread",
    "date>=2026-01-01",
    "title:headline and unread",
    "title:usual",
    "starred or title:\"article 5\"",
    "not unread",
    "has:enclosure",
    "title:\"article 12\" and unread",
];

fn parsed(exprs: &[&str]) -> Vec<Query> {
    exprs.iter().map(|e| Query::parse(e).unwrap()).collect()
}

fn query_list(data: &Path, home: &Path) -> f64 {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(home.join("config.toml"))
        .args(["query", "list", "--json"])
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run tidings query list");
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(QUERY_FEEDS.len()));
    assert_eq!(listed[0]["total"], (FEEDS * PER_FEED) as u64, "unread counts every article");
    elapsed
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    let data = home.join("data");
    let t = Instant::now();
    build(&data);
    eprintln!("built {} articles in {:.1} s", FEEDS * PER_FEED, t.elapsed().as_secs_f64());

    let mut config = String::new();
    for (i, q) in QUERY_FEEDS.iter().enumerate() {
        config.push_str(&format!("[[query]]\nname = \"Query {i:02}\"\nquery = '{q}'\n\n"));
    }
    std::fs::write(home.join("config.toml"), config).expect("config");
    // Five of the hundred feeds tagged `tech` (session 14; none before): a query feed of a tag
    // reads only its feeds' articles.
    for feed in 1..=5 {
        let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .arg("--data-dir")
            .arg(&data)
            .args(["set", &feed.to_string(), "--tag", "tech"])
            .env("HOME", home)
            .env("XDG_STATE_HOME", home.join("state"))
            .output()
            .expect("run tidings set");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    {
        let store = Store::open(&data, &StoreSettings::default()).expect("store");
        let now = chrono::Utc::now().timestamp();
        let one = parsed(&["unread and title:\"article 999\""]);
        let all = parsed(&QUERY_FEEDS);
        let bodies = parsed(&["content:\"article 999 of feed 42\""]);
        assert_eq!(count_matches(&store, &one, now).unwrap()[0].total, FEEDS as u64);
        assert_eq!(count_matches(&store, &bodies, now).unwrap()[0].total, 1);
        let packs = tidings::query::packs_size(&store).unwrap();
        println!(
            "packs (what a pass reads): {} values, {} bytes, {} bytes per 1,000 articles",
            packs.packs,
            packs.bytes,
            packs.bytes * 1000 / (FEEDS * PER_FEED) as u64
        );

        let mut c = Criterion::default().configure_from_args().sample_size(10);
        c.bench_function("query counts: one pass, one query feed", |b| {
            b.iter(|| count_matches(&store, &one, now).unwrap());
        });
        c.bench_function("query counts: one pass, 20 query feeds", |b| {
            b.iter(|| count_matches(&store, &all, now).unwrap());
        });
        c.bench_function("query counts: one pass, a content: test (every body read)", |b| {
            b.iter(|| count_matches(&store, &bodies, now).unwrap());
        });
        // As a refresh leaves it: the search index caught up, its trigram bits let through
        // only the bodies that may hold the words (session 17).
        let t = Instant::now();
        tidings::search::catch_up(&store).unwrap();
        let size = tidings::search::index::size(&store).unwrap();
        println!(
            "search index caught up in {:.1} s; trigram bits {} bytes, {} bytes per 1,000 articles",
            t.elapsed().as_secs_f64(),
            size.grams_bytes,
            size.grams_bytes * 1000 / (FEEDS * PER_FEED) as u64
        );
        c.bench_function("query counts: one pass, a content: test, index caught up (1 match)", |b| {
            b.iter(|| count_matches(&store, &bodies, now).unwrap());
        });
        let feed_42 = parsed(&["content:\"of feed 42,\""]);
        assert_eq!(count_matches(&store, &feed_42, now).unwrap()[0].total, PER_FEED as u64);
        c.bench_function("query counts: one pass, a content: test, index caught up (1,000 matches)", |b| {
            b.iter(|| count_matches(&store, &feed_42, now).unwrap());
        });

        // The articles' dates span five days (one every 7 minutes in each feed): `age<1h` holds
        // under 1% of them, as `age<7d` does of a year and a half of articles; those are read
        // by key from the date index, not in a pass (session 14).
        let recent = parsed(&["age<1h"]);
        let recent_total = count_matches(&store, &recent, now).unwrap()[0].total;
        assert!(recent_total > 0 && recent_total < (FEEDS * PER_FEED / 50) as u64, "{recent_total}");
        c.bench_function("query counts: age<1h (under 1% of the dates; read by key)", |b| {
            b.iter(|| count_matches(&store, &recent, now).unwrap());
        });
        // Opening a query feed: every article it matches, newest first.
        for expr in ["title:\"article 999\"", "age<1h", "unread and age<1d", "unread and tag:tech"] {
            let query = Query::parse(expr).unwrap();
            let listed = matching_entries(&store, &ArticleQuery::default(), &query, now).unwrap().len();
            c.bench_function(&format!("opening a query feed: {expr} ({listed} articles)"), |b| {
                b.iter(|| matching_entries(&store, &ArticleQuery::default(), &query, now).unwrap());
            });
        }

        let exprs: Vec<String> = QUERY_FEEDS.iter().map(|s| (*s).to_owned()).collect();
        // Those testing only `unread`, `feed:` and `tag:` are made from the feeds' counters,
        // `starred` from the flags records: no pass over the articles.
        let no_article =
            |e: &&String| !["title:", "age", "author", "link", "date", "has:"].iter().any(|w| e.contains(w));
        let by_counters: Vec<String> =
            exprs.iter().filter(no_article).filter(|e| !e.contains("starred")).cloned().collect();
        assert_eq!(by_counters.len(), 7, "{by_counters:?}");
        c.bench_function("query counts from nothing: the 7 that test only unread, feed: and tag:", |b| {
            b.iter(|| CountCache::default().counts(&store, &by_counters, now));
        });
        let starred = vec!["starred".to_owned()];
        c.bench_function("query counts from nothing: starred (the flags records)", |b| {
            b.iter(|| CountCache::default().counts(&store, &starred, now));
        });
        assert_eq!(exprs.iter().filter(no_article).count(), 8);
        c.bench_function("query counts from nothing: all 20 (8 without articles, 12 in one pass)", |b| {
            b.iter(|| CountCache::default().counts(&store, &exprs, now));
        });
        let cache = CountCache::default();
        let _ = cache.counts(&store, &exprs, now);
        c.bench_function("query counts: 20 query feeds, kept by the holder", |b| {
            b.iter(|| cache.counts(&store, &exprs, now));
        });
        let kept = cache.to_keep(&store, now).unwrap();
        println!("query counts kept in the store for the next holder: {} bytes", kept.len());
        c.bench_function("query counts: 20 query feeds, a new holder starting from the kept ones", |b| {
            b.iter(|| {
                let next = CountCache::default();
                next.restore(&kept);
                next.counts(&store, &exprs, now)
            });
        });
        let a_feed = store.feeds().unwrap()[0].id;
        c.bench_function("query counts: 20 query feeds after a feed of 1,000 was refreshed", |b| {
            b.iter(|| {
                cache.feed_written(a_feed);
                cache.counts(&store, &exprs, now)
            });
        });
        let some: Vec<ArticleId> =
            store.list_entries(&ArticleQuery::default()).unwrap().into_iter().take(1).map(|e| e.id).collect();
        let mut read = false;
        c.bench_function("query counts: 20 query feeds after marking one article", |b| {
            b.iter(|| {
                let mark = if read { Mark::Unread } else { Mark::Read };
                read = !read;
                let changed = store.mark(&some, mark).unwrap();
                cache.marked(&store, &changed, mark, now);
                cache.counts(&store, &exprs, now)
            });
        });
        store.mark(&some, Mark::Unread).unwrap();
        store.flush().expect("flush");
    }

    // The first holder counts, and keeps the counts for the next ones.
    println!("tidings query list --json, first run (counts made): {:.0} ms", query_list(&data, home));
    let mut times: Vec<f64> = (0..20).map(|_| query_list(&data, home)).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "tidings query list --json, 20 query feeds, {} articles, whole process: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        FEEDS * PER_FEED,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

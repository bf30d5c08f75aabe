//! Full-text search at 100,000 articles: the benchmark set of shared/bench (gen_feeds.py,
//! 100 feeds of 1,000 items, 0.5-8 KB bodies; set TIDINGS_GEN_FEEDS to the script, or
//! TIDINGS_BENCH_FEEDS to a directory it wrote), stored feed by feed as a refresh stores them.
//!
//! Prints: the time to index each feed's 1,000 new articles after its write (what a refresh
//! adds), the index's size, the disk size with and without it, a first build of the whole
//! index by a `tidings search` process, and `tidings search TEXT --json` as whole processes
//! (min / median of 20, peak RSS); criterion then times the first page of each query inside
//! the process. `cargo bench --bench search` (builds the data twice, ~3 min).

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use criterion::Criterion;
use tidings::search::{SearchRequest, SearchResults};
use tidings::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, Store, StoreSettings};

const FEEDS: usize = 100;
const ITEMS: usize = 1000;

/// Queries of the kinds people type: a common word, a rarer one, two words, a phrase, a word
/// with an accent, a Chinese word.
const QUERIES: &[&str] =
    &["kernel", "zürich", "rust compiler", "\"feed reader\"", "cafe", "阅读器", "ullamco 123"];

fn feeds_dir(tmp: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("TIDINGS_BENCH_FEEDS") {
        return PathBuf::from(dir);
    }
    let script = std::env::var_os("TIDINGS_GEN_FEEDS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_feeds.py"),
        PathBuf::from,
    );
    let out = tmp.join("feeds");
    let status = Command::new("python3")
        .arg(&script)
        .args(["--feeds", &FEEDS.to_string(), "--items", &ITEMS.to_string(), "--out"])
        .arg(&out)
        .status()
        .expect("python3");
    assert!(status.success(), "{} failed (set TIDINGS_GEN_FEEDS)", script.display());
    out
}

/// Stores every feed as a refresh would; with `index`, indexes each feed's articles after its
/// write (as the refresh's writer does). Returns the milliseconds each feed's indexing took.
fn build(data: &Path, feeds: &Path, index: bool) -> Vec<f64> {
    let settings = StoreSettings::default();
    let store = Store::open(data, &settings).expect("store");
    let mut files: Vec<PathBuf> = std::fs::read_dir(feeds)
        .expect("feeds dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), FEEDS, "{}", feeds.display());
    let now = chrono::Utc::now().timestamp();
    let mut index_ms = Vec::new();
    for file in files {
        let url = format!("http://127.0.0.1/{}", file.file_name().unwrap_or_default().to_string_lossy());
        let parsed =
            tidings::parse::parse_feed(&std::fs::read(&file).expect("read"), None, &url).expect("parse");
        let (id, _) = store.add_feed(NewFeed { url, ..Default::default() }).expect("add");
        let update = FetchResult::Updated(FeedUpdate::from_parsed(parsed));
        store.apply_fetch(id, update, FetchRecord::default(), &settings, now).expect("apply");
        if index {
            let t = Instant::now();
            let done = tidings::search::catch_up_if_built(&store).expect("index").expect("built");
            index_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(done.indexed, ITEMS as u64);
        }
    }
    store.flush().expect("flush");
    index_ms
}

fn du(dir: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let m = e.metadata().expect("metadata");
        total += if m.is_dir() { du(&e.path()) } else { m.len() };
    }
    total
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!("min {:.1} ms, median {:.1} ms, max {:.1} ms", v[0], v[v.len() / 2], v[v.len() - 1])
}

/// One whole `tidings search` process: milliseconds, peak RSS in KiB (GNU time), results.
fn search_process(data: &Path, home: &Path, text: &str) -> (f64, u64, usize) {
    let rss_file = home.join("rss");
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(home.join("config.toml"))
        .args(["search", text, "--json"])
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run tidings search (needs /usr/bin/time)");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rss = std::fs::read_to_string(&rss_file).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (ms, rss, hits.as_array().map_or(0, Vec::len))
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path();
    std::fs::write(home.join("config.toml"), "").expect("empty config");
    let feeds = feeds_dir(home);

    let with = home.join("with-index");
    let t = Instant::now();
    let index_ms = build(&with, &feeds, true);
    println!(
        "stored and indexed {} articles in {:.1} s; indexing each feed's {ITEMS} new articles after its write: {}",
        FEEDS * ITEMS,
        t.elapsed().as_secs_f64(),
        stats(index_ms.clone())
    );
    println!("  indexing, all feeds: {:.1} s", index_ms.iter().sum::<f64>() / 1000.0);
    let without = home.join("without-index");
    build(&without, &feeds, false);
    let (size_with, size_without) = (du(&with), du(&without));
    {
        let store = Store::open(&with, &StoreSettings::default()).expect("store");
        let s = tidings::search::index::size(&store).expect("size");
        let per_k = |b: u64| b as f64 / (s.articles as f64 / 1000.0) / 1e6;
        println!(
            "index: {} articles, {} postings blocks, postings {:.1} MB, article entries {:.1} MB, \
             trigram bits {:.1} MB ({:.2} MB per 1,000 articles as sled is given them)",
            s.articles,
            s.postings_blocks,
            s.postings_bytes as f64 / 1e6,
            s.entries_bytes as f64 / 1e6,
            s.grams_bytes as f64 / 1e6,
            per_k(s.postings_bytes + s.entries_bytes + s.grams_bytes)
        );
        println!(
            "data dir: {:.1} MB with the index, {:.1} MB without: the index takes {:.1} MB on disk, \
             {:.2} MB per 1,000 articles",
            size_with as f64 / 1e6,
            size_without as f64 / 1e6,
            (size_with as f64 - size_without as f64) / 1e6,
            per_k(size_with.saturating_sub(size_without))
        );
    }

    // The data dir without an index: its first search indexes all 100,000 articles.
    let (ms, rss, _) = search_process(&without, home, "kernel");
    println!(
        "first search of a data dir with nothing indexed (indexes {} articles): {:.1} s, peak RSS {:.1} MB",
        FEEDS * ITEMS,
        ms / 1000.0,
        rss as f64 / 1024.0
    );

    for text in QUERIES {
        let mut times = Vec::new();
        let mut peak = 0;
        let mut n = 0;
        for _ in 0..20 {
            let (ms, rss, hits) = search_process(&with, home, text);
            times.push(ms);
            peak = peak.max(rss);
            n = hits;
        }
        println!(
            "tidings search {text:?} --json, whole process ({n} results): {}, peak RSS {:.1} MB",
            stats(times),
            peak as f64 / 1024.0
        );
    }

    let store = Store::open(&with, &StoreSettings::default()).expect("store");
    let mut c = Criterion::default().configure_from_args().sample_size(30);
    for text in QUERIES {
        let request = SearchRequest { text: (*text).to_owned(), feed: None, limit: Some(20) };
        let first: SearchResults = tidings::search::search(&store, &request).expect("search");
        println!("{text:?}: {} articles have every word", first.matched);
        c.bench_function(&format!("search first page {text:?}"), |b| {
            b.iter(|| tidings::search::search(&store, &request).expect("search"));
        });
    }
    c.final_summary();
}

//! `content:` tests, which read every body they are asked about: decompress, flatten the HTML,
//! fold, look for the text. The store is shared/bench's gen_feeds.py set (0.5-8 KB HTML bodies
//! with lists, links, code and non-ASCII text; set TIDINGS_GEN_FEEDS to the script), 10 feeds
//! of 1,000 items (TIDINGS_CONTENT_FEEDS=100 for 100,000), stored as a refresh stores them;
//! every fourth article also gets a summary (its first paragraph), which `content:` reads too.
//!
//! Criterion times, inside the process: a count over every article with a `content:` text no
//! body holds (every body read to its end), the same text beside a `title:` test in a listing
//! (the issue's `title:rust or content:"borrow checker"`), and a common word most bodies hold
//! early; before them, the CPU time of each (steadier than wall time on a shared machine:
//! this thread's, and all threads' since a query that reads bodies tests on every core).
//! Then `tidings articles --query … --json --limit 0` as whole processes (min / median of 5).
//! `cargo bench --bench content_scan`.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use criterion::Criterion;
use tidings::query::{count_matches, matching_entries, Query};
use tidings::store::{ArticleQuery, FeedUpdate, FetchRecord, FetchResult, NewFeed, Store, StoreSettings};

const ITEMS: usize = 1000;

fn feeds() -> usize {
    std::env::var("TIDINGS_CONTENT_FEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10)
}

fn generate(out: &Path, feeds: usize) {
    let script = std::env::var_os("TIDINGS_GEN_FEEDS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_feeds.py"),
        PathBuf::from,
    );
    let status = Command::new("python3")
        .arg(&script)
        .args(["--feeds", &feeds.to_string(), "--items", &ITEMS.to_string(), "--out"])
        .arg(out)
        .status()
        .expect("python3");
    assert!(status.success(), "{} failed (set TIDINGS_GEN_FEEDS)", script.display());
}

/// Stores every feed file of `dir`, as a refresh would; returns the bytes of HTML stored.
fn build(data: &Path, dir: &Path) -> usize {
    let settings = StoreSettings::default();
    let store = Store::open(data, &settings).expect("store");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("feeds dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let now = chrono::Utc::now().timestamp();
    let mut html_bytes = 0;
    for file in files {
        let url = format!("http://127.0.0.1/{}", file.file_name().unwrap_or_default().to_string_lossy());
        let mut parsed =
            tidings::parse::parse_feed(&std::fs::read(&file).expect("read"), None, &url).expect("parse");
        for (i, a) in parsed.articles.iter_mut().enumerate() {
            if i % 4 == 0 {
                let first = a.content_html.find("</p>").map_or(a.content_html.len(), |p| p + 4);
                a.summary_html = Some(a.content_html[..first].to_owned());
            }
            html_bytes += a.content_html.len() + a.summary_html.as_ref().map_or(0, String::len);
        }
        let (id, _) = store.add_feed(NewFeed { url, ..Default::default() }).expect("add");
        let update = FetchResult::Updated(FeedUpdate::from_parsed(parsed));
        store.apply_fetch(id, update, FetchRecord::default(), &settings, now).expect("apply");
    }
    store.flush().expect("flush");
    html_bytes
}

/// CPU time this thread has run, in nanoseconds (Linux: /proc/thread-self/schedstat), so that
/// figures taken while other builds share the machine stay comparable; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// CPU time of the whole process (every thread, those ended too), in clock ticks (Linux:
/// utime + stime of /proc/self/stat; 100 a second).
fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().skip(11);
    Some(fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?)
}

/// For 5 runs of `f`: the least CPU time of this thread, the CPU time of all threads (the
/// mean; tests run on helper threads when a query reads bodies) and the least wall time, in
/// milliseconds.
fn cpu_ms(mut f: impl FnMut()) -> Option<(f64, f64, f64)> {
    let (mut thread, mut wall) = (u64::MAX, f64::MAX);
    let ticks = process_cpu_ticks()?;
    for _ in 0..5 {
        let (before, started) = (thread_cpu_ns()?, Instant::now());
        f();
        wall = wall.min(started.elapsed().as_secs_f64() * 1000.0);
        thread = thread.min(thread_cpu_ns()? - before);
    }
    let all = (process_cpu_ticks()? - ticks) as f64 * 10.0 / 5.0;
    Some((thread as f64 / 1e6, all, wall))
}

/// One whole `tidings articles --query` process: milliseconds and the articles listed.
fn articles_process(data: &Path, home: &Path, query: &str) -> (f64, usize) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(home.join("config.toml"))
        .args(["articles", "--query", query, "--json", "--limit", "0"])
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run tidings articles");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (ms, listed.as_array().map_or(0, Vec::len))
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let feeds = feeds();
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path();
    std::fs::write(home.join("config.toml"), "").expect("empty config");
    let dir = home.join("feeds");
    generate(&dir, feeds);
    let data = home.join("data");
    let t = Instant::now();
    let html_bytes = build(&data, &dir);
    let total = feeds * ITEMS;
    println!(
        "stored {total} articles ({:.1} MB of HTML) in {:.1} s",
        html_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let none = "content:\"borrow checker\"";
    let issue = "title:rust or content:\"borrow checker\"";
    let common = "content:lorem";
    {
        let store = Store::open(&data, &StoreSettings::default()).expect("store");
        let now = chrono::Utc::now().timestamp();
        let q = |s: &str| Query::parse(s).unwrap();
        let (none_q, issue_q, common_q, accent_q) =
            (q(none), q(issue), q(common), q("content:\"NAÏVE CAFÉ\""));
        assert_eq!(count_matches(&store, std::slice::from_ref(&none_q), now).unwrap()[0].total, 0);
        let counted = |q: &Query| count_matches(&store, std::slice::from_ref(q), now).unwrap()[0].total;
        println!(
            "matches: {issue}: {}, {common}: {}, content:\"naïve café\": {}",
            matching_entries(&store, &ArticleQuery::default(), &issue_q, now).unwrap().len(),
            counted(&common_q),
            counted(&accent_q),
        );

        let report = |name: &str, ms: Option<(f64, f64, f64)>| {
            if let Some((thread, all, wall)) = ms {
                println!(
                    "{name} over {total} articles: CPU time of this thread {thread:.0} ms (least of 5, {:.1} µs an \
                     article), of all threads {all:.0} ms (mean of 5), wall {wall:.0} ms (least of 5)",
                    thread * 1000.0 / total as f64
                );
            }
        };
        report(none, cpu_ms(|| drop(count_matches(&store, std::slice::from_ref(&none_q), now).unwrap())));
        report(
            issue,
            cpu_ms(|| drop(matching_entries(&store, &ArticleQuery::default(), &issue_q, now).unwrap())),
        );
        report(common, cpu_ms(|| drop(count_matches(&store, std::slice::from_ref(&common_q), now).unwrap())));

        let mut c = Criterion::default().configure_from_args().sample_size(10);
        c.bench_function(
            &format!("content scan: {none}, counted over {total} articles (no body holds it)"),
            |b| {
                b.iter(|| count_matches(&store, std::slice::from_ref(&none_q), now).unwrap());
            },
        );
        c.bench_function(&format!("content scan: {issue}, listed from {total} articles"), |b| {
            b.iter(|| matching_entries(&store, &ArticleQuery::default(), &issue_q, now).unwrap());
        });
        c.bench_function(
            &format!("content scan: {common}, counted over {total} articles (most hold it)"),
            |b| {
                b.iter(|| count_matches(&store, std::slice::from_ref(&common_q), now).unwrap());
            },
        );
    }

    let _ = articles_process(&data, home, issue); // warm the page cache
    let runs: Vec<(f64, usize)> = (0..5).map(|_| articles_process(&data, home, issue)).collect();
    let mut times: Vec<f64> = runs.iter().map(|r| r.0).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "tidings articles --query '{issue}' --json --limit 0, {total} articles, whole process ({} listed): min {:.0} ms, median {:.0} ms",
        runs[0].1,
        times[0],
        times[times.len() / 2]
    );
}

//! Peak memory of one big feed (issue 10, item 7): a 17 MB RSS file of 30,000 items added to
//! an empty data dir (`tidings add FILE`: fetch, parse, store every item), then refreshed
//! with every item unchanged, then removed. `cargo bench --bench big_feed`; `BIG_FEED_ITEMS=60000` for
//! another size.
//!
//! Not a criterion bench: each sample is a whole process, measured by the kernel (wait4's
//! ru_maxrss, the process's peak resident set). Prints peak RSS and wall time of each step,
//! and checks that every item was stored.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]
#![allow(unsafe_code, reason = "wait4(2), for the child's peak RSS")]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The RSS file the README's figures were measured with: 60 words of a 10-word vocabulary per
/// item (deterministic; the same shape as the Python generator).
fn big_feed(items: usize) -> String {
    const WORDS: [&str; 10] =
        ["lorem", "ipsum", "dolor", "sit", "amet", "feed", "reader", "terminal", "rust", "memory"];
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Big</title>\
         <link>https://big.example/</link><description>d</description>",
    );
    for i in 0..items {
        let body: Vec<&str> = (0..60).map(|_| WORDS[(next() % 10) as usize]).collect();
        let _ = writeln!(
            xml,
            "<item><title>Item {i} about things</title><link>https://big.example/{i}</link>\
             <guid>big-{i}</guid><pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>\
             <description>&lt;p&gt;{}&lt;/p&gt;</description></item>",
            body.join(" ")
        );
    }
    xml.push_str("</channel></rss>");
    xml
}

/// Runs tidings with `args`; returns its peak RSS in MB and its wall time in seconds.
fn measure(data: &Path, config: &Path, args: &[&str]) -> (f64, f64) {
    let started = Instant::now();
    #[allow(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its peak RSS (Child::wait would not)"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn tidings");
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills; the child is ours and not waited on yet.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `status` and `usage` are ours for the call; the child is not reaped yet.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "tidings {args:?} failed");
    // ru_maxrss is in KiB on Linux.
    (usage.ru_maxrss as f64 / 1024.0, secs)
}

fn stored(data: &Path, config: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(["feeds", "--json"])
        .output()
        .expect("tidings feeds");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("feeds --json");
    v[0]["total"].as_u64().unwrap_or(0)
}

fn main() {
    let items: usize = std::env::var("BIG_FEED_ITEMS").ok().and_then(|s| s.parse().ok()).unwrap_or(30_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("big.xml");
    let xml = big_feed(items);
    std::fs::write(&feed, &xml).expect("write feed");
    let config = dir.path().join("config.toml");
    // The default body cap (16 MiB) is below this file's size.
    std::fs::write(&config, "[fetch]\nmax_body_mib = 64\n").expect("write config");
    let data = dir.path().join("data");
    println!("big feed: {items} items, {:.1} MB", xml.len() as f64 / 1e6);
    let feed = feed.to_str().expect("utf-8 path");
    let (rss, secs) = measure(&data, &config, &["add", feed]);
    let n = stored(&data, &config);
    println!("first add (empty data dir):   peak RSS {rss:6.1} MiB  {secs:5.2} s  ({n} stored)");
    assert_eq!(n, items as u64, "not every item was stored");
    let (rss, secs) = measure(&data, &config, &["refresh"]);
    println!("second refresh (unchanged):   peak RSS {rss:6.1} MiB  {secs:5.2} s");
    assert_eq!(stored(&data, &config), items as u64);
    let (rss, secs) = measure(&data, &config, &["remove", "1"]);
    println!("remove the feed:              peak RSS {rss:6.1} MiB  {secs:5.2} s");
    assert_eq!(stored(&data, &config), 0, "the feed is still there");
}

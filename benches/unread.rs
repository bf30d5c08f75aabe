//! `tidings unread` as a status bar runs it, a whole process each time, on a 100,000-article
//! data dir: with no other tidings running (from the cache file, and with the cache stale so
//! the store is opened), and with the store held by another process (the reader), which
//! answers over the data dir's socket. `cargo bench --bench unread` (builds the data once).
//!
//! Not a criterion bench: each sample is a whole process. Prints min / median / max of 30.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{build, FEEDS, PER_FEED};

fn unread_once(data: &Path, home: &Path) -> (f64, String) {
    let config = home.join("config.toml");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(&config)
        .arg("unread")
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run tidings unread");
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (elapsed, String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn report(what: &str, data: &Path, home: &Path, before_each: impl Fn()) {
    let want = (FEEDS * PER_FEED).to_string();
    let mut times: Vec<f64> = (0..30)
        .map(|_| {
            before_each();
            let (ms, said) = unread_once(data, home);
            assert_eq!(said, want, "{what}");
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "tidings unread, {} articles, {what}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        FEEDS * PER_FEED,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    std::fs::write(home.join("config.toml"), "").expect("empty config");
    let data = home.join("data");
    let t = Instant::now();
    build(&data);
    eprintln!("built {} articles in {:.1} s", FEEDS * PER_FEED, t.elapsed().as_secs_f64());
    let _ = unread_once(&data, home); // warm the page cache, write the cache file
    report("no other tidings, from the cache file", &data, home, || {});
    let cache = data.join("unread.cache");
    report("no other tidings, cache stale (the store is opened)", &data, home, || {
        let _ = std::fs::remove_file(&cache);
    });
    // Another process holds the store (as the reader does) and serves it on the socket.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let options = tidings::engine::EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: Duration::from_secs(10),
        build_search_index: false,
    };
    let holder = tidings::engine::Engine::open(&data, options, runtime.handle().clone()).expect("hold");
    assert!(holder.is_holder());
    // A write since the cache was stamped, as an open reader makes: the cache is not believed.
    let _ = std::fs::remove_file(&cache);
    report("while another process holds the store (over its socket)", &data, home, || {});
    holder.close().expect("close");
}

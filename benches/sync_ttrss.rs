//! Sync against a real Tiny Tiny RSS: 200 feeds of 50 items (10,000 articles), through the
//! release binary: the first sync, a sync with nothing changed, and one with 100 changes made
//! here; with time, requests and bytes. newsboat (`urls-source "ttrss"`) beside it on the same
//! server when it is installed. `cargo bench --bench sync_ttrss` (needs what
//! scripts/sync-servers.sh installs, as root; setting the server up takes about a minute).
//!
//! Not a criterion bench: each sample is a whole process. Prints each sample and the median.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports, reason = "the test helpers' own imports, for what this bench does not use")]
mod common;

use std::process::Command;
use std::time::Instant;

use common::cli::Tidings;
use common::ttrss::{self, FeedHost, TtRss, PASSWORD, USER};

const FEEDS: u32 = 200;
const PER_FEED: u32 = 50;

/// One `tidings sync --json`: (seconds, requests, bytes, new articles, changes sent, seconds
/// waiting for the server).
fn sync(t: &Tidings) -> (f64, u64, u64, u64, u64, f64) {
    let started = Instant::now();
    let out = t.command().args(["sync", "--json"]).output().expect("run tidings");
    let secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "sync: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync --json");
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    (secs, n("requests"), n("bytes"), n("new_articles"), n("pushed"), n("server_ms") as f64 / 1000.0)
}

fn fresh(server: &TtRss) -> Tidings {
    let t = Tidings::new();
    let out = t
        .command()
        .args(["sync", "add", "ttrss", &server.endpoint(), "--user", USER])
        .env("TIDINGS_SYNC_PASSWORD", PASSWORD)
        .output()
        .expect("sync add");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    t
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(what: &str, samples: &[(f64, u64, u64, u64, u64, f64)]) {
    let secs: Vec<f64> = samples.iter().map(|s| s.0).collect();
    let (_, requests, bytes, new, pushed, server) = samples[0];
    println!(
        "tidings  {what:<28} median {:>6.2} s  (samples {})  {requests} requests, {:.1} MB, {new} new, {pushed} sent, \
         {server:.2} s of the first waiting for the server",
        median(secs.clone()),
        secs.iter().map(|s| format!("{s:.2}")).collect::<Vec<_>>().join(" "),
        bytes as f64 / 1e6,
    );
}

/// The reader during its own first sync of the 10,000 articles (it starts one a second after
/// it opens): `?` opens the help window and Esc closes it again and again, each timed from the
/// key sent to the screen showing the change, read back through a pseudo-terminal.
fn keys_during_a_first_sync(server: &TtRss) {
    let t = fresh(server);
    let mut screen = common::pty::Screen::spawn_sized(&t, 100, 30);
    let shows = |screen: &common::pty::Screen, text: &str| {
        screen.parser.lock().expect("parser").screen().contents().contains(text)
    };
    let wait = |screen: &common::pty::Screen, text: &str, present: bool| -> f64 {
        let started = Instant::now();
        while shows(screen, text) != present {
            assert!(started.elapsed().as_secs() < 10, "the reader never answered");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        started.elapsed().as_secs_f64() * 1000.0
    };
    wait(&screen, "unread", true);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut during = Vec::new();
    let started = Instant::now();
    // Until the synced feeds show (it ended), a key pair every 20 ms.
    while !shows(&screen, "~feed000") && started.elapsed().as_secs() < 30 {
        screen.keys("?");
        during.push(wait(&screen, "Keys (Esc closes)", true));
        screen.keys("\u{1b}");
        during.push(wait(&screen, "Keys (Esc closes)", false));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let spread = started.elapsed().as_secs_f64();
    if !shows(&screen, "~feed000") {
        let contents = screen.contents();
        println!("the reader's sync had not shown its articles after {spread:.1} s; its status line:");
        println!("{}", contents.lines().last().unwrap_or(""));
    }
    screen.keys("q");
    let _ = screen.wait_exit();
    if during.is_empty() {
        println!("reader keys during a first sync: the sync ended before a key could be timed");
        return;
    }
    let mut sorted = during.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "reader keys during a first sync: {} keys over {spread:.1} s until its articles showed, median {:.1} ms, \
         max {:.1} ms (key sent to screen changed)",
        sorted.len(),
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
}

/// `newsboat -x reload` with the TT-RSS as its source, in a fresh directory per first run.
fn newsboat(server: &TtRss, dir: &std::path::Path) -> f64 {
    std::fs::create_dir_all(dir).expect("newsboat dir");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "urls-source \"ttrss\"\nttrss-url \"{}\"\nttrss-login \"{USER}\"\nttrss-password \"{PASSWORD}\"\n\
             ttrss-mode \"multi\"\nreload-threads 32\n",
            server.endpoint().trim_end_matches('/')
        ),
    )
    .expect("newsboat config");
    std::fs::write(dir.join("urls"), "").expect("urls");
    let started = Instant::now();
    let out = Command::new("newsboat")
        .arg("-C")
        .arg(&config)
        .arg("-u")
        .arg(dir.join("urls"))
        .arg("-c")
        .arg(dir.join("cache.db"))
        .args(["-x", "reload"])
        .env("HOME", dir)
        .output()
        .expect("newsboat");
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!("newsboat failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    secs
}

fn main() {
    if ttrss::available().is_none() {
        return;
    }
    let host = FeedHost::start();
    let base = host.url("");
    let server = TtRss::start();
    let setup = Instant::now();
    for f in 0..FEEDS {
        let name = format!("feed{f:03}");
        let url = host.serve_rss(&format!("/{name}.xml"), &ttrss::feed(&base, &name, 1..=PER_FEED));
        server.subscribe(&url, Some(if f % 2 == 0 { "Even" } else { "Odd" }));
    }
    println!(
        "TT-RSS set up with {FEEDS} feeds x {PER_FEED} items in {:.1} s ({} articles on the server)",
        setup.elapsed().as_secs_f64(),
        server.all().len()
    );
    if let Some(secs) = std::env::var("TIDINGS_BENCH_HOLD_SECS").ok().and_then(|s| s.parse().ok()) {
        // For trying things by hand against the same server: it stays up this long.
        println!("holding {} (user {USER}, password {PASSWORD:?}) for {secs} s", server.endpoint());
        std::thread::sleep(std::time::Duration::from_secs(secs));
        return;
    }

    let mut first = Vec::new();
    let mut kept = None;
    for _ in 0..3 {
        let t = fresh(&server);
        first.push(sync(&t));
        kept = Some(t);
    }
    report("first sync", &first);
    let t = kept.expect("a data dir");
    let unchanged: Vec<_> = (0..5).map(|_| sync(&t)).collect();
    report("nothing changed", &unchanged);

    let ids: Vec<String> = t.json(&["articles", "--json", "--all"]).as_array().expect("articles")[..100]
        .iter()
        .map(|a| a["id"].to_string())
        .collect();
    let mut changed = Vec::new();
    for round in 0..3 {
        let mut args = vec!["mark", if round % 2 == 0 { "read" } else { "unread" }];
        args.extend(ids.iter().map(String::as_str));
        t.ok(&args);
        changed.push(sync(&t));
    }
    report("100 changes made here", &changed);

    keys_during_a_first_sync(&server);

    if Command::new("newsboat").arg("-v").output().is_ok() {
        let root = tempfile::tempdir().expect("temp dir");
        let firsts: Vec<f64> =
            (0..3).map(|i| newsboat(&server, &root.path().join(format!("nb{i}")))).collect();
        let again: Vec<f64> = (0..3).map(|_| newsboat(&server, &root.path().join("nb0"))).collect();
        println!(
            "newsboat first sync (reload)        median {:>6.2} s  (samples {firsts:.2?})",
            median(firsts.clone())
        );
        println!(
            "newsboat nothing changed (reload)   median {:>6.2} s  (samples {again:.2?})",
            median(again.clone())
        );
    } else {
        println!("newsboat is not installed (apt-get install newsboat): no comparison");
    }
}

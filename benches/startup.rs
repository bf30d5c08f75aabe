//! Start to first full frame with a 100,000-article database, measured from process start in
//! a pseudo-terminal: the time until the screen shows the feeds, the first feed's articles and
//! the unread count. `cargo bench --bench startup` (builds the database once, ~1 min).
//!
//! Not a criterion bench: each sample is a whole process. Prints min / median / max of 15.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use std::io::Read;
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

mod common;

use common::{build, FEEDS, PER_FEED};

/// One start: milliseconds from spawn to the full first screen.
fn start_once(data: &std::path::Path, home: &std::path::Path, config_text: &str) -> f64 {
    let pair = native_pty_system()
        .openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 })
        .expect("pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.arg("--data-dir");
    cmd.arg(data);
    // An empty config means the defaults; a file named by --config must exist.
    let config = home.join("config.toml");
    std::fs::write(&config, config_text).expect("config");
    cmd.arg("--config");
    cmd.arg(config);
    cmd.env("HOME", home);
    cmd.env("XDG_STATE_HOME", home.join("state"));
    cmd.env("TERM", "xterm-256color");
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let mut writer = pair.master.take_writer().expect("writer");
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        NonZeroU16::new(40).expect("rows"),
        NonZeroU16::new(120).expect("cols"),
        0,
    )));
    let seen = Arc::new(Mutex::new(None::<Duration>));
    let (sink, done) = (Arc::clone(&parser), Arc::clone(&seen));
    let want_unread = format!("{} unread", FEEDS * PER_FEED);
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut p = sink.lock().expect("lock");
            p.process(&buf[..n]);
            let text = p.screen().contents();
            let mut d = done.lock().expect("lock");
            if d.is_none()
                && text.contains(&want_unread)
                && text.contains("Feed 000")
                && text.contains("Feed 000 article 0:")
            {
                *d = Some(started.elapsed());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().expect("lock").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = seen.lock().expect("lock").expect("the first full frame within 20 s");
    let _ = std::io::Write::write_all(&mut writer, b"q");
    let _ = child.wait();
    drop(pair.master);
    drop(writer);
    let _ = reading.join();
    elapsed.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would too: only run for real.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let t = Instant::now();
    build(&data);
    eprintln!("built {} articles in {:.1} s", FEEDS * PER_FEED, t.elapsed().as_secs_f64());
    // 20 query feeds of the kinds people keep: flags, tags, feeds, titles, ages, content.
    let mut queries = String::new();
    for (i, expr) in [
        "unread",
        "starred",
        "unread and age<1d",
        "title:headline and unread",
        "feed:7",
        "feed:\"Feed 01\" and unread",
        "tag:news",
        "author:writer and age<7d",
        "has:images",
        "not read and title:\"article 9\"",
        "age<2h",
        "title:usual",
        "starred or unread and feed:3",
        "date>=2026-01-01 and unread",
        "has:enclosure",
        "link:example and unread",
        "(feed:1 or feed:2) and unread",
        "title:\"article 1\"",
        "unread and not feed:5",
        "content:some",
    ]
    .iter()
    .enumerate()
    {
        queries.push_str(&format!("[[query]]\nname = \"Query {i:02}\"\nquery = '{expr}'\n\n"));
    }
    for (label, config) in [("", ""), (" with 20 query feeds", queries.as_str())] {
        let _ = start_once(&data, dir.path(), config); // warm the page cache
        let mut times: Vec<f64> = (0..15).map(|_| start_once(&data, dir.path(), config)).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "start to first full frame, {} articles{label}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
            FEEDS * PER_FEED,
            times[0],
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
}

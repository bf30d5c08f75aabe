//! A proxy that is down, as the user meets it: `tidings refresh` and `tidings add` blame the
//! proxy and say where it was set, not the feed.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::Tidings;

/// A 127.0.0.1 port that nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Nothing listens here either; a fetch that got this far went around the proxy.
const FEED: &str = "http://127.0.0.2:9/feed.xml";

#[test]
fn refresh_blames_the_configured_proxy() {
    let port = closed_port();
    let t = Tidings::with_config(&format!(
        "[fetch]\ntimeout_secs = 3\nconnect_timeout_secs = 2\nproxy = \"http://127.0.0.1:{port}\"\n"
    ));
    t.ok(&["add", FEED, "--no-fetch"]);
    let run = t.output(&["refresh"]);
    assert!(run.status.success(), "a failed feed is not fatal");
    // The per-feed lines go to stderr, the summary to stdout.
    let out = String::from_utf8_lossy(&run.stderr);
    assert!(
        out.contains(&format!(
            "cannot reach the proxy http://127.0.0.1:{port}: connection refused, so {FEED} was not \
             fetched; check proxy under [fetch] in config.toml and that the proxy is running"
        )),
        "{out}"
    );
    // The feed keeps the same message as its last fetch result.
    let feeds = t.json(&["feeds", "--json"]);
    let shown = feeds.to_string();
    assert!(shown.contains("cannot reach the proxy"), "{shown}");
}

#[test]
fn add_blames_the_feeds_own_proxy() {
    let port = closed_port();
    let t = Tidings::new();
    let out = t.output(&["add", FEED, "--proxy", &format!("socks5h://127.0.0.1:{port}")]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains(&format!("cannot reach the proxy socks5h://127.0.0.1:{port}: connection refused")),
        "{text}"
    );
    assert!(text.contains("the feed's proxy (tidings set FEED --proxy URL, or --no-proxy)"), "{text}");
}

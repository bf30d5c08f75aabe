//! A feed's request options edited from the reader (`e`), with the real binary in a
//! pseudo-terminal: the prompt holds the options as the command line's flags, the line
//! submitted replaces them, and the next refresh sends them to a real server; a line the
//! checks refuse stays in the prompt with its error and changes nothing.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::time::{Duration, Instant};

use common::cli::{rss_feed, Tidings};
use common::pty::Screen;
use common::server::{Response, TestServer};

/// The request options `tidings feeds --json` prints for the only feed.
fn stored_options(t: &Tidings) -> serde_json::Value {
    let json = t.json(&["feeds", "--json"]);
    let feeds = json.as_array().expect("an array of feeds");
    assert_eq!(feeds.len(), 1, "{json}");
    feeds[0]["options"].clone()
}

/// Waits (up to 10 s) until the server has answered more than `seen` requests for `path`.
fn wait_for_hits(server: &TestServer, path: &str, seen: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.hits(path) <= seen {
        assert!(Instant::now() < deadline, "no new request for {path} after 10 s");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn quit(screen: &mut Screen) {
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
}

#[test]
fn e_replaces_the_options_and_the_next_refresh_sends_the_new_user_agent() {
    let server = TestServer::start();
    server.route("/feed.xml", Response::ok(rss_feed("Served", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/feed.xml"), "--header", "X-Old: gone soon"]);
    assert_eq!(server.last_header("/feed.xml", "x-old").as_deref(), Some("gone soon"));
    let mut screen = Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Served", "2 unread"]);
    // The prompt starts with the options as the command line writes them.
    screen.keys("e");
    screen.wait_for(&["request options: --header \"X-Old: gone soon\""]);
    // Ctrl-u clears it: the new line is the whole state, so the header goes.
    screen.keys("\u{15}--user-agent \"tidings-test/1\"\r");
    screen.wait_for(&["Served: request options: user agent \"tidings-test/1\""]);
    let seen = server.hits("/feed.xml");
    screen.keys("r");
    wait_for_hits(&server, "/feed.xml", seen);
    assert_eq!(server.last_header("/feed.xml", "user-agent").as_deref(), Some("tidings-test/1"));
    assert_eq!(server.last_header("/feed.xml", "x-old"), None, "the header not in the line is dropped");
    // The `i` window shows them too.
    screen.keys("i");
    screen.wait_for(&["request options: user agent \"tidings-test/1\"", "fetch history"]);
    screen.keys("Q");
    screen.wait_until("the window closed", |s| !s.contents().contains("fetch history"));
    quit(&mut screen);
    assert_eq!(
        stored_options(&t),
        serde_json::json!({"user_agent": "tidings-test/1", "referer": null, "headers": [], "proxy": null})
    );
}

#[test]
fn a_refused_line_shows_its_error_stays_in_the_prompt_and_stores_nothing() {
    let t = Tidings::new();
    let path = t.dir.path().join("local.xml");
    std::fs::write(&path, rss_feed("Local", 2, 1)).expect("write the feed");
    t.ok(&["add", path.to_str().expect("utf-8 path"), "--referer", "https://example.org/"]);
    let before = stored_options(&t);
    let mut screen = Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Local", "2 unread"]);
    screen.keys("e");
    screen.wait_for(&["request options: --referer https://example.org/"]);
    screen.keys("\u{15}--header nocolon\r");
    // The error on the row above, the line still in the prompt to be fixed.
    screen.wait_for(&["--header needs a name, a colon and a value", "request options: --header nocolon"]);
    // Esc gives up: nothing was written.
    screen.keys("\x1b");
    screen.wait_until("the prompt closed", |s| !s.contents().contains("request options: --header nocolon"));
    quit(&mut screen);
    assert_eq!(stored_options(&t), before);
    assert_eq!(before["referer"], "https://example.org/");
}

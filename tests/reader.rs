//! End to end: the real binary in a pseudo-terminal, driven by keys, read back through vt100.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]
#![allow(unsafe_code, reason = "kill(2), to signal the reader under test")]

mod common;

use common::cli::{corpus_dir, rss_feed, Tidings};
use common::pty::Screen;
use common::server::{Response, TestServer};

const LOCAL_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quokka Gazette</title><link>https://example.org/</link>
<description>d</description>
<item><title>Oldest quokka news</title><link>https://example.org/1</link><guid>q-1</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate><description>&lt;p&gt;First body.&lt;/p&gt;</description></item>
<item><title>Middle quokka news</title><link>https://example.org/2</link><guid>q-2</guid>
<pubDate>Tue, 02 Jan 2024 10:00:00 +0000</pubDate><description>&lt;p&gt;Second body.&lt;/p&gt;</description></item>
<item><title>Newest quokka news</title><link>https://example.org/3</link><guid>q-3</guid>
<pubDate>Wed, 03 Jan 2024 10:00:00 +0000</pubDate><description>&lt;p&gt;Quokkas smile at &lt;b&gt;everyone&lt;/b&gt; they meet.&lt;/p&gt;</description></item>
</channel></rss>
"#;

fn unread(t: &Tidings) -> u64 {
    t.ok(&["unread"]).trim().parse().expect("unread prints a number")
}

#[test]
fn browse_open_an_article_and_quit() {
    let t = Tidings::new();
    let seed = corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    t.ok(&["add", seed.to_str().expect("utf-8 path")]);
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let before = unread(&t);
    assert_eq!(before, 4, "one seed article and three local ones");

    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["机器之心", "Quokka Gazette", &format!("{before} unread")]);

    // Second feed, into its articles (newest first), open the first.
    screen.keys("j");
    screen.wait_for(&["Newest quokka news", "Oldest quokka news"]);
    screen.keys("\r");
    screen.keys("\r");
    screen.wait_for(&["Link:   https://example.org/3", "Quokkas smile at", "they meet."]);
    // Opening it marked it read: the counts follow.
    screen.wait_for(&[&format!("{} unread", before - 1), "2/3"]);

    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(unread(&t), before - 1);
}

#[test]
fn no_feeds_shows_the_welcome_text() {
    let t = Tidings::new();
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["tidings add URL", "tidings import FILE"]);
    screen.keys("Q");
    assert!(screen.wait_exit());
    screen.wait_restored();
}

#[test]
fn sigterm_restores_the_terminal_and_keeps_marks() {
    let t = Tidings::new();
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Quokka Gazette", "Newest quokka news", "3 unread"]);
    // Into the articles, mark the first read with `m`.
    screen.keys("\rm");
    screen.wait_for(&["2 unread"]);
    assert!(screen.alternate_screen());
    let pid = screen.child.process_id().expect("pid");
    // SAFETY: kill(2) on the pid of our own child process.
    let sent = unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    assert!(screen.wait_exit());
    screen.wait_restored();
    assert_eq!(unread(&t), 2);
}

#[test]
fn without_a_terminal_the_reader_explains_itself() {
    let t = Tidings::new();
    let out = t.output(&[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs a terminal"), "{stderr}");
}

#[test]
fn big_r_refreshes_from_inside_the_reader() {
    let server = TestServer::start();
    server.route("/gen.xml", Response::ok(rss_feed("gen", 3, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/gen.xml")]);
    assert_eq!(unread(&t), 3);

    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["gen", "3/3", "3 unread", "gen item 2"]);
    // Into the feed's articles, then two new items (0..5, the same GUIDs for the first three).
    screen.keys("\r");
    server.route("/gen.xml", Response::ok(rss_feed("gen", 5, 1)));
    screen.keys("R");
    screen.wait_for(&["5 unread", "5/5", "refreshed 1 feed in", "gen item 4", "gen item 3"]);
    assert!(server.hits("/gen.xml") >= 2);

    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(unread(&t), 5);
}

/// The flags of every article, by title, as the CLI reports them.
fn flags_by_title(t: &Tidings) -> std::collections::BTreeMap<String, (bool, bool)> {
    let json = t.json(&["articles", "--json"]);
    json.as_array()
        .expect("an array")
        .iter()
        .map(|a| {
            let title = a["title"].as_str().expect("title").to_owned();
            (title, (a["read"].as_bool().expect("read"), a["starred"].as_bool().expect("starred")))
        })
        .collect()
}

#[test]
fn a_whole_triage_session_from_a_fresh_start() {
    let server = TestServer::start();
    server.route("/alpha.xml", Response::ok(rss_feed("alpha", 3, 1)));
    server.route("/beta.xml", Response::ok(rss_feed("beta", 2, 1)));
    let t = Tidings::new();

    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Welcome to tidings", "sample feeds"]);
    // Subscribe from inside the reader: `a`, the URL, Enter; it is fetched at once.
    screen.keys("a");
    screen.wait_for(&["add feed URL:"]);
    screen.keys(&format!("{}\r", server.url("/alpha.xml")));
    screen.wait_for(&["added alpha: 3 articles", "3/3"]);
    screen.keys("a");
    screen.keys(&format!("{}\r", server.url("/beta.xml")));
    screen.wait_for(&["added beta: 2 articles", "2/2", "5 unread"]);

    // R refreshes both (nothing new).
    screen.keys("R");
    screen.wait_for(&["refreshed 2 feeds"]);

    // alpha: open its second article (newest first: item 2, item 1, item 0), star it.
    screen.keys("g");
    screen.wait_for(&["alpha item 2"]);
    screen.keys("\rj\r");
    screen.wait_for(&["Body 1 v1", "4 unread"]);
    screen.keys("s");
    screen.wait_for(&["starred"]);
    // Back to the feeds, mark the feed read, then undo it.
    screen.keys("hh");
    screen.keys("A");
    screen.wait_for(&["alpha: 2 marked read", "2 unread"]);
    screen.keys("u");
    screen.wait_for(&["undone: 2 marked unread", "4 unread"]);
    // n from the feeds pane opens the first unread article.
    screen.keys("n");
    screen.wait_for(&["Body 2 v1", "3 unread"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();

    let flags = flags_by_title(&t);
    assert_eq!(flags["alpha item 1"], (true, true), "{flags:?}");
    assert_eq!(flags["alpha item 2"], (true, false), "{flags:?}");
    assert_eq!(flags["alpha item 0"], (false, false), "{flags:?}");
    assert_eq!(flags["beta item 0"], (false, false), "{flags:?}");
    assert_eq!(unread(&t), 3);

    // Start again: the same state, and S lists the starred article across feeds.
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["3 unread", "alpha", "1/3", "beta", "2/2"]);
    screen.keys("S");
    screen.wait_for(&["Starred", "alpha item 1"]);
    let contents = screen.contents();
    assert!(!contents.contains("alpha item 0"), "only starred articles are listed:\n{contents}");
    screen.keys("Q");
    assert!(screen.wait_exit());
}

#[test]
fn sample_feeds_from_the_welcome_screen_and_the_help_overlay() {
    let t = Tidings::new();
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["Welcome to tidings"]);
    screen.keys("\r");
    screen.wait_for(&["added 3 sample feeds", "inessential.com", "机器之心"]);
    screen.keys("?");
    screen.wait_for(&["Keys", "next unread"]);
    screen.keys("\x1b");
    screen.wait_until("help closed", |s| !s.contents().contains("Keys (Esc closes)"));
    // / filters the feeds as you type.
    screen.keys("/inessential");
    screen.wait_until("only the matching feed", |s| {
        let c = s.contents();
        c.contains("inessential.com") && !c.contains("机器之心")
    });
    screen.keys("\r");
    screen.keys("Q");
    assert!(screen.wait_exit());
    assert_eq!(t.json(&["feeds", "--json"]).as_array().map(Vec::len), Some(3));
}

#[test]
fn a_bad_theme_is_a_clear_error_before_the_screen_is_taken() {
    let t = Tidings::with_config("theme = \"nosuch\"\n");
    let out = t.output(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nosuch") && err.contains("mono"), "names the theme and the choices: {err}");
}

/// Whether any cell on screen has a foreground or background colour.
fn any_colour(screen: &vt100::Screen) -> bool {
    let (rows, cols) = screen.size();
    (0..rows.get()).any(|r| {
        (0..cols.get()).any(|c| {
            screen.cell(r, c).is_some_and(|cell| {
                cell.fgcolor() != vt100::Color::Default || cell.bgcolor() != vt100::Color::Default
            })
        })
    })
}

#[test]
fn no_color_draws_without_colour_and_themes_apply() {
    let seed = corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    // The default theme uses colour (the focused border).
    let t = Tidings::new();
    t.ok(&["add", seed.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["机器之心", "1 unread"]);
    assert!(any_colour(&screen.parser.lock().expect("parser").screen().clone()));
    screen.keys("Q");
    assert!(screen.wait_exit());

    // mono: none at all; the same for NO_COLOR with the default theme.
    for (config, no_color) in [("theme = \"mono\"\n", false), ("", true)] {
        let t = Tidings::with_config(config);
        t.ok(&["add", seed.to_str().expect("utf-8 path")]);
        let mut screen =
            if no_color { Screen::spawn_with_env(&t, &[("NO_COLOR", "1")]) } else { Screen::spawn(&t) };
        screen.wait_for(&["机器之心", "1 unread"]);
        screen.keys("\r\r");
        screen.wait_for(&["Feed:"]);
        let colourful = any_colour(&screen.parser.lock().expect("parser").screen().clone());
        assert!(!colourful, "{config:?} NO_COLOR={no_color}: a coloured cell");
        screen.keys("Q");
        assert!(screen.wait_exit());
    }
}

/// A browser that records its arguments (NUL-terminated) in `out`.
fn recording_browser(dir: &std::path::Path, out: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("record.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{}'\n", out.display()),
    )
    .expect("write the recorder");
    script
}

#[test]
fn o_opens_the_link_in_the_browser_detached_or_in_the_terminal() {
    for in_terminal in [false, true] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("argv");
        let script = recording_browser(dir.path(), &out);
        let t = Tidings::with_config(&format!(
            "browser = [\"sh\", \"{}\", \"--new-tab\"]\nbrowser_in_terminal = {in_terminal}\n",
            script.display()
        ));
        let local = t.dir.path().join("quokka.xml");
        std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
        t.ok(&["add", local.to_str().expect("utf-8 path")]);
        let mut screen = Screen::spawn(&t);
        screen.wait_for(&["Quokka Gazette", "3 unread"]);
        screen.keys("\r");
        screen.wait_for(&["Newest quokka news"]);
        screen.keys("o");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !out.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        // The reader is (back) on its screen.
        screen.wait_for(&[if in_terminal { "back from sh" } else { "opened https://example.org/3" }]);
        assert!(screen.alternate_screen());
        let argv = std::fs::read(&out).expect("the browser ran");
        assert_eq!(argv, b"--new-tab\0https://example.org/3\0", "in_terminal={in_terminal}");
        screen.keys("Q");
        assert!(screen.wait_exit());
    }
}

#[test]
fn with_mouse_on_a_click_selects_and_the_mouse_is_released_on_quit() {
    let t = Tidings::with_config("[reader]\nmouse = true\n");
    let seed = corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    t.ok(&["add", seed.to_str().expect("utf-8 path")]);
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["机器之心", "Quokka Gazette"]);
    screen.wait_until("mouse reporting on", |s| s.mouse_protocol_mode() != vt100::MouseProtocolMode::None);
    // SGR left press and release on the second feed (row 3, column 5, 1-based).
    screen.keys("\x1b[<0;5;3M\x1b[<0;5;3m");
    screen.wait_for(&["Newest quokka news"]);
    screen.keys("Q");
    assert!(screen.wait_exit());
    screen.wait_restored();
    let mode = screen.parser.lock().expect("parser").screen().mouse_protocol_mode();
    assert_eq!(mode, vt100::MouseProtocolMode::None, "the mouse is given back");
}

#[test]
fn works_under_every_common_term() {
    let t = Tidings::new();
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    for term in ["xterm-256color", "screen-256color", "tmux-256color", "linux", "vt100", "dumb"] {
        let mut screen = Screen::spawn_full(&t, 80, 24, &[("TERM", term)]);
        screen.wait_for(&["Quokka Gazette"]);
        screen.keys("\r\r");
        screen.wait_for(&["Quokkas smile at"]);
        screen.keys("Q");
        assert!(screen.wait_exit(), "TERM={term}");
        screen.wait_restored();
    }
}

#[test]
fn a_failing_refresh_is_marked_shown_and_logged() {
    let server = TestServer::start();
    server.route("/gen.xml", Response::ok(rss_feed("gen", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/gen.xml")]);
    server.route("/gen.xml", Response::status(500));
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["gen", "2 unread"]);
    screen.keys("R");
    screen.wait_for(&["refreshed 1 feed in", "1 failed", "!gen"]);
    // i shows the failure in the fetch history.
    screen.keys("i");
    screen.wait_for(&["fetch history", "500"]);
    // q closes the window; a second q quits (from the feeds pane).
    screen.keys("q");
    screen.wait_until("the window closed", |s| !s.contents().contains("fetch history"));
    screen.keys("q");
    assert!(screen.wait_exit());
    let log = std::fs::read_to_string(t.dir.path().join("state/tidings/tidings.log")).expect("the log");
    assert!(log.contains("refresh: feed 1 (gen)") && log.contains("500"), "{log}");
}

#[test]
fn esc_and_a_key_typed_together_are_both_obeyed() {
    let t = Tidings::new();
    let local = t.dir.path().join("quokka.xml");
    std::fs::write(&local, LOCAL_FEED).expect("write the local feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Quokka Gazette", "3 unread"]);
    // In a prompt: ESC i in one write (what a fast typist over SSH sends) cancels the prompt,
    // then i opens the fetch history.
    screen.keys("a");
    screen.wait_for(&["add feed URL:"]);
    screen.keys("https://nowhere.example/\x1bi");
    screen.wait_for(&["fetch history"]);
    assert!(!screen.contents().contains("add feed URL:"));
    // In the article: ESC j goes back to the list, then moves down.
    screen.keys("\x1b");
    screen.keys("\r\r");
    screen.wait_for(&["Quokkas smile at"]);
    screen.keys("\x1bj\r");
    screen.wait_for(&["Second body."]);
    screen.keys("Q");
    assert!(screen.wait_exit());
}

#[test]
fn escape_sequences_in_a_feed_reach_the_screen_only_as_text() {
    // A title and body carrying OSC 0 (window title), OSC 52 (clipboard) and a screen clear,
    // as numeric references (which feed-rs decodes into real ESC and BEL).
    let feed = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Evil&#27;]0;pwned&#7; feed</title><link>https://example.org/</link>
<description>d</description>
<item><title>Clip&#27;]52;c;cm0gLXJmIH4=&#7;board</title><link>https://example.org/1</link><guid>e-1</guid>
<description>&lt;p&gt;Body&#27;[2J text&#x1b;]0;again&#x07; end&lt;/p&gt;</description></item>
</channel></rss>
"#;
    let t = Tidings::new();
    let local = t.dir.path().join("evil.xml");
    std::fs::write(&local, feed).expect("write the feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    // The sequences arrive as harmless visible text: nothing was interpreted.
    screen.wait_for(&["Evil]0;pwned feed", "Clip]52;c;cm0gLXJmIH4=board"]);
    screen.keys("\r\r");
    screen.wait_for(&["Body[2J text]0;again end"]);
    screen.keys("Q");
    assert!(screen.wait_exit());
}

#[test]
fn big_t_groups_the_feeds_under_their_tags_and_a_on_a_heading_marks_them_read() {
    let server = TestServer::start();
    server.route("/alpha.xml", Response::ok(rss_feed("alpha", 2, 1)));
    server.route("/beta.xml", Response::ok(rss_feed("beta", 1, 1)));
    server.route("/gamma.xml", Response::ok(rss_feed("gamma", 1, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/alpha.xml"), "--tag", "news", "--tag", "Tech"]);
    t.ok(&["add", &server.url("/beta.xml"), "--tag", "news"]);
    t.ok(&["add", &server.url("/gamma.xml")]);
    assert_eq!(unread(&t), 4);

    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["alpha", "beta", "gamma", "4 unread"]);
    assert!(!screen.contents().contains("(no tag)"));
    screen.keys("T");
    screen.wait_for(&["- news", "- Tech", "- (no tag)", "grouped by tag"]);
    // Headings in alphabetical order ignoring case, each followed by its feeds.
    let contents = screen.contents();
    let at = |s: &str| contents.find(s).unwrap_or_else(|| panic!("{s:?} missing in\n{contents}"));
    assert!(at("- news") < at("- Tech") && at("- Tech") < at("- (no tag)"), "{contents}");
    // A on the "news" heading (the first row) marks alpha and beta read; u takes it back.
    screen.keys("gA");
    screen.wait_for(&["news: 3 marked read", "1 unread"]);
    screen.keys("u");
    screen.wait_for(&["4 unread"]);
    // Enter folds the heading.
    screen.keys("\r");
    screen.wait_for(&["+ news"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(unread(&t), 4);
}

/// A feed whose one article links to loopback pages, to a `javascript:` URL, and (as numeric
/// references feed-rs decodes into real ESC) to hrefs that try to end an OSC 8 sequence early
/// and start their own.
const LINKED_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Link Gazette</title><link>http://127.0.0.1/</link>
<description>d</description>
<item><title>Linked news</title><link>http://127.0.0.1/page</link><guid>l-1</guid>
<description>&lt;p&gt;Read &lt;a href="http://127.0.0.1/docs?a=1"&gt;the docs&lt;/a&gt;, not
&lt;a href="javascript:alert(1)"&gt;this script&lt;/a&gt;, nor
&lt;a href="http://127.0.0.1/e&#27;]8;;http://evil.example/&#27;\"&gt;escaped&lt;/a&gt; or
&lt;a href="http://127.0.0.1/p%1B]8;;x&#7;"&gt;bell&lt;/a&gt;.&lt;/p&gt;</description></item>
</channel></rss>
"#;

/// Opens the one article of `LINKED_FEED` with `hyperlinks` set, and returns every byte the
/// reader wrote.
fn raw_output_of_the_linked_article(hyperlinks: bool) -> Vec<u8> {
    let t = Tidings::with_config(&format!("[reader]\nhyperlinks = {hyperlinks}\n"));
    let local = t.dir.path().join("linked.xml");
    std::fs::write(&local, LINKED_FEED).expect("write the feed");
    t.ok(&["add", local.to_str().expect("utf-8 path")]);
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Link Gazette", "Linked news"]);
    screen.keys("\r\r");
    screen.wait_for(&[
        "Link:   http://127.0.0.1/page",
        "the docs[1]",
        "this script[2]",
        "[1] http://127.0.0.1/docs?a=1",
    ]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.raw_output()
}

/// The OSC 8 sequences in `raw`, in order: `Some(uri)` opens a hyperlink, `None` closes one;
/// and `raw` with them taken out.
fn osc8_sequences(raw: &[u8]) -> (Vec<Option<String>>, Vec<u8>) {
    let mut found = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(b"\x1b]8;") {
            let end = raw[i..].windows(2).position(|w| w == b"\x1b\\").expect("an OSC 8 is terminated by ST");
            let body = String::from_utf8(raw[i + 4..i + end].to_vec()).expect("ASCII");
            let (_params, uri) = body.split_once(';').expect("params;URI");
            found.push((!uri.is_empty()).then(|| uri.to_owned()));
            i += end + 2;
        } else {
            rest.push(raw[i]);
            i += 1;
        }
    }
    (found, rest)
}

#[test]
fn hyperlinks_on_write_each_openable_link_as_a_closed_osc8_and_nothing_from_the_feed() {
    let raw = raw_output_of_the_linked_article(true);
    let text = String::from_utf8_lossy(&raw);
    // The first cell of the link's text, opened and closed around it.
    let docs = "\x1b]8;id=tidings-1;http://127.0.0.1/docs?a=1\x1b\\t\x1b]8;;\x1b\\";
    assert!(text.contains(docs), "no {docs:?} in {text:?}");
    assert!(
        text.contains("\x1b]8;id=tidings-0;http://127.0.0.1/page\x1b\\h\x1b]8;;\x1b\\"),
        "the header's link"
    );
    let (sequences, rest) = osc8_sequences(&raw);
    // Every hyperlink is closed before anything else is written.
    for pair in sequences.chunks(2) {
        assert!(matches!(pair, [Some(_), None]), "{pair:?} is not an opened and closed hyperlink");
    }
    let uris: std::collections::BTreeSet<&str> = sequences.iter().flatten().map(String::as_str).collect();
    for uri in &uris {
        assert!(uri.starts_with("http://127.0.0.1/"), "linked {uri:?}");
        assert!(uri.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b';'), "unsafe {uri:?}");
    }
    assert!(!uris.iter().any(|u| u.contains("javascript") || u.contains("alert")), "{uris:?}");
    // A `;` the feed put in a URL is percent-encoded (ESC and BEL were dropped by the renderer).
    assert!(uris.contains("http://127.0.0.1/e]8%3B%3Bhttp://evil.example//"), "{uris:?}");
    // Taken out our own OSC 8 sequences, every ESC left starts a CSI sequence: no ESC from the
    // feed reached the terminal, and neither did a BEL.
    for (i, _) in rest.iter().enumerate().filter(|(_, &b)| b == 0x1b) {
        assert_eq!(rest.get(i + 1), Some(&b'['), "a stray ESC: {:?}", String::from_utf8_lossy(&rest[i..]));
    }
    assert!(!rest.contains(&0x07), "a BEL reached the terminal");
}

#[test]
fn hyperlinks_off_write_no_osc8_at_all() {
    let raw = raw_output_of_the_linked_article(false);
    assert!(!raw.windows(4).any(|w| w == b"\x1b]8;"), "{:?}", String::from_utf8_lossy(&raw));
}

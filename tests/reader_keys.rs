//! End to end: keys typed in a burst (faster than anything loads) are all obeyed, in order;
//! overlays, the feeds filter, the health window and small screens, as the user sees them.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::{rss_feed, Tidings};
use common::pty::Screen;
use common::server::{Response, TestServer};

fn unread(t: &Tidings) -> u64 {
    t.ok(&["unread"]).trim().parse().expect("unread prints a number")
}

/// Subscribes to a local file holding `body` (named `name`.xml).
fn add_local(t: &Tidings, name: &str, body: &[u8]) {
    let path = t.dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, body).expect("write the feed");
    t.ok(&["add", path.to_str().expect("utf-8 path")]);
}

/// A feed of `items` articles titled "`title` item 000", "`title` item 001"... newest first
/// in that order (an hour apart), so the n-th row of its list is "item n".
fn ordered_feed(title: &str, items: usize) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://example.org/</link><description>d</description>\n"
    );
    for k in 0..items {
        let (day, hour) = (28 - k / 24, 23 - k % 24);
        s.push_str(&format!(
            "<item><title>{title} item {k:03}</title><link>https://example.org/{title}/{k}</link>\
             <guid>{title}-{k}</guid><pubDate>Sun, {day:02} Jan 2024 {hour:02}:00:00 +0000</pubDate>\
             <description>&lt;p&gt;Body of {title} {k:03}.&lt;/p&gt;</description></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s.into_bytes()
}

/// Waits for the reader to own the terminal (raw mode is on before the alternate screen), so
/// keys written now reach it as keys, whatever it has loaded yet.
fn wait_started(screen: &Screen) {
    screen.wait_until("the alternate screen", vt100::Screen::alternate_screen);
}

fn quit(screen: &mut Screen) {
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
}

#[test]
fn twenty_five_n_in_one_burst_open_twenty_five_articles_across_seven_feeds() {
    let t = Tidings::new();
    for f in 0..7 {
        add_local(&t, &format!("feed{f}"), &rss_feed(&format!("feed{f}"), 4, 1));
    }
    assert_eq!(unread(&t), 28);
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    wait_started(&screen);
    screen.keys(&"n".repeat(25));
    // The leading space: " 13 unread" is not it.
    screen.wait_for(&[" 3 unread"]);
    quit(&mut screen);
    assert_eq!(unread(&t), 3);
}

#[test]
fn ten_spaces_typed_while_the_list_loads_move_ten_pages() {
    let t = Tidings::new();
    add_local(&t, "first", &ordered_feed("first", 3));
    add_local(&t, "deep", &ordered_feed("deep", 300));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["first", "deep"]);
    // The second feed's list is asked for by `j` and lands after every key below was typed.
    // At 80x24 a page of the list is 21 rows: ten pages down is row 210.
    screen.keys(&format!("j\r{}\r", " ".repeat(10)));
    screen.wait_for(&["deep item 210", "Body of deep 210."]);
    quit(&mut screen);
}

#[test]
fn g_enter_big_g_typed_together_open_the_last_article_of_the_first_feed() {
    let t = Tidings::new();
    add_local(&t, "first", &ordered_feed("first", 40));
    add_local(&t, "second", &ordered_feed("second", 3));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["first", "second"]);
    // The second feed's list is shown; back in the feeds pane, g asks for the first one's.
    screen.keys("j\r");
    screen.wait_for(&["second item 002"]);
    screen.keys("h");
    screen.wait_until("the feeds pane", |s| !s.contents().contains("second item 002"));
    screen.keys("g\rG\r");
    screen.wait_for(&["first item 039", "Body of first 039."]);
    quit(&mut screen);
}

#[test]
fn keys_typed_before_anything_loaded_wait_for_it() {
    let t = Tidings::new();
    add_local(&t, "first", &ordered_feed("first", 3));
    add_local(&t, "second", &ordered_feed("second", 30));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    wait_started(&screen);
    // Second feed, into its list, down three, open, then m (unread again) and back.
    screen.keys("j\rjjj\rm");
    screen.wait_for(&["second item 003", "Body of second 003.", "marked unread", "33 unread"]);
    quit(&mut screen);
    assert_eq!(unread(&t), 33);
}

#[test]
fn q_closes_the_help_and_the_health_windows_and_quits_only_from_the_panes() {
    let t = Tidings::new();
    add_local(&t, "first", &ordered_feed("first", 3));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["first", "3 unread"]);
    screen.keys("?");
    screen.wait_for(&["Keys (Esc closes)"]);
    screen.keys("Q");
    screen.wait_until("help closed", |s| !s.contents().contains("Keys (Esc closes)"));
    screen.keys("i");
    screen.wait_for(&["fetch history"]);
    screen.keys("Q");
    screen.wait_until("health closed", |s| !s.contents().contains("fetch history"));
    // Esc closes them too; in one burst, then a key for the panes.
    screen.keys("?\x1bi\x1b\r");
    screen.wait_for(&["first item 000"]);
    assert!(screen.alternate_screen(), "still running");
    assert!(screen.child.try_wait().expect("wait").is_none(), "q in a window quit the reader");
    quit(&mut screen);
}

#[test]
fn the_health_window_says_failing_since_the_first_failure_of_the_streak() {
    let server = TestServer::start();
    server.route("/gen.xml", Response::ok(rss_feed("gen", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url("/gen.xml")]);
    server.route("/gen.xml", Response::status(500));
    // Two failures after a success: failing since the first of them, not "-" (the records
    // were read newest first when the store keeps them oldest first).
    let _ = t.output(&["refresh"]);
    let _ = t.output(&["refresh"]);
    let mut screen = Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["gen"]);
    screen.keys("i");
    screen.wait_for(&["fetch history", "failing since: 20", "last success:  20"]);
    assert!(!screen.contents().contains("failing since: -"), "{}", screen.contents());
    screen.keys("Q");
    screen.wait_until("the window closed", |s| !s.contents().contains("fetch history"));
    quit(&mut screen);
}

#[test]
fn after_a_feeds_filter_the_articles_pane_shows_the_selected_feed() {
    let t = Tidings::new();
    add_local(&t, "alpha", &ordered_feed("alpha", 3));
    add_local(&t, "beta", &ordered_feed("beta", 3));
    // Wide: both lists on screen.
    let mut screen = Screen::spawn_sized(&t, 120, 30);
    screen.wait_for(&["alpha item 000"]);
    screen.keys("/beta");
    screen.wait_for(&["beta item 000"]);
    screen.keys("\r");
    screen.wait_until("only beta's articles", |s| {
        let c = s.contents();
        c.contains("beta item 002") && !c.contains("alpha item")
    });
    // Esc drops the filter: the selection stays on beta, and so do its articles.
    screen.keys("\x1b");
    screen.wait_for(&["alpha", "beta item 000"]);
    quit(&mut screen);
}

#[test]
fn the_selected_row_is_highlighted_across_the_whole_pane() {
    let t = Tidings::new();
    add_local(&t, "alpha", &ordered_feed("alpha", 3));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["alpha"]);
    screen.keys("\r");
    screen.wait_for(&["alpha item 000"]);
    screen.wait_until("the row's last cell styled like its first", |s| {
        // Row 1 is the first list row; column 1 its first cell, 78 its last (inside the border).
        let (Some(first), Some(last), Some(below)) = (s.cell(1, 1), s.cell(1, 78), s.cell(2, 78)) else {
            return false;
        };
        let style = |c: &vt100::Cell| (c.inverse(), c.bgcolor(), c.underline());
        style(first) == style(last) && style(last) != style(below)
    });
    quit(&mut screen);
}

#[test]
fn at_40x12_a_long_link_takes_one_row_of_the_article() {
    let link = format!("https://example.org/{}", "very-long-path-segment/".repeat(8));
    let feed = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Long</title><link>https://example.org/</link>\
         <description>d</description><item><title>Long link</title><link>{link}</link><guid>l-1</guid>\
         <pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate><description>&lt;p&gt;Short body here.&lt;/p&gt;</description>\
         </item></channel></rss>\n"
    );
    let t = Tidings::new();
    add_local(&t, "long", feed.as_bytes());
    let mut screen = Screen::spawn_sized(&t, 40, 12);
    screen.wait_for(&["Long"]);
    screen.keys("\r\r");
    screen.wait_for(&["Link:   https://example.org/very", "Short body here."]);
    let contents = screen.contents();
    let link_rows = contents.lines().filter(|l| l.contains("very-long") || l.contains("segment")).count();
    assert_eq!(link_rows, 1, "{contents}");
    assert!(contents.contains('…'), "{contents}");
    quit(&mut screen);
}

#[test]
fn the_filter_message_goes_with_the_filter() {
    let t = Tidings::new();
    add_local(&t, "alpha", &ordered_feed("alpha", 3));
    add_local(&t, "beta", &ordered_feed("beta", 3));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["alpha", "beta"]);
    screen.keys("/beta\r");
    screen.wait_for(&["filter \"beta\": Esc clears it", "Feeds /beta"]);
    screen.keys("\x1b");
    // Drawn in the same frame as the cleared filter: the message went with it.
    screen.wait_until("the filter cleared", |s| !s.contents().contains("Feeds /beta"));
    assert!(!screen.contents().contains("Esc clears it"), "{}", screen.contents());
    quit(&mut screen);
}

#[test]
fn at_60_columns_the_health_window_is_as_wide_as_the_terminal_and_shows_a_whole_error() {
    let server = TestServer::start();
    let path = format!("/{}/gen.xml", "a-rather-long-directory-name".repeat(3));
    server.route(&path, Response::ok(rss_feed("gen", 2, 1)));
    let t = Tidings::new();
    t.ok(&["add", &server.url(&path)]);
    server.route(&path, Response::status(500));
    let _ = t.output(&["refresh"]);
    let mut screen = Screen::spawn_sized(&t, 60, 20);
    screen.wait_for(&["gen"]);
    screen.keys("i");
    screen.wait_for(&["fetch history", "500"]);
    // The window's border starts at the first column, and the error's every character is on
    // screen (wrapped, not cut): the URL it names, joined up again.
    let contents = screen.contents();
    assert!(contents.lines().next().is_some_and(|l| l.starts_with('┌')), "{contents}");
    let joined: String =
        contents.lines().map(|l| l.trim_matches(|c| c == '│' || c == ' ')).collect::<Vec<_>>().concat();
    assert!(joined.contains(&path), "{path} not whole in\n{contents}");
    quit_from_window(&mut screen);
}

fn quit_from_window(screen: &mut Screen) {
    screen.keys("\x1b");
    screen.wait_until("the window closed", |s| !s.contents().contains("fetch history"));
    quit(screen);
}

/// A feed whose articles say what `items` give: (title, body text).
fn feed_of(title: &str, items: &[(&str, &str)]) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://example.org/</link><description>d</description>\n"
    );
    for (k, (item, body)) in items.iter().enumerate() {
        s.push_str(&format!(
            "<item><title>{item}</title><link>https://example.org/{title}/{k}</link><guid>{title}-{k}</guid>\
             <pubDate>Sun, 28 Jan 2024 {:02}:00:00 +0000</pubDate><description>&lt;p&gt;{body}&lt;/p&gt;</description></item>\n",
            23 - k
        ));
    }
    s.push_str("</channel></rss>\n");
    s.into_bytes()
}

#[test]
fn ctrl_slash_searches_every_feed_and_keys_typed_after_it_wait_for_the_results() {
    let t = Tidings::new();
    add_local(
        &t,
        "news",
        &feed_of("news", &[("Weather today", "Rain and wind."), ("Markets", "Stocks fell.")]),
    );
    add_local(
        &t,
        "tech",
        &feed_of(
            "tech",
            &[("A post on 机器学习", "深度学习的论文。"), ("Compilers", "Running the optimizer twice.")],
        ),
    );
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["news", "tech"]);
    // Ctrl-/ as a terminal without the kitty protocol sends it (0x1f), a CJK word of a
    // body, Enter, then Enter at once: it opens the first result once the results land.
    screen.keys("\x1f学习\r\r");
    screen.wait_for(&["A post on 机器学习", "深度学习的论文。"]);
    screen.keys("h");
    screen.wait_for(&["Search: 学习", "1/1"]);
    assert!(!screen.contents().contains("Weather today"), "{}", screen.contents());
    // F (the other default key) with a stemmed word: "runs" finds "Running". Then a search
    // that finds nothing says so; h goes back, and Enter on a feed brings its list back.
    screen.keys("hF");
    screen.wait_for(&["search every article: 学习"]);
    // Ctrl-u clears the last search the prompt starts with.
    screen.keys("\x15runs\r");
    screen.wait_for(&["Search: runs", "Compilers"]);
    screen.keys("\x1f\x15nothing-like-this\r");
    screen.wait_for(&["no article has every word of nothing-like-this"]);
    screen.keys("hg\r");
    screen.wait_for(&["Weather today", "Markets"]);
    quit(&mut screen);
}

#[test]
fn the_order_o_chose_for_a_feed_is_there_in_the_next_run() {
    let t = Tidings::new();
    add_local(&t, "first", &ordered_feed("first", 3));
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["first"]);
    screen.keys("\rO");
    screen.wait_for(&["articles oldest first"]);
    quit(&mut screen);
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["first"]);
    screen.keys("\r");
    // Oldest first: item 002 (the oldest) is the first row of the list.
    screen.wait_until("the oldest first", |s| {
        let text = s.contents();
        text.find("first item 002").zip(text.find("first item 000")).is_some_and(|(old, new)| old < new)
    });
    quit(&mut screen);
}

#[test]
fn q_goes_back_a_pane_at_a_time_as_in_newsboat_and_quits_from_the_feeds() {
    let t = Tidings::new();
    add_local(&t, "alpha", &ordered_feed("alpha", 3));
    // 80 columns: one pane at a time, so the screen tells which has the focus.
    let mut screen = Screen::spawn_sized(&t, 80, 24);
    screen.wait_for(&["alpha", "3 unread"]);
    // Into the feed, into its first article: then each q goes back one pane.
    screen.keys("\r\r");
    screen.wait_for(&["Body of alpha 000."]);
    screen.keys("q");
    screen.wait_until("back in the list", |s| {
        let text = s.contents();
        !text.contains("Body of alpha 000.") && text.contains("alpha item 002")
    });
    screen.keys("q");
    screen.wait_until("back in the feeds", |s| {
        let text = s.contents();
        text.contains("Feeds") && !text.contains("alpha item 002") && s.alternate_screen()
    });
    screen.keys("q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    screen.wait_restored();
    assert_eq!(unread(&t), 2, "the article read on the way is kept");
}

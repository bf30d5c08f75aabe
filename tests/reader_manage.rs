//! Managing feeds (and an article's tags) from the reader, with the real binary in a
//! pseudo-terminal: `D` removes (after `y`), `E` renames, `#` retags a feed or an article, `C`
//! marks every feed read and `u` undoes it; each checked on screen and then with the command
//! line, which reads the same database.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::{rss_feed, Tidings};

fn two_feeds() -> Tidings {
    let t = Tidings::new();
    for name in ["Alpha", "Beta"] {
        let path = t.dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, rss_feed(name, 3, 1)).unwrap();
        t.ok(&["add", path.to_str().unwrap()]);
    }
    t
}

fn feeds(t: &Tidings) -> Vec<(String, Vec<String>)> {
    let json = t.json(&["feeds", "--json"]);
    json.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let tags = f["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
            (f["title"].as_str().unwrap().to_owned(), tags)
        })
        .collect()
}

#[test]
fn feeds_are_renamed_retagged_and_removed_from_the_reader() {
    let t = two_feeds();
    let mut screen = common::pty::Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Alpha", "Beta", "6 unread"]);
    // E on Alpha: the title prompt starts with the current one.
    screen.keys("E");
    screen.wait_for(&["title (empty: the feed's own): Alpha"]);
    screen.keys("\u{15}My Alpha\r");
    screen.wait_for(&["My Alpha"]);
    // #: tags, separated by spaces or commas.
    screen.keys("#");
    screen.wait_for(&["tags: "]);
    screen.keys("news, tech\r");
    screen.wait_for(&["My Alpha: news, tech"]);
    // D on Beta: any key but y keeps it; y removes it.
    screen.keys("j");
    screen.keys("D");
    // The prompt names the feed it would remove.
    screen.wait_for(&["remove Beta and its articles? (y removes)"]);
    screen.keys("n");
    screen.wait_for(&["kept"]);
    screen.keys("D");
    screen.keys("y");
    screen.wait_until("Beta gone", |s| {
        let c = s.contents();
        !c.contains("Beta") && c.contains("3 unread")
    });
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    assert_eq!(feeds(&t), vec![("My Alpha".to_owned(), vec!["news".to_owned(), "tech".to_owned()])]);
}

#[test]
fn hash_on_an_article_sets_its_own_tags_and_tags_given_elsewhere_show_too() {
    let t = two_feeds();
    let mut screen = common::pty::Screen::spawn_sized(&t, 120, 30);
    screen.wait_for(&["Alpha", "Beta", "6 unread"]);
    // Alpha's articles, the newest selected; # there is the article's, not the feed's.
    screen.keys("\r");
    screen.wait_for(&["Alpha item 2"]);
    screen.keys("#");
    screen.wait_for(&["article tags: "]);
    screen.keys("later, rust\r");
    screen.wait_for(&["the article's tags: later, rust"]);
    // The article view's header shows them.
    screen.keys("\r");
    screen.wait_for(&["Tags:   later, rust"]);
    // Tagged from the command line while the reader runs: the header follows.
    let found = t.json(&["articles", "--query", "tag:later", "--json"]);
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["title"], "Alpha item 2");
    let id = found[0]["id"].as_u64().unwrap().to_string();
    t.ok(&["tag", &id, "elsewhere"]);
    screen.wait_for(&["Tags:   elsewhere, later, rust"]);
    // # in the article view: prefilled with all three; Enter keeps exactly what is left.
    screen.keys("#");
    screen.wait_for(&["article tags: elsewhere later rust"]);
    screen.keys("\u{17}\r");
    screen.wait_for(&["Tags:   elsewhere, later"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    let tagged = t.json(&["articles", "--query", "tag:later", "--json"]);
    assert_eq!(tagged[0]["tags"], serde_json::json!(["elsewhere", "later"]), "{tagged}");
    assert!(t.json(&["articles", "--query", "tag:rust", "--json"]).as_array().unwrap().is_empty());
    // The feed was not retagged.
    assert!(feeds(&t).iter().all(|(_, tags)| tags.is_empty()));
}

#[test]
fn c_marks_every_feed_read_and_u_takes_it_back() {
    let t = two_feeds();
    let mut screen = common::pty::Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Alpha", "Beta", "6 unread"]);
    screen.keys("C");
    screen.wait_for(&["every feed: 6 marked read (u undoes)", " 0 unread"]);
    assert_eq!(t.ok(&["unread"]).trim(), "0");
    screen.keys("u");
    screen.wait_for(&[" 6 unread"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    assert_eq!(t.ok(&["unread"]).trim(), "6");
}

#[test]
fn big_o_puts_the_articles_in_another_order() {
    let t = two_feeds();
    let mut screen = common::pty::Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Alpha item 2"]);
    let first_row = |s: &vt100::Screen, title: &str| {
        let c = s.contents();
        let rows: Vec<&str> = c.lines().filter(|l| l.contains("Alpha item")).collect();
        rows.first().is_some_and(|r| r.contains(title)) && rows.len() == 3
    };
    screen.wait_until("newest first", |s| first_row(s, "Alpha item 2"));
    screen.keys("\r");
    screen.keys("O");
    screen.wait_for(&["articles oldest first"]);
    screen.wait_until("oldest first", |s| first_row(s, "Alpha item 0"));
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
}

#[test]
fn big_j_and_k_move_a_feed_and_the_order_is_kept() {
    let t = two_feeds();
    let mut screen = common::pty::Screen::spawn_sized(&t, 100, 30);
    screen.wait_for(&["Alpha", "Beta"]);
    // Rows of the feeds pane start with the border and the marker column.
    let alpha_first = |s: &vt100::Screen| {
        let c = s.contents();
        let row = |name: &str| c.lines().position(|l| l.starts_with(&format!("│ {name} ")));
        row("Alpha").zip(row("Beta")).map(|(a, b)| a < b)
    };
    assert_eq!(alpha_first(screen.parser.lock().unwrap().screen()), Some(true));
    // J moves Alpha below Beta, and the selection goes with it.
    screen.keys("J");
    screen.wait_until("Beta first", |s| alpha_first(s) == Some(false));
    screen.keys("J");
    screen.wait_for(&["already last"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "tidings exited with failure:\n{}", screen.contents());
    let titles: Vec<String> = feeds(&t).into_iter().map(|(title, _)| title).collect();
    assert_eq!(titles, ["Beta", "Alpha"], "tidings feeds lists them in the order set");
}

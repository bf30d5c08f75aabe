//! Inputs the fuzzers (fuzz/, `cargo fuzz run <target>`) found, kept as tests so each finding
//! stays fixed. The inputs live in tests/fuzz_inputs/.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use tidings::sanitize::is_forbidden;
use unicode_width::UnicodeWidthStr;

fn input(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_inputs").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// fuzz target `opml`: an XML file whose root element name holds control characters
/// (`<\x01\x000...`) was reported as "its root element is <\x01\x000...>", the raw bytes in
/// the message. Fixed in src/subscriptions/opml.rs: the name is cleaned and shortened.
#[test]
fn opml_error_names_a_hostile_root_element_cleanly() {
    let bytes = input("opml-control-char-root-name.xml");
    let err = tidings::subscriptions::parse_opml(&bytes).expect_err("not OPML");
    let message = err.to_string();
    assert!(message.contains("not OPML"), "{message}");
    assert!(!message.chars().any(is_forbidden), "{message:?}");
    // The same through the sniffing entry point `tidings import` uses.
    let err = tidings::subscriptions::parse_import(&bytes).expect_err("not OPML");
    assert!(!err.to_string().chars().any(is_forbidden), "{err}");
}

#[test]
fn opml_error_shortens_a_huge_root_element_name() {
    let name = "x".repeat(100_000);
    let doc = format!("<{name} a=\"1\"><broken");
    let err = tidings::subscriptions::parse_opml(doc.as_bytes()).expect_err("not OPML");
    assert!(err.to_string().len() < 500, "a {}-byte message", err.to_string().len());
}

/// fuzz target `opml`: a file cut off inside an element whose name holds control characters
/// gave the skip reason "the file ends inside <bo\u{0}...>" with the raw bytes. Fixed in
/// src/subscriptions/mod.rs: every skip reason is cleaned, like the entry it describes.
#[test]
fn opml_cut_off_inside_a_hostile_element_is_reported_cleanly() {
    let list = tidings::subscriptions::parse_opml(&input("opml-cut-off-inside-hostile-element.xml"))
        .expect("a partial list");
    assert!(list.skipped.iter().any(|s| s.reason.contains("the file ends inside")), "{:?}", list.skipped);
    for s in &list.skipped {
        assert!(!s.reason.chars().chain(s.what.chars()).any(is_forbidden), "{s:?}");
    }
}

/// fuzz target `urls`: the line `HTTP://Exampl"title\""` was imported as the feed
/// `http://exampltitle"/` (the url crate allows a quote in a host name), which `tidings export
/// --urls` then wrote back unquoted and which read back as a different URL. Fixed in
/// src/subscriptions/mod.rs: a URL whose host holds a quote is skipped with a reason.
#[test]
fn a_quote_in_a_host_name_is_skipped_and_the_export_round_trips() {
    use tidings::subscriptions::{parse_urls_file, write_urls};
    let list = parse_urls_file(&input("urls-quote-in-host.txt")).expect("a urls file");
    assert!(list.subscriptions.iter().all(|s| !s.url.contains('"')), "{:?}", list.subscriptions);
    assert!(list.skipped.iter().any(|s| s.reason.contains("quote")), "{:?}", list.skipped);
    let back = parse_urls_file(write_urls(&list.subscriptions).as_bytes()).expect("our own export");
    assert_eq!(back.subscriptions, list.subscriptions);

    // The same URL written quoted, the quote escaped: `"http://a\"b.example/feed"`.
    let list =
        parse_urls_file(b"https://ok.example/feed\n\"http://a\\\"b.example/feed\"\n").expect("a urls file");
    let urls: Vec<&str> = list.subscriptions.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, ["https://ok.example/feed"]);
    assert_eq!(list.skipped.len(), 1, "{:?}", list.skipped);
}

/// fuzz target `feed` (with FUZZ_STRICT_PANICS=1): an Atom document with a second XML
/// declaration naming another encoding (`<?xml ... encoding="Big5"?>` inside `<feed>`) makes
/// quick-xml 0.42 panic in `set_encoding` under feed-rs (upstream bug). tidings contains the
/// panic and parses again without the stray declaration: this input is broken XML besides, so
/// it ends with that clear error rather than "parser crashed"; nothing panics through.
#[test]
fn a_feed_rs_panic_is_contained_as_the_feeds_error() {
    let bytes = input("feed-second-xml-declaration.atom");
    let result =
        std::panic::catch_unwind(|| tidings::parse::parse_feed(&bytes, None, "https://example.org/f"));
    let parsed = result.expect("parse_feed let a panic through");
    let err = parsed.expect_err("the document cannot be parsed");
    let message = err.to_string();
    assert!(!matches!(err, tidings::parse::ParseError::Crashed { .. }), "{message}");
    assert!(!message.contains('\n') && !message.chars().any(is_forbidden), "{message:?}");
    assert!(!tidings::parse::containing_panics(), "the containment flag was left on");
}

/// Renders a fuzz input (first byte = width - 1, the rest HTML) with the article renderer
/// and returns the lines wider than the width.
fn overflowing_lines(name: &str) -> Vec<(usize, String)> {
    let data = input(name);
    let width = 1 + u16::from(data[0]) % 300;
    let html = String::from_utf8_lossy(&data[1..]);
    let rendered = tidings::render::render_article(&html, width, &Default::default());
    rendered
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>())
        .filter(|l| l.width() > usize::from(width))
        .map(|l| (l.width(), l))
        .collect()
}

/// fuzz target `html_render`: `<a href="o\to">r` at width 10 gave the footnote
/// `[1]: o    o`, 11 columns, with the first (plain) renderer, which expanded tabs after
/// html2text had wrapped the line.
#[test]
fn a_tab_does_not_push_a_line_past_the_width() {
    assert_eq!(overflowing_lines("html-tab-in-link-overflows-width.bin"), vec![]);
}

/// fuzz target `html_render`: wide characters (CJK, an emoji with a skin tone) mixed with
/// U+FFFD gave an 11-column line at width 10: html2text's wrapping and unicode-width disagree.
#[test]
fn wide_characters_do_not_push_a_line_past_the_width() {
    assert_eq!(overflowing_lines("html-wide-chars-overflow-width.bin"), vec![]);
}

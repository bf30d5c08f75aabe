//! Rendering fidelity of `tidings show` (issue 10, item 8), through the real binary: sample
//! feeds from tests/feeds/render served on 127.0.0.1, `tidings add` + `tidings refresh`, then
//! `tidings show ID`. Sub/superscripts, linked images without alt text, the "Links" list made
//! absolute against the item's base, enclosures, and tables without rules between rows.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::Tidings;
use common::server::{Response, TestServer};

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/render").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A store subscribed to the sample feed `name` (served over HTTP), refreshed.
fn subscribed(name: &str, content_type: &str) -> (Tidings, TestServer) {
    let server = TestServer::start();
    let path = format!("/{name}");
    server.route(&path, Response::ok(sample(name)).content_type(content_type));
    let t = Tidings::new();
    t.ok(&["add", &server.url(&path)]);
    let out = t.ok(&["refresh"]);
    assert!(out.contains("1 fetched"), "{out}");
    (t, server)
}

fn rss() -> (Tidings, TestServer) {
    subscribed("fidelity.rss", "application/rss+xml")
}

/// `tidings show` of the article titled `title`; asserts nothing in it is a control character.
fn show(t: &Tidings, title: &str) -> String {
    let articles = t.json(&["articles", "--json"]);
    let id = articles
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no article {title:?} in {articles}"))["id"]
        .to_string();
    let out = t.output(&["show", &id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached the output: {text:?}"
    );
    text
}

/// The lines of the "Links" list (after the "Links" title).
fn links_list(show: &str) -> Vec<&str> {
    show.lines().skip_while(|l| *l != "Links").skip(1).take_while(|l| !l.is_empty()).collect()
}

#[test]
fn sub_and_sup_are_unicode_where_it_has_the_glyphs_and_marked_where_not() {
    let (t, _server) = rss();
    let out = show(&t, "Scripts");
    assert!(out.contains("Water is H₂O, the area is x², the next term xⁿ⁺¹."), "{out}");
    // A footnote reference to an in-page anchor is a plain superscript number, no "[n]".
    assert!(out.contains("A claim¹ and another²."), "{out}");
    assert!(out.contains("Fallbacks: C_q, T_(xyz), Brand^(ABC), y^Q."), "{out}");
    assert!(!out.contains("H2O") && !out.contains("x^2") && !out.contains("^{"), "{out}");
}

#[test]
fn a_linked_image_without_alt_is_listed_and_its_link_kept() {
    let (t, _server) = rss();
    let out = show(&t, "Links");
    let body: Vec<&str> = out.lines().filter(|l| l.contains("[image")).collect();
    assert_eq!(body, ["[image 9][8] and [image 10: a cat]"], "{out}");
    let links = links_list(&out);
    assert!(links.contains(&"[8] https://example.test/posts/big.jpg"), "{links:#?}");
    assert!(links.contains(&"[9] https://example.test/posts/thumb.jpg"), "{links:#?}");
    assert!(links.contains(&"[10] https://example.test/pics/cat.png"), "{links:#?}");
}

#[test]
fn the_links_list_is_absolute_against_the_items_link() {
    let (t, _server) = rss();
    let out = show(&t, "Links");
    assert_eq!(
        links_list(&out)[..7],
        [
            "[1] https://example.test/post/2",
            "[2] https://example.test/img.png",
            "[3] https://example.test/posts/1?p=3",
            "[4] https://cdn.example/x",
            "[5] https://other.example/abs",
            "[6] javascript:alert(1) (not opened)",
            "[7] data:text/html,hi (not opened)",
        ],
        "{out}"
    );
    assert!(out.contains("Next post two[1], up a file[2],"), "{out}");
    // Nothing relative is listed.
    assert!(!out.contains("] /post/2") && !out.contains("] ../img.png") && !out.contains("] ?p=3"), "{out}");
}

#[test]
fn without_an_item_link_the_feeds_site_is_the_base() {
    let (t, _server) = rss();
    let out = show(&t, "No link");
    assert_eq!(links_list(&out), ["[1] https://example.test/about/me"], "{out}");
}

#[test]
fn an_xml_base_in_scope_is_the_base_before_the_items_link() {
    let (t, _server) = subscribed("xmlbase.atom", "application/atom+xml");
    let out = show(&t, "Based");
    assert_eq!(
        links_list(&out),
        ["[1] https://base.example/dir/rel/page.html", "[2] https://base.example/root"],
        "{out}"
    );
}

#[test]
fn enclosures_are_listed_with_type_and_size_and_open_by_number() {
    let (t, _server) = rss();
    let out = show(&t, "Links");
    assert!(out.contains("[enclosure 11] audio/mpeg, 34.2 MB: https://example.test/media/ep1.mp3"), "{out}");
    assert_eq!(links_list(&out).last(), Some(&"[11] https://example.test/media/ep1.mp3"), "{out}");
    assert!(!out.contains("Enclosure:"), "listed once, in the body: {out}");

    let out = show(&t, "Podcast");
    assert!(
        out.contains(
            "Episode two.\n\n[enclosure 1] audio/mpeg, 1.5 MB: https://example.test/media/ep2.mp3\n"
        ),
        "{out}"
    );
    // A length of 0 means "unknown": no size.
    assert!(out.contains("[enclosure 2] application/pdf: https://example.test/media/ep2.pdf"), "{out}");
    assert_eq!(
        links_list(&out),
        ["[1] https://example.test/media/ep2.mp3", "[2] https://example.test/media/ep2.pdf"],
        "{out}"
    );
}

#[test]
fn tables_rule_only_under_a_header_and_layout_tables_are_text() {
    let (t, _server) = rss();
    let out = show(&t, "Tables");
    let lines: Vec<&str> = out.lines().collect();
    let at =
        |s: &str| lines.iter().position(|l| l.starts_with(s)).unwrap_or_else(|| panic!("no {s:?} in {out}"));
    let rule = |l: &str| !l.is_empty() && l.chars().all(|c| matches!(c, '─' | '┬' | '┼' | '┴' | '│' | ' '));
    // The header table: its header, one rule under it, then the rows with no rule between.
    let name = at("Name");
    assert_eq!(
        lines[name..name + 5],
        ["Name │Value", "─────┼─────", "alpha│1", "beta │2", "gamma│3"],
        "{out}"
    );
    assert!(name == 0 || !rule(lines[name - 1]), "no rule above the table: {out}");
    // Without a header row: no rule at all.
    let north = at("north");
    assert_eq!(lines[north..north + 2], ["north│10", "south│20"], "{out}");
    assert!(!rule(lines[north - 1]) && !rule(lines[north + 2]), "{out}");
    // A one-column layout table is just its text.
    assert!(out.contains("Layout:\n\nOnly a layout cell.\n\nAnd a second one.\n"), "{out}");
    // A cell too wide for its column wraps inside it; the columns stay aligned.
    let term = at("Term");
    assert!(rule(lines[term + 1]) && lines[term + 1].contains('┼'), "{out}");
    let wrapped: Vec<&str> = lines[term + 2..].iter().take_while(|l| l.contains('│')).copied().collect();
    assert!(wrapped.len() >= 2, "the long cell wraps: {out}");
    let bar = lines[term].find('│').unwrap();
    assert!(wrapped.iter().all(|l| l.find('│') == Some(bar)), "columns aligned: {wrapped:#?}");
    assert!(
        wrapped[0].starts_with("wrap") && wrapped.iter().all(|l| l.chars().count() <= 80),
        "{wrapped:#?}"
    );
    assert_eq!(lines.iter().filter(|l| rule(l)).count(), 2, "only the two header rules: {out}");
}

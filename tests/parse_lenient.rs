//! The lenient fallback (issue 10, item 2): documents strict XML parsing rejects but a
//! reader can make sense of, as real feeds wrote them. The files in tests/feeds/lenient/
//! named `own-*` were written for these tests; the others are real feeds from the shared
//! corpus, copied from the projects named in its LICENSES.tsv, under those licences.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::path::Path;

use common::cli::Tidings;
use common::server::{Response, TestServer};

use tidings::model::ParsedFeed;
use tidings::parse::parse_feed;

fn parse_file(name: &str) -> ParsedFeed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/lenient").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_feed(&bytes, None, "https://example.com/feed").unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn titles(f: &ParsedFeed) -> Vec<&str> {
    f.articles.iter().map(|a| a.title.as_str()).collect()
}

#[test]
fn unclosed_itunes_category_with_single_quoted_attributes() {
    let f = parse_file("feedjira_itunes-single-quoted-attrs.xml");
    assert_eq!(f.title, "All About Everything");
    assert_eq!(f.articles.len(), 3);
    assert_eq!(f.articles[0].title, "Shake Shake Shake Your Spices");
    assert_eq!(f.articles[0].enclosures.len(), 1);
}

#[test]
fn incomplete_cdata_keeps_the_item() {
    let f = parse_file("feedparser_ill-incomplete-cdata.xml");
    assert_eq!(f.title, "can feedparser read this xml");
    assert_eq!(f.articles.len(), 1);
}

#[test]
fn unclosed_cdata_ends_with_its_element() {
    let doc = "<rss version=\"2.0\"><channel><title>c</title>\
        <item><title><![CDATA[One</title><guid>1</guid></item>\
        <item><title>Two</title><guid>2</guid></item></channel></rss>";
    let f = parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(titles(&f), ["One", "Two"]);
}

#[test]
fn bom_chinese_feed_with_a_bare_lt_in_a_title() {
    let f = parse_file("rssant_caogen-bom-cn.xml");
    assert_eq!(f.articles.len(), 22);
    assert_eq!(f.articles[0].title, "疫情之后形势预判");
    assert!(titles(&f).iter().any(|t| t.contains("《<草根网>的前途与未来")), "{:?}", titles(&f));
}

#[test]
fn atom_cut_off_after_its_third_entry_gives_three() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>");
    for n in 1..=4 {
        doc.push_str(&format!(
            "<entry><id>urn:{n}</id><title>Entry {n}</title><updated>2024-01-0{n}T00:00:00Z</updated><content type=\"html\">&lt;p&gt;body {n}&lt;/p&gt;</content></entry>"
        ));
    }
    let read = |end: usize| {
        parse_feed(&doc.as_bytes()[..end], None, "https://example.com/feed")
            .unwrap_or_else(|e| panic!("{end}: {e}"))
    };
    // Cut in the fourth entry's title, or in its id: the three whole entries.
    let cut = doc.find("<entry><id>urn:4").unwrap_or(0) + "<entry><id>urn:4</id><title>Ent".len();
    for end in [cut, doc.find("urn:4").unwrap_or(0)] {
        assert_eq!(titles(&read(end)), ["Entry 1", "Entry 2", "Entry 3"], "cut at {end}");
    }
    // Cut in the fourth entry's text, after its id and title: it is there too, its text as far
    // as it goes, as feedparser reads it, and the fetch log says so.
    let in_text = doc.find("body 4").unwrap_or(0) + "bo".len();
    for (end, body) in [(in_text, "<p>bo"), (doc.len() - "</entry>".len() - 3, "<p>body 4</p>")] {
        let f = read(end);
        assert_eq!(titles(&f), ["Entry 1", "Entry 2", "Entry 3", "Entry 4"], "cut at {end}");
        assert_eq!(f.articles[3].content_html, body, "cut at {end}");
        assert!(
            f.notes.iter().any(|n| n.contains("the last item cut off in its text, kept as far as it goes")),
            "{:?}",
            f.notes
        );
    }
}

/// A feed cut off in the middle of its last item's text (and its CDATA section), as a real
/// WordPress feed arrived: every item is read, the last as far as it goes.
#[test]
fn rss_cut_off_in_its_last_items_text_keeps_that_item() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Shop notes</title>\
        <item><title>Spring opening hours</title><link>https://shop.example/1</link>\
        <guid isPermaLink=\"false\">https://shop.example/?p=1</guid><description><![CDATA[<p>Open from nine.</p>]]></description></item>\
        <item><title>New bread</title><link>https://shop.example/2</link>\
        <pubDate>Sun, 21 Feb 2021 15:26:57 +0000</pubDate>\
        <guid isPermaLink=\"false\">https://shop.example/?p=2</guid><description><![CDATA[<p>Rye and spelt, baked da";
    let f = parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(titles(&f), ["Spring opening hours", "New bread"]);
    assert_eq!(f.articles[1].link.as_deref(), Some("https://shop.example/2"));
    assert!(
        f.articles[1].content_html.starts_with("<p>Rye and spelt, baked da"),
        "{}",
        f.articles[1].content_html
    );
    assert!(f.articles[1].date.is_some());
    assert!(f.notes.iter().any(|n| n.contains("kept as far as it goes")), "{:?}", f.notes);
}

#[test]
fn second_xml_declaration_never_reaches_quick_xml() {
    // Two documents concatenated: the second declaration names another encoding, which made
    // quick-xml 0.42 assert (caught, but logged as a crash on every refresh).
    let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>c</title>\
        <item><title>One</title><guid>1</guid></item>\
        <?xml version=\"1.0\" encoding=\"Big5\"?>\
        <item><title>Two</title><guid>2</guid></item></channel></rss>";
    let f = parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(titles(&f), ["One", "Two"]);
}

#[test]
fn atom_wrapped_in_an_xhtml_page_is_read_as_atom() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/lenient/feedjira_duplicate-content.atom"),
    )
    .unwrap_or_default();
    assert!(!tidings::parse::looks_like_html(&bytes));
    let f = parse_file("feedjira_duplicate-content.atom");
    assert_eq!(f.title, "Avian’s Blog");
    assert_eq!(f.articles.len(), 10);
    assert_eq!(f.articles[0].title, "Down time");
    // A real page stays a page, even one that mentions a feed further down.
    let page = b"<!DOCTYPE html><html><body><div>hi</div><feed xmlns=\"http://www.w3.org/2005/Atom\"></feed></body></html>";
    assert!(tidings::parse::looks_like_html(page));
    assert!(matches!(parse_feed(page, None, "https://example.com/"), Err(tidings::parse::ParseError::Html)));
}

fn has_note(f: &ParsedFeed, words: &str) -> bool {
    f.notes.iter().any(|n| n.contains(words))
}

/// Single-quoted attributes beside entities XML does not define (`&nbsp;`, `&copy;`, an
/// unknown `&unknown;`) and bare `&`s in URLs and text, as a podcast host wrote them.
#[test]
fn single_quoted_attributes_with_bad_entities_and_bare_ampersands() {
    let f = parse_file("own-single-quotes-bad-entities.xml");
    assert_eq!(f.title, "Allotment Radio");
    assert_eq!(titles(&f), ["Episode 7: Beans & peas", "Episode 6: Frost"]);
    let ep7 = &f.articles[0];
    assert_eq!(ep7.link.as_deref(), Some("https://radio.example.org/ep/7?utm_source=feed&utm_medium=rss"));
    assert_eq!(ep7.enclosures[0].url, "https://radio.example.org/audio/ep7.mp3?x=1&y=2");
    assert!(ep7.content_html.contains("beans — and why the peas failed …"), "{}", ep7.content_html);
    // What no table names is left as written, not dropped with the rest of the item.
    assert!(
        f.articles[1].content_html.contains("cold frames. &unknown; entity"),
        "{}",
        f.articles[1].content_html
    );
    assert!(has_note(&f, "recovered: bare & escaped"), "{:?}", f.notes);
    assert!(has_note(&f, "HTML named entities read"), "{:?}", f.notes);
}

/// Tags closed in the wrong order or misspelt (`</itme>`) and HTML left unescaped in a
/// description: every item, with all of its text.
#[test]
fn mismatched_tags_lose_nothing() {
    let f = parse_file("own-mismatched-tags.xml");
    assert_eq!(titles(&f), ["Win against Little Dunham", "Tea rota", "Nets on Tuesday"]);
    assert!(f.articles[0].content_html.contains("win by <i>three wickets"), "{}", f.articles[0].content_html);
    assert!(f.articles[1].content_html.contains("<em>Smiths"), "{}", f.articles[1].content_html);
    assert!(has_note(&f, "recovered: unclosed or mismatched markup balanced"), "{:?}", f.notes);
}

/// Bytes after the root element (a generator's comment, the end of a page template, a PHP
/// notice): the feed is read whole.
#[test]
fn bytes_after_the_root_are_ignored() {
    let f = parse_file("own-bytes-after-root.xml");
    assert_eq!(titles(&f), ["New layout: Ashby Junction", "Swap meet"]);
}

/// A body that starts with a byte order mark and then a PHP warning before the feed: read,
/// and `tidings add` over HTTP subscribes to it rather than taking it for a web page.
#[test]
fn bom_then_garbage_before_the_feed() {
    let f = parse_file("own-bom-then-garbage.xml");
    assert_eq!(f.title, "Parish Notices");
    assert_eq!(titles(&f), ["Bell ringing practice moved", "Harvest supper"]);

    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/lenient/own-bom-then-garbage.xml"),
    )
    .unwrap();
    let server = TestServer::start();
    server.route("/feed.php", Response::ok(bytes).content_type("text/html; charset=UTF-8"));
    let t = Tidings::new();
    let out = t.ok(&["add", &server.url("/feed.php")]);
    assert!(out.contains("Parish Notices: 2 articles"), "{out}");
}

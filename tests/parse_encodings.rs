//! Encodings real feeds declare with labels the WHATWG table lacks (issue 10, item 4).
//! The samples in tests/feeds/encodings/ were written for these tests, encoded with Python's
//! codecs (tests/feeds/encodings/make_samples.py writes the newer ones).

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use common::cli::Tidings;
use common::server::{Response, TestServer};
use tidings::parse::parse_feed;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/feeds/encodings/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn parse(name: &str) -> tidings::model::ParsedFeed {
    parse_feed(&sample(name), None, "https://example.org/feed").unwrap()
}

#[test]
fn odd_alias_spellings_decode_as_the_encoding_they_mean() {
    for name in [
        "iso_8859-5.xml",
        "ISO8859_5.xml",
        "cp-1251.xml",
        "win-1251.xml",
        "windows1251.xml",
        "x-cp1251.xml",
        "MacCyrillic.xml",
    ] {
        let feed = parse(name);
        assert_eq!(feed.articles[0].title, "Новости дня", "{name}");
    }
}

#[test]
fn mac_roman_decodes() {
    assert_eq!(parse("mac-roman.xml").articles[0].title, "Café über");
}

#[test]
fn unknown_label_is_noted_and_sniffed_not_read_as_windows_1252() {
    let feed = parse("x-foo-1251.xml");
    assert!(feed.articles[0].title.starts_with("Новости дня"), "{}", feed.articles[0].title);
    assert!(
        feed.notes.iter().any(|n| n.contains("unknown label \"x-foo\", guessed windows-1251")),
        "{:?}",
        feed.notes
    );
}

fn titles(feed: &tidings::model::ParsedFeed) -> Vec<&str> {
    feed.articles.iter().map(|a| a.title.as_str()).collect()
}

#[test]
fn dos_code_pages_decode_as_declared() {
    for (name, read_as, channel, title) in [
        ("IBM855.xml", "IBM855", "Лента", "Новости дня"),
        ("cp437.xml", "IBM437", "BBS", "╔══ Menü ══╗ │ ░▒▓ Größe"),
        ("cp850.xml", "IBM850", "Noticias", "Ñandú über Façade ©"),
        ("cp852.xml", "IBM852", "Wiadomości", "Łódź, żółć"),
        ("cp737.xml", "IBM737", "Νέα", "Καλημέρα κόσμε"),
        ("cp775.xml", "IBM775", "Ziņas", "Ļoti labi, ąčęėįšųūž"),
        ("cp857.xml", "IBM857", "Haberler", "Işık ğüşöç İstanbul"),
        ("cp860.xml", "IBM860", "Notícias", "São Paulo à noite"),
        ("cp861.xml", "IBM861", "Fréttir", "Þórður ð Æ"),
        ("cp862.xml", "IBM862", "חדשות", "שלום עולם"),
        ("cp863.xml", "IBM863", "Nouvelles", "Québec: été ¶"),
        ("cp865.xml", "IBM865", "Nyheter", "Ærø Øst Å"),
        ("cp869.xml", "IBM869", "Νέα", "Ελλάδα ΄Αθήνα"),
    ] {
        let feed = parse(name);
        assert_eq!(feed.title, channel, "{name}");
        assert_eq!(titles(&feed), [title], "{name}");
        assert!(
            feed.notes
                .iter()
                .any(|n| n.starts_with("encoding: declared") && n.ends_with(&format!("read as {read_as}"))),
            "{name}: {:?}",
            feed.notes
        );
    }
}

#[test]
fn cp866_is_the_web_encoding_and_needs_no_note() {
    let feed = parse("cp866.xml");
    assert_eq!(titles(&feed), ["Новости дня"]);
    assert!(feed.notes.is_empty(), "{:?}", feed.notes);
}

#[test]
fn mac_family_spellings_decode() {
    assert_eq!(titles(&parse("x-mac-cyrillic.xml")), ["Новости дня"]);
    for name in ["MacRoman.xml", "x-mac-roman.xml", "macintosh.xml"] {
        assert_eq!(titles(&parse(name)), ["Café über"], "{name}");
    }
}

#[test]
fn ebcdic_cp037_feed_is_recognised_by_its_first_bytes() {
    let bytes = sample("ebcdic-cp037.xml");
    assert_eq!(&bytes[..4], [0x4C, 0x6F, 0xA7, 0x94]);
    let feed = parse("ebcdic-cp037.xml");
    assert_eq!(feed.title, "Mainframe news");
    assert_eq!(titles(&feed), ["Café résumé", "Größe über alles"]);
    assert_eq!(feed.articles[0].link.as_deref(), Some("https://example.org/1"));
    assert_eq!(feed.notes, ["encoding: EBCDIC, read as IBM037"]);
}

#[test]
fn ebcdic_cp500_feed_with_mainframe_line_ends() {
    let bytes = sample("ebcdic-cp500.xml");
    assert!(bytes.contains(&0x15), "the sample ends its lines with NEL");
    let feed = parse("ebcdic-cp500.xml");
    // `[`, `]`, `!` and `|` are where IBM500 differs from IBM037.
    assert_eq!(feed.title, "[Zürich] news!");
    assert_eq!(titles(&feed), ["[Zürich] | Genève!"]);
    assert_eq!(feed.notes, ["encoding: EBCDIC, read as IBM500"]);
}

#[test]
fn ebcdic_without_encoding_in_its_declaration_is_read_as_ibm037() {
    let feed = parse("ebcdic-undeclared.xml");
    assert_eq!(titles(&feed), ["Café résumé"]);
    assert_eq!(feed.notes, ["encoding: EBCDIC, read as IBM037"]);
}

#[test]
fn double_encoded_titles_and_authors_are_repaired_and_noted() {
    let feed = parse("double-encoded.xml");
    assert_eq!(feed.title, "Café Noir");
    assert_eq!(titles(&feed), ["Café à Paris", "It’s “quoted”", "São Paulo", "Ærø", "Plain ASCII"]);
    for a in &feed.articles {
        // feed-rs keeps the parenthesised name of `x@example.org (name)`.
        let author = a.author.as_deref().unwrap_or_default();
        assert!(author.contains("José Müller") && !author.contains('Ã'), "{author}");
    }
    // The feed's title, two item titles and five authors.
    assert_eq!(feed.notes, ["recovered: repaired double-encoded titles (8)"]);
}

#[test]
fn unknown_label_with_http_charset_uses_the_charset_and_says_so() {
    let bytes = std::fs::read(format!("{}/tests/feeds/encodings/x-foo-1251.xml", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let feed = parse_feed(&bytes, Some("windows-1251"), "https://example.org/feed").unwrap();
    assert!(feed.articles[0].title.starts_with("Новости дня"), "{}", feed.articles[0].title);
    assert!(
        feed.notes
            .iter()
            .any(|n| n.contains("unknown label \"x-foo\", read as windows-1251 by the HTTP charset")),
        "{:?}",
        feed.notes
    );
}

/// The real binary, over HTTP on 127.0.0.1: an EBCDIC feed (served as the mainframe would,
/// with no charset) and a double-encoded one come out with the right titles, and the fetch log
/// says how they were read.
#[test]
fn ebcdic_and_double_encoded_feeds_over_http() {
    let server = TestServer::start();
    server.route("/ebcdic.xml", Response::ok(sample("ebcdic-cp037.xml")).content_type("application/rss+xml"));
    server.route(
        "/mojibake.xml",
        Response::ok(sample("double-encoded.xml")).content_type("application/rss+xml; charset=utf-8"),
    );
    let t = Tidings::new();
    t.ok(&["add", &server.url("/ebcdic.xml")]);
    t.ok(&["add", &server.url("/mojibake.xml")]);
    let out = t.ok(&["refresh"]);
    assert!(out.contains("2 fetched"), "{out}");

    let feeds = t.json(&["feeds", "--json"]);
    let feeds = feeds.as_array().unwrap();
    let feed = |path: &str| feeds.iter().find(|f| f["url"] == server.url(path)).unwrap().clone();
    let ebcdic = feed("/ebcdic.xml");
    assert_eq!(ebcdic["title"], "Mainframe news");
    let mojibake = feed("/mojibake.xml");
    assert_eq!(mojibake["title"], "Café Noir");

    let articles = t.json(&["articles", "--json"]);
    let of = |f: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = articles
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["feed_id"] == f["id"])
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(of(&ebcdic), ["Café résumé", "Größe über alles"]);
    assert_eq!(of(&mojibake), ["Café à Paris", "It’s “quoted”", "Plain ASCII", "São Paulo", "Ærø"]);
    let listed = t.ok(&["articles"]);
    assert!(listed.contains("Größe über alles") && listed.contains("Café à Paris"), "{listed}");

    let log = t.ok(&["log", &ebcdic["id"].to_string()]);
    assert!(log.contains("note: encoding: EBCDIC, read as IBM037"), "{log}");
    let log = t.ok(&["log", &mojibake["id"].to_string()]);
    assert!(log.contains("note: recovered: repaired double-encoded titles (8)"), "{log}");
}

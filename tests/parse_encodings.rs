//! Encodings real feeds declare with labels the WHATWG table lacks (issue 10, item 4).
//! The samples in tests/feeds/encodings/ were written for these tests, encoded with Python's
//! codecs.

use tidings::parse::parse_feed;

fn parse(name: &str) -> tidings::model::ParsedFeed {
    let path = format!("{}/tests/feeds/encodings/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    parse_feed(&bytes, None, "https://example.org/feed").unwrap()
}

#[test]
fn odd_alias_spellings_decode_as_the_encoding_they_mean() {
    for name in [
        "iso_8859-5.xml",
        "ISO8859_5.xml",
        "cp-1251.xml",
        "win-1251.xml",
        "windows1251.xml",
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

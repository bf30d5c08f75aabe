//! Imports every subscription list in the shared corpus (`opml/`): none may panic, the known
//! files give exactly the expected counts and correctly decoded titles, and each list survives
//! a write → read round trip through both OPML and the urls format.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use tidings::subscriptions::{
    parse_import, parse_opml, parse_urls_file, write_opml, write_urls, ImportError, ImportList, Subscription,
};

/// The corpus directory: `TIDINGS_CORPUS`, else the copy in tests/corpus.
fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        // A copy of the shared corpus (../shared/corpus), licences in its LICENSES/ and MANIFEST.tsv.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_dir())
        .expect("corpus not found: set TIDINGS_CORPUS to the shared corpus directory")
}

fn read(name: &str) -> Vec<u8> {
    let path = corpus_dir().join("opml").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import(name: &str) -> ImportList {
    parse_import(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Subscriptions keyed by URL, tags sorted: equal when the same feeds with the same titles and
/// tag sets are present, whatever the order.
fn as_set(subs: &[Subscription]) -> BTreeMap<String, (Option<String>, Vec<String>)> {
    subs.iter()
        .map(|s| {
            let mut tags = s.tags.clone();
            tags.sort();
            (s.url.clone(), (s.title.clone(), tags))
        })
        .collect()
}

fn find<'a>(list: &'a ImportList, url: &str) -> &'a Subscription {
    list.subscriptions.iter().find(|s| s.url == url).unwrap_or_else(|| panic!("{url} not imported"))
}

/// (file, subscriptions, skipped) for every file in the corpus at the time of writing.
const EXPECTED: &[(&str, usize, usize)] = &[
    ("awesome-rss-hongkong.opml", 5, 0),
    ("awesome-rss-japan.opml", 8, 0),
    ("awesome-rss-programming-categories.opml", 50, 0),
    ("chinese-independent-blogs-1300.opml", 1326, 0),
    ("derived_awesome-rss-japan-shiftjis.opml", 8, 0),
    ("feedsmith_subscriptions.opml", 13, 0),
    ("hn-personal-blogs-1200.opml", 1229, 0),
    ("newsboat_body-element-missing.opml", 0, 0),
    ("newsboat_category-attribute.opml", 1, 0),
    ("newsboat_example.opml", 7, 0),
    ("newsboat_example2.opml", 7, 0),
    // the Firehose outline has filtercmd="~/.bin/keep_interesting.pl": skipped, as newsboat's
    // filter: lines are
    ("newsboat_filtered.opml", 1, 1),
    ("newsboat_opml-element-missing.opml", 1, 1), // the same Firehose outline
    ("newsboat_piped.opml", 1, 1),
    ("newsboat_test-urls-plus.opml", 4, 0),
    ("nnw_default-feeds.opml", 10, 0),
    // 207 outlines, but http://feed.katiefloyd.com and http://feed.katiefloyd.com/ are one feed
    ("nnw_subs-no-title-attributes.opml", 206, 0),
    ("nnw_subs.opml", 206, 0),
    // only type="link" outlines: 40 childless links are reported, folders are not
    ("rome_opml1-links.opml", 0, 40),
    ("rome_opml2.opml", 11, 0),
    ("rssant_inoreader-export.opml", 3, 0),
    ("rssant_stringer-export.opml", 5, 0),
    ("yarr_windows1251.opml", 2, 0),
];

#[test]
fn every_corpus_file_imports_and_round_trips() {
    let dir = corpus_dir().join("opml");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= EXPECTED.len(), "corpus has only {names:?}");
    for name in &names {
        let bytes = read(name);
        let list = match parse_import(&bytes) {
            Ok(list) => list,
            Err(e) => panic!("{name}: import failed: {e}"),
        };
        println!("{name}: {} subscriptions, {} skipped", list.subscriptions.len(), list.skipped.len());
        if let Some(&(_, subs, skipped)) = EXPECTED.iter().find(|(n, _, _)| n == name) {
            assert_eq!(list.subscriptions.len(), subs, "{name}: subscriptions");
            assert_eq!(list.skipped.len(), skipped, "{name}: skipped {:?}", list.skipped);
        }
        for s in &list.subscriptions {
            assert!(s.url.starts_with("http") || s.url.starts_with("file:"), "{name}: {s:?}");
            assert!(s.tags.iter().all(|t| !t.is_empty() && t.trim() == t), "{name}: {s:?}");
        }

        let opml = write_opml(&list.subscriptions, name);
        let back = parse_opml(opml.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(back.skipped.is_empty(), "{name}: {:?}", back.skipped);
        assert_eq!(as_set(&back.subscriptions), as_set(&list.subscriptions), "{name}: OPML round trip");

        let urls = write_urls(&list.subscriptions);
        let back = parse_urls_file(urls.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(back.skipped.is_empty(), "{name}: {:?}", back.skipped);
        assert_eq!(back.subscriptions, list.subscriptions, "{name}: urls round trip");
    }
}

#[test]
fn netnewswire_defaults() {
    let list = import("nnw_default-feeds.opml");
    assert_eq!(list.subscriptions.len(), 10);
    assert_eq!(list.subscriptions[0].url, "https://furbo.org/feed/json");
    assert_eq!(list.subscriptions[0].title.as_deref(), Some("Craig Hockenberry"));
    assert_eq!(list.subscriptions[9].url, "https://feedpress.me/sixcolors?type=xml");
    assert!(list.subscriptions.iter().all(|s| s.tags.is_empty()));
}

#[test]
fn windows_1251_titles_are_decoded() {
    let list = import("yarr_windows1251.opml");
    let a = find(&list, "https://foo.com/feed.xml");
    assert_eq!(a.title.as_deref(), Some("пример2"));
    assert_eq!(a.tags, ["папка"]);
    let b = find(&list, "https://baz.com/feed.xml");
    assert_eq!(b.title.as_deref(), Some("пример1"));
    assert!(b.tags.is_empty());
}

#[test]
fn shift_jis_titles_are_decoded_like_the_utf8_original() {
    let sjis = import("derived_awesome-rss-japan-shiftjis.opml");
    let utf8 = import("awesome-rss-japan.opml");
    assert_eq!(sjis.subscriptions, utf8.subscriptions);
    let titles: Vec<&str> = sjis.subscriptions.iter().filter_map(|s| s.title.as_deref()).collect();
    assert!(titles.contains(&"朝日新聞デジタル"), "{titles:?}");
    assert!(titles.contains(&"ライブドアニュース - 主要トピックス"));
    assert!(titles.iter().any(|t| t.starts_with("BRIDGE（ブリッジ）")));
    assert!(sjis.subscriptions.iter().all(|s| s.tags == ["Japan"]));
}

#[test]
fn ill_formed_real_world_files_still_import() {
    // A raw `&` in a description attribute makes these ill-formed XML.
    let list = import("awesome-rss-hongkong.opml");
    let titles: Vec<&str> = list.subscriptions.iter().filter_map(|s| s.title.as_deref()).collect();
    assert!(titles.contains(&"頭條日報 Headline Daily - 頭條網"), "{titles:?}");
    assert!(list.subscriptions.iter().all(|s| s.tags == ["Hong Kong SAR China"]));
    let list = import("awesome-rss-programming-categories.opml");
    assert!(list.subscriptions.iter().all(|s| s.tags == ["Programming"]));
}

#[test]
fn newsboat_fixtures() {
    let list = import("newsboat_example.opml");
    assert_eq!(find(&list, "https://blogs.example.com/~mike/.rss").tags, ["Blogs", "friends"]);
    assert_eq!(find(&list, "https://fred.example.com/writing/index.php?type=rss").tags, ["eloquent"]);
    let list = import("newsboat_category-attribute.opml");
    let s = &list.subscriptions[0];
    assert_eq!(s.url, "http://feeds.bbci.co.uk/news/business/rss.xml?edition=int");
    assert_eq!(s.title, None);
    assert_eq!(s.tags, ["tag one", "tag_two", "tag/three"]);

    let list = import("newsboat_piped.opml");
    assert_eq!(list.skipped[0].what, "line 8: \"Birdsite search\" |~/fetch_tweets.py");

    let list = import("newsboat_test-urls-plus.opml");
    assert_eq!(find(&list, "http://onemorefeed.at/feed/").tags, ["tag1", "tag3"]);

    // No <opml> root: the outlines are still read.
    let list = import("newsboat_opml-element-missing.opml");
    assert_eq!(find(&list, "https://example.com/another_feed.atom").tags, ["misc"]);
}

#[test]
fn entities_and_categories_in_corpus() {
    let list = import("rssant_stringer-export.opml");
    assert_eq!(find(&list, "https://liam0205.me/atom.xml").title.as_deref(), Some("始终"));
    assert_eq!(find(&list, "http://coolshell.cn/feed").title.as_deref(), Some("酷 壳 – CoolShell"));
    let list = import("rome_opml2.opml");
    assert_eq!(
        find(&list, "http://rss.slashdot.org/slashdot/eqWf").tags,
        ["Subscriptions", "nerdy", "foo", "bar", "baz"]
    );
    let list = import("nnw_subs.opml");
    assert!(list.subscriptions.iter().any(|s| s.title.as_deref() == Some("chat & code")));
}

#[test]
fn a_feed_is_not_a_subscription_list() {
    let feeds = corpus_dir().join("feeds");
    let Ok(entries) = std::fs::read_dir(&feeds) else {
        return;
    };
    for entry in entries.filter_map(std::result::Result::ok) {
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        // Must not panic, and must be refused: a feed is subscribed to, not imported.
        let result = parse_import(&bytes);
        assert!(
            matches!(
                result,
                Err(ImportError::NotOpml { .. }
                    | ImportError::NotXml
                    | ImportError::Malformed { .. }
                    | ImportError::NotSubscriptionList { .. }
                    | ImportError::Binary)
            ),
            "{}: {result:?}",
            entry.path().display()
        );
    }
}

#[test]
fn every_prefix_of_a_file_imports_without_panic() {
    // A download or copy cut short is the commonest broken file; every cut must still give
    // the feeds before it, never a panic.
    let bytes = read("rssant_inoreader-export.opml");
    let full = parse_import(&bytes).map_or(0, |l| l.subscriptions.len());
    for end in 0..=bytes.len() {
        if let Ok(list) = parse_import(&bytes[..end]) {
            assert!(list.subscriptions.len() <= full, "cut at {end}");
        }
    }
    // Cut inside the `</outline>` closing the last folder: all three feeds are there and the
    // cut is reported.
    let cut = bytes.len() - 30;
    let list = parse_import(&bytes[..cut]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list.subscriptions.len(), 3);
    assert_eq!(list.skipped.len(), 1, "{:?}", list.skipped);
}

#[test]
fn discovery_survives_real_html() {
    let path = corpus_dir().join("html");
    let Ok(entries) = std::fs::read_dir(&path) else {
        return;
    };
    for entry in entries.filter_map(std::result::Result::ok) {
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        // Article fragments link no feeds; every cut of them must not panic either.
        assert!(tidings::subscriptions::discover_feeds(&bytes, "https://example.org/a").is_empty());
        for end in (0..bytes.len()).step_by(97) {
            tidings::subscriptions::discover_feeds(&bytes[..end], "https://example.org/a");
        }
    }
}

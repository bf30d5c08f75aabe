//! Checks shared by the fuzz targets: what "safe to show in a terminal" means, asserted on
//! every string that a bad input can reach.

#![allow(dead_code)]

use std::sync::Once;

use tidings::sanitize;

/// A one-line field (title, author, URL, tag, error message): nothing forbidden, no line
/// break, no tab.
pub fn assert_clean_line(what: &str, s: &str) {
    assert!(!s.chars().any(sanitize::is_forbidden), "{what} holds a forbidden character: {s:?}");
}

/// A multi-line text: newlines and tabs allowed, nothing else forbidden.
pub fn assert_clean_text(what: &str, s: &str) {
    assert!(sanitize::is_clean_text(s), "{what} holds a forbidden character: {s:?}");
}

static HOOK: Once = Once::new();

/// libFuzzer's panic hook aborts on every panic, including the ones tidings catches on
/// purpose (a feed-rs panic becomes the feed's `ParseError::Crashed`). Those are the contract
/// working, not a crash: report them on stderr and let the caught panic unwind. Any other
/// panic still aborts, so the fuzzer records it. `FUZZ_STRICT_PANICS=1` makes contained
/// panics abort too, to collect feed-rs bugs for upstream.
pub fn contain_expected_panics() {
    HOOK.call_once(|| {
        let strict = std::env::var_os("FUZZ_STRICT_PANICS").is_some();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !strict && tidings::parse::containing_panics() {
                eprintln!("contained panic (becomes ParseError::Crashed): {info}");
                return;
            }
            previous(info);
        }));
    });
}

/// The rules every import result must follow, then the export round trips.
pub fn check_import(result: Result<tidings::subscriptions::ImportList, tidings::subscriptions::ImportError>) {
    use tidings::subscriptions::{parse_opml, parse_urls_file, write_opml, write_urls};
    let list = match result {
        Err(e) => {
            assert_clean_line("import error message", &e.to_string());
            return;
        }
        Ok(list) => list,
    };
    let mut seen = std::collections::HashSet::new();
    for sub in &list.subscriptions {
        assert_clean_line("subscription URL", &sub.url);
        assert!(!sub.url.contains(char::is_whitespace), "URL with whitespace: {:?}", sub.url);
        let parsed = url::Url::parse(&sub.url).unwrap_or_else(|e| panic!("bad URL {:?}: {e}", sub.url));
        assert!(
            matches!(parsed.scheme(), "http" | "https" | "file"),
            "URL scheme not allowed: {:?}",
            sub.url
        );
        assert_eq!(parsed.as_str(), sub.url, "URL not in normalised form");
        assert!(seen.insert(sub.url.clone()), "URL imported twice: {:?}", sub.url);
        if let Some(title) = &sub.title {
            assert_clean_line("title", title);
            assert!(!title.trim().is_empty(), "empty title kept");
        }
        let mut tags = std::collections::HashSet::new();
        for tag in &sub.tags {
            assert_clean_line("tag", tag);
            assert!(!tag.is_empty() && tag.trim() == tag, "tag not trimmed: {tag:?}");
            assert!(tags.insert(tag), "duplicate tag {tag:?}");
        }
    }
    for skipped in &list.skipped {
        assert_clean_line("skipped entry", &skipped.what);
        assert_clean_line("skip reason", &skipped.reason);
    }
    // The OPML writer groups feeds into folders by their first tag, so only the order may change.
    let by_url = |subs: &[tidings::subscriptions::Subscription]| {
        let mut subs = subs.to_vec();
        subs.sort_by(|a, b| a.url.cmp(&b.url));
        subs
    };
    let back = parse_opml(write_opml(&list.subscriptions, "fuzz").as_bytes())
        .unwrap_or_else(|e| panic!("our own OPML export does not import: {e}"));
    assert_eq!(
        by_url(&back.subscriptions),
        by_url(&list.subscriptions),
        "OPML export/import round trip changed the list"
    );
    assert!(back.skipped.is_empty(), "our own OPML export had skipped entries: {:?}", back.skipped);
    if !list.subscriptions.is_empty() {
        let back = parse_urls_file(write_urls(&list.subscriptions).as_bytes())
            .unwrap_or_else(|e| panic!("our own urls export does not import: {e}"));
        assert_eq!(back.subscriptions, list.subscriptions, "urls export/import round trip changed the list");
        assert!(back.skipped.is_empty(), "our own urls export had skipped entries: {:?}", back.skipped);
    }
}

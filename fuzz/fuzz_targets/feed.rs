//! Arbitrary bytes as a feed document: `parse_feed` must not crash, must be deterministic, and
//! every string it returns must already be safe to print.

#![no_main]

mod common;

use common::{assert_clean_line, assert_clean_text, contain_expected_panics};
use libfuzzer_sys::fuzz_target;
use tidings::parse::parse_feed;

fuzz_target!(|data: &[u8]| {
    contain_expected_panics();
    let parsed = parse_feed(data, None, "https://example.org/blog/feed.xml");
    match &parsed {
        Err(e) => assert_clean_line("parse error message", &e.to_string()),
        Ok(feed) => {
            assert_clean_line("feed title", &feed.title);
            if let Some(link) = &feed.site_link {
                assert_clean_line("site link", link);
            }
            for a in &feed.articles {
                assert_clean_line("article title", &a.title);
                for field in [&a.guid, &a.link, &a.author].into_iter().flatten() {
                    assert_clean_line("article field", field);
                }
                assert_clean_text("article body", &a.content_html);
                if let Some(summary) = &a.summary_html {
                    assert_clean_text("article summary", summary);
                }
                for url in a.images.iter().chain(&a.links) {
                    assert_clean_line("body URL", url);
                }
                for e in &a.enclosures {
                    assert_clean_line("enclosure URL", &e.url);
                    if let Some(mime) = &e.mime {
                        assert_clean_line("enclosure type", mime);
                    }
                }
                if let Some(date) = a.date {
                    assert!(date.timestamp() >= 631_152_000, "a date before 1990 was kept: {date}");
                }
            }
            let mut keys: Vec<_> = feed.articles.iter().map(|a| a.key).collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), feed.articles.len(), "two articles share an ArticleKey");
        }
    }
    // Determinism is what keeps a refetch from duplicating articles. Checked on small inputs
    // only: it doubles the cost of an execution.
    if data.len() <= 4096 {
        let again = parse_feed(data, None, "https://example.org/blog/feed.xml");
        match (&parsed, &again) {
            (Ok(a), Ok(b)) => assert!(a == b, "two parses of the same bytes differ"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("one parse succeeded and the other failed"),
        }
    }
});

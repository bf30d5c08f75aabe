//! The database the whole-process benches start from: 100 feeds of 1,000 articles.
#![allow(dead_code, reason = "each bench uses only some of the shared helpers")]

use tidings::model::{ArticleKey, ParsedArticle};
use tidings::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, PreparedArticle, Store, StoreSettings};

pub const FEEDS: usize = 100;
pub const PER_FEED: usize = 1000;

/// Writes FEEDS x PER_FEED articles into a new store in `dir`.
pub fn build(dir: &std::path::Path) {
    let settings = StoreSettings::default();
    let store = Store::open(dir, &settings).expect("store");
    let now = chrono::Utc::now();
    for f in 0..FEEDS {
        let (id, _) = store
            .add_feed(NewFeed { url: format!("https://example.org/feed{f:03}.xml"), ..Default::default() })
            .expect("add");
        let articles = (0..PER_FEED)
            .map(|i| {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&(f as u64).to_le_bytes());
                key[8..].copy_from_slice(&(i as u64).to_le_bytes());
                PreparedArticle::new(ParsedArticle {
                    key: ArticleKey(key),
                    guid: Some(format!("f{f}-{i}")),
                    title: format!("Feed {f:03} article {i}: a headline of a usual length"),
                    link: Some(format!("https://example.org/{f}/{i}")),
                    author: Some("A. Writer".into()),
                    date: Some(now - chrono::Duration::minutes((i * 7 + f) as i64)),
                    content_html: format!("<p>Body of article {i} of feed {f}, with <b>some</b> text.</p>")
                        .repeat(8),
                    ..Default::default()
                })
            })
            .collect();
        let update = FeedUpdate {
            feed_title: format!("Feed {f:03}"),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles,
        };
        store
            .apply_fetch(id, FetchResult::Updated(update), FetchRecord::default(), &settings, now.timestamp())
            .expect("apply");
    }
    store.flush().expect("flush");
}

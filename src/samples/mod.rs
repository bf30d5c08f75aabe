//! The sample feeds the welcome screen offers: real feeds from the test corpus, built into the
//! binary so a new user sees a working reader without any network. Each is subscribed to at
//! its real URL, so a later refresh fetches it live.

use crate::model::FeedId;
use crate::parse;
use crate::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, Store, StoreSettings};

/// A bundled feed: where it lives on the web and a copy of it.
pub(crate) struct Sample {
    pub(crate) url: &'static str,
    pub(crate) bytes: &'static [u8],
}

/// Brent Simmons' weblog (JSON Feed), thoughtbot's blog (Atom), and a Chinese WeChat
/// article (RSS 2.0) that shows how CJK text reads.
pub(crate) const SAMPLES: &[Sample] = &[
    Sample { url: "https://inessential.com/feed.json", bytes: include_bytes!("inessential.json") },
    Sample {
        url: "https://feeds.feedburner.com/GiantRobotsSmashingIntoOtherGiantRobots",
        bytes: include_bytes!("giantrobots.xml"),
    },
    Sample {
        url: "http://feedmaker.kindle4rss.com/feeds/almosthuman2014.weixin.xml",
        bytes: include_bytes!("jiqizhixin.xml"),
    },
];

/// Subscribes to every sample (tagged `samples`) and stores its bundled articles. Returns
/// the feeds added (already subscribed ones are left alone).
pub(crate) fn add_samples(
    store: &Store,
    settings: &StoreSettings,
) -> Result<Vec<FeedId>, crate::store::StoreError> {
    let now = chrono::Utc::now();
    let mut added = Vec::new();
    for sample in SAMPLES {
        let new = NewFeed {
            url: sample.url.to_owned(),
            title: None,
            tags: vec!["samples".to_owned()],
            ..Default::default()
        };
        let (id, is_new) = store.add_feed(new)?;
        if !is_new {
            continue;
        }
        let record = FetchRecord {
            started_ms: now.timestamp_millis(),
            bytes: sample.bytes.len() as u64,
            ..Default::default()
        };
        let result = match parse::parse_feed(sample.bytes, None, sample.url) {
            Ok(feed) => FetchResult::Updated(FeedUpdate::from_parsed(feed)),
            // Cannot happen with the bundled files (a test parses them), but is not fatal.
            Err(e) => FetchResult::Failed { error: format!("bundled copy: {e}"), retry_not_before: None },
        };
        store.apply_fetch(id, result, record, settings, now.timestamp())?;
        added.push(id);
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_parses_with_articles() {
        for s in SAMPLES {
            let feed = parse::parse_feed(s.bytes, None, s.url).expect(s.url);
            assert!(!feed.articles.is_empty(), "{}", s.url);
            assert!(!feed.title.is_empty(), "{}", s.url);
        }
    }

    #[test]
    fn samples_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let added = add_samples(&store, &StoreSettings::default()).unwrap();
        assert_eq!(added.len(), SAMPLES.len());
        let feeds = store.feeds().unwrap();
        assert_eq!(feeds.len(), SAMPLES.len());
        assert!(feeds.iter().all(|f| f.tags == ["samples"] && !f.display_title().is_empty()));
        assert!(store.unread_total().unwrap() > 20);
        // Twice: nothing more.
        assert!(add_samples(&store, &StoreSettings::default()).unwrap().is_empty());
        assert_eq!(store.feeds().unwrap().len(), SAMPLES.len());
    }
}

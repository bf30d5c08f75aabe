//! A big feed removed in bounded chunks, still all or nothing for the user.
//!
//! sled keeps every write of a transaction in memory until it commits, so removing a feed of
//! 30,000 articles in one transaction held hundreds of MB. A feed of more than
//! [`CHUNK_ARTICLES`] articles is removed in steps instead:
//!
//! 1. One small transaction removes the feed record, its URLs, its counters and its fetch
//!    log, and writes `meta`'s `removing/<feed>` marker. From then on the feed is gone for the
//!    user: `feeds()`, `feed()`, `resolve_feed`, counts and refreshes no longer know it.
//! 2. Transactions of at most [`CHUNK_ARTICLES`] articles each remove its articles: record,
//!    body, both indexes, flags, own tags, and each is marked pending for the search index
//!    (`crate::search::mark_pending`), with the stored record counts. sled is flushed after
//!    each, so its cache stays near its configured size.
//! 3. Transactions of at most [`IDENTITY_CHUNK`] keys remove its identities (the articles'
//!    keys and the tombstones of dropped ones).
//! 4. A last transaction removes the marker (and a counter a concurrent mark may have
//!    written meanwhile).
//!
//! Each step leaves the store consistent: `tidings check` passes at any point, because it
//! takes the articles of a feed with a `removing/` marker as what is left of a removal, not
//! as orphans. A process killed before the marker is gone leaves it: the next
//! [`Store::open`] finishes the removal, idempotently (a kill during that is fine too).
//!
//! What a concurrent reader sees: the feed and its counters vanish at step 1. Its articles
//! still stored during steps 2 and 3 are hidden by this process's listings (`list_entries`,
//! `scan_articles`, the ids `mark_all_read` marks) and by [`Store::article`] (so search
//! results drop them, though a search's `matched` count may still include those the index
//! has not caught up on). Only the process that holds the database can read it (sled locks
//! it), and that process's `open` finishes a removal before it reads anything, so no reader
//! ever sees a half-removed feed.

use std::collections::HashSet;

use sled::transaction::TransactionalTree;
use sled::Transactional;

use super::chunked::CHUNK_ARTICLES;
use super::codec::{article_key, date_from_bits, date_index_key, feed_key, read_u64};
use super::{abort, bump_records, tx_error, FeedRecord, Store, StoreError, TxResult};
use crate::model::{ArticleId, FeedId};

/// Identity keys (small) removed per transaction once the articles are gone.
const IDENTITY_CHUNK: usize = 2000;

pub(super) const REMOVING_PREFIX: &[u8] = b"removing/";

/// `meta` key marking a feed whose removal is not finished.
pub(super) fn removing_key(feed: FeedId) -> Vec<u8> {
    [REMOVING_PREFIX, &feed_key(feed)[..]].concat()
}

/// Whether a feed with (at least) `articles` articles is removed in chunks.
pub(super) fn needed(articles: usize) -> bool {
    articles > CHUNK_ARTICLES
}

/// What one step of a removal did (for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Removed this many articles (or identities); there may be more.
    Removed(usize),
    /// Nothing was left.
    Done,
}

/// The trees that hold an article's own records, as a transaction over
/// [`Store::all_trees`] gives them: what removing one article touches.
pub(super) struct ArticleTrees<'t> {
    pub(super) articles: &'t TransactionalTree,
    pub(super) bodies: &'t TransactionalTree,
    pub(super) findex: &'t TransactionalTree,
    pub(super) dindex: &'t TransactionalTree,
    pub(super) flags: &'t TransactionalTree,
    pub(super) tags: &'t TransactionalTree,
    pub(super) stale: super::Stale<'t>,
}

impl ArticleTrees<'_> {
    /// Removes the article a `feed_index` key (feed|date|id) names: that key, its date-index
    /// entry, record, body, flags and own tags; and marks it pending so the search index drops
    /// it. Returns whether its record was there, for the stored record count. The identity
    /// key (`article_keys`) and the feed's counters are the caller's: a feed's removal drops
    /// them whole.
    pub(super) fn remove_indexed(&self, index_key: &[u8]) -> TxResult<bool> {
        // The index key goes even if it is unreadable: a chunked removal scans the index
        // until it is empty, so a key left behind would be scanned forever.
        self.findex.remove(index_key)?;
        let (Some(date), Some(aid)) = (
            index_key.get(8..16).and_then(date_from_bits),
            index_key.get(16..).and_then(read_u64).map(ArticleId),
        ) else {
            return Ok(false);
        };
        self.dindex.remove(&date_index_key(date, aid))?;
        let was_there = self.articles.remove(&article_key(aid))?.is_some();
        self.bodies.remove(&article_key(aid))?;
        self.flags.remove(&article_key(aid))?;
        self.tags.remove(&article_key(aid))?;
        self.stale.article(aid)?;
        Ok(was_there)
    }
}

impl Store {
    /// Removes `rec` in chunks (see the module comment). `urls` are the feed's URLs (its own
    /// and those it moved from), `log` the keys of its fetch log.
    pub(super) fn remove_in_chunks(
        &self,
        rec: &FeedRecord,
        urls: &[sled::IVec],
        log: &[sled::IVec],
    ) -> Result<(), StoreError> {
        let feed = rec.id;
        // Hidden before the feed is gone, so no listing shows its articles without their feed.
        self.hide_feed(feed, true);
        if let Err(e) = self.begin_removal(rec, urls, log) {
            self.hide_feed(feed, false);
            return Err(e);
        }
        // The feed is gone for the user now; what is left is finished by the next open if this
        // fails.
        self.finish_removal(feed)
    }

    fn hide_feed(&self, feed: FeedId, hide: bool) {
        let mut set = self.removing.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if hide {
            set.insert(feed);
        } else {
            set.remove(&feed);
        }
    }

    /// Whether the feed's removal is under way in this process.
    pub(crate) fn is_hidden(&self, feed: FeedId) -> bool {
        self.removing.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&feed)
    }

    /// Feeds whose removal is under way in this process: their articles are not listed.
    pub(crate) fn hidden_feeds(&self) -> HashSet<FeedId> {
        self.removing.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Step 1: the feed's own records go, the marker comes.
    pub(super) fn begin_removal(
        &self,
        rec: &FeedRecord,
        urls_of_feed: &[sled::IVec],
        log: &[sled::IVec],
    ) -> Result<(), StoreError> {
        let prefix = feed_key(rec.id);
        let marker = removing_key(rec.id);
        (&self.meta, &self.feeds, &self.feed_urls, &self.counters, &self.fetch_log)
            .transaction(|(meta, feeds, urls, counters, flog)| {
                if feeds.remove(&prefix)?.is_none() {
                    return abort(StoreError::NoSuchFeed(rec.id.to_string()));
                }
                urls.remove(rec.url.as_bytes())?;
                for url in urls_of_feed {
                    urls.remove(url)?;
                }
                for k in log {
                    flog.remove(k)?;
                }
                counters.remove(&prefix)?;
                meta.insert(marker.as_slice(), &[][..])?;
                bump_records(meta, -1, 0)?;
                Ok(())
            })
            .map_err(tx_error)?;
        self.flush()
    }

    /// Steps 2 to 4 for a feed whose marker is written: idempotent.
    pub(super) fn finish_removal(&self, feed: FeedId) -> Result<(), StoreError> {
        self.hide_feed(feed, true);
        while let Step::Removed(_) = self.remove_article_chunk(feed)? {
            // sled evicts only pages it has written out (see `chunked`).
            self.flush()?;
        }
        while let Step::Removed(_) = self.remove_identity_chunk(feed)? {}
        let prefix = feed_key(feed);
        let marker = removing_key(feed);
        (&self.meta, &self.counters)
            .transaction(|(meta, counters)| {
                // A mark of one of its articles during the removal may have counted it again.
                counters.remove(&prefix)?;
                meta.remove(marker.as_slice())?;
                bump_records(meta, 0, 0)?;
                Ok(())
            })
            .map_err(tx_error)?;
        self.hide_feed(feed, false);
        self.flush()
    }

    /// Step 2, once: removes up to [`CHUNK_ARTICLES`] of the feed's articles.
    pub(super) fn remove_article_chunk(&self, feed: FeedId) -> Result<Step, StoreError> {
        let index: Vec<sled::IVec> = self
            .feed_index
            .scan_prefix(feed_key(feed))
            .keys()
            .take(CHUNK_ARTICLES)
            .collect::<Result<_, _>>()?;
        if index.is_empty() {
            return Ok(Step::Done);
        }
        self.all_trees()
            .transaction(|t| {
                let [meta, _feeds, _urls, articles, bodies, _keys, findex, dindex, flags, _counters, _flog, pending, tags, packs_pending] =
                    &t[..]
                else {
                    return abort(StoreError::Corrupt("transaction tree count".into()));
                };
                let stale = super::Stale { search: pending, packs: packs_pending };
                let trees = ArticleTrees { articles, bodies, findex, dindex, flags, tags, stale };
                let mut removed = 0i64;
                for k in &index {
                    removed += i64::from(trees.remove_indexed(k)?);
                }
                bump_records(meta, 0, -removed)?;
                Ok(())
            })
            .map_err(tx_error)?;
        Ok(Step::Removed(index.len()))
    }

    /// Step 3, once: removes up to [`IDENTITY_CHUNK`] of the feed's identity keys.
    fn remove_identity_chunk(&self, feed: FeedId) -> Result<Step, StoreError> {
        let keys: Vec<sled::IVec> = self
            .article_keys
            .scan_prefix(feed_key(feed))
            .keys()
            .take(IDENTITY_CHUNK)
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Ok(Step::Done);
        }
        (&self.meta, &self.article_keys)
            .transaction(|(meta, identities)| {
                for k in &keys {
                    identities.remove(k)?;
                }
                bump_records(meta, 0, 0)?;
                Ok(())
            })
            .map_err(tx_error)?;
        Ok(Step::Removed(keys.len()))
    }

    /// Feeds with a `removing/` marker: removals not finished.
    pub(super) fn unfinished_removals(&self) -> Result<Vec<FeedId>, StoreError> {
        let mut out = Vec::new();
        for k in self.meta.scan_prefix(REMOVING_PREFIX).keys() {
            if let Some(id) = k?.get(REMOVING_PREFIX.len()..).and_then(read_u64) {
                out.push(FeedId(id));
            }
        }
        Ok(out)
    }

    /// At open: finishes every removal a killed process left. Reads one prefix of `meta`
    /// when there are none.
    pub(super) fn finish_interrupted_removals(&self) -> Result<(), StoreError> {
        for feed in self.unfinished_removals()? {
            tracing::warn!(target: "tidings", "feed {feed}: finishing its removal, which was interrupted");
            self.finish_removal(feed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::store::{
        ArticleQuery, FeedUpdate, FetchRecord, FetchResult, Mark, NewFeed, PreparedArticle, StoreSettings,
    };

    const NOW: i64 = 1_800_000_000;

    fn article(n: u32, word: &str) -> PreparedArticle {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&n.to_be_bytes());
        PreparedArticle::new(ParsedArticle {
            key: ArticleKey(key),
            guid: Some(format!("g-{n}")),
            title: format!("Item {n} {word}"),
            link: Some(format!("https://{word}.example/{n}")),
            date: Utc.timestamp_opt(1_700_000_000 + i64::from(n) * 60, 0).single(),
            content_html: format!("<p>body {n} {word}</p>"),
            ..Default::default()
        })
    }

    fn add(store: &Store, word: &str, n: u32) -> FeedId {
        let (feed, _) = store
            .add_feed(NewFeed { url: format!("https://{word}.example/feed"), ..Default::default() })
            .expect("add");
        let update = FeedUpdate {
            feed_title: word.into(),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: (0..n).map(|i| article(i, word)).collect(),
        };
        store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &StoreSettings::default(),
                NOW,
            )
            .expect("apply");
        feed
    }

    /// A big feed of 1,200 articles (some read, starred, tagged) beside a small one.
    fn setup() -> (tempfile::TempDir, Store, FeedId, FeedId) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), &StoreSettings::default()).expect("open");
        let big = add(&store, "bigfeed", 1_200);
        let small = add(&store, "smallfeed", 20);
        let ids: Vec<ArticleId> = store
            .list_entries(&ArticleQuery { feed: Some(big), limit: Some(30), ..Default::default() })
            .expect("list")
            .iter()
            .map(|e| e.id)
            .collect();
        store.mark(&ids[..10], Mark::Read).expect("read");
        store.mark(&ids[5..15], Mark::Star).expect("star");
        store.tag_articles(&ids[..20], &["kept".into()], &[]).expect("tag");
        let small_ids: Vec<ArticleId> =
            store.articles(&ArticleQuery { feed: Some(small), ..Default::default() }).expect("articles")[..3]
                .iter()
                .map(|a| a.meta.id)
                .collect();
        store.mark(&small_ids, Mark::Read).expect("read");
        store.tag_articles(&small_ids, &["mine".into()], &[]).expect("tag");
        (dir, store, big, small)
    }

    fn assert_consistent(store: &Store) {
        let rep = store.check().expect("check");
        assert!(rep.problems.is_empty(), "integrity problems: {:?}", rep.problems);
    }

    fn found(store: &Store, words: &str) -> usize {
        let request = crate::search::SearchRequest { text: words.into(), feed: None, limit: None };
        crate::search::search(store, &request).expect("search").matched
    }

    /// Nothing of `feed` is left in any tree, and `small` is as `setup` left it.
    fn assert_gone(store: &Store, feed: FeedId, small: FeedId) {
        let prefix = feed_key(feed);
        assert!(store.feed(feed).expect("feed").is_none());
        assert_eq!(store.feeds().expect("feeds").iter().map(|f| f.id).collect::<Vec<_>>(), [small]);
        assert_eq!(store.articles.len(), 20);
        assert_eq!(store.bodies.len(), 20);
        assert_eq!(store.flags.len(), 20);
        assert_eq!(store.date_index.len(), 20);
        assert_eq!(store.article_tags.len(), 3);
        for tree in [&store.feed_index, &store.article_keys, &store.fetch_log] {
            assert!(tree.scan_prefix(prefix).next().is_none());
        }
        assert!(store.counters.get(prefix).expect("counter").is_none());
        assert!(store.feed_urls.iter().values().all(|v| v.expect("url").as_ref() != prefix.as_slice()));
        assert!(store.meta.scan_prefix(REMOVING_PREFIX).next().is_none());
        assert!(store.articles.iter().values().all(|v| {
            crate::store::codec::decode::<crate::store::ArticleMeta>("article", &v.expect("article"))
                .expect("decode")
                .feed
                == small
        }));
        let counts = store.counts(small).expect("counts");
        assert_eq!((counts.unread, counts.total), (17, 20));
        assert_eq!(store.records().expect("records").map(|r| (r.feeds, r.articles)), Some((1, 20)));
        assert_eq!(found(store, "bigfeed"), 0);
        assert_eq!(found(store, "smallfeed"), 20);
        assert_consistent(store);
    }

    #[test]
    fn a_big_feed_is_removed_in_chunks_and_leaves_nothing() {
        let (_dir, store, big, small) = setup();
        assert_eq!(found(&store, "bigfeed"), 1_200);
        assert!(needed(store.counts(big).expect("counts").total as usize));
        store.remove_feed(big).expect("remove");
        assert_gone(&store, big, small);
        assert!(store.hidden_feeds().is_empty());
        assert!(matches!(store.remove_feed(big), Err(StoreError::NoSuchFeed(_))));
    }

    #[test]
    fn a_removal_killed_after_its_first_chunk_is_finished_by_the_next_open() {
        let (dir, store, big, small) = setup();
        let rec = store.feed(big).expect("feed").expect("there");
        let log: Vec<sled::IVec> =
            store.fetch_log.scan_prefix(feed_key(big)).keys().collect::<Result<_, _>>().expect("log");
        // The steps a kill after the first chunk leaves done.
        store.begin_removal(&rec, &[], &log).expect("begin");
        assert_eq!(store.remove_article_chunk(big).expect("chunk"), Step::Removed(CHUNK_ARTICLES));
        store.flush().expect("flush");
        // Consistent at this point, and the feed is gone for the user already.
        assert_consistent(&store);
        assert!(store.feed(big).expect("feed").is_none());
        assert_eq!(store.unfinished_removals().expect("markers"), [big]);
        assert_eq!(store.articles.len(), 1_200 - CHUNK_ARTICLES + 20);
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert_gone(&store, big, small);
        // A second finish (a kill during the first one's last step) changes nothing.
        store.finish_removal(big).expect("again");
        assert_gone(&store, big, small);
    }

    #[test]
    fn listings_hide_what_is_left_of_a_feed_being_removed() {
        let (_dir, store, big, small) = setup();
        let rec = store.feed(big).expect("feed").expect("there");
        let left = store.list_entries(&ArticleQuery { feed: Some(big), ..Default::default() }).expect("list");
        store.hide_feed(big, true);
        store.begin_removal(&rec, &[], &[]).expect("begin");
        store.remove_article_chunk(big).expect("chunk");
        let all = store.list_entries(&ArticleQuery::default()).expect("list");
        assert_eq!(all.len(), 20);
        assert!(all.iter().all(|e| e.feed == small));
        assert!(store
            .list_entries(&ArticleQuery { feed: Some(big), ..Default::default() })
            .expect("list")
            .is_empty());
        assert_eq!(store.scan_articles().count(), 20);
        // So do passes over every article (a query feed's counts, opening it).
        let every = crate::query::Query::parse("not title:zzzqq").expect("parse");
        let now = chrono::Utc::now().timestamp();
        let counted = crate::query::count_matches(&store, std::slice::from_ref(&every), now).expect("count");
        assert_eq!(counted[0].total, 20);
        let matched =
            crate::query::matching_entries(&store, &ArticleQuery::default(), &every, now).expect("match");
        assert_eq!(matched.len(), 20);
        assert!(matched.iter().all(|e| e.feed == small));
        // Newest first: the first chunk removed the oldest.
        let last = left.first().expect("an article").id;
        assert!(store.articles.contains_key(article_key(last)).expect("read"), "still stored");
        assert!(store.article(last).expect("article").is_none(), "but not shown");
        assert_eq!(store.mark_all_read(None).expect("mark").len(), 17);
        store.finish_removal(big).expect("finish");
        assert!(store.hidden_feeds().is_empty());
        assert_eq!(store.counts(small).expect("counts").unread, 0);
        assert!(store.counters.get(feed_key(big)).expect("counter").is_none());
        assert_consistent(&store);
    }

    #[test]
    fn a_small_feed_is_still_removed_in_one_transaction() {
        let (_dir, store, big, small) = setup();
        store.remove_feed(small).expect("remove");
        assert!(store.meta.scan_prefix(REMOVING_PREFIX).next().is_none());
        assert_eq!(store.articles.len(), 1_200);
        assert_eq!(store.feeds().expect("feeds").iter().map(|f| f.id).collect::<Vec<_>>(), [big]);
        assert_consistent(&store);
    }
}

//! A big feed's articles written in bounded chunks, still all or nothing.
//!
//! sled keeps every write of a transaction in memory until it commits: one transaction for a
//! feed of 30,000 new articles held about 800 MB. So when a merge has more than
//! [`CHUNK_ARTICLES`] articles to write, [`Store::apply_chunks`] writes them in transactions
//! of at most [`CHUNK_ARTICLES`] articles (or [`CHUNK_BYTES`] of bodies) each, and the feed's
//! own final transaction in `apply_fetch` (feed record, fetch log, retention) is what
//! switches them in, by removing the feed's journal:
//!
//! - `meta`'s `pending/<feed>` ([`Pending`]) lists the ids of the articles the chunks added.
//!   Each chunk writes it in the same transaction as its articles, so it always covers them.
//! - `meta`'s `undo/<feed><article>` keeps an article's record and body from before a chunk
//!   updated it.
//!
//! Each chunk leaves the store consistent (records, indexes, flags and counters agree, so
//! `tidings check` passes at any point). A process killed before the switch leaves the
//! journal: the next [`Store::open`] (or the failed refresh itself) removes the added
//! articles and restores the updated ones, also in bounded transactions and idempotently,
//! so a kill during that roll-back is fine too. Undo records left after a switch are
//! garbage, removed after the switch and by `open`.
//!
//! Articles a chunk added are visible to readers of the same process before the switch; no
//! other process can open the database meanwhile, and the reader only reloads its lists
//! when the refresh reports the feed done.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{
    article_key, date_index_key, decode, encode, feed_index_key, feed_key, identity_key, read_u64,
};
use super::{
    abort, adjust_counts, apply_merge, bump_records, tx_error, write_article, ApplyStats, ArticleMeta,
    FeedUpdate, Flags, Incoming, MergePlan, PreparedArticle, Stale, Store, StoreError,
};
use crate::model::{ArticleId, FeedId};

/// Most articles written by one chunk's transaction.
pub(super) const CHUNK_ARTICLES: usize = 500;

/// Most compressed body bytes written by one chunk's transaction.
const CHUNK_BYTES: usize = 2 * 1024 * 1024;

/// Undo records and rolled-back articles handled per transaction.
const ROLLBACK_CHUNK: usize = 500;

const PENDING_PREFIX: &[u8] = b"pending/";
const UNDO_PREFIX: &[u8] = b"undo/";

/// Whether a merge of `incoming` articles is written in chunks.
pub(super) fn needed(incoming: usize) -> bool {
    incoming > CHUNK_ARTICLES
}

/// The journal of a feed whose chunks are written but not yet switched in.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Pending {
    /// Ids of the articles the chunks added: `[first, end)` ranges, one per chunk.
    added: Vec<(u64, u64)>,
}

/// `meta` key of a feed's [`Pending`] journal; the final transaction removes it.
pub(super) fn pending_key(feed: FeedId) -> Vec<u8> {
    [PENDING_PREFIX, &feed_key(feed)[..]].concat()
}

fn undo_key(feed: FeedId, id: ArticleId) -> Vec<u8> {
    [UNDO_PREFIX, &feed_key(feed)[..], &article_key(id)[..]].concat()
}

/// An undo record: the article's encoded record, then its body, behind the record's length.
fn undo_value(record: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + record.len() + body.len());
    v.extend_from_slice(&(record.len() as u32).to_be_bytes());
    v.extend_from_slice(record);
    v.extend_from_slice(body);
    v
}

fn split_undo(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(v.get(..4)?.try_into().ok()?) as usize;
    let rest = v.get(4..)?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Frees what a written article holds besides its key.
fn release(p: &mut PreparedArticle) {
    p.body = Vec::new();
    let a = &mut p.article;
    (a.guid, a.link, a.author) = (None, None, None);
    a.title = String::new();
    a.enclosures = Vec::new();
}

/// The value `next_id` would hand out next (see `super::next_id`).
fn peek_next_id(v: Option<&[u8]>) -> u64 {
    v.and_then(read_u64).unwrap_or(1).max(1)
}

impl Store {
    /// Writes the new and changed articles of `plan` in chunks, each its own transaction,
    /// journaled so that they can be rolled back until the final transaction removes the
    /// journal ([`pending_key`]). Returns what is left for that transaction (retention, keys
    /// of hidden articles, stale tombstones) and what the chunks did. On an error the chunks
    /// already written are rolled back.
    pub(super) fn apply_chunks(
        &self,
        feed: FeedId,
        update: &mut FeedUpdate,
        plan: MergePlan,
        now: i64,
    ) -> Result<(MergePlan, ApplyStats), StoreError> {
        match self.write_chunks(feed, update, plan, now) {
            Ok(done) => Ok(done),
            Err(e) => {
                if let Err(undo) = self.roll_back(feed) {
                    tracing::warn!(
                        target: "tidings",
                        "feed {feed}: cannot roll back its unfinished update now ({undo}); the next start will"
                    );
                }
                Err(e)
            }
        }
    }

    fn write_chunks(
        &self,
        feed: FeedId,
        update: &mut FeedUpdate,
        plan: MergePlan,
        now: i64,
    ) -> Result<(MergePlan, ApplyStats), StoreError> {
        let MergePlan { incoming, skip_new, filtered, mut existing_meta, dropped, stale_tombstones } = plan;
        // Hidden articles only leave a key: they go with the final transaction.
        let (hidden, visible): (Vec<Incoming>, Vec<Incoming>) =
            incoming.into_iter().partition(|inc| matches!(inc, Incoming::New(i) if skip_new.contains(i)));
        let mut done = ApplyStats::default();
        let mut rest = visible.as_slice();
        while !rest.is_empty() {
            // Up to CHUNK_ARTICLES articles, fewer when their bodies pass CHUNK_BYTES.
            let mut bytes = 0usize;
            let mut n = 0usize;
            while n < rest.len() && n < CHUNK_ARTICLES && (n == 0 || bytes < CHUNK_BYTES) {
                let (Incoming::New(i) | Incoming::Existing(i, _)) = rest[n];
                bytes += update.articles[i].body.len();
                n += 1;
            }
            let (chunk, after) = rest.split_at(n);
            rest = after;
            // The stored records this chunk compares against, read now (not all at once in
            // plan_merge for a big feed, see `needed`).
            let mut metas = HashMap::new();
            let mut changed = Vec::new();
            for inc in chunk {
                if let Incoming::Existing(i, id) = *inc {
                    let m = match existing_meta.remove(&id) {
                        Some(m) => Some(m),
                        None => self.article_meta(id)?,
                    };
                    if let Some(m) = m {
                        if m.content_hash != update.articles[i].content_hash {
                            changed.push(id);
                            metas.insert(id, m);
                        }
                    }
                }
            }
            let writes: Vec<Incoming> = chunk
                .iter()
                .filter_map(|inc| match *inc {
                    Incoming::New(i) => Some(Incoming::New(i)),
                    Incoming::Existing(i, id) => metas.contains_key(&id).then_some(Incoming::Existing(i, id)),
                })
                .collect();
            if writes.is_empty() {
                // Every article of the chunk is stored unchanged.
                continue;
            }
            let chunk_filtered = writes
                .iter()
                .filter_map(|inc| match *inc {
                    Incoming::New(i) => filtered.get(&i).map(|v| (i, v.clone())),
                    Incoming::Existing(..) => None,
                })
                .collect();
            let chunk_plan = MergePlan {
                incoming: writes,
                skip_new: HashSet::new(),
                filtered: chunk_filtered,
                existing_meta: metas,
                dropped: Vec::new(),
                stale_tombstones: Vec::new(),
            };
            let stats = self.write_chunk(feed, update, &chunk_plan, &changed, now)?;
            // Written: its memory is for sled's next pages (only keys are read again).
            for inc in chunk {
                let (Incoming::New(i) | Incoming::Existing(i, _)) = *inc;
                release(&mut update.articles[i]);
            }
            done.new += stats.new;
            done.updated += stats.updated;
            done.total = stats.total;
            // sled evicts only pages it has written out: flushed after each chunk, its cache
            // stays near its configured size (30,000 articles: 109 MB peak in a debug build,
            // 120 to 135 MB with a flush every 8 MB of bodies, for no gain in time).
            self.flush()?;
        }
        let left = MergePlan {
            incoming: hidden,
            skip_new,
            filtered: HashMap::new(),
            existing_meta: HashMap::new(),
            dropped,
            stale_tombstones,
        };
        Ok((left, done))
    }

    /// One chunk's transaction: the journal, then the articles.
    fn write_chunk(
        &self,
        feed: FeedId,
        update: &FeedUpdate,
        plan: &MergePlan,
        changed: &[ArticleId],
        now: i64,
    ) -> Result<ApplyStats, StoreError> {
        let prefix = feed_key(feed);
        let journal = pending_key(feed);
        self.all_trees()
            .transaction(|t| {
                let [meta, feeds, _urls, articles, bodies, keys, findex, dindex, flags, counters, _flog, search_pending, tags, packs_pending] =
                    &t[..]
                else {
                    return abort(StoreError::Corrupt("transaction tree count".into()));
                };
                // Removed meanwhile: its articles must not come back as orphans.
                if feeds.get(prefix)?.is_none() {
                    return abort(StoreError::NoSuchFeed(feed.to_string()));
                }
                let mut pending: Pending = match meta.get(&journal)? {
                    Some(v) => match decode("pending update", &v) {
                        Ok(p) => p,
                        Err(e) => return abort(e),
                    },
                    None => Pending::default(),
                };
                // The first version of each article this update changes: a second chunk
                // never changes the same article, but a retried transaction runs again.
                for &id in changed {
                    let key = undo_key(feed, id);
                    if meta.get(&key)?.is_some() {
                        continue;
                    }
                    if let (Some(record), Some(body)) =
                        (articles.get(article_key(id))?, bodies.get(article_key(id))?)
                    {
                        meta.insert(key, undo_value(&record, &body))?;
                    }
                }
                let first = peek_next_id(meta.get("next_article_id")?.as_deref());
                let stale = Stale { search: search_pending, packs: packs_pending };
                // The one place a chunk's articles are written: whatever else apply_merge
                // writes per article is chunked (and journaled by id) with them.
                let stats = apply_merge(
                    feed, update, plan, now, meta, articles, bodies, keys, findex, dindex, flags, counters, stale, tags,
                )?;
                let end = peek_next_id(meta.get("next_article_id")?.as_deref());
                if end > first {
                    pending.added.push((first, end));
                }
                meta.insert(journal.as_slice(), encode(&pending))?;
                bump_records(meta, 0, stats.new as i64)?;
                Ok(stats)
            })
            .map_err(tx_error)
    }

    /// Undoes the chunks of `feed`'s unfinished update, if it has one: removes the articles
    /// they added, restores those they changed, then the journal.
    pub(super) fn roll_back(&self, feed: FeedId) -> Result<(), StoreError> {
        let journal = pending_key(feed);
        let Some(v) = self.meta.get(&journal)? else { return Ok(()) };
        let pending: Pending = decode("pending update", &v)?;
        let ids: Vec<u64> = pending.added.iter().flat_map(|&(a, b)| a..b).collect();
        for chunk in ids.chunks(ROLLBACK_CHUNK) {
            self.remove_added(feed, chunk)?;
        }
        self.restore_changed(feed)?;
        self.meta.remove(&journal)?;
        Ok(())
    }

    /// Removes the articles of `ids` that `feed`'s chunks added (those still there).
    fn remove_added(&self, feed: FeedId, ids: &[u64]) -> Result<(), StoreError> {
        let prefix = feed_key(feed);
        self.all_trees()
            .transaction(|t| {
                let [meta, feeds, _urls, articles, bodies, keys, findex, dindex, flags, counters, _flog, search_pending, tags, packs_pending] =
                    &t[..]
                else {
                    return abort(StoreError::Corrupt("transaction tree count".into()));
                };
                let (mut d_total, mut d_unread) = (0i64, 0i64);
                for &id in ids {
                    let id = ArticleId(id);
                    let Some(v) = articles.get(article_key(id))? else { continue };
                    let m: ArticleMeta = match decode("article", &v) {
                        Ok(m) => m,
                        Err(e) => return abort(e),
                    };
                    if m.feed != feed {
                        continue;
                    }
                    articles.remove(&article_key(id))?;
                    bodies.remove(&article_key(id))?;
                    Stale { search: search_pending, packs: packs_pending }.article(id)?;
                    findex.remove(&feed_index_key(feed, m.date, id))?;
                    dindex.remove(&date_index_key(m.date, id))?;
                    let identity = identity_key(feed, &m.key);
                    if keys.get(identity)?.as_deref() == Some(&article_key(id)[..]) {
                        keys.remove(&identity)?;
                    }
                    tags.remove(&article_key(id))?;
                    if let Some(f) = flags.remove(&article_key(id))? {
                        d_unread -= i64::from(!Flags::from_bytes(&f).0.read);
                    }
                    d_total -= 1;
                }
                if d_total != 0 {
                    if feeds.get(prefix)?.is_some() {
                        adjust_counts(counters, feed, d_unread, d_total)?;
                    }
                    bump_records(meta, 0, d_total)?;
                }
                Ok(())
            })
            .map_err(tx_error)
    }

    /// Puts back the articles `feed`'s chunks changed, and drops their undo records.
    fn restore_changed(&self, feed: FeedId) -> Result<(), StoreError> {
        let prefix = [UNDO_PREFIX, &feed_key(feed)[..]].concat();
        loop {
            let batch: Vec<(sled::IVec, sled::IVec)> =
                self.meta.scan_prefix(&prefix).take(ROLLBACK_CHUNK).collect::<Result<_, _>>()?;
            if batch.is_empty() {
                return Ok(());
            }
            self.all_trees()
                .transaction(|t| {
                    let [meta, _feeds, _urls, articles, bodies, _keys, findex, dindex, _flags, _counters, _flog, search_pending, _tags, packs_pending] =
                        &t[..]
                    else {
                        return abort(StoreError::Corrupt("transaction tree count".into()));
                    };
                    for (k, v) in &batch {
                        meta.remove(k)?;
                        let Some(id) = k.get(prefix.len()..).and_then(read_u64).map(ArticleId) else { continue };
                        let Some((record, body)) = split_undo(v) else { continue };
                        // Removed meanwhile (with its feed): nothing to restore.
                        let Some(cur) = articles.get(article_key(id))? else { continue };
                        let (cur, old): (ArticleMeta, ArticleMeta) =
                            match (decode("article", &cur), decode("article", record)) {
                                (Ok(c), Ok(o)) => (c, o),
                                (Err(e), _) | (_, Err(e)) => return abort(e),
                            };
                        findex.remove(&feed_index_key(feed, cur.date, id))?;
                        dindex.remove(&date_index_key(cur.date, id))?;
                        write_article(&old, body, articles, bodies, findex, dindex)?;
                        Stale { search: search_pending, packs: packs_pending }.article(id)?;
                    }
                    Ok(())
                })
                .map_err(tx_error)?;
        }
    }

    /// Drops undo records whose update was switched in (no journal left for their feed).
    pub(super) fn discard_undo(&self, feed: FeedId) -> Result<(), StoreError> {
        let prefix = [UNDO_PREFIX, &feed_key(feed)[..]].concat();
        loop {
            let mut batch = sled::Batch::default();
            let mut n = 0;
            for k in self.meta.scan_prefix(&prefix).keys().take(ROLLBACK_CHUNK) {
                batch.remove(k?);
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            self.meta.apply_batch(batch)?;
        }
    }

    /// At open: rolls back every update a killed process left unfinished, and drops the undo
    /// records of updates that were switched in. Reads one prefix of `meta` when there are
    /// none.
    pub(super) fn finish_interrupted_updates(&self) -> Result<(), StoreError> {
        let journals: Vec<FeedId> = self
            .meta
            .scan_prefix(PENDING_PREFIX)
            .keys()
            .filter_map(|k| k.ok()?.get(PENDING_PREFIX.len()..).and_then(read_u64).map(FeedId))
            .collect();
        for &feed in &journals {
            tracing::warn!(
                target: "tidings",
                "feed {feed}: rolling back an update that was interrupted before it was complete"
            );
            self.roll_back(feed)?;
        }
        let orphans: HashSet<u64> = self
            .meta
            .scan_prefix(UNDO_PREFIX)
            .keys()
            .filter_map(|k| k.ok()?.get(UNDO_PREFIX.len()..).and_then(read_u64))
            .collect();
        for feed in orphans {
            self.discard_undo(FeedId(feed))?;
        }
        if !journals.is_empty() {
            self.flush()?;
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
        ArticleQuery, FetchRecord, FetchResult, Mark, NewFeed, PreparedArticle, StoreSettings,
    };

    fn article(n: u32, version: &str) -> PreparedArticle {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&n.to_be_bytes());
        PreparedArticle::new(ParsedArticle {
            key: ArticleKey(key),
            guid: Some(format!("g-{n}")),
            title: format!("Item {n} {version}"),
            link: Some(format!("https://big.example/{n}")),
            date: Utc.timestamp_opt(1_700_000_000 + i64::from(n) * 60, 0).single(),
            content_html: format!("<p>body {n} {version}</p>"),
            ..Default::default()
        })
    }

    fn update(n: u32, version: &str) -> FeedUpdate {
        FeedUpdate {
            feed_title: "Big".into(),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: (0..n).map(|i| article(i, version)).collect(),
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn setup() -> (tempfile::TempDir, Store, FeedId) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), &StoreSettings::default()).expect("open");
        let (feed, _) = store
            .add_feed(NewFeed { url: "https://big.example/feed".into(), ..Default::default() })
            .expect("add");
        (dir, store, feed)
    }

    fn apply(store: &Store, feed: FeedId, update: FeedUpdate) -> ApplyStats {
        store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &StoreSettings::default(),
                NOW,
            )
            .expect("apply")
    }

    fn titles(store: &Store, feed: FeedId) -> Vec<String> {
        let q = ArticleQuery { feed: Some(feed), ..Default::default() };
        let mut t: Vec<String> =
            store.articles(&q).expect("articles").into_iter().map(|a| a.meta.title).collect();
        t.sort();
        t
    }

    fn assert_consistent(store: &Store) {
        let rep = store.check().expect("check");
        assert!(rep.problems.is_empty(), "integrity problems: {:?}", rep.problems);
    }

    /// Runs the chunks of an update and stops before its final transaction, as a kill would.
    fn interrupt(store: &Store, feed: FeedId, mut update: FeedUpdate) {
        let settings = StoreSettings::default();
        let plan = store.plan_merge(feed, &update, &settings, NOW).expect("plan");
        assert!(needed(plan.incoming.len()));
        store.write_chunks(feed, &mut update, plan, NOW).expect("chunks");
        store.flush().expect("flush");
    }

    #[test]
    fn a_big_merge_is_written_in_chunks_and_reads_like_one_transaction() {
        let (_dir, store, feed) = setup();
        let stats = apply(&store, feed, update(1_700, "v1"));
        assert_eq!((stats.new, stats.total), (1_700, 1_700));
        assert_consistent(&store);
        assert!(store.meta.scan_prefix(PENDING_PREFIX).next().is_none());
        // Unchanged: nothing written; then every article changed.
        assert_eq!(apply(&store, feed, update(1_700, "v1")).updated, 0);
        let stats = apply(&store, feed, update(1_800, "v2"));
        assert_eq!((stats.new, stats.updated, stats.total), (100, 1_700, 1_800));
        assert!(titles(&store, feed).iter().all(|t| t.ends_with("v2")));
        assert!(
            store.meta.scan_prefix(UNDO_PREFIX).next().is_none(),
            "undo records are dropped after the switch"
        );
        assert_consistent(&store);
    }

    #[test]
    fn an_interrupted_first_update_leaves_no_article_after_reopen() {
        let (dir, store, feed) = setup();
        interrupt(&store, feed, update(1_600, "v1"));
        // Consistent even before the roll-back: each chunk is.
        assert_consistent(&store);
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert!(titles(&store, feed).is_empty());
        assert_eq!(store.counts(feed).expect("counts").total, 0);
        assert_consistent(&store);
        // And the next refresh stores them all.
        assert_eq!(apply(&store, feed, update(1_600, "v1")).new, 1_600);
        assert_consistent(&store);
    }

    #[test]
    fn an_interrupted_update_restores_changed_articles_and_keeps_flags() {
        let (dir, store, feed) = setup();
        apply(&store, feed, update(1_200, "v1"));
        let q = ArticleQuery { feed: Some(feed), ..Default::default() };
        let ids: Vec<_> = store.articles(&q).expect("articles").iter().take(5).map(|a| a.meta.id).collect();
        store.mark(&ids, Mark::Read).expect("mark");
        let before = titles(&store, feed);
        let counts = store.counts(feed).expect("counts");
        interrupt(&store, feed, update(1_400, "v2"));
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert_eq!(titles(&store, feed), before);
        assert_eq!(store.counts(feed).expect("counts"), counts);
        assert!(store.meta.scan_prefix(UNDO_PREFIX).next().is_none());
        assert!(store.meta.scan_prefix(PENDING_PREFIX).next().is_none());
        assert_consistent(&store);
    }

    #[test]
    fn a_feed_removed_during_an_update_leaves_nothing_behind() {
        let (dir, store, feed) = setup();
        apply(&store, feed, update(600, "v1"));
        interrupt(&store, feed, update(1_300, "v2"));
        store.remove_feed(feed).expect("remove");
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert!(store.feeds().expect("feeds").is_empty());
        assert_consistent(&store);
    }
    #[test]
    fn tags_given_by_filters_in_chunks_are_switched_in_or_rolled_back_with_their_articles() {
        let (dir, store, feed) = setup();
        let filter = crate::query::Filter {
            query: crate::query::Query::parse("title:v1").expect("query"),
            action: crate::query::FilterAction::Tag("big".into()),
        };
        let settings = StoreSettings { filters: vec![filter], ..Default::default() };
        let mut first = update(1_600, "v1");
        let plan = store.plan_merge(feed, &first, &settings, NOW).expect("plan");
        store.write_chunks(feed, &mut first, plan, NOW).expect("chunks");
        assert_eq!(store.article_tags.len(), 1_600, "each chunk tags the articles it adds");
        assert_consistent(&store);
        store.flush().expect("flush");
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert!(store.article_tags.is_empty(), "rolled back with the articles");
        assert_consistent(&store);
        // Switched in, the tags stay; the next update of every article keeps them.
        let record = FetchRecord::default();
        store
            .apply_fetch(feed, FetchResult::Updated(update(1_600, "v1")), record.clone(), &settings, NOW)
            .expect("apply");
        store
            .apply_fetch(feed, FetchResult::Updated(update(1_600, "v2")), record, &settings, NOW)
            .expect("apply");
        let q = ArticleQuery { feed: Some(feed), ..Default::default() };
        let articles = store.articles(&q).expect("articles");
        assert!(articles.iter().all(|a| a.meta.title.ends_with("v2") && a.tags == ["big"]));
        assert_consistent(&store);
    }

    fn found(store: &Store, words: &str) -> usize {
        let request = crate::search::SearchRequest { text: words.into(), feed: None, limit: None };
        crate::search::search(store, &request).expect("search").matched
    }

    #[test]
    fn the_search_index_follows_chunks_and_their_roll_back() {
        let (dir, store, feed) = setup();
        apply(&store, feed, update(1_200, "v1"));
        assert_eq!(found(&store, "v1"), 1_200);
        interrupt(&store, feed, update(1_400, "v2"));
        // Indexed while unfinished: the chunks' articles are in the store until the roll-back.
        assert_eq!(found(&store, "v2"), 1_400);
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default()))
            .expect("reopen");
        assert_eq!(found(&store, "v2"), 0, "rolled-back articles leave the index");
        assert_eq!(found(&store, "v1"), 1_200, "restored articles are found again");
        assert_consistent(&store);
    }
}

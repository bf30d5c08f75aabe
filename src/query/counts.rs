//! Query feeds' counts, kept between requests by the process that holds the store: the
//! reader asks for them after every mark and every refreshed feed, and a pass over 100,000
//! articles takes a quarter of a second or more. So they are kept per feed: a mark re-tests
//! only the articles it changed, once with their flags before and once after; a refreshed feed
//! is counted again alone (its thousand articles, not the store's hundred thousand); any other
//! write (feeds added, removed or edited, tags given by hand, a sync) drops them, and the next
//! request makes them again in one pass for all. Counts of expressions that test time
//! (`age<7d`) are made again once a minute.
//!
//! Expressions that test only `unread`, `starred`, `feed:` and `tag:` need no pass over the
//! articles: they are made from each feed's unread and total counters (or, with `starred`,
//! from the flags in the packs, see `super::packs`), reading only the articles that have tags of their own
//! ([`super::eval::count_without_articles`]).
//!
//! They are also kept in the store when the holder closes ([`CountCache::to_keep`], stamped
//! with the store's change counter, see `store::kept`), so the next process to hold the store
//! starts with them instead of a pass, unless anything was written in between. A holder that
//! started from kept counts (a cron `tidings refresh` or `sync`) brings them up to date when
//! its refresh or sync ends ([`CountCache::settle`]), so it keeps them for the reader too.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::eval::{
    count_matches_by_feed, count_without_articles, needs_no_article, tests_starred, Candidate,
};
use super::{Expr, Query, Test};
use crate::model::{ArticleId, FeedId};
use crate::store::{ArticleQuery, Counts, FeedRecord, ListEntry, Mark, Store, StoreError};

/// How long counts of a time-dependent expression stay good, in seconds.
const TIMED_FOR_SECS: i64 = 60;

/// A mark of more articles than this drops the counts instead (one pass is cheaper).
const MAX_INCREMENTAL: usize = 5_000;

/// More feeds than this changed since the last request: one pass for all is cheaper.
const MAX_FEEDS_RECOUNTED: usize = 64;

/// Reading a feed's articles by key costs about this many times what a pass pays for an
/// article (flags and metadata each found by a descent of their tree, not read in order):
/// stale feeds holding more than this share of the store are counted in a pass instead.
const RECOUNT_COST_PER_ARTICLE: u64 = 4;

/// Stale feeds holding no more articles than this are counted again whatever the store's size
/// (a few milliseconds).
const ALWAYS_RECOUNTED: u64 = 2_000;

/// Expressions remembered as wanted (asked for, or kept by the last holder), which
/// [`CountCache::settle`] counts again; the oldest are forgotten past this.
const MAX_WANTED: usize = 256;

/// Articles of feeds refreshed since the counts were made that the holder counts again as it
/// closes, to keep the counts for the next one (about 20 ms; 0.3 s with a `content:` test over
/// real bodies).
const MAX_RECOUNTED_ON_CLOSE: u64 = 10_000;

struct Cached {
    query: Query,
    /// The counts of each feed's articles; feeds with no match are left out.
    by_feed: HashMap<FeedId, Counts>,
    made_at: i64,
    timed: bool,
}

impl Cached {
    fn counts(&self) -> Counts {
        self.by_feed.values().fold(Counts::default(), |sum, c| Counts {
            unread: sum.unread + c.unread,
            total: sum.total + c.total,
        })
    }
}

#[derive(Default)]
struct Kept {
    cached: HashMap<String, Cached>,
    /// Feeds written since their counts were made: counted again on the next request.
    stale_feeds: HashSet<FeedId>,
    /// Every expression asked for (or kept by the last holder), oldest first: what
    /// [`CountCache::settle`] makes again after a write dropped it.
    wanted: Vec<String>,
}

impl Kept {
    fn drop_counts(&mut self) {
        self.cached.clear();
        self.stale_feeds.clear();
    }

    fn want(&mut self, expr: &str) {
        if self.wanted.iter().any(|e| e == expr) {
            return;
        }
        if self.wanted.len() >= MAX_WANTED {
            self.wanted.remove(0);
        }
        self.wanted.push(expr.to_owned());
    }

    /// Whether every wanted count is made and up to date (as of its last request).
    fn settled(&self) -> bool {
        self.stale_feeds.is_empty() && self.wanted.iter().all(|e| self.cached.contains_key(e))
    }
}

#[derive(Default)]
pub struct CountCache {
    kept: Mutex<Kept>,
    /// Held (shared) by a write of flags and the counts' following it ([`CountCache::marking`]),
    /// alone by every request for counts: a pass or a feed's recount that read an article's
    /// new flags before [`CountCache::marked`] applied the change would count it twice.
    counting: RwLock<()>,
    /// Passes over every article made so far (what keeping the counts saves).
    passes: AtomicU64,
}

/// How the counts are kept in the store between processes (see [`CountCache::to_keep`]).
#[derive(Serialize, Deserialize)]
struct KeptCounts {
    counts: Vec<KeptQuery>,
}

#[derive(Serialize, Deserialize)]
struct KeptQuery {
    expr: String,
    /// When they were made: counts of an expression that tests time are good for a minute.
    made_at: i64,
    /// `[feed, unread, total]` for each feed it matches.
    feeds: Vec<(u64, u64, u64)>,
}

impl CountCache {
    /// Each expression's counts, or its parse error; those not kept are made in one pass.
    pub fn counts(&self, store: &Store, exprs: &[String], now: i64) -> Vec<Result<Counts, String>> {
        let _no_flags_written_meanwhile = self.counting.write().unwrap_or_else(PoisonError::into_inner);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = &mut *kept;
        kept.cached.retain(|_, c| !(c.timed && now - c.made_at >= TIMED_FOR_SECS));
        if !kept.stale_feeds.is_empty() && recounting_costs_more_than_a_pass(store, &kept.stale_feeds) {
            kept.drop_counts();
        }
        if !kept.stale_feeds.is_empty() {
            let stale: Vec<FeedId> = kept.stale_feeds.drain().collect();
            if let Err(e) = recount_feeds(store, &mut kept.cached, &stale, now) {
                tracing::warn!(target: "tidings", "query feed counts dropped: {e}");
                kept.cached.clear();
            }
        }
        let mut missing: Vec<(String, Query)> = Vec::new();
        let mut out = Vec::with_capacity(exprs.len());
        for expr in exprs {
            match kept.cached.get(expr) {
                Some(c) => out.push(Ok(c.counts())),
                None => match Query::parse(expr) {
                    Ok(q) => {
                        kept.want(expr);
                        if !missing.iter().any(|(e, _)| e == expr) {
                            missing.push((expr.clone(), q));
                        }
                        out.push(Err(String::new()));
                    }
                    Err(e) => out.push(Err(e.line())),
                },
            }
        }
        if missing.is_empty() {
            return out;
        }
        let cached = &mut kept.cached;
        // Those that test only `unread`, `starred`, `feed:` and `tag:` come from the feeds'
        // counters or the flags; the others take one pass over the articles, together.
        let (mut counted, mut passed): (Vec<_>, Vec<_>) =
            missing.into_iter().partition(|(_, q)| needs_no_article(&q.expr));
        if !passed.is_empty() {
            // A scan of the flags costs a tenth of a pass, but nothing inside one.
            let (starred, rest): (Vec<_>, Vec<_>) =
                counted.into_iter().partition(|(_, q)| tests_starred(&q.expr));
            passed.extend(starred);
            counted = rest;
        }
        for (missing, by_counters) in [(counted, true), (passed, false)] {
            if missing.is_empty() {
                continue;
            }
            let queries: Vec<Query> = missing.iter().map(|(_, q)| q.clone()).collect();
            let made = if by_counters {
                count_without_articles(store, &queries, now)
            } else {
                self.passes.fetch_add(1, Ordering::Relaxed);
                count_matches_by_feed(store, &queries, now)
            };
            fill(cached, &mut out, exprs, missing, made, now);
        }
        out
    }

    /// Makes again the wanted counts that a write dropped or left stale (an expression that
    /// tests time, after its minute), without waiting to be asked: called when a refresh or a
    /// sync ends, so that the holder keeps them up to date in the store when it closes. A
    /// holder nobody asked for counts, and that found none kept, has none to make.
    pub fn settle(&self, store: &Store, now: i64) {
        let wanted = {
            let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            if kept.settled() {
                return;
            }
            kept.wanted.clone()
        };
        let _ = self.counts(store, &wanted, now);
    }

    /// Runs `write`, which writes flags and then calls [`CountCache::marked`] with the ones it
    /// changed, while no count is being made (it waits for one being made: at most a pass).
    pub fn marking<T>(&self, write: impl FnOnce() -> T) -> T {
        let _no_count_made_meanwhile = self.counting.read().unwrap_or_else(PoisonError::into_inner);
        write()
    }

    /// `changed` had `mark` applied (each one's flag really changed): the counts follow. Called
    /// inside [`CountCache::marking`] with the write.
    pub fn marked(&self, store: &Store, changed: &[ArticleId], mark: Mark, now: i64) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.cached.is_empty() || changed.is_empty() {
            return;
        }
        if changed.len() > MAX_INCREMENTAL {
            kept.drop_counts();
            return;
        }
        if let Err(e) = apply_marks(store, &mut kept.cached, changed, mark, now) {
            tracing::warn!(target: "tidings", "query feed counts dropped: {e}");
            kept.drop_counts();
        }
    }

    /// `feed` was written (refreshed: articles added, changed, marked by filters or dropped by
    /// retention): its counts are made again, alone, when next asked for.
    pub fn feed_written(&self, feed: FeedId) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.cached.is_empty() {
            return;
        }
        kept.stale_feeds.insert(feed);
    }

    /// Something else changed: every count is made again when next asked for.
    pub(crate) fn clear(&self) {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).drop_counts();
    }

    /// How many passes over every article were made so far.
    pub(crate) fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// The counts kept now, brought up to date, encoded for [`CountCache::restore`] in the
    /// next process; `None` if there are none. Called as the holder closes, so it never makes
    /// a pass over every article: feeds refreshed since are counted again when they hold at
    /// most [`MAX_RECOUNTED_ON_CLOSE`] articles in all, and counts that were dropped are not
    /// kept.
    pub fn to_keep(&self, store: &Store, now: i64) -> Option<Vec<u8>> {
        let exprs: Vec<String> = {
            let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            let mut to_recount = 0u64;
            for &feed in &kept.stale_feeds {
                to_recount += store.counts(feed).map_or(u64::MAX, |c| c.total);
            }
            // A quit must stay quick: counts that would take longer are made by the next
            // holder (a cron `refresh` that rewrote many feeds leaves them to the reader).
            if to_recount > MAX_RECOUNTED_ON_CLOSE {
                return None;
            }
            kept.cached.keys().cloned().collect()
        };
        // Only recounts the stale feeds (and drops a time-dependent count that expired).
        let _ = self.counts(store, &exprs, now);
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let mut counts: Vec<KeptQuery> = kept
            .cached
            .iter()
            .map(|(expr, c)| {
                let mut feeds: Vec<(u64, u64, u64)> =
                    c.by_feed.iter().map(|(feed, c)| (feed.0, c.unread, c.total)).collect();
                feeds.sort_unstable();
                KeptQuery { expr: expr.clone(), made_at: c.made_at, feeds }
            })
            .collect();
        if counts.is_empty() {
            return None;
        }
        counts.sort_unstable_by(|a, b| a.expr.cmp(&b.expr));
        serde_json::to_vec(&KeptCounts { counts }).ok()
    }

    /// Starts from counts [`CountCache::to_keep`] made from this very state of the store (the
    /// caller checked the stamp). Anything that does not decode is ignored: the next request
    /// makes the counts again.
    pub fn restore(&self, kept_bytes: &[u8]) {
        let Ok(decoded) = serde_json::from_slice::<KeptCounts>(kept_bytes) else { return };
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        for KeptQuery { expr, made_at, feeds } in decoded.counts {
            let Ok(query) = Query::parse(&expr) else { continue };
            let by_feed = feeds
                .into_iter()
                .map(|(feed, unread, total)| (FeedId(feed), Counts { unread, total }))
                .collect();
            let timed = tests_time(&query.expr);
            kept.want(&expr);
            kept.cached.entry(expr).or_insert(Cached { query, by_feed, made_at, timed });
        }
    }
}

/// Whether counting the articles of `stale` feeds again, each by key, would read more than a
/// pass over every article does.
fn recounting_costs_more_than_a_pass(store: &Store, stale: &HashSet<FeedId>) -> bool {
    if stale.len() > MAX_FEEDS_RECOUNTED {
        return true;
    }
    let mut stale_articles = 0u64;
    for &feed in stale {
        stale_articles = stale_articles.saturating_add(store.counts(feed).map_or(u64::MAX, |c| c.total));
    }
    if stale_articles <= ALWAYS_RECOUNTED {
        return false;
    }
    let all = store.article_total().unwrap_or(0);
    stale_articles.saturating_mul(RECOUNT_COST_PER_ARTICLE) > all
}

/// Keeps what one way of counting made and puts each expression's counts (or the error) in
/// the slots of `out` that asked for it.
fn fill(
    cached: &mut HashMap<String, Cached>,
    out: &mut [Result<Counts, String>],
    exprs: &[String],
    missing: Vec<(String, Query)>,
    made: Result<Vec<HashMap<FeedId, Counts>>, StoreError>,
    now: i64,
) {
    for (i, (expr, query)) in missing.into_iter().enumerate() {
        let result = match &made {
            Ok(by_query) => {
                let timed = tests_time(&query.expr);
                let c = Cached { query, by_feed: by_query[i].clone(), made_at: now, timed };
                let counts = c.counts();
                cached.insert(expr.clone(), c);
                Ok(counts)
            }
            Err(e) => Err(e.to_string()),
        };
        for (slot, asked) in out.iter_mut().zip(exprs) {
            if *asked == expr && matches!(slot, Err(e) if e.is_empty()) {
                *slot = result.clone();
            }
        }
    }
}

/// Counts the articles of each of `feeds` again, for every kept expression.
fn recount_feeds(
    store: &Store,
    cached: &mut HashMap<String, Cached>,
    feeds: &[FeedId],
    now: i64,
) -> Result<(), StoreError> {
    let records: HashMap<FeedId, FeedRecord> = store.feeds()?.into_iter().map(|f| (f.id, f)).collect();
    for &feed in feeds {
        let mut fresh = vec![Counts::default(); cached.len()];
        for entry in store.list_entries(&ArticleQuery { feed: Some(feed), ..Default::default() })? {
            let mut c = Candidate::new(store, &records, entry, now);
            for (kept, count) in cached.values().zip(fresh.iter_mut()) {
                if c.matches(&kept.query.expr)? {
                    count.total += 1;
                    count.unread += u64::from(!entry.read);
                }
            }
        }
        for (kept, count) in cached.values_mut().zip(fresh) {
            if count.total == 0 {
                kept.by_feed.remove(&feed);
            } else {
                kept.by_feed.insert(feed, count);
            }
        }
    }
    Ok(())
}

fn apply_marks(
    store: &Store,
    cached: &mut HashMap<String, Cached>,
    changed: &[ArticleId],
    mark: Mark,
    now: i64,
) -> Result<(), StoreError> {
    let feeds: HashMap<FeedId, FeedRecord> = store.feeds()?.into_iter().map(|f| (f.id, f)).collect();
    for &id in changed {
        let Some((flags, feed)) = store.flags_and_feed_of(id)? else { continue };
        let after = ListEntry { id, feed, read: flags.read, starred: flags.starred };
        let mut before = after;
        match mark {
            Mark::Read | Mark::Unread => before.read = !after.read,
            Mark::Star | Mark::Unstar => before.starred = !after.starred,
        }
        // One candidate per state; the article's metadata and body are read once for both.
        let mut was = Candidate::new(store, &feeds, before, now);
        let mut is = Candidate::new(store, &feeds, after, now);
        for c in cached.values_mut() {
            let (matched_before, matched_after) = (was.matches(&c.query.expr)?, is.matches(&c.query.expr)?);
            let counts = c.by_feed.entry(feed).or_default();
            if matched_before {
                counts.total = counts.total.saturating_sub(1);
                counts.unread = counts.unread.saturating_sub(u64::from(!before.read));
            }
            if matched_after {
                counts.total += 1;
                counts.unread += u64::from(!after.read);
            }
            if counts.total == 0 {
                c.by_feed.remove(&feed);
            }
            if is.meta.is_some() && was.meta.is_none() {
                was.meta = is.meta.clone();
            }
        }
    }
    Ok(())
}

/// The expression's answer changes with the clock (`age<7d`; a `date` is fixed).
fn tests_time(e: &Expr) -> bool {
    e.any_test(&|t| matches!(t, Test::Age(..)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::query::tests::{store_articles, store_articles_with};
    use crate::store::{NewFeed, StoreSettings};

    /// Two feeds of 20 articles on a real sled: titles "rust i" for even i, "go i" for odd.
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let settings = StoreSettings::default();
        let store = Store::open(dir.path(), &settings).unwrap();
        let now = chrono::Utc::now();
        for f in 0..2u8 {
            let url = format!("https://example.org/{f}");
            let (feed, _) =
                store.add_feed(NewFeed { url, tags: vec![format!("t{f}")], ..Default::default() }).unwrap();
            let articles = (0..20u8)
                .map(|i| {
                    let lang = if i % 2 == 0 { "rust" } else { "go" };
                    ParsedArticle {
                        key: ArticleKey([f * 32 + i; 16]),
                        title: format!("{lang} {i}"),
                        date: Some(now - chrono::Duration::days(i64::from(i))),
                        content_html: format!("<p>{lang}</p>"),
                        ..Default::default()
                    }
                })
                .collect();
            store_articles(&store, feed, &format!("Feed {f}"), articles, now.timestamp());
        }
        (dir, store)
    }

    /// Counts made from the feeds' counters or the flags (and the articles with tags of their
    /// own) are what a pass over every article makes, whatever is read, starred, tagged by hand
    /// or by feed.
    #[test]
    fn counts_from_the_counters_equal_a_pass_over_the_articles() {
        let (_dir, store) = store();
        let now = chrono::Utc::now().timestamp();
        let ids: Vec<ArticleId> =
            store.list_entries(&Default::default()).unwrap().iter().map(|e| e.id).collect();
        store.mark(&ids[..13], Mark::Read).unwrap();
        store.mark(&ids[30..33], Mark::Read).unwrap();
        store.mark(&ids[2..6], Mark::Star).unwrap();
        store.mark(&ids[36..38], Mark::Star).unwrap();
        // Own tags: one the other feed has, one no feed has; a tag taken away again.
        store.tag_articles(&[ids[1], ids[2], ids[25]], &["t1".into()], &[]).unwrap();
        store.tag_articles(&[ids[3], ids[26], ids[27]], &["later".into()], &[]).unwrap();
        store.tag_articles(&[ids[27]], &[], &["later".into()]).unwrap();
        let feeds = store.feeds().unwrap();
        let (a, b) = (feeds[0].id.0, feeds[1].id.0);
        let exprs = [
            "unread".to_owned(),
            "not unread".to_owned(),
            "tag:t1".to_owned(),
            "tag:later or tag:t0".to_owned(),
            "unread and not tag:t1".to_owned(),
            format!("feed:{a} or (feed:{b} and not unread)"),
            "feed:\"feed 1\" and tag:later".to_owned(),
            "not (tag:t1 or tag:later)".to_owned(),
            "unread and not unread".to_owned(),
            // From the packs (their flags).
            "starred".to_owned(),
            "starred or tag:later".to_owned(),
            "not starred and unread and tag:t1".to_owned(),
        ];
        let queries: Vec<Query> = exprs.iter().map(|e| Query::parse(e).unwrap()).collect();
        assert!(queries.iter().all(|q| needs_no_article(&q.expr)));
        assert!(!needs_no_article(&Query::parse("starred or title:rust").unwrap().expr));
        assert!(!needs_no_article(&Query::parse("unread and age<2d").unwrap().expr));
        let from_counters = count_without_articles(&store, &queries, now).unwrap();
        let passed = count_matches_by_feed(&store, &queries, now).unwrap();
        for ((expr, counted), passed) in exprs.iter().zip(&from_counters).zip(&passed) {
            assert_eq!(counted, passed, "{expr}");
        }
        let total = |i: usize| passed[i].values().map(|c| c.total).sum::<u64>();
        assert_eq!((total(0), total(1), total(8), total(9)), (24, 16, 0, 6), "the store is as meant");
        assert!(total(2) > 20 && total(3) > 20, "own tags count beside the feed's");
        // Through the cache: the same sums, and no pass over the articles for these.
        let cache = CountCache::default();
        let sums: Vec<Result<Counts, String>> = passed
            .iter()
            .map(|by_feed| {
                Ok(by_feed.values().fold(Counts::default(), |s, c| Counts {
                    unread: s.unread + c.unread,
                    total: s.total + c.total,
                }))
            })
            .collect();
        assert_eq!(cache.counts(&store, &exprs, now), sums);
        assert_eq!(cache.passes(), 0);
    }

    #[test]
    fn counts_kept_across_marks_equal_counts_made_again() {
        let (_dir, store) = store();
        let now = chrono::Utc::now().timestamp();
        let exprs: Vec<String> = [
            "unread",
            "starred",
            "title:rust and unread",
            "tag:t1 or starred",
            "not read and age<5d",
            "title:",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let cache = CountCache::default();
        let first = cache.counts(&store, &exprs, now);
        assert_eq!(first[0], Ok(Counts { unread: 40, total: 40 }));
        assert!(first[5].as_ref().is_err_and(|e| e.starts_with("error at column")));
        let ids: Vec<ArticleId> =
            store.list_entries(&Default::default()).unwrap().iter().map(|e| e.id).collect();
        // A run of marks, each applied to the kept counts: always what a fresh pass says.
        let mut rng = 7u64;
        for step in 0..60 {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mark = [Mark::Read, Mark::Unread, Mark::Star, Mark::Unstar][(rng >> 33) as usize % 4];
            let picked: Vec<ArticleId> =
                ids.iter().copied().filter(|id| (id.0.wrapping_mul(rng >> 20)) % 5 == 0).collect();
            let changed = store.mark(&picked, mark).unwrap();
            cache.marked(&store, &changed, mark, now);
            let kept = cache.counts(&store, &exprs, now);
            let fresh = CountCache::default().counts(&store, &exprs, now);
            assert_eq!(kept, fresh, "after step {step}: {mark:?} of {} articles", changed.len());
        }
        // A feed refreshed (new articles, one of them matching, older ones dropped by
        // retention): its counts alone are made again.
        let feed = store.feeds().unwrap()[1].id;
        let articles = [200u8, 201, 202]
            .iter()
            .map(|&k| ParsedArticle {
                key: ArticleKey([k; 16]),
                title: format!("rust new {k}"),
                date: Some(chrono::Utc::now()),
                ..Default::default()
            })
            .collect();
        let keep_ten = StoreSettings { max_articles_per_feed: 10, ..Default::default() };
        store_articles_with(&store, feed, "Feed 1, renamed", articles, &keep_ten, now);
        cache.feed_written(feed);
        let kept = cache.counts(&store, &exprs, now);
        assert_eq!(kept, CountCache::default().counts(&store, &exprs, now));
        assert_ne!(kept, first, "the refresh changed the counts");
        // Anything else drops them: made again on the next request.
        cache.clear();
        assert_eq!(cache.counts(&store, &exprs, now), CountCache::default().counts(&store, &exprs, now));
    }

    /// Marks written while counts are being made (a pass, a feed's recount) are counted once:
    /// never by the pass that read their new flags and again by the change applied after it.
    #[test]
    fn marks_written_while_counts_are_made_are_counted_once() {
        let dir = tempfile::tempdir().unwrap();
        let settings = StoreSettings::default();
        let store = Store::open(dir.path(), &settings).unwrap();
        let now = chrono::Utc::now();
        for f in 0..3u8 {
            let (feed, _) = store
                .add_feed(NewFeed { url: format!("https://example.org/{f}"), ..Default::default() })
                .unwrap();
            let articles = (0..400u16)
                .map(|i| {
                    let mut key = [f; 16];
                    key[..2].copy_from_slice(&i.to_be_bytes());
                    ParsedArticle {
                        key: ArticleKey(key),
                        title: format!("rust {i}"),
                        date: Some(now),
                        ..Default::default()
                    }
                })
                .collect();
            store_articles(&store, feed, &format!("Feed {f}"), articles, now.timestamp());
        }
        let now = now.timestamp();
        let exprs: Vec<String> =
            ["title:rust", "unread and title:rust"].iter().map(|s| (*s).to_owned()).collect();
        let ids: Vec<ArticleId> =
            store.list_entries(&Default::default()).unwrap().iter().map(|e| e.id).collect();
        let cache = CountCache::default();
        let _ = cache.counts(&store, &exprs, now);
        let marking = std::sync::atomic::AtomicBool::new(true);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for (step, chunk) in ids.chunks(7).enumerate() {
                    let mark = if step % 3 == 2 { Mark::Unread } else { Mark::Read };
                    cache.marking(|| {
                        let changed = store.mark(chunk, mark).unwrap();
                        cache.marked(&store, &changed, mark, now);
                    });
                }
                marking.store(false, std::sync::atomic::Ordering::Relaxed);
            });
            // Passes and recounts made again and again while the marks go on.
            let feed = store.feeds().unwrap()[1].id;
            while marking.load(std::sync::atomic::Ordering::Relaxed) {
                cache.clear();
                let _ = cache.counts(&store, &exprs, now);
                cache.feed_written(feed);
                let _ = cache.counts(&store, &exprs, now);
            }
        });
        let fresh = CountCache::default().counts(&store, &exprs, now);
        assert_eq!(cache.counts(&store, &exprs, now), fresh);
        assert!(matches!(&fresh[1], Ok(c) if c.unread > 0 && c.unread < 1200), "{fresh:?}");
    }

    #[test]
    fn settling_makes_again_the_counts_a_write_dropped_so_the_holder_can_keep_them() {
        let (_dir, store) = store();
        let now = chrono::Utc::now().timestamp();
        let exprs: Vec<String> = ["title:rust", "unread"].iter().map(|s| (*s).to_owned()).collect();
        // A holder nobody asked for counts (a cron refresh with no query feeds) makes none.
        let idle = CountCache::default();
        idle.settle(&store, now);
        assert_eq!((idle.passes(), idle.to_keep(&store, now)), (0, None));

        let cache = CountCache::default();
        let first = cache.counts(&store, &exprs, now);
        assert_eq!(cache.passes(), 1, "`unread` comes from the counters, `title:rust` from a pass");
        // A sync wrote anything: dropped, then made again when it ends.
        cache.clear();
        cache.settle(&store, now);
        assert_eq!(cache.passes(), 2);
        cache.settle(&store, now);
        assert_eq!(cache.passes(), 2, "settled: nothing to make");
        let kept = cache.to_keep(&store, now).unwrap();

        // The next holder never asks (a cron `tidings sync`): what it restored is wanted too.
        let next = CountCache::default();
        next.restore(&kept);
        next.clear();
        next.settle(&store, now);
        assert_eq!(next.passes(), 1);
        assert_eq!(next.counts(&store, &exprs, now), first);
        assert_eq!(next.passes(), 1);
        assert!(next.to_keep(&store, now).is_some());
    }

    #[test]
    fn counts_kept_for_the_next_process_are_brought_up_to_date_first() {
        let (_dir, store) = store();
        let now = chrono::Utc::now().timestamp();
        let exprs: Vec<String> = ["unread", "title:rust", "age<5d"].iter().map(|s| (*s).to_owned()).collect();
        let cache = CountCache::default();
        assert_eq!(cache.to_keep(&store, now), None, "nothing counted, nothing kept");
        let _ = cache.counts(&store, &exprs, now);
        // A feed refreshed since the counts were made: counted again before they are kept.
        let feed = store.feeds().unwrap()[0].id;
        let rust = ParsedArticle {
            key: ArticleKey([99; 16]),
            title: "rust again".into(),
            date: Some(chrono::Utc::now()),
            ..Default::default()
        };
        store_articles(&store, feed, "Feed 0", vec![rust], now);
        cache.feed_written(feed);
        let kept = cache.to_keep(&store, now).unwrap();

        let next = CountCache::default();
        next.restore(&kept);
        let fresh = CountCache::default().counts(&store, &exprs, now);
        assert_eq!(next.counts(&store, &exprs, now), fresh);
        assert_eq!(next.passes(), 0, "all three were kept");
        // A minute on, the time-dependent one is counted again; the others are still kept.
        let later = CountCache::default();
        later.restore(&kept);
        let _ = later.counts(&store, &exprs, now + TIMED_FOR_SECS);
        assert_eq!(later.passes(), 1);
        assert_eq!(later.counts(&store, &exprs[..2], now + TIMED_FOR_SECS), fresh[..2]);
        // Something that does not decode is ignored.
        let broken = CountCache::default();
        broken.restore(b"{not json");
        assert_eq!(broken.counts(&store, &exprs, now), fresh);
        assert_eq!(broken.passes(), 1);
    }
}

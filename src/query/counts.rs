//! Query feeds' counts, kept between requests by the process that holds the store: the
//! reader asks for them after every mark, and a pass over 100,000 articles is too slow to
//! make each time. A mark re-tests only the articles it changed, once with their flags before
//! and once after; any other write (a refresh, a feed edited, a sync) drops the counts, and
//! the next request makes them again in one pass for all. Counts of expressions that test
//! time (`age<7d`) are made again once a minute.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::eval::{count_matches, Candidate};
use super::{Expr, Query, Test};
use crate::model::{ArticleId, FeedId};
use crate::store::{Counts, FeedRecord, ListEntry, Mark, Store, StoreError};

/// How long counts of a time-dependent expression stay good, in seconds.
const TIMED_FOR_SECS: i64 = 60;

/// A mark of more articles than this drops the counts instead (one pass is cheaper).
const MAX_INCREMENTAL: usize = 5_000;

struct Cached {
    query: Query,
    counts: Counts,
    made_at: i64,
    timed: bool,
}

#[derive(Default)]
pub struct CountCache {
    cached: Mutex<HashMap<String, Cached>>,
}

impl CountCache {
    /// Each expression's counts, or its parse error; those not kept are made in one pass.
    pub fn counts(&self, store: &Store, exprs: &[String], now: i64) -> Vec<Result<Counts, String>> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        cached.retain(|_, c| !(c.timed && now - c.made_at >= TIMED_FOR_SECS));
        let mut missing: Vec<(String, Query)> = Vec::new();
        let mut out = Vec::with_capacity(exprs.len());
        for expr in exprs {
            match cached.get(expr) {
                Some(c) => out.push(Ok(c.counts)),
                None => match Query::parse(expr) {
                    Ok(q) => {
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
        let queries: Vec<Query> = missing.iter().map(|(_, q)| q.clone()).collect();
        let made = count_matches(store, &queries, now);
        for (i, (expr, query)) in missing.into_iter().enumerate() {
            let result = made.as_ref().map(|counts| counts[i]).map_err(ToString::to_string);
            if let Ok(counts) = result {
                let timed = tests_time(&query.expr);
                cached.insert(expr.clone(), Cached { query, counts, made_at: now, timed });
            }
            for (slot, asked) in out.iter_mut().zip(exprs) {
                if *asked == expr && matches!(slot, Err(e) if e.is_empty()) {
                    *slot = result.clone();
                }
            }
        }
        out
    }

    /// `changed` had `mark` applied (each one's flag really changed): the counts follow.
    pub fn marked(&self, store: &Store, changed: &[ArticleId], mark: Mark, now: i64) {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.is_empty() || changed.is_empty() {
            return;
        }
        if changed.len() > MAX_INCREMENTAL {
            cached.clear();
            return;
        }
        if let Err(e) = apply_marks(store, &mut cached, changed, mark, now) {
            tracing::warn!(target: "tidings", "query feed counts dropped: {e}");
            cached.clear();
        }
    }

    /// Something other than a mark changed: every count is made again when next asked for.
    pub fn clear(&self) {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
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
            if matched_before {
                c.counts.total = c.counts.total.saturating_sub(1);
                c.counts.unread = c.counts.unread.saturating_sub(u64::from(!before.read));
            }
            if matched_after {
                c.counts.total += 1;
                c.counts.unread += u64::from(!after.read);
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
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().any(tests_time),
        Expr::Not(e) => tests_time(e),
        Expr::Test(t) => matches!(t, Test::Age(..)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, PreparedArticle, StoreSettings};

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
                    PreparedArticle::new(ParsedArticle {
                        key: ArticleKey([f * 32 + i; 16]),
                        guid: None,
                        title: format!("{lang} {i}"),
                        link: None,
                        author: None,
                        date: Some(now - chrono::Duration::days(i64::from(i))),
                        updated: None,
                        content_html: format!("<p>{lang}</p>"),
                        summary_html: None,
                        images: vec![],
                        links: vec![],
                        enclosures: vec![],
                    })
                })
                .collect();
            let update = FeedUpdate {
                feed_title: format!("Feed {f}"),
                site_link: None,
                etag: None,
                last_modified: None,
                moved_to: None,
                articles,
            };
            store
                .apply_fetch(
                    feed,
                    FetchResult::Updated(update),
                    FetchRecord::default(),
                    &settings,
                    now.timestamp(),
                )
                .unwrap();
        }
        (dir, store)
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
        // Anything else drops them: made again on the next request.
        cache.clear();
        assert_eq!(cache.counts(&store, &exprs, now), CountCache::default().counts(&store, &exprs, now));
    }
}

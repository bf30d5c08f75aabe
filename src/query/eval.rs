//! Running a [`Query`] against the store: flags and feed first (from the listing and the
//! feeds), then the article's own tags and metadata, and its body only when a test needs the
//! content.
//!
//! Which articles are read at all is planned from the expression: those of its dates
//! ([`Expr::dates`]) or of the feeds it names ([`feeds_plan`]) when they are few (see
//! [`KEY_READ_COST`]), read by key; else every article as the packs hold it (`super::packs`:
//! metadata folded and flags, a few hundred values), in parts side by side ([`side_by_side`]).
//! A body is read only when a test still needs it and the search index's trigram bits
//! ([`BodyFilter`]) say it may hold the text; a short list that reads bodies is read newest
//! first until it is full, and while the index is not built every body is read, by several
//! threads.

use std::collections::{HashMap, HashSet};

use super::packs::{self, Packed};
use super::{Cmp, Expr, HasWhat, Query, Test, TextField};
use crate::model::{ArticleId, FeedId};
use crate::search::grams::BodyFilter;
use crate::store::{ArticleMeta, ArticleQuery, DateRange, FeedRecord, ListEntry, Store, StoreError};

/// The articles of `q` that `query` matches, newest first; `q.limit` counts matches.
pub fn matching_entries(
    store: &Store,
    q: &ArticleQuery,
    query: &Query,
    now: i64,
) -> Result<Vec<ListEntry>, StoreError> {
    let feeds = feeds_by_id(store)?;
    let limit = q.limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let dates = query.expr.dates(now);
    let narrowed = match q.feed {
        Some(_) => None,
        None => narrowed(store, &feeds, &query.expr, dates)?,
    };
    let entries: Vec<ListEntry> = match narrowed {
        Some(candidates) => candidates
            .into_iter()
            .map(|(_, entry)| entry)
            .filter(|e| (!q.unread_only || !e.read) && (!q.starred_only || e.starred))
            .collect(),
        // With bodies to read, a list wanted whole is one pass too (the trigram bits leave
        // few bodies to read); a short one is read newest first until it is full.
        None if q.feed.is_none() && (!query.reads_bodies() || q.limit.is_none()) => {
            return matching_by_scan(store, q, query, &feeds, dates, now);
        }
        None => store.list_entries_dated(&ArticleQuery { limit: None, ..q.clone() }, dates)?,
    };
    // Read once the articles to test are known (see `BodyFilter::of`).
    let bodies = body_filter(store, std::slice::from_ref(query))?;
    if !query.reads_bodies() {
        for entry in entries {
            if out.len() >= limit {
                break;
            }
            if Candidate::new(store, &feeds, entry, now).matches(&query.expr)? {
                out.push(entry);
            }
        }
        return Ok(out);
    }
    let threads = threads_for(std::slice::from_ref(query));
    // Tested a block at a time, in order, so that a limit stops the reading soon after it is
    // reached: blocks grow from a few per thread, for a short list wanted first. Without a
    // limit, the whole list is one block.
    let mut block = if limit == usize::MAX { entries.len() } else { 16 * threads };
    let mut rest = &entries[..];
    while !rest.is_empty() && out.len() < limit {
        let (now_tested, later) = rest.split_at(block.min(rest.len()));
        let tested = tested_in_id_order(now_tested, threads, |entry| {
            Candidate::new(store, &feeds, *entry, now).with_bodies(bodies.as_ref()).matches(&query.expr)
        });
        for (&entry, matched) in now_tested.iter().zip(tested) {
            if out.len() >= limit {
                break;
            }
            if matched? {
                out.push(entry);
            }
        }
        rest = later;
        block = (block * 2).min(BLOCK_MAX);
    }
    Ok(out)
}

/// [`matching_entries`] of every feed by one pass over the articles in the order they are
/// stored, sorted by date at the end: reading each article's metadata and flags by key, in
/// date order, costs about four times as much an article.
pub(super) fn matching_by_scan(
    store: &Store,
    q: &ArticleQuery,
    query: &Query,
    feeds: &HashMap<FeedId, FeedRecord>,
    dates: DateRange,
    now: i64,
) -> Result<Vec<ListEntry>, StoreError> {
    let tagged = own_tagged(store, std::slice::from_ref(query))?;
    let queries = std::slice::from_ref(query);
    let parts = side_by_side(
        store,
        || body_filter(store, queries),
        |bodies, range| {
            let mut found: Vec<(i64, ListEntry)> = Vec::new();
            packs::for_each(store, range, |packed| {
                let flags = packed.flags();
                if !dates.contains(packed.date)
                    || (q.unread_only && flags.read)
                    || (q.starred_only && !flags.starred)
                {
                    return Ok(());
                }
                let entry = packed.entry();
                let mut c = packed_candidate(store, feeds, packed, &tagged, now).with_bodies(bodies.as_ref());
                if c.matches(&query.expr)? {
                    found.push((packed.date, entry));
                }
                Ok(())
            })?;
            Ok(found)
        },
    )?;
    let mut found: Vec<(i64, ListEntry)> = parts.into_iter().flatten().collect();
    // The date index's order: newest first, the later id first among equal dates.
    found.sort_unstable_by(|(a_date, a), (b_date, b)| (b_date, b.id).cmp(&(a_date, a.id)));
    found.truncate(q.limit.unwrap_or(usize::MAX));
    Ok(found.into_iter().map(|(_, entry)| entry).collect())
}

/// `each` of the buckets of the packs (caught up first), cut into parts, one a core (at most
/// four), run side by side; the parts' answers in id order. What `prepare` makes once the
/// packs are caught up is lent to every part. A pack found unreadable has the packs built anew
/// and the pass run again.
fn side_by_side<P: Sync, R: Send>(
    store: &Store,
    prepare: impl Fn() -> Result<P, StoreError>,
    each: impl Fn(&P, std::ops::Range<u64>) -> Result<R, StoreError> + Sync,
) -> Result<Vec<R>, StoreError> {
    with_packs(store, || {
        let prepared = &prepare()?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(4);
        let mut parts = packs::parts(store, cores)?;
        let Some(first) = (!parts.is_empty()).then(|| parts.remove(0)) else { return Ok(Vec::new()) };
        std::thread::scope(|scope| {
            let each = &each;
            let others: Vec<_> =
                parts.into_iter().map(|part| scope.spawn(move || each(prepared, part))).collect();
            let mut done = vec![each(prepared, first)];
            for other in others {
                // A test that panicked panics here, as it would have on this thread.
                done.push(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            done.into_iter().collect()
        })
    })
}

/// `run` (which reads the packs) once they are caught up. A pack found unreadable has the
/// packs built anew and `run` run again.
fn with_packs<R>(store: &Store, run: impl Fn() -> Result<R, StoreError>) -> Result<R, StoreError> {
    // A pack that cannot be read stops its catch-up (which rewrites it) or the pass.
    match packs::catch_up(store).and_then(|()| run()) {
        Err(e) if packs::is_unreadable(&e) => {
            tracing::warn!(target: "tidings", "{e}; building the packs anew");
            packs::start_over(store)?;
            packs::catch_up(store)?;
            run()
        }
        done => done,
    }
}

/// The articles with tags of their own, when a query tests tags (usually few: given by
/// filters or by hand); `None` when none does.
fn own_tagged(store: &Store, queries: &[Query]) -> Result<Option<HashSet<ArticleId>>, StoreError> {
    if !queries.iter().any(|q| q.expr.any_test(&|t| matches!(t, Test::Tag(_)))) {
        return Ok(None);
    }
    Ok(Some(store.articles_with_own_tags().collect::<Result<_, _>>()?))
}

/// Which articles' bodies may hold the words `queries` look for in bodies (see
/// [`BodyFilter`]): `None` when no query reads bodies or the search index is not built yet
/// (then every body is read). To be read once the articles to test are known.
fn body_filter(store: &Store, queries: &[Query]) -> Result<Option<BodyFilter>, StoreError> {
    let words = std::cell::RefCell::new(Vec::new());
    for query in queries {
        query.expr.any_test(&|t| {
            if let Test::Text(TextField::Content | TextField::TitleOrContent, word) = t {
                words.borrow_mut().push(word.clone());
            }
            false
        });
    }
    let words = words.into_inner();
    if words.is_empty() {
        return Ok(None);
    }
    BodyFilter::of(store, words.iter().map(String::as_str))
}

/// A candidate of a pass: the article as its pack holds it, with its own tags known to be
/// none unless `tagged` has it.
fn packed_candidate<'a>(
    store: &'a Store,
    feeds: &'a HashMap<FeedId, FeedRecord>,
    packed: Packed<'a>,
    tagged: &Option<HashSet<ArticleId>>,
    now: i64,
) -> Candidate<'a> {
    let mut c = Candidate::new(store, feeds, packed.entry(), now);
    c.packed = Some(packed);
    if tagged.as_ref().is_none_or(|tagged| !tagged.contains(&packed.id)) {
        c.article_tags = Some(Vec::new());
    }
    c
}

/// The articles an expression can match, newest first with their dates, when its dates or its
/// feeds narrow them to a [`KEY_READ_COST`]th of the store or less: `age<7d` over years of
/// articles, `tag:tech` over 300 feeds. `None` when a pass over the packs is cheaper.
fn narrowed(
    store: &Store,
    feeds: &HashMap<FeedId, FeedRecord>,
    e: &Expr,
    dates: DateRange,
) -> Result<Option<Vec<(i64, ListEntry)>>, StoreError> {
    if few_dated(store, dates)? {
        return Ok(Some(store.dated_entries(&ArticleQuery::default(), dates)?));
    }
    let plan = feeds_plan(e, feeds);
    let Some(named) = plan.feeds else { return Ok(None) };
    let own_tagged: Vec<ArticleId> =
        if plan.own_tags { store.articles_with_own_tags().collect::<Result<_, _>>()? } else { Vec::new() };
    let mut size = own_tagged.len() as u64;
    for &feed in &named {
        size += store.counts(feed)?.total;
    }
    if size > store.article_total()? / KEY_READ_COST {
        return Ok(None);
    }
    let mut out = Vec::new();
    for &feed in &named {
        out.extend(store.dated_entries(&ArticleQuery { feed: Some(feed), ..Default::default() }, dates)?);
    }
    // A `tag:` test also matches articles of other feeds that have the tag of their own.
    for id in own_tagged {
        let Some(article) = store.article(id)? else { continue };
        let feed = article.meta.feed;
        if named.contains(&feed) || store.is_hidden(feed) || !dates.contains(article.meta.date) {
            continue;
        }
        let flags = article.flags;
        out.push((article.meta.date, ListEntry { id, feed, read: flags.read, starred: flags.starred }));
    }
    // The date index's order: newest first, the later id first among equal dates.
    out.sort_unstable_by(|(a_date, a), (b_date, b)| (b_date, b.id).cmp(&(a_date, a.id)));
    Ok(Some(out))
}

/// The feeds whose articles an expression can match when its `feed:` and `tag:` tests name
/// them (`feeds` is `None` when any feed's can), and whether articles with tags of their own
/// can match in any feed (a `tag:` test matches those too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FeedsPlan {
    pub(super) feeds: Option<std::collections::HashSet<FeedId>>,
    pub(super) own_tags: bool,
}

pub(super) fn feeds_plan(e: &Expr, feeds: &HashMap<FeedId, FeedRecord>) -> FeedsPlan {
    let any = || FeedsPlan { feeds: None, own_tags: false };
    let those = |pick: &dyn Fn(&FeedRecord) -> bool, own_tags: bool| FeedsPlan {
        feeds: Some(feeds.values().filter(|f| pick(f)).map(|f| f.id).collect()),
        own_tags,
    };
    match e {
        // What both can match: the feeds both name, and the own-tagged articles either allows
        // (an article matched through its own tag may be in a feed the other names).
        Expr::And(v) => v.iter().map(|e| feeds_plan(e, feeds)).fold(any(), |a, b| match (a.feeds, b.feeds) {
            (None, b_feeds) => FeedsPlan { feeds: b_feeds, own_tags: b.own_tags },
            (a_feeds, None) => FeedsPlan { feeds: a_feeds, own_tags: a.own_tags },
            (Some(a_feeds), Some(b_feeds)) => FeedsPlan {
                feeds: Some(a_feeds.intersection(&b_feeds).copied().collect()),
                own_tags: a.own_tags || b.own_tags,
            },
        }),
        Expr::Or(v) => {
            let mut all = FeedsPlan { feeds: Some(Default::default()), own_tags: false };
            for part in v.iter().map(|e| feeds_plan(e, feeds)) {
                let (Some(mut named), Some(part_feeds)) = (all.feeds.take(), part.feeds) else {
                    return any();
                };
                named.extend(part_feeds);
                all = FeedsPlan { feeds: Some(named), own_tags: all.own_tags || part.own_tags };
            }
            all
        }
        Expr::Not(_) => any(),
        Expr::Test(Test::Feed { id: Some(id), .. }) => those(&|f| f.id.0 == *id, false),
        Expr::Test(Test::Feed { id: None, title }) => {
            those(&|f| super::fold(f.display_title()).contains(title.as_str()), false)
        }
        Expr::Test(Test::Tag(tag)) => those(&|f| f.tags.iter().any(|t| super::fold(t) == *tag), true),
        Expr::Test(_) => any(),
    }
}

/// What reading an article through an index and by key costs (a step of the index's walk,
/// its records read: 1-3 us), in articles of a pass over the packs (60-100 ns each at 100,000
/// articles, two cores).
const KEY_READ_COST: u64 = 32;

/// Whether the articles inside `dates` are few enough to read by key (a [`KEY_READ_COST`]th
/// of the store at most): `age<7d` over years of articles.
fn few_dated(store: &Store, dates: DateRange) -> Result<bool, StoreError> {
    if dates.is_all() {
        return Ok(false);
    }
    let total = store.article_total()? / KEY_READ_COST;
    Ok(!store.dated_more_than(dates, usize::try_from(total).unwrap_or(usize::MAX))?)
}

/// Which of `ids` (a list the reader shows) `query` matches, in their order.
pub fn matching_ids(
    store: &Store,
    ids: &[ArticleId],
    query: &Query,
    now: i64,
) -> Result<Vec<ArticleId>, StoreError> {
    let feeds = feeds_by_id(store)?;
    // Read and tested in id order (see `tested_in_id_order`), answered in the order asked.
    let mut by_id = ids.to_vec();
    by_id.sort_unstable();
    by_id.dedup();
    let articles = store.articles_by_id(&by_id)?;
    let tested = in_parallel(&articles, threads_for(std::slice::from_ref(query)), |article| {
        let entry = ListEntry {
            id: article.meta.id,
            feed: article.meta.feed,
            read: article.flags.read,
            starred: article.flags.starred,
        };
        let mut c = Candidate::new(store, &feeds, entry, now);
        c.meta = Some(Some(article.meta.clone()));
        c.article_tags = Some(article.tags.iter().map(|t| super::fold(t)).collect());
        c.matches(&query.expr)
    });
    let mut matched = std::collections::HashSet::new();
    for (article, hit) in articles.iter().zip(tested) {
        if hit? {
            matched.insert(article.meta.id);
        }
    }
    Ok(ids.iter().copied().filter(|id| matched.contains(id)).collect())
}

/// Unread and total counts of the articles `query` matches, for each query, in one pass over
/// every article (a query feed's counts).
pub fn count_matches(
    store: &Store,
    queries: &[Query],
    now: i64,
) -> Result<Vec<crate::store::Counts>, StoreError> {
    Ok(count_matches_by_feed(store, queries, now)?
        .into_iter()
        .map(|by_feed| {
            by_feed.values().fold(crate::store::Counts::default(), |sum, c| crate::store::Counts {
                unread: sum.unread + c.unread,
                total: sum.total + c.total,
            })
        })
        .collect())
}

/// [`count_matches`] kept per feed (feeds with no match left out), so that a refreshed feed's
/// counts can be made again alone.
pub fn count_matches_by_feed(
    store: &Store,
    queries: &[Query],
    now: i64,
) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError> {
    let feeds = feeds_by_id(store)?;
    let mut counts = vec![HashMap::<FeedId, crate::store::Counts>::new(); queries.len()];
    // Those whose dates hold few articles read them by key, each alone; the others share one
    // pass over every article.
    let (mut passed, mut passed_at) = (Vec::new(), Vec::new());
    for (at, (query, by_feed)) in queries.iter().zip(counts.iter_mut()).enumerate() {
        let Some(candidates) = narrowed(store, &feeds, &query.expr, query.expr.dates(now))? else {
            passed.push(query.clone());
            passed_at.push(at);
            continue;
        };
        let bodies = body_filter(store, std::slice::from_ref(query))?;
        for (_, entry) in candidates {
            if Candidate::new(store, &feeds, entry, now).with_bodies(bodies.as_ref()).matches(&query.expr)? {
                add_to(by_feed, entry);
            }
        }
    }
    for (at, by_feed) in passed_at.into_iter().zip(count_in_one_pass(store, &feeds, &passed, now)?) {
        counts[at] = by_feed;
    }
    Ok(counts)
}

/// Counts one more matched article.
fn add_to(by_feed: &mut HashMap<FeedId, crate::store::Counts>, entry: ListEntry) {
    let count = by_feed.entry(entry.feed).or_default();
    count.total += 1;
    count.unread += u64::from(!entry.read);
}

/// [`count_matches_by_feed`] of `queries` in one pass over every article.
fn count_in_one_pass(
    store: &Store,
    feeds: &HashMap<FeedId, FeedRecord>,
    queries: &[Query],
    now: i64,
) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError> {
    let mut counts = vec![HashMap::<FeedId, crate::store::Counts>::new(); queries.len()];
    if queries.is_empty() {
        return Ok(counts);
    }
    let threads = threads_for(queries);
    // With the search index built, its trigram bits leave few bodies to read: the pass reads
    // the packs side by side as when no body is read.
    if threads == 1 || !crate::search::needs_build(store)? {
        let tagged = own_tagged(store, queries)?;
        let parts = side_by_side(
            store,
            || body_filter(store, queries),
            |bodies, range| {
                let mut counts = vec![HashMap::<FeedId, crate::store::Counts>::new(); queries.len()];
                packs::for_each(store, range, |packed| {
                    let mut c =
                        packed_candidate(store, feeds, packed, &tagged, now).with_bodies(bodies.as_ref());
                    for (query, by_feed) in queries.iter().zip(counts.iter_mut()) {
                        if c.matches(&query.expr)? {
                            add_to(by_feed, c.entry);
                        }
                    }
                    Ok(())
                })?;
                Ok(counts)
            },
        )?;
        for part in parts {
            for (by_feed, part_by_feed) in counts.iter_mut().zip(part) {
                for (feed, c) in part_by_feed {
                    let count = by_feed.entry(feed).or_default();
                    count.total += c.total;
                    count.unread += c.unread;
                }
            }
        }
    } else {
        // Bodies are read on every core, a block of packs' articles at a time; what else is
        // tested comes with the packs. (Only until the search index is built: the reader
        // builds it as it opens, else the first search.)
        let tagged = own_tagged(store, queries)?;
        let hidden = store.hidden_feeds();
        counts = with_packs(store, || {
            let mut counts = vec![HashMap::<FeedId, crate::store::Counts>::new(); queries.len()];
            let bodies = body_filter(store, queries)?;
            let mut read = packs::read(store, 0..u64::MAX);
            loop {
                let block =
                    read.by_ref().take(BLOCK_MAX >> packs::PACK_BITS).collect::<Result<Vec<_>, _>>()?;
                if block.is_empty() {
                    return Ok(counts);
                }
                let mut articles = Vec::with_capacity(BLOCK_MAX);
                for (bucket, pack) in &block {
                    for entry in packs::Entries::of(pack, *bucket) {
                        let (packed, _) = entry?;
                        if !hidden.contains(&packed.feed) {
                            articles.push(packed);
                        }
                    }
                }
                let tested = in_parallel(&articles, threads, |&packed| {
                    let mut c =
                        packed_candidate(store, feeds, packed, &tagged, now).with_bodies(bodies.as_ref());
                    queries.iter().map(|q| c.matches(&q.expr)).collect::<Result<Vec<bool>, _>>()
                });
                for (packed, matched) in articles.iter().zip(tested) {
                    let entry = packed.entry();
                    for (hit, by_feed) in matched?.into_iter().zip(counts.iter_mut()) {
                        if hit {
                            add_to(by_feed, entry);
                        }
                    }
                }
            }
        })?;
    }
    Ok(counts)
}

/// Whether the expression tests only what an article's flags, its feed and its own tags
/// answer: `unread`, `starred`, `feed:` and `tag:` (nothing of its text, date or metadata).
pub(crate) fn needs_no_article(e: &Expr) -> bool {
    !e.any_test(&|t| !matches!(t, Test::Unread | Test::Starred | Test::Feed { .. } | Test::Tag(_)))
}

pub(crate) fn tests_starred(e: &Expr) -> bool {
    e.any_test(&|t| matches!(t, Test::Starred))
}

/// [`count_matches_by_feed`] for queries that all [`needs_no_article`], without reading
/// articles: those that do not test `starred` from the feeds' counters
/// ([`count_by_feed_counters`]), the others from one pass over the packs (their flags).
pub(crate) fn count_without_articles(
    store: &Store,
    queries: &[Query],
    now: i64,
) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError> {
    let mut out = vec![HashMap::new(); queries.len()];
    let (starred, counted): (Vec<usize>, Vec<usize>) =
        (0..queries.len()).partition(|&i| tests_starred(&queries[i].expr));
    type Counting =
        fn(&Store, &[Query], i64) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError>;
    let ways: [(Vec<usize>, Counting); 2] = [(counted, count_by_feed_counters), (starred, count_by_packs)];
    for (at, count) in ways.iter().filter(|(at, _)| !at.is_empty()) {
        let picked: Vec<Query> = at.iter().map(|&i| queries[i].clone()).collect();
        for (&i, by_feed) in at.iter().zip(count(store, &picked, now)?) {
            out[i] = by_feed;
        }
    }
    Ok(out)
}

/// The feeds whose articles are counted: every feed but those being removed.
fn shown_feeds(store: &Store, feeds: &HashMap<FeedId, FeedRecord>) -> std::collections::HashSet<FeedId> {
    feeds.keys().copied().filter(|f| !store.is_hidden(*f)).collect()
}

/// Counts of queries that test `starred`: one pass over the packs, which hold every article's
/// flags beside its feed.
fn count_by_packs(
    store: &Store,
    queries: &[Query],
    now: i64,
) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError> {
    count_in_one_pass(store, &feeds_by_id(store)?, queries, now)
}

/// [`count_matches_by_feed`] for queries that [`needs_no_article`] and do not test `starred`, without a pass
/// over the articles: each feed's unread and read articles (from its counters) match or not
/// as a whole, since nothing else about them is tested; only articles with tags of their own
/// (given by a filter or by hand, usually few) are read and tested one by one.
fn count_by_feed_counters(
    store: &Store,
    queries: &[Query],
    now: i64,
) -> Result<Vec<HashMap<FeedId, crate::store::Counts>>, StoreError> {
    let feeds = feeds_by_id(store)?;
    // Signed while articles with own tags are taken out of their feed's share and tested alone.
    let mut counts = vec![HashMap::<FeedId, (i64, i64)>::new(); queries.len()];
    // What an article of `feed` with no tags of its own matches: the same for all of them.
    let as_counted = |feed: FeedId, read: bool, query: &Query| {
        let entry = ListEntry { id: ArticleId(0), feed, read, starred: false };
        let mut c = Candidate::new(store, &feeds, entry, now);
        c.article_tags = Some(Vec::new());
        c.matches(&query.expr)
    };
    let shown = shown_feeds(store, &feeds);
    for &feed in &shown {
        let counters = store.counts(feed)?;
        let (unread, read) = (counters.unread as i64, counters.total.saturating_sub(counters.unread) as i64);
        for (query, by_feed) in queries.iter().zip(counts.iter_mut()) {
            let slot = by_feed.entry(feed).or_default();
            if as_counted(feed, false, query)? {
                *slot = (slot.0 + unread, slot.1 + unread);
            }
            if as_counted(feed, true, query)? {
                slot.1 += read;
            }
        }
    }
    for id in store.articles_with_own_tags() {
        let id = id?;
        let Some((flags, feed)) = store.flags_and_feed_of(id)? else { continue };
        if !shown.contains(&feed) {
            continue;
        }
        let entry = ListEntry { id, feed, read: flags.read, starred: flags.starred };
        let mut c = Candidate::new(store, &feeds, entry, now);
        let unread = i64::from(!flags.read);
        for (query, by_feed) in queries.iter().zip(counts.iter_mut()) {
            let slot = by_feed.entry(feed).or_default();
            if as_counted(feed, flags.read, query)? {
                *slot = (slot.0 - unread, slot.1 - 1);
            }
            if c.matches(&query.expr)? {
                *slot = (slot.0 + unread, slot.1 + 1);
            }
        }
    }
    Ok(counts
        .into_iter()
        .map(|by_feed| {
            by_feed
                .into_iter()
                .filter(|(_, (_, total))| *total > 0)
                .map(|(feed, (unread, total))| {
                    (feed, crate::store::Counts { unread: unread.max(0) as u64, total: total as u64 })
                })
                .collect()
        })
        .collect())
}

/// The most articles tested in one go by [`in_parallel`].
const BLOCK_MAX: usize = 4096;

/// How many threads test articles for `queries`: one, unless a query reads bodies, which takes
/// ~20 us an article (inflating, flattening and folding it) against well under 1 us for the
/// other tests; then one per core, at most 8.
fn threads_for(queries: &[Query]) -> usize {
    if !queries.iter().any(Query::reads_bodies) {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(8)
}

/// `test` of each of `entries`, in their order, run in the order of their ids (by
/// [`in_parallel`]): metadata and bodies are stored by id, so tested in that order a list finds
/// the records it reads on pages of sled's cache (small: 8 MiB) that the last ones brought in;
/// in date order, a list of many feeds pulls a page in for nearly every article.
fn tested_in_id_order<R: Send>(
    entries: &[ListEntry],
    threads: usize,
    test: impl Fn(&ListEntry) -> R + Sync,
) -> Vec<R> {
    let mut by_id: Vec<(usize, ListEntry)> = entries.iter().copied().enumerate().collect();
    by_id.sort_unstable_by_key(|(_, e)| e.id);
    let tested = in_parallel(&by_id, threads, |(_, entry)| test(entry));
    let mut placed: Vec<Option<R>> = std::iter::repeat_with(|| None).take(entries.len()).collect();
    for ((at, _), result) in by_id.iter().zip(tested) {
        placed[*at] = Some(result);
    }
    placed.into_iter().flatten().collect()
}

/// `test` of each of `items`, in their order, made by `threads` threads that take the items a
/// few at a time (bodies differ in size); on this thread alone when `threads` is 1. Tests
/// change nothing, so the order they run in changes only how soon the answer comes.
pub(super) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    test: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    const STEP: usize = 16;
    if threads <= 1 || items.len() <= STEP {
        return items.iter().map(test).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(STEP, std::sync::atomic::Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = (start + STEP).min(items.len());
            done.push((start, items[start..end].iter().map(&test).collect::<Vec<R>>()));
        }
    };
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let helpers: Vec<_> =
            (1..threads.min(items.len().div_ceil(STEP))).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            // A test that panicked panics here, as it would have on this thread.
            done.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        done
    });
    done.sort_unstable_by_key(|(start, _)| *start);
    done.into_iter().flat_map(|(_, tested)| tested).collect()
}

fn feeds_by_id(store: &Store) -> Result<HashMap<FeedId, FeedRecord>, StoreError> {
    Ok(store.feeds()?.into_iter().map(|f| (f.id, f)).collect())
}

/// 0: known from the listing and the feeds; 1: needs a read of the article's metadata or
/// its own tags (`tag:` reads them only when the feed has not the tag); 2: its body.
fn cost(e: &Expr) -> u8 {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().map(cost).max().unwrap_or(0),
        Expr::Not(e) => cost(e),
        Expr::Test(t) => match t {
            Test::Unread | Test::Starred | Test::Feed { .. } => 0,
            Test::Text(TextField::Content | TextField::TitleOrContent, _) => 2,
            _ => 1,
        },
    }
}

/// Orders every `and` and `or` cheapest first: tests have no side effects, so the order
/// changes only how much is read before the answer is known.
pub(super) fn cheap_first(e: Expr) -> Expr {
    match e {
        Expr::And(v) => {
            let mut v: Vec<Expr> = v.into_iter().map(cheap_first).collect();
            v.sort_by_key(cost);
            Expr::And(v)
        }
        Expr::Or(v) => {
            let mut v: Vec<Expr> = v.into_iter().map(cheap_first).collect();
            v.sort_by_key(cost);
            Expr::Or(v)
        }
        Expr::Not(e) => Expr::Not(Box::new(cheap_first(*e))),
        t => t,
    }
}

/// One article being tested; what it costs to read is read once, when first needed.
pub(super) struct Candidate<'a> {
    store: &'a Store,
    feeds: &'a HashMap<FeedId, FeedRecord>,
    entry: ListEntry,
    now: i64,
    /// Its metadata, once read (or given, for an article not stored yet).
    pub(super) meta: Option<Option<ArticleMeta>>,
    /// Its own tags, folded, once read (or given, for an article not stored yet).
    pub(super) article_tags: Option<Vec<String>>,
    /// What a pass read of it: its texts folded, date and what it has (then `meta` is not read).
    packed: Option<Packed<'a>>,
    /// The body as folded plain text.
    content: Option<String>,
    title: Option<String>,
    /// Which bodies may hold a word: the others are not read.
    bodies: Option<&'a BodyFilter>,
}

impl<'a> Candidate<'a> {
    pub(super) fn new(
        store: &'a Store,
        feeds: &'a HashMap<FeedId, FeedRecord>,
        entry: ListEntry,
        now: i64,
    ) -> Self {
        Candidate {
            store,
            feeds,
            entry,
            now,
            meta: None,
            article_tags: None,
            packed: None,
            content: None,
            title: None,
            bodies: None,
        }
    }

    /// Its body is read for a word only if `bodies` says it may hold it.
    pub(super) fn with_bodies(mut self, bodies: Option<&'a BodyFilter>) -> Self {
        self.bodies = bodies;
        self
    }

    /// Whether its body may hold `word` (false: it cannot, unread).
    fn body_may_hold(&self, word: &str) -> bool {
        self.bodies.is_none_or(|b| b.may_hold(word, self.entry.id.0))
    }

    /// The body of an article not stored yet.
    /// `text` as [`crate::store::ArticleBody::text`] gives it.
    pub(super) fn set_content(&mut self, text: &str) {
        self.content = Some(super::fold(text));
    }

    pub(super) fn matches(&mut self, e: &Expr) -> Result<bool, StoreError> {
        Ok(match e {
            Expr::And(v) => {
                for e in v {
                    if !self.matches(e)? {
                        return Ok(false);
                    }
                }
                true
            }
            Expr::Or(v) => {
                for e in v {
                    if self.matches(e)? {
                        return Ok(true);
                    }
                }
                false
            }
            Expr::Not(e) => !self.matches(e)?,
            Expr::Test(t) => self.test(t)?,
        })
    }

    fn meta(&mut self) -> Result<Option<&ArticleMeta>, StoreError> {
        if self.meta.is_none() {
            let meta = self.store.article(self.entry.id)?.map(|a| a.meta);
            self.meta = Some(meta);
        }
        Ok(self.meta.as_ref().and_then(Option::as_ref))
    }

    fn has_own_tag(&mut self, tag: &str) -> Result<bool, StoreError> {
        if self.article_tags.is_none() {
            let tags = self.store.article_tags(self.entry.id)?;
            self.article_tags = Some(tags.iter().map(|t| super::fold(t)).collect());
        }
        Ok(self.article_tags.as_ref().is_some_and(|tags| tags.iter().any(|t| t == tag)))
    }

    /// `fold(&body.text())`, made by [`super::content`] without the copies.
    fn content(&mut self) -> Result<&str, StoreError> {
        if self.content.is_none() {
            let mut text = super::content::buffer();
            super::content::folded(self.store, self.entry.id, &mut text)?;
            self.content = Some(text);
        }
        Ok(self.content.as_deref().unwrap_or(""))
    }

    fn folded_title(&mut self) -> Result<&[u8], StoreError> {
        if let Some(packed) = self.packed.filter(Packed::has_texts) {
            return Ok(packed.title);
        }
        if self.title.is_none() {
            let t = self.meta()?.map(|m| super::fold(&m.title)).unwrap_or_default();
            self.title = Some(t);
        }
        Ok(self.title.as_deref().unwrap_or("").as_bytes())
    }

    /// Whether its author (`TextField::Author`) or link, folded, has `word`.
    fn field_has(&mut self, field: TextField, word: &str) -> Result<bool, StoreError> {
        if let Some(packed) = self.packed.filter(Packed::has_texts) {
            let text = if field == TextField::Author { packed.author } else { packed.link };
            return Ok(text.is_some_and(|t| contains(t, word)));
        }
        Ok(self
            .meta()?
            .and_then(|m| if field == TextField::Author { m.author.as_deref() } else { m.link.as_deref() })
            .is_some_and(|t| super::fold(t).contains(word)))
    }

    fn date(&mut self) -> Result<Option<i64>, StoreError> {
        if let Some(packed) = self.packed {
            return Ok(Some(packed.date));
        }
        Ok(self.meta()?.map(|m| m.date))
    }

    fn test(&mut self, t: &Test) -> Result<bool, StoreError> {
        let feed = self.feeds.get(&self.entry.feed);
        Ok(match t {
            Test::Unread => !self.entry.read,
            Test::Starred => self.entry.starred,
            Test::Feed { id: Some(id), .. } => *id == self.entry.feed.0,
            Test::Feed { id: None, title } => {
                feed.is_some_and(|f| super::fold(f.display_title()).contains(title.as_str()))
            }
            Test::Tag(tag) => {
                feed.is_some_and(|f| f.tags.iter().any(|t| super::fold(t) == *tag))
                    || self.has_own_tag(tag)?
            }
            Test::Text(field, word) => match field {
                TextField::Title => contains(self.folded_title()?, word),
                TextField::Content => self.body_may_hold(word) && contains(self.content()?.as_bytes(), word),
                TextField::TitleOrContent => {
                    contains(self.folded_title()?, word)
                        || (self.body_may_hold(word) && contains(self.content()?.as_bytes(), word))
                }
                TextField::Author | TextField::Link => self.field_has(*field, word)?,
            },
            Test::Date { from, until } => self
                .date()?
                .is_some_and(|date| from.is_none_or(|f| date >= f) && until.is_none_or(|u| date < u)),
            Test::Age(cmp, secs) => {
                let now = self.now;
                self.date()?.is_some_and(|date| {
                    let age = now - date;
                    match cmp {
                        Cmp::Less => age < *secs,
                        Cmp::LessEq => age <= *secs,
                        Cmp::Greater => age > *secs,
                        Cmp::GreaterEq => age >= *secs,
                    }
                })
            }
            Test::Has(what) if self.packed.is_some() => self.packed.is_some_and(|p| p.has(*what)),
            Test::Has(what) => self.meta()?.is_some_and(|m| match what {
                HasWhat::Images => m.image_count > 0,
                HasWhat::Enclosure => !m.enclosures.is_empty(),
                HasWhat::Link => m.link.as_deref().is_some_and(|l| !l.is_empty()),
                HasWhat::Author => m.author.as_deref().is_some_and(|a| !a.trim().is_empty()),
            }),
        })
    }
}

impl Drop for Candidate<'_> {
    fn drop(&mut self) {
        if let Some(text) = self.content.take() {
            super::content::give_back(text);
        }
    }
}

/// `text.contains(word)`, with memchr's vectorised search: a body is long, a word short.
fn contains(text: &[u8], word: &str) -> bool {
    memchr::memmem::find(text, word.as_bytes()).is_some()
}

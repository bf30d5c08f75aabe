//! The engine in the process that holds the store: answers every [`Request`] against sled,
//! runs refreshes (one at a time; a second one asked for while one runs joins it), and tells
//! every watcher what changed.
//!
//! Contract: a write is durable (flushed) before its reply is sent, so a client that got an
//! answer never loses that change to a crash of the holder.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tokio::sync::{broadcast, watch};

use super::protocol::{Change, Event, Progress, RefreshRequest, Reply, Request, Subscribe, Subscribed};
use crate::fetch::{FeedRequest, FetchSettings, Fetcher};
use crate::model::{ArticleId, FeedId};
use crate::refresh::{self, FeedReport, RefreshOptions, RefreshSummary};
use crate::store::{FeedRecord, Mark, NewFeed, Store, StoreError, StoreSettings};

/// Events kept for a watcher that reads slowly; one that falls further behind is told to
/// reload everything (`Change::Reconnected`).
pub(crate) const EVENT_BACKLOG: usize = 1024;

/// The name query feeds' counts are kept under in the store (see `store::kept`).
const QUERY_COUNTS_KEPT: &str = "query_counts";

/// Which articles a write may have changed for a query (the kept counts follow: nothing, the
/// articles of these feeds counted again, or every count made again).
enum Counted {
    Unchanged,
    Feeds(Vec<FeedId>),
    Anything,
}

/// A refresh in progress, which a request for the same feeds (or fewer) joins.
struct Running {
    /// `None`: every feed.
    feeds: Option<HashSet<FeedId>>,
    progress: broadcast::Sender<Progress>,
    finished: watch::Receiver<Option<RefreshSummary>>,
}

impl Running {
    fn covers(&self, wanted: &Option<Vec<FeedId>>) -> bool {
        match (&self.feeds, wanted) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(have), Some(want)) => want.iter().all(|f| have.contains(f)),
        }
    }
}

pub(crate) struct Holder {
    pub(super) store: Store,
    fetch_settings: FetchSettings,
    /// Built on the first fetch: `tidings unread` never pays for the TLS set-up.
    fetcher: OnceLock<Result<Fetcher, String>>,
    settings: StoreSettings,
    runtime: tokio::runtime::Handle,
    pub(super) events: broadcast::Sender<Event>,
    running: Mutex<Option<Arc<Running>>>,
    /// Taken by the one refresh that fetches; the store's contract wants a single writer.
    refresh_turn: Mutex<()>,
    /// Query feeds' counts between changes (see `query::counts`).
    query_counts: crate::query::counts::CountCache,
    /// Held (shared) by every request while it is answered; the counts are kept in the store
    /// only while it can be held alone, when no write is half way between the store and the
    /// counts that follow it.
    answering: RwLock<()>,
}

/// Where a request's progress goes (the CLI's progress bar, a client's socket).
pub(crate) type ProgressSink<'a> = &'a mut dyn FnMut(Progress);

impl Holder {
    pub(crate) fn new(
        store: Store,
        fetch_settings: FetchSettings,
        settings: StoreSettings,
        runtime: tokio::runtime::Handle,
        events: broadcast::Sender<Event>,
    ) -> Holder {
        // The counts a previous holder kept, if nothing was written since.
        let query_counts = crate::query::counts::CountCache::default();
        if let Ok(Some(kept)) = store.kept(QUERY_COUNTS_KEPT) {
            query_counts.restore(&kept);
        }
        Holder {
            store,
            fetch_settings,
            fetcher: OnceLock::new(),
            settings,
            runtime,
            events,
            running: Mutex::new(None),
            refresh_turn: Mutex::new(()),
            query_counts,
            answering: RwLock::new(()),
        }
    }

    /// Builds the search index on a thread of its own if it must be built (see
    /// [`crate::search::needs_build`]) or is far behind (a build cut short by a kill goes on
    /// where it stopped); searches wait for it, while a refresh, a `content:` test and
    /// everything else go on without the index as before it was built.
    pub(crate) fn build_search_index_in_background(&self) {
        let store = self.store.clone();
        let spawned = std::thread::Builder::new().name("search-build".into()).spawn(move || {
            if !crate::search::index::far_behind(&store).unwrap_or(false) {
                return;
            }
            let started = std::time::Instant::now();
            match crate::search::catch_up(&store) {
                Ok(done) => tracing::info!(
                    target: "tidings",
                    "search index {} in the background: {} articles in {:.1} s",
                    if done.rebuilt { "built" } else { "caught up" },
                    done.indexed,
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => tracing::warn!(target: "tidings", "search index not built in the background (the first search builds it): {e}"),
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(target: "tidings", "search index not built in the background: {e}");
        }
    }

    /// Keeps the query feeds' counts in the store for the next holder (see `store::kept`):
    /// called on close. Skipped, harmlessly, while a request is being answered (a refresh
    /// still running, a client's mark): the next holder then counts afresh.
    pub(crate) fn keep_query_counts(&self) {
        let Ok(_alone) = self.answering.try_write() else { return };
        let Ok(seq) = self.store.change_seq() else { return };
        let Some(value) = self.query_counts.to_keep(&self.store, chrono::Utc::now().timestamp()) else {
            return;
        };
        // Not written again when the same counts are kept already (a holder that only read);
        // any count made since (a query feed new in config.toml, a time-dependent one made
        // again) is.
        if self.store.kept(QUERY_COUNTS_KEPT).ok().flatten().as_deref() == Some(&value[..]) {
            return;
        }
        match self.store.keep(QUERY_COUNTS_KEPT, seq, &value) {
            Ok(_kept_unless_changed_since) => {}
            Err(e) => tracing::warn!(target: "tidings", "query feed counts not kept: {e}"),
        }
    }

    /// Passes over every article made for query feeds' counts (tests).
    pub(crate) fn query_count_passes(&self) -> u64 {
        self.query_counts.passes()
    }

    fn fetcher(&self) -> Result<Fetcher, String> {
        self.fetcher
            .get_or_init(|| Fetcher::new(&self.fetch_settings).map_err(|e| format!("cannot fetch: {e}")))
            .clone()
    }

    /// Tells every watcher of `change`; the kept query counts follow what it changed.
    fn publish(&self, origin: u64, change: Change) {
        // A mark updated the counts itself, a refreshed feed is counted again alone; anything
        // else may change what a query matches anywhere, unless the writer said what it
        // changed (`publish_counted`).
        let counted = match &change {
            // A refresh's writes are each feed's (`FeedRefreshed`), a sync inside it publishes
            // its own changes.
            Change::Flags
            | Change::SyncStep(_)
            | Change::RefreshStarted { .. }
            | Change::RefreshFinished(_) => Counted::Unchanged,
            Change::FeedRefreshed(p) => match p.report.outcome {
                crate::refresh::FeedOutcome::Updated(_) => Counted::Feeds(vec![p.report.feed]),
                _ => Counted::Unchanged,
            },
            _ => Counted::Anything,
        };
        self.publish_counted(origin, change, counted);
    }

    fn publish_counted(&self, origin: u64, change: Change, counted: Counted) {
        match counted {
            Counted::Unchanged => {}
            Counted::Feeds(feeds) => feeds.into_iter().for_each(|f| self.query_counts.feed_written(f)),
            Counted::Anything => self.query_counts.clear(),
        }
        // No watcher is fine.
        let _ = self.events.send(Event { origin, change });
    }

    /// Answers one request. Errors are texts for the user (they cross the socket as such).
    pub fn handle(&self, origin: u64, request: Request, progress: ProgressSink) -> Result<Reply, String> {
        let _answering = self.answering.read().unwrap_or_else(PoisonError::into_inner);
        self.answer(origin, request, progress)
    }

    fn answer(&self, origin: u64, request: Request, progress: ProgressSink) -> Result<Reply, String> {
        match request {
            Request::Subscribe(sub) => self.subscribe(origin, sub),
            Request::Refresh(r) => self.refresh(origin, r, progress).map(Reply::Refreshed),
            Request::RemoveFeed(id) => self.remove_feed(origin, id).map_err(|e| e.to_string()),
            Request::SyncAdd(account) => self.sync_add(origin, account),
            Request::Sync { full } => Ok(Reply::Synced(self.sync(origin, full))),
            Request::SyncStatus => {
                crate::sync::status(&self.store).map(Reply::SyncStatus).map_err(|e| e.to_string())
            }
            Request::SyncRemove => {
                let before = crate::sync::remove_account(&self.store).map_err(|e| e.to_string())?;
                self.written(origin, Change::Feeds).map_err(|e| e.to_string())?;
                Ok(Reply::SyncStatus(before))
            }
            Request::Matching(q, expr) => self.matching(&expr, |store, query, now| {
                crate::query::matching_entries(store, &q, query, now).map(Reply::Entries)
            }),
            Request::MatchingIds(ids, expr) => self.matching(&expr, |store, query, now| {
                crate::query::matching_ids(store, &ids, query, now).map(Reply::ArticleIds)
            }),
            Request::QueryCounts(exprs) => Ok(Reply::QueryCounts(self.query_counts(&exprs))),
            // Every writer's tags pass the same rule (a bad one is refused, nothing changes);
            // one that is removed may be anything an older build let in.
            Request::TagArticles(ids, add, remove) => {
                if let Some(problem) = add.iter().find_map(|t| crate::query::filters::hand_tag_problem(t)) {
                    return Err(problem);
                }
                self.try_handle(origin, Request::TagArticles(ids, add, remove)).map_err(|e| e.to_string())
            }
            Request::Search(search) => {
                let results = crate::search::search(&self.store, &search).map_err(|e| e.to_string())?;
                if results.caught_up.indexed > 0 {
                    // What was indexed is durable before the answer, like any write.
                    self.store.flush().map_err(|e| e.to_string())?;
                }
                Ok(Reply::Searched(results))
            }
            request => self.try_handle(origin, request).map_err(|e| e.to_string()),
        }
    }

    /// Evaluates a query expression here, where the store is; a client parsed it already,
    /// but one that did not still gets the error's one line.
    fn matching(
        &self,
        expr: &str,
        run: impl FnOnce(&Store, &crate::query::Query, i64) -> Result<Reply, StoreError>,
    ) -> Result<Reply, String> {
        let query = crate::query::Query::parse(expr).map_err(|e| e.line())?;
        run(&self.store, &query, chrono::Utc::now().timestamp()).map_err(|e| e.to_string())
    }

    /// Counts for each expression (kept between changes); one that does not parse gets its
    /// error.
    fn query_counts(&self, exprs: &[String]) -> Vec<Result<crate::store::Counts, String>> {
        self.query_counts.counts(&self.store, exprs, chrono::Utc::now().timestamp())
    }

    /// After a refresh or a sync: the query counts it dropped or left stale are made again
    /// now (a reader asks for them next anyway; a cron `refresh` then keeps them for it).
    fn settle_query_counts(&self) {
        self.query_counts.settle(&self.store, chrono::Utc::now().timestamp());
    }

    /// Writes flags with `write`, and the kept query counts follow the ones it changed, with no
    /// count made in between (see `CountCache::marking`).
    fn marked(
        &self,
        mark: Mark,
        write: impl FnOnce() -> Result<Vec<ArticleId>, StoreError>,
    ) -> Result<Vec<ArticleId>, StoreError> {
        self.query_counts.marking(|| {
            let changed = write()?;
            self.query_counts.marked(&self.store, &changed, mark, chrono::Utc::now().timestamp());
            Ok(changed)
        })
    }

    fn try_handle(&self, origin: u64, request: Request) -> Result<Reply, StoreError> {
        let store = &self.store;
        let reply = match request {
            Request::QueryFeeds => Reply::QueryFeeds(store.query_feeds()?),
            Request::QueryFeedAdd(feed) => {
                // A query feed's counts are kept per expression: a new one is counted when asked.
                let added = store.add_query_feed(feed)?;
                self.written_counted(origin, Change::Feeds, Counted::Unchanged)?;
                Reply::Done(added)
            }
            Request::MoveFeed(id, by) => {
                let moved = store.move_feed(id, by)?;
                self.written_counted(origin, Change::Feeds, Counted::Unchanged)?;
                Reply::Done(moved)
            }
            Request::QueryFeedRemove(name) => {
                let removed = store.remove_query_feed(&name)?;
                self.written_counted(origin, Change::Feeds, Counted::Unchanged)?;
                Reply::Done(removed)
            }
            Request::Feeds => Reply::Feeds(store.feeds()?),
            Request::FeedsWithCounts => {
                let mut feeds = Vec::new();
                for f in store.feeds()? {
                    let counts = store.counts(f.id)?;
                    feeds.push((f, counts));
                }
                let synced = store.synced_feeds()?.into_iter().map(|(f, _)| f).collect();
                Reply::FeedsWithCounts { feeds, unread_total: store.unread_total()?, synced }
            }
            Request::Feed(id) => Reply::Feed(store.feed(id)?),
            Request::ResolveFeed(name) => Reply::Feed(Some(store.resolve_feed(&name)?)),
            Request::UnreadTotal => Reply::Count(store.unread_total()?),
            Request::FetchLog(id) => Reply::FetchLog(store.fetch_log(id)?),
            Request::AddFeeds(feeds) => {
                let (mut added, mut present) = (0, 0);
                for new in feeds {
                    if store.add_feed(new)?.1 {
                        added += 1;
                    } else {
                        present += 1;
                    }
                }
                // New feeds have no articles yet.
                self.written_counted(origin, Change::Feeds, Counted::Unchanged)?;
                Reply::Added { added, present }
            }
            Request::EditFeed(id, edit) => {
                let before = store.feed(id)?.ok_or_else(|| StoreError::NoSuchFeed(id.to_string()))?;
                let after = store.update_feed(id, |f| edit.apply(f))?;
                // Its title and tags are its articles' `feed:` and `tag:`.
                self.written_counted(origin, Change::Feeds, Counted::Feeds(vec![id]))?;
                Reply::Edited { before, after }
            }
            Request::AddSamples => {
                let ids = crate::samples::add_samples(store, &self.settings)?;
                self.written_counted(origin, Change::Feeds, Counted::Feeds(ids.clone()))?;
                Reply::FeedIds(ids)
            }
            Request::Articles(q) => Reply::Articles(store.articles(&q)?),
            Request::ListEntries(q) => Reply::Entries(store.list_entries(&q)?),
            Request::ArticlesById(ids) => Reply::Articles(store.articles_by_id(&ids)?),
            Request::Article(id) => Reply::Article(store.article(id)?),
            Request::Body(id) => Reply::Body(store.body(id)?),
            Request::Mark(ids, mark) => {
                let changed = self.marked(mark, || store.mark(&ids, mark))?;
                self.written(origin, Change::Flags)?;
                Reply::ArticleIds(changed)
            }
            Request::MarkAllRead(feed) => {
                let changed = self.marked(Mark::Read, || store.mark_all_read(feed))?;
                self.written(origin, Change::Flags)?;
                Reply::ArticleIds(changed)
            }
            Request::MarkFeedsRead(feeds) => {
                let changed = self.marked(Mark::Read, || store.mark_feeds_read(&feeds))?;
                self.written(origin, Change::Flags)?;
                Reply::ArticleIds(changed)
            }
            Request::TagArticles(ids, add, remove) => {
                let changed = store.tag_articles(&ids, &add, &remove)?;
                if !changed.is_empty() {
                    // A tag may be what a query feed tests: their feeds are counted again.
                    let mut feeds: Vec<FeedId> = Vec::new();
                    for &id in &changed {
                        if let Some((_, feed)) = store.flags_and_feed_of(id)? {
                            feeds.push(feed);
                        }
                    }
                    feeds.sort_unstable();
                    feeds.dedup();
                    self.written_counted(origin, Change::Tags, Counted::Feeds(feeds))?;
                }
                Reply::ArticleIds(changed)
            }
            Request::Check => {
                // The index is checked as it stands after catching up: articles waiting to
                // be indexed are not a problem, a stale index is.
                let caught_up = crate::search::catch_up(store);
                if caught_up.as_ref().is_ok_and(|c| c.indexed > 0) {
                    store.flush()?;
                }
                let mut report = store.check()?;
                if let Err(e) = caught_up {
                    report.problems.push(format!("the search index cannot be brought up to date: {e}"));
                }
                Reply::Check(report)
            }
            // Handled in `handle`; the server turns an events request into a stream first.
            Request::Subscribe(_)
            | Request::Refresh(_)
            | Request::Events
            | Request::Matching(..)
            | Request::MatchingIds(..)
            | Request::RemoveFeed(_)
            | Request::SyncAdd(_)
            | Request::Sync { .. }
            | Request::SyncStatus
            | Request::SyncRemove
            | Request::QueryCounts(_)
            | Request::Search(_) => Reply::Error("this request is not answered here".into()),
        };
        Ok(reply)
    }

    /// Makes a write durable, then tells the watchers.
    fn written(&self, origin: u64, change: Change) -> Result<(), StoreError> {
        self.store.flush()?;
        self.publish(origin, change);
        Ok(())
    }

    /// [`Holder::written`] by a writer that knows which articles' matches it may have changed.
    fn written_counted(&self, origin: u64, change: Change, counted: Counted) -> Result<(), StoreError> {
        self.store.flush()?;
        self.publish_counted(origin, change, counted);
        Ok(())
    }

    /// Refreshes the feeds asked for, or joins a running refresh that covers them.
    fn refresh(
        &self,
        origin: u64,
        request: RefreshRequest,
        progress: ProgressSink,
    ) -> Result<RefreshSummary, String> {
        let mut wanted = request.feeds.clone();
        if let Some(ids) = &mut wanted {
            // `tidings refresh 3 3` fetches feed 3 once.
            let mut seen = HashSet::new();
            ids.retain(|id| seen.insert(*id));
        }
        let joined = self.running.lock().ok().and_then(|r| r.clone()).filter(|r| r.covers(&wanted));
        if let Some(running) = joined {
            return Ok(self.join(&running, progress));
        }
        // One refresh writes at a time; a request that waited here may find its feeds
        // covered by the one that ran meanwhile, and then it simply runs after it.
        let _turn = self.refresh_turn.lock().unwrap_or_else(PoisonError::into_inner);
        let mut feeds: Vec<FeedRecord> = match &wanted {
            None => self.store.feeds(),
            Some(ids) => ids
                .iter()
                .map(|id| self.store.feed(*id)?.ok_or_else(|| StoreError::NoSuchFeed(id.to_string())))
                .collect(),
        }
        .map_err(|e| e.to_string())?;
        // A sync server's feeds are not fetched here: their articles come from the server
        // (fetching them too would store each article twice, under two identities).
        let synced: HashSet<FeedId> = match self.store.sync_meta() {
            Ok(Some(_)) => {
                self.store.synced_feeds().map_err(|e| e.to_string())?.into_iter().map(|(f, _)| f).collect()
            }
            _ => HashSet::new(),
        };
        let with_sync = self.store.sync_meta().ok().flatten().is_some()
            && (wanted.is_none() || feeds.iter().any(|f| synced.contains(&f.id)));
        feeds.retain(|f| !synced.contains(&f.id));
        let fetcher = self.fetcher()?;
        let total = feeds.len();
        let (progress_tx, _) = broadcast::channel(EVENT_BACKLOG);
        let (finished_tx, finished_rx) = watch::channel(None);
        let running = Arc::new(Running {
            feeds: wanted.as_ref().map(|ids| ids.iter().copied().collect()),
            progress: progress_tx.clone(),
            finished: finished_rx,
        });
        if let Ok(mut slot) = self.running.lock() {
            *slot = Some(running);
        }
        self.publish(origin, Change::RefreshStarted { total });
        let options = RefreshOptions { ignore_retry_after: request.named };
        let mut done = 0;
        let summary = self.runtime.block_on(refresh::refresh(
            &self.store,
            &fetcher,
            &self.settings,
            feeds,
            &options,
            |r: &FeedReport| {
                done += 1;
                let p = Progress { report: r.clone(), done, total };
                progress(p.clone());
                let _ = progress_tx.send(p.clone());
                self.publish(origin, Change::FeedRefreshed(p));
            },
        ));
        let mut summary = summary;
        if with_sync {
            summary.sync = self.sync_turn_held(origin, false);
        }
        if let Ok(mut slot) = self.running.lock() {
            *slot = None;
        }
        let _ = finished_tx.send(Some(summary.clone()));
        self.publish(origin, Change::RefreshFinished(summary.clone()));
        self.settle_query_counts();
        Ok(summary)
    }

    /// Removes a feed here, and on the sync server when it is the server's and the API can.
    fn remove_feed(&self, origin: u64, id: FeedId) -> Result<Reply, StoreError> {
        let server_feed = self.store.synced_feeds()?.into_iter().find(|(f, _)| *f == id).map(|(_, s)| s);
        let removed = self.store.remove_feed(id)?;
        // Its articles' postings go now, not at the next search (a failure leaves them
        // pending, which the next search finishes).
        if let Err(e) = crate::search::catch_up_if_built(&self.store) {
            tracing::warn!(target: "tidings", "search index not updated after removing feed {id}: {e}");
        }
        // Counted again, it has no articles left: its counts go.
        self.written_counted(origin, Change::Feeds, Counted::Feeds(vec![id]))?;
        let note = match (server_feed, self.fetcher()) {
            (Some(server_feed), Ok(fetcher)) => self.runtime.block_on(crate::sync::unsubscribe_remote(
                &self.store,
                fetcher.client(),
                fetcher.body_cap(),
                server_feed,
            )),
            (Some(_), Err(e)) => Some(format!("the sync server still has this feed ({e})")),
            (None, _) => None,
        };
        if let Some(server_feed) = server_feed {
            // Told or not, a later sync must not bring it back: if the server still has
            // it, the user removed it here on purpose.
            self.store.ignore_server_feed(id, server_feed)?;
            self.store.flush()?;
        }
        Ok(Reply::Removed(removed, note))
    }

    /// Checks a sync account with its server and keeps it.
    fn sync_add(&self, origin: u64, account: crate::sync::NewAccount) -> Result<Reply, String> {
        let fetcher = self.fetcher()?;
        let status = self
            .runtime
            .block_on(crate::sync::add_account(&self.store, fetcher.client(), fetcher.body_cap(), account))
            .map_err(|e| e.to_string())?;
        self.publish(origin, Change::Feeds);
        Ok(Reply::SyncStatus(Some(status)))
    }

    /// Syncs with the account's server, if there is one; the outcome (an error included) is
    /// in the summary and in the account's status.
    fn sync(&self, origin: u64, full: bool) -> Option<crate::sync::SyncSummary> {
        self.store.sync_meta().ok().flatten()?;
        // A sync writes articles as a refresh does: one writer at a time.
        let _turn = self.refresh_turn.lock().unwrap_or_else(PoisonError::into_inner);
        self.sync_turn_held(origin, full)
    }

    /// [`Holder::sync`] for a caller that holds the writer's turn already.
    fn sync_turn_held(&self, origin: u64, full: bool) -> Option<crate::sync::SyncSummary> {
        let fetcher = match self.fetcher() {
            Ok(f) => f,
            Err(e) => return Some(crate::sync::SyncSummary { error: Some(e), ..Default::default() }),
        };
        // Every watching process shows how far it has got, wherever the sync was asked for.
        let report = |step| self.publish(origin, Change::SyncStep(step));
        let summary = self.runtime.block_on(crate::sync::sync_account(
            &self.store,
            fetcher.client(),
            fetcher.body_cap(),
            &self.settings,
            full,
            &crate::sync::Reporter::new(&report),
        ));
        // Feeds, articles and flags may all have changed.
        self.publish(origin, Change::Feeds);
        self.publish(origin, Change::Flags);
        if let Some(summary) = &summary {
            self.publish(origin, Change::SyncFinished(summary.clone()));
        }
        self.settle_query_counts();
        summary
    }

    /// Follows a running refresh to its end, passing its progress on.
    fn join(&self, running: &Running, progress: ProgressSink) -> RefreshSummary {
        let mut reports = running.progress.subscribe();
        let mut finished = running.finished.clone();
        self.runtime.block_on(async {
            loop {
                tokio::select! {
                    biased;
                    p = reports.recv() => match p {
                        Ok(p) => progress(p),
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => {}
                    },
                    changed = finished.changed() => {
                        // Reports sent before the end are still queued: pass them on.
                        while let Ok(p) = reports.try_recv() {
                            progress(p);
                        }
                        let summary = finished.borrow().clone();
                        if changed.is_err() || summary.is_some() {
                            return summary.unwrap_or_default();
                        }
                    }
                }
            }
        })
    }

    /// `add`: looks at the URL (a page leads to its first feed), subscribes, and stores the
    /// first fetch. A URL that cannot be fetched or is not a feed is not subscribed.
    fn subscribe(&self, origin: u64, sub: Subscribe) -> Result<Reply, String> {
        let fetcher = if sub.fetch { Some(self.fetcher()?) } else { None };
        let mut url = sub.url.clone();
        let mut page_feeds = Vec::new();
        let mut first = None;
        if let Some(fetcher) = &fetcher {
            let request = FeedRequest {
                url: url.clone(),
                user_agent: sub.options.user_agent.clone(),
                referer: sub.options.referer.clone(),
                headers: sub.options.headers.clone(),
                proxy: sub.options.proxy.clone(),
                ..Default::default()
            };
            match self.runtime.block_on(refresh::first_look(fetcher, &request)) {
                refresh::FirstLook::Page(found) => {
                    let Some(feed) = found.first() else {
                        return Err(format!(
                            "{} is a web page that links to no feed; find the feed's own URL on the site",
                            crate::sanitize::line(&url)
                        ));
                    };
                    url = feed.url.clone();
                    page_feeds = found;
                }
                refresh::FirstLook::Feed { fetched: Err(e), .. } => {
                    return Err(format!(
                        "{}: {}; nothing was added (check the URL, or add it anyway with --no-fetch)",
                        crate::sanitize::line(&url),
                        crate::sanitize::line(&e.to_string())
                    ));
                }
                refresh::FirstLook::Feed { fetched, record } => first = Some((fetched, record)),
            }
        }
        let new = NewFeed { url, title: sub.title, tags: sub.tags, options: sub.options };
        let (id, added) = self.store.add_feed(new).map_err(|e| e.to_string())?;
        let feed =
            self.store.feed(id).map_err(|e| e.to_string())?.ok_or_else(|| format!("feed {id} vanished"))?;
        if !added {
            return Ok(Reply::Subscribed(Subscribed {
                feed,
                added,
                page_feeds,
                first_fetch: None,
                sync_note: None,
            }));
        }
        self.publish(origin, Change::Feeds);
        let report = match (first, fetcher) {
            // The URL was the feed: store what was fetched, as a refresh would.
            (Some((fetched, record)), _) => Some(self.runtime.block_on(refresh::store_fetched(
                &self.store,
                &self.settings,
                &feed,
                fetched,
                record,
            ))),
            // A page led to the feed: fetch the feed itself.
            (None, Some(fetcher)) => {
                let mut report = None;
                let options = RefreshOptions { ignore_retry_after: true };
                self.runtime.block_on(refresh::refresh(
                    &self.store,
                    &fetcher,
                    &self.settings,
                    vec![feed.clone()],
                    &options,
                    |r| report = Some(r.clone()),
                ));
                report
            }
            (None, None) => None,
        };
        self.store.flush().map_err(|e| e.to_string())?;
        if let Some(r) = &report {
            let p = Progress { report: r.clone(), done: 1, total: 1 };
            self.publish(origin, Change::FeedRefreshed(p));
        }
        // The title is known only now that the feed has been fetched.
        let feed = self.store.feed(id).map_err(|e| e.to_string())?.unwrap_or(feed);
        let sync_note = match self.fetcher() {
            Ok(fetcher) => self.runtime.block_on(crate::sync::subscribe_remote(
                &self.store,
                fetcher.client(),
                fetcher.body_cap(),
                &feed.url,
            )),
            Err(_) => None,
        };
        Ok(Reply::Subscribed(Subscribed { feed, added, page_feeds, first_fetch: report, sync_note }))
    }
}

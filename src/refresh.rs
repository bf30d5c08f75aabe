//! Refreshes feeds: fetch (concurrently, bounded by the fetcher), parse (on blocking
//! workers, bounded by the cores), write (one writer thread, one transaction per feed).
//!
//! Contract: one feed's failure is that feed's record, never the run's; every feed named
//! gets exactly one report; nothing here touches a terminal (callers get [`FeedReport`]s
//! through a callback and draw what they like).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};

use crate::fetch::{FeedRequest, FetchError, FetchErrorKind, FetchOutcome, Fetcher};
use crate::model::FeedId;
use crate::parse;
use crate::store::{
    ApplyStats, FeedRecord, FeedUpdate, FetchRecord, FetchResult, PreparedArticle, Store, StoreSettings,
};

/// Parsed feeds waiting for the writer; more would only hold memory.
const WRITER_QUEUE: usize = 4;

/// The writer flushes the database after this many feeds.
const FLUSH_EVERY_FEEDS: usize = 50;

/// When a server says 429/503 without a Retry-After, wait this long before asking again.
const DEFAULT_RATE_LIMIT_WAIT_SECS: i64 = 15 * 60;

/// How the refresh of one feed ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FeedOutcome {
    Updated(ApplyStats),
    NotModified,
    Failed(String),
    /// Not fetched: the server asked us to wait (Retry-After) and the feed wasn't named.
    Skipped(String),
}

/// One feed's result, as the progress callback sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeedReport {
    pub(crate) feed: FeedId,
    pub(crate) title: String,
    pub outcome: FeedOutcome,
}

/// What a whole refresh did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefreshSummary {
    pub feeds: usize,
    pub(crate) fetched: usize,
    pub(crate) not_modified: usize,
    pub failed: usize,
    pub(crate) skipped: usize,
    /// Of the skipped: resting after failures in a row (the others' servers asked us to wait).
    pub(crate) resting: usize,
    pub(crate) new_articles: u64,
    pub(crate) updated_articles: u64,
    pub(crate) elapsed: Duration,
    /// The sync with the account's server that ran with this refresh (its feeds are not
    /// fetched here: their articles come from the server).
    pub(crate) sync: Option<crate::sync::SyncSummary>,
}

impl RefreshSummary {
    fn add(&mut self, outcome: &FeedOutcome) {
        match outcome {
            FeedOutcome::Updated(s) => {
                self.fetched += 1;
                self.new_articles += s.new;
                self.updated_articles += s.updated;
            }
            FeedOutcome::NotModified => self.not_modified += 1,
            FeedOutcome::Failed(_) => self.failed += 1,
            FeedOutcome::Skipped(_) => self.skipped += 1,
        }
    }

    /// The one-line summary printed at the end of `tidings refresh`.
    pub fn line(&self) -> String {
        let asked = self.skipped.saturating_sub(self.resting);
        let waiting = match (asked, self.resting) {
            (0, 0) => String::new(),
            (asked, 0) => format!(", {asked} waiting (their server asked us to wait)"),
            (0, resting) => format!(", {resting} resting after failures"),
            (asked, resting) => {
                format!(", {asked} waiting (their server asked us to wait), {resting} resting after failures")
            }
        };
        format!(
            "{} in {:.2} s: {} fetched, {} not modified, {} failed{waiting}; {} new and {} updated {}",
            crate::words::plural(self.feeds as u64, "feed"),
            self.elapsed.as_secs_f64(),
            self.fetched,
            self.not_modified,
            self.failed,
            self.new_articles,
            self.updated_articles,
            if self.new_articles + self.updated_articles == 1 { "article" } else { "articles" },
        )
    }
}

/// Which feeds a refresh touches and how.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RefreshOptions {
    /// Fetch even feeds whose server asked us to wait (the user named them).
    pub(crate) ignore_retry_after: bool,
}

/// Refreshes `feeds`, calling `on_report` once per feed as each finishes.
///
/// Memory stays bounded however many feeds there are: at most `concurrency + 8` feeds fetched
/// whole (or twice as many revalidations) are between "fetch started" and "written", and the
/// writer's queue is short. Feeds are started
/// in an order that interleaves hosts, so the bounded window is never filled by one host
/// waiting on its per-host limit.
pub(crate) async fn refresh(
    store: &Store,
    fetcher: &Fetcher,
    settings: &StoreSettings,
    feeds: Vec<FeedRecord>,
    options: &RefreshOptions,
    mut on_report: impl FnMut(&FeedReport),
) -> RefreshSummary {
    let started = Instant::now();
    let mut summary = RefreshSummary { feeds: feeds.len(), ..Default::default() };
    let mut report = |r: FeedReport| {
        summary.add(&r.outcome);
        on_report(&r);
    };
    let (report_tx, mut report_rx) = mpsc::unbounded_channel::<FeedReport>();
    let (job_tx, job_rx) = mpsc::channel::<WriteJob>(WRITER_QUEUE);
    let writer = Writer::start(store.clone(), settings.clone(), job_rx, report_tx);
    let parse_slots =
        Arc::new(Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get)));
    let now = chrono::Utc::now().timestamp();
    let mut expected = 0usize;
    let mut summary_resting = 0usize;
    let mut to_fetch = Vec::new();
    for feed in feeds {
        let when = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        };
        let asked = feed.retry_not_before.filter(|&t| t > now);
        let resting = feed.backoff_until().filter(|&t| t > now);
        let wait = match (asked, resting) {
            _ if options.ignore_retry_after => None,
            (Some(a), r) if r.is_none_or(|r| r <= a) => {
                Some((format!("the server asked us to wait until {}", when(a)), false))
            }
            (_, Some(r)) => Some((
                format!(
                    "it failed {} times in a row; next try after {} (name it to fetch it now)",
                    feed.consecutive_failures,
                    when(r)
                ),
                true,
            )),
            _ => None,
        };
        match wait {
            Some((why, is_resting)) => {
                summary_resting += usize::from(is_resting);
                report(FeedReport {
                    feed: feed.id,
                    title: feed.display_title().to_owned(),
                    outcome: FeedOutcome::Skipped(why),
                });
            }
            None => {
                expected += 1;
                to_fetch.push(feed);
            }
        }
    }
    let mut pending = interleave_hosts(to_fetch).into_iter().peekable();
    // Weighed like the fetcher's global limit (fetch::limits): a feed fetched whole counts 2,
    // a revalidation (likely a 304 without a body) 1. So at most `concurrency + 8` bodies are
    // in the window however the feeds are mixed, and twice as many revalidations.
    let weight = |feed: &FeedRecord| if feed.etag.is_some() || feed.last_modified.is_some() { 1 } else { 2 };
    let window = fetcher.settings().concurrency.saturating_add(WRITER_QUEUE + 4).max(1).saturating_mul(2);
    let mut load = 0usize;
    let mut tasks = tokio::task::JoinSet::new();
    let mut running: HashMap<tokio::task::Id, (FeedId, String, usize)> = HashMap::new();
    let mut received = 0usize;
    while received < expected {
        while pending.peek().is_some_and(|f| load + weight(f) <= window || tasks.is_empty()) {
            let Some(feed) = pending.next() else { break };
            let w = weight(&feed);
            load += w;
            let fetcher = fetcher.clone();
            let jobs = job_tx.clone();
            let parse_slots = parse_slots.clone();
            let who = (feed.id, feed.display_title().to_owned(), w);
            let handle = tasks.spawn(async move {
                let job = refresh_one(&fetcher, &feed, &parse_slots).await;
                // The writer runs until every sender is gone, so this cannot fail.
                let _ = jobs.send(job).await;
            });
            running.insert(handle.id(), who);
        }
        tokio::select! {
            r = report_rx.recv() => match r {
                Some(r) => {
                    received += 1;
                    report(r);
                }
                // The writer died: nothing more will be reported.
                None => break,
            },
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => match done {
                Ok((id, ())) => {
                    if let Some((_, _, w)) = running.remove(&id) {
                        load -= w;
                    }
                }
                // A panicked task never reaches the writer: report its feed here.
                Err(e) => {
                    if let Some((feed, title, w)) = running.remove(&e.id()) {
                        load -= w;
                        received += 1;
                        let outcome = FeedOutcome::Failed(format!("refreshing this feed crashed ({e})"));
                        report(FeedReport { feed, title, outcome });
                    }
                }
            },
        }
    }
    drop(job_tx);
    while tasks.join_next().await.is_some() {}
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    let _ = store.flush();
    summary.elapsed = started.elapsed();
    summary.resting = summary_resting;
    summary
}

/// Orders feeds so that consecutive ones are on different hosts where possible.
fn interleave_hosts(feeds: Vec<FeedRecord>) -> Vec<FeedRecord> {
    let mut by_host: Vec<(String, std::collections::VecDeque<FeedRecord>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for feed in feeds {
        let host = url::Url::parse(&feed.url)
            .ok()
            .map(|u| format!("{}:{}", u.host_str().unwrap_or(""), u.port_or_known_default().unwrap_or(0)))
            .unwrap_or_default();
        let slot = *index.entry(host.clone()).or_insert_with(|| {
            by_host.push((host, Default::default()));
            by_host.len() - 1
        });
        by_host[slot].1.push_back(feed);
    }
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for (_, queue) in by_host.iter_mut() {
            if let Some(feed) = queue.pop_front() {
                out.push(feed);
                any = true;
            }
        }
        if !any {
            return out;
        }
    }
}

/// A finished fetch + parse, waiting for the writer.
struct WriteJob {
    feed: FeedId,
    title: String,
    result: FetchResult,
    record: FetchRecord,
}

/// The request a refresh sends for `feed`: its validators and its own options.
pub(crate) fn request_for(feed: &FeedRecord) -> FeedRequest {
    FeedRequest {
        url: feed.url.clone(),
        etag: feed.etag.clone(),
        last_modified: feed.last_modified.clone(),
        user_agent: feed.options.user_agent.clone(),
        referer: feed.options.referer.clone(),
        headers: feed.options.headers.clone(),
        proxy: feed.options.proxy.clone(),
    }
}

async fn refresh_one(fetcher: &Fetcher, feed: &FeedRecord, parse_slots: &Semaphore) -> WriteJob {
    let started_ms = chrono::Utc::now().timestamp_millis();
    let t0 = Instant::now();
    let fetched = fetcher.fetch(&request_for(feed)).await;
    crate::memtrace::stage("refresh fetched");
    let record = FetchRecord { started_ms, fetch_ms: t0.elapsed().as_millis() as u64, ..Default::default() };
    prepare_job(feed, fetched, record, parse_slots).await
}

/// What a first look at a URL the user typed found (`add`, in the shell or the reader).
#[allow(
    clippy::large_enum_variant,
    reason = "one value per `add`, moved once: boxing the big variant would buy nothing"
)]
pub(crate) enum FirstLook {
    /// A web page, and the feeds it links to (maybe none), best first.
    Page(Vec<crate::subscriptions::DiscoveredFeed>),
    /// Anything else, kept with its record so the feed is not fetched again right after
    /// (see [`store_fetched`]).
    Feed { fetched: Result<FetchOutcome, FetchError>, record: FetchRecord },
}

/// Fetches `request` once and tells a feed from a web page that links to feeds.
pub(crate) async fn first_look(fetcher: &Fetcher, request: &FeedRequest) -> FirstLook {
    let started_ms = chrono::Utc::now().timestamp_millis();
    let t0 = Instant::now();
    let fetched = fetcher.fetch(request).await;
    crate::memtrace::stage("first_look fetched");
    let record = FetchRecord { started_ms, fetch_ms: t0.elapsed().as_millis() as u64, ..Default::default() };
    match fetched {
        Ok(FetchOutcome::Fetched { body, final_url, .. }) if parse::looks_like_html(&body) => {
            FirstLook::Page(crate::subscriptions::discover_feeds(&body, &final_url))
        }
        fetched => FirstLook::Feed { fetched, record },
    }
}

/// Stores a fetch already made, as a refresh of `feed` would have: `add` looks at a URL
/// first (is it a page or a feed?) and keeps that answer rather than fetching it twice.
pub(crate) async fn store_fetched(
    store: &Store,
    settings: &StoreSettings,
    feed: &FeedRecord,
    fetched: Result<FetchOutcome, FetchError>,
    record: FetchRecord,
) -> FeedReport {
    let slots = Semaphore::new(1);
    let job = prepare_job(feed, fetched, record, &slots).await;
    let (store, settings) = (store.clone(), settings.clone());
    let applied = tokio::task::spawn_blocking(move || {
        let report = apply_job(&store, &settings, job);
        if left_to_index(&report) > 0 {
            index_for_search(&store, false);
        }
        report
    });
    match applied.await {
        Ok(report) => report,
        Err(e) => FeedReport {
            feed: feed.id,
            title: feed.display_title().to_owned(),
            outcome: FeedOutcome::Failed(format!("could not save: {e}")),
        },
    }
}

/// Parses what a fetch brought (on a blocking worker, one per parse slot) into a write job.
async fn prepare_job(
    feed: &FeedRecord,
    fetched: Result<FetchOutcome, FetchError>,
    mut record: FetchRecord,
    parse_slots: &Semaphore,
) -> WriteJob {
    let title = feed.display_title().to_owned();
    let result = match fetched {
        Ok(FetchOutcome::NotModified { etag, last_modified, permanent_redirect }) => {
            record.status = Some(304);
            record.not_modified = true;
            FetchResult::NotModified { etag, last_modified, moved_to: permanent_redirect }
        }
        Ok(FetchOutcome::Fetched {
            status,
            body,
            content_type,
            etag,
            last_modified,
            final_url,
            permanent_redirect,
        }) => {
            record.status = Some(status);
            record.bytes = body.len() as u64;
            record.content_type = content_type.clone();
            let t1 = Instant::now();
            // A permit per core: parsing is CPU work and must not starve the fetches' I/O.
            let _slot = parse_slots.acquire().await;
            let parsed = tokio::task::spawn_blocking(move || {
                let charset = content_type.as_deref().and_then(parse::charset_from_content_type);
                let parsed = parse::parse_feed(&body, charset.as_deref(), &final_url);
                crate::memtrace::stage("parsed");
                parsed.map(|feed| {
                    let articles = feed.articles.into_iter().map(PreparedArticle::new).collect();
                    crate::memtrace::stage("prepared");
                    (feed.title, feed.site_link, articles, feed.notes)
                })
            })
            .await;
            record.parse_ms = t1.elapsed().as_millis() as u64;
            match parsed {
                Ok(Ok((feed_title, site_link, articles, notes))) => {
                    record.notes = notes;
                    FetchResult::Updated(FeedUpdate {
                        feed_title,
                        site_link,
                        etag,
                        last_modified,
                        moved_to: permanent_redirect,
                        articles,
                    })
                }
                Ok(Err(e)) => failed(&mut record, e.to_string(), None),
                Err(e) => failed(&mut record, format!("the parser crashed on this feed ({e})"), None),
            }
        }
        Err(e) => {
            record.status = e.status;
            let now = chrono::Utc::now().timestamp();
            let retry = match (e.kind, e.retry_after) {
                (_, Some(wait)) => Some(now + wait.as_secs() as i64),
                (FetchErrorKind::RateLimited, None) => Some(now + DEFAULT_RATE_LIMIT_WAIT_SECS),
                _ => None,
            };
            failed(&mut record, e.to_string(), retry)
        }
    };
    WriteJob { feed: feed.id, title, result, record }
}

fn failed(record: &mut FetchRecord, error: String, retry_not_before: Option<i64>) -> FetchResult {
    record.error = Some(error.clone());
    FetchResult::Failed { error, retry_not_before }
}

/// Writes one feed's result in one transaction and says what it did.
fn apply_job(store: &Store, settings: &StoreSettings, job: WriteJob) -> FeedReport {
    let failed = match &job.result {
        FetchResult::Failed { error, .. } => Some(error.clone()),
        _ => None,
    };
    let not_modified = matches!(job.result, FetchResult::NotModified { .. });
    let now = chrono::Utc::now().timestamp();
    let applied = store.apply_fetch(job.feed, job.result, job.record, settings, now);
    crate::memtrace::stage("applied");
    let outcome = match (applied, failed) {
        (Err(e), _) => FeedOutcome::Failed(format!("could not save: {e}")),
        (Ok(_), Some(error)) => FeedOutcome::Failed(error),
        (Ok(_), None) if not_modified => FeedOutcome::NotModified,
        (Ok(stats), None) => FeedOutcome::Updated(stats),
    };
    FeedReport { feed: job.feed, title: job.title, outcome }
}

/// The refresh's search indexer: a thread that runs [`index_for_search`] when asked, so the
/// writer goes on with the next feeds meanwhile. Catch-ups are safe beside the writer: an
/// article rewritten while it is being indexed stays pending and is indexed again.
struct Indexer<'s> {
    /// `true`: the last ask, which indexes everything; the others leave the newest bucket.
    asks: Option<std::sync::mpsc::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Indexes on the writer when the thread could not be started.
    store: &'s Store,
}

impl<'s> Indexer<'s> {
    fn start(store: &'s Store) -> Indexer<'s> {
        let (asks, asked) = std::sync::mpsc::channel::<bool>();
        let own = store.clone();
        let thread = std::thread::Builder::new().name("indexer".into()).spawn(move || {
            while let Ok(mut last) = asked.recv() {
                // Asks that came meanwhile are answered by this one catch-up: it indexes
                // everything pending when it starts, which includes what they were for.
                while let Ok(also_last) = asked.try_recv() {
                    last |= also_last;
                }
                index_for_search(&own, !last);
            }
        });
        match thread {
            Ok(thread) => Indexer { asks: Some(asks), thread: Some(thread), store },
            Err(e) => {
                tracing::debug!(target: "tidings", "no indexer thread ({e}): indexing on the writer");
                Indexer { asks: None, thread: None, store }
            }
        }
    }

    /// `last`: the refresh wrote its last feed, so the newest bucket is indexed too.
    fn catch_up(&self, last: bool) {
        match &self.asks {
            Some(asks) if asks.send(last).is_ok() => {}
            // No thread, or it died: the articles stay pending for the next search if this
            // fails too.
            _ => index_for_search(self.store, !last),
        }
    }

    /// Waits for the last catch-up asked for.
    fn finish(mut self) {
        self.asks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How many articles a report's write left for the search index to catch up with.
fn left_to_index(report: &FeedReport) -> u64 {
    match &report.outcome {
        FeedOutcome::Updated(stats) => stats.new + stats.updated + stats.dropped,
        _ => 0,
    }
}

/// Indexes what the refresh's writes stored, in the same refresh; `spare_newest` leaves the
/// newest bucket for a later catch-up (see `search::index::catch_up_sparing`). A failure
/// leaves the articles marked pending: the next search indexes them (a search always catches
/// up first, so it never misses them meanwhile).
///
/// At the end (`spare_newest` false), the packs a pass reads (`query::packs`) catch up too, so
/// the next query feed counted or opened finds little to do.
fn index_for_search(store: &Store, spare_newest: bool) {
    if !spare_newest {
        if let Err(e) = crate::query::packs::catch_up_if_built(store) {
            tracing::warn!(target: "tidings", "articles' packs not updated ({e}); the next pass updates them");
        }
    }
    let started = Instant::now();
    match crate::search::index::catch_up_sparing(store, spare_newest) {
        Ok(Some(done)) => tracing::debug!(
            target: "tidings",
            "indexed {} articles for search in {} ms",
            done.indexed,
            started.elapsed().as_millis()
        ),
        // Built by the first search, which says so.
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(target: "tidings", "search index not updated ({e}); the next search indexes it");
        }
    }
}

/// The single writer: applies each feed's result in its own transaction, in arrival order.
/// Beside it an indexer thread catches the search index up with what it wrote, so indexing
/// (reading, cutting into terms, merging postings: about two thirds of a cold refresh's
/// writer time when it ran on the writer) overlaps the next feeds' writes.
struct Writer {
    thread: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start(
        store: Store,
        settings: StoreSettings,
        mut jobs: mpsc::Receiver<WriteJob>,
        reports: mpsc::UnboundedSender<FeedReport>,
    ) -> Writer {
        let thread = std::thread::spawn(move || {
            let indexer = Indexer::start(&store);
            let mut n = 0usize;
            let mut unindexed = 0u64;
            let mut asked = false;
            while let Some(job) = jobs.blocking_recv() {
                n += 1;
                // Flushing now and then lets sled evict the pages a long refresh has written,
                // which keeps memory flat however many feeds there are.
                if n.is_multiple_of(FLUSH_EVERY_FEEDS) {
                    let _ = store.flush();
                }
                let report = apply_job(&store, &settings, job);
                unindexed += left_to_index(&report);
                let _ = reports.send(report);
                // Indexed a chunk at a time, not feed by feed: each catch-up rewrites the
                // posting blocks of every term it touches, and 500 feeds of 20 articles
                // indexed one by one rewrote the common terms' blocks 500 times.
                if unindexed >= crate::search::INDEX_CHUNK as u64 {
                    indexer.catch_up(false);
                    asked = true;
                    unindexed = 0;
                }
            }
            // What the asks before left of the newest bucket, and what came since.
            if unindexed > 0 || asked {
                indexer.catch_up(true);
            }
            indexer.finish();
        });
        Writer { thread }
    }

    fn join(self) {
        let _ = self.thread.join();
    }
}

//! One data dir, many processes: the one API between the store and everything that uses it
//! (the reader, every CLI command).
//!
//! sled lets one process open a database. The first tidings to open the data dir holds the
//! store ([`holder`]) and serves it on `tidings.sock` in the data dir ([`server`]); every
//! other tidings that finds the store held becomes a client of it ([`client`]). Both answer
//! the same typed calls ([`Engine::feeds`], [`Engine::mark`], [`Engine::refresh`]...), so the
//! reader and the CLI never know which they are, and the same tests run against both.
//!
//! When the holder exits or is killed, its clients notice on their next request (or at once,
//! when they watch for changes): each one opens the store itself or connects to whoever did,
//! and sends the request again. Requests are idempotent, and a holder flushes a write before
//! it answers, so an answered change is never lost and a repeated one never counts twice.

pub(crate) mod client;
pub(crate) mod holder;
pub mod protocol;
pub(crate) mod server;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::fetch::FetchSettings;
use crate::model::{ArticleId, FeedId};
use crate::refresh::RefreshSummary;
use crate::store::{
    Article, ArticleBody, ArticleQuery, CheckReport, Counts, FeedRecord, FetchRecord, ListEntry, Mark,
    NewFeed, Store, StoreError, StoreSettings,
};
use client::{Client, ConnectError};
use holder::Holder;
pub use protocol::Change;
pub use protocol::FeedEdit;
pub use protocol::RefreshRequest;
pub use protocol::Subscribe;
pub(crate) use protocol::{Event, Progress, Subscribed};
use protocol::{Reply, Request};

/// The socket's file name inside the data dir.
pub(crate) const SOCKET_FILE: &str = "tidings.sock";

/// How long a process waits for a store that is held by a process that does not answer
/// (one that is starting, or a short command about to exit) before it gives up.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request reached the store and failed there; the text is for the user.
    #[error("{0}")]
    Failed(String),
    #[error(
        "another tidings holds {dir} but does not answer on {socket} ({why}); wait for it to \
         finish, or close it"
    )]
    Unreachable { dir: PathBuf, socket: PathBuf, why: String },
}

pub(crate) type Result<T> = std::result::Result<T, EngineError>;

/// What opening an engine needs besides the data dir.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub store: StoreSettings,
    pub fetch: FetchSettings,
    /// How long to keep trying to reach a holder that does not answer.
    pub wait: Duration,
    /// When this process holds the store and the search index must be built (a data dir an
    /// older build wrote, or never indexed) or is far behind (a build a kill cut short),
    /// build it on a thread of its own instead of at the first search: what the reader, which
    /// holds the store for long, asks for.
    pub build_search_index: bool,
}

/// The store, held here or reached through the process that holds it. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    options: EngineOptions,
    runtime: tokio::runtime::Handle,
    /// Tells the holder which handle asked (events carry it back).
    origin: u64,
    backend: RwLock<Backend>,
    /// Every change, wherever it was made; the holder writes here, or the watcher thread
    /// copies the holder's events here.
    events: broadcast::Sender<Event>,
    watching: AtomicBool,
}

#[derive(Clone)]
enum Backend {
    Holding(Arc<Holding>),
    Client(Arc<Client>),
    Closed,
}

struct Holding {
    // Dropped first: the socket file is removed while the store is still held.
    _server: Option<server::Server>,
    holder: Arc<Holder>,
    serve_problem: Option<String>,
}

impl Engine {
    /// Opens the store in `dir`, or connects to the process that holds it. `runtime` runs
    /// the fetches and the socket when this process holds the store; it must be a
    /// multi-thread runtime, and the calls must not be made from inside it (use
    /// `spawn_blocking`).
    pub fn open(dir: &Path, options: EngineOptions, runtime: tokio::runtime::Handle) -> Result<Engine> {
        let inner = Inner::new(dir, options, runtime);
        let backend = inner.hold_or_connect()?;
        *inner.backend.write().unwrap_or_else(PoisonError::into_inner) = backend;
        Ok(Engine { inner: Arc::new(inner) })
    }

    /// An engine holding a store this process opened already (tests, benches).
    pub fn holding(store: Store, options: EngineOptions, runtime: tokio::runtime::Handle) -> Engine {
        let inner = Inner::new(store.dir(), options, runtime);
        let backend = inner.hold(store);
        *inner.backend.write().unwrap_or_else(PoisonError::into_inner) = backend;
        Engine { inner: Arc::new(inner) }
    }

    /// True when this process holds the store (and serves the others).
    pub fn is_holder(&self) -> bool {
        matches!(self.inner.current(), Backend::Holding(_))
    }

    /// Why this holder could not open its socket (the other processes cannot reach it).
    pub fn serve_problem(&self) -> Option<String> {
        match self.inner.current() {
            Backend::Holding(h) => h.serve_problem.clone(),
            _ => None,
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// This handle's origin, as events carry it.
    pub fn origin(&self) -> u64 {
        self.inner.origin
    }

    /// Every change made to the store from now on, by any process. Watching a holder in
    /// another process also notices at once when it goes away (and takes over).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        let receiver = self.inner.events.subscribe();
        if !self.inner.watching.swap(true, Ordering::SeqCst) {
            let inner = self.inner.clone();
            let _ = std::thread::Builder::new().name("tidings-watch".into()).spawn(move || inner.watch());
        }
        receiver
    }

    /// Stops serving and flushes: after it, this process no longer holds the store's data in
    /// memory that is not on disk. Returns true when this process was the holder.
    pub fn close(&self) -> Result<bool> {
        let backend = std::mem::replace(
            &mut *self.inner.backend.write().unwrap_or_else(PoisonError::into_inner),
            Backend::Closed,
        );
        match backend {
            Backend::Holding(h) => {
                h.holder.keep_query_counts();
                h.holder.store.flush()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn ask(&self, request: Request) -> Result<Reply> {
        self.ask_with_progress(request, &mut |_| {})
    }

    fn ask_with_progress(&self, request: Request, progress: &mut dyn FnMut(Progress)) -> Result<Reply> {
        let deadline = Instant::now() + self.inner.options.wait;
        loop {
            match self.inner.current() {
                Backend::Holding(h) => {
                    return h.holder.handle(self.inner.origin, request, progress).map_err(EngineError::Failed)
                }
                Backend::Client(c) => match c.call(self.inner.origin, &request, progress) {
                    Ok(reply) => return reply.map_err(EngineError::Failed),
                    Err(client::Lost(why)) => {
                        if Instant::now() > deadline {
                            return Err(self.inner.unreachable(why));
                        }
                        self.inner.reconnect(&c)?;
                    }
                },
                Backend::Closed => return Err(EngineError::Failed("the store is closed".into())),
            }
        }
    }

    // ---- the typed API ----

    pub fn feeds(&self) -> Result<Vec<FeedRecord>> {
        match self.ask(Request::Feeds)? {
            Reply::Feeds(f) => Ok(f),
            other => Err(unexpected(other)),
        }
    }

    /// Every feed with its counts, the unread total, and which feeds are a sync server's.
    pub fn feeds_with_counts(&self) -> Result<FeedsOverview> {
        match self.ask(Request::FeedsWithCounts)? {
            Reply::FeedsWithCounts { feeds, unread_total, synced } => {
                Ok(FeedsOverview { feeds, unread_total, synced: synced.into_iter().collect() })
            }
            other => Err(unexpected(other)),
        }
    }

    pub fn feed(&self, id: FeedId) -> Result<Option<FeedRecord>> {
        match self.ask(Request::Feed(id))? {
            Reply::Feed(f) => Ok(f),
            other => Err(unexpected(other)),
        }
    }

    /// A feed by id or URL, as the user typed it.
    pub fn resolve_feed(&self, name: &str) -> Result<FeedRecord> {
        match self.ask(Request::ResolveFeed(name.to_owned()))? {
            Reply::Feed(Some(f)) => Ok(f),
            other => Err(unexpected(other)),
        }
    }

    pub fn unread_total(&self) -> Result<u64> {
        match self.ask(Request::UnreadTotal)? {
            Reply::Count(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    pub fn fetch_log(&self, id: FeedId) -> Result<Vec<FetchRecord>> {
        match self.ask(Request::FetchLog(id))? {
            Reply::FetchLog(log) => Ok(log),
            other => Err(unexpected(other)),
        }
    }

    /// Subscribes without fetching; returns (added, already present).
    pub fn add_feeds(&self, feeds: Vec<NewFeed>) -> Result<(usize, usize)> {
        match self.ask(Request::AddFeeds(feeds))? {
            Reply::Added { added, present } => Ok((added, present)),
            other => Err(unexpected(other)),
        }
    }

    pub fn remove_feed(&self, id: FeedId) -> Result<FeedRecord> {
        self.remove_feed_noting(id).map(|(feed, _)| feed)
    }

    /// Removes a feed (on the sync server too, when it is the server's and the API can);
    /// the text says what the server made of it.
    pub(crate) fn remove_feed_noting(&self, id: FeedId) -> Result<(FeedRecord, Option<String>)> {
        match self.ask(Request::RemoveFeed(id))? {
            Reply::Removed(f, note) => Ok((f, note)),
            other => Err(unexpected(other)),
        }
    }

    /// Changes a feed's settings; returns it before and after.
    pub fn edit_feed(&self, id: FeedId, edit: FeedEdit) -> Result<(FeedRecord, FeedRecord)> {
        match self.ask(Request::EditFeed(id, edit))? {
            Reply::Edited { before, after } => Ok((before, after)),
            other => Err(unexpected(other)),
        }
    }

    /// `add`: the whole subscribe flow, wherever the store is held.
    pub fn subscribe_feed(&self, sub: Subscribe) -> Result<Subscribed> {
        match self.ask(Request::Subscribe(sub))? {
            Reply::Subscribed(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// The bundled sample feeds; returns the feeds added.
    pub(crate) fn add_samples(&self) -> Result<Vec<FeedId>> {
        match self.ask(Request::AddSamples)? {
            Reply::FeedIds(ids) => Ok(ids),
            other => Err(unexpected(other)),
        }
    }

    pub fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>> {
        match self.ask(Request::Articles(q.clone()))? {
            Reply::Articles(a) => Ok(a),
            other => Err(unexpected(other)),
        }
    }

    pub fn list_entries(&self, q: &ArticleQuery) -> Result<Vec<ListEntry>> {
        match self.ask(Request::ListEntries(q.clone()))? {
            Reply::Entries(e) => Ok(e),
            other => Err(unexpected(other)),
        }
    }

    /// The entries of `q` that the query expression matches, evaluated where the store is
    /// held; `q.limit` counts matches. Parse the expression first ([`crate::query::Query`])
    /// to show its error with a caret: here it is only a line.
    pub fn matching_entries(&self, q: &ArticleQuery, expr: &str) -> Result<Vec<ListEntry>> {
        match self.ask(Request::Matching(q.clone(), expr.to_owned()))? {
            Reply::Entries(e) => Ok(e),
            other => Err(unexpected(other)),
        }
    }

    /// Which of `ids` the query expression matches, in their order (the reader's `?` filter).
    pub fn matching_ids(&self, ids: &[ArticleId], expr: &str) -> Result<Vec<ArticleId>> {
        match self.ask(Request::MatchingIds(ids.to_vec(), expr.to_owned()))? {
            Reply::ArticleIds(ids) => Ok(ids),
            other => Err(unexpected(other)),
        }
    }

    pub fn articles_by_id(&self, ids: &[ArticleId]) -> Result<Vec<Article>> {
        match self.ask(Request::ArticlesById(ids.to_vec()))? {
            Reply::Articles(a) => Ok(a),
            other => Err(unexpected(other)),
        }
    }

    pub fn article(&self, id: ArticleId) -> Result<Option<Article>> {
        match self.ask(Request::Article(id))? {
            Reply::Article(a) => Ok(a),
            other => Err(unexpected(other)),
        }
    }

    pub fn body(&self, id: ArticleId) -> Result<Option<ArticleBody>> {
        match self.ask(Request::Body(id))? {
            Reply::Body(b) => Ok(b),
            other => Err(unexpected(other)),
        }
    }

    /// Sets a flag; returns the articles whose flag changed.
    pub fn mark(&self, ids: &[ArticleId], mark: Mark) -> Result<Vec<ArticleId>> {
        self.ids(Request::Mark(ids.to_vec(), mark))
    }

    pub fn mark_all_read(&self, feed: Option<FeedId>) -> Result<Vec<ArticleId>> {
        self.ids(Request::MarkAllRead(feed))
    }

    pub fn mark_feeds_read(&self, feeds: &[FeedId]) -> Result<Vec<ArticleId>> {
        self.ids(Request::MarkFeedsRead(feeds.to_vec()))
    }

    /// Adds and removes the articles' own tags (all of them, or none if one is not stored);
    /// returns the articles whose tags changed.
    pub fn tag_articles(
        &self,
        ids: &[ArticleId],
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<ArticleId>> {
        self.ids(Request::TagArticles(ids.to_vec(), add.to_vec(), remove.to_vec()))
    }

    fn ids(&self, request: Request) -> Result<Vec<ArticleId>> {
        match self.ask(request)? {
            Reply::ArticleIds(ids) => Ok(ids),
            other => Err(unexpected(other)),
        }
    }

    /// Refreshes feeds in whichever process holds the store (joining a refresh of the same
    /// feeds that runs already), passing each feed's report to `progress`.
    pub fn refresh(
        &self,
        request: RefreshRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RefreshSummary> {
        match self.ask_with_progress(Request::Refresh(request), progress)? {
            Reply::Refreshed(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Checks the account with its server, then keeps it (one account per data dir).
    /// The query feeds kept in the database (config.toml's are the caller's to add).
    pub(crate) fn query_feeds(&self) -> Result<Vec<crate::store::QueryFeed>> {
        match self.ask(Request::QueryFeeds)? {
            Reply::QueryFeeds(feeds) => Ok(feeds),
            other => Err(unexpected(other)),
        }
    }

    /// Adds a query feed; false if one of that name exists.
    pub(crate) fn add_query_feed(&self, feed: crate::store::QueryFeed) -> Result<bool> {
        match self.ask(Request::QueryFeedAdd(feed))? {
            Reply::Done(added) => Ok(added),
            other => Err(unexpected(other)),
        }
    }

    /// Removes a query feed; false if there is none of that name.
    pub(crate) fn remove_query_feed(&self, name: &str) -> Result<bool> {
        match self.ask(Request::QueryFeedRemove(name.to_owned()))? {
            Reply::Done(removed) => Ok(removed),
            other => Err(unexpected(other)),
        }
    }

    /// Moves a feed `by` places in the list (negative: up); false if it did not move.
    pub(crate) fn move_feed(&self, id: FeedId, by: i64) -> Result<bool> {
        match self.ask(Request::MoveFeed(id, by))? {
            Reply::Done(moved) => Ok(moved),
            other => Err(unexpected(other)),
        }
    }

    /// Unread and total counts of what each expression matches (or why it cannot be counted).
    pub fn query_counts(&self, exprs: &[String]) -> Result<Vec<std::result::Result<Counts, String>>> {
        match self.ask(Request::QueryCounts(exprs.to_vec()))? {
            Reply::QueryCounts(counts) => Ok(counts),
            other => Err(unexpected(other)),
        }
    }

    /// How many passes over every article this process made for query feeds' counts; `None`
    /// when another process holds the store (tests: counts kept from a previous holder need
    /// none).
    pub fn query_count_passes(&self) -> Option<u64> {
        match self.inner.current() {
            Backend::Holding(h) => Some(h.holder.query_count_passes()),
            _ => None,
        }
    }

    pub(crate) fn sync_add(&self, account: crate::sync::NewAccount) -> Result<crate::sync::SyncStatus> {
        match self.ask(Request::SyncAdd(account))? {
            Reply::SyncStatus(Some(s)) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Syncs now, in whichever process holds the store; `None` when no account is set.
    /// `full` compares every article's flags with the server's (see
    /// [`crate::sync::FULL_FLAGS_EVERY_SECS`]).
    pub(crate) fn sync(&self, full: bool) -> Result<Option<crate::sync::SyncSummary>> {
        match self.ask(Request::Sync { full })? {
            Reply::Synced(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    pub(crate) fn sync_status(&self) -> Result<Option<crate::sync::SyncStatus>> {
        match self.ask(Request::SyncStatus)? {
            Reply::SyncStatus(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Forgets the account; returns its status before.
    pub(crate) fn sync_remove(&self) -> Result<Option<crate::sync::SyncStatus>> {
        match self.ask(Request::SyncRemove)? {
            Reply::SyncStatus(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Full-text search, run where the store is held (which first indexes what is pending).
    pub fn search(&self, request: &crate::search::SearchRequest) -> Result<crate::search::SearchResults> {
        match self.ask(Request::Search(request.clone()))? {
            Reply::Searched(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }

    pub fn check(&self) -> Result<CheckReport> {
        match self.ask(Request::Check)? {
            Reply::Check(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }
}

/// What the feeds pane and `tidings feeds` show.
#[derive(Debug, Clone, Default)]
pub struct FeedsOverview {
    pub feeds: Vec<(FeedRecord, Counts)>,
    pub unread_total: u64,
    /// Feeds whose articles come from the sync server.
    pub synced: std::collections::HashSet<FeedId>,
}

/// The longest socket path the kernel takes (`sun_path` is 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Where the holder of `dir` listens: `tidings.sock` in the data dir, or, when that path is too
/// long for a socket, a file named after the data dir in a directory of this user's own
/// (`$XDG_RUNTIME_DIR/tidings`, else `/tmp/tidings-UID`, made 0700 and refused if anyone else
/// owns it or can enter it).
pub fn socket_path(dir: &Path) -> PathBuf {
    let inside = dir.join(SOCKET_FILE);
    if inside.as_os_str().len() <= MAX_SOCKET_PATH {
        return inside;
    }
    // Every process on this data dir must find the same name, however it spelt the path.
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let name = format!("{:016x}.sock", xxhash_rust::xxh3::xxh3_64(canonical.as_os_str().as_encoded_bytes()));
    match private_runtime_dir() {
        Some(private) => private.join(name),
        // Nowhere safe: the long path fails to bind, and `serve_problem` says so.
        None => inside,
    }
}

/// A directory only this user can use, for sockets whose data dir path is too long.
#[allow(unsafe_code, reason = "geteuid: libc has no safe wrapper")]
fn private_runtime_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(run) if run.is_absolute() => run.join("tidings"),
        _ => std::env::temp_dir().join(format!("tidings-{uid}")),
    };
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o077 == 0;
    (private && dir.join("x").as_os_str().len() + 22 <= MAX_SOCKET_PATH).then_some(dir)
}

fn unexpected(reply: Reply) -> EngineError {
    let name = format!("{reply:?}");
    let name = name.split(['(', ' ', '{']).next().unwrap_or("?");
    EngineError::Failed(format!(
        "the store answered with an unexpected {name}; is another tidings version running?"
    ))
}

impl Inner {
    fn new(dir: &Path, options: EngineOptions, runtime: tokio::runtime::Handle) -> Inner {
        let (events, _) = broadcast::channel(holder::EVENT_BACKLOG);
        // Unique enough among the handles of one data dir: a process id and a clock reading.
        let origin = (u64::from(std::process::id()) << 32)
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
        Inner {
            dir: dir.to_owned(),
            options,
            runtime,
            origin,
            backend: RwLock::new(Backend::Closed),
            events,
            watching: AtomicBool::new(false),
        }
    }

    fn current(&self) -> Backend {
        self.backend.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn unreachable(&self, why: String) -> EngineError {
        EngineError::Unreachable { dir: self.dir.clone(), socket: socket_path(&self.dir), why }
    }

    /// Opens the store, or connects to its holder; retries while a holder does not answer.
    fn hold_or_connect(&self) -> Result<Backend> {
        let deadline = Instant::now() + self.options.wait;
        let mut pause = Duration::from_millis(2);
        loop {
            let why = match Store::open(&self.dir, &self.options.store) {
                Ok(store) => return Ok(self.hold(store)),
                Err(StoreError::Locked(_)) => match Client::connect(&socket_path(&self.dir)) {
                    Ok(client) => return Ok(Backend::Client(Arc::new(client))),
                    Err(ConnectError::Refused(reason)) => return Err(EngineError::Failed(reason)),
                    Err(ConnectError::NoAnswer(e)) => e.to_string(),
                },
                Err(e) => return Err(e.into()),
            };
            if Instant::now() > deadline {
                return Err(self.unreachable(why));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    fn hold(&self, store: Store) -> Backend {
        let holder = Arc::new(Holder::new(
            store,
            self.options.fetch.clone(),
            self.options.store.clone(),
            self.runtime.clone(),
            self.events.clone(),
        ));
        if self.options.build_search_index {
            holder.build_search_index_in_background();
        }
        // Without the socket this process still works; the others wait for it to finish, and
        // `serve_problem` says why.
        let socket = socket_path(&self.dir);
        let (server, serve_problem) = match server::start(holder.clone(), &socket, &self.runtime) {
            Ok(s) => (Some(s), None),
            Err(e) => {
                (None, Some(format!("cannot serve {} to other tidings processes: {e}", socket.display())))
            }
        };
        Backend::Holding(Arc::new(Holding { _server: server, holder, serve_problem }))
    }

    /// The holder `lost` stopped answering: connect to the new one or take the store over.
    fn reconnect(&self, lost: &Arc<Client>) -> Result<()> {
        let mut backend = self.backend.write().unwrap_or_else(PoisonError::into_inner);
        match &*backend {
            // Another thread got there first.
            Backend::Client(c) if !Arc::ptr_eq(c, lost) => return Ok(()),
            Backend::Holding(_) | Backend::Closed => return Ok(()),
            Backend::Client(_) => {}
        }
        *backend = self.hold_or_connect()?;
        // Told before the lock is let go, so that a request sent again after the loss (a
        // refresh the reader asked for) announces its start after this, not before: the
        // reader drops the progress of a lost refresh on this event, and must not drop the
        // new one's.
        let _ = self.events.send(Event { origin: 0, change: Change::Reconnected });
        drop(backend);
        Ok(())
    }

    /// Copies a remote holder's events into `events` until this process holds the store
    /// itself (its holder writes there directly) or closes.
    fn watch(&self) {
        loop {
            let client = match self.current() {
                Backend::Client(c) => c,
                Backend::Holding(_) | Backend::Closed => return,
            };
            let events = self.events.clone();
            let watched = client.watch(self.origin, &mut |event| {
                let _ = events.send(event);
            });
            if let Err(ConnectError::Refused(_)) = watched {
                return;
            }
            // The holder is gone (or never answered this connection): find the next one.
            if self.reconnect(&client).is_err() {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

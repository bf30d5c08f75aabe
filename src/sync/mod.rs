//! Two-way sync of subscriptions and read/starred state with a sync server.
//!
//! What a sync does, in this order (see [`run_with`]):
//! 1. **Push**: every queued local flag change (the outbox, written in the same sled
//!    transaction as the flag itself, see `store::sync_state`) goes to the server; an entry is
//!    removed only once the server acknowledged it, and flushed, so a kill at any point sends
//!    at most a change again, and the server's flag operations are idempotent (setting "read"
//!    twice is reading once). A change the server refuses for good is dropped and logged.
//! 2. **Subscriptions**: the server's feeds become local feeds (matched by URL, categories
//!    become tags); a synced feed that was removed here stays removed (it is remembered, not
//!    added back).
//! 3. **Items**: only those above the highest server id pulled so far, page by page; each page
//!    is stored per feed with the same merge as a refresh, then the high-water mark moves.
//! 4. **Flags**: the server's unread and starred ids set the flags of every synced article
//!    that has no change of its own still queued (a queued local change is newer than what
//!    the server says, or it would have been sent in step 1).
//!
//! Each server's API is one module behind [`SyncApi`] ([`fever`]); the algorithm here knows
//! none of them. The account (kind, URL, user) lives in the store's `sync` tree; the secret
//! (Fever's api_key, which is a hash of the password, never the password itself) in
//! `sync.secret` in the data dir, mode 0600.

pub mod fever;
mod http;
pub(crate) mod password;
pub(crate) mod ttrss;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::FeedId;
use crate::store::{
    FeedUpdate, FetchRecord, FetchResult, FlagOrigin, Mark, NewFeed, OutboxEntry, PreparedArticle, Store,
    StoreSettings, SyncMeta,
};

/// The file beside the database that holds the account's secret.
pub(crate) const SECRET_FILE: &str = "sync.secret";

/// The sync servers tidings speaks.
pub(crate) const KINDS: &[&str] = &["fever", "ttrss"];

/// Runs `$body` with `$api` bound to the concrete client (the trait is used generically).
macro_rules! with_api {
    ($client:expr, $api:ident => $body:expr) => {
        match $client {
            Api::Fever($api) => $body,
            Api::TtRss($api) => $body,
        }
    };
}

/// Why a sync (or one request of it) failed. Each message says what to do next.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SyncError {
    #[error(
        "the server at {url} refused the credentials of {user}; run `tidings sync add` again with \
         the right password"
    )]
    Auth { url: String, user: String },
    #[error("cannot reach the sync server at {url}: {why}; queued changes wait for the next sync")]
    Unreachable { url: String, why: String },
    #[error("the sync server at {url} {what}")]
    Protocol { url: String, what: String },
    #[error("{0}")]
    Local(String),
}

impl From<crate::store::StoreError> for SyncError {
    fn from(e: crate::store::StoreError) -> Self {
        SyncError::Local(e.to_string())
    }
}

/// A subscription on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteFeed {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) site_url: Option<String>,
    /// Category (group) names: they become the local feed's tags.
    pub(crate) categories: Vec<String>,
}

/// An item on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RemoteItem {
    pub(crate) id: u64,
    pub(crate) feed: u64,
    pub(crate) title: String,
    pub(crate) author: Option<String>,
    pub(crate) html: String,
    pub(crate) url: Option<String>,
    pub(crate) read: bool,
    pub(crate) starred: bool,
    /// Unix seconds.
    pub(crate) published: Option<i64>,
}

/// What the server did with one flag change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sent {
    Done,
    /// Refused for good (the item is gone, say): dropped, with the reason logged.
    Rejected(String),
}

/// What the server did with a subscription asked for here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerAnswer {
    Done,
    /// The API has no such call (Fever): the feed stays local.
    Unsupported,
    Refused(String),
}

/// One sync server's API. Every call is one or a few HTTP requests; errors that mean "try
/// again later" are [`SyncError::Unreachable`].
#[allow(async_fn_in_trait, reason = "used generically inside the crate, never as `dyn`")]
pub(crate) trait SyncApi {
    /// Checks the credentials (and opens a session where the API has them).
    async fn login(&mut self) -> Result<(), SyncError>;
    async fn subscriptions(&mut self) -> Result<Vec<RemoteFeed>, SyncError>;
    /// The next page of items with ids above `since`; empty when there are no more. `top` is
    /// the highest id this pull has received so far and `seen` how many items: an API pages
    /// by one or the other.
    async fn items_page(&mut self, since: u64, top: u64, seen: usize) -> Result<Vec<RemoteItem>, SyncError>;
    /// True when pages come in id order (`top` pages), so that the high-water mark can be
    /// saved after each page; otherwise it is saved once every page has arrived.
    fn pages_in_id_order(&self) -> bool;
    /// Unread counts per server feed, when the API gives them in one cheap call: then only
    /// the feeds whose count differs from ours are asked for their unread ids.
    async fn unread_counts(&mut self) -> Result<Option<HashMap<u64, u64>>, SyncError>;
    /// The unread item ids of these server feeds, or of all (`None`). An API that cannot ask
    /// per feed answers for all.
    async fn unread_ids(&mut self, feeds: Option<&[u64]>) -> Result<HashSet<u64>, SyncError>;
    async fn starred_ids(&mut self) -> Result<HashSet<u64>, SyncError>;
    /// How many items one [`SyncApi::send`] may carry.
    fn batch_size(&self) -> usize;
    /// Sets one flag on the server for every item of `items` (at most `batch_size`); one
    /// [`Sent`] per item. An error means none of them is known to have arrived.
    async fn send(&mut self, items: &[u64], mark: Mark) -> Result<Vec<Sent>, SyncError>;
    async fn subscribe(&mut self, url: &str) -> Result<ServerAnswer, SyncError>;
    /// Unsubscribes a server feed; `Unsupported` where the API cannot.
    async fn unsubscribe(&mut self, server_feed: u64) -> Result<ServerAnswer, SyncError>;
    /// Requests made, response bytes read and time spent waiting for the server, so far.
    fn traffic(&self) -> (u64, u64, std::time::Duration);
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub(crate) feeds_added: u64,
    pub(crate) new_articles: u64,
    /// Flags changed here because the server's differed.
    pub(crate) flags_pulled: u64,
    /// Local changes the server acknowledged.
    pub(crate) pushed: u64,
    /// Local changes the server refused for good (dropped).
    pub(crate) rejected: u64,
    /// Local changes still waiting for the server.
    pub(crate) queued: u64,
    pub(crate) requests: u64,
    pub(crate) bytes: u64,
    pub(crate) elapsed_ms: u64,
    /// Of `elapsed_ms`, the time spent waiting for the server's answers.
    pub(crate) server_ms: u64,
    /// Things the user should know (a feed removed here that the server still has).
    pub(crate) notes: Vec<String>,
    /// Why the sync stopped early; what was done before it stays done.
    pub(crate) error: Option<String>,
}

impl SyncSummary {
    /// One line for the user: what the sync did, or why it stopped.
    pub fn line(&self) -> String {
        use crate::words::plural;
        let done = format!(
            "{} added, {}, {} changed by the server, {} sent{}, {} queued",
            plural(self.feeds_added, "feed"),
            plural(self.new_articles, "new article"),
            plural(self.flags_pulled, "flag"),
            plural(self.pushed, "change"),
            if self.rejected > 0 {
                format!(" ({} refused by the server, dropped)", self.rejected)
            } else {
                String::new()
            },
            self.queued,
        );
        match &self.error {
            Some(e) => format!("sync failed: {e} (before it: {done})"),
            None => format!("synced in {:.2} s: {done}", self.elapsed_ms as f64 / 1000.0),
        }
    }
}

impl SyncSummary {
    /// What the sync brought and sent, most telling first, short enough for the reader's
    /// status line at 80 columns (after a refresh's line, or alone).
    pub(crate) fn short_line(&self) -> String {
        if self.error.is_some() {
            return "sync failed".to_owned();
        }
        let mut line = format!(
            "synced: {} new, {} sent, {} from the server",
            self.new_articles, self.pushed, self.flags_pulled
        );
        if self.feeds_added > 0 {
            line.push_str(&format!(", {} added", crate::words::plural(self.feeds_added, "feed")));
        }
        if self.queued > 0 {
            line.push_str(&format!(", {} queued", self.queued));
        }
        line
    }
}

/// How far a running sync has got: the reader shows it in its status line, whichever process
/// runs the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStep {
    /// Sending queued changes: `done` of `total` sent so far.
    Sending { done: u64, total: u64 },
    /// Reading the server's subscriptions.
    Subscriptions,
    /// Reading new articles: `received` so far.
    Articles { received: u64 },
    /// Comparing read and starred flags with the server's.
    Flags,
}

impl SyncStep {
    /// How every step's line starts.
    pub(crate) const PREFIX: &'static str = "syncing: ";

    pub fn line(&self) -> String {
        let what = match self {
            SyncStep::Sending { done, total } => format!("sending changes, {done}/{total}"),
            SyncStep::Subscriptions => "reading the server's subscriptions".to_owned(),
            SyncStep::Articles { received } => {
                format!("{} from the server", crate::words::plural(*received, "article"))
            }
            SyncStep::Flags => "comparing read and starred flags".to_owned(),
        };
        format!("{}{what}", Self::PREFIX)
    }
}

/// Passes a sync's steps on, at most one of a stage every [`Reporter::EVERY`] (a first sync reads pages
/// faster than a status line needs to change), new stages always.
pub(crate) struct Reporter<'a> {
    report: &'a dyn Fn(SyncStep),
    every: std::time::Duration,
    last: std::cell::Cell<Option<(std::time::Instant, std::mem::Discriminant<SyncStep>)>>,
}

impl<'a> Reporter<'a> {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(150);

    pub(crate) fn new(report: &'a dyn Fn(SyncStep)) -> Reporter<'a> {
        Reporter::every(report, Self::EVERY)
    }

    /// One that passes on a step of the same stage only `every` after the last (tests choose it,
    /// so that what they see does not hang on how fast the machine is).
    pub(crate) fn every(report: &'a dyn Fn(SyncStep), every: std::time::Duration) -> Reporter<'a> {
        Reporter { report, every, last: std::cell::Cell::new(None) }
    }

    pub(crate) fn step(&self, step: SyncStep) {
        let now = std::time::Instant::now();
        let stage = std::mem::discriminant(&step);
        if let Some((at, last_stage)) = self.last.get() {
            if last_stage == stage && now.duration_since(at) < self.every {
                return;
            }
        }
        self.last.set(Some((now, stage)));
        (self.report)(step);
    }
}

/// The account and how its syncs went: `tidings sync status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub(crate) kind: String,
    pub(crate) url: String,
    pub(crate) user: String,
    /// Unix seconds of the last sync that finished without error.
    pub(crate) last_sync: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) queued: u64,
    pub(crate) feeds: u64,
    pub(crate) articles: u64,
}

/// What `tidings sync add` sends to the holder: the account and its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub(crate) kind: String,
    pub(crate) url: String,
    pub(crate) user: String,
    pub(crate) secret: Secret,
}

/// What proves the account, as little as the API allows: Fever's key is a hash, but TT-RSS
/// logs in with the password itself, so it keeps the password or the command that prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Secret {
    /// Fever: md5("user:password"), lower-case hex.
    FeverApiKey(String),
    /// TT-RSS: the password.
    Password(String),
    /// TT-RSS: a command (an argv, run without a shell) whose first line is the password,
    /// run at each sync.
    PasswordCommand(Vec<String>),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::FeverApiKey(_) => f.write_str("FeverApiKey(…)"),
            Secret::Password(_) => f.write_str("Password(…)"),
            Secret::PasswordCommand(argv) => write!(f, "PasswordCommand({argv:?})"),
        }
    }
}

impl Secret {
    /// The secret for `kind` from the user's password.
    pub(crate) fn from_password(kind: &str, user: &str, password: &str) -> Result<Secret, String> {
        match kind {
            "fever" => Ok(Secret::FeverApiKey(fever::api_key(user, password))),
            "ttrss" => Ok(Secret::Password(password.to_owned())),
            other => Err(unknown_kind(other)),
        }
    }
}

fn unknown_kind(kind: &str) -> String {
    format!("unknown sync server kind `{}`: use one of {}", crate::sanitize::line(kind), KINDS.join(", "))
}

fn secret_path(dir: &Path) -> PathBuf {
    dir.join(SECRET_FILE)
}

/// Writes the secret readable by this user only (created 0600, then renamed into place, so
/// no reader ever sees a half-written or world-readable file).
pub(crate) fn write_secret(dir: &Path, secret: &Secret) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = dir.join(format!("{SECRET_FILE}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    file.write_all(&serde_json::to_vec(secret).map_err(std::io::Error::other)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, secret_path(dir))
}

fn read_secret(dir: &Path) -> Result<Secret, SyncError> {
    let path = secret_path(dir);
    let bytes = std::fs::read(&path).map_err(|e| {
        SyncError::Local(format!(
            "cannot read the sync account's secret {} ({e}); run `tidings sync add` again",
            path.display()
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        SyncError::Local(format!("{} is damaged ({e}); run `tidings sync add` again", path.display()))
    })
}

/// Forgets the account: its state in the store and its secret. Feeds and articles stay, as
/// local feeds.
pub(crate) fn remove_account(store: &Store) -> Result<Option<SyncStatus>, SyncError> {
    let status = status(store)?;
    store.forget_sync()?;
    let _ = std::fs::remove_file(secret_path(store.dir()));
    Ok(status)
}

pub(crate) fn status(store: &Store) -> Result<Option<SyncStatus>, SyncError> {
    let Some(meta) = store.sync_meta()? else { return Ok(None) };
    Ok(Some(SyncStatus {
        kind: meta.kind,
        url: meta.url,
        user: meta.user,
        last_sync: meta.last_sync,
        last_error: meta.last_error,
        queued: store.outbox_len() as u64,
        feeds: store.synced_feeds()?.len() as u64,
        articles: store.synced_articles()?.len() as u64,
    }))
}

/// Checks the account with the server, then stores it (replacing any other account: one
/// account per data dir).
pub(crate) async fn add_account(
    store: &Store,
    client: reqwest::Client,
    cap: u64,
    account: NewAccount,
) -> Result<SyncStatus, SyncError> {
    let mut api = connect(client, cap, &account.kind, &account.url, &account.user, &account.secret)?;
    with_api!(&mut api, api => api.login().await)?;
    if let Some(old) = store.sync_meta()? {
        if old.kind != account.kind || old.url != account.url || old.user != account.user {
            // Server ids of another account mean nothing to this one.
            store.forget_sync()?;
        }
    }
    write_secret(store.dir(), &account.secret)
        .map_err(|e| SyncError::Local(format!("cannot write {}: {e}", secret_path(store.dir()).display())))?;
    let mut meta = store.sync_meta()?.unwrap_or_default();
    meta.kind = account.kind;
    meta.url = account.url;
    meta.user = account.user;
    meta.last_error = None;
    store.set_sync_meta(&meta)?;
    store.flush()?;
    status(store).map(Option::unwrap_or_default)
}

/// The account's API client, whichever server it is.
enum Api {
    Fever(fever::Fever),
    TtRss(ttrss::TtRss),
}

fn connect(
    client: reqwest::Client,
    cap: u64,
    kind: &str,
    url: &str,
    user: &str,
    secret: &Secret,
) -> Result<Api, SyncError> {
    match (kind, secret) {
        ("fever", Secret::FeverApiKey(key)) => {
            Ok(Api::Fever(fever::Fever::new(client, cap, url, user, key)?))
        }
        ("ttrss", Secret::Password(password)) => {
            Ok(Api::TtRss(ttrss::TtRss::new(client, cap, url, user, password)?))
        }
        ("ttrss", Secret::PasswordCommand(argv)) => {
            let password = password::run_command(argv).map_err(SyncError::Local)?;
            Ok(Api::TtRss(ttrss::TtRss::new(client, cap, url, user, &password)?))
        }
        ("fever" | "ttrss", _) => Err(SyncError::Local(
            "the sync account's secret does not fit its kind; run `tidings sync add` again".into(),
        )),
        (other, _) => Err(SyncError::Local(format!("{}; run `tidings sync add` again", unknown_kind(other)))),
    }
}

fn account(store: &Store) -> Result<Option<(SyncMeta, Secret)>, SyncError> {
    let Some(meta) = store.sync_meta()? else { return Ok(None) };
    let secret = read_secret(store.dir())?;
    Ok(Some((meta, secret)))
}

/// Asks the server to subscribe a feed just added here. `None`: no account. The text says
/// what happened, for the user.
pub(crate) async fn subscribe_remote(
    store: &Store,
    client: reqwest::Client,
    cap: u64,
    url: &str,
) -> Option<String> {
    let (meta, secret) = match account(store) {
        Ok(Some(a)) => a,
        Ok(None) => return None,
        Err(e) => return Some(format!("not subscribed on the sync server: {e}")),
    };
    let outcome = match connect(client, cap, &meta.kind, &meta.url, &meta.user, &secret) {
        Ok(mut api) => with_api!(&mut api, api => api.subscribe(url).await),
        Err(e) => Err(e),
    };
    Some(match outcome {
        Ok(ServerAnswer::Done) => "subscribed on the sync server too; the next sync links it".to_owned(),
        Ok(ServerAnswer::Unsupported) => format!(
            "it stays a local feed: the {} API cannot subscribe (subscribe on the server to sync it)",
            meta.kind
        ),
        Ok(ServerAnswer::Refused(why)) => {
            format!("the sync server did not subscribe it ({why}); it stays a local feed")
        }
        Err(e) => format!("not subscribed on the sync server: {e}"),
    })
}

/// Asks the server to unsubscribe a feed just removed here. `None`: it was not the
/// server's. When the server cannot be told, the next sync remembers not to add it back.
pub(crate) async fn unsubscribe_remote(
    store: &Store,
    client: reqwest::Client,
    cap: u64,
    server_feed: u64,
) -> Option<String> {
    let (meta, secret) = account(store).ok().flatten()?;
    let outcome = match connect(client, cap, &meta.kind, &meta.url, &meta.user, &secret) {
        Ok(mut api) => with_api!(&mut api, api => api.unsubscribe(server_feed).await),
        Err(e) => Err(e),
    };
    Some(match outcome {
        Ok(ServerAnswer::Done) => "unsubscribed on the sync server too".to_owned(),
        Ok(ServerAnswer::Unsupported) => format!(
            "the sync server still has this feed (the {} API cannot unsubscribe): remove it there too",
            meta.kind
        ),
        Ok(ServerAnswer::Refused(why)) | Err(SyncError::Protocol { what: why, .. }) => {
            format!("the sync server still has this feed ({why}): remove it there too")
        }
        Err(e) => format!("the sync server still has this feed ({e}); remove it there too"),
    })
}

/// Syncs the configured account; `None` when there is none. The outcome (error included)
/// is recorded in the account's status.
pub(crate) async fn sync_account(
    store: &Store,
    client: reqwest::Client,
    cap: u64,
    settings: &StoreSettings,
    full: bool,
    progress: &Reporter<'_>,
) -> Option<SyncSummary> {
    let meta = store.sync_meta().ok().flatten()?;
    // Filters are for what a refresh finds: a synced article's flags are the server's.
    let settings = &StoreSettings { filters: Vec::new(), ..settings.clone() };
    let started = std::time::Instant::now();
    let outcome = match read_secret(store.dir())
        .and_then(|secret| connect(client, cap, &meta.kind, &meta.url, &meta.user, &secret))
    {
        Ok(mut api) => {
            let mut summary = SyncSummary::default();
            let result = with_api!(&mut api, api => {
                let result = run_with(api, store, settings, full, &mut summary, progress).await;
                let (requests, bytes, waited) = api.traffic();
                (summary.requests, summary.bytes, summary.server_ms) = (requests, bytes, waited.as_millis() as u64);
                result
            });
            result.map(|()| summary)
        }
        Err(e) => Err(e),
    };
    let mut summary = match outcome {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(target: "tidings", "sync with {}: {e}", crate::sanitize::line(&meta.url));
            SyncSummary { error: Some(e.to_string()), ..Default::default() }
        }
    };
    summary.queued = store.outbox_len() as u64;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    // Re-read: the sync moved `since_id`.
    let mut meta = store.sync_meta().ok().flatten().unwrap_or(meta);
    meta.last_error = summary.error.clone();
    if summary.error.is_none() {
        meta.last_sync = Some(chrono::Utc::now().timestamp());
    }
    let _ = store.set_sync_meta(&meta);
    let _ = store.flush();
    Some(summary)
}

/// One sync (see the module comment); `summary` holds what was done even when it fails.
#[cfg(test)]
pub(crate) async fn run<A: SyncApi>(
    api: &mut A,
    store: &Store,
    settings: &StoreSettings,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    run_with(api, store, settings, false, summary, &Reporter::new(&|_| {})).await
}

/// How often a sync compares every article's flags, where the API lets the others compare
/// only the feeds whose unread counts differ (a read and an unread in one feed leave its
/// count as it was).
pub(crate) const FULL_FLAGS_EVERY_SECS: i64 = 3600;

/// One sync (see the module comment); `summary` holds what was done even when it fails.
/// `full` compares every article's flags whatever the unread counts say.
pub(crate) async fn run_with<A: SyncApi>(
    api: &mut A,
    store: &Store,
    settings: &StoreSettings,
    full: bool,
    summary: &mut SyncSummary,
    progress: &Reporter<'_>,
) -> Result<(), SyncError> {
    api.login().await?;
    push(api, store, summary, progress).await?;
    progress.step(SyncStep::Subscriptions);
    let linked = pull_subscriptions(api, store, summary).await?;
    // The first pull brings every item with its flags: nothing is left to compare.
    let first = store.sync_meta()?.is_some_and(|m| m.since_id == 0);
    pull_items(api, store, settings, &linked, summary, progress).await?;
    let now = chrono::Utc::now().timestamp();
    let full = full
        || first
        || store
            .sync_meta()?
            .and_then(|m| m.full_flags_at)
            .is_none_or(|at| now - at >= FULL_FLAGS_EVERY_SECS);
    if !first {
        progress.step(SyncStep::Flags);
        pull_flags(api, store, &linked, full, summary).await?;
    }
    if full {
        if let Some(mut meta) = store.sync_meta()? {
            meta.full_flags_at = Some(now);
            store.set_sync_meta(&meta)?;
        }
    }
    Ok(())
}

/// The flag a mark sets: a later change of the same flag of the same item replaces an
/// earlier one, so only the last is sent.
fn flag_of(mark: Mark) -> u8 {
    match mark {
        Mark::Read | Mark::Unread => 0,
        Mark::Star | Mark::Unstar => 1,
    }
}

/// The last queued change of an item's flag, and every outbox entry it stands for.
type Queued = (OutboxEntry, Vec<u64>);

/// Sends the outbox, oldest first, one flag change per item and flag.
async fn push<A: SyncApi>(
    api: &mut A,
    store: &Store,
    summary: &mut SyncSummary,
    progress: &Reporter<'_>,
) -> Result<(), SyncError> {
    let outbox = store.outbox()?;
    if outbox.is_empty() {
        return Ok(());
    }
    // (item, flag) -> (the last entry, every seq it stands for)
    let mut last: HashMap<(u64, u8), Queued> = HashMap::new();
    let mut order = Vec::new();
    for (seq, entry) in outbox {
        let k = (entry.item, flag_of(entry.mark));
        match last.get_mut(&k) {
            Some((e, seqs)) => {
                *e = entry;
                seqs.push(seq);
            }
            None => {
                order.push(k);
                last.insert(k, (entry, vec![seq]));
            }
        }
    }
    // One request carries one kind of change: group the survivors by mark, oldest first.
    let mut by_mark: Vec<(Mark, Vec<Queued>)> = Vec::new();
    for k in order {
        let Some((entry, seqs)) = last.remove(&k) else { continue };
        match by_mark.iter_mut().find(|(m, _)| *m == entry.mark) {
            Some((_, group)) => group.push((entry, seqs)),
            None => by_mark.push((entry.mark, vec![(entry, seqs)])),
        }
    }
    /// Acknowledged entries are removed (and flushed) at least this often.
    const REMOVE_EVERY: usize = 50;
    let mut acked = Vec::new();
    let total = by_mark.iter().map(|(_, group)| group.len() as u64).sum();
    let mut done = 0;
    for (mark, group) in by_mark {
        for batch in group.chunks(api.batch_size().max(1)) {
            progress.step(SyncStep::Sending { done, total });
            done += batch.len() as u64;
            let items: Vec<u64> = batch.iter().map(|(e, _)| e.item).collect();
            let outcomes = match api.send(&items, mark).await {
                Ok(o) => o,
                Err(e) => {
                    store.outbox_remove(&acked)?;
                    return Err(e);
                }
            };
            for ((entry, seqs), outcome) in batch.iter().zip(outcomes) {
                match outcome {
                    Sent::Done => summary.pushed += 1,
                    Sent::Rejected(why) => {
                        summary.rejected += 1;
                        tracing::warn!(
                            target: "tidings",
                            "sync: the server refused {:?} of item {} (article {}): {}; dropped",
                            entry.mark,
                            entry.item,
                            entry.article,
                            crate::sanitize::line(&why)
                        );
                    }
                }
                acked.extend(seqs);
            }
            if acked.len() >= REMOVE_EVERY {
                store.outbox_remove(&acked)?;
                acked.clear();
            }
        }
    }
    store.outbox_remove(&acked)?;
    Ok(())
}

/// The server's feeds as this sync sees them.
struct Linked {
    /// Server feed id -> the local feed and the server's description of it.
    feeds: HashMap<u64, (FeedId, RemoteFeed)>,
    /// Local feeds that existed before this sync linked them to the server: their articles
    /// (fetched here, keyed by their GUIDs) are matched to the server's items by link.
    adopted: HashSet<FeedId>,
}

async fn pull_subscriptions<A: SyncApi>(
    api: &mut A,
    store: &Store,
    summary: &mut SyncSummary,
) -> Result<Linked, SyncError> {
    let remote = api.subscriptions().await?;
    let linked: HashMap<u64, FeedId> = store.synced_feeds()?.into_iter().map(|(f, s)| (s, f)).collect();
    let ignored = store.ignored_server_feeds()?;
    let mut out = Linked { feeds: HashMap::new(), adopted: HashSet::new() };
    let remote_ids: HashSet<u64> = remote.iter().map(|f| f.id).collect();
    for feed in remote {
        if ignored.contains(&feed.id) {
            continue;
        }
        let local = match linked.get(&feed.id) {
            Some(&local) if store.feed(local)?.is_some() => local,
            Some(&local) => {
                // Removed here since the last sync, and the server could not be told (Fever
                // cannot unsubscribe, or it was unreachable): remember, so that the next sync
                // does not bring it back.
                store.ignore_server_feed(local, feed.id)?;
                summary.notes.push(format!(
                    "{} was removed here; the server still has it (remove it there too)",
                    crate::sanitize::line(&feed.url)
                ));
                continue;
            }
            None => {
                let (id, added) = store.add_feed(NewFeed {
                    url: feed.url.clone(),
                    title: None,
                    tags: feed.categories.clone(),
                    options: Default::default(),
                })?;
                if added {
                    summary.feeds_added += 1;
                } else {
                    out.adopted.insert(id);
                }
                store.link_feed(id, feed.id)?;
                id
            }
        };
        out.feeds.insert(feed.id, (local, feed));
    }
    // Unsubscribed on the server: the local copy stays, as a local feed.
    for (server, local) in linked {
        if !remote_ids.contains(&server) {
            store.unlink_feed(local)?;
        }
    }
    Ok(out)
}

/// The most pages one sync reads: a server that ignores its paging cannot keep it busy.
const MAX_PAGES: usize = 20_000;

/// Items held before they are stored: many pages' worth, so that a feed's items are written
/// in few transactions (a page of TT-RSS spans many feeds), and no more, so that memory stays
/// bounded however many items the server has.
const BUFFER_ITEMS: usize = 5_000;
const BUFFER_BYTES: usize = 16 << 20;

async fn pull_items<A: SyncApi>(
    api: &mut A,
    store: &Store,
    settings: &StoreSettings,
    linked: &Linked,
    summary: &mut SyncSummary,
    progress: &Reporter<'_>,
) -> Result<(), SyncError> {
    let mut meta = store.sync_meta()?.unwrap_or_default();
    let since = meta.since_id;
    let (mut top, mut seen) = (since, 0usize);
    // Link -> key of the adopted feeds' own articles, read once per feed.
    let mut by_link: HashMap<FeedId, HashMap<String, crate::model::ArticleKey>> = HashMap::new();
    let mut held: HashMap<u64, Vec<RemoteItem>> = HashMap::new();
    let (mut held_items, mut held_bytes) = (0usize, 0usize);
    for _ in 0..MAX_PAGES {
        let page = api.items_page(since, top, seen).await?;
        let page_top = page.iter().map(|i| i.id).max().unwrap_or(0);
        if page.is_empty() || (api.pages_in_id_order() && page_top <= top) {
            break;
        }
        seen += page.len();
        top = top.max(page_top);
        progress.step(SyncStep::Articles { received: seen as u64 });
        for item in page {
            held_items += 1;
            held_bytes += item.html.len() + item.title.len();
            held.entry(item.feed).or_default().push(item);
        }
        // An API that pages by id saves its mark after every page, so what it has pulled
        // must be stored by then.
        if api.pages_in_id_order() || held_items >= BUFFER_ITEMS || held_bytes >= BUFFER_BYTES {
            store_held(store, settings, linked, &mut held, &mut by_link, summary)?;
            (held_items, held_bytes) = (0, 0);
        }
        if api.pages_in_id_order() {
            meta.since_id = top;
            store.set_sync_meta(&meta)?;
            // The items and the mark that says they are here are durable together: a kill
            // before this pulls the page again, which the article keys make harmless.
            store.flush()?;
        }
    }
    store_held(store, settings, linked, &mut held, &mut by_link, summary)?;
    meta.since_id = top;
    store.set_sync_meta(&meta)?;
    store.flush()?;
    Ok(())
}

/// Stores the held items, feed by feed, and empties `held`.
fn store_held(
    store: &Store,
    settings: &StoreSettings,
    linked: &Linked,
    held: &mut HashMap<u64, Vec<RemoteItem>>,
    by_link: &mut HashMap<FeedId, HashMap<String, crate::model::ArticleKey>>,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    for (server_feed, items) in held.drain() {
        let Some((local, remote)) = linked.feeds.get(&server_feed) else { continue };
        let adopted = if linked.adopted.contains(local) {
            if !by_link.contains_key(local) {
                by_link.insert(*local, links_of(store, *local)?);
            }
            by_link.get(local)
        } else {
            None
        };
        summary.new_articles += store_items(store, settings, *local, remote, items, adopted)?;
    }
    Ok(())
}

/// Link -> identity of a feed's stored articles.
fn links_of(store: &Store, feed: FeedId) -> Result<HashMap<String, crate::model::ArticleKey>, SyncError> {
    let q = crate::store::ArticleQuery { feed: Some(feed), ..Default::default() };
    Ok(store.articles(&q)?.into_iter().filter_map(|a| Some((a.meta.link?, a.meta.key))).collect())
}

/// Stores one feed's items of a page, links them to their server ids and sets their flags
/// as the server has them. An item whose link is an article the feed already had here takes
/// that article's identity. Returns how many were new.
fn store_items(
    store: &Store,
    settings: &StoreSettings,
    feed: FeedId,
    remote: &RemoteFeed,
    items: Vec<RemoteItem>,
    adopted: Option<&HashMap<String, crate::model::ArticleKey>>,
) -> Result<u64, SyncError> {
    let now = chrono::Utc::now();
    let base = remote.site_url.as_deref().unwrap_or(&remote.url);
    let mut parsed = Vec::with_capacity(items.len());
    for item in &items {
        let guid = format!("sync:{}", item.id);
        let mut article = crate::parse::article_from_remote(
            &crate::parse::RemoteArticle {
                guid: &guid,
                title: &item.title,
                link: item.url.as_deref(),
                author: item.author.as_deref(),
                html: &item.html,
                published: item.published,
                base: Some(base),
            },
            now,
        );
        if let Some(key) = adopted.zip(article.link.as_ref()).and_then(|(m, l)| m.get(l)) {
            article.key = *key;
        }
        parsed.push(article);
    }
    let keys: Vec<_> = parsed.iter().map(|a| a.key).collect();
    let update = FeedUpdate {
        feed_title: crate::sanitize::line(&remote.title),
        site_link: remote.site_url.clone(),
        etag: None,
        last_modified: None,
        moved_to: None,
        articles: parsed.into_iter().map(PreparedArticle::new).collect(),
    };
    let record = FetchRecord {
        started_ms: now.timestamp_millis(),
        status: Some(200),
        notes: vec!["from the sync server".to_owned()],
        ..Default::default()
    };
    let stats = store.apply_fetch(feed, FetchResult::Updated(update), record, settings, now.timestamp())?;
    let (mut read, mut unread, mut starred, mut unstarred) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (item, key) in items.iter().zip(keys) {
        // Not stored: retention dropped it, or the key is a tombstone.
        let Some(article) = store.article_by_key(feed, &key)? else { continue };
        store.link_item(article, item.id)?;
        (if item.read { &mut read } else { &mut unread }).push(article);
        (if item.starred { &mut starred } else { &mut unstarred }).push(article);
    }
    // An adopted article may have been read here already; the server's flags win at the
    // link, as they would at any later sync.
    store.mark_as(&read, Mark::Read, FlagOrigin::Server)?;
    store.mark_as(&unread, Mark::Unread, FlagOrigin::Server)?;
    store.mark_as(&starred, Mark::Star, FlagOrigin::Server)?;
    store.mark_as(&unstarred, Mark::Unstar, FlagOrigin::Server)?;
    Ok(stats.new)
}

/// Makes every synced article's flags what the server says, except where a local change is
/// still queued. Where the server gives unread counts per feed, only the feeds whose count
/// differs from ours are compared article by article.
async fn pull_flags<A: SyncApi>(
    api: &mut A,
    store: &Store,
    linked: &Linked,
    full: bool,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    // The local feeds to compare (`None`: all).
    let mut compare: Option<HashSet<FeedId>> = None;
    let counts = if full { None } else { api.unread_counts().await? };
    let unread = match counts {
        Some(counts) => {
            let mut differ = Vec::new();
            let mut locals = HashSet::new();
            for (server, (local, _)) in &linked.feeds {
                let ours = store.counts(*local)?.unread;
                if counts.get(server).copied().unwrap_or(0) != ours {
                    differ.push(*server);
                    locals.insert(*local);
                }
            }
            compare = Some(locals);
            if differ.is_empty() {
                HashSet::new()
            } else {
                api.unread_ids(Some(&differ)).await?
            }
        }
        None => api.unread_ids(None).await?,
    };
    let starred = api.starred_ids().await?;
    let pending: HashSet<(u64, u8)> =
        store.outbox()?.into_iter().map(|(_, e)| (e.item, flag_of(e.mark))).collect();
    let mut want: HashMap<Mark, Vec<crate::model::ArticleId>> = HashMap::new();
    for (article, item) in store.synced_articles()? {
        let Some((flags, feed)) = store.flags_and_feed_of(article)? else { continue };
        let read_known = compare.as_ref().is_none_or(|feeds| feeds.contains(&feed));
        if read_known && !pending.contains(&(item, 0)) {
            let read = !unread.contains(&item);
            if read != flags.read {
                want.entry(if read { Mark::Read } else { Mark::Unread }).or_default().push(article);
            }
        }
        if !pending.contains(&(item, 1)) {
            let star = starred.contains(&item);
            if star != flags.starred {
                want.entry(if star { Mark::Star } else { Mark::Unstar }).or_default().push(article);
            }
        }
    }
    for (mark, ids) in want {
        summary.flags_pulled += store.mark_as(&ids, mark, FlagOrigin::Server)?.len() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! The sled database: feeds, articles, bodies, flags, article tags, counters and each feed's
//! fetch log.
//!
//! Contract: every change that belongs together is one sled transaction, so a crash (even
//! `kill -9`) never leaves half a feed, a flag without its counter, or an index entry without
//! its record. Lists never read bodies; nothing ever counts a tree (counters are kept).
//! One exception keeps memory bounded: a merge of more than 500 articles is written in
//! journaled chunks that the feed's final transaction switches in, and `open` rolls back
//! chunks a kill left unswitched (see `chunked`), so a feed is still updated all or nothing.
//! Likewise a feed of more than 500 articles is removed in chunks after its record, under a
//! `removing/` marker that `open` finishes (see `removal`): gone at once, then entirely.
//! All writes of one process go through one `Store` (sled locks the directory), and a
//! refresh's writes are issued by a single writer, so the reads a write plans from (prefix
//! scans, which sled transactions cannot do) are still true when the transaction runs.
//!
//! Damage: every write transaction also counts itself and the feed and article records it
//! adds or removes (`meta`'s `records`), and each `flush` leaves a stamp of those numbers
//! beside the database (see `datadir`). A crash loses at most what was written after the last
//! flush, so the database sled recovers is never behind its stamp; one that is behind (or
//! comes back empty) lost saved data, and `open` refuses it with [`StoreError::Damaged`]
//! instead of showing it as new. [`Store::repair`] keeps what can still be read.

mod chunked;
mod codec;
pub(crate) mod datadir;
mod feed_order;
mod kept;
mod query_feeds;
mod records;
mod removal;
mod repair;
mod sync_state;
pub(crate) use query_feeds::{with_config as query_feeds_with_config, QueryFeed};
pub(crate) use sync_state::{FlagOrigin, OutboxEntry, SyncMeta};

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

pub use codec::Counts;
pub(crate) use codec::{compress_body, decompress_body, read_u64, Records};
pub use datadir::STAMP_FILE;
pub use records::*;
pub use repair::RepairReport;

use crate::model::{ArticleId, ArticleKey, FeedId};
use codec::{
    article_key, date_bits, date_from_bits, date_index_key, decode, encode, feed_index_key, feed_key,
    fetch_log_key, identity_key,
};
use datadir::{DirState, Stamp};

/// The schema this build writes. Bump it, and add a step to [`Store::migrate`], whenever a
/// tree's layout or a record's encoding changes.
///
/// 2: `meta` keeps `records` (see [`Records`]).
/// 3: the `article_tags` tree (an article's own tags, see [`Store::article_tags`]). An older
///    build would remove articles without their tags and repair them away, so it is refused.
pub const SCHEMA_VERSION: u64 = 3;

/// The `meta` key of the [`Records`] value.
pub(crate) const RECORDS_KEY: &str = "records";

/// How many fetch records are kept per feed.
pub const FETCH_LOG_LEN: usize = 20;

/// `article_keys` value meaning "this article was dropped by retention": remembered so that a
/// refetch does not bring an old article back as new and unread.
const TOMBSTONE: u64 = 0;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("another tidings is using {0} (close it first, or give this one its own --data-dir)")]
    Locked(PathBuf),
    #[error(
        "the database in {dir} cannot be opened: {reason}. Your data is still on disk; \
         move the directory aside to start fresh, or report this with the log"
    )]
    Unreadable { dir: PathBuf, reason: String },
    #[error("the database in {dir} was written by a newer tidings (schema {found}, this one knows up to {SCHEMA_VERSION}); upgrade tidings")]
    TooNew { dir: PathBuf, found: u64 },
    #[error(
        "the database in {dir} is damaged: {reason}. Restore the directory from a backup, or run \
         `tidings check --repair` to keep what can still be read"
    )]
    Damaged { dir: PathBuf, reason: String },
    #[error(
        "the database in {dir} cannot be repaired: {reason}. Restore the directory from a backup, \
         or move it aside to start with an empty one"
    )]
    Unrepairable { dir: PathBuf, reason: String },
    #[error(
        "{dir} is not a tidings data directory: it holds other files (such as `{found}`) and no \
         tidings database, and tidings will not write its database among them; give --data-dir \
         an empty or new directory"
    )]
    NotADataDir { dir: PathBuf, found: String },
    #[error("database is damaged: {0}")]
    Corrupt(String),
    #[error("no feed with id or URL {0} (see `tidings feeds`)")]
    NoSuchFeed(String),
    #[error("no article {0}; `tidings articles` lists them")]
    NoSuchArticle(ArticleId),
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

/// Store tuning taken from `config.toml`'s `[store]` table.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Keep at most this many articles per feed (starred ones are never dropped); 0 = no limit.
    pub max_articles_per_feed: usize,
    /// Drop articles older than this many days (starred ones are never dropped); 0 = never.
    pub keep_days: u32,
    /// sled's page cache, in MiB. Memory use grows with it, so it is set, not left at 1 GiB.
    pub cache_mib: u64,
    /// config.toml's `[[filter]]`s (not a key of `[store]`): applied to new articles.
    #[serde(skip)]
    pub filters: Vec<crate::query::Filter>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings { max_articles_per_feed: 0, keep_days: 0, cache_mib: 8, filters: Vec::new() }
    }
}

/// The open database. Cheap to clone; all clones share one sled handle.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    pub(crate) meta: sled::Tree,
    feeds: sled::Tree,
    feed_urls: sled::Tree,
    pub(crate) articles: sled::Tree,
    bodies: sled::Tree,
    article_keys: sled::Tree,
    pub(crate) feed_index: sled::Tree,
    date_index: sled::Tree,
    pub(crate) flags: sled::Tree,
    counters: sled::Tree,
    fetch_log: sled::Tree,
    /// Article id -> the article's own tags (given by `[[filter]]`s), sorted; no record for
    /// an article without any. Kept apart from `articles` so a refetch, which rewrites the
    /// article record, never touches them, and removed with the article.
    article_tags: sled::Tree,
    /// Sync state: the outbox of flag changes for the server, server ids, since_id (see
    /// `sync_state`). Not one of `all_trees`: a store without an account never touches it.
    sync: sled::Tree,
    /// Articles whose search postings are not up to date: written in the same transaction as
    /// the article change, emptied by `search::catch_up` (see `crate::search`).
    pub(crate) search_pending: sled::Tree,
    /// The search index's postings, per-article entries and term numbers, laid out by
    /// `crate::search::index`.
    pub(crate) search_postings: sled::Tree,
    pub(crate) search_docs: sled::Tree,
    pub(crate) search_terms: sled::Tree,
    /// Which articles' bodies may hold a piece of text, by trigram (`crate::search::grams`).
    pub(crate) search_grams: sled::Tree,
    /// Held while the search index catches up: one catch-up at a time, and what catch-ups
    /// keep between them.
    pub(crate) search_turn: Arc<Mutex<crate::search::index::Turn>>,
    /// How many times this process started building the search index afresh: what lets a
    /// reader of its trigram bits, which does not wait for a build, see that one cleared them.
    pub(crate) search_builds: Arc<std::sync::atomic::AtomicU64>,
    /// Set while a catch-up drains the pending list (a build: every article): a refresh's
    /// catch-up leaves its articles to it instead of waiting for it.
    pub(crate) search_draining: Arc<std::sync::atomic::AtomicBool>,
    /// Every article's metadata that queries test, folded, with its flags, by bucket of ids;
    /// and the articles whose entry is not up to date, marked by the write that changes them
    /// (see `crate::query::packs`).
    pub(crate) packs: sled::Tree,
    pub(crate) packs_pending: sled::Tree,
    /// Held while the packs catch up: one catch-up at a time.
    pub(crate) packs_turn: Arc<Mutex<()>>,
    /// Held while flushing and stamping, so stamps are written in the order of the states
    /// they describe.
    stamping: Arc<Mutex<()>>,
    /// Feeds this process is removing in chunks: their articles left are not listed (see
    /// `removal`).
    removing: Arc<RwLock<HashSet<FeedId>>>,
}

/// Read and starred bits, stored with the owning feed so marking needs no article record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Flags {
    pub read: bool,
    pub starred: bool,
}

impl Flags {
    pub(crate) fn to_bytes(self, feed: FeedId) -> [u8; 9] {
        let mut b = [0u8; 9];
        b[0] = u8::from(self.read) | (u8::from(self.starred) << 1);
        b[1..].copy_from_slice(&feed_key(feed));
        b
    }

    fn from_bytes(b: &[u8]) -> (Flags, Option<FeedId>) {
        let bits = b.first().copied().unwrap_or(0);
        let flags = Flags { read: bits & 1 != 0, starred: bits & 2 != 0 };
        (flags, b.get(1..).and_then(read_u64).map(FeedId))
    }
}

/// One article of a listing without its metadata: enough to count, filter by flags, find
/// the next unread and mark (about 24 bytes, so a list of every article is cheap to hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListEntry {
    pub id: ArticleId,
    pub feed: FeedId,
    pub read: bool,
    pub starred: bool,
}

impl ListEntry {
    pub(crate) fn flags(&self) -> Flags {
        Flags { read: self.read, starred: self.starred }
    }
}

/// Which flag a `mark` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Mark {
    Read,
    Unread,
    Star,
    Unstar,
}

/// One article of a scan over the articles: its flags and metadata.
pub(crate) type ScannedArticle = Result<(ListEntry, ArticleMeta), StoreError>;

/// Article dates from `from` (included) to `until` (left out), unix seconds; either end may be
/// open. A query's dates (`age<7d`, `date>=2026-01-01`) read only that part of the date index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl DateRange {
    /// Every date.
    pub const ALL: DateRange = DateRange { from: None, until: None };

    pub fn contains(&self, date: i64) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date < u)
    }

    /// The dates in both.
    #[must_use]
    pub fn and(self, other: DateRange) -> DateRange {
        let sooner = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            _ => a.or(b),
        };
        // `None < Some(_)`: the later start is the bigger one.
        DateRange { from: self.from.max(other.from), until: sooner(self.until, other.until) }
    }

    /// The smallest range that holds the dates of both.
    #[must_use]
    pub fn or(self, other: DateRange) -> DateRange {
        let both = |a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64| Some(pick(a?, b?));
        DateRange {
            from: both(self.from, other.from, i64::min),
            until: both(self.until, other.until, i64::max),
        }
    }

    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }

    pub fn is_empty(&self) -> bool {
        matches!((self.from, self.until), (Some(f), Some(u)) if f >= u)
    }
}

/// Which articles a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArticleQuery {
    pub feed: Option<FeedId>,
    pub unread_only: bool,
    pub starred_only: bool,
    /// At most this many, newest first; `None` for all.
    pub limit: Option<usize>,
}

/// What a fetch of one feed produced, as the store records it.
#[derive(Debug)]
pub enum FetchResult {
    /// A new document: its articles are merged in.
    Updated(FeedUpdate),
    /// HTTP 304: only the fetch record and validators change.
    NotModified { etag: Option<String>, last_modified: Option<String>, moved_to: Option<String> },
    /// The fetch or the parse failed.
    Failed {
        error: String,
        /// Don't ask this server again before this time (from Retry-After).
        retry_not_before: Option<i64>,
    },
}

/// The new document of a feed, ready to write: bodies already compressed off the writer.
#[derive(Debug)]
pub struct FeedUpdate {
    pub feed_title: String,
    pub site_link: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The feed moved permanently (301/308): its URL is updated.
    pub moved_to: Option<String>,
    pub articles: Vec<PreparedArticle>,
}

impl FeedUpdate {
    /// A parsed document with no validators or redirect: bundled copies, benches.
    pub fn from_parsed(feed: crate::model::ParsedFeed) -> FeedUpdate {
        FeedUpdate {
            feed_title: feed.title,
            site_link: feed.site_link,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: feed.articles.into_iter().map(PreparedArticle::new).collect(),
        }
    }
}

/// Counts of what one refresh of one feed changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplyStats {
    pub new: u64,
    pub updated: u64,
    pub dropped: u64,
    pub total: u64,
}

/// Problems found by [`Store::check`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckReport {
    pub feeds: u64,
    pub articles: u64,
    pub unread: u64,
    pub problems: Vec<String>,
}

impl Store {
    /// Opens (creating if needed) the database in `dir`.
    ///
    /// Refuses a directory that holds other files and no database ([`StoreError::NotADataDir`],
    /// before anything is written to it) and a database that lost saved data
    /// ([`StoreError::Damaged`], see the module comment). The checks read the stamp, one
    /// `meta` value and the first key of two trees: no tree is scanned.
    pub fn open(dir: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        if let DirState::Foreign(found) = datadir::classify(dir) {
            return Err(StoreError::NotADataDir { dir: dir.to_owned(), found });
        }
        if repair::swap_started(dir) {
            return Err(StoreError::Damaged {
                dir: dir.to_owned(),
                reason: format!(
                    "a repair was interrupted while it moved the repaired database in (from {})",
                    dir.join(datadir::REPAIR_DIR).display()
                ),
            });
        }
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(StoreError::Unreadable {
                dir: dir.to_owned(),
                reason: format!("the directory cannot be created ({e})"),
            });
        }
        // sled writes its `conf` before it creates `db`, so a `db` without a `conf` is not a
        // database sled made here: another program's file, or a database that lost its conf.
        // sled would treat the directory as new and overwrite the file.
        let has_data = std::fs::metadata(dir.join("db")).is_ok_and(|m| m.len() > 0);
        if has_data && !dir.join("conf").exists() {
            return Err(StoreError::Unreadable {
                dir: dir.to_owned(),
                reason: "it holds a `db` file but no `conf` file, so it is damaged or not a \
                         tidings database, and tidings will not overwrite it"
                    .to_owned(),
            });
        }
        let stamp = datadir::read_stamp(dir);
        let store = match Store::open_raw(dir, settings) {
            // sled writes its `conf` in two writes before it creates `db`: a first open killed
            // in between leaves a `conf` sled refuses, beside no data at all.
            Err(StoreError::Damaged { .. })
                if !has_data && stamp.is_none() && datadir::remove_conf_of_empty_database(dir) =>
            {
                Store::open_raw(dir, settings)?
            }
            opened => opened?,
        };
        // The first reads of the database's pages: sled may panic on a damaged one.
        match contain_panics(|| store.verify(stamp.as_ref(), has_data)) {
            Ok(verified) => verified?,
            Err(panic) => {
                return Err(StoreError::Damaged {
                    dir: dir.to_owned(),
                    reason: format!("sled fails while reading it ({panic})"),
                })
            }
        }
        store.migrate()?;
        store.finish_interrupted_updates()?;
        store.finish_interrupted_removals()?;
        Ok(store)
    }

    /// sled's database in `dir` with its trees, as sled recovers it: nothing is checked or
    /// written. sled panics on some damaged files (a truncated log, a page of garbage); the
    /// panic is contained and reported as damage.
    fn open_raw(dir: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        // A process killed while sled wrote its snapshot leaves a file sled would refuse.
        match datadir::remove_unfinished_snapshots(dir) {
            Ok(removed) if !removed.is_empty() => tracing::warn!(
                target: "tidings",
                "removed a snapshot sled had not finished (a process was killed while writing it): {}",
                removed.join(", ")
            ),
            Ok(_) => {}
            // sled opens the directory next and says what is wrong with it.
            Err(e) => tracing::warn!(target: "tidings", "cannot look for unfinished snapshots: {e}"),
        }
        let opened = contain_panics(|| -> Result<Store, StoreError> {
            let db = sled::Config::new()
                .path(dir)
                .cache_capacity(settings.cache_mib.max(1) * 1024 * 1024)
                .flush_every_ms(Some(400))
                .mode(sled::Mode::LowSpace)
                .open()
                .map_err(|e| open_error(dir, e))?;
            let tree = |name: &str| db.open_tree(name).map_err(|e| open_error(dir, e));
            Ok(Store {
                dir: dir.to_owned(),
                meta: tree("meta")?,
                feeds: tree("feeds")?,
                feed_urls: tree("feed_urls")?,
                articles: tree("articles")?,
                bodies: tree("bodies")?,
                article_keys: tree("article_keys")?,
                feed_index: tree("feed_index")?,
                date_index: tree("date_index")?,
                flags: tree("flags")?,
                counters: tree("counters")?,
                fetch_log: tree("fetch_log")?,
                article_tags: tree("article_tags")?,
                sync: tree("sync")?,
                search_pending: tree("search_pending")?,
                search_postings: tree("search_postings")?,
                search_docs: tree("search_docs")?,
                search_terms: tree("search_terms")?,
                search_grams: tree("search_grams")?,
                search_turn: Arc::default(),
                search_builds: Arc::default(),
                search_draining: Arc::default(),
                packs: tree("packs")?,
                packs_pending: tree("packs_pending")?,
                packs_turn: Arc::default(),
                stamping: Arc::new(Mutex::new(())),
                removing: Arc::new(RwLock::new(HashSet::new())),
                db,
            })
        });
        match opened {
            Ok(result) => result,
            Err(panic) => Err(StoreError::Damaged {
                dir: dir.to_owned(),
                reason: format!("sled's recovery fails on its files ({panic})"),
            }),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every tree, in the order the multi-tree transactions destructure them.
    fn all_trees(&self) -> [&sled::Tree; 14] {
        [
            &self.meta,
            &self.feeds,
            &self.feed_urls,
            &self.articles,
            &self.bodies,
            &self.article_keys,
            &self.feed_index,
            &self.date_index,
            &self.flags,
            &self.counters,
            &self.fetch_log,
            &self.search_pending,
            &self.article_tags,
            &self.packs_pending,
        ]
    }

    fn schema(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.meta.get("schema")?.and_then(|v| read_u64(&v)))
    }

    /// The stored record counts; `None` before schema 2 (or if damaged).
    fn records(&self) -> Result<Option<Records>, StoreError> {
        Ok(self.meta.get(RECORDS_KEY)?.and_then(|v| Records::from_bytes(&v)))
    }

    /// Refuses a database that is older than its stamp, empty where the stamp says it held
    /// data, or whose counts disagree with its trees (see [`judge`]).
    fn verify(&self, stamp: Option<&Stamp>, had_data: bool) -> Result<(), StoreError> {
        let damaged = |reason: String| StoreError::Damaged { dir: self.dir.clone(), reason };
        let unreadable =
            |e: StoreError| damaged(format!("sled cannot read part of it ({})", damage_text(&e)));
        let schema = self.schema().map_err(unreadable)?;
        if let Some(v) = schema.filter(|&v| v > SCHEMA_VERSION) {
            return Err(StoreError::TooNew { dir: self.dir.clone(), found: v });
        }
        let found = Found {
            schema,
            records: self.records().map_err(unreadable)?,
            has_feeds: self.feeds.first().map_err(|e| unreadable(e.into()))?.is_some(),
            has_articles: self.articles.first().map_err(|e| unreadable(e.into()))?.is_some(),
            // Without a schema, data that sled recovers no key of is only sled's own records
            // of empty trees: what a first open killed before its first flush completed
            // leaves (sled writes them beside the schema, in separate writes).
            had_data: had_data && (schema.is_some() || self.holds_a_key().map_err(unreadable)?),
            trees_disagree: self.article_trees_disagree().map_err(unreadable)?,
        };
        judge(&found, stamp).map_err(damaged)
    }

    /// Where the three trees that hold one record per article (metadata, body, flags) begin
    /// and end, when they disagree: every write adds and removes an article's three records
    /// together (a repair too), so trees that end at different articles mean sled lost part
    /// of one (it recovers a log with garbage in the middle by dropping what comes after, page
    /// by page, without a word). Four reads at each end, so every open can afford it; a page
    /// lost in the middle of a tree is left to `check`.
    fn article_trees_disagree(&self) -> Result<Option<String>, StoreError> {
        let trees = [("articles", &self.articles), ("bodies", &self.bodies), ("flags", &self.flags)];
        let id = |kv: Option<(sled::IVec, sled::IVec)>| kv.and_then(|(k, _)| read_u64(&k));
        let mut ends = Vec::with_capacity(trees.len());
        for (name, tree) in trees {
            ends.push((name, id(tree.first()?), id(tree.last()?)));
        }
        if ends.windows(2).all(|w| (w[0].1, w[0].2) == (w[1].1, w[1].2)) {
            return Ok(None);
        }
        let show = |n: Option<u64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
        let told: Vec<String> = ends
            .iter()
            .map(|(name, first, last)| format!("{name} {}-{}", show(*first), show(*last)))
            .collect();
        Ok(Some(told.join(", ")))
    }

    /// Whether any of sled's trees in this database, ours or not, holds a key.
    fn holds_a_key(&self) -> Result<bool, StoreError> {
        for name in self.db.tree_names() {
            if self.db.open_tree(name)?.first()?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let found = match self.schema()? {
            None => {
                // A new database (`verify` has ruled out one that came back empty). One batch,
                // so a crash leaves all of it or none.
                let mut batch = sled::Batch::default();
                batch.insert("schema", &SCHEMA_VERSION.to_be_bytes());
                batch.insert("next_feed_id", &1u64.to_be_bytes());
                batch.insert("next_article_id", &1u64.to_be_bytes());
                batch.insert(RECORDS_KEY, &Records::default().to_bytes());
                // An empty index of no articles is complete: no build is ever needed.
                crate::search::mark_built(&mut batch, 0);
                crate::query::packs::mark_built(&mut batch, 0);
                self.meta.apply_batch(batch)?;
                self.flush()?;
                return Ok(());
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::TooNew { dir: self.dir.clone(), found: v })
            }
            Some(v) => v,
        };
        // Each older schema gets a step here that rewrites it to the next one, in one batch
        // with the new version, so a crash leaves one schema or the next, never half a step.
        for from in found..SCHEMA_VERSION {
            let mut batch = sled::Batch::default();
            match from {
                1 => {
                    // 1 -> 2: count the records once. The only scan an open ever makes, and
                    // only the first time this version opens an older data dir.
                    let feeds = self.feeds.iter().keys().try_fold(0u64, |n, k| k.map(|_| n + 1))?;
                    let articles = self.articles.iter().keys().try_fold(0u64, |n, k| k.map(|_| n + 1))?;
                    batch.insert(RECORDS_KEY, &Records { seq: 0, feeds, articles }.to_bytes());
                }
                // 2 -> 3: `article_tags` is new; sled made it, empty, when the store opened,
                // and no article of an older database has tags. Only the version changes.
                2 => {}
                _ => continue,
            }
            batch.insert("schema", &(from + 1).to_be_bytes());
            self.meta.apply_batch(batch)?;
            self.flush()?;
        }
        Ok(())
    }

    /// Makes everything written so far durable, then stamps the data dir with what it holds.
    pub fn flush(&self) -> Result<(), StoreError> {
        let _in_order = self.stamping.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read before the flush, so the state the stamp describes is on disk when it is
        // written (a write committed meanwhile is in a later state, not in the stamp).
        let records = self.records()?;
        self.db.flush()?;
        if let Some(records) = records {
            // A stamp that cannot be written leaves the previous one, which describes an
            // older state: the next open checks less, but never refuses a good database.
            let _ = datadir::write_stamp(&self.dir, &Stamp { records });
        }
        Ok(())
    }

    // ---- feeds ----

    /// Adds a feed; returns its id and whether it was new (an existing URL is not added twice,
    /// but gains the given tags).
    pub fn add_feed(&self, new: NewFeed) -> Result<(FeedId, bool), StoreError> {
        let url = new.url.clone();
        let res = (&self.meta, &self.feeds, &self.feed_urls)
            .transaction(|(meta, feeds, urls)| {
                if let Some(id) = urls.get(url.as_bytes())?.and_then(|v| read_u64(&v)) {
                    let id = FeedId(id);
                    if let Some(bytes) = feeds.get(feed_key(id))? {
                        let mut rec: FeedRecord = match decode("feed", &bytes) {
                            Ok(r) => r,
                            Err(e) => return abort(e),
                        };
                        let before = rec.tags.len();
                        for t in &new.tags {
                            if !rec.tags.contains(t) {
                                rec.tags.push(t.clone());
                            }
                        }
                        if rec.tags.len() != before {
                            feeds.insert(&feed_key(id), encode(&rec))?;
                            bump_records(meta, 0, 0)?;
                        }
                    }
                    return Ok((id, false));
                }
                let id = FeedId(next_id(meta, "next_feed_id")?);
                let rec = FeedRecord::new(id, &new);
                feeds.insert(&feed_key(id), encode(&rec))?;
                urls.insert(url.as_bytes(), &feed_key(id))?;
                bump_records(meta, 1, 0)?;
                Ok((id, true))
            })
            .map_err(tx_error)?;
        Ok(res)
    }

    /// All feeds, by id.
    /// Every feed, in the user's order (see `feed_order`).
    pub fn feeds(&self) -> Result<Vec<FeedRecord>, StoreError> {
        let feeds = self.feeds.iter().values().map(|v| decode("feed", &v?)).collect::<Result<_, _>>()?;
        self.in_user_order(feeds)
    }

    pub fn feed(&self, id: FeedId) -> Result<Option<FeedRecord>, StoreError> {
        match self.feeds.get(feed_key(id))? {
            Some(v) => Ok(Some(decode("feed", &v)?)),
            None => Ok(None),
        }
    }

    /// Finds a feed by its id (digits) or its exact URL.
    pub fn resolve_feed(&self, id_or_url: &str) -> Result<FeedRecord, StoreError> {
        let found = match id_or_url.parse::<u64>() {
            Ok(n) => self.feed(FeedId(n))?,
            Err(_) => match self.feed_urls.get(id_or_url.as_bytes())?.and_then(|v| read_u64(&v)) {
                Some(id) => self.feed(FeedId(id))?,
                None => None,
            },
        };
        found.ok_or_else(|| StoreError::NoSuchFeed(id_or_url.to_owned()))
    }

    pub fn counts(&self, id: FeedId) -> Result<Counts, StoreError> {
        Ok(self.counters.get(feed_key(id))?.map(|v| Counts::from_bytes(&v)).unwrap_or_default())
    }

    /// Unread articles over all feeds: a sum of per-feed counters, no article is read.
    pub fn unread_total(&self) -> Result<u64, StoreError> {
        let mut n = 0;
        for v in self.counters.iter().values() {
            n += Counts::from_bytes(&v?).unread;
        }
        Ok(n)
    }

    /// The feed's fetch records, oldest first (at most [`FETCH_LOG_LEN`]).
    pub fn fetch_log(&self, id: FeedId) -> Result<Vec<FetchRecord>, StoreError> {
        self.fetch_log.scan_prefix(feed_key(id)).values().map(|v| FetchRecord::decode(&v?)).collect()
    }

    /// Removes a feed with all its articles, bodies, flags, article tags and fetch records.
    /// A feed of more than 500 articles is removed in bounded chunks: gone for the user at
    /// once, its articles deleted after (see `removal`).
    pub fn remove_feed(&self, id: FeedId) -> Result<FeedRecord, StoreError> {
        let rec = self.feed(id)?.ok_or_else(|| StoreError::NoSuchFeed(id.to_string()))?;
        let prefix = feed_key(id);
        let log: Vec<sled::IVec> = self.fetch_log.scan_prefix(prefix).keys().collect::<Result<_, _>>()?;
        // Its URL and the URLs it moved from (one entry per subscription, so a short scan).
        let mut urls_of_feed = Vec::new();
        for entry in self.feed_urls.iter() {
            let (url, value) = entry?;
            if value.as_ref() == prefix.as_slice() {
                urls_of_feed.push(url);
            }
        }
        let big = self.feed_index.scan_prefix(prefix).keys().take(chunked::CHUNK_ARTICLES + 1).count();
        let identities_many =
            self.article_keys.scan_prefix(prefix).keys().take(chunked::CHUNK_ARTICLES + 1).count();
        if removal::needed(big) || removal::needed(identities_many) {
            self.remove_in_chunks(&rec, &urls_of_feed, &log)?;
            return Ok(rec);
        }
        let index: Vec<sled::IVec> = self.feed_index.scan_prefix(prefix).keys().collect::<Result<_, _>>()?;
        let identities: Vec<sled::IVec> =
            self.article_keys.scan_prefix(prefix).keys().collect::<Result<_, _>>()?;
        self.all_trees()
            .transaction(|t| {
                let [meta, feeds, urls, articles, bodies, keys, findex, dindex, flags, counters, flog, pending, tags, packs_pending] =
                    &t[..]
                else {
                    return abort(StoreError::Corrupt("transaction tree count".into()));
                };
                let stale = Stale { search: pending, packs: packs_pending };
                let trees = removal::ArticleTrees { articles, bodies, findex, dindex, flags, tags, stale };
                let mut removed = 0i64;
                for k in &index {
                    removed += i64::from(trees.remove_indexed(k)?);
                }
                for k in identities.iter().chain(&log) {
                    keys.remove(k)?;
                    flog.remove(k)?;
                }
                urls.remove(rec.url.as_bytes())?;
                for url in &urls_of_feed {
                    urls.remove(url)?;
                }
                feeds.remove(&prefix)?;
                counters.remove(&prefix)?;
                bump_records(meta, -1, -removed)?;
                Ok(())
            })
            .map_err(tx_error)?;
        Ok(rec)
    }

    /// Changes a feed's user-facing settings (title, tags, request options).
    pub(crate) fn update_feed(
        &self,
        id: FeedId,
        change: impl Fn(&mut FeedRecord),
    ) -> Result<FeedRecord, StoreError> {
        let res = (&self.meta, &self.feeds)
            .transaction(|(meta, feeds)| {
                let Some(bytes) = feeds.get(feed_key(id))? else {
                    return abort(StoreError::NoSuchFeed(id.to_string()));
                };
                let mut rec: FeedRecord = match decode("feed", &bytes) {
                    Ok(r) => r,
                    Err(e) => return abort(e),
                };
                change(&mut rec);
                feeds.insert(&feed_key(id), encode(&rec))?;
                bump_records(meta, 0, 0)?;
                Ok(rec)
            })
            .map_err(tx_error)?;
        Ok(res)
    }

    // ---- articles ----

    /// Metadata of articles, newest first, with their flags. Never reads a body.
    pub fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>, StoreError> {
        let mut out = Vec::new();
        for entry in self.list_entries(q)? {
            if let Some(meta) = self.article_meta(entry.id)? {
                out.push(Article { tags: self.article_tags(entry.id)?, meta, flags: entry.flags() });
            }
        }
        Ok(out)
    }

    /// The articles of a listing, newest first, as ids and flags: reads only index keys and
    /// the small flags records, never an article's metadata (see [`Store::articles_by_id`]).
    pub fn list_entries(&self, q: &ArticleQuery) -> Result<Vec<ListEntry>, StoreError> {
        self.list_entries_dated(q, DateRange::ALL)
    }

    /// [`Store::list_entries`] of the articles dated inside `dates`: only that part of the
    /// index is read.
    pub fn list_entries_dated(
        &self,
        q: &ArticleQuery,
        dates: DateRange,
    ) -> Result<Vec<ListEntry>, StoreError> {
        Ok(self.dated_entries(q, dates)?.into_iter().map(|(_, entry)| entry).collect())
    }

    /// [`Store::list_entries_dated`] with each article's date (from the index's key).
    pub(crate) fn dated_entries(
        &self,
        q: &ArticleQuery,
        dates: DateRange,
    ) -> Result<Vec<(i64, ListEntry)>, StoreError> {
        let limit = q.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        // A feed being removed is gone: none of its articles left is listed.
        let hidden = self.hidden_feeds();
        if q.feed.is_some_and(|f| hidden.contains(&f)) || dates.is_empty() {
            return Ok(out);
        }
        if q.starred_only && q.feed.is_none() {
            return self.starred_entries(q, dates, &hidden);
        }
        // (date, article, feed) from the index: a feed's own index is keyed feed|date|id, the
        // date index date|id with the feed as its value.
        type Indexed = Result<(i64, ArticleId, FeedId), StoreError>;
        let ids: Box<dyn Iterator<Item = Indexed>> = match q.feed {
            Some(feed) => {
                Box::new(self.feed_index.range(feed_index_range(feed, dates)).keys().rev().map(move |k| {
                    let k = k?;
                    let date = k.get(8..16).and_then(date_from_bits).unwrap_or(0);
                    Ok((date, ArticleId(k.get(16..).and_then(read_u64).unwrap_or(0)), feed))
                }))
            }
            None => Box::new(self.date_index.range(date_index_range(dates)).rev().map(|kv| {
                let (k, v) = kv?;
                let date = k.get(..8).and_then(date_from_bits).unwrap_or(0);
                let id = ArticleId(k.get(8..).and_then(read_u64).unwrap_or(0));
                Ok((date, id, FeedId(read_u64(&v).unwrap_or(0))))
            })),
        };
        for item in ids {
            if out.len() >= limit {
                break;
            }
            let (date, id, feed) = item?;
            if hidden.contains(&feed) {
                continue;
            }
            let flags = self.flags(id)?;
            if (q.unread_only && flags.read) || (q.starred_only && !flags.starred) {
                continue;
            }
            out.push((date, ListEntry { id, feed, read: flags.read, starred: flags.starred }));
        }
        Ok(out)
    }

    /// The starred articles of every feed, newest first: found in one scan of the small flags
    /// records, then read by key for their dates. Walking the date index for them read every
    /// article's flags by key (a third of a second at 100,000 articles).
    fn starred_entries(
        &self,
        q: &ArticleQuery,
        dates: DateRange,
        hidden: &HashSet<FeedId>,
    ) -> Result<Vec<(i64, ListEntry)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.flags.iter() {
            let (key, value) = kv?;
            let (flags, _) = Flags::from_bytes(&value);
            if !flags.starred || (q.unread_only && flags.read) {
                continue;
            }
            let Some(id) = read_u64(&key).map(ArticleId) else { continue };
            let Some(meta) = self.article_meta(id)? else { continue };
            if hidden.contains(&meta.feed) || !dates.contains(meta.date) {
                continue;
            }
            out.push((meta.date, ListEntry { id, feed: meta.feed, read: flags.read, starred: true }));
        }
        // The date index's order: newest first, the later id first among equal dates.
        out.sort_unstable_by(|(a_date, a), (b_date, b)| (b_date, b.id).cmp(&(a_date, a.id)));
        out.truncate(q.limit.unwrap_or(usize::MAX));
        Ok(out)
    }

    /// Whether more than `n` articles are dated inside `dates` (reads index keys, at most
    /// `n + 1` of them): a query with few dates reads them by key, one with many scans.
    pub(crate) fn dated_more_than(&self, dates: DateRange, n: usize) -> Result<bool, StoreError> {
        if dates.is_empty() {
            return Ok(false);
        }
        let mut keys = self.date_index.range(date_index_range(dates)).keys();
        for _ in 0..=n {
            match keys.next() {
                Some(k) => drop(k?),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// How many articles are stored, from the feeds' counters.
    pub(crate) fn article_total(&self) -> Result<u64, StoreError> {
        let mut n = 0;
        for v in self.counters.iter().values() {
            n += Counts::from_bytes(&v?).total;
        }
        Ok(n)
    }

    /// Every stored article with its flags and metadata, in id order: one sequential pass over
    /// the articles and their flags (both keyed by id), several times cheaper than listing
    /// them and reading each one's metadata and flags by key (a pass that reads bodies).
    pub(crate) fn scan_articles(&self) -> impl Iterator<Item = ScannedArticle> + '_ {
        self.scan_article_ids(None, None)
    }

    /// The metadata of the articles from `from` (included) to `until` (left out), in id order;
    /// a feed being removed is gone: its articles left are not scanned.
    fn scan_metadata_ids(
        &self,
        from: Option<ArticleId>,
        until: Option<ArticleId>,
    ) -> impl Iterator<Item = Result<ArticleMeta, StoreError>> + '_ {
        let hidden = self.hidden_feeds();
        self.articles
            .range(id_range(from, until))
            .map(|kv| decode::<ArticleMeta>("article", &kv?.1))
            .filter(move |meta| !matches!(meta, Ok(meta) if hidden.contains(&meta.feed)))
    }

    /// [`Store::scan_articles`] of the ids from `from` (included) to `until` (left out).
    pub(crate) fn scan_article_ids(
        &self,
        from: Option<ArticleId>,
        until: Option<ArticleId>,
    ) -> impl Iterator<Item = ScannedArticle> + '_ {
        let mut flags = self.flags.range(id_range(from, until));
        let mut next_flags: Option<(sled::IVec, sled::IVec)> = None;
        self.scan_metadata_ids(from, until).map(move |meta| {
            let meta = meta?;
            let key = article_key(meta.id);
            // Move the flags on to this article's key (an article without flags has none set).
            while next_flags.as_ref().is_none_or(|(k, _)| k.as_ref() < key.as_slice()) {
                match flags.next() {
                    Some(kv) => next_flags = Some(kv?),
                    None => {
                        next_flags = None;
                        break;
                    }
                }
            }
            let flags = match &next_flags {
                Some((k, v)) if k.as_ref() == key.as_slice() => Flags::from_bytes(v).0,
                _ => Flags::default(),
            };
            Ok((ListEntry { id: meta.id, feed: meta.feed, read: flags.read, starred: flags.starred }, meta))
        })
    }

    /// Metadata and flags of the given articles, in the given order; ids no longer stored are
    /// left out. What a list reads for the rows it is about to show.
    pub fn articles_by_id(&self, ids: &[ArticleId]) -> Result<Vec<Article>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(article) = self.article(id)? {
                out.push(article);
            }
        }
        Ok(out)
    }

    pub fn article(&self, id: ArticleId) -> Result<Option<Article>, StoreError> {
        let Some(meta) = self.article_meta(id)? else { return Ok(None) };
        // What is left of a feed being removed is gone for the user.
        if self.hidden_feeds().contains(&meta.feed) {
            return Ok(None);
        }
        Ok(Some(Article { flags: self.flags(id).unwrap_or_default(), tags: self.article_tags(id)?, meta }))
    }

    /// For each article, its search entry and compressed body as stored (raw: the caller
    /// decodes them) and its metadata (`None` for an article of a feed being removed, as
    /// [`Store::article`] gives it), read under one hold of sled's lock.
    ///
    /// sled guards every tree with one process-wide lock: a transaction holds it whole, and
    /// each plain read takes it again. The search indexer, reading three keys an article beside
    /// a refresh's writer whose chunk transactions hold the lock most of the time, waited
    /// behind the writer at almost every read and did most of its work after the writer
    /// finished; reading a batch inside one (read-only) transaction waits once.
    pub(crate) fn index_reads(&self, ids: &[ArticleId]) -> Result<Vec<IndexRead>, StoreError> {
        let raw = (&self.search_docs, &self.articles, &self.bodies)
            .transaction(|(docs, articles, bodies)| {
                ids.iter()
                    .map(|&id| {
                        let key = article_key(id);
                        Ok((docs.get(key)?, articles.get(key)?, bodies.get(key)?))
                    })
                    .collect::<Result<Vec<_>, ConflictableTransactionError<StoreError>>>()
            })
            .map_err(tx_error)?;
        let hidden = self.hidden_feeds();
        raw.into_iter()
            .map(|(entry, meta, body)| {
                let meta = match meta {
                    Some(bytes) => Some(decode::<ArticleMeta>("article", &bytes)?),
                    None => None,
                };
                // What is left of a feed being removed is gone for the user.
                let meta = meta.filter(|m| !hidden.contains(&m.feed));
                Ok(IndexRead { entry, meta, body })
            })
            .collect()
    }

    /// The article's own tags (given by `[[filter]]`s when it was new), sorted; not its
    /// feed's. One point read of a small tree: empty for an article without any.
    pub fn article_tags(&self, id: ArticleId) -> Result<Vec<String>, StoreError> {
        match self.article_tags.get(article_key(id))? {
            Some(v) => decode("article tags", &v),
            None => Ok(Vec::new()),
        }
    }

    /// The articles that have tags of their own, in id order (keys only).
    pub(crate) fn articles_with_own_tags(&self) -> impl Iterator<Item = Result<ArticleId, StoreError>> + '_ {
        self.article_tags.iter().keys().filter_map(|k| match k {
            Ok(k) => read_u64(&k).map(|id| Ok(ArticleId(id))),
            Err(e) => Some(Err(e.into())),
        })
    }

    /// Adds and removes articles' own tags by hand (`tidings tag`, `#` in the reader); a tag
    /// both added and removed is removed. Returns the articles whose tags changed. All or
    /// nothing: an id that is not stored fails the whole call with
    /// [`StoreError::NoSuchArticle`] and changes nothing.
    pub fn tag_articles(
        &self,
        ids: &[ArticleId],
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<ArticleId>, StoreError> {
        // `tidings tag 3,3 x` tags article 3 once (and reports it once).
        let mut seen = HashSet::new();
        let ids: Vec<ArticleId> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
        (&self.meta, &self.articles, &self.article_tags)
            .transaction(|(meta, articles, tags)| {
                let mut changed = Vec::new();
                for &id in &ids {
                    if articles.get(article_key(id))?.is_none() {
                        return abort(StoreError::NoSuchArticle(id));
                    }
                    let before: Vec<String> = match tags.get(article_key(id))? {
                        Some(v) => match decode("article tags", &v) {
                            Ok(t) => t,
                            Err(e) => return abort(e),
                        },
                        None => Vec::new(),
                    };
                    let mut after = before.clone();
                    after.extend(add.iter().filter(|t| !t.is_empty()).cloned());
                    after.retain(|t| !remove.contains(t));
                    after.sort();
                    after.dedup();
                    if after == before {
                        continue;
                    }
                    // As the filters leave them: no record for an article without tags.
                    if after.is_empty() {
                        tags.remove(&article_key(id))?;
                    } else {
                        tags.insert(&article_key(id), encode(&after))?;
                    }
                    changed.push(id);
                }
                if !changed.is_empty() {
                    bump_records(meta, 0, 0)?;
                }
                Ok(changed)
            })
            .map_err(tx_error)
    }

    pub(crate) fn article_meta(&self, id: ArticleId) -> Result<Option<ArticleMeta>, StoreError> {
        match self.articles.get(article_key(id))? {
            Some(v) => Ok(Some(decode("article", &v)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn flags(&self, id: ArticleId) -> Result<Flags, StoreError> {
        Ok(self.flags.get(article_key(id))?.map(|v| Flags::from_bytes(&v).0).unwrap_or_default())
    }

    /// The article's body and references, loaded only when the article is opened.
    pub fn body(&self, id: ArticleId) -> Result<Option<ArticleBody>, StoreError> {
        match self.bodies.get(article_key(id))? {
            Some(v) => Ok(Some(codec::decompress_body(&v)?)),
            None => Ok(None),
        }
    }

    /// The HTML and the summary of an article's body, borrowed from `plain`, which it is
    /// inflated into (`content:` tests read thousands with one buffer); `None` when the
    /// article has no body. Reads what [`Store::body`] reads, without its lists.
    pub(crate) fn body_texts<'p>(
        &self,
        id: ArticleId,
        plain: &'p mut Vec<u8>,
    ) -> Result<Option<(&'p str, Option<&'p str>)>, StoreError> {
        match self.bodies.get(article_key(id))? {
            Some(v) => Ok(Some(codec::body_texts(&v, plain)?)),
            None => Ok(None),
        }
    }

    /// Sets or clears a flag on articles; returns the ids whose flag actually changed (for
    /// undo). Unknown ids are skipped. Flags and counters change in one transaction.
    pub fn mark(&self, ids: &[ArticleId], mark: Mark) -> Result<Vec<ArticleId>, StoreError> {
        self.mark_as(ids, mark, FlagOrigin::Local)
    }

    /// [`Store::mark`], told where the change comes from: a local change to an article of a
    /// sync server goes into the sync outbox in the same transaction as the flag, a change
    /// the server reported does not.
    pub(crate) fn mark_as(
        &self,
        ids: &[ArticleId],
        mark: Mark,
        origin: FlagOrigin,
    ) -> Result<Vec<ArticleId>, StoreError> {
        let mut changed_all = Vec::new();
        let now_ms = chrono::Utc::now().timestamp_millis();
        // Chunks keep one transaction's write set modest when marking a whole database read.
        for chunk in ids.chunks(2000) {
            let changed = (&self.meta, &self.flags, &self.counters, &self.sync, &self.packs_pending)
                .transaction(|(meta, flags, counters, sync, packs_pending)| {
                    let mut changed = Vec::new();
                    let mut deltas: HashMap<FeedId, i64> = HashMap::new();
                    for &id in chunk {
                        let Some(bytes) = flags.get(article_key(id))? else { continue };
                        let (mut f, Some(feed)) = Flags::from_bytes(&bytes) else { continue };
                        let before = f;
                        match mark {
                            Mark::Read => f.read = true,
                            Mark::Unread => f.read = false,
                            Mark::Star => f.starred = true,
                            Mark::Unstar => f.starred = false,
                        }
                        if f == before {
                            continue;
                        }
                        if f.read != before.read {
                            *deltas.entry(feed).or_default() += if f.read { -1 } else { 1 };
                        }
                        flags.insert(&article_key(id), &f.to_bytes(feed))?;
                        crate::query::packs::mark_stale(packs_pending, id)?;
                        if origin == FlagOrigin::Local {
                            sync_state::enqueue(sync, id, mark, now_ms)?;
                        }
                        changed.push(id);
                    }
                    for (feed, delta) in deltas {
                        adjust_counts(counters, feed, delta, 0)?;
                    }
                    if !changed.is_empty() {
                        bump_records(meta, 0, 0)?;
                    }
                    Ok(changed)
                })
                .map_err(tx_error)?;
            changed_all.extend(changed);
        }
        Ok(changed_all)
    }

    /// Marks every article of a feed (or of all feeds) read; returns the ids that changed.
    pub fn mark_all_read(&self, feed: Option<FeedId>) -> Result<Vec<ArticleId>, StoreError> {
        let q = ArticleQuery { feed, unread_only: true, ..Default::default() };
        let ids: Vec<ArticleId> = self.unread_ids(&q)?;
        self.mark(&ids, Mark::Read)
    }

    /// Marks every article of `feeds` read; returns the ids that changed, all together (one
    /// undo step for the reader).
    pub fn mark_feeds_read(&self, feeds: &[FeedId]) -> Result<Vec<ArticleId>, StoreError> {
        let mut ids = Vec::new();
        for &feed in feeds {
            ids.extend(self.unread_ids(&ArticleQuery {
                feed: Some(feed),
                unread_only: true,
                ..Default::default()
            })?);
        }
        self.mark(&ids, Mark::Read)
    }

    fn unread_ids(&self, q: &ArticleQuery) -> Result<Vec<ArticleId>, StoreError> {
        let mut ids = Vec::new();
        let hidden = self.hidden_feeds();
        let iter: Box<dyn Iterator<Item = sled::Result<sled::IVec>>> = match q.feed {
            Some(feed) => Box::new(self.feed_index.scan_prefix(feed_key(feed)).keys()),
            None => Box::new(self.feed_index.iter().keys()),
        };
        for k in iter {
            let k = k?;
            // Not the articles left of a feed being removed.
            if k.get(..8).and_then(read_u64).is_some_and(|f| hidden.contains(&FeedId(f))) {
                continue;
            }
            let Some(id) = k.get(16..).and_then(read_u64).map(ArticleId) else { continue };
            if !self.flags(id)?.read {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    // ---- refresh ----

    /// Records the result of fetching one feed: merges its articles, applies retention,
    /// updates the feed's status and appends to its fetch log, all in one transaction.
    pub fn apply_fetch(
        &self,
        feed: FeedId,
        mut result: FetchResult,
        record: FetchRecord,
        settings: &StoreSettings,
        now: i64,
    ) -> Result<ApplyStats, StoreError> {
        let started = std::time::Instant::now();
        let prefix = feed_key(feed);
        let Some(before) = self.feed(feed)? else {
            // Removed while it was being fetched: nothing to record.
            return Err(StoreError::NoSuchFeed(feed.to_string()));
        };
        // Plan from scans (not possible inside a transaction; see the module comment).
        let log_keys: Vec<sled::IVec> =
            self.fetch_log.scan_prefix(prefix).keys().collect::<Result<_, _>>()?;
        let next_seq = log_keys.last().and_then(|k| k.get(8..).and_then(read_u64)).map_or(0, |s| s + 1);
        let stale_log: Vec<sled::IVec> =
            log_keys.iter().take((log_keys.len() + 1).saturating_sub(FETCH_LOG_LEN)).cloned().collect();

        let plan = match &result {
            FetchResult::Updated(update) => Some(self.plan_merge(feed, update, settings, now)?),
            _ => None,
        };
        crate::memtrace::stage("planned");
        // A big merge is written in chunks before the transaction below, which switches them
        // in (see `chunked`).
        let (plan, chunked) = match (plan, &mut result) {
            (Some(plan), FetchResult::Updated(update)) if chunked::needed(plan.incoming.len()) => {
                let (left, done) = self.apply_chunks(feed, update, plan, now)?;
                crate::memtrace::stage("chunks written");
                (Some(left), Some(done))
            }
            (plan, _) => (plan, None),
        };
        let chunked_new = chunked.as_ref().map_or(0, |done| done.new);

        let stats = self
            .all_trees()
            .transaction(|t| {
                let [meta, feeds, urls, articles, bodies, keys, findex, dindex, flags, counters, flog, pending, tags, packs_pending] =
                    &t[..]
                else {
                    return abort(StoreError::Corrupt("transaction tree count".into()));
                };
                let Some(bytes) = feeds.get(prefix)? else {
                    return abort(StoreError::NoSuchFeed(feed.to_string()));
                };
                let mut rec: FeedRecord = match decode("feed", &bytes) {
                    Ok(r) => r,
                    Err(e) => return abort(e),
                };
                let mut stats = ApplyStats::default();
                let mut moved_to = None;
                rec.last_fetch = Some(now);
                rec.last_status = record.status;
                match &result {
                    FetchResult::Updated(update) => {
                        let Some(plan) = &plan else {
                            return abort(StoreError::Corrupt("missing merge plan".into()));
                        };
                        let stale = Stale { search: pending, packs: packs_pending };
                        stats = apply_merge(
                            feed, update, plan, now, meta, articles, bodies, keys, findex, dindex, flags,
                            counters, stale, tags,
                        )?;
                        if let Some(done) = &chunked {
                            stats.new += done.new;
                            stats.updated += done.updated;
                            meta.remove(chunked::pending_key(feed))?;
                        }
                        rec.feed_title = update.feed_title.clone();
                        rec.site_link = update.site_link.clone();
                        rec.etag = update.etag.clone();
                        rec.last_modified = update.last_modified.clone();
                        moved_to = update.moved_to.clone();
                        rec.mark_success(now);
                    }
                    FetchResult::NotModified { etag, last_modified, moved_to: m } => {
                        if etag.is_some() {
                            rec.etag = etag.clone();
                        }
                        if last_modified.is_some() {
                            rec.last_modified = last_modified.clone();
                        }
                        moved_to = m.clone();
                        rec.mark_success(now);
                        stats.total = Counts::from_bytes(&counters.get(prefix)?.unwrap_or_default()).total;
                    }
                    FetchResult::Failed { error, retry_not_before } => {
                        rec.last_error = Some(error.clone());
                        rec.failing_since.get_or_insert(now);
                        rec.consecutive_failures = rec.consecutive_failures.saturating_add(1);
                        rec.retry_not_before = *retry_not_before;
                        stats.total = Counts::from_bytes(&counters.get(prefix)?.unwrap_or_default()).total;
                    }
                }
                if let Some(new_url) = moved_to {
                    if new_url != rec.url && urls.get(new_url.as_bytes())?.is_none() {
                        // The old URL stays as an alias: re-importing an old OPML, or `add` of
                        // the old address, finds this feed instead of subscribing it twice.
                        urls.insert(new_url.as_bytes(), &prefix)?;
                        rec.url = new_url;
                    }
                }
                feeds.insert(&prefix, encode(&rec))?;
                // The chunks counted the articles they added.
                bump_records(meta, 0, (stats.new - chunked_new) as i64 - stats.dropped as i64)?;

                let mut r = record.clone();
                r.new = stats.new;
                r.updated = stats.updated;
                r.total = stats.total;
                r.store_ms = started.elapsed().as_millis() as u64;
                for k in &stale_log {
                    flog.remove(k)?;
                }
                flog.insert(&fetch_log_key(feed, next_seq), encode(&r))?;
                Ok(stats)
            })
            .map_err(tx_error);
        let stats = match (stats, &chunked) {
            (Ok(stats), None) => stats,
            (Ok(stats), Some(_)) => {
                // Only garbage now: the next open drops what is left if this fails.
                if let Err(e) = self.discard_undo(feed) {
                    tracing::warn!(target: "tidings", "feed {feed}: undo records kept ({e})");
                }
                stats
            }
            (Err(e), None) => return Err(e),
            (Err(e), Some(_)) => {
                if let Err(undo) = self.roll_back(feed) {
                    tracing::warn!(
                        target: "tidings",
                        "feed {feed}: cannot roll back its unfinished update now ({undo}); the next start will"
                    );
                }
                return Err(e);
            }
        };
        let moved = matches!(
            &result,
            FetchResult::Updated(FeedUpdate { moved_to: Some(_), .. })
                | FetchResult::NotModified { moved_to: Some(_), .. }
        );
        if let Some(after) =
            moved.then(|| self.feed(feed)).transpose()?.flatten().filter(|a| a.url != before.url)
        {
            tracing::info!(
                target: "tidings",
                "feed {feed} moved permanently: {} -> {} (the old address still finds it)",
                crate::sanitize::line(&before.url),
                crate::sanitize::line(&after.url)
            );
        }
        Ok(stats)
    }

    /// Decides, from the stored state, which incoming articles are new, which changed, and
    /// what retention drops. Runs outside the transaction because it needs prefix scans.
    fn plan_merge(
        &self,
        feed: FeedId,
        update: &FeedUpdate,
        settings: &StoreSettings,
        now: i64,
    ) -> Result<MergePlan, StoreError> {
        let prefix = feed_key(feed);
        let mut known: HashMap<ArticleKey, u64> = HashMap::new();
        for kv in self.article_keys.scan_prefix(prefix) {
            let (k, v) = kv?;
            let mut key = [0u8; 16];
            if k.len() == 24 {
                key.copy_from_slice(&k[8..]);
                known.insert(ArticleKey(key), read_u64(&v).unwrap_or(TOMBSTONE));
            }
        }
        let mut seen = HashSet::new();
        let mut incoming = Vec::new();
        for (i, a) in update.articles.iter().enumerate() {
            // Duplicate GUIDs inside one document: the first wins.
            if !seen.insert(a.article.key) {
                continue;
            }
            match known.get(&a.article.key) {
                Some(&TOMBSTONE) => {}
                Some(&id) => incoming.push(Incoming::Existing(i, ArticleId(id))),
                None => incoming.push(Incoming::New(i)),
            }
        }
        let stale_tombstones: Vec<ArticleKey> =
            known.iter().filter(|(k, &id)| id == TOMBSTONE && !seen.contains(*k)).map(|(k, _)| *k).collect();

        // Retention: newest first, starred never dropped.
        let mut drop_existing = Vec::new();
        let mut skip_new = HashSet::new();
        if settings.max_articles_per_feed > 0 || settings.keep_days > 0 {
            let cutoff = (settings.keep_days > 0).then(|| now - i64::from(settings.keep_days) * 86_400);
            // (date, Some(existing id) | None for new, index in update)
            let mut all: Vec<(i64, Option<ArticleId>, usize)> = Vec::new();
            for k in self.feed_index.scan_prefix(prefix).keys() {
                let k = k?;
                if let (Some(d), Some(id)) =
                    (k.get(8..16).and_then(date_from_bits), k.get(16..).and_then(read_u64))
                {
                    all.push((d, Some(ArticleId(id)), 0));
                }
            }
            for inc in &incoming {
                if let Incoming::New(i) = inc {
                    let d = update.articles[*i].article.date.map_or(now, |d| d.timestamp());
                    all.push((d, None, *i));
                }
            }
            all.sort_by_key(|a| std::cmp::Reverse(a.0));
            let mut kept = 0usize;
            for (date, id, i) in all {
                let starred = match id {
                    Some(id) => self.flags(id)?.starred,
                    None => false,
                };
                let too_many = settings.max_articles_per_feed > 0 && kept >= settings.max_articles_per_feed;
                let too_old = cutoff.is_some_and(|c| date < c);
                if !starred && (too_many || too_old) {
                    match id {
                        Some(id) => drop_existing.push(id),
                        None => {
                            skip_new.insert(i);
                        }
                    }
                } else {
                    kept += 1;
                }
            }
        }
        let filtered = self.filter_new(feed, update, &incoming, &mut skip_new, settings, now)?;
        // Existing articles we need to compare against, read now to keep the transaction short
        // (a chunked merge reads them chunk by chunk).
        let mut existing_meta = HashMap::new();
        for inc in incoming.iter().filter(|_| !chunked::needed(incoming.len())) {
            if let Incoming::Existing(_, id) = inc {
                if let Some(m) = self.article_meta(*id)? {
                    existing_meta.insert(*id, m);
                }
            }
        }
        let mut dropped_meta = Vec::new();
        for id in drop_existing {
            if let Some(m) = self.article_meta(id)? {
                dropped_meta.push(m);
            }
        }
        Ok(MergePlan { incoming, skip_new, filtered, existing_meta, dropped: dropped_meta, stale_tombstones })
    }

    /// Runs the `[[filter]]`s on the new articles that retention keeps: hidden ones join
    /// `skip_new` (their keys are remembered, so they do not come back), the others' flags
    /// and tags are returned by index.
    fn filter_new(
        &self,
        feed: FeedId,
        update: &FeedUpdate,
        incoming: &[Incoming],
        skip_new: &mut HashSet<usize>,
        settings: &StoreSettings,
        now: i64,
    ) -> Result<HashMap<usize, crate::query::filters::Verdict>, StoreError> {
        let mut filtered = HashMap::new();
        if settings.filters.is_empty() {
            return Ok(filtered);
        }
        let Some(record) = self.feed(feed)? else { return Ok(filtered) };
        let (mut hidden, mut read, mut starred, mut tagged) = (0, 0, 0, 0);
        for inc in incoming {
            let Incoming::New(i) = *inc else { continue };
            if skip_new.contains(&i) {
                continue;
            }
            let p = &update.articles[i];
            let meta = ArticleMeta::from_prepared(ArticleId(0), feed, p, now);
            let text = || codec::decompress_body(&p.body).map(|b| b.text()).unwrap_or_default();
            let verdict = crate::query::filters::verdict(&settings.filters, self, &record, meta, text, now);
            if verdict.hidden {
                skip_new.insert(i);
                hidden += 1;
            } else if verdict.any() {
                read += u32::from(verdict.read);
                starred += u32::from(verdict.starred);
                tagged += u32::from(!verdict.tags.is_empty());
                filtered.insert(i, verdict);
            }
        }
        if hidden + read + starred + tagged > 0 {
            tracing::info!(
                target: "tidings",
                "feed {feed}: filters hid {hidden}, marked {read} read, starred {starred} and tagged {tagged} \
                 of its new articles"
            );
        }
        Ok(filtered)
    }

    // ---- integrity ----

    /// Verifies that every index agrees with the records, every counter with the flags, and
    /// the stored record counts with the records. A record that cannot be decoded is a
    /// problem in the report; a page sled cannot read is [`StoreError::Damaged`].
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let damaged = |reason: String| StoreError::Damaged { dir: self.dir.clone(), reason };
        match contain_panics(|| self.check_all()) {
            Ok(Err(StoreError::Sled(e @ sled::Error::Corruption { .. }))) => {
                Err(damaged(format!("sled cannot read part of it ({})", sled_text(&e))))
            }
            Ok(result) => result,
            Err(panic) => Err(damaged(format!("sled fails while reading it ({panic})"))),
        }
    }

    fn check_all(&self) -> Result<CheckReport, StoreError> {
        let mut rep = CheckReport::default();
        let mut feeds = HashSet::new();
        let mut undecodable = (0u64, 0u64);
        for kv in self.feeds.iter() {
            let (k, v) = kv?;
            let rec: FeedRecord = match decode("feed", &v) {
                Ok(r) => r,
                Err(e) => {
                    undecodable.0 += 1;
                    rep.problems.push(format!("feed record {}: {e}", read_u64(&k).unwrap_or(0)));
                    continue;
                }
            };
            if k.as_ref() != feed_key(rec.id) {
                rep.problems.push(format!("feed record under the wrong key: {}", rec.id));
            }
            match self.feed_urls.get(rec.url.as_bytes())? {
                Some(v) if read_u64(&v) == Some(rec.id.0) => {}
                _ => rep.problems.push(format!("feed {} has no URL index entry", rec.id)),
            }
            feeds.insert(rec.id);
        }
        rep.feeds = feeds.len() as u64;
        // Articles left of a removal under way (or interrupted, which the next open finishes)
        // are not orphans: their feed record goes first (see `removal`).
        let removing: HashSet<FeedId> = self.unfinished_removals()?.into_iter().collect();
        let mut counted: HashMap<FeedId, Counts> = HashMap::new();
        for kv in self.articles.iter() {
            let (k, v) = kv?;
            let m: ArticleMeta = match decode("article", &v) {
                Ok(m) => m,
                Err(e) => {
                    undecodable.1 += 1;
                    rep.problems.push(format!("article record {}: {e}", read_u64(&k).unwrap_or(0)));
                    continue;
                }
            };
            rep.articles += 1;
            if k.as_ref() != article_key(m.id) {
                rep.problems.push(format!("article record under the wrong key: {}", m.id));
            }
            if !feeds.contains(&m.feed) && !removing.contains(&m.feed) {
                rep.problems.push(format!("article {} belongs to missing feed {}", m.id, m.feed));
            }
            if !self.feed_index.contains_key(feed_index_key(m.feed, m.date, m.id))? {
                rep.problems.push(format!("article {} missing from its feed's index", m.id));
            }
            if !self.date_index.contains_key(date_index_key(m.date, m.id))? {
                rep.problems.push(format!("article {} missing from the date index", m.id));
            }
            if self.bodies.get(article_key(m.id))?.is_none() {
                rep.problems.push(format!("article {} has no body", m.id));
            }
            match self.article_keys.get(identity_key(m.feed, &m.key))? {
                Some(v) if read_u64(&v) == Some(m.id.0) => {}
                _ => rep.problems.push(format!("article {} missing from the identity index", m.id)),
            }
            match self.flags.get(article_key(m.id))? {
                Some(v) => {
                    let (f, owner) = Flags::from_bytes(&v);
                    if owner != Some(m.feed) {
                        rep.problems.push(format!("article {} flags name another feed", m.id));
                    }
                    let c = counted.entry(m.feed).or_default();
                    c.total += 1;
                    if !f.read {
                        c.unread += 1;
                        rep.unread += 1;
                    }
                }
                None => rep.problems.push(format!("article {} has no flags", m.id)),
            }
        }
        let index_len = self.feed_index.iter().count() as u64;
        if index_len != rep.articles {
            rep.problems.push(format!("feed index has {index_len} entries for {} articles", rep.articles));
        }
        let date_len = self.date_index.iter().count() as u64;
        if date_len != rep.articles {
            rep.problems.push(format!("date index has {date_len} entries for {} articles", rep.articles));
        }
        let flags_len = self.flags.iter().count() as u64;
        if flags_len != rep.articles {
            rep.problems.push(format!("{flags_len} flag records for {} articles", rep.articles));
        }
        for kv in self.article_tags.iter() {
            let (k, v) = kv?;
            let Some(id) = read_u64(&k).filter(|_| k.len() == 8) else {
                rep.problems.push("a tag record under a key that is not an article's".into());
                continue;
            };
            if !self.articles.contains_key(&k)? {
                rep.problems.push(format!("article {id} is gone, but its tags are still stored"));
            }
            if let Err(e) = decode::<Vec<String>>("article tags", &v) {
                rep.problems.push(format!("tags of article {id}: {e}"));
            }
        }
        let bodies_len = self.bodies.iter().count() as u64;
        if bodies_len != rep.articles {
            rep.problems.push(format!("{bodies_len} bodies for {} articles", rep.articles));
        }
        // The records that could not be decoded are still records: the stored counts include them.
        let (feed_records, article_records) = (rep.feeds + undecodable.0, rep.articles + undecodable.1);
        match self.records()? {
            Some(r) if (r.feeds, r.articles) == (feed_records, article_records) => {}
            Some(r) => rep.problems.push(format!(
                "the stored counts say {} feeds and {} articles, the records are {feed_records} feeds and \
                 {article_records} articles",
                r.feeds, r.articles
            )),
            None => rep.problems.push("the stored record counts are missing".into()),
        }
        for &id in &feeds {
            let stored = self.counts(id)?;
            let real = counted.get(&id).copied().unwrap_or_default();
            if stored != real {
                rep.problems.push(format!(
                    "feed {id}: counters say {}/{} unread/total, flags say {}/{}",
                    stored.unread, stored.total, real.unread, real.total
                ));
            }
        }
        crate::search::verify(self, &mut rep.problems)?;
        crate::query::packs::verify(self, &mut rep.problems)?;
        Ok(rep)
    }

    // ---- import ----

    /// Sets flags carried over from another feed reader. Each entry names a feed, the
    /// identity keys its article may have (the first one stored wins) and the flags to set.
    /// Flags are only ever set, never cleared, so importing twice, or over articles already
    /// read here, changes nothing. Articles the store does not hold (not fetched yet, or
    /// dropped by retention) are counted, not created. Flags and counters change together,
    /// one transaction per 2,000 entries.
    pub fn import_flags(
        &self,
        states: &[(FeedId, Vec<ArticleKey>, Flags)],
    ) -> Result<ImportFlagsReport, StoreError> {
        let mut report = ImportFlagsReport::default();
        for chunk in states.chunks(2000) {
            let r = (&self.article_keys, &self.flags, &self.counters, &self.packs_pending)
                .transaction(|(keys, flags, counters, packs_pending)| {
                    let mut r = ImportFlagsReport::default();
                    let mut deltas: HashMap<FeedId, i64> = HashMap::new();
                    for (feed, candidates, want) in chunk {
                        let mut found = None;
                        for key in candidates {
                            match keys.get(identity_key(*feed, key))?.and_then(|v| read_u64(&v)) {
                                Some(TOMBSTONE) | None => {}
                                Some(id) => {
                                    found = Some(ArticleId(id));
                                    break;
                                }
                            }
                        }
                        let stored = match found {
                            Some(id) => flags.get(article_key(id))?.map(|b| (id, Flags::from_bytes(&b))),
                            None => None,
                        };
                        let Some((id, (before, Some(owner)))) = stored else {
                            r.not_found += 1;
                            continue;
                        };
                        r.matched += 1;
                        let after =
                            Flags { read: before.read || want.read, starred: before.starred || want.starred };
                        if after == before {
                            continue;
                        }
                        if after.read != before.read {
                            *deltas.entry(owner).or_default() -= 1;
                        }
                        flags.insert(&article_key(id), &after.to_bytes(owner))?;
                        crate::query::packs::mark_stale(packs_pending, id)?;
                        r.changed += 1;
                    }
                    for (feed, delta) in deltas {
                        adjust_counts(counters, feed, delta, 0)?;
                    }
                    Ok(r)
                })
                .map_err(tx_error)?;
            report.matched += r.matched;
            report.changed += r.changed;
            report.not_found += r.not_found;
        }
        Ok(report)
    }
}

/// The keys of the ids from `from` (included) to `until` (left out); either end may be open.
fn id_range(from: Option<ArticleId>, until: Option<ArticleId>) -> (Bound<[u8; 8]>, Bound<[u8; 8]>) {
    (
        from.map_or(Bound::Unbounded, |id| Bound::Included(article_key(id))),
        until.map_or(Bound::Unbounded, |id| Bound::Excluded(article_key(id))),
    )
}

/// Ids in `meta` are allocated inside the caller's transaction, so a crash never loses one.
fn next_id(meta: &TransactionalTree, name: &str) -> TxResult<u64> {
    let id = meta.get(name)?.and_then(|v| read_u64(&v)).unwrap_or(1).max(1);
    meta.insert(name, &(id + 1).to_be_bytes())?;
    Ok(id)
}

fn adjust_counts(counters: &TransactionalTree, feed: FeedId, unread: i64, total: i64) -> TxResult<Counts> {
    let mut c = counters.get(feed_key(feed))?.map(|v| Counts::from_bytes(&v)).unwrap_or_default();
    c.unread = c.unread.saturating_add_signed(unread);
    c.total = c.total.saturating_add_signed(total);
    counters.insert(&feed_key(feed), &c.to_bytes())?;
    Ok(c)
}

/// Counts one committed change, with the feed and article records it adds (negative:
/// removes). Called inside every write transaction, so the counts always match the trees.
fn bump_records(meta: &TransactionalTree, feeds: i64, articles: i64) -> TxResult<()> {
    let mut r = meta.get(RECORDS_KEY)?.and_then(|v| Records::from_bytes(&v)).unwrap_or_default();
    let before = r.seq;
    r.seq = r.seq.saturating_add(1);
    r.feeds = r.feeds.saturating_add_signed(feeds);
    r.articles = r.articles.saturating_add_signed(articles);
    meta.insert(RECORDS_KEY, &r.to_bytes())?;
    // This build's changes keep the search index's pending list; this tells them from the
    // changes of a build without search, which leave the index silently behind.
    crate::search::note_change(meta, before, r.seq)?;
    crate::query::packs::note_change(meta, before, r.seq)?;
    Ok(())
}

/// sled lets go of its lock from a background thread a moment after a close (later when
/// other tests keep its thread pool busy), so an open in the same process right after a
/// close can find it still held. This waits for sled; it asserts nothing about time.
#[cfg(test)]
pub(crate) fn when_released<T>(f: impl Fn() -> Result<T, StoreError>) -> Result<T, StoreError> {
    for _ in 0..400 {
        match f() {
            Err(StoreError::Locked(_)) => std::thread::sleep(std::time::Duration::from_millis(25)),
            other => return other,
        }
    }
    f()
}

fn open_error(dir: &Path, e: sled::Error) -> StoreError {
    let text = e.to_string();
    if text.contains("could not acquire lock") || text.contains("Resource temporarily unavailable") {
        return StoreError::Locked(dir.to_owned());
    }
    if matches!(e, sled::Error::Corruption { .. }) {
        return StoreError::Damaged {
            dir: dir.to_owned(),
            reason: format!("sled finds damaged data in it ({})", sled_text(&e)),
        };
    }
    StoreError::Unreadable { dir: dir.to_owned(), reason: text }
}

/// sled's words for an error, without the empty backtrace its corruption errors end with.
fn sled_text(e: &sled::Error) -> String {
    match e {
        sled::Error::Corruption { at: Some(at), .. } => format!("corrupted data at {at:?}"),
        sled::Error::Corruption { at: None, .. } => "corrupted data".to_owned(),
        other => other.to_string(),
    }
}

fn damage_text(e: &StoreError) -> String {
    match e {
        StoreError::Sled(e) => sled_text(e),
        other => other.to_string(),
    }
}

/// What `verify` found in a freshly opened database.
#[derive(Debug, Clone)]
struct Found {
    schema: Option<u64>,
    records: Option<Records>,
    has_feeds: bool,
    has_articles: bool,
    /// The `db` file was not empty before sled opened it, and (without a schema) sled
    /// recovered a key from it.
    had_data: bool,
    /// See [`Store::article_trees_disagree`]: the ids where each tree begins and ends.
    trees_disagree: Option<String>,
}

/// Whether a database as found may be opened, given the stamp beside it; `Err` says why not.
///
/// A crash loses only writes made after the last flush, and the stamp describes a state at
/// or before that flush, so a crashed database is at the stamp's change or past it, with any
/// counts. Behind the stamp, or at it with other counts, or empty under a stamp, it lost saved
/// changes: a truncated or damaged file, or an older copy put in its place.
fn judge(found: &Found, stamp: Option<&Stamp>) -> Result<(), String> {
    let held = |r: &Records| {
        format!("{} and {}", repair::plural(r.feeds, "feed"), repair::plural(r.articles, "article"))
    };
    let Some(schema) = found.schema else {
        if let Some(s) = stamp {
            return Err(format!(
                "it has come back empty, but it held {} when tidings last saved it",
                held(&s.records)
            ));
        }
        if found.had_data {
            // Every tidings writes its schema in the first flush of a new database.
            return Err("its files hold data, but none of it is a tidings database any more".into());
        }
        return Ok(());
    };
    let Some(records) = found.records else {
        if schema < 2 && stamp.is_none() {
            // A data dir from before record counts: `migrate` counts them.
            return Ok(());
        }
        return Err("its record counts are missing".into());
    };
    if let Some(s) = stamp {
        if records.seq < s.records.seq {
            return Err(format!(
                "it holds {}, but it held {} when tidings last saved it: the last {} are missing",
                held(&records),
                held(&s.records),
                repair::plural(s.records.seq - records.seq, "saved change")
            ));
        }
        if records.seq == s.records.seq && records != s.records {
            return Err(format!(
                "it holds {}, but it held {} when tidings last saved it, after the same changes",
                held(&records),
                held(&s.records)
            ));
        }
    }
    if let Some(ends) = &found.trees_disagree {
        return Err(format!(
            "part of its articles is gone: each article has a record in three trees, but they hold different articles ({ends})"
        ));
    }
    for (what, count, present) in
        [("feed", records.feeds, found.has_feeds), ("article", records.articles, found.has_articles)]
    {
        if (count > 0) != present {
            return Err(format!(
                "its counts say {}, but it {} any",
                repair::plural(count, &format!("{what} record")),
                if present { "has" } else { "does not have" }
            ));
        }
    }
    Ok(())
}

thread_local! {
    static CONTAINING_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs sled code whose panics are caught and reported as a damaged
/// database: a panic hook should then log quietly instead of telling the user it crashed.
pub(crate) fn containing_panics() -> bool {
    CONTAINING_PANICS.with(std::cell::Cell::get)
}

/// Runs `f`, turning a panic into its message.
fn contain_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = CONTAINING_PANICS.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINING_PANICS.with(|c| c.set(was));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned())
    })
}

enum Incoming {
    New(usize),
    Existing(usize, ArticleId),
}

struct MergePlan {
    incoming: Vec<Incoming>,
    skip_new: HashSet<usize>,
    /// New articles that filters mark read, star or tag (by index in the update); hidden ones
    /// are in `skip_new`.
    filtered: HashMap<usize, crate::query::filters::Verdict>,
    existing_meta: HashMap<ArticleId, ArticleMeta>,
    dropped: Vec<ArticleMeta>,
    stale_tombstones: Vec<ArticleKey>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "one transaction's trees, each passed by name; a struct of them would only rename them"
)]
fn apply_merge(
    feed: FeedId,
    update: &FeedUpdate,
    plan: &MergePlan,
    now: i64,
    meta: &TransactionalTree,
    articles: &TransactionalTree,
    bodies: &TransactionalTree,
    keys: &TransactionalTree,
    findex: &TransactionalTree,
    dindex: &TransactionalTree,
    flags: &TransactionalTree,
    counters: &TransactionalTree,
    stale: Stale<'_>,
    tags: &TransactionalTree,
) -> TxResult<ApplyStats> {
    let mut stats = ApplyStats::default();
    let (mut d_unread, mut d_total) = (0i64, 0i64);
    for inc in &plan.incoming {
        match *inc {
            Incoming::New(i) => {
                let p = &update.articles[i];
                if plan.skip_new.contains(&i) {
                    keys.insert(&identity_key(feed, &p.article.key), &TOMBSTONE.to_be_bytes())?;
                    continue;
                }
                let id = ArticleId(next_id(meta, "next_article_id")?);
                let m = ArticleMeta::from_prepared(id, feed, p, now);
                write_article(&m, &p.body, articles, bodies, findex, dindex)?;
                keys.insert(&identity_key(feed, &m.key), &article_key(id))?;
                let verdict = plan.filtered.get(&i);
                let f = Flags {
                    read: verdict.is_some_and(|v| v.read),
                    starred: verdict.is_some_and(|v| v.starred),
                };
                flags.insert(&article_key(id), &f.to_bytes(feed))?;
                if let Some(verdict) = verdict.filter(|v| !v.tags.is_empty()) {
                    tags.insert(&article_key(id), encode_tags(&verdict.tags))?;
                }
                stale.article(id)?;
                d_unread += i64::from(!f.read);
                d_total += 1;
                stats.new += 1;
            }
            Incoming::Existing(i, id) => {
                let p = &update.articles[i];
                let Some(old) = plan.existing_meta.get(&id) else { continue };
                if old.content_hash == p.content_hash {
                    continue;
                }
                let mut m = ArticleMeta::from_prepared(id, feed, p, old.first_seen);
                if p.article.date.is_none() {
                    m.date = old.date;
                }
                if m.date != old.date {
                    findex.remove(&feed_index_key(feed, old.date, id))?;
                    dindex.remove(&date_index_key(old.date, id))?;
                }
                write_article(&m, &p.body, articles, bodies, findex, dindex)?;
                stale.article(id)?;
                stats.updated += 1;
            }
        }
    }
    for m in &plan.dropped {
        let Some(fb) = flags.get(article_key(m.id))? else { continue };
        let (f, _) = Flags::from_bytes(&fb);
        if f.starred {
            // Starred since the plan was made: keep it.
            continue;
        }
        articles.remove(&article_key(m.id))?;
        bodies.remove(&article_key(m.id))?;
        flags.remove(&article_key(m.id))?;
        tags.remove(&article_key(m.id))?;
        findex.remove(&feed_index_key(feed, m.date, m.id))?;
        dindex.remove(&date_index_key(m.date, m.id))?;
        keys.insert(&identity_key(feed, &m.key), &TOMBSTONE.to_be_bytes())?;
        stale.article(m.id)?;
        d_total -= 1;
        if !f.read {
            d_unread -= 1;
        }
        stats.dropped += 1;
    }
    for k in &plan.stale_tombstones {
        keys.remove(&identity_key(feed, k))?;
    }
    let c = adjust_counts(counters, feed, d_unread, d_total)?;
    stats.total = c.total;
    Ok(stats)
}

/// The lists of articles whose derived records are behind their own, both marked in the
/// transaction that writes or removes an article: its search postings
/// (`crate::search::index`) and its entry in the packs (`crate::query::packs`).
#[derive(Clone, Copy)]
pub(super) struct Stale<'t> {
    pub(super) search: &'t TransactionalTree,
    pub(super) packs: &'t TransactionalTree,
}

impl Stale<'_> {
    /// The article's record was written or removed.
    pub(super) fn article(
        &self,
        id: ArticleId,
    ) -> Result<(), sled::transaction::UnabortableTransactionError> {
        crate::search::mark_pending(self.search, id)?;
        crate::query::packs::mark_stale(self.packs, id)
    }
}

/// What [`Store::index_reads`] reads of one article.
pub(crate) struct IndexRead {
    /// Its search entry, raw.
    pub(crate) entry: Option<sled::IVec>,
    pub(crate) meta: Option<ArticleMeta>,
    /// Its compressed body, raw.
    pub(crate) body: Option<sled::IVec>,
}

/// An article's tags as `article_tags` keeps them: sorted, each once.
fn encode_tags(tags: &[String]) -> Vec<u8> {
    let mut sorted = tags.to_vec();
    sorted.sort();
    sorted.dedup();
    encode(&sorted)
}

fn write_article(
    m: &ArticleMeta,
    body: &[u8],
    articles: &TransactionalTree,
    bodies: &TransactionalTree,
    findex: &TransactionalTree,
    dindex: &TransactionalTree,
) -> TxResult<()> {
    articles.insert(&article_key(m.id), encode(m))?;
    bodies.insert(&article_key(m.id), body)?;
    findex.insert(&feed_index_key(m.feed, m.date, m.id), &[])?;
    dindex.insert(&date_index_key(m.date, m.id), &feed_key(m.feed))?;
    Ok(())
}

/// What [`Store::import_flags`] did, in articles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportFlagsReport {
    /// Found in the store.
    pub matched: u64,
    /// Found, and a flag was set that was not set before.
    pub changed: u64,
    /// Not in the store: not fetched yet, or dropped by retention.
    pub not_found: u64,
}

/// The keys of the date index (date|id) whose date is inside `dates`.
fn date_index_range(dates: DateRange) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    // An 8-byte date sorts before every 16-byte key that starts with it.
    let from = dates.from.map_or(Bound::Unbounded, |f| Bound::Included(date_bits(f).to_vec()));
    let until = dates.until.map_or(Bound::Unbounded, |u| Bound::Excluded(date_bits(u).to_vec()));
    (from, until)
}

/// The keys of a feed's index (feed|date|id) whose date is inside `dates`.
fn feed_index_range(feed: FeedId, dates: DateRange) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let at = |date: i64| [&feed_key(feed)[..], &date_bits(date)[..]].concat();
    let from = Bound::Included(at(dates.from.unwrap_or(i64::MIN)));
    let until = match dates.until {
        Some(u) => Bound::Excluded(at(u)),
        // After every key of the feed: its 8 bytes, then more than any date and id.
        None => Bound::Included([&feed_key(feed)[..], &[0xff; 16][..]].concat()),
    };
    (from, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(schema: Option<u64>, records: Option<Records>) -> Found {
        let (has_feeds, has_articles) = records.map_or((false, false), |r| (r.feeds > 0, r.articles > 0));
        Found { schema, records, has_feeds, has_articles, had_data: true, trees_disagree: None }
    }

    fn stamp(seq: u64, feeds: u64, articles: u64) -> Stamp {
        Stamp { records: Records { seq, feeds, articles } }
    }

    const R: Records = Records { seq: 10, feeds: 3, articles: 90 };

    #[test]
    fn a_database_at_or_past_its_stamp_opens_whatever_its_counts() {
        // What a crash can leave: the stamped state, or any later one (a feed removed after
        // the last flush, articles dropped by retention...).
        for s in [stamp(10, 3, 90), stamp(9, 3, 95), stamp(2, 40, 4000), stamp(0, 0, 0)] {
            assert_eq!(judge(&found(Some(2), Some(R)), Some(&s)), Ok(()), "{s:?}");
        }
        assert_eq!(judge(&found(Some(2), Some(R)), None), Ok(()), "no stamp: trusted");
    }

    #[test]
    fn article_trees_that_end_apart_are_refused_with_or_without_a_stamp() {
        let mut lost = found(Some(3), Some(R));
        lost.trees_disagree = Some("articles 1-210, bodies 1-360, flags 1-360".into());
        let said = judge(&lost, None).unwrap_err();
        assert!(said.contains("part of its articles is gone") && said.contains("articles 1-210"), "{said}");
        assert!(judge(&lost, Some(&stamp(10, 3, 90))).is_err());
    }

    #[test]
    fn a_database_behind_its_stamp_or_empty_under_one_is_refused() {
        let behind = judge(&found(Some(2), Some(R)), Some(&stamp(11, 3, 90))).unwrap_err();
        assert!(
            behind.contains("held 3 feeds and 90 articles") && behind.contains("last 1 saved change "),
            "{behind}"
        );
        let other = judge(&found(Some(2), Some(R)), Some(&stamp(10, 3, 91))).unwrap_err();
        assert!(other.contains("after the same changes"), "{other}");
        let mut empty = found(None, None);
        let gone = judge(&empty, Some(&stamp(4, 1, 20))).unwrap_err();
        assert!(gone.contains("come back empty") && gone.contains("1 feed and 20 articles"), "{gone}");
        // Even a stamp of an empty database: it was written after the schema was flushed.
        assert!(judge(&empty, Some(&stamp(0, 0, 0))).is_err());
        // No stamp, but sled's files held data and none of it is ours any more.
        assert!(judge(&empty, None).is_err());
        empty.had_data = false;
        assert_eq!(judge(&empty, None), Ok(()), "a new database");
    }

    #[test]
    fn counts_must_agree_with_what_the_trees_hold() {
        let mut f = found(Some(2), Some(R));
        f.has_articles = false;
        let e = judge(&f, None).unwrap_err();
        assert!(e.contains("90 article records") && e.contains("does not have"), "{e}");
        let mut f = found(Some(2), Some(Records { seq: 1, feeds: 0, articles: 0 }));
        f.has_feeds = true;
        assert!(judge(&f, None).unwrap_err().contains("0 feed records"));
        let mut f = found(Some(2), Some(Records { seq: 1, feeds: 1, articles: 0 }));
        f.has_feeds = false;
        assert!(judge(&f, None).unwrap_err().contains("1 feed record,"));
        assert!(judge(&found(Some(2), None), None).unwrap_err().contains("counts are missing"));
    }

    #[test]
    fn schema_one_without_counts_is_migrated_unless_a_stamp_says_it_had_them() {
        assert_eq!(judge(&found(Some(1), None), None), Ok(()));
        assert!(judge(&found(Some(1), None), Some(&stamp(3, 1, 1))).is_err());
    }

    #[test]
    fn a_short_key_in_a_feeds_index_is_skipped_not_a_panic() {
        // A damaged database can hold a key of the right feed prefix but too short to have a
        // date and an id: retention and removal pass over it.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let (a, _) =
            store.add_feed(NewFeed { url: "https://a.example/".into(), ..Default::default() }).unwrap();
        let mut short = feed_key(a).to_vec();
        short.extend_from_slice(&[1, 2, 3]);
        store.feed_index.insert(short, &[][..]).unwrap();
        let update = FetchResult::Updated(FeedUpdate {
            feed_title: "A".into(),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: vec![],
        });
        let keep_two = StoreSettings { max_articles_per_feed: 2, ..Default::default() };
        store.apply_fetch(a, update, FetchRecord::default(), &keep_two, 1_800_000_000).unwrap();
        store.remove_feed(a).unwrap();
    }

    #[test]
    fn every_write_counts_itself_and_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let records = || store.records().unwrap().unwrap();
        assert_eq!(records(), Records::default());
        let mut last = records();
        let mut step = |what: &str, feeds: u64, articles: u64| {
            let now = records();
            assert!(now.seq > last.seq, "{what}: not counted");
            assert_eq!((now.feeds, now.articles), (feeds, articles), "{what}");
            last = now;
        };
        let new = |url: &str| NewFeed { url: url.into(), ..Default::default() };
        let (a, _) = store.add_feed(new("https://a.example/")).unwrap();
        step("add", 1, 0);
        store.add_feed(NewFeed { tags: vec!["t".into()], ..new("https://a.example/") }).unwrap();
        step("add again with a tag", 1, 0);
        let article = |n: u8| crate::model::ParsedArticle {
            key: crate::model::ArticleKey([n; 16]),
            title: format!("{n}"),
            date: chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(n), 0),
            ..Default::default()
        };
        let update = |ns: &[u8]| {
            FetchResult::Updated(FeedUpdate {
                feed_title: "A".into(),
                site_link: None,
                etag: None,
                last_modified: None,
                moved_to: None,
                articles: ns.iter().map(|&n| PreparedArticle::new(article(n))).collect(),
            })
        };
        let settings = StoreSettings::default();
        store.apply_fetch(a, update(&[1, 2, 3]), FetchRecord::default(), &settings, 1_800_000_000).unwrap();
        step("fetch", 1, 3);
        let keep_two = StoreSettings { max_articles_per_feed: 2, ..Default::default() };
        store
            .apply_fetch(a, update(&[1, 2, 3, 4]), FetchRecord::default(), &keep_two, 1_800_000_000)
            .unwrap();
        step("fetch with retention", 1, 2);
        let failed = FetchResult::Failed { error: "x".into(), retry_not_before: None };
        store.apply_fetch(a, failed, FetchRecord::default(), &settings, 1_800_000_000).unwrap();
        step("failed fetch", 1, 2);
        let ids: Vec<ArticleId> =
            store.list_entries(&ArticleQuery::default()).unwrap().iter().map(|e| e.id).collect();
        store.mark(&ids, Mark::Read).unwrap();
        step("mark", 1, 2);
        store.update_feed(a, |f| f.custom_title = Some("mine".into())).unwrap();
        step("update", 1, 2);
        store.add_feed(new("https://b.example/")).unwrap();
        step("add another", 2, 2);
        store.remove_feed(a).unwrap();
        step("remove", 1, 0);
        // Writes that change nothing are not changes.
        store.mark(&ids, Mark::Read).unwrap();
        store.add_feed(new("https://b.example/")).unwrap();
        assert_eq!(records(), last);
        assert!(store.check().unwrap().problems.is_empty());
    }

    #[test]
    fn a_scan_of_the_articles_gives_what_listing_and_reading_each_give() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let settings = StoreSettings::default();
        let mut feeds = Vec::new();
        for f in 0..3u8 {
            let (feed, _) = store
                .add_feed(NewFeed { url: format!("https://{f}.example/"), ..Default::default() })
                .unwrap();
            feeds.push(feed);
            let articles = (0..20u8)
                .map(|n| {
                    PreparedArticle::new(crate::model::ParsedArticle {
                        key: crate::model::ArticleKey([f * 32 + n; 16]),
                        title: format!("{f}/{n}"),
                        date: chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(n), 0),
                        ..Default::default()
                    })
                })
                .collect();
            let update = FeedUpdate {
                feed_title: format!("{f}"),
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
                    1_800_000_000,
                )
                .unwrap();
        }
        let listed = store.list_entries(&ArticleQuery::default()).unwrap();
        let every_third: Vec<ArticleId> = listed.iter().step_by(3).map(|e| e.id).collect();
        store.mark(&every_third, Mark::Read).unwrap();
        store.mark(&every_third[..4], Mark::Star).unwrap();
        store.remove_feed(feeds[1]).unwrap();

        let mut listed = store.list_entries(&ArticleQuery::default()).unwrap();
        listed.sort_by_key(|e| e.id);
        let scanned: Vec<(ListEntry, ArticleMeta)> = store.scan_articles().map(Result::unwrap).collect();
        assert_eq!(scanned.iter().map(|(e, _)| *e).collect::<Vec<_>>(), listed);
        assert_eq!(scanned.len(), 40);
        assert!(scanned.iter().any(|(e, _)| e.read) && scanned.iter().any(|(e, _)| e.starred));
        for (entry, meta) in &scanned {
            assert_eq!(store.article(entry.id).unwrap().map(|a| a.meta).as_ref(), Some(meta));
        }
    }

    #[test]
    fn contained_panics_become_their_message() {
        assert!(!containing_panics());
        let r = contain_panics(|| -> u8 {
            assert!(containing_panics());
            panic!("sled says {}", 42)
        });
        assert_eq!(r, Err("sled says 42".to_owned()));
        assert!(!containing_panics(), "the flag is cleared after the panic");
        assert_eq!(contain_panics(|| 7), Ok(7));
    }
}

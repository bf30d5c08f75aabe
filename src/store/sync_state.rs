//! What the store keeps for a sync server, in its own `sync` tree: the account, the outbox
//! of local flag changes not yet acknowledged by the server, and the server's ids.
//!
//! Keys: `o` + seq (u64 BE) -> outbox entry; `a` + article id -> server item id; `i` + server
//! item id -> article id; `f` + feed id -> server feed id; `x` + server feed id -> (nothing):
//! a server feed removed here, not to be added back; `m:NAME` -> metadata. The outbox
//! entry is written in the transaction that changes the flag (`Store::mark_as`), so a flag
//! change and its queued copy for the server exist together or not at all.

use serde::{Deserialize, Serialize};
use sled::transaction::TransactionalTree;

use super::codec::{article_key, identity_key, read_u64};
use super::{Mark, Store, StoreError, TxResult};
use crate::model::{ArticleId, ArticleKey, FeedId};

const OUTBOX: u8 = b'o';
const ARTICLE_ITEM: u8 = b'a';
const ITEM_ARTICLE: u8 = b'i';
const FEED_SERVER: u8 = b'f';
const IGNORED_SERVER_FEED: u8 = b'x';
const META: &[u8] = b"m:meta";
const SEQ: &[u8] = b"m:seq";

/// Where a flag change comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOrigin {
    /// The user: queued for the sync server when the article came from one.
    Local,
    /// The sync server: already true there, nothing to send back.
    Server,
}

/// One local flag change waiting for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub article: ArticleId,
    /// The server's id of the article.
    pub item: u64,
    pub mark: Mark,
    /// Unix milliseconds when the user made the change.
    pub at_ms: i64,
}

/// The account and the state of its last sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMeta {
    /// `fever` or `ttrss`.
    pub kind: String,
    pub url: String,
    pub user: String,
    /// The highest server item id pulled (Fever `since_id`).
    pub since_id: u64,
    /// Unix seconds of the last sync that finished.
    pub last_sync: Option<i64>,
    pub last_error: Option<String>,
    /// Unix seconds of the last sync that compared every article's flags with the server's
    /// (the others compare only feeds whose unread counts differ, where the API gives them).
    #[serde(default)]
    pub full_flags_at: Option<i64>,
}

fn key(tag: u8, n: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

/// Queues `mark` of `id` for the server, inside the caller's transaction, when the article
/// came from the server.
pub(super) fn enqueue(sync: &TransactionalTree, id: ArticleId, mark: Mark, at_ms: i64) -> TxResult<()> {
    let Some(item) = sync.get(key(ARTICLE_ITEM, id.0))?.as_deref().and_then(read_u64) else {
        return Ok(());
    };
    let seq = sync.get(SEQ)?.as_deref().and_then(read_u64).unwrap_or(0) + 1;
    sync.insert(SEQ, &seq.to_be_bytes())?;
    let entry = OutboxEntry { article: id, item, mark, at_ms };
    let bytes = serde_json::to_vec(&entry).unwrap_or_default();
    sync.insert(&key(OUTBOX, seq), bytes)?;
    Ok(())
}

impl Store {
    pub fn sync_meta(&self) -> Result<Option<SyncMeta>, StoreError> {
        Ok(self.sync.get(META)?.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    pub fn set_sync_meta(&self, meta: &SyncMeta) -> Result<(), StoreError> {
        self.sync.insert(META, serde_json::to_vec(meta).unwrap_or_default())?;
        Ok(())
    }

    /// Forgets the account, its outbox and every server id; feeds and articles stay.
    pub fn forget_sync(&self) -> Result<(), StoreError> {
        self.sync.clear()?;
        self.sync.flush()?;
        Ok(())
    }

    /// The queued changes, oldest first, with their sequence numbers.
    pub fn outbox(&self) -> Result<Vec<(u64, OutboxEntry)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.sync.scan_prefix([OUTBOX]) {
            let (k, v) = kv?;
            let Some(seq) = k.get(1..).and_then(read_u64) else { continue };
            match serde_json::from_slice(&v) {
                Ok(e) => out.push((seq, e)),
                Err(e) => tracing::warn!(target: "tidings", "outbox entry {seq} unreadable, dropped: {e}"),
            }
        }
        Ok(out)
    }

    pub fn outbox_len(&self) -> usize {
        self.sync.scan_prefix([OUTBOX]).count()
    }

    /// Removes acknowledged entries; flushed before it returns, so a kill after it cannot
    /// bring them back.
    pub fn outbox_remove(&self, seqs: &[u64]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for &s in seqs {
            batch.remove(&key(OUTBOX, s));
        }
        self.sync.apply_batch(batch)?;
        self.sync.flush()?;
        Ok(())
    }

    /// Records that `article` is the server's item `item`.
    pub fn link_item(&self, article: ArticleId, item: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(&key(ARTICLE_ITEM, article.0), &item.to_be_bytes());
        batch.insert(&key(ITEM_ARTICLE, item), &article_key(article));
        self.sync.apply_batch(batch)?;
        Ok(())
    }

    pub fn item_article(&self, item: u64) -> Result<Option<ArticleId>, StoreError> {
        Ok(self.sync.get(key(ITEM_ARTICLE, item))?.as_deref().and_then(read_u64).map(ArticleId))
    }

    /// Every article that came from the server, with its server id.
    pub fn synced_articles(&self) -> Result<Vec<(ArticleId, u64)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.sync.scan_prefix([ARTICLE_ITEM]) {
            let (k, v) = kv?;
            if let (Some(a), Some(i)) = (k.get(1..).and_then(read_u64), read_u64(&v)) {
                out.push((ArticleId(a), i));
            }
        }
        Ok(out)
    }

    pub fn link_feed(&self, feed: FeedId, server_feed: u64) -> Result<(), StoreError> {
        self.sync.insert(key(FEED_SERVER, feed.0), &server_feed.to_be_bytes())?;
        Ok(())
    }

    /// The feed is no longer the server's (unsubscribed there): it stays, as a local feed.
    pub fn unlink_feed(&self, feed: FeedId) -> Result<(), StoreError> {
        self.sync.remove(key(FEED_SERVER, feed.0))?;
        Ok(())
    }

    /// The user removed `feed`, which is the server's `server_feed`: later syncs leave it out
    /// instead of subscribing it again.
    pub fn ignore_server_feed(&self, feed: FeedId, server_feed: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.remove(&key(FEED_SERVER, feed.0));
        batch.insert(&key(IGNORED_SERVER_FEED, server_feed), &[]);
        self.sync.apply_batch(batch)?;
        Ok(())
    }

    pub fn ignored_server_feeds(&self) -> Result<std::collections::HashSet<u64>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for k in self.sync.scan_prefix([IGNORED_SERVER_FEED]).keys() {
            if let Some(s) = k?.get(1..).and_then(read_u64) {
                out.insert(s);
            }
        }
        Ok(out)
    }

    /// The flags of an article and its feed; `None` when it is not stored.
    pub fn flags_and_feed_of(
        &self,
        article: ArticleId,
    ) -> Result<Option<(super::Flags, FeedId)>, StoreError> {
        Ok(self.flags.get(article_key(article))?.and_then(|v| match super::Flags::from_bytes(&v) {
            (flags, Some(feed)) => Some((flags, feed)),
            (_, None) => None,
        }))
    }

    /// Local feeds that are the server's subscriptions, with the server's feed ids.
    pub fn synced_feeds(&self) -> Result<Vec<(FeedId, u64)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.sync.scan_prefix([FEED_SERVER]) {
            let (k, v) = kv?;
            if let (Some(f), Some(s)) = (k.get(1..).and_then(read_u64), read_u64(&v)) {
                out.push((FeedId(f), s));
            }
        }
        Ok(out)
    }

    /// The article of `feed` with identity `key`, if the store has it (not a tombstone).
    pub fn article_by_key(&self, feed: FeedId, key: &ArticleKey) -> Result<Option<ArticleId>, StoreError> {
        Ok(self
            .article_keys
            .get(identity_key(feed, key))?
            .as_deref()
            .and_then(read_u64)
            .filter(|&id| id != super::TOMBSTONE)
            .map(ArticleId))
    }
}

//! Packs: what a query tests of every article (its title, author and link folded once, its
//! date, feed, flags and what it has) kept together by bucket of 256 ids ([`PACK_BITS`]), so a
//! pass over every article (a query feed's first count, `filter test`, a query feed opened)
//! reads a few hundred values instead of two records an article, each of which sled reads
//! with a descent of its tree (at 100,000 articles: ~400 values against 200,000 records).
//!
//! Layout (two trees and two `meta` keys, see `Store`):
//! - `packs`: bucket (article id >> [`PACK_BITS`], u64 big-endian) -> the bucket's articles
//!   in id order, each as [`encode_entry`] writes it after its id's distance from the last.
//! - `packs_pending`: ids whose entry is not up to date. Every write of an article's record
//!   or flags marks it here in its own transaction ([`mark_stale`]), so the packs are never
//!   silently behind: [`catch_up`] rewrites the buckets of pending articles and unmarks them,
//!   and a pass catches up before it reads.
//! - `meta`'s `packs` (the layout version, once built) and `packs_seq` (the change count up to
//!   which the packs know of every change, kept by [`note_change`] as the search index keeps
//!   its `search_seq`): a change made by a build without packs leaves the count behind, and
//!   the next pass builds the packs anew (one scan of the articles).
//!
//! Texts are stored folded ([`super::fold`]): a change to folding must change
//! [`PACKS_VERSION`]. An article with a text over [`LONGEST_PACKED`] bytes has none of its
//! texts packed (a pass reads its record for them), so a pack stays small whatever a feed
//! gives.

use std::collections::HashSet;

use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use sled::Transactional;

use crate::model::{ArticleId, FeedId};
use crate::search::index::{get_varint, put_varint};
use crate::store::{read_u64, ArticleMeta, Flags, Records, Store, StoreError, RECORDS_KEY};

/// The layout this build writes; packs of another are built anew.
///
/// 2: an entry's bits are two bytes (the `LONG` bit).
const PACKS_VERSION: u64 = 2;
const VERSION_KEY: &str = "packs";
const SEQ_KEY: &str = "packs_seq";
/// 256 articles a pack (about 25 KB: 96 bytes an article at the benches' 100,000): a refresh's
/// new articles rewrite a pack or two; marks spread over old articles rewrite a pack each, at
/// the next pass.
pub(crate) const PACK_BITS: u32 = 8;
/// Changed articles from which a bucket's pack is made again from a walk of all its records
/// rather than by reading them by key (a step of a walk costs about a third of a read).
const WALK_FROM: usize = (2 << PACK_BITS) / 3;
/// Buckets rewritten per transaction while catching up.
const ROUND_BUCKETS: usize = 64;

// An entry's bits.
const READ: u16 = 1;
const STARRED: u16 = 1 << 1;
const IMAGES: u16 = 1 << 2;
const ENCLOSURE: u16 = 1 << 3;
/// The author and link fields are there (they may be empty).
const AUTHOR_FIELD: u16 = 1 << 4;
const LINK_FIELD: u16 = 1 << 5;
/// `has:author` and `has:link`: not empty (the author not blank).
const HAS_AUTHOR: u16 = 1 << 6;
const HAS_LINK: u16 = 1 << 7;
/// A text is longer than [`LONGEST_PACKED`]: none is packed, and a test of them reads the
/// article's record.
const LONG: u16 = 1 << 8;
/// The longest title, author or link packed, folded, in bytes: a stranger's feed may give
/// articles titles of megabytes, and a pack is read whole.
const LONGEST_PACKED: usize = 2048;

/// Marks an article's entry as out of date, inside the transaction that changes its record
/// or its flags.
pub(crate) fn mark_stale(
    pending: &TransactionalTree,
    id: ArticleId,
) -> Result<(), UnabortableTransactionError> {
    pending.insert(&id.0.to_be_bytes(), &crate::search::index::change_token())?;
    Ok(())
}

/// Records, in a write transaction of this build (change `before` -> `after`), that the packs
/// still know of every change: only if they knew of every one before.
pub(crate) fn note_change(
    meta: &TransactionalTree,
    before: u64,
    after: u64,
) -> Result<(), UnabortableTransactionError> {
    crate::search::index::follow_change(meta, SEQ_KEY, before, after)
}

/// For a new database: its (no) packs are complete as of change `seq`.
pub(crate) fn mark_built(batch: &mut sled::Batch, seq: u64) {
    batch.insert(VERSION_KEY, &PACKS_VERSION.to_be_bytes());
    batch.insert(SEQ_KEY, &seq.to_be_bytes());
}

/// Makes the next pass build the packs anew: for articles written other than by this build's
/// write transactions (a repair's copy), or a pack found unreadable.
pub(crate) fn start_over(store: &Store) -> Result<(), StoreError> {
    store.meta.remove(VERSION_KEY)?;
    Ok(())
}

/// One article as its pack holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packed<'p> {
    pub(crate) id: ArticleId,
    pub(crate) feed: FeedId,
    pub(crate) date: i64,
    bits: u16,
    /// Folded (empty, as author and link, when [`Packed::has_texts`] is false).
    pub(crate) title: &'p [u8],
    /// Folded; `None` when the article has none.
    pub(crate) author: Option<&'p [u8]>,
    pub(crate) link: Option<&'p [u8]>,
}

impl Packed<'_> {
    pub(crate) fn flags(&self) -> Flags {
        Flags { read: self.bits & READ != 0, starred: self.bits & STARRED != 0 }
    }

    /// The article as a listing gives it.
    pub(crate) fn entry(&self) -> crate::store::ListEntry {
        let flags = self.flags();
        crate::store::ListEntry { id: self.id, feed: self.feed, read: flags.read, starred: flags.starred }
    }

    /// Whether its title, author and link are packed (they are unless one is long).
    pub(crate) fn has_texts(&self) -> bool {
        self.bits & LONG == 0
    }

    pub(crate) fn has(&self, what: super::HasWhat) -> bool {
        let bit = match what {
            super::HasWhat::Images => IMAGES,
            super::HasWhat::Enclosure => ENCLOSURE,
            super::HasWhat::Link => HAS_LINK,
            super::HasWhat::Author => HAS_AUTHOR,
        };
        self.bits & bit != 0
    }
}

/// Appends an article's entry but its id: feed, date, bits (two bytes), then the folded
/// title, author and link (each its length in bytes first; author and link only when there;
/// none when one is long).
fn encode_entry(meta: &ArticleMeta, flags: Flags, out: &mut Vec<u8>) {
    let texts: Vec<String> = [Some(meta.title.as_str()), meta.author.as_deref(), meta.link.as_deref()]
        .into_iter()
        .flatten()
        .map(super::fold)
        .collect();
    let long = texts.iter().any(|t| t.len() > LONGEST_PACKED);
    let mut bits = 0;
    for (set, bit) in [
        (flags.read, READ),
        (flags.starred, STARRED),
        (meta.image_count > 0, IMAGES),
        (!meta.enclosures.is_empty(), ENCLOSURE),
        (meta.author.is_some(), AUTHOR_FIELD),
        (meta.link.is_some(), LINK_FIELD),
        (meta.author.as_deref().is_some_and(|a| !a.trim().is_empty()), HAS_AUTHOR),
        (meta.link.as_deref().is_some_and(|l| !l.is_empty()), HAS_LINK),
        (long, LONG),
    ] {
        if set {
            bits |= bit;
        }
    }
    put_varint(out, meta.feed.0);
    put_varint(out, zigzag(meta.date));
    out.extend_from_slice(&bits.to_le_bytes());
    if long {
        return;
    }
    for folded in texts {
        put_varint(out, folded.len() as u64);
        out.extend_from_slice(folded.as_bytes());
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The entries of a pack in id order, each with where its part after the id is in the pack
/// (what a rewrite copies as it is). An error names a pack that cannot be read.
pub(crate) struct Entries<'p> {
    pack: &'p [u8],
    at: usize,
    id: u64,
}

impl<'p> Entries<'p> {
    pub(crate) fn of(pack: &'p [u8], bucket: u64) -> Self {
        Entries { pack, at: 0, id: bucket << PACK_BITS }
    }

    fn entry(&mut self) -> Option<(Packed<'p>, std::ops::Range<usize>)> {
        let pack = self.pack;
        let at = &mut self.at;
        self.id = self.id.checked_add(get_varint(pack, at)?)?;
        let start = *at;
        let feed = FeedId(get_varint(pack, at)?);
        let date = unzigzag(get_varint(pack, at)?);
        let bits = u16::from_le_bytes(pack.get(*at..*at + 2)?.try_into().ok()?);
        *at += 2;
        let long = bits & LONG != 0;
        let mut text = |there: bool| -> Option<Option<&'p [u8]>> {
            if !there || long {
                return Some(None);
            }
            let len = usize::try_from(get_varint(pack, at)?).ok()?;
            let bytes = pack.get(*at..at.checked_add(len)?)?;
            *at += len;
            Some(Some(bytes))
        };
        let title = text(true)?.unwrap_or_default();
        let author = text(bits & AUTHOR_FIELD != 0)?;
        let link = text(bits & LINK_FIELD != 0)?;
        let packed = Packed { id: ArticleId(self.id), feed, date, bits, title, author, link };
        Some((packed, start..*at))
    }
}

impl<'p> Iterator for Entries<'p> {
    type Item = Result<(Packed<'p>, std::ops::Range<usize>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.pack.len() {
            return None;
        }
        let entry = self.entry();
        if entry.is_none() {
            // Stop here: what follows cannot be told apart.
            self.at = self.pack.len();
        }
        Some(entry.ok_or_else(unreadable))
    }
}

fn unreadable() -> StoreError {
    StoreError::Corrupt("a pack of articles' metadata (it is built anew by the next pass)".into())
}

/// Whether `e` is a pack that cannot be read: the caller builds the packs anew.
pub(crate) fn is_unreadable(e: &StoreError) -> bool {
    matches!(e, StoreError::Corrupt(what) if what.starts_with("a pack of articles"))
}

/// Brings the packs up to date, building them if they are not: what a pass calls before it
/// reads them. Calls run one at a time.
pub(crate) fn catch_up(store: &Store) -> Result<(), StoreError> {
    let _turn = store.packs_turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if is_built(store)? && !most_are_pending(store)? {
        drain(store)?;
    } else {
        build(store)?;
    }
    Ok(())
}

/// [`catch_up`], unless the packs must be built first (left to the next pass): what a refresh
/// calls when it ends, so that the next pass finds little to do.
pub(crate) fn catch_up_if_built(store: &Store) -> Result<(), StoreError> {
    let _turn = store.packs_turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !is_built(store)? {
        return Ok(());
    }
    if most_are_pending(store)? {
        build(store)
    } else {
        drain(store).map(drop)
    }
}

/// Whether over a quarter of the articles are pending (a first refresh's): one scan of them all
/// then packs them for less than rewriting the packs and unmarking the articles in rounds.
fn most_are_pending(store: &Store) -> Result<bool, StoreError> {
    let quarter = usize::try_from(store.article_total()? / 4).unwrap_or(usize::MAX);
    let mut pending = store.packs_pending.iter().keys();
    for _ in 0..=quarter {
        match pending.next() {
            Some(key) => drop(key?),
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// Whether the packs are of this layout and know of every change.
fn is_built(store: &Store) -> Result<bool, StoreError> {
    let (version, seen, seq) = crate::search::index::kept_state(store, VERSION_KEY, SEQ_KEY)?;
    Ok(version == Some(PACKS_VERSION) && seen == Some(seq))
}

fn meta_error(e: sled::transaction::TransactionError<()>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt("meta".into()),
    }
}

/// Packs every article anew from one scan of the articles and their flags. The version key
/// goes first and comes back last, so a build killed half-way starts over.
fn build(store: &Store) -> Result<(), StoreError> {
    store.meta.remove(VERSION_KEY)?;
    store.packs.clear()?;
    store.packs_pending.clear()?;
    // From here on, every change marks its articles pending and keeps the count: what the
    // scan below misses is caught up later.
    store
        .meta
        .transaction(|m| {
            let seq = m.get(RECORDS_KEY)?.and_then(|v| Records::from_bytes(&v)).map_or(0, |r| r.seq);
            m.insert(SEQ_KEY, &seq.to_be_bytes())?;
            Ok(())
        })
        .map_err(meta_error)?;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    let mut pack: Vec<u8> = Vec::new();
    let mut bucket = None;
    let mut last_id = 0;
    for scanned in store.scan_articles() {
        let (entry, meta) = scanned?;
        let of = entry.id.0 >> PACK_BITS;
        if bucket != Some(of) {
            if let Some(done) = bucket.replace(of) {
                batch.insert(&done.to_be_bytes(), std::mem::take(&mut pack));
                in_batch += 1;
                if in_batch == ROUND_BUCKETS {
                    store.packs.apply_batch(std::mem::take(&mut batch))?;
                    in_batch = 0;
                }
            }
            last_id = of << PACK_BITS;
        }
        push_scanned(&mut pack, &mut last_id, &entry, &meta);
    }
    if let Some(done) = bucket {
        batch.insert(&done.to_be_bytes(), pack);
    }
    store.packs.apply_batch(batch)?;
    store.meta.insert(VERSION_KEY, &PACKS_VERSION.to_be_bytes())?;
    Ok(())
}

/// Appends the entry of an article a scan read; `last_id` is the previous entry's id (the
/// bucket's first id before its first entry).
fn push_scanned(pack: &mut Vec<u8>, last_id: &mut u64, entry: &crate::store::ListEntry, meta: &ArticleMeta) {
    put_varint(pack, entry.id.0 - *last_id);
    *last_id = entry.id.0;
    encode_entry(meta, Flags { read: entry.read, starred: entry.starred }, pack);
}

/// Rewrites the packs of pending articles, [`ROUND_BUCKETS`] per transaction, until none is
/// left; returns how many articles were caught up.
fn drain(store: &Store) -> Result<u64, StoreError> {
    let mut done = 0u64;
    loop {
        let mut round: Vec<(sled::IVec, sled::IVec)> = Vec::new();
        let mut buckets = 0;
        let mut last_bucket = None;
        for kv in store.packs_pending.iter() {
            let (key, token) = kv?;
            let bucket = read_u64(&key).map(|id| id >> PACK_BITS);
            if bucket != last_bucket {
                if buckets == ROUND_BUCKETS {
                    break;
                }
                buckets += 1;
                last_bucket = bucket;
            }
            round.push((key, token));
        }
        if round.is_empty() {
            return Ok(done);
        }
        let hidden = store.hidden_feeds();
        let mut rewritten: Vec<([u8; 8], Option<Vec<u8>>)> = Vec::with_capacity(buckets);
        let mut at = 0;
        while at < round.len() {
            let bucket = read_u64(&round[at].0).map(|id| id >> PACK_BITS);
            let mut ids: HashSet<u64> = HashSet::new();
            while let Some((key, _)) =
                round.get(at).filter(|(k, _)| read_u64(k).map(|id| id >> PACK_BITS) == bucket)
            {
                ids.extend(read_u64(key));
                at += 1;
            }
            let Some(bucket) = bucket else { continue };
            rewritten.push((bucket.to_be_bytes(), rewrite(store, bucket, &ids, &hidden)?));
        }
        (&store.packs, &store.packs_pending)
            .transaction(|(packs, pending)| {
                for (key, pack) in &rewritten {
                    match pack {
                        Some(pack) => packs.insert(key, pack.as_slice())?,
                        None => packs.remove(key)?,
                    };
                }
                for (key, token) in &round {
                    // Marked again meanwhile: the next round packs its new state.
                    if pending.get(key)?.as_ref() == Some(token) {
                        pending.remove(key)?;
                    }
                }
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<StoreError>| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
            })?;
        done += round.len() as u64;
    }
}

/// Bucket `bucket`'s pack with the entries of `ids` made again from their records (left out
/// when no longer stored or of a feed being removed); `None` when it holds no article.
fn rewrite(
    store: &Store,
    bucket: u64,
    ids: &HashSet<u64>,
    hidden: &HashSet<FeedId>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let first = bucket << PACK_BITS;
    if ids.len() >= WALK_FROM {
        // Most of the bucket changed (a refresh's new articles): one walk of its records
        // costs less than reading the changed ones by key.
        let mut pack = Vec::new();
        let mut last_id = first;
        for scanned in
            store.scan_article_ids(Some(ArticleId(first)), Some(ArticleId(first + (1 << PACK_BITS))))
        {
            let (entry, meta) = scanned?;
            push_scanned(&mut pack, &mut last_id, &entry, &meta);
        }
        return Ok((!pack.is_empty()).then_some(pack));
    }
    let old = store.packs.get(bucket.to_be_bytes())?;
    // Each article's entry after its id, by id: copied from the old pack, or made anew.
    let mut entries: Vec<(u64, Vec<u8>)> = Vec::new();
    if let Some(old) = &old {
        for entry in Entries::of(old, bucket) {
            let (packed, rest) = entry?;
            if !ids.contains(&packed.id.0) {
                entries.push((packed.id.0, old[rest].to_vec()));
            }
        }
    }
    for &id in ids {
        let id = ArticleId(id);
        let Some(meta) = store.article_meta(id)? else { continue };
        if hidden.contains(&meta.feed) {
            continue;
        }
        let mut rest = Vec::new();
        encode_entry(&meta, store.flags(id)?, &mut rest);
        entries.push((id.0, rest));
    }
    if entries.is_empty() {
        return Ok(None);
    }
    entries.sort_unstable_by_key(|(id, _)| *id);
    let mut pack = Vec::with_capacity(entries.iter().map(|(_, rest)| rest.len() + 2).sum());
    let mut last_id = bucket << PACK_BITS;
    for (id, rest) in entries {
        put_varint(&mut pack, id - last_id);
        last_id = id;
        pack.extend_from_slice(&rest);
    }
    Ok(Some(pack))
}

/// The buckets of the packs cut into at most `parts` ranges one after another, to read side
/// by side.
pub(crate) fn parts(store: &Store, parts: usize) -> Result<Vec<std::ops::Range<u64>>, StoreError> {
    let bucket = |kv: Option<(sled::IVec, sled::IVec)>| kv.and_then(|(k, _)| read_u64(&k));
    let (Some(first), Some(last)) = (bucket(store.packs.first()?), bucket(store.packs.last()?)) else {
        return Ok(Vec::new());
    };
    let parts = u64::try_from(parts.max(1)).unwrap_or(1);
    let step = ((last - first + 1) / parts).max(1);
    let mut out = Vec::new();
    let mut from = first;
    while from <= last {
        let until = if out.len() as u64 + 1 == parts { last + 1 } else { (from + step).min(last + 1) };
        out.push(from..until);
        from = until;
    }
    Ok(out)
}

/// The packs of the buckets in `range`, in order, with their buckets (their articles:
/// [`Entries::of`]).
pub(crate) fn read(
    store: &Store,
    range: std::ops::Range<u64>,
) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> + '_ {
    store.packs.range(range.start.to_be_bytes()..range.end.to_be_bytes()).map(|kv| {
        let (key, pack) = kv?;
        Ok((read_u64(&key).ok_or_else(unreadable)?, pack))
    })
}

/// `each` of the articles of the buckets in `range`, in id order; articles of a feed being
/// removed are left out.
pub(crate) fn for_each(
    store: &Store,
    range: std::ops::Range<u64>,
    mut each: impl FnMut(Packed<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let hidden = store.hidden_feeds();
    for read in read(store, range) {
        let (bucket, pack) = read?;
        for entry in Entries::of(&pack, bucket) {
            let (packed, _) = entry?;
            if !hidden.contains(&packed.feed) {
                each(packed)?;
            }
        }
    }
    Ok(())
}

/// How much the packs hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacksSize {
    pub packs: u64,
    /// Their values' bytes (keys and sled's own records left out).
    pub bytes: u64,
}

/// The packs' [`PacksSize`] (a walk of them: for benches and reports).
pub fn size(store: &Store) -> Result<PacksSize, StoreError> {
    let mut size = PacksSize::default();
    for v in store.packs.iter().values() {
        size.packs += 1;
        size.bytes += v?.len() as u64;
    }
    Ok(size)
}

/// Adds to `problems` what is wrong with the packs: an entry that differs from its article's
/// records, an article without one, or one of no article, where the article is not pending.
pub(crate) fn verify(store: &Store, problems: &mut Vec<String>) -> Result<(), StoreError> {
    if !is_built(store)? {
        return Ok(());
    }
    let mut pending = HashSet::new();
    for k in store.packs_pending.iter().keys() {
        pending.extend(read_u64(&k?));
    }
    let mut expected = std::collections::BTreeMap::new();
    for scanned in store.scan_articles() {
        // A record that cannot be read is the store check's to tell.
        let Ok((entry, meta)) = scanned else { continue };
        if !pending.contains(&entry.id.0) {
            let mut rest = Vec::new();
            encode_entry(&meta, Flags { read: entry.read, starred: entry.starred }, &mut rest);
            expected.insert(entry.id.0, rest);
        }
    }
    let (mut wrong, mut extra) = (0u64, 0u64);
    for kv in store.packs.iter() {
        let (key, pack) = kv?;
        let Some(bucket) = read_u64(&key) else { continue };
        for entry in Entries::of(&pack, bucket) {
            let Ok((packed, rest)) = entry else {
                problems.push(format!(
                    "the pack of articles {} is unreadable (the next query feed counted or `filter test` packs every article anew)",
                    bucket << PACK_BITS
                ));
                break;
            };
            match expected.remove(&packed.id.0) {
                Some(want) if want == pack[rest.clone()] => {}
                Some(_) => wrong += 1,
                None if pending.contains(&packed.id.0) => {}
                None => extra += 1,
            }
        }
    }
    let missing = expected.len();
    for (n, what) in [
        (wrong, "differ from their records"),
        (extra, "are of articles no longer stored"),
        (missing as u64, "are missing"),
    ] {
        if n > 0 {
            problems.push(format!(
                "{n} entries of the articles' packs {what} (`tidings repair` builds them anew)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::query::tests::{dated_store, one_by_one, store_articles, store_articles_with};
    use crate::query::{count_matches, fold, HasWhat, Query};
    use crate::store::{ArticleQuery, Mark, StoreSettings};

    const NOW: i64 = 1_750_000_000;

    /// After a catch-up, nothing is pending, the check finds nothing wrong, and every
    /// article's entry, decoded, is what its records say.
    fn assert_packs_are_the_records(store: &Store, when: &str) {
        catch_up(store).unwrap();
        assert!(store.packs_pending.is_empty(), "{when}: still pending");
        let mut problems = Vec::new();
        verify(store, &mut problems).unwrap();
        assert!(problems.is_empty(), "{when}: {problems:?}");
        let mut packed = Vec::new();
        for range in parts(store, 3).unwrap() {
            for_each(store, range, |p| {
                let owned = |t: Option<&[u8]>| t.map(|t| String::from_utf8(t.to_vec()).unwrap());
                let has =
                    [HasWhat::Images, HasWhat::Enclosure, HasWhat::Link, HasWhat::Author].map(|w| p.has(w));
                packed.push((
                    p.id,
                    p.feed,
                    p.date,
                    p.flags(),
                    owned(Some(p.title)),
                    owned(p.author),
                    owned(p.link),
                    has,
                ));
                Ok(())
            })
            .unwrap();
        }
        let scanned: Vec<_> = store
            .scan_articles()
            .map(|s| {
                let (e, m) = s.unwrap();
                let has = [
                    m.image_count > 0,
                    !m.enclosures.is_empty(),
                    m.link.as_deref().is_some_and(|l| !l.is_empty()),
                    m.author.as_deref().is_some_and(|a| !a.trim().is_empty()),
                ];
                let flags = Flags { read: e.read, starred: e.starred };
                let folded = |t: &Option<String>| t.as_deref().map(fold);
                let texts = (Some(fold(&m.title)), folded(&m.author), folded(&m.link));
                let long = [&texts.0, &texts.1, &texts.2]
                    .iter()
                    .any(|t| t.as_ref().is_some_and(|t| t.len() > LONGEST_PACKED));
                let (title, author, link) = if long { (Some(String::new()), None, None) } else { texts };
                (e.id, m.feed, m.date, flags, title, author, link, has)
            })
            .collect();
        assert!(!scanned.is_empty());
        assert_eq!(packed, scanned, "{when}");
    }

    fn article(i: u32, title: &str) -> ParsedArticle {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&i.to_le_bytes());
        ParsedArticle {
            key: ArticleKey(key),
            title: title.to_owned(),
            date: chrono::DateTime::from_timestamp(NOW - i64::from(i) * 3600, 0),
            content_html: format!("<p>body {i}</p>"),
            ..Default::default()
        }
    }

    #[test]
    fn packs_follow_every_kind_of_write_and_hold_what_the_records_say() {
        let (_dir, store) = dated_store(NOW);
        assert_packs_are_the_records(&store, "stored, marked and tagged");
        let all = store.list_entries(&ArticleQuery::default()).unwrap();
        let ids =
            |step: usize, skip: usize| all.iter().skip(skip).step_by(step).map(|e| e.id).collect::<Vec<_>>();

        store.mark(&ids(5, 1), Mark::Unread).unwrap();
        store.mark(&ids(11, 2), Mark::Star).unwrap();
        store.mark(&ids(14, 0), Mark::Unstar).unwrap();
        assert!(!store.packs_pending.is_empty(), "marks leave their articles pending");
        assert_packs_are_the_records(&store, "marked");
        // Most of one bucket marked (its pack made again from a walk of its records), under a
        // quarter of the store (not all packed anew).
        let bucket: Vec<ArticleId> = (256..256 + WALK_FROM as u64 + 10).map(ArticleId).collect();
        assert!(bucket.len() < all.len() / 4);
        store.mark(&bucket, Mark::Star).unwrap();
        store.mark(&bucket, Mark::Read).unwrap();
        assert!(store.packs_pending.len() >= WALK_FROM, "{}", store.packs_pending.len());
        assert_packs_are_the_records(&store, "most of a bucket marked");

        // A refetch of a feed that changes some titles and brings articles with every shape of
        // author, link, image and enclosure.
        let feeds = store.feeds().unwrap();
        let (first, second, third) = (feeds[0].id, feeds[1].id, feeds[2].id);
        let mut again: Vec<ParsedArticle> = (0..300u32)
            .map(|i| {
                let mut a = article(i, &format!("article {i} of 0"));
                a.key.0[4..8].copy_from_slice(&0u32.to_le_bytes());
                if i % 50 == 0 {
                    a.title = format!("Ünïcödé ÉDITION {i}");
                    a.content_html = format!("<p>changed {i}</p>");
                }
                a
            })
            .collect();
        for (n, (author, link)) in
            [(None, None), (Some("  "), Some("")), (Some("Ada Lovelace"), Some("HTTPS://Example.ORG/Ä"))]
                .into_iter()
                .enumerate()
        {
            let mut a = article(1000 + n as u32, "Ünïcödé ÀUTHOR");
            if n == 1 {
                // A stranger's title of many kilobytes: not packed, read from the record.
                a.title = format!("{} needle", "Long title ".repeat(400));
            }
            a.author = author.map(str::to_owned);
            a.link = link.map(str::to_owned);
            if n == 2 {
                a.content_html = "<p><img src=\"http://127.0.0.1/a.png\"> pictured</p>".to_owned();
                a.enclosures = vec![crate::model::Enclosure {
                    url: "http://127.0.0.1/a.mp3".to_owned(),
                    mime: None,
                    length: None,
                }];
            }
            again.push(a);
        }
        store_articles(&store, first, "feed 0", again, NOW);
        assert_packs_are_the_records(&store, "refetched");
        assert_counted_as_one_by_one(&store, "title:needle or author:ada");

        // Retention drops the oldest of a feed; a removed feed's articles go.
        let keep_ten = StoreSettings { max_articles_per_feed: 10, ..Default::default() };
        store_articles_with(&store, second, "feed 1", vec![article(2000, "newest of 1")], &keep_ten, NOW);
        store.remove_feed(third).unwrap();
        assert_packs_are_the_records(&store, "dropped and removed");

        // Flags carried over from another reader.
        let shown = store.list_entries(&ArticleQuery { feed: Some(first), ..Default::default() }).unwrap();
        let states: Vec<_> = shown
            .iter()
            .take(40)
            .map(|e| {
                let key = store.article(e.id).unwrap().unwrap().meta.key;
                (first, vec![key], Flags { read: true, starred: true })
            })
            .collect();
        assert!(store.import_flags(&states).unwrap().changed > 0);
        assert_packs_are_the_records(&store, "flags imported");
    }

    /// `count_matches` of `expr` agrees with testing every article one by one.
    fn assert_counted_as_one_by_one(store: &Store, expr: &str) {
        let feeds = store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect();
        let all = store.list_entries(&ArticleQuery::default()).unwrap();
        let query = Query::parse(expr).unwrap();
        let wanted = one_by_one(store, &feeds, &all, &query, NOW);
        let counted = count_matches(store, std::slice::from_ref(&query), NOW).unwrap();
        assert_eq!(counted[0].total, wanted.len() as u64, "{expr}");
        assert_eq!(counted[0].unread, wanted.iter().filter(|e| !e.read).count() as u64, "{expr}");
    }

    #[test]
    fn packs_behind_a_change_they_were_not_told_of_are_built_anew() {
        let (_dir, store) = dated_store(NOW);
        let expr = "title:\"article 1\" and unread";
        assert_counted_as_one_by_one(&store, expr);
        assert!(is_built(&store).unwrap());

        // A build without packs marks articles read: its write counts the change, and marks
        // nothing pending.
        let all = store.list_entries(&ArticleQuery::default()).unwrap();
        let unread: Vec<_> = all.iter().filter(|e| !e.read).take(30).collect();
        for e in &unread {
            store
                .flags
                .insert(e.id.0.to_be_bytes(), &Flags { read: true, starred: e.starred }.to_bytes(e.feed))
                .unwrap();
        }
        let mut records = Records::from_bytes(&store.meta.get(RECORDS_KEY).unwrap().unwrap()).unwrap();
        records.seq += 1;
        store.meta.insert(RECORDS_KEY, &records.to_bytes()).unwrap();
        assert!(!is_built(&store).unwrap(), "the count tells the change");
        assert_counted_as_one_by_one(&store, expr);
        assert!(is_built(&store).unwrap());
        assert_packs_are_the_records(&store, "built anew");

        // A build killed half-way (the version goes first): built anew, the same.
        store.meta.remove(VERSION_KEY).unwrap();
        store.packs.remove(1u64.to_be_bytes()).unwrap();
        assert_counted_as_one_by_one(&store, expr);
        assert_packs_are_the_records(&store, "a killed build");
    }

    #[test]
    fn an_unreadable_pack_is_told_by_the_check_and_built_anew_by_the_next_pass() {
        let (_dir, store) = dated_store(NOW);
        assert_packs_are_the_records(&store, "stored");
        let break_pack = |bucket: u64| {
            let mut pack = store.packs.get(bucket.to_be_bytes()).unwrap().unwrap().to_vec();
            pack.truncate(pack.len() - 3);
            store.packs.insert(bucket.to_be_bytes(), pack).unwrap();
        };
        break_pack(1);
        let mut problems = Vec::new();
        verify(&store, &mut problems).unwrap();
        assert!(problems.iter().any(|p| p.contains("unreadable")), "{problems:?}");
        assert_counted_as_one_by_one(&store, "author:zoe or link:example.org/1/");
        assert_packs_are_the_records(&store, "built anew");
        // Broken where a mark is pending: the catch-up that would rewrite it finds it unreadable.
        break_pack(2);
        store.mark(&[ArticleId(600)], Mark::Star).unwrap();
        assert_counted_as_one_by_one(&store, "starred or title:\"article 2\"");
        assert_packs_are_the_records(&store, "built anew while catching up");
    }
}

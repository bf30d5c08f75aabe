//! The inverted index, kept in the store's sled database beside the articles.
//!
//! Layout (four trees, see `Store`):
//! - `search_terms`: term -> its number (u32 big-endian), given in order of first use; the
//!   empty key holds the next number. Numbers keep the other trees small: a term is spelled
//!   once, not in every article's entry.
//! - `search_postings`: `term number ++ bucket` (bucket = article id >> [`BUCKET_BITS`]; both
//!   u32 big-endian) -> the postings of that term for the articles of that bucket, by id: for
//!   each, the id's distance from the previous one and the term's weighted count (varints),
//!   and the article's length in terms as one byte ([`length_byte`]: BM25 needs it only
//!   roughly); then, for each in the same order, where the term is in the article (its
//!   places in the sequence of the article's terms, as varint gaps, after their length in
//!   bytes). The places come after all the counts, and the counts after their own length, so
//!   a search for words reads only the counts; a phrase reads the places of its terms and
//!   never the articles' text. A term's postings are one prefix scan, already in id
//!   order; one article's posting is always in a known key, so removing it reads one block.
//! - `search_docs`: article id -> date, feed, length and the numbers of the article's terms
//!   (sorted, as varint gaps): what removing or replacing its postings needs, and the date
//!   that orders equal scores. The key [`STATS_KEY`] holds the article count and total length
//!   (BM25).
//! - `search_pending`: article ids whose postings are not up to date. Every store write that
//!   adds, changes or removes an article marks it here in its own transaction, so the index
//!   is never silently behind: [`catch_up`] brings the postings up to date (in chunks of
//!   [`CHUNK`] articles, one transaction each, so memory stays bounded however big a feed
//!   is) and unmarks them, and a search catches up before it reads.
//!
//! A database written by a build without search (its changes do not mark articles) is told
//! by `meta`'s `search_seq`, which this build's every write sets to the change count: when it
//! is behind the count, or the index was never built, the index is built anew.

use std::collections::{BTreeMap, HashMap, HashSet};

use sled::transaction::{ConflictableTransactionError, TransactionalTree, UnabortableTransactionError};
use sled::Transactional;

use super::grams::GramsChange;
use super::tokenize;
use crate::model::{ArticleId, FeedId};
use crate::store::{Store, StoreError};

/// The index layout this build writes; a different one is rebuilt.
///
/// 2: terms are numbered (`search_terms`).
/// 3: postings hold the terms' places (phrases are matched in the index).
/// 4: the bodies' trigram bits (`search_grams`, see [`super::grams`]).
pub(crate) const INDEX_VERSION: u64 = 4;
const VERSION_KEY: &str = "search_index";
const SEQ_KEY: &str = "search_seq";
/// 1,024 articles a block: a common term is ~100 blocks at 100,000 articles, a rare one a
/// block per article it is in.
pub(crate) const BUCKET_BITS: u32 = 10;
/// Articles indexed per transaction while catching up: a bucket's worth. Each transaction
/// rewrites the blocks of every term its articles have, so fewer, bigger ones rewrite each
/// block fewer times; the postings of one chunk (about 250 terms an article, 16 bytes each)
/// are a few MB.
pub(crate) const CHUNK: usize = 1 << BUCKET_BITS;
/// In `search_docs`: the article count and total length. Not 8 bytes, so never an id.
pub(crate) const STATS_KEY: &[u8] = b"stats";
/// Title words count this many times: an article about a word usually says it in its title.
pub(crate) const TITLE_WEIGHT: u32 = 3;

/// Marks an article's postings as out of date, inside the transaction that changes it.
pub(crate) fn mark_pending(
    pending: &TransactionalTree,
    id: ArticleId,
) -> Result<(), UnabortableTransactionError> {
    pending.insert(&id.0.to_be_bytes(), &change_token())?;
    Ok(())
}

/// A value that differs between two marks of the same article: catching up unmarks an
/// article only if it was not marked again while its postings were being written.
pub(crate) fn change_token() -> [u8; 8] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ NEXT.fetch_add(1, Ordering::Relaxed).rotate_left(48)).to_be_bytes()
}

/// Records, in a write transaction of this build (change `before` -> `after`), that the index
/// still knows of every change: only if it knew of every one before. A change made by a build
/// without search in between leaves the mark behind for good, until the index is rebuilt.
pub(crate) fn note_change(
    meta: &TransactionalTree,
    before: u64,
    after: u64,
) -> Result<(), UnabortableTransactionError> {
    follow_change(meta, SEQ_KEY, before, after)
}

/// For what is kept beside the articles and told stale by a change count in `meta` (the
/// search index, the packs): moves `seq_key` from `before` to `after` in the change's write
/// transaction, only if it was at `before`.
pub(crate) fn follow_change(
    meta: &TransactionalTree,
    seq_key: &str,
    before: u64,
    after: u64,
) -> Result<(), UnabortableTransactionError> {
    if meta.get(seq_key)?.as_deref().and_then(read_u64) == Some(before) {
        meta.insert(seq_key, &after.to_be_bytes())?;
    }
    Ok(())
}

/// The version and change count under `version_key` and `seq_key`, with the store's own
/// change count, read together: what is kept is current when its count is the store's.
pub(crate) fn kept_state(
    store: &Store,
    version_key: &str,
    seq_key: &str,
) -> Result<(Option<u64>, Option<u64>, u64), StoreError> {
    let (version, seen, records) = store
        .meta
        .transaction(|m| {
            let v = |k: &str| m.get(k).map(|v| v.as_deref().and_then(read_u64));
            Ok((v(version_key)?, v(seq_key)?, m.get(crate::store::RECORDS_KEY)?))
        })
        .map_err(|e: sled::transaction::TransactionError<()>| match e {
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt("meta read".into()),
        })?;
    let seq = records.and_then(|v| crate::store::Records::from_bytes(&v)).map_or(0, |r| r.seq);
    Ok((version, seen, seq))
}

/// For a new database: its (empty) index is complete as of change `seq`.
pub(crate) fn mark_built(batch: &mut sled::Batch, seq: u64) {
    batch.insert(VERSION_KEY, &INDEX_VERSION.to_be_bytes());
    batch.insert(SEQ_KEY, &seq.to_be_bytes());
}

/// What [`catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CatchUp {
    /// Articles whose postings were written or removed.
    pub indexed: u64,
    /// The index was built from scratch (never built, an older layout, or written to by a
    /// tidings without search).
    pub(crate) rebuilt: bool,
}

/// Whether the index can be caught up from its pending list, or must be built anew.
pub fn needs_build(store: &Store) -> Result<bool, StoreError> {
    let (version, seen, seq) = kept_state(store, VERSION_KEY, SEQ_KEY)?;
    Ok(version != Some(INDEX_VERSION) || seen != Some(seq))
}

/// Brings the index up to date: builds it if [`needs_build`], then writes the postings of
/// every pending article. Safe to call from any thread; calls run one at a time.
pub fn catch_up(store: &Store) -> Result<CatchUp, StoreError> {
    let mut turn = store.search_turn.lock().unwrap_or_else(fresh_turn);
    let mut done = CatchUp::default();
    // While this drains, a refresh's catch-up leaves its articles to it (see
    // `catch_up_sparing`) instead of waiting: at a build, for minutes.
    let draining = Draining::start(store);
    if needs_build(store)? {
        start_build(store)?;
        turn.forget_numbers();
        done.rebuilt = true;
    }
    done.indexed = drain(store, &mut turn)?;
    // What a refresh marked and left to this before it ends, indexed below.
    drop(draining);
    done.indexed += drain(store, &mut turn)?;
    Ok(done)
}

/// Whether the index must be built, or has more than a chunk of articles to catch up with
/// (a build cut short by a kill: the pending list holds the rest of it).
pub(crate) fn far_behind(store: &Store) -> Result<bool, StoreError> {
    Ok(needs_build(store)? || store.search_pending.iter().keys().nth(CHUNK).is_some())
}

/// [`Store::search_draining`], set while it lives.
struct Draining<'s>(&'s Store);

impl<'s> Draining<'s> {
    fn start(store: &'s Store) -> Draining<'s> {
        store.search_draining.store(true, std::sync::atomic::Ordering::SeqCst);
        Draining(store)
    }
}

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        self.0.search_draining.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// [`catch_up`], unless the index must be built first: a refresh indexes what it stores, but
/// leaves a first build (minutes at a million articles) to the reader, which builds it in the
/// background, or to the first search, which says so.
pub fn catch_up_if_built(store: &Store) -> Result<Option<CatchUp>, StoreError> {
    catch_up_sparing(store, false)
}

/// [`catch_up_if_built`]; with `spare_newest`, the articles of the newest bucket stay pending:
/// what a refresh asks for between its writes, since the feeds it writes next fill that
/// bucket further, and each block indexed once when its bucket is full is written once
/// instead of at every catch-up (sled keeps every rewrite on disk until it cleans).
pub(crate) fn catch_up_sparing(store: &Store, spare_newest: bool) -> Result<Option<CatchUp>, StoreError> {
    // Asked first without the turn, which a build (in the background, or a search's) holds
    // until it is done: nothing waits for it here. A catch-up running indexes what was marked
    // before it ends (see `catch_up`), these articles included.
    if store.search_draining.load(std::sync::atomic::Ordering::SeqCst) || needs_build(store)? {
        return Ok(None);
    }
    let mut turn = store.search_turn.lock().unwrap_or_else(fresh_turn);
    if needs_build(store)? {
        return Ok(None);
    }
    let below = match store.search_pending.last()? {
        Some((newest, _)) if spare_newest => read_u64(&newest).map(|id| (id >> BUCKET_BITS) << BUCKET_BITS),
        _ => None,
    };
    Ok(Some(CatchUp { indexed: drain_below(store, &mut turn, below)?, rebuilt: false }))
}

/// Throws the index away and marks every article pending; [`drain`] then builds it. The
/// version key goes first, so a build killed half-way starts over.
pub(crate) fn start_build(store: &Store) -> Result<(), StoreError> {
    store.search_builds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    store.meta.remove(VERSION_KEY)?;
    store.search_postings.clear()?;
    store.search_docs.clear()?;
    store.search_terms.clear()?;
    store.search_grams.clear()?;
    store.search_pending.clear()?;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for key in store.articles.iter().keys() {
        batch.insert(key?, &change_token());
        in_batch += 1;
        if in_batch == 10_000 {
            store.search_pending.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    store.search_pending.apply_batch(batch)?;
    // The version and the change count together: a write between the scan above and here
    // marked its articles itself.
    store
        .meta
        .transaction(|m| {
            let seq = m
                .get(crate::store::RECORDS_KEY)?
                .and_then(|v| crate::store::Records::from_bytes(&v))
                .map_or(0, |r| r.seq);
            m.insert(VERSION_KEY, &INDEX_VERSION.to_be_bytes())?;
            m.insert(SEQ_KEY, &seq.to_be_bytes())?;
            Ok(())
        })
        .map_err(|e: sled::transaction::TransactionError<()>| match e {
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt("meta write".into()),
        })?;
    Ok(())
}

/// One article as the index sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocEntry {
    pub(crate) date: i64,
    pub(crate) feed: FeedId,
    /// In terms, the title's counted [`TITLE_WEIGHT`] times.
    pub(crate) len: u32,
    /// The numbers of its distinct terms, sorted.
    pub(crate) terms: Vec<u32>,
}

/// One article's posting in one term's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    pub(crate) doc: u64,
    /// The term's count, title occurrences weighted.
    pub(crate) tf: u32,
    pub(crate) len: u32,
}

/// The text of an article that is indexed, and searched for phrases and snippets.
pub(crate) struct DocText {
    pub(crate) title: String,
    pub(crate) author: String,
    /// The summary (if any) and body flattened to one line of text ([`crate::store::ArticleBody::text`]).
    pub(crate) body: String,
    pub(crate) feed: FeedId,
    pub(crate) date: i64,
}

/// The article's text from its records as [`Store::index_reads`] read them, `None` when it is
/// no longer stored or its feed is being removed. A body that cannot be read is indexed
/// without it (its title still finds it) rather than stopping the index.
fn doc_text(read: crate::store::IndexRead) -> Result<Option<DocText>, StoreError> {
    let Some(m) = read.meta else { return Ok(None) };
    let body = match read.body.as_deref().map(crate::store::decompress_body) {
        Some(Ok(b)) => b.text(),
        None | Some(Err(StoreError::Corrupt(_))) => String::new(),
        Some(Err(e)) => return Err(e),
    };
    Ok(Some(DocText {
        title: m.title,
        author: m.author.unwrap_or_default(),
        body,
        feed: m.feed,
        date: m.date,
    }))
}

/// What the catch-ups of one store keep between them (behind `Store::search_turn`, so one
/// at a time): the words met so far, numbered, and the index's numbers of those terms, so a
/// common word is neither cut nor looked up in `search_terms` again at every chunk.
#[derive(Default)]
pub(crate) struct Turn {
    vocabulary: tokenize::Vocabulary,
    /// The index's number of each vocabulary term, [`UNKNOWN`] where not looked up yet. Only
    /// numbers whose term is written in `search_terms` (committed) are kept here.
    numbers: Vec<u32>,
    /// Scratch of [`analyze`]: counts by vocabulary number, and which are not zero; the
    /// article's terms with their places.
    counts: Vec<u32>,
    counted: Vec<u32>,
    placed: Vec<(u32, u32)>,
    /// The index's number of each feed's term met so far (see [`feed_term`]).
    feeds: HashMap<FeedId, u32>,
}

/// A turn whose holder panicked may keep numbers that were never written: start again.
fn fresh_turn(
    poisoned: std::sync::PoisonError<std::sync::MutexGuard<'_, Turn>>,
) -> std::sync::MutexGuard<'_, Turn> {
    let mut turn = poisoned.into_inner();
    *turn = Turn::default();
    turn
}

/// In [`Turn::numbers`]: not looked up yet.
const UNKNOWN: u32 = u32::MAX;

impl Turn {
    /// After the index was thrown away: its term numbers are given anew.
    fn forget_numbers(&mut self) {
        self.numbers.clear();
        self.feeds.clear();
    }

    /// Between chunks: past its bound, the vocabulary starts again (so memory stays bounded
    /// whatever the articles' words), and with it the numbers kept for its terms.
    fn bound(&mut self) {
        if self.vocabulary.is_full() {
            *self = Turn::default();
        }
    }

    /// The terms of an article's text with their weighted counts (by vocabulary number) and
    /// their places, encoded onto `places` (see [`Analyzed`]); and its length in terms.
    ///
    /// Places number the terms of the title, then the author, then the text, one apart, with a
    /// place left empty between two fields, so a phrase is never found across them.
    fn analyze(&mut self, text: &DocText, places: &mut Vec<u8>) -> (Vec<Analyzed>, u32) {
        let Turn { vocabulary, counts, counted, placed, .. } = self;
        let mut len = 0u32;
        let mut place = 0u32;
        for (field, weight) in [(&text.title, TITLE_WEIGHT), (&text.author, 1), (&text.body, 1)] {
            vocabulary.for_each_term(field, |n| {
                let i = n as usize;
                if i >= counts.len() {
                    counts.resize(i + 1, 0);
                }
                if counts[i] == 0 {
                    counted.push(n);
                }
                counts[i] = counts[i].saturating_add(weight);
                len = len.saturating_add(weight);
                placed.push((n, place));
                place = place.saturating_add(1);
            });
            place = place.saturating_add(1);
        }
        // By term, each term's places in order.
        placed.sort_unstable();
        let mut out = Vec::with_capacity(counted.len());
        let mut at = 0;
        while at < placed.len() {
            let word = placed[at].0;
            let start = places.len();
            let mut prev = 0;
            while let Some(&(_, p)) = placed.get(at).filter(|(w, _)| *w == word) {
                put_varint(places, u64::from(p - prev));
                prev = p;
                at += 1;
            }
            let tf = std::mem::take(&mut counts[word as usize]);
            out.push(Analyzed { word, tf, places: start..places.len() });
        }
        counted.clear();
        placed.clear();
        (out, len)
    }
}

/// One term of an article as [`Turn::analyze`] found it.
struct Analyzed {
    /// Its vocabulary number.
    word: u32,
    /// Its count, title occurrences weighted.
    tf: u32,
    /// Its places as varint gaps (the first from 0), in the chunk's buffer of places.
    places: std::ops::Range<usize>,
}

/// Writes the postings of pending articles, a chunk per transaction, until none is left.
fn drain(store: &Store, turn: &mut Turn) -> Result<u64, StoreError> {
    drain_below(store, turn, None)
}

/// [`drain`], of the articles with ids below `below` only (all without it).
fn drain_below(store: &Store, turn: &mut Turn, below: Option<u64>) -> Result<u64, StoreError> {
    let mut total = 0u64;
    let end = below.map_or([0xff; 9].to_vec(), |b| b.to_be_bytes().to_vec());
    loop {
        let mut chunk: Vec<(sled::IVec, sled::IVec)> = Vec::with_capacity(CHUNK);
        for kv in store.search_pending.range(..end.as_slice()).take(CHUNK) {
            chunk.push(kv?);
        }
        if chunk.is_empty() {
            return Ok(total);
        }
        turn.bound();
        match index_chunk(store, turn, &chunk) {
            Ok(n) => total += n,
            Err(e) => {
                // It may keep numbers of terms that were not written: start again.
                *turn = Turn::default();
                return Err(e);
            }
        }
    }
}

/// What a chunk changes in one block: articles whose posting goes, and postings that come
/// (with where their places are in the chunk's buffer).
#[derive(Default)]
struct BlockChange {
    remove: HashSet<u64>,
    add: Vec<(Posting, std::ops::Range<usize>)>,
}

fn index_chunk(
    store: &Store,
    turn: &mut Turn,
    chunk: &[(sled::IVec, sled::IVec)],
) -> Result<u64, StoreError> {
    let mut blocks: BTreeMap<[u8; 8], BlockChange> = BTreeMap::new();
    let mut docs: Vec<(u64, Option<DocEntry>)> = Vec::with_capacity(chunk.len());
    let (mut d_count, mut d_len) = (0i64, 0i64);
    // Catch-ups run one at a time, so numbers given here are not given again meanwhile; the
    // new ones are written in the transaction that writes the postings using them, and kept
    // in `turn` only once it committed.
    let mut new_terms: Vec<(NewTerm, u32)> = Vec::new();
    let mut next_number = match store.search_terms.get(NEXT_TERM_KEY)? {
        Some(v) => read_u32(&v).ok_or_else(|| corrupt("the next term number"))?,
        None => 0,
    };
    let ids: Vec<ArticleId> = chunk.iter().filter_map(|(key, _)| read_u64(key)).map(ArticleId).collect();
    let mut reads = Vec::new();
    // The places of every new posting of the chunk, one buffer instead of one per posting.
    let mut places: Vec<u8> = Vec::new();
    let mut grams = GramsChange::default();
    for (i, &ArticleId(doc)) in ids.iter().enumerate() {
        if i % READ_BATCH == 0 {
            let end = (i + READ_BATCH).min(ids.len());
            reads = store.index_reads(&ids[i..end])?;
            reads.reverse();
        }
        let Some(read) = reads.pop() else { return Err(corrupt("a batch of reads")) };
        if let Some(old) = &read.entry {
            let old = decode_doc(old).ok_or_else(|| corrupt("an article's search entry"))?;
            for &term in &old.terms {
                blocks.entry(block_key(term, doc)).or_default().remove.insert(doc);
            }
            d_count -= 1;
            d_len -= i64::from(old.len);
        }
        let had_entry = read.entry.is_some();
        let entry = match doc_text(read)? {
            Some(text) => {
                grams.add(doc, &crate::query::fold(&text.body));
                let (counts, len) = turn.analyze(&text, &mut places);
                if turn.numbers.len() < turn.vocabulary.len() {
                    turn.numbers.resize(turn.vocabulary.len(), UNKNOWN);
                }
                let mut terms: Vec<u32> = Vec::with_capacity(counts.len());
                for Analyzed { word, tf, places } in counts {
                    let number = match turn.numbers[word as usize] {
                        UNKNOWN => {
                            let term = turn.vocabulary.term(word).as_bytes();
                            let (n, new) = term_number(store, term, &mut next_number)?;
                            if new {
                                new_terms.push((NewTerm::Word(word), n));
                            }
                            // Until the commit if new: so the chunk's other articles use it.
                            turn.numbers[word as usize] = n;
                            n
                        }
                        n => n,
                    };
                    blocks
                        .entry(block_key(number, doc))
                        .or_default()
                        .add
                        .push((Posting { doc, tf, len }, places));
                    terms.push(number);
                }
                // The feed's own term: its articles, for a search in one feed or for a word
                // of the feed's title, without reading the feed's list of articles.
                let number = match turn.feeds.get(&text.feed) {
                    Some(&n) => n,
                    None => {
                        let (n, new) = term_number(store, &feed_term(text.feed), &mut next_number)?;
                        if new {
                            new_terms.push((NewTerm::Feed(text.feed), n));
                        }
                        turn.feeds.insert(text.feed, n);
                        n
                    }
                };
                let none = places.len()..places.len();
                blocks
                    .entry(block_key(number, doc))
                    .or_default()
                    .add
                    .push((Posting { doc, tf: 0, len }, none));
                terms.push(number);
                terms.sort_unstable();
                d_count += 1;
                d_len += i64::from(len);
                Some(DocEntry { date: text.date, feed: text.feed, len, terms })
            }
            None => {
                if had_entry {
                    grams.remove(doc);
                }
                None
            }
        };
        docs.push((doc, entry));
    }
    let encoded_docs: Vec<(u64, Option<Vec<u8>>)> =
        docs.iter().map(|(doc, e)| (*doc, e.as_ref().map(encode_doc))).collect();
    // Set before the transaction unmarks the articles (see `GramsChange::write`).
    let emptied = grams.take_left();
    grams.write(store)?;
    (&store.search_pending, &store.search_postings, &store.search_docs, &store.search_terms)
        .transaction(|(pending, postings, search_docs, search_terms)| {
            for &(term, n) in &new_terms {
                match term {
                    NewTerm::Word(word) => {
                        search_terms.insert(turn.vocabulary.term(word).as_bytes(), &n.to_be_bytes())?
                    }
                    NewTerm::Feed(feed) => search_terms.insert(&feed_term(feed), &n.to_be_bytes())?,
                };
            }
            if !new_terms.is_empty() {
                search_terms.insert(NEXT_TERM_KEY, &next_number.to_be_bytes())?;
            }
            for (key, change) in &blocks {
                let old = postings.get(key)?;
                let mut list: Vec<(Posting, &[u8])> = match &old {
                    Some(v) => match decode_placed_block(v, bucket_base(key)) {
                        Some(list) => list,
                        None => return Err(ConflictableTransactionError::Abort(corrupt("a postings block"))),
                    },
                    None => Vec::new(),
                };
                list.retain(|(p, _)| !change.remove.contains(&p.doc));
                list.extend(change.add.iter().map(|(p, at)| (*p, &places[at.clone()])));
                list.sort_unstable_by_key(|(p, _)| p.doc);
                if list.is_empty() {
                    postings.remove(&key[..])?;
                } else {
                    postings.insert(&key[..], encode_block(&list, bucket_base(key)))?;
                }
            }
            for (doc, entry) in &encoded_docs {
                match entry {
                    Some(bytes) => search_docs.insert(&doc.to_be_bytes(), bytes.as_slice())?,
                    None => search_docs.remove(&doc.to_be_bytes())?,
                };
            }
            let (count, len) = search_docs.get(STATS_KEY)?.map_or((0, 0), |v| decode_stats(&v));
            let stats = encode_stats(count.saturating_add_signed(d_count), len.saturating_add_signed(d_len));
            search_docs.insert(STATS_KEY, &stats)?;
            for (key, token) in chunk {
                // Marked again meanwhile: its new text is indexed by the next round.
                if pending.get(key)?.as_ref() == Some(token) {
                    pending.remove(key)?;
                }
            }
            Ok(())
        })
        .map_err(|e| match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        })?;
    super::grams::forget_emptied(store, emptied)?;
    Ok(chunk.len() as u64)
}

/// A term first met in a chunk, written with its postings.
#[derive(Clone, Copy)]
enum NewTerm {
    /// A word, by its number in the turn's vocabulary.
    Word(u32),
    Feed(FeedId),
}

/// The index's number of `term`: the one `search_terms` has, else the next one (`true`: new,
/// to be written with the chunk's postings).
fn term_number(store: &Store, term: &[u8], next_number: &mut u32) -> Result<(u32, bool), StoreError> {
    if let Some(v) = store.search_terms.get(term)? {
        return Ok((read_u32(&v).ok_or_else(|| corrupt("a term's number"))?, false));
    }
    let n = *next_number;
    *next_number = n.checked_add(1).ok_or_else(|| corrupt("the term numbers (all 4 billion are used)"))?;
    Ok((n, true))
}

/// The term every article of a feed is indexed under (with no count and no places): a
/// control character first, so no word ever cuts to it.
fn feed_term(feed: FeedId) -> [u8; 9] {
    let mut term = [0u8; 9];
    term[0] = 1;
    term[1..].copy_from_slice(&feed.0.to_be_bytes());
    term
}

/// The ids of the feeds' articles, sorted: the postings of their feed terms.
pub(crate) fn docs_of_feeds(store: &Store, feeds: &[FeedId]) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    for &feed in feeds {
        out.extend(postings_of(store, &feed_term(feed))?.into_iter().map(|p| p.doc));
    }
    if feeds.len() > 1 {
        out.sort_unstable();
        out.dedup();
    }
    Ok(out)
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} in the search index cannot be read (run `tidings check --repair`)"))
}

/// The postings of one term, in id order (none for a term no article has had).
pub(crate) fn postings(store: &Store, term: &str) -> Result<Vec<Posting>, StoreError> {
    postings_of(store, term.as_bytes())
}

fn postings_of(store: &Store, term: &[u8]) -> Result<Vec<Posting>, StoreError> {
    let Some(number) = store.search_terms.get(term)? else { return Ok(Vec::new()) };
    let number = read_u32(&number).ok_or_else(|| corrupt("a term's number"))?;
    let mut out = Vec::new();
    for kv in store.search_postings.scan_prefix(number.to_be_bytes()) {
        let (k, v) = kv?;
        if k.len() != 8 {
            continue;
        }
        out.extend(decode_block(&v, bucket_base(&k)).ok_or_else(|| corrupt("a postings block"))?);
    }
    Ok(out)
}

/// The articles, by id, whose title, author or text has `terms` side by side and in this
/// order: read from the terms' places, a bucket of blocks at a time, never from the text.
pub(crate) fn phrase_docs(store: &Store, terms: &[String]) -> Result<Vec<u64>, StoreError> {
    let mut numbers = Vec::with_capacity(terms.len());
    for term in terms {
        let Some(n) = store.search_terms.get(term.as_bytes())? else { return Ok(Vec::new()) };
        numbers.push(read_u32(&n).ok_or_else(|| corrupt("a term's number"))?);
    }
    let Some((&first, others)) = numbers.split_first() else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let mut places: Vec<Vec<u32>> = vec![Vec::new(); numbers.len()];
    'buckets: for kv in store.search_postings.scan_prefix(first.to_be_bytes()) {
        let (key, block) = kv?;
        if key.len() != 8 {
            continue;
        }
        let base = bucket_base(&key);
        let mut blocks = Vec::with_capacity(numbers.len());
        blocks.push(block);
        for &n in others {
            match store.search_postings.get(block_key(n, base))? {
                Some(block) => blocks.push(block),
                // No article of this bucket has that term.
                None => continue 'buckets,
            }
        }
        let mut lists = Vec::with_capacity(blocks.len());
        for block in &blocks {
            lists.push(decode_placed_block(block, base).ok_or_else(|| corrupt("a postings block"))?);
        }
        let Some((firsts, rest)) = lists.split_first() else { continue };
        // The articles in every list: each other list's cursor only moves forward.
        let mut cursors = vec![0usize; rest.len()];
        let mut found: Vec<&[u8]> = Vec::with_capacity(lists.len());
        'docs: for (posting, encoded) in firsts {
            found.clear();
            found.push(encoded);
            for (list, cursor) in rest.iter().zip(cursors.iter_mut()) {
                while list.get(*cursor).is_some_and(|(p, _)| p.doc < posting.doc) {
                    *cursor += 1;
                }
                match list.get(*cursor) {
                    Some((p, encoded)) if p.doc == posting.doc => found.push(encoded),
                    _ => continue 'docs,
                }
            }
            for (encoded, out) in found.iter().zip(places.iter_mut()) {
                decode_places(encoded, out).ok_or_else(|| corrupt("a posting's places"))?;
            }
            if side_by_side(&places) {
                out.push(posting.doc);
            }
        }
    }
    Ok(out)
}

/// Whether some place of the first list is followed by one of the second, the place after
/// that by one of the third, and so on (each list sorted).
fn side_by_side(places: &[Vec<u32>]) -> bool {
    let Some((firsts, rest)) = places.split_first() else { return false };
    firsts.iter().any(|&start| {
        rest.iter().zip(1u32..).all(|(list, step)| {
            start.checked_add(step).is_some_and(|place| list.binary_search(&place).is_ok())
        })
    })
}

/// Article count and total length.
pub(crate) fn stats(store: &Store) -> Result<(u64, u64), StoreError> {
    Ok(store.search_docs.get(STATS_KEY)?.map_or((0, 0), |v| decode_stats(&v)))
}

pub(crate) fn doc_entry(store: &Store, doc: u64) -> Result<Option<DocEntry>, StoreError> {
    match store.search_docs.get(doc.to_be_bytes())? {
        Some(v) => Ok(Some(decode_doc(&v).ok_or_else(|| corrupt("an article's search entry"))?)),
        None => Ok(None),
    }
}

/// What the index holds, in bytes of keys and values as sled is given them (its pages add
/// their own overhead on disk).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexSize {
    pub articles: u64,
    pub postings_blocks: u64,
    pub postings_bytes: u64,
    pub entries_bytes: u64,
    pub(crate) terms: u64,
    pub(crate) terms_bytes: u64,
    /// The bodies' trigram bits ([`super::grams`]).
    pub grams_bytes: u64,
}

/// Counts what the index holds (a scan of its trees: for benches and reports, not for lists).
pub fn size(store: &Store) -> Result<IndexSize, StoreError> {
    let mut s = IndexSize { articles: stats(store)?.0, ..Default::default() };
    for kv in store.search_postings.iter() {
        let (k, v) = kv?;
        s.postings_blocks += 1;
        s.postings_bytes += (k.len() + v.len()) as u64;
    }
    for kv in store.search_docs.iter() {
        let (k, v) = kv?;
        s.entries_bytes += (k.len() + v.len()) as u64;
    }
    for kv in store.search_terms.iter() {
        let (k, v) = kv?;
        s.terms += 1;
        s.terms_bytes += (k.len() + v.len()) as u64;
    }
    s.grams_bytes = super::grams::size(store)?.1;
    Ok(s)
}

/// Adds to `problems` what is wrong with the index: an article not in it (and not pending),
/// an entry or posting of an article that is gone, postings that disagree with the entries.
/// An index that is to be built anew has nothing to check yet.
pub(crate) fn verify(store: &Store, problems: &mut Vec<String>) -> Result<(), StoreError> {
    if needs_build(store)? {
        return Ok(());
    }
    let mut found = Vec::new();
    let mut pending = HashSet::new();
    for k in store.search_pending.iter().keys() {
        if let Some(id) = read_u64(&k?) {
            pending.insert(id);
        }
    }
    // Terms each indexed article should have a posting for.
    let mut expected: HashMap<u64, usize> = HashMap::new();
    let (mut count, mut total_len) = (0u64, 0u64);
    for kv in store.search_docs.iter() {
        let (k, v) = kv?;
        if k.as_ref() == STATS_KEY {
            continue;
        }
        let Some(doc) = read_u64(&k).filter(|_| k.len() == 8) else {
            found.push("the search index has an entry under a key that is not an article's".to_owned());
            continue;
        };
        let Some(entry) = decode_doc(&v) else {
            found.push(format!("the search entry of article {doc} cannot be read"));
            continue;
        };
        if !pending.contains(&doc) && !store.articles.contains_key(doc.to_be_bytes())? {
            found.push(format!("the search index still has article {doc}, which is gone"));
        }
        count += 1;
        total_len += u64::from(entry.len);
        expected.insert(doc, entry.terms.len());
    }
    for k in store.articles.iter().keys() {
        let k = k?;
        let Some(id) = read_u64(&k) else { continue };
        if !expected.contains_key(&id) && !pending.contains(&id) {
            found.push(format!("article {id} is not in the search index"));
        }
    }
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for kv in store.search_postings.iter() {
        let (k, v) = kv?;
        let Some(list) = (k.len() == 8).then(|| decode_placed_block(&v, bucket_base(&k))).flatten() else {
            found.push("a postings block of the search index cannot be read".to_owned());
            continue;
        };
        for (p, _) in list {
            if p.doc >> BUCKET_BITS != bucket_base(&k) >> BUCKET_BITS {
                found.push(format!("a posting of article {} is in another article's block", p.doc));
            }
            *seen.entry(p.doc).or_default() += 1;
        }
    }
    for (doc, n) in &seen {
        match expected.get(doc) {
            None => {
                found
                    .push(format!("the search index has postings for article {doc}, which it does not hold"));
            }
            Some(want) if want != n => {
                found.push(format!("article {doc} has {n} search postings for its {want} terms"));
            }
            Some(_) => {}
        }
    }
    for (doc, want) in &expected {
        if *want > 0 && !seen.contains_key(doc) {
            found.push(format!("article {doc} has no search postings for its {want} terms"));
        }
    }
    let mut indexed: Vec<u64> = expected.keys().copied().filter(|d| !pending.contains(d)).collect();
    indexed.sort_unstable();
    super::grams::verify(store, indexed.into_iter(), &mut found)?;
    if stats(store)? != (count, total_len) {
        found.push("the search index's article count or total length is wrong".to_owned());
    }
    const SHOWN: usize = 20;
    let more = found.len().saturating_sub(SHOWN);
    problems.extend(found.into_iter().take(SHOWN));
    if more > 0 {
        problems.push(format!("... and {more} more search index problems"));
    }
    Ok(())
}

// ---- encoding ----

/// Articles whose records one [`Store::index_reads`] reads: one wait for sled's lock instead
/// of three an article, and a bounded number of compressed bodies in memory at once.
const READ_BATCH: usize = 64;

/// In `search_terms`: the next term number. Never a term (terms are not empty).
const NEXT_TERM_KEY: &[u8] = b"";

fn block_key(term: u32, doc: u64) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..4].copy_from_slice(&term.to_be_bytes());
    k[4..].copy_from_slice(&((doc >> BUCKET_BITS) as u32).to_be_bytes());
    k
}

/// The first id a block key's bucket can hold.
fn bucket_base(key: &[u8]) -> u64 {
    let n = key.len();
    let b = key.get(n.saturating_sub(4)..).and_then(|b| <[u8; 4]>::try_from(b).ok()).unwrap_or_default();
    u64::from(u32::from_be_bytes(b)) << BUCKET_BITS
}

/// A block's value: the length of its counts, the counts (id gap, count, length byte, for
/// each posting), then each posting's places (their length in bytes, then the gaps).
fn encode_block(list: &[(Posting, &[u8])], base: u64) -> Vec<u8> {
    let mut counts = Vec::with_capacity(list.len() * 4);
    let mut prev = base;
    for (p, _) in list {
        put_varint(&mut counts, p.doc - prev);
        put_varint(&mut counts, u64::from(p.tf));
        counts.push(length_byte(p.len));
        prev = p.doc;
    }
    let places: usize = list.iter().map(|(_, at)| at.len() + 2).sum();
    let mut out = Vec::with_capacity(counts.len() + places + 4);
    put_varint(&mut out, counts.len() as u64);
    out.extend_from_slice(&counts);
    for (_, at) in list {
        put_varint(&mut out, at.len() as u64);
        out.extend_from_slice(at);
    }
    out
}

/// The counts part of a block, and where its places part starts.
fn block_counts(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let mut at = 0;
    let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
    let end = at.checked_add(len)?;
    Some((bytes.get(at..end)?, end))
}

/// A block's postings, without their places: what a search for words reads.
fn decode_block(bytes: &[u8], base: u64) -> Option<Vec<Posting>> {
    let (counts, _) = block_counts(bytes)?;
    let mut out = Vec::new();
    let mut at = 0;
    let mut prev = base;
    while at < counts.len() {
        let doc = prev.checked_add(get_varint(counts, &mut at)?)?;
        let tf = u32::try_from(get_varint(counts, &mut at)?).ok()?;
        let len = length_of_byte(*counts.get(at)?);
        at += 1;
        out.push(Posting { doc, tf, len });
        prev = doc;
    }
    Some(out)
}

/// A block's postings, each with its places (still encoded, lent from `bytes`).
fn decode_placed_block(bytes: &[u8], base: u64) -> Option<Vec<(Posting, &[u8])>> {
    let list = decode_block(bytes, base)?;
    let (_, mut at) = block_counts(bytes)?;
    let mut out = Vec::with_capacity(list.len());
    for p in list {
        let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
        let end = at.checked_add(len)?;
        out.push((p, bytes.get(at..end)?));
        at = end;
    }
    (at == bytes.len()).then_some(out)
}

/// The places that [`Turn::analyze`] encoded, decoded onto `out` (cleared first).
fn decode_places(bytes: &[u8], out: &mut Vec<u32>) -> Option<()> {
    out.clear();
    let mut at = 0;
    let mut place = 0u32;
    while at < bytes.len() {
        place = place.checked_add(u32::try_from(get_varint(bytes, &mut at)?).ok()?)?;
        out.push(place);
    }
    Some(())
}

/// An article's length in one byte, exact up to 32 and within about 3% above (a step of
/// 1/16 in its logarithm, up to about 35 million terms): a byte less in every posting.
pub(crate) fn length_byte(len: u32) -> u8 {
    if len <= 32 {
        return len as u8;
    }
    (32.0 + (f64::from(len) / 32.0).ln() * 16.0).round().min(255.0) as u8
}

/// The length a [`length_byte`] stands for.
pub(crate) fn length_of_byte(b: u8) -> u32 {
    if b <= 32 {
        return u32::from(b);
    }
    (32.0 * ((f64::from(b) - 32.0) / 16.0).exp()).round() as u32
}

fn encode_doc(d: &DocEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + d.terms.len() * 2);
    out.extend_from_slice(&d.date.to_be_bytes());
    out.extend_from_slice(&d.feed.0.to_be_bytes());
    put_varint(&mut out, u64::from(d.len));
    // Sorted numbers as gaps: mostly one or two bytes each.
    let mut prev = 0u32;
    for &t in &d.terms {
        put_varint(&mut out, u64::from(t - prev));
        prev = t;
    }
    out
}

fn decode_doc(bytes: &[u8]) -> Option<DocEntry> {
    let date = i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let feed = FeedId(read_u64(bytes.get(8..16)?)?);
    let mut at = 16;
    let len = u32::try_from(get_varint(bytes, &mut at)?).ok()?;
    let mut terms: Vec<u32> = Vec::new();
    let mut prev = 0u32;
    while at < bytes.len() {
        prev = prev.checked_add(u32::try_from(get_varint(bytes, &mut at)?).ok()?)?;
        terms.push(prev);
    }
    Some(DocEntry { date, feed, len, terms })
}

fn encode_stats(count: u64, len: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&count.to_be_bytes());
    b[8..].copy_from_slice(&len.to_be_bytes());
    b
}

fn decode_stats(bytes: &[u8]) -> (u64, u64) {
    (read_u64(bytes).unwrap_or(0), bytes.get(8..).and_then(read_u64).unwrap_or(0))
}

fn read_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

fn read_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_entries_round_trip() {
        let list = vec![
            Posting { doc: 2048, tf: 3, len: length_of_byte(length_byte(100)) },
            Posting { doc: 2050, tf: 1, len: 7 },
            Posting { doc: 3071, tf: 300, len: length_of_byte(length_byte(70_000)) },
        ];
        for len in [0, 1, 32, 33, 100, 1000, 70_000, 5_000_000] {
            let back = length_of_byte(length_byte(len));
            assert!(back.abs_diff(len) as f64 <= len as f64 * 0.035, "{len} -> {back}");
        }
        let key = block_key(7, 2050);
        assert_eq!(bucket_base(&key), 2048);
        let mut places = Vec::new();
        let mut encoded = Vec::new();
        for at in [vec![0u32, 5, 6], vec![1_000_000], vec![]] {
            let start = places.len();
            let mut prev = 0;
            for p in &at {
                put_varint(&mut places, u64::from(p - prev));
                prev = *p;
            }
            encoded.push(start..places.len());
        }
        let placed: Vec<(Posting, &[u8])> =
            list.iter().zip(&encoded).map(|(p, at)| (*p, &places[at.clone()])).collect();
        let block = encode_block(&placed, 2048);
        assert_eq!(decode_block(&block, 2048), Some(list.clone()));
        assert_eq!(decode_placed_block(&block, 2048), Some(placed.clone()));
        let mut back = Vec::new();
        decode_places(placed[0].1, &mut back).unwrap();
        assert_eq!(back, [0, 5, 6]);
        // A block cut short, or with bytes after its places, cannot be read.
        assert_eq!(decode_placed_block(&block[..block.len() - 1], 2048), None);
        assert_eq!(decode_placed_block(&[block.as_slice(), &[0]].concat(), 2048), None);
        let doc =
            DocEntry { date: -5, feed: FeedId(9), len: 12, terms: vec![0, 1, 2, 300, 70_000, u32::MAX] };
        assert_eq!(decode_doc(&encode_doc(&doc)), Some(doc));
        assert_eq!(decode_doc(&[1, 2, 3]), None);
    }

    #[test]
    fn phrases_are_places_one_after_another() {
        assert!(side_by_side(&[vec![3, 9], vec![1, 10]]));
        assert!(!side_by_side(&[vec![3, 9], vec![3, 9]]), "the same places are not a phrase");
        assert!(side_by_side(&[vec![4, 5, 6], vec![4, 5, 6]]), "a term twice in a row");
        assert!(!side_by_side(&[vec![1], vec![2], vec![4]]));
        assert!(side_by_side(&[vec![1, 7], vec![2, 8], vec![9]]));
        assert!(!side_by_side(&[vec![u32::MAX], vec![0]]));
    }
}

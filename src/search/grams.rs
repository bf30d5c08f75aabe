//! Which articles' bodies may hold a piece of text: what lets a `content:` test skip the
//! bodies that cannot match instead of reading every one.
//!
//! `content:WORD` asks whether the folded body text holds `WORD` anywhere (a substring, as
//! newsboat's `#` and `=~`), so the word index cannot answer it: `sponsor` is inside
//! `unsponsored`, and the index holds stems. But a body holding `WORD` holds every three
//! bytes in a row of `WORD` (its trigrams). So each indexed article's folded body
//! ([`crate::query::fold`] of [`crate::store::ArticleBody::text`], exactly what `content:`
//! tests) has its trigrams hashed into [`CLASSES`] classes, and tree `search_grams` keeps,
//! for each class and each group of 1,024 ids (the index's buckets), the bits of the group's
//! articles that have a trigram of that class: key `class (u16) ++ group (u32)`, both
//! big-endian, value 128 bytes. An article whose bit is clear in any class of `WORD`'s
//! trigrams cannot hold `WORD`; the others are read and tested as before, so the answer is
//! the same, only found reading far fewer bodies.
//!
//! Kept with the postings, in the same catch-up (so it is exactly as current as the index:
//! what is pending for the index is read, not filtered), and only ever added to: a body that
//! changed or went leaves its old bits set, which costs a read, never a miss. A group whose
//! articles are all gone has its bits removed; a rebuild of the index starts them afresh.
//! Size: 4,096 classes of 1,024 bits, 512 bytes an article at most, whatever its length.

use std::collections::HashMap;

use super::index::{needs_build, BUCKET_BITS};
use crate::store::{Store, StoreError};

/// Trigram classes: 4,096. An article of 1,500 distinct trigrams (a few KB of text) sets
/// about 30% of them, so a word of 7 trigrams lets through under 0.1% of the articles that do
/// not hold it, one of 2 trigrams about 10%.
const CLASS_BITS: u32 = 12;
pub(crate) const CLASSES: usize = 1 << CLASS_BITS;
/// Bytes of a group's bitmap: one bit per id of an index bucket.
const GROUP_BYTES: usize = (1 << BUCKET_BITS) / 8;
/// Of a long word, the classes read: enough to leave nearly nothing through.
const MOST_CLASSES_READ: usize = 24;

/// Past this many articles waiting for the index, a pass reads every body.
const MOST_PENDING: usize = 1 << 18;

type Bitmap = [u8; GROUP_BYTES];
/// A set of [`CLASSES`] bits: the classes of one body's trigrams.
type ClassSet = [u64; CLASSES / 64];

/// The class of the three bytes `t`: a multiplicative hash, top bits.
fn class_of(t: &[u8]) -> u16 {
    let v = u32::from(t[0]) | u32::from(t[1]) << 8 | u32::from(t[2]) << 16;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - CLASS_BITS)) as u16
}

/// The classes of the trigrams of `text`, as a set of [`CLASSES`] bits.
fn classes_of(text: &[u8], set: &mut ClassSet) {
    set.fill(0);
    for t in text.windows(3) {
        let c = usize::from(class_of(t));
        set[c / 64] |= 1 << (c % 64);
    }
}

/// The distinct classes of the trigrams of `word` (folded), at most [`MOST_CLASSES_READ`];
/// none for a word of fewer than 3 bytes.
fn classes_of_word(word: &str) -> Vec<u16> {
    let mut classes: Vec<u16> = word.as_bytes().windows(3).map(class_of).collect();
    classes.sort_unstable();
    classes.dedup();
    classes.truncate(MOST_CLASSES_READ);
    classes
}

fn key(class: u16, group: u32) -> [u8; 6] {
    let mut k = [0u8; 6];
    k[..2].copy_from_slice(&class.to_be_bytes());
    k[2..].copy_from_slice(&group.to_be_bytes());
    k
}

fn group_of(doc: u64) -> u32 {
    u32::try_from(doc >> BUCKET_BITS).unwrap_or(u32::MAX)
}

/// The bits one catch-up chunk sets, gathered before they are written: each article's set of
/// classes (512 bytes, so a chunk of 1,024 articles holds half a MB whatever their length).
#[derive(Default)]
pub(crate) struct GramsChange {
    added: Vec<(u64, Box<ClassSet>)>,
    /// Groups an article left: removed if none is left.
    left: Vec<u32>,
}

impl GramsChange {
    /// Article `doc`'s folded body text is `folded`.
    pub(crate) fn add(&mut self, doc: u64, folded: &str) {
        let mut set = Box::new([0; CLASSES / 64]);
        classes_of(folded.as_bytes(), &mut set);
        self.added.push((doc, set));
    }

    /// Article `doc` is no longer indexed.
    pub(crate) fn remove(&mut self, doc: u64) {
        self.left.push(group_of(doc));
    }

    /// Sets the gathered bits, before the postings' transaction unmarks the articles (so an
    /// article is never unmarked without its bits: killed in between, it is indexed again and
    /// its bits set again, which changes nothing). Run under the index's turn.
    ///
    /// A group at a time: its articles' classes go into one table of every class's bitmap
    /// (512 KB, reused), then each class that got a bit is added to what is stored.
    pub(crate) fn write(mut self, store: &Store) -> Result<(), StoreError> {
        self.added.sort_unstable_by_key(|(doc, _)| *doc);
        let mut table: Box<[Bitmap]> = vec![[0u8; GROUP_BYTES]; CLASSES].into_boxed_slice();
        let mut touched = [0u64; CLASSES / 64];
        let mut batch = sled::Batch::default();
        for of_group in self.added.chunk_by(|(a, _), (b, _)| group_of(*a) == group_of(*b)) {
            let group = group_of(of_group[0].0);
            for (doc, set) in of_group {
                let i = (doc & ((1 << BUCKET_BITS) - 1)) as usize;
                for (word_at, &word) in set.iter().enumerate() {
                    touched[word_at] |= word;
                    let mut word = word;
                    while word != 0 {
                        let class = word_at * 64 + word.trailing_zeros() as usize;
                        word &= word - 1;
                        table[class][i / 8] |= 1 << (i % 8);
                    }
                }
            }
            for (word_at, word) in touched.iter_mut().enumerate() {
                while *word != 0 {
                    let class = word_at * 64 + word.trailing_zeros() as usize;
                    *word &= *word - 1;
                    let k = key(class as u16, group);
                    let bitmap = &mut table[class];
                    // Unreadable: the bits of this chunk's articles only. Others of the group
                    // may then be missed; `verify` says so.
                    if let Some(old) = store.search_grams.get(k)?.filter(|old| old.len() == GROUP_BYTES) {
                        for (b, o) in bitmap.iter_mut().zip(old.iter()) {
                            *b |= o;
                        }
                    }
                    batch.insert(&k, &bitmap[..]);
                    *bitmap = [0; GROUP_BYTES];
                }
            }
        }
        store.search_grams.apply_batch(batch)?;
        Ok(())
    }

    /// The groups [`GramsChange::remove`] named, for [`forget_emptied`].
    pub(crate) fn take_left(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.left)
    }
}

/// After the postings' transaction: of the groups `left` (that articles left), those that hold
/// no indexed article any more lose their bits (ids are never given twice, so such a group
/// stays empty: otherwise its bits would stay on disk for good).
pub(crate) fn forget_emptied(store: &Store, mut left: Vec<u32>) -> Result<(), StoreError> {
    left.sort_unstable();
    left.dedup();
    {
        for &group in &left {
            let start = u64::from(group) << BUCKET_BITS;
            let end = start + (1 << BUCKET_BITS);
            if store.search_docs.range(start.to_be_bytes()..end.to_be_bytes()).next().is_some() {
                continue;
            }
            let mut batch = sled::Batch::default();
            for class in 0..CLASSES as u16 {
                batch.remove(&key(class, group));
            }
            store.search_grams.apply_batch(batch)?;
        }
    }
    Ok(())
}

/// For one pass of `content:` tests: which articles may hold each of the words, read from
/// the index's trigram bits, and the articles the index has not caught up with (which may
/// hold anything).
pub(crate) struct BodyFilter {
    /// Each word of 3 bytes or more: group -> the bits of its articles that may hold it (a
    /// group not here has none).
    words: HashMap<String, HashMap<u32, Bitmap>>,
    pending: std::collections::HashSet<u64>,
}

impl BodyFilter {
    /// The filter for `words` (folded, as `content:` tests them); `None` when the index must
    /// be built first (then every body is read, as without it).
    ///
    /// Read after the articles to test are known (the packs caught up): an article written
    /// before is either indexed, so its bits are set, or pending, so it is let through.
    pub(crate) fn of<'w>(
        store: &Store,
        words: impl IntoIterator<Item = &'w str>,
    ) -> Result<Option<BodyFilter>, StoreError> {
        // Without the index's turn, which a build holds until it is done (minutes at a
        // million articles). The pending list is read before the bits: an article not pending
        // then was indexed, and its bits were set before it was unmarked, so the bits read
        // next have it, unless a build cleared them meanwhile, which `builds` tells.
        let builds = store.search_builds.load(std::sync::atomic::Ordering::SeqCst);
        if needs_build(store)? {
            return Ok(None);
        }
        let mut filter = BodyFilter { words: HashMap::new(), pending: Default::default() };
        for k in store.search_pending.iter().keys() {
            if filter.pending.len() >= MOST_PENDING {
                // Most of the store is waiting for the index (a first build): reading every
                // body is as good, and holds no set of ids that big.
                return Ok(None);
            }
            if let Some(id) = k?.as_ref().try_into().ok().map(u64::from_be_bytes) {
                filter.pending.insert(id);
            }
        }
        for word in words {
            let classes = classes_of_word(word);
            if classes.is_empty() || filter.words.contains_key(word) {
                continue;
            }
            let mut possible: Option<HashMap<u32, Bitmap>> = None;
            for class in classes {
                let mut with_class = HashMap::new();
                for kv in store.search_grams.scan_prefix(class.to_be_bytes()) {
                    let (k, v) = kv?;
                    let (Some(group), Ok(bits)) = (
                        k.get(2..6).and_then(|g| g.try_into().ok()).map(u32::from_be_bytes),
                        <Bitmap>::try_from(v.as_ref()),
                    ) else {
                        // Unreadable: no filter at all, rather than a wrong one.
                        tracing::warn!(target: "tidings", "an unreadable trigram bitmap: reading every body");
                        return Ok(None);
                    };
                    let bits = match &possible {
                        None => bits,
                        Some(so_far) => match so_far.get(&group) {
                            Some(before) => std::array::from_fn(|i| before[i] & bits[i]),
                            None => continue,
                        },
                    };
                    if bits.iter().any(|&b| b != 0) {
                        with_class.insert(group, bits);
                    }
                }
                let done = with_class.is_empty();
                possible = Some(with_class);
                if done {
                    break;
                }
            }
            filter.words.insert(word.to_owned(), possible.unwrap_or_default());
        }
        if store.search_builds.load(std::sync::atomic::Ordering::SeqCst) != builds || needs_build(store)? {
            return Ok(None);
        }
        Ok(Some(filter))
    }

    /// Whether article `id`'s folded body may hold `word`: false only when it cannot.
    pub(crate) fn may_hold(&self, word: &str, id: u64) -> bool {
        let Some(groups) = self.words.get(word) else { return true };
        if self.pending.contains(&id) {
            return true;
        }
        let i = (id & ((1 << BUCKET_BITS) - 1)) as usize;
        groups.get(&group_of(id)).is_some_and(|bits| bits[i / 8] & (1 << (i % 8)) != 0)
    }
}

/// Bytes the trigram bits take (keys and values as sled is given them), and their count.
pub(crate) fn size(store: &Store) -> Result<(u64, u64), StoreError> {
    let (mut count, mut bytes) = (0u64, 0u64);
    for kv in store.search_grams.iter() {
        let (k, v) = kv?;
        count += 1;
        bytes += (k.len() + v.len()) as u64;
    }
    Ok((count, bytes))
}

/// Adds to `problems` every indexed article (not pending) whose body holds a trigram whose
/// bit is not set: such an article would be missed by a `content:` test.
pub(crate) fn verify(
    store: &Store,
    indexed: impl Iterator<Item = u64>,
    found: &mut Vec<String>,
) -> Result<(), StoreError> {
    let mut set = Box::new([0u64; CLASSES / 64]);
    let mut bitmaps: HashMap<(u16, u32), Option<Bitmap>> = HashMap::new();
    let mut text = String::new();
    for doc in indexed {
        text.clear();
        match crate::query::folded_body(store, crate::model::ArticleId(doc), &mut text) {
            Ok(()) => {}
            // A body that cannot be read is indexed without it.
            Err(StoreError::Corrupt(_)) => continue,
            Err(e) => return Err(e),
        }
        classes_of(text.as_bytes(), &mut set);
        let group = group_of(doc);
        if bitmaps.keys().next().is_some_and(|(_, g)| *g != group) {
            bitmaps.clear();
        }
        let i = (doc & ((1 << BUCKET_BITS) - 1)) as usize;
        for class in 0..CLASSES as u16 {
            if set[usize::from(class) / 64] & (1 << (class % 64)) == 0 {
                continue;
            }
            let bitmap = match bitmaps.get(&(class, group)) {
                Some(b) => *b,
                None => {
                    let b = store
                        .search_grams
                        .get(key(class, group))?
                        .and_then(|v| <Bitmap>::try_from(v.as_ref()).ok());
                    bitmaps.insert((class, group), b);
                    b
                }
            };
            if bitmap.is_none_or(|b| b[i / 8] & (1 << (i % 8)) == 0) {
                found.push(format!(
                    "article {doc}'s body is not in the search index's trigram bits: content: tests would miss it"
                ));
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_in_a_text_has_every_class_of_its_trigrams_in_the_texts() {
        let text = "the borrow checker said no, and unsponsored content 机器学习";
        let mut set = Box::new([0u64; CLASSES / 64]);
        classes_of(text.as_bytes(), &mut set);
        for word in ["borrow checker", "sponsor", "said no", "机器", "器", "t 机"] {
            for c in classes_of_word(word) {
                assert!(set[usize::from(c) / 64] & (1 << (c % 64)) != 0, "{word}");
            }
        }
        assert!(classes_of_word("ab").is_empty(), "too short to filter");
        assert!(classes_of_word("zebra crossing")
            .iter()
            .any(|&c| set[usize::from(c) / 64] & (1 << (c % 64)) == 0));
    }
}

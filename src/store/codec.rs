//! Encoding of keys and values in the sled trees.
//!
//! Keys are big-endian so that sled's byte order is numeric order (ids) and time order
//! (dates). Values are `[RECORD_VERSION] ++ postcard`, so a later release can tell old
//! records from new ones and migrate them. Bodies are deflate-compressed HTML.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ArticleBody, StoreError};
use crate::model::{ArticleId, ArticleKey, FeedId};

/// The version byte written in front of every postcard value.
pub const RECORD_VERSION: u8 = 1;

/// The format byte written in front of every body: deflate, or (never expected) raw.
const BODY_DEFLATE: u8 = 1;
const BODY_RAW: u8 = 2;
const BODY_LEVEL: u32 = 6;

/// Refuse to inflate a stored body past this: a damaged record must not eat all memory.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let out = vec![RECORD_VERSION];
    // postcard only fails on writer errors, and a Vec never fails to grow.
    match postcard::to_extend(value, out) {
        Ok(v) => v,
        Err(_) => vec![RECORD_VERSION],
    }
}

pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, rest)) => postcard::from_bytes(rest)
            .map_err(|e| StoreError::Corrupt(format!("a stored {what} record cannot be read ({e})"))),
        Some((v, _)) => Err(StoreError::Corrupt(format!(
            "a stored {what} record has version {v}, newer than this tidings understands; \
             upgrade tidings"
        ))),
        None => Err(StoreError::Corrupt(format!("a stored {what} record is empty"))),
    }
}

/// Compresses an article body for the `bodies` tree. Runs on parse workers, not the writer.
///
/// Each thread keeps one compressor and resets it: building a compressor zeroes hundreds of
/// KiB, which cost more than compressing a typical 4 KB body. Level 6 (zlib-rs) measured as
/// fast as level 1 on a whole refresh and makes the data dir ~18% smaller (500 x 20 feeds:
/// 33 MB against 40 MB), which is what keeps it below newsboat's cache.db.
pub fn compress_body(body: &ArticleBody) -> Vec<u8> {
    let plain = postcard::to_allocvec(body).unwrap_or_default();
    compress(&plain)
}

/// Reads a body written by [`compress_body`], by this tidings or an older one.
///
/// Bodies carry no version byte, and none was added for the summary: postcard writes a
/// struct's fields one after the other, so the new layout is the old one (`html`, `images`,
/// `links`) followed by the `Option` of the summary. The old fields are read first; nothing
/// after them is a body written before summaries were kept (no summary), otherwise the rest
/// must be exactly the summary. So old databases read without a migration, and an older
/// tidings, which reads the old fields and ignores what follows, still reads new bodies.
pub fn decompress_body(bytes: &[u8]) -> Result<ArticleBody, StoreError> {
    /// The fields every stored body starts with.
    #[derive(serde::Deserialize)]
    struct Head {
        html: String,
        images: Vec<String>,
        links: Vec<String>,
    }
    let corrupt = |e: postcard::Error| StoreError::Corrupt(format!("a stored body cannot be decoded ({e})"));
    let plain = inflate(bytes)?;
    let (head, rest): (Head, &[u8]) = postcard::take_from_bytes(&plain).map_err(corrupt)?;
    let summary = match rest {
        [] => None,
        rest => match postcard::take_from_bytes::<Option<String>>(rest).map_err(corrupt)? {
            (summary, []) => summary,
            (_, _) => return Err(StoreError::Corrupt("a stored body has bytes after its end".into())),
        },
    };
    Ok(ArticleBody { html: head.html, images: head.images, links: head.links, summary })
}

/// The HTML and the summary of a body written by [`compress_body`], borrowed from `plain`
/// (which the body is inflated into, its capacity kept for a caller that reads many): what
/// `content:` tests read, without copying the body's strings or keeping its lists. Fails where
/// [`decompress_body`] fails.
pub fn body_texts<'a>(
    bytes: &[u8],
    plain: &'a mut Vec<u8>,
) -> Result<(&'a str, Option<&'a str>), StoreError> {
    /// The fields every stored body starts with, borrowed; the lists are read and dropped.
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        html: &'a str,
        #[serde(rename = "images")]
        _images: Strings,
        #[serde(rename = "links")]
        _links: Strings,
    }
    let corrupt = |e: postcard::Error| StoreError::Corrupt(format!("a stored body cannot be decoded ({e})"));
    plain.clear();
    inflate_into(bytes, plain)?;
    let (head, rest): (Head<'a>, &[u8]) = postcard::take_from_bytes(plain).map_err(corrupt)?;
    let summary = match rest {
        [] => None,
        rest => match postcard::take_from_bytes::<Option<&'a str>>(rest).map_err(corrupt)? {
            (summary, []) => summary,
            (_, _) => return Err(StoreError::Corrupt("a stored body has bytes after its end".into())),
        },
    };
    Ok((head.html, summary))
}

/// A list of strings, each read (and checked as UTF-8) as a `Vec<String>` would be, none kept.
struct Strings;

impl<'de> serde::Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strings, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Strings;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                while seq.next_element::<&'de str>()?.is_some() {}
                Ok(Strings)
            }
        }
        d.deserialize_seq(Visit)
    }
}

fn compress(data: &[u8]) -> Vec<u8> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<(flate2::Compress, Vec<u8>)> = std::cell::RefCell::new((
            flate2::Compress::new(flate2::Compression::new(BODY_LEVEL), false),
            Vec::new(),
        ));
    }
    COMPRESSOR.with(|cell| {
        let (c, scratch) = &mut *cell.borrow_mut();
        c.reset();
        scratch.clear();
        scratch.push(BODY_DEFLATE);
        let mut input = data;
        loop {
            if scratch.capacity() - scratch.len() < 1024 {
                scratch.reserve(scratch.capacity().max(4096));
            }
            let before_in = c.total_in();
            match c.compress_vec(input, scratch, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) => {
                    let used = (c.total_in() - before_in) as usize;
                    input = &input[used.min(input.len())..];
                }
                // Compressing into a Vec has no failure mode but a bug; store it raw then.
                Err(_) => {
                    let mut raw = Vec::with_capacity(data.len() + 1);
                    raw.push(BODY_RAW);
                    raw.extend_from_slice(data);
                    return raw;
                }
            }
        }
        // The scratch buffer is reused; the stored body is an exact-size copy, so bodies
        // waiting for the writer hold no spare capacity.
        let out = scratch.to_vec();
        if scratch.capacity() > 1 << 20 {
            *scratch = Vec::new();
        }
        out
    })
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut plain = Vec::new();
    inflate_into(bytes, &mut plain)?;
    Ok(plain)
}

/// Appends the inflated body to `plain`, at most [`MAX_BODY_BYTES`] of it.
///
/// Each thread keeps one decompressor and resets it, and the output gets room for the whole
/// body before inflating. Through `read::DeflateDecoder` and `read_to_end`, each body set up a
/// decompressor (and its buffers), and was inflated into the small steps by which
/// `read_to_end` grows its buffer, which keep zlib-rs off its fast path; inflating is still
/// the biggest part of a `content:` scan (over 40%).
fn inflate_into(bytes: &[u8], plain: &mut Vec<u8>) -> Result<(), StoreError> {
    thread_local! {
        static INFLATER: std::cell::RefCell<flate2::Decompress> =
            std::cell::RefCell::new(flate2::Decompress::new(false));
    }
    const MAX: usize = MAX_BODY_BYTES as usize;
    match bytes.split_first() {
        Some((&BODY_DEFLATE, rest)) => INFLATER.with(|cell| {
            let d = &mut *cell.borrow_mut();
            d.reset(false);
            let start = plain.len();
            let mut input = rest;
            loop {
                let written = plain.len() - start;
                // Text compresses 3 to 5 times; room for that, or twice what came so far.
                // (`written` is below MAX here: the loop ends once it is not.)
                let room = (input.len() * 4).max(written).max(16 * 1024).min(MAX + 1 - written);
                if plain.capacity() - plain.len() < room / 2 {
                    plain.reserve(room);
                }
                let (in_before, out_before) = (d.total_in(), d.total_out());
                let status = d.decompress_vec(input, plain, flate2::FlushDecompress::None);
                // Past the limit the rest is not read, as `Read::take` would stop.
                if plain.len() - start >= MAX {
                    plain.truncate(start + MAX);
                    return Ok(());
                }
                let used = (d.total_in() - in_before) as usize;
                input = &input[used.min(input.len())..];
                let progress = used > 0 || d.total_out() > out_before;
                match status {
                    Ok(flate2::Status::StreamEnd) => return Ok(()),
                    Ok(_) if progress => {}
                    // The input ended before the stream did (as `read::DeflateDecoder` says it).
                    Ok(_) => {
                        return Err(StoreError::Corrupt(
                            "a stored body cannot be inflated (incomplete deflate stream)".into(),
                        ))
                    }
                    Err(_) => {
                        return Err(StoreError::Corrupt(
                            "a stored body cannot be inflated (corrupt deflate stream)".into(),
                        ))
                    }
                }
            }
        }),
        Some((&BODY_RAW, rest)) => {
            plain.extend_from_slice(rest);
            Ok(())
        }
        _ => Err(StoreError::Corrupt("a stored body has an unknown format".into())),
    }
}

pub fn feed_key(id: FeedId) -> [u8; 8] {
    id.0.to_be_bytes()
}

pub fn article_key(id: ArticleId) -> [u8; 8] {
    id.0.to_be_bytes()
}

pub fn read_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// Seconds since the epoch mapped to an unsigned, order-preserving form.
pub fn date_bits(secs: i64) -> [u8; 8] {
    ((secs as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn date_from_bits(bytes: &[u8]) -> Option<i64> {
    read_u64(bytes).map(|v| (v ^ (1 << 63)) as i64)
}

/// `feed ++ key` in `article_keys`: an article's identity inside its feed.
pub fn identity_key(feed: FeedId, key: &ArticleKey) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..8].copy_from_slice(&feed_key(feed));
    k[8..].copy_from_slice(&key.0);
    k
}

/// `feed ++ date ++ article` in `feed_index`: a feed's articles in date order.
pub fn feed_index_key(feed: FeedId, date: i64, article: ArticleId) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..8].copy_from_slice(&feed_key(feed));
    k[8..16].copy_from_slice(&date_bits(date));
    k[16..].copy_from_slice(&article_key(article));
    k
}

/// `date ++ article` in `date_index`: all articles in date order, for mixed views.
pub fn date_index_key(date: i64, article: ArticleId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&date_bits(date));
    k[8..].copy_from_slice(&article_key(article));
    k
}

/// `feed ++ sequence` in `fetch_log`.
pub fn fetch_log_key(feed: FeedId, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&feed_key(feed));
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Unread and total article counts of one feed, kept beside the flags so nothing ever has
/// to count a tree (sled's `len()` is a full scan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub unread: u64,
    pub total: u64,
}

impl Counts {
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.unread.to_be_bytes());
        b[8..].copy_from_slice(&self.total.to_be_bytes());
        b
    }

    pub fn from_bytes(bytes: &[u8]) -> Counts {
        Counts { unread: read_u64(bytes).unwrap_or(0), total: bytes.get(8..).and_then(read_u64).unwrap_or(0) }
    }
}

/// The `records` value in `meta`: how many feed and article records the trees hold, and how
/// many changes have been committed. Kept in the same transactions as the records, so any
/// state sled recovers (a prefix of its log) carries the counts and the sequence that match
/// it; the stamp beside the database remembers the last one known to be on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Records {
    /// Committed changes; only ever grows.
    pub seq: u64,
    pub feeds: u64,
    pub articles: u64,
}

impl Records {
    pub fn to_bytes(self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&self.seq.to_be_bytes());
        b[8..16].copy_from_slice(&self.feeds.to_be_bytes());
        b[16..].copy_from_slice(&self.articles.to_be_bytes());
        b
    }

    /// `None` unless exactly 24 bytes: a damaged value must not pass for a count.
    pub fn from_bytes(bytes: &[u8]) -> Option<Records> {
        if bytes.len() != 24 {
            return None;
        }
        Some(Records {
            seq: read_u64(bytes)?,
            feeds: read_u64(&bytes[8..])?,
            articles: read_u64(&bytes[16..])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_sort_in_time_order() {
        let mut v = [date_bits(5), date_bits(-3), date_bits(1_700_000_000), date_bits(0)];
        v.sort();
        let back: Vec<i64> = v.iter().map(|b| date_from_bits(b).unwrap_or(99)).collect();
        assert_eq!(back, vec![-3, 0, 5, 1_700_000_000]);
    }

    #[test]
    fn bodies_round_trip() {
        let body = |html: &str| ArticleBody {
            html: html.to_owned(),
            images: vec!["https://x.example/a.png".into()],
            links: vec!["https://x.example/".into(), "mailto:a@x.example".into()],
            summary: None,
        };
        let html = "<p>中文 text</p>".repeat(100);
        let c = compress_body(&body(&html));
        assert!(c.len() < html.len() / 4);
        assert_eq!(decompress_body(&c).unwrap(), body(&html));
        assert!(decompress_body(&[9, 1, 2]).is_err());
        // Big and poorly compressible: the output buffer must grow over several rounds,
        // and the reused compressor must start clean for the next body.
        let mut x: u32 = 7;
        let noisy: String = (0..3_000_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(b'!' + (x >> 16) as u8 % 90)
            })
            .collect();
        assert_eq!(decompress_body(&compress_body(&body(&noisy))).unwrap(), body(&noisy));
        assert_eq!(decompress_body(&compress_body(&body(""))).unwrap(), body(""));
        assert_eq!(decompress_body(&compress_body(&body(&html))).unwrap(), body(&html));
    }

    /// How bodies were inflated before [`inflate_into`] kept a decompressor per thread.
    fn inflate_as_before(bytes: &[u8]) -> Result<Vec<u8>, ()> {
        use std::io::Read;
        match bytes.split_first() {
            Some((&BODY_DEFLATE, rest)) => {
                let mut plain = Vec::new();
                flate2::read::DeflateDecoder::new(rest)
                    .take(MAX_BODY_BYTES)
                    .read_to_end(&mut plain)
                    .map_err(|_| ())?;
                Ok(plain)
            }
            Some((&BODY_RAW, rest)) => Ok(rest.to_vec()),
            _ => Err(()),
        }
    }

    #[track_caller]
    fn inflates_as_before(stored: &[u8]) {
        let now = inflate(stored).map_err(|_| ());
        assert_eq!(now, inflate_as_before(stored), "{} bytes stored", stored.len());
        // The borrowing reader fails where the owning one fails, and reads the same texts.
        let mut plain = vec![1, 2, 3];
        let texts = body_texts(stored, &mut plain).map(|(h, s)| (h.to_owned(), s.map(str::to_owned)));
        let body = decompress_body(stored).map(|b| (b.html, b.summary));
        assert_eq!(texts.ok(), body.ok());
    }

    #[test]
    fn damaged_cut_and_oversized_bodies_inflate_as_before() {
        let body = ArticleBody {
            html: "<p>Crème brûlée, 中文 text &amp; more</p>\n".repeat(200),
            images: vec!["https://x.example/a.png".into()],
            links: vec!["https://x.example/".into()],
            summary: Some("<p>short</p>".into()),
        };
        let stored = compress_body(&body);
        inflates_as_before(&stored);
        assert_eq!(inflate(&stored).unwrap(), postcard::to_allocvec(&body).unwrap());
        // Cut anywhere: an incomplete stream.
        for cut in 0..stored.len() {
            inflates_as_before(&stored[..cut]);
        }
        // Bytes changed anywhere: a corrupt stream, or a different one.
        for at in 1..stored.len() {
            for flip in [0x01, 0x10, 0x80, 0xff] {
                let mut damaged = stored.clone();
                damaged[at] ^= flip;
                inflates_as_before(&damaged);
            }
        }
        // Bytes after the end of the stream are not read.
        let mut longer = stored.clone();
        longer.extend_from_slice(b"trailing");
        inflates_as_before(&longer);
        // Raw bodies and unknown formats.
        let mut raw = vec![BODY_RAW];
        raw.extend_from_slice(&postcard::to_allocvec(&body).unwrap());
        inflates_as_before(&raw);
        inflates_as_before(&[]);
        inflates_as_before(&[7, 1, 2]);
        // Past the limit, the rest is not inflated.
        let huge = compress(&vec![b'a'; MAX_BODY_BYTES as usize + 100_000]);
        assert_eq!(inflate(&huge).map(|v| v.len()).ok(), Some(MAX_BODY_BYTES as usize));
        inflates_as_before(&huge);
    }

    #[test]
    fn body_texts_borrow_what_decompress_body_reads() {
        let mut plain = Vec::new();
        for summary in [None, Some(String::new()), Some("<p>short</p>".to_owned())] {
            let body = ArticleBody {
                html: "<p>text</p>".into(),
                images: vec!["https://x.example/a.png".into(); 3],
                links: vec![],
                summary: summary.clone(),
            };
            let (html, s) = body_texts(&compress_body(&body), &mut plain).unwrap();
            assert_eq!((html, s), (body.html.as_str(), summary.as_deref()));
        }
        // The layout before summaries.
        let old = OldBody { html: "<p>old</p>".into(), images: vec![], links: vec!["l".into()] };
        let stored = compress(&postcard::to_allocvec(&old).unwrap());
        assert_eq!(body_texts(&stored, &mut plain).unwrap(), ("<p>old</p>", None));
        // A link that is not UTF-8 is refused as decompress_body refuses it.
        let mut bad = postcard::to_allocvec(&old).unwrap();
        let at = bad.iter().rposition(|&b| b == b'l').unwrap();
        bad[at] = 0xff;
        assert!(decompress_body(&compress(&bad)).is_err());
        assert!(body_texts(&compress(&bad), &mut plain).is_err());
    }

    /// The body layout before summaries were kept, as that tidings wrote it.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct OldBody {
        html: String,
        images: Vec<String>,
        links: Vec<String>,
    }

    #[test]
    fn bodies_written_before_summaries_still_read() {
        let old = OldBody {
            html: "<p>old text</p>".into(),
            images: vec!["https://x.example/a.png".into()],
            links: vec!["https://x.example/".into()],
        };
        let stored = compress(&postcard::to_allocvec(&old).unwrap());
        let read = decompress_body(&stored).unwrap();
        assert_eq!(
            read,
            ArticleBody {
                html: old.html.clone(),
                images: old.images.clone(),
                links: old.links.clone(),
                summary: None
            }
        );
        // Empty lists and body too (the old layout's shortest record).
        let empty = OldBody { html: String::new(), images: vec![], links: vec![] };
        let read = decompress_body(&compress(&postcard::to_allocvec(&empty).unwrap())).unwrap();
        assert_eq!(read, ArticleBody::default());
    }

    #[test]
    fn bodies_keep_their_summary_and_older_readers_still_read_them() {
        let new = ArticleBody {
            html: "<p>full</p>".into(),
            images: vec![],
            links: vec!["https://x.example/l".into()],
            summary: Some("<p>short</p>".into()),
        };
        let stored = compress_body(&new);
        assert_eq!(decompress_body(&stored).unwrap(), new);
        let none = ArticleBody { summary: None, ..new.clone() };
        assert_eq!(decompress_body(&compress_body(&none)).unwrap(), none);
        // What an older tidings does with a new body: postcard reads its fields and leaves
        // the summary after them unread.
        let plain = inflate(&stored).unwrap();
        let old: OldBody = postcard::from_bytes(&plain).unwrap();
        assert_eq!(old, OldBody { html: new.html.clone(), images: vec![], links: new.links.clone() });
        // Damage after the summary is refused, not silently read.
        let mut longer = plain.clone();
        longer.push(7);
        assert!(decompress_body(&compress(&longer)).is_err());
        let mut bad_tag = postcard::to_allocvec(&old).unwrap();
        bad_tag.push(9);
        assert!(decompress_body(&compress(&bad_tag)).is_err());
    }

    #[test]
    fn record_counts_round_trip_and_refuse_odd_lengths() {
        let r = Records { seq: 7, feeds: 2, articles: 1_000_000 };
        assert_eq!(Records::from_bytes(&r.to_bytes()), Some(r));
        assert_eq!(Records::from_bytes(&r.to_bytes()[..23]), None);
        assert_eq!(Records::from_bytes(&[0u8; 25]), None);
    }

    #[test]
    fn records_are_versioned() {
        let bytes = encode(&(1u32, "x".to_string()));
        assert_eq!(bytes[0], RECORD_VERSION);
        let back: (u32, String) = decode("test", &bytes).unwrap();
        assert_eq!(back, (1, "x".into()));
        let mut newer = bytes.clone();
        newer[0] = 9;
        let err = decode::<(u32, String)>("test", &newer).unwrap_err();
        assert!(err.to_string().contains("upgrade tidings"), "{err}");
    }
}

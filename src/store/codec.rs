//! Encoding of keys and values in the sled trees.
//!
//! Keys are big-endian so that sled's byte order is numeric order (ids) and time order
//! (dates). Values are `[RECORD_VERSION] ++ postcard`, so a later release can tell old
//! records from new ones and migrate them. Bodies are deflate-compressed HTML.

use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;
use crate::model::{ArticleId, ArticleKey, FeedId};

/// The version byte written in front of every postcard value.
pub const RECORD_VERSION: u8 = 1;

/// The version byte written in front of every compressed body.
const BODY_DEFLATE: u8 = 1;

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
pub fn compress_body(html: &str) -> Vec<u8> {
    let mut out = vec![BODY_DEFLATE];
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::new(5));
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(html.as_bytes());
    let _ = enc.finish();
    out
}

pub fn decompress_body(bytes: &[u8]) -> Result<String, StoreError> {
    match bytes.split_first() {
        Some((&BODY_DEFLATE, rest)) => {
            let mut html = Vec::new();
            flate2::read::DeflateDecoder::new(rest)
                .take(MAX_BODY_BYTES)
                .read_to_end(&mut html)
                .map_err(|e| StoreError::Corrupt(format!("a stored body cannot be inflated ({e})")))?;
            Ok(String::from_utf8_lossy(&html).into_owned())
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
        let html = "<p>中文 text</p>".repeat(100);
        let c = compress_body(&html);
        assert!(c.len() < html.len() / 4);
        assert_eq!(decompress_body(&c).unwrap(), html);
        assert!(decompress_body(&[9, 1, 2]).is_err());
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

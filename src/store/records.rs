//! The records kept in the store's trees. Their encoding is versioned (see `codec`): a
//! field added here needs a schema bump and a migration step in `Store::migrate`. The
//! compressed [`ArticleBody`] has its own rule: a field may be appended to it (see there).

use serde::{Deserialize, Serialize};

use crate::model::{ArticleId, ArticleKey, Enclosure, FeedId, ParsedArticle};

/// What `tidings add` / `import` knows about a feed before it is first fetched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewFeed {
    pub url: String,
    pub title: Option<String>,
    pub tags: Vec<String>,
    /// Written with the feed in one transaction, so the first fetch already uses them.
    pub options: FeedOptions,
}

/// Per-feed request options (some hosts refuse requests without a Referer, or need a
/// particular User-Agent or proxy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedOptions {
    pub(crate) user_agent: Option<String>,
    pub(crate) referer: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) proxy: Option<String>,
}

/// Failures in a row before a feed is fetched less often.
pub(crate) const BACKOFF_AFTER: u32 = 3;
const BACKOFF_FIRST_SECS: i64 = 15 * 60;
const BACKOFF_MAX_SECS: i64 = 24 * 3600;

/// One subscription and the state of its last fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedRecord {
    pub id: FeedId,
    pub url: String,
    /// The user's title, which wins over the feed's own.
    pub custom_title: Option<String>,
    /// The title the feed document gives itself.
    pub(crate) feed_title: String,
    pub(crate) site_link: Option<String>,
    pub tags: Vec<String>,
    /// Unix seconds.
    pub(crate) added: i64,
    pub etag: Option<String>,
    pub(crate) last_modified: Option<String>,
    pub(crate) last_fetch: Option<i64>,
    pub(crate) last_success: Option<i64>,
    pub(crate) last_status: Option<u16>,
    /// `None` when the last fetch worked.
    pub last_error: Option<String>,
    pub failing_since: Option<i64>,
    pub consecutive_failures: u32,
    /// The server asked us (Retry-After, 429/503) not to come back before this time.
    pub(crate) retry_not_before: Option<i64>,
    pub(crate) options: FeedOptions,
}

impl FeedRecord {
    pub(crate) fn new(id: FeedId, new: &NewFeed) -> FeedRecord {
        FeedRecord {
            id,
            url: new.url.clone(),
            custom_title: new.title.clone().filter(|t| !t.is_empty()),
            feed_title: String::new(),
            site_link: None,
            tags: new.tags.clone(),
            added: chrono::Utc::now().timestamp(),
            etag: None,
            last_modified: None,
            last_fetch: None,
            last_success: None,
            last_status: None,
            last_error: None,
            failing_since: None,
            consecutive_failures: 0,
            retry_not_before: None,
            options: new.options.clone(),
        }
    }

    /// The name to show: the user's title, else the feed's, else its URL.
    pub fn display_title(&self) -> &str {
        match &self.custom_title {
            Some(t) => t,
            None if !self.feed_title.is_empty() => &self.feed_title,
            None => &self.url,
        }
    }

    /// Until when a feed that keeps failing is given a rest: after `BACKOFF_AFTER` failures
    /// in a row, 15 minutes, doubling with each further failure up to a day. A refresh that
    /// names the feed fetches it anyway.
    pub(crate) fn backoff_until(&self) -> Option<i64> {
        let beyond = self.consecutive_failures.checked_sub(BACKOFF_AFTER)?;
        let delay = (BACKOFF_FIRST_SECS << beyond.min(10)).min(BACKOFF_MAX_SECS);
        self.last_fetch.map(|t| t + delay)
    }

    pub(crate) fn mark_success(&mut self, now: i64) {
        self.last_success = Some(now);
        self.last_error = None;
        self.failing_since = None;
        self.consecutive_failures = 0;
        self.retry_not_before = None;
    }
}

/// An article ready to be written: parsed, with its body compressed and its content hashed
/// (both done on parse workers so the single writer only writes).
#[derive(Debug, Clone)]
pub struct PreparedArticle {
    /// The parsed article; its `content_html`, `images` and `links` are moved into `body`.
    pub(crate) article: ParsedArticle,
    /// The compressed [`ArticleBody`].
    pub(crate) body: Vec<u8>,
    pub(crate) body_len: u64,
    pub(crate) image_count: u32,
    pub(crate) link_count: u32,
    /// Hash of everything shown, to tell an updated article from an unchanged one.
    pub content_hash: u64,
}

/// What an opened article needs beyond its metadata: the HTML and its numbered references.
/// Kept apart from [`ArticleMeta`] (and compressed) so that lists never load it.
///
/// Stored by `codec::compress_body`. `summary` is last on purpose: a body written before it
/// existed is this layout without its last field, which `codec::decompress_body` reads as
/// "no summary" (and an older tidings reads a new body, ignoring the summary after it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleBody {
    pub html: String,
    /// Absolute URLs of the body's images, in order.
    pub images: Vec<String>,
    /// Absolute URLs of the body's links, in order.
    pub(crate) links: Vec<String>,
    /// The feed's summary, when it gave one beside a different full content
    /// ([`ParsedArticle::summary_html`]); its links are not numbered with the body's.
    pub summary: Option<String>,
}

impl ArticleBody {
    /// The article's text as search and `content:` filters read it: the summary (when there
    /// is one), then the body, flattened to one line.
    pub(crate) fn text(&self) -> String {
        let body = crate::parse::flatten(&self.html);
        match &self.summary {
            Some(s) => format!("{} {body}", crate::parse::flatten(s)),
            None => body,
        }
    }
}

impl PreparedArticle {
    pub fn new(mut article: ParsedArticle) -> PreparedArticle {
        let html = std::mem::take(&mut article.content_html);
        let summary = article.summary_html.take();
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for part in [
            article.title.as_str(),
            article.link.as_deref().unwrap_or(""),
            article.author.as_deref().unwrap_or(""),
            &html,
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        // The summary is part of the hash, but only when there is one. The hash is the only
        // thing that decides whether a refetched article's stored record and body are
        // rewritten (and re-indexed); "updated" changes nothing else (no unread mark, only a
        // count in the fetch log). Left out, a summary would stay as first stored, and an
        // article stored before summaries were kept would never get one. Hashed only when
        // present, so an article without one keeps the hash it always had: upgrading
        // rewrites only the articles that have a summary, once, at their next fetch.
        if let Some(s) = &summary {
            h.update(b"summary\0");
            h.update(s.as_bytes());
            h.update(&[0]);
        }
        if let Some(d) = article.date {
            h.update(&d.timestamp().to_be_bytes());
        }
        if let Some(d) = article.updated {
            h.update(&d.timestamp().to_be_bytes());
        }
        for e in &article.enclosures {
            h.update(e.url.as_bytes());
            h.update(&[0]);
        }
        let body_len = html.len() as u64;
        let body = ArticleBody {
            html,
            images: std::mem::take(&mut article.images),
            links: std::mem::take(&mut article.links),
            summary,
        };
        PreparedArticle {
            body: super::compress_body(&body),
            body_len,
            image_count: body.images.len() as u32,
            link_count: body.links.len() as u32,
            content_hash: h.digest(),
            article,
        }
    }
}

/// An article's metadata: everything the lists show, never the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleMeta {
    pub id: ArticleId,
    pub(crate) feed: FeedId,
    pub(crate) key: ArticleKey,
    pub(crate) guid: Option<String>,
    pub title: String,
    pub(crate) link: Option<String>,
    pub(crate) author: Option<String>,
    /// Unix seconds: the feed's date, else the time the article was first seen.
    pub date: i64,
    pub date_from_feed: bool,
    pub(crate) updated: Option<i64>,
    pub(crate) first_seen: i64,
    /// How many images the body has ("has pictures" in lists); the URLs are in the body.
    pub image_count: u32,
    pub(crate) link_count: u32,
    pub(crate) enclosures: Vec<Enclosure>,
    pub(crate) content_hash: u64,
    /// Size of the uncompressed HTML body.
    pub(crate) body_len: u64,
}

impl ArticleMeta {
    pub(crate) fn from_prepared(
        id: ArticleId,
        feed: FeedId,
        p: &PreparedArticle,
        first_seen: i64,
    ) -> ArticleMeta {
        let a = &p.article;
        ArticleMeta {
            id,
            feed,
            key: a.key,
            guid: a.guid.clone(),
            title: a.title.clone(),
            link: a.link.clone(),
            author: a.author.clone(),
            date: a.date.map_or(first_seen, |d| d.timestamp()),
            date_from_feed: a.date.is_some(),
            updated: a.updated.map(|d| d.timestamp()),
            first_seen,
            image_count: p.image_count,
            link_count: p.link_count,
            enclosures: a.enclosures.clone(),
            content_hash: p.content_hash,
            body_len: p.body_len,
        }
    }
}

/// An article's metadata with its flags, as listings return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub meta: ArticleMeta,
    pub flags: super::Flags,
    /// The article's own tags (see [`super::Store::article_tags`]), not its feed's.
    pub tags: Vec<String>,
}

/// One fetch of one feed, for the feed-health view: the last 20 are kept per feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FetchRecord {
    /// Unix milliseconds when the fetch started.
    pub started_ms: i64,
    pub fetch_ms: u64,
    pub parse_ms: u64,
    pub store_ms: u64,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: u64,
    pub new: u64,
    pub updated: u64,
    pub total: u64,
    pub not_modified: bool,
    pub error: Option<String>,
    /// How the document was read when not plainly ("recovered: ...", "encoding: ..."), from
    /// [`crate::model::ParsedFeed::notes`]. Missing from records written before it existed.
    pub notes: Vec<String>,
}

/// The fetch record as written before `notes` existed: postcard cannot read a record with a
/// field fewer than its struct, so old records are read in their own layout.
#[derive(Deserialize)]
struct FetchRecordWithoutNotes {
    /// Unix milliseconds when the fetch started.
    pub(crate) started_ms: i64,
    pub(crate) fetch_ms: u64,
    pub(crate) parse_ms: u64,
    pub(crate) store_ms: u64,
    pub(crate) status: Option<u16>,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: u64,
    pub(crate) new: u64,
    pub(crate) updated: u64,
    pub(crate) total: u64,
    pub(crate) not_modified: bool,
    pub(crate) error: Option<String>,
}

impl FetchRecord {
    /// Reads a stored fetch record, in the current layout or the one before `notes`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<FetchRecord, super::StoreError> {
        super::codec::decode::<FetchRecord>("fetch log", bytes).or_else(|e| {
            let Ok(old) = super::codec::decode::<FetchRecordWithoutNotes>("fetch log", bytes) else {
                return Err(e);
            };
            Ok(FetchRecord {
                started_ms: old.started_ms,
                fetch_ms: old.fetch_ms,
                parse_ms: old.parse_ms,
                store_ms: old.store_ms,
                status: old.status,
                content_type: old.content_type,
                bytes: old.bytes,
                new: old.new,
                updated: old.updated,
                total: old.total,
                not_modified: old.not_modified,
                error: old.error,
                notes: Vec::new(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_records_written_before_notes_existed_still_read() {
        let record = FetchRecord { started_ms: 7, status: Some(200), total: 3, ..Default::default() };
        let new = super::super::codec::encode(&record);
        // The old layout is the new one without the (empty) notes list: one 0 byte at the end.
        assert_eq!(new.last(), Some(&0));
        let old = &new[..new.len() - 1];
        assert_eq!(FetchRecord::decode(old).expect("old layout"), record);
        let noted = FetchRecord { notes: vec!["recovered: read item by item".into()], ..record };
        assert_eq!(FetchRecord::decode(&super::super::codec::encode(&noted)).expect("new layout"), noted);
        assert!(FetchRecord::decode(&old[..old.len() - 2]).is_err(), "a damaged record is still an error");
    }

    #[test]
    fn a_feed_that_keeps_failing_rests_longer_and_longer() {
        let mut f = FeedRecord::new(FeedId(1), &NewFeed::default());
        f.last_fetch = Some(1_000_000);
        for n in 0..BACKOFF_AFTER {
            f.consecutive_failures = n;
            assert_eq!(f.backoff_until(), None, "{n} failures");
        }
        f.consecutive_failures = BACKOFF_AFTER;
        assert_eq!(f.backoff_until(), Some(1_000_000 + 15 * 60));
        f.consecutive_failures = BACKOFF_AFTER + 2;
        assert_eq!(f.backoff_until(), Some(1_000_000 + 60 * 60));
        f.consecutive_failures = 500;
        assert_eq!(f.backoff_until(), Some(1_000_000 + 24 * 3600));
        f.mark_success(1_000_100);
        assert_eq!(f.backoff_until(), None);
    }

    /// An article without a summary hashes as it did before summaries were kept (the value is
    /// pinned): otherwise the first refresh after an upgrade would rewrite every article.
    #[test]
    fn the_content_hash_of_an_article_without_a_summary_did_not_change() {
        let article = ParsedArticle {
            key: ArticleKey([7; 16]),
            guid: Some("g".into()),
            title: "A title".into(),
            link: Some("https://example.org/a".into()),
            author: Some("Ann".into()),
            date: chrono::DateTime::from_timestamp(1_700_000_000, 0),
            content_html: "<p>body</p>".into(),
            enclosures: vec![Enclosure { url: "https://example.org/a.mp3".into(), mime: None, length: None }],
            ..Default::default()
        };
        assert_eq!(PreparedArticle::new(article.clone()).content_hash, 5_495_423_029_879_362_898);
        let summarised = ParsedArticle { summary_html: Some("<p>teaser</p>".into()), ..article.clone() };
        assert_ne!(PreparedArticle::new(summarised).content_hash, PreparedArticle::new(article).content_hash);
    }
}

//! The data types shared by parse, store, fetch and the command line.
//!
//! `parse` produces [`ParsedFeed`]s from bytes; `store` keeps [`Feed`]s and [`ArticleMeta`]s.
//! Every string in these types has already been cleaned by [`crate::sanitize`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A feed's id: small, stable, shown to the user (`tidings remove 3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeedId(pub u64);

/// An article's id: unique across the whole store, never reused, shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ArticleId(pub u64);

/// An article's identity inside its feed: a 128-bit hash of its GUID, else its link, else its
/// title and content. Stable across refetches, so a refetch never duplicates an article.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ArticleKey(pub [u8; 16]);

impl std::fmt::Display for FeedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for ArticleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which syntax a feed was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedFormat {
    Rss0,
    Rss1,
    Rss2,
    Atom,
    Json,
}

/// A podcast file or other attachment of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    pub url: String,
    pub mime: Option<String>,
    pub(crate) length: Option<u64>,
}

/// One feed document after parsing: what the network gave us, cleaned and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    /// The feed's own title (may be empty).
    pub title: String,
    /// The web site the feed belongs to.
    pub site_link: Option<String>,
    pub articles: Vec<ParsedArticle>,
    /// How the document was read, when not plainly: "recovered: ...", "encoding: ...". Shown in the fetch log.
    pub notes: Vec<String>,
}

/// One article after parsing. `Default` is for fixtures: a parsed article always has its key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedArticle {
    pub key: ArticleKey,
    /// The article's GUID or id as the feed gave it, if it gave one.
    pub guid: Option<String>,
    /// Plain text (HTML in titles is flattened); may be empty.
    pub title: String,
    /// Absolute URL of the article's web page.
    pub link: Option<String>,
    pub author: Option<String>,
    /// The date the feed gave: published, else updated. `None` when absent or implausible
    /// (before 1990, or more than a day in the future); the store then uses the first-seen time.
    pub date: Option<DateTime<Utc>>,
    /// The feed's `updated` date, used to tell that an article changed.
    pub updated: Option<DateTime<Utc>>,
    /// The body as HTML: the full content if given, else the summary. Control characters removed.
    pub content_html: String,
    /// The feed's summary (RSS `<description>`, Atom `<summary>`, JSON Feed `summary`) when the
    /// item also gives a full content that differs from it; `None` when it gives only one of
    /// them (that one is `content_html`) or both hold the same text. Cleaned as the body is.
    pub summary_html: Option<String>,
    /// Absolute URLs of the images in the body, in order, without duplicates.
    pub images: Vec<String>,
    /// Absolute URLs of the links in the body, in order, without duplicates.
    pub links: Vec<String>,
    pub enclosures: Vec<Enclosure>,
}

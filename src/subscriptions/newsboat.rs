//! Reads a newsboat directory: the `urls` file (feeds, tags, `~titles`, query feeds) and
//! `cache.db` (each article's read, flagged and deleted state). Nothing is written: the cache
//! is opened read-only, and never waited on for long, so a running newsboat is not disturbed.
//! Like the rest of `subscriptions`, it touches neither the store nor the network; the caller
//! subscribes to [`NewsboatImport::list`] and hands [`NewsboatImport::feeds`] to
//! `Store::import_flags`.
//!
//! Facts about `cache.db`, checked on a cache made by newsboat 2.21.0 (Debian 12), whose
//! `metadata` table says schema 2.11:
//! - `rss_item` has one row per article: `guid`, `feedurl`, `unread` (1 or 0), `flags`,
//!   `deleted` (1 or 0), besides title, author, url, pubDate, content, enclosure and base.
//! - `feedurl` is the feed's URL exactly as the `urls` file writes it.
//! - `guid` is the item's `<guid>` (RSS) or `<id>` (Atom); for an item without one, its link;
//!   without a link either, its title.
//! - `flags` holds the letters given with edit-flags, sorted (`Asz`); newsboat keeps only
//!   `A-Z` and `a-z`. NULL or empty when there are none. newsboat has no "starred" of its own:
//!   its users pick a letter (often `s`, the usual `ttrss-flag-star`).
//! - A deleted article keeps its row with `deleted = 1` so that a reload does not bring it
//!   back.
//! - The journal mode is `delete` (a rollback journal, no WAL).
//!
//! How the state carries over: read stays read; deleted becomes read (tidings has no delete,
//! and the user was done with it); an article with any flag letter becomes starred (the
//! letters seen are counted in [`CacheStats::flag_letters`], so the user can tell what was
//! taken). Unread, unflagged articles carry nothing and are never read into memory. Rows of
//! feeds that are not subscriptions of the import (removed from `urls`, `exec:` feeds) are
//! counted and left out.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{check_feed_url, clean_title, push_tag, urls, ImportError, ImportList};
use crate::model::ArticleKey;
use crate::sanitize;
use crate::store::Flags;

/// A urls file larger than this is not one (a big one holds a few thousand lines).
const MAX_URLS_BYTES: u64 = 16 * 1024 * 1024;

/// At most this many article states are kept (read, flagged or deleted rows); a cache with
/// more is read up to here and the rest reported. About 60 bytes each.
pub(crate) const MAX_ARTICLE_STATES: usize = 1_000_000;

/// A guid or feed URL longer than this (in characters) is not a real one; its row is skipped
/// without being loaded.
const MAX_FIELD_CHARS: i64 = 4096;

/// How long to wait for newsboat to finish a write before reading the file as it is.
pub(crate) const BUSY_WAIT: Duration = Duration::from_secs(2);

/// Everything read from a newsboat directory.
#[derive(Debug, Default)]
pub struct NewsboatImport {
    /// The feeds of `urls`, and the lines left out with the reason (query feeds among them).
    pub list: ImportList,
    /// The query feeds (saved searches) of `urls` (also in `list.skipped`, as a plain urls
    /// import leaves them out): the import translates them (`newsboat_query`).
    pub queries: Vec<QueryFeed>,
    /// The cache that was read; `None` when none was found (see `notes`).
    pub cache_path: Option<PathBuf>,
    /// Per subscribed feed (URL as in `list.subscriptions`), the articles with some state.
    pub feeds: Vec<FeedStates>,
    pub stats: CacheStats,
    /// What the user should know about the import, one sentence each, already cleaned.
    pub notes: Vec<String>,
}

/// A newsboat query feed: `"query:NAME:EXPRESSION" [tags]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryFeed {
    pub name: String,
    /// newsboat's filter language, e.g. `unread = "yes"`.
    pub expression: String,
    pub tags: Vec<String>,
}

/// The articles of one feed that newsboat holds as read, flagged or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedStates {
    /// The normalised URL, equal to a [`super::Subscription::url`] of the import.
    pub url: String,
    pub articles: Vec<ArticleState>,
}

/// One article's state in newsboat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleState {
    /// newsboat's guid for it, cleaned with [`sanitize::line`].
    pub guid: Box<str>,
    pub(crate) read: bool,
    pub(crate) deleted: bool,
    /// The flag letters: bit `n` is `A`+n for n < 26, `a`+(n-26) after.
    pub(crate) flag_bits: u64,
}

impl ArticleState {
    /// The flags this article gets in tidings: read when read or deleted in newsboat, starred
    /// when it has any flag letter.
    pub fn flags(&self) -> Flags {
        Flags { read: self.read || self.deleted, starred: self.flag_bits != 0 }
    }

    /// The flag letters, sorted as newsboat sorts them.
    pub(crate) fn flag_letters(&self) -> String {
        (0..52u32).filter(|n| self.flag_bits & (1 << n) != 0).filter_map(letter).collect()
    }

    /// The keys under which tidings may hold this article (see [`identity_keys`]).
    pub fn identity_keys(&self) -> Vec<ArticleKey> {
        identity_keys(&self.guid)
    }
}

/// Counts over the rows of `rss_item` that were looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Rows that carry some state (read, flagged or deleted), kept or not.
    pub rows: u64,
    /// Kept: read, flagged and deleted articles of subscribed feeds (one row may count in
    /// several).
    pub read: u64,
    pub flagged: u64,
    pub deleted: u64,
    /// Kept rows per flag letter.
    pub flag_letters: BTreeMap<char, u64>,
    /// Rows of feeds that are not subscriptions of this import.
    pub other_feeds: u64,
    /// Rows without a usable guid or feed URL (empty, or absurdly long).
    pub unusable: u64,
}

/// Why a newsboat directory could not be imported. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum NewsboatError {
    #[error(
        "{0} is not a directory; give the directory newsboat keeps its urls file in \
         (~/.newsboat, or ~/.config/newsboat when newsboat uses XDG directories)"
    )]
    NotADirectory(PathBuf),
    #[error(
        "there is no urls file in {0}; give the directory newsboat keeps its urls file in \
         (~/.newsboat, or ~/.config/newsboat when newsboat uses XDG directories)"
    )]
    NoUrls(PathBuf),
    #[error("cannot read {path} ({reason}); check that the file is readable by you")]
    UrlsUnreadable { path: PathBuf, reason: String },
    #[error("{path} is larger than 16 MiB, so it is not a newsboat urls file; check the directory")]
    UrlsTooBig { path: PathBuf },
    #[error("{path}: {source}")]
    Urls {
        path: PathBuf,
        #[source]
        source: ImportError,
    },
    #[error(
        "{path} is not newsboat's cache: {reason}; give the directory newsboat uses, or move \
         that file aside to import only the subscriptions"
    )]
    NotACache { path: PathBuf, reason: String },
    #[error(
        "cannot read newsboat's cache {path} ({reason}); check that the file is readable by \
         you, or move it aside to import only the subscriptions"
    )]
    CacheUnreadable { path: PathBuf, reason: String },
    #[error(
        "newsboat is writing {path}, and as it is on disk now it cannot be read ({reason}); \
         quit newsboat (or let its reload finish) and import again"
    )]
    CacheBusy { path: PathBuf, reason: String },
}

/// Reads the newsboat directory `dir` (see the module comment), waiting at most
/// [`BUSY_WAIT`] for a newsboat that is writing its cache.
pub fn read(dir: &Path) -> Result<NewsboatImport, NewsboatError> {
    read_waiting(dir, BUSY_WAIT)
}

/// [`read`], waiting at most `busy_wait` for newsboat's write lock before reading the cache
/// as it is on disk.
pub fn read_waiting(dir: &Path, busy_wait: Duration) -> Result<NewsboatImport, NewsboatError> {
    if !dir.is_dir() {
        return Err(NewsboatError::NotADirectory(dir.to_owned()));
    }
    let urls_path = dir.join("urls");
    let text = read_urls_file(&urls_path)?;
    let list = urls::parse_urls_text(&text)
        .map_err(|source| NewsboatError::Urls { path: urls_path.clone(), source })?;
    let mut out = NewsboatImport { queries: query_feeds(&text), list, ..Default::default() };
    let Some(cache) = find_cache(dir) else {
        out.notes.push(format!(
            "no cache.db in {} (nor in newsboat's XDG data directory): the subscriptions are \
             imported without read and flagged state",
            sanitize::line(&dir.display().to_string())
        ));
        return Ok(out);
    };
    let subscribed: HashMap<&str, usize> =
        out.list.subscriptions.iter().enumerate().map(|(i, s)| (s.url.as_str(), i)).collect();
    let read = match read_cache(&cache, false, busy_wait, &subscribed) {
        Err(e) if is_busy(&e) => {
            out.notes.push(format!(
                "newsboat was writing {} (is it running or reloading?), so it was read as it \
                 is on disk without waiting; if some of the newest changes are missing, quit \
                 newsboat and import again",
                sanitize::line(&cache.display().to_string())
            ));
            // Read mid-write, the file may not hold together: then the cure is to wait.
            read_cache(&cache, true, busy_wait, &subscribed).map_err(|e| NewsboatError::CacheBusy {
                path: cache.clone(),
                reason: sanitize::line(&e.to_string()),
            })?
        }
        other => other.map_err(|e| cache_error(&cache, e))?,
    };
    let mut feeds: Vec<FeedStates> = out
        .list
        .subscriptions
        .iter()
        .map(|s| FeedStates { url: s.url.clone(), articles: Vec::new() })
        .collect();
    for (i, state) in read.states {
        feeds[i].articles.push(state);
    }
    feeds.retain(|f| !f.articles.is_empty());
    out.feeds = feeds;
    out.stats = read.stats;
    if read.truncated {
        out.notes.push(format!(
            "the cache holds more than {MAX_ARTICLE_STATES} read or flagged articles; only \
             the first {MAX_ARTICLE_STATES} were imported"
        ));
    }
    out.cache_path = Some(cache);
    Ok(out)
}

/// The keys under which tidings may hold the article newsboat calls `guid`, most likely
/// first. tidings keys an article by its GUID when the feed gives one, else by its link
/// (see `parse::article_key`; this must follow it); newsboat uses the link as the guid when
/// there is none, so the guid is tried as a link too, also in the URL's normalised form.
/// Articles newsboat knows by title alone cannot be found: tidings keys those by title and
/// content.
pub(crate) fn identity_keys(guid: &str) -> Vec<ArticleKey> {
    let guid = sanitize::line(guid);
    let key = |tag: u8, s: &str| {
        let mut buf = Vec::with_capacity(s.len() + 1);
        buf.push(tag);
        buf.extend_from_slice(s.as_bytes());
        ArticleKey(xxhash_rust::xxh3::xxh3_128(&buf).to_be_bytes())
    };
    let mut keys = vec![key(b'g', &guid), key(b'l', &guid)];
    if let Ok(url) = url::Url::parse(&guid) {
        if url.as_str() != guid {
            keys.push(key(b'l', url.as_str()));
        }
    }
    keys
}

fn read_urls_file(path: &Path) -> Result<String, NewsboatError> {
    let unreadable =
        |e: std::io::Error| NewsboatError::UrlsUnreadable { path: path.to_owned(), reason: e.to_string() };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(NewsboatError::NoUrls(path.parent().unwrap_or(path).to_owned()))
        }
        Err(e) => return Err(unreadable(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_URLS_BYTES + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > MAX_URLS_BYTES {
        return Err(NewsboatError::UrlsTooBig { path: path.to_owned() });
    }
    Ok(super::decode_document(&bytes))
}

/// The `query:` lines of a urls file, parsed the way the urls reader splits lines.
fn query_feeds(text: &str) -> Vec<QueryFeed> {
    let mut out = Vec::new();
    for line in text.lines() {
        let tokens = urls::tokenize(line);
        let Some((first, rest)) = tokens.split_first() else { continue };
        let raw = first.text.trim();
        if !raw.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("query:")) {
            continue;
        }
        // newsboat splits at the first colon after `query:`: the expression may hold more.
        let (name, expression) = raw[6..].split_once(':').unwrap_or((&raw[6..], ""));
        let mut tags = Vec::new();
        for t in rest {
            if !t.text.starts_with('~') {
                push_tag(&mut tags, t.text.strip_prefix('!').unwrap_or(&t.text));
            }
        }
        out.push(QueryFeed {
            name: clean_title(name).unwrap_or_default(),
            expression: sanitize::line(expression),
            tags,
        });
    }
    out
}

/// `dir/cache.db`; for a `~/.config/newsboat` directory, newsboat's XDG data directory.
fn find_cache(dir: &Path) -> Option<PathBuf> {
    let mut candidates = vec![dir.join("cache.db")];
    let xdg_config = dir.file_name().is_some_and(|n| n == "newsboat")
        && dir.parent().is_some_and(|p| p.file_name().is_some_and(|n| n == ".config"));
    if xdg_config {
        if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            candidates.push(Path::new(&data).join("newsboat/cache.db"));
        }
        if let Some(home) = dir.parent().and_then(Path::parent) {
            candidates.push(home.join(".local/share/newsboat/cache.db"));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

struct CacheRead {
    /// (index of the feed in the import's subscriptions, state)
    states: Vec<(usize, ArticleState)>,
    stats: CacheStats,
    truncated: bool,
}

/// Reads the state rows of `path`. `immutable` reads the file as it is, taking no lock and
/// ignoring a journal: used only when newsboat holds the file for longer than `busy_wait`.
fn read_cache(
    path: &Path,
    immutable: bool,
    busy_wait: Duration,
    subscribed: &HashMap<&str, usize>,
) -> rusqlite::Result<CacheRead> {
    let uri = format!("file:{}?mode=ro{}", uri_path(path), if immutable { "&immutable=1" } else { "" });
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_wait)?;
    let columns = item_columns(&conn)?;
    let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
    if !(has("guid") && has("feedurl") && has("unread")) {
        return Err(rusqlite::Error::InvalidColumnName(
            "it has no rss_item table with guid, feedurl and unread columns".into(),
        ));
    }
    // Older caches may lack these; the state they hold then does not exist.
    let flags = if has("flags") { "substr(CAST(flags AS TEXT), 1, 64)" } else { "NULL" };
    let deleted = if has("deleted") { "deleted" } else { "0" };
    // Everything is judged in SQL, so an odd or huge value is never loaded: rows without state
    // are not returned, over-long text comes back as NULL.
    let sql = format!(
        "SELECT CASE WHEN length(feedurl) <= {MAX_FIELD_CHARS} THEN feedurl END, \
                CASE WHEN length(guid) <= {MAX_FIELD_CHARS} THEN guid END, \
                unread = 0, {deleted} != 0, {flags} \
         FROM rss_item \
         WHERE unread = 0 OR {deleted} != 0 OR ({flags} IS NOT NULL AND {flags} != '')"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = CacheRead { states: Vec::new(), stats: CacheStats::default(), truncated: false };
    // Raw feedurl to its subscription, so each URL is checked once.
    let mut feed_of: HashMap<String, Option<usize>> = HashMap::new();
    while let Some(row) = rows.next()? {
        out.stats.rows += 1;
        let (Some(raw_url), Some(guid)) = (text(row.get_ref(0)?), text(row.get_ref(1)?)) else {
            out.stats.unusable += 1;
            continue;
        };
        let guid = sanitize::line(&guid);
        if guid.is_empty() {
            out.stats.unusable += 1;
            continue;
        }
        let feed = match feed_of.get(raw_url.as_str()) {
            Some(&f) => f,
            None => {
                let f = check_feed_url(&raw_url).ok().and_then(|u| subscribed.get(u.as_str()).copied());
                // A hostile cache could name millions of feeds; only remember a bounded number.
                if feed_of.len() < 100_000 {
                    feed_of.insert(raw_url, f);
                }
                f
            }
        };
        let Some(feed) = feed else {
            out.stats.other_feeds += 1;
            continue;
        };
        if out.states.len() >= MAX_ARTICLE_STATES {
            out.truncated = true;
            break;
        }
        let flag_bits = text(row.get_ref(4)?).map_or(0, |f| flag_bits(&f));
        let state = ArticleState {
            guid: guid.into_boxed_str(),
            read: truthy(row.get_ref(2)?),
            deleted: truthy(row.get_ref(3)?),
            flag_bits,
        };
        out.stats.read += u64::from(state.read);
        out.stats.deleted += u64::from(state.deleted);
        if flag_bits != 0 {
            out.stats.flagged += 1;
            for c in state.flag_letters().chars() {
                *out.stats.flag_letters.entry(c).or_default() += 1;
            }
        }
        out.states.push((feed, state));
    }
    Ok(out)
}

/// The column names of `rss_item` (none when there is no such table).
fn item_columns(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('rss_item')")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    names.collect()
}

/// Text of a value of any type; `None` for NULL. Blobs are read as UTF-8, leniently.
fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

fn truthy(v: ValueRef<'_>) -> bool {
    matches!(v, ValueRef::Integer(i) if i != 0)
}

fn flag_bits(flags: &str) -> u64 {
    flags.chars().fold(0, |bits, c| match c {
        'A'..='Z' => bits | 1 << (c as u32 - 'A' as u32),
        'a'..='z' => bits | 1 << (26 + c as u32 - 'a' as u32),
        _ => bits,
    })
}

fn letter(n: u32) -> Option<char> {
    match n {
        0..26 => char::from_u32('A' as u32 + n),
        26..52 => char::from_u32('a' as u32 + n - 26),
        _ => None,
    }
}

/// newsboat holds the file: a write lock held past the wait, or a journal that only a writer
/// may roll back (newsboat is mid-write, or crashed while writing).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::ReadOnly)
    )
}

fn cache_error(path: &Path, e: rusqlite::Error) -> NewsboatError {
    let path = path.to_owned();
    match (&e, e.sqlite_error_code()) {
        (rusqlite::Error::InvalidColumnName(reason), _) => {
            NewsboatError::NotACache { path, reason: reason.clone() }
        }
        (_, Some(ErrorCode::NotADatabase)) => {
            NewsboatError::NotACache { path, reason: "the file is not an SQLite database".into() }
        }
        (_, Some(ErrorCode::DatabaseCorrupt)) => NewsboatError::CacheUnreadable {
            path,
            reason: format!("the database is damaged: {}", sanitize::line(&e.to_string())),
        },
        _ => NewsboatError::CacheUnreadable { path, reason: sanitize::line(&e.to_string()) },
    }
}

/// `path` for an SQLite `file:` URI: bytes outside the unreserved set are percent-encoded,
/// so `?`, `#` and `%` in a directory name cannot end the path.
fn uri_path(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut out = String::with_capacity(bytes.len());
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_letters_round_trip() {
        let s =
            ArticleState { guid: "g".into(), read: false, deleted: false, flag_bits: flag_bits("zA!s9s") };
        assert_eq!(s.flag_letters(), "Asz");
        assert!(s.flags().starred && !s.flags().read);
        let d = ArticleState { guid: "g".into(), read: false, deleted: true, flag_bits: 0 };
        assert_eq!(d.flags(), Flags { read: true, starred: false });
    }

    #[test]
    fn query_lines() {
        let q = query_feeds(concat!(
            "http://a/ t\n",
            "\"query:Unread Articles:unread = \\\"yes\\\"\" news \"~T\"\n",
            "\"QUERY:Links:link =~ \\\"https://x\\\"\"\n",
            "query:bare\n",
        ));
        assert_eq!(
            q,
            [
                QueryFeed {
                    name: "Unread Articles".into(),
                    expression: "unread = \"yes\"".into(),
                    tags: vec!["news".into()]
                },
                QueryFeed { name: "Links".into(), expression: "link =~ \"https://x\"".into(), tags: vec![] },
                QueryFeed { name: "bare".into(), expression: String::new(), tags: vec![] },
            ]
        );
    }

    #[test]
    fn uri_paths_are_escaped() {
        assert_eq!(uri_path(Path::new("/a b/c?d#e%f/cache.db")), "/a%20b/c%3Fd%23e%25f/cache.db");
    }

    #[test]
    fn guid_keys_try_the_link_forms() {
        assert_eq!(identity_keys("urn:x").len(), 2);
        // "HTTP://A" normalises to "http://a/": a third key
        assert_eq!(identity_keys("HTTP://A").len(), 3);
        assert_eq!(identity_keys(" urn:x\u{1b} "), identity_keys("urn:x"));
    }
}

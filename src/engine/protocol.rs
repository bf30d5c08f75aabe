//! What travels over the data dir's socket: a greeting, then requests and replies.
//!
//! Contract: every message is one frame, a 4-byte big-endian length and that many bytes of
//! postcard. The first frame each way is the greeting ([`Hello`] / [`Welcome`]), whose layout
//! never changes, so two tidings of different versions always understand why they cannot
//! talk; everything after it is read only once both sides agreed on [`PROTOCOL`]. Frames are
//! bounded ([`MAX_REQUEST`], [`MAX_REPLY`]): a peer cannot make the other allocate without
//! limit.

use std::io::{Read, Write};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::model::{ArticleId, FeedId};
use crate::refresh::{FeedReport, RefreshSummary};
use crate::store::{
    Article, ArticleBody, ArticleQuery, CheckReport, Counts, FeedOptions, FeedRecord, FetchRecord, ListEntry,
    Mark, NewFeed, QueryFeed,
};
use crate::subscriptions::DiscoveredFeed;

/// The request format this build speaks. Bump it whenever [`Request`], [`Reply`] or any type
/// inside them changes shape.
///
/// 7: [`Article`] carries the article's own tags.
/// 8: [`Request::TagArticles`] and [`Change::Tags`]: articles tagged by hand.
/// 9: [`ArticleBody`] carries the feed's summary.
pub(crate) const PROTOCOL: u32 = 9;

/// Recognises a tidings peer (anything else on the socket is refused at once).
pub const MAGIC: &str = "tidings-engine";

/// The largest request a holder reads: requests are small (a few ids, a feed's options).
pub(crate) const MAX_REQUEST: usize = 16 << 20;

/// The largest reply a client reads: a list of a million ids, a 5 MB article, with margin.
pub(crate) const MAX_REPLY: usize = 256 << 20;

/// The client's first frame. Never change this struct: it is how versions recognise each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub magic: String,
    pub protocol: u32,
    /// The client's tidings version, for the error message of a mismatch.
    pub version: String,
}

/// The holder's answer to [`Hello`]. Never change this enum's existing variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Welcome {
    Accepted { version: String },
    Refused { reason: String },
}

impl Hello {
    pub fn ours() -> Hello {
        Hello { magic: MAGIC.to_owned(), protocol: PROTOCOL, version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// One command or query for whichever process holds the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    Feeds,
    /// Every feed with its counts, and the unread total: what the feeds pane shows.
    FeedsWithCounts,
    Feed(FeedId),
    /// A feed by id or URL, as the user typed it.
    ResolveFeed(String),
    UnreadTotal,
    FetchLog(FeedId),
    AddFeeds(Vec<NewFeed>),
    RemoveFeed(FeedId),
    EditFeed(FeedId, FeedEdit),
    Subscribe(Subscribe),
    AddSamples,
    Articles(ArticleQuery),
    ListEntries(ArticleQuery),
    ArticlesById(Vec<ArticleId>),
    Article(ArticleId),
    Body(ArticleId),
    Mark(Vec<ArticleId>, Mark),
    MarkAllRead(Option<FeedId>),
    MarkFeedsRead(Vec<FeedId>),
    /// Adds (first list) and removes (second) the articles' own tags, all or none of the
    /// articles: answered with `ArticleIds`, the articles whose tags changed.
    TagArticles(Vec<ArticleId>, Vec<String>, Vec<String>),
    Refresh(RefreshRequest),
    Check,
    /// Turns the connection into a stream of [`Event`]s.
    Events,
    /// The articles of a listing that a query expression matches (`articles --query`):
    /// answered with `Entries`, the limit counting matches.
    Matching(ArticleQuery, String),
    /// Which of these articles a query expression matches (the reader's `?` filter):
    /// answered with `ArticleIds`, in the given order.
    MatchingIds(Vec<ArticleId>, String),
    /// Checks a sync account with its server and stores it: answered with `SyncStatus`.
    SyncAdd(crate::sync::NewAccount),
    /// Syncs with the account's server now: answered with `Synced` (`None`: no account).
    /// `full` compares every article's flags, whatever the unread counts say.
    Sync {
        full: bool,
    },
    SyncStatus,
    /// Forgets the account (feeds and articles stay): answered with the status it had.
    SyncRemove,
    /// The query feeds kept in the database: answered with `QueryFeeds`.
    QueryFeeds,
    /// Answered with `Done(false)` when one of that name exists.
    QueryFeedAdd(QueryFeed),
    /// Answered with `Done(false)` when there is none of that name.
    QueryFeedRemove(String),
    /// Unread and total counts of the articles each expression matches: `QueryCounts`.
    QueryCounts(Vec<String>),
    /// Moves a feed this many places in the list (negative: up): `Done(moved)`.
    MoveFeed(FeedId, i64),
    /// Full-text search (`tidings search`): answered with `Searched`.
    Search(crate::search::SearchRequest),
}

/// A request's answer; `Progress` frames may come before the last one.
#[allow(
    clippy::large_enum_variant,
    reason = "one reply per request, moved once: boxing the big variants would buy nothing"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Feeds(Vec<FeedRecord>),
    FeedsWithCounts {
        feeds: Vec<(FeedRecord, Counts)>,
        unread_total: u64,
        /// The feeds that are a sync server's.
        synced: Vec<FeedId>,
    },
    Feed(Option<FeedRecord>),
    Count(u64),
    FetchLog(Vec<FetchRecord>),
    Added {
        added: usize,
        present: usize,
    },
    Edited {
        before: FeedRecord,
        after: FeedRecord,
    },
    Subscribed(Subscribed),
    FeedIds(Vec<FeedId>),
    Articles(Vec<Article>),
    Entries(Vec<ListEntry>),
    Article(Option<Article>),
    Body(Option<ArticleBody>),
    ArticleIds(Vec<ArticleId>),
    Refreshed(RefreshSummary),
    Check(CheckReport),
    SyncStatus(Option<crate::sync::SyncStatus>),
    /// A removed feed, and what the sync server made of it.
    Removed(FeedRecord, Option<String>),
    Synced(Option<crate::sync::SyncSummary>),
    /// One feed of a running refresh is done (before the final `Refreshed`).
    Progress(Progress),
    Event(Event),
    QueryFeeds(Vec<QueryFeed>),
    /// Each expression's counts, or why it cannot be evaluated.
    QueryCounts(Vec<Result<Counts, String>>),
    /// Whether the request changed anything.
    Done(bool),
    Searched(crate::search::SearchResults),
    /// The request failed; the text is for the user.
    Error(String),
}

/// What `add` asks for: the URL is already normalised by the client (a relative path is the
/// client's, not the holder's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribe {
    pub url: String,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub options: FeedOptions,
    /// Look at the URL first (a page's feed is found) and store the first fetch. Without it
    /// the URL is added as typed.
    pub fetch: bool,
}

/// What an `add` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    pub feed: FeedRecord,
    /// False when the URL was subscribed already (nothing changed).
    pub added: bool,
    /// The typed URL was a web page linking to these feeds; the first was subscribed.
    pub(crate) page_feeds: Vec<DiscoveredFeed>,
    /// How the first fetch went, when there was one.
    pub first_fetch: Option<FeedReport>,
    /// What the sync server made of it, when an account is set.
    pub(crate) sync_note: Option<String>,
}

/// Changes to one feed's settings (`tidings set`): `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedEdit {
    /// `Some(None)` drops the user's title.
    pub title: Option<Option<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub user_agent: Option<Option<String>>,
    pub referer: Option<Option<String>>,
    /// Clear the extra headers before adding `headers`.
    pub clear_headers: bool,
    /// Added; one with the name of an existing header replaces it.
    pub headers: Vec<(String, String)>,
    pub proxy: Option<Option<String>>,
}

impl FeedEdit {
    /// An edit that makes `options` the feed's whole request options: what they do not
    /// hold, the feed no longer has (the reader's request options prompt, whose line is the
    /// whole state).
    pub(crate) fn replacing_options(options: FeedOptions) -> FeedEdit {
        FeedEdit {
            user_agent: Some(options.user_agent),
            referer: Some(options.referer),
            clear_headers: true,
            headers: options.headers,
            proxy: Some(options.proxy),
            ..FeedEdit::default()
        }
    }

    pub(crate) fn apply(&self, f: &mut FeedRecord) {
        if let Some(title) = &self.title {
            f.custom_title = title.clone();
        }
        for t in &self.add_tags {
            if !f.tags.contains(t) {
                f.tags.push(t.clone());
            }
        }
        f.tags.retain(|t| !self.remove_tags.contains(t));
        let o = &mut f.options;
        if let Some(ua) = &self.user_agent {
            o.user_agent = ua.clone();
        }
        if let Some(referer) = &self.referer {
            o.referer = referer.clone();
        }
        if self.clear_headers {
            o.headers.clear();
        }
        for (name, value) in &self.headers {
            o.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            o.headers.push((name.clone(), value.clone()));
        }
        if let Some(proxy) = &self.proxy {
            o.proxy = proxy.clone();
        }
    }
}

/// Which feeds a refresh fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshRequest {
    /// `None`: every feed.
    pub feeds: Option<Vec<FeedId>>,
    /// The user named the feeds: fetch them even if their server asked us to wait.
    pub named: bool,
}

/// One feed of a refresh is done: `done` of `total`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub(crate) report: FeedReport,
    pub done: usize,
    pub total: usize,
}

/// Something changed in the store; every process that watches hears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The engine handle whose request caused it (a reader skips its own marks).
    pub origin: u64,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Feeds were added, removed or edited.
    Feeds,
    /// Read or starred flags changed.
    Flags,
    /// Articles' own tags were changed by hand.
    Tags,
    RefreshStarted {
        total: usize,
    },
    FeedRefreshed(Progress),
    RefreshFinished(RefreshSummary),
    /// A sync (on its own or inside a refresh) has got this far.
    SyncStep(crate::sync::SyncStep),
    /// A sync ended (the reader that asked for it hears its answer too).
    SyncFinished(crate::sync::SyncSummary),
    /// The process that held the store went away and this one reconnected (or took the store
    /// over): anything may have changed meanwhile.
    Reconnected,
}

/// Writes one frame.
pub fn write_frame<T: Serialize>(out: &mut impl Write, value: &T) -> std::io::Result<()> {
    let bytes = postcard::to_stdvec(value).map_err(|e| std::io::Error::other(e.to_string()))?;
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("message too large"))?;
    let mut frame = Vec::with_capacity(4 + bytes.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&bytes);
    out.write_all(&frame)?;
    out.flush()
}

/// Reads one frame of at most `max` bytes. A closed connection is `UnexpectedEof`; a frame
/// that is too big or does not decode is `InvalidData`.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read, max: usize) -> std::io::Result<T> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a message of {len} bytes is over the limit of {max}"),
        ));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    postcard::from_bytes(&bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_are_bounded() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Request::Mark(vec![ArticleId(3), ArticleId(9)], Mark::Star)).unwrap();
        write_frame(&mut buf, &Hello::ours()).unwrap();
        let mut input = &buf[..];
        let r: Request = read_frame(&mut input, MAX_REQUEST).unwrap();
        assert_eq!(r, Request::Mark(vec![ArticleId(3), ArticleId(9)], Mark::Star));
        let h: Hello = read_frame(&mut input, MAX_REQUEST).unwrap();
        assert_eq!(h, Hello::ours());
        let e = read_frame::<Hello>(&mut input, MAX_REQUEST).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);

        let huge = [0xff, 0xff, 0xff, 0xff, 0];
        let e = read_frame::<Request>(&mut &huge[..], MAX_REQUEST).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let garbage = [0, 0, 0, 2, 0xff, 0xff];
        let e = read_frame::<Request>(&mut &garbage[..], MAX_REQUEST).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    }

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let mut f = FeedRecord::new(FeedId(1), &NewFeed { url: "https://x/f".into(), ..Default::default() });
        f.tags = vec!["a".into(), "b".into()];
        f.options.headers = vec![("X-Token".into(), "1".into())];
        let before = f.clone();
        FeedEdit::default().apply(&mut f);
        assert_eq!(f, before);
        let edit = FeedEdit {
            title: Some(Some("Mine".into())),
            add_tags: vec!["c".into(), "a".into()],
            remove_tags: vec!["b".into()],
            headers: vec![("x-token".into(), "2".into()), ("Cookie".into(), "k=v".into())],
            ..Default::default()
        };
        edit.apply(&mut f);
        assert_eq!(f.custom_title.as_deref(), Some("Mine"));
        assert_eq!(f.tags, ["a", "c"]);
        assert_eq!(
            f.options.headers,
            [("x-token".to_owned(), "2".to_owned()), ("Cookie".into(), "k=v".into())]
        );
        FeedEdit { title: Some(None), clear_headers: true, ..Default::default() }.apply(&mut f);
        assert_eq!(f.custom_title, None);
        assert!(f.options.headers.is_empty());
    }
}

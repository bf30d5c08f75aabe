//! The one message type of the reader: user intents from the keymap and facts from workers,
//! plus the effects `update` asks the loop to perform.

use crate::model::{ArticleId, FeedId};
use crate::refresh::{FeedOutcome, RefreshSummary};
use crate::store::Mark;

use crate::store::{FetchRecord, ListEntry};

use super::app::{ArticleRow, FeedRow, Source};

/// A key typed into a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    Char(char),
    Backspace,
    /// Ctrl-w: the word before the cursor.
    DeleteWord,
    /// Ctrl-u: everything.
    Clear,
    /// Enter.
    Submit,
    /// Esc.
    Cancel,
}

/// Everything that can change the reader's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // ---- user intents ----
    /// A key as typed. What it means is decided when it is obeyed, not when it arrives: a
    /// `/` typed before it may have opened a prompt (then it is text), and it may wait in
    /// `App::queued` for a list or an article body still loading.
    Key(crossterm::event::KeyEvent),
    SelectNext,
    SelectPrev,
    SelectFirst,
    SelectLast,
    PageDown,
    PageUp,
    /// Enter / `l`: open the selected feed or article.
    Open,
    /// `h` / Esc: back to the previous pane.
    Back,
    /// Tab: the next pane (wide layout).
    NextPane,
    ToggleRead,
    ToggleStar,
    /// `A`: every article of the selected feed read (of every feed under a selected heading).
    MarkFeedRead,
    /// `r`: fetch the selected feed now.
    RefreshFeed,
    /// `R`: fetch every feed now.
    RefreshAll,
    /// `n`: open the next unread article, across feeds, from any pane.
    NextUnread,
    /// `N`: open the previous unread article.
    PrevUnread,
    /// `u`: undo the last marking (`m`, `A`, opening an article).
    Undo,
    /// `U`: show only unread feeds and articles, or everything again.
    ToggleUnreadOnly,
    /// `S`: the starred articles of every feed, as one list (again: back to the feed).
    ShowStarred,
    /// `Ctrl-/`: a prompt for words to search every article for; the results replace the
    /// articles pane's list, best first.
    Search,
    /// `t`: list only the feeds of the next tag; after the last tag, every feed again.
    NextTag,
    /// `T`: the feeds pane grouped under a heading per tag, or a flat list again.
    ToggleGroups,
    /// `/`: filter the current list as you type.
    Filter,
    /// `O`: the articles list in its next order (newest, oldest, unread first, title, feed).
    CycleOrder,
    /// `a`: subscribe to a feed by URL from inside the reader.
    AddFeed,
    /// `o`: open the article's link in the browser.
    OpenInBrowser,
    /// `1`-`9`: open the article's numbered link (with more than 9 links, a prompt for the
    /// number starts with the digit).
    OpenLink(u16),
    /// `C`: every article of every feed read (newsboat's catchup-all).
    CatchUpAll,
    /// `D`: remove the selected feed, once confirmed.
    RemoveFeed,
    /// `E`: give the selected feed a title of your own.
    RenameFeed,
    /// `#`: set the selected feed's tags (feeds pane), or the current article's own tags
    /// (articles pane, article view).
    EditTags,
    /// `e`: edit the selected feed's request options, written as the command line's flags.
    EditRequestOptions,
    /// `J` / `K`: move the selected feed down / up the list.
    MoveFeed(i8),
    /// `y`: copy the article's link (OSC 52 and the local clipboard).
    CopyLink,
    /// `i`: the selected feed's fetch history.
    FeedInfo,
    /// `?`: the key bindings.
    Help,
    /// `q`: back one pane, as Esc goes; from the feeds pane, quit (newsboat's `q`).
    Close,
    /// `Q`: quit from any pane (newsboat's hard-quit).
    Quit,
    /// A key typed while a prompt (`/`, `a`) is open.
    Input(InputKey),
    /// Once a second while a status message shows: old messages go.
    Tick,
    /// The background refresh timer (`refresh_interval_minutes`) fired.
    AutoRefresh,
    /// The background sync timer (`sync_interval_minutes`, and once at start) fired.
    AutoSync,
    /// A background sync ended: what it did, or `None` when no sync account is set.
    SyncFinished(Option<crate::sync::SyncSummary>),
    /// A sync (this reader's, or one another process runs) has got this far.
    SyncStep(crate::sync::SyncStep),
    /// A sync another process ran (`tidings sync` from cron) ended.
    SyncedElsewhere(crate::sync::SyncSummary),
    /// The mouse wheel over a cell (with `mouse = true`).
    MouseScroll {
        column: u16,
        row: u16,
        down: bool,
    },
    /// A left click on a cell: selects the row under it (opens it if already selected).
    MouseClick {
        column: u16,
        row: u16,
    },
    /// The terminal's size (also sent once at start).
    Resize {
        width: u16,
        height: u16,
    },

    // ---- facts from workers ----
    FeedsLoaded {
        feeds: Vec<FeedRow>,
        unread_total: u64,
    },
    /// The query feeds, counted.
    QueryFeedsLoaded(Vec<super::app::QueryRow>),
    /// The query feeds at start, named but not counted yet (their rows show `…`).
    QueryFeedNamesLoaded(Vec<super::app::QueryRow>),
    /// A list: every article's id and flags, newest first, plus the rows (titles, dates) of
    /// the first screenful, so the first frame needs nothing more.
    ArticlesLoaded {
        source: Source,
        entries: Vec<ListEntry>,
        rows: Vec<ArticleRow>,
    },
    /// After a search's `ArticlesLoaded`: how many articles have every word (`found`; more
    /// than `shown` when the list stops at its limit), and whether the index was built first.
    Searched {
        source: Source,
        found: usize,
        shown: usize,
        rebuilt: bool,
    },
    /// The answer to `MatchQuery`: which articles of the list `source` the query `expr`
    /// (a `/` filter starting with `?`, without it) matches.
    QueryMatched {
        source: Source,
        expr: String,
        ids: Vec<ArticleId>,
    },
    /// Rows of the list `source` asked for by `LoadRows` (ids no longer stored are missing
    /// from `rows`; `asked` are all the ids asked for).
    RowsLoaded {
        source: Source,
        asked: Vec<ArticleId>,
        rows: Vec<ArticleRow>,
    },
    /// The body of `article`, laid out at `width` columns.
    BodyRendered {
        article: ArticleId,
        width: u16,
        lines: Vec<ratatui::text::Line<'static>>,
        /// The body's numbered links, `[1]` first.
        links: Vec<String>,
        /// Where `lines` show the links.
        link_cells: Vec<crate::render::LinkCells>,
    },
    /// `ids` (the feed's unread articles) were marked read by `MarkFeedRead`.
    FeedMarkedRead {
        feed: FeedId,
        ids: Vec<ArticleId>,
    },
    /// `ids` (the unread articles of the feeds under a heading) were marked read by `A` on
    /// the heading called `label`.
    FeedsMarkedRead {
        label: String,
        ids: Vec<ArticleId>,
    },
    /// The fetch history of a feed, newest first, for the `i` overlay.
    HealthLoaded {
        feed: FeedId,
        records: Vec<FetchRecord>,
    },
    /// A feed was removed, renamed or retagged from the reader: what to say.
    FeedChanged(String),
    /// `article`'s own tags were set from the reader: the tags it has now (sanitized).
    ArticleTagged {
        article: ArticleId,
        tags: Vec<String>,
    },
    /// A feed was subscribed to from the reader (`feed` is `None` if nothing was added);
    /// `message` says what happened.
    FeedAdded {
        feed: Option<FeedId>,
        message: String,
    },
    /// One feed of a running refresh is done (fetched, written, or failed).
    FeedRefreshed {
        feed: FeedId,
        outcome: FeedOutcome,
    },
    /// A refresh started, here or in another process.
    RefreshStarted {
        total: usize,
    },
    /// The running refresh is over.
    RefreshFinished(RefreshSummary),
    /// Another process changed feeds or flags: reload what is shown.
    StoreChanged,
    /// The process that held the store went away and this one reached the next holder (or
    /// became it), or changes were missed: reload what is shown, and stop waiting for the
    /// end of a refresh that ran elsewhere (it may never come).
    Reconnected,
    /// Something worked that the user should hear about (a link opened, a copy made).
    Notice(String),
    /// A store read or write failed; the text is shown in the status line.
    Failed(String),
}

impl Action {
    /// Typed by the user (keys, their meanings, the mouse): obeyed in the order typed, each
    /// once what it needs has landed. Everything else is a fact and applies at once.
    pub(crate) fn is_intent(&self) -> bool {
        !matches!(
            self,
            Action::Tick
                | Action::AutoRefresh
                | Action::AutoSync
                | Action::SyncFinished(_)
                | Action::SyncStep(_)
                | Action::SyncedElsewhere(_)
                | Action::Resize { .. }
                | Action::FeedsLoaded { .. }
                | Action::QueryFeedsLoaded(_)
                | Action::QueryFeedNamesLoaded(_)
                | Action::ArticlesLoaded { .. }
                | Action::Searched { .. }
                | Action::RowsLoaded { .. }
                | Action::QueryMatched { .. }
                | Action::BodyRendered { .. }
                | Action::FeedMarkedRead { .. }
                | Action::FeedsMarkedRead { .. }
                | Action::HealthLoaded { .. }
                | Action::FeedAdded { .. }
                | Action::FeedChanged(_)
                | Action::ArticleTagged { .. }
                | Action::FeedRefreshed { .. }
                | Action::RefreshStarted { .. }
                | Action::RefreshFinished(_)
                | Action::StoreChanged
                | Action::Reconnected
                | Action::Notice(_)
                | Action::Failed(_)
        )
    }
}

/// A side effect `update` wants performed; the loop runs it off the UI task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Writes the orders `O` chose, by list, for the next run (`list_orders`).
    SaveListOrders(std::collections::HashMap<String, super::app::ArticleOrder>),
    LoadFeeds,
    /// Removes a feed and its articles.
    RemoveFeed(FeedId),
    /// Moves a feed `by` places in the list.
    MoveFeed {
        feed: FeedId,
        by: i8,
    },
    /// Changes a feed's title (`Some(None)`: its own again), tags or request options
    /// (`Some`: replaced whole by these; boxed, as effects are sent around by value and
    /// most are small).
    EditFeed {
        feed: FeedId,
        title: Option<Option<String>>,
        add_tags: Vec<String>,
        remove_tags: Vec<String>,
        options: Option<Box<crate::store::FeedOptions>>,
    },
    /// Gives an article exactly these tags of its own (what is added and removed is worked
    /// out against the store's, which another process may have changed meanwhile).
    SetArticleTags {
        article: ArticleId,
        tags: Vec<String>,
    },
    /// Lists the query feeds (config.toml's, given, then the database's) and counts them.
    LoadQueryFeeds(Vec<crate::store::QueryFeed>),
    /// The same at start, on a reader (not behind the writer: no mark waits for it, and the
    /// first count of many query feeds over a big store must not hold marks up).
    LoadQueryFeedsAtStart(Vec<crate::store::QueryFeed>),
    /// Before that first count, their names alone (one small read): the rows are there at
    /// once, not a second later when a big store has been counted.
    LoadQueryFeedNames(Vec<crate::store::QueryFeed>),
    LoadArticles(Source),
    /// Reads the rows (title, author, date...) of these articles of the list `source`.
    LoadRows {
        source: Source,
        ids: Vec<ArticleId>,
    },
    /// Asks the store which of `ids` (the list `source`) the query expression matches.
    MatchQuery {
        source: Source,
        expr: String,
        ids: Vec<ArticleId>,
    },
    LoadBody {
        article: ArticleId,
        width: u16,
    },
    Mark {
        ids: Vec<ArticleId>,
        mark: Mark,
    },
    MarkFeedRead(FeedId),
    /// Every article of these feeds read, as one marking (one undo step); `label` names them
    /// in the answer.
    MarkFeedsRead {
        feeds: Vec<FeedId>,
        label: String,
    },
    /// Reloads a feed's articles after a refresh wrote to it; queued behind pending marks so
    /// the answer already has them.
    ReloadArticles(Source),
    LoadHealth(FeedId),
    /// Subscribes to a URL (finding the feed if it is a web page) and fetches it.
    AddFeed(String),
    /// Subscribes to the bundled sample feeds, their articles loaded from the binary.
    AddSamples,
    /// Opens a URL (already checked) with the configured browser.
    OpenUrl(String),
    /// Copies text to the clipboard (OSC 52 and the local clipboard).
    Copy(String),
    /// Fetches one feed (`Some`) or all of them, reporting `FeedRefreshed` per feed and then
    /// `RefreshFinished`. Runs as an async task, not on the writer.
    Refresh(Option<FeedId>),
    /// Syncs with the account's server, reporting `SyncFinished`. Runs as an async task.
    Sync,
    Quit,
}

impl Effect {
    /// Sets read or starred flags.
    pub(crate) fn is_mark(&self) -> bool {
        matches!(self, Effect::Mark { .. } | Effect::MarkFeedRead(_) | Effect::MarkFeedsRead { .. })
    }

    /// Changes the store, or must see every change asked for before it (and so goes through
    /// the one writer, in order).
    pub(crate) fn is_write(&self) -> bool {
        matches!(
            self,
            Effect::Mark { .. }
                | Effect::MarkFeedRead(_)
                | Effect::MarkFeedsRead { .. }
                | Effect::ReloadArticles(_)
                | Effect::LoadQueryFeeds(_)
                | Effect::RemoveFeed(_)
                | Effect::MoveFeed { .. }
                | Effect::EditFeed { .. }
                | Effect::SetArticleTags { .. }
                | Effect::SaveListOrders(_)
        )
    }
}

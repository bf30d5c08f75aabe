//! The reader's state: panes, selections, focus, the open article and the status line. Data only.

use std::collections::{HashMap, HashSet, VecDeque};

use ratatui::text::Line;

use super::hyperlink::Osc8Uri;
use crate::model::{ArticleId, FeedId};
use crate::render::LinkCells;
use crate::store::{FetchRecord, ListEntry, Mark};

/// Hashes article ids for the list's row maps. Ids are the store's own sequential counters,
/// never chosen by a feed, so they need no flood-resistant hash, and one `/` keystroke over a
/// 10,000-article list looks up 20,000 of them: a multiply is a quarter of SipHash's cost.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the high bits best mixed; fold them into the low ones too.
        self.0 ^ (self.0 >> 32)
    }
}

pub(crate) type IdMap<V> = HashMap<ArticleId, V, std::hash::BuildHasherDefault<IdHasher>>;
pub(crate) type IdSet = HashSet<ArticleId, std::hash::BuildHasherDefault<IdHasher>>;

/// A screen region the user can focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Feeds,
    Articles,
    Article,
}

/// A feed as the feeds pane shows it (strings already sanitized, but for `options`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: FeedId,
    pub title: String,
    pub unread: u64,
    pub total: u64,
    /// The last fetch failed.
    pub failing: bool,
    /// Its articles come from the sync server.
    pub synced: bool,
    pub tags: Vec<String>,
    /// Its request options as stored (not sanitized: the `e` prompt must give them back
    /// exactly; what is drawn of them goes through `request_options::options_line`).
    pub options: crate::store::FeedOptions,
}

/// One of the feeds pane's groups when it is grouped by tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TagGroup {
    Tag(String),
    /// The feeds without a tag, under "(no tag)", last.
    Untagged,
}

impl TagGroup {
    /// The heading's text (tags are sanitized when the feeds are loaded).
    pub(crate) fn label(&self) -> &str {
        match self {
            TagGroup::Tag(t) => t,
            TagGroup::Untagged => "(no tag)",
        }
    }
}

/// A tag's heading row in the grouped feeds pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heading {
    pub(crate) group: TagGroup,
    /// Unread articles of the feeds listed under it.
    pub(crate) unread: u64,
    /// Indexes into `FeedsPane::rows` of the feeds listed under it, also while it is folded.
    pub(crate) feeds: Vec<usize>,
    pub(crate) folded: bool,
}

/// A query feed as the feeds pane lists it: counts come after the list (they need a pass
/// over the articles), `None` until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRow {
    pub(crate) name: String,
    pub(crate) query: String,
    pub(crate) unread: Option<u64>,
    pub(crate) total: Option<u64>,
    /// Why it cannot be counted (an expression that no longer parses).
    pub(crate) error: Option<String>,
}

/// A row of the feeds pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FeedLine {
    /// An index into `FeedsPane::queries`: query feeds come first.
    Query(usize),
    /// An index into `FeedsPane::rows`.
    Feed(usize),
    /// A tag's heading (grouped by tag); its feeds follow it unless it is folded.
    Heading(Heading),
}

/// What the feeds pane's selection is on, to find it again when the list is rebuilt (a
/// reload can reorder the feeds; a heading is known by its tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FeedKey {
    /// A query feed, by name.
    Query(String),
    Heading(TagGroup),
    /// A feed, and the heading it is under (a feed with two tags is listed twice).
    Feed {
        id: FeedId,
        group: Option<TagGroup>,
    },
}

/// An article as the articles pane lists it (strings already sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub id: ArticleId,
    pub feed: FeedId,
    pub title: String,
    pub author: Option<String>,
    pub link: Option<String>,
    /// Unix seconds.
    pub date: i64,
    pub read: bool,
    pub starred: bool,
    /// The body has pictures.
    pub has_images: bool,
    /// The article's own tags (not its feed's), sorted, each sanitized.
    pub tags: Vec<String>,
}

impl ArticleRow {
    /// Its id and flags, as the list holds them.
    pub fn entry(&self) -> ListEntry {
        ListEntry { id: self.id, feed: self.feed, read: self.read, starred: self.starred }
    }

    /// A stand-in for a row whose metadata has not arrived yet (an article opened by `n`
    /// far down a list): `RowsLoaded` replaces it.
    pub(crate) fn loading(entry: &ListEntry) -> ArticleRow {
        ArticleRow {
            id: entry.id,
            feed: entry.feed,
            title: "…".to_owned(),
            author: None,
            link: None,
            date: 0,
            read: entry.read,
            starred: entry.starred,
            has_images: false,
            tags: Vec::new(),
        }
    }
}

/// How the articles pane orders its list (`O` goes to the next, per list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ArticleOrder {
    /// The store's order (for a search: by date, newest first).
    #[default]
    Newest,
    Oldest,
    UnreadFirst,
    /// By title, case folded (every row of the list is read for it, as `/` does).
    Title,
    /// By feed title, newest first within a feed (for lists of many feeds).
    Feed,
    /// A search's ranking: its first order, and the one after `Feed` for a search.
    BestMatch,
}

impl ArticleOrder {
    /// The order `O` goes to next; a `ranked` list (a search) also has [`ArticleOrder::BestMatch`].
    pub(crate) fn next(self, ranked: bool) -> ArticleOrder {
        match self {
            ArticleOrder::Newest => ArticleOrder::Oldest,
            ArticleOrder::Oldest => ArticleOrder::UnreadFirst,
            ArticleOrder::UnreadFirst => ArticleOrder::Title,
            ArticleOrder::Title => ArticleOrder::Feed,
            ArticleOrder::Feed if ranked => ArticleOrder::BestMatch,
            ArticleOrder::Feed | ArticleOrder::BestMatch => ArticleOrder::Newest,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            ArticleOrder::Newest => "newest first",
            ArticleOrder::Oldest => "oldest first",
            ArticleOrder::UnreadFirst => "unread first",
            ArticleOrder::Title => "by title",
            ArticleOrder::Feed => "by feed",
            ArticleOrder::BestMatch => "best match first",
        }
    }
}

/// What the articles pane lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Feed(FeedId),
    /// The starred articles of every feed (`S`).
    Starred,
    /// The articles a query feed's expression matches, of every feed.
    Query {
        name: &'static str,
        expr: &'static str,
    },
    /// The articles of every feed that have every word of `text` (`Ctrl-/`), best first.
    Search {
        text: &'static str,
    },
}

impl Source {
    pub(crate) fn feed(self) -> Option<FeedId> {
        match self {
            Source::Feed(f) => Some(f),
            Source::Starred | Source::Query { .. } | Source::Search { .. } => None,
        }
    }

    pub(crate) fn query(name: &str, expr: &str) -> Source {
        Source::Query { name: intern(name), expr: intern(expr) }
    }

    pub(crate) fn search(text: &str) -> Source {
        Source::Search { text: intern(text) }
    }

    /// A list the user asked for by a key (`S`, a search), not by selecting a row of the
    /// feeds pane: it stays while the feeds pane reloads or its selection moves.
    pub(crate) fn chosen_apart_from_feeds(self) -> bool {
        matches!(self, Source::Starred | Source::Search { .. })
    }

    /// Its order is the search's ranking, not the store's newest first.
    pub(crate) fn ranked(self) -> bool {
        matches!(self, Source::Search { .. })
    }
}

/// A `&'static` copy of `text`, made once per distinct text: a source names its query feed's
/// expression or its search and stays `Copy` (it is compared and passed around on every key).
/// What is kept is bounded by the query feeds defined and the searches typed while the reader
/// runs: a few bytes each.
fn intern(text: &str) -> &'static str {
    static INTERNED: std::sync::Mutex<Option<HashSet<&'static str>>> = std::sync::Mutex::new(None);
    let mut interned = INTERNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let set = interned.get_or_insert_with(HashSet::new);
    if let Some(&known) = set.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The article shown in the article pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenArticle {
    pub(crate) row: ArticleRow,
    pub(crate) feed_title: String,
    /// The body laid out at `width`, styled; `None` while it is being rendered.
    pub lines: Option<Vec<Line<'static>>>,
    /// The body's numbered links and images: `links[0]` is `[1]`, opened with `1`; an empty
    /// string for one that must not be opened (`javascript:`, `data:`...).
    pub(crate) links: Vec<String>,
    /// Where `lines` show each link, for OSC 8 hyperlinks.
    pub(crate) link_cells: Vec<LinkCells>,
    /// With `[reader] hyperlinks` on: the hyperlink of each numbered link (`hyperlinks[0]` is
    /// `[1]`; `None` for one the reader would not open). Empty when off.
    pub(crate) hyperlinks: Vec<Option<Osc8Uri>>,
    /// With `[reader] hyperlinks` on: the hyperlink of the header's `Link:`.
    pub(crate) header_hyperlink: Option<Osc8Uri>,
    /// The width `lines` were wrapped at.
    pub(crate) width: u16,
    /// First line shown (of header plus body).
    pub(crate) scroll: usize,
    /// After a resize, the body paragraph that was at the top of the view: it is brought back
    /// to the top when the body arrives laid out at the new width.
    pub(crate) resume_paragraph: Option<usize>,
}

impl OpenArticle {
    /// The body paragraph (counted from 0) that holds the line at the top of the view, if the
    /// view's top is in the body.
    pub(crate) fn paragraph_at_top(&self, date_format: &str) -> Option<usize> {
        let lines = self.lines.as_ref()?;
        let mut top = self.scroll.checked_sub(self.header(date_format).len())?;
        // A blank line at the top belongs to the paragraph below it, the first one read.
        while lines.get(top).is_some_and(|l| l.spans.iter().all(|s| s.content.trim().is_empty())) {
            top += 1;
        }
        Some(paragraph_starts(lines).take_while(|&start| start <= top).count().saturating_sub(1))
    }
    /// The header above the body, as (label, value) lines wrapped to the width: the title
    /// (label ""), then feed, author, date, the article's own tags (if any) and link
    /// (continuation lines have a blank label of the same width); a blank line ends it.
    pub(crate) fn header(&self, date_format: &str) -> Vec<(&'static str, String)> {
        const LABEL: usize = 8;
        let width = usize::from(self.width.max(10));
        let mut lines: Vec<(&'static str, String)> =
            wrap_words(&self.row.title, width).into_iter().map(|l| ("", l)).collect();
        // Feed and author take one row each, cut with "…" (the feeds pane has the feed's
        // whole name): at 40x12 a feed titled by its long URL took three of nine rows.
        lines.push(("Feed:   ", ellipsis(&self.feed_title, width - LABEL)));
        if let Some(author) = &self.row.author {
            lines.push(("Author: ", ellipsis(author, width - LABEL)));
        }
        let mut field = |label: &'static str, value: &str| {
            for (i, part) in wrap_words(value, width - LABEL).into_iter().enumerate() {
                lines.push((if i == 0 { label } else { "        " }, part));
            }
        };
        field("Date:   ", &full_date(self.row.date, date_format));
        if !self.row.tags.is_empty() {
            field("Tags:   ", &self.row.tags.join(", "));
        }
        if let Some(link) = &self.row.link {
            // One row, cut with "…": `o` and `y` have the whole link, and on a small screen a
            // long one would push the body off it.
            lines.push(("Link:   ", ellipsis(link, width - LABEL)));
        }
        lines.push(("", String::new()));
        lines
    }

    /// Header plus body lines: what scrolling is clamped against.
    pub(crate) fn total_lines(&self) -> usize {
        // The date format does not change the number of header lines.
        self.header("").len() + self.lines.as_ref().map_or(1, Vec::len)
    }
}

/// `text` in at most `width` columns, ending in "…" when cut.
fn ellipsis(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// The article header's date: the list's date format plus the time.
fn full_date(unix: i64, date_format: &str) -> String {
    use std::fmt::Write;
    let Some(d) = chrono::DateTime::from_timestamp(unix, 0) else { return "unknown".to_owned() };
    let mut out = String::new();
    // A format chrono cannot render gives an error, not a panic.
    if write!(out, "{}", d.format(&format!("{date_format} %H:%M UTC"))).is_err() {
        out = d.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    out
}

/// `text` in lines of at most `width` columns, broken at spaces where it can be and inside
/// words (and between CJK characters) where it must.
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in text.split_inclusive(' ') {
        let word_width: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if line_width + word_width.saturating_sub(usize::from(word.ends_with(' '))) > width && line_width > 0
        {
            lines.push(line.trim_end().to_owned());
            line.clear();
            line_width = 0;
        }
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if line_width + w > width && !(c == ' ' && line_width == width) {
                lines.push(line.trim_end().to_owned());
                line.clear();
                line_width = 0;
            }
            if c == ' ' && line_width == width {
                continue;
            }
            line.push(c);
            line_width += w;
        }
    }
    if !line.trim_end().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// The feeds `shown` (indexes into `feeds`) by tag, tags in heading order, the untagged
/// last; with `only` (the `t` tag) just that tag.
fn group_feeds(feeds: &[FeedRow], shown: &[usize], only: Option<&str>) -> Vec<(TagGroup, Vec<usize>)> {
    let mut by_tag: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut untagged = Vec::new();
    for &i in shown {
        let mut tagged = false;
        for tag in feeds[i].tags.iter().filter(|t| only.is_none_or(|only| only == *t)) {
            tagged = true;
            let list = by_tag.entry(tag).or_default();
            // A tag written twice on one feed lists it once.
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        if !tagged {
            untagged.push(i);
        }
    }
    let mut groups: Vec<(TagGroup, Vec<usize>)> =
        by_tag.into_iter().map(|(tag, list)| (TagGroup::Tag(tag.to_owned()), list)).collect();
    groups.sort_by_cached_key(|(group, _)| tag_order(group.label()));
    if !untagged.is_empty() {
        groups.push((TagGroup::Untagged, untagged));
    }
    groups
}

/// How tags sort: alphabetically ignoring case, then as written (so "News" and "news" stay
/// two tags, side by side).
fn tag_order(tag: &str) -> (String, String) {
    (tag.to_lowercase(), tag.to_owned())
}

/// A refresh started from the reader, while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RefreshProgress {
    pub(crate) done: usize,
    pub(crate) total: usize,
    pub(crate) failed: usize,
}

impl RefreshProgress {
    /// The status line while it runs.
    pub fn line(&self) -> String {
        format!("refreshing {}/{} feeds ({} failed)", self.done, self.total, self.failed)
    }
}

/// A one-line input at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prompt {
    pub(crate) kind: PromptKind,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PromptKind {
    /// `/`: filters the feeds or the articles list as the user types.
    Filter(Pane),
    /// `a`: the URL of a feed (or of a page that links to one) to subscribe to.
    AddFeed,
    /// `D`: removing the selected feed waits for `y` (any other key keeps it).
    ConfirmRemove(FeedId),
    /// `E`: the feed's title (empty: the feed's own again).
    Rename(FeedId),
    /// `#`: the feed's tags, separated by spaces or commas.
    Tags(FeedId),
    /// `#` on an article: its own tags, separated by spaces or commas; Enter gives it exactly
    /// these.
    ArticleTags(ArticleId),
    /// `e`: the feed's whole request options, as the command line's flags.
    RequestOptions(FeedId),
    /// A digit in an article with more than 9 links: its number, then Enter.
    OpenLink,
    /// `Ctrl-/`: words (and "phrases") to search every article for.
    Search,
}

impl PromptKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            PromptKind::Filter(_) => "/",
            PromptKind::AddFeed => "add feed URL: ",
            // Drawn with the feed's title in it (see `panes::status`).
            PromptKind::ConfirmRemove(_) => "remove the feed and its articles? (y removes) ",
            PromptKind::Rename(_) => "title (empty: the feed's own): ",
            PromptKind::Tags(_) => "tags: ",
            PromptKind::ArticleTags(_) => "article tags: ",
            PromptKind::RequestOptions(_) => "request options: ",
            PromptKind::OpenLink => "open link number: ",
            PromptKind::Search => "search every article: ",
        }
    }
}

/// A window drawn over the panes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Overlay {
    /// `?`: the key bindings.
    Help { scroll: usize },
    /// `i`: a feed's fetch history; `records` is `None` while it loads.
    Health { feed: FeedId, title: String, records: Option<Vec<FetchRecord>>, scroll: usize },
}

/// A marking `u` can take back: applying `mark` to `ids` restores the state before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UndoStep {
    pub(crate) ids: Vec<ArticleId>,
    pub(crate) mark: Mark,
}

/// What to open once a requested article list arrives (`n` / `N` moving to another feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jump {
    FirstUnread,
    LastUnread,
    /// Enter came before the list did (typing ahead over a slow link): open the selected row.
    Selected,
}

/// One line of the `?` overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HelpLine {
    /// The heading it belongs under; lines come grouped.
    pub(crate) section: &'static str,
    pub(crate) keys: String,
    pub(crate) description: String,
}

/// At most this many markings can be undone.
pub(crate) const UNDO_DEPTH: usize = 100;

/// Rows (titles, dates) kept of a list while no filter is typed: the ones around the screen
/// stay, those further away are read again if the user scrolls back (about 300 bytes each).
pub(crate) const ROW_CACHE: usize = 2_000;

/// Status messages disappear after this many ticks (seconds).
pub(crate) const MESSAGE_TICKS: u8 = 6;

/// A sync sends marks of synced articles this many ticks (seconds) after the last one.
pub(crate) const PUSH_AFTER_TICKS: u8 = 3;

/// The reader's whole state: one part per pane and overlay, and what the screen shares.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub feeds: FeedsPane,
    pub articles: ArticlesPane,
    pub(crate) article: ArticlePane,
    /// The one-line input that takes the status line's place while it is open.
    pub(crate) prompt: Option<Prompt>,
    pub(crate) overlay: Overlays,
    pub(crate) status: StatusLine,
    pub(crate) background: Background,
    pub focus: Pane,
    pub(crate) width: u16,
    pub(crate) height: u16,
    /// How a wide terminal is shared between the panes.
    pub(crate) split: super::layout::Split,
    /// `U`: only feeds and articles with something unread are listed.
    pub(crate) unread_only: bool,
    /// strftime format of list dates.
    pub(crate) date_format: String,
    pub(crate) undo: Vec<UndoStep>,
    /// What typed keys mean (`update` reads them when it obeys a key, not when it arrives).
    pub(crate) keymap: super::keymap::Keymap,
    /// Keys and other intents not obeyed yet, oldest first: the first waits for something on
    /// its way (a list, an article body, a row), the rest wait behind it. Nothing typed is
    /// dropped or reordered, however fast it comes.
    pub(crate) queued: VecDeque<super::action::Action>,
    pub(crate) quit: bool,
}

/// The feeds pane, on the left: the feeds and query feeds, what of them is listed, the
/// selection, and the loads that fill it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedsPane {
    /// Every feed, in the store's order.
    pub rows: Vec<FeedRow>,
    /// The rows shown (filter, unread-only, tag, grouping, folds); `sel` indexes this.
    pub(crate) view: Vec<FeedLine>,
    pub(crate) sel: usize,
    /// First row shown (kept by `scroll_lists`).
    pub(crate) offset: usize,
    /// False until the first `FeedsLoaded`: tells "loading" from "no feeds".
    pub loaded: bool,
    /// A feeds reload is on its way; `stale` asks for one more when it lands, so a refresh of
    /// 500 feeds does not queue 500 reloads.
    pub(crate) reloading: bool,
    pub(crate) stale: bool,
    pub(crate) filter: String,
    /// `t`: only feeds with this tag are listed.
    pub(crate) tag: Option<String>,
    /// `T`: the pane lists the feeds under a heading per tag.
    pub(crate) group_by_tag: bool,
    /// Tags whose heading is folded (kept while the reader runs).
    pub(crate) folded: HashSet<TagGroup>,
    /// Select this feed when it appears in the list (a feed just added with `a`).
    pub(crate) select_when_listed: Option<FeedId>,
    /// The query feeds: config.toml's, then the database's.
    pub(crate) queries: Vec<QueryRow>,
    /// config.toml's `[[query]]`s (the database's come with each load).
    pub(crate) config_queries: Vec<crate::store::QueryFeed>,
    /// A query feeds load (and count) is on its way; `queries_stale` asks for one more.
    pub(crate) queries_loading: bool,
    pub(crate) queries_stale: bool,
    /// False until the first `QueryFeedsLoaded`.
    pub(crate) queries_loaded: bool,
}

/// The articles pane, in the middle: the list it shows, what of it is read so far, its
/// filter, order and selection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticlesPane {
    /// What `entries` holds.
    pub source: Option<Source>,
    /// The list asked for last; older answers are dropped.
    pub wanted: Option<Source>,
    /// The loaded list, newest first: every article's id and flags, which is all that moving,
    /// counting, unread-only, `n`/`N` and marking need.
    pub entries: Vec<ListEntry>,
    /// The rows (title, author, date...) read so far of the list's articles: those near the
    /// screen (at most about `ROW_CACHE`), or all of them while `/` filters. Their flags follow
    /// `entries`.
    pub rows: IdMap<ArticleRow>,
    /// Rows asked for with `LoadRows` that have not arrived: not asked for again.
    pub(crate) rows_loading: IdSet,
    /// Indexes into `entries` of the articles shown; `sel` indexes this.
    pub(crate) view: Vec<usize>,
    pub sel: usize,
    /// First row shown (kept by `scroll_lists`).
    pub(crate) offset: usize,
    pub filter: String,
    /// While `filter` is a query (`?unread and age<7d`): the articles the store said the
    /// latest answered expression matches. `None` until the first answer: all are shown.
    pub(crate) query_matches: Option<HashSet<ArticleId>>,
    /// Each list's order, once `O` changed it (remembered while the reader runs).
    pub(crate) orders: HashMap<Source, ArticleOrder>,
    /// Orders kept from earlier runs and set in this one, by `list_orders::key`: what a list
    /// not ordered yet in this run starts with.
    pub(crate) kept_orders: HashMap<String, ArticleOrder>,
    /// The last search typed (`Ctrl-/` starts with it, to refine it).
    pub(crate) last_search: String,
    /// Set by `n`/`N` while the next feed's articles load.
    pub(crate) jump: Option<Jump>,
    /// Articles (and whole feeds, marked read) marked here since the last reload of the list
    /// was queued: the writer runs after it, so what it reads lacks them (see `note_marks`).
    pub(crate) marked_since_reload: HashSet<ArticleId>,
    pub(crate) feeds_read_since_reload: HashSet<FeedId>,
}

/// The article pane, on the right (or the whole screen when narrow): the open article and
/// how its links are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ArticlePane {
    pub(crate) open: Option<OpenArticle>,
    /// `[reader] hyperlinks`: links in the article pane are written as OSC 8 hyperlinks.
    pub(crate) hyperlinks: bool,
    /// `open_schemes` (lowercase): only links with these schemes are opened or hyperlinked.
    pub(crate) open_schemes: Vec<String>,
}

/// The windows drawn over the panes (`?`, `i`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Overlays {
    /// The window shown, if any.
    pub(crate) shown: Option<Overlay>,
    /// The `?` window's lines, from the live keymap.
    pub(crate) help: Vec<HelpLine>,
}

/// The status line at the bottom: the unread count and the last message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StatusLine {
    pub(crate) unread_total: u64,
    pub(crate) message: String,
    /// Ticks since `message` was set.
    pub(crate) age: u8,
    /// `message` reports a failure (drawn in the error style).
    pub(crate) is_error: bool,
    /// The whole text of the last failure shown (the line may cut it): the `i` window shows
    /// it, wrapped.
    pub(crate) last_error: Option<String>,
}

/// Refreshes and syncs in the background. Not a part of the screen: the status line draws
/// `refresh`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Background {
    /// `Some` while a refresh runs (only one at a time).
    pub(crate) refresh: Option<RefreshProgress>,
    /// Start a refresh of every feed once the feeds are loaded (`refresh_on_start`).
    pub(crate) refresh_on_load: bool,
    /// A background sync runs (a refresh syncs too: one or the other at a time).
    pub(crate) syncing: bool,
    /// Marks of synced articles wait this many more ticks (seconds) before a sync sends them:
    /// the server hears of a read soon, and a burst of marks goes in one sync.
    pub(crate) push_due: Option<u8>,
    /// Background syncs are on (`sync_interval_minutes` is not 0): marks are sent soon.
    pub(crate) push_soon: bool,
}

impl Default for App {
    fn default() -> App {
        App::new(80, 24)
    }
}

impl App {
    pub fn new(width: u16, height: u16) -> App {
        App {
            feeds: FeedsPane::default(),
            articles: ArticlesPane::default(),
            article: ArticlePane::default(),
            prompt: None,
            overlay: Overlays::default(),
            status: StatusLine::default(),
            background: Background::default(),
            focus: Pane::Feeds,
            width,
            height,
            split: Default::default(),
            unread_only: false,
            date_format: "%Y-%m-%d".to_owned(),
            undo: Vec::new(),
            keymap: super::keymap::Keymap::default(),
            queued: VecDeque::new(),
            quit: false,
        }
    }

    /// All three panes on screen at once.
    pub(crate) fn is_wide(&self) -> bool {
        self.width >= super::layout::WIDE
    }

    /// The selected feed; `None` when a heading is selected.
    pub(crate) fn selected_feed(&self) -> Option<&FeedRow> {
        match self.feeds.view.get(self.feeds.sel)? {
            FeedLine::Feed(i) => self.feeds.rows.get(*i),
            FeedLine::Heading(_) | FeedLine::Query(_) => None,
        }
    }

    /// The selected query feed.
    pub(crate) fn selected_query(&self) -> Option<&QueryRow> {
        match self.feeds.view.get(self.feeds.sel)? {
            FeedLine::Query(i) => self.feeds.queries.get(*i),
            FeedLine::Feed(_) | FeedLine::Heading(_) => None,
        }
    }

    /// The selected heading of the grouped feeds pane.
    pub(crate) fn selected_heading(&self) -> Option<&Heading> {
        match self.feeds.view.get(self.feeds.sel)? {
            FeedLine::Heading(h) => Some(h),
            FeedLine::Feed(_) | FeedLine::Query(_) => None,
        }
    }

    /// The heading the feeds pane's row `line` is under (itself for a heading).
    fn group_of_line(&self, line: usize) -> Option<&TagGroup> {
        self.feeds.view.get(..=line)?.iter().rev().find_map(|l| match l {
            FeedLine::Heading(h) => Some(&h.group),
            FeedLine::Feed(_) | FeedLine::Query(_) => None,
        })
    }

    /// What the selection is on, to keep it when the feeds list is rebuilt.
    pub(crate) fn selected_feed_key(&self) -> Option<FeedKey> {
        match self.feeds.view.get(self.feeds.sel)? {
            FeedLine::Query(i) => Some(FeedKey::Query(self.feeds.queries.get(*i)?.name.clone())),
            FeedLine::Heading(h) => Some(FeedKey::Heading(h.group.clone())),
            FeedLine::Feed(i) => Some(FeedKey::Feed {
                id: self.feeds.rows.get(*i)?.id,
                group: self.group_of_line(self.feeds.sel).cloned(),
            }),
        }
    }

    /// The feeds in the pane's order, a folded heading standing for its feeds: (row of the
    /// feed or of its folded heading, index into `feeds.rows`). What `n` and `N` walk.
    pub(crate) fn feeds_in_order(&self) -> Vec<(usize, usize)> {
        let mut order = Vec::new();
        for (row, line) in self.feeds.view.iter().enumerate() {
            match line {
                FeedLine::Feed(i) => order.push((row, *i)),
                FeedLine::Heading(h) if h.folded => order.extend(h.feeds.iter().map(|&i| (row, i))),
                FeedLine::Heading(_) | FeedLine::Query(_) => {}
            }
        }
        order
    }

    pub(crate) fn selected_entry(&self) -> Option<&ListEntry> {
        self.articles.view.get(self.articles.sel).and_then(|&i| self.articles.entries.get(i))
    }

    /// The selected article's row, once it has been read.
    #[cfg(test)]
    pub(crate) fn selected_article(&self) -> Option<&ArticleRow> {
        self.selected_entry().and_then(|e| self.articles.rows.get(&e.id))
    }

    /// The feeds shown, in order (headings left out; a feed with two tags can come twice).
    #[cfg(test)]
    pub(crate) fn visible_feeds(&self) -> impl Iterator<Item = &FeedRow> {
        self.feeds.view.iter().filter_map(|line| match line {
            FeedLine::Feed(i) => self.feeds.rows.get(*i),
            FeedLine::Heading(_) | FeedLine::Query(_) => None,
        })
    }

    /// The articles shown, in order.
    pub(crate) fn visible_entries(&self) -> impl Iterator<Item = &ListEntry> {
        self.articles.view.iter().filter_map(|&i| self.articles.entries.get(i))
    }

    /// Every row of the list has been read (what `/` needs to match them all).
    pub(crate) fn all_rows_loaded(&self) -> bool {
        self.articles.entries.iter().all(|e| self.articles.rows.contains_key(&e.id))
    }

    /// Drops the rows far from the screen once more than `ROW_CACHE` are held, keeping the
    /// open article's. Not while `/` filters: the filter matches every row.
    pub(crate) fn trim_rows(&mut self) {
        if self.articles.rows.len() <= ROW_CACHE || self.needs_every_row() {
            return;
        }
        let first = self.articles.offset.saturating_sub(ROW_CACHE / 2);
        let keep: HashSet<ArticleId> = self
            .articles
            .view
            .iter()
            .skip(first)
            .take(ROW_CACHE)
            .map(|&i| self.articles.entries[i].id)
            .collect();
        let open = self.article.open.as_ref().map(|o| o.row.id);
        self.articles.rows.retain(|id, _| keep.contains(id) || Some(*id) == open);
    }

    /// The title of a feed by id, for the article header.
    pub(crate) fn feed_title(&self, id: FeedId) -> String {
        self.feeds.rows.iter().find(|f| f.id == id).map(|f| f.title.clone()).unwrap_or_default()
    }

    /// The articles pane's title: the feed, or the view.
    pub(crate) fn list_title(&self) -> String {
        match self.articles.source {
            Some(Source::Feed(f)) => self.feed_title(f),
            Some(Source::Starred) => "Starred".to_owned(),
            Some(Source::Query { name, .. }) => crate::sanitize::line(name),
            Some(Source::Search { text }) => format!("Search: {}", crate::sanitize::line(text)),
            None => "Articles".to_owned(),
        }
    }

    /// Every tag of every feed, once each, in the order of the grouped pane's headings.
    pub(crate) fn all_tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self.feeds.rows.iter().flat_map(|f| f.tags.iter().cloned()).collect();
        tags.sort_by_cached_key(|t| tag_order(t));
        tags.dedup();
        tags
    }

    /// Moves the lists' offsets just enough to keep their selections on screen.
    pub fn scroll_lists(&mut self) {
        use super::layout::{keep_visible, list_page};
        let rows = list_page(self.width, self.height, Pane::Feeds, self.split);
        self.feeds.offset = keep_visible(self.feeds.offset, self.feeds.sel, self.feeds.view.len(), rows);
        let rows = list_page(self.width, self.height, Pane::Articles, self.split);
        self.articles.offset =
            keep_visible(self.articles.offset, self.articles.sel, self.articles.view.len(), rows);
    }

    /// Shows `text` in the status line until it times out.
    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.status.message = text.into();
        self.status.age = 0;
        self.status.is_error = false;
    }

    /// Shows a failure in the status line (sanitized: error texts can quote a feed).
    pub(crate) fn say_error(&mut self, text: &str) {
        self.say(crate::sanitize::line(text));
        self.status.is_error = true;
        self.status.last_error = Some(self.status.message.clone());
    }

    /// Recomputes `feeds.view` from the filter and unread-only, keeping the selected feed
    /// selected (and shown, even if it no longer matches, so nothing moves under the user).
    pub fn refilter_feeds(&mut self) {
        let selected = self.selected_feed_key();
        self.refilter_feeds_keeping(selected);
    }

    /// Recomputes `feeds.view` from the tag, filter, unread-only, grouping and folds, then
    /// selects `selected` if it is listed (opening its folded heading if that hides it),
    /// else the first row.
    pub(crate) fn refilter_feeds_keeping(&mut self, selected: Option<FeedKey>) {
        let sticky = match &selected {
            Some(FeedKey::Feed { id, .. }) => Some(*id),
            _ => None,
        };
        let needle = self.feeds.filter.to_lowercase();
        let shown: Vec<usize> = (0..self.feeds.rows.len())
            .filter(|&i| {
                let f = &self.feeds.rows[i];
                let tagged = self.feeds.tag.as_ref().is_none_or(|t| f.tags.contains(t));
                let named = needle.is_empty() || f.title.to_lowercase().contains(&needle);
                // A filter being typed shows only matches: the sticky selection is for reloads.
                tagged && named && (Some(f.id) == sticky || !self.unread_only || f.unread > 0)
            })
            .collect();
        let feed_lines = if self.feeds.group_by_tag {
            self.grouped_lines(shown, selected.as_ref())
        } else {
            shown.into_iter().map(FeedLine::Feed).collect()
        };
        // Query feeds first, out of the way of a chosen tag; unread-only hides the ones known
        // to have nothing unread.
        let sticky_query = match &selected {
            Some(FeedKey::Query(name)) => Some(name.as_str()),
            _ => None,
        };
        let queries = (0..self.feeds.queries.len()).filter(|&i| {
            let q = &self.feeds.queries[i];
            let named = needle.is_empty() || q.name.to_lowercase().contains(&needle);
            let unread = !self.unread_only || q.unread != Some(0) || sticky_query == Some(q.name.as_str());
            self.feeds.tag.is_none() && named && unread
        });
        self.feeds.view = queries.map(FeedLine::Query).chain(feed_lines).collect();
        let position = selected.and_then(|key| self.position_of(&key));
        self.feeds.sel = position.unwrap_or(0).min(self.feeds.view.len().saturating_sub(1));
    }

    /// The grouped pane's rows for the feeds `shown`: a heading per tag (only the `t` tag
    /// while one is chosen), then "(no tag)", each followed by its feeds unless folded. A
    /// heading without feeds is left out.
    fn grouped_lines(&mut self, shown: Vec<usize>, selected: Option<&FeedKey>) -> Vec<FeedLine> {
        let groups = group_feeds(&self.feeds.rows, &shown, self.feeds.tag.as_deref());
        // The selected feed stays in sight: if every heading it is under is folded, its own
        // (or its first) is opened.
        if let Some(FeedKey::Feed { id, group }) = selected {
            let holds = |feeds: &Vec<usize>| feeds.iter().any(|&i| self.feeds.rows[i].id == *id);
            let mut holding = groups.iter().filter(|(_, feeds)| holds(feeds)).map(|(g, _)| g);
            if holding.clone().all(|g| self.feeds.folded.contains(g)) {
                let open = match group {
                    Some(g) if holding.clone().any(|h| h == g) => Some(g.clone()),
                    _ => holding.next().cloned(),
                };
                if let Some(g) = open {
                    self.feeds.folded.remove(&g);
                }
            }
        }
        let mut lines = Vec::new();
        for (group, feeds) in groups {
            let folded = self.feeds.folded.contains(&group);
            let unread = feeds.iter().map(|&i| self.feeds.rows[i].unread).sum();
            let rows: Vec<FeedLine> =
                if folded { Vec::new() } else { feeds.iter().map(|&i| FeedLine::Feed(i)).collect() };
            lines.push(FeedLine::Heading(Heading { group, unread, feeds, folded }));
            lines.extend(rows);
        }
        lines
    }

    /// The row `key` is on: a feed under the same heading if it can be, else its first row.
    fn position_of(&self, key: &FeedKey) -> Option<usize> {
        match key {
            FeedKey::Query(name) => self
                .feeds
                .view
                .iter()
                .position(|l| matches!(l, FeedLine::Query(i) if self.feeds.queries[*i].name == *name)),
            FeedKey::Heading(group) => {
                self.feeds.view.iter().position(|l| matches!(l, FeedLine::Heading(h) if h.group == *group))
            }
            FeedKey::Feed { id, group } => {
                let rows: Vec<usize> = (0..self.feeds.view.len())
                    .filter(
                        |&row| matches!(self.feeds.view[row], FeedLine::Feed(i) if self.feeds.rows[i].id == *id),
                    )
                    .collect();
                rows.iter()
                    .find(|&&row| group.is_some() && self.group_of_line(row) == group.as_ref())
                    .or(rows.first())
                    .copied()
            }
        }
    }

    /// Recomputes `articles.view` like `refilter_feeds`; the open article stays listed.
    pub fn refilter_articles(&mut self) {
        let selected = self.selected_entry().map(|a| a.id);
        self.refilter_articles_keeping(selected, self.articles.sel);
    }

    /// Recomputes `articles.view`, selecting `selected` if shown, else the row at `fallback`.
    pub(crate) fn refilter_articles_keeping(&mut self, selected: Option<ArticleId>, fallback: usize) {
        let open = self.article.open.as_ref().map(|o| o.row.id);
        let needle = self.articles.filter.to_lowercase();
        let query = self.articles.filter.starts_with('?');
        self.articles.view = (0..self.articles.entries.len())
            .filter(|&i| {
                let a = &self.articles.entries[i];
                // A row not read yet matches nothing: `update` reads them all while a filter
                // is typed, and filters again as they arrive.
                let matches = if query {
                    self.articles.query_matches.as_ref().is_none_or(|ids| ids.contains(&a.id))
                } else {
                    needle.is_empty()
                        || self.articles.rows.get(&a.id).is_some_and(|r| {
                            r.title.to_lowercase().contains(&needle)
                                || r.author.as_deref().is_some_and(|s| s.to_lowercase().contains(&needle))
                        })
                };
                // A search lists what it found, read or not: it is for finding what you remember.
                let wanted = !self.unread_only
                    || !a.read
                    || Some(a.id) == selected
                    || Some(a.id) == open
                    || self.articles.source.is_some_and(Source::ranked);
                matches && wanted
            })
            .collect();
        self.sort_view();
        self.articles.sel = selected
            .and_then(|id| self.articles.view.iter().position(|&i| self.articles.entries[i].id == id))
            .unwrap_or(fallback)
            .min(self.articles.view.len().saturating_sub(1));
    }
}

impl App {
    /// The shown list's order.
    pub(crate) fn order(&self) -> ArticleOrder {
        let Some(source) = self.articles.source else { return ArticleOrder::default() };
        let kept =
            || super::list_orders::key(source).and_then(|k| self.articles.kept_orders.get(&k).copied());
        match self.articles.orders.get(&source).copied().or_else(kept) {
            Some(order) => order,
            None if source.ranked() => ArticleOrder::BestMatch,
            None => ArticleOrder::default(),
        }
    }

    /// Every row of the list is needed: `/` matches titles and authors, a title order sorts
    /// by them.
    pub(crate) fn needs_every_row(&self) -> bool {
        (!self.articles.filter.is_empty() && !self.articles.filter.starts_with('?'))
            || self.order() == ArticleOrder::Title
    }

    /// Orders `articles.view` (stable: equal keys keep the store's newest-first order).
    fn sort_view(&mut self) {
        let entries = &self.articles.entries;
        let ranked = self.articles.source.is_some_and(Source::ranked);
        // A search's entries are in rank order: by date needs the rows (a search's come
        // with its results).
        let date = |i: usize| self.articles.rows.get(&entries[i].id).map_or(i64::MIN, |r| r.date);
        match self.order() {
            ArticleOrder::BestMatch => {}
            ArticleOrder::Newest if ranked => self.articles.view.sort_by_key(|&i| std::cmp::Reverse(date(i))),
            ArticleOrder::Oldest if ranked => self.articles.view.sort_by_key(|&i| date(i)),
            ArticleOrder::Newest => {}
            ArticleOrder::Oldest => self.articles.view.reverse(),
            ArticleOrder::UnreadFirst => self.articles.view.sort_by_key(|&i| entries[i].read),
            ArticleOrder::Title => {
                // A row not read yet sorts last until it arrives.
                let key = |i: usize| self.articles.rows.get(&entries[i].id).map(|r| r.title.to_lowercase());
                let mut keyed: Vec<(Option<String>, usize)> =
                    self.articles.view.iter().map(|&i| (key(i), i)).collect();
                keyed.sort_by(|(a, _), (b, _)| match (a, b) {
                    (Some(a), Some(b)) => a.cmp(b),
                    (a, b) => b.is_some().cmp(&a.is_some()),
                });
                self.articles.view = keyed.into_iter().map(|(_, i)| i).collect();
            }
            ArticleOrder::Feed => {
                let titles: HashMap<FeedId, String> =
                    self.feeds.rows.iter().map(|f| (f.id, f.title.to_lowercase())).collect();
                self.articles
                    .view
                    .sort_by(|&a, &b| titles.get(&entries[a].feed).cmp(&titles.get(&entries[b].feed)));
            }
        }
    }
}

#[cfg(test)]
impl App {
    /// Two feeds (the second failing) and three articles of the first, at `width`x`height`.
    pub(crate) fn sample(width: u16, height: u16) -> App {
        let mut app = App::new(width, height);
        app.feeds.rows = vec![
            FeedRow {
                id: FeedId(1),
                title: "Rust Blog".into(),
                unread: 2,
                total: 3,
                failing: false,
                synced: false,
                tags: vec!["rust".into()],
                options: Default::default(),
            },
            FeedRow {
                id: FeedId(2),
                title: "机器之心 中文".into(),
                unread: 0,
                total: 0,
                failing: true,
                synced: false,
                tags: vec!["ai".into(), "zh".into()],
                options: Default::default(),
            },
        ];
        app.feeds.loaded = true;
        // Past the start: the query feeds (none here) have been counted.
        app.feeds.queries_loaded = true;
        app.status.unread_total = 2;
        let rows: Vec<ArticleRow> = (0..3)
            .map(|i| ArticleRow {
                id: ArticleId(10 + i),
                feed: FeedId(1),
                title: format!("Article number {i}"),
                author: Some("Ferris".into()),
                link: Some(format!("https://example.org/{i}")),
                date: 1_704_067_200 + i as i64 * 86_400,
                read: i == 2,
                starred: false,
                has_images: i == 1,
                tags: Vec::new(),
            })
            .collect();
        app.set_rows(rows);
        app.articles.source = Some(Source::Feed(FeedId(1)));
        app.articles.wanted = Some(Source::Feed(FeedId(1)));
        app.refilter_feeds();
        app.refilter_articles();
        app
    }

    /// A list of exactly these articles, all rows loaded.
    pub(crate) fn set_rows(&mut self, rows: Vec<ArticleRow>) {
        self.articles.entries = rows.iter().map(ArticleRow::entry).collect();
        self.articles.rows = rows.into_iter().map(|r| (r.id, r)).collect();
    }
}

/// Where each paragraph of laid-out text starts: the first line, and every line with text
/// after a blank one.
pub(crate) fn paragraph_starts<'a>(lines: &'a [Line<'a>]) -> impl Iterator<Item = usize> + 'a {
    let blank = |line: &Line<'_>| line.spans.iter().all(|s| s.content.trim().is_empty());
    (0..lines.len()).filter(move |&i| i == 0 || (!blank(&lines[i]) && blank(&lines[i - 1])))
}

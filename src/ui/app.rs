//! The reader's state: panes, selections, focus, the open article and the status line. Data only.

use ratatui::text::Line;

use super::hyperlink::Osc8Uri;
use crate::model::{ArticleId, FeedId};
use crate::render::LinkCells;
use crate::store::{FetchRecord, Mark};

/// A screen region the user can focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Feeds,
    Articles,
    Article,
}

/// A feed as the feeds pane shows it (strings already sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: FeedId,
    pub title: String,
    pub unread: u64,
    pub total: u64,
    /// The last fetch failed.
    pub failing: bool,
    pub tags: Vec<String>,
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
}

/// What the articles pane lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Feed(FeedId),
    /// The starred articles of every feed (`S`).
    Starred,
}

impl Source {
    pub fn feed(self) -> Option<FeedId> {
        match self {
            Source::Feed(f) => Some(f),
            Source::Starred => None,
        }
    }
}

/// The article shown in the article pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenArticle {
    pub row: ArticleRow,
    pub feed_title: String,
    /// The body laid out at `width`, styled; `None` while it is being rendered.
    pub lines: Option<Vec<Line<'static>>>,
    /// The body's numbered links and images: `links[0]` is `[1]`, opened with `1`; an empty
    /// string for one that must not be opened (`javascript:`, `data:`...).
    pub links: Vec<String>,
    /// Where `lines` show each link, for OSC 8 hyperlinks.
    pub link_cells: Vec<LinkCells>,
    /// With `[reader] hyperlinks` on: the hyperlink of each numbered link (`hyperlinks[0]` is
    /// `[1]`; `None` for one the reader would not open). Empty when off.
    pub hyperlinks: Vec<Option<Osc8Uri>>,
    /// With `[reader] hyperlinks` on: the hyperlink of the header's `Link:`.
    pub header_hyperlink: Option<Osc8Uri>,
    /// The width `lines` were wrapped at.
    pub width: u16,
    /// First line shown (of header plus body).
    pub scroll: usize,
}

impl OpenArticle {
    /// The header above the body, as (label, value) lines wrapped to the width: the title
    /// (label ""), then feed, author, date and link (continuation lines have a blank label of
    /// the same width); a blank line ends it.
    pub fn header(&self, date_format: &str) -> Vec<(&'static str, String)> {
        const LABEL: usize = 8;
        let width = usize::from(self.width.max(10));
        let mut lines: Vec<(&'static str, String)> =
            wrap_words(&self.row.title, width).into_iter().map(|l| ("", l)).collect();
        let mut field = |label: &'static str, value: &str| {
            for (i, part) in wrap_words(value, width - LABEL).into_iter().enumerate() {
                lines.push((if i == 0 { label } else { "        " }, part));
            }
        };
        field("Feed:   ", &self.feed_title);
        if let Some(author) = &self.row.author {
            field("Author: ", author);
        }
        field("Date:   ", &full_date(self.row.date, date_format));
        if let Some(link) = &self.row.link {
            field("Link:   ", link);
        }
        lines.push(("", String::new()));
        lines
    }

    /// Header plus body lines: what scrolling is clamped against.
    pub fn total_lines(&self) -> usize {
        // The date format does not change the number of header lines.
        self.header("").len() + self.lines.as_ref().map_or(1, Vec::len)
    }
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
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
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

/// A refresh started from the reader, while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefreshProgress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
}

impl RefreshProgress {
    /// The status line while it runs.
    pub fn line(&self) -> String {
        format!("refreshing {}/{} feeds ({} failed)", self.done, self.total, self.failed)
    }
}

/// A one-line input at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: filters the feeds or the articles list as the user types.
    Filter(Pane),
    /// `a`: the URL of a feed (or of a page that links to one) to subscribe to.
    AddFeed,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Filter(_) => "/",
            PromptKind::AddFeed => "add feed URL: ",
        }
    }
}

/// A window drawn over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// `?`: the key bindings.
    Help { scroll: usize },
    /// `i`: a feed's fetch history; `records` is `None` while it loads.
    Health { feed: FeedId, title: String, records: Option<Vec<FetchRecord>>, scroll: usize },
}

/// A marking `u` can take back: applying `mark` to `ids` restores the state before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoStep {
    pub ids: Vec<ArticleId>,
    pub mark: Mark,
}

/// What to open once a requested article list arrives (`n` / `N` moving to another feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    FirstUnread,
    LastUnread,
    /// Enter came before the list did (typing ahead over a slow link): open the selected row.
    Selected,
}

/// One line of the `?` overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    /// The heading it belongs under; lines come grouped.
    pub section: &'static str,
    pub keys: String,
    pub description: String,
}

/// At most this many markings can be undone.
pub const UNDO_DEPTH: usize = 100;

/// Status messages disappear after this many ticks (seconds).
pub const MESSAGE_TICKS: u8 = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// Every feed, in the store's order.
    pub feeds: Vec<FeedRow>,
    /// Indexes into `feeds` of the rows shown (filter, unread-only); `feed_sel` indexes this.
    pub feed_view: Vec<usize>,
    /// False until the first `FeedsLoaded`: tells "loading" from "no feeds".
    pub feeds_loaded: bool,
    pub feed_sel: usize,
    /// The loaded list, newest first.
    pub articles: Vec<ArticleRow>,
    /// Indexes into `articles` of the rows shown; `article_sel` indexes this.
    pub article_view: Vec<usize>,
    /// What `articles` holds.
    pub articles_source: Option<Source>,
    /// The list asked for last; older answers are dropped.
    pub articles_wanted: Option<Source>,
    pub article_sel: usize,
    /// First rows shown of the two lists (kept by `scroll_lists`).
    pub feed_offset: usize,
    pub article_offset: usize,
    pub article: Option<OpenArticle>,
    pub focus: Pane,
    pub width: u16,
    pub height: u16,
    pub unread_total: u64,
    pub message: String,
    /// Ticks since `message` was set.
    pub message_age: u8,
    /// `message` reports a failure (drawn in the error style).
    pub message_is_error: bool,
    /// `Some` while a refresh runs (only one at a time).
    pub refresh: Option<RefreshProgress>,
    /// A feeds reload is on its way; `feeds_stale` asks for one more when it lands, so a
    /// refresh of 500 feeds does not queue 500 reloads.
    pub feeds_reloading: bool,
    pub feeds_stale: bool,
    /// `U`: only feeds and articles with something unread are listed.
    pub unread_only: bool,
    pub feed_filter: String,
    pub article_filter: String,
    /// `t`: only feeds with this tag are listed.
    pub tag: Option<String>,
    pub prompt: Option<Prompt>,
    pub overlay: Option<Overlay>,
    pub undo: Vec<UndoStep>,
    /// Set by `n`/`N` while the next feed's articles load.
    pub jump: Option<Jump>,
    /// Select this feed when it appears in the list (a feed just added with `a`).
    pub select_feed: Option<FeedId>,
    /// The `?` overlay's lines, from the live keymap.
    pub help: Vec<HelpLine>,
    /// strftime format of list dates.
    pub date_format: String,
    /// `[reader] hyperlinks`: links in the article pane are written as OSC 8 hyperlinks.
    pub hyperlinks: bool,
    /// `open_schemes` (lowercase): only links with these schemes are opened or hyperlinked.
    pub open_schemes: Vec<String>,
    /// How a wide terminal is shared between the panes.
    pub split: super::layout::Split,
    /// Start a refresh of every feed once the feeds are loaded (`refresh_on_start`).
    pub refresh_on_load: bool,
    pub quit: bool,
}

impl Default for App {
    fn default() -> App {
        App::new(80, 24)
    }
}

impl App {
    pub fn new(width: u16, height: u16) -> App {
        App {
            feeds: Vec::new(),
            feed_view: Vec::new(),
            feeds_loaded: false,
            feed_sel: 0,
            articles: Vec::new(),
            article_view: Vec::new(),
            articles_source: None,
            articles_wanted: None,
            article_sel: 0,
            feed_offset: 0,
            article_offset: 0,
            article: None,
            focus: Pane::Feeds,
            width,
            height,
            unread_total: 0,
            message: String::new(),
            message_age: 0,
            message_is_error: false,
            refresh: None,
            feeds_reloading: false,
            feeds_stale: false,
            unread_only: false,
            feed_filter: String::new(),
            article_filter: String::new(),
            tag: None,
            prompt: None,
            overlay: None,
            undo: Vec::new(),
            jump: None,
            select_feed: None,
            help: Vec::new(),
            date_format: "%Y-%m-%d".to_owned(),
            hyperlinks: false,
            open_schemes: Vec::new(),
            split: Default::default(),
            refresh_on_load: false,
            quit: false,
        }
    }

    /// All three panes on screen at once.
    pub fn is_wide(&self) -> bool {
        self.width >= super::layout::WIDE
    }

    pub fn selected_feed(&self) -> Option<&FeedRow> {
        self.feed_view.get(self.feed_sel).and_then(|&i| self.feeds.get(i))
    }

    pub fn selected_article(&self) -> Option<&ArticleRow> {
        self.article_view.get(self.article_sel).and_then(|&i| self.articles.get(i))
    }

    /// The feeds shown, in order.
    pub fn visible_feeds(&self) -> impl Iterator<Item = &FeedRow> {
        self.feed_view.iter().filter_map(|&i| self.feeds.get(i))
    }

    /// The articles shown, in order.
    pub fn visible_articles(&self) -> impl Iterator<Item = &ArticleRow> {
        self.article_view.iter().filter_map(|&i| self.articles.get(i))
    }

    /// The title of a feed by id, for the article header.
    pub fn feed_title(&self, id: FeedId) -> String {
        self.feeds.iter().find(|f| f.id == id).map(|f| f.title.clone()).unwrap_or_default()
    }

    /// The articles pane's title: the feed, or the view.
    pub fn list_title(&self) -> String {
        match self.articles_source {
            Some(Source::Feed(f)) => self.feed_title(f),
            Some(Source::Starred) => "Starred".to_owned(),
            None => "Articles".to_owned(),
        }
    }

    /// Every tag of every feed, sorted, once each.
    pub fn all_tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self.feeds.iter().flat_map(|f| f.tags.iter().cloned()).collect();
        tags.sort();
        tags.dedup();
        tags
    }

    /// Moves the lists' offsets just enough to keep their selections on screen.
    pub fn scroll_lists(&mut self) {
        use super::layout::{keep_visible, list_page};
        let rows = list_page(self.width, self.height, Pane::Feeds, self.split);
        self.feed_offset = keep_visible(self.feed_offset, self.feed_sel, self.feed_view.len(), rows);
        let rows = list_page(self.width, self.height, Pane::Articles, self.split);
        self.article_offset =
            keep_visible(self.article_offset, self.article_sel, self.article_view.len(), rows);
    }

    /// Shows `text` in the status line until it times out.
    pub fn say(&mut self, text: impl Into<String>) {
        self.message = text.into();
        self.message_age = 0;
        self.message_is_error = false;
    }

    /// Shows a failure in the status line (sanitized: error texts can quote a feed).
    pub fn say_error(&mut self, text: &str) {
        self.say(crate::sanitize::line(text));
        self.message_is_error = true;
    }

    /// Recomputes `feed_view` from the filter and unread-only, keeping the selected feed
    /// selected (and shown, even if it no longer matches, so nothing moves under the user).
    pub fn refilter_feeds(&mut self) {
        let selected = self.selected_feed().map(|f| f.id);
        let needle = self.feed_filter.to_lowercase();
        self.feed_view = (0..self.feeds.len())
            .filter(|&i| {
                let f = &self.feeds[i];
                let tagged = self.tag.as_ref().is_none_or(|t| f.tags.contains(t));
                tagged
                    && (Some(f.id) == selected
                        || ((!self.unread_only || f.unread > 0)
                            && (needle.is_empty() || f.title.to_lowercase().contains(&needle))))
            })
            .collect();
        // A filter being typed shows only matches: the sticky selection is for reloads.
        if !needle.is_empty() {
            if let Some(pos) = selected.and_then(|id| self.feeds.iter().position(|f| f.id == id)) {
                if !self.feeds[pos].title.to_lowercase().contains(&needle) {
                    self.feed_view.retain(|&i| i != pos);
                }
            }
        }
        self.feed_sel = selected
            .and_then(|id| self.feed_view.iter().position(|&i| self.feeds[i].id == id))
            .unwrap_or(0)
            .min(self.feed_view.len().saturating_sub(1));
    }

    /// Recomputes `article_view` like `refilter_feeds`; the open article stays listed.
    pub fn refilter_articles(&mut self) {
        let selected = self.selected_article().map(|a| a.id);
        self.refilter_articles_keeping(selected, self.article_sel);
    }

    /// Recomputes `article_view`, selecting `selected` if shown, else the row at `fallback`.
    pub fn refilter_articles_keeping(&mut self, selected: Option<ArticleId>, fallback: usize) {
        let open = self.article.as_ref().map(|o| o.row.id);
        let needle = self.article_filter.to_lowercase();
        self.article_view = (0..self.articles.len())
            .filter(|&i| {
                let a = &self.articles[i];
                let matches = needle.is_empty()
                    || a.title.to_lowercase().contains(&needle)
                    || a.author.as_deref().is_some_and(|s| s.to_lowercase().contains(&needle));
                let wanted = !self.unread_only || !a.read || Some(a.id) == selected || Some(a.id) == open;
                matches && wanted
            })
            .collect();
        self.article_sel = selected
            .and_then(|id| self.article_view.iter().position(|&i| self.articles[i].id == id))
            .unwrap_or(fallback)
            .min(self.article_view.len().saturating_sub(1));
    }
}

#[cfg(test)]
impl App {
    /// Two feeds (the second failing) and three articles of the first, at `width`x`height`.
    pub fn sample(width: u16, height: u16) -> App {
        let mut app = App::new(width, height);
        app.feeds = vec![
            FeedRow {
                id: FeedId(1),
                title: "Rust Blog".into(),
                unread: 2,
                total: 3,
                failing: false,
                tags: vec!["rust".into()],
            },
            FeedRow {
                id: FeedId(2),
                title: "机器之心 中文".into(),
                unread: 0,
                total: 0,
                failing: true,
                tags: vec!["ai".into(), "zh".into()],
            },
        ];
        app.feeds_loaded = true;
        app.unread_total = 2;
        app.articles = (0..3)
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
            })
            .collect();
        app.articles_source = Some(Source::Feed(FeedId(1)));
        app.articles_wanted = Some(Source::Feed(FeedId(1)));
        app.refilter_feeds();
        app.refilter_articles();
        app
    }
}

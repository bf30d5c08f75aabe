//! The reader's state: panes, selections, focus, the open article and the status line. Data only.

use crate::model::{ArticleId, FeedId};

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
}

/// An article as the articles pane lists it (strings already sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub id: ArticleId,
    pub title: String,
    pub author: Option<String>,
    pub link: Option<String>,
    /// Unix seconds.
    pub date: i64,
    pub read: bool,
    pub starred: bool,
}

/// The article shown in the article pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenArticle {
    pub row: ArticleRow,
    pub feed_title: String,
    /// `None` while the body is being loaded.
    pub lines: Option<Vec<String>>,
    /// The width `lines` were wrapped at.
    pub width: u16,
    /// First line shown (of header plus body).
    pub scroll: usize,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub feeds: Vec<FeedRow>,
    /// False until the first `FeedsLoaded`: tells "loading" from "no feeds".
    pub feeds_loaded: bool,
    pub feed_sel: usize,
    pub articles: Vec<ArticleRow>,
    /// The feed `articles` belong to.
    pub articles_feed: Option<FeedId>,
    /// The feed whose articles were asked for last; older answers are dropped.
    pub articles_wanted: Option<FeedId>,
    pub article_sel: usize,
    pub article: Option<OpenArticle>,
    pub focus: Pane,
    pub width: u16,
    pub height: u16,
    pub unread_total: u64,
    pub message: String,
    /// `Some` while a refresh runs (only one at a time).
    pub refresh: Option<RefreshProgress>,
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
            feeds_loaded: false,
            feed_sel: 0,
            articles: Vec::new(),
            articles_feed: None,
            articles_wanted: None,
            article_sel: 0,
            article: None,
            focus: Pane::Feeds,
            width,
            height,
            unread_total: 0,
            message: String::new(),
            refresh: None,
            quit: false,
        }
    }

    /// All three panes on screen at once.
    pub fn is_wide(&self) -> bool {
        self.width >= super::layout::WIDE
    }

    pub fn selected_feed(&self) -> Option<&FeedRow> {
        self.feeds.get(self.feed_sel)
    }

    pub fn selected_article(&self) -> Option<&ArticleRow> {
        self.articles.get(self.article_sel)
    }

    /// The title of a feed by id, for the article header.
    pub fn feed_title(&self, id: FeedId) -> String {
        self.feeds.iter().find(|f| f.id == id).map(|f| f.title.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
impl App {
    /// Two feeds (the second failing) and three articles of the first, at `width`x`height`.
    pub fn sample(width: u16, height: u16) -> App {
        let mut app = App::new(width, height);
        app.feeds = vec![
            FeedRow { id: FeedId(1), title: "Rust Blog".into(), unread: 2, total: 3, failing: false },
            FeedRow {
                id: FeedId(2), title: "机器之心 中文".into(), unread: 0, total: 0, failing: true
            },
        ];
        app.feeds_loaded = true;
        app.unread_total = 2;
        app.articles = (0..3)
            .map(|i| ArticleRow {
                id: ArticleId(10 + i),
                title: format!("Article number {i}"),
                author: Some("Ferris".into()),
                link: Some(format!("https://example.org/{i}")),
                date: 1_704_067_200 + i as i64 * 86_400,
                read: i == 2,
                starred: false,
            })
            .collect();
        app.articles_feed = Some(FeedId(1));
        app.articles_wanted = Some(FeedId(1));
        app
    }
}

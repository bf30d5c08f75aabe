//! The one message type of the reader: user intents from the keymap and facts from workers,
//! plus the effects `update` asks the loop to perform.

use crate::model::{ArticleId, FeedId};
use crate::store::Mark;

use super::app::{ArticleRow, FeedRow};

/// Everything that can change the reader's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // ---- user intents ----
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
    /// `A`: every article of the selected feed read.
    MarkFeedRead,
    Quit,
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
    ArticlesLoaded {
        feed: FeedId,
        articles: Vec<ArticleRow>,
    },
    /// The body of `article`, converted to text lines at `width` columns.
    BodyRendered {
        article: ArticleId,
        width: u16,
        lines: Vec<String>,
    },
    /// `count` articles of a feed were marked read by `MarkFeedRead`.
    FeedMarkedRead {
        feed: FeedId,
        count: usize,
    },
    /// A store read or write failed; the text is shown in the status line.
    Failed(String),
}

/// A side effect `update` wants performed; the loop runs it off the UI task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadFeeds,
    LoadArticles(FeedId),
    LoadBody { article: ArticleId, width: u16 },
    Mark { ids: Vec<ArticleId>, mark: Mark },
    MarkFeedRead(FeedId),
    Quit,
}

impl Effect {
    /// Changes the store (and so must be applied in order).
    pub fn is_write(&self) -> bool {
        matches!(self, Effect::Mark { .. } | Effect::MarkFeedRead(_))
    }
}

//! Where each pane goes for a terminal size. Shared by `render` (to draw) and `update` (to
//! know the page height and the width to wrap an article body at).

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::Pane;

/// From this width on, the feeds, articles and article panes are all on screen.
pub const WIDE: u16 = 100;

/// The screen split into panes; a pane not on screen has no area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub feeds: Option<Rect>,
    pub articles: Option<Rect>,
    pub article: Option<Rect>,
    pub status: Rect,
}

pub fn areas(width: u16, height: u16, focus: Pane) -> Areas {
    let full = Rect::new(0, 0, width, height);
    let [main, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(full);
    if width >= WIDE {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(main);
        let [feeds, articles] =
            Layout::horizontal([Constraint::Percentage(30), Constraint::Percentage(70)]).areas(top);
        Areas { feeds: Some(feeds), articles: Some(articles), article: Some(bottom), status }
    } else {
        let mut a = Areas { feeds: None, articles: None, article: None, status };
        match focus {
            Pane::Feeds => a.feeds = Some(main),
            Pane::Articles => a.articles = Some(main),
            Pane::Article => a.article = Some(main),
        }
        a
    }
}

/// The inside of a bordered pane.
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// Width to wrap an article body at, and lines per page of the article pane.
pub fn article_text_size(width: u16, height: u16) -> (u16, usize) {
    let a = areas(width, height, Pane::Article);
    let r = inner(a.article.unwrap_or(a.status));
    (r.width.max(10), usize::from(r.height.max(1)))
}

/// Rows per page of a list pane.
pub fn list_page(width: u16, height: u16, pane: Pane) -> usize {
    let a = areas(width, height, pane);
    let r = match pane {
        Pane::Feeds => a.feeds,
        Pane::Articles => a.articles,
        Pane::Article => a.article,
    };
    usize::from(r.map_or(1, |r| inner(r).height.max(1)))
}

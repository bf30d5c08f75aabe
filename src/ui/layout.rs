//! Where each pane goes for a terminal size. Shared by `render` (to draw) and `update` (to
//! know the page height and the width to wrap an article body at).

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::Pane;

/// From this width on, the feeds, articles and article panes are all on screen.
pub(crate) const WIDE: u16 = 100;

/// The screen split into panes; a pane not on screen has no area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Areas {
    pub(crate) feeds: Option<Rect>,
    pub(crate) articles: Option<Rect>,
    pub(crate) article: Option<Rect>,
    pub(crate) status: Rect,
}

/// How a wide terminal is shared: `[reader]` `feeds_width_percent` and `list_height_percent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split {
    /// The feeds pane's share of the width.
    pub(crate) feeds: u16,
    /// The lists' share of the height (the article has the rest).
    pub(crate) lists: u16,
}

impl Default for Split {
    fn default() -> Split {
        Split { feeds: 30, lists: 40 }
    }
}

pub(crate) fn areas(width: u16, height: u16, focus: Pane, split: Split) -> Areas {
    let full = Rect::new(0, 0, width, height);
    let [main, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(full);
    if width >= WIDE {
        let lists = split.lists.clamp(10, 90);
        let feeds = split.feeds.clamp(10, 90);
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(lists), Constraint::Percentage(100 - lists)])
                .areas(main);
        let [feeds, articles] =
            Layout::horizontal([Constraint::Percentage(feeds), Constraint::Percentage(100 - feeds)])
                .areas(top);
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
pub(crate) fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// Width to wrap an article body at, and lines per page of the article pane.
pub(crate) fn article_text_size(width: u16, height: u16, split: Split) -> (u16, usize) {
    let a = areas(width, height, Pane::Article, split);
    let r = inner(a.article.unwrap_or(a.status));
    (r.width.max(10), usize::from(r.height.max(1)))
}

/// Rows per page of a list pane.
pub(crate) fn list_page(width: u16, height: u16, pane: Pane, split: Split) -> usize {
    let a = areas(width, height, pane, split);
    let r = match pane {
        Pane::Feeds => a.feeds,
        Pane::Articles => a.articles,
        Pane::Article => a.article,
    };
    usize::from(r.map_or(1, |r| inner(r).height.max(1)))
}

/// The first row to show of a list of `len` rows in `height` rows so that `selected` is
/// visible, moving `offset` as little as possible (the list does not jump around).
pub(crate) fn keep_visible(offset: usize, selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    let offset = if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    };
    offset.min(len - height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_only_to_keep_the_selection_visible() {
        assert_eq!(keep_visible(0, 5, 100, 10), 0);
        assert_eq!(keep_visible(0, 10, 100, 10), 1);
        assert_eq!(keep_visible(40, 45, 100, 10), 40);
        assert_eq!(keep_visible(40, 39, 100, 10), 39);
        // Shrunk list or grown pane: no empty rows below the end.
        assert_eq!(keep_visible(95, 99, 100, 10), 90);
        assert_eq!(keep_visible(7, 3, 8, 10), 0);
    }

    #[test]
    fn the_split_follows_the_config() {
        let a = areas(200, 50, Pane::Feeds, Split { feeds: 20, lists: 50 });
        assert_eq!(a.feeds.map(|r| r.width), Some(40));
        assert_eq!(a.article.map(|r| r.height), Some(24), "half of the 49 rows above the status line");
    }
}

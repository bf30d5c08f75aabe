//! The articles pane: the selected feed's articles, newest first; unread ones bold with `N`.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::feeds::truncate;
use super::{focused, list_offset, pane_block};
use crate::ui::app::{App, Pane};
use crate::ui::{layout, theme};

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let title = match app.articles_feed {
        Some(f) => app.feed_title(f),
        None => "Articles".to_owned(),
    };
    let title = truncate(&title, usize::from(r.width.saturating_sub(6)));
    let block = pane_block(&title, focused(app, Pane::Articles));
    if app.articles.is_empty() {
        let text = if app.feeds.is_empty() {
            ""
        } else if app.articles_feed.is_none() || app.articles_feed != app.articles_wanted {
            "loading…"
        } else {
            "No articles in this feed (try tidings refresh)"
        };
        frame.render_widget(Paragraph::new(text).block(block), r);
        return;
    }
    let inner = layout::inner(r);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let offset = list_offset(app.article_sel, app.articles.len(), height);
    let lines: Vec<Line> = app
        .articles
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, a)| {
            let date = format_date(a.date);
            let flag = match (a.read, a.starred) {
                (_, true) => "*",
                (false, false) => "N",
                (true, false) => " ",
            };
            let prefix = format!("{date} {flag} ");
            let title = truncate(&a.title, width.saturating_sub(prefix.chars().count()));
            let mut line = Line::from(vec![Span::raw(prefix), Span::raw(title)]);
            if !a.read {
                line = line.style(theme::unread());
            }
            if i == app.article_sel {
                line = line.patch_style(theme::selected());
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// YYYY-MM-DD in UTC.
pub(super) fn format_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map_or_else(|| "????-??-??".to_owned(), |d| d.format("%Y-%m-%d").to_string())
}

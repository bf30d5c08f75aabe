//! `render`: draws the reader from `&App`. It never changes state or touches the store.

mod article;
mod articles;
mod feeds;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::app::{App, Pane};
use super::{layout, theme};

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let a = layout::areas(area.width, area.height, app.focus);
    if let Some(r) = a.feeds {
        feeds::render(app, frame, r);
    }
    if let Some(r) = a.articles {
        articles::render(app, frame, r);
    }
    if let Some(r) = a.article {
        article::render(app, frame, r);
    }
    status(app, frame, a.status);
}

fn pane_block(title: &str, focused: bool) -> Block<'_> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme::border(focused))
        .title(Span::styled(format!(" {title} "), if focused { theme::title() } else { theme::dim() }))
}

fn focused(app: &App, pane: Pane) -> bool {
    app.focus == pane
}

fn status(app: &App, frame: &mut Frame, r: Rect) {
    let mut spans = vec![Span::raw(format!(" {} unread ", app.unread_total))];
    if !app.message.is_empty() {
        spans.push(Span::raw("| "));
        spans.push(Span::raw(app.message.clone()));
    } else if r.width >= 60 {
        spans.push(Span::raw(
            "| j/k move  enter open  h back  m read  s star  A all read  r/R refresh  q quit",
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme::status()), r);
}

/// The first index to show so that `selected` is visible in `height` rows, near the middle.
fn list_offset(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    selected.saturating_sub(height / 2).min(len - height)
}

#[cfg(test)]
mod tests;

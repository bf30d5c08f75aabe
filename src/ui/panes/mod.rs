//! `render`: draws the reader from `&App`. It never changes state or touches the store.

mod article;
mod articles;
mod feeds;
mod overlay;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::app::{App, Pane};
use super::{layout, theme};

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let a = layout::areas(area.width, area.height, app.focus, app.split);
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
    overlay::render(app, frame);
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
    if let Some(prompt) = &app.prompt {
        let label = prompt.kind.label();
        // The end of what is typed stays visible in a narrow line.
        let room = usize::from(r.width).saturating_sub(label.chars().count() + 1);
        let text = tail(&prompt.text, room);
        let cursor_x = r.x + u16::try_from(label.chars().count() + feeds::display_width(&text)).unwrap_or(0);
        let line = Line::from(vec![Span::raw(label), Span::raw(text)]);
        frame.render_widget(Paragraph::new(line).style(theme::prompt()), r);
        frame.set_cursor_position((cursor_x.min(r.right().saturating_sub(1)), r.y));
        return;
    }
    let mut left = format!(" {} unread", app.unread_total);
    if app.unread_only {
        left.push_str(" (unread only)");
    }
    let mut spans = vec![Span::raw(format!("{left} "))];
    if !app.message.is_empty() {
        let style = if app.message_is_error { theme::status_error() } else { theme::status() };
        let width = usize::from(r.width);
        let room = width.saturating_sub(left.chars().count() + 3);
        // On a narrow screen a message too long to share the line gets all of it.
        if feeds::display_width(&app.message) > room && width < 60 {
            let text = feeds::truncate(&app.message, width.saturating_sub(1));
            spans = vec![Span::styled(format!(" {text}"), style)];
        } else {
            spans.push(Span::raw("| "));
            spans.push(Span::styled(feeds::truncate(&app.message, room), style));
        }
    } else if let Some(progress) = &app.refresh {
        spans.push(Span::raw("| "));
        spans.push(Span::styled(feeds::truncate(&progress.line(), usize::from(r.width)), theme::status()));
    } else if r.width >= 60 {
        spans.push(Span::raw("| ? keys  n next unread  m read  s star  o browser  R refresh  q quit"));
    } else {
        spans.push(Span::raw("| ? keys"));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme::status()), r);
}

/// The selected row's style: full in the focused pane, quieter elsewhere.
fn selection(app: &App, pane: Pane) -> ratatui::style::Style {
    if app.focus == pane {
        theme::selected()
    } else {
        theme::selected_unfocused()
    }
}

/// The selected row of a list: styled across the whole width of the pane, not only under
/// its text.
fn select_row(line: Line<'static>, app: &App, pane: Pane, width: usize) -> Line<'static> {
    let mut line = line;
    let pad = width.saturating_sub(line.width());
    if pad > 0 {
        line.spans.push(Span::raw(" ".repeat(pad)));
    }
    line.patch_style(selection(app, pane))
}

/// The last `width` columns of `s`.
fn tail(s: &str, width: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = feeds::display_width(c.encode_utf8(&mut [0; 4]));
        if w + cw > width {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.into_iter().rev().collect()
}

#[cfg(test)]
mod tests;

//! The article pane: a header (title, feed, author, date, link) and the body as text.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{focused, pane_block};
use crate::ui::app::{App, Pane};
use crate::ui::theme;

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let block = pane_block("Article", focused(app, Pane::Article));
    let Some(open) = &app.article else {
        let hint = if app.articles.is_empty() { "" } else { "Enter opens the selected article" };
        frame.render_widget(Paragraph::new(hint).style(theme::dim()).block(block), r);
        return;
    };
    let star = if open.row.starred { " *" } else { "" };
    let mut lines: Vec<Line> = Vec::new();
    for (label, value) in open.header(&app.date_format) {
        lines.push(if label.is_empty() && !value.is_empty() {
            Line::from(Span::styled(value, theme::title()))
        } else {
            Line::from(vec![Span::styled(label, theme::header_label()), Span::raw(value)])
        });
    }
    if let Some(first) = lines.first_mut() {
        first.spans.push(Span::styled(star, theme::starred()));
    }
    match &open.lines {
        Some(body) => lines.extend(body.iter().map(|l| Line::from(l.as_str()))),
        None => lines.push(Line::styled("loading…", theme::dim())),
    }
    // Header and body lines are each one screen line (the body is wrapped to the pane's width,
    // headers are cut), so `scroll` counts the same lines `update` clamps it against.
    let scroll = u16::try_from(open.scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), r);
}

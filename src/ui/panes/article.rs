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
        let hint = if app.entries.is_empty() { "" } else { "Enter opens the selected article" };
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
    // Header and body lines are each one screen line (both are wrapped to the pane's width),
    // so `scroll` counts the same lines `update` clamps it against. Only the lines on screen
    // are cloned: a long article costs no more to draw than a short one.
    let rows = usize::from(r.height.saturating_sub(2));
    let header = lines.len();
    let mut shown: Vec<Line> = lines.into_iter().skip(open.scroll).take(rows).collect();
    match &open.lines {
        Some(body) => {
            let from = open.scroll.saturating_sub(header);
            shown.extend(body.iter().skip(from).take(rows - shown.len().min(rows)).cloned());
        }
        None if shown.len() < rows => shown.push(Line::styled("loading…", theme::dim())),
        None => {}
    }
    frame.render_widget(Paragraph::new(shown).block(block), r);
}

//! The article pane: a header (title, feed, author, date, tags, link) and the body as text, its
//! links written as OSC 8 hyperlinks when `[reader] hyperlinks` is on.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{focused, pane_block};
use crate::ui::app::{App, OpenArticle, Pane};
use crate::ui::{hyperlink, theme};

/// The header's labels are this many columns wide.
const LABEL_WIDTH: u16 = 8;

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let block = pane_block("Article", focused(app, Pane::Article));
    let Some(open) = &app.article.open else {
        let hint = if app.articles.entries.is_empty() { "" } else { "Enter opens the selected article" };
        frame.render_widget(Paragraph::new(hint).style(theme::dim()).block(block), r);
        return;
    };
    let star = if open.row.starred { " *" } else { "" };
    let mut lines: Vec<Line> = Vec::new();
    // The header lines that show the article's link (a long one wraps), and their widths.
    let mut link_rows: Vec<(usize, u16)> = Vec::new();
    let mut in_link = false;
    for (label, value) in open.header(&app.date_format) {
        in_link = label == "Link:   " || (in_link && label.trim().is_empty() && !label.is_empty());
        if in_link {
            link_rows
                .push((lines.len(), u16::try_from(Span::raw(value.as_str()).width()).unwrap_or(u16::MAX)));
        }
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
    // How far down the article the view reaches, when it does not all fit.
    let total = header + open.lines.as_ref().map_or(0, Vec::len);
    let block = if total > rows && rows > 0 && r.width >= 20 {
        let seen = (open.scroll + rows).min(total) * 100 / total;
        block.title_top(Line::from(Span::styled(format!(" {seen}% "), theme::dim())).right_aligned())
    } else {
        block
    };
    let inner = block.inner(r);
    frame.render_widget(Paragraph::new(shown).block(block), r);
    if open.header_hyperlink.is_some() || !open.hyperlinks.is_empty() {
        add_hyperlinks(open, &link_rows, header, frame, inner);
    }
}

/// Turns the links on screen into OSC 8 hyperlinks (see `hyperlink`), over the text just
/// drawn in `inner`: header line `k` and body line `j` show on row `k - scroll` and
/// `header + j - scroll`.
fn add_hyperlinks(
    open: &OpenArticle,
    link_rows: &[(usize, u16)],
    header: usize,
    frame: &mut Frame,
    inner: Rect,
) {
    let rows = usize::from(inner.height);
    let on_screen = |line: usize| {
        line.checked_sub(open.scroll).filter(|&row| row < rows).and_then(|row| u16::try_from(row).ok())
    };
    let buf = frame.buffer_mut();
    if let Some(uri) = &open.header_hyperlink {
        for &(line, width) in link_rows {
            if let Some(row) = on_screen(line) {
                let start = inner.x + LABEL_WIDTH;
                let end = start.saturating_add(width).min(inner.right());
                hyperlink::link_cells(buf, inner.y + row, start, end, "tidings-0", uri);
            }
        }
    }
    // `link_cells` are in line order: start at the first line on screen.
    let first = open.scroll.saturating_sub(header);
    let from = open.link_cells.partition_point(|c| c.line < first);
    for c in &open.link_cells[from..] {
        let Some(row) = on_screen(header + c.line) else { break };
        let Some(Some(uri)) = c.reference.checked_sub(1).and_then(|i| open.hyperlinks.get(i)) else {
            continue;
        };
        let start = inner.x.saturating_add(c.start);
        let end = inner.x.saturating_add(c.end).min(inner.right());
        hyperlink::link_cells(buf, inner.y + row, start, end, &format!("tidings-{}", c.reference), uri);
    }
}

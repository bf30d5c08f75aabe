//! The feeds pane: each feed's title and unread/total counts, `!` when its last fetch failed;
//! grouped by tag (`T`), a heading per tag with its unread total, the feeds indented under it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{focused, pane_block};
use crate::ui::app::{App, FeedLine, FeedRow, Heading, Pane};
use crate::ui::{layout, theme};

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let mut title = match &app.tag {
        Some(tag) => format!("Feeds [{tag}]"),
        None => "Feeds".to_owned(),
    };
    if !app.feed_filter.is_empty() {
        title = format!("{title} /{}", app.feed_filter);
    }
    let title = truncate(&title, usize::from(r.width.saturating_sub(6)));
    let block = pane_block(&title, focused(app, Pane::Feeds));
    if app.feeds.is_empty() {
        let text = if app.feeds_loaded {
            vec![
                Line::styled("Welcome to tidings! No feeds yet.", theme::title()),
                Line::from("Enter  load the sample feeds (offline)"),
                Line::from("a      add a feed by URL"),
                Line::from("?      all keys"),
                Line::from("From a shell:"),
                Line::from("  tidings add URL"),
                Line::from("  tidings import FILE.opml"),
            ]
        } else {
            vec![Line::from("loading…")]
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), r);
        return;
    }
    let inner = layout::inner(r);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    if app.feed_view.is_empty() {
        let text = if app.feed_filter.is_empty() {
            "No unread feeds (U shows all)"
        } else {
            "Nothing matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), r);
        return;
    }
    let offset = layout::keep_visible(app.feed_offset, app.feed_sel, app.feed_view.len(), height);
    // Grouped, feeds are indented under their tag's heading.
    let indent = if app.group_by_tag { FEED_INDENT } else { "" };
    let lines: Vec<Line> = app
        .feed_view
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, row)| {
            let mut line = match row {
                FeedLine::Feed(index) => feed_line(app.feeds.get(*index)?, indent, width),
                FeedLine::Heading(h) => heading_line(h, width),
            };
            if i == app.feed_sel {
                line = super::select_row(line, app, Pane::Feeds, width);
            }
            Some(line)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// What a feed row starts with under a heading.
const FEED_INDENT: &str = "  ";

/// A feed: the failure marker, its title and its unread/total counts at the right edge.
fn feed_line(f: &FeedRow, indent: &str, width: usize) -> Line<'static> {
    let counts = format!(" {}/{}", f.unread, f.total);
    let marker = if f.failing { "!" } else { " " };
    let room = width.saturating_sub(indent.len() + counts.chars().count() + 1);
    let title = truncate(&f.title, room);
    let pad = room.saturating_sub(display_width(&title));
    let line = Line::from(vec![
        Span::raw(indent.to_owned()),
        Span::styled(marker, theme::feed_failing()),
        Span::raw(title),
        Span::raw(" ".repeat(pad)),
        Span::styled(counts, if f.unread > 0 { theme::unread_count() } else { theme::read() }),
    ]);
    line.style(if f.unread > 0 { theme::unread() } else { theme::read() })
}

/// A tag's heading: `-` open or `+` folded, the tag, and its feeds' unread total at the right
/// edge. ASCII on purpose: the triangles (▸ ▾ ► ▼) are ambiguous-width characters, drawn two
/// columns wide by terminals set up for CJK text (which would push the row past the border),
/// and the small ones are missing from Linux console fonts.
fn heading_line(h: &Heading, width: usize) -> Line<'static> {
    let symbol = if h.folded { "+ " } else { "- " };
    let count = format!(" {}", h.unread);
    let room = width.saturating_sub(symbol.len() + count.len());
    let label = truncate(h.group.label(), room);
    let pad = room.saturating_sub(display_width(&label));
    Line::from(vec![
        Span::raw(symbol),
        Span::styled(label, theme::title()),
        Span::raw(" ".repeat(pad)),
        Span::styled(count, if h.unread > 0 { theme::unread_count() } else { theme::read() }),
    ])
}

pub(super) fn display_width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

/// `s` cut to at most `width` columns, with `…` when cut.
pub(super) fn truncate(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = display_width(c.encode_utf8(&mut [0; 4]));
        if w + cw + 1 > width {
            break;
        }
        w += cw;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

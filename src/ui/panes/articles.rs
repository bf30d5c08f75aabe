//! The articles pane: the selected feed's articles (or the starred ones of every feed), newest
//! first; `N` unread (and bold), `*` starred, `+` has pictures. A row whose title has not been
//! read yet is drawn dim, with a blank date and "…", for the frame or two until it arrives.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::feeds::{display_width, truncate};
use super::{focused, pane_block};
use crate::ui::app::{App, Pane, Source};
use crate::ui::{layout, theme};

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let mut title = app.list_title();
    if !app.articles.filter.is_empty() {
        title = format!("{title} /{}", app.articles.filter);
    }
    // Where the selection is in the list: "12/340" at the right of the title.
    let position = match app.articles.view.len() {
        0 => String::new(),
        len => format!(" {}/{len} ", (app.articles.sel + 1).min(len)),
    };
    let room = usize::from(r.width.saturating_sub(6)).saturating_sub(position.len());
    let title = truncate(&title, room);
    let mut block = pane_block(&title, focused(app, Pane::Articles));
    if !position.is_empty() && room >= 4 {
        block = block.title_top(Line::from(Span::styled(position, theme::dim())).right_aligned());
    }
    if app.articles.view.is_empty() {
        let text = if app.feeds.rows.is_empty() {
            ""
        } else if app.articles.source.is_none()
            || app.articles.source != app.articles.wanted
            || (!app.articles.filter.is_empty() && !app.all_rows_loaded())
        {
            // The list, or the rows a filter matches against, are on their way.
            "loading…"
        } else if !app.articles.filter.is_empty() {
            "Nothing matches the filter (Esc clears it)"
        } else if app.articles.source == Some(Source::Starred) {
            "No starred articles (s stars one)"
        } else if app.articles.source.is_some_and(Source::ranked) {
            "No article has every word (Ctrl-/ or F searches again, Esc goes back)"
        } else if app.unread_only && !app.articles.entries.is_empty() {
            "No unread articles here (U shows all)"
        } else if matches!(app.articles.source, Some(Source::Query { .. })) {
            "No article matches this query feed now (r fetches the feeds)"
        } else {
            "No articles in this feed yet (r fetches it)"
        };
        frame.render_widget(Paragraph::new(text).block(block), r);
        return;
    }
    let inner = layout::inner(r);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    // A list of many feeds names each row's feed.
    let mixed = app.articles.source.is_some_and(|s| s.feed().is_none());
    let searched = match app.articles.source {
        Some(Source::Search { text }) => Some(text),
        _ => None,
    };
    let offset = layout::keep_visible(app.articles.offset, app.articles.sel, app.articles.view.len(), height);
    // A row not read yet keeps the date column's width, blank.
    let blank_date = " ".repeat(display_width(&format_date(0, &app.date_format)));
    let lines: Vec<Line> = app
        .visible_entries()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, a)| {
            let row = app.articles.rows.get(&a.id);
            let date = row.map_or_else(|| blank_date.clone(), |r| format_date(r.date, &app.date_format));
            let flags = format!(
                "{}{}{}",
                if a.read { ' ' } else { 'N' },
                if a.starred { '*' } else { ' ' },
                if row.is_some_and(|r| r.has_images) { '+' } else { ' ' }
            );
            let mut spans = vec![Span::raw(format!("{date} "))];
            spans.push(Span::styled(flags, if a.starred { theme::starred() } else { Style::new() }));
            spans.push(Span::raw(" "));
            if mixed && width >= 50 {
                let feed = truncate(&app.feed_title(a.feed), 16);
                let pad = 17usize.saturating_sub(display_width(&feed));
                spans.push(Span::styled(format!("{feed}{}", " ".repeat(pad)), theme::dim()));
            }
            let used: usize = spans.iter().map(Span::width).sum();
            let title = row.map_or("…", |r| r.title.as_str());
            let shown = truncate(title, width.saturating_sub(used));
            let matched = match (row, searched) {
                (None, _) => Vec::new(),
                (Some(_), Some(words)) => crate::search::snippet::matched_ranges(title, words),
                (Some(_), None) => filter_matches(title, &app.articles.filter),
            };
            spans.extend(highlighted(shown, &matched));
            let mut line = Line::from(spans);
            line = line.style(match row {
                None => theme::dim(),
                Some(_) if a.read => theme::read(),
                Some(_) => theme::unread(),
            });
            if i == app.articles.sel {
                line = super::select_row(line, app, Pane::Articles, width);
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// `text` as spans, the byte `ranges` of it in the match style. `text` may be a title cut
/// short with `…`: ranges past the cut light what is left of them.
fn highlighted(text: String, ranges: &[std::ops::Range<usize>]) -> Vec<Span<'static>> {
    if ranges.is_empty() {
        return vec![Span::raw(text)];
    }
    let kept = text.strip_suffix('…').map_or(text.len(), str::len);
    let mut spans = Vec::new();
    let mut at = 0;
    for r in ranges {
        let (start, end) = (r.start.min(kept), r.end.min(kept));
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            spans.push(Span::raw(text[at..start].to_owned()));
        }
        spans.push(Span::styled(text[start..end].to_owned(), theme::match_highlight()));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::raw(text[at..].to_owned()));
    }
    spans
}

/// Where a `/` filter (plain text, any case) matches `title`. A `?` query matches articles,
/// not words: nothing to light.
fn filter_matches(title: &str, filter: &str) -> Vec<std::ops::Range<usize>> {
    if filter.is_empty() || filter.starts_with('?') {
        return Vec::new();
    }
    let (folded, needle) = (title.to_lowercase(), filter.to_lowercase());
    // Lowercasing changed some letter's length: offsets would not be the title's.
    if folded.len() != title.len() {
        return Vec::new();
    }
    folded.match_indices(&needle).map(|(i, m)| i..i + m.len()).collect()
}

/// A list date in `format` (strftime; checked when the config is read), in UTC.
pub(super) fn format_date(unix: i64, format: &str) -> String {
    use std::fmt::Write;
    let Some(d) = chrono::DateTime::from_timestamp(unix, 0) else { return "????-??-??".to_owned() };
    let mut out = String::new();
    // A format chrono cannot render gives an error, not a panic.
    if write!(out, "{}", d.format(format)).is_err() {
        out = d.format("%Y-%m-%d").to_string();
    }
    out
}

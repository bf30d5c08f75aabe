//! Windows over the panes: `?` (the key bindings, from the live keymap) and `i` (a feed's
//! request options and fetch history).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::feeds::truncate;
use super::pane_block;
use crate::model::FeedId;
use crate::store::FetchRecord;
use crate::subscriptions::request_options;
use crate::ui::app::{App, Overlay};
use crate::ui::theme;

pub fn render(app: &App, frame: &mut Frame) {
    let Some(overlay) = &app.overlay.shown else { return };
    let area = frame.area();
    // Leaves the status line visible; terminals under 80 columns get their whole width (a
    // margin there would cut the text), wider ones a margin, up to 100 columns.
    let width = if area.width >= 80 { area.width.saturating_sub(8).min(100) } else { area.width };
    let height =
        if area.height >= 16 { area.height.saturating_sub(4) } else { area.height.saturating_sub(1) };
    let r = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height.saturating_sub(1) - height) / 2,
        width,
        height,
    );
    let inner_width = usize::from(width.saturating_sub(2));
    let (title, lines, scroll) = match overlay {
        Overlay::Help { scroll } => ("Keys (Esc closes)".to_owned(), help_lines(app, inner_width), *scroll),
        Overlay::Health { feed, title, records, scroll } => {
            let mut lines = options_lines(app, *feed, inner_width);
            match records {
                None => lines.push(Line::styled("loading…", theme::dim())),
                Some(records) => lines.extend(health_lines(records, inner_width)),
            }
            if let Some(error) = &app.status.last_error {
                lines.push(Line::from(""));
                lines.push(Line::styled("Last error in the reader:", theme::title()));
                for part in wrapped(error, inner_width, 2, 2) {
                    lines.push(Line::styled(part, theme::health_failed()));
                }
            }
            (format!("{title}: fetch history"), lines, *scroll)
        }
    };
    let rows = usize::from(height.saturating_sub(2)).max(1);
    let scroll = scroll.min(lines.len().saturating_sub(rows));
    let title = truncate(&title, inner_width.saturating_sub(2));
    frame.render_widget(Clear, r);
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(pane_block(&title, true)), r);
    blank_split_wide_characters(frame.buffer_mut(), r);
}

/// A wide character (CJK, emoji) under the panes whose second half the window covers would
/// be drawn over the window's border by the terminal: blank it.
fn blank_split_wide_characters(buf: &mut ratatui::buffer::Buffer, r: Rect) {
    if r.x == 0 {
        return;
    }
    for y in r.top()..r.bottom() {
        let left = &mut buf[(r.x - 1, y)];
        if super::feeds::display_width(left.symbol()) > 1 {
            left.set_symbol(" ");
        }
    }
}

fn help_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let keys_width =
        app.overlay.help.iter().map(|h| h.keys.chars().count()).max().unwrap_or(0).min(width / 2);
    let mut lines: Vec<Line> = Vec::new();
    let mut section = "";
    for h in &app.overlay.help {
        if h.section != section {
            if !section.is_empty() {
                lines.push(Line::from(""));
            }
            section = h.section;
            lines.push(Line::styled(truncate(section, width), theme::title()));
        }
        let keys = truncate(if h.keys.is_empty() { "(unbound)" } else { &h.keys }, keys_width);
        let pad = keys_width.saturating_sub(keys.chars().count());
        // Descriptions wrap under themselves rather than being cut.
        let room = width.saturating_sub(keys_width + 2).max(10);
        for (i, part) in crate::ui::app::wrap_words(&h.description, room).into_iter().enumerate() {
            let lead =
                if i == 0 { format!("{keys}{}  ", " ".repeat(pad)) } else { " ".repeat(keys_width + 2) };
            lines.push(Line::from(vec![
                Span::styled(lead, theme::help_key()),
                Span::styled(part, theme::help_text()),
            ]));
        }
    }
    lines.push(Line::from(""));
    for legend in [
        "In lists: N unread, * starred, + has pictures; ! a feed whose last fetch failed.",
        "In prompts (/ and a): Enter accepts, Esc cancels, Ctrl-u clears, Ctrl-w deletes a word.",
        "Keys are remapped in config.toml under [keys].",
    ] {
        for part in wrapped(legend, width, 0, 0) {
            lines.push(Line::styled(part, theme::dim()));
        }
    }
    lines
}

/// The feed's request options, header values and a proxy's password left out (as `tidings
/// feeds --verbose` shows them), then a blank line. Read from the feeds pane's row: a change
/// made with `e` shows as soon as the feeds are reloaded.
fn options_lines(app: &App, feed: FeedId, width: usize) -> Vec<Line<'static>> {
    let Some(row) = app.feeds.rows.iter().find(|f| f.id == feed) else { return Vec::new() };
    let options = request_options::options_line(&row.options)
        .unwrap_or_else(|| "none (config.toml's apply)".to_owned());
    let mut lines: Vec<Line<'static>> = wrapped(&format!("request options: {options}"), width, 0, 2)
        .into_iter()
        .map(|part| Line::styled(part, theme::title()))
        .collect();
    lines.push(Line::from(""));
    lines
}

fn health_lines(records: &[FetchRecord], width: usize) -> Vec<Line<'static>> {
    if records.is_empty() {
        return vec![Line::from("Never fetched yet. r fetches it now.")];
    }
    let mut lines = Vec::new();
    let last_ok = records.iter().find(|r| r.error.is_none());
    let failing = records.iter().take_while(|r| r.error.is_some()).last();
    let avg = records.iter().map(|r| r.fetch_ms).sum::<u64>() / records.len() as u64;
    let summary = [
        format!("last success:  {}", last_ok.map_or_else(|| "never".to_owned(), |r| when(r.started_ms))),
        format!("failing since: {}", failing.map_or_else(|| "-".to_owned(), |r| when(r.started_ms))),
        format!("average fetch: {avg} ms over the last {}", records.len()),
    ];
    for s in summary {
        for part in wrapped(&s, width, 0, 2) {
            lines.push(Line::styled(part, theme::title()));
        }
    }
    lines.push(Line::from(""));
    let header = format!(
        "{:<16} {:>4} {:>7} {:>6} {:>6} {:>6} {:>4} {:>4} {:>5}",
        "time", "http", "fetch", "parse", "store", "bytes", "new", "upd", "total"
    );
    lines.push(Line::styled(truncate(&header, width), theme::header_label()));
    for r in records {
        let status = match (r.status, r.not_modified) {
            (_, true) => "304".to_owned(),
            (Some(s), _) => s.to_string(),
            (None, _) => "-".to_owned(),
        };
        let row = format!(
            "{:<16} {:>4} {:>7} {:>6} {:>6} {:>6} {:>4} {:>4} {:>5}",
            when(r.started_ms),
            status,
            format!("{}ms", r.fetch_ms),
            format!("{}ms", r.parse_ms),
            format!("{}ms", r.store_ms),
            human_bytes(r.bytes),
            r.new,
            r.updated,
            r.total,
        );
        let style = if r.error.is_some() { theme::health_failed() } else { theme::health_ok() };
        lines.push(Line::styled(truncate(&row, width), style));
        if let Some(e) = &r.error {
            // The whole text, wrapped: this is where a cut error can be read.
            for part in wrapped(&crate::sanitize::line(e), width, 2, 2) {
                lines.push(Line::styled(part, theme::health_failed()));
            }
        }
        for note in &r.notes {
            for part in wrapped(&crate::sanitize::line(note), width, 2, 4) {
                lines.push(Line::styled(part, theme::dim()));
            }
        }
    }
    lines
}

/// `text` wrapped to `width` columns, its first line indented by `first` columns and the
/// others by `rest`.
fn wrapped(text: &str, width: usize, first: usize, rest: usize) -> Vec<String> {
    let room = width.saturating_sub(first.max(rest)).max(10);
    crate::ui::app::wrap_words(text, room)
        .into_iter()
        .enumerate()
        .map(|(i, part)| format!("{}{part}", " ".repeat(if i == 0 { first } else { rest })))
        .collect()
}

/// Unix milliseconds as "YYYY-MM-DD HH:MM" (UTC).
fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| "?".to_owned(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

fn human_bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n}B"),
        10_000..=9_999_999 => format!("{}K", n / 1024),
        _ => format!("{}M", n / (1024 * 1024)),
    }
}

//! The feeds pane: each feed's title and unread/total counts, `!` when its last fetch failed;
//! grouped by tag (`T`), a heading per tag with its unread total, the feeds indented under it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{focused, pane_block};
use crate::ui::app::{App, FeedLine, FeedRow, Heading, Pane, QueryRow};
use crate::ui::{layout, theme};

pub fn render(app: &App, frame: &mut Frame, r: Rect) {
    let mut title = match &app.feeds.tag {
        Some(tag) => format!("Feeds [{tag}]"),
        None => "Feeds".to_owned(),
    };
    if !app.feeds.filter.is_empty() {
        title = format!("{title} /{}", app.feeds.filter);
    }
    let title = truncate(&title, usize::from(r.width.saturating_sub(6)));
    let block = pane_block(&title, focused(app, Pane::Feeds));
    if app.feeds.rows.is_empty() {
        if app.feeds.loaded {
            let inner = layout::inner(r);
            frame.render_widget(block, r);
            welcome(app, frame, inner);
        } else {
            frame.render_widget(Paragraph::new("loading…").wrap(Wrap { trim: false }).block(block), r);
        }
        return;
    }
    let inner = layout::inner(r);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    if app.feeds.view.is_empty() {
        let text = if app.feeds.filter.is_empty() {
            "No unread feeds (U shows all)"
        } else {
            "Nothing matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), r);
        return;
    }
    let offset = layout::keep_visible(app.feeds.offset, app.feeds.sel, app.feeds.view.len(), height);
    // Grouped, feeds are indented under their tag's heading.
    let indent = if app.feeds.group_by_tag { FEED_INDENT } else { "" };
    let lines: Vec<Line> = app
        .feeds
        .view
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, row)| {
            let mut line = match row {
                FeedLine::Query(index) => query_line(app.feeds.queries.get(*index)?, width),
                FeedLine::Feed(index) => feed_line(app.feeds.rows.get(*index)?, indent, width),
                FeedLine::Heading(h) => heading_line(h, width),
            };
            if i == app.feeds.sel {
                line = super::select_row(line, app, Pane::Feeds, width);
            }
            Some(line)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// The config file's path as the welcome screen names it (`~` for the home directory); set
/// once by the reader before it draws.
static CONFIG_PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the config file on the welcome screen. Only the first call counts.
pub fn set_config_path(path: &std::path::Path) {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(std::path::PathBuf::from);
    let shown = match home.as_deref().and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    };
    let _ = CONFIG_PATH.set(crate::sanitize::line(&shown));
}

/// The welcome screen (no feeds yet): what to do first, where the config is, how to get help
/// and out. Short lines, never wrapped, as one block centered in `r`; the blank lines between
/// its parts go first when the pane is short, then the lines at the end.
fn welcome(app: &App, frame: &mut Frame, r: Rect) {
    let key = |action: &str, preferred: &str| super::key_of(app, action, preferred);
    let (width, height) = (usize::from(r.width), usize::from(r.height));
    // (line, a blank that may go)
    let mut lines: Vec<(Line<'static>, bool)> = vec![
        (Line::styled("Welcome to tidings!", theme::title()), false),
        (Line::from("No feeds yet. To begin:"), false),
        (Line::default(), true),
    ];
    let mut keys: Vec<(String, &str)> = Vec::new();
    if let Some(k) = key("add_feed", "a") {
        keys.push((k, "add a feed by URL"));
    }
    if let Some(k) = key("open", "Enter") {
        keys.push((k, "load the sample feeds"));
    }
    let key_width = keys.iter().map(|(k, _)| display_width(k)).max().unwrap_or(0);
    for (k, what) in keys {
        let pad = " ".repeat(key_width - display_width(&k) + 2);
        lines.push((
            Line::from(vec![Span::styled(k, theme::help_key()), Span::raw(format!("{pad}{what}"))]),
            false,
        ));
    }
    lines.push((Line::default(), true));
    lines.push((Line::from(if lines.len() > 4 { "Or in a shell:" } else { "In a shell:" }), false));
    lines.push((Line::from("  tidings add URL"), false));
    lines.push((Line::from("  tidings import FILE.opml"), false));
    lines.push((Line::default(), true));
    let mut last = Vec::new();
    for (action, preferred, what) in [("help", "?", "help"), ("close", "q", "quit")] {
        if let Some(k) = key(action, preferred) {
            if !last.is_empty() {
                last.push(Span::raw("   "));
            }
            last.push(Span::styled(k, theme::help_key()));
            last.push(Span::raw(format!(" {what}")));
        }
    }
    if !last.is_empty() {
        lines.push((Line::from(last), false));
        lines.push((Line::default(), true));
    }
    let path = CONFIG_PATH.get().map_or("(see tidings --help)", String::as_str);
    let config = format!("Config: {path}");
    if display_width(&config) <= width {
        lines.push((Line::styled(config, theme::dim()), false));
    } else {
        lines.push((Line::styled("Config file:", theme::dim()), false));
        lines.push((Line::styled(head_cut(path, width), theme::dim()), false));
    }
    while lines.last().is_some_and(|(_, blank)| *blank) {
        lines.pop();
    }
    if lines.len() > height {
        lines.retain(|(_, blank)| !blank);
    }
    lines.truncate(height);
    let block_width = lines.iter().map(|(l, _)| l.width()).max().unwrap_or(0).min(width);
    let x = r.x + u16::try_from((width - block_width) / 2).unwrap_or(0);
    let y = r.y + u16::try_from((height - lines.len()) / 2).unwrap_or(0);
    let area =
        Rect::new(x, y, u16::try_from(block_width).unwrap_or(0), u16::try_from(lines.len()).unwrap_or(0));
    let text: Vec<Line<'static>> = lines
        .into_iter()
        .map(|(line, _)| {
            // A line wider than the pane is cut with `…`, never wrapped.
            if line.width() > width {
                let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                Line::from(truncate(&plain, width))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(text), area.intersection(r));
}

/// The last `width` columns of `s`, with `…` first when cut: the end of a path says most.
fn head_cut(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_owned();
    }
    let mut out: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = display_width(c.encode_utf8(&mut [0; 4]));
        if w + cw + 1 > width {
            break;
        }
        w += cw;
        out.push(c);
    }
    std::iter::once('…').chain(out.into_iter().rev()).collect()
}

/// What a feed row starts with under a heading.
const FEED_INDENT: &str = "  ";

/// A feed: its marker (`!` failing, `~` synced from the sync server), its title and its
/// unread/total counts at the right edge.
fn feed_line(f: &FeedRow, indent: &str, width: usize) -> Line<'static> {
    let counts = format!(" {}/{}", f.unread, f.total);
    let marker = match (f.failing, f.synced) {
        (true, _) => "!",
        (false, true) => "~",
        (false, false) => " ",
    };
    let room = width.saturating_sub(indent.len() + counts.chars().count() + 1);
    let title = truncate(&f.title, room);
    let pad = room.saturating_sub(display_width(&title));
    let line = Line::from(vec![
        Span::raw(indent.to_owned()),
        Span::styled(marker, if f.failing { theme::feed_failing() } else { theme::read() }),
        Span::raw(title),
        Span::raw(" ".repeat(pad)),
        Span::styled(counts, if f.unread > 0 { theme::unread_count() } else { theme::read() }),
    ]);
    line.style(if f.unread > 0 { theme::unread() } else { theme::read() })
}

/// A query feed: `?`, its name, and its counts once they are known (`…` before, `!` when its
/// expression cannot be evaluated).
fn query_line(q: &QueryRow, width: usize) -> Line<'static> {
    let counts = match (q.unread, q.total, &q.error) {
        (_, _, Some(_)) => " !".to_owned(),
        (Some(unread), Some(total), None) => format!(" {unread}/{total}"),
        _ => " …".to_owned(),
    };
    let unread = q.unread.unwrap_or(0);
    let room = width.saturating_sub(counts.chars().count() + 1);
    let name = truncate(&crate::sanitize::line(&q.name), room);
    let pad = room.saturating_sub(display_width(&name));
    let line = Line::from(vec![
        Span::styled("?", if q.error.is_some() { theme::feed_failing() } else { theme::read() }),
        Span::raw(name),
        Span::raw(" ".repeat(pad)),
        Span::styled(counts, if unread > 0 { theme::unread_count() } else { theme::read() }),
    ]);
    line.style(if unread > 0 { theme::unread() } else { theme::read() })
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

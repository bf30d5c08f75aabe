//! `render`: draws the reader from `&App`. It never changes state or touches the store.

mod article;
mod articles;
mod feeds;

pub(crate) use feeds::set_config_path;
mod overlay;

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::app::{App, Pane, PromptKind};
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
        let label = match prompt.kind {
            // The feed is named: the selection may not be where the user thinks it is.
            PromptKind::ConfirmRemove(feed) => {
                let after = if r.width >= 60 { " and its articles? (y removes) " } else { "? (y removes) " };
                let before = "remove ";
                let room = usize::from(r.width).saturating_sub(before.len() + after.len() + 1).max(8);
                format!("{before}{}{after}", feeds::truncate(&app.feed_title(feed), room))
            }
            kind => kind.label().to_owned(),
        };
        let label = label.as_str();
        // The end of what is typed stays visible in a narrow line.
        let label_width = feeds::display_width(label);
        let room = usize::from(r.width).saturating_sub(label_width + 1);
        let text = tail(&prompt.text, room);
        let cursor_x = r.x + u16::try_from(label_width + feeds::display_width(&text)).unwrap_or(0);
        let line = Line::from(vec![Span::raw(label), Span::raw(text)]);
        frame.render_widget(Paragraph::new(line).style(theme::prompt()), r);
        frame.set_cursor_position((cursor_x.min(r.right().saturating_sub(1)), r.y));
        // The prompt takes the status line: an error about what was typed (a refused line
        // kept for fixing, a query that does not parse) shows on the row above it.
        if app.status.is_error && !app.status.message.is_empty() && r.y > 0 {
            let above = Rect::new(r.x, r.y - 1, r.width, 1);
            let text = feeds::truncate(&app.status.message, usize::from(r.width).saturating_sub(1));
            frame.render_widget(Paragraph::new(format!(" {text}")).style(theme::status_error()), above);
        }
        return;
    }
    let mut left = format!(" {} unread", app.status.unread_total);
    if app.unread_only {
        left.push_str(" (unread only)");
    }
    let width = usize::from(r.width);
    let mut spans = vec![Span::raw(format!("{left} "))];
    if !app.status.message.is_empty() {
        let style = if app.status.is_error { theme::status_error() } else { theme::status() };
        let room = width.saturating_sub(left.chars().count() + 3);
        // On a narrow screen a message too long to share the line gets all of it.
        if feeds::display_width(&app.status.message) > room && width < 60 {
            let text = feeds::truncate(&app.status.message, width.saturating_sub(1));
            spans = vec![Span::styled(format!(" {text}"), style)];
        } else {
            spans.push(Span::raw("| "));
            spans.push(Span::styled(feeds::truncate(&app.status.message, room), style));
        }
    } else if let Some(progress) = &app.background.refresh {
        spans.push(Span::raw("| "));
        spans.push(Span::styled(feeds::truncate(&progress.line(), width), theme::status()));
    } else {
        let (hints, pinned) = hints(app);
        let room = width.saturating_sub(left.chars().count() + 3);
        let mut shown = fit_hints(&hints, pinned.as_ref(), room);
        if shown.len() < MIN_HINTS.min(hints.len() + usize::from(pinned.is_some())) {
            // Too narrow for the count and the keys that matter: the keys win (the panes
            // show the counts too).
            shown = fit_hints(&hints, pinned.as_ref(), width.saturating_sub(1));
            spans.clear();
        } else {
            spans.push(Span::raw("| "));
        }
        if spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        for (i, hint) in shown.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(HINT_GAP));
            }
            spans.push(Span::styled(hint.keys.clone(), theme::status().add_modifier(Modifier::BOLD)));
            spans.push(Span::raw(format!(" {}", hint.label)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme::status()), r);
}

/// One hint of the bottom line: the keys as bound now, and what they do in a word or two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hint {
    pub(crate) keys: String,
    pub(crate) label: &'static str,
}

impl Hint {
    fn width(&self) -> usize {
        feeds::display_width(&self.keys) + 1 + feeds::display_width(self.label)
    }
}

/// Between two hints.
const HINT_GAP: &str = "  ";
/// The count of unread articles gives way when fewer hints than this would fit beside it.
const MIN_HINTS: usize = 4;

/// The hints that fit in `width` columns: the most useful first (`hints` comes in order of
/// use), then `pinned` (`? help`), which is kept whenever it fits at all. Hints are dropped
/// whole, from the least useful; none is ever cut.
pub(super) fn fit_hints<'a>(hints: &'a [Hint], pinned: Option<&'a Hint>, width: usize) -> Vec<&'a Hint> {
    let gap = HINT_GAP.len();
    let mut used = pinned.map_or(0, Hint::width);
    if used > width {
        return Vec::new();
    }
    let mut shown = Vec::new();
    for hint in hints {
        let more = hint.width() + if shown.is_empty() && pinned.is_none() { 0 } else { gap };
        if used + more > width {
            break;
        }
        used += more;
        shown.push(hint);
    }
    shown.extend(pinned);
    shown
}

/// The hints of what has the keys now (an overlay, else the focused pane), most useful first,
/// and the `? help` hint that ends the line. Keys come from the live keymap (`app.overlay.help`): a
/// remapped action shows its key, an unbound one no hint.
pub(super) fn hints(app: &App) -> (Vec<Hint>, Option<Hint>) {
    let hint = |action: &str, preferred: &str, label: &'static str| -> Option<Hint> {
        Some(Hint { keys: key_of(app, action, preferred)?, label })
    };
    let help = hint("help", "?", "help");
    let list: Vec<Option<Hint>> = if app.prompt.is_some() {
        Vec::new()
    } else if app.overlay.shown.is_some() {
        let scroll = match (key_of(app, "select_next", "j"), key_of(app, "select_prev", "k")) {
            (Some(down), Some(up)) => Some(Hint { keys: format!("{down}/{up}"), label: "scroll" }),
            _ => None,
        };
        return (
            [scroll, hint("page_down", "Space", "page"), hint("back", "Esc", "close")]
                .into_iter()
                .flatten()
                .collect(),
            None,
        );
    } else if app.feeds.loaded && app.feeds.rows.is_empty() {
        vec![hint("add_feed", "a", "add feed"), hint("open", "Enter", "samples"), hint("close", "q", "quit")]
    } else {
        match app.focus {
            Pane::Feeds => vec![
                hint("open", "Enter", "open"),
                hint("next_unread", "n", "next"),
                hint("add_feed", "a", "add"),
                hint("refresh_all", "R", "refresh"),
                hint("close", "q", "quit"),
                hint("filter", "/", "filter"),
                hint("search", "F", "search"),
                hint("toggle_unread_only", "U", "unread"),
                hint("toggle_groups", "T", "tags"),
                hint("feed_info", "i", "info"),
            ],
            Pane::Articles => vec![
                hint("open", "Enter", "open"),
                hint("next_unread", "n", "next"),
                hint("toggle_read", "m", "read"),
                hint("toggle_star", "s", "star"),
                hint("open_in_browser", "o", "browser"),
                hint("back", "Esc", "back"),
                hint("mark_feed_read", "A", "all read"),
                hint("undo", "u", "undo"),
                hint("filter", "/", "filter"),
                hint("quit", "Q", "quit"),
                hint("search", "F", "search"),
                hint("edit_tags", "#", "tags"),
            ],
            Pane::Article => vec![
                hint("page_down", "Space", "page"),
                hint("next_unread", "n", "next"),
                hint("open_in_browser", "o", "browser"),
                hint("open_link_1..9", "1-9", "links"),
                hint("toggle_read", "m", "read"),
                hint("toggle_star", "s", "star"),
                hint("copy_link", "y", "copy"),
                hint("back", "Esc", "back"),
                hint("quit", "Q", "quit"),
                hint("edit_tags", "#", "tags"),
            ],
        }
    };
    (list.into_iter().flatten().collect(), help)
}

/// The live keymap's help lines; the default keymap's for an `App` made without them (tests).
fn help_lines(app: &App) -> &[super::app::HelpLine] {
    static DEFAULT: std::sync::OnceLock<Vec<super::app::HelpLine>> = std::sync::OnceLock::new();
    if !app.overlay.help.is_empty() {
        return &app.overlay.help;
    }
    DEFAULT.get_or_init(|| {
        super::keymap::Keymap::default()
            .help()
            .into_iter()
            .map(|h| super::app::HelpLine {
                section: h.section,
                keys: h.keys,
                description: h.description.to_owned(),
            })
            .collect()
    })
}

/// The key to show for `action`: `preferred` (the best known of its defaults) while it is
/// still bound to it, else the first key the user bound; `None` when it has no key.
pub(super) fn key_of(app: &App, action: &str, preferred: &str) -> Option<String> {
    let description = super::keymap::description_of(action)?;
    let line = help_lines(app).iter().find(|h| h.description == description)?;
    let mut keys = line.keys.split(", ").filter(|k| !k.is_empty());
    if line.keys.split(", ").any(|k| k == preferred) {
        return Some(preferred.to_owned());
    }
    keys.next().map(str::to_owned)
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

//! OSC 8 hyperlinks (`[reader] hyperlinks = true`): the cells of a link carry the escape
//! sequences that make a terminal open its URL on a click, and draw exactly what they drew
//! before.
//!
//! How: every cell of a link gets the symbol `ESC ] 8 ; id=… ; URI ESC \`, its own grapheme,
//! then `ESC ] 8 ; ; ESC \`, and ratatui's `CellDiffOption::ForcedWidth` with the grapheme's
//! width. Each cell opens and closes its own hyperlink, so ratatui's diff may rewrite any
//! subset of cells (it only writes what changed) without a hyperlink being lost or left open
//! over other text; a cell that stops being a link differs from the last frame and is
//! rewritten plain. The forced width matters: ratatui would otherwise measure the escape
//! bytes (the URL's characters count) and skip that many following cells. The `id` groups
//! a link's cells for the terminal's hover highlight (without one, each cell would be a
//! link of its own). Only a URL the reader would open is linked, in the form [`Osc8Uri`]
//! allows, so nothing from a feed can end the sequence early or start another.

use std::fmt::Write;
use std::num::NonZeroU16;

use ratatui::buffer::{Buffer, CellDiffOption, CellWidth};

/// A URI longer than this (after percent-encoding) is not linked. VTE ignores URIs over
/// 2083 bytes; a link that long is more likely a tracking blob than something to click.
pub(crate) const MAX_URI: usize = 2000;

const CLOSE: &str = "\x1b]8;;\x1b\\";

/// A URI that is safe inside an OSC 8 sequence: only bytes 0x21-0x7E, no `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Osc8Uri(String);

impl Osc8Uri {
    /// `url` made safe for OSC 8: `None` if it holds a control character (C0, DEL, C1: a URL
    /// carrying ESC or BEL is hostile, not something to repair), is empty, or is longer
    /// than [`MAX_URI`] once encoded. Spaces, `;` (which separates the sequence's fields)
    /// and every byte outside printable ASCII are percent-encoded.
    pub(crate) fn new(url: &str) -> Option<Osc8Uri> {
        if url.is_empty() || url.chars().any(char::is_control) {
            return None;
        }
        let mut out = String::with_capacity(url.len());
        for b in url.bytes() {
            if (0x21..=0x7e).contains(&b) && b != b';' {
                out.push(char::from(b));
            } else {
                // Writing to a String cannot fail.
                let _ = write!(out, "%{b:02X}");
            }
            if out.len() > MAX_URI {
                return None;
            }
        }
        Some(Osc8Uri(out))
    }

    /// The hyperlink for a link of an article: only if the reader would open it (its scheme
    /// is one of `open_schemes`, lowercase; see [`crate::opener::check_link`]).
    pub(crate) fn for_link(link: &str, open_schemes: &[String]) -> Option<Osc8Uri> {
        crate::opener::check_link(link, open_schemes).ok().and_then(|url| Osc8Uri::new(&url))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Makes the cells `start..end` of row `y` (clipped to the buffer) a hyperlink to `uri`;
/// `id` tells links apart for the hover highlight. Cells already linked are left alone. Call
/// it after the text is drawn: it wraps whatever each cell shows.
pub(crate) fn link_cells(buf: &mut Buffer, y: u16, start: u16, end: u16, id: &str, uri: &Osc8Uri) {
    let open = format!("\x1b]8;id={id};{}\x1b\\", uri.as_str());
    let end = end.min(buf.area.right());
    let mut x = start.max(buf.area.left());
    let mut symbol = String::new();
    while x < end {
        let Some(cell) = buf.cell_mut((x, y)) else { break };
        let width = NonZeroU16::new(cell.cell_width()).unwrap_or(NonZeroU16::MIN);
        if !cell.symbol().starts_with('\x1b') {
            symbol.clear();
            symbol.push_str(&open);
            symbol.push_str(cell.symbol());
            symbol.push_str(CLOSE);
            cell.set_symbol(&symbol).set_diff_option(CellDiffOption::ForcedWidth(width));
        }
        // The cell after a wide character is covered by it: it stays as it is.
        x = x.saturating_add(width.get());
    }
}

/// A cell's symbol as the terminal shows it: without the OSC 8 sequences around it.
#[cfg(test)]
pub(crate) fn visible_symbol(symbol: &str) -> &str {
    let Some(rest) = symbol.strip_prefix("\x1b]8;") else { return symbol };
    let text = rest.find("\x1b\\").map_or("", |i| &rest[i + 2..]);
    text.strip_suffix(CLOSE).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    fn uri(url: &str) -> Option<String> {
        Osc8Uri::new(url).map(|u| u.as_str().to_owned())
    }

    #[test]
    fn plain_urls_pass_unchanged() {
        for url in
            ["http://127.0.0.1:8080/a?b=c&d=e#f", "https://example.org/%E2%82%AC", "mailto:me@example.org"]
        {
            assert_eq!(uri(url).as_deref(), Some(url));
        }
    }

    #[test]
    fn spaces_semicolons_and_non_ascii_are_percent_encoded() {
        assert_eq!(uri("https://e.example/a b;c").as_deref(), Some("https://e.example/a%20b%3Bc"));
        assert_eq!(uri("https://e.example/café").as_deref(), Some("https://e.example/caf%C3%A9"));
        // Bidi overrides are not controls: encoded, they can disguise nothing.
        assert_eq!(uri("https://e.example/\u{202e}x").as_deref(), Some("https://e.example/%E2%80%AEx"));
    }

    #[test]
    fn control_characters_refuse_the_link() {
        for hostile in [
            "https://e.example/\x1b]8;;https://evil.example\x1b\\",
            "https://e.example/\x1b\\",
            "https://e.example/\x07",
            "https://e.example/a\nb",
            "https://e.example/a\tb",
            "https://e.example/\u{9c}",
            "https://e.example/\u{9b}31m",
            "https://e.example/\u{7f}",
            "https://e.example/\0",
            "",
        ] {
            assert_eq!(uri(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn what_is_linked_never_holds_a_byte_that_could_end_the_sequence() {
        let all: Vec<char> = (1u32..0x3000).filter_map(char::from_u32).filter(|c| !c.is_control()).collect();
        for chunk in all.chunks(100) {
            let path: String = chunk.iter().collect();
            let encoded = uri(&format!("https://e.example/{path}")).expect("no controls, under the cap");
            assert!(encoded.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b';'), "{encoded}");
        }
    }

    #[test]
    fn long_uris_are_not_linked() {
        let at_cap = format!("https://e.example/{}", "a".repeat(MAX_URI - 18));
        assert_eq!(at_cap.len(), MAX_URI);
        assert!(uri(&at_cap).is_some());
        assert_eq!(uri(&format!("{at_cap}a")), None);
        // The cap counts the encoded form: 700 `é` are 4,200 bytes once encoded.
        assert_eq!(uri(&format!("https://e.example/{}", "é".repeat(700))), None);
    }

    #[test]
    fn only_what_the_reader_would_open_is_linked() {
        let schemes = vec!["http".to_owned(), "https".to_owned()];
        let link = |s: &str| Osc8Uri::for_link(s, &schemes).map(|u| u.as_str().to_owned());
        assert_eq!(link("http://127.0.0.1/x").as_deref(), Some("http://127.0.0.1/x"));
        // Normalised as `o` would open it: the host lowercased, the path encoded.
        assert_eq!(link("HTTPS://Example.ORG/a b").as_deref(), Some("https://example.org/a%20b"));
        for refused in ["javascript:alert(1)", "mailto:me@example.org", "/relative", "-x", "data:text/html,x"]
        {
            assert_eq!(link(refused), None, "{refused}");
        }
    }

    #[test]
    fn linked_cells_show_the_same_text_at_the_same_width() {
        let area = Rect::new(0, 0, 12, 1);
        let mut plain = Buffer::empty(area);
        plain.set_string(0, 0, "a链接b", ratatui::style::Style::new());
        let mut linked = plain.clone();
        let target = Osc8Uri::new("https://e.example/").expect("safe");
        link_cells(&mut linked, 0, 0, 6, "t1", &target);
        // Twice is the same as once.
        link_cells(&mut linked, 0, 0, 6, "t1", &target);
        assert_eq!(linked[(0, 0)].symbol(), "\x1b]8;id=t1;https://e.example/\x1b\\a\x1b]8;;\x1b\\");
        for x in 0..area.width {
            let (p, l) = (&plain[(x, 0)], &linked[(x, 0)]);
            assert_eq!(visible_symbol(l.symbol()), p.symbol(), "cell {x}");
            assert_eq!(l.cell_width(), p.cell_width(), "cell {x}");
            assert_eq!((l.fg, l.bg, l.modifier), (p.fg, p.bg, p.modifier), "cell {x}");
        }
        // The cell covered by a wide character is left alone; cells past the range too.
        assert_eq!(linked[(2, 0)].symbol(), plain[(2, 0)].symbol());
        assert_eq!(linked[(6, 0)].symbol(), " ");
        // Without the forced width ratatui would measure the escape bytes.
        assert!(linked[(0, 0)].symbol().cell_width() > 20);
    }

    #[test]
    fn a_partial_redraw_writes_only_whole_hyperlinks() {
        let area = Rect::new(0, 0, 10, 1);
        let target = Osc8Uri::new("https://e.example/").expect("safe");
        let frame = |text: &str, linked: bool| {
            let mut buf = Buffer::empty(area);
            buf.set_string(0, 0, text, ratatui::style::Style::new());
            if linked {
                link_cells(&mut buf, 0, 0, 4, "t1", &target);
            }
            buf
        };
        // The link's text changes in one cell: only that cell is written, opened and closed.
        let (before, after) = (frame("link rest", true), frame("lint rest", true));
        let updates = before.diff(&after);
        let written: Vec<(u16, &str)> = updates.iter().map(|(x, _, c)| (*x, c.symbol())).collect();
        assert_eq!(written, [(3, "\x1b]8;id=t1;https://e.example/\x1b\\t\x1b]8;;\x1b\\")]);
        // The same text stops being a link: its cells are written again, plain.
        let after = frame("link rest", false);
        let updates = before.diff(&after);
        let written: Vec<(u16, &str)> = updates.iter().map(|(x, _, c)| (*x, c.symbol())).collect();
        assert_eq!(written, [(0, "l"), (1, "i"), (2, "n"), (3, "k")]);
    }
}

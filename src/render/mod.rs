//! An article's HTML as styled, wrapped, terminal-safe ratatui lines, plus its numbered links.
//!
//! The contract of [`render_article`]: every returned line is at most `width` display columns
//! wide (unicode-width, grapheme by grapheme), no span holds a control character, ESC, DEL, C1
//! control or bidi override ([`crate::sanitize::is_clean_text`] holds for each), tabs are
//! expanded, and there is never more than one blank line in a row nor a blank line at either
//! end. It never panics and always returns at least one line, whatever the input (html2text
//! has panics of its own; they are caught, see [`containing_panics`]).
//!
//! How: `prepare` rewrites the HTML in one linear pass (input capped, nesting depth bounded,
//! lists and quotes too deep for the pane flattened, tables too wide turned into lists of
//! rows, break opportunities added between CJK characters, clusters html2text mismeasures
//! replaced by placeholders, `<pre>` blocks set aside, lazy-loaded images resolved, attribute
//! noise dropped); html2text lays it out with our own decorator (`decorate`), which numbers
//! links and images; `lines` turns its annotated lines into styled ratatui lines, puts the
//! `<pre>` blocks back (broken at the width, never wrapped), cleans every span, enforces the
//! width and appends the "Links" list. Rendering costs a few milliseconds, so it runs on a blocking
//! worker and its result is kept in a [`RenderCache`].

mod cache;
mod decorate;
mod lines;
mod prepare;
mod width;

#[cfg(test)]
mod tests;

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

pub use cache::RenderCache;

/// HTML beyond this many bytes is not rendered; a note says so at the end of the body.
pub const MAX_HTML: usize = 1 << 20;

/// Elements nested deeper than this are dropped (their text is kept, in place). html5ever is
/// quadratic in nesting depth (20,000 nested `<div>`s take 1.3 s), so this bounds the parse.
pub const MAX_DEPTH: usize = 500;

/// How each kind of text is drawn. The default uses modifiers only, so it reads on a terminal
/// without colour; a theme can set colours on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleStyles {
    /// `<h1>`…`<h6>` and the "Links" title.
    pub heading: Style,
    /// `<strong>`, `<b>`.
    pub strong: Style,
    /// `<em>`, `<i>`, `<dt>`.
    pub emphasis: Style,
    /// Inline `<code>` (not inside a `<pre>`).
    pub code: Style,
    /// `<pre>` blocks (inline code styles are not added inside them).
    pub preformatted: Style,
    /// `<blockquote>`: its bar and its text.
    pub quote: Style,
    /// The text of a numbered link, and the URLs in the "Links" list.
    pub link: Style,
    /// `[image 4: alt]`.
    pub image: Style,
    /// `<hr>` and the separators of tables shown as lists.
    pub rule: Style,
    /// List bullets and numbers.
    pub list_marker: Style,
    /// `<s>`, `<del>`.
    pub strikeout: Style,
    /// What the renderer adds: reference numbers `[3]`, "(not opened)", "(the rest is not shown)".
    pub note: Style,
}

impl Default for ArticleStyles {
    fn default() -> Self {
        let m = |m: Modifier| Style::new().add_modifier(m);
        ArticleStyles {
            heading: m(Modifier::BOLD | Modifier::UNDERLINED),
            strong: m(Modifier::BOLD),
            emphasis: m(Modifier::ITALIC),
            code: m(Modifier::DIM),
            preformatted: m(Modifier::DIM),
            quote: m(Modifier::ITALIC),
            link: m(Modifier::UNDERLINED),
            image: m(Modifier::DIM),
            rule: m(Modifier::DIM),
            list_marker: m(Modifier::BOLD),
            strikeout: m(Modifier::CROSSED_OUT),
            note: m(Modifier::DIM),
        }
    }
}

/// What a numbered reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    Link,
    Image,
}

/// A link or image of the article, shown as `text[3]` or `[image 3: alt]` in the body and as
/// `[3] url` in the "Links" list after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// 1-based, in order of first appearance; the same URL (of the same kind) keeps one number.
    pub number: usize,
    pub kind: RefKind,
    /// As written in the article (relative URLs stay relative), cleaned of every forbidden
    /// character and of surrounding whitespace.
    pub url: String,
    /// False for anything but http, https, mailto and relative URLs (`javascript:`, `data:`,
    /// `file:`…): those are listed, marked "(not opened)", and must not be opened.
    pub openable: bool,
    /// The link's text (first occurrence) or the image's alt text; may be empty.
    pub text: String,
}

/// Where a numbered reference shows in [`Rendered::lines`]: the cells `start..end` of line
/// `line`, counted as ratatui draws the line (grapheme by grapheme, from column 0), hold a
/// link's text together with its `[n]` marker, or a URL in the "Links" list. A link broken
/// across lines has one `LinkCells` per line. The reader uses them to write OSC 8 hyperlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCells {
    pub line: usize,
    pub start: u16,
    pub end: u16,
    /// The reference's number (`Rendered::reference(reference)`).
    pub reference: usize,
}

/// An article laid out for one width.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The body, then the notes, then the "Links" list.
    pub lines: Vec<Line<'static>>,
    /// Every numbered link and image, by number (`references[n - 1].number == n`).
    pub references: Vec<Reference>,
    /// Where the links are, in line order (then column order); images in the body are not
    /// included, their URLs in the "Links" list are.
    pub link_cells: Vec<LinkCells>,
}

impl Rendered {
    /// The reference numbered `n`, as the user typed it.
    pub fn reference(&self, n: usize) -> Option<&Reference> {
        n.checked_sub(1).and_then(|i| self.references.get(i))
    }
}

/// True while this thread runs html2text with its panics caught (the article is then shown
/// without layout): a panic hook should log quietly then, as for
/// [`crate::parse::containing_panics`], instead of restoring the terminal.
pub fn containing_panics() -> bool {
    decorate::containing_panics()
}

/// Lays out `html` for a pane `width` columns wide (0 is taken as 1).
pub fn render_article(html: &str, width: u16, styles: &ArticleStyles) -> Rendered {
    render_capped(html, usize::from(width.max(1)), styles, MAX_HTML)
}

/// The same layout as [`render_article`] (same caps, same containment of html2text's panics,
/// same numbered links and "Links" list) as plain text: what `tidings show` prints. Trailing
/// spaces are trimmed and runs of blank lines kept to one.
pub fn render_plain(html: &str, width: u16) -> String {
    let rendered = render_article(html, width, &ArticleStyles::default());
    let mut out = String::new();
    let mut blank_before = true;
    for line in &rendered.lines {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let text = text.trim_end();
        if text.is_empty() && blank_before {
            continue;
        }
        blank_before = text.is_empty();
        out.push_str(text);
        out.push('\n');
    }
    out
}

fn render_capped(html: &str, width: usize, styles: &ArticleStyles, cap: usize) -> Rendered {
    let prepared = prepare::prepare(html, width, cap);
    let (tagged, refs) = decorate::layout(&prepared.html, width);
    let mut notes = Vec::new();
    if tagged.is_none() {
        notes.push("(this article could not be laid out; its text is shown without layout)".to_owned());
    }
    if prepared.flattened_depth {
        notes.push(format!(
            "(parts of this article are nested more than {MAX_DEPTH} levels deep and are shown flattened)"
        ));
    }
    if prepared.truncated {
        notes.push(format!("(the article is longer than {} KiB; the rest is not shown)", cap / 1024));
    }
    let body = match tagged {
        Some(t) => lines::Body::Tagged(t),
        None => lines::Body::Plain(prepare::plain_text(&prepared.html, &prepared.pres, &prepared.clusters)),
    };
    lines::assemble(body, refs, &prepared, &notes, width, styles)
}

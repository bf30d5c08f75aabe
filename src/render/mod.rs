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
//! noise dropped, `<sup>`/`<sub>` written in Unicode where it can be, one-column tables made
//! paragraphs); html2text lays it out with our own decorator (`decorate`), which numbers links
//! and images, resolving relative URLs against the article's base ([`ArticleContext`]), and
//! the article's enclosures are numbered after them; `lines` turns its annotated lines into
//! styled ratatui lines, puts the `<pre>` blocks back (broken at the width, never wrapped),
//! drops the rules html2text draws between table rows (but the one under a header row),
//! cleans every span, enforces the width, lists the enclosures (`[enclosure 4] audio/mpeg,
//! 34.2 MB: url`) and appends the "Links" list. Rendering costs a few milliseconds, so it runs on a blocking
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
use url::Url;

use crate::model::Enclosure;

pub use cache::{RenderCache, RenderKey};

/// HTML beyond this many bytes is not rendered; a note says so at the end of the body.
pub(crate) const MAX_HTML: usize = 1 << 20;

/// Elements nested deeper than this are dropped (their text is kept, in place). html5ever is
/// quadratic in nesting depth (20,000 nested `<div>`s take 1.3 s), so this bounds the parse.
pub(crate) const MAX_DEPTH: usize = 500;

/// How each kind of text is drawn. The default uses modifiers only, so it reads on a terminal
/// without colour; a theme can set colours on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleStyles {
    /// `<h1>`…`<h6>` and the "Links" title.
    pub(crate) heading: Style,
    /// `<strong>`, `<b>`.
    pub(crate) strong: Style,
    /// `<em>`, `<i>`, `<dt>`.
    pub(crate) emphasis: Style,
    /// Inline `<code>` (not inside a `<pre>`).
    pub(crate) code: Style,
    /// `<pre>` blocks (inline code styles are not added inside them).
    pub(crate) preformatted: Style,
    /// `<blockquote>`: its bar and its text.
    pub(crate) quote: Style,
    /// The text of a numbered link, and the URLs in the "Links" list.
    pub(crate) link: Style,
    /// `[image 4: alt]`.
    pub(crate) image: Style,
    /// `<hr>` and the separators of tables shown as lists.
    pub(crate) rule: Style,
    /// List bullets and numbers.
    pub(crate) list_marker: Style,
    /// `<s>`, `<del>`.
    pub(crate) strikeout: Style,
    /// What the renderer adds: reference numbers `[3]`, "(not opened)", "(the rest is not shown)".
    pub(crate) note: Style,
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
pub(crate) enum RefKind {
    Link,
    Image,
    /// A podcast file or other attachment of the article (its enclosures come after its links
    /// and images).
    Enclosure,
}

/// A link, image or enclosure of the article, shown as `text[3]`, `[image 3: alt]` or
/// `[enclosure 3] audio/mpeg, 34.2 MB: url` in the body and as `[3] url` in the "Links" list
/// after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// 1-based, in order of first appearance; the same URL (of the same kind) keeps one number.
    pub(crate) number: usize,
    pub(crate) kind: RefKind,
    /// Absolute when the article has a base ([`ArticleContext`]; a `<base href>` in the body
    /// overrides it): relative URLs are joined to it. Relative only when there is no base.
    /// Cleaned of every forbidden character and of surrounding whitespace.
    pub(crate) url: String,
    /// False for anything but http, https, mailto and relative URLs (`javascript:`, `data:`,
    /// `file:`…): those are listed, marked "(not opened)", and must not be opened.
    pub(crate) openable: bool,
    /// The link's text (first occurrence), the image's alt text, or the enclosure's type and
    /// size (`audio/mpeg, 34.2 MB`); may be empty.
    pub(crate) text: String,
}

/// Where a numbered reference shows in [`Rendered::lines`]: the cells `start..end` of line
/// `line`, counted as ratatui draws the line (grapheme by grapheme, from column 0), hold a
/// link's text together with its `[n]` marker, or a URL in the "Links" list. A link broken
/// across lines has one `LinkCells` per line. The reader uses them to write OSC 8 hyperlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCells {
    pub line: usize,
    pub(crate) start: u16,
    pub(crate) end: u16,
    /// The reference's number (`Rendered::reference(reference)`).
    pub(crate) reference: usize,
}

/// An article laid out for one width.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The body, then the notes, then the "Links" list.
    pub lines: Vec<Line<'static>>,
    /// Every numbered link and image, by number (`references[n - 1].number == n`).
    pub(crate) references: Vec<Reference>,
    /// Where the links are, in line order (then column order); images in the body are not
    /// included, their URLs in the "Links" list are.
    pub(crate) link_cells: Vec<LinkCells>,
}

#[cfg(test)]
impl Rendered {
    /// The reference numbered `n`, as the user typed it.
    pub(crate) fn reference(&self, n: usize) -> Option<&Reference> {
        n.checked_sub(1).and_then(|i| self.references.get(i))
    }
}

/// True while this thread runs html2text with its panics caught (the article is then shown
/// without layout): a panic hook should log quietly then, as for
/// [`crate::parse::containing_panics`], instead of restoring the terminal.
pub(crate) fn containing_panics() -> bool {
    decorate::containing_panics()
}

/// What the renderer needs to know about an article besides its body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ArticleContext<'a> {
    /// The article's own page: relative URLs in the body are resolved against it.
    pub(crate) link: Option<&'a str>,
    /// The feed's web site: the base when the article has no (usable) link.
    pub(crate) site: Option<&'a str>,
    /// Listed after the body, numbered after its links and images.
    pub(crate) enclosures: &'a [Enclosure],
}

/// Lays out `html` for a pane `width` columns wide (0 is taken as 1), without a base URL
/// (relative links stay relative) or enclosures: see [`render_article_in`].
pub fn render_article(html: &str, width: u16, styles: &ArticleStyles) -> Rendered {
    render_article_in(html, width, styles, &ArticleContext::default())
}

/// Lays out `html` for a pane `width` columns wide (0 is taken as 1), its links resolved
/// against the article's base (a `<base href>` in the body, else `context.link`, else
/// `context.site`) and its enclosures listed after the body.
pub(crate) fn render_article_in(
    html: &str,
    width: u16,
    styles: &ArticleStyles,
    context: &ArticleContext<'_>,
) -> Rendered {
    render_capped(html, usize::from(width.max(1)), styles, MAX_HTML, context)
}

/// The label in front of an article's summary ([`summary_lines`]); its continuation lines are
/// indented as wide.
pub(crate) const SUMMARY_LABEL: &str = "Summary: ";
const SUMMARY_INDENT: &str = "         ";

/// A summary longer than this many characters is shown cut (at a word, ending in "…"): it
/// sits above the body, and a feed whose "summary" is a second, longer copy of the article
/// (with a footer the content lacks, say) must not push the body off the screen.
pub(crate) const SUMMARY_CHARS: usize = 1000;

/// The feed's summary of an article, shown above the body when the feed gave both (what
/// `tidings show` prints and the reader draws): `(label, text)` lines, the first labelled
/// [`SUMMARY_LABEL`], the others indented as wide, the text wrapped at `width` less the label
/// (below 20 columns the label has a line of its own and the text the whole width). Empty
/// when the summary holds no text.
///
/// The summary is shown as one paragraph of text: its markup is dropped, so its links are not
/// numbered and the numbers on screen stay the body's (a summary's links are, in practice,
/// the article's own link or a "read more"). The text is laid out by the same renderer as the
/// body, so it has the body's guarantees: every line fits `width`, and none holds a control
/// character or anything else that could reach the terminal unclean.
pub(crate) fn summary_lines(html: &str, width: u16) -> Vec<(&'static str, String)> {
    let text = crate::sanitize::line(&crate::parse::flatten(html));
    if text.is_empty() {
        return Vec::new();
    }
    let narrow = width < 20;
    let text_width = if narrow { width } else { width - SUMMARY_LABEL.len() as u16 };
    let html = format!("<p>{}</p>", crate::parse::escape_text(&cut_at_word(&text, SUMMARY_CHARS)));
    let rendered = render_article(&html, text_width, &ArticleStyles::default());
    let text = rendered
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>())
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim_end().to_owned());
    if narrow {
        return std::iter::once((SUMMARY_LABEL.trim_end(), String::new()))
            .chain(text.map(|t| ("", t)))
            .collect();
    }
    text.enumerate().map(|(i, t)| (if i == 0 { SUMMARY_LABEL } else { SUMMARY_INDENT }, t)).collect()
}

/// `text` cut to at most `max` characters at a space, ending in "…" when cut (inside a word
/// when it has no space to cut at).
fn cut_at_word(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let Some((end, _)) = text.char_indices().nth(max) else { return text.into() };
    let cut = text[..end].rfind(' ').filter(|&p| p > 0).unwrap_or(end);
    format!("{}…", text[..cut].trim_end()).into()
}

impl Rendered {
    /// The same lines with the summary block ([`summary_lines`]) and a blank line above them,
    /// its label in `label` style and its text in `text` style; the link positions move down
    /// with the body. Unchanged when the summary holds no text.
    pub(crate) fn with_summary(mut self, html: &str, width: u16, label: Style, text: Style) -> Rendered {
        let block = summary_lines(html, width);
        if block.is_empty() {
            return self;
        }
        let mut lines: Vec<Line<'static>> = block
            .into_iter()
            .map(|(l, t)| {
                Line::from(vec![ratatui::text::Span::styled(l, label), ratatui::text::Span::styled(t, text)])
            })
            .collect();
        lines.push(Line::default());
        let moved = lines.len();
        lines.append(&mut self.lines);
        self.lines = lines;
        for c in &mut self.link_cells {
            c.line += moved;
        }
        self
    }
}

/// The same layout as [`render_article_in`] (same caps, same containment of html2text's
/// panics, same numbered links, enclosures and "Links" list) as plain text: what `tidings
/// show` prints. Trailing spaces are trimmed and runs of blank lines kept to one.
pub(crate) fn render_plain_in(html: &str, width: u16, context: &ArticleContext<'_>) -> String {
    let rendered = render_article_in(html, width, &ArticleStyles::default(), context);
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

/// The URL relative references are resolved against: the body's `<base href>` (itself joined
/// to the page), else the article's page, else the site. Only URLs that can be a base.
fn base_url(context: &ArticleContext<'_>, base_href: Option<&str>) -> Option<Url> {
    let usable = |u: Url| (!u.cannot_be_a_base()).then_some(u);
    let page = [context.link, context.site]
        .into_iter()
        .flatten()
        .find_map(|u| Url::parse(u.trim()).ok().and_then(usable));
    let from_href = base_href.and_then(|h| match &page {
        Some(p) => p.join(h).ok().and_then(usable),
        None => Url::parse(h).ok().and_then(usable),
    });
    from_href.or(page)
}

fn render_capped(
    html: &str,
    width: usize,
    styles: &ArticleStyles,
    cap: usize,
    context: &ArticleContext<'_>,
) -> Rendered {
    let prepared = prepare::prepare(html, width, cap);
    let base = base_url(context, prepared.base_href.as_deref());
    let (tagged, mut refs) = decorate::layout(&prepared.html, width, base.as_ref());
    decorate::add_enclosures(&mut refs, context.enclosures, base.as_ref());
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

//! The html2text side: our `TextDecorator`, which numbers links and images as it meets them
//! and marks what html2text itself does not annotate (headings, quotes, list markers).
//!
//! Markers are of two kinds. html2text measures a prefix (heading, quote, list item) by its
//! *byte* length, so prefix markers are single-byte control characters, which are also one
//! column wide to unicode-width: measured and drawn alike. Markers inside the text (reference
//! numbers, rules, the bullets of flattened lists) go through html2text's wrapping, which drops
//! control characters, so they are private-use characters (one column each). The article
//! cannot contain either kind: html2text drops control characters from text, and
//! [`prepare`](super::prepare) removes the private-use range we use. [`lines`](super::lines)
//! turns every marker into what it stands for.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use html2text::config::ImageRenderMode;
use html2text::render::{TaggedLine, TextDecorator};
use url::Url;

use super::{RefKind, Reference};
use crate::model::Enclosure;
use crate::sanitize;

/// Prefix of an unordered list item's first line (followed by a space): a bullet.
pub(super) const P_BULLET: char = '\x02';
/// Ends an ordered list item's number (`12.` before it): a space.
pub(super) const P_NUMBER: char = '\x03';
/// Prefix of each line of a block quote (followed by a space): a bar.
pub(super) const P_QUOTE: char = '\x04';
/// Prefix of each line of a heading: dropped, the line is styled as a heading.
pub(super) const P_HEADING: char = '\x05';

/// The first and last private-use characters reserved for markers.
pub(super) const MARKER_FIRST: char = '\u{e010}';
pub(super) const MARKER_LAST: char = '\u{e01f}';
/// `[` and `]` around a reference number after a link.
pub(super) const REF_OPEN: char = '\u{e010}';
pub(super) const REF_CLOSE: char = '\u{e011}';
/// A horizontal rule (`<hr>`), alone in its paragraph.
pub(super) const RULE: char = '\u{e012}';
/// The bullet of an item of a flattened list or of a table row.
pub(super) const BULLET: char = '\u{e013}';
/// Between the cells of a table row.
pub(super) const CELL_SEP: char = '\u{e014}';
/// Before the number of an item of a flattened ordered list (up to the next space).
pub(super) const NUMBER: char = '\u{e015}';
/// Keeps two clusters from forming a ligature html2text would measure wrongly (see
/// `prepare::neutralize`); dropped afterwards.
pub(super) const LIGATURE_BREAK: char = '\u{e01e}';
/// Fills the columns of a placeholder after its first (see `prepare::neutralize`).
pub(super) const FILLER: char = '\u{e01f}';
/// Around the index of a `<pre>` block (`Prepared::pres`), alone in its paragraph.
pub(super) const PRE: char = '\u{e016}';
/// The alt text `prepare` gives an image that has none: html2text drops a link whose only
/// content is an image without alt text, so the image needs some. Shown as no alt.
pub(super) const NO_ALT: char = '\u{e017}';
/// At the end of the first cell of a table's header row: the rule html2text draws under
/// that row is kept, every other rule between rows is dropped. Shown as a space.
pub(super) const HEAD_ROW: char = '\u{e018}';

/// URLs longer than this are kept only this long (a `data:` URL can be most of an article).
const MAX_URL: usize = 8 * 1024;
/// Alt text longer than this many characters is cut.
const MAX_ALT: usize = 300;

/// What html2text attached to a run of text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) enum Ann {
    #[default]
    Plain,
    /// A link; its reference number, `None` for in-page anchors.
    Link(Option<usize>),
    Image,
    Emphasis,
    Strong,
    Strikeout,
    Code,
    /// Preformatted text; true on a line html2text broke off a longer one.
    Preformat(bool),
}

/// The references met so far, shared by the decorator and all its sub-block copies.
#[derive(Debug, Default)]
pub(super) struct RefTable {
    pub refs: Vec<Reference>,
    index: HashMap<(RefKind, String), usize>,
    /// What relative URLs are resolved against.
    base: Option<Url>,
}

impl RefTable {
    /// The number of `raw_url` (a new one for a URL not seen before), made absolute against
    /// the base.
    fn number(&mut self, kind: RefKind, raw_url: &str, text: String) -> usize {
        let url = resolve(&clean_url(raw_url), self.base.as_ref());
        let key = (kind, url);
        if let Some(&n) = self.index.get(&key) {
            return n;
        }
        let n = self.refs.len() + 1;
        let openable = is_openable(&key.1);
        self.refs.push(Reference { number: n, kind, url: key.1.clone(), openable, text });
        self.index.insert(key, n);
        n
    }
}

/// A URL as an opener would read it: browsers drop tabs and newlines inside URLs and
/// surrounding spaces, so we do too (before deciding on the scheme); other forbidden
/// characters go, and a space inside becomes `%20`.
pub(super) fn clean_url(raw: &str) -> String {
    let mut url = String::with_capacity(raw.len().min(MAX_URL));
    for c in raw.trim_matches(|c: char| c.is_whitespace() || sanitize::is_forbidden(c)).chars() {
        if url.len() >= MAX_URL {
            break;
        }
        match c {
            '\t' | '\n' | '\r' => {}
            ' ' => url.push_str("%20"),
            c if sanitize::is_forbidden(c) => {}
            c => url.push(c),
        }
    }
    url
}

/// At most this many enclosures are listed.
const MAX_ENCLOSURES: usize = 100;
/// An enclosure's MIME type is shown up to this many characters.
const MAX_MIME: usize = 100;

/// The article's enclosures as references numbered after `refs`: URL cleaned and resolved,
/// type and size as their text. The same URL is listed once.
pub(super) fn add_enclosures(refs: &mut Vec<Reference>, enclosures: &[Enclosure], base: Option<&Url>) {
    for e in enclosures.iter().take(MAX_ENCLOSURES) {
        let url = resolve(&clean_url(&e.url), base);
        if url.is_empty() || refs.iter().any(|r| r.kind == RefKind::Enclosure && r.url == url) {
            continue;
        }
        let mut facts = Vec::new();
        if let Some(mime) = e.mime.as_deref().map(sanitize::line).filter(|m| !m.trim().is_empty()) {
            facts.push(match mime.char_indices().nth(MAX_MIME) {
                Some((i, _)) => format!("{}…", &mime[..i]),
                None => mime,
            });
        }
        if let Some(n) = e.length.filter(|&n| n > 0) {
            facts.push(human_size(n));
        }
        refs.push(Reference {
            number: refs.len() + 1,
            kind: RefKind::Enclosure,
            openable: is_openable(&url),
            url,
            text: facts.join(", "),
        });
    }
}

/// A size in bytes as people read it: `512 B`, `1.5 kB`, `34.2 MB` (powers of 1000, as
/// podcast apps show them).
pub(super) fn human_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.95 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `url` (cleaned) made absolute against `base`: URLs with a scheme stay as they are (a
/// `javascript:` one too, to be listed as not openable), relative ones (`/a`, `../b`, `?p=3`,
/// `//host/x`) are joined to the base. Without a base, or when joining fails, `url` itself.
pub(super) fn resolve(url: &str, base: Option<&Url>) -> String {
    if scheme(url).is_some() || url.is_empty() {
        return url.to_owned();
    }
    match base.map(|b| b.join(url)) {
        Some(Ok(joined)) => clean_url(joined.as_str()),
        _ => url.to_owned(),
    }
}

/// http, https, mailto, and relative URLs (no scheme) may be opened; nothing else.
pub(super) fn is_openable(url: &str) -> bool {
    match scheme(url) {
        None => true,
        Some(s) => ["http", "https", "mailto"].iter().any(|ok| s.eq_ignore_ascii_case(ok)),
    }
}

/// The scheme of an absolute URL (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn scheme(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let s = &url[..colon];
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    (first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))).then_some(s)
}

fn is_data_url(url: &str) -> bool {
    scheme(url).is_some_and(|s| s.eq_ignore_ascii_case("data"))
}

#[derive(Debug, Clone)]
pub(super) struct Decorator {
    refs: Rc<RefCell<RefTable>>,
    /// The numbers of the links now open in this block, innermost last.
    links: Vec<Option<usize>>,
}

impl TextDecorator for Decorator {
    type Annotation = Ann;

    fn decorate_link_start(&mut self, url: &str) -> (String, Ann) {
        let cleaned = clean_url(url);
        let n = if cleaned.is_empty() || cleaned.starts_with('#') {
            None
        } else {
            Some(self.refs.borrow_mut().number(RefKind::Link, &cleaned, String::new()))
        };
        self.links.push(n);
        (String::new(), Ann::Link(n))
    }

    fn decorate_link_end(&mut self) -> String {
        match self.links.pop().flatten() {
            Some(n) => format!("{REF_OPEN}{n}{REF_CLOSE}"),
            None => String::new(),
        }
    }

    fn decorate_em_start(&self) -> (String, Ann) {
        (String::new(), Ann::Emphasis)
    }

    fn decorate_em_end(&self) -> String {
        String::new()
    }

    fn decorate_strong_start(&self) -> (String, Ann) {
        (String::new(), Ann::Strong)
    }

    fn decorate_strong_end(&self) -> String {
        String::new()
    }

    fn decorate_strikeout_start(&self) -> (String, Ann) {
        (String::new(), Ann::Strikeout)
    }

    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }

    fn decorate_code_start(&self) -> (String, Ann) {
        (String::new(), Ann::Code)
    }

    fn decorate_code_end(&self) -> String {
        String::new()
    }

    fn decorate_preformat_first(&self) -> Ann {
        Ann::Preformat(false)
    }

    fn decorate_preformat_cont(&self) -> Ann {
        Ann::Preformat(true)
    }

    fn decorate_image(&mut self, src: &str, title: &str) -> (String, Ann) {
        let title = if title.trim() == NO_ALT.encode_utf8(&mut [0; 4]) { "" } else { title };
        let mut alt = sanitize::line(title);
        if let Some((i, _)) = alt.char_indices().nth(MAX_ALT) {
            alt.truncate(i);
            alt.push('…');
        }
        let cleaned = clean_url(src);
        // No number for an image that has no URL worth listing (an inline `data:` image, an
        // SVG, an `<img>` without `src`).
        let n = (!cleaned.is_empty() && cleaned != "#" && !is_data_url(&cleaned))
            .then(|| self.refs.borrow_mut().number(RefKind::Image, &cleaned, alt.clone()));
        // A no-break space keeps "image" and its number on one line.
        let text = match (n, alt.is_empty()) {
            (Some(n), true) => format!("[image\u{a0}{n}]"),
            (Some(n), false) => format!("[image\u{a0}{n}: {alt}]"),
            (None, true) if src.is_empty() => return (String::new(), Ann::Plain),
            (None, true) => "[image]".to_owned(),
            (None, false) => format!("[image: {alt}]"),
        };
        (text, Ann::Image)
    }

    fn header_prefix(&self, _level: usize) -> String {
        P_HEADING.to_string()
    }

    fn quote_prefix(&self) -> String {
        format!("{P_QUOTE} ")
    }

    fn unordered_item_prefix(&self) -> String {
        format!("{P_BULLET} ")
    }

    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}.{P_NUMBER}")
    }

    fn make_subblock_decorator(&self) -> Self {
        Decorator { refs: Rc::clone(&self.refs), links: Vec::new() }
    }

    fn decorate_superscript_start(&self) -> (String, Ann) {
        ("^".to_owned(), Ann::Plain)
    }

    fn decorate_superscript_end(&self) -> String {
        String::new()
    }

    fn finalise(&mut self, _urls: Vec<String>) -> Vec<TaggedLine<Ann>> {
        Vec::new()
    }
}

/// Widths tried, doubling, when html2text finds the content too wide (`TooNarrow`: a wide
/// character in a one-column space, nesting deeper than the width): the result is then broken
/// to the real width by `lines`. Beyond this, the text is shown without layout.
const MAX_LAYOUT_WIDTH: usize = 1024;

/// html2text's lines, each piece of text with its annotations, outer first.
pub(super) type Tagged = Vec<TaggedLine<Vec<Ann>>>;

/// html2text's layout of prepared HTML at `width` (or wider, see `MAX_LAYOUT_WIDTH`), and the
/// references it numbered; `None` if html2text failed.
pub(super) fn layout(html: &str, width: usize, base: Option<&Url>) -> (Option<Tagged>, Vec<Reference>) {
    // html2text has panics of its own (`unimplemented!`, `panic!` in table code, arithmetic
    // that underflows in debug builds when its width measures disagree): one must not take
    // the reader down with it. The text is then shown without layout.
    CONTAINING_PANICS.with(|c| c.set(true));
    let result = std::panic::catch_unwind(|| {
        // Debug builds only, for the reader's tests: a panic inside this containment.
        #[cfg(debug_assertions)]
        if std::env::var_os("TIDINGS_TEST_PANIC").is_some_and(|v| v == "render") {
            panic!("TIDINGS_TEST_PANIC=render: a test asked for a contained panic");
        }
        try_layout(html, width, base)
    });
    CONTAINING_PANICS.with(|c| c.set(false));
    result.unwrap_or((None, Vec::new()))
}

thread_local! {
    static CONTAINING_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs html2text with its panics caught (see [`super::containing_panics`]).
pub(super) fn containing_panics() -> bool {
    CONTAINING_PANICS.with(std::cell::Cell::get)
}

fn try_layout(html: &str, width: usize, base: Option<&Url>) -> (Option<Tagged>, Vec<Reference>) {
    let mut w = width.max(1);
    loop {
        let refs = Rc::new(RefCell::new(RefTable { base: base.cloned(), ..RefTable::default() }));
        let decorator = Decorator { refs: Rc::clone(&refs), links: Vec::new() };
        // Not `allow_width_overflow`: with it, a character wider than its space underflows
        // html2text's arithmetic (a panic in debug builds). Each try parses again: cloning
        // the render tree instead would recurse as deep as the document nests.
        let result = html2text::config::with_decorator(decorator)
            .empty_img_mode(ImageRenderMode::ShowAlways)
            // A table column narrower than its text gets at least this many columns (html2text
            // shares the width in proportion to the text, and would give "Term" 3 beside a
            // long cell); `prepare` shows tables whose columns cannot all have it as rows.
            .min_wrap_width(super::prepare::MIN_COLUMN)
            .unicode_strikeout(false)
            .lines_from_read(html.as_bytes(), w);
        match result {
            Ok(lines) => {
                let refs = std::mem::take(&mut refs.borrow_mut().refs);
                return (Some(lines), refs);
            }
            Err(html2text::Error::TooNarrow) if w < MAX_LAYOUT_WIDTH => {
                w = (w * 2).clamp(16, MAX_LAYOUT_WIDTH);
            }
            Err(_) => return (None, Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_cleaned_and_classified() {
        assert_eq!(clean_url(" https://a/\u{1b}[31mx\u{202e}\ty z "), "https://a/[31mxy%20z");
        assert!(is_openable("https://a") && is_openable("HTTP://a") && is_openable("mailto:x@y"));
        assert!(is_openable("/rel/a:b") && is_openable("page.html") && is_openable("//host/x"));
        assert!(!is_openable("javascript:alert(1)") && !is_openable("data:text/html,x"));
        assert!(!is_openable(&clean_url("java\nscript:alert(1)")));
        assert!(!is_openable("file:///etc/passwd") && !is_openable("vbscript:x"));
    }

    #[test]
    fn same_url_same_number() {
        let mut t = RefTable::default();
        assert_eq!(t.number(RefKind::Link, "https://a", String::new()), 1);
        assert_eq!(t.number(RefKind::Image, "https://a", String::new()), 2);
        assert_eq!(t.number(RefKind::Link, " https://a", String::new()), 1);
        assert_eq!(t.refs.len(), 2);
    }
}

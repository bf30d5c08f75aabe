//! One linear pass over an article's HTML that makes it safe and pleasant for html2text.
//!
//! html2text has no limits of its own: html5ever is quadratic in nesting depth, deep lists
//! and quotes make it give up (`TooNarrow`), a table of 30 columns becomes one cell per line,
//! and a run of CJK text after a space is moved whole to the next line. So, before it sees
//! the HTML, this pass:
//! - caps the input at a byte limit;
//! - drops elements nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH), keeping their text;
//! - turns lists, quotes and definition lists that would indent past half the pane into flat
//!   blocks (items keep a bullet or their number);
//! - turns tables with more columns than the pane can show side by side into a list of rows,
//!   cells separated by a bar, one-column (layout) tables into paragraphs, and marks the header
//!   row of the others (`HEAD_ROW`: the only rule between rows `lines` keeps is under it);
//! - writes `<sup>`/`<sub>` text in Unicode superscript/subscript characters when each has one
//!   (`x²`, `H₂O`, a footnote's `[2]` as `²`), else as `^x`/`_x`, or `^(…)`/`_(…)` for several
//!   characters (read ahead a bounded number of tokens);
//! - gives images without alt text a marker alt (`NO_ALT`), so a link around one is kept, and
//!   notes the first `<base href>` (the parser's xml:base) for resolving relative URLs;
//! - inserts zero-width spaces (html2text's break opportunity) between CJK characters, except
//!   before closing and after opening punctuation;
//! - picks an image's real URL when `src` is a lazy-loading placeholder, turns `<iframe>`s into
//!   links, `<hr>` into a rule marker, and drops scripts, styles, SVG and every attribute
//!   html2text does not use (WeChat's inline styles are most of its bytes).
//!
//! It reads the HTML with [`crate::html::tokens`], dropping a tag that the input ends inside as
//! html5ever does; where that tokenizer differs from html5ever the result is still valid HTML,
//! only laid out a little differently.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use super::decorate::{
    BULLET, CELL_SEP, FILLER, HEAD_ROW, LIGATURE_BREAK, MARKER_FIRST, MARKER_LAST, NO_ALT, NUMBER, PRE, RULE,
};
use super::width::{graphemes, is_cjk, joins_previous, no_break_after, no_break_before, str_width};
use super::MAX_DEPTH;
use crate::html::{
    decode_entities_into, escape_markup_char as escape_char, escape_markup_into as escape_into, Tag, Token,
    TokenKind, Tokenizer,
};
use crate::sanitize;

/// A table is shown as a list of rows when its columns, each at least this wide, do not fit.
pub(super) const MIN_COLUMN: usize = 8;

/// The prepared HTML and what the pass had to leave out.
pub(super) struct Prepared {
    pub html: String,
    /// The input was longer than the cap.
    pub truncated: bool,
    /// Elements deeper than `MAX_DEPTH` were dropped.
    pub flattened_depth: bool,
    /// The text of each `<pre>` block, replaced in `html` by a paragraph holding only the
    /// marker `PRE k PRE`: html2text word-wraps preformatted text, we break it at the width.
    pub pres: Vec<String>,
    /// Grapheme clusters html2text would measure wrongly, replaced in `html` by a placeholder
    /// (see [`placeholder`]).
    pub clusters: Vec<String>,
    /// The `href` of the article's first `<base>` element (decoded, cleaned): relative URLs
    /// are relative to it.
    pub base_href: Option<String>,
}

pub(super) fn prepare(html: &str, width: usize, cap: usize) -> Prepared {
    let mut end = html.len().min(cap);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = end < html.len();
    let src: Cow<'_, str> = if html[..end].contains(is_reserved) {
        // The private-use characters we use as markers must not come from the article.
        Cow::Owned(html[..end].chars().filter(|&c| !is_reserved(c)).collect())
    } else {
        Cow::Borrowed(&html[..end])
    };
    let table_cols = if contains_ci(&src, "<table") { count_table_columns(&src) } else { Vec::new() };
    let mut e = Emitter::new(width, table_cols, src.len());
    let mut tok = tokens(&src);
    while let Some(t) = tok.next() {
        e.token(t, &mut tok);
    }
    e.flush_text();
    e.end_script();
    Prepared {
        html: e.out,
        truncated,
        flattened_depth: e.flattened_depth,
        pres: e.pres,
        clusters: e.clusters,
        base_href: e.base_href,
    }
}

/// The text of prepared HTML without its markup, for when html2text fails: block tags become
/// line breaks, character references are decoded, `<pre>` blocks are put back.
pub(super) fn plain_text(html: &str, pres: &[String], clusters: &[String]) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    for t in tokens(html) {
        match t {
            TokenKind::Text(s) => {
                let mut parts = s.split(PRE);
                if let Some(first) = parts.next() {
                    decode_into(first, &mut out);
                }
                // `PRE k PRE`: the odd parts are indices.
                for (i, part) in parts.enumerate() {
                    if i % 2 == 0 {
                        if let Some(pre) = part.parse::<usize>().ok().and_then(|k| pres.get(k)) {
                            out.push('\n');
                            out.push_str(pre);
                            out.push('\n');
                        }
                    } else {
                        decode_into(part, &mut out);
                    }
                }
            }
            TokenKind::StartTag(tag) | TokenKind::EndTag(tag) => {
                if !is_inline(&tag.lower_name()) {
                    out.push('\n');
                }
            }
            TokenKind::RawText { .. } | TokenKind::Comment(_) | TokenKind::Bogus(_) => {}
        }
    }
    // The markers `prepare` wrote, as what they stand for.
    let mut text = String::with_capacity(out.len());
    for c in out.chars() {
        match c {
            BULLET => text.push('•'),
            CELL_SEP => text.push('│'),
            RULE => text.push('─'),
            c if (MARKER_FIRST..=MARKER_LAST).contains(&c) => {}
            c if is_reserved(c) => {
                if let Some(cluster) = placeholder_index(c).and_then(|k| clusters.get(k)) {
                    text.push_str(cluster);
                }
            }
            c => text.push(c),
        }
    }
    text
}

/// Appends `s` with its character references decoded (`&amp;`, `&#39;`, `&hellip;`…, the
/// semicolon required except for the five common legacy ones), as html2text would decode it.
fn decode_into(s: &str, out: &mut String) {
    decode_entities_into(s, out, true);
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    hay.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The tokens of an article as html2text will see them: a tag that the input ends inside is
/// dropped (html5ever drops it). A clone reads ahead.
type Tokens<'a> = std::iter::Map<Tokenizer<'a>, fn(Token<'a>) -> TokenKind<'a>>;

fn tokens(html: &str) -> Tokens<'_> {
    Tokenizer::new(html).dropping_cut_tags().map(|t| t.kind)
}

/// A small positive integer attribute (`colspan`, `start`), clamped.
fn int_attr(tag: &Tag<'_>, name: &str, min: i64, max: i64) -> Option<i64> {
    let v = tag.raw_attr(name)?.trim();
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).take(12).collect();
    let n: i64 = digits.parse().ok()?;
    Some(if neg { -n } else { n }.clamp(min, max))
}

// ---- tables: how many columns each has ----

/// The number of columns (the widest row, counting `colspan`) of every `<table>`, in the order
/// their start tags appear.
fn count_table_columns(src: &str) -> Vec<usize> {
    struct Open {
        index: usize,
        max: usize,
        row: usize,
    }
    let mut result = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for t in tokens(src) {
        match t {
            TokenKind::StartTag(tag) => match &*tag.lower_name() {
                "table" => {
                    open.push(Open { index: result.len(), max: 0, row: 0 });
                    result.push(0);
                }
                "tr" => {
                    if let Some(o) = open.last_mut() {
                        o.max = o.max.max(o.row);
                        o.row = 0;
                    }
                }
                "td" | "th" => {
                    if let Some(o) = open.last_mut() {
                        let span = int_attr(&tag, "colspan", 1, 1000).unwrap_or(1);
                        o.row = o.row.saturating_add(span as usize);
                    }
                }
                _ => {}
            },
            TokenKind::EndTag(tag) if tag.is("table") => {
                if let Some(o) = open.pop() {
                    result[o.index] = o.max.max(o.row);
                }
            }
            _ => {}
        }
    }
    for o in open {
        result[o.index] = o.max.max(o.row);
    }
    result
}

// ---- the rewriting pass ----

/// How an element's end is written when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    /// `</name>`.
    Same,
    /// This text instead (the element was renamed).
    As(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Unordered,
    Ordered,
    Definition,
    /// A table shown as a list of rows.
    Rows,
}

/// An open list-like element: its items need to know whether it was flattened.
#[derive(Debug)]
struct ListCtx {
    kind: ListKind,
    /// Shown as plain blocks (it would indent too far): items are `<div>`s with a marker.
    flat: bool,
    /// The next number of a flattened ordered list.
    counter: i64,
    /// What closes the item now open in a flattened list (or a row), if one is.
    item_close: Option<&'static str>,
    /// A table shown as rows: the cells of the current row so far.
    cells: usize,
    /// A `<th>` whose `<b>` is open.
    bold: bool,
}

#[derive(Debug)]
struct Open {
    name: String,
    close: Close,
    /// Columns of indentation this element costs (counted only when not flattened).
    indent: usize,
    /// It owns the innermost entry of `lists` (or `tables`).
    list: bool,
    table: bool,
    pre: bool,
}

struct Emitter {
    out: String,
    stack: Vec<Open>,
    /// Start tags dropped for depth, by name, whose end tags are still to come.
    dropped: HashMap<String, usize>,
    flattened_depth: bool,
    indent: usize,
    budget: usize,
    width: usize,
    lists: Vec<ListCtx>,
    /// Each open `<table>`, innermost last.
    tables: Vec<TableCtx>,
    table_cols: Vec<usize>,
    tables_seen: usize,
    in_pre: usize,
    /// Inside a `<pre>`, a `</code>` was the last thing written: WeChat writes each line of a
    /// code block as its own `<code>` (shown as a block by its CSS), so a `<code>` right after
    /// one starts a new line.
    pre_code_closed: bool,
    /// The last character of text written, for CJK break opportunities across tags.
    last: Option<char>,
    pres: Vec<String>,
    clusters: Vec<String>,
    /// Decoded text not yet written.
    pending: String,
    /// Inside a `<sup>` or `<sub>`.
    script: Option<Script>,
    base_href: Option<String>,
}

/// How a `<table>` is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableMode {
    /// Laid out by html2text as a grid.
    Grid,
    /// As a list of rows (too many columns for the width); its context is in `lists`.
    Rows,
    /// A layout table (one column, or `role="presentation"` with one column): its cells as
    /// paragraphs.
    Layout,
}

/// Where a grid table's header row is: the cell after which `HEAD_ROW` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    None,
    /// A header row started; its first cell has not.
    RowStarted,
    /// In the first cell of a header row.
    FirstCell,
}

#[derive(Debug)]
struct TableCtx {
    mode: TableMode,
    /// `role="presentation"`: no header rule.
    presentation: bool,
    rows: usize,
    in_thead: bool,
    head: Head,
}

/// An open `<sup>` or `<sub>`.
#[derive(Debug)]
struct Script {
    sup: bool,
    /// Every character of its text has a Unicode super/subscript form: written in it.
    unicode: bool,
    /// Not in Unicode and more than one character: `^(` … `)`.
    parens: bool,
    /// In Unicode, its text a footnote reference in brackets (`[2]`): shown without them.
    brackets: bool,
    /// `<sup>`/`<sub>` nested inside it, shown as part of it.
    nested: usize,
}

/// At most this many tokens are read ahead to decide how a `<sup>`/`<sub>` is shown, or
/// whether a table's first row is a header.
const LOOKAHEAD: usize = 64;
/// A `<sup>`/`<sub>` with more characters than this is shown as `^(…)`.
const MAX_SCRIPT_CHARS: usize = 32;

/// The superscript form of `c`, if Unicode has one that terminals show.
fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '=' => '⁼',
        '(' => '⁽',
        ')' => '⁾',
        'a' => 'ᵃ',
        'b' => 'ᵇ',
        'c' => 'ᶜ',
        'd' => 'ᵈ',
        'e' => 'ᵉ',
        'f' => 'ᶠ',
        'g' => 'ᵍ',
        'h' => 'ʰ',
        'i' => 'ⁱ',
        'j' => 'ʲ',
        'k' => 'ᵏ',
        'l' => 'ˡ',
        'm' => 'ᵐ',
        'n' => 'ⁿ',
        'o' => 'ᵒ',
        'p' => 'ᵖ',
        'r' => 'ʳ',
        's' => 'ˢ',
        't' => 'ᵗ',
        'u' => 'ᵘ',
        'v' => 'ᵛ',
        'w' => 'ʷ',
        'x' => 'ˣ',
        'y' => 'ʸ',
        'z' => 'ᶻ',
        _ => return None,
    })
}

/// The subscript form of `c`, if Unicode has one.
fn subscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '₀',
        '1' => '₁',
        '2' => '₂',
        '3' => '₃',
        '4' => '₄',
        '5' => '₅',
        '6' => '₆',
        '7' => '₇',
        '8' => '₈',
        '9' => '₉',
        '+' => '₊',
        '-' | '−' => '₋',
        '=' => '₌',
        '(' => '₍',
        ')' => '₎',
        'a' => 'ₐ',
        'e' => 'ₑ',
        'h' => 'ₕ',
        'i' => 'ᵢ',
        'j' => 'ⱼ',
        'k' => 'ₖ',
        'l' => 'ₗ',
        'm' => 'ₘ',
        'n' => 'ₙ',
        'o' => 'ₒ',
        'p' => 'ₚ',
        'r' => 'ᵣ',
        's' => 'ₛ',
        't' => 'ₜ',
        'u' => 'ᵤ',
        'v' => 'ᵥ',
        'x' => 'ₓ',
        _ => return None,
    })
}

/// The text of the `<sup>`/`<sub>` just opened, read ahead on a copy of the tokenizer: `None`
/// when it does not end soon (or a block starts first), or is long.
fn script_text(tok: &Tokens<'_>, name: &str) -> Option<String> {
    let mut ahead = tok.clone();
    let mut text = String::new();
    let mut depth = 1usize;
    for _ in 0..LOOKAHEAD {
        match ahead.next()? {
            // Too long to read as a superscript anyway (and not decoded, to keep this cheap).
            TokenKind::Text(s) if s.len() > MAX_SCRIPT_CHARS * 8 => return None,
            TokenKind::Text(s) => decode_into(s, &mut text),
            TokenKind::StartTag(tag) => {
                let n = tag.lower_name();
                if n == name && !tag.self_closing {
                    depth += 1;
                } else if !is_inline(&n) && n != "wbr" {
                    return None;
                }
            }
            TokenKind::EndTag(tag) => {
                let n = tag.lower_name();
                if n == name {
                    depth -= 1;
                    if depth == 0 {
                        return (text.chars().count() <= MAX_SCRIPT_CHARS).then_some(text);
                    }
                } else if !is_inline(&n) {
                    return None;
                }
            }
            TokenKind::RawText { .. } | TokenKind::Comment(_) | TokenKind::Bogus(_) => {}
        }
        if text.len() > MAX_SCRIPT_CHARS * 4 {
            return None;
        }
    }
    None
}

/// Whether the table row just opened has only `<th>` cells (at least one), read ahead.
fn row_is_all_headers(tok: &Tokens<'_>) -> bool {
    let mut ahead = tok.clone();
    let mut seen = false;
    for _ in 0..LOOKAHEAD * 4 {
        match ahead.next() {
            None => return seen,
            Some(TokenKind::StartTag(tag)) => match &*tag.lower_name() {
                "td" => return false,
                "th" => seen = true,
                "tr" | "table" | "tbody" | "tfoot" => return seen,
                _ => {}
            },
            Some(TokenKind::EndTag(tag)) => {
                if matches!(&*tag.lower_name(), "tr" | "table" | "thead" | "tbody" | "tfoot") {
                    return seen;
                }
            }
            Some(_) => {}
        }
    }
    false
}

/// Elements that close themselves (or that html5ever never nests): not counted for depth.
fn is_unnested(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "dt"
            | "dd"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "colgroup"
            | "option"
            | "optgroup"
            | "rb"
            | "rt"
            | "rtc"
            | "rp"
    )
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "image"
    )
}

/// Tags written without their element: inline wrappers that only carry styling, and the
/// document structure html5ever makes up anyway.
fn is_dropped_tag(name: &str) -> bool {
    matches!(name, "span" | "font" | "html" | "head" | "body" | "o:p" | "colgroup" | "col")
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "i"
            | "em"
            | "strong"
            | "span"
            | "code"
            | "u"
            | "s"
            | "small"
            | "big"
            | "sub"
            | "sup"
            | "font"
            | "abbr"
            | "tt"
            | "q"
            | "cite"
            | "kbd"
            | "mark"
            | "del"
            | "ins"
            | "img"
            | "var"
            | "samp"
            | "time"
            | "label"
    )
}

impl Emitter {
    fn new(width: usize, table_cols: Vec<usize>, len: usize) -> Self {
        let min_text = (width / 2).clamp(8, 30);
        Emitter {
            out: String::with_capacity(len / 2 + 64),
            stack: Vec::new(),
            dropped: HashMap::new(),
            flattened_depth: false,
            indent: 0,
            budget: width.saturating_sub(min_text),
            width,
            lists: Vec::new(),
            tables: Vec::new(),
            script: None,
            base_href: None,
            table_cols,
            tables_seen: 0,
            in_pre: 0,
            pre_code_closed: false,
            last: None,
            pres: Vec::new(),
            clusters: Vec::new(),
            pending: String::new(),
        }
    }

    fn token<'a>(&mut self, t: TokenKind<'a>, tok: &mut Tokens<'a>) {
        match t {
            TokenKind::Text(s) => {
                if self.in_pre > 0 && !s.trim().is_empty() {
                    self.pre_code_closed = false;
                }
                decode_into(s, &mut self.pending);
            }
            TokenKind::StartTag(tag) => {
                let name = tag.lower_name();
                // Text on both sides of a tag that is dropped is one text.
                if !is_dropped_tag(&name) {
                    self.flush_text();
                }
                self.start(&name, &tag, tok);
            }
            TokenKind::EndTag(tag) => {
                let name = tag.lower_name();
                if !is_dropped_tag(&name) {
                    self.flush_text();
                }
                self.end(&name);
            }
            TokenKind::RawText { .. } | TokenKind::Comment(_) | TokenKind::Bogus(_) => {}
        }
    }

    /// Writes the pending (decoded) text: cleaned, measured consistently (see `neutralize`),
    /// with zero-width spaces where a line may break between CJK characters (not in `<pre>`),
    /// and escaped again.
    fn flush_text(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut raw = std::mem::take(&mut self.pending);
        if let Some(s) = self.script.as_ref().filter(|s| s.unicode) {
            let map = if s.sup { superscript } else { subscript };
            raw = raw
                .chars()
                .filter(|&c| !(s.brackets && matches!(c, '[' | ']')))
                .map(|c| map(c).unwrap_or(c))
                .collect();
        }
        let cleaned = clean_text(&raw);
        let text = neutralize(&cleaned, &mut self.clusters);
        if self.in_pre > 0 {
            escape_into(&text, &mut self.out);
            self.last = None;
        } else {
            for c in text.chars() {
                if c.is_whitespace() {
                    self.last = None;
                } else {
                    if let Some(a) = self.last {
                        if (is_cjk(a) || is_cjk(c))
                            && !no_break_after(a)
                            && !no_break_before(c)
                            && !joins_previous(c)
                        {
                            self.out.push('\u{200b}');
                        }
                    }
                    self.last = Some(c);
                }
                escape_char(c, &mut self.out);
            }
        }
        // Keep the buffer's allocation.
        drop(text);
        drop(cleaned);
        self.pending = raw;
        self.pending.clear();
    }

    /// A `<pre>` block for `lines` to lay out: the marker paragraph in the HTML.
    fn pre_block(&mut self, text: String) {
        let k = self.pres.len();
        self.pres.push(text);
        let _ = write!(self.out, "<p>{PRE}{k}{PRE}</p>");
        self.last = None;
    }

    fn start<'a>(&mut self, name: &str, tag: &Tag<'_>, tok: &mut Tokens<'a>) {
        let self_closing = tag.self_closing;
        if self.script.is_some() && !is_inline(name) && name != "wbr" {
            // A block ends a `<sup>`/`<sub>` (html5ever closes it there).
            self.end_script();
        }
        match name {
            "sup" | "sub" => {
                if !self_closing {
                    self.start_script(name == "sup", tok);
                }
                return;
            }
            "base" => {
                if let (None, Some(href)) = (&self.base_href, tag.raw_attr("href")) {
                    let mut decoded = String::new();
                    decode_into(href, &mut decoded);
                    let href = clean_text(&decoded).trim().to_owned();
                    if !href.is_empty() {
                        self.base_href = Some(href);
                    }
                }
                return;
            }
            "script" | "style" | "title" | "noembed" | "noframes" => {
                // Raw text: the next token is its content, which shows nothing.
                let _ = tok.next();
                return;
            }
            "textarea" | "xmp" | "plaintext" => {
                if let Some(TokenKind::RawText { text: content, .. }) = tok.next() {
                    let mut text = String::new();
                    if name == "textarea" {
                        decode_into(content, &mut text);
                    } else {
                        text.push_str(content);
                    }
                    let text = clean_text(&text).trim_end_matches('\n').to_owned();
                    if self.tables.last().is_some_and(|t| t.mode == TableMode::Grid) {
                        self.out.push_str("<pre>");
                        escape_into(&neutralize(&text, &mut self.clusters), &mut self.out);
                        self.out.push_str("</pre>");
                    } else {
                        self.pre_block(text);
                    }
                }
                return;
            }
            "iframe" => {
                let _ = tok.next();
                if let Some(src) = tag.raw_attr("src").filter(|s| !s.trim().is_empty()) {
                    self.out.push_str("<p><a href=\"");
                    push_attr_value(&mut self.out, src);
                    self.out.push_str("\">(embedded frame)</a></p>");
                }
                return;
            }
            "svg" => {
                if !self_closing {
                    skip_subtree(tok, "svg");
                }
                return;
            }
            "br" => {
                self.out.push_str("<br>");
                return;
            }
            // Outside grid tables (whose cells need html2text's layout), a block of
            // preformatted text is laid out by `lines`.
            "pre" | "listing" if self.tables.last().is_none_or(|t| t.mode != TableMode::Grid) => {
                let text = pre_text(tok, name);
                self.pre_block(text);
                return;
            }
            "wbr" => {
                self.out.push('\u{200b}');
                return;
            }
            "hr" => {
                self.out.push_str("<p>");
                self.out.push(RULE);
                self.out.push_str("</p>");
                return;
            }
            "img" | "image" => {
                self.image(tag);
                return;
            }
            "video" | "audio" => {
                if let Some(src) = tag.raw_attr("src").filter(|s| !s.trim().is_empty()) {
                    let label = if name == "video" { "(video)" } else { "(audio)" };
                    let _ = write!(self.out, "<p><a href=\"");
                    push_attr_value(&mut self.out, src);
                    let _ = write!(self.out, "\">{label}</a></p>");
                }
                // The element itself stays, for its fallback content.
            }
            _ => {}
        }
        if is_void(name) || is_dropped_tag(name) {
            return;
        }
        match name {
            "li" => return self.item("li"),
            "dt" | "dd" => return self.item(name),
            "tr" | "td" | "th" | "caption" | "thead" | "tbody" | "tfoot" => {
                return self.table_part(name, tag, tok)
            }
            _ => {}
        }
        if is_unnested(name) {
            let _ = write!(self.out, "<{name}>");
            return;
        }
        if name == "a" {
            // A new link closes an open one (html5ever's adoption agency does the same).
            if let Some(i) = self.stack.iter().rposition(|o| o.name == "a") {
                self.pop_to(i);
            }
        }
        if self.stack.len() >= MAX_DEPTH {
            self.flattened_depth = true;
            *self.dropped.entry(name.to_owned()).or_insert(0) += 1;
            return;
        }
        let mut open = Open {
            name: name.to_owned(),
            close: Close::Same,
            indent: 0,
            list: false,
            table: false,
            pre: false,
        };
        match name {
            "ul" | "ol" | "menu" | "dir" | "dl" | "blockquote" => {
                let cost = if name == "ol" { 4 } else { 2 };
                let flat = self.indent + cost > self.budget;
                if flat {
                    self.out.push_str("<div>");
                    open.close = Close::As("</div>");
                } else {
                    self.indent += cost;
                    open.indent = cost;
                    match name {
                        "ol" => match int_attr(tag, "start", -1_000_000_000, 1_000_000_000) {
                            Some(n) => {
                                let _ = write!(self.out, "<ol start=\"{n}\">");
                            }
                            None => self.out.push_str("<ol>"),
                        },
                        "menu" | "dir" => {
                            self.out.push_str("<ul>");
                            open.close = Close::As("</ul>");
                        }
                        _ => {
                            let _ = write!(self.out, "<{name}>");
                        }
                    }
                }
                if name != "blockquote" {
                    let kind = match name {
                        "ol" => ListKind::Ordered,
                        "dl" => ListKind::Definition,
                        _ => ListKind::Unordered,
                    };
                    let counter = if kind == ListKind::Ordered {
                        int_attr(tag, "start", -1_000_000_000, 1_000_000_000).unwrap_or(1)
                    } else {
                        1
                    };
                    self.lists.push(ListCtx { kind, flat, counter, item_close: None, cells: 0, bold: false });
                    open.list = true;
                }
            }
            "table" => {
                let cols = self.table_cols.get(self.tables_seen).copied().unwrap_or(0);
                self.tables_seen += 1;
                let rows = cols >= 2 && cols * MIN_COLUMN + (cols - 1) > self.width;
                let presentation = tag.raw_attr("role").is_some_and(|r| {
                    r.trim().eq_ignore_ascii_case("presentation") || r.trim().eq_ignore_ascii_case("none")
                });
                let mode = if rows {
                    TableMode::Rows
                } else if cols <= 1 {
                    TableMode::Layout
                } else {
                    TableMode::Grid
                };
                open.table = true;
                self.tables.push(TableCtx { mode, presentation, rows: 0, in_thead: false, head: Head::None });
                if mode == TableMode::Layout {
                    self.out.push_str("<div>");
                    open.close = Close::As("</div>");
                } else if rows {
                    let flat = self.indent + 2 > self.budget;
                    if flat {
                        self.out.push_str("<div>");
                        open.close = Close::As("</div>");
                    } else {
                        self.indent += 2;
                        open.indent = 2;
                        self.out.push_str("<ul>");
                        open.close = Close::As("</ul>");
                    }
                    self.lists.push(ListCtx {
                        kind: ListKind::Rows,
                        flat,
                        counter: 1,
                        item_close: None,
                        cells: 0,
                        bold: false,
                    });
                    open.list = true;
                } else {
                    self.out.push_str("<table>");
                }
            }
            "a" => match tag.raw_attr("href") {
                Some(href) => {
                    self.out.push_str("<a href=\"");
                    push_attr_value(&mut self.out, href);
                    self.out.push_str("\">");
                }
                None => self.out.push_str("<a>"),
            },
            "pre" | "listing" => {
                open.pre = true;
                self.in_pre += 1;
                self.out.push_str("<pre>");
                open.close = Close::As("</pre>");
            }
            "code" if self.in_pre > 0 => {
                if self.pre_code_closed {
                    self.out.push('\n');
                    self.pre_code_closed = false;
                }
                self.out.push_str("<code>");
            }
            _ => {
                let _ = write!(self.out, "<{name}>");
            }
        }
        self.stack.push(open);
    }

    /// `<sup>`/`<sub>`: in Unicode super/subscript characters when every character has one
    /// (`x²`, `H₂O`), else `^x`, `_x`, or `^(…)` for several characters.
    fn start_script(&mut self, sup: bool, tok: &Tokens<'_>) {
        if let Some(s) = &mut self.script {
            s.nested += 1;
            return;
        }
        let map = if sup { superscript } else { subscript };
        let (unicode, parens, brackets) = match script_text(tok, if sup { "sup" } else { "sub" }) {
            Some(text) => {
                let shown: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
                let maps = |cs: &[char]| cs.iter().all(|&c| map(c).is_some());
                match shown.as_slice() {
                    ['[', inner @ .., ']'] if !inner.is_empty() && maps(inner) => (true, false, true),
                    _ => (maps(&shown), shown.len() > 1, false),
                }
            }
            None => (false, true, false),
        };
        if !unicode {
            self.out.push(if sup { '^' } else { '_' });
            if parens {
                self.out.push('(');
            }
        }
        self.last = None;
        self.script = Some(Script { sup, unicode, parens, brackets, nested: 0 });
    }

    fn end_script(&mut self) {
        if let Some(s) = self.script.take() {
            if !s.unicode && s.parens {
                self.out.push(')');
            }
        }
    }

    /// `<img>`: the real URL of a lazy-loaded image, and its alt text.
    fn image(&mut self, tag: &Tag<'_>) {
        let placeholder = |v: &str| {
            let v = v.trim();
            v.is_empty() || v.as_bytes().get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"data:"))
        };
        let src = tag.raw_attr("src").unwrap_or("");
        let src = if placeholder(src) {
            ["data-src", "data-original", "data-lazy-src", "data-actualsrc"]
                .iter()
                .filter_map(|n| tag.raw_attr(n))
                .find(|v| !placeholder(v))
                .or_else(|| first_srcset(tag.raw_attr("srcset")))
                .or_else(|| first_srcset(tag.raw_attr("data-srcset")))
                .unwrap_or(src)
        } else {
            src
        };
        if src.trim().is_empty() {
            // html2text ignores an image without a source; say it was there.
            self.out.push_str("<img src=\"#\"");
        } else {
            self.out.push_str("<img src=\"");
            push_attr_value(&mut self.out, src);
            self.out.push('"');
        }
        let mut decoded = String::new();
        if let Some(alt) = tag.raw_attr("alt").or_else(|| tag.raw_attr("title")) {
            decode_into(alt, &mut decoded);
        }
        let alt = neutralize(&clean_text(&decoded), &mut self.clusters).into_owned();
        self.out.push_str(" alt=\"");
        if alt.trim().is_empty() {
            // html2text would drop a link around an image without alt text.
            self.out.push(NO_ALT);
        } else {
            escape_into(&alt, &mut self.out);
        }
        self.out.push_str("\">");
    }

    /// `<li>`, `<dt>`, `<dd>`: plain in a real list, a block with its marker in a flat one.
    fn item(&mut self, name: &str) {
        let Some(ctx) = self.lists.last_mut() else {
            let _ = write!(self.out, "<{name}>");
            return;
        };
        if ctx.kind == ListKind::Rows {
            // An item inside a table shown as rows: a block of the current cell.
            self.out.push_str("<div>");
            return;
        }
        if !ctx.flat {
            let _ = write!(self.out, "<{name}>");
            return;
        }
        if let Some(close) = ctx.item_close.take() {
            self.out.push_str(close);
        }
        match (ctx.kind, name) {
            (_, "dt") => {
                self.out.push_str("<div><em>");
                ctx.item_close = Some("</em></div>");
            }
            (_, "dd") => {
                self.out.push_str("<div>");
                ctx.item_close = Some("</div>");
            }
            (ListKind::Ordered, _) => {
                let _ = write!(self.out, "<div>{NUMBER}{}. ", ctx.counter);
                ctx.counter = ctx.counter.saturating_add(1);
                ctx.item_close = Some("</div>");
            }
            _ => {
                self.out.push_str("<div>");
                self.out.push(BULLET);
                self.out.push(' ');
                ctx.item_close = Some("</div>");
            }
        }
        self.last = None;
    }

    fn end_item(&mut self, name: &str) {
        match self.lists.last_mut() {
            Some(ctx) if ctx.kind == ListKind::Rows => self.out.push_str("</div>"),
            Some(ctx) if ctx.flat => {
                if let Some(close) = ctx.item_close.take() {
                    self.out.push_str(close);
                }
            }
            _ => {
                let _ = write!(self.out, "</{name}>");
            }
        }
    }

    /// A grid table's header row (in `<thead>`, or a first row of `<th>` cells only): the end of
    /// its first cell gets `HEAD_ROW`, written before the part `name` that ends that cell.
    fn header_row_marker(out: &mut String, name: &str, tok: &Tokens<'_>, table: &mut TableCtx) {
        match name {
            "thead" => table.in_thead = true,
            "tbody" | "tfoot" => table.in_thead = false,
            "tr" => {
                if table.head == Head::FirstCell {
                    out.push(HEAD_ROW);
                }
                table.rows += 1;
                let header =
                    !table.presentation && (table.in_thead || (table.rows == 1 && row_is_all_headers(tok)));
                table.head = if header { Head::RowStarted } else { Head::None };
            }
            "td" | "th" => match table.head {
                Head::FirstCell => {
                    out.push(HEAD_ROW);
                    table.head = Head::None;
                }
                Head::RowStarted => table.head = Head::FirstCell,
                Head::None => {}
            },
            _ => {}
        }
    }

    /// The parts of a table: written as they are in a grid table, as rows of a list in a table
    /// shown as rows.
    fn table_part(&mut self, name: &str, tag: &Tag<'_>, tok: &Tokens<'_>) {
        // Outside any table, the tags are written as they are (html5ever drops them).
        let mode = self.tables.last().map_or(TableMode::Grid, |t| t.mode);
        if mode == TableMode::Layout {
            // A layout table is its text: each cell a paragraph.
            if matches!(name, "td" | "th" | "caption") {
                self.out.push_str("<p>");
            }
            self.last = None;
            return;
        }
        if mode == TableMode::Grid {
            if let Some(table) = self.tables.last_mut() {
                Self::header_row_marker(&mut self.out, name, tok, table);
            }
            match name {
                "td" | "th" => {
                    let _ = write!(self.out, "<{name}");
                    if let Some(n) = int_attr(tag, "colspan", 1, 1000) {
                        let _ = write!(self.out, " colspan=\"{n}\"");
                    }
                    if let Some(n) = int_attr(tag, "rowspan", 1, 1000) {
                        let _ = write!(self.out, " rowspan=\"{n}\"");
                    }
                    self.out.push('>');
                }
                _ => {
                    let _ = write!(self.out, "<{name}>");
                }
            }
            return;
        }
        let Some(ctx) = Self::innermost_rows(&mut self.lists, &mut self.out) else { return };
        match name {
            "tr" | "caption" => {
                if let Some(close) = ctx.item_close.take() {
                    self.out.push_str(close);
                }
                Self::open_row(&mut self.out, ctx);
            }
            "td" | "th" => {
                if ctx.item_close.is_none() {
                    Self::open_row(&mut self.out, ctx);
                }
                if ctx.cells > 0 {
                    self.out.push(' ');
                    self.out.push(CELL_SEP);
                    self.out.push(' ');
                }
                ctx.cells += 1;
                if name == "th" {
                    self.out.push_str("<b>");
                    ctx.bold = true;
                }
            }
            _ => {}
        }
        self.last = None;
    }

    fn open_row(out: &mut String, ctx: &mut ListCtx) {
        if ctx.flat {
            out.push_str("<div>");
            out.push(BULLET);
            out.push(' ');
            ctx.item_close = Some("</div>");
        } else {
            out.push_str("<li>");
            ctx.item_close = Some("</li>");
        }
        ctx.cells = 0;
    }

    fn end_table_part(&mut self, name: &str) {
        let Some(table) = self.tables.last_mut() else { return };
        match table.mode {
            TableMode::Layout => {
                if matches!(name, "td" | "th" | "caption") {
                    self.out.push_str("</p>");
                }
                return;
            }
            TableMode::Grid => {
                if table.head == Head::FirstCell && matches!(name, "td" | "th" | "tr") {
                    self.out.push(HEAD_ROW);
                    table.head = Head::None;
                }
                if name == "thead" {
                    table.in_thead = false;
                }
                let _ = write!(self.out, "</{name}>");
                return;
            }
            TableMode::Rows => {}
        }
        let Some(ctx) = Self::innermost_rows(&mut self.lists, &mut self.out) else { return };
        if matches!(name, "tr" | "caption") {
            if let Some(close) = ctx.item_close.take() {
                self.out.push_str(close);
            }
        }
    }

    /// The innermost table shown as rows, with a header cell's bold closed.
    fn innermost_rows<'l>(lists: &'l mut [ListCtx], out: &mut String) -> Option<&'l mut ListCtx> {
        let ctx = lists.iter_mut().rev().find(|c| c.kind == ListKind::Rows)?;
        if ctx.bold {
            out.push_str("</b>");
            ctx.bold = false;
        }
        Some(ctx)
    }

    fn end(&mut self, name: &str) {
        if self.script.is_some() && !is_inline(name) {
            self.end_script();
        }
        match name {
            "sup" | "sub" => {
                match &mut self.script {
                    Some(s) if s.nested > 0 => s.nested -= 1,
                    Some(_) => self.end_script(),
                    None => {}
                }
                return;
            }
            "li" | "dt" | "dd" => return self.end_item(name),
            "tr" | "td" | "th" | "caption" | "thead" | "tbody" | "tfoot" => return self.end_table_part(name),
            "br" => {
                self.out.push_str("<br>");
                return;
            }
            "p" => {
                self.out.push_str("</p>");
                return;
            }
            _ => {}
        }
        if let Some(n) = self.dropped.get_mut(name) {
            if *n > 0 {
                *n -= 1;
                return;
            }
        }
        if let Some(i) = self.stack.iter().rposition(|o| o.name == name) {
            self.pop_to(i);
        }
        // Any other end tag closes nothing html2text would show.
    }

    /// Closes the elements from the top of the stack down to index `i`, inclusive.
    fn pop_to(&mut self, i: usize) {
        while self.stack.len() > i {
            let Some(open) = self.stack.pop() else { break };
            if open.list {
                if let Some(ctx) = self.lists.pop() {
                    if ctx.bold {
                        self.out.push_str("</b>");
                    }
                    if let Some(close) = ctx.item_close {
                        if ctx.flat || ctx.kind == ListKind::Rows {
                            self.out.push_str(close);
                        }
                    }
                }
            }
            if open.table {
                if let Some(t) = self.tables.pop() {
                    if t.head == Head::FirstCell {
                        self.out.push(HEAD_ROW);
                    }
                }
            }
            if open.pre {
                self.in_pre -= 1;
                self.pre_code_closed = false;
            }
            self.indent -= open.indent;
            if open.name == "code" && self.in_pre > 0 {
                self.pre_code_closed = true;
            }
            match open.close {
                Close::Same => {
                    let _ = write!(self.out, "</{}>", open.name);
                }
                Close::As(s) => self.out.push_str(s),
            }
        }
    }
}

/// The text of a `<pre>` whose start tag was just read, up to its end tag (consumed): tags
/// dropped (`<br>` and blocks as line breaks, WeChat's one `<code>` per line too), references
/// decoded, the newline right after `<pre>` dropped as HTML does, and trailing newlines.
fn pre_text(tok: &mut Tokens<'_>, name: &str) -> String {
    let mut text = String::new();
    let mut depth = 1usize;
    let mut code_closed = false;
    let mut first = true;
    let newline = |text: &mut String| {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    };
    for t in tok.by_ref() {
        match t {
            TokenKind::Text(s) => {
                let s = if first {
                    s.strip_prefix("\r\n").or_else(|| s.strip_prefix('\n')).unwrap_or(s)
                } else {
                    s
                };
                if !s.trim().is_empty() {
                    code_closed = false;
                }
                decode_into(s, &mut text);
            }
            TokenKind::StartTag(tag) => match &*tag.lower_name() {
                n if n == name && !tag.self_closing => depth += 1,
                "br" => text.push('\n'),
                "code" if code_closed => {
                    text.push('\n');
                    code_closed = false;
                }
                "p" | "div" | "li" | "tr" | "pre" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    newline(&mut text);
                }
                _ => {}
            },
            TokenKind::EndTag(tag) => match &*tag.lower_name() {
                n if n == name => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                "code" => code_closed = true,
                "p" | "div" | "li" | "tr" => newline(&mut text),
                _ => {}
            },
            TokenKind::RawText { .. } | TokenKind::Comment(_) | TokenKind::Bogus(_) => {}
        }
        first = false;
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    clean_text(&text).trim_end_matches('\n').to_owned()
}

/// Characters reserved for our markers and placeholders, removed from the article: U+E010 to
/// U+E01F and the private-use planes 15 and 16.
fn is_reserved(c: char) -> bool {
    (MARKER_FIRST..=MARKER_LAST).contains(&c) || c >= '\u{f0000}'
}

/// Decoded text as html2text should see it: forbidden characters (but newlines and tabs),
/// variation selectors and reserved characters removed.
fn clean_text(s: &str) -> Cow<'_, str> {
    let drop = |c: char| {
        (sanitize::is_forbidden(c) && !matches!(c, '\n' | '\t' | '\r'))
            || is_variation_selector(c)
            || is_reserved(c)
    };
    if s.contains(drop) {
        Cow::Owned(s.chars().filter(|&c| !drop(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Characters in sequences whose width unicode-width measures differently from the sum of
/// their characters' widths (emoji ZWJ and modifier sequences, Arabic lam-alef, Hebrew,
/// Khmer, Lisu, Tifinagh, Old Turkic, Buginese, Kirat Rai ligatures).
fn is_contextual(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08ff}'
        | '\u{1780}'..='\u{17ff}'
        | '\u{19e0}'..='\u{19ff}'
        | '\u{1a00}'..='\u{1a1f}'
        | '\u{200c}'..='\u{200d}'
        | '\u{20e3}'
        | '\u{2d30}'..='\u{2d7f}'
        | '\u{a4d0}'..='\u{a4ff}'
        | '\u{fb1d}'..='\u{fdff}'
        | '\u{fe70}'..='\u{feff}'
        | '\u{10c00}'..='\u{10c4f}'
        | '\u{11fb0}'
        | '\u{16d40}'..='\u{16d7f}'
        | '\u{1f1e6}'..='\u{1f1ff}'
        | '\u{1f3fb}'..='\u{1f3ff}'
        | '\u{e0020}'..='\u{e007f}'
    )
}

/// The placeholder of cluster number `k`: a private-use character of planes 15 and 16.
pub(super) fn placeholder(k: usize) -> Option<char> {
    const PLANE: usize = 0xfffe;
    let v = if k < PLANE {
        0xf0000 + k
    } else if k < 2 * PLANE {
        0x100000 + k - PLANE
    } else {
        return None;
    };
    char::from_u32(v as u32)
}

/// The cluster number of a placeholder character.
pub(super) fn placeholder_index(c: char) -> Option<usize> {
    match c as usize {
        v @ 0xf0000..=0xffffd => Some(v - 0xf0000),
        v @ 0x100000..=0x10fffd => Some(v - 0x100000 + 0xfffe),
        _ => None,
    }
}

/// Text that html2text measures as unicode-width does. html2text wraps by adding up character
/// widths but measures lines as strings; where the two differ (an emoji ZWJ sequence is 2
/// columns, its characters 6; lam-alef is 1, its letters 2) its arithmetic underflows: a
/// panic in debug builds, wrong wrapping in release ones. So a cluster whose width is not the
/// sum of its characters' becomes a placeholder (`placeholder(k)`, then filler markers up to
/// its width; `lines` puts the cluster back), and a marker that `lines` drops goes between
/// two clusters that would form a ligature (ratatui draws them in separate cells anyway).
fn neutralize<'a>(s: &'a str, clusters: &mut Vec<String>) -> Cow<'a, str> {
    if !s.contains(is_contextual) {
        return Cow::Borrowed(s);
    }
    let char_width = |c: char| str_width(c.encode_utf8(&mut [0; 4]));
    let mut out = String::with_capacity(s.len() + 16);
    let mut prev: Option<&str> = None;
    let mut pos = 0;
    for g in graphemes(s) {
        if g.start > pos {
            // Clusters holding a control character (a newline) are not in `graphemes`.
            out.push_str(&s[pos..g.start]);
            prev = None;
        }
        pos = g.end;
        let text = &s[g.start..g.end];
        if g.width != text.chars().map(char_width).sum::<usize>() {
            match placeholder(clusters.len()) {
                Some(p) => {
                    clusters.push(text.to_owned());
                    out.push(p);
                    out.extend(std::iter::repeat_n(FILLER, g.width.max(1) - 1));
                }
                None => out.push('?'),
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            if str_width(&format!("{p}{text}")) != str_width(p) + g.width {
                out.push(LIGATURE_BREAK);
            }
        }
        out.push_str(text);
        prev = Some(text);
    }
    out.push_str(&s[pos..]);
    Cow::Owned(out)
}

/// Variation selectors U+FE00–U+FE0F, which html2text must not see: they make unicode-width
/// count a sequence wider than its characters (`❤` is 1 column, `❤\u{fe0f}` 2), while
/// html2text wraps by characters and then underflows (a panic in debug builds). Emoji lose
/// their emoji presentation, which terminals disagree about anyway.
fn is_variation_selector(c: char) -> bool {
    ('\u{fe00}'..='\u{fe0f}').contains(&c)
}

/// The first URL of a `srcset` value.
fn first_srcset(v: Option<&str>) -> Option<&str> {
    let first = v?.trim().split(',').next()?.split_whitespace().next()?;
    (!first.is_empty()).then_some(first)
}

/// Writes a raw (still entity-encoded) attribute value inside double quotes.
fn push_attr_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
}

/// Skips everything up to the end tag that closes an element `name` already opened.
fn skip_subtree(tok: &mut Tokens<'_>, name: &str) {
    let mut depth = 1usize;
    for t in tok.by_ref() {
        match t {
            TokenKind::StartTag(tag) if !tag.self_closing && tag.is(name) => depth += 1,
            TokenKind::EndTag(tag) if tag.is(name) => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(html: &str, width: usize) -> String {
        prepare(html, width, 1 << 20).html
    }

    #[test]
    fn tags_lose_their_attributes_and_scripts_go() {
        let out = prep(
            r#"<section style="a>b" class=x><p style='c'>Hi<script>alert("<p>")</script><style>p{}</style></p></section>"#,
            80,
        );
        assert_eq!(out, "<section><p>Hi</p></section>");
    }

    #[test]
    fn breaks_between_cjk_but_not_before_closing_punctuation() {
        let out = prep("<p>中文，好。GPT模型（新）</p>", 80);
        assert_eq!(out, "<p>中\u{200b}文，\u{200b}好。\u{200b}GPT\u{200b}模\u{200b}型\u{200b}（新）</p>");
    }

    #[test]
    fn lazy_images_and_links() {
        let out = prep(
            r#"<img src="data:image/gif;base64,xx" data-src="https://i/a.jpg?x=1&amp;y=2" alt='A "b"'>"#,
            80,
        );
        assert_eq!(out, r#"<img src="https://i/a.jpg?x=1&amp;y=2" alt="A &quot;b&quot;">"#);
        let out = prep(r#"<a href=x.html title=t>a<a href="y">b</a>"#, 80);
        assert_eq!(out, r#"<a href="x.html">a</a><a href="y">b</a>"#);
    }

    #[test]
    fn depth_is_bounded() {
        let html = "<div>".repeat(2000) + "x" + &"</div>".repeat(2000) + "<p>after</p>";
        let p = prepare(&html, 80, 1 << 20);
        assert!(p.flattened_depth);
        assert_eq!(p.html.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(p.html.matches("</div>").count(), MAX_DEPTH);
        assert!(p.html.contains("x</div></div>") && p.html.ends_with("</div><p>after</p>"));
    }

    #[test]
    fn wide_tables_become_rows() {
        let row =
            |c: &str| format!("<tr>{}</tr>", (0..12).map(|i| format!("<{c}>{i}</{c}>")).collect::<String>());
        let html = format!("<table>{}{}</table>", row("th"), row("td"));
        let out = prep(&html, 80);
        assert!(out.starts_with("<ul><li><b>0</b> \u{e014} <b>1</b>"), "{out}");
        assert!(out.ends_with("10 \u{e014} 11</li></ul>"), "{out}");
        let narrow = format!("<table>{}</table>", "<tr><td>a</td><td>b</td></tr>");
        assert_eq!(prep(&narrow, 80), "<table><tr><td>a</td><td>b</td></tr></table>");
    }

    #[test]
    fn deep_lists_are_flattened_past_the_budget() {
        let html = "<ul><li>x".repeat(40);
        let out = prep(&html, 40);
        // width 40: 20 columns of text kept, so 10 levels of 2 columns.
        assert_eq!(out.matches("<ul>").count(), 10);
        assert!(out.contains("<div><div>\u{e013} x"), "{out}");
    }

    #[test]
    fn cut_tags_and_comments() {
        assert_eq!(prep("a<!-- <p>x</p> -->b<!--->c<", 80), "abc&lt;");
        assert_eq!(prep("a<div class=\"x", 80), "a");
        assert_eq!(prep("1 < 2 </ 3", 80), "1 &lt; 2 ");
    }

    #[test]
    fn the_cap_cuts_on_a_char_boundary() {
        let p = prepare("中文中文", 80, 4);
        assert!(p.truncated);
        assert_eq!(p.html, "中");
    }
}

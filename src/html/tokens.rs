//! The one HTML tokenizer of tidings: a borrowing iterator of tokens over a `&str`, each with
//! its byte range in the source. Parsing (flattening titles, collecting a body's images and
//! links), rendering (the pass that prepares a body for html2text) and feed discovery (the
//! `<link>`s of a web page) all read HTML through it.
//!
//! It follows the HTML tokenizer's rules for what a tag, an attribute, a comment and raw text
//! are, so that text stays text and tags stay tags whatever the markup:
//! - `<` followed by a letter opens a start tag, `</` and a letter an end tag; the name runs to
//!   whitespace, `/` or `>`, and its case is kept ([`Tag::is`] compares without it);
//! - attribute values are double-, single- or unquoted (a quoted value may hold `>`), a name
//!   may start with `=`, and a name without `=` has no value;
//! - `<!-- … -->` is a comment, which `-->`, `--!>`, or an immediate `>`/`->` ends; `<!…>`,
//!   `<?…>` and `</` not followed by a letter run to the next `>` as a bogus comment;
//! - the content of `<script>`, `<style>`, `<textarea>`, `<title>`, `<xmp>`, `<iframe>`,
//!   `<noembed>`, `<noframes>` and `<plaintext>` is one [`TokenKind::RawText`] up to its own
//!   end tag, so a `<a href>` inside a script string is not a link;
//! - a `<` that opens none of these is text, as a token of its own.
//!
//! Where the input ends inside a tag, the tag is still given, marked not
//! [`complete`](Tag::complete), its last attribute value running to the end: a feed that cut
//! a summary in the middle of `<a href="…` still names the link. html5ever (and a browser)
//! drop such a tag; [`Tokenizer::dropping_cut_tags`] does the same for the renderer.
//!
//! Hostile input is ordinary input here: every token is found by scanning forward from the
//! previous one, never backwards, and whatever does not close (a comment, a quoted value, a
//! tag, raw text) runs to the end of the input. So the work is linear in the input's length
//! (50 MB of `<` is 50 million one-byte text tokens; a tag with 100,000 attributes is read
//! once to find its end and again, lazily, only by [`Tag::attributes`]), and no input panics.
//! Attribute values are not decoded until asked ([`Attribute::value`]).
//!
//! Why not html5ever's tokenizer, which html2text already links: its tokens carry no byte
//! ranges and own their text (each tag name interned, each attribute value and run of text
//! copied into a tendril with its references decoded), while the renderer rewrites the source
//! and keeps raw attribute values for html2text to decode; it leaves raw-text switching to a
//! tree builder (a sink has to answer `RawData` for each `<script>`); and it drops a tag cut
//! off by the end of the input. So the three users would have had to change behaviour to use
//! it, and it costs more: on the corpus's article bodies (4,392 bodies, 8.2 MB, release
//! build) html5ever's tokenizer took 43 ms, this one 4 ms (5.5 ms reading every attribute).
//! The scanners this replaced took about as long as this one does.

use std::borrow::Cow;
use std::ops::Range;

use super::entities::decode_entities;

/// One token and where it is in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    /// The bytes of the source the token covers; tokens cover the whole source, in order.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    /// Text as written, character references not decoded. A `<` that opens no markup is a
    /// `Text` of its own (`"<"`, or `"</"` at the end of the input).
    Text(&'a str),
    StartTag(Tag<'a>),
    EndTag(Tag<'a>),
    /// The content of a raw-text element (`element`, lower case) whose start tag was the
    /// previous token, as written; its end tag, if there is one, is part of this token's span.
    /// `<textarea>` and `<title>` content may hold character references, the others' not.
    RawText {
        element: &'static str,
        text: &'a str,
    },
    /// `<!-- text -->`; an unclosed comment runs to the end.
    Comment(&'a str),
    /// `<!DOCTYPE …>`, `<?…>`, `</ …>` and other markup the HTML tokenizer reads as a bogus
    /// comment: the text between `<!`, `<?` or `</` and `>`.
    Bogus(&'a str),
}

/// A start or end tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// The name as written (`A`, `a`, `o:p`).
    pub name: &'a str,
    /// Written `<name …/>`. HTML ignores it except on foreign (SVG, MathML) elements.
    pub self_closing: bool,
    /// The tag has its `>`: false when the input ends inside it.
    pub complete: bool,
    /// The source between the name and `>` (or `/>`, or the end of the input).
    attrs: &'a str,
    /// Where `attrs` starts in the source.
    attrs_at: usize,
}

impl<'a> Tag<'a> {
    /// Whether the tag is `name` (ASCII lower case), whatever case it was written in.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The name in ASCII lower case, borrowed when it already is.
    pub fn lower_name(&self) -> Cow<'a, str> {
        lower(self.name)
    }

    /// The attributes in source order, duplicates included.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { src: self.attrs, at: self.attrs_at, i: 0 }
    }

    /// The first attribute called `name` (ASCII lower case), whatever its case: HTML ignores
    /// the later duplicates.
    pub fn attr(&self, name: &str) -> Option<Attribute<'a>> {
        self.attributes().find(|a| a.is(name))
    }

    /// The raw (still entity-encoded) value of the first attribute called `name`; `""` when it
    /// has no value.
    pub fn raw_attr(&self, name: &str) -> Option<&'a str> {
        self.attr(name).map(|a| a.raw_value)
    }
}

/// `name` in ASCII lower case, borrowed when it already is.
pub(crate) fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// One attribute of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value as written, without its quotes and with its character references not
    /// decoded; `""` when there is no value.
    pub raw_value: &'a str,
    pub name_span: Range<usize>,
    /// Where `raw_value` is in the source; `None` when the attribute has no `=`.
    pub value_span: Option<Range<usize>>,
}

impl<'a> Attribute<'a> {
    /// Whether the attribute is `name` (ASCII lower case), whatever case it was written in.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value with its character references decoded (named ones need their `;`).
    pub fn value(&self) -> Cow<'a, str> {
        decode_entities(self.raw_value)
    }
}

/// The attributes of a tag, read on demand from its source.
#[derive(Debug, Clone)]
pub(crate) struct Attributes<'a> {
    src: &'a str,
    at: usize,
    i: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let b = self.src.as_bytes();
        let mut i = self.i;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            self.i = i;
            return None;
        }
        let name_start = i;
        i = attribute_name_end(b, i);
        let name = &self.src[name_start..i];
        let name_span = self.at + name_start..self.at + i;
        i = skip_space(b, i);
        if b.get(i) != Some(&b'=') {
            self.i = i;
            return Some(Attribute { name, raw_value: "", name_span, value_span: None });
        }
        i = skip_space(b, i + 1);
        let value = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let end = memchr(q, b, start).unwrap_or(b.len());
                i = (end + 1).min(b.len());
                start..end
            }
            _ => {
                let start = i;
                i = unquoted_value_end(b, i);
                start..i
            }
        };
        self.i = i;
        Some(Attribute {
            name,
            raw_value: &self.src[value.clone()],
            name_span,
            value_span: Some(self.at + value.start..self.at + value.end),
        })
    }
}

/// Elements whose content the HTML tokenizer reads as text up to their own end tag.
const RAW_TEXT_ELEMENTS: [&str; 9] =
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"];

fn raw_text_element(name: &str) -> Option<&'static str> {
    RAW_TEXT_ELEMENTS.iter().copied().find(|e| e.eq_ignore_ascii_case(name))
}

/// The tokens of an HTML text, in order. Cloning it is cheap: that is how a user reads ahead.
#[derive(Debug, Clone)]
pub(crate) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// The raw-text element whose start tag was the last token: its content comes next.
    raw: Option<&'static str>,
    drop_cut_tags: bool,
}

impl<'a> Tokenizer<'a> {
    pub fn new(src: &'a str) -> Self {
        Tokenizer { src, pos: 0, raw: None, drop_cut_tags: false }
    }

    /// Ends the tokens before a tag that the input ends inside, as html5ever drops it. (Such a
    /// tag runs to the end, so it is always the last token.)
    pub fn dropping_cut_tags(mut self) -> Self {
        self.drop_cut_tags = true;
        self
    }

    fn token(&mut self, kind: TokenKind<'a>, start: usize, end: usize) -> Option<Token<'a>> {
        self.pos = end;
        Some(Token { kind, span: start..end })
    }

    /// A start or end tag whose name starts at `name_start`.
    fn tag(&mut self, start: usize, name_start: usize, end_tag: bool) -> Option<Token<'a>> {
        let b = self.src.as_bytes();
        let name_end = tag_name_end(b, name_start);
        let (end, attrs_end, self_closing, complete) = match tag_end(b, name_end) {
            Some((end, true)) => (end, end - 2, true, true),
            Some((end, false)) => (end, end - 1, false, true),
            None if self.drop_cut_tags => {
                self.pos = b.len();
                return None;
            }
            None => (b.len(), b.len(), false, false),
        };
        let tag = Tag {
            name: &self.src[name_start..name_end],
            self_closing,
            complete,
            attrs: &self.src[name_end..attrs_end.max(name_end)],
            attrs_at: name_end,
        };
        if end_tag {
            return self.token(TokenKind::EndTag(tag), start, end);
        }
        if complete {
            self.raw = raw_text_element(tag.name);
        }
        self.token(TokenKind::StartTag(tag), start, end)
    }

    /// The content of raw-text `element` from `start`, up to `</element` followed by
    /// whitespace, `/`, `>` or the end; that end tag is part of the token.
    fn raw_text(&mut self, start: usize, element: &'static str) -> Option<Token<'a>> {
        let b = self.src.as_bytes();
        let n = element.len();
        // `<plaintext>` has no end tag: everything after it is its text.
        let mut end_tags = if element == "plaintext" { None } else { memchr(b'<', b, start) };
        while let Some(p) = end_tags {
            if b.get(p + 1) == Some(&b'/')
                && b.len() >= p + 2 + n
                && b[p + 2..p + 2 + n].eq_ignore_ascii_case(element.as_bytes())
                && b.get(p + 2 + n).is_none_or(|&c| c == b'>' || c == b'/' || is_space(c))
            {
                let end = tag_end(b, p + 2 + n).map_or(b.len(), |(e, _)| e);
                return self.token(TokenKind::RawText { element, text: &self.src[start..p] }, start, end);
            }
            end_tags = memchr(b'<', b, p + 1);
        }
        self.token(TokenKind::RawText { element, text: &self.src[start..] }, start, b.len())
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.src.as_bytes();
        let start = self.pos;
        if start >= b.len() {
            return None;
        }
        if let Some(element) = self.raw.take() {
            return self.raw_text(start, element);
        }
        if b[start] != b'<' {
            let end = memchr(b'<', b, start).unwrap_or(b.len());
            return self.token(TokenKind::Text(&self.src[start..end]), start, end);
        }
        match b.get(start + 1) {
            Some(b'!') if b[start + 2..].starts_with(b"--") => {
                let (text_end, end) = comment_end(b, start + 4);
                self.token(TokenKind::Comment(&self.src[start + 4..text_end]), start, end)
            }
            Some(b'!' | b'?') => self.bogus(start),
            Some(b'/') => match b.get(start + 2) {
                Some(c) if c.is_ascii_alphabetic() => self.tag(start, start + 2, true),
                Some(_) => self.bogus(start),
                None => self.token(TokenKind::Text(&self.src[start..]), start, b.len()),
            },
            Some(c) if c.is_ascii_alphabetic() => self.tag(start, start + 1, false),
            _ => self.token(TokenKind::Text(&self.src[start..start + 1]), start, start + 1),
        }
    }
}

impl<'a> Tokenizer<'a> {
    /// From `start` (`<!`, `<?` or `</`) to the next `>`.
    fn bogus(&mut self, start: usize) -> Option<Token<'a>> {
        let b = self.src.as_bytes();
        let close = memchr(b'>', b, start + 2).unwrap_or(b.len());
        let end = (close + 1).min(b.len());
        self.token(TokenKind::Bogus(&self.src[start + 2..close]), start, end)
    }
}

/// The index of the first `needle` in `hay` at or after `from`. Most of an article is text
/// between tags, which this skips, so it is the memchr crate's vectorised search.
fn memchr(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(needle, hay.get(from..)?).map(|p| p + from)
}

/// HTML's ASCII whitespace.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

/// After `<!--` (at `i`): where the comment's text ends and the index past the comment.
fn comment_end(b: &[u8], i: usize) -> (usize, usize) {
    // `<!-->` and `<!--->` end at once.
    if b.get(i) == Some(&b'>') {
        return (i, i + 1);
    }
    if b.get(i) == Some(&b'-') && b.get(i + 1) == Some(&b'>') {
        return (i, i + 2);
    }
    let mut j = i;
    while let Some(p) = memchr(b'-', b, j) {
        if b.get(p + 1) == Some(&b'-') {
            if b.get(p + 2) == Some(&b'>') {
                return (p, p + 3);
            }
            if b.get(p + 2) == Some(&b'!') && b.get(p + 3) == Some(&b'>') {
                return (p, p + 4);
            }
        }
        j = p + 1;
    }
    (b.len(), b.len())
}

fn tag_name_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    i
}

/// From the first byte of an attribute name: the index past it. The first byte is taken
/// whatever it is (HTML lets a name start with `=`), so the scan always advances.
fn attribute_name_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
        i += 1;
    }
    i
}

fn unquoted_value_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
        i += 1;
    }
    i
}

/// From just after a tag's name: the index past its `>` and whether it ended with `/>`; `None`
/// when the input ends inside the tag. Reads attributes as [`Attributes`] does, so that a `>`
/// in a quoted value does not end the tag.
fn tag_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    loop {
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            if b[i] == b'/' && b.get(i + 1) == Some(&b'>') {
                return Some((i + 2, true));
            }
            i += 1;
        }
        if *b.get(i)? == b'>' {
            return Some((i + 1, false));
        }
        i = skip_space(b, attribute_name_end(b, i));
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_space(b, i + 1);
        match b.get(i)? {
            &q @ (b'"' | b'\'') => i = memchr(q, b, i + 1)? + 1,
            _ => i = unquoted_value_end(b, i),
        }
    }
}

#[cfg(test)]
mod tests;

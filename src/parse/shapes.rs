//! Text rewrites that let feed-rs read old feed shapes (issue 10, item 3) and references it
//! does not know (item 5): items written after `</channel>`, RSS 0.90/1.0 items without a
//! `<link>`, Atom 0.3's namespace, `type`s and `mode`s, a prefixed `<r:rss>` root, entities
//! from the internal DTD subset, HTML named entities, `&#X41;`, and markup inside `<title>`.
//!
//! Each function is one linear pass over the document (hostile input is normal input), skips
//! comments, CDATA sections, processing instructions and the DOCTYPE where it must, and
//! returns `None` when it has nothing to change, so that ordinary feeds are not copied.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::html::{escape_markup_into, html_entity};

/// A tag found by [`next_tag`].
struct Tag {
    /// Index of its `<`.
    start: usize,
    /// The name as written (prefix included).
    name: Range<usize>,
    /// Index past its `>` (the text's end if unclosed).
    end: usize,
    /// `</name>`.
    closing: bool,
    /// `<name/>`.
    empty: bool,
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.') || c >= 0x80
}

/// The next start or end tag at or after `from`, skipping comments, CDATA sections,
/// processing instructions and declarations (a DOCTYPE with its internal subset).
fn next_tag(b: &[u8], mut from: usize) -> Option<Tag> {
    while let Some(p) = b.get(from..)?.iter().position(|&c| c == b'<') {
        let at = from + p;
        let rest = &b[at..];
        let skip = |open: usize, close: &[u8]| {
            super::decode::find(&rest[open..], close).map_or(b.len(), |e| at + open + e + close.len())
        };
        if rest.starts_with(b"<!--") {
            from = skip(4, b"-->");
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            from = skip(9, b"]]>");
            continue;
        }
        if rest.starts_with(b"<?") {
            from = skip(2, b"?>");
            continue;
        }
        if rest.starts_with(b"<!") {
            from = super::sniff::doctype_end(rest).map_or(b.len(), |e| at + e);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        let name_len = b[name_start..].iter().take_while(|&&c| is_name_byte(c)).count();
        if name_len == 0 {
            from = at + 1;
            continue;
        }
        let name = name_start..name_start + name_len;
        let end = tag_end(b, name.end);
        let empty = !closing && b[..end].ends_with(b"/>");
        return Some(Tag { start: at, name, end, closing, empty });
    }
    None
}

/// Index past the `>` that ends the tag whose attributes start at `i`, quotes respected.
fn tag_end(b: &[u8], mut i: usize) -> usize {
    let mut quote = None;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'"' | b'\'') => quote = Some(b[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

/// Attributes of a start tag as written: (name, raw value).
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 1 + b[1..].iter().take_while(|&&c| is_name_byte(c)).count();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let n = b[i..].iter().take_while(|&&c| is_name_byte(c)).count();
        if n == 0 {
            return out;
        }
        let name = &tag[i..i + n];
        i += n;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let Some(&q @ (b'"' | b'\'')) = b.get(i) else {
            return out;
        };
        let close = b[i + 1..].iter().position(|&c| c == q).map_or(b.len(), |p| i + 1 + p);
        out.push((name, &tag[i + 1..close]));
        i = (close + 1).min(b.len());
    }
}

/// RSS 0.91/0.92/2.0 written with items after `</channel>` (Radio UserLand and hand-written
/// templates did this; RSS 0.90 put them there by design): the `</channel>` is moved to just
/// before `</rss>`, so that feed-rs, which reads only the channel, sees them.
pub(crate) fn items_into_channel(text: &str) -> Option<String> {
    const CLOSE: &str = "</channel>";
    let close = text.rfind(CLOSE)?;
    let after = close + CLOSE.len();
    let b = text.as_bytes();
    let mut i = after;
    let mut found = false;
    while let Some(t) = next_tag(b, i) {
        if !t.closing && local(&text[t.name.clone()]) == "item" {
            found = true;
            break;
        }
        i = t.end;
    }
    if !found {
        return None;
    }
    let rss_close = text[after..].rfind("</rss").map_or(text.len(), |p| after + p);
    let mut s = String::with_capacity(text.len());
    s.push_str(&text[..close]);
    s.push_str(&text[after..rss_close]);
    s.push_str(CLOSE);
    s.push_str(&text[rss_close..]);
    Some(s)
}

/// Every element name that starts with `prefix:` without it (`<r:item>` to `<item>`): RSS
/// 0.9x/2.0 have no namespace, so a producer that prefixed them (`<r:rss>`) meant plain RSS.
pub(crate) fn strip_prefix(text: &str, prefix: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(t) = next_tag(b, i) {
        let name = &text[t.name.clone()];
        if let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix(':')) {
            out.push_str(&text[copied..t.name.start]);
            out.push_str(rest);
            copied = t.name.end;
        }
        i = t.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The `href` given to RSS 0.90/1.0 items that have no `<link>` (which feed-rs drops): a
/// marker with the item's number in [`rdf_items_without_link`]'s list, recognised when the
/// article is built and replaced by no link at all.
pub(crate) const NO_LINK: &str = "tidings-no-link:";

/// Gives each RSS 0.90/1.0 `<item>` without a `<link>` a [`NO_LINK`] marker, so feed-rs keeps
/// it. Returns the text and, per marker number, the item's `rdf:about` (its identity).
pub(crate) fn rdf_items_without_link(text: &str) -> Option<(String, Vec<Option<String>>)> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut abouts = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(t) = next_tag(b, i) {
        i = t.end;
        let qname = &text[t.name.clone()];
        if t.closing || t.empty || local(qname) != "item" {
            continue;
        }
        // Up to this item's end: is there a <link>?
        let mut has_link = false;
        let mut j = t.end;
        while let Some(c) = next_tag(b, j) {
            j = c.end;
            let name = &text[c.name.clone()];
            if c.closing && name == qname {
                break;
            }
            if !c.closing && local(name) == "link" {
                has_link = true;
            }
        }
        if !has_link {
            let start_tag = &text[t.start..t.end];
            let about = attributes(start_tag)
                .into_iter()
                .find(|(n, _)| local(n) == "about")
                .map(|(_, v)| crate::html::decode_entities(v).trim().to_owned())
                .filter(|v| !v.is_empty());
            let prefix = qname.strip_suffix("item").unwrap_or("");
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 256));
            o.push_str(&text[copied..t.end]);
            o.push_str(&format!("<{prefix}link>{NO_LINK}{}</{prefix}link>", abouts.len()));
            copied = t.end;
            abouts.push(about);
        }
        i = j;
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some((o, abouts))
}

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// Atom 0.3 as Blogger and Movable Type wrote it, made Atom 1.0 enough for feed-rs: the 0.3
/// namespace (declared again on each entry by Blogger) becomes 1.0's; text constructs'
/// MIME `type`s become 1.0's `text`/`html`/`xhtml`; `mode="base64"` content is decoded
/// (and escaped), `mode="escaped"` is what 1.0's `html` means and `mode="xml"` its `xhtml`.
pub(crate) fn atom03(text: &str) -> String {
    let text = text
        .replace(&format!("\"{ATOM03_NS}\""), &format!("\"{ATOM_NS}\""))
        .replace(&format!("'{ATOM03_NS}'"), &format!("'{ATOM_NS}'"));
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    let mut unclosed_base64 = false;
    while let Some(t) = next_tag(b, i) {
        i = t.end;
        let qname = &text[t.name.clone()];
        let is_construct = matches!(
            local(qname),
            "title" | "subtitle" | "tagline" | "summary" | "content" | "info" | "copyright" | "rights"
        );
        if t.closing || !is_construct {
            continue;
        }
        let start_tag = &text[t.start..t.end];
        let attrs = attributes(start_tag);
        let get =
            |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.trim().to_ascii_lowercase());
        let mode = get("mode");
        let mime = get("type");
        if mode.is_none() && mime.as_deref().is_none_or(|m| matches!(m, "text" | "html" | "xhtml")) {
            continue;
        }
        let new_type = match (mode.as_deref(), mime.as_deref()) {
            (Some("xml"), _) => Some("xhtml"),
            (_, Some(m)) if m.contains("xhtml") || m.ends_with("+xml") => Some("xhtml"),
            (_, Some(m)) if m.contains("html") => Some("html"),
            (_, Some(m)) if m.starts_with("text/") => Some("text"),
            (_, None) => Some("text"),
            // Another type (an image in base64): left as written, it is no body.
            _ => None,
        };
        let Some(new_type) = new_type else { continue };
        // The rewritten start tag: every other attribute as written.
        let mut tag = String::with_capacity(start_tag.len());
        tag.push('<');
        tag.push_str(qname);
        for (n, v) in &attrs {
            if *n != "type" && *n != "mode" {
                let q = if v.contains('"') { '\'' } else { '"' };
                tag.push_str(&format!(" {n}={q}{v}{q}"));
            }
        }
        tag.push_str(&format!(" type=\"{new_type}\""));
        tag.push_str(if t.empty { "/>" } else { ">" });
        out.push_str(&text[copied..t.start]);
        out.push_str(&tag);
        copied = t.end;
        if mode.as_deref() == Some("base64") && !t.empty && !unclosed_base64 {
            let close = format!("</{qname}>");
            let found = text[t.end..].find(&close);
            // Not found once, it is not found later either: no second search to the end.
            unclosed_base64 = found.is_none();
            if let Some(p) = found {
                let inner = &text[t.end..t.end + p];
                if let Some(decoded) = base64(inner).and_then(|v| String::from_utf8(v).ok()) {
                    escape_markup_into(&decoded, &mut out);
                    copied = t.end + p;
                    i = copied;
                }
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Atom 0.3 dates entries with `issued`, `modified` and `created`, which feed-rs does not
/// read: renamed to Atom 1.0's `published` and `updated`, whatever their prefix. `created`
/// stands in for `issued` only in an entry that has none, so that each entry has one
/// `published`. One pass over the tags.
pub(crate) fn atom03_dates(text: &str) -> Option<String> {
    let b = text.as_bytes();
    // (name range, new local name), in any order.
    let mut edits: Vec<(Range<usize>, &str)> = Vec::new();
    let mut in_entry = false;
    let mut has_issued = false;
    let mut created: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while let Some(t) = next_tag(b, i) {
        i = t.end;
        let qname = &text[t.name.clone()];
        // The local name's range: the prefix stays.
        let local_range = t.name.end - local(qname).len()..t.name.end;
        match local(qname) {
            "entry" if !t.closing && !t.empty => {
                in_entry = true;
                has_issued = false;
                created.clear();
            }
            "entry" if t.closing => {
                if !has_issued {
                    edits.extend(created.drain(..).map(|r| (r, "published")));
                }
                in_entry = false;
                created.clear();
            }
            "issued" => {
                has_issued = true;
                edits.push((local_range, "published"));
            }
            "modified" => edits.push((local_range, "updated")),
            "created" if in_entry => created.push(local_range),
            _ => {}
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + 8 * edits.len());
    let mut copied = 0;
    for (r, name) in edits {
        out.push_str(&text[copied..r.start]);
        out.push_str(name);
        copied = r.end;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Standard base64 (whitespace ignored, padding optional); `None` for anything else.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// At most this many entities are read from an internal DTD subset.
const MAX_ENTITIES: usize = 256;
/// An entity whose replacement text would be longer than this (nested entities multiply: a
/// "billion laughs") is not expanded at all, nor is any entity that uses it.
const MAX_ENTITY_LEN: usize = 4 * 1024;
/// Expanding entities adds at most this many bytes to a document; later references stay.
const MAX_EXPANSION: usize = 4 * 1024 * 1024;

/// What [`references`] did, for the fetch log.
#[derive(Default)]
pub(crate) struct RefsRead {
    pub dtd: usize,
    pub html: usize,
    pub upper_hex: usize,
    /// References to DTD entities left as written: they would expand too far.
    pub refused: usize,
}

impl RefsRead {
    /// What was read, in words for the fetch log.
    pub(crate) fn notes(&self) -> Vec<String> {
        let refs = |n: usize| crate::words::plural(n as u64, "reference");
        let mut notes = Vec::new();
        if self.dtd > 0 {
            notes.push(format!("entities declared in the document's DTD expanded ({})", refs(self.dtd)));
        }
        if self.refused > 0 {
            notes.push(format!(
                "{} to entities declared in the document's DTD left as written: they would expand too far",
                refs(self.refused)
            ));
        }
        if self.html > 0 {
            notes.push(format!("recovered: HTML named entities read ({})", refs(self.html)));
        }
        if self.upper_hex > 0 {
            notes.push(format!("recovered: upper-case &#X references read ({})", refs(self.upper_hex)));
        }
        notes
    }
}

/// References XML parsers reject or leave unread: `&#X41;` (XML wants a lower-case `x`),
/// entities declared in the document's internal DTD subset (expanded, bounded), and HTML
/// named entities (`&eacute;`, `&nbsp;`, which RSS 0.91's DTD declared and feeds still use)
/// written as numeric references. CDATA sections and comments are left alone. The text is
/// `None` when nothing changed.
pub(crate) fn references(text: &str) -> (Option<String>, RefsRead) {
    if !text.contains('&') {
        return (None, RefsRead::default());
    }
    let b = text.as_bytes();
    let (entities, refused, body_from) = internal_entities(text);
    let mut out: Option<String> = None;
    let mut read = RefsRead::default();
    let mut added = 0usize;
    let mut copied = 0;
    let mut i = body_from;
    while let Some(p) = b[i..].iter().position(|&c| c == b'&' || c == b'<') {
        let at = i + p;
        if b[at] == b'<' {
            let rest = &b[at..];
            let close: Option<&[u8]> = if rest.starts_with(b"<![CDATA[") {
                Some(b"]]>")
            } else if rest.starts_with(b"<!--") {
                Some(b"-->")
            } else if rest.starts_with(b"<?") {
                Some(b"?>")
            } else {
                None
            };
            i = match close {
                Some(c) => super::decode::find(rest, c).map_or(b.len(), |e| at + e + c.len()),
                None => at + 1,
            };
            continue;
        }
        i = at + 1;
        let rest = &text[at..];
        let replacement: Option<String> = if rest.starts_with("&#X") {
            read.upper_hex += 1;
            Some("&#x".to_owned())
        } else {
            let n = rest.as_bytes()[1..]
                .iter()
                .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
                .count();
            if n == 0 || rest.as_bytes().get(1 + n) != Some(&b';') {
                continue;
            }
            let name = &rest[1..1 + n];
            if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
                continue;
            }
            if let Some(v) = entities.get(name).filter(|v| added + v.len() <= MAX_EXPANSION) {
                read.dtd += 1;
                added += v.len();
                Some(v.clone())
            } else if entities.contains_key(name) || refused.contains(name) {
                read.refused += 1;
                continue;
            } else if let Some((c1, c2)) = html_entity(&rest[1..2 + n]) {
                read.html += 1;
                let mut s = format!("&#{c1};");
                if c2 != 0 {
                    s.push_str(&format!("&#{c2};"));
                }
                Some(s)
            } else {
                continue;
            }
        };
        if let Some(r) = replacement {
            let used = if r == "&#x" { 3 } else { rest.find(';').map_or(1, |e| e + 1) };
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            o.push_str(&text[copied..at]);
            o.push_str(&r);
            copied = at + used;
            i = copied;
        }
    }
    let fixed = out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    });
    (fixed, read)
}

/// The general entities of the internal DTD subset, each with the earlier ones expanded in
/// its value; the names refused for expanding too far; and the index where the document
/// after the DOCTYPE starts (0 without one).
fn internal_entities(text: &str) -> (HashMap<String, String>, HashSet<String>, usize) {
    let mut map = HashMap::new();
    let mut refused = HashSet::new();
    let b = text.as_bytes();
    // The DOCTYPE comes before the root, which comes early; a DOCTYPE further in is not one.
    let head = &b[..b.len().min(64 * 1024)];
    let Some(start) = super::decode::find(head, b"<!DOCTYPE") else {
        return (map, refused, 0);
    };
    if next_tag(b, 0).is_some_and(|t| t.start < start) {
        return (map, refused, 0);
    }
    let Some(len) = super::sniff::doctype_end(&b[start..]) else {
        return (map, refused, 0);
    };
    let decl = &text[start..start + len];
    let mut rest = decl;
    while let Some(p) = rest.find("<!ENTITY") {
        rest = &rest[p + 8..];
        if map.len() >= MAX_ENTITIES {
            break;
        }
        let r = rest.trim_start();
        // Parameter entities (`%`) serve the DTD itself, not the document.
        if r.starts_with('%') {
            continue;
        }
        let name_len = r.bytes().take_while(|&c| is_name_byte(c)).count();
        if name_len == 0 {
            continue;
        }
        let name = &r[..name_len];
        let v = r[name_len..].trim_start();
        // External entities (SYSTEM, PUBLIC) are never fetched.
        let Some(q @ ('"' | '\'')) = v.chars().next() else {
            continue;
        };
        let Some(end) = v[1..].find(q) else { continue };
        // The first declaration of a name is the one that counts.
        if map.contains_key(name) || refused.contains(name) {
            continue;
        }
        match expand(&v[1..1 + end], &map, &refused) {
            Some(value) => map.insert(name.to_owned(), value),
            None => {
                refused.insert(name.to_owned());
                None
            }
        };
    }
    (map, refused, start + len)
}

/// `value` with references to `known` entities replaced; `None` when it would be longer
/// than [`MAX_ENTITY_LEN`] or uses a `refused` entity.
fn expand(value: &str, known: &HashMap<String, String>, refused: &HashSet<String>) -> Option<String> {
    let mut out = String::with_capacity(value.len().min(MAX_ENTITY_LEN));
    let mut rest = value;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let name = rest.find(';').filter(|&e| e > 1 && e < 64).map(|e| &rest[1..e]);
        if name.is_some_and(|n| refused.contains(n)) {
            return None;
        }
        match name.and_then(|n| known.get(n).map(|v| (n.len() + 2, v))) {
            Some((used, v)) => {
                out.push_str(v);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
        if out.len() > MAX_ENTITY_LEN {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= MAX_ENTITY_LEN).then_some(out)
}

/// RSS `<title>`s that hold elements (`<title><b>New</b> release</title>`, which feed-rs
/// reads as only the text between them): the markup is escaped, so the title is read whole
/// and then flattened to text like any HTML title. A title that runs into an item's or the
/// channel's tags (an unclosed title) is left alone. One pass over the tags. Returns the text
/// and how many titles were changed.
pub(crate) fn escape_title_markup(text: &str) -> Option<(String, usize)> {
    escape_markup_in(text, &["title"])
}

/// RSS `<description>`s and `<content:encoded>`s that hold HTML as elements rather than
/// escaped or in a CDATA section (`<description>A <b>famous</b> win</description>`, of
/// which feed-rs reads only "A "): the markup is escaped, so the body is read whole, as the
/// HTML it is (feedparser reads it so). As [`escape_title_markup`] otherwise.
pub(crate) fn escape_body_markup(text: &str) -> Option<(String, usize)> {
    escape_markup_in(text, &["description", "content:encoded"])
}

/// The elements named `names` (as written, prefix included) that hold elements, their markup
/// escaped; how many were changed.
fn escape_markup_in(text: &str, names: &[&str]) -> Option<(String, usize)> {
    let b = text.as_bytes();
    // Inner ranges of the elements to escape, in order.
    let mut ranges: Vec<Range<usize>> = Vec::new();
    // The open element's inner start, and whether it holds an element so far.
    let mut open: Option<(usize, bool)> = None;
    let mut i = 0;
    while let Some(t) = next_tag(b, i) {
        i = t.end;
        let name = &text[t.name.clone()];
        if names.contains(&name) && !t.empty {
            if t.closing {
                if let Some((start, true)) = open {
                    ranges.push(start..t.start);
                }
                open = None;
            } else {
                open = Some((t.end, false));
            }
            continue;
        }
        if let Some((start, _)) = open {
            open = if matches!(local(name), "item" | "channel" | "entry" | "rss" | "RDF") {
                None
            } else {
                Some((start, true))
            };
        }
    }
    if ranges.is_empty() {
        return None;
    }
    let mut o = String::with_capacity(text.len() + 16 * ranges.len());
    let mut copied = 0;
    for r in &ranges {
        o.push_str(&text[copied..r.start]);
        let mut rest = &text[r.clone()];
        while let Some(p) = rest.find(['<', '>']) {
            o.push_str(&rest[..p]);
            if rest[p..].starts_with("<![CDATA[") {
                let e = rest[p..].find("]]>").map_or(rest.len(), |e| p + e + 3);
                o.push_str(&rest[p..e]);
                rest = &rest[e..];
                continue;
            }
            o.push_str(if rest.as_bytes()[p] == b'<' { "&lt;" } else { "&gt;" });
            rest = &rest[p + 1..];
        }
        o.push_str(rest);
        copied = r.end;
    }
    o.push_str(&text[copied..]);
    Some((o, ranges.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom03_dates_are_renamed_per_entry() {
        let doc = "<feed><modified>m</modified><entry><a:issued>i</a:issued><created>c</created></entry>\
                   <entry><created>c</created><modified>m</modified></entry></feed>";
        assert_eq!(
            atom03_dates(doc).as_deref(),
            Some(
                "<feed><updated>m</updated><entry><a:published>i</a:published><created>c</created></entry>\
                 <entry><published>c</published><updated>m</updated></entry></feed>"
            )
        );
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(base64("aGVs\nbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("a*b"), None);
    }

    #[test]
    fn items_after_channel_move_in() {
        let doc = "<rss><channel><title>t</title></channel><item><title>x</title></item></rss>";
        assert_eq!(
            items_into_channel(doc).as_deref(),
            Some("<rss><channel><title>t</title><item><title>x</title></item></channel></rss>")
        );
        assert!(items_into_channel("<rss><channel><item/></channel></rss>").is_none());
    }

    #[test]
    fn prefix_is_stripped_from_names_only() {
        let doc = "<r:rss xmlns:r=\"u\"><r:channel><r:title>r:x</r:title></r:channel></r:rss>";
        assert_eq!(strip_prefix(doc, "r"), "<rss xmlns:r=\"u\"><channel><title>r:x</title></channel></rss>");
    }

    #[test]
    fn linkless_rdf_items_get_a_marker() {
        let doc = "<rdf:RDF><item rdf:about=\"urn:a\"><title>a</title></item><item><link>http://x</link></item></rdf:RDF>";
        let (fixed, abouts) = rdf_items_without_link(doc).expect("changed");
        assert!(fixed.contains("<item rdf:about=\"urn:a\"><link>tidings-no-link:0</link>"), "{fixed}");
        assert_eq!(abouts, [Some("urn:a".to_owned())]);
    }

    #[test]
    fn references_are_read() {
        let doc = "<!DOCTYPE rss [<!ENTITY a \"A&b;\"><!ENTITY b \"x\"><!ENTITY c \"&a;!\">]><rss>&#X41; &c; &eacute; &amp; <![CDATA[&eacute;]]> &nope;</rss>";
        let (fixed, read) = references(doc);
        let fixed = fixed.expect("changed");
        assert!(
            fixed.ends_with("<rss>&#x41; A&b;! &#233; &amp; <![CDATA[&eacute;]]> &nope;</rss>"),
            "{fixed}"
        );
        assert_eq!((read.dtd, read.html, read.upper_hex), (1, 1, 1));
    }

    #[test]
    fn body_markup_is_escaped() {
        let doc = "<item><title>t</title><description>A <b>B</b> &amp; <img src=\"i.png\"> <![CDATA[<i>c</i>]]></description>\
                   <content:encoded><p>P</p></content:encoded><media:description><b>m</b></media:description></item>";
        let (fixed, n) = escape_body_markup(doc).expect("changed");
        assert_eq!(
            fixed,
            "<item><title>t</title><description>A &lt;b&gt;B&lt;/b&gt; &amp; &lt;img src=\"i.png\"&gt; <![CDATA[<i>c</i>]]></description>\
             <content:encoded>&lt;p&gt;P&lt;/p&gt;</content:encoded><media:description><b>m</b></media:description></item>"
        );
        assert_eq!(n, 2);
        assert!(escape_body_markup(
            "<item><description>plain &amp; <![CDATA[<b>x</b>]]></description></item>"
        )
        .is_none());
    }

    #[test]
    fn title_markup_is_escaped() {
        let doc = "<item><title><b>x</b> y</title><title>z</title></item>";
        let (fixed, n) = escape_title_markup(doc).expect("changed");
        assert_eq!(fixed, "<item><title>&lt;b&gt;x&lt;/b&gt; y</title><title>z</title></item>");
        assert_eq!(n, 1);
        // An unclosed title is not stretched over the next item.
        assert!(escape_title_markup("<item><title>a<b>x</b></item><item><title>b</title></item>").is_none());
    }
}

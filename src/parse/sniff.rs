//! Looks at the start of a decoded document: is it JSON, XML or HTML, and what is its root.
//!
//! A light scanner, not an XML parser: it skips the prolog (declaration, comments, processing
//! instructions, DOCTYPE) and reads the first start tag. It never fails; odd input just gives
//! "no root".

use std::ops::Range;

/// What the first significant character says the document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Nothing but whitespace.
    Empty,
    /// Starts with `{`.
    Json,
    /// Starts with markup: `root` is the first start tag, if there is one.
    Markup { root: Option<Root>, doctype_html: bool },
    /// Starts with something else (plain text, an error message...).
    Text,
}

/// The root element's start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Root {
    /// The name as written, prefix included (`rdf:RDF`).
    pub qname: String,
    /// Byte range of the name in the text.
    pub name_range: Range<usize>,
    /// Attributes as written: name, value range (without quotes) in the text.
    pub attrs: Vec<(String, Range<usize>)>,
    /// Index just past the start tag's `>` (the text's end if the tag is unclosed).
    pub tag_end: usize,
    /// Whether the tag is self-closing (`<rss/>`).
    pub empty: bool,
}

impl Root {
    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(&self.qname)
    }

    /// The raw (still entity-encoded) value of attribute `name`, read from the `text` this
    /// root was found in.
    pub fn attr<'t>(&self, text: &'t str, name: &str) -> Option<&'t str> {
        self.attrs.iter().find(|(n, _)| n == name).and_then(|(_, r)| text.get(r.clone()))
    }
}

/// Element names that start an HTML page or fragment, never a feed.
const HTML_ROOTS: &[&str] = &[
    "html", "head", "body", "title", "meta", "link", "script", "style", "div", "p", "span", "table",
    "center", "h1", "h2", "h3", "h4", "h5", "h6", "br", "a", "img", "form", "iframe", "frameset", "noscript",
    "header", "nav", "main", "section", "article", "font", "pre",
];

/// Whether the root element is one that only HTML documents start with.
pub(crate) fn is_html_root(root: &Root) -> bool {
    let name = root.local_name();
    HTML_ROOTS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Classifies decoded text (no BOM) by its first significant character and first element.
pub(crate) fn classify(text: &str) -> Kind {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    match b.get(i) {
        None => return Kind::Empty,
        Some(b'{') => return Kind::Json,
        Some(b'<') => {}
        Some(_) => return Kind::Text,
    }
    let mut doctype_html = false;
    loop {
        i = skip_ws(b, i);
        let rest = &b[i..];
        if rest.is_empty() {
            return Kind::Markup { root: None, doctype_html };
        }
        if rest[0] != b'<' {
            // Stray text between prolog items: skip it like a lenient parser would.
            match rest.iter().position(|&c| c == b'<') {
                Some(p) => {
                    i += p;
                    continue;
                }
                None => return Kind::Markup { root: None, doctype_html },
            }
        }
        if rest.starts_with(b"<!--") {
            i = match super::decode::find(&rest[4..], b"-->") {
                Some(p) => i + 4 + p + 3,
                None => b.len(),
            };
        } else if rest.starts_with(b"<?") {
            i = match super::decode::find(rest, b"?>") {
                Some(p) => i + p + 2,
                None => b.len(),
            };
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!doctype") {
            let after = &rest[9..];
            let name_start = skip_ws(after, 0);
            let name: Vec<u8> =
                after[name_start..].iter().take_while(|c| c.is_ascii_alphanumeric()).copied().collect();
            if name.eq_ignore_ascii_case(b"html") {
                doctype_html = true;
            }
            i += 9 + doctype_len(after);
        } else if rest.starts_with(b"<!") {
            i = match rest.iter().position(|&c| c == b'>') {
                Some(p) => i + p + 1,
                None => b.len(),
            };
        } else {
            return Kind::Markup { root: read_start_tag(text, i), doctype_html };
        }
    }
}

/// Where the feed starts when junk precedes it: plain text, or an HTML fragment such as the
/// `<br /><b>Warning</b>: ...` that PHP prints before a feed. `None` when the document starts
/// normally, is a real HTML page, or has no feed start in its first 64 KiB.
pub(crate) fn junk_before_feed(text: &str, kind: &Kind) -> Option<usize> {
    let junk = match kind {
        Kind::Text => true,
        Kind::Markup { root: Some(r), doctype_html: false } => {
            ["br", "b", "font", "p", "div", "pre", "span"].iter().any(|n| n.eq_ignore_ascii_case(&r.qname))
        }
        _ => false,
    };
    if !junk {
        return None;
    }
    let head = &text.as_bytes()[..text.len().min(64 * 1024)];
    ["<?xml ", "<rss", "<feed", "<rdf:RDF"]
        .iter()
        .filter_map(|m| super::decode::find(head, m.as_bytes()))
        .min()
        .filter(|&p| p > 0 && text.is_char_boundary(p))
}

/// Where the feed is when an XHTML page merely wraps one: `<html><body><feed xmlns=...>`
/// (a feed saved from a browser or pasted into a template; feedparser reads it). Only when
/// the body's first element is the feed's root, so a real page never qualifies. The range
/// runs from the feed's `<` to the end of its last end tag.
pub(crate) fn feed_inside_html(text: &str, kind: &Kind) -> Option<Range<usize>> {
    let Kind::Markup { root: Some(html), .. } = kind else { return None };
    if !html.local_name().eq_ignore_ascii_case("html") || html.empty {
        return None;
    }
    let body = read_start_tag(text, next_element(text, html.tag_end)?)?;
    if !body.local_name().eq_ignore_ascii_case("body") || body.empty {
        return None;
    }
    let start = next_element(text, body.tag_end)?;
    let feed = read_start_tag(text, start)?;
    // It must say it is a feed, not just be named like one: an Atom namespace, an RSS
    // version, and content (`<body><feed/></body>` is a page).
    let closer = match feed.local_name() {
        "feed" if feed.attr(text, "xmlns").is_some_and(|ns| ns.to_ascii_lowercase().contains("atom")) => {
            "</feed>"
        }
        "rss" if feed.attr(text, "version").is_some() => "</rss>",
        _ => return None,
    };
    if feed.empty {
        return None;
    }
    let close = format!("</{}>", feed.qname);
    let end =
        text.rfind(&close).map(|p| p + close.len()).or_else(|| text.rfind(closer).map(|p| p + closer.len()));
    // A feed cut off before its end tag: all of the rest, the repairs deal with it.
    Some(start..end.filter(|&e| e > start).unwrap_or(text.len()))
}

/// The `<` of the next start tag from `i`, skipping whitespace and comments; `None` when
/// anything else (text, an end tag) comes first.
fn next_element(text: &str, mut i: usize) -> Option<usize> {
    let b = text.as_bytes();
    loop {
        i = skip_ws(b, i);
        let rest = b.get(i..)?;
        if rest.starts_with(b"<!--") {
            i += 4 + super::decode::find(&rest[4..], b"-->")? + 3;
        } else if rest.first() == Some(&b'<') && rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            return Some(i);
        } else {
            return None;
        }
    }
}

/// Length of a DOCTYPE's body up to and including its `>`, skipping an internal subset in
/// brackets (which may itself contain `>`).
fn doctype_len(b: &[u8]) -> usize {
    doctype_end(b).unwrap_or(b.len())
}

/// Like [`doctype_len`], `None` when the text ends before the `>`.
pub(crate) fn doctype_end(b: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (k, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return Some(k + 1),
                _ => {}
            },
        }
    }
    None
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_whitespace()) {
        i += 1;
    }
    i
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.') || c >= 0x80
}

/// Reads the start tag at `i` (which holds `<`).
fn read_start_tag(text: &str, i: usize) -> Option<Root> {
    let b = text.as_bytes();
    let name_start = i + 1;
    let mut j = name_start;
    while j < b.len() && is_name_byte(b[j]) {
        j += 1;
    }
    if j == name_start {
        return None;
    }
    let qname = text.get(name_start..j)?.to_owned();
    let name_range = name_start..j;
    let mut attrs = Vec::new();
    loop {
        j = skip_ws(b, j);
        match b.get(j) {
            None | Some(b'>') => break,
            Some(b'/') => {
                j += 1;
                continue;
            }
            _ => {}
        }
        let an_start = j;
        while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/') {
            j += 1;
        }
        let aname = text.get(an_start..j)?.to_owned();
        if j == an_start {
            // A lone '=' or similar junk: step over it.
            j += 1;
            continue;
        }
        j = skip_ws(b, j);
        if b.get(j) != Some(&b'=') {
            attrs.push((aname, j..j));
            continue;
        }
        j = skip_ws(b, j + 1);
        match b.get(j) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let vstart = j + 1;
                // An unclosed quote ends the tag: keep what we have.
                let Some(vlen) = b[vstart..].iter().position(|&c| c == q) else {
                    break;
                };
                attrs.push((aname, vstart..vstart + vlen));
                j = vstart + vlen + 1;
            }
            _ => {
                let vstart = j;
                while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                    j += 1;
                }
                attrs.push((aname, vstart..j));
            }
        }
    }
    let tag_end = if b.get(j) == Some(&b'>') { j + 1 } else { b.len() };
    let empty = b.get(..j).is_some_and(|h| h.ends_with(b"/"));
    Some(Root { qname, name_range, attrs, tag_end, empty })
}

const RSS1_NS: &str = "http://purl.org/rss/1.0/";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// Makes the root element acceptable to feed-rs, which otherwise rejects the document or
/// silently returns no items. `None` when nothing needs changing.
///
/// - `<rss>`: feed-rs only recognises `version="2.0"`, `"0.91"`, `"0.92"` or an empty version,
///   so a bare `<rss>` or another number ("0.93", "2.01", "1.0") fails with NoFeedRoot; those
///   documents are RSS 2.0 in practice (newsboat reads them so) and get `version="2.0"`.
///   feed-rs also requires a `<channel>`: items put straight under `<rss>` get one wrapped
///   around them.
/// - A default namespace feed-rs does not know makes it skip every element: RSS 2.0 under
///   Userland's `xmlns="http://backend.userland.com/rss2"`, Atom 0.3 under
///   `http://purl.org/atom/ns#`, RSS 0.90 under Netscape's RDF namespace. RSS 2.0 gets no
///   namespace, Atom 0.3 is read as Atom 1.0 and RSS 0.90 as RSS 1.0 (close enough to keep
///   titles, links and bodies).
pub(crate) fn fix_root(text: &str, root: &Root) -> Option<String> {
    if root.empty {
        return None;
    }
    // (range to replace, replacement), applied in order of position.
    let mut edits: Vec<(Range<usize>, &str)> = Vec::new();
    let attr_range = |name: &str| root.attrs.iter().find(|(n, _)| n == name).map(|(_, r)| r.clone());
    let default_ns = attr_range("xmlns");
    let ns_value = default_ns.as_ref().and_then(|r| text.get(r.clone()));
    let mut wrap_channel = false;
    match root.qname.as_str() {
        "rss" => {
            match attr_range("version") {
                Some(r) if !matches!(text.get(r.clone()), Some("2.0" | "0.91" | "0.92" | "")) => {
                    edits.push((r, "2.0"));
                }
                Some(_) => {}
                None => edits.push((root.name_range.end..root.name_range.end, " version=\"2.0\"")),
            }
            if let (Some(r), Some(v)) = (&default_ns, ns_value) {
                if v != RSS1_NS && !v.is_empty() {
                    edits.push((r.clone(), ""));
                }
            }
            let body = text.get(root.tag_end..)?;
            wrap_channel = super::decode::find(body.as_bytes(), b"<channel").is_none();
        }
        "feed" => {
            if let (Some(r), Some(v)) = (&default_ns, ns_value) {
                if v != ATOM_NS {
                    edits.push((r.clone(), ATOM_NS));
                }
            }
        }
        "rdf:RDF" | "RDF" => {
            if let (Some(r), Some(v)) = (&default_ns, ns_value) {
                if v != RSS1_NS {
                    edits.push((r.clone(), RSS1_NS));
                }
            }
        }
        _ => {}
    }
    if edits.is_empty() && !wrap_channel {
        return None;
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut s = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (r, replacement) in edits {
        s.push_str(text.get(at..r.start)?);
        s.push_str(replacement);
        at = r.end;
    }
    if !wrap_channel {
        s.push_str(text.get(at..)?);
        return Some(s);
    }
    s.push_str(text.get(at..root.tag_end)?);
    s.push_str("<channel>");
    let body = text.get(root.tag_end..)?;
    match body.rfind("</rss") {
        Some(end) => {
            s.push_str(&body[..end]);
            s.push_str("</channel>");
            s.push_str(&body[end..]);
        }
        None => {
            s.push_str(body);
            s.push_str("</channel>");
        }
    }
    Some(s)
}

/// The `xml:base` of each `<entry>` of an Atom document, in document order (`None` for an
/// entry without one). Entries are counted however deep they sit, as feed-rs lists them.
pub(crate) fn entry_xml_bases(text: &str) -> Vec<Option<String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut bases = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().into_inner() == "entry" => {
                let base =
                    e.attributes().flatten().find(|a| a.key.into_inner() == "xml:base").and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(std::borrow::Cow::into_owned)
                    });
                bases.push(base);
            }
            Ok(Event::Eof) | Err(_) => return bases,
            Ok(_) => {}
        }
    }
}

/// How many `<item>` or `<entry>` elements (any prefix, any case: `<rdf:item>`, `<ITEM>`)
/// the markup holds, outside comments and CDATA sections. One linear scan.
pub(crate) fn item_elements(text: &str) -> u64 {
    let b = text.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while let Some(off) = memchr_lt(&b[i..]) {
        i += off + 1;
        let rest = &b[i..];
        let skip_to = |end: &[u8]| super::decode::find(rest, end).map(|p| p + end.len());
        if rest.starts_with(b"!--") {
            match skip_to(b"-->") {
                Some(p) => i += p,
                None => break,
            }
            continue;
        }
        if rest.starts_with(b"![CDATA[") {
            match skip_to(b"]]>") {
                Some(p) => i += p,
                None => break,
            }
            continue;
        }
        let name_len = rest.iter().take_while(|&&c| is_name_byte(c)).count();
        let name = &rest[..name_len];
        let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
        let ends = matches!(rest.get(name_len), Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n'));
        if ends && (local.eq_ignore_ascii_case(b"item") || local.eq_ignore_ascii_case(b"entry")) {
            count += 1;
        }
        i += name_len;
    }
    count
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'<')
}

/// Whether a JSON document has a top-level-looking `"items"` list with something in it.
pub(crate) fn json_has_items(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(p) = super::decode::find(&b[from..], b"\"items\"") {
        let mut i = from + p + 7;
        from = i;
        i = skip_ws(b, i);
        if b.get(i) != Some(&b':') {
            continue;
        }
        i = skip_ws(b, i + 1);
        if b.get(i) != Some(&b'[') {
            continue;
        }
        i = skip_ws(b, i + 1);
        return b.get(i).is_some_and(|&c| c != b']');
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_of(t: &str) -> Root {
        match classify(t) {
            Kind::Markup { root: Some(r), .. } => r,
            k => panic!("no root: {k:?}"),
        }
    }

    #[test]
    fn finds_root_after_prolog() {
        let t = "<?xml version='1.0'?>\n<!-- c > -->\n<!DOCTYPE rss [<!ENTITY x '>'>]>\n<?pi x?><rss a='1' b = \"2\" c=3 d><channel/></rss>";
        let r = root_of(t);
        assert_eq!(r.qname, "rss");
        assert_eq!(r.attr(t, "a"), Some("1"));
        assert_eq!(r.attr(t, "b"), Some("2"));
        assert_eq!(r.attr(t, "c"), Some("3"));
        assert_eq!(r.attr(t, "d"), Some(""));
        assert_eq!(&t[r.name_range.clone()], "rss");
    }

    #[test]
    fn classifies() {
        assert_eq!(classify("  \n"), Kind::Empty);
        assert_eq!(classify(" {\"a\":1}"), Kind::Json);
        assert_eq!(classify("Error 404"), Kind::Text);
        assert!(matches!(classify("<!DOCTYPE html><html>"), Kind::Markup { doctype_html: true, .. }));
        assert!(matches!(classify("<!-- only -->"), Kind::Markup { root: None, .. }));
        assert!(is_html_root(&root_of("<HTML><body>")));
        assert_eq!(root_of("<rdf:RDF xmlns:rdf='x'>").local_name(), "RDF");
    }

    #[test]
    fn rss_root_is_fixed() {
        let fix = |t: &str| fix_root(t, &root_of(t));
        assert_eq!(fix("<rss><channel/></rss>").as_deref(), Some("<rss version=\"2.0\"><channel/></rss>"));
        assert_eq!(
            fix("<rss version=\"0.93\" a='b'><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\" a='b'><channel/></rss>")
        );
        assert_eq!(fix("<rss version='2.0'><channel/></rss>"), None);
        assert_eq!(fix("<feed><title/></feed>"), None);
        assert_eq!(fix("<rss/>"), None);
        assert_eq!(fix("<rss>\n</rss>").as_deref(), Some("<rss version=\"2.0\"><channel>\n</channel></rss>"));
        assert_eq!(
            fix("<rss version=\"2.0\"><item/></rss >").as_deref(),
            Some("<rss version=\"2.0\"><channel><item/></channel></rss >")
        );
        assert_eq!(fix("<rss><item/>").as_deref(), Some("<rss version=\"2.0\"><channel><item/></channel>"));
        assert_eq!(
            fix("<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"><channel/></rss>")
                .as_deref(),
            Some("<rss version=\"2.0\" xmlns=\"\"><channel/></rss>")
        );
        assert_eq!(
            fix("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title/></feed>").as_deref(),
            Some("<feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\"><title/></feed>")
        );
        assert_eq!(fix("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title/></feed>"), None);
        assert_eq!(
            fix("<rdf:RDF xmlns:rdf=\"r\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"/>"),
            None,
            "self-closing roots are left alone"
        );
        assert_eq!(
            fix("<rdf:RDF xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><channel/></rdf:RDF>").as_deref(),
            Some("<rdf:RDF xmlns=\"http://purl.org/rss/1.0/\"><channel/></rdf:RDF>")
        );
    }
}

//! The last resort for a document that feed-rs rejects even after [`super::repair`]: read it
//! item by item, field by field, and rebuild a small well-formed RSS 2.0 document from what
//! was found, which then goes through the normal strict path.
//!
//! Nothing here needs the document to be well-formed: an element's text runs to its closing
//! tag, or to the next item, or to the end. So a stray `<` or `&`, a mismatched or unclosed
//! tag, an incomplete CDATA section or a document cut off in the middle lose at most the item
//! they are in. Names are matched without regard to case or prefix (`<ITEM>`, `<rss:item>`),
//! which also reads RSS 0.9x/1.0 items outside `<channel>` and Microsoft CDF channels
//! (`<ITEM HREF=...><ABSTRACT>`). Linear in the document's size.

use crate::html::{decode_entities, escape_markup_into};
use crate::words::plural;

/// What was read, as an RSS 2.0 document, and what was done to read it.
pub(crate) struct Rebuilt {
    pub xml: String,
    /// The root was Atom's `<feed>`: the caller reports the format as Atom.
    pub atom: bool,
    /// How many items the document holds (complete or not).
    pub found: usize,
    /// "cut off after 3 items", "1 item skipped: ...".
    pub notes: Vec<String>,
}

/// One `<item>`/`<entry>`: byte range of the whole element and of its start tag.
struct ItemSpan {
    start: usize,
    tag_end: usize,
    end: usize,
    complete: bool,
}

/// Rebuilds the document; `None` when it holds no item at all.
pub(crate) fn rebuild(text: &str) -> Option<Rebuilt> {
    let b = text.as_bytes();
    let starts = item_starts(b);
    if starts.is_empty() {
        return None;
    }
    let atom = root_local(b).is_some_and(|r| r.eq_ignore_ascii_case("feed"));
    let spans: Vec<ItemSpan> = starts
        .iter()
        .enumerate()
        .map(|(i, &(start, tag_end, ref name))| {
            let limit = starts.get(i + 1).map_or(b.len(), |n| n.0);
            match find_close(b, tag_end, limit, name) {
                Some(close_end) => ItemSpan { start, tag_end, end: close_end, complete: true },
                None => ItemSpan { start, tag_end, end: limit, complete: false },
            }
        })
        .collect();

    let mut xml = String::with_capacity(text.len() / 2 + 256);
    xml.push_str(RSS_START);
    let head = &text[..spans[0].start];
    if let Some(t) = element_text(head, &["title"]) {
        push_element(&mut xml, "title", &t);
    }
    if let Some(l) = link_of(head, None) {
        push_element(&mut xml, "link", &l);
    }

    let mut incomplete = 0;
    let mut skipped = 0;
    let last = spans.len() - 1;
    for span in &spans {
        let item = &text[span.start..span.end];
        let start_tag = &text[span.start..span.tag_end];
        let fields = read_item(item, start_tag);
        // A cut-off item is kept when it can be told apart from others (an id or link).
        let keep = span.complete || fields.id.is_some() || fields.link.is_some();
        if !keep || fields.is_empty() {
            skipped += 1;
            continue;
        }
        if !span.complete {
            incomplete += 1;
        }
        fields.write(&mut xml);
    }
    xml.push_str("</channel></rss>\n");

    let mut notes = Vec::new();
    let complete = spans.iter().filter(|s| s.complete).count();
    if incomplete > 0 && !spans[last].complete && complete == spans.len() - 1 {
        notes.push(format!("cut off after {}", plural(complete as u64, "item")));
    } else if incomplete > 0 {
        notes.push(format!("{} not closed, read up to the next item", plural(incomplete as u64, "item")));
    }
    if skipped > 0 {
        notes.push(format!("{} skipped: cut off before an id or link", plural(skipped as u64, "item")));
    }
    Some(Rebuilt { xml, atom, found: spans.len(), notes })
}

/// A Microsoft CDF channel (Internet Explorer 4's "active channels": `<CHANNEL HREF=...>`
/// holding `<ITEM HREF=... LASTMOD=...>` with `<TITLE>` and `<ABSTRACT>`) rebuilt as RSS 2.0.
/// Relative `HREF`s are relative to the channel's `BASE`. An `ITEM` with neither title nor
/// abstract is a screen saver, a desktop component or a page to precache, not an article: it
/// is skipped and counted in the notes. `None` when the document holds no `ITEM`.
pub(crate) fn cdf(text: &str) -> Option<Rebuilt> {
    let b = text.as_bytes();
    let starts = item_starts(b);
    let first = starts.first()?.0;
    let root_at = ["<CHANNEL", "<channel", "<Channel"].iter().find_map(|n| text.find(n))?;
    let root_tag = &text[root_at..tag_end(b, root_at + 1)];
    let href = attr(root_tag, "href");
    let base = attr(root_tag, "base")
        .or_else(|| href.clone())
        .and_then(|u| url::Url::parse(u.trim()).ok())
        .filter(|u| !u.cannot_be_a_base());
    let resolve = |u: &str| match &base {
        Some(b) => b.join(u.trim()).map_or_else(|_| u.trim().to_owned(), |j| j.to_string()),
        None => u.trim().to_owned(),
    };
    let mut xml = String::with_capacity(text.len() + 256);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    let head = &text[..first];
    if let Some(t) = element_text(head, &["title"]) {
        push_element(&mut xml, "title", t.trim());
    }
    if let Some(h) = &href {
        push_element(&mut xml, "link", &resolve(h));
    }
    if let Some(d) = element_text(head, &["abstract"]) {
        push_element(&mut xml, "description", d.trim());
    }
    let mut skipped = 0;
    for (i, (start, tag_end_at, name)) in starts.iter().enumerate() {
        let limit = starts.get(i + 1).map_or(b.len(), |n| n.0);
        let end = find_close(b, *tag_end_at, limit, name).unwrap_or(limit);
        let item = &text[*start..end];
        let start_tag = &text[*start..*tag_end_at];
        let title = element_text(item, &["title"]).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let body = element_text(item, &["abstract"]).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if title.is_none() && body.is_none() {
            skipped += 1;
            continue;
        }
        let fields = Fields {
            title,
            link: attr(start_tag, "href").map(|h| resolve(&h)),
            body,
            // CDF dates are GMT.
            date: attr(start_tag, "lastmod").map(|d| d.trim().to_owned()),
            ..Fields::default()
        };
        fields.write(&mut xml);
    }
    xml.push_str("</channel></rss>\n");
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(format!(
            "{} skipped: no title or abstract (a screen saver or desktop component, not an article)",
            plural(skipped as u64, "CDF item")
        ));
    }
    Some(Rebuilt { xml, atom: false, found: starts.len(), notes })
}

/// The start of a rebuilt document; `content:` is declared for items that have both a
/// content and a summary.
const RSS_START: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>";

/// The fields of one item, as text (bodies as HTML).
#[derive(Default)]
struct Fields {
    title: Option<String>,
    link: Option<String>,
    id: Option<String>,
    /// The full content, else the summary.
    body: Option<String>,
    /// The summary when the item also has a full content (`body`): written as
    /// `<description>` beside `<content:encoded>`, which the strict path keeps apart.
    summary: Option<String>,
    date: Option<String>,
    updated: Option<String>,
    author: Option<String>,
    enclosures: Vec<(String, Option<String>, Option<String>)>,
}

impl Fields {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.link.is_none() && self.id.is_none() && self.body.is_none()
    }

    fn write(&self, xml: &mut String) {
        xml.push_str("<item>");
        if let Some(t) = &self.title {
            push_element(xml, "title", t);
        }
        if let Some(l) = &self.link {
            push_element(xml, "link", l);
        }
        if let Some(id) = &self.id {
            xml.push_str("<guid isPermaLink=\"false\">");
            escape_markup_into(id, xml);
            xml.push_str("</guid>");
        }
        match (&self.body, &self.summary) {
            (Some(b), Some(s)) => {
                push_element(xml, "description", s);
                push_element(xml, "content:encoded", b);
            }
            (Some(b), None) => push_element(xml, "description", b),
            (None, _) => {}
        }
        if let Some(d) = self.date.as_ref().or(self.updated.as_ref()) {
            push_element(xml, "pubDate", d);
        }
        if let Some(a) = &self.author {
            push_element(xml, "author", a);
        }
        for (url, mime, length) in &self.enclosures {
            xml.push_str("<enclosure url=\"");
            escape_markup_into(url, xml);
            xml.push('"');
            if let Some(m) = mime {
                xml.push_str(" type=\"");
                escape_markup_into(m, xml);
                xml.push('"');
            }
            if let Some(l) =
                length.as_ref().filter(|l| l.bytes().all(|c| c.is_ascii_digit()) && !l.is_empty())
            {
                xml.push_str(" length=\"");
                xml.push_str(l);
                xml.push('"');
            }
            xml.push_str("/>");
        }
        xml.push_str("</item>");
    }
}

fn push_element(xml: &mut String, name: &str, text: &str) {
    xml.push('<');
    xml.push_str(name);
    xml.push('>');
    escape_markup_into(text, xml);
    xml.push_str("</");
    xml.push_str(name);
    xml.push('>');
}

fn read_item(item: &str, start_tag: &str) -> Fields {
    let title = element_text(item, &["title"]).filter(|t| !t.trim().is_empty());
    let link = link_of(item, Some(start_tag));
    let id = element_text(item, &["guid", "id"])
        .or_else(|| attr(start_tag, "rdf:about"))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let content = element_text(item, &["content:encoded", "content"]).filter(|b| !b.trim().is_empty());
    let summary =
        element_text(item, &["description", "summary", "abstract"]).filter(|b| !b.trim().is_empty());
    let (body, summary) = match content {
        Some(c) => (Some(c), summary),
        None => (summary, None),
    };
    let date = element_text(item, &["pubdate", "published", "issued", "dc:date", "created"]);
    let updated = element_text(item, &["updated", "modified", "dcterms:modified"]);
    let author = element_text(item, &["dc:creator", "author", "itunes:author"]).map(|a| {
        // Atom's <author> holds <name> and <email>; RSS's is text.
        element_text(&format!("<a>{a}</a>"), &["name"]).unwrap_or(a)
    });
    let mut enclosures = Vec::new();
    let mut rest = item;
    while let Some((tag, after)) = next_start_tag(rest, "enclosure") {
        if let Some(url) = attr(tag, "url") {
            enclosures.push((url, attr(tag, "type"), attr(tag, "length")));
        }
        rest = after;
    }
    Fields {
        title: title.map(|t| t.trim().to_owned()),
        link,
        id,
        body,
        summary,
        date: date.map(|d| d.trim().to_owned()),
        updated: updated.map(|d| d.trim().to_owned()),
        author: author.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        enclosures,
    }
}

/// The page link: RSS's `<link>` text, Atom's alternate `<link href>`, else the item's own
/// `href` (CDF) or `rdf:about` (RSS 1.0).
fn link_of(part: &str, start_tag: Option<&str>) -> Option<String> {
    let mut rest = part;
    while let Some((tag, after)) = next_start_tag(rest, "link") {
        if let Some(href) = attr(tag, "href") {
            let rel = attr(tag, "rel");
            if rel.as_deref().is_none_or(|r| r.eq_ignore_ascii_case("alternate")) {
                return Some(href.trim().to_owned());
            }
        } else if !tag.ends_with("/>") {
            let text = read_text(after, "link");
            if !text.trim().is_empty() {
                return Some(text.trim().to_owned());
            }
        }
        rest = after;
    }
    let tag = start_tag?;
    attr(tag, "href").or_else(|| attr(tag, "rdf:about")).map(|s| s.trim().to_owned())
}

/// The text of the first element named one of `names` (in that order of preference).
fn element_text(part: &str, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        let (tag, after) = next_start_tag(part, name)?;
        if tag.ends_with("/>") {
            return None;
        }
        // Atom XHTML content and Atom 0.3 mode="xml" are markup, not escaped text.
        let markup = attr(tag, "type").is_some_and(|t| t.eq_ignore_ascii_case("xhtml"))
            || attr(tag, "mode").is_some_and(|m| m.eq_ignore_ascii_case("xml"));
        let raw = raw_inner(after, name);
        Some(if markup { raw.to_owned() } else { text_of(raw) })
    })
}

/// The first start tag named `name` (any case, `name` may carry a prefix as written, and an
/// unprefixed `name` also matches any prefix): the tag and the text after it.
fn next_start_tag<'t>(part: &'t str, name: &str) -> Option<(&'t str, &'t str)> {
    let b = part.as_bytes();
    let mut i = 0;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if let Some(skip) = skip_special(b, at) {
            i = skip;
            continue;
        }
        let (qname, name_end) = read_name(b, at + 1);
        i = at + 1;
        if qname.is_empty() || !name_matches(qname, name) {
            continue;
        }
        let tag_end = tag_end(b, name_end);
        return Some((&part[at..tag_end], &part[tag_end..]));
    }
    None
}

fn name_matches(qname: &str, wanted: &str) -> bool {
    if wanted.contains(':') {
        qname.eq_ignore_ascii_case(wanted)
    } else {
        qname.rsplit(':').next().is_some_and(|l| l.eq_ignore_ascii_case(wanted))
    }
}

/// The raw text after a start tag up to its closing tag (any prefix), the next start tag of
/// the same name, or the end.
fn raw_inner<'t>(after: &'t str, name: &str) -> &'t str {
    let local = name.rsplit(':').next().unwrap_or(name);
    let b = after.as_bytes();
    let mut i = 0;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if b[at..].starts_with(b"<![CDATA[") {
            // An incomplete CDATA section runs to the end.
            i = super::decode::find(&b[at..], b"]]>").map_or(b.len(), |e| at + e + 3);
            continue;
        }
        if b.get(at + 1) == Some(&b'/') {
            let (qname, _) = read_name(b, at + 2);
            if qname.rsplit(':').next().is_some_and(|l| l.eq_ignore_ascii_case(local)) {
                return &after[..at];
            }
        }
        i = at + 1;
    }
    after
}

fn read_text(after: &str, name: &str) -> String {
    text_of(raw_inner(after, name))
}

/// Element content as text: CDATA sections unwrapped (an unclosed one runs to the end),
/// references decoded elsewhere, comments dropped.
pub(crate) fn text_of(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        let cdata = rest.find("<![CDATA[");
        let comment = rest.find("<!--");
        let next = match (cdata, comment) {
            (Some(c), Some(m)) => Some(c.min(m)),
            (c, m) => c.or(m),
        };
        let Some(p) = next else {
            out.push_str(&decode_entities(rest));
            break;
        };
        out.push_str(&decode_entities(&rest[..p]));
        if rest[p..].starts_with("<![CDATA[") {
            let inner = &rest[p + 9..];
            match inner.find("]]>") {
                Some(e) => {
                    out.push_str(&inner[..e]);
                    rest = &inner[e + 3..];
                }
                None => {
                    // Cut off inside: a prefix of "]]>" at the end is the cut, not text.
                    out.push_str(inner.trim_end_matches([']', '>']));
                    break;
                }
            }
        } else {
            rest = rest[p..].find("-->").map_or("", |e| &rest[p + e + 3..]);
        }
    }
    out
}

/// The value of attribute `name` (any case) in a start tag, single or double quoted (or,
/// as in old HTML-ish CDF, unquoted), references decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let b = tag.as_bytes();
    let (_, mut i) = read_name(b, 1);
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let (n, end) = read_name(b, i);
        if n.is_empty() {
            return None;
        }
        i = end;
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
        let (value, next) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let close = memchr(q, &b[i + 1..]).map_or(b.len(), |p| i + 1 + p);
                (&tag[i + 1..close], (close + 1).min(b.len()))
            }
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|c| c.is_ascii_whitespace() || *c == b'>')
                    .map_or(b.len(), |p| i + p);
                (&tag[i..end], end)
            }
        };
        if n.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value).into_owned());
        }
        i = next;
    }
}

/// Start tags of items and entries: (start, index past the tag, name as written).
pub(super) fn item_starts(b: &[u8]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if let Some(skip) = skip_special(b, at) {
            i = skip;
            continue;
        }
        let (qname, name_end) = read_name(b, at + 1);
        i = at + 1;
        let local = qname.rsplit(':').next().unwrap_or("");
        if local.eq_ignore_ascii_case("item") || local.eq_ignore_ascii_case("entry") {
            let end = tag_end(b, name_end);
            // <item/> holds nothing.
            if !b[..end].ends_with(b"/>") {
                out.push((at, end, qname.to_owned()));
                i = end;
            }
        }
    }
    out
}

/// The local name of the first element.
fn root_local(b: &[u8]) -> Option<&str> {
    let mut i = 0;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if let Some(skip) = skip_special(b, at) {
            i = skip;
            continue;
        }
        let (qname, _) = read_name(b, at + 1);
        return qname.rsplit(':').next();
    }
    None
}

/// Past a comment, CDATA section, processing instruction or DOCTYPE starting at `at`.
fn skip_special(b: &[u8], at: usize) -> Option<usize> {
    let rest = &b[at..];
    let (close, open_len): (&[u8], usize) = if rest.starts_with(b"<!--") {
        (b"-->", 4)
    } else if rest.starts_with(b"<![CDATA[") {
        (b"]]>", 9)
    } else if rest.starts_with(b"<?") {
        (b"?>", 2)
    } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
        (b">", 2)
    } else {
        return None;
    };
    Some(super::decode::find(&rest[open_len..], close).map_or(b.len(), |p| at + open_len + p + close.len()))
}

/// The name starting at `i` and the index past it.
fn read_name(b: &[u8], i: usize) -> (&str, usize) {
    let i = i.min(b.len());
    let len = b[i..]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.') || c >= 0x80)
        .count();
    // Only ASCII and whole UTF-8 sequences were taken, so the range is on char boundaries
    // unless a sequence was cut by the end of the text.
    (std::str::from_utf8(&b[i..i + len]).unwrap_or(""), i + len)
}

/// Index past the `>` that ends the tag whose attributes start at `i`, quotes respected.
fn tag_end(b: &[u8], mut i: usize) -> usize {
    let mut quote = None;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'"' | b'\'') => quote = Some(b[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return i + 1,
            // A tag cut off by the next one: a stray quote must not swallow the item.
            (_, b'<') => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Index past the `</name>` closing the element whose start tag ended at `from`, looked for
/// before `limit`; `None` when it is not there.
pub(super) fn find_close(b: &[u8], from: usize, limit: usize, name: &str) -> Option<usize> {
    let local = name.rsplit(':').next().unwrap_or(name);
    let mut i = from;
    while let Some(p) = memchr(b'<', &b[i..limit]) {
        let at = i + p;
        if b[at..].starts_with(b"<![CDATA[") || b[at..].starts_with(b"<!--") {
            i = skip_special(b, at).unwrap_or(limit).min(limit);
            continue;
        }
        if b.get(at + 1) == Some(&b'/') {
            let (qname, end) = read_name(b, at + 2);
            if qname.rsplit(':').next().is_some_and(|l| l.eq_ignore_ascii_case(local)) {
                return Some(tag_end(b, end).min(limit));
            }
        }
        i = at + 1;
    }
    None
}

fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_of_broken_items() {
        let doc =
            "<rss><channel><title>T &amp; co</title><item><title>A < B</title><link>http://e.x/a</link>\
                   <description>x &nope y</description></item><item><title><![CDATA[Second";
        let r = rebuild(doc).expect("items");
        assert_eq!(r.found, 2);
        assert!(r.xml.contains("<title>A &lt; B</title>"), "{}", r.xml);
        assert!(!r.xml.contains("Second"), "{}", r.xml);
        assert_eq!(r.notes, vec!["1 item skipped: cut off before an id or link".to_owned()]);
    }

    #[test]
    fn single_quoted_attributes_and_atom_links() {
        let tag = "<link rel='alternate' href='http://e.x/?a=1&amp;b=2'/>";
        assert_eq!(attr(tag, "href").as_deref(), Some("http://e.x/?a=1&b=2"));
        assert_eq!(link_of(tag, None).as_deref(), Some("http://e.x/?a=1&b=2"));
    }
}

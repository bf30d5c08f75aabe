//! Repairs for documents that feed-rs rejects whole although a reader can make sense of them.
//!
//! Each repair is a text-to-text rewrite tried only after feed-rs failed, so well-formed
//! feeds pay nothing. Every function here returns `None` when it has nothing to change.

use feed_rs::parser::ParseErrorKind;
use serde_json::{Map, Value};

use super::sniff::Root;

/// `text` with every element name (start and end tags, prefix included) in ASCII lower case;
/// attributes, text, comments, CDATA and processing instructions are left as they are. One
/// pass.
pub(crate) fn lowercase_element_names(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let rest = &b[i..];
        let skip_until = |end: &[u8]| super::decode::find(rest, end).map_or(rest.len(), |p| p + end.len());
        let verbatim = if rest.starts_with(b"<!--") {
            Some(skip_until(b"-->"))
        } else if rest.starts_with(b"<![CDATA[") {
            Some(skip_until(b"]]>"))
        } else if rest.starts_with(b"<?") || rest.starts_with(b"<!") {
            Some(skip_until(b">"))
        } else {
            None
        };
        if let Some(len) = verbatim {
            out.extend_from_slice(&rest[..len]);
            i += len;
            continue;
        }
        out.push(b'<');
        i += 1;
        if b.get(i) == Some(&b'/') {
            out.push(b'/');
            i += 1;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b':' | b'_' | b'-' | b'.')) {
            out.push(b[i].to_ascii_lowercase());
            i += 1;
        }
    }
    // Only ASCII bytes were changed, to ASCII: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The text without any XML declaration after its first line's: a document has one, at the
/// start, and a stray second one (pasted content) crashes quick-xml. `None` when there is none.
/// Only a declaration counts: not a processing instruction whose name starts with "xml"
/// (`<?xml-stylesheet ...?>`, which Blogger, FeedBurner and many others write), nor one
/// written in a CDATA section or a comment (an article about XML), which no parser reads.
pub(crate) fn strip_later_declarations(text: &str) -> Option<String> {
    let start = if text.starts_with("<?xml") { text.find("?>").map_or(text.len(), |e| e + 2) } else { 0 };
    // Most documents hold no "<?xml" after their own declaration: no scan for them.
    text[start..].find("<?xml")?;
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = start;
    while let Some(p) = text[i..].find('<') {
        let at = i + p;
        let rest = &text[at..];
        i = if rest.starts_with("<![CDATA[") {
            rest.find("]]>").map_or(text.len(), |e| at + e + 3)
        } else if let Some(comment) = rest.strip_prefix("<!--") {
            comment.find("-->").map_or(text.len(), |e| at + 4 + e + 3)
        } else if rest.starts_with("<?xml")
            && rest.as_bytes().get(5).is_some_and(|&c| c.is_ascii_whitespace() || c == b'?')
        {
            let Some(end) = rest.find("?>") else { break };
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..at]);
            copied = at + end + 2;
            copied
        } else {
            at + 1
        };
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

/// Escapes each `&` that does not start a character or entity reference ("AT&T",
/// "?a=1&b=2"), outside CDATA sections and comments where `&` is literal. quick-xml rejects
/// the whole document for one of them.
pub(crate) fn escape_bare_ampersands(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' if b[i..].starts_with(b"<![CDATA[") => {
                i = super::decode::find(&b[i..], b"]]>").map_or(b.len(), |p| i + p + 3);
            }
            b'<' if b[i..].starts_with(b"<!--") => {
                i = super::decode::find(&b[i..], b"-->").map_or(b.len(), |p| i + p + 3);
            }
            b'&' => {
                if !starts_reference(&b[i..]) {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                    o.push_str(&text[copied..i]);
                    o.push_str("&amp;");
                    copied = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

/// `&name;`, `&#123;` or `&#x1F;` at the start of `b` (which starts with `&`).
fn starts_reference(b: &[u8]) -> bool {
    let count = |s: &[u8], f: fn(&u8) -> bool| s.iter().take_while(|c| f(c)).count();
    let rest = &b[1..];
    let len = match rest {
        [b'#', b'x' | b'X', tail @ ..] => match count(tail, u8::is_ascii_hexdigit) {
            0 => return false,
            n => n + 2,
        },
        [b'#', tail @ ..] => match count(tail, u8::is_ascii_digit) {
            0 => return false,
            n => n + 1,
        },
        [c, ..] if c.is_ascii_alphabetic() || *c == b'_' => {
            count(rest, |c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
        }
        _ => return false,
    };
    rest.get(len) == Some(&b';')
}

/// A truncated download (or junk after the last item) makes feed-rs reject the whole
/// document. Cutting after the last complete `</item>`/`</entry>` and closing the root gives
/// the items that did arrive.
pub(crate) fn salvage_truncated(text: &str, root: &Root) -> Option<String> {
    let (closer, tail) = match root.local_name() {
        "rss" => ("</item>", format!("</channel></{}>", root.qname)),
        "RDF" => ("</item>", format!("</{}>", root.qname)),
        "feed" => ("</entry>", format!("</{}>", root.qname)),
        _ => return None,
    };
    let cut = text.rfind(closer)? + closer.len();
    let mut s = String::with_capacity(cut + tail.len());
    s.push_str(&text[..cut]);
    s.push_str(&tail);
    Some(s)
}

/// feed-rs fails the whole feed for one element it finds odd: a text construct whose `type`
/// it does not know (`<media:title type="text">`, `<title type="text/html">`), or an empty
/// element it expects text in (`<media:title/>`). It reports the byte position just after the
/// element's start tag, in the UTF-8 text we gave it; we fix every identical start tag in
/// the document at once, so that one retry usually suffices.
pub(crate) fn repair_element(text: &str, kind: &ParseErrorKind) -> Option<String> {
    let pos = match kind {
        ParseErrorKind::UnknownMimeType { position, .. }
        | ParseErrorKind::MissingContent { position, .. } => *position,
        _ => return None,
    };
    let head = text.get(..usize::try_from(pos).ok()?)?;
    let tag = &head[head.rfind('<')?..];
    if !tag.ends_with('>') || tag.starts_with("</") {
        return None;
    }
    let qname: &str = tag[1..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .filter(|n| !n.is_empty())?;
    let fixed_tag = match kind {
        ParseErrorKind::UnknownMimeType { mime, .. } => {
            let lower = mime.to_ascii_lowercase();
            let new_type = if lower.contains("xhtml") {
                Some("xhtml")
            } else if lower.contains("html") {
                Some("html")
            } else {
                // Without a type, Atom reads "text" and MediaRSS "plain".
                None
            };
            retype(tag, mime, new_type)?
        }
        _ => {
            if let Some(open) = tag.strip_suffix("/>") {
                format!("{open}> </{qname}>")
            } else {
                let pair = format!("{tag}</{qname}>");
                let fixed = format!("{tag} </{qname}>");
                return text.contains(&pair).then(|| text.replace(&pair, &fixed));
            }
        }
    };
    Some(text.replace(tag, &fixed_tag))
}

/// `tag` with its `type="old"` attribute set to `new`, or removed when `new` is `None`.
fn retype(tag: &str, old: &str, new: Option<&str>) -> Option<String> {
    for q in ['"', '\''] {
        for eq in ["=", " = ", " =", "= "] {
            let attr = format!("type{eq}{q}{old}{q}");
            if let Some(p) = tag.find(&attr) {
                let replacement = new.map(|n| format!("type=\"{n}\"")).unwrap_or_default();
                return Some(format!("{}{}{}", &tag[..p], replacement, &tag[p + attr.len()..]));
            }
        }
    }
    None
}

/// Fixes what real JSON Feeds get wrong and feed-rs's strict schema rejects: an
/// `http://jsonfeed.org/version/...` version (the 1.0 spec's own examples used http), a missing
/// title or items, numeric ids, `tags` as one string, and fields of the wrong type (dropped).
/// `Err` when the text is not JSON, or not a JSON Feed.
pub(crate) fn repair_json(text: &str) -> Result<String, super::ParseError> {
    use super::ParseError;
    // The first JSON value only: junk after it (a server's appended error message) is ignored.
    let mut value: Value = serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .next()
        .unwrap_or_else(|| serde_json::from_str(text))
        .map_err(|e| ParseError::MalformedJson { detail: crate::sanitize::line(&e.to_string()) })?;
    let feed = value.as_object_mut().ok_or(ParseError::NotJsonFeed)?;
    let version = feed.get("version").and_then(Value::as_str).ok_or(ParseError::NotJsonFeed)?;
    if let Some(rest) = version.strip_prefix("http://jsonfeed.org/version/") {
        let fixed = format!("https://jsonfeed.org/version/{rest}");
        feed.insert("version".into(), fixed.into());
    } else if !version.starts_with("https://jsonfeed.org/version/") {
        return Err(ParseError::NotJsonFeed);
    }
    if !feed.get("title").is_some_and(Value::is_string) {
        feed.insert("title".into(), "".into());
    }
    keep_strings(feed, &["home_page_url", "feed_url", "language", "description", "icon", "favicon"]);
    fix_authors(feed);
    let items = match feed.remove("items") {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|mut item| {
                let obj = item.as_object_mut()?;
                fix_item(obj);
                Some(item)
            })
            .collect(),
        _ => Vec::new(),
    };
    feed.insert("items".into(), Value::Array(items));
    serde_json::to_string(&value)
        .map_err(|e| ParseError::MalformedJson { detail: crate::sanitize::line(&e.to_string()) })
}

/// Removes each listed field that is present but neither a string nor null; numbers become
/// strings.
fn keep_strings(obj: &mut Map<String, Value>, fields: &[&str]) {
    for f in fields {
        match obj.get(*f) {
            None | Some(Value::String(_) | Value::Null) => {}
            Some(Value::Number(n)) => {
                let s = n.to_string();
                obj.insert((*f).to_owned(), s.into());
            }
            Some(_) => {
                obj.remove(*f);
            }
        }
    }
}

fn fix_authors(obj: &mut Map<String, Value>) {
    let fix_one = |a: &mut Value| match a.as_object_mut() {
        Some(o) => {
            keep_strings(o, &["name", "url"]);
            true
        }
        None => false,
    };
    if let Some(a) = obj.get_mut("author") {
        if !a.is_null() && !fix_one(a) {
            obj.remove("author");
        }
    }
    match obj.get_mut("authors") {
        Some(Value::Array(list)) => list.retain_mut(fix_one),
        None | Some(Value::Null) => {}
        Some(_) => {
            obj.remove("authors");
        }
    }
}

fn fix_item(item: &mut Map<String, Value>) {
    keep_strings(
        item,
        &[
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "date_published",
            "date_modified",
        ],
    );
    fix_authors(item);
    match item.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            let tags: Vec<Value> =
                s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(Value::from).collect();
            item.insert("tags".into(), Value::Array(tags));
        }
        Some(Value::Array(list)) => {
            let tags: Vec<Value> = list.iter().filter(|t| t.is_string()).cloned().collect();
            item.insert("tags".into(), Value::Array(tags));
        }
        Some(_) => {
            item.remove("tags");
        }
    }
    match item.get_mut("attachments") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => list.retain_mut(|a| {
            let Some(o) = a.as_object_mut() else {
                return false;
            };
            keep_strings(o, &["title"]);
            if !o.get("url").is_some_and(Value::is_string) {
                return false;
            }
            if !o.get("mime_type").is_some_and(Value::is_string) {
                o.insert("mime_type".into(), "application/octet-stream".into());
            }
            if o.get("size_in_bytes").is_some_and(|s| s.as_u64().is_none()) {
                o.remove("size_in_bytes");
            }
            true
        }),
        Some(_) => {
            item.remove("attachments");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ampersands() {
        assert_eq!(
            escape_bare_ampersands("<t>AT&T &amp; a&b=1 &#38; &#x26; &#; &x</t>").as_deref(),
            Some("<t>AT&amp;T &amp; a&amp;b=1 &#38; &#x26; &amp;#; &amp;x</t>")
        );
        assert_eq!(escape_bare_ampersands("<t>&amp;<![CDATA[a&b]]><!-- & --></t>"), None);
        assert_eq!(escape_bare_ampersands("<![CDATA[unclosed & "), None);
    }

    #[test]
    fn only_later_declarations_are_stripped() {
        let strip = strip_later_declarations;
        assert_eq!(strip("<?xml version=\"1.0\"?><r/>"), None);
        assert_eq!(strip("<?xml version=\"1.0\"?><?xml-stylesheet href=\"s.css\"?><r/>"), None);
        assert_eq!(strip("<r><![CDATA[<?xml version=\"1.0\"?>]]><!-- <?xml version=\"1.0\"?> --></r>"), None);
        assert_eq!(
            strip("<?xml version=\"1.0\"?><r>a<?xml version=\"1.0\" encoding=\"Big5\"?>b<?xml?>c</r>")
                .as_deref(),
            Some("<?xml version=\"1.0\"?><r>abc</r>")
        );
        // A CDATA section left open runs to the end, and a declaration never ended stays.
        assert_eq!(strip("<r><![CDATA[x <?xml version=\"1.0\"?>"), None);
        assert_eq!(strip("<r><?xml version=\"1.0\" <x>").as_deref(), None);
    }

    #[test]
    fn element_repairs() {
        let t = "<rss><item><media:title type=\"text\">a</media:title></item><item><media:title type=\"text\">b</media:title></item></rss>";
        let pos = (t.find("\">a").unwrap_or(0) + 2) as u64;
        let fixed =
            repair_element(t, &ParseErrorKind::UnknownMimeType { position: pos, mime: "text".into() });
        assert_eq!(fixed.as_deref(), Some("<rss><item><media:title >a</media:title></item><item><media:title >b</media:title></item></rss>"));

        let t = "<feed><entry><title type='text/html'>x</title></entry></feed>";
        let pos = (t.find("'>x").unwrap_or(0) + 2) as u64;
        let fixed =
            repair_element(t, &ParseErrorKind::UnknownMimeType { position: pos, mime: "text/html".into() });
        assert_eq!(fixed.as_deref(), Some("<feed><entry><title type=\"html\">x</title></entry></feed>"));

        let t = "<i><media:title/><media:title></media:title></i>";
        let pos = (t.find("/>").unwrap_or(0) + 2) as u64;
        let fixed = repair_element(t, &ParseErrorKind::MissingContent { position: pos, reference: "text" });
        assert_eq!(fixed.as_deref(), Some("<i><media:title> </media:title><media:title></media:title></i>"));
        let pos = (t.find("<media:title>").unwrap_or(0) + 13) as u64;
        let fixed = repair_element(t, &ParseErrorKind::MissingContent { position: pos, reference: "text" });
        assert_eq!(fixed.as_deref(), Some("<i><media:title/><media:title> </media:title></i>"));
        assert_eq!(
            repair_element(t, &ParseErrorKind::MissingContent { position: 9999, reference: "text" }),
            None
        );
        assert_eq!(repair_element(t, &ParseErrorKind::NoFeedRoot), None);
    }

    #[test]
    fn json_shapes() {
        let j = r#"{"version":"http://jsonfeed.org/version/1","title":5,"icon":[],"author":"x","items":[
            {"id":17,"tags":"a, b,","title":"t","attachments":[{"url":"u"},{"mime_type":"x"},{"url":"v","mime_type":"m","size_in_bytes":-1}]},
            "junk", {"authors":[{"name":1},"y"],"url":{"a":1}}]}"#;
        let fixed = repair_json(j).unwrap_or_else(|e| panic!("{e}"));
        let v: Value = serde_json::from_str(&fixed).unwrap_or_default();
        assert_eq!(v["version"], "https://jsonfeed.org/version/1");
        assert_eq!(v["title"], "");
        assert!(v.get("icon").is_none() && v.get("author").is_none());
        let items = v["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["id"], "17");
        assert_eq!(items[0]["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(
            items[0]["attachments"],
            serde_json::json!([{"url":"u","mime_type":"application/octet-stream"},{"url":"v","mime_type":"m"}])
        );
        assert_eq!(items[1]["authors"], serde_json::json!([{"name":"1"}]));
        assert!(items[1].get("url").is_none());
        assert!(matches!(repair_json("[1]"), Err(super::super::ParseError::NotJsonFeed)));
        assert!(matches!(repair_json("{\"version\":\"2\"}"), Err(super::super::ParseError::NotJsonFeed)));
    }
}

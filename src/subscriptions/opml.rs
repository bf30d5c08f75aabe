//! OPML 1.0/1.1/2.0 subscription lists: a lenient reader that keeps whatever it can read from
//! a broken file, and a writer whose output this reader turns back into the same
//! subscriptions.
//!
//! Reading rules:
//! - Every `<outline>` with a non-empty `xmlUrl` (attribute names are matched without regard to
//!   case) is a feed, whatever its `type`. Its title is `title`, else `text`; a title equal to
//!   the URL counts as no title (that is how [`write_opml`] writes an untitled feed).
//! - An `<outline>` without `xmlUrl` that has child outlines is a folder. Each folder around a
//!   feed gives it one tag, named by the folder's `text`, else its `title` (`text` first because
//!   it is what OPML editors display and what newsboat uses for folders).
//! - `category="a,b,/Tech/Rust"` adds tags: items are split at commas; an item starting with
//!   `/` is a category path and each of its segments becomes a tag (`Tech`, `Rust`), just as
//!   nested folders would; any other item is one tag as it is, slashes included (newsboat
//!   writes `tag/three` and means one tag).
//! - A childless outline with only a link (`htmlUrl` or `url`) is skipped with a reason; one
//!   with neither is ignored silently (it is a note or separator).
//! - A feed with a non-empty `filtercmd` (newsboat reads it as `filter:CMD:URL`, Liferea as
//!   its conversion filter) is skipped with a reason: its URL is what the command reads, often
//!   not a feed at all, and tidings runs no commands.
//! - Outlines are found anywhere in the document, so a file without `<body>` or with a wrong
//!   root element still yields its feeds. On an XML error the feeds read so far are kept and the
//!   error is reported as a skipped entry with its line and column.
//!
//! Commas in tags: a tag may contain any character. In `category` the writer escapes `,` as
//! `%2C`, a leading `/` as `%2F`, and a `%` that would otherwise look like one of these
//! escapes as `%25`; the reader undoes exactly these three escapes. Other programs show the
//! escape as is, but such tags are rare and this keeps the round trip exact.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{
    check_feed_url, clean_title, decode_document, decode_entities, line_col, push_tag, shorten, Collector,
    ImportError, ImportList, Subscription,
};
use crate::sanitize;

/// Reads an OPML document from raw bytes (any encoding the file declares, or a UTF-8/UTF-16
/// byte order mark). Fails only when nothing could be read and the file is not OPML.
pub fn parse_opml(bytes: &[u8]) -> Result<ImportList, ImportError> {
    parse_opml_text(&decode_document(bytes))
}

/// What one `<outline>` on the stack means for the outlines inside it.
struct Frame {
    /// Tag the outline gives to feeds inside it; `None` for feed outlines and unnamed ones.
    folder_tag: Option<String>,
    /// Set once a child outline is seen: only a childless outline can be a skipped link.
    has_children: bool,
    /// What to report if the outline turns out to have no children.
    skip_if_leaf: Option<(String, &'static str)>,
}

/// The attributes of an `<outline>` that matter here, entities decoded, first occurrence wins.
#[derive(Default)]
struct Outline {
    xml_url: Option<String>,
    title: Option<String>,
    text: Option<String>,
    category: Option<String>,
    link: Option<String>,
    filter_cmd: Option<String>,
}

impl Outline {
    fn read(e: &BytesStart<'_>) -> Self {
        let mut o = Outline::default();
        // html_attributes accepts unquoted and value-less attributes; checks are off so a
        // duplicated attribute does not end the import.
        let mut attrs = e.html_attributes();
        attrs.with_checks(false);
        for attr in attrs {
            // A malformed attribute leaves the rest of the tag unreadable; keep what we have.
            let Ok(attr) = attr else { break };
            let slot = match attr.key.local_name().as_ref().to_ascii_lowercase().as_str() {
                "xmlurl" => &mut o.xml_url,
                "title" => &mut o.title,
                "text" => &mut o.text,
                "category" => &mut o.category,
                "htmlurl" | "url" => &mut o.link,
                "filtercmd" => &mut o.filter_cmd,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(decode_entities(&attr.value).into_owned());
            }
        }
        o
    }

    /// A short description for a skipped entry.
    fn describe(&self, line: usize, url: &str) -> String {
        match self.title.as_deref().or(self.text.as_deref()).and_then(clean_title) {
            Some(t) => format!("line {line}: \"{t}\" {url}"),
            None => format!("line {line}: {url}"),
        }
    }
}

/// The error for a document whose root element is `root`. The name is the file's own bytes,
/// so it is cleaned (an element name can hold control characters) and shortened.
fn not_opml(root: &str) -> ImportError {
    ImportError::NotOpml { root: shorten(&sanitize::line(root), 60) }
}

/// Reads an already decoded OPML document.
pub(crate) fn parse_opml_text(text: &str) -> Result<ImportList, ImportError> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    // Real exports have mismatched and stray end tags and bare `&`; none of that should cost
    // the user their subscriptions.
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;

    let mut out = Collector::default();
    let mut root: Option<String> = None;
    let mut open_elements: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut lines = LineCounter::new(text);
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = local_name(&e);
                root.get_or_insert_with(|| name.clone());
                if name == "outline" {
                    let line = lines.line_at(start);
                    let frame = open_outline(&e, line, &mut frames, &mut out, false);
                    frames.push(frame);
                }
                open_elements.push(name);
            }
            Ok(Event::Empty(e)) => {
                let name = local_name(&e);
                root.get_or_insert_with(|| name.clone());
                if name == "outline" {
                    let line = lines.line_at(start);
                    open_outline(&e, line, &mut frames, &mut out, true);
                }
            }
            Ok(Event::End(e)) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                // Without end-name checks a stray end tag arrives here too; pop only what
                // matches so one stray tag does not shift every folder after it. An end tag
                // also closes the elements left open inside it (as `</body>` would close an
                // unclosed folder), so frames are popped to match what is still open.
                if let Some(i) = open_elements.iter().rposition(|n| *n == name) {
                    open_elements.truncate(i);
                    let open_outlines = open_elements.iter().filter(|n| *n == "outline").count();
                    while frames.len() > open_outlines {
                        if let Some(frame) = frames.pop() {
                            close_outline(frame, &mut out);
                        }
                    }
                }
            }
            Ok(Event::Eof) => {
                if let Some(innermost) = open_elements.last() {
                    if root.as_deref() == Some("opml") {
                        let innermost = shorten(innermost, 60);
                        let (line, _) = line_col(text, text.len());
                        out.skip(
                            &format!("line {line}: end of file"),
                            format!(
                                "the file ends inside <{innermost}>: it looks cut off, so \
                                 feeds after this point are missing; export the list again"
                            ),
                        );
                    }
                }
                break;
            }
            Ok(_) => {}
            Err(e) => {
                let pos = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                let (line, column) = line_col(text, pos);
                if root.is_none() && out.is_empty() {
                    return Err(ImportError::Malformed {
                        line,
                        column,
                        message: sanitize::line(&e.to_string()),
                    });
                }
                // A broken feed or web page is still "not OPML", not a partial import.
                if let Some(r) = root.as_ref().filter(|r| *r != "opml" && out.is_empty()) {
                    return Err(not_opml(r));
                }
                out.skip(
                    &format!("line {line}, column {column}"),
                    format!(
                        "the XML is broken here ({}), so the rest of the file was not read; \
                         repair the file there or export it again to import the remaining feeds",
                        sanitize::line(&e.to_string())
                    ),
                );
                break;
            }
        }
    }
    match root {
        Some(r) if r != "opml" && out.is_empty() => Err(not_opml(&r)),
        None if out.is_empty() => Err(ImportError::NotXml),
        _ => Ok(out.finish()),
    }
}

/// Lower-cased local name of an element, so `<OPML>` and `<x:outline>` are recognised.
fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_ascii_lowercase()
}

/// Handles an `<outline>` start (or empty) tag: records a feed or a skipped entry, and returns
/// what the outline means for its children.
fn open_outline(
    e: &BytesStart<'_>,
    line: usize,
    frames: &mut [Frame],
    out: &mut Collector,
    empty: bool,
) -> Frame {
    if let Some(parent) = frames.last_mut() {
        parent.has_children = true;
    }
    let o = Outline::read(e);
    let xml_url = o.xml_url.as_deref().map(str::trim).unwrap_or_default();
    let filter_cmd = o.filter_cmd.as_deref().map(str::trim).filter(|c| !c.is_empty() && !xml_url.is_empty());
    if let Some(cmd) = filter_cmd {
        out.skip(
            &o.describe(line, xml_url),
            format!(
                "its feed is piped through a command (filtercmd=\"{}\"), which tidings does not \
                 run; subscribe to the URL itself if its feed is usable as it is",
                shorten(cmd, 80)
            ),
        );
        return Frame { folder_tag: None, has_children: false, skip_if_leaf: None };
    }
    if !xml_url.is_empty() {
        match check_feed_url(xml_url) {
            Ok(url) => {
                let title = o
                    .title
                    .as_deref()
                    .and_then(clean_title)
                    .or_else(|| o.text.as_deref().and_then(clean_title))
                    .filter(|t| t != &url && t != &sanitize::line(xml_url));
                let mut tags = Vec::new();
                for tag in frames.iter().filter_map(|f| f.folder_tag.as_deref()) {
                    push_tag(&mut tags, tag);
                }
                if let Some(category) = &o.category {
                    category_tags(category, &mut tags);
                }
                out.add(url, title, tags);
            }
            Err(reason) => out.skip(&o.describe(line, xml_url), reason),
        }
        return Frame { folder_tag: None, has_children: false, skip_if_leaf: None };
    }
    let skip_if_leaf = o
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|link| (o.describe(line, link), "no feed URL (xmlUrl)"));
    let frame = Frame {
        folder_tag: o
            .text
            .as_deref()
            .and_then(clean_title)
            .or_else(|| o.title.as_deref().and_then(clean_title)),
        has_children: false,
        skip_if_leaf,
    };
    if empty {
        close_outline(frame, out);
        return Frame { folder_tag: None, has_children: false, skip_if_leaf: None };
    }
    frame
}

/// Handles the end of an outline: a childless link outline is reported as skipped.
fn close_outline(frame: Frame, out: &mut Collector) {
    if !frame.has_children {
        if let Some((what, reason)) = frame.skip_if_leaf {
            out.skip(&what, reason);
        }
    }
}

/// Adds the tags of a `category` attribute (see the module docs for the rules).
fn category_tags(category: &str, tags: &mut Vec<String>) {
    for item in category.split(',') {
        let item = item.trim();
        match item.strip_prefix('/') {
            Some(path) => {
                for segment in path.split('/') {
                    push_tag(tags, &unescape_category(segment));
                }
            }
            None => push_tag(tags, &unescape_category(item)),
        }
    }
}

/// Undoes [`escape_category`]: `%2C` → `,`, `%2F` → `/`, `%25` → `%`, nothing else.
fn unescape_category(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).map(str::to_ascii_uppercase);
        let c = match code.as_deref() {
            Some("2C") => Some(','),
            Some("2F") => Some('/'),
            Some("25") => Some('%'),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Makes a tag safe as one item of a `category` list (see the module docs).
fn escape_category(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    for (i, c) in tag.char_indices() {
        match c {
            ',' => out.push_str("%2C"),
            '/' if i == 0 => out.push_str("%2F"),
            '%' if matches!(
                tag.get(i + 1..i + 3).map(str::to_ascii_uppercase).as_deref(),
                Some("2C" | "2F" | "25")
            ) =>
            {
                out.push_str("%25");
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a string for a double-quoted XML attribute or for element text.
fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::html::escape_markup_into(s, &mut out);
    out
}

/// Writes `subs` as an OPML 2.0 document (UTF-8) titled `title`.
///
/// Untagged feeds come first, at the top level. A tagged feed goes into a folder named after
/// its first tag (folders in order of first use) and also carries all its tags in `category`,
/// so other readers see the folder and [`parse_opml`] gets back exactly the same tags. A
/// feed's title goes into both `text` and `title`; an untitled feed gets its URL as `text`
/// (OPML requires `text`) and no `title`. Strings are cleaned with [`sanitize::line`] first,
/// which also guarantees that no control character (invalid in XML) is written.
pub fn write_opml(subs: &[Subscription], title: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str("  <head>\n    <title>");
    out.push_str(&escape_xml(&sanitize::line(title)));
    out.push_str("</title>\n  </head>\n  <body>\n");

    // Folder name, then each feed in it with its cleaned tags; a Vec keeps first-use order.
    type Folder<'a> = (String, Vec<(&'a Subscription, Vec<String>)>);
    let mut folders: Vec<Folder<'_>> = Vec::new();
    for sub in subs {
        let mut tags = Vec::new();
        for tag in &sub.tags {
            push_tag(&mut tags, tag);
        }
        match tags.first().cloned() {
            None => write_feed(&mut out, sub, &[], "    "),
            Some(first) => match folders.iter_mut().find(|(name, _)| *name == first) {
                Some((_, feeds)) => feeds.push((sub, tags)),
                None => folders.push((first, vec![(sub, tags)])),
            },
        }
    }
    for (name, feeds) in &folders {
        let name = escape_xml(name);
        out.push_str(&format!("    <outline text=\"{name}\" title=\"{name}\">\n"));
        for (sub, tags) in feeds {
            write_feed(&mut out, sub, tags, "      ");
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// Writes one feed outline. `tags` are already cleaned and deduplicated.
fn write_feed(out: &mut String, sub: &Subscription, tags: &[String], indent: &str) {
    let url = escape_xml(&sanitize::line(&sub.url));
    out.push_str(indent);
    out.push_str("<outline type=\"rss\"");
    match sub.title.as_deref().and_then(clean_title) {
        Some(t) => {
            let t = escape_xml(&t);
            out.push_str(&format!(" text=\"{t}\" title=\"{t}\""));
        }
        None => out.push_str(&format!(" text=\"{url}\"")),
    }
    out.push_str(&format!(" xmlUrl=\"{url}\""));
    if !tags.is_empty() {
        let category: Vec<String> = tags.iter().map(|t| escape_category(t)).collect();
        out.push_str(&format!(" category=\"{}\"", escape_xml(&category.join(","))));
    }
    out.push_str("/>\n");
}

/// Turns byte offsets into line numbers, scanning the text once for increasing offsets.
struct LineCounter<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text, pos: 0, line: 1 }
    }

    /// 1-based line of byte offset `pos`.
    fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        let bytes = &self.text.as_bytes()[self.pos..pos];
        self.line += bytes.iter().filter(|&&b| b == b'\n').count();
        self.pos = pos;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImportList {
        parse_opml(s.as_bytes()).unwrap()
    }

    fn doc(body: &str) -> String {
        format!("<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head><title>t</title></head><body>\n{body}\n</body></opml>")
    }

    fn sub(url: &str, title: Option<&str>, tags: &[&str]) -> Subscription {
        Subscription {
            url: url.into(),
            title: title.map(Into::into),
            tags: tags.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn nested_folders_each_give_a_tag() {
        let list = parse(&doc(r#"
            <outline text="Tech" title="ignored for folders">
              <outline text="Rust">
                <outline type="rss" xmlUrl="http://a/" title="A" text="a"/>
              </outline>
              <outline type="atom" xmlUrl="http://b/" text="B"/>
            </outline>
            <outline xmlUrl="http://c/"/>"#));
        assert_eq!(
            list.subscriptions,
            [
                sub("http://a/", Some("A"), &["Tech", "Rust"]),
                sub("http://b/", Some("B"), &["Tech"]),
                sub("http://c/", None, &[]),
            ]
        );
        assert!(list.skipped.is_empty());
    }

    #[test]
    fn attribute_names_are_case_insensitive() {
        let list = parse(&doc(r#"
            <outline xmlurl="http://a/" TITLE="A"/>
            <OUTLINE XMLURL="http://b/" Text="B"/>"#));
        assert_eq!(list.subscriptions[0], sub("http://a/", Some("A"), &[]));
        assert_eq!(list.subscriptions[1], sub("http://b/", Some("B"), &[]));
    }

    #[test]
    fn category_adds_tags_and_paths_give_every_segment() {
        let list = parse(&doc(r#"
            <outline text="Folder">
              <outline xmlUrl="http://a/" category=" tag one ,tag_two,tag/three,/Tech/Rust,,Folder, "/>
            </outline>"#));
        assert_eq!(list.subscriptions[0].tags, ["Folder", "tag one", "tag_two", "tag/three", "Tech", "Rust"]);
    }

    #[test]
    fn entities_in_attributes_are_decoded() {
        let list = parse(&doc(r#"
            <outline xmlUrl="http://a/?x=1&amp;y=2" title="chat &amp; code &#x59CB; AT&T"/>"#));
        assert_eq!(list.subscriptions[0].url, "http://a/?x=1&y=2");
        assert_eq!(list.subscriptions[0].title.as_deref(), Some("chat & code 始 AT&T"));
    }

    #[test]
    fn strings_are_sanitized() {
        let list =
            parse(&doc("<outline xmlUrl=\" http://a/ \" title=\"x&#27;[2Jy\n z\" category=\"&#x202e;t\"/>"));
        assert_eq!(list.subscriptions[0], sub("http://a/", Some("x[2Jy z"), &["t"]));
    }

    #[test]
    fn link_only_outlines_are_skipped_and_notes_ignored() {
        let list = parse(&doc(r#"
            <outline type="link" text="Home" url="http://x/"/>
            <outline text="note only"/>
            <outline text="folder" htmlUrl="http://y/"><outline xmlUrl="http://a/"/></outline>
            <outline text="empty folder"></outline>
            <outline xmlUrl="" htmlUrl="http://z/" text="Z"/>"#));
        assert_eq!(list.subscriptions, [sub("http://a/", None, &["folder"])]);
        assert_eq!(list.skipped.len(), 2);
        assert_eq!(list.skipped[0].what, "line 4: \"Home\" http://x/");
        assert_eq!(list.skipped[0].reason, "no feed URL (xmlUrl)");
        assert_eq!(list.skipped[1].what, "line 8: \"Z\" http://z/");
    }

    #[test]
    fn pseudo_feeds_are_skipped_with_line_numbers() {
        let list = parse(&doc(r#"
            <outline title="Birdsite" xmlUrl="|~/fetch.py"/>
            <outline xmlUrl="exec:~/bin/foo"/>
            <outline xmlUrl="http://ok/"/>"#));
        assert_eq!(list.subscriptions.len(), 1);
        assert_eq!(list.skipped[0].what, "line 4: \"Birdsite\" |~/fetch.py");
        assert!(list.skipped[0].reason.contains("piped"));
        assert_eq!(list.skipped[1].what, "line 5: exec:~/bin/foo");
        assert!(list.skipped[1].reason.starts_with("exec: feeds"));
    }

    #[test]
    fn filter_commands_are_skipped_with_the_command() {
        // newsboat imports these as `filter:CMD:URL`; Liferea uses the same attribute.
        let list = parse(&doc(r#"
            <outline type="rss" title="Scraped" xmlUrl="https://site.example/news.html" filtercmd="~/bin/html2rss.py --all"/>
            <outline type="rss" xmlUrl="http://plain/" filterCmd="  "/>
            <outline text="Folder"><outline xmlUrl="http://x/" FILTERCMD="xslt a.xsl"/></outline>"#));
        assert_eq!(list.subscriptions, [sub("http://plain/", None, &[])]);
        assert_eq!(list.skipped.len(), 2);
        assert_eq!(list.skipped[0].what, "line 4: \"Scraped\" https://site.example/news.html");
        assert_eq!(
            list.skipped[0].reason,
            "its feed is piped through a command (filtercmd=\"~/bin/html2rss.py --all\"), which \
             tidings does not run; subscribe to the URL itself if its feed is usable as it is"
        );
        assert_eq!(list.skipped[1].what, "line 6: http://x/");
        assert!(list.skipped[1].reason.contains("filtercmd=\"xslt a.xsl\""), "{:?}", list.skipped[1]);
    }

    #[test]
    fn duplicates_keep_the_first_and_merge_tags() {
        let list = parse(&doc(r#"
            <outline text="A"><outline xmlUrl="http://a/" title="First"/></outline>
            <outline text="B"><outline xmlUrl="HTTP://A" title="Second"/></outline>"#));
        assert_eq!(list.subscriptions, [sub("http://a/", Some("First"), &["A", "B"])]);
    }

    #[test]
    fn broken_xml_keeps_what_came_before() {
        let text = doc(r#"<outline xmlUrl="http://a/"/>
            <outline xmlUrl="http://b/" title="B"/>
            <outline xmlUrl="http://c/" title="unterminated/>
            <outline xmlUrl="http://d/"/>"#);
        let list = parse(&text);
        assert_eq!(list.subscriptions.len(), 2);
        assert_eq!(list.skipped.len(), 1);
        assert!(list.skipped[0].what.starts_with("line 5, column"), "{:?}", list.skipped);
        assert!(list.skipped[0].reason.contains("the rest of the file was not read"));

        // a truncated file with no syntax error is reported as cut off
        let list = parse("<opml><body><outline text=\"f\"><outline xmlUrl=\"http://a/\"/>");
        assert_eq!(list.subscriptions, [sub("http://a/", None, &["f"])]);
        assert!(list.skipped[0].reason.contains("cut off"));

        // a comment that never ends, inside a valid OPML start
        let list = parse("<opml><body><outline xmlUrl=\"http://a/\"/><!-- oops");
        assert_eq!(list.subscriptions.len(), 1);
        assert_eq!(list.skipped.len(), 1);
    }

    #[test]
    fn stray_and_mismatched_end_tags_are_tolerated() {
        let list = parse(&doc(r#"
            </div>
            <outline text="F"><outline xmlUrl="http://a/"></outlin></outline></outline>
            <outline xmlUrl="http://b/"/>"#));
        assert_eq!(list.subscriptions, [sub("http://a/", None, &["F"]), sub("http://b/", None, &[])]);
        // a folder left open is closed by the end of its parent
        let list = parse(concat!(
            "<opml><body><outline text='G'><outline text='F'><outline xmlUrl='http://a/'/>",
            "</outline></body><body><outline xmlUrl='http://b/'/></body></opml>",
        ));
        assert_eq!(list.subscriptions, [sub("http://a/", None, &["G", "F"]), sub("http://b/", None, &[])]);
    }

    #[test]
    fn missing_body_or_root_is_tolerated() {
        let list = parse("<opml version=\"1.0\"><head><title>x</title></head></opml>");
        assert!(list.subscriptions.is_empty() && list.skipped.is_empty());
        let list = parse("<not-opml><body><outline xmlUrl=\"http://a/\"/></body></not-opml>");
        assert_eq!(list.subscriptions.len(), 1);
        let list = parse("<opml><outline xmlUrl=\"http://a/\"/></opml>");
        assert_eq!(list.subscriptions.len(), 1);
    }

    #[test]
    fn unreadable_documents_are_errors() {
        assert!(matches!(
            parse_opml(b"<rss><channel><title>x</title></channel></rss>"),
            Err(ImportError::NotOpml { root }) if root == "rss"
        ));
        assert!(matches!(parse_opml(b"just text"), Err(ImportError::NotXml)));
        assert!(matches!(parse_opml(b"<<<<"), Err(ImportError::Malformed { line: 1, .. })));
        // broken right after the opml root: it is OPML, so an empty list with the reason
        let list = parse("<opml><body><outline xmlUrl=\"http://a/\" <");
        assert!(list.subscriptions.is_empty());
        assert_eq!(list.skipped.len(), 1);
    }

    #[test]
    fn declared_and_bom_encodings_are_decoded() {
        let body = doc("<outline text=\"папка\"><outline xmlUrl=\"http://a/\" text=\"пример\"/></outline>")
            .replace("<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"windows-1251\"?>");
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(&body);
        let list = parse_opml(&cp1251).unwrap();
        assert_eq!(list.subscriptions[0], sub("http://a/", Some("пример"), &["папка"]));

        let utf16: Vec<u8> = format!("\u{feff}{}", doc("<outline xmlUrl=\"http://a/\" text=\"日本\"/>"))
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let list = parse_opml(&utf16).unwrap();
        assert_eq!(list.subscriptions[0].title.as_deref(), Some("日本"));

        let bom = [b"\xef\xbb\xbf".as_slice(), doc("<outline xmlUrl=\"http://a/\"/>").as_bytes()].concat();
        assert_eq!(parse_opml(&bom).unwrap().subscriptions.len(), 1);
    }

    #[test]
    fn category_escapes_round_trip() {
        for tag in ["a,b", "/lead", "mid/dle", "100%", "%2C", "%2c%25x", "a%2Fb", ",/,"] {
            assert_eq!(unescape_category(&escape_category(tag)), tag, "{tag}");
            assert!(!escape_category(tag).contains(','));
            assert!(!escape_category(tag).starts_with('/'));
        }
        assert_eq!(escape_category("50% off"), "50% off");
    }

    #[test]
    fn written_opml_has_folders_categories_and_escapes() {
        let subs = [
            sub("http://a/?x=1&y=2", Some("A & \"B\" <c>"), &[]),
            sub("http://b/", None, &["news", "tech"]),
            sub("http://c/", Some("C"), &["news"]),
        ];
        let xml = write_opml(&subs, "My <feeds>");
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"));
        assert!(xml.contains("<title>My &lt;feeds&gt;</title>"));
        assert!(xml.contains(
            "<outline type=\"rss\" text=\"A &amp; &quot;B&quot; &lt;c&gt;\" title=\"A &amp; &quot;B&quot; &lt;c&gt;\" xmlUrl=\"http://a/?x=1&amp;y=2\"/>"
        ));
        assert!(xml.contains("<outline text=\"news\" title=\"news\">\n      <outline type=\"rss\" text=\"http://b/\" xmlUrl=\"http://b/\" category=\"news,tech\"/>\n      <outline type=\"rss\" text=\"C\" title=\"C\" xmlUrl=\"http://c/\" category=\"news\"/>\n    </outline>"), "{xml}");
        assert_eq!(parse(&xml).subscriptions, subs);
    }

    #[test]
    fn round_trip_keeps_odd_tags_and_titles() {
        let subs = [
            sub("http://a/", Some("Üñí © 日本 \"q\" 'a' &amp;"), &["a,b", "/x/y", "Tech", "100%2C"]),
            sub("https://b.example/feed?a=1&b=2", None, &["Tech", "a,b"]),
            sub("http://c/", Some("http://c/ but longer"), &["  spaced  out "]),
            sub("file:///tmp/f.xml", Some("F"), &[]),
        ];
        let back = parse(&write_opml(&subs, "t")).subscriptions;
        let mut expected = subs.to_vec();
        expected[2].tags = vec!["spaced out".into()];
        // untagged feeds are written first
        expected.rotate_right(1);
        assert_eq!(back, expected);
    }
}

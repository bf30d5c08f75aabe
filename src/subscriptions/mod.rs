//! Reads and writes subscription lists (OPML and newsboat's `urls` file) and finds the feeds
//! a web page links to; it never touches the network, the store or the terminal. A feed's
//! request options, as the command line and the reader take them, are checked in
//! [`request_options`].
//!
//! Import is lenient: whatever can be read is returned in [`ImportList::subscriptions`], and
//! every entry that was left out is listed in [`ImportList::skipped`] with the reason, so the
//! caller can tell the user exactly what did not come across. An [`ImportError`] is returned
//! only when nothing at all could be read.
//!
//! Rules shared by both formats:
//! - Every string is cleaned with [`crate::sanitize::line`]; tags and titles that end up empty
//!   are dropped.
//! - A feed URL must be an absolute `http`, `https` or `file` URL. It is stored in the
//!   normalised form of the `url` crate (`HTTP://Example.com` becomes `http://example.com/`),
//!   so the same feed written two ways is recognised as one, and a stored URL never holds a
//!   space or a quote. newsboat's `query:`, `exec:`, `filter:` and `|command` pseudo-feeds and
//!   any other scheme are skipped with a reason.
//! - A URL that appears twice in one file is imported once: the first entry wins, its tags are
//!   extended by the later entries' tags, and a missing title is taken from a later entry.
//! - Tags are compared exactly (case-sensitive) and kept in first-seen order.

mod discover;
pub mod newsboat;
pub(crate) mod newsboat_query;
mod opml;
pub(crate) mod request_options;
mod typed;
mod urls;

use std::borrow::Cow;
use std::collections::HashMap;

pub use discover::discover_feeds;
pub use discover::DiscoveredFeed;
pub use opml::parse_opml;
pub use opml::write_opml;
pub use typed::feed_url_from_input;
pub use urls::parse_urls_file;
pub use urls::write_urls;

use crate::sanitize;

/// One feed to subscribe to, as read from (or written to) a subscription list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Absolute http(s) or file URL of the feed, normalised by the `url` crate.
    pub url: String,
    /// The user's name for the feed, if the list gave one.
    pub title: Option<String>,
    /// Folder names and categories, trimmed, non-empty, without duplicates.
    pub tags: Vec<String>,
}

/// An entry of the imported file that was not turned into a [`Subscription`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where and what, e.g. `line 7: exec:~/bin/foo`.
    pub what: String,
    /// Why it was left out, e.g. `exec: feeds are not supported`.
    pub reason: String,
}

/// The result of an import: the feeds that were read and the entries that were left out.
#[derive(Debug, Default)]
pub struct ImportList {
    /// Feeds in file order, each URL once.
    pub subscriptions: Vec<Subscription>,
    /// Entries left out, in file order, each with the reason.
    pub skipped: Vec<Skipped>,
}

/// Why a file could not be imported at all. Each message says what is wrong with the file and
/// what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file holds nothing but whitespace.
    #[error(
        "the file is empty, so there is nothing to import; pick the subscription list your \
         feed reader exported (OPML, or a newsboat urls file)"
    )]
    Empty,
    /// The file is XML, but its root element is not `<opml>` and no outline could be read.
    #[error(
        "the file is XML but not OPML: its root element is <{root}> and it holds no \
         <outline xmlUrl=\"...\"> entries; if it is a feed, subscribe to its URL instead, \
         otherwise export your subscriptions as OPML from your old feed reader"
    )]
    NotOpml {
        /// Local name of the root element.
        root: String,
    },
    /// Nothing in the file looks like XML markup.
    #[error(
        "the file holds no XML elements, so it is not OPML; if it is a newsboat urls file, \
         import it as one"
    )]
    NotXml,
    /// The XML is broken before anything (even the root element) could be read.
    #[error(
        "the file is not well-formed XML ({message} at line {line}, column {column}) and \
         nothing could be read before that point; repair the file there or export it again"
    )]
    Malformed {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// The XML parser's description of the problem.
        message: String,
    },
    /// The file holds NUL bytes: it is binary (perhaps compressed), not text.
    #[error(
        "the file is binary, not a subscription list; if it is compressed (for example \
         .gz), unpack it first, then import the OPML or urls file inside"
    )]
    Binary,
    /// Not a single line of a urls file is a feed URL or a newsboat pseudo-feed.
    #[error(
        "the file does not look like a subscription list: line {line} ({text:?}) is not a \
         feed URL; a newsboat urls file has one http(s) URL per line, \
         optionally followed by tags, and an OPML file starts with <opml or <?xml; check \
         that you picked the right file"
    )]
    NotSubscriptionList {
        /// 1-based number of the first line that is not blank or a comment.
        line: usize,
        /// That line, cleaned and shortened.
        text: String,
    },
}

/// Reads a subscription list in either format: OPML when the first thing in the file (after a
/// byte order mark and whitespace) is markup, a newsboat urls file otherwise. A urls file line
/// always starts with a URL or `#`, never with `<`, so this cannot mistake one for the other.
pub fn parse_import(bytes: &[u8]) -> Result<ImportList, ImportError> {
    let text = decode_document(bytes);
    let start = text.trim_start();
    if start.is_empty() {
        return Err(ImportError::Empty);
    }
    if start.starts_with('<') {
        opml::parse_opml_text(&text)
    } else {
        urls::parse_urls_text(&text)
    }
}

/// Collects subscriptions while merging duplicate URLs, and the skipped entries.
#[derive(Default)]
pub(crate) struct Collector {
    list: ImportList,
    /// Normalised URL to index in `list.subscriptions`.
    seen: HashMap<String, usize>,
}

impl Collector {
    /// Adds a feed whose URL already passed [`check_feed_url`]. A repeated URL keeps the first
    /// entry and gains the new tags (and the title, if it had none).
    pub(crate) fn add(&mut self, url: String, title: Option<String>, tags: Vec<String>) {
        if let Some(&i) = self.seen.get(&url) {
            let first = &mut self.list.subscriptions[i];
            if first.title.is_none() {
                first.title = title;
            }
            for tag in tags {
                push_tag(&mut first.tags, &tag);
            }
            return;
        }
        self.seen.insert(url.clone(), self.list.subscriptions.len());
        self.list.subscriptions.push(Subscription { url, title, tags });
    }

    /// Records an entry that was left out. `what` is cleaned and shortened because it is shown
    /// to the user and may hold arbitrary bytes from the file; `reason` is cleaned too, since
    /// some reasons quote the file (an element name).
    pub(crate) fn skip(&mut self, what: &str, reason: impl Into<String>) {
        self.list.skipped.push(Skipped {
            what: shorten(&sanitize::line(what), 160),
            reason: sanitize::line(&reason.into()),
        });
    }

    /// True when neither a subscription nor a skipped entry was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.subscriptions.is_empty() && self.list.skipped.is_empty()
    }

    pub(crate) fn has_subscriptions(&self) -> bool {
        !self.list.subscriptions.is_empty()
    }

    pub(crate) fn finish(self) -> ImportList {
        self.list
    }
}

/// Checks that `raw` is a feed URL tidings can fetch and returns its normalised form, or the
/// reason it cannot be used (worded for the user).
pub(crate) fn check_feed_url(raw: &str) -> Result<String, String> {
    let s = sanitize::line(raw);
    if s.is_empty() {
        return Err("the feed URL is empty".to_owned());
    }
    if s.starts_with('|') {
        return Err("piped-command feeds (`|command`) are not supported".to_owned());
    }
    let lower = s.to_ascii_lowercase();
    // newsboat's pseudo-feeds get their own messages because a newsboat user will know them
    // by these names.
    const PSEUDO: [(&str, &str); 3] = [
        ("query:", "query: feeds (newsboat saved searches) come with `tidings import --newsboat DIR`, or `tidings query add`"),
        ("exec:", "exec: feeds (the output of a command) are not supported"),
        (
            "filter:",
            "filter: feeds (a URL piped through a command) are not supported; subscribe to \
             the URL itself if its feed is usable as it is",
        ),
    ];
    for (prefix, reason) in PSEUDO {
        if lower.starts_with(prefix) {
            return Err(reason.to_owned());
        }
    }
    match url::Url::parse(&s) {
        // The url crate percent-encodes a quote everywhere except in a host name, where the
        // URL standard allows it; no real feed has one, and a stored URL must not hold one
        // (a urls file would read it as the start of a quoted part).
        Ok(u) if u.as_str().contains('"') => {
            Err("the host name holds a quote (\"), which no feed URL has; check the URL".to_owned())
        }
        Ok(u) => match u.scheme() {
            "http" | "https" | "file" => Ok(u.into()),
            other => {
                Err(format!("unsupported URL scheme `{other}:`; only http, https and file feeds can be read"))
            }
        },
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Err("not an absolute URL; a feed URL must start with http:// or https://".to_owned())
        }
        Err(e) => Err(format!("invalid URL ({e})")),
    }
}

/// Cleans `raw` as a tag and appends it unless it is empty or already there.
pub(crate) fn push_tag(tags: &mut Vec<String>, raw: &str) {
    let tag = sanitize::line(raw);
    if !tag.is_empty() && !tags.contains(&tag) {
        tags.push(tag);
    }
}

/// Cleans `raw` as a title; `None` when nothing is left.
pub(crate) fn clean_title(raw: &str) -> Option<String> {
    let t = sanitize::line(raw);
    (!t.is_empty()).then_some(t)
}

/// Turns the bytes of an XML or text file into a string.
///
/// Order of evidence: a byte order mark (UTF-8, UTF-16LE/BE), then `<?` in UTF-16 without a
/// BOM, then the `encoding` of an `<?xml ...?>` declaration at the very start, then UTF-8.
/// Bytes that are invalid in the chosen encoding become U+FFFD rather than failing the import:
/// one bad byte in a title must not cost the user the whole list.
pub(crate) fn decode_document(bytes: &[u8]) -> String {
    // encoding_rs has no UTF-32 (the web does not use it), but an XML file may; its BOM must
    // be checked before UTF-16's, which it starts with.
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe, 0, 0]) {
        return decode_utf32(rest, u32::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0, 0, 0xfe, 0xff]) {
        return decode_utf32(rest, u32::from_be_bytes);
    }
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom_len..]).0.into_owned();
    }
    let enc = if bytes.starts_with(&[0x3c, 0, 0x3f, 0]) {
        encoding_rs::UTF_16LE
    } else if bytes.starts_with(&[0, 0x3c, 0, 0x3f]) {
        encoding_rs::UTF_16BE
    } else {
        // A declaration we could read as ASCII cannot truthfully name UTF-16 (or another
        // ASCII-incompatible encoding); `output_encoding` maps those to UTF-8.
        declared_xml_encoding(bytes).map_or(encoding_rs::UTF_8, encoding_rs::Encoding::output_encoding)
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Decodes UTF-32 in the byte order `unit` reads; invalid code points and a cut-off last
/// unit become U+FFFD.
fn decode_utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> String {
    let chunks = bytes.chunks_exact(4);
    let cut = !chunks.remainder().is_empty();
    let mut out: String = chunks
        .map(|c| {
            let c = [c[0], c[1], c[2], c[3]];
            char::from_u32(unit(c)).unwrap_or('\u{fffd}')
        })
        .collect();
    if cut {
        out.push('\u{fffd}');
    }
    out
}

/// The encoding named by an `<?xml ... encoding="..."?>` declaration at the start of `bytes`
/// (after optional whitespace), if it names one that encoding_rs knows.
fn declared_xml_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = head[start..].strip_prefix(b"<?xml")?;
    let end = find(decl, b"?>")?;
    let decl = &decl[..end];
    let at = find(decl, b"encoding")?;
    let rest = decl[at + b"encoding".len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let (&quote, rest) = rest.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let label = &rest[..rest.iter().position(|&b| b == quote)?];
    encoding_rs::Encoding::for_label(label)
}

/// Position of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes character references and entities in an attribute value, leniently: the five XML
/// entities, numeric references, and a few HTML entities that real exports contain. Anything
/// else, including a bare `&` (common in hand-made OPML), is kept as it is rather than
/// rejected, because a title with a stray `&` is still a usable title.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Entity names are short; look no further than this for the `;`.
        let semi = rest.as_bytes().iter().take(12).position(|&b| b == b';');
        let decoded = semi.and_then(|semi| entity_char(&rest[1..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The character an entity name (between `&` and `;`) stands for.
fn entity_char(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        // NUL and surrogates are not characters; keep the reference visible as U+FFFD so the
        // user sees that something was there.
        return Some(char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{fffd}'));
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "hellip" => '\u{2026}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "laquo" => '\u{ab}',
        "raquo" => '\u{bb}',
        "copy" => '\u{a9}',
        "reg" => '\u{ae}',
        _ => return None,
    })
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_are_checked_and_normalised() {
        assert_eq!(check_feed_url("  HTTP://Example.COM  ").as_deref(), Ok("http://example.com/"));
        assert_eq!(
            check_feed_url("https://x.org/a b?q=\"1\"").as_deref(),
            Ok("https://x.org/a%20b?q=%221%22")
        );
        assert!(check_feed_url("file:///home/me/feed.xml").is_ok());
        for (raw, word) in [
            ("exec:~/bin/foo", "exec:"),
            ("Query:Unread:unread = \"yes\"", "query:"),
            ("filter:~/f.sh:http://x/", "filter:"),
            ("|~/fetch.py", "piped"),
            ("gopher://x/", "`gopher:`"),
            ("example.com/feed", "absolute"),
            ("", "empty"),
            ("http://", "invalid URL"),
        ] {
            let reason = check_feed_url(raw).unwrap_err();
            assert!(reason.contains(word), "{raw:?}: {reason}");
        }
    }

    #[test]
    fn entities_are_decoded_leniently() {
        assert_eq!(decode_entities("a=1&amp;b=2"), "a=1&b=2");
        assert_eq!(decode_entities("&lt;&gt;&quot;&apos;&#x59CB;&#32;&#8212;"), "<>\"'始 —");
        assert_eq!(decode_entities("AT&T & co &bogus; &#0;"), "AT&T & co &bogus; \u{fffd}");
        assert_eq!(decode_entities("x&hellip;&nbsp;y"), "x…\u{a0}y");
        assert_eq!(decode_entities("&"), "&");
        assert_eq!(decode_entities("&#xD800;"), "\u{fffd}");
    }

    #[test]
    fn documents_are_decoded_by_bom_and_declaration() {
        // UTF-8 BOM
        assert_eq!(decode_document(b"\xef\xbb\xbf<a/>"), "<a/>");
        // UTF-16LE and BE with BOM
        let le: Vec<u8> = "\u{feff}<ü/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_document(&le), "<ü/>");
        let be: Vec<u8> = "\u{feff}<ü/>".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_document(&be), "<ü/>");
        // UTF-32 with BOM, both byte orders, with a cut-off last unit
        let le: Vec<u8> =
            "\u{feff}<ü/>".chars().flat_map(|c| u32::from(c).to_le_bytes()).chain([0x41]).collect();
        assert_eq!(decode_document(&le), "<ü/>\u{fffd}");
        let be: Vec<u8> = "\u{feff}<ü/>".chars().flat_map(|c| u32::from(c).to_be_bytes()).collect();
        assert_eq!(decode_document(&be), "<ü/>");
        // UTF-16LE without BOM
        let nobom: Vec<u8> = "<?xml?><ü/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_document(&nobom), "<?xml?><ü/>");
        // declared single-byte encoding, single quotes, spaces around '='
        assert_eq!(
            decode_document(b"  <?xml version='1.0' encoding = 'windows-1251'?><a t='\xcf'/>"),
            "  <?xml version='1.0' encoding = 'windows-1251'?><a t='П'/>"
        );
        // a declaration naming UTF-16 in an ASCII file is wrong: read it as UTF-8
        assert_eq!(
            decode_document("<?xml encoding=\"UTF-16\"?><é/>".as_bytes()),
            "<?xml encoding=\"UTF-16\"?><é/>"
        );
        // unknown label and invalid bytes: UTF-8 with replacement characters
        assert_eq!(
            decode_document(b"<?xml encoding=\"bogus\"?><a>\xff</a>"),
            "<?xml encoding=\"bogus\"?><a>\u{fffd}</a>"
        );
    }

    #[test]
    fn duplicates_merge_tags_and_fill_titles() {
        let mut c = Collector::default();
        c.add("http://a/".into(), None, vec!["x".into()]);
        c.add("http://b/".into(), Some("B".into()), vec![]);
        c.add("http://a/".into(), Some("A".into()), vec!["y".into(), "x".into()]);
        let list = c.finish();
        assert_eq!(list.subscriptions.len(), 2);
        assert_eq!(list.subscriptions[0].title.as_deref(), Some("A"));
        assert_eq!(list.subscriptions[0].tags, ["x", "y"]);
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn import_sniffs_the_format() {
        assert!(matches!(parse_import(b" \n\t"), Err(ImportError::Empty)));
        let opml =
            parse_import(b"\xef\xbb\xbf\n<opml><body><outline xmlUrl='http://a/'/></body></opml>").unwrap();
        assert_eq!(opml.subscriptions[0].url, "http://a/");
        let urls = parse_import(b"# my feeds\nhttp://b/ tag\n").unwrap();
        assert_eq!(urls.subscriptions[0].tags, ["tag"]);
        assert!(matches!(
            parse_import(b"<rss version='2.0'><channel/></rss>"),
            Err(ImportError::NotOpml { .. })
        ));
        let err = parse_import(b"name,url\nfoo,bar\n").unwrap_err();
        assert!(matches!(err, ImportError::NotSubscriptionList { line: 1, .. }));
        assert!(err.to_string().contains("check that you picked the right file"));
    }

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}

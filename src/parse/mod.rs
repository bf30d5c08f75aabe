//! Feed bytes in, a cleaned [`ParsedFeed`] out: RSS 0.9x/1.0/2.0, Atom 1.0 and JSON Feed 1.x.
//!
//! Contract: [`parse_feed`] does no I/O, never panics (a panic inside feed-rs becomes
//! [`ParseError::Crashed`]), and is deterministic: the same bytes and URL give the same
//! articles with the same [`ArticleKey`]s. Every string it returns has been through
//! [`crate::sanitize`]; every URL it returns is absolute when it could be made so. Dates
//! outside 1990..now+1 day are dropped.
//!
//! feed-rs does the XML and JSON work. Around it we: pick the character encoding ourselves
//! ([`decode`]), recognise HTML pages and other non-feeds ([`sniff`]), repair what feed-rs
//! rejects but real feeds contain (a bare `<rss>`, an `http://` JSON Feed version, a missing
//! JSON title, a truncated document), and turn its model into ours: stable keys, plain-text
//! titles, an HTML body with its image and link URLs ([`html`]), lenient dates ([`date`]).

mod balance;
mod batch;
mod date;
mod decode;
mod fallback;
mod html;
mod lenient;
mod remote;
pub(crate) use html::{escape_text, flatten, flatten_undecoded_into};
pub(crate) use remote::{article_from_remote, RemoteArticle};
mod repair;
mod shapes;
mod sniff;

// Double-encoded titles and author names, repaired in `convert`.
mod mojibake;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, FeedType, Link, Text};
use feed_rs::parser::{Builder, ParseErrorKind, ParseFeedError};
use url::Url;

use crate::model::{ArticleKey, Enclosure, FeedFormat, ParsedArticle, ParsedFeed};
use crate::sanitize;

/// Why a document could not be read as a feed. Each message is one line that says what is
/// wrong and what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body was empty or only whitespace.
    #[error("empty document: the server sent no content (check the URL, or try again later)")]
    Empty,
    /// The document is a web page.
    #[error(
        "not a feed: the server sent an HTML page (try `tidings add` with the page URL to discover its feed)"
    )]
    Html,
    /// Well-formed enough to read, but its root element is not a feed's.
    #[error("not a feed: the document is <{root}>, not RSS, Atom or JSON Feed (check the URL)")]
    UnknownRoot {
        /// The root element's name as written.
        root: String,
    },
    /// An OPML subscription list was given where a feed was expected.
    #[error("not a feed: this is an OPML subscription list (import it instead of adding it as a feed)")]
    Opml,
    /// JSON that is not a JSON Feed.
    #[error("not a feed: the document is JSON but not a JSON Feed (check the URL)")]
    NotJsonFeed,
    /// Neither markup nor JSON, e.g. a plain-text error message.
    #[error("not a feed: the server sent plain text starting with \"{start}\" (check the URL)")]
    PlainText {
        /// The first few characters, cleaned.
        start: String,
    },
    /// XML without any element, or whose root feed-rs could not recognise.
    #[error("not a feed: no RSS, Atom or JSON Feed content found (check the URL)")]
    NoFeed,
    /// Broken XML that we could not salvage.
    #[error("broken feed: the XML is malformed ({detail}); the publisher needs to fix it")]
    MalformedXml {
        /// feed-rs's description, cleaned.
        detail: String,
    },
    /// Broken JSON.
    #[error("broken JSON Feed: {detail}; the publisher needs to fix it")]
    MalformedJson {
        /// serde_json's description, cleaned.
        detail: String,
    },
    /// A JSON Feed version we do not know.
    #[error("unsupported JSON Feed version \"{version}\" (only version 1.x is supported)")]
    UnsupportedJsonVersion {
        /// The version the feed declared, cleaned.
        version: String,
    },
    /// Gzip-compressed twice, or inflating to an unreasonable size.
    #[error("unreadable document: it is compressed more than once or inflates beyond 64 MiB")]
    Compressed,
    /// Gzip data that could not be inflated.
    #[error("unreadable document: it looks gzip-compressed but does not inflate ({detail})")]
    BadGzip {
        /// The decompressor's description, cleaned.
        detail: String,
    },
    /// The document holds items, but not one of them could be read.
    #[error(
        "broken feed: the document holds {found} but none could be read (its markup is not what RSS, Atom or JSON Feed expect); the publisher needs to fix it"
    )]
    ItemsUnread {
        /// What was seen, in words ("3 items").
        found: String,
    },
    /// The parser panicked on this document.
    #[error("the feed parser crashed on this document ({detail}); please report the feed URL")]
    Crashed {
        /// The panic message, cleaned.
        detail: String,
    },
}

/// Parses one feed document.
///
/// `bytes` is the body exactly as received (after content-encoding such as gzip is undone).
/// `http_charset` is the `charset` of the HTTP Content-Type, if any (see
/// [`charset_from_content_type`]); it is used only when the document does not declare its
/// encoding. `feed_url` is where the document came from, used to resolve relative URLs; a
/// `file://` URL or a plain absolute path also works, anything else just leaves relative
/// URLs unresolved.
pub fn parse_feed(
    bytes: &[u8],
    http_charset: Option<&str>,
    feed_url: &str,
) -> Result<ParsedFeed, ParseError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        // A .gz file, or a server that gzipped without saying so in Content-Encoding.
        let inflated = gunzip(bytes)?;
        if inflated.starts_with(&GZIP_MAGIC) {
            return Err(ParseError::Compressed);
        }
        return parse_feed(&inflated, http_charset, feed_url);
    }
    let encoding_note = decode::describe_decoding(bytes, http_charset);
    parse_decoded(bytes, http_charset, feed_url).map(|mut feed| {
        feed.notes.extend(encoding_note);
        feed
    })
}

fn parse_decoded(bytes: &[u8], http_charset: Option<&str>, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    let base = base_url(feed_url);
    let text = decode::fix_prolog(decode::to_utf8(bytes, http_charset));
    crate::memtrace::stage("decoded");
    let kind = sniff::classify(&text);
    // An XHTML page that only wraps a feed: the feed is read, not refused as a web page.
    if let Some(range) = sniff::feed_inside_html(&text, &kind) {
        let inner = text[range].to_owned();
        let kind = sniff::classify(&inner);
        return dispatch(Cow::Owned(inner), kind, base.as_ref());
    }
    // PHP warnings and similar junk printed before the feed ("<br /><b>Warning</b>: ...").
    if let Some(start) = sniff::junk_before_feed(&text, &kind) {
        // The declaration after the junk was not seen when decoding: say UTF-8 in it too.
        let rest = decode::fix_prolog(Cow::Borrowed(&text[start..])).into_owned();
        let kind = sniff::classify(&rest);
        return dispatch(Cow::Owned(rest), kind, base.as_ref());
    }
    dispatch(text, kind, base.as_ref())
}

/// Parses decoded text according to what [`sniff::classify`] found. A document that holds
/// items gives at least one article or an error: never a silent, empty success.
fn dispatch(text: Cow<'_, str>, kind: sniff::Kind, base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let json = matches!(kind, sniff::Kind::Json);
    // Counted before parsing consumes the text; cheap (one scan) and only read when the
    // parse came back empty.
    let held = if json {
        sniff::json_has_items(&text).then(|| "a non-empty \"items\" list".to_owned())
    } else {
        Some(sniff::item_elements(&text)).filter(|&n| n > 0).map(|n| crate::words::plural(n, "item"))
    };
    let feed = dispatch_kind(text, kind, base)?;
    match held {
        Some(found) if feed.articles.is_empty() => Err(ParseError::ItemsUnread { found }),
        _ => Ok(feed),
    }
}

fn dispatch_kind(
    text: Cow<'_, str>,
    kind: sniff::Kind,
    base: Option<&Url>,
) -> Result<ParsedFeed, ParseError> {
    match kind {
        sniff::Kind::Empty => Err(ParseError::Empty),
        sniff::Kind::Text => Err(ParseError::PlainText { start: snippet(&text) }),
        sniff::Kind::Json => parse_json(&text, base),
        sniff::Kind::Markup { root, doctype_html } => {
            let root = match root {
                None if doctype_html => return Err(ParseError::Html),
                None => return Err(ParseError::NoFeed),
                Some(r) => r,
            };
            let local = root.local_name();
            let feed_root = is_feed_root(local);
            // An HTML DOCTYPE over a feed root is a publisher's template mistake; the root
            // decides.
            if sniff::is_html_root(&root) || (doctype_html && !feed_root) {
                return Err(ParseError::Html);
            }
            if local.eq_ignore_ascii_case("opml") {
                return Err(ParseError::Opml);
            }
            if !feed_root && (local.eq_ignore_ascii_case("rss") || local.eq_ignore_ascii_case("feed")) {
                // `<RSS><CHANNEL><ITEM>`, as some old producers wrote it: XML names are case
                // sensitive, so the names are read in lower case.
                let lowered = repair::lowercase_element_names(&text);
                let kind = sniff::classify(&lowered);
                return dispatch_kind(Cow::Owned(lowered), kind, base).map(|mut feed| {
                    feed.notes.push("recovered: upper-case element names read in lower case".to_owned());
                    feed
                });
            }
            if feed_root && local == "rss" && root.qname.contains(':') {
                // `<r:rss>`: RSS 0.9x/2.0 have no namespace, so a producer that prefixed every
                // name meant plain RSS; feed-rs would see no channel.
                let prefix = root.qname.rsplit_once(':').map_or("", |(p, _)| p).to_owned();
                let plain = shapes::strip_prefix(&text, &prefix);
                let kind = sniff::classify(&plain);
                return dispatch_kind(Cow::Owned(plain), kind, base).map(|mut feed| {
                    feed.notes.insert(
                        0,
                        format!(
                            "recovered: element names prefixed \"{}:\" read without the prefix",
                            sanitize::line(&prefix).chars().take(20).collect::<String>()
                        ),
                    );
                    feed
                });
            }
            if !feed_root && local.eq_ignore_ascii_case("channel") {
                return parse_cdf(&text, &root, base);
            }
            if !feed_root {
                return Err(ParseError::UnknownRoot {
                    root: sanitize::line(&root.qname).chars().take(40).collect(),
                });
            }
            parse_xml(text, &root, base)
        }
    }
}

/// The `charset` parameter of a Content-Type header value, unquoted and trimmed, e.g.
/// `Some("ISO-8859-1")` for `text/xml; charset="ISO-8859-1"`.
pub(crate) fn charset_from_content_type(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        (!v.is_empty()).then(|| v.to_owned())
    })
}

/// True when the document is an HTML page rather than a feed: its first element is `<html>`
/// (or another element that only HTML starts with) or it has an HTML DOCTYPE. `tidings add`
/// uses this to decide to run feed discovery on the page.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    // The start is enough, and decoding only a prefix keeps this cheap on big bodies.
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = decode::to_utf8(head, None);
    let kind = sniff::classify(&text);
    if sniff::feed_inside_html(&text, &kind).is_some() {
        return false;
    }
    // PHP warnings before the feed, which [`parse_feed`] skips: the feed decides.
    let kind = match sniff::junk_before_feed(&text, &kind) {
        Some(start) => sniff::classify(&text[start..]),
        None => kind,
    };
    match kind {
        sniff::Kind::Markup { root, doctype_html } => match root {
            Some(r) => sniff::is_html_root(&r) || (doctype_html && !is_feed_root(r.local_name())),
            None => doctype_html,
        },
        _ => false,
    }
}

/// Root elements feed-rs can parse.
fn is_feed_root(local_name: &str) -> bool {
    matches!(local_name, "rss" | "feed" | "RDF" | "entry")
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Inflated documents larger than this are refused: a few kilobytes of gzip can expand to
/// gigabytes.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(MAX_INFLATED + 1);
    // A truncated gzip stream still yields what was inflated before the error.
    let result = reader.read_to_end(&mut out);
    if out.len() as u64 > MAX_INFLATED {
        return Err(ParseError::Compressed);
    }
    match result {
        Ok(_) => Ok(out),
        Err(_) if !out.is_empty() => Ok(out),
        Err(e) => Err(ParseError::BadGzip { detail: sanitize::line(&e.to_string()) }),
    }
}

/// The URL to resolve relative references against, if `feed_url` gives one.
fn base_url(feed_url: &str) -> Option<Url> {
    let feed_url = feed_url.trim();
    match Url::parse(feed_url) {
        Ok(u) if !u.cannot_be_a_base() => Some(u),
        Ok(_) => None,
        Err(_) => {
            let p = std::path::Path::new(feed_url);
            if p.is_absolute() {
                Url::from_file_path(p).ok()
            } else {
                None
            }
        }
    }
}

/// The first characters of a document, for an error message.
fn snippet(text: &str) -> String {
    let line = sanitize::line(&text.chars().take(200).collect::<String>());
    let mut s: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        s.push('…');
    }
    s
}

fn builder(base: Option<&Url>) -> Builder {
    Builder::new()
        .base_uri(base.map(Url::as_str))
        // An empty id marks "the feed gave none", so our own identity rule applies instead of
        // feed-rs's hash of link + title or its random UUID.
        .id_generator(|_links, _title, _uri| String::new())
        .timestamp_parser(date::parse)
}

thread_local! {
    static CONTAINING_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs code whose panics are caught and become a feed's error: a
/// panic hook should then log quietly instead of telling the user the program crashed.
pub fn containing_panics() -> bool {
    CONTAINING_PANICS.with(std::cell::Cell::get)
}

/// Runs feed-rs with panics contained.
fn run_feed_rs(input: &[u8], base: Option<&Url>) -> Result<Result<Feed, ParseFeedError>, ParseError> {
    let parser = builder(base).build();
    CONTAINING_PANICS.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| parser.parse(input)));
    CONTAINING_PANICS.with(|c| c.set(false));
    result.map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        ParseError::Crashed { detail: sanitize::line(&detail) }
    })
}

fn map_feed_rs_error(e: ParseFeedError) -> ParseError {
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => ParseError::NoFeed,
        ParseFeedError::JsonSerde(e) => ParseError::MalformedJson { detail: sanitize::line(&e.to_string()) },
        ParseFeedError::JsonUnsupportedVersion(v) => {
            ParseError::UnsupportedJsonVersion { version: sanitize::line(&v) }
        }
        ParseFeedError::XmlReader(e) => ParseError::MalformedXml { detail: sanitize::line(&e.to_string()) },
        other => ParseError::MalformedXml { detail: sanitize::line(&other.to_string()) },
    }
}

/// How many repaired versions of one document we try after feed-rs rejected it.
const MAX_REPAIRS: usize = 6;

/// `text` is UTF-8 with a fixed prolog, and `root` was read from it. When the strict path
/// fails, or reads no item from a document that holds some, the document is read leniently
/// ([`lenient`]); when that finds items but reads none either, it is an error, never an
/// empty feed.
fn parse_xml(text: Cow<'_, str>, root: &sniff::Root, base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let strict = parse_xml_strict(Cow::Borrowed(&text), root, base);
    if matches!(&strict, Ok(feed) if !feed.articles.is_empty()) {
        return strict;
    }
    let Some(rebuilt) = lenient::rebuild(&text) else {
        return strict;
    };
    let why = match &strict {
        Err(e) => e.to_string(),
        Ok(_) => "strict parsing read no item".to_owned(),
    };
    let Ok(feed) = run_feed_rs(rebuilt.xml.as_bytes(), base)? else {
        return strict
            .and(Err(ParseError::ItemsUnread { found: crate::words::plural(rebuilt.found as u64, "item") }));
    };
    let mut parsed = convert(feed, Bases::plain(base));
    if parsed.articles.is_empty() {
        return Err(ParseError::ItemsUnread { found: crate::words::plural(rebuilt.found as u64, "item") });
    }
    if rebuilt.atom {
        parsed.format = FeedFormat::Atom;
    }
    let mut note = format!(
        "recovered: read item by item ({})",
        sanitize::line(&why).chars().take(120).collect::<String>()
    );
    for n in &rebuilt.notes {
        note.push_str("; ");
        note.push_str(n);
    }
    parsed.notes.push(note);
    Ok(parsed)
}

/// A Microsoft CDF channel, read through its RSS 2.0 rebuild ([`lenient::cdf`]).
fn parse_cdf(text: &str, root: &sniff::Root, base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let Some(rebuilt) = lenient::cdf(text) else {
        // A <channel> that holds no item is no CDF channel either.
        return Err(ParseError::UnknownRoot { root: sanitize::line(&root.qname).chars().take(40).collect() });
    };
    let found = crate::words::plural(rebuilt.found as u64, "item");
    let Ok(feed) = run_feed_rs(rebuilt.xml.as_bytes(), base)? else {
        return Err(ParseError::ItemsUnread { found });
    };
    let mut parsed = convert(feed, Bases::plain(base));
    if parsed.articles.is_empty() {
        return Err(ParseError::ItemsUnread { found });
    }
    parsed.notes.insert(0, "Microsoft CDF channel read as RSS".to_owned());
    parsed.notes.extend(rebuilt.notes);
    Ok(parsed)
}

/// The rewrites that let feed-rs read old shapes and references it does not know
/// ([`shapes`]), each before the first attempt, since feed-rs would not fail on most of them
/// but read them wrong. Returns the text, what was done (for the fetch log) and the
/// `rdf:about`s of RSS 0.90/1.0 items without a link.
fn read_old_shapes<'t>(
    mut text: Cow<'t, str>,
    root: &sniff::Root,
    atom03: bool,
) -> (Cow<'t, str>, Vec<String>, Vec<Option<String>>) {
    let mut notes: Vec<String> = Vec::new();
    if atom03 {
        text = Cow::Owned(shapes::atom03(&text));
        if let Some(renamed) = shapes::atom03_dates(&text) {
            text = Cow::Owned(renamed);
        }
        notes.push("read as Atom 0.3".to_owned());
    }
    let rss = root.local_name() == "rss";
    let rdf = root.local_name() == "RDF";
    if rss {
        if let Some(fixed) = shapes::items_into_channel(&text) {
            text = Cow::Owned(fixed);
            notes.push("recovered: items outside <channel> read".to_owned());
        }
    }
    let mut abouts = Vec::new();
    if rdf {
        if let Some((fixed, a)) = shapes::rdf_items_without_link(&text) {
            text = Cow::Owned(fixed);
            notes.push(format!(
                "{} without a link kept (identified by rdf:about, else by title and text)",
                crate::words::plural(a.len() as u64, "item")
            ));
            abouts = a;
        }
    }
    let (fixed, read) = shapes::references(&text);
    if let Some(fixed) = fixed {
        text = Cow::Owned(fixed);
    }
    notes.extend(read.notes());
    if rss || rdf {
        if let Some((fixed, n)) = shapes::escape_title_markup(&text) {
            text = Cow::Owned(fixed);
            notes.push(format!(
                "recovered: markup in {} read as text",
                crate::words::plural(n as u64, "title")
            ));
        }
        if let Some((fixed, n)) = shapes::escape_body_markup(&text) {
            text = Cow::Owned(fixed);
            notes.push(format!(
                "recovered: unescaped HTML in {} read as HTML",
                crate::words::plural(n as u64, "description")
            ));
        }
    }
    (text, notes, abouts)
}

fn parse_xml_strict(
    text: Cow<'_, str>,
    root: &sniff::Root,
    base: Option<&Url>,
) -> Result<ParsedFeed, ParseError> {
    // A feed-level xml:base applies to entry bodies too, which feed-rs does not resolve.
    let xml_base = root.attr(&text, "xml:base").and_then(|b| join(base, b));
    // Each Atom entry's own xml:base, which feed-rs drops (it keeps only <content>'s).
    let entry_bases: Vec<Option<Url>> = sniff::entry_xml_bases(&text)
        .into_iter()
        .map(|b| b.and_then(|b| join(xml_base.as_ref().or(base), &b)))
        .collect();
    let mut bases = Bases { entries: &entry_bases, ..Bases::plain(base) };
    bases.xml_base = xml_base.as_ref();
    // Done before the first attempt rather than after its NoFeedRoot: the outcome is the
    // same and a second parse is saved.
    // Seen before `fix_root`, which gives an Atom 0.3 root the Atom 1.0 namespace.
    // Any declaration counts: `<atom:feed xmlns:atom="http://purl.org/atom/ns#">` too.
    let atom03 = root.local_name() == "feed"
        && root.attrs.iter().any(|(n, r)| {
            (n == "xmlns" || n.starts_with("xmlns:"))
                && text.get(r.clone()).is_some_and(|v| v.contains("purl.org/atom/ns#"))
        });
    let text = match sniff::fix_root(&text, root) {
        Some(fixed) => Cow::Owned(fixed),
        None => text,
    };
    let (mut text, shape_notes, abouts) = read_old_shapes(text, root, atom03);
    bases.abouts = &abouts;
    // A second XML declaration (two documents concatenated, pasted content) trips an
    // assertion inside quick-xml 0.42 (`set_encoding() called after prefix buffer was
    // drained`) when it names an encoding: removed before feed-rs ever sees it. One scan,
    // and only documents that hold one are copied.
    // What was done to read the document, for the fetch log ("recovered: ...").
    let mut repairs: Vec<&'static str> = Vec::new();
    if let Some(fixed) = repair::strip_later_declarations(&text) {
        text = Cow::Owned(fixed);
        repairs.push("a second XML declaration removed");
    }
    // A big document of plain shape is read in batches of items; the whole-document path
    // below, with its repairs, reads everything else.
    let mut tally = Tally::default();
    if let Some((mut parsed, channel_title)) = batch::parse(&text, base, bases, &mut tally)? {
        finish(&mut parsed, tally);
        if parsed.title.is_empty() {
            parsed.title = channel_title.as_deref().map(|t| plain_text(t, true)).unwrap_or_default();
        }
        parsed.notes.splice(0..0, shape_notes);
        if !repairs.is_empty() {
            parsed.notes.push(format!("recovered: {}", repairs.join(", ")));
        }
        return Ok(parsed);
    }
    let mut first_error = None;
    let mut escaped = false;
    let mut balanced = false;
    let mut salvaged = false;
    let mut stripped = false;
    for _ in 0..=MAX_REPAIRS {
        let outcome = match run_feed_rs(text.as_bytes(), base) {
            Ok(outcome) => {
                crate::memtrace::stage("feed-rs parsed");
                outcome
            }
            // quick-xml panics on a second XML declaration that names another encoding; the
            // document may well parse without it.
            Err(crash) => match repair::strip_later_declarations(&text) {
                Some(fixed) if !stripped => {
                    stripped = true;
                    repairs.push("a second XML declaration removed");
                    text = Cow::Owned(fixed);
                    continue;
                }
                _ => return Err(crash),
            },
        };
        let err = match outcome {
            // A salvaged or balanced document counts only if it gave items: an empty feed
            // read out of broken markup says less than the strict parser's complaint.
            Ok(feed) if !(salvaged || balanced) || !feed.entries.is_empty() => {
                let is_rss = matches!(feed.feed_type, FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2);
                let scan = if is_rss { fallback::scan(&text) } else { None };
                let mut scan = scan.unwrap_or_default();
                // Extras are matched to entries by position: only when both agree on the count.
                if scan.items.len() != feed.entries.len() {
                    scan.items.clear();
                }
                let mut parsed = convert(feed, Bases { extras: &scan.items, ..bases });
                if parsed.title.is_empty() {
                    parsed.title =
                        scan.channel_title.as_deref().map(|t| plain_text(t, true)).unwrap_or_default();
                }
                parsed.notes.splice(0..0, shape_notes);
                if !repairs.is_empty() {
                    let why = first_error.as_ref().map_or_else(String::new, |e: &ParseFeedError| {
                        format!(
                            " (strict parsing said: {})",
                            sanitize::line(&e.to_string()).chars().take(120).collect::<String>()
                        )
                    });
                    parsed.notes.push(format!("recovered: {}{why}", repairs.join(", ")));
                }
                return Ok(parsed);
            }
            Ok(_) => break,
            Err(e) => e,
        };
        // The targeted repair for this error first; cutting after the last complete item
        // is the last resort (it loses what follows).
        let targeted = match &err {
            ParseFeedError::XmlReader(_) if !escaped => {
                escaped = true;
                match repair::escape_bare_ampersands(&text) {
                    Some(fixed) => {
                        repairs.push("bare & escaped");
                        Some(fixed)
                    }
                    None => {
                        balanced = true;
                        balance_text(&text, &mut repairs)
                    }
                }
            }
            // The lenient fallback: unclosed or mismatched tags, an unclosed CDATA, a stray
            // `<`, a document cut off mid-item.
            ParseFeedError::XmlReader(_) if !balanced => {
                balanced = true;
                balance_text(&text, &mut repairs)
            }
            ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => None,
            ParseFeedError::ParseError(kind) => {
                repairs.push("an element feed-rs rejects rewritten");
                repair::repair_element(&text, kind)
            }
            _ => None,
        };
        let no_root = matches!(err, ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot));
        let repaired = match targeted {
            Some(t) => Some(t),
            None if !salvaged && !no_root => {
                salvaged = true;
                repairs.push("cut after the last complete item");
                repair::salvage_truncated(&text, root)
            }
            None => None,
        };
        first_error.get_or_insert(err);
        match repaired {
            Some(r) => text = Cow::Owned(r),
            None => break,
        }
    }
    Err(first_error.map_or(ParseError::NoFeed, map_feed_rs_error))
}

/// [`balance::balance`], with what it did for the fetch log.
fn balance_text(text: &str, repairs: &mut Vec<&'static str>) -> Option<String> {
    repairs.push("unclosed or mismatched markup balanced");
    let (balanced, kept_cut) = balance::balance(text)?;
    if kept_cut {
        repairs.push("the last item cut off in its text, kept as far as it goes");
    }
    Some(balanced)
}

fn parse_json(text: &str, base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    let convert_json = |feed: Feed, text: &str| {
        // Read again only when it matters: an item with both a content and a summary.
        let both = feed.entries.iter().any(|e| e.content.is_some() && e.summary.is_some());
        let summaries = if both { json_summaries(text) } else { Vec::new() };
        let summaries = if summaries.len() == feed.entries.len() { summaries } else { Vec::new() };
        convert(feed, Bases { json_summaries: &summaries, ..Bases::plain(base) })
    };
    match run_feed_rs(text.as_bytes(), base)? {
        Ok(feed) => Ok(convert_json(feed, text)),
        Err(first) => {
            let repaired = repair::repair_json(text)?;
            match run_feed_rs(repaired.as_bytes(), base)? {
                Ok(feed) => Ok(convert_json(feed, &repaired)),
                // The original complaint describes the document as the publisher wrote it.
                Err(ParseFeedError::JsonSerde(_)) => Err(map_feed_rs_error(first)),
                Err(e) => Err(map_feed_rs_error(e)),
            }
        }
    }
}

/// For each item of a JSON Feed, in order: whether it gives a `summary` (anything but null).
/// Empty when the text cannot be read so (the caller then takes feed-rs's summaries as they
/// are). One pass that keeps nothing but the answers; junk after the feed is ignored, as
/// [`repair::repair_json`] does.
fn json_summaries(text: &str) -> Vec<bool> {
    use serde::de::IgnoredAny;
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        summary: Option<IgnoredAny>,
    }
    match serde_json::Deserializer::from_str(text).into_iter::<Doc>().next() {
        Some(Ok(doc)) => doc.items.iter().map(|i| i.summary.is_some()).collect(),
        _ => Vec::new(),
    }
}

/// Joins `r` to `base`, or parses it alone when there is no base.
fn join(base: Option<&Url>, r: &str) -> Option<Url> {
    let r = r.trim();
    match base {
        Some(b) => b.join(r).ok(),
        None => Url::parse(r).ok(),
    }
}

/// An absolute, cleaned URL for a link the feed gave, or `None` for unsafe schemes and
/// references that cannot be made absolute.
fn absolute(base: Option<&Url>, href: &str) -> Option<String> {
    let url = join(base, href)?;
    if html::is_unsafe_scheme(&url) {
        return None;
    }
    html::clean_url(url.as_str())
}

/// Whether the URL's path names an audio or video file (a podcast guid), not a page.
fn is_media_file(url: &str) -> bool {
    let path = Url::parse(url).map(|u| u.path().to_ascii_lowercase()).unwrap_or_default();
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "mp3"
            | "m4a"
            | "m4b"
            | "aac"
            | "ogg"
            | "oga"
            | "opus"
            | "flac"
            | "wav"
            | "mp4"
            | "m4v"
            | "mov"
            | "webm"
    )
}

/// Whether `s` is an absolute http(s) URL: a guid or rdf:about that can be opened.
fn is_web(s: &str) -> bool {
    let s = s.trim();
    s.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://"))
        || s.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// The link to the page itself: an alternate (or untyped) HTML link, not `self`, an
/// enclosure, the comments or an attachment.
fn page_link(links: &[Link]) -> Option<&Link> {
    links.iter().find(|l| {
        matches!(l.rel.as_deref(), None | Some("alternate"))
            && l.target.is_none()
            && l.media_type.as_deref().is_none_or(|m| m.contains("html"))
            && !l.href.trim().is_empty()
    })
}

/// Plain text for a title: HTML flattened (also when a "plain" title is evidently HTML, which
/// RSS titles often are), then cleaned to one line.
fn plain_title(t: Option<&Text>) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let is_html = t.content_type.as_str() != "text/plain" || html::looks_like_html(&t.content);
    if is_html {
        sanitize::line(&html::flatten(&t.content))
    } else {
        // feed-rs leaves unknown entities literal; &nbsp; is the one that shows up in titles.
        sanitize::line(&t.content.replace("&nbsp;", " ").replace('\u{a0}', " "))
    }
}

/// Whether a body of this media type can be shown: HTML, XHTML or any text. Atom also allows
/// inline base64 of other types (an image), which is no body.
fn is_displayable(content_type: &str) -> bool {
    content_type.starts_with("text/") || content_type.contains("html")
}

/// A body as HTML: HTML passes through, other text is escaped (unless it is evidently HTML,
/// as Atom summaries without `type="html"` often are; JSON Feed's `content_text` is always
/// escaped).
fn body_html(content: &str, content_type: &str, always_escape_plain: bool) -> String {
    let is_html = content_type.contains("html");
    if !is_html && (always_escape_plain || !html::looks_like_html(content)) {
        html::escape_text(content)
    } else {
        content.to_owned()
    }
}

/// [`sanitize::text`] for a body, skipped when a byte scan shows the body cannot contain a
/// character it removes: bodies are large and mostly clean, and the byte scan is many times
/// faster than the per-character check.
fn clean_body(body: String) -> String {
    if may_hold_forbidden(body.as_bytes()) {
        sanitize::text(&body)
    } else {
        body
    }
}

/// True when `b` (UTF-8) may contain a character that [`sanitize::text`] removes: a C0
/// control other than tab and newline, DEL, a C1 control (`C2 80`–`C2 9F`), U+200E/F,
/// U+2028–U+202E, U+2066–U+206F (`E2 80 ..`, `E2 81 ..`) or U+FEFF, U+FFF9–U+FFFB
/// (`EF BB BF`, `EF BF B9`–`BB`). Over-reporting is harmless; under-reporting is not (a test
/// checks every forbidden character).
fn may_hold_forbidden(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
        0xe2 => matches!(
            (b.get(i + 1), b.get(i + 2)),
            (Some(0x80), Some(0x8e | 0x8f | 0xa8..=0xae)) | (Some(0x81), Some(0xa6..=0xaf))
        ),
        0xef => {
            matches!((b.get(i + 1), b.get(i + 2)), (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xb9..=0xbb)))
        }
        _ => false,
    })
}

fn format_of(t: &FeedType) -> FeedFormat {
    match t {
        FeedType::Atom => FeedFormat::Atom,
        FeedType::JSON => FeedFormat::Json,
        FeedType::RSS0 => FeedFormat::Rss0,
        FeedType::RSS1 => FeedFormat::Rss1,
        FeedType::RSS2 => FeedFormat::Rss2,
    }
}

/// The URLs relative references are resolved against.
#[derive(Clone, Copy)]
struct Bases<'a> {
    /// Where the document came from.
    feed: Option<&'a Url>,
    /// The root element's xml:base (resolved), when it has one.
    xml_base: Option<&'a Url>,
    /// Each entry's own xml:base (resolved), by position.
    entries: &'a [Option<Url>],
    /// The `rdf:about` of each RSS 0.90/1.0 item that had no link, by its
    /// [`shapes::NO_LINK`] marker's number.
    abouts: &'a [Option<String>],
    /// What each RSS item holds that feed-rs does not read, by position (empty when unknown).
    extras: &'a [fallback::Extras],
    /// For a JSON Feed: whether each item, by position, gives a `summary` of its own (empty
    /// when unknown). feed-rs puts `content_text` in the summary when an item has
    /// `content_html` and no summary: that is the same text again, not a summary.
    json_summaries: &'a [bool],
}

impl<'a> Bases<'a> {
    /// Only the feed's URL.
    fn plain(feed: Option<&'a Url>) -> Self {
        Bases { feed, xml_base: None, entries: &[], abouts: &[], extras: &[], json_summaries: &[] }
    }

    /// The base in scope for the whole document: xml:base, else the feed URL.
    fn document(&self) -> Option<&Url> {
        self.xml_base.or(self.feed)
    }
}

fn convert(feed: Feed, bases: Bases<'_>) -> ParsedFeed {
    let mut tally = Tally::default();
    let mut parsed = convert_part(feed, bases, &mut tally);
    finish(&mut parsed, tally);
    parsed
}

/// What [`convert_part`] counts across the parts of one document, for its notes.
#[derive(Default)]
struct Tally {
    /// Titles and names repaired by [`mojibake`].
    repaired: usize,
    used: FallbacksUsed,
}

/// The feed and its entries in our model, without the steps that need every entry of the
/// document ([`finish`]): a batched parse ([`batch`]) converts each batch with this.
fn convert_part(feed: Feed, bases: Bases<'_>, tally: &mut Tally) -> ParsedFeed {
    let (feed, repaired) = mojibake::repair_feed(feed);
    tally.repaired += repaired;
    let base = bases.document();
    let format = format_of(&feed.feed_type);
    let site_link = page_link(&feed.links).and_then(|l| absolute(base, &l.href));
    let site_url = site_link.as_deref().and_then(|s| Url::parse(s).ok());
    // RSS's managingEditor (feed-rs calls it a contributor) is the feed's author when no
    // other is named, but only when it names a person: an address alone, or a sentence
    // ("for comments on this service"), would be shown as every article's author.
    let feed_author = feed.authors.iter().find_map(person_name).or_else(|| {
        feed.contributors
            .iter()
            .filter(|p| p.role.as_deref() == Some("managingEditor"))
            .filter_map(|p| p.name.as_deref().map(|n| sanitize::line(unwrap_name(n))))
            .find(|n| looks_like_a_name(n))
    });
    let now = Utc::now();
    let used = &mut tally.used;
    let articles: Vec<ParsedArticle> = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let entry_base = bases.entries.get(i).and_then(Option::as_ref);
            let extras = bases.extras.get(i);
            let ctx = EntryContext {
                entry_base,
                extras,
                site: site_url.as_ref(),
                feed_author: feed_author.as_deref(),
                own_summary: bases.json_summaries.get(i).copied().unwrap_or(true),
            };
            convert_entry(entry, format, bases, ctx, now, used)
        })
        .collect();
    ParsedFeed { format, title: plain_title(feed.title.as_ref()), site_link, articles, notes: Vec::new() }
}

/// The steps of [`convert`] that look at every article of the document: its notes, shared
/// GUIDs, duplicates.
fn finish(parsed: &mut ParsedFeed, tally: Tally) {
    parsed.notes.extend(mojibake::note(tally.repaired));
    parsed.notes.extend(tally.used.note());
    let articles = &mut parsed.articles;
    // Some feeds give every item the same GUID (often the site's URL). Such a GUID identifies
    // nothing, so those items are keyed as if they had none; otherwise all but the first
    // would be lost.
    let mut guid_count: HashMap<&str, usize> = HashMap::new();
    for a in articles.iter() {
        if let Some(g) = &a.guid {
            *guid_count.entry(g.as_str()).or_default() += 1;
        }
    }
    let shared: HashSet<String> =
        guid_count.into_iter().filter(|&(_, n)| n > 1).map(|(g, _)| g.to_owned()).collect();
    if !shared.is_empty() {
        for a in articles.iter_mut() {
            if a.guid.as_ref().is_some_and(|g| shared.contains(g)) {
                a.key = article_key(None, a.link.as_deref(), &a.title, &a.content_html);
            }
        }
    }
    // Items that are still the same article by our rule. The same body again is the item
    // repeated: the first occurrence wins. Another body under the same id and link is another
    // article (Scripting News gave two posts of a day one permalink; a sample Atom 0.3 feed
    // two entries one id): it is keyed by its title and body, as an item with neither id nor
    // link is, so it is not lost. Both are said in the fetch log.
    let mut seen: HashMap<ArticleKey, usize> = HashMap::with_capacity(articles.len());
    let mut kept: Vec<ParsedArticle> = Vec::with_capacity(articles.len());
    let (mut repeated, mut apart) = (0u64, 0u64);
    for mut a in articles.drain(..) {
        if let Some(&first) = seen.get(&a.key) {
            if kept[first].content_html == a.content_html {
                repeated += 1;
                continue;
            }
            a.key = article_key(None, None, &a.title, &a.content_html);
            if seen.contains_key(&a.key) {
                repeated += 1;
                continue;
            }
            apart += 1;
        }
        seen.insert(a.key, kept.len());
        kept.push(a);
    }
    *articles = kept;
    if apart > 0 {
        parsed.notes.push(format!(
            "{} with the id of an earlier item but another text kept apart",
            crate::words::plural(apart, "item")
        ));
    }
    if repeated > 0 {
        parsed.notes.push(format!(
            "{} skipped: the same as an earlier item",
            crate::words::plural(repeated, "repeated item")
        ));
    }
}

fn person_name(p: &feed_rs::model::Person) -> Option<String> {
    let name = p.name.as_deref().map(|n| sanitize::line(unwrap_name(n))).filter(|n| !n.is_empty());
    name.or_else(|| p.email.as_deref().map(sanitize::line).filter(|n| !n.is_empty()))
}

/// The name in RSS's `email (Name)` (feed-rs leaves the parentheses) or a quoted name.
fn unwrap_name(n: &str) -> &str {
    let n = n.trim();
    [('(', ')'), ('"', '"'), ('<', '>')]
        .iter()
        .find_map(|&(open, close)| n.strip_prefix(open).and_then(|r| r.strip_suffix(close)))
        .map_or(n, str::trim)
}

/// A person's name rather than an address, a query or a sentence: one to four words, none of
/// them holding `@`, `=`, `/` or `?`.
fn looks_like_a_name(n: &str) -> bool {
    let words = n.split_whitespace().count();
    (1..=4).contains(&words) && !n.contains(['@', '=', '/', '?'])
}

/// One line of plain text from feed text that may be HTML.
fn plain_text(t: &str, may_be_html: bool) -> String {
    if may_be_html && html::looks_like_html(t) {
        sanitize::line(&html::flatten(t))
    } else {
        sanitize::line(&t.replace('\u{a0}', " "))
    }
}

/// What [`convert_entry`] needs besides the entry.
struct EntryContext<'a> {
    /// The entry's own xml:base (resolved).
    entry_base: Option<&'a Url>,
    /// What the raw item holds that feed-rs did not read.
    extras: Option<&'a fallback::Extras>,
    site: Option<&'a Url>,
    feed_author: Option<&'a str>,
    /// False when the entry's summary is known not to be one the feed gave (see
    /// [`Bases::json_summaries`]).
    own_summary: bool,
}

/// How many articles took a field from a fallback element ([`fallback`]), for the fetch log.
#[derive(Default)]
struct FallbacksUsed {
    titles: usize,
    links: usize,
    dates: usize,
    authors: usize,
}

impl FallbacksUsed {
    fn note(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.titles, "title", "dc:title, media:title or itunes:title"),
            (self.links, "link", "a permalink guid or atom:link"),
            (self.dates, "date", "dcterms or atom dates"),
            (self.authors, "author", "itunes:author"),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|&(n, what, from)| format!("{} from {from}", crate::words::plural(n as u64, what)))
        .collect();
        (!parts.is_empty()).then(|| format!("fallbacks used: {}", parts.join(", ")))
    }
}

fn convert_entry(
    entry: &Entry,
    format: FeedFormat,
    bases: Bases<'_>,
    ctx: EntryContext<'_>,
    now: DateTime<Utc>,
    used: &mut FallbacksUsed,
) -> ParsedArticle {
    let EntryContext { entry_base, extras, site, feed_author, own_summary } = ctx;
    // An RSS 0.90/1.0 item without a link: its rdf:about identifies it, and is its link only
    // when it is a web address.
    let no_link = entry.links.iter().find_map(|l| l.href.strip_prefix(shapes::NO_LINK));
    let about = no_link
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| bases.abouts.get(n))
        .and_then(|a| a.as_deref())
        .map(sanitize::line)
        .filter(|a| !a.is_empty());
    let guid = Some(sanitize::line(&entry.id)).filter(|g| !g.is_empty()).or_else(|| about.clone());
    let title = plain_title(entry.title.as_ref());
    // feed-rs keeps only the xml:base of <content> (links it resolves itself); it scopes
    // the body.
    let base = bases.document();
    let content_base = entry.base.as_deref().and_then(|b| join(base, b));
    // feed-rs has resolved XML links already; this catches JSON Feed and base-less cases.
    let link = match no_link {
        Some(_) => about.as_deref().filter(|a| is_web(a)).and_then(|a| absolute(base, a)),
        None => page_link(&entry.links).and_then(|l| absolute(base, &l.href)),
    };
    let own_author = entry.authors.iter().find_map(person_name);
    let extra_author = || extras.and_then(|x| x.author.as_deref()).map(|a| plain_text(a, false));
    let author = match own_author {
        Some(a) => Some(a),
        None => match extra_author().filter(|a| !a.is_empty()) {
            Some(a) => {
                used.authors += 1;
                Some(a)
            }
            None => feed_author.map(str::to_owned),
        },
    };

    let extra_date = |d: Option<&String>| date::plausible(d.and_then(|d| date::parse(d)), now);
    let published = date::plausible(entry.published, now)
        .or_else(|| extra_date(extras.and_then(|x| x.published.as_ref())));
    let updated =
        date::plausible(entry.updated, now).or_else(|| extra_date(extras.and_then(|x| x.updated.as_ref())));
    let own_date = date::plausible(entry.published, now).or(date::plausible(entry.updated, now));
    used.dates += usize::from(own_date.is_none() && published.or(updated).is_some());

    let is_json = format == FeedFormat::Json;
    let content_body = entry.content.as_ref().and_then(|c| {
        c.body
            .as_deref()
            .filter(|b| !b.trim().is_empty() && is_displayable(c.content_type.as_str()))
            .map(|b| (b, c.content_type.as_str()))
    });
    let summary = entry.summary.as_ref().filter(|s| !s.content.trim().is_empty());
    let as_html = |s: &Text| body_html(&s.content, s.content_type.as_str(), is_json);
    // The full content is the body; the summary is kept beside it (as feedparser does) unless
    // it is the same text. Without a content the summary is the body, as it always was: the
    // body, and so the article's key, do not change with this.
    let (raw_body, raw_summary) = match (content_body, summary) {
        (Some((b, ct)), s) => {
            let s = s.filter(|s| own_summary && s.content.trim() != b.trim()).map(as_html);
            (body_html(b, ct, is_json), s)
        }
        (None, Some(s)) => (as_html(s), None),
        (None, None) => (String::new(), None),
    };
    let content_html = clean_body(raw_body);
    let summary_html = raw_summary.map(clean_body).filter(|s| !same_text(s, &content_html));

    // Relative URLs in the body: an xml:base in scope says where they are relative to.
    // Without one, the article's own page is the best guess (publishers write bodies for
    // their page, and feeds are often served from another host), then the site, then the
    // feed's URL.
    let link_url = link.as_deref().and_then(|l| Url::parse(l).ok());
    let body_base =
        content_base.as_ref().or(entry_base).or(bases.xml_base).or(link_url.as_ref()).or(site).or(bases.feed);
    let (images, links) = html::images_and_links(&content_html, body_base);

    let enclosures = enclosures(entry, format, base);

    let key = article_key(guid.as_deref(), link.as_deref(), &title, &content_html);
    // After the key, which must not change with these rules (articles already stored keep
    // their identity): the fallbacks feedparser uses for a missing link and title, then an
    // untitled item is shown by the first words of its text rather than as a blank row.
    let had_link = link.is_some();
    let link = link.or_else(|| {
        let x = extras?;
        // A podcast's guid is often its audio file's URL: that is the enclosure, not a page.
        let permalink = x
            .permalink
            .as_deref()
            .filter(|g| is_web(g))
            .and_then(|g| absolute(None, g))
            .filter(|g| !enclosures.iter().any(|e| &e.url == g) && !is_media_file(g));
        permalink.or_else(|| x.alternate.as_deref().and_then(|h| absolute(base, h)))
    });
    used.links += usize::from(!had_link && link.is_some());
    let title = match extras.and_then(|x| x.title.as_deref()) {
        Some(t) if title.is_empty() => {
            used.titles += 1;
            plain_text(t, true)
        }
        _ => title,
    };
    let title = if title.is_empty() { title_from_text(&content_html) } else { title };
    ParsedArticle {
        key,
        guid,
        title,
        link,
        author,
        date: published.or(updated),
        updated,
        content_html: with_base(content_html, content_base.as_ref().or(entry_base).or(bases.xml_base)),
        summary_html: summary_html
            .map(|s| with_base(s, content_base.as_ref().or(entry_base).or(bases.xml_base))),
        images,
        links,
        enclosures,
    }
}

/// True when a summary says nothing the body does not: the same HTML, the same text without
/// the markup, or the body's first words again, often cut mid-word and ended with "..." (the
/// excerpt WordPress writes into `<description>`), perhaps after an image's alt text, or the
/// body's own sentences in their order with some left out (an abridgement, as Sam Ruby's
/// feed writes its summaries). Shown above the body it would only repeat it. The texts are
/// compared by their letters and digits alone, so spacing, punctuation, a cut word and the
/// ellipsis do not matter, and as the reader shows them: what comes before the body's first
/// words and shows no text (an inline SVG drawing, even one with `<text>` labels, a
/// stylesheet, an image, however long their markup) is passed over. Further in than the
/// body's first letter it takes a longer summary: a few words can be anywhere. Only as much
/// of the body's text is gathered as the summary could match (an abridgement reads further,
/// up to `ABRIDGED_TEXT_MAX`), so a short teaser beside a long body costs little on every
/// refresh.
fn same_text(summary: &str, body: &str) -> bool {
    /// Letters and digits a summary needs to be taken for an excerpt that starts further in,
    /// or for an abridgement.
    const EXCERPT_MIN: usize = 40;
    /// How far into the body's letters an excerpt may start (after an image's alt text).
    const EXCERPT_START_MAX: usize = 300;
    /// How much of the body's text an abridgement is looked for in.
    const ABRIDGED_TEXT_MAX: usize = 64 * 1024;
    if summary.trim() == body.trim() {
        return true;
    }
    let letters = |text: &str| -> String {
        text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
    };
    let summary_text = html::shown_text_start(summary, usize::MAX);
    let summary_letters = letters(&summary_text);
    if summary_letters.is_empty() {
        return false;
    }
    let long = summary_letters.chars().count() >= EXCERPT_MIN;
    // Spaces, punctuation and entities make the text longer than its letters, never shorter.
    let body_letters = letters(&html::shown_text_start(body, summary.len() * 4 + 4096));
    let starts = |at: usize, body_letters: &str| {
        at == 0 || (long && body_letters[..at].chars().count() <= EXCERPT_START_MAX)
    };
    if let Some(at) = body_letters.find(&summary_letters) {
        return starts(at, &body_letters);
    }
    // An abridgement: each of its sentences is the body's, in order, the first at its start.
    let sentences: Vec<String> = summary_text
        .split_inclusive(['.', '!', '?', '…', ':', ';', '。', '！', '？'])
        .map(letters)
        .filter(|s| !s.is_empty())
        .collect();
    if sentences.len() < 2 || !long {
        return false;
    }
    let body_letters = letters(&html::shown_text_start(body, ABRIDGED_TEXT_MAX));
    let mut from = 0;
    for (n, sentence) in sentences.iter().enumerate() {
        match body_letters[from..].find(sentence.as_str()) {
            Some(at) if n > 0 || starts(at, &body_letters) => from += at + sentence.len(),
            _ => return false,
        }
    }
    true
}

/// The body with the xml:base in scope (if any) as a leading `<base href>`, which the renderer
/// resolves the body's relative links against (it knows only the article's and site's links).
fn with_base(html: String, xml_base: Option<&Url>) -> String {
    match xml_base {
        // A serialised URL has no `"`, `<` or `>` (they are percent-encoded); `&` is escaped.
        Some(base) if !html.is_empty() => {
            format!("<base href=\"{}\">{html}", base.as_str().replace('&', "&amp;"))
        }
        _ => html,
    }
}

/// The first words of an untitled item's text, as its title: at most `TITLE_WORDS` words and
/// `TITLE_CHARS` characters, cut at a word, always ending in "…", which marks a title taken
/// from the text (issue 10, item 6: the feed gave none). Empty when there is no text. The
/// text is what the reader shows (an inline SVG's labels are not), and only its start is
/// read.
fn title_from_text(body_html: &str) -> String {
    const TITLE_WORDS: usize = 10;
    const TITLE_CHARS: usize = 60;
    let text = sanitize::line(&html::shown_text_start(body_html, 4096));
    let mut title = String::new();
    for (n, word) in text.split_whitespace().enumerate() {
        let long = title.chars().count() + 1 + word.chars().count() > TITLE_CHARS;
        if n == TITLE_WORDS || (long && !title.is_empty()) {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        if long {
            // One word longer than a title (a URL, CJK text without spaces): its start.
            title.extend(word.chars().take(TITLE_CHARS));
            break;
        }
        title.push_str(word);
    }
    if !title.is_empty() {
        title.push('…');
    }
    title
}

/// Attachments: MediaRSS and RSS `<enclosure>` (feed-rs puts both in `media`), Atom
/// `rel="enclosure"` links, and JSON Feed attachments (links with a MIME type). Deduplicated
/// by URL, first wins.
fn enclosures(entry: &Entry, format: FeedFormat, base: Option<&Url>) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let mut push = |url: &str, mime: Option<&str>, length: Option<u64>| {
        let Some(url) = absolute(base, url) else {
            return;
        };
        let mime = mime.map(sanitize::line).filter(|m| !m.is_empty());
        // The same file is often given twice (<enclosure> and <media:content>), each with
        // part of the facts: merge them.
        if let Some(e) = out.iter_mut().find(|e| e.url == url) {
            e.mime = e.mime.take().or(mime);
            e.length = e.length.or(length);
            return;
        }
        out.push(Enclosure { url, mime, length });
    };
    for m in &entry.media {
        for c in &m.content {
            if let Some(u) = &c.url {
                push(u.as_str(), c.content_type.as_ref().map(AsRef::as_ref), c.size);
            }
        }
    }
    for l in &entry.links {
        let is_attachment = l.rel.as_deref() == Some("enclosure")
            || (format == FeedFormat::Json && l.rel.is_none() && l.media_type.is_some());
        if is_attachment {
            push(&l.href, l.media_type.as_deref(), l.length);
        }
    }
    out
}

/// The article's identity: its GUID if the feed gave one, else its link, else its title and
/// body. A tag byte keeps the three kinds apart. xxh3-128 is stable across runs and platforms.
fn article_key(guid: Option<&str>, link: Option<&str>, title: &str, content: &str) -> ArticleKey {
    let mut buf = Vec::with_capacity(64);
    match (guid, link) {
        (Some(g), _) => {
            buf.push(b'g');
            buf.extend_from_slice(g.as_bytes());
        }
        (None, Some(l)) => {
            buf.push(b'l');
            buf.extend_from_slice(l.as_bytes());
        }
        (None, None) => {
            buf.push(b'h');
            buf.extend_from_slice(title.as_bytes());
            buf.push(0);
            buf.extend_from_slice(content.as_bytes());
        }
    }
    ArticleKey(xxhash_rust::xxh3::xxh3_128(&buf).to_be_bytes())
}

#[cfg(test)]
mod tests;

//! Big documents read in batches of items, so that feed-rs's model of the whole feed (about
//! 2.5 KB an item, 75 MB for 30,000 items) never exists at once: the document is cut into
//! its head (everything before the first item), its items and its tail, and each batch is
//! parsed as head + items + tail and converted ([`super::convert_part`]) before the next.
//!
//! Only a plain shape is batched: items that are complete siblings separated by white
//! space, enough of them to matter, and every batch read by feed-rs with exactly the items
//! it was given. Anything else (and any batch feed-rs rejects) returns `None`, and the
//! caller reads the whole document as before, with its repairs; so a document gives the
//! same articles, keys and notes either way, batched or not.

use std::ops::Range;

use feed_rs::model::FeedType;
use url::Url;

use super::{convert_part, fallback, lenient, run_feed_rs, Bases, ParseError, Tally};
use crate::model::ParsedFeed;

/// Documents with fewer items are parsed whole: their model is small, and the path every
/// test and the corpus exercise stays the one they use.
pub(super) const MIN_ITEMS: usize = 1000;

/// Items per batch: feed-rs's model of a batch stays around a megabyte.
const BATCH_ITEMS: usize = 250;

/// A document cut at its items.
struct Cut {
    head: Range<usize>,
    items: Vec<Range<usize>>,
    tail: Range<usize>,
}

/// Cuts `text` at its items; `None` unless it has the plain shape (see the module doc).
fn cut(text: &str) -> Option<Cut> {
    #[cfg(test)]
    if tests::WHOLE.with(std::cell::Cell::get) {
        return None;
    }
    let b = text.as_bytes();
    let starts = lenient::item_starts(b);
    if starts.len() < MIN_ITEMS {
        return None;
    }
    let mut items = Vec::with_capacity(starts.len());
    for (i, (start, tag_end, name)) in starts.iter().enumerate() {
        let limit = starts.get(i + 1).map_or(b.len(), |n| n.0);
        let end = lenient::find_close(b, *tag_end, limit, name)?;
        // Only white space between items: an item nested in another, or other elements
        // between them, would be cut wrong.
        if i + 1 < starts.len() && !b[end..limit].iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        items.push(*start..end);
    }
    let head = 0..items.first()?.start;
    let tail = items.last()?.end..b.len();
    Some(Cut { head, items, tail })
}

/// The document read batch by batch, with the channel title the fallback scan found (used
/// when feed-rs found none); `Ok(None)` when it is not batched (see the module doc).
pub(super) fn parse(
    text: &str,
    base: Option<&Url>,
    bases: Bases<'_>,
    tally: &mut Tally,
) -> Result<Option<(ParsedFeed, Option<String>)>, ParseError> {
    let Some(cut) = cut(text) else { return Ok(None) };
    // Per-entry xml:bases are by position in the whole document: usable only when they
    // were counted over the same items.
    if !bases.entries.is_empty() && bases.entries.len() != cut.items.len() {
        return Ok(None);
    }
    let (head, tail) = (&text[cut.head.clone()], &text[cut.tail.clone()]);
    let mut parsed: Option<ParsedFeed> = None;
    let mut channel_title = None;
    let mut doc = String::new();
    for (n, batch) in cut.items.chunks(BATCH_ITEMS).enumerate() {
        let first = n * BATCH_ITEMS;
        doc.clear();
        doc.push_str(head);
        for r in batch {
            doc.push_str(&text[r.clone()]);
            doc.push('\n');
        }
        doc.push_str(tail);
        let feed = match run_feed_rs(doc.as_bytes(), base) {
            Ok(Ok(feed)) if feed.entries.len() == batch.len() => feed,
            // Read whole, with the repairs that handle it.
            _ => return Ok(None),
        };
        let is_rss = matches!(feed.feed_type, FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2);
        let mut scan = if is_rss { fallback::scan(&doc) } else { None }.unwrap_or_default();
        // Extras are matched to entries by position: only when both agree on the count.
        if scan.items.len() != feed.entries.len() {
            scan.items.clear();
        }
        let entries = bases.entries.get(first..).unwrap_or(&[]);
        let part = convert_part(feed, Bases { entries, extras: &scan.items, ..bases }, tally);
        match &mut parsed {
            None => {
                channel_title = scan.channel_title;
                parsed = Some(part);
            }
            Some(p) => p.articles.extend(part.articles),
        }
    }
    Ok(parsed.map(|p| (p, channel_title)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_feed;

    thread_local! {
        /// Set by a test to read a document whole, as before batching existed.
        pub(super) static WHOLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// The document read in batches and read whole, which must agree in everything: the
    /// articles (keys included), the feed's title and link, the notes.
    fn both(xml: &str, url: &str) -> (ParsedFeed, ParsedFeed) {
        assert!(cut(xml).is_some(), "the document is not batched");
        let batched = parse_feed(xml.as_bytes(), None, url).expect("batched parse");
        WHOLE.with(|w| w.set(true));
        let whole = parse_feed(xml.as_bytes(), None, url);
        WHOLE.with(|w| w.set(false));
        (batched, whole.expect("whole parse"))
    }

    #[test]
    fn a_big_rss_feed_reads_the_same_in_batches() {
        let mut items = String::new();
        for i in 0..1300 {
            // Fallback titles, relative links, shared GUIDs (keyed as if absent), duplicates
            // across batches (the first wins), double-encoded titles, items without a date.
            let title = match i % 7 {
                0 => String::new(),
                1 => format!("<title>Caf\u{c3}\u{a9} {i}</title>"),
                _ => format!("<title>Item {i} &amp; more</title>"),
            };
            let guid = match i {
                10..=20 => "<guid>same</guid>".to_owned(),
                700 => "<guid>g-3</guid>".to_owned(),
                _ => format!("<guid isPermaLink=\"false\">g-{i}</guid>"),
            };
            let date = if i % 5 == 0 {
                String::new()
            } else {
                "<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>".to_owned()
            };
            items.push_str(&format!(
                "<item>{title}<dc:title>DC {i}</dc:title><link>/post/{i}</link>{guid}{date}\
                 <description>&lt;p&gt;Body {i} &lt;a href=\"rel/{i}\"&gt;x&lt;/a&gt;&lt;img src=\"i{i}.png\"&gt;&lt;/p&gt;</description></item>\n"
            ));
        }
        let xml = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
             <channel><title>Big</title><link>https://big.example/</link><managingEditor>Ed Itor</managingEditor>\n{items}</channel></rss>"
        );
        let (batched, whole) = both(&xml, "https://big.example/feed.xml");
        assert!(batched.articles.len() > 1200, "{}", batched.articles.len());
        for note in ["repaired double-encoded titles", "fallbacks used"] {
            assert!(batched.notes.iter().any(|n| n.contains(note)), "{note}: {:?}", batched.notes);
        }
        assert_eq!(batched, whole);
    }

    #[test]
    fn a_big_atom_feed_with_entry_bases_reads_the_same_in_batches() {
        let mut entries = String::new();
        for i in 0..1100 {
            let base =
                if i % 3 == 0 { format!(" xml:base=\"https://other.example/d{i}/\"") } else { String::new() };
            entries.push_str(&format!(
                "<entry{base}><id>urn:e:{i}</id><title type=\"html\">E &lt;b&gt;{i}&lt;/b&gt;</title>\
                 <link href=\"p{i}\"/><updated>2024-01-01T00:00:00Z</updated>\
                 <content type=\"html\">&lt;a href=\"x{i}\"&gt;y&lt;/a&gt;</content></entry>\n"
            ));
        }
        let xml = format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://atom.example/b/\">\
             <title>A</title><id>urn:a</id><updated>2024-01-01T00:00:00Z</updated><author><name>Au Thor</name></author>\n{entries}</feed>"
        );
        let (batched, whole) = both(&xml, "https://atom.example/feed");
        assert_eq!(batched.articles.len(), 1100);
        assert_eq!(batched, whole);
    }

    #[test]
    fn small_or_odd_documents_are_read_whole() {
        let item = "<item><title>t</title><guid>g</guid></item>";
        let small = format!("<rss><channel>{}</channel></rss>", item.repeat(10));
        assert!(cut(&small).is_none());
        // Something else between items: not cut.
        let odd = format!("<rss><channel>{}<x/>{}</channel></rss>", item.repeat(600), item.repeat(600));
        assert!(cut(&odd).is_none());
    }
}

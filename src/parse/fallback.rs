//! The fallbacks feedparser uses for RSS items (issue 10, item 5) that feed-rs does not read:
//! a title from `dc:title`, `media:title` or `itunes:title`; a date from `dcterms:issued`,
//! `dcterms:created`, `dcterms:modified` or `atom:published`; an author from `itunes:author`;
//! a link from a `guid` that is a permalink or from an `<atom:link rel="alternate">`.
//!
//! One namespace-aware pass over the document feed-rs read, collecting for each item what
//! might be needed. Items are matched to feed-rs's entries by position, so the result is
//! used only when the counts agree.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// What an item holds besides what feed-rs reads. Text is decoded (CDATA unwrapped,
/// references read) but not cleaned.
#[derive(Debug, Default, Clone)]
pub(crate) struct Extras {
    pub title: Option<String>,
    /// Which element gave `title`: 0 dc:title, 1 media:title, 2 itunes:title.
    title_rank: u8,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub author: Option<String>,
    /// A `guid` whose `isPermaLink` is not "false".
    pub permalink: Option<String>,
    /// An `<atom:link>` with `rel="alternate"` or no `rel`.
    pub alternate: Option<String>,
}

/// What the whole document gives besides its items.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub items: Vec<Extras>,
    /// `dc:title` or `itunes:title` of the channel.
    pub channel_title: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Ns {
    /// RSS itself: no namespace, RSS 1.0's or RSS 0.90's.
    Rss,
    Dc,
    DcTerms,
    Atom,
    Itunes,
    Media,
    Other,
}

fn ns_of(r: &ResolveResult<'_>) -> Ns {
    let uri = match r {
        ResolveResult::Unbound => return Ns::Rss,
        ResolveResult::Bound(ns) => ns.into_inner(),
        ResolveResult::Unknown(_) => return Ns::Other,
    };
    let uri = uri.to_ascii_lowercase();
    let uri = uri.trim_end_matches('/');
    match uri {
        "http://purl.org/rss/1.0" | "http://my.netscape.com/rdf/simple/0.9" => Ns::Rss,
        "http://purl.org/dc/elements/1.1" => Ns::Dc,
        "http://purl.org/dc/terms" => Ns::DcTerms,
        "http://www.w3.org/2005/atom" => Ns::Atom,
        u if u.contains("itunes.com/dtds/podcast") => Ns::Itunes,
        u if u.starts_with("http://search.yahoo.com/mrss") => Ns::Media,
        _ => Ns::Other,
    }
}

/// Where the reader is.
#[derive(PartialEq)]
enum Place {
    Outside,
    /// Directly in the channel (RSS 2.0) or root (RSS 1.0), at this depth.
    Channel,
    /// Inside an item whose start tag was at this depth.
    Item(usize),
}

/// Scans an RSS document; `None` when it is not well-formed (then nothing is matched).
pub(crate) fn scan(text: &str) -> Option<Scan> {
    let mut reader = NsReader::from_str(text);
    let mut out = Scan::default();
    let mut depth = 0usize;
    let mut place = Place::Outside;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((r, e)) => (ns_of(&r), e),
            Err(_) => return None,
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name().into_inner().to_owned();
                match (&place, ns, local.as_str()) {
                    (Place::Item(_), _, _) => {
                        let at = out.items.last_mut()?;
                        if item_child(&mut reader, &e, ns, &local, at) {
                            // Its text was read up to and with its end tag.
                            depth -= 1;
                        }
                    }
                    (_, Ns::Rss, "item") => {
                        out.items.push(Extras::default());
                        place = Place::Item(depth);
                    }
                    (_, Ns::Rss, "channel" | "rss" | "RDF") => place = Place::Channel,
                    (Place::Channel, Ns::Dc | Ns::Itunes, "title") if out.channel_title.is_none() => {
                        out.channel_title = read(&mut reader, &e);
                        depth -= 1;
                    }
                    _ => {}
                }
            }
            Event::Empty(e) => {
                if let (Place::Item(_), Some(at)) = (&place, out.items.last_mut()) {
                    let local = e.local_name().into_inner().to_owned();
                    if ns == Ns::Atom && local == "link" {
                        alternate(&e, at);
                    }
                }
            }
            Event::End(_) => {
                if place == Place::Item(depth) {
                    place = Place::Channel;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Some(out),
            _ => {}
        }
    }
}

/// Reads one element inside an item; true when its text was read (its end tag with it).
fn item_child(
    reader: &mut NsReader<&[u8]>,
    e: &BytesStart<'_>,
    ns: Ns,
    local: &str,
    at: &mut Extras,
) -> bool {
    let slot = match (ns, local) {
        (Ns::Dc | Ns::Media | Ns::Itunes, "title") => {
            // dc:title first, then media:title, then itunes:title, whatever the order.
            let rank = match ns {
                Ns::Dc => 0,
                Ns::Media => 1,
                _ => 2,
            };
            let t = read(reader, e);
            if t.is_some() && (at.title.is_none() || rank < at.title_rank) {
                at.title = t;
                at.title_rank = rank;
            }
            return true;
        }
        (Ns::DcTerms, "issued" | "created") | (Ns::Atom, "published") => &mut at.published,
        (Ns::DcTerms, "modified") | (Ns::Atom, "updated") => &mut at.updated,
        (Ns::Itunes, "author") => &mut at.author,
        (Ns::Rss, "guid") => {
            let permalink = e
                .attributes()
                .flatten()
                .find(|a| a.key.local_name().into_inner() == "isPermaLink")
                .and_then(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()
                        .map(std::borrow::Cow::into_owned)
                })
                .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
            let t = read(reader, e);
            if permalink && at.permalink.is_none() {
                at.permalink = t;
            }
            return true;
        }
        (Ns::Atom, "link") => {
            alternate(e, at);
            return false;
        }
        _ => return false,
    };
    let t = read(reader, e);
    if slot.is_none() {
        *slot = t;
    }
    true
}

fn alternate(e: &BytesStart<'_>, at: &mut Extras) {
    if at.alternate.is_some() {
        return;
    }
    let mut href = None;
    let mut rel = None;
    for a in e.attributes().flatten() {
        let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(std::borrow::Cow::into_owned);
        match a.key.local_name().into_inner() {
            "href" => href = v,
            "rel" => rel = v,
            _ => {}
        }
    }
    if rel.as_deref().is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate")) {
        at.alternate = href.filter(|h| !h.trim().is_empty());
    }
}

/// The text of the element whose start tag was just read, up to its end tag: CDATA
/// unwrapped, references decoded; `None` when blank.
fn read(reader: &mut NsReader<&[u8]>, e: &BytesStart<'_>) -> Option<String> {
    let raw = reader.read_text(e.name()).ok()?;
    let t = super::lenient::text_of(&raw);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

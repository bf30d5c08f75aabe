//! Old feed shapes and the fallbacks feedparser uses (issue 10, items 3 and 5): one test per
//! class, each on a small sample in tests/feeds/shapes/ written for this project in the way
//! the named producers wrote their feeds. Each repair that changes how a feed is read must
//! also say so in the feed's notes (the fetch log).

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use tidings::model::{FeedFormat, ParsedFeed};
use tidings::parse::parse_feed;

fn parse_file(name: &str) -> ParsedFeed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/shapes").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_feed(&bytes, None, "https://example.com/feed").unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn titles(f: &ParsedFeed) -> Vec<&str> {
    f.articles.iter().map(|a| a.title.as_str()).collect()
}

fn links(f: &ParsedFeed) -> Vec<Option<&str>> {
    f.articles.iter().map(|a| a.link.as_deref()).collect()
}

fn authors(f: &ParsedFeed) -> Vec<Option<&str>> {
    f.articles.iter().map(|a| a.author.as_deref()).collect()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single()
}

fn has_note(f: &ParsedFeed, words: &str) -> bool {
    f.notes.iter().any(|n| n.contains(words))
}

/// No note may claim the document was read item by item: the shapes below are read whole.
fn not_lenient(f: &ParsedFeed) {
    assert!(!has_note(f, "item by item"), "{:?}", f.notes);
}

// --- Item 3: old shapes ---

#[test]
fn rss090_items_outside_channel_and_without_link() {
    let f = parse_file("rss090-netscape.rdf");
    assert_eq!(f.title, "Harbour Town Gazette");
    assert_eq!(
        titles(&f),
        [
            "Ferry timetable changes for the winter",
            "Lighthouse keeper retires after forty years",
            "Notice: the fish market opens late on Monday"
        ]
    );
    assert_eq!(links(&f)[0], Some("http://gazette.example.net/1999/ferry.html"));
    assert_eq!(links(&f)[2], None);
    assert!(has_note(&f, "without a link kept"), "{:?}", f.notes);
    not_lenient(&f);
}

#[test]
fn rss091_items_after_the_channel_are_read() {
    let f = parse_file("rss091-items-after-channel.xml");
    assert_eq!(f.title, "Café Society Weekly");
    assert_eq!(titles(&f), ["The new roaster on Quay Street", "Why the espresso costs more this spring"]);
    assert_eq!(links(&f)[1], Some("http://cafesociety.example.org/2001/03/prices.html"));
    // managingEditor written as "email (Name)" is the feed's author, shown by name.
    assert_eq!(authors(&f), [Some("Margot Lind"), Some("Margot Lind")]);
    assert!(has_note(&f, "outside <channel>"), "{:?}", f.notes);
    not_lenient(&f);
}

#[test]
fn rss092_untitled_items_and_an_item_after_the_channel() {
    let f = parse_file("rss092-userland.xml");
    assert_eq!(f.format, FeedFormat::Rss0);
    assert_eq!(f.articles.len(), 3, "{:?}", titles(&f));
    assert!(f.articles[0].title.starts_with("Spent the morning moving"), "{:?}", titles(&f));
    assert_eq!(f.articles[1].title, "Outlines everywhere");
    assert_eq!(f.articles[1].enclosures.len(), 1);
    assert_eq!(f.articles[2].title, "A late item the template wrote after the channel");
    assert!(has_note(&f, "outside <channel>"), "{:?}", f.notes);
}

#[test]
fn rss10_items_without_link_are_kept_with_about_as_identity() {
    let f = parse_file("rss10-no-links.rdf");
    assert_eq!(f.format, FeedFormat::Rss1);
    assert_eq!(
        titles(&f),
        [
            "Reading room closed for inventory",
            "New scanner on the second floor",
            "Lost and found: one umbrella"
        ]
    );
    assert_eq!(links(&f), [None, None, None]);
    assert_eq!(f.articles[0].guid.as_deref(), Some("urn:archive:notice:101"));
    assert_eq!(f.articles[2].guid, None);
    assert_eq!(f.articles[0].author.as_deref(), Some("Hanna Virtanen"));
    assert_eq!(f.articles[1].date, utc(2004, 3, 2, 13, 30, 0));
    assert_ne!(f.articles[0].key, f.articles[1].key);
    assert!(has_note(&f, "without a link kept"), "{:?}", f.notes);
    not_lenient(&f);
    // The same document read again gives the same keys.
    let again = parse_file("rss10-no-links.rdf");
    assert_eq!(
        f.articles.iter().map(|a| a.key).collect::<Vec<_>>(),
        again.articles.iter().map(|a| a.key).collect::<Vec<_>>()
    );
}

#[test]
fn atom03_as_blogger_wrote_it() {
    let f = parse_file("atom03-blogger.xml");
    assert_eq!(f.format, FeedFormat::Atom);
    assert_eq!(f.title, "Ramblings of a Hill Walker");
    assert_eq!(titles(&f), ["Ben Nevis at last", "On midges & other hazards", "Pentlands", "Kit list"]);
    assert!(has_note(&f, "read as Atom 0.3"), "{:?}", f.notes);
    not_lenient(&f);
    let nevis = &f.articles[0];
    assert_eq!(nevis.link.as_deref(), Some("http://hillwalker.example.com/2004/06/ben-nevis.html"));
    assert_eq!(nevis.author.as_deref(), Some("Morag"));
    // <issued> is the publication date, <modified> the update.
    assert_eq!(nevis.date, utc(2004, 6, 20, 18, 2, 0));
    assert_eq!(nevis.updated, utc(2004, 6, 20, 18, 4, 11));
    assert!(nevis.content_html.contains("We reached the summit"), "{}", nevis.content_html);
    // mode="escaped"
    assert!(f.articles[1].content_html.contains("<i>good</i>"), "{}", f.articles[1].content_html);
    // mode="base64"
    assert!(f.articles[2].content_html.contains("<b>Pentland Hills</b>"), "{}", f.articles[2].content_html);
    // mode="xml"
    assert!(f.articles[3].content_html.contains("<em>flask</em>"), "{}", f.articles[3].content_html);
    // Only <created>: it stands in for <issued>.
    assert_eq!(f.articles[3].date, utc(2004, 6, 10, 7, 45, 0));
}

#[test]
fn atom03_as_movable_type_wrote_it() {
    let f = parse_file("atom03-movabletype.xml");
    assert_eq!(f.format, FeedFormat::Atom);
    assert!(has_note(&f, "read as Atom 0.3"), "{:?}", f.notes);
    assert_eq!(titles(&f), ["Setting type by hand"]);
    let a = &f.articles[0];
    assert_eq!(a.author.as_deref(), Some("Ada"));
    assert_eq!(a.date, utc(2005, 2, 11, 21, 38, 10));
    assert_eq!(a.updated, utc(2005, 2, 11, 21, 40, 13));
    assert!(a.content_html.contains("composing stick holds"), "{}", a.content_html);
    assert_eq!(a.images, ["http://notes.example.org/images/stick.jpg"]);
}

#[test]
fn prefixed_rss_root() {
    let f = parse_file("prefixed-root-rss.xml");
    assert_eq!(f.title, "Tide Tables");
    assert_eq!(titles(&f), ["Tuesday: high water 06:12", "Wednesday: high water 06:58"]);
    assert_eq!(f.articles[0].date, utc(2006, 5, 2, 5, 0, 0));
    assert!(has_note(&f, "prefix"), "{:?}", f.notes);
    not_lenient(&f);
}

#[test]
fn prefixed_atom_root() {
    let f = parse_file("prefixed-root-atom.xml");
    assert_eq!(f.format, FeedFormat::Atom);
    assert_eq!(titles(&f), ["Centrifuge serviced"]);
    assert_eq!(f.articles[0].author.as_deref(), Some("Dr. Okafor"));
    assert_eq!(f.articles[0].link.as_deref(), Some("https://lab.example.net/journal/centrifuge"));
}

#[test]
fn upper_case_element_names() {
    let f = parse_file("uppercase-rss091.xml");
    assert_eq!(f.title, "County Council Press Office");
    assert_eq!(titles(&f), ["Road works on the A12 bypass", "Library opening hours"]);
    assert_eq!(links(&f)[1], Some("http://council.example.gov/press/2002/library.htm"));
    assert!(has_note(&f, "upper-case"), "{:?}", f.notes);
}

#[test]
fn microsoft_cdf_channel() {
    let f = parse_file("cdf-channel.cdf");
    assert_eq!(f.title, "Weather Watch");
    assert_eq!(f.site_link.as_deref(), Some("http://www.example-weather.com/channel/index.htm"));
    assert_eq!(titles(&f), ["Monday: frost in the valleys", "Tuesday: rain from the west"]);
    // A relative HREF is relative to the channel's BASE.
    assert_eq!(
        links(&f),
        [
            Some("http://www.example-weather.com/channel/monday.htm"),
            Some("http://www.example-weather.com/channel/tuesday.htm")
        ]
    );
    assert_eq!(f.articles[0].date, utc(1998, 11, 2, 6, 0, 0));
    assert!(f.articles[1].content_html.contains("Heavy at times"), "{}", f.articles[1].content_html);
    assert!(has_note(&f, "CDF channel read as RSS"), "{:?}", f.notes);
    // The screen saver is no article, and the log says it was left out.
    assert!(has_note(&f, "1 CDF item skipped"), "{:?}", f.notes);
}

// --- Item 5: fallbacks ---

#[test]
fn title_fallbacks_dc_media_itunes() {
    let f = parse_file("rss-fallback-titles.xml");
    assert_eq!(
        titles(&f),
        [
            "Dawn chorus, Wicken Fen",
            "Rain on a tin roof",
            "Episode 12: The harbour at night",
            "Wind in the pines"
        ]
    );
    assert!(has_note(&f, "fallbacks used: 3 titles from dc:title"), "{:?}", f.notes);
}

/// At the channel's level too: a channel titled only by `dc:title` (or `itunes:title`).
#[test]
fn channel_title_fallback() {
    for element in ["dc:title", "itunes:title"] {
        let doc = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
             xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><{element}>Field Notes</{element}>\
             <link>https://notes.example/</link><item><title>One</title><link>https://notes.example/1</link></item>\
             </channel></rss>"
        );
        let f =
            parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.title, "Field Notes", "{element}");
    }
}

#[test]
fn date_fallbacks_dc_dcterms_atom_never_expiration() {
    let f = parse_file("rss-fallback-dates.xml");
    let dates: Vec<_> = f.articles.iter().map(|a| a.date).collect();
    assert_eq!(
        dates,
        [
            utc(2019, 1, 7, 19, 30, 0),
            utc(2019, 2, 4, 19, 30, 0),
            utc(2019, 3, 4, 19, 30, 0),
            utc(2019, 4, 1, 19, 30, 0),
            utc(2019, 5, 6, 19, 30, 0),
            utc(2019, 6, 3, 19, 30, 0),
            None,
        ]
    );
    assert!(has_note(&f, "fallbacks used: 4 dates from dcterms or atom dates"), "{:?}", f.notes);
    // dcterms:modified is an update date too.
    assert_eq!(f.articles[2].updated, utc(2019, 3, 4, 19, 30, 0));
}

#[test]
fn author_fallbacks() {
    let f = parse_file("rss-fallback-authors.xml");
    assert_eq!(
        authors(&f),
        [Some("Tomasz Nowak"), Some("Bea Green"), Some("Colin Fry"), Some("Dee Adeyemi"), Some("Priya Shah")]
    );
    assert!(has_note(&f, "fallbacks used: 1 author from itunes:author"), "{:?}", f.notes);
}

#[test]
fn link_fallbacks_guid_and_atom_link() {
    let f = parse_file("rss-fallback-links.xml");
    assert_eq!(
        links(&f),
        [
            Some("https://releases.example.dev/2.4.0"),
            Some("https://releases.example.dev/2.3.1"),
            None,
            Some("https://releases.example.dev/2.2.0"),
            Some("https://releases.example.dev/2.1.0"),
        ]
    );
    assert!(has_note(&f, "fallbacks used: 4 links from a permalink guid or atom:link"), "{:?}", f.notes);
    // The fallback link does not change identity: still the guid.
    assert_eq!(f.articles[0].guid.as_deref(), Some("https://releases.example.dev/2.4.0"));
}

#[test]
fn summary_and_content_full_content_wins() {
    let f = parse_file("rss-summary-and-content.xml");
    assert!(f.articles[0].content_html.contains("The full essay about maps"));
    assert!(!f.articles[0].content_html.contains("teaser"));
    // The summary is kept apart (issue 10, item 5); alone, it is the body.
    assert_eq!(f.articles[0].summary_html.as_deref(), Some("A short teaser about maps."));
    assert_eq!(f.articles[1].content_html, "Only a summary about clocks.");
    assert_eq!(f.articles[1].summary_html, None);
}

#[test]
fn upper_case_hex_references() {
    let f = parse_file("rss-hex-upper.xml");
    assert_eq!(titles(&f), ["ABC of type"]);
    assert!(f.articles[0].content_html.contains('☺'), "{}", f.articles[0].content_html);
    not_lenient(&f);
}

#[test]
fn entities_from_the_internal_dtd_subset() {
    let f = parse_file("rss-dtd-entities.xml");
    assert_eq!(f.title, "Les Cahiers du Nord");
    assert_eq!(titles(&f), ["Welcome to Les Cahiers du Nord"]);
    assert!(
        f.articles[0].content_html.contains("Read on → © 2010 Les Cahiers du Nord"),
        "{}",
        f.articles[0].content_html
    );
    assert!(has_note(&f, "DTD"), "{:?}", f.notes);
}

#[test]
fn internal_dtd_entities_are_bounded() {
    // A billion laughs: each entity ten of the one before.
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY l0 \"lol\">\n");
    for n in 1..=9 {
        let prev = format!("&l{};", n - 1).repeat(10);
        doc.push_str(&format!("<!ENTITY l{n} \"{prev}\">\n"));
    }
    doc.push_str("]>\n<rss version=\"2.0\"><channel><title>t</title><item><title>&l9;</title><link>http://e.x/1</link></item></channel></rss>");
    let f = parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles.len(), 1);
    assert!(f.articles[0].title.len() < 10_000, "{}", f.articles[0].title.len());
    assert!(has_note(&f, "left as written"), "{:?}", f.notes);
}

#[test]
fn html_named_entities_in_rss() {
    let f = parse_file("rss-html-entities.xml");
    assert_eq!(f.title, "Cahiers du Nord");
    assert_eq!(titles(&f), ["Café crème & croissants"]);
    let body = &f.articles[0].content_html;
    assert!(body.contains("déjeuner\u{a0}à Lille — «\u{a0}bon\u{a0}»"), "{body}");
}

#[test]
fn naked_markup_in_a_title_is_text() {
    let f = parse_file("rss-title-markup.xml");
    assert_eq!(titles(&f), ["Breaking: the canal froze", "Plain title"]);
}

/// HTML written into `<description>` as elements rather than escaped (feed-rs read only the
/// text before the first of them): read whole, as the HTML it is, as feedparser reads it.
#[test]
fn naked_markup_in_a_description_is_the_body() {
    let f = parse_file("rss-body-markup.xml");
    let bodies: Vec<&str> = f.articles.iter().map(|a| a.content_html.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "The ice held for <b>three days</b>, and <a href=\"http://canal.example.nl/photos\">the photos</a> are up.<br/>\n<img src=\"/img/ice.jpg\" alt=\"skaters\"/>",
            "<p>Lock 4 closes on Monday.</p><p>Boats go round by the <em>Amstel</em>.</p>",
            "<p>Nothing to repair & nothing changed.</p>",
        ]
    );
    assert_eq!(f.articles[0].images, ["http://canal.example.nl/img/ice.jpg"]);
    assert!(has_note(&f, "recovered: unescaped HTML in 2 descriptions read as HTML"), "{:?}", f.notes);
    not_lenient(&f);
}

#[test]
fn fallbacks_and_shapes_do_not_change_identity() {
    // Keys are what the store knows articles by: reading more of a document must not change
    // the key of an article that was read before. The same items, without what the
    // fallbacks and shape repairs read, must give the same keys.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/shapes/rss-fallback-links.xml");
    let full = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let bare: String = full.lines().filter(|l| !l.contains("<atom:link")).collect::<Vec<_>>().join("\n");
    let keys = |doc: &str| {
        let f =
            parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
        f.articles.iter().map(|a| a.key).collect::<Vec<_>>()
    };
    assert_eq!(keys(&full), keys(&bare));

    // An RSS 1.0 item with a link keeps its key when a linkless sibling is now read too.
    let rdf = |extra: &str| {
        format!(
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
             <channel rdf:about=\"http://e.x/\"><title>t</title><link>http://e.x/</link></channel>\
             <item rdf:about=\"http://e.x/1\"><title>One</title><link>http://e.x/1</link></item>{extra}</rdf:RDF>"
        )
    };
    let before = keys(&rdf(""));
    let after = keys(&rdf("<item rdf:about=\"urn:x:2\"><title>Two</title></item>"));
    assert_eq!(after.len(), 2);
    assert_eq!(before[0], after[0]);
}

#[test]
fn prefixed_atom03_root() {
    let doc = "<?xml version=\"1.0\"?>\n<a:feed version=\"0.3\" xmlns:a=\"http://purl.org/atom/ns#\">\
        <a:title>Notes</a:title><a:link rel=\"alternate\" type=\"text/html\" href=\"http://n.example/\"/>\
        <a:entry><a:title>First</a:title><a:link rel=\"alternate\" type=\"text/html\" href=\"http://n.example/1\"/>\
        <a:id>tag:n.example,2004:1</a:id><a:issued>2004-05-01T10:00:00Z</a:issued>\
        <a:content type=\"text/html\" mode=\"escaped\">&lt;p&gt;Hello&lt;/p&gt;</a:content></a:entry></a:feed>";
    let f = parse_feed(doc.as_bytes(), None, "https://example.com/feed").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.format, FeedFormat::Atom);
    assert_eq!(titles(&f), ["First"]);
    assert_eq!(f.articles[0].link.as_deref(), Some("http://n.example/1"));
    assert_eq!(f.articles[0].content_html, "<p>Hello</p>");
    assert_eq!(f.articles[0].date, utc(2004, 5, 1, 10, 0, 0));
    assert!(has_note(&f, "read as Atom 0.3"), "{:?}", f.notes);
}

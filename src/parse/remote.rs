//! Articles that arrive from a sync server's API instead of a feed document: the same
//! cleaning as a parsed feed (plain-text title, sanitized HTML body, absolute URLs, plausible
//! dates), so nothing from a server reaches the store that a feed could not bring.

use chrono::{DateTime, Utc};
use url::Url;

use super::{absolute, article_key, clean_body, date, html, title_from_text};
use crate::model::ParsedArticle;
use crate::sanitize;

/// One item as a sync server describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteArticle<'a> {
    /// The server's id for it, kept as the GUID when the server gives no better one
    /// (`"fever:123"`), so that the article's identity is stable across syncs.
    pub guid: &'a str,
    /// The title; may contain HTML, as feeds' titles do.
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub author: Option<&'a str>,
    pub html: &'a str,
    /// Unix seconds.
    pub published: Option<i64>,
    /// What relative URLs in the body are relative to: the feed's site, else its URL.
    pub base: Option<&'a str>,
}

/// Builds the article. Identity: the item's link when it has one (what a feed without GUIDs
/// would give), else the server's id.
pub fn article_from_remote(item: &RemoteArticle<'_>, now: DateTime<Utc>) -> ParsedArticle {
    let base = item.base.and_then(|b| Url::parse(b).ok());
    let link = item.link.filter(|l| !l.trim().is_empty()).and_then(|l| absolute(base.as_ref(), l));
    let link_url = link.as_deref().and_then(|l| Url::parse(l).ok());
    let title = if html::looks_like_html(item.title) {
        sanitize::line(&html::flatten(item.title))
    } else {
        sanitize::line(&item.title.replace("&nbsp;", " ").replace('\u{a0}', " "))
    };
    let author = item.author.map(sanitize::line).filter(|a| !a.is_empty());
    let content_html = clean_body(item.html.to_owned());
    let (images, links) = html::images_and_links(&content_html, link_url.as_ref().or(base.as_ref()));
    let published = item.published.and_then(|s| DateTime::from_timestamp(s, 0));
    let date = date::plausible(published, now);
    let guid = sanitize::line(item.guid);
    let key = match &link {
        Some(l) => article_key(None, Some(l), &title, &content_html),
        None => article_key(Some(&guid), None, &title, &content_html),
    };
    let title = if title.is_empty() { title_from_text(&content_html) } else { title };
    ParsedArticle {
        key,
        guid: Some(guid).filter(|g| !g.is_empty()),
        title,
        link,
        author,
        date,
        updated: None,
        content_html,
        // A sync server gives one body, whatever it was made from.
        summary_html: None,
        images,
        links,
        enclosures: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap()
    }

    #[test]
    fn a_server_item_is_cleaned_like_a_feed_item() {
        let item = RemoteArticle {
            guid: "fever:7",
            title: "<b>Bold</b> \u{1b}[31mtitle",
            link: Some("/post/7"),
            author: Some("Ann\u{7}"),
            html: "<p>Hi <a href=\"other\">there</a>\u{1b}]0;x\u{7}</p>",
            published: Some(1_700_000_000),
            base: Some("https://example.test/blog/"),
        };
        let a = article_from_remote(&item, now());
        assert_eq!(a.title, "Bold [31mtitle");
        assert_eq!(a.link.as_deref(), Some("https://example.test/post/7"));
        assert_eq!(a.author.as_deref(), Some("Ann"));
        assert!(!a.content_html.contains('\u{1b}'));
        assert_eq!(a.links, vec!["https://example.test/post/other".to_owned()]);
        assert_eq!(a.date.map(|d| d.timestamp()), Some(1_700_000_000));
    }

    #[test]
    fn identity_is_the_link_else_the_server_id() {
        let with_link =
            RemoteArticle { guid: "fever:1", link: Some("https://e.test/a"), ..Default::default() };
        let other_id = RemoteArticle { guid: "fever:2", ..with_link.clone() };
        assert_eq!(article_from_remote(&with_link, now()).key, article_from_remote(&other_id, now()).key);
        let no_link_1 = RemoteArticle { guid: "fever:1", title: "same", ..Default::default() };
        let no_link_2 = RemoteArticle { guid: "fever:2", title: "same", ..Default::default() };
        assert_ne!(article_from_remote(&no_link_1, now()).key, article_from_remote(&no_link_2, now()).key);
    }

    #[test]
    fn an_implausible_date_is_dropped_and_an_untitled_item_gets_its_first_words() {
        let item = RemoteArticle {
            guid: "fever:3",
            html: "<p>Words that make the title</p>",
            published: Some(4_000_000_000),
            ..Default::default()
        };
        let a = article_from_remote(&item, now());
        assert_eq!(a.date, None);
        assert_eq!(a.title, "Words that make the title…");
    }
}

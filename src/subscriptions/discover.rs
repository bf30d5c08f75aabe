//! Finds the feeds a web page advertises with `<link rel="alternate" type="...feed type...">`.
//!
//! Only start tags and their attributes matter, so instead of building a DOM the page is read
//! once with [`crate::html::tokens`], which never fails on bad HTML: comments, `<!DOCTYPE>`
//! and the content of `<script>`, `<style>`, `<title>` and the other raw-text elements are not
//! tags (a `<link` inside a script string is not a link), attribute values may be double-,
//! single- or unquoted, names are matched without regard to case, and character references in
//! values are decoded.

use url::Url;

use super::{check_feed_url, clean_title, find};
use crate::html::{TokenKind, Tokenizer};
use crate::sanitize;

/// A feed linked from a web page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiscoveredFeed {
    /// Absolute feed URL (resolved against `<base href>` or the page URL, then normalised).
    pub url: String,
    /// The link's `title` attribute, if it had a non-empty one.
    pub title: Option<String>,
    /// The link's media type, lower-cased and without parameters, e.g. `application/atom+xml`.
    pub mime: String,
}

/// Media types that mark a `rel="alternate"` link as a feed.
const FEED_TYPES: [&str; 3] = ["application/rss+xml", "application/atom+xml", "application/feed+json"];

/// The media type JSON Feed 1.0 used, shared with every other JSON document: see
/// [`is_feed_link`].
const PLAIN_JSON: &str = "application/json";

/// True when a `rel="alternate"` link of type `mime` to `url` is a feed.
///
/// `application/json` is what JSON Feed 1.0 told sites to write, but WordPress writes the
/// same type for the REST API view of every page (`title="JSON"`,
/// `href=".../wp-json/wp/v2/pages/12"`, or `?rest_route=/wp/v2/...` without pretty
/// permalinks), and other sites use it for search indexes. So a plain JSON link counts only
/// when it calls itself a feed, with "feed" in its title or in its path or query
/// (`/feed.json`, `/feeds/json`, `/feed/json`, `title="JSON Feed"`), and never when it points
/// into the WordPress REST API. The host is not looked at: `feeds.example.com/api/x.json`
/// says nothing about what the document is.
fn is_feed_link(mime: &str, url: &Url, title: Option<&str>) -> bool {
    if FEED_TYPES.contains(&mime) {
        return true;
    }
    if mime != PLAIN_JSON {
        return false;
    }
    let path = url.path().to_ascii_lowercase();
    let query = url.query().unwrap_or_default().to_ascii_lowercase();
    if path.contains("/wp-json/") || path.ends_with("/wp-json") || query.contains("rest_route=") {
        return false;
    }
    path.contains("feed")
        || query.contains("feed")
        || title.is_some_and(|t| t.to_lowercase().contains("feed"))
}

/// Lists the feeds `html` links to, in document order and each URL once.
///
/// Relative links are resolved against the document's first `<base href>` (which applies to
/// the whole document, wherever it stands), itself resolved against `page_url`. When
/// `page_url` is not a valid absolute URL, only absolute links are returned. Links that do
/// not resolve to an http, https or file URL are left out.
pub fn discover_feeds(html: &[u8], page_url: &str) -> Vec<DiscoveredFeed> {
    let text = decode_html(html);
    let page = Url::parse(page_url.trim()).ok();
    let mut base_href: Option<String> = None;
    let mut links: Vec<(String, Option<String>, String)> = Vec::new();
    for token in Tokenizer::new(&text) {
        let TokenKind::StartTag(tag) = token.kind else { continue };
        let attr = |name: &str| tag.attr(name).map(|a| a.value());
        if tag.is("base") && base_href.is_none() {
            base_href = attr("href").map(|h| h.trim().to_owned());
        } else if tag.is("link") {
            let is_alternate = attr("rel")
                .is_some_and(|rel| rel.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case("alternate")));
            let mime = attr("type")
                .and_then(|t| t.split(';').next().map(|t| t.trim().to_ascii_lowercase()))
                .unwrap_or_default();
            let href = attr("href").map(|h| h.trim().to_owned()).unwrap_or_default();
            let is_candidate = FEED_TYPES.contains(&mime.as_str()) || mime == PLAIN_JSON;
            if is_alternate && is_candidate && !href.is_empty() {
                let title = attr("title").and_then(|t| clean_title(&t));
                links.push((href, title, mime));
            }
        }
    }

    let base = match (&page, base_href) {
        (Some(page), Some(href)) => page.join(&href).ok().or_else(|| Some(page.clone())),
        (None, Some(href)) => Url::parse(&href).ok(),
        (page, None) => page.clone(),
    };
    let mut feeds: Vec<DiscoveredFeed> = Vec::new();
    for (href, title, mime) in links {
        let resolved = match &base {
            Some(base) => base.join(&href),
            None => Url::parse(&href),
        };
        let Ok(resolved) = resolved else { continue };
        if !is_feed_link(&mime, &resolved, title.as_deref()) {
            continue;
        }
        let Ok(url) = check_feed_url(resolved.as_str()) else {
            continue;
        };
        if feeds.iter().any(|f| f.url == url) {
            continue;
        }
        feeds.push(DiscoveredFeed { url, title, mime: sanitize::line(&mime) });
    }
    feeds
}

/// Decodes an HTML page: a byte order mark wins, then valid UTF-8, then a `charset=` named in
/// the first 4 KiB (a `<meta>` tag), then windows-1252, the web's legacy default.
fn decode_html(bytes: &[u8]) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom_len..]).0.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let enc = meta_charset(&bytes[..bytes.len().min(4096)])
        .map_or(encoding_rs::WINDOWS_1252, encoding_rs::Encoding::output_encoding);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// The encoding named by the first `charset=` in `head`, if encoding_rs knows it.
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower = head.to_ascii_lowercase();
    let at = find(&lower, b"charset")?;
    let rest = lower[at + b"charset".len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"").or(rest.strip_prefix(b"'")).unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
        .unwrap_or(rest.len());
    encoding_rs::Encoding::for_label(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(url: &str, title: Option<&str>, mime: &str) -> DiscoveredFeed {
        DiscoveredFeed { url: url.into(), title: title.map(Into::into), mime: mime.into() }
    }

    #[test]
    fn finds_several_links_in_document_order() {
        let html = br#"<!DOCTYPE html><html><head>
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
            <link href="https://other.example/atom" title="Atom &amp; more" type="application/atom+xml" rel="alternate">
            <link rel="alternate" type="application/feed+json" href="feed.json" title="">
            <link rel="alternate" type="application/json" href="/feed.json">
            <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
            <link rel="alternate" type="application/rss+xml" href="/feed.xml" title="dup">
            </head><body></body></html>"#;
        assert_eq!(
            discover_feeds(html, "https://blog.example/posts/1"),
            [
                feed("https://blog.example/feed.xml", Some("RSS"), "application/rss+xml"),
                feed("https://other.example/atom", Some("Atom & more"), "application/atom+xml"),
                feed("https://blog.example/posts/feed.json", None, "application/feed+json"),
                feed("https://blog.example/feed.json", None, "application/json"),
            ]
        );
    }

    /// The `<head>` of a WordPress page: its two RSS feeds, then the REST API and oEmbed
    /// links that share the JSON media type but are not feeds.
    const WORDPRESS_HEAD: &str = r#"<link rel='dns-prefetch' href='//s.w.org' />
        <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="https://blog.example/feed/" />
        <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed" href="https://blog.example/comments/feed/" />
        <link rel="https://api.w.org/" href="https://blog.example/wp-json/" />
        <link rel="alternate" title="JSON" type="application/json" href="https://blog.example/wp-json/wp/v2/pages/12" />
        <link rel="alternate" title="JSON" type="application/json" href="https://plain.example/?rest_route=/wp/v2/posts/7" />
        <link rel="alternate" title="oEmbed (JSON)" type="application/json+oembed" href="https://blog.example/wp-json/oembed/1.0/embed?url=https%3A%2F%2Fblog.example%2Fabout%2F" />
        <link rel="alternate" title="oEmbed (XML)" type="text/xml+oembed" href="https://blog.example/wp-json/oembed/1.0/embed?url=https%3A%2F%2Fblog.example%2Fabout%2F&#038;format=xml" />"#;

    #[test]
    fn wordpress_rest_api_links_are_not_feeds() {
        assert_eq!(
            discover_feeds(WORDPRESS_HEAD.as_bytes(), "https://blog.example/about/"),
            [
                feed("https://blog.example/feed/", Some("Blog » Feed"), "application/rss+xml"),
                feed(
                    "https://blog.example/comments/feed/",
                    Some("Blog » Comments Feed"),
                    "application/rss+xml"
                ),
            ]
        );
        // Even a REST API link that names itself a feed stays out.
        let html =
            br#"<link rel="alternate" type="application/json" title="Feed" href="/wp-json/wp/v2/feed">"#;
        assert!(discover_feeds(html, "https://blog.example/").is_empty());
    }

    #[test]
    fn json_links_count_only_when_they_are_json_feeds() {
        let html = br#"
            <link rel="alternate" type="application/feed+json" href="/anything.json">
            <link rel="alternate" type="application/json" title="JSON Feed" href="https://df.example/feeds/json">
            <link rel="alternate" type="application/json" href="/feed.json">
            <link rel="alternate" type="application/json" href="/feed/json">
            <link rel="alternate" type="application/json" title="Site" href="/export?format=jsonfeed">
            <link rel="alternate" type="application/json" href="/index.json">
            <link rel="alternate" type="application/json" title="Search index" href="https://feeds.example/search.json">
            <link rel="alternate" type="application/json" href="/data.json#feed">
            "#;
        assert_eq!(
            discover_feeds(html, "https://site.example/"),
            [
                feed("https://site.example/anything.json", None, "application/feed+json"),
                feed("https://df.example/feeds/json", Some("JSON Feed"), "application/json"),
                feed("https://site.example/feed.json", None, "application/json"),
                feed("https://site.example/feed/json", None, "application/json"),
                feed("https://site.example/export?format=jsonfeed", Some("Site"), "application/json"),
            ]
        );
    }

    #[test]
    fn odd_quoting_case_and_rel_tokens() {
        let html = concat!(
            "<LINK REL='Home ALTERNATE' TYPE='Application/RSS+XML; charset=utf-8' HREF='/a'>",
            "<link rel=alternate type=application/atom+xml href=/b/>",
            "<link\nrel = \"alternate\"\ttype = \"application/atom+xml\" title='it\"s > fine' href = \" /c \" />",
            "<link rel=\"alternative\" type=\"application/rss+xml\" href=\"/no\">",
            "<link rel=\"alternate\" href=\"/no-type\">",
            "<link rel=\"alternate\" type=\"application/rss+xml\">",
            "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"javascript:void(0)\">",
        );
        assert_eq!(
            discover_feeds(html.as_bytes(), "http://x.example/dir/page.html"),
            [
                feed("http://x.example/a", None, "application/rss+xml"),
                feed("http://x.example/b/", None, "application/atom+xml"),
                feed("http://x.example/c", Some("it\"s > fine"), "application/atom+xml"),
            ]
        );
    }

    #[test]
    fn base_href_applies_to_all_links() {
        let html = br#"<link rel="alternate" type="application/rss+xml" href="rss">
            <base href="/sub/"><base href="http://ignored.example/">
            <link rel="alternate" type="application/atom+xml" href="../atom">"#;
        assert_eq!(
            discover_feeds(html, "https://site.example/a/b"),
            [
                feed("https://site.example/sub/rss", None, "application/rss+xml"),
                feed("https://site.example/atom", None, "application/atom+xml"),
            ]
        );
    }

    #[test]
    fn bad_page_url_keeps_absolute_links_only() {
        let html = br#"<link rel="alternate" type="application/rss+xml" href="/rel">
            <link rel="alternate" type="application/rss+xml" href="http://abs.example/f">"#;
        assert_eq!(
            discover_feeds(html, "not a url"),
            [feed("http://abs.example/f", None, "application/rss+xml")]
        );
    }

    #[test]
    fn ignores_links_in_comments_scripts_and_survives_garbage() {
        let html = br#"<!-- <link rel="alternate" type="application/rss+xml" href="/c"> -->
            <script>var s = '<link rel="alternate" type="application/rss+xml" href="/s">';</script>
            <style>a < b {}</style><title>x <link></title>
            a < b <3 <> <?php ?> </ p> <img src=x alt='
            <link rel="alternate" type="application/rss+xml" href="/real">
            "#;
        // The `alt='` above swallows everything to the end, as a browser would.
        assert!(discover_feeds(html, "http://h/").is_empty());
        let html = br#"<p>a < b</p><SCRIPT>x</Script ><link rel=alternate type=application/rss+xml href=/ok"#;
        assert_eq!(discover_feeds(html, "http://h/"), [feed("http://h/ok", None, "application/rss+xml")]);
        for junk in [&b""[..], b"<", b"<link", b"<link rel=", b"<!--", b"<script>", b"\xff\xfe<\x00"] {
            let _ = discover_feeds(junk, "http://h/");
        }
    }

    #[test]
    fn decodes_legacy_charsets_and_sanitizes_titles() {
        let mut html =
            b"<meta charset=\"windows-1251\"><link rel=alternate type=application/rss+xml href=/f title='"
                .to_vec();
        html.extend_from_slice(b"\xcf\xf0\xe8\xec\xe5\xf0\x1b[2J'>");
        assert_eq!(
            discover_feeds(&html, "http://h/"),
            [feed("http://h/f", Some("Пример[2J"), "application/rss+xml")]
        );
    }
}

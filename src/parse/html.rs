//! Small, linear-time HTML helpers for parsing: flattening a title to plain text, escaping
//! plain text as HTML, telling whether text a feed declared plain is HTML, and collecting
//! `<img>`/`<a>` URLs from a body.
//!
//! Deliberately not a DOM parser: bodies can be megabytes of deeply nested HTML, and all we
//! need is a single pass over tags and their attributes, which [`crate::html::tokens`] gives.

use std::collections::{HashMap, HashSet};

use url::Url;

use crate::html::{decode_entities, decode_reference, TokenKind, Tokenizer};

/// Inline and block elements whose presence means "this text is HTML".
const SNIFF_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "big",
    "blockquote",
    "br",
    "cite",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "td",
    "th",
    "tr",
    "tt",
    "u",
    "ul",
];

/// Whether text that a feed declared plain is really HTML: it has a closing tag, a `<br>` or
/// `<img>`, or a character reference. An opening tag alone is not enough ("How to use <div>"
/// is a fine plain title).
pub(crate) fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'<' => {
                let rest = &b[i + 1..];
                let (closing, rest) = match rest.first() {
                    Some(b'/') => (true, &rest[1..]),
                    _ => (false, rest),
                };
                let n = rest.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
                if n == 0 {
                    continue;
                }
                let name = &rest[..n];
                let ends_ok = matches!(rest.get(n), Some(b'>' | b' ' | b'/' | b'\t' | b'\n'));
                if !ends_ok || !SNIFF_TAGS.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(name)) {
                    continue;
                }
                if closing || name.eq_ignore_ascii_case(b"br") || name.eq_ignore_ascii_case(b"img") {
                    return true;
                }
            }
            // Only a complete reference counts ("&#39;", not "&#39").
            b'&' if decode_reference(&s[i..], &mut String::new(), false)
                .is_some_and(|used| b.get(i + used - 1) == Some(&b';')) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// HTML to one line of plain text: tags dropped (the contents of `<script>`, `<style>`, `<title>`
/// and the other raw-text elements the reader does not show too),
/// character references decoded, block tags and `&nbsp;` turned into spaces. The result still
/// needs [`crate::sanitize::line`].
pub(crate) fn flatten(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    flatten_undecoded_into(html, &mut text);
    let decoded = decode_entities(&text);
    decoded.replace('\u{a0}', " ")
}

/// The first half of [`flatten`]: appends the text of `html` to `out` with tags dropped and
/// block tags as spaces, but its character references not decoded yet (a reference may be
/// cut by an inline tag, `&am<b>p;`, and is decoded whole once the text is joined) and
/// `&nbsp;` not replaced.
pub(crate) fn flatten_undecoded_into(html: &str, out: &mut String) {
    for token in Tokenizer::new(html) {
        match token.kind {
            // A `<` that opens no tag ("a < b") is text.
            TokenKind::Text(s) => out.push_str(s),
            TokenKind::StartTag(tag) if !tag.is("a") && !is_inline(tag.name) => out.push(' '),
            // The raw-text elements whose text the reader shows (as preformatted text); it
            // drops the others (scripts, styles, `<title>`, an iframe's fallback…).
            TokenKind::RawText { element: "textarea" | "xmp" | "plaintext", text: raw } => out.push_str(raw),
            _ => {}
        }
    }
}

/// The start of the text the reader shows of `html`, as [`flatten`] gives it, but without an
/// inline SVG drawing's text (the reader draws no SVG, so its `<text>` labels are never shown),
/// and ending once at least `max_text` bytes of text are gathered. The markup before the text
/// (a drawing's paths, a stylesheet, an image's `data:` URL) does not count against `max_text`,
/// so a body's first words are found however much of it comes before them.
pub(crate) fn shown_text_start(html: &str, max_text: usize) -> String {
    let mut text = String::new();
    let mut tokens = Tokenizer::new(html);
    while text.len() < max_text {
        let Some(token) = tokens.next() else { break };
        match token.kind {
            TokenKind::Text(s) => {
                // One text can be the whole body: no more of it than is asked for.
                let mut end = s.len().min(max_text - text.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                text.push_str(&s[..end]);
            }
            TokenKind::StartTag(tag) if tag.is("svg") => {
                if !tag.self_closing {
                    let mut depth = 1usize;
                    for t in tokens.by_ref() {
                        match t.kind {
                            TokenKind::StartTag(t) if t.is("svg") && !t.self_closing => depth += 1,
                            TokenKind::EndTag(t) if t.is("svg") => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                }
                text.push(' ');
            }
            TokenKind::StartTag(tag) if !tag.is("a") && !is_inline(tag.name) => text.push(' '),
            TokenKind::RawText { element: "textarea" | "xmp" | "plaintext", text: raw } => text.push_str(raw),
            _ => {}
        }
    }
    decode_entities(&text).replace('\u{a0}', " ")
}

fn is_inline(name: &str) -> bool {
    [
        "b", "i", "em", "strong", "span", "code", "u", "s", "small", "big", "sub", "sup", "font", "abbr",
        "tt", "q", "cite", "kbd", "mark",
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(name))
}

/// Plain text as HTML: `&`, `<`, `>` and `"` escaped, line breaks as `<br>`.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => {}
            '\n' => out.push_str("<br>\n"),
            _ => out.push(c),
        }
    }
    out
}

/// URL schemes never worth following from a terminal: script, inline data (a `data:` image
/// is no URL to show or fetch), and browser-internal ones.
pub(crate) fn is_unsafe_scheme(url: &Url) -> bool {
    matches!(url.scheme(), "javascript" | "data" | "vbscript" | "about" | "blob")
}

/// Resolves an attribute value to an absolute URL: entities decoded, whitespace trimmed,
/// relative references joined to `base`. `None` for empty values, in-page anchors and
/// unsafe schemes.
pub(crate) fn resolve(raw: &str, base: Option<&Url>) -> Option<String> {
    let value = decode_entities(raw);
    let value = value.trim();
    if value.is_empty() || value.starts_with('#') {
        return None;
    }
    let url = match base {
        Some(b) => b.join(value).ok()?,
        None => Url::parse(value).ok()?,
    };
    if is_unsafe_scheme(&url) {
        return None;
    }
    clean_url(url.as_str())
}

/// A URL serialised by the url crate is printable ASCII (it percent-encodes everything else),
/// so the full [`crate::sanitize::line`] pass is only a safety net for the other case.
pub(crate) fn clean_url(s: &str) -> Option<String> {
    let s = if s.bytes().all(|b| b.is_ascii_graphic()) { s.to_owned() } else { crate::sanitize::line(s) };
    (!s.is_empty()).then_some(s)
}

/// The absolute URLs of the images and links in `html`, each in document order without
/// duplicates. An `<img>` whose `src` is missing or a `data:` URL falls back to the lazy-load
/// attributes `data-src` and `data-original`.
pub(crate) fn images_and_links(html: &str, base: Option<&Url>) -> (Vec<String>, Vec<String>) {
    let mut images = Vec::new();
    let mut links = Vec::new();
    // Raw attribute values already handled: bodies repeat URLs, and resolving is the costly
    // part of this scan.
    let mut seen_img: HashMap<&str, bool> = HashMap::new();
    let mut seen_link: HashSet<&str> = HashSet::new();
    let mut done_img: HashSet<String> = HashSet::new();
    let mut done_link: HashSet<String> = HashSet::new();
    for token in Tokenizer::new(html) {
        let TokenKind::StartTag(tag) = token.kind else { continue };
        if tag.is("img") {
            // The first candidate that resolves wins: `src`, then lazy-loading attributes.
            let candidates = [tag.raw_attr("src"), tag.raw_attr("data-src"), tag.raw_attr("data-original")];
            for raw in candidates.into_iter().flatten() {
                let resolved = match seen_img.get(raw) {
                    // Seen and kept: a duplicate. Seen and unusable (a shared data: placeholder):
                    // try the next attribute.
                    Some(true) => break,
                    Some(false) => continue,
                    None => {
                        let r = resolve(raw, base);
                        seen_img.insert(raw, r.is_some());
                        r
                    }
                };
                if let Some(u) = resolved {
                    if done_img.insert(u.clone()) {
                        images.push(u);
                    }
                    break;
                }
            }
        } else if tag.is("a") {
            if let Some(raw) = tag.raw_attr("href") {
                if seen_link.insert(raw) {
                    if let Some(u) = resolve(raw, base) {
                        if done_link.insert(u.clone()) {
                            links.push(u);
                        }
                    }
                }
            }
        }
    }
    (images, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_titles() {
        assert_eq!(flatten("<b>Bold</b> &amp; <i>it</i>"), "Bold & it");
        assert_eq!(flatten("a < b &nbsp;c"), "a < b  c");
        assert_eq!(flatten("x<script>alert('<b>')</script>y<br>z"), "x y z");
        assert_eq!(flatten("<!-- c -->t"), "t");
    }

    #[test]
    fn shown_text_passes_over_drawings_and_stops_after_enough_text() {
        let svg = "<svg><svg><text>inner</text></svg><text>label</text></svg>";
        assert_eq!(shown_text_start(&format!("{svg}<p>Hi &amp; bye</p>"), 100).trim(), "Hi & bye");
        assert_eq!(shown_text_start("a<svg/>b<SVG x=1><TEXT>no</TEXT></SVG>c", 100), "a b c");
        // An unclosed drawing runs to the end, as the reader draws it (not at all).
        assert_eq!(shown_text_start("a<svg><text>b", 100), "a ");
        // The markup before the text does not count; the text does.
        let long = format!("<style>{}</style>{}", "x".repeat(10_000), "word ".repeat(1000));
        let start = shown_text_start(&long, 20);
        assert!(start.trim_start().starts_with("word word") && start.len() < 40, "{start}");
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_html("<b>x</b>"));
        assert!(looks_like_html("a<br/>b"));
        assert!(looks_like_html("Tom &amp; Jerry"));
        assert!(!looks_like_html("How to use <div> in HTML"));
        assert!(!looks_like_html("AT&T & more"));
        assert!(!looks_like_html("1 < 2 > 0"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_text("a<b>&\"\r\nc"), "a&lt;b&gt;&amp;&quot;<br>\nc");
    }

    #[test]
    fn images_and_links_with_odd_markup() {
        let base = Url::parse("https://ex.com/blog/post.html").ok();
        let html = r##"<P>text <A HREF="/a?x=1&amp;y=2">one</A> <a href='rel/two'>2</a>
            <a href=three.html>3</a><a href = "javascript:alert(1)">js</a><a href="#top">top</a>
            <a href="data:text/html,x">d</a><a name="x">no href</a><a href="/a?x=1&y=2">dup</a>
            <img src="img.png" alt='a > b'><IMG SRC=//cdn.ex.com/i.jpg><img src="data:image/png;base64,AA" data-src="lazy.png">
            <img src="img.png"><img src="data:image/png;base64,AA" data-src="lazy2.png"><script>var s = "<a href='/nope'>";</script><style>a{}</style>
            <!-- <a href="/commented"> --><img src="https://ex.com/&#x41;.png">
            <a href="mailto:me@ex.com">m</a>"##;
        let (images, links) = images_and_links(html, base.as_ref());
        assert_eq!(
            images,
            [
                "https://ex.com/blog/img.png",
                "https://cdn.ex.com/i.jpg",
                "https://ex.com/blog/lazy.png",
                "https://ex.com/blog/lazy2.png",
                "https://ex.com/A.png"
            ]
        );
        assert_eq!(
            links,
            [
                "https://ex.com/a?x=1&y=2",
                "https://ex.com/blog/rel/two",
                "https://ex.com/blog/three.html",
                "mailto:me@ex.com"
            ]
        );
    }

    #[test]
    fn relative_urls_without_base_are_dropped() {
        let (images, links) = images_and_links(r#"<img src="a.png"><a href="http://x.org/">x</a>"#, None);
        assert!(images.is_empty());
        assert_eq!(links, ["http://x.org/"]);
    }

    #[test]
    fn scanner_reads_deep_nesting_and_unclosed_tags() {
        let deep = "<div>".repeat(200_000) + "<a href=/x>x</a>" + &"</div>".repeat(200_000);
        let base = Url::parse("http://h/").ok();
        let (_, links) = images_and_links(&deep, base.as_ref());
        assert_eq!(links, ["http://h/x"]);
        let (i, l) = images_and_links("<a href=\"unclosed <img src='x'", base.as_ref());
        assert!(i.is_empty() && l.len() == 1);
    }
}

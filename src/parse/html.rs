//! Small, linear-time HTML helpers for parsing: entity decoding, flattening a title to plain
//! text, escaping plain text as HTML, and collecting `<img>`/`<a>` URLs from a body.
//!
//! Deliberately not a DOM parser: bodies can be megabytes of deeply nested HTML, and all we
//! need is a single pass over tags and their attributes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use markup5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use url::Url;

/// Decodes HTML character references: `&amp;`, `&#39;`, `&#x2019;` and every HTML5 named
/// entity. A reference without its `;` or with an unknown name is left as written.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        match decode_one(rest) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
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

/// The code points of the HTML5 named entity `name_semi` (its name and `;`, as `eacute;`):
/// the second is 0 when there is one.
pub(crate) fn html_entity(name_semi: &str) -> Option<(u32, u32)> {
    NAMED_ENTITIES.get(name_semi).copied().filter(|&(c1, _)| c1 != 0)
}

/// Appends `c` escaped for HTML/XML text or a double-quoted attribute.
pub(crate) fn escape_markup_char(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

/// Appends `s` escaped for HTML/XML text or a double-quoted attribute.
pub(crate) fn escape_markup_into(s: &str, out: &mut String) {
    for c in s.chars() {
        escape_markup_char(c, out);
    }
}

/// Decodes the reference at the start of `s` (which starts with `&`): the text and the number
/// of bytes it used.
fn decode_one(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    decode_reference(s, &mut out, false).map(|used| (out, used))
}

/// Decodes the character reference at the start of `s` (which starts with `&`) onto `out` and
/// returns the bytes it used; `None` (and nothing written) when it is not one. Numeric
/// references may lack their `;`; named ones need it, except, with `legacy_names`, the five
/// that browsers also take bare (`&amp`, `&lt`, `&gt`, `&quot`, `&nbsp`).
pub(crate) fn decode_reference(s: &str, out: &mut String, legacy_names: bool) -> Option<usize> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (radix, start) = match b.get(2) {
            Some(b'x' | b'X') => (16, 3),
            _ => (10, 2),
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() && (radix == 16 || c.is_ascii_digit()))
            .count();
        if digits == 0 || digits > 8 {
            return None;
        }
        let v = u32::from_str_radix(&s[start..start + digits], radix).ok()?;
        out.push(match v {
            // HTML maps these to windows-1252, which is what the publisher meant.
            0x80..=0x9F => C1_REPLACEMENTS[(v - 0x80) as usize].unwrap_or('\u{FFFD}'),
            0 => '\u{FFFD}',
            _ => char::from_u32(v).unwrap_or('\u{FFFD}'),
        });
        let used = start + digits;
        return Some(if b.get(used) == Some(&b';') { used + 1 } else { used });
    }
    let n = b[1..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    if n == 0 || n > 32 {
        return None;
    }
    if b.get(1 + n) != Some(&b';') {
        let bare = match &s[1..1 + n] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "nbsp" => '\u{a0}',
            _ => return None,
        };
        if !legacy_names {
            return None;
        }
        out.push(bare);
        return Some(1 + n);
    }
    let &(c1, c2) = NAMED_ENTITIES.get(&s[1..n + 2])?;
    let first = char::from_u32(c1)?;
    let second = if c2 != 0 { Some(char::from_u32(c2)?) } else { None };
    out.push(first);
    out.extend(second);
    Some(n + 2)
}

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
            b'&' if decode_one(&s[i..]).is_some_and(|(_, used)| b.get(i + used - 1) == Some(&b';')) => {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// HTML to one line of plain text: tags dropped (the contents of `<script>` and `<style>` too),
/// character references decoded, block tags and `&nbsp;` turned into spaces. The result still
/// needs [`crate::sanitize::line`].
pub(crate) fn flatten(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let b = html.as_bytes();
    let mut i = 0;
    let mut last = 0;
    while let Some(p) = memchr(b'<', b, i) {
        let Some(tag) = scan_tag(html, p) else {
            // A '<' that opens no tag ("a < b") is text.
            i = p + 1;
            continue;
        };
        text.push_str(&html[last..p]);
        if !tag.closing && !tag.name.is_empty() && !tag.name.eq_ignore_ascii_case("a") && !is_inline(tag.name)
        {
            text.push(' ');
        }
        i = tag.end;
        if !tag.closing && is_raw_text(tag.name) {
            i = skip_raw_text(html, tag.end, tag.name);
        }
        last = i;
    }
    text.push_str(&html[last..]);
    let decoded = decode_entities(&text);
    decoded.replace('\u{a0}', " ")
}

fn is_inline(name: &str) -> bool {
    [
        "b", "i", "em", "strong", "span", "code", "u", "s", "small", "big", "sub", "sup", "font", "abbr",
        "tt", "q", "cite", "kbd", "mark",
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(name))
}

fn is_raw_text(name: &str) -> bool {
    name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style")
}

/// Index after the `</name>` that ends a raw-text element starting at `from`, or the end.
fn skip_raw_text(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut i = from;
    while let Some(p) = memchr(b'<', b, i) {
        let rest = &b[p + 1..];
        if rest.first() == Some(&b'/')
            && rest.len() > name.len()
            && rest[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return match memchr(b'>', b, p) {
                Some(e) => e + 1,
                None => b.len(),
            };
        }
        i = p + 1;
    }
    b.len()
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

fn memchr(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.iter().position(|&c| c == needle).map(|p| p + from)
}

/// One tag as the scanner sees it.
struct Tag<'a> {
    /// Empty for comments, `<!...>` and `<?...>`.
    name: &'a str,
    closing: bool,
    /// Attributes as raw (still entity-encoded) values.
    attrs: Vec<(&'a str, &'a str)>,
    /// Index just past the tag's `>`.
    end: usize,
}

/// Reads the tag starting at `p` (a `<`). `None` when the `<` does not start a tag.
fn scan_tag(html: &str, p: usize) -> Option<Tag<'_>> {
    let b = html.as_bytes();
    let rest = &b[p + 1..];
    if rest.starts_with(b"!--") {
        let end = super::decode::find(&rest[3..], b"-->").map_or(b.len(), |e| p + 4 + e + 3);
        return Some(Tag { name: "", closing: false, attrs: Vec::new(), end });
    }
    if matches!(rest.first(), Some(b'!' | b'?')) {
        let end = memchr(b'>', b, p).map_or(b.len(), |e| e + 1);
        return Some(Tag { name: "", closing: false, attrs: Vec::new(), end });
    }
    let (closing, name_start) = match rest.first() {
        Some(b'/') => (true, p + 2),
        _ => (false, p + 1),
    };
    if !b.get(name_start).is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut j = name_start;
    while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'>' | b'/') {
        j += 1;
    }
    let name = &html[name_start..j];
    let mut attrs = Vec::new();
    loop {
        while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
            j += 1;
        }
        match b.get(j) {
            None => return Some(Tag { name, closing, attrs, end: b.len() }),
            Some(b'>') => return Some(Tag { name, closing, attrs, end: j + 1 }),
            _ => {}
        }
        let an = j;
        // An attribute name may start with '=' in HTML; take at least one byte so we advance.
        j += 1;
        while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/') {
            j += 1;
        }
        let aname = &html[an..j];
        let mut k = j;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        if b.get(k) != Some(&b'=') {
            attrs.push((aname, ""));
            continue;
        }
        k += 1;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        match b.get(k) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let vs = k + 1;
                let ve = memchr(q, b, vs).unwrap_or(b.len());
                attrs.push((aname, &html[vs..ve]));
                j = (ve + 1).min(b.len());
            }
            _ => {
                let vs = k;
                while k < b.len() && !b[k].is_ascii_whitespace() && b[k] != b'>' {
                    k += 1;
                }
                attrs.push((aname, &html[vs..k]));
                j = k;
            }
        }
    }
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
    let b = html.as_bytes();
    let mut images = Vec::new();
    let mut links = Vec::new();
    // Raw attribute values already handled: bodies repeat URLs, and resolving is the costly
    // part of this scan.
    let mut seen_img: HashMap<&str, bool> = HashMap::new();
    let mut seen_link: HashSet<&str> = HashSet::new();
    let mut done_img: HashSet<String> = HashSet::new();
    let mut done_link: HashSet<String> = HashSet::new();
    let mut i = 0;
    while let Some(p) = memchr(b'<', b, i) {
        let Some(tag) = scan_tag(html, p) else {
            i = p + 1;
            continue;
        };
        i = tag.end;
        if tag.closing {
            continue;
        }
        let attr = |n: &str| tag.attrs.iter().find(|(a, _)| a.eq_ignore_ascii_case(n)).map(|&(_, v)| v);
        if tag.name.eq_ignore_ascii_case("img") {
            // The first candidate that resolves wins: `src`, then lazy-loading attributes.
            let candidates = [attr("src"), attr("data-src"), attr("data-original")];
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
        } else if tag.name.eq_ignore_ascii_case("a") {
            if let Some(raw) = attr("href") {
                if seen_link.insert(raw) {
                    if let Some(u) = resolve(raw, base) {
                        if done_link.insert(u.clone()) {
                            links.push(u);
                        }
                    }
                }
            }
        } else if is_raw_text(tag.name) {
            i = skip_raw_text(html, tag.end, tag.name);
        }
    }
    (images, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &#39;x&#x2019; &hellip;&nbsp;"),
            "a & b <c> 'x\u{2019} \u{2026}\u{a0}"
        );
        assert_eq!(decode_entities("AT&T &bogus; & &#146;"), "AT&T &bogus; & \u{2019}");
        assert_eq!(decode_entities("&#0; &#xD800; &#99999999;"), "\u{FFFD} \u{FFFD} \u{FFFD}");
        assert_eq!(decode_entities("&"), "&");
    }

    #[test]
    fn flatten_titles() {
        assert_eq!(flatten("<b>Bold</b> &amp; <i>it</i>"), "Bold & it");
        assert_eq!(flatten("a < b &nbsp;c"), "a < b  c");
        assert_eq!(flatten("x<script>alert('<b>')</script>y<br>z"), "x y z");
        assert_eq!(flatten("<!-- c -->t"), "t");
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
    fn scanner_is_linear_on_deep_nesting_and_unclosed_tags() {
        let deep = "<div>".repeat(200_000) + "<a href=/x>x</a>" + &"</div>".repeat(200_000);
        let base = Url::parse("http://h/").ok();
        let t = std::time::Instant::now();
        let (_, links) = images_and_links(&deep, base.as_ref());
        assert_eq!(links, ["http://h/x"]);
        let (i, l) = images_and_links("<a href=\"unclosed <img src='x'", base.as_ref());
        assert!(i.is_empty() && l.len() == 1);
        assert!(t.elapsed().as_secs() < 5);
    }
}

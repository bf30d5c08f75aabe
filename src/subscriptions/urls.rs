//! newsboat's `urls` file: one feed per line, `URL [tag ...] ["~Custom title"]`; read
//! leniently line by line, and written so that reading it back gives the same subscriptions.
//!
//! Reading rules:
//! - Tokens are separated by whitespace. A `"` starts a quoted part that may hold spaces and
//!   ends at the next unescaped `"`; inside it `\"` is a quote and `\\` a backslash. An
//!   unterminated quote runs to the end of the line.
//! - The first token is the URL. Of the rest, a token whose text starts with `~` is the title
//!   (newsboat accepts it quoted or not; the last one wins, as in newsboat), every other token
//!   is a tag.
//! - A tag starting with `!` is hidden in newsboat (the feed shows only through query feeds).
//!   tidings has no hidden feeds, so the `!` is dropped and the tag kept: the feed is imported
//!   visible and still grouped under its tag.
//! - Blank lines and lines whose first token starts with `#` are ignored; an unquoted token
//!   starting with `#` ends the line (a comment after the tags).
//! - `query:`, `exec:`, `filter:` and other non-feed lines are skipped, each with its line
//!   number and the reason.

use super::{
    check_feed_url, clean_title, decode_document, push_tag, shorten, Collector, ImportError, ImportList,
    Subscription,
};
use crate::sanitize;

/// Reads a newsboat urls file from raw bytes (UTF-8; a UTF-8 or UTF-16 byte order mark is
/// honoured). Fails only when the file is evidently something else: binary, JSON, or without a
/// single line that is a feed URL or a newsboat pseudo-feed. An empty or comments-only file is
/// an empty list.
pub fn parse_urls_file(bytes: &[u8]) -> Result<ImportList, ImportError> {
    parse_urls_text(&decode_document(bytes))
}

/// One whitespace-separated token of a line.
pub(super) struct Token {
    pub(super) text: String,
    /// The token began with a quote (so a leading `#` is text, not a comment).
    pub(super) quoted: bool,
}

/// Splits a line into tokens, stopping at an unquoted `#` that starts a token.
pub(super) fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        if first == '#' {
            break;
        }
        let mut text = String::new();
        let mut in_quotes = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => in_quotes = !in_quotes,
                '\\' if in_quotes => match chars.peek() {
                    Some(&e @ ('"' | '\\')) => {
                        text.push(e);
                        chars.next();
                    }
                    _ => text.push('\\'),
                },
                c if c.is_whitespace() && !in_quotes => break,
                c => text.push(c),
            }
        }
        tokens.push(Token { text, quoted: first == '"' });
    }
    tokens
}

/// True when `url` is something only a urls file holds: a newsboat pseudo-feed. Used to tell
/// a urls file with nothing importable (still a valid, empty import) from some other file.
fn is_newsboat_pseudo_feed(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    url.starts_with('|') || ["query:", "exec:", "filter:"].iter().any(|p| lower.starts_with(p))
}

/// Reads an already decoded urls file.
pub(crate) fn parse_urls_text(text: &str) -> Result<ImportList, ImportError> {
    // NUL never appears in text; without this a compressed file would be read as hundreds
    // of junk lines.
    if text.contains('\0') {
        return Err(ImportError::Binary);
    }
    let mut out = Collector::default();
    let mut first_content: Option<(usize, String)> = None;
    let mut any_pseudo_feed = false;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let tokens = tokenize(line);
        let Some((url_token, rest)) = tokens.split_first() else {
            continue;
        };
        if url_token.text.trim().is_empty() && !url_token.quoted {
            continue;
        }
        let raw_url = url_token.text.trim();
        let (_, first) = first_content.get_or_insert_with(|| (number, shorten(&sanitize::line(line), 80)));
        // JSON (a JSON Feed, say) has URL-looking lines but is never a urls file; stop before
        // reporting each of them.
        if first.starts_with(['{', '[']) {
            break;
        }
        any_pseudo_feed |= is_newsboat_pseudo_feed(raw_url);
        let url = match check_feed_url(raw_url) {
            Ok(url) => url,
            Err(reason) => {
                out.skip(&format!("line {number}: {raw_url}"), reason);
                continue;
            }
        };
        let mut title = None;
        let mut tags = Vec::new();
        for token in rest {
            if let Some(t) = token.text.strip_prefix('~') {
                title = clean_title(t);
            } else {
                let tag = token.text.strip_prefix('!').unwrap_or(&token.text);
                push_tag(&mut tags, tag);
            }
        }
        out.add(url, title, tags);
    }
    if !out.has_subscriptions() && !any_pseudo_feed {
        if let Some((line, text)) = first_content {
            return Err(ImportError::NotSubscriptionList { line, text });
        }
    }
    Ok(out.finish())
}

/// Quotes a token for a urls file: `\` and `"` are escaped inside the quotes.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Writes `subs` in newsboat's urls format, one line per feed: the URL, the tags, then the
/// title as `"~Title"`.
///
/// A tag is quoted when it holds whitespace, a quote or a backslash, or starts with `#`. A tag
/// starting with `~` or `!` would be read as a title or a hidden tag, so it is written quoted
/// with one leading space (`" ~tag"`): tidings trims it back to `~tag`, newsboat shows it with
/// the space. Strings are cleaned with [`sanitize::line`] first, so no line break can split an
/// entry.
pub fn write_urls(subs: &[Subscription]) -> String {
    let mut out = String::new();
    for sub in subs {
        out.push_str(&sanitize::line(&sub.url));
        let mut tags = Vec::new();
        for tag in &sub.tags {
            push_tag(&mut tags, tag);
        }
        for tag in &tags {
            out.push(' ');
            if tag.starts_with(['~', '!']) {
                out.push_str(&quoted(&format!(" {tag}")));
            } else if tag.starts_with('#')
                || tag.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\')
            {
                out.push_str(&quoted(tag));
            } else {
                out.push_str(tag);
            }
        }
        if let Some(title) = sub.title.as_deref().and_then(clean_title) {
            out.push(' ');
            out.push_str(&quoted(&format!("~{title}")));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImportList {
        parse_urls_file(s.as_bytes()).unwrap()
    }

    fn sub(url: &str, title: Option<&str>, tags: &[&str]) -> Subscription {
        Subscription {
            url: url.into(),
            title: title.map(Into::into),
            tags: tags.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn urls_tags_and_titles() {
        let list = parse(concat!(
            "http://a/\n",
            "https://b.example/feed.xml tech \"two words\" \"~My \\\"B\\\" feed\"\n",
            "  http://c/\tnews ~Plain   !hidden \"!\" \n",
            "http://d/ \"~\" x\n",
        ));
        assert_eq!(
            list.subscriptions,
            [
                sub("http://a/", None, &[]),
                sub("https://b.example/feed.xml", Some("My \"B\" feed"), &["tech", "two words"]),
                sub("http://c/", Some("Plain"), &["news", "hidden"]),
                sub("http://d/", None, &["x"]),
            ]
        );
        assert!(list.skipped.is_empty());
    }

    #[test]
    fn comments_and_blank_lines_are_ignored() {
        let list = parse("# header\n\n   \n  # indented comment\nhttp://a/ t # trailing \"~no\"\nhttp://b/#frag \"#quoted\"\n");
        assert_eq!(
            list.subscriptions,
            [sub("http://a/", None, &["t"]), sub("http://b/#frag", None, &["#quoted"])]
        );
        assert!(parse("# only comments\n").subscriptions.is_empty());
        assert!(parse("").subscriptions.is_empty());
    }

    #[test]
    fn pseudo_feeds_are_skipped_with_line_numbers() {
        let list = parse(concat!(
            "http://ok/\n",
            "\"query:Unread Articles:unread = \\\"yes\\\"\" tag\n",
            "# comment\n",
            "exec:~/bin/foo\n",
            "filter:~/f.sh:https://x/ \"~F\"\n",
            "gopher://old/\n",
            "\"|~/fetch.py\"\n",
            "example.com/rss\n",
        ));
        assert_eq!(list.subscriptions.len(), 1);
        let got: Vec<(&str, &str)> = list
            .skipped
            .iter()
            .map(|s| (s.what.as_str(), s.reason.split(' ').next().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                ("line 2: query:Unread Articles:unread = \"yes\"", "query:"),
                ("line 4: exec:~/bin/foo", "exec:"),
                ("line 5: filter:~/f.sh:https://x/", "filter:"),
                ("line 6: gopher://old/", "unsupported"),
                ("line 7: |~/fetch.py", "piped-command"),
                ("line 8: example.com/rss", "not"),
            ]
        );
        assert_eq!(list.skipped[1].reason, "exec: feeds (the output of a command) are not supported");
    }

    #[test]
    fn filter_lines_are_skipped_however_they_are_written() {
        // newsboat quotes a filter whose command has arguments (and writes its OPML import of
        // `filtercmd` this way); the prefix is matched without regard to case.
        let list = parse(concat!(
            "\"filter:~/bin/html2rss.py --all:https://site.example/news.html\" news \"~Scraped\"\n",
            "  Filter:xslt a.xsl:http://x/\n",
            "http://ok/\n",
        ));
        assert_eq!(list.subscriptions, [sub("http://ok/", None, &[])]);
        let what: Vec<&str> = list.skipped.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(
            what,
            ["line 1: filter:~/bin/html2rss.py --all:https://site.example/news.html", "line 2: Filter:xslt"]
        );
        assert!(list.skipped.iter().all(|s| s.reason.starts_with("filter: feeds")), "{:?}", list.skipped);
    }

    #[test]
    fn a_file_of_only_pseudo_feeds_is_not_an_error() {
        let list = parse("exec:~/a\nquery:x:y\n");
        assert_eq!(list.skipped.len(), 2);
    }

    #[test]
    fn other_files_are_errors() {
        let err = parse_urls_file(b"\n{\"feeds\": []}\n").unwrap_err();
        assert!(matches!(err, ImportError::NotSubscriptionList { line: 2, .. }), "{err}");
        // JSON with URL lines inside is still JSON
        let err = parse_urls_file(b"[\n\"https://a.example/feed\",\n\"url: x\"\n]").unwrap_err();
        assert!(matches!(err, ImportError::NotSubscriptionList { line: 1, .. }), "{err}");
        // lines that are URLs of the wrong kind only
        let err = parse_urls_file(b"gopher://a/\nexample.com/rss\n").unwrap_err();
        assert!(err.to_string().contains("gopher://a/"), "{err}");
        assert!(matches!(parse_urls_file(b"\x1f\x8b\x08\x00\x00\nhttp://x/\n"), Err(ImportError::Binary)));
    }

    #[test]
    fn duplicates_are_merged() {
        let list = parse("http://a/ x\nhttp://A/ y \"~T\"\nhttp://a/ x z\n");
        assert_eq!(list.subscriptions, [sub("http://a/", Some("T"), &["x", "y", "z"])]);
    }

    #[test]
    fn odd_tokens() {
        // an unterminated quote runs to the end of the line; quotes inside a token join parts
        let list = parse("http://a/ \"open tag\nhttp://b/ ab\"c d\"e \"\"\n");
        assert_eq!(list.subscriptions[0].tags, ["open tag"]);
        assert_eq!(list.subscriptions[1].tags, ["abc de"]);
        // BOM and CRLF
        let list = parse_urls_file(b"\xef\xbb\xbfhttp://a/ t\r\nhttp://b/\r\n").unwrap();
        assert_eq!(list.subscriptions, [sub("http://a/", None, &["t"]), sub("http://b/", None, &[])]);
    }

    #[test]
    fn written_lines_quote_what_needs_it() {
        let subs = [
            sub("http://a/", Some("A \"q\" \\ b"), &["plain", "two words", "~t", "!h", "#c", "q\"x"]),
            sub("http://b/", None, &[]),
        ];
        assert_eq!(
            write_urls(&subs),
            "http://a/ plain \"two words\" \" ~t\" \" !h\" \"#c\" \"q\\\"x\" \"~A \\\"q\\\" \\\\ b\"\nhttp://b/\n"
        );
    }

    #[test]
    fn round_trip() {
        let subs = [
            sub(
                "http://a/",
                Some("A \"q\" \\ b ~x"),
                &["plain", "two words", "~t", "!h", "#c", "q\"x", "a,b"],
            ),
            sub("http://b/?x=1&y=2#f", None, &["日本"]),
            sub("file:///tmp/f.xml", Some("~tilde"), &[]),
        ];
        assert_eq!(parse(&write_urls(&subs)).subscriptions, subs);
    }
}

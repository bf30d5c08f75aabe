//! Cleans text that came from a feed before it is stored or shown.
//!
//! Feeds are written by strangers: a title can carry ESC sequences (feed-rs decodes `&#27;`
//! into a real ESC), a JSON Feed string can hold `\u001b`, and bidi overrides can make a URL
//! read backwards. Every string from a feed goes through one of these functions, both when it
//! is stored and again when it is printed, so no control character ever reaches a terminal.

/// True for characters that must never reach a terminal: C0 and C1 controls, DEL, and the
/// Unicode bidi overrides, isolates and line/paragraph separators.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{206a}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
    )
}

/// A single-line field (title, author, feed name, URL, error text): every forbidden
/// character is dropped, except whitespace controls (tab, newline, CR), which become one
/// space; runs of whitespace collapse and the ends are trimmed.
///
/// ```
/// // An OSC 0 sequence (set the terminal's title) arrives as a feed title:
/// assert_eq!(tidings::sanitize::line("News\u{1b}]0;pwned\u{7}\n today"), "News]0;pwned today");
/// ```
pub fn line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_forbidden(c) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// A multi-line text (article body, HTML source): newlines and tabs are kept; the other line
/// breaks (a lone CR, NEL, U+2028, U+2029) become newlines, so the words on either side do not
/// run together; every other forbidden character is dropped.
pub fn text(s: &str) -> String {
    if is_clean_text(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            // CR LF is one break; a CR alone (old Mac files) is one too.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if is_forbidden(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// True when `s` holds nothing that [`text`] would remove.
pub fn is_clean_text(s: &str) -> bool {
    !s.chars().any(|c| is_forbidden(c) && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_strips_escape_sequences_and_controls() {
        assert_eq!(line("a\u{1b}]0;pwned\u{7}b"), "a]0;pwnedb");
        assert_eq!(line("\u{9b}31mred"), "31mred");
        assert_eq!(line("evil\u{202e}txt.exe"), "eviltxt.exe");
        assert_eq!(line("  two\n\tlines \r\n"), "two lines");
        assert_eq!(line("中文\u{0}标题"), "中文标题");
    }

    #[test]
    fn text_keeps_newlines_and_tabs() {
        assert_eq!(text("a\n\tb\u{1b}[2Jc\r\n"), "a\n\tb[2Jc\n");
        assert_eq!(text("one\u{2028}two\u{85}three\u{2029}four\rfive"), "one\ntwo\nthree\nfour\nfive");
        assert!(is_clean_text("plain\nline"));
        assert!(!is_clean_text("x\u{1b}"));
    }
}

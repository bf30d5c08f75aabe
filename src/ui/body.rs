//! An article's HTML as terminal-safe text lines. Runs on a blocking worker: html2text has no
//! time limit and is quadratic in nesting depth, so the input is capped.

/// HTML beyond this many bytes is not rendered.
pub const MAX_HTML: usize = 1 << 20;

/// The body as lines wrapped at `width`: no control characters, tabs expanded, and no more
/// than one blank line in a row.
pub fn render_lines(html: &str, width: u16) -> Vec<String> {
    render_capped(html, width, MAX_HTML)
}

fn render_capped(html: &str, width: u16, cap: usize) -> Vec<String> {
    let mut end = html.len().min(cap);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = end < html.len();
    let text = match html2text::from_read(&html.as_bytes()[..end], usize::from(width.max(10))) {
        Ok(t) => t,
        Err(e) => format!("(this article cannot be shown as text: {e})"),
    };
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        let clean = crate::sanitize::text(&raw.replace('\t', "    "));
        let line = clean.trim_end().to_owned();
        if line.is_empty() && lines.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if truncated {
        lines.push(String::new());
        lines.push(format!("(the article is longer than {} KiB; the rest is not shown)", cap / 1024));
    }
    if lines.is_empty() {
        lines.push("(this article has no text)".to_owned());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_blank_lines_and_strips_controls() {
        let html = "<p>one\u{1b}[31m</p><p></p><p></p><section></section><p>two\tx</p>";
        let lines = render_lines(html, 40);
        assert!(lines.iter().all(|l| crate::sanitize::is_clean_text(l) && !l.contains('\t')));
        assert!(!lines.windows(2).any(|w| w[0].is_empty() && w[1].is_empty()), "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("one")) && lines.iter().any(|l| l.contains("two")));
    }

    #[test]
    fn caps_the_input() {
        let html = "<p>word</p>".repeat(1000);
        let lines = render_capped(&html, 60, 4096);
        assert!(lines.last().is_some_and(|l| l.contains("not shown")));
    }
}

//! The line of text a search result shows: the body around the first word that matched.

use std::collections::HashSet;

use super::tokenize;

/// Bytes of body shown before the first match.
const BEFORE: usize = 60;
/// Bytes of body a snippet holds at most.
const LENGTH: usize = 200;

/// Up to [`LENGTH`] bytes of `body` around its first term in `terms` (from the start when none
/// is there), cut at spaces where there are some, `…` where text was cut off, and sanitized:
/// one line, no control characters, whatever the feed put in it.
pub(crate) fn snippet(body: &str, terms: &HashSet<&str>) -> String {
    let mut first = None;
    tokenize::for_each_token(body, |term, span| {
        if terms.contains(term) {
            first = Some(span.start);
        }
        first.is_none()
    });
    let hit = first.unwrap_or(0);
    let mut start = floor_boundary(body, hit.saturating_sub(BEFORE));
    if start > 0 {
        // Start on a word: after the first space of the cut, if it is before the match.
        if let Some(space) = body[start..hit].find(char::is_whitespace) {
            start += space;
        }
    }
    let mut end = floor_boundary(body, (start + LENGTH).min(body.len()));
    if end < body.len() {
        if let Some(space) = body[hit.max(start)..end].rfind(char::is_whitespace) {
            end = hit.max(start) + space;
        }
    }
    let text = crate::sanitize::line(&body[start..end]);
    match (start > 0, end < body.len()) {
        (false, false) => text,
        (true, false) => format!("…{text}"),
        (false, true) => format!("{text}…"),
        (true, true) => format!("…{text}…"),
    }
}

/// Where in `text` the words of the search `query` are (byte ranges, in order, overlaps
/// merged): the same folding and stemming as the index, so `running` lights up for `run` and
/// a CJK word for its bigrams. For drawing matches, not for deciding them.
pub(crate) fn matched_ranges(text: &str, query: &str) -> Vec<std::ops::Range<usize>> {
    let query_terms = tokenize::tokens(query);
    if query_terms.is_empty() {
        return Vec::new();
    }
    let terms: HashSet<&str> = query_terms.iter().map(|t| t.term.as_str()).collect();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    tokenize::for_each_token(text, |term, span| {
        if terms.contains(term) {
            match ranges.last_mut() {
                // CJK bigrams overlap: one run of matched characters is one range.
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => ranges.push(span),
            }
        }
        true
    });
    ranges
}

fn floor_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

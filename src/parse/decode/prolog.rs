//! Finding the XML declaration's `encoding` in ASCII-compatible bytes.

/// The position and value of the XML declaration's `encoding` pseudo-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclEncoding {
    /// Byte range of the value (without quotes) in the scanned text.
    pub range: std::ops::Range<usize>,
    pub label: String,
}

/// Finds the XML declaration's `encoding` in ASCII-compatible bytes. The declaration should be
/// first, but feeds in the wild put whitespace and comments before it, and feed-rs accepts
/// that, so we skip those too.
pub(crate) fn find_decl_encoding(bytes: &[u8]) -> Option<DeclEncoding> {
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            let end = find(&rest[4..], b"-->")?;
            i += 4 + end + 3;
            continue;
        }
        if rest.len() > 5 && rest.starts_with(b"<?xml") && rest[5].is_ascii_whitespace() {
            let end = find(rest, b"?>")?;
            let decl = &rest[..end];
            return find_pseudo_attr(decl, b"encoding")
                .map(|(range, label)| DeclEncoding { range: (range.start + i)..(range.end + i), label });
        }
        return None;
    }
}

/// Finds `name = "value"` (or single quotes) inside an XML declaration.
fn find_pseudo_attr(decl: &[u8], name: &[u8]) -> Option<(std::ops::Range<usize>, String)> {
    let mut from = 0;
    while let Some(pos) = find(&decl[from..], name) {
        let start = from + pos;
        from = start + name.len();
        // Must be a whole word: preceded by whitespace.
        if start == 0 || !decl[start - 1].is_ascii_whitespace() {
            continue;
        }
        let mut j = from;
        while j < decl.len() && decl[j].is_ascii_whitespace() {
            j += 1;
        }
        if decl.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while j < decl.len() && decl[j].is_ascii_whitespace() {
            j += 1;
        }
        let quote = *decl.get(j)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let vstart = j + 1;
        let vlen = decl[vstart..].iter().position(|&b| b == quote)?;
        let value = String::from_utf8_lossy(&decl[vstart..vstart + vlen]).into_owned();
        return Some((vstart..vstart + vlen, value));
    }
    None
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(p) => {
                i += p;
                if i + needle.len() <= hay.len() && &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

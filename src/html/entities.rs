//! HTML character references: decoding `&amp;`, `&#39;`, `&#x2019;` and every HTML5 named
//! entity (markup5ever's table, which html2text already links), and escaping text back.

use std::borrow::Cow;

use markup5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// Decodes HTML character references: `&amp;`, `&#39;`, `&#x2019;` and every HTML5 named
/// entity. A reference without its `;` or with an unknown name is left as written: in an
/// attribute value a bare `&name` is usually a query string (`?a=1&copy=2`), not an entity.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    decode_entities_into(s, &mut out, false);
    Cow::Owned(out)
}

/// Appends `s` to `out` with its character references decoded, as [`decode_entities`] does;
/// with `legacy_names`, the five names browsers also take without `;` (`&amp`, `&lt`, `&gt`,
/// `&quot`, `&nbsp`) are decoded too, as in article text html2text would decode.
pub(crate) fn decode_entities_into(s: &str, out: &mut String, legacy_names: bool) {
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        match decode_reference(rest, out, legacy_names) {
            Some(used) => rest = &rest[used..],
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
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
    fn legacy_names_only_when_asked() {
        let mut out = String::new();
        decode_entities_into("a &amp b &ampx &copy c", &mut out, true);
        assert_eq!(out, "a & b &ampx &copy c");
        assert_eq!(decode_entities("a &amp b"), "a &amp b");
    }
}

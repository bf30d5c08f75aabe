//! Turns the raw bytes of a feed into UTF-8 text with a prolog that says UTF-8.
//!
//! feed-rs decodes by the XML prolog only, so a UTF-8 BOM loses to a wrong declaration, a
//! missing declaration ignores the HTTP charset, and UTF-16BE panics inside quick-xml. We pick
//! the encoding ourselves, transcode to UTF-8 with encoding_rs, and rewrite the declaration's
//! `encoding` to UTF-8 so feed-rs reads exactly what we decoded.
//!
//! The order of evidence: a byte order mark, then the prolog's `encoding` (unless the bytes are
//! valid non-ASCII UTF-8: a prolog claiming ISO-8859-1 over UTF-8 bytes is a common publisher
//! mistake and valid multi-byte UTF-8 is almost never produced by a legacy encoding), then the
//! HTTP charset (the same UTF-8 rule applies), then UTF-8. Bytes that are not valid UTF-8 in a
//! UTF-8 document are read as windows-1252, one by one, which repairs the frequent stray
//! "smart quote" and reads undeclared Latin-1 documents right.

use std::borrow::Cow;

use encoding_rs::{Encoding, REPLACEMENT, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// The byte order marks we understand, in the order they must be tested (UTF-32LE's mark
/// starts with UTF-16LE's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

fn sniff_bom(bytes: &[u8]) -> Option<(Bom, usize)> {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => Some((Bom::Utf8, 3)),
        [0xFF, 0xFE, 0x00, 0x00, ..] => Some((Bom::Utf32Le, 4)),
        [0x00, 0x00, 0xFE, 0xFF, ..] => Some((Bom::Utf32Be, 4)),
        [0xFF, 0xFE, ..] => Some((Bom::Utf16Le, 2)),
        [0xFE, 0xFF, ..] => Some((Bom::Utf16Be, 2)),
        _ => None,
    }
}

/// UTF-16 without a BOM shows itself by a zero byte in every other position of the ASCII
/// markup that starts any XML or JSON document.
fn sniff_utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let n = bytes.len().min(64) & !1;
    if n < 4 {
        return None;
    }
    let head = &bytes[..n];
    let even_zero = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zero = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if even_zero == n / 2 && odd_zero == 0 {
        Some(UTF_16BE)
    } else if odd_zero == n / 2 && even_zero == 0 {
        Some(UTF_16LE)
    } else {
        None
    }
}

/// Decodes UTF-32 by hand: encoding_rs does not support it (the WHATWG standard dropped it).
fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    bytes
        .chunks_exact(4)
        .map(|c| {
            let arr = [c[0], c[1], c[2], c[3]];
            let v = if big_endian { u32::from_be_bytes(arr) } else { u32::from_le_bytes(arr) };
            char::from_u32(v).unwrap_or('\u{FFFD}')
        })
        .collect()
}

/// UTF-8, except that each byte which is not part of a valid sequence is read as
/// windows-1252 rather than becoming U+FFFD (see the module doc).
pub(crate) fn utf8_lossy_cp1252(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            let (fixed, _) = WINDOWS_1252.decode_without_bom_handling(chunk.invalid());
            out.push_str(&fixed);
        }
    }
    Cow::Owned(out)
}

/// Decodes with a known encoding. encoding_rs replaces malformed sequences with U+FFFD.
fn decode_with<'a>(bytes: &'a [u8], enc: &'static Encoding) -> Cow<'a, str> {
    if enc == UTF_8 {
        return utf8_lossy_cp1252(bytes);
    }
    enc.decode_without_bom_handling(bytes).0
}

/// An encoding label we may act on: known to encoding_rs, and not one that would throw the
/// text away (the "replacement" encoding) or that cannot describe ASCII-compatible bytes.
fn usable_label(label: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(label.trim().as_bytes())
        .or_else(|| Encoding::for_label(normalize_label(label).as_bytes()))?;
    if enc == REPLACEMENT || enc == UTF_16LE || enc == UTF_16BE {
        None
    } else {
        Some(enc)
    }
}

/// Rewrites label spellings that real producers write but the WHATWG table lacks
/// (`iso_8859-5`, `ISO8859_5`, `cp-1251`, `win-1251`, `windows1251`, `UTF_8`, `MacCyrillic`,
/// `mac-roman`) into a spelling encoding_rs knows. Returns the input, lower-cased, otherwise.
pub(crate) fn normalize_label(label: &str) -> String {
    let l: String = label.trim().to_ascii_lowercase().replace('_', "-");
    let compact: String = l.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if compact == "utf8" {
        return "utf-8".into();
    }
    if let Some(part) = compact.strip_prefix("iso8859") {
        return format!("iso-8859-{part}");
    }
    for prefix in ["windows", "win", "cp", "xcp"] {
        if let Some(num) = compact.strip_prefix(prefix) {
            if num.len() == 4 && num.starts_with("12") && num.bytes().all(|b| b.is_ascii_digit()) {
                return format!("windows-{num}");
            }
        }
    }
    match compact.as_str() {
        "maccyrillic" | "xmaccyrillic" | "maccyr" => "x-mac-cyrillic".into(),
        "macroman" | "xmacroman" | "macintosh" | "mac" => "macintosh".into(),
        "koi8r" => "koi8-r".into(),
        "koi8u" => "koi8-u".into(),
        "ibm866" | "cp866" | "866" => "ibm866".into(),
        _ => l,
    }
}

/// How [`to_utf8`] read a document, when that is worth a line in the fetch log.
pub(crate) fn describe_decoding(bytes: &[u8], http_charset: Option<&str>) -> Option<String> {
    if sniff_bom(bytes).is_some() || sniff_utf16_without_bom(bytes).is_some() {
        return None;
    }
    let label = find_decl_encoding(bytes).map(|d| d.label)?;
    match usable_label(&label) {
        Some(enc) if Encoding::for_label(label.trim().as_bytes()).is_none() => {
            Some(format!("encoding: declared {label:?}, read as {}", enc.name()))
        }
        Some(_) => None,
        None if http_charset.and_then(usable_label).is_some() => None,
        None if std::str::from_utf8(bytes).is_err() && !mostly_utf8(bytes) => Some(format!(
            "encoding: unknown label {label:?}, guessed {} by sniffing",
            guess_legacy_encoding(bytes).name()
        )),
        None => Some(format!("encoding: unknown label {label:?}, read as UTF-8")),
    }
}

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

fn is_utf8_label(label: &str) -> bool {
    let l = label.trim();
    l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8")
}

/// Decodes `bytes` to UTF-8 text following the rules in the module doc. The text never starts
/// with a BOM. The XML declaration, if any, still names the original encoding: call
/// [`fix_prolog`] before handing XML to feed-rs.
pub(crate) fn to_utf8<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some((bom, len)) = sniff_bom(bytes) {
        let body = &bytes[len..];
        return match bom {
            Bom::Utf8 => utf8_lossy_cp1252(body),
            Bom::Utf16Le => UTF_16LE.decode_without_bom_handling(body).0,
            Bom::Utf16Be => UTF_16BE.decode_without_bom_handling(body).0,
            Bom::Utf32Le => Cow::Owned(decode_utf32(body, false)),
            Bom::Utf32Be => Cow::Owned(decode_utf32(body, true)),
        };
    }
    if let Some(enc) = sniff_utf16_without_bom(bytes) {
        return enc.decode_without_bom_handling(bytes).0;
    }

    let declared = find_decl_encoding(bytes).and_then(|d| usable_label(&d.label));
    let http = http_charset.and_then(usable_label);
    match declared.or(http) {
        Some(enc) if enc != UTF_8 => {
            // Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (module doc).
            // Pure ASCII goes through the label so that 7-bit encodings (ISO-2022-JP) work.
            if !bytes.is_ascii() {
                if let Ok(s) = std::str::from_utf8(bytes) {
                    return Cow::Borrowed(s);
                }
            }
            decode_with(bytes, enc)
        }
        // Nothing names the encoding and most non-ASCII bytes are not UTF-8: a legacy
        // encoding (Big5, EUC-JP, KOI8-R, Latin-1...), guessed the way Firefox does.
        // Mostly-UTF-8 with a few stray bytes keeps the windows-1252 repair.
        None if std::str::from_utf8(bytes).is_err() && !mostly_utf8(bytes) => {
            decode_with(bytes, guess_legacy_encoding(bytes))
        }
        _ => utf8_lossy_cp1252(bytes),
    }
}

/// Whether more of the non-ASCII bytes form valid UTF-8 than not. (Legacy multi-byte text
/// now and then forms a valid UTF-8 pair by chance, so one valid sequence proves nothing.)
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().bytes().filter(|b| !b.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    valid > invalid
}

/// chardetng's guess for bytes that are not UTF-8 (it looks at the first 64 KiB).
fn guess_legacy_encoding(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(&bytes[..bytes.len().min(64 * 1024)], true);
    detector.guess(None, false)
}

/// Makes the XML declaration of already-decoded text say UTF-8, so that feed-rs does not
/// decode the text a second time with the original encoding.
pub(crate) fn fix_prolog(text: Cow<'_, str>) -> Cow<'_, str> {
    match find_decl_encoding(text.as_bytes()) {
        Some(d) if !is_utf8_label(&d.label) => {
            let mut s = String::with_capacity(text.len());
            s.push_str(&text[..d.range.start]);
            s.push_str("UTF-8");
            s.push_str(&text[d.range.end..]);
            Cow::Owned(s)
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_wins_over_wrong_declaration() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>é</a>".as_bytes());
        let t = to_utf8(&b, None);
        assert!(t.starts_with("<?xml"));
        assert!(t.contains("<a>é</a>"));
        let fixed = fix_prolog(t);
        assert!(fixed.contains("encoding=\"UTF-8\""), "{fixed}");
    }

    #[test]
    fn declared_legacy_encoding_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("<?xml version='1.0' encoding='GBK'?><t>中文</t>");
        let t = to_utf8(&gbk, None);
        assert!(t.contains("<t>中文</t>"));
        assert!(fix_prolog(t).contains("encoding='UTF-8'"));
    }

    #[test]
    fn valid_utf8_wins_over_latin1_declaration() {
        let b = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Grüße</t>".as_bytes();
        assert!(to_utf8(b, None).contains("Grüße"));
        // ...but real Latin-1 bytes are decoded as declared.
        let (l1, _, _) = WINDOWS_1252.encode("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Grüße</t>");
        assert!(to_utf8(&l1, None).contains("Grüße"));
    }

    #[test]
    fn http_charset_used_only_without_declaration() {
        let (cyr, _, _) = encoding_rs::WINDOWS_1251.encode("<rss><t>Привет</t></rss>");
        assert!(to_utf8(&cyr, Some("windows-1251")).contains("Привет"));
        // Mislabelled header over UTF-8 bytes.
        assert!(to_utf8("<t>Привет</t>".as_bytes(), Some("windows-1251")).contains("Привет"));
        // A declaration beats the header.
        let (l1, _, _) = WINDOWS_1252.encode("<?xml version=\"1.0\" encoding=\"windows-1252\"?><t>café</t>");
        assert!(to_utf8(&l1, Some("koi8-r")).contains("café"));
    }

    #[test]
    fn utf16_and_utf32_are_transcoded() {
        let s = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>中文</t>";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        let mut le_nobom = vec![];
        for u in s.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
            le_nobom.extend_from_slice(&u.to_le_bytes());
        }
        for b in [&le, &be, &le_nobom] {
            let t = fix_prolog(to_utf8(b, None));
            assert!(t.contains("<t>中文</t>"), "{t}");
            assert!(t.contains("encoding=\"UTF-8\""));
        }
        let mut u32le = vec![0xFF, 0xFE, 0, 0];
        for c in s.chars() {
            u32le.extend_from_slice(&(c as u32).to_le_bytes());
        }
        assert!(to_utf8(&u32le, None).contains("<t>中文</t>"));
    }

    #[test]
    fn undeclared_legacy_encodings_are_guessed() {
        for (label, text) in [
            ("EUC-JP", "日本語のブログの記事です。今日はとても良い天気でした。"),
            ("Shift_JIS", "日本語のブログの記事です。今日はとても良い天気でした。"),
            ("Big5", "這是一篇繁體中文的部落格文章，今天天氣很好。"),
            ("KOI8-R", "Это статья в русском блоге, сегодня хорошая погода."),
            ("windows-1252", "Ceci est un article de blog français, très agréable à lire."),
        ] {
            let enc = Encoding::for_label(label.as_bytes()).expect("label");
            let xml = format!("<rss><channel><title>{text}</title></channel></rss>");
            let (bytes, _, _) = enc.encode(&xml);
            let decoded = to_utf8(&bytes, None);
            assert!(decoded.contains(text), "{label}: {decoded}");
        }
    }

    #[test]
    fn stray_cp1252_bytes_are_repaired() {
        let b = b"<t>it\x92s caf\xc3\xa9</t>";
        assert_eq!(to_utf8(b, None), "<t>it\u{2019}s café</t>");
    }

    #[test]
    fn bogus_and_utf16_labels_on_ascii_bytes_are_ignored() {
        let b = "<?xml version=\"1.0\" encoding=\"bogus\"?><t>é</t>".as_bytes();
        assert!(to_utf8(b, None).contains("é"));
        let b = "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>中</t>".as_bytes();
        let t = fix_prolog(to_utf8(b, None));
        assert!(t.contains("中") && t.contains("UTF-8"));
    }

    #[test]
    fn declaration_after_comment_is_found() {
        let b = b"  <!-- hi --> <?xml version='1.0' encoding = \"Big5\" ?><a/>";
        let d = find_decl_encoding(b).map(|d| d.label);
        assert_eq!(d.as_deref(), Some("Big5"));
        assert_eq!(find_decl_encoding(b"<?xml version='1.0'?><a/>"), None);
    }
}

//! Turns the raw bytes of a feed into UTF-8 text with a prolog that says UTF-8.
//!
//! feed-rs decodes by the XML prolog only, so a UTF-8 BOM loses to a wrong declaration, a
//! missing declaration ignores the HTTP charset, and UTF-16BE panics inside quick-xml. We pick
//! the encoding ourselves ([`choose_encoding`]), transcode to UTF-8 with encoding_rs (charcode
//! for the DOS and EBCDIC code pages the WHATWG table lacks, see [`labels`]), and rewrite the
//! declaration's `encoding` to UTF-8 so feed-rs reads exactly what we decoded.
//!
//! The order of evidence: a byte order mark, then the shape of the first bytes (UTF-16
//! without a mark; `<?xm` in EBCDIC, whose declaration is then read in EBCDIC), then the
//! prolog's `encoding` (unless the bytes are valid non-ASCII UTF-8: a prolog claiming
//! ISO-8859-1 over UTF-8 bytes is a common publisher mistake and valid multi-byte UTF-8 is
//! almost never produced by a legacy encoding), then the HTTP charset (the same UTF-8 rule
//! applies), then UTF-8. Bytes that are not valid UTF-8 in a UTF-8 document are read as
//! windows-1252, one by one, which repairs the frequent stray "smart quote". A document that
//! names no encoding we know and is mostly not UTF-8 is guessed by chardetng, never assumed
//! to be windows-1252.

mod labels;
mod prolog;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

pub(crate) use labels::Charset;
pub(crate) use prolog::{find, find_decl_encoding};

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
/// windows-1252 rather than becoming U+FFFD (see the module doc). A sequence cut off by the
/// end of the document (a download cut short) is dropped: it was the start of a character,
/// not windows-1252 text (a document's last byte is never a letter).
pub(crate) fn utf8_lossy_cp1252(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut chunks = bytes.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        out.push_str(chunk.valid());
        let cut_off = chunks.peek().is_none()
            && std::str::from_utf8(chunk.invalid()).is_err_and(|e| e.error_len().is_none());
        if !chunk.invalid().is_empty() && !cut_off {
            let (fixed, _) = WINDOWS_1252.decode_without_bom_handling(chunk.invalid());
            out.push_str(&fixed);
        }
    }
    Cow::Owned(out)
}

fn is_utf8_label(label: &str) -> bool {
    let l = label.trim();
    l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8")
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

/// `<?xm` in EBCDIC: how an EBCDIC XML document starts (XML 1.0, appendix F).
const EBCDIC_XML: [u8; 4] = [0x4C, 0x6F, 0xA7, 0x94];

/// What made [`choose_encoding`] pick its encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Evidence {
    /// A byte order mark of this many bytes, skipped.
    Bom(usize),
    /// The zero bytes of UTF-16 without a mark.
    Utf16Shape,
    /// `<?xm` in EBCDIC. `declared` is the declaration's `encoding` read in EBCDIC; `known`
    /// says whether it named the EBCDIC page used (else IBM037 was).
    Ebcdic { declared: Option<String>, known: bool },
    /// The XML declaration's `encoding`.
    Declared { label: String },
    /// A declaration or HTTP charset named a legacy encoding, but the bytes are valid
    /// non-ASCII UTF-8, so UTF-8 they are.
    Utf8Despite { label: String },
    /// The HTTP charset; `unknown` is a declared label we did not know, if any.
    Http { label: String, unknown: Option<String> },
    /// chardetng's guess; `unknown` is a declared label we did not know, if any.
    Sniffed { unknown: Option<String> },
    /// Nothing usable named an encoding and the bytes are mostly UTF-8 (or ASCII).
    Utf8Default { unknown: Option<String> },
}

/// How a document's bytes are to be read: the one place that decides, for [`to_utf8`] and
/// [`describe_decoding`] alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub encoding: Charset,
    pub evidence: Evidence,
}

/// Picks the encoding of `bytes` by the rules in the module doc.
pub(crate) fn choose_encoding(bytes: &[u8], http_charset: Option<&str>) -> Decision {
    if let Some((bom, len)) = sniff_bom(bytes) {
        let encoding = match bom {
            Bom::Utf8 => Charset::Web(UTF_8),
            Bom::Utf16Le => Charset::Web(UTF_16LE),
            Bom::Utf16Be => Charset::Web(UTF_16BE),
            Bom::Utf32Le => Charset::Utf32 { big_endian: false },
            Bom::Utf32Be => Charset::Utf32 { big_endian: true },
        };
        return Decision { encoding, evidence: Evidence::Bom(len) };
    }
    if let Some(enc) = sniff_utf16_without_bom(bytes) {
        return Decision { encoding: Charset::Web(enc), evidence: Evidence::Utf16Shape };
    }
    if bytes.starts_with(&EBCDIC_XML) {
        return choose_ebcdic(bytes);
    }

    let declared = find_decl_encoding(bytes).map(|d| d.label);
    if let Some(label) = declared.as_deref() {
        if let Some(enc) = labels::usable_label(label) {
            return unless_utf8(bytes, enc, Evidence::Declared { label: label.to_owned() });
        }
    }
    // A header may name EBCDIC for a document without a declaration: `<` is 0x4C there.
    let http = http_charset.and_then(|label| {
        let enc = labels::charset_for_label(label)?;
        let ebcdic_ok = enc.is_ebcdic() && declared.is_none() && bytes.first() == Some(&0x4C);
        labels::usable_label(label).or(ebcdic_ok.then_some(enc)).map(|enc| (label, enc))
    });
    if let Some((label, enc)) = http {
        return unless_utf8(bytes, enc, Evidence::Http { label: label.to_owned(), unknown: declared });
    }
    // Nothing names the encoding and most non-ASCII bytes are not UTF-8: a legacy encoding
    // (Big5, EUC-JP, KOI8-R, Latin-1...), guessed the way Firefox does. Mostly-UTF-8 with a
    // few stray bytes keeps the windows-1252 repair.
    if std::str::from_utf8(bytes).is_err() && !mostly_utf8(bytes) {
        let encoding = Charset::Web(guess_legacy_encoding(bytes));
        return Decision { encoding, evidence: Evidence::Sniffed { unknown: declared } };
    }
    Decision { encoding: Charset::Web(UTF_8), evidence: Evidence::Utf8Default { unknown: declared } }
}

/// `enc`, unless the bytes are valid UTF-8 with non-ASCII in them (see the module doc). Pure
/// ASCII goes through the label so that 7-bit encodings (ISO-2022-JP) work.
fn unless_utf8(bytes: &[u8], enc: Charset, evidence: Evidence) -> Decision {
    if enc != Charset::Web(UTF_8) && !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        let label = match evidence {
            Evidence::Declared { label } | Evidence::Http { label, .. } => label,
            _ => String::new(),
        };
        return Decision { encoding: Charset::Web(UTF_8), evidence: Evidence::Utf8Despite { label } };
    }
    Decision { encoding: enc, evidence }
}

/// An EBCDIC document: its declaration read as IBM037 (whose punctuation and letters the other
/// EBCDIC pages share) names the page, else IBM037 it is.
fn choose_ebcdic(bytes: &[u8]) -> Decision {
    let head = &bytes[..bytes.len().min(256)];
    let (text, _, _) =
        charcode::IBM037.decode_with(head, charcode::DecodeOptions::new().bom(charcode::Bom::Ignore));
    let declared = find_decl_encoding(text.as_bytes()).map(|d| d.label);
    let named = declared.as_deref().and_then(labels::charset_for_label).filter(|c| c.is_ebcdic());
    Decision {
        encoding: named.unwrap_or(Charset::Legacy(charcode::IBM037)),
        evidence: Evidence::Ebcdic { known: named.is_some(), declared },
    }
}

/// Decodes `bytes` as `decision` says. The text never starts with a BOM.
pub(crate) fn decode<'a>(bytes: &'a [u8], decision: &Decision) -> Cow<'a, str> {
    let body = match decision.evidence {
        Evidence::Bom(len) => &bytes[len..],
        _ => bytes,
    };
    match decision.encoding {
        Charset::Web(enc) if enc == UTF_8 => utf8_lossy_cp1252(body),
        Charset::Web(enc) => enc.decode_without_bom_handling(body).0,
        Charset::Utf32 { big_endian } => Cow::Owned(decode_utf32(body, big_endian)),
        Charset::Legacy(enc) => {
            let options = charcode::DecodeOptions::new().bom(charcode::Bom::Ignore);
            let (text, _, _) = enc.decode_with(body, options);
            // EBCDIC ends lines with NEL (0x15, U+0085), which XML 1.0 does not count as
            // white space: a line feed, as the document meant.
            if enc.is_ascii_compatible() || !text.contains('\u{85}') {
                text
            } else {
                Cow::Owned(text.replace('\u{85}', "\n"))
            }
        }
    }
}

/// Decodes `bytes` to UTF-8 text following the rules in the module doc. The text never starts
/// with a BOM. The XML declaration, if any, still names the original encoding: call
/// [`fix_prolog`] before handing XML to feed-rs.
pub(crate) fn to_utf8<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    decode(bytes, &choose_encoding(bytes, http_charset))
}

/// How [`to_utf8`] read a document, when that is worth a line in the fetch log: a label
/// a browser would not know as written, an EBCDIC document, an unknown label.
pub(crate) fn describe_decoding(bytes: &[u8], http_charset: Option<&str>) -> Option<String> {
    choose_encoding(bytes, http_charset).describe()
}

impl Decision {
    /// The fetch log's line for this decision, if it is worth one.
    pub(crate) fn describe(&self) -> Option<String> {
        let name = self.encoding.name();
        // Quoted and cut short: a label comes from the document and could be any length.
        let q = |l: &str| format!("{:?}", l.chars().take(40).collect::<String>());
        match &self.evidence {
            Evidence::Bom(_) | Evidence::Utf16Shape | Evidence::Utf8Despite { .. } => None,
            Evidence::Ebcdic { declared: Some(label), known: false } => {
                Some(format!("encoding: EBCDIC, declared {} is unknown, read as {name}", q(label)))
            }
            Evidence::Ebcdic { .. } => Some(format!("encoding: EBCDIC, read as {name}")),
            Evidence::Declared { label } => (!labels::is_web_label(label))
                .then(|| format!("encoding: declared {}, read as {name}", q(label))),
            Evidence::Http { label, unknown: None } => (!labels::is_web_label(label))
                .then(|| format!("encoding: HTTP charset {}, read as {name}", q(label))),
            Evidence::Http { label, unknown: Some(unknown) } => Some(format!(
                "encoding: unknown label {}, read as {name} by the HTTP charset {}",
                q(unknown),
                q(label)
            )),
            Evidence::Sniffed { unknown: Some(unknown) } => {
                Some(format!("encoding: unknown label {}, guessed {name} by sniffing", q(unknown)))
            }
            Evidence::Utf8Default { unknown: Some(unknown) } => {
                Some(format!("encoding: unknown label {}, read as UTF-8", q(unknown)))
            }
            Evidence::Sniffed { unknown: None } | Evidence::Utf8Default { unknown: None } => None,
        }
    }
}

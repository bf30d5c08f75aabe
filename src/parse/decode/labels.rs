//! Encoding labels as real feeds write them, to the [`Charset`] that decodes them.
//!
//! encoding_rs knows the WHATWG Encoding Standard's labels; charcode adds the DOS code pages
//! (IBM437, IBM850, IBM855...) and EBCDIC (IBM037, IBM500...) that the standard leaves out
//! but old producers and mainframes still declare. Spellings neither table has (`iso_8859-5`,
//! `cp-1251`, `MacCyrillic`, `IBM-855`) are normalised first.

use encoding_rs::Encoding;

/// A character encoding we can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    /// One of the WHATWG Encoding Standard's, by encoding_rs.
    Web(&'static Encoding),
    /// A single-byte DOS or EBCDIC code page outside the standard, by charcode.
    Legacy(&'static charcode::Encoding),
    /// UTF-32, by hand: neither crate's build here has it (the standard dropped it).
    Utf32 { big_endian: bool },
}

impl Charset {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Charset::Web(e) => e.name(),
            Charset::Legacy(e) => e.name(),
            Charset::Utf32 { big_endian: true } => "UTF-32BE",
            Charset::Utf32 { big_endian: false } => "UTF-32LE",
        }
    }

    /// Whether ASCII text is the same bytes in this encoding (false for EBCDIC and UTF-16).
    fn ascii_compatible(self) -> bool {
        match self {
            Charset::Web(e) => e.is_ascii_compatible() && e != encoding_rs::REPLACEMENT,
            Charset::Legacy(e) => e.is_ascii_compatible(),
            Charset::Utf32 { .. } => false,
        }
    }

    pub(crate) fn is_ebcdic(self) -> bool {
        matches!(self, Charset::Legacy(e) if !e.is_ascii_compatible())
    }
}

/// The charset a label names, if we know one. Tries the label as written, then its
/// normalised spelling ([`normalize_label`]), in encoding_rs's table and then charcode's.
pub(crate) fn charset_for_label(label: &str) -> Option<Charset> {
    let lookup = |l: &str| {
        Encoding::for_label(l.as_bytes()).map(Charset::Web).or_else(|| {
            // Only the single-byte code pages: charcode's build here carries no others, and
            // for anything else encoding_rs is the authority.
            charcode::Encoding::for_label(l.as_bytes()).filter(|e| e.is_single_byte()).map(Charset::Legacy)
        })
    };
    lookup(label.trim()).or_else(|| lookup(&normalize_label(label)))
}

/// Whether encoding_rs knows `label` exactly as written, i.e. a browser would read it the same
/// way: anything else is worth a note in the fetch log.
pub(crate) fn is_web_label(label: &str) -> bool {
    Encoding::for_label(label.trim().as_bytes()).is_some()
}

/// The charset a label in ASCII-compatible bytes may name: not UTF-16, EBCDIC or the
/// "replacement" encoding, which cannot be what bytes read as ASCII were written in (or would
/// throw the text away).
pub(crate) fn usable_label(label: &str) -> Option<Charset> {
    charset_for_label(label).filter(|c| c.ascii_compatible())
}

/// Rewrites label spellings that real producers write but neither table has (`iso_8859-5`,
/// `ISO8859_5`, `cp-1251`, `win-1251`, `windows1251`, `UTF_8`, `MacCyrillic`, `mac-roman`,
/// `IBM-855`, `cp_437`, `IBM37`) into one they know. Returns the input, lower-cased and with
/// `-` for `_`, otherwise.
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
    // IBM code pages: `IBM-855`, `cp_437`, `CP 850`, `csIBM500`, `IBM37` (EBCDIC US is page
    // 37, which the tables spell with a leading zero).
    for prefix in ["csibm", "ibm", "cp", "dos", "oem"] {
        if let Some(num) = compact.strip_prefix(prefix) {
            if (2..=4).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit()) {
                return format!("ibm{num:0>3}");
            }
        }
    }
    match compact.as_str() {
        "maccyrillic" | "xmaccyrillic" | "maccyr" => "x-mac-cyrillic".into(),
        "macroman" | "xmacroman" | "macintosh" | "mac" => "macintosh".into(),
        "koi8r" => "koi8-r".into(),
        "koi8u" => "koi8-u".into(),
        "866" => "ibm866".into(),
        "ebcdic" | "ebcdicus" | "ebcdiccpus" => "ibm037".into(),
        "ebcdicinternational" | "ebcdiccpbe" | "ebcdiccpch" => "ibm500".into(),
        _ => l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(label: &str) -> Option<&'static str> {
        charset_for_label(label).map(Charset::name)
    }

    #[test]
    fn dos_and_ebcdic_spellings_reach_their_code_page() {
        for (label, want) in [
            ("IBM855", "IBM855"),
            ("ibm-855", "IBM855"),
            ("cp855", "IBM855"),
            ("CP_437", "IBM437"),
            ("cp437", "IBM437"),
            ("IBM850", "IBM850"),
            ("cp852", "IBM852"),
            ("cp737", "IBM737"),
            ("cp775", "IBM775"),
            ("cp857", "IBM857"),
            ("cp860", "IBM860"),
            ("cp861", "IBM861"),
            ("cp862", "IBM862"),
            ("cp863", "IBM863"),
            ("cp865", "IBM865"),
            ("cp869", "IBM869"),
            ("cp866", "IBM866"),
            ("IBM866", "IBM866"),
            ("dos-866", "IBM866"),
            ("cp037", "IBM037"),
            ("IBM037", "IBM037"),
            ("IBM37", "IBM037"),
            ("ebcdic-cp-us", "IBM037"),
            ("EBCDIC_CP_US", "IBM037"),
            ("cp500", "IBM500"),
            ("IBM500", "IBM500"),
            ("ebcdic-cp-be", "IBM500"),
        ] {
            assert_eq!(name(label), Some(want), "{label}");
        }
    }

    #[test]
    fn mac_spellings_reach_encoding_rs() {
        for label in ["MacCyrillic", "x-mac-cyrillic", "mac-cyrillic", "x-mac-ukrainian"] {
            assert_eq!(name(label), Some("x-mac-cyrillic"), "{label}");
        }
        for label in ["mac-roman", "macintosh", "MacRoman", "x-mac-roman", "mac"] {
            assert_eq!(name(label), Some("macintosh"), "{label}");
        }
    }

    #[test]
    fn unknown_and_unusable_labels() {
        assert_eq!(name("x-foo"), None);
        // Not in charcode's build: unknown rather than a near miss.
        assert_eq!(name("cp1047"), None);
        // EBCDIC and UTF-16 cannot describe a declaration that was read as ASCII.
        assert_eq!(usable_label("cp037"), None);
        assert_eq!(usable_label("utf-16"), None);
        assert_eq!(usable_label("cp437").map(Charset::name), Some("IBM437"));
        assert!(charset_for_label("cp500").is_some_and(Charset::is_ebcdic));
        assert!(!charset_for_label("cp850").is_some_and(Charset::is_ebcdic));
    }
}

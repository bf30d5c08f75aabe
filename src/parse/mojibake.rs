//! Repairs double-encoded titles and author names: UTF-8 bytes that a producer read as
//! windows-1252 (or Latin-1) and encoded as UTF-8 again, so that "Café à Paris" arrives as
//! "CafÃ© Ã\u{a0} Paris" and "it’s" as "itâ€™s".
//!
//! A text is repaired only when the repair is unambiguous: every character maps back to a
//! byte of windows-1252 or Latin-1, those bytes are valid UTF-8, the result is shorter and
//! holds at least one non-ASCII character, every character the repair produces is one that
//! real text uses (a letter, punctuation, a symbol: not an IPA letter, a combining mark or a
//! control, which is what legitimate Latin-1 such as "CAFÉ»" would turn into), and at least
//! one of them sits next to a letter or digit or came from three or more bytes (a lone
//! "Ã‰" is too little evidence). Text that mixes genuine Latin-1 with mojibake ("São Paulo,
//! CafÃ©") is left alone: its bytes are not valid UTF-8.
//!
//! It runs on feed-rs's model, before the titles are flattened and cleaned: that cleaning
//! turns the no-break space of "Ã\u{a0}" (à) into a plain space, which no longer maps back.

use feed_rs::model::{Feed, Person, Text};

/// Repairs the feed's title, its authors' names, and each entry's title and authors' names.
/// Returns the feed and how many texts were repaired (see [`note`]).
pub(super) fn repair_feed(mut feed: Feed) -> (Feed, usize) {
    let mut n = 0usize;
    let mut text = |t: &mut Option<Text>| {
        if let Some(t) = t {
            n += usize::from(repair_in_place(&mut t.content));
        }
    };
    text(&mut feed.title);
    for e in &mut feed.entries {
        text(&mut e.title);
    }
    let mut people = |ps: &mut Vec<Person>| {
        for p in ps {
            if let Some(name) = &mut p.name {
                n += usize::from(repair_in_place(name));
            }
        }
    };
    people(&mut feed.authors);
    for e in &mut feed.entries {
        people(&mut e.authors);
    }
    (feed, n)
}

/// The fetch log's note for `n` repaired titles and names (none for 0).
pub(super) fn note(n: usize) -> Option<String> {
    (n > 0).then(|| format!("recovered: repaired double-encoded titles ({n})"))
}

fn repair_in_place(s: &mut String) -> bool {
    match repair(s) {
        Some(fixed) => {
            *s = fixed;
            true
        }
        None => false,
    }
}

/// The repaired text, if `s` is unambiguously double-encoded (see the module doc). Text
/// encoded twice over is undone as often as it applies (at most three times).
pub(crate) fn repair(s: &str) -> Option<String> {
    let mut fixed = repair_once(s)?;
    for _ in 0..2 {
        match repair_once(&fixed) {
            Some(again) => fixed = again,
            None => break,
        }
    }
    Some(fixed)
}

fn repair_once(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    let bytes = s.chars().map(byte_of).collect::<Option<Vec<u8>>>()?;
    let fixed = String::from_utf8(bytes).ok()?;
    if fixed.is_ascii() || fixed.chars().count() >= s.chars().count() {
        return None;
    }
    let mut evidence = false;
    let chars: Vec<char> = fixed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        if !plausible(c) {
            return None;
        }
        let touches_word =
            |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        evidence |= c.len_utf8() >= 3 || touches_word(i.checked_sub(1)) || touches_word(Some(i + 1));
    }
    evidence.then_some(fixed)
}

/// The byte a character stands for when UTF-8 was read as windows-1252 (as browsers and
/// encoding_rs read it: its five unassigned bytes become the C1 controls) or as Latin-1.
fn byte_of(c: char) -> Option<u8> {
    let b = match c {
        '\0'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(b)
}

/// Whether a repaired character is one that titles are written with. What legitimate
/// Latin-1 decodes to by accident is mostly IPA letters, modifier letters, combining marks
/// and controls.
fn plausible(c: char) -> bool {
    let u = c as u32;
    let unlikely = matches!(u,
        0x80..=0x9F              // C1 controls
        | 0x250..=0x36F          // IPA, spacing modifiers, combining diacritics
        | 0x483..=0x489          // Cyrillic combining marks
        | 0x591..=0x5C7          // Hebrew points
        | 0x610..=0x61A | 0x64B..=0x65F | 0x6D6..=0x6ED // Arabic marks
        | 0x700..=0x7FF          // Syriac, Thaana, NKo
        | 0xE000..=0xF8FF        // private use
        | 0xFFF0..=0xFFFF
    );
    if unlikely {
        return false;
    }
    c.is_alphanumeric()
        || matches!(u,
            0xA0..=0xBF | 0xD7 | 0xF7   // Latin-1 punctuation and symbols
            | 0x2000..=0x206F           // general punctuation: ’ “ ” – — …
            | 0x20A0..=0x20CF           // currency: €
            | 0x2100..=0x23FF           // letterlike (™), arrows, maths, technical
            | 0x2500..=0x27BF           // box drawing, shapes, dingbats
            | 0x3000..=0x303F           // CJK punctuation
            | 0xFF00..=0xFFEF           // full-width forms
            | 0x1F000..=0x1FAFF         // emoji
        )
}

#[cfg(test)]
mod tests {
    use super::repair;

    fn twice(s: &str) -> String {
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.decode(s.as_bytes());
        cp1252.into_owned()
    }

    #[test]
    fn double_encoded_text_is_repaired() {
        for good in [
            "Café à Paris",
            "It’s “quoted”",
            "José Müller",
            "Ærø Øst",
            "Новости дня",
            "naïve — 10 €",
            "東京の天気",
            "Größe: 5 × 3",
        ] {
            let bad = twice(good);
            assert_ne!(bad, good);
            assert_eq!(repair(&bad).as_deref(), Some(good), "{bad}");
        }
        assert_eq!(repair("CafÃ© Ã\u{a0} Paris").as_deref(), Some("Café à Paris"));
        assert_eq!(repair("itâ€™s").as_deref(), Some("it’s"));
        // Encoded three times over.
        assert_eq!(repair(&twice(&twice("Café"))).as_deref(), Some("Café"));
    }

    #[test]
    fn legitimate_text_is_left_alone() {
        for text in [
            "São Paulo",
            "Ærø",
            "SÃO PAULO",
            "MAÇÃ",
            "Ça va?",
            "Plain ASCII",
            "CAFÉ»",            // É» would be the IPA letter ɻ
            "Ã‰",               // a lone pair: É, or Ã and ‰? too little to tell
            "São Paulo, CafÃ©", // genuine Latin-1 next to mojibake: not valid UTF-8
            "Ã",
            "£5 — ‘quoted’",
            "Ð»", // л, but alone
        ] {
            assert_eq!(repair(text), None, "{text}");
        }
    }
}

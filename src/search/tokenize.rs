//! Text to index terms: the same function cuts articles and queries, so whatever an article
//! was indexed under, the same word typed in a query becomes the same term.
//!
//! Words are runs of letters, digits and combining marks. Each is folded (lowercase, no
//! diacritics: the query language's [`crate::query::fold`]) and stemmed with the English
//! Snowball stemmer (`running` and `runs` -> `run`); a word in another language goes through
//! the same stemmer on both sides, so it still matches itself exactly. Han, Kana and Hangul
//! have no spaces between words: their runs become overlapping bigrams (`机器学习` ->
//! `机器` `器学` `学习`), so any word of two or more characters is found by its bigrams in a row.

use std::ops::Range;
use std::sync::LazyLock;

/// Longer words are cut to this many bytes (at a character boundary): base64 and URLs pasted
/// into text would otherwise make huge, useless terms.
pub const MAX_TERM_BYTES: usize = 64;

/// One term of a text, with where its word is in the text (byte offsets of the original, for
/// snippets) and its place in the sequence of terms (for phrases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub span: Range<usize>,
}

static STEMMER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// Han (with its extensions and compatibility block), Hiragana, Katakana and Hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'   // Hiragana, Katakana
        | '\u{31f0}'..='\u{31ff}' // Katakana phonetic extensions
        | '\u{3400}'..='\u{4dbf}' // Han extension A
        | '\u{4e00}'..='\u{9fff}' // Han
        | '\u{f900}'..='\u{faff}' // Han compatibility
        | '\u{ff66}'..='\u{ff9d}' // halfwidth Katakana
        | '\u{1100}'..='\u{11ff}' // Hangul Jamo
        | '\u{3130}'..='\u{318f}' // Hangul compatibility Jamo
        | '\u{ac00}'..='\u{d7af}' // Hangul syllables
        | '\u{20000}'..='\u{2ebef}' // Han extensions B-F
    )
}

/// Combining marks stay inside their word (`e` + U+0301 is one letter, folded to `e`).
fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

fn is_word_char(c: char) -> bool {
    !is_cjk(c) && (c.is_alphanumeric() || is_mark(c))
}

/// The terms of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for_each_token(text, |term, span| out.push(Token { term, span }));
    out
}

/// Calls `emit(term, span)` for each term of `text`, in order, without collecting them.
pub fn for_each_token(text: &str, mut emit: impl FnMut(String, Range<usize>)) {
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_cjk(c) {
            // The run's characters with their offsets; bigrams of neighbours.
            let mut run: Vec<(usize, char)> = Vec::new();
            while let Some(&(i, c)) = chars.peek() {
                if !is_cjk(c) {
                    break;
                }
                run.push((i, c));
                chars.next();
            }
            let end_of = |k: usize| run.get(k).map_or(0, |&(i, c)| i + c.len_utf8());
            if run.len() == 1 {
                emit(run[0].1.to_string(), run[0].0..end_of(0));
            }
            for k in 1..run.len() {
                let term: String = [run[k - 1].1, run[k].1].iter().collect();
                emit(term, run[k - 1].0..end_of(k));
            }
        } else if is_word_char(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !is_word_char(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            if let Some(term) = term_of(&text[start..end]) {
                emit(term, start..end);
            }
        } else {
            chars.next();
        }
    }
}

/// One word as its term: folded, stemmed, cut to [`MAX_TERM_BYTES`]. `None` for a word that
/// folds to nothing (a lone combining mark).
fn term_of(word: &str) -> Option<String> {
    let folded = crate::query::fold(word);
    if folded.is_empty() {
        return None;
    }
    // Digits and mixed words ("x86", "2024") are kept as they are: stemming is for words.
    let term =
        if folded.chars().all(char::is_alphabetic) { STEMMER.stem(&folded).into_owned() } else { folded };
    let mut cut = term.len().min(MAX_TERM_BYTES);
    while !term.is_char_boundary(cut) {
        cut -= 1;
    }
    let term = &term[..cut];
    // Folding can leave characters that are not word characters (rare compatibility forms);
    // a term keeps only what a key may hold.
    (!term.is_empty() && !term.contains('\0')).then(|| term.to_owned())
}

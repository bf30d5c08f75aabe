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
pub(crate) const MAX_TERM_BYTES: usize = 64;

/// One term of a text, with where its word is in the text (byte offsets of the original, for
/// snippets) and its place in the sequence of terms (for phrases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) term: String,
    pub(crate) span: Range<usize>,
}

static STEMMER: LazyLock<rust_stemmers::Stemmer> =
    LazyLock::new(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));

/// Han (with its extensions and compatibility block), Hiragana, Katakana and Hangul.
pub(crate) fn is_cjk(c: char) -> bool {
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
    // Most text of most feeds is ASCII: one comparison instead of three table lookups.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !is_cjk(c) && (c.is_alphanumeric() || is_mark(c))
}

/// The terms of `text`, in order.
pub(crate) fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for_each_token(text, |term, span| {
        out.push(Token { term: term.to_owned(), span });
        true
    });
    out
}

/// Words seen before on this thread, with their terms: text repeats its words (Zipf), and
/// folding and stemming are most of the cost of indexing. Cleared when full.
const CACHED_WORDS: usize = 50_000;

/// Word -> its term (`None`: it folds to nothing). foldhash, not SipHash: indexing hashes every
/// word of every body, and the map is bounded ([`CACHED_WORDS`]) with a per-process seed, so
/// words chosen to collide can slow one thread's indexing, not grow memory.
type WordTerms = hashbrown::HashMap<String, Option<String>>;

thread_local! {
    static TERMS: std::cell::RefCell<WordTerms> = std::cell::RefCell::new(WordTerms::default());
}

/// Calls `emit(term, span)` for each term of `text`, in order, until it returns false. Terms
/// are lent, not allocated: indexing and phrase checks run this over every word of a body.
pub(crate) fn for_each_token(text: &str, mut emit: impl FnMut(&str, Range<usize>) -> bool) {
    TERMS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => cut(text, &mut cache, &mut emit),
        // Called from inside an `emit` of this thread: without the cache.
        Err(_) => cut(text, &mut WordTerms::default(), &mut emit),
    });
}

fn cut(text: &str, cache: &mut WordTerms, emit: &mut impl FnMut(&str, Range<usize>) -> bool) {
    scan(text, |piece, span| match piece {
        Piece::Term(term) => emit(term, span),
        Piece::Word(word) => {
            if cache.len() >= CACHED_WORDS && !cache.contains_key(word) {
                cache.clear();
            }
            // One hash per word; the word is copied only the first time it is seen.
            match cache.entry_ref(word).or_insert_with(|| term_of(word)) {
                Some(term) => emit(term, span),
                None => true,
            }
        }
    });
}

/// What [`scan`] finds in a text.
enum Piece<'a> {
    /// A word, which becomes a term by [`term_of`].
    Word(&'a str),
    /// A CJK bigram or lone character: a term as it is.
    Term(&'a str),
}

/// Calls `on` with each word and CJK term of `text` and its span, in order, until it returns
/// false: the one cutting rule that [`for_each_token`] and [`Vocabulary`] share.
fn scan(text: &str, mut on: impl FnMut(Piece<'_>, Range<usize>) -> bool) {
    let mut chars = text.char_indices().peekable();
    let mut bigram = String::with_capacity(8);
    while let Some(&(start, c)) = chars.peek() {
        if is_cjk(c) {
            // Bigrams of neighbours; a run of one character is its own term.
            let (mut prev, mut count) = ((start, c), 0);
            while let Some(&(i, c)) = chars.peek() {
                if !is_cjk(c) {
                    break;
                }
                chars.next();
                count += 1;
                if count > 1 {
                    bigram.clear();
                    bigram.push(prev.1);
                    bigram.push(c);
                    if !on(Piece::Term(&bigram), prev.0..i + c.len_utf8()) {
                        return;
                    }
                }
                prev = (i, c);
            }
            if count == 1 {
                bigram.clear();
                bigram.push(c);
                if !on(Piece::Term(&bigram), start..start + c.len_utf8()) {
                    return;
                }
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
            if !on(Piece::Word(&text[start..end]), start..end) {
                return;
            }
        } else {
            chars.next();
        }
    }
}

/// Terms numbered in the order they are first met, for indexing: an article's terms are
/// counted by number, not by spelling, each word is hashed once however often it comes back
/// (text repeats its words), and it is folded and stemmed only the first time.
///
/// The numbers are this value's own, not the index's: [`crate::search::index`] maps them to
/// the index's term numbers. Owned by the index's catch-up, which runs one at a time.
#[derive(Default)]
pub(crate) struct Vocabulary {
    /// Word -> its term's number (`None`: it folds to nothing).
    words: hashbrown::HashMap<String, Option<u32>>,
    /// Term -> its number.
    numbers: hashbrown::HashMap<String, u32>,
    /// Number -> its term.
    terms: Vec<String>,
}

impl Vocabulary {
    /// How many words it knows: [`crate::search::index`] clears it between chunks past
    /// [`CACHED_WORDS`], so its memory stays bounded.
    pub(crate) fn is_full(&self) -> bool {
        self.words.len() >= CACHED_WORDS
    }

    /// How many terms it has numbered: every number given is below this.
    pub(crate) fn len(&self) -> usize {
        self.terms.len()
    }

    /// The term numbered `number`.
    pub(crate) fn term(&self, number: u32) -> &str {
        self.terms.get(number as usize).map_or("", String::as_str)
    }

    /// Calls `emit(number)` for each term of `text`, in order: the terms of
    /// [`for_each_token`], numbered.
    pub(crate) fn for_each_term(&mut self, text: &str, mut emit: impl FnMut(u32)) {
        let Vocabulary { words, numbers, terms } = self;
        let mut number_of = |term: &str| match numbers.get(term) {
            Some(&n) => n,
            None => {
                // Cleared past CACHED_WORDS words; a body has fewer than 4 billion terms.
                let n = u32::try_from(terms.len()).unwrap_or(u32::MAX);
                terms.push(term.to_owned());
                numbers.insert(term.to_owned(), n);
                n
            }
        };
        scan(text, |piece, _| {
            let number = match piece {
                Piece::Term(term) => Some(number_of(term)),
                Piece::Word(word) => match words.get(word) {
                    Some(&n) => n,
                    None => {
                        let n = term_of(word).map(|term| number_of(&term));
                        words.insert(word.to_owned(), n);
                        n
                    }
                },
            };
            if let Some(n) = number {
                emit(n);
            }
            true
        });
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

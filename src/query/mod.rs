//! The query language: `unread and tag:tech and title:"rust" and age<7d`.
//!
//! [`Query::parse`] turns an expression into a tree (or a [`ParseError`] that points at a
//! column); [`eval`] runs it against the store, in the process that holds the store, so a
//! client asks over the socket and gets the same answer. The grammar is in README.md,
//! "Query language".

mod content;
pub(crate) use content::folded as folded_body;
pub mod counts;
mod eval;
pub(crate) mod filters;
pub(crate) mod packs;
pub use packs::{size as packs_size, PacksSize};
mod parse;

pub use eval::count_matches;
pub use eval::matching_entries;
pub(crate) use eval::matching_ids;
pub(crate) use filters::ActionError;
pub use filters::Filter;
pub use filters::FilterAction;

use crate::store::DateRange;

/// The longest expression accepted, in characters: a query is typed, not generated.
pub(crate) const MAX_LEN: usize = 4096;

/// How deeply parentheses and `not`s may nest. The parser recurses, so this bounds its stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// A parsed expression, ready to evaluate. Cheap tests come first in every `and` and `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub(crate) expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Test(Test),
}

/// Which text a word is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextField {
    Title,
    Author,
    Content,
    Link,
    /// A word without a field: the title or the content.
    TitleOrContent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasWhat {
    Images,
    Enclosure,
    Link,
    Author,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// The folded (lowercase, diacritics removed) text is a substring of the field's.
    Text(TextField, String),
    /// `feed:12` (an id: digits are never a title) or `feed:name` (folded, a substring of
    /// the feed's title).
    Feed {
        id: Option<u64>,
        title: String,
    },
    /// One of the feed's tags, or of the article's own, equals this one, folded.
    Tag(String),
    Unread,
    Starred,
    /// The article's date is inside `[from, until)`, unix seconds; either end may be open.
    Date {
        from: Option<i64>,
        until: Option<i64>,
    },
    /// The article's age, in seconds, compared: `age<7d` is `Age(Less, 604800)`.
    Age(Cmp, i64),
    Has(HasWhat),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Less,
    LessEq,
    Greater,
    GreaterEq,
}

/// Why an expression could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.report())]
pub struct ParseError {
    /// 1-based, in characters.
    pub(crate) column: usize,
    pub(crate) message: String,
    /// The expression as typed (control characters replaced), for the caret line.
    pub(crate) expression: String,
}

impl ParseError {
    /// `error at column 18: expected a value after "title:"`: one line, for a status line.
    pub fn line(&self) -> String {
        format!("error at column {}: {}", self.column, self.message)
    }

    /// The line, then the expression and a caret under the column: for a terminal.
    pub(crate) fn report(&self) -> String {
        // Long expressions are shown around the column, so the caret stays on screen.
        let chars: Vec<char> = self.expression.chars().collect();
        let start = self.column.saturating_sub(60).min(chars.len());
        let end = (start + 120).min(chars.len());
        let shown: String = chars[start..end].iter().collect();
        let caret_at = self.column - 1 - start;
        format!("{}\n  {shown}\n  {}^", self.line(), " ".repeat(caret_at))
    }
}

impl Expr {
    /// Whether any test in the expression (under any `and`, `or` or `not`) is one `f` picks.
    pub(crate) fn any_test(&self, f: &impl Fn(&Test) -> bool) -> bool {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().any(|e| e.any_test(f)),
            Expr::Not(e) => e.any_test(f),
            Expr::Test(t) => f(t),
        }
    }
}

impl Expr {
    /// The dates outside which the expression matches no article (`age<7d`: the last week):
    /// only they need to be read. `and` takes the dates in all of its parts, `or` the span of
    /// its parts' dates; a `not`, or any other test, can match any date.
    pub(crate) fn dates(&self, now: i64) -> DateRange {
        match self {
            Expr::And(v) => v.iter().fold(DateRange::ALL, |r, e| r.and(e.dates(now))),
            Expr::Or(v) => {
                let mut parts = v.iter().map(|e| e.dates(now));
                let first = parts.next().unwrap_or(DateRange::ALL);
                parts.fold(first, DateRange::or)
            }
            Expr::Not(_) => DateRange::ALL,
            Expr::Test(Test::Date { from, until }) => DateRange { from: *from, until: *until },
            // age = now - date, so `age < s` is `date > now - s`, `age >= s` is `date <= now - s`.
            Expr::Test(Test::Age(cmp, secs)) => {
                let edge = now.saturating_sub(*secs);
                match cmp {
                    Cmp::Less => DateRange { from: Some(edge.saturating_add(1)), until: None },
                    Cmp::LessEq => DateRange { from: Some(edge), until: None },
                    Cmp::Greater => DateRange { from: None, until: Some(edge) },
                    Cmp::GreaterEq => DateRange { from: None, until: Some(edge.saturating_add(1)) },
                }
            }
            Expr::Test(_) => DateRange::ALL,
        }
    }
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        parse::parse(text).map(|expr| Query { expr: eval::cheap_first(expr) })
    }

    /// True when evaluating needs an article's body (its content), the costly part.
    pub(crate) fn reads_bodies(&self) -> bool {
        self.expr.any_test(&|t| matches!(t, Test::Text(TextField::Content | TextField::TitleOrContent, _)))
    }
}

/// Text as it is compared: lowercase, diacritics removed (`Crème Brûlée` -> `creme brulee`),
/// so `title:creme` finds it.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out, false);
    out
}

/// Appends `fold(s)` to `out`; with `nbsp_as_space`, `fold(&s.replace('\u{a0}', " "))`.
fn fold_into(s: &str, out: &mut String, nbsp_as_space: bool) {
    out.reserve(s.len());
    // ASCII runs need no decomposition, which is most of a content scan's time otherwise.
    let mut scratch = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let ascii = ascii_prefix_len(rest.as_bytes());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        // An ASCII byte is never part of a longer character in UTF-8.
        let other = rest.bytes().position(|b| b.is_ascii()).unwrap_or(rest.len());
        if nbsp_as_space {
            // A no-break space is a character of its own in a decomposition (it has none and
            // no accent attaches to it), so the run splits there as at a space.
            for (i, piece) in rest[..other].split('\u{a0}').enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fold_unicode(piece, out, &mut scratch);
            }
        } else {
            fold_unicode(&rest[..other], out, &mut scratch);
        }
        rest = &rest[other..];
    }
}

/// How many bytes `b` starts with that are ASCII, eight at a time.
fn ascii_prefix_len(b: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0x80; 8]));
        if word & HIGH != 0 {
            break;
        }
        n += 8;
    }
    n + b[n..].iter().position(|c| !c.is_ascii()).unwrap_or(b.len() - n)
}

/// Folds a run of non-ASCII text; `scratch` holds its decomposition when it needs one.
fn fold_unicode(s: &str, out: &mut String, scratch: &mut String) {
    const NFD: icu_normalizer::DecomposingNormalizerBorrowed<'static> =
        icu_normalizer::DecomposingNormalizerBorrowed::new_nfd();
    // Text that is already decomposed (all Chinese, Japanese kana without voicing marks, most
    // Cyrillic and Greek) is folded as it is; only from the first character that decomposes
    // on is it decomposed, into `scratch`. The concatenation is its decomposition (ICU's
    // promise for `split_normalized`): the characters folded are those `normalize_iter` gave.
    let (decomposed, rest) = NFD.split_normalized(s);
    fold_decomposed(decomposed, out);
    if !rest.is_empty() {
        scratch.clear();
        // Writing to a String never fails.
        let _ = NFD.normalize_to(rest, scratch);
        fold_decomposed(scratch, out);
    }
}

/// Folds decomposed text, character by character.
fn fold_decomposed(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            // CJK punctuation, kana, ideographs, Yi: no case, no accents to remove (every one
            // folds to itself: tests check them all). Most non-ASCII text of a content scan.
            '\u{3000}'..='\u{a63f}' => out.push(c),
            // Combining marks: the accents NFD split off.
            '\u{300}'..='\u{36f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}' => {}
            // Letters NFD leaves whole.
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            c => out.extend(c.to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests;

//! Expression text to [`Expr`]: a recursive-descent parser over characters (columns are
//! counted in characters, as the user sees them), bounded in length and depth.
//!
//! ```text
//! or      = and { "or" and }
//! and     = unary { [ "and" ] unary }
//! unary   = "not" unary | "(" or ")" | term
//! ```

use super::{Cmp, Expr, HasWhat, ParseError, Test, TextField, MAX_DEPTH, MAX_LEN};

const FIELDS: &str = "title, author, content, feed, tag, link, unread, starred, age, date, has";

pub(super) fn parse(text: &str) -> Result<Expr, ParseError> {
    let chars: Vec<char> = text.chars().take(MAX_LEN + 1).collect();
    let mut p = Parser { chars, depth: 0, text };
    if p.chars.len() > MAX_LEN {
        return Err(p.error(MAX_LEN, format!("the expression is longer than {MAX_LEN} characters")));
    }
    p.skip_space(0);
    if p.at_end(0) {
        return Err(
            p.error(0, "the expression is empty: write a word, or a field like unread or title:rust".into())
        );
    }
    let (expr, pos) = p.or(0)?;
    let pos = p.skip_space(pos);
    match p.chars.get(pos) {
        None => Ok(expr),
        Some(')') => Err(p.error(pos, "unexpected \")\": there is no \"(\" for it to close".into())),
        Some(c) => Err(p.error(pos, format!("unexpected \"{c}\""))),
    }
}

struct Parser<'a> {
    chars: Vec<char>,
    depth: usize,
    text: &'a str,
}

/// A word and where it ends.
struct Word {
    text: String,
    end: usize,
}

impl Parser<'_> {
    fn error(&self, pos: usize, message: String) -> ParseError {
        let expression: String =
            self.text.chars().take(MAX_LEN + 1).map(|c| if c.is_control() { ' ' } else { c }).collect();
        ParseError { column: pos + 1, message, expression }
    }

    fn at_end(&self, pos: usize) -> bool {
        pos >= self.chars.len()
    }

    fn skip_space(&self, mut pos: usize) -> usize {
        while self.chars.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        pos
    }

    /// The bare word at `pos`: up to a space, a parenthesis, a quote or an operator.
    fn word(&self, pos: usize) -> Word {
        let mut end = pos;
        while let Some(&c) = self.chars.get(end) {
            if c.is_whitespace() || matches!(c, '(' | ')' | '"' | ':' | '<' | '>' | '=') {
                break;
            }
            end += 1;
        }
        Word { text: self.chars[pos..end].iter().collect(), end }
    }

    /// The keyword (`and`, `or`, `not`) at `pos`, if the word there is one.
    fn keyword(&self, pos: usize) -> Option<(&'static str, usize)> {
        let w = self.word(pos);
        // `and:` or `or<` is a (bad) field, not a keyword.
        if matches!(self.chars.get(w.end), Some(':' | '<' | '>' | '=')) {
            return None;
        }
        ["and", "or", "not"].into_iter().find(|k| w.text.eq_ignore_ascii_case(k)).map(|k| (k, w.end))
    }

    fn or(&mut self, pos: usize) -> Result<(Expr, usize), ParseError> {
        let (first, mut pos) = self.and(pos)?;
        let mut parts = vec![first];
        loop {
            let next = self.skip_space(pos);
            match self.keyword(next) {
                Some(("or", end)) => {
                    let (e, p) = self.and(end)?;
                    parts.push(e);
                    pos = p;
                }
                _ => break,
            }
        }
        Ok((if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) }, pos))
    }

    fn and(&mut self, pos: usize) -> Result<(Expr, usize), ParseError> {
        let (first, mut pos) = self.unary(pos)?;
        let mut parts = vec![first];
        loop {
            let next = self.skip_space(pos);
            if self.at_end(next) || self.chars[next] == ')' {
                break;
            }
            let start = match self.keyword(next) {
                Some(("or", _)) => break,
                Some(("and", end)) => end,
                // Juxtaposition: `unread rust` is `unread and rust`.
                _ => next,
            };
            let (e, p) = self.unary(start)?;
            parts.push(e);
            pos = p;
        }
        Ok((if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) }, pos))
    }

    fn unary(&mut self, pos: usize) -> Result<(Expr, usize), ParseError> {
        let pos = self.skip_space(pos);
        let Some(&c) = self.chars.get(pos) else {
            let what = self.before(pos);
            return Err(self.error(pos, format!("expected a term after {what}")));
        };
        if c == '(' {
            return self.nested(pos, |p| {
                let (e, end) = p.or(pos + 1)?;
                let end = p.skip_space(end);
                if p.chars.get(end) != Some(&')') {
                    return Err(
                        p.error(end, format!("expected \")\" to close the \"(\" at column {}", pos + 1))
                    );
                }
                Ok((e, end + 1))
            });
        }
        if c == ')' {
            return Err(self.error(pos, "expected a term before \")\"".into()));
        }
        match self.keyword(pos) {
            Some(("not", end)) => self.nested(pos, |p| {
                let (e, end) = p.unary(end)?;
                Ok((Expr::Not(Box::new(e)), end))
            }),
            Some((k, _)) => Err(self.error(
                pos,
                format!("expected a term before \"{k}\" (to search for the word, quote it: \"{k}\")"),
            )),
            None => self.term(pos),
        }
    }

    /// Runs `f` one level deeper; refuses past [`MAX_DEPTH`] instead of overflowing the stack.
    fn nested(
        &mut self,
        pos: usize,
        f: impl FnOnce(&mut Self) -> Result<(Expr, usize), ParseError>,
    ) -> Result<(Expr, usize), ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(pos, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// What comes just before `pos`, quoted, for "expected ... after X".
    fn before(&self, pos: usize) -> String {
        let mut end = pos;
        while end > 0 && self.chars[end - 1].is_whitespace() {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && !self.chars[start - 1].is_whitespace() {
            start -= 1;
        }
        if start == end {
            "the start".into()
        } else {
            format!("\"{}\"", self.chars[start..end].iter().collect::<String>())
        }
    }

    /// A quoted phrase starting at the `"` at `pos`; `\"` and `\\` escape.
    fn quoted(&self, pos: usize) -> Result<(String, usize), ParseError> {
        let mut out = String::new();
        let mut i = pos + 1;
        loop {
            match self.chars.get(i) {
                None => {
                    return Err(self
                        .error(pos, "this quote is never closed: add a \" at the end of the phrase".into()))
                }
                Some('"') => return Ok((out, i + 1)),
                Some('\\') if matches!(self.chars.get(i + 1), Some('"' | '\\')) => {
                    out.push(self.chars[i + 1]);
                    i += 2;
                }
                Some(&c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    fn term(&mut self, pos: usize) -> Result<(Expr, usize), ParseError> {
        let c = self.chars[pos];
        if c == '"' {
            let (phrase, end) = self.quoted(pos)?;
            return Ok((self.text_test(TextField::TitleOrContent, &phrase, pos)?, end));
        }
        let w = self.word(pos);
        if w.text.is_empty() {
            return Err(self.error(
                pos,
                format!("unexpected \"{c}\": a comparison needs a field before it, like age<7d"),
            ));
        }
        let field = w.text.to_lowercase();
        let op_at = w.end;
        let op = match (self.chars.get(op_at), self.chars.get(op_at + 1)) {
            (Some(':'), _) => Some((":", 1)),
            (Some('='), _) => Some(("=", 1)),
            (Some('<'), Some('=')) => Some(("<=", 2)),
            (Some('>'), Some('=')) => Some((">=", 2)),
            (Some('<'), _) => Some(("<", 1)),
            (Some('>'), _) => Some((">", 1)),
            _ => None,
        };
        let Some((op, op_len)) = op else {
            let test = match field.as_str() {
                "unread" => Expr::Test(Test::Unread),
                "read" => Expr::Not(Box::new(Expr::Test(Test::Unread))),
                "starred" => Expr::Test(Test::Starred),
                _ => self.text_test(TextField::TitleOrContent, &w.text, pos)?,
            };
            return Ok((test, w.end));
        };
        let value_at = op_at + op_len;
        let (value, end) = self.value(value_at)?;
        let Some(value) = value else {
            return Err(self.error(value_at, format!("expected a value after \"{}{op}\"", w.text)));
        };
        let test = self.field_test(&field, &w.text, op, &value, pos, value_at)?;
        Ok((test, end))
    }

    /// The value after a field's operator: a quoted phrase, or the characters up to a space
    /// or a parenthesis (so `link:https://example.org` needs no quotes).
    fn value(&self, pos: usize) -> Result<(Option<String>, usize), ParseError> {
        match self.chars.get(pos) {
            Some('"') => self.quoted(pos).map(|(v, end)| (Some(v), end)),
            _ => {
                let mut end = pos;
                while self.chars.get(end).is_some_and(|&c| !c.is_whitespace() && c != '(' && c != ')') {
                    end += 1;
                }
                let v: String = self.chars[pos..end].iter().collect();
                Ok((if v.is_empty() { None } else { Some(v) }, end))
            }
        }
    }

    fn text_test(&self, field: TextField, text: &str, pos: usize) -> Result<Expr, ParseError> {
        let folded = super::fold(text.trim());
        if folded.is_empty() {
            return Err(
                self.error(pos, "an empty phrase matches everything: put a word in the quotes".into())
            );
        }
        Ok(Expr::Test(Test::Text(field, folded)))
    }

    fn field_test(
        &self,
        field: &str,
        typed: &str,
        op: &str,
        value: &str,
        pos: usize,
        value_at: usize,
    ) -> Result<Expr, ParseError> {
        let text_field = match field {
            "title" => Some(TextField::Title),
            "author" => Some(TextField::Author),
            "content" => Some(TextField::Content),
            "link" => Some(TextField::Link),
            _ => None,
        };
        let needs_colon = |p: &Self| -> Result<(), ParseError> {
            if op == ":" || op == "=" {
                Ok(())
            } else {
                Err(p.error(
                    pos + typed.chars().count(),
                    format!("{field} takes \":\", not \"{op}\": {field}:VALUE"),
                ))
            }
        };
        if let Some(f) = text_field {
            needs_colon(self)?;
            return self.text_test(f, value, value_at);
        }
        let test = match field {
            "feed" => {
                needs_colon(self)?;
                match value.parse() {
                    Ok(id) => Test::Feed { id: Some(id), title: String::new() },
                    Err(_) => Test::Feed { id: None, title: super::fold(value) },
                }
            }
            "tag" => {
                needs_colon(self)?;
                Test::Tag(super::fold(value))
            }
            "has" => {
                needs_colon(self)?;
                let what = match value.to_lowercase().as_str() {
                    "image" | "images" | "picture" | "pictures" => HasWhat::Images,
                    "enclosure" | "enclosures" | "podcast" => HasWhat::Enclosure,
                    "link" | "links" => HasWhat::Link,
                    "author" => HasWhat::Author,
                    _ => {
                        return Err(self.error(
                            value_at,
                            format!("has: knows images, enclosure, link and author, not \"{value}\""),
                        ))
                    }
                };
                Test::Has(what)
            }
            "age" => {
                let cmp = match op {
                    "<" => Cmp::Less,
                    "<=" => Cmp::LessEq,
                    ">" => Cmp::Greater,
                    ">=" => Cmp::GreaterEq,
                    _ => {
                        return Err(self.error(
                            pos + typed.chars().count(),
                            "age compares with < or >: age<7d is newer than 7 days".into(),
                        ))
                    }
                };
                let Some(secs) = duration(value) else {
                    return Err(self.error(
                        value_at,
                        format!("expected an age like 7d after \"age{op}\" (units: m minutes, h hours, d days, w weeks)"),
                    ));
                };
                Test::Age(cmp, secs)
            }
            "date" => {
                let Some((start, end)) = date_range(value) else {
                    return Err(self.error(
                        value_at,
                        format!("expected a date like 2026-01-31, 2026-01 or 2026 after \"date{op}\""),
                    ));
                };
                let (from, until) = match op {
                    ">=" => (Some(start), None),
                    ">" => (Some(end), None),
                    "<" => (None, Some(start)),
                    "<=" => (None, Some(end)),
                    _ => (Some(start), Some(end)),
                };
                Test::Date { from, until }
            }
            "unread" | "starred" | "read" => {
                return Err(self.error(pos, format!("{field} takes no value: write {field}, or not {field}")))
            }
            _ => {
                return Err(self.error(
                    pos,
                    format!("unknown field \"{typed}\" (fields: {FIELDS}); to search for text with a \"{op}\", quote it"),
                ))
            }
        };
        Ok(Expr::Test(test))
    }
}

/// `7d` -> seconds; units m, h, d, w.
fn duration(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let per = match unit.to_ascii_lowercase() {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(per).filter(|&s| s >= 0)
}

/// `2026`, `2026-02` or `2026-02-14` -> the UTC day, month or year it names, as
/// `[start, end)` unix seconds.
fn date_range(s: &str) -> Option<(i64, i64)> {
    use chrono::NaiveDate;
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Option<u32> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
    };
    let year = num(parts.first()?, 4)? as i32;
    let (start, end) = match parts.len() {
        1 => (NaiveDate::from_ymd_opt(year, 1, 1)?, NaiveDate::from_ymd_opt(year + 1, 1, 1)?),
        2 => {
            let m = num(parts[1], 2)?;
            let start = NaiveDate::from_ymd_opt(year, m, 1)?;
            (start, start.checked_add_months(chrono::Months::new(1))?)
        }
        3 => {
            let d = NaiveDate::from_ymd_opt(year, num(parts[1], 2)?, num(parts[2], 2)?)?;
            (d, d.succ_opt()?)
        }
        _ => return None,
    };
    let secs = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    Some((secs(start)?, secs(end)?))
}

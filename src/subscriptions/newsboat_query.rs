//! newsboat's filter language (its query feeds: `"query:Name:unread = \"yes\""`) translated
//! into tidings' query language, for `tidings import --newsboat`. What has no equivalent
//! (regular expressions, exact text matches, attributes tidings does not keep) is refused
//! with the reason, and the import lists that query feed as skipped.

/// The longest expression translated; newsboat's are a line of a urls file.
const MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Op(&'static str),
    Open,
    Close,
}

fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    const OPS: [&str; 11] = ["!=", "=~", "!~", "!#", "<=", ">=", "=", "<", ">", "#", "between"];
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("a quoted value is not closed".into()),
                    Some('\\') => {
                        if let Some(&next) = chars.get(i + 1) {
                            text.push(next);
                        }
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            out.push(Token::Text(text));
        } else if let Some(op) =
            OPS[..10].iter().find(|op| chars[i..].starts_with(&op.chars().collect::<Vec<_>>()))
        {
            out.push(Token::Op(op));
            i += op.chars().count();
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"()\"=!~<>#".contains(chars[i]) {
                i += 1;
            }
            if i == start {
                return Err(format!("unexpected \"{c}\""));
            }
            let word: String = chars[start..i].iter().collect();
            if word == "between" {
                out.push(Token::Op("between"));
            } else {
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

/// Translates a newsboat filter expression; `Err` says what has no equivalent here.
pub(crate) fn translate(expr: &str) -> Result<String, String> {
    if expr.len() > MAX_LEN {
        return Err("the expression is too long".into());
    }
    let tokens = tokenize(expr)?;
    let mut parser = Parser { tokens, at: 0, depth: 0 };
    let out = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<String, String> {
        let mut parts = vec![self.and()?];
        while self.peek_word("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { format!("({})", parts.join(" or ")) })
    }

    fn and(&mut self) -> Result<String, String> {
        let mut parts = vec![self.primary()?];
        while self.peek_word("and") {
            self.at += 1;
            parts.push(self.primary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { format!("({})", parts.join(" and ")) })
    }

    fn primary(&mut self) -> Result<String, String> {
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.depth += 1;
                if self.depth > crate::query::MAX_DEPTH {
                    return Err("too deeply nested".into());
                }
                self.at += 1;
                let inner = self.or()?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err("a parenthesis is not closed".into());
                }
                self.at += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Word(attribute)) => {
                let op = match self.tokens.get(self.at + 1) {
                    Some(Token::Op(op)) => *op,
                    _ => return Err(format!("expected an operator after \"{attribute}\"")),
                };
                let value = match self.tokens.get(self.at + 2) {
                    Some(Token::Text(t)) => t.clone(),
                    Some(Token::Word(w)) => w.clone(),
                    _ => return Err(format!("expected a value after \"{attribute} {op}\"")),
                };
                self.at += 3;
                comparison(&attribute.to_ascii_lowercase(), op, &value)
            }
            _ => Err("expected a comparison such as unread = \"yes\"".into()),
        }
    }
}

/// A value as a quoted phrase of the query language.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A regular expression that is plain text (a `.` is taken as itself), else why not.
fn literal(pattern: &str) -> Result<&str, String> {
    if pattern.contains(['^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\']) {
        return Err(format!("the regular expression \"{pattern}\" (only plain text can be matched)"));
    }
    Ok(pattern)
}

fn comparison(attribute: &str, op: &str, value: &str) -> Result<String, String> {
    let negate = |s: String| format!("not {s}");
    let text_field = match attribute {
        "title" => Some("title"),
        "author" => Some("author"),
        "content" | "description" => Some("content"),
        "link" => Some("link"),
        "feedtitle" => Some("feed"),
        _ => None,
    };
    if let Some(field) = text_field {
        let test = |v: &str| format!("{field}:{}", quoted(v));
        return match op {
            "=~" => Ok(test(literal(value)?)),
            "!~" => Ok(negate(test(literal(value)?))),
            "=" | "!=" => Err(format!("an exact match of {attribute} (use =~ with plain text)")),
            _ => Err(format!("{attribute} {op}")),
        };
    }
    match (attribute, op) {
        ("unread", "=" | "!=") => {
            let yes = match value {
                "yes" => true,
                "no" => false,
                _ => return Err(format!("unread = \"{value}\" (yes or no)")),
            };
            Ok(if yes == (op == "=") { "unread" } else { "read" }.to_owned())
        }
        ("tags", "#") => Ok(format!("tag:{}", quoted(value))),
        ("tags", "!#") => Ok(negate(format!("tag:{}", quoted(value)))),
        // newsboat's flags are letters the user gives meaning to; the import stars an article
        // with any of them, so any flag test is a starred test.
        ("flags", "#") => Ok("starred".to_owned()),
        ("flags", "!#") => Ok("not starred".to_owned()),
        ("age", "<" | "<=" | ">" | ">=") => {
            let days: u32 = value.parse().map_err(|_| format!("age {op} {value} (days, a whole number)"))?;
            Ok(format!("age{op}{days}d"))
        }
        ("age", "between") => {
            let (from, to) = value.split_once(':').ok_or_else(|| format!("age between {value} (FROM:TO)"))?;
            let from: u32 = from.parse().map_err(|_| format!("age between {value}"))?;
            let to: u32 = to.parse().map_err(|_| format!("age between {value}"))?;
            Ok(format!("(age>={from}d and age<={to}d)"))
        }
        ("enclosure_url", "!=") if value.is_empty() => Ok("has:enclosure".to_owned()),
        ("enclosure_url", "=") if value.is_empty() => Ok("not has:enclosure".to_owned()),
        _ => Err(format!("{attribute} {op} \"{value}\" (tidings has no such test)")),
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn what_has_an_equivalent_is_translated_and_parses() {
        for (newsboat, ours) in [
            ("unread = \"yes\"", "unread"),
            ("unread != \"yes\"", "read"),
            ("unread = \"no\"", "read"),
            ("title =~ \"rust\" and unread = \"yes\"", "(title:\"rust\" and unread)"),
            ("tags # \"tech\" or flags # \"s\"", "(tag:\"tech\" or starred)"),
            (
                "( author =~ \"Ada\" or feedtitle =~ \"Hacker News\" ) and age < 7",
                "((author:\"Ada\" or feed:\"Hacker News\") and age<7d)",
            ),
            ("content !~ \"sponsored\"", "not content:\"sponsored\""),
            ("age between 1:3", "(age>=1d and age<=3d)"),
            ("enclosure_url != \"\"", "has:enclosure"),
            ("title =~ \"v1.2\"", "title:\"v1.2\""),
            ("title =~ \"say \\\"hi\\\"\"", "title:\"say \\\"hi\\\"\""),
        ] {
            let got = translate(newsboat).unwrap_or_else(|e| panic!("{newsboat}: {e}"));
            assert_eq!(got, ours, "{newsboat}");
            crate::query::Query::parse(&got).unwrap_or_else(|e| panic!("{got}: {}", e.line()));
        }
    }

    #[test]
    fn what_has_none_says_why() {
        for (newsboat, why) in [
            ("title =~ \"^Rust\"", "regular expression"),
            ("title = \"Exact\"", "exact match"),
            ("rssurl =~ \"x\"", "no such test"),
            ("unread = \"maybe\"", "yes or no"),
            ("title =~ \"open", "not closed"),
            ("(unread = \"yes\"", "parenthesis"),
            ("unread", "operator"),
            ("", "expected a comparison"),
        ] {
            let err = translate(newsboat).unwrap_err();
            assert!(err.contains(why), "{newsboat}: {err}");
        }
        assert!(translate(&"(".repeat(100_000)).is_err());
    }
}

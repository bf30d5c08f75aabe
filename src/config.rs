//! Finds and reads `config.toml`, and resolves where tidings keeps its files.
//!
//! Contract: a missing config file at the default path means defaults, but one named by
//! `--config` / `TIDINGS_CONFIG` must exist; a bad one is an error naming the file, the line
//! and what is wrong in the user's terms (no Rust type names), and nothing starts (no silent
//! fallback). Paths are the platform's, from the `directories` crate: on Linux and the BSDs
//! XDG (config in `$XDG_CONFIG_HOME/tidings/`, data in `$XDG_DATA_HOME/tidings/`, the log in
//! `$XDG_STATE_HOME/tidings/`, with the spec's `~/.config`, `~/.local/share` and
//! `~/.local/state` defaults), on macOS `~/Library/Application Support/tidings/`;
//! `--config` / `--data-dir` (or `TIDINGS_CONFIG` / `TIDINGS_DATA_DIR`) override them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::fetch::FetchSettings;
use crate::store::StoreSettings;

/// The whole configuration file. Top-level keys (`theme`, `browser`, ...) come before the
/// `[reader]`, `[keys]`, `[fetch]` and `[store]` tables.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A built-in theme (`default`, `light`, `256`, `mono`...) or `NAME` for
    /// `$XDG_CONFIG_HOME/tidings/themes/NAME.toml`.
    pub theme: String,
    /// The program that opens links, as an argument vector run without a shell; the URL is
    /// added as one more argument. Default: `$BROWSER`, else `xdg-open` (`open` on macOS).
    pub browser: Option<Vec<String>>,
    /// The browser runs in this terminal (w3m, lynx): the reader steps aside until it exits.
    pub browser_in_terminal: bool,
    /// URL schemes that `o`, `1`-`9` and `y` accept.
    pub open_schemes: Vec<String>,
    #[serde(deserialize_with = "only_a_table")]
    pub reader: ReaderSettings,
    /// Key bindings: action name = key or [keys], e.g. `next_unread = ["n", "Ctrl-n"]`.
    pub keys: BTreeMap<String, KeyList>,
    #[serde(deserialize_with = "only_a_table")]
    pub fetch: FetchSettings,
    #[serde(deserialize_with = "only_a_table")]
    pub store: StoreSettings,
    /// `[[query]]`: query feeds, listed first in the reader's feeds pane.
    #[serde(rename = "query")]
    pub query_feeds: Vec<crate::store::QueryFeed>,
    /// `[[filter]]`: what happens to new articles an expression matches (parsed into
    /// `store.filters`, where the store applies them).
    #[serde(rename = "filter")]
    pub filters: Vec<FilterConfig>,
}

/// One `[[filter]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    pub(crate) query: String,
    /// `mark-read`, `star` or `hide`.
    pub(crate) action: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            theme: "default".to_owned(),
            browser: None,
            browser_in_terminal: false,
            open_schemes: vec!["http".into(), "https".into(), "mailto".into()],
            reader: ReaderSettings::default(),
            keys: BTreeMap::new(),
            fetch: FetchSettings::default(),
            store: StoreSettings::default(),
            query_feeds: Vec::new(),
            filters: Vec::new(),
        }
    }
}

/// Deserializes a settings table, refusing every other kind of value. serde's derived structs
/// also accept a list, reading its items as the fields in declaration order, so `fetch = [1]`
/// would quietly set `timeout_secs`; a config file never means that.
fn only_a_table<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct TableOnly<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for TableOnly<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table of settings")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }

    deserializer.deserialize_map(TableOnly(std::marker::PhantomData))
}

/// `[reader]`: how the interactive reader behaves.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderSettings {
    /// Fetch every feed when the reader starts.
    pub(crate) refresh_on_start: bool,
    /// Fetch every feed in the background this often while the reader is open; 0 = never.
    pub(crate) refresh_interval_minutes: u64,
    /// With a sync account: sync a second after the reader opens, then this often; 0 = only
    /// with a refresh (`R`, `refresh_on_start`, `refresh_interval_minutes`).
    pub(crate) sync_interval_minutes: u64,
    /// strftime-style format of dates in the article list.
    pub(crate) date_format: String,
    /// Width of the feeds pane, in percent of a wide terminal.
    pub feeds_width_percent: u16,
    /// Height of the feeds and articles panes, in percent of a wide terminal (the article
    /// takes the rest).
    pub list_height_percent: u16,
    /// Mouse wheel scrolls and clicks select (off by default: it disables the terminal's own
    /// text selection).
    pub(crate) mouse: bool,
    /// Write the article's links as OSC 8 hyperlinks (clickable in terminals that support
    /// them). Off by default: some terminals (the Linux console) print the sequences as text.
    pub(crate) hyperlinks: bool,
    /// Only unread feeds and articles are listed at start (`U` toggles).
    pub(crate) unread_only: bool,
    /// The feeds pane lists the feeds under a heading per tag at start (`T` toggles).
    pub(crate) group_by_tag: bool,
}

impl Default for ReaderSettings {
    fn default() -> ReaderSettings {
        ReaderSettings {
            refresh_on_start: false,
            refresh_interval_minutes: 0,
            sync_interval_minutes: 15,
            date_format: "%Y-%m-%d".to_owned(),
            feeds_width_percent: 30,
            list_height_percent: 40,
            mouse: false,
            hyperlinks: false,
            unread_only: false,
            group_by_tag: false,
        }
    }
}

/// One key or a list of keys in `[keys]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub(crate) fn keys(&self) -> Vec<&str> {
        match self {
            KeyList::One(k) => vec![k.as_str()],
            KeyList::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: line {line}, column {column}: {message}")]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: cannot be read: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// A config file named by `--config` or `TIDINGS_CONFIG` that does not exist. Only the
    /// default path may be missing: a named file that is not there is a typo or a file that
    /// moved, and running on defaults would hide it.
    #[error(
        "{path}: no such config file (named by {named_by}); create it (an empty file means all \
         defaults) or fix the path"
    )]
    Missing { path: PathBuf, named_by: &'static str },
    #[error(
        "cannot tell where to keep files: HOME is not set and the system names no home directory \
         for this user; set HOME, or pass --config and --data-dir"
    )]
    NoHome,
}

impl Config {
    /// Reads the config file; a file that does not exist gives the defaults. A file named by
    /// the user is checked for existence by [`Paths::resolve`].
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Unreadable { path: path.to_owned(), source }),
        }
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let (line, column) = match &span {
                Some(span) => line_and_column(text, span.start),
                None => (1, 1),
            };
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: plain_message(e.message().trim(), text, span),
            }
        })?;
        config.validate(path, text)?;
        config.store.filters = config.parse_filters(path, text)?;
        Ok(config)
    }

    /// Parses the `[[filter]]`s and checks the `[[query]]` expressions, each error at the
    /// line of the expression it is about.
    fn parse_filters(&self, path: &Path, text: &str) -> Result<Vec<crate::query::Filter>, ConfigError> {
        let invalid = |needle: &str, message: String| {
            let offset = text.find(needle).unwrap_or(0);
            let (line, column) = line_and_column(text, offset);
            ConfigError::Invalid { path: path.to_owned(), line, column, message }
        };
        for (n, q) in self.query_feeds.iter().enumerate() {
            if q.name.trim().is_empty() {
                return Err(invalid("[[query]]", format!("query feed {} needs a name", n + 1)));
            }
            if let Err(e) = crate::query::Query::parse(&q.query) {
                return Err(invalid(
                    &q.query,
                    format!("the query of query feed \"{}\": {}", q.name, e.line()),
                ));
            }
        }
        // A filter's error points into its own table: the same text (`tag:news`) is often
        // in another filter's query or action too.
        let in_filter = |n: usize, needles: &[&str], message: String| {
            let start = table_start(text, "[[filter]]", n);
            let offset = (needles.iter().find_map(|needle| text[start..].find(needle).map(|o| start + o)))
                .or_else(|| needles.iter().find_map(|needle| text.find(needle)))
                .unwrap_or(0);
            let (line, column) = line_and_column(text, offset);
            ConfigError::Invalid { path: path.to_owned(), line, column, message }
        };
        let mut filters = Vec::new();
        for (n, f) in self.filters.iter().enumerate() {
            let query = crate::query::Query::parse(&f.query).map_err(|e| {
                in_filter(n, &[&f.query], format!("the query of filter {}: {}", n + 1, e.line()))
            })?;
            let action = crate::query::FilterAction::parse(&f.action).map_err(|e| {
                let separator = match e {
                    crate::query::ActionError::Unknown => ";",
                    crate::query::ActionError::BadTagName => ":",
                };
                // The action's value, not the same text in the query above it.
                let (double, single) =
                    (format!("action = \"{}", f.action), format!("action = '{}", f.action));
                in_filter(
                    n,
                    &[&double, &single, &f.action],
                    format!(
                        "filter {} has the action \"{}\"{separator} {e}",
                        n + 1,
                        crate::sanitize::line(&f.action)
                    ),
                )
            })?;
            filters.push(crate::query::Filter { query, action });
        }
        Ok(filters)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let f = &self.fetch;
        let problem = if f.concurrency == 0 {
            Some(("concurrency", "fetch.concurrency must be at least 1"))
        } else if f.per_host == 0 {
            Some(("per_host", "fetch.per_host must be at least 1"))
        } else if f.timeout_secs == 0 {
            Some(("timeout_secs", "fetch.timeout_secs must be at least 1"))
        } else if f.max_body_mib == 0 {
            Some(("max_body_mib", "fetch.max_body_mib must be at least 1"))
        } else if !(10..=90).contains(&self.reader.feeds_width_percent) {
            Some(("feeds_width_percent", "reader.feeds_width_percent must be between 10 and 90"))
        } else if !(10..=90).contains(&self.reader.list_height_percent) {
            Some(("list_height_percent", "reader.list_height_percent must be between 10 and 90"))
        } else if chrono::format::StrftimeItems::new(&self.reader.date_format)
            .any(|item| matches!(item, chrono::format::Item::Error))
        {
            Some(("date_format", "reader.date_format is not a valid strftime format (e.g. \"%Y-%m-%d\")"))
        } else if self.browser.as_ref().is_some_and(|b| b.is_empty() || b[0].is_empty()) {
            Some(("browser", "browser must name a program, e.g. browser = [\"firefox\"]"))
        } else {
            None
        };
        match problem {
            None => Ok(()),
            Some((key, message)) => {
                let offset = text.find(key).unwrap_or(0);
                let (line, column) = line_and_column(text, offset);
                Err(ConfigError::Invalid { path: path.to_owned(), line, column, message: message.into() })
            }
        }
    }
}

/// Where the `n`th (from 0) table under `header` (`[[filter]]`) starts in `text`: 0 when it
/// cannot be told (an inline array of tables), so a search from there covers the whole text.
fn table_start(text: &str, header: &str, n: usize) -> usize {
    let mut offset = 0;
    let mut starts = text.split_inclusive('\n').filter_map(|line| {
        let at = offset;
        offset += line.len();
        line.trim_start().starts_with(header).then_some(at)
    });
    starts.nth(n).unwrap_or(0)
}

/// The tables of config.toml, each known by one of its keys: serde's unknown-key message
/// lists the keys of the table the bad key is in, and this says which table that is.
const TABLES: [(&str, &str); 4] = [
    ("the top level", "theme"),
    ("[reader]", "refresh_on_start"),
    ("[fetch]", "timeout_secs"),
    ("[store]", "keep_days"),
];

/// Top-level keys that are tables, not values.
const TOP_LEVEL_TABLES: [&str; 6] = ["reader", "keys", "fetch", "store", "query", "filter"];

/// Rewrites a toml/serde error message in the user's terms: what was expected, in words a
/// config file's reader knows ("a whole number", "true or false", "text in quotes", "a
/// list"), then what was found, with no Rust type names (`u64`, `struct ReaderSettings`,
/// `untagged enum KeyList`). `span` is the byte range of the offending key or value in
/// `text`. Messages of other shapes (TOML syntax errors) pass through as they are.
fn plain_message(message: &str, text: &str, span: Option<Range<usize>>) -> String {
    let start = span.as_ref().map(|s| s.start).filter(|&s| text.is_char_boundary(s));
    let at_span = span.and_then(|s| text.get(s)).unwrap_or_default();
    if let Some((unexpected, expected)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        return type_mismatch(unexpected, expected, at_span);
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            // toml hands a date or time to serde as a map with one private key, so a date
            // where a table belongs arrives here.
            if key.starts_with("$__toml_private") {
                return format!("expected a table of settings, got the date or time {}", at_span.trim());
            }
            let in_header = start.is_some_and(|s| line_at(text, s).0.trim_start().starts_with('['));
            return unknown_key(key, &backquoted(expected), in_header);
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((value, expected)) = rest.split_once('`') {
            return format!(
                "unknown value \"{value}\"; the choices are: {}",
                backquoted(expected).join(", ")
            );
        }
    }
    if message == "duplicate key" {
        return duplicate_key(text, start);
    }
    if message.contains("untagged enum KeyList") {
        return format!(
            "expected a key in quotes, like \"q\", or a list of keys, like [\"q\", \"Ctrl-c\"], got {}",
            at_span.trim()
        );
    }
    // TOML syntax errors that read as parser jargon.
    let found = match at_span.trim() {
        "" => "nothing".to_owned(),
        other => other.to_owned(),
    };
    if message.starts_with("invalid boolean") {
        return format!("expected true or false (in lower case, without quotes), got {found}");
    }
    if message.starts_with("string values must be quoted") {
        return format!(
            "expected a value: text in quotes (\"like this\"), a number, true or false, or a list in \
             brackets, got {found}"
        );
    }
    if message.starts_with("invalid basic string") || message.starts_with("invalid literal string") {
        // toml points at the end of the line when the closing quote is missing, and at the
        // character itself when one is not allowed inside quotes.
        let at_line_end = start.is_none_or(|s| text[s..].starts_with(['\n', '\r']) || s == text.len());
        return if at_line_end {
            "the quoted text is not closed: end it with the same quote it starts with, on the same \
             line"
                .to_owned()
        } else {
            "the quoted text holds a control character, which is not allowed there; remove it or \
             write it as an escape such as \\u0001"
                .to_owned()
        };
    }
    message.to_owned()
}

/// The names between backquotes in serde's "expected one of `a`, `b`" lists.
fn backquoted(list: &str) -> Vec<&str> {
    list.split('`').skip(1).step_by(2).collect()
}

/// "expected X, got Y" for a value of the wrong type or out of range. `unexpected` and
/// `expected` are serde's descriptions (`string "ten"`, `integer `-1``; `u64`, `a boolean`).
fn type_mismatch(unexpected: &str, expected: &str, at_span: &str) -> String {
    let number = |prefix: &str| {
        unexpected
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.split_once('`'))
            .map(|(n, _)| n.to_owned())
    };
    let integer = number("integer ");
    let got = if let Some(n) = &integer {
        format!("the number {n}")
    } else if let Some(n) = number("floating point ") {
        format!("the number {n}")
    } else if let Some(quoted) = unexpected.strip_prefix("string ") {
        format!("the text {quoted}")
    } else if let Some(b) = number("boolean ") {
        b
    } else if unexpected == "sequence" {
        "a list".to_owned()
    } else if unexpected == "map" && at_span.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
        // TOML dates and times reach serde as a map with one private key.
        format!("the date or time {}", at_span.trim())
    } else if unexpected == "map" {
        "a table".to_owned()
    } else {
        unexpected.to_owned()
    };
    // Text that would be right without its quotes is the commonest mistake of all.
    let unquote_hint = |fits: bool| if fits { "; write it without quotes" } else { "" };
    let text_value = unexpected.strip_prefix("string \"").and_then(|r| r.strip_suffix('"'));
    let whole_number_max = match expected {
        "u8" => Some(u64::from(u8::MAX)),
        "u16" => Some(u64::from(u16::MAX)),
        "u32" => Some(u64::from(u32::MAX)),
        "u64" | "usize" => Some(u64::MAX),
        _ => None,
    };
    if let Some(max) = whole_number_max {
        if let Some(n) = integer {
            return if n.starts_with('-') {
                format!("expected a whole number, 0 or more, got {n}")
            } else {
                format!("expected a whole number no larger than {max}, got {n}")
            };
        }
        let fits = text_value.is_some_and(|t| t.trim().parse::<u64>().is_ok());
        return format!("expected a whole number, got {got}{}", unquote_hint(fits));
    }
    let (wanted, fits) = match expected {
        "a boolean" => ("true or false", text_value.is_some_and(|t| matches!(t.trim(), "true" | "false"))),
        "a string" | "a character" => ("text in quotes", false),
        "a sequence" => ("a list in brackets, like [\"a\", \"b\"]", false),
        "a map" => ("a table", false),
        "f32" | "f64" => ("a number", text_value.is_some_and(|t| t.trim().parse::<f64>().is_ok())),
        e if e.starts_with("struct ") => ("a table of settings", false),
        // Signed types and anything new: still say it in words, not as a type name.
        e if e.starts_with('i') && e[1..].chars().all(|c| c.is_ascii_digit()) => ("a whole number", false),
        e => (e, false),
    };
    format!("expected {wanted}, got {got}{}", unquote_hint(fits))
}

/// "unknown key `x` in [fetch]" with the keys that table has, and the likeliest one meant.
fn unknown_key(key: &str, valid: &[&str], in_header: bool) -> String {
    let table = TABLES.iter().find(|(_, marker)| valid.contains(marker)).map(|(name, _)| *name);
    let closest = valid
        .iter()
        .map(|v| (edit_distance(key, v), *v))
        .filter(|(d, v)| *d <= 2 && *d < v.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v);
    let suggestion = match closest {
        Some(v) if table == Some("the top level") && TOP_LEVEL_TABLES.contains(&v) => {
            format!(" (did you mean [{v}]?)")
        }
        Some(v) => format!(" (did you mean `{v}`?)"),
        None => String::new(),
    };
    if table == Some("the top level") {
        let (values, tables): (Vec<&str>, Vec<&str>) =
            valid.iter().partition(|k| !TOP_LEVEL_TABLES.contains(k));
        let tables: Vec<String> = tables
            .iter()
            .map(|t| if matches!(*t, "query" | "filter") { format!("[[{t}]]") } else { format!("[{t}]") })
            .collect();
        let what = if in_header { format!("unknown table [{key}]") } else { format!("unknown key `{key}`") };
        return format!(
            "{what}{suggestion}; the tables are {}, and the keys before them are {}",
            tables.join(", "),
            values.join(", ")
        );
    }
    let place = table.map(|t| format!(" in {t}")).unwrap_or_default();
    format!("unknown key `{key}`{place}{suggestion}; the keys there are {}", valid.join(", "))
}

/// "set twice" for a key, "appears twice" for a table header, with the line of the first.
/// `start` is the byte offset of the second one.
fn duplicate_key(text: &str, start: Option<usize>) -> String {
    let Some(start) = start else {
        return "a key or table is set twice; keep one of them".to_owned();
    };
    let (line, earlier) = line_at(text, start);
    let line = line.trim();
    if line.starts_with('[') {
        let header = line.split('#').next().unwrap_or(line).trim();
        let first = earlier.lines().position(|l| l.split('#').next().unwrap_or(l).trim() == header);
        return match first {
            Some(i) => {
                format!("{header} already appears on line {}; put all its keys under one {header}", i + 1)
            }
            None => format!("{header} appears twice; put all its keys under one {header}"),
        };
    }
    let key = line.split('=').next().unwrap_or(line).trim();
    // Look back to the table header above: the same key in another table is no duplicate.
    let earlier_lines: Vec<&str> = earlier.lines().collect();
    let first = earlier_lines
        .iter()
        .enumerate()
        .rev()
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .filter(|(_, l)| l.split('=').next().is_some_and(|k| k.trim() == key))
        .last();
    match first {
        Some((i, _)) => format!("`{key}` is already set on line {}; keep one of the two", i + 1),
        None => format!("`{key}` is set twice; keep one of the two"),
    }
}

/// The line holding byte `offset` (a char boundary) of `text`, and the text before it.
fn line_at(text: &str, offset: usize) -> (&str, &str) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    (&text[line_start..line_end], &text[..line_start])
}

/// Levenshtein distance, for "did you mean": keys are short, so the quadratic table is fine.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where this run keeps its files.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Paths {
    pub(crate) config_file: PathBuf,
    /// The config file was named by `--config` or `TIDINGS_CONFIG` rather than found at the
    /// default place (so it must exist: see [`ConfigError::Missing`]).
    pub(crate) config_explicit: bool,
    pub(crate) data_dir: PathBuf,
    pub(crate) log_file: PathBuf,
}

/// The environment variable clap reads for `--config`; named in the missing-file error.
const CONFIG_VAR: &str = "TIDINGS_CONFIG";

impl Paths {
    /// Resolves paths from the flags (already merged with their environment variables by the
    /// CLI) and the platform's directories. A config file named by a flag or variable must
    /// exist: that is checked here, the one place that knows the path was given.
    ///
    /// The platform's directories come from `directories::ProjectDirs`, which on Linux reads
    /// `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and `XDG_STATE_HOME` (ignoring relative values, as
    /// the XDG spec says) and falls back to `~/.config`, `~/.local/share`, `~/.local/state`.
    /// Platforms without a state directory (macOS, Windows) keep the log in the data
    /// directory.
    pub(crate) fn resolve(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Paths, ConfigError> {
        // No qualifier or organisation: the directory is plain `tidings` on every platform.
        let dirs = directories::ProjectDirs::from("", "", "tidings");
        let config_explicit = config.is_some();
        let config_file = match config {
            Some(p) => {
                // `try_exists` is false only when the path is known not to exist; a file that
                // cannot be checked (permissions) is left for `Config::load` to report.
                if matches!(p.try_exists(), Ok(false)) {
                    let from_env = std::env::var_os(CONFIG_VAR).is_some_and(|v| Path::new(&v) == p);
                    let named_by = if from_env { CONFIG_VAR } else { "--config" };
                    return Err(ConfigError::Missing { path: p, named_by });
                }
                p
            }
            None => dirs.as_ref().ok_or(ConfigError::NoHome)?.config_dir().join("config.toml"),
        };
        let data_dir = match data_dir {
            Some(p) => p,
            None => dirs.as_ref().ok_or(ConfigError::NoHome)?.data_dir().to_owned(),
        };
        let log_file = match dirs.as_ref().and_then(|d| d.state_dir()) {
            Some(state) => state.join("tidings.log"),
            None => data_dir.join("tidings.log"),
        };
        Ok(Paths { config_file, config_explicit, data_dir, log_file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.fetch.concurrency, 32);
        assert_eq!(c.fetch.per_host, 4);
    }

    #[test]
    fn values_are_read() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[fetch]\ntimeout_secs = 5\nper_host = 2\n[store]\nkeep_days = 30\n",
        )
        .unwrap();
        assert_eq!(c.fetch.timeout_secs, 5);
        assert_eq!(c.fetch.per_host, 2);
        assert_eq!(c.store.keep_days, 30);
    }

    #[test]
    fn reader_keys_and_top_level_values() {
        let c = Config::parse(
            Path::new("c.toml"),
            "theme = \"mono\"\nbrowser = [\"w3m\", \"-N\"]\nbrowser_in_terminal = true\n\
             [reader]\nrefresh_on_start = true\nrefresh_interval_minutes = 15\ngroup_by_tag = true\n\
             [keys]\nnext_unread = [\"n\", \"Ctrl-n\"]\nquit = \"Q\"\n",
        )
        .unwrap();
        assert_eq!(c.theme, "mono");
        assert_eq!(c.browser, Some(vec!["w3m".to_owned(), "-N".to_owned()]));
        assert!(c.browser_in_terminal && c.reader.refresh_on_start && c.reader.group_by_tag);
        assert_eq!(c.reader.refresh_interval_minutes, 15);
        assert_eq!(c.keys["next_unread"].keys(), vec!["n", "Ctrl-n"]);
        assert_eq!(c.keys["quit"].keys(), vec!["Q"]);
        let err = Config::parse(Path::new("c.toml"), "browser = []\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("program"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[reader]\nfeeds_width_percent = 95\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_example_in_the_readme_is_valid_and_shows_the_defaults() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("## Configuration").expect("a Configuration section")..];
        let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let text = &section[start..start + section[start..].find("```").expect("the block ends")];
        let c = Config::parse(Path::new("README.md"), text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c, Config::default(), "the README lists the defaults");
    }

    #[test]
    fn the_query_feed_and_filter_examples_in_the_readme_parse() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("## Query feeds and filters").expect("the section")..];
        let section = &section[..section[3..].find("\n## ").expect("the next section")];
        let mut filters = Vec::new();
        for block in section.split("```toml\n").skip(1) {
            let text = &block[..block.find("```").expect("the block ends")];
            let c = Config::parse(Path::new("README.md"), text).unwrap_or_else(|e| panic!("{e}"));
            filters.extend(c.store.filters.into_iter().map(|f| f.action));
        }
        use crate::query::FilterAction;
        assert_eq!(filters, [FilterAction::Hide, FilterAction::MarkRead, FilterAction::Tag("rust".into())]);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let err = Config::parse(Path::new("/x/config.toml"), "[fetch]\n\ntimeout_secs = \"ten\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/x/config.toml: line 3"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[fetch]\ntimeuot_secs = 3\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("timeuot_secs"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[fetch]\nconcurrency = 0\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("at least 1"), "{err}");
    }

    /// The message of a config that fails to parse, without the "file: line, column: " part.
    fn problem(text: &str) -> String {
        match Config::parse(Path::new("c.toml"), text) {
            Err(ConfigError::Invalid { message, .. }) => message,
            other => panic!("expected an invalid config for {text:?}, got {other:?}"),
        }
    }

    /// Rust's names for types, which mean nothing to someone editing a config file.
    const RUST_WORDS: [&str; 16] = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i32", "i64", "i128", "isize", "f64", "struct", "enum",
        "Option", "Vec", "untagged",
    ];

    /// A run of four words that occurs twice: the message says something twice.
    fn repeated_phrase(message: &str) -> Option<String> {
        let words: Vec<&str> = message.split_whitespace().collect();
        let grams: Vec<String> = words.windows(4).map(|w| w.join(" ")).collect();
        grams.iter().enumerate().find(|(i, g)| grams[i + 1..].contains(g)).map(|(_, g)| g.clone())
    }

    #[test]
    fn type_errors_are_told_in_the_users_terms() {
        for (text, want) in [
            ("[fetch]\ntimeout_secs = \"ten\"\n", "expected a whole number, got the text \"ten\""),
            (
                "[fetch]\ntimeout_secs = \"10\"\n",
                "expected a whole number, got the text \"10\"; write it without quotes",
            ),
            ("[fetch]\ntimeout_secs = 1.5\n", "expected a whole number, got the number 1.5"),
            ("[fetch]\nconcurrency = -1\n", "expected a whole number, 0 or more, got -1"),
            ("[store]\nkeep_days = -3\n", "expected a whole number, 0 or more, got -3"),
            (
                "[reader]\nfeeds_width_percent = 70000\n",
                "expected a whole number no larger than 65535, got 70000",
            ),
            (
                "[fetch]\nmax_body_mib = 99999999999999999999\n",
                "expected a whole number no larger than 18446744073709551615, got 99999999999999999999",
            ),
            ("[reader]\nmouse = \"yes\"\n", "expected true or false, got the text \"yes\""),
            (
                "[reader]\nmouse = \"true\"\n",
                "expected true or false, got the text \"true\"; write it without quotes",
            ),
            ("[reader]\nmouse = 1\n", "expected true or false, got the number 1"),
            ("[reader]\nmouse = True\n", "expected true or false (in lower case, without quotes), got True"),
            ("theme = 5\n", "expected text in quotes, got the number 5"),
            ("theme = 1979-05-27\n", "expected text in quotes, got the date or time 1979-05-27"),
            ("theme = [\"a\"]\n", "expected text in quotes, got a list"),
            ("[fetch]\nproxy = 3\n", "expected text in quotes, got the number 3"),
            (
                "browser = \"firefox\"\n",
                "expected a list in brackets, like [\"a\", \"b\"], got the text \"firefox\"",
            ),
            ("browser = [1]\n", "expected text in quotes, got the number 1"),
            ("reader = 5\n", "expected a table of settings, got the number 5"),
            ("keys = [\"a\"]\n", "expected a table, got a list"),
            ("fetch = [1]\n", "expected a table of settings, got a list"),
            ("store = 1979-05-27\n", "expected a table of settings, got the date or time 1979-05-27"),
            (
                "[keys]\nquit = 5\n",
                "expected a key in quotes, like \"q\", or a list of keys, like [\"q\", \"Ctrl-c\"], got 5",
            ),
            (
                "theme = \"mono\n",
                "the quoted text is not closed: end it with the same quote it starts with, on the same line",
            ),
            (
                "theme = 'mono\r\n",
                "the quoted text is not closed: end it with the same quote it starts with, on the same line",
            ),
            (
                "theme = \"mo\u{7}no\"\n",
                "the quoted text holds a control character, which is not allowed there; remove it or write \
                 it as an escape such as \\u0001",
            ),
            (
                "[reader]\nrefresh_on_start = yes\n",
                "expected a value: text in quotes (\"like this\"), a number, true or false, or a list in \
                 brackets, got yes",
            ),
        ] {
            assert_eq!(problem(text), want, "for {text:?}");
        }
    }

    #[test]
    fn unknown_keys_list_the_keys_of_their_table() {
        let fetch_keys = "timeout_secs, connect_timeout_secs, max_body_mib, concurrency, per_host, \
                          user_agent, proxy, max_redirects";
        let want = format!("unknown key `timeuot_secs` in [fetch] (did you mean `timeout_secs`?); the keys there are {fetch_keys}");
        // A table, a dotted key and an inline table all say the same.
        for text in
            ["[fetch]\ntimeuot_secs = 3\n", "fetch.timeuot_secs = 3\n", "fetch = { timeuot_secs = 3 }\n"]
        {
            assert_eq!(problem(text), want, "for {text:?}");
        }
        assert_eq!(
            problem("[store]\nexpire = 3\n"),
            "unknown key `expire` in [store]; the keys there are max_articles_per_feed, keep_days, cache_mib"
        );
        assert!(problem("[reader]\nmose = true\n")
            .starts_with("unknown key `mose` in [reader] (did you mean `mouse`?)"));
        assert_eq!(
            problem("themee = \"mono\"\n"),
            "unknown key `themee` (did you mean `theme`?); the tables are [reader], [keys], [fetch], [store], [[query]], \
             [[filter]], and the keys before them are theme, browser, browser_in_terminal, open_schemes"
        );
        assert!(
            problem("[fetc]\n").starts_with("unknown table [fetc] (did you mean [fetch]?); the tables are")
        );
        assert!(problem("[bogus]\nx = 1\n").starts_with("unknown table [bogus]; the tables are"));
    }

    #[test]
    fn duplicates_name_the_first_line() {
        assert_eq!(
            problem("[fetch]\ntimeout_secs = 3\nper_host = 2\ntimeout_secs = 4\n"),
            "`timeout_secs` is already set on line 2; keep one of the two"
        );
        assert_eq!(
            problem("[fetch] # network\nper_host = 2\n[store]\n[fetch]\n"),
            "[fetch] already appears on line 1; put all its keys under one [fetch]"
        );
        assert_eq!(
            problem("fetch.per_host = 3\nfetch.per_host = 3\n"),
            "`fetch.per_host` is already set on line 1; keep one of the two"
        );
        let err = Config::parse(Path::new("c.toml"), "[fetch]\nper_host = 1\nper_host = 1\n").unwrap_err();
        assert!(err.to_string().starts_with("c.toml: line 3, column 1: "), "{err}");
    }

    #[test]
    fn no_message_names_a_rust_type_or_says_a_thing_twice() {
        let bad = [
            "[fetch]\ntimeout_secs = \"ten\"\n",
            "[fetch]\ntimeout_secs = -1\n",
            "[fetch]\nper_host = 99999999999999999999\n",
            "[fetch]\nconcurrency = 2.5\n",
            "[fetch]\nmax_redirects = true\n",
            "[fetch]\nuser_agent = [\"a\"]\n",
            "[fetch]\nnope = 1\n",
            "[store]\ncache_mib = \"8\"\n",
            "[store]\nkeep_days = 5000000000\n",
            "[store]\nnope = 1\n",
            "[reader]\nlist_height_percent = -40\n",
            "[reader]\ndate_format = 1\n",
            "[reader]\nhyperlinks = \"on\"\n",
            "[reader]\nnope = 1\n",
            "[keys]\nquit = 5\n",
            "[keys]\nquit = [\"q\", 1]\n",
            "[keys]\nquit = { a = 1 }\n",
            "keys = 1\n",
            "store = \"x\"\n",
            "fetch = [1]\n",
            "fetch = []\n",
            "store = 1979-05-27\n",
            "browser_in_terminal = 0\n",
            "open_schemes = [[\"http\"]]\n",
            "theme = 07:32:00\n",
            "theme = \"x\n",
            "theme = \"a\u{1}b\"\n",
            "theme = \n",
            "[fetch]\n[fetch]\n",
            "nope = 1\n",
            "[nope]\n",
        ];
        for text in bad {
            let message = problem(text);
            let words: Vec<&str> = message
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .filter(|w| !w.is_empty())
                .collect();
            for rust in RUST_WORDS {
                assert!(!words.contains(&rust), "{rust} in the message for {text:?}: {message}");
            }
            assert!(!message.contains("invalid type") && !message.contains("sequence"), "{message}");
            assert!(!message.contains("$__"), "{message}");
            assert_eq!(repeated_phrase(&message), None, "for {text:?}: {message}");
        }
    }

    #[test]
    fn a_filter_can_tag_and_a_bad_tag_name_is_refused_at_its_own_line() {
        let c = Config::parse(
            Path::new("c.toml"),
            "[[filter]]\nquery = 'title:rust'\naction = \"tag:Rust-News\"\n\n\
             [[filter]]\nquery = 'feed:1'\naction = \"TAG:daily\"\n",
        )
        .unwrap();
        let actions: Vec<_> = c.store.filters.iter().map(|f| f.action.clone()).collect();
        use crate::query::FilterAction;
        assert_eq!(actions, [FilterAction::Tag("Rust-News".into()), FilterAction::Tag("daily".into())]);
        // The same text earlier in the file (a line commented out in the first filter): the
        // error points at the second filter's action.
        let text = "[[filter]]\nquery = 'title:x'\n# action = \"tag:my news\"\naction = \"star\"\n\n\
                    [[filter]]\nquery = 'title:y'\naction = \"tag:my news\"\n";
        let err = Config::parse(Path::new("/x/config.toml"), text).unwrap_err().to_string();
        assert!(err.starts_with("/x/config.toml: line 8, column 1: "), "{err}");
        assert!(err.contains("filter 2 has the action \"tag:my news\": a tag name is 1 to 64"), "{err}");
        let long = format!("tag:{}", "x".repeat(65));
        for bad in ["tag:", "tag:a,b", "tag:a:b", "tag:(x)", "tag:\\\"q\\\"", long.as_str()] {
            let message = problem(&format!("[[filter]]\nquery = 'unread'\naction = \"{bad}\"\n"));
            assert!(message.contains("a tag name is"), "{bad}: {message}");
        }
        let message = problem("[[filter]]\nquery = 'unread'\naction = \"label:x\"\n");
        assert!(message.ends_with("the actions are mark-read, star, hide, tag:NAME"), "{message}");
    }

    #[test]
    fn a_named_config_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo.toml");
        let err = Paths::resolve(Some(missing.clone()), Some(dir.path().join("data"))).unwrap_err();
        assert!(matches!(&err, ConfigError::Missing { named_by: "--config", .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no such config file (named by --config); create it (an empty file means all \
                 defaults) or fix the path",
                missing.display()
            )
        );
        std::fs::write(&missing, "").unwrap();
        let paths = Paths::resolve(Some(missing.clone()), Some(dir.path().join("data"))).unwrap();
        assert!(paths.config_explicit);
        assert_eq!(Config::load(&paths.config_file).unwrap(), Config::default());
    }
}

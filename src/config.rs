//! Finds and reads `config.toml`, and resolves where tidings keeps its files.
//!
//! Contract: a missing config file means defaults; a bad one is an error naming the file, the
//! line and what is wrong, and nothing starts (no silent fallback). Paths follow XDG:
//! config in `$XDG_CONFIG_HOME/tidings/`, data in `$XDG_DATA_HOME/tidings/`, the log in
//! `$XDG_STATE_HOME/tidings/`; `--config` / `--data-dir` (or `TIDINGS_CONFIG` /
//! `TIDINGS_DATA_DIR`) override them.

use std::collections::BTreeMap;
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
    pub reader: ReaderSettings,
    /// Key bindings: action name = key or [keys], e.g. `next_unread = ["n", "Ctrl-n"]`.
    pub keys: BTreeMap<String, KeyList>,
    pub fetch: FetchSettings,
    pub store: StoreSettings,
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
        }
    }
}

/// `[reader]`: how the interactive reader behaves.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderSettings {
    /// Fetch every feed when the reader starts.
    pub refresh_on_start: bool,
    /// Fetch every feed in the background this often while the reader is open; 0 = never.
    pub refresh_interval_minutes: u64,
    /// strftime-style format of dates in the article list.
    pub date_format: String,
    /// Width of the feeds pane, in percent of a wide terminal.
    pub feeds_width_percent: u16,
    /// Height of the feeds and articles panes, in percent of a wide terminal (the article
    /// takes the rest).
    pub list_height_percent: u16,
    /// Mouse wheel scrolls and clicks select (off by default: it disables the terminal's own
    /// text selection).
    pub mouse: bool,
    /// Write the article's links as OSC 8 hyperlinks (clickable in terminals that support
    /// them). Off by default: some terminals (the Linux console) print the sequences as text.
    pub hyperlinks: bool,
    /// Only unread feeds and articles are listed at start (`U` toggles).
    pub unread_only: bool,
    /// The feeds pane lists the feeds under a heading per tag at start (`T` toggles).
    pub group_by_tag: bool,
}

impl Default for ReaderSettings {
    fn default() -> ReaderSettings {
        ReaderSettings {
            refresh_on_start: false,
            refresh_interval_minutes: 0,
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
    pub fn keys(&self) -> Vec<&str> {
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
    #[error("cannot tell where to keep files: HOME is not set. Set HOME, or pass --config and --data-dir")]
    NoHome,
}

impl Config {
    /// Reads the config file; a file that does not exist gives the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Unreadable { path: path.to_owned(), source }),
        }
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => line_and_column(text, span.start),
                None => (1, 1),
            };
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        config.validate(path, text)?;
        Ok(config)
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

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where this run keeps its files.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub log_file: PathBuf,
}

impl Paths {
    /// Resolves paths from the flags (already merged with their environment variables by the
    /// CLI) and the XDG variables.
    pub fn resolve(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Paths, ConfigError> {
        let xdg = |var: &str, fallback: &str| -> Result<PathBuf, ConfigError> {
            match std::env::var_os(var).map(PathBuf::from) {
                // The XDG spec says relative values are to be ignored.
                Some(p) if p.is_absolute() => Ok(p.join("tidings")),
                _ => {
                    let home = std::env::var_os("HOME").ok_or(ConfigError::NoHome)?;
                    Ok(PathBuf::from(home).join(fallback).join("tidings"))
                }
            }
        };
        let config_file = match config {
            Some(p) => p,
            None => xdg("XDG_CONFIG_HOME", ".config")?.join("config.toml"),
        };
        let data_dir = match data_dir {
            Some(p) => p,
            None => xdg("XDG_DATA_HOME", ".local/share")?,
        };
        let log_file = match xdg("XDG_STATE_HOME", ".local/state") {
            Ok(p) => p.join("tidings.log"),
            Err(_) => data_dir.join("tidings.log"),
        };
        Ok(Paths { config_file, data_dir, log_file })
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
}

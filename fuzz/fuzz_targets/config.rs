//! Arbitrary text as config.toml: `Config::parse` returns a config or an error naming the
//! file and a line and column that exist in the text; it never panics.

#![no_main]

mod common;

use std::path::Path;

use common::assert_clean_line;
use libfuzzer_sys::fuzz_target;
use tidings::config::{Config, ConfigError};

fuzz_target!(|text: &str| {
    match Config::parse(Path::new("/fuzz/config.toml"), text) {
        Ok(config) => {
            assert!(config.fetch.concurrency >= 1 && config.fetch.per_host >= 1);
            assert!((10..=90).contains(&config.reader.feeds_width_percent));
            assert!((10..=90).contains(&config.reader.list_height_percent));
        }
        Err(ConfigError::Invalid { path, line, column, message }) => {
            assert_eq!(path, Path::new("/fuzz/config.toml"));
            let lines = text.split('\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of a {lines}-line text");
            let line_len = text.split('\n').nth(line - 1).map_or(0, |l| l.chars().count());
            assert!(column >= 1 && column <= line_len + 1, "column {column} of a {line_len}-char line");
            assert!(!message.is_empty());
        }
        Err(other) => panic!("parsing text gave a non-parse error: {other}"),
    }
    let _ = assert_clean_line;
});

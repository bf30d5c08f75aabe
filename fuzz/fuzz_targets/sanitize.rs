//! Arbitrary strings through the sanitiser: the output holds nothing forbidden, `line` gives
//! one line, `text` keeps the line structure, both are idempotent.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use tidings::sanitize::{is_clean_text, is_forbidden, line, text};

fuzz_target!(|input: &str| {
    let one = line(input);
    assert!(!one.chars().any(is_forbidden), "line() left a forbidden char: {one:?}");
    assert!(!one.contains(['\n', '\r', '\t']), "line() left a line break: {one:?}");
    assert_eq!(one.trim(), one, "line() output not trimmed");
    assert!(!one.contains("  "), "line() left a double space");
    assert_eq!(line(&one), one, "line() is not idempotent");

    let many = text(input);
    assert!(is_clean_text(&many), "text() output is not clean: {many:?}");
    assert!(!many.chars().any(|c| is_forbidden(c) && c != '\n' && c != '\t'));
    assert_eq!(many.matches('\n').count(), input.matches('\n').count(), "text() changed the number of lines");
    assert_eq!(text(&many), many, "text() is not idempotent");
    assert_eq!(is_clean_text(input), many == input, "is_clean_text disagrees with text()");
    // Nothing but forbidden characters is removed.
    let kept: String = input.chars().filter(|&c| c == '\n' || c == '\t' || !is_forbidden(c)).collect();
    assert_eq!(many, kept);
});

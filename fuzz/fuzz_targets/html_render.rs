//! Arbitrary HTML rendered for the article pane: first byte = width (1..=300), the rest =
//! HTML. No crash, every span clean, no line wider than the width in terminal columns.

#![no_main]

mod common;

use common::assert_clean_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let width = 1 + u16::from(first) % 300;
    let html = String::from_utf8_lossy(rest);
    let rendered = tidings::render::render_article(&html, width, &Default::default());
    assert!(!rendered.lines.is_empty(), "render_article returned no line at all");
    for line in &rendered.lines {
        for span in &line.spans {
            assert_clean_text("rendered span", &span.content);
            assert!(!span.content.contains(['\n', '\t']), "a span holds a newline or tab: {span:?}");
        }
        // Measured the way ratatui draws it.
        assert!(line.width() <= usize::from(width), "a line is {} columns wide at width {width}: {line:?}", line.width());
    }
});

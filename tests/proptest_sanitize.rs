//! Property tests of the sanitiser: whatever a feed sends, what `sanitize::line` and
//! `sanitize::text` return can be printed to a terminal without changing it (no escape
//! sequence, no control, no bidi override), and cleaning is stable (idempotent) and lossless
//! for ordinary text.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use proptest::prelude::*;
use tidings::sanitize::{is_clean_text, is_forbidden, line, text};

/// Pieces of hostile and ordinary text: controls, whole escape sequences, bidi and zero-width
/// characters, combining marks, wide characters, emoji and plain ASCII.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        // C0 controls, DEL and C1 controls, one at a time.
        (0u32..=0x1f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        Just("\u{7f}".to_owned()),
        (0x80u32..=0x9f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        // Whole escape sequences: SGR colour, clear screen, set title (OSC 0 with BEL and with
        // ST), OSC 8 hyperlink, OSC 52 clipboard write, alternate screen, 8-bit CSI.
        prop::sample::select(vec![
            "\u{1b}[31m",
            "\u{1b}[2J\u{1b}[H",
            "\u{1b}]0;pwned\u{7}",
            "\u{1b}]2;pwned\u{1b}\\",
            "\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
            "\u{1b}]52;c;cm0gLXJmIH4K\u{7}",
            "\u{1b}[?1049h",
            "\u{1b}[?25l",
            "\u{9b}1;31m",
            "\u{1b}P+q\u{1b}\\",
        ])
        .prop_map(str::to_owned),
        // Bidi embeddings, overrides and isolates, marks, line/paragraph separators, BOM.
        prop::sample::select(vec![
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{206a}', '\u{fff9}',
        ])
        .prop_map(String::from),
        // Zero-width joiner and non-joiner, soft hyphen, NBSP and other Unicode spaces.
        prop::sample::select(vec!['\u{200d}', '\u{200c}', '\u{ad}', '\u{a0}', '\u{3000}', '\u{2009}'])
            .prop_map(String::from),
        // Combining marks, CJK, emoji (with a skin tone and a ZWJ family).
        (0x300u32..=0x36f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        (0x4e00u32..=0x9fff).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        (0x1f600u32..=0x1f64f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        Just("\u{1f44d}\u{1f3fd}".to_owned()),
        Just("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}".to_owned()),
        // Whitespace and plain words.
        prop::sample::select(vec![" ", "  ", "\t", "\n", "\r\n", "\r"]).prop_map(str::to_owned),
        "[a-zA-Z0-9.,;:!?/&<>\"'-]{1,8}",
        // And anything at all.
        any::<char>().prop_map(String::from),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

/// Records everything a terminal emulator does besides drawing text at the cursor.
#[derive(Default)]
struct SideEffects(Vec<String>);

impl vt100::Callbacks for SideEffects {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.0.push("bell".into());
    }
    fn visual_bell(&mut self, _: &mut vt100::Screen) {
        self.0.push("visual bell".into());
    }
    fn resize(&mut self, _: &mut vt100::Screen, request: (u16, u16)) {
        self.0.push(format!("resize {request:?}"));
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.0.push(format!("icon name {name:?}"));
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.0.push(format!("title {title:?}"));
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], data: &[u8]) {
        self.0.push(format!("clipboard {data:?}"));
    }
    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8]) {
        self.0.push("paste".into());
    }
    fn unhandled_char(&mut self, _: &mut vt100::Screen, c: char) {
        // vt100 reports U+FFFD here, but that is an ordinary printable character.
        if c != '\u{fffd}' {
            self.0.push(format!("char {c:?}"));
        }
    }
    fn unhandled_control(&mut self, _: &mut vt100::Screen, b: u8) {
        self.0.push(format!("control {b:#x}"));
    }
    fn unhandled_escape(&mut self, _: &mut vt100::Screen, i1: Option<u8>, i2: Option<u8>, b: u8) {
        self.0.push(format!("escape {i1:?} {i2:?} {b}"));
    }
    fn unhandled_csi(
        &mut self,
        _: &mut vt100::Screen,
        i1: Option<u8>,
        i2: Option<u8>,
        _: &[&[u16]],
        c: char,
    ) {
        self.0.push(format!("csi {i1:?} {i2:?} {c}"));
    }
    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        self.0.push(format!("osc {params:?}"));
    }
}

/// Prints `s` into a fresh terminal emulator wide enough that nothing wraps, and returns what
/// happened besides drawing: side effects, and the screen's modes and attributes afterwards.
fn print_to_terminal(s: &str) -> (Vec<String>, vt100::Parser<SideEffects>) {
    let cols = u16::try_from(s.chars().count() * 2 + 10).unwrap();
    let mut term = vt100::Parser::new_with_callbacks(
        std::num::NonZeroU16::new(4).unwrap(),
        std::num::NonZeroU16::new(cols).unwrap(),
        0,
        SideEffects::default(),
    );
    term.process(s.as_bytes());
    let effects = std::mem::take(&mut term.callbacks_mut().0);
    (effects, term)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn line_output_is_one_clean_trimmed_line(s in hostile_string()) {
        let out = line(&s);
        prop_assert!(!out.chars().any(is_forbidden), "forbidden char left in {:?}", out);
        prop_assert!(!out.contains(['\n', '\r', '\t']), "line break left in {:?}", out);
        prop_assert_eq!(out.trim(), out.as_str());
        prop_assert!(!out.contains("  "), "a run of spaces left in {:?}", out);
    }

    #[test]
    fn line_keeps_every_visible_character_in_order(s in hostile_string()) {
        let visible = |t: &str| -> String {
            t.chars().filter(|&c| !c.is_whitespace() && !is_forbidden(c)).collect()
        };
        prop_assert_eq!(visible(&line(&s)), visible(&s));
    }

    #[test]
    fn text_keeps_newlines_and_tabs_and_nothing_forbidden(s in hostile_string()) {
        let out = text(&s);
        prop_assert!(is_clean_text(&out), "not clean: {:?}", out);
        prop_assert!(!out.chars().any(|c| is_forbidden(c) && c != '\n' && c != '\t'));
        // Every line break survives as one newline: LF, CR LF, a lone CR, NEL, U+2028, U+2029.
        let breaks = s.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')).count();
        prop_assert_eq!(out.matches('\n').count(), breaks);
        prop_assert_eq!(out.matches('\t').count(), s.matches('\t').count());
    }

    #[test]
    fn sanitising_is_idempotent(s in hostile_string()) {
        let once = line(&s);
        prop_assert_eq!(line(&once), once.clone());
        let once = text(&s);
        prop_assert_eq!(text(&once), once.clone());
        // Cleaning a text first loses nothing `line` would keep, except spacing: `line` turns
        // the forbidden separators NEL, U+2028 and U+2029 into a space, `text` drops them.
        let unspaced = |t: String| t.replace(' ', "");
        prop_assert_eq!(unspaced(line(&once)), unspaced(line(&s)));
        prop_assert_eq!(is_clean_text(&s), once == s);
    }

    #[test]
    fn printable_ascii_passes_unchanged(words in prop::collection::vec("[!-~]{1,12}", 0..12),
                                        body in "[ -~\n\t]{0,200}") {
        let single = words.join(" ");
        prop_assert_eq!(line(&single), single.clone());
        prop_assert_eq!(text(&body), body.clone());
        prop_assert!(is_clean_text(&body));
    }

    #[test]
    fn a_cleaned_line_only_draws_text_in_a_real_terminal(s in hostile_string()) {
        let out = line(&s);
        let (effects, term) = print_to_terminal(&out);
        prop_assert!(effects.is_empty(), "printing {:?} caused {:?}", out, effects);
        let screen = term.screen();
        prop_assert_eq!(screen.cursor_position().0, 0, "the cursor left the line: {:?}", out);
        prop_assert!(!screen.alternate_screen() && !screen.hide_cursor());
        // No colour, bold or other attribute was switched on.
        let fresh = vt100::Parser::default();
        prop_assert_eq!(screen.attributes_formatted(), fresh.screen().attributes_formatted());
        prop_assert_eq!(screen.input_mode_formatted(), fresh.screen().input_mode_formatted());
        // What is on screen is what was printed (spaces aside, which vt100 trims at the end).
        let visible: String = out.chars().filter(|c| !c.is_whitespace()).collect();
        let shown: String = screen.contents().chars().filter(|c| !c.is_whitespace()).collect();
        prop_assert_eq!(shown.chars().filter(char::is_ascii).collect::<String>(),
                        visible.chars().filter(char::is_ascii).collect::<String>());
    }

    #[test]
    fn a_cleaned_text_only_draws_text_and_line_breaks(s in hostile_string()) {
        let out = text(&s);
        let (effects, term) = print_to_terminal(&out.replace('\n', "\r\n"));
        prop_assert!(effects.is_empty(), "printing {:?} caused {:?}", out, effects);
        let fresh = vt100::Parser::default();
        prop_assert!(!term.screen().alternate_screen() && !term.screen().hide_cursor());
        prop_assert_eq!(term.screen().attributes_formatted(), fresh.screen().attributes_formatted());
    }
}

#[test]
fn the_generator_really_produces_hostile_input() {
    // Guards the properties above against a strategy that silently stopped generating what
    // they are about.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let samples: Vec<String> =
        (0..300).map(|_| hostile_string().new_tree(&mut runner).unwrap().current()).collect();
    let has = |p: &dyn Fn(char) -> bool| samples.iter().any(|s| s.chars().any(p));
    assert!(has(&|c| c == '\u{1b}'), "no ESC generated");
    assert!(has(&|c| ('\u{80}'..='\u{9f}').contains(&c)), "no C1 control generated");
    assert!(has(&|c| c == '\u{202e}' || ('\u{2066}'..='\u{2069}').contains(&c)), "no bidi generated");
    assert!(has(&|c| c == '\u{200d}'), "no ZWJ generated");
    assert!(has(&|c| ('\u{300}'..='\u{36f}').contains(&c)), "no combining mark generated");
    assert!(has(&|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "no CJK generated");
    assert!(has(&|c| c == '\u{7f}'), "no DEL generated");
    assert!(samples.iter().any(|s| !is_clean_text(s)), "nothing needed cleaning");
}

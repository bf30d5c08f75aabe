use std::collections::BTreeSet;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use super::*;

fn builtin(name: &str) -> Theme {
    match Theme::builtin(name) {
        Some(Ok(theme)) => theme,
        Some(Err(e)) => panic!("built-in theme {name} does not parse: {e}"),
        None => panic!("no built-in theme {name}"),
    }
}

fn invalid(text: &str) -> (usize, String, String) {
    match Theme::parse(Path::new("/cfg/themes/mine.toml"), text) {
        Err(e @ ThemeError::Invalid { line, .. }) => {
            let ThemeError::Invalid { message, .. } = &e else { unreachable!() };
            (line, message.clone(), e.to_string())
        }
        other => panic!("expected an invalid-file error, got {other:?}"),
    }
}

fn styles(theme: &Theme) -> Vec<(&'static str, Style)> {
    STYLE_NAMES.iter().map(|n| (*n, theme.style(n).unwrap())).collect()
}

#[test]
fn every_builtin_parses_and_names_every_style() {
    let all: BTreeSet<&str> = STYLE_NAMES.iter().copied().collect();
    for name in builtin_names() {
        let theme = builtin(name);
        assert_eq!(theme.name, *name);
        // Each file spells out every style, so none silently inherits `default`'s colours.
        let table: toml::Table = toml::from_str(builtin_text(name).unwrap()).unwrap();
        let named: BTreeSet<&str> = table["styles"].as_table().unwrap().keys().map(String::as_str).collect();
        assert_eq!(named, all, "themes/{name}.toml must set exactly the styles in STYLE_NAMES");
        assert_eq!(Theme::load(name, None).unwrap(), theme);
    }
}

#[test]
fn default_uses_only_the_16_ansi_colours() {
    for (name, style) in styles(&builtin("default")) {
        for colour in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(colour, Color::Indexed(_) | Color::Rgb(..) | Color::Reset),
                "default.{name} uses {colour:?}, which is not one of the terminal's 16 colours"
            );
            // These vanish on light (yellow, white, gray) or solarized-dark (dark_gray) backgrounds.
            if style.fg == Some(colour) && !style.add_modifier.contains(Modifier::REVERSED) {
                assert!(
                    !matches!(colour, Color::Yellow | Color::White | Color::Gray | Color::DarkGray),
                    "default.{name} uses {colour:?} as a text colour"
                );
            }
        }
    }
}

#[test]
fn mono_has_no_colour_and_a_visible_selection() {
    let mono = builtin("mono");
    for (name, style) in styles(&mono) {
        assert_eq!((style.fg, style.bg), (None, None), "mono.{name} has a colour");
    }
    assert_ne!(mono.selected, Style::new());
    assert_ne!(mono.selected_unfocused, Style::new());
    assert_ne!(mono.selected, mono.selected_unfocused);
}

#[test]
fn every_builtin_tells_apart_what_must_look_different() {
    for name in builtin_names() {
        let t = builtin(name);
        for (what, a, b) in [
            ("selected / plain", t.selected, Style::new()),
            ("selected_unfocused / plain", t.selected_unfocused, Style::new()),
            ("selected / selected_unfocused", t.selected, t.selected_unfocused),
            ("unread / read", t.unread, t.read),
            ("border_focused / border_unfocused", t.border_focused, t.border_unfocused),
            ("status / plain", t.status, Style::new()),
            ("status / status_error", t.status, t.status_error),
            ("heading / plain", t.heading, Style::new()),
            ("link / plain", t.link, Style::new()),
        ] {
            assert_ne!(a, b, "{name}: {what} look the same");
        }
    }
}

#[test]
fn user_file_overrides_a_builtin_and_inherits_missing_styles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.toml"), "[styles]\nunread = { fg = \"red\" }\n").unwrap();
    let theme = Theme::load("default", Some(dir.path())).unwrap();
    let shipped = builtin("default");
    // A named style replaces the built-in one whole (no bold mixed in)...
    assert_eq!(theme.unread, Style::new().fg(Color::Red));
    // ...and the styles the file leaves out are the built-in's.
    assert_eq!(theme.selected, shipped.selected);
    assert_eq!(theme.heading, shipped.heading);
    // A name with no user file still finds the built-in.
    assert_eq!(Theme::load("mono", Some(dir.path())).unwrap(), builtin("mono"));
}

#[test]
fn user_file_can_extend_another_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"mine\"\nextends = \"truecolor\"\n[styles.heading]\nfg = 208\nunderlined = true\n";
    std::fs::write(dir.path().join("mine.toml"), text).unwrap();
    let theme = Theme::load("mine", Some(dir.path())).unwrap();
    assert_eq!(theme.name, "mine");
    assert_eq!(theme.heading, Style::new().fg(Color::Indexed(208)).add_modifier(Modifier::UNDERLINED));
    assert_eq!(theme.selected, builtin("truecolor").selected);
}

#[test]
fn unknown_theme_lists_builtin_and_user_themes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("solarized.toml"), "").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    let err = Theme::load("nord", Some(dir.path())).unwrap_err().to_string();
    assert!(err.contains("\"nord\""), "{err}");
    assert!(err.contains("default, light, 256, truecolor, mono"), "{err}");
    assert!(err.contains("solarized") && !err.contains("notes"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    let err = Theme::load("nord", None).unwrap_err().to_string();
    assert!(err.contains("truecolor"), "{err}");
}

#[test]
fn an_empty_user_file_is_the_default_theme() {
    let theme = Theme::parse(Path::new("blank.toml"), "# nothing yet\n").unwrap();
    assert_eq!(theme, Theme { name: "blank".into(), ..builtin("default") });
}

#[test]
fn unknown_style_names_file_line_and_the_valid_styles() {
    let (line, message, shown) = invalid("name = \"mine\"\n[styles]\nunred = { bold = true }\n");
    assert_eq!(line, 3);
    assert!(message.contains("\"unred\"") && message.contains("selected_unfocused"), "{message}");
    assert!(shown.starts_with("/cfg/themes/mine.toml: line 3, column 1:"), "{shown}");
}

#[test]
fn bad_colours_name_the_line_and_the_valid_forms() {
    let (line, message, _) =
        invalid("[styles]\nunread = { bold = true }\n\nselected = { fg = \"purpel\" }\n");
    assert_eq!(line, 4);
    assert!(message.contains("\"purpel\"") && message.contains("light_cyan"), "{message}");

    let (line, message, _) = invalid("[styles]\nselected = { bg = 300 }\n");
    assert_eq!(line, 2);
    assert!(message.contains("300") && message.contains("0 to 255"), "{message}");

    let (_, message, _) = invalid("[styles]\nselected = { bg = \"#12345\" }\n");
    assert!(message.contains("#rrggbb"), "{message}");

    let (_, message, _) = invalid("[styles]\nselected = { bg = true }\n");
    assert!(message.contains("0-255"), "{message}");
}

#[test]
fn bad_shapes_are_errors_with_lines() {
    // A misspelt modifier.
    let (line, message, _) = invalid("[styles]\n\nunread = { blod = true }\n");
    assert_eq!(line, 3);
    assert!(message.contains("blod") && message.contains("bold"), "{message}");
    // A style that is not a table.
    let (line, message, _) = invalid("[styles]\nunread = \"bold\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("{ fg = \"cyan\", bold = true }"), "{message}");
    // A misspelt table: `[style]` would otherwise be ignored and the theme look unchanged.
    let (line, message, _) = invalid("name = \"x\"\n[style]\nunread = {}\n");
    assert_eq!(line, 2);
    assert!(message.contains("style"), "{message}");
    // A parent that is not built in.
    let (line, message, _) = invalid("extends = \"gruvbox\"\n");
    assert_eq!(line, 1);
    assert!(message.contains("\"gruvbox\"") && message.contains("truecolor"), "{message}");
    // Broken TOML.
    let (line, _, _) = invalid("[styles]\nunread = { bold = true\n");
    assert_eq!(line, 2);
}

#[test]
fn an_unreadable_user_file_is_an_error_not_a_fallback() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("default.toml")).unwrap();
    match Theme::load("default", Some(dir.path())) {
        Err(ThemeError::Unreadable { path, .. }) => assert!(path.ends_with("default.toml")),
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn without_colour_strips_colours_and_keeps_things_visible() {
    for name in builtin_names() {
        let theme = builtin(name).without_colour();
        for (style_name, style) in styles(&theme) {
            assert_eq!((style.fg, style.bg), (None, None), "{name}.{style_name} kept a colour");
        }
        assert_ne!(theme.selected, Style::new(), "{name}: the selection vanished");
        assert_ne!(theme.selected_unfocused, Style::new(), "{name}: the unfocused selection vanished");
        assert_ne!(theme.selected, theme.selected_unfocused, "{name}");
        assert_ne!(theme.status, Style::new(), "{name}: the status line vanished");
    }
    let t256 = builtin("256");
    let plain = t256.clone().without_colour();
    // Modifiers stay: `unread = { fg = 253, bold = true }` is still bold.
    assert_eq!(plain.unread, Style::new().add_modifier(Modifier::BOLD));
    // Colour-only styles take mono's: `selected = { fg = 231, bg = 24 }` becomes reversed.
    assert_eq!(plain.selected, builtin("mono").selected);
    // Styles that were plain stay plain.
    assert_eq!(plain.emphasis, t256.emphasis);
}

#[test]
fn no_color_means_set_and_not_empty() {
    use std::ffi::OsStr;
    assert!(!no_color_in(None));
    assert!(!no_color_in(Some(OsStr::new(""))));
    assert!(no_color_in(Some(OsStr::new("1"))));
    assert!(no_color_in(Some(OsStr::new("0"))));
}

#[test]
fn accessors_read_the_builtin_default_until_one_is_installed() {
    // No test installs a theme: install is process-wide and would leak into every render test.
    let shipped = builtin("default");
    assert_eq!(*current(), shipped);
    assert_eq!(unread(), shipped.unread);
    assert_eq!(selected(), Style::new().add_modifier(Modifier::REVERSED));
    assert_eq!(border(true), shipped.border_focused);
    assert_eq!(border(false), shipped.border_unfocused);
    assert_eq!(Theme::default(), shipped);
}

//! The theme file format: TOML text to a `Theme`, with errors naming the file, the line and
//! what is wrong.
//!
//! ```toml
//! name = "mine"          # optional, for the reader of the file
//! extends = "truecolor"  # optional: the built-in that unnamed styles come from (default: "default")
//! [styles]
//! unread = { bold = true }
//! selected = { fg = "black", bg = 110 }
//! heading = { fg = "#d08770", bold = true, underlined = true }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::{builtin_names, Theme, STYLE_NAMES};

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{path}: line {line}, column {column}: {message}")]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: cannot be read: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("there is no theme {name:?}. {}", choices(.user_dir.as_deref(), .user_names))]
    Unknown { name: String, user_dir: Option<PathBuf>, user_names: Vec<String> },
}

/// What to set `theme` to instead: the built-ins, then the user's files.
fn choices(user_dir: Option<&Path>, user_names: &[String]) -> String {
    let mut out = format!("Set theme in config.toml to a built-in theme ({})", builtin_names().join(", "));
    if let Some(dir) = user_dir {
        out.push_str(&format!(" or to the name of a file NAME.toml in {}", dir.display()));
        if user_names.is_empty() {
            out.push_str(" (there are none yet)");
        } else {
            out.push_str(&format!(" (there: {})", user_names.join(", ")));
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// Informational: the theme is known by its file name.
    #[serde(rename = "name")]
    _name: Option<String>,
    extends: Option<Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, StyleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a style table such as { fg = \"cyan\", bold = true }")]
struct StyleSpec {
    fg: Option<Colour>,
    bg: Option<Colour>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

impl StyleSpec {
    fn style(&self) -> Style {
        let mut style = Style::new();
        if let Some(Colour(c)) = self.fg {
            style = style.fg(c);
        }
        if let Some(Colour(c)) = self.bg {
            style = style.bg(c);
        }
        for (on, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(modifier);
            }
        }
        style
    }
}

/// The colour names a theme may use, as ratatui names them. The terminal's palette decides
/// what they look like; `gray` is ANSI 7 ("white" in most palettes) and `white` is ANSI 15.
const COLOUR_NAMES: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
];

/// A colour value: a name, an integer 0-255 (the 256-colour palette) or "#rrggbb".
struct Colour(Color);

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Colour, D::Error> {
        deserializer.deserialize_any(ColourVisitor)
    }
}

struct ColourVisitor;

impl Visitor<'_> for ColourVisitor {
    type Value = Colour;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a colour name, an integer 0-255 or \"#rrggbb\"")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Colour, E> {
        u8::try_from(n)
            .map(|i| Colour(Color::Indexed(i)))
            .map_err(|_| E::custom(format!("colour {n} is out of range: indexed colours are 0 to 255")))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Colour, E> {
        self.visit_i64(i64::try_from(n).unwrap_or(i64::MAX))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Colour, E> {
        parse_colour(s).map(Colour).map_err(E::custom)
    }
}

fn parse_colour(s: &str) -> Result<Color, String> {
    if let Some(hex) = s.strip_prefix('#') {
        let channel = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
        return match (hex.len(), channel(0), channel(2), channel(4)) {
            (6, Some(r), Some(g), Some(b)) => Ok(Color::Rgb(r, g, b)),
            _ => Err(format!("{s:?} is not a colour: write RGB colours as \"#rrggbb\", e.g. \"#88c0d0\"")),
        };
    }
    let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    match COLOUR_NAMES.iter().find(|(name, _)| *name == wanted) {
        Some((_, colour)) => Ok(*colour),
        None => {
            let names: Vec<&str> = COLOUR_NAMES.iter().map(|(name, _)| *name).collect();
            Err(format!(
                "unknown colour {s:?}: use one of {}, an integer 0-255 or \"#rrggbb\"",
                names.join(", ")
            ))
        }
    }
}

/// Reads theme text onto a base: the built-in named by `extends`, else `default_base()`.
pub(super) fn read(
    name: &str,
    path: &Path,
    text: &str,
    default_base: impl FnOnce() -> Result<Theme, ThemeError>,
) -> Result<Theme, ThemeError> {
    let invalid = |offset: usize, message: String| {
        let (line, column) = line_and_column(text, offset);
        ThemeError::Invalid { path: path.to_owned(), line, column, message }
    };
    let file: ThemeFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        invalid(offset, e.message().trim().to_owned())
    })?;
    let mut theme = match &file.extends {
        None => default_base()?,
        Some(parent) => match Theme::builtin(parent.get_ref()) {
            Some(theme) => theme?,
            None => {
                return Err(invalid(
                    parent.span().start,
                    format!(
                        "extends = {:?}: there is no built-in theme of that name; use one of {}",
                        parent.get_ref(),
                        builtin_names().join(", ")
                    ),
                ))
            }
        },
    };
    theme.name = name.to_owned();
    for (key, spec) in &file.styles {
        match theme.style_mut(key.get_ref()) {
            // A named style replaces the inherited one whole: mixing in the base's modifiers
            // would make `selected = { bg = 24 }` silently stay reversed as well.
            Some(style) => *style = spec.style(),
            None => {
                return Err(invalid(
                    key.span().start,
                    format!("unknown style {:?}; the styles are: {}", key.get_ref(), STYLE_NAMES.join(", ")),
                ))
            }
        }
    }
    Ok(theme)
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_in_every_form() {
        assert_eq!(parse_colour("light_red"), Ok(Color::LightRed));
        assert_eq!(parse_colour("Dark-Gray"), Ok(Color::DarkGray));
        assert_eq!(parse_colour("reset"), Ok(Color::Reset));
        assert_eq!(parse_colour("#88c0D0"), Ok(Color::Rgb(0x88, 0xc0, 0xd0)));
        assert!(parse_colour("#88c0d").is_err());
        assert!(parse_colour("#88c0dz").is_err());
        assert!(parse_colour("#ééé").is_err());
        let err = parse_colour("purple").unwrap_err();
        assert!(err.contains("\"purple\"") && err.contains("light_magenta"), "{err}");
    }

    #[test]
    fn line_and_column_count_from_one() {
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("ab", 0), (1, 1));
    }
}

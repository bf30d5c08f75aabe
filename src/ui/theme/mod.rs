//! Named styles; colours live here and nowhere else.
//!
//! Contract: a `Theme` holds one `Style` per named element of the reader and the article
//! renderer. Themes are TOML files (`themes/*.toml` are built in; a user's
//! `$XDG_CONFIG_HOME/tidings/themes/NAME.toml` wins over a built-in of the same name), and a
//! style a file leaves out comes from the built-in `default`. `install` makes one theme the
//! process-wide theme that the accessor functions (`theme::unread()`, ...) read; until then they
//! read the built-in `default`, so tests and `TestBackend` renders need no setup.

mod file;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ratatui::style::{Modifier, Style};

pub(crate) use file::ThemeError;

/// Declares the styles once: the `Theme` fields, `STYLE_NAMES` (the keys a theme file may set
/// under `[styles]`) and the accessor functions all come from this list, so they cannot drift
/// apart. A style marked `: no_accessor` is read from the `Theme` only (the article styles go
/// to the renderer through `article_styles`, the borders through `border`), so it gets no
/// accessor function that nothing would call.
macro_rules! styles {
    ($($(#[doc = $doc:literal])+ $field:ident $(: $marker:ident)?,)+) => {
        /// Every named style of the reader. Fields are the names a theme file uses.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) struct Theme {
            /// The name the theme was loaded by (`default`, `mono`, a user file's stem...).
            pub(crate) name: String,
            $($(#[doc = $doc])+ pub $field: Style,)+
        }

        /// The style names a theme file may set under `[styles]`, in declaration order.
        pub(crate) const STYLE_NAMES: &[&str] = &[$(stringify!($field)),+];

        impl Theme {
            /// Every style plain; the base only a broken built-in `default` would fall back to.
            fn plain(name: &str) -> Theme {
                Theme { name: name.to_owned(), $($field: Style::new(),)+ }
            }

            /// The style called `name` in theme files, if there is one.
            pub(crate) fn style(&self, name: &str) -> Option<Style> {
                match name {
                    $(stringify!($field) => Some(self.$field),)+
                    _ => None,
                }
            }

            fn style_mut(&mut self, name: &str) -> Option<&mut Style> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)+
                    _ => None,
                }
            }
        }

        styles!(@accessors $($(#[doc = $doc])+ $field $(: $marker)?,)+);
    };
    (@accessors) => {};
    (@accessors $(#[doc = $doc:literal])+ $field:ident: no_accessor, $($rest:tt)*) => {
        styles!(@accessors $($rest)*);
    };
    (@accessors $(#[doc = $doc:literal])+ $field:ident, $($rest:tt)*) => {
        $(#[doc = $doc])+
        pub(crate) fn $field() -> Style {
            current().$field
        }
        styles!(@accessors $($rest)*);
    };
}

styles! {
    /// Feeds and articles with unread articles (the whole line).
    unread,
    /// Articles already read (the whole line); plain in most themes.
    read,
    /// The selected line in the focused pane, patched over the line's own style.
    selected,
    /// The selected line in a pane without focus, so the selection stays visible but quieter.
    selected_unfocused,
    /// Error text inside a pane.
    error: no_accessor,
    /// Secondary text: hints, "loading…", the title of an unfocused pane.
    dim,
    /// The border of the focused pane.
    border_focused: no_accessor,
    /// The borders of the other panes.
    border_unfocused: no_accessor,
    /// The labels of the article header (`Feed:`, `Date:`...).
    header_label,
    /// The article's title and the focused pane's title.
    title,
    /// The status line.
    status,
    /// The status line when it reports an error.
    status_error,
    /// The `!` marker (and, if wanted, the title) of a feed whose last fetch failed.
    feed_failing,
    /// The star of a starred article.
    starred,
    /// The unread/total counts in the feeds pane.
    unread_count,
    /// The input line of the `/` filter and the `a` add prompt.
    prompt,
    /// Keys in the help pane.
    help_key,
    /// Descriptions in the help pane.
    help_text,
    /// A feed's health when its last fetch worked.
    health_ok,
    /// A feed's health when its last fetch failed.
    health_failed,
    /// The part of a title that matches the `/` filter.
    match_highlight,
    /// Article: headings (h1-h6).
    heading: no_accessor,
    /// Article: `<strong>`, `<b>`.
    strong: no_accessor,
    /// Article: `<em>`, `<i>`.
    emphasis: no_accessor,
    /// Article: inline `<code>`.
    code: no_accessor,
    /// Article: `<pre>` blocks.
    preformatted: no_accessor,
    /// Article: block quotes.
    quote: no_accessor,
    /// Article: link text and link numbers.
    link: no_accessor,
    /// Article: image placeholders (`[image: alt]`).
    image: no_accessor,
    /// Article: horizontal rules.
    rule: no_accessor,
    /// Article: list bullets and numbers.
    list_marker: no_accessor,
    /// Article: notes from tidings itself ("the rest is not shown", "no text").
    note: no_accessor,
}

/// The border of a pane: `border_focused` or `border_unfocused`.
pub(crate) fn border(focused: bool) -> Style {
    let theme = current();
    if focused {
        theme.border_focused
    } else {
        theme.border_unfocused
    }
}

static INSTALLED: OnceLock<Theme> = OnceLock::new();
static BUILTIN_DEFAULT: OnceLock<Theme> = OnceLock::new();

/// Makes `theme` the one the accessor functions read, for the rest of the process. Call it once
/// at startup, after loading the config and before the first draw. A later call is ignored:
/// a `OnceLock` keeps every style lookup lock-free, and no feature switches themes live yet.
pub(crate) fn install(theme: Theme) {
    // Ignoring the refusal is the documented behaviour above, not a lost error.
    let _ = INSTALLED.set(theme);
}

/// The installed theme, else the built-in `default`.
pub(crate) fn current() -> &'static Theme {
    INSTALLED.get().unwrap_or_else(|| BUILTIN_DEFAULT.get_or_init(Theme::builtin_default))
}

/// The names of the built-in themes, `default` first.
pub(crate) fn builtin_names() -> &'static [&'static str] {
    &["default", "light", "256", "truecolor", "mono"]
}

/// The text of a built-in theme file.
fn builtin_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "default" => include_str!("../../../themes/default.toml"),
        "light" => include_str!("../../../themes/light.toml"),
        "256" => include_str!("../../../themes/256.toml"),
        "truecolor" => include_str!("../../../themes/truecolor.toml"),
        "mono" => include_str!("../../../themes/mono.toml"),
        _ => return None,
    })
}

/// True when the user asked for no colour: `NO_COLOR` set and not empty (no-color.org).
pub(crate) fn no_color_requested() -> bool {
    no_color_in(std::env::var_os("NO_COLOR").as_deref())
}

fn no_color_in(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

impl Default for Theme {
    /// The built-in `default` theme.
    fn default() -> Theme {
        Theme::builtin_default()
    }
}

impl Theme {
    /// Loads the theme called `name`: `NAME.toml` in `user_themes_dir` if it exists, else the
    /// built-in of that name. An unknown name is an error listing every theme there is.
    pub(crate) fn load(name: &str, user_themes_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        if let Some(dir) = user_themes_dir {
            let path = dir.join(format!("{name}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => return Theme::parse_named(name, &path, &text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(ThemeError::Unreadable { path, source }),
            }
        }
        match Theme::builtin(name) {
            Some(theme) => theme,
            None => Err(ThemeError::Unknown {
                name: name.to_owned(),
                user_dir: user_themes_dir.map(Path::to_owned),
                user_names: user_theme_names(user_themes_dir),
            }),
        }
    }

    /// Reads theme file text; `path` names the file in errors and its stem names the theme.
    /// Styles the file leaves out come from the built-in named by `extends`, else `default`.
    #[cfg(test)]
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Theme, ThemeError> {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Theme::parse_named(&name, path, text)
    }

    fn parse_named(name: &str, path: &Path, text: &str) -> Result<Theme, ThemeError> {
        file::read(name, path, text, || Theme::builtin("default").unwrap_or_else(|| Ok(Theme::fallback())))
    }

    /// A built-in theme, or `None` if there is no built-in called `name`.
    pub(crate) fn builtin(name: &str) -> Option<Result<Theme, ThemeError>> {
        let text = builtin_text(name)?;
        let path = PathBuf::from(format!("themes/{name}.toml (built in)"));
        Some(if name == "default" {
            file::read(name, &path, text, || Ok(Theme::fallback()))
        } else {
            Theme::parse_named(name, &path, text)
        })
    }

    fn builtin_default() -> Theme {
        // The shipped file is checked by the tests; were it ever broken, the reader still draws
        // with a usable selection instead of refusing to start.
        match Theme::builtin("default") {
            Some(Ok(theme)) => theme,
            _ => Theme::fallback(),
        }
    }

    /// Plain styles except what the reader cannot do without: a visible selection and status
    /// line, and bold unread items.
    fn fallback() -> Theme {
        let mut theme = Theme::plain("default");
        theme.selected = Style::new().add_modifier(Modifier::REVERSED);
        theme.selected_unfocused = Style::new().add_modifier(Modifier::UNDERLINED);
        theme.status = Style::new().add_modifier(Modifier::REVERSED);
        theme.unread = Style::new().add_modifier(Modifier::BOLD);
        theme
    }

    /// The same theme with every foreground and background colour removed (for `NO_COLOR`).
    /// Modifiers stay. A style that told things apart by colour alone (a selection shown only
    /// by its background, say) takes the built-in `mono` style of the same name instead, so
    /// nothing that was visible disappears.
    pub(crate) fn without_colour(mut self) -> Theme {
        let mono = match Theme::builtin("mono") {
            Some(Ok(theme)) => theme,
            _ => Theme::fallback(),
        };
        for name in STYLE_NAMES {
            let (Some(style), Some(mono_style)) = (self.style_mut(name), mono.style(name)) else {
                continue;
            };
            let had_colour = style.fg.is_some() || style.bg.is_some();
            style.fg = None;
            style.bg = None;
            if had_colour && style.add_modifier.is_empty() {
                *style = mono_style;
            }
        }
        self
    }
}

/// The stems of the `*.toml` files in the user's themes directory, sorted; none if it cannot
/// be read (it usually does not exist).
fn user_theme_names(dir: Option<&Path>) -> Vec<String> {
    let Some(entries) = dir.and_then(|d| std::fs::read_dir(d).ok()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// The installed theme's styles for article bodies (the renderer's own defaults for what no
/// theme names, such as strikeout).
pub(crate) fn article_styles() -> crate::render::ArticleStyles {
    let t = current();
    crate::render::ArticleStyles {
        heading: t.heading,
        strong: t.strong,
        emphasis: t.emphasis,
        code: t.code,
        preformatted: t.preformatted,
        quote: t.quote,
        link: t.link,
        image: t.image,
        rule: t.rule,
        list_marker: t.list_marker,
        note: t.note,
        ..Default::default()
    }
}

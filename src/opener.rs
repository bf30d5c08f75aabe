//! Opens links from articles in the browser and copies them to the clipboard, safely.
//!
//! Contract: a link comes from a feed, so it is hostile until checked. `Opener::check` lets
//! through only a parseable URL whose scheme is in `open_schemes`, with no control or
//! text-direction characters, and returns it normalised (so it can never begin with `-`).
//! The browser is run from an argument vector, never through a shell, with the URL as exactly
//! one argument after the configured ones. Clipboard writes pass the text on stdin or
//! base64-encoded, never as an argument or raw on the terminal.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::Config;

/// Why a link was not opened or copied; each message says what the user can do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the link is empty")]
    Empty,
    #[error(
        "refused a link containing U+{code:04X} (a control or text-direction character can disguise where a link goes)"
    )]
    HiddenCharacter { code: u32 },
    #[error("refused a link that starts with '-' (the browser would read it as an option)")]
    OptionLike,
    #[error("cannot open {link}: not a URL ({reason})")]
    NotAUrl { link: String, reason: url::ParseError },
    #[error(
        "refused to open a `{scheme}:` link; to allow it, add \"{scheme}\" to open_schemes in config.toml"
    )]
    Scheme { scheme: String },
    #[error("cannot run `{program}`: {reason}; set browser = [\"your-browser\"] in config.toml")]
    CannotRun { program: String, reason: String },
    #[error("no clipboard program worked ({tried}); install wl-clipboard (Wayland) or xclip or xsel (X11)")]
    NoClipboard { tried: String },
}

/// How links are opened: which program, whether it runs in this terminal, which schemes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opener {
    /// Program and its arguments; the URL is appended. Never empty.
    argv: Vec<String>,
    in_terminal: bool,
    /// Lowercase scheme names.
    schemes: Vec<String>,
}

impl Opener {
    /// The browser is `browser` from config.toml, else `$BROWSER`, else the desktop's opener.
    pub fn from_config(config: &Config) -> Opener {
        let env_browser = std::env::var("BROWSER").ok();
        Opener {
            argv: browser_argv(config.browser.as_deref(), env_browser.as_deref()),
            in_terminal: config.browser_in_terminal,
            schemes: config.open_schemes.iter().map(|s| s.to_ascii_lowercase()).collect(),
        }
    }

    /// The browser runs in this terminal (w3m, lynx): the reader must leave the alternate
    /// screen, run `command(url).status()`, and come back.
    pub fn in_terminal(&self) -> bool {
        self.in_terminal
    }

    /// The program that will be run, for messages.
    pub(crate) fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    /// The URL to hand to the browser or clipboard, or why `link` must not be opened.
    pub fn check(&self, link: &str) -> Result<String, OpenError> {
        check_link(link, &self.schemes)
    }

    /// The browser command for `url`, which must come from `check`: the configured program
    /// and arguments, then the URL as one argument. No shell is involved.
    pub fn command(&self, url: &str) -> Command {
        let mut command = Command::new(self.program());
        command.args(self.argv.iter().skip(1)).arg(url);
        command
    }

    /// Checks `link` and starts the (GUI) browser on it without waiting. The browser gets no
    /// terminal: its stdin, stdout and stderr are null so it cannot scribble on the reader,
    /// and it runs in its own process group so closing the terminal does not take it down. A
    /// thread waits for it, so no zombie is left behind.
    pub fn open_detached(&self, link: &str) -> Result<(), OpenError> {
        let url = self.check(link)?;
        let mut command = self.command(&url);
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| cannot_run(self.program(), &e))?;
        // `xdg-open` exits at once after handing over; a browser run directly may live long.
        // If no thread can be started, the child is reaped when tidings exits.
        let _ = std::thread::Builder::new().name("browser-reaper".into()).spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}

/// `Opener::check` for a list of allowed schemes (lowercase), `open_schemes` from config.toml:
/// the normalised URL, or why `link` must not be opened. The reader also uses it to decide
/// which links to write as OSC 8 hyperlinks, so a click opens only what `o` would.
pub(crate) fn check_link(link: &str, schemes: &[String]) -> Result<String, OpenError> {
    // Checked before parsing: the url crate silently drops tabs and newlines and
    // percent-encodes the rest, which would hide what the feed tried.
    if let Some(c) = link.chars().find(|&c| c.is_control() || disguises_text(c)) {
        return Err(OpenError::HiddenCharacter { code: u32::from(c) });
    }
    let link = link.trim();
    if link.is_empty() {
        return Err(OpenError::Empty);
    }
    if link.starts_with('-') {
        return Err(OpenError::OptionLike);
    }
    let url =
        url::Url::parse(link).map_err(|reason| OpenError::NotAUrl { link: quoted_excerpt(link), reason })?;
    let scheme = url.scheme();
    if !schemes.iter().any(|s| s == scheme) {
        return Err(OpenError::Scheme { scheme: scheme.to_owned() });
    }
    // A parsed URL starts with its scheme, a letter, so it cannot be taken for an option.
    Ok(url.into())
}

fn browser_argv(configured: Option<&[String]>, env_browser: Option<&str>) -> Vec<String> {
    if let Some(argv) = configured.filter(|a| a.first().is_some_and(|p| !p.is_empty())) {
        return argv.to_vec();
    }
    // $BROWSER is split on whitespace only: no quotes, no `%s`, nothing a shell would do.
    let from_env: Vec<String> = env_browser.unwrap_or("").split_whitespace().map(str::to_owned).collect();
    if !from_env.is_empty() {
        return from_env;
    }
    let desktop_opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    vec![desktop_opener.to_owned()]
}

fn cannot_run(program: &str, error: &std::io::Error) -> OpenError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    };
    OpenError::CannotRun { program: program.to_owned(), reason }
}

/// Characters that reorder or break how text is shown (bidi marks, overrides and isolates;
/// line and paragraph separators), so a link could read as something it is not.
fn disguises_text(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The start of a link, quoted and escaped, for an error message shown in the status line.
fn quoted_excerpt(link: &str) -> String {
    const MAX: usize = 60;
    let mut excerpt: String = link.chars().take(MAX).collect();
    if link.chars().nth(MAX).is_some() {
        excerpt.push('…');
    }
    format!("{excerpt:?}")
}

/// The OSC 52 sequence that asks the terminal to put `text` on the system clipboard. It
/// works over SSH and needs no program, but terminals may ignore it, so `y` also tries
/// `copy_to_local_clipboard`. Write it straight to the terminal (not into a ratatui buffer).
///
/// Inside tmux (`$TMUX` set) the plain sequence is followed by the same one wrapped for
/// tmux's passthrough: tmux ≥ 3.3 with `set-clipboard on` takes the plain one itself (and
/// forwards it to the outer terminal), while older tmux, or any tmux with
/// `allow-passthrough on`, forwards only the wrapped one. A tmux that takes both sets the
/// clipboard twice to the same text; with tmux's defaults (`set-clipboard external`,
/// passthrough off) both are dropped and only the local clipboard program helps.
pub(crate) fn osc52(text: &str) -> String {
    osc52_for(text, std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()))
}

fn osc52_for(text: &str, in_tmux: bool) -> String {
    let plain = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if !in_tmux {
        return plain;
    }
    // tmux passthrough: DCS "tmux;" + the sequence with every ESC doubled + ST.
    let wrapped = format!("\x1bPtmux;{}\x1b\\", plain.replace('\x1b', "\x1b\x1b"));
    plain + &wrapped
}

/// Standard base64 with padding (RFC 4648); OSC 52 needs nothing more.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A clipboard program: the argv that reads the text to copy from stdin.
struct ClipboardTool<'a> {
    program: &'static str,
    args: &'a [&'a str],
}

/// How long a clipboard program may take; one that hangs (an unreachable X server) is killed.
const CLIPBOARD_TIMEOUT: Duration = Duration::from_secs(3);

/// Puts `text` on the desktop's clipboard with the first program that works: `wl-copy` on
/// Wayland, `xclip` or `xsel` on X11, `pbcopy` on macOS. Returns the program used. Blocks
/// for up to a few seconds: call it off the UI task.
pub(crate) fn copy_to_local_clipboard(text: &str) -> Result<&'static str, OpenError> {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    let tools = clipboard_tools(set("WAYLAND_DISPLAY"), set("DISPLAY"), cfg!(target_os = "macos"));
    copy_with(&tools, text, CLIPBOARD_TIMEOUT)
}

fn clipboard_tools(wayland: bool, x11: bool, macos: bool) -> Vec<ClipboardTool<'static>> {
    let mut tools = Vec::new();
    if wayland {
        tools.push(ClipboardTool { program: "wl-copy", args: &[] });
    }
    if x11 {
        tools.push(ClipboardTool { program: "xclip", args: &["-selection", "clipboard"] });
        tools.push(ClipboardTool { program: "xsel", args: &["--clipboard", "--input"] });
    }
    if macos {
        tools.push(ClipboardTool { program: "pbcopy", args: &[] });
    }
    tools
}

fn copy_with(tools: &[ClipboardTool], text: &str, timeout: Duration) -> Result<&'static str, OpenError> {
    if tools.is_empty() {
        return Err(OpenError::NoClipboard {
            tried: "none: neither WAYLAND_DISPLAY nor DISPLAY is set".to_owned(),
        });
    }
    let mut tried = Vec::new();
    for tool in tools {
        match run_clipboard_tool(tool, text, timeout) {
            Ok(()) => return Ok(tool.program),
            Err(why) => tried.push(format!("{}: {why}", tool.program)),
        }
    }
    Err(OpenError::NoClipboard { tried: tried.join("; ") })
}

fn run_clipboard_tool(tool: &ClipboardTool, text: &str, timeout: Duration) -> Result<(), String> {
    let mut child = Command::new(tool.program)
        .args(tool.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "not installed".to_owned(),
            _ => e.to_string(),
        })?;
    let written = match child.stdin.take() {
        // Dropping stdin closes it, which tells the program the text is complete.
        Some(mut stdin) => stdin.write_all(text.as_bytes()).map_err(|e| e.to_string()),
        None => Err("no stdin".to_owned()),
    };
    // wl-copy, xclip and xsel fork to serve the selection and the parent exits at once;
    // waiting for that parent is quick unless the display does not answer.
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("did not finish in time".to_owned());
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    written?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opener() -> Opener {
        Opener::from_config(&Config { browser: Some(vec!["true".into()]), ..Config::default() })
    }

    /// The inverse of `base64`, so the tests do not trust the encoder to check itself.
    fn decode_base64(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'+' => 62,
                b'/' => 63,
                _ => panic!("not base64: {c}"),
            }
        };
        assert_eq!(text.len() % 4, 0, "{text}");
        let mut out = Vec::new();
        for quad in text.as_bytes().chunks(4) {
            let data: Vec<u8> = quad.iter().copied().filter(|&c| c != b'=').collect();
            let n = data.iter().enumerate().fold(0, |n, (i, &c)| n | value(c) << (18 - 6 * i));
            for i in 0..data.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        out
    }

    #[test]
    fn base64_matches_rfc_4648_and_round_trips() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        let all_bytes: Vec<u8> = (0..=255).chain((0..=255).rev()).collect();
        for len in 0..all_bytes.len() {
            assert_eq!(decode_base64(&base64(&all_bytes[..len])), &all_bytes[..len], "{len}");
        }
    }

    #[test]
    fn osc52_carries_the_text_base64_encoded() {
        let text = "https://example.com/ä?q=1\x1b]0;evil\x07";
        let seq = osc52_for(text, false);
        let payload = seq.strip_prefix("\x1b]52;c;").and_then(|s| s.strip_suffix('\x07')).unwrap();
        assert_eq!(decode_base64(payload), text.as_bytes());
        assert!(!payload.contains('\x1b') && !payload.contains('\x07'));
    }

    #[test]
    fn osc52_in_tmux_adds_a_passthrough_copy() {
        let plain = osc52_for("hi", false);
        assert_eq!(plain, "\x1b]52;c;aGk=\x07");
        let tmux = osc52_for("hi", true);
        assert_eq!(tmux, format!("{plain}\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"));
    }

    #[test]
    fn check_accepts_web_and_mail_links_and_normalises_them() {
        let o = opener();
        assert_eq!(o.check("https://example.com").unwrap(), "https://example.com/");
        assert_eq!(o.check("  HTTP://Example.COM/a b  ").unwrap(), "http://example.com/a%20b");
        assert_eq!(o.check("mailto:someone@example.com").unwrap(), "mailto:someone@example.com");
        assert_eq!(o.check("https://bücher.example/ü").unwrap(), "https://xn--bcher-kva.example/%C3%BC");
    }

    #[test]
    fn check_refuses_other_schemes_naming_the_config_key() {
        let o = opener();
        for (link, scheme) in [
            ("file:///etc/passwd", "file"),
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            ("data:text/html,<script>alert(1)</script>", "data"),
            ("ftp://example.com/x", "ftp"),
        ] {
            let err = o.check(link).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "refused to open a `{scheme}:` link; to allow it, add \"{scheme}\" to open_schemes in config.toml"
                )
            );
        }
        let ftp = Opener::from_config(&Config { open_schemes: vec!["FTP".into()], ..Config::default() });
        assert_eq!(ftp.check("ftp://example.com/x").unwrap(), "ftp://example.com/x");
        assert!(ftp.check("https://example.com/").is_err(), "only the listed schemes");
    }

    #[test]
    fn check_refuses_hidden_characters_options_and_nonsense() {
        let o = opener();
        for (link, code) in [
            ("https://x/\x1b]8;;evil\x07", 0x1b),
            ("https://x/a\nb", 0x0a),
            ("https://x/\t", 0x09),
            ("https://x/\u{7f}", 0x7f),
            ("https://x/\u{9b}", 0x9b),
            ("https://x/\u{202e}gpj.exe", 0x202e),
            ("https://x/\u{2067}", 0x2067),
            ("https://x/\u{2028}", 0x2028),
        ] {
            match o.check(link) {
                Err(OpenError::HiddenCharacter { code: c }) => assert_eq!(c, code, "{link:?}"),
                other => panic!("{link:?}: {other:?}"),
            }
        }
        assert!(matches!(o.check("-oProxyCommand=x"), Err(OpenError::OptionLike)));
        assert!(matches!(o.check(" --new-window"), Err(OpenError::OptionLike)));
        assert!(matches!(o.check(""), Err(OpenError::Empty)));
        assert!(matches!(o.check("   "), Err(OpenError::Empty)));
        let err = o.check("/relative/path").unwrap_err().to_string();
        assert!(err.starts_with("cannot open \"/relative/path\": not a URL"), "{err}");
    }

    #[test]
    fn the_browser_comes_from_config_then_browser_then_the_desktop() {
        let configured = vec!["firefox".to_owned(), "--new-tab".to_owned()];
        assert_eq!(browser_argv(Some(&configured), Some("lynx")), configured);
        assert_eq!(browser_argv(None, Some("  w3m   -N ")), ["w3m", "-N"]);
        assert_eq!(browser_argv(None, Some("sh -c 'touch x'")), ["sh", "-c", "'touch", "x'"]);
        let desktop = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
        assert_eq!(browser_argv(None, Some("   ")), [desktop]);
        assert_eq!(browser_argv(None, None), [desktop]);
    }

    #[test]
    fn the_command_is_the_argv_then_the_url() {
        let o = Opener::from_config(&Config {
            browser: Some(vec!["w3m".into(), "-N".into()]),
            browser_in_terminal: true,
            ..Config::default()
        });
        assert!(o.in_terminal());
        let command = o.command("https://x/;a b");
        assert_eq!(command.get_program(), "w3m");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, ["-N", "https://x/;a b"]);
    }

    #[test]
    fn no_clipboard_program_is_an_error_that_says_what_to_install() {
        let err = copy_with(&clipboard_tools(false, false, false), "x", CLIPBOARD_TIMEOUT).unwrap_err();
        assert!(err.to_string().contains("neither WAYLAND_DISPLAY nor DISPLAY"), "{err}");
        let missing = [ClipboardTool { program: "tidings-no-such-clipboard-tool", args: &[] }];
        let err = copy_with(&missing, "x", CLIPBOARD_TIMEOUT).unwrap_err().to_string();
        assert!(
            err.contains("tidings-no-such-clipboard-tool: not installed") && err.contains("xclip"),
            "{err}"
        );
        assert_eq!(
            clipboard_tools(true, true, false).iter().map(|t| t.program).collect::<Vec<_>>(),
            ["wl-copy", "xclip", "xsel"]
        );
    }

    #[test]
    fn a_clipboard_program_gets_the_text_on_stdin() {
        // `tee` stands in for xclip: it copies its stdin to the file named by its argument,
        // which is how the test sees exactly what the program was given. `false` fails first.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("clipboard");
        let out_arg = out.to_str().unwrap();
        let tools = [
            ClipboardTool { program: "false", args: &[] },
            ClipboardTool { program: "tee", args: &[out_arg] },
        ];
        let text = "https://x/$(touch y) 'q' \"d\"\n";
        assert_eq!(copy_with(&tools, text, CLIPBOARD_TIMEOUT).unwrap(), "tee");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
    }

    #[test]
    fn a_clipboard_program_that_hangs_is_given_up_on() {
        let tools = [ClipboardTool { program: "sleep", args: &["30"] }];
        let err = copy_with(&tools, "x", Duration::from_millis(50)).unwrap_err().to_string();
        assert!(err.contains("sleep: did not finish in time"), "{err}");
    }
}

//! A feed's request options (User-Agent, Referer, extra headers, proxy) as the user writes
//! them: the checks that `tidings add` / `tidings set` and the reader's request options
//! prompt share, and that prompt's line, written in the command line's own flags
//! (`--user-agent "UA" --referer URL --header "Name: value" --proxy URL|none`).
//!
//! Contract: every error names the flag and says how to write it; a header's value is never
//! echoed (it is often a token or a cookie). Nothing here touches the network or the disk: a
//! proxy is read by the fetcher's own parser, no client is built, so the reader can check a
//! line as it is submitted.

use crate::sanitize;
use crate::store::FeedOptions;

/// Why options were refused: one line for the user (the CLI prints it, the reader's status
/// line shows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OptionsError(String);

type Result<T> = std::result::Result<T, OptionsError>;

macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err(OptionsError(format!($($arg)*)))
    };
}

/// How a `--header` is written, for error messages.
const HEADER_EXAMPLE: &str = "write it as \"Name: value\", e.g. --header \"Authorization: Bearer TOKEN\"";

/// The flags a line may hold, for the error about one it does not know.
const KNOWN_FLAGS: &str = "--user-agent UA, --referer URL, --header \"Name: value\" (repeatable), \
                           --proxy URL|none, --no-user-agent, --no-referer, --no-headers, --no-proxy";

/// Checks the options as given; `None` / empty where a flag was not given.
pub(crate) fn check(
    user_agent: Option<&str>,
    referer: Option<&str>,
    headers: &[String],
    proxy: Option<&str>,
) -> Result<FeedOptions> {
    let mut checked = Vec::new();
    for h in headers {
        let (name, value) = parse_header(h)?;
        merge_header(&mut checked, name, value);
    }
    Ok(FeedOptions {
        user_agent: user_agent.map(check_user_agent).transpose()?,
        referer: referer.map(check_referer).transpose()?,
        headers: checked,
        proxy: proxy.map(check_proxy).transpose()?,
    })
}

/// What the fetcher requires of a header value (the same check: `HeaderValue::from_str` of
/// the trimmed text, which refuses control characters and line breaks).
fn header_value(what: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        refuse!("{what} contains a line break or a control character; a header cannot hold them");
    }
    Ok(value.to_owned())
}

/// `"Name: value"` into its trimmed parts. The name must be an HTTP token.
fn parse_header(arg: &str) -> Result<(String, String)> {
    let Some((name, value)) = arg.split_once(':') else {
        refuse!("--header needs a name, a colon and a value: {HEADER_EXAMPLE}");
    };
    let name = name.trim();
    if name.is_empty() {
        refuse!("--header has no name before the colon: {HEADER_EXAMPLE}");
    }
    let Ok(parsed) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) else {
        refuse!(
            "--header: {:?} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only, no spaces): \
             {HEADER_EXAMPLE}",
            sanitize::line(name)
        );
    };
    match parsed.as_str() {
        "user-agent" => refuse!("--header: set the User-Agent with --user-agent"),
        "referer" => refuse!("--header: set the Referer with --referer"),
        "host" | "content-length" | "transfer-encoding" | "connection" => {
            refuse!("--header: {name} cannot be set; tidings sends it itself")
        }
        _ => {}
    }
    let value = header_value(&format!("--header: the value of {name}"), value)?;
    Ok((name.to_owned(), value))
}

/// Adds a header, replacing one of the same name (names are case-insensitive), as the fetcher
/// would: the last one given wins.
fn merge_header(headers: &mut Vec<(String, String)>, name: String, value: String) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
    headers.push((name, value));
}

fn check_user_agent(ua: &str) -> Result<String> {
    let ua = header_value("--user-agent", ua)?;
    if ua.is_empty() {
        refuse!(
            "--user-agent is empty; give one (`tidings set FEED --no-user-agent` sends the default again)"
        );
    }
    Ok(ua)
}

/// An absolute http(s) URL, stored as it is serialized (which is what a Referer holds).
fn check_referer(referer: &str) -> Result<String> {
    let example = "write it like https://example.org/page";
    let url = match url::Url::parse(referer.trim()) {
        Ok(url) => url,
        Err(e) => refuse!("--referer {:?} is not a URL ({e}); {example}", sanitize::line(referer)),
    };
    if !matches!(url.scheme(), "http" | "https") {
        refuse!("--referer {:?} is not an http or https URL; {example}", sanitize::line(referer));
    }
    header_value("--referer", url.as_str())
}

/// `none`, or a proxy URL the fetcher accepts: read by the fetcher's own parser, so nothing
/// stored here fails later, and nothing it takes is refused.
fn check_proxy(proxy: &str) -> Result<String> {
    let proxy = proxy.trim();
    if proxy.eq_ignore_ascii_case("none") {
        return Ok("none".to_owned());
    }
    if proxy.is_empty() {
        refuse!("--proxy is empty; write it like socks5h://127.0.0.1:9050, or `none` to use no proxy for this feed");
    }
    if proxy.chars().any(char::is_control) {
        // The URL parser would quietly drop a tab or a line break; the stored text would
        // keep it.
        refuse!(
            "--proxy contains a line break or a control character; write it like socks5h://127.0.0.1:9050"
        );
    }
    crate::fetch::check_proxy(proxy, "--proxy").map_err(|e| OptionsError(e.message))?;
    Ok(proxy.to_owned())
}

/// A proxy URL for plain output: its password (if any) hidden.
fn shown_proxy(proxy: &str) -> String {
    match url::Url::parse(proxy) {
        Ok(mut url) if url.password().is_some() => {
            // Only fails for URLs that cannot have a password, and this one has one.
            let _ = url.set_password(Some("***"));
            sanitize::line(url.as_str())
        }
        _ => sanitize::line(proxy),
    }
}

/// The feed's request options for plain output (sanitized), `None` when there are none.
/// Header values (tokens, cookies) are left out: `feeds --json` has them.
pub(crate) fn options_line(o: &FeedOptions) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(ua) = &o.user_agent {
        parts.push(format!("user agent \"{}\"", sanitize::line(ua)));
    }
    if let Some(referer) = &o.referer {
        parts.push(format!("referer {}", sanitize::line(referer)));
    }
    if !o.headers.is_empty() {
        let names: Vec<String> = o.headers.iter().map(|(n, _)| sanitize::line(n)).collect();
        parts.push(format!("headers {}", names.join(", ")));
    }
    if let Some(proxy) = &o.proxy {
        parts.push(format!("proxy {}", shown_proxy(proxy)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The options as a line of flags that [`parse_line`] reads back to the same options:
/// `--user-agent "Mozilla/5.0 (X11)" --header "Authorization: Bearer T" --proxy none`.
/// Empty when there are none. Values are quoted as a shell would need them (header values
/// included: the line is the user's to edit).
pub(crate) fn to_line(o: &FeedOptions) -> String {
    let mut words = Vec::new();
    let mut flag = |name: &str, value: &str| {
        // A value that starts with "--" would be read as the next flag: it is joined to its
        // flag with `=`.
        if value.starts_with("--") {
            words.push(format!("{name}={}", quoted(value)));
        } else {
            words.push(format!("{name} {}", quoted(value)));
        }
    };
    if let Some(ua) = &o.user_agent {
        flag("--user-agent", ua);
    }
    if let Some(referer) = &o.referer {
        flag("--referer", referer);
    }
    for (name, value) in &o.headers {
        flag("--header", &format!("{name}: {value}"));
    }
    if let Some(proxy) = &o.proxy {
        flag("--proxy", proxy);
    }
    words.join(" ")
}

/// A word as is when a shell would read it so; else in double quotes, with `"`, `\`, `$` and
/// `` ` `` escaped (so the line can be pasted into a shell too).
fn quoted(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,~".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Splits a line into words as a shell would for quoting, and for nothing else (no
/// variables, globs, comments or commands: nothing is run): words are separated by
/// whitespace; '…' keeps everything inside as is; "…" too, except that `\` escapes `"`, `\`,
/// `$` and `` ` `` in it; outside quotes `\` escapes any character. Quoted and plain parts
/// next to each other make one word (`--header="A: b"`).
pub(crate) fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    // Columns are counted in characters from 1, for the error.
    let mut chars = line.chars().zip(1usize..);
    while let Some((c, column)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(('\'', _)) => break,
                        Some((c, _)) => word.push(c),
                        None => refuse!(
                            "the ' at column {column} is never closed: end the quoted text with another ' \
                             (or quote it with \"…\" if it holds a ')"
                        ),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(('"', _)) => break,
                        Some(('\\', _)) => match chars.next() {
                            Some((c @ ('"' | '\\' | '$' | '`'), _)) => word.push(c),
                            Some((c, _)) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => refuse!(
                                "the \" at column {column} is never closed: end the quoted text with \
                                 another \" (write \\\" for a quote inside it)"
                            ),
                        },
                        Some((c, _)) => word.push(c),
                        None => refuse!(
                            "the \" at column {column} is never closed: end the quoted text with another \" \
                             (write \\\" for a quote inside it)"
                        ),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some((c, _)) => word.push(c),
                    None => {
                        refuse!("the line ends with a lone \\ (column {column}): write \\\\ for a backslash")
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A line of flags (the reader's request options prompt) into the feed's whole options: what
/// the line does not give, the feed does not have. Flags: --user-agent, --referer, --header
/// (repeatable; a later one of the same name replaces an earlier one), --proxy, as `--flag
/// VALUE` or `--flag=VALUE`, and --no-user-agent, --no-referer, --no-headers, --no-proxy
/// (which say "none" outright). An empty line is no options. Every value is checked as the
/// command line checks it.
pub(crate) fn parse_line(line: &str) -> Result<FeedOptions> {
    let mut user_agent: Option<String> = None;
    let mut referer: Option<String> = None;
    let mut headers: Vec<String> = Vec::new();
    let mut proxy: Option<String> = None;
    let mut cleared: Vec<&'static str> = Vec::new();
    let mut words = split_words(line)?.into_iter().peekable();
    let mut previous: Option<&'static str> = None;
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (word, None),
        };
        let known: &'static str = match flag.as_str() {
            "--user-agent" => "--user-agent",
            "--referer" => "--referer",
            "--header" => "--header",
            "--proxy" => "--proxy",
            "--no-user-agent" => "--no-user-agent",
            "--no-referer" => "--no-referer",
            "--no-headers" => "--no-headers",
            "--no-proxy" => "--no-proxy",
            f if f.starts_with("--") => {
                refuse!("{} is not a request option; the known ones: {KNOWN_FLAGS}", sanitize::line(f))
            }
            // A stray word after a --header may be the rest of its value: not echoed.
            _ if previous == Some("--header") => refuse!(
                "a word after --header's value is not a flag: quote a value with spaces, {HEADER_EXAMPLE}"
            ),
            f if f.starts_with('-') => {
                refuse!("{} is not a request option; the known ones: {KNOWN_FLAGS}", sanitize::line(f))
            }
            word => refuse!(
                "{:?} is not a flag: quote a value with spaces, e.g. --user-agent \"Mozilla/5.0 (X11)\"; \
                 the known flags: {KNOWN_FLAGS}",
                sanitize::line(word)
            ),
        };
        previous = Some(known);
        if known.starts_with("--no-") {
            if inline.is_some() {
                refuse!("{known} takes no value");
            }
            cleared.push(known);
            continue;
        }
        let value = match inline {
            Some(value) => value,
            None => match words.next_if(|w| !w.starts_with("--")) {
                Some(value) => value,
                None if known == "--header" => refuse!("--header needs a value: {HEADER_EXAMPLE}"),
                None if known == "--proxy" => refuse!(
                    "--proxy needs a value: write it like --proxy socks5h://127.0.0.1:9050, or --proxy none"
                ),
                None if known == "--referer" => {
                    refuse!("--referer needs a value: write it like --referer https://example.org/page")
                }
                None => {
                    refuse!("--user-agent needs a value: write it like --user-agent \"Mozilla/5.0 (X11)\"")
                }
            },
        };
        let slot = match known {
            "--header" => {
                headers.push(value);
                continue;
            }
            "--user-agent" => &mut user_agent,
            "--referer" => &mut referer,
            _ => &mut proxy,
        };
        if slot.is_some() {
            refuse!("{known} is given twice; give it once (the line holds the feed's whole options)");
        }
        *slot = Some(value);
    }
    let given = [
        ("--user-agent", user_agent.is_some(), "--no-user-agent"),
        ("--referer", referer.is_some(), "--no-referer"),
        ("--proxy", proxy.is_some(), "--no-proxy"),
    ];
    if let Some((flag, _, no)) = given.iter().find(|(_, given, no)| *given && cleared.contains(no)) {
        refuse!("{flag} and {no} contradict each other; keep one");
    }
    // --no-headers next to --header: the headers given are the whole list, as `tidings set`
    // reads the pair.
    check(user_agent.as_deref(), referer.as_deref(), &headers, proxy.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    fn refused(line: &str) -> String {
        parse_line(line).unwrap_err().to_string()
    }

    fn header(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn the_splitter_reads_quotes_and_escapes_as_a_shell_does() {
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("  a  b\tc "), ["a", "b", "c"]);
        assert_eq!(
            words(r#"--user-agent "Mozilla/5.0 (X11; Linux)""#),
            ["--user-agent", "Mozilla/5.0 (X11; Linux)"]
        );
        assert_eq!(words(r#"'it''s' 'a "b" \n'"#), ["its", r#"a "b" \n"#]);
        // In double quotes only \" \\ \$ \` escape; elsewhere the backslash stays.
        assert_eq!(words(r#""a \"b\" \\ \$x \n""#), [r#"a "b" \ $x \n"#]);
        // Outside quotes a backslash escapes anything, a space included.
        assert_eq!(words(r"a\ b \'c\\"), ["a b", r"'c\"]);
        // Quoted and plain parts side by side are one word; "" is an empty word.
        assert_eq!(words(r#"--header="X-A: b"c '' """#), ["--header=X-A: bc", "", ""]);
        assert_eq!(words("日本 \"語 x\""), ["日本", "語 x"]);
    }

    #[test]
    fn the_splitter_refuses_an_unclosed_quote_and_says_where_it_is() {
        let e = split_words(r#"--user-agent "Mozilla"#).unwrap_err().to_string();
        assert!(e.starts_with("the \" at column 14 is never closed"), "{e}");
        let e = split_words(r#"--header "A: \""#).unwrap_err().to_string();
        assert!(e.starts_with("the \" at column 10 is never closed"), "{e}");
        let e = split_words("--header 'A: b").unwrap_err().to_string();
        assert!(e.starts_with("the ' at column 10 is never closed"), "{e}");
        let e = split_words(r"abc\").unwrap_err().to_string();
        assert!(e.contains("lone \\ (column 4)"), "{e}");
        // Never the quoted text itself: it may be a token.
        let e = parse_line(r#"--header "Authorization: Bearer s3cret"#).unwrap_err().to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn each_flag_is_read_into_the_options() {
        assert_eq!(parse_line("").unwrap(), FeedOptions::default());
        assert_eq!(parse_line("   ").unwrap(), FeedOptions::default());
        let o = parse_line(
            r#"--user-agent "tidings-test/1 (+https://x)" --referer https://example.org/page
               --header "X-Token: abc" --header=Accept:application/rss+xml --proxy socks5h://127.0.0.1:9050"#,
        )
        .unwrap();
        assert_eq!(
            o,
            FeedOptions {
                user_agent: Some("tidings-test/1 (+https://x)".into()),
                referer: Some("https://example.org/page".into()),
                headers: vec![header("X-Token", "abc"), header("Accept", "application/rss+xml")],
                proxy: Some("socks5h://127.0.0.1:9050".into()),
            }
        );
        // Values as the command line stores them: trimmed, a referer normalised, `none` lowercase.
        let o = parse_line("--user-agent=' UA ' --referer HTTPS://Example.org --proxy NONE").unwrap();
        assert_eq!(o.user_agent.as_deref(), Some("UA"));
        assert_eq!(o.referer.as_deref(), Some("https://example.org/"));
        assert_eq!(o.proxy.as_deref(), Some("none"));
    }

    #[test]
    fn the_no_forms_say_none_and_contradict_a_value() {
        let o = parse_line("--no-user-agent --no-referer --no-headers --no-proxy").unwrap();
        assert_eq!(o, FeedOptions::default());
        // --no-headers with --header: the headers given are the whole list.
        let o = parse_line("--no-headers --header 'A: 1'").unwrap();
        assert_eq!(o.headers, [header("A", "1")]);
        assert_eq!(
            refused("--user-agent x --no-user-agent"),
            "--user-agent and --no-user-agent contradict each other; keep one"
        );
        assert_eq!(
            refused("--no-proxy --proxy none"),
            "--proxy and --no-proxy contradict each other; keep one"
        );
        assert_eq!(refused("--no-referer=x"), "--no-referer takes no value");
    }

    #[test]
    fn a_repeated_header_replaces_the_earlier_one_of_its_name() {
        let o = parse_line("--header 'X-A: 1' --header 'X-B: 2' --header 'x-a: 3'").unwrap();
        assert_eq!(o.headers, [header("X-B", "2"), header("x-a", "3")]);
        assert!(refused("--user-agent a --user-agent b").starts_with("--user-agent is given twice"));
    }

    #[test]
    fn bad_lines_are_refused_with_what_to_write() {
        let e = refused("--user-agnet x");
        assert!(
            e.starts_with("--user-agnet is not a request option; the known ones: --user-agent UA,"),
            "{e}"
        );
        assert!(e.contains("--no-proxy"), "{e}");
        let e = refused("--header nocolon");
        assert!(e.starts_with("--header needs a name, a colon and a value"), "{e}");
        assert!(e.contains("\"Name: value\""), "{e}");
        // A control character in a value: refused, and the value not echoed.
        let e = refused("--header \"X-Token: abc\u{1b}[2Jdef\"");
        assert!(e.contains("control character") && !e.contains("abc"), "{e}");
        let e = refused("--user-agent \"a\u{7}b\"");
        assert!(e.starts_with("--user-agent contains a line break or a control character"), "{e}");
        assert_eq!(refused("--header 'Host: x'"), "--header: Host cannot be set; tidings sends it itself");
        assert!(refused("--header 'User-Agent: x'").contains("--user-agent"));
        assert!(refused("--referer ftp://x/").contains("not an http or https URL"));
        let e = refused("--proxy ftp://proxy.example:21");
        assert!(
            e.starts_with("--proxy `ftp://proxy.example:21` is not usable") && e.contains("socks5h://"),
            "{e}"
        );
        assert!(refused("--proxy 'socks5h://a\tb:1'").contains("control character"));
        assert!(refused("--proxy").starts_with("--proxy needs a value"));
        assert!(refused("--user-agent --referer https://x/").starts_with("--user-agent needs a value"));
        // An unquoted value with spaces leaves a stray word.
        let e = refused("--user-agent Mozilla/5.0 (X11)");
        assert!(e.starts_with("\"(X11)\" is not a flag: quote a value with spaces"), "{e}");
        // ... which is not echoed after a header: it may be the token.
        let e = refused("--header Authorization: Basic s3cret");
        assert!(!e.contains("s3cret") && !e.contains("Basic") && e.contains("quote"), "{e}");
        let e = refused("--header X-Key: -s3cret");
        assert!(!e.contains("s3cret") && e.contains("quote"), "{e}");
        assert!(refused("-x").starts_with("-x is not a request option"));
    }

    #[test]
    fn the_line_of_some_options_reads_back_as_the_same_options() {
        let cases = [
            FeedOptions::default(),
            FeedOptions {
                user_agent: Some(r#"Mozilla/5.0 (X11; "Linux") $HOME `x` \ it's"#.into()),
                referer: Some("https://example.org/a?b=c&d=e".into()),
                headers: vec![
                    header("Authorization", "Bearer T0k/en=="),
                    header("Cookie", "a=1; b=\"two words\""),
                    header("X-Empty", ""),
                    header("X-Dash", "--not-a-flag"),
                ],
                proxy: Some("socks5h://user:p%40ss@127.0.0.1:9050".into()),
            },
            FeedOptions {
                user_agent: Some("--odd".into()),
                proxy: Some("none".into()),
                ..Default::default()
            },
            FeedOptions { headers: vec![header("X-Unicode", "日本語 ok")], ..Default::default() },
        ];
        for o in cases {
            let line = to_line(&o);
            assert_eq!(parse_line(&line).as_ref(), Ok(&o), "{line}");
        }
        let line = to_line(&FeedOptions {
            user_agent: Some("Mozilla/5.0 (X11)".into()),
            referer: Some("https://x/".into()),
            headers: vec![header("Authorization", "Bearer T")],
            proxy: Some("none".into()),
        });
        assert_eq!(
            line,
            r#"--user-agent "Mozilla/5.0 (X11)" --referer https://x/ --header "Authorization: Bearer T" --proxy none"#
        );
        assert_eq!(to_line(&FeedOptions::default()), "");
    }

    #[test]
    fn the_plain_line_hides_header_values_and_the_proxy_password() {
        let o = FeedOptions {
            user_agent: Some("UA\u{1b}[2J".into()),
            referer: None,
            headers: vec![header("Authorization", "Bearer s3cret")],
            proxy: Some("socks5h://user:pw9@127.0.0.1:9".into()),
        };
        let line = options_line(&o).unwrap();
        assert_eq!(line, "user agent \"UA[2J\"; headers Authorization; proxy socks5h://user:***@127.0.0.1:9");
        assert_eq!(options_line(&FeedOptions::default()), None);
    }
}

//! The link opener against a real program: a recording "browser" (a shell script written at
//! test time) stores the arguments it was given, NUL-terminated, so the tests can check that
//! hostile links reach the browser as one untouched argument and never through a shell.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tidings::config::Config;
use tidings::opener::{OpenError, Opener};

/// A browser that records its argv. Each run writes `calls/<pid>` (through a rename, so a
/// file that exists is complete) holding every argument followed by a NUL.
struct Recorder {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl Recorder {
    fn new() -> Recorder {
        let dir = tempfile::tempdir().unwrap();
        let calls = dir.path().join("calls");
        std::fs::create_dir(&calls).unwrap();
        let calls = calls.to_str().unwrap().to_owned();
        assert!(!calls.contains('\''), "the script quotes the path in single quotes");
        let script = dir.path().join("record-argv.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 # \"$@\" quoted: each argument exactly as received, one per loop.\n\
                 for arg in \"$@\"; do printf '%s\\0' \"$arg\"; done > '{calls}/.tmp.'$$ \
                 && mv '{calls}/.tmp.'$$ '{calls}/'$$\n"
            ),
        )
        .unwrap();
        Recorder { dir, script }
    }

    /// An opener whose browser is this recorder, with `extra` arguments before the URL. The
    /// script is run by `sh` rather than executed itself: executing a file this process just
    /// wrote can fail with "text file busy" while another test thread forks.
    fn opener(&self, extra: &[&str]) -> Opener {
        let mut browser = vec!["sh".to_owned(), self.script.to_str().unwrap().to_owned()];
        browser.extend(extra.iter().map(|a| (*a).to_owned()));
        Opener::from_config(&Config { browser: Some(browser), ..Config::default() })
    }

    fn calls_dir(&self) -> PathBuf {
        self.dir.path().join("calls")
    }

    /// The argument lists of finished runs, once there are `count` of them.
    fn wait_for_calls(&self, count: usize) -> Vec<Vec<Vec<u8>>> {
        // Only a guard against hanging forever; nothing is asserted about how long it took.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let calls = read_calls(&self.calls_dir());
            if calls.len() >= count {
                return calls;
            }
            assert!(Instant::now() < deadline, "the browser ran {} times, expected {count}", calls.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn read_calls(dir: &Path) -> Vec<Vec<Vec<u8>>> {
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        assert_eq!(bytes.last(), Some(&0), "every argument is NUL-terminated");
        calls.push(bytes[..bytes.len() - 1].split(|&b| b == 0).map(<[u8]>::to_vec).collect());
    }
    calls
}

fn args(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|a| a.as_bytes().to_vec()).collect()
}

#[test]
fn hostile_links_reach_the_browser_as_one_untouched_argument() {
    let recorder = Recorder::new();
    let marker = recorder.dir.path().join("PWNED");
    let m = marker.to_str().unwrap();
    let tmp_pwned_existed = Path::new("/tmp/PWNED").exists();
    // (link, what the browser must receive). The url crate percent-encodes some characters
    // (spaces, backticks and quotes in paths); everything a shell would act on that it keeps
    // must arrive as is, inside the one argument.
    let links = [
        ("https://x/$(touch /tmp/PWNED)".to_owned(), "https://x/$(touch%20/tmp/PWNED)".to_owned()),
        (format!("https://x/$(touch$IFS{m})"), format!("https://x/$(touch$IFS{m})")),
        (format!("https://x/?q=`touch$IFS{m}`"), format!("https://x/?q=`touch$IFS{m}`")),
        (format!("https://x/a;touch$IFS{m};b"), format!("https://x/a;touch$IFS{m};b")),
        (format!("https://x/a|touch$IFS{m}"), format!("https://x/a|touch$IFS{m}")),
        (format!("https://x/a&&touch$IFS{m}&&b"), format!("https://x/a&&touch$IFS{m}&&b")),
        ("https://x/it's".to_owned(), "https://x/it's".to_owned()),
        ("https://x/?q=it's".to_owned(), "https://x/?q=it%27s".to_owned()),
        ("https://x/say\"hi\"".to_owned(), "https://x/say%22hi%22".to_owned()),
        ("https://x/a b?c d#e f".to_owned(), "https://x/a%20b?c%20d#e%20f".to_owned()),
        (
            "https://例え.jp/パス?q=ü".to_owned(),
            "https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9?q=%C3%BC".to_owned(),
        ),
        ("mailto:a@example.com?subject=$(id)".to_owned(), "mailto:a@example.com?subject=$(id)".to_owned()),
    ];
    let opener = recorder.opener(&[]);
    for (link, _) in &links {
        opener.open_detached(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    }
    let mut received: Vec<Vec<u8>> = recorder
        .wait_for_calls(links.len())
        .into_iter()
        .map(|argv| {
            assert_eq!(argv.len(), 1, "one argument per link: {argv:?}");
            argv.into_iter().next().unwrap()
        })
        .collect();
    let mut expected: Vec<Vec<u8>> = links.iter().map(|(_, want)| want.as_bytes().to_vec()).collect();
    received.sort();
    expected.sort();
    assert_eq!(received, expected);
    for (link, want) in &links {
        assert_eq!(&opener.check(link).unwrap(), want, "check gives what the browser got");
    }
    assert!(!marker.exists(), "a shell ran part of a link");
    if !tmp_pwned_existed {
        assert!(!Path::new("/tmp/PWNED").exists(), "a shell ran part of a link");
    }
}

#[test]
fn a_terminal_browser_gets_the_same_argv() {
    let recorder = Recorder::new();
    let opener = recorder.opener(&["-N", "--", "two words"]);
    let url = opener.check("https://x/a;b|c&&d$(e)").unwrap();
    let status = opener.command(&url).status().unwrap();
    assert!(status.success());
    let calls = recorder.wait_for_calls(1);
    assert_eq!(calls, vec![args(&["-N", "--", "two words", "https://x/a;b|c&&d$(e)"])]);
}

#[test]
fn configured_arguments_come_before_the_url() {
    let recorder = Recorder::new();
    let opener = recorder.opener(&["--new-tab"]);
    assert!(!opener.in_terminal());
    opener.open_detached("https://example.com/page?x=1").unwrap();
    let calls = recorder.wait_for_calls(1);
    assert_eq!(calls, vec![args(&["--new-tab", "https://example.com/page?x=1"])]);
}

#[test]
fn refused_links_never_start_the_browser() {
    let recorder = Recorder::new();
    let opener = recorder.opener(&[]);
    let refused = [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "-oProxyCommand=x",
        "--help",
        "https://x/\x1b]0;title\x07",
        "https://x/\x1b[2J",
        "https://evil.example/\u{202e}fdp.exe",
        "",
        "  ",
    ];
    for link in refused {
        let err = opener.open_detached(link).expect_err(link);
        assert!(
            matches!(
                err,
                OpenError::Scheme { .. }
                    | OpenError::OptionLike
                    | OpenError::HiddenCharacter { .. }
                    | OpenError::Empty
            ),
            "{link:?}: {err:?}"
        );
    }
    let err = opener.open_detached("file:///etc/passwd").unwrap_err().to_string();
    assert!(err.contains("`file:`") && err.contains("open_schemes"), "{err}");
    // One good link after them: once it is recorded, it must be the only run.
    opener.open_detached("https://example.com/").unwrap();
    let calls = recorder.wait_for_calls(1);
    assert_eq!(calls, vec![args(&["https://example.com/"])]);
}

#[test]
fn a_missing_browser_says_how_to_set_one() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("no-such-browser");
    let program = program.to_str().unwrap();
    let opener =
        Opener::from_config(&Config { browser: Some(vec![program.to_owned()]), ..Config::default() });
    let err = opener.open_detached("https://example.com/").unwrap_err().to_string();
    assert_eq!(
        err,
        format!("cannot run `{program}`: not found; set browser = [\"your-browser\"] in config.toml")
    );
}

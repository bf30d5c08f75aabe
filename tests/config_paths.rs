//! Where the real `tidings` binary looks for its files: `--config` / `TIDINGS_CONFIG` must name
//! a file that exists, empty path variables mean "not set", and without them the XDG
//! directories are used (on Linux, exactly as the README describes).
//!
//! Every run gets its own HOME and XDG variables in a temp dir, so the user's files are never
//! touched; `tidings unread` is the probe because it reads the config and opens the store.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::path::Path;
use std::process::{Command, Output};

/// A `tidings` command with HOME in `home` and every variable that picks paths removed.
fn tidings(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.env("HOME", home);
    for var in ["TIDINGS_CONFIG", "TIDINGS_DATA_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run tidings")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs, asserts success, returns stdout.
fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(out.status.success(), "{cmd:?} failed: {}\nstderr: {}", out.status, stderr(&out));
    stdout(&out)
}

/// Runs, asserts failure, returns stderr.
fn fails(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(!out.status.success(), "{cmd:?} should fail; stdout: {}", stdout(&out));
    stderr(&out)
}

#[test]
fn a_config_file_named_by_flag_or_variable_must_exist() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let missing = home.path().join("tpyo.toml");

    let err =
        fails(tidings(home.path()).arg("--config").arg(&missing).arg("--data-dir").arg(&data).arg("unread"));
    assert!(
        err.contains(&format!("{}: no such config file (named by --config)", missing.display())),
        "{err}"
    );
    assert!(err.contains("create it (an empty file means all defaults) or fix the path"), "{err}");
    assert!(!data.exists(), "nothing starts on a missing config");

    let err = fails(
        tidings(home.path()).env("TIDINGS_CONFIG", &missing).arg("--data-dir").arg(&data).arg("unread"),
    );
    assert!(err.contains("(named by TIDINGS_CONFIG)"), "{err}");

    // The default path may be missing: that is a first run, on defaults.
    assert_eq!(ok(tidings(home.path()).arg("--data-dir").arg(&data).arg("unread")).trim(), "0");
    // And an explicit file that exists is read.
    let config = home.path().join("c.toml");
    std::fs::write(&config, "[store]\nkeep_days = 30\n").unwrap();
    assert_eq!(
        ok(tidings(home.path()).arg("--config").arg(&config).arg("--data-dir").arg(&data).arg("unread"))
            .trim(),
        "0"
    );
}

#[test]
fn empty_path_variables_mean_unset() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let out = ok(tidings(home.path()).env("TIDINGS_CONFIG", "").arg("--data-dir").arg(&data).arg("unread"));
    assert_eq!(out.trim(), "0");
    let out = ok(tidings(home.path()).env("TIDINGS_CONFIG", "").env("TIDINGS_DATA_DIR", "").arg("unread"));
    assert_eq!(out.trim(), "0");

    // Unset means the default config is read: a bad one there proves it.
    let xdg_config = home.path().join("xdg-config");
    std::fs::create_dir_all(xdg_config.join("tidings")).unwrap();
    let bad = xdg_config.join("tidings").join("config.toml");
    std::fs::write(&bad, "[fetch]\ntimeout_secs = \"ten\"\n").unwrap();
    let err = fails(
        tidings(home.path())
            .env("XDG_CONFIG_HOME", &xdg_config)
            .env("TIDINGS_CONFIG", "")
            .arg("--data-dir")
            .arg(&data)
            .arg("unread"),
    );
    assert!(
        err.contains(&format!(
            "{}: line 2, column 16: expected a whole number, got the text \"ten\"",
            bad.display()
        )),
        "{err}"
    );

    // An empty TIDINGS_DATA_DIR gives the default data directory.
    let xdg_data = home.path().join("xdg-data");
    ok(tidings(home.path()).env("XDG_DATA_HOME", &xdg_data).env("TIDINGS_DATA_DIR", "").arg("unread"));
    assert!(xdg_data.join("tidings").is_dir(), "the store is in $XDG_DATA_HOME/tidings");
}

/// A local feed, so that a refresh has something to fetch without a network.
#[cfg(all(unix, not(target_os = "macos")))]
const FEED: &str = "<rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>\
                    <item><title>a</title><guid>a</guid></item></channel></rss>";

/// On Linux (and the BSDs) the XDG variables decide, with the spec's defaults under HOME; a
/// relative value is ignored, as the spec says.
#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn xdg_directories_are_used_on_linux() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    // Defaults under HOME: the config is read from ~/.config/tidings/config.toml...
    let config_dir = h.join(".config/tidings");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), "[reader]\nmose = true\n").unwrap();
    let err = fails(tidings(h).arg("unread"));
    assert!(err.contains(&format!("{}: line 2", config_dir.join("config.toml").display())), "{err}");
    assert!(err.contains("unknown key `mose` in [reader] (did you mean `mouse`?)"), "{err}");
    std::fs::write(config_dir.join("config.toml"), "").unwrap();
    // ...the store lives in ~/.local/share/tidings and the log in ~/.local/state/tidings
    // (a refresh with a feed to fetch opens the log).
    let feed = h.join("feed.xml");
    std::fs::write(&feed, FEED).unwrap();
    ok(tidings(h).arg("add").arg(&feed));
    ok(tidings(h).arg("refresh"));
    assert!(h.join(".local/share/tidings").is_dir());
    assert!(h.join(".local/state/tidings/tidings.log").is_file());

    // The XDG variables move all three.
    let (cfg, data, state) = (h.join("cfg"), h.join("dat"), h.join("st"));
    std::fs::create_dir_all(cfg.join("tidings")).unwrap();
    std::fs::write(cfg.join("tidings/config.toml"), "theme = 5\n").unwrap();
    let with_xdg = |cmd: &mut Command| {
        cmd.env("XDG_CONFIG_HOME", &cfg).env("XDG_DATA_HOME", &data).env("XDG_STATE_HOME", &state);
    };
    let mut cmd = tidings(h);
    with_xdg(&mut cmd);
    let err = fails(cmd.arg("unread"));
    assert!(err.contains(&format!("{}: line 1", cfg.join("tidings/config.toml").display())), "{err}");
    std::fs::write(cfg.join("tidings/config.toml"), "").unwrap();
    let mut cmd = tidings(h);
    with_xdg(&mut cmd);
    ok(cmd.arg("add").arg(&feed));
    let mut cmd = tidings(h);
    with_xdg(&mut cmd);
    ok(cmd.arg("refresh"));
    assert!(data.join("tidings").is_dir());
    assert!(state.join("tidings/tidings.log").is_file());

    // A relative XDG value is ignored: back to ~/.local/share.
    std::fs::remove_dir_all(h.join(".local/share/tidings")).unwrap();
    ok(tidings(h).env("XDG_DATA_HOME", "relative/data").current_dir(h).arg("unread"));
    assert!(h.join(".local/share/tidings").is_dir());
    assert!(!h.join("relative").exists());
}

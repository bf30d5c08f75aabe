//! `tidings sync`: the sync account (add, status, remove) and a sync now.
//!
//! The password is read here and turned into the account's secret (Fever's api_key) before
//! it leaves this process; it is never stored. Sources, first found wins:
//! `--password-command CMD` (run as an argv, never through a shell; its first line is the
//! password), `TIDINGS_SYNC_PASSWORD`, a prompt without echo on the terminal.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Subcommand, ValueEnum};

use super::{clean, quiet, rfc3339};
use crate::engine::Engine;
use crate::sync::{NewAccount, Secret, SyncStatus};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Set the sync account, checked with the server first:
    /// `tidings sync add fever https://host/fever/ --user me@example.com`
    Add {
        #[arg(value_enum)]
        kind: SyncKind,
        /// The server's API endpoint (Fever: the URL ending in `/fever/` or `fever.php`)
        url: String,
        /// The user name (coldsweat: the e-mail address)
        #[arg(long)]
        user: String,
        /// A command whose first line of output is the password, run without a shell:
        /// `--password-command 'pass show fever'`
        #[arg(long, value_name = "CMD")]
        password_command: Option<String>,
    },
    /// Show the account, the last sync, the changes queued for the server and the last error
    Status {
        /// Print JSON for scripts (`null` when no account is set)
        #[arg(long)]
        json: bool,
    },
    /// Forget the account; its feeds and articles stay, as local feeds
    Remove,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SyncKind {
    /// Fever API (coldsweat, FreshRSS, Miniflux, tt-rss's fever plugin)
    Fever,
}

impl SyncKind {
    fn name(self) -> &'static str {
        match self {
            SyncKind::Fever => "fever",
        }
    }
}

const NO_ACCOUNT: &str = "no sync account: set one with `tidings sync add fever URL --user NAME`";

pub fn run(engine: &Engine, command: Option<SyncCommand>) -> Result<()> {
    match command {
        None => sync_now(engine),
        Some(SyncCommand::Add { kind, url, user, password_command }) => {
            let password = password(password_command.as_deref(), &user)?;
            let secret = Secret::from_password(kind.name(), &user, &password).map_err(|e| anyhow!(e))?;
            let account = NewAccount { kind: kind.name().to_owned(), url, user, secret };
            let status = engine.sync_add(account)?;
            note!(
                "sync account set: {} {} as {}; run `tidings sync` (or `tidings refresh`) to sync",
                status.kind,
                clean(&status.url),
                clean(&status.user)
            );
            Ok(())
        }
        Some(SyncCommand::Status { json }) => {
            let status = engine.sync_status()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(());
            }
            match status {
                Some(s) => print_status(&s)?,
                None => outln!("{NO_ACCOUNT}"),
            }
            Ok(())
        }
        Some(SyncCommand::Remove) => match engine.sync_remove()? {
            Some(s) => {
                note!(
                    "forgot the sync account {} {}; its {} and {} stay here as local feeds{}",
                    s.kind,
                    clean(&s.url),
                    crate::words::plural(s.feeds, "feed"),
                    crate::words::plural(s.articles, "article"),
                    if s.queued > 0 {
                        format!(
                            " ({} never reached the server)",
                            crate::words::plural(s.queued, "queued change")
                        )
                    } else {
                        String::new()
                    }
                );
                Ok(())
            }
            None => bail!("{NO_ACCOUNT}"),
        },
    }
}

fn sync_now(engine: &Engine) -> Result<()> {
    let Some(summary) = engine.sync()? else { bail!("{NO_ACCOUNT}") };
    for n in &summary.notes {
        eprintln!("note: {}", clean(n));
    }
    if summary.error.is_some() {
        bail!("{}", summary.line());
    }
    note!("{}", summary.line());
    Ok(())
}

fn print_status(s: &SyncStatus) -> Result<()> {
    outln!("account:    {} {} as {}", s.kind, clean(&s.url), clean(&s.user));
    outln!("last sync:  {}", s.last_sync.and_then(rfc3339).unwrap_or_else(|| "never".into()));
    outln!("queued:     {}", crate::words::plural(s.queued, "change"));
    outln!(
        "synced:     {}, {}",
        crate::words::plural(s.feeds, "feed"),
        crate::words::plural(s.articles, "article")
    );
    if let Some(e) = &s.last_error {
        outln!("last error: {}", clean(e));
    }
    Ok(())
}

/// The password, from the first source that has one (see the module comment).
fn password(command: Option<&str>, user: &str) -> Result<String> {
    if let Some(command) = command {
        return password_from_command(command);
    }
    if let Some(p) = std::env::var("TIDINGS_SYNC_PASSWORD").ok().filter(|p| !p.is_empty()) {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        return prompt(&format!("password for {user}: "));
    }
    bail!(
        "no password: give it with --password-command CMD or the TIDINGS_SYNC_PASSWORD variable, or run \
         this in a terminal to be asked"
    )
}

fn password_from_command(command: &str) -> Result<String> {
    let argv = split_argv(command)?;
    let Some((program, args)) = argv.split_first() else { bail!("--password-command is empty") };
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run the password command `{program}`"))?;
    if !output.status.success() {
        bail!("the password command `{program}` failed ({})", output.status);
    }
    let text =
        String::from_utf8(output.stdout).map_err(|_| anyhow!("the password command printed no UTF-8"))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        bail!("the password command `{program}` printed no password");
    }
    Ok(line.to_owned())
}

/// Splits a command line into words the way a shell would quote them, without anything
/// else a shell does (no variables, globs, pipes or redirections: they are plain text).
fn split_argv(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => bail!("--password-command has an unclosed '"),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => w.push(c),
                            None => bail!("--password-command ends in \\"),
                        },
                        Some(c) => w.push(c),
                        None => bail!("--password-command has an unclosed \""),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => bail!("--password-command ends in \\"),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// Asks on the terminal with echo off (restored on every way out, Ctrl-C included: the
/// terminal's own line discipline still handles it, and the guard runs on unwinding).
fn prompt(question: &str) -> Result<String> {
    struct EchoOff(Option<libc::termios>);
    impl Drop for EchoOff {
        fn drop(&mut self) {
            if let Some(t) = &self.0 {
                // SAFETY: fd 0 is a terminal (checked by the caller) and `t` came from tcgetattr.
                unsafe { libc::tcsetattr(0, libc::TCSANOW, t) };
            }
        }
    }
    // SAFETY: a zeroed termios is a valid out-parameter for tcgetattr.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd 0 and a valid pointer.
    let guard = if unsafe { libc::tcgetattr(0, &mut saved) } == 0 {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: as above.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &quiet) };
        EchoOff(Some(saved))
    } else {
        EchoOff(None)
    };
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    drop(guard);
    let line = line.trim_end_matches(['\n', '\r']).to_owned();
    if line.is_empty() {
        bail!("no password given");
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::split_argv;

    #[test]
    fn a_command_line_splits_like_a_shell_quotes_it_and_nothing_more() {
        assert_eq!(split_argv("pass show fever").unwrap(), ["pass", "show", "fever"]);
        assert_eq!(split_argv(r#"printf '%s\n' "a b" c\ d"#).unwrap(), ["printf", r"%s\n", "a b", "c d"]);
        assert_eq!(
            split_argv("echo $HOME; rm -rf / | x").unwrap(),
            ["echo", "$HOME;", "rm", "-rf", "/", "|", "x"]
        );
        assert_eq!(split_argv("  ''  ").unwrap(), [""]);
        assert!(split_argv("echo 'open").is_err());
    }
}

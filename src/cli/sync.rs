//! `tidings sync`: the sync account (add, status, remove) and a sync now.
//!
//! The password is read here and turned into the account's secret (Fever's api_key) before
//! it leaves this process; it is never stored. Sources, first found wins:
//! `--password-command CMD` (run as an argv, never through a shell; its first line is the
//! password), `TIDINGS_SYNC_PASSWORD`, a prompt without echo on the terminal.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{anyhow, bail, Result};
use clap::{Subcommand, ValueEnum};

use super::{clean, quiet, rfc3339};
use crate::engine::Engine;
use crate::sync::{NewAccount, Secret, SyncStatus};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Set the sync account, checked with the server first:
    /// `tidings sync add fever https://host/fever/ --user me@example.com` or
    /// `tidings sync add ttrss https://host/tt-rss/ --user me`
    Add {
        #[arg(value_enum)]
        kind: SyncKind,
        /// The server: Fever's endpoint (ending in `/fever/` or `fever.php`), or where TT-RSS is
        url: String,
        /// The user name (coldsweat: the e-mail address)
        #[arg(long)]
        user: String,
        /// A command whose first line of output is the password, run without a shell:
        /// `--password-command 'pass show fever'` (TT-RSS runs it at each sync, so the password
        /// is not kept in the data dir)
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
    /// Tiny Tiny RSS's own API (turn on "API access" in its preferences)
    Ttrss,
}

impl SyncKind {
    fn name(self) -> &'static str {
        match self {
            SyncKind::Fever => "fever",
            SyncKind::Ttrss => "ttrss",
        }
    }
}

const NO_ACCOUNT: &str = "no sync account: set one with `tidings sync add fever|ttrss URL --user NAME`";

pub fn run(engine: &Engine, full: bool, json: bool, command: Option<SyncCommand>) -> Result<()> {
    match command {
        None => sync_now(engine, full, json),
        Some(SyncCommand::Add { kind, url, user, password_command }) => {
            let secret = match (kind, password_command.as_deref()) {
                // TT-RSS logs in with the password itself: keep the command, not what it
                // prints (it runs once now, to check the account).
                (SyncKind::Ttrss, Some(command)) => {
                    let argv = crate::sync::password::split_argv(command).map_err(|e| anyhow!(e))?;
                    crate::sync::password::run_command(&argv).map_err(|e| anyhow!(e))?;
                    Secret::PasswordCommand(argv)
                }
                (_, command) => {
                    let password = password(command, &user)?;
                    Secret::from_password(kind.name(), &user, &password).map_err(|e| anyhow!(e))?
                }
            };
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

fn sync_now(engine: &Engine, full: bool, json: bool) -> Result<()> {
    let Some(summary) = engine.sync(full)? else { bail!("{NO_ACCOUNT}") };
    if json {
        outln!("{}", serde_json::to_string_pretty(&summary)?);
        if summary.error.is_some() {
            bail!("{}", summary.line());
        }
        return Ok(());
    }
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
        let argv = crate::sync::password::split_argv(command).map_err(|e| anyhow!(e))?;
        return crate::sync::password::run_command(&argv).map_err(|e| anyhow!(e));
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

/// Asks on the terminal with echo off (restored on every way out, Ctrl-C included: the
/// terminal's own line discipline still handles it, and the guard runs on unwinding).
#[allow(unsafe_code, reason = "tcgetattr/tcsetattr: libc has no safe wrapper")]
fn prompt(question: &str) -> Result<String> {
    struct EchoOff(Option<libc::termios>);
    impl Drop for EchoOff {
        #[allow(unsafe_code, reason = "tcsetattr: libc has no safe wrapper")]
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

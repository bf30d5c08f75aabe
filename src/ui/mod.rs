//! The interactive reader: `tidings` with no subcommand.
//!
//! One loop owns the `App`: next event (a key, a worker's answer, a change another process
//! made, a timer, a signal) -> `update`, which changes the state and returns `Effect`s ->
//! [`runner::Runner`], which performs them on workers that report back with `Action`s -> a
//! redraw, only after state changed. The UI task itself never awaits I/O.

pub mod action;
pub mod app;
pub mod effects;
pub(crate) mod hyperlink;
pub(crate) mod keymap;
pub(crate) mod layout;
pub(crate) mod list_orders;
pub(crate) mod panes;
pub(crate) mod runner;
pub(crate) mod terminal;
pub(crate) mod theme;
pub(crate) mod update;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::broadcast;
use tokio::sync::mpsc::unbounded_channel;

use crate::config::Config;
use crate::engine::{Change, Engine};
use action::{Action, Effect};
use app::App;

pub use panes::render;
pub use update::update;

/// While actions keep coming, the screen is still drawn this often.
const DRAW_EVERY: Duration = Duration::from_millis(50);

/// How the loop ended.
enum Exit {
    Quit,
    /// SIGTERM, SIGHUP or SIGINT: the terminal may already be gone.
    Signal,
}

/// Runs the reader on `engine` until the user quits or a termination signal arrives. The
/// terminal is restored on every way out; the caller closes the engine.
pub(crate) fn run(
    engine: &Engine,
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    keymap: keymap::Keymap,
    log_file: &std::path::Path,
) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        bail!("the reader needs a terminal; for scripts use a subcommand such as `tidings articles` (see tidings --help)");
    }
    if let Some(path) = config_file() {
        panes::set_config_path(&path);
    }
    // The one place the terminal's modes are taken; they are given back when `screen` drops
    // (quit, error, signal) or by the panic hook, once.
    let mut screen = terminal::TerminalGuard::enter(config.reader.mouse, log_file)
        .context("cannot set up the terminal")?;
    let log = std::sync::Arc::new(crate::logfile::LogFile::open(log_file));
    let result = runtime.block_on(event_loop(&mut screen, engine.clone(), config, &keymap, log));
    drop(screen);
    // The caller closes the engine (and remembers the unread count for `tidings unread`).
    result?;
    Ok(())
}

async fn event_loop(
    screen: &mut terminal::TerminalGuard,
    engine: Engine,
    config: &Config,
    keymap: &keymap::Keymap,
    log: std::sync::Arc<crate::logfile::LogFile>,
) -> Result<Exit> {
    // What other processes change (a cron refresh, `tidings mark`, a second reader) arrives
    // here, and so does the progress of every refresh, the reader's own included.
    let mut changes = engine.subscribe();
    let (tx, mut rx) = unbounded_channel::<Action>();
    let mut input = EventStream::new();
    let opener = crate::opener::Opener::from_config(config);
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?;
    // Ctrl-C is a key in raw mode; this is `kill -INT` from elsewhere.
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    let mut runner = runner::Runner::new(engine.clone(), tx.clone(), opener);
    let size = screen.terminal().size().context("cannot read the terminal size")?;
    let mut app = App::new(size.width, size.height);
    app.date_format = config.reader.date_format.clone();
    app.split =
        layout::Split { feeds: config.reader.feeds_width_percent, lists: config.reader.list_height_percent };
    app.unread_only = config.reader.unread_only;
    app.feeds.group_by_tag = config.reader.group_by_tag;
    app.article.hyperlinks = config.reader.hyperlinks;
    app.article.open_schemes = config.open_schemes.iter().map(|s| s.to_ascii_lowercase()).collect();
    app.background.refresh_on_load = config.reader.refresh_on_start;
    app.background.push_soon = config.reader.sync_interval_minutes != 0;
    app.overlay.help = keymap
        .help()
        .into_iter()
        .map(|h| app::HelpLine { section: h.section, keys: h.keys, description: h.description.to_owned() })
        .collect();
    app.feeds.config_queries = config.query_feeds.clone();
    // A few lines, read before the first frame as the config is.
    app.articles.kept_orders = list_orders::load(engine.dir());
    // Query feeds are counted once the first list is on screen (see `count_queries_at_start`).
    let mut pending = vec![Effect::LoadFeeds];
    // Status messages age once a second (only while one shows, or marks wait to be sent).
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut auto_refresh = match config.reader.refresh_interval_minutes {
        0 => None,
        minutes => {
            let period = Duration::from_secs(minutes.saturating_mul(60));
            Some(tokio::time::interval_at(tokio::time::Instant::now() + period, period))
        }
    };
    // A sync (a no-op without an account) at start, then every `sync_interval_minutes`.
    let mut auto_sync = match config.reader.sync_interval_minutes {
        0 => None,
        minutes => {
            let period = Duration::from_secs(minutes.saturating_mul(60));
            Some(tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(1), period))
        }
    };
    #[cfg(debug_assertions)]
    let test_panic = TestPanic::requested();
    let mut dirty = true;
    let mut last_draw = std::time::Instant::now();
    let exit = loop {
        let mut quit = false;
        for ran in runner.run(pending.drain(..))? {
            match ran {
                runner::Ran::Quit => quit = true,
                runner::Ran::InTerminal(url) => {
                    // The browser gets the terminal: no input reader may steal its keys.
                    drop(input);
                    let outcome = run_in_terminal(screen, runner.opener(), &url);
                    input = EventStream::new();
                    dirty = true;
                    runner.say(match outcome {
                        Ok(()) => Action::Notice(format!("back from {}", runner.opener().program())),
                        Err(e) => Action::Failed(format!("{e:#}")),
                    });
                }
            }
        }
        if quit {
            break Exit::Quit;
        }
        // Redraws are coalesced, never keys: a burst of keys (or of worker answers) is all
        // applied first, and the screen drawn once nothing else is ready, or at least every
        // `DRAW_EVERY` while a stream of actions lasts.
        if dirty && last_draw.elapsed() >= DRAW_EVERY {
            screen.terminal().draw(|frame| render(&app, frame)).context("cannot draw")?;
            dirty = false;
            last_draw = std::time::Instant::now();
        }
        let action = tokio::select! {
            biased;
            event = input.next() => match event {
                Some(Ok(Event::Key(k))) if terminal::is_suspend_key(k) && keymap.action_for(k).is_none() => {
                    // Ctrl-z, as in a shell: the terminal is given back while stopped.
                    screen.suspend().context("cannot take the terminal back after Ctrl-z")?;
                    dirty = true;
                    None
                }
                Some(Ok(Event::Key(k))) => {
                    #[cfg(debug_assertions)]
                    if test_panic == Some(TestPanic::Key) {
                        panic!("TIDINGS_TEST_PANIC=key: a test asked for a crash in the reader");
                    }
                    Some(Action::Key(k))
                }
                Some(Ok(Event::Resize(width, height))) => Some(Action::Resize { width, height }),
                Some(Ok(Event::Mouse(mouse))) => mouse_action(mouse),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => break Exit::Quit,
            },
            Some(action) = rx.recv() => Some(action),
            change = changes.recv() => change_action(&engine, change),
            Some(joined) = runner.join_next(), if !runner.is_idle() => {
                if let Err(e) = joined {
                    if e.is_panic() {
                        bail!("a background task crashed: {e}");
                    }
                }
                None
            }
            _ = sigterm.recv() => break Exit::Signal,
            _ = sighup.recv() => break Exit::Signal,
            _ = sigint.recv() => break Exit::Signal,
            // Nothing else is ready: draw now.
            () = std::future::ready(()), if dirty => {
                screen.terminal().draw(|frame| render(&app, frame)).context("cannot draw")?;
                dirty = false;
                last_draw = std::time::Instant::now();
                None
            }
            _ = ticker.tick(), if !app.status.message.is_empty() || app.background.push_due.is_some() => Some(Action::Tick),
            _ = next_tick(&mut auto_refresh) => Some(Action::AutoRefresh),
            _ = next_tick(&mut auto_sync) => Some(Action::AutoSync),
        };
        if let Some(action) = action {
            // Failures are shown in the status line for a few seconds; the log keeps them.
            if let Some(line) = log_line(&app, &action) {
                runner.log(log.clone(), line);
            }
            // A tick (each second while a message shows) changes the screen only when it takes
            // the message away or starts a sync: otherwise nothing is drawn.
            let before_tick = matches!(action, Action::Tick).then(|| drawn_by_ticks(&app));
            pending.extend(update(&mut app, action));
            dirty |= before_tick.is_none_or(|before| before != drawn_by_ticks(&app));
        }
    };
    // Marks already queued reach the store before it is flushed; reads finish quickly.
    runner.finish(Duration::from_secs(5)).await;
    Ok(exit)
}

/// What a tick can change on the screen: the status message, and a sync it starts.
fn drawn_by_ticks(app: &App) -> (String, bool) {
    (app.status.message.clone(), app.background.syncing)
}

/// The config file this run reads, for the welcome screen: `cli::run` does not pass its path
/// down, so it is resolved again from the same flags and variables.
fn config_file() -> Option<std::path::PathBuf> {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse().ok()?;
    crate::config::Paths::resolve(cli.config, cli.data_dir).ok().map(|p| p.config_file)
}

/// Runs a terminal browser (w3m, lynx) on `url` with the terminal handed over, then takes the
/// terminal back.
fn run_in_terminal(
    screen: &mut terminal::TerminalGuard,
    opener: &crate::opener::Opener,
    url: &str,
) -> Result<()> {
    screen.hand_over();
    let status = opener.command(url).status();
    screen.take_back().context("cannot take the terminal back")?;
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => bail!("{} exited with {s}", opener.program()),
        Err(e) => bail!("cannot run {}: {e}; set browser = [...] in config.toml", opener.program()),
    }
}

/// Debug builds only: a crash the tests ask for with `TIDINGS_TEST_PANIC=key` (the reader
/// panics on the first key, outside any containment). `TIDINGS_TEST_PANIC=render` is read by
/// the HTML layout, inside its containment. Release builds do not read the variable.
#[cfg(debug_assertions)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestPanic {
    Key,
}

#[cfg(debug_assertions)]
impl TestPanic {
    fn requested() -> Option<TestPanic> {
        (std::env::var_os("TIDINGS_TEST_PANIC")? == "key").then_some(TestPanic::Key)
    }
}

fn mouse_action(mouse: crossterm::event::MouseEvent) -> Option<Action> {
    use crossterm::event::{MouseButton, MouseEventKind};
    let (column, row) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Action::MouseScroll { column, row, down: true }),
        MouseEventKind::ScrollUp => Some(Action::MouseScroll { column, row, down: false }),
        MouseEventKind::Down(MouseButton::Left) => Some(Action::MouseClick { column, row }),
        _ => None,
    }
}

/// The log line an action deserves, if any: failures, cleaned of control characters.
fn log_line(app: &App, action: &Action) -> Option<String> {
    let line = match action {
        Action::Failed(message) => format!("reader: {message}"),
        Action::FeedRefreshed { feed, outcome: crate::refresh::FeedOutcome::Failed(error) } => {
            format!("refresh: feed {feed} ({}): {error}", app.feed_title(*feed))
        }
        Action::FeedAdded { feed: None, message } => format!("reader: {message}"),
        _ => return None,
    };
    Some(crate::sanitize::line(&line))
}

/// The next tick of an optional timer; never, without one.
async fn next_tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// What the reader makes of a change in the store: its own marks it knows already; everything
/// else reloads what it shows, and refresh progress shows wherever the refresh runs.
fn change_action(
    engine: &Engine,
    change: std::result::Result<crate::engine::Event, broadcast::error::RecvError>,
) -> Option<Action> {
    let event = match change {
        Ok(event) => event,
        // Missed some (a refresh's end among them, perhaps): reload everything.
        Err(broadcast::error::RecvError::Lagged(_)) => return Some(Action::Reconnected),
        Err(broadcast::error::RecvError::Closed) => return None,
    };
    let own = event.origin == engine.origin();
    match event.change {
        Change::Feeds | Change::Flags | Change::Tags if own => None,
        Change::Feeds | Change::Flags | Change::Tags => Some(Action::StoreChanged),
        // Not a reload only: a refresh that ran in the holder that went away never ends.
        Change::Reconnected => Some(Action::Reconnected),
        Change::RefreshStarted { total } => Some(Action::RefreshStarted { total }),
        Change::FeedRefreshed(p) => {
            Some(Action::FeedRefreshed { feed: p.report.feed, outcome: p.report.outcome })
        }
        Change::RefreshFinished(summary) => Some(Action::RefreshFinished(summary)),
        Change::SyncStep(step) => Some(Action::SyncStep(step)),
        // The reader's own sync answers its request (or ends its refresh) itself.
        Change::SyncFinished(_) if own => None,
        Change::SyncFinished(summary) => Some(Action::SyncedElsewhere(summary)),
    }
}

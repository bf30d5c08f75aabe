//! The interactive reader: `tidings` with no subcommand.
//!
//! One loop owns the `App`. It waits on terminal input, the action channel, finished workers
//! and termination signals; each `Action` goes through `update`, which returns `Effect`s; the
//! loop runs store reads and writes on blocking workers that report back with `Action`s, and
//! redraws only after state changed. The UI task itself never awaits I/O.

pub mod action;
pub mod app;
pub mod body;
pub mod effects;
pub mod keymap;
pub mod layout;
pub mod panes;
pub mod theme;
pub mod update;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::model::FeedId;
use crate::refresh::{self, RefreshOptions};
use crate::store::{Store, StoreSettings};
use action::{Action, Effect};
use app::App;

pub use panes::render;
pub use update::update;

/// How the loop ended.
enum Exit {
    Quit,
    /// SIGTERM, SIGHUP or SIGINT: the terminal may already be gone.
    Signal,
}

/// Runs the reader on `store` until the user quits or a termination signal arrives. The
/// terminal is restored and the store flushed on every way out.
pub fn run(store: Store, config: &Config) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        bail!("the reader needs a terminal; for scripts use a subcommand such as `tidings articles` (see tidings --help)");
    }
    // A bad [keys] entry stops the reader before it takes over the terminal.
    let keymap = keymap::Keymap::from_config(&config.keys)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Installs ratatui's panic hook, which restores the terminal before the panic message.
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            // Raw mode may be on even though the alternate screen failed.
            let _ = ratatui::try_restore();
            return Err(e).context("cannot set up the terminal");
        }
    };
    let result = runtime.block_on(event_loop(&mut terminal, store.clone(), config, &keymap));
    match result {
        Ok(Exit::Signal) => {
            // After SIGHUP the terminal is gone: ignore the failure to restore it.
            let _ = ratatui::try_restore();
        }
        _ => ratatui::restore(),
    }
    let flushed = store.flush();
    result?;
    flushed?;
    Ok(())
}

/// What a refresh started from the reader needs; the fetcher is built once.
struct Refresher {
    fetcher: std::result::Result<Fetcher, String>,
    settings: StoreSettings,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    store: Store,
    config: &Config,
    keymap: &keymap::Keymap,
) -> Result<Exit> {
    let refresher = Refresher {
        fetcher: Fetcher::new(&config.fetch).map_err(|e| format!("cannot refresh: {e}")),
        settings: config.store.clone(),
    };
    // The running refresh, aborted when the reader ends.
    let mut refreshing: Option<tokio::task::AbortHandle> = None;
    let (tx, mut rx) = unbounded_channel::<Action>();
    let mut input = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?;
    // Ctrl-C is a key in raw mode; this is `kill -INT` from elsewhere.
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    let mut workers: JoinSet<()> = JoinSet::new();
    // One writer applies store writes in the order `update` asked for them (`m` pressed twice
    // must end unread); reads run in parallel on their own workers.
    let (writes, write_queue) = std::sync::mpsc::channel::<Effect>();
    {
        let store = store.clone();
        let tx = tx.clone();
        workers.spawn_blocking(move || {
            for effect in write_queue {
                for action in effects::perform(&store, effect) {
                    let _ = tx.send(action);
                }
            }
        });
    }
    let size = terminal.size().context("cannot read the terminal size")?;
    let mut app = App::new(size.width, size.height);
    let mut pending = vec![Effect::LoadFeeds];
    let mut dirty = true;
    let exit = loop {
        let mut quit = false;
        for effect in pending.drain(..) {
            match effect {
                Effect::Quit => quit = true,
                effect if effect.is_write() => {
                    if writes.send(effect).is_err() {
                        bail!("the store writer has stopped");
                    }
                }
                Effect::Refresh(feed) => {
                    refreshing = Some(spawn_refresh(&mut workers, &store, &refresher, &tx, feed));
                }
                effect => spawn_effect(&mut workers, &store, &tx, effect),
            }
        }
        if quit {
            break Exit::Quit;
        }
        if dirty {
            terminal.draw(|frame| render(&app, frame)).context("cannot draw")?;
            dirty = false;
        }
        let action = tokio::select! {
            biased;
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) => keymap.action_for(key),
                Some(Ok(Event::Resize(width, height))) => Some(Action::Resize { width, height }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => break Exit::Quit,
            },
            Some(action) = rx.recv() => Some(action),
            Some(joined) = workers.join_next(), if !workers.is_empty() => {
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
        };
        if let Some(action) = action {
            pending = update(&mut app, action);
            dirty = true;
        }
    };
    // A refresh may wait on slow servers: stop it (each feed is written in one transaction, so
    // nothing half-written stays behind).
    if let Some(task) = refreshing {
        task.abort();
    }
    // Let marks already queued reach the store before it is flushed; reads finish quickly.
    drop(writes);
    let drain = async { while workers.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    Ok(exit)
}

fn spawn_effect(workers: &mut JoinSet<()>, store: &Store, tx: &UnboundedSender<Action>, effect: Effect) {
    let store = store.clone();
    let tx = tx.clone();
    workers.spawn_blocking(move || {
        for action in effects::perform(&store, effect) {
            // The loop has ended when the receiver is gone: nothing left to tell.
            let _ = tx.send(action);
        }
    });
}

/// Runs a refresh of `feed` (or of every feed) as an async task beside the UI task: each
/// feed's report becomes `FeedRefreshed`, the end `RefreshFinished`.
fn spawn_refresh(
    workers: &mut JoinSet<()>,
    store: &Store,
    refresher: &Refresher,
    tx: &UnboundedSender<Action>,
    feed: Option<FeedId>,
) -> tokio::task::AbortHandle {
    let store = store.clone();
    let tx = tx.clone();
    let fetcher = refresher.fetcher.clone();
    let settings = refresher.settings.clone();
    workers.spawn(async move {
        let fetcher = match fetcher {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.send(Action::RefreshFinished(Default::default()));
                let _ = tx.send(Action::Failed(e));
                return;
            }
        };
        let reader = store.clone();
        let feeds = tokio::task::spawn_blocking(move || match feed {
            Some(id) => reader.feed(id).map(|f| f.into_iter().collect::<Vec<_>>()),
            None => reader.feeds(),
        })
        .await;
        let feeds = match feeds {
            Ok(Ok(feeds)) => feeds,
            Ok(Err(e)) => {
                let _ = tx.send(Action::RefreshFinished(Default::default()));
                let _ = tx.send(Action::Failed(format!("store: {e}")));
                return;
            }
            Err(e) => {
                let _ = tx.send(Action::RefreshFinished(Default::default()));
                let _ = tx.send(Action::Failed(format!("cannot refresh: {e}")));
                return;
            }
        };
        // A feed the user named is fetched even if its server asked us to wait, as in
        // `tidings refresh ID`.
        let options = RefreshOptions { ignore_retry_after: feed.is_some() };
        let summary = refresh::refresh(&store, &fetcher, &settings, feeds, &options, |r| {
            let _ = tx.send(Action::FeedRefreshed { feed: r.feed, outcome: r.outcome.clone() });
        })
        .await;
        let _ = tx.send(Action::RefreshFinished(summary));
    })
}

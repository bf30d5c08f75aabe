//! The effect runner: performs what `update` asked for, off the UI task, and reports back as
//! [`Action`]s on the loop's channel. It owns the workers and the one store writer, so the
//! event loop is only: next event -> `update` -> `Runner::run` -> draw if changed.
//!
//! - Writes (marks, feed edits, reloads that must see them) go to one writer thread, in the
//!   order `update` asked for them: `m` pressed twice ends unread.
//! - Reads run on blocking workers in parallel. An answer that is no longer wanted (a list
//!   load superseded by a newer selection, rows of a list no longer shown) is not cancelled
//!   but ignored when it lands: `update` keeps what it asked for last (`articles.wanted`) and
//!   drops the rest, so a slow answer never overwrites a newer one.
//! - Refreshes and syncs run wherever the store is held; their progress arrives as changes.

use std::sync::mpsc;

use anyhow::{bail, Result};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::{JoinError, JoinSet};

use super::action::{Action, Effect};
use super::effects;
use crate::engine::{Engine, RefreshRequest, Subscribe};
use crate::model::FeedId;
use crate::opener::Opener;

/// What the loop itself must do after a batch of effects.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ran {
    Quit,
    /// A terminal browser (w3m, lynx) opens this URL: the loop hands it the terminal.
    InTerminal(String),
}

pub(crate) struct Runner {
    engine: Engine,
    tx: UnboundedSender<Action>,
    workers: JoinSet<()>,
    /// The store writer's queue; `None` once closing.
    writes: Option<mpsc::Sender<Effect>>,
    opener: Opener,
}

impl Runner {
    /// Starts the store writer.
    pub(crate) fn new(engine: Engine, tx: UnboundedSender<Action>, opener: Opener) -> Runner {
        let mut workers = JoinSet::new();
        let (writes, write_queue) = mpsc::channel::<Effect>();
        {
            let engine = engine.clone();
            let tx = tx.clone();
            workers.spawn_blocking(move || {
                for effect in write_queue {
                    for action in effects::perform(&engine, effect) {
                        let _ = tx.send(action);
                    }
                }
            });
        }
        Runner { engine, tx, workers, writes: Some(writes), opener }
    }

    pub(crate) fn opener(&self) -> &Opener {
        &self.opener
    }

    /// Performs `effects` in order; what only the loop can do comes back.
    pub(crate) fn run(&mut self, effects: impl IntoIterator<Item = Effect>) -> Result<Vec<Ran>> {
        let mut left = Vec::new();
        for effect in effects {
            match effect {
                Effect::Quit => left.push(Ran::Quit),
                effect if effect.is_write() => {
                    let sent = self.writes.as_ref().map(|w| w.send(effect));
                    if !matches!(sent, Some(Ok(()))) {
                        bail!("the store writer has stopped");
                    }
                }
                Effect::Refresh(feed) => self.refresh(feed),
                Effect::Sync => self.answer(|engine| match engine.sync(false) {
                    Ok(summary) => Action::SyncFinished(summary),
                    Err(e) => Action::SyncFinished(Some(crate::sync::SyncSummary {
                        error: Some(e.to_string()),
                        ..Default::default()
                    })),
                }),
                Effect::AddFeed(input) => self.answer(move |engine| match add_feed(engine, &input) {
                    Ok((feed, message)) => Action::FeedAdded { feed: Some(feed), message },
                    Err(e) => Action::FeedAdded { feed: None, message: format!("cannot add {input}: {e:#}") },
                }),
                Effect::AddSamples => self.answer(|engine| match engine.add_samples() {
                    Ok(ids) => Action::FeedAdded {
                        feed: ids.first().copied(),
                        message: format!("added {} sample feeds (R fetches them live)", ids.len()),
                    },
                    Err(e) => Action::Failed(format!("cannot add the sample feeds: {e}")),
                }),
                Effect::OpenUrl(link) => match self.opener.check(&link) {
                    Err(e) => self.say(Action::Failed(e.to_string())),
                    Ok(url) if self.opener.in_terminal() => left.push(Ran::InTerminal(url)),
                    Ok(url) => {
                        let opener = self.opener.clone();
                        let tx = self.tx.clone();
                        self.workers.spawn_blocking(move || {
                            let _ = tx.send(match opener.open_detached(&url) {
                                Ok(()) => Action::Notice(format!("opened {url}")),
                                Err(e) => Action::Failed(e.to_string()),
                            });
                        });
                    }
                },
                Effect::Copy(link) => match self.opener.check(&link) {
                    Err(e) => self.say(Action::Failed(e.to_string())),
                    Ok(url) => {
                        // OSC 52: the terminal's clipboard, which works over SSH and in tmux.
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        let _ =
                            out.write_all(crate::opener::osc52(&url).as_bytes()).and_then(|()| out.flush());
                        let tx = self.tx.clone();
                        self.workers.spawn_blocking(move || {
                            let how = match crate::opener::copy_to_local_clipboard(&url) {
                                Ok(tool) => format!("copied {url} ({tool} and the terminal)"),
                                Err(_) => format!("copied {url} (through the terminal, OSC 52)"),
                            };
                            let _ = tx.send(Action::Notice(how));
                        });
                    }
                },
                effect => {
                    let engine = self.engine.clone();
                    let tx = self.tx.clone();
                    self.workers.spawn_blocking(move || {
                        for action in effects::perform(&engine, effect) {
                            // The loop has ended when the receiver is gone: nothing to tell.
                            let _ = tx.send(action);
                        }
                    });
                }
            }
        }
        Ok(left)
    }

    /// Runs `work` on a worker and sends its answer.
    fn answer(&mut self, work: impl FnOnce(&Engine) -> Action + Send + 'static) {
        let engine = self.engine.clone();
        let tx = self.tx.clone();
        self.workers.spawn_blocking(move || {
            let _ = tx.send(work(&engine));
        });
    }

    /// Reports `action` as any worker would.
    pub(crate) fn say(&self, action: Action) {
        let _ = self.tx.send(action);
    }

    /// Writes a line to the log file on a worker (the UI task never waits on disk).
    pub(crate) fn log(&mut self, log: std::sync::Arc<crate::logfile::LogFile>, line: String) {
        self.workers.spawn_blocking(move || log.write(&line));
    }

    /// A refresh of `feed` (or of every feed) wherever the store is held. Its progress and
    /// its end arrive as changes, like those of a refresh another process started; only a
    /// refresh that could not start is reported here.
    fn refresh(&mut self, feed: Option<FeedId>) {
        let engine = self.engine.clone();
        let tx = self.tx.clone();
        self.workers.spawn_blocking(move || {
            // A feed the user named is fetched even if its server asked us to wait, as in
            // `tidings refresh ID`.
            let request = RefreshRequest { feeds: feed.map(|f| vec![f]), named: feed.is_some() };
            if let Err(e) = engine.refresh(request, &mut |_| {}) {
                let _ = tx.send(Action::RefreshFinished(Default::default()));
                let _ = tx.send(Action::Failed(format!("cannot refresh: {e}")));
            }
        });
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.workers.is_empty()
    }

    /// The next worker to end (the loop stops on a crashed one).
    pub(crate) async fn join_next(&mut self) -> Option<Result<(), JoinError>> {
        self.workers.join_next().await
    }

    /// Lets the marks already queued reach the store, and the other workers end, for at most
    /// `wait`. A refresh this process runs for others is left behind (each feed is written in
    /// one transaction, so nothing half-written stays behind).
    pub(crate) async fn finish(mut self, wait: std::time::Duration) {
        self.writes = None;
        let drain = async {
            while let Some(joined) = self.workers.join_next().await {
                let _ = joined;
            }
        };
        let _ = tokio::time::timeout(wait, drain).await;
    }
}

/// `a`: subscribes to what the user typed (a feed, or a page that links to one) and fetches
/// it. Unlike `tidings add --no-fetch`, a URL that cannot be fetched is not added: in the
/// reader a typo is the likelier cause, and the user is right there to try again.
fn add_feed(engine: &Engine, input: &str) -> Result<(FeedId, String)> {
    let url = crate::subscriptions::feed_url_from_input(input)?;
    let sub = Subscribe {
        url: url.clone(),
        title: None,
        tags: Vec::new(),
        options: Default::default(),
        fetch: true,
    };
    let done = engine.subscribe_feed(sub)?;
    let id = done.feed.id;
    if !done.added {
        return Ok((id, format!("already subscribed to {}", done.feed.url)));
    }
    let note = match done.page_feeds.len() {
        0 | 1 => String::new(),
        n => format!(" (the page links to {n} feeds; added the first)"),
    };
    let title = done.feed.display_title();
    let message = match done.first_fetch.map(|r| r.outcome) {
        Some(crate::refresh::FeedOutcome::Updated(stats)) => {
            format!("added {title}: {}{note}", crate::words::plural(stats.total, "article"))
        }
        Some(crate::refresh::FeedOutcome::Failed(e)) => format!("added {title}, but: {e}"),
        _ => format!("added {title}{note}"),
    };
    Ok((id, message))
}

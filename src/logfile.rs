//! The log file, through `tracing`: [`init`] installs a subscriber that writes every event
//! (`tracing::info!` and friends, anywhere in tidings) to daily files beside the path it is
//! given, and [`LogFile`] keeps the older line-at-a-time API on top of it.
//!
//! Where: for `…/tidings.log`, today's lines go to `…/tidings.YYYY-MM-DD.log` (UTC dates), and
//! `…/tidings.log` becomes a link to that file. A plain `tidings.log` left by an older tidings
//! is renamed `tidings.old.log` and pruned with the rest.
//!
//! Bound: tracing-appender 0.2.5 rotates by time only (it has no size limit), so each file is
//! capped here at [`MAX_FILE_BYTES`]: past it, a day's lines are dropped after one line saying
//! so. With [`MAX_FILES`] files kept, the log never holds more than 7 × 8 MiB, plus one
//! line per file.
//!
//! Level: `TIDINGS_LOG` (see [`filter_from`]); `info` when unset.
//!
//! Every line is cleaned with [`crate::sanitize::line`] on its way to the file (messages
//! carry feed titles and server errors), and cut at [`MAX_LINE_BYTES`].
//!
//! Logging never breaks a run: if the directory cannot be made or written, nothing is logged
//! and nothing is said. Lines are written by a background thread; the thread writes what is
//! queued and the file is flushed when the last [`LogGuard`] (or [`LogFile`]) is dropped.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{reload, Registry};

/// The environment variable that sets what is logged.
pub(crate) const ENV_VAR: &str = "TIDINGS_LOG";
/// Daily files kept, today's included.
pub(crate) const MAX_FILES: usize = 7;
/// A day's file stops growing here.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// A longer line is cut here (a panic message with a huge payload, a whole feed in an error).
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Keeps the log open: events are written while any guard lives, and the last one to go
/// flushes what is queued. Hold one in `main` for the whole run.
#[must_use = "the log closes when the guard is dropped"]
pub struct LogGuard(Option<Arc<Active>>);

impl LogGuard {
    /// False when the log could not be opened (events are then dropped).
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }
}

/// The open log: the writer events go to, and the guard that flushes its thread.
struct Active {
    writer: NonBlocking,
    _worker: WorkerGuard,
}

/// The process-wide subscriber: its filter (replaced when a log is opened) and the open log,
/// held weakly so that dropping the last guard closes it.
struct Global {
    filter: reload::Handle<Targets, Registry>,
    active: Mutex<Weak<Active>>,
}

static GLOBAL: OnceLock<Option<Global>> = OnceLock::new();

/// Installs the subscriber (once per process) and opens the log at `log_file` with the level
/// from `TIDINGS_LOG`. While a log is open, another call returns a guard for the same log
/// (whatever path it names). Never fails: see [`LogGuard::is_active`].
pub fn init(log_file: &Path) -> LogGuard {
    let spec = std::env::var(ENV_VAR).ok();
    init_with_filter(log_file, spec.as_deref())
}

/// Lines waiting for the log file's writing thread at most (see `init_with_filter`).
const LOG_QUEUE_LINES: usize = 8_192;

/// [`init`] with the filter given instead of read from `TIDINGS_LOG`.
pub fn init_with_filter(log_file: &Path, spec: Option<&str>) -> LogGuard {
    let Some(global) = GLOBAL.get_or_init(install).as_ref() else {
        return LogGuard(None);
    };
    let Ok(mut slot) = global.active.lock() else {
        return LogGuard(None);
    };
    if let Some(active) = slot.upgrade() {
        return LogGuard(Some(active));
    }
    let Some(appender) = open_appender(log_file) else {
        return LogGuard(None);
    };
    // The queue to the writing thread is allocated whole at its start: the default 128,000
    // lines took 4 MB of every process (a status bar's `tidings unread` included). The thread
    // writes a line in microseconds; a burst of more than this many while it is behind loses
    // the extra lines, never blocks the caller.
    let (writer, worker) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("tidings-log")
        .finish(appender);
    let (filter, warning) = filter_from(spec);
    // Fails only if the subscriber is gone, and then nothing is logged anyway.
    let _ = global.filter.reload(filter);
    let active = Arc::new(Active { writer, _worker: worker });
    *slot = Arc::downgrade(&active);
    drop(slot);
    if let Some(warning) = warning {
        tracing::warn!(target: "tidings", "{warning}");
    }
    LogGuard(Some(active))
}

/// What `TIDINGS_LOG` asks for, and a warning when it could not be read.
///
/// - unset or empty: `info` for tidings, `warn` for the libraries it uses;
/// - a level (`error`, `warn`, `info`, `debug`, `trace`, `off`): that level for tidings, and
///   still `warn` for the libraries, so `debug` does not fill the log with HTTP/2 frames;
/// - anything else is read as `target=level` directives, comma-separated, a bare level
///   setting the default (`debug,h2=off`, `tidings::refresh=trace`).
pub(crate) fn filter_from(spec: Option<&str>) -> (Targets, Option<String>) {
    let ours =
        |level: LevelFilter| Targets::new().with_default(LevelFilter::WARN).with_target("tidings", level);
    let spec = spec.map(str::trim).unwrap_or_default();
    if spec.is_empty() {
        return (ours(LevelFilter::INFO), None);
    }
    if let Ok(level) = spec.parse::<LevelFilter>() {
        return (ours(level), None);
    }
    // tracing reads a bare word as a target to log everything of, which would turn a typo
    // (`TIDINGS_LOG=verbose`) into an empty log: every part must be a level or target=level.
    let bare_word =
        spec.split(',').map(str::trim).find(|p| !p.contains('=') && p.parse::<LevelFilter>().is_err());
    let parsed = match bare_word {
        Some(word) => Err(format!("{word:?} is neither a level nor target=level")),
        None => spec.parse::<Targets>().map_err(|e| e.to_string()),
    };
    match parsed {
        Ok(targets) => (targets, None),
        Err(e) => (
            ours(LevelFilter::INFO),
            Some(format!(
                "{ENV_VAR}={spec:?} is not understood ({e}); logging at info. Give a level \
                 (error, warn, info, debug, trace, off) or target=level pairs such as \
                 \"debug,h2=off\""
            )),
        ),
    }
}

/// Builds the subscriber and makes it the global default. `None` when another subscriber
/// was installed first (a test harness, an embedding program): that one keeps the events.
fn install() -> Option<Global> {
    let (filter_layer, filter) = reload::Layer::new(filter_from(None).0);
    let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(ToActive);
    let subscriber = Registry::default().with(filter_layer).with(fmt);
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(Global { filter, active: Mutex::new(Weak::new()) })
}

/// The rolling appender for `log_file`, with the old plain log moved out of the way of the
/// link; `None` when the directory cannot be made or written.
fn open_appender(log_file: &Path) -> Option<CleanCapped> {
    let dir = match log_file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = log_file.file_name()?.to_str()?.to_owned();
    let prefix = name.strip_suffix(".log").unwrap_or(&name).to_owned();
    std::fs::create_dir_all(&dir).ok()?;
    // The appender replaces whatever is at the link's name; keep an older tidings' log.
    if std::fs::symlink_metadata(log_file).is_ok_and(|m| m.is_file()) {
        let _ = std::fs::rename(log_file, dir.join(format!("{prefix}.old.log")));
    }
    let builder = || {
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix(prefix.clone())
            .filename_suffix("log")
            .max_log_files(MAX_FILES)
    };
    // A file system without symbolic links still gets a log, without the link.
    let appender =
        builder().latest_symlink(name.clone()).build(&dir).or_else(|_| builder().build(&dir)).ok()?;
    Some(CleanCapped { appender, dir, prefix, capped_day: None })
}

/// Hands each event to the open log's writer, or drops it when none is open.
struct ToActive;

impl<'a> MakeWriter<'a> for ToActive {
    type Writer = ActiveWriter;

    fn make_writer(&'a self) -> ActiveWriter {
        let writer = GLOBAL
            .get()
            .and_then(Option::as_ref)
            .and_then(|g| g.active.lock().ok()?.upgrade())
            .map(|a| a.writer.clone());
        ActiveWriter(writer)
    }
}

struct ActiveWriter(Option<NonBlocking>);

impl Write for ActiveWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(w) = &mut self.0 {
            // The queue drops lines when full rather than block; an error here is one lost line.
            let _ = w.write(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The file end, on the log's own thread: each write is one formatted event, which is cleaned,
/// cut to [`MAX_LINE_BYTES`], and dropped once today's file holds [`MAX_FILE_BYTES`]. Errors
/// are swallowed: a full disk costs log lines, not the run.
struct CleanCapped {
    appender: RollingFileAppender,
    dir: PathBuf,
    prefix: String,
    /// The day whose file reached the cap and said so.
    capped_day: Option<String>,
}

impl Write for CleanCapped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut line = crate::sanitize::line(&String::from_utf8_lossy(buf));
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str(" [cut]");
        }
        line.push('\n');
        // The appender names files by the UTC date, as here. Its size is asked of the file
        // system, so two tidings writing one file (the reader and a cron refresh) share the cap.
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let path = self.dir.join(format!("{}.{today}.log", self.prefix));
        let len = std::fs::metadata(&path).map_or(0, |m| m.len());
        if len + line.len() as u64 > MAX_FILE_BYTES {
            if self.capped_day.as_deref() != Some(today.as_str()) && len < MAX_FILE_BYTES {
                let note = format!(
                    "{} tidings: this log file reached its {} MiB cap; further lines of today are \
                     dropped (set {ENV_VAR}=warn to log less)\n",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
                    MAX_FILE_BYTES / (1024 * 1024),
                );
                let _ = self.appender.write_all(note.as_bytes());
            }
            self.capped_day = Some(today);
            return Ok(buf.len());
        }
        let _ = self.appender.write_all(line.as_bytes());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.appender.flush();
        Ok(())
    }
}

/// The older API, kept for its callers: `open` opens (or joins) the log, `write` logs one
/// line at `info`. The log stays open while a `LogFile` lives.
pub struct LogFile {
    _guard: LogGuard,
}

impl LogFile {
    pub fn open(path: &Path) -> LogFile {
        LogFile { _guard: init(path) }
    }

    /// Logs `line` at info level. It is cleaned again on the way to the file.
    pub fn write(&self, line: &str) {
        tracing::info!(target: "tidings", "{}", crate::sanitize::line(line));
    }
}

/// Sends panics to the log. A panic the parser contains (it becomes that feed's error) is
/// only logged; any other also goes to the previous hook, which tells the user.
pub fn install_panic_hook(log_path: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Joins the open log, or opens one for this line (flushed when `_log` is dropped).
        let _log = init(&log_path);
        tracing::error!(target: "tidings", "panic: {}", crate::sanitize::line(&info.to_string()));
        if !crate::parse::containing_panics()
            && !crate::render::containing_panics()
            && !crate::store::containing_panics()
        {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn enabled(t: &Targets, target: &str, level: Level) -> bool {
        t.would_enable(target, &level)
    }

    #[test]
    fn filters_from_the_environment_value() {
        let (t, w) = filter_from(None);
        assert!(w.is_none());
        assert!(enabled(&t, "tidings::refresh", Level::INFO) && !enabled(&t, "tidings", Level::DEBUG));
        assert!(!enabled(&t, "h2::codec", Level::INFO) && enabled(&t, "h2", Level::WARN));

        let (t, _) = filter_from(Some(" DEBUG "));
        assert!(enabled(&t, "tidings::store", Level::DEBUG) && !enabled(&t, "tidings", Level::TRACE));
        assert!(!enabled(&t, "h2", Level::DEBUG), "a bare level is for tidings only");

        let (t, _) = filter_from(Some("off"));
        assert!(!enabled(&t, "tidings", Level::ERROR));

        let (t, w) = filter_from(Some("debug,h2=off"));
        assert!(w.is_none());
        assert!(enabled(&t, "hyper", Level::DEBUG) && !enabled(&t, "h2", Level::ERROR));

        let (t, w) = filter_from(Some("lots=please=now"));
        assert!(enabled(&t, "tidings", Level::INFO) && !enabled(&t, "tidings", Level::DEBUG));
        assert!(w.is_some_and(|w| w.contains("TIDINGS_LOG=\"lots=please=now\"")));
        let (t, w) = filter_from(Some("verbose, h2=off"));
        assert!(enabled(&t, "tidings", Level::INFO));
        assert!(w.is_some_and(|w| w.contains("\"verbose\" is neither a level nor target=level")));
    }
}

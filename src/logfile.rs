//! Appends timestamped lines to `$XDG_STATE_HOME/tidings/tidings.log`.
//!
//! Logging must never break a run: if the file can't be opened or written, lines are dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct LogFile {
    file: Option<Mutex<std::fs::File>>,
}

impl LogFile {
    pub fn open(path: &Path) -> LogFile {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok();
        LogFile { file: file.map(Mutex::new) }
    }

    /// Writes one line; `line` must already be cleaned of control characters.
    pub fn write(&self, line: &str) {
        if let Some(file) = &self.file {
            if let Ok(mut f) = file.lock() {
                let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
                let _ = writeln!(f, "{now} {line}");
            }
        }
    }
}

/// Sends panics to the log. A panic the parser contains (it becomes that feed's error) is
/// only logged; any other also goes to the previous hook, which tells the user.
pub fn install_panic_hook(log_path: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let log = LogFile::open(&log_path);
        log.write(&crate::sanitize::line(&format!("panic: {info}")));
        if !crate::parse::containing_panics() && !crate::render::containing_panics() {
            previous(info);
        }
    }));
}

//! Appends timestamped lines to `$XDG_STATE_HOME/tidings/tidings.log`.
//!
//! Logging must never break a run: if the file can't be opened or written, lines are dropped.

use std::io::Write;
use std::path::Path;
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

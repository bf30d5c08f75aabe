//! The data directory around sled's files: which names are ours, and the stamp file that
//! remembers what the database held the last time it was known to be on disk.
//!
//! Contract: the stamp is written only after a `flush` has made at least the state it
//! describes durable, so a database that sled recovers after a crash is never older than its
//! stamp. One that is older (or empty) lost data that had been saved: it was truncated,
//! damaged, or replaced, and `Store::open` refuses it rather than show it as new.

use std::path::{Path, PathBuf};

use super::codec::Records;

/// The stamp file beside the database.
pub const STAMP_FILE: &str = "tidings.stamp";
const STAMP_TMP: &str = "tidings.stamp.tmp";
const STAMP_FORMAT: &str = "tidings-stamp-v1";

/// Where `Store::repair` builds the new database before it takes the old one's place.
pub const REPAIR_DIR: &str = "repair.new";
/// The prefix of the directories `Store::repair` moves the damaged files into.
pub const DAMAGED_PREFIX: &str = "damaged-";

/// sled's own files in a data dir (`snap.*` files are matched by [`SLED_PREFIXES`]).
pub const SLED_FILES: &[&str] = &["conf", "db", "blobs"];
/// sled's snapshot files: `snap.<lsn>` and `snap.<lsn>.generating`.
pub const SLED_PREFIXES: &[&str] = &["snap."];

/// The suffix of a snapshot sled has begun and not finished: it writes `snap.<lsn>.generating`
/// and renames it to `snap.<lsn>` once whole.
const UNFINISHED_SNAPSHOT: &str = ".generating";

/// Every other name tidings itself keeps in a data dir. A directory holding nothing but
/// these (and sled's files) is a tidings data dir; anything else in a directory without a
/// database means the user pointed `--data-dir` at a directory of their own. Add a name here
/// whenever tidings starts keeping a new file beside the database.
pub const OUR_FILES: &[&str] = &[
    STAMP_FILE,
    STAMP_TMP,
    "unread.cache",
    "unread.cache.tmp",
    "tidings.log",
    "tidings.sock",
    REPAIR_DIR,
    "sync.secret",
    "sync.secret.tmp",
    LIST_ORDERS_FILE,
];
/// Prefixes of the names tidings keeps (see [`OUR_FILES`]).
pub const OUR_PREFIXES: &[&str] = &[DAMAGED_PREFIX, LIST_ORDERS_TMP_PREFIX];
/// The reader's order for each list (`ui::list_orders`), and its temporary while written.
pub const LIST_ORDERS_FILE: &str = "list-orders";
pub const LIST_ORDERS_TMP_PREFIX: &str = ".list-orders.";

/// Whether `name` is a file sled or tidings keeps in a data dir.
pub fn is_ours(name: &str) -> bool {
    SLED_FILES.contains(&name)
        || OUR_FILES.contains(&name)
        || SLED_PREFIXES.iter().chain(OUR_PREFIXES).any(|p| name.starts_with(p))
}

/// Removes the snapshots sled began and never finished; returns their names.
///
/// sled (0.34) writes a snapshot, its index of the log, at nearly every open that follows a
/// write: to `snap.<lsn>.generating`, in three writes, then renamed to `snap.<lsn>`. But when
/// it opens it reads the snapshot with the highest name, `.generating` ones included, so a
/// process killed between creating that file and writing its last byte (a `kill -9` in the
/// first milliseconds of any command) leaves one that every later open refuses as corrupt.
/// Removing it gives back the files exactly as they were a moment before sled created it, a
/// state sled recovers from: the finished snapshot before it is still there (sled removes the
/// old ones only after the rename) and so is the log.
///
/// Only under the lock sled itself takes on `db`, let go before sled takes it: while another
/// process holds the database, its snapshot may be the one being written, and nothing is
/// removed (that process then answers this one through the engine).
pub fn remove_unfinished_snapshots(dir: &Path) -> std::io::Result<Vec<String>> {
    let db = match std::fs::File::open(dir.join("db")) {
        Ok(f) => f,
        // No `db` (a new data dir): no sled ever held this directory or wrote a snapshot in it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if !lock_exclusive(&db) {
        return Ok(Vec::new());
    }
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if SLED_PREFIXES.iter().any(|p| name.starts_with(p)) && name.ends_with(UNFINISHED_SNAPSHOT) {
            std::fs::remove_file(dir.join(&name))?;
            removed.push(name);
        }
    }
    // Closing `db` lets go of the lock.
    drop(db);
    Ok(removed)
}

/// Removes sled's `conf` when its `db` holds nothing (missing or empty), so that sled writes
/// a new one; false (and nothing removed) when `db` holds data or another process holds it.
/// The `conf` only describes the log in `db`: with no log there is nothing it could misread.
pub fn remove_conf_of_empty_database(dir: &Path) -> bool {
    let db = match std::fs::File::open(dir.join("db")) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return false,
    };
    if let Some(db) = &db {
        if !lock_exclusive(db) || db.metadata().map_or(true, |m| m.len() > 0) {
            return false;
        }
    }
    // Removed while `db` is locked (if it exists), then the lock goes with `db`.
    std::fs::remove_file(dir.join("conf")).is_ok()
}

/// Takes the lock sled takes on its `db` file (`flock`, exclusive), without waiting; false
/// when another process holds it.
#[cfg(unix)]
#[allow(unsafe_code, reason = "flock: libc has no safe wrapper (std's File::try_lock needs Rust 1.89)")]
fn lock_exclusive(file: &std::fs::File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; the lock goes when it is closed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &std::fs::File) -> bool {
    false
}

/// What is in a directory that is about to be opened as a data dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirState {
    /// Missing, or empty: a new database is created there.
    New,
    /// Holds a database (sled's `conf` or `db`, or our stamp) or only files tidings keeps.
    Ours,
    /// Holds other files and no database; names one of them.
    Foreign(String),
    /// Not a directory, or unreadable: `create_dir_all` or sled will say why.
    Unknown,
}

/// Looks at `dir` without changing anything in it.
pub fn classify(dir: &Path) -> DirState {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return DirState::New,
        Err(_) => return DirState::Unknown,
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => names.push(e.file_name().to_string_lossy().into_owned()),
            Err(_) => return DirState::Unknown,
        }
    }
    if names.is_empty() {
        return DirState::New;
    }
    // A database is ours even with strangers beside it (a note the user left, a backup
    // copy): refusing it would lock the user out of their own feeds.
    let has_database = names.iter().any(|n| n == "conf" || n == "db" || n == STAMP_FILE);
    if has_database {
        return DirState::Ours;
    }
    names.sort();
    match names.into_iter().find(|n| !is_ours(n)) {
        Some(stranger) => DirState::Foreign(stranger),
        None => DirState::Ours,
    }
}

/// What the database held when it was last known to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub records: Records,
}

fn stamp_path(dir: &Path) -> PathBuf {
    dir.join(STAMP_FILE)
}

/// The stamp in `dir`. `None` when there is none (a data dir from before stamps, or a new
/// one) or when it cannot be parsed: a stamp that is itself damaged says nothing about the
/// database, and refusing over it would lock the user out for no loss of data.
pub fn read_stamp(dir: &Path) -> Option<Stamp> {
    let text = std::fs::read_to_string(stamp_path(dir)).ok()?;
    parse_stamp(&text)
}

fn parse_stamp(text: &str) -> Option<Stamp> {
    let mut parts = text.split_whitespace();
    if parts.next()? != STAMP_FORMAT {
        return None;
    }
    let mut field = |name: &str| -> Option<u64> {
        let (k, v) = parts.next()?.split_once('=')?;
        (k == name).then(|| v.parse().ok()).flatten()
    };
    let records = Records { seq: field("seq")?, feeds: field("feeds")?, articles: field("articles")? };
    parts.next().is_none().then_some(Stamp { records })
}

fn format_stamp(stamp: &Stamp) -> String {
    let r = stamp.records;
    format!("{STAMP_FORMAT} seq={} feeds={} articles={}\n", r.seq, r.feeds, r.articles)
}

/// Replaces the stamp atomically (temp file + rename), so a crash leaves the old stamp or
/// the new one, never half of one. Not synced: a stamp lost to a power cut is an older one
/// (or none), which only makes the next check less strict, never wrong.
pub fn write_stamp(dir: &Path, stamp: &Stamp) -> std::io::Result<()> {
    let tmp = dir.join(STAMP_TMP);
    std::fs::write(&tmp, format_stamp(stamp))?;
    std::fs::rename(&tmp, stamp_path(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_damaged_ones_are_ignored() {
        let s = Stamp { records: Records { seq: 12, feeds: 3, articles: 450 } };
        assert_eq!(parse_stamp(&format_stamp(&s)), Some(s));
        for bad in [
            "",
            "tidings-stamp-v1",
            "tidings-stamp-v2 seq=1 feeds=1 articles=1",
            "tidings-stamp-v1 seq=1 feeds=1",
            "tidings-stamp-v1 seq=1 feeds=x articles=1",
            "tidings-stamp-v1 feeds=1 seq=1 articles=1",
            "tidings-stamp-v1 seq=1 feeds=1 articles=1 extra",
            "\u{0}\u{0}\u{0}",
        ] {
            assert_eq!(parse_stamp(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stamps_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_stamp(dir.path()), None);
        let s = Stamp { records: Records { seq: 1, feeds: 1, articles: 0 } };
        write_stamp(dir.path(), &s).unwrap();
        assert_eq!(read_stamp(dir.path()), Some(s));
        assert!(!dir.path().join(STAMP_TMP).exists());
        std::fs::write(dir.path().join(STAMP_FILE), b"tidings-stamp-v1 seq=").unwrap();
        assert_eq!(read_stamp(dir.path()), None);
    }

    #[test]
    #[allow(unsafe_code, reason = "flock, to hold the lock as sled does")]
    fn unfinished_snapshots_are_removed_only_under_the_lock() {
        use std::os::unix::io::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // No `db`: nothing is touched, not even a stray name.
        std::fs::write(d.join("snap.0000000000000010.generating"), b"").unwrap();
        assert_eq!(remove_unfinished_snapshots(d).unwrap(), Vec::<String>::new());
        assert!(d.join("snap.0000000000000010.generating").exists());
        for name in ["db", "conf", "snap.0000000000000010", "snap.0000000000000020.generating"] {
            std::fs::write(d.join(name), b"x").unwrap();
        }
        // Held (as sled holds it): the snapshot may be one being written now.
        let held = std::fs::File::open(d.join("db")).unwrap();
        // SAFETY: flock on a descriptor `held` owns for the whole call.
        assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
        assert_eq!(remove_unfinished_snapshots(d).unwrap(), Vec::<String>::new());
        assert!(d.join("snap.0000000000000020.generating").exists());
        drop(held);
        let mut removed = remove_unfinished_snapshots(d).unwrap();
        removed.sort();
        assert_eq!(removed, ["snap.0000000000000010.generating", "snap.0000000000000020.generating"]);
        let mut left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["conf", "db", "snap.0000000000000010"]);
        // And the lock was let go: sled can take it.
        let again = std::fs::File::open(d.join("db")).unwrap();
        // SAFETY: as above, on `again`.
        assert_eq!(unsafe { libc::flock(again.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    }

    #[test]
    fn directories_are_told_apart_by_what_they_hold() {
        let root = tempfile::tempdir().unwrap();
        let dir = |name: &str, files: &[&str]| {
            let d = root.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            for f in files {
                std::fs::write(d.join(f), b"x").unwrap();
            }
            d
        };
        assert_eq!(classify(&root.path().join("missing")), DirState::New);
        assert_eq!(classify(&dir("empty", &[])), DirState::New);
        assert_eq!(classify(&dir("sled", &["conf", "db", "snap.00000000001C2D1F"])), DirState::Ours);
        assert_eq!(classify(&dir("ours", &["unread.cache", "tidings.log", "tidings.sock"])), DirState::Ours);
        assert_eq!(classify(&dir("stamp-only", &[STAMP_FILE])), DirState::Ours);
        assert_eq!(classify(&dir("with-a-note", &["conf", "db", "notes.txt"])), DirState::Ours);
        assert_eq!(
            classify(&dir("home", &["unread.cache", "thesis.tex", "photo.jpg"])),
            DirState::Foreign("photo.jpg".into())
        );
        assert_eq!(classify(&dir("dotfile", &[".bashrc"])), DirState::Foreign(".bashrc".into()));
        let file = root.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(classify(&file), DirState::Unknown);
    }

    #[test]
    fn our_names_include_sleds_and_the_files_kept_beside_it() {
        for name in ["conf", "db", "blobs", "snap.0000000000ABCDEF", "snap.01.generating", STAMP_FILE] {
            assert!(is_ours(name), "{name}");
        }
        for name in ["unread.cache", "unread.cache.tmp", "tidings.log", "tidings.sock", "damaged-20240101"] {
            assert!(is_ours(name), "{name}");
        }
        for name in ["config.toml", "dbx", "snap", "notes.txt"] {
            assert!(!is_ours(name), "{name}");
        }
    }
}

//! A real sled database, truncated and overwritten on disk: `Store::open` must refuse it
//! (never show it empty or short), `Store::repair` must keep what sled can still read, and
//! what a killed process legitimately loses must not be called damage. Also the data
//! directory itself: someone else's directory is refused and left alone.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tidings::model::{ArticleKey, FeedId, ParsedArticle};
use tidings::store::{
    ArticleQuery, FeedUpdate, FetchRecord, FetchResult, Mark, NewFeed, PreparedArticle, RepairReport, Store,
    StoreError, StoreSettings, STAMP_FILE,
};

const FEEDS: u32 = 12;
const PER_FEED: u32 = 30;

fn article(feed: u32, n: u32) -> ParsedArticle {
    let mut key = [0u8; 16];
    key[..4].copy_from_slice(&feed.to_be_bytes());
    key[4..8].copy_from_slice(&n.to_be_bytes());
    // Bodies that barely compress, so the log spans several of sled's 512 KiB segments and a
    // cut or a bad page can land in the middle of it.
    let mut x = feed.wrapping_mul(7919) ^ n.wrapping_mul(104_729) ^ 0x5bd1_e995;
    let noise: String = (0..4000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + ((x >> 16) % 26) as u8)
        })
        .collect();
    ParsedArticle {
        key: ArticleKey(key),
        guid: Some(format!("g-{feed}-{n}")),
        title: format!("feed {feed} article {n}"),
        link: Some(format!("https://f{feed}.example/{n}")),
        date: Some(Utc.with_ymd_and_hms(2024, 3, 1 + n % 28, 12, 0, 0).unwrap()),
        content_html: format!("<p>{noise}</p>"),
        ..Default::default()
    }
}

fn fetch(store: &Store, feed: FeedId, f: u32, n: u32) {
    let update = FeedUpdate {
        feed_title: format!("Feed {f}"),
        site_link: None,
        etag: None,
        last_modified: None,
        moved_to: None,
        articles: (0..n).map(|i| PreparedArticle::new(article(f, i))).collect(),
    };
    store
        .apply_fetch(
            feed,
            FetchResult::Updated(update),
            FetchRecord::default(),
            &StoreSettings::default(),
            1_711_000_000,
        )
        .unwrap();
}

fn add_feeds(store: &Store, range: std::ops::Range<u32>) {
    for f in range {
        let (id, _) = store
            .add_feed(NewFeed { url: format!("https://f{f}.example/feed"), ..Default::default() })
            .unwrap();
        fetch(store, id, f, PER_FEED);
    }
}

fn open(dir: &Path) -> Result<Store, StoreError> {
    common::when_released(|| Store::open(dir, &StoreSettings::default()))
}

fn repair(dir: &Path) -> Result<RepairReport, StoreError> {
    common::when_released(|| Store::repair(dir, &StoreSettings::default()))
}

/// A closed database of `FEEDS` feeds, every third article read.
fn build(dir: &Path) {
    let store = open(dir).unwrap();
    add_feeds(&store, 0..FEEDS);
    let ids: Vec<_> = store.list_entries(&ArticleQuery::default()).unwrap().iter().map(|e| e.id).collect();
    let read: Vec<_> = ids.iter().copied().step_by(3).collect();
    store.mark(&read, Mark::Read).unwrap();
    store.flush().unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

fn db_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("db")).unwrap().len()
}

fn truncate(dir: &Path, len: u64) {
    std::fs::OpenOptions::new().write(true).open(dir.join("db")).unwrap().set_len(len).unwrap();
}

fn garbage(dir: &Path, at: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(dir.join("db")).unwrap();
    let page: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    f.write_all_at(&page, at).unwrap();
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// `open` said the database is damaged.
    Refused,
    /// `open` worked and everything is there.
    Intact,
    /// `open` worked (it reads no pages beyond a few), and `check` found the unreadable page.
    FoundByCheck,
    /// `open` worked, and `check` says what is missing: sled recovers a log with garbage in
    /// its middle by dropping, without a word, the pages it cannot read past. `open` catches
    /// that only where the article trees no longer end at the same article (it reads their
    /// ends; counting every record would cost every open a scan).
    MissingFoundByCheck,
}

/// What opening a damaged copy gives. Fails the test on the one outcome that must never
/// happen: a store that opens and shows fewer feeds or articles than were saved, with
/// `check` blind to it.
fn outcome(dir: &Path, label: &str) -> Outcome {
    let store = match open(dir) {
        Err(e @ StoreError::Damaged { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(dir.to_str().unwrap()),
                "{label}: the message does not name the dir: {text}"
            );
            assert!(text.contains("tidings check --repair") && text.contains("backup"), "{label}: {text}");
            return Outcome::Refused;
        }
        Err(e) => panic!("{label}: refused, but not as damaged: {e:?}"),
        Ok(store) => store,
    };
    match store.check() {
        Ok(rep) if !rep.problems.is_empty() => {
            assert!(
                rep.problems.iter().any(|p| p.contains(" for ") || p.contains("stored counts")),
                "{label}: opened, and check does not say what is missing: {:?}",
                rep.problems
            );
            Outcome::MissingFoundByCheck
        }
        Ok(rep) => {
            assert_eq!(
                (rep.feeds, rep.articles),
                (u64::from(FEEDS), u64::from(FEEDS * PER_FEED)),
                "{label}: opened showing less than was saved"
            );
            Outcome::Intact
        }
        Err(StoreError::Damaged { .. }) => Outcome::FoundByCheck,
        Err(e) => panic!("{label}: check failed, but not as damage: {e:?}"),
    }
}

/// Repairs a damaged copy: afterwards it opens, checks clean, and keeps what the report says
/// (never more than was saved). sled cannot read some damage at all: then the repair says so
/// and changes nothing a later restore would need.
fn repair_and_reopen(dir: &Path, label: &str) -> Option<u64> {
    match repair(dir) {
        Ok(report) => {
            assert!(report.feeds_kept <= u64::from(FEEDS), "{label}: {report:?}");
            assert_eq!(report.last_saved.map(|r| r.feeds), Some(u64::from(FEEDS)), "{label}: {report:?}");
            assert!(report.damaged_files.join("conf").exists(), "{label}: the old files are not kept");
            let store = open(dir).unwrap_or_else(|e| panic!("{label}: does not open after repair: {e}"));
            let rep = store.check().unwrap();
            assert!(rep.problems.is_empty(), "{label}: problems after repair: {:?}", rep.problems);
            assert_eq!((rep.feeds, rep.articles), (report.feeds_kept, report.articles_kept), "{label}");
            Some(report.feeds_kept)
        }
        Err(e @ StoreError::Unrepairable { .. }) => {
            assert!(e.to_string().contains("Restore the directory from a backup"), "{label}: {e}");
            assert!(dir.join("conf").exists() && dir.join("db").exists(), "{label}: files moved away");
            None
        }
        Err(e) => panic!("{label}: repair failed: {e:?}"),
    }
}

#[test]
fn a_truncated_database_is_refused_never_shown_short() {
    let base = tempfile::tempdir().unwrap();
    let orig = base.path().join("orig");
    build(&orig);
    let len = db_len(&orig);
    assert!(len > 3 * 512 * 1024, "the log should span several segments: {len}");
    let mut refused = 0;
    for (label, cut) in [
        ("0 bytes", 0),
        ("4 KiB", 4096),
        ("a quarter", len / 4),
        ("half", len / 2),
        ("3/4", len * 3 / 4),
        ("-100 B", len - 100),
    ] {
        let dir = base.path().join(label);
        copy_dir(&orig, &dir);
        truncate(&dir, cut);
        let got = outcome(&dir, label);
        if cut <= len / 2 {
            // Half the log is gone: whatever sled makes of the rest, it is not all there.
            assert_eq!(got, Outcome::Refused, "{label}");
        }
        if got != Outcome::Intact {
            refused += 1;
            repair_and_reopen(&dir, label);
        }
    }
    assert!(refused >= 4, "only {refused} of 6 truncations were noticed");
}

#[test]
fn a_page_of_garbage_is_refused_or_found_by_check_and_repaired() {
    let base = tempfile::tempdir().unwrap();
    let orig = base.path().join("orig");
    build(&orig);
    // Without a snapshot (as closed the first time), then with one (sled writes a snapshot
    // when it opens a database): sled reads damage differently in the two.
    for round in ["no snapshot", "snapshot"] {
        if round == "snapshot" {
            drop(open(&orig).unwrap());
            assert!(names(&orig).iter().any(|n| n.starts_with("snap.")), "{:?}", names(&orig));
        }
        let len = db_len(&orig);
        for (label, at) in [("a quarter", len / 4), ("half", len / 2), ("3/4", len * 3 / 4)] {
            let label = format!("{round}, garbage at {label}");
            let dir = base.path().join(&label);
            copy_dir(&orig, &dir);
            garbage(&dir, at);
            if outcome(&dir, &label) != Outcome::Intact {
                repair_and_reopen(&dir, &label);
            }
        }
    }
}

/// A database that went back to an earlier state sled can read completely (what a truncated
/// log, or an older copy put in place, looks like): refused, and repaired into that state
/// with its marks.
#[test]
fn a_database_that_went_back_in_time_is_refused_and_repair_keeps_the_older_state() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let store = open(&dir).unwrap();
    add_feeds(&store, 0..3);
    let starred = store.list_entries(&ArticleQuery::default()).unwrap()[0].id;
    store.mark(&[starred], Mark::Star).unwrap();
    store.flush().unwrap();
    drop(store);
    let older = base.path().join("older");
    copy_dir(&dir, &older);

    let store = open(&dir).unwrap();
    add_feeds(&store, 3..5);
    store.flush().unwrap();
    drop(store);
    // The database files of the older state, under the newer stamp.
    for name in names(&dir) {
        if name != STAMP_FILE {
            let path = dir.join(&name);
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    std::fs::remove_file(older.join(STAMP_FILE)).unwrap();
    copy_dir(&older, &dir);

    let err = open(&dir).err().expect("an older state must be refused");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(
        text.contains("it holds 3 feeds and 90 articles, but it held 5 feeds and 150 articles"),
        "{text}"
    );
    assert!(open(&dir).is_err(), "a second open must refuse too");

    let report = repair(&dir).unwrap();
    assert_eq!(
        (report.feeds_kept, report.articles_kept, report.feeds_dropped, report.articles_dropped),
        (3, 90, 0, 0)
    );
    assert!(report.notes.iter().any(|n| n.contains("held 5 feeds and 150 articles")), "{:?}", report.notes);
    let store = open(&dir).unwrap();
    assert!(store.check().unwrap().problems.is_empty());
    assert!(store.article(starred).unwrap().unwrap().flags.starred, "marks survive the repair");
    // And it carries on: the lost feeds can be added back, and it stays consistent.
    add_feeds(&store, 3..5);
    assert_eq!(store.feeds().unwrap().len(), 5);
    store.flush().unwrap();
    drop(store);
    let store = open(&dir).unwrap();
    assert!(store.check().unwrap().problems.is_empty());
}

/// What a crash may lose (the writes after the last flush) is not damage. A child process
/// (this test binary, running the ignored test below) adds and removes feeds and marks
/// articles in a loop, flushing now and then, and is killed with SIGKILL while it writes.
#[test]
fn a_killed_writer_is_not_reported_damaged() {
    let base = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let dir = base.path().join(format!("data-{round}"));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_writer_until_killed", "--ignored", "--nocapture", "--test-threads=1"])
            .env("TIDINGS_DAMAGE_CHILD_DIR", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill it once it has written past its last flush (and sled has had the time to
        // write that to disk on its own), a little later each round.
        let mut past = 0;
        while past <= round {
            let line = lines.next().expect("the child ended early").unwrap();
            // The test harness says a line of its own first.
            past += usize::from(line.starts_with("written past the last flush"));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let store = open(&dir).unwrap_or_else(|e| panic!("round {round}: a kill called damage: {e}"));
        let rep = store.check().unwrap();
        assert!(rep.problems.is_empty(), "round {round}: {:?}", rep.problems);
        assert!(rep.feeds > 0, "round {round}: the flushed feeds are gone");
    }
}

#[test]
#[ignore = "run by a_killed_writer_is_not_reported_damaged"]
fn child_writer_until_killed() {
    let Some(dir) = std::env::var_os("TIDINGS_DAMAGE_CHILD_DIR") else { return };
    let store = open(Path::new(&dir)).unwrap();
    let mut stdout = std::io::stdout();
    for f in 0.. {
        add_feeds(&store, f..f + 1);
        let entries = store.list_entries(&ArticleQuery { limit: Some(5), ..Default::default() }).unwrap();
        store.mark(&entries.iter().map(|e| e.id).collect::<Vec<_>>(), Mark::Read).unwrap();
        match f % 4 {
            1 | 3 => {
                store.flush().unwrap();
                writeln!(stdout, "flushed after feed {f}").unwrap();
            }
            2 => {
                // A removal too: a state past the last flush may hold fewer records than it.
                let oldest = store.feeds().unwrap()[0].id;
                store.remove_feed(oldest).unwrap();
                // sled writes on its own every 400 ms: these changes reach the disk with no
                // stamp. (Were it slower, the kill would just find the flushed state.)
                std::thread::sleep(Duration::from_millis(1000));
                writeln!(stdout, "written past the last flush, after feed {f}").unwrap();
            }
            _ => {}
        }
        stdout.flush().unwrap();
    }
}

/// A data dir made before stamps and record counts (schema 1): it opens, is counted, and is
/// protected from then on.
#[test]
fn an_old_data_dir_without_a_stamp_opens_and_is_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let store = open(dir).unwrap();
    add_feeds(&store, 0..4);
    store.flush().unwrap();
    drop(store);
    // Make it what the previous version wrote: schema 1, no `records`, no stamp.
    {
        let sled_open = || sled::Config::new().path(dir).mode(sled::Mode::LowSpace).open();
        let db = (0..400)
            .find_map(|_| match sled_open() {
                // See `released`.
                Err(e) if e.to_string().contains("lock") => {
                    std::thread::sleep(Duration::from_millis(25));
                    None
                }
                other => Some(other),
            })
            .unwrap()
            .unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema", &1u64.to_be_bytes()).unwrap();
        meta.remove("records").unwrap();
        db.flush().unwrap();
    }
    std::fs::remove_file(dir.join(STAMP_FILE)).unwrap();

    let store = open(dir).unwrap();
    let rep = store.check().unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert_eq!((rep.feeds, rep.articles), (4, 4 * u64::from(PER_FEED)));
    drop(store);
    let stamp = std::fs::read_to_string(dir.join(STAMP_FILE)).expect("stamped when migrated");
    assert!(stamp.contains("feeds=4 articles=120"), "{stamp}");

    // From now on a database that comes back empty is caught: sled's files gone but its
    // `conf`, which sled itself would take for a new database.
    for name in names(dir) {
        if name == "db" || name.starts_with("snap.") {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
    }
    let err = open(dir).err().expect("an empty database under a stamp must be refused");
    assert!(err.to_string().contains("come back empty"), "{err}");
}

#[test]
fn a_directory_of_other_files_is_refused_and_left_untouched() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("documents");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("thesis.tex"), b"\\documentclass{article}").unwrap();
    std::fs::write(dir.join("unread.cache"), b"ours, but not enough").unwrap();
    std::fs::create_dir(dir.join("photos")).unwrap();
    let before = names(&dir);

    let err = open(&dir).err().expect("a directory of documents must be refused");
    assert!(matches!(err, StoreError::NotADataDir { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(dir.to_str().unwrap()), "{text}");
    assert!(text.contains("other files") && text.contains("empty or new directory"), "{text}");
    assert!(matches!(repair(&dir), Err(StoreError::NotADataDir { .. })));
    assert_eq!(names(&dir), before, "nothing was created in it");
    assert_eq!(std::fs::read(dir.join("thesis.tex")).unwrap(), b"\\documentclass{article}");
}

#[test]
fn empty_missing_and_our_own_directories_are_accepted() {
    let base = tempfile::tempdir().unwrap();
    let empty = base.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = base.path().join("not/yet/there");
    let ours = base.path().join("ours");
    std::fs::create_dir(&ours).unwrap();
    for name in ["unread.cache", "tidings.log", "tidings.sock"] {
        std::fs::write(ours.join(name), b"").unwrap();
    }
    for dir in [&empty, &missing, &ours] {
        let store = open(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        add_feeds(&store, 0..1);
        store.flush().unwrap();
        drop(store);
        let store = open(dir).unwrap();
        assert_eq!(store.feeds().unwrap().len(), 1);
        assert!(dir.join(STAMP_FILE).exists());
    }
    // A repair has nothing to work on in an empty directory, and says so.
    let nothing = base.path().join("nothing");
    std::fs::create_dir(&nothing).unwrap();
    let err = repair(&nothing).err().unwrap();
    assert!(
        matches!(err, StoreError::Unrepairable { .. }) && err.to_string().contains("no database"),
        "{err}"
    );
    assert!(names(&nothing).is_empty());
}

/// The highest `<lsn>` among sled's finished snapshots in `dir` (0 without one).
fn last_snapshot_lsn(dir: &Path) -> u64 {
    names(dir)
        .iter()
        .filter_map(|n| n.strip_prefix("snap.").filter(|l| !l.contains('.')))
        .filter_map(|l| u64::from_str_radix(l, 16).ok())
        .max()
        .unwrap_or(0)
}

/// sled writes a snapshot at nearly every open that follows a write, to `snap.<lsn>.generating`
/// (renamed once whole), and reads the highest-named snapshot, unfinished ones included. A
/// process killed in between (a `kill -9` in the first milliseconds of any command) left a
/// file that every later open refused as corrupt: here it is made as such a kill leaves it,
/// empty or cut after any of sled's three writes.
#[test]
fn a_snapshot_left_unfinished_by_a_kill_is_not_damage() {
    let base = tempfile::tempdir().unwrap();
    let built = base.path().join("built");
    build(&built);
    // Opened again after writes, twice: sled writes a finished snapshot, the newest; the cut
    // one is made beside it with a higher log position, as the next open would.
    let store = open(&built).unwrap();
    let first = store.list_entries(&ArticleQuery { limit: Some(1), ..Default::default() }).unwrap()[0].id;
    store.mark(&[first], Mark::Star).unwrap();
    store.flush().unwrap();
    drop(store);
    let expected =
        common::when_released(|| Store::open(&built, &StoreSettings::default()).and_then(|s| s.check()))
            .unwrap();
    let finished = last_snapshot_lsn(&built);
    assert!(finished > 0, "sled wrote no snapshot: {:?}", names(&built));
    let whole = std::fs::read(built.join(format!("snap.{finished:016X}"))).unwrap();
    // What the cut file holds: nothing, part of the snapshot, all of it but its length and
    // checksum, all but the checksum, and all of it (killed before the rename).
    let cuts = [0, whole.len() / 2, whole.len() - 12, whole.len() - 4, whole.len()];
    for (i, cut) in cuts.into_iter().enumerate() {
        let dir = base.path().join(format!("cut-{i}"));
        copy_dir(&built, &dir);
        let unfinished = format!("snap.{:016X}.generating", finished + 1);
        std::fs::write(dir.join(&unfinished), &whole[..cut]).unwrap();
        let store = open(&dir).unwrap_or_else(|e| panic!("cut at {cut} of {}: {e}", whole.len()));
        let report = store.check().unwrap();
        assert!(report.problems.is_empty(), "cut at {cut}: {:?}", report.problems);
        assert_eq!(
            (report.feeds, report.articles, report.unread),
            (expected.feeds, expected.articles, expected.unread)
        );
        assert!(store.article(first).unwrap().unwrap().flags.starred, "cut at {cut}: the last write is gone");
        assert!(!dir.join(&unfinished).exists(), "cut at {cut}: the unfinished snapshot is still there");
    }
}

/// Only the process that holds the database writes snapshots, so an unfinished one is removed
/// only when no process holds it: one being written right now is left alone.
#[test]
fn an_unfinished_snapshot_is_left_alone_while_the_database_is_held() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    build(&dir);
    let held = open(&dir).unwrap();
    let being_written = dir.join(format!("snap.{:016X}.generating", last_snapshot_lsn(&dir) + 1));
    std::fs::write(&being_written, b"").unwrap();
    assert!(matches!(Store::open(&dir, &StoreSettings::default()), Err(StoreError::Locked(_))));
    assert!(being_written.exists(), "removed while another handle held the database");
    drop(held);
    let store = open(&dir).unwrap();
    assert!(!being_written.exists());
    assert!(store.check().unwrap().problems.is_empty());
}

/// What a first open killed during sled's first flush leaves: sled's own records of the trees
/// tidings opened, without the schema written beside them (in separate writes), and no stamp.
/// Nothing in it can be lost: it opens as new. Data sled recovers without a schema is still
/// refused (another program's sled database, or one that lost its schema).
#[test]
fn a_first_open_killed_before_its_schema_reached_the_disk_opens_as_new() {
    const TREES: [&str; 12] = [
        "meta",
        "feeds",
        "feed_urls",
        "articles",
        "bodies",
        "article_keys",
        "feed_index",
        "date_index",
        "flags",
        "counters",
        "fetch_log",
        "sync",
    ];
    let base = tempfile::tempdir().unwrap();
    let sled_db = |dir: &Path, key_in: Option<&str>| {
        let db = sled::Config::new().path(dir).mode(sled::Mode::LowSpace).open().unwrap();
        for name in TREES {
            db.open_tree(name).unwrap();
        }
        if let Some(tree) = key_in {
            db.open_tree(tree).unwrap().insert("k", "v").unwrap();
        }
        db.flush().unwrap();
    };
    let killed = base.path().join("killed");
    sled_db(&killed, None);
    assert!(db_len(&killed) > 0 && !killed.join(STAMP_FILE).exists());
    let store = open(&killed).unwrap_or_else(|e| panic!("a killed first open called damage: {e}"));
    let report = store.check().unwrap();
    assert!(report.problems.is_empty() && report.feeds == 0, "{report:?}");
    add_feeds(&store, 0..1);
    store.flush().unwrap();
    drop(store);
    assert_eq!(open(&killed).unwrap().feeds().unwrap().len(), 1);

    for tree in ["feeds", "someone-elses"] {
        let dir = base.path().join(format!("key-in-{tree}"));
        sled_db(&dir, Some(tree));
        let err = open(&dir).err().unwrap_or_else(|| panic!("a key in {tree} and no schema: opened"));
        assert!(err.to_string().contains("none of it is a tidings database"), "{err}");
    }
}

/// sled writes its `conf` in two writes (text, then checksum) before it creates `db`: a first
/// open killed in between left a `conf` that sled refuses, beside no data. It opens as new;
/// the same `conf` beside a `db` that holds data is still refused, and left as it is.
#[test]
fn a_conf_cut_by_a_kill_before_any_data_is_not_damage() {
    let base = tempfile::tempdir().unwrap();
    let whole = {
        let dir = base.path().join("whole");
        drop(open(&dir).unwrap());
        std::fs::read(dir.join("conf")).unwrap()
    };
    let cut = &whole[..whole.len() - 4];
    for db in [None, Some(&b""[..])] {
        let dir = base.path().join(format!("cut-db-{}", db.map_or("missing", |_| "empty")));
        std::fs::create_dir_all(dir.join("blobs")).unwrap();
        std::fs::write(dir.join("conf"), cut).unwrap();
        if let Some(bytes) = db {
            std::fs::write(dir.join("db"), bytes).unwrap();
        }
        let store = open(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        add_feeds(&store, 0..1);
        store.flush().unwrap();
        drop(store);
        assert_eq!(open(&dir).unwrap().feeds().unwrap().len(), 1);
        assert_eq!(std::fs::read(dir.join("conf")).unwrap(), whole);
    }
    let with_data = base.path().join("with-data");
    build(&with_data);
    std::fs::write(with_data.join("conf"), cut).unwrap();
    assert!(matches!(open(&with_data), Err(StoreError::Damaged { .. })));
    assert_eq!(std::fs::read(with_data.join("conf")).unwrap(), cut);
}

//! `Store::repair`: a new database built from what can still be read of a damaged one.
//!
//! Contract: nothing the user had is destroyed. The repaired database is built beside the old
//! one (in `repair.new/`); only when it is complete and flushed do the old files move into
//! `damaged-<time>/` and the new ones take their place. The move is done in steps that can be
//! redone, so an interrupted repair is finished by running it again, and `Store::open`
//! refuses the directory until then.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::codec::{
    article_key, compress_body, date_index_key, decode, decompress_body, encode, feed_index_key, feed_key,
    identity_key, read_u64, Records,
};
use super::datadir::{self, DirState, DAMAGED_PREFIX, REPAIR_DIR, SLED_FILES, SLED_PREFIXES, STAMP_FILE};
use super::{
    contain_panics, ArticleBody, ArticleMeta, CheckReport, Counts, FeedRecord, FetchRecord, Flags, Store,
    StoreError, StoreSettings, RECORDS_KEY, SCHEMA_VERSION, TOMBSTONE,
};
use crate::model::{ArticleKey, FeedId};

/// In `repair.new/`: the new database is complete, and the swap may have begun. Holds the
/// name of the directory the old files go to.
const SWAP_MARKER: &str = "swap";
/// In `repair.new/`: every old file has left the data dir; the new ones are moving in.
const PHASE_TWO_MARKER: &str = "swap.2";

/// What a repair kept and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    pub feeds_kept: u64,
    /// Feed records that could not be decoded, or repeated another feed's URL.
    pub feeds_dropped: u64,
    pub articles_kept: u64,
    /// Article records that could not be decoded, belonged to no kept feed, or repeated
    /// another article of their feed.
    pub articles_dropped: u64,
    /// Articles kept without their text, which could not be read: they show a note saying
    /// so until their feed brings them again.
    pub bodies_lost: u64,
    /// Articles kept whose read and starred marks could not be read: they are unread now.
    pub flags_lost: u64,
    /// What the database held when tidings last saved it, from the stamp, if there was one.
    pub last_saved: Option<Records>,
    /// Where the old files were moved (kept until the user deletes them).
    pub damaged_files: PathBuf,
    /// Anything else the user should know, as sentences.
    pub notes: Vec<String>,
    /// `Store::check` of the repaired database, run before it took the old one's place: no
    /// problems, unless the repair itself is wrong. (Run here because reopening the database
    /// in the same process can find sled's lock still held for a moment after a close.)
    pub check: CheckReport,
}

/// Whether a repair of `dir` stopped while it moved the new database in.
pub fn swap_started(dir: &Path) -> bool {
    dir.join(REPAIR_DIR).join(SWAP_MARKER).exists()
}

impl Store {
    /// Rebuilds the database in `dir` from every feed and article record that can still be
    /// read and decoded: indexes, counters and record counts are made anew from them, read
    /// and starred marks, article tags, fetch logs and retention marks are kept where
    /// readable, and what cannot be read is dropped. The old files are moved to `damaged-<time>/` in `dir`.
    /// Afterwards `Store::open` works and `Store::check` finds nothing.
    pub fn repair(dir: &Path, settings: &StoreSettings) -> Result<RepairReport, StoreError> {
        let unrepairable = |reason: String| StoreError::Unrepairable { dir: dir.to_owned(), reason };
        match datadir::classify(dir) {
            DirState::Foreign(found) => return Err(StoreError::NotADataDir { dir: dir.to_owned(), found }),
            DirState::New => return Err(unrepairable("there is no database in it".into())),
            DirState::Ours | DirState::Unknown => {}
        }
        let new_dir = dir.join(REPAIR_DIR);
        if swap_started(dir) {
            return finish_interrupted(dir, settings);
        }
        if !dir.join("conf").exists() {
            // Without its `conf`, sled would take the directory for a new database.
            return Err(unrepairable(if dir.join("db").exists() {
                "it holds a `db` file but no `conf` file, which sled needs to read it".into()
            } else {
                "its database files (`conf` and `db`) are gone".into()
            }));
        }
        if new_dir.exists() {
            // A repair stopped before its new database was complete: start it over.
            std::fs::remove_dir_all(&new_dir).map_err(|e| io_error(dir, &new_dir, e))?;
        }
        let last_saved = datadir::read_stamp(dir).map(|s| s.records);
        let damaged_to =
            free_name(dir, &format!("{DAMAGED_PREFIX}{}", chrono::Local::now().format("%Y%m%d-%H%M%S")));
        let mut report = RepairReport { last_saved, damaged_files: damaged_to.clone(), ..Default::default() };

        let old = open_old(dir, settings, &damaged_to, &mut report.notes)?;
        if let Some(v) = old.schema().ok().flatten().filter(|&v| v > SCHEMA_VERSION) {
            // Its records are in an encoding this tidings cannot read: "repairing" would drop
            // them all.
            return Err(StoreError::TooNew { dir: dir.to_owned(), found: v });
        }
        let new = Store::open(&new_dir, settings)?;
        match contain_panics(|| salvage(&old, &new, &mut report)) {
            Ok(result) => result?,
            Err(panic) => return Err(unrepairable(format!("sled fails while reading it ({panic})"))),
        }
        if let Some(saved) =
            last_saved.filter(|s| s.feeds > report.feeds_kept || s.articles > report.articles_kept)
        {
            report.notes.push(format!(
                "when tidings last saved it, the database held {} and {}; what is missing could not be \
                 read, and {} keeps the files it was in",
                plural(saved.feeds, "feed"),
                plural(saved.articles, "article"),
                damaged_to.display()
            ));
        }
        // The articles were copied, not stored by a refresh: the index is built anew.
        crate::search::index::start_build(&new)?;
        crate::query::packs::start_over(&new)?;
        crate::search::catch_up(&new)?;
        new.flush()?;
        report.check = new.check()?;
        drop(old);
        drop(new);

        let name = damaged_to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let marker = new_dir.join(SWAP_MARKER);
        std::fs::write(&marker, name).map_err(|e| io_error(dir, &marker, e))?;
        swap(dir, &damaged_to)?;
        Ok(report)
    }
}

/// Opens the old database as sled recovers it. If sled cannot, and there is a snapshot (its
/// index of the log), tries once more without it: sled then reads the whole log, which a
/// damaged snapshot no longer stands in the way of.
fn open_old(
    dir: &Path,
    settings: &StoreSettings,
    damaged_to: &Path,
    notes: &mut Vec<String>,
) -> Result<Store, StoreError> {
    let reason = match Store::open_raw(dir, settings) {
        Ok(store) => return Ok(store),
        Err(StoreError::Damaged { reason, .. }) => reason,
        Err(other) => return Err(other),
    };
    let unrepairable = |reason: String| StoreError::Unrepairable { dir: dir.to_owned(), reason };
    let snapshots = names_in(dir, |n| SLED_PREFIXES.iter().any(|p| n.starts_with(p)))
        .map_err(|e| io_error(dir, dir, e))?;
    if snapshots.is_empty() {
        return Err(unrepairable(format!("sled cannot read it at all: {reason}")));
    }
    std::fs::create_dir_all(damaged_to).map_err(|e| io_error(dir, damaged_to, e))?;
    for name in &snapshots {
        std::fs::rename(dir.join(name), damaged_to.join(name))
            .map_err(|e| io_error(dir, &dir.join(name), e))?;
    }
    match Store::open_raw(dir, settings) {
        Ok(store) => {
            notes.push(format!(
                "sled could not use its snapshot of the database, so it read its whole log instead; \
                 the snapshot is kept in {}",
                damaged_to.display()
            ));
            Ok(store)
        }
        Err(e) => {
            let mut put_back = Vec::new();
            for name in &snapshots {
                if let Err(e) = std::fs::rename(damaged_to.join(name), dir.join(name)) {
                    put_back.push(format!("{name} stays in {} ({e})", damaged_to.display()));
                }
            }
            let again = match e {
                StoreError::Damaged { reason, .. } => reason,
                other => other.to_string(),
            };
            let mut reason =
                format!("sled cannot read it at all: {reason}; nor without its snapshot: {again}");
            if !put_back.is_empty() {
                reason.push_str(&format!(" ({})", put_back.join(", ")));
            }
            Err(unrepairable(reason))
        }
    }
}

/// Copies what decodes from `old` into the new, empty database `new`, with fresh indexes,
/// counters and record counts.
fn salvage(old: &Store, new: &Store, report: &mut RepairReport) -> Result<(), StoreError> {
    let notes = &mut report.notes;
    let meta_id = |name: &str, notes: &mut Vec<String>| match old.meta.get(name) {
        Ok(v) => v.and_then(|v| read_u64(&v)),
        Err(e) => {
            notes.push(format!("the id counter {name} could not be read ({e})"));
            None
        }
    };
    let next_feed = meta_id("next_feed_id", notes);
    let next_article = meta_id("next_article_id", notes);
    let old_seq =
        old.meta.get(RECORDS_KEY).ok().flatten().and_then(|v| Records::from_bytes(&v)).map(|r| r.seq);

    // Feeds. A URL can belong to one feed only; a second record with it is a damaged one.
    let mut feeds: Vec<FeedId> = Vec::new();
    let mut urls: HashSet<String> = HashSet::new();
    let (mut feeds_dropped, mut max_feed) = (0u64, 0u64);
    for_each_readable(&old.feeds, next_feed, "feed records", notes, |id, bytes| {
        match decode::<FeedRecord>("feed", &bytes) {
            Ok(rec) if rec.id.0 == id && !urls.contains(&rec.url) => {
                new.feeds.insert(feed_key(rec.id), bytes)?;
                new.feed_urls.insert(rec.url.as_bytes(), &feed_key(rec.id))?;
                urls.insert(rec.url);
                feeds.push(rec.id);
                max_feed = max_feed.max(id);
            }
            _ => feeds_dropped += 1,
        }
        Ok(())
    })?;
    let kept: HashSet<FeedId> = feeds.iter().copied().collect();

    // Articles, each with its body and flags, and everything derived from them.
    let mut identities: HashSet<(FeedId, ArticleKey)> = HashSet::new();
    let mut counts: HashMap<FeedId, Counts> = HashMap::new();
    let (mut articles_kept, mut articles_dropped, mut max_article) = (0u64, 0u64, 0u64);
    let (mut bodies_lost, mut flags_lost, mut tags_lost) = (0u64, 0u64, 0u64);
    for_each_readable(&old.articles, next_article, "article records", notes, |id, bytes| {
        let mut m = match decode::<ArticleMeta>("article", &bytes) {
            Ok(m) if m.id.0 == id && kept.contains(&m.feed) && !identities.contains(&(m.feed, m.key)) => m,
            _ => {
                articles_dropped += 1;
                return Ok(());
            }
        };
        let key = article_key(m.id);
        let body = match old.bodies.get(key) {
            Ok(Some(b)) if decompress_body(&b).is_ok() => b.to_vec(),
            _ => {
                bodies_lost += 1;
                let body = lost_body();
                m.body_len = body.html.len() as u64;
                m.image_count = 0;
                m.link_count = 0;
                // No real content hashes to 0, so the next fetch that still carries the
                // article replaces the note with its text.
                m.content_hash = 0;
                compress_body(&body)
            }
        };
        let flags = match old.flags.get(key) {
            Ok(Some(f)) if f.len() == 9 => Flags::from_bytes(&f).0,
            _ => {
                flags_lost += 1;
                Flags::default()
            }
        };
        new.articles.insert(key, encode(&m))?;
        new.bodies.insert(key, body)?;
        new.flags.insert(key, &flags.to_bytes(m.feed))?;
        match old.article_tags.get(key) {
            Ok(None) => {}
            Ok(Some(tags)) if decode::<Vec<String>>("article tags", &tags).is_ok() => {
                new.article_tags.insert(key, tags)?;
            }
            _ => tags_lost += 1,
        }
        new.feed_index.insert(feed_index_key(m.feed, m.date, m.id), &[])?;
        new.date_index.insert(date_index_key(m.date, m.id), &feed_key(m.feed))?;
        new.article_keys.insert(identity_key(m.feed, &m.key), &key)?;
        let c = counts.entry(m.feed).or_default();
        c.total += 1;
        c.unread += u64::from(!flags.read);
        identities.insert((m.feed, m.key));
        articles_kept += 1;
        max_article = max_article.max(id);
        Ok(())
    })?;

    // Per feed: counters, the marks of articles retention dropped (so they do not come back
    // as new), and the fetch log.
    let (mut marks_unread, mut logs_unread) = (0u64, 0u64);
    for &feed in &feeds {
        let c = counts.get(&feed).copied().unwrap_or_default();
        new.counters.insert(feed_key(feed), &c.to_bytes())?;
        for kv in old.article_keys.scan_prefix(feed_key(feed)) {
            let Ok((k, v)) = kv else {
                marks_unread += 1;
                break;
            };
            let mut ak = [0u8; 16];
            if k.len() != 24 || read_u64(&v) != Some(TOMBSTONE) {
                continue;
            }
            ak.copy_from_slice(&k[8..]);
            if !identities.contains(&(feed, ArticleKey(ak))) {
                new.article_keys.insert(k, v)?;
            }
        }
        for kv in old.fetch_log.scan_prefix(feed_key(feed)) {
            let Ok((k, v)) = kv else {
                logs_unread += 1;
                break;
            };
            if k.len() == 16 && FetchRecord::decode(&v).is_ok() {
                new.fetch_log.insert(k, v)?;
            }
        }
    }
    if tags_lost > 0 {
        notes.push(format!(
            "the tags of {} could not be read: they have none now",
            plural(tags_lost, "article")
        ));
    }
    if marks_unread > 0 {
        notes.push(format!(
            "the marks of dropped articles of {marks_unread} feeds could not be read: old articles \
             those feeds still carry may come back as new"
        ));
    }
    if logs_unread > 0 {
        notes.push(format!("the fetch logs of {logs_unread} feeds could not be read"));
    }

    // Ids only ever grow, so nothing the user has seen gets a reused id.
    let next = |stored: Option<u64>, max_seen: u64| stored.unwrap_or(1).max(max_seen + 1).max(1);
    let seq = old_seq.into_iter().chain(report.last_saved.map(|r| r.seq)).max().unwrap_or(0) + 1;
    let records = Records { seq, feeds: feeds.len() as u64, articles: articles_kept };
    let mut batch = sled::Batch::default();
    batch.insert("schema", &SCHEMA_VERSION.to_be_bytes());
    batch.insert("next_feed_id", &next(next_feed, max_feed).to_be_bytes());
    batch.insert("next_article_id", &next(next_article, max_article).to_be_bytes());
    batch.insert(RECORDS_KEY, &records.to_bytes());
    for key in [super::query_feeds::QUERY_FEEDS_KEY, super::feed_order::FEED_ORDER_KEY] {
        if let Ok(Some(value)) = old.meta.get(key) {
            batch.insert(key, value);
        }
    }
    new.meta.apply_batch(batch)?;

    // The sync account, its outbox of changes not yet sent and the server ids: ids are kept,
    // so its entries still name the right articles (an entry of a dropped article is skipped
    // by the next sync).
    let mut sync = sled::Batch::default();
    let mut sync_lost = 0u64;
    for kv in old.sync.iter() {
        match kv {
            Ok((k, v)) => sync.insert(k, v),
            Err(_) => sync_lost += 1,
        }
    }
    new.sync.apply_batch(sync)?;
    if sync_lost > 0 {
        notes.push(format!(
            "{sync_lost} records of the sync account could not be read: run `tidings sync --full`"
        ));
    }

    report.feeds_kept = records.feeds;
    report.feeds_dropped = feeds_dropped;
    report.articles_kept = articles_kept;
    report.articles_dropped = articles_dropped;
    report.bodies_lost = bodies_lost;
    report.flags_lost = flags_lost;
    Ok(())
}

/// "1 feed", "2 feeds".
pub(super) fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What an article whose text was lost shows instead.
fn lost_body() -> ArticleBody {
    ArticleBody {
        html: "<p>[tidings could not read this article's text when it repaired its database; it \
               comes back if the feed still carries the article.]</p>"
            .into(),
        images: Vec::new(),
        links: Vec::new(),
        summary: None,
    }
}

/// Calls `f` with every record of an id-keyed tree that can be read. sled's iterator cannot
/// step past a page it cannot read, so from there each remaining id up to `bound` (the id
/// counter) or the tree's last key is asked for on its own: only the unreadable page's
/// records are lost.
fn for_each_readable(
    tree: &sled::Tree,
    bound: Option<u64>,
    what: &str,
    notes: &mut Vec<String>,
    mut f: impl FnMut(u64, sled::IVec) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut next = 0u64;
    let mut failure = None;
    for kv in tree.iter() {
        match kv {
            Ok((k, v)) => {
                // Every key of these trees is an 8-byte id; any other is damage, and dropped.
                if let Some(id) = (k.len() == 8).then(|| read_u64(&k)).flatten() {
                    next = id.saturating_add(1);
                    f(id, v)?;
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let Some(error) = failure else { return Ok(()) };
    let last = tree.last().ok().flatten().and_then(|(k, _)| read_u64(&k)).map(|id| id.saturating_add(1));
    let end = bound.into_iter().chain(last).max().unwrap_or(next).max(next);
    let mut unreadable = 0u64;
    for id in next..end {
        match tree.get(id.to_be_bytes()) {
            Ok(Some(v)) => f(id, v)?,
            Ok(None) => {}
            Err(_) => unreadable += 1,
        }
    }
    notes
        .push(format!("part of the {what} could not be read ({error}); up to {unreadable} of them are lost"));
    Ok(())
}

/// Moves the old database's files into `damaged_to` and the new one's into `dir`. Each
/// phase moves whatever is left to move, so running it again after an interruption finishes
/// it.
fn swap(dir: &Path, damaged_to: &Path) -> Result<(), StoreError> {
    let new_dir = dir.join(REPAIR_DIR);
    let io = |path: &Path, e: std::io::Error| io_error(dir, path, e);
    let is_database = |n: &str| {
        SLED_FILES.contains(&n) || SLED_PREFIXES.iter().any(|p| n.starts_with(p)) || n == STAMP_FILE
    };
    let phase_two = new_dir.join(PHASE_TWO_MARKER);
    if !phase_two.exists() {
        std::fs::create_dir_all(damaged_to).map_err(|e| io(damaged_to, e))?;
        for name in names_in(dir, is_database).map_err(|e| io(dir, e))? {
            let to = free_name(damaged_to, &name);
            std::fs::rename(dir.join(&name), &to).map_err(|e| io(&dir.join(&name), e))?;
        }
        std::fs::write(&phase_two, b"").map_err(|e| io(&phase_two, e))?;
    }
    // The stamp goes last: until it is in, the directory has none, and `open` refuses it
    // anyway while `repair.new` holds its marker.
    let mut names = names_in(&new_dir, |n| is_database(n) && n != STAMP_FILE).map_err(|e| io(&new_dir, e))?;
    names.push(STAMP_FILE.to_owned());
    for name in names {
        let from = new_dir.join(&name);
        if from.exists() {
            std::fs::rename(&from, dir.join(&name)).map_err(|e| io(&from, e))?;
        }
    }
    std::fs::remove_dir_all(&new_dir).map_err(|e| io(&new_dir, e))
}

/// Finishes a repair that stopped while it moved the new database in.
fn finish_interrupted(dir: &Path, settings: &StoreSettings) -> Result<RepairReport, StoreError> {
    let marker = dir.join(REPAIR_DIR).join(SWAP_MARKER);
    let name = std::fs::read_to_string(&marker).unwrap_or_default();
    let damaged_to = if name.starts_with(DAMAGED_PREFIX) && !name.contains(['/', '\\']) {
        dir.join(name)
    } else {
        free_name(dir, &format!("{DAMAGED_PREFIX}{}", chrono::Local::now().format("%Y%m%d-%H%M%S")))
    };
    swap(dir, &damaged_to)?;
    // The swap is done: from here a failure must not send a retry down the path of a whole new
    // repair. sled lets go of a database's lock from a background thread a moment after a
    // close, so the database swapped in may still be locked by the process that just closed
    // it (this one, in tests): wait for that, briefly.
    let mut opened = Store::open(dir, settings);
    for _ in 0..200 {
        if !matches!(opened, Err(StoreError::Locked(_))) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
        opened = Store::open(dir, settings);
    }
    let store = opened?;
    let check = store.check()?;
    Ok(RepairReport {
        feeds_kept: check.feeds,
        articles_kept: check.articles,
        damaged_files: damaged_to,
        check,
        notes: vec![
            "this finished a repair that had been interrupted; what it dropped was not recorded".into()
        ],
        ..Default::default()
    })
}

/// The names in `dir` that `keep` accepts, sorted.
fn names_in(dir: &Path, keep: impl Fn(&str) -> bool) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if keep(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// `dir/name`, or `dir/name.2`, `.3`... if that is taken: nothing already there is replaced.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let mut path = dir.join(name);
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    path
}

fn io_error(dir: &Path, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unrepairable {
        dir: dir.to_owned(),
        reason: format!("{} cannot be moved or written ({e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleId, ParsedArticle};
    use crate::store::{ArticleQuery, FeedUpdate, FetchResult, Mark, NewFeed, PreparedArticle};

    const NOW: i64 = 1_711_000_000;

    fn article(feed: u8, n: u8) -> ParsedArticle {
        ParsedArticle {
            key: ArticleKey([feed * 16 + n; 16]),
            guid: Some(format!("{feed}-{n}")),
            title: format!("feed {feed} article {n}"),
            link: Some(format!("https://example.org/{feed}/{n}")),
            date: chrono::DateTime::from_timestamp(NOW - i64::from(n) * 3600, 0),
            content_html: format!("<p>text of {feed}/{n}</p>"),
            ..Default::default()
        }
    }

    fn fetch(store: &Store, feed: FeedId, n: u8) {
        let update = FeedUpdate {
            feed_title: format!("Feed {}", feed.0),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: (1..=n).map(|i| PreparedArticle::new(article(feed.0 as u8, i))).collect(),
        };
        store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &StoreSettings::default(),
                NOW,
            )
            .unwrap();
    }

    /// Two feeds of three articles; the newest article of feed 1 read and starred.
    fn populated(dir: &Path) -> (Store, ArticleId) {
        let store = Store::open(dir, &StoreSettings::default()).unwrap();
        for url in ["https://a.example/feed", "https://b.example/feed"] {
            let (id, _) = store.add_feed(NewFeed { url: url.into(), ..Default::default() }).unwrap();
            fetch(&store, id, 3);
        }
        let q = ArticleQuery { feed: Some(FeedId(1)), ..Default::default() };
        let first = store.list_entries(&q).unwrap()[0].id;
        store.mark(&[first], Mark::Read).unwrap();
        store.mark(&[first], Mark::Star).unwrap();
        (store, first)
    }

    fn repair(dir: &Path) -> RepairReport {
        crate::store::when_released(|| Store::repair(dir, &StoreSettings::default())).unwrap()
    }

    fn opens_consistent(dir: &Path) -> Store {
        let store = crate::store::when_released(|| Store::open(dir, &StoreSettings::default())).unwrap();
        let rep = store.check().unwrap();
        assert!(rep.problems.is_empty(), "{:?}", rep.problems);
        store
    }

    #[test]
    fn undecodable_records_are_dropped_and_the_rest_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let (store, first) = populated(dir.path());
        let entries =
            store.list_entries(&ArticleQuery { feed: Some(FeedId(2)), ..Default::default() }).unwrap();
        let (no_body, no_flags, unindexed) = (entries[0].id, entries[1].id, entries[2].id);
        // Damage of every kind a record can have, straight into the trees.
        store.feeds.insert(feed_key(FeedId(99)), &b"\x01\xff\xff"[..]).unwrap();
        store.articles.insert(article_key(ArticleId(500)), &b"\x01junk"[..]).unwrap();
        store.bodies.insert(article_key(no_body), &b"\x01not deflate"[..]).unwrap();
        store.flags.remove(article_key(no_flags)).unwrap();
        let m = store.article_meta(unindexed).unwrap().unwrap();
        store.date_index.remove(date_index_key(m.date, m.id)).unwrap();
        store.counters.insert(feed_key(FeedId(2)), &Counts { unread: 40, total: 41 }.to_bytes()).unwrap();
        let forgotten = identity_key(FeedId(1), &ArticleKey([0xee; 16]));
        store.article_keys.insert(forgotten, &TOMBSTONE.to_be_bytes()).unwrap();
        let problems = store.check().unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("stored counts say 2 feeds and 6 articles")),
            "{problems:?}"
        );
        assert!(problems.len() >= 5, "{problems:?}");
        store.flush().unwrap();
        drop(store);

        let report = repair(dir.path());
        assert_eq!(
            (report.feeds_kept, report.feeds_dropped, report.articles_kept, report.articles_dropped),
            (2, 1, 6, 1)
        );
        assert_eq!((report.bodies_lost, report.flags_lost), (1, 1));
        assert!(report.damaged_files.join("db").exists(), "the old files are kept");
        assert!(!dir.path().join(REPAIR_DIR).exists());

        let store = opens_consistent(dir.path());
        let a = store.article(first).unwrap().unwrap();
        assert!(a.flags.read && a.flags.starred, "marks are kept");
        assert!(!store.article(no_flags).unwrap().unwrap().flags.read);
        let note = store.body(no_body).unwrap().unwrap().html;
        assert!(note.contains("could not read this article's text"), "{note}");
        assert_eq!(store.counts(FeedId(2)).unwrap(), Counts { unread: 3, total: 3 });
        assert!(store.article_keys.contains_key(forgotten).unwrap(), "retention's marks are kept");
        assert_eq!(store.fetch_log(FeedId(1)).unwrap().len(), 1);
        // The next fetch brings the lost text back, and ids keep growing.
        fetch(&store, FeedId(2), 3);
        assert!(store.body(no_body).unwrap().unwrap().html.contains("text of 2/"));
        let (id, _) =
            store.add_feed(NewFeed { url: "https://c.example/feed".into(), ..Default::default() }).unwrap();
        assert_eq!(id, FeedId(3));
        assert!(store.check().unwrap().problems.is_empty());
    }

    #[test]
    fn a_healthy_database_comes_through_a_repair_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = populated(dir.path());
        let before = store.articles(&ArticleQuery::default()).unwrap();
        let query = crate::store::QueryFeed { name: "Unread".into(), query: "unread".into() };
        assert!(store.add_query_feed(query.clone()).unwrap());
        store.flush().unwrap();
        drop(store);
        let report = repair(dir.path());
        assert_eq!(
            (report.feeds_kept, report.articles_kept, report.feeds_dropped, report.articles_dropped),
            (2, 6, 0, 0)
        );
        assert!(report.notes.is_empty(), "{:?}", report.notes);
        let store = opens_consistent(dir.path());
        assert_eq!(store.articles(&ArticleQuery::default()).unwrap(), before);
        assert_eq!(store.query_feeds().unwrap(), vec![query]);
    }

    #[test]
    fn article_tags_are_checked_and_a_repair_keeps_those_of_kept_articles() {
        let dir = tempfile::tempdir().unwrap();
        let (store, first) = populated(dir.path());
        store.article_tags.insert(article_key(first), encode(&vec!["kept".to_owned()])).unwrap();
        let entries = store.list_entries(&ArticleQuery::default()).unwrap();
        let unreadable = entries.iter().map(|e| e.id).find(|&id| id != first).unwrap();
        store.article_tags.insert(article_key(unreadable), &b"\x01\xff\xff\xff"[..]).unwrap();
        // The tags of an article that is gone (what a tidings before tags would leave).
        store.article_tags.insert(article_key(ArticleId(999)), encode(&vec!["orphan".to_owned()])).unwrap();
        let problems = store.check().unwrap().problems;
        assert!(problems.iter().any(|p| p.contains("article 999 is gone, but its tags")), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains(&format!("tags of article {unreadable}"))),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        store.flush().unwrap();
        drop(store);

        let report = repair(dir.path());
        assert_eq!(report.notes, ["the tags of 1 article could not be read: they have none now"]);
        let store = opens_consistent(dir.path());
        assert_eq!(store.article(first).unwrap().unwrap().tags, ["kept"]);
        assert_eq!(store.article_tags(unreadable).unwrap(), Vec::<String>::new());
        assert_eq!(store.article_tags.len(), 1, "the orphan is not carried over");
    }

    #[test]
    fn an_interrupted_swap_is_refused_until_a_repair_finishes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, first) = populated(dir.path());
        store.flush().unwrap();
        drop(store);
        // What `repair` does up to the swap...
        let old =
            crate::store::when_released(|| Store::open_raw(dir.path(), &StoreSettings::default())).unwrap();
        let new_dir = dir.path().join(REPAIR_DIR);
        let new = Store::open(&new_dir, &StoreSettings::default()).unwrap();
        let mut report = RepairReport::default();
        salvage(&old, &new, &mut report).unwrap();
        new.flush().unwrap();
        drop((old, new));
        std::fs::write(new_dir.join(SWAP_MARKER), "damaged-test").unwrap();
        // ...and the first move of the swap, then the process dies.
        std::fs::create_dir(dir.path().join("damaged-test")).unwrap();
        std::fs::rename(dir.path().join("db"), dir.path().join("damaged-test/db")).unwrap();

        let err =
            crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default())).err().unwrap();
        assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
        assert!(err.to_string().contains("repair was interrupted"), "{err}");
        assert!(!dir.path().join("db").exists(), "the refused open created no database");

        let report = repair(dir.path());
        assert_eq!((report.feeds_kept, report.articles_kept), (2, 6));
        assert_eq!(report.damaged_files, dir.path().join("damaged-test"));
        assert!(dir.path().join("damaged-test/conf").exists());
        let store = opens_consistent(dir.path());
        assert!(store.article(first).unwrap().unwrap().flags.starred);
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(0, "feed"), "0 feeds");
        assert_eq!(plural(1, "feed"), "1 feed");
        assert_eq!(plural(2, "saved change"), "2 saved changes");
    }
}

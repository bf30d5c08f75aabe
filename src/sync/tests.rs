//! The sync algorithm against an in-memory server that keeps its state as a Fever server
//! does, and a real sled store in a temp dir. The real servers are in tests/sync_fever.rs.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::store::{ArticleQuery, StoreSettings, SyncMeta};

#[derive(Default)]
struct Server {
    feeds: Vec<RemoteFeed>,
    items: Vec<RemoteItem>,
    read: HashSet<u64>,
    starred: HashSet<u64>,
    /// Every flag change received, in order.
    received: Vec<(u64, Mark)>,
    /// `send` fails (as if offline) after this many successful sends.
    sends_before_outage: Option<usize>,
    /// Items the server refuses changes of.
    gone: HashSet<u64>,
    /// What each items request asked from: the highest id, or the offset when `by_offset`.
    asked_since: Vec<u64>,
    /// Behave as TT-RSS: items paged by offset, unread counts per feed, batched sends.
    by_offset: bool,
    asked_unread_of: Vec<Option<Vec<u64>>>,
}

impl SyncApi for Server {
    async fn login(&mut self) -> Result<(), SyncError> {
        Ok(())
    }
    async fn subscriptions(&mut self) -> Result<Vec<RemoteFeed>, SyncError> {
        Ok(self.feeds.clone())
    }
    async fn items_page(&mut self, since: u64, top: u64, seen: usize) -> Result<Vec<RemoteItem>, SyncError> {
        // Pages by offset when `by_offset` (as TT-RSS), else by the highest id (as Fever).
        let mut page: Vec<RemoteItem> = if self.by_offset {
            self.asked_since.push(seen as u64);
            self.items.iter().filter(|i| i.id > since).skip(seen).take(3).cloned().collect()
        } else {
            self.asked_since.push(top);
            self.items.iter().filter(|i| i.id > top).take(3).cloned().collect()
        };
        for i in &mut page {
            i.read = self.read.contains(&i.id);
            i.starred = self.starred.contains(&i.id);
        }
        Ok(page)
    }
    fn pages_in_id_order(&self) -> bool {
        !self.by_offset
    }
    async fn unread_counts(&mut self) -> Result<Option<HashMap<u64, u64>>, SyncError> {
        if !self.by_offset {
            return Ok(None);
        }
        let mut counts = HashMap::new();
        for i in self.items.iter().filter(|i| !self.read.contains(&i.id)) {
            *counts.entry(i.feed).or_default() += 1;
        }
        Ok(Some(counts))
    }
    async fn unread_ids(&mut self, feeds: Option<&[u64]>) -> Result<HashSet<u64>, SyncError> {
        self.asked_unread_of.push(feeds.map(<[u64]>::to_vec));
        Ok(self
            .items
            .iter()
            .filter(|i| feeds.is_none_or(|f| f.contains(&i.feed)))
            .map(|i| i.id)
            .filter(|id| !self.read.contains(id))
            .collect())
    }
    async fn starred_ids(&mut self) -> Result<HashSet<u64>, SyncError> {
        Ok(self.starred.clone())
    }
    fn batch_size(&self) -> usize {
        if self.by_offset {
            2
        } else {
            1
        }
    }
    async fn send(&mut self, items: &[u64], mark: Mark) -> Result<Vec<Sent>, SyncError> {
        if let Some(n) = &mut self.sends_before_outage {
            if *n == 0 {
                return Err(SyncError::Unreachable { url: "fake".into(), why: "offline".into() });
            }
            *n -= 1;
        }
        let mut out = Vec::new();
        for &item in items {
            if self.gone.contains(&item) {
                out.push(Sent::Rejected("HTTP 404".into()));
                continue;
            }
            self.received.push((item, mark));
            match mark {
                Mark::Read => self.read.insert(item),
                Mark::Unread => self.read.remove(&item),
                Mark::Star => self.starred.insert(item),
                Mark::Unstar => self.starred.remove(&item),
            };
            out.push(Sent::Done);
        }
        Ok(out)
    }
    async fn subscribe(&mut self, _url: &str) -> Result<ServerAnswer, SyncError> {
        Ok(ServerAnswer::Unsupported)
    }
    async fn unsubscribe(&mut self, _server_feed: u64) -> Result<ServerAnswer, SyncError> {
        Ok(ServerAnswer::Unsupported)
    }
    fn traffic(&self) -> (u64, u64, std::time::Duration) {
        (0, 0, std::time::Duration::ZERO)
    }
}

fn server() -> Server {
    let feeds = vec![
        RemoteFeed {
            id: 1,
            title: "One".into(),
            url: "http://one.test/feed".into(),
            site_url: Some("http://one.test/".into()),
            categories: vec!["news".into()],
        },
        RemoteFeed {
            id: 2,
            title: "Two".into(),
            url: "http://two.test/feed".into(),
            site_url: None,
            categories: vec![],
        },
    ];
    let items = (1..=7)
        .map(|id| RemoteItem {
            id,
            feed: if id % 2 == 0 { 2 } else { 1 },
            title: format!("item {id}"),
            html: format!("<p>body {id}</p>"),
            url: Some(format!("http://x.test/{id}")),
            published: Some(1_700_000_000 + id as i64),
            ..Default::default()
        })
        .collect();
    Server { feeds, items, read: HashSet::from([2]), starred: HashSet::from([3]), ..Default::default() }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
    store
        .set_sync_meta(&SyncMeta { kind: "fever".into(), url: "fake".into(), ..Default::default() })
        .unwrap();
    (dir, store)
}

fn sync(server: &mut Server, store: &Store) -> (SyncSummary, Result<(), SyncError>) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut summary = SyncSummary::default();
    let result = rt.block_on(run(server, store, &StoreSettings::default(), &mut summary));
    (summary, result)
}

/// Server item id -> (title, read, starred) as the store has them.
fn local(store: &Store) -> HashMap<u64, (String, bool, bool)> {
    let items: HashMap<_, _> = store.synced_articles().unwrap().into_iter().collect();
    store
        .articles(&ArticleQuery::default())
        .unwrap()
        .into_iter()
        .map(|a| (items[&a.meta.id], (a.meta.title.clone(), a.flags.read, a.flags.starred)))
        .collect()
}

fn article_of(store: &Store, item: u64) -> crate::model::ArticleId {
    store.item_article(item).unwrap().unwrap()
}

#[test]
fn the_first_sync_brings_every_feed_item_and_flag() {
    let (_dir, store) = store();
    let mut server = server();
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(summary.feeds_added, 2);
    assert_eq!(summary.new_articles, 7);
    let feeds = store.feeds().unwrap();
    assert_eq!(feeds.len(), 2);
    assert_eq!(feeds[0].tags, vec!["news".to_owned()]);
    assert_eq!(feeds[0].feed_title, "One");
    let local = local(&store);
    assert_eq!(local.len(), 7);
    assert_eq!(local[&1], ("item 1".to_owned(), false, false));
    assert!(local[&2].1, "read on the server");
    assert!(local[&3].2, "starred on the server");
    assert_eq!(store.unread_total().unwrap(), 6);
    // Pages of 3: 0, 3, 6, then 7 gives nothing more.
    assert_eq!(server.asked_since, vec![0, 3, 6, 7]);
    assert_eq!(store.sync_meta().unwrap().unwrap().since_id, 7);
}

#[test]
fn a_second_sync_asks_only_for_newer_items_and_doubles_nothing() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    server.asked_since.clear();
    server.items.push(RemoteItem { id: 8, feed: 1, title: "item 8".into(), ..Default::default() });
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(server.asked_since, vec![7, 8]);
    assert_eq!(summary.new_articles, 1);
    assert_eq!(summary.feeds_added, 0);
    assert_eq!(local(&store).len(), 8);
    // Pulling a page again (a kill before its high-water mark was saved) doubles nothing.
    let mut meta = store.sync_meta().unwrap().unwrap();
    meta.since_id = 0;
    store.set_sync_meta(&meta).unwrap();
    let (summary, _) = sync(&mut server, &store);
    assert_eq!(summary.new_articles, 0);
    assert_eq!(local(&store).len(), 8);
}

#[test]
fn local_marks_reach_the_server_once_each_and_only_the_last_of_a_flag_is_sent() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    let a1 = article_of(&store, 1);
    let a4 = article_of(&store, 4);
    store.mark(&[a1], Mark::Read).unwrap();
    store.mark(&[a1], Mark::Unread).unwrap();
    store.mark(&[a1], Mark::Read).unwrap();
    store.mark(&[a4], Mark::Star).unwrap();
    assert_eq!(store.outbox_len(), 4);
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(server.received, vec![(1, Mark::Read), (4, Mark::Star)]);
    assert_eq!(summary.pushed, 2);
    assert_eq!(store.outbox_len(), 0);
    assert!(server.read.contains(&1) && server.starred.contains(&4));
    // Nothing queued: the next sync sends nothing.
    server.received.clear();
    sync(&mut server, &store).1.unwrap();
    assert!(server.received.is_empty());
}

#[test]
fn a_sync_reports_each_step_as_it_gets_there() {
    let (_dir, store) = store();
    let mut server = server();
    let steps = std::cell::RefCell::new(Vec::new());
    let record = |step| steps.borrow_mut().push(step);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    // Steps of a stage already reported are passed on only after an hour: a new stage always.
    let hour = std::time::Duration::from_secs(3600);
    let run_once = |server: &mut Server, every: std::time::Duration| {
        let mut summary = SyncSummary::default();
        rt.block_on(run_with(
            server,
            &store,
            &StoreSettings::default(),
            false,
            &mut summary,
            &Reporter::every(&record, every),
        ))
        .unwrap();
    };
    run_once(&mut server, hour);
    // The first sync: nothing to send, no flags to compare (its items carried them).
    assert_eq!(
        steps.take(),
        vec![SyncStep::Subscriptions, SyncStep::Articles { received: 3 }],
        "pages of 3 items: the next two pages are of the same stage, and are not reported"
    );
    // Reported every time: each page.
    let (_dir2, store2) = self::store();
    let mut server2 = self::server();
    let record2 = |step| steps.borrow_mut().push(step);
    let mut summary = SyncSummary::default();
    let reporter = Reporter::every(&record2, std::time::Duration::ZERO);
    rt.block_on(run_with(&mut server2, &store2, &StoreSettings::default(), false, &mut summary, &reporter))
        .unwrap();
    let articles: Vec<SyncStep> =
        steps.take().into_iter().filter(|s| matches!(s, SyncStep::Articles { .. })).collect();
    assert!(articles.len() > 1 && articles[0] == SyncStep::Articles { received: 3 }, "{articles:?}");
    store.mark(&[article_of(&store, 1), article_of(&store, 3)], Mark::Read).unwrap();
    run_once(&mut server, hour);
    assert_eq!(
        steps.take(),
        vec![SyncStep::Sending { done: 0, total: 2 }, SyncStep::Subscriptions, SyncStep::Flags],
        "then what is sent, and the comparison of flags"
    );
    assert_eq!(SyncStep::Articles { received: 1 }.line(), "syncing: 1 article from the server");
    assert_eq!(SyncStep::Sending { done: 3, total: 9 }.line(), "syncing: sending changes, 3/9");
}

#[test]
fn changes_made_on_the_server_arrive_here_without_being_sent_back() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    server.read.extend([1, 5]);
    server.read.remove(&2);
    server.starred.remove(&3);
    server.starred.insert(7);
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(summary.flags_pulled, 5);
    let local = local(&store);
    assert!(local[&1].1 && local[&5].1 && !local[&2].1);
    assert!(!local[&3].2 && local[&7].2);
    assert_eq!(store.outbox_len(), 0, "a change from the server is not queued for it");
    assert!(server.received.is_empty());
}

#[test]
fn offline_changes_wait_in_the_outbox_and_arrive_once_the_server_is_back() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    for item in [1, 3, 5] {
        store.mark(&[article_of(&store, item)], Mark::Read).unwrap();
    }
    server.sends_before_outage = Some(1);
    let (_, result) = sync(&mut server, &store);
    assert!(matches!(result, Err(SyncError::Unreachable { .. })), "{result:?}");
    assert_eq!(server.received, vec![(1, Mark::Read)]);
    assert_eq!(store.outbox_len(), 2, "the acknowledged one left the outbox, the others wait");
    // The server's (stale) flags do not undo the waiting changes.
    assert!(local(&store)[&3].1);
    server.sends_before_outage = None;
    sync(&mut server, &store).1.unwrap();
    assert_eq!(server.received, vec![(1, Mark::Read), (3, Mark::Read), (5, Mark::Read)]);
    assert_eq!(store.outbox_len(), 0);
    assert!(local(&store)[&5].1);
}

#[test]
fn a_change_the_server_refuses_is_dropped_not_retried() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    server.gone.insert(1);
    store.mark(&[article_of(&store, 1), article_of(&store, 3)], Mark::Read).unwrap();
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!((summary.pushed, summary.rejected), (1, 1));
    assert_eq!(store.outbox_len(), 0);
}

#[test]
fn a_synced_feed_removed_here_is_not_subscribed_again() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    let two = store.feeds().unwrap().into_iter().find(|f| f.url == "http://two.test/feed").unwrap();
    store.remove_feed(two.id).unwrap();
    server.items.push(RemoteItem { id: 8, feed: 2, title: "item 8".into(), ..Default::default() });
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(store.feeds().unwrap().len(), 1);
    assert_eq!(summary.notes.len(), 1, "{:?}", summary.notes);
    assert!(summary.notes[0].contains("two.test"));
    sync(&mut server, &store).1.unwrap();
    assert_eq!(store.feeds().unwrap().len(), 1);
}

#[test]
fn a_local_feed_with_the_servers_url_is_linked_not_doubled() {
    let (_dir, store) = store();
    store
        .add_feed(NewFeed {
            url: "http://one.test/feed".into(),
            title: Some("Mine".into()),
            ..Default::default()
        })
        .unwrap();
    let mut server = server();
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(summary.feeds_added, 1);
    let feeds = store.feeds().unwrap();
    assert_eq!(feeds.len(), 2);
    assert_eq!(feeds[0].custom_title.as_deref(), Some("Mine"));
    assert_eq!(feeds[0].tags, vec!["news".to_owned()]);
}

#[test]
fn forgetting_the_account_keeps_feeds_and_articles() {
    let (_dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    store.mark(&[article_of(&store, 1)], Mark::Read).unwrap();
    let status = remove_account(&store).unwrap().unwrap();
    assert_eq!((status.queued, status.feeds, status.articles), (1, 2, 7));
    assert!(store.sync_meta().unwrap().is_none());
    assert_eq!(store.outbox_len(), 0);
    assert_eq!(store.feeds().unwrap().len(), 2);
    assert_eq!(store.articles(&ArticleQuery::default()).unwrap().len(), 7);
    // Marks made now are not queued for a server.
    store.mark(&[crate::model::ArticleId(2)], Mark::Read).unwrap();
    assert_eq!(store.outbox_len(), 0);
}

#[test]
fn the_secret_file_is_readable_by_this_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write_secret(dir.path(), &Secret::FeverApiKey("k".into())).unwrap();
    let mode = std::fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(read_secret(dir.path()).unwrap(), Secret::FeverApiKey("k".into()));
    assert!(!format!("{:?}", Secret::FeverApiKey("k".into())).contains('k'));
}

fn offset_server() -> Server {
    Server { by_offset: true, ..server() }
}

#[test]
fn an_api_that_pages_by_offset_gets_every_item_and_the_mark_moves_once_at_the_end() {
    let (_dir, store) = store();
    let mut server = offset_server();
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(summary.new_articles, 7);
    assert_eq!(server.asked_since, vec![0, 3, 6, 7], "offsets");
    assert_eq!(store.sync_meta().unwrap().unwrap().since_id, 7);
    server.asked_since.clear();
    server.items.push(RemoteItem { id: 9, feed: 2, title: "item 9".into(), ..Default::default() });
    let (summary, _) = sync(&mut server, &store);
    assert_eq!(summary.new_articles, 1);
    assert_eq!(server.asked_since, vec![0, 1], "offsets above the new mark");
    assert_eq!(local(&store).len(), 8);
}

#[test]
fn only_feeds_whose_unread_count_differs_are_compared_item_by_item() {
    let (_dir, store) = store();
    let mut server = offset_server();
    sync(&mut server, &store).1.unwrap();
    assert!(server.asked_unread_of.is_empty(), "the first sync's items carried their flags");
    // Nothing changed: no feed is asked for its unread ids.
    sync(&mut server, &store).1.unwrap();
    assert!(server.asked_unread_of.is_empty(), "{:?}", server.asked_unread_of);
    // Item 5 (feed 1) read on the server: only feed 1 is asked.
    server.read.insert(5);
    let (summary, _) = sync(&mut server, &store);
    assert_eq!(server.asked_unread_of, vec![Some(vec![1])]);
    assert_eq!(summary.flags_pulled, 1);
    assert!(local(&store)[&5].1);
    // A read and an unread in one feed leave its count: a full comparison (asked for, or
    // due once an hour) finds them.
    server.asked_unread_of.clear();
    server.read.insert(7);
    server.read.remove(&5);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut summary = SyncSummary::default();
    rt.block_on(run_with(
        &mut server,
        &store,
        &StoreSettings::default(),
        true,
        &mut summary,
        &Reporter::new(&|_| {}),
    ))
    .unwrap();
    assert_eq!(server.asked_unread_of, vec![None]);
    assert_eq!(summary.flags_pulled, 2);
    assert!(local(&store)[&7].1 && !local(&store)[&5].1);
    // The hour starts again: the next plain sync compares only feeds whose counts differ.
    server.asked_unread_of.clear();
    sync(&mut server, &store).1.unwrap();
    assert!(server.asked_unread_of.is_empty());
    let mut meta = store.sync_meta().unwrap().unwrap();
    meta.full_flags_at = Some(chrono::Utc::now().timestamp() - FULL_FLAGS_EVERY_SECS);
    store.set_sync_meta(&meta).unwrap();
    sync(&mut server, &store).1.unwrap();
    assert_eq!(server.asked_unread_of, vec![None], "an hour later, a full comparison");
}

#[test]
fn changes_go_in_batches_of_one_kind() {
    let (_dir, store) = store();
    let mut server = offset_server();
    sync(&mut server, &store).1.unwrap();
    let ids: Vec<_> = [1, 3, 5].iter().map(|&i| article_of(&store, i)).collect();
    store.mark(&ids, Mark::Read).unwrap();
    store.mark(&[article_of(&store, 4)], Mark::Star).unwrap();
    server.sends_before_outage = Some(10);
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    assert_eq!(summary.pushed, 4);
    // 3 reads in batches of 2, then 1 star: 3 requests.
    assert_eq!(server.sends_before_outage, Some(7));
    assert_eq!(server.received, vec![(1, Mark::Read), (3, Mark::Read), (5, Mark::Read), (4, Mark::Star)]);
}

#[test]
fn a_local_feed_that_the_server_also_has_keeps_its_articles_and_takes_the_servers_flags() {
    let (_dir, store) = store();
    // Fetched here first: the same links, but GUIDs of its own (other identities).
    let (feed, _) =
        store.add_feed(NewFeed { url: "http://one.test/feed".into(), ..Default::default() }).unwrap();
    let now = chrono::Utc::now();
    let articles = [1u64, 3]
        .iter()
        .map(|i| {
            crate::parse::article_from_remote(
                &crate::parse::RemoteArticle {
                    guid: &format!("guid-{i}"),
                    title: &format!("item {i}"),
                    ..Default::default()
                },
                now,
            )
        })
        .map(|mut a| {
            a.link = Some(format!("http://x.test/{}", a.title.trim_start_matches("item ")));
            a
        })
        .collect::<Vec<_>>();
    let parsed = crate::model::ParsedFeed {
        format: crate::model::FeedFormat::Rss2,
        title: "One".into(),
        site_link: None,
        articles,
        notes: vec![],
    };
    store
        .apply_fetch(
            feed,
            FetchResult::Updated(FeedUpdate::from_parsed(parsed)),
            FetchRecord::default(),
            &StoreSettings::default(),
            now.timestamp(),
        )
        .unwrap();
    store
        .mark(
            &store.articles(&ArticleQuery::default()).unwrap().iter().map(|a| a.meta.id).collect::<Vec<_>>(),
            Mark::Read,
        )
        .unwrap();
    assert_eq!(store.outbox_len(), 0, "not the server's yet: nothing to send");
    let mut server = server();
    let (summary, result) = sync(&mut server, &store);
    result.unwrap();
    // Items 1 and 3 are the two articles it had; items 5 and 7 are new; feed 2 brings 3.
    assert_eq!(summary.new_articles, 5);
    assert_eq!(store.articles(&ArticleQuery::default()).unwrap().len(), 7);
    let local = local(&store);
    assert!(!local[&1].1, "the server's unread wins at the link");
    assert!(local[&3].2, "and its star");
}

#[test]
fn a_repaired_database_keeps_the_account_its_queued_changes_and_the_server_ids() {
    let (dir, store) = store();
    let mut server = server();
    sync(&mut server, &store).1.unwrap();
    store.mark(&[article_of(&store, 1)], Mark::Read).unwrap();
    let links = store.synced_articles().unwrap();
    store.flush().unwrap();
    drop(store);
    crate::store::when_released(|| Store::repair(dir.path(), &StoreSettings::default())).unwrap();
    let store = crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default())).unwrap();
    assert_eq!(store.outbox_len(), 1);
    assert_eq!(store.synced_articles().unwrap(), links);
    assert_eq!(store.sync_meta().unwrap().unwrap().since_id, 7);
    sync(&mut server, &store).1.unwrap();
    assert!(server.received.contains(&(1, Mark::Read)));
}

//! The engine API against both of its implementations: the process that holds the store, and
//! a client that reaches it over the data dir's socket. The same scenario runs on each, so
//! whatever the reader or a command does, it gets the same answers wherever the store is held.
//! Then what only the socket has: takeover when the holder goes, coalesced refreshes, version
//! and garbage refusals, stale socket files, and the socket's permissions.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::cli::rss_feed;
use common::server::{Response, TestServer};
use tidings::engine::protocol::{read_frame, write_frame, Hello, Reply, Request, Welcome, MAGIC};
use tidings::engine::{Change, Engine, EngineOptions, FeedEdit, RefreshRequest, Subscribe};
use tidings::model::FeedId;
use tidings::refresh::FeedOutcome;
use tidings::store::{ArticleQuery, Mark, NewFeed};

fn options() -> EngineOptions {
    EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: Duration::from_secs(10),
        build_search_index: false,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn subscribe(url: String, fetch: bool) -> Subscribe {
    Subscribe { url, title: None, tags: vec!["news".into()], options: Default::default(), fetch }
}

/// Everything the reader and the commands ask of the store, with the answers they rely on.
fn scenario(engine: &Engine, server: &TestServer) {
    server.route("/alpha.xml", Response::ok(rss_feed("Alpha", 5, 1)));
    server.route("/beta.xml", Response::ok(rss_feed("Beta", 3, 1)));
    server.route("/gone.xml", Response::status(404));

    // Subscribing fetches and stores the first look.
    let alpha = engine.subscribe_feed(subscribe(server.url("/alpha.xml"), true)).unwrap();
    assert!(alpha.added);
    assert_eq!(alpha.feed.display_title(), "Alpha");
    assert_eq!(alpha.feed.tags, ["news"]);
    match alpha.first_fetch.map(|r| r.outcome) {
        Some(FeedOutcome::Updated(stats)) => assert_eq!(stats.total, 5),
        other => panic!("first fetch: {other:?}"),
    }
    let again = engine.subscribe_feed(subscribe(server.url("/alpha.xml"), true)).unwrap();
    assert!(!again.added);
    assert_eq!(again.feed.id, alpha.feed.id);
    // A URL that answers 404 is not subscribed, and says so once.
    let gone = engine.subscribe_feed(subscribe(server.url("/gone.xml"), true)).unwrap_err().to_string();
    assert!(gone.contains("404") && gone.contains("--no-fetch"), "{gone}");
    // Without a fetch it is added as typed.
    let later = engine.subscribe_feed(subscribe(server.url("/gone.xml"), false)).unwrap();
    assert!(later.added && later.first_fetch.is_none());
    let (added, present) = engine
        .add_feeds(vec![
            NewFeed { url: server.url("/beta.xml"), ..Default::default() },
            NewFeed { url: server.url("/alpha.xml"), ..Default::default() },
        ])
        .unwrap();
    assert_eq!((added, present), (1, 1));
    let beta = engine.resolve_feed(&server.url("/beta.xml")).unwrap();
    assert_eq!(engine.feeds().unwrap().len(), 3);
    assert!(engine.resolve_feed("99").unwrap_err().to_string().contains("no feed with id or URL 99"));

    // A refresh of everything reports each feed once, with progress.
    let mut progress = Vec::new();
    let summary =
        engine.refresh(RefreshRequest { feeds: None, named: false }, &mut |p| progress.push(p)).unwrap();
    assert_eq!(summary.feeds, 3);
    assert_eq!(summary.failed, 1, "{summary:?}");
    assert_eq!(progress.len(), 3);
    assert_eq!(progress.last().map(|p| (p.done, p.total)), Some((3, 3)));
    // Named twice, fetched once.
    let before = server.hits("/beta.xml");
    let summary = engine
        .refresh(RefreshRequest { feeds: Some(vec![beta.id, beta.id]), named: true }, &mut |_| {})
        .unwrap();
    assert_eq!(summary.feeds, 1);
    assert_eq!(server.hits("/beta.xml"), before + 1);

    let overview = engine.feeds_with_counts().unwrap();
    let feeds = overview.feeds;
    assert_eq!(overview.unread_total, 8);
    assert!(overview.synced.is_empty(), "no sync account");
    let counts: Vec<(String, u64, u64)> =
        feeds.iter().map(|(f, c)| (f.display_title().to_owned(), c.unread, c.total)).collect();
    assert!(
        counts.contains(&("Alpha".into(), 5, 5)) && counts.contains(&("Beta".into(), 3, 3)),
        "{counts:?}"
    );

    // Lists, rows, one article and its body.
    let q = ArticleQuery { feed: Some(alpha.feed.id), ..Default::default() };
    let entries = engine.list_entries(&q).unwrap();
    assert_eq!(entries.len(), 5);
    let ids: Vec<_> = entries.iter().map(|e| e.id).collect();
    let rows = engine.articles_by_id(&ids[..2]).unwrap();
    assert_eq!(rows.len(), 2);
    let first = engine.article(ids[0]).unwrap().unwrap();
    assert!(first.meta.title.starts_with("Alpha item"));
    let body = engine.body(ids[0]).unwrap().unwrap();
    assert!(body.html.contains("Body"), "{}", body.html);
    assert_eq!(engine.articles(&ArticleQuery { limit: Some(3), ..Default::default() }).unwrap().len(), 3);

    // Marks: what changed comes back, and counts follow.
    assert_eq!(engine.mark(&ids[..2], Mark::Read).unwrap().len(), 2);
    assert_eq!(engine.mark(&ids[..2], Mark::Read).unwrap().len(), 0, "marking twice changes nothing");
    assert_eq!(engine.mark(&ids[..1], Mark::Star).unwrap(), ids[..1]);
    assert_eq!(engine.unread_total().unwrap(), 6);
    assert_eq!(engine.mark_all_read(Some(beta.id)).unwrap().len(), 3);
    assert_eq!(engine.mark_feeds_read(&[alpha.feed.id]).unwrap().len(), 3);
    assert_eq!(engine.unread_total().unwrap(), 0);
    let starred = engine.list_entries(&ArticleQuery { starred_only: true, ..Default::default() }).unwrap();
    assert_eq!(starred.iter().map(|e| e.id).collect::<Vec<_>>(), ids[..1]);

    // Editing, the fetch log, removing.
    let edit =
        FeedEdit { title: Some(Some("Mine".into())), add_tags: vec!["t2".into()], ..Default::default() };
    let (was, now) = engine.edit_feed(beta.id, edit).unwrap();
    assert_eq!(was.custom_title, None);
    assert_eq!(now.display_title(), "Mine");
    assert_eq!(now.tags, ["t2"]);
    assert_eq!(engine.fetch_log(beta.id).unwrap().len(), 2);
    let removed = engine.remove_feed(later.feed.id).unwrap();
    assert_eq!(removed.id, later.feed.id);
    assert!(engine.feed(later.feed.id).unwrap().is_none());
    assert_eq!(engine.feeds().unwrap().len(), 2);
    let report = engine.check().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.feeds, report.articles, report.unread), (2, 8, 0));
}

#[test]
fn the_holder_answers_the_whole_api() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let engine = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    assert!(engine.is_holder());
    scenario(&engine, &server);
}

#[test]
fn a_client_gets_the_same_answers_through_the_socket() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let holder = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    let client = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder());
    assert!(!client.is_holder(), "the store is held: the second engine must be a client");
    let mut changes = holder.subscribe();
    scenario(&client, &server);
    // The holder sees what the client did, and hears about it.
    assert_eq!(holder.feeds().unwrap().len(), 2);
    assert_eq!(holder.unread_total().unwrap(), 0);
    let mut heard = Vec::new();
    while let Ok(event) = changes.try_recv() {
        heard.push(event);
    }
    assert!(heard.iter().all(|e| e.origin == client.origin()), "every change was the client's");
    assert!(heard.iter().any(|e| e.change == Change::Flags));
    assert!(heard.iter().any(|e| e.change == Change::Feeds));
    assert!(heard.iter().any(|e| matches!(e.change, Change::RefreshFinished(_))));
}

#[test]
fn a_client_takes_the_store_over_when_its_holder_closes() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    server.route("/a.xml", Response::ok(rss_feed("A", 4, 1)));
    let holder = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    let client = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    let mut changes = client.subscribe();
    let a = client.subscribe_feed(subscribe(server.url("/a.xml"), true)).unwrap();
    let ids: Vec<_> = client
        .list_entries(&ArticleQuery { feed: Some(a.feed.id), ..Default::default() })
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    client.mark(&ids[..3], Mark::Read).unwrap();

    assert!(holder.close().unwrap(), "it held the store");
    drop(holder);
    // The watcher notices at once and takes over; a request would too.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match changes.try_recv() {
            Ok(e) if e.change == Change::Reconnected => break,
            Ok(_) => {}
            Err(_) if std::time::Instant::now() > deadline => panic!("no takeover announced"),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert_eq!(client.unread_total().unwrap(), 1, "every acknowledged mark survived");
    assert!(client.is_holder(), "the client holds the store now");
    assert!(dir.path().join("tidings.sock").exists(), "and serves it");
    // And a newcomer is its client.
    let third = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    assert!(!third.is_holder());
    assert_eq!(third.unread_total().unwrap(), 1);
}

#[test]
fn two_refreshes_asked_at_once_fetch_each_feed_once() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    // Slow enough that the second request certainly comes while the first runs.
    server.route("/slow.xml", Response::ok(rss_feed("Slow", 2, 1)).delay(Duration::from_millis(1500)));
    server.route("/fast.xml", Response::ok(rss_feed("Fast", 2, 1)));
    let holder = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    holder
        .add_feeds(vec![
            NewFeed { url: server.url("/slow.xml"), ..Default::default() },
            NewFeed { url: server.url("/fast.xml"), ..Default::default() },
        ])
        .unwrap();
    let client = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    let mut changes = holder.subscribe();
    let first = {
        let holder = holder.clone();
        std::thread::spawn(move || holder.refresh(RefreshRequest { feeds: None, named: false }, &mut |_| {}))
    };
    // Wait until it has started, then ask again from the other process's side.
    loop {
        let event = rt.block_on(changes.recv()).unwrap();
        if matches!(event.change, Change::RefreshStarted { .. }) {
            break;
        }
    }
    let mut joined_progress = 0;
    let second =
        client.refresh(RefreshRequest { feeds: None, named: false }, &mut |_| joined_progress += 1).unwrap();
    let first = first.join().unwrap().unwrap();
    assert_eq!(server.hits("/slow.xml"), 1, "the slow feed was fetched twice");
    assert_eq!(server.hits("/fast.xml"), 1);
    assert_eq!(first, second, "the joined refresh reports the same summary");
    assert_eq!(second.feeds, 2);
    assert!(joined_progress >= 1, "the joined request saw the slow feed finish");
    // One feed named while everything is refreshed is also covered.
    let by_id = client.refresh(RefreshRequest { feeds: Some(vec![FeedId(1)]), named: true }, &mut |_| {});
    assert_eq!(by_id.unwrap().feeds, 1);
}

#[test]
fn other_versions_and_garbage_get_a_clear_refusal_and_the_holder_carries_on() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let holder = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    let socket = dir.path().join("tidings.sock");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket is for its owner only");

    // A newer tidings.
    let mut s = UnixStream::connect(&socket).unwrap();
    let hello = Hello { magic: MAGIC.into(), protocol: 999, version: "9.9.9".into() };
    write_frame(&mut s, &hello).unwrap();
    match read_frame::<Welcome>(&mut s, 1 << 20).unwrap() {
        Welcome::Refused { reason } => {
            assert!(reason.contains("9.9.9") && reason.contains("same version"), "{reason}");
        }
        other => panic!("accepted a newer protocol: {other:?}"),
    }
    // Something that is not tidings: a huge length, then garbage.
    let mut s = UnixStream::connect(&socket).unwrap();
    s.write_all(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]).unwrap();
    let mut rest = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "garbage got an answer: {rest:?}");
    // A greeted client that sends garbage gets an error frame, not a crash.
    let mut s = UnixStream::connect(&socket).unwrap();
    write_frame(&mut s, &Hello::ours()).unwrap();
    assert!(matches!(read_frame::<Welcome>(&mut s, 1 << 20).unwrap(), Welcome::Accepted { .. }));
    s.write_all(&[0, 0, 0, 3, 0xfe, 0xfe, 0xfe]).unwrap();
    match read_frame::<Reply>(&mut s, 1 << 20).unwrap() {
        Reply::Error(e) => assert!(e.contains("unreadable request"), "{e}"),
        other => panic!("{other:?}"),
    }
    // And a real request still works for everyone.
    let mut s = UnixStream::connect(&socket).unwrap();
    write_frame(&mut s, &Hello::ours()).unwrap();
    let _: Welcome = read_frame(&mut s, 1 << 20).unwrap();
    write_frame(&mut s, &(7u64, Request::UnreadTotal)).unwrap();
    assert_eq!(read_frame::<Reply>(&mut s, 1 << 20).unwrap(), Reply::Count(0));
    assert_eq!(holder.unread_total().unwrap(), 0);
}

#[test]
fn a_socket_file_left_by_a_killed_holder_is_replaced() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tidings.sock");
    // A socket nobody listens on any more: what `kill -9` leaves.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    assert!(UnixStream::connect(&socket).is_err());
    let holder = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder());
    let client = Engine::open(dir.path(), options(), rt.handle().clone()).unwrap();
    assert!(!client.is_holder());
    assert_eq!(client.feeds().unwrap().len(), 0);
    // Closing the holder removes its socket file.
    holder.close().unwrap();
    drop(holder);
    assert!(!socket.exists() || client.is_holder());
}

#[test]
fn a_data_dir_too_deep_for_a_socket_path_still_serves_its_clients() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a-rather-long-directory-name-".repeat(5)).join("tidings-data");
    assert!(deep.join("tidings.sock").as_os_str().len() > 108);
    let holder = Engine::open(&deep, options(), rt.handle().clone()).unwrap();
    assert!(holder.is_holder());
    assert_eq!(holder.serve_problem(), None);
    let socket = tidings::engine::socket_path(&deep);
    assert!(socket.as_os_str().len() <= 107, "{}", socket.display());
    let mode = std::fs::metadata(socket.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the socket's directory is private");
    let client = Engine::open(&deep, options(), rt.handle().clone()).unwrap();
    assert!(!client.is_holder());
    client.add_feeds(vec![NewFeed { url: "https://example.org/f".into(), ..Default::default() }]).unwrap();
    assert_eq!(holder.feeds().unwrap().len(), 1);
}

//! Opening a big feed: from `Effect::LoadArticles` to the first frame of the articles pane,
//! for one feed of 50,000 articles in a real sled database, at 120x40.
//! `cargo bench --bench list_load` (builds the database once, ~1 min).

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tidings::model::{ArticleKey, FeedId, ParsedArticle};
use tidings::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, PreparedArticle, Store, StoreSettings};
use tidings::ui::action::{Action, Effect};
use tidings::ui::app::{App, FeedRow, Pane, Source};

const ARTICLES: usize = 50_000;
/// Articles written per transaction while building.
const BATCH: usize = 1_000;

fn build(dir: &std::path::Path) -> (Store, FeedId) {
    let settings = StoreSettings::default();
    let store = Store::open(dir, &settings).expect("store");
    let (feed, _) = store
        .add_feed(NewFeed { url: "https://example.org/big.xml".into(), ..Default::default() })
        .expect("add");
    let now = chrono::Utc::now();
    for batch in 0..ARTICLES / BATCH {
        let articles = (batch * BATCH..(batch + 1) * BATCH)
            .map(|i| {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&(i as u64).to_le_bytes());
                PreparedArticle::new(ParsedArticle {
                    key: ArticleKey(key),
                    guid: Some(format!("a{i}")),
                    title: format!("Article {i}: a headline of a usual length, with some words"),
                    link: Some(format!("https://example.org/{i}")),
                    author: Some("A. Writer".into()),
                    date: Some(now - chrono::Duration::minutes(i as i64)),
                    content_html: format!("<p>Body of article {i}, with <b>some</b> text.</p>"),
                    ..Default::default()
                })
            })
            .collect();
        let update = FeedUpdate {
            feed_title: "Big".into(),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles,
        };
        store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &settings,
                now.timestamp(),
            )
            .expect("apply");
    }
    store.flush().expect("flush");
    (store, feed)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, feed) = build(dir.path());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let options = tidings::engine::EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: std::time::Duration::from_secs(10),
        build_search_index: false,
    };
    // The reader holding the store, and a second reader reaching it over the socket.
    let holder = tidings::engine::Engine::holding(store, options.clone(), runtime.handle().clone());
    let client =
        tidings::engine::Engine::open(dir.path(), options, runtime.handle().clone()).expect("client");
    assert!(!client.is_holder());
    let mut app = App::new(120, 40);
    app.feeds.rows = vec![FeedRow {
        id: feed,
        title: "Big".into(),
        unread: ARTICLES as u64,
        total: ARTICLES as u64,
        failing: false,
        synced: false,
        tags: vec![],
        options: Default::default(),
    }];
    app.feeds.loaded = true;
    app.refilter_feeds();
    app.focus = Pane::Articles;
    let source = Source::Feed(feed);
    app.articles.wanted = Some(source);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let mut group = c.benchmark_group("list_load");
    group.sample_size(10);
    for (name, engine) in [("held here", &holder), ("through the socket", &client)] {
        group.bench_function(format!("LoadArticles to first frame, one feed of 50,000, {name}"), |b| {
            b.iter(|| {
                let mut app = app.clone();
                for action in tidings::ui::effects::perform(engine, Effect::LoadArticles(source)) {
                    assert!(matches!(action, Action::ArticlesLoaded { .. }), "{action:?}");
                    let effects = tidings::ui::update(&mut app, action);
                    assert!(effects.is_empty(), "the first frame needs no more rows: {effects:?}");
                }
                terminal.draw(|f| tidings::ui::render(&app, f)).expect("draw");
                app
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

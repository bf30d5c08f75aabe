//! The reader's hot path: one key (update) plus a full redraw of the article list holding
//! 10,000 articles (the 2,000 rows around the screen read, as the row cache holds them), at
//! 200x50; and a filter keystroke over the 10,000 rows `/` reads. `cargo bench --bench reader`.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tidings::model::{ArticleId, FeedId};
use tidings::ui::action::Action;
use tidings::ui::app::{App, ArticleRow, FeedRow, Pane, Source};

/// A list of `articles` with the rows of positions `loaded` read.
fn app_with(articles: usize, loaded: std::ops::Range<usize>) -> App {
    let mut app = App::new(200, 50);
    app.feeds.rows = (0..50)
        .map(|i| FeedRow {
            id: FeedId(i),
            title: format!("Feed number {i}"),
            unread: 200,
            total: 200,
            failing: i == 3,
            synced: i == 4,
            tags: vec![],
            options: Default::default(),
        })
        .collect();
    app.feeds.loaded = true;
    let rows: Vec<ArticleRow> = (0..articles as u64)
        .map(|i| ArticleRow {
            id: ArticleId(i),
            feed: FeedId(1),
            title: format!("Article {i}: a title of a typical length, with some words in it 文章标题"),
            author: Some("Someone".into()),
            link: Some(format!("https://example.org/{i}")),
            date: 1_700_000_000 - i as i64 * 600,
            read: i % 3 == 0,
            starred: i % 17 == 0,
            has_images: i % 5 == 0,
            tags: Vec::new(),
        })
        .collect();
    app.articles.entries = rows.iter().map(ArticleRow::entry).collect();
    app.articles.rows = rows.into_iter().skip(loaded.start).take(loaded.len()).map(|r| (r.id, r)).collect();
    app.articles.source = Some(Source::Feed(FeedId(1)));
    app.articles.wanted = app.articles.source;
    app.refilter_feeds();
    app.refilter_articles();
    app.focus = Pane::Articles;
    app
}

fn bench(c: &mut Criterion) {
    let mut app = app_with(10_000, 4_000..6_000);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
    // Half way down, where the offset math and the skip both do work.
    app.articles.sel = 5_000;
    app.scroll_lists();
    assert!(tidings::ui::update(&mut app, Action::SelectNext).is_empty(), "the rows near are read");
    let mut down = true;
    c.bench_function("update + render, 10k-article list, 200x50", |b| {
        b.iter(|| {
            let action = if down { Action::SelectNext } else { Action::SelectPrev };
            down = !down;
            let _ = tidings::ui::update(&mut app, action);
            terminal.draw(|f| tidings::ui::render(&app, f)).expect("draw");
        });
    });
    let mut app = app_with(10_000, 0..10_000);
    c.bench_function("filter keystroke, 10k-article list", |b| {
        b.iter(|| {
            app.articles.filter = if down { "title 99".into() } else { String::new() };
            down = !down;
            app.refilter_articles();
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The article renderer on the seed WeChat article at 80 columns: a full render (what a cache
//! miss costs on the blocking worker) and a `RenderCache` hit (what reopening costs).

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use criterion::{criterion_group, criterion_main, Criterion};
use tidings::model::ArticleId;
use tidings::render::{render_article, ArticleStyles, RenderCache, RenderKey};

fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        // A copy of the shared corpus (../shared/corpus), licences in its LICENSES/ and MANIFEST.tsv.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("feeds").is_dir())
        .expect("the corpus (tests/corpus) is missing")
}

fn seed_html() -> String {
    let path = corpus_dir().join("feeds/seed-jiqizhixin-rss2.xml");
    let bytes = std::fs::read(&path).expect("seed feed");
    let feed =
        tidings::parse::parse_feed(&bytes, None, &format!("file://{}", path.display())).expect("seed parses");
    feed.articles.into_iter().next().expect("one article").content_html
}

fn bench(c: &mut Criterion) {
    let html = seed_html();
    let styles = ArticleStyles::default();
    c.bench_function("render seed article at 80 (uncached)", |b| {
        b.iter(|| render_article(std::hint::black_box(&html), 80, &styles));
    });
    let cache = Mutex::new(RenderCache::default());
    for id in 0..16 {
        let r = Arc::new(render_article(&html, 80, &styles));
        cache.lock().unwrap().insert(RenderKey { article: ArticleId(id), version: 1, width: 80 }, r);
    }
    c.bench_function("render seed article at 80 (RenderCache hit)", |b| {
        b.iter(|| {
            let key = RenderKey { article: ArticleId(std::hint::black_box(3)), version: 1, width: 80 };
            let hit = cache.lock().unwrap().get(key);
            assert!(hit.is_some());
            hit
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

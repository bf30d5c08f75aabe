//! Parse and parse + store throughput over the real-world corpus, in bytes per second.
//!
//! `cargo bench --bench parse_store`; criterion prints MiB/s for each group.

#![allow(clippy::unwrap_used, reason = "a bench may unwrap: a panic stops it with its line")]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tidings::model::FeedId;
use tidings::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, Store, StoreSettings};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_dir())
    .expect("tests/corpus is missing")
    .join("feeds");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("corpus feeds")
        .flatten()
        .filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).ok()?)))
        .collect();
    files.sort();
    files
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function("parse", |b| {
        b.iter(|| {
            let mut n = 0;
            for (name, body) in &files {
                if let Ok(feed) =
                    tidings::parse::parse_feed(body, None, &format!("https://example.org/{name}"))
                {
                    n += feed.articles.len();
                }
            }
            n
        });
    });
    group.bench_function("parse+store", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = Store::open(dir.path(), &StoreSettings::default()).expect("store");
                let ids: Vec<FeedId> = files
                    .iter()
                    .map(|(name, _)| {
                        store
                            .add_feed(NewFeed {
                                url: format!("https://example.org/{name}"),
                                ..Default::default()
                            })
                            .expect("add")
                            .0
                    })
                    .collect();
                (dir, store, ids)
            },
            |(dir, store, ids)| {
                for ((name, body), id) in files.iter().zip(&ids) {
                    let url = format!("https://example.org/{name}");
                    let Ok(feed) = tidings::parse::parse_feed(body, None, &url) else { continue };
                    let update = FeedUpdate::from_parsed(feed);
                    store
                        .apply_fetch(
                            *id,
                            FetchResult::Updated(update),
                            FetchRecord::default(),
                            &StoreSettings::default(),
                            1_700_000_000,
                        )
                        .expect("apply");
                }
                store.flush().expect("flush");
                // Returned, so that closing the database and deleting the temp dir happen
                // outside the measurement.
                (dir, store)
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

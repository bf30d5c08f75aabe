//! Performs an `Effect` against the engine (on a blocking worker) and describes the outcome
//! as `Action`s for the loop.

use crate::engine::{Engine, EngineError};
use crate::sanitize;
use crate::store::ArticleQuery;
use crate::subscriptions::request_options;

use super::action::{Action, Effect};
use super::app::{ArticleRow, FeedRow, Source};
use super::theme;
use crate::model::ArticleId;
use crate::render::{self, RenderCache, RenderKey, Rendered};
use std::sync::{Arc, Mutex, OnceLock};

/// At most this many articles are listed (newest first). A list holds only ids and flags
/// (about 24 bytes an article, so 24 MB at this bound) and reads rows as they come near the
/// screen; the bound keeps a runaway feed without retention from stalling the reader.
const LIST_LIMIT: usize = 1_000_000;

/// A search lists at most this many results, best first, with their rows (titles, dates:
/// a few hundred bytes each), so its order by date or title needs nothing more.
const SEARCH_LIMIT: usize = 1_000;

/// Rows read with a list so its first frame is complete: the first this many articles, and
/// the first this many unread ones (what unread-only shows first). More than any terminal
/// is tall, plus the margin `update` keeps below the screen.
const FIRST_ROWS: usize = 200;

pub fn perform(store: &Engine, effect: Effect) -> Vec<Action> {
    try_perform(store, effect).unwrap_or_else(|e| vec![Action::Failed(format!("store: {e}"))])
}

fn try_perform(store: &Engine, effect: Effect) -> Result<Vec<Action>, EngineError> {
    Ok(match effect {
        Effect::LoadFeeds => vec![feeds_loaded(store)?],
        Effect::LoadQueryFeeds(config) | Effect::LoadQueryFeedsAtStart(config) => {
            vec![query_feeds_loaded(store, &config)?]
        }
        Effect::LoadQueryFeedNames(config) => {
            let rows = crate::store::query_feeds_with_config(&config, store.query_feeds()?)
                .into_iter()
                .map(|(q, _)| super::app::QueryRow {
                    name: sanitize::line(&q.name),
                    query: q.query,
                    unread: None,
                    total: None,
                    error: None,
                })
                .collect();
            vec![Action::QueryFeedNamesLoaded(rows)]
        }
        Effect::RemoveFeed(feed) => {
            let (removed, note) = store.remove_feed_noting(feed)?;
            let mut message = format!("removed {}", sanitize::line(removed.display_title()));
            if let Some(note) = note {
                message.push_str(&format!(" ({note})"));
            }
            vec![Action::FeedChanged(message)]
        }
        Effect::MoveFeed { feed, by } => {
            if store.move_feed(feed, i64::from(by))? {
                vec![Action::FeedChanged(String::new())]
            } else {
                vec![Action::Notice(if by < 0 { "already first" } else { "already last" }.to_owned())]
            }
        }
        Effect::EditFeed { feed, title, add_tags, remove_tags, options } => {
            let replaced = options.is_some();
            let edit = match options {
                Some(options) => crate::engine::FeedEdit::replacing_options(*options),
                None => crate::engine::FeedEdit::default(),
            };
            let edit = crate::engine::FeedEdit { title, add_tags, remove_tags, ..edit };
            let (_, after) = store.edit_feed(feed, edit)?;
            let title = sanitize::line(after.display_title());
            let message = if replaced {
                // Header values are not shown: they may be tokens.
                let options = request_options::options_line(&after.options)
                    .unwrap_or_else(|| "none (config.toml's apply)".to_owned());
                format!("{title}: request options: {options}")
            } else {
                let tags = if after.tags.is_empty() { "no tags".to_owned() } else { after.tags.join(", ") };
                format!("{title}: {tags}")
            };
            vec![Action::FeedChanged(message)]
        }
        Effect::SetArticleTags { article, tags } => {
            // The typed set against the store's tags now, not the reader's copy: a `tidings
            // tag` in another terminal may have changed them since the prompt opened.
            let Some(before) = store.article(article)? else {
                return Ok(vec![Action::Failed(format!(
                    "article {article} is no longer stored (a refresh may have dropped it); nothing was tagged"
                ))]);
            };
            let add: Vec<String> = tags.iter().filter(|t| !before.tags.contains(t)).cloned().collect();
            let remove: Vec<String> = before.tags.iter().filter(|t| !tags.contains(t)).cloned().collect();
            store.tag_articles(&[article], &add, &remove)?;
            let after = store.article(article)?.map(article_row).map(|r| r.tags).unwrap_or_default();
            vec![Action::ArticleTagged { article, tags: after }]
        }
        Effect::LoadArticles(source @ Source::Search { text })
        | Effect::ReloadArticles(source @ Source::Search { text }) => {
            let request =
                crate::search::SearchRequest { text: text.to_owned(), feed: None, limit: Some(SEARCH_LIMIT) };
            let results = store.search(&request)?;
            let shown = results.hits.len();
            let (entries, rows): (Vec<_>, Vec<_>) = results
                .hits
                .into_iter()
                .map(|hit| {
                    let row = article_row(hit.article);
                    (row.entry(), row)
                })
                .unzip();
            vec![
                Action::ArticlesLoaded { source, entries, rows },
                Action::Searched {
                    source,
                    found: results.matched.max(shown),
                    shown,
                    rebuilt: results.caught_up.rebuilt,
                },
            ]
        }
        Effect::LoadArticles(source) | Effect::ReloadArticles(source) => {
            let q = match source {
                Source::Feed(feed) => {
                    ArticleQuery { feed: Some(feed), limit: Some(LIST_LIMIT), ..Default::default() }
                }
                Source::Starred | Source::Query { .. } | Source::Search { .. } => ArticleQuery {
                    starred_only: source == Source::Starred,
                    limit: Some(LIST_LIMIT),
                    ..Default::default()
                },
            };
            let entries = match source {
                Source::Query { expr, .. } => store.matching_entries(&q, expr)?,
                _ => store.list_entries(&q)?,
            };
            let first = entries.iter().take(FIRST_ROWS);
            let first_unread = entries.iter().filter(|e| !e.read).take(FIRST_ROWS);
            let mut ids: Vec<ArticleId> = first.chain(first_unread).map(|e| e.id).collect();
            ids.sort_unstable();
            ids.dedup();
            let rows = rows(store, &ids)?;
            vec![Action::ArticlesLoaded { source, entries, rows }]
        }
        Effect::LoadRows { source, ids } => {
            let rows = rows(store, &ids)?;
            vec![Action::RowsLoaded { source, asked: ids, rows }]
        }
        Effect::MatchQuery { source, expr, ids } => {
            let ids = store.matching_ids(&ids, &expr)?;
            vec![Action::QueryMatched { source, expr, ids }]
        }
        Effect::LoadBody { article, width } => {
            let rendered = rendered_body(store, article, width)?;
            // The renderer made relative links absolute (against the article's page, else the
            // feed's site); enclosures are numbered after the links and images.
            let links = rendered
                .references
                .iter()
                .map(|r| if r.openable { r.url.clone() } else { String::new() })
                .collect();
            vec![Action::BodyRendered {
                article,
                width,
                lines: rendered.lines.clone(),
                links,
                link_cells: rendered.link_cells.clone(),
            }]
        }
        Effect::SaveListOrders(orders) => match super::list_orders::save(store.dir(), &orders) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Action::Failed(format!("cannot keep the lists' order for the next run: {e}"))],
        },
        Effect::LoadHealth(feed) => {
            // The store keeps them oldest first; the window (and `HealthLoaded`) newest first.
            let mut records = store.fetch_log(feed)?;
            records.reverse();
            vec![Action::HealthLoaded { feed, records }]
        }
        Effect::Mark { ids, mark } => {
            store.mark(&ids, mark)?;
            vec![feeds_loaded(store)?]
        }
        Effect::MarkFeedRead(feed) => {
            let ids = store.mark_all_read(Some(feed))?;
            vec![Action::FeedMarkedRead { feed, ids }, feeds_loaded(store)?]
        }
        Effect::MarkFeedsRead { feeds, label } => {
            let ids = store.mark_feeds_read(&feeds)?;
            vec![Action::FeedsMarkedRead { label, ids }, feeds_loaded(store)?]
        }
        // Run by the loop itself (it needs the fetcher and the runtime).
        Effect::Refresh(_)
        | Effect::Sync
        | Effect::AddFeed(_)
        | Effect::AddSamples
        | Effect::OpenUrl(_)
        | Effect::Copy(_)
        | Effect::Quit => Vec::new(),
    })
}

/// Recently rendered articles, by article, body version and width: going back to one, or a
/// resize back and forth, costs a metadata read instead of a body read and a rendering.
fn render_cache() -> &'static Mutex<RenderCache> {
    static CACHE: OnceLock<Mutex<RenderCache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(RenderCache::new(16)))
}

fn rendered_body(store: &Engine, article: ArticleId, width: u16) -> Result<Arc<Rendered>, EngineError> {
    // The metadata first (no body read): its content hash tells a changed body from the one
    // rendered before.
    let meta = store.article(article)?.map(|a| a.meta);
    let key = RenderKey { article, version: meta.as_ref().map_or(0, |m| m.content_hash), width };
    if let Some(hit) = render_cache().lock().ok().and_then(|mut c| c.get(key)) {
        return Ok(hit);
    }
    let site = match &meta {
        Some(m) => store.feed(m.feed)?.and_then(|f| f.site_link),
        None => None,
    };
    let context = render::ArticleContext {
        link: meta.as_ref().and_then(|m| m.link.as_deref()),
        site: site.as_deref(),
        enclosures: meta.as_ref().map_or(&[], |m| m.enclosures.as_slice()),
    };
    let rendered = match store.body(article)? {
        Some(b) => {
            let body = render::render_article_in(&b.html, width, &theme::article_styles(), &context);
            // The feed's summary, when it gave one beside the full content: above the body,
            // labelled like the header, its text dimmed and in italics.
            match &b.summary {
                Some(s) => body.with_summary(
                    s,
                    width,
                    theme::header_label(),
                    theme::dim().add_modifier(ratatui::style::Modifier::ITALIC),
                ),
                None => body,
            }
        }
        None => render::render_article_in(
            "<p><i>(no body stored for this article)</i></p>",
            width,
            &theme::article_styles(),
            &context,
        ),
    };
    let rendered = Arc::new(rendered);
    if let Ok(mut cache) = render_cache().lock() {
        cache.insert(key, rendered.clone());
    }
    Ok(rendered)
}

fn rows(store: &Engine, ids: &[ArticleId]) -> Result<Vec<ArticleRow>, EngineError> {
    Ok(store.articles_by_id(ids)?.into_iter().map(article_row).collect())
}

fn article_row(a: crate::store::Article) -> ArticleRow {
    ArticleRow {
        id: a.meta.id,
        feed: a.meta.feed,
        title: match sanitize::line(&a.meta.title) {
            t if t.is_empty() => "(untitled)".to_owned(),
            t => t,
        },
        // Feeds write "-" or "" for "no author": not worth showing.
        author: a
            .meta
            .author
            .as_deref()
            .map(sanitize::line)
            .filter(|s| !s.is_empty() && s.chars().any(char::is_alphanumeric)),
        link: a.meta.link.as_deref().map(sanitize::line).filter(|s| !s.is_empty()),
        date: a.meta.date,
        read: a.flags.read,
        starred: a.flags.starred,
        has_images: a.meta.image_count > 0,
        tags: a.tags.iter().map(|t| sanitize::line(t)).filter(|t| !t.is_empty()).collect(),
    }
}

fn feeds_loaded(store: &Engine) -> Result<Action, EngineError> {
    let overview = store.feeds_with_counts()?;
    let unread_total = overview.unread_total;
    let mut feeds = Vec::new();
    for (f, c) in overview.feeds {
        feeds.push(FeedRow {
            id: f.id,
            title: sanitize::line(f.display_title()),
            unread: c.unread,
            total: c.total,
            failing: f.last_error.is_some(),
            synced: overview.synced.contains(&f.id),
            tags: f.tags.iter().map(|t| sanitize::line(t)).collect(),
            options: f.options,
        });
    }
    Ok(Action::FeedsLoaded { feeds, unread_total })
}

/// The query feeds with their counts (one pass over the articles for all of them).
fn query_feeds_loaded(store: &Engine, config: &[crate::store::QueryFeed]) -> Result<Action, EngineError> {
    let feeds = crate::store::query_feeds_with_config(config, store.query_feeds()?);
    if feeds.is_empty() {
        return Ok(Action::QueryFeedsLoaded(Vec::new()));
    }
    let exprs: Vec<String> = feeds.iter().map(|(q, _)| q.query.clone()).collect();
    let counts = store.query_counts(&exprs)?;
    let rows = feeds
        .into_iter()
        .zip(counts)
        .map(|((q, _), c)| super::app::QueryRow {
            name: sanitize::line(&q.name),
            query: q.query,
            unread: c.as_ref().ok().map(|c| c.unread),
            total: c.as_ref().ok().map(|c| c.total),
            error: c.err(),
        })
        .collect();
    Ok(Action::QueryFeedsLoaded(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::store::Store;
    use crate::store::{FeedUpdate, FetchRecord, FetchResult, Mark, NewFeed, PreparedArticle, StoreSettings};

    /// A feed of `n` articles on a real sled, newest first titled "a0", "a1"...
    fn feed_of(store: &Store, n: usize) -> crate::model::FeedId {
        let (feed, _) =
            store.add_feed(NewFeed { url: "https://example.org/f".into(), ..Default::default() }).unwrap();
        let now = chrono::Utc::now();
        let articles = (0..n)
            .map(|i| {
                let mut key = [0u8; 16];
                key[..8].copy_from_slice(&(i as u64).to_le_bytes());
                PreparedArticle::new(ParsedArticle {
                    key: ArticleKey(key),
                    guid: Some(format!("g{i}")),
                    title: format!("a{i}\u{1b}[2J"),
                    date: Some(now - chrono::Duration::minutes(i as i64)),
                    ..Default::default()
                })
            })
            .collect();
        let update = FeedUpdate {
            feed_title: "F".into(),
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
                &StoreSettings::default(),
                now.timestamp(),
            )
            .unwrap();
        feed
    }

    #[test]
    fn a_list_comes_with_its_first_rows_and_the_first_unread_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let n = FIRST_ROWS * 2 + 50;
        let feed = feed_of(&store, n);
        let entries = store.list_entries(&ArticleQuery { feed: Some(feed), ..Default::default() }).unwrap();
        // Everything read but the last 10: unread-only shows those first.
        let read: Vec<ArticleId> = entries[..n - 10].iter().map(|e| e.id).collect();
        store.mark(&read, Mark::Read).unwrap();
        let source = Source::Feed(feed);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let options = crate::engine::EngineOptions {
            store: StoreSettings::default(),
            fetch: Default::default(),
            wait: crate::engine::DEFAULT_WAIT,
            build_search_index: false,
        };
        let store = Engine::holding(store, options, runtime.handle().clone());
        let answer: [Action; 1] = perform(&store, Effect::LoadArticles(source)).try_into().unwrap();
        let [Action::ArticlesLoaded { source: got, entries, rows }] = answer else {
            panic!("not a list");
        };
        assert_eq!(got, source);
        assert_eq!(entries.len(), n);
        let with_row: Vec<usize> = (0..n).filter(|&i| rows.iter().any(|r| r.id == entries[i].id)).collect();
        let want: Vec<usize> = (0..FIRST_ROWS).chain(n - 10..n).collect();
        assert_eq!(with_row, want);
        // Rows are sanitized like every string from a feed.
        assert!(rows.iter().all(|r| !r.title.contains('\u{1b}')), "{:?}", rows[0].title);

        let ids = vec![entries[300].id, entries[5].id];
        let answer: [Action; 1] = perform(&store, Effect::LoadRows { source, ids }).try_into().unwrap();
        let [Action::RowsLoaded { source: got, rows, .. }] = answer else { panic!("not rows") };
        assert_eq!(got, source);
        assert_eq!(rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["a300[2J", "a5[2J"]);
    }

    #[test]
    fn request_options_from_the_prompt_replace_the_feeds_whole_options() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let old = crate::store::FeedOptions {
            user_agent: Some("old/1".into()),
            referer: Some("https://example.org/".into()),
            headers: vec![("X-A".into(), "1".into()), ("X-B".into(), "2".into())],
            proxy: Some("none".into()),
        };
        let (feed, _) = store
            .add_feed(NewFeed {
                url: "https://example.org/f".into(),
                tags: vec!["kept".into()],
                options: old,
                ..Default::default()
            })
            .unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let options = crate::engine::EngineOptions {
            store: StoreSettings::default(),
            fetch: Default::default(),
            wait: crate::engine::DEFAULT_WAIT,
            build_search_index: false,
        };
        let engine = Engine::holding(store, options, runtime.handle().clone());
        let new = crate::store::FeedOptions {
            user_agent: Some("tidings-test/1".into()),
            headers: vec![("Authorization".into(), "Bearer s3cret".into())],
            ..Default::default()
        };
        let effect = Effect::EditFeed {
            feed,
            title: None,
            add_tags: vec![],
            remove_tags: vec![],
            options: Some(Box::new(new.clone())),
        };
        let answer = perform(&engine, effect);
        let [Action::FeedChanged(message)] = answer.as_slice() else { panic!("{answer:?}") };
        assert_eq!(
            message,
            "https://example.org/f: request options: user agent \"tidings-test/1\"; headers Authorization"
        );
        let after = engine.feed(feed).unwrap().unwrap();
        assert_eq!(after.options, new, "the referer, X-A, X-B and the proxy are gone");
        assert_eq!(after.tags, ["kept"], "nothing else changed");
        // The feeds pane's rows carry them, for the prompt and the `i` window.
        let answer: [Action; 1] = perform(&engine, Effect::LoadFeeds).try_into().unwrap();
        let [Action::FeedsLoaded { feeds, .. }] = answer else { panic!("not feeds") };
        assert_eq!(feeds[0].options, new);
        // No options at all: said so.
        let effect = Effect::EditFeed {
            feed,
            title: None,
            add_tags: vec![],
            remove_tags: vec![],
            options: Some(Box::default()),
        };
        let answer = perform(&engine, effect);
        assert_eq!(
            answer,
            [Action::FeedChanged(
                "https://example.org/f: request options: none (config.toml's apply)".into()
            )]
        );
        assert_eq!(engine.feed(feed).unwrap().unwrap().options, Default::default());
    }

    #[test]
    fn a_body_opens_absolute_links_and_its_enclosures_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let (feed, _) =
            store.add_feed(NewFeed { url: "https://example.org/f".into(), ..Default::default() }).unwrap();
        let now = chrono::Utc::now();
        let article = |key: u8, link: Option<&str>| {
            PreparedArticle::new(ParsedArticle {
                key: ArticleKey([key; 16]),
                guid: Some(format!("g{key}")),
                title: format!("t{key}"),
                link: link.map(str::to_owned),
                date: Some(now - chrono::Duration::minutes(i64::from(key))),
                content_html: "<p><a href='/post/2'>next</a> <a href='javascript:x'>bad</a></p>".into(),
                enclosures: vec![crate::model::Enclosure {
                    url: "https://cdn.example.org/ep1.mp3".into(),
                    mime: Some("audio/mpeg".into()),
                    length: Some(34_200_000),
                }],
                ..Default::default()
            })
        };
        let update = FeedUpdate {
            feed_title: "F".into(),
            site_link: Some("https://site.example.org/blog/".into()),
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: vec![article(1, Some("https://example.org/posts/1")), article(2, None)],
        };
        store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &StoreSettings::default(),
                now.timestamp(),
            )
            .unwrap();
        let entries = store.list_entries(&ArticleQuery { feed: Some(feed), ..Default::default() }).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let options = crate::engine::EngineOptions {
            store: StoreSettings::default(),
            fetch: Default::default(),
            wait: crate::engine::DEFAULT_WAIT,
            build_search_index: false,
        };
        let store = Engine::holding(store, options, runtime.handle().clone());
        let links_of = |article: ArticleId| {
            let answer: [Action; 1] =
                perform(&store, Effect::LoadBody { article, width: 77 }).try_into().unwrap();
            let [Action::BodyRendered { links, lines, .. }] = answer else { panic!("not a body") };
            let text: Vec<String> =
                lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect();
            (links, text)
        };
        // Newest first: t1 (with a link), then t2 (without: the site is the base). An odd width:
        // the render cache is shared by the whole process.
        let (links, text) = links_of(entries[0].id);
        assert_eq!(links, ["https://example.org/post/2", "", "https://cdn.example.org/ep1.mp3"]);
        assert!(
            text.contains(&"[enclosure 3] audio/mpeg, 34.2 MB: https://cdn.example.org/ep1.mp3".to_owned()),
            "{text:#?}"
        );
        let (links, _) = links_of(entries[1].id);
        assert_eq!(links, ["https://site.example.org/post/2", "", "https://cdn.example.org/ep1.mp3"]);
    }
}

//! Performs an `Effect` against the store (on a blocking worker) and describes the outcome
//! as `Action`s for the loop.

use crate::sanitize;
use crate::store::{ArticleQuery, Store, StoreError};

use super::action::{Action, Effect};
use super::app::{ArticleRow, FeedRow, Source};
use super::theme;
use crate::model::ArticleId;
use crate::render::{self, RenderCache, Rendered};
use std::sync::{Arc, Mutex, OnceLock};

/// At most this many articles are listed (newest first); a list is loaded off the UI task
/// and holds only metadata (about 200 bytes an article).
const LIST_LIMIT: usize = 50_000;

pub fn perform(store: &Store, effect: Effect) -> Vec<Action> {
    try_perform(store, effect).unwrap_or_else(|e| vec![Action::Failed(format!("store: {e}"))])
}

fn try_perform(store: &Store, effect: Effect) -> Result<Vec<Action>, StoreError> {
    Ok(match effect {
        Effect::LoadFeeds => vec![feeds_loaded(store)?],
        Effect::LoadArticles(source) | Effect::ReloadArticles(source) => {
            let q = match source {
                Source::Feed(feed) => {
                    ArticleQuery { feed: Some(feed), limit: Some(LIST_LIMIT), ..Default::default() }
                }
                Source::Starred => {
                    ArticleQuery { starred_only: true, limit: Some(LIST_LIMIT), ..Default::default() }
                }
            };
            let articles = store.articles(&q)?.into_iter().map(article_row).collect();
            vec![Action::ArticlesLoaded { source, articles }]
        }
        Effect::LoadBody { article, width } => {
            let rendered = rendered_body(store, article, width)?;
            // Relative links are made absolute against the article's own page.
            let page =
                store.article(article)?.and_then(|a| a.meta.link).and_then(|l| url::Url::parse(&l).ok());
            let links = rendered
                .references
                .iter()
                .map(|r| match (&page, r.openable) {
                    (_, false) => String::new(),
                    (Some(page), true) => page.join(&r.url).map_or_else(|_| r.url.clone(), |u| u.to_string()),
                    (None, true) => r.url.clone(),
                })
                .collect();
            vec![Action::BodyRendered {
                article,
                width,
                lines: rendered.lines.clone(),
                links,
                link_cells: rendered.link_cells.clone(),
            }]
        }
        Effect::LoadHealth(feed) => vec![Action::HealthLoaded { feed, records: store.fetch_log(feed)? }],
        Effect::Mark { ids, mark } => {
            store.mark(&ids, mark)?;
            vec![feeds_loaded(store)?]
        }
        Effect::MarkFeedRead(feed) => {
            let ids = store.mark_all_read(Some(feed))?;
            vec![Action::FeedMarkedRead { feed, ids }, feeds_loaded(store)?]
        }
        // Run by the loop itself (it needs the fetcher and the runtime).
        Effect::Refresh(_)
        | Effect::AddFeed(_)
        | Effect::AddSamples
        | Effect::OpenUrl(_)
        | Effect::Copy(_)
        | Effect::Quit => Vec::new(),
    })
}

/// Recently rendered articles, by (article, width): going back to one, or a resize back and
/// forth, costs nothing.
fn render_cache() -> &'static Mutex<RenderCache> {
    static CACHE: OnceLock<Mutex<RenderCache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(RenderCache::new(16)))
}

fn rendered_body(store: &Store, article: ArticleId, width: u16) -> Result<Arc<Rendered>, StoreError> {
    if let Some(hit) = render_cache().lock().ok().and_then(|mut c| c.get(article, width)) {
        return Ok(hit);
    }
    let rendered = match store.body(article)? {
        Some(b) => render::render_article(&b.html, width, &theme::article_styles()),
        None => render::render_article(
            "<p><i>(no body stored for this article)</i></p>",
            width,
            &theme::article_styles(),
        ),
    };
    let rendered = Arc::new(rendered);
    if let Ok(mut cache) = render_cache().lock() {
        cache.insert(article, width, rendered.clone());
    }
    Ok(rendered)
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
    }
}

fn feeds_loaded(store: &Store) -> Result<Action, StoreError> {
    let mut feeds = Vec::new();
    for f in store.feeds()? {
        let c = store.counts(f.id)?;
        feeds.push(FeedRow {
            id: f.id,
            title: sanitize::line(f.display_title()),
            unread: c.unread,
            total: c.total,
            failing: f.last_error.is_some(),
            tags: f.tags.iter().map(|t| sanitize::line(t)).collect(),
        });
    }
    Ok(Action::FeedsLoaded { feeds, unread_total: store.unread_total()? })
}

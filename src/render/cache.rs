//! A small LRU of rendered articles, keyed by article, body version and width.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Rendered;
use crate::model::ArticleId;

/// What one rendering is of: the article, its body's version (the stored content hash, so a
/// body a refresh changed is rendered again) and the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderKey {
    pub article: ArticleId,
    pub version: u64,
    pub width: u16,
}

/// The last few articles rendered, most recently used first. Small and cheap: a lookup is a
/// scan of at most `capacity` keys, a hit clones an `Arc`. Share it behind a `Mutex`, and
/// render outside the lock (a miss costs milliseconds):
///
/// ```
/// use std::sync::{Arc, Mutex, PoisonError};
/// use tidings::model::ArticleId;
/// use tidings::render::{render_article, ArticleStyles, RenderCache, RenderKey};
///
/// let cache = Mutex::new(RenderCache::default());
/// let key = RenderKey { article: ArticleId(7), version: 1, width: 80 };
/// let hit = cache.lock().unwrap_or_else(PoisonError::into_inner).get(key);
/// let rendered = match hit {
///     Some(r) => r,
///     None => {
///         let r = Arc::new(render_article("<p>Hello</p>", key.width, &ArticleStyles::default()));
///         cache.lock().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::clone(&r));
///         r
///     }
/// };
/// assert_eq!(rendered.lines.len(), 1);
/// ```
///
/// Styles are not part of the key: the theme is installed once per process.
#[derive(Debug)]
pub struct RenderCache {
    capacity: usize,
    entries: VecDeque<(RenderKey, Arc<Rendered>)>,
}

impl RenderCache {
    /// The capacity of `RenderCache::default()`.
    pub(crate) const DEFAULT_CAPACITY: usize = 16;

    /// A cache holding at most `capacity` renderings (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        RenderCache { capacity, entries: VecDeque::with_capacity(capacity) }
    }

    /// The rendering of `key`, if cached; it becomes the most recently used.
    pub fn get(&mut self, key: RenderKey) -> Option<Arc<Rendered>> {
        let i = self.entries.iter().position(|(k, _)| *k == key)?;
        let entry = self.entries.remove(i)?;
        let hit = Arc::clone(&entry.1);
        self.entries.push_front(entry);
        Some(hit)
    }

    /// Keeps `rendered` as the rendering of `key`, replacing an older one and evicting the
    /// least recently used entry when full.
    pub fn insert(&mut self, key: RenderKey, rendered: Arc<Rendered>) {
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries.remove(i);
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_back();
        }
        self.entries.push_front((key, rendered));
    }
}

#[cfg(test)]
impl RenderCache {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Default for RenderCache {
    fn default() -> Self {
        RenderCache::new(Self::DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Arc<Rendered> {
        Arc::new(Rendered {
            lines: vec![text.to_owned().into()],
            references: Vec::new(),
            link_cells: Vec::new(),
        })
    }

    fn key(article: u64, width: u16) -> RenderKey {
        RenderKey { article: ArticleId(article), version: 1, width }
    }

    #[test]
    fn least_recently_used_goes_first() {
        let mut c = RenderCache::new(2);
        assert!(c.is_empty());
        c.insert(key(1, 80), r("a"));
        c.insert(key(2, 80), r("b"));
        assert!(c.get(key(1, 80)).is_some());
        c.insert(key(3, 80), r("c"));
        assert!(c.get(key(2, 80)).is_none(), "2 was the least recently used");
        assert!(c.get(key(1, 80)).is_some() && c.get(key(3, 80)).is_some());
        assert!(c.get(key(1, 40)).is_none(), "the width is part of the key");
        c.insert(key(1, 80), r("a2"));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(key(1, 80)).unwrap().lines[0].spans[0].content, "a2");
    }

    #[test]
    fn a_body_changed_by_a_refresh_is_not_served_from_the_cache() {
        let mut c = RenderCache::default();
        c.insert(key(1, 80), r("old"));
        let changed = RenderKey { version: 2, ..key(1, 80) };
        assert!(c.get(changed).is_none(), "the new body is rendered");
        c.insert(changed, r("new"));
        assert_eq!(c.get(changed).unwrap().lines[0].spans[0].content, "new");
    }
}

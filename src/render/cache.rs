//! A small LRU of rendered articles, keyed by article and width.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Rendered;
use crate::model::ArticleId;

/// The last few articles rendered, by (article, width), most recently used first. Small and
/// cheap: a lookup is a scan of at most `capacity` keys, a hit clones an `Arc`. Share it behind
/// a `Mutex`, and render outside the lock (a miss costs milliseconds):
///
/// ```
/// use std::sync::{Arc, Mutex, PoisonError};
/// use tidings::model::ArticleId;
/// use tidings::render::{render_article, ArticleStyles, RenderCache};
///
/// let cache = Mutex::new(RenderCache::default());
/// let (id, width) = (ArticleId(7), 80);
/// let hit = cache.lock().unwrap_or_else(PoisonError::into_inner).get(id, width);
/// let rendered = match hit {
///     Some(r) => r,
///     None => {
///         let r = Arc::new(render_article("<p>Hello</p>", width, &ArticleStyles::default()));
///         cache.lock().unwrap_or_else(PoisonError::into_inner).insert(id, width, Arc::clone(&r));
///         r
///     }
/// };
/// assert_eq!(rendered.lines.len(), 1);
/// ```
///
/// Styles are not part of the key: the theme is installed once per process. Nor is the body's
/// version: an article whose body a refresh changes keeps its cached rendering until it is
/// evicted (`invalidate` and `clear` are there for that, but only tests call them so far).
#[derive(Debug)]
pub struct RenderCache {
    capacity: usize,
    entries: VecDeque<((ArticleId, u16), Arc<Rendered>)>,
}

impl RenderCache {
    /// The capacity of `RenderCache::default()`.
    pub(crate) const DEFAULT_CAPACITY: usize = 16;

    /// A cache holding at most `capacity` renderings (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        RenderCache { capacity, entries: VecDeque::with_capacity(capacity) }
    }

    /// The rendering of `article` at `width`, if cached; it becomes the most recently used.
    pub fn get(&mut self, article: ArticleId, width: u16) -> Option<Arc<Rendered>> {
        let i = self.entries.iter().position(|(k, _)| *k == (article, width))?;
        let entry = self.entries.remove(i)?;
        let hit = Arc::clone(&entry.1);
        self.entries.push_front(entry);
        Some(hit)
    }

    /// Keeps `rendered` as the rendering of `article` at `width`, replacing an older one and
    /// evicting the least recently used entry when full.
    pub fn insert(&mut self, article: ArticleId, width: u16, rendered: Arc<Rendered>) {
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == (article, width)) {
            self.entries.remove(i);
        }
        while self.entries.len() >= self.capacity {
            self.entries.pop_back();
        }
        self.entries.push_front(((article, width), rendered));
    }
}

#[cfg(test)]
impl RenderCache {
    /// Forgets every width of `article` (its body changed).
    pub(crate) fn invalidate(&mut self, article: ArticleId) {
        self.entries.retain(|((a, _), _)| *a != article);
    }

    /// Forgets everything (the styles changed).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

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

    #[test]
    fn least_recently_used_goes_first() {
        let mut c = RenderCache::new(2);
        c.insert(ArticleId(1), 80, r("a"));
        c.insert(ArticleId(2), 80, r("b"));
        assert!(c.get(ArticleId(1), 80).is_some());
        c.insert(ArticleId(3), 80, r("c"));
        assert!(c.get(ArticleId(2), 80).is_none(), "2 was the least recently used");
        assert!(c.get(ArticleId(1), 80).is_some() && c.get(ArticleId(3), 80).is_some());
        assert!(c.get(ArticleId(1), 40).is_none(), "the width is part of the key");
        c.insert(ArticleId(1), 80, r("a2"));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(ArticleId(1), 80).unwrap().lines[0].spans[0].content, "a2");
        c.invalidate(ArticleId(1));
        assert!(c.get(ArticleId(1), 80).is_none());
        c.clear();
        assert!(c.is_empty());
    }
}

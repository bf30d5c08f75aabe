//! Filters: `[[filter]] query = "…" action = "mark-read" | "star" | "hide"` in config.toml,
//! newsboat's ignore-article with any action. The store applies them to the articles a
//! refresh finds new (never to ones it has, so a later unread or unstar by hand stays), in the
//! same transaction that stores them.

use std::collections::HashMap;

use super::eval::Candidate;
use super::Query;
use crate::model::FeedId;
use crate::store::{ArticleMeta, FeedRecord, ListEntry, Store};

/// One `[[filter]]` of config.toml, its expression parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub query: Query,
    pub action: FilterAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAction {
    MarkRead,
    Star,
    /// Not stored at all, and remembered so that later refreshes do not bring it back.
    Hide,
}

impl FilterAction {
    /// The actions as config.toml spells them.
    pub const NAMES: [&'static str; 3] = ["mark-read", "star", "hide"];

    pub fn parse(name: &str) -> Option<FilterAction> {
        match name.trim().to_ascii_lowercase().as_str() {
            "mark-read" | "read" => Some(FilterAction::MarkRead),
            "star" => Some(FilterAction::Star),
            "hide" => Some(FilterAction::Hide),
            _ => None,
        }
    }
}

/// What the filters decided for one new article.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    pub read: bool,
    pub starred: bool,
    pub hidden: bool,
}

impl Verdict {
    pub fn any(self) -> bool {
        self.read || self.starred || self.hidden
    }
}

/// Runs every filter on one article that is not stored yet. `html` gives its body, asked for
/// only if a filter tests the content. A filter that cannot be evaluated (the store failed
/// underneath) does nothing.
pub fn verdict(
    filters: &[Filter],
    store: &Store,
    feed: &FeedRecord,
    meta: ArticleMeta,
    html: impl FnOnce() -> String,
    now: i64,
) -> Verdict {
    let mut verdict = Verdict::default();
    if filters.is_empty() {
        return verdict;
    }
    let feeds: HashMap<FeedId, FeedRecord> = HashMap::from([(feed.id, feed.clone())]);
    let entry = ListEntry { id: meta.id, feed: feed.id, read: false, starred: false };
    let mut candidate = Candidate::new(store, &feeds, entry, now);
    candidate.meta = Some(Some(meta));
    if filters.iter().any(|f| f.query.reads_bodies()) {
        candidate.set_content(&html());
    }
    for filter in filters {
        if candidate.matches(&filter.query.expr).unwrap_or(false) {
            match filter.action {
                FilterAction::MarkRead => verdict.read = true,
                FilterAction::Star => verdict.starred = true,
                FilterAction::Hide => verdict.hidden = true,
            }
        }
    }
    verdict
}

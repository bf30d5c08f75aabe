//! Filters: `[[filter]] query = "…" action = "mark-read" | "star" | "hide" | "tag:NAME"` in
//! config.toml, newsboat's ignore-article with any action. The store applies them to the
//! articles a refresh finds new (never to ones it has, so a later unread or unstar by hand
//! stays), in the same transaction that stores them. Filters run in their order in the file,
//! and a filter's `tag:` test sees the tags the filters above it gave.

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterAction {
    MarkRead,
    Star,
    /// Not stored at all, and remembered so that later refreshes do not bring it back.
    Hide,
    /// The article gets this tag of its own (`tag:news`), kept as written.
    Tag(String),
}

/// Why an action in config.toml is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("the actions are {}", FilterAction::NAMES.join(", "))]
    Unknown,
    #[error(
        "a tag name is 1 to {MAX_TAG_CHARS} characters without spaces, quotes, parentheses, commas \
         or any of : < > = (so that `tag:NAME` finds it unquoted), e.g. action = \"tag:news\""
    )]
    BadTagName,
}

/// The longest tag name a filter may give, in characters.
pub(crate) const MAX_TAG_CHARS: usize = 64;

impl FilterAction {
    /// The actions as config.toml spells them.
    pub(crate) const NAMES: [&'static str; 4] = ["mark-read", "star", "hide", "tag:NAME"];

    pub fn parse(name: &str) -> Result<FilterAction, ActionError> {
        let name = name.trim();
        // `tag:` in any case, like a query's field names; the name keeps its case.
        if let Some(tag) = name.get(..4).filter(|p| p.eq_ignore_ascii_case("tag:")).and(name.get(4..)) {
            return valid_tag_name(tag).map(|()| FilterAction::Tag(tag.to_owned()));
        }
        match name.to_ascii_lowercase().as_str() {
            "mark-read" | "read" => Ok(FilterAction::MarkRead),
            "star" => Ok(FilterAction::Star),
            "hide" => Ok(FilterAction::Hide),
            _ => Err(ActionError::Unknown),
        }
    }
}

/// A tag name a filter may give: one that `tag:NAME` in a query finds without quotes, and
/// that a list of tags can show without ambiguity.
fn valid_tag_name(tag: &str) -> Result<(), ActionError> {
    let len = tag.chars().count();
    let bad_char = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '"' | '\'' | '(' | ')' | ',' | ':' | '<' | '>' | '=')
    };
    if len == 0 || len > MAX_TAG_CHARS || tag.chars().any(bad_char) {
        return Err(ActionError::BadTagName);
    }
    Ok(())
}

/// Why `tag` cannot be given to an article by hand (`tidings tag`, `#` in the reader), if it
/// cannot: the rule of a filter's tags, so that `tag:NAME` finds every article tag.
pub(crate) fn hand_tag_problem(tag: &str) -> Option<String> {
    valid_tag_name(tag).err().map(|_| {
        format!(
            "{:?} cannot be a tag: a tag is 1 to {MAX_TAG_CHARS} characters without spaces, quotes, \
             parentheses, commas or any of : < > = (so that `tag:NAME` finds it)",
            crate::sanitize::line(tag)
        )
    })
}

/// What the filters decided for one new article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) read: bool,
    pub(crate) starred: bool,
    pub(crate) hidden: bool,
    /// Tags the article gets, in the order the filters gave them, each once.
    pub(crate) tags: Vec<String>,
}

impl Verdict {
    pub(crate) fn any(&self) -> bool {
        self.read || self.starred || self.hidden || !self.tags.is_empty()
    }
}

/// Runs every filter on one article that is not stored yet. `text` gives its text (summary and
/// body, see [`crate::store::ArticleBody::text`]), asked for only if a filter tests the content. A filter that cannot be evaluated (the store failed
/// underneath) does nothing.
pub(crate) fn verdict(
    filters: &[Filter],
    store: &Store,
    feed: &FeedRecord,
    meta: ArticleMeta,
    text: impl FnOnce() -> String,
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
    // Not stored yet, so it has no tags of its own but those given below.
    candidate.article_tags = Some(Vec::new());
    if filters.iter().any(|f| f.query.reads_bodies()) {
        candidate.set_content(&text());
    }
    for filter in filters {
        if candidate.matches(&filter.query.expr).unwrap_or(false) {
            match &filter.action {
                FilterAction::MarkRead => verdict.read = true,
                FilterAction::Star => verdict.starred = true,
                FilterAction::Hide => verdict.hidden = true,
                FilterAction::Tag(tag) => {
                    let folded = super::fold(tag);
                    let given = candidate.article_tags.get_or_insert_with(Vec::new);
                    if !given.contains(&folded) {
                        given.push(folded);
                        verdict.tags.push(tag.clone());
                    }
                }
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleKey, ParsedArticle};
    use crate::store::{NewFeed, PreparedArticle, StoreSettings};

    fn filter(query: &str, action: &str) -> Filter {
        Filter { query: Query::parse(query).unwrap(), action: FilterAction::parse(action).unwrap() }
    }

    #[test]
    fn tags_are_given_once_in_order_and_later_filters_see_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let (id, _) = store
            .add_feed(NewFeed {
                url: "https://a.example/".into(),
                tags: vec!["tech".into()],
                ..Default::default()
            })
            .unwrap();
        let feed = store.feed(id).unwrap().unwrap();
        let article = PreparedArticle::new(ParsedArticle {
            key: ArticleKey([1; 16]),
            title: "Rust 2024".into(),
            content_html: "<p>edition</p>".into(),
            ..Default::default()
        });
        let meta = ArticleMeta::from_prepared(crate::model::ArticleId(0), id, &article, 0);
        let filters = [
            // Before any filter tagged it: the feed's tag matches, the article's own does not.
            filter("tag:lang", "star"),
            filter("title:rust", "tag:Lang"),
            filter("title:rust", "tag:lang"),
            filter("tag:lang", "tag:picked"),
            filter("tag:tech", "tag:from-tech"),
            filter("title:python", "tag:never"),
        ];
        let verdict = verdict(&filters, &store, &feed, meta, String::new, 0);
        assert_eq!(verdict.tags, ["Lang", "picked", "from-tech"]);
        assert!(!verdict.starred && !verdict.read && !verdict.hidden);
        assert!(verdict.any());
    }
}

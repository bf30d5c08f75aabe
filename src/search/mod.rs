//! Full-text search over every article's title, author, body and feed title
//! (`tidings search`).
//!
//! [`tokenize`] cuts text into terms (folded, stemmed, CJK as bigrams), [`index`] keeps the
//! inverted index in the store's own sled database and brings it up to date, [`rank`] runs a
//! query (BM25, newest first among equals, phrases from the terms' places) and [`snippet`] picks
//! the line each result shows. [`search`] runs in the process that holds the store; clients
//! ask over the socket (`Request::Search`).

pub(crate) mod grams;
pub mod index;
mod rank;
pub(crate) mod snippet;
pub(crate) mod tokenize;

pub(crate) use index::CHUNK as INDEX_CHUNK;
pub use index::{catch_up, catch_up_if_built, needs_build, CatchUp};
pub(crate) use index::{mark_built, mark_pending, note_change, verify};

use serde::{Deserialize, Serialize};

use crate::model::FeedId;
use crate::store::{Article, Store, StoreError};

/// A search, as the CLI (or a client over the socket) asks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Words, and "quoted phrases"; every one must match.
    pub text: String,
    /// Only this feed's articles.
    pub feed: Option<FeedId>,
    /// At most this many results; `None` for all.
    pub limit: Option<usize>,
}

/// One result: the article, its score and a line of its body around the first match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub(crate) article: Article,
    /// Sanitized: one line, no control characters.
    pub(crate) snippet: String,
    pub(crate) score: f32,
}

/// The results of a search, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Articles that match: the results and those past the limit.
    pub matched: usize,
    /// What the index had to catch up on first (a first build says so to the user).
    pub(crate) caught_up: CatchUp,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("nothing to search for in {0:?}: give a word with letters or digits")]
    NothingToSearch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Brings the index up to date, then runs the search.
pub fn search(store: &Store, request: &SearchRequest) -> Result<SearchResults, SearchError> {
    let caught_up = catch_up(store)?;
    let (hits, matched) = rank::run(store, request)?;
    Ok(SearchResults { hits, matched, caught_up })
}

#[cfg(test)]
mod tests;

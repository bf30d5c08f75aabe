//! Query feeds added with `tidings query add`, kept in the database so that every process
//! on the data dir lists the same ones (config.toml's `[[query]]`s are listed beside them).

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// Where they live in the `meta` tree: one JSON list (a few dozen at most).
pub(super) const QUERY_FEEDS_KEY: &str = "query_feeds";

/// A named query expression, listed like a feed (also config.toml's `[[query]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFeed {
    pub name: String,
    pub query: String,
}

/// config.toml's query feeds first, in their order, then the database's (a name defined in
/// both is config.toml's); each with whether it is config.toml's.
pub fn with_config(config: &[QueryFeed], stored: Vec<QueryFeed>) -> Vec<(QueryFeed, bool)> {
    let mut out: Vec<(QueryFeed, bool)> = config.iter().map(|q| (q.clone(), true)).collect();
    for feed in stored {
        if !out.iter().any(|(q, _)| q.name == feed.name) {
            out.push((feed, false));
        }
    }
    out
}

impl Store {
    pub fn query_feeds(&self) -> Result<Vec<QueryFeed>, StoreError> {
        match self.meta.get(QUERY_FEEDS_KEY)? {
            Some(v) => serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupt(format!("the stored query feeds do not decode: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Adds a query feed; false if one of that name exists (it is left as it is).
    pub fn add_query_feed(&self, feed: QueryFeed) -> Result<bool, StoreError> {
        let mut added = false;
        self.meta.fetch_and_update(QUERY_FEEDS_KEY, |old| {
            let mut feeds: Vec<QueryFeed> =
                old.and_then(|v| serde_json::from_slice(v).ok()).unwrap_or_default();
            added = !feeds.iter().any(|f| f.name == feed.name);
            if added {
                feeds.push(feed.clone());
            }
            serde_json::to_vec(&feeds).ok()
        })?;
        self.meta.flush()?;
        Ok(added)
    }

    /// Removes the query feed called `name`; false if there is none.
    pub fn remove_query_feed(&self, name: &str) -> Result<bool, StoreError> {
        let mut removed = false;
        self.meta.fetch_and_update(QUERY_FEEDS_KEY, |old| {
            let mut feeds: Vec<QueryFeed> =
                old.and_then(|v| serde_json::from_slice(v).ok()).unwrap_or_default();
            let before = feeds.len();
            feeds.retain(|f| f.name != name);
            removed = feeds.len() != before;
            serde_json::to_vec(&feeds).ok()
        })?;
        self.meta.flush()?;
        Ok(removed)
    }
}

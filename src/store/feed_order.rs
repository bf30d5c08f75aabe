//! The order feeds are listed in (the reader's feeds pane, `tidings feeds`, `export`): the
//! order they were added in, until the user moves one (`J`/`K` in the reader). Kept in the
//! `meta` tree as one list of ids; feeds it does not name come after it, oldest first.

use super::{FeedRecord, Store, StoreError};
use crate::model::FeedId;

pub(super) const FEED_ORDER_KEY: &str = "feed_order";

impl Store {
    fn feed_order(&self) -> Result<Vec<FeedId>, StoreError> {
        Ok(match self.meta.get(FEED_ORDER_KEY)? {
            Some(v) => {
                serde_json::from_slice::<Vec<u64>>(&v).unwrap_or_default().into_iter().map(FeedId).collect()
            }
            None => Vec::new(),
        })
    }

    /// `feeds` (by id, as the tree holds them) in the user's order.
    pub(super) fn in_user_order(&self, mut feeds: Vec<FeedRecord>) -> Result<Vec<FeedRecord>, StoreError> {
        let order = self.feed_order()?;
        if order.is_empty() {
            return Ok(feeds);
        }
        let position = |id: FeedId| order.iter().position(|&o| o == id).unwrap_or(usize::MAX);
        // Stable: feeds the order does not name keep their id order, after it.
        feeds.sort_by_key(|f| position(f.id));
        Ok(feeds)
    }

    /// Moves a feed `by` places (negative: up), within the list; false if it did not move.
    pub fn move_feed(&self, id: FeedId, by: i64) -> Result<bool, StoreError> {
        let ids: Vec<FeedId> = self.feeds()?.into_iter().map(|f| f.id).collect();
        let Some(from) = ids.iter().position(|&f| f == id) else {
            return Err(StoreError::NoSuchFeed(id.to_string()));
        };
        let to = (from as i64 + by).clamp(0, ids.len() as i64 - 1) as usize;
        if to == from {
            return Ok(false);
        }
        let mut order = ids;
        let moved = order.remove(from);
        order.insert(to, moved);
        let bytes = serde_json::to_vec(&order.iter().map(|f| f.0).collect::<Vec<u64>>())
            .map_err(|e| StoreError::Corrupt(format!("the feed order does not encode: {e}")))?;
        self.meta.insert(FEED_ORDER_KEY, bytes)?;
        self.meta.flush()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewFeed, StoreSettings};

    #[test]
    fn feeds_move_up_and_down_and_new_ones_come_last() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        let add = |n: u32| {
            store.add_feed(NewFeed { url: format!("https://f{n}.example/"), ..Default::default() }).unwrap().0
        };
        let (a, b, c) = (add(1), add(2), add(3));
        let order = |store: &Store| store.feeds().unwrap().iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(order(&store), [a, b, c]);
        assert!(store.move_feed(c, -1).unwrap());
        assert_eq!(order(&store), [a, c, b]);
        assert!(store.move_feed(a, 5).unwrap(), "clamped to the end");
        assert_eq!(order(&store), [c, b, a]);
        assert!(!store.move_feed(c, -1).unwrap(), "already first");
        let d = add(4);
        assert_eq!(order(&store), [c, b, a, d]);
        store.remove_feed(b).unwrap();
        assert_eq!(order(&store), [c, a, d]);
        assert!(store.move_feed(d, -1).unwrap());
        assert_eq!(order(&store), [c, d, a]);
        assert!(store.move_feed(FeedId(99), 1).is_err());
        // The order survives a repair.
        store.flush().unwrap();
        drop(store);
        crate::store::when_released(|| Store::repair(dir.path(), &StoreSettings::default())).unwrap();
        let store =
            crate::store::when_released(|| Store::open(dir.path(), &StoreSettings::default())).unwrap();
        assert_eq!(order(&store), [c, d, a]);
    }
}

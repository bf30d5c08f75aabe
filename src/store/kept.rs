//! Values worked out from the whole store (query feeds' counts), kept in it between
//! processes so that the next one to open the data dir need not work them out again.
//!
//! Contract: a kept value is stamped with the store's change counter (`records.seq`, which
//! every write transaction of every build since schema 2 bumps, and which a repair moves past
//! the old one) and is only given back while the counter is still that one. Any write made
//! since, by any process, any build, or half way before a kill, hides it. Keeping a value is
//! not a change: it does not bump the counter, so it does not hide itself.

use super::codec::read_u64;
use super::{Store, StoreError};

/// `meta` keys of kept values: the prefix, then the value's name.
const KEPT_PREFIX: &str = "kept/";

impl Store {
    /// How many changes the store has committed: equal numbers mean the same contents.
    pub(crate) fn change_seq(&self) -> Result<u64, StoreError> {
        Ok(self.records()?.map_or(0, |r| r.seq))
    }

    /// Keeps `value` as what `name` was at change `seq`. Not kept (false) if the store has
    /// changed since: the caller worked it out from an older state.
    pub(crate) fn keep(&self, name: &str, seq: u64, value: &[u8]) -> Result<bool, StoreError> {
        if self.change_seq()? != seq {
            return Ok(false);
        }
        let mut stamped = Vec::with_capacity(8 + value.len());
        stamped.extend_from_slice(&seq.to_be_bytes());
        stamped.extend_from_slice(value);
        self.meta.insert(format!("{KEPT_PREFIX}{name}"), stamped)?;
        Ok(true)
    }

    /// What `name` was kept as, if nothing has changed since.
    pub(crate) fn kept(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(stamped) = self.meta.get(format!("{KEPT_PREFIX}{name}"))? else { return Ok(None) };
        let seq = stamped.get(..8).and_then(read_u64);
        Ok((seq == Some(self.change_seq()?)).then(|| stamped[8..].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewFeed, StoreSettings};

    #[test]
    fn a_kept_value_is_hidden_by_any_later_change_even_in_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let settings = StoreSettings::default();
        let store = Store::open(dir.path(), &settings).unwrap();
        assert_eq!(store.kept("counts").unwrap(), None, "nothing kept yet");
        let seq = store.change_seq().unwrap();
        assert!(store.keep("counts", seq, b"v1").unwrap());
        assert_eq!(store.kept("counts").unwrap().as_deref(), Some(&b"v1"[..]));
        assert_eq!(store.change_seq().unwrap(), seq, "keeping is not a change");

        // A value worked out before a change is refused.
        let (feed, _) =
            store.add_feed(NewFeed { url: "https://example.org/f".into(), ..Default::default() }).unwrap();
        assert!(!store.keep("counts", seq, b"old").unwrap());
        assert_eq!(store.kept("counts").unwrap(), None, "the change hides what was kept");

        // Kept across a close, and hidden by the next process's change.
        let seq = store.change_seq().unwrap();
        assert!(store.keep("counts", seq, b"v2").unwrap());
        store.flush().unwrap();
        drop(store);
        let store = crate::store::when_released(|| Store::open(dir.path(), &settings)).unwrap();
        assert_eq!(store.kept("counts").unwrap().as_deref(), Some(&b"v2"[..]));
        store.remove_feed(feed).unwrap();
        assert_eq!(store.kept("counts").unwrap(), None);
    }
}

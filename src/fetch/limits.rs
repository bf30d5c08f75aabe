//! Concurrency limits: one global semaphore and one semaphore per host.
//!
//! The global limit is weighed: `concurrency` full fetches at once, and a revalidation (a
//! request carrying the feed's ETag or Last-Modified) counts half. What the global limit
//! protects is memory and parsing work, and a revalidation is almost always answered 304 with
//! no body at all: letting twice as many of them wait on the network at once halves a warm
//! refresh (500 feeds at 100 ms: 1.6 s at 32, under 1 s at 64) and costs nothing to hold.
//! The per-host limit, which protects the servers, counts every request the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

use super::error::{FetchError, FetchErrorKind};

/// Above this many remembered hosts, idle host semaphores are dropped on the next insert, so a
/// long-running process that has seen many hosts does not keep one semaphore per host forever.
const PRUNE_ABOVE: usize = 256;

/// Global permits a full fetch takes; a revalidation takes one.
const FULL_FETCH_PERMITS: u32 = 2;

pub(crate) struct Limits {
    /// `FULL_FETCH_PERMITS` x the configured concurrency.
    global: Semaphore,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Both permits of one fetch; dropping it lets the next fetch in.
pub(crate) struct Permits<'a> {
    // Field order is drop order: the global permit goes first so that a waiting fetch for
    // another host can start as early as possible.
    _global: SemaphorePermit<'a>,
    _host: Option<OwnedSemaphorePermit>,
}

impl Limits {
    /// `global` and `per_host` must be at least 1 (checked by `Fetcher::new`).
    pub(crate) fn new(global: usize, per_host: usize) -> Limits {
        Limits {
            global: Semaphore::new(
                global.saturating_mul(FULL_FETCH_PERMITS as usize).min(Semaphore::MAX_PERMITS),
            ),
            per_host: per_host.min(Semaphore::MAX_PERMITS),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `host` (if any), then for a global slot (half of one for a
    /// `revalidation`). The host permit comes first so that 500 feeds queued on one saturated
    /// host wait without holding global permits that feeds on other hosts could use.
    pub(crate) async fn acquire(
        &self,
        host: Option<&str>,
        revalidation: bool,
    ) -> Result<Permits<'_>, FetchError> {
        let host_permit = match host {
            Some(host) => Some(self.host_semaphore(host).acquire_owned().await.map_err(|_| closed())?),
            None => None,
        };
        let weight = if revalidation { 1 } else { FULL_FETCH_PERMITS };
        let global = self.global.acquire_many(weight).await.map_err(|_| closed())?;
        Ok(Permits { _global: global, _host: host_permit })
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        // A poisoned map is still a valid map (no invariant spans the panic), so keep using it.
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(semaphore) = hosts.get(host) {
            return Arc::clone(semaphore);
        }
        if hosts.len() >= PRUNE_ABOVE {
            // Only the map holds an idle semaphore (holders and waiters keep a clone of the
            // Arc), so dropping those loses no permit.
            hosts.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
        }
        let semaphore = Arc::new(Semaphore::new(self.per_host));
        hosts.insert(host.to_string(), Arc::clone(&semaphore));
        semaphore
    }
}

/// Our semaphores are never closed; this only exists so that the impossible case is an error
/// rather than a panic.
fn closed() -> FetchError {
    FetchError::new(FetchErrorKind::Other, "internal error: the fetch limiter was closed")
}

//! Fetching feed bytes: `Fetcher::fetch` turns a [`FeedRequest`] (an `http(s)://` URL, a
//! `file://` URL or a local path, plus stored validators) into either the body
//! ([`FetchOutcome::Fetched`]), "unchanged" ([`FetchOutcome::NotModified`]) or one
//! [`FetchError`] whose message is a single line fit for the user.
//!
//! Contract: one shared HTTP client; at most `concurrency` fetches at once (a revalidation,
//! which carries the feed's validators, counts half: see [`limits`]) and at most `per_host`
//! per host[:port]; redirects followed here (not by reqwest) up to `max_redirects`,
//! http/https only, loops detected; every fetch bounded in time (`timeout_secs` for headers and
//! body of each hop) and in memory (`max_body_mib` of decompressed body, local files too).
//! Content-Encoding (every gzip member, zlib or raw deflate, brotli) is undone here as the
//! body streams in ([`decode`]), not by reqwest. The body is returned as raw bytes: decoding
//! the charset is the parser's job.

mod decode;
mod error;
mod limits;
mod local;
mod retry_after;
mod web;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

pub(crate) use error::root_cause;
pub(crate) use error::FetchError;
pub use error::FetchErrorKind;

use limits::Limits;
use local::Target;

/// The `[fetch]` table of config.toml. Every field has a default, so an empty table (or none)
/// is valid; unknown keys are an error so that a typo does not silently do nothing.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FetchSettings {
    /// Seconds one request (connect, headers and the whole body) may take. Default 30.
    pub timeout_secs: u64,
    /// Seconds to establish the connection (DNS, TCP, TLS). Default 10.
    pub connect_timeout_secs: u64,
    /// Largest body accepted, in MiB, measured after decompression. Default 16.
    pub max_body_mib: u64,
    /// Fetches running at once over all hosts. Default 32. A revalidation (a request with the
    /// feed's ETag or Last-Modified, nearly always answered 304 without a body) counts half.
    pub concurrency: usize,
    /// Fetches running at once against one host[:port]. Default 4.
    pub per_host: usize,
    /// The User-Agent header. Default `tidings/<version>`.
    pub user_agent: String,
    /// Proxy for every fetch: `http://`, `https://`, `socks5://` or `socks5h://` (`socks4://`
    /// works too); `user:pass@` in it is used for the proxy. The word `none` turns proxies off
    /// entirely. Unset: the HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY variables apply.
    pub proxy: Option<String>,
    /// Redirects followed before giving up. Default 5.
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_body_mib: 16,
            concurrency: 32,
            per_host: 4,
            user_agent: concat!("tidings/", env!("CARGO_PKG_VERSION")).to_string(),
            proxy: None,
            max_redirects: 5,
        }
    }
}

/// Checks a proxy as the fetcher will take it (`none`, or an http, https or socks URL with a
/// host), with the fetcher's own parser and without building a client: cheap, no network.
/// `what` names where it was written (`--proxy`), for the error.
pub(crate) fn check_proxy(proxy: &str, what: &str) -> Result<(), FetchError> {
    let proxy = proxy.trim();
    if proxy.eq_ignore_ascii_case("none") {
        return Ok(());
    }
    web::parse_proxy(proxy, what).map(|_| ())
}

/// One feed to fetch, with what the store remembers about it.
#[derive(Debug, Clone, Default)]
pub struct FeedRequest {
    /// `http(s)://` URL, `file://` URL, or a local path (absolute, relative, or `~/...`).
    pub url: String,
    /// ETag from the last successful fetch; sent as If-None-Match.
    pub etag: Option<String>,
    /// Last-Modified from the last successful fetch; sent as If-Modified-Since.
    pub last_modified: Option<String>,
    /// Overrides `FetchSettings::user_agent` for this feed.
    pub user_agent: Option<String>,
    /// Referer header for this feed (some hosts insist on one).
    pub referer: Option<String>,
    /// Extra headers for this feed; they replace the defaults of the same name (e.g. Accept).
    /// An invalid name or value fails the fetch with `InvalidUrl` (the feed's configuration
    /// is wrong, so the user should hear about it rather than get a silently different
    /// request). Authorization and Cookie are dropped when a redirect leaves the origin.
    pub headers: Vec<(String, String)>,
    /// Proxy for this feed only (same forms as `FetchSettings::proxy`, `none` included).
    pub proxy: Option<String>,
}

/// A successful fetch.
#[derive(Debug)]
pub enum FetchOutcome {
    /// A 2xx response (or a local file, reported as 200) with its body.
    Fetched {
        /// The HTTP status (2xx), 200 for local files.
        status: u16,
        /// The body, decompressed, at most `max_body_mib` MiB; raw bytes in the feed's charset.
        body: Vec<u8>,
        /// Content-Type as sent (the charset parameter may matter to the parser).
        content_type: Option<String>,
        /// ETag to store and send next time.
        etag: Option<String>,
        /// Last-Modified to store and send next time.
        last_modified: Option<String>,
        /// The URL the body came from, after redirects; `file://` URL for local files.
        final_url: String,
        /// Set when the fetch was redirected and every hop was 301 or 308: the feed has moved
        /// for good and the caller should store this URL instead.
        permanent_redirect: Option<String>,
    },
    /// 304: the feed has not changed since the validators were stored.
    NotModified {
        /// The 304's ETag, or the one sent when the 304 had none.
        etag: Option<String>,
        /// The 304's Last-Modified, or the one sent when the 304 had none.
        last_modified: Option<String>,
        /// As in `Fetched`.
        permanent_redirect: Option<String>,
    },
}

/// Fetches feeds. Cheap to clone (all clones share one client and one set of limits) and
/// safe to use from many tasks at once.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    settings: FetchSettings,
    /// `max_body_mib` in bytes.
    cap: u64,
    /// The client for `settings.proxy` (or the environment's proxies).
    client: reqwest::Client,
    /// Clients for per-feed proxies, by proxy string: a reqwest client's proxy is fixed when
    /// it is built, and building one per fetch would throw away connection reuse.
    proxy_clients: Mutex<HashMap<String, reqwest::Client>>,
    limits: Limits,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher").field("settings", &self.inner.settings).finish_non_exhaustive()
    }
}

/// Longest timeout we pass on: larger values would only risk overflowing deadline arithmetic,
/// and a day is "forever" for a feed.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

impl Fetcher {
    /// Checks the settings and builds the shared client. Fails (kind `Other`, or `InvalidUrl`
    /// for a bad proxy or user agent) with a message naming the config key to fix.
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        for (key, value) in [
            ("timeout_secs", settings.timeout_secs),
            ("connect_timeout_secs", settings.connect_timeout_secs),
            ("max_body_mib", settings.max_body_mib),
            ("concurrency", settings.concurrency as u64),
            ("per_host", settings.per_host as u64),
        ] {
            if value == 0 {
                return Err(FetchError::new(
                    FetchErrorKind::Other,
                    format!("{key} in config.toml must be at least 1"),
                ));
            }
        }
        let mut settings = settings.clone();
        settings.timeout_secs = settings.timeout_secs.min(MAX_TIMEOUT_SECS);
        settings.connect_timeout_secs = settings.connect_timeout_secs.min(MAX_TIMEOUT_SECS);
        web::check_header_value(&settings.user_agent).map_err(|why| {
            FetchError::new(
                FetchErrorKind::InvalidUrl,
                format!("user_agent in config.toml is not a valid header value: {why}"),
            )
        })?;
        let client = web::build_client(&settings, settings.proxy.as_deref(), "proxy in config.toml")?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                cap: settings.max_body_mib.saturating_mul(1024 * 1024),
                limits: Limits::new(settings.concurrency, settings.per_host),
                client,
                proxy_clients: Mutex::new(HashMap::new()),
                settings,
            }),
        })
    }

    /// The client every fetch uses (same timeouts, proxy and no automatic redirects), for
    /// other HTTP work such as a sync server's API.
    pub(crate) fn client(&self) -> reqwest::Client {
        self.inner.client.clone()
    }

    /// The largest body accepted, in bytes (`max_body_mib`).
    pub(crate) fn body_cap(&self) -> u64 {
        self.inner.cap
    }

    /// The settings in force (timeouts capped at one day).
    pub(crate) fn settings(&self) -> &FetchSettings {
        &self.inner.settings
    }

    /// Fetches one feed. Waits for a per-host slot, then a global one, and holds both until
    /// the last redirect hop's body is read.
    pub async fn fetch(&self, req: &FeedRequest) -> Result<FetchOutcome, FetchError> {
        let inner = &*self.inner;
        match local::classify(&req.url)? {
            Target::Local { path, url, maybe_web } => {
                let _permits = inner.limits.acquire(None, false).await?;
                local::read(path, url, maybe_web, inner.cap, inner.settings.max_body_mib).await
            }
            Target::Web(url) => {
                let client = self.client_for(req.proxy.as_deref())?;
                let host = host_key(&url);
                let revalidation = req.etag.is_some() || req.last_modified.is_some();
                let _permits = inner.limits.acquire(Some(&host), revalidation).await?;
                web::fetch(&client, &inner.settings, inner.cap, url, req).await
            }
        }
    }

    /// The shared client, or the cached one for a per-feed proxy.
    fn client_for(&self, proxy: Option<&str>) -> Result<reqwest::Client, FetchError> {
        let inner = &*self.inner;
        let Some(proxy) = proxy else {
            return Ok(inner.client.clone());
        };
        if inner.settings.proxy.as_deref() == Some(proxy) {
            return Ok(inner.client.clone());
        }
        let mut clients = inner.proxy_clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(proxy) {
            return Ok(client.clone());
        }
        let client = web::build_client(&inner.settings, Some(proxy), "the feed's proxy")?;
        clients.insert(proxy.to_string(), client.clone());
        Ok(client)
    }
}

/// host[:port] of a URL, the unit of the per-host limit. The port is included because two
/// servers on one name but different ports are usually different services.
fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

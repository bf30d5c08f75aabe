//! The one error type of the fetcher, and the helpers that keep its messages safe to show.

use std::time::Duration;

/// Why a fetch failed, coarse enough for a caller to decide what to do next (retry later, tell
/// the user to fix the URL, back off because the server asked to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// The feed's address (or something else about the request: a header, a proxy) is unusable
    /// as given; retrying will not help until the user fixes it. Also used for a redirect to a
    /// scheme that is not followed (`file:`, `ftp:`...) or to an unparsable `Location`.
    InvalidUrl,
    /// DNS lookup, TCP connect, TLS handshake or sending the request failed.
    Connect,
    /// The connect timeout or the whole-request timeout ran out.
    Timeout,
    /// The server answered with a 4xx or 5xx status (other than 429 and 503), or with a 3xx
    /// that cannot be followed (no `Location`, or 300/305).
    Http,
    /// 429 Too Many Requests or 503 Service Unavailable: back off, see `retry_after`.
    RateLimited,
    /// The body (after decompression) or the local file is larger than `max_body_mib`.
    TooLarge,
    /// More redirects than `max_redirects`.
    TooManyRedirects,
    /// A redirect led back to an address already visited in this fetch.
    RedirectLoop,
    /// Reading a local file failed, or the connection broke while the body was being read.
    Io,
    /// Anything else: a body that fails to decompress or uses a Content-Encoding tidings cannot
    /// decode, bad settings, an internal failure.
    Other,
}

/// A failed fetch. `message` is a single line that names the URL (with any `user:pass@`
/// removed) and says what went wrong; it is already cleaned of control characters and can be
/// shown to the user as is.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// What kind of failure this is.
    pub kind: FetchErrorKind,
    /// The HTTP status, when the failure came from a response.
    pub status: Option<u16>,
    /// For `RateLimited`: how long the server asked us to wait (from `Retry-After`, capped at
    /// seven days), when it said.
    pub retry_after: Option<Duration>,
    /// One line for the user.
    pub message: String,
}

impl FetchError {
    /// An error with only a kind and a message. The message is forced onto one clean line
    /// because parts of it (a `Location` header, an OS error) come from outside.
    pub(crate) fn new(kind: FetchErrorKind, message: impl AsRef<str>) -> FetchError {
        FetchError { kind, status: None, retry_after: None, message: crate::sanitize::line(message.as_ref()) }
    }

    pub(crate) fn with_status(mut self, status: u16) -> FetchError {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> FetchError {
        self.retry_after = retry_after;
        self
    }
}

/// `url` as text without its `user:password@` part, for messages. Query strings are kept:
/// they are usually what tells two feeds on one host apart.
pub(crate) fn redact(url: &url::Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut clean = url.clone();
    // Both setters only fail for URLs that cannot have credentials at all (no host), and such
    // a URL has none to remove, so ignoring the result is correct.
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.to_string()
}

/// Like [`redact`] for text that may not parse as a URL: drops everything between `://` and
/// the last `@` of the authority.
pub(crate) fn redact_str(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &raw[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}{}", &raw[..authority_start], &rest[at + 1..]),
        None => raw.to_string(),
    }
}

/// The innermost cause of an error: for a reqwest error that is the OS or TLS error ("Connection
/// refused (os error 111)"), which is what the user needs; the outer layers only repeat the URL
/// (with credentials) and say "error sending request".
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

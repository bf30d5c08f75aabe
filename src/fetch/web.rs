//! The HTTP side: building clients, one fetch with our own redirect handling, the bounded
//! body read, and turning reqwest errors and statuses into [`FetchError`]s.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use url::Url;

use super::decode::{self, BodyDecoder, DecodeError};
use super::error::{redact, redact_str, root_cause, FetchError, FetchErrorKind};
use super::{retry_after, FeedRequest, FetchOutcome, FetchSettings};

/// Feed types first, generic XML/JSON next, anything last: some servers pick a representation
/// from Accept, and a few refuse requests without one.
pub(crate) const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5";

/// Headers that carry credentials for the origin they were configured for; they must not be
/// handed to another origin a redirect points at (the same rule browsers and reqwest follow).
const ORIGIN_BOUND: [HeaderName; 3] = [header::AUTHORIZATION, header::COOKIE, header::PROXY_AUTHORIZATION];

/// Builds a client. `proxy`: `None` keeps reqwest's environment handling; `"none"` disables
/// proxies; anything else must be an http/https/socks URL. `what` names the setting in errors.
pub(crate) fn build_client(
    settings: &FetchSettings,
    proxy: Option<&str>,
    what: &str,
) -> Result<Client, FetchError> {
    let mut builder = Client::builder()
        // Redirects are followed in `fetch` so that we can count hops, detect loops, refuse
        // non-http targets and tell whether every hop was permanent.
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        // Content-Encoding is undone in `read_body` (see decode.rs), not by reqwest: its
        // gzip decoder stops after the first member of a multi-member body.
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        // No host ever has more requests in flight than `per_host`, so more idle connections
        // than that would only hold buffers.
        .pool_max_idle_per_host(settings.per_host)
        // Covers connect, headers and the whole body of one request, so a server trickling a
        // byte a second still ends at this deadline.
        .timeout(Duration::from_secs(settings.timeout_secs));
    match proxy.map(str::trim) {
        None => {}
        Some(p) if p.eq_ignore_ascii_case("none") => builder = builder.no_proxy(),
        Some(p) => builder = builder.proxy(parse_proxy(p, what)?),
    }
    builder.build().map_err(|e| {
        FetchError::new(
            FetchErrorKind::Other,
            format!("could not set up the HTTP client: {}", root_cause(&e)),
        )
    })
}

/// A proxy URL (not `none`) as the client takes it; `what` names where it was written, for the
/// error. Parsing only: nothing is built and nothing is connected to, so it is cheap enough
/// to check a proxy as the user types it.
pub(crate) fn parse_proxy(p: &str, what: &str) -> Result<reqwest::Proxy, FetchError> {
    let bad = |why: &str| {
        FetchError::new(
            FetchErrorKind::InvalidUrl,
            format!("{what} `{}` is not usable: {why}", redact_str(p)),
        )
    };
    let parsed = Url::parse(p)
        .map_err(|e| bad(&format!("{e} (write it like http://host:port or socks5h://host:port)")))?;
    if !matches!(parsed.scheme(), "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h")
        || parsed.host_str().is_none_or(str::is_empty)
    {
        return Err(bad("write it like http://host:port, https://host:port or socks5h://host:port"));
    }
    reqwest::Proxy::all(p).map_err(|e| bad(&root_cause(&e)))
}

/// `Ok` when `value` can be sent as a header value; the error says why not.
pub(crate) fn check_header_value(value: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(value.trim())
        .map_err(|_| "it contains a line break, a control character or non-ASCII text".to_string())
}

/// The headers of every hop of one fetch.
fn request_headers(settings: &FetchSettings, req: &FeedRequest, url: &Url) -> Result<HeaderMap, FetchError> {
    let shown = redact(url);
    let invalid = |what: &str, why: String| {
        FetchError::new(
            FetchErrorKind::InvalidUrl,
            format!("cannot fetch {shown}: the {what} is invalid: {why}"),
        )
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
    headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(decode::ACCEPT_ENCODING));
    let agent = req.user_agent.as_deref().unwrap_or(&settings.user_agent);
    headers.insert(header::USER_AGENT, check_header_value(agent).map_err(|why| invalid("user agent", why))?);
    if let Some(referer) = &req.referer {
        headers.insert(header::REFERER, check_header_value(referer).map_err(|why| invalid("referer", why))?);
    }
    // Stored validators are an optimisation: one that cannot be sent (it came from a server
    // that put odd bytes in it) only costs a full download, so it is skipped, not an error.
    if let Some(value) = req.etag.as_deref().and_then(|v| check_header_value(v).ok()) {
        headers.insert(header::IF_NONE_MATCH, value);
    }
    if let Some(value) = req.last_modified.as_deref().and_then(|v| check_header_value(v).ok()) {
        headers.insert(header::IF_MODIFIED_SINCE, value);
    }
    for (name, value) in &req.headers {
        let name = name.trim();
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            invalid(&format!("header name `{name}`"), "only letters, digits and -_. are allowed".to_string())
        })?;
        // The value is not echoed: it may be a token.
        let header_value =
            check_header_value(value).map_err(|why| invalid(&format!("value of header {name}"), why))?;
        headers.insert(header_name, header_value);
    }
    Ok(headers)
}

/// Fetches `start`, following redirects. The caller holds the concurrency permits.
pub(crate) async fn fetch(
    client: &Client,
    settings: &FetchSettings,
    cap: u64,
    start: Url,
    req: &FeedRequest,
) -> Result<FetchOutcome, FetchError> {
    let mut headers = request_headers(settings, req, &start)?;
    let proxy = ProxyInUse::of(settings, req);
    let mut url = start.clone();
    let mut seen = HashSet::from([without_fragment(&url)]);
    let mut hops = 0usize;
    let mut all_permanent = true;
    // `timeout_secs` bounds the whole fetch, redirects included: each hop gets what is left.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(settings.timeout_secs);

    let response = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(FetchError::new(
                FetchErrorKind::Timeout,
                format!(
                    "timed out after {} s following the redirects of {}; the server is too slow (timeout_secs in config.toml)",
                    settings.timeout_secs,
                    redact(&start)
                ),
            ));
        }
        let response = match client.get(url.clone()).headers(headers.clone()).timeout(left).send().await {
            Ok(response) => response,
            Err(e) => return Err(request_error(&e, &url, settings, proxy.as_ref()).await),
        };
        let status = response.status();
        if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            break response;
        }
        let next = redirect_target(&response, &url)?;
        if !seen.insert(without_fragment(&next)) {
            return Err(FetchError::new(
                FetchErrorKind::RedirectLoop,
                format!(
                    "{} redirects in a loop (back to {}); the site is misconfigured",
                    redact(&start),
                    redact(&next)
                ),
            ));
        }
        if hops >= settings.max_redirects {
            return Err(FetchError::new(
                FetchErrorKind::TooManyRedirects,
                format!(
                    "{} redirected more than {} times, last to {} (max_redirects in config.toml)",
                    redact(&start),
                    settings.max_redirects,
                    redact(&next)
                ),
            ));
        }
        hops += 1;
        all_permanent &= matches!(status.as_u16(), 301 | 308);
        if next.origin() != url.origin() {
            for name in &ORIGIN_BOUND {
                headers.remove(name);
            }
        }
        url = next;
    };

    let permanent_redirect = (hops > 0 && all_permanent).then(|| url.to_string());
    let status = response.status();
    match status.as_u16() {
        304 => Ok(FetchOutcome::NotModified {
            etag: header_text(&response, header::ETAG).or_else(|| req.etag.clone()),
            last_modified: header_text(&response, header::LAST_MODIFIED)
                .or_else(|| req.last_modified.clone()),
            permanent_redirect,
        }),
        200..=299 => {
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let etag = header_text(&response, header::ETAG);
            let last_modified = header_text(&response, header::LAST_MODIFIED);
            let body = read_body(response, &url, settings, cap).await?;
            Ok(FetchOutcome::Fetched {
                status: status.as_u16(),
                body,
                content_type,
                etag,
                last_modified,
                final_url: url.to_string(),
                permanent_redirect,
            })
        }
        429 | 503 => Err(rate_limited(&response, &url)),
        _ => Err(status_error(status, &url)),
    }
}

/// The URL a 3xx response points to, resolved against the current URL; only http and https.
fn redirect_target(response: &Response, url: &Url) -> Result<Url, FetchError> {
    let status = response.status();
    let Some(location) = response.headers().get(header::LOCATION) else {
        return Err(FetchError::new(
            FetchErrorKind::Http,
            format!("HTTP {} from {} without a Location header to follow", status_text(status), redact(url)),
        )
        .with_status(status.as_u16()));
    };
    // Location should be ASCII, but servers send raw UTF-8 paths; the URL parser
    // percent-encodes those, so a lossy decode is the friendliest reading.
    let location = String::from_utf8_lossy(location.as_bytes());
    let next = url.join(location.trim()).map_err(|e| {
        FetchError::new(
            FetchErrorKind::InvalidUrl,
            format!("{} redirected to an invalid address `{}`: {e}", redact(url), redact_str(&location)),
        )
        .with_status(status.as_u16())
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(FetchError::new(
            FetchErrorKind::InvalidUrl,
            format!(
                "refused to follow the redirect from {} to {}: only http and https redirects are followed",
                redact(url),
                redact(&next)
            ),
        )
        .with_status(status.as_u16()));
    }
    Ok(next)
}

/// Reads the body chunk by chunk and undoes its Content-Encoding as it arrives, failing as
/// soon as the decoded bytes pass `cap`, so a huge body or a compression bomb costs at most
/// `cap` plus one decoding step of memory. The compressed body is never held whole.
async fn read_body(
    response: Response,
    url: &Url,
    settings: &FetchSettings,
    cap: u64,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || {
        FetchError::new(
            FetchErrorKind::TooLarge,
            format!(
                "the feed at {} is larger than {} MiB (max_body_mib in config.toml)",
                redact(url),
                settings.max_body_mib
            ),
        )
    };
    let codings = decode::codings(
        response.headers().get_all(header::CONTENT_ENCODING).iter().map(HeaderValue::as_bytes),
    )
    .map_err(|unsupported| {
        FetchError::new(
            FetchErrorKind::Other,
            format!("the server at {} sent {}", redact(url), unsupported.0),
        )
    })?;
    // Content-Length counts the bytes on the wire: for a plain body that is the decoded size,
    // known before reading anything; a compressed body is checked as it inflates.
    let declared = response.content_length().filter(|_| codings.is_empty());
    if declared.is_some_and(|len| len > cap) {
        return Err(too_large());
    }
    // Pre-size a plain body from the declared length, already known to be within the cap.
    let expected = usize::try_from(declared.unwrap_or(0)).unwrap_or(0);
    let mut decoder = BodyDecoder::new(&codings, cap, expected);
    let decode_failed = |err: DecodeError| match err {
        DecodeError::TooLarge => too_large(),
        DecodeError::Corrupt { coding, detail } => FetchError::new(
            FetchErrorKind::Other,
            format!(
                "the feed from {} could not be decompressed: the server labelled it {coding}, but {detail}",
                redact(url)
            ),
        ),
    };
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| body_error(&e, url, settings))?;
        decoder.push(&chunk).map_err(decode_failed)?;
    }
    decoder.finish().map_err(decode_failed)
}

fn rate_limited(response: &Response, url: &Url) -> FetchError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after::parse(v, chrono::Utc::now()));
    let advice = match retry_after {
        Some(wait) => format!("the server asks to wait {}", human_duration(wait)),
        None => "try again later".to_string(),
    };
    FetchError::new(
        FetchErrorKind::RateLimited,
        format!("HTTP {} from {}; {advice}", status_text(status), redact(url)),
    )
    .with_status(status.as_u16())
    .with_retry_after(retry_after)
}

fn status_error(status: StatusCode, url: &Url) -> FetchError {
    let hint = match status.as_u16() {
        300 | 305 | 306 => " (a redirect of this kind is not followed)",
        401 | 403 => " (the feed needs credentials or refuses this client)",
        404 => " (check the address; the feed may have moved)",
        410 => " (the feed is gone for good; consider removing it)",
        _ => "",
    };
    FetchError::new(FetchErrorKind::Http, format!("HTTP {} from {}{hint}", status_text(status), redact(url)))
        .with_status(status.as_u16())
}

/// "404 Not Found", or just "599" for codes without a standard reason.
fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// "45 s", "2 min", "3 h 5 min": Retry-After values are shown to the user.
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 120 {
        format!("{secs} s")
    } else if secs < 2 * 3600 {
        format!("{} min", secs.div_ceil(60))
    } else {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// A header as text, when it is valid visible ASCII. Validators are echoed back byte for
/// byte later, so a lossy conversion would be worse than none.
fn header_text(response: &Response, name: HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn without_fragment(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.to_string()
}

/// The proxy a fetch goes through when the user named one (in config.toml or for the feed),
/// so that a proxy that is down is blamed instead of the feed.
struct ProxyInUse {
    /// The proxy URL without its `user:password@`.
    shown: String,
    /// Where the user set it, worded as what to check.
    setting: &'static str,
    /// Host and port to probe when an error does not say why the connection failed.
    address: Option<(String, u16)>,
}

impl ProxyInUse {
    /// `None` when no proxy was named (the environment's may still apply: reqwest decides
    /// that per URL, out of sight) or when it is `none`.
    fn of(settings: &FetchSettings, req: &FeedRequest) -> Option<ProxyInUse> {
        let (raw, setting) = match req.proxy.as_deref() {
            Some(p) => (p, "the feed's proxy (tidings set FEED --proxy URL, or --no-proxy)"),
            None => (settings.proxy.as_deref()?, "proxy under [fetch] in config.toml"),
        };
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("none") {
            return None;
        }
        let address = Url::parse(raw).ok().and_then(|u| {
            let host = match u.host()? {
                url::Host::Domain(d) => d.to_owned(),
                url::Host::Ipv4(a) => a.to_string(),
                url::Host::Ipv6(a) => a.to_string(),
            };
            // reqwest's defaults: the scheme's port for http(s), 1080 for SOCKS.
            Some((host, u.port_or_known_default().unwrap_or(1080)))
        });
        Some(ProxyInUse { shown: redact_str(raw), setting, address })
    }

    /// Why a fresh TCP connection to the proxy fails, or `None` when it opens (the proxy is
    /// up, so the failure lies beyond it). Bounded by `connect_timeout_secs`; only run after a
    /// failed fetch.
    async fn probe(&self, settings: &FetchSettings) -> Option<String> {
        let (host, port) = self.address.as_ref()?;
        let limit = Duration::from_secs(settings.connect_timeout_secs);
        match tokio::time::timeout(limit, tokio::net::TcpStream::connect((host.as_str(), *port))).await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(connect_failure(&e).map_or_else(|| e.to_string(), str::to_owned)),
            Err(_) => Some(format!("no answer within {} s", settings.connect_timeout_secs)),
        }
    }
}

/// A failure to open a TCP connection, in a few plain words.
fn connect_failure(io: &std::io::Error) -> Option<&'static str> {
    use std::io::ErrorKind;
    Some(match io.kind() {
        ErrorKind::ConnectionRefused => "connection refused",
        ErrorKind::ConnectionReset => "the connection was reset",
        ErrorKind::ConnectionAborted => "the connection was aborted",
        ErrorKind::HostUnreachable => "host unreachable",
        ErrorKind::NetworkUnreachable => "network unreachable",
        ErrorKind::AddrNotAvailable => "address not available",
        ErrorKind::TimedOut => "timed out",
        _ => return None,
    })
}

/// Why the connection could not be opened, when an OS error in `err`'s chain says so.
fn unreachable_reason(err: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return connect_failure(io);
        }
        current = e.source();
    }
    None
}

/// Errors before the response headers arrived.
///
/// Through a proxy, our side only ever opens a connection to the proxy: the proxy connects to
/// the feed's server and reports a failure in its own protocol. So an OS-level connect
/// failure means the proxy cannot be reached. reqwest's SOCKS errors drop the OS error and
/// a failed DNS lookup of the proxy's name has no kind, so when the chain does not say, one
/// TCP connection to the proxy tells.
async fn request_error(
    err: &reqwest::Error,
    url: &Url,
    settings: &FetchSettings,
    proxy: Option<&ProxyInUse>,
) -> FetchError {
    let shown = redact(url);
    if err.is_timeout() {
        return timeout_error(err, url, settings, proxy);
    }
    if err.is_connect() {
        let Some(p) = proxy else {
            return FetchError::new(
                FetchErrorKind::Connect,
                format!(
                    "could not connect to {shown}: {} (check the address and the network)",
                    root_cause(err)
                ),
            );
        };
        let reason = match unreachable_reason(err) {
            Some(reason) => Some(reason.to_owned()),
            None => p.probe(settings).await,
        };
        let message = match reason {
            Some(reason) => format!(
                "cannot reach the proxy {}: {reason}, so {shown} was not fetched; check {} and that \
                 the proxy is running",
                p.shown, p.setting
            ),
            None => format!(
                "could not connect to {shown} through the proxy {}: {} (check the address, the \
                 network and {})",
                p.shown,
                root_cause(err),
                p.setting
            ),
        };
        return FetchError::new(FetchErrorKind::Connect, message);
    }
    FetchError::new(FetchErrorKind::Connect, format!("request to {shown} failed: {}", root_cause(err)))
}

/// Errors while reading the body. Decoding is ours (decode.rs), so whatever reqwest reports
/// here is the connection.
fn body_error(err: &reqwest::Error, url: &Url, settings: &FetchSettings) -> FetchError {
    if err.is_timeout() {
        return timeout_error(err, url, settings, None);
    }
    FetchError::new(
        FetchErrorKind::Io,
        format!("the connection broke while reading the feed from {}: {}", redact(url), root_cause(err)),
    )
}

fn timeout_error(
    err: &reqwest::Error,
    url: &Url,
    settings: &FetchSettings,
    proxy: Option<&ProxyInUse>,
) -> FetchError {
    let shown = redact(url);
    let message = if err.is_connect() {
        match proxy {
            None => format!(
                "timed out after {} s connecting to {shown} (connect_timeout_secs in config.toml)",
                settings.connect_timeout_secs
            ),
            Some(p) => format!(
                "timed out after {} s connecting to {shown} through the proxy {}; check {} and \
                 that the proxy is running (connect_timeout_secs in config.toml)",
                settings.connect_timeout_secs, p.shown, p.setting
            ),
        }
    } else {
        format!(
            "timed out after {} s fetching {shown}; the server is too slow (timeout_secs in config.toml)",
            settings.timeout_secs
        )
    };
    FetchError::new(FetchErrorKind::Timeout, message)
}

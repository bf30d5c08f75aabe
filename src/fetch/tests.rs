//! Fetcher tests against the shared test server (tests/common/server.rs), 127.0.0.1 only.

#[allow(dead_code, reason = "the shared test server has helpers only the integration tests use")]
#[path = "../../tests/common/server.rs"]
mod server;

use std::time::Duration;

use server::{Response, TestServer};

use super::local::{classify, Target};
use super::*;

/// Short timeouts, and proxies off so that a developer's HTTP_PROXY cannot reroute 127.0.0.1.
fn settings() -> FetchSettings {
    FetchSettings {
        timeout_secs: 2,
        connect_timeout_secs: 2,
        proxy: Some("none".to_string()),
        ..FetchSettings::default()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(&settings()).unwrap()
}

fn req(url: impl Into<String>) -> FeedRequest {
    FeedRequest { url: url.into(), ..FeedRequest::default() }
}

async fn fetched(f: &Fetcher, r: &FeedRequest) -> (Vec<u8>, String, Option<String>) {
    match f.fetch(r).await {
        Ok(FetchOutcome::Fetched { body, final_url, permanent_redirect, .. }) => {
            (body, final_url, permanent_redirect)
        }
        other => panic!("expected Fetched, got {other:?}"),
    }
}

async fn error(f: &Fetcher, url: &str) -> FetchError {
    match f.fetch(&req(url)).await {
        Err(err) => err,
        Ok(outcome) => panic!("expected an error for {url}, got {outcome:?}"),
    }
}

const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

#[tokio::test]
async fn fetch_then_conditional_get_gives_not_modified_and_sends_headers() {
    let server = TestServer::start();
    server.route(
        "/feed.xml",
        Response::ok("<rss/>")
            .content_type("application/rss+xml; charset=utf-8")
            .etag("\"v1\"")
            .last_modified(LAST_MODIFIED),
    );
    let f = fetcher();

    match f.fetch(&req(server.url("/feed.xml"))).await.unwrap() {
        FetchOutcome::Fetched {
            status,
            body,
            content_type,
            etag,
            last_modified,
            final_url,
            permanent_redirect,
        } => {
            assert_eq!(status, 200);
            assert_eq!(body, b"<rss/>");
            assert_eq!(content_type.as_deref(), Some("application/rss+xml; charset=utf-8"));
            assert_eq!(etag.as_deref(), Some("\"v1\""));
            assert_eq!(last_modified.as_deref(), Some(LAST_MODIFIED));
            assert_eq!(final_url, server.url("/feed.xml"));
            assert_eq!(permanent_redirect, None);
        }
        other => panic!("{other:?}"),
    }
    let first = server.last_request("/feed.xml").unwrap();
    assert_eq!(first.header("user-agent"), Some(concat!("tidings/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(first.header("accept"), Some(web::ACCEPT));
    assert_eq!(first.header("accept-encoding"), Some(decode::ACCEPT_ENCODING));
    assert_eq!(first.header("if-none-match"), None);
    assert_eq!(first.header("referer"), None);

    let conditional = FeedRequest {
        url: server.url("/feed.xml"),
        etag: Some("\"v1\"".to_string()),
        last_modified: Some(LAST_MODIFIED.to_string()),
        user_agent: Some("custom-agent/2".to_string()),
        referer: Some("https://example.org/blog".to_string()),
        headers: vec![("X-Token".to_string(), "abc".to_string())],
        proxy: None,
    };
    match f.fetch(&conditional).await.unwrap() {
        FetchOutcome::NotModified { etag, last_modified, permanent_redirect } => {
            assert_eq!(etag.as_deref(), Some("\"v1\""));
            assert_eq!(last_modified.as_deref(), Some(LAST_MODIFIED));
            assert_eq!(permanent_redirect, None);
        }
        other => panic!("{other:?}"),
    }
    let second = server.last_request("/feed.xml").unwrap();
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(second.header("if-modified-since"), Some(LAST_MODIFIED));
    assert_eq!(second.header("user-agent"), Some("custom-agent/2"));
    assert_eq!(second.header("referer"), Some("https://example.org/blog"));
    assert_eq!(second.header("x-token"), Some("abc"));
    assert_eq!(server.hits("/feed.xml"), 2);
}

#[tokio::test]
async fn changed_feed_is_fetched_again_with_new_validators() {
    let server = TestServer::start();
    server.route("/f", Response::ok("one").etag("\"1\""));
    let f = fetcher();
    let mut r = req(server.url("/f"));
    r.etag = Some("\"1\"".to_string());
    assert!(matches!(f.fetch(&r).await.unwrap(), FetchOutcome::NotModified { .. }));
    server.route("/f", Response::ok("two").etag("\"2\""));
    match f.fetch(&r).await.unwrap() {
        FetchOutcome::Fetched { body, etag, .. } => {
            assert_eq!(body, b"two");
            assert_eq!(etag.as_deref(), Some("\"2\""));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn not_modified_without_validators_echoes_the_stored_ones() {
    let server = TestServer::start();
    server.route("/304", Response::status(304));
    server.route("/dated", Response::ok("x").last_modified(LAST_MODIFIED));
    let f = fetcher();
    let mut r = req(server.url("/304"));
    r.etag = Some("\"old\"".to_string());
    r.last_modified = Some("Mon, 01 Jan 2001 00:00:00 GMT".to_string());
    match f.fetch(&r).await.unwrap() {
        FetchOutcome::NotModified { etag, last_modified, .. } => {
            assert_eq!(etag, r.etag);
            assert_eq!(last_modified, r.last_modified);
        }
        other => panic!("{other:?}"),
    }
    // Only Last-Modified stored: If-Modified-Since alone gets the 304.
    let mut r = req(server.url("/dated"));
    r.last_modified = Some(LAST_MODIFIED.to_string());
    assert!(matches!(f.fetch(&r).await.unwrap(), FetchOutcome::NotModified { .. }));
}

#[tokio::test]
async fn permanent_redirect_chain_is_reported() {
    let server = TestServer::start();
    server.route("/old", Response::redirect(301, &server.url("/older")));
    server.route("/older", Response::redirect(308, "/feed.xml"));
    server.route("/feed.xml", Response::ok("body"));
    let (body, final_url, permanent) = fetched(&fetcher(), &req(server.url("/old"))).await;
    assert_eq!(body, b"body");
    assert_eq!(final_url, server.url("/feed.xml"));
    assert_eq!(permanent, Some(server.url("/feed.xml")));
}

#[tokio::test]
async fn temporary_hop_means_no_permanent_redirect() {
    let server = TestServer::start();
    server.route("/t", Response::redirect(302, "/p"));
    server.route("/p", Response::redirect(301, "/feed.xml"));
    server.route("/feed.xml", Response::ok("body"));
    let (_, final_url, permanent) = fetched(&fetcher(), &req(server.url("/t"))).await;
    assert_eq!(final_url, server.url("/feed.xml"));
    assert_eq!(permanent, None);
}

#[tokio::test]
async fn relative_locations_resolve_against_the_current_url() {
    let server = TestServer::start();
    server.route("/a/b/start", Response::redirect(307, "next?x=1"));
    server.route("/a/b/next", Response::redirect(303, "../up"));
    server.route(
        "/a/up",
        Response::redirect(301, "//{host}/abs".replace("{host}", &server.addr.to_string()).as_str()),
    );
    server.route("/abs", Response::ok("done"));
    let (body, final_url, _) = fetched(&fetcher(), &req(server.url("/a/b/start"))).await;
    assert_eq!(body, b"done");
    assert_eq!(final_url, server.url("/abs"));
    assert_eq!(server.hits("/a/b/next?x=1"), 1);
}

#[tokio::test]
async fn not_modified_after_a_permanent_redirect_carries_it() {
    let server = TestServer::start();
    server.route("/old", Response::redirect(301, "/new"));
    server.route("/new", Response::ok("x").etag("\"e\""));
    let mut r = req(server.url("/old"));
    r.etag = Some("\"e\"".to_string());
    match fetcher().fetch(&r).await.unwrap() {
        FetchOutcome::NotModified { permanent_redirect, .. } => {
            assert_eq!(permanent_redirect, Some(server.url("/new")));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn redirect_loop_is_detected() {
    let server = TestServer::start();
    server.route("/l1", Response::redirect(302, "/l2"));
    server.route("/l2", Response::redirect(302, "/l1"));
    let err = error(&fetcher(), &server.url("/l1")).await;
    assert_eq!(err.kind, FetchErrorKind::RedirectLoop, "{err}");
    assert!(err.message.contains("loop"), "{err}");
    assert_eq!(server.hits("/l1"), 1);
}

#[tokio::test]
async fn more_redirects_than_allowed_fail_and_the_limit_itself_is_fine() {
    let server = TestServer::start();
    for i in 1..=6 {
        server.route(&format!("/h{i}"), Response::redirect(302, &format!("/h{}", i + 1)));
    }
    server.route("/h7", Response::ok("end"));
    let f = fetcher();
    // /h1 needs 6 hops; the default max_redirects is 5.
    let err = error(&f, &server.url("/h1")).await;
    assert_eq!(err.kind, FetchErrorKind::TooManyRedirects, "{err}");
    assert!(err.message.contains("max_redirects"), "{err}");
    assert_eq!(server.hits("/h7"), 0);
    // /h2 needs exactly 5.
    let (body, _, _) = fetched(&f, &req(server.url("/h2"))).await;
    assert_eq!(body, b"end");
}

#[tokio::test]
async fn redirect_to_a_file_url_is_refused() {
    let server = TestServer::start();
    server.route("/evil", Response::redirect(302, "file:///etc/passwd"));
    let err = error(&fetcher(), &server.url("/evil")).await;
    assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{err}");
    assert!(err.message.contains("only http and https"), "{err}");
}

#[tokio::test]
async fn redirect_without_location_is_an_http_error() {
    let server = TestServer::start();
    server.route("/r", Response::status(302));
    let err = error(&fetcher(), &server.url("/r")).await;
    assert_eq!(err.kind, FetchErrorKind::Http, "{err}");
    assert_eq!(err.status, Some(302));
}

#[tokio::test]
async fn credentials_headers_do_not_follow_a_redirect_to_another_origin() {
    let a = TestServer::start();
    let b = TestServer::start();
    a.route("/r", Response::redirect(302, &b.url("/feed")));
    b.route("/feed", Response::ok("x"));
    let mut r = req(a.url("/r"));
    r.headers = vec![
        ("Authorization".to_string(), "Bearer secret".to_string()),
        ("X-Other".to_string(), "1".to_string()),
    ];
    fetched(&fetcher(), &r).await;
    assert_eq!(a.last_header("/r", "authorization").as_deref(), Some("Bearer secret"));
    assert_eq!(b.last_header("/feed", "authorization"), None);
    assert_eq!(b.last_header("/feed", "x-other").as_deref(), Some("1"));
}

#[tokio::test]
async fn client_and_server_errors_carry_the_status() {
    let server = TestServer::start();
    server.route("/gone", Response::status(410));
    server.route("/boom", Response::status(500));
    let f = fetcher();

    let err = error(&f, &server.url("/missing")).await;
    assert_eq!(err.kind, FetchErrorKind::Http);
    assert_eq!(err.status, Some(404));
    let expected = format!("HTTP 404 Not Found from {}", server.url("/missing"));
    assert!(err.message.starts_with(&expected), "{err}");

    let err = error(&f, &server.url("/boom")).await;
    assert_eq!((err.kind, err.status), (FetchErrorKind::Http, Some(500)));
    let err = error(&f, &server.url("/gone")).await;
    assert_eq!((err.kind, err.status), (FetchErrorKind::Http, Some(410)));
    assert_eq!(err.retry_after, None);
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let server = TestServer::start();
    server.route("/429", Response::retry_after(429, "120"));
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    let date = in_an_hour.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    server.route("/503", Response::retry_after(503, &date));
    server.route("/503-bare", Response::status(503));
    let f = fetcher();

    let err = error(&f, &server.url("/429")).await;
    assert_eq!(err.kind, FetchErrorKind::RateLimited);
    assert_eq!(err.status, Some(429));
    assert_eq!(err.retry_after, Some(Duration::from_secs(120)));
    assert!(err.message.contains("wait 2 min"), "{err}");

    let err = error(&f, &server.url("/503")).await;
    assert_eq!((err.kind, err.status), (FetchErrorKind::RateLimited, Some(503)));
    let wait = err.retry_after.unwrap().as_secs();
    // The date has one-second resolution and some time passes between building it and
    // parsing it; anything close to an hour proves the date was read.
    assert!((3500..=3600).contains(&wait), "{wait}");

    let err = error(&f, &server.url("/503-bare")).await;
    assert_eq!(err.kind, FetchErrorKind::RateLimited);
    assert_eq!(err.retry_after, None);
}

#[tokio::test]
async fn credentials_never_appear_in_messages() {
    let server = TestServer::start();
    let url = format!("http://reader:hunter2@{}/private", server.addr);
    let err = error(&fetcher(), &url).await;
    assert_eq!(err.status, Some(404));
    assert!(!err.message.contains("hunter2"), "{err}");
    assert!(err.message.contains(&server.url("/private")), "{err}");
    // The credentials themselves were used, as Basic auth.
    assert!(server.last_header("/private", "authorization").is_some_and(|v| v.starts_with("Basic ")));
}

#[tokio::test]
async fn invalid_request_headers_fail_before_sending() {
    let server = TestServer::start();
    let f = fetcher();
    let mut r = req(server.url("/x"));
    r.headers = vec![("Bad Name".to_string(), "v".to_string())];
    let err = f.fetch(&r).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{err}");
    assert!(err.message.contains("Bad Name"), "{err}");

    r.headers = vec![("X-Ok".to_string(), "line\nbreak".to_string())];
    let err = f.fetch(&r).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{err}");
    assert_eq!(server.total_hits(), 0);
}

#[tokio::test]
async fn unusable_addresses_are_invalid_urls() {
    let f = fetcher();
    for url in ["", "   ", "ftp://example.org/feed", "http://", "javascript:alert(1)"] {
        let err = error(&f, url).await;
        assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{url:?}: {err}");
    }
    let err = error(&f, "gopher://u:pw@example.org/").await;
    assert!(!err.message.contains("pw@"), "{err}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // A port that was just free: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/feed.xml");
    let err = error(&fetcher(), &url).await;
    assert_eq!(err.kind, FetchErrorKind::Connect, "{err}");
    assert!(err.message.contains(&url), "{err}");
}

#[tokio::test]
async fn local_files_by_url_and_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, "<rss/>").unwrap();
    let file_url = url::Url::from_file_path(&path).unwrap().to_string();
    let f = fetcher();
    for address in [file_url.clone(), path.display().to_string()] {
        match f.fetch(&req(address)).await.unwrap() {
            FetchOutcome::Fetched {
                status,
                body,
                content_type,
                etag,
                last_modified,
                final_url,
                permanent_redirect,
            } => {
                assert_eq!((status, body.as_slice()), (200, &b"<rss/>"[..]));
                assert_eq!((content_type, etag, last_modified), (None, None, None));
                assert_eq!(final_url, file_url);
                assert_eq!(permanent_redirect, None);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn relative_paths_become_absolute_file_urls() {
    let cwd = std::env::current_dir().unwrap();
    match classify("feeds/blog.xml").unwrap() {
        Target::Local { path, url, maybe_web } => {
            assert_eq!(path, cwd.join("feeds/blog.xml"));
            assert_eq!(url, url::Url::from_file_path(&path).unwrap().to_string());
            assert!(!maybe_web);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(classify("example.com/feed.xml").unwrap(), Target::Local { maybe_web: true, .. }));
    assert!(matches!(classify("https://example.com/f").unwrap(), Target::Web(_)));
}

#[tokio::test]
async fn missing_and_oversized_local_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.xml");
    let err = error(&fetcher(), &missing.display().to_string()).await;
    assert_eq!(err.kind, FetchErrorKind::Io, "{err}");
    assert!(err.message.contains(&missing.display().to_string()), "{err}");

    let err = error(&fetcher(), "example.invalid/feed.xml").await;
    assert_eq!(err.kind, FetchErrorKind::Io, "{err}");
    assert!(err.message.contains("https://"), "{err}");

    let err = error(&fetcher(), &dir.path().display().to_string()).await;
    assert_eq!(err.kind, FetchErrorKind::Io, "{err}");

    let big = dir.path().join("big.xml");
    std::fs::write(&big, vec![b' '; 1024 * 1024 + 1]).unwrap();
    let small_cap = Fetcher::new(&FetchSettings { max_body_mib: 1, ..settings() }).unwrap();
    let err = error(&small_cap, &big.display().to_string()).await;
    assert_eq!(err.kind, FetchErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("max_body_mib"), "{err}");
}

#[tokio::test]
async fn proxy_from_settings_and_per_request() {
    let proxy = TestServer::start();
    proxy.route("/feed.xml", Response::ok("via proxy"));
    // Nothing listens on 127.0.0.2:9, so a body proves the request went through the proxy.
    let target = "http://127.0.0.2:9/feed.xml";

    let via_settings = Fetcher::new(&FetchSettings { proxy: Some(proxy.url("")), ..settings() }).unwrap();
    let (body, _, _) = fetched(&via_settings, &req(target)).await;
    assert_eq!(body, b"via proxy");
    assert_eq!(proxy.last_request("/feed.xml").unwrap().target, target);

    let mut r = req(target);
    r.proxy = Some(proxy.url(""));
    let f = fetcher();
    let (body, _, _) = fetched(&f, &r).await;
    assert_eq!(body, b"via proxy");
    assert_eq!(proxy.hits("/feed.xml"), 2);

    r.proxy = Some("ftp://proxy.example:21".to_string());
    let err = f.fetch(&r).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{err}");
}

/// A 127.0.0.1 port that nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_proxy_that_is_down_is_blamed_not_the_feed() {
    let port = closed_port();
    let feed = TestServer::start();
    feed.route("/feed.xml", Response::ok("<rss/>"));

    // [fetch] proxy, for http and https feeds, with credentials that must not be shown.
    let proxy = format!("http://user:secret@127.0.0.1:{port}");
    let f = Fetcher::new(&FetchSettings { proxy: Some(proxy), ..settings() }).unwrap();
    for target in [feed.url("/feed.xml"), "https://127.0.0.2:9/feed.xml".to_string()] {
        let err = error(&f, &target).await;
        assert_eq!(err.kind, FetchErrorKind::Connect, "{err}");
        assert!(
            err.message.starts_with(&format!(
                "cannot reach the proxy http://127.0.0.1:{port}: connection refused, so {target} was not fetched; \
                 check proxy under [fetch] in config.toml"
            )),
            "{err}"
        );
        assert!(!err.message.contains("secret"), "{err}");
    }
    assert_eq!(feed.hits("/feed.xml"), 0);

    // The feed's own proxy, SOCKS this time, is named as the thing to check.
    let mut r = req(feed.url("/feed.xml"));
    r.proxy = Some(format!("socks5h://127.0.0.1:{port}"));
    let err = fetcher().fetch(&r).await.unwrap_err();
    assert!(
        err.message
            .starts_with(&format!("cannot reach the proxy socks5h://127.0.0.1:{port}: connection refused")),
        "{err}"
    );
    assert!(err.message.contains("the feed's proxy (tidings set FEED --proxy URL"), "{err}");

    // A proxy that is up but cannot open the tunnel (the test server answers CONNECT with a
    // 404) is not called unreachable: the failure lies beyond it.
    let up = TestServer::start();
    let f = Fetcher::new(&FetchSettings { proxy: Some(up.url("")), ..settings() }).unwrap();
    let err = error(&f, "https://127.0.0.2:9/feed.xml").await;
    assert!(
        err.message.starts_with(&format!(
            "could not connect to https://127.0.0.2:9/feed.xml through the proxy {}",
            up.url("")
        )),
        "{err}"
    );
    assert!(err.message.contains("proxy under [fetch] in config.toml"), "{err}");

    // Without a proxy the same refusal is the feed's server's.
    let err = error(&fetcher(), &format!("http://127.0.0.1:{port}/feed.xml")).await;
    assert!(
        err.message.starts_with(&format!("could not connect to http://127.0.0.1:{port}/feed.xml")),
        "{err}"
    );
    assert!(!err.message.contains("proxy"), "{err}");
}

#[test]
fn settings_are_checked() {
    for bad in [FetchSettings { per_host: 0, ..settings() }, FetchSettings { timeout_secs: 0, ..settings() }]
    {
        let err = Fetcher::new(&bad).unwrap_err();
        assert!(err.message.contains("must be at least 1"), "{err}");
    }
    let err = Fetcher::new(&FetchSettings { proxy: Some("http://user:pw@".to_string()), ..settings() })
        .unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::InvalidUrl, "{err}");
    assert!(!err.message.contains("pw"), "{err}");
    let err = Fetcher::new(&FetchSettings { user_agent: "a\nb".to_string(), ..settings() }).unwrap_err();
    assert!(err.message.contains("user_agent"), "{err}");
}

#[test]
fn settings_deserialize_with_defaults_and_reject_unknown_keys() {
    let parsed: FetchSettings = toml::from_str("per_host = 2\nproxy = \"socks5h://127.0.0.1:9050\"").unwrap();
    assert_eq!(
        parsed,
        FetchSettings {
            per_host: 2,
            proxy: Some("socks5h://127.0.0.1:9050".to_string()),
            ..FetchSettings::default()
        }
    );
    assert_eq!(toml::from_str::<FetchSettings>("").unwrap(), FetchSettings::default());
    assert!(toml::from_str::<FetchSettings>("timeout = 3").is_err());
}

#[test]
fn fetcher_is_shareable() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Fetcher>();
}

#[test]
fn redaction() {
    use super::error::{redact, redact_str};
    let url = url::Url::parse("https://u:p@example.org/f?q=1").unwrap();
    assert_eq!(redact(&url), "https://example.org/f?q=1");
    assert_eq!(redact_str("https://u:p@example.org/a@b"), "https://example.org/a@b");
    assert_eq!(redact_str("not a url"), "not a url");
}

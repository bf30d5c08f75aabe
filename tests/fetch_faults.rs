//! Hostile and slow servers: the fetcher must stay bounded in memory and time, and one bad
//! host must not hold up the others. Everything runs against 127.0.0.1.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::{Response, TestServer};
use tidings::fetch::{FeedRequest, FetchErrorKind, FetchOutcome, FetchSettings, Fetcher};

const MIB: u64 = 1024 * 1024;

fn settings() -> FetchSettings {
    FetchSettings {
        timeout_secs: 2,
        connect_timeout_secs: 2,
        // Keep a developer's HTTP_PROXY away from 127.0.0.1.
        proxy: Some("none".to_string()),
        ..FetchSettings::default()
    }
}

fn one_mib_cap() -> Fetcher {
    Fetcher::new(&FetchSettings { max_body_mib: 1, ..settings() }).unwrap()
}

fn req(url: String) -> FeedRequest {
    FeedRequest { url, ..FeedRequest::default() }
}

fn body_of(outcome: FetchOutcome) -> Vec<u8> {
    match outcome {
        FetchOutcome::Fetched { body, .. } => body,
        other => panic!("expected Fetched, got {other:?}"),
    }
}

#[tokio::test]
async fn body_over_the_cap_is_too_large_with_or_without_content_length() {
    let server = TestServer::start();
    server.route("/declared", Response::huge(2 * MIB));
    server.route("/undeclared", Response::huge(2 * MIB).without_length());
    server.route("/exact", Response::huge(MIB).without_length());
    let f = one_mib_cap();

    for path in ["/declared", "/undeclared"] {
        let err = f.fetch(&req(server.url(path))).await.unwrap_err();
        assert_eq!(err.kind, FetchErrorKind::TooLarge, "{path}: {err}");
        assert!(err.message.contains("larger than 1 MiB (max_body_mib in config.toml)"), "{err}");
    }
    let body = body_of(f.fetch(&req(server.url("/exact"))).await.unwrap());
    assert_eq!(body.len() as u64, MIB);
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_cap() {
    let server = TestServer::start();
    server.route("/bomb", Response::gzip_bomb(100 * MIB as usize));
    server.route("/small", Response::gzip_bomb(3 * MIB as usize + 5));
    let f = Fetcher::new(&settings()).unwrap();
    let body = body_of(f.fetch(&req(server.url("/small"))).await.unwrap());
    assert_eq!(body.len() as u64, 3 * MIB + 5);
    assert!(body.iter().all(|&b| b == 0));
    let err = one_mib_cap().fetch(&req(server.url("/bomb"))).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::TooLarge, "{err}");
}

#[tokio::test]
async fn a_decoded_body_of_exactly_the_cap_passes_and_one_byte_more_fails() {
    let server = TestServer::start();
    server.route("/gzip-exact", Response::gzip_bomb(MIB as usize));
    server.route("/gzip-over", Response::gzip_bomb(MIB as usize + 1));
    let zeros = vec![0u8; MIB as usize];
    server.route("/br-exact", Response::ok(brotli(&zeros)).header("Content-Encoding", "br"));
    server.route(
        "/br-over",
        Response::ok(brotli(&[&zeros[..], b"!"].concat())).header("Content-Encoding", "br"),
    );
    let f = one_mib_cap();
    for path in ["/gzip-exact", "/br-exact"] {
        let body = body_of(f.fetch(&req(server.url(path))).await.unwrap());
        assert_eq!(body.len() as u64, MIB, "{path}");
    }
    for path in ["/gzip-over", "/br-over"] {
        let err = f.fetch(&req(server.url(path))).await.unwrap_err();
        assert_eq!(err.kind, FetchErrorKind::TooLarge, "{path}: {err}");
        assert!(err.message.contains("larger than 1 MiB (max_body_mib in config.toml)"), "{err}");
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut br = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    br.write_all(data).unwrap();
    br.into_inner()
}

const FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Two parts</title>\
    <item><guid>1</guid><title>From the first member</title></item>\
    <item><guid>2</guid><title>From the second member</title></item></channel></rss>";

#[tokio::test]
async fn compressed_feeds_are_decompressed() {
    let server = TestServer::start();
    server.route("/gz", Response::ok(gzip(b"<rss>compressed</rss>")).header("Content-Encoding", "gzip"));
    let f = Fetcher::new(&settings()).unwrap();
    let body = body_of(f.fetch(&req(server.url("/gz"))).await.unwrap());
    assert_eq!(body, b"<rss>compressed</rss>");
    assert_eq!(server.last_header("/gz", "accept-encoding").as_deref(), Some("gzip, deflate, br"));
}

#[tokio::test]
async fn a_multi_member_gzip_feed_arrives_whole() {
    // What `cat a.gz b.gz` or pigz produce: the second member holds the second article.
    let split = FEED.find("<item><guid>2").unwrap();
    let two_members = [gzip(&FEED.as_bytes()[..split]), gzip(&FEED.as_bytes()[split..])].concat();
    let server = TestServer::start();
    server.route("/feed", Response::ok(two_members).header("Content-Encoding", "gzip"));
    let body = body_of(Fetcher::new(&settings()).unwrap().fetch(&req(server.url("/feed"))).await.unwrap());
    assert_eq!(body, FEED.as_bytes());
    let parsed = tidings::parse::parse_feed(&body, None, &server.url("/feed")).unwrap();
    let titles: Vec<&str> = parsed.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["From the first member", "From the second member"]);
}

#[tokio::test]
async fn deflate_zlib_wrapped_raw_and_brotli_and_stacks_decode() {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(FEED.as_bytes()).unwrap();
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    raw.write_all(FEED.as_bytes()).unwrap();
    let server = TestServer::start();
    server.route("/zlib", Response::ok(zlib.finish().unwrap()).header("Content-Encoding", "deflate"));
    server.route("/raw", Response::ok(raw.finish().unwrap()).header("Content-Encoding", "Deflate"));
    server.route("/br", Response::ok(brotli(FEED.as_bytes())).header("Content-Encoding", "br"));
    // Applied gzip first, then br; also as two header lines, and with identity in between.
    let stacked = brotli(&gzip(FEED.as_bytes()));
    server.route("/stacked", Response::ok(stacked.clone()).header("Content-Encoding", "x-gzip, br"));
    server.route(
        "/two-lines",
        Response::ok(stacked).header("Content-Encoding", "gzip").header("Content-Encoding", "identity, br"),
    );
    let f = Fetcher::new(&settings()).unwrap();
    for path in ["/zlib", "/raw", "/br", "/stacked", "/two-lines"] {
        let body = body_of(f.fetch(&req(server.url(path))).await.unwrap());
        assert_eq!(body, FEED.as_bytes(), "{path}");
    }
}

#[tokio::test]
async fn a_body_labelled_gzip_that_is_not_gzip_is_taken_as_plain() {
    let server = TestServer::start();
    server.route("/mislabelled", Response::ok(FEED).header("Content-Encoding", "gzip"));
    let body =
        body_of(Fetcher::new(&settings()).unwrap().fetch(&req(server.url("/mislabelled"))).await.unwrap());
    assert_eq!(body, FEED.as_bytes());
}

#[tokio::test]
async fn unknown_or_broken_encodings_are_clear_per_feed_errors() {
    let server = TestServer::start();
    server.route("/zstd", Response::ok("(zstd bytes)").header("Content-Encoding", "zstd"));
    // U+202E (right-to-left override) is allowed in a header by HTTP but must not reach the terminal.
    server.route("/odd", Response::ok("x").header("Content-Encoding", "evil\u{202e}\u{85}coding"));
    let mut broken = gzip(FEED.as_bytes());
    let middle = broken.len() / 2;
    broken[middle..middle + 8].fill(0xff);
    server.route("/broken", Response::ok(broken).header("Content-Encoding", "gzip"));
    let cut = gzip(FEED.as_bytes());
    server.route("/cut", Response::ok(&cut[..cut.len() - 4]).header("Content-Encoding", "gzip"));
    let f = Fetcher::new(&settings()).unwrap();

    let err = f.fetch(&req(server.url("/zstd"))).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Other, "{err}");
    assert_eq!(
        err.message,
        format!(
            "the server at {} sent Content-Encoding `zstd`, which tidings cannot decode (it accepts gzip, deflate, br)",
            server.url("/zstd")
        )
    );
    let err = f.fetch(&req(server.url("/odd"))).await.unwrap_err();
    // The override is dropped; U+0085 (next line) is whitespace, so it becomes a space.
    assert!(err.message.contains("`evil coding`"), "{err}");
    assert!(tidings::sanitize::is_clean_text(&err.message), "{:?}", err.message);

    for path in ["/broken", "/cut"] {
        let err = f.fetch(&req(server.url(path))).await.unwrap_err();
        assert_eq!(err.kind, FetchErrorKind::Other, "{path}: {err}");
        let expected = format!(
            "the feed from {} could not be decompressed: the server labelled it gzip, but ",
            server.url(path)
        );
        assert!(err.message.starts_with(&expected), "{err}");
        assert!(tidings::sanitize::is_clean_text(&err.message), "{:?}", err.message);
    }
}

#[tokio::test]
async fn trickling_server_hits_the_whole_request_timeout() {
    let server = TestServer::start();
    // 100 bytes at 100 ms each would take 10 s; the headers arrive at once.
    server.route("/slow", Response::trickle(vec![b'x'; 100], Duration::from_millis(100)));
    server.route("/silent", Response::hang());
    let f = Fetcher::new(&settings()).unwrap();
    let (slow, silent) = (req(server.url("/slow")), req(server.url("/silent")));
    let (slow, silent) = tokio::join!(f.fetch(&slow), f.fetch(&silent));
    for result in [slow, silent] {
        let err = result.unwrap_err();
        assert_eq!(err.kind, FetchErrorKind::Timeout, "{err}");
        assert!(err.message.contains("2 s") && err.message.contains("timeout_secs"), "{err}");
    }
}

#[tokio::test]
async fn hanging_hosts_do_not_hold_up_good_ones() {
    let good = TestServer::start();
    let bad = TestServer::start();
    for i in 0..20 {
        good.route(&format!("/good/{i}"), Response::ok(format!("feed {i}")));
    }
    bad.route("/hang", Response::hang());
    let f = Fetcher::new(&settings()).unwrap();
    type Finished = Vec<(String, Result<Vec<u8>, FetchErrorKind>)>;
    let finished: Arc<Mutex<Finished>> = Arc::default();

    // Hanging feeds start first, so they are in flight for the whole run.
    let mut urls: Vec<String> = (0..3).map(|i| bad.url(&format!("/hang?{i}"))).collect();
    urls.extend((0..20).map(|i| good.url(&format!("/good/{i}"))));
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|url| {
            let f = f.clone();
            let finished = Arc::clone(&finished);
            tokio::spawn(async move {
                let result = f.fetch(&req(url.clone())).await.map(body_of).map_err(|e| e.kind);
                finished.lock().unwrap().push((url, result));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    let finished = finished.lock().unwrap();
    assert_eq!(finished.len(), 23);
    for (url, result) in &finished[..20] {
        assert!(url.contains("/good/"), "a hanging feed finished early: {url}");
        assert!(result.is_ok(), "{url}: {result:?}");
    }
    for (url, result) in &finished[20..] {
        assert!(url.contains("/hang"), "{url}");
        assert_eq!(result, &Err(FetchErrorKind::Timeout));
    }
    assert_eq!(bad.hits("/hang?0") + bad.hits("/hang?1") + bad.hits("/hang?2"), 3);
}

async fn fetch_many(f: &Fetcher, server: &TestServer, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            let url = server.url(&format!("/slow/{i}"));
            tokio::spawn(async move { f.fetch(&req(url)).await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Ok(FetchOutcome::Fetched { .. })));
    }
    assert_eq!(server.total_hits(), n);
}

fn slow_server(n: usize) -> TestServer {
    let server = TestServer::start();
    for i in 0..n {
        server.route(&format!("/slow/{i}"), Response::ok("x").delay(Duration::from_millis(100)));
    }
    server
}

#[tokio::test]
async fn per_host_limit_caps_concurrent_requests_to_one_host() {
    let server = slow_server(10);
    let f = Fetcher::new(&FetchSettings { per_host: 2, ..settings() }).unwrap();
    fetch_many(&f, &server, 10).await;
    let peak = server.peak_in_flight();
    assert!((1..=2).contains(&peak), "peak {peak}");
}

#[tokio::test]
async fn global_limit_caps_concurrent_requests() {
    let server = slow_server(10);
    let f = Fetcher::new(&FetchSettings { concurrency: 3, per_host: 10, ..settings() }).unwrap();
    fetch_many(&f, &server, 10).await;
    let peak = server.peak_in_flight();
    assert!((1..=3).contains(&peak), "peak {peak}");
}

#[tokio::test]
async fn a_revalidation_counts_half_against_the_global_limit() {
    // Ten requests carrying an ETag (the server ignores it and answers slowly): with
    // `concurrency = 3` up to six of them are in flight at once, never more.
    let server = slow_server(10);
    let f = Fetcher::new(&FetchSettings { concurrency: 3, per_host: 10, ..settings() }).unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let f = f.clone();
            let url = server.url(&format!("/slow/{i}"));
            tokio::spawn(
                async move { f.fetch(&FeedRequest { etag: Some("\"v1\"".into()), ..req(url) }).await },
            )
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Ok(FetchOutcome::Fetched { .. })));
    }
    let peak = server.peak_in_flight();
    assert!((4..=6).contains(&peak), "peak {peak}: a revalidation should take half a slot");
}

#[tokio::test]
async fn connection_closed_mid_body_is_an_io_error() {
    let server = TestServer::start();
    server.route("/cut", Response::ok("<rss><chan").content_length(1000));
    let f = Fetcher::new(&settings()).unwrap();
    let err = f.fetch(&req(server.url("/cut"))).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Io, "{err}");
    assert!(err.message.contains(&server.url("/cut")), "{err}");
}

#[tokio::test]
async fn the_timeout_covers_every_redirect_hop_together() {
    let server = TestServer::start();
    // Each hop alone is well within the 2 s timeout; together they are not.
    server.route("/r1", Response::redirect(302, "/r2").delay(Duration::from_millis(900)));
    server.route("/r2", Response::redirect(302, "/r3").delay(Duration::from_millis(900)));
    server.route("/r3", Response::ok("<rss/>").delay(Duration::from_millis(900)));
    let f = Fetcher::new(&settings()).unwrap();
    let err = f.fetch(&req(server.url("/r1"))).await.unwrap_err();
    assert_eq!(err.kind, FetchErrorKind::Timeout, "{err}");
    assert!(err.message.contains("timed out after 2 s"), "{err}");
    // A fast chain is fine.
    server.route("/f1", Response::redirect(302, "/f2"));
    server.route("/f2", Response::ok("<rss/>"));
    assert_eq!(body_of(f.fetch(&req(server.url("/f1"))).await.unwrap()), b"<rss/>");
}

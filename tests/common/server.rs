//! A tiny HTTP/1.1 server for tests, on 127.0.0.1 only.
//!
//! `TestServer::start()` binds 127.0.0.1:0 and serves from its own thread with its own tokio
//! runtime, so it works the same from `#[test]` (e.g. tests that spawn the binary) and from
//! `#[tokio::test]`. Routes are registered (and may be swapped while it runs) with
//! [`TestServer::route`]; unknown paths get 404. Every connection carries one request and is
//! closed after the response (`Connection: close`). The server records hits, the last
//! request per path, and how many requests were in flight at once. Dropping it stops it.
//!
//! Routes with an ETag or Last-Modified honour If-None-Match / If-Modified-Since with a 304
//! (If-None-Match wins when both are sent; dates are compared as exact strings).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What a route answers.
#[derive(Clone, Debug)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    delay: Duration,
    gate: Option<Gate>,
    send_length: bool,
    declared_length: Option<u64>,
}

/// Holds back the answers of the routes it is given to ([`Response::gated`]) until the test
/// opens it: a request that must still be running when something else happens, whatever the
/// machine's speed. Clones share the gate.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<AtomicBool>);

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Lets every held and future request through.
    pub fn open(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_open(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Debug)]
enum Body {
    Bytes(Arc<Vec<u8>>),
    /// Sends one byte, then sleeps, for every byte.
    Trickle(Arc<Vec<u8>>, Duration),
    /// `n` bytes of `a`, generated while sending.
    Huge(u64),
    /// Reads the request and never answers.
    Hang,
}

impl Response {
    fn new(status: u16, body: Body) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
            gate: None,
            send_length: true,
            declared_length: None,
        }
    }

    /// 200 with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response::new(200, Body::Bytes(Arc::new(body.into())))
    }

    /// `code` with its reason phrase as the body (no body for 204 and 304).
    pub fn status(code: u16) -> Response {
        let body = if matches!(code, 204 | 304) {
            Vec::new()
        } else {
            format!("{code} {}\n", reason(code)).into_bytes()
        };
        Response::new(code, Body::Bytes(Arc::new(body)))
    }

    /// A redirect (301, 302, 303, 307, 308) to `location`, sent verbatim (relative is fine).
    pub fn redirect(code: u16, location: &str) -> Response {
        Response::status(code).header("Location", location)
    }

    /// `code` (429, 503...) with `Retry-After: value`.
    pub fn retry_after(code: u16, value: &str) -> Response {
        Response::status(code).header("Retry-After", value)
    }

    /// 200 with `Content-Encoding: gzip` whose body inflates to `decompressed` zero bytes
    /// (100 MiB inflate from about 100 KiB). Built once per size and cached per process.
    pub fn gzip_bomb(decompressed: usize) -> Response {
        Response::new(200, Body::Bytes(gzip_zeros(decompressed)))
            .content_type("application/rss+xml")
            .header("Content-Encoding", "gzip")
    }

    /// 200 whose body is sent one byte at a time, sleeping `per_byte` after each.
    pub fn trickle(body: impl Into<Vec<u8>>, per_byte: Duration) -> Response {
        Response::new(200, Body::Trickle(Arc::new(body.into()), per_byte))
    }

    /// Reads the request, counts it, and never answers (until the server is dropped).
    pub fn hang() -> Response {
        Response::new(200, Body::Hang)
    }

    /// 200 with `n` bytes generated on the fly (never held in memory).
    pub fn huge(n: u64) -> Response {
        Response::new(200, Body::Huge(n))
    }

    /// Adds `Content-Type` (put a charset in it if you want one).
    pub fn content_type(self, value: &str) -> Response {
        self.header("Content-Type", value)
    }

    /// Adds `ETag` and makes the route answer a matching If-None-Match with 304.
    pub fn etag(self, value: &str) -> Response {
        self.header("ETag", value)
    }

    /// Adds `Last-Modified` and makes the route answer an equal If-Modified-Since with 304.
    pub fn last_modified(self, value: &str) -> Response {
        self.header("Last-Modified", value)
    }

    /// Adds any header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits this long after reading the request before answering (the request counts as in
    /// flight meanwhile).
    pub fn delay(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }

    /// Waits until `gate` is open before answering (the request counts as in flight
    /// meanwhile). The client's own timeout still applies.
    pub fn gated(mut self, gate: &Gate) -> Response {
        self.gate = Some(gate.clone());
        self
    }

    /// Declares this Content-Length whatever the body is: a larger value than the body makes
    /// the connection close in the middle of the body as the client sees it.
    pub fn content_length(mut self, declared: u64) -> Response {
        self.declared_length = Some(declared);
        self
    }

    /// Omits Content-Length: the body ends when the connection closes.
    pub fn without_length(mut self) -> Response {
        self.send_length = false;
        self
    }

    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One request as the server saw it. Header names are lowercase.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target as sent: `/path?q` normally, `http://host/path` through a proxy.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Records {
    routes: HashMap<String, Response>,
    hits: HashMap<String, usize>,
    last: HashMap<String, RecordedRequest>,
}

#[derive(Default)]
struct State {
    records: Mutex<Records>,
    /// Requests read whose response has not started yet.
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

impl State {
    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running server. See the module docs.
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and starts serving on a new thread.
    pub fn start() -> TestServer {
        TestServer::start_on("127.0.0.1:0")
    }

    /// Like [`TestServer::start`] on another address, e.g. `[::1]:80` (tests/common/ttrss.rs:
    /// TT-RSS fetches feeds only from port 80 or 443 and not from 127.x). Panics if it cannot
    /// bind.
    pub fn start_on(addr: &str) -> TestServer {
        let listener = std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("test-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("test server runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        _ = stop => {}
                        _ = accept_loop(listener, thread_state) => {}
                    }
                });
                // Dropping the runtime cancels hanging and trickling connections.
                drop(runtime);
            })
            .expect("spawn test server thread");
        TestServer { addr, state, shutdown: Some(shutdown), thread: Some(thread) }
    }

    /// Serves `response` at `path` (exact request path, query included, or the path without
    /// its query). Replaces an earlier route, also while requests are being served.
    pub fn route(&self, path: &str, response: Response) -> &TestServer {
        self.state.records().routes.insert(path.to_string(), response);
        self
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Requests received for `path` (including ones answered 304 or 404, and hanging ones).
    pub fn hits(&self, path: &str) -> usize {
        self.state.records().hits.get(path).copied().unwrap_or(0)
    }

    /// Requests received in total.
    pub fn total_hits(&self) -> usize {
        self.state.records().hits.values().sum()
    }

    /// The last request for `path`.
    pub fn last_request(&self, path: &str) -> Option<RecordedRequest> {
        self.state.records().last.get(path).cloned()
    }

    /// Headers (lowercase names) of the last request for `path`.
    pub fn last_request_headers(&self, path: &str) -> Option<Vec<(String, String)>> {
        self.last_request(path).map(|r| r.headers)
    }

    /// One header of the last request for `path`.
    pub fn last_header(&self, path: &str, name: &str) -> Option<String> {
        self.last_request(path).and_then(|r| r.header(name).map(str::to_string))
    }

    /// Most requests ever in flight at once: read but not yet answered. Counted from the
    /// request to the first byte of the response (not to the close), so that a client which
    /// only sends its next request after reading a full response can never be counted twice:
    /// the count is exact, not timing-dependent.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak.load(Ordering::SeqCst)
    }

    /// Requests in flight right now (hanging ones stay in flight).
    pub fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, Arc::clone(&state)));
            }
            // Out of file descriptors and the like: wait a little instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Reads the request head (up to 64 KiB); `None` if the client went away first.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // Absolute-form (through a proxy): keep only the path for routing.
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string()),
        None => target.clone(),
    };
    let request = RecordedRequest { method, target, headers };

    let route = {
        let mut records = state.records();
        *records.hits.entry(path.clone()).or_default() += 1;
        records.last.insert(path.clone(), request.clone());
        let without_query = path.split('?').next().unwrap_or_default();
        records.routes.get(&path).or_else(|| records.routes.get(without_query)).cloned()
    };
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.peak.fetch_max(now, Ordering::SeqCst);

    let response = route.unwrap_or_else(|| Response::status(404));
    if matches!(response.body, Body::Hang) {
        std::future::pending::<()>().await;
    }
    if !response.delay.is_zero() {
        tokio::time::sleep(response.delay).await;
    }
    if let Some(gate) = &response.gate {
        while !gate.is_open() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let response = if not_modified(&response, &request) {
        let mut short = Response::status(304);
        for name in ["ETag", "Last-Modified"] {
            if let Some(value) = response.header_value(name) {
                short = short.header(name, value);
            }
        }
        short
    } else {
        response
    };
    // Out of flight before the first byte goes out: see `peak_in_flight`.
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = write_response(&mut stream, &response).await;
    let _ = stream.shutdown().await;
}

fn not_modified(response: &Response, request: &RecordedRequest) -> bool {
    if response.status != 200 {
        return false;
    }
    if let Some(sent) = request.header("if-none-match") {
        let Some(etag) = response.header_value("ETag") else {
            return false;
        };
        let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
        return sent.split(',').any(|t| t.trim() == "*" || bare(t) == bare(etag));
    }
    match (request.header("if-modified-since"), response.header_value("Last-Modified")) {
        (Some(sent), Some(ours)) => sent.trim() == ours.trim(),
        _ => false,
    }
}

async fn write_response(stream: &mut TcpStream, response: &Response) -> std::io::Result<()> {
    let length = match &response.body {
        Body::Bytes(bytes) | Body::Trickle(bytes, _) => bytes.len() as u64,
        Body::Huge(n) => *n,
        Body::Hang => 0,
    };
    let length = response.declared_length.unwrap_or(length);
    let mut head =
        format!("HTTP/1.1 {} {}\r\nConnection: close\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let bodiless = matches!(response.status, 204 | 304);
    if response.send_length && !bodiless {
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if bodiless {
        return stream.flush().await;
    }
    match &response.body {
        Body::Bytes(bytes) => stream.write_all(bytes).await?,
        Body::Trickle(bytes, per_byte) => {
            for byte in bytes.iter() {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(*per_byte).await;
            }
        }
        Body::Huge(n) => {
            let block = vec![b'a'; 64 * 1024];
            let mut left = *n;
            while left > 0 {
                let take = left.min(block.len() as u64) as usize;
                stream.write_all(&block[..take]).await?;
                left -= take as u64;
            }
        }
        Body::Hang => {}
    }
    stream.flush().await
}

/// Gzip of `n` zero bytes, cached per size: one gzip member, built without compressing `n`
/// bytes, which takes seconds at 100 MiB in a debug build. A 1 MiB run of zeros is compressed
/// once and ends with a sync flush, so its deflate blocks are byte-aligned and start from a
/// literal; repeating them is a valid deflate stream for any number of MiB. The CRC is
/// combined, not recomputed.
fn gzip_zeros(n: usize) -> Arc<Vec<u8>> {
    const CHUNK: usize = 1024 * 1024;
    fn deflate(len: usize, flush: flate2::FlushCompress) -> Vec<u8> {
        let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
        let input = vec![0u8; len];
        let mut out = Vec::with_capacity(len / 64 + 1024);
        compress.compress_vec(&input, &mut out, flush).expect("deflate to memory");
        assert_eq!(compress.total_in(), len as u64, "output buffer too small");
        out
    }
    fn crc(len: usize) -> flate2::Crc {
        let mut crc = flate2::Crc::new();
        crc.update(&vec![0u8; len]);
        crc
    }
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<Vec<u8>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(cache.entry(n).or_insert_with(|| {
        let sync = flate2::FlushCompress::Sync;
        let block = deflate(CHUNK, sync);
        let chunk_crc = crc(CHUNK);
        let mut total_crc = flate2::Crc::new();
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
        for _ in 0..n / CHUNK {
            out.extend_from_slice(&block);
            total_crc.combine(&chunk_crc);
        }
        let rest = n % CHUNK;
        if rest > 0 {
            out.extend_from_slice(&deflate(rest, sync));
            total_crc.combine(&crc(rest));
        }
        out.extend_from_slice(&deflate(0, flate2::FlushCompress::Finish));
        out.extend_from_slice(&total_crc.sum().to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        Arc::new(out)
    }))
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

//! What every sync API client shares: the endpoint check, one POST with a capped response,
//! the request and byte counts, and errors that name the server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use url::Url;

use super::SyncError;

pub struct Http {
    client: reqwest::Client,
    pub endpoint: Url,
    /// The largest response read.
    cap: u64,
    // Counted through `&self`: a client may have several requests in flight at once.
    requests: AtomicU64,
    bytes: AtomicU64,
    /// Microseconds spent waiting for answers, from sending a request to its body's last
    /// byte (requests in flight together count each).
    waited_us: AtomicU64,
}

/// A response: its status and its whole (capped) body.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: Vec<u8>,
}

impl Http {
    /// `url` must be http or https; its query and fragment are dropped. `example` shows the
    /// user what the endpoint looks like for this API.
    pub fn new(client: reqwest::Client, cap: u64, url: &str, example: &str) -> Result<Http, SyncError> {
        let mut endpoint = Url::parse(url.trim()).map_err(|e| {
            SyncError::Local(format!(
                "`{}` is not a URL ({e}); give the server's address, like {example}",
                crate::sanitize::line(url)
            ))
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(SyncError::Local(format!(
                "`{}` is not an http or https URL; give the server's address, like {example}",
                crate::sanitize::line(url)
            )));
        }
        endpoint.set_query(None);
        endpoint.set_fragment(None);
        Ok(Http {
            client,
            endpoint,
            cap,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            waited_us: AtomicU64::new(0),
        })
    }

    /// Requests made, response bytes read and time spent waiting, so far.
    pub fn traffic(&self) -> (u64, u64, Duration) {
        (
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
            Duration::from_micros(self.waited_us.load(Ordering::Relaxed)),
        )
    }

    pub fn url_text(&self) -> String {
        crate::sanitize::line(self.endpoint.as_str())
    }

    pub fn unreachable(&self, why: impl std::fmt::Display) -> SyncError {
        SyncError::Unreachable { url: self.url_text(), why: crate::sanitize::line(&why.to_string()) }
    }

    pub fn protocol(&self, what: impl Into<String>) -> SyncError {
        SyncError::Protocol { url: self.url_text(), what: what.into() }
    }

    /// POSTs `body` to `url`; a 5xx or a connection failure is [`SyncError::Unreachable`]
    /// (try again later), any other status is the caller's to judge.
    pub async fn post(&self, url: Url, content_type: &str, body: String) -> Result<Answer, SyncError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = std::time::Instant::now();
        let answer = self.post_timed(url, content_type, body).await;
        self.waited_us.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        answer
    }

    async fn post_timed(&self, url: Url, content_type: &str, body: String) -> Result<Answer, SyncError> {
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.unreachable(crate::fetch::root_cause(&e)))?;
        let status = response.status();
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.unreachable(crate::fetch::root_cause(&e)))?;
            self.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if (body.len() + chunk.len()) as u64 > self.cap {
                return Err(self.protocol(format!("sent a response larger than {} bytes", self.cap)));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_server_error() {
            return Err(self.unreachable(format!("HTTP {status}")));
        }
        Ok(Answer { status, body })
    }
}

/// An id, count or flag as the APIs send them: a number, a string of one, or a boolean.
pub fn as_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

/// A field's text, when it is a non-empty string.
pub fn text(v: &serde_json::Value, field: &str) -> Option<String> {
    match v.get(field)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

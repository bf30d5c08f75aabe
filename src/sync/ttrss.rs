//! The Tiny Tiny RSS JSON API (`URL/api/`, API level 15 and later).
//!
//! Every call is a POST of a JSON object `{"op": ..., "sid": ...}`; the answer is
//! `{"status": 0, "content": ...}` or `{"status": 1, "content": {"error": ...}}`. A session
//! comes from `login` with the password itself (the API has no token), so the account keeps
//! the password (in `sync.secret`, mode 0600) or a command that prints it. Headlines come at
//! most 200 a request and are paged by offset, oldest first; `getFeeds` gives unread counts per
//! feed, so a sync with nothing changed costs a handful of requests; flags change in batches
//! (`updateArticle` takes a list of ids: field 2 = unread, 0 = starred).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use super::http::{as_u64, text, Http};
use super::{RemoteFeed, RemoteItem, Sent, ServerAnswer, SyncApi, SyncError};
use crate::store::Mark;

/// What `getHeadlines` gives at most per request.
const PAGE: usize = 200;
/// Pages asked for at once.
const WINDOW: usize = 4;
/// Ids per `updateArticle`: the request stays small whatever the outbox holds.
const BATCH: usize = 200;
/// Virtual feeds: every article, and the starred ones.
const ALL_ARTICLES: i64 = -4;
const STARRED: i64 = -1;
/// Every feed, without the virtual ones (`getFeeds`).
const ALL_FEEDS: i64 = -3;

const EXAMPLE: &str = "https://host/tt-rss/";

pub(crate) struct TtRss {
    http: Http,
    user: String,
    password: String,
    session: Option<String>,
    /// Pages of items fetched ahead: (since, skip, items).
    ahead: std::collections::VecDeque<(u64, usize, Vec<RemoteItem>)>,
}

impl TtRss {
    /// `url`: where TT-RSS is (`https://host/tt-rss/`); the API is `api/` under it (a URL
    /// that already ends in `/api/` is taken as is).
    pub(crate) fn new(
        client: reqwest::Client,
        cap: u64,
        url: &str,
        user: &str,
        password: &str,
    ) -> Result<TtRss, SyncError> {
        let mut http = Http::new(client, cap, url, EXAMPLE)?;
        let path = http.endpoint.path().trim_end_matches('/').to_owned();
        let api = if path.ends_with("/api") { format!("{path}/") } else { format!("{path}/api/") };
        http.endpoint.set_path(&api);
        Ok(TtRss {
            http,
            user: user.to_owned(),
            password: password.to_owned(),
            session: None,
            ahead: Default::default(),
        })
    }

    /// One call; logs in first when there is no session, and once more when the server
    /// forgot it (`NOT_LOGGED_IN`).
    async fn call(&mut self, op: &str, params: Value) -> Result<Value, SyncError> {
        if self.session.is_none() {
            self.open_session().await?;
        }
        match self.call_once(op, &params, self.session.as_deref()).await? {
            Ok(content) => Ok(content),
            Err(error) if error == "NOT_LOGGED_IN" => {
                self.open_session().await?;
                match self.call_once(op, &params, self.session.as_deref()).await? {
                    Ok(content) => Ok(content),
                    Err(error) => Err(self.api_error(op, &error)),
                }
            }
            Err(error) => Err(self.api_error(op, &error)),
        }
    }

    fn api_error(&self, op: &str, error: &str) -> SyncError {
        match error {
            "LOGIN_ERROR" | "NOT_LOGGED_IN" => {
                SyncError::Auth { url: self.http.url_text(), user: self.user.clone() }
            }
            "API_DISABLED" => SyncError::Protocol {
                url: self.http.url_text(),
                what: format!(
                    "has the API turned off for {}: enable \"API access\" in TT-RSS's preferences",
                    crate::sanitize::line(&self.user)
                ),
            },
            other => self.http.protocol(format!("refused `{op}`: {}", crate::sanitize::line(other))),
        }
    }

    /// The content, or the API's error code.
    async fn call_once(
        &self,
        op: &str,
        params: &Value,
        sid: Option<&str>,
    ) -> Result<Result<Value, String>, SyncError> {
        let mut body = params.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("op".into(), json!(op));
            if let Some(sid) = sid {
                map.insert("sid".into(), json!(sid));
            }
        }
        let url = self.http.endpoint.clone();
        let answer = self.http.post(url, "application/json", body.to_string()).await?;
        if !answer.status.is_success() {
            return Err(self.http.protocol(format!(
                "answered HTTP {}; is this where TT-RSS is (like {EXAMPLE})?",
                answer.status
            )));
        }
        let value: Value = serde_json::from_slice(&answer.body).map_err(|_| {
            self.http.protocol(format!(
                "did not answer with TT-RSS's JSON; is this where TT-RSS is (like {EXAMPLE})?"
            ))
        })?;
        let content = value.get("content").cloned().unwrap_or(Value::Null);
        match value.get("status").and_then(Value::as_i64) {
            Some(0) => Ok(Ok(content)),
            Some(_) => Ok(Err(content.get("error").and_then(Value::as_str).unwrap_or("UNKNOWN").to_owned())),
            None => Err(self.http.protocol("answered JSON without `status`; is this a TT-RSS API?")),
        }
    }

    async fn open_session(&mut self) -> Result<(), SyncError> {
        self.session = None;
        let params = json!({"user": self.user, "password": self.password});
        match self.call_once("login", &params, None).await? {
            Ok(content) => match content.get("session_id").and_then(Value::as_str) {
                Some(sid) => {
                    self.session = Some(sid.to_owned());
                    Ok(())
                }
                None => Err(self.http.protocol("answered `login` without a session")),
            },
            Err(error) => Err(self.api_error("login", &error)),
        }
    }

    /// `getHeadlines` pages at `skip`, `skip + PAGE`, ... ([`WINDOW`] of them, one for the
    /// first) asked for at once (TT-RSS spends about half a millisecond a headline, so a server that answers
    /// requests in parallel gives a big first sync several times faster), in order, up to the
    /// first short one.
    async fn pages(&mut self, params: &Value, skip: usize) -> Result<Vec<Vec<Value>>, SyncError> {
        if self.session.is_none() {
            self.open_session().await?;
        }
        // A listing's first page comes alone: most (the starred, a feed's unread) fit in it.
        let window = if skip == 0 { 1 } else { WINDOW };
        for attempt in 0..2 {
            let sid = self.session.clone();
            let this: &TtRss = self;
            let requests = (0..window).map(|k| {
                let mut p = params.clone();
                p["skip"] = json!(skip + k * PAGE);
                p["limit"] = json!(PAGE);
                let sid = sid.clone();
                async move { this.call_once("getHeadlines", &p, sid.as_deref()).await }
            });
            let answers = futures_util::future::join_all(requests).await;
            let mut pages = Vec::new();
            let mut forgotten = false;
            for answer in answers {
                match answer? {
                    Ok(content) => pages.push(content.as_array().cloned().unwrap_or_default()),
                    Err(error) if error == "NOT_LOGGED_IN" && attempt == 0 => forgotten = true,
                    Err(error) => return Err(self.api_error("getHeadlines", &error)),
                }
            }
            if forgotten {
                self.open_session().await?;
                continue;
            }
            if let Some(short) = pages.iter().position(|p| p.len() < PAGE) {
                pages.truncate(short + 1);
            }
            return Ok(pages);
        }
        Err(self.api_error("getHeadlines", "NOT_LOGGED_IN"))
    }

    /// Article ids of a headline listing, all pages.
    async fn headline_ids(&mut self, feed: i64, view_mode: &str) -> Result<HashSet<u64>, SyncError> {
        let params = json!({"feed_id": feed, "view_mode": view_mode, "show_content": false,
                            "show_excerpt": false, "order_by": "date_reverse"});
        let mut out = HashSet::new();
        let mut skip = 0;
        loop {
            let pages = self.pages(&params, skip).await?;
            for page in &pages {
                out.extend(page.iter().filter_map(|h| h.get("id").and_then(as_u64)));
                if page.len() < PAGE {
                    return Ok(out);
                }
            }
            skip += pages.len() * PAGE;
        }
    }

    /// TT-RSS's feeds, with their unread counts.
    async fn feeds(&mut self) -> Result<Vec<Value>, SyncError> {
        let v = self.call("getFeeds", json!({"cat_id": ALL_FEEDS, "unread_only": false})).await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }
}

fn flag(v: &Value, field: &str) -> bool {
    v.get(field).and_then(as_u64) == Some(1)
}

/// The items of a `getHeadlines` page.
fn items_of(page: &[Value]) -> Vec<RemoteItem> {
    let mut out = Vec::new();
    for h in page {
        let (Some(id), Some(feed)) = (h.get("id").and_then(as_u64), h.get("feed_id").and_then(as_u64)) else {
            continue;
        };
        out.push(RemoteItem {
            id,
            feed,
            title: text(h, "title").unwrap_or_default(),
            author: text(h, "author"),
            html: text(h, "content").unwrap_or_default(),
            url: text(h, "link"),
            read: !flag(h, "unread"),
            starred: flag(h, "marked"),
            published: h.get("updated").and_then(as_u64).and_then(|t| i64::try_from(t).ok()),
        });
    }
    out
}

impl SyncApi for TtRss {
    async fn login(&mut self) -> Result<(), SyncError> {
        self.open_session().await
    }

    async fn subscriptions(&mut self) -> Result<Vec<RemoteFeed>, SyncError> {
        let categories: HashMap<u64, String> = self
            .call("getCategories", json!({"include_empty": true}))
            .await?
            .as_array()
            .into_iter()
            .flatten()
            // 0 is "Uncategorized": no tag.
            .filter_map(|c| Some((c.get("id").and_then(as_u64).filter(|&id| id > 0)?, text(c, "title")?)))
            .collect();
        let mut out = Vec::new();
        for f in self.feeds().await? {
            let (Some(id), Some(url)) = (f.get("id").and_then(as_u64), text(&f, "feed_url")) else {
                continue;
            };
            let Ok(parsed) = url::Url::parse(url.trim()) else { continue };
            if !matches!(parsed.scheme(), "http" | "https") {
                continue;
            }
            let categories = f
                .get("cat_id")
                .and_then(as_u64)
                .and_then(|c| categories.get(&c))
                .map(|t| crate::sanitize::line(t))
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect();
            out.push(RemoteFeed {
                id,
                title: text(&f, "title").unwrap_or_default(),
                url: parsed.to_string(),
                site_url: text(&f, "site_url").filter(|s| url::Url::parse(s).is_ok()),
                categories,
            });
        }
        Ok(out)
    }

    async fn items_page(&mut self, since: u64, _top: u64, seen: usize) -> Result<Vec<RemoteItem>, SyncError> {
        if self.ahead.front().is_some_and(|(s, skip, _)| (*s, *skip) == (since, seen)) {
            if let Some((_, _, page)) = self.ahead.pop_front() {
                return Ok(page);
            }
        }
        // `sanitize: false`: tidings cleans bodies itself, as it does a feed's; the server's
        // sanitizer would only change what the body means.
        let params = json!({"feed_id": ALL_ARTICLES, "view_mode": "all_articles", "since_id": since,
                            "show_content": true, "sanitize": false, "order_by": "date_reverse"});
        let pages = self.pages(&params, seen).await?;
        self.ahead.clear();
        for (k, page) in pages.iter().enumerate() {
            self.ahead.push_back((since, seen + k * PAGE, items_of(page)));
        }
        Ok(self.ahead.pop_front().map(|(_, _, page)| page).unwrap_or_default())
    }

    fn pages_in_id_order(&self) -> bool {
        false
    }

    async fn unread_counts(&mut self) -> Result<Option<HashMap<u64, u64>>, SyncError> {
        let feeds = self.feeds().await?;
        Ok(Some(
            feeds
                .iter()
                .filter_map(|f| {
                    Some((f.get("id").and_then(as_u64)?, f.get("unread").and_then(as_u64).unwrap_or(0)))
                })
                .collect(),
        ))
    }

    async fn unread_ids(&mut self, feeds: Option<&[u64]>) -> Result<HashSet<u64>, SyncError> {
        match feeds {
            None => self.headline_ids(ALL_ARTICLES, "unread").await,
            Some(feeds) => {
                let mut out = HashSet::new();
                for &feed in feeds {
                    let feed =
                        i64::try_from(feed).map_err(|_| self.http.protocol("sent a feed id out of range"))?;
                    out.extend(self.headline_ids(feed, "unread").await?);
                }
                Ok(out)
            }
        }
    }

    async fn starred_ids(&mut self) -> Result<HashSet<u64>, SyncError> {
        self.headline_ids(STARRED, "all_articles").await
    }

    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn send(&mut self, items: &[u64], mark: Mark) -> Result<Vec<Sent>, SyncError> {
        // field 2 = unread, 0 = starred; mode 1 sets, 0 clears.
        let (field, mode) = match mark {
            Mark::Read => (2, 0),
            Mark::Unread => (2, 1),
            Mark::Star => (0, 1),
            Mark::Unstar => (0, 0),
        };
        let ids = items.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        self.call("updateArticle", json!({"article_ids": ids, "mode": mode, "field": field})).await?;
        // The answer counts rows changed (an item already so, or gone, is not one): nothing
        // tells which of them the server refused, and setting a flag twice is harmless.
        Ok(items.iter().map(|_| Sent::Done).collect())
    }

    async fn subscribe(&mut self, url: &str) -> Result<ServerAnswer, SyncError> {
        let v = self.call("subscribeToFeed", json!({"feed_url": url, "category_id": 0})).await?;
        let code = v.get("status").and_then(|s| s.get("code")).and_then(as_u64);
        Ok(match code {
            Some(0 | 1) => ServerAnswer::Done,
            Some(2) => ServerAnswer::Refused("the server finds the URL invalid".into()),
            Some(3) => ServerAnswer::Refused("the server found no feed at the URL".into()),
            Some(4) => ServerAnswer::Refused(
                "the server found several feeds at the URL; add the feed's own URL".into(),
            ),
            Some(5) => ServerAnswer::Refused(format!(
                "the server could not fetch it: {}",
                crate::sanitize::line(v["status"]["message"].as_str().unwrap_or("no reason given"))
            )),
            _ => ServerAnswer::Refused("the server answered with an unknown code".into()),
        })
    }

    async fn unsubscribe(&mut self, server_feed: u64) -> Result<ServerAnswer, SyncError> {
        match self.call("unsubscribeFeed", json!({"feed_id": server_feed})).await {
            Ok(_) => Ok(ServerAnswer::Done),
            Err(SyncError::Protocol { what, .. }) if what.contains("FEED_NOT_FOUND") => {
                Ok(ServerAnswer::Done)
            }
            Err(e) => Err(e),
        }
    }

    fn traffic(&self) -> (u64, u64, std::time::Duration) {
        self.http.traffic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_lives_under_api_whatever_way_the_url_is_written() {
        let client = reqwest::Client::new();
        for (given, want) in [
            ("https://h.test/tt-rss/", "https://h.test/tt-rss/api/"),
            ("https://h.test/tt-rss", "https://h.test/tt-rss/api/"),
            ("https://h.test/tt-rss/api/", "https://h.test/tt-rss/api/"),
            ("https://h.test/tt-rss/api", "https://h.test/tt-rss/api/"),
            ("https://h.test", "https://h.test/api/"),
            ("https://h.test/?x=1#f", "https://h.test/api/"),
        ] {
            let t = TtRss::new(client.clone(), 1 << 20, given, "u", "p").unwrap();
            assert_eq!(t.http.endpoint.as_str(), want, "{given}");
        }
        assert!(TtRss::new(client, 1, "ftp://h.test/", "u", "p").is_err());
    }

    #[test]
    fn flags_and_ids_are_read_in_every_spelling_the_api_uses() {
        assert!(flag(&json!({"unread": true}), "unread"));
        assert!(flag(&json!({"unread": "1"}), "unread"));
        assert!(!flag(&json!({"unread": false}), "unread"));
        assert!(!flag(&json!({}), "unread"));
        assert_eq!(as_u64(&json!("12")), Some(12));
    }
}

//! The Fever API (as Fever, coldsweat, FreshRSS, Miniflux and tt-rss's fever plugin speak it).
//!
//! Every call is a POST to `URL?api&COMMAND` with the form field `api_key` =
//! md5("user:password"); the answer is JSON with `auth: 1` when the key is good. Items come
//! 50 at a time above `since_id`; flags are whole lists of ids (`unread_item_ids`,
//! `saved_item_ids`); a flag change is `mark=item&as=read|unread|saved|unsaved&id=N`. Servers
//! differ in whether ids are numbers or strings, so both are read.

use std::collections::HashSet;

use md5::{Digest, Md5};
use serde_json::Value;
use url::Url;

use super::http::{as_u64, text, Http};
use super::{RemoteFeed, RemoteItem, Sent, ServerAnswer, SyncApi, SyncError};
use crate::store::Mark;

/// Fever's key: md5 of "user:password", lower-case hex.
pub fn api_key(user: &str, password: &str) -> String {
    let digest = Md5::digest(format!("{user}:{password}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) struct Fever {
    http: Http,
    user: String,
    api_key: String,
}

/// What a failed call means for the change it carried.
enum CallError {
    /// The server said this one request is wrong (400/404): do not send it again.
    Refused(String),
    Failed(SyncError),
}

impl From<SyncError> for CallError {
    fn from(e: SyncError) -> Self {
        CallError::Failed(e)
    }
}

const EXAMPLE: &str = "https://host/fever/";

impl Fever {
    /// `url`: the Fever endpoint as the server documents it (`https://host/fever/`,
    /// `https://host/api/fever.php`); a `?api` already in it is fine.
    pub(crate) fn new(
        client: reqwest::Client,
        cap: u64,
        url: &str,
        user: &str,
        api_key: &str,
    ) -> Result<Fever, SyncError> {
        let http = Http::new(client, cap, url, EXAMPLE)?;
        Ok(Fever { http, user: user.to_owned(), api_key: api_key.to_owned() })
    }

    fn auth_error(&self) -> SyncError {
        SyncError::Auth { url: self.http.url_text(), user: self.user.clone() }
    }

    /// One API call: `commands` go in the query (`items&since_id=5`), `form` beside the key.
    async fn call(&mut self, commands: &str, form: &[(&str, String)]) -> Result<Value, CallError> {
        let mut url = self.http.endpoint.clone();
        url.set_query(Some(&if commands.is_empty() { "api".to_owned() } else { format!("api&{commands}") }));
        let mut fields: Vec<(&str, String)> = vec![("api_key", self.api_key.clone())];
        fields.extend(form.iter().cloned());
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        let answer = self.http.post(url, "application/x-www-form-urlencoded", body).await?;
        let status = answer.status;
        if matches!(status.as_u16(), 400 | 404 | 409 | 410 | 422) && !form.is_empty() {
            return Err(CallError::Refused(format!("HTTP {status}")));
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(self.auth_error().into());
        }
        if !status.is_success() {
            return Err(self
                .http
                .protocol(format!("answered HTTP {status}; is this the Fever endpoint (like {EXAMPLE})?"))
                .into());
        }
        let value: Value = serde_json::from_slice(&answer.body).map_err(|_| {
            self.http.protocol(format!(
                "did not answer with Fever's JSON; is this the Fever endpoint (like {EXAMPLE})?"
            ))
        })?;
        match value.get("auth").and_then(as_u64) {
            Some(1) => Ok(value),
            Some(_) => Err(self.auth_error().into()),
            None => Err(self.http.protocol("answered JSON without `auth`; is this a Fever endpoint?").into()),
        }
    }

    async fn query(&mut self, commands: &str) -> Result<Value, SyncError> {
        match self.call(commands, &[]).await {
            Ok(v) => Ok(v),
            Err(CallError::Failed(e)) => Err(e),
            Err(CallError::Refused(why)) => Err(self.http.protocol(format!("refused `{commands}`: {why}"))),
        }
    }

    async fn id_list(&mut self, command: &str) -> Result<HashSet<u64>, SyncError> {
        let v = self.query(command).await?;
        let Some(list) = v.get(command) else {
            return Err(self.http.protocol(format!("answered `{command}` without the list")));
        };
        Ok(match list {
            Value::String(s) => s.split(',').filter_map(|p| p.trim().parse().ok()).collect(),
            Value::Array(a) => a.iter().filter_map(as_u64).collect(),
            _ => HashSet::new(),
        })
    }
}

impl SyncApi for Fever {
    async fn login(&mut self) -> Result<(), SyncError> {
        self.query("").await.map(|_| ())
    }

    async fn subscriptions(&mut self) -> Result<Vec<RemoteFeed>, SyncError> {
        let v = self.query("groups&feeds").await?;
        let groups: std::collections::HashMap<u64, String> = v
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| Some((g.get("id").and_then(as_u64)?, text(g, "title")?)))
            .collect();
        let mut categories: std::collections::HashMap<u64, Vec<String>> = std::collections::HashMap::new();
        for fg in v.get("feeds_groups").and_then(Value::as_array).into_iter().flatten() {
            let Some(group) = fg.get("group_id").and_then(as_u64).and_then(|g| groups.get(&g)) else {
                continue;
            };
            let ids = fg.get("feed_ids").and_then(Value::as_str).unwrap_or("");
            for id in ids.split(',').filter_map(|p| p.trim().parse::<u64>().ok()) {
                let tag = crate::sanitize::line(group);
                let tags = categories.entry(id).or_default();
                if !tag.is_empty() && !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        let mut out = Vec::new();
        for f in v.get("feeds").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(url)) = (f.get("id").and_then(as_u64), text(f, "url")) else { continue };
            // The URL becomes a local feed's: only one tidings could fetch itself.
            let Ok(parsed) = Url::parse(url.trim()) else { continue };
            if !matches!(parsed.scheme(), "http" | "https") {
                continue;
            }
            out.push(RemoteFeed {
                id,
                title: text(f, "title").unwrap_or_default(),
                url: parsed.to_string(),
                site_url: text(f, "site_url").filter(|s| Url::parse(s).is_ok()),
                categories: categories.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    async fn items_page(&mut self, since: u64, top: u64, _seen: usize) -> Result<Vec<RemoteItem>, SyncError> {
        let v = self.query(&format!("items&since_id={}", since.max(top))).await?;
        let mut out = Vec::new();
        for i in v.get("items").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(feed)) = (i.get("id").and_then(as_u64), i.get("feed_id").and_then(as_u64))
            else {
                continue;
            };
            out.push(RemoteItem {
                id,
                feed,
                title: text(i, "title").unwrap_or_default(),
                author: text(i, "author"),
                html: text(i, "html").unwrap_or_default(),
                url: text(i, "url"),
                read: i.get("is_read").and_then(as_u64) == Some(1),
                starred: i.get("is_saved").and_then(as_u64) == Some(1),
                published: i.get("created_on_time").and_then(as_u64).and_then(|t| i64::try_from(t).ok()),
            });
        }
        Ok(out)
    }

    fn pages_in_id_order(&self) -> bool {
        true
    }

    async fn unread_counts(&mut self) -> Result<Option<std::collections::HashMap<u64, u64>>, SyncError> {
        Ok(None)
    }

    async fn unread_ids(&mut self, _feeds: Option<&[u64]>) -> Result<HashSet<u64>, SyncError> {
        self.id_list("unread_item_ids").await
    }

    async fn starred_ids(&mut self) -> Result<HashSet<u64>, SyncError> {
        self.id_list("saved_item_ids").await
    }

    /// Fever marks one item a request.
    fn batch_size(&self) -> usize {
        1
    }

    async fn send(&mut self, items: &[u64], mark: Mark) -> Result<Vec<Sent>, SyncError> {
        let status = match mark {
            Mark::Read => "read",
            Mark::Unread => "unread",
            Mark::Star => "saved",
            Mark::Unstar => "unsaved",
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let form = [("mark", "item".to_owned()), ("as", status.to_owned()), ("id", item.to_string())];
            out.push(match self.call("", &form).await {
                Ok(_) => Sent::Done,
                Err(CallError::Refused(why)) => Sent::Rejected(why),
                Err(CallError::Failed(e)) => return Err(e),
            });
        }
        Ok(out)
    }

    async fn subscribe(&mut self, _url: &str) -> Result<ServerAnswer, SyncError> {
        Ok(ServerAnswer::Unsupported)
    }

    async fn unsubscribe(&mut self, _server_feed: u64) -> Result<ServerAnswer, SyncError> {
        Ok(ServerAnswer::Unsupported)
    }

    fn traffic(&self) -> (u64, u64, std::time::Duration) {
        self.http.traffic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_is_md5_of_user_colon_password() {
        // Both computed with coreutils' md5sum.
        assert_eq!(api_key("a@b.test", "secretsecret"), "1815ed8151638c1c367be33dc226c212");
        assert_eq!(api_key("", ""), "853ae90f0351324bd73ea615e6487517");
    }

    #[test]
    fn ids_are_read_as_numbers_or_strings() {
        assert_eq!(as_u64(&serde_json::json!(5)), Some(5));
        assert_eq!(as_u64(&serde_json::json!("17")), Some(17));
        assert_eq!(as_u64(&serde_json::json!("x")), None);
    }
}

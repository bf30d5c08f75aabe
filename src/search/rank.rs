//! A query against the index: its words and phrases, the articles that have them all, and
//! their order.
//!
//! Every word must be in an article (in its title, author, body, or its feed's title) for it
//! to match. Articles are ranked by BM25 (k1 1.2, b 0.75) over the weighted term counts, a
//! word in the feed's title adding half of what one occurrence would; equal scores go newest
//! first. A quoted phrase, or a word the tokenizer cuts into several terms (`e-mail`, a
//! Chinese word's bigrams), must also have its terms side by side: that is read from the
//! terms' places in the index (or found in the feed's title), for every article at once, so
//! a phrase costs what its words cost and the count of matches is exact.

use std::collections::{HashMap, HashSet};

use super::index::{self, Posting};
use super::snippet::snippet;
use super::tokenize;
use super::{SearchError, SearchHit, SearchRequest};
use crate::model::{ArticleId, FeedId};
use crate::store::{Store, StoreError};

const K1: f32 = 1.2;
const B: f32 = 0.75;
/// A word found in the feed's title counts this much of an occurrence in the article.
const FEED_TITLE_SHARE: f32 = 0.5;

/// Terms that must all be found; `adjacent`: and in this order, side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub terms: Vec<String>,
    pub adjacent: bool,
}

/// Splits a query into words and "quoted phrases" (an unclosed quote runs to the end).
pub(crate) fn parse_query(text: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut push = |part: &str| {
        let terms: Vec<String> = tokenize::tokens(part).into_iter().map(|t| t.term).collect();
        // A phrase of one term is a word; a word of several terms is a phrase.
        if !terms.is_empty() {
            groups.push(Group { adjacent: terms.len() > 1, terms });
        }
    };
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            push(part);
        } else {
            for word in part.split_whitespace() {
                push(word);
            }
        }
    }
    groups
}

/// The articles that match, best first, at most `request.limit` of them, each with a snippet.
/// Also returns how many articles have every term (before phrases are checked).
pub(crate) fn run(store: &Store, request: &SearchRequest) -> Result<(Vec<SearchHit>, usize), SearchError> {
    let groups = parse_query(&request.text);
    if groups.is_empty() {
        return Err(SearchError::NothingToSearch(crate::sanitize::line(&request.text)));
    }
    let mut terms: Vec<&str> = Vec::new();
    for g in &groups {
        for t in &g.terms {
            if !terms.contains(&t.as_str()) {
                terms.push(t);
            }
        }
    }
    let feeds: HashMap<FeedId, String> =
        store.feeds()?.into_iter().map(|f| (f.id, f.display_title().to_owned())).collect();
    let feed_terms: HashMap<FeedId, HashSet<String>> = feeds
        .iter()
        .map(|(id, title)| (*id, tokenize::tokens(title).into_iter().map(|t| t.term).collect()))
        .collect();
    let (count, total_len) = index::stats(store)?;
    let n = count.max(1) as f32;
    let avg_len = (total_len as f32 / n).max(1.0);

    let mut lists: Vec<Vec<(u64, f32)>> = Vec::with_capacity(terms.len() + 1);
    for term in &terms {
        let postings = index::postings(store, term)?;
        let df = postings.len() as f32;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let in_title: Vec<FeedId> =
            feed_terms.iter().filter(|(_, ts)| ts.contains(*term)).map(|(id, _)| *id).collect();
        let feed_docs = index::docs_of_feeds(store, &in_title)?;
        lists.push(merge_scores(&postings, &feed_docs, |p| bm25(p, idf, avg_len), idf * FEED_TITLE_SHARE));
    }
    if let Some(feed) = request.feed {
        lists.push(index::docs_of_feeds(store, &[feed])?.into_iter().map(|d| (d, 0.0)).collect());
    }
    // Smallest first: every later list only thins it.
    lists.sort_by_key(Vec::len);
    let mut lists = lists.into_iter();
    let mut found = lists.next().unwrap_or_default();
    for list in lists {
        found = intersect(&found, &list);
        if found.is_empty() {
            break;
        }
    }
    let phrases: Vec<&Group> = groups.iter().filter(|g| g.adjacent).collect();
    for phrase in &phrases {
        if found.is_empty() {
            break;
        }
        let mut with = index::phrase_docs(store, &phrase.terms)?;
        // An article has the phrase also when its feed's title has it.
        let in_title: Vec<FeedId> =
            feeds.iter().filter(|(_, title)| has_phrase(title, &phrase.terms)).map(|(id, _)| *id).collect();
        if !in_title.is_empty() {
            with.extend(index::docs_of_feeds(store, &in_title)?);
            with.sort_unstable();
            with.dedup();
        }
        found.retain(|(doc, _)| with.binary_search(doc).is_ok());
    }
    let matched = found.len();
    found.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));

    let limit = request.limit.unwrap_or(usize::MAX);
    let wanted: HashSet<&str> = terms.iter().copied().collect();
    let mut hits = Vec::new();
    let mut at = 0;
    while at < found.len() && hits.len() < limit {
        // Equal scores, newest first: dates are read for the tied articles only.
        let score = found[at].1;
        let end = at + found[at..].iter().take_while(|c| c.1 == score).count();
        let mut tied: Vec<(i64, u64)> = Vec::with_capacity(end - at);
        for &(doc, _) in &found[at..end] {
            let date = if end - at == 1 { 0 } else { index::doc_entry(store, doc)?.map_or(0, |e| e.date) };
            tied.push((date, doc));
        }
        tied.sort_unstable_by(|a, b| b.cmp(a));
        let tied: Vec<u64> = tied.into_iter().map(|(_, doc)| doc).collect();
        for &doc in &tied {
            if hits.len() >= limit {
                break;
            }
            if let Some(hit) = hit(store, &wanted, doc, score)? {
                hits.push(hit);
            }
        }
        at = end;
    }
    Ok((hits, matched))
}

/// A ranked article as a result, with its snippet; `None` if it was removed meanwhile.
fn hit(store: &Store, wanted: &HashSet<&str>, doc: u64, score: f32) -> Result<Option<SearchHit>, StoreError> {
    let id = ArticleId(doc);
    let Some(article) = store.article(id)? else { return Ok(None) };
    let body = match store.body(id) {
        Ok(Some(b)) => b.text(),
        Ok(None) | Err(StoreError::Corrupt(_)) => String::new(),
        Err(e) => return Err(e),
    };
    let snippet = snippet(&body, wanted);
    Ok(Some(SearchHit { article, snippet, score }))
}

fn bm25(p: &Posting, idf: f32, avg_len: f32) -> f32 {
    let tf = p.tf as f32;
    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * p.len as f32 / avg_len))
}

/// One term's matches, by id: its postings scored, and the articles of feeds whose title has
/// it (which add `feed_score`).
fn merge_scores(
    postings: &[Posting],
    feed_docs: &[u64],
    score: impl Fn(&Posting) -> f32,
    feed_score: f32,
) -> Vec<(u64, f32)> {
    let mut out = Vec::with_capacity(postings.len() + feed_docs.len());
    let (mut i, mut j) = (0, 0);
    while i < postings.len() || j < feed_docs.len() {
        let p = postings.get(i);
        let f = feed_docs.get(j).copied();
        match (p, f) {
            (Some(p), Some(f)) if p.doc == f => {
                out.push((p.doc, score(p) + feed_score));
                i += 1;
                j += 1;
            }
            (Some(p), Some(f)) if p.doc < f => {
                out.push((p.doc, score(p)));
                i += 1;
            }
            (Some(p), None) => {
                out.push((p.doc, score(p)));
                i += 1;
            }
            (_, Some(f)) => {
                out.push((f, feed_score));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// The ids in both lists (each sorted by id), their scores added.
fn intersect(a: &[(u64, f32)], b: &[(u64, f32)]) -> Vec<(u64, f32)> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Whether `text` has `phrase`'s terms side by side, in order.
pub(crate) fn has_phrase(text: &str, phrase: &[String]) -> bool {
    if phrase.is_empty() {
        return true;
    }
    // `matched[k]`: the last k terms are the phrase's first k. No term is kept, and the text
    // is read only up to the phrase.
    let mut matched = vec![false; phrase.len() + 1];
    let mut found = false;
    tokenize::for_each_token(text, |term, _| {
        for k in (1..=phrase.len()).rev() {
            matched[k] = (k == 1 || matched[k - 1]) && phrase[k - 1] == term;
        }
        found = matched[phrase.len()];
        !found
    });
    found
}

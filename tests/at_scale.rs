//! The real binary on a store of 100,000 articles (100 feeds of 1,000, the benches' store from
//! benches/common): counts, queries, query feeds, search, marking and the reader give the
//! right answers at the size heavy users have. Speed is measured by the benches (README
//! "Performance"); this proves what comes back is right at that size. One test, one store:
//! building it is most of the time.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

mod common;

#[path = "../benches/common/mod.rs"]
mod fixture;

use common::cli::Tidings;
use common::pty::Screen;

const TOTAL: u64 = (fixture::FEEDS * fixture::PER_FEED) as u64;

fn ids(json: &serde_json::Value) -> Vec<u64> {
    json.as_array().expect("an array").iter().map(|a| a["id"].as_u64().expect("an id")).collect()
}

fn titles(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .expect("an array")
        .iter()
        .map(|a| a["title"].as_str().expect("a title").to_owned())
        .collect()
}

#[test]
fn a_hundred_thousand_articles_are_counted_queried_searched_and_marked_right() {
    let t = Tidings::new();
    fixture::build(&t.data_dir());

    assert_eq!(t.ok(&["unread"]).trim(), TOTAL.to_string(), "every article counted");
    let feeds = t.json(&["feeds", "--json"]);
    assert_eq!(feeds.as_array().expect("feeds").len(), fixture::FEEDS);

    // A query that matches one article in each feed, and one that narrows it to one feed.
    let matched = t.json(&["articles", "--query", "title:\"article 999\"", "--json", "--limit", "0"]);
    assert_eq!(
        titles(&matched).len(),
        fixture::FEEDS,
        "{:?}",
        &titles(&matched)[..3.min(titles(&matched).len())]
    );
    assert!(titles(&matched).iter().all(|t| t.contains("article 999:")), "only those titles");
    let one = t.json(&["articles", "--query", "title:\"Feed 042 article 999\"", "--json"]);
    assert_eq!(titles(&one), vec!["Feed 042 article 999: a headline of a usual length".to_owned()]);
    let wanted = ids(&one)[0];

    // A query bounded by dates reads them by the date index (under 1% of the store), one that is
    // not by a pass over every article: both give exactly the articles of those dates, newest
    // first (checked against the whole listing's dates, which are fixed once the store is built).
    let every = t.json(&["articles", "--json", "--limit", "0"]);
    let dated: Vec<(u64, i64)> = every
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| {
            let published = a["published"].as_str().expect("a date");
            let date = chrono::DateTime::parse_from_rfc3339(published).expect("RFC 3339").timestamp();
            (a["id"].as_u64().expect("an id"), date)
        })
        .collect();
    assert_eq!(dated.len() as u64, TOTAL);
    let newest = dated.iter().map(|&(_, d)| d).max().expect("articles");
    for (expr, bound) in [("age<1h", None), ("date>=", Some(newest - 2 * 86_400))] {
        let before = chrono::Utc::now().timestamp();
        let expr = match bound {
            Some(from) => format!(
                "{expr}{}",
                chrono::DateTime::from_timestamp(from, 0).expect("a date").format("%Y-%m-%d")
            ),
            None => expr.to_owned(),
        };
        let listed = ids(&t.json(&["articles", "--query", &expr, "--json", "--limit", "0"]));
        let after = chrono::Utc::now().timestamp();
        let date_of: std::collections::HashMap<u64, i64> = dated.iter().copied().collect();
        // Every article the expression held at any moment of the run, and only those.
        // Every article the expression held at any moment of the run, and only those: those
        // from `surely` on were young enough all the time, those from `maybe` at its start.
        let (surely, maybe) = match bound {
            None => (after - 3599, before - 3599),
            Some(from) => {
                let midnight = from - from.rem_euclid(86_400);
                (midnight, midnight)
            }
        };
        assert!(listed.iter().all(|id| date_of[id] >= maybe), "{expr}: an article of other dates");
        let wanted = dated.iter().filter(|&&(_, d)| d >= surely).count();
        assert!(listed.len() >= wanted && wanted > 0, "{expr}: {} listed, {wanted} wanted", listed.len());
        let listed_dates: Vec<i64> = listed.iter().map(|id| date_of[id]).collect();
        assert!(listed_dates.windows(2).all(|w| w[0] >= w[1]), "{expr}: newest first");
    }

    // A query feed counts the same articles.
    t.ok(&["query", "add", "Nines", "title:\"article 999\""]);
    let list = t.json(&["query", "list", "--json"]);
    assert_eq!(list[0]["unread"], fixture::FEEDS as u64);
    assert_eq!(list[0]["total"], fixture::FEEDS as u64);

    // Search builds its index over all of them first, then finds the one article whose body
    // holds the phrase, best first.
    let found = t.json(&["search", "\"article 999 of feed 42\"", "--json"]);
    assert_eq!(ids(&found).first(), Some(&wanted), "{:?}", titles(&found));
    assert!(found[0]["snippet"].as_str().expect("a snippet").contains("999"));
    let limited = t.json(&["search", "body", "--limit", "50", "--json"]);
    assert_eq!(ids(&limited).len(), 50, "every article has the word; --limit keeps 50");

    // Marking one read changes the total, the query feed and the query's unread set at once.
    t.ok(&["mark", "read", &wanted.to_string()]);
    assert_eq!(t.ok(&["unread"]).trim(), (TOTAL - 1).to_string());
    let list = t.json(&["query", "list", "--json"]);
    assert_eq!(list[0]["unread"], fixture::FEEDS as u64 - 1);
    assert_eq!(list[0]["total"], fixture::FEEDS as u64);
    let unread_nines =
        t.json(&["articles", "--query", "unread and title:\"article 999\"", "--json", "--limit", "0"]);
    assert!(!ids(&unread_nines).contains(&wanted));
    assert_eq!(ids(&unread_nines).len(), fixture::FEEDS - 1);

    // A whole feed of 1,000 marked read at once.
    let first_feed = feeds[0]["id"].as_u64().expect("a feed id").to_string();
    t.ok(&["mark", "read", "--all", "--feed", &first_feed]);
    let after = t.ok(&["unread"]).trim().parse::<u64>().expect("a count");
    assert!(
        after == TOTAL - 1 - fixture::PER_FEED as u64 || after == TOTAL - fixture::PER_FEED as u64,
        "the feed's 1,000 read (one of them may be the one read before): {after}"
    );

    // The reader opens on it: the feeds with their counts, a feed's 1,000 articles, the last
    // one reached with G and its position shown.
    let mut screen = Screen::spawn(&t);
    screen.wait_for(&["Feed 000"]);
    screen.keys("G");
    screen.wait_for(&["Feed 099"]);
    screen.keys("\r");
    screen.wait_for(&["/1000"]);
    screen.keys("G");
    screen.wait_for(&["1000/1000"]);
    screen.keys("Q");
    assert!(screen.wait_exit(), "the reader quits");
}

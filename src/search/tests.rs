use std::collections::HashSet;

use proptest::prelude::*;

use super::rank::{has_phrase, parse_query, Group};
use super::tokenize::{tokens, MAX_TERM_BYTES};
use super::*;
use crate::model::{ArticleKey, FeedId, ParsedArticle};
use crate::store::{FeedUpdate, FetchRecord, FetchResult, NewFeed, PreparedArticle, Store, StoreSettings};

const NOW: i64 = 1_750_000_000;

fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.term).collect()
}

/// An article: `n` makes its identity, `age_hours` its date.
fn article(n: u32, age_hours: i64, title: &str, body: &str) -> ParsedArticle {
    let mut key = [0u8; 16];
    key[..4].copy_from_slice(&n.to_be_bytes());
    ParsedArticle {
        key: ArticleKey(key),
        guid: Some(format!("a{n}")),
        title: title.into(),
        date: chrono::DateTime::from_timestamp(NOW - age_hours * 3600, 0),
        content_html: body.into(),
        ..Default::default()
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &StoreSettings::default()).unwrap();
        Fixture { _dir: dir, store }
    }

    fn feed(&self, url: &str) -> FeedId {
        self.store.add_feed(NewFeed { url: url.into(), ..Default::default() }).unwrap().0
    }

    fn fetch(&self, feed: FeedId, title: &str, articles: Vec<ParsedArticle>) {
        let update = FeedUpdate {
            feed_title: title.into(),
            site_link: None,
            etag: None,
            last_modified: None,
            moved_to: None,
            articles: articles.into_iter().map(PreparedArticle::new).collect(),
        };
        self.store
            .apply_fetch(
                feed,
                FetchResult::Updated(update),
                FetchRecord::default(),
                &StoreSettings::default(),
                NOW,
            )
            .unwrap();
    }

    /// The titles of the results, best first.
    fn search(&self, text: &str) -> Vec<String> {
        self.search_in(text, None)
    }

    fn search_in(&self, text: &str, feed: Option<FeedId>) -> Vec<String> {
        let request = SearchRequest { text: text.into(), feed, limit: None };
        search(&self.store, &request).unwrap().hits.into_iter().map(|h| h.article.meta.title).collect()
    }

    fn assert_consistent(&self) {
        let report = self.store.check().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}

#[test]
fn words_are_folded_and_stemmed() {
    assert_eq!(terms("Running RUNS run"), ["run", "run", "run"]);
    assert_eq!(terms("Crème Brûlée"), terms("creme brulee"));
    assert_eq!(terms("Ærøskøbing STRASSE straße"), ["aeroskob", "strass", "strass"]);
    // A combining accent stays in its word and folds away.
    assert_eq!(terms("cafe\u{301} cafés"), terms("cafe cafes"));
    assert_eq!(terms("x86 2024 e-mail"), ["x86", "2024", "e", "mail"]);
    // Words of other languages still match themselves exactly, whatever the stemmer does.
    assert_eq!(terms("Привет мир"), terms("привет МИР"));
    let long = "a".repeat(300);
    assert_eq!(terms(&long)[0].len(), MAX_TERM_BYTES);
}

#[test]
fn cjk_runs_become_overlapping_bigrams_with_their_spans() {
    let text = "AI 机器学习 ok";
    let t = tokens(text);
    let got: Vec<(&str, &str)> = t.iter().map(|t| (t.term.as_str(), &text[t.span.clone()])).collect();
    assert_eq!(got, [("ai", "AI"), ("机器", "机器"), ("器学", "器学"), ("学习", "学习"), ("ok", "ok")]);
    assert_eq!(terms("ひらがなカタカナ"), ["ひら", "らが", "がな", "なカ", "カタ", "タカ", "カナ"]);
    assert_eq!(terms("한국어"), ["한국", "국어"]);
    assert_eq!(terms("学"), ["学"], "a lone character is its own term");
}

#[test]
fn queries_are_words_and_quoted_phrases() {
    let g = parse_query(r#"rust "Error Handling" e-mail"#);
    assert_eq!(
        g,
        [
            Group { terms: vec!["rust".into()], adjacent: false },
            Group { terms: vec!["error".into(), "handl".into()], adjacent: true },
            Group { terms: vec!["e".into(), "mail".into()], adjacent: true },
        ]
    );
    assert!(parse_query(" -- !! ").is_empty());
    assert_eq!(parse_query(r#""unclosed phrase"#).len(), 1);
    let phrase = terms("error handling");
    assert!(has_phrase("Good error-handling matters", &phrase));
    assert!(!has_phrase("handling an error", &phrase));
}

#[test]
fn title_matches_rank_above_body_matches_and_more_above_fewer() {
    let f = Fixture::new();
    let feed = f.feed("https://a.example/");
    f.fetch(
        feed,
        "Feed",
        vec![
            article(1, 1, "Weekly notes", "<p>tokio once, among many other words here</p>"),
            article(2, 2, "Tokio in depth", "<p>a runtime</p>"),
            article(3, 3, "Weekly notes", "<p>tokio tokio tokio, all about tokio</p>"),
            article(4, 4, "Unrelated", "<p>nothing</p>"),
        ],
    );
    let hits =
        search(&f.store, &SearchRequest { text: "tokio".into(), feed: None, limit: None }).unwrap().hits;
    let order: Vec<u64> = hits.iter().map(|h| h.article.meta.id.0).collect();
    let place = |id: u64| order.iter().position(|&i| i == id).unwrap();
    assert_eq!(order.len(), 3, "{order:?}");
    assert!(place(2) < place(1), "a word in the title beats one mention in a long body: {order:?}");
    assert!(place(3) < place(1), "four mentions beat one: {order:?}");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    f.assert_consistent();
}

#[test]
fn equal_scores_are_newest_first_and_every_word_must_match() {
    let f = Fixture::new();
    let feed = f.feed("https://a.example/");
    let same = "<p>sled stores bytes</p>";
    f.fetch(
        feed,
        "Feed",
        vec![article(1, 30, "old", same), article(2, 1, "new", same), article(3, 10, "middle", same)],
    );
    assert_eq!(f.search("sled"), ["new", "middle", "old"]);
    assert_eq!(f.search("sled bytes"), ["new", "middle", "old"]);
    assert!(f.search("sled missingword").is_empty());
    // Only the limit's worth, still newest first.
    let request = SearchRequest { text: "sled".into(), feed: None, limit: Some(2) };
    let r = search(&f.store, &request).unwrap();
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.matched, 3);
    assert_eq!(r.hits[0].article.meta.title, "new");
}

#[test]
fn phrases_need_their_words_side_by_side() {
    let f = Fixture::new();
    let feed = f.feed("https://a.example/");
    f.fetch(
        feed,
        "Feed",
        vec![
            article(1, 1, "one", "<p>the borrow check rejects it</p>"),
            article(2, 2, "two", "<p>check the borrow of it</p>"),
        ],
    );
    assert_eq!(f.search("borrow check"), ["one", "two"]);
    assert_eq!(f.search(r#""borrow check""#), ["one"]);
    assert_eq!(f.search(r#""Borrow Checks""#), ["one"], "phrases are folded and stemmed too");
}

#[test]
fn a_phrase_among_many_candidates_keeps_the_rank_order() {
    let f = Fixture::new();
    let feed = f.feed("https://a.example/");
    // Every article has both words; every third has them side by side. Equal texts, so the
    // order is newest first.
    let articles = (0..30u32)
        .map(|i| {
            let body = if i % 3 == 0 { "<p>red apple pie</p>" } else { "<p>apple red pie</p>" };
            article(i, i64::from(i), &format!("n{i}"), body)
        })
        .collect();
    f.fetch(feed, "Feed", articles);
    let want: Vec<String> = (0..30).filter(|i| i % 3 == 0).map(|i| format!("n{i}")).collect();
    assert_eq!(f.search(r#""red apple""#), want);
    let request = SearchRequest { text: r#""red apple""#.into(), feed: None, limit: Some(4) };
    let titles: Vec<String> =
        search(&f.store, &request).unwrap().hits.into_iter().map(|h| h.article.meta.title).collect();
    assert_eq!(titles, want[..4]);
}

#[test]
fn the_feed_title_and_feed_filter_count() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    let b = f.feed("https://b.example/");
    f.fetch(a, "Planet Haskell", vec![article(1, 1, "monads", "<p>a post</p>")]);
    f.fetch(b, "Other", vec![article(2, 1, "haskell notes", "<p>a post</p>")]);
    assert_eq!(f.search("haskell").len(), 2);
    assert_eq!(f.search("planet post"), ["monads"]);
    assert_eq!(f.search_in("haskell", Some(b)), ["haskell notes"]);
    assert_eq!(f.search_in("post", Some(a)), ["monads"]);
}

#[test]
fn updates_replace_postings_and_removal_deletes_them() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    let b = f.feed("https://b.example/");
    f.fetch(a, "A", vec![article(1, 1, "first", "<p>apples</p>")]);
    f.fetch(b, "B", vec![article(2, 1, "second", "<p>apples and pears</p>")]);
    assert_eq!(f.search("apples"), ["first", "second"]);
    // The same article with new text: the old words no longer find it.
    f.fetch(a, "A", vec![article(1, 1, "first", "<p>oranges</p>")]);
    assert_eq!(f.search("apples"), ["second"]);
    assert_eq!(f.search("oranges"), ["first"]);
    f.assert_consistent();
    f.store.remove_feed(b).unwrap();
    assert!(f.search("pears").is_empty());
    catch_up(&f.store).unwrap();
    f.assert_consistent();
    assert!(index::postings(&f.store, "pear").unwrap().is_empty(), "the removed feed's postings are gone");
    assert_eq!(index::postings(&f.store, "appl").unwrap().len(), 0);
    // Retention drops the old article: its postings go with it.
    let keep_one = StoreSettings { max_articles_per_feed: 1, ..Default::default() };
    let update = FeedUpdate {
        feed_title: "A".into(),
        site_link: None,
        etag: None,
        last_modified: None,
        moved_to: None,
        articles: vec![PreparedArticle::new(article(9, 0, "newest", "<p>kiwis</p>"))],
    };
    f.store.apply_fetch(a, FetchResult::Updated(update), FetchRecord::default(), &keep_one, NOW).unwrap();
    assert!(f.search("oranges").is_empty());
    assert_eq!(f.search("kiwi"), ["newest"]);
    f.assert_consistent();
}

#[test]
fn an_index_left_behind_is_rebuilt_and_check_finds_damage() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    f.fetch(a, "A", vec![article(1, 1, "first", "<p>zebra</p>"), article(2, 2, "second", "<p>lion</p>")]);
    assert_eq!(catch_up(&f.store).unwrap(), CatchUp { indexed: 2, rebuilt: false });
    // A tidings without search wrote here: the change count moved, the index did not.
    f.store.meta.insert("search_seq", &0u64.to_be_bytes()).unwrap();
    assert!(needs_build(&f.store).unwrap());
    assert_eq!(catch_up(&f.store).unwrap(), CatchUp { indexed: 2, rebuilt: true });
    assert_eq!(f.search("zebra"), ["first"]);
    f.assert_consistent();
    // A build without search counts a change (here: by hand) and leaves the index alone;
    // this build's next write must not hide it.
    let records = f.store.meta.get(crate::store::RECORDS_KEY).unwrap().unwrap();
    let mut r = crate::store::Records::from_bytes(&records).unwrap();
    r.seq += 1;
    f.store.meta.insert(crate::store::RECORDS_KEY, &r.to_bytes()).unwrap();
    f.store.mark(&[crate::model::ArticleId(1)], crate::store::Mark::Read).unwrap();
    assert!(needs_build(&f.store).unwrap(), "a change the index never saw is not forgotten");
    assert!(catch_up(&f.store).unwrap().rebuilt);
    assert!(!needs_build(&f.store).unwrap());
    f.store.mark(&[crate::model::ArticleId(1)], crate::store::Mark::Unread).unwrap();
    assert!(!needs_build(&f.store).unwrap(), "this build's own changes keep it current");
    // A posting lost: check says so.
    let number = f.store.search_terms.get("lion").unwrap().unwrap();
    let key = f.store.search_postings.scan_prefix(&number).keys().next().unwrap().unwrap();
    f.store.search_postings.remove(key).unwrap();
    let problems = f.store.check().unwrap().problems;
    assert!(
        problems.iter().any(|p| p.contains("article 2 has 2 search postings for its 3 terms")),
        "{problems:?}"
    );
}

#[test]
fn a_big_feed_is_indexed_in_bounded_chunks() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    let n = index::CHUNK as u32 * 2 + 7;
    f.fetch(
        a,
        "A",
        (0..n).map(|i| article(i, i64::from(i), &format!("item {i}"), "<p>common</p>")).collect(),
    );
    assert_eq!(catch_up(&f.store).unwrap().indexed, u64::from(n));
    let r = search(&f.store, &SearchRequest { text: "common".into(), feed: None, limit: Some(5) }).unwrap();
    assert_eq!(r.matched, n as usize);
    assert_eq!(r.hits[0].article.meta.title, "item 0", "newest first among equals");
    f.assert_consistent();
}

/// What catch-ups keep between them (the vocabulary and the index's numbers of its terms) is
/// dropped past its bound: terms already written keep their numbers, so old and new articles
/// are found by the same word.
#[test]
fn catch_ups_that_start_with_an_empty_vocabulary_keep_the_index_right() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    f.fetch(a, "A", vec![article(1, 2, "Old", "<p>shared walrus</p>")]);
    assert_eq!(f.search("walrus"), ["Old"]);
    *f.store.search_turn.lock().unwrap() = index::Turn::default();
    f.fetch(
        a,
        "A",
        vec![article(1, 2, "Old", "<p>shared walrus</p>"), article(2, 1, "New", "<p>shared narwhal</p>")],
    );
    assert_eq!(f.search("shared"), ["New", "Old"]);
    assert_eq!(f.search("narwhal"), ["New"]);
    assert_eq!(f.search("walrus"), ["Old"]);
    f.assert_consistent();
}

#[test]
fn snippets_show_the_match_and_nothing_unsafe() {
    let words: HashSet<&str> = ["needl"].into_iter().collect();
    let body =
        format!("{} the needle is here\u{1b}]0;x\u{7} and more {}", "hay ".repeat(40), "hay ".repeat(80));
    let s = snippet::snippet(&body, &words);
    assert!(s.starts_with('…') && s.ends_with('…') && s.contains("needle is here"), "{s}");
    assert!(!s.chars().any(crate::sanitize::is_forbidden), "{s:?}");
    assert_eq!(snippet::snippet("short text", &words), "short text");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Indexing numbers terms through a `Vocabulary`; searching cuts queries with
    /// `for_each_token`: both must give the same terms, in order, or an indexed word could
    /// not be found.
    #[test]
    fn the_vocabulary_numbers_exactly_the_terms_a_query_is_cut_into(
        texts in proptest::collection::vec(
            r"([a-zA-Z0-9éüß]{1,10}|[机器学习中文ひらがな한국어]{1,4}|e\x{301}|[ .,;!_'\x{2028}\x{3000}-]{1,3}){0,30}", 1..6),
    ) {
        let mut vocabulary = tokenize::Vocabulary::default();
        for text in &texts {
            let mut numbered = Vec::new();
            vocabulary.for_each_term(text, |n| numbered.push(n));
            // Read after: the vocabulary is lent to `for_each_term` while it cuts.
            let numbered: Vec<String> = numbered.iter().map(|&n| vocabulary.term(n).to_owned()).collect();
            prop_assert_eq!(numbered, terms(text));
        }
    }

    /// Any word of any article finds that article.
    #[test]
    fn every_word_of_an_article_finds_it(
        docs in proptest::collection::vec(
            proptest::collection::vec("[a-zA-Zéü]{1,12}|[0-9]{1,4}|[机器学习中文]{2,4}", 1..12), 1..8),
        pick in any::<proptest::sample::Index>(),
    ) {
        let f = Fixture::new();
        let feed = f.feed("https://a.example/");
        let articles = docs
            .iter()
            .enumerate()
            .map(|(i, words)| article(i as u32, i as i64, "", &format!("<p>{}</p>", words.join(" "))))
            .collect();
        f.fetch(feed, "", articles);
        let doc = pick.index(docs.len());
        let word = &docs[doc][pick.index(docs[doc].len())];
        let request = SearchRequest { text: word.clone(), feed: None, limit: None };
        let found: Vec<u64> = search(&f.store, &request).unwrap().hits.iter().map(|h| h.article.meta.id.0).collect();
        // Ids are given in document order, from 1.
        prop_assert!(found.contains(&(doc as u64 + 1)), "{word:?} in {:?}: found {found:?}", docs[doc]);
    }
}

#[test]
fn matched_ranges_light_up_stems_and_cjk_runs() {
    let text = "Running shoes: 机器学习 for RUNNERS and a run";
    let show = |query: &str| -> Vec<&str> {
        snippet::matched_ranges(text, query).into_iter().map(|r| &text[r]).collect()
    };
    assert_eq!(show("run"), ["Running", "run"], "folded and stemmed like the index");
    assert_eq!(show("runner"), ["RUNNERS"]);
    // Overlapping bigrams make one range.
    assert_eq!(show("机器学习"), ["机器学习"]);
    assert_eq!(show("\"shoes for\""), ["shoes", "for"], "words of a phrase light up where they are");
    assert!(show("!!").is_empty(), "nothing to search for lights nothing");
}

/// The feed's summary is text of the article: search finds it (words and phrases) as it finds
/// the body, and it is re-indexed when it changes.
#[test]
fn the_summary_is_searched_with_the_body() {
    let f = Fixture::new();
    let feed = f.feed("https://s.example/feed");
    let with = |summary: &str| ParsedArticle {
        summary_html: Some(summary.into()),
        ..article(1, 1, "Maps", "<p>The full essay about cartography.</p>")
    };
    f.fetch(feed, "S", vec![with("<p>A zeppelin teaser</p>"), article(2, 2, "Clocks", "<p>Gears.</p>")]);
    assert_eq!(f.search("zeppelin"), ["Maps"]);
    assert_eq!(f.search("\"zeppelin teaser\""), ["Maps"]);
    assert_eq!(f.search("cartography"), ["Maps"]);
    f.fetch(feed, "S", vec![with("<p>A balloon teaser</p>"), article(2, 2, "Clocks", "<p>Gears.</p>")]);
    assert!(f.search("zeppelin").is_empty());
    assert_eq!(f.search("balloon"), ["Maps"]);
    f.assert_consistent();
}

/// A phrase is matched in one field: the end of a title and the start of the text are not
/// side by side, nor the title and the author.
#[test]
fn phrases_do_not_run_from_one_field_into_the_next() {
    let f = Fixture::new();
    let feed = f.feed("https://a.example/");
    let mut by = article(2, 2, "written by", "<p>nothing here</p>");
    by.author = Some("Ada Lovelace".into());
    f.fetch(feed, "Feed", vec![article(1, 1, "ends with red", "<p>apple starts it</p>"), by]);
    assert_eq!(f.search("red apple"), ["ends with red"]);
    assert!(f.search(r#""red apple""#).is_empty());
    assert_eq!(f.search("by ada"), ["written by"]);
    assert!(f.search(r#""by ada""#).is_empty());
    assert_eq!(f.search(r#""ada lovelace""#), ["written by"]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A phrase finds exactly the articles whose title, author, text or feed title has its
    /// words side by side, as the text says, also after articles were replaced (their old
    /// places dropped, the others' kept).
    #[test]
    fn a_phrase_finds_exactly_the_articles_whose_text_has_it(
        docs in proptest::collection::vec(
            (proptest::collection::vec("red|apple|pie|机器|学习", 0..4),
             proptest::collection::vec("red|apple|pie|机器学习|e-mail", 0..16)), 1..10),
        replaced in proptest::collection::vec(proptest::collection::vec("red|apple|pie", 0..8), 0..4),
        phrase in proptest::collection::vec("red|apple|pie|机器|学习|e|mail", 1..4),
    ) {
        let f = Fixture::new();
        let feed = f.feed("https://a.example/");
        let make = |docs: &[(Vec<String>, Vec<String>)]| -> Vec<ParsedArticle> {
            docs.iter()
                .enumerate()
                .map(|(i, (title, body))| {
                    article(i as u32, i as i64, &format!("{i} {}", title.join(" ")), &format!("<p>{}</p>", body.join(" ")))
                })
                .collect()
        };
        f.fetch(feed, "Pie Feed", make(&docs));
        catch_up(&f.store).unwrap();
        // Some articles come again with other text.
        let mut docs = docs;
        for (i, body) in replaced.into_iter().enumerate() {
            if let Some(doc) = docs.get_mut(i) {
                doc.1 = body;
            }
        }
        f.fetch(feed, "Pie Feed", make(&docs));
        let quoted = format!("\"{}\"", phrase.join(" "));
        let wanted = terms(&phrase.join(" "));
        let feed_has_it = wanted.len() > 1 && has_phrase("Pie Feed", &wanted);
        let mut expected: Vec<String> = docs
            .iter()
            .enumerate()
            .filter(|(i, (title, body))| {
                let title = format!("{i} {}", title.join(" "));
                let words_found = wanted.iter().all(|w| {
                    terms(&title).contains(w) || terms(&body.join(" ")).contains(w) || terms("Pie Feed").contains(w)
                });
                words_found
                    && (wanted.len() == 1
                        || feed_has_it
                        || has_phrase(&title, &wanted)
                        || has_phrase(&body.join(" "), &wanted))
            })
            .map(|(i, (title, _))| format!("{i} {}", title.join(" ")))
            .collect();
        expected.sort();
        let mut found = f.search(&quoted);
        found.sort();
        prop_assert_eq!(found, expected, "{}", quoted);
        f.assert_consistent();
    }
}

/// A refresh's catch-ups between its writes leave the newest bucket (still filling) pending;
/// its last one, and every search, index all of it.
#[test]
fn catch_ups_between_writes_leave_the_newest_bucket_for_the_last_one() {
    let f = Fixture::new();
    let a = f.feed("https://a.example/");
    let n = index::CHUNK as u32 + 10;
    f.fetch(
        a,
        "A",
        (0..n).map(|i| article(i, i64::from(i), &format!("item {i}"), "<p>common</p>")).collect(),
    );
    let newest =
        f.store.search_pending.last().unwrap().map(|(k, _)| u64::from_be_bytes(k[..8].try_into().unwrap()));
    let newest_bucket = newest.unwrap() >> index::BUCKET_BITS;
    let spared = index::catch_up_sparing(&f.store, true).unwrap().unwrap();
    assert!(spared.indexed > 0 && spared.indexed < u64::from(n), "{spared:?}");
    for k in f.store.search_pending.iter().keys() {
        let id = u64::from_be_bytes(k.unwrap()[..8].try_into().unwrap());
        assert_eq!(id >> index::BUCKET_BITS, newest_bucket, "only the newest bucket is left");
    }
    let rest = index::catch_up_sparing(&f.store, false).unwrap().unwrap();
    assert_eq!(spared.indexed + rest.indexed, u64::from(n));
    assert!(f.store.search_pending.is_empty());
    f.assert_consistent();
}

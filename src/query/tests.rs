use super::parse::parse;
use super::*;

fn p(s: &str) -> Expr {
    parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {}", e.report()))
}

fn err(s: &str) -> ParseError {
    match parse(s) {
        Ok(e) => panic!("{s:?} should not parse, got {e:?}"),
        Err(e) => e,
    }
}

fn text(f: TextField, s: &str) -> Expr {
    Expr::Test(Test::Text(f, s.into()))
}

fn any(s: &str) -> Expr {
    text(TextField::TitleOrContent, s)
}

const UNREAD: Expr = Expr::Test(Test::Unread);
const STARRED: Expr = Expr::Test(Test::Starred);

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(p("a or b and c"), Expr::Or(vec![any("a"), Expr::And(vec![any("b"), any("c")])]));
    assert_eq!(p("a and b or c"), Expr::Or(vec![Expr::And(vec![any("a"), any("b")]), any("c")]));
    assert_eq!(p("(a or b) and c"), Expr::And(vec![Expr::Or(vec![any("a"), any("b")]), any("c")]));
}

#[test]
fn juxtaposition_is_and_and_keywords_ignore_case() {
    assert_eq!(p("unread rust"), Expr::And(vec![UNREAD, any("rust")]));
    assert_eq!(p("unread AND rust"), p("unread rust"));
    assert_eq!(p("starred Or unread"), Expr::Or(vec![STARRED, UNREAD]));
}

#[test]
fn not_applies_to_the_next_term_only() {
    assert_eq!(
        p("feed:12 and not content:sponsored"),
        Expr::And(vec![
            Expr::Test(Test::Feed { id: Some(12), title: String::new() }),
            Expr::Not(Box::new(text(TextField::Content, "sponsored"))),
        ])
    );
    assert_eq!(p("not unread or starred"), Expr::Or(vec![Expr::Not(Box::new(UNREAD)), STARRED]));
    assert_eq!(p("not not unread"), Expr::Not(Box::new(Expr::Not(Box::new(UNREAD)))));
}

#[test]
fn quoted_phrases_keep_spaces_and_escapes() {
    assert_eq!(p("title:\"rust 2024\""), text(TextField::Title, "rust 2024"));
    assert_eq!(p("\"or and\""), any("or and"));
    assert_eq!(p(r#"title:"say \"hi\"""#), text(TextField::Title, "say \"hi\""));
    // A value runs to the next space: a URL needs no quotes.
    assert_eq!(p("link:https://example.org/a"), text(TextField::Link, "https://example.org/a"));
}

#[test]
fn text_is_folded_when_parsed() {
    assert_eq!(p("title:CRÈME"), text(TextField::Title, "creme"));
    assert_eq!(p("author:\"Ada Lovelace\""), text(TextField::Author, "ada lovelace"));
    assert_eq!(fold("Straße Ørsted Æon Crème Brûlée"), "strasse orsted aeon creme brulee");
    // Mixed runs, and a combining accent after an ASCII letter.
    assert_eq!(fold("NAÏVE Cafe\u{301} 机器之心 ÉCOLE"), "naive cafe 机器之心 ecole");
}

#[test]
fn every_field_parses() {
    assert_eq!(p("title:x"), text(TextField::Title, "x"));
    assert_eq!(p("author:x"), text(TextField::Author, "x"));
    assert_eq!(p("content:x"), text(TextField::Content, "x"));
    assert_eq!(p("link:x"), text(TextField::Link, "x"));
    assert_eq!(p("feed:Hacker"), Expr::Test(Test::Feed { id: None, title: "hacker".into() }));
    assert_eq!(p("tag:Tech"), Expr::Test(Test::Tag("tech".into())));
    assert_eq!(p("unread"), UNREAD);
    assert_eq!(p("starred"), STARRED);
    assert_eq!(p("read"), Expr::Not(Box::new(UNREAD)));
    assert_eq!(p("age<7d"), Expr::Test(Test::Age(Cmp::Less, 7 * 86_400)));
    assert_eq!(p("age>=2w"), Expr::Test(Test::Age(Cmp::GreaterEq, 14 * 86_400)));
    assert_eq!(p("age>3h"), Expr::Test(Test::Age(Cmp::Greater, 3 * 3600)));
    assert_eq!(p("age<=90m"), Expr::Test(Test::Age(Cmp::LessEq, 90 * 60)));
    assert_eq!(p("has:images"), Expr::Test(Test::Has(HasWhat::Images)));
    assert_eq!(p("has:enclosure"), Expr::Test(Test::Has(HasWhat::Enclosure)));
    assert_eq!(p("has:link"), Expr::Test(Test::Has(HasWhat::Link)));
    assert_eq!(p("has:author"), Expr::Test(Test::Has(HasWhat::Author)));
}

#[test]
fn dates_name_a_day_a_month_or_a_year() {
    let jan1 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let feb1 = jan1 + 31 * 86_400;
    assert_eq!(p("date>=2026-01-01"), Expr::Test(Test::Date { from: Some(jan1), until: None }));
    assert_eq!(p("date>2026-01-01"), Expr::Test(Test::Date { from: Some(jan1 + 86_400), until: None }));
    assert_eq!(p("date<2026-02"), Expr::Test(Test::Date { from: None, until: Some(feb1) }));
    assert_eq!(p("date<=2026-01"), Expr::Test(Test::Date { from: None, until: Some(feb1) }));
    assert_eq!(p("date:2026-01"), Expr::Test(Test::Date { from: Some(jan1), until: Some(feb1) }));
    assert_eq!(p("date=2026"), Expr::Test(Test::Date { from: Some(jan1), until: Some(1_798_761_600) }));
}

#[test]
fn the_issue_examples_parse() {
    for s in [
        "unread and tag:tech and title:\"rust\" and age<7d",
        "starred or author:\"Ada\"",
        "feed:12 and not content:sponsored",
        "has:images",
        "has:enclosure",
        "date>=2026-01-01",
    ] {
        p(s);
    }
}

#[track_caller]
fn error_is(s: &str, column: usize, message: &str) {
    let e = err(s);
    assert_eq!((e.column, e.message.as_str()), (column, message), "for {s:?}");
}

#[test]
fn every_error_points_at_its_column() {
    error_is("unread and title:", 18, "expected a value after \"title:\"");
    error_is("title: rust", 7, "expected a value after \"title:\"");
    error_is("", 1, "the expression is empty: write a word, or a field like unread or title:rust");
    error_is("unread and", 11, "expected a term after \"and\"");
    error_is("rust or", 8, "expected a term after \"or\"");
    error_is("not", 4, "expected a term after \"not\"");
    error_is("(unread", 8, "expected \")\" to close the \"(\" at column 1");
    error_is("unread)", 7, "unexpected \")\": there is no \"(\" for it to close");
    error_is("()", 2, "expected a term before \")\"");
    error_is("or rust", 1, "expected a term before \"or\" (to search for the word, quote it: \"or\")");
    error_is("title:\"rust", 7, "this quote is never closed: add a \" at the end of the phrase");
    error_is("\"\"", 1, "an empty phrase matches everything: put a word in the quotes");
    error_is("colour:red", 1, "unknown field \"colour\" (fields: title, author, content, feed, tag, link, unread, starred, age, date, has); to search for text with a \":\", quote it");
    error_is("<3", 1, "unexpected \"<\": a comparison needs a field before it, like age<7d");
    error_is("age:7d", 4, "age compares with < or >: age<7d is newer than 7 days");
    error_is(
        "age<7y",
        5,
        "expected an age like 7d after \"age<\" (units: m minutes, h hours, d days, w weeks)",
    );
    error_is("date>=01/02/2026", 7, "expected a date like 2026-01-31, 2026-01 or 2026 after \"date>=\"");
    error_is("date<2026-13", 6, "expected a date like 2026-01-31, 2026-01 or 2026 after \"date<\"");
    error_is("title<x", 6, "title takes \":\", not \"<\": title:VALUE");
    error_is("has:colour", 5, "has: knows images, enclosure, link and author, not \"colour\"");
    error_is("unread:yes", 1, "unread takes no value: write unread, or not unread");
    // Columns count characters, not bytes.
    error_is("café and title:", 16, "expected a value after \"title:\"");
}

#[test]
fn the_report_puts_a_caret_under_the_column() {
    let e = err("unread and title:");
    assert_eq!(
        e.report(),
        "error at column 18: expected a value after \"title:\"\n  unread and title:\n                   ^"
    );
    assert_eq!(e.line(), "error at column 18: expected a value after \"title:\"");
    // Control characters never reach the terminal.
    let e = err("\u{1b}[31m title:");
    assert!(!e.report().contains('\u{1b}'), "{:?}", e.report());
}

#[test]
fn hostile_nesting_and_length_are_errors_not_overflows() {
    let deep = "(".repeat(100_000);
    let e = err(&deep);
    assert_eq!(e.column, MAX_LEN + 1, "too long is refused first");
    let nested = format!("{}unread{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    let e = err(&nested);
    assert_eq!((e.column, e.message.as_str()), (MAX_DEPTH + 1, "nested more than 64 levels deep"));
    let nots = "not ".repeat(1000) + "unread";
    assert!(err(&nots).message.contains("nested more than"));
    // Exactly the limit is fine.
    let ok = format!("{}unread{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(p(&ok), UNREAD);
}

#[test]
fn cheap_tests_come_first() {
    let q = Query::parse("content:x and title:y and unread").unwrap();
    assert_eq!(q.expr, Expr::And(vec![UNREAD, text(TextField::Title, "y"), text(TextField::Content, "x")]));
    assert!(q.reads_bodies());
    assert!(!Query::parse("unread and title:y").unwrap().reads_bodies());
}

#[test]
fn a_tag_test_may_read_the_articles_own_tags_so_it_follows_flags() {
    let q = Query::parse("tag:news and unread").unwrap();
    assert_eq!(q.expr, Expr::And(vec![UNREAD, Expr::Test(Test::Tag("news".into()))]));
}

#[test]
fn filter_actions_parse_with_tag_names_kept_as_written() {
    assert_eq!(FilterAction::parse(" Mark-Read "), Ok(FilterAction::MarkRead));
    assert_eq!(FilterAction::parse("tag:News"), Ok(FilterAction::Tag("News".into())));
    assert_eq!(FilterAction::parse("TAG:c++/rust_2024.x"), Ok(FilterAction::Tag("c++/rust_2024.x".into())));
    assert_eq!(FilterAction::parse("tag:日本"), Ok(FilterAction::Tag("日本".into())));
    for bad in ["tag:", "tag: ", "tag:a b", "tag:a,b", "tag:x=y", "tag:\"x\"", "tag:a\u{7}"] {
        assert_eq!(FilterAction::parse(bad), Err(ActionError::BadTagName), "{bad:?}");
    }
    assert_eq!(FilterAction::parse(&format!("tag:{}", "é".repeat(64))).map(|_| ()), Ok(()));
    assert_eq!(FilterAction::parse(&format!("tag:{}", "é".repeat(65))), Err(ActionError::BadTagName));
    assert_eq!(FilterAction::parse("label:x"), Err(ActionError::Unknown));
}

proptest::proptest! {
    #[test]
    fn the_parser_never_panics(s in "\\PC{0,200}") {
        let _ = Query::parse(&s);
    }

    #[test]
    fn the_parser_never_panics_on_query_like_text(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("(".to_owned()), proptest::strategy::Just(")".to_owned()),
                proptest::strategy::Just("\"".to_owned()), proptest::strategy::Just(" and ".to_owned()),
                proptest::strategy::Just(" or ".to_owned()), proptest::strategy::Just("not ".to_owned()),
                proptest::strategy::Just("title:".to_owned()), proptest::strategy::Just("age<".to_owned()),
                proptest::strategy::Just("date>=".to_owned()), proptest::strategy::Just("7d".to_owned()),
                proptest::strategy::Just("2026-01".to_owned()), proptest::strategy::Just(":".to_owned()),
                "[a-zé\\\\ ]{0,5}",
            ],
            0..40,
        )
    ) {
        let s = parts.concat();
        if let Err(e) = Query::parse(&s) {
            // The column is inside the expression or just past its end.
            proptest::prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{}", e.report());
            let _ = e.report();
        }
    }
}

/// What `content:` looked in before it had a path of its own: the body's text, folded.
fn content_as_before(html: &str, summary: Option<&str>) -> String {
    let body = crate::store::ArticleBody {
        html: html.to_owned(),
        summary: summary.map(str::to_owned),
        ..Default::default()
    };
    fold(&body.text())
}

/// The `content:` path, with scratch buffers left dirty by an earlier body as they are in a scan.
fn content_now(html: &str, summary: Option<&str>) -> String {
    let mut raw = "left over &amp; <b>".to_owned();
    let mut decoded = "left over \u{a0}".to_owned();
    let mut out = String::new();
    content::fold_body_into(html, summary, &mut out, &mut raw, &mut decoded);
    out
}

/// Bodies where flattening, decoding and folding could disagree about one character.
const TRICKY_BODIES: &[&str] = &[
    "",
    "plain text",
    "<p>Crème Brûlée</p><p>CREME brulee</p>",
    "<p>Stra&szlig;e STRASSE Straße ẞ</p>",
    "<p>tr<b>us</b>t in r<i>u</i>st</p>",
    "<p>bor<span>row</span><div>checker</div>",
    "bor<br>row che<p>cker",
    "AT&amp;T &lt;b&gt; not a tag &gt; &bogus; &amp &#39;x&#x2019; &#146; &#0; &#xD800;",
    "an entity cut by a tag: &am<b>p;amp; &#9<i>9;",
    "&nbsp;a&nbsp;b\u{a0}c &NonBreakingSpace; &#160;&#xa0;",
    "Cafe\u{301} cafe\u{301}\u{a0}x e\u{a0}\u{301} \u{a0}\u{301}",
    "机器之心 新闻阅读器，这是一个简单的段落。数据库缓存 １２３ＡＢＣ",
    "<p>日本語の<b>テキスト</b>が ガ パ</p> 한국어 텍스트",
    "Ελληνικά ΣΊΣΥΦΟΣ Привет МИР Ærøskøbing Łódź Đà Nẵng Œuvre",
    "<script>content:secret</script><style>p{}</style>seen<title>t</title><textarea>ta &amp;</textarea><xmp>x</xmp>",
    "<!-- comment --> <!doctype html><?pi?> </ bogus> < a > b <3 <",
    "<a href=\"x\" title='>'>link text</a> <img src=x alt=\"alt text\"> <iframe>fallback</iframe>",
    "<plaintext>everything &amp; <b>after",
    "<p unclosed=\"quote>rest of it",
    "<div><div><div>deep</div></div></div>\u{300}\u{5b0}\u{316}a\u{316}\u{5b0}\u{301}b",
    "&#x1F600; \u{1F600} emoji ✓ → ★ ﬁ ﬃ Ⅻ ㎏ ℌ K Å Ω",
    "i\u{307} İstanbul ΐ ǅ Dž",
];

#[test]
fn content_text_is_the_folded_body_text_on_tricky_bodies() {
    for html in TRICKY_BODIES {
        assert_eq!(content_now(html, None), content_as_before(html, None), "body {html:?}");
        for summary in ["", "Summary &amp; <b>Crème</b>", "ß\u{a0}", "\u{301}x", "&am"] {
            assert_eq!(
                content_now(html, Some(summary)),
                content_as_before(html, Some(summary)),
                "body {html:?}, summary {summary:?}"
            );
        }
    }
    assert_eq!(content_now("<p>Crème</p>&nbsp;Brûlée", Some("Stra&szlig;e")), "strasse  creme brulee");
}

#[test]
fn content_text_is_read_from_the_stored_body() {
    // A real stored body, read through the store as a scan reads it.
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), &crate::store::StoreSettings::default()).unwrap();
    let (feed, _) = store
        .add_feed(crate::store::NewFeed { url: "http://127.0.0.1/f.xml".into(), ..Default::default() })
        .unwrap();
    let articles = TRICKY_BODIES
        .iter()
        .enumerate()
        .map(|(i, html)| {
            let mut key = [0u8; 16];
            key[0] = i as u8;
            crate::store::PreparedArticle::new(crate::model::ParsedArticle {
                key: crate::model::ArticleKey(key),
                title: format!("article {i}"),
                content_html: (*html).to_owned(),
                summary_html: (i % 2 == 0).then(|| format!("summary {i} &amp; Ünïcode")),
                images: vec!["http://127.0.0.1/a.png".into()],
                links: vec!["http://127.0.0.1/a".into(), "http://127.0.0.1/b".into()],
                ..Default::default()
            })
        })
        .collect();
    let update = crate::store::FeedUpdate {
        feed_title: "f".into(),
        site_link: None,
        etag: None,
        last_modified: None,
        moved_to: None,
        articles,
    };
    store
        .apply_fetch(
            feed,
            crate::store::FetchResult::Updated(update),
            crate::store::FetchRecord::default(),
            &crate::store::StoreSettings::default(),
            1_700_000_000,
        )
        .unwrap();
    let entries = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
    assert_eq!(entries.len(), TRICKY_BODIES.len());
    for entry in entries {
        let body = store.body(entry.id).unwrap().unwrap();
        let mut out = content::buffer();
        content::folded(&store, entry.id, &mut out).unwrap();
        assert_eq!(out, fold(&body.text()), "{body:?}");
        content::give_back(out);
    }
    // An article without a body has no text.
    let mut out = String::new();
    content::folded(&store, crate::model::ArticleId(999_999), &mut out).unwrap();
    assert_eq!(out, "");
}

proptest::proptest! {
    #[test]
    fn content_text_is_the_folded_body_text(
        body in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("<b>"), proptest::strategy::Just("</b>"),
                proptest::strategy::Just("<p>"), proptest::strategy::Just("<a href='x'>"),
                proptest::strategy::Just("<script>"), proptest::strategy::Just("</script>"),
                proptest::strategy::Just("<textarea>"), proptest::strategy::Just("</textarea>"),
                proptest::strategy::Just("<!--"), proptest::strategy::Just("-->"),
                proptest::strategy::Just("<"), proptest::strategy::Just(">"),
                proptest::strategy::Just("&"), proptest::strategy::Just("amp;"),
                proptest::strategy::Just("&nbsp;"), proptest::strategy::Just("&#"),
                proptest::strategy::Just("&eacute;"), proptest::strategy::Just("\u{a0}"),
                proptest::strategy::Just("\u{301}"), proptest::strategy::Just("\u{316}"),
                proptest::strategy::Just("\u{5b0}"), proptest::strategy::Just("\u{3099}"),
                proptest::strategy::Just("ß"), proptest::strategy::Just("É"),
                proptest::strategy::Just("Ø"), proptest::strategy::Just("机器"),
                proptest::strategy::Just("が"), proptest::strategy::Just("한"),
                proptest::strategy::Just("ＡＢ"), proptest::strategy::Just("İ"),
                proptest::strategy::Just("Σ"), proptest::strategy::Just("LONGER ASCII WORDS "),
            ],
            0..60,
        ),
        summary in proptest::option::of("[a-zA-Zé&;<>/ \u{a0}\u{301}机#0-9]{0,20}"),
        junk in "[a-zé<>&;]{0,12}",
    ) {
        let html = body.concat();
        let before = content_as_before(&html, summary.as_deref());
        let mut raw = junk.clone();
        let mut decoded = junk;
        let mut out = String::new();
        content::fold_body_into(&html, summary.as_deref(), &mut out, &mut raw, &mut decoded);
        proptest::prop_assert_eq!(out, before);
    }

    #[test]
    fn folding_any_text_in_pieces_or_whole_agrees(s in "\\PC{0,300}") {
        proptest::prop_assert_eq!(fold(&s), fold_as_before(&s));
        let mut out = String::new();
        fold_into(&s, &mut out, true);
        proptest::prop_assert_eq!(out, fold_as_before(&s.replace('\u{a0}', " ")));
    }
}

/// `fold` as it was written first: every run decomposed, ASCII runs lowercased char by char.
fn fold_as_before(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        out.extend(rest[..ascii].bytes().map(|b| char::from(b.to_ascii_lowercase())));
        rest = &rest[ascii..];
        let other = rest.find(|c: char| c.is_ascii()).unwrap_or(rest.len());
        fold_unicode_as_before(&rest[..other], &mut out);
        rest = &rest[other..];
    }
    out
}

fn fold_unicode_as_before(s: &str, out: &mut String) {
    const NFD: icu_normalizer::DecomposingNormalizerBorrowed<'static> =
        icu_normalizer::DecomposingNormalizerBorrowed::new_nfd();
    for c in NFD.normalize_iter(s.chars()) {
        match c {
            '\u{300}'..='\u{36f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}' => {}
            'ß' => out.push_str("ss"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            c => out.extend(c.to_lowercase()),
        }
    }
}

#[test]
fn every_character_folds_as_before_alone_and_between_accents() {
    // Each character alone, after a letter, and among combining marks of different classes
    // (which decomposition reorders around anything that is not a starter).
    let mut s = String::new();
    for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
        s.clear();
        s.push(c);
        assert_eq!(fold(&s), fold_as_before(&s), "U+{:04X}", u32::from(c));
        if u32::from(c) <= 0xffff {
            s.clear();
            s.extend(['é', c, '\u{316}', '\u{301}', '\u{5b0}', c, 'a', '\u{a0}', c, '\u{3099}']);
            assert_eq!(fold(&s), fold_as_before(&s), "around U+{:04X}", u32::from(c));
        }
    }
}

#[test]
fn tests_run_in_parallel_give_their_results_in_order() {
    for threads in 1..=5 {
        for n in [0, 1, 15, 16, 17, 100, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let tested = eval::in_parallel(&items, threads, |i| i * 3);
            assert_eq!(
                tested,
                items.iter().map(|i| i * 3).collect::<Vec<_>>(),
                "{threads} threads, {n} items"
            );
        }
    }
}

#[test]
fn content_queries_read_by_several_threads_answer_as_one_would() {
    // Enough articles for several blocks of tests; a third of them hold the phrase.
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), &crate::store::StoreSettings::default()).unwrap();
    let (feed, _) = store
        .add_feed(crate::store::NewFeed { url: "http://127.0.0.1/f.xml".into(), ..Default::default() })
        .unwrap();
    let articles = (0..1500u32)
        .map(|i| {
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&i.to_le_bytes());
            let phrase = if i % 3 == 0 { "the Borrow <b>Checker</b>" } else { "a bor<p>row checker" };
            crate::model::ParsedArticle {
                key: crate::model::ArticleKey(key),
                title: format!("article {i}"),
                date: chrono::DateTime::from_timestamp(1_700_000_000 - i64::from(i), 0),
                content_html: format!(
                    "<p>Body {i}: {phrase}, Crème {}</p>",
                    "text ".repeat((i % 50) as usize)
                ),
                ..Default::default()
            }
        })
        .collect();
    store_articles(&store, feed, "f", articles, 1_700_000_000);
    let now = 1_700_000_000;
    let feeds: std::collections::HashMap<_, _> =
        store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect();
    let all = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
    // The last: "article 1", "article 1x", "article 1xx" and the bodies with 41 words or more.
    let long = format!("title:\"article 1\" or content:\"crème{}\"", " text".repeat(41));
    for expr in ["content:\"borrow checker\"", "not content:\"body 7\"", &long] {
        let query = Query::parse(expr).unwrap();
        // One article after the other, as the evaluator did before it used threads.
        let one_by_one = one_by_one(&store, &feeds, &all, &query, now);
        assert!(!one_by_one.is_empty() && one_by_one.len() < all.len(), "{expr}");
        for limit in [None, Some(0), Some(1), Some(7), Some(100), Some(499), Some(10_000)] {
            let q = crate::store::ArticleQuery { limit, ..Default::default() };
            let wanted: Vec<_> = one_by_one.iter().copied().take(limit.unwrap_or(usize::MAX)).collect();
            assert_eq!(matching_entries(&store, &q, &query, now).unwrap(), wanted, "{expr}, limit {limit:?}");
        }
        let counted = count_matches(&store, std::slice::from_ref(&query), now).unwrap();
        assert_eq!(counted[0].total, one_by_one.len() as u64, "{expr}");
        // Asked in another order, with an id twice and one that is not stored.
        let mut ids: Vec<_> = all.iter().rev().map(|e| e.id).collect();
        ids.extend([all[3].id, crate::model::ArticleId(999_999), all[0].id]);
        let hits: std::collections::HashSet<_> = one_by_one.iter().map(|e| e.id).collect();
        let wanted: Vec<_> = ids.iter().copied().filter(|id| hits.contains(id)).collect();
        assert_eq!(matching_ids(&store, &ids, &query, now).unwrap(), wanted, "{expr}");
    }
    // Counted together with queries that read no body, some articles read: as one by one.
    let every_fourth: Vec<_> = all.iter().step_by(4).map(|e| e.id).collect();
    store.mark(&every_fourth, crate::store::Mark::Read).unwrap();
    let all = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
    let queries: Vec<Query> =
        ["content:\"borrow checker\" and unread", "title:\"article 1\"", "unread and not content:\"body 7\""]
            .iter()
            .map(|e| Query::parse(e).unwrap())
            .collect();
    let together = count_matches(&store, &queries, now).unwrap();
    for (query, counts) in queries.iter().zip(together) {
        let wanted = one_by_one(&store, &feeds, &all, query, now);
        let unread = wanted.iter().filter(|e| !e.read).count() as u64;
        assert!(
            unread > 0 && unread < wanted.len() as u64 || query.expr.any_test(&|t| matches!(t, Test::Unread))
        );
        assert_eq!((counts.total, counts.unread), (wanted.len() as u64, unread), "{query:?}");
    }
}

/// Stores `articles` as a fetch of `feed` titled `title` would, at `now`.
pub(super) fn store_articles(
    store: &crate::store::Store,
    feed: crate::model::FeedId,
    title: &str,
    articles: Vec<crate::model::ParsedArticle>,
    now: i64,
) {
    store_articles_with(store, feed, title, articles, &crate::store::StoreSettings::default(), now);
}

/// [`store_articles`] under `settings` (its retention drops the oldest).
pub(super) fn store_articles_with(
    store: &crate::store::Store,
    feed: crate::model::FeedId,
    title: &str,
    articles: Vec<crate::model::ParsedArticle>,
    settings: &crate::store::StoreSettings,
    now: i64,
) {
    let update = crate::store::FeedUpdate {
        feed_title: title.to_owned(),
        site_link: None,
        etag: None,
        last_modified: None,
        moved_to: None,
        articles: articles.into_iter().map(crate::store::PreparedArticle::new).collect(),
    };
    store
        .apply_fetch(feed, crate::store::FetchResult::Updated(update), Default::default(), settings, now)
        .unwrap();
}

/// Which of `all` the query matches, tested one article after the other: the reference the
/// evaluator's plans and threads are checked against.
pub(super) fn one_by_one(
    store: &crate::store::Store,
    feeds: &std::collections::HashMap<crate::model::FeedId, crate::store::FeedRecord>,
    all: &[crate::store::ListEntry],
    query: &Query,
    now: i64,
) -> Vec<crate::store::ListEntry> {
    all.iter()
        .copied()
        .filter(|&e| eval::Candidate::new(store, feeds, e, now).matches(&query.expr).unwrap())
        .collect()
}

/// A store of three feeds whose 900 articles spread over 75 days (four a day in each feed,
/// two of them at the same second), and nine small feeds of ten (those from 6 on tagged
/// `tech`, 8 also `news`); some read, some starred, some with an author or a link, a few with
/// tags of their own.
pub(super) fn dated_store(now: i64) -> (tempfile::TempDir, crate::store::Store) {
    use crate::store::{NewFeed, Store, StoreSettings};
    let dir = tempfile::tempdir().unwrap();
    let settings = StoreSettings::default();
    let store = Store::open(dir.path(), &settings).unwrap();
    for f in 0..12u32 {
        let tags = match f {
            6 | 7 | 9..=11 => vec!["Tech".to_owned()],
            8 => vec!["tech".to_owned(), "news".to_owned()],
            _ => Vec::new(),
        };
        let (feed, _) = store
            .add_feed(NewFeed { url: format!("http://127.0.0.1/{f}.xml"), tags, ..Default::default() })
            .unwrap();
        let articles = (0..if f < 3 { 300u32 } else { 10 })
            .map(|i| {
                let mut key = [0u8; 16];
                key[..4].copy_from_slice(&i.to_le_bytes());
                key[4..8].copy_from_slice(&f.to_le_bytes());
                // Four a day: two at the same second, exactly so many days old, one a second
                // younger, one a second older (on both sides of every `age` edge).
                let date = now - i64::from(i / 4) * 86_400 + [0, 0, 1, -1][i as usize % 4];
                crate::model::ParsedArticle {
                    key: crate::model::ArticleKey(key),
                    title: format!("article {i} of {f}"),
                    author: (i % 4 == 0).then(|| "Zoë Writer".to_owned()),
                    link: (i % 5 != 0).then(|| format!("https://example.org/{f}/{i}")),
                    date: chrono::DateTime::from_timestamp(date, 0),
                    content_html: format!("<p>body {i}</p>"),
                    ..Default::default()
                }
            })
            .collect();
        store_articles(&store, feed, &format!("feed {f}"), articles, now);
    }
    let all = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
    let every = |n: usize| all.iter().step_by(n).map(|e| e.id).collect::<Vec<_>>();
    store.mark(&every(3), crate::store::Mark::Read).unwrap();
    store.mark(&every(7), crate::store::Mark::Star).unwrap();
    store.tag_articles(&every(97), &["tech".to_owned(), "later".to_owned()], &[]).unwrap();
    store.tag_articles(&every(89), &["news".to_owned()], &[]).unwrap();
    (dir, store)
}

#[test]
fn queries_read_only_the_dates_they_can_match_and_answer_as_one_by_one() {
    use crate::store::{ArticleQuery, DateRange};
    let now = 1_750_000_000;
    let (_dir, store) = dated_store(now);
    let feeds: std::collections::HashMap<_, _> =
        store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect();
    let all = store.list_entries(&ArticleQuery::default()).unwrap();
    assert_eq!(all.len(), 990);
    let date_of = |e: &crate::store::ListEntry| store.article(e.id).unwrap().unwrap().meta.date;
    let exprs = [
        "age<7d",
        "age<=3d and unread",
        "age>30d",
        "age>=30d and unread",
        "age>=30d or title:\"article 1 \"",
        "date>=2025-05-01 and date<2025-05-20",
        "date:2025-05",
        "not age<7d",
        "title:\"article 2\" or age<2d",
        "(age<1d or age>70d) and starred",
        "age<10d and (author:zoe or not has:link)",
        "title:\"article 1\"",
        "author:zoe and unread",
        "link:example.org/1/",
        "age<5d and age>2d",
        "age>5d and age<2d",
        "unread and feed:\"feed 1\" and age<20d",
        "tag:tech",
        "unread and tag:news",
        "tag:news or feed:\"feed 3\"",
        "feed:\"feed 4\" or feed:5 or tag:later",
        "tag:tech and feed:\"feed 8\"",
        "tag:tech and not tag:news",
        "feed:7 and title:\"article 1\"",
        "feed:\"feed 1\" and tag:tech",
        "(tag:news or tag:later) and age<30d",
        "feed:\"feed 1\" or age<2d",
    ];
    for expr in exprs {
        let query = Query::parse(expr).unwrap();
        let one_by_one = one_by_one(&store, &feeds, &all, &query, now);
        // What is read is every article the expression can match.
        let dates = query.expr.dates(now);
        let plan = eval::feeds_plan(&query.expr, &feeds);
        for e in &one_by_one {
            assert!(dates.contains(date_of(e)), "{expr}: {dates:?} leaves out a match");
            let own_tagged = !store.article_tags(e.id).unwrap().is_empty();
            assert!(
                plan.feeds.as_ref().is_none_or(|f| f.contains(&e.feed)) || (plan.own_tags && own_tagged),
                "{expr}: {plan:?} leaves out a match in {:?}",
                e.feed
            );
        }
        for limit in [None, Some(0), Some(1), Some(5), Some(200)] {
            let q = ArticleQuery { limit, ..Default::default() };
            let wanted: Vec<_> = one_by_one.iter().copied().take(limit.unwrap_or(usize::MAX)).collect();
            assert_eq!(matching_entries(&store, &q, &query, now).unwrap(), wanted, "{expr}, limit {limit:?}");
            assert_eq!(
                eval::matching_by_scan(&store, &q, &query, &feeds, dates, now).unwrap(),
                wanted,
                "{expr} by a scan, limit {limit:?}"
            );
        }
        for (unread_only, starred_only) in [(true, false), (false, true)] {
            let q = ArticleQuery { unread_only, starred_only, ..Default::default() };
            let wanted: Vec<_> = one_by_one
                .iter()
                .copied()
                .filter(|e| (!unread_only || !e.read) && (!starred_only || e.starred))
                .collect();
            assert_eq!(matching_entries(&store, &q, &query, now).unwrap(), wanted, "{expr}, {q:?}");
            assert_eq!(eval::matching_by_scan(&store, &q, &query, &feeds, dates, now).unwrap(), wanted);
        }
        let counted = count_matches(&store, std::slice::from_ref(&query), now).unwrap();
        assert_eq!(counted[0].total, one_by_one.len() as u64, "{expr}");
        assert_eq!(counted[0].unread, one_by_one.iter().filter(|e| !e.read).count() as u64, "{expr}");
    }
    // All of them counted together: those with few dates alone, the others in one pass.
    let queries: Vec<Query> = exprs.iter().map(|e| Query::parse(e).unwrap()).collect();
    let together = count_matches(&store, &queries, now).unwrap();
    for (query, counts) in queries.iter().zip(together) {
        let alone = count_matches(&store, std::slice::from_ref(query), now).unwrap();
        assert_eq!(counts, alone[0], "{query:?}");
    }

    // A listing of dates, of every feed and of each, is the listing without them, filtered.
    let ranges = [
        DateRange::ALL,
        DateRange { from: Some(now - 7 * 86_400), until: None },
        DateRange { from: None, until: Some(now - 70 * 86_400) },
        DateRange { from: Some(now - 10 * 86_400), until: Some(now - 5 * 86_400 + 1) },
        DateRange { from: Some(now), until: Some(now - 86_400) },
    ];
    let mut feed_ids: Vec<Option<crate::model::FeedId>> = feeds.keys().copied().map(Some).collect();
    feed_ids.push(None);
    for dates in ranges {
        for &feed in &feed_ids {
            let q = ArticleQuery { feed, ..Default::default() };
            let wanted: Vec<_> =
                store.list_entries(&q).unwrap().into_iter().filter(|e| dates.contains(date_of(e))).collect();
            assert_eq!(store.list_entries_dated(&q, dates).unwrap(), wanted, "{dates:?} of {feed:?}");
            // Starred ones (found through the flags records when of every feed), unread or not,
            // with a limit.
            for (unread_only, limit) in [(false, None), (true, None), (false, Some(3))] {
                let starred = ArticleQuery { feed, starred_only: true, unread_only, limit };
                let wanted: Vec<_> = wanted
                    .iter()
                    .copied()
                    .filter(|e| e.starred && (!unread_only || !e.read))
                    .take(limit.unwrap_or(usize::MAX))
                    .collect();
                assert!(!wanted.is_empty() || dates.is_empty() || feed.is_some(), "{dates:?}");
                assert_eq!(
                    store.list_entries_dated(&starred, dates).unwrap(),
                    wanted,
                    "{starred:?} {dates:?}"
                );
            }
            if feed.is_none() {
                assert!(!store.dated_more_than(dates, wanted.len()).unwrap());
                assert_eq!(
                    store.dated_more_than(dates, wanted.len().saturating_sub(1)).unwrap(),
                    !wanted.is_empty()
                );
            }
        }
    }
}

/// Bodies of words drawn (deterministically) from a small list, so that each word is in some
/// articles and not others: inside longer words, across `&nbsp;`, folded, in CJK.
fn worded_articles(from: u32, n: u32, extra: &str) -> Vec<crate::model::ParsedArticle> {
    const WORDS: [&str; 14] = [
        "rust",
        "borrow",
        "checker",
        "unsponsored",
        "zebra",
        "机器学习",
        "Crème",
        "naïve",
        "the",
        "and",
        "of",
        "feeds",
        "&amp;",
        "terminal",
    ];
    let mut seed = u64::from(from) * 0x9E37_79B9 + 7;
    (from..from + n)
        .map(|i| {
            let mut body = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            for w in 0..(3 + (seed >> 60)) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                // zebra is rare: in about one article in 30.
                let word = WORDS[(seed >> 33) as usize % WORDS.len()];
                if word == "zebra" && (seed >> 20) % 25 != 0 {
                    continue;
                }
                body.push_str(if w % 4 == 3 { "&nbsp;" } else { " " });
                body.push_str(word);
            }
            let mut key = [0u8; 16];
            key[..4].copy_from_slice(&i.to_le_bytes());
            crate::model::ParsedArticle {
                key: crate::model::ArticleKey(key),
                title: format!("article {i}"),
                date: chrono::DateTime::from_timestamp(1_700_000_000 - i64::from(i), 0),
                content_html: format!("<p>{body}{extra}</p>"),
                summary_html: (i % 10 == 0).then(|| "<b>summary</b> notes".to_owned()),
                ..Default::default()
            }
        })
        .collect()
}

/// A new feed at `http://127.0.0.1/NAME.xml`.
fn feed_named(store: &crate::store::Store, name: &str) -> crate::model::FeedId {
    store
        .add_feed(crate::store::NewFeed { url: format!("http://127.0.0.1/{name}.xml"), ..Default::default() })
        .unwrap()
        .0
}

#[test]
fn content_tests_read_only_the_bodies_the_trigram_bits_let_through_and_answer_as_one_by_one() {
    use crate::search::grams::BodyFilter;
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), &crate::store::StoreSettings::default()).unwrap();
    let add = |name: &str| feed_named(&store, name);
    // 1,500 articles, then 1,000: the first feed fills the index's first group of ids.
    let (first, second) = (add("a"), add("b"));
    store_articles(&store, first, "a", worded_articles(0, 1500, ""), 1_700_000_000);
    store_articles(&store, second, "b", worded_articles(1500, 1000, ""), 1_700_000_000);
    let now = 1_700_000_000;
    let exprs = [
        "content:zebra",
        "content:sponsor",
        "content:\"borrow checker\"",
        "content:\"r che\"",
        "content:机器",
        "content:器",
        "content:\"creme naive\"",
        "content:\"terminal & feeds\"",
        "content:of",
        "content:\"summary notes\"",
        "zebra",
        "not content:zebra",
        "unread and content:rust",
        "title:\"article 1\" or content:\"zebra the\"",
        "content:\"nowhere at all\"",
    ];
    let check = |stage: &str| {
        let feeds: std::collections::HashMap<_, _> =
            store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect();
        let all = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
        let queries: Vec<Query> = exprs.iter().map(|e| Query::parse(e).unwrap()).collect();
        let counted = count_matches(&store, &queries, now).unwrap();
        for (query, counts) in queries.iter().zip(counted) {
            let wanted = one_by_one(&store, &feeds, &all, query, now);
            let unread = wanted.iter().filter(|e| !e.read).count() as u64;
            assert_eq!((counts.total, counts.unread), (wanted.len() as u64, unread), "{stage}: {query:?}");
            for limit in [None, Some(3)] {
                let q = crate::store::ArticleQuery { limit, ..Default::default() };
                let want: Vec<_> = wanted.iter().copied().take(limit.unwrap_or(usize::MAX)).collect();
                assert_eq!(matching_entries(&store, &q, query, now).unwrap(), want, "{stage}: {query:?}");
            }
        }
        all
    };
    // A new store's index is kept from its first write: pending until caught up.
    assert!(BodyFilter::of(&store, ["zebra"]).unwrap().is_some());
    check("new store, nothing indexed yet");
    crate::search::catch_up(&store).unwrap();
    check("indexed");
    // An index an older build wrote has no bits: every body is read until it is built anew.
    store.meta.insert("search_index", &3u64.to_be_bytes()).unwrap();
    assert!(BodyFilter::of(&store, ["zebra"]).unwrap().is_none());
    check("index of an older build");
    assert!(crate::search::catch_up(&store).unwrap().rebuilt);
    let all = check("index built anew");
    let zebras = one_by_one(
        &store,
        &store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect(),
        &all,
        &Query::parse("content:zebra").unwrap(),
        now,
    );
    assert!(zebras.len() > 20 && zebras.len() < all.len() / 10, "{} of {}", zebras.len(), all.len());
    // The bits let through every article that holds the word, and few others.
    let filter = BodyFilter::of(&store, ["zebra", "sponsor"]).unwrap().unwrap();
    let through = all.iter().filter(|e| filter.may_hold("zebra", e.id.0)).count();
    assert!(zebras.iter().all(|e| filter.may_hold("zebra", e.id.0)));
    assert!(through < zebras.len() * 2, "{through} let through for {} holding it", zebras.len());
    assert!(all.iter().all(|e| filter.may_hold("ab", e.id.0)), "a word too short is never filtered");

    // Articles written and not indexed yet are read: new ones, and old ones changed.
    let third = add("c");
    store_articles(&store, third, "c", worded_articles(5000, 300, " zebra"), now);
    store_articles(&store, first, "a", worded_articles(0, 40, " unsponsored zebra"), now);
    assert!(!store.search_pending.is_empty());
    check("pending");
    crate::search::catch_up(&store).unwrap();
    check("caught up again");
    assert!(store.check().unwrap().problems.is_empty(), "{:?}", store.check().unwrap().problems);

    // The first feed gone, the group of ids it filled alone loses its bits; the check is clean.
    let group_keys = |group: u32| {
        store.search_grams.iter().keys().filter(|k| k.as_ref().unwrap()[2..6] == group.to_be_bytes()).count()
    };
    let first_group = (all.iter().map(|e| e.id.0).min().unwrap() >> crate::search::index::BUCKET_BITS) as u32;
    assert!(group_keys(first_group) > 0);
    store.remove_feed(first).unwrap();
    crate::search::catch_up(&store).unwrap();
    assert_eq!(group_keys(first_group), 0);
    check("a feed removed");
    assert!(store.check().unwrap().problems.is_empty(), "{:?}", store.check().unwrap().problems);

    // A lost bit is what the check tells: a content: test would miss that article.
    let key = store.search_grams.iter().keys().next().unwrap().unwrap();
    store.search_grams.insert(key, vec![0u8; 128]).unwrap();
    let problems = store.check().unwrap().problems;
    assert!(problems.iter().any(|p| p.contains("trigram")), "{problems:?}");
}

/// The bits are read without waiting for a build (which holds the index's turn for minutes at
/// a million articles): a build starting meanwhile must never make a count miss, and a refresh
/// that leaves its articles to a running build must find them indexed when it is done.
#[test]
fn content_counts_stay_exact_and_nothing_is_left_pending_while_the_index_is_built_beside_them() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), &crate::store::StoreSettings::default()).unwrap();
    let add = |name: &str| feed_named(&store, name);
    let first = add("a");
    store_articles(&store, first, "a", worded_articles(0, 1200, ""), 1_700_000_000);
    crate::search::catch_up(&store).unwrap();
    let now = 1_700_000_000;
    let queries =
        [Query::parse("content:zebra").unwrap(), Query::parse("content:\"borrow checker\"").unwrap()];
    let feeds = store.feeds().unwrap().into_iter().map(|f| (f.id, f)).collect();
    let all = store.list_entries(&crate::store::ArticleQuery::default()).unwrap();
    let wanted: Vec<u64> =
        queries.iter().map(|q| one_by_one(&store, &feeds, &all, q, now).len() as u64).collect();
    assert!(wanted[0] > 10, "{wanted:?}");

    // Rebuilds, one after the other, while counts are made.
    let building = AtomicBool::new(true);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..6 {
                store.meta.insert("search_index", &3u64.to_be_bytes()).unwrap();
                assert!(crate::search::catch_up(&store).unwrap().rebuilt);
            }
            building.store(false, Ordering::SeqCst);
        });
        let mut passes = 0;
        while building.load(Ordering::SeqCst) || passes < 3 {
            let counted: Vec<u64> =
                count_matches(&store, &queries, now).unwrap().iter().map(|c| c.total).collect();
            assert_eq!(counted, wanted, "pass {passes}");
            passes += 1;
        }
    });

    // Articles stored and caught up with while a build runs: left to it, not waited for...
    let second = add("b");
    store.search_draining.store(true, Ordering::SeqCst);
    store_articles(&store, second, "b", worded_articles(2000, 20, " zebra"), now);
    assert_eq!(crate::search::index::catch_up_sparing(&store, false).unwrap(), None);
    assert_eq!(store.search_pending.len(), 20);
    store.search_draining.store(false, Ordering::SeqCst);
    // ...which indexes them, however the two meet.
    assert_eq!(crate::search::index::catch_up_sparing(&store, false).unwrap().map(|c| c.indexed), Some(20));
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                store.meta.insert("search_index", &3u64.to_be_bytes()).unwrap();
                crate::search::catch_up(&store).unwrap();
            }
        });
        for step in 0..12 {
            store_articles(&store, second, "b", worded_articles(3000 + step * 50, 50, " zebra"), now);
            crate::search::index::catch_up_sparing(&store, false).unwrap();
        }
    });
    assert!(store.search_pending.is_empty(), "{} left pending", store.search_pending.len());
    assert!(!store.search_draining.load(Ordering::SeqCst));
    assert!(store.check().unwrap().problems.is_empty(), "{:?}", store.check().unwrap().problems);
}

/// A holder that asks for it (the reader) builds an index that must be built on a thread of
/// its own, instead of leaving it to the first search; a command's holder does not.
#[test]
fn a_holder_that_asks_for_it_builds_the_search_index_beside_its_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path(), &crate::store::StoreSettings::default()).unwrap();
    let feed = feed_named(&store, "a");
    store_articles(&store, feed, "a", worded_articles(0, 600, ""), 1_700_000_000);
    // As an older build leaves it.
    store.meta.insert("search_index", &3u64.to_be_bytes()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = |build_search_index| crate::engine::EngineOptions {
        store: Default::default(),
        fetch: Default::default(),
        wait: crate::engine::DEFAULT_WAIT,
        build_search_index,
    };
    let command = crate::engine::Engine::holding(store.clone(), options(false), runtime.handle().clone());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(crate::search::needs_build(&store).unwrap(), "a command leaves it to the first search");
    drop(command);

    let reader = crate::engine::Engine::holding(store.clone(), options(true), runtime.handle().clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while crate::search::needs_build(&store).unwrap() || !store.search_pending.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the index was never built");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Built: the next search finds it ready, and the trigram bits answer content: tests.
    let request = crate::search::SearchRequest { text: "zebra".into(), feed: None, limit: Some(5) };
    let found = reader.search(&request).unwrap();
    assert!(!found.caught_up.rebuilt && !found.hits.is_empty());
    assert!(crate::search::grams::BodyFilter::of(&store, ["zebra"]).unwrap().is_some());
    assert!(store.check().unwrap().problems.is_empty(), "{:?}", store.check().unwrap().problems);
    drop(reader);

    // A build cut short (a kill) leaves the rest pending: the next reader goes on with it.
    store_articles(&store, feed, "a", worded_articles(600, 1500, ""), 1_700_000_000);
    assert!(crate::search::index::far_behind(&store).unwrap());
    let _reader = crate::engine::Engine::holding(store.clone(), options(true), runtime.handle().clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !store.search_pending.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the rest was never indexed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(store.check().unwrap().problems.is_empty(), "{:?}", store.check().unwrap().problems);
}

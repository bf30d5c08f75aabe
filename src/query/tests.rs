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

use proptest::prelude::*;

use super::*;

fn kinds(src: &str) -> Vec<TokenKind<'_>> {
    Tokenizer::new(src).map(|t| t.kind).collect()
}

fn start_tag(src: &str) -> Tag<'_> {
    match Tokenizer::new(src).next().map(|t| t.kind) {
        Some(TokenKind::StartTag(tag)) => tag,
        other => panic!("not a start tag: {other:?}"),
    }
}

/// (name, raw value, decoded value) of each attribute of the first tag of `src`.
fn attrs(src: &str) -> Vec<(String, String, String)> {
    start_tag(src)
        .attributes()
        .map(|a| (a.name.to_owned(), a.raw_value.to_owned(), a.value().into_owned()))
        .collect()
}

fn tag<'a>(name: &'a str, attrs: &'a str, attrs_at: usize, self_closing: bool, complete: bool) -> Tag<'a> {
    Tag { name, self_closing, complete, attrs, attrs_at }
}

#[test]
fn every_token_kind_with_its_span() {
    let src = "<!DOCTYPE html>a<p class=x>b<br/></p><!-- c --><?pi?><script>if (a<b) x()</script>";
    let tokens: Vec<Token<'_>> = Tokenizer::new(src).collect();
    let expected = [
        (TokenKind::Bogus("DOCTYPE html"), 0..15),
        (TokenKind::Text("a"), 15..16),
        (TokenKind::StartTag(tag("p", " class=x", 18, false, true)), 16..27),
        (TokenKind::Text("b"), 27..28),
        (TokenKind::StartTag(tag("br", "", 31, true, true)), 28..33),
        (TokenKind::EndTag(tag("p", "", 36, false, true)), 33..37),
        (TokenKind::Comment(" c "), 37..47),
        (TokenKind::Bogus("pi?"), 47..53),
        (TokenKind::StartTag(tag("script", "", 60, false, true)), 53..61),
        (TokenKind::RawText { element: "script", text: "if (a<b) x()" }, 61..src.len()),
    ];
    let got: Vec<_> = tokens.into_iter().map(|t| (t.kind, t.span)).collect();
    assert_eq!(got, expected);
}

#[test]
fn attribute_quoting_missing_values_and_duplicates() {
    let got = attrs(r#"<a =eq href="x y" title='it"s' data-x=un'quoted checked id = "s p" HREF=dup>"#);
    let expected = [
        ("=eq", ""),
        ("href", "x y"),
        ("title", "it\"s"),
        ("data-x", "un'quoted"),
        ("checked", ""),
        ("id", "s p"),
        ("HREF", "dup"),
    ];
    let got: Vec<_> = got.iter().map(|(n, raw, _)| (n.as_str(), raw.as_str())).collect();
    assert_eq!(got, expected);
    // The first of duplicated attributes wins, whatever the case.
    let a = start_tag(r#"<a href="x y" HREF=dup>"#);
    assert_eq!(a.raw_attr("href"), Some("x y"));
    assert_eq!(a.raw_attr("missing"), None);
    // A value's `>` inside quotes does not end the tag; the spans point into the source.
    let src = r#"<img alt='a > b' src=i.png>after"#;
    let img = start_tag(src);
    let alt = img.attr("alt").expect("alt");
    assert_eq!(&src[alt.name_span.clone()], "alt");
    assert_eq!(alt.value_span.map(|r| &src[r]), Some("a > b"));
    assert_eq!(img.attr("src").map(|a| a.raw_value), Some("i.png"));
    assert_eq!(start_tag("<input disabled>").attr("disabled").map(|a| a.value_span), Some(None));
}

#[test]
fn entities_in_attribute_values() {
    let got = attrs(
        "<a n='&amp;&lt;&eacute;' d='&#39;&#146;' h='&#x2019;&#X41;' bad='&bogus; &amp &#xD800; &copy=1 AT&T'>",
    );
    let decoded: Vec<_> = got.iter().map(|(_, _, v)| v.as_str()).collect();
    assert_eq!(decoded, ["&<é", "'\u{2019}", "\u{2019}A", "&bogus; &amp \u{FFFD} &copy=1 AT&T"]);
    assert_eq!(got[0].1, "&amp;&lt;&eacute;");
}

#[test]
fn tag_names_keep_their_case_and_compare_without_it() {
    let t = start_tag("<DIV Class=x>");
    assert_eq!(t.name, "DIV");
    assert!(t.is("div") && !t.is("di"));
    assert_eq!(t.lower_name(), "div");
    assert!(matches!(t.lower_name(), Cow::Owned(_)));
    assert!(matches!(start_tag("<o:p>").lower_name(), Cow::Borrowed("o:p")));
    assert_eq!(
        kinds("<SCRIPT>a</Script >b"),
        [
            TokenKind::StartTag(tag("SCRIPT", "", 7, false, true)),
            TokenKind::RawText { element: "script", text: "a" },
            TokenKind::Text("b"),
        ]
    );
}

#[test]
fn raw_text_runs_to_its_own_end_tag() {
    let k = kinds("<style>p > a { }</styles></style><b>");
    assert_eq!(k[1], TokenKind::RawText { element: "style", text: "p > a { }</styles>" });
    assert!(matches!(k[2], TokenKind::StartTag(t) if t.is("b")));
    let k = kinds("<script>x</script x='>'>y");
    assert_eq!(k[1], TokenKind::RawText { element: "script", text: "x" });
    assert_eq!(k[2], TokenKind::Text("y"));
    // Unclosed: to the end. `<plaintext>` never ends. An empty one at the end has no content.
    assert_eq!(kinds("<title>a <b>")[1], TokenKind::RawText { element: "title", text: "a <b>" });
    assert_eq!(
        kinds("<plaintext>a</plaintext>b")[1],
        TokenKind::RawText { element: "plaintext", text: "a</plaintext>b" }
    );
    assert_eq!(kinds("<textarea>").len(), 1);
    // Only a complete start tag switches to raw text.
    assert_eq!(kinds("x<script").len(), 2);
}

#[test]
fn comments_closed_early_late_or_never() {
    assert_eq!(
        kinds("<!---->a<!-->b<!--->c<!-- x --!>d<!-- <p> -- > -->e<!-- open"),
        [
            TokenKind::Comment(""),
            TokenKind::Text("a"),
            TokenKind::Comment(""),
            TokenKind::Text("b"),
            TokenKind::Comment(""),
            TokenKind::Text("c"),
            TokenKind::Comment(" x "),
            TokenKind::Text("d"),
            TokenKind::Comment(" <p> -- > "),
            TokenKind::Text("e"),
            TokenKind::Comment(" open"),
        ]
    );
    assert_eq!(kinds("<!--"), [TokenKind::Comment("")]);
}

#[test]
fn a_lt_that_opens_nothing_is_text() {
    assert_eq!(
        kinds("1 < 2 <3 <> </> </ x> a<"),
        [
            TokenKind::Text("1 "),
            TokenKind::Text("<"),
            TokenKind::Text(" 2 "),
            TokenKind::Text("<"),
            TokenKind::Text("3 "),
            TokenKind::Text("<"),
            TokenKind::Text("> "),
            TokenKind::Bogus(""),
            TokenKind::Text(" "),
            TokenKind::Bogus(" x"),
            TokenKind::Text(" a"),
            TokenKind::Text("<"),
        ]
    );
    assert_eq!(kinds("x</"), [TokenKind::Text("x"), TokenKind::Text("</")]);
}

#[test]
fn a_body_cut_inside_a_tag() {
    let src = "<p>see <a href=\"http://x/long";
    let last = Tokenizer::new(src).last().expect("tokens");
    let TokenKind::StartTag(a) = last.kind else { panic!("{last:?}") };
    assert!(!a.complete && a.is("a"));
    assert_eq!(last.span, 7..src.len());
    assert_eq!(a.raw_attr("href"), Some("http://x/long"));
    assert!(matches!(kinds("</di")[0], TokenKind::EndTag(t) if !t.complete && t.name == "di"));
    // The renderer's view: the cut tag is not there.
    let shown: Vec<_> = Tokenizer::new(src).dropping_cut_tags().map(|t| t.kind).collect();
    assert_eq!(shown.len(), 2);
    assert_eq!(Tokenizer::new("<a href='x").dropping_cut_tags().count(), 0);
}

#[test]
fn hostile_sizes_take_linear_work() {
    // Each `<` is one token, read once.
    let lts = "<".repeat(1_000_000);
    assert_eq!(Tokenizer::new(&lts).count(), 1_000_000);
    // An unclosed comment, tag, quote or raw text is one token to the end (the filler holds
    // no `>`).
    for open in ["<!--", "<a href='", "<a", "<script>", "<!x", "</a"] {
        let body = format!("{open}{}", "<b x='y' &amp; ".repeat(100_000));
        assert!(Tokenizer::new(&body).count() <= 2, "{open}");
    }
    // 100,000 attributes: one tag; reading them all yields each once.
    let many = format!("<img{}>", " a=1".repeat(100_000));
    let tokens: Vec<_> = Tokenizer::new(&many).collect();
    assert_eq!(tokens.len(), 1);
    let TokenKind::StartTag(img) = &tokens[0].kind else { panic!() };
    assert_eq!(img.attributes().count(), 100_000);
    assert_eq!(img.attr("src"), None);
    // Deep nesting is just many tags.
    let deep = "<div>".repeat(100_000) + &"</div>".repeat(100_000);
    assert_eq!(Tokenizer::new(&deep).count(), 200_000);
}

/// HTML-ish text: markup characters and multi-byte ones are likely.
fn htmlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("</".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<!".to_owned()),
        Just("<?".to_owned()),
        Just("/>".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just(" ".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x".to_owned()),
        Just("script".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<plaintext>".to_owned()),
        Just("<a href=".to_owned()),
        Just("é".to_owned()),
        Just("中".to_owned()),
        Just("😀".to_owned()),
        "[a-zA-Z0-9]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// The tokens of `src` cover it in order, each on char boundaries, and so do attribute spans.
fn check_spans<'a>(src: &'a str, tokens: impl Iterator<Item = Token<'a>>, whole: bool) {
    let mut at = 0;
    for t in tokens {
        assert_eq!(t.span.start, at, "{src:?}: gap or overlap before {t:?}");
        assert!(t.span.start < t.span.end && t.span.end <= src.len(), "{src:?}: {t:?}");
        assert!(src.is_char_boundary(t.span.start) && src.is_char_boundary(t.span.end));
        if let TokenKind::StartTag(tag) | TokenKind::EndTag(tag) = &t.kind {
            for a in tag.attributes() {
                let mut ranges = vec![a.name_span.clone()];
                ranges.extend(a.value_span.clone());
                for r in ranges {
                    assert!(
                        t.span.start <= r.start && r.start <= r.end && r.end <= t.span.end,
                        "{src:?}: {a:?}"
                    );
                    assert!(src.is_char_boundary(r.start) && src.is_char_boundary(r.end));
                }
                assert_eq!(&src[a.name_span.clone()], a.name);
                let _ = a.value();
            }
        }
        at = t.span.end;
    }
    if whole {
        assert_eq!(at, src.len(), "{src:?}: not covered to the end");
    }
}

proptest! {
    #[test]
    fn spans_are_ordered_in_bounds_and_on_char_boundaries(src in htmlish()) {
        check_spans(&src, Tokenizer::new(&src), true);
        check_spans(&src, Tokenizer::new(&src).dropping_cut_tags(), false);
    }

    #[test]
    fn any_text_never_panics(src in any::<String>()) {
        check_spans(&src, Tokenizer::new(&src), true);
    }
}

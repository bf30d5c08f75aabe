//! Tests of the whole renderer: each construct, references, hostile input, bounds, the seed
//! article and the corpus, and property tests.

use std::path::{Path, PathBuf};

use super::*;
use crate::sanitize;

pub(super) fn texts(r: &Rendered) -> Vec<String> {
    r.lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
}

fn render(html: &str, width: u16) -> Rendered {
    render_article(html, width, &ArticleStyles::default())
}

/// The corpus: `TIDINGS_CORPUS`, else the copy in tests/corpus.
fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        // A copy of the shared corpus (../shared/corpus), licences in its LICENSES/ and MANIFEST.tsv.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("feeds").is_dir())
        .expect("the corpus (tests/corpus) is missing")
}

fn corpus_articles(name: &str) -> Vec<String> {
    let path = corpus_dir().join("feeds").join(name);
    let bytes = std::fs::read(&path).expect("corpus feed");
    let url = format!("file://{}", path.display());
    let feed = crate::parse::parse_feed(&bytes, None, &url).expect("the feed parses");
    feed.articles.into_iter().map(|a| a.content_html).collect()
}

/// The rendering as text, one line each, with the styles of spans shown: `{B:...}` bold etc.
fn show(r: &Rendered) -> String {
    use ratatui::style::Modifier;
    let mut s = String::new();
    for l in &r.lines {
        for sp in &l.spans {
            let m = sp.style.add_modifier;
            let mut tag = String::new();
            for (flag, c) in [
                (Modifier::BOLD, 'B'),
                (Modifier::ITALIC, 'I'),
                (Modifier::UNDERLINED, 'U'),
                (Modifier::DIM, 'D'),
                (Modifier::CROSSED_OUT, 'X'),
            ] {
                if m.contains(flag) {
                    tag.push(c);
                }
            }
            if tag.is_empty() {
                s.push_str(&sp.content);
            } else {
                s.push_str(&format!("{{{tag}:{}}}", sp.content));
            }
        }
        s.push('\n');
    }
    s
}

/// Writes renderings of the seed article and some corpus feeds to /tmp/render-dump, to read.
#[test]
#[ignore]
fn dump() {
    let dir = Path::new("/tmp/render-dump");
    std::fs::create_dir_all(dir).unwrap();
    let feeds = std::env::var("DUMP_FEEDS").unwrap_or_else(|_| "seed-jiqizhixin-rss2.xml".into());
    let width: u16 = std::env::var("DUMP_WIDTH").ok().and_then(|w| w.parse().ok()).unwrap_or(80);
    for name in feeds.split(',') {
        let mut out = String::new();
        for (i, html) in corpus_articles(name).iter().enumerate() {
            let r = render(html, width);
            out.push_str(&format!("=== article {i} ===\n"));
            out.push_str(&show(&r));
        }
        std::fs::write(dir.join(format!("{name}.{width}.txt")), out).unwrap();
    }
}

// ---- invariants ----

/// Asserts the contract of `render_article` on `r` at `width`.
#[track_caller]
fn check(r: &Rendered, width: u16) {
    let width = usize::from(width.max(1));
    assert!(!r.lines.is_empty(), "no lines");
    let blank = |l: &Line<'_>| l.spans.iter().all(|s| s.content.trim().is_empty());
    assert!(!blank(&r.lines[0]), "leading blank line");
    assert!(!blank(r.lines.last().unwrap()), "trailing blank line");
    for (i, l) in r.lines.iter().enumerate() {
        let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(l.width() <= width, "line {i} is {} wide (> {width}): {text:?}", l.width());
        let clusters: usize =
            l.spans.iter().flat_map(|s| width::graphemes(&s.content)).map(|g| g.width).sum();
        assert!(clusters <= width, "line {i} draws {clusters} columns (> {width}): {text:?}");
        for s in &l.spans {
            assert!(sanitize::is_clean_text(&s.content), "line {i} is not clean: {text:?}");
            assert!(!s.content.contains(['\t', '\n']), "line {i} holds a tab or newline: {text:?}");
            assert!(
                !s.content.chars().any(|c| ('\u{e000}'..='\u{e0ff}').contains(&c)),
                "line {i} leaks a marker: {text:?}"
            );
        }
        if i > 0 {
            assert!(!(blank(l) && blank(&r.lines[i - 1])), "two blank lines at {i}");
        }
    }
    let mut last = (0, 0);
    for c in &r.link_cells {
        let line = r.lines.get(c.line).unwrap_or_else(|| panic!("{c:?} is past the last line"));
        let drawn: usize = line.spans.iter().map(|s| width::drawn_width(&s.content)).sum();
        assert!(c.start < c.end && usize::from(c.end) <= drawn, "{c:?} is outside its line ({drawn} wide)");
        assert!((c.line, c.start) >= last, "link cells out of order at {c:?}");
        last = (c.line, c.end);
        assert!(r.reference(c.reference).is_some_and(|x| x.openable), "{c:?} links to no openable reference");
    }
    for (i, re) in r.references.iter().enumerate() {
        assert_eq!(re.number, i + 1);
        assert!(sanitize::is_clean_text(&re.url) && !re.url.contains(char::is_whitespace), "{re:?}");
        assert!(sanitize::is_clean_text(&re.text), "{re:?}");
    }
}

fn style_of(r: &Rendered, content: &str) -> Option<Style> {
    r.lines.iter().flat_map(|l| &l.spans).find(|s| s.content == content).map(|s| s.style)
}

use ratatui::style::Style;

// ---- constructs ----

#[test]
fn headings_emphasis_and_code_are_styled() {
    let st = ArticleStyles::default();
    let r = render(
        "<h2>A heading</h2><p>Some <strong>bold</strong>, <em>italic</em>, <code>code</code> and \
         <del>gone</del> text.</p>",
        80,
    );
    check(&r, 80);
    assert_eq!(texts(&r), ["A heading", "", "Some bold, italic, code and gone text."]);
    assert_eq!(style_of(&r, "A heading"), Some(st.heading));
    assert_eq!(style_of(&r, "bold"), Some(st.strong));
    assert_eq!(style_of(&r, "italic"), Some(st.emphasis));
    assert_eq!(style_of(&r, "code"), Some(st.code));
    assert_eq!(style_of(&r, "gone"), Some(st.strikeout));
    assert!(!texts(&r).concat().contains(['*', '#', '`']));
}

#[test]
fn preformatted_blocks_keep_their_lines_and_break_only_at_the_width() {
    let code = "fn main() {\n\tlet x = 1;\n    println!(\"{x}\"); // a comment that runs past twenty\n}";
    let r = render(&format!("<p>Before</p><pre>{code}</pre><p>After</p>"), 20);
    check(&r, 20);
    let t = texts(&r);
    assert_eq!(
        t,
        [
            "Before",
            "",
            "fn main() {",
            "        let x = 1;",
            "    println!(\"{x}\");",
            " // a comment that r",
            "uns past twenty",
            "}",
            "",
            "After"
        ]
    );
    assert_eq!(style_of(&r, "fn main() {"), Some(ArticleStyles::default().preformatted));
}

#[test]
fn quotes_get_a_bar_and_lists_their_markers() {
    let st = ArticleStyles::default();
    let r = render(
        "<blockquote><p>Quoted words here</p><p>Second</p></blockquote>\
         <ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul>\
         <ol start=9><li>nine</li><li>ten wraps onto a second line here</li></ol>",
        24,
    );
    check(&r, 24);
    assert_eq!(
        texts(&r),
        [
            "│ Quoted words here",
            "│",
            "│ Second",
            "",
            "• one",
            "• two",
            "  • inner",
            "9.  nine",
            "10. ten wraps onto a",
            "    second line here",
        ]
    );
    assert_eq!(r.lines[0].spans[0].style, st.quote);
    assert_eq!(style_of(&r, "Quoted words here"), Some(st.quote));
    assert_eq!(style_of(&r, "•"), Some(st.list_marker));
    assert_eq!(style_of(&r, "10."), Some(st.list_marker));
}

#[test]
fn rules_span_the_width() {
    let r = render("<p>a</p><hr><p>b</p>", 30);
    check(&r, 30);
    assert_eq!(texts(&r), ["a", "", "─".repeat(30).as_str(), "", "b"]);
    assert_eq!(style_of(&r, &"─".repeat(30)), Some(ArticleStyles::default().rule));
}

#[test]
fn tables_that_fit_are_grids_and_wide_ones_become_rows() {
    let r =
        render("<table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>", 40);
    check(&r, 40);
    let t = texts(&r);
    assert!(t.iter().any(|l| l.contains("Name") && l.contains("Value") && l.contains('│')), "{t:#?}");
    assert!(t.iter().any(|l| l.contains("alpha") && l.contains('1')), "{t:#?}");

    let head: String = (0..12).map(|i| format!("<th>H{i}</th>")).collect();
    let row: String = (0..12).map(|i| format!("<td>v{i}</td>")).collect();
    let r = render(&format!("<table><tr>{head}</tr><tr>{row}</tr></table>"), 40);
    check(&r, 40);
    assert_eq!(
        texts(&r),
        [
            "• H0 │ H1 │ H2 │ H3 │ H4 │ H5 │ H6 │ H7",
            "  │ H8 │ H9 │ H10 │ H11",
            "• v0 │ v1 │ v2 │ v3 │ v4 │ v5 │ v6 │ v7",
            "  │ v8 │ v9 │ v10 │ v11",
        ]
    );
    assert_eq!(style_of(&r, "H0"), Some(ArticleStyles::default().strong));
}

#[test]
fn blank_lines_collapse_and_the_ends_are_trimmed() {
    let r = render(
        "<p></p><br><br><p>one</p><p></p><p></p><section></section><br><br><p>two</p><div><br></div>",
        40,
    );
    check(&r, 40);
    assert_eq!(texts(&r), ["one", "", "two"]);
}

#[test]
fn an_empty_article_says_so() {
    for html in ["", "   ", "<p></p>", "<script>x</script>"] {
        let r = render(html, 40);
        check(&r, 40);
        assert_eq!(texts(&r), ["(this article has no text)"]);
    }
}

#[test]
fn preformatted_blocks_inside_quotes_and_lists_keep_their_prefix() {
    let r = render(
        "<blockquote><pre>one\n  two is longer</pre></blockquote><ul><li><pre>a\nb</pre></li></ul>\
         <pre>\n<b>bold</b> &amp; &lt;tag&gt;</pre>",
        12,
    );
    check(&r, 12);
    assert_eq!(texts(&r), ["│ one", "│   two is l", "│ onger", "", "• a", "  b", "", "bold & <tag>"]);
}

#[test]
fn clusters_html2text_would_mismeasure_come_out_whole() {
    let html = "<p>family 👨\u{200d}👩\u{200d}👧 thumbs 👍🏽 flag 🇯🇵 arabic لا سلام hebrew א\u{200d}ל \
                entity 👨&#x200D;👩 <b>pre</b>\u{301}fix</p><img src=a.png alt='👍🏽 alt'>";
    for width in [1u16, 2, 3, 6, 20, 80] {
        let r = render(html, width);
        check(&r, width);
    }
    let r = render(html, 80);
    let all = texts(&r).join("\n");
    for whole in
        ["👨\u{200d}👩\u{200d}👧", "👍🏽", "🇯🇵", "لا سلام", "א\u{200d}ל", "👨\u{200d}👩", "[image 1: 👍🏽 alt]"]
    {
        assert!(all.contains(whole), "{whole:?} in {all:?}");
    }
    assert_eq!(r.references[0].text, "👍🏽 alt");
    // Variation selectors are dropped: terminals disagree on the width they give.
    let r = render("<p>love ❤\u{fe0f} #\u{fe0f}\u{20e3}</p>", 80);
    assert_eq!(texts(&r), ["love ❤ #\u{20e3}"]);
}

#[test]
fn frames_become_links() {
    let r = render("<p>Watch:</p><iframe src='https://video.example/embed/1'>no frames</iframe>", 80);
    check(&r, 80);
    assert_eq!(texts(&r)[..3], ["Watch:", "", "(embedded frame)[1]"]);
    assert_eq!(r.references[0].url, "https://video.example/embed/1");
}

// ---- references ----

#[test]
fn links_and_images_are_numbered_in_order() {
    let st = ArticleStyles::default();
    let r = render(
        "<p>See <a href='https://a.example/x'>the docs</a> and <img src='/p.png' alt='a plot'> \
         and <img src='https://i.example/q.jpg'> then <a href='https://a.example/x'>again</a>, \
         <a href='#top'>top</a>, <a href='mailto:me@example.org'>mail</a>.</p>",
        80,
    );
    check(&r, 80);
    let t = texts(&r);
    assert_eq!(t[0], "See the docs[1] and [image 2: a plot] and [image 3] then again[1], top, mail[4].");
    assert_eq!(
        &t[1..],
        [
            "",
            "Links",
            "[1] https://a.example/x",
            "[2] /p.png",
            "[3] https://i.example/q.jpg",
            "[4] mailto:me@example.org"
        ]
    );
    let refs: Vec<_> = r
        .references
        .iter()
        .map(|x| (x.number, x.kind, x.url.as_str(), x.text.as_str(), x.openable))
        .collect();
    assert_eq!(
        refs,
        [
            (1, RefKind::Link, "https://a.example/x", "the docs", true),
            (2, RefKind::Image, "/p.png", "a plot", true),
            (3, RefKind::Image, "https://i.example/q.jpg", "", true),
            (4, RefKind::Link, "mailto:me@example.org", "mail", true),
        ]
    );
    assert_eq!(style_of(&r, "the docs"), Some(st.link));
    assert_eq!(style_of(&r, "[1]"), Some(st.note));
    assert_eq!(style_of(&r, "[image 3]"), Some(st.image));
    assert_eq!(style_of(&r, "Links"), Some(st.heading));
    assert_eq!(r.reference(2).map(|x| x.url.as_str()), Some("/p.png"));
    assert!(r.reference(0).is_none() && r.reference(5).is_none());
}

/// The text each of the rendering's link cells covers, with its reference number, in order.
fn linked_texts(r: &Rendered) -> Vec<(usize, String)> {
    r.link_cells
        .iter()
        .map(|c| {
            let mut column = 0;
            let mut text = String::new();
            for span in &r.lines[c.line].spans {
                for g in span.styled_graphemes(Style::default()) {
                    if (c.start..c.end).contains(&column) {
                        text.push_str(g.symbol);
                    }
                    column += u16::try_from(width::drawn_width(g.symbol)).unwrap();
                }
            }
            (c.reference, text)
        })
        .collect()
}

#[test]
fn link_cells_cover_each_links_text_its_marker_and_its_listed_url() {
    let r = render(
        "<p>See <a href='https://a.example/x'>the docs</a> and <img src='/p.png' alt='a plot'> \
         then <a href='https://a.example/x'>again</a>, <a href='javascript:alert(1)'>evil</a>, \
         <a href='mailto:me@example.org'><b>mail</b> me</a>.</p>",
        80,
    );
    check(&r, 80);
    let texts = texts(&r);
    assert_eq!(texts[0], "See the docs[1] and [image 2: a plot] then again[1], evil[3], mail me[4].");
    let t = |n: usize, s: &str| (n, s.to_owned());
    assert_eq!(
        linked_texts(&r),
        [
            t(1, "the docs[1]"),
            t(1, "again[1]"),
            t(4, "mail me[4]"),
            t(1, "https://a.example/x"),
            t(2, "/p.png"),
            t(4, "mailto:me@example.org"),
        ],
        "images in the body and the javascript: link are not linked; its listed URL neither"
    );
}

#[test]
fn link_cells_follow_a_link_across_lines_and_wide_characters() {
    let r = render("<p>xx <a href='/a'>one two three four</a> end</p>", 12);
    check(&r, 12);
    let parts: Vec<String> = linked_texts(&r).into_iter().filter(|(n, _)| *n == 1).map(|(_, s)| s).collect();
    assert_eq!(parts, ["one two", "three", "four[1]", "/a"]);
    let r = render("<p>中文<a href='/b'>链接的文字很长很长很长很长</a>。</p>", 12);
    check(&r, 12);
    let body: String = linked_texts(&r).into_iter().filter(|(_, s)| s != "/b").map(|(_, s)| s).collect();
    assert_eq!(body, "链接的文字很长很长很长很长[1]");
    // A long URL in the "Links" list: every piece of it, and not its continuation indent.
    let url = format!("https://example.org/{}", "a".repeat(100));
    let r = render(&format!("<a href='{url}'>x</a>"), 30);
    check(&r, 30);
    let listed: Vec<String> = linked_texts(&r).into_iter().skip(1).map(|(_, s)| s).collect();
    assert_eq!(listed.concat(), url);
    assert!(listed.len() > 3 && listed.iter().all(|s| !s.starts_with(' ')), "{listed:?}");
}

#[test]
fn the_links_list_wraps_long_urls() {
    let url = format!("https://example.org/{}", "a".repeat(100));
    let r = render(&format!("<a href='{url}'>x</a>"), 30);
    check(&r, 30);
    let t = texts(&r);
    assert_eq!(t[3], format!("[1] {}", &url[..26]));
    assert!(t[4..].iter().all(|l| l.starts_with("    ")));
    assert_eq!(t[4..].iter().map(|l| l.trim()).collect::<String>(), url[26..]);
}

#[test]
fn a_link_wrapped_across_lines_keeps_its_whole_text() {
    let r = render("<p>xx <a href='/a'>one two three four</a></p>", 12);
    check(&r, 12);
    assert_eq!(r.references[0].text, "one two three four");
    let r = render("<p>中文<a href='/b'>链接的文字很长很长很长很长</a></p>", 12);
    check(&r, 12);
    assert_eq!(r.references[0].text, "链接的文字很长很长很长很长");
}

// ---- hostile input ----

#[test]
fn control_characters_never_reach_a_line() {
    let html = "<p>red\u{1b}[31m &#27;[2J bell\u{7} c1\u{9b}31m del\u{7f} rtl\u{202e}txt.exe zw\u{2066}x</p>\
                <a href=\"https://e.example/\u{1b}]0;pwn\u{7}x\u{202e}y\">esc link</a>\
                <a href=\"https://e.example/&#27;[1m&#x202e;z\">entity link</a>\
                <img src=\"/i\u{1b}.png\" alt=\"alt\u{1b}[5m\u{202e}text\">";
    for width in [1, 5, 20, 80] {
        let r = render(html, width);
        check(&r, width);
    }
    let r = render(html, 80);
    let all = texts(&r).join("\n");
    assert!(all.contains("red[31m [2J bell c131m del rtltxt.exe zwx"), "{all}");
    assert_eq!(r.references[0].url, "https://e.example/]0;pwnxy");
    assert_eq!(r.references[1].url, "https://e.example/[1mz");
    assert_eq!(r.references[2].url, "/i.png");
    assert_eq!(r.references[2].text, "alt[5mtext");
}

#[test]
fn script_urls_are_listed_but_not_openable() {
    let r = render(
        "<a href='javascript:alert(document.cookie)'>click</a> <a href=' JaVa&#x0A;ScRiPt:x'>two</a> \
         <a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>three</a> \
         <img src='data:image/png;base64,iVBORw0KGgo=' alt='inline'>",
        80,
    );
    check(&r, 80);
    let t = texts(&r);
    assert_eq!(t[0], "click[1] two[2] three[3] [image: inline]");
    assert_eq!(t[3], "[1] javascript:alert(document.cookie) (not opened)");
    assert_eq!(t[4], "[2] JaVaScRiPt:x (not opened)");
    assert!(t[5].starts_with("[3] data:text/html;base64,") && t[5].ends_with("(not opened)"));
    assert!(r.references.iter().all(|x| !x.openable), "{:?}", r.references);
    assert_eq!(style_of(&r, "(not opened)"), Some(ArticleStyles::default().note));
}

#[test]
fn marker_characters_in_the_article_are_dropped() {
    let r = render("<p>a\u{e010}1\u{e011}b\u{e012}\u{e013}c\u{2}\u{3}\u{4}\u{5}d</p>", 40);
    check(&r, 40);
    assert_eq!(texts(&r), ["a1bcd"]);
}

// ---- widths ----

#[test]
fn cjk_wraps_at_the_width_without_short_lines() {
    let para = "这是一个测试段落，用来检查中文文本是否能够在窗格宽度处正确换行，而不会留下很短的行。";
    let html = format!("<p>Intro words {}</p><p>English then 中文 {}</p>", para.repeat(4), para.repeat(3));
    for width in [10u16, 17, 40, 80, 81, 120] {
        let r = render(&html, width);
        check(&r, width);
        let t = texts(&r);
        for (i, l) in t.iter().enumerate() {
            // A CJK line that the paragraph continues after is (nearly) full.
            let next_continues = t.get(i + 1).is_some_and(|n| n.chars().next().is_some_and(width::is_cjk));
            if l.chars().next_back().is_some_and(width::is_cjk) && next_continues {
                assert!(
                    ratatui::text::Line::from(l.as_str()).width() + 3 >= usize::from(width),
                    "short line {i} at width {width}: {l:?}\n{t:#?}"
                );
            }
            assert!(!l.starts_with(['，', '。', '、']), "line {i} starts with punctuation: {l:?}");
        }
    }
}

#[test]
fn huge_words_emoji_and_combining_marks_fit_every_width() {
    let html = format!(
        "<p>{}</p><p>{}</p><p>{}</p><p>{}</p><pre>{}</pre>",
        "x".repeat(20_000),
        "👨‍👩‍👧❤\u{fe0f}🇯🇵🇫🇷 ".repeat(40),
        "e\u{301}\u{302}a\u{308} ".repeat(60),
        "中".repeat(300),
        "long pre line ".repeat(50)
    );
    for width in [1u16, 2, 3, 4, 7, 33, 80, 299, 300] {
        let r = render(&html, width);
        check(&r, width);
    }
    let r = render(&html, 80);
    assert!(r.lines.iter().filter(|l| l.width() == 80).count() > 250);
}

#[test]
fn every_width_from_1_to_300_holds_for_a_mixed_article() {
    let html = "<h1>Title with <a href='https://x.example/very/long/path'>a link</a></h1>\
        <blockquote><ul><li>quoted item with <b>bold</b> words</li><li><ol><li>nested 中文内容很多</li></ol></li></ul></blockquote>\
        <table><tr><td>a</td><td>b b b</td><td>中文</td></tr></table><pre>\tcode\there</pre><hr>\
        <dl><dt>term</dt><dd>definition text</dd></dl><p>end 👍🏽 done</p>";
    for width in 1..=300u16 {
        let r = render(html, width);
        check(&r, width);
    }
}

// ---- bounds ----

#[test]
fn the_input_is_capped_with_a_note() {
    let html = "<p>word word word</p>".repeat(1000);
    let r = render_capped(&html, 60, &ArticleStyles::default(), 4096, &ArticleContext::default());
    check(&r, 60);
    let t = texts(&r);
    assert_eq!(
        t.last().map(String::as_str),
        Some("(the article is longer than 4 KiB; the rest is not shown)")
    );
    let r = render(&"<p>x</p>".repeat(200_000), 80);
    assert!(texts(&r).last().unwrap().contains("1024 KiB"));
}

#[test]
fn twenty_thousand_nested_divs_give_their_text_and_a_note() {
    let html = "<div>".repeat(20_000) + "deep text" + &"</div>".repeat(20_000) + "<p>after</p>";
    let r = render(&html, 80);
    check(&r, 80);
    let t = texts(&r);
    assert_eq!(t[0], "deep text");
    assert_eq!(t[2], "after");
    assert!(t.iter().any(|l| l.contains("nested more than 500 levels")), "{t:?}");
}

#[test]
fn five_thousand_nested_lists_and_quotes_give_readable_text() {
    let html = "<ul><li>level".repeat(5000) + &"</li></ul>".repeat(5000);
    let r = render(&html, 80);
    check(&r, 80);
    let t = texts(&r);
    assert!(t.len() >= 5000, "{}", t.len());
    assert!(t[0] == "• level" && t[1] == "  • level");
    assert!(t.iter().filter(|l| l.trim_start().starts_with("• level")).count() >= 4999);

    let html = "<blockquote>".repeat(2000) + "quoted" + &"</blockquote>".repeat(2000);
    let r = render(&html, 80);
    check(&r, 80);
    assert!(texts(&r)[0].ends_with("│ quoted"), "{:?}", texts(&r));

    // html2text gives up on this nesting (TooNarrow) without the flattening.
    let html = "<ul><li>".repeat(60) + "deep item" + &"</li></ul>".repeat(60);
    for width in [10u16, 40, 80] {
        let r = render(&html, width);
        check(&r, width);
        assert!(texts(&r).iter().any(|l| l.contains("deep")), "{:?}", texts(&r));
    }
}

#[test]
fn a_300_by_30_table_stays_bounded() {
    let row: String = (0..30).map(|c| format!("<td>r{{}}c{c}</td>")).collect();
    let rows: String = (0..300).map(|r| format!("<tr>{}</tr>", row.replace("{}", &r.to_string()))).collect();
    let html = format!("<table>{rows}</table>");
    let r = render(&html, 80);
    check(&r, 80);
    assert!(r.lines.len() < 2000, "{} lines", r.lines.len());
    let t = texts(&r);
    assert!(t[0].starts_with("• r0c0 │ r0c1 │ r0c2"), "{}", t[0]);
    assert!(t.iter().any(|l| l.contains("r299c29")));
}

// ---- the seed article ----

#[test]
fn the_seed_wechat_article_reads_cleanly_at_80() {
    let articles = corpus_articles("seed-jiqizhixin-rss2.xml");
    assert_eq!(articles.len(), 1);
    let r = render(&articles[0], 80);
    check(&r, 80);
    let t = texts(&r);
    let all = t.join("\n");
    // Headings (h2 and h3) are there, styled.
    let st = ArticleStyles::default();
    for h in ["为什么需要可移植的训练环境？", "使用容器进行机器学习开发", "第 4 步：使用基于容器的开发环境。"]
    {
        assert!(t.iter().any(|l| l == h), "heading {h} missing");
        assert_eq!(style_of(&r, h).map(|s| s.add_modifier), Some(st.heading.add_modifier), "{h}");
    }
    // Paragraph and list text intact, code lines on their own lines.
    assert!(all.contains("大多数人都喜欢在笔记本电脑上做原型开发。"));
    assert!(t.iter().any(|l| l == "1. 计算：训练模型离不开高性能 CPU 和 GPU。"));
    assert!(t.iter().any(|l| l.starts_with("• 我的代码是否利用了 CPU 和 GPU 上的所有可用资源？")));
    assert!(t.iter().any(|l| l == "docker start tf-dev"));
    assert!(t.iter().any(|l| l == "$(aws ecr get-login --no-include-email --region )"));
    // No markdown or inline-style noise.
    for noise in ["**", "style=", "font-size", "data-", "rgb(", "<span", "&nbsp;", "&amp;"] {
        assert!(!all.contains(noise), "{noise} in the text");
    }
    // Its 17 images, as numbered references listed after the body.
    let images = r.references.iter().filter(|x| x.kind == RefKind::Image).count();
    assert_eq!(images, 15);
    for n in [1, 2, 9, 10, 14] {
        assert!(all.contains(&format!("[image {n}]")), "[image {n}]");
    }
    assert!(t.iter().any(|l| l == "Links"));
    assert!(t.iter().any(|l| l.starts_with("[15] https://dwz.cn/")));
    // CJK paragraphs fill their lines: within a paragraph, a line that another line follows
    // is nearly full (a wide character or kinsoku may leave a column or two).
    let mut inner = 0;
    let mut short = Vec::new();
    for (i, l) in t.iter().enumerate() {
        let next = t.get(i + 1).map_or("", String::as_str);
        let cjk = l.chars().any(width::is_cjk);
        let next_continues = next.chars().next().is_some_and(width::is_cjk);
        if cjk && next_continues {
            inner += 1;
            if ratatui::text::Line::from(l.as_str()).width() < 76 {
                short.push(l.clone());
            }
        }
    }
    assert!(inner > 50, "{inner}");
    assert!(short.len() * 50 <= inner, "{} short lines of {inner}: {short:#?}", short.len());
}

#[test]
fn corpus_feeds_render_within_bounds() {
    for name in [
        "feedjira_giantrobots.xml",
        "nnw_daringfireball.atom",
        "rssant_ruanyifeng-cn.atom",
        "feedjira_href-considered-harmful.xml",
        "feedrs_rss2-cloudflare-blog.xml",
        "miniflux_urdu-rtl.xml",
        "feedreader_japantimes.xml",
    ] {
        for html in corpus_articles(name) {
            for width in [24u16, 80] {
                let r = render(&html, width);
                check(&r, width);
            }
        }
    }
}

// ---- properties ----

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// HTML-ish pieces: tags of every kind the renderer treats specially, broken markup, text
    /// in several scripts, emoji, combining marks and control characters.
    fn piece() -> impl Strategy<Value = String> {
        let tags = prop::sample::select(vec![
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<i>",
            "<em>",
            "</em>",
            "<strong>",
            "<code>",
            "</code>",
            "<s>",
            "<a href=\"https://x.example/\u{1b}[31m\u{202e}\">",
            "<a href='javascript:alert(1)'>",
            "<a href=#f>",
            "<a href=\"/rel&amp;x\">",
            "</a>",
            "<ul>",
            "</ul>",
            "<ol start=7>",
            "</ol>",
            "<li>",
            "</li>",
            "<blockquote>",
            "</blockquote>",
            "<pre>",
            "</pre>",
            "<pre><code>",
            "</code></pre>",
            "<table>",
            "<tr>",
            "<td>",
            "<th colspan=3>",
            "</td>",
            "</tr>",
            "</table>",
            "<h1>",
            "</h1>",
            "<h3>",
            "</h3>",
            "<hr>",
            "<br>",
            "<wbr>",
            "<img src=x.png>",
            "<img alt=\"a\u{202e}b\u{1b}\" src=y>",
            "<img data-src=z.jpg src='data:x'>",
            "<div>",
            "</div>",
            "<dl><dt>",
            "<dd>",
            "</dl>",
            "<sup>",
            "</sup>",
            "<svg><title>t</title></svg>",
            "<!-- c -->",
            "<script>x<p>y</script>",
            "<style>p{}</style>",
            "<span style=\"color:red\">",
            "</span>",
            "<iframe src=//v.example>fallback</iframe>",
            "<textarea>a<b",
            "<",
            "</",
            "<!",
            "<a",
            "&#27;",
            "&#x202E;",
            "&nbsp;",
            "&lt;",
            "&amp",
            "\u{e010}",
            "\u{e016}3\u{e016}",
        ])
        .prop_map(str::to_owned);
        let text = prop_oneof![
            "[a-z]{1,12}",
            " {1,3}",
            "[\u{4e00}-\u{4e40}，。、（）]{1,30}",
            "[ぁ-ん가-힣]{1,10}",
            prop::sample::select(vec![
                "👨\u{200d}👩\u{200d}👧",
                "❤\u{fe0f}",
                "🇯🇵",
                "e\u{301}",
                "👍🏽",
                "#\u{fe0f}\u{20e3}",
                "\u{644}\u{627}",
                "\u{1b}[2J",
                "\u{7}",
                "\u{0}",
                "\u{9b}",
                "\u{202e}",
                "\u{2066}",
                "\t",
                "\n",
                "\r\n",
                "\u{a0}",
                "\u{ad}",
                "\u{200b}",
                "\u{fe0f}",
                "\u{1160}",
            ])
            .prop_map(str::to_owned),
            (1usize..400).prop_map(|n| "w".repeat(n)),
        ];
        prop_oneof![3 => tags, 4 => text]
    }

    fn html() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        // TIDINGS_PROPTEST_CASES=20000 for a longer hunt.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("TIDINGS_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_line_fits_and_is_clean(html in html(), width in 1u16..=300) {
            let r = render(&html, width);
            check(&r, width);
        }

        #[test]
        fn narrow_widths_hold_too(html in html(), width in 1u16..=12) {
            let r = render(&html, width);
            check(&r, width);
        }
    }
}

// ---- fidelity: sub/sup, images without alt, absolute links, enclosures, tables ----

fn render_in(html: &str, width: u16, context: &ArticleContext<'_>) -> Rendered {
    render_article_in(html, width, &ArticleStyles::default(), context)
}

const PAGE: ArticleContext<'static> = ArticleContext {
    link: Some("https://example.test/posts/1"),
    site: Some("https://example.test/"),
    enclosures: &[],
};

#[test]
fn sub_and_sup_are_unicode_when_every_character_has_a_form() {
    let r = render(
        "<p>H<sub>2</sub>O, x<sup>2</sup>, x<sup>n+1</sup>, e<sup>-(i)</sup>, 1<sup>st</sup>, \
         a<sub>i+1</sub>, note<sup><a href='#fn1'>1</a></sup>, wiki<sup><a href='#c'>[12]</a></sup>, \
         empty<sup></sup>, nested<sup>2<sup>3</sup></sup>.</p>",
        80,
    );
    check(&r, 80);
    assert_eq!(texts(&r), ["H₂O, x², xⁿ⁺¹, e⁻⁽ⁱ⁾, 1ˢᵗ, aᵢ₊₁, note¹, wiki¹², empty, nested²³."]);
    assert!(r.references.is_empty(), "in-page footnote anchors are not numbered: {:?}", r.references);
}

#[test]
fn sub_and_sup_without_unicode_forms_are_marked() {
    let r = render(
        "<p>C<sub>q</sub>, T<sub>xyz</sub>, Brand<sup>TM</sup>, y<sup>Q</sup>, \
         z<sup>a b?</sup>, link<sup><a href='https://n.example/1'>Note</a></sup>, num<sup><a href='https://n.example/2'>3</a></sup>.</p>",
        80,
    );
    check(&r, 80);
    assert_eq!(texts(&r)[0], "C_q, T_(xyz), Brand^(TM), y^Q, z^(a b?), link^(Note[1]), num³[2].");
    // Not closed before a block (html5ever closes it there), or never closed: closed there.
    let r = render("<p>a<sup>bc</p><p>d</p><p>e<sub>Q R", 80);
    check(&r, 80);
    assert_eq!(texts(&r), ["a^(bc)", "", "d", "", "e_(Q R)"]);
    // Too long to read ahead: marked, the text kept as it is.
    let long = "word ".repeat(100);
    let r = render(&format!("<p>x<sup>{long}</sup>y</p>"), 1000);
    check(&r, 1000);
    assert_eq!(texts(&r)[0], format!("x^({long})y"));
}

#[test]
fn many_and_deeply_nested_sups_stay_bounded() {
    let html = "<sup>2".repeat(50_000) + &"</sup>".repeat(50_000);
    let r = render(&html, 80);
    check(&r, 80);
    assert!(texts(&r)[0].starts_with("^(2222"), "{:?}", &texts(&r)[0]);
    let html = "x<sup>2</sup> ".repeat(20_000);
    let r = render(&html, 80);
    check(&r, 80);
    assert!(texts(&r)[0].starts_with("x² x² x²"), "{:?}", &texts(&r)[0]);
}

#[test]
fn a_linked_image_without_alt_keeps_its_link() {
    let r = render_in(
        "<p><a href='big.jpg'><img src='thumb.jpg'></a> <a href='/b'><img src='/t.png' alt=' '></a> \
         <a href='/c'><img src='/c.png' alt='a cat'></a></p>",
        80,
        &PAGE,
    );
    check(&r, 80);
    assert_eq!(texts(&r)[0], "[image 2][1] [image 4][3] [image 6: a cat][5]");
    let refs: Vec<_> = r.references.iter().map(|x| (x.kind, x.url.as_str(), x.text.as_str())).collect();
    assert_eq!(
        refs,
        [
            (RefKind::Link, "https://example.test/posts/big.jpg", "[image 2]"),
            (RefKind::Image, "https://example.test/posts/thumb.jpg", ""),
            (RefKind::Link, "https://example.test/b", "[image 4]"),
            (RefKind::Image, "https://example.test/t.png", ""),
            (RefKind::Link, "https://example.test/c", "[image 6: a cat]"),
            (RefKind::Image, "https://example.test/c.png", "a cat"),
        ]
    );
}

#[test]
fn links_and_images_resolve_against_the_articles_base() {
    let html = "<p><a href='/post/2'>a</a> <a href='../img.png'>b</a> <a href='?p=3'>c</a> \
                <a href='//cdn.example/x'>d</a> <a href='https://o.example/'>e</a> <a href='#top'>f</a> \
                <a href='javascript:alert(1)'>g</a> <a href='data:text/html,x'>h</a> <img src='pic.png'> \
                <a href=' rel/pa th\u{1b}[31m '>i</a></p>";
    let r = render_in(html, 80, &PAGE);
    check(&r, 80);
    let urls: Vec<(&str, bool)> = r.references.iter().map(|x| (x.url.as_str(), x.openable)).collect();
    assert_eq!(
        urls,
        [
            ("https://example.test/post/2", true),
            ("https://example.test/img.png", true),
            ("https://example.test/posts/1?p=3", true),
            ("https://cdn.example/x", true),
            ("https://o.example/", true),
            ("javascript:alert(1)", false),
            ("data:text/html,x", false),
            ("https://example.test/posts/pic.png", true),
            ("https://example.test/posts/rel/pa%20th[31m", true),
        ]
    );
    let t = texts(&r);
    assert!(t.contains(&"[1] https://example.test/post/2".to_owned()), "{t:#?}");
    assert!(t.contains(&"[6] javascript:alert(1) (not opened)".to_owned()), "{t:#?}");

    // No link: the site. Neither: relative URLs stay relative.
    let site = ArticleContext { link: None, ..PAGE };
    assert_eq!(render_in("<a href='a/b'>x</a>", 80, &site).references[0].url, "https://example.test/a/b");
    let bad_link = ArticleContext { link: Some("not a url"), ..PAGE };
    assert_eq!(render_in("<a href='a/b'>x</a>", 80, &bad_link).references[0].url, "https://example.test/a/b");
    assert_eq!(render("<a href='a/b'>x</a>", 80).references[0].url, "a/b");
    // A `<base href>` in the body (the parser's xml:base) comes first, joined to the page.
    let r =
        render_in("<base href='/dir/'><base href='https://ignored.example/'><a href='x'>x</a>", 80, &PAGE);
    assert_eq!(r.references[0].url, "https://example.test/dir/x");
    let r = render_in("<base href='https://b.example/z/'><a href='x'>x</a>", 80, &ArticleContext::default());
    assert_eq!(r.references[0].url, "https://b.example/z/x");
    // A base that cannot be one is ignored; a file: base makes nothing openable.
    let r = render_in("<base href='javascript:alert(1)'><a href='x'>x</a>", 80, &PAGE);
    assert_eq!(r.references[0].url, "https://example.test/posts/x");
    let file = ArticleContext { link: Some("file:///etc/feeds/a.xml"), site: None, enclosures: &[] };
    let r = render_in("<a href='passwd'>x</a>", 80, &file);
    assert_eq!((r.references[0].url.as_str(), r.references[0].openable), ("file:///etc/feeds/passwd", false));
}

fn enclosure(url: &str, mime: Option<&str>, length: Option<u64>) -> crate::model::Enclosure {
    crate::model::Enclosure { url: url.into(), mime: mime.map(str::to_owned), length }
}

#[test]
fn enclosures_are_listed_with_type_and_size_and_numbered_after_the_links() {
    let enclosures = [
        enclosure("https://example.test/media/ep1.mp3", Some("audio/mpeg"), Some(34_200_000)),
        enclosure("/media/ep1.mp4", Some("video/mp4"), Some(1_500_000_000)),
        enclosure("https://example.test/media/ep1.mp3", Some("audio/mpeg"), None),
        enclosure("notes.pdf", None, Some(0)),
        enclosure("javascript:alert(1)", Some("text/html"), Some(999)),
    ];
    let context = ArticleContext { enclosures: &enclosures, ..PAGE };
    let r = render_in("<p>Show notes, <a href='/about'>about</a>.</p>", 80, &context);
    check(&r, 80);
    assert_eq!(
        texts(&r),
        [
            "Show notes, about[1].",
            "",
            "[enclosure 2] audio/mpeg, 34.2 MB: https://example.test/media/ep1.mp3",
            "[enclosure 3] video/mp4, 1.5 GB: https://example.test/media/ep1.mp4",
            "[enclosure 4] https://example.test/posts/notes.pdf",
            "[enclosure 5] text/html, 999 B: javascript:alert(1) (not opened)",
            "",
            "Links",
            "[1] https://example.test/about",
            "[2] https://example.test/media/ep1.mp3",
            "[3] https://example.test/media/ep1.mp4",
            "[4] https://example.test/posts/notes.pdf",
            "[5] javascript:alert(1) (not opened)",
        ]
    );
    let kinds: Vec<_> = r.references.iter().map(|x| (x.kind, x.openable)).collect();
    assert_eq!(
        kinds[1..],
        [
            (RefKind::Enclosure, true),
            (RefKind::Enclosure, true),
            (RefKind::Enclosure, true),
            (RefKind::Enclosure, false)
        ]
    );
    assert_eq!(r.reference(3).map(|x| x.text.as_str()), Some("video/mp4, 1.5 GB"));
    // The URL in the body line opens it, like a link.
    assert!(
        linked_texts(&r).contains(&(2, "https://example.test/media/ep1.mp3".to_owned())),
        "{:?}",
        linked_texts(&r)
    );
    assert!(!linked_texts(&r).iter().any(|(n, _)| *n == 5));
    // A podcast item without text shows its enclosure only.
    let r = render_in("", 80, &context);
    check(&r, 80);
    assert!(texts(&r)[0].starts_with("[enclosure 1] audio/mpeg"), "{:?}", texts(&r));
}

#[test]
fn enclosures_are_cleaned_capped_and_fit_every_width() {
    let evil = [enclosure(
        "https://e.example/\u{1b}]0;pwn\u{7}ep.mp3\u{202e}",
        Some("audio/\u{1b}[31mmpeg\u{9b}\u{202e}"),
        Some(1),
    )];
    let context = ArticleContext { enclosures: &evil, ..PAGE };
    for width in [1, 5, 20, 80] {
        check(&render_in("<p>x</p>", width, &context), width);
    }
    let r = render_in("<p>x</p>", 80, &context);
    assert_eq!(r.references[0].url, "https://e.example/]0;pwnep.mp3");
    assert_eq!(r.references[0].text, "audio/[31mmpeg, 1 B");
    let many: Vec<_> = (0..1000).map(|i| enclosure(&format!("/e/{i}"), None, None)).collect();
    let r = render_in("<p>x</p>", 80, &ArticleContext { enclosures: &many, ..PAGE });
    check(&r, 80);
    assert_eq!(r.references.len(), 100);
    let long_type = "a/".to_owned() + &"b".repeat(500);
    let one = [enclosure("/x", Some(&long_type), None)];
    let r = render_in("<p>x</p>", 80, &ArticleContext { enclosures: &one, ..PAGE });
    check(&r, 80);
    assert_eq!(r.references[0].text.chars().count(), 101);
}

#[test]
fn sizes_read_as_people_write_them() {
    let sizes: Vec<String> = [0, 999, 1000, 1536, 34_200_000, 999_960, 1_500_000_000, u64::MAX]
        .into_iter()
        .map(decorate::human_size)
        .collect();
    assert_eq!(sizes, ["0 B", "999 B", "1.0 kB", "1.5 kB", "34.2 MB", "1.0 MB", "1.5 GB", "18.4 EB"]);
}

/// Lines that are only box-drawing characters.
fn rule_lines(t: &[String]) -> Vec<&String> {
    t.iter().filter(|l| !l.is_empty() && l.chars().all(|c| "─┬┼┴│├┤ ".contains(c))).collect()
}

#[test]
fn tables_have_a_rule_only_under_a_header_row() {
    let rows = "<tr><td>alpha</td><td>1</td></tr><tr><td>beta</td><td>2</td></tr>";
    let r = render(&format!("<table><tr><th>Name</th><th>Value</th></tr>{rows}</table>"), 40);
    check(&r, 40);
    assert_eq!(texts(&r), ["Name │Value", "─────┼─────", "alpha│1", "beta │2"]);
    let r = render(&format!("<table><thead><tr><td>Name</td><td>Value</td></tr></thead>{rows}</table>"), 40);
    assert_eq!(texts(&r), ["Name │Value", "─────┼─────", "alpha│1", "beta │2"]);
    // No header: no rule at all; a first row with a data cell is no header.
    let r = render(&format!("<table>{rows}</table>"), 40);
    check(&r, 40);
    assert_eq!(texts(&r), ["alpha│1", "beta │2"]);
    let r = render(&format!("<table><tr><th>Row</th><td>x</td></tr>{rows}</table>"), 40);
    assert!(rule_lines(&texts(&r)).is_empty(), "{:#?}", texts(&r));
    // A layout table (role=presentation) never gets one.
    let r = render(&format!("<table role='presentation'><tr><th>A</th><th>B</th></tr>{rows}</table>"), 40);
    assert!(rule_lines(&texts(&r)).is_empty(), "{:#?}", texts(&r));
    // In a list item, the bullet stays.
    let r = render(&format!("<ul><li><table>{rows}</table></li></ul>"), 40);
    check(&r, 40);
    assert_eq!(texts(&r)[0].trim(), "•");
    assert!(
        texts(&r).iter().any(|l| l.contains("alpha│1")) && rule_lines(&texts(&r)).is_empty(),
        "{:#?}",
        texts(&r)
    );
}

#[test]
fn table_cells_wrap_in_aligned_columns() {
    let long = "a cell whose text is far too long for the column it sits in";
    let r = render(
        &format!(
            "<table><tr><th>Term</th><th>Meaning</th></tr><tr><td>wrap</td><td>{long}</td></tr></table>"
        ),
        40,
    );
    check(&r, 40);
    let t = texts(&r);
    assert!(t[0].starts_with("Term") && t[1].contains('┼') && t[2].starts_with("wrap"), "{t:#?}");
    let bar = t[0].find('│').unwrap();
    assert!(t.len() > 3 && t.iter().skip(2).all(|l| l.find('│') == Some(bar)), "{t:#?}");
    assert_eq!(t[2..].iter().map(|l| l[bar + '│'.len_utf8()..].trim()).collect::<Vec<_>>().join(" "), long);
}

#[test]
fn a_one_column_table_is_its_text() {
    let r = render(
        "<p>before</p><table width='100%'><tr><td><p>First cell.</p></td></tr><tr><td>Second <b>cell</b>.</td></tr>\
         <tr><th>Third</th></tr></table><p>after</p>",
        40,
    );
    check(&r, 40);
    assert_eq!(texts(&r), ["before", "", "First cell.", "", "Second cell.", "", "Third", "", "after"]);
    // Unclosed cells do not nest (html5ever would be quadratic in them).
    let html = "<table>".to_owned() + &"<tr><td>x".repeat(20_000) + "</table>";
    let p = prepare::prepare(&html, 80, MAX_HTML);
    assert!(!p.html.contains("<div><div>"), "{}", &p.html[..200]);
    let r = render(&html, 80);
    check(&r, 80);
}

/// The summary block (`tidings show`, the article view): labelled, wrapped within the width
/// (label included), one paragraph of clean text without numbered links, cut when long.
#[test]
fn summary_lines_are_labelled_clean_and_fit() {
    use unicode_width::UnicodeWidthStr;
    let html = "<p>A <a href='https://x.example/'>linked</a> teaser\u{1b}]0;pwned\u{7}\u{202e} with\
                <img src='i.png' alt='pic'></p><p>two paragraphs &amp; 中文字符 that run on and on and on.</p>";
    for width in [1u16, 5, 19, 20, 33, 80] {
        let lines = summary_lines(html, width);
        assert!(!lines.is_empty(), "{width}");
        for (label, text) in &lines {
            let line = format!("{label}{text}");
            assert!(line.width() <= usize::from(width.max(SUMMARY_LABEL.len() as u16)), "{width}: {line:?}");
            assert!(sanitize::is_clean_text(&line), "{width}: {line:?}");
            assert!(!line.contains("[1]") && !line.contains("image"), "links are not numbered: {line:?}");
        }
    }
    let wide = summary_lines(html, 80);
    assert_eq!(wide[0].0, SUMMARY_LABEL);
    assert!(wide[0].1.starts_with("A linked teaser]0;pwned with two paragraphs & 中文字符"), "{wide:?}");
    assert!(wide.iter().skip(1).all(|(l, _)| *l == SUMMARY_INDENT));
    // Narrow: the label on a line of its own, the text the whole width.
    let narrow = summary_lines(html, 12);
    assert_eq!(narrow[0], ("Summary:", String::new()));
    assert!(narrow.iter().skip(1).all(|(l, t)| l.is_empty() && t.width() <= 12), "{narrow:?}");
    // No text, no block.
    assert!(summary_lines("<p> <img src='x.png'> </p>", 80).is_empty());
    // A long one is cut at a word.
    let long = format!("<p>{}</p>", "word ".repeat(1000));
    let text: String = summary_lines(&long, 80).into_iter().map(|(_, t)| t + " ").collect();
    assert!(text.trim_end().ends_with("word…"), "{text}");
    assert!(text.chars().count() < SUMMARY_CHARS + 100, "{}", text.len());
}

#[test]
fn a_summary_above_the_body_moves_its_links_down() {
    let body = render("<p>See <a href='https://x.example/'>this</a>.</p>", 40);
    let first = body.link_cells[0];
    let with = body.clone().with_summary("<p>Short.</p>", 40, Style::new(), Style::new());
    assert_eq!(texts(&with)[..3], ["Summary: Short.", "", "See this[1]."]);
    assert_eq!(with.link_cells[0], LinkCells { line: first.line + 2, ..first });
    assert_eq!(with.references, body.references);
    // A summary without text changes nothing.
    assert_eq!(body.clone().with_summary("<br>", 40, Style::new(), Style::new()), body);
}

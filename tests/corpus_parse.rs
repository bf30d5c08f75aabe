//! Runs the parser over every real-world feed in the shared corpus (see its MANIFEST.tsv):
//! nothing may panic, failures must be the known non-feeds and broken documents, and
//! encodings and repairs must give the right text.

#![allow(clippy::unwrap_used, reason = "a test may unwrap: a panic is a failure with its line")]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::OnceLock;

use tidings::model::{FeedFormat, ParsedFeed};
use tidings::parse::{parse_feed, ParseError};
use tidings::sanitize::is_forbidden;

/// The corpus: `TIDINGS_CORPUS`, else the copy in tests/corpus.
fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        // A copy of the shared corpus (../shared/corpus), licences in its LICENSES/ and MANIFEST.tsv.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ];
    candidates.into_iter().flatten().find(|p| p.join("feeds").is_dir()).unwrap_or_else(|| {
        panic!("corpus not found: set TIDINGS_CORPUS to the folder holding feeds/ and MANIFEST.tsv")
    })
}

/// Documents that must fail, with the reason.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    ("feedparser_ill-empty-document.xml", "only a comment"),
    ("feedrs_rss2-invalid.xml", "truncated before any item"),
    ("miniflux_iso88591-utf8-mismatch.xml", "root is <note>"),
    ("nnw_allthis-partial.json", "truncated JSON"),
    ("nnw_scriptingnews-rss-as-json.json", "JSON but not JSON Feed"),
    ("nodefp_notafeed.html", "HTML page"),
    ("rssant_failed-egoist-moe.atom", "HTML fragment"),
    ("rssant_failed-hexun-gb2312-nodecl.xml", "HTML page"),
    ("rssant_failed-jsonfeed-syntax.json", "trailing comma"),
    ("rssant_failed-wappblog.xml", "HTML page"),
    ("rssant_failed-yuming-in.xml", "HTML page"),
    ("rssant_failed-yx-bsh-me-cn.xml", "HTML page"),
    ("rssparser_unrecognized.rss", "HTML page"),
];

type Results = BTreeMap<String, Result<ParsedFeed, String>>;

/// The corpus parsed once, shared by the tests.
fn parsed() -> &'static Results {
    static ALL: OnceLock<Results> = OnceLock::new();
    ALL.get_or_init(parse_all)
}

/// Parses every file; a panic fails the test naming the file.
fn parse_all() -> Results {
    let dir = corpus_dir().join("feeds");
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let url = format!("https://corpus.example/feeds/{name}");
        let result = catch_unwind(AssertUnwindSafe(|| parse_feed(&bytes, None, &url)))
            .unwrap_or_else(|_| panic!("{name}: parse_feed panicked"));
        out.insert(name, result.map_err(|e: ParseError| e.to_string()));
    }
    out
}

fn get<'a>(all: &'a Results, name: &str) -> &'a ParsedFeed {
    match all.get(name) {
        Some(Ok(f)) => f,
        Some(Err(e)) => panic!("{name} failed: {e}"),
        None => panic!("{name} is not in the corpus"),
    }
}

fn body_text(f: &ParsedFeed) -> String {
    f.articles.iter().map(|a| format!("{}\n{}\n", a.title, a.content_html)).collect()
}

#[test]
fn every_corpus_feed_parses_or_fails_cleanly() {
    let all = parsed();
    assert!(all.len() >= 250, "corpus has {} feeds", all.len());
    let mut failures = Vec::new();
    for (name, r) in all {
        if let Err(msg) = r {
            assert!(!msg.trim().is_empty(), "{name}: empty error message");
            assert!(!msg.contains('\n'), "{name}: multi-line error message {msg:?}");
            assert!(!msg.chars().any(is_forbidden), "{name}: control character in error {msg:?}");
            failures.push((name.as_str(), msg.as_str()));
        }
    }
    let parsed = all.len() - failures.len();
    eprintln!("corpus: {parsed} of {} parse, {} fail", all.len(), failures.len());
    for (name, msg) in &failures {
        eprintln!("  {name}: {msg}");
    }
    let unexpected: Vec<_> =
        failures.iter().filter(|(n, _)| !EXPECTED_FAILURES.iter().any(|(e, _)| e == n)).collect();
    assert!(unexpected.is_empty(), "unexpected failures: {unexpected:#?}");
    assert!(parsed >= 235, "only {parsed} feeds parse");
}

#[test]
fn feeds_feed_rs_rejects_are_repaired() {
    let all = parsed();
    let manifest = std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).unwrap_or_default();
    // Bare <rss> (no version, or one feed-rs does not know): NoFeedRoot in feed-rs.
    let bare: Vec<&str> = manifest
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.get(4) == Some(&"rss(no-version)")).then(|| cols[0].trim_start_matches("feeds/"))
        })
        .collect();
    assert_eq!(bare.len(), 17, "manifest lists 17 bare-rss files");
    for name in bare {
        get(all, name);
    }
    // JSON Feed with an http:// version URL.
    assert_eq!(get(all, "nnw_pxlnv.json").articles.len(), 20);
    // JSON Feed without a title, with tags as a string.
    get(all, "rssant_failed-jsonfeed-no-title-items.json");
    assert_eq!(get(all, "nnw_rose.json").articles.len(), 84);
    // Bare ampersands, <media:title type="text">, a gzip file, Userland's namespace.
    assert!(!get(all, "rssant_oschina-cn.xml").articles.is_empty());
    assert!(!get(all, "feedsmith_rss-many-namespaces.xml").articles.is_empty());
    assert_eq!(get(all, "nodefp_nshipster-gzipped.xml.gz").title, "NSHipster");
    assert_eq!(get(all, "nodefp_iconv-windows1251.xml").articles.len(), 10);
    // An HTML DOCTYPE over an <rss> root is still a feed.
    assert_eq!(get(all, "feedparser_ill-doctype.xml").title, "found");
}

#[test]
fn seed_chinese_feed_is_intact() {
    let all = parsed();
    let f = get(all, "seed-jiqizhixin-rss2.xml");
    assert_eq!(f.title, "机器之心");
    let a = &f.articles[0];
    assert_eq!(a.title, "机器学习开发的灵药—Docker容器");
    for s in ["机器学习开发环境：基本需求", "机器学习开发环境所需的四个基本要素：", "您可以在单个 Amazon"]
    {
        assert!(a.content_html.contains(s), "body lacks {s:?}");
    }
    assert!(a.images.len() >= 10, "{} images", a.images.len());
    assert!(a.date.is_some());
}

#[test]
fn non_utf8_feeds_give_the_right_text() {
    let all = parsed();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "derived_ruanyifeng-cn-gb18030.atom",
            "阮一峰的网络日志",
            &["科技爱好者周刊", "这里记录每周值得分享的科技内容", "•"],
        ),
        (
            "derived_ruanyifeng-cn-utf16le-bom.atom",
            "阮一峰的网络日志",
            &["科技爱好者周刊", "这里记录每周值得分享的科技内容", "•"],
        ),
        ("derived_big5-declared.atom", "", &[]),
        ("derived_shiftjis-declared.atom", "", &["DrecomRSSに記事投稿が反映されない", "色々調べてたら"]),
        ("derived_eucjp-declared.xml", "", &["ゲーム三昧な正月", "プレイしている"]),
        ("nnw_kc0011-gb2312.rss", "投资资讯网交易在线--流通纪念币最新20篇论坛主题-全文", &["建国35周年纪念"]),
        ("miniflux_koi8r.xml", "Пример RSS ленты", &[]),
        ("miniflux_windows1252.xml", "Euro €", &[]),
        ("miniflux_windows1252-prolog-but-utf8.xml", "Euro €", &[]),
        ("miniflux_iso88591-prolog-but-utf8.xml", "테스트 피드", &[]),
        ("feedreader_stadtfeuerwehr-rss091-latin1.xml", "Stadtfeuerwehr Weiz - Einsätze", &[]),
        ("rssant_utf8-declared-utf16-cn.xml", "EKsumic's Blog", &[]),
    ];
    for (name, title, snippets) in cases {
        let f = get(all, name);
        if !title.is_empty() {
            assert_eq!(f.title, *title, "{name}");
        }
        let text = body_text(f);
        for s in *snippets {
            assert!(text.contains(s), "{name}: no {s:?}");
        }
    }
    assert!(get(all, "derived_big5-declared.atom").title.contains("成中文"));
    assert!(body_text(get(all, "miniflux_windows1251-declared.xml"))
        .chars()
        .any(|c| ('а'..='я').contains(&c)));
}

#[test]
fn no_control_characters_in_any_output() {
    let all = parsed();
    let line_ok = |s: &str| !s.chars().any(is_forbidden);
    let text_ok = |s: &str| !s.chars().any(|c| is_forbidden(c) && c != '\n' && c != '\t');
    for (name, r) in all {
        let Ok(f) = r else { continue };
        assert!(line_ok(&f.title), "{name}: feed title {:?}", f.title);
        assert!(f.site_link.as_deref().is_none_or(line_ok), "{name}: site link");
        for a in &f.articles {
            let id = &a.title;
            assert!(line_ok(&a.title), "{name}: title {id:?}");
            assert!(text_ok(&a.content_html), "{name}: body of {id:?}");
            for s in [&a.guid, &a.link, &a.author].into_iter().flatten() {
                assert!(line_ok(s), "{name}: {s:?} in {id:?}");
            }
            for s in a.images.iter().chain(&a.links) {
                assert!(line_ok(s), "{name}: url {s:?} in {id:?}");
            }
            for e in &a.enclosures {
                assert!(line_ok(&e.url) && e.mime.as_deref().is_none_or(line_ok), "{name}: enclosure {e:?}");
            }
        }
    }
}

#[test]
fn parsing_is_deterministic() {
    let a = parsed();
    let b = parse_all();
    for (name, r) in a {
        if let (Ok(x), Some(Ok(y))) = (r, b.get(name)) {
            assert_eq!(x, y, "{name}");
        }
    }
}

#[test]
fn truncated_and_mangled_corpus_documents_never_panic() {
    let dir = corpus_dir().join("feeds");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        let n = bytes.len();
        // Cuts at arbitrary bytes (often inside a UTF-8 sequence or a tag), and the document
        // with its bytes shifted, which turns it into garbage of the same shape.
        let mut variants: Vec<Vec<u8>> = [n / 7, n / 3, n / 2, n * 9 / 10, n.saturating_sub(1)]
            .iter()
            .map(|&cut| bytes[..cut].to_vec())
            .collect();
        variants.push(bytes.iter().map(|b| b.wrapping_add(1)).collect());
        let results: Vec<_> = variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                catch_unwind(AssertUnwindSafe(|| parse_feed(v, Some("utf-8"), "https://corpus.example/")))
                    .unwrap_or_else(|_| panic!("{name} variant {i}: panic"))
            })
            .collect();
        for r in &results {
            if let Err(e) = r {
                assert!(!e.to_string().is_empty(), "{name}");
            }
        }
        // An XML feed with several items, cut at 90%, still gives its complete items.
        if let Some(Ok(full)) = parsed().get(&name) {
            if full.format != FeedFormat::Json && full.articles.len() >= 3 && !name.ends_with(".gz") {
                let cut = results[3].as_ref().map_or(0, |f| f.articles.len());
                assert!(cut >= 1, "{name}: nothing salvaged at 90% ({:?})", results[3].as_ref().err());
            }
        }
    }
}

#[test]
fn undeclared_legacy_encodings_are_guessed_right() {
    let all = parsed();
    // (file, a character range the text must use, a substring that mojibake would show)
    let in_range = |lo: char, hi: char| move |c: char| (lo..=hi).contains(&c);
    type Check = Box<dyn Fn(char) -> bool>;
    let cases: Vec<(&str, Check)> = vec![
        ("feedparser_nodecl-eucjp.xml", Box::new(in_range('\u{3040}', '\u{30ff}'))), // kana
        ("feedparser_nodecl-shiftjis.xml", Box::new(in_range('\u{3040}', '\u{30ff}'))),
        ("feedparser_nodecl-euckr.xml", Box::new(in_range('\u{ac00}', '\u{d7a3}'))), // hangul
        ("rssant_euckr-cp949-nodecl.xml", Box::new(in_range('\u{ac00}', '\u{d7a3}'))),
        ("feedparser_nodecl-gb2312.xml", Box::new(in_range('\u{4e00}', '\u{9fff}'))), // han
        ("feedparser_nodecl-koi8r.xml", Box::new(in_range('\u{0430}', '\u{044f}'))),  // cyrillic
        ("feedparser_nodecl-tis620.xml", Box::new(in_range('\u{0e01}', '\u{0e5b}'))), // thai
        ("feedparser_nodecl-windows1255.xml", Box::new(in_range('\u{05d0}', '\u{05ea}'))), // hebrew
    ];
    for (name, script) in &cases {
        let f = get(all, name);
        let text = format!("{}\n{}", f.title, body_text(f));
        let hits = text.chars().filter(|&c| script(c)).count();
        assert!(hits >= 5, "{name}: the text is not in its script ({hits} characters):\n{text}");
        assert!(!text.contains('\u{fffd}'), "{name}: replacement characters:\n{text}");
    }
    // Latin-1 without a declaration: accents, not mojibake.
    for name in ["miniflux_latin1-nodecl.xml", "rssparser_uol-latin1-nodecl.rss"] {
        let text = body_text(get(all, name));
        assert!(text.chars().any(|c| "áéíóúãõçàê".contains(c)), "{name}: no accents");
        assert!(!text.contains('Ã') && !text.contains('\u{fffd}'), "{name}: mojibake");
    }
}

#[test]
fn atom_0_3_entries_keep_their_dates() {
    let all = parsed();
    // (feedparser_http-i18n-atom03.xml has no entries: only its feed-level dates.)
    for name in ["feedsmith_atom03.xml"] {
        let f = get(all, name);
        assert!(!f.articles.is_empty(), "{name}");
        for a in &f.articles {
            let year = a.date.map(|d| d.format("%Y").to_string());
            assert_eq!(year.as_deref(), Some("2004"), "{name}: {:?} has no date of its own", a.title);
        }
    }
}

/// Issue 10's proof: from every corpus file where Python's feedparser reads entries, tidings
/// reads at least as many articles. The counts are feedparser's own, written by
/// scripts/feedparser-counts.py into tests/corpus/FEEDPARSER.tsv (which must list every file):
/// its entries less the empty ones (an `<item/>` nested in an item) and with an entry that
/// is an earlier one again in every field counted once, which tidings stores once and notes.
#[test]
fn at_least_as_many_items_as_feedparser_from_every_file() {
    let all = parsed();
    // Beside the copy of the corpus in tests/ (TIDINGS_CORPUS may name one without it).
    let counts =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/FEEDPARSER.tsv")).unwrap();
    let mut lines = counts.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(lines.next(), Some("file\tentries\tarticles"));
    let counts: BTreeMap<&str, (usize, usize)> = lines
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0], (cols[1].parse().unwrap(), cols[2].parse().unwrap()))
        })
        .collect();
    let unlisted: Vec<&String> = all.keys().filter(|n| !counts.contains_key(n.as_str())).collect();
    assert!(unlisted.is_empty(), "not in FEEDPARSER.tsv (run scripts/feedparser-counts.py): {unlisted:?}");
    let mut fewer = Vec::new();
    let mut compared = 0;
    for (name, &(entries, theirs)) in &counts {
        if entries == 0 {
            continue;
        }
        compared += 1;
        let ours = match all.get(*name) {
            Some(Ok(f)) => f.articles.len(),
            Some(Err(e)) => {
                fewer.push(format!("{name}: feedparser {theirs}, tidings failed: {e}"));
                continue;
            }
            None => panic!("{name} is listed but not in the corpus"),
        };
        if ours < theirs {
            fewer.push(format!("{name}: feedparser {theirs}, tidings {ours}"));
        }
        if ours < entries {
            // Only the repeats and empty entries the counts leave out, and the log says so.
            let f = get(all, name);
            eprintln!(
                "{name}: feedparser {entries} entries ({theirs} articles), tidings {ours}: {:?}",
                f.notes
            );
        }
    }
    eprintln!("compared with feedparser on {compared} files");
    assert!(compared >= 200, "only {compared} files where feedparser reads entries");
    assert!(fewer.is_empty(), "tidings reads fewer articles than feedparser:\n{}", fewer.join("\n"));
    // The repeated item of Dave Winer's RSS 0.92 sample is one article, and the log says so.
    for name in ["rustrss_rss092.xml", "feedreader_rss092-full-sample-bom.xml"] {
        let f = get(all, name);
        assert_eq!(f.articles.len(), 21, "{name}");
        assert!(
            f.notes.iter().any(|n| n == "1 repeated item skipped: the same as an earlier item"),
            "{name}: {:?}",
            f.notes
        );
    }
}

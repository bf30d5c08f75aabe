use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, CellWidth};
use ratatui::Terminal;

use super::render;
use crate::model::{ArticleId, FeedId};
use crate::ui::app::{App, ArticleRow, OpenArticle, Pane};

fn draw(app: &App) -> Buffer {
    // What the welcome screen names, the same in every test whatever the machine.
    super::set_config_path(std::path::Path::new("~/.config/tidings/config.toml"));
    let mut terminal = Terminal::new(TestBackend::new(app.width, app.height)).expect("test terminal");
    terminal.draw(|f| render(app, f)).expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let sym = buf[(x, y)].symbol();
            s.push_str(sym);
            // A wide character's second cell holds a placeholder.
            x += u16::try_from(ratatui::text::Span::raw(sym).width().max(1)).unwrap_or(1);
        }
        s.push('\n');
    }
    s
}

/// No control character in any cell, and no wide character whose second half is drawn
/// over (the terminal would shift the rest of the row).
fn assert_clean(buf: &Buffer) {
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            assert!(!sym.chars().any(crate::sanitize::is_forbidden), "control character at {x},{y}: {sym:?}");
            if super::feeds::display_width(sym) > 1 && x + 1 < buf.area.width {
                let next = buf[(x + 1, y)].symbol();
                assert!(next.is_empty() || next == " ", "wide {sym:?} at {x},{y} is cut by {next:?}");
            }
        }
    }
}

/// The row of the list's first article, to change it.
fn first_row(app: &mut App) -> &mut ArticleRow {
    let id = app.articles.entries[0].id;
    app.articles.rows.get_mut(&id).expect("the sample's rows are loaded")
}

fn with_open_article(mut app: App) -> App {
    let row = first_row(&mut app).clone();
    app.article.open = Some(OpenArticle {
        row,
        feed_title: "Rust Blog".into(),
        lines: Some(vec!["Hello from the body.".into(), "".into(), "Second paragraph.".into()]),
        links: vec![],
        link_cells: vec![],
        hyperlinks: vec![],
        header_hyperlink: None,
        width: 70,
        scroll: 0,
        resume_paragraph: None,
    });
    app.focus = Pane::Article;
    app
}

#[test]
fn wide_layout_shows_all_three_panes() {
    let app = with_open_article(App::sample(120, 40));
    let buf = draw(&app);
    assert_clean(&buf);
    let s = text(&buf);
    for want in [
        "Rust Blog",
        "2/3",
        "机器之心",
        "!",
        "2024-01-01 N   Article number 0",
        "2024-01-02 N + Article number 1",
        "Article number 2",
        "Hello from the body.",
        "Link:   https://example.org/0",
        "2 unread",
    ] {
        assert!(s.contains(want), "{want:?} missing in\n{s}");
    }
}

#[test]
fn narrow_layout_shows_one_pane_at_a_time() {
    let mut app = App::sample(80, 24);
    let s = text(&draw(&app));
    assert!(s.contains("Rust Blog") && !s.contains("Article number 0"), "{s}");
    app.focus = Pane::Articles;
    let s = text(&draw(&app));
    assert!(s.contains("Article number 0") && s.contains("2024-01-02"), "{s}");
    let app = with_open_article(app);
    let buf = draw(&app);
    assert_clean(&buf);
    let s = text(&buf);
    assert!(
        s.contains("Article number 0") && s.contains("Hello from the body.") && s.contains("Ferris"),
        "{s}"
    );
}

#[test]
fn tiny_terminal_draws_every_pane_cleanly() {
    let mut app = App::sample(40, 12);
    // Long titles must be cut, not spill out of the pane.
    first_row(&mut app).title = "A very long title that cannot possibly fit in forty columns at all".into();
    for pane in [Pane::Feeds, Pane::Articles] {
        app.focus = pane;
        let buf = draw(&app);
        assert_clean(&buf);
        // The right border is intact on every pane row.
        let s = text(&buf);
        for line in s.lines().take(11) {
            assert!(line.ends_with('│') || line.ends_with('┐') || line.ends_with('┘'), "{line:?}\n{s}");
        }
    }
    let app = with_open_article(app);
    let buf = draw(&app);
    assert_clean(&buf);
    assert!(text(&buf).contains("A very long"));
}

#[test]
fn grouped_feeds_stay_inside_the_pane_at_every_size() {
    for (w, h) in [(120, 40), (80, 24), (40, 12), (24, 8)] {
        let mut app = grouped(w, h);
        // The selection on the last row, so the list is scrolled in the small ones.
        app.feeds.sel = app.feeds.view.len() - 1;
        app.scroll_lists();
        let buf = draw(&app);
        assert_clean(&buf);
        let s = text(&buf);
        let pane = crate::ui::layout::areas(w, h, Pane::Feeds, app.split).feeds.expect("feeds pane");
        for y in pane.top()..pane.bottom() {
            let edge = buf[(pane.right() - 1, y)].symbol();
            assert!(matches!(edge, "│" | "┐" | "┘"), "row {y} at {w}x{h} ends in {edge:?}\n{s}");
        }
        assert!(s.contains("(no tag)"), "{w}x{h}\n{s}");
        assert!(!s.contains('\u{1b}'));
    }
    let buf = draw(&grouped(120, 40));
    // The tag of a heading is drawn in the title style (bold in the default theme).
    assert_eq!(buf[(3, 1)].symbol(), "a");
    assert!(buf[(3, 1)].modifier.contains(ratatui::style::Modifier::BOLD));
    let s = text(&buf);
    for want in ["- ai", "+ tech", "- news[2J]0;pwned", "   Hacker News", "  !日本語の", "- rust"] {
        assert!(s.contains(want), "{want:?} missing in\n{s}");
    }
}

#[test]
fn no_feeds_shows_how_to_add_one() {
    for (w, h) in [(120, 40), (80, 24), (40, 12)] {
        let mut app = App::new(w, h);
        app.feeds.loaded = true;
        let buf = draw(&app);
        assert_clean(&buf);
        let s = text(&buf);
        for want in ["sample feeds", "add a feed by URL", "tidings add URL", "tidings import FILE"] {
            assert!(s.contains(want), "{want:?} missing at {w}x{h}:\n{s}");
        }
    }
}

#[test]
fn the_welcome_reads_well_from_80x24_down_to_40x12() {
    for (w, h) in [(80, 24), (60, 20), (40, 12)] {
        let mut app = App::new(w, h);
        app.feeds.loaded = true;
        let buf = draw(&app);
        assert_clean(&buf);
        let s = text(&buf);
        // Every phrase whole on one line: nothing wrapped, nothing cut.
        for want in [
            "Welcome to tidings!",
            "No feeds yet. To begin:",
            "a      add a feed by URL",
            "Enter  load the sample feeds",
            "tidings add URL",
            "tidings import FILE.opml",
            "? help   q quit",
            "~/.config/tidings/config.toml",
        ] {
            assert!(s.lines().any(|l| l.contains(want)), "{want:?} missing at {w}x{h}:\n{s}");
        }
        // Centered: the block's left margin is about its right margin, its top about its bottom.
        let rows: Vec<&str> = s.lines().skip(1).take(usize::from(h) - 3).collect();
        let inner = |l: &str| l.trim_start_matches('│').trim_end_matches('│').to_owned();
        let used: Vec<String> = rows.iter().map(|l| inner(l)).filter(|l| !l.trim().is_empty()).collect();
        let left = used.iter().map(|l| l.len() - l.trim_start().len()).min().expect("text");
        let widest = used
            .iter()
            .map(|l| l.trim().chars().count() + l.len() - l.trim_start().len())
            .max()
            .expect("text");
        let right = usize::from(w) - 2 - widest;
        assert!(left.abs_diff(right) <= 1, "left {left}, right {right} at {w}x{h}:\n{s}");
        let first = rows.iter().position(|l| !inner(l).trim().is_empty()).expect("text");
        let last = rows.iter().rposition(|l| !inner(l).trim().is_empty()).expect("text");
        assert!(first.abs_diff(rows.len() - 1 - last) <= 1, "top {first}, bottom at {last} at {w}x{h}:\n{s}");
        // 80x24 and 40x12 are among the scenes' snapshots (`welcome_80x24`, `welcome_40x12`).
        if (w, h) == (60, 20) {
            insta::assert_snapshot!("welcome_60x20", s);
        }
    }
}

#[test]
fn unread_rows_are_bold() {
    let mut app = App::sample(80, 24);
    app.focus = Pane::Articles;
    app.articles.sel = 1;
    let buf = draw(&app);
    let row_of = |needle: &str| {
        (0..buf.area.height)
            .find(|&y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().contains(needle))
            .expect("row")
    };
    let bold = |y| buf[(14, y)].modifier.contains(ratatui::style::Modifier::BOLD);
    assert!(bold(row_of("Article number 0")));
    assert!(!bold(row_of("Article number 2")));
}

#[test]
fn hostile_strings_never_reach_the_buffer() {
    // Rows are built from sanitized strings, but render must stay clean even if one slips by
    // as text that ratatui would pass through: check with what sanitize leaves behind.
    let mut app = App::sample(100, 30);
    let evil = crate::sanitize::line("Evil\u{1b}]0;pwned\u{7}\u{202e} title");
    let row = ArticleRow {
        id: ArticleId(99),
        feed: FeedId(1),
        title: evil.clone(),
        author: None,
        link: None,
        date: 0,
        read: false,
        starred: true,
        has_images: false,
        tags: Vec::new(),
    };
    app.articles.entries.push(row.entry());
    app.articles.rows.insert(row.id, row);
    app.feeds.rows[0].title = evil;
    app.refilter_articles();
    let buf = draw(&with_open_article(app));
    assert_clean(&buf);
    assert!(text(&buf).contains("Evil]0;pwned title"));
}

#[test]
fn an_articles_own_tags_show_in_its_header_only_when_it_has_any() {
    let app = with_open_article(App::sample(100, 30));
    assert!(!text(&draw(&app)).contains("Tags:"));
    let mut app = app;
    // As the effects leave them: sanitized (the escape's ESC and BEL are gone).
    let evil = crate::sanitize::line("x\u{1b}]0;pwned\u{7}");
    app.article.open.as_mut().unwrap().row.tags = vec!["later".into(), "rust".into(), evil];
    let buf = draw(&app);
    assert_clean(&buf);
    let shown = text(&buf);
    let date = shown.lines().position(|l| l.contains("Date:")).unwrap();
    let tags = shown.lines().position(|l| l.contains("Tags:   later, rust, x]0;pwned"));
    assert_eq!(tags, Some(date + 1), "{shown}");
}

/// The sample grouped by tag, with more tags: one with an escape sequence in it (as the
/// loader leaves it: sanitized), a long CJK one, a folded one, and a feed without a tag.
fn grouped(w: u16, h: u16) -> App {
    let mut app = App::sample(w, h);
    let evil_tag = crate::sanitize::line("news\u{1b}[2J\u{1b}]0;pwned\u{7}");
    app.feeds.rows.push(crate::ui::app::FeedRow {
        id: FeedId(3),
        title: "Hacker News".into(),
        unread: 12,
        total: 30,
        failing: false,
        synced: false,
        tags: vec![evil_tag, "tech".into()],
        options: Default::default(),
    });
    app.feeds.rows.push(crate::ui::app::FeedRow {
        id: FeedId(4),
        title: "日本語のフィードの長いタイトルです".into(),
        unread: 5,
        total: 9,
        failing: true,
        synced: false,
        tags: vec!["日本語のニュースとテクノロジーの長いタグ名".into()],
        options: Default::default(),
    });
    app.feeds.rows.push(crate::ui::app::FeedRow {
        id: FeedId(5),
        title: "No tags here".into(),
        unread: 1,
        total: 1,
        failing: false,
        synced: false,
        tags: vec![],
        options: Default::default(),
    });
    app.feeds.group_by_tag = true;
    app.feeds.folded.insert(crate::ui::app::TagGroup::Tag("tech".into()));
    app.refilter_feeds();
    app
}

/// The sample list with rows not read yet: the second article's, and two more articles'.
fn rows_loading(w: u16, h: u16) -> App {
    let mut app = App::sample(w, h);
    app.focus = Pane::Articles;
    app.articles.rows.remove(&ArticleId(11));
    for id in [13, 14] {
        let entry =
            crate::store::ListEntry { id: ArticleId(id), feed: FeedId(1), read: id == 14, starred: id == 13 };
        app.articles.entries.push(entry);
    }
    app.refilter_articles();
    app
}

#[test]
fn rows_not_read_yet_draw_as_dim_placeholders() {
    let app = rows_loading(120, 40);
    let buf = draw(&app);
    assert_clean(&buf);
    let s = text(&buf);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains('…')).collect();
    assert_eq!(rows.len(), 3, "{s}");
    // The date column is blank, the flags are the entry's, the rest of the row is dim.
    let blank_date = " ".repeat("2024-01-01 ".len());
    assert!(rows[0].contains(&format!("│{blank_date}N   …")), "{s}");
    assert!(rows[1].contains(&format!("│{blank_date}N*  …")), "{s}");
    assert!(rows[2].contains(&format!("│{blank_date}    …")), "{s}");
    let y = (0..buf.area.height)
        .find(|&y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().contains("N*  …"))
        .expect("row");
    let x = (0..buf.area.width).find(|&x| buf[(x, y)].symbol() == "…").expect("ellipsis");
    assert_eq!(buf[(x, y)].fg, crate::ui::theme::dim().fg.unwrap_or_default());
    assert!(s.contains("2024-01-01 N   Article number 0"), "loaded rows draw as before:\n{s}");
}

/// Every scene the reader can show, for the snapshot test.
fn scenes(w: u16, h: u16) -> Vec<(&'static str, App)> {
    let mut out = Vec::new();
    let mut welcome = App::new(w, h);
    welcome.feeds.loaded = true;
    out.push(("welcome", welcome));
    out.push(("feeds", App::sample(w, h)));
    let mut grouped_scene = grouped(w, h);
    // On the long CJK heading: the small sizes scroll to it and cut it.
    grouped_scene.feeds.sel = 9;
    out.push(("grouped_feeds", grouped_scene));
    let mut articles = App::sample(w, h);
    articles.focus = Pane::Articles;
    articles.articles.sel = 1;
    out.push(("articles", articles));
    out.push(("articles_rows_loading", rows_loading(w, h)));
    out.push(("article", with_open_article(App::sample(w, h))));
    // The seed WeChat article (bundled as a sample feed), rendered at the pane's width.
    let mut seed = with_open_article(App::sample(w, h));
    if let Some(open) = seed.article.open.as_mut() {
        let sample = &crate::samples::SAMPLES[2];
        let feed = crate::parse::parse_feed(sample.bytes, None, sample.url).expect("the seed parses");
        let (width, _) = crate::ui::layout::article_text_size(w, h, Default::default());
        let body = crate::render::render_article(&feed.articles[0].content_html, width, &Default::default());
        open.row.title = feed.articles[0].title.clone();
        open.width = width;
        open.lines = Some(body.lines);
        open.scroll = 7;
    }
    out.push(("seed_article", seed));
    let mut hostile = App::sample(w, h);
    let evil = crate::sanitize::line("Evil\u{1b}]0;pwned\u{7}\u{202e} title\u{1b}[2J");
    hostile.feeds.rows[0].title = evil.clone();
    first_row(&mut hostile).title = evil;
    out.push(("hostile_titles", with_open_article(hostile)));
    let mut help = App::sample(w, h);
    help.overlay.help = crate::ui::keymap::Keymap::default()
        .help()
        .into_iter()
        .map(|e| crate::ui::app::HelpLine {
            section: e.section,
            keys: e.keys,
            description: e.description.into(),
        })
        .collect();
    help.overlay.shown = Some(crate::ui::app::Overlay::Help { scroll: 0 });
    out.push(("help", help.clone()));
    // The help window over a wide-character article: its border stays whole.
    let mut over_cjk = with_open_article(help);
    if let Some(open) = over_cjk.article.open.as_mut() {
        open.lines = Some(vec![
            "机器之心发布的文章很长很长很长很长很长很长很长很长很长很长很长很长很长很长"
                .into();
            30
        ]);
    }
    out.push(("help_over_cjk", over_cjk));
    let mut health = App::sample(w, h);
    health.feeds.rows[0].options = secret_options();
    let ok = crate::store::FetchRecord {
        started_ms: 1_704_067_200_000,
        fetch_ms: 120,
        parse_ms: 3,
        store_ms: 5,
        status: Some(200),
        bytes: 48_213,
        new: 3,
        total: 3,
        ..Default::default()
    };
    let failed = crate::store::FetchRecord {
        started_ms: 1_704_070_800_000,
        fetch_ms: 30_000,
        error: Some("timed out after 30 s fetching https://example.org/feed.xml".into()),
        total: 3,
        ..Default::default()
    };
    health.overlay.shown = Some(crate::ui::app::Overlay::Health {
        feed: FeedId(1),
        title: "Rust Blog".into(),
        records: Some(vec![failed, ok]),
        scroll: 0,
    });
    out.push(("health", health));
    let mut prompt = App::sample(w, h);
    prompt.focus = Pane::Articles;
    prompt.prompt = Some(crate::ui::app::Prompt {
        kind: crate::ui::app::PromptKind::Filter(Pane::Articles),
        text: "numb".into(),
    });
    prompt.articles.filter = "numb".into();
    out.push(("filter_prompt", prompt));
    out.push(("options_prompt_refused", options_prompt_refused(w, h)));
    out
}

/// Request options with a header value and a proxy password that must never be drawn.
fn secret_options() -> crate::store::FeedOptions {
    crate::store::FeedOptions {
        user_agent: Some("tidings-test/1".into()),
        referer: None,
        headers: vec![("Authorization".into(), "Bearer s3cret".into())],
        proxy: Some("socks5h://me:pw9@127.0.0.1:9050".into()),
    }
}

/// `e` submitted with a line the checks refuse: the prompt keeps it, the error above it.
fn options_prompt_refused(w: u16, h: u16) -> App {
    let mut app = App::sample(w, h);
    app.focus = Pane::Feeds;
    let _ = crate::ui::update(&mut app, crate::ui::action::Action::EditRequestOptions);
    for c in "--header nocolon".chars() {
        let _ = crate::ui::update(
            &mut app,
            crate::ui::action::Action::Input(crate::ui::action::InputKey::Char(c)),
        );
    }
    let _ =
        crate::ui::update(&mut app, crate::ui::action::Action::Input(crate::ui::action::InputKey::Submit));
    app
}

#[test]
fn a_refused_options_line_stays_in_the_prompt_with_the_error_above_it() {
    let app = options_prompt_refused(100, 30);
    let screen = text(&draw(&app));
    let rows: Vec<&str> = screen.lines().collect();
    assert!(rows[29].starts_with("request options: --header nocolon"), "{screen}");
    assert!(rows[28].starts_with(" --header needs a name, a colon and a value"), "{screen}");
}

#[test]
fn the_health_window_shows_the_options_without_header_values_or_the_proxy_password() {
    let mut app = App::sample(100, 30);
    app.feeds.rows[0].options = secret_options();
    app.overlay.shown = Some(crate::ui::app::Overlay::Health {
        feed: FeedId(1),
        title: "Rust Blog".into(),
        records: None,
        scroll: 0,
    });
    let screen = text(&draw(&app));
    // Wrapped in the window: its first line, then the rest indented.
    assert!(
        screen.contains("request options: user agent \"tidings-test/1\"; headers Authorization; proxy"),
        "{screen}"
    );
    assert!(screen.contains("  socks5h://me:***@127.0.0.1:9050"), "{screen}");
    assert!(!screen.contains("s3cret") && !screen.contains("pw9"), "{screen}");
    // A feed without options says whose apply.
    app.overlay.shown = Some(crate::ui::app::Overlay::Health {
        feed: FeedId(2),
        title: "x".into(),
        records: None,
        scroll: 0,
    });
    assert!(text(&draw(&app)).contains("request options: none (config.toml's apply)"));
}

#[test]
fn snapshots_of_every_scene_at_three_sizes() {
    for (w, h) in [(120, 40), (80, 24), (40, 12)] {
        for (name, mut app) in scenes(w, h) {
            app.scroll_lists();
            let buf = draw(&app);
            assert_clean(&buf);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&buf));
        }
    }
}

/// The sample reader with its first article open, its body (with links) rendered as the
/// reader renders it, through `update` as in the real loop.
fn with_linked_article(w: u16, h: u16, hyperlinks: bool, scroll: usize) -> App {
    use crate::ui::action::Action;
    let mut app = App::sample(w, h);
    app.article.hyperlinks = hyperlinks;
    app.article.open_schemes = vec!["http".into(), "https".into(), "mailto".into()];
    app.focus = Pane::Articles;
    let _ = crate::ui::update(&mut app, Action::Open);
    let open = app.article.open.as_ref().expect("opened");
    let (article, width) = (open.row.id, open.width);
    let page = url::Url::parse(open.row.link.as_deref().expect("a link")).expect("a URL");
    let html = "<p>Read <a href='http://127.0.0.1/a?x=1'>the 中文 notes</a> and <a href='javascript:alert(1)'>this</a>, \
                then <a href='/rel'>the relative one</a>.</p><p>Mail <a href='mailto:me@example.org'>me</a>.</p>";
    let r = crate::render::render_article(html, width, &crate::ui::theme::article_styles());
    // As the effect that loads a body does: relative links joined against the page.
    let links =
        r.references
            .iter()
            .map(|x| {
                if x.openable {
                    page.join(&x.url).map(String::from).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .collect();
    let _ = crate::ui::update(
        &mut app,
        Action::BodyRendered { article, width, lines: r.lines, links, link_cells: r.link_cells },
    );
    if let Some(open) = app.article.open.as_mut() {
        open.scroll = scroll;
    }
    app
}

/// The hyperlinks in a buffer: (URI, the text its run of cells shows), row by row.
fn hyperlinks(buf: &Buffer) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for y in 0..buf.area.height {
        let mut last: Option<String> = None;
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            let uri = sym
                .strip_prefix("\x1b]8;id=")
                .and_then(|s| s.split_once(';'))
                .map(|(_, rest)| rest.split_once("\x1b\\").expect("a terminated URI").0.to_owned());
            match (&uri, &last) {
                (Some(u), Some(l)) if u == l => {
                    out.last_mut().expect("a run").1.push_str(crate::ui::hyperlink::visible_symbol(sym));
                }
                (Some(u), _) => out.push((u.clone(), crate::ui::hyperlink::visible_symbol(sym).to_owned())),
                // The cell a wide character covers continues the run.
                (None, Some(_)) if sym == " " && x > 0 && buf[(x - 1, y)].cell_width() == 2 => continue,
                (None, _) => {}
            }
            last = uri;
        }
    }
    out
}

#[test]
fn hyperlinks_change_no_cell_but_add_the_links_sequences() {
    for (w, h) in [(120, 40), (80, 24), (40, 12)] {
        for scroll in [0, 3, 6] {
            let off = draw(&with_linked_article(w, h, false, scroll));
            let on = draw(&with_linked_article(w, h, true, scroll));
            assert_clean(&off);
            let mut linked = 0;
            for y in 0..h {
                for x in 0..w {
                    let (a, b) = (&off[(x, y)], &on[(x, y)]);
                    let shown = crate::ui::hyperlink::visible_symbol(b.symbol());
                    assert_eq!(shown, a.symbol(), "cell {x},{y} at {w}x{h}, scroll {scroll}");
                    assert_eq!(b.cell_width(), a.cell_width(), "width of {x},{y} at {w}x{h}");
                    assert_eq!((b.fg, b.bg, b.modifier), (a.fg, a.bg, a.modifier), "style of {x},{y}");
                    assert!(!shown.contains('\x1b'), "{:?}", b.symbol());
                    linked += usize::from(b.symbol() != a.symbol());
                }
            }
            assert!(linked > 0, "nothing linked at {w}x{h}, scroll {scroll}");
        }
    }
    // The whole article on a wide screen: the header's link, each openable link's text and
    // marker, and the listed URLs; the javascript: link nowhere.
    let on = draw(&with_linked_article(120, 40, true, 0));
    let runs = hyperlinks(&on);
    let run = |u: &str, t: &str| (u.to_owned(), t.to_owned());
    assert_eq!(
        runs,
        [
            run("https://example.org/0", "https://example.org/0"),
            run("http://127.0.0.1/a?x=1", "the 中文 notes[1]"),
            run("https://example.org/rel", "the relative one[3]"),
            run("mailto:me@example.org", "me[4]"),
            run("http://127.0.0.1/a?x=1", "http://127.0.0.1/a?x=1"),
            run("https://example.org/rel", "/rel"),
            run("mailto:me@example.org", "mailto:me@example.org"),
        ],
        "\n{}",
        text(&on)
    );
    // Off: not one sequence.
    let off = draw(&with_linked_article(120, 40, false, 0));
    assert!(hyperlinks(&off).is_empty());
}

fn hint(keys: &str, label: &'static str) -> super::Hint {
    super::Hint { keys: keys.into(), label }
}

fn joined(shown: &[&super::Hint]) -> String {
    shown.iter().map(|h| format!("{} {}", h.keys, h.label)).collect::<Vec<_>>().join("  ")
}

#[test]
fn hints_are_fitted_whole_most_useful_first_help_last() {
    let hints = [hint("Enter", "open"), hint("n", "next"), hint("a", "add"), hint("R", "refresh")];
    let help = hint("?", "help");
    let all = "Enter open  n next  a add  R refresh  ? help";
    assert_eq!(joined(&super::fit_hints(&hints, Some(&help), 80)), all);
    assert_eq!(joined(&super::fit_hints(&hints, Some(&help), all.len())), all, "an exact fit");
    // One column short: the least useful goes whole, never a piece of it.
    assert_eq!(
        joined(&super::fit_hints(&hints, Some(&help), all.len() - 1)),
        "Enter open  n next  a add  ? help"
    );
    // A short, less useful hint does not jump ahead of a longer, more useful one.
    let narrow = super::fit_hints(&hints, Some(&help), "Enter open  ? help".len() + 3);
    assert_eq!(joined(&narrow), "Enter open  ? help");
    assert_eq!(joined(&super::fit_hints(&hints, Some(&help), 6)), "? help", "help is kept longest");
    assert!(super::fit_hints(&hints, Some(&help), 5).is_empty());
    assert_eq!(joined(&super::fit_hints(&hints, None, 10)), "Enter open");
    assert!(super::fit_hints(&hints, None, 0).is_empty());
}

/// The bottom line of a drawn buffer.
fn bottom_line(app: &App) -> String {
    text(&draw(app)).lines().last().unwrap_or_default().trim_end().to_owned()
}

#[test]
fn the_hint_line_follows_the_focused_pane_and_the_width() {
    let mut app = App::sample(80, 24);
    let feeds = bottom_line(&app);
    assert!(feeds.starts_with(" 2 unread | Enter open  n next  a add  R refresh  q quit"), "{feeds}");
    assert!(feeds.ends_with("? help"), "{feeds}");
    app.focus = Pane::Articles;
    let articles = bottom_line(&app);
    assert!(articles.contains("Enter open  n next  m read  s star"), "{articles}");
    let article = bottom_line(&with_open_article(App::sample(80, 24)));
    assert!(article.contains("Space page  n next  o browser  1-9 links"), "{article}");
    let mut help = App::sample(80, 24);
    help.overlay.shown = Some(crate::ui::app::Overlay::Help { scroll: 0 });
    assert!(bottom_line(&help).ends_with("j/k scroll  Space page  Esc close"), "{}", bottom_line(&help));
    // At 40 columns: the three or four most useful keys and `? help`, each whole.
    for mut app in [App::sample(40, 12), with_open_article(App::sample(40, 12))] {
        for pane in [Pane::Feeds, Pane::Articles, Pane::Article] {
            app.focus = pane;
            let line = bottom_line(&app);
            assert!(line.ends_with("  ? help"), "{line}");
            let hints = line.split("  ").filter(|h| !h.trim().is_empty()).count();
            assert!((4..=5).contains(&hints), "{hints} hints in {line:?}");
            assert!(line.chars().count() <= 40, "{line}");
        }
    }
}

#[test]
fn the_hint_line_shows_remapped_keys_and_drops_unbound_ones() {
    use crate::config::KeyList;
    let config: std::collections::BTreeMap<String, KeyList> = [
        ("next_unread", KeyList::Many(vec!["x".into()])),
        ("open_in_browser", KeyList::Many(vec![])),
        ("page_down", KeyList::Many(vec!["Ctrl-e".into()])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let keymap = crate::ui::keymap::Keymap::from_config(&config).expect("a valid keymap");
    let mut app = with_open_article(App::sample(120, 40));
    app.overlay.help = keymap
        .help()
        .into_iter()
        .map(|e| crate::ui::app::HelpLine {
            section: e.section,
            keys: e.keys,
            description: e.description.into(),
        })
        .collect();
    let line = bottom_line(&app);
    assert!(line.contains("Ctrl-e page  x next  1-9 links"), "{line}");
    assert!(!line.contains("browser") && !line.contains("n next"), "{line}");
}

/// Where `word` is drawn on the screen, and whether each of its characters is in the match
/// style (a wide character by its first cell).
fn lit(buf: &Buffer, word: &str) -> Vec<bool> {
    let width = crate::ui::panes::feeds::display_width;
    let s = text(buf);
    let (y, line) = s.lines().enumerate().find(|(_, l)| l.contains(word)).expect("drawn");
    let mut x = width(&line[..line.find(word).expect("in line")]);
    let style = crate::ui::theme::match_highlight();
    word.chars()
        .map(|c| {
            let cell = &buf[(u16::try_from(x).expect("x"), u16::try_from(y).expect("y"))];
            x += width(c.encode_utf8(&mut [0; 4]));
            cell.fg == style.fg.unwrap_or(cell.fg) && cell.modifier.contains(style.add_modifier)
        })
        .collect()
}

#[test]
fn search_results_light_the_words_searched_and_filters_their_text() {
    let mut app = App::sample(100, 24);
    app.focus = Pane::Articles;
    let mut rows: Vec<ArticleRow> = app.articles.rows.values().cloned().collect();
    rows.sort_by_key(|r| r.id);
    rows[1].title = "Running notes on 机器学习 today".into();
    app.set_rows(rows);
    app.articles.source = Some(crate::ui::app::Source::search("run 学习"));
    app.articles.wanted = app.articles.source;
    app.refilter_articles();
    let buf = draw(&app);
    assert_clean(&buf);
    assert!(text(&buf).contains("Search: run 学习"), "{}", text(&buf));
    // The stem lights the whole word; a CJK word its characters, not its neighbours.
    assert_eq!(lit(&buf, "Running"), [true; 7]);
    assert_eq!(lit(&buf, "notes"), [false; 5]);
    assert_eq!(lit(&buf, "机器学习"), [false, false, true, true]);
    // A `/` filter lights its text in any case.
    app.articles.source = Some(crate::ui::app::Source::Feed(FeedId(1)));
    app.articles.filter = "NUMBER".into();
    app.refilter_articles();
    let buf = draw(&app);
    assert_eq!(lit(&buf, "number"), [true; 6]);
    assert_eq!(lit(&buf, "Article"), [false; 7]);
}

/// The article view with the feed's summary above the body, laid out as the effect that loads
/// a body lays it out (`Rendered::with_summary`): labelled like the header, its text dimmed and
/// in italics, its escape sequences gone; the body's link positions follow it down.
fn with_summary_article(w: u16, h: u16) -> App {
    let mut app = with_open_article(App::sample(w, h));
    let (width, _) = crate::ui::layout::article_text_size(w, h, Default::default());
    let body = crate::render::render_article(
        "<p>The full essay, with <a href='https://example.org/x'>a link</a>.</p><p>Second paragraph.</p>",
        width,
        &crate::ui::theme::article_styles(),
    );
    let rendered = body.with_summary(
        "<p>A short <b>teaser</b>\u{1b}[2J about the essay, long enough to wrap on a small screen.</p>",
        width,
        crate::ui::theme::header_label(),
        crate::ui::theme::dim().add_modifier(ratatui::style::Modifier::ITALIC),
    );
    if let Some(open) = app.article.open.as_mut() {
        open.width = width;
        open.lines = Some(rendered.lines);
        open.link_cells = rendered.link_cells;
        open.links = vec!["https://example.org/x".into()];
    }
    app
}

#[test]
fn the_summary_shows_above_the_body_labelled_dimmed_and_clean() {
    for (w, h) in [(80, 24), (40, 12)] {
        let app = with_summary_article(w, h);
        let buf = draw(&app);
        assert_clean(&buf);
        let s = text(&buf);
        assert!(s.contains("Summary: A short teaser"), "{s}");
        // The escape character is gone (`assert_clean`); what followed it is harmless text.
        assert!(s.contains("teaser[2J"), "{s}");
        let open = app.article.open.as_ref().expect("open");
        let lines = open.lines.as_ref().expect("laid out");
        // The summary block, a blank line, then the body; the link is on the body's first line.
        let body_start = lines.iter().position(|l| l.spans.iter().any(|s| s.content.contains("full essay")));
        let body_start = body_start.expect("the body");
        assert!(lines[body_start - 1].spans.iter().all(|s| s.content.trim().is_empty()));
        assert_eq!(open.link_cells.first().map(|c| c.line), Some(body_start));
        // Its text is italic.
        let y = (0..buf.area.height)
            .find(|&y| {
                (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().contains("Summary:")
            })
            .expect("the summary row");
        let x = (0..buf.area.width).find(|&x| buf[(x, y)].symbol() == "A").expect("its text");
        assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::ITALIC));
        insta::assert_snapshot!(format!("article_with_summary_{w}x{h}"), s);
    }
}

#[test]
fn at_40x12_a_long_feed_name_and_author_take_one_row_each() {
    let mut app = with_open_article(App::sample(40, 12));
    let open = app.article.open.as_mut().unwrap();
    open.width = 38;
    open.feed_title = "file:///work/main/tests/corpus/feeds/derived_eucjp-declared.xml".into();
    open.row.author = Some("An author with a very long name indeed, and a title".into());
    let buf = draw(&app);
    assert_clean(&buf);
    let shown = text(&buf);
    let rows: Vec<&str> = shown.lines().collect();
    let feed = rows.iter().position(|l| l.contains("Feed:   file:///")).expect(&shown);
    assert!(rows[feed].contains('…'), "{shown}");
    assert!(rows[feed + 1].contains("Author: An author") && rows[feed + 1].contains('…'), "{shown}");
    assert!(rows[feed + 2].contains("Date:"), "{shown}");
}

#[test]
fn an_empty_list_says_why_it_is_empty_and_what_key_helps() {
    use crate::ui::app::Source;
    let cases: [(Source, bool, &str); 4] = [
        (Source::Feed(FeedId(1)), false, "No articles in this feed yet (r fetches it)"),
        (Source::Starred, false, "No starred articles (s stars one)"),
        (Source::Query { name: "Week", expr: "age<7d" }, false, "No article matches this query feed now"),
        (Source::Query { name: "Week", expr: "age<7d" }, true, "No unread articles here (U shows all)"),
    ];
    for (source, all_read, want) in cases {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles.source = Some(source);
        app.articles.wanted = Some(source);
        if all_read {
            app.unread_only = true;
            for entry in &mut app.articles.entries {
                entry.read = true;
            }
        } else {
            app.articles.entries.clear();
        }
        app.articles.view.clear();
        let s = text(&draw(&app));
        assert!(s.contains(want), "{source:?}: {want:?} missing:\n{s}");
    }
}

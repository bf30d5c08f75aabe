//! Moving around: the selection, pages, panes, opening and going back, `n`/`N`, clicks,
//! tag headings, and the rows a list needs near the screen.

use super::*;

/// The pane drawn at a cell.
pub(super) fn pane_at(app: &App, column: u16, row: u16) -> Option<Pane> {
    let a = layout::areas(app.width, app.height, app.focus, app.split);
    let hit = |r: Option<ratatui::layout::Rect>| {
        r.is_some_and(|r| r.contains(ratatui::layout::Position { x: column, y: row }))
    };
    [(a.feeds, Pane::Feeds), (a.articles, Pane::Articles), (a.article, Pane::Article)]
        .into_iter()
        .find(|(r, _)| hit(*r))
        .map(|(_, p)| p)
}

/// A click on a list row selects it; on the selected row it opens it, like Enter.
pub(super) fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
    let Some(pane) = pane_at(app, column, row) else { return Vec::new() };
    let a = layout::areas(app.width, app.height, app.focus, app.split);
    let area = match pane {
        Pane::Feeds => a.feeds,
        Pane::Articles => a.articles,
        Pane::Article => {
            app.focus = Pane::Article;
            return Vec::new();
        }
    };
    let Some(inner) = area.map(layout::inner) else { return Vec::new() };
    app.focus = pane;
    if row < inner.y || row >= inner.y + inner.height {
        return Vec::new();
    }
    let (offset, selected, len) = match pane {
        Pane::Feeds => (app.feeds.offset, app.feeds.sel, app.feeds.view.len()),
        _ => (app.articles.offset, app.articles.sel, app.articles.view.len()),
    };
    let index = offset + usize::from(row - inner.y);
    if index >= len {
        return Vec::new();
    }
    if index == selected {
        return open(app);
    }
    move_by(app, index as isize - selected as isize)
}

/// The article `m`, `s`, `o`, `y` and `i` act on: the open one in the article pane, else the
/// selected one.
pub(super) fn current_entry(app: &App) -> Option<ListEntry> {
    match (app.focus, &app.article.open) {
        (Pane::Article, Some(open)) => Some(open.row.entry()),
        (Pane::Articles, _) => app.selected_entry().copied(),
        (_, Some(open)) if app.is_wide() => Some(open.row.entry()),
        _ => None,
    }
}

/// The current article's row (its link), once it has been read.
pub(super) fn current_row(app: &App) -> Option<&ArticleRow> {
    let id = current_entry(app)?.id;
    match &app.article.open {
        Some(open) if open.row.id == id => Some(&open.row),
        _ => app.articles.rows.get(&id),
    }
}

pub(super) fn back(app: &mut App) -> Vec<Effect> {
    // Esc first clears a filter on the focused list, then goes back.
    match app.focus {
        Pane::Feeds if !app.feeds.filter.is_empty() => return set_filter(app, Pane::Feeds, String::new()),
        Pane::Articles if !app.articles.filter.is_empty() => {
            return set_filter(app, Pane::Articles, String::new())
        }
        _ => {}
    }
    app.focus = match app.focus {
        Pane::Article => Pane::Articles,
        Pane::Articles | Pane::Feeds => Pane::Feeds,
    };
    Vec::new()
}

/// `q`: back one pane as Esc goes (a filter on the focused list clears first); from the feeds
/// pane, with no filter left, quits: newsboat's `q`, so a newsboat hand reading an article
/// gets back to the list, not out of the reader (`Q` quits from anywhere).
pub(super) fn close(app: &mut App) -> Vec<Effect> {
    if app.focus == Pane::Feeds && app.feeds.filter.is_empty() {
        app.quit = true;
        return vec![Effect::Quit];
    }
    back(app)
}

/// Opens the open article's link `[n]`.
pub(super) fn open_link(app: &mut App, n: u16) -> Vec<Effect> {
    let Some(open) = app.article.open.as_ref() else { return Vec::new() };
    match open.links.get(usize::from(n).wrapping_sub(1)) {
        Some(url) if url.is_empty() => {
            app.say(format!("[{n}] is not opened: only web and mail links are (open_schemes)"));
            Vec::new()
        }
        Some(url) => vec![Effect::OpenUrl(url.clone())],
        None => {
            app.say(format!("this article has no link [{n}]"));
            Vec::new()
        }
    }
}

pub(super) fn page(app: &App) -> usize {
    match app.focus {
        Pane::Article => {
            layout::article_text_size(app.width, app.height, app.split).1.saturating_sub(1).max(1)
        }
        pane => layout::list_page(app.width, app.height, pane, app.split),
    }
}

/// Space / PgDn: a page down; in an article already at its end, the next unread article.
pub(super) fn page_down(app: &mut App) -> Vec<Effect> {
    if app.focus == Pane::Article {
        let (_, rows) = layout::article_text_size(app.width, app.height, app.split);
        if let Some(open) = &app.article.open {
            if open.lines.is_some() && open.scroll + rows >= open.total_lines() {
                return jump_unread(app, true);
            }
        }
    }
    let page = page(app);
    move_by(app, page as isize)
}

pub(super) fn step(current: usize, len: usize, by: isize) -> usize {
    if len == 0 {
        return 0;
    }
    current.saturating_add_signed(by).min(len - 1)
}

pub(super) fn move_by(app: &mut App, by: isize) -> Vec<Effect> {
    match app.focus {
        Pane::Feeds => {
            app.feeds.sel = step(app.feeds.sel, app.feeds.view.len(), by);
            want_articles(app)
        }
        Pane::Articles => {
            app.articles.sel = step(app.articles.sel, app.articles.view.len(), by);
            Vec::new()
        }
        Pane::Article => {
            let (_, page) = layout::article_text_size(app.width, app.height, app.split);
            if let Some(open) = &mut app.article.open {
                let max = open.total_lines().saturating_sub(page);
                open.scroll = open.scroll.saturating_add_signed(by).min(max);
            }
            Vec::new()
        }
    }
}

/// Asks for the selected feed's (or query feed's) articles unless they are shown or already
/// asked for.
pub(super) fn want_articles(app: &mut App) -> Vec<Effect> {
    let source = match (app.selected_feed(), app.selected_query()) {
        (Some(feed), _) => Source::Feed(feed.id),
        (None, Some(q)) if q.error.is_none() => Source::query(&q.name, &q.query),
        _ => return Vec::new(),
    };
    if app.articles.wanted == Some(source) {
        return Vec::new();
    }
    app.articles.wanted = Some(source);
    vec![Effect::LoadArticles(source)]
}

/// Asks for the rows of the shown list that are near the screen and not read yet. When a row
/// within a page of the screen is missing, the screen and two pages above and below it are
/// asked for at once, so j/k/PgDn rarely meet a row still loading and each request is a few
/// pages, not one row per key. While `/` filters: every row.
pub(super) fn want_rows(app: &mut App) -> Vec<Effect> {
    let Some(source) = app.articles.source.filter(|&s| app.articles.wanted == Some(s)) else {
        return Vec::new();
    };
    let missing = |i: &usize| {
        let id = app.articles.entries[*i].id;
        !app.articles.rows.contains_key(&id) && !app.articles.rows_loading.contains(&id)
    };
    // A query (`/?...`) is answered by the store: only the rows near the screen are needed.
    let ids: Vec<ArticleId> = if !app.needs_every_row() {
        let page = layout::list_page(app.width, app.height, Pane::Articles, app.split);
        let around = |pages: usize| {
            let start = app.articles.offset.saturating_sub(pages * page);
            let end = (app.articles.offset + (pages + 1) * page).min(app.articles.view.len());
            app.articles.view.get(start..end).unwrap_or_default()
        };
        if !around(1).iter().any(missing) {
            return Vec::new();
        }
        around(2).iter().filter(|i| missing(i)).map(|&i| app.articles.entries[i].id).collect()
    } else {
        // `/` matches titles and authors, and the title order sorts by them, which only rows
        // have: the whole list's rows are read once (one effect, what every list used to cost),
        // and the list filtered or sorted as they land.
        (0..app.articles.entries.len()).filter(missing).map(|i| app.articles.entries[i].id).collect()
    };
    if ids.is_empty() {
        return Vec::new();
    }
    app.articles.rows_loading.extend(ids.iter().copied());
    vec![Effect::LoadRows { source, ids }]
}

pub(super) fn open(app: &mut App) -> Vec<Effect> {
    match app.focus {
        Pane::Feeds => {
            if app.feeds.loaded && app.feeds.rows.is_empty() {
                // The welcome screen's offer.
                app.say("adding the sample feeds…");
                return vec![Effect::AddSamples];
            }
            if app.selected_heading().is_some() {
                toggle_fold(app);
                return Vec::new();
            }
            if app.selected_feed().is_some() || app.selected_query().is_some() {
                app.focus = Pane::Articles;
            }
            want_articles(app)
        }
        Pane::Articles => {
            if app.articles.wanted.is_some() && app.articles.wanted != app.articles.source {
                app.articles.jump = Some(Jump::Selected);
                return Vec::new();
            }
            open_selected(app)
        }
        Pane::Article => Vec::new(),
    }
}

/// Opens the selected article: marks it read, loads its body, focuses the article pane.
pub(super) fn open_selected(app: &mut App) -> Vec<Effect> {
    let Some(&index) = app.articles.view.get(app.articles.sel) else { return Vec::new() };
    let Some(entry) = app.articles.entries.get(index).copied() else { return Vec::new() };
    let mut effects = Vec::new();
    if !entry.read {
        apply_to_rows(app, &[entry.id], Mark::Read);
        effects.push(Effect::Mark { ids: vec![entry.id], mark: Mark::Read });
        push_undo(app, vec![entry.id], Mark::Unread);
    }
    // A row not read yet (`n` landing far down a list) is filled in when it arrives.
    let mut row = app.articles.rows.get(&entry.id).cloned().unwrap_or_else(|| ArticleRow::loading(&entry));
    row.read = true;
    let (width, _) = layout::article_text_size(app.width, app.height, app.split);
    let feed_title = app.feed_title(row.feed);
    effects.push(Effect::LoadBody { article: row.id, width });
    let header_hyperlink = match &row.link {
        Some(link) if app.article.hyperlinks => Osc8Uri::for_link(link, &app.article.open_schemes),
        _ => None,
    };
    app.article.open = Some(OpenArticle {
        row,
        feed_title,
        lines: None,
        links: Vec::new(),
        link_cells: Vec::new(),
        hyperlinks: Vec::new(),
        header_hyperlink,
        width,
        scroll: 0,
        resume_paragraph: None,
    });
    app.focus = Pane::Article;
    effects
}

/// `n` / `N`: the next (previous) unread article after the current one in the shown list,
/// else the first (last) unread of the next (previous) feed that has any.
pub(super) fn jump_unread(app: &mut App, forward: bool) -> Vec<Effect> {
    let len = app.articles.view.len();
    // Where the search starts: the open article if it is listed, else the selection (or
    // before the list when the feeds pane has focus).
    let open_pos = app
        .article
        .open
        .as_ref()
        .and_then(|o| app.articles.view.iter().position(|&i| app.articles.entries[i].id == o.row.id));
    let current: Option<usize> = match app.focus {
        Pane::Feeds => None,
        Pane::Article => open_pos.or(Some(app.articles.sel)),
        Pane::Articles => Some(app.articles.sel),
    };
    let listed_here = app.articles.source.is_some() && app.articles.source == app.articles.wanted;
    if listed_here && len > 0 {
        let unread = |pos: &usize| !app.articles.entries[app.articles.view[*pos]].read;
        let found = if forward {
            let from = current.map_or(0, |c| c + 1);
            (from..len).find(unread)
        } else {
            let to = current.unwrap_or(len);
            (0..to).rev().find(unread)
        };
        if let Some(pos) = found {
            app.articles.sel = pos;
            return open_selected(app);
        }
    }
    // Another feed, in the order of the feeds pane (a folded heading counts with its feeds),
    // wrapping around.
    let shown_feed = app.articles.source.and_then(Source::feed);
    let order = app.feeds_in_order();
    let n = order.len();
    let is_shown = |&(_, i): &(usize, usize)| Some(app.feeds.rows[i].id) == shown_feed;
    // The shown feed's row: the selected one if it is that feed (it can be listed twice).
    let start = order
        .iter()
        .position(|entry| entry.0 == app.feeds.sel && is_shown(entry))
        .or_else(|| order.iter().position(is_shown))
        .unwrap_or(if forward { n.saturating_sub(1) } else { 0 });
    let next =
        (1..=n).map(|k| if forward { (start + k) % n } else { (start + n - k % n) % n }).find(|&pos| {
            let f = &app.feeds.rows[order[pos].1];
            f.unread > 0 && Some(f.id) != shown_feed
        });
    let Some(pos) = next else {
        app.say("no more unread articles");
        return Vec::new();
    };
    let (row, index) = order[pos];
    match &app.feeds.view[row] {
        FeedLine::Feed(_) | FeedLine::Query(_) => app.feeds.sel = row,
        // In a folded heading: it opens to show the feed.
        FeedLine::Heading(h) => {
            let key = FeedKey::Feed { id: app.feeds.rows[index].id, group: Some(h.group.clone()) };
            app.refilter_feeds_keeping(Some(key));
        }
    }
    app.articles.jump = Some(if forward { Jump::FirstUnread } else { Jump::LastUnread });
    // Read behind the marks still on their way to the store (the open article's), so the
    // list does not offer them as unread again.
    let effects: Vec<Effect> = want_articles(app)
        .into_iter()
        .map(|e| match e {
            Effect::LoadArticles(source) => Effect::ReloadArticles(source),
            e => e,
        })
        .collect();
    if effects.is_empty() {
        // Already on its way (or shown): open when it lands / now.
        if app.articles.source == app.articles.wanted {
            let jump = app.articles.jump.take().unwrap_or(Jump::FirstUnread);
            return open_jump(app, jump);
        }
    }
    effects
}

/// `T`: group the feeds pane by tag, or list it flat again; the selection stays on its feed
/// (on a heading's first feed when going flat).
pub(super) fn toggle_groups(app: &mut App) -> Vec<Effect> {
    let selected = match app.selected_heading() {
        Some(h) => h.feeds.first().map(|&i| FeedKey::Feed { id: app.feeds.rows[i].id, group: None }),
        None => app.selected_feed_key(),
    };
    app.feeds.group_by_tag = !app.feeds.group_by_tag;
    app.refilter_feeds_keeping(selected);
    app.say(if app.feeds.group_by_tag {
        "feeds grouped by tag: Enter folds a tag (T lists them flat)"
    } else {
        "feeds listed flat (T groups them by tag)"
    });
    want_articles(app)
}

/// Enter on a heading: folds or unfolds its feeds.
pub(super) fn toggle_fold(app: &mut App) {
    let Some(group) = app.selected_heading().map(|h| h.group.clone()) else { return };
    if !app.feeds.folded.remove(&group) {
        app.feeds.folded.insert(group);
    }
    app.refilter_feeds();
}

/// Opens the first or last unread article of the list that just arrived.
pub(super) fn open_jump(app: &mut App, jump: Jump) -> Vec<Effect> {
    let unread = |pos: &usize| !app.articles.entries[app.articles.view[*pos]].read;
    let len = app.articles.view.len();
    let found = match jump {
        Jump::FirstUnread => (0..len).find(unread),
        Jump::LastUnread => (0..len).rev().find(unread),
        Jump::Selected => return open_selected(app),
    };
    match found {
        Some(pos) => {
            app.articles.sel = pos;
            open_selected(app)
        }
        None => {
            // The feed's count was stale (marks of this session not counted yet): now it is
            // known, and the jump goes on to the next feed.
            if let Some(Source::Feed(feed)) = app.articles.source {
                if let Some(f) = app.feeds.rows.iter_mut().find(|f| f.id == feed) {
                    f.unread = 0;
                }
                if app.feeds.rows.iter().any(|f| f.unread > 0 && f.id != feed) {
                    return jump_unread(app, jump != Jump::LastUnread);
                }
            }
            app.say("no more unread articles");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn moving_the_feed_selection_loads_its_articles_once() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::SelectNext), vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]);
        assert_eq!(app.feeds.sel, 1);
        // At the bottom: stays, and asks for nothing again.
        assert_eq!(update(&mut app, Action::SelectNext), vec![]);
        assert_eq!(app.feeds.sel, 1);
        assert_eq!(
            update(&mut app, Action::SelectFirst),
            vec![Effect::LoadArticles(Source::Feed(FeedId(1)))]
        );
        assert_eq!(app.feeds.sel, 0);
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(app.feeds.sel, 0);
    }

    #[test]
    fn moving_in_the_articles_pane() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        assert!(update(&mut app, Action::SelectLast).is_empty());
        assert_eq!(app.articles.sel, 2);
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(app.articles.sel, 1);
        let _ = update(&mut app, Action::PageDown);
        assert_eq!(app.articles.sel, 2);
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.articles.sel, 0);
    }

    #[test]
    fn opening_an_article_marks_it_read_and_loads_its_body() {
        let mut app = App::sample(80, 24);
        assert!(update(&mut app, Action::Open).is_empty());
        assert_eq!(app.focus, Pane::Articles);
        let effects = update(&mut app, Action::Open);
        let (width, _) = layout::article_text_size(80, 24, Default::default());
        assert_eq!(
            effects,
            vec![
                Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read },
                Effect::LoadBody { article: ArticleId(10), width }
            ]
        );
        assert_eq!(app.focus, Pane::Article);
        assert!(app.articles.entries[0].read);
        let open = app.article.open.as_ref().expect("open article");
        assert_eq!(open.feed_title, "Rust Blog");
        assert_eq!(open.lines, None);

        // A body for another article is stale and dropped; the right one lands.
        let _ = update(
            &mut app,
            Action::BodyRendered {
                article: ArticleId(11),
                width,
                lines: vec!["x".into()],
                links: vec![],
                link_cells: vec![],
            },
        );
        assert_eq!(app.article.open.as_ref().and_then(|o| o.lines.clone()), None);
        let _ = update(
            &mut app,
            Action::BodyRendered {
                article: ArticleId(10),
                width,
                lines: vec!["hi".into()],
                links: vec![],
                link_cells: vec![],
            },
        );
        assert_eq!(
            app.article.open.as_ref().and_then(|o| o.lines.clone()),
            Some(vec![ratatui::text::Line::from("hi")])
        );
    }

    #[test]
    fn going_back() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        assert_eq!(app.focus, Pane::Article);
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.focus, Pane::Articles);
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.focus, Pane::Feeds);
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.focus, Pane::Feeds);
    }

    #[test]
    fn big_o_orders_each_list_by_date_unread_title_or_feed_and_remembers_it() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        // Titles that sort otherwise than the dates: 10 "Zebra", 11 "apple", 12 "Mango" (read).
        for (id, title) in [(10, "Zebra"), (11, "apple"), (12, "Mango")] {
            app.articles.rows.get_mut(&ArticleId(id)).unwrap().title = title.into();
        }
        let shown = |app: &App| app.visible_entries().map(|e| e.id.0).collect::<Vec<_>>();
        assert_eq!(shown(&app), [10, 11, 12]);
        app.articles.sel = 1;
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!((shown(&app), app.status.message.as_str()), (vec![12, 11, 10], "articles oldest first"));
        assert_eq!(app.selected_entry().map(|e| e.id.0), Some(11), "the selection follows its article");
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!(shown(&app), [10, 11, 12], "unread first (12 is read)");
        app.articles.entries[0].read = true;
        app.refilter_articles();
        assert_eq!(shown(&app), [11, 10, 12]);
        // Title order needs every row: asked for, and sorted as they land.
        app.articles.rows.remove(&ArticleId(12));
        let effects = update(&mut app, Action::CycleOrder);
        // ... and the order is kept for the next run.
        let kept =
            std::collections::HashMap::from([("feed:1".to_owned(), crate::ui::app::ArticleOrder::Title)]);
        assert_eq!(
            effects,
            vec![
                Effect::LoadRows { source: Source::Feed(FeedId(1)), ids: vec![ArticleId(12)] },
                Effect::SaveListOrders(kept.clone())
            ]
        );
        assert_eq!(shown(&app), [11, 10, 12], "a row not read yet sorts last");
        let mut mango = ArticleRow::loading(&app.articles.entries[2]);
        mango.title = "Mango".into();
        let _ = update(
            &mut app,
            Action::RowsLoaded {
                source: Source::Feed(FeedId(1)),
                asked: vec![ArticleId(12)],
                rows: vec![mango],
            },
        );
        assert_eq!(shown(&app), [11, 12, 10], "apple, Mango, Zebra");
        // Another list has its own order; coming back finds this one's again.
        app.articles.source = Some(Source::Starred);
        app.refilter_articles();
        assert_eq!(app.order(), crate::ui::app::ArticleOrder::Newest);
        app.articles.source = Some(Source::Feed(FeedId(1)));
        app.refilter_articles();
        assert_eq!(shown(&app), [11, 12, 10]);
        let _ = update(&mut app, Action::CycleOrder);
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!(app.order(), crate::ui::app::ArticleOrder::Newest);
        assert_eq!(shown(&app), [10, 11, 12]);
        // A new run starts each list in the order kept for it.
        let mut next_run = App::sample(80, 24);
        next_run.articles.kept_orders = kept;
        next_run.refilter_articles();
        assert_eq!(next_run.order(), crate::ui::app::ArticleOrder::Title);
    }

    #[test]
    fn article_scrolling_is_clamped() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.open.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| ratatui::text::Line::from(format!("line {i}"))).collect();
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines, links: vec![], link_cells: vec![] },
        );
        let _ = update(&mut app, Action::PageDown);
        let after_page = app.article.open.as_ref().map_or(0, |o| o.scroll);
        assert!(after_page > 1, "{after_page}");
        let _ = update(&mut app, Action::SelectLast);
        let (_, page) = layout::article_text_size(80, 24, Default::default());
        assert_eq!(
            app.article.open.as_ref().map_or(0, |o| o.scroll),
            app.article.open.as_ref().map_or(0, crate::ui::app::OpenArticle::total_lines) - page
        );
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.article.open.as_ref().map_or(1, |o| o.scroll), 0);
    }

    #[test]
    fn a_resize_keeps_the_paragraph_at_the_top_of_the_view() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.open.as_ref().map_or(0, |o| o.width);
        let body = |width| Action::BodyRendered {
            article: ArticleId(10),
            width,
            lines: paragraphs(20, if width > 40 { 3 } else { 7 }),
            links: vec![],
            link_cells: vec![],
        };
        let _ = update(&mut app, body(width));
        let header = |app: &App| app.article.open.as_ref().map_or(0, |o| o.header(&app.date_format).len());
        // Paragraph 5 starts at body line 5 * 4; the view's top is in its second line.
        let top_before = header(&app) + 5 * 4 + 1;
        app.article.open.as_mut().expect("open").scroll = top_before;
        let effects = update(&mut app, Action::Resize { width: 40, height: 24 });
        let Some(Effect::LoadBody { width: narrow, .. }) = effects.first().cloned() else {
            panic!("the body is laid out again: {effects:?}")
        };
        assert!(narrow <= 40);
        let _ = update(&mut app, body(narrow));
        // At 7 lines a paragraph, paragraph 5 starts at body line 5 * 8.
        let open = app.article.open.as_ref().expect("open");
        assert_eq!(open.scroll, header(&app) + 5 * 8, "not the old offset {top_before}");
        assert_eq!(open.resume_paragraph, None);
        // A blank line at the top: the paragraph below it is the one being read.
        let blank_before_6 = header(&app) + 6 * 8 - 1;
        app.article.open.as_mut().expect("open").scroll = blank_before_6;
        let _ = update(&mut app, Action::Resize { width: 80, height: 24 });
        let _ = update(&mut app, body(width));
        assert_eq!(app.article.open.as_ref().map(|o| o.scroll), Some(header(&app) + 6 * 4));
    }

    #[test]
    fn resizing_rewraps_the_open_article() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let effects = update(&mut app, Action::Resize { width: 120, height: 40 });
        let (width, _) = layout::article_text_size(120, 40, Default::default());
        assert_eq!(effects, vec![Effect::LoadBody { article: ArticleId(10), width }]);
        assert!(update(&mut app, Action::Resize { width: 120, height: 30 }).is_empty());
    }

    #[test]
    fn n_walks_unread_articles_then_the_next_feed() {
        let mut app = two_unread_feeds();
        // From the feeds pane: the first unread of the shown feed.
        let effects = update(&mut app, Action::NextUnread);
        assert_eq!(open_id(&app), Some(ArticleId(10)));
        assert!(
            effects.contains(&Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read }),
            "{effects:?}"
        );
        assert_eq!(app.focus, Pane::Article);
        let _ = update(&mut app, Action::NextUnread);
        assert_eq!(open_id(&app), Some(ArticleId(11)));
        // No unread left here (12 is read): feed 2 is asked for (behind the marks on their
        // way), and opened when it lands.
        let effects = update(&mut app, Action::NextUnread);
        assert_eq!(effects, vec![Effect::ReloadArticles(Source::Feed(FeedId(2)))]);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(2)));
        let effects =
            update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, true), (21, false)])));
        assert_eq!(open_id(&app), Some(ArticleId(21)));
        assert!(effects.contains(&Effect::Mark { ids: vec![ArticleId(21)], mark: Mark::Read }));
        // N goes back: nothing unread above 21 in feed 2, so feed 1's last unread.
        app.feeds.rows[0].unread = 1;
        app.articles.source = Some(Source::Feed(FeedId(2)));
        let effects = update(&mut app, Action::PrevUnread);
        assert_eq!(effects, vec![Effect::ReloadArticles(Source::Feed(FeedId(1)))]);
        let _ = update(
            &mut app,
            loaded(Source::Feed(FeedId(1)), rows_of(1, &[(10, false), (11, false), (12, true)])),
        );
        assert_eq!(open_id(&app), Some(ArticleId(11)));
    }

    #[test]
    fn n_with_nothing_unread_says_so() {
        let mut app = App::sample(80, 24);
        for a in &mut app.articles.entries {
            a.read = true;
        }
        app.feeds.rows[0].unread = 0;
        assert!(update(&mut app, Action::NextUnread).is_empty());
        assert_eq!(app.status.message, "no more unread articles");
        assert_eq!(app.article.open, None);
    }

    #[test]
    fn space_at_the_end_of_an_article_opens_the_next_unread() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.open.as_ref().map_or(0, |o| o.width);
        let _ = update(
            &mut app,
            Action::BodyRendered {
                article: ArticleId(10),
                width,
                lines: vec!["short".into()],
                links: vec![],
                link_cells: vec![],
            },
        );
        let effects = update(&mut app, Action::PageDown);
        assert_eq!(open_id(&app), Some(ArticleId(11)), "{effects:?}");
    }

    #[test]
    fn unread_only_hides_read_rows_but_not_the_selected_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.feeds.rows[1].unread = 0;
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert!(app.unread_only);
        // Article 12 is read: hidden. Feed 2 has nothing unread: hidden.
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![10, 11]);
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![1]);
        // Reading the selected article keeps it listed until the list is rebuilt.
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.articles.view.len(), 2);
        let articles = list_rows(&app);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![10, 11]);
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert_eq!(app.articles.view.len(), 3);
    }

    #[test]
    fn starred_view_lists_every_feed_and_s_again_goes_back() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::ShowStarred), vec![Effect::LoadArticles(Source::Starred)]);
        assert_eq!(app.focus, Pane::Articles);
        let mut rows = rows_of(2, &[(21, true)]);
        rows.extend(rows_of(1, &[(11, false)]));
        let _ = update(&mut app, loaded(Source::Starred, rows));
        assert_eq!(app.list_title(), "Starred");
        assert_eq!(app.articles.view.len(), 2);
        // A feeds reload does not replace the starred list.
        let feeds = app.feeds.rows.clone();
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 }).is_empty());
        // A in this view marks the listed articles read.
        let effects = update(&mut app, Action::MarkFeedRead);
        assert_eq!(effects, vec![Effect::Mark { ids: vec![ArticleId(11)], mark: Mark::Read }]);
        assert_eq!(
            update(&mut app, Action::ShowStarred),
            vec![Effect::LoadArticles(Source::Feed(FeedId(1)))]
        );
    }

    #[test]
    fn a_search_lists_its_results_best_first_and_stays_until_left() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Feeds;
        assert!(update(&mut app, Action::Search).is_empty());
        assert!(matches!(app.prompt, Some(Prompt { kind: PromptKind::Search, .. })));
        // Nothing to search for: said, nothing asked.
        for c in "!!".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty());
        assert!(app.status.message.starts_with("nothing to search for"), "{}", app.status.message);
        let _ = update(&mut app, Action::Search);
        for c in "rust lang".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        let source = Source::search("rust lang");
        assert_eq!(update(&mut app, Action::Input(InputKey::Submit)), vec![Effect::LoadArticles(source)]);
        assert_eq!(app.focus, Pane::Articles);
        // Results in rank order (21 is older but better), one of them read.
        let mut rows = rows_of(2, &[(21, true)]);
        rows.extend(rows_of(1, &[(11, false)]));
        rows[0].date = 100;
        rows[1].date = 200;
        let _ = update(&mut app, loaded(source, rows));
        let _ = update(&mut app, Action::Searched { source, found: 2, shown: 2, rebuilt: false });
        assert_eq!(app.list_title(), "Search: rust lang");
        assert_eq!(app.status.message, "2 articles match rust lang (O orders them, Esc goes back)");
        let shown = |app: &App| app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>();
        assert_eq!(shown(&app), [21, 11]);
        // Unread-only does not hide what a search found, nor leave it.
        assert!(update(&mut app, Action::ToggleUnreadOnly).is_empty());
        assert_eq!(shown(&app), [21, 11]);
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        // O: by date, ..., and back to the ranking after "by feed".
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!((app.order(), shown(&app)), (crate::ui::app::ArticleOrder::Newest, vec![11, 21]));
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!(shown(&app), [21, 11], "oldest first");
        for _ in 0..4 {
            let _ = update(&mut app, Action::CycleOrder);
        }
        assert_eq!((app.order(), shown(&app)), (crate::ui::app::ArticleOrder::BestMatch, vec![21, 11]));
        // A feeds reload (after a mark, a refresh) keeps the results.
        let feeds = app.feeds.rows.clone();
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 }).is_empty());
        assert_eq!(app.articles.wanted, Some(source));
        // A marks what is listed; the prompt starts from the last search, to refine it.
        let effects = update(&mut app, Action::MarkFeedRead);
        assert_eq!(effects, vec![Effect::Mark { ids: vec![ArticleId(11)], mark: Mark::Read }]);
        let _ = update(&mut app, Action::Search);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("rust lang"));
        // A stale count (of an older search) says nothing.
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        app.status.message.clear();
        let older = Source::search("rust");
        let _ = update(&mut app, Action::Searched { source: older, found: 9, shown: 9, rebuilt: false });
        assert!(app.status.message.is_empty());
        let _ = update(&mut app, Action::Searched { source, found: 1500, shown: 1000, rebuilt: true });
        assert_eq!(
            app.status.message,
            "search index built; 1500 articles match rust lang; the best 1000 are listed (O orders them, Esc goes back)"
        );
    }

    #[test]
    fn links_open_and_copy_from_the_current_article() {
        let mut app = App::sample(120, 40);
        app.focus = Pane::Articles;
        assert_eq!(
            update(&mut app, Action::OpenInBrowser),
            vec![Effect::OpenUrl("https://example.org/0".into())]
        );
        assert_eq!(update(&mut app, Action::CopyLink), vec![Effect::Copy("https://example.org/0".into())]);
        assert!(update(&mut app, Action::OpenLink(1)).is_empty(), "no article open");
        let _ = update(&mut app, Action::Open);
        let width = app.article.open.as_ref().map_or(0, |o| o.width);
        let links = vec!["https://a.example/".to_owned(), "https://b.example/".to_owned()];
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines: vec![], links, link_cells: vec![] },
        );
        assert_eq!(update(&mut app, Action::OpenLink(2)), vec![Effect::OpenUrl("https://b.example/".into())]);
        assert!(update(&mut app, Action::OpenLink(3)).is_empty());
        assert_eq!(app.status.message, "this article has no link [3]");
        // Twelve links: a digit starts the number, Enter opens it ([1] and [12] both reachable).
        let links: Vec<String> = (1..=12).map(|n| format!("https://l.example/{n}")).collect();
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines: vec![], links, link_cells: vec![] },
        );
        assert!(update(&mut app, Action::OpenLink(1)).is_empty());
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("1"));
        let _ = update(&mut app, Action::Input(InputKey::Char('x')));
        let _ = update(&mut app, Action::Input(InputKey::Char('2')));
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::OpenUrl("https://l.example/12".into())]
        );
        let _ = update(&mut app, Action::OpenLink(1));
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::OpenUrl("https://l.example/1".into())]
        );
    }

    #[test]
    fn mouse_clicks_select_then_open_and_the_wheel_scrolls_the_pane_under_it() {
        let mut app = App::sample(120, 40);
        // Row 2 of the screen is the second feed (row 0 is the border).
        assert_eq!(
            update(&mut app, Action::MouseClick { column: 3, row: 2 }),
            vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]
        );
        assert_eq!(app.feeds.sel, 1);
        let _ = update(&mut app, Action::MouseClick { column: 3, row: 1 });
        assert_eq!(app.feeds.sel, 0);
        // Articles pane: first click selects, second on the same row opens.
        let articles = list_rows(&App::sample(120, 40));
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        let x = 60;
        assert!(update(&mut app, Action::MouseClick { column: x, row: 3 }).is_empty());
        assert_eq!((app.focus, app.articles.sel), (Pane::Articles, 2));
        let effects = update(&mut app, Action::MouseClick { column: x, row: 3 });
        assert!(
            matches!(effects.last(), Some(Effect::LoadBody { article: ArticleId(12), .. })),
            "{effects:?}"
        );
        // The wheel over the feeds pane moves its selection, whatever had focus.
        let _ = update(&mut app, Action::MouseScroll { column: 3, row: 5, down: true });
        assert_eq!((app.focus, app.feeds.sel), (Pane::Feeds, 1));
        // Below the last row: nothing.
        assert!(update(&mut app, Action::MouseClick { column: 3, row: 10 }).is_empty());
        assert_eq!(app.feeds.sel, 1);
    }

    #[test]
    fn t_cycles_through_the_tags_then_shows_every_feed() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.feeds.tag.as_deref(), Some("ai"));
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![2]);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(2)));
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.feeds.tag.as_deref(), Some("rust"));
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![1]);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.feeds.tag.as_deref(), Some("zh"));
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.feeds.tag, None);
        assert_eq!(app.feeds.view.len(), 2);
    }

    #[test]
    fn big_t_groups_the_feeds_by_tag_and_back_keeping_the_selection() {
        let mut app = App::sample(80, 24);
        assert!(update(&mut app, Action::ToggleGroups).is_empty(), "feed 1 stays selected and shown");
        assert!(app.feeds.group_by_tag);
        // Alphabetical headings; feed 2 (ai, zh) is under both.
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "-zh", "2"]);
        assert_eq!((app.feeds.sel, app.selected_feed().map(|f| f.id)), (3, Some(FeedId(1))));
        assert!(app.status.message.contains("grouped by tag"), "{}", app.status.message);
        let heading = |app: &App, tag: &str| {
            app.feeds.view.iter().find_map(|l| match l {
                FeedLine::Heading(h) if h.group.label() == tag => Some(h.unread),
                _ => None,
            })
        };
        assert_eq!((heading(&app, "rust"), heading(&app, "ai")), (Some(2), Some(0)));
        // Flat again from a heading: its first feed is selected.
        let _ = update(&mut app, Action::SelectLast);
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(selected_row(&app), "-zh");
        let _ = update(&mut app, Action::ToggleGroups);
        assert_eq!(feed_rows(&app), ["1", "2"]);
        assert_eq!(app.feeds.sel, 1);
    }

    #[test]
    fn untagged_feeds_come_last_and_tags_sort_ignoring_case() {
        let mut app = App::sample(80, 24);
        app.feeds.rows.push(FeedRow {
            id: FeedId(3),
            title: "Plain".into(),
            unread: 4,
            total: 4,
            failing: false,
            synced: false,
            tags: vec![],
            options: Default::default(),
        });
        app.feeds.rows.push(FeedRow {
            id: FeedId(4),
            title: "Caps".into(),
            unread: 1,
            total: 1,
            failing: false,
            synced: false,
            tags: vec!["Python".into(), "Python".into()],
            options: Default::default(),
        });
        let _ = update(&mut app, Action::ToggleGroups);
        assert_eq!(feed_rows(&app), ["-ai", "2", "-Python", "4", "-rust", "1", "-zh", "2", "-(no tag)", "3"]);
        // `t` cycles in the same order.
        assert_eq!(app.all_tags(), ["ai", "Python", "rust", "zh"]);
    }

    #[test]
    fn enter_on_a_heading_folds_it_and_j_k_move_over_headings() {
        let mut app = grouped_sample();
        assert!(update(&mut app, Action::SelectFirst).is_empty(), "a heading loads nothing");
        assert_eq!(selected_row(&app), "-ai");
        assert!(update(&mut app, Action::Open).is_empty());
        assert_eq!(app.focus, Pane::Feeds, "folding does not leave the pane");
        assert_eq!(feed_rows(&app), ["+ai", "-rust", "1", "-zh", "2"]);
        assert_eq!(selected_row(&app), "+ai");
        // j: the next heading, then its feed (which loads).
        let _ = update(&mut app, Action::SelectNext);
        assert_eq!(selected_row(&app), "-rust");
        assert_eq!(update(&mut app, Action::SelectNext), Vec::<Effect>::new(), "feed 1 is shown already");
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(1)));
        assert_eq!(update(&mut app, Action::SelectNext), Vec::<Effect>::new());
        assert_eq!(update(&mut app, Action::SelectNext), vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]);
        assert_eq!(app.feeds.sel, 4);
        // Enter on a feed still opens its articles.
        let _ = update(&mut app, Action::Open);
        assert_eq!(app.focus, Pane::Articles);
        // The fold is remembered across a flat interlude and a reload; Enter again unfolds.
        let _ = update(&mut app, Action::ToggleGroups);
        let _ = update(&mut app, Action::ToggleGroups);
        let feeds = app.feeds.rows.clone();
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert_eq!(feed_rows(&app)[0], "+ai");
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::SelectFirst);
        let _ = update(&mut app, Action::Open);
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "-zh", "2"]);
    }

    #[test]
    fn a_feed_added_into_a_folded_heading_opens_it() {
        let mut app = grouped_sample();
        let mut feeds = app.feeds.rows.clone();
        feeds.push(FeedRow {
            id: FeedId(9),
            title: "Added".into(),
            unread: 1,
            total: 1,
            failing: false,
            synced: false,
            tags: vec!["rust".into()],
            options: Default::default(),
        });
        app.feeds.folded.insert(TagGroup::Tag("rust".into()));
        app.refilter_feeds();
        let _ = update(&mut app, Action::FeedAdded { feed: Some(FeedId(9)), message: "added".into() });
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 3 });
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "9", "-zh", "2"]);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(9)));
    }

    #[test]
    fn grouping_with_the_filter_unread_only_and_a_tag() {
        let mut app = grouped_sample();
        // U: feed 2 has nothing unread, so its headings go (the selected feed 1 stays).
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert_eq!(feed_rows(&app), ["-rust", "1"]);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(1)));
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        // The filter: only matches, under each of their tags; empty headings go.
        let _ = update(&mut app, Action::Filter);
        for c in "机器".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(feed_rows(&app), ["-ai", "2", "-zh", "2"]);
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        assert_eq!(feed_rows(&app).len(), 6);
        // A folded heading with matches stays, folded.
        app.feeds.folded.insert(TagGroup::Tag("zh".into()));
        let _ = update(&mut app, Action::Filter);
        for c in "机器".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(feed_rows(&app), ["-ai", "2", "+zh"]);
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        app.feeds.folded.clear();
        // t: only that tag's heading, even for a feed that has another tag too.
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.feeds.tag.as_deref(), Some("ai"));
        assert_eq!(feed_rows(&app), ["-ai", "2"]);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(feed_rows(&app), ["-rust", "1"]);
    }

    #[test]
    fn n_reaches_a_feed_in_a_folded_heading_and_opens_it() {
        let mut app = grouped_sample();
        app.feeds.rows.push(FeedRow {
            id: FeedId(3),
            title: "Go".into(),
            unread: 0,
            total: 0,
            failing: false,
            synced: false,
            tags: vec!["go".into()],
            options: Default::default(),
        });
        app.feeds.folded.insert(TagGroup::Tag("rust".into()));
        app.refilter_feeds();
        // Feed 3 is shown (empty); the only unread feed, 1, is under the folded "rust".
        let _ = update(&mut app, Action::SelectFirst);
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(3)));
        let _ = update(&mut app, loaded(Source::Feed(FeedId(3)), vec![]));
        assert_eq!(
            update(&mut app, Action::NextUnread),
            vec![Effect::ReloadArticles(Source::Feed(FeedId(1)))]
        );
        assert_eq!(feed_rows(&app), ["-ai", "2", "-go", "3", "-rust", "1", "-zh", "2"]);
        assert_eq!(selected_row(&app), "1");
        let articles = list_rows(&App::sample(80, 24));
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        assert_eq!(open_id(&app), Some(ArticleId(10)));
    }

    #[test]
    fn a_click_selects_a_heading_and_a_second_click_folds_it() {
        let mut app = App::sample(120, 40);
        let _ = update(&mut app, Action::ToggleGroups);
        // Row 1 of the screen is the first row of the pane: the "ai" heading.
        assert!(update(&mut app, Action::MouseClick { column: 3, row: 1 }).is_empty());
        assert_eq!(selected_row(&app), "-ai");
        let _ = update(&mut app, Action::MouseClick { column: 3, row: 1 });
        assert_eq!(feed_rows(&app)[..2], ["+ai", "-rust"]);
        assert_eq!(
            update(&mut app, Action::MouseClick { column: 3, row: 5 }),
            vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]
        );
        assert_eq!(selected_row(&app), "2");
    }

    #[test]
    fn the_offset_keeps_the_selection_on_screen_over_headings() {
        let mut app = App::sample(80, 8);
        app.feeds.rows = (0..20)
            .map(|i| FeedRow {
                id: FeedId(i),
                title: format!("feed {i}"),
                unread: 1,
                total: 1,
                failing: false,
                synced: false,
                tags: vec![format!("tag{:02}", i / 2)],
                options: Default::default(),
            })
            .collect();
        let _ = update(&mut app, Action::ToggleGroups);
        assert_eq!(feed_rows(&app).len(), 30);
        let _ = update(&mut app, Action::SelectLast);
        let rows = layout::list_page(80, 8, Pane::Feeds, app.split);
        assert_eq!(app.feeds.offset, 30 - rows);
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!((app.feeds.sel, app.feeds.offset), (0, 0));
    }

    #[test]
    fn rows_are_read_as_the_screen_comes_near_them_and_once() {
        let (mut app, rows, effects) = long_list(1000, 200, |i| i % 3 == 0);
        assert!(effects.is_empty(), "the first window came with the list: {effects:?}");
        assert_eq!((app.articles.entries.len(), app.articles.rows.len()), (1000, 200));
        let page = layout::list_page(80, 24, Pane::Articles, app.split);
        let mut effects = Vec::new();
        while effects.is_empty() && app.articles.sel < 999 {
            effects = update(&mut app, Action::PageDown);
        }
        // Exactly the missing rows of the screen and two pages each side, in list order.
        let offset = app.articles.offset;
        assert!(offset + 2 * page > 200 && offset + page <= 200, "asked early: offset {offset}");
        let want: Vec<ArticleId> = (offset.saturating_sub(2 * page)..(offset + 3 * page).min(1000))
            .filter(|&i| i >= 200)
            .map(|i| rows[i].id)
            .collect();
        assert_eq!(effects, vec![Effect::LoadRows { source: Source::Feed(FeedId(2)), ids: want.clone() }]);
        // Not asked again while on their way.
        assert!(load_rows_ids(&update(&mut app, Action::SelectNext)).is_empty());
        assert!(load_rows_ids(&update(&mut app, Action::SelectPrev)).is_empty());
        let arrived: Vec<ArticleRow> = rows.iter().filter(|r| want.contains(&r.id)).cloned().collect();
        assert!(update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: arrived }
        )
        .is_empty());
        assert!(app.articles.rows_loading.is_empty());
        assert!(want.iter().all(|id| app.articles.rows.contains_key(id)));
        // The end of the list: the rest, once.
        let effects = update(&mut app, Action::SelectLast);
        let ids = load_rows_ids(&effects);
        assert_eq!(ids.last(), Some(&ArticleId(1999)));
        assert!(ids.iter().all(|id| !app.articles.rows.contains_key(id)), "only missing rows");
    }

    #[test]
    fn n_far_down_a_list_opens_the_article_and_fills_it_in_when_its_row_lands() {
        let (mut app, rows, _) = long_list(1000, 200, |i| i != 700);
        let effects = update(&mut app, Action::NextUnread);
        assert_eq!(open_id(&app), Some(ArticleId(1700)));
        assert_eq!(app.article.open.as_ref().map(|o| o.row.title.as_str()), Some("…"));
        assert!(effects.contains(&Effect::Mark { ids: vec![ArticleId(1700)], mark: Mark::Read }));
        let asked = load_rows_ids(&effects);
        assert!(asked.contains(&ArticleId(1700)), "{effects:?}");
        let arrived: Vec<ArticleRow> = rows.iter().filter(|r| asked.contains(&r.id)).cloned().collect();
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: arrived },
        );
        let open = app.article.open.as_ref().map(|o| o.row.clone());
        assert_eq!(open.as_ref().map(|r| (r.title.as_str(), r.read)), Some(("a1700", true)));
        assert!(app.articles.rows[&ArticleId(1700)].read);
    }
}

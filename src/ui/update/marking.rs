//! Read and starred flags: toggles, `A`, undo, and keeping a reloaded list's flags behind the
//! marks still on their way to the store.

use super::*;

/// Asks for the feeds list again, unless a reload is already on its way (then once more
/// after it lands).
/// A reload's answer, with the marks made here after it was queued (see `note_marks`).
pub(super) fn keep_newer_marks(app: &App, entries: &mut [ListEntry], rows: &mut [ArticleRow]) {
    if app.articles.marked_since_reload.is_empty() && app.articles.feeds_read_since_reload.is_empty() {
        return;
    }
    let shown: HashMap<ArticleId, (bool, bool)> = app
        .articles
        .entries
        .iter()
        .filter(|e| app.articles.marked_since_reload.contains(&e.id))
        .map(|e| (e.id, (e.read, e.starred)))
        .collect();
    let newer = |id: ArticleId, feed: FeedId, read: &mut bool, starred: &mut bool| {
        if let Some(&(r, s)) = shown.get(&id) {
            (*read, *starred) = (r, s);
        } else if app.articles.feeds_read_since_reload.contains(&feed) {
            *read = true;
        }
    };
    for e in entries.iter_mut() {
        newer(e.id, e.feed, &mut e.read, &mut e.starred);
    }
    for r in rows.iter_mut() {
        newer(r.id, r.feed, &mut r.read, &mut r.starred);
    }
}

pub(super) fn push_undo(app: &mut App, ids: Vec<ArticleId>, mark: Mark) {
    if ids.is_empty() {
        return;
    }
    if app.undo.len() >= UNDO_DEPTH {
        app.undo.remove(0);
    }
    app.undo.push(UndoStep { ids, mark });
}

/// Applies `mark` to what the reader holds of `ids`: list entries, rows and the open article.
pub(super) fn apply_to_rows(app: &mut App, ids: &[ArticleId], mark: Mark) {
    let set = |read: &mut bool, starred: &mut bool| match mark {
        Mark::Read => *read = true,
        Mark::Unread => *read = false,
        Mark::Star => *starred = true,
        Mark::Unstar => *starred = false,
    };
    let ids: HashSet<ArticleId> = ids.iter().copied().collect();
    for e in app.articles.entries.iter_mut().filter(|e| ids.contains(&e.id)) {
        set(&mut e.read, &mut e.starred);
    }
    for id in &ids {
        if let Some(r) = app.articles.rows.get_mut(id) {
            set(&mut r.read, &mut r.starred);
        }
    }
    if let Some(open) = app.article.open.as_mut().filter(|o| ids.contains(&o.row.id)) {
        set(&mut open.row.read, &mut open.row.starred);
    }
}

/// `m` (read) or `s` (star) on the current article.
pub(super) fn toggle(app: &mut App, read: bool) -> Vec<Effect> {
    let Some(current) = current_entry(app) else { return Vec::new() };
    let id = current.id;
    let was = if read { current.read } else { current.starred };
    let mark = match (read, !was) {
        (true, true) => Mark::Read,
        (true, false) => Mark::Unread,
        (false, true) => Mark::Star,
        (false, false) => Mark::Unstar,
    };
    apply_to_rows(app, &[id], mark);
    push_undo(app, vec![id], inverse(mark));
    app.say(match mark {
        Mark::Read => "marked read",
        Mark::Unread => "marked unread",
        Mark::Star => "starred",
        Mark::Unstar => "unstarred",
    });
    vec![Effect::Mark { ids: vec![id], mark }]
}

pub(super) fn inverse(mark: Mark) -> Mark {
    match mark {
        Mark::Read => Mark::Unread,
        Mark::Unread => Mark::Read,
        Mark::Star => Mark::Unstar,
        Mark::Unstar => Mark::Star,
    }
}

/// `A`: the selected feed read (in the feeds pane; every feed under a selected heading), or
/// the shown list.
pub(super) fn mark_shown_read(app: &mut App) -> Vec<Effect> {
    if app.focus == Pane::Feeds {
        if let Some(heading) = app.selected_heading() {
            let label = heading.group.label().to_owned();
            let feeds: Vec<FeedId> = heading.feeds.iter().map(|&i| app.feeds.rows[i].id).collect();
            if app.articles.source.and_then(Source::feed).is_some_and(|f| feeds.contains(&f)) {
                for a in &mut app.articles.entries {
                    a.read = true;
                }
                for r in app.articles.rows.values_mut() {
                    r.read = true;
                }
            }
            return vec![Effect::MarkFeedsRead { feeds, label }];
        }
    }
    let selected = app
        .selected_feed()
        .map(|f| Source::Feed(f.id))
        .or_else(|| app.selected_query().map(|q| Source::query(&q.name, &q.query)));
    let source = match app.focus {
        Pane::Feeds => selected,
        _ => app.articles.source.or(selected),
    };
    match source {
        Some(Source::Feed(feed)) => {
            if app.articles.source == Some(Source::Feed(feed)) {
                for a in &mut app.articles.entries {
                    a.read = true;
                }
                for r in app.articles.rows.values_mut() {
                    r.read = true;
                }
            }
            vec![Effect::MarkFeedRead(feed)]
        }
        // Articles of many feeds: the ones listed (the list must be the selected one's).
        Some(source @ (Source::Starred | Source::Query { .. } | Source::Search { .. })) => {
            if app.articles.source != Some(source) {
                return Vec::new();
            }
            let ids: Vec<ArticleId> = app.visible_entries().filter(|a| !a.read).map(|a| a.id).collect();
            if ids.is_empty() {
                return Vec::new();
            }
            apply_to_rows(app, &ids, Mark::Read);
            app.say(format!("{} marked read (u undoes)", ids.len()));
            push_undo(app, ids.clone(), Mark::Unread);
            vec![Effect::Mark { ids, mark: Mark::Read }]
        }
        None => Vec::new(),
    }
}

pub(super) fn undo(app: &mut App) -> Vec<Effect> {
    let Some(step) = app.undo.pop() else {
        app.say("nothing to undo");
        return Vec::new();
    };
    apply_to_rows(app, &step.ids, step.mark);
    let what = match step.mark {
        Mark::Read => "read",
        Mark::Unread => "unread",
        Mark::Star => "starred",
        Mark::Unstar => "unstarred",
    };
    let n = step.ids.len();
    app.say(if n == 1 {
        format!("undone: marked {what} again")
    } else {
        format!("undone: {n} marked {what}")
    });
    vec![Effect::Mark { ids: step.ids, mark: step.mark }]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn opening_a_read_article_writes_nothing() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles.sel = 2;
        let effects = update(&mut app, Action::Open);
        assert!(
            matches!(effects.as_slice(), [Effect::LoadBody { article: ArticleId(12), .. }]),
            "{effects:?}"
        );
    }

    #[test]
    fn c_marks_every_feed_read_and_u_undoes_it() {
        let mut app = App::sample(80, 24);
        let with_unread: Vec<FeedId> = app.feeds.rows.iter().filter(|f| f.unread > 0).map(|f| f.id).collect();
        assert!(!with_unread.is_empty());
        assert_eq!(
            update(&mut app, Action::CatchUpAll),
            vec![Effect::MarkFeedsRead { feeds: with_unread, label: "every feed".into() }]
        );
        assert!(app.articles.entries.iter().all(|e| e.read));
        let ids = vec![ArticleId(10), ArticleId(11)];
        let _ = update(&mut app, Action::FeedsMarkedRead { label: "every feed".into(), ids: ids.clone() });
        assert!(app.status.message.starts_with("every feed: 2 marked read"), "{}", app.status.message);
        assert_eq!(update(&mut app, Action::Undo), vec![Effect::Mark { ids, mark: Mark::Unread }]);
    }

    #[test]
    fn m_and_s_toggle() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        assert_eq!(
            update(&mut app, Action::ToggleRead),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read }]
        );
        assert!(app.articles.entries[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleRead),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Unread }]
        );
        assert!(!app.articles.entries[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleStar),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Star }]
        );
        assert!(app.articles.entries[0].starred);
        // In the feeds pane there is no article to toggle.
        app.focus = Pane::Feeds;
        assert!(update(&mut app, Action::ToggleRead).is_empty());
    }

    #[test]
    fn mark_feed_read_marks_the_rows_and_asks_the_store() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::MarkFeedRead), vec![Effect::MarkFeedRead(FeedId(1))]);
        assert!(app.articles.entries.iter().all(|a| a.read) && app.articles.rows.values().all(|r| r.read));
    }

    #[test]
    fn a_reload_queued_before_a_mark_does_not_undo_it_on_screen() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        // Another process changed something: the list reload is queued first...
        let effects = update(&mut app, Action::StoreChanged);
        assert!(effects.contains(&Effect::ReloadArticles(Source::Feed(FeedId(1)))), "{effects:?}");
        let stale_entries = app.articles.entries.clone();
        let stale_rows: Vec<ArticleRow> = app.articles.rows.values().cloned().collect();
        let first = app.articles.entries[0].id;
        // ...then the user stars the selected article and marks the whole feed read.
        assert_eq!(
            update(&mut app, Action::ToggleStar),
            vec![Effect::Mark { ids: vec![first], mark: Mark::Star }]
        );
        let _ = update(&mut app, Action::MarkFeedRead);
        // The reload read the store before those marks were written.
        let _ = update(
            &mut app,
            Action::ArticlesLoaded {
                source: Source::Feed(FeedId(1)),
                entries: stale_entries,
                rows: stale_rows,
            },
        );
        assert!(app.articles.entries.iter().all(|e| e.read), "{:?}", app.articles.entries);
        assert!(
            app.articles.entries[0].starred && app.articles.rows[&first].starred,
            "the star was undone on screen"
        );
        assert!(app.articles.rows.values().all(|r| r.read));
        // A reload queued after the marks reads them from the store: taken as it comes.
        let _ = update(&mut app, Action::StoreChanged);
        let mut fresh = app.articles.entries.clone();
        fresh[0].starred = false;
        let rows: Vec<ArticleRow> = app.articles.rows.values().cloned().collect();
        let _ = update(
            &mut app,
            Action::ArticlesLoaded { source: Source::Feed(FeedId(1)), entries: fresh, rows },
        );
        assert!(!app.articles.entries[0].starred, "a change made elsewhere after the marks is shown");
    }

    #[test]
    fn u_undoes_marks_in_reverse_order() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open); // 10 read
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::ToggleStar); // 11 starred
        assert_eq!(
            update(&mut app, Action::Undo),
            vec![Effect::Mark { ids: vec![ArticleId(11)], mark: Mark::Unstar }]
        );
        assert!(!app.articles.entries[1].starred);
        assert_eq!(
            update(&mut app, Action::Undo),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Unread }]
        );
        assert!(!app.articles.entries[0].read);
        assert!(app.article.open.as_ref().is_some_and(|o| !o.row.read), "the open article follows");
        assert!(update(&mut app, Action::Undo).is_empty());
        assert_eq!(app.status.message, "nothing to undo");

        // A: the ids the store marked come back and can be undone in one step.
        let _ = update(&mut app, Action::MarkFeedRead);
        let ids = vec![ArticleId(10), ArticleId(11)];
        let _ = update(&mut app, Action::FeedMarkedRead { feed: FeedId(1), ids: ids.clone() });
        assert_eq!(update(&mut app, Action::Undo), vec![Effect::Mark { ids, mark: Mark::Unread }]);
        assert!(
            !app.articles.entries[0].read && !app.articles.entries[1].read && app.articles.entries[2].read
        );
    }

    #[test]
    fn big_a_on_a_heading_marks_its_feeds_read_as_one_undo_step() {
        let mut app = grouped_sample();
        app.feeds.rows.push(FeedRow {
            id: FeedId(3),
            title: "Also rust".into(),
            unread: 5,
            total: 5,
            failing: false,
            synced: false,
            tags: vec!["rust".into()],
            options: Default::default(),
        });
        app.refilter_feeds();
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(selected_row(&app), "-rust");
        assert_eq!(
            update(&mut app, Action::MarkFeedRead),
            vec![Effect::MarkFeedsRead { feeds: vec![FeedId(1), FeedId(3)], label: "rust".into() }]
        );
        assert!(app.articles.entries.iter().all(|a| a.read), "the shown feed 1 is under it");
        assert!(app.articles.rows.values().all(|r| r.read), "and its rows on screen");
        let ids = vec![ArticleId(10), ArticleId(11), ArticleId(30)];
        let _ = update(&mut app, Action::FeedsMarkedRead { label: "rust".into(), ids: ids.clone() });
        assert_eq!(app.status.message, "rust: 3 marked read (u undoes)");
        assert_eq!(update(&mut app, Action::Undo), vec![Effect::Mark { ids, mark: Mark::Unread }]);
        assert!(!app.articles.entries[0].read && !app.articles.entries[1].read);
        assert!(Effect::MarkFeedsRead { feeds: vec![], label: String::new() }.is_write());
        // r on a heading says which keys fetch.
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert!(app.status.message.contains("R fetches every feed"), "{}", app.status.message);
    }

    #[test]
    fn marks_keep_the_entry_and_its_row_in_step() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let flags = |app: &App| {
            let e = app.articles.entries[0];
            let r = &app.articles.rows[&e.id];
            assert_eq!((e.read, e.starred), (r.read, r.starred), "entry and row differ");
            (e.read, e.starred)
        };
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(flags(&app), (true, false));
        let _ = update(&mut app, Action::ToggleStar);
        assert_eq!(flags(&app), (true, true));
        let _ = update(&mut app, Action::Undo);
        assert_eq!(flags(&app), (true, false));
        let _ = update(&mut app, Action::Undo);
        assert_eq!(flags(&app), (false, false));
        let _ = update(&mut app, Action::MarkFeedRead);
        assert_eq!(flags(&app), (true, false));
        // A row read before the mark reached the store comes with the old flags: the list's win.
        let mut stale = app.articles.rows[&ArticleId(10)].clone();
        stale.read = false;
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(1)), asked: vec![], rows: vec![stale] },
        );
        assert_eq!(flags(&app), (true, false));
    }
}

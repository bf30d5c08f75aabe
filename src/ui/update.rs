//! `update`: the only place the reader's state changes. No I/O: it returns the effects it
//! wants and the loop performs them.

use crate::refresh::FeedOutcome;
use crate::store::Mark;

use super::action::{Action, Effect};
use super::app::{App, OpenArticle, Pane, RefreshProgress};
use super::layout;

/// Lines above an article's body: title, feed, author, date, link and a blank line.
pub const HEADER_LINES: usize = 6;

#[must_use]
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            let (text_width, _) = layout::article_text_size(width, height);
            match &mut app.article {
                Some(open) if open.width != text_width => {
                    open.width = text_width;
                    vec![Effect::LoadBody { article: open.row.id, width: text_width }]
                }
                _ => Vec::new(),
            }
        }
        Action::SelectNext => move_by(app, 1),
        Action::SelectPrev => move_by(app, -1),
        Action::PageDown => {
            let page = page(app);
            move_by(app, page as isize)
        }
        Action::PageUp => {
            let page = page(app);
            move_by(app, -(page as isize))
        }
        Action::SelectFirst => move_by(app, isize::MIN / 2),
        Action::SelectLast => move_by(app, isize::MAX / 2),
        Action::Open => open(app),
        Action::Back => {
            app.focus = match app.focus {
                Pane::Article => Pane::Articles,
                Pane::Articles | Pane::Feeds => Pane::Feeds,
            };
            Vec::new()
        }
        Action::NextPane => {
            app.focus = match app.focus {
                Pane::Feeds => Pane::Articles,
                Pane::Articles if app.article.is_some() || !app.is_wide() => Pane::Article,
                Pane::Articles | Pane::Article => Pane::Feeds,
            };
            if !app.is_wide() && app.focus == Pane::Article && app.article.is_none() {
                app.focus = Pane::Feeds;
            }
            Vec::new()
        }
        Action::ToggleRead => toggle(app, true),
        Action::ToggleStar => toggle(app, false),
        Action::MarkFeedRead => {
            let feed = match app.focus {
                Pane::Feeds => app.selected_feed().map(|f| f.id),
                _ => app.articles_feed.or(app.selected_feed().map(|f| f.id)),
            };
            let Some(feed) = feed else { return Vec::new() };
            if app.articles_feed == Some(feed) {
                for a in &mut app.articles {
                    a.read = true;
                }
            }
            vec![Effect::MarkFeedRead(feed)]
        }
        Action::RefreshFeed => {
            let feed = match app.focus {
                Pane::Feeds => app.selected_feed().map(|f| f.id),
                _ => app.articles_feed.or(app.selected_feed().map(|f| f.id)),
            };
            match feed {
                Some(feed) => start_refresh(app, Some(feed), 1),
                None => {
                    app.message = "no feed to refresh".to_owned();
                    Vec::new()
                }
            }
        }
        Action::RefreshAll => {
            if app.feeds.is_empty() {
                app.message = "no feeds to refresh".to_owned();
                return Vec::new();
            }
            let total = app.feeds.len();
            start_refresh(app, None, total)
        }
        Action::FeedRefreshed { feed, outcome } => {
            if let Some(p) = &mut app.refresh {
                p.done += 1;
                p.total = p.total.max(p.done);
                if matches!(outcome, FeedOutcome::Failed(_)) {
                    p.failed += 1;
                }
                app.message = p.line();
            }
            // The `!` marker follows at once; counts come with the reload.
            if let Some(row) = app.feeds.iter_mut().find(|f| f.id == feed) {
                match &outcome {
                    FeedOutcome::Failed(_) => row.failing = true,
                    FeedOutcome::Updated(_) | FeedOutcome::NotModified => row.failing = false,
                    FeedOutcome::Skipped(_) => {}
                }
            }
            match outcome {
                FeedOutcome::Updated(_) => {
                    let mut effects = vec![Effect::LoadFeeds];
                    // The shown list (or the one on its way) is reloaded; ArticlesLoaded keeps
                    // the selection on the same article.
                    if app.articles_wanted == Some(feed) {
                        effects.push(Effect::ReloadArticles(feed));
                    }
                    effects
                }
                _ => Vec::new(),
            }
        }
        Action::RefreshFinished(summary) => {
            app.refresh = None;
            app.message = crate::sanitize::line(&format!("refreshed {}", summary.line()));
            vec![Effect::LoadFeeds]
        }
        Action::FeedsLoaded { feeds, unread_total } => {
            let selected = app.selected_feed().map(|f| f.id);
            app.feeds = feeds;
            app.feeds_loaded = true;
            app.unread_total = unread_total;
            app.feed_sel = selected
                .and_then(|id| app.feeds.iter().position(|f| f.id == id))
                .unwrap_or(0)
                .min(app.feeds.len().saturating_sub(1));
            if app.feeds.is_empty() {
                app.articles.clear();
                app.articles_feed = None;
            }
            want_articles(app)
        }
        Action::ArticlesLoaded { feed, articles } => {
            if app.articles_wanted != Some(feed) {
                return Vec::new();
            }
            // A reload of the shown list keeps the same article selected (by id: new articles
            // may have arrived above it); if it is gone, the same position.
            let (selected, fallback) = if app.articles_feed == Some(feed) {
                (app.selected_article().map(|a| a.id), app.article_sel)
            } else {
                (None, 0)
            };
            app.articles = articles;
            app.articles_feed = Some(feed);
            app.article_sel = selected
                .and_then(|id| app.articles.iter().position(|a| a.id == id))
                .unwrap_or(fallback)
                .min(app.articles.len().saturating_sub(1));
            Vec::new()
        }
        Action::BodyRendered { article, width, lines } => {
            if let Some(open) = &mut app.article {
                // The latest request wins: a body for another article or width is stale.
                if open.row.id == article && open.width == width {
                    open.lines = Some(lines);
                }
            }
            Vec::new()
        }
        Action::FeedMarkedRead { feed, count } => {
            let title = app.feed_title(feed);
            app.message = format!("{title}: {count} marked read");
            Vec::new()
        }
        Action::NextUnread
        | Action::PrevUnread
        | Action::Undo
        | Action::ToggleUnreadOnly
        | Action::ShowStarred
        | Action::Filter
        | Action::AddFeed
        | Action::OpenInBrowser
        | Action::OpenLink(_)
        | Action::CopyLink
        | Action::FeedInfo
        | Action::Help => {
            app.message = "not available yet".to_owned();
            Vec::new()
        }
        Action::Failed(message) => {
            app.message = crate::sanitize::line(&message);
            Vec::new()
        }
    }
}

/// Starts a refresh of `feed` (or all, `total` feeds) unless one is running.
fn start_refresh(app: &mut App, feed: Option<crate::model::FeedId>, total: usize) -> Vec<Effect> {
    if let Some(p) = &app.refresh {
        app.message = format!("a refresh is already running: {}", p.line().trim_start_matches("refreshing "));
        return Vec::new();
    }
    let progress = RefreshProgress { done: 0, total, failed: 0 };
    app.message = progress.line();
    app.refresh = Some(progress);
    vec![Effect::Refresh(feed)]
}

fn page(app: &App) -> usize {
    match app.focus {
        Pane::Article => layout::article_text_size(app.width, app.height).1.saturating_sub(1).max(1),
        pane => layout::list_page(app.width, app.height, pane),
    }
}

fn step(current: usize, len: usize, by: isize) -> usize {
    if len == 0 {
        return 0;
    }
    current.saturating_add_signed(by).min(len - 1)
}

fn move_by(app: &mut App, by: isize) -> Vec<Effect> {
    match app.focus {
        Pane::Feeds => {
            app.feed_sel = step(app.feed_sel, app.feeds.len(), by);
            want_articles(app)
        }
        Pane::Articles => {
            app.article_sel = step(app.article_sel, app.articles.len(), by);
            Vec::new()
        }
        Pane::Article => {
            let (_, page) = layout::article_text_size(app.width, app.height);
            if let Some(open) = &mut app.article {
                let total = HEADER_LINES + open.lines.as_ref().map_or(1, Vec::len);
                let max = total.saturating_sub(page);
                open.scroll = open.scroll.saturating_add_signed(by).min(max);
            }
            Vec::new()
        }
    }
}

/// Asks for the selected feed's articles unless they are shown or already asked for.
fn want_articles(app: &mut App) -> Vec<Effect> {
    let Some(feed) = app.selected_feed().map(|f| f.id) else { return Vec::new() };
    if app.articles_wanted == Some(feed) {
        return Vec::new();
    }
    app.articles_wanted = Some(feed);
    vec![Effect::LoadArticles(feed)]
}

fn open(app: &mut App) -> Vec<Effect> {
    match app.focus {
        Pane::Feeds => {
            if app.selected_feed().is_some() {
                app.focus = Pane::Articles;
            }
            want_articles(app)
        }
        Pane::Articles => {
            let Some(row) = app.articles.get_mut(app.article_sel) else { return Vec::new() };
            let mut effects = Vec::new();
            if !row.read {
                row.read = true;
                effects.push(Effect::Mark { ids: vec![row.id], mark: Mark::Read });
            }
            let row = row.clone();
            let (width, _) = layout::article_text_size(app.width, app.height);
            let feed_title = app.articles_feed.map(|f| app.feed_title(f)).unwrap_or_default();
            effects.push(Effect::LoadBody { article: row.id, width });
            app.article = Some(OpenArticle { row, feed_title, lines: None, width, scroll: 0 });
            app.focus = Pane::Article;
            effects
        }
        Pane::Article => Vec::new(),
    }
}

/// `m` (read) or `s` (star) on the selected article, or on the open one in the article pane.
fn toggle(app: &mut App, read: bool) -> Vec<Effect> {
    let id = match (app.focus, &app.article) {
        (Pane::Article, Some(open)) => open.row.id,
        (Pane::Articles, _) => match app.selected_article() {
            Some(a) => a.id,
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut rows: Vec<&mut super::app::ArticleRow> = app.articles.iter_mut().filter(|a| a.id == id).collect();
    if let Some(open) = app.article.as_mut().filter(|o| o.row.id == id) {
        rows.push(&mut open.row);
    }
    let Some(current) = rows.first().map(|r| if read { r.read } else { r.starred }) else {
        return Vec::new();
    };
    let new = !current;
    for r in rows {
        if read {
            r.read = new;
        } else {
            r.starred = new;
        }
    }
    let mark = match (read, new) {
        (true, true) => Mark::Read,
        (true, false) => Mark::Unread,
        (false, true) => Mark::Star,
        (false, false) => Mark::Unstar,
    };
    app.message = match mark {
        Mark::Read => "marked read",
        Mark::Unread => "marked unread",
        Mark::Star => "starred",
        Mark::Unstar => "unstarred",
    }
    .to_owned();
    vec![Effect::Mark { ids: vec![id], mark }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleId, FeedId};
    use crate::refresh::FeedOutcome;
    use crate::ui::app::FeedRow;

    #[test]
    fn moving_the_feed_selection_loads_its_articles_once() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::SelectNext), vec![Effect::LoadArticles(FeedId(2))]);
        assert_eq!(app.feed_sel, 1);
        // At the bottom: stays, and asks for nothing again.
        assert_eq!(update(&mut app, Action::SelectNext), vec![]);
        assert_eq!(app.feed_sel, 1);
        assert_eq!(update(&mut app, Action::SelectFirst), vec![Effect::LoadArticles(FeedId(1))]);
        assert_eq!(app.feed_sel, 0);
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(app.feed_sel, 0);
    }

    #[test]
    fn moving_in_the_articles_pane() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        assert!(update(&mut app, Action::SelectLast).is_empty());
        assert_eq!(app.article_sel, 2);
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(app.article_sel, 1);
        let _ = update(&mut app, Action::PageDown);
        assert_eq!(app.article_sel, 2);
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.article_sel, 0);
    }

    #[test]
    fn opening_an_article_marks_it_read_and_loads_its_body() {
        let mut app = App::sample(80, 24);
        assert!(update(&mut app, Action::Open).is_empty());
        assert_eq!(app.focus, Pane::Articles);
        let effects = update(&mut app, Action::Open);
        let (width, _) = layout::article_text_size(80, 24);
        assert_eq!(
            effects,
            vec![
                Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read },
                Effect::LoadBody { article: ArticleId(10), width }
            ]
        );
        assert_eq!(app.focus, Pane::Article);
        assert!(app.articles[0].read);
        let open = app.article.as_ref().expect("open article");
        assert_eq!(open.feed_title, "Rust Blog");
        assert_eq!(open.lines, None);

        // A body for another article is stale and dropped; the right one lands.
        let _ =
            update(&mut app, Action::BodyRendered { article: ArticleId(11), width, lines: vec!["x".into()] });
        assert_eq!(app.article.as_ref().and_then(|o| o.lines.clone()), None);
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines: vec!["hi".into()] },
        );
        assert_eq!(app.article.as_ref().and_then(|o| o.lines.clone()), Some(vec!["hi".to_owned()]));
    }

    #[test]
    fn opening_a_read_article_writes_nothing() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.article_sel = 2;
        let effects = update(&mut app, Action::Open);
        assert!(
            matches!(effects.as_slice(), [Effect::LoadBody { article: ArticleId(12), .. }]),
            "{effects:?}"
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
    fn q_quits_from_any_pane() {
        for pane in [Pane::Feeds, Pane::Articles, Pane::Article] {
            let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('q'));
            let action = crate::ui::keymap::action_for(key, pane).expect("q is bound");
            let mut app = App::sample(80, 24);
            app.focus = pane;
            assert_eq!(update(&mut app, action), vec![Effect::Quit]);
            assert!(app.quit);
        }
    }

    #[test]
    fn m_and_s_toggle() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        assert_eq!(
            update(&mut app, Action::ToggleRead),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read }]
        );
        assert!(app.articles[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleRead),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Unread }]
        );
        assert!(!app.articles[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleStar),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Star }]
        );
        assert!(app.articles[0].starred);
        // In the feeds pane there is no article to toggle.
        app.focus = Pane::Feeds;
        assert!(update(&mut app, Action::ToggleRead).is_empty());
    }

    #[test]
    fn mark_feed_read_marks_the_rows_and_asks_the_store() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::MarkFeedRead), vec![Effect::MarkFeedRead(FeedId(1))]);
        assert!(app.articles.iter().all(|a| a.read));
    }

    #[test]
    fn reloaded_feeds_keep_the_selection_and_stale_articles_are_dropped() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::SelectNext);
        let mut feeds = app.feeds.clone();
        feeds.insert(0, FeedRow { id: FeedId(3), title: "New".into(), unread: 1, total: 1, failing: false });
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 3 }).is_empty());
        assert_eq!(app.feed_sel, 2);
        assert_eq!(app.unread_total, 3);
        // The answer for feed 1 arrives after feed 2 was asked for: dropped.
        let _ = update(&mut app, Action::ArticlesLoaded { feed: FeedId(1), articles: vec![] });
        assert_eq!(app.articles.len(), 3);
        let _ = update(&mut app, Action::ArticlesLoaded { feed: FeedId(2), articles: vec![] });
        assert!(app.articles.is_empty());
        assert_eq!(app.articles_feed, Some(FeedId(2)));
    }

    #[test]
    fn article_scrolling_is_clamped() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| format!("line {i}")).collect();
        let _ = update(&mut app, Action::BodyRendered { article: ArticleId(10), width, lines });
        let _ = update(&mut app, Action::PageDown);
        let after_page = app.article.as_ref().map_or(0, |o| o.scroll);
        assert!(after_page > 1, "{after_page}");
        let _ = update(&mut app, Action::SelectLast);
        let (_, page) = layout::article_text_size(80, 24);
        assert_eq!(app.article.as_ref().map_or(0, |o| o.scroll), HEADER_LINES + 100 - page);
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.article.as_ref().map_or(1, |o| o.scroll), 0);
    }

    #[test]
    fn resizing_rewraps_the_open_article() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let effects = update(&mut app, Action::Resize { width: 120, height: 40 });
        let (width, _) = layout::article_text_size(120, 40);
        assert_eq!(effects, vec![Effect::LoadBody { article: ArticleId(10), width }]);
        assert!(update(&mut app, Action::Resize { width: 120, height: 30 }).is_empty());
    }

    fn updated(new: u64) -> FeedOutcome {
        FeedOutcome::Updated(crate::store::ApplyStats { new, updated: 0, dropped: 0, total: 3 + new })
    }

    #[test]
    fn r_and_big_r_start_one_refresh_at_a_time() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::RefreshFeed), vec![Effect::Refresh(Some(FeedId(1)))]);
        assert_eq!(app.refresh, Some(RefreshProgress { done: 0, total: 1, failed: 0 }));
        assert_eq!(app.message, "refreshing 0/1 feeds (0 failed)");
        // A second r or R while it runs: a message, no effect.
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert!(app.message.contains("already running"), "{}", app.message);
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        let _ = update(&mut app, Action::RefreshFinished(Default::default()));
        assert_eq!(app.refresh, None);
        assert_eq!(update(&mut app, Action::RefreshAll), vec![Effect::Refresh(None)]);
        assert_eq!(app.refresh.map(|p| p.total), Some(2));

        // In the articles pane, r is the shown feed's.
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.feed_sel = 1;
        assert_eq!(update(&mut app, Action::RefreshFeed), vec![Effect::Refresh(Some(FeedId(1)))]);
        // Without feeds there is nothing to refresh.
        let mut app = App::new(80, 24);
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert_eq!(app.refresh, None);
    }

    #[test]
    fn refresh_reports_update_progress_and_status() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::RefreshAll);
        // Feed 2 was failing and now is not modified: the marker goes, nothing reloads.
        let effects =
            update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: FeedOutcome::NotModified });
        assert!(effects.is_empty(), "{effects:?}");
        assert!(!app.feeds[1].failing);
        assert_eq!(app.message, "refreshing 1/2 feeds (0 failed)");
        // Feed 1 fails: the marker shows at once.
        let effects = update(
            &mut app,
            Action::FeedRefreshed { feed: FeedId(1), outcome: FeedOutcome::Failed("HTTP 500".into()) },
        );
        assert!(effects.is_empty(), "{effects:?}");
        assert!(app.feeds[0].failing);
        assert_eq!(app.message, "refreshing 2/2 feeds (1 failed)");
        let summary =
            crate::refresh::RefreshSummary { feeds: 2, not_modified: 1, failed: 1, ..Default::default() };
        let line = summary.line();
        assert_eq!(update(&mut app, Action::RefreshFinished(summary)), vec![Effect::LoadFeeds]);
        assert_eq!(app.refresh, None);
        assert_eq!(app.message, format!("refreshed {line}"));
    }

    #[test]
    fn an_updated_feed_reloads_the_lists() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::RefreshAll);
        // The shown feed: feeds and its articles.
        assert_eq!(
            update(&mut app, Action::FeedRefreshed { feed: FeedId(1), outcome: updated(2) }),
            vec![Effect::LoadFeeds, Effect::ReloadArticles(FeedId(1))]
        );
        // Another feed: only the feeds.
        assert_eq!(
            update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: updated(1) }),
            vec![Effect::LoadFeeds]
        );
    }

    #[test]
    fn a_reloaded_list_keeps_the_selected_article_and_the_open_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.article_sel = 1;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| format!("line {i}")).collect();
        let _ = update(&mut app, Action::BodyRendered { article: ArticleId(11), width, lines });
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        let open_before = app.article.clone();
        assert_eq!(open_before.as_ref().map(|o| o.scroll), Some(2));

        // A new article arrives on top: the selection stays on article 11, now at index 2.
        let mut articles = app.articles.clone();
        let mut newest = articles[0].clone();
        newest.id = ArticleId(99);
        newest.title = "Brand new".into();
        newest.read = false;
        articles.insert(0, newest);
        assert!(update(&mut app, Action::ArticlesLoaded { feed: FeedId(1), articles }).is_empty());
        assert_eq!(app.articles.len(), 4);
        assert_eq!(app.article_sel, 2);
        assert_eq!(app.selected_article().map(|a| a.id), Some(ArticleId(11)));
        assert_eq!(app.article, open_before);
        assert_eq!(app.focus, Pane::Article);

        // If the selected article is gone, the position is kept.
        let articles: Vec<_> = app.articles.iter().filter(|a| a.id != ArticleId(11)).cloned().collect();
        let _ = update(&mut app, Action::ArticlesLoaded { feed: FeedId(1), articles });
        assert_eq!(app.article_sel, 2);
    }
}

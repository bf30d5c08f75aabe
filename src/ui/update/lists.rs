//! Loads and background work: feeds and query feeds reloaded, refreshes and syncs started and
//! reported.

use super::*;

pub(super) fn reload_feeds(app: &mut App) -> Vec<Effect> {
    let mut effects = reload_queries(app);
    if app.feeds.reloading {
        app.feeds.stale = true;
        return effects;
    }
    app.feeds.reloading = true;
    effects.insert(0, Effect::LoadFeeds);
    effects
}

/// The first count of the query feeds waits for the first frame (the first list landed, or
/// there are no feeds): counting many query feeds over a big store is seconds of work that
/// must not slow the reader's start.
pub(super) fn count_queries_at_start(app: &mut App) -> Vec<Effect> {
    if app.feeds.queries_loaded || app.feeds.queries_loading {
        return Vec::new();
    }
    app.feeds.queries_loading = true;
    vec![Effect::LoadQueryFeedNames(app.feeds.config_queries.clone())]
}

/// Asks for the query feeds and their counts again (one load at a time, like the feeds').
pub(super) fn reload_queries(app: &mut App) -> Vec<Effect> {
    if app.feeds.queries_loading {
        app.feeds.queries_stale = true;
        return Vec::new();
    }
    app.feeds.queries_loading = true;
    vec![Effect::LoadQueryFeeds(app.feeds.config_queries.clone())]
}

/// A sync's end in the status line: failures always, what changed if anything did; its
/// progress line goes either way (it is no longer true).
pub(super) fn say_sync_ended(app: &mut App, summary: &crate::sync::SyncSummary) {
    if summary.error.is_some() {
        app.say_error(&summary.line());
    } else if summary.new_articles + summary.flags_pulled + summary.pushed + summary.feeds_added > 0 {
        app.say(crate::sanitize::line(&summary.short_line()));
    } else if app.status.message.starts_with(crate::sync::SyncStep::PREFIX) {
        // A sync that changed nothing says nothing more.
        app.say("");
    }
}

/// Starts a refresh of `feed` (or all, `total` feeds) unless one is running.
pub(super) fn start_refresh(app: &mut App, feed: Option<FeedId>, total: usize) -> Vec<Effect> {
    if let Some(p) = &app.background.refresh {
        let line = p.line();
        app.say(format!("a refresh is already running: {}", line.trim_start_matches("refreshing ")));
        return Vec::new();
    }
    let progress = RefreshProgress { done: 0, total, failed: 0 };
    app.say(progress.line());
    app.background.refresh = Some(progress);
    vec![Effect::Refresh(feed)]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn marks_of_synced_articles_are_sent_a_few_seconds_after_the_last_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.background.push_soon = true;
        // No synced feed: marks wait for the next timed sync.
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.background.push_due, None);
        app.feeds.rows[0].synced = true;
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.background.push_due, Some(PUSH_AFTER_TICKS));
        let _ = update(&mut app, Action::Tick);
        // Another mark starts the wait again: one sync for a burst.
        let _ = update(&mut app, Action::ToggleStar);
        assert_eq!(app.background.push_due, Some(PUSH_AFTER_TICKS));
        for _ in 1..PUSH_AFTER_TICKS {
            assert!(update(&mut app, Action::Tick).is_empty());
        }
        assert_eq!(update(&mut app, Action::Tick), vec![Effect::Sync]);
        assert_eq!(app.background.push_due, None);
        // Marked while that sync runs: sent by the next, once it ended.
        let _ = update(&mut app, Action::ToggleRead);
        for _ in 0..PUSH_AFTER_TICKS + 2 {
            assert!(update(&mut app, Action::Tick).is_empty());
        }
        let _ = update(&mut app, Action::SyncFinished(None));
        assert_eq!(update(&mut app, Action::Tick), vec![Effect::Sync]);
        // Background syncs off (sync_interval_minutes = 0): nothing is sent by itself.
        let _ = update(&mut app, Action::SyncFinished(None));
        app.background.push_soon = false;
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.background.push_due, None);
    }

    #[test]
    fn reloaded_feeds_keep_the_selection_and_stale_articles_are_dropped() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::SelectNext);
        let mut feeds = app.feeds.rows.clone();
        feeds.insert(
            0,
            FeedRow {
                id: FeedId(3),
                title: "New".into(),
                unread: 1,
                total: 1,
                failing: false,
                synced: false,
                tags: vec![],
                options: Default::default(),
            },
        );
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 3 }).is_empty());
        assert_eq!(app.feeds.sel, 2);
        assert_eq!(app.status.unread_total, 3);
        // The answer for feed 1 arrives after feed 2 was asked for: dropped.
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), vec![]));
        assert_eq!(app.articles.entries.len(), 3);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), vec![]));
        assert!(app.articles.entries.is_empty());
        assert_eq!(app.articles.source, Some(Source::Feed(FeedId(2))));
    }

    #[test]
    fn r_and_big_r_start_one_refresh_at_a_time() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::RefreshFeed), vec![Effect::Refresh(Some(FeedId(1)))]);
        assert_eq!(app.background.refresh, Some(RefreshProgress { done: 0, total: 1, failed: 0 }));
        assert_eq!(app.status.message, "refreshing 0/1 feeds (0 failed)");
        // A second r or R while it runs: a message, no effect.
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert!(app.status.message.contains("already running"), "{}", app.status.message);
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        let _ = update(&mut app, Action::RefreshFinished(Default::default()));
        assert_eq!(app.background.refresh, None);
        assert_eq!(update(&mut app, Action::RefreshAll), vec![Effect::Refresh(None)]);
        assert_eq!(app.background.refresh.map(|p| p.total), Some(2));

        // In the articles pane, r is the shown feed's.
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.feeds.sel = 1;
        assert_eq!(update(&mut app, Action::RefreshFeed), vec![Effect::Refresh(Some(FeedId(1)))]);
        // Without feeds there is nothing to refresh.
        let mut app = App::new(80, 24);
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert_eq!(app.background.refresh, None);
    }

    #[test]
    fn refresh_reports_update_progress_and_status() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::RefreshAll);
        // Feed 2 was failing and now is not modified: the marker goes, nothing reloads.
        let effects =
            update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: FeedOutcome::NotModified });
        assert!(effects.is_empty(), "{effects:?}");
        assert!(!app.feeds.rows[1].failing);
        assert_eq!(app.status.message, "refreshing 1/2 feeds (0 failed)");
        // Feed 1 fails: the marker shows at once.
        let effects = update(
            &mut app,
            Action::FeedRefreshed { feed: FeedId(1), outcome: FeedOutcome::Failed("HTTP 500".into()) },
        );
        assert!(effects.is_empty(), "{effects:?}");
        assert!(app.feeds.rows[0].failing);
        assert_eq!(app.status.message, "refreshing 2/2 feeds (1 failed)");
        let summary =
            crate::refresh::RefreshSummary { feeds: 2, not_modified: 1, failed: 1, ..Default::default() };
        let line = summary.line();
        assert_eq!(
            update(&mut app, Action::RefreshFinished(summary)),
            vec![Effect::LoadFeeds, Effect::LoadQueryFeeds(Vec::new())]
        );
        assert_eq!(app.background.refresh, None);
        assert_eq!(app.status.message, format!("refreshed {line}"));
    }

    #[test]
    fn a_refresh_or_a_change_made_by_another_process_shows_here() {
        let mut app = App::sample(80, 24);
        // A cron `tidings refresh` starts: its progress shows, and R does not start another.
        assert!(update(&mut app, Action::RefreshStarted { total: 2 }).is_empty());
        assert_eq!(app.status.message, "refreshing 0/2 feeds (0 failed)");
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        let _ =
            update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: FeedOutcome::NotModified });
        assert_eq!(app.status.message, "refreshing 1/2 feeds (0 failed)");
        // Its holder is killed before it ends: the progress does not stay up forever.
        let effects = update(&mut app, Action::Reconnected);
        assert_eq!(app.background.refresh, None);
        assert_eq!(
            effects,
            vec![
                Effect::LoadFeeds,
                Effect::LoadQueryFeeds(Vec::new()),
                Effect::ReloadArticles(Source::Feed(FeedId(1)))
            ]
        );
        // A mark from `tidings mark` reloads the feeds and the list shown (once the reload
        // under way has landed).
        let feeds = app.feeds.rows.clone();
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert_eq!(
            update(&mut app, Action::StoreChanged),
            vec![Effect::LoadFeeds, Effect::ReloadArticles(Source::Feed(FeedId(1)))]
        );
    }

    #[test]
    fn a_refresh_that_ran_in_a_holder_that_went_away_no_longer_blocks_r() {
        let mut app = App::sample(80, 24);
        // Another process's refresh, followed here.
        let _ = update(&mut app, Action::RefreshStarted { total: 2 });
        assert!(update(&mut app, Action::RefreshAll).is_empty(), "R while it runs");
        // Its process dies: the end never comes, and R works again.
        let effects = update(&mut app, Action::Reconnected);
        assert!(effects.contains(&Effect::LoadFeeds), "{effects:?}");
        assert_eq!(app.background.refresh, None);
        assert!(app.status.message.contains("R starts another"), "{}", app.status.message);
        assert_eq!(update(&mut app, Action::RefreshAll), vec![Effect::Refresh(None)]);
        // Without a refresh running it only reloads, quietly.
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::Reconnected);
        assert_eq!(app.status.message, "");
    }

    #[test]
    fn an_updated_feed_reloads_the_lists() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::RefreshAll);
        // The shown feed: feeds and its articles.
        assert_eq!(
            update(&mut app, Action::FeedRefreshed { feed: FeedId(1), outcome: updated(2) }),
            vec![
                Effect::LoadFeeds,
                Effect::LoadQueryFeeds(Vec::new()),
                Effect::ReloadArticles(Source::Feed(FeedId(1)))
            ]
        );
        // Another feed while that reload is on its way: one more reload once it lands.
        assert_eq!(update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: updated(1) }), vec![]);
        assert_eq!(update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: updated(1) }), vec![]);
        let feeds = app.feeds.rows.clone();
        let effects = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 2 });
        assert_eq!(effects, vec![Effect::LoadFeeds]);
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 }).is_empty());
    }

    #[test]
    fn a_reloaded_list_keeps_the_selected_article_and_the_open_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles.sel = 1;
        let _ = update(&mut app, Action::Open);
        let width = app.article.open.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| ratatui::text::Line::from(format!("line {i}"))).collect();
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(11), width, lines, links: vec![], link_cells: vec![] },
        );
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        let open_before = app.article.open.clone();
        assert_eq!(open_before.as_ref().map(|o| o.scroll), Some(2));

        // A new article arrives on top: the selection stays on article 11, now at index 2.
        let mut articles = list_rows(&app);
        let mut newest = articles[0].clone();
        newest.id = ArticleId(99);
        newest.title = "Brand new".into();
        newest.read = false;
        articles.insert(0, newest);
        assert!(update(&mut app, loaded(Source::Feed(FeedId(1)), articles)).is_empty());
        assert_eq!(app.articles.entries.len(), 4);
        assert_eq!(app.articles.sel, 2);
        assert_eq!(app.selected_article().map(|a| a.id), Some(ArticleId(11)));
        assert_eq!(app.article.open, open_before);
        assert_eq!(app.focus, Pane::Article);

        // If the selected article is gone, the position is kept.
        let articles: Vec<_> = list_rows(&app).into_iter().filter(|a| a.id != ArticleId(11)).collect();
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        assert_eq!(app.articles.sel, 2);
    }

    #[test]
    fn messages_time_out_and_auto_refresh_is_quiet() {
        let mut app = App::sample(80, 24);
        app.say("hello");
        for _ in 0..MESSAGE_TICKS - 1 {
            let _ = update(&mut app, Action::Tick);
        }
        assert_eq!(app.status.message, "hello");
        let _ = update(&mut app, Action::Tick);
        assert_eq!(app.status.message, "");
        assert_eq!(update(&mut app, Action::AutoRefresh), vec![Effect::Refresh(None)]);
        // During a refresh too: "marked read" goes (the progress is drawn from the state).
        app.say("marked read");
        for _ in 0..MESSAGE_TICKS {
            let _ = update(&mut app, Action::Tick);
        }
        assert_eq!(app.status.message, "");
        assert!(app.background.refresh.is_some());
        // A timer firing during a refresh does nothing, not even a message.
        app.status.message.clear();
        assert!(update(&mut app, Action::AutoRefresh).is_empty());
        assert!(!app.status.message.contains("already"));
    }

    #[test]
    fn a_failed_sync_with_the_refresh_is_shown_as_an_error() {
        let mut app = App::default();
        let sync = crate::sync::SyncSummary {
            error: Some("cannot reach the sync server".into()),
            ..Default::default()
        };
        let summary =
            crate::refresh::RefreshSummary { feeds: 1, fetched: 1, sync: Some(sync), ..Default::default() };
        let _ = update(&mut app, Action::RefreshFinished(summary));
        assert!(app.status.is_error);
        assert!(
            app.status.message.starts_with("sync failed: cannot reach the sync server"),
            "{}",
            app.status.message
        );
        let sync = crate::sync::SyncSummary { new_articles: 3, ..Default::default() };
        let summary = crate::refresh::RefreshSummary { sync: Some(sync.clone()), ..Default::default() };
        let _ = update(&mut app, Action::RefreshFinished(summary));
        assert!(!app.status.is_error);
        assert!(app.status.message.starts_with("synced: 3 new,"), "{}", app.status.message);
        let summary = crate::refresh::RefreshSummary { feeds: 2, sync: Some(sync), ..Default::default() };
        let _ = update(&mut app, Action::RefreshFinished(summary));
        assert!(
            app.status.message.starts_with("refreshed 2 feeds")
                && app.status.message.contains("; synced: 3 new"),
            "{}",
            app.status.message
        );
    }

    #[test]
    fn background_syncs_run_one_at_a_time_and_speak_only_when_something_happened() {
        let mut app = App::default();
        assert_eq!(update(&mut app, Action::AutoSync), vec![Effect::Sync]);
        assert!(update(&mut app, Action::AutoSync).is_empty(), "one at a time");
        let _ = update(&mut app, Action::SyncFinished(Some(crate::sync::SyncSummary::default())));
        assert!(app.status.message.is_empty(), "nothing happened: {}", app.status.message);
        assert_eq!(update(&mut app, Action::AutoSync), vec![Effect::Sync]);
        let done = crate::sync::SyncSummary { new_articles: 2, ..Default::default() };
        let _ = update(&mut app, Action::SyncFinished(Some(done)));
        assert!(app.status.message.starts_with("synced: 2 new,"), "{}", app.status.message);
        let _ = update(&mut app, Action::AutoSync);
        let failed = crate::sync::SyncSummary {
            error: Some("cannot reach the sync server".into()),
            ..Default::default()
        };
        let _ = update(&mut app, Action::SyncFinished(Some(failed)));
        assert!(app.status.is_error && app.status.message.contains("sync failed"));
        // No account: the answer is None, and nothing is said.
        app.status.message.clear();
        let _ = update(&mut app, Action::AutoSync);
        assert!(update(&mut app, Action::SyncFinished(None)).is_empty());
        assert!(app.status.message.is_empty() && !app.background.syncing);
        // Its progress shows while it runs, and goes when it ended having changed nothing.
        let _ = update(&mut app, Action::AutoSync);
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Articles { received: 300 }));
        assert_eq!(app.status.message, "syncing: 300 articles from the server");
        let _ = update(&mut app, Action::SyncFinished(Some(crate::sync::SyncSummary::default())));
        assert!(app.status.message.is_empty(), "{}", app.status.message);
        // Another message since the progress stays.
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Flags));
        app.say("marked read");
        let _ = update(&mut app, Action::SyncedElsewhere(crate::sync::SyncSummary::default()));
        assert_eq!(app.status.message, "marked read");
        // A sync another process ran (cron) says what it brought, and does not end this
        // reader's own.
        let _ = update(&mut app, Action::AutoSync);
        let cron = crate::sync::SyncSummary { flags_pulled: 4, ..Default::default() };
        let _ = update(&mut app, Action::SyncedElsewhere(cron));
        assert!(
            app.status.message.starts_with("synced: 0 new, 0 sent, 4 from the server"),
            "{}",
            app.status.message
        );
        assert!(app.background.syncing);
        let _ = update(&mut app, Action::SyncFinished(None));
        // While a refresh runs (it syncs too), the timer does nothing, and the refresh's own
        // line stays.
        app.background.refresh = Some(crate::ui::app::RefreshProgress { done: 0, total: 1, failed: 0 });
        app.say("refreshing 0/1");
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Flags));
        assert_eq!(app.status.message, "refreshing 0/1");
        assert!(update(&mut app, Action::AutoSync).is_empty());
    }

    #[test]
    fn refresh_on_start_waits_for_the_feeds() {
        let mut app = App::new(80, 24);
        app.background.refresh_on_load = true;
        let feeds = App::sample(80, 24).feeds.rows;
        let effects = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 2 });
        assert_eq!(effects, vec![Effect::Refresh(None), Effect::LoadArticles(Source::Feed(FeedId(1)))]);
        let _ = update(&mut app, Action::RefreshFinished(Default::default()));
        // Only once.
        let effects = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert!(!effects.contains(&Effect::Refresh(None)));
    }

    #[test]
    fn query_feeds_are_listed_by_name_at_once_then_counted() {
        let mut app = App::sample(80, 24);
        (app.feeds.loaded, app.feeds.queries_loaded, app.feeds.queries_loading) = (true, false, false);
        app.feeds.sel = 1;
        let selected = selected_row(&app);
        assert_eq!(count_queries_at_start(&mut app), vec![Effect::LoadQueryFeedNames(Vec::new())]);
        let named: Vec<crate::ui::app::QueryRow> = ["Unread", "Empty"]
            .iter()
            .map(|n| crate::ui::app::QueryRow {
                name: (*n).into(),
                query: "unread".into(),
                unread: None,
                total: None,
                error: None,
            })
            .collect();
        let effects = update(&mut app, Action::QueryFeedNamesLoaded(named));
        assert_eq!(effects, vec![Effect::LoadQueryFeedsAtStart(Vec::new())]);
        assert_eq!(&feed_rows(&app)[..2], ["?Unread", "?Empty"]);
        assert!(app.feeds.queries.iter().all(|q| q.unread.is_none()), "not counted yet: shown as …");
        assert_eq!(selected_row(&app), selected, "the rows came above the selection, it stays");
        let counted = vec![query_row("Unread", "unread", 3), query_row("Empty", "title:zzz", 0)];
        let _ = update(&mut app, Action::QueryFeedsLoaded(counted));
        assert_eq!(app.feeds.queries[0].unread, Some(3));
        assert_eq!(selected_row(&app), selected);
        // Names that come after the counts (a reload overtook them) change nothing.
        let effects = update(&mut app, Action::QueryFeedNamesLoaded(Vec::new()));
        assert!(effects.is_empty());
        assert_eq!(app.feeds.queries.len(), 2);
    }

    #[test]
    fn query_feeds_come_first_open_like_feeds_and_are_counted_again_after_marks() {
        let mut app = App::sample(80, 24);
        let before = feed_rows(&app);
        let rows = vec![query_row("Unread", "unread", 3), query_row("Empty", "title:zzz", 0)];
        let _ = update(&mut app, Action::QueryFeedsLoaded(rows.clone()));
        let mut expected = vec!["?Unread".to_owned(), "?Empty".to_owned()];
        expected.extend(before.clone());
        assert_eq!(feed_rows(&app), expected);
        // The feeds came first: the selection stays on its feed, two rows down.
        assert_eq!(app.feeds.sel, 2);
        let effects = update(&mut app, Action::QueryFeedsLoaded(rows.clone()));
        assert_eq!(app.feeds.sel, 2, "a reload too: {effects:?}");
        // Before the feeds, the first query feed is the first row.
        let mut fresh = App::new(80, 24);
        let _ = update(&mut fresh, Action::QueryFeedsLoaded(rows.clone()));
        assert_eq!(fresh.feeds.sel, 0);
        assert_eq!(fresh.selected_query().map(|q| q.name.as_str()), Some("Unread"));
        // A query feed opens like a feed: its list is the store's answer to the expression.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.articles.wanted, Some(Source::query("Unread", "unread")));
        // Unread-only hides the query feeds with nothing unread, not the selected one.
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert!(!feed_rows(&app).contains(&"?Empty".to_owned()));
        assert!(feed_rows(&app).contains(&"?Unread".to_owned()));
        // A mark asks for the counts again, behind the mark (the writer runs both in order).
        app.focus = Pane::Articles;
        app.articles.source = app.articles.wanted;
        app.articles.entries =
            vec![ListEntry { id: ArticleId(10), feed: FeedId(1), read: false, starred: false }];
        app.refilter_articles();
        let effects = update(&mut app, Action::ToggleRead);
        assert!(matches!(effects.last(), Some(Effect::LoadQueryFeeds(_))), "{effects:?}");
        assert!(effects.iter().all(Effect::is_write));
        // One count at a time: another mark while it runs asks for one more after it.
        let effects = update(&mut app, Action::ToggleRead);
        assert!(!effects.iter().any(|e| matches!(e, Effect::LoadQueryFeeds(_))));
        let effects = update(&mut app, Action::QueryFeedsLoaded(rows));
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadQueryFeeds(_))), "{effects:?}");
    }

    #[test]
    fn a_reload_keeps_a_heading_or_a_feed_under_its_heading_selected() {
        let mut app = grouped_sample();
        let _ = update(&mut app, Action::SelectLast);
        assert_eq!((selected_row(&app), selected_group(&app)), ("2".into(), Some("zh".into())));
        // The reload puts a new "ai" feed first and reorders: feed 2 under zh stays selected,
        // not its first row under ai.
        let mut feeds = app.feeds.rows.clone();
        feeds.reverse();
        feeds.insert(
            0,
            FeedRow {
                id: FeedId(3),
                title: "New".into(),
                unread: 1,
                total: 1,
                failing: false,
                synced: false,
                tags: vec!["ai".into()],
                options: Default::default(),
            },
        );
        let _ = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 3 });
        assert_eq!(feed_rows(&app), ["-ai", "3", "2", "-rust", "1", "-zh", "2"]);
        assert_eq!((app.feeds.sel, selected_group(&app)), (6, Some("zh".into())));
        // A heading is kept by its tag.
        let _ = update(&mut app, Action::SelectFirst);
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        assert_eq!(selected_row(&app), "-rust");
        feeds.remove(0);
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "-zh", "2"]);
        assert_eq!(selected_row(&app), "-rust");
    }

    #[test]
    fn rows_of_a_list_no_longer_shown_are_dropped() {
        let (mut app, rows, _) = long_list(1000, 200, |_| false);
        let effects = update(&mut app, Action::SelectLast);
        let asked = load_rows_ids(&effects);
        assert!(!asked.is_empty());
        // Back to feed 1 before the rows land.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::SelectFirst);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), rows_of(1, &[(10, false)])));
        assert!(app.articles.rows_loading.is_empty());
        let late: Vec<ArticleRow> = rows.iter().filter(|r| asked.contains(&r.id)).cloned().collect();
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: late },
        );
        assert_eq!(app.articles.rows.keys().copied().collect::<Vec<_>>(), vec![ArticleId(10)]);
    }

    #[test]
    fn a_reload_keeps_the_selection_by_id_and_its_rows_on_screen() {
        let (mut app, mut rows, _) = long_list(1000, 200, |_| false);
        let _ = update(&mut app, Action::SelectLast);
        let _ = update(&mut app, Action::SelectPrev);
        let asked: Vec<ArticleRow> = rows[800..].to_vec();
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: asked },
        );
        assert_eq!(app.selected_entry().map(|e| e.id), Some(ArticleId(1998)));
        // A refresh brings a new article on top: the list comes again with its first rows.
        let mut newest = rows[0].clone();
        newest.id = ArticleId(5000);
        rows.insert(0, newest);
        let entries = rows.iter().map(ArticleRow::entry).collect();
        let effects = update(
            &mut app,
            Action::ArticlesLoaded { source: Source::Feed(FeedId(2)), entries, rows: rows[..200].to_vec() },
        );
        assert_eq!(app.selected_entry().map(|e| e.id), Some(ArticleId(1998)));
        assert_eq!(app.articles.sel, 999);
        // The rows on screen are asked for again, and drawn from before until they land.
        let ids = load_rows_ids(&effects);
        assert!(ids.contains(&ArticleId(1998)), "{effects:?}");
        assert_eq!(app.selected_article().map(|r| r.title.as_str()), Some("a1998"));
    }
}

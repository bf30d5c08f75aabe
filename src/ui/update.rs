//! `update`: the only place the reader's state changes. No I/O: it returns the effects it
//! wants and the loop performs them.

use std::collections::{HashMap, HashSet};

use crate::model::{ArticleId, FeedId};
use crate::refresh::FeedOutcome;
use crate::store::{ListEntry, Mark};

use crossterm::event::{KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect, InputKey};
use super::app::{
    App, ArticleRow, FeedKey, FeedLine, IdMap, Jump, OpenArticle, Overlay, Pane, Prompt, PromptKind,
    RefreshProgress, Source, UndoStep, MESSAGE_TICKS, PUSH_AFTER_TICKS, UNDO_DEPTH,
};
use super::hyperlink::Osc8Uri;
use super::keymap::{self, Keymap};
use super::layout;

/// Applies `action`. A fact (a list landed, a body rendered...) applies at once; a key or
/// other intent joins `App::queued` and is obeyed in its turn, as soon as what it needs has
/// landed: keys typed faster than lists load are neither dropped nor reordered.
#[must_use]
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if let Action::Key(key) = &action {
        if Keymap::is_quit_key(*key) {
            // Ctrl-c quits at once, also with keys waiting and from inside a window.
            app.queued.clear();
            app.quit = true;
            return vec![Effect::Quit];
        }
    }
    let mut effects = Vec::new();
    if action.is_intent() {
        app.queued.push_back(action);
    } else {
        // A failed read may be what the first key waits for: then the keys are obeyed now,
        // on what the reader has, rather than never.
        let failed = matches!(action, Action::Failed(_));
        effects = apply_one(app, action);
        if failed {
            effects.extend(obey_queued(app, true));
        }
    }
    effects.extend(obey_queued(app, false));
    if effects.iter().any(Effect::is_mark) {
        if app.push_soon && app.feeds.iter().any(|f| f.synced) {
            // Restarted by every mark: a burst of reads goes in one sync.
            app.push_due = Some(PUSH_AFTER_TICKS);
        }
        if !app.queries.is_empty() {
            // Query feeds' counts follow every mark (counted behind it, by the writer).
            effects.extend(reload_queries(app));
        }
    }
    effects
}

/// One action applied, then the lists kept on screen and their rows asked for.
fn apply_one(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = apply(app, action);
    app.scroll_lists();
    app.trim_rows();
    effects.extend(want_rows(app));
    note_marks(app, &effects);
    effects
}

/// Remembers what is marked after a reload of the shown list was queued. The writer runs
/// effects in order, so that reload reads the store before these marks are written; when
/// its answer lands, these articles keep the flags shown here instead of the older ones it
/// read (which would undo a mark on screen while another process's change is reloaded).
fn note_marks(app: &mut App, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::ReloadArticles(_) => {
                app.marked_since_reload.clear();
                app.feeds_read_since_reload.clear();
            }
            Effect::Mark { ids, .. } => app.marked_since_reload.extend(ids.iter().copied()),
            Effect::MarkFeedRead(feed) => {
                app.feeds_read_since_reload.insert(*feed);
            }
            Effect::MarkFeedsRead { feeds, .. } => app.feeds_read_since_reload.extend(feeds.iter().copied()),
            _ => {}
        }
    }
}

/// Obeys the queued intents in order until one has to wait (`force`: none waits).
fn obey_queued(app: &mut App, force: bool) -> Vec<Effect> {
    let mut effects = Vec::new();
    while let Some(next) = app.queued.pop_front() {
        if app.quit {
            app.queued.clear();
            break;
        }
        let action = match next {
            Action::Key(key) => {
                let (now, then) = meaning(app, key);
                if let Some(then) = then {
                    app.queued.push_front(Action::Key(then));
                }
                match now {
                    Some(action) => action,
                    None => continue,
                }
            }
            action => action,
        };
        if !force && waits(app, &action) {
            app.queued.push_front(action);
            break;
        }
        effects.extend(apply_one(app, action));
    }
    effects
}

/// What a typed key means now: the action, and a key to obey after it. Esc and a key typed
/// quickly (or over SSH) arrive as Alt+key: unless Alt+key is bound, that is both, the Esc
/// first (which may close a prompt) and then the key. In a prompt a key is text.
fn meaning(app: &App, key: KeyEvent) -> (Option<Action>, Option<KeyEvent>) {
    if key.kind == KeyEventKind::Release {
        return (None, None);
    }
    if key.modifiers.contains(KeyModifiers::ALT)
        && (app.prompt.is_some() || app.keymap.action_for(key).is_none())
    {
        let esc = if app.prompt.is_some() { Action::Input(InputKey::Cancel) } else { Action::Back };
        return (Some(esc), Some(KeyEvent { modifiers: key.modifiers - KeyModifiers::ALT, ..key }));
    }
    let action = if app.prompt.is_some() { keymap::prompt_key(key) } else { app.keymap.action_for(key) };
    (action, None)
}

/// Whether `action` has to wait for something on its way to be obeyed as it was meant: the
/// feeds at start, the list `n` jumped to, the list the articles pane is about to show, the
/// open article's body (to scroll it or follow its links) or its row (its link).
fn waits(app: &App, action: &Action) -> bool {
    if matches!(action, Action::Quit) {
        // `n q` quits after the article `n` went to is open (and marked read), even when
        // its list had to be read first.
        return app.jump.is_some();
    }
    if !app.feeds_loaded || app.jump.is_some() {
        return true;
    }
    if app.prompt.is_some() || app.overlay.is_some() {
        // Text, or keys that scroll and close a window.
        return false;
    }
    let list_pending = app.articles_wanted.is_some() && app.articles_wanted != app.articles_source;
    let jumping = matches!(action, Action::NextUnread | Action::PrevUnread);
    match app.focus {
        Pane::Feeds => jumping && list_pending,
        Pane::Articles => list_pending,
        Pane::Article => {
            let Some(open) = &app.article else { return jumping && list_pending };
            let body = open.lines.is_none()
                && matches!(
                    action,
                    Action::SelectNext
                        | Action::SelectPrev
                        | Action::SelectFirst
                        | Action::SelectLast
                        | Action::PageDown
                        | Action::PageUp
                        | Action::OpenLink(_)
                );
            let row = app.rows_loading.contains(&open.row.id)
                && matches!(action, Action::OpenInBrowser | Action::CopyLink);
            (jumping && list_pending) || body || row
        }
    }
}

fn apply(app: &mut App, action: Action) -> Vec<Effect> {
    if app.overlay.is_some() {
        if let Some(effects) = overlay_action(app, &action) {
            return effects;
        }
    }
    match action {
        // Resolved by `obey_queued` before it gets here.
        Action::Key(_) => Vec::new(),
        Action::Quit => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            let (text_width, _) = layout::article_text_size(width, height, app.split);
            match &mut app.article {
                Some(open) if open.width != text_width => {
                    // Reading position, not line offset: the paragraph at the top stays there.
                    if open.resume_paragraph.is_none() {
                        open.resume_paragraph = open.paragraph_at_top(&app.date_format);
                    }
                    open.width = text_width;
                    vec![Effect::LoadBody { article: open.row.id, width: text_width }]
                }
                _ => Vec::new(),
            }
        }
        Action::Tick => {
            app.message_age = app.message_age.saturating_add(1);
            // Every message goes in time; a running refresh's progress is drawn from
            // `app.refresh` once none is left.
            if app.message_age >= MESSAGE_TICKS {
                app.message.clear();
            }
            match app.push_due {
                // A sync or a refresh (which syncs) runs: the marks go with the next one.
                Some(_) if app.syncing || app.refresh.is_some() => {
                    app.push_due = Some(1);
                    Vec::new()
                }
                Some(ticks) if ticks > 1 => {
                    app.push_due = Some(ticks - 1);
                    Vec::new()
                }
                Some(_) => {
                    app.push_due = None;
                    apply_one(app, Action::AutoSync)
                }
                None => Vec::new(),
            }
        }
        Action::MouseScroll { column, row, down } => {
            let Some(pane) = pane_at(app, column, row) else { return Vec::new() };
            app.focus = pane;
            move_by(app, if down { 3 } else { -3 })
        }
        Action::MouseClick { column, row } => click(app, column, row),
        Action::SelectNext => move_by(app, 1),
        Action::SelectPrev => move_by(app, -1),
        Action::PageDown => page_down(app),
        Action::PageUp => {
            let page = page(app);
            move_by(app, -(page as isize))
        }
        Action::SelectFirst => move_by(app, isize::MIN / 2),
        Action::SelectLast => move_by(app, isize::MAX / 2),
        Action::Open => open(app),
        Action::Back => back(app),
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
        Action::MarkFeedRead => mark_shown_read(app),
        Action::Undo => undo(app),
        Action::NextUnread => jump_unread(app, true),
        Action::PrevUnread => jump_unread(app, false),
        Action::ToggleUnreadOnly => {
            app.unread_only = !app.unread_only;
            app.refilter_feeds();
            app.refilter_articles();
            app.say(if app.unread_only { "showing unread only (U shows all)" } else { "showing all" });
            want_articles(app)
        }
        Action::ShowStarred => {
            if app.articles_wanted == Some(Source::Starred) {
                // Again: back to the selected feed.
                let effects = want_articles(app);
                app.focus = if app.selected_feed().is_some() || app.selected_query().is_some() {
                    Pane::Articles
                } else {
                    Pane::Feeds
                };
                return effects;
            }
            app.articles_wanted = Some(Source::Starred);
            app.focus = Pane::Articles;
            vec![Effect::LoadArticles(Source::Starred)]
        }
        Action::NextTag => {
            let tags = app.all_tags();
            if tags.is_empty() {
                app.say("no feed has a tag (tidings add URL --tag T, or tags from OPML folders)");
                return Vec::new();
            }
            app.tag = match &app.tag {
                None => tags.first().cloned(),
                Some(current) => tags.iter().skip_while(|t| *t != current).nth(1).cloned(),
            };
            app.say(match &app.tag {
                Some(t) => format!("tag {t}: only its feeds (t for the next)"),
                None => "every feed".to_owned(),
            });
            app.refilter_feeds();
            want_articles(app)
        }
        Action::ToggleGroups => toggle_groups(app),
        Action::Filter => {
            let pane = if app.focus == Pane::Feeds { Pane::Feeds } else { Pane::Articles };
            let text = if pane == Pane::Feeds { &app.feed_filter } else { &app.article_filter };
            app.prompt = Some(Prompt { kind: PromptKind::Filter(pane), text: text.clone() });
            app.focus = pane;
            Vec::new()
        }
        Action::AddFeed => {
            app.prompt = Some(Prompt { kind: PromptKind::AddFeed, text: String::new() });
            Vec::new()
        }
        Action::Input(key) => input(app, key),
        Action::OpenInBrowser => match current_row(app).and_then(|a| a.link.clone()) {
            Some(url) => vec![Effect::OpenUrl(url)],
            None => {
                app.say("this article has no link");
                Vec::new()
            }
        },
        Action::CycleOrder => {
            let Some(source) = app.articles_source else { return Vec::new() };
            let order = app.order().next();
            app.orders.insert(source, order);
            app.refilter_articles();
            app.scroll_lists();
            app.say(format!("articles {}", order.label()));
            want_rows(app)
        }
        Action::CatchUpAll => {
            let feeds: Vec<FeedId> = app.feeds.iter().filter(|f| f.unread > 0).map(|f| f.id).collect();
            if feeds.is_empty() {
                app.say("nothing unread");
                return Vec::new();
            }
            for a in &mut app.entries {
                a.read = true;
            }
            for r in app.rows.values_mut() {
                r.read = true;
            }
            vec![Effect::MarkFeedsRead { feeds, label: "every feed".into() }]
        }
        Action::RemoveFeed => match app.selected_feed().map(|f| f.id) {
            Some(feed) => {
                app.prompt = Some(Prompt { kind: PromptKind::ConfirmRemove(feed), text: String::new() });
                Vec::new()
            }
            None => {
                app.say(NOT_A_FEED);
                Vec::new()
            }
        },
        Action::RenameFeed => match app.selected_feed() {
            Some(f) => {
                app.prompt = Some(Prompt { kind: PromptKind::Rename(f.id), text: f.title.clone() });
                Vec::new()
            }
            None => {
                app.say(NOT_A_FEED);
                Vec::new()
            }
        },
        Action::EditTags => match app.selected_feed() {
            Some(f) => {
                app.prompt = Some(Prompt { kind: PromptKind::Tags(f.id), text: f.tags.join(" ") });
                Vec::new()
            }
            None => {
                app.say(NOT_A_FEED);
                Vec::new()
            }
        },
        Action::FeedChanged(message) => {
            app.say(crate::sanitize::line(&message));
            reload_feeds(app)
        }
        Action::OpenLink(n) => {
            let Some(open) = app.article.as_ref().filter(|_| app.focus == Pane::Article || app.is_wide())
            else {
                app.say("open an article first; its links are numbered [1], [2], ...");
                return Vec::new();
            };
            if open.links.len() > 9 && n < 10 {
                // [1] or [12]? The number is typed whole, then Enter.
                app.prompt = Some(Prompt { kind: PromptKind::OpenLink, text: n.to_string() });
                return Vec::new();
            }
            open_link(app, n)
        }
        Action::CopyLink => match current_row(app).and_then(|a| a.link.clone()) {
            Some(url) => vec![Effect::Copy(url)],
            None => {
                app.say("this article has no link to copy");
                Vec::new()
            }
        },
        Action::FeedInfo => {
            let feed = match app.focus {
                Pane::Feeds => app.selected_feed().map(|f| f.id),
                _ => current_entry(app).map(|a| a.feed).or(app.selected_feed().map(|f| f.id)),
            };
            let Some(feed) = feed else { return Vec::new() };
            let title = app.feed_title(feed);
            app.overlay = Some(Overlay::Health { feed, title, records: None, scroll: 0 });
            vec![Effect::LoadHealth(feed)]
        }
        Action::Help => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::RefreshFeed => {
            let feed = match app.focus {
                Pane::Feeds => app.selected_feed().map(|f| f.id),
                _ => app.articles_source.and_then(Source::feed).or(app.selected_feed().map(|f| f.id)),
            };
            match feed {
                Some(feed) => start_refresh(app, Some(feed), 1),
                None if app.selected_heading().is_some() => {
                    app.say("r fetches the selected feed; R fetches every feed");
                    Vec::new()
                }
                None => {
                    app.say("no feed to refresh");
                    Vec::new()
                }
            }
        }
        Action::RefreshAll => {
            if app.feeds.is_empty() {
                app.say("no feeds to refresh");
                return Vec::new();
            }
            let total = app.feeds.len();
            start_refresh(app, None, total)
        }
        Action::AutoSync => {
            // Quietly skipped while a refresh (which syncs too) or a sync runs.
            if app.refresh.is_some() || app.syncing {
                return Vec::new();
            }
            app.syncing = true;
            vec![Effect::Sync]
        }
        Action::SyncFinished(summary) => {
            app.syncing = false;
            let Some(summary) = summary else { return Vec::new() };
            say_sync_ended(app, &summary);
            reload_feeds(app)
        }
        Action::SyncStep(step) => {
            // A refresh's own line (feeds done of total) says more while one runs.
            if app.refresh.is_none() {
                app.say(step.line());
            }
            Vec::new()
        }
        Action::SyncedElsewhere(summary) => {
            // The store's change events reload what is shown.
            say_sync_ended(app, &summary);
            Vec::new()
        }
        Action::AutoRefresh => {
            // Quietly skipped while one runs or there is nothing to fetch.
            if app.refresh.is_some() || app.feeds.is_empty() {
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
                let line = p.line();
                app.say(line);
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
                    let mut effects = reload_feeds(app);
                    // The shown list (or the one on its way) is reloaded; ArticlesLoaded keeps
                    // the selection on the same article.
                    if app.articles_wanted == Some(Source::Feed(feed)) {
                        effects.push(Effect::ReloadArticles(Source::Feed(feed)));
                    }
                    effects
                }
                _ => Vec::new(),
            }
        }
        Action::RefreshStarted { total } => {
            // The reader's own refresh set its progress already; one started elsewhere (cron,
            // `tidings refresh` in another terminal) shows here all the same.
            let p = app.refresh.get_or_insert(RefreshProgress { done: 0, total, failed: 0 });
            p.total = total.max(p.done);
            let line = p.line();
            app.say(line);
            Vec::new()
        }
        Action::Reconnected => {
            // A refresh shown as running may have died with the process that ran it: its end
            // would never come, and R would say "already running" for ever. A refresh this
            // reader asked for is sent again by the engine and announces itself again
            // (RefreshStarted); one still running in a holder joins R.
            if app.refresh.take().is_some() {
                app.say("the refresh in progress ended with the tidings that ran it; R starts another");
            }
            let mut effects = reload_feeds(app);
            if let Some(source) = app.articles_wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::StoreChanged => {
            let mut effects = reload_feeds(app);
            // ArticlesLoaded keeps the selection and the open article where they are.
            if let Some(source) = app.articles_wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::RefreshFinished(summary) => {
            app.refresh = None;
            match &summary.sync {
                // What failed matters more than what was fetched (the whole text is in the
                // health overlay, `i`).
                Some(sync) if sync.error.is_some() => app.say_error(&sync.line()),
                // Every feed is the server's: the sync is all there is to say.
                Some(sync) if summary.feeds == 0 => app.say(crate::sanitize::line(&sync.short_line())),
                Some(sync) => app.say(crate::sanitize::line(&format!(
                    "refreshed {}; {}",
                    summary.line(),
                    sync.short_line()
                ))),
                None => app.say(crate::sanitize::line(&format!("refreshed {}", summary.line()))),
            }
            let mut effects = reload_feeds(app);
            // A query feed's list may hold articles of any feed: read again once.
            if let Some(source @ Source::Query { .. }) = app.articles_wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::FeedsLoaded { feeds, unread_total } => {
            // The selection is kept by feed id (a heading by its tag): the reload may reorder.
            let selected = match app.select_feed.take() {
                Some(id) => Some(FeedKey::Feed { id, group: None }),
                None => app.selected_feed_key(),
            };
            app.feeds = feeds;
            app.feeds_loaded = true;
            app.unread_total = unread_total;
            app.refilter_feeds_keeping(selected);
            if app.feeds.is_empty() {
                app.jump = None;
                app.entries.clear();
                app.rows.clear();
                app.rows_loading.clear();
                app.article_view.clear();
                app.articles_source = None;
                app.articles_wanted = None;
            }
            let mut effects = Vec::new();
            app.feeds_reloading = false;
            if std::mem::take(&mut app.feeds_stale) {
                effects.extend(reload_feeds(app));
            }
            if app.refresh_on_load {
                app.refresh_on_load = false;
                if !app.feeds.is_empty() {
                    let total = app.feeds.len();
                    effects = start_refresh(app, None, total);
                }
            }
            if app.articles_wanted != Some(Source::Starred) {
                effects.extend(want_articles(app));
            }
            effects
        }
        Action::QueryFeedsLoaded(rows) => {
            // The first list to land selects the first row, whichever list it is (a reload
            // keeps the selection where it is).
            let first = !app.queries_loaded && app.feed_sel == 0;
            app.queries_loaded = true;
            let selected = if first { None } else { app.selected_feed_key() };
            app.queries = rows;
            app.refilter_feeds_keeping(selected);
            app.queries_loading = false;
            let mut effects = Vec::new();
            if std::mem::take(&mut app.queries_stale) {
                effects.extend(reload_queries(app));
            }
            if app.articles_wanted != Some(Source::Starred) {
                effects.extend(want_articles(app));
            }
            effects
        }
        Action::ArticlesLoaded { source, mut entries, mut rows } => {
            if app.articles_wanted != Some(source) {
                return Vec::new();
            }
            // A reload of the shown list keeps the same article selected (by id: new articles
            // may have arrived above it); if it is gone, the same position.
            let reload = app.articles_source == Some(source);
            if reload {
                keep_newer_marks(app, &mut entries, &mut rows);
            }
            let (selected, fallback) =
                if reload { (app.selected_entry().map(|a| a.id), app.article_sel) } else { (None, 0) };
            let shown = if reload { std::mem::take(&mut app.rows) } else { IdMap::default() };
            app.entries = entries;
            app.rows = rows.into_iter().map(|r| (r.id, r)).collect();
            app.rows_loading.clear();
            app.articles_source = Some(source);
            app.refilter_articles_keeping(selected, fallback);
            let mut effects = match app.jump.take() {
                Some(jump) => open_jump(app, jump),
                None => Vec::new(),
            };
            app.scroll_lists();
            effects.extend(want_rows(app));
            // A query filter asks again: the list may hold new articles.
            effects.extend(match_query(app));
            // The rows on screen before a reload stay drawn (no flash of placeholders) until
            // their fresh copies, just asked for, arrive.
            if !shown.is_empty() {
                for e in &app.entries {
                    if let Some(old) = shown.get(&e.id).filter(|_| app.rows_loading.contains(&e.id)) {
                        app.rows.insert(e.id, ArticleRow { read: e.read, starred: e.starred, ..old.clone() });
                    }
                }
            }
            effects
        }
        Action::RowsLoaded { source, asked, rows } => {
            // Rows of a list no longer shown are stale.
            if app.articles_source != Some(source) {
                return Vec::new();
            }
            // Those no longer stored are not coming either.
            for id in &asked {
                app.rows_loading.remove(id);
            }
            let mut rows: HashMap<ArticleId, ArticleRow> = rows.into_iter().map(|r| (r.id, r)).collect();
            // The list's flags are the newer ones: a mark may still be on its way to the store.
            for e in &app.entries {
                if let Some(r) = rows.get_mut(&e.id) {
                    r.read = e.read;
                    r.starred = e.starred;
                }
            }
            if let Some(open) = app.article.as_mut() {
                if let Some(r) = rows.get(&open.row.id) {
                    open.row = ArticleRow { read: open.row.read, starred: open.row.starred, ..r.clone() };
                }
            }
            for id in rows.keys() {
                app.rows_loading.remove(id);
            }
            app.rows.extend(rows);
            if app.needs_every_row() {
                app.refilter_articles();
            }
            Vec::new()
        }
        Action::QueryMatched { source, expr, ids } => {
            // The latest request wins: an answer for an older expression or list is dropped.
            if app.articles_source != Some(source)
                || app.article_filter.strip_prefix('?') != Some(expr.as_str())
            {
                return Vec::new();
            }
            app.query_matches = Some(ids.into_iter().collect());
            app.refilter_articles();
            app.scroll_lists();
            want_rows(app)
        }
        Action::BodyRendered { article, width, lines, links, link_cells } => {
            if let Some(open) = &mut app.article {
                // The latest request wins: a body for another article or width is stale.
                if open.row.id == article && open.width == width {
                    if app.hyperlinks {
                        open.hyperlinks =
                            links.iter().map(|l| Osc8Uri::for_link(l, &app.open_schemes)).collect();
                    }
                    if let Some(paragraph) = open.resume_paragraph.take() {
                        let header = open.header(&app.date_format).len();
                        let start = super::app::paragraph_starts(&lines).nth(paragraph).unwrap_or(0);
                        open.scroll = header + start;
                    }
                    open.lines = Some(lines);
                    open.links = links;
                    open.link_cells = link_cells;
                }
            }
            Vec::new()
        }
        Action::FeedMarkedRead { feed, ids } => {
            let title = app.feed_title(feed);
            app.say(format!("{title}: {} marked read (u undoes)", ids.len()));
            push_undo(app, ids, Mark::Unread);
            Vec::new()
        }
        Action::FeedsMarkedRead { label, ids } => {
            app.say(format!("{label}: {} marked read (u undoes)", ids.len()));
            push_undo(app, ids, Mark::Unread);
            Vec::new()
        }
        Action::HealthLoaded { feed, records } => {
            if let Some(Overlay::Health { feed: shown, records: r, .. }) = &mut app.overlay {
                if *shown == feed {
                    *r = Some(records);
                }
            }
            Vec::new()
        }
        Action::FeedAdded { feed, message } => {
            if feed.is_some() {
                app.say(crate::sanitize::line(&message));
            } else {
                app.say_error(&message);
            }
            if feed.is_some() {
                app.select_feed = feed;
                app.focus = Pane::Feeds;
            }
            reload_feeds(app)
        }
        Action::Notice(message) => {
            app.say(crate::sanitize::line(&message));
            Vec::new()
        }
        Action::Failed(message) => {
            app.say_error(&message);
            Vec::new()
        }
    }
}

/// Keys while an overlay is open: moving scrolls it, back, q or its own key closes it;
/// `None` lets the action through (facts from workers, resizes).
fn overlay_action(app: &mut App, action: &Action) -> Option<Vec<Effect>> {
    let scroll = match app.overlay.as_mut()? {
        Overlay::Help { scroll } | Overlay::Health { scroll, .. } => scroll,
    };
    let page = usize::from(app.height.saturating_sub(6)).max(1);
    match action {
        Action::SelectNext => *scroll = scroll.saturating_add(1),
        Action::SelectPrev => *scroll = scroll.saturating_sub(1),
        Action::PageDown => *scroll = scroll.saturating_add(page),
        Action::PageUp => *scroll = scroll.saturating_sub(page),
        Action::SelectFirst => *scroll = 0,
        Action::SelectLast => *scroll = usize::MAX / 2,
        // q closes the window like Esc (Ctrl-c, which always quits, never gets here).
        Action::Back | Action::Help | Action::FeedInfo | Action::Open | Action::Quit => app.overlay = None,
        // The mouse, prompt text and every fact from workers go on as without the window.
        Action::MouseScroll { .. } | Action::MouseClick { .. } | Action::Input(_) => return None,
        fact if !fact.is_intent() => return None,
        // Other keys do nothing while a window covers the panes.
        _ => {}
    }
    Some(Vec::new())
}

/// The pane drawn at a cell.
fn pane_at(app: &App, column: u16, row: u16) -> Option<Pane> {
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
fn click(app: &mut App, column: u16, row: u16) -> Vec<Effect> {
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
        Pane::Feeds => (app.feed_offset, app.feed_sel, app.feed_view.len()),
        _ => (app.article_offset, app.article_sel, app.article_view.len()),
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

/// A key typed into the open prompt.
fn input(app: &mut App, key: InputKey) -> Vec<Effect> {
    let Some(prompt) = app.prompt.as_mut() else { return Vec::new() };
    if let PromptKind::ConfirmRemove(feed) = prompt.kind {
        // One key answers: `y` removes, anything else keeps.
        app.prompt = None;
        if matches!(key, InputKey::Char('y' | 'Y')) {
            let title = app.feed_title(feed);
            app.say(format!("removing {title}…"));
            return vec![Effect::RemoveFeed(feed)];
        }
        app.say("kept");
        return Vec::new();
    }
    if prompt.kind == PromptKind::OpenLink && matches!(key, InputKey::Char(c) if !c.is_ascii_digit()) {
        return Vec::new();
    }
    match key {
        InputKey::Char(c) if !c.is_control() => prompt.text.push(c),
        InputKey::Char(_) => {}
        InputKey::Backspace => {
            prompt.text.pop();
        }
        InputKey::DeleteWord => {
            let kept = prompt.text.trim_end().rfind(' ').map_or(0, |i| i + 1);
            prompt.text.truncate(kept);
        }
        InputKey::Clear => prompt.text.clear(),
        InputKey::Cancel => {
            let kind = prompt.kind;
            app.prompt = None;
            if let PromptKind::Filter(pane) = kind {
                return set_filter(app, pane, String::new());
            }
            return Vec::new();
        }
        InputKey::Submit => {
            let Some(Prompt { kind, text }) = app.prompt.take() else { return Vec::new() };
            return match kind {
                PromptKind::Filter(pane) => {
                    if !text.is_empty() {
                        app.say(format!("filter \"{text}\": Esc clears it"));
                    }
                    set_filter(app, pane, text)
                }
                PromptKind::AddFeed => {
                    let url = text.trim().to_owned();
                    if url.is_empty() {
                        return Vec::new();
                    }
                    app.say(format!("adding {url}…"));
                    vec![Effect::AddFeed(url)]
                }
                // Enter alone keeps the feed: only `y` removes it.
                PromptKind::ConfirmRemove(_) => Vec::new(),
                PromptKind::Rename(feed) => {
                    let title = text.trim();
                    let title = (!title.is_empty()).then(|| title.to_owned());
                    vec![Effect::EditFeed {
                        feed,
                        title: Some(title),
                        add_tags: Vec::new(),
                        remove_tags: Vec::new(),
                    }]
                }
                PromptKind::Tags(feed) => {
                    let old =
                        app.feeds.iter().find(|f| f.id == feed).map(|f| f.tags.clone()).unwrap_or_default();
                    let mut new: Vec<String> = Vec::new();
                    for tag in text.split([' ', ',']).map(str::trim).filter(|t| !t.is_empty()) {
                        if !new.iter().any(|t| t == tag) {
                            new.push(tag.to_owned());
                        }
                    }
                    let remove_tags = old.iter().filter(|t| !new.contains(t)).cloned().collect();
                    let add_tags = new.into_iter().filter(|t| !old.contains(t)).collect();
                    vec![Effect::EditFeed { feed, title: None, add_tags, remove_tags }]
                }
                PromptKind::OpenLink => match text.trim().parse::<u16>() {
                    Ok(n) if n > 0 => open_link(app, n),
                    _ => {
                        app.say(format!("\"{}\" is not a link number", crate::sanitize::line(text.trim())));
                        Vec::new()
                    }
                },
            };
        }
    }
    // Filters follow the typing.
    if let Some(Prompt { kind: PromptKind::Filter(pane), text }) = app.prompt.clone() {
        return set_filter(app, pane, text);
    }
    Vec::new()
}

fn set_filter(app: &mut App, pane: Pane, text: String) -> Vec<Effect> {
    // "filter ...: Esc clears it" is no longer true once it is cleared.
    if text.is_empty() && app.message.starts_with("filter \"") {
        app.message.clear();
    }
    if pane == Pane::Feeds {
        app.feed_filter = text;
        app.refilter_feeds();
        // The selection may have moved to another feed: the articles pane follows it.
        want_articles(app)
    } else {
        // A filter being typed needs every row; `update` asks for them (`want_rows`).
        app.article_filter = text;
        if !app.article_filter.starts_with('?') {
            app.query_matches = None;
        }
        app.refilter_articles();
        match_query(app)
    }
}

/// `/?EXPR`: the query language (README.md, "Query language"). The expression is checked
/// here, its error shown in the status line as typed; the store answers which articles of
/// the list match (`QueryMatched`), and the list shows the last answer until the next lands.
fn match_query(app: &mut App) -> Vec<Effect> {
    let Some(expr) = app.article_filter.strip_prefix('?').map(str::to_owned) else { return Vec::new() };
    let Some(source) = app.articles_source else { return Vec::new() };
    if expr.trim().is_empty() {
        return Vec::new();
    }
    match crate::query::Query::parse(&expr) {
        Err(e) => {
            app.say_error(&e.line());
            Vec::new()
        }
        Ok(_) => {
            if app.message.starts_with("error at column ") {
                app.message.clear();
            }
            let ids = app.entries.iter().map(|e| e.id).collect();
            vec![Effect::MatchQuery { source, expr, ids }]
        }
    }
}

/// The article `m`, `s`, `o`, `y` and `i` act on: the open one in the article pane, else the
/// selected one.
fn current_entry(app: &App) -> Option<ListEntry> {
    match (app.focus, &app.article) {
        (Pane::Article, Some(open)) => Some(open.row.entry()),
        (Pane::Articles, _) => app.selected_entry().copied(),
        (_, Some(open)) if app.is_wide() => Some(open.row.entry()),
        _ => None,
    }
}

/// The current article's row (its link), once it has been read.
fn current_row(app: &App) -> Option<&ArticleRow> {
    let id = current_entry(app)?.id;
    match &app.article {
        Some(open) if open.row.id == id => Some(&open.row),
        _ => app.rows.get(&id),
    }
}

fn back(app: &mut App) -> Vec<Effect> {
    // Esc first clears a filter on the focused list, then goes back.
    match app.focus {
        Pane::Feeds if !app.feed_filter.is_empty() => return set_filter(app, Pane::Feeds, String::new()),
        Pane::Articles if !app.article_filter.is_empty() => {
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

/// Asks for the feeds list again, unless a reload is already on its way (then once more
/// after it lands).
/// A reload's answer, with the marks made here after it was queued (see `note_marks`).
fn keep_newer_marks(app: &App, entries: &mut [ListEntry], rows: &mut [ArticleRow]) {
    if app.marked_since_reload.is_empty() && app.feeds_read_since_reload.is_empty() {
        return;
    }
    let shown: HashMap<ArticleId, (bool, bool)> = app
        .entries
        .iter()
        .filter(|e| app.marked_since_reload.contains(&e.id))
        .map(|e| (e.id, (e.read, e.starred)))
        .collect();
    let newer = |id: ArticleId, feed: FeedId, read: &mut bool, starred: &mut bool| {
        if let Some(&(r, s)) = shown.get(&id) {
            (*read, *starred) = (r, s);
        } else if app.feeds_read_since_reload.contains(&feed) {
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

/// Opens the open article's link `[n]`.
fn open_link(app: &mut App, n: u16) -> Vec<Effect> {
    let Some(open) = app.article.as_ref() else { return Vec::new() };
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

/// What the feed keys (`D`, `E`, `#`) say on a heading or a query feed.
const NOT_A_FEED: &str = "select a feed first (not a heading or a query feed)";

fn reload_feeds(app: &mut App) -> Vec<Effect> {
    let mut effects = reload_queries(app);
    if app.feeds_reloading {
        app.feeds_stale = true;
        return effects;
    }
    app.feeds_reloading = true;
    effects.insert(0, Effect::LoadFeeds);
    effects
}

/// Asks for the query feeds and their counts again (one load at a time, like the feeds').
fn reload_queries(app: &mut App) -> Vec<Effect> {
    if app.queries_loading {
        app.queries_stale = true;
        return Vec::new();
    }
    app.queries_loading = true;
    vec![Effect::LoadQueryFeeds(app.config_queries.clone())]
}

/// A sync's end in the status line: failures always, what changed if anything did; its
/// progress line goes either way (it is no longer true).
fn say_sync_ended(app: &mut App, summary: &crate::sync::SyncSummary) {
    if summary.error.is_some() {
        app.say_error(&summary.line());
    } else if summary.new_articles + summary.flags_pulled + summary.pushed + summary.feeds_added > 0 {
        app.say(crate::sanitize::line(&summary.short_line()));
    } else if app.message.starts_with(crate::sync::SyncStep::PREFIX) {
        // A sync that changed nothing says nothing more.
        app.say("");
    }
}

/// Starts a refresh of `feed` (or all, `total` feeds) unless one is running.
fn start_refresh(app: &mut App, feed: Option<FeedId>, total: usize) -> Vec<Effect> {
    if let Some(p) = &app.refresh {
        let line = p.line();
        app.say(format!("a refresh is already running: {}", line.trim_start_matches("refreshing ")));
        return Vec::new();
    }
    let progress = RefreshProgress { done: 0, total, failed: 0 };
    app.say(progress.line());
    app.refresh = Some(progress);
    vec![Effect::Refresh(feed)]
}

fn page(app: &App) -> usize {
    match app.focus {
        Pane::Article => {
            layout::article_text_size(app.width, app.height, app.split).1.saturating_sub(1).max(1)
        }
        pane => layout::list_page(app.width, app.height, pane, app.split),
    }
}

/// Space / PgDn: a page down; in an article already at its end, the next unread article.
fn page_down(app: &mut App) -> Vec<Effect> {
    if app.focus == Pane::Article {
        let (_, rows) = layout::article_text_size(app.width, app.height, app.split);
        if let Some(open) = &app.article {
            if open.lines.is_some() && open.scroll + rows >= open.total_lines() {
                return jump_unread(app, true);
            }
        }
    }
    let page = page(app);
    move_by(app, page as isize)
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
            app.feed_sel = step(app.feed_sel, app.feed_view.len(), by);
            want_articles(app)
        }
        Pane::Articles => {
            app.article_sel = step(app.article_sel, app.article_view.len(), by);
            Vec::new()
        }
        Pane::Article => {
            let (_, page) = layout::article_text_size(app.width, app.height, app.split);
            if let Some(open) = &mut app.article {
                let max = open.total_lines().saturating_sub(page);
                open.scroll = open.scroll.saturating_add_signed(by).min(max);
            }
            Vec::new()
        }
    }
}

/// Asks for the selected feed's (or query feed's) articles unless they are shown or already
/// asked for.
fn want_articles(app: &mut App) -> Vec<Effect> {
    let source = match (app.selected_feed(), app.selected_query()) {
        (Some(feed), _) => Source::Feed(feed.id),
        (None, Some(q)) if q.error.is_none() => Source::query(&q.name, &q.query),
        _ => return Vec::new(),
    };
    if app.articles_wanted == Some(source) {
        return Vec::new();
    }
    app.articles_wanted = Some(source);
    vec![Effect::LoadArticles(source)]
}

/// Asks for the rows of the shown list that are near the screen and not read yet. When a row
/// within a page of the screen is missing, the screen and two pages above and below it are
/// asked for at once, so j/k/PgDn rarely meet a row still loading and each request is a few
/// pages, not one row per key. While `/` filters: every row.
fn want_rows(app: &mut App) -> Vec<Effect> {
    let Some(source) = app.articles_source.filter(|&s| app.articles_wanted == Some(s)) else {
        return Vec::new();
    };
    let missing = |i: &usize| {
        let id = app.entries[*i].id;
        !app.rows.contains_key(&id) && !app.rows_loading.contains(&id)
    };
    // A query (`/?...`) is answered by the store: only the rows near the screen are needed.
    let ids: Vec<ArticleId> = if !app.needs_every_row() {
        let page = layout::list_page(app.width, app.height, Pane::Articles, app.split);
        let around = |pages: usize| {
            let start = app.article_offset.saturating_sub(pages * page);
            let end = (app.article_offset + (pages + 1) * page).min(app.article_view.len());
            app.article_view.get(start..end).unwrap_or_default()
        };
        if !around(1).iter().any(missing) {
            return Vec::new();
        }
        around(2).iter().filter(|i| missing(i)).map(|&i| app.entries[i].id).collect()
    } else {
        // `/` matches titles and authors, and the title order sorts by them, which only rows
        // have: the whole list's rows are read once (one effect, what every list used to cost),
        // and the list filtered or sorted as they land.
        (0..app.entries.len()).filter(missing).map(|i| app.entries[i].id).collect()
    };
    if ids.is_empty() {
        return Vec::new();
    }
    app.rows_loading.extend(ids.iter().copied());
    vec![Effect::LoadRows { source, ids }]
}

fn open(app: &mut App) -> Vec<Effect> {
    match app.focus {
        Pane::Feeds => {
            if app.feeds_loaded && app.feeds.is_empty() {
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
            if app.articles_wanted.is_some() && app.articles_wanted != app.articles_source {
                app.jump = Some(Jump::Selected);
                return Vec::new();
            }
            open_selected(app)
        }
        Pane::Article => Vec::new(),
    }
}

/// Opens the selected article: marks it read, loads its body, focuses the article pane.
fn open_selected(app: &mut App) -> Vec<Effect> {
    let Some(&index) = app.article_view.get(app.article_sel) else { return Vec::new() };
    let Some(entry) = app.entries.get(index).copied() else { return Vec::new() };
    let mut effects = Vec::new();
    if !entry.read {
        apply_to_rows(app, &[entry.id], Mark::Read);
        effects.push(Effect::Mark { ids: vec![entry.id], mark: Mark::Read });
        push_undo(app, vec![entry.id], Mark::Unread);
    }
    // A row not read yet (`n` landing far down a list) is filled in when it arrives.
    let mut row = app.rows.get(&entry.id).cloned().unwrap_or_else(|| ArticleRow::loading(&entry));
    row.read = true;
    let (width, _) = layout::article_text_size(app.width, app.height, app.split);
    let feed_title = app.feed_title(row.feed);
    effects.push(Effect::LoadBody { article: row.id, width });
    let header_hyperlink = match &row.link {
        Some(link) if app.hyperlinks => Osc8Uri::for_link(link, &app.open_schemes),
        _ => None,
    };
    app.article = Some(OpenArticle {
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

fn push_undo(app: &mut App, ids: Vec<ArticleId>, mark: Mark) {
    if ids.is_empty() {
        return;
    }
    if app.undo.len() >= UNDO_DEPTH {
        app.undo.remove(0);
    }
    app.undo.push(UndoStep { ids, mark });
}

/// Applies `mark` to what the reader holds of `ids`: list entries, rows and the open article.
fn apply_to_rows(app: &mut App, ids: &[ArticleId], mark: Mark) {
    let set = |read: &mut bool, starred: &mut bool| match mark {
        Mark::Read => *read = true,
        Mark::Unread => *read = false,
        Mark::Star => *starred = true,
        Mark::Unstar => *starred = false,
    };
    let ids: HashSet<ArticleId> = ids.iter().copied().collect();
    for e in app.entries.iter_mut().filter(|e| ids.contains(&e.id)) {
        set(&mut e.read, &mut e.starred);
    }
    for id in &ids {
        if let Some(r) = app.rows.get_mut(id) {
            set(&mut r.read, &mut r.starred);
        }
    }
    if let Some(open) = app.article.as_mut().filter(|o| ids.contains(&o.row.id)) {
        set(&mut open.row.read, &mut open.row.starred);
    }
}

/// `m` (read) or `s` (star) on the current article.
fn toggle(app: &mut App, read: bool) -> Vec<Effect> {
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

fn inverse(mark: Mark) -> Mark {
    match mark {
        Mark::Read => Mark::Unread,
        Mark::Unread => Mark::Read,
        Mark::Star => Mark::Unstar,
        Mark::Unstar => Mark::Star,
    }
}

/// `A`: the selected feed read (in the feeds pane; every feed under a selected heading), or
/// the shown list.
fn mark_shown_read(app: &mut App) -> Vec<Effect> {
    if app.focus == Pane::Feeds {
        if let Some(heading) = app.selected_heading() {
            let label = heading.group.label().to_owned();
            let feeds: Vec<FeedId> = heading.feeds.iter().map(|&i| app.feeds[i].id).collect();
            if app.articles_source.and_then(Source::feed).is_some_and(|f| feeds.contains(&f)) {
                for a in &mut app.entries {
                    a.read = true;
                }
                for r in app.rows.values_mut() {
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
        _ => app.articles_source.or(selected),
    };
    match source {
        Some(Source::Feed(feed)) => {
            if app.articles_source == Some(Source::Feed(feed)) {
                for a in &mut app.entries {
                    a.read = true;
                }
                for r in app.rows.values_mut() {
                    r.read = true;
                }
            }
            vec![Effect::MarkFeedRead(feed)]
        }
        // Articles of many feeds: the ones listed (the list must be the selected one's).
        Some(source @ (Source::Starred | Source::Query { .. })) => {
            if app.articles_source != Some(source) {
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

fn undo(app: &mut App) -> Vec<Effect> {
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

/// `n` / `N`: the next (previous) unread article after the current one in the shown list,
/// else the first (last) unread of the next (previous) feed that has any.
fn jump_unread(app: &mut App, forward: bool) -> Vec<Effect> {
    let len = app.article_view.len();
    // Where the search starts: the open article if it is listed, else the selection (or
    // before the list when the feeds pane has focus).
    let open_pos = app
        .article
        .as_ref()
        .and_then(|o| app.article_view.iter().position(|&i| app.entries[i].id == o.row.id));
    let current: Option<usize> = match app.focus {
        Pane::Feeds => None,
        Pane::Article => open_pos.or(Some(app.article_sel)),
        Pane::Articles => Some(app.article_sel),
    };
    let listed_here = app.articles_source.is_some() && app.articles_source == app.articles_wanted;
    if listed_here && len > 0 {
        let unread = |pos: &usize| !app.entries[app.article_view[*pos]].read;
        let found = if forward {
            let from = current.map_or(0, |c| c + 1);
            (from..len).find(unread)
        } else {
            let to = current.unwrap_or(len);
            (0..to).rev().find(unread)
        };
        if let Some(pos) = found {
            app.article_sel = pos;
            return open_selected(app);
        }
    }
    // Another feed, in the order of the feeds pane (a folded heading counts with its feeds),
    // wrapping around.
    let shown_feed = app.articles_source.and_then(Source::feed);
    let order = app.feeds_in_order();
    let n = order.len();
    let is_shown = |&(_, i): &(usize, usize)| Some(app.feeds[i].id) == shown_feed;
    // The shown feed's row: the selected one if it is that feed (it can be listed twice).
    let start = order
        .iter()
        .position(|entry| entry.0 == app.feed_sel && is_shown(entry))
        .or_else(|| order.iter().position(is_shown))
        .unwrap_or(if forward { n.saturating_sub(1) } else { 0 });
    let next =
        (1..=n).map(|k| if forward { (start + k) % n } else { (start + n - k % n) % n }).find(|&pos| {
            let f = &app.feeds[order[pos].1];
            f.unread > 0 && Some(f.id) != shown_feed
        });
    let Some(pos) = next else {
        app.say("no more unread articles");
        return Vec::new();
    };
    let (row, index) = order[pos];
    match &app.feed_view[row] {
        FeedLine::Feed(_) | FeedLine::Query(_) => app.feed_sel = row,
        // In a folded heading: it opens to show the feed.
        FeedLine::Heading(h) => {
            let key = FeedKey::Feed { id: app.feeds[index].id, group: Some(h.group.clone()) };
            app.refilter_feeds_keeping(Some(key));
        }
    }
    app.jump = Some(if forward { Jump::FirstUnread } else { Jump::LastUnread });
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
        if app.articles_source == app.articles_wanted {
            let jump = app.jump.take().unwrap_or(Jump::FirstUnread);
            return open_jump(app, jump);
        }
    }
    effects
}

/// `T`: group the feeds pane by tag, or list it flat again; the selection stays on its feed
/// (on a heading's first feed when going flat).
fn toggle_groups(app: &mut App) -> Vec<Effect> {
    let selected = match app.selected_heading() {
        Some(h) => h.feeds.first().map(|&i| FeedKey::Feed { id: app.feeds[i].id, group: None }),
        None => app.selected_feed_key(),
    };
    app.group_by_tag = !app.group_by_tag;
    app.refilter_feeds_keeping(selected);
    app.say(if app.group_by_tag {
        "feeds grouped by tag: Enter folds a tag (T lists them flat)"
    } else {
        "feeds listed flat (T groups them by tag)"
    });
    want_articles(app)
}

/// Enter on a heading: folds or unfolds its feeds.
fn toggle_fold(app: &mut App) {
    let Some(group) = app.selected_heading().map(|h| h.group.clone()) else { return };
    if !app.folded.remove(&group) {
        app.folded.insert(group);
    }
    app.refilter_feeds();
}

/// Opens the first or last unread article of the list that just arrived.
fn open_jump(app: &mut App, jump: Jump) -> Vec<Effect> {
    let unread = |pos: &usize| !app.entries[app.article_view[*pos]].read;
    let len = app.article_view.len();
    let found = match jump {
        Jump::FirstUnread => (0..len).find(unread),
        Jump::LastUnread => (0..len).rev().find(unread),
        Jump::Selected => return open_selected(app),
    };
    match found {
        Some(pos) => {
            app.article_sel = pos;
            open_selected(app)
        }
        None => {
            // The feed's count was stale (marks of this session not counted yet): now it is
            // known, and the jump goes on to the next feed.
            if let Some(Source::Feed(feed)) = app.articles_source {
                if let Some(f) = app.feeds.iter_mut().find(|f| f.id == feed) {
                    f.unread = 0;
                }
                if app.feeds.iter().any(|f| f.unread > 0 && f.id != feed) {
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
    use super::*;
    use crate::model::{ArticleId, FeedId};
    use crate::refresh::FeedOutcome;
    use crate::ui::action::InputKey;
    use crate::ui::app::{FeedRow, Overlay, PromptKind, Source, TagGroup, MESSAGE_TICKS};

    #[test]
    fn moving_the_feed_selection_loads_its_articles_once() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::SelectNext), vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]);
        assert_eq!(app.feed_sel, 1);
        // At the bottom: stays, and asks for nothing again.
        assert_eq!(update(&mut app, Action::SelectNext), vec![]);
        assert_eq!(app.feed_sel, 1);
        assert_eq!(
            update(&mut app, Action::SelectFirst),
            vec![Effect::LoadArticles(Source::Feed(FeedId(1)))]
        );
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
        let (width, _) = layout::article_text_size(80, 24, Default::default());
        assert_eq!(
            effects,
            vec![
                Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Read },
                Effect::LoadBody { article: ArticleId(10), width }
            ]
        );
        assert_eq!(app.focus, Pane::Article);
        assert!(app.entries[0].read);
        let open = app.article.as_ref().expect("open article");
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
        assert_eq!(app.article.as_ref().and_then(|o| o.lines.clone()), None);
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
            app.article.as_ref().and_then(|o| o.lines.clone()),
            Some(vec![ratatui::text::Line::from("hi")])
        );
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
            let action = crate::ui::keymap::Keymap::default().action_for(key).expect("q is bound");
            let mut app = App::sample(80, 24);
            app.focus = pane;
            assert_eq!(update(&mut app, action), vec![Effect::Quit]);
            assert!(app.quit);
        }
    }

    #[test]
    fn marks_of_synced_articles_are_sent_a_few_seconds_after_the_last_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.push_soon = true;
        // No synced feed: marks wait for the next timed sync.
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.push_due, None);
        app.feeds[0].synced = true;
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.push_due, Some(PUSH_AFTER_TICKS));
        let _ = update(&mut app, Action::Tick);
        // Another mark starts the wait again: one sync for a burst.
        let _ = update(&mut app, Action::ToggleStar);
        assert_eq!(app.push_due, Some(PUSH_AFTER_TICKS));
        for _ in 1..PUSH_AFTER_TICKS {
            assert!(update(&mut app, Action::Tick).is_empty());
        }
        assert_eq!(update(&mut app, Action::Tick), vec![Effect::Sync]);
        assert_eq!(app.push_due, None);
        // Marked while that sync runs: sent by the next, once it ended.
        let _ = update(&mut app, Action::ToggleRead);
        for _ in 0..PUSH_AFTER_TICKS + 2 {
            assert!(update(&mut app, Action::Tick).is_empty());
        }
        let _ = update(&mut app, Action::SyncFinished(None));
        assert_eq!(update(&mut app, Action::Tick), vec![Effect::Sync]);
        // Background syncs off (sync_interval_minutes = 0): nothing is sent by itself.
        let _ = update(&mut app, Action::SyncFinished(None));
        app.push_soon = false;
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.push_due, None);
    }

    #[test]
    fn feed_keys_remove_after_y_rename_and_retag_the_selected_feed() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Feeds;
        let feed = app.selected_feed().map(|f| f.id).unwrap();
        // D asks; only y removes.
        assert!(update(&mut app, Action::RemoveFeed).is_empty());
        assert!(matches!(app.prompt, Some(Prompt { kind: PromptKind::ConfirmRemove(f), .. }) if f == feed));
        assert!(update(&mut app, Action::Input(InputKey::Char('n'))).is_empty());
        assert!(app.prompt.is_none());
        let _ = update(&mut app, Action::RemoveFeed);
        assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty(), "Enter alone keeps it");
        let _ = update(&mut app, Action::RemoveFeed);
        assert_eq!(update(&mut app, Action::Input(InputKey::Char('y'))), vec![Effect::RemoveFeed(feed)]);
        // E: the title, prefilled; empty gives the feed its own back.
        let _ = update(&mut app, Action::RenameFeed);
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        for c in "Mine".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        let edit = |title, add: &[&str], remove: &[&str]| Effect::EditFeed {
            feed,
            title,
            add_tags: add.iter().map(|t| (*t).to_owned()).collect(),
            remove_tags: remove.iter().map(|t| (*t).to_owned()).collect(),
        };
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![edit(Some(Some("Mine".into())), &[], &[])]
        );
        let _ = update(&mut app, Action::RenameFeed);
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        assert_eq!(update(&mut app, Action::Input(InputKey::Submit)), vec![edit(Some(None), &[], &[])]);
        // #: the tags, prefilled; what is typed replaces them.
        app.feeds[app.feed_sel].tags = vec!["news".into(), "old".into()];
        let _ = update(&mut app, Action::EditTags);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("news old"));
        let _ = update(&mut app, Action::Input(InputKey::DeleteWord));
        for c in "tech, news".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(update(&mut app, Action::Input(InputKey::Submit)), vec![edit(None, &["tech"], &["old"])]);
        assert!(update(&mut app, Action::FeedChanged("renamed".into())).contains(&Effect::LoadFeeds));
    }

    #[test]
    fn big_o_orders_each_list_by_date_unread_title_or_feed_and_remembers_it() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        // Titles that sort otherwise than the dates: 10 "Zebra", 11 "apple", 12 "Mango" (read).
        for (id, title) in [(10, "Zebra"), (11, "apple"), (12, "Mango")] {
            app.rows.get_mut(&ArticleId(id)).unwrap().title = title.into();
        }
        let shown = |app: &App| app.visible_entries().map(|e| e.id.0).collect::<Vec<_>>();
        assert_eq!(shown(&app), [10, 11, 12]);
        app.article_sel = 1;
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!((shown(&app), app.message.as_str()), (vec![12, 11, 10], "articles oldest first"));
        assert_eq!(app.selected_entry().map(|e| e.id.0), Some(11), "the selection follows its article");
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!(shown(&app), [10, 11, 12], "unread first (12 is read)");
        app.entries[0].read = true;
        app.refilter_articles();
        assert_eq!(shown(&app), [11, 10, 12]);
        // Title order needs every row: asked for, and sorted as they land.
        app.rows.remove(&ArticleId(12));
        let effects = update(&mut app, Action::CycleOrder);
        assert_eq!(
            effects,
            vec![Effect::LoadRows { source: Source::Feed(FeedId(1)), ids: vec![ArticleId(12)] }]
        );
        assert_eq!(shown(&app), [11, 10, 12], "a row not read yet sorts last");
        let mut mango = ArticleRow::loading(&app.entries[2]);
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
        app.articles_source = Some(Source::Starred);
        app.refilter_articles();
        assert_eq!(app.order(), crate::ui::app::ArticleOrder::Newest);
        app.articles_source = Some(Source::Feed(FeedId(1)));
        app.refilter_articles();
        assert_eq!(shown(&app), [11, 12, 10]);
        let _ = update(&mut app, Action::CycleOrder);
        let _ = update(&mut app, Action::CycleOrder);
        assert_eq!(app.order(), crate::ui::app::ArticleOrder::Newest);
        assert_eq!(shown(&app), [10, 11, 12]);
    }

    #[test]
    fn c_marks_every_feed_read_and_u_undoes_it() {
        let mut app = App::sample(80, 24);
        let with_unread: Vec<FeedId> = app.feeds.iter().filter(|f| f.unread > 0).map(|f| f.id).collect();
        assert!(!with_unread.is_empty());
        assert_eq!(
            update(&mut app, Action::CatchUpAll),
            vec![Effect::MarkFeedsRead { feeds: with_unread, label: "every feed".into() }]
        );
        assert!(app.entries.iter().all(|e| e.read));
        let ids = vec![ArticleId(10), ArticleId(11)];
        let _ = update(&mut app, Action::FeedsMarkedRead { label: "every feed".into(), ids: ids.clone() });
        assert!(app.message.starts_with("every feed: 2 marked read"), "{}", app.message);
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
        assert!(app.entries[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleRead),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Unread }]
        );
        assert!(!app.entries[0].read);
        assert_eq!(
            update(&mut app, Action::ToggleStar),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Star }]
        );
        assert!(app.entries[0].starred);
        // In the feeds pane there is no article to toggle.
        app.focus = Pane::Feeds;
        assert!(update(&mut app, Action::ToggleRead).is_empty());
    }

    #[test]
    fn mark_feed_read_marks_the_rows_and_asks_the_store() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::MarkFeedRead), vec![Effect::MarkFeedRead(FeedId(1))]);
        assert!(app.entries.iter().all(|a| a.read) && app.rows.values().all(|r| r.read));
    }

    #[test]
    fn reloaded_feeds_keep_the_selection_and_stale_articles_are_dropped() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::SelectNext);
        let mut feeds = app.feeds.clone();
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
            },
        );
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 3 }).is_empty());
        assert_eq!(app.feed_sel, 2);
        assert_eq!(app.unread_total, 3);
        // The answer for feed 1 arrives after feed 2 was asked for: dropped.
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), vec![]));
        assert_eq!(app.entries.len(), 3);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), vec![]));
        assert!(app.entries.is_empty());
        assert_eq!(app.articles_source, Some(Source::Feed(FeedId(2))));
    }

    #[test]
    fn article_scrolling_is_clamped() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| ratatui::text::Line::from(format!("line {i}"))).collect();
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines, links: vec![], link_cells: vec![] },
        );
        let _ = update(&mut app, Action::PageDown);
        let after_page = app.article.as_ref().map_or(0, |o| o.scroll);
        assert!(after_page > 1, "{after_page}");
        let _ = update(&mut app, Action::SelectLast);
        let (_, page) = layout::article_text_size(80, 24, Default::default());
        assert_eq!(
            app.article.as_ref().map_or(0, |o| o.scroll),
            app.article.as_ref().map_or(0, |o| o.total_lines()) - page
        );
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.article.as_ref().map_or(1, |o| o.scroll), 0);
    }

    /// `paragraphs` paragraphs of `per` lines each, separated by blank lines.
    fn paragraphs(paragraphs: usize, per: usize) -> Vec<ratatui::text::Line<'static>> {
        let mut lines = Vec::new();
        for p in 0..paragraphs {
            if p > 0 {
                lines.push(ratatui::text::Line::default());
            }
            lines.extend((0..per).map(|l| ratatui::text::Line::from(format!("paragraph {p} line {l}"))));
        }
        lines
    }

    #[test]
    fn a_resize_keeps_the_paragraph_at_the_top_of_the_view() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let body = |width| Action::BodyRendered {
            article: ArticleId(10),
            width,
            lines: paragraphs(20, if width > 40 { 3 } else { 7 }),
            links: vec![],
            link_cells: vec![],
        };
        let _ = update(&mut app, body(width));
        let header = |app: &App| app.article.as_ref().map_or(0, |o| o.header(&app.date_format).len());
        // Paragraph 5 starts at body line 5 * 4; the view's top is in its second line.
        let top_before = header(&app) + 5 * 4 + 1;
        app.article.as_mut().expect("open").scroll = top_before;
        let effects = update(&mut app, Action::Resize { width: 40, height: 24 });
        let Some(Effect::LoadBody { width: narrow, .. }) = effects.first().cloned() else {
            panic!("the body is laid out again: {effects:?}")
        };
        assert!(narrow <= 40);
        let _ = update(&mut app, body(narrow));
        // At 7 lines a paragraph, paragraph 5 starts at body line 5 * 8.
        let open = app.article.as_ref().expect("open");
        assert_eq!(open.scroll, header(&app) + 5 * 8, "not the old offset {top_before}");
        assert_eq!(open.resume_paragraph, None);
        // A blank line at the top: the paragraph below it is the one being read.
        let blank_before_6 = header(&app) + 6 * 8 - 1;
        app.article.as_mut().expect("open").scroll = blank_before_6;
        let _ = update(&mut app, Action::Resize { width: 80, height: 24 });
        let _ = update(&mut app, body(width));
        assert_eq!(app.article.as_ref().map(|o| o.scroll), Some(header(&app) + 6 * 4));
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
        assert_eq!(
            update(&mut app, Action::RefreshFinished(summary)),
            vec![Effect::LoadFeeds, Effect::LoadQueryFeeds(Vec::new())]
        );
        assert_eq!(app.refresh, None);
        assert_eq!(app.message, format!("refreshed {line}"));
    }

    #[test]
    fn a_refresh_or_a_change_made_by_another_process_shows_here() {
        let mut app = App::sample(80, 24);
        // A cron `tidings refresh` starts: its progress shows, and R does not start another.
        assert!(update(&mut app, Action::RefreshStarted { total: 2 }).is_empty());
        assert_eq!(app.message, "refreshing 0/2 feeds (0 failed)");
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        let _ =
            update(&mut app, Action::FeedRefreshed { feed: FeedId(2), outcome: FeedOutcome::NotModified });
        assert_eq!(app.message, "refreshing 1/2 feeds (0 failed)");
        // Its holder is killed before it ends: the progress does not stay up forever.
        let effects = update(&mut app, Action::Reconnected);
        assert_eq!(app.refresh, None);
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
        let feeds = app.feeds.clone();
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert_eq!(
            update(&mut app, Action::StoreChanged),
            vec![Effect::LoadFeeds, Effect::ReloadArticles(Source::Feed(FeedId(1)))]
        );
    }

    #[test]
    fn a_reload_queued_before_a_mark_does_not_undo_it_on_screen() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        // Another process changed something: the list reload is queued first...
        let effects = update(&mut app, Action::StoreChanged);
        assert!(effects.contains(&Effect::ReloadArticles(Source::Feed(FeedId(1)))), "{effects:?}");
        let stale_entries = app.entries.clone();
        let stale_rows: Vec<ArticleRow> = app.rows.values().cloned().collect();
        let first = app.entries[0].id;
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
        assert!(app.entries.iter().all(|e| e.read), "{:?}", app.entries);
        assert!(app.entries[0].starred && app.rows[&first].starred, "the star was undone on screen");
        assert!(app.rows.values().all(|r| r.read));
        // A reload queued after the marks reads them from the store: taken as it comes.
        let _ = update(&mut app, Action::StoreChanged);
        let mut fresh = app.entries.clone();
        fresh[0].starred = false;
        let rows: Vec<ArticleRow> = app.rows.values().cloned().collect();
        let _ = update(
            &mut app,
            Action::ArticlesLoaded { source: Source::Feed(FeedId(1)), entries: fresh, rows },
        );
        assert!(!app.entries[0].starred, "a change made elsewhere after the marks is shown");
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
        assert_eq!(app.refresh, None);
        assert!(app.message.contains("R starts another"), "{}", app.message);
        assert_eq!(update(&mut app, Action::RefreshAll), vec![Effect::Refresh(None)]);
        // Without a refresh running it only reloads, quietly.
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::Reconnected);
        assert_eq!(app.message, "");
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
        let feeds = app.feeds.clone();
        let effects = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 2 });
        assert_eq!(effects, vec![Effect::LoadFeeds]);
        assert!(update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 }).is_empty());
    }

    #[test]
    fn a_reloaded_list_keeps_the_selected_article_and_the_open_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.article_sel = 1;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let lines = (0..100).map(|i| ratatui::text::Line::from(format!("line {i}"))).collect();
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(11), width, lines, links: vec![], link_cells: vec![] },
        );
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, Action::SelectNext);
        let open_before = app.article.clone();
        assert_eq!(open_before.as_ref().map(|o| o.scroll), Some(2));

        // A new article arrives on top: the selection stays on article 11, now at index 2.
        let mut articles = list_rows(&app);
        let mut newest = articles[0].clone();
        newest.id = ArticleId(99);
        newest.title = "Brand new".into();
        newest.read = false;
        articles.insert(0, newest);
        assert!(update(&mut app, loaded(Source::Feed(FeedId(1)), articles)).is_empty());
        assert_eq!(app.entries.len(), 4);
        assert_eq!(app.article_sel, 2);
        assert_eq!(app.selected_article().map(|a| a.id), Some(ArticleId(11)));
        assert_eq!(app.article, open_before);
        assert_eq!(app.focus, Pane::Article);

        // If the selected article is gone, the position is kept.
        let articles: Vec<_> = list_rows(&app).into_iter().filter(|a| a.id != ArticleId(11)).collect();
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        assert_eq!(app.article_sel, 2);
    }

    /// Two feeds with unread articles: feed 1 (articles 10, 11 unread, 12 read) and feed 2.
    fn two_unread_feeds() -> App {
        let mut app = App::sample(80, 24);
        app.feeds[1].unread = 2;
        app.feeds[1].total = 2;
        app.refilter_feeds();
        app
    }

    fn rows_of(feed: u64, ids: &[(u64, bool)]) -> Vec<ArticleRow> {
        ids.iter()
            .map(|&(id, read)| ArticleRow {
                id: ArticleId(id),
                feed: FeedId(feed),
                title: format!("a{id}"),
                author: None,
                link: Some(format!("https://example.org/{id}")),
                date: 0,
                read,
                starred: false,
                has_images: false,
            })
            .collect()
    }

    /// `ArticlesLoaded` of a list with every row read.
    fn loaded(source: Source, rows: Vec<ArticleRow>) -> Action {
        Action::ArticlesLoaded { source, entries: rows.iter().map(ArticleRow::entry).collect(), rows }
    }

    /// The list's rows, in order.
    fn list_rows(app: &App) -> Vec<ArticleRow> {
        app.entries.iter().filter_map(|e| app.rows.get(&e.id).cloned()).collect()
    }

    fn open_id(app: &App) -> Option<ArticleId> {
        app.article.as_ref().map(|o| o.row.id)
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
        app.feeds[0].unread = 1;
        app.articles_source = Some(Source::Feed(FeedId(2)));
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
        for a in &mut app.entries {
            a.read = true;
        }
        app.feeds[0].unread = 0;
        assert!(update(&mut app, Action::NextUnread).is_empty());
        assert_eq!(app.message, "no more unread articles");
        assert_eq!(app.article, None);
    }

    #[test]
    fn space_at_the_end_of_an_article_opens_the_next_unread() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Open);
        let width = app.article.as_ref().map_or(0, |o| o.width);
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
        assert!(!app.entries[1].starred);
        assert_eq!(
            update(&mut app, Action::Undo),
            vec![Effect::Mark { ids: vec![ArticleId(10)], mark: Mark::Unread }]
        );
        assert!(!app.entries[0].read);
        assert!(app.article.as_ref().is_some_and(|o| !o.row.read), "the open article follows");
        assert!(update(&mut app, Action::Undo).is_empty());
        assert_eq!(app.message, "nothing to undo");

        // A: the ids the store marked come back and can be undone in one step.
        let _ = update(&mut app, Action::MarkFeedRead);
        let ids = vec![ArticleId(10), ArticleId(11)];
        let _ = update(&mut app, Action::FeedMarkedRead { feed: FeedId(1), ids: ids.clone() });
        assert_eq!(update(&mut app, Action::Undo), vec![Effect::Mark { ids, mark: Mark::Unread }]);
        assert!(!app.entries[0].read && !app.entries[1].read && app.entries[2].read);
    }

    #[test]
    fn unread_only_hides_read_rows_but_not_the_selected_one() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.feeds[1].unread = 0;
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert!(app.unread_only);
        // Article 12 is read: hidden. Feed 2 has nothing unread: hidden.
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![10, 11]);
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![1]);
        // Reading the selected article keeps it listed until the list is rebuilt.
        let _ = update(&mut app, Action::ToggleRead);
        assert_eq!(app.article_view.len(), 2);
        let articles = list_rows(&app);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![10, 11]);
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert_eq!(app.article_view.len(), 3);
    }

    #[test]
    fn filter_narrows_as_you_type_and_esc_clears() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let _ = update(&mut app, Action::Filter);
        assert!(matches!(app.prompt, Some(Prompt { kind: PromptKind::Filter(Pane::Articles), .. })));
        for c in "NUMBER 2".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![12]);
        assert_eq!(app.selected_article().map(|a| a.id.0), Some(12));
        let _ = update(&mut app, Action::Input(InputKey::Backspace));
        assert_eq!(app.article_view.len(), 3);
        let _ = update(&mut app, Action::Input(InputKey::Char('1')));
        let _ = update(&mut app, Action::Input(InputKey::Submit));
        assert_eq!(app.prompt, None);
        assert_eq!(app.article_filter, "NUMBER 1");
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![11]);
        // Keys are commands again; Esc clears the filter before it goes back.
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.article_filter, "");
        assert_eq!(app.focus, Pane::Articles);
        assert_eq!(app.article_view.len(), 3);
        // In the feeds pane it filters feeds; Esc in the prompt cancels.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::Filter);
        for c in "机器".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![2]);
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        assert_eq!((app.prompt.clone(), app.feed_view.len()), (None, 2));
    }

    #[test]
    fn a_filter_starting_with_a_question_mark_asks_the_store_and_shows_its_answer() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let source = app.articles_source.expect("the sample shows a list");
        let _ = update(&mut app, Action::Filter);
        let mut effects = Vec::new();
        for c in "?unread and title:".chars() {
            effects = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        // Not a query yet: the error in the status line, with its column; nothing asked.
        assert!(effects.is_empty(), "{effects:?}");
        assert_eq!(app.message, "error at column 18: expected a value after \"title:\"");
        assert_eq!(app.article_view.len(), 3, "until an answer, every article shows");
        let effects = update(&mut app, Action::Input(InputKey::Char('x')));
        let all: Vec<ArticleId> = app.entries.iter().map(|e| e.id).collect();
        assert_eq!(effects, vec![Effect::MatchQuery { source, expr: "unread and title:x".into(), ids: all }]);
        assert!(app.message.is_empty(), "the error went once the expression parsed");
        // A stale answer (an older expression) is dropped; the current one filters.
        let _ = update(
            &mut app,
            Action::QueryMatched { source, expr: "unread".into(), ids: vec![ArticleId(10)] },
        );
        assert_eq!(app.article_view.len(), 3);
        let _ = update(
            &mut app,
            Action::QueryMatched { source, expr: "unread and title:x".into(), ids: vec![ArticleId(11)] },
        );
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![11]);
        // Esc clears it, and a plain filter is a plain filter again.
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        assert_eq!((app.article_filter.as_str(), app.article_view.len()), ("", 3));
        assert_eq!(app.query_matches, None);
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
        assert_eq!(app.article_view.len(), 2);
        // A feeds reload does not replace the starred list.
        let feeds = app.feeds.clone();
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
    fn a_adds_a_feed_and_selects_it_when_it_arrives() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::AddFeed);
        for c in " example.org/feed ".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::AddFeed("example.org/feed".into())]
        );
        assert_eq!(
            update(&mut app, Action::FeedAdded { feed: Some(FeedId(7)), message: "added X\u{1b}[2J".into() }),
            vec![Effect::LoadFeeds, Effect::LoadQueryFeeds(Vec::new())]
        );
        assert_eq!(app.message, "added X[2J");
        let mut feeds = app.feeds.clone();
        feeds.push(FeedRow {
            id: FeedId(7),
            title: "X".into(),
            unread: 3,
            total: 3,
            failing: false,
            synced: false,
            tags: vec![],
        });
        let effects = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 5 });
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(7)));
        assert_eq!(effects, vec![Effect::LoadArticles(Source::Feed(FeedId(7)))]);
        // An empty URL adds nothing.
        let _ = update(&mut app, Action::AddFeed);
        assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty());
    }

    #[test]
    fn overlays_scroll_close_and_swallow_other_keys() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::FeedInfo), vec![Effect::LoadHealth(FeedId(1))]);
        let records = vec![crate::store::FetchRecord { status: Some(200), ..Default::default() }];
        let _ = update(&mut app, Action::HealthLoaded { feed: FeedId(1), records: records.clone() });
        assert!(matches!(&app.overlay, Some(Overlay::Health { records: Some(r), .. }) if *r == records));
        // j scrolls the window, not the list; m does nothing; Esc closes.
        let _ = update(&mut app, Action::SelectNext);
        assert_eq!(app.feed_sel, 0);
        assert!(matches!(app.overlay, Some(Overlay::Health { scroll: 1, .. })));
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        assert_eq!(app.refresh, None);
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.overlay, None);
        // q closes a window (each of them), and quits only from the panes.
        let _ = update(&mut app, Action::Help);
        assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
        assert!(update(&mut app, Action::Quit).is_empty());
        assert_eq!(app.overlay, None);
        assert!(!app.quit);
        let _ = update(&mut app, Action::FeedInfo);
        assert!(update(&mut app, Action::Quit).is_empty());
        assert_eq!(app.overlay, None);
        assert_eq!(update(&mut app, Action::Quit), vec![Effect::Quit]);
        // Ctrl-c quits from a window too.
        let _ = update(&mut app, Action::Help);
        let ctrl_c = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('c'),
            crossterm::event::KeyModifiers::CONTROL,
        );
        assert_eq!(update(&mut app, Action::Key(ctrl_c)), vec![Effect::Quit]);
    }

    #[test]
    fn welcome_enter_adds_the_samples() {
        let mut app = App::new(80, 24);
        let _ = update(&mut app, Action::FeedsLoaded { feeds: vec![], unread_total: 0 });
        assert_eq!(update(&mut app, Action::Open), vec![Effect::AddSamples]);
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
        let width = app.article.as_ref().map_or(0, |o| o.width);
        let links = vec!["https://a.example/".to_owned(), "https://b.example/".to_owned()];
        let _ = update(
            &mut app,
            Action::BodyRendered { article: ArticleId(10), width, lines: vec![], links, link_cells: vec![] },
        );
        assert_eq!(update(&mut app, Action::OpenLink(2)), vec![Effect::OpenUrl("https://b.example/".into())]);
        assert!(update(&mut app, Action::OpenLink(3)).is_empty());
        assert_eq!(app.message, "this article has no link [3]");
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
    fn messages_time_out_and_auto_refresh_is_quiet() {
        let mut app = App::sample(80, 24);
        app.say("hello");
        for _ in 0..MESSAGE_TICKS - 1 {
            let _ = update(&mut app, Action::Tick);
        }
        assert_eq!(app.message, "hello");
        let _ = update(&mut app, Action::Tick);
        assert_eq!(app.message, "");
        assert_eq!(update(&mut app, Action::AutoRefresh), vec![Effect::Refresh(None)]);
        // During a refresh too: "marked read" goes (the progress is drawn from the state).
        app.say("marked read");
        for _ in 0..MESSAGE_TICKS {
            let _ = update(&mut app, Action::Tick);
        }
        assert_eq!(app.message, "");
        assert!(app.refresh.is_some());
        // A timer firing during a refresh does nothing, not even a message.
        app.message.clear();
        assert!(update(&mut app, Action::AutoRefresh).is_empty());
        assert!(!app.message.contains("already"));
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
        assert!(app.message_is_error);
        assert!(app.message.starts_with("sync failed: cannot reach the sync server"), "{}", app.message);
        let sync = crate::sync::SyncSummary { new_articles: 3, ..Default::default() };
        let summary = crate::refresh::RefreshSummary { sync: Some(sync.clone()), ..Default::default() };
        let _ = update(&mut app, Action::RefreshFinished(summary));
        assert!(!app.message_is_error);
        assert!(app.message.starts_with("synced: 3 new,"), "{}", app.message);
        let summary = crate::refresh::RefreshSummary { feeds: 2, sync: Some(sync), ..Default::default() };
        let _ = update(&mut app, Action::RefreshFinished(summary));
        assert!(
            app.message.starts_with("refreshed 2 feeds") && app.message.contains("; synced: 3 new"),
            "{}",
            app.message
        );
    }

    #[test]
    fn background_syncs_run_one_at_a_time_and_speak_only_when_something_happened() {
        let mut app = App::default();
        assert_eq!(update(&mut app, Action::AutoSync), vec![Effect::Sync]);
        assert!(update(&mut app, Action::AutoSync).is_empty(), "one at a time");
        let _ = update(&mut app, Action::SyncFinished(Some(crate::sync::SyncSummary::default())));
        assert!(app.message.is_empty(), "nothing happened: {}", app.message);
        assert_eq!(update(&mut app, Action::AutoSync), vec![Effect::Sync]);
        let done = crate::sync::SyncSummary { new_articles: 2, ..Default::default() };
        let _ = update(&mut app, Action::SyncFinished(Some(done)));
        assert!(app.message.starts_with("synced: 2 new,"), "{}", app.message);
        let _ = update(&mut app, Action::AutoSync);
        let failed = crate::sync::SyncSummary {
            error: Some("cannot reach the sync server".into()),
            ..Default::default()
        };
        let _ = update(&mut app, Action::SyncFinished(Some(failed)));
        assert!(app.message_is_error && app.message.contains("sync failed"));
        // No account: the answer is None, and nothing is said.
        app.message.clear();
        let _ = update(&mut app, Action::AutoSync);
        assert!(update(&mut app, Action::SyncFinished(None)).is_empty());
        assert!(app.message.is_empty() && !app.syncing);
        // Its progress shows while it runs, and goes when it ended having changed nothing.
        let _ = update(&mut app, Action::AutoSync);
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Articles { received: 300 }));
        assert_eq!(app.message, "syncing: 300 articles from the server");
        let _ = update(&mut app, Action::SyncFinished(Some(crate::sync::SyncSummary::default())));
        assert!(app.message.is_empty(), "{}", app.message);
        // Another message since the progress stays.
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Flags));
        app.say("marked read");
        let _ = update(&mut app, Action::SyncedElsewhere(crate::sync::SyncSummary::default()));
        assert_eq!(app.message, "marked read");
        // A sync another process ran (cron) says what it brought, and does not end this
        // reader's own.
        let _ = update(&mut app, Action::AutoSync);
        let cron = crate::sync::SyncSummary { flags_pulled: 4, ..Default::default() };
        let _ = update(&mut app, Action::SyncedElsewhere(cron));
        assert!(app.message.starts_with("synced: 0 new, 0 sent, 4 from the server"), "{}", app.message);
        assert!(app.syncing);
        let _ = update(&mut app, Action::SyncFinished(None));
        // While a refresh runs (it syncs too), the timer does nothing, and the refresh's own
        // line stays.
        app.refresh = Some(crate::ui::app::RefreshProgress { done: 0, total: 1, failed: 0 });
        app.say("refreshing 0/1");
        let _ = update(&mut app, Action::SyncStep(crate::sync::SyncStep::Flags));
        assert_eq!(app.message, "refreshing 0/1");
        assert!(update(&mut app, Action::AutoSync).is_empty());
    }

    #[test]
    fn refresh_on_start_waits_for_the_feeds() {
        let mut app = App::new(80, 24);
        app.refresh_on_load = true;
        let feeds = App::sample(80, 24).feeds;
        let effects = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 2 });
        assert_eq!(effects, vec![Effect::Refresh(None), Effect::LoadArticles(Source::Feed(FeedId(1)))]);
        let _ = update(&mut app, Action::RefreshFinished(Default::default()));
        // Only once.
        let effects = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert!(!effects.contains(&Effect::Refresh(None)));
    }

    #[test]
    fn mouse_clicks_select_then_open_and_the_wheel_scrolls_the_pane_under_it() {
        let mut app = App::sample(120, 40);
        // Row 2 of the screen is the second feed (row 0 is the border).
        assert_eq!(
            update(&mut app, Action::MouseClick { column: 3, row: 2 }),
            vec![Effect::LoadArticles(Source::Feed(FeedId(2)))]
        );
        assert_eq!(app.feed_sel, 1);
        let _ = update(&mut app, Action::MouseClick { column: 3, row: 1 });
        assert_eq!(app.feed_sel, 0);
        // Articles pane: first click selects, second on the same row opens.
        let articles = list_rows(&App::sample(120, 40));
        let _ = update(&mut app, loaded(Source::Feed(FeedId(1)), articles));
        let x = 60;
        assert!(update(&mut app, Action::MouseClick { column: x, row: 3 }).is_empty());
        assert_eq!((app.focus, app.article_sel), (Pane::Articles, 2));
        let effects = update(&mut app, Action::MouseClick { column: x, row: 3 });
        assert!(
            matches!(effects.last(), Some(Effect::LoadBody { article: ArticleId(12), .. })),
            "{effects:?}"
        );
        // The wheel over the feeds pane moves its selection, whatever had focus.
        let _ = update(&mut app, Action::MouseScroll { column: 3, row: 5, down: true });
        assert_eq!((app.focus, app.feed_sel), (Pane::Feeds, 1));
        // Below the last row: nothing.
        assert!(update(&mut app, Action::MouseClick { column: 3, row: 10 }).is_empty());
        assert_eq!(app.feed_sel, 1);
    }

    #[test]
    fn t_cycles_through_the_tags_then_shows_every_feed() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.tag.as_deref(), Some("ai"));
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![2]);
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(2)));
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.tag.as_deref(), Some("rust"));
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![1]);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.tag.as_deref(), Some("zh"));
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.tag, None);
        assert_eq!(app.feed_view.len(), 2);
    }

    #[test]
    fn enter_typed_ahead_of_the_list_opens_when_it_lands() {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::SelectNext); // feed 2: its list is on its way
        let _ = update(&mut app, Action::Open);
        assert_eq!(app.focus, Pane::Articles);
        assert!(update(&mut app, Action::Open).is_empty());
        let effects = update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false)])));
        assert_eq!(open_id(&app), Some(ArticleId(20)));
        assert!(effects.contains(&Effect::Mark { ids: vec![ArticleId(20)], mark: Mark::Read }));
    }

    /// The feeds pane's rows: `-tag` / `+tag` for open / folded headings, feed ids as numbers.
    fn feed_rows(app: &App) -> Vec<String> {
        app.feed_view
            .iter()
            .map(|line| match line {
                FeedLine::Query(i) => format!("?{}", app.queries[*i].name),
                FeedLine::Feed(i) => app.feeds[*i].id.0.to_string(),
                FeedLine::Heading(h) => format!("{}{}", if h.folded { "+" } else { "-" }, h.group.label()),
            })
            .collect()
    }

    /// Feed 2 as a list of `n` articles (ids 1000 + position; `read` says which are read)
    /// whose first `loaded` rows came with it, as `LoadArticles` answers; the effects it asked.
    fn long_list(n: u64, loaded: usize, read: impl Fn(u64) -> bool) -> (App, Vec<ArticleRow>, Vec<Effect>) {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles_wanted = Some(Source::Feed(FeedId(2)));
        let rows = rows_of(2, &(0..n).map(|i| (1000 + i, read(i))).collect::<Vec<_>>());
        let entries = rows.iter().map(ArticleRow::entry).collect();
        let first = rows[..loaded].to_vec();
        let effects = update(
            &mut app,
            Action::ArticlesLoaded { source: Source::Feed(FeedId(2)), entries, rows: first },
        );
        (app, rows, effects)
    }

    fn load_rows_ids(effects: &[Effect]) -> Vec<ArticleId> {
        effects
            .iter()
            .flat_map(|e| match e {
                Effect::LoadRows { ids, .. } => ids.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    fn selected_row(app: &App) -> String {
        feed_rows(app).get(app.feed_sel).cloned().unwrap_or_default()
    }

    /// The heading the selected row is under.
    fn selected_group(app: &App) -> Option<String> {
        match app.selected_feed_key()? {
            FeedKey::Heading(g) | FeedKey::Feed { group: Some(g), .. } => Some(g.label().to_owned()),
            FeedKey::Feed { group: None, .. } | FeedKey::Query(_) => None,
        }
    }

    fn query_row(name: &str, query: &str, unread: u64) -> crate::ui::app::QueryRow {
        crate::ui::app::QueryRow {
            name: name.into(),
            query: query.into(),
            unread: Some(unread),
            total: Some(unread + 1),
            error: None,
        }
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
        // The first list to land selects the first row.
        assert_eq!(app.feed_sel, 0);
        // A reload keeps the selection on the feed it was on.
        app.feed_sel = 2;
        let effects = update(&mut app, Action::QueryFeedsLoaded(rows.clone()));
        assert_eq!(app.feed_sel, 2, "{effects:?}");
        // A query feed opens like a feed: its list is the store's answer to the expression.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!(app.articles_wanted, Some(Source::query("Unread", "unread")));
        // Unread-only hides the query feeds with nothing unread, not the selected one.
        let _ = update(&mut app, Action::ToggleUnreadOnly);
        assert!(!feed_rows(&app).contains(&"?Empty".to_owned()));
        assert!(feed_rows(&app).contains(&"?Unread".to_owned()));
        // A mark asks for the counts again, behind the mark (the writer runs both in order).
        app.focus = Pane::Articles;
        app.articles_source = app.articles_wanted;
        app.entries = vec![ListEntry { id: ArticleId(10), feed: FeedId(1), read: false, starred: false }];
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

    fn grouped_sample() -> App {
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::ToggleGroups);
        app
    }

    #[test]
    fn big_t_groups_the_feeds_by_tag_and_back_keeping_the_selection() {
        let mut app = App::sample(80, 24);
        assert!(update(&mut app, Action::ToggleGroups).is_empty(), "feed 1 stays selected and shown");
        assert!(app.group_by_tag);
        // Alphabetical headings; feed 2 (ai, zh) is under both.
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "-zh", "2"]);
        assert_eq!((app.feed_sel, app.selected_feed().map(|f| f.id)), (3, Some(FeedId(1))));
        assert!(app.message.contains("grouped by tag"), "{}", app.message);
        let heading = |app: &App, tag: &str| {
            app.feed_view.iter().find_map(|l| match l {
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
        assert_eq!(app.feed_sel, 1);
    }

    #[test]
    fn untagged_feeds_come_last_and_tags_sort_ignoring_case() {
        let mut app = App::sample(80, 24);
        app.feeds.push(FeedRow {
            id: FeedId(3),
            title: "Plain".into(),
            unread: 4,
            total: 4,
            failing: false,
            synced: false,
            tags: vec![],
        });
        app.feeds.push(FeedRow {
            id: FeedId(4),
            title: "Caps".into(),
            unread: 1,
            total: 1,
            failing: false,
            synced: false,
            tags: vec!["Python".into(), "Python".into()],
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
        assert_eq!(app.feed_sel, 4);
        // Enter on a feed still opens its articles.
        let _ = update(&mut app, Action::Open);
        assert_eq!(app.focus, Pane::Articles);
        // The fold is remembered across a flat interlude and a reload; Enter again unfolds.
        let _ = update(&mut app, Action::ToggleGroups);
        let _ = update(&mut app, Action::ToggleGroups);
        let feeds = app.feeds.clone();
        let _ = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 2 });
        assert_eq!(feed_rows(&app)[0], "+ai");
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::SelectFirst);
        let _ = update(&mut app, Action::Open);
        assert_eq!(feed_rows(&app), ["-ai", "2", "-rust", "1", "-zh", "2"]);
    }

    #[test]
    fn a_reload_keeps_a_heading_or_a_feed_under_its_heading_selected() {
        let mut app = grouped_sample();
        let _ = update(&mut app, Action::SelectLast);
        assert_eq!((selected_row(&app), selected_group(&app)), ("2".into(), Some("zh".into())));
        // The reload puts a new "ai" feed first and reorders: feed 2 under zh stays selected,
        // not its first row under ai.
        let mut feeds = app.feeds.clone();
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
            },
        );
        let _ = update(&mut app, Action::FeedsLoaded { feeds: feeds.clone(), unread_total: 3 });
        assert_eq!(feed_rows(&app), ["-ai", "3", "2", "-rust", "1", "-zh", "2"]);
        assert_eq!((app.feed_sel, selected_group(&app)), (6, Some("zh".into())));
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
    fn a_feed_added_into_a_folded_heading_opens_it() {
        let mut app = grouped_sample();
        let mut feeds = app.feeds.clone();
        feeds.push(FeedRow {
            id: FeedId(9),
            title: "Added".into(),
            unread: 1,
            total: 1,
            failing: false,
            synced: false,
            tags: vec!["rust".into()],
        });
        app.folded.insert(TagGroup::Tag("rust".into()));
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
        app.folded.insert(TagGroup::Tag("zh".into()));
        let _ = update(&mut app, Action::Filter);
        for c in "机器".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(feed_rows(&app), ["-ai", "2", "+zh"]);
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        app.folded.clear();
        // t: only that tag's heading, even for a feed that has another tag too.
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(app.tag.as_deref(), Some("ai"));
        assert_eq!(feed_rows(&app), ["-ai", "2"]);
        let _ = update(&mut app, Action::NextTag);
        assert_eq!(feed_rows(&app), ["-rust", "1"]);
    }

    #[test]
    fn big_a_on_a_heading_marks_its_feeds_read_as_one_undo_step() {
        let mut app = grouped_sample();
        app.feeds.push(FeedRow {
            id: FeedId(3),
            title: "Also rust".into(),
            unread: 5,
            total: 5,
            failing: false,
            synced: false,
            tags: vec!["rust".into()],
        });
        app.refilter_feeds();
        let _ = update(&mut app, Action::SelectPrev);
        assert_eq!(selected_row(&app), "-rust");
        assert_eq!(
            update(&mut app, Action::MarkFeedRead),
            vec![Effect::MarkFeedsRead { feeds: vec![FeedId(1), FeedId(3)], label: "rust".into() }]
        );
        assert!(app.entries.iter().all(|a| a.read), "the shown feed 1 is under it");
        assert!(app.rows.values().all(|r| r.read), "and its rows on screen");
        let ids = vec![ArticleId(10), ArticleId(11), ArticleId(30)];
        let _ = update(&mut app, Action::FeedsMarkedRead { label: "rust".into(), ids: ids.clone() });
        assert_eq!(app.message, "rust: 3 marked read (u undoes)");
        assert_eq!(update(&mut app, Action::Undo), vec![Effect::Mark { ids, mark: Mark::Unread }]);
        assert!(!app.entries[0].read && !app.entries[1].read);
        assert!(Effect::MarkFeedsRead { feeds: vec![], label: String::new() }.is_write());
        // r on a heading says which keys fetch.
        assert!(update(&mut app, Action::RefreshFeed).is_empty());
        assert!(app.message.contains("R fetches every feed"), "{}", app.message);
    }

    #[test]
    fn n_reaches_a_feed_in_a_folded_heading_and_opens_it() {
        let mut app = grouped_sample();
        app.feeds.push(FeedRow {
            id: FeedId(3),
            title: "Go".into(),
            unread: 0,
            total: 0,
            failing: false,
            synced: false,
            tags: vec!["go".into()],
        });
        app.folded.insert(TagGroup::Tag("rust".into()));
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
        app.feeds = (0..20)
            .map(|i| FeedRow {
                id: FeedId(i),
                title: format!("feed {i}"),
                unread: 1,
                total: 1,
                failing: false,
                synced: false,
                tags: vec![format!("tag{:02}", i / 2)],
            })
            .collect();
        let _ = update(&mut app, Action::ToggleGroups);
        assert_eq!(feed_rows(&app).len(), 30);
        let _ = update(&mut app, Action::SelectLast);
        let rows = layout::list_page(80, 8, Pane::Feeds, app.split);
        assert_eq!(app.feed_offset, 30 - rows);
        let _ = update(&mut app, Action::SelectFirst);
        assert_eq!((app.feed_sel, app.feed_offset), (0, 0));
    }

    #[test]
    fn rows_are_read_as_the_screen_comes_near_them_and_once() {
        let (mut app, rows, effects) = long_list(1000, 200, |i| i % 3 == 0);
        assert!(effects.is_empty(), "the first window came with the list: {effects:?}");
        assert_eq!((app.entries.len(), app.rows.len()), (1000, 200));
        let page = layout::list_page(80, 24, Pane::Articles, app.split);
        let mut effects = Vec::new();
        while effects.is_empty() && app.article_sel < 999 {
            effects = update(&mut app, Action::PageDown);
        }
        // Exactly the missing rows of the screen and two pages each side, in list order.
        let offset = app.article_offset;
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
        assert!(app.rows_loading.is_empty());
        assert!(want.iter().all(|id| app.rows.contains_key(id)));
        // The end of the list: the rest, once.
        let effects = update(&mut app, Action::SelectLast);
        let ids = load_rows_ids(&effects);
        assert_eq!(ids.last(), Some(&ArticleId(1999)));
        assert!(ids.iter().all(|id| !app.rows.contains_key(id)), "only missing rows");
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
        assert!(app.rows_loading.is_empty());
        let late: Vec<ArticleRow> = rows.iter().filter(|r| asked.contains(&r.id)).cloned().collect();
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: late },
        );
        assert_eq!(app.rows.keys().copied().collect::<Vec<_>>(), vec![ArticleId(10)]);
    }

    #[test]
    fn a_filter_reads_every_row_once_then_matches_them() {
        let (mut app, rows, _) = long_list(3000, 200, |_| false);
        let _ = update(&mut app, Action::Filter);
        let mut asked = Vec::new();
        for c in "a2999".chars() {
            asked.push(load_rows_ids(&update(&mut app, Action::Input(InputKey::Char(c)))));
        }
        // One effect, at the first character, for every row not read yet.
        assert_eq!(asked[0], rows[200..].iter().map(|r| r.id).collect::<Vec<_>>());
        assert!(asked[1..].iter().all(Vec::is_empty), "{:?}", asked.iter().map(Vec::len).collect::<Vec<_>>());
        assert!(app.article_view.is_empty(), "a2999 is not read yet");
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: rows[200..].to_vec() },
        );
        assert_eq!(app.visible_entries().map(|e| e.id).collect::<Vec<_>>(), vec![ArticleId(2999)]);
        // Esc clears the filter, and the rows far from the screen go.
        let _ = update(&mut app, Action::Input(InputKey::Submit));
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.article_view.len(), 3000);
        assert!(app.rows.len() <= crate::ui::app::ROW_CACHE, "{}", app.rows.len());
        assert!(app.selected_article().is_some());
    }

    #[test]
    fn marks_keep_the_entry_and_its_row_in_step() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let flags = |app: &App| {
            let e = app.entries[0];
            let r = &app.rows[&e.id];
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
        let mut stale = app.rows[&ArticleId(10)].clone();
        stale.read = false;
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(1)), asked: vec![], rows: vec![stale] },
        );
        assert_eq!(flags(&app), (true, false));
    }

    #[test]
    fn n_far_down_a_list_opens_the_article_and_fills_it_in_when_its_row_lands() {
        let (mut app, rows, _) = long_list(1000, 200, |i| i != 700);
        let effects = update(&mut app, Action::NextUnread);
        assert_eq!(open_id(&app), Some(ArticleId(1700)));
        assert_eq!(app.article.as_ref().map(|o| o.row.title.as_str()), Some("…"));
        assert!(effects.contains(&Effect::Mark { ids: vec![ArticleId(1700)], mark: Mark::Read }));
        let asked = load_rows_ids(&effects);
        assert!(asked.contains(&ArticleId(1700)), "{effects:?}");
        let arrived: Vec<ArticleRow> = rows.iter().filter(|r| asked.contains(&r.id)).cloned().collect();
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: arrived },
        );
        let open = app.article.as_ref().map(|o| o.row.clone());
        assert_eq!(open.as_ref().map(|r| (r.title.as_str(), r.read)), Some(("a1700", true)));
        assert!(app.rows[&ArticleId(1700)].read);
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
        assert_eq!(app.article_sel, 999);
        // The rows on screen are asked for again, and drawn from before until they land.
        let ids = load_rows_ids(&effects);
        assert!(ids.contains(&ArticleId(1998)), "{effects:?}");
        assert_eq!(app.selected_article().map(|r| r.title.as_str()), Some("a1998"));
    }

    fn keys(app: &mut App, typed: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        for c in typed.chars() {
            let code = match c {
                '\r' => crossterm::event::KeyCode::Enter,
                c => crossterm::event::KeyCode::Char(c),
            };
            effects.extend(update(app, Action::Key(code.into())));
        }
        effects
    }

    #[test]
    fn keys_typed_while_a_list_loads_wait_for_it_and_are_obeyed_in_order() {
        // g Enter G Enter on the second feed: the first feed's list is asked for and lands
        // after all four keys.
        let mut app = App::sample(80, 24);
        let _ = update(&mut app, Action::SelectNext);
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false)])));
        let effects = keys(&mut app, "g\rG\r");
        assert_eq!(effects, vec![Effect::LoadArticles(Source::Feed(FeedId(1)))]);
        assert_eq!(app.queued.len(), 2, "G and Enter wait for the list: {:?}", app.queued);
        let effects = update(&mut app, loaded(Source::Feed(FeedId(1)), list_rows(&App::sample(80, 24))));
        assert!(app.queued.is_empty());
        assert_eq!(open_id(&app), Some(ArticleId(12)), "the last article");
        assert!(
            matches!(effects.last(), Some(Effect::LoadBody { article: ArticleId(12), .. })),
            "{effects:?}"
        );
    }

    #[test]
    fn spaces_typed_while_a_list_loads_each_move_a_page() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles_wanted = Some(Source::Feed(FeedId(2)));
        let _ = keys(&mut app, &" ".repeat(10));
        assert_eq!(app.queued.len(), 10);
        let rows = rows_of(2, &(0..300).map(|i| (1000 + i, false)).collect::<Vec<_>>());
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows));
        let page = layout::list_page(80, 24, Pane::Articles, app.split);
        assert_eq!(app.article_sel, 10 * page);
    }

    #[test]
    fn n_typed_while_the_next_feed_loads_waits_then_goes_on() {
        let mut app = two_unread_feeds();
        // Two unread in feed 1, two in feed 2: four n open all four, whenever feed 2 lands.
        let effects = keys(&mut app, "nnnn");
        assert!(effects.contains(&Effect::ReloadArticles(Source::Feed(FeedId(2)))), "{effects:?}");
        assert_eq!(open_id(&app), Some(ArticleId(11)));
        assert_eq!(app.queued.len(), 1, "the fourth n waits for feed 2, which the third opens");
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false), (21, false)])));
        assert!(app.queued.is_empty());
        assert_eq!(open_id(&app), Some(ArticleId(21)));
        assert!(app.entries.iter().all(|e| e.read));
    }

    #[test]
    fn q_after_an_n_into_the_next_feed_quits_once_that_article_is_open_and_marked() {
        let mut app = two_unread_feeds();
        // The third n goes to feed 2, whose list is still on its way when q comes.
        let effects = keys(&mut app, "nnnq");
        assert!(!effects.contains(&Effect::Quit), "{effects:?}");
        assert!(!app.quit);
        let effects =
            update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false), (21, false)])));
        let quit_at = effects.iter().position(|e| *e == Effect::Quit).expect("q is obeyed");
        let marked_at = effects
            .iter()
            .position(|e| matches!(e, Effect::Mark { ids, .. } if ids == &[ArticleId(20)]))
            .expect("the article n went to is marked read");
        assert!(marked_at < quit_at, "{effects:?}");
    }

    #[test]
    fn a_key_after_a_queued_slash_is_text_and_ctrl_c_quits_at_once() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        app.articles_wanted = Some(Source::Feed(FeedId(2)));
        let _ = keys(&mut app, "/a");
        assert_eq!(app.prompt, None, "waiting");
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false)])));
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("a"), "a is text, not add feed");
        // Ctrl-c does not wait behind anything.
        app.articles_wanted = Some(Source::Feed(FeedId(1)));
        let _ = update(&mut app, Action::Input(InputKey::Submit));
        let _ = keys(&mut app, "jjj");
        let ctrl_c = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('c'),
            crossterm::event::KeyModifiers::CONTROL,
        );
        assert_eq!(update(&mut app, Action::Key(ctrl_c)), vec![Effect::Quit]);
        assert!(app.quit);
    }
}

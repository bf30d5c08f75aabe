//! `update`: the only place the reader's state changes. No I/O: it returns the effects it
//! wants and the loop performs them.

use std::collections::{HashMap, HashSet};

use crate::model::{ArticleId, FeedId};
use crate::refresh::FeedOutcome;
use crate::store::{ListEntry, Mark};
use crate::subscriptions::request_options;

use crossterm::event::{KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Effect, InputKey};
use super::app::{
    App, ArticleRow, FeedKey, FeedLine, IdMap, Jump, OpenArticle, Overlay, Pane, Prompt, PromptKind,
    RefreshProgress, Source, UndoStep, MESSAGE_TICKS, PUSH_AFTER_TICKS, UNDO_DEPTH,
};
use super::hyperlink::Osc8Uri;
use super::keymap::{self, Keymap};
use super::layout;

mod lists;
mod marking;
mod navigation;
mod overlays;
mod prompt;
#[cfg(test)]
mod test_support;

use lists::*;
use marking::*;
use navigation::*;
use overlays::*;
use prompt::*;

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
        if app.background.push_soon && app.feeds.rows.iter().any(|f| f.synced) {
            // Restarted by every mark: a burst of reads goes in one sync.
            app.background.push_due = Some(PUSH_AFTER_TICKS);
        }
        if !app.feeds.queries.is_empty() {
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
                app.articles.marked_since_reload.clear();
                app.articles.feeds_read_since_reload.clear();
            }
            Effect::Mark { ids, .. } => app.articles.marked_since_reload.extend(ids.iter().copied()),
            Effect::MarkFeedRead(feed) => {
                app.articles.feeds_read_since_reload.insert(*feed);
            }
            Effect::MarkFeedsRead { feeds, .. } => {
                app.articles.feeds_read_since_reload.extend(feeds.iter().copied());
            }
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
/// open article's body (to scroll it or follow its links) or its row (its link, its tags).
fn waits(app: &App, action: &Action) -> bool {
    if matches!(action, Action::Quit) {
        // `n q` quits after the article `n` went to is open (and marked read), even when
        // its list had to be read first.
        return app.articles.jump.is_some();
    }
    if !app.feeds.loaded || app.articles.jump.is_some() {
        return true;
    }
    if app.prompt.is_some() || app.overlay.shown.is_some() {
        // Text, or keys that scroll and close a window.
        return false;
    }
    let list_pending = app.articles.wanted.is_some() && app.articles.wanted != app.articles.source;
    let jumping = matches!(action, Action::NextUnread | Action::PrevUnread);
    match app.focus {
        Pane::Feeds => jumping && list_pending,
        // `#` prefills the prompt with the row's tags.
        Pane::Articles => {
            list_pending
                || (matches!(action, Action::EditTags)
                    && app.selected_entry().is_some_and(|e| app.articles.rows_loading.contains(&e.id)))
        }
        Pane::Article => {
            let Some(open) = &app.article.open else { return jumping && list_pending };
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
            let row = app.articles.rows_loading.contains(&open.row.id)
                && matches!(action, Action::OpenInBrowser | Action::CopyLink | Action::EditTags);
            (jumping && list_pending) || body || row
        }
    }
}

fn apply(app: &mut App, action: Action) -> Vec<Effect> {
    if app.overlay.shown.is_some() {
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
            match &mut app.article.open {
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
            app.status.age = app.status.age.saturating_add(1);
            // Every message goes in time; a running refresh's progress is drawn from
            // `app.background.refresh` once none is left.
            if app.status.age >= MESSAGE_TICKS {
                app.status.message.clear();
            }
            match app.background.push_due {
                // A sync or a refresh (which syncs) runs: the marks go with the next one.
                Some(_) if app.background.syncing || app.background.refresh.is_some() => {
                    app.background.push_due = Some(1);
                    Vec::new()
                }
                Some(ticks) if ticks > 1 => {
                    app.background.push_due = Some(ticks - 1);
                    Vec::new()
                }
                Some(_) => {
                    app.background.push_due = None;
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
        Action::Close => close(app),
        Action::NextPane => {
            app.focus = match app.focus {
                Pane::Feeds => Pane::Articles,
                Pane::Articles if app.article.open.is_some() || !app.is_wide() => Pane::Article,
                Pane::Articles | Pane::Article => Pane::Feeds,
            };
            if !app.is_wide() && app.focus == Pane::Article && app.article.open.is_none() {
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
            if app.articles.wanted.is_some_and(Source::chosen_apart_from_feeds) {
                return Vec::new();
            }
            want_articles(app)
        }
        Action::Search => {
            app.prompt = Some(Prompt { kind: PromptKind::Search, text: app.articles.last_search.clone() });
            Vec::new()
        }
        Action::ShowStarred => {
            if app.articles.wanted == Some(Source::Starred) {
                // Again: back to the selected feed.
                let effects = want_articles(app);
                app.focus = if app.selected_feed().is_some() || app.selected_query().is_some() {
                    Pane::Articles
                } else {
                    Pane::Feeds
                };
                return effects;
            }
            app.articles.wanted = Some(Source::Starred);
            app.focus = Pane::Articles;
            vec![Effect::LoadArticles(Source::Starred)]
        }
        Action::NextTag => {
            let tags = app.all_tags();
            if tags.is_empty() {
                app.say("no feed has a tag (tidings add URL --tag T, or tags from OPML folders)");
                return Vec::new();
            }
            app.feeds.tag = match &app.feeds.tag {
                None => tags.first().cloned(),
                Some(current) => tags.iter().skip_while(|t| *t != current).nth(1).cloned(),
            };
            app.say(match &app.feeds.tag {
                Some(t) => format!("tag {t}: only its feeds (t for the next)"),
                None => "every feed".to_owned(),
            });
            app.refilter_feeds();
            want_articles(app)
        }
        Action::ToggleGroups => toggle_groups(app),
        Action::Filter => {
            let pane = if app.focus == Pane::Feeds { Pane::Feeds } else { Pane::Articles };
            let text = if pane == Pane::Feeds { &app.feeds.filter } else { &app.articles.filter };
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
            let Some(source) = app.articles.source else { return Vec::new() };
            let order = app.order().next(source.ranked());
            app.articles.orders.insert(source, order);
            app.refilter_articles();
            app.scroll_lists();
            app.say(format!("articles {}", order.label()));
            let mut effects = want_rows(app);
            // Kept for the next run (not a search's: searches come and go).
            if let Some(key) = crate::ui::list_orders::key(source) {
                app.articles.kept_orders.insert(key, order);
                effects.push(Effect::SaveListOrders(app.articles.kept_orders.clone()));
            }
            effects
        }
        Action::CatchUpAll => {
            let feeds: Vec<FeedId> = app.feeds.rows.iter().filter(|f| f.unread > 0).map(|f| f.id).collect();
            if feeds.is_empty() {
                app.say("nothing unread");
                return Vec::new();
            }
            for a in &mut app.articles.entries {
                a.read = true;
            }
            for r in app.articles.rows.values_mut() {
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
        Action::EditTags if app.focus != Pane::Feeds => edit_article_tags(app),
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
        Action::EditRequestOptions => match app.selected_feed() {
            Some(f) => {
                // The options as the command line writes them, to edit in place. What the
                // terminal must not be sent (a tab in a header value) is left out: the
                // checks refuse every other control character, so this drops nothing else.
                let text = request_options::to_line(&f.options)
                    .chars()
                    .filter(|&c| !crate::sanitize::is_forbidden(c))
                    .collect();
                app.prompt = Some(Prompt { kind: PromptKind::RequestOptions(f.id), text });
                Vec::new()
            }
            None => {
                app.say(NOT_A_FEED);
                Vec::new()
            }
        },
        Action::MoveFeed(by) => match app.selected_feed().map(|f| f.id) {
            // The reload keeps the selection on the feed, wherever it lands.
            Some(feed) => vec![Effect::MoveFeed { feed, by }],
            None => {
                app.say(NOT_A_FEED);
                Vec::new()
            }
        },
        Action::ArticleTagged { article, tags } => {
            app.say(if tags.is_empty() {
                "the article has no tags now".to_owned()
            } else {
                format!("the article's tags: {}", tags.join(", "))
            });
            if let Some(r) = app.articles.rows.get_mut(&article) {
                r.tags = tags.clone();
            }
            if let Some(open) = app.article.open.as_mut().filter(|o| o.row.id == article) {
                open.row.tags = tags;
            }
            // A query feed may count by tag (`tag:later`).
            reload_queries(app)
        }
        Action::FeedChanged(message) => {
            app.say(crate::sanitize::line(&message));
            reload_feeds(app)
        }
        Action::OpenLink(n) => {
            let Some(open) =
                app.article.open.as_ref().filter(|_| app.focus == Pane::Article || app.is_wide())
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
            app.overlay.shown = Some(Overlay::Health { feed, title, records: None, scroll: 0 });
            vec![Effect::LoadHealth(feed)]
        }
        Action::Help => {
            app.overlay.shown = Some(Overlay::Help { scroll: 0 });
            Vec::new()
        }
        Action::RefreshFeed => {
            let feed = match app.focus {
                Pane::Feeds => app.selected_feed().map(|f| f.id),
                _ => app.articles.source.and_then(Source::feed).or(app.selected_feed().map(|f| f.id)),
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
            if app.feeds.rows.is_empty() {
                app.say("no feeds to refresh");
                return Vec::new();
            }
            let total = app.feeds.rows.len();
            start_refresh(app, None, total)
        }
        Action::AutoSync => {
            // Quietly skipped while a refresh (which syncs too) or a sync runs.
            if app.background.refresh.is_some() || app.background.syncing {
                return Vec::new();
            }
            app.background.syncing = true;
            vec![Effect::Sync]
        }
        Action::SyncFinished(summary) => {
            app.background.syncing = false;
            let Some(summary) = summary else { return Vec::new() };
            say_sync_ended(app, &summary);
            reload_feeds(app)
        }
        Action::SyncStep(step) => {
            // A refresh's own line (feeds done of total) says more while one runs.
            if app.background.refresh.is_none() {
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
            if app.background.refresh.is_some() || app.feeds.rows.is_empty() {
                return Vec::new();
            }
            let total = app.feeds.rows.len();
            start_refresh(app, None, total)
        }
        Action::FeedRefreshed { feed, outcome } => {
            if let Some(p) = &mut app.background.refresh {
                p.done += 1;
                p.total = p.total.max(p.done);
                if matches!(outcome, FeedOutcome::Failed(_)) {
                    p.failed += 1;
                }
                let line = p.line();
                app.say(line);
            }
            // The `!` marker follows at once; counts come with the reload.
            if let Some(row) = app.feeds.rows.iter_mut().find(|f| f.id == feed) {
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
                    if app.articles.wanted == Some(Source::Feed(feed)) {
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
            let p = app.background.refresh.get_or_insert(RefreshProgress { done: 0, total, failed: 0 });
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
            if app.background.refresh.take().is_some() {
                app.say("the refresh in progress ended with the tidings that ran it; R starts another");
            }
            let mut effects = reload_feeds(app);
            if let Some(source) = app.articles.wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::StoreChanged => {
            let mut effects = reload_feeds(app);
            // ArticlesLoaded keeps the selection and the open article where they are.
            if let Some(source) = app.articles.wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::RefreshFinished(summary) => {
            app.background.refresh = None;
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
            if let Some(source @ Source::Query { .. }) = app.articles.wanted {
                effects.push(Effect::ReloadArticles(source));
            }
            effects
        }
        Action::FeedsLoaded { feeds, unread_total } => {
            // The selection is kept by feed id (a heading by its tag): the reload may reorder.
            let selected = match app.feeds.select_when_listed.take() {
                Some(id) => Some(FeedKey::Feed { id, group: None }),
                None => app.selected_feed_key(),
            };
            app.feeds.rows = feeds;
            app.feeds.loaded = true;
            app.status.unread_total = unread_total;
            app.refilter_feeds_keeping(selected);
            if app.feeds.rows.is_empty() {
                app.articles.jump = None;
                app.articles.entries.clear();
                app.articles.rows.clear();
                app.articles.rows_loading.clear();
                app.articles.view.clear();
                app.articles.source = None;
                app.articles.wanted = None;
            }
            let mut effects = Vec::new();
            app.feeds.reloading = false;
            if std::mem::take(&mut app.feeds.stale) {
                effects.extend(reload_feeds(app));
            }
            if app.background.refresh_on_load {
                app.background.refresh_on_load = false;
                if !app.feeds.rows.is_empty() {
                    let total = app.feeds.rows.len();
                    effects = start_refresh(app, None, total);
                }
            }
            if !app.articles.wanted.is_some_and(Source::chosen_apart_from_feeds) {
                effects.extend(want_articles(app));
            }
            if app.feeds.rows.is_empty() {
                effects.extend(count_queries_at_start(app));
            }
            effects
        }
        Action::QueryFeedNamesLoaded(rows) => {
            // Counted already (a reload overtook it): the counts stay.
            if app.feeds.queries_loaded {
                return Vec::new();
            }
            if rows.is_empty() {
                return update(app, Action::QueryFeedsLoaded(rows));
            }
            let selected = if app.feeds.loaded { app.selected_feed_key() } else { None };
            app.feeds.queries = rows;
            app.refilter_feeds_keeping(selected);
            vec![Effect::LoadQueryFeedsAtStart(app.feeds.config_queries.clone())]
        }
        Action::QueryFeedsLoaded(rows) => {
            // Before the feeds, the first query feed is the first row; after them the selection
            // stays on its feed (the rows move down, it does not move under the user).
            let first = !app.feeds.queries_loaded && !app.feeds.loaded;
            app.feeds.queries_loaded = true;
            let selected = if first { None } else { app.selected_feed_key() };
            app.feeds.queries = rows;
            app.refilter_feeds_keeping(selected);
            app.feeds.queries_loading = false;
            let mut effects = Vec::new();
            if std::mem::take(&mut app.feeds.queries_stale) {
                effects.extend(reload_queries(app));
            }
            if !app.articles.wanted.is_some_and(Source::chosen_apart_from_feeds) {
                effects.extend(want_articles(app));
            }
            effects
        }
        Action::Searched { source, found, shown, rebuilt } => {
            if app.articles.wanted == Some(source) {
                let Source::Search { text } = source else { return Vec::new() };
                let text = crate::sanitize::line(text);
                let found_text = match found {
                    0 => format!("no article has every word of {text}"),
                    n if n > shown => format!("{n} articles match {text}; the best {shown} are listed"),
                    1 => format!("1 article matches {text}"),
                    n => format!("{n} articles match {text}"),
                };
                let how = if found == 0 { "" } else { " (O orders them, Esc goes back)" };
                let built = if rebuilt { "search index built; " } else { "" };
                app.say(format!("{built}{found_text}{how}"));
            }
            Vec::new()
        }
        Action::ArticlesLoaded { source, mut entries, mut rows } => {
            if app.articles.wanted != Some(source) {
                return Vec::new();
            }
            // A reload of the shown list keeps the same article selected (by id: new articles
            // may have arrived above it); if it is gone, the same position.
            let reload = app.articles.source == Some(source);
            if reload {
                keep_newer_marks(app, &mut entries, &mut rows);
            }
            let (selected, fallback) =
                if reload { (app.selected_entry().map(|a| a.id), app.articles.sel) } else { (None, 0) };
            let shown = if reload { std::mem::take(&mut app.articles.rows) } else { IdMap::default() };
            app.articles.entries = entries;
            app.articles.rows = rows.into_iter().map(|r| (r.id, r)).collect();
            app.articles.rows_loading.clear();
            // The open article's header follows the fresh row (tags given in another terminal).
            if let Some(open) = app.article.open.as_mut() {
                if let Some(r) = app.articles.rows.get(&open.row.id) {
                    open.row = ArticleRow { read: open.row.read, starred: open.row.starred, ..r.clone() };
                }
            }
            app.articles.source = Some(source);
            app.refilter_articles_keeping(selected, fallback);
            let mut effects = match app.articles.jump.take() {
                Some(jump) => open_jump(app, jump),
                None => Vec::new(),
            };
            app.scroll_lists();
            effects.extend(want_rows(app));
            // A query filter asks again: the list may hold new articles.
            effects.extend(match_query(app));
            effects.extend(count_queries_at_start(app));
            // The rows on screen before a reload stay drawn (no flash of placeholders) until
            // their fresh copies, just asked for, arrive.
            if !shown.is_empty() {
                for e in &app.articles.entries {
                    if let Some(old) = shown.get(&e.id).filter(|_| app.articles.rows_loading.contains(&e.id))
                    {
                        app.articles
                            .rows
                            .insert(e.id, ArticleRow { read: e.read, starred: e.starred, ..old.clone() });
                    }
                }
            }
            effects
        }
        Action::RowsLoaded { source, asked, rows } => {
            // Rows of a list no longer shown are stale.
            if app.articles.source != Some(source) {
                return Vec::new();
            }
            // Those no longer stored are not coming either.
            for id in &asked {
                app.articles.rows_loading.remove(id);
            }
            let mut rows: HashMap<ArticleId, ArticleRow> = rows.into_iter().map(|r| (r.id, r)).collect();
            // The list's flags are the newer ones: a mark may still be on its way to the store.
            for e in &app.articles.entries {
                if let Some(r) = rows.get_mut(&e.id) {
                    r.read = e.read;
                    r.starred = e.starred;
                }
            }
            if let Some(open) = app.article.open.as_mut() {
                if let Some(r) = rows.get(&open.row.id) {
                    open.row = ArticleRow { read: open.row.read, starred: open.row.starred, ..r.clone() };
                }
            }
            for id in rows.keys() {
                app.articles.rows_loading.remove(id);
            }
            app.articles.rows.extend(rows);
            if app.needs_every_row() {
                app.refilter_articles();
            }
            Vec::new()
        }
        Action::QueryMatched { source, expr, ids } => {
            // The latest request wins: an answer for an older expression or list is dropped.
            if app.articles.source != Some(source)
                || app.articles.filter.strip_prefix('?') != Some(expr.as_str())
            {
                return Vec::new();
            }
            app.articles.query_matches = Some(ids.into_iter().collect());
            app.refilter_articles();
            app.scroll_lists();
            want_rows(app)
        }
        Action::BodyRendered { article, width, lines, links, link_cells } => {
            if let Some(open) = &mut app.article.open {
                // The latest request wins: a body for another article or width is stale.
                if open.row.id == article && open.width == width {
                    if app.article.hyperlinks {
                        open.hyperlinks =
                            links.iter().map(|l| Osc8Uri::for_link(l, &app.article.open_schemes)).collect();
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
            if let Some(Overlay::Health { feed: shown, records: r, .. }) = &mut app.overlay.shown {
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
                app.feeds.select_when_listed = feed;
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

/// What the feed keys (`D`, `E`, `#`) say on a heading or a query feed.
const NOT_A_FEED: &str = "select a feed first (not a heading or a query feed)";

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn capital_q_quits_from_any_pane() {
        for pane in [Pane::Feeds, Pane::Articles, Pane::Article] {
            let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('Q'));
            let action = crate::ui::keymap::Keymap::default().action_for(key).expect("Q is bound");
            let mut app = App::sample(80, 24);
            app.focus = pane;
            assert_eq!(update(&mut app, action), vec![Effect::Quit]);
            assert!(app.quit);
        }
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
        app.articles.wanted = Some(Source::Feed(FeedId(2)));
        let _ = keys(&mut app, &" ".repeat(10));
        assert_eq!(app.queued.len(), 10);
        let rows = rows_of(2, &(0..300).map(|i| (1000 + i, false)).collect::<Vec<_>>());
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows));
        let page = layout::list_page(80, 24, Pane::Articles, app.split);
        assert_eq!(app.articles.sel, 10 * page);
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
        assert!(app.articles.entries.iter().all(|e| e.read));
    }

    #[test]
    fn q_goes_back_one_pane_at_a_time_and_quits_from_the_feeds_pane() {
        let mut app = two_unread_feeds();
        // n opens the first unread article; each q goes back a pane, as newsboat's does.
        let _ = keys(&mut app, "n");
        assert_eq!(app.focus, Pane::Article);
        for (pane, after) in [(Pane::Articles, "the article"), (Pane::Feeds, "the list")] {
            let effects = keys(&mut app, "q");
            assert!(!effects.contains(&Effect::Quit) && !app.quit, "q in {after}: {effects:?}");
            assert_eq!(app.focus, pane, "q in {after}");
        }
        // A filter on the feeds clears first, as with Esc; then q quits.
        app.feeds.filter = "feed".to_owned();
        let _ = keys(&mut app, "q");
        assert!(!app.quit && app.feeds.filter.is_empty());
        assert_eq!(keys(&mut app, "q"), vec![Effect::Quit]);
        assert!(app.quit);
        // Q quits from any pane.
        let mut app = two_unread_feeds();
        let _ = keys(&mut app, "n");
        assert_eq!(keys(&mut app, "Q"), vec![Effect::Quit]);
    }

    #[test]
    fn q_after_an_n_into_the_next_feed_quits_once_that_article_is_open_and_marked() {
        let mut app = two_unread_feeds();
        // The third n goes to feed 2, whose list is still on its way when Q comes.
        let effects = keys(&mut app, "nnnQ");
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
        app.articles.wanted = Some(Source::Feed(FeedId(2)));
        let _ = keys(&mut app, "/a");
        assert_eq!(app.prompt, None, "waiting");
        let _ = update(&mut app, loaded(Source::Feed(FeedId(2)), rows_of(2, &[(20, false)])));
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("a"), "a is text, not add feed");
        // Ctrl-c does not wait behind anything.
        app.articles.wanted = Some(Source::Feed(FeedId(1)));
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

//! What the tests of `update` share: sample apps, lists, and ways to type keys.

use super::*;
pub(super) use crate::model::{ArticleId, FeedId};
pub(super) use crate::refresh::FeedOutcome;
pub(super) use crate::ui::app::{FeedRow, Source, TagGroup};

/// `paragraphs` paragraphs of `per` lines each, separated by blank lines.
pub(super) fn paragraphs(paragraphs: usize, per: usize) -> Vec<ratatui::text::Line<'static>> {
    let mut lines = Vec::new();
    for p in 0..paragraphs {
        if p > 0 {
            lines.push(ratatui::text::Line::default());
        }
        lines.extend((0..per).map(|l| ratatui::text::Line::from(format!("paragraph {p} line {l}"))));
    }
    lines
}

pub(super) fn updated(new: u64) -> FeedOutcome {
    FeedOutcome::Updated(crate::store::ApplyStats { new, updated: 0, dropped: 0, total: 3 + new })
}

/// Two feeds with unread articles: feed 1 (articles 10, 11 unread, 12 read) and feed 2.
pub(super) fn two_unread_feeds() -> App {
    let mut app = App::sample(80, 24);
    app.feeds.rows[1].unread = 2;
    app.feeds.rows[1].total = 2;
    app.refilter_feeds();
    app
}

pub(super) fn rows_of(feed: u64, ids: &[(u64, bool)]) -> Vec<ArticleRow> {
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
            tags: Vec::new(),
        })
        .collect()
}

/// `ArticlesLoaded` of a list with every row read.
pub(super) fn loaded(source: Source, rows: Vec<ArticleRow>) -> Action {
    Action::ArticlesLoaded { source, entries: rows.iter().map(ArticleRow::entry).collect(), rows }
}

/// The list's rows, in order.
pub(super) fn list_rows(app: &App) -> Vec<ArticleRow> {
    app.articles.entries.iter().filter_map(|e| app.articles.rows.get(&e.id).cloned()).collect()
}

pub(super) fn open_id(app: &App) -> Option<ArticleId> {
    app.article.open.as_ref().map(|o| o.row.id)
}

/// The feeds pane's rows: `-tag` / `+tag` for open / folded headings, feed ids as numbers.
pub(super) fn feed_rows(app: &App) -> Vec<String> {
    app.feeds
        .view
        .iter()
        .map(|line| match line {
            FeedLine::Query(i) => format!("?{}", app.feeds.queries[*i].name),
            FeedLine::Feed(i) => app.feeds.rows[*i].id.0.to_string(),
            FeedLine::Heading(h) => format!("{}{}", if h.folded { "+" } else { "-" }, h.group.label()),
        })
        .collect()
}

/// Feed 2 as a list of `n` articles (ids 1000 + position; `read` says which are read)
/// whose first `loaded` rows came with it, as `LoadArticles` answers; the effects it asked.
pub(super) fn long_list(
    n: u64,
    loaded: usize,
    read: impl Fn(u64) -> bool,
) -> (App, Vec<ArticleRow>, Vec<Effect>) {
    let mut app = App::sample(80, 24);
    app.focus = Pane::Articles;
    app.articles.wanted = Some(Source::Feed(FeedId(2)));
    let rows = rows_of(2, &(0..n).map(|i| (1000 + i, read(i))).collect::<Vec<_>>());
    let entries = rows.iter().map(ArticleRow::entry).collect();
    let first = rows[..loaded].to_vec();
    let effects =
        update(&mut app, Action::ArticlesLoaded { source: Source::Feed(FeedId(2)), entries, rows: first });
    (app, rows, effects)
}

pub(super) fn load_rows_ids(effects: &[Effect]) -> Vec<ArticleId> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::LoadRows { ids, .. } => ids.clone(),
            _ => Vec::new(),
        })
        .collect()
}

pub(super) fn selected_row(app: &App) -> String {
    feed_rows(app).get(app.feeds.sel).cloned().unwrap_or_default()
}

/// The heading the selected row is under.
pub(super) fn selected_group(app: &App) -> Option<String> {
    match app.selected_feed_key()? {
        FeedKey::Heading(g) | FeedKey::Feed { group: Some(g), .. } => Some(g.label().to_owned()),
        FeedKey::Feed { group: None, .. } | FeedKey::Query(_) => None,
    }
}

pub(super) fn query_row(name: &str, query: &str, unread: u64) -> crate::ui::app::QueryRow {
    crate::ui::app::QueryRow {
        name: name.into(),
        query: query.into(),
        unread: Some(unread),
        total: Some(unread + 1),
        error: None,
    }
}

pub(super) fn grouped_sample() -> App {
    let mut app = App::sample(80, 24);
    let _ = update(&mut app, Action::ToggleGroups);
    app
}

pub(super) fn keys(app: &mut App, typed: &str) -> Vec<Effect> {
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

//! The one-line prompt: filters as typed (`/`, `/?EXPR`), adding, renaming, retagging and
//! removing feeds, an article's own tags, a feed's request options, and link numbers
//! past 9.

use super::*;

/// A key typed into the open prompt.
pub(super) fn input(app: &mut App, key: InputKey) -> Vec<Effect> {
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
                        options: None,
                    }]
                }
                PromptKind::Tags(feed) => {
                    let old = app
                        .feeds
                        .rows
                        .iter()
                        .find(|f| f.id == feed)
                        .map(|f| f.tags.clone())
                        .unwrap_or_default();
                    let new = tag_list(&text);
                    let remove_tags = old.iter().filter(|t| !new.contains(t)).cloned().collect();
                    let add_tags = new.into_iter().filter(|t| !old.contains(t)).collect();
                    vec![Effect::EditFeed { feed, title: None, add_tags, remove_tags, options: None }]
                }
                PromptKind::ArticleTags(article) => {
                    let tags = tag_list(&text);
                    if let Some(problem) =
                        tags.iter().find_map(|t| crate::query::filters::hand_tag_problem(t))
                    {
                        // The prompt stays, as typed, to be put right.
                        app.say_error(&problem);
                        app.prompt = Some(Prompt { kind, text });
                        return Vec::new();
                    }
                    vec![Effect::SetArticleTags { article, tags }]
                }
                // The line is the feed's whole options, checked as the command line checks
                // them (no network, no disk: fit for here). A refused line stays in the
                // prompt, the error above it, to be fixed.
                PromptKind::RequestOptions(feed) => match request_options::parse_line(&text) {
                    Ok(options) => {
                        vec![Effect::EditFeed {
                            feed,
                            title: None,
                            add_tags: Vec::new(),
                            remove_tags: Vec::new(),
                            options: Some(Box::new(options)),
                        }]
                    }
                    Err(e) => {
                        app.say_error(&e.to_string());
                        app.prompt = Some(Prompt { kind, text });
                        Vec::new()
                    }
                },
                PromptKind::Search => search(app, text),
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

/// The tags typed into a `#` prompt: separated by spaces or commas, each once, cleaned.
fn tag_list(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split([' ', ',']).map(crate::sanitize::line).filter(|t| !t.is_empty()) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// `#` on the articles pane or in the article view: a prompt holding the current article's
/// own tags.
pub(super) fn edit_article_tags(app: &mut App) -> Vec<Effect> {
    let Some(id) = current_entry(app).map(|e| e.id) else {
        app.say("select an article first (# in the feeds pane sets a feed's tags)");
        return Vec::new();
    };
    // A row still on its way has no tags yet: Enter on an empty prompt would drop them all.
    let row = current_row(app).filter(|_| !app.articles.rows_loading.contains(&id));
    let Some(tags) = row.map(|r| r.tags.join(" ")) else {
        app.say("the article is still loading; press # again in a moment");
        return Vec::new();
    };
    app.prompt = Some(Prompt { kind: PromptKind::ArticleTags(id), text: tags });
    Vec::new()
}

/// `Ctrl-/` then Enter: the articles pane lists what the search finds (the store's index
/// answers; `ArticlesLoaded` brings the results with their rows).
fn search(app: &mut App, text: String) -> Vec<Effect> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if crate::search::tokenize::tokens(text).is_empty() {
        app.say_error(&format!(
            "nothing to search for in \"{}\": give a word with letters or digits",
            crate::sanitize::line(text)
        ));
        return Vec::new();
    }
    app.articles.last_search = text.to_owned();
    let source = Source::search(text);
    app.focus = Pane::Articles;
    app.say(format!("searching for {}…", crate::sanitize::line(text)));
    // The same search again (to see what a refresh brought) is asked again.
    app.articles.wanted = Some(source);
    vec![Effect::LoadArticles(source)]
}

pub(super) fn set_filter(app: &mut App, pane: Pane, text: String) -> Vec<Effect> {
    // "filter ...: Esc clears it" is no longer true once it is cleared.
    if text.is_empty() && app.status.message.starts_with("filter \"") {
        app.status.message.clear();
    }
    if pane == Pane::Feeds {
        app.feeds.filter = text;
        app.refilter_feeds();
        // The selection may have moved to another feed: the articles pane follows it.
        want_articles(app)
    } else {
        // A filter being typed needs every row; `update` asks for them (`want_rows`).
        app.articles.filter = text;
        if !app.articles.filter.starts_with('?') {
            app.articles.query_matches = None;
        }
        app.refilter_articles();
        match_query(app)
    }
}

/// `/?EXPR`: the query language (README.md, "Query language"). The expression is checked
/// here, its error shown in the status line as typed; the store answers which articles of
/// the list match (`QueryMatched`), and the list shows the last answer until the next lands.
pub(super) fn match_query(app: &mut App) -> Vec<Effect> {
    let Some(expr) = app.articles.filter.strip_prefix('?').map(str::to_owned) else { return Vec::new() };
    let Some(source) = app.articles.source else { return Vec::new() };
    if expr.trim().is_empty() {
        return Vec::new();
    }
    match crate::query::Query::parse(&expr) {
        Err(e) => {
            app.say_error(&e.line());
            Vec::new()
        }
        Ok(_) => {
            if app.status.message.starts_with("error at column ") {
                app.status.message.clear();
            }
            let ids = app.articles.entries.iter().map(|e| e.id).collect();
            vec![Effect::MatchQuery { source, expr, ids }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

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
            options: None,
        };
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![edit(Some(Some("Mine".into())), &[], &[])]
        );
        let _ = update(&mut app, Action::RenameFeed);
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        assert_eq!(update(&mut app, Action::Input(InputKey::Submit)), vec![edit(Some(None), &[], &[])]);
        // #: the tags, prefilled; what is typed replaces them.
        app.feeds.rows[app.feeds.sel].tags = vec!["news".into(), "old".into()];
        let _ = update(&mut app, Action::EditTags);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("news old"));
        let _ = update(&mut app, Action::Input(InputKey::DeleteWord));
        for c in "tech, news".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(update(&mut app, Action::Input(InputKey::Submit)), vec![edit(None, &["tech"], &["old"])]);
        assert!(update(&mut app, Action::FeedChanged("renamed".into())).contains(&Effect::LoadFeeds));
    }

    fn typed(app: &mut App, text: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        for c in text.chars() {
            effects = update(app, Action::Input(InputKey::Char(c)));
        }
        effects
    }

    #[test]
    fn e_edits_the_request_options_as_flags_and_the_line_replaces_them() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Feeds;
        let feed = app.selected_feed().map(|f| f.id).unwrap();
        app.feeds.rows[app.feeds.sel].options = crate::store::FeedOptions {
            user_agent: Some("Mozilla/5.0 (X11)".into()),
            referer: None,
            headers: vec![("Authorization".into(), "Bearer T".into())],
            proxy: Some("none".into()),
        };
        // Prefilled with the options as the command line writes them.
        assert!(update(&mut app, Action::EditRequestOptions).is_empty());
        assert_eq!(
            app.prompt,
            Some(Prompt {
                kind: PromptKind::RequestOptions(feed),
                text: r#"--user-agent "Mozilla/5.0 (X11)" --header "Authorization: Bearer T" --proxy none"#
                    .into()
            })
        );
        // What the line holds is the whole state: the header and the proxy go.
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        let _ = typed(&mut app, r#"--user-agent "tidings-test/1" --referer https://example.org/"#);
        let options = crate::store::FeedOptions {
            user_agent: Some("tidings-test/1".into()),
            referer: Some("https://example.org/".into()),
            ..Default::default()
        };
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::EditFeed {
                feed,
                title: None,
                add_tags: vec![],
                remove_tags: vec![],
                options: Some(Box::new(options))
            }]
        );
        assert_eq!(app.prompt, None);
        // An empty line: no options at all.
        let _ = update(&mut app, Action::EditRequestOptions);
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        assert!(matches!(
            update(&mut app, Action::Input(InputKey::Submit)).as_slice(),
            [Effect::EditFeed { options: Some(o), title: None, .. }] if **o == crate::store::FeedOptions::default()
        ));
    }

    #[test]
    fn a_refused_options_line_stays_open_with_the_error_and_changes_nothing() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Feeds;
        let feed = app.selected_feed().map(|f| f.id).unwrap();
        let _ = update(&mut app, Action::EditRequestOptions);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some(""), "no options: empty");
        for (line, error) in [
            ("--header nocolon", "--header needs a name, a colon and a value"),
            ("--header 'Host: x'", "--header: Host cannot be set; tidings sends it itself"),
            ("--user-agnet x", "--user-agnet is not a request option; the known ones: --user-agent UA"),
            ("--user-agent \"open", "the \" at column 14 is never closed"),
        ] {
            let _ = update(&mut app, Action::Input(InputKey::Clear));
            assert!(typed(&mut app, line).is_empty());
            assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty(), "{line}: nothing written");
            assert_eq!(
                app.prompt,
                Some(Prompt { kind: PromptKind::RequestOptions(feed), text: line.into() }),
                "kept to be fixed"
            );
            assert!(app.status.message.starts_with(error), "{line}: {}", app.status.message);
            assert!(app.status.is_error);
        }
        // Fixed, it goes through; Esc instead would have changed nothing.
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        let _ = typed(&mut app, "--header 'X-A: 1'");
        assert!(matches!(
            update(&mut app, Action::Input(InputKey::Submit)).as_slice(),
            [Effect::EditFeed { options: Some(o), .. }] if o.headers == [("X-A".to_owned(), "1".to_owned())]
        ));
        let _ = update(&mut app, Action::EditRequestOptions);
        assert!(update(&mut app, Action::Input(InputKey::Cancel)).is_empty());
        assert_eq!(app.prompt, None);
    }

    #[test]
    fn hash_on_an_article_sets_its_own_tags_and_the_answer_updates_row_and_header() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let id = app.selected_entry().map(|e| e.id).unwrap();
        app.articles.rows.get_mut(&id).unwrap().tags = vec!["later".into(), "rust".into()];
        let _ = update(&mut app, Action::EditTags);
        let prompt = app.prompt.clone().unwrap();
        assert_eq!((prompt.kind, prompt.text.as_str()), (PromptKind::ArticleTags(id), "later rust"));
        assert_eq!(prompt.kind.label(), "article tags: ");
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        for c in "rust, go  go,,\u{1b}x".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        // Exactly the typed set, each once (the escape never made it into the prompt).
        let tags = |v: &[&str]| v.iter().map(|t| (*t).to_owned()).collect::<Vec<String>>();
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::SetArticleTags { article: id, tags: tags(&["rust", "go", "x"]) }]
        );
        // A tag `tag:NAME` could not find: refused, the prompt kept as typed to be put right.
        let _ = update(&mut app, Action::EditTags);
        for c in " to:do".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty());
        assert!(app.status.message.contains("\"to:do\" cannot be a tag"), "{}", app.status.message);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("later rust to:do"));
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        // The answer: the row, the open article's header and the query feeds' counts follow.
        let _ = update(&mut app, Action::Open);
        assert_eq!(app.focus, Pane::Article);
        let effects =
            update(&mut app, Action::ArticleTagged { article: id, tags: tags(&["go", "rust", "x"]) });
        assert!(effects.iter().any(|e| matches!(e, Effect::LoadQueryFeeds(_))), "{effects:?}");
        assert_eq!(app.articles.rows[&id].tags, ["go", "rust", "x"]);
        let header = app.article.open.as_ref().unwrap().header("%Y");
        assert!(header.contains(&("Tags:   ", "go, rust, x".to_owned())), "{header:?}");
        assert!(app.status.message.contains("the article's tags: go, rust, x"), "{}", app.status.message);
        // In the article view `#` is the open article's; with no tags left, no Tags line.
        let _ = update(&mut app, Action::EditTags);
        assert_eq!(app.prompt.as_ref().map(|p| p.kind), Some(PromptKind::ArticleTags(id)));
        let _ = update(&mut app, Action::Input(InputKey::Clear));
        assert_eq!(
            update(&mut app, Action::Input(InputKey::Submit)),
            vec![Effect::SetArticleTags { article: id, tags: vec![] }]
        );
        let _ = update(&mut app, Action::ArticleTagged { article: id, tags: vec![] });
        let header = app.article.open.as_ref().unwrap().header("%Y");
        assert!(!header.iter().any(|(label, _)| *label == "Tags:   "), "{header:?}");
        // The feeds pane keeps `#` for the feed's tags.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::EditTags);
        assert!(matches!(app.prompt.as_ref().map(|p| p.kind), Some(PromptKind::Tags(_))));
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
        assert_eq!(app.articles.view.len(), 3);
        let _ = update(&mut app, Action::Input(InputKey::Char('1')));
        let _ = update(&mut app, Action::Input(InputKey::Submit));
        assert_eq!(app.prompt, None);
        assert_eq!(app.articles.filter, "NUMBER 1");
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![11]);
        // Keys are commands again; Esc clears the filter before it goes back.
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.articles.filter, "");
        assert_eq!(app.focus, Pane::Articles);
        assert_eq!(app.articles.view.len(), 3);
        // In the feeds pane it filters feeds; Esc in the prompt cancels.
        app.focus = Pane::Feeds;
        let _ = update(&mut app, Action::Filter);
        for c in "机器".chars() {
            let _ = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        assert_eq!(app.visible_feeds().map(|f| f.id.0).collect::<Vec<_>>(), vec![2]);
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        assert_eq!((app.prompt.clone(), app.feeds.view.len()), (None, 2));
    }

    #[test]
    fn a_filter_starting_with_a_question_mark_asks_the_store_and_shows_its_answer() {
        let mut app = App::sample(80, 24);
        app.focus = Pane::Articles;
        let source = app.articles.source.expect("the sample shows a list");
        let _ = update(&mut app, Action::Filter);
        let mut effects = Vec::new();
        for c in "?unread and title:".chars() {
            effects = update(&mut app, Action::Input(InputKey::Char(c)));
        }
        // Not a query yet: the error in the status line, with its column; nothing asked.
        assert!(effects.is_empty(), "{effects:?}");
        assert_eq!(app.status.message, "error at column 18: expected a value after \"title:\"");
        assert_eq!(app.articles.view.len(), 3, "until an answer, every article shows");
        let effects = update(&mut app, Action::Input(InputKey::Char('x')));
        let all: Vec<ArticleId> = app.articles.entries.iter().map(|e| e.id).collect();
        assert_eq!(effects, vec![Effect::MatchQuery { source, expr: "unread and title:x".into(), ids: all }]);
        assert!(app.status.message.is_empty(), "the error went once the expression parsed");
        // A stale answer (an older expression) is dropped; the current one filters.
        let _ = update(
            &mut app,
            Action::QueryMatched { source, expr: "unread".into(), ids: vec![ArticleId(10)] },
        );
        assert_eq!(app.articles.view.len(), 3);
        let _ = update(
            &mut app,
            Action::QueryMatched { source, expr: "unread and title:x".into(), ids: vec![ArticleId(11)] },
        );
        assert_eq!(app.visible_entries().map(|a| a.id.0).collect::<Vec<_>>(), vec![11]);
        // Esc clears it, and a plain filter is a plain filter again.
        let _ = update(&mut app, Action::Input(InputKey::Cancel));
        assert_eq!((app.articles.filter.as_str(), app.articles.view.len()), ("", 3));
        assert_eq!(app.articles.query_matches, None);
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
        assert_eq!(app.status.message, "added X[2J");
        let mut feeds = app.feeds.rows.clone();
        feeds.push(FeedRow {
            id: FeedId(7),
            title: "X".into(),
            unread: 3,
            total: 3,
            failing: false,
            synced: false,
            tags: vec![],
            options: Default::default(),
        });
        let effects = update(&mut app, Action::FeedsLoaded { feeds, unread_total: 5 });
        assert_eq!(app.selected_feed().map(|f| f.id), Some(FeedId(7)));
        assert_eq!(effects, vec![Effect::LoadArticles(Source::Feed(FeedId(7)))]);
        // An empty URL adds nothing.
        let _ = update(&mut app, Action::AddFeed);
        assert!(update(&mut app, Action::Input(InputKey::Submit)).is_empty());
    }

    #[test]
    fn welcome_enter_adds_the_samples() {
        let mut app = App::new(80, 24);
        let _ = update(&mut app, Action::FeedsLoaded { feeds: vec![], unread_total: 0 });
        assert_eq!(update(&mut app, Action::Open), vec![Effect::AddSamples]);
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
        assert!(app.articles.view.is_empty(), "a2999 is not read yet");
        let _ = update(
            &mut app,
            Action::RowsLoaded { source: Source::Feed(FeedId(2)), asked: vec![], rows: rows[200..].to_vec() },
        );
        assert_eq!(app.visible_entries().map(|e| e.id).collect::<Vec<_>>(), vec![ArticleId(2999)]);
        // Esc clears the filter, and the rows far from the screen go.
        let _ = update(&mut app, Action::Input(InputKey::Submit));
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.articles.view.len(), 3000);
        assert!(app.articles.rows.len() <= crate::ui::app::ROW_CACHE, "{}", app.articles.rows.len());
        assert!(app.selected_article().is_some());
    }
}

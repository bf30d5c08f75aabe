//! The command line: clap definitions and the non-interactive subcommands.
//!
//! Contract: every string that came from a feed is cleaned (`sanitize::line`) before it is
//! printed; plain output is for people, `--json` output is for scripts; a per-feed failure
//! is reported, never fatal (exit code 0 when a run completed).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::{Config, Paths};
use crate::engine::{Engine, EngineOptions, FeedEdit, RefreshRequest, Subscribe};
use crate::model::ArticleId;
use crate::refresh::FeedOutcome;
use crate::sanitize;
use crate::store::{Article, ArticleQuery, FeedOptions, FetchRecord, Mark, NewFeed};
use crate::subscriptions::request_options::{self, options_line};
use crate::subscriptions::{self, Subscription};
use crate::words::plural;

#[derive(Debug, Parser)]
#[command(name = "tidings", version, about = "A fast, safe terminal feed reader (RSS, Atom, JSON Feed)")]
pub struct Cli {
    /// Config file [default: $XDG_CONFIG_HOME/tidings/config.toml]
    #[arg(long, global = true, env = "TIDINGS_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Where the database lives [default: $XDG_DATA_HOME/tidings]
    #[arg(long, global = true, env = "TIDINGS_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Print only errors (and what a command is asked to list): for cron
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Subscribe to a feed (a web page URL finds the page's feeds)
    Add(AddArgs),
    /// Change a feed's title, tags or request options (User-Agent, Referer, headers, proxy)
    Set(SetArgs),
    /// Unsubscribe from a feed and delete its articles
    Remove {
        /// The feed's id (see `tidings feeds`) or URL
        feed: String,
    },
    /// List subscriptions, one line a feed: id, title, tags, unread/total, last fetch result
    Feeds {
        /// Print a JSON array for scripts
        #[arg(long)]
        json: bool,
        /// Also print each feed's URL and request options
        #[arg(long, short)]
        verbose: bool,
    },
    /// Import subscriptions from OPML or a newsboat `urls` file
    Import {
        /// The OPML or urls file
        #[arg(required_unless_present = "newsboat", conflicts_with = "newsboat")]
        file: Option<PathBuf>,
        /// A newsboat directory (~/.newsboat, or ~/.config/newsboat): its urls file, and the
        /// read and flagged articles of its cache.db (flagged ones are starred here). Only
        /// articles tidings has fetched can take their state: refresh, then import again
        #[arg(long, value_name = "DIR")]
        newsboat: Option<PathBuf>,
    },
    /// Export subscriptions to standard output
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Opml)]
        format: ExportFormat,
    },
    /// Fetch all feeds, or the ones named
    Refresh {
        /// Feed ids or URLs (default: all feeds)
        feeds: Vec<String>,
    },
    /// List articles, newest first
    Articles(ArticlesArgs),
    /// Find articles by their words (title, author, body, feed title), best match first:
    /// `tidings search 'rust "error handling"'`
    Search(SearchArgs),
    /// Try query expressions against the articles stored now
    Filter {
        #[command(subcommand)]
        command: FilterCommand,
    },
    /// Query feeds: named query expressions, listed like feeds (list, add, remove)
    Query {
        #[command(subcommand)]
        command: query::QueryCommand,
    },
    /// Print the number of unread articles
    Unread,
    /// Mark articles read, unread, starred or unstarred
    Mark(MarkArgs),
    /// Give articles tags of their own (`tidings articles --query tag:NAME` finds them):
    /// `tidings tag 12 later`, `tidings tag 12,15 rust later`
    Tag(TagArgs),
    /// Take tags off articles: `tidings untag 12 later`
    Untag(TagArgs),
    /// Print one article: its header, the feed's summary (when it gave one beside the full
    /// content), links and body as text
    Show {
        /// The article's id (see `tidings articles`)
        id: u64,
        /// Print a JSON object for scripts: the fields of `articles --json`, with "summary"
        /// (text, or null) and "body" (the text `show` prints)
        #[arg(long)]
        json: bool,
    },
    /// Show a feed's last fetches: status, timings, sizes, errors
    Log {
        /// The feed's id or URL
        feed: String,
    },
    /// Verify the database: indexes against records, counters against flags
    Check {
        /// Rebuild a damaged database from what can still be read (the old files are kept in
        /// a `damaged-<time>` directory in the data dir)
        #[arg(long)]
        repair: bool,
    },
    /// Sync subscriptions and read/starred state with a sync server (Fever); with no
    /// subcommand, sync now
    Sync {
        /// Compare every article's read and starred flags with the server's (a plain sync
        /// compares only the feeds whose unread counts differ, and all of them once an hour)
        #[arg(long)]
        full: bool,
        /// Print what the sync did as JSON (requests, bytes, milliseconds included)
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<sync::SyncCommand>,
    },
    /// Print a shell completion script: `tidings completions bash > ~/.local/share/bash-completion/completions/tidings`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `tidings manpage > ~/.local/share/man/man1/tidings.1`
    Manpage,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    Opml,
    Urls,
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The feed's URL, a web page that links to feeds, or a local file
    pub(crate) url: String,
    /// A tag for the feed (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Your title for the feed (instead of the feed's own)
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// Don't fetch the feed now
    #[arg(long)]
    pub(crate) no_fetch: bool,
    #[command(flatten)]
    pub(crate) request: RequestArgs,
}

/// Per-feed request options, as `add` and `set` take them.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// User-Agent to send for this feed (instead of `user_agent` in config.toml)
    #[arg(long, value_name = "UA")]
    pub(crate) user_agent: Option<String>,
    /// Referer to send for this feed (some hosts refuse requests without one)
    #[arg(long, value_name = "URL")]
    pub(crate) referer: Option<String>,
    /// An extra request header for this feed, "Name: value" (repeatable); one with the name
    /// of a header the feed already has replaces it
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// Proxy for this feed: http://, https://, socks5:// or socks5h://HOST:PORT, or `none` to
    /// fetch this feed without any proxy
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    /// The feed's id (see `tidings feeds`) or URL
    pub(crate) feed: String,
    /// Your title for the feed (instead of the feed's own)
    #[arg(long, conflicts_with = "no_title")]
    pub(crate) title: Option<String>,
    /// Drop your title: show the feed's own again
    #[arg(long)]
    pub(crate) no_title: bool,
    /// Add a tag (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Remove a tag (repeatable)
    #[arg(long = "untag", value_name = "TAG")]
    pub(crate) untags: Vec<String>,
    #[command(flatten)]
    pub(crate) request: RequestArgs,
    /// Send the default User-Agent (config.toml's) again
    #[arg(long, conflicts_with = "user_agent")]
    pub(crate) no_user_agent: bool,
    /// Send no Referer
    #[arg(long, conflicts_with = "referer")]
    pub(crate) no_referer: bool,
    /// Remove all of the feed's extra headers (with --header: replace them)
    #[arg(long)]
    pub(crate) no_headers: bool,
    /// Forget the feed's proxy: config.toml's proxy (or the environment's) applies again
    #[arg(long, conflicts_with = "proxy")]
    pub(crate) no_proxy: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ArticlesArgs {
    /// Only unread articles
    #[arg(long)]
    pub(crate) unread: bool,
    /// Only starred articles
    #[arg(long)]
    pub(crate) starred: bool,
    /// Only this feed (id or URL)
    #[arg(long)]
    pub(crate) feed: Option<String>,
    /// At most N articles (default: 50 in plain output, all with --json); 0: no limit
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub(crate) limit: Option<usize>,
    /// Every article (the same as --limit 0)
    #[arg(long)]
    pub(crate) all: bool,
    /// Print a JSON array for scripts
    #[arg(long)]
    pub(crate) json: bool,
    /// Only articles this query expression matches, e.g. 'unread and tag:tech and age<7d'
    /// (the grammar: README.md, "Query language")
    #[arg(long, value_name = "EXPR")]
    pub(crate) query: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Words to find (all of them, in any form: `run` finds "running"), and "quoted phrases"
    /// (their words side by side); case and accents do not matter
    #[arg(required = true, num_args = 1..)]
    pub(crate) text: Vec<String>,
    /// Only this feed (id or URL)
    #[arg(long)]
    pub(crate) feed: Option<String>,
    /// At most N articles (default: 20); 0: no limit
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Print a JSON array for scripts: the objects of `articles --json`, with a "snippet"
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FilterCommand {
    /// List the articles a query expression matches now, changing nothing (the output of
    /// `articles`, and a count on stderr)
    Test {
        /// The expression, e.g. 'feed:12 and not content:sponsored'
        expr: String,
        /// Only this feed (id or URL)
        #[arg(long)]
        feed: Option<String>,
        /// At most N articles (default: all)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Print a JSON array for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MarkWhat {
    Read,
    Unread,
    Star,
    Unstar,
}

#[derive(Debug, Args)]
pub(crate) struct MarkArgs {
    #[arg(value_enum)]
    pub(crate) what: MarkWhat,
    /// Article ids
    pub(crate) ids: Vec<u64>,
    /// Every article (with `read` only, and no ids); with --feed, every article of that feed
    #[arg(long)]
    pub(crate) all: bool,
    /// With --all: only this feed (id or URL)
    #[arg(long, requires = "all")]
    pub(crate) feed: Option<String>,
}

/// The articles and tags of `tag` and `untag`.
#[derive(Debug, Args)]
pub(crate) struct TagArgs {
    /// The article's id (see `tidings articles`), or several separated by commas: 12,15
    #[arg(value_name = "ARTICLE_ID", value_parser = article_ids)]
    pub(crate) ids: ArticleIds,
    /// The tags
    #[arg(value_name = "TAG", required = true)]
    pub(crate) tags: Vec<String>,
}

/// Article ids as one argument, separated by commas (`12,15`).
#[derive(Debug, Clone)]
pub(crate) struct ArticleIds(pub Vec<ArticleId>);

fn article_ids(arg: &str) -> std::result::Result<ArticleIds, String> {
    let ids: std::result::Result<Vec<ArticleId>, String> = arg
        .split(',')
        .map(str::trim)
        .map(|id| {
            id.parse().map(ArticleId).map_err(|_| {
                format!(
                    "{:?} is not an article id: give the numbers `tidings articles` lists (12 or 12,15)",
                    clean(id)
                )
            })
        })
        .collect();
    ids.map(ArticleIds)
}

/// `--quiet`: informational lines are not printed.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A line of a command's output (what it was asked for): printed even with `--quiet`. A
/// closed pipe (`tidings articles | head`) is an error the caller returns, which `main` ends
/// quietly, where `println!` would panic.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

/// An informational line (what a command did): not printed with `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {{
        if !quiet() {
            outln!($($arg)*);
        }
    }};
}

mod query;
mod sync;

/// `tidings search` without --limit shows this many results.
const DEFAULT_SEARCH_RESULTS: usize = 20;

/// `tidings articles` without --limit or --json lists this many.
const DEFAULT_ARTICLES: usize = 50;

/// sled's page cache for `tidings refresh`, in MiB (at most; `[store] cache_mib` if smaller).
const REFRESH_CACHE_MIB: u64 = 2;

/// Runs a subcommand. `None` is the interactive reader.
pub fn run(cli: Cli) -> Result<()> {
    // Neither needs a config or a data dir.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "tidings", &mut std::io::stdout().lock());
            return Ok(());
        }
        Some(Command::Manpage) => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command).render(&mut std::io::stdout().lock())?;
            return Ok(());
        }
        _ => {}
    }
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let paths = Paths::resolve(cli.config.clone(), cli.data_dir.clone())?;
    let config = Config::load(&paths.config_file)?;
    crate::logfile::install_panic_hook(paths.log_file.clone());
    if matches!(cli.command, Some(Command::Unread)) {
        if let Some(unread) = crate::unread_cache::read(&paths.data_dir) {
            outln!("{unread}");
            return Ok(());
        }
    }
    // Held for the whole run: events are written while it lives, and dropping it (when `run`
    // returns, also by unwinding) flushes them.
    let _log = crate::logfile::init(&paths.log_file);
    let mut keymap = None;
    if cli.command.is_none() {
        // Before the store is opened and the screen taken: a bad theme or key binding is a
        // plain message.
        keymap = Some(
            crate::ui::keymap::Keymap::from_config(&config.keys)
                .map_err(|e| anyhow::anyhow!("{}: {e}", paths.config_file.display()))?,
        );
        let themes_dir = paths.config_file.parent().map(|d| d.join("themes"));
        let mut theme = crate::ui::theme::Theme::load(&config.theme, themes_dir.as_deref())?;
        if crate::ui::theme::no_color_requested() {
            theme = theme.without_colour();
        }
        crate::ui::theme::install(theme);
    }
    let mut store_settings = config.store.clone();
    if matches!(cli.command, Some(Command::Refresh { .. })) {
        // A refresh reads each feed's pages once and writes them once: a bigger page cache
        // only adds to its peak memory, not to its speed (measured: 1 MiB and 8 MiB refresh
        // 500 feeds equally fast, 6 MB apart).
        store_settings.cache_mib = store_settings.cache_mib.min(REFRESH_CACHE_MIB);
    }
    if matches!(cli.command, Some(Command::Check { repair: true })) {
        // Before the store is opened, which refuses a damaged database.
        return repair(&paths.data_dir, &store_settings);
    }
    // Fetches, and serving the store to other processes while this one holds it, run here;
    // the commands themselves call the engine from this thread.
    let runtime = runtime()?;
    let options = EngineOptions {
        store: store_settings,
        fetch: config.fetch.clone(),
        wait: wait_for_holder(),
        // The reader holds the store for long: an index to build is built beside it. A
        // command leaves it to the first search.
        build_search_index: cli.command.is_none(),
    };
    let engine = Engine::open(&paths.data_dir, options, runtime.handle().clone())?;
    let result = match cli.command {
        None => crate::ui::run(&engine, &runtime, &config, keymap.unwrap_or_default(), &paths.log_file),
        Some(command) => run_command(&engine, &config, &paths, command),
    };
    // Flags and feeds written by any command are durable when the process exits (a holder
    // elsewhere flushed them before it answered).
    let unread = engine.unread_total();
    let held = engine.close()?;
    // Only a process that held the store knows it is closed now; the cache is stamped with
    // the database as it stays on disk.
    drop(engine);
    drop(runtime);
    if let (true, Ok(unread)) = (held, unread) {
        crate::unread_cache::write(&paths.data_dir, unread);
    }
    result
}

fn run_command(engine: &Engine, config: &Config, paths: &Paths, command: Command) -> Result<()> {
    match command {
        Command::Add(args) => add(engine, args),
        Command::Set(args) => set(engine, args),
        Command::Remove { feed } => {
            let rec = engine.resolve_feed(&feed)?;
            let (_, sync_note) = engine.remove_feed_noting(rec.id)?;
            note!("removed feed {}: {}", rec.id, clean(rec.display_title()));
            if let Some(n) = sync_note {
                eprintln!("note: {}", clean(&n));
            }
            Ok(())
        }
        Command::Feeds { json, verbose } => list_feeds(engine, json, verbose),
        Command::Import { newsboat: Some(dir), .. } => import_newsboat(engine, &dir),
        Command::Import { file: Some(file), .. } => import(engine, &file),
        // clap refuses an import with neither
        Command::Import { .. } => Err(anyhow!("give a file to import, or --newsboat DIR")),
        Command::Export { format } => export(engine, format),
        Command::Refresh { feeds } => refresh_cmd(engine, paths, &feeds),
        Command::Articles(args) => list_articles(engine, args),
        Command::Search(args) => search(engine, args),
        Command::Filter { command: FilterCommand::Test { expr, feed, limit, json } } => {
            let args = ArticlesArgs {
                unread: false,
                starred: false,
                feed,
                limit: Some(limit.unwrap_or(0)),
                all: false,
                json,
                query: Some(expr),
            };
            list_articles_counting(engine, args, true)
        }
        Command::Query { command } => query::run(engine, config, command),
        Command::Unread => {
            outln!("{}", engine.unread_total()?);
            Ok(())
        }
        Command::Mark(args) => mark(engine, args),
        Command::Tag(args) => tag(engine, args, false),
        Command::Untag(args) => tag(engine, args, true),
        Command::Show { id, json } => show(engine, ArticleId(id), json),
        Command::Log { feed } => fetch_log(engine, &feed),
        Command::Check { .. } => check(engine),
        Command::Sync { full, json, command } => sync::run(engine, full, json, command),
        Command::Completions { .. } | Command::Manpage => Ok(()),
    }
}

/// How long to wait for a store held by a process that does not answer:
/// `TIDINGS_WAIT_SECS`, else [`crate::engine::DEFAULT_WAIT`].
fn wait_for_holder() -> std::time::Duration {
    std::env::var("TIDINGS_WAIT_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(crate::engine::DEFAULT_WAIT, std::time::Duration::from_secs_f64)
}

fn clean(s: &str) -> String {
    sanitize::line(s)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

fn add(engine: &Engine, args: AddArgs) -> Result<()> {
    let url = subscriptions::feed_url_from_input(&args.url)?;
    let tags: Vec<String> = args.tags.iter().map(|t| clean(t)).filter(|t| !t.is_empty()).collect();
    let title = args.title.as_deref().map(clean);
    // Checked before anything is fetched or stored: a typo in a header is the user's to fix.
    let options = args.request.check()?;
    let has_title = title.is_some();
    let pinned_options = options != FeedOptions::default();
    let sub = Subscribe { url: url.clone(), title, tags, options, fetch: !args.no_fetch };
    let done = engine.subscribe_feed(sub)?;
    let id = done.feed.id;
    if !done.page_feeds.is_empty() {
        note!("{} is a web page; it links to {}:", clean(&url), plural(done.page_feeds.len() as u64, "feed"));
        for (i, f) in done.page_feeds.iter().enumerate() {
            note!(
                "  {} {} ({}){}",
                if i == 0 { "*" } else { " " },
                clean(&f.url),
                clean(&f.mime),
                f.title.as_deref().map(|t| format!(" {}", clean(t))).unwrap_or_default()
            );
        }
        note!("adding the first; add another with `tidings add URL`");
    }
    if !done.added {
        note!("already subscribed: feed {id} ({})", clean(&done.feed.url));
        if has_title || pinned_options {
            note!("its title and request options are unchanged; change them with `tidings set {id} ...`");
        }
        return Ok(());
    }
    note!("added feed {id}: {}", clean(&done.feed.url));
    match done.first_fetch.map(|r| r.outcome) {
        Some(FeedOutcome::Updated(s)) => {
            note!("{}: {}", clean(done.feed.display_title()), plural(s.total, "article"));
        }
        Some(FeedOutcome::Failed(e)) => {
            eprintln!("warning: {}: {}", clean(done.feed.display_title()), clean(&e));
        }
        _ => {}
    }
    if let Some(n) = &done.sync_note {
        note!("{}", clean(n));
    }
    Ok(())
}

#[derive(Serialize)]
struct FeedJson {
    id: u64,
    url: String,
    title: String,
    custom_title: Option<String>,
    site_link: Option<String>,
    tags: Vec<String>,
    unread: u64,
    total: u64,
    last_fetch: Option<String>,
    last_status: Option<u16>,
    last_error: Option<String>,
    failing_since: Option<String>,
    options: OptionsJson,
    /// Its articles and flags come from the sync server (`tidings sync status`).
    synced: bool,
}

#[derive(Serialize)]
struct OptionsJson {
    user_agent: Option<String>,
    referer: Option<String>,
    /// `[name, value]` pairs, values included: scripts (and backups) need them.
    headers: Vec<(String, String)>,
    proxy: Option<String>,
}

impl OptionsJson {
    fn new(o: &FeedOptions) -> OptionsJson {
        OptionsJson {
            user_agent: o.user_agent.as_deref().map(clean),
            referer: o.referer.as_deref().map(clean),
            headers: o.headers.iter().map(|(n, v)| (clean(n), clean(v))).collect(),
            proxy: o.proxy.as_deref().map(clean),
        }
    }
}

fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn list_feeds(engine: &Engine, json: bool, verbose: bool) -> Result<()> {
    let overview = engine.feeds_with_counts()?;
    let feeds = overview.feeds;
    let mut out = std::io::stdout().lock();
    if json {
        let mut rows = Vec::new();
        for (f, c) in &feeds {
            rows.push(FeedJson {
                id: f.id.0,
                url: clean(&f.url),
                title: clean(f.display_title()),
                custom_title: f.custom_title.as_deref().map(clean),
                site_link: f.site_link.as_deref().map(clean),
                tags: f.tags.iter().map(|t| clean(t)).collect(),
                unread: c.unread,
                total: c.total,
                last_fetch: f.last_fetch.and_then(rfc3339),
                last_status: f.last_status,
                last_error: f.last_error.as_deref().map(clean),
                failing_since: f.failing_since.and_then(rfc3339),
                options: OptionsJson::new(&f.options),
                synced: overview.synced.contains(&f.id),
            });
        }
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if feeds.is_empty() {
        writeln!(out, "no feeds yet: add one with `tidings add URL` or `tidings import FILE`")?;
        return Ok(());
    }
    for (f, c) in &feeds {
        let status = match (&f.last_error, f.last_fetch) {
            (Some(e), _) => format!("FAILED: {}", clean(e)),
            (None, _) if overview.synced.contains(&f.id) => "synced".into(),
            (None, Some(_)) => format!("ok ({})", f.last_status.map_or("-".into(), |s| s.to_string())),
            (None, None) => "never fetched".into(),
        };
        let tags =
            if f.tags.is_empty() { String::new() } else { format!(" [{}]", clean(&f.tags.join(", "))) };
        outln!("{:>4}  {}{}  {}/{}  {}", f.id, clean(f.display_title()), tags, c.unread, c.total, status);
        if verbose {
            outln!("      {}", clean(&f.url));
            if let Some(options) = options_line(&f.options) {
                outln!("      options: {options}");
            }
        }
    }
    Ok(())
}

impl RequestArgs {
    /// Checks the options as given; `None` / empty where a flag was not given. Header values
    /// are never echoed in errors: they are often tokens or cookies.
    fn check(&self) -> Result<FeedOptions> {
        Ok(request_options::check(
            self.user_agent.as_deref(),
            self.referer.as_deref(),
            &self.headers,
            self.proxy.as_deref(),
        )?)
    }

    fn is_empty(&self) -> bool {
        self.user_agent.is_none() && self.referer.is_none() && self.headers.is_empty() && self.proxy.is_none()
    }
}

fn clean_tags(tags: &[String]) -> Vec<String> {
    tags.iter().map(|t| clean(t)).filter(|t| !t.is_empty()).collect()
}

fn set(engine: &Engine, args: SetArgs) -> Result<()> {
    let rec = engine.resolve_feed(&args.feed)?;
    let nothing = args.title.is_none()
        && !args.no_title
        && args.tags.is_empty()
        && args.untags.is_empty()
        && args.request.is_empty()
        && !args.no_user_agent
        && !args.no_referer
        && !args.no_headers
        && !args.no_proxy;
    if nothing {
        bail!(
            "nothing to change for feed {}: give --title, --tag, --untag, --user-agent, --referer, --header, \
             --proxy, or a --no-... flag (see `tidings set --help`)",
            rec.id
        );
    }
    let title = match &args.title {
        Some(t) if clean(t).trim().is_empty() => {
            bail!("--title is empty; to show the feed's own title use --no-title")
        }
        Some(t) => Some(clean(t)),
        None => None,
    };
    let (tags, untags) = (clean_tags(&args.tags), clean_tags(&args.untags));
    if let Some(t) = tags.iter().find(|t| untags.contains(t)) {
        bail!("--tag {t} and --untag {t} contradict each other");
    }
    let new = args.request.check()?;
    let given = |value: &Option<String>, cleared: bool| (value.is_some() || cleared).then(|| value.clone());
    let edit = FeedEdit {
        title: if title.is_some() { Some(title) } else { args.no_title.then_some(None) },
        add_tags: tags,
        remove_tags: untags.clone(),
        user_agent: given(&new.user_agent, args.no_user_agent),
        referer: given(&new.referer, args.no_referer),
        clear_headers: args.no_headers,
        headers: new.headers.clone(),
        proxy: given(&new.proxy, args.no_proxy),
    };
    let (rec, updated) = engine.edit_feed(rec.id, edit)?;
    for t in untags.iter().filter(|t| !rec.tags.contains(t)) {
        eprintln!("note: feed {} had no tag {t}", rec.id);
    }
    let mut out = std::io::stdout().lock();
    let verb = if updated == rec { "unchanged" } else { "updated" };
    writeln!(out, "{verb} feed {}: {}", updated.id, clean(updated.display_title()))?;
    writeln!(out, "  url:     {}", clean(&updated.url))?;
    let title = match &updated.custom_title {
        Some(t) => format!("{} (yours)", clean(t)),
        None if !updated.feed_title.is_empty() => format!("{} (the feed's own)", clean(&updated.feed_title)),
        None => "(the feed's own; not fetched yet)".to_owned(),
    };
    writeln!(out, "  title:   {title}")?;
    let tags = if updated.tags.is_empty() { "(none)".to_owned() } else { clean(&updated.tags.join(", ")) };
    writeln!(out, "  tags:    {tags}")?;
    let options = options_line(&updated.options).unwrap_or_else(|| "(none: config.toml's apply)".to_owned());
    writeln!(out, "  options: {options}")?;
    Ok(())
}

fn import(engine: &Engine, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let list = subscriptions::parse_import(&bytes).with_context(|| format!("{}", file.display()))?;
    subscribe_list(engine, &file.display().to_string(), &list)
}

/// Subscribes to an imported list (nothing twice) and says what was added and skipped.
fn subscribe_list(engine: &Engine, source: &str, list: &subscriptions::ImportList) -> Result<()> {
    let feeds = list
        .subscriptions
        .iter()
        .map(|sub| NewFeed {
            url: sub.url.clone(),
            title: sub.title.clone(),
            tags: sub.tags.clone(),
            ..Default::default()
        })
        .collect();
    let (added, present) = engine.add_feeds(feeds)?;
    note!("{}: {added} added, {present} already present, {} skipped", clean(source), list.skipped.len());
    for s in &list.skipped {
        note!("  skipped {}: {}", clean(&s.what), clean(&s.reason));
    }
    Ok(())
}

/// `import --newsboat DIR`: the feeds of newsboat's urls file, then the read and flagged
/// state of its cache.db for the articles this store holds (flags are only ever set).
fn import_newsboat(engine: &Engine, dir: &Path) -> Result<()> {
    let mut nb = subscriptions::newsboat::read(dir)?;
    // Query feeds are imported below, each with what became of it.
    nb.list.skipped.retain(|s| !s.reason.starts_with("query:"));
    subscribe_list(engine, &dir.display().to_string(), &nb.list)?;
    for q in &nb.queries {
        let name = clean(&q.name);
        match subscriptions::newsboat_query::translate(&q.expression) {
            Ok(expr) => {
                let added = engine
                    .add_query_feed(crate::store::QueryFeed { name: q.name.clone(), query: expr.clone() })?;
                if added {
                    note!("query feed \"{name}\": {}", clean(&expr));
                } else {
                    note!("query feed \"{name}\": there is one of that name already, left as it is");
                }
            }
            Err(why) => note!(
                "skipped query feed \"{name}\" ({}): {} has no equivalent here",
                clean(&q.expression),
                clean(&why)
            ),
        }
    }
    if let Some(cache) = &nb.cache_path {
        let (mut found, mut missing) = (0u64, 0u64);
        let (mut to_read, mut to_star) = (Vec::new(), Vec::new());
        for feed in &nb.feeds {
            let id = engine.resolve_feed(&feed.url)?.id;
            let q = ArticleQuery { feed: Some(id), ..Default::default() };
            let here: std::collections::HashMap<_, _> =
                engine.articles(&q)?.into_iter().map(|a| (a.meta.key, (a.meta.id, a.flags))).collect();
            for article in &feed.articles {
                let Some(&(article_id, now)) = article.identity_keys().iter().find_map(|k| here.get(k))
                else {
                    missing += 1;
                    continue;
                };
                found += 1;
                let want = article.flags();
                if want.read && !now.read {
                    to_read.push(article_id);
                }
                if want.starred && !now.starred {
                    to_star.push(article_id);
                }
            }
        }
        let read = engine.mark(&to_read, Mark::Read)?.len();
        let starred = engine.mark(&to_star, Mark::Star)?.len();
        let s = &nb.stats;
        let letters: Vec<String> = s.flag_letters.iter().map(|(c, n)| format!("{c} ({n})")).collect();
        note!(
            "{}: {} read, {} flagged, {} deleted articles of these feeds",
            clean(&cache.display().to_string()),
            s.read,
            s.flagged,
            s.deleted
        );
        if !letters.is_empty() {
            note!("  flag letters: {} (any letter stars the article here)", letters.join(", "));
        }
        note!("  {found} found here: {read} marked read, {starred} starred (deleted ones count as read)");
        if missing > 0 {
            note!(
                "  {missing} not here yet (not fetched, or known to newsboat by title only): run \
                 `tidings refresh`, then this import again (it adds nothing twice)"
            );
        }
        if s.other_feeds > 0 {
            note!("  {} left out: their feeds are not in the urls file", s.other_feeds);
        }
        if s.unusable > 0 {
            note!("  {} left out: no usable guid or feed URL", s.unusable);
        }
    }
    for n in &nb.notes {
        note!("note: {}", clean(n));
    }
    Ok(())
}

fn export(engine: &Engine, format: ExportFormat) -> Result<()> {
    let subs: Vec<Subscription> = engine
        .feeds()?
        .into_iter()
        .map(|f| Subscription {
            // Only the user's own title is pinned; a feed's own title comes with the feed.
            title: f.custom_title.clone(),
            url: f.url,
            tags: f.tags,
        })
        .collect();
    let text = match format {
        ExportFormat::Opml => subscriptions::write_opml(&subs, "tidings subscriptions"),
        ExportFormat::Urls => subscriptions::write_urls(&subs),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn refresh_cmd(engine: &Engine, paths: &Paths, names: &[String]) -> Result<()> {
    let feeds = if names.is_empty() {
        None
    } else {
        Some(names.iter().map(|n| engine.resolve_feed(n).map(|f| f.id)).collect::<Result<Vec<_>, _>>()?)
    };
    let count = match &feeds {
        Some(ids) => ids.len(),
        None => engine.feeds()?.len(),
    };
    if count == 0 && engine.sync_status()?.is_none() {
        note!("no feeds to refresh: add one with `tidings add URL` or `tidings import FILE`");
        return Ok(());
    }
    let bar = (std::io::stderr().is_terminal() && !quiet()).then(|| {
        let bar = indicatif::ProgressBar::new(count as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} feeds {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let log = crate::logfile::LogFile::open(&paths.log_file);
    let request = RefreshRequest { named: feeds.is_some(), feeds };
    // The refresh runs in whichever process holds the store (this one, or a reader that is
    // open), and one already running for the same feeds is joined rather than run twice.
    let summary = engine.refresh(request, &mut |p| {
        let r = &p.report;
        let line = match &r.outcome {
            FeedOutcome::Failed(e) => {
                Some(format!("failed: feed {} ({}): {}", r.feed, clean(&r.title), clean(e)))
            }
            FeedOutcome::Skipped(why) => {
                Some(format!("skipped: feed {} ({}): {}", r.feed, clean(&r.title), clean(why)))
            }
            _ => None,
        };
        if let Some(line) = &line {
            log.write(line);
        }
        match (&bar, line) {
            (Some(bar), line) => {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
                if let Some(line) = line {
                    bar.println(line);
                }
            }
            (None, Some(line)) => eprintln!("{line}"),
            (None, None) => {}
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    log.write(&format!("refresh: {}", summary.line()));
    note!("refreshed {}", summary.line());
    if let Some(sync) = &summary.sync {
        log.write(&sync.line());
        for n in &sync.notes {
            eprintln!("note: {}", clean(n));
        }
        match &sync.error {
            Some(_) => eprintln!("{}", sync.line()),
            None => note!("{}", sync.line()),
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct ArticleJson {
    id: u64,
    feed_id: u64,
    title: String,
    link: Option<String>,
    author: Option<String>,
    published: Option<String>,
    read: bool,
    starred: bool,
    images: usize,
    links: usize,
    enclosures: Vec<String>,
    /// The article's own tags (given by `[[filter]]`s), not its feed's: `feeds --json` has those.
    tags: Vec<String>,
}

fn list_articles(engine: &Engine, args: ArticlesArgs) -> Result<()> {
    list_articles_counting(engine, args, false)
}

/// `count_matches`: `filter test` says how many articles matched, on stderr.
fn list_articles_counting(engine: &Engine, args: ArticlesArgs, count_matches: bool) -> Result<()> {
    let feed = match &args.feed {
        Some(f) => Some(engine.resolve_feed(f)?.id),
        None => None,
    };
    let limit = match (args.all, args.limit) {
        (true, _) | (false, Some(0)) => None,
        (false, Some(n)) => Some(n),
        (false, None) if args.json => None,
        (false, None) => Some(DEFAULT_ARTICLES),
    };
    let q = ArticleQuery { feed, unread_only: args.unread, starred_only: args.starred, limit };
    if let Some(expr) = &args.query {
        return list_matching(engine, &q, expr, args.json, count_matches);
    }
    let articles = engine.articles(&q)?;
    if limit.is_some_and(|n| articles.len() == n) {
        let all = listed_in_all(engine, &q)?;
        if all > articles.len() {
            eprintln!("... {} more (use --limit N or --all)", all - articles.len());
        }
    }
    print_articles(&articles, args.json)
}

/// How many articles `q` lists without its limit: from the feeds' counters (no article is
/// read: listing 100,000 to count them took 0.2 s), but for starred ones, which are listed.
fn listed_in_all(engine: &Engine, q: &ArticleQuery) -> Result<usize> {
    if q.starred_only {
        return Ok(engine.list_entries(&ArticleQuery { limit: None, ..q.clone() })?.len());
    }
    let counted =
        engine.feeds_with_counts()?.feeds.into_iter().filter(|(f, _)| q.feed.is_none_or(|id| id == f.id));
    let all: u64 = counted.map(|(_, c)| if q.unread_only { c.unread } else { c.total }).sum();
    Ok(usize::try_from(all).unwrap_or(usize::MAX))
}

/// `articles --query` and `filter test`: the expression is parsed here, so its error shows
/// with a caret (and exits with 2, see main.rs), then evaluated where the store is held.
fn list_matching(
    engine: &Engine,
    q: &ArticleQuery,
    expr: &str,
    json: bool,
    count_matches: bool,
) -> Result<()> {
    crate::query::Query::parse(expr)?;
    let entries = engine.matching_entries(&ArticleQuery { limit: None, ..q.clone() }, expr)?;
    let shown = q.limit.map_or(entries.len(), |n| n.min(entries.len()));
    let ids: Vec<ArticleId> = entries[..shown].iter().map(|e| e.id).collect();
    print_articles(&engine.articles_by_id(&ids)?, json)?;
    if count_matches {
        eprintln!("{} match", crate::words::plural(entries.len() as u64, "article"));
    } else if shown < entries.len() {
        eprintln!("... {} more (use --limit N or --all)", entries.len() - shown);
    }
    Ok(())
}

fn print_articles(articles: &[Article], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<ArticleJson> = articles.iter().map(article_json).collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    for a in articles {
        writeln!(out, "{}", article_row(a))?;
    }
    Ok(())
}

/// An article as `articles --json` prints it.
fn article_json(a: &Article) -> ArticleJson {
    ArticleJson {
        id: a.meta.id.0,
        feed_id: a.meta.feed.0,
        title: clean(&a.meta.title),
        link: a.meta.link.as_deref().map(clean),
        author: a.meta.author.as_deref().map(clean),
        published: rfc3339(a.meta.date),
        read: a.flags.read,
        starred: a.flags.starred,
        images: a.meta.image_count as usize,
        links: a.meta.link_count as usize,
        enclosures: a.meta.enclosures.iter().map(|e| clean(&e.url)).collect(),
        tags: a.tags.iter().map(|t| clean(t)).collect(),
    }
}

/// An article's line in `tidings articles`: id, marks (N unread, * starred, P pictures),
/// date, feed id and title.
fn article_row(a: &Article) -> String {
    let date = chrono::DateTime::from_timestamp(a.meta.date, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string());
    let marks = format!(
        "{}{}{}",
        if a.flags.read { ' ' } else { 'N' },
        if a.flags.starred { '*' } else { ' ' },
        if a.meta.image_count == 0 { ' ' } else { 'P' }
    );
    let title = if a.meta.title.is_empty() { "(untitled)".to_owned() } else { clean(&a.meta.title) };
    format!("{:>6} {marks} {date}  [{}] {title}", a.meta.id, a.meta.feed)
}

#[derive(Serialize)]
struct SearchHitJson {
    #[serde(flatten)]
    article: ArticleJson,
    snippet: String,
}

/// `tidings search`: `articles`' rows, each with its snippet on the line below.
fn search(engine: &Engine, args: SearchArgs) -> Result<()> {
    let feed = match &args.feed {
        Some(f) => Some(engine.resolve_feed(f)?.id),
        None => None,
    };
    let limit = match args.limit {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(DEFAULT_SEARCH_RESULTS),
    };
    let request = crate::search::SearchRequest { text: args.text.join(" "), feed, limit };
    let results = engine.search(&request)?;
    if results.caught_up.rebuilt {
        eprintln!(
            "built the search index first ({}); later searches use it as it is",
            plural(results.caught_up.indexed, "article")
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<SearchHitJson> = results
            .hits
            .iter()
            .map(|h| SearchHitJson { article: article_json(&h.article), snippet: clean(&h.snippet) })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        for h in &results.hits {
            writeln!(out, "{}", article_row(&h.article))?;
            if !h.snippet.is_empty() {
                writeln!(out, "{:>12}{}", "", clean(&h.snippet))?;
            }
        }
    }
    if results.hits.is_empty() {
        eprintln!("no articles match");
    } else if results.matched > results.hits.len() && limit == Some(results.hits.len()) {
        eprintln!("... {} more (use --limit N, or 0 for all)", results.matched - results.hits.len());
    }
    Ok(())
}

fn mark(engine: &Engine, args: MarkArgs) -> Result<()> {
    let mark = match args.what {
        MarkWhat::Read => Mark::Read,
        MarkWhat::Unread => Mark::Unread,
        MarkWhat::Star => Mark::Star,
        MarkWhat::Unstar => Mark::Unstar,
    };
    let changed = if args.all {
        if !matches!(mark, Mark::Read) {
            bail!("--all works with `mark read` only");
        }
        if !args.ids.is_empty() {
            bail!(
                "give article ids or --all, not both (--all marks every article; for one feed's: \
                 tidings mark read --all --feed FEED)"
            );
        }
        let feed = match &args.feed {
            Some(f) => Some(engine.resolve_feed(f)?.id),
            None => None,
        };
        engine.mark_all_read(feed)?
    } else {
        if args.ids.is_empty() {
            bail!("name the articles to mark (ids from `tidings articles`), or use --all");
        }
        let ids: Vec<ArticleId> = args.ids.iter().map(|&i| ArticleId(i)).collect();
        for &id in &ids {
            if engine.article(id)?.is_none() {
                bail!("no article with id {id} (see `tidings articles`)");
            }
        }
        engine.mark(&ids, mark)?
    };
    note!("{} changed", plural(changed.len() as u64, "article"));
    Ok(())
}

/// `tidings tag` (`untag` with `remove`): changes the articles' own tags, then prints what each
/// article has now.
fn tag(engine: &Engine, args: TagArgs, remove: bool) -> Result<()> {
    let (verb, command) = if remove { ("untagged", "untag") } else { ("tagged", "tag") };
    let tags = clean_tags(&args.tags);
    if tags.is_empty() {
        bail!("no tag given (the tags were empty once cleaned); e.g. `tidings {command} 12 later`");
    }
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<ArticleId> = args.ids.0.into_iter().filter(|id| seen.insert(*id)).collect();
    // Checked first so that the error names the article; the store refuses it too, changing
    // nothing (all the articles or none).
    let before = engine.articles_by_id(&ids)?;
    if let Some(&missing) = ids.iter().find(|id| !before.iter().any(|a| a.meta.id == **id)) {
        return Err(crate::store::StoreError::NoSuchArticle(missing).into());
    }
    if let Some(problem) =
        tags.iter().find_map(|t| crate::query::filters::hand_tag_problem(t)).filter(|_| !remove)
    {
        bail!("{problem}");
    }
    let (add, untag) = if remove { (Vec::new(), tags) } else { (tags, Vec::new()) };
    let changed = engine.tag_articles(&ids, &add, &untag)?;
    for a in &before {
        for t in untag.iter().filter(|t| !a.tags.contains(t)) {
            eprintln!("note: article {} had no tag {t}", a.meta.id);
        }
    }
    for a in engine.articles_by_id(&ids)? {
        let verb = if changed.contains(&a.meta.id) { verb } else { "unchanged" };
        let tags = if a.tags.is_empty() { "(no tags)".to_owned() } else { clean_tags(&a.tags).join(", ") };
        outln!("{verb} article {}: {tags}", a.meta.id);
    }
    Ok(())
}

/// `show --json`: an article with its text, which `articles --json` (only what lists load)
/// does not carry.
#[derive(Serialize)]
struct ShowJson {
    #[serde(flatten)]
    article: ArticleJson,
    /// The feed's summary as one line of text (markup dropped), when it gave one beside a
    /// different full content; null otherwise.
    summary: Option<String>,
    /// The body as `show` prints it: laid out at 80 columns, numbered links, the Links list.
    body: String,
}

fn show(engine: &Engine, id: ArticleId, json: bool) -> Result<()> {
    let Some(a) = engine.article(id)? else {
        bail!("no article with id {id} (see `tidings articles`)");
    };
    let feed = engine.feed(a.meta.feed)?;
    let body = engine.body(id)?.unwrap_or_default();
    // Relative links are resolved against the article's page, else the feed's site; the
    // enclosures are listed after the body and numbered with the links.
    let context = crate::render::ArticleContext {
        link: a.meta.link.as_deref(),
        site: feed.as_ref().and_then(|f| f.site_link.as_deref()),
        enclosures: &a.meta.enclosures,
    };
    let mut out = std::io::stdout().lock();
    if json {
        let text = crate::render::render_plain_in(&body.html, 80, &context);
        let row = ShowJson {
            article: article_json(&a),
            summary: body
                .summary
                .as_deref()
                .map(|s| clean(&crate::parse::flatten(s)))
                .filter(|s| !s.is_empty()),
            body: text.lines().map(sanitize::text).collect::<Vec<_>>().join("\n"),
        };
        serde_json::to_writer_pretty(&mut out, &row)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "Title:  {}", clean(&a.meta.title))?;
    if let Some(f) = &feed {
        writeln!(out, "Feed:   {}", clean(f.display_title()))?;
    }
    if let Some(author) = &a.meta.author {
        writeln!(out, "Author: {}", clean(author))?;
    }
    if let Some(d) = rfc3339(a.meta.date) {
        writeln!(out, "Date:   {d}")?;
    }
    if let Some(link) = &a.meta.link {
        writeln!(out, "Link:   {}", clean(link))?;
    }
    if !a.tags.is_empty() {
        writeln!(out, "Tags:   {}", clean_tags(&a.tags).join(", "))?;
    }
    writeln!(out)?;
    // Laid out by the reader's renderer, with its caps: numbered links and the "Links" list,
    // images listed by number. Every line is cleaned of control characters on the way out.
    // 80 columns into a pipe; a terminal's own width, within reason, on screen.
    let width = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        crossterm::terminal::size().map_or(80, |(w, _)| w.clamp(20, 100))
    } else {
        80
    };
    // The feed's summary, when it gave one beside the full content, as the reader shows it.
    let summary = body.summary.as_deref().map(|s| crate::render::summary_lines(s, width)).unwrap_or_default();
    for (label, text) in &summary {
        writeln!(out, "{}", sanitize::text(&format!("{label}{text}")).trim_end())?;
    }
    if !summary.is_empty() {
        writeln!(out)?;
    }
    for line in crate::render::render_plain_in(&body.html, width, &context).lines() {
        writeln!(out, "{}", sanitize::text(line))?;
    }
    Ok(())
}

fn repair(dir: &Path, settings: &crate::store::StoreSettings) -> Result<()> {
    let r = crate::store::Store::repair(dir, settings)?;
    let of = |kept: u64, saved: Option<u64>| match saved {
        Some(saved) if saved != kept => format!("{kept} of {saved}"),
        _ => kept.to_string(),
    };
    outln!(
        "kept {} feeds and {} articles ({} unread); dropped {} feed and {} article records that could not be read",
        of(r.feeds_kept, r.last_saved.map(|s| s.feeds)),
        of(r.articles_kept, r.last_saved.map(|s| s.articles)),
        r.check.unread,
        r.feeds_dropped,
        r.articles_dropped
    );
    if r.bodies_lost > 0 {
        outln!(
            "{} lost their text (it comes back if their feed still carries them)",
            plural(r.bodies_lost, "article")
        );
    }
    if r.flags_lost > 0 {
        outln!("{} lost their read and starred marks (they are unread now)", plural(r.flags_lost, "article"));
    }
    for n in &r.notes {
        outln!("note: {n}");
    }
    outln!("the damaged files are kept in {} (delete it once you are happy)", r.damaged_files.display());
    if r.check.problems.is_empty() {
        outln!("database is consistent");
        return Ok(());
    }
    for p in &r.check.problems {
        outln!("problem: {p}");
    }
    bail!("{} problem(s) remain in {} after the repair", r.check.problems.len(), dir.display())
}

fn fetch_log(engine: &Engine, feed: &str) -> Result<()> {
    let rec = engine.resolve_feed(feed)?;
    let log = engine.fetch_log(rec.id)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "feed {}: {}  {}", rec.id, clean(rec.display_title()), clean(&rec.url))?;
    if log.is_empty() {
        writeln!(out, "never fetched")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:>6} {:>7} {:>6} {:>6} {:>9} {:>5} {:>5} {:>6}  error",
        "started (UTC)", "status", "fetchms", "parsms", "storms", "bytes", "new", "upd", "total"
    )?;
    for r in &log {
        writeln!(out, "{}", fetch_line(r))?;
        // How the document was read when not plainly (recovered, encoding guessed).
        for note in &r.notes {
            writeln!(out, "{:<20} note: {}", "", clean(note))?;
        }
    }
    let ok: Vec<&FetchRecord> = log.iter().filter(|r| r.error.is_none()).collect();
    let avg = if ok.is_empty() { 0 } else { ok.iter().map(|r| r.fetch_ms).sum::<u64>() / ok.len() as u64 };
    writeln!(
        out,
        "last success: {}; failing since: {}; average fetch: {avg} ms",
        rec.last_success.and_then(rfc3339).unwrap_or_else(|| "never".into()),
        rec.failing_since.and_then(rfc3339).unwrap_or_else(|| "-".into()),
    )?;
    Ok(())
}

fn fetch_line(r: &FetchRecord) -> String {
    let started = chrono::DateTime::from_timestamp_millis(r.started_ms)
        .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M:%S").to_string());
    format!(
        "{:<20} {:>6} {:>7} {:>6} {:>6} {:>9} {:>5} {:>5} {:>6}  {}",
        started,
        r.status.map_or("-".into(), |s| s.to_string()),
        r.fetch_ms,
        r.parse_ms,
        r.store_ms,
        r.bytes,
        r.new,
        r.updated,
        r.total,
        r.error.as_deref().map(clean).unwrap_or_default()
    )
}

fn check(engine: &Engine) -> Result<()> {
    let rep = engine.check()?;
    outln!("{}, {}, {} unread", plural(rep.feeds, "feed"), plural(rep.articles, "article"), rep.unread);
    if rep.problems.is_empty() {
        outln!("database is consistent");
        return Ok(());
    }
    for p in &rep.problems {
        outln!("problem: {p}");
    }
    bail!("{} problem(s) found in {}", rep.problems.len(), engine.dir().display())
}

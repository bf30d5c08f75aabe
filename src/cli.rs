//! The command line: clap definitions and the non-interactive subcommands.
//!
//! Contract: every string that came from a feed is cleaned (`sanitize::line`) before it is
//! printed; plain output is for people, `--json` output is for scripts; a per-feed failure
//! is reported, never fatal (exit code 0 when a run completed).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::{Config, Paths};
use crate::fetch::{FeedRequest, FetchOutcome, Fetcher};
use crate::model::ArticleId;
use crate::refresh::{self, FeedOutcome, RefreshOptions};
use crate::sanitize;
use crate::store::{ArticleQuery, FeedRecord, FetchRecord, Mark, NewFeed, Store};
use crate::subscriptions::{self, Subscription};

#[derive(Debug, Parser)]
#[command(name = "tidings", version, about = "A fast, safe terminal feed reader (RSS, Atom, JSON Feed)")]
pub struct Cli {
    /// Config file [default: $XDG_CONFIG_HOME/tidings/config.toml]
    #[arg(long, global = true, env = "TIDINGS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the database lives [default: $XDG_DATA_HOME/tidings]
    #[arg(long, global = true, env = "TIDINGS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Subscribe to a feed (a web page URL finds the page's feeds)
    Add(AddArgs),
    /// Unsubscribe from a feed and delete its articles
    Remove {
        /// The feed's id (see `tidings feeds`) or URL
        feed: String,
    },
    /// List subscriptions: id, title, URL, tags, unread/total, last fetch result
    Feeds {
        /// Print a JSON array for scripts
        #[arg(long)]
        json: bool,
    },
    /// Import subscriptions from OPML or a newsboat `urls` file
    Import {
        /// The OPML or urls file
        file: PathBuf,
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
    /// Print the number of unread articles
    Unread,
    /// Mark articles read, unread, starred or unstarred
    Mark(MarkArgs),
    /// Print one article: its header, links and body as text
    Show {
        /// The article's id (see `tidings articles`)
        id: u64,
    },
    /// Show a feed's last fetches: status, timings, sizes, errors
    Log {
        /// The feed's id or URL
        feed: String,
    },
    /// Verify the database: indexes against records, counters against flags
    Check,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Opml,
    Urls,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The feed's URL, a web page that links to feeds, or a local file
    pub url: String,
    /// A tag for the feed (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Your title for the feed (instead of the feed's own)
    #[arg(long)]
    pub title: Option<String>,
    /// Don't fetch the feed now
    #[arg(long)]
    pub no_fetch: bool,
}

#[derive(Debug, Args)]
pub struct ArticlesArgs {
    /// Only unread articles
    #[arg(long)]
    pub unread: bool,
    /// Only starred articles
    #[arg(long)]
    pub starred: bool,
    /// Only this feed (id or URL)
    #[arg(long)]
    pub feed: Option<String>,
    /// At most N articles (default: 50 in plain output, all with --json)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print a JSON array for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MarkWhat {
    Read,
    Unread,
    Star,
    Unstar,
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    #[arg(value_enum)]
    pub what: MarkWhat,
    /// Article ids
    pub ids: Vec<u64>,
    /// Every article (with `read` only); with --feed, every article of that feed
    #[arg(long)]
    pub all: bool,
    /// With --all: only this feed (id or URL)
    #[arg(long, requires = "all")]
    pub feed: Option<String>,
}

/// Runs a subcommand. `None` is the interactive reader, which is not built yet.
pub fn run(cli: Cli) -> Result<()> {
    let paths = Paths::resolve(cli.config.clone(), cli.data_dir.clone())?;
    let config = Config::load(&paths.config_file)?;
    let Some(command) = cli.command else {
        return no_reader_yet(&paths, &config);
    };
    let store = Store::open(&paths.data_dir, &config.store)?;
    let result = match command {
        Command::Add(args) => add(&store, &config, args),
        Command::Remove { feed } => {
            let rec = store.resolve_feed(&feed)?;
            store.remove_feed(rec.id)?;
            println!("removed feed {}: {}", rec.id, clean(rec.display_title()));
            Ok(())
        }
        Command::Feeds { json } => list_feeds(&store, json),
        Command::Import { file } => import(&store, &file),
        Command::Export { format } => export(&store, format),
        Command::Refresh { feeds } => refresh_cmd(&store, &config, &paths, &feeds),
        Command::Articles(args) => list_articles(&store, args),
        Command::Unread => {
            println!("{}", store.unread_total()?);
            Ok(())
        }
        Command::Mark(args) => mark(&store, args),
        Command::Show { id } => show(&store, ArticleId(id)),
        Command::Log { feed } => fetch_log(&store, &feed),
        Command::Check => check(&store),
    };
    // Flags and feeds written by any command are durable when the process exits.
    store.flush()?;
    result
}

fn no_reader_yet(paths: &Paths, config: &Config) -> Result<()> {
    let store = Store::open(&paths.data_dir, &config.store)?;
    let feeds = store.feeds()?.len();
    println!(
        "tidings {}: {} feeds, {} unread articles in {}",
        env!("CARGO_PKG_VERSION"),
        feeds,
        store.unread_total()?,
        paths.data_dir.display()
    );
    println!("The interactive reader is not built yet. Try:");
    println!("  tidings add URL          subscribe to a feed");
    println!("  tidings import FILE      import OPML or a newsboat urls file");
    println!("  tidings refresh          fetch every feed");
    println!("  tidings articles         list the newest articles");
    println!("  tidings --help           everything else");
    Ok(())
}

fn clean(s: &str) -> String {
    sanitize::line(s)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// Turns what the user typed into a feed URL: a local path becomes `file://`, a bare host
/// gets `https://`.
pub fn normalize_feed_url(input: &str) -> Result<String> {
    let input = input.trim();
    let path = Path::new(input);
    if !input.contains("://") && path.exists() {
        let abs = std::fs::canonicalize(path).with_context(|| format!("cannot read {input}"))?;
        let url = url::Url::from_file_path(&abs)
            .map_err(|_| anyhow::anyhow!("cannot make a file URL of {}", abs.display()))?;
        return Ok(url.to_string());
    }
    let candidate = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let url =
        url::Url::parse(&candidate).with_context(|| format!("{input:?} is not a URL or an existing file"))?;
    match url.scheme() {
        "http" | "https" | "file" => Ok(url.to_string()),
        other => bail!("{other}: URLs are not supported; use http, https or a local file"),
    }
}

fn add(store: &Store, config: &Config, args: AddArgs) -> Result<()> {
    let mut url = normalize_feed_url(&args.url)?;
    let tags: Vec<String> = args.tags.iter().map(|t| clean(t)).filter(|t| !t.is_empty()).collect();
    let title = args.title.as_deref().map(clean);
    if !args.no_fetch {
        let fetcher = Fetcher::new(&config.fetch)?;
        let rt = runtime()?;
        let request = FeedRequest { url: url.clone(), ..Default::default() };
        match rt.block_on(fetcher.fetch(&request)) {
            Ok(FetchOutcome::Fetched { body, final_url, .. }) if crate::parse::looks_like_html(&body) => {
                let found = subscriptions::discover_feeds(&body, &final_url);
                let Some(first) = found.first() else {
                    bail!(
                        "{} is a web page that links to no feed; find the feed's own URL on the site",
                        clean(&url)
                    );
                };
                println!("{} is a web page; it links to {} feed(s):", clean(&url), found.len());
                for (i, f) in found.iter().enumerate() {
                    println!(
                        "  {} {} ({}){}",
                        if i == 0 { "*" } else { " " },
                        clean(&f.url),
                        clean(&f.mime),
                        f.title.as_deref().map(|t| format!(" {}", clean(t))).unwrap_or_default()
                    );
                }
                println!("adding the first; add another with `tidings add URL`");
                url = first.url.clone();
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: could not fetch it now ({e}); adding it anyway"),
        }
    }
    let (id, added) = store.add_feed(NewFeed { url: url.clone(), title, tags })?;
    if !added {
        println!("already subscribed: feed {id} ({})", clean(&url));
        return Ok(());
    }
    println!("added feed {id}: {}", clean(&url));
    if !args.no_fetch {
        // Fetch through a normal refresh so the new feed has its articles and fetch record at
        // once (the look above only decided whether the URL was a page or a feed).
        let feeds = vec![store.resolve_feed(&id.to_string())?];
        let fetcher = Fetcher::new(&config.fetch)?;
        runtime()?.block_on(refresh::refresh(
            store,
            &fetcher,
            &config.store,
            feeds,
            &RefreshOptions { ignore_retry_after: true },
            |r| match &r.outcome {
                FeedOutcome::Updated(s) => println!("{}: {} articles", clean(&r.title), s.total),
                FeedOutcome::Failed(e) => eprintln!("warning: {}: {}", clean(&r.title), clean(e)),
                _ => {}
            },
        ));
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
}

fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn list_feeds(store: &Store, json: bool) -> Result<()> {
    let feeds = store.feeds()?;
    let mut out = std::io::stdout().lock();
    if json {
        let mut rows = Vec::new();
        for f in &feeds {
            let c = store.counts(f.id)?;
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
    for f in &feeds {
        let c = store.counts(f.id)?;
        let status = match (&f.last_error, f.last_fetch) {
            (Some(e), _) => format!("FAILED: {}", clean(e)),
            (None, Some(_)) => format!("ok ({})", f.last_status.map_or("-".into(), |s| s.to_string())),
            (None, None) => "never fetched".into(),
        };
        let tags =
            if f.tags.is_empty() { String::new() } else { format!(" [{}]", clean(&f.tags.join(", "))) };
        writeln!(
            out,
            "{:>4}  {}{}  {}/{}  {}\n      {}",
            f.id,
            clean(f.display_title()),
            tags,
            c.unread,
            c.total,
            status,
            clean(&f.url)
        )?;
    }
    Ok(())
}

fn import(store: &Store, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let list = subscriptions::parse_import(&bytes).with_context(|| format!("{}", file.display()))?;
    let (mut added, mut present) = (0, 0);
    for sub in &list.subscriptions {
        let new = NewFeed { url: sub.url.clone(), title: sub.title.clone(), tags: sub.tags.clone() };
        if store.add_feed(new)?.1 {
            added += 1;
        } else {
            present += 1;
        }
    }
    println!("{}: {added} added, {present} already present, {} skipped", file.display(), list.skipped.len());
    for s in &list.skipped {
        println!("  skipped {}: {}", clean(&s.what), clean(&s.reason));
    }
    Ok(())
}

fn export(store: &Store, format: ExportFormat) -> Result<()> {
    let subs: Vec<Subscription> = store
        .feeds()?
        .into_iter()
        .map(|f| Subscription {
            title: Some(f.display_title().to_owned()).filter(|t| *t != f.url),
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

fn refresh_cmd(store: &Store, config: &Config, paths: &Paths, names: &[String]) -> Result<()> {
    let feeds: Vec<FeedRecord> = if names.is_empty() {
        store.feeds()?
    } else {
        names.iter().map(|n| store.resolve_feed(n)).collect::<Result<_, _>>()?
    };
    if feeds.is_empty() {
        println!("no feeds to refresh: add one with `tidings add URL` or `tidings import FILE`");
        return Ok(());
    }
    let fetcher = Fetcher::new(&config.fetch)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(feeds.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} feeds {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let log = crate::logfile::LogFile::open(&paths.log_file);
    let options = RefreshOptions { ignore_retry_after: !names.is_empty() };
    let summary =
        runtime()?.block_on(refresh::refresh(store, &fetcher, &config.store, feeds, &options, |r| {
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
                (Some(bar), Some(line)) => {
                    bar.println(line);
                    bar.inc(1);
                }
                (Some(bar), None) => bar.inc(1),
                (None, Some(line)) => eprintln!("{line}"),
                (None, None) => {}
            }
        }));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    log.write(&format!("refresh: {}", summary.line()));
    println!("refreshed {}", summary.line());
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
}

fn list_articles(store: &Store, args: ArticlesArgs) -> Result<()> {
    let feed = match &args.feed {
        Some(f) => Some(store.resolve_feed(f)?.id),
        None => None,
    };
    let limit = args.limit.or(if args.json { None } else { Some(50) });
    let q = ArticleQuery { feed, unread_only: args.unread, starred_only: args.starred, limit };
    let articles = store.articles(&q)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<ArticleJson> = articles
            .iter()
            .map(|a| ArticleJson {
                id: a.meta.id.0,
                feed_id: a.meta.feed.0,
                title: clean(&a.meta.title),
                link: a.meta.link.as_deref().map(clean),
                author: a.meta.author.as_deref().map(clean),
                published: rfc3339(a.meta.date),
                read: a.flags.read,
                starred: a.flags.starred,
                images: a.meta.images.len(),
                links: a.meta.links.len(),
                enclosures: a.meta.enclosures.iter().map(|e| clean(&e.url)).collect(),
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    for a in &articles {
        let date = chrono::DateTime::from_timestamp(a.meta.date, 0)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string());
        let marks = format!(
            "{}{}{}",
            if a.flags.read { ' ' } else { 'N' },
            if a.flags.starred { '*' } else { ' ' },
            if a.meta.images.is_empty() { ' ' } else { 'P' }
        );
        let title = if a.meta.title.is_empty() { "(untitled)".to_owned() } else { clean(&a.meta.title) };
        writeln!(out, "{:>6} {marks} {date}  [{}] {title}", a.meta.id, a.meta.feed)?;
    }
    Ok(())
}

fn mark(store: &Store, args: MarkArgs) -> Result<()> {
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
        let feed = match &args.feed {
            Some(f) => Some(store.resolve_feed(f)?.id),
            None => None,
        };
        store.mark_all_read(feed)?
    } else {
        if args.ids.is_empty() {
            bail!("name the articles to mark (ids from `tidings articles`), or use --all");
        }
        let ids: Vec<ArticleId> = args.ids.iter().map(|&i| ArticleId(i)).collect();
        for &id in &ids {
            if store.article(id)?.is_none() {
                bail!("no article with id {id} (see `tidings articles`)");
            }
        }
        store.mark(&ids, mark)?
    };
    println!("{} article(s) changed", changed.len());
    Ok(())
}

fn show(store: &Store, id: ArticleId) -> Result<()> {
    let Some(a) = store.article(id)? else {
        bail!("no article with id {id} (see `tidings articles`)");
    };
    let feed = store.feed(a.meta.feed)?;
    let mut out = std::io::stdout().lock();
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
    writeln!(out)?;
    let body = store.body(id)?.unwrap_or_default();
    let text = html2text::from_read(body.as_bytes(), 80).unwrap_or_else(|_| body.clone());
    for line in text.lines() {
        writeln!(out, "{}", sanitize::text(line))?;
    }
    for e in &a.meta.enclosures {
        writeln!(out, "Enclosure: {} {}", clean(&e.url), e.mime.as_deref().map(clean).unwrap_or_default())?;
    }
    Ok(())
}

fn fetch_log(store: &Store, feed: &str) -> Result<()> {
    let rec = store.resolve_feed(feed)?;
    let log = store.fetch_log(rec.id)?;
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

fn check(store: &Store) -> Result<()> {
    let rep = store.check()?;
    println!("{} feeds, {} articles, {} unread", rep.feeds, rep.articles, rep.unread);
    if rep.problems.is_empty() {
        println!("database is consistent");
        return Ok(());
    }
    for p in &rep.problems {
        println!("problem: {p}");
    }
    bail!("{} problem(s) found in {}", rep.problems.len(), store.dir().display())
}

//! `tidings query`: query feeds, named expressions listed like feeds (config.toml's
//! `[[query]]`s and the ones added here, which live in the database).

use anyhow::{bail, Result};
use clap::Subcommand;
use serde::Serialize;

use super::{clean, quiet};
use crate::config::Config;
use crate::engine::Engine;
use crate::store::QueryFeed;

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// List the query feeds with their unread and total counts
    List {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Add a query feed: `tidings query add "Rust this week" 'title:rust and age<7d'`
    Add {
        name: String,
        /// A query expression (the grammar: README.md, "Query language")
        expr: String,
    },
    /// Remove a query feed added with `query add` (config.toml's are removed there)
    Remove { name: String },
}

#[derive(Serialize)]
struct QueryFeedJson {
    name: String,
    query: String,
    /// "config" or "database"
    defined_in: &'static str,
    unread: Option<u64>,
    total: Option<u64>,
    error: Option<String>,
}

pub fn run(engine: &Engine, config: &Config, command: QueryCommand) -> Result<()> {
    match command {
        QueryCommand::List { json } => list(engine, config, json),
        QueryCommand::Add { name, expr } => {
            let name = name.trim().to_owned();
            if name.is_empty() {
                bail!("a query feed needs a name: tidings query add NAME EXPR");
            }
            // Parsed here, so an error shows with its caret (and exits with 2).
            crate::query::Query::parse(&expr)?;
            if config.query_feeds.iter().any(|q| q.name == name) {
                bail!(
                    "config.toml defines a query feed called \"{}\" already: pick another name",
                    clean(&name)
                );
            }
            if !engine.add_query_feed(QueryFeed { name: name.clone(), query: expr.clone() })? {
                bail!(
                    "there is a query feed called \"{}\" already: `tidings query remove` it first, or pick another name",
                    clean(&name)
                );
            }
            let counts = engine.query_counts(std::slice::from_ref(&expr))?;
            match counts.first() {
                Some(Ok(c)) => {
                    note!("added query feed \"{}\": {} unread of {}", clean(&name), c.unread, c.total);
                }
                _ => note!("added query feed \"{}\"", clean(&name)),
            }
            Ok(())
        }
        QueryCommand::Remove { name } => {
            if engine.remove_query_feed(&name)? {
                note!("removed query feed \"{}\"", clean(&name));
                Ok(())
            } else if config.query_feeds.iter().any(|q| q.name == name) {
                bail!(
                    "the query feed \"{}\" is defined in config.toml: remove its [[query]] there",
                    clean(&name)
                )
            } else {
                bail!("no query feed is called \"{}\" (see `tidings query list`)", clean(&name))
            }
        }
    }
}

fn list(engine: &Engine, config: &Config, json: bool) -> Result<()> {
    let feeds = crate::store::query_feeds_with_config(&config.query_feeds, engine.query_feeds()?);
    let exprs: Vec<String> = feeds.iter().map(|(q, _)| q.query.clone()).collect();
    let counts = engine.query_counts(&exprs)?;
    if json {
        let rows: Vec<QueryFeedJson> = feeds
            .iter()
            .zip(&counts)
            .map(|((q, from_config), c)| QueryFeedJson {
                name: clean(&q.name),
                query: clean(&q.query),
                defined_in: if *from_config { "config" } else { "database" },
                unread: c.as_ref().ok().map(|c| c.unread),
                total: c.as_ref().ok().map(|c| c.total),
                error: c.as_ref().err().map(|e| clean(e)),
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if feeds.is_empty() {
        eprintln!("no query feeds: add one with `tidings query add NAME EXPR` or [[query]] in config.toml");
    }
    for ((q, from_config), c) in feeds.iter().zip(&counts) {
        let counts = match c {
            Ok(c) => format!("{}/{}", c.unread, c.total),
            Err(e) => format!("error: {}", clean(e)),
        };
        let origin = if *from_config { "  (config.toml)" } else { "" };
        outln!("{:>12}  {}  {}{origin}", counts, clean(&q.name), clean(&q.query));
    }
    Ok(())
}

//! tidings: a fast, safe terminal feed reader (RSS, Atom, JSON Feed).
//!
//! The headless core lives here so that the command line, the reader and the tests all drive
//! the same code: `fetch` gets bytes, `parse` turns them into articles, `store` keeps them,
//! `refresh` runs the three together, `subscriptions` reads and writes OPML and newsboat
//! `urls` files, and `cli` exposes it all on the command line.

pub mod cli;
pub mod config;
pub mod engine;
pub mod fetch;
pub(crate) mod html;
pub mod logfile;
pub(crate) mod memtrace;
pub mod model;
pub mod opener;
pub mod parse;
pub mod query;
pub mod refresh;
pub mod render;
pub(crate) mod samples;
pub mod sanitize;
pub mod search;
pub mod store;
pub mod subscriptions;
pub mod sync;
pub mod ui;
pub(crate) mod unread_cache;
pub(crate) mod words;

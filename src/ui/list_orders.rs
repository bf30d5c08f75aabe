//! The order `O` chose for each list, kept between runs in the data dir's `list-orders`: one
//! line per list, `feed:12 oldest`, `query:Unread tech title`, `starred unread`. A search's
//! order is not kept (searches come and go).
//!
//! A preference, not data: it lives beside the database, not in it, so setting it needs no
//! store request and no holder. Written whole to a temporary file and renamed over the old
//! one, so a kill leaves the old file or the new one; two readers setting orders at once keep
//! the last one written. A line that cannot be read is skipped.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::app::{ArticleOrder, Source};

use crate::store::datadir::{LIST_ORDERS_FILE as FILE, LIST_ORDERS_TMP_PREFIX};

/// More lines than any user has lists: the file is read whole at start.
const MAX_LINES: usize = 10_000;

/// A list's name in the file; `None` for a search.
pub(crate) fn key(source: Source) -> Option<String> {
    match source {
        Source::Feed(feed) => Some(format!("feed:{}", feed.0)),
        Source::Query { name, .. } => Some(format!("query:{name}")),
        Source::Starred => Some("starred".to_owned()),
        Source::Search { .. } => None,
    }
}

fn word(order: ArticleOrder) -> &'static str {
    match order {
        ArticleOrder::Newest => "newest",
        ArticleOrder::Oldest => "oldest",
        ArticleOrder::UnreadFirst => "unread",
        ArticleOrder::Title => "title",
        ArticleOrder::Feed => "feed",
        ArticleOrder::BestMatch => "best",
    }
}

fn from_word(word: &str) -> Option<ArticleOrder> {
    Some(match word {
        "newest" => ArticleOrder::Newest,
        "oldest" => ArticleOrder::Oldest,
        "unread" => ArticleOrder::UnreadFirst,
        "title" => ArticleOrder::Title,
        "feed" => ArticleOrder::Feed,
        "best" => ArticleOrder::BestMatch,
        _ => return None,
    })
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The kept orders; none when the file is missing or unreadable (a preference is not worth
/// stopping the reader for).
pub(crate) fn load(data_dir: &Path) -> HashMap<String, ArticleOrder> {
    let Ok(text) = std::fs::read_to_string(path(data_dir)) else { return HashMap::new() };
    parse(&text)
}

fn parse(text: &str) -> HashMap<String, ArticleOrder> {
    text.lines()
        .take(MAX_LINES)
        .filter_map(|line| {
            let (list, order) = line.rsplit_once(' ')?;
            Some((list.to_owned(), from_word(order)?))
        })
        .filter(|(list, _)| !list.is_empty() && !list.contains('\n'))
        .collect()
}

fn format(orders: &HashMap<String, ArticleOrder>) -> String {
    let mut lines: Vec<String> = orders
        .iter()
        // The default is what a missing line means.
        .filter(|(_, &order)| order != ArticleOrder::default())
        .map(|(list, &order)| format!("{list} {}\n", word(order)))
        .collect();
    lines.sort();
    lines.concat()
}

/// Writes `orders` as the kept ones (the whole file, atomically).
pub(crate) fn save(data_dir: &Path, orders: &HashMap<String, ArticleOrder>) -> std::io::Result<()> {
    let target = path(data_dir);
    let temporary = data_dir.join(format!("{LIST_ORDERS_TMP_PREFIX}{}", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(format(orders).as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, &target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedId;

    #[test]
    fn orders_survive_a_save_and_a_load_and_bad_lines_are_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(load(dir.path()).is_empty(), "no file: no orders");
        let mut orders = HashMap::new();
        for (source, order) in [
            (Source::Feed(FeedId(12)), ArticleOrder::Oldest),
            (Source::query("Unread tech", "unread"), ArticleOrder::Title),
            (Source::Starred, ArticleOrder::UnreadFirst),
            (Source::Feed(FeedId(3)), ArticleOrder::Newest),
        ] {
            orders.insert(key(source).expect("kept"), order);
        }
        save(dir.path(), &orders).expect("save");
        let text = std::fs::read_to_string(dir.path().join(FILE)).expect("written");
        assert_eq!(
            text, "feed:12 oldest\nquery:Unread tech title\nstarred unread\n",
            "the default is left out"
        );
        orders.remove("feed:3");
        assert_eq!(load(dir.path()), orders);
        assert_eq!(key(Source::search("words")), None, "a search's order is not kept");
        let parsed = parse("feed:1 sideways\nnonsense\n oldest\nfeed:2 title\n");
        assert_eq!(parsed, HashMap::from([("feed:2".to_owned(), ArticleOrder::Title)]));
    }
}

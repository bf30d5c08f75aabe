//! Key bindings: which key means which `Action`, from the defaults patched by `[keys]` in
//! config.toml, and the help listing generated from them.
//!
//! Contract: every user action has a stable snake_case name and a description (the names
//! are user-facing API: they appear in config files). A key means at most one action; a
//! key the user binds is taken away from the default action that had it. The one exception
//! to "every key is remappable" is Ctrl-c: raw mode turns it into a key, and it always quits
//! so that a bad keymap can never trap the user.
//!
//! Bindings are not per pane: `update` ignores an action that means nothing in the focused
//! pane (e.g. `m` in the feeds pane), so one map serves every pane.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use crate::config::KeyList;

/// What the help listing groups by, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Move,
    Open,
    Mark,
    View,
    Links,
    Feeds,
    Quit,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::Move => "Move",
            Group::Open => "Open",
            Group::Mark => "Mark",
            Group::View => "View",
            Group::Links => "Links",
            Group::Feeds => "Feeds",
            Group::Quit => "Quit",
        }
    }
}

/// One user action: its config name, the `Action` it sends, the help text and default keys.
struct Command {
    name: &'static str,
    action: Action,
    description: &'static str,
    defaults: &'static [&'static str],
    group: Group,
}

const fn command(
    group: Group,
    name: &'static str,
    action: Action,
    defaults: &'static [&'static str],
    description: &'static str,
) -> Command {
    Command { name, action, description, defaults, group }
}

/// Every bindable action, in help order. Ctrl-c is not listed: it is fixed (see `QUIT_KEY`).
const COMMANDS: &[Command] = &[
    command(Group::Move, "select_next", Action::SelectNext, &["j", "Down"], "next item"),
    command(Group::Move, "select_prev", Action::SelectPrev, &["k", "Up"], "previous item"),
    command(Group::Move, "select_first", Action::SelectFirst, &["g", "Home"], "first item"),
    command(Group::Move, "select_last", Action::SelectLast, &["G", "End"], "last item"),
    command(
        Group::Move,
        "page_down",
        Action::PageDown,
        &["PageDown", "Space", "Ctrl-d", "Ctrl-f"],
        "one page down",
    ),
    command(Group::Move, "page_up", Action::PageUp, &["PageUp", "Ctrl-u", "Ctrl-b"], "one page up"),
    command(Group::Move, "next_unread", Action::NextUnread, &["n"], "next unread article, in any feed"),
    command(Group::Move, "prev_unread", Action::PrevUnread, &["N"], "previous unread article"),
    command(Group::Move, "next_pane", Action::NextPane, &["Tab"], "next pane"),
    command(Group::Open, "open", Action::Open, &["Enter", "l", "Right"], "open the feed or article"),
    command(Group::Open, "back", Action::Back, &["h", "Esc", "Left"], "back to the previous pane"),
    command(Group::Mark, "toggle_read", Action::ToggleRead, &["m"], "mark the article read or unread"),
    command(Group::Mark, "toggle_star", Action::ToggleStar, &["s"], "star or unstar the article"),
    command(
        Group::Mark,
        "mark_feed_read",
        Action::MarkFeedRead,
        &["A"],
        "mark the whole feed read (on a tag heading: its feeds)",
    ),
    command(Group::Mark, "catch_up_all", Action::CatchUpAll, &["C"], "mark every article of every feed read"),
    command(Group::Mark, "undo", Action::Undo, &["u"], "undo the last marking"),
    command(
        Group::View,
        "toggle_unread_only",
        Action::ToggleUnreadOnly,
        &["U"],
        "show only unread, or everything",
    ),
    command(Group::View, "show_starred", Action::ShowStarred, &["S"], "starred articles of every feed"),
    command(Group::View, "next_tag", Action::NextTag, &["t"], "only the feeds of the next tag (then all)"),
    command(
        Group::View,
        "toggle_groups",
        Action::ToggleGroups,
        &["T"],
        "feeds under a heading per tag (Enter folds one), or flat",
    ),
    command(Group::View, "filter", Action::Filter, &["/"], "filter the list as you type"),
    command(
        Group::View,
        "search",
        Action::Search,
        &["Ctrl-/", "F"],
        "search every article (words, \"phrases\"), best first",
    ),
    command(
        Group::View,
        "cycle_order",
        Action::CycleOrder,
        &["O"],
        "order the articles: newest, oldest, unread first, title, feed",
    ),
    command(Group::View, "feed_info", Action::FeedInfo, &["i"], "the feed's fetch history"),
    command(Group::View, "help", Action::Help, &["?"], "this help"),
    command(
        Group::Links,
        "open_in_browser",
        Action::OpenInBrowser,
        &["o"],
        "open the article in the browser",
    ),
    command(Group::Links, "open_link_1", Action::OpenLink(1), &["1"], "open the article's link 1"),
    command(Group::Links, "open_link_2", Action::OpenLink(2), &["2"], "open the article's link 2"),
    command(Group::Links, "open_link_3", Action::OpenLink(3), &["3"], "open the article's link 3"),
    command(Group::Links, "open_link_4", Action::OpenLink(4), &["4"], "open the article's link 4"),
    command(Group::Links, "open_link_5", Action::OpenLink(5), &["5"], "open the article's link 5"),
    command(Group::Links, "open_link_6", Action::OpenLink(6), &["6"], "open the article's link 6"),
    command(Group::Links, "open_link_7", Action::OpenLink(7), &["7"], "open the article's link 7"),
    command(Group::Links, "open_link_8", Action::OpenLink(8), &["8"], "open the article's link 8"),
    command(Group::Links, "open_link_9", Action::OpenLink(9), &["9"], "open the article's link 9"),
    command(Group::Links, "copy_link", Action::CopyLink, &["y"], "copy the article's link"),
    command(Group::Feeds, "refresh_feed", Action::RefreshFeed, &["r"], "fetch the selected feed now"),
    command(Group::Feeds, "refresh_all", Action::RefreshAll, &["R"], "fetch every feed now"),
    command(Group::Feeds, "add_feed", Action::AddFeed, &["a"], "subscribe to a feed by URL"),
    command(Group::Feeds, "remove_feed", Action::RemoveFeed, &["D"], "remove the selected feed (asks first)"),
    command(Group::Feeds, "rename_feed", Action::RenameFeed, &["E"], "give the selected feed your own title"),
    command(
        Group::Feeds,
        "edit_tags",
        Action::EditTags,
        &["#"],
        "set the selected feed's tags; on an article, its own tags",
    ),
    command(
        Group::Feeds,
        "edit_request_options",
        Action::EditRequestOptions,
        &["e"],
        "edit the selected feed's request options (User-Agent, Referer, headers, proxy)",
    ),
    command(
        Group::Feeds,
        "move_feed_down",
        Action::MoveFeed(1),
        &["J"],
        "move the selected feed down the list",
    ),
    command(Group::Feeds, "move_feed_up", Action::MoveFeed(-1), &["K"], "move the selected feed up the list"),
    command(
        Group::Quit,
        "close",
        Action::Close,
        &["q"],
        "back one pane, as Esc (a window closes, a filter clears); quit from the feeds pane",
    ),
    command(Group::Quit, "quit", Action::Quit, &["Q"], "quit from any pane"),
];

/// The one help line of the link keys while they are on their default digits.
const NUMBERED_LINKS: &str = "open_link_1..9";
const NUMBERED_LINKS_DESCRIPTION: &str =
    "open the article's numbered link (over 9 links: type the number, Enter)";

/// The description the help listing gives the action named `action` (a config name, or
/// `open_link_1..9` for the digits' shared line): how a help line is found again by action,
/// e.g. for the hint line.
pub(crate) fn description_of(action: &str) -> Option<&'static str> {
    if action == NUMBERED_LINKS {
        return Some(NUMBERED_LINKS_DESCRIPTION);
    }
    COMMANDS.iter().find(|c| c.name == action).map(|c| c.description)
}

/// Ctrl-c: always quits, whatever the config says.
const QUIT_KEY: Key = Key { code: KeyCode::Char('c'), ctrl: true, alt: false };

/// A key typed while a prompt is open: text, not commands.
pub(crate) fn prompt_key(key: KeyEvent) -> Option<Action> {
    use super::action::InputKey;
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let input = match key.code {
        KeyCode::Char('c') if ctrl => return Some(Action::Quit),
        KeyCode::Char('w') if ctrl => InputKey::DeleteWord,
        KeyCode::Char('u') if ctrl => InputKey::Clear,
        KeyCode::Char(_) if ctrl => return None,
        KeyCode::Char(c) => InputKey::Char(c),
        KeyCode::Backspace => InputKey::Backspace,
        KeyCode::Enter => InputKey::Submit,
        KeyCode::Esc => InputKey::Cancel,
        _ => return None,
    };
    Some(Action::Input(input))
}

/// How to write a key, for error messages.
const KEY_SYNTAX: &str = "write keys like j, G, Enter, Ctrl-d, F5, Space";

/// A key as bindings see it: a key code plus Ctrl and Alt. Shift is part of the character
/// ("G" is shift-g), so it is not a modifier here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    code: KeyCode,
    ctrl: bool,
    alt: bool,
}

/// Names of the keys that are not one character, as written in config.toml and in help.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Space", KeyCode::Char(' ')),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Insert", KeyCode::Insert),
    ("Delete", KeyCode::Delete),
];

impl Key {
    fn new(code: KeyCode, ctrl: bool, alt: bool) -> Key {
        // Terminals send Ctrl-d and Ctrl-D as the same byte, so only the lowercase one exists.
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            code => code,
        };
        Key { code, ctrl, alt }
    }

    /// The key a terminal event means, or `None` for releases and keys nothing can bind
    /// (Super, Hyper and Meta combinations).
    pub(crate) fn from_event(event: KeyEvent) -> Option<Key> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let m = event.modifiers;
        if m.intersects(KeyModifiers::SUPER | KeyModifiers::HYPER | KeyModifiers::META) {
            return None;
        }
        let shift = m.contains(KeyModifiers::SHIFT);
        // crossterm reports shift-g as 'G' with SHIFT, and some terminals (the kitty
        // protocol) as 'g' with SHIFT: both are "G". Shift on other keys adds nothing a
        // binding can name, except Shift-Tab, which some terminals do not turn into BackTab.
        let ctrl = m.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            // Terminals without the kitty protocol send Ctrl-/ as the byte of Ctrl-_, which
            // crossterm reads as Ctrl-7: all three are the one key a binding calls Ctrl-/.
            KeyCode::Char('7' | '_') if ctrl => KeyCode::Char('/'),
            KeyCode::Char(c) if shift => KeyCode::Char(uppercase(c)),
            KeyCode::Tab if shift => KeyCode::BackTab,
            code => code,
        };
        Some(Key::new(code, ctrl, m.contains(KeyModifiers::ALT)))
    }
}

fn uppercase(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        // 'ß' and friends have no one-character capital; keep the character as typed.
        _ => c,
    }
}

impl FromStr for Key {
    type Err = ();

    /// Parses `j`, `G`, `Enter`, `F5`, `Ctrl-d`, `Alt-x`, `Ctrl-Alt-Space`... Names and
    /// modifiers ignore case; a single character does not ("g" and "G" differ).
    fn from_str(text: &str) -> Result<Key, ()> {
        let (mut ctrl, mut alt) = (false, false);
        let mut rest = text;
        // A lone "-" and "Ctrl--" are keys, so a prefix is only taken if something follows.
        while rest.chars().count() > 1 {
            if let Some(r) = strip_prefix_ignore_case(rest, "ctrl-").filter(|_| !ctrl) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = strip_prefix_ignore_case(rest, "alt-").filter(|_| !alt) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(()),
            (Some(c), None) if c.is_control() => return Err(()),
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or(())?,
        };
        Ok(Key::new(code, ctrl, alt))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

fn named_key(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*code);
    }
    let number = strip_prefix_ignore_case(name, "f")?;
    match number.parse::<u8>() {
        // "F05" would parse as 5 but never be displayed that way; ask for the usual spelling.
        Ok(n @ 1..=12) if !number.starts_with('0') => Some(KeyCode::F(n)),
        _ => None,
    }
}

impl fmt::Display for Key {
    /// The spelling config.toml accepts, so `parse(display(key)) == key`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            // Not reachable from config or `from_event` lookups that matter; shown for debugging.
            other => write!(f, "{other:?}"),
        }
    }
}

/// A bad `[keys]` entry. Each message names the entry and says what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeymapError {
    #[error("keys.{action}: no such action; actions are: {}", action_names())]
    UnknownAction { action: String },
    #[error("keys.{action}: {key:?} is not a key; {KEY_SYNTAX}")]
    BadKey { action: String, key: String },
    #[error("keys.{action}: Ctrl-c always quits and cannot be bound to another action; pick another key")]
    ReservedKey { action: String },
    #[error("keys.{second}: {key} is also bound to {first}; a key can mean only one action, so remove it from one of them")]
    Conflict { key: String, first: String, second: String },
}

fn action_names() -> String {
    COMMANDS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// One line of the `?` overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HelpEntry {
    /// The heading the entry belongs under ("Move", "Open", ...); entries come grouped.
    pub(crate) section: &'static str,
    /// The keys bound to the action, e.g. "j, Down"; empty when the user unbound it.
    pub(crate) keys: String,
    /// The action's config name, e.g. "select_next" ("open_link_1..9" for the link keys
    /// while they are on their default digits).
    pub(crate) action: &'static str,
    pub(crate) description: &'static str,
}

/// The live key bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Keymap {
    /// Key to index in `COMMANDS`.
    by_key: HashMap<Key, usize>,
    /// Per entry of `COMMANDS`, its keys in the order they were written.
    keys: Vec<Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        // `defaults_are_unambiguous_and_parse` checks every default key, so none is dropped.
        let keys =
            COMMANDS.iter().map(|c| c.defaults.iter().filter_map(|k| k.parse().ok()).collect()).collect();
        Keymap::from_keys(keys)
    }
}

impl Keymap {
    fn from_keys(keys: Vec<Vec<Key>>) -> Keymap {
        let mut by_key = HashMap::new();
        for (index, list) in keys.iter().enumerate() {
            for key in list {
                by_key.insert(*key, index);
            }
        }
        Keymap { by_key, keys }
    }

    /// The defaults patched by `[keys]`: an entry replaces that action's keys (`[]` unbinds
    /// it), and a key the user binds leaves whichever default action had it.
    pub(crate) fn from_config(config: &BTreeMap<String, KeyList>) -> Result<Keymap, KeymapError> {
        let mut user: Vec<Option<Vec<Key>>> = vec![None; COMMANDS.len()];
        let mut taken: HashMap<Key, &str> = HashMap::new();
        for (name, list) in config {
            let Some(index) = COMMANDS.iter().position(|c| c.name == name) else {
                return Err(KeymapError::UnknownAction { action: name.clone() });
            };
            let mut keys = Vec::new();
            for text in list.keys() {
                let key: Key = text
                    .parse()
                    .map_err(|()| KeymapError::BadKey { action: name.clone(), key: text.to_owned() })?;
                if key == QUIT_KEY && COMMANDS[index].action != Action::Quit {
                    return Err(KeymapError::ReservedKey { action: name.clone() });
                }
                match taken.get(&key) {
                    Some(first) if *first != name => {
                        return Err(KeymapError::Conflict {
                            key: key.to_string(),
                            first: (*first).to_owned(),
                            second: name.clone(),
                        });
                    }
                    Some(_) => continue, // the same key twice in one entry
                    None => {
                        taken.insert(key, name);
                        keys.push(key);
                    }
                }
            }
            user[index] = Some(keys);
        }
        let defaults = Keymap::default();
        let keys = defaults
            .keys
            .into_iter()
            .zip(user)
            .map(|(default, user)| match user {
                Some(keys) => keys,
                None => default.into_iter().filter(|k| !taken.contains_key(k)).collect(),
            })
            .collect();
        Ok(Keymap::from_keys(keys))
    }

    /// The action `event` is bound to; nothing for key releases and unbound keys.
    /// Ctrl-c: it quits at once, even with keys still waiting to be obeyed.
    pub(crate) fn is_quit_key(event: KeyEvent) -> bool {
        Key::from_event(event) == Some(QUIT_KEY)
    }

    pub(crate) fn action_for(&self, event: KeyEvent) -> Option<Action> {
        let key = Key::from_event(event)?;
        if key == QUIT_KEY {
            return Some(Action::Quit);
        }
        self.by_key.get(&key).map(|&index| COMMANDS[index].action.clone())
    }

    /// The bindings for the `?` overlay, grouped by `section`: moving, opening and going
    /// back, marking, views, links, feeds, quitting. Unbound actions are listed with empty
    /// `keys` (so the overlay also tells their names).
    pub(crate) fn help(&self) -> Vec<HelpEntry> {
        let mut entries = Vec::with_capacity(COMMANDS.len());
        let links_on_digits = self.links_on_default_digits();
        for (index, command) in COMMANDS.iter().enumerate() {
            let is_numbered_link = matches!(command.action, Action::OpenLink(_));
            if is_numbered_link && links_on_digits {
                // Nine lines saying "1 opens link 1" would crowd the overlay: one says it all.
                if command.action == Action::OpenLink(1) {
                    entries.push(HelpEntry {
                        section: command.group.title(),
                        keys: "1-9".to_owned(),
                        action: NUMBERED_LINKS,
                        description: NUMBERED_LINKS_DESCRIPTION,
                    });
                }
                continue;
            }
            let mut keys: Vec<String> = self.keys[index].iter().map(Key::to_string).collect();
            if command.action == Action::Quit && !self.keys[index].contains(&QUIT_KEY) {
                keys.push(QUIT_KEY.to_string());
            }
            entries.push(HelpEntry {
                section: command.group.title(),
                keys: keys.join(", "),
                action: command.name,
                description: command.description,
            });
        }
        entries
    }

    fn links_on_default_digits(&self) -> bool {
        COMMANDS.iter().zip(&self.keys).all(|(command, keys)| match command.action {
            Action::OpenLink(n) => {
                let digit = char::from_digit(u32::from(n), 10);
                keys.len() == 1 && digit.is_some_and(|d| keys[0] == Key::new(KeyCode::Char(d), false, false))
            }
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::from(code)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn config(entries: &[(&str, &[&str])]) -> BTreeMap<String, KeyList> {
        entries
            .iter()
            .map(|(name, keys)| {
                ((*name).to_owned(), KeyList::Many(keys.iter().map(|k| (*k).to_owned()).collect()))
            })
            .collect()
    }

    fn remapped(entries: &[(&str, &[&str])]) -> Keymap {
        Keymap::from_config(&config(entries)).unwrap()
    }

    fn error(entries: &[(&str, &[&str])]) -> String {
        Keymap::from_config(&config(entries)).unwrap_err().to_string()
    }

    #[test]
    fn default_bindings() {
        let k = Keymap::default();
        let cases = [
            (key(KeyCode::Char('j')), Action::SelectNext),
            (key(KeyCode::Down), Action::SelectNext),
            (key(KeyCode::Char('k')), Action::SelectPrev),
            (key(KeyCode::Up), Action::SelectPrev),
            (key(KeyCode::Char('g')), Action::SelectFirst),
            (key(KeyCode::Home), Action::SelectFirst),
            (key(KeyCode::Char('G')), Action::SelectLast),
            (key(KeyCode::End), Action::SelectLast),
            (key(KeyCode::Char(' ')), Action::PageDown),
            (key(KeyCode::PageDown), Action::PageDown),
            (ctrl('d'), Action::PageDown),
            (ctrl('f'), Action::PageDown),
            (key(KeyCode::PageUp), Action::PageUp),
            (ctrl('u'), Action::PageUp),
            (ctrl('b'), Action::PageUp),
            (key(KeyCode::Enter), Action::Open),
            (key(KeyCode::Char('l')), Action::Open),
            (key(KeyCode::Right), Action::Open),
            (key(KeyCode::Char('h')), Action::Back),
            (key(KeyCode::Esc), Action::Back),
            (key(KeyCode::Left), Action::Back),
            (key(KeyCode::Tab), Action::NextPane),
            (key(KeyCode::Char('m')), Action::ToggleRead),
            (key(KeyCode::Char('s')), Action::ToggleStar),
            (key(KeyCode::Char('A')), Action::MarkFeedRead),
            (key(KeyCode::Char('r')), Action::RefreshFeed),
            (key(KeyCode::Char('R')), Action::RefreshAll),
            (key(KeyCode::Char('n')), Action::NextUnread),
            (key(KeyCode::Char('N')), Action::PrevUnread),
            (key(KeyCode::Char('u')), Action::Undo),
            (key(KeyCode::Char('U')), Action::ToggleUnreadOnly),
            (key(KeyCode::Char('t')), Action::NextTag),
            (key(KeyCode::Char('T')), Action::ToggleGroups),
            (key(KeyCode::Char('S')), Action::ShowStarred),
            (key(KeyCode::Char('/')), Action::Filter),
            (key(KeyCode::Char('F')), Action::Search),
            // Ctrl-/ as the kitty protocol, crossterm's reading of byte 0x1f, and its name.
            (ctrl('/'), Action::Search),
            (ctrl('7'), Action::Search),
            (ctrl('_'), Action::Search),
            (key(KeyCode::Char('a')), Action::AddFeed),
            (key(KeyCode::Char('e')), Action::EditRequestOptions),
            (key(KeyCode::Char('o')), Action::OpenInBrowser),
            (key(KeyCode::Char('1')), Action::OpenLink(1)),
            (key(KeyCode::Char('5')), Action::OpenLink(5)),
            (key(KeyCode::Char('9')), Action::OpenLink(9)),
            (key(KeyCode::Char('y')), Action::CopyLink),
            (key(KeyCode::Char('i')), Action::FeedInfo),
            (key(KeyCode::Char('?')), Action::Help),
            (key(KeyCode::Char('q')), Action::Close),
            (key(KeyCode::Char('Q')), Action::Quit),
            (ctrl('c'), Action::Quit),
        ];
        for (event, action) in cases {
            assert_eq!(k.action_for(event), Some(action), "{event:?}");
        }
        assert_eq!(k.action_for(key(KeyCode::Char('x'))), None);
        assert_eq!(k.action_for(key(KeyCode::Char('0'))), None);
        assert_eq!(k.action_for(ctrl('x')), None);
    }

    #[test]
    fn marking_keys_do_nothing_in_the_feeds_pane() {
        // The keymap no longer looks at the pane: `update` ignores what does not apply there.
        for c in ['m', 's'] {
            let mut app = crate::ui::app::App::sample(80, 24);
            app.focus = crate::ui::app::Pane::Feeds;
            let before = (app.articles.entries.clone(), app.articles.rows.clone());
            let action = Keymap::default().action_for(key(KeyCode::Char(c))).unwrap();
            assert!(crate::ui::update(&mut app, action).is_empty(), "{c}");
            assert_eq!((app.articles.entries.clone(), app.articles.rows.clone()), before, "{c}");
        }
    }

    #[test]
    fn defaults_are_unambiguous_and_parse() {
        let mut seen = HashMap::new();
        for command in COMMANDS {
            for text in command.defaults {
                let key: Key = text.parse().unwrap_or_else(|()| panic!("{text:?}"));
                assert_ne!(key, QUIT_KEY, "{}", command.name);
                if let Some(other) = seen.insert(key, command.name) {
                    panic!("{text} is bound to both {other} and {}", command.name);
                }
            }
        }
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "duplicate action names");
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
    }

    #[test]
    fn releases_are_ignored_and_repeats_are_not() {
        let k = Keymap::default();
        let mut event = key(KeyCode::Char('j'));
        event.kind = KeyEventKind::Release;
        assert_eq!(k.action_for(event), None);
        event.kind = KeyEventKind::Repeat;
        assert_eq!(k.action_for(event), Some(Action::SelectNext));
    }

    #[test]
    fn shift_is_matched_however_the_terminal_reports_it() {
        let k = Keymap::default();
        let shift = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT);
        assert_eq!(k.action_for(shift('G')), Some(Action::SelectLast));
        assert_eq!(k.action_for(shift('g')), Some(Action::SelectLast));
        assert_eq!(k.action_for(shift('?')), Some(Action::Help));
        assert_eq!(k.action_for(ctrl('D')), Some(Action::PageDown));
        let ctrl_shift_c = KeyEvent::new(KeyCode::Char('C'), KeyModifiers::CONTROL | KeyModifiers::SHIFT);
        assert_eq!(k.action_for(ctrl_shift_c), Some(Action::Quit));
        let shift_tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        let k = remapped(&[("next_pane", &["BackTab"])]);
        assert_eq!(k.action_for(shift_tab), Some(Action::NextPane));
        assert_eq!(
            k.action_for(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::NextPane)
        );
        let alt_j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::ALT);
        assert_eq!(k.action_for(alt_j), None, "Alt-j is not j");
    }

    #[test]
    fn a_remap_replaces_the_defaults_of_that_action() {
        let k = remapped(&[("next_unread", &["Ctrl-n", "F5"]), ("quit", &["X"])]);
        assert_eq!(k.action_for(ctrl('n')), Some(Action::NextUnread));
        assert_eq!(k.action_for(key(KeyCode::F(5))), Some(Action::NextUnread));
        assert_eq!(k.action_for(key(KeyCode::Char('n'))), None);
        assert_eq!(k.action_for(key(KeyCode::Char('X'))), Some(Action::Quit));
        assert_eq!(k.action_for(key(KeyCode::Char('Q'))), None);
        assert_eq!(k.action_for(ctrl('c')), Some(Action::Quit), "Ctrl-c still quits");
        assert_eq!(k.action_for(key(KeyCode::Char('j'))), Some(Action::SelectNext), "others untouched");
    }

    #[test]
    fn a_key_the_user_binds_leaves_its_default_action() {
        // `j` was select_next's; now it is only next_unread's, and Down still selects.
        let k = remapped(&[("next_unread", &["j"])]);
        assert_eq!(k.action_for(key(KeyCode::Char('j'))), Some(Action::NextUnread));
        assert_eq!(k.action_for(key(KeyCode::Down)), Some(Action::SelectNext));
        let help = k.help();
        let select_next = help.iter().find(|e| e.action == "select_next").unwrap();
        assert_eq!(select_next.keys, "Down");
        // Swapping two keys is two entries that each take the other's key.
        let k = remapped(&[("select_next", &["k"]), ("select_prev", &["j"])]);
        assert_eq!(k.action_for(key(KeyCode::Char('k'))), Some(Action::SelectNext));
        assert_eq!(k.action_for(key(KeyCode::Char('j'))), Some(Action::SelectPrev));
    }

    #[test]
    fn an_empty_list_unbinds() {
        let k = remapped(&[("refresh_all", &[]), ("quit", &[])]);
        assert_eq!(k.action_for(key(KeyCode::Char('R'))), None);
        assert_eq!(k.action_for(key(KeyCode::Char('Q'))), None);
        assert_eq!(k.action_for(ctrl('c')), Some(Action::Quit));
        let help = k.help();
        assert_eq!(help.iter().find(|e| e.action == "refresh_all").unwrap().keys, "");
        assert_eq!(help.iter().find(|e| e.action == "quit").unwrap().keys, "Ctrl-c");
    }

    #[test]
    fn a_single_string_works_like_a_list() {
        let keys: BTreeMap<String, KeyList> = [("quit".to_owned(), KeyList::One("X".to_owned()))].into();
        let k = Keymap::from_config(&keys).unwrap();
        assert_eq!(k.action_for(key(KeyCode::Char('X'))), Some(Action::Quit));
    }

    #[test]
    fn two_actions_on_one_key_is_an_error() {
        let err = error(&[("next_unread", &["x"]), ("toggle_read", &["x"])]);
        assert_eq!(
            err,
            "keys.toggle_read: x is also bound to next_unread; a key can mean only one action, \
             so remove it from one of them"
        );
        // Different spellings of one key are the same key.
        let err = error(&[("back", &["ctrl-x"]), ("open", &["Ctrl-X"])]);
        assert!(err.contains("Ctrl-x is also bound to back"), "{err}");
        // The same key twice in one entry is harmless.
        let k = remapped(&[("quit", &["Q", "Q"])]);
        assert_eq!(k.help().iter().find(|e| e.action == "quit").unwrap().keys, "Q, Ctrl-c");
    }

    #[test]
    fn ctrl_c_cannot_be_rebound() {
        let err = error(&[("help", &["Ctrl-c"])]);
        assert!(err.starts_with("keys.help: Ctrl-c always quits"), "{err}");
        // Binding it to quit says what is true anyway.
        assert_eq!(remapped(&[("quit", &["Ctrl-c"])]).action_for(ctrl('c')), Some(Action::Quit));
    }

    #[test]
    fn bad_names_and_keys_say_what_is_valid() {
        let err = error(&[("nxt_unread", &["n"])]);
        assert!(err.starts_with("keys.nxt_unread: no such action; actions are: select_next, "), "{err}");
        assert!(err.contains("next_unread") && err.contains("open_link_9") && err.ends_with("quit"), "{err}");
        let err = error(&[("quit", &["Ctrl-"])]);
        assert_eq!(err, "keys.quit: \"Ctrl-\" is not a key; write keys like j, G, Enter, Ctrl-d, F5, Space");
        for bad in ["", "Shift-x", "F13", "F0", "F05", "jj", "Ctrl-Ctrl-x", "\t", "PgUp"] {
            let err = error(&[("help", &[bad])]);
            assert!(err.starts_with("keys.help: ") && err.contains("is not a key"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn keys_display_as_they_parse() {
        for text in [
            "j",
            "G",
            "?",
            "/",
            "1",
            "-",
            "é",
            "Space",
            "Enter",
            "Esc",
            "Tab",
            "BackTab",
            "Backspace",
            "Up",
            "Down",
            "Left",
            "Right",
            "Home",
            "End",
            "PageUp",
            "PageDown",
            "Insert",
            "Delete",
            "F1",
            "F12",
            "Ctrl-d",
            "Alt-x",
            "Alt-X",
            "Ctrl-Alt-x",
            "Ctrl--",
            "Ctrl-Space",
            "Alt-Enter",
        ] {
            let key: Key = text.parse().unwrap_or_else(|()| panic!("{text:?}"));
            assert_eq!(key.to_string(), text);
            assert_eq!(key.to_string().parse::<Key>(), Ok(key));
        }
        // Other spellings parse to the same key and display the usual way.
        for (text, shown) in [
            ("enter", "Enter"),
            ("PAGEDOWN", "PageDown"),
            ("ctrl-D", "Ctrl-d"),
            ("alt-ctrl-x", "Ctrl-Alt-x"),
            (" ", "Space"),
            ("f5", "F5"),
        ] {
            assert_eq!(text.parse::<Key>().map(|k| k.to_string()), Ok(shown.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn help_lists_every_action_in_groups() {
        let help = Keymap::default().help();
        let actions: Vec<&str> = help.iter().map(|e| e.action).collect();
        assert_eq!(actions.first(), Some(&"select_next"));
        assert_eq!(actions.last(), Some(&"quit"));
        assert!(!actions.contains(&"open_link_2"), "the link keys share one line");
        let entry = |name: &str| help.iter().find(|e| e.action == name).unwrap().clone();
        assert_eq!(entry("select_next").keys, "j, Down");
        assert_eq!(entry("page_down").keys, "PageDown, Space, Ctrl-d, Ctrl-f");
        assert_eq!(entry("open_link_1..9").keys, "1-9");
        assert_eq!(entry("close").keys, "q");
        assert_eq!(entry("quit").keys, "Q, Ctrl-c");
        assert_eq!(entry("help").description, "this help");
        let position = |name: &str| actions.iter().position(|a| *a == name).unwrap();
        assert!(position("prev_unread") < position("open"));
        assert!(position("back") < position("toggle_read"));
        assert!(position("undo") < position("filter"));
        assert!(position("help") < position("open_in_browser"));
        assert!(position("copy_link") < position("refresh_feed"));
        assert_eq!(help.len(), COMMANDS.len() - 8);
    }

    #[test]
    fn help_reflects_a_remap() {
        let k = remapped(&[("select_next", &["Ctrl-n", "Down"]), ("open_link_3", &["F3"])]);
        let help = k.help();
        let entry = |name: &str| help.iter().find(|e| e.action == name).unwrap().clone();
        assert_eq!(entry("select_next").keys, "Ctrl-n, Down");
        // Once a link key moves, each link gets its own line again.
        assert_eq!(entry("open_link_3").keys, "F3");
        assert_eq!(entry("open_link_4").keys, "4");
        assert!(!help.iter().any(|e| e.action == "open_link_1..9"));
        assert_eq!(help.len(), COMMANDS.len());
    }

    #[test]
    fn each_help_line_is_found_again_by_its_action() {
        // The hint line finds a help line by description: each must be one action's.
        for help in [Keymap::default().help(), remapped(&[("open_link_3", &["F3"])]).help()] {
            for entry in &help {
                assert_eq!(description_of(entry.action), Some(entry.description), "{}", entry.action);
                let same = help.iter().filter(|e| e.description == entry.description).count();
                assert_eq!(same, 1, "{:?} is shared", entry.description);
            }
        }
        assert_eq!(description_of("no_such_action"), None);
    }
}

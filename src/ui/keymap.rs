//! Default key bindings: a key in a pane resolves to an `Action`, or to nothing.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::app::Pane;

/// The action bound to `key` while `pane` has focus.
pub fn action_for(key: KeyEvent, pane: Pane) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            // Raw mode turns Ctrl-C into a key; it still means quit.
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('d') | KeyCode::Char('f') => Some(Action::PageDown),
            KeyCode::Char('u') | KeyCode::Char('b') => Some(Action::PageUp),
            _ => None,
        };
    }
    let action = match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('j') | KeyCode::Down => Action::SelectNext,
        KeyCode::Char('k') | KeyCode::Up => Action::SelectPrev,
        KeyCode::Char('g') | KeyCode::Home => Action::SelectFirst,
        KeyCode::Char('G') | KeyCode::End => Action::SelectLast,
        KeyCode::Enter | KeyCode::Char('l') | KeyCode::Right => Action::Open,
        KeyCode::Char('h') | KeyCode::Esc | KeyCode::Left => Action::Back,
        KeyCode::Tab => Action::NextPane,
        KeyCode::Char(' ') | KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Char('m') if pane != Pane::Feeds => Action::ToggleRead,
        KeyCode::Char('s') if pane != Pane::Feeds => Action::ToggleStar,
        KeyCode::Char('A') => Action::MarkFeedRead,
        KeyCode::Char('r') => Action::RefreshFeed,
        KeyCode::Char('R') => Action::RefreshAll,
        KeyCode::Char('n') => Action::NextUnread,
        KeyCode::Char('N') => Action::PrevUnread,
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('U') => Action::ToggleUnreadOnly,
        KeyCode::Char('S') => Action::ShowStarred,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('a') => Action::AddFeed,
        KeyCode::Char('o') => Action::OpenInBrowser,
        KeyCode::Char(c @ '1'..='9') => Action::OpenLink(c as u8 - b'0'),
        KeyCode::Char('y') => Action::CopyLink,
        KeyCode::Char('i') => Action::FeedInfo,
        KeyCode::Char('?') => Action::Help,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::from(code)
    }

    #[test]
    fn default_bindings() {
        let p = Pane::Articles;
        assert_eq!(action_for(key(KeyCode::Char('j')), p), Some(Action::SelectNext));
        assert_eq!(action_for(key(KeyCode::Down), p), Some(Action::SelectNext));
        assert_eq!(action_for(key(KeyCode::Char('k')), p), Some(Action::SelectPrev));
        assert_eq!(action_for(key(KeyCode::Up), p), Some(Action::SelectPrev));
        assert_eq!(action_for(key(KeyCode::Char('g')), p), Some(Action::SelectFirst));
        assert_eq!(action_for(key(KeyCode::Char('G')), p), Some(Action::SelectLast));
        assert_eq!(action_for(key(KeyCode::Enter), p), Some(Action::Open));
        assert_eq!(action_for(key(KeyCode::Char('l')), p), Some(Action::Open));
        assert_eq!(action_for(key(KeyCode::Char('h')), p), Some(Action::Back));
        assert_eq!(action_for(key(KeyCode::Esc), p), Some(Action::Back));
        assert_eq!(action_for(key(KeyCode::Tab), p), Some(Action::NextPane));
        assert_eq!(action_for(key(KeyCode::Char(' ')), p), Some(Action::PageDown));
        assert_eq!(action_for(key(KeyCode::PageUp), p), Some(Action::PageUp));
        assert_eq!(action_for(key(KeyCode::Char('m')), p), Some(Action::ToggleRead));
        assert_eq!(action_for(key(KeyCode::Char('s')), p), Some(Action::ToggleStar));
        assert_eq!(action_for(key(KeyCode::Char('A')), p), Some(Action::MarkFeedRead));
        assert_eq!(action_for(key(KeyCode::Char('r')), p), Some(Action::RefreshFeed));
        assert_eq!(action_for(key(KeyCode::Char('R')), Pane::Feeds), Some(Action::RefreshAll));
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), p),
            Some(Action::Quit)
        );
        assert_eq!(action_for(key(KeyCode::Char('x')), p), None);
        assert_eq!(action_for(key(KeyCode::Char('m')), Pane::Feeds), None);
    }
}

//! The windows drawn over the panes (`?` help, `i` health): which keys they take.

use super::*;

/// Keys while an overlay is open: moving scrolls it, back, q or its own key closes it;
/// `None` lets the action through (facts from workers, resizes).
pub(super) fn overlay_action(app: &mut App, action: &Action) -> Option<Vec<Effect>> {
    let scroll = match app.overlay.shown.as_mut()? {
        Overlay::Help { scroll } | Overlay::Health { scroll, .. } => scroll,
    };
    let page = usize::from(app.height.saturating_sub(6)).max(1);
    match action {
        Action::SelectNext => *scroll = scroll.saturating_add(1),
        Action::SelectPrev => *scroll = scroll.saturating_sub(1),
        Action::PageDown => *scroll = scroll.saturating_add(page),
        Action::PageUp => *scroll = scroll.saturating_sub(page),
        Action::SelectFirst => *scroll = 0,
        Action::SelectLast => *scroll = usize::MAX / 2,
        // q (and Q) close the window like Esc (Ctrl-c, which always quits, never gets here).
        Action::Back | Action::Help | Action::FeedInfo | Action::Open | Action::Close | Action::Quit => {
            app.overlay.shown = None;
        }
        // The mouse, prompt text and every fact from workers go on as without the window.
        Action::MouseScroll { .. } | Action::MouseClick { .. } | Action::Input(_) => return None,
        fact if !fact.is_intent() => return None,
        // Other keys do nothing while a window covers the panes.
        _ => {}
    }
    Some(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_scroll_close_and_swallow_other_keys() {
        let mut app = App::sample(80, 24);
        assert_eq!(update(&mut app, Action::FeedInfo), vec![Effect::LoadHealth(FeedId(1))]);
        let records = vec![crate::store::FetchRecord { status: Some(200), ..Default::default() }];
        let _ = update(&mut app, Action::HealthLoaded { feed: FeedId(1), records: records.clone() });
        assert!(
            matches!(&app.overlay.shown, Some(Overlay::Health { records: Some(r), .. }) if *r == records)
        );
        // j scrolls the window, not the list; m does nothing; Esc closes.
        let _ = update(&mut app, Action::SelectNext);
        assert_eq!(app.feeds.sel, 0);
        assert!(matches!(app.overlay.shown, Some(Overlay::Health { scroll: 1, .. })));
        assert!(update(&mut app, Action::RefreshAll).is_empty());
        assert_eq!(app.background.refresh, None);
        let _ = update(&mut app, Action::Back);
        assert_eq!(app.overlay.shown, None);
        // q closes a window (each of them), and quits only from the panes.
        let _ = update(&mut app, Action::Help);
        assert!(matches!(app.overlay.shown, Some(Overlay::Help { .. })));
        assert!(update(&mut app, Action::Quit).is_empty());
        assert_eq!(app.overlay.shown, None);
        assert!(!app.quit);
        let _ = update(&mut app, Action::FeedInfo);
        assert!(update(&mut app, Action::Quit).is_empty());
        assert_eq!(app.overlay.shown, None);
        assert_eq!(update(&mut app, Action::Quit), vec![Effect::Quit]);
        // Ctrl-c quits from a window too.
        let _ = update(&mut app, Action::Help);
        let ctrl_c = crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('c'),
            crossterm::event::KeyModifiers::CONTROL,
        );
        assert_eq!(update(&mut app, Action::Key(ctrl_c)), vec![Effect::Quit]);
    }
}

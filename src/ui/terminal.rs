//! The terminal as the reader takes it, and gives it back: the one place that enters and
//! leaves its modes.
//!
//! [`TerminalGuard::enter`] turns on raw mode, the alternate screen and (with `mouse = true`
//! in `[reader]`) mouse capture. They are given back by [`restore`], which every way out
//! reaches: the guard's `Drop` (quit, an error returned, a termination signal, unwinding) and
//! the panic hook (a panic the reader does not contain). A flag makes the restore happen
//! exactly once, whichever comes first; [`TerminalGuard::take_back`] takes the terminal again
//! after handing it over (a terminal browser, Ctrl-z).
//!
//! The panic hook is installed here, once per process, on top of the log's hook
//! ([`crate::logfile::install_panic_hook`]). A panic inside a containment (feed parsing,
//! HTML layout, store decoding: see [`contained`]) is only logged, and the reader goes on
//! drawing in the alternate screen; any other panic restores the terminal first, so that the
//! panic message and the log's path are printed on the user's screen.
//!
//! Bracketed paste and focus reporting are not turned on: the reader has no use for them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, KeyCode, KeyEvent, KeyModifiers};
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::DefaultTerminal;

/// The reader has the terminal's modes changed and must give them back.
static TAKEN: AtomicBool = AtomicBool::new(false);
/// Mouse capture is among them.
static MOUSE: AtomicBool = AtomicBool::new(false);
/// Where the log is, for the message after a crash.
static LOG_PATH: OnceLock<PathBuf> = OnceLock::new();
static HOOK: Once = Once::new();

/// The terminal, in the reader's modes while this lives.
pub(crate) struct TerminalGuard {
    terminal: DefaultTerminal,
    mouse: bool,
}

impl TerminalGuard {
    /// Installs the panic hook (once) and takes the terminal: raw mode, alternate screen,
    /// mouse capture when `mouse`. On failure whatever was turned on is turned off again.
    pub(crate) fn enter(mouse: bool, log_file: &Path) -> io::Result<TerminalGuard> {
        install_panic_hook(log_file);
        if let Err(e) = take(mouse) {
            restore();
            return Err(e);
        }
        let backend = ratatui::backend::CrosstermBackend::new(io::stdout());
        match ratatui::Terminal::new(backend) {
            Ok(terminal) => Ok(TerminalGuard { terminal, mouse }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub(crate) fn terminal(&mut self) -> &mut DefaultTerminal {
        &mut self.terminal
    }

    /// Gives the terminal back (for a program that needs it): the same as leaving.
    pub(crate) fn hand_over(&mut self) {
        restore();
    }

    /// Takes the terminal again after [`TerminalGuard::hand_over`], and makes the next draw
    /// repaint everything.
    pub(crate) fn take_back(&mut self) -> io::Result<()> {
        take(self.mouse)?;
        crossterm::execute!(io::stdout(), crossterm::terminal::Clear(crossterm::terminal::ClearType::All))?;
        // Both buffers reset: the next draw repaints everything. (`Terminal::clear` would ask
        // the terminal for the cursor position, an answer that can be lost after a program ran.)
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }

    /// Ctrl-z: gives the terminal back, stops the process as the shell's job control
    /// expects, and takes the terminal again when the shell resumes it (`fg`). Where nothing
    /// can resume it (no job control: an orphaned process group), the kernel does not stop
    /// it and the reader simply comes back.
    #[allow(unsafe_code, reason = "raise(SIGTSTP): libc has no safe wrapper")]
    pub(crate) fn suspend(&mut self) -> io::Result<()> {
        self.hand_over();
        // SAFETY: raise(3) sends a signal to this process; SIGTSTP's default action stops
        // it (tidings sets no handler for it) and the call returns once it is continued.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        self.take_back()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Ctrl-z, the suspend key of shells (when the keymap does not bind it).
pub(crate) fn is_suspend_key(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('z')
        && key.modifiers.contains(KeyModifiers::CONTROL)
        && key.kind != crossterm::event::KeyEventKind::Release
}

/// Turns the reader's modes on. The flag is set first, so that a failure half-way is undone.
fn take(mouse: bool) -> io::Result<()> {
    MOUSE.store(mouse, Ordering::SeqCst);
    TAKEN.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    crossterm::execute!(io::stdout(), EnterAlternateScreen)?;
    if mouse {
        crossterm::execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Gives the terminal's modes back if the reader has them; true if this call did. Failures
/// are ignored: after SIGHUP the terminal is gone, and there is nobody left to tell.
pub(crate) fn restore() -> bool {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return false;
    }
    // Raw mode first: it has the most effect on what comes next (ratatui's order).
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = crossterm::execute!(out, DisableMouseCapture);
    }
    let _ = crossterm::execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = out.flush();
    true
}

/// True when the reader has the terminal in its modes.
#[cfg(test)]
pub(crate) fn is_taken() -> bool {
    TAKEN.load(Ordering::SeqCst)
}

/// True while this thread runs code whose panics are caught and handled (feed parsing,
/// HTML layout, store decoding): such a panic is logged and nothing else.
pub(crate) fn contained() -> bool {
    crate::parse::containing_panics()
        || crate::render::containing_panics()
        || crate::store::containing_panics()
}

/// The reader's panic hook, installed once, on top of the hook already there (the log's,
/// which logs the panic and then tells the user through the default hook).
fn install_panic_hook(log_file: &Path) {
    let _ = LOG_PATH.set(log_file.to_owned());
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if contained() {
                // Not a word on the screen: the reader keeps drawing in the alternate screen.
                tracing::warn!(
                    target: "tidings",
                    "contained panic: {}",
                    crate::sanitize::line(&info.to_string())
                );
                return;
            }
            restore();
            previous(info);
            if let Some(path) = LOG_PATH.get() {
                // Not `eprintln!`: with the terminal gone it would panic inside the hook.
                let _ = writeln!(
                    std::io::stderr(),
                    "tidings: the reader crashed; the log is in {}",
                    path.display()
                );
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_once_and_only_what_was_taken() {
        // Nothing taken: nothing to give back, and no escape sequence written.
        assert!(!restore());
        // As if taken (without a terminal, enabling raw mode would fail): the first restore
        // gives it back, the second (Drop after the panic hook) does nothing.
        TAKEN.store(true, Ordering::SeqCst);
        assert!(restore());
        assert!(!restore());
        assert!(!is_taken());
    }

    #[test]
    fn ctrl_z_is_the_suspend_key() {
        assert!(is_suspend_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL)));
        assert!(!is_suspend_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)));
        assert!(!is_suspend_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    }
}

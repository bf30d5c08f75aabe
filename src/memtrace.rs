//! Peak-memory probes for finding where a refresh's memory goes: with `TIDINGS_MEM_TRACE`
//! set, each [`stage`] prints the process's peak and current resident size to stderr.
//! Off (one cached env lookup) otherwise.

use std::sync::OnceLock;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("TIDINGS_MEM_TRACE").is_some())
}

/// Prints `VmHWM` (peak) and `VmRSS` (now) after `what`, when tracing is on (Linux only).
pub(crate) fn stage(what: &str) {
    if !enabled() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned())
    };
    eprintln!("mem: {what:<32} peak {:>12}  now {:>12}", field("VmHWM:"), field("VmRSS:"));
}

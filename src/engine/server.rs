//! The holder's socket: `tidings.sock` in the data dir, through which every other tidings
//! on the same data dir reaches the store.
//!
//! Contract: only the user who runs the holder gets an answer (the socket file is mode 0600
//! and each peer's uid is checked); a peer that does not greet with [`Hello`] of our protocol
//! gets a refusal that says why, never a crash; a socket file left by a killed holder is
//! replaced (whoever holds the store's lock owns the socket path, so any file there is stale).

use std::collections::HashMap;
use std::io::{BufReader, BufWriter};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

use super::holder::Holder;
use super::protocol::{
    read_frame, write_frame, Change, Event, Hello, Reply, Request, Welcome, MAGIC, MAX_REQUEST, PROTOCOL,
};

/// How long a closing holder waits for its watchers to take the changes published before the
/// close (a watcher that does not read is not waited for longer).
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The running server; dropping it stops accepting, sends each watcher the changes published
/// until then, hangs up on every client (they reconnect to whoever holds the store next) and
/// removes the socket file.
pub(crate) struct Server {
    path: PathBuf,
    accept: tokio::task::AbortHandle,
    clients: Clients,
    /// Set when the holder closes: watchers send what is queued, then hang up.
    closing: watch::Sender<bool>,
    /// Watchers still sending.
    watchers: Arc<AtomicUsize>,
}

/// The connected clients, so that a closing holder can hang up on them.
type Clients = Arc<Mutex<HashMap<u64, UnixStream>>>;

/// Forgets a client when its thread ends.
struct Registered {
    clients: Clients,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut all) = self.clients.lock() {
            all.remove(&self.id);
        }
    }
}

/// Counts a watcher while it sends.
struct Watching(Arc<AtomicUsize>);

impl Watching {
    fn start(count: &Arc<AtomicUsize>) -> Watching {
        count.fetch_add(1, Ordering::SeqCst);
        Watching(count.clone())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
        // Removed while this process still holds the store, so it is never a newer holder's.
        let _ = std::fs::remove_file(&self.path);
        // A change published just before the close (the end of a refresh `tidings refresh`
        // ran for a reader, which exits right after) would otherwise be lost in the hang-up:
        // the watchers' threads may not have sent it yet.
        self.closing.send_replace(true);
        let deadline = Instant::now() + CLOSE_GRACE;
        while self.watchers.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Ok(clients) = self.clients.lock() {
            for c in clients.values() {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

/// Binds the socket (replacing a stale one) and serves `holder` on `runtime`.
pub(crate) fn start(
    holder: Arc<Holder>,
    path: &Path,
    runtime: &tokio::runtime::Handle,
) -> std::io::Result<Server> {
    // Only the store's lock holder gets here, so a file at the path was left by a holder that
    // died: it answers no one.
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = {
        let _entered = runtime.enter();
        tokio::net::UnixListener::bind(path)?
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let clients: Clients = Arc::default();
    let registry = clients.clone();
    let (closing, closing_rx) = watch::channel(false);
    let watchers = Arc::new(AtomicUsize::new(0));
    let watcher_count = watchers.clone();
    let handle = runtime.clone();
    let mut next_id = 0u64;
    let accept = runtime.spawn(async move {
        loop {
            // Out of file descriptors, say: try again shortly rather than spin.
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            // Anyone who can reach the file but is not us is refused before a byte is read.
            let same_user = stream.peer_cred().is_ok_and(|c| c.uid() == current_uid());
            if !same_user {
                continue;
            }
            let Ok(stream) = stream.into_std() else { continue };
            next_id += 1;
            if let (Ok(mut all), Ok(copy)) = (registry.lock(), stream.try_clone()) {
                all.insert(next_id, copy);
            }
            let registered = Registered { clients: registry.clone(), id: next_id };
            let holder = holder.clone();
            let closing = closing_rx.clone();
            let watchers = watcher_count.clone();
            let handle = handle.clone();
            // A thread per client: requests block on sled and on refreshes, and the clients of
            // one data dir are a handful (a reader, a cron job, a status bar).
            let _ = std::thread::Builder::new().name("tidings-client".into()).spawn(move || {
                serve(holder, stream, closing, &watchers, &handle);
                drop(registered);
            });
        }
    });
    Ok(Server { path: path.to_owned(), accept: accept.abort_handle(), clients, closing, watchers })
}

#[allow(unsafe_code, reason = "geteuid: libc has no safe wrapper")]
fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// One client: the greeting, then requests until it hangs up.
fn serve(
    holder: Arc<Holder>,
    stream: UnixStream,
    closing: watch::Receiver<bool>,
    watchers: &Arc<AtomicUsize>,
    runtime: &tokio::runtime::Handle,
) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let Ok(write_half) = stream.try_clone() else { return };
    let mut input = BufReader::new(stream);
    let mut output = BufWriter::new(write_half);
    let hello: Hello = match read_frame(&mut input, MAX_REQUEST) {
        Ok(h) => h,
        // Not a tidings client, or one that hung up: nothing to say.
        Err(_) => return,
    };
    if hello.magic != MAGIC || hello.protocol != PROTOCOL {
        let reason = format!(
            "this data dir is open in tidings {} (protocol {PROTOCOL}), which cannot serve tidings {} \
             (protocol {}); close the other tidings or run the same version",
            env!("CARGO_PKG_VERSION"),
            crate::sanitize::line(&hello.version),
            hello.protocol
        );
        let _ = write_frame(&mut output, &Welcome::Refused { reason });
        return;
    }
    if write_frame(&mut output, &Welcome::Accepted { version: env!("CARGO_PKG_VERSION").to_owned() }).is_err()
    {
        return;
    }
    loop {
        let (origin, request): (u64, Request) = match read_frame(&mut input, MAX_REQUEST) {
            Ok(r) => r,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    let _ = write_frame(&mut output, &Reply::Error(format!("unreadable request: {e}")));
                }
                return;
            }
        };
        if request == Request::Events {
            let events = holder.events.subscribe();
            // A watcher must not keep the store open after its holder closed it.
            drop(holder);
            let _counted = Watching::start(watchers);
            stream_events(events, &mut output, closing, runtime);
            return;
        }
        let mut lost = false;
        let mut progress = |p| {
            if !lost && write_frame(&mut output, &Reply::Progress(p)).is_err() {
                // The client went away; the request still completes (it may be a refresh that
                // the reader also follows).
                lost = true;
            }
        };
        let reply = holder.handle(origin, request, &mut progress).unwrap_or_else(Reply::Error);
        if lost || write_frame(&mut output, &reply).is_err() {
            return;
        }
    }
}

/// Sends every event to a watcher until it hangs up or the holder closes (then what was
/// published before the close is sent first).
fn stream_events(
    mut events: broadcast::Receiver<Event>,
    output: &mut impl std::io::Write,
    mut closing: watch::Receiver<bool>,
    runtime: &tokio::runtime::Handle,
) {
    loop {
        let next = runtime.block_on(async {
            tokio::select! {
                biased;
                event = events.recv() => Some(event),
                _ = closing.wait_for(|closing| *closing) => None,
            }
        });
        let event = match next {
            Some(Ok(e)) => e,
            // Too slow to follow: it reloads everything.
            Some(Err(broadcast::error::RecvError::Lagged(_))) => {
                Event { origin: 0, change: Change::Reconnected }
            }
            Some(Err(broadcast::error::RecvError::Closed)) => return,
            None => {
                while let Ok(event) = events.try_recv() {
                    if write_frame(output, &Reply::Event(event)).is_err() {
                        return;
                    }
                }
                return;
            }
        };
        if write_frame(output, &Reply::Event(event)).is_err() {
            return;
        }
    }
}

//! The engine in a process that found the store held by another: requests go over the data
//! dir's socket to the holder.
//!
//! Contract: a request either gets the holder's reply or fails with [`Lost`] (the holder went
//! away or never answered), which the engine answers by connecting again or taking the store
//! over, then sending the request again. Every request is idempotent (marks set a flag, adds
//! match by URL), so sending one twice never does a change twice.

use std::io::{BufReader, BufWriter};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::protocol::{read_frame, write_frame, Event, Hello, Progress, Reply, Request, Welcome, MAX_REPLY};

/// The holder could not be reached, or stopped answering.
#[derive(Debug)]
pub(crate) struct Lost(pub String);

/// Why connecting failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Nobody answers on the socket (yet, or any more).
    NoAnswer(std::io::Error),
    /// A holder answered and refused us (another version); the text says what to do.
    Refused(String),
}

/// One greeted connection.
struct Connection {
    input: BufReader<UnixStream>,
    output: BufWriter<UnixStream>,
}

impl Connection {
    fn open(path: &Path) -> Result<Connection, ConnectError> {
        let stream = UnixStream::connect(path).map_err(ConnectError::NoAnswer)?;
        let write_half = stream.try_clone().map_err(ConnectError::NoAnswer)?;
        let mut c = Connection { input: BufReader::new(stream), output: BufWriter::new(write_half) };
        write_frame(&mut c.output, &Hello::ours()).map_err(ConnectError::NoAnswer)?;
        match read_frame::<Welcome>(&mut c.input, MAX_REPLY) {
            Ok(Welcome::Accepted { .. }) => Ok(c),
            Ok(Welcome::Refused { reason }) => Err(ConnectError::Refused(crate::sanitize::line(&reason))),
            // A holder that dies between accept and answer is simply not there.
            Err(e) => Err(ConnectError::NoAnswer(e)),
        }
    }
}

pub(crate) struct Client {
    path: PathBuf,
    /// Idle connections: requests from several threads (the reader's workers) run side by side,
    /// each on a connection of its own.
    idle: Mutex<Vec<Connection>>,
}

impl Client {
    /// Connects once (to prove a holder answers) and keeps the connection.
    pub(crate) fn connect(path: &Path) -> Result<Client, ConnectError> {
        let first = Connection::open(path)?;
        Ok(Client { path: path.to_owned(), idle: Mutex::new(vec![first]) })
    }

    /// Sends one request and waits for its reply, passing progress frames to `progress`.
    pub(crate) fn call(
        &self,
        origin: u64,
        request: &Request,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Result<Reply, String>, Lost> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut c = match idle {
            Some(c) => c,
            None => Connection::open(&self.path).map_err(|e| match e {
                ConnectError::NoAnswer(e) => Lost(e.to_string()),
                ConnectError::Refused(reason) => Lost(reason),
            })?,
        };
        write_frame(&mut c.output, &(origin, request)).map_err(|e| Lost(e.to_string()))?;
        loop {
            match read_frame::<Reply>(&mut c.input, MAX_REPLY) {
                Ok(Reply::Progress(p)) => progress(p),
                Ok(reply) => {
                    if let Ok(mut idle) = self.idle.lock() {
                        idle.push(c);
                    }
                    return Ok(match reply {
                        Reply::Error(e) => Err(e),
                        reply => Ok(reply),
                    });
                }
                Err(e) => return Err(Lost(e.to_string())),
            }
        }
    }

    /// Opens a connection that receives every change; each is given to `on_event` until the
    /// holder goes away (then this returns).
    pub(crate) fn watch(&self, origin: u64, on_event: &mut dyn FnMut(Event)) -> Result<(), ConnectError> {
        let mut c = Connection::open(&self.path)?;
        write_frame(&mut c.output, &(origin, Request::Events)).map_err(ConnectError::NoAnswer)?;
        while let Ok(Reply::Event(event)) = read_frame::<Reply>(&mut c.input, MAX_REPLY) {
            on_event(event);
        }
        Ok(())
    }
}

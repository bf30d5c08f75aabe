#![allow(dead_code, reason = "each test crate uses only some of the shared helpers")]
pub mod cli;
pub mod coldsweat;
pub mod pty;
pub mod server;
pub mod ttrss;

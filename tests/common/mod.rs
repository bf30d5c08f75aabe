#![allow(dead_code)]
pub mod cli;
pub mod coldsweat;
pub mod pty;
pub mod server;
pub mod ttrss;

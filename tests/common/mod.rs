#![allow(dead_code)]
pub mod cli;
pub mod pty;
pub mod server;

//! The real binary in a pseudo-terminal, its screen read back through vt100.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

use super::cli::Tidings;

/// The binary running in a pty (100x30 unless sized), its screen kept up to date by a reader thread.
pub struct Screen {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the binary wrote, for what vt100 does not keep (OSC 8 hyperlinks).
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    pub fn spawn(t: &Tidings) -> Screen {
        Screen::spawn_sized(t, 100, 30)
    }

    /// The binary in a `cols`x`rows` pty.
    pub fn spawn_sized(t: &Tidings, cols: u16, rows: u16) -> Screen {
        Screen::spawn_full(t, cols, rows, &[])
    }

    /// At 100x30 with extra environment variables.
    pub fn spawn_with_env(t: &Tidings, env: &[(&str, &str)]) -> Screen {
        Screen::spawn_full(t, 100, 30, env)
    }

    pub fn spawn_full(t: &Tidings, cols: u16, rows: u16, env: &[(&str, &str)]) -> Screen {
        let pair = native_pty_system()
            .openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        // The same arguments and environment as every other test's `tidings` run.
        let std_cmd = t.command();
        let mut cmd = CommandBuilder::new(std_cmd.get_program());
        cmd.args(std_cmd.get_args());
        for (key, value) in std_cmd.get_envs() {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            }
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn tidings in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(rows).expect("rows"),
            NonZeroU16::new(cols).expect("cols"),
            0,
        )));
        let sink = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_sink = Arc::clone(&raw);
        std::thread::spawn(move || {
            // Keeps the master alive as long as there is output to read.
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        raw_sink.lock().expect("raw lock").extend_from_slice(&buf[..n]);
                        sink.lock().expect("parser lock").process(&buf[..n]);
                    }
                }
            }
        });
        Screen { parser, raw, writer, child }
    }

    /// Everything written to the terminal so far.
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().expect("raw lock").clone()
    }

    pub fn contents(&self) -> String {
        self.parser.lock().expect("parser lock").screen().contents()
    }

    /// Waits (up to 10 s) until every one of `texts` is on screen.
    pub fn wait_for(&self, texts: &[&str]) {
        self.wait_until(&format!("{texts:?} on screen"), |s| {
            let contents = s.contents();
            texts.iter().all(|t| contents.contains(t))
        });
    }

    /// Waits (up to 10 s) until `ok` holds for the screen.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ok(self.parser.lock().expect("parser lock").screen()) {
                return;
            }
            assert!(Instant::now() < deadline, "no {what} after 10 s:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the reader has left the alternate screen and shown the cursor again.
    pub fn wait_restored(&self) {
        self.wait_until("restored terminal", |s| !s.alternate_screen() && !s.hide_cursor());
    }

    pub fn alternate_screen(&self) -> bool {
        self.parser.lock().expect("parser lock").screen().alternate_screen()
    }

    pub fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Waits (up to 10 s) for the process to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for tidings") {
                return status.success();
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("tidings did not exit after q:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

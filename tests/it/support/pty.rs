//! Run a command under a pseudo-terminal (portable-pty: it sets the
//! terminal's size, which `script(1)` takes from a terminal the tests do not
//! have) and read what it drew, raw and as the final screen (vt100).

use std::io::Read;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use portable_pty::{native_pty_system, CommandBuilder, PtySize};

/// The terminal the runs get: tall enough that nothing scrolls off, so the
/// final screen holds every line a run left.
pub const ROWS: u16 = 500;
/// Wide enough for a bar and its figures on one line.
pub const COLS: u16 = 140;

/// What a run under a pseudo-terminal did.
pub struct PtyRun {
    /// The exit code.
    pub code: u32,
    /// Every byte written to the terminal (stdout and stderr together).
    pub raw: Vec<u8>,
}

impl PtyRun {
    /// The raw output as text (escape codes included).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// What the terminal shows at the end: every row of the final screen,
    /// trailing blanks trimmed.
    pub fn screen(&self) -> Vec<String> {
        let size = |n| std::num::NonZeroU16::new(n).expect("a size");
        let mut parser = vt100::Parser::new(size(ROWS), size(COLS), 0);
        parser.process(&self.raw);
        let contents = parser.screen().contents();
        let mut rows: Vec<String> = contents.lines().map(|l| l.trim_end().to_string()).collect();
        while rows.last().is_some_and(|l| l.is_empty()) {
            rows.pop();
        }
        rows
    }
}

/// Run `cmd` (program, arguments, environment and directory as set up)
/// with stdin, stdout and stderr on a new pseudo-terminal; give up after
/// two minutes.
pub fn run_in_pty(cmd: &Command) -> PtyRun {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut builder = CommandBuilder::new(cmd.get_program());
    builder.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => builder.env(k, v),
            None => builder.env_remove(k),
        }
    }
    builder.cwd(
        cmd.get_current_dir()
            .map(|d| d.to_path_buf())
            .unwrap_or_else(|| std::env::current_dir().unwrap()),
    );
    // CI may run without TERM (or with TERM=dumb, which grail respects).
    builder.env("TERM", "xterm-256color");
    let mut child = pair
        .slave
        .spawn_command(builder)
        .expect("spawn under the pty");
    // Only the child holds the terminal now: reading ends when it exits.
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("a reader");
    let reading = std::thread::spawn(move || {
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        // EIO once the child is gone and everything was read.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            raw.extend_from_slice(&buf[..n]);
        }
        raw
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("grail did not finish under the pty within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let raw = reading.join().expect("the reader");
    drop(pair.master);
    PtyRun {
        code: status.exit_code(),
        raw,
    }
}

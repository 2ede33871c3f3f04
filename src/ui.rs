//! How chatty a run is: progress on stdout (as Chalice prints it), warnings
//! and detail on stderr.
//!
//! The CLI decides the settings (`-q`, `-v`, `--debug`, `--color`); commands
//! only call the methods, so they never see how the flags were spelled.
//!
//! ```
//! let ui = grail::ui::Ui { quiet: true, verbose: false, debug: false, color: false };
//! ui.status("not printed: quiet");
//! ```

// Every line shown may quote a URL with credentials: redacted here, once.
use crate::secrets::redact_text;

/// How chatty to be, and whether warnings are coloured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ui {
    /// Only errors.
    pub quiet: bool,
    /// Extra detail.
    pub verbose: bool,
    /// `--debug`.
    pub debug: bool,
    /// Colour on stderr.
    pub color: bool,
}

impl Ui {
    /// A line of progress on stdout (as Chalice prints them).
    pub fn status(&self, msg: &str) {
        if !self.quiet {
            println!("{}", redact_text(msg));
        }
    }

    /// A warning on stderr.
    pub fn warn(&self, msg: &str) {
        let msg = redact_text(msg);
        if self.color {
            eprintln!("\x1b[33mwarning\x1b[0m: {msg}");
        } else {
            eprintln!("warning: {msg}");
        }
    }

    /// Detail shown with `-v` or `--debug`.
    pub fn info(&self, msg: &str) {
        if (self.verbose || self.debug) && !self.quiet {
            eprintln!("{}", redact_text(msg));
        }
    }

    /// Debug logging (`--debug`).
    pub fn debug(&self, msg: &str) {
        if self.debug {
            eprintln!("debug: {}", redact_text(msg));
        }
    }
}

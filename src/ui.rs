//! How chatty a run is: status lines on stdout (as Chalice prints them),
//! warnings and detail on stderr, and live progress ([`crate::progress`]).
//!
//! The CLI decides the settings (`-q`, `-v`, `--debug`, `--color`,
//! `--no-progress`, whether stderr is a terminal); commands only call the
//! methods, so they never see how the flags were spelled. Every line goes
//! through [`Progress::suspend`], so it lands above progress bars instead of
//! through them.
//!
//! ```
//! let ui = grail::ui::Ui { quiet: true, ..grail::ui::Ui::default() };
//! ui.status("not printed: quiet");
//! ```

use crate::progress::Progress;
// Every line shown may quote a URL with credentials: redacted here, once.
use crate::secrets::redact_text;

/// How chatty to be, whether warnings are coloured, and where progress goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ui {
    /// No status lines, no detail.
    pub quiet: bool,
    /// `-q`: only errors; warnings too are left out (a `--report` still
    /// lists them). Separate from `quiet`, which a command may set for a
    /// pipeline it runs on the side without hiding that pipeline's warnings.
    pub errors_only: bool,
    /// Extra detail.
    pub verbose: bool,
    /// `--debug`.
    pub debug: bool,
    /// Colour on stderr.
    pub color: bool,
    /// Live progress (silent by default).
    pub progress: Progress,
}

impl Ui {
    /// A line of progress on stdout (as Chalice prints them).
    pub fn status(&self, msg: &str) {
        if !self.quiet {
            let msg = redact_text(msg);
            self.progress.suspend(&mut || println!("{msg}"));
        }
    }

    /// A warning on stderr (unless only errors are wanted).
    pub fn warn(&self, msg: &str) {
        if self.errors_only {
            return;
        }
        let msg = redact_text(msg);
        let line = if self.color {
            format!("\x1b[33mwarning\x1b[0m: {msg}")
        } else {
            format!("warning: {msg}")
        };
        self.eprint(&line);
    }

    /// Detail shown with `-v` or `--debug`.
    pub fn info(&self, msg: &str) {
        if (self.verbose || self.debug) && !self.quiet {
            self.eprint(&redact_text(msg));
        }
    }

    /// Debug logging (`--debug`).
    pub fn debug(&self, msg: &str) {
        if self.debug {
            self.eprint(&format!("debug: {}", redact_text(msg)));
        }
    }

    /// Where the pipeline reports progress: nowhere when quiet (a command
    /// that runs the pipeline under a quiet `Ui` shows no bars either).
    pub fn pipeline_progress(&self) -> Progress {
        if self.quiet {
            Progress::default()
        } else {
            self.progress
        }
    }

    /// One line on stderr, above any bars.
    fn eprint(&self, line: &str) {
        self.progress.suspend(&mut || eprintln!("{line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Event, Sink};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts suspensions and events.
    struct Counting {
        suspended: AtomicUsize,
        events: AtomicUsize,
    }

    impl Sink for Counting {
        fn event(&self, _: &Event<'_>) {
            self.events.fetch_add(1, Ordering::SeqCst);
        }
        fn suspend(&self, print: &mut dyn FnMut()) {
            self.suspended.fetch_add(1, Ordering::SeqCst);
            print();
        }
    }

    static SINK: Counting = Counting {
        suspended: AtomicUsize::new(0),
        events: AtomicUsize::new(0),
    };

    #[test]
    fn lines_go_around_the_bars_and_quiet_means_no_progress() {
        let ui = Ui {
            progress: Progress::new(&SINK),
            ..Ui::default()
        };
        ui.status("status");
        ui.warn("warning");
        ui.info("hidden: not verbose");
        Ui {
            errors_only: true,
            ..ui
        }
        .warn("hidden: only errors");
        assert_eq!(SINK.suspended.load(Ordering::SeqCst), 2);
        ui.pipeline_progress().event(&Event::Bytes(1));
        assert_eq!(SINK.events.load(Ordering::SeqCst), 1);
        let quiet = Ui { quiet: true, ..ui };
        quiet.pipeline_progress().event(&Event::Bytes(1));
        assert_eq!(SINK.events.load(Ordering::SeqCst), 1);
    }
}

//! What a run is doing, as it does it: the pipeline reports [`Event`]s to a
//! [`Progress`] handle, and whoever started the run decides what they look
//! like.
//!
//! The library never asks whether stderr is a terminal or which flags were
//! given. A few choke points call [`Progress::event`]: the index client
//! (a project listed, bytes of a download, a file in the cache), dependency
//! planning (resolution done), sdist builds and zip writing (both from the
//! `package` command), and the command's last line. The binary picks the sink:
//!
//! - [`Bars`]: indicatif bars and spinners on a terminal, cleared when their
//!   phase ends, then one closing summary line;
//! - [`Plain`]: milestone lines without escape codes (with `-v` when stderr
//!   is not a terminal, or `--no-progress`);
//! - the default handle: nothing at all (`-q`, and every library caller that
//!   does not ask).
//!
//! Anything else a run prints while bars may be on screen (warnings, status
//! lines, `-v` tracing) goes through [`Progress::suspend`], which takes the
//! bars down, prints, and draws them again, so no line is torn.
//!
//! ```
//! use grail::progress::{Event, Plain, Progress};
//! // A sink lives as long as the process: one per run, made by the binary.
//! static LINES: std::sync::OnceLock<Plain<Vec<u8>>> = std::sync::OnceLock::new();
//! let progress = Progress::new(LINES.get_or_init(|| Plain::new(Vec::new())));
//! progress.event(&Event::Resolved { packages: 3 });
//! progress.event(&Event::DownloadStart { files: 0, bytes: Some(0) });
//! let text = LINES.get().unwrap().text();
//! assert!(text.starts_with("Resolved 3 packages in "), "{text}");
//!
//! // The default handle ignores everything.
//! Progress::default().event(&Event::Resolved { packages: 3 });
//! ```

mod bars;
mod plain;

use std::fmt;
use std::time::Duration;

pub use bars::Bars;
pub use plain::Plain;

/// One thing the pipeline did. Borrowed names: a sink copies what it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// Resolution learnt the files of one more project (its index pages
    /// were read): the count of packages known grows.
    Listed {
        /// Normalised project name.
        name: &'a str,
    },
    /// Resolution is over: this many packages were chosen.
    Resolved {
        /// Packages in the resolution.
        packages: usize,
    },
    /// The final downloads begin.
    DownloadStart {
        /// Files to fetch (cache hits included).
        files: usize,
        /// Their total size, when the index listed every file's size.
        bytes: Option<u64>,
    },
    /// Bytes of a download arrived.
    Bytes(u64),
    /// A file was already in the cache: nothing to fetch for it.
    Cached {
        /// Its listed size, if any.
        bytes: Option<u64>,
    },
    /// One of the final downloads is over (fetched, cached or failed).
    Downloaded {
        /// The file's name.
        filename: &'a str,
    },
    /// An sdist is being built into a wheel.
    BuildStart {
        /// The sdist's file name. Ex) `sdistonly-1.0.tar.gz`
        name: &'a str,
    },
    /// That build is over.
    BuildDone {
        /// The sdist's file name.
        name: &'a str,
        /// Whether it gave a wheel.
        built: bool,
    },
    /// A zip is being written.
    ZipStart {
        /// Its file name. Ex) `deployment.zip`
        name: &'a str,
        /// Entries it will hold.
        entries: usize,
    },
    /// That zip is written (or failed).
    ZipDone {
        /// Its file name.
        name: &'a str,
    },
    /// The run succeeded: the closing summary.
    Finished {
        /// Packages shipped.
        packages: usize,
        /// Bytes of every zip written.
        zipped_bytes: u64,
        /// Since the run started.
        elapsed: Duration,
    },
}

/// Where events go. Called from any thread (downloads are parallel), so a
/// sink keeps its state behind its own lock.
pub trait Sink: Send + Sync {
    /// Take one event.
    fn event(&self, event: &Event<'_>);

    /// Run `print` with nothing of the sink's on screen (bars taken down and
    /// drawn again after). Must not report events from inside `print`.
    fn suspend(&self, print: &mut dyn FnMut()) {
        print();
    }

    /// Take everything down for good (the run is over, whatever its outcome).
    fn clear(&self) {}
}

/// A sink that ignores everything: the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Sink for Silent {
    fn event(&self, _: &Event<'_>) {}
}

/// The handle the pipeline reports to: a sink that lives for the rest of
/// the process. `Copy`, so a [`crate::ui::Ui`] stays `Copy` and a client can
/// keep one without lifetimes.
#[derive(Clone, Copy)]
pub struct Progress(&'static dyn Sink);

impl Progress {
    /// Report to `sink`. The binary makes one per run (`Box::leak`); a
    /// test can use a `static`.
    pub fn new(sink: &'static dyn Sink) -> Progress {
        Progress(sink)
    }

    /// Report one event.
    pub fn event(&self, event: &Event<'_>) {
        self.0.event(event);
    }

    /// Run `print` with the sink's bars off the screen.
    pub fn suspend(&self, print: &mut dyn FnMut()) {
        self.0.suspend(print);
    }

    /// Take everything down (the run is over).
    pub fn clear(&self) {
        self.0.clear();
    }
}

impl Default for Progress {
    /// Silent.
    fn default() -> Progress {
        Progress(&Silent)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// The closing line. Ex) `Packaged 43 packages (32.10 MiB zipped) in 0.51s`
pub fn summary_line(packages: usize, zipped_bytes: u64, elapsed: Duration) -> String {
    format!(
        "Packaged {} ({} zipped) in {}",
        count(packages, "package"),
        crate::budget::human_size(zipped_bytes),
        seconds(elapsed)
    )
}

/// `1 package`, `3 packages`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Ex) `0.51s`, `12.3s`
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else {
        format!("{s:.1}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line() {
        assert_eq!(
            summary_line(43, 33_659_290, Duration::from_millis(512)),
            "Packaged 43 packages (32.10 MiB zipped) in 0.51s"
        );
        assert_eq!(
            summary_line(1, 900, Duration::from_secs(75)),
            "Packaged 1 package (900 B zipped) in 75.0s"
        );
    }

    #[test]
    fn the_default_handle_prints_nothing_and_suspend_still_runs() {
        let p = Progress::default();
        p.event(&Event::Bytes(10));
        let mut ran = false;
        p.suspend(&mut || ran = true);
        assert!(ran);
        p.clear();
    }
}

//! Progress as plain lines: one per milestone (resolution done, downloads
//! begun and done, each sdist build begun and done, the summary), never an escape code,
//! for logs and terminals that asked for `--no-progress`.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::{count, seconds, summary_line, Event, Sink};
use crate::budget::human_size;

/// Milestone lines written to `W` (stderr in the binary).
pub struct Plain<W> {
    out: Mutex<W>,
    state: Mutex<State>,
}

/// What the lines need to remember between events.
#[derive(Default)]
struct State {
    /// When resolution began (the first project listed).
    resolving: Option<Instant>,
    /// The final downloads, once begun.
    downloads: Option<Downloads>,
    /// When each running build began.
    builds: HashMap<String, Instant>,
}

/// The final downloads so far.
struct Downloads {
    started: Instant,
    files: usize,
    done: usize,
    cached: usize,
    bytes: u64,
}

impl Plain<std::io::Stderr> {
    /// Lines on stderr.
    pub fn stderr() -> Self {
        Plain::new(std::io::stderr())
    }
}

impl<W: Write + Send> Plain<W> {
    /// Lines written to `out`.
    pub fn new(out: W) -> Self {
        Plain {
            out: Mutex::new(out),
            state: Mutex::new(State::default()),
        }
    }

    fn line(&self, text: &str) {
        // Progress is best effort: a closed stderr must not fail the run.
        let _ = writeln!(lock(&self.out), "{text}");
    }

    /// The line for `event`, if it is a milestone.
    fn milestone(&self, event: &Event<'_>) -> Option<String> {
        let mut state = lock(&self.state);
        match *event {
            Event::Listed { .. } => {
                state.resolving.get_or_insert_with(Instant::now);
                None
            }
            Event::Resolved { packages } => {
                let took = state
                    .resolving
                    .take()
                    .map(|t| t.elapsed())
                    .unwrap_or_default();
                Some(format!(
                    "Resolved {} in {}",
                    count(packages, "package"),
                    seconds(took)
                ))
            }
            Event::DownloadStart { files, bytes } => {
                state.downloads = (files > 0).then(|| Downloads {
                    started: Instant::now(),
                    files,
                    done: 0,
                    cached: 0,
                    bytes: 0,
                });
                let size = bytes.map_or("size not listed".to_string(), human_size);
                (files > 0).then(|| format!("Downloading {} ({size})", count(files, "file")))
            }
            Event::Bytes(n) => {
                if let Some(d) = state.downloads.as_mut() {
                    d.bytes += n;
                }
                None
            }
            Event::Cached { .. } => {
                if let Some(d) = state.downloads.as_mut() {
                    d.cached += 1;
                }
                None
            }
            Event::Downloaded { .. } => {
                let d = state.downloads.as_mut()?;
                d.done += 1;
                if d.done < d.files {
                    return None;
                }
                let line = format!(
                    "Downloaded {} ({} fetched, {} from the cache) in {}",
                    count(d.files, "file"),
                    human_size(d.bytes),
                    d.cached,
                    seconds(d.started.elapsed())
                );
                state.downloads = None;
                Some(line)
            }
            Event::BuildStart { name } => {
                state.builds.insert(name.to_string(), Instant::now());
                Some(format!("Building {name}"))
            }
            Event::BuildDone { name, built } => {
                let took = seconds(state.builds.remove(name)?.elapsed());
                Some(match built {
                    true => format!("Built {name} in {took}"),
                    false => format!("Building {name} failed after {took}"),
                })
            }
            // The "Wrote …" status lines already say it.
            Event::ZipStart { .. } | Event::ZipDone { .. } => None,
            Event::Finished {
                packages,
                zipped_bytes,
                elapsed,
            } => Some(summary_line(packages, zipped_bytes, elapsed)),
        }
    }
}

impl Plain<Vec<u8>> {
    /// What was written so far (for tests and examples).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.out)).into_owned()
    }
}

impl<W: Write + Send> Sink for Plain<W> {
    fn event(&self, event: &Event<'_>) {
        if let Some(text) = self.milestone(event) {
            self.line(&text);
        }
    }
}

/// A poisoned lock still holds usable progress state.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(events: &[Event<'_>]) -> Vec<String> {
        let plain = Plain::new(Vec::new());
        for e in events {
            plain.event(e);
        }
        let text = plain.text();
        assert!(!text.contains('\x1b'), "{text:?}");
        // Timings vary: keep the words.
        text.lines()
            .map(|l| l.split(" in ").next().unwrap_or(l).to_string())
            .collect()
    }

    #[test]
    fn one_line_per_milestone() {
        let got = lines(&[
            Event::Listed { name: "flask" },
            Event::Listed { name: "click" },
            Event::BuildStart {
                name: "sdistonly-1.0.tar.gz",
            },
            Event::BuildDone {
                name: "sdistonly-1.0.tar.gz",
                built: true,
            },
            Event::Resolved { packages: 3 },
            Event::DownloadStart {
                files: 2,
                bytes: Some(3 * 1024),
            },
            Event::Cached { bytes: Some(1024) },
            Event::Downloaded { filename: "a.whl" },
            Event::Bytes(2048),
            Event::Downloaded { filename: "b.whl" },
            Event::ZipStart {
                name: "deployment.zip",
                entries: 9,
            },
            Event::ZipDone {
                name: "deployment.zip",
            },
            Event::Finished {
                packages: 3,
                zipped_bytes: 2048,
                elapsed: std::time::Duration::from_millis(20),
            },
        ]);
        assert_eq!(
            got,
            [
                "Building sdistonly-1.0.tar.gz",
                "Built sdistonly-1.0.tar.gz",
                "Resolved 3 packages",
                "Downloading 2 files (3.0 KiB)",
                "Downloaded 2 files (2.0 KiB fetched, 1 from the cache)",
                "Packaged 3 packages (2.0 KiB zipped)",
            ]
        );
    }

    #[test]
    fn nothing_to_download_says_nothing_about_downloads() {
        let got = lines(&[
            Event::Resolved { packages: 0 },
            Event::DownloadStart {
                files: 0,
                bytes: None,
            },
            Event::Bytes(5),
            Event::Downloaded { filename: "x" },
        ]);
        assert_eq!(got, ["Resolved 0 packages"]);
    }

    #[test]
    fn unlisted_sizes_are_said() {
        let got = lines(&[Event::DownloadStart {
            files: 1,
            bytes: None,
        }]);
        assert_eq!(got, ["Downloading 1 file (size not listed)"]);
    }
}

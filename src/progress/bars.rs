//! Progress on a terminal (indicatif): a spinner while resolving (packages
//! known so far), one bar for the downloads (bytes, rate, files), a spinner
//! per sdist being built and one per zip being written. Each is cleared when
//! its phase ends; the run ends with one summary line.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{count, summary_line, Event, Sink};

/// How often spinners move (and a quiet bar redraws its rate).
const TICK: Duration = Duration::from_millis(100);

/// A template with colour markup and the same without.
type Template = (&'static str, &'static str);

/// Resolving, Building, Writing: a spinner, a word, a message.
const SPINNER: Template = (
    "{spinner:.cyan} {prefix:.bold} {msg}",
    "{spinner} {prefix} {msg}",
);
/// An sdist build, with how long it has taken so far.
const BUILD: Template = (
    "{spinner:.cyan} {prefix:.bold} {msg} ({elapsed})",
    "{spinner} {prefix} {msg} ({elapsed})",
);
/// Downloads whose total size the index listed.
const SIZED: Template = (
    "{spinner:.cyan} {prefix:.bold} [{bar:30.cyan/blue}] {bytes}/{total_bytes} · {binary_bytes_per_sec} · {msg}",
    "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} · {binary_bytes_per_sec} · {msg}",
);
/// Downloads of unknown total size.
const UNSIZED: Template = (
    "{spinner:.cyan} {prefix:.bold} {bytes} · {binary_bytes_per_sec} · {msg}",
    "{spinner} {prefix} {bytes} · {binary_bytes_per_sec} · {msg}",
);

/// Bars and spinners on one draw target (stderr in the binary).
pub struct Bars {
    multi: MultiProgress,
    color: bool,
    state: Mutex<State>,
}

/// The bars on screen and what their messages count.
#[derive(Default)]
struct State {
    /// The resolution spinner, until resolution is over.
    resolve: Option<ProgressBar>,
    /// Resolution is over: later listings (what-if passes) are not shown.
    resolved: bool,
    /// Projects listed so far.
    known: usize,
    /// The download bar and its file counts.
    download: Option<Download>,
    /// One spinner per sdist being built.
    builds: Vec<(String, ProgressBar)>,
    /// The zip being written.
    zip: Option<ProgressBar>,
}

/// The download bar.
struct Download {
    bar: ProgressBar,
    /// Whether the bar's length is the listed total (else it only counts).
    sized: bool,
    files: usize,
    done: usize,
}

impl Download {
    fn message(&self) -> String {
        format!("{}/{} files", self.done, self.files)
    }
}

impl Bars {
    /// Bars on stderr (drawn only when it is a terminal), coloured or not.
    pub fn stderr(color: bool) -> Bars {
        Bars::with_target(ProgressDrawTarget::stderr(), color)
    }

    /// Bars on any indicatif draw target (tests use a hidden one).
    pub fn with_target(target: ProgressDrawTarget, color: bool) -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(target),
            color,
            state: Mutex::new(State::default()),
        }
    }

    /// A template with its colour markup, or without any.
    fn style(&self, (coloured, plain): Template) -> ProgressStyle {
        let template = if self.color { coloured } else { plain };
        // The templates are constants (tested below); a bad one shows a
        // default spinner rather than failing a run.
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
    }

    /// A ticking spinner below the other bars. Ex) `⠁ Writing deployment.zip`
    fn spinner(&self, style: ProgressStyle, prefix: &'static str, message: String) -> ProgressBar {
        let bar = ProgressBar::new_spinner()
            .with_style(style)
            .with_prefix(prefix)
            .with_message(message);
        let bar = self.multi.add(bar);
        bar.enable_steady_tick(TICK);
        bar
    }

    fn listed(&self, state: &mut State, name: &str) {
        state.known += 1;
        if state.resolved {
            return;
        }
        let message = format!("{} known · {name}", count(state.known, "package"));
        match &state.resolve {
            Some(bar) => bar.set_message(message),
            None => {
                state.resolve = Some(self.spinner(self.style(SPINNER), "Resolving", message));
            }
        }
    }

    fn download_start(&self, state: &mut State, files: usize, bytes: Option<u64>) {
        end_resolution(state);
        if let Some(d) = state.download.take() {
            d.bar.finish_and_clear();
        }
        if files == 0 {
            return;
        }
        let bar = match bytes {
            Some(total) => ProgressBar::new(total).with_style(self.style(SIZED)),
            None => ProgressBar::no_length().with_style(self.style(UNSIZED)),
        };
        let mut d = Download {
            bar,
            sized: bytes.is_some(),
            files,
            done: 0,
        };
        let bar = d
            .bar
            .clone()
            .with_prefix("Downloading")
            .with_message(d.message());
        d.bar = self.multi.add(bar);
        d.bar.enable_steady_tick(TICK);
        state.download = Some(d);
    }

    fn downloaded(state: &mut State) {
        let Some(d) = state.download.as_mut() else {
            return;
        };
        d.done += 1;
        d.bar.set_message(d.message());
        if d.done >= d.files {
            d.bar.finish_and_clear();
            state.download = None;
        }
    }

    fn build_start(&self, state: &mut State, name: &str) {
        let bar = self.spinner(self.style(BUILD), "Building", name.to_string());
        state.builds.push((name.to_string(), bar));
    }

    fn zip_start(&self, state: &mut State, name: &str, entries: usize) {
        end_resolution(state);
        if let Some(d) = state.download.take() {
            d.bar.finish_and_clear();
        }
        let message = format!("{name} ({entries} files)");
        let bar = self.spinner(self.style(SPINNER), "Writing", message);
        if let Some(old) = state.zip.replace(bar) {
            old.finish_and_clear();
        }
    }

    /// Every bar down and the screen clean.
    fn take_down(&self, state: &mut State) {
        end_resolution(state);
        let bars = state
            .download
            .take()
            .map(|d| d.bar)
            .into_iter()
            .chain(state.zip.take())
            .chain(state.builds.drain(..).map(|(_, b)| b));
        for bar in bars {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

/// The resolution spinner goes when anything after resolution begins.
fn end_resolution(state: &mut State) {
    state.resolved = true;
    if let Some(bar) = state.resolve.take() {
        bar.finish_and_clear();
    }
}

impl Sink for Bars {
    fn event(&self, event: &Event<'_>) {
        let mut state = lock(&self.state);
        match *event {
            Event::Listed { name } => self.listed(&mut state, name),
            Event::Resolved { .. } => end_resolution(&mut state),
            Event::DownloadStart { files, bytes } => self.download_start(&mut state, files, bytes),
            Event::Bytes(n) => {
                if let Some(d) = &state.download {
                    d.bar.inc(n);
                }
            }
            Event::Cached { bytes } => {
                // Nothing will arrive for it: it leaves the total.
                if let (Some(d), Some(n)) = (&state.download, bytes) {
                    if d.sized {
                        d.bar.dec_length(n);
                    }
                }
            }
            Event::Downloaded { .. } => Bars::downloaded(&mut state),
            Event::BuildStart { name } => self.build_start(&mut state, name),
            Event::BuildDone { name, .. } => {
                if let Some(i) = state.builds.iter().position(|(n, _)| n == name) {
                    state.builds.remove(i).1.finish_and_clear();
                }
            }
            Event::ZipStart { name, entries } => self.zip_start(&mut state, name, entries),
            Event::ZipDone { .. } => {
                if let Some(bar) = state.zip.take() {
                    bar.finish_and_clear();
                }
            }
            Event::Finished {
                packages,
                zipped_bytes,
                elapsed,
            } => {
                self.take_down(&mut state);
                let line = summary_line(packages, zipped_bytes, elapsed);
                self.multi.suspend(|| eprintln!("{line}"));
            }
        }
    }

    fn suspend(&self, print: &mut dyn FnMut()) {
        self.multi.suspend(print);
    }

    fn clear(&self) {
        self.take_down(&mut lock(&self.state));
    }
}

/// A poisoned lock still holds usable bars.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden() -> Bars {
        Bars::with_target(ProgressDrawTarget::hidden(), false)
    }

    #[test]
    fn every_template_parses() {
        // The same fields, with and without colour.
        let strip = regex::Regex::new(r"(\{[a-z_]+(:\d+)?)[^}]*\}").unwrap();
        for (coloured, plain) in [SPINNER, BUILD, SIZED, UNSIZED] {
            for t in [coloured, plain] {
                assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
            }
            assert_eq!(strip.replace_all(coloured, "$1}"), plain);
        }
    }

    #[test]
    fn resolution_counts_packages_then_goes() {
        let bars = hidden();
        bars.event(&Event::Listed { name: "flask" });
        bars.event(&Event::Listed { name: "click" });
        {
            let state = lock(&bars.state);
            let spinner = state.resolve.as_ref().expect("a spinner");
            assert_eq!(spinner.message(), "2 packages known · click");
        }
        bars.event(&Event::Resolved { packages: 2 });
        bars.event(&Event::Listed { name: "late" });
        let state = lock(&bars.state);
        assert!(
            state.resolve.is_none(),
            "a what-if pass brings no spinner back"
        );
        assert_eq!(state.known, 3);
    }

    #[test]
    fn the_download_bar_counts_bytes_and_files_and_is_cleared() {
        let bars = hidden();
        bars.event(&Event::DownloadStart {
            files: 3,
            bytes: Some(1000),
        });
        bars.event(&Event::Cached { bytes: Some(100) });
        bars.event(&Event::Downloaded { filename: "a" });
        bars.event(&Event::Bytes(400));
        bars.event(&Event::Downloaded { filename: "b" });
        {
            let state = lock(&bars.state);
            let d = state.download.as_ref().expect("a bar");
            assert_eq!(d.bar.length(), Some(900), "the cached file left the total");
            assert_eq!(d.bar.position(), 400);
            assert_eq!(d.bar.message(), "2/3 files");
        }
        bars.event(&Event::Bytes(500));
        bars.event(&Event::Downloaded { filename: "c" });
        assert!(lock(&bars.state).download.is_none());
    }

    #[test]
    fn builds_and_zips_come_and_go() {
        let bars = hidden();
        bars.event(&Event::BuildStart { name: "one" });
        bars.event(&Event::BuildStart { name: "two" });
        bars.event(&Event::BuildDone {
            name: "one",
            built: false,
        });
        {
            let state = lock(&bars.state);
            let names: Vec<&str> = state.builds.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["two"]);
        }
        bars.event(&Event::ZipStart {
            name: "deployment.zip",
            entries: 12,
        });
        assert_eq!(
            lock(&bars.state).zip.as_ref().map(|b| b.message()),
            Some("deployment.zip (12 files)".to_string())
        );
        bars.event(&Event::ZipDone {
            name: "deployment.zip",
        });
        assert!(lock(&bars.state).zip.is_none());
        bars.event(&Event::Finished {
            packages: 1,
            zipped_bytes: 1,
            elapsed: Duration::ZERO,
        });
        let state = lock(&bars.state);
        assert!(state.builds.is_empty() && state.download.is_none() && state.resolve.is_none());
    }

    #[test]
    fn suspend_runs_the_printer() {
        let bars = hidden();
        bars.event(&Event::Listed { name: "x" });
        let mut ran = false;
        bars.suspend(&mut || ran = true);
        assert!(ran);
        bars.clear();
        assert!(lock(&bars.state).resolve.is_none());
    }
}

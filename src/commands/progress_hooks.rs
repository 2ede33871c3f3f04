//! Progress around the package command's steps that are not the index
//! client's: sdist builds (a wrapper around the builder), zip writing and
//! the closing summary. Kept here so the builder and the zip writer stay
//! unaware of progress, and the command has one line per hook.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assemble::{AssembleError, ZipPlan, ZipSummary};
use crate::dependencies::wheel_source::SdistBuilder;
use crate::index::DistFile;
use crate::progress::{Event, Progress};
use crate::ui::Ui;

/// An [`SdistBuilder`] that reports each build's start and end.
pub(crate) struct ReportingBuilder<'a> {
    /// The builder doing the work.
    inner: &'a dyn SdistBuilder,
    /// Where to report.
    progress: Progress,
}

impl<'a> ReportingBuilder<'a> {
    /// `inner`, reporting to `progress`.
    pub(crate) fn new(inner: &'a dyn SdistBuilder, progress: Progress) -> Self {
        ReportingBuilder { inner, progress }
    }
}

impl SdistBuilder for ReportingBuilder<'_> {
    fn build(&self, file: &DistFile, sdist: &Path) -> Result<PathBuf, String> {
        let name = file.filename.as_str();
        self.progress.event(&Event::BuildStart { name });
        let built = self.inner.build(file, sdist);
        let built_ok = built.is_ok();
        self.progress.event(&Event::BuildDone {
            name,
            built: built_ok,
        });
        built
    }

    // Forwarded: without it every wrapped builder would claim it can run,
    // and sdist-only releases would be chosen with no interpreter to build.
    fn available(&self) -> bool {
        self.inner.available()
    }
}

/// [`ZipPlan::write`], reported as one zip being written.
pub(crate) fn write_zip(
    plan: &ZipPlan,
    dest: &Path,
    progress: Progress,
) -> Result<ZipSummary, AssembleError> {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    progress.event(&Event::ZipStart {
        name: &name,
        entries: plan.len(),
    });
    let written = plan.write(dest);
    progress.event(&Event::ZipDone { name: &name });
    written
}

/// The closing summary of a successful run: `packages` shipped in zips of
/// `zipped_bytes`, `started` when the run began.
pub(crate) fn finished(ui: &Ui, packages: usize, zipped_bytes: u64, started: Instant) {
    ui.pipeline_progress().event(&Event::Finished {
        packages,
        zipped_bytes,
        elapsed: started.elapsed(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Plain;
    use std::sync::OnceLock;

    /// Fails every build, the way a broken sdist does.
    struct Failing;

    impl SdistBuilder for Failing {
        fn build(&self, _: &DistFile, _: &Path) -> Result<PathBuf, String> {
            Err("no".into())
        }

        fn available(&self) -> bool {
            false
        }
    }

    #[test]
    fn the_wrapper_says_whether_the_inner_builder_can_run() {
        assert!(!ReportingBuilder::new(&Failing, Progress::default()).available());
    }

    #[test]
    fn a_build_is_reported_even_when_it_fails() {
        static LINES: OnceLock<Plain<Vec<u8>>> = OnceLock::new();
        let progress = Progress::new(LINES.get_or_init(|| Plain::new(Vec::new())));
        let file = DistFile {
            filename: "pkg-1.0.tar.gz".into(),
            url: url::Url::parse("file:///pkg-1.0.tar.gz").unwrap(),
            hashes: Default::default(),
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: None,
            origin: crate::index::DistOrigin::FindLinks(".".into()),
        };
        let builder = ReportingBuilder::new(&Failing, progress);
        assert!(builder.build(&file, Path::new("x")).is_err());
        let text = LINES.get().unwrap().text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0], "Building pkg-1.0.tar.gz");
        assert!(
            lines[1].starts_with("Building pkg-1.0.tar.gz failed after "),
            "{text}"
        );
    }
}

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
        self.progress.event(&Event::BuildDone { name });
        built
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

//! The report of `grail package` for every outcome: what a run knew when it
//! stopped, and writing it whether the run succeeded or not.
//!
//! The pipeline ([`super::package`]) fills a [`Report`] as it goes; this
//! module holds the pieces that turn its intermediate values into report
//! entries, and [`finish`], which stamps the outcome and writes the file.
//!
//! ```
//! use grail::report::{Outcome, Report};
//! let mut r = Report::new("dev", "python3.12", "x86_64");
//! r.fail(grail::error::ExitKind::Budget, "over by 3 MiB");
//! assert_eq!(r.outcome, Outcome::OverBudget);
//! assert_eq!(r.exit_code, 3);
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::assemble::ZipPlan;
use crate::budget::SizeItem;
use crate::error::{Context, ExitKind, Kind, Result};
use crate::report::{RankedEntry, Report, RequirementEntry};
use crate::requirements::RequirementsFile;
use crate::ui::Ui;

/// The requirements as the report lists them: where each was written
/// (relative to the project) and the line's requirement.
pub fn requirement_entries(r: &RequirementsFile, project_dir: &Path) -> Vec<RequirementEntry> {
    r.requirements
        .iter()
        .map(|e| {
            let file = e
                .location
                .file
                .strip_prefix(project_dir)
                .unwrap_or(&e.location.file);
            RequirementEntry {
                origin: format!("{}:{}", file.display(), e.location.line),
                requirement: e.requirement.to_string(),
            }
        })
        .collect()
}

/// Unzipped bytes per package bucket of a planned zip.
pub fn bucket_bytes(plan: &ZipPlan) -> BTreeMap<String, u64> {
    let mut buckets: BTreeMap<String, u64> = BTreeMap::new();
    for e in plan.entries() {
        *buckets.entry(e.origin.bucket()).or_default() += e.unzipped_size();
    }
    buckets
}

/// The size items, largest first (ties by name), as report entries.
pub fn ranked(items: &[SizeItem]) -> Vec<RankedEntry> {
    let mut out: Vec<RankedEntry> = items
        .iter()
        .map(|i| RankedEntry {
            name: i.name.clone(),
            unzipped_bytes: i.bytes,
            location: i.location.clone(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.unzipped_bytes
            .cmp(&a.unzipped_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// Stamp the outcome of `result` on `report` and write it to `path`
/// (relative to the project dir). A report that cannot be written fails a
/// successful run (exit 1); after a failure it is only a warning, and the
/// run's own error is returned.
pub fn finish(
    mut report: Report,
    result: Result<()>,
    project_dir: &Path,
    path: &Path,
    started: Instant,
    ui: &Ui,
) -> Result<()> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else if project_dir.is_dir() {
        project_dir.join(path)
    } else {
        // A mistyped --project-dir must not be created just to hold a report.
        ui.warn(&format!(
            "the report was not written: the project directory {} does not exist",
            project_dir.display()
        ));
        return result;
    };
    if let Err(e) = &result {
        report.fail(e.kind, &e.to_string());
        report.timings_ms.total = started.elapsed().as_millis() as u64;
    }
    let written = report
        .write(&path)
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot write the report to {}", path.display()));
    match (result, written) {
        (Ok(()), written) => written,
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(w)) => {
            ui.warn(&w.to_string());
            Err(e)
        }
    }
}

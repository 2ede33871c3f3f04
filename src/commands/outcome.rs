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
use crate::report::{
    ContentGroup, ContentItem, RankedEntry, Report, RequirementEntry, ZipContents,
};
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

/// Each planned zip's contents: bucket → top-level name → unzipped bytes,
/// largest first (ties by name). `layer` is the managed layer's plan.
pub fn zip_contents(app: &ZipPlan, layer: Option<&ZipPlan>) -> Vec<ZipContents> {
    let mut out = vec![contents_of("deployment.zip", app)];
    out.extend(layer.map(|l| contents_of("layer-deployment.zip", l)));
    out
}

fn contents_of(zip: &str, plan: &ZipPlan) -> ZipContents {
    let mut tree: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for e in plan.entries() {
        *tree
            .entry(e.origin.bucket())
            .or_default()
            .entry(top_level(&e.name).to_string())
            .or_default() += e.unzipped_size();
    }
    let mut packages: Vec<ContentGroup> = tree
        .into_iter()
        .map(|(name, modules)| {
            let mut modules: Vec<ContentItem> = modules
                .into_iter()
                .map(|(name, unzipped_bytes)| ContentItem {
                    name,
                    unzipped_bytes,
                })
                .collect();
            modules.sort_by_key(|m| std::cmp::Reverse(m.unzipped_bytes));
            let unzipped_bytes = modules
                .iter()
                .fold(0u64, |t, m| t.saturating_add(m.unzipped_bytes));
            ContentGroup {
                name,
                unzipped_bytes,
                modules,
            }
        })
        .collect();
    // Stable sorts on name-ordered input: ties stay in name order.
    packages.sort_by_key(|p| std::cmp::Reverse(p.unzipped_bytes));
    ZipContents {
        zip: zip.to_string(),
        packages,
    }
}

/// The top-level name of a zip entry: its first component, or the first
/// one under a layer's `python/lib/pythonX.Y/site-packages/`.
fn top_level(entry: &str) -> &str {
    let parts: Vec<&str> = entry.splitn(6, '/').collect();
    match parts.as_slice() {
        ["python", "lib", _, "site-packages", name, ..] => name,
        [first, ..] => first,
        [] => entry,
    }
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

/// Where the report goes: `--report` (JSON) and `--report-html`, as given
/// (relative to the project dir).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportPaths<'a> {
    /// The JSON report.
    pub json: Option<&'a Path>,
    /// The HTML page ([`crate::report_html`]).
    pub html: Option<&'a Path>,
}

/// Stamp the outcome of `result` on `report` and write it to each of
/// `paths` (relative to the project dir). A report that cannot be written
/// fails a successful run (exit 1); after a failure it is only a warning,
/// and the run's own error is returned.
pub fn finish(
    mut report: Report,
    result: Result<()>,
    project_dir: &Path,
    paths: ReportPaths,
    started: Instant,
    ui: &Ui,
) -> Result<()> {
    let resolve = |path: &Path| {
        if path.is_absolute() {
            Some(path.to_path_buf())
        } else {
            project_dir.is_dir().then(|| project_dir.join(path))
        }
    };
    let (json, html) = (paths.json.map(resolve), paths.html.map(resolve));
    if json.iter().chain(&html).any(Option::is_none) {
        // A mistyped --project-dir must not be created just to hold a report.
        ui.warn(&format!(
            "the report was not written: the project directory {} does not exist",
            project_dir.display()
        ));
        return result;
    }
    if let Err(e) = &result {
        report.fail(e.kind, &e.to_string());
        report.timings_ms.total = started.elapsed().as_millis() as u64;
    }
    let written = write_all(
        &report,
        json.flatten().as_deref(),
        html.flatten().as_deref(),
    );
    match (result, written) {
        (Ok(()), written) => written,
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(w)) => {
            ui.warn(&w.to_string());
            Err(e)
        }
    }
}

/// Write the JSON report and the HTML page (those asked for).
fn write_all(report: &Report, json: Option<&Path>, html: Option<&Path>) -> Result<()> {
    if let Some(path) = json {
        report
            .write(path)
            .kind(ExitKind::Usage)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if let Some(path) = html {
        crate::report_html::write(report, path)
            .kind(ExitKind::Usage)
            .with_context(|| format!("cannot write the HTML report to {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::top_level;

    #[test]
    fn top_level_names_skip_a_layers_site_packages() {
        assert_eq!(top_level("numpy/core/_multiarray.so"), "numpy");
        assert_eq!(top_level("six.py"), "six.py");
        assert_eq!(
            top_level("python/lib/python3.12/site-packages/numpy.libs/libx.so"),
            "numpy.libs"
        );
        // Not the site dir: the first component, as in the function zip.
        assert_eq!(top_level("python/other/file.py"), "python");
        assert_eq!(top_level(""), "");
    }
}

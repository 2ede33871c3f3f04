//! The install plan: checked wheels laid out in the deployment package, and
//! the post-build audit of every shared object.
//!
//! ```text
//! wheel file ──WheelArchive::open/verify──▶ add_wheel(plan) ──▶ ZipPlan
//!                                                      audit_plan(plan) ──▶ ok / error
//! ```
//!
//! Wheels are never unpacked to disk: each installed entry points at its
//! index in the wheel, so the zip writer raw-copies the compressed bytes.

pub mod audit;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::assemble::{Entry, EntrySource, Origin, ZipPlan};
use crate::cache::Cache;
use crate::error::{Classify, ExitKind};
use crate::install::audit::{audit_shared_object, should_audit, AuditError};
use crate::target::LambdaTarget;
use crate::wheel::{InstallAction, WheelArchive};

/// Why installing or auditing failed. Every variant says whether the wheel
/// came from vendor/: a broken vendored wheel is the project's input (exit
/// 1), a broken dependency is a dependency failure (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Reading the wheel failed.
    #[error("cannot read wheel {path}: {message}")]
    Wheel {
        /// The wheel file.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// Whether the wheel is in vendor/.
        vendored: bool,
    },
    /// The plan rejected an entry (a conflict).
    #[error("{error}")]
    Assemble {
        /// The conflict (printed in the message, so not a `source()`).
        error: crate::assemble::AssembleError,
        /// Whether the wheel is in vendor/.
        vendored: bool,
    },
    /// A shared object fails the audit.
    #[error("{error} (from {origin})")]
    Audit {
        /// The audit finding.
        error: AuditError,
        /// Where the file came from. Ex) `wheel numpy-2.2.6-cp311-….whl`
        origin: String,
        /// Whether the file came from vendor/ (bad input) rather than a dependency.
        vendored: bool,
    },
}

impl Classify for InstallError {
    /// 1 for a vendor/ wheel, 2 for a dependency.
    fn exit_kind(&self) -> ExitKind {
        let (InstallError::Wheel { vendored, .. }
        | InstallError::Assemble { vendored, .. }
        | InstallError::Audit { vendored, .. }) = self;
        if *vendored {
            ExitKind::Usage
        } else {
            ExitKind::Dependencies
        }
    }
}

/// An error about something in vendor/: the project's input, so exit 1
/// whatever the same error means elsewhere (a [`crate::wheel::WheelError`]
/// on a downloaded wheel is exit 2). Prints as the error itself.
///
/// ```
/// use grail::error::{Classify, ExitKind};
/// use grail::install::Vendored;
/// let e = grail::wheel::WheelArchive::open(std::path::Path::new("vendor/x-1.0-py3-none-any.whl"))
///     .unwrap_err();
/// assert_eq!(e.exit_kind(), ExitKind::Dependencies);
/// assert_eq!(Vendored(e).exit_kind(), ExitKind::Usage);
/// ```
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Vendored<E: Classify>(pub E);

impl<E: Classify> Classify for Vendored<E> {
    /// Exit 1, except that a file too large for Lambda stays a budget
    /// failure (3) wherever it comes from.
    fn exit_kind(&self) -> ExitKind {
        match self.0.exit_kind() {
            ExitKind::Budget => ExitKind::Budget,
            _ => ExitKind::Usage,
        }
    }
}

/// Add every installable entry of `wheel` to `plan`.
///
/// Modes: 0o644, or 0o755 when the wheel entry has an execute bit (as pip
/// installs it; Chalice's extraction drops it).
pub fn add_wheel(
    plan: &mut ZipPlan,
    wheel: &WheelArchive,
    vendored: bool,
) -> Result<(), InstallError> {
    add_wheel_except(plan, wheel, vendored, |_| false)
}

/// [`add_wheel`] for a requirement's wheel: a top-level `chalice/` directory
/// is left out, as Chalice's packager skips it when it walks the installed
/// dependencies (its own runtime files take its place). Ex) `chalice==1.26.6`
/// in requirements.txt ships `chalice-1.26.6.dist-info/` but not `chalice/cli/…`.
pub fn add_dependency_wheel(plan: &mut ZipPlan, wheel: &WheelArchive) -> Result<(), InstallError> {
    add_wheel_except(plan, wheel, false, is_chalice_package_file)
}

/// Whether an installed path is inside the top-level `chalice/` package.
pub fn is_chalice_package_file(path: &str) -> bool {
    path.starts_with("chalice/")
}

/// [`add_wheel`] without the installed paths `skip` matches.
fn add_wheel_except(
    plan: &mut ZipPlan,
    wheel: &WheelArchive,
    vendored: bool,
    skip: impl Fn(&str) -> bool,
) -> Result<(), InstallError> {
    let werr = |message: String| InstallError::Wheel {
        path: wheel.path.clone(),
        message,
        vendored,
    };
    let file = File::open(&wheel.path).map_err(|e| werr(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| werr(e.to_string()))?;
    let shared = Arc::new(wheel.path.clone());
    let origin = Origin::Wheel {
        package: wheel.filename.normalized_name(),
        file: wheel.filename.to_string(),
        vendored,
    };
    for e in &wheel.entries {
        let InstallAction::Install(target) = &e.target else {
            continue;
        };
        if skip(target) {
            continue;
        }
        let raw = zip
            .by_index_raw(e.index)
            .map_err(|err| werr(err.to_string()))?;
        let mode = raw.unix_mode().unwrap_or(0o644);
        // Lambda unzips Stored and Deflated only; anything else is rewritten.
        let raw_ok = matches!(
            raw.compression(),
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        );
        drop(raw);
        plan.add(Entry {
            name: target.clone(),
            source: EntrySource::WheelEntry {
                wheel: shared.clone(),
                index: e.index,
                recompress: *target != e.name || !raw_ok,
            },
            mode: if mode & 0o111 != 0 { 0o755 } else { 0o644 },
            origin: origin.clone(),
            fingerprint: Some((e.crc32, e.uncompressed_size)),
        })
        .map_err(|error| InstallError::Assemble { error, vendored })?;
    }
    Ok(())
}

/// Audit every shared object in the plan against the target (ELF, machine,
/// glibc ceiling). Runs on all cores; the first violation (in path order)
/// is returned.
///
/// With a cache, wheels from the cache whose shared objects already passed
/// for this target are skipped, and newly passed ones are remembered.
pub fn audit_plan(
    plan: &ZipPlan,
    target: &LambdaTarget,
    cache: Option<&Cache>,
) -> Result<usize, InstallError> {
    let kind = format!("audit-{}-{}", target.runtime(), target.arch);
    let blob_of = |e: &Entry| match (&e.source, cache) {
        (EntrySource::WheelEntry { wheel, .. }, Some(c)) => c.blob_sha256(wheel),
        _ => None,
    };
    let candidates: Vec<&Entry> = plan
        .entries()
        .filter(|e| should_audit(&e.name))
        .filter(|e| match (blob_of(e), cache) {
            (Some(h), Some(c)) => {
                let passed = c.check_passed(&kind, &h);
                if passed {
                    tracing::debug!(entry = %e.name, "audit skipped: its wheel passed before");
                }
                !passed
            }
            _ => true,
        })
        .collect();
    let results: Vec<Result<(), InstallError>> = candidates
        .par_iter()
        .map(|e| {
            let bytes = read_entry(e).map_err(|message| InstallError::Wheel {
                path: PathBuf::from(&e.name),
                message,
                vendored: e.origin.is_vendor(),
            })?;
            let verdict = audit_shared_object(&e.name, &bytes, target);
            match &verdict {
                Ok(info) => tracing::debug!(entry = %e.name, ?info, "audit passed"),
                Err(error) => tracing::debug!(entry = %e.name, %error, "audit failed"),
            }
            verdict.map(|_| ()).map_err(|error| InstallError::Audit {
                error,
                origin: e.origin.describe(),
                vendored: e.origin.is_vendor(),
            })
        })
        .collect();
    for r in results {
        r?;
    }
    if let Some(c) = cache {
        let blobs: std::collections::BTreeSet<String> =
            candidates.iter().filter_map(|e| blob_of(e)).collect();
        for h in blobs {
            let _ = c.set_check_passed(&kind, &h);
        }
    }
    Ok(candidates.len())
}

/// The uncompressed bytes of a planned entry.
pub fn read_entry(e: &Entry) -> Result<Vec<u8>, String> {
    match &e.source {
        EntrySource::File(p) => std::fs::read(p).map_err(|err| format!("{}: {err}", p.display())),
        EntrySource::Bytes(b) => Ok(b.to_vec()),
        EntrySource::WheelEntry { wheel, index, .. } => read_wheel_entry(wheel, *index),
    }
}

fn read_wheel_entry(wheel: &Path, index: usize) -> Result<Vec<u8>, String> {
    thread_local! {
        // Audits read many entries from few wheels: keep archives open per thread.
        static OPEN: std::cell::RefCell<HashMap<PathBuf, zip::ZipArchive<BufReader<File>>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if !open.contains_key(wheel) {
            let f = File::open(wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
            let z = zip::ZipArchive::new(BufReader::new(f))
                .map_err(|e| format!("{}: {e}", wheel.display()))?;
            open.insert(wheel.to_path_buf(), z);
        }
        let z = open.get_mut(wheel).ok_or("archive vanished")?;
        let mut f = z
            .by_index(index)
            .map_err(|e| format!("{}: {e}", wheel.display()))?;
        // Never more than the entry declared (checked against the budget).
        let declared = f.size();
        crate::wheel::read_capped(&mut f, declared).map_err(|e| format!("{}: {e}", wheel.display()))
    })
}

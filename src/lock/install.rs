//! Installing from a lock: the target's selection (see [`super::select`]),
//! minus what vendor/, the attached layers and `exclude_packages` already
//! fix, downloaded into the cache in parallel and verified against the
//! lock's hashes (a cached file makes no request), sdists built, every wheel
//! opened and checked against its RECORD. No index page is read.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use super::model::{LockedFile, PyLock};
use super::select::{select, Choice, Selected};
use crate::dependencies::wheel_source::Artifact;
use crate::dependencies::{DependencyInput, DependencyPlan, ShippedWheel};
use crate::error::{Context, ExitKind, Failure, Result};
use crate::index::{DistFile, DistOrigin, IndexClient};
use crate::layers::RUNTIME_PROVIDER;
use crate::report::ExcludedEntry;
use crate::resolver::ExcludeReason;

/// The dependency plan `lock` gives `input`'s target.
pub fn plan_from_lock(
    lock: &PyLock,
    lock_path: &Path,
    input: &DependencyInput<'_>,
    client: &IndexClient,
) -> Result<DependencyPlan> {
    let started = Instant::now();
    let selected = select(lock, input.tags, lock_path)?;
    let mut plan = DependencyPlan::default();
    let mut install = Vec::new();
    for s in selected {
        match fixed_elsewhere(&s, input) {
            Some(Some(e)) => plan.excluded.push(e),
            Some(None) => {}
            None => install.push(s),
        }
    }
    plan.resolve_ms = started.elapsed().as_millis() as u64;
    let download_started = Instant::now();
    let lock_dir = lock_path.parent().unwrap_or(Path::new("."));
    let files = install
        .iter()
        .map(|s| dist_file(lock, s, lock_dir).map_err(|m| lock_error(lock_path, m)))
        .collect::<Result<Vec<_>>>()?;
    // The lock's hashes are the files' listed hashes: a download is checked
    // against them, and a cached blob is named by its sha256, so a cache hit
    // on the lock's sha256 needs no second read. Without a sha256, the other
    // algorithms are required explicitly.
    let required: Vec<(DistFile, Vec<String>)> = files
        .iter()
        .map(|f| {
            let req = match f.sha256() {
                Some(_) => Vec::new(),
                None => f.hashes.iter().map(|(k, v)| format!("{k}:{v}")).collect(),
            };
            (f.clone(), req)
        })
        .collect();
    let downloaded = client.download_all_verified(&required);
    let mut jobs = Vec::new();
    for ((s, f), r) in install.into_iter().zip(files).zip(downloaded) {
        let path =
            r.with_context(|| format!("{}: {} ({})", lock_path.display(), s.name, f.filename))?;
        jobs.push((s, f, path));
    }
    let opened: Vec<Result<ShippedWheel>> = jobs
        .into_par_iter()
        .map(|(s, f, path)| open(client, input, s, f, &path, lock_path))
        .collect();
    plan.wheels = opened.into_iter().collect::<Result<Vec<_>>>()?;
    plan.wheels.sort_by(|a, b| a.name.cmp(&b.name));
    plan.download_ms = download_started.elapsed().as_millis() as u64;
    Ok(plan)
}

fn lock_error(path: &Path, message: String) -> Failure {
    Failure::from(super::LockError::Invalid {
        file: path.to_path_buf(),
        message,
    })
}

/// `None`: install it. `Some(entry)`: a layer, the runtime or
/// `exclude_packages` keeps it out (the report's entry); `Some(None)`:
/// vendor/ has it.
fn fixed_elsewhere(s: &Selected, input: &DependencyInput<'_>) -> Option<Option<ExcludedEntry>> {
    if input.vendor.iter().any(|(n, _)| *n == s.name) {
        return Some(None);
    }
    let version = s.version.as_ref().map(|v| v.to_string());
    if input
        .exclude_packages
        .iter()
        .any(|n| crate::names::normalize(n) == s.name)
    {
        return Some(Some(ExcludedEntry {
            name: s.name.clone(),
            version,
            reason: ExcludeReason::ExcludePackages,
            provided_by: None,
            saved_bytes: 0,
        }));
    }
    let p = input.layers.provided.get(&s.name)?;
    let runtime = p.provided_by == RUNTIME_PROVIDER;
    Some(Some(ExcludedEntry {
        name: s.name.clone(),
        version: p.version.as_ref().map(|v| v.to_string()).or(version),
        reason: if runtime {
            ExcludeReason::Runtime
        } else {
            ExcludeReason::Layer
        },
        provided_by: Some(p.provided_by.clone()),
        saved_bytes: 0,
    }))
}

/// The lock's file as the index client downloads it.
fn dist_file(
    lock: &PyLock,
    s: &Selected,
    lock_dir: &Path,
) -> std::result::Result<DistFile, String> {
    let f: &LockedFile = match &s.choice {
        Choice::Wheel(f) | Choice::Sdist(f) => f,
    };
    let url = f.location(lock_dir)?;
    let index = lock
        .packages
        .iter()
        .find(|p| crate::names::normalize(&p.name) == s.name)
        .and_then(|p| p.index.as_deref())
        .and_then(|i| url::Url::parse(i).ok());
    let origin = match (index, url.scheme()) {
        (_, "file") => DistOrigin::FindLinks(url.to_string()),
        (Some(i), _) => DistOrigin::Index(i),
        (None, _) => DistOrigin::Direct(url.clone()),
    };
    Ok(DistFile {
        filename: f.name.clone(),
        url,
        hashes: f.hashes.clone(),
        requires_python: None,
        yanked: None,
        core_metadata: None,
        size: f.size,
        origin,
    })
}

/// Build the sdist if that is the choice, open the wheel, check it against
/// its RECORD (once per cached blob) and against the lock's version.
fn open(
    client: &IndexClient,
    input: &DependencyInput<'_>,
    s: Selected,
    f: DistFile,
    path: &Path,
    lock_path: &Path,
) -> Result<ShippedWheel> {
    let (artifact, wheel_path) = match s.choice {
        Choice::Wheel(_) => (Artifact::Wheel(f.clone()), path.to_path_buf()),
        Choice::Sdist(_) => {
            let builder = input.builder.ok_or_else(|| {
                Failure::msg(
                    ExitKind::Dependencies,
                    format!(
                        "{}: {} is locked as an sdist, and no interpreter can build it",
                        lock_path.display(),
                        f.filename
                    ),
                )
            })?;
            let built = builder.build(&f, path).map_err(|why| {
                Failure::msg(
                    ExitKind::Dependencies,
                    format!(
                        "{}: cannot build {}: {why}",
                        lock_path.display(),
                        f.filename
                    ),
                )
            })?;
            (
                Artifact::Built {
                    sdist: f.clone(),
                    wheel: built.clone(),
                },
                built,
            )
        }
    };
    let filename = artifact.filename();
    let archive = crate::dependencies::open_verified(client, &wheel_path, &filename)?;
    let version = archive.filename.version.clone();
    if let Some(locked) = &s.version {
        if *locked != version {
            return Err(Failure::msg(
                ExitKind::Dependencies,
                format!(
                    "{}: {} is locked at {locked}, but {filename} is version {version}",
                    lock_path.display(),
                    s.name
                ),
            ));
        }
    }
    Ok(ShippedWheel {
        name: s.name,
        version,
        archive,
        source: artifact.source(),
        required_by: Vec::new(),
        artifact,
    })
}

//! A [`PyLock`] from the packages resolved for each target: one entry per
//! name and version, holding the file chosen for every target that ships
//! it, with a `marker` naming those targets when not all of them do.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::inputs::{target_label, target_marker};
use super::model::{
    GrailTool, InputFile, LockedFile, LockedPackage, LockedTarget, PyLock, GRAIL_LOCK_FORMAT,
};
use crate::dependencies::wheel_source::Artifact;
use crate::dependencies::ShippedWheel;
use crate::error::{Context, ExitKind, Kind, Result};
use crate::index::{DistFile, DistOrigin, IndexClient};
use crate::target::LambdaTarget;

/// What one target resolved to.
pub struct TargetPackages {
    /// The target.
    pub target: LambdaTarget,
    /// The stage whose settings it was resolved with.
    pub stage: String,
    /// [`super::inputs::settings_digest`] of that stage.
    pub settings_sha256: String,
    /// `(name, version, index, wheel, sdist)` per shipped package.
    pub packages: Vec<PackageFiles>,
}

/// The files of one shipped package, as the lock lists them.
#[derive(Clone, Debug)]
pub struct PackageFiles {
    /// Normalised name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The index it was listed on.
    pub index: Option<String>,
    /// The wheel installed (absent for a wheel built from an sdist).
    pub wheel: Option<LockedFile>,
    /// The sdist it was built from.
    pub sdist: Option<LockedFile>,
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)
        .kind(ExitKind::Dependencies)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)
        .kind(ExitKind::Dependencies)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(h.finalize()))
}

/// The lock entry for a file at `blob` (its bytes), listed as `dist` (when
/// it came from an index or a URL) or found at `local`.
fn locked_file(
    name: &str,
    dist: Option<&DistFile>,
    blob: &Path,
    lock_dir: &Path,
    client: &IndexClient,
) -> Result<LockedFile> {
    let sha = match dist.and_then(|d| d.sha256()).map(str::to_ascii_lowercase) {
        Some(h) => h,
        None => match client.cache().blob_sha256(blob) {
            Some(h) => h,
            None => sha256_of(blob)?,
        },
    };
    let size = match dist.and_then(|d| d.size) {
        Some(n) => n,
        None => std::fs::metadata(blob)
            .kind(ExitKind::Dependencies)
            .with_context(|| format!("cannot read {}", blob.display()))?
            .len(),
    };
    let (url, path) = match dist.map(|d| &d.url) {
        Some(u) if u.scheme() != "file" => (Some(u.to_string()), None),
        Some(u) => (None, u.to_file_path().ok().map(|p| relative(&p, lock_dir))),
        None => (None, Some(relative(blob, lock_dir))),
    };
    Ok(LockedFile {
        name: name.to_string(),
        url,
        path,
        size: Some(size),
        hashes: [("sha256".to_string(), sha)].into(),
    })
}

fn relative(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// The lock's view of one shipped wheel (downloads the sdist of a built
/// wheel into the cache if it is not there: a cache hit after resolution).
pub fn package_files(
    w: &ShippedWheel,
    lock_dir: &Path,
    client: &IndexClient,
) -> Result<PackageFiles> {
    let index = |d: &DistFile| match &d.origin {
        DistOrigin::Index(u) => Some(u.to_string()),
        _ => None,
    };
    let filename = w.artifact.filename();
    let (wheel, sdist, index) = match &w.artifact {
        Artifact::Wheel(d) => (
            Some(locked_file(
                &filename,
                Some(d),
                &w.archive.path,
                lock_dir,
                client,
            )?),
            None,
            index(d),
        ),
        Artifact::LocalWheel(p) => (
            Some(locked_file(&filename, None, p, lock_dir, client)?),
            None,
            None,
        ),
        Artifact::Built { sdist, .. } | Artifact::Sdist(sdist) => {
            let blob = client
                .download(sdist)
                .with_context(|| format!("locking {}", sdist.filename))?;
            (
                None,
                Some(locked_file(
                    &sdist.filename,
                    Some(sdist),
                    &blob,
                    lock_dir,
                    client,
                )?),
                index(sdist),
            )
        }
    };
    Ok(PackageFiles {
        name: w.name.clone(),
        version: w.version.to_string(),
        index,
        wheel,
        sdist,
    })
}

/// Merge the targets' packages into one lock.
pub fn make(targets: &[TargetPackages], inputs: Vec<InputFile>) -> PyLock {
    // (name, version) → (index, wheels by file name, sdist, targets)
    type Entry = (
        Option<String>,
        BTreeMap<String, LockedFile>,
        Option<LockedFile>,
        Vec<usize>,
    );
    let mut entries: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        for p in &t.packages {
            let e = entries
                .entry((p.name.clone(), p.version.clone()))
                .or_insert_with(|| (p.index.clone(), BTreeMap::new(), None, Vec::new()));
            if let Some(w) = &p.wheel {
                e.1.insert(w.name.clone(), w.clone());
            }
            if p.sdist.is_some() {
                e.2 = p.sdist.clone();
            }
            if e.0.is_none() {
                e.0 = p.index.clone();
            }
            e.3.push(i);
        }
    }
    let markers: Vec<String> = targets.iter().map(|t| target_marker(&t.target)).collect();
    let packages = entries
        .into_iter()
        .map(
            |((name, version), (index, wheels, sdist, used))| LockedPackage {
                name,
                version: Some(version),
                marker: (used.len() < targets.len()).then(|| {
                    used.iter()
                        .map(|&i| {
                            if used.len() == 1 {
                                markers[i].clone()
                            } else {
                                format!("({})", markers[i])
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" or ")
                }),
                index,
                wheels: wheels.into_values().collect(),
                sdist,
                ..LockedPackage::default()
            },
        )
        .collect();
    let min_python = targets.iter().map(|t| t.target.python).min();
    PyLock {
        lock_version: "1.0".into(),
        created_by: Some("grail".into()),
        requires_python: min_python.map(|p| format!(">={p}")),
        environments: markers,
        packages,
        grail: Some(GrailTool {
            lock_format: GRAIL_LOCK_FORMAT,
            inputs,
            targets: targets
                .iter()
                .map(|t| LockedTarget {
                    target: target_label(&t.target),
                    stage: t.stage.clone(),
                    settings_sha256: t.settings_sha256.clone(),
                })
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, PythonVersion};

    fn files(name: &str, version: &str, wheel: &str) -> PackageFiles {
        PackageFiles {
            name: name.into(),
            version: version.into(),
            index: Some("https://h/simple/".into()),
            wheel: Some(LockedFile {
                name: wheel.into(),
                url: Some(format!("https://h/{wheel}")),
                size: Some(1),
                hashes: [("sha256".to_string(), "ab".repeat(32))].into(),
                ..LockedFile::default()
            }),
            sdist: None,
        }
    }

    #[test]
    fn shared_versions_merge_and_the_rest_get_target_markers() {
        let x86 = LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64);
        let arm = LambdaTarget::new(PythonVersion::new(3, 12), Arch::Arm64);
        let t = |target, packages| TargetPackages {
            target,
            stage: "dev".into(),
            settings_sha256: "s".into(),
            packages,
        };
        let lock = make(
            &[
                t(
                    x86,
                    vec![
                        files("np", "2", "np-2-cp312-cp312-manylinux_2_17_x86_64.whl"),
                        files("old", "1", "old-1-py3-none-any.whl"),
                    ],
                ),
                t(
                    arm,
                    vec![
                        files("np", "2", "np-2-cp312-cp312-manylinux_2_17_aarch64.whl"),
                        files("old", "2", "old-2-py3-none-any.whl"),
                        files("armonly", "1", "armonly-1-py3-none-any.whl"),
                    ],
                ),
            ],
            Vec::new(),
        );
        let get = |n: &str, v: &str| {
            lock.packages
                .iter()
                .find(|p| p.name == n && p.version.as_deref() == Some(v))
                .unwrap()
        };
        assert_eq!(get("np", "2").wheels.len(), 2);
        assert_eq!(get("np", "2").marker, None);
        assert_eq!(get("old", "1").marker, Some(target_marker(&x86)));
        assert_eq!(get("old", "2").marker, Some(target_marker(&arm)));
        assert_eq!(get("armonly", "1").marker, Some(target_marker(&arm)));
        assert_eq!(
            lock.environments,
            [target_marker(&x86), target_marker(&arm)]
        );
        // Each target selects exactly its own set back.
        for (target, want) in [
            (x86, vec!["np", "old"]),
            (arm, vec!["armonly", "np", "old"]),
        ] {
            let tags = crate::target::tags::Tags::for_target(&target);
            let sel = super::super::select::select(&lock, &tags, Path::new("pylock.toml")).unwrap();
            let names: Vec<&str> = sel.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, want);
        }
    }
}

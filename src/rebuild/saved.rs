//! The previous build's dependency plan, saved in the rebuild state so an
//! incremental build installs the same wheels without resolving.
//!
//! Only what resolution decided is kept (names, versions, the cached wheel
//! files, what was kept out and why, the warnings); the wheels are opened
//! again from the same files, which must still have the size and mtime they
//! had (cache blobs are immutable; anything else means a full build).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dependencies::{DependencyPlan, ShippedWheel};
use crate::python::{ChaliceInstall, ChaliceRuntime, Interpreter};
use crate::report::{ExcludedEntry, WheelSource};
use crate::wheel::WheelArchive;

/// A [`DependencyPlan`] as saved.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedDeps {
    wheels: Vec<SavedWheel>,
    excluded: Vec<SavedExcluded>,
    warnings: Vec<String>,
    required_by: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedWheel {
    name: String,
    version: String,
    path: PathBuf,
    filename: String,
    stamp: String,
    source: String,
    required_by: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedExcluded {
    name: String,
    version: Option<String>,
    reason: String,
    provided_by: Option<String>,
    saved_bytes: u64,
}

impl SavedWheel {
    /// The shipped wheel again, from the same unchanged file.
    fn reopen(self) -> Result<ShippedWheel, String> {
        if super::inputs::stamp(&self.path) != self.stamp {
            return Err(format!("{} changed", self.path.display()));
        }
        let archive =
            WheelArchive::open_named(&self.path, &self.filename).map_err(|e| e.to_string())?;
        let source = SOURCES
            .into_iter()
            .find(|s| s.as_str() == self.source)
            .ok_or_else(|| format!("unknown source {:?}", self.source))?;
        Ok(ShippedWheel {
            version: crate::guard::version(&self.version)?,
            name: self.name,
            // Only `grail lock` reads the artifact, and it always resolves:
            // the cached wheel file stands for whatever it was fetched from.
            artifact: crate::dependencies::wheel_source::Artifact::LocalWheel(self.path.clone()),
            archive,
            source,
            required_by: self.required_by,
        })
    }
}

const SOURCES: [WheelSource; 6] = [
    WheelSource::Index,
    WheelSource::FindLinks,
    WheelSource::Vendor,
    WheelSource::Url,
    WheelSource::SdistBuild,
    WheelSource::Cache,
];

impl SavedDeps {
    /// What to save of `plan`; `None` when it cannot be replayed (packages
    /// missing under `--allow-missing` are resolved again every time).
    pub(crate) fn save(plan: &DependencyPlan) -> Option<SavedDeps> {
        if !plan.missing.is_empty() {
            return None;
        }
        let wheels = plan
            .wheels
            .iter()
            .map(|w| SavedWheel {
                name: w.name.clone(),
                version: w.version.to_string(),
                path: w.archive.path.clone(),
                filename: w.archive.filename.to_string(),
                stamp: super::inputs::stamp(&w.archive.path),
                source: w.source.as_str().to_string(),
                required_by: w.required_by.clone(),
            })
            .collect();
        let excluded = plan
            .excluded
            .iter()
            .map(|e| SavedExcluded {
                name: e.name.clone(),
                version: e.version.clone(),
                reason: e.reason.as_str().to_string(),
                provided_by: e.provided_by.clone(),
                saved_bytes: e.saved_bytes,
            })
            .collect();
        Some(SavedDeps {
            wheels,
            excluded,
            warnings: plan.warnings.clone(),
            required_by: plan.required_by.clone(),
        })
    }

    /// The plan again, its wheels reopened (not re-verified: they passed
    /// when first installed and have not changed since). `Err` says why not.
    pub(crate) fn restore(self) -> Result<DependencyPlan, String> {
        // Reading central directories and dist-info: on all cores.
        let wheels = self
            .wheels
            .into_par_iter()
            .map(SavedWheel::reopen)
            .collect::<Result<Vec<_>, String>>()?;
        let mut excluded = Vec::with_capacity(self.excluded.len());
        for e in self.excluded {
            excluded.push(ExcludedEntry {
                reason: e.reason.parse().map_err(|e| format!("{e:?}"))?,
                name: e.name,
                version: e.version,
                provided_by: e.provided_by,
                saved_bytes: e.saved_bytes,
            });
        }
        Ok(DependencyPlan {
            wheels,
            excluded,
            missing: Vec::new(),
            // Only the report lists these, and a run asking for a report is
            // never incremental; their warnings are in `warnings`.
            not_built: Vec::new(),
            warnings: self.warnings,
            resolve_ms: 0,
            download_ms: 0,
            required_by: self.required_by,
        })
    }
}

/// The chalice runtime files a build shipped, as saved.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedChalice {
    version: String,
    origin: String,
    app_py: String,
    init_py: String,
}

impl SavedChalice {
    pub(crate) fn save(c: &ChaliceRuntime) -> SavedChalice {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        SavedChalice {
            version: c.version.clone(),
            origin: c.origin.clone(),
            app_py: b64(&c.app_py),
            init_py: b64(&c.init_py),
        }
    }

    pub(crate) fn restore(self) -> Result<ChaliceRuntime, String> {
        use base64::Engine;
        let decode = |s: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| e.to_string())
        };
        Ok(ChaliceRuntime {
            app_py: decode(&self.app_py)?,
            init_py: decode(&self.init_py)?,
            version: self.version,
            origin: self.origin,
        })
    }
}

/// What the interpreter probe answered, as saved.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedInterpreter {
    path: PathBuf,
    version: (u8, u8, u8),
    chalice: Option<(String, PathBuf)>,
    chalice_error: Option<String>,
}

impl SavedInterpreter {
    pub(crate) fn save(i: &Interpreter) -> SavedInterpreter {
        SavedInterpreter {
            path: i.path.clone(),
            version: i.version,
            chalice: i
                .chalice
                .as_ref()
                .map(|c| (c.version.clone(), c.package_dir.clone())),
            chalice_error: i.chalice_error.clone(),
        }
    }

    pub(crate) fn restore(self) -> Interpreter {
        Interpreter {
            path: self.path,
            version: self.version,
            chalice: self.chalice.map(|(version, package_dir)| ChaliceInstall {
                version,
                package_dir,
            }),
            chalice_error: self.chalice_error,
        }
    }
}

//! The machine-readable report (`--report PATH`, schema `grail-report/1`).
//!
//! The shape is fixed by the CLI contract: users and CI parse it. Fields may
//! be added, never renamed or removed. Names are PEP 503-normalised and every
//! list is sorted by name.
//!
//! ```
//! use grail::report::Report;
//! let r = Report::new("dev", "python3.12", "x86_64");
//! let json = r.to_json();
//! assert!(json.contains("\"schema\": \"grail-report/1\""));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::resolver::ExcludeReason;

/// The report schema identifier.
pub const SCHEMA: &str = "grail-report/1";

/// One package and where it went.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PackageEntry {
    /// Normalised name. Ex) `alpaca-py`
    pub name: String,
    /// Ex) `0.21.1`
    pub version: String,
    /// `index`, `find-links`, `vendor`, `url`, `sdist-build` or `cache`.
    pub source: String,
    /// The wheel file name, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The artifact the package was written into. Ex) `deployment.zip`
    pub in_zip: String,
    /// Bytes the package adds to the artifact, unzipped.
    pub unzipped_bytes: u64,
    /// Who asked for it: package names or `<requirements.txt>`.
    pub required_by: Vec<String>,
}

/// A package kept out of the zip, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExcludedEntry {
    /// Normalised name.
    pub name: String,
    /// The version the provider has, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why: spelled `layer`, `runtime`, `exclude_packages` or
    /// `only-needed-by-excluded` in the report.
    #[serde(serialize_with = "serialize_reason")]
    pub reason: ExcludeReason,
    /// The layer ARN, `runtime`, or the excluded package that needed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<String>,
    /// Unzipped bytes kept out of the zip (0 when unknown).
    pub saved_bytes: u64,
}

fn serialize_reason<S: serde::Serializer>(r: &ExcludeReason, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

/// One written artifact.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ArtifactEntry {
    /// Path relative to OUT. Ex) `deployment.zip`
    pub path: String,
    /// Size of the file.
    pub zipped_bytes: u64,
    /// Sum of the entries' uncompressed sizes.
    pub unzipped_bytes: u64,
    /// Number of entries.
    pub entries: usize,
    /// Lower-case hex sha256 of the file.
    pub sha256: String,
}

/// Time spent per phase, in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Timings {
    /// Resolving requirements (index pages and metadata included).
    pub resolve: u64,
    /// Downloading and verifying wheels.
    pub download: u64,
    /// Writing the zip(s).
    pub assemble: u64,
    /// The whole run.
    pub total: u64,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// This grail's version.
    pub grail_version: &'static str,
    /// The Chalice stage. Ex) `dev`
    pub stage: String,
    /// Ex) `python3.12`
    pub runtime: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Packages shipped (or provided by vendor/), sorted by name.
    pub packages: Vec<PackageEntry>,
    /// Packages kept out, sorted by name.
    pub excluded: Vec<ExcludedEntry>,
    /// Written artifacts.
    pub artifacts: Vec<ArtifactEntry>,
    /// The size budget (the `budget` module's serialisation).
    pub budget: serde_json::Value,
    /// Every warning printed.
    pub warnings: Vec<String>,
    /// Phase timings.
    pub timings_ms: Timings,
    /// Which known public layer would make the budget fit
    /// ([`crate::suggest::Suggestions`]); present when the budget is over or
    /// within 10% of the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<serde_json::Value>,
    /// What `--verify` found ([`crate::verify::Outcome`]): modules imported,
    /// failures, not verified, interpreter used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<serde_json::Value>,
    /// Where the chalice runtime files came from. Ex) `{"version": "1.34.0", "source": "/venv/…"}`
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub chalice_runtime: BTreeMap<String, String>,
}

impl Report {
    /// An empty report for a stage/runtime/architecture.
    pub fn new(stage: &str, runtime: &str, architecture: &str) -> Report {
        Report {
            schema: SCHEMA,
            grail_version: env!("CARGO_PKG_VERSION"),
            stage: stage.to_string(),
            runtime: runtime.to_string(),
            architecture: architecture.to_string(),
            packages: Vec::new(),
            excluded: Vec::new(),
            artifacts: Vec::new(),
            budget: serde_json::Value::Null,
            warnings: Vec::new(),
            timings_ms: Timings::default(),
            chalice_runtime: BTreeMap::new(),
            suggestions: None,
            verify: None,
        }
    }

    /// Pretty JSON with a trailing newline, lists sorted by name.
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.packages.sort_by(|a, b| a.name.cmp(&b.name));
        sorted.excluded.sort_by(|a, b| a.name.cmp(&b.name));
        let mut s = serde_json::to_string_pretty(&sorted).unwrap_or_else(|e| {
            // Serialising plain structs of strings and numbers cannot fail;
            // keep a valid document if it ever does.
            format!("{{\"schema\": \"{SCHEMA}\", \"error\": \"{e}\"}}")
        });
        s.push('\n');
        s
    }

    /// Write the report atomically (temp file beside it, then rename).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)?;
        let mut tmp = crate::assemble::artifact_tempfile(dir, ".grail-report-", "")?;
        std::io::Write::write_all(&mut tmp, self.to_json().as_bytes())?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_schema_is_fixed() {
        let mut r = Report::new("dev", "python3.12", "x86_64");
        for n in ["zeta", "alpha"] {
            r.packages.push(PackageEntry {
                name: n.into(),
                version: "1".into(),
                source: "index".into(),
                file: None,
                in_zip: "deployment.zip".into(),
                unzipped_bytes: 1,
                required_by: vec!["<requirements.txt>".into()],
            });
        }
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["schema"], "grail-report/1");
        assert_eq!(v["packages"][0]["name"], "alpha");
        assert!(v["timings_ms"]["total"].is_u64());
    }
}

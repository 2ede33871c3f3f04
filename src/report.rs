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

use crate::budget::Budget;
use crate::error::ExitKind;
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
    /// Where the wheel came from: spelled `index`, `find-links`, `vendor`,
    /// `url`, `sdist-build` or `cache` in the report.
    #[serde(serialize_with = "serialize_source")]
    pub source: WheelSource,
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

/// Where a shipped package came from (the report's `source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WheelSource {
    /// A package index (`--index-url`, `--extra-index-url`).
    Index,
    /// A `--find-links` directory or page.
    FindLinks,
    /// The project's `vendor/` (a wheel or an unpacked package).
    Vendor,
    /// A direct reference in requirements.txt (`name @ https://…`, a local `.whl`).
    Url,
    /// Built from a source distribution.
    SdistBuild,
    /// grail's cache, with no index consulted.
    Cache,
}

impl WheelSource {
    /// The report's spelling. Ex) `find-links`
    pub fn as_str(self) -> &'static str {
        match self {
            WheelSource::Index => "index",
            WheelSource::FindLinks => "find-links",
            WheelSource::Vendor => "vendor",
            WheelSource::Url => "url",
            WheelSource::SdistBuild => "sdist-build",
            WheelSource::Cache => "cache",
        }
    }
}

fn serialize_source<S: serde::Serializer>(w: &WheelSource, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(w.as_str())
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

/// How the run ended: one value per exit code of the contract.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Exit 0: everything was written.
    #[default]
    Success,
    /// Exit 1: bad usage or bad project input.
    BadInput,
    /// Exit 2: the dependencies cannot be satisfied, downloaded or built.
    Unsatisfiable,
    /// Exit 3: over the size budget.
    OverBudget,
    /// Exit 4: chalice missing or app introspection failed.
    IntrospectionFailed,
    /// Exit 5: the artifact does not import (`--verify`).
    VerifyFailed,
}

impl Outcome {
    /// The outcome of a run that failed with `kind`.
    pub fn of(kind: ExitKind) -> Outcome {
        match kind {
            ExitKind::Usage => Outcome::BadInput,
            ExitKind::Dependencies => Outcome::Unsatisfiable,
            ExitKind::Budget => Outcome::OverBudget,
            ExitKind::Introspection => Outcome::IntrospectionFailed,
            ExitKind::Verify => Outcome::VerifyFailed,
        }
    }

    /// The process exit code that goes with it.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::BadInput => ExitKind::Usage.code(),
            Outcome::Unsatisfiable => ExitKind::Dependencies.code(),
            Outcome::OverBudget => ExitKind::Budget.code(),
            Outcome::IntrospectionFailed => ExitKind::Introspection.code(),
            Outcome::VerifyFailed => ExitKind::Verify.code(),
        }
    }
}

/// Why a failed run stopped (absent on success).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ErrorEntry {
    /// The error as printed on stderr (without the `error: ` prefix).
    pub message: String,
    /// The same, one entry per line: an unsatisfiable resolution's
    /// explanation gives one line per requirement chain.
    pub lines: Vec<String>,
}

impl ErrorEntry {
    /// The entry for an error message.
    pub fn new(message: &str) -> ErrorEntry {
        ErrorEntry {
            message: message.to_string(),
            lines: message
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// One requirement as read from requirements.txt.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RequirementEntry {
    /// Where it was written. Ex) `requirements.txt:2`
    pub origin: String,
    /// The requirement as written. Ex) `numpy<1.24`
    pub requirement: String,
}

/// One row of the ranked "largest packages" list (function zip, managed
/// layer and attached layers together), largest first.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RankedEntry {
    /// A package bucket or a layer. Ex) `pyarrow`
    pub name: String,
    /// Unzipped bytes.
    pub unzipped_bytes: u64,
    /// Where it is. Ex) `deployment.zip` or a layer ARN
    pub location: String,
}

/// One zip's contents by unzipped size (what `--report-html` draws as a
/// treemap): package buckets, each split by top-level name.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ZipContents {
    /// The zip. Ex) `deployment.zip`
    pub zip: String,
    /// Package buckets, largest first: a package name, `<app>`,
    /// `<vendor>` or `<chalice-runtime>`.
    pub packages: Vec<ContentGroup>,
}

/// One package bucket of a zip and its top-level names.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ContentGroup {
    /// Ex) `numpy` or `<app>`
    pub name: String,
    /// Unzipped bytes of the whole bucket.
    pub unzipped_bytes: u64,
    /// Its top-level names in the zip (in a managed layer, under
    /// `python/lib/pythonX.Y/site-packages/`), largest first.
    /// Ex) `numpy`, `numpy.libs`, `numpy-2.2.6.dist-info`
    pub modules: Vec<ContentItem>,
}

/// One top-level name of a package bucket.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ContentItem {
    /// Ex) `numpy.libs`
    pub name: String,
    /// Unzipped bytes under it.
    pub unzipped_bytes: u64,
}

/// The whole report.
///
/// A report is written for every outcome: a failed run fills in what it
/// knew when it stopped (the target once the project was read, the
/// requirements once they were parsed, the budget and the ranked list once
/// the zips were planned). New fields are plain `pub` fields, absent from
/// the JSON while empty, so adding one never changes older reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// This grail's version.
    pub grail_version: &'static str,
    /// How the run ended.
    pub outcome: Outcome,
    /// The process exit code (follows `outcome`).
    pub exit_code: i32,
    /// Why the run stopped, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorEntry>,
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
    /// The size budget (`null` until it is known).
    pub budget: Option<Budget>,
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
    /// The requirements read from requirements.txt (present once parsed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<RequirementEntry>,
    /// Everything that takes budget, largest first (present once the zips
    /// were planned: on success and when over the budget).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub largest: Vec<RankedEntry>,
    /// Each planned zip's contents by package and top-level name (present
    /// once the zips were planned).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contents: Vec<ZipContents>,
    /// Sdist-only releases resolution chose first (the newest allowed, as
    /// pip chooses) that could not be built for the target, each with the
    /// version shipped instead (present only when there are some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_built: Vec<NotBuiltEntry>,
}

/// A release that could not be built from its sdist, and the fallback.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct NotBuiltEntry {
    /// Normalised name. Ex) `atomicwrites`
    pub name: String,
    /// The release that could not be built. Ex) `1.4.1`
    pub version: String,
    /// The version shipped instead. Ex) `1.4.0`
    pub shipped: String,
    /// Why the build failed or its wheel cannot run on the target.
    pub reason: String,
}

impl Report {
    /// An empty report for a stage/runtime/architecture.
    pub fn new(stage: &str, runtime: &str, architecture: &str) -> Report {
        Report {
            schema: SCHEMA,
            grail_version: env!("CARGO_PKG_VERSION"),
            outcome: Outcome::Success,
            exit_code: 0,
            error: None,
            stage: stage.to_string(),
            runtime: runtime.to_string(),
            architecture: architecture.to_string(),
            packages: Vec::new(),
            excluded: Vec::new(),
            artifacts: Vec::new(),
            budget: None,
            warnings: Vec::new(),
            timings_ms: Timings::default(),
            chalice_runtime: BTreeMap::new(),
            suggestions: None,
            requirements: Vec::new(),
            largest: Vec::new(),
            verify: None,
            contents: Vec::new(),
            not_built: Vec::new(),
        }
    }

    /// Mark the report as the record of a run that failed with `kind`.
    pub fn fail(&mut self, kind: ExitKind, message: &str) {
        self.outcome = Outcome::of(kind);
        self.exit_code = self.outcome.exit_code();
        self.error = Some(ErrorEntry::new(message));
    }

    /// Pretty JSON with a trailing newline, lists sorted by name.
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.packages.sort_by(|a, b| a.name.cmp(&b.name));
        sorted.excluded.sort_by(|a, b| a.name.cmp(&b.name));
        sorted.largest.sort_by(|a, b| {
            b.unzipped_bytes
                .cmp(&a.unzipped_bytes)
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut s = serde_json::to_string_pretty(&sorted).unwrap_or_else(|e| {
            // Serialising plain structs of strings and numbers cannot fail;
            // keep a valid document if it ever does.
            format!("{{\"schema\": \"{SCHEMA}\", \"error\": \"{e}\"}}")
        });
        s.push('\n');
        // A requirement or origin may quote a URL with credentials.
        crate::secrets::redact_text(&s)
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
                source: WheelSource::Index,
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
        assert_eq!(v["outcome"], "success");
        assert_eq!(v["exit_code"], 0);
        assert!(v.get("error").is_none());
    }

    #[test]
    fn a_failure_names_its_outcome_and_splits_the_message() {
        let mut r = Report::new("dev", "python3.12", "x86_64");
        r.fail(
            ExitKind::Dependencies,
            "cannot be satisfied:\n  Because a\n  And b\n",
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["outcome"], "unsatisfiable");
        assert_eq!(v["exit_code"], 2);
        assert_eq!(
            v["error"]["lines"],
            serde_json::json!(["cannot be satisfied:", "Because a", "And b"])
        );
        for (kind, name, code) in [
            (ExitKind::Usage, "bad-input", 1),
            (ExitKind::Budget, "over-budget", 3),
            (ExitKind::Introspection, "introspection-failed", 4),
        ] {
            r.fail(kind, "x");
            let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            assert_eq!(
                (v["outcome"].as_str(), v["exit_code"].as_i64()),
                (Some(name), Some(code))
            );
        }
    }
}

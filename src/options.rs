//! The settings a command runs with: plain values, decided at the edge.
//!
//! The CLI parses its arguments (clap) and turns them into these structs, so
//! the library never sees how an option was spelled, and a test or another
//! front end can drive a command directly:
//!
//! ```
//! use grail::options::{BuildOptions, PackageOptions};
//! let opts = PackageOptions {
//!     out: "out".into(),
//!     build: BuildOptions { stage: "dev".into(), ..BuildOptions::default() },
//!     ..PackageOptions::default()
//! };
//! assert_eq!(opts.pkg_format, grail::options::PkgFormat::Cloudformation);
//! ```

use std::path::PathBuf;

use crate::target::{Arch, PythonVersion};

/// Which infrastructure template `grail package` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PkgFormat {
    /// SAM/CloudFormation (`sam.json` / `sam.yaml`).
    #[default]
    Cloudformation,
    /// Terraform (`chalice.tf.json`).
    Terraform,
}

impl PkgFormat {
    /// The name Chalice's `--pkg-format` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PkgFormat::Cloudformation => "cloudformation",
            PkgFormat::Terraform => "terraform",
        }
    }
}

/// The CloudFormation template's serialisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TemplateFormat {
    /// `sam.json`
    #[default]
    Json,
    /// `sam.yaml`
    Yaml,
}

impl TemplateFormat {
    /// The name Chalice's `--template-format` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateFormat::Json => "json",
            TemplateFormat::Yaml => "yaml",
        }
    }
}

/// Everything that decides what ships (shared by `package` and `why`).
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The Chalice stage whose configuration applies.
    pub stage: String,
    /// AWS profile (only for things that need one).
    pub profile: Option<String>,
    /// Interpreter for app introspection and, unless overridden, the runtime version.
    pub python: Option<PathBuf>,
    /// The Lambda runtime to package for; beats config and the interpreter.
    pub python_version: Option<PythonVersion>,
    /// The Lambda architecture; beats config `lambda_architecture`.
    pub arch: Option<Arch>,
    /// chalice release to take the runtime files from when no interpreter has chalice.
    pub chalice_version: Option<String>,
    /// Base URL of the package index.
    pub index_url: Option<String>,
    /// Extra package index URLs.
    pub extra_index_urls: Vec<String>,
    /// Directories or HTML pages with wheels (relative directories already
    /// made absolute against the working directory, as pip does).
    pub find_links: Vec<String>,
    /// Ignore package indexes.
    pub no_index: bool,
    /// Use only the local cache, find-links and vendor/.
    pub offline: bool,
    /// Cache directory (`None`: `$GRAIL_CACHE_DIR`, else `~/.cache/grail`).
    pub cache_dir: Option<PathBuf>,
    /// Re-query the index instead of trusting cached index pages.
    pub refresh: bool,
    /// `ARN=PATH` layer manifests, as given.
    pub layer_manifests: Vec<String>,
    /// Warn about uninstallable dependencies and go on (Chalice's behaviour).
    pub allow_missing: bool,
    /// Bundle a package even though an attached layer provides a conflicting version.
    pub allow_shadow: bool,
    /// How a lock file is used (`--locked`, `--frozen`; `grail lock` ignores locks).
    pub lock_mode: crate::lock::LockMode,
    /// `--lock PATH` (relative to the project dir); `None`: `pylock.toml` there.
    pub lock_path: Option<PathBuf>,
    /// `--requirements-from`: beats config `requirements_from`.
    pub requirements_from: Option<crate::requirements::pyproject::RequirementsFrom>,
    /// Fetch attached layers grail knows nothing about from AWS Lambda
    /// (`--fetch-layers`; config `fetch_layers` also turns it on).
    pub fetch_layers: bool,
}

/// `grail package` settings.
#[derive(Clone, Debug, Default)]
pub struct PackageOptions {
    /// Output directory (or zip file with `single_file`); relative to the project dir.
    pub out: PathBuf,
    /// Template format to generate.
    pub pkg_format: PkgFormat,
    /// CloudFormation serialisation.
    pub template_format: TemplateFormat,
    /// A template to merge into the generated one (CloudFormation only).
    pub merge_template: Option<PathBuf>,
    /// Write OUT as a single zip (CloudFormation only).
    pub single_file: bool,
    /// Where to write the JSON report.
    pub report: Option<PathBuf>,
    /// Where to write the HTML report (written whenever the JSON one would be).
    pub report_html: Option<PathBuf>,
    /// Also write the zip(s) under `.chalice/deployments/` with Chalice's names.
    pub chalice_cache: bool,
    /// Run `grail verify` on the result (exit 5 when it does not import).
    pub verify: bool,
    /// `--sysroot`: the target architecture's root for `verify`, when it is
    /// not this machine's.
    pub sysroot: Option<PathBuf>,
    /// Everything that decides what ships.
    pub build: BuildOptions,
}

impl PackageOptions {
    /// Whether a report (JSON or HTML) is asked for: the run then fills one
    /// in whatever the outcome, and is never skipped as up to date.
    pub fn wants_report(&self) -> bool {
        self.report.is_some() || self.report_html.is_some()
    }
}

/// `grail lock` settings.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// The stages whose targets to lock (`None`: every stage in config.json).
    pub stages: Option<Vec<String>>,
    /// Where to write (`None`: `pylock.toml` in the project dir; relative
    /// paths are relative to it).
    pub output: Option<PathBuf>,
    /// Everything that decides what ships (`stage` unused: see `stages`).
    pub build: BuildOptions,
}

/// `grail verify` settings.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// The directory `grail package` wrote; relative to the project dir.
    pub out: PathBuf,
    /// `--sysroot`: the target architecture's root, when it is not this
    /// machine's.
    pub sysroot: Option<PathBuf>,
    /// Everything that decides the target (runtime, architecture, layers).
    pub build: BuildOptions,
}

/// `grail why` settings.
#[derive(Clone, Debug, Default)]
pub struct WhyOptions {
    /// The package to explain.
    pub package: String,
    /// Everything that decides what ships.
    pub build: BuildOptions,
}

/// `grail suggest-layers` settings.
#[derive(Clone, Debug, Default)]
pub struct SuggestOptions {
    /// Everything that decides what ships.
    pub build: BuildOptions,
}

/// `grail layer fetch` settings.
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// The layer version ARNs, as given.
    pub arns: Vec<String>,
    /// Where to write the manifest (one ARN) or manifests (a directory).
    pub output: Option<PathBuf>,
    /// The AWS profile.
    pub profile: Option<String>,
    /// Keep the downloaded archives in this directory.
    pub keep_archive: Option<PathBuf>,
    /// Cache directory (`None`: `$GRAIL_CACHE_DIR`, else `~/.cache/grail`).
    pub cache_dir: Option<PathBuf>,
}

/// `grail layer show` settings.
#[derive(Clone, Debug, Default)]
pub struct ShowOptions {
    /// The layer version ARN, as given.
    pub arn: String,
    /// A layer manifest for it (a scan or a fetch), when given.
    pub manifest: Option<PathBuf>,
    /// Print JSON (`grail-layer-show/1`) instead of text.
    pub json: bool,
    /// The cache holding `grail layer fetch`'s manifests (`None`: grail's default).
    pub cache_dir: Option<PathBuf>,
}

/// `grail layer scan` settings.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The layer zip.
    pub layer_zip: PathBuf,
    /// The layer version ARN to record, as given.
    pub arn: Option<String>,
    /// Where to write the manifest (`None`: stdout).
    pub output: Option<PathBuf>,
}

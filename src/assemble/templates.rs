//! Templates (`sam.json`, `sam.yaml`, `chalice.tf.json`), written by the
//! project's own chalice so they match `chalice package` exactly.
//!
//! Chalice learns an app's resources by importing `app.py`: decorators can be
//! built dynamically, blueprints live in chalicelib, and the swagger document
//! is generated from runtime objects. Rather than re-implement that, grail
//! runs an embedded bridge script under the interpreter that has chalice:
//! Chalice's packager builds the templates (including `--merge-template`,
//! `--single-file`, YAML and Terraform), while its deployment packager is
//! swapped for grail's zip and its runtime/architecture for grail's target.
//!
//! ```no_run
//! use grail::assemble::templates::{generate, TemplateRequest};
//! let req = TemplateRequest {
//!     project_dir: "myapp".into(),
//!     out_dir: "/tmp/stage/pkg".into(),
//!     zip: "/tmp/stage/deployment.zip".into(),
//!     layer_zip: None,
//!     runtime: "python3.12".into(),
//!     architecture: "x86_64".into(),
//!     stage: "dev".into(),
//!     pkg_format: "cloudformation".into(),
//!     template_format: "json".into(),
//!     merge_template: None,
//!     single_file: None,
//!     profile: None,
//!     debug: false,
//!     default_region: Some("us-east-1".into()),
//! };
//! let outcome = generate(std::path::Path::new("/venv/bin/python"), &req).unwrap();
//! for line in &outcome.chalice_output {
//!     println!("{line}");
//! }
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::{Classify, ExitKind};

/// The bridge script (Python 3, runs under the project's interpreter).
const BRIDGE: &str = include_str!("chalice_templates.py");

/// What to generate, and where.
#[derive(Clone, Debug, Serialize)]
pub struct TemplateRequest {
    /// The project directory (the script `chdir`s there, as Chalice does).
    pub project_dir: PathBuf,
    /// Where Chalice writes the template and its copy of the zip.
    pub out_dir: PathBuf,
    /// grail's deployment zip (the app-only zip with `automatic_layer`).
    pub zip: PathBuf,
    /// With `automatic_layer`: grail's managed-layer zip, `None` when empty
    /// (Chalice then drops the layer from the templates).
    pub layer_zip: Option<PathBuf>,
    /// Ex) `python3.12`
    pub runtime: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// The Chalice stage.
    pub stage: String,
    /// `cloudformation` or `terraform`.
    pub pkg_format: String,
    /// `json` or `yaml`.
    pub template_format: String,
    /// `--merge-template` (relative to the project dir, as in Chalice).
    pub merge_template: Option<PathBuf>,
    /// With `--single-file`: the zip file to write everything into.
    pub single_file: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--debug`.
    pub debug: bool,
    /// Region to assume when none is configured (Chalice refuses to package
    /// without one; grail relaxes that, with a warning).
    pub default_region: Option<String>,
}

/// What the bridge reported.
#[derive(Clone, Debug, Default)]
pub struct TemplateOutcome {
    /// No region was configured and `default_region` was used.
    pub region_defaulted: bool,
    /// Lines chalice printed (Ex: "Unsupported service for auto policy generation: …").
    pub chalice_output: Vec<String>,
}

/// Why the templates could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The interpreter could not run the bridge.
    #[error("cannot run {python}")]
    Run {
        /// The interpreter.
        python: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// chalice could not be imported.
    #[error("chalice cannot be imported by {python} ({message}); install it (`pip install chalice`) or pass --python")]
    ChaliceMissing {
        /// The interpreter.
        python: PathBuf,
        /// The import error.
        message: String,
    },
    /// The user's app.py (or its imports) failed.
    #[error("importing the app failed: {message}\n{traceback}")]
    Import {
        /// The exception.
        message: String,
        /// The Python traceback.
        traceback: String,
    },
    /// Chalice refused to build the templates (bad merge template, S3 events
    /// in CloudFormation, duplicate resource names, …).
    #[error("chalice could not generate the templates: {message}")]
    Package {
        /// The exception.
        message: String,
        /// The Python traceback (shown with --debug).
        traceback: String,
    },
    /// The bridge printed something unexpected.
    #[error("the template bridge failed ({status}): {stderr}")]
    Bridge {
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
}

impl Classify for TemplateError {
    /// Exit 4 for a failing app or missing chalice (the contract), 1 for
    /// project input Chalice rejects.
    fn exit_kind(&self) -> ExitKind {
        match self {
            TemplateError::Package { .. } => ExitKind::Usage,
            _ => ExitKind::Introspection,
        }
    }
}

#[derive(Deserialize)]
struct BridgeReply {
    ok: bool,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    traceback: String,
    #[serde(default)]
    region_defaulted: bool,
}

/// Run the bridge under `python`.
pub fn generate(python: &Path, req: &TemplateRequest) -> Result<TemplateOutcome, TemplateError> {
    let run_err = |source| TemplateError::Run {
        python: python.to_path_buf(),
        source,
    };
    let mut child = Command::new(python)
        .arg("-c")
        .arg(BRIDGE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(run_err)?;
    let request = serde_json::to_vec(req).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&request).map_err(run_err)?;
    }
    let out = child.wait_with_output().map_err(run_err)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    let reply = lines
        .pop()
        .and_then(|l| serde_json::from_str::<BridgeReply>(&l).ok())
        .ok_or_else(|| TemplateError::Bridge {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })?;
    if reply.ok {
        return Ok(TemplateOutcome {
            region_defaulted: reply.region_defaulted,
            chalice_output: lines,
        });
    }
    Err(match reply.kind.as_str() {
        "chalice-missing" => TemplateError::ChaliceMissing {
            python: python.to_path_buf(),
            message: reply.message,
        },
        "import" => TemplateError::Import {
            message: reply.message,
            traceback: reply.traceback,
        },
        _ => TemplateError::Package {
            message: reply.message,
            traceback: reply.traceback,
        },
    })
}

//! Lambda layers: ARNs, manifests (what a layer provides and how big it is),
//! the embedded AWS SDK for pandas catalogue and the layer-zip scanner.
//!
//! Intended call sequence (the CLI wires it):
//!
//! 1. `grail package`: config.rs yields the function's layer ARNs (Chalice's
//!    precedence) and `layer_manifests`; the CLI merges `--layer-manifest`
//!    over them, then calls [`LayerSet::build`]. Print `set.warnings`; give
//!    `set.provided` to resolution (packages to treat as pre-installed);
//!    give `set.usages()` to [`crate::budget::Budget::compute`].
//! 2. `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`: parse the ARN,
//!    call [`scan_layer_zip`], print its warnings, write
//!    `scanned.manifest.to_json()`.
//! 3. `grail layer fetch ARN…`: [`fetch::fetch_layer`] (AWS Lambda, then
//!    the same scan, cached). `grail package` first calls
//!    [`fetch::fetch_unknown`] for the layers nothing else describes and
//!    adds what it finds to the user manifests.
//!
//! ```
//! use std::collections::BTreeMap;
//! use grail::layers::{Catalogue, LayerSet, LayerSetInput};
//! use grail::target::{Arch, LambdaTarget};
//!
//! let attached = vec!["arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29".to_string()];
//! let set = LayerSet::build(LayerSetInput {
//!     attached: &attached,
//!     user_manifests: &BTreeMap::new(),
//!     runtime_provided: true,
//!     target: LambdaTarget::new("3.12".parse().unwrap(), Arch::X86_64),
//!     catalogue: Catalogue::embedded(),
//! })
//! .unwrap();
//! assert_eq!(set.provided["pandas"].version.as_ref().unwrap().to_string(), "3.0.3");
//! assert_eq!(set.provided["boto3"].provided_by, "runtime");
//! assert!(set.warnings.is_empty());
//! ```

use std::path::PathBuf;

use crate::error::{Classify, ExitKind};

mod arn;
mod catalogue;
mod families;
pub mod fetch;
mod manifest;
mod public;
mod runtime;
mod scan;
mod set;

pub use arn::{LayerArn, LayerArnError, LayerArnErrorKind, LayerHints};
pub use catalogue::{Catalogue, CatalogueEntry, Recognised, ReleaseInfo};
pub use families::{identify, unversioned_constraint_warnings, AccountCheck, Contents, Identified};
pub use manifest::{
    runtime_manifest, LayerManifest, LayerPackage, Provenance, MANIFEST_SCHEMA, RUNTIME_PACKAGES,
};
pub use public::{known_public_layers, PublicLayer};
pub use runtime::{Floor, LambdaRuntime, RuntimePackage};
pub use scan::{scan_layer_zip, ScannedLayer};
pub use set::{
    AttachedLayer, LayerSet, LayerSetInput, ManifestSource, Provided, MAX_LAYERS, RUNTIME_PROVIDER,
};

/// Everything that can go wrong with layers; all are bad input (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// A `layer_manifests` / `--layer-manifest` key that is not a layer version ARN.
    #[error("layer manifest {path}: {error}; the key must be the layer version ARN")]
    ManifestKey {
        /// The manifest file.
        path: PathBuf,
        /// Why the key is not an ARN. Printed in the message; not a
        /// `#[source]`, so error chains do not print it twice.
        error: LayerArnError,
    },
    /// A manifest file that cannot be read.
    #[error("cannot read layer manifest {path}")]
    ManifestRead {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A manifest file that is not valid `grail-layer-manifest/1`.
    #[error("invalid layer manifest {path}: {message} (schema: grail-layer-manifest/1; `grail layer scan` writes one)")]
    ManifestInvalid {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A layer zip that cannot be opened.
    #[error("cannot open layer zip {path}")]
    ZipOpen {
        /// The zip.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A layer zip that is not a readable zip.
    #[error("cannot read layer zip {path}")]
    Zip {
        /// The zip.
        path: PathBuf,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// An entry of a layer zip that cannot be read.
    #[error("cannot read {entry} in layer zip {path}: {message}")]
    ZipEntry {
        /// The zip.
        path: PathBuf,
        /// The entry name.
        entry: String,
        /// What failed.
        message: String,
    },
}

impl Classify for LayerError {
    /// The exit code class: always bad input.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// Runs `scripts/SCRIPT --check`: the committed JSON under `data/` must be
/// what the script makes from its TOML source. Skipped (with a line) where
/// there is no python3 with `tomllib`.
#[cfg(test)]
pub(crate) fn assert_generated_in_sync(script: &str) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/scripts/{script}"))
        .arg("--check")
        .output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("No module named 'tomllib'") {
                eprintln!("skipped: python3 has no tomllib");
            } else {
                panic!("scripts/{script} --check failed: {stderr}");
            }
        }
        Err(e) => eprintln!("skipped: no python3 ({e})"),
    }
}

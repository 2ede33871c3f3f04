//! `grail verify`: import the artifact the way Lambda will, before it is
//! deployed.
//!
//! [`root`] unpacks `deployment.zip` (and `layer-deployment.zip`) into a
//! temporary root laid out as Lambda lays it out (`var/task`, `opt/python`);
//! [`interpreter`] finds a CPython of the target version and architecture;
//! [`run`] starts it in isolated mode (`-I -S`, Lambda's environment only)
//! on an embedded bridge script that imports every shipped top-level module
//! and `app`, and calls each Chalice route with a synthetic API Gateway
//! event; [`explain`] says, for each failure, which distribution it belongs
//! to and whether a layer or the runtime was expected to provide what is
//! missing (then it is *not verified*, not a failure).
//!
//! ```no_run
//! use grail::verify::{verify, Expectations, Request};
//! use grail::target::{Arch, PythonVersion};
//! let req = Request {
//!     app_zip: "out/deployment.zip".into(),
//!     layer_zip: None,
//!     search: Default::default(),
//!     version: "3.12".parse::<PythonVersion>().unwrap(),
//!     arch: Arch::X86_64,
//!     expectations: Expectations {
//!         layers: Vec::new(),
//!         machine: "x86_64".into(),
//!     },
//!     environment: Vec::new(),
//! };
//! let outcome = verify(&req).unwrap();
//! assert!(outcome.failures.is_empty());
//! ```

pub mod emulation;
pub mod explain;
pub mod interpreter;
pub mod reliance;
pub mod root;
pub mod run;
pub mod settings;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{ExitKind, Result};
use crate::layers::LayerSet;
use crate::target::{Arch, LambdaTarget, PythonVersion};

pub use explain::Expectations;

/// What to verify and with what.
#[derive(Clone, Debug)]
pub struct Request {
    /// The app zip (`OUT/deployment.zip`), unpacked into `var/task`.
    pub app_zip: PathBuf,
    /// The managed layer (`OUT/layer-deployment.zip`), unpacked into `opt/`.
    pub layer_zip: Option<PathBuf>,
    /// Where to look for the interpreter.
    pub search: interpreter::Search,
    /// The target runtime.
    pub version: PythonVersion,
    /// The target architecture.
    pub arch: Arch,
    /// What the attached layers and the runtime are expected to provide.
    pub expectations: Expectations,
    /// Variables the function has on Lambda besides Lambda's own (config
    /// `environment_variables`).
    pub environment: Vec<(String, String)>,
}

/// Why verification could not run or did not pass.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No interpreter of the target version and architecture here.
    #[error("cannot verify: {0}")]
    NoInterpreter(String),
    /// The output directory has no `deployment.zip`.
    #[error("cannot verify: {0} not found (run `grail package` first)")]
    NoArtifact(PathBuf),
    /// A zip could not be unpacked or the bridge could not run.
    #[error("cannot verify: {0}")]
    Io(String),
    /// Something in the zip does not import.
    #[error("verify failed: {0}")]
    Failed(String),
}

impl crate::error::Classify for VerifyError {
    /// A missing interpreter is an environment problem like a missing
    /// chalice (4); a missing artifact is bad input (1); a zip that does not
    /// import is 5.
    fn exit_kind(&self) -> ExitKind {
        match self {
            VerifyError::NoInterpreter(_) | VerifyError::Io(_) => ExitKind::Introspection,
            VerifyError::NoArtifact(_) => ExitKind::Usage,
            VerifyError::Failed(_) => ExitKind::Verify,
        }
    }
}

/// One import or handler that failed, with grail's explanation.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyFailure {
    /// The module (or `METHOD /route` for a handler).
    pub module: String,
    /// The distribution that ships it, when known.
    pub distribution: Option<String>,
    /// `import` or `handler`.
    pub stage: String,
    /// The exception, `Type: message`.
    pub exception: String,
    /// grail's explanation.
    pub explanation: String,
}

/// What `grail verify` found; the report's `verify` section.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The interpreter used and its version. Ex) `/usr/bin/python3.12 (3.12.3)`
    pub interpreter: String,
    /// Modules imported.
    pub imported: Vec<String>,
    /// Routes called and their status codes. Ex) `GET / -> 200`
    pub routes: Vec<String>,
    /// Imports that failed.
    pub failures: Vec<VerifyFailure>,
    /// Imports that failed because a layer or the runtime would provide
    /// the module, which grail cannot check here.
    pub not_verified: Vec<VerifyFailure>,
    /// Imports that failed for the package's own reasons, not grail's (an
    /// optional extra not installed, a module its Python no longer has, an
    /// import it does not declare, a test module): reported, not failures.
    /// A failure in `app` (or in what `app` imports) is never one of these.
    pub package_own: Vec<VerifyFailure>,
    /// Packages the plan kept out of the zip because a layer or the runtime
    /// provides them (`grail package --verify` only): not verified here.
    pub relies_on: Vec<reliance::Reliance>,
}

impl Outcome {
    /// The human summary, one finding a line.
    pub fn render(&self) -> String {
        let mut s = format!(
            "verify: {} modules imported, {} route(s) called, with {}\n",
            self.imported.len(),
            self.routes.len(),
            self.interpreter
        );
        s.push_str(&reliance::render(&self.relies_on));
        for f in &self.not_verified {
            s.push_str(&format!(
                "  not verified: {} ({}): {}\n",
                f.module, f.exception, f.explanation
            ));
        }
        for f in &self.package_own {
            s.push_str(&format!(
                "  not a failure: {} ({}): {}\n",
                f.module, f.exception, f.explanation
            ));
        }
        for f in &self.failures {
            s.push_str(&format!(
                "  FAILED {} {}: {}\n    {}\n",
                f.stage, f.module, f.exception, f.explanation
            ));
        }
        s
    }

    /// `Err(VerifyError::Failed)` when anything failed.
    pub fn check(&self) -> Result<()> {
        if self.failures.is_empty() {
            return Ok(());
        }
        Err(VerifyError::Failed(format!(
            "{} of the artifact's imports or handlers fail under {}\n{}",
            self.failures.len(),
            self.interpreter,
            self.render().trim_end()
        ))
        .into())
    }
}

/// What the project adds to a verification besides the zips.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// The packaging plan's reliances on layers and the runtime (`package
    /// --verify`), reported with the outcome.
    pub relies_on: Vec<reliance::Reliance>,
    /// The stage's `environment_variables` (config), which Lambda sets for
    /// the function: an app reading them at import time needs them.
    pub environment: Vec<(String, String)>,
}

/// Verify `app_zip` (and the managed `layer_zip`) for `target`, expecting
/// what `layers` (the attached layers, and the runtime) provide.
pub fn verify_target(
    target: LambdaTarget,
    search: interpreter::Search,
    layers: &LayerSet,
    (app_zip, layer_zip): (&Path, Option<&Path>),
    extras: Extras,
) -> Result<Outcome> {
    let mut outcome = verify(&Request {
        app_zip: app_zip.to_path_buf(),
        layer_zip: layer_zip.map(Path::to_path_buf),
        search,
        version: target.python,
        arch: target.arch,
        expectations: Expectations::from_layers(layers, target.arch),
        environment: extras.environment,
    })?;
    outcome.relies_on = extras.relies_on;
    Ok(outcome)
}

/// Unpack, find the interpreter, run the bridge, explain.
pub fn verify(req: &Request) -> Result<Outcome> {
    let py = find_interpreter(&req.search, req.version, req.arch)?;
    let root = root::unpack(&req.app_zip, req.layer_zip.as_deref())?;
    let raw = run::run_bridge(&py, root.path(), req.version, &req.environment)?;
    Ok(explain::explain(raw, &py, &req.expectations))
}

/// The interpreter to verify with: this machine's for its own architecture,
/// the target root's under QEMU for another.
pub fn find_interpreter(
    search: &interpreter::Search,
    version: PythonVersion,
    arch: Arch,
) -> Result<interpreter::Found> {
    if std::env::consts::ARCH == arch.machine() {
        return interpreter::find(search, version, arch);
    }
    let python = search
        .only_python
        .then_some(search.python.as_deref())
        .flatten();
    emulation::find(search.sysroot.as_deref(), python, version, arch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_architecture_without_a_root_names_qemu_and_the_recipe() {
        let other = if std::env::consts::ARCH == "x86_64" {
            Arch::Arm64
        } else {
            Arch::X86_64
        };
        let e = find_interpreter(&Default::default(), "3.12".parse().unwrap(), other).unwrap_err();
        assert_eq!(e.kind.code(), 4);
        let text = e.to_string();
        assert!(text.contains("cannot verify: no python3.12 for"), "{text}");
        assert!(text.contains("install qemu-user-static"), "{text}");
        assert!(text.contains("--sysroot DIR"), "{text}");
    }
}

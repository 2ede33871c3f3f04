//! No-op rebuilds: `grail package` into the same OUT with nothing changed
//! resolves nothing, downloads nothing, writes nothing, and says so.
//!
//! After a successful build, a small state file is written to the cache
//! (`<cache>/rebuild/<sha256 of OUT's path>.json`) holding
//!
//! - the fingerprint of every input ([`inputs::fingerprint`]): the shipped
//!   project files and `.chalice/` by content, requirements.txt and its
//!   `-r`/`-c` files, local wheels, layer manifests, the merge template, the
//!   options, the environment variables grail and pip read, grail's version
//!   and binary;
//! - the interpreter the templates and the chalice runtime files came from
//!   (its binary's stamp and the content of chalice's `app.py` and
//!   `__init__.py`, which carry chalice's version), found again without
//!   running Python;
//! - the size and sha256 of every file written into OUT.
//!
//! The next run into the same OUT is a no-op only when all three still
//! match; otherwise it builds from scratch as if the state did not exist
//! (the state never feeds a build), then records again. Deleting the state
//! is always safe.
//!
//! Like uv's reuse of a previous resolution, a no-op does not ask the index
//! whether an unpinned requirement has a newer release: `--refresh` (or any
//! change to requirements.txt) resolves again. The one-line message says so.

pub mod inputs;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::options::PackageOptions;
use crate::python::Interpreter;

/// Bumped whenever the state's meaning changes: an old state is ignored.
const STATE_VERSION: u32 = 1;

/// What a successful build left behind for the next run to compare with.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    inputs: String,
    interpreter: Option<InterpreterStamp>,
    outputs: Vec<Output>,
    warnings: Vec<String>,
}

/// One file written into OUT.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Output {
    path: PathBuf,
    size: u64,
    sha256: String,
}

/// The interpreter a build used, as it can be found again without running it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct InterpreterStamp {
    /// How it is invoked (`python3`, `$VIRTUAL_ENV/bin/python`, `--python`).
    invoked: PathBuf,
    /// Size and mtime of the binary it resolves to.
    binary: String,
    /// `(path, sha256)` of chalice's `app.py` and `__init__.py`.
    chalice: Vec<(PathBuf, String)>,
}

/// A run's rebuild bookkeeping: the state file and this run's fingerprint.
pub struct Rebuild {
    state_path: PathBuf,
    inputs: String,
    explicit_python: Option<PathBuf>,
}

/// What a no-op run tells the user.
pub struct NoOp {
    /// The one line.
    pub message: String,
    /// The previous build's warnings (still true: nothing changed).
    pub warnings: Vec<String>,
}

impl Rebuild {
    /// Fingerprint this run. `Err` says why it cannot be a no-op (it then
    /// builds and records nothing).
    pub fn prepare(
        project_dir: &Path,
        out: &Path,
        args: &PackageOptions,
    ) -> Result<Rebuild, inputs::Ineligible> {
        let cache = args
            .build
            .cache_dir
            .clone()
            .or_else(crate::cache::Cache::default_dir)
            .ok_or("no cache directory")?;
        let out = std::path::absolute(out).map_err(|e| e.to_string())?;
        let key = hex::encode(Sha256::digest(out.as_os_str().as_encoded_bytes()));
        Ok(Rebuild {
            state_path: cache.join("rebuild").join(format!("{key}.json")),
            inputs: inputs::fingerprint(project_dir, args)?,
            explicit_python: args.build.python.clone(),
        })
    }

    /// `Some` when nothing changed since the recorded build and OUT still
    /// holds exactly what it wrote.
    pub fn unchanged(&self) -> Option<NoOp> {
        let state: State = serde_json::from_slice(&std::fs::read(&self.state_path).ok()?).ok()?;
        if state.version != STATE_VERSION || state.inputs != self.inputs {
            return None;
        }
        let now = find_interpreter(self.explicit_python.as_deref())
            .map(|invoked| stamp_interpreter(invoked, state.interpreter.as_ref()));
        if now != state.interpreter {
            return None;
        }
        for o in &state.outputs {
            let (size, sha256) = crate::assemble::hash_file(&o.path).ok()?;
            if size != o.size || sha256 != o.sha256 {
                return None;
            }
        }
        Some(NoOp {
            message: "Nothing changed since the last build: OUT is up to date \
                      (dependencies as resolved then; --refresh re-resolves)."
                .to_string(),
            warnings: state.warnings,
        })
    }

    /// Record a successful build: `outputs` are the files written (all of
    /// them), `interpreter` the one the build used. Failures are ignored:
    /// the next run then simply builds.
    pub fn record(
        &self,
        outputs: &[PathBuf],
        interpreter: Option<&Interpreter>,
        warnings: &[String],
    ) {
        let found = find_interpreter(self.explicit_python.as_deref());
        // The interpreter is found again by the same search; if the build
        // used another one (a probe fell through), do not record.
        if found.as_deref() != interpreter.map(|i| i.path.as_path()) {
            let _ = std::fs::remove_file(&self.state_path);
            return;
        }
        let interpreter = interpreter.map(|i| InterpreterStamp {
            binary: inputs::stamp(&which(&i.path)),
            chalice: i
                .chalice
                .iter()
                .flat_map(|c| ["app.py", "__init__.py"].map(|f| c.package_dir.join(f)))
                .map(|p| {
                    let h = crate::assemble::hash_file(&p)
                        .map(|h| h.1)
                        .unwrap_or_default();
                    (p, h)
                })
                .collect(),
            invoked: i.path.clone(),
        });
        let mut recorded = Vec::new();
        for p in outputs {
            match crate::assemble::hash_file(p) {
                Ok((size, sha256)) => recorded.push(Output {
                    path: std::path::absolute(p).unwrap_or_else(|_| p.clone()),
                    size,
                    sha256,
                }),
                Err(_) => return,
            }
        }
        let state = State {
            version: STATE_VERSION,
            inputs: self.inputs.clone(),
            interpreter,
            outputs: recorded,
            warnings: warnings.to_vec(),
        };
        let _ = write_state(&self.state_path, &state);
    }
}

fn write_state(path: &Path, state: &State) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&tmp, state)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The stamp of the interpreter now at `invoked`, re-hashing the chalice
/// files the previous build used (a chalice upgrade changes them).
fn stamp_interpreter(invoked: PathBuf, before: Option<&InterpreterStamp>) -> InterpreterStamp {
    let chalice = before
        .map(|b| {
            b.chalice
                .iter()
                .map(|(p, _)| {
                    let h = crate::assemble::hash_file(p)
                        .map(|h| h.1)
                        .unwrap_or_default();
                    (p.clone(), h)
                })
                .collect()
        })
        .unwrap_or_default();
    InterpreterStamp {
        binary: inputs::stamp(&which(&invoked)),
        chalice,
        invoked,
    }
}

/// The interpreter [`Interpreter::discover`] would try first, without
/// running it: `--python`, else `$VIRTUAL_ENV/bin/python`, else `python3`
/// when it is on PATH.
fn find_interpreter(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        let bare = p.components().count() == 1 && !p.is_absolute();
        return Some(if bare || p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(p)
        });
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(venv).join("bin").join("python");
        if p.exists() {
            return Some(p);
        }
    }
    let python3 = PathBuf::from("python3");
    which(&python3).is_file().then_some(python3)
}

/// A bare command name looked up on PATH (the path itself otherwise).
fn which(p: &Path) -> PathBuf {
    if p.components().count() != 1 || p.is_absolute() {
        return p.to_path_buf();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(p))
        .find(|c| c.is_file())
        .unwrap_or_else(|| p.to_path_buf())
}

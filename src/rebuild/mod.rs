//! No-op and incremental rebuilds: `grail package` into the same OUT with
//! nothing changed resolves nothing, downloads nothing, writes nothing, and
//! says so; with only project files changed it reuses the previous
//! resolution and raw-copies the unchanged entries of the previous zips.
//!
//! After a successful build, a small state file is written to the cache
//! (`<cache>/rebuild/<sha256 of OUT's path>.json`) holding
//!
//! - the fingerprint of every input ([`inputs::fingerprint`]): the shipped
//!   project files and `.chalice/` by content, requirements.txt and its
//!   `-r`/`-c` files, local wheels, layer manifests, the merge template, the
//!   options, the environment variables grail and pip read, grail's version
//!   and binary; twice, with and without the shipped project files;
//! - the interpreter the templates and the chalice runtime files came from
//!   (its binary's stamp and the content of chalice's `app.py` and
//!   `__init__.py`, which carry chalice's version), found again without
//!   running Python;
//! - the size and sha256 of every file written into OUT;
//! - the dependency plan ([`saved`]) and, for each zip in OUT, the key of
//!   every entry (see [`crate::assemble::reuse`]).
//!
//! The next run into the same OUT is
//!
//! - a **no-op** when all of that still matches;
//! - **incremental** when only the shipped project files (app.py,
//!   chalicelib/, vendor/'s loose files, not which packages vendor/
//!   provides) changed, the interpreter is the same and the zips in OUT are
//!   still the ones recorded (size and sha256): the saved dependency plan
//!   replaces resolution and downloads, everything after it (zip plan,
//!   audit, budget, templates) runs as in a clean build, and entries whose
//!   key did not change are raw-copied from the previous zip. The zips are
//!   byte-identical to a clean build's: a raw copy gets the fixed time and
//!   mode a clean write gives;
//! - a **full** build otherwise, as if the state did not exist.
//!
//! The state only ever decides *whether* to resolve and *which bytes* to
//! copy instead of compressing again; it never adds anything to the
//! artifacts. Deleting it is always safe.
//!
//! Like uv's reuse of a previous resolution, a no-op or an incremental build
//! does not ask the index whether an unpinned requirement has a newer
//! release: `--refresh` (or any change to requirements.txt) resolves again.
//! The one-line message says so.

pub mod inputs;
mod saved;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assemble::{PreviousZip, ZipSummary};
use crate::dependencies::DependencyPlan;
use crate::options::PackageOptions;
use crate::python::{ChaliceRuntime, Interpreter};

/// Bumped whenever the state's meaning changes: an old state is ignored.
const STATE_VERSION: u32 = 2;

/// What a successful build left behind for the next run to compare with.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    version: u32,
    inputs: String,
    /// [`inputs::Fingerprint::base`].
    base: String,
    interpreter: Option<InterpreterStamp>,
    outputs: Vec<Output>,
    warnings: Vec<String>,
    /// The dependency plan, when it can be replayed.
    deps: Option<saved::SavedDeps>,
    /// The chalice runtime files shipped.
    chalice: Option<saved::SavedChalice>,
    /// The interpreter probe's answer (`None`: no interpreter was found).
    probe: Option<saved::SavedInterpreter>,
    /// The zips written into OUT with their entry keys.
    zips: Vec<SavedZip>,
}

/// A zip in OUT and the key of each of its entries.
#[derive(Debug, Serialize, Deserialize)]
struct SavedZip {
    path: PathBuf,
    entry_keys: Vec<(String, String)>,
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
    inputs: inputs::Fingerprint,
    explicit_python: Option<PathBuf>,
}

/// What an incremental build takes from the previous one instead of
/// resolving, downloading and probing the interpreter.
pub struct Replay {
    /// The dependency plan, its wheels reopened.
    pub deps: DependencyPlan,
    /// The chalice runtime files.
    pub chalice: ChaliceRuntime,
    /// The interpreter probe's answer (same binary, same chalice files).
    pub interpreter: Option<Interpreter>,
}

impl Replay {
    /// `(deps, chalice, interpreter)`, each `Some` with a replay.
    #[allow(clippy::type_complexity)]
    pub fn split(
        replay: Option<Replay>,
    ) -> (
        Option<DependencyPlan>,
        Option<ChaliceRuntime>,
        Option<Option<Interpreter>>,
    ) {
        match replay {
            Some(r) => (Some(r.deps), Some(r.chalice), Some(r.interpreter)),
            None => (None, None, None),
        }
    }
}

/// What an incremental build reuses from the previous one.
pub struct Reuse {
    /// Taken by the analysis.
    pub replay: Option<Replay>,
    /// The previous zips in OUT by file name, checked against the state.
    zips: Vec<(String, PreviousZip)>,
    /// Entries per previous zip, for the message.
    before: Vec<(String, Vec<String>)>,
}

impl Reuse {
    /// The previous zip named `name` (`deployment.zip`, `layer-deployment.zip`).
    pub fn take_zip(&mut self, name: &str) -> Option<PreviousZip> {
        let i = self.zips.iter().position(|(n, _)| n == name)?;
        Some(self.zips.swap_remove(i).1)
    }

    /// The one line: what changed, what was reused, how long it took.
    /// Ex) `Rebuilt deployment.zip: 1 changed file, 2,431 entries reused (0.09s).`
    pub fn message(&self, written: &[(&str, &ZipSummary)], seconds: f64) -> String {
        let mut parts = Vec::new();
        for (name, s) in written {
            let before = self
                .before
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, names)| names.as_slice())
                .unwrap_or_default();
            let now: std::collections::HashSet<&str> =
                s.entry_keys.iter().map(|(n, _)| n.as_str()).collect();
            let removed = before.iter().filter(|n| !now.contains(n.as_str())).count();
            let changed = s.entries - s.reused;
            let mut part = format!("{name}: {}", count(changed, "changed file"));
            if removed > 0 {
                part.push_str(&format!(", {removed} removed"));
            }
            part.push_str(&format!(", {} reused", count(s.reused, "entry")));
            parts.push(part);
        }
        if parts.is_empty() {
            // --single-file: one zip holding everything, written anew.
            parts.push("the package from the previous resolution".to_string());
        }
        format!(
            "Rebuilt {} ({seconds:.2}s; dependencies as resolved before, --refresh re-resolves).",
            parts.join("; ")
        )
    }
}

/// `1 changed file`, `2,431 entries`.
fn count(n: usize, what: &str) -> String {
    let plural = match (n, what.strip_suffix('y')) {
        (1, _) => what.to_string(),
        (_, Some(stem)) => format!("{stem}ies"),
        _ => format!("{what}s"),
    };
    format!("{} {plural}", crate::budget::group_digits(n as u64))
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
        let state = self.load()?;
        if state.inputs != self.inputs.all || !self.same_interpreter(&state) {
            return None;
        }
        for o in &state.outputs {
            if !o.intact() {
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

    /// What an incremental build may reuse: `Ok` when only the shipped
    /// project files changed since the recorded build, the interpreter is
    /// the same and the zips in OUT are the ones recorded; `Err` says why
    /// the build is a full one.
    pub fn reusable(&self) -> Result<Reuse, String> {
        let state = self.load().ok_or("no previous build recorded")?;
        if state.base != self.inputs.base {
            return Err("inputs beyond the project files changed".into());
        }
        if !self.same_interpreter(&state) {
            return Err("the interpreter or its chalice changed".into());
        }
        let deps = state.deps.ok_or("the previous plan cannot be replayed")?;
        let chalice = state.chalice.ok_or("no chalice runtime recorded")?;
        // Recorded only when the probe found the interpreter searched for.
        let interpreter = state.probe.map(saved::SavedInterpreter::restore);
        let mut zips = Vec::new();
        let mut before = Vec::new();
        for z in state.zips {
            let recorded = state.outputs.iter().find(|o| o.path == z.path);
            if !recorded.is_some_and(Output::intact) {
                return Err(format!("{} is not the zip grail wrote", z.path.display()));
            }
            let name = z.path.file_name().unwrap_or_default();
            let name = name.to_string_lossy().into_owned();
            before.push((
                name.clone(),
                z.entry_keys.iter().map(|k| k.0.clone()).collect(),
            ));
            zips.push((name, PreviousZip::new(z.path, &z.entry_keys)));
        }
        Ok(Reuse {
            replay: Some(Replay {
                deps: deps.restore()?,
                chalice: chalice.restore()?,
                interpreter,
            }),
            zips,
            before,
        })
    }

    fn load(&self) -> Option<State> {
        let state: State = serde_json::from_slice(&std::fs::read(&self.state_path).ok()?).ok()?;
        (state.version == STATE_VERSION).then_some(state)
    }

    fn same_interpreter(&self, state: &State) -> bool {
        let now = find_interpreter(self.explicit_python.as_deref())
            .map(|invoked| stamp_interpreter(invoked, state.interpreter.as_ref()));
        now == state.interpreter
    }

    /// Record a successful build: `outputs` are the files written (all of
    /// them), `zips` the zips among them (final path and what was written:
    /// their hashes are not computed again), `deps` and `chalice` what the
    /// build shipped, `interpreter` the one it used, `warnings` its warnings. Failures are ignored: the next
    /// run then simply builds.
    pub fn record(
        &self,
        outputs: &[PathBuf],
        zips: &[(PathBuf, &ZipSummary)],
        deps: &DependencyPlan,
        chalice: &ChaliceRuntime,
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
        let probe = interpreter.map(saved::SavedInterpreter::save);
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
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut recorded = Vec::new();
        for p in outputs {
            let written = zips.iter().find(|(z, _)| z == p).map(|(_, s)| s);
            let hashed = match written {
                Some(s) => Ok((s.zipped_bytes, s.sha256.clone())),
                None => crate::assemble::hash_file(p),
            };
            match hashed {
                Ok((size, sha256)) => recorded.push(Output {
                    path: absolute(p),
                    size,
                    sha256,
                }),
                Err(_) => return,
            }
        }
        let state = State {
            version: STATE_VERSION,
            inputs: self.inputs.all.clone(),
            base: self.inputs.base.clone(),
            interpreter,
            outputs: recorded,
            warnings: warnings.to_vec(),
            deps: saved::SavedDeps::save(deps),
            chalice: Some(saved::SavedChalice::save(chalice)),
            probe,
            zips: zips
                .iter()
                .map(|(p, s)| SavedZip {
                    path: absolute(p),
                    entry_keys: s.entry_keys.clone(),
                })
                .collect(),
        };
        let _ = write_state(&self.state_path, &state);
    }
}

impl Output {
    /// Whether the file still has the recorded size and sha256.
    fn intact(&self) -> bool {
        self.open_intact().is_some()
    }

    /// The file, opened, when it still has the recorded size and sha256
    /// (what is read later through this handle is what was checked).
    fn open_intact(&self) -> Option<std::fs::File> {
        use std::io::{Read, Seek};
        let mut f = std::fs::File::open(&self.path).ok()?;
        if f.metadata().ok()?.len() != self.size {
            return None;
        }
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        f.rewind().ok()?;
        (hex::encode(h.finalize()) == self.sha256).then_some(f)
    }
}

fn write_state(path: &Path, state: &State) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // One write: serialising straight into the file costs a syscall per
    // token (thousands, for a zip's entry list).
    std::io::Write::write_all(&mut tmp, &serde_json::to_vec(state)?)?;
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

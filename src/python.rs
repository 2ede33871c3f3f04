//! The host Python interpreter, and the Chalice runtime files it provides.
//!
//! Chalice takes the runtime from the interpreter that runs it and copies
//! `chalice/app.py` and `chalice/__init__.py` from its installed `chalice`
//! package into every deployment package. grail finds the interpreter the
//! same way a user would run chalice: `--python`, else
//! `$VIRTUAL_ENV/bin/python`, else `python3` on `PATH`.
//!
//! ```no_run
//! use grail::python::Interpreter;
//! if let Some(py) = Interpreter::discover(None).unwrap() {
//!     println!("{} is Python {}", py.path.display(), py.version_string());
//!     if let Some(c) = &py.chalice {
//!         println!("chalice {} in {}", c.version, c.package_dir.display());
//!     }
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::target::PythonVersion;

/// Prints what the packager needs to know about an interpreter, as JSON.
const PROBE: &str = r#"
import json, os, sys
out = {"version": list(sys.version_info[:3]), "executable": sys.executable, "chalice": None}
try:
    import chalice
    out["chalice"] = {"version": getattr(chalice, "__version__", "unknown"),
                      "dir": os.path.dirname(os.path.abspath(chalice.__file__))}
except Exception as e:
    out["chalice_error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
"#;

/// Why an interpreter could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    /// `--python PATH` does not run.
    #[error("cannot run the Python interpreter {path} (check --python)")]
    NotRunnable {
        /// The interpreter.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The interpreter ran but the probe failed.
    #[error("the Python interpreter {path} failed to report its version: {stderr}")]
    ProbeFailed {
        /// The interpreter.
        path: PathBuf,
        /// What it printed on stderr.
        stderr: String,
    },
    /// A Chalice runtime file is missing from the installed package.
    #[error("{0} is missing from the installed chalice package; reinstall it with `pip install --force-reinstall chalice`")]
    MissingRuntimeFile(PathBuf),
    /// Reading a runtime file failed.
    #[error("cannot read {path}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl crate::error::Classify for PythonError {
    /// An interpreter that does not run is bad input (1, check `--python`);
    /// a broken chalice install is an introspection failure (4).
    fn exit_kind(&self) -> crate::error::ExitKind {
        use crate::error::ExitKind;
        match self {
            PythonError::NotRunnable { .. } | PythonError::ProbeFailed { .. } => ExitKind::Usage,
            PythonError::MissingRuntimeFile(_) | PythonError::Unreadable { .. } => {
                ExitKind::Introspection
            }
        }
    }
}

/// An installed `chalice` package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChaliceInstall {
    /// `chalice.__version__`. Ex) `1.34.0`
    pub version: String,
    /// The package directory holding `app.py` and `__init__.py`.
    pub package_dir: PathBuf,
}

/// A Python interpreter on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// How it was invoked.
    pub path: PathBuf,
    /// `sys.version_info[:3]`.
    pub version: (u8, u8, u8),
    /// The chalice it can import, if any.
    pub chalice: Option<ChaliceInstall>,
    /// Why `import chalice` failed, if it did.
    pub chalice_error: Option<String>,
}

#[derive(Deserialize)]
struct ProbeOut {
    version: (u8, u8, u8),
    chalice: Option<ProbeChalice>,
    chalice_error: Option<String>,
}

#[derive(Deserialize)]
struct ProbeChalice {
    version: String,
    dir: PathBuf,
}

impl Interpreter {
    /// Find the interpreter chalice would run under. An explicit path must
    /// work; otherwise `Ok(None)` means none was found.
    pub fn discover(explicit: Option<&Path>) -> Result<Option<Interpreter>, PythonError> {
        if let Some(p) = explicit {
            return Interpreter::probe(&resolve_explicit(p)).map(Some);
        }
        if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
            let p = PathBuf::from(venv).join("bin").join("python");
            if p.exists() {
                if let Ok(i) = Interpreter::probe(&p) {
                    return Ok(Some(i));
                }
            }
        }
        match Interpreter::probe(Path::new("python3")) {
            Ok(i) => Ok(Some(i)),
            Err(PythonError::NotRunnable { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Run `path` and ask it for its version and chalice.
    pub fn probe(path: &Path) -> Result<Interpreter, PythonError> {
        let out = Command::new(path)
            .arg("-c")
            .arg(PROBE)
            .env("AWS_CHALICE_CLI_MODE", "true")
            .output()
            .map_err(|source| PythonError::NotRunnable {
                path: path.to_path_buf(),
                source,
            })?;
        let fail = |stderr: String| PythonError::ProbeFailed {
            path: path.to_path_buf(),
            stderr,
        };
        if !out.status.success() {
            return Err(fail(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let parsed: ProbeOut = serde_json::from_str(line)
            .map_err(|e| fail(format!("unexpected output {line:?}: {e}")))?;
        Ok(Interpreter {
            path: path.to_path_buf(),
            version: parsed.version,
            chalice: parsed.chalice.map(|c| ChaliceInstall {
                version: c.version,
                package_dir: c.dir,
            }),
            chalice_error: parsed.chalice_error,
        })
    }

    /// Ex) `3.12.1`
    pub fn version_string(&self) -> String {
        format!("{}.{}.{}", self.version.0, self.version.1, self.version.2)
    }

    /// `major.minor`.
    pub fn python_version(&self) -> PythonVersion {
        PythonVersion::new(self.version.0, self.version.1)
    }
}

/// The two Chalice files every deployment package carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChaliceRuntime {
    /// The chalice version they come from. Ex) `1.34.0`
    pub version: String,
    /// Where they were taken from, for messages. Ex) `/venv/lib/python3.12/site-packages/chalice`
    pub origin: String,
    /// `chalice/app.py`
    pub app_py: Vec<u8>,
    /// `chalice/__init__.py`
    pub init_py: Vec<u8>,
}

impl ChaliceRuntime {
    /// Read the runtime files from an installed chalice package.
    pub fn from_install(install: &ChaliceInstall) -> Result<ChaliceRuntime, PythonError> {
        let read = |name: &str| {
            let p = install.package_dir.join(name);
            std::fs::read(&p).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    PythonError::MissingRuntimeFile(p.clone())
                } else {
                    PythonError::Unreadable {
                        path: p.clone(),
                        source,
                    }
                }
            })
        };
        Ok(ChaliceRuntime {
            version: install.version.clone(),
            origin: install.package_dir.display().to_string(),
            app_py: read("app.py")?,
            init_py: read("__init__.py")?,
        })
    }
}

/// Take `chalice/app.py` and `chalice/__init__.py` from chalice's wheel on
/// the index: `version`, else the newest final release.
pub fn fetch_chalice_runtime(
    client: &crate::index::IndexClient,
    version: Option<&str>,
) -> crate::error::Result<ChaliceRuntime> {
    use crate::error::{Context, ExitKind, Failure, Kind};
    use std::str::FromStr;
    let wanted = version
        .map(pep508_rs::pep440_rs::Version::from_str)
        .transpose()
        .kind(ExitKind::Usage)
        .context("--chalice-version")?;
    // Whatever else fails, chalice's own files could not be had: exit 4.
    let files = client.project("chalice").kind(ExitKind::Introspection)?;
    let mut best: Option<(pep508_rs::pep440_rs::Version, crate::index::DistFile)> = None;
    for f in files {
        let Ok(w) = f.filename.parse::<crate::wheel::WheelFilename>() else {
            continue;
        };
        if f.is_yanked() && wanted.is_none() {
            continue;
        }
        let ok = match &wanted {
            Some(v) => &w.version == v,
            None => !w.version.any_prerelease(),
        };
        if ok && best.as_ref().is_none_or(|(v, _)| w.version > *v) {
            best = Some((w.version.clone(), f));
        }
    }
    let (v, f) = best.ok_or_else(|| {
        Failure::msg(
            ExitKind::Introspection,
            format!(
                "no chalice wheel{} on the index",
                version
                    .map(|v| format!(" for version {v}"))
                    .unwrap_or_default()
            ),
        )
    })?;
    let path = client.download(&f).kind(ExitKind::Introspection)?;
    let file = std::fs::File::open(&path).kind(ExitKind::Introspection)?;
    let mut zip =
        zip::ZipArchive::new(std::io::BufReader::new(file)).kind(ExitKind::Introspection)?;
    let mut read = |name: &str| -> crate::error::Result<Vec<u8>> {
        let mut e = zip
            .by_name(name)
            .kind(ExitKind::Introspection)
            .with_context(|| format!("{} has no {name}", f.filename))?;
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut buf).kind(ExitKind::Introspection)?;
        Ok(buf)
    };
    Ok(ChaliceRuntime {
        version: v.to_string(),
        origin: f.filename.clone(),
        app_py: read("chalice/app.py")?,
        init_py: read("chalice/__init__.py")?,
    })
}

/// `--python venv/bin/python` means the path from the working directory,
/// resolved once here: a relative program path given to a child process that
/// runs elsewhere (an sdist build runs in its unpacked source) would be
/// looked up from that directory instead. A bare name (`python3.12`) has no
/// directory part and stays a `PATH` lookup. Not canonicalised: a venv's
/// `bin/python` is a symlink whose location is what makes it the venv.
fn resolve_explicit(p: &Path) -> PathBuf {
    let bare = p.components().count() == 1 && !p.is_absolute();
    if p.is_absolute() || bare {
        return p.to_path_buf();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(p),
        Err(_) => p.to_path_buf(),
    }
}

type ProbeHandle = std::thread::JoinHandle<Result<Option<Interpreter>, PythonError>>;

/// An interpreter probe that may still be running: started early, joined
/// only when something needs the answer, so Python's start-up overlaps with
/// resolution.
pub struct LazyInterpreter {
    pending: std::sync::Mutex<Option<ProbeHandle>>,
    done: std::sync::OnceLock<Result<Option<Interpreter>, String>>,
}

impl LazyInterpreter {
    /// Start [`Interpreter::discover`] on a background thread.
    pub fn spawn(explicit: Option<PathBuf>) -> LazyInterpreter {
        let handle = std::thread::spawn(move || Interpreter::discover(explicit.as_deref()));
        LazyInterpreter {
            pending: std::sync::Mutex::new(Some(handle)),
            done: std::sync::OnceLock::new(),
        }
    }

    /// An answer already known (an incremental build replays the previous
    /// build's probe of the same, unchanged interpreter).
    pub fn known(interpreter: Option<Interpreter>) -> LazyInterpreter {
        LazyInterpreter {
            pending: std::sync::Mutex::new(None),
            done: std::sync::OnceLock::from(Ok(interpreter)),
        }
    }

    /// The probe's answer (waiting for it if needed). The error is the
    /// probe's message.
    pub fn get(&self) -> Result<Option<&Interpreter>, String> {
        self.done
            .get_or_init(|| {
                let handle = self.pending.lock().ok().and_then(|mut p| p.take());
                match handle {
                    Some(h) => match h.join() {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(_) => Err("the interpreter probe panicked".to_string()),
                    },
                    None => Err("the interpreter probe was lost".to_string()),
                }
            })
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_explicit_interpreter_is_an_error() {
        let err = Interpreter::discover(Some(Path::new("/nonexistent/python"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/python"), "{err}");
    }

    #[test]
    fn relative_interpreter_paths_resolve_against_the_working_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            resolve_explicit(Path::new("venv/bin/python")),
            cwd.join("venv/bin/python")
        );
        assert_eq!(
            resolve_explicit(Path::new("./python3")),
            cwd.join("./python3")
        );
        assert_eq!(resolve_explicit(Path::new("python3")), Path::new("python3"));
        assert_eq!(
            resolve_explicit(Path::new("/usr/bin/python3")),
            Path::new("/usr/bin/python3")
        );
    }

    #[test]
    fn probes_a_real_interpreter_with_a_fake_chalice() {
        let Ok(py) = Interpreter::probe(Path::new("python3")) else {
            // The machine always has python3 (README set-up); make the
            // absence loud rather than silently passing.
            panic!("python3 must be on PATH for this test");
        };
        assert_eq!(py.version.0, 3);
        let t = tempfile::tempdir().unwrap();
        let pkg = t.path().join("chalice");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("__init__.py"), "__version__ = '9.9.9'\n").unwrap();
        std::fs::write(pkg.join("app.py"), "# app\n").unwrap();
        let out = Command::new("python3")
            .arg("-c")
            .arg(PROBE)
            .env("PYTHONPATH", t.path())
            .output()
            .unwrap();
        let parsed: ProbeOut = serde_json::from_slice(&out.stdout).unwrap();
        let c = parsed.chalice.unwrap();
        assert_eq!(c.version, "9.9.9");
        let rt = ChaliceRuntime::from_install(&ChaliceInstall {
            version: c.version,
            package_dir: c.dir,
        })
        .unwrap();
        assert_eq!(rt.app_py, b"# app\n");
    }
}

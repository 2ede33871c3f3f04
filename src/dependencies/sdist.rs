//! Building wheels from sdists with the project's Python, and Chalice's
//! "Could not install dependencies" messages.
//!
//! A requirement whose pinned version has no wheel the Lambda target accepts,
//! but has an sdist, is built the way Chalice builds it (its last resort after
//! looking for wheels):
//! `python -m pip wheel --no-deps` with the interpreter that runs the app.
//! The result is kept only if it can run on the target:
//!
//! * a pure wheel (`py3-none-any`), or any wheel whose tags the target accepts
//!   ([`WheelFilename::compatibility_local`] says `Portable`): always;
//! * a `linux_<machine>` wheel: only when this host could have been the
//!   runtime — Linux, the target's machine, a glibc no newer than the
//!   runtime's, and (for a version-specific ABI) the runtime's Python minor.
//!   It is accepted with the tags module's "locally built" warning.
//!
//! When the first build fails or is refused, [`PipBuilder`] builds again
//! with the compiler disabled (`CC=/var/false`, Chalice's last pass) and
//! keeps that wheel only if it holds no compiled file: the pure-Python
//! fallback of packages whose C extension is optional (PyYAML 5.3.1).
//!
//! Everything else is "missing". Without `--allow-missing` the CLI exits 2
//! with [`missing_dependencies_error`], listing every such package at once;
//! with it, grail prints Chalice's warning, [`missing_dependencies_warning`],
//! byte for byte, and goes on.
//!
//! Call sequence for the CLI (once per run, then once per sdist):
//!
//! 1. [`HostInfo::probe`] with the project's [`Interpreter`];
//! 2. for each sdist: [`build_wheel`] (the downloaded blob, its real
//!    [`crate::index::DistFile::filename`], the pip index options, an output
//!    directory), then [`accept_built_wheel`] on the returned wheel's name;
//! 3. collect the failures as `("name==version", error.to_string())` and end
//!    with [`missing_dependencies_error`] (exit 2, see
//!    [`Classify::exit_kind`]), or, under `--allow-missing`, print
//!    [`missing_dependencies_warning`] to stdout and continue.
//!
//! ```
//! use grail::dependencies::sdist::{accept_built_wheel, missing_dependencies_warning, HostInfo};
//! use grail::target::tags::Tags;
//! use grail::target::{Arch, LambdaTarget, PythonVersion};
//!
//! let tags = Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64));
//! // A Debian 12 host: glibc 2.36 is newer than python3.12's 2.34.
//! let host = HostInfo {
//!     system: "Linux".into(),
//!     machine: "x86_64".into(),
//!     glibc: Some((2, 36)),
//!     python: PythonVersion::new(3, 12),
//! };
//! let pure = "mylib-0.1-py3-none-any.whl".parse().unwrap();
//! assert_eq!(accept_built_wheel(&pure, &tags, &host).unwrap(), None);
//! let native = "mylib-0.1-cp312-cp312-linux_x86_64.whl".parse().unwrap();
//! let err = accept_built_wheel(&native, &tags, &host).unwrap_err();
//! assert!(err.to_string().contains("glibc 2.36 is newer than python3.12's glibc 2.34"));
//!
//! let text = missing_dependencies_warning(&["nativeonly==0.1".to_string()]);
//! assert!(text.starts_with("\nCould not install dependencies:\nnativeonly==0.1\n"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::error::{Classify, ExitKind};
use crate::names::normalize;
use crate::python::Interpreter;
use crate::target::tags::{LocalCompatibility, Mismatch, PlatformTag, Tags};
use crate::target::PythonVersion;
use crate::wheel::{WheelFilename, WheelFilenameError};

/// How many trailing lines of pip's output a failed build reports.
const TAIL_LINES: usize = 20;

/// The packaging docs Chalice's warning points to (and its Cryptography Example).
const PACKAGING_DOCS: &str = "http://aws.github.io/chalice/topics/packaging.html";

/// 1980-01-01T00:00:00Z, the earliest time a zip entry can carry.
const SOURCE_DATE_EPOCH: &str = "315532800";

/// The `CC` of Chalice's last build pass: any compile fails at once.
pub const NO_COMPILER: &str = "/var/false";

/// Source-distribution extensions pip can build.
const SDIST_EXTENSIONS: [&str; 6] = [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"];

/// Prints the facts about the build host that decide whether a
/// `linux_<machine>` wheel built on it can run on a Lambda runtime.
const HOST_PROBE: &str = r#"
import json, os, platform, sys
try:
    glibc = os.confstr("CS_GNU_LIBC_VERSION")
except (AttributeError, ValueError, OSError):
    glibc = None
print(json.dumps({"system": platform.system(), "machine": platform.machine(),
                  "glibc": glibc, "version": list(sys.version_info[:2])}))
"#;

/// Why an sdist could not be turned into a wheel (or the host not probed).
/// Every variant names the sdist or interpreter involved.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The file name is not one pip builds from.
    /// Ex) `foo-1.0.exe`, `../foo-1.0.tar.gz`
    #[error(
        "cannot build {filename:?}: not a source distribution file name \
         (expected NAME-VERSION{{.tar.gz,.zip,.tar.bz2,.tar.xz,.tgz,.tar}})"
    )]
    NotAnSdist {
        /// The offending file name.
        filename: String,
    },
    /// A temporary directory or file could not be made, copied or moved.
    #[error("cannot build {sdist}: {path}")]
    Io {
        /// The sdist file name.
        sdist: String,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The interpreter could not be started.
    #[error("cannot run {python} to {action} (check --python)")]
    PythonNotRunnable {
        /// The interpreter.
        python: PathBuf,
        /// What it was run for. Ex) `build sdistonly-0.1.tar.gz`
        action: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `pip wheel` failed; `tail` is the end of its output.
    #[error(
        "building {sdist} with `{python} -m pip wheel` failed ({status}); last lines of pip's output:\n{tail}"
    )]
    PipFailed {
        /// The sdist file name.
        sdist: String,
        /// The interpreter.
        python: PathBuf,
        /// Ex) `exit status: 1`
        status: String,
        /// The last lines of pip's stderr (stdout if stderr was empty).
        tail: String,
    },
    /// pip succeeded but did not leave exactly one wheel of the sdist's project.
    #[error(
        "building {sdist} did not produce one wheel of {project:?}: pip produced [{}]",
        .produced.join(", ")
    )]
    UnexpectedWheels {
        /// The sdist file name.
        sdist: String,
        /// The normalized project name expected.
        project: String,
        /// The files pip left in the wheel directory.
        produced: Vec<String>,
    },
    /// pip produced a file whose name is not a valid wheel name.
    #[error("building {sdist} produced a wheel with an invalid name")]
    WheelName {
        /// The sdist file name.
        sdist: String,
        /// The parse error.
        source: WheelFilenameError,
    },
    /// The host probe failed or printed something unexpected.
    #[error("cannot learn the build host's platform from {python}: {message}")]
    HostProbe {
        /// The interpreter.
        python: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The built wheel cannot run on the target.
    #[error(transparent)]
    Refused(#[from] Box<RefusedWheel>),
}

impl Classify for BuildError {
    /// Always [`ExitKind::Dependencies`] (2): a dependency cannot be built for
    /// the target.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Dependencies
    }
}

/// The build host, as seen by the project's interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    /// `platform.system()`. Ex) `Linux`, `Darwin`
    pub system: String,
    /// `platform.machine()`. Ex) `x86_64`, `aarch64`, `arm64`
    pub machine: String,
    /// The C library's glibc version; `None` when not glibc (musl, macOS).
    /// Ex) `(2, 36)`
    pub glibc: Option<(u16, u16)>,
    /// The interpreter's `major.minor`. Ex) `3.11`
    pub python: PythonVersion,
}

#[derive(Deserialize)]
struct HostProbeOut {
    system: String,
    machine: String,
    glibc: Option<String>,
    version: (u8, u8),
}

/// `glibc 2.36` → `(2, 36)`; anything else (Ex: `musl`) → `None`.
fn parse_glibc(confstr: &str) -> Option<(u16, u16)> {
    let version = confstr.trim().strip_prefix("glibc ")?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

impl HostInfo {
    /// Ask `python` for the host's system, machine, glibc and its version.
    pub fn probe(python: &Interpreter) -> Result<HostInfo, BuildError> {
        let out = Command::new(&python.path)
            .arg("-c")
            .arg(HOST_PROBE)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| BuildError::PythonNotRunnable {
                python: python.path.clone(),
                action: "probe the build host".to_string(),
                source,
            })?;
        let fail = |message: String| BuildError::HostProbe {
            python: python.path.clone(),
            message,
        };
        if !out.status.success() {
            return Err(fail(tail(&String::from_utf8_lossy(&out.stderr), 5)));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let parsed: HostProbeOut = serde_json::from_str(line)
            .map_err(|e| fail(format!("unexpected output {line:?}: {e}")))?;
        Ok(HostInfo {
            system: parsed.system,
            machine: parsed.machine,
            glibc: parsed.glibc.as_deref().and_then(parse_glibc),
            python: PythonVersion::new(parsed.version.0, parsed.version.1),
        })
    }
}

/// The last `n` non-blank lines of `text`, joined with newlines.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The normalized project name of an sdist file name, if it has the usual
/// `NAME-VERSION.ext` form (the version starts at the first `-` + digit).
/// Ex) `Foo_Bar-1.0.tar.gz` → `foo-bar`
fn sdist_project(filename: &str) -> Option<String> {
    let lower = filename.to_ascii_lowercase();
    let ext = SDIST_EXTENSIONS.iter().find(|e| lower.ends_with(*e))?;
    let stem = &filename[..filename.len() - ext.len()];
    let bytes = stem.as_bytes();
    let split = (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    Some(normalize(&stem[..split - 1]))
}

/// Build `sdist` into a wheel with `python -m pip wheel --no-deps` and move
/// the wheel into `out_dir` (created if needed; the move is an atomic rename).
///
/// * `sdist` is the file on disk under any name (Ex: a cache blob);
///   `sdist_filename` is its real name (Ex: `sdistonly-0.1.tar.gz`), which pip
///   needs to recognise the archive.
/// * `pip_index_args` are passed to pip for the build requirements of build
///   isolation. Ex) `["--index-url", URL, "--find-links", DIR]` or `["--no-index"]`
///
/// The build runs in a temporary directory inside `out_dir`, inherits the
/// environment (`PIP_*`, `CC`, … as Chalice's pip calls do; plus
/// `SOURCE_DATE_EPOCH=315532800` unless set, for reproducible wheels), has no
/// timeout and has its output captured. Returns the wheel's path in `out_dir`.
pub fn build_wheel(
    sdist: &Path,
    sdist_filename: &str,
    python: &Interpreter,
    pip_index_args: &[String],
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    build_wheel_with(
        sdist,
        sdist_filename,
        python,
        pip_index_args,
        out_dir,
        Compiler::Host,
    )
}

/// Whether an sdist build may compile C code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiler {
    /// The host's compiler, as configured (`CC` inherited).
    Host,
    /// `CC=/var/false`, as Chalice's last pass: packages whose C extension is
    /// optional (PyYAML, MarkupSafe, coverage) then build their pure-Python
    /// fallback.
    Disabled,
}

/// [`build_wheel`], choosing whether the C compiler may be used.
pub fn build_wheel_with(
    sdist: &Path,
    sdist_filename: &str,
    python: &Interpreter,
    pip_index_args: &[String],
    out_dir: &Path,
    compiler: Compiler,
) -> Result<PathBuf, BuildError> {
    let not_sdist = || BuildError::NotAnSdist {
        filename: sdist_filename.to_string(),
    };
    // A plain file name only: it is joined to a directory below.
    if sdist_filename.contains(['/', '\\']) || sdist_filename.starts_with('.') {
        return Err(not_sdist());
    }
    let project = sdist_project(sdist_filename).ok_or_else(not_sdist)?;
    let io = |path: &Path, source| BuildError::Io {
        sdist: sdist_filename.to_string(),
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(|e| io(out_dir, e))?;
    // Inside out_dir so the final rename stays on one filesystem.
    let work = tempfile::Builder::new()
        .prefix(".grail-build-")
        .tempdir_in(out_dir)
        .map_err(|e| io(out_dir, e))?;
    let src = work.path().join(sdist_filename);
    std::fs::copy(sdist, &src).map_err(|e| io(sdist, e))?;
    let wheel_dir = work.path().join("wheels");
    std::fs::create_dir(&wheel_dir).map_err(|e| io(&wheel_dir, e))?;

    run_pip_wheel(
        python,
        pip_index_args,
        sdist_filename,
        &src,
        &wheel_dir,
        compiler,
    )?;
    let dest = take_built_wheel(sdist_filename, &project, &wheel_dir, out_dir)?;
    tracing::debug!(sdist = sdist_filename, wheel = %dest.display(), "sdist built");
    Ok(dest)
}

/// Run `python -m pip wheel --no-deps` on `src` (in its directory), writing
/// into `wheel_dir`; a failure carries the tail of pip's output.
fn run_pip_wheel(
    python: &Interpreter,
    pip_index_args: &[String],
    sdist_filename: &str,
    src: &Path,
    wheel_dir: &Path,
    compiler: Compiler,
) -> Result<(), BuildError> {
    let mut pip = Command::new(&python.path);
    if compiler == Compiler::Disabled {
        pip.env("CC", NO_COMPILER);
    }
    if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
        // Backends that honour it (wheel/setuptools, flit, hatchling) then
        // write fixed zip timestamps: the same sdist builds the same wheel.
        pip.env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH);
    }
    pip.args([
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--disable-pip-version-check",
    ])
    .arg("--no-input")
    .args(pip_index_args)
    .arg("--wheel-dir")
    .arg(wheel_dir)
    .arg(src)
    .current_dir(src.parent().unwrap_or(wheel_dir))
    .stdin(Stdio::null());
    tracing::debug!(sdist = sdist_filename, command = ?pip, "building sdist");
    let out = pip
        .output()
        .map_err(|source| BuildError::PythonNotRunnable {
            python: python.path.clone(),
            action: format!("build {sdist_filename}"),
            source,
        })?;
    tracing::debug!(sdist = sdist_filename, status = %out.status, "pip wheel finished");
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        stderr.into_owned()
    };
    Err(BuildError::PipFailed {
        sdist: sdist_filename.to_string(),
        python: python.path.clone(),
        status: out.status.to_string(),
        tail: tail(&text, TAIL_LINES),
    })
}

/// Move the single wheel pip produced for `project` from `wheel_dir` into
/// `out_dir`; anything else (none, several, another project's) is an error.
fn take_built_wheel(
    sdist_filename: &str,
    project: &str,
    wheel_dir: &Path,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    let io = |path: &Path, source| BuildError::Io {
        sdist: sdist_filename.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let mut produced = Vec::new();
    for entry in std::fs::read_dir(wheel_dir).map_err(|e| io(wheel_dir, e))? {
        let entry = entry.map_err(|e| io(wheel_dir, e))?;
        produced.push(entry.file_name().to_string_lossy().into_owned());
    }
    produced.sort();
    let unexpected = |produced: Vec<String>| BuildError::UnexpectedWheels {
        sdist: sdist_filename.to_string(),
        project: project.to_string(),
        produced,
    };
    let [name] = produced.as_slice() else {
        return Err(unexpected(produced));
    };
    let wheel: WheelFilename = name.parse().map_err(|source| BuildError::WheelName {
        sdist: sdist_filename.to_string(),
        source,
    })?;
    if wheel.normalized_name() != project {
        return Err(unexpected(produced));
    }
    let dest = out_dir.join(name);
    let built = wheel_dir.join(name);
    std::fs::rename(&built, &dest).map_err(|e| io(&dest, e))?;
    Ok(dest)
}

/// One reason a wheel built on this host cannot run on the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The wheel's tags do not fit the target.
    /// Ex) `macOS wheel`, `cp311 ABI, target is cp312`
    Tags(Mismatch),
    /// A `linux_*` wheel claimed by a host that is not Linux.
    /// Ex) `Darwin`
    HostNotLinux {
        /// `platform.system()`.
        system: String,
    },
    /// The host's CPU is not the target's.
    /// Ex) host `x86_64`, target `aarch64`
    HostMachine {
        /// `platform.machine()`.
        host: String,
        /// The target's machine.
        target: String,
    },
    /// The host's C library is not glibc (or its version is unknown).
    HostGlibcUnknown,
    /// The host's glibc is newer than the runtime's, so compiled code may
    /// need symbols the runtime lacks.
    /// Ex) host 2.36, python3.12 has 2.34
    HostGlibcNewer {
        /// The host's glibc.
        host: (u16, u16),
        /// Ex) `python3.12`
        runtime: String,
        /// The runtime's glibc.
        runtime_glibc: (u16, u16),
    },
    /// The wheel has a version-specific CPython ABI and the host's Python is
    /// another version.
    /// Ex) built with 3.11, target is python3.12
    HostPython {
        /// The build interpreter's version.
        host: PythonVersion,
        /// Ex) `python3.12`
        runtime: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Tags(m) => write!(f, "{m}"),
            Refusal::HostNotLinux { system } => {
                write!(f, "it was built on {system}, not Linux")
            }
            Refusal::HostMachine { host, target } => {
                write!(f, "this host is {host}, the target is {target}")
            }
            Refusal::HostGlibcUnknown => {
                f.write_str("this host's C library is not glibc (or its version is unknown)")
            }
            Refusal::HostGlibcNewer {
                host,
                runtime,
                runtime_glibc,
            } => write!(
                f,
                "this host's glibc {}.{} is newer than {runtime}'s glibc {}.{}, so the compiled \
                 code may need symbols the runtime lacks",
                host.0, host.1, runtime_glibc.0, runtime_glibc.1
            ),
            Refusal::HostPython { host, runtime } => write!(
                f,
                "it was built with Python {host}, the target is {runtime} (pass --python with a \
                 {runtime} interpreter)"
            ),
        }
    }
}

/// A wheel built from an sdist that cannot run on the target; every reason
/// that applies is listed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the wheel built from its sdist, {wheel}, cannot run on {target}: {}",
    .reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
)]
pub struct RefusedWheel {
    /// The built wheel's file name.
    pub wheel: String,
    /// Ex) `python3.12 (x86_64)`
    pub target: String,
    /// Why, most fundamental first. Never empty.
    pub reasons: Vec<Refusal>,
}

/// Decide whether a wheel built on `host` can run on the target of `tags`.
///
/// `Ok(None)`: portable (pure, or tags the runtime accepts). `Ok(Some(w))`: a
/// `linux_<machine>` wheel from a host that matches the runtime; print `w`.
/// `Err`: it cannot run there, with every reason (host glibc newer than the
/// runtime's, another CPU or Python version, foreign tags).
pub fn accept_built_wheel(
    wheel: &WheelFilename,
    tags: &Tags,
    host: &HostInfo,
) -> Result<Option<String>, Box<RefusedWheel>> {
    let target = tags.target();
    let local = wheel.compatibility_local(tags);
    if let Ok(LocalCompatibility::Portable(_)) = local {
        return Ok(None);
    }
    let mut reasons = host_refusals(wheel, tags, host);
    match local {
        Ok(built @ LocalCompatibility::LocallyBuilt(_)) if reasons.is_empty() => {
            return Ok(built.warning(wheel, tags));
        }
        Err(incompatible) => {
            let mismatch = match incompatible.reason {
                // The tags module stops at "locally built"; the real miss is
                // in the interpreter/ABI part of the tag.
                Mismatch::LocallyBuilt => {
                    abi_mismatch(wheel, tags).unwrap_or(Mismatch::LocallyBuilt)
                }
                other => other,
            };
            // Skip a tag reason that only restates a host reason above.
            let explained = match &mismatch {
                Mismatch::Arch { .. } => reasons
                    .iter()
                    .any(|r| matches!(r, Refusal::HostMachine { .. })),
                Mismatch::Abi { .. } => reasons
                    .iter()
                    .any(|r| matches!(r, Refusal::HostPython { .. })),
                _ => false,
            };
            if !explained {
                reasons.push(Refusal::Tags(mismatch));
            }
        }
        Ok(_) => {}
    }
    Err(Box::new(RefusedWheel {
        wheel: wheel.to_string(),
        target: target.to_string(),
        reasons,
    }))
}

/// Why `host` cannot stand in for the runtime when `wheel` is a `linux_*`
/// wheel (it carries the build host's ABI); empty for any other wheel.
fn host_refusals(wheel: &WheelFilename, tags: &Tags, host: &HostInfo) -> Vec<Refusal> {
    let target = tags.target();
    let mut reasons = Vec::new();
    let linux = wheel
        .platform_tags
        .iter()
        .any(|p| matches!(p, PlatformTag::Linux { .. }));
    if linux {
        // A linux_* wheel carries the build host's ABI: the host must be
        // able to stand in for the runtime.
        let machine = target.arch.machine();
        if host.system != "Linux" {
            reasons.push(Refusal::HostNotLinux {
                system: host.system.clone(),
            });
        }
        if host.machine != machine {
            reasons.push(Refusal::HostMachine {
                host: host.machine.clone(),
                target: machine.to_string(),
            });
        }
        match host.glibc {
            None => reasons.push(Refusal::HostGlibcUnknown),
            Some(g) if g > target.glibc() => reasons.push(Refusal::HostGlibcNewer {
                host: g,
                runtime: target.runtime(),
                runtime_glibc: target.glibc(),
            }),
            Some(_) => {}
        }
        let version_specific = wheel
            .abi_tags
            .iter()
            .any(|a| a.starts_with("cp") && a != "abi3");
        if version_specific && host.python != target.python {
            reasons.push(Refusal::HostPython {
                host: host.python,
                runtime: target.runtime(),
            });
        }
    }
    reasons
}

/// Why a `linux_<machine>` wheel's interpreter/ABI tags miss the target:
/// the same wheel with its `linux_*` platforms swapped for the runtime's own
/// manylinux platform is checked by the ordinary rules.
fn abi_mismatch(wheel: &WheelFilename, tags: &Tags) -> Option<Mismatch> {
    let target = tags.target();
    let (major, minor) = target.glibc();
    let mut probe = wheel.clone();
    for p in &mut probe.platform_tags {
        if let PlatformTag::Linux { arch } = p {
            *p = PlatformTag::Manylinux {
                major,
                minor,
                arch: arch.clone(),
            };
        }
    }
    probe.compatibility(tags).err().map(|e| e.reason)
}

/// `name==version` with the name normalized, as Chalice's identifiers are.
fn identifier(id: &str) -> String {
    match id.split_once("==") {
        Some((name, version)) => format!("{}=={}", normalize(name.trim()), version.trim()),
        None => normalize(id.trim()),
    }
}

/// Chalice's missing-dependency warning, byte for byte, for
/// `--allow-missing`. Print it to stdout as is (it starts and ends with a
/// blank line).
///
/// `identifiers` are `name==version`; names are normalized here. Chalice lists
/// them in arbitrary (set) order; grail sorts them (and drops duplicates) so
/// the output is deterministic.
pub fn missing_dependencies_warning(identifiers: &[String]) -> String {
    let mut ids: Vec<String> = identifiers.iter().map(|i| identifier(i)).collect();
    ids.sort();
    ids.dedup();
    // chalice/constants.py MISSING_DEPENDENCIES_TEMPLATE, `%s` = ids joined by "\n".
    format!(
        "\nCould not install dependencies:\n{}\nYou will have to build these yourself and vendor them in\n\
         the chalice vendor folder.\n\n\
         Your deployment will continue but may not work correctly\n\
         if missing dependencies are not present. For more information:\n\
         {PACKAGING_DOCS}\n\n",
        ids.join("\n")
    )
}

/// The exit-2 error for packages that have no compatible wheel and could not
/// be built for the target: every package with its reason (sorted by
/// identifier; multi-line reasons are indented), then Chalice's advice and
/// `--allow-missing`.
///
/// `items` are `("name==version", why)`. Ex) `("nativeonly==0.1", refused.to_string())`
pub fn missing_dependencies_error(items: &[(String, String)]) -> String {
    let mut rows: Vec<(String, &str)> = items
        .iter()
        .map(|(id, why)| (identifier(id), why.as_str()))
        .collect();
    rows.sort();
    rows.dedup();
    let mut out = format!(
        "could not install {} {} for the Lambda target:\n",
        rows.len(),
        if rows.len() == 1 {
            "dependency"
        } else {
            "dependencies"
        }
    );
    for (id, why) in &rows {
        let why = why.trim_end().replace('\n', "\n    ");
        out.push_str(&format!(
            "  {id}: no wheel compatible with the target; {why}\n"
        ));
    }
    out.push_str(&format!(
        "You will have to build these yourself, on a Linux machine that matches the Lambda \
         runtime (same architecture and Python version, glibc no newer than the runtime's, \
         e.g. the runtime's Amazon Linux image), and put them in the chalice vendor folder \
         (vendor/), as .whl files or unpacked; see the \"Cryptography Example\" in {PACKAGING_DOCS}\n\
         To package without them anyway, as `chalice package` does, pass --allow-missing \
         (the deployment may not work)."
    ));
    out
}

/// Builds sdist-only projects with the project's Python (`pip wheel --no-deps`)
/// and keeps the result only if it can run on the target.
pub struct PipBuilder<'a> {
    python: std::sync::Arc<crate::python::LazyInterpreter>,
    /// Probed on the first build only (it runs the interpreter).
    host: std::sync::OnceLock<Result<HostInfo, String>>,
    pip_args: Vec<String>,
    tags: &'a crate::target::tags::Tags,
    work: PathBuf,
    warnings: std::sync::Mutex<Vec<String>>,
}

impl<'a> PipBuilder<'a> {
    /// A builder running `python` with the effective index settings (so
    /// pip's build isolation uses the same indexes), keeping built wheels in `work`.
    pub fn new(
        python: std::sync::Arc<crate::python::LazyInterpreter>,
        settings: &crate::index::IndexOptions,
        tags: &'a crate::target::tags::Tags,
        work: PathBuf,
    ) -> Self {
        let mut pip_args = Vec::new();
        if settings.no_index {
            pip_args.push("--no-index".to_string());
        }
        for (i, u) in settings.index_urls.iter().enumerate() {
            pip_args.push(
                if i == 0 {
                    "--index-url"
                } else {
                    "--extra-index-url"
                }
                .to_string(),
            );
            pip_args.push(u.clone());
        }
        for f in &settings.find_links {
            pip_args.push("--find-links".to_string());
            pip_args.push(f.clone());
        }
        PipBuilder {
            python,
            host: std::sync::OnceLock::new(),
            pip_args,
            tags,
            work,
            warnings: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl PipBuilder<'_> {
    /// Warnings from the builds so far (pure-Python fallbacks, locally built
    /// wheels), to print with resolution's.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn warn(&self, message: String) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(message);
        }
    }

    /// One build, checked against the target: the wheel and the warning to
    /// print, or why it cannot ship (with the built wheel's name, if any).
    fn build_once(
        &self,
        python: &Interpreter,
        file: &crate::index::DistFile,
        sdist: &Path,
        compiler: Compiler,
    ) -> Result<(PathBuf, Option<String>), (String, Option<String>)> {
        let out = match compiler {
            Compiler::Host => self.work.clone(),
            Compiler::Disabled => self.work.join("no-cc"),
        };
        let wheel = build_wheel_with(
            sdist,
            &file.filename,
            python,
            &self.pip_args,
            &out,
            compiler,
        )
        .map_err(|e| (e.to_string(), None))?;
        let name = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let wf: WheelFilename = name.parse().map_err(|e| (format!("{e}"), None))?;
        if compiler == Compiler::Disabled {
            // Accepted only if really pure: whatever its tags say, no
            // compiled file may be inside.
            let archive = crate::wheel::WheelArchive::open(&wheel)
                .map_err(|e| (e.to_string(), Some(pin(&wf))))?;
            if let Some(native) = archive.entries.iter().find(|e| is_native_file(&e.name)) {
                return Err((
                    format!("{wf} still holds compiled code ({})", native.name),
                    Some(pin(&wf)),
                ));
            }
            let warning = format!(
                "{} {}: built from its sdist without a C compiler (CC={NO_COMPILER}, as \
                 Chalice's last pass), so it ships its pure-Python fallback without the C \
                 extension (slower, same API)",
                wf.normalized_name(),
                wf.version
            );
            return Ok((wheel, Some(warning)));
        }
        let host = self
            .host
            .get_or_init(|| HostInfo::probe(python).map_err(|e| e.to_string()))
            .clone()
            .map_err(|e| (e, Some(pin(&wf))))?;
        match accept_built_wheel(&wf, self.tags, &host) {
            Ok(warning) => Ok((wheel, warning)),
            Err(refused) => Err((refused.to_string(), Some(pin(&wf)))),
        }
    }

    /// How to build `wf` for the target by hand: in the runtime's build
    /// image, into vendor/.
    fn by_hand(&self, pin: &str) -> String {
        let target = self.tags.target();
        let tag = match target.arch {
            crate::target::Arch::X86_64 => "latest-x86_64",
            crate::target::Arch::Arm64 => "latest-arm64",
        };
        format!(
            "to ship it, build it where {runtime} runs and put the wheel in vendor/, e.g. \
             `docker run --rm -v \"$PWD/vendor\":/out public.ecr.aws/sam/build-{runtime}:{tag} \
             pip wheel --no-deps --wheel-dir /out {pin}`",
            runtime = target.runtime(),
        )
    }
}

/// `name==version` of a wheel. Ex) `pyyaml==5.3.1`
fn pin(wf: &WheelFilename) -> String {
    format!("{}=={}", wf.normalized_name(), wf.version)
}

/// Whether a wheel entry is compiled code. Ex) `yaml/_yaml.cpython-312-x86_64-linux-gnu.so`
fn is_native_file(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    file.ends_with(".so")
        || file.contains(".so.")
        || file.ends_with(".pyd")
        || file.ends_with(".dylib")
        || file.ends_with(".dll")
}

impl crate::dependencies::wheel_source::SdistBuilder for PipBuilder<'_> {
    /// An interpreter was found (waits for the background probe).
    fn available(&self) -> bool {
        matches!(self.python.get(), Ok(Some(_)))
    }

    /// Chalice's passes: build with the host's compiler; if that fails or the
    /// wheel cannot run on the target, build again with `CC=/var/false` and
    /// keep the result only if it is pure Python.
    fn build(&self, file: &crate::index::DistFile, sdist: &Path) -> Result<PathBuf, String> {
        let python = self
            .python
            .get()?
            .ok_or("no Python interpreter was found to build it (pass --python PATH)")?;
        std::fs::create_dir_all(&self.work).map_err(|e| format!("{}: {e}", self.work.display()))?;
        let (first, built) = match self.build_once(python, file, sdist, Compiler::Host) {
            Ok((wheel, warning)) => {
                self.warn_opt(warning);
                return Ok(wheel);
            }
            Err(e) => e,
        };
        tracing::debug!(sdist = %file.filename, reason = %first, "rebuilding without a C compiler");
        match self.build_once(python, file, sdist, Compiler::Disabled) {
            Ok((wheel, warning)) => {
                self.warn_opt(warning);
                Ok(wheel)
            }
            Err((second, _)) => {
                let mut why = format!(
                    "{first}\nwithout a C compiler (CC={NO_COMPILER}, Chalice's last pass): {}",
                    second
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches("; last lines of pip's output:")
                );
                if let Some(pin) = built {
                    why.push('\n');
                    why.push_str(&self.by_hand(&pin));
                }
                Err(why)
            }
        }
    }
}

impl PipBuilder<'_> {
    fn warn_opt(&self, warning: Option<String>) {
        if let Some(w) = warning {
            self.warn(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, LambdaTarget};
    use crate::wheel::WheelArchive;

    fn python() -> Interpreter {
        // python3 is part of the documented set-up; fail loudly without it.
        Interpreter::probe(Path::new("python3")).expect("python3 must be on PATH for these tests")
    }

    fn fixture(project: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("vendor-fixtures/index")
            .join(project)
            .join(format!("{project}-0.1.tar.gz"))
    }

    fn no_index() -> Vec<String> {
        vec!["--no-index".to_string()]
    }

    fn tags(minor: u8, arch: Arch) -> Tags {
        Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, minor), arch))
    }

    fn host(machine: &str, glibc: (u16, u16), minor: u8) -> HostInfo {
        HostInfo {
            system: "Linux".into(),
            machine: machine.into(),
            glibc: Some(glibc),
            python: PythonVersion::new(3, minor),
        }
    }

    fn whl(s: &str) -> WheelFilename {
        s.parse().unwrap()
    }

    #[test]
    fn builds_pure_sdist_under_a_cache_blob_name() {
        let py = python();
        // Stored like a content-addressed cache blob: no extension, no name.
        let blobs = tempfile::tempdir().unwrap();
        let blob = blobs.path().join("3f9a0c");
        std::fs::copy(fixture("sdistonly"), &blob).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("built");
        let wheel = build_wheel(&blob, "sdistonly-0.1.tar.gz", &py, &no_index(), &dest).unwrap();
        assert_eq!(wheel, dest.join("sdistonly-0.1-py3-none-any.whl"));
        // Only the wheel is left: the work directory is gone.
        let left: Vec<_> = std::fs::read_dir(&dest).unwrap().collect();
        assert_eq!(left.len(), 1);
        let archive = WheelArchive::open(&wheel).unwrap();
        archive.verify().unwrap();
        assert_eq!(archive.metadata.name, "sdistonly");
        assert!(archive
            .entries
            .iter()
            .any(|e| e.name == "sdistonly/__init__.py"));
        let host = HostInfo::probe(&py).unwrap();
        for minor in 10..=14 {
            for arch in [Arch::X86_64, Arch::Arm64] {
                assert_eq!(
                    accept_built_wheel(&archive.filename, &tags(minor, arch), &host).unwrap(),
                    None
                );
            }
        }
    }

    #[test]
    fn native_sdist_builds_a_linux_wheel_this_host_cannot_vouch_for() {
        let py = python();
        let out = tempfile::tempdir().unwrap();
        let wheel = build_wheel(
            &fixture("nativeonly"),
            "nativeonly-0.1.tar.gz",
            &py,
            &no_index(),
            out.path(),
        )
        .unwrap();
        let archive = WheelArchive::open(&wheel).unwrap();
        archive.verify().unwrap();
        let name = archive.filename.clone();
        let abi = format!("cp{}{}", py.version.0, py.version.1);
        assert_eq!(name.abi_tags, [abi]);
        assert!(matches!(
            name.platform_tags[..],
            [PlatformTag::Linux { .. }]
        ));
        assert!(archive
            .entries
            .iter()
            .any(|e| e.name.starts_with("nativeonly/_native") && e.name.ends_with(".so")));

        let probed = HostInfo::probe(&py).unwrap();
        assert_eq!(probed.python, py.python_version());
        for minor in 10..=14 {
            for arch in [Arch::X86_64, Arch::Arm64] {
                let t = tags(minor, arch);
                let verdict = accept_built_wheel(&name, &t, &probed);
                let glibc_newer = probed.glibc.is_none_or(|g| g > t.target().glibc());
                if glibc_newer {
                    // This machine (Debian 12, glibc 2.36): every runtime refuses.
                    let err = verdict.unwrap_err();
                    let msg = err.to_string();
                    assert!(msg.contains("glibc"), "{msg}");
                    assert!(msg.contains(&t.target().runtime()), "{msg}");
                    assert!(msg.contains(&name.to_string()), "{msg}");
                } else if probed.machine == arch.machine() && probed.python.minor == minor {
                    assert!(verdict.unwrap().unwrap().contains("locally built"));
                } else {
                    assert!(verdict.is_err());
                }
            }
        }
        // The same wheel from a host that matches python3.N exactly is accepted.
        let (major, minor) = (py.version.0, py.version.1);
        assert_eq!(major, 3);
        let t = tags(minor, Arch::X86_64);
        if name.platform_tags[0].to_string() == "linux_x86_64" {
            let ok = accept_built_wheel(&name, &t, &host("x86_64", t.target().glibc(), minor));
            assert!(ok.unwrap().unwrap().contains("linux_x86_64"));
        }
    }

    #[test]
    fn broken_sdist_reports_the_tail_of_pips_output() {
        let py = python();
        let dir = tempfile::tempdir().unwrap();
        let sdist = dir.path().join("upload.bin");
        // A PEP 517 sdist whose in-tree backend fails like a missing compiler.
        let script = r#"
import io, sys, tarfile
files = {
  "broken-0.1/PKG-INFO": "Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n",
  "broken-0.1/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
  "broken-0.1/backend.py": "import sys\n"
      "def get_requires_for_build_wheel(config_settings=None):\n    return []\n"
      "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
      "    import os\n"
      "    sys.stderr.write('SOURCE_DATE_EPOCH=%s\\n' % os.environ.get('SOURCE_DATE_EPOCH'))\n"
      "    sys.stderr.write('error: grail-test-compiler-missing\\n')\n    raise SystemExit(1)\n",
}
with tarfile.open(sys.argv[1], "w:gz") as tf:
    for name, text in files.items():
        data = text.encode()
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
"#;
        let status = Command::new(&py.path)
            .arg("-c")
            .arg(script)
            .arg(&sdist)
            .status()
            .unwrap();
        assert!(status.success());
        let out = dir.path().join("out");
        let err = build_wheel(&sdist, "broken-0.1.tar.gz", &py, &no_index(), &out).unwrap_err();
        assert_eq!(err.exit_kind(), ExitKind::Dependencies);
        let BuildError::PipFailed { tail, sdist, .. } = &err else {
            panic!("expected PipFailed, got {err}");
        };
        assert_eq!(sdist, "broken-0.1.tar.gz");
        assert!(tail.contains("grail-test-compiler-missing"), "{tail}");
        assert!(tail.lines().count() <= TAIL_LINES);
        let epoch = std::env::var("SOURCE_DATE_EPOCH").unwrap_or(SOURCE_DATE_EPOCH.to_string());
        assert!(
            tail.contains(&format!("SOURCE_DATE_EPOCH={epoch}")),
            "{tail}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("broken-0.1.tar.gz") && msg.contains("pip wheel"),
            "{msg}"
        );
        // Nothing is left behind in the output directory.
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn bad_sdist_names_are_refused_before_running_pip() {
        let py = python();
        let out = tempfile::tempdir().unwrap();
        for bad in [
            "sdistonly-0.1.exe",
            "../sdistonly-0.1.tar.gz",
            ".hidden-0.1.tar.gz",
            "noversion.tar.gz",
        ] {
            let err =
                build_wheel(&fixture("sdistonly"), bad, &py, &no_index(), out.path()).unwrap_err();
            assert!(
                matches!(&err, BuildError::NotAnSdist { filename } if filename == bad),
                "{err}"
            );
        }
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    #[test]
    fn compiled_files_are_recognised() {
        for native in [
            "yaml/_yaml.cpython-312-x86_64-linux-gnu.so",
            "pkg.libs/libfoo.so.1.2",
            "pkg/_x.PYD",
            "pkg/lib.dylib",
        ] {
            assert!(is_native_file(native), "{native}");
        }
        for pure in ["yaml/__init__.py", "pkg/some.source", "pkg/so/readme.txt"] {
            assert!(!is_native_file(pure), "{pure}");
        }
    }

    #[test]
    fn sdist_names() {
        assert_eq!(
            sdist_project("Foo_Bar-1.0.tar.gz").as_deref(),
            Some("foo-bar")
        );
        assert_eq!(sdist_project("py-3-1.0.zip").as_deref(), Some("py"));
        assert_eq!(sdist_project("foo-1.0.whl"), None);
        assert_eq!(parse_glibc("glibc 2.36"), Some((2, 36)));
        assert_eq!(parse_glibc("musl 1.2"), None);
    }

    #[test]
    fn linux_wheels_need_a_matching_host() {
        let w = whl("mylib-0.1-cp311-cp311-linux_x86_64.whl");
        let t11 = tags(11, Arch::X86_64);
        // Amazon Linux 2 itself: accepted with the locally-built warning.
        let warning = accept_built_wheel(&w, &t11, &host("x86_64", (2, 26), 11)).unwrap();
        assert!(warning.unwrap().contains("locally built linux_x86_64"));
        // Older glibc than the runtime's is fine too.
        assert!(accept_built_wheel(&w, &t11, &host("x86_64", (2, 17), 11)).is_ok());

        let err = accept_built_wheel(&w, &t11, &host("x86_64", (2, 36), 11)).unwrap_err();
        assert_eq!(
            err.reasons,
            [Refusal::HostGlibcNewer {
                host: (2, 36),
                runtime: "python3.11".into(),
                runtime_glibc: (2, 26)
            }]
        );
        assert!(err
            .to_string()
            .contains("glibc 2.36 is newer than python3.11's glibc 2.26"));

        // Another Python: the host reason, not a restated tag mismatch.
        let err = accept_built_wheel(&w, &tags(12, Arch::X86_64), &host("x86_64", (2, 34), 11))
            .unwrap_err();
        assert_eq!(err.reasons.len(), 1, "{err}");
        assert!(err.to_string().contains("built with Python 3.11"), "{err}");

        // Another CPU.
        let err = accept_built_wheel(&w, &tags(11, Arch::Arm64), &host("x86_64", (2, 26), 11))
            .unwrap_err();
        assert_eq!(
            err.reasons,
            [Refusal::HostMachine {
                host: "x86_64".into(),
                target: "aarch64".into()
            }]
        );

        // Not Linux at all, no glibc.
        let mac = HostInfo {
            system: "Darwin".into(),
            machine: "x86_64".into(),
            glibc: None,
            python: PythonVersion::new(3, 11),
        };
        let err = accept_built_wheel(&w, &t11, &mac).unwrap_err();
        assert!(err.reasons.contains(&Refusal::HostNotLinux {
            system: "Darwin".into()
        }));
        assert!(err.reasons.contains(&Refusal::HostGlibcUnknown));

        // A matching host, but tags for another ABI: the ABI is named, not
        // the tags module's generic "locally built".
        let other = whl("mylib-0.1-cp310-cp310-linux_x86_64.whl");
        let err = accept_built_wheel(&other, &t11, &host("x86_64", (2, 26), 11)).unwrap_err();
        assert_eq!(
            err.reasons,
            [Refusal::Tags(Mismatch::Abi {
                wheel: "cp310".into(),
                target: "cp311".into()
            })]
        );

        // Version-independent linux wheels only need the platform to match.
        let abi3 = whl("mylib-0.1-cp38-abi3-linux_x86_64.whl");
        let t13 = tags(13, Arch::X86_64);
        assert!(accept_built_wheel(&abi3, &t13, &host("x86_64", (2, 34), 11)).is_ok());
    }

    #[test]
    fn foreign_and_portable_builds() {
        let t = tags(12, Arch::Arm64);
        let h = host("aarch64", (2, 36), 12);
        let mac = whl("mylib-0.1-cp312-cp312-macosx_14_0_arm64.whl");
        let err = accept_built_wheel(&mac, &t, &h).unwrap_err();
        assert_eq!(err.reasons, [Refusal::Tags(Mismatch::Macos)]);
        assert!(err.to_string().contains("macOS wheel"), "{err}");
        // Tags the runtime accepts are portable whatever the host.
        for ok in [
            "mylib-0.1-py3-none-any.whl",
            "mylib-0.1-cp312-cp312-manylinux_2_17_aarch64.whl",
        ] {
            assert_eq!(accept_built_wheel(&whl(ok), &t, &h).unwrap(), None, "{ok}");
        }
    }

    #[test]
    fn warning_text_is_chalices_byte_for_byte() {
        let text = missing_dependencies_warning(&[
            "sdistonly==0.1".to_string(),
            "Native_Only==0.1".to_string(),
        ]);
        assert_eq!(
            text,
            "\nCould not install dependencies:\nnative-only==0.1\nsdistonly==0.1\n\
             You will have to build these yourself and vendor them in\n\
             the chalice vendor folder.\n\
             \n\
             Your deployment will continue but may not work correctly\n\
             if missing dependencies are not present. For more information:\n\
             http://aws.github.io/chalice/topics/packaging.html\n\
             \n"
        );
    }

    #[test]
    fn error_lists_every_package_and_the_way_out() {
        let refused = accept_built_wheel(
            &whl("nativeonly-0.1-cp311-cp311-linux_x86_64.whl"),
            &tags(12, Arch::X86_64),
            &host("x86_64", (2, 36), 11),
        )
        .unwrap_err();
        let native = missing_dependencies_error(&[("nativeonly==0.1".into(), refused.to_string())]);
        assert!(
            native.contains("glibc 2.36 is newer than python3.12's glibc 2.34"),
            "{native}"
        );
        let msg = missing_dependencies_error(&[
            (
                "sdistonly==0.1".to_string(),
                "building sdistonly-0.1.tar.gz failed:\nerror: no compiler".to_string(),
            ),
            (
                "NativeOnly==0.1".to_string(),
                "the wheel built from its sdist cannot run on python3.12 (x86_64)".to_string(),
            ),
        ]);
        assert!(msg.starts_with("could not install 2 dependencies for the Lambda target:\n"));
        let native = msg.find("  nativeonly==0.1: ").unwrap();
        let sdist = msg.find("  sdistonly==0.1: ").unwrap();
        assert!(native < sdist, "sorted: {msg}");
        assert!(msg.contains("failed:\n    error: no compiler\n"), "{msg}");
        assert!(msg.contains("vendor/"), "{msg}");
        assert!(msg.contains("Cryptography Example"), "{msg}");
        assert!(msg.contains("--allow-missing"), "{msg}");
        let one = missing_dependencies_error(&[("a==1".to_string(), "x".to_string())]);
        assert!(one.starts_with("could not install 1 dependency "));
    }
}

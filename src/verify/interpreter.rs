//! Finding a CPython of the target version and architecture: `--python`, or
//! the first `pythonX.Y` on `PATH` that runs (pyenv shims included), else
//! one in pyenv's versions directory. A shim is run once
//! with the user's environment to learn the real executable, which then runs
//! the bridge with a clean one. For another architecture than this
//! machine's, `super::emulation` runs the target's own CPython from a
//! root of that architecture under QEMU.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::VerifyError;
use crate::error::Result;
use crate::target::{Arch, PythonVersion};

/// How the target's interpreter is started on a machine of another
/// architecture: QEMU's user-mode emulator with the target's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emulation {
    /// The emulator. Ex) `/usr/bin/qemu-aarch64-static`
    pub qemu: PathBuf,
    /// The target root its `-L` points at.
    pub sysroot: PathBuf,
}

impl Emulation {
    /// `qemu -L SYSROOT PROGRAM`, ready for the program's arguments.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.arg("-L").arg(&self.sysroot).arg(program);
        cmd
    }
}

/// A usable interpreter.
#[derive(Clone, Debug)]
pub struct Found {
    /// The real executable (`sys.executable`).
    pub executable: PathBuf,
    /// Its full version. Ex) `3.12.3`
    pub version: String,
    /// For another architecture: the emulator and root it runs under.
    pub emulation: Option<Emulation>,
}

impl Found {
    /// A command starting the interpreter (under the emulator, if any),
    /// ready for its arguments.
    pub fn command(&self) -> Command {
        match &self.emulation {
            Some(e) => e.command(&self.executable),
            None => Command::new(&self.executable),
        }
    }

    /// How the report names it. Ex) `/usr/bin/python3.12 (3.12.3)`, or
    /// `ROOT/usr/bin/python3.13 (3.13.5) under /usr/bin/qemu-aarch64-static`
    pub fn describe(&self) -> String {
        let mut s = format!("{} ({})", self.executable.display(), self.version);
        if let Some(e) = &self.emulation {
            s.push_str(&format!(" under {}", e.qemu.display()));
        }
        s
    }
}

/// Prints `sys.executable`, the version and `platform.machine()`.
pub(super) const PROBE: &str =
    "import sys, platform; print(sys.executable); print(sys.version.split()[0]); print(platform.machine())";

/// Where to look for the interpreter.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// `--python`, tried first.
    pub python: Option<PathBuf>,
    /// Only `python` (`grail verify --python`); otherwise, when it is not
    /// of the target version (`package --python` is the build's
    /// interpreter), `PATH` and pyenv are searched too.
    pub only_python: bool,
    /// A root filesystem of the target architecture, for verifying another
    /// architecture than this machine's (`--sysroot`, config `verify_sysroot`).
    pub sysroot: Option<PathBuf>,
}

/// This machine's interpreter to verify with (the target architecture is
/// the host's; see [`super::find_interpreter`] for another), or a clear
/// "cannot verify" naming what to install.
pub fn find(search: &Search, version: PythonVersion, arch: Arch) -> Result<Found> {
    let mut candidates: Vec<PathBuf> = search.python.iter().cloned().collect();
    if search.python.is_none() || !search.only_python {
        let name = format!("python{version}");
        candidates.extend(on_path(&name));
        candidates.extend(pyenv_versions(&name));
    }
    let mut tried = Vec::new();
    for c in &candidates {
        match probe(c) {
            Some((exe, full, machine))
                if full_matches(&full, version) && machine == arch.machine() =>
            {
                return Ok(Found {
                    executable: exe,
                    version: full,
                    emulation: None,
                })
            }
            Some((_, full, machine)) => {
                tried.push(format!("{} is {full} on {machine}", c.display()))
            }
            None => tried.push(format!("{} does not run", c.display())),
        }
    }
    let mut msg =
        format!("no python{version} for {arch} here (install python{version} or pass --python)");
    if !tried.is_empty() {
        msg.push_str(&format!("; tried: {}", tried.join(", ")));
    }
    Err(VerifyError::NoInterpreter(msg).into())
}

/// `3.12.3` is 3.12.
pub(super) fn full_matches(full: &str, version: PythonVersion) -> bool {
    let want = format!("{version}.");
    full.starts_with(&want)
}

/// Every `name` on `PATH`, in order.
pub(super) fn on_path(name: &str) -> Vec<PathBuf> {
    let Some(path) = std::env::var_os("PATH") else {
        return Vec::new();
    };
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .collect()
}

/// `pythonX.Y` in every pyenv version (`$PYENV_ROOT`, else `~/.pyenv`):
/// a shim refuses a version that is not selected, the binary itself runs.
fn pyenv_versions(name: &str) -> Vec<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    let Some(Ok(entries)) = root.map(|r| std::fs::read_dir(r.join("versions"))) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Run the probe with the user's environment (shims need it).
fn probe(python: &Path) -> Option<(PathBuf, String, String)> {
    let mut cmd = Command::new(python);
    // -I: the current directory is not on sys.path (a `platform/` there
    // would shadow the module the probe uses).
    cmd.args(["-I", "-c", PROBE]);
    probe_command(cmd)
}

/// Run a probe command: `sys.executable`, the version, the machine.
pub(super) fn probe_command(mut cmd: Command) -> Option<(PathBuf, String, String)> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let exe = PathBuf::from(lines.next()?.trim());
    let version = lines.next()?.trim().to_string();
    let machine = lines.next()?.trim().to_string();
    Some((exe, version, machine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix_must_match_exactly() {
        assert!(!full_matches("3.12.3", "3.13".parse().unwrap()));
        assert!(full_matches("3.12.3", "3.12".parse().unwrap()));
    }
}

//! Verifying for the other architecture: the target's own CPython, taken
//! from a root filesystem of that architecture (`--sysroot DIR` or config
//! `verify_sysroot`), run by QEMU's user-mode emulator
//! (`qemu-aarch64-static -L DIR DIR/usr/bin/python3.13 …`). binfmt_misc need
//! not be registered: grail starts the emulator itself, and `-L` makes the
//! emulated program find its dynamic loader and libraries in DIR.
//!
//! A root that works is what `mmdebstrap` extracts from Debian:
//!
//! ```text
//! mmdebstrap --variant=extract --architectures=arm64 \
//!     --include=python3,libstdc++6,libgcc-s1 trixie DIR
//! ```
//!
//! plus the merged-/usr links (`DIR/lib -> usr/lib`, `DIR/bin -> usr/bin`)
//! that `extract` leaves out; grail reports when they are missing rather
//! than creating them in a directory it does not own.
//!
//! ```
//! use grail::target::Arch;
//! use grail::verify::emulation::{qemu_name, root_recipe};
//! assert_eq!(qemu_name(Arch::Arm64), "qemu-aarch64-static");
//! // python3.13 is Debian trixie's python3.
//! assert!(root_recipe("3.13".parse().unwrap(), Arch::Arm64).contains("libgcc-s1 trixie DIR"));
//! ```

use std::path::{Path, PathBuf};

use super::interpreter::{probe_command, Emulation, Found};
use super::VerifyError;
use crate::error::Result;
use crate::target::{Arch, PythonVersion};

/// The emulator Debian's `qemu-user-static` installs for `arch`.
pub fn qemu_name(arch: Arch) -> &'static str {
    match arch {
        Arch::Arm64 => "qemu-aarch64-static",
        Arch::X86_64 => "qemu-x86_64-static",
    }
}

/// Debian's architecture name.
fn debian_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::Arm64 => "arm64",
        Arch::X86_64 => "amd64",
    }
}

/// A distribution release whose `python3` is `version`, and its mirror
/// (`None`: Debian's default). Lambda runtimes only.
fn release_for(version: PythonVersion, arch: Arch) -> Option<(&'static str, Option<&'static str>)> {
    let ubuntu = match arch {
        Arch::Arm64 => "http://ports.ubuntu.com/ubuntu-ports",
        Arch::X86_64 => "http://archive.ubuntu.com/ubuntu",
    };
    match version.to_string().as_str() {
        "3.10" => Some(("jammy", Some(ubuntu))),
        "3.11" => Some(("bookworm", None)),
        "3.12" => Some(("noble", Some(ubuntu))),
        "3.13" => Some(("trixie", None)),
        _ => None,
    }
}

/// How to get what is missing: the emulator and a root with `python{version}`.
pub fn root_recipe(version: PythonVersion, arch: Arch) -> String {
    let deb = debian_arch(arch);
    let make = match release_for(version, arch) {
        Some((suite, mirror)) => format!(
            "`mmdebstrap --variant=extract --architectures={deb} \
             --include=python3,libstdc++6,libgcc-s1 {suite} DIR{}` (then `ln -s usr/lib DIR/lib; \
             ln -s usr/bin DIR/bin`{})",
            mirror.map(|m| format!(" {m}")).unwrap_or_default(),
            if arch == Arch::X86_64 {
                "; `ln -s usr/lib64 DIR/lib64`"
            } else {
                ""
            }
        ),
        None => format!(
            "a {deb} root filesystem (DIR) whose /usr/bin/python{version} runs, e.g. exported \
             from a {deb} container image"
        ),
    };
    format!(
        "install qemu-user-static and build a root with {make}, then pass --sysroot DIR or set \
         \"verify_sysroot\" in .chalice/config.json"
    )
}

/// The target's interpreter under the emulator, or "cannot verify" saying
/// exactly what is missing and how to get it.
pub fn find(
    sysroot: Option<&Path>,
    python: Option<&Path>,
    version: PythonVersion,
    arch: Arch,
) -> Result<Found> {
    let host = std::env::consts::ARCH;
    let missing = |what: String| -> crate::error::Failure {
        VerifyError::NoInterpreter(format!(
            "no python{version} for {arch} here: this machine is {host} and {what} ({})",
            root_recipe(version, arch)
        ))
        .into()
    };
    let Some(qemu) = super::interpreter::on_path(qemu_name(arch))
        .into_iter()
        .next()
    else {
        return Err(missing(format!("{} is not installed", qemu_name(arch))));
    };
    let Some(sysroot) = sysroot else {
        return Err(missing(format!("no {arch} root was given")));
    };
    let sysroot = std::path::absolute(sysroot).unwrap_or_else(|_| sysroot.to_path_buf());
    if !sysroot.is_dir() {
        return Err(missing(format!(
            "the root {} does not exist",
            sysroot.display()
        )));
    }
    let emulation = Emulation { qemu, sysroot };
    let candidates = candidates(&emulation.sysroot, python, version);
    let mut tried = Vec::new();
    for c in &candidates {
        let mut cmd = emulation.command(c);
        cmd.args(["-I", "-S", "-c", super::interpreter::PROBE]);
        match probe_command(cmd) {
            Some((_, full, machine))
                if super::interpreter::full_matches(&full, version)
                    && machine == arch.machine() =>
            {
                return Ok(Found {
                    executable: c.clone(),
                    version: full,
                    emulation: Some(emulation),
                })
            }
            Some((_, full, machine)) => {
                tried.push(format!("{} is {full} on {machine}", c.display()))
            }
            None => tried.push(format!(
                "{} does not run under {}",
                c.display(),
                emulation.qemu.display()
            )),
        }
    }
    let found = present_versions(&emulation.sysroot);
    let mut what = format!(
        "the root {} has no python{version}",
        emulation.sysroot.display()
    );
    if !found.is_empty() {
        what.push_str(&format!(" (it has {})", found.join(", ")));
    }
    if !emulation.sysroot.join("lib").exists() {
        what.push_str("; it has no lib (merged-/usr roots need the link lib -> usr/lib)");
    }
    if !tried.is_empty() {
        what.push_str(&format!("; tried: {}", tried.join(", ")));
    }
    Err(missing(what))
}

/// `--python` (as given, or inside the root), then the root's usual places.
fn candidates(sysroot: &Path, python: Option<&Path>, version: PythonVersion) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = python {
        // An absolute path outside the root names a file inside it (the
        // path the target system would use).
        out.push(match p.strip_prefix("/") {
            Ok(inner) if !p.starts_with(sysroot) => sysroot.join(inner),
            _ => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
        });
    }
    let name = format!("python{version}");
    for dir in ["usr/bin", "usr/local/bin", "bin"] {
        let p = sysroot.join(dir).join(&name);
        if p.exists() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The `pythonX.Y` executables a root has, for the message.
fn present_versions(sysroot: &Path) -> Vec<String> {
    let mut found: Vec<String> = ["usr/bin", "usr/local/bin"]
        .iter()
        .filter_map(|d| std::fs::read_dir(sysroot.join(d)).ok())
        .flat_map(|entries| entries.flatten())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix("python3.")
                .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipe_names_the_suite_whose_python3_is_the_target() {
        let r = root_recipe("3.11".parse().unwrap(), Arch::Arm64);
        assert!(
            r.contains("--architectures=arm64") && r.contains(" bookworm DIR`"),
            "{r}"
        );
        let r = root_recipe("3.12".parse().unwrap(), Arch::Arm64);
        assert!(
            r.contains("noble DIR http://ports.ubuntu.com/ubuntu-ports"),
            "{r}"
        );
        let r = root_recipe("3.13".parse().unwrap(), Arch::X86_64);
        assert!(
            r.contains("--architectures=amd64") && r.contains("lib64"),
            "{r}"
        );
        let r = root_recipe("3.14".parse().unwrap(), Arch::Arm64);
        assert!(r.contains("/usr/bin/python3.14 runs"), "{r}");
    }

    #[test]
    fn a_missing_root_is_named_with_the_recipe() {
        let Some(_) = super::super::interpreter::on_path("qemu-aarch64-static")
            .first()
            .cloned()
        else {
            let e = find(None, None, "3.13".parse().unwrap(), Arch::Arm64).unwrap_err();
            assert!(
                e.to_string()
                    .contains("qemu-aarch64-static is not installed"),
                "{e}"
            );
            return;
        };
        let e = find(None, None, "3.13".parse().unwrap(), Arch::Arm64).unwrap_err();
        let text = e.to_string();
        assert_eq!(e.kind.code(), 4);
        assert!(text.contains("no arm64 root was given"), "{text}");
        assert!(text.contains("mmdebstrap --variant=extract"), "{text}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
        std::fs::write(dir.path().join("usr/bin/python3.11"), b"").unwrap();
        let e = find(Some(dir.path()), None, "3.13".parse().unwrap(), Arch::Arm64).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("has no python3.13 (it has python3.11)"),
            "{text}"
        );
        assert!(text.contains("lib -> usr/lib"), "{text}");
    }
}

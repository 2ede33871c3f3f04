//! What a grail lock is made from, and how a project drifted from it: the
//! requirements input files (by content), each locked target, and for each
//! target a digest of the stage settings that fix packages (what attached
//! layers provide, `exclude_packages`, vendor/).

use std::path::Path;

use pep508_rs::pep440_rs::Version;
use sha2::{Digest, Sha256};

use super::model::{GrailTool, InputFile, GRAIL_LOCK_FORMAT};
use crate::layers::LayerSet;
use crate::requirements::RequirementsFile;
use crate::target::LambdaTarget;

/// A target's name in `[tool.grail].targets`. Ex) `python3.12-x86_64`
pub fn target_label(t: &LambdaTarget) -> String {
    format!("{}-{}", t.runtime(), t.arch)
}

/// The PEP 508 marker that holds on `t` and no other Lambda target.
///
/// ```
/// use grail::target::{Arch, LambdaTarget, PythonVersion};
/// let t = LambdaTarget::new(PythonVersion::new(3, 12), Arch::Arm64);
/// assert_eq!(grail::lock::inputs::target_marker(&t),
///     "sys_platform == \"linux\" and platform_machine == \"aarch64\" and python_version == \"3.12\"");
/// ```
pub fn target_marker(t: &LambdaTarget) -> String {
    format!(
        "sys_platform == \"linux\" and platform_machine == \"{}\" and python_version == \"{}\"",
        t.arch.machine(),
        t.python
    )
}

/// sha256 of a file's bytes (`unreadable` when it cannot be read).
fn file_sha256(path: &Path) -> String {
    match crate::textfile::read_user_file(path, crate::textfile::MAX_TEXT_FILE_BYTES) {
        Ok(bytes) => hex::encode(Sha256::digest(&bytes)),
        Err(_) => "unreadable".to_string(),
    }
}

/// Every file the requirements came from (requirements.txt and what it
/// includes, or pyproject.toml), relative to the project, with its sha256; sorted.
pub fn input_files(project_dir: &Path, r: &RequirementsFile) -> Vec<InputFile> {
    let mut files: std::collections::BTreeSet<&Path> = std::collections::BTreeSet::new();
    for e in r.requirements.iter().chain(&r.constraints) {
        files.insert(&e.location.file);
    }
    files.extend(r.options.iter().map(|o| o.location.file.as_path()));
    files.extend(r.warnings.iter().map(|w| w.location.file.as_path()));
    files
        .into_iter()
        .map(|f| InputFile {
            path: f
                .strip_prefix(project_dir)
                .unwrap_or(f)
                .display()
                .to_string(),
            sha256: file_sha256(f),
        })
        .collect()
}

/// Digest of what fixes packages for a stage: the packages its layers (and
/// the runtime) provide, `exclude_packages`, vendor/'s packages.
pub fn settings_digest(
    layers: &LayerSet,
    exclude_packages: &[String],
    vendor: &[(String, Option<Version>)],
) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (name, p) in &layers.provided {
        let v = p
            .version
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_default();
        lines.push(format!("provided\t{name}\t{v}\t{}", p.provided_by));
    }
    for name in exclude_packages {
        lines.push(format!("exclude\t{}", crate::names::normalize(name)));
    }
    for (name, v) in vendor {
        let v = v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        lines.push(format!("vendor\t{name}\t{v}"));
    }
    lines.sort();
    let mut h = Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// What one build needs the lock to match.
pub struct Current<'a> {
    /// [`input_files`] now.
    pub inputs: &'a [InputFile],
    /// [`target_label`] of the build's target.
    pub target: &'a str,
    /// The stage being packaged.
    pub stage: &'a str,
    /// [`settings_digest`] of that stage now.
    pub settings_sha256: &'a str,
}

/// How the project drifted from the lock, one sentence each (empty: in date).
pub fn changes(tool: &GrailTool, now: &Current<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if tool.lock_format != GRAIL_LOCK_FORMAT {
        out.push(format!(
            "the lock has [tool.grail] lock-format {}, this grail writes {GRAIL_LOCK_FORMAT}",
            tool.lock_format
        ));
        return out;
    }
    for i in now.inputs {
        match tool.inputs.iter().find(|l| l.path == i.path) {
            None => out.push(format!("{} is a new requirements input", i.path)),
            Some(l) if l.sha256 != i.sha256 => out.push(format!("{} changed", i.path)),
            Some(_) => {}
        }
    }
    for l in &tool.inputs {
        if !now.inputs.iter().any(|i| i.path == l.path) {
            out.push(format!("{} is no longer a requirements input", l.path));
        }
    }
    match tool.targets.iter().find(|t| t.target == now.target) {
        None => {
            let locked: Vec<&str> = tool.targets.iter().map(|t| t.target.as_str()).collect();
            out.push(format!(
                "{} is not locked (the lock has {})",
                now.target,
                if locked.is_empty() { "no target".to_string() } else { locked.join(", ") }
            ));
        }
        Some(t) if t.settings_sha256 != now.settings_sha256 => out.push(format!(
            "what fixes packages for stage {} (attached layers' packages, exclude_packages, vendor/) \
             differs from stage {} when the lock was made",
            now.stage, t.stage
        )),
        Some(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::LockedTarget;
    use super::*;

    fn tool() -> GrailTool {
        GrailTool {
            lock_format: GRAIL_LOCK_FORMAT,
            inputs: vec![InputFile {
                path: "requirements.txt".into(),
                sha256: "a".into(),
            }],
            targets: vec![LockedTarget {
                target: "python3.12-x86_64".into(),
                stage: "dev".into(),
                settings_sha256: "s".into(),
            }],
        }
    }

    #[test]
    fn each_kind_of_drift_is_named() {
        let same = [InputFile {
            path: "requirements.txt".into(),
            sha256: "a".into(),
        }];
        let now = |inputs, target, settings| Current {
            inputs,
            target,
            stage: "prod",
            settings_sha256: settings,
        };
        assert!(changes(&tool(), &now(&same, "python3.12-x86_64", "s")).is_empty());
        let edited = [InputFile {
            path: "requirements.txt".into(),
            sha256: "b".into(),
        }];
        assert_eq!(
            changes(&tool(), &now(&edited, "python3.12-x86_64", "s")),
            ["requirements.txt changed"]
        );
        let moved = [InputFile {
            path: "pyproject.toml".into(),
            sha256: "a".into(),
        }];
        assert_eq!(
            changes(&tool(), &now(&moved, "python3.12-x86_64", "s")).len(),
            2
        );
        let c = changes(&tool(), &now(&same, "python3.12-arm64", "s"));
        assert_eq!(
            c,
            ["python3.12-arm64 is not locked (the lock has python3.12-x86_64)"]
        );
        let c = changes(&tool(), &now(&same, "python3.12-x86_64", "t"));
        assert!(
            c[0].contains("stage prod") && c[0].contains("stage dev"),
            "{c:?}"
        );
        let old = GrailTool {
            lock_format: 0,
            ..tool()
        };
        assert!(changes(&old, &now(&same, "python3.12-x86_64", "s"))[0].contains("lock-format 0"));
    }
}

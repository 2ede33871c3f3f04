//! `grail lock`: resolve for the Lambda target of every stage (or of
//! `--stage`, with `--python-version`/`--arch` over config) exactly as
//! `grail package` would, and write the result as a PEP 751 `pylock.toml`
//! (see [`crate::lock`]). Stages that share a target are resolved once,
//! with the first such stage's settings (config order).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::commands::package::{analyze, vendor_provides};
use crate::error::{Context, ExitKind, Kind, Result};
use crate::lock::make::{make, package_files, TargetPackages};
use crate::lock::{apply::LOCK_FILE, inputs, render::render, LockMode};
use crate::options::LockOptions;
use crate::project::config::{Config, UserParams};
use crate::project::Project;
use crate::target::LambdaTarget;
use crate::ui::Ui;

/// Run `grail lock`.
pub fn run(project_dir: &Path, opts: &LockOptions, ui: &Ui) -> Result<()> {
    let project = Project::open(project_dir)?;
    let config = Config::load(&project.dir)?;
    let out = match &opts.output {
        Some(p) if p.is_absolute() => p.clone(),
        Some(p) => project.dir.join(p),
        None => project.dir.join(LOCK_FILE),
    };
    let lock_dir = out.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut targets: Vec<TargetPackages> = Vec::new();
    let mut input_files = Vec::new();
    for stage in stages(&config, opts) {
        let user = UserParams {
            profile: opts.build.profile.clone(),
        };
        let scoped = config.scope(&stage, "api_handler", &user);
        let arch = opts
            .build
            .arch
            .unwrap_or_else(|| scoped.lambda_architecture());
        let python = opts.build.python_version.or(scoped.lambda_python_version());
        if python.is_some_and(|p| known(&targets, LambdaTarget::new(p, arch))) {
            continue;
        }
        let mut build = opts.build.clone();
        build.stage = stage.clone();
        build.python_version = python;
        build.arch = Some(arch);
        build.lock_mode = LockMode::Ignore;
        let a = analyze(&project.dir, &build, ui, std::slice::from_ref(&out))?;
        if known(&targets, a.ctx.target) {
            continue;
        }
        for f in inputs::input_files(&project.dir, &a.inputs.requirements) {
            if !input_files.contains(&f) {
                input_files.push(f);
            }
        }
        targets.push(target_packages(&a, stage, &lock_dir, ui)?);
    }
    input_files.sort();
    if !pep751_name(&out) {
        ui.warn(&format!(
            "{}: PEP 751 names lock files pylock.toml or pylock.<name>.toml; other installers (uv) \
             refuse other names",
            out.display()
        ));
    }
    let lock = make(&targets, input_files);
    write_atomic(&out, render(&lock).as_bytes())?;
    let names: Vec<String> = targets.iter().map(|t| t.target.to_string()).collect();
    ui.status(&format!(
        "Wrote {} ({} packages for {}).",
        out.display(),
        lock.packages.len(),
        names.join(", ")
    ));
    Ok(())
}

/// What one stage's analysis locks for its target.
fn target_packages(
    a: &crate::commands::package::Analysis,
    stage: String,
    lock_dir: &Path,
    ui: &Ui,
) -> Result<TargetPackages> {
    ui.info(&format!("locking {} (stage {stage})", a.ctx.target));
    if !a.deps.missing.is_empty() {
        let ids: Vec<&str> = a
            .deps
            .missing
            .iter()
            .map(|m| m.identifier.as_str())
            .collect();
        ui.warn(&format!(
            "{} cannot be installed for {} and is not locked",
            ids.join(", "),
            a.ctx.target
        ));
    }
    let vendor = vendor_provides(&a.ctx, &a.vendor_wheels);
    let mut packages = Vec::new();
    if let Some(client) = &a.inputs.client {
        for w in &a.deps.wheels {
            packages.push(package_files(w, lock_dir, client)?);
        }
    }
    Ok(TargetPackages {
        target: a.ctx.target,
        stage,
        settings_sha256: inputs::settings_digest(
            &a.inputs.common_layers,
            &a.inputs.exclude_packages,
            &vendor,
        ),
        packages,
    })
}

/// The stages to lock: `--stage`, else every stage in config.json (else `dev`).
fn stages(config: &Config, opts: &LockOptions) -> Vec<String> {
    if let Some(s) = &opts.stages {
        return s.clone();
    }
    let all = config.stage_names();
    if all.is_empty() {
        vec![opts.build.stage.clone()]
    } else {
        all
    }
}

/// Whether `path`'s file name is one PEP 751 allows: `pylock.toml` or
/// `pylock.<name>.toml` with a non-empty `<name>` without dots.
fn pep751_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name
        .strip_prefix("pylock.")
        .and_then(|r| r.strip_suffix("toml"))
    {
        Some("") => true,
        Some(mid) => mid
            .strip_suffix('.')
            .is_some_and(|n| !n.is_empty() && !n.contains('.')),
        None => false,
    }
}

fn known(targets: &[TargetPackages], t: LambdaTarget) -> bool {
    targets.iter().any(|x| x.target == t)
}

/// Write `bytes` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        tmp.write_all(bytes)?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write()
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep751_names() {
        for ok in ["pylock.toml", "pylock.dev.toml", "x/pylock.prod-1.toml"] {
            assert!(pep751_name(Path::new(ok)), "{ok}");
        }
        for bad in [
            "lock.toml",
            "pylock..toml",
            "pylock.a.b.toml",
            "pylock.tom",
            "pylocktoml",
        ] {
            assert!(!pep751_name(Path::new(bad)), "{bad}");
        }
    }
}

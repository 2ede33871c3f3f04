//! The `grail package` pipeline: project → target → resolution → install
//! plan → artifacts → report.
//!
//! Each step lives in its own module; this one only wires them together,
//! decides the exit code for each kind of failure and prints what happened.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::assemble::{Entry, Origin, ZipPlan, ZipSummary};
use crate::cli::{BuildArgs, PackageArgs, PkgFormat, ScanArgs, TemplateFormat, Ui, WhyArgs};
use crate::config::{Config, UserParams};
use crate::error::{usage, ExitKind, Failure};
use crate::install::{add_wheel, audit_plan, InstallError};
use crate::project::{Project, ProjectSources};
use crate::python::{ChaliceRuntime, Interpreter};
use crate::report::PackageEntry;
use crate::report::{ArtifactEntry, Report};
use crate::tags::Tags;
use crate::target::{LambdaTarget, PythonVersion, MAX_PYTHON, MIN_PYTHON};
use crate::wheel::{WheelArchive, WheelFilename};

/// The Lambda limit on function code plus layers, unzipped.
const UNZIPPED_LIMIT: u64 = 262_144_000;

/// A feature that parses but whose work has not landed yet.
fn not_supported(what: &str) -> anyhow::Error {
    usage(anyhow::anyhow!(
        "{what} is not supported yet by this version of grail; run without it (or use `chalice package` for now)"
    ))
}

/// Chalice's refusal of Terraform-incompatible flags, then grail's own
/// "not yet" list. Nothing is silently ignored.
fn check_flags(args: &PackageArgs) -> anyhow::Result<()> {
    if args.pkg_format == PkgFormat::Terraform
        && (args.merge_template.is_some()
            || args.single_file
            || args.template_format != TemplateFormat::Json)
    {
        return Err(usage(anyhow::anyhow!(
            "Terraform format does not support --merge-template, --single-file, or --template-format"
        )));
    }
    if args.pkg_format == PkgFormat::Terraform {
        return Err(not_supported("--pkg-format terraform"));
    }
    if args.template_format == TemplateFormat::Yaml {
        return Err(not_supported("--template-format yaml"));
    }
    if args.merge_template.is_some() {
        return Err(not_supported("--merge-template"));
    }
    if args.single_file {
        return Err(not_supported("--single-file"));
    }
    if args.chalice_cache {
        return Err(not_supported("--chalice-cache"));
    }
    check_build_flags(&args.build)
}

fn check_build_flags(b: &BuildArgs) -> anyhow::Result<()> {
    let pending: [(&str, bool); 10] = [
        ("--chalice-version", b.chalice_version.is_some()),
        ("--index-url", b.index_url.is_some()),
        ("--extra-index-url", !b.extra_index_url.is_empty()),
        ("--find-links", !b.find_links.is_empty()),
        ("--no-index", b.no_index),
        ("--offline", b.offline),
        ("--cache-dir", b.cache_dir.is_some()),
        ("--refresh", b.refresh),
        ("--layer-manifest", !b.layer_manifest.is_empty()),
        ("--allow-shadow", b.allow_shadow),
    ];
    for (flag, given) in pending {
        if given {
            return Err(not_supported(flag));
        }
    }
    if b.allow_missing {
        return Err(not_supported("--allow-missing"));
    }
    Ok(())
}

/// Everything known about the build before dependencies are resolved.
pub struct BuildContext {
    /// The project.
    pub project: Project,
    /// Its `.chalice/config.json`.
    pub config: Config,
    /// The stage.
    pub stage: String,
    /// Runtime and architecture.
    pub target: LambdaTarget,
    /// `chalice/app.py` and `chalice/__init__.py`.
    pub chalice: ChaliceRuntime,
    /// app.py, chalicelib/, vendor/.
    pub sources: ProjectSources,
    /// Warnings so far.
    pub warnings: Vec<String>,
}

impl BuildContext {
    /// Load the project, config, target and chalice runtime.
    pub fn load(project_dir: &Path, b: &BuildArgs, ui: &Ui) -> anyhow::Result<BuildContext> {
        let project = Project::open(project_dir).map_err(usage)?;
        ui.debug(&format!("project dir: {}", project.dir.display()));
        let config = Config::load(&project.dir).map_err(|e| Failure::new(e.exit_kind(), e))?;
        let user = UserParams {
            profile: b.profile.clone(),
        };
        let scoped = config.scope(&b.stage, "api_handler", &user);
        let arch = b.arch().unwrap_or_else(|| scoped.lambda_architecture());

        let interpreter = Interpreter::discover(b.python.as_deref()).map_err(usage)?;
        if let Some(py) = &interpreter {
            ui.debug(&format!(
                "interpreter: {} (Python {})",
                py.path.display(),
                py.version_string()
            ));
        }
        let python = match (b.python_version, scoped.lambda_python_version(), &interpreter) {
            (Some(v), _, _) => v,
            (None, Some(v), _) => v,
            (None, None, Some(py)) => py.python_version().clamp_to_runtime(),
            (None, None, None) => {
                return Err(usage(anyhow::anyhow!(
                    "cannot tell which Lambda runtime to package for: no Python interpreter was found \
                     (looked at --python, $VIRTUAL_ENV/bin/python and python3 on PATH). \
                     Pass --python-version 3.12 or set \"lambda_python_version\" in .chalice/config.json"
                )))
            }
        };
        check_runtime(python)?;
        let target = LambdaTarget::new(python, arch);

        let chalice = match interpreter
            .as_ref()
            .and_then(|i| i.chalice.as_ref().map(|c| (i, c)))
        {
            Some((_, install)) => ChaliceRuntime::from_install(install)
                .map_err(|e| Failure::new(ExitKind::Introspection, e))?,
            None => {
                let which = interpreter
                    .as_ref()
                    .map(|i| {
                        format!(
                            "the interpreter {} (Python {})",
                            i.path.display(),
                            i.version_string()
                        )
                    })
                    .unwrap_or_else(|| "no Python interpreter was found, and".to_string());
                return Err(Failure::new(
                    ExitKind::Introspection,
                    anyhow::anyhow!(
                        "chalice is not installed for {which}: grail copies chalice/app.py and chalice/__init__.py \
                         from it. Install it with `python3 -m pip install chalice` (in the project's virtualenv), \
                         or point --python at an interpreter that has it"
                    ),
                )
                .into());
            }
        };
        ui.debug(&format!(
            "chalice {} from {}",
            chalice.version, chalice.origin
        ));

        let mut warnings = Vec::new();
        for key in config.ignored_keys() {
            let w = format!(
                "{}: `{key}` is ignored by Chalice where it is written (top-level lambda_functions \
                 values for environment_variables/tags are not merged); move it into the stage",
                config.path().display()
            );
            ui.warn(&w);
            warnings.push(w);
        }
        let sources = project.collect().map_err(usage)?;
        for skipped in &sources.skipped {
            ui.debug(&format!("not shipped: {}", skipped.display()));
        }
        Ok(BuildContext {
            project,
            config,
            stage: b.stage.clone(),
            target,
            chalice,
            sources,
            warnings,
        })
    }
}

fn check_runtime(v: PythonVersion) -> anyhow::Result<()> {
    if v.is_supported_runtime() {
        Ok(())
    } else {
        Err(usage(anyhow::anyhow!(
            "python{v} is not a Lambda runtime grail packages for: choose {MIN_PYTHON} to {MAX_PYTHON}"
        )))
    }
}

/// Where OUT lives: relative paths are relative to the project dir (Chalice chdirs there).
fn resolve_in_project(project: &Project, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        project.dir.join(p)
    }
}

fn prepare_out_dir(out: &Path) -> anyhow::Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(usage(anyhow::anyhow!(
            "output path {} exists and is not a directory; choose another OUT or remove the file",
            out.display()
        )));
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))
        .map_err(usage)
}

/// `grail package OUT`.
pub fn run_package(project_dir: &Path, args: &PackageArgs, ui: &Ui) -> anyhow::Result<()> {
    let started = Instant::now();
    check_flags(args)?;
    let mut ctx = BuildContext::load(project_dir, &args.build, ui)?;
    let out_dir = resolve_in_project(&ctx.project, &args.out);
    prepare_out_dir(&out_dir)?;
    ui.info(&format!("packaging for {}", ctx.target));

    let requirements = ctx.project.requirements_path();
    if has_packages(&requirements)? {
        return Err(not_supported(&format!(
            "installing requirements ({})",
            requirements.display()
        )));
    }
    let tags = Tags::for_target(&ctx.target);
    let vendor_wheels = open_vendor_wheels(&mut ctx, &tags, ui)?;

    ui.status("Creating deployment package.");
    let assemble_started = Instant::now();
    let mut plan = ZipPlan::default();
    add_project_entries(&mut plan, &ctx)?;
    for w in &vendor_wheels {
        add_wheel(&mut plan, w, true).map_err(usage)?;
    }
    let audited = audit_plan(&plan, &ctx.target).map_err(|e| match &e {
        InstallError::Audit { vendored: true, .. } => usage(e),
        _ => crate::error::deps(e),
    })?;
    ui.debug(&format!("audited {audited} shared objects"));
    let dest = out_dir.join("deployment.zip");
    let summary = plan.write(&dest).map_err(usage)?;
    for w in plan.warnings() {
        ui.warn(w);
        ctx.warnings.push(w.clone());
    }
    let assemble_ms = assemble_started.elapsed().as_millis() as u64;

    let budget = budget_json(&summary);
    if args.pkg_format == PkgFormat::Cloudformation {
        let w = "sam.json is not generated yet by this version of grail: only deployment.zip was written".to_string();
        ui.warn(&w);
        ctx.warnings.push(w);
    }
    ui.status(&format!(
        "Wrote {} ({} files, {} unzipped, {} zipped).",
        display_rel(&dest, &ctx.project.dir),
        summary.entries,
        human_bytes(summary.unzipped_bytes),
        human_bytes(summary.zipped_bytes)
    ));

    if let Some(report_path) = &args.report {
        let mut report = Report::new(
            &ctx.stage,
            &ctx.target.runtime(),
            &ctx.target.arch.to_string(),
        );
        report.artifacts.push(ArtifactEntry {
            path: "deployment.zip".to_string(),
            zipped_bytes: summary.zipped_bytes,
            unzipped_bytes: summary.unzipped_bytes,
            entries: summary.entries,
            sha256: summary.sha256.clone(),
        });
        report.budget = budget;
        report
            .packages
            .extend(vendor_report_entries(&ctx, &vendor_wheels));
        report.warnings = ctx.warnings.clone();
        report
            .chalice_runtime
            .insert("version".into(), ctx.chalice.version.clone());
        report
            .chalice_runtime
            .insert("source".into(), ctx.chalice.origin.clone());
        report.timings_ms.assemble = assemble_ms;
        report.timings_ms.total = started.elapsed().as_millis() as u64;
        let path = resolve_in_project(&ctx.project, report_path);
        report
            .write(&path)
            .with_context(|| format!("cannot write the report to {}", path.display()))
            .map_err(usage)?;
    }
    Ok(())
}

/// Check, open and verify every `vendor/*.whl`: an incompatible wheel is bad
/// input (exit 1) naming the file, its tags and what the target accepts.
fn open_vendor_wheels(
    ctx: &mut BuildContext,
    tags: &Tags,
    ui: &Ui,
) -> anyhow::Result<Vec<WheelArchive>> {
    let mut out = Vec::new();
    for path in &ctx.sources.vendor_wheels {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let shown = format!("vendor/{name}");
        let wf: WheelFilename = name
            .parse()
            .map_err(|e| usage(anyhow::anyhow!("{shown}: {e}")))?;
        match tags.compatibility_local(&wf) {
            Err(inc) => return Err(usage(anyhow::anyhow!("{shown} cannot be used: {inc}"))),
            Ok(c) => {
                if let Some(w) = c.warning(&wf, tags) {
                    let w = format!("{shown}: {w}");
                    ui.warn(&w);
                    ctx.warnings.push(w);
                }
            }
        }
        let archive =
            WheelArchive::open(path).map_err(|e| usage(anyhow::anyhow!("{shown}: {e}")))?;
        archive
            .verify()
            .map_err(|e| usage(anyhow::anyhow!("{shown}: {e}")))?;
        if let Some(w) = archive.wheel_info.warning() {
            let w = format!("{shown}: {w}");
            ui.warn(&w);
            ctx.warnings.push(w);
        }
        out.push(archive);
    }
    Ok(out)
}

/// Report entries for what vendor/ provides (wheels and unpacked packages).
fn vendor_report_entries(ctx: &BuildContext, wheels: &[WheelArchive]) -> Vec<PackageEntry> {
    let mut out: Vec<PackageEntry> = wheels
        .iter()
        .map(|w| PackageEntry {
            name: w.filename.normalized_name(),
            version: w.filename.version.to_string(),
            source: "vendor".to_string(),
            file: Some(w.filename.to_string()),
            in_zip: "deployment.zip".to_string(),
            unzipped_bytes: w.unzipped_bytes(),
            required_by: Vec::new(),
        })
        .collect();
    for p in &ctx.sources.vendor_packages {
        out.push(PackageEntry {
            name: p.name.clone(),
            version: p.version.to_string(),
            source: "vendor".to_string(),
            file: None,
            in_zip: "deployment.zip".to_string(),
            unzipped_bytes: p.unzipped_bytes,
            required_by: Vec::new(),
        });
    }
    out
}

/// Chalice's "has at least one package" test (§5.1): a missing file is empty.
fn has_packages(path: &Path) -> anyhow::Result<bool> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(usage(anyhow::anyhow!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// The chalice runtime files and the project's own files.
fn add_project_entries(plan: &mut ZipPlan, ctx: &BuildContext) -> anyhow::Result<()> {
    plan.add(Entry::bytes(
        "chalice/app.py",
        ctx.chalice.app_py.clone(),
        0o644,
        Origin::ChaliceRuntime,
    ))
    .map_err(usage)?;
    plan.add(Entry::bytes(
        "chalice/__init__.py",
        ctx.chalice.init_py.clone(),
        0o644,
        Origin::ChaliceRuntime,
    ))
    .map_err(usage)?;
    for f in &ctx.sources.files {
        plan.add(Entry::file(
            &f.zip_name,
            f.path.clone(),
            f.mode,
            Origin::Project(f.origin),
        ))
        .map_err(usage)?;
    }
    Ok(())
}

fn budget_json(summary: &ZipSummary) -> serde_json::Value {
    let total = summary.unzipped_bytes;
    serde_json::json!({
        "limit_bytes": UNZIPPED_LIMIT,
        "function_unzipped_bytes": summary.unzipped_bytes,
        "layers": [],
        "total_bytes": total,
        "headroom_bytes": UNZIPPED_LIMIT as i64 - total as i64,
    })
}

fn display_rel(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// Ex) `1.23 MB` (decimal megabytes, as Lambda's limits are quoted).
pub fn human_bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.2} MB", n as f64 / 1_000_000.0)
    } else if n >= 1_000 {
        format!("{:.1} kB", n as f64 / 1_000.0)
    } else {
        format!("{n} B")
    }
}

/// `grail why PACKAGE`.
pub fn run_why(_project_dir: &Path, _args: &WhyArgs, _ui: &Ui) -> anyhow::Result<()> {
    Err(not_supported("grail why"))
}

/// `grail layer scan`.
pub fn run_layer_scan(_args: &ScanArgs) -> anyhow::Result<()> {
    Err(not_supported("grail layer scan"))
}

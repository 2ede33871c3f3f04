//! The `grail package` pipeline: project → target → resolution → install
//! plan → artifacts → report.
//!
//! Each step lives in its own module; this one only wires them together,
//! decides the exit code for each kind of failure and prints what happened.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::assemble::{Entry, Origin, ZipPlan, ZipSummary};
use crate::budget::{direct_upload_warning, render_breakdown, Budget, LayerUsage, SizeItem};
use crate::commands::outcome;
use crate::commands::progress_hooks::{self, ReportingBuilder};
use crate::dependencies::{chalice_missing_warning, DependencyInput, DependencyPlan};
use crate::error::{Classify, Context, ExitKind, Failure, Kind, Result};
use crate::index::{effective_index_options, IndexArgs};
use crate::install::{add_dependency_wheel, add_wheel, audit_plan, Vendored};
use crate::layers::fetch::{FetchPolicy, Known};
use crate::layers::{Catalogue, LayerArn, LayerSet, LayerSetInput};
use crate::options::{BuildOptions, PackageOptions, PkgFormat, TemplateFormat};
use crate::project::config::{Config, UserParams};
use crate::project::{FileOrigin, Project, ProjectSources};
use crate::python::{ChaliceRuntime, LazyInterpreter};
use crate::report::{ArtifactEntry, PackageEntry, Report, Timings, WheelSource};
use crate::target::tags::Tags;
use crate::target::{LambdaTarget, PythonVersion, MAX_PYTHON, MIN_PYTHON};
use crate::ui::Ui;
use crate::wheel::{WheelArchive, WheelFilename};

/// Chalice's refusal of Terraform-incompatible flags, then grail's own
/// "not yet" list. Nothing is silently ignored.
fn check_flags(args: &PackageOptions) -> Result<()> {
    if args.pkg_format == PkgFormat::Terraform
        && (args.merge_template.is_some()
            || args.single_file
            || args.template_format != TemplateFormat::Json)
    {
        return Err(Failure::msg(
            ExitKind::Usage,
            "Terraform format does not support --merge-template, --single-file, or --template-format",
        ));
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
    /// The interpreter chalice would run under, if any (probed in the
    /// background when the runtime does not depend on it).
    pub interpreter: std::sync::Arc<LazyInterpreter>,
    /// app.py, chalicelib/, vendor/.
    pub sources: ProjectSources,
    /// `automatic_layer`: dependencies and vendor/ go into a managed layer
    /// (`layer-deployment.zip`), the app into `deployment.zip`.
    pub automatic_layer: bool,
    /// Every layer any function has (stage-level `layers` first, Chalice's
    /// precedence): what the budget counts.
    pub layer_arns: Vec<String>,
    /// The layers every function has: only these keep packages out of the zip.
    pub common_layer_arns: Vec<String>,
    /// Warnings so far.
    pub warnings: Vec<String>,
}

impl BuildContext {
    /// Load the project, config, target and chalice runtime; `not_shipped`
    /// (OUT) is never collected as a source.
    pub fn load(
        project_dir: &Path,
        b: &BuildOptions,
        ui: &Ui,
        not_shipped: &[PathBuf],
    ) -> Result<BuildContext> {
        Self::load_with(project_dir, b, ui, not_shipped, None)
    }

    /// [`BuildContext::load`], with the interpreter already `known` (an
    /// incremental build's) instead of probing it.
    pub fn load_with(
        project_dir: &Path,
        b: &BuildOptions,
        ui: &Ui,
        not_shipped: &[PathBuf],
        known: Option<Option<crate::python::Interpreter>>,
    ) -> Result<BuildContext> {
        let project = Project::open(project_dir)?;
        ui.debug(&format!("project dir: {}", project.dir.display()));
        let config = Config::load(&project.dir)?;
        let user = UserParams {
            profile: b.profile.clone(),
        };
        let scoped = config.scope(&b.stage, "api_handler", &user);
        let arch = b.arch.unwrap_or_else(|| scoped.lambda_architecture());

        // Probing runs Python (~0.1 s): when the runtime does not depend on
        // it, let it run in the background while resolution works.
        let interpreter = std::sync::Arc::new(match known {
            Some(i) => LazyInterpreter::known(i),
            None => LazyInterpreter::spawn(b.python.clone()),
        });
        let python = runtime_python(
            b.python_version.or(scoped.lambda_python_version()),
            &interpreter,
        )?;
        let target = LambdaTarget::new(python, arch);

        let mut warnings = Vec::new();
        for w in config.check(&b.stage)? {
            ui.warn(&w);
            warnings.push(w);
        }
        let automatic_layer = scoped.automatic_layer();
        let (layer_arns, common_layer_arns) =
            attached_layers(&config, b, &scoped.layers(), ui, &mut warnings);
        let sources = project.collect_except(not_shipped)?;
        for skipped in &sources.skipped {
            ui.debug(&format!("not shipped: {}", skipped.display()));
        }
        for w in &sources.warnings {
            ui.warn(w);
            warnings.push(w.clone());
        }
        Ok(BuildContext {
            project,
            config,
            stage: b.stage.clone(),
            target,
            interpreter,
            sources,
            automatic_layer,
            layer_arns,
            common_layer_arns,
            warnings,
        })
    }

    fn warn(&mut self, ui: &Ui, w: String) {
        ui.warn(&w);
        self.warnings.push(w);
    }
}

/// The runtime to package for: the CLI's or config's, else the
/// interpreter's (clamped to a Lambda runtime).
fn runtime_python(
    chosen: Option<PythonVersion>,
    interpreter: &LazyInterpreter,
) -> Result<PythonVersion> {
    let python = match chosen {
        Some(v) => v,
        None => match interpreter.get().kind(ExitKind::Usage)? {
            // `chalice_runtime` names the interpreter (once) in debug output.
            Some(py) => py.python_version().clamp_to_runtime(),
            None => {
                return Err(Failure::msg(
                    ExitKind::Usage,
                    "cannot tell which Lambda runtime to package for: no Python interpreter was found \
                     (looked at --python, $VIRTUAL_ENV/bin/python and python3 on PATH). \
                     Pass --python-version 3.12 or set \"lambda_python_version\" in .chalice/config.json",
                ))
            }
        },
    };
    check_runtime(python)?;
    Ok(python)
}

/// Every layer any function has (what the budget counts) and the layers
/// every function has. One zip serves every function: a layer's packages
/// count as provided only when every function has that layer (the stage's
/// list, and each function's own).
fn attached_layers(
    config: &Config,
    b: &BuildOptions,
    stage_layers: &[String],
    ui: &Ui,
    warnings: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let user = UserParams {
        profile: b.profile.clone(),
    };
    let mut layer_arns = stage_layers.to_vec();
    let mut common_layer_arns = stage_layers.to_vec();
    for f in config.function_names(&b.stage) {
        let theirs = config.scope(&b.stage, &f, &user).layers();
        if theirs != stage_layers {
            let w = format!(
                "function {f} has its own \"layers\" in .chalice/config.json: all functions share \
                 one deployment.zip, so only layers every function has keep packages out of it, \
                 and the size budget counts every layer"
            );
            ui.warn(&w);
            warnings.push(w);
        }
        common_layer_arns.retain(|a| theirs.contains(a));
        for a in theirs {
            if !layer_arns.contains(&a) {
                layer_arns.push(a);
            }
        }
    }
    (layer_arns, common_layer_arns)
}

fn check_runtime(v: PythonVersion) -> Result<()> {
    if v.is_supported_runtime() {
        Ok(())
    } else {
        Err(Failure::msg(
            ExitKind::Usage,
            format!("python{v} is not a Lambda runtime grail packages for: choose {MIN_PYTHON} to {MAX_PYTHON}"),
        ))
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

fn prepare_out_dir(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(not_a_directory(out));
    }
    std::fs::create_dir_all(out)
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot create output directory {}", out.display()))
}

fn not_a_directory(out: &Path) -> Failure {
    Failure::msg(
        ExitKind::Usage,
        format!(
            "output path {} exists and is not a directory; choose another OUT or remove the file",
            out.display()
        ),
    )
}

/// Everything decided before anything is written: the context, the layers,
/// the vendored wheels and the dependency plan.
pub struct Analysis {
    /// Project, config, target, sources.
    pub ctx: BuildContext,
    /// Attached layers and what they provide.
    pub layers: LayerSet,
    /// `vendor/*.whl`, opened and verified.
    pub vendor_wheels: Vec<WheelArchive>,
    /// Resolved and downloaded dependencies.
    pub deps: DependencyPlan,
    /// The chalice runtime files (from the interpreter or the index).
    pub chalice: ChaliceRuntime,
    /// The cache, when the index was needed.
    pub cache: Option<crate::cache::Cache>,
    /// What resolution started from, kept so `grail suggest-layers` can
    /// resolve again with a candidate layer attached.
    pub inputs: ResolutionInputs,
}

/// The inputs of the dependency resolution (besides the context).
pub struct ResolutionInputs {
    /// requirements.txt as parsed.
    pub requirements: crate::requirements::RequirementsFile,
    /// The effective index settings.
    pub settings: crate::index::IndexOptions,
    /// The layers every function has (what resolution counted as provided).
    pub common_layers: LayerSet,
    /// Config `exclude_packages`.
    pub exclude_packages: Vec<String>,
    /// The index client, when requirements needed one.
    pub client: Option<crate::index::IndexClient>,
}

/// Project → target → layers → resolution → downloads. `not_shipped`: paths
/// under the project that are never sources (OUT).
pub fn analyze(
    project_dir: &Path,
    b: &BuildOptions,
    ui: &Ui,
    not_shipped: &[PathBuf],
) -> Result<Analysis> {
    analyze_into(
        project_dir,
        b,
        ui,
        not_shipped,
        &mut Report::new(&b.stage, "", ""),
        None,
    )
}

/// [`analyze`], noting in `report` what is known as it goes (the target,
/// the requirements, the warnings), so a failed run can still report it.
/// `replay`: an incremental build's previous dependency plan, chalice
/// runtime and interpreter, used instead of resolving and probing.
fn analyze_into(
    project_dir: &Path,
    b: &BuildOptions,
    ui: &Ui,
    not_shipped: &[PathBuf],
    report: &mut Report,
    replay: Option<crate::rebuild::Replay>,
) -> Result<Analysis> {
    let (reused, reused_chalice, known) = crate::rebuild::Replay::split(replay);
    let mut ctx = BuildContext::load_with(project_dir, b, ui, not_shipped, known)?;
    (report.runtime, report.architecture) = (ctx.target.runtime(), ctx.target.arch.to_string());
    ui.info(&format!("packaging for {}", ctx.target));
    let tags = Tags::for_target(&ctx.target);
    let vendor_wheels = open_vendor_wheels(&mut ctx, &tags, ui)?;
    let (layers, common_layers, exclude_packages) = load_layers(&mut ctx, b, ui)?;
    let requirements = load_requirements(&mut ctx, b, ui)?;
    warn_layer_constraints(&mut ctx, ui, &common_layers, &requirements);
    report.requirements = outcome::requirement_entries(&requirements, &ctx.project.dir);
    report.warnings = ctx.warnings.clone();
    let env = |k: &str| std::env::var(k).ok();
    let settings = effective_index_options(&index_args(b), &env, &requirements)?;
    let credentials = crate::dependencies::direct_credentials(&requirements);
    let make_client = || {
        let (offline, refresh, cache_dir) = (b.offline, b.refresh, b.cache_dir.as_deref());
        crate::dependencies::client(&settings, offline, refresh, cache_dir, credentials.clone())
            .map(|c| c.with_progress(ui.pipeline_progress()))
    };
    let fixed = (&vendor_wheels[..], &common_layers);
    let lock = decide_lock(&mut ctx, b, ui, &requirements, fixed)?;
    let needs_client = !requirements.requirements.is_empty() || lock.is_some();
    let mut client = needs_client.then(&make_client).transpose()?;
    let deps = match (&client, reused) {
        (_, Some(deps)) => deps,
        (None, None) => DependencyPlan::default(),
        (Some(client), None) => {
            let builder = crate::dependencies::sdist::PipBuilder::new(
                ctx.interpreter.clone(),
                &settings,
                &tags,
                client.cache().root().join("builds"),
            );
            let reporting = ReportingBuilder::new(&builder, ui.pipeline_progress());
            let input = DependencyInput {
                target: ctx.target,
                tags: &tags,
                requirements: &requirements,
                project_dir: &ctx.project.dir,
                vendor: vendor_provides(&ctx, &vendor_wheels),
                layers: &common_layers,
                exclude_packages: exclude_packages.clone(),
                pre: settings.pre,
                allow_shadow: b.allow_shadow,
                allow_missing: b.allow_missing,
                builder: Some(&reporting),
                prefer_binary: settings.prefer_binary,
            };
            let mut deps =
                crate::guard::dependency_work(|| install_or_resolve(&lock, &input, client))?;
            deps.warnings.extend(builder.warnings());
            deps
        }
    };
    let chalice = chalice_runtime(&ctx, b, ui, &mut client, make_client, reused_chalice)?;
    report_dependency_warnings(&mut ctx, ui, &deps);
    Ok(Analysis {
        ctx,
        layers,
        vendor_wheels,
        deps,
        chalice,
        cache: client.as_ref().map(|c| c.cache().clone()),
        inputs: ResolutionInputs {
            requirements,
            settings,
            common_layers,
            exclude_packages,
            client,
        },
    })
}

/// Packages vendor/ provides (unpacked and as wheels): fixed for resolution.
pub(crate) fn vendor_provides(
    ctx: &BuildContext,
    vendor_wheels: &[WheelArchive],
) -> Vec<(String, Option<pep508_rs::pep440_rs::Version>)> {
    let mut vendor: Vec<_> = ctx
        .sources
        .vendor_packages
        .iter()
        .map(|p| (p.name.clone(), Some(p.version.clone())))
        .collect();
    for w in vendor_wheels {
        vendor.push((
            w.filename.normalized_name(),
            Some(w.filename.version.clone()),
        ));
    }
    vendor
}

/// chalice/app.py and chalice/__init__.py: the interpreter's chalice, as
/// Chalice does, else the chalice wheel on the index (making the client if
/// resolution did not need one); an incremental build's `reused` ones.
fn chalice_runtime(
    ctx: &BuildContext,
    b: &BuildOptions,
    ui: &Ui,
    client: &mut Option<crate::index::IndexClient>,
    make_client: impl Fn() -> Result<crate::index::IndexClient>,
    reused: Option<ChaliceRuntime>,
) -> Result<ChaliceRuntime> {
    if let Some(c) = reused {
        return Ok(c);
    }
    let installed = ctx.interpreter.get().kind(ExitKind::Usage)?;
    if let Some(py) = installed {
        ui.debug(&format!(
            "interpreter: {} (Python {})",
            py.path.display(),
            py.version_string()
        ));
    }
    if let Some(install) = installed.and_then(|i| i.chalice.as_ref()) {
        let c = ChaliceRuntime::from_install(install).kind(ExitKind::Introspection)?;
        ui.debug(&format!("chalice {} from {}", c.version, c.origin));
        return Ok(c);
    }
    if client.is_none() {
        *client = Some(make_client()?);
    }
    let client = client
        .as_ref()
        .ok_or_else(|| Failure::msg(ExitKind::Usage, "internal: no index client"))?;
    let c = crate::python::fetch_chalice_runtime(client, b.chalice_version.as_deref()).context(
        "no interpreter with chalice was found, and chalice's wheel could not be \
             fetched from the index for chalice/app.py and chalice/__init__.py; install \
             chalice (`python3 -m pip install chalice`), point --python at an interpreter \
             that has it, or check --chalice-version",
    )?;
    // The issue asks to say which release was used, so not only with -v.
    ui.status(&format!(
        "Using chalice/app.py and chalice/__init__.py from chalice {} ({} on the index).",
        c.version, c.origin
    ));
    Ok(c)
}

/// Resolution's warnings, and `--allow-missing`'s: Chalice's text, on
/// stdout, and go on.
fn report_dependency_warnings(ctx: &mut BuildContext, ui: &Ui, deps: &DependencyPlan) {
    for w in deps.warnings.clone() {
        ctx.warn(ui, w);
    }
    if !deps.missing.is_empty() {
        let text = chalice_missing_warning(&deps.missing);
        if !ui.quiet {
            print!("{text}");
        }
        ctx.warnings.push(text.trim().to_string());
    }
}

/// The attached layers (every function's, for the budget), the layers every
/// function has (what resolution may count as provided) and `exclude_packages`.
/// Manifests: config `layer_manifests` (relative to .chalice/), then
/// `--layer-manifest ARN=PATH` over them.
pub(crate) fn load_layers(
    ctx: &mut BuildContext,
    b: &BuildOptions,
    ui: &Ui,
) -> Result<(LayerSet, LayerSet, Vec<String>)> {
    let user = UserParams {
        profile: b.profile.clone(),
    };
    let scoped = ctx.config.scope(&ctx.stage, "api_handler", &user);
    let mut manifests: BTreeMap<String, PathBuf> = scoped.layer_manifests().into_iter().collect();
    for spec in &b.layer_manifests {
        let (arn, path) = spec.split_once('=').ok_or_else(|| {
            Failure::msg(
                ExitKind::Usage,
                format!("--layer-manifest {spec:?}: expected ARN=PATH (Ex: arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29=pandas.json)"),
            )
        })?;
        manifests.insert(
            arn.to_string(),
            resolve_in_project(&ctx.project, Path::new(path)),
        );
    }
    let runtime_provided = scoped.runtime_provided();
    let exclude_packages = scoped.exclude_packages();
    let policy = FetchPolicy {
        explicit: b.fetch_layers || scoped.fetch_layers(),
        offline: b.offline,
        profile: b.profile.clone(),
        cache_dir: b.cache_dir.clone(),
    };
    add_fetched_manifests(ctx, ui, &policy, &mut manifests)?;
    let build = |attached: &[String]| {
        LayerSet::build(LayerSetInput {
            attached,
            user_manifests: &manifests,
            runtime_provided,
            target: ctx.target,
            catalogue: Catalogue::embedded(),
        })
    };
    let layers = build(&ctx.layer_arns)?;
    let common = if ctx.common_layer_arns == ctx.layer_arns {
        layers.clone()
    } else {
        build(&ctx.common_layer_arns)?
    };
    for w in &layers.warnings {
        ctx.warn(ui, w.clone());
    }
    Ok((layers, common, exclude_packages))
}

/// The lock to install from, if any (see [`crate::lock::apply`]); its
/// warnings go to the context.
fn decide_lock(
    ctx: &mut BuildContext,
    b: &BuildOptions,
    ui: &Ui,
    requirements: &crate::requirements::RequirementsFile,
    (vendor_wheels, common_layers): (&[WheelArchive], &LayerSet),
) -> Result<Option<(crate::lock::model::PyLock, PathBuf)>> {
    use crate::lock::{apply, inputs};
    if b.lock_mode == crate::lock::LockMode::Ignore {
        return Ok(None);
    }
    let files = inputs::input_files(&ctx.project.dir, requirements);
    let vendor = vendor_provides(ctx, vendor_wheels);
    let user = UserParams {
        profile: b.profile.clone(),
    };
    let exclude_packages = ctx
        .config
        .scope(&ctx.stage, "api_handler", &user)
        .exclude_packages();
    let settings = inputs::settings_digest(common_layers, &exclude_packages, &vendor);
    let label = inputs::target_label(&ctx.target);
    let now = inputs::Current {
        inputs: &files,
        target: &label,
        stage: &ctx.stage,
        settings_sha256: &settings,
    };
    let mut warnings = Vec::new();
    let decision = apply::decide(
        &ctx.project.dir,
        b.lock_path.as_deref(),
        b.lock_mode,
        &now,
        &mut |w| warnings.push(w),
    );
    for w in warnings {
        ctx.warn(ui, w);
    }
    Ok(match decision? {
        apply::Decision::Resolve => None,
        apply::Decision::Use { lock, path } => {
            ui.info(&format!("installing from {}", path.display()));
            Some((*lock, path))
        }
    })
}

/// Install from the lock when there is one, else resolve.
fn install_or_resolve(
    lock: &Option<(crate::lock::model::PyLock, PathBuf)>,
    input: &DependencyInput<'_>,
    client: &crate::index::IndexClient,
) -> Result<DependencyPlan> {
    match lock {
        Some((lock, path)) => crate::lock::install::plan_from_lock(lock, path, input, client),
        None => crate::dependencies::plan(input, client),
    }
}

/// Version-constrained requirements on packages a layer provides at an
/// unknown version (Klayers): warned about, not silently excluded.
fn warn_layer_constraints(
    ctx: &mut BuildContext,
    ui: &Ui,
    common_layers: &LayerSet,
    requirements: &crate::requirements::RequirementsFile,
) {
    for w in crate::layers::unversioned_constraint_warnings(common_layers, requirements) {
        ctx.warn(ui, w);
    }
}

/// The project's requirements: requirements.txt, or pyproject.toml's
/// dependencies (see [`crate::requirements::pyproject`]).
/// Manifests for the attached layers nothing else describes: cached, or
/// fetched from AWS Lambda (see [`crate::layers::fetch::fetch_unknown`]).
fn add_fetched_manifests(
    ctx: &mut BuildContext,
    ui: &Ui,
    policy: &FetchPolicy,
    manifests: &mut BTreeMap<String, PathBuf>,
) -> Result<()> {
    let given: Vec<LayerArn> = manifests.keys().filter_map(|k| k.parse().ok()).collect();
    let attached: Vec<LayerArn> = ctx
        .layer_arns
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let known = |arn: &LayerArn| match Catalogue::embedded().lookup(arn) {
        _ if given.contains(arn) => Known::Described,
        Some(hit) if hit.manifest.size_approximate => Known::Estimated,
        Some(_) => Known::Described,
        None => Known::Unknown,
    };
    let found = crate::layers::fetch::fetch_unknown(&attached, known, policy)?;
    found.notes.iter().for_each(|n| ui.info(n));
    for w in found.warnings {
        ctx.warn(ui, w);
    }
    manifests.extend(found.manifests);
    Ok(())
}

/// requirements.txt as pip reads it (empty when Chalice would not run pip).
fn load_requirements(
    ctx: &mut BuildContext,
    b: &BuildOptions,
    ui: &Ui,
) -> Result<crate::requirements::RequirementsFile> {
    use crate::requirements::pyproject::{self, Chosen, RequirementsFrom};
    let scoped = ctx.config.scope(
        &ctx.stage,
        "api_handler",
        &UserParams {
            profile: b.profile.clone(),
        },
    );
    let from = match (b.requirements_from, scoped.requirements_from()) {
        (Some(f), _) => f,
        (None, Some(text)) => text.parse().map_err(|e| {
            Failure::msg(
                ExitKind::Usage,
                format!("{}: requirements_from: {e}", ctx.config.path().display()),
            )
        })?,
        (None, None) => RequirementsFrom::Auto,
    };
    let extras = scoped.pyproject_extras();
    let txt = if from == RequirementsFrom::Pyproject {
        crate::requirements::RequirementsFile::default()
    } else {
        load_requirements_txt(ctx, ui)?
    };
    let listed = (!txt.requirements.is_empty()).then_some(&txt);
    match pyproject::choose(&ctx.project.dir, from, &extras, listed)? {
        Chosen::RequirementsTxt(warning) => {
            if let Some(w) = warning {
                ctx.warn(ui, w);
            }
            Ok(txt)
        }
        Chosen::Pyproject(r) => {
            ctx.warn(ui, pyproject::chalice_ignores_pyproject_warning(&r));
            Ok(r)
        }
    }
}

/// requirements.txt as pip reads it (empty when Chalice would not run pip).
fn load_requirements_txt(
    ctx: &mut BuildContext,
    ui: &Ui,
) -> Result<crate::requirements::RequirementsFile> {
    let path = crate::requirements::requirements_path(&ctx.project.dir);
    let has_packages = crate::requirements::has_at_least_one_package_file(&path)
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if !has_packages {
        return Ok(crate::requirements::RequirementsFile::default());
    }
    let env = |k: &str| std::env::var(k).ok();
    let r = crate::requirements::parse_requirements(&path, &env)?;
    for w in &r.warnings {
        ctx.warn(ui, w.to_string());
    }
    r.check_hashes(&ctx.target.marker_env())?;
    Ok(r)
}

/// The index options as the requirements layer takes them.
fn index_args(b: &BuildOptions) -> IndexArgs {
    IndexArgs {
        index_url: b.index_url.clone(),
        extra_index_urls: b.extra_index_urls.clone(),
        find_links: b.find_links.clone(),
        no_index: b.no_index,
    }
}

/// `grail package OUT`: check the output, analyse, plan the zips, audit,
/// check the budget, stage, publish, report.
///
/// With `--report` (or `--report-html`), the report is written whatever the
/// outcome: a failed run records what it knew when it stopped.
pub fn run_package(project_dir: &Path, args: &PackageOptions, ui: &Ui) -> Result<()> {
    let started = Instant::now();
    let mut report = Report::new(&args.build.stage, "", "");
    let result = package(project_dir, args, ui, &mut report, started);
    if !args.wants_report() {
        return result;
    }
    let paths = outcome::ReportPaths {
        json: args.report.as_deref(),
        html: args.report_html.as_deref(),
    };
    outcome::finish(report, result, project_dir, paths, started, ui)
}

/// The pipeline behind [`run_package`]; `report` is filled in as it goes.
fn package(
    project_dir: &Path,
    args: &PackageOptions,
    ui: &Ui,
    report: &mut Report,
    started: Instant,
) -> Result<()> {
    let out_dir = check_output(project_dir, args)?;
    let Some(rebuild) = rebuild_state(project_dir, &out_dir, args, ui) else {
        return Ok(());
    };
    let mut reuse = reuse_previous(rebuild.as_ref(), ui);
    let mut a = analyze_into(
        project_dir,
        &args.build,
        ui,
        std::slice::from_ref(&out_dir),
        report,
        reuse.as_mut().and_then(|r| r.replay.take()),
    )?;
    report.timings_ms.resolve = a.deps.resolve_ms;
    report.timings_ms.download = a.deps.download_ms;
    announce(&a.ctx, ui);
    let assemble_started = Instant::now();
    let mut zips = plan_zips(&a)?;
    reuse_zips(reuse.as_mut(), &mut zips);
    audit(&zips, &a, ui)?;
    note_plan(report, &a, &zips);
    let usages = budget_or_suggest(&a, &zips, &args.build, report)?;
    let staged = stage(&mut a.ctx, args, ui, &out_dir, &zips)?;
    let (dest, outputs) = publish(
        &out_dir,
        staged.single.as_deref(),
        &staged.templates,
        &staged.zip,
        staged
            .layer_summary
            .is_some()
            .then_some(staged.layer.as_path()),
    )?;
    let assemble_ms = assemble_started.elapsed().as_millis() as u64;
    if args.chalice_cache {
        cache_under_chalice_names(&a, args, &staged, &dest, &out_dir, ui)?;
    }
    let budget = check_budget(&mut a.ctx, ui, &staged, &usages)?;
    print_written(&a, ui, &out_dir, &dest, &staged);
    let written = written_zips(args, &out_dir, &dest, &staged);
    say_rebuilt(reuse.as_ref(), &written, started, ui);
    let suggestions = near_budget_suggestions(&a, &zips, &budget, &args.build, ui);
    let verified = verify_after_package(&a, args, &staged, &out_dir, &dest, ui)?;
    if ui.verbose || ui.debug {
        eprintln!("{}", budget.render_summary());
        eprintln!(
            "Largest packages:\n{}",
            breakdown(&zips.app, zips.layer.as_ref(), &a.layers)
        );
    }
    if args.wants_report() {
        let timings = Timings {
            resolve: a.deps.resolve_ms,
            download: a.deps.download_ms,
            assemble: assemble_ms,
            total: started.elapsed().as_millis() as u64,
        };
        fill_report(report, &a, &staged, &budget, timings);
        report.suggestions = suggestions.and_then(|s| serde_json::to_value(s).ok());
        report.verify = verified.as_ref().and_then(|o| serde_json::to_value(o).ok());
    }
    // A zip that does not import is not recorded as up to date: the next
    // run must build (and verify) again.
    if let Some(o) = verified {
        o.check()?;
    }
    progress_hooks::finished(ui, a.deps.wheels.len(), staged.zipped(), started);
    record_build(rebuild, &outputs, &written, &a);
    Ok(())
}

/// Record the build for the next run's no-op or incremental check.
fn record_build(
    rebuild: Option<crate::rebuild::Rebuild>,
    outputs: &[PathBuf],
    written: &[(PathBuf, &ZipSummary)],
    a: &Analysis,
) {
    if let Some(r) = rebuild {
        let interpreter = a.ctx.interpreter.get().ok().flatten();
        r.record(
            outputs,
            written,
            &a.deps,
            &a.chalice,
            interpreter,
            &a.ctx.warnings,
        );
    }
}

/// The incremental build's one line.
fn say_rebuilt(
    reuse: Option<&crate::rebuild::Reuse>,
    written: &[(PathBuf, &ZipSummary)],
    started: Instant,
    ui: &Ui,
) {
    if let Some(r) = reuse {
        let names: Vec<(&str, &ZipSummary)> = written
            .iter()
            .map(|(p, s)| (p.file_name().and_then(|n| n.to_str()).unwrap_or(""), *s))
            .collect();
        ui.status(&r.message(&names, started.elapsed().as_secs_f64()));
    }
}

/// An incremental build's reuse (see [`crate::rebuild`]), when possible.
fn reuse_previous(
    rebuild: Option<&crate::rebuild::Rebuild>,
    ui: &Ui,
) -> Option<crate::rebuild::Reuse> {
    rebuild?
        .reusable()
        .inspect_err(|why| ui.debug(&format!("full build: {why}")))
        .ok()
}

/// Raw-copy unchanged entries from the previous zips in OUT.
fn reuse_zips(reuse: Option<&mut crate::rebuild::Reuse>, zips: &mut ZipPlans) {
    let Some(reuse) = reuse else { return };
    if let Some(p) = reuse.take_zip("deployment.zip") {
        zips.app.reuse(p);
    }
    if let (Some(l), Some(p)) = (zips.layer.as_mut(), reuse.take_zip("layer-deployment.zip")) {
        l.reuse(p);
    }
}

/// The zips now in OUT and what was written into each (none with
/// `--single-file`: OUT is then one zip holding them).
fn written_zips<'a>(
    args: &PackageOptions,
    out_dir: &Path,
    dest: &Path,
    staged: &'a Staged,
) -> Vec<(PathBuf, &'a ZipSummary)> {
    if args.single_file {
        return Vec::new();
    }
    let mut zips = vec![(dest.to_path_buf(), &staged.summary)];
    if let Some(l) = &staged.layer_summary {
        zips.push((out_dir.join("layer-deployment.zip"), l));
    }
    zips
}

/// `--verify`: import what was just written (with `--single-file`, the
/// staged zips). The outcome goes into the report before failures count.
fn verify_after_package(
    a: &Analysis,
    args: &PackageOptions,
    staged: &Staged,
    out_dir: &Path,
    dest: &Path,
    ui: &Ui,
) -> Result<Option<crate::verify::Outcome>> {
    if !args.verify {
        return Ok(None);
    }
    let (zip, layer) = if args.single_file {
        (staged.zip.clone(), staged.layer.clone())
    } else {
        (dest.to_path_buf(), out_dir.join("layer-deployment.zip"))
    };
    let has_layer = staged.layer_summary.is_some();
    let layer = has_layer.then_some(layer.as_path());
    let settings = crate::verify::settings::Settings::read(
        &a.ctx.config,
        &a.ctx.stage,
        args.build.profile.clone(),
        &a.ctx.project.dir,
        args.sysroot.as_deref(),
    );
    let outcome = crate::verify::verify_target(
        a.ctx.target,
        crate::verify::interpreter::Search {
            python: args.build.python.clone(),
            only_python: false,
            sysroot: settings.sysroot,
        },
        &a.layers,
        (&zip, layer),
        crate::verify::Extras {
            relies_on: crate::verify::reliance::reliances(&a.deps.excluded, &a.deps.required_by),
            environment: settings.environment,
        },
    )?;
    if outcome.failures.is_empty() {
        ui.status(outcome.render().trim_end());
    }
    Ok(Some(outcome))
}

/// The no-op check. `None`: OUT is up to date (said in one line); else the
/// state to record after the build (absent when no check was possible).
fn rebuild_state(
    project_dir: &Path,
    out_dir: &Path,
    args: &PackageOptions,
    ui: &Ui,
) -> Option<Option<crate::rebuild::Rebuild>> {
    let rebuild = crate::rebuild::Rebuild::prepare(project_dir, out_dir, args)
        .inspect_err(|why| ui.debug(&format!("no no-op check: {why}")))
        .ok();
    if let Some(noop) = rebuild.as_ref().and_then(|r| r.unchanged()) {
        noop.warnings.iter().for_each(|w| ui.warn(w));
        ui.status(&noop.message);
        return None;
    }
    Some(rebuild)
}

/// The early budget check; over the limit, the error (and the report) say
/// which known public layers would make it fit.
fn budget_or_suggest(
    a: &Analysis,
    zips: &ZipPlans,
    build: &BuildOptions,
    report: &mut Report,
) -> Result<Vec<LayerUsage>> {
    check_budget_early(zips, &a.layers, report).map_err(|e| {
        if e.kind != ExitKind::Budget {
            return e;
        }
        let pre = Budget::compute(
            zips.app.unzipped_bytes(),
            0,
            &budget_usages(zips, &a.layers),
        );
        let s = layer_suggestions(a, zips, &pre, build, "over-budget");
        report.suggestions = serde_json::to_value(&s).ok();
        Failure::msg(e.kind, format!("{e}\n{}", crate::suggest::render(&s)))
    })
}

/// `--chalice-cache`: the zips again under the names Chalice computes. With
/// `--single-file` the zips are still in staging; else in OUT.
fn cache_under_chalice_names(
    a: &Analysis,
    args: &PackageOptions,
    staged: &Staged,
    dest: &Path,
    out_dir: &Path,
    ui: &Ui,
) -> Result<()> {
    let (zip, layer) = if args.single_file {
        (staged.zip.clone(), staged.layer.clone())
    } else {
        (dest.to_path_buf(), out_dir.join("layer-deployment.zip"))
    };
    write_chalice_cache(
        &a.ctx,
        &a.chalice,
        &zip,
        staged.layer_summary.is_some().then_some(layer.as_path()),
        ui,
    )
}

/// The flags and OUT make sense together: Chalice's refusals, and OUT is a
/// directory (or, with `--single-file`, not one). Returns OUT, resolved
/// against the project.
fn check_output(project_dir: &Path, args: &PackageOptions) -> Result<PathBuf> {
    check_flags(args)?;
    let out_dir = resolve_in_project(&Project::open(project_dir)?, &args.out);
    if !args.single_file && out_dir.exists() && !out_dir.is_dir() {
        return Err(not_a_directory(&out_dir));
    }
    if args.single_file && out_dir.is_dir() {
        return Err(Failure::msg(
            ExitKind::Usage,
            format!(
                "with --single-file, OUT is the zip to write, but {} is a directory",
                out_dir.display()
            ),
        ));
    }
    Ok(out_dir)
}

/// Chalice's progress lines.
fn announce(ctx: &BuildContext, ui: &Ui) {
    if ctx.automatic_layer {
        ui.status("Creating shared layer deployment package.");
        ui.status("Creating app deployment package.");
    } else {
        ui.status("Creating deployment package.");
    }
}

/// What goes into which zip, before anything is written.
pub(crate) struct ZipPlans {
    /// deployment.zip.
    pub(crate) app: ZipPlan,
    /// layer-deployment.zip (automatic_layer, and not empty).
    pub(crate) layer: Option<ZipPlan>,
}

/// Without automatic_layer everything goes into one zip; with it the
/// dependencies and vendor/ go into the managed layer, under
/// python/lib/<runtime>/site-packages/ as Chalice lays it out.
pub(crate) fn plan_zips(a: &Analysis) -> Result<ZipPlans> {
    let managed = a.ctx.automatic_layer;
    let mut plan = ZipPlan::default();
    let mut layer_plan = ZipPlan::default();
    {
        let deps_plan = if managed { &mut layer_plan } else { &mut plan };
        for w in &a.deps.wheels {
            add_dependency_wheel(deps_plan, &w.archive)?;
        }
    }
    add_app_entries(&mut plan, &a.ctx, &a.chalice)?;
    {
        let vendor_plan = if managed { &mut layer_plan } else { &mut plan };
        add_vendor_entries(vendor_plan, &a.ctx)?;
        for w in &a.vendor_wheels {
            add_wheel(vendor_plan, w, true)?;
        }
    }
    let layer = managed
        .then(|| {
            layer_plan.into_prefixed(&format!(
                "python/lib/{}/site-packages/",
                a.ctx.target.runtime()
            ))
        })
        // An empty managed layer is dropped, as Chalice does.
        .filter(|p| p.unzipped_bytes() > 0);
    Ok(ZipPlans { app: plan, layer })
}

/// Every shared object in the zips must load on the target.
fn audit(zips: &ZipPlans, a: &Analysis, ui: &Ui) -> Result<()> {
    for p in std::iter::once(&zips.app).chain(zips.layer.as_ref()) {
        let audited = audit_plan(p, &a.ctx.target, a.cache.as_ref())?;
        ui.debug(&format!("audited {audited} shared objects"));
    }
    Ok(())
}

/// The budget is known before anything is written: refuse early, with the
/// largest packages. Returns the layers' usages (the managed layer first).
/// The budget and the ranked list go into `report` first, so an exit 3
/// report has them.
fn check_budget_early(
    zips: &ZipPlans,
    layers: &LayerSet,
    report: &mut Report,
) -> Result<Vec<LayerUsage>> {
    let usages = budget_usages(zips, layers);
    let pre_budget = Budget::compute(zips.app.unzipped_bytes(), 0, &usages);
    report.budget = Some(pre_budget.clone());
    report.largest = outcome::ranked(&size_items(&zips.app, zips.layer.as_ref(), layers));
    if let Err(e) = pre_budget.check() {
        let table = breakdown(&zips.app, zips.layer.as_ref(), layers);
        return Err(Failure::msg(
            e.exit_kind(),
            format!("{e}\n\nLargest packages:\n{table}"),
        ));
    }
    Ok(usages)
}

/// The layers' budget lines, the managed layer first.
pub(crate) fn budget_usages(zips: &ZipPlans, layers: &LayerSet) -> Vec<LayerUsage> {
    let mut usages = layers.usages();
    if let Some(l) = &zips.layer {
        usages.insert(0, managed_layer_usage(l.unzipped_bytes()));
    }
    usages
}

/// The outputs, written beside OUT before they are moved into place.
struct Staged {
    /// The staging directory (removed when dropped).
    _dir: tempfile::TempDir,
    /// The staged deployment.zip.
    zip: PathBuf,
    /// Where the staged layer-deployment.zip is (if `layer_summary`).
    layer: PathBuf,
    /// Chalice's templates.
    templates: PathBuf,
    /// The single zip, with `--single-file`.
    single: Option<PathBuf>,
    /// What deployment.zip holds.
    summary: ZipSummary,
    /// What layer-deployment.zip holds, when there is one.
    layer_summary: Option<ZipSummary>,
}

impl Staged {
    /// Bytes of every zip written.
    fn zipped(&self) -> u64 {
        let layer = self.layer_summary.as_ref().map_or(0, |l| l.zipped_bytes);
        self.summary.zipped_bytes + layer
    }
}

/// Write the zips and the templates into a staging directory beside OUT, so
/// a failure (a bad merge template, say) leaves OUT as it was.
fn stage(
    ctx: &mut BuildContext,
    args: &PackageOptions,
    ui: &Ui,
    out_dir: &Path,
    zips: &ZipPlans,
) -> Result<Staged> {
    let parent = out_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    remove_stale_staging(&parent);
    let dir = tempfile::Builder::new()
        .prefix(crate::project::STAGING_PREFIX)
        .tempdir_in(&parent)
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot create a staging directory in {}", parent.display()))?;
    let zip = dir.path().join("deployment.zip");
    let progress = ui.pipeline_progress();
    let layer = dir.path().join("layer-deployment.zip");
    let templates = dir.path().join("package");
    let single = args.single_file.then(|| dir.path().join("single.zip"));
    let req = template_request(
        ctx,
        args,
        ui,
        &zip,
        zips.layer.as_ref().map(|_| layer.as_path()),
        &templates,
        single.as_deref(),
    );
    // The templates never read the zips (the bridge skips Chalice's copy of
    // them) unless --single-file bundles them: then they come after.
    let python = template_python(ctx);
    let (summary, layer_summary, generated) = std::thread::scope(|s| {
        let concurrent = python.as_ref().filter(|_| single.is_none());
        let generating =
            concurrent.map(|p| s.spawn(|| crate::assemble::templates::generate(p, &req)));
        let summary = progress_hooks::write_zip(&zips.app, &zip, progress);
        let layer_summary = match (&summary, &zips.layer) {
            (Ok(_), Some(lp)) => Some(progress_hooks::write_zip(lp, &layer, progress)).transpose(),
            _ => Ok(None),
        };
        let generated = generating.map(|h| {
            h.join()
                .map_err(|_| Failure::msg(ExitKind::Usage, "the template thread panicked"))
        });
        (summary, layer_summary, generated)
    });
    let (summary, layer_summary) = (summary?, layer_summary?);
    for w in zips
        .app
        .warnings()
        .iter()
        .chain(zips.layer.iter().flat_map(|p| p.warnings()))
    {
        ctx.warn(ui, w.clone());
    }
    let generated = match generated {
        Some(g) => Some(g?),
        None => python
            .as_ref()
            .map(|p| crate::assemble::templates::generate(p, &req)),
    };
    finish_templates(ctx, args, ui, generated)?;
    Ok(Staged {
        _dir: dir,
        zip,
        layer,
        templates,
        single,
        summary,
        layer_summary,
    })
}

/// The budget of what was written: warnings near the limit (and over the
/// direct-upload limit), exit 3 over it.
fn check_budget(
    ctx: &mut BuildContext,
    ui: &Ui,
    staged: &Staged,
    usages: &[LayerUsage],
) -> Result<Budget> {
    let summary = &staged.summary;
    // Chalice publishes the managed layer with the zip inline too.
    let layer_zipped = staged.layer_summary.as_ref().map_or(0, |l| l.zipped_bytes);
    if let Some(w) = direct_upload_warning("layer-deployment.zip", layer_zipped) {
        ctx.warn(ui, w);
    }
    if summary.entries > 65_535 {
        ctx.warn(
            ui,
            format!(
                "deployment.zip has {} entries, more than a plain zip holds: it was written as zip64, \
                 which Lambda may not accept; trim the package (exclude_packages, a layer)",
                summary.entries
            ),
        );
    }
    let budget = Budget::compute(summary.unzipped_bytes, summary.zipped_bytes, usages);
    for w in budget.check()? {
        ctx.warn(ui, w);
    }
    Ok(budget)
}

/// The "Wrote …" lines.
fn print_written(a: &Analysis, ui: &Ui, out_dir: &Path, dest: &Path, staged: &Staged) {
    let project = &a.ctx.project.dir;
    if let Some(l) = &staged.layer_summary {
        ui.status(&format!(
            "Wrote {} ({} files, {} unzipped, {} zipped).",
            display_rel(&out_dir.join("layer-deployment.zip"), project),
            l.entries,
            human_bytes(l.unzipped_bytes),
            human_bytes(l.zipped_bytes),
        ));
    }
    let summary = &staged.summary;
    ui.status(&format!(
        "Wrote {} ({} files, {} unzipped, {} zipped; {} packages, {} kept out).",
        display_rel(dest, project),
        summary.entries,
        human_bytes(summary.unzipped_bytes),
        human_bytes(summary.zipped_bytes),
        a.deps.wheels.len(),
        a.deps.excluded.len(),
    ));
}

/// A run killed mid-way (SIGKILL, power loss) leaves its `.grail-out-*`
/// staging directory behind; remove those older than an hour (a live run's
/// staging lives for seconds, so concurrent runs are safe).
fn remove_stale_staging(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for e in entries.flatten() {
        let stale = e
            .file_name()
            .to_string_lossy()
            .starts_with(crate::project::STAGING_PREFIX)
            && e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > hour);
        if stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Move the staged outputs into place: OUT is a directory (the zips and the
/// template) or, with `--single-file`, the one zip. Returns the path of the
/// deployment zip (OUT itself with `--single-file`) and every file written.
fn publish(
    out_dir: &Path,
    single: Option<&Path>,
    templates: &Path,
    zip: &Path,
    layer: Option<&Path>,
) -> Result<(PathBuf, Vec<PathBuf>)> {
    let rename = |from: &Path, to: &Path| {
        std::fs::rename(from, to)
            .kind(ExitKind::Usage)
            .with_context(|| format!("cannot write {}", to.display()))
    };
    if let Some(single) = single {
        rename(single, out_dir)?;
        return Ok((out_dir.to_path_buf(), vec![out_dir.to_path_buf()]));
    }
    prepare_out_dir(out_dir)?;
    let mut written = Vec::new();
    if templates.is_dir() {
        for entry in std::fs::read_dir(templates).kind(ExitKind::Usage)? {
            let entry = entry.kind(ExitKind::Usage)?;
            let name = entry.file_name();
            if name == "deployment.zip" || name == "layer-deployment.zip" {
                continue; // chalice's copies of grail's zips
            }
            let to = out_dir.join(name);
            rename(&entry.path(), &to)?;
            written.extend(
                walkdir::WalkDir::new(&to)
                    .into_iter()
                    .flatten()
                    .filter(|e| e.file_type().is_file())
                    .map(|e| e.into_path()),
            );
        }
    }
    if let Some(layer) = layer {
        let to = out_dir.join("layer-deployment.zip");
        rename(layer, &to)?;
        written.push(to);
    }
    let dest = out_dir.join("deployment.zip");
    rename(zip, &dest)?;
    written.push(dest.clone());
    Ok((dest, written))
}

/// `--chalice-cache`: copy the zip(s) under the names Chalice computes.
fn write_chalice_cache(
    ctx: &BuildContext,
    chalice: &ChaliceRuntime,
    zip: &Path,
    layer: Option<&Path>,
    ui: &Ui,
) -> Result<()> {
    let p = &ctx.project.dir;
    let mut copies = Vec::new();
    if ctx.automatic_layer {
        let app = crate::assemble::chalice_cache::app_only_name(
            p,
            &chalice.app_py,
            &chalice.init_py,
            &ctx.target,
        );
        copies.push((zip, app));
        if let Some(layer) = layer {
            copies.push((
                layer,
                crate::assemble::chalice_cache::layer_name(p, &ctx.target),
            ));
        }
    } else {
        let name = crate::assemble::chalice_cache::deployment_name(
            p,
            &chalice.app_py,
            &chalice.init_py,
            &ctx.target,
        );
        copies.push((zip, name));
    }
    for (from, name) in copies {
        let name = name
            .kind(ExitKind::Usage)
            .context("cannot compute Chalice's deployment cache name")?;
        let cached = ctx.project.chalice_dir().join("deployments").join(name);
        copy_atomic(from, &cached)
            .kind(ExitKind::Usage)
            .with_context(|| format!("cannot write {}", cached.display()))?;
        ui.status(&format!(
            "Wrote {} (Chalice's deployment cache).",
            display_rel(&cached, &ctx.project.dir)
        ));
    }
    Ok(())
}

/// What is known once the zips are planned (before anything is written):
/// the packages with their planned sizes, what was kept out, the warnings.
fn note_plan(report: &mut Report, a: &Analysis, zips: &ZipPlans) {
    let (deps_zip, deps_plan) = match &zips.layer {
        Some(l) => ("layer-deployment.zip", l),
        None => ("deployment.zip", &zips.app),
    };
    let buckets = outcome::bucket_bytes(deps_plan);
    report.packages = package_entries(a, deps_zip, &buckets);
    report.not_built = a.deps.not_built.iter().map(|n| n.entry()).collect();
    report.excluded = a.deps.excluded.clone();
    report.warnings = a.ctx.warnings.clone();
    report.contents = outcome::zip_contents(&zips.app, zips.layer.as_ref());
}

/// The report's packages: the shipped wheels and what vendor/ provides,
/// all in `deps_zip`, sized from `bytes_by_bucket`.
fn package_entries(
    a: &Analysis,
    deps_zip: &str,
    bytes_by_bucket: &BTreeMap<String, u64>,
) -> Vec<PackageEntry> {
    let mut out = Vec::new();
    for w in &a.deps.wheels {
        out.push(PackageEntry {
            name: w.name.clone(),
            version: w.version.to_string(),
            source: w.source,
            file: Some(w.archive.filename.to_string()),
            in_zip: deps_zip.to_string(),
            unzipped_bytes: bytes_by_bucket.get(&w.name).copied().unwrap_or(0),
            required_by: w.required_by.clone(),
        });
    }
    for mut p in vendor_report_entries(&a.ctx, &a.vendor_wheels) {
        p.in_zip = deps_zip.to_string();
        out.push(p);
    }
    out
}

/// The `grail-report/1` document for a finished run (on top of what
/// [`note_plan`] and [`check_budget_early`] recorded).
fn fill_report(
    report: &mut Report,
    a: &Analysis,
    staged: &Staged,
    budget: &Budget,
    timings: Timings,
) {
    let (ctx, chalice) = (&a.ctx, &a.chalice);
    let (summary, layer_summary) = (&staged.summary, staged.layer_summary.as_ref());
    let artifact = |path: &str, s: &ZipSummary| ArtifactEntry {
        path: path.to_string(),
        zipped_bytes: s.zipped_bytes,
        unzipped_bytes: s.unzipped_bytes,
        entries: s.entries,
        sha256: s.sha256.clone(),
    };
    report.artifacts.push(artifact("deployment.zip", summary));
    if let Some(l) = layer_summary {
        report.artifacts.push(artifact("layer-deployment.zip", l));
    }
    report.budget = Some(budget.clone());
    // Dependencies and vendor/ live in the managed layer with automatic_layer.
    let (deps_zip, deps_summary) = match layer_summary {
        Some(l) => ("layer-deployment.zip", l),
        None => ("deployment.zip", summary),
    };
    report.packages = package_entries(a, deps_zip, &deps_summary.bytes_by_bucket);
    report.excluded = a.deps.excluded.clone();
    report.warnings = ctx.warnings.clone();
    report
        .chalice_runtime
        .insert("version".into(), chalice.version.clone());
    report
        .chalice_runtime
        .insert("source".into(), chalice.origin.clone());
    report.timings_ms = timings;
}

/// The interpreter that writes the templates: the probed one, when it has
/// chalice.
fn template_python(ctx: &BuildContext) -> Option<PathBuf> {
    ctx.interpreter
        .get()
        .ok()
        .flatten()
        .filter(|i| i.chalice.is_some())
        .map(|i| i.path.clone())
}

/// Templates from the project's chalice (see [`crate::assemble::templates`]):
/// `generated` is the bridge's answer, `None` without an interpreter that
/// has chalice. Without one, the default CloudFormation run still
/// writes deployment.zip (and says why sam.json is missing); anything that
/// asks for a template feature explicitly needs chalice (exit 4).
fn finish_templates(
    ctx: &mut BuildContext,
    args: &PackageOptions,
    ui: &Ui,
    generated: Option<
        std::result::Result<
            crate::assemble::templates::TemplateOutcome,
            crate::assemble::templates::TemplateError,
        >,
    >,
) -> Result<()> {
    let explicit = args.pkg_format != PkgFormat::Cloudformation
        || args.template_format != TemplateFormat::Json
        || args.merge_template.is_some()
        || args.single_file;
    let Some(generated) = generated else {
        let why =
            "the templates are written by the project's chalice, and no interpreter with chalice \
                   was found (pass --python PATH, or install chalice in the project's virtualenv)";
        if explicit {
            return Err(Failure::msg(ExitKind::Introspection, why));
        }
        ctx.warn(
            ui,
            format!("sam.json was not written: {why}; deployment.zip was written"),
        );
        return Ok(());
    };
    let outcome = match generated {
        Ok(o) => o,
        // An importable-but-unusable chalice (a stand-in, a broken install)
        // is treated like no chalice at all when no template was asked for.
        Err(e @ crate::assemble::templates::TemplateError::ChaliceMissing { .. }) if !explicit => {
            ctx.warn(
                ui,
                format!("sam.json was not written: {e}; deployment.zip was written"),
            );
            return Ok(());
        }
        Err(e) => {
            if ui.debug {
                if let crate::assemble::templates::TemplateError::Package { traceback, .. } = &e {
                    eprintln!("{traceback}");
                }
            }
            return Err(e.into());
        }
    };
    for line in &outcome.chalice_output {
        ui.status(line);
    }
    if outcome.region_defaulted {
        ctx.warn(
            ui,
            "no AWS region is configured: templates use us-east-1's service principals \
             (set AWS_DEFAULT_REGION or --profile for China or GovCloud; chalice would refuse)"
                .to_string(),
        );
    }
    Ok(())
}

/// What the project's chalice is asked to write.
fn template_request(
    ctx: &BuildContext,
    args: &PackageOptions,
    ui: &Ui,
    zip: &Path,
    layer_zip: Option<&Path>,
    out: &Path,
    single: Option<&Path>,
) -> crate::assemble::templates::TemplateRequest {
    crate::assemble::templates::TemplateRequest {
        project_dir: ctx.project.dir.clone(),
        out_dir: out.to_path_buf(),
        zip: zip.to_path_buf(),
        layer_zip: layer_zip.map(Path::to_path_buf),
        runtime: ctx.target.runtime(),
        architecture: ctx.target.arch.to_string(),
        stage: ctx.stage.clone(),
        pkg_format: args.pkg_format.as_str().into(),
        template_format: args.template_format.as_str().into(),
        merge_template: args.merge_template.clone(),
        single_file: single.map(Path::to_path_buf),
        profile: args.build.profile.clone(),
        debug: ui.debug,
        default_region: Some("us-east-1".into()),
    }
}

/// Copy `from` to `to` through a temp file beside `to`, creating its directory.
fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".grail-")
        .tempfile_in(dir)?;
    std::fs::copy(from, tmp.path())?;
    tmp.persist(to).map_err(|e| e.error)?;
    Ok(())
}

/// The ranked "largest packages" table: the zip's buckets plus each layer.
fn breakdown(plan: &ZipPlan, managed: Option<&ZipPlan>, layers: &LayerSet) -> String {
    render_breakdown(&size_items(plan, managed, layers), 15)
}

/// Everything that takes budget: the zips' buckets and each layer.
fn size_items(plan: &ZipPlan, managed: Option<&ZipPlan>, layers: &LayerSet) -> Vec<SizeItem> {
    let mut items: Vec<SizeItem> = Vec::new();
    for (p, location) in std::iter::once((plan, "deployment.zip"))
        .chain(managed.map(|m| (m, "layer-deployment.zip")))
    {
        items.extend(
            outcome::bucket_bytes(p)
                .into_iter()
                .map(|(name, bytes)| SizeItem {
                    name,
                    bytes,
                    location: location.to_string(),
                }),
        );
    }
    items.extend(layers.size_items());
    items
}

/// Check, open and verify every `vendor/*.whl`: an incompatible wheel is bad
/// input (exit 1) naming the file, its tags and what the target accepts.
fn open_vendor_wheels(ctx: &mut BuildContext, tags: &Tags, ui: &Ui) -> Result<Vec<WheelArchive>> {
    let mut out = Vec::new();
    for path in &ctx.sources.vendor_wheels {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let shown = format!("vendor/{name}");
        let wf: WheelFilename = name.parse().map_err(Vendored).context(&shown)?;
        match wf.compatibility_local(tags) {
            Err(inc) => {
                return Err(Failure::msg(
                    ExitKind::Usage,
                    format!("{shown} cannot be used: {inc}"),
                ))
            }
            Ok(c) => {
                if let Some(w) = c.warning(&wf, tags) {
                    let w = format!("{shown}: {w}");
                    ui.warn(&w);
                    ctx.warnings.push(w);
                }
            }
        }
        let archive = WheelArchive::open(path).map_err(Vendored).context(&shown)?;
        archive.verify().map_err(Vendored).context(&shown)?;
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
            source: WheelSource::Vendor,
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
            source: WheelSource::Vendor,
            file: None,
            in_zip: "deployment.zip".to_string(),
            unzipped_bytes: p.unzipped_bytes,
            required_by: Vec::new(),
        });
    }
    out
}

/// The chalice runtime files, app.py and chalicelib/ (the whole
/// deployment.zip with `automatic_layer`).
fn add_app_entries(plan: &mut ZipPlan, ctx: &BuildContext, chalice: &ChaliceRuntime) -> Result<()> {
    for (name, data) in [
        ("chalice/app.py", &chalice.app_py),
        ("chalice/__init__.py", &chalice.init_py),
    ] {
        plan.add(Entry::bytes(
            name,
            data.clone(),
            0o644,
            Origin::ChaliceRuntime,
        ))?;
    }
    add_project_files(plan, ctx, |o| o != FileOrigin::Vendor)
}

/// vendor/'s loose files (at the root of whichever zip they go into).
fn add_vendor_entries(plan: &mut ZipPlan, ctx: &BuildContext) -> Result<()> {
    add_project_files(plan, ctx, |o| o == FileOrigin::Vendor)
}

fn add_project_files(
    plan: &mut ZipPlan,
    ctx: &BuildContext,
    keep: impl Fn(FileOrigin) -> bool,
) -> Result<()> {
    for f in ctx.sources.files.iter().filter(|f| keep(f.origin)) {
        plan.add(Entry::file(
            &f.zip_name,
            f.path.clone(),
            f.mode,
            Origin::Project(f.origin),
        ))?;
    }
    Ok(())
}

/// Which known public layer would make the budget fit (issue 13): the
/// shipped dependencies with their zip bytes, the region, and one more
/// resolution per candidate layer. Called when the budget is over or tight,
/// and by `grail suggest-layers`.
pub(crate) fn layer_suggestions(
    a: &Analysis,
    zips: &ZipPlans,
    budget: &Budget,
    b: &BuildOptions,
    trigger: &'static str,
) -> crate::suggest::Suggestions {
    let mut buckets: BTreeMap<String, u64> = BTreeMap::new();
    for p in std::iter::once(&zips.app).chain(zips.layer.as_ref()) {
        for e in p.entries() {
            *buckets.entry(e.origin.bucket()).or_default() += e.unzipped_size();
        }
    }
    let shipped = a
        .deps
        .wheels
        .iter()
        .map(|w| crate::suggest::ShippedPackage {
            name: w.name.clone(),
            version: w.version.to_string(),
            bytes: buckets.get(&w.name).copied().unwrap_or(0),
        })
        .collect();
    let env = |k: &str| std::env::var(k).ok();
    let input = crate::suggest::SuggestInput {
        trigger,
        target: a.ctx.target,
        region: crate::suggest::detect_region(&env, b.profile.as_deref(), &a.ctx.layer_arns),
        attached: &a.ctx.layer_arns,
        shipped,
        budget,
        deps_in_managed_layer: zips.layer.is_some(),
        common_layers: &a.inputs.common_layers,
    };
    let tags = Tags::for_target(&a.ctx.target);
    let resolve = |layers: &LayerSet| {
        let Some(client) = &a.inputs.client else {
            return Ok(crate::resolver::Resolution::default());
        };
        let dep = DependencyInput {
            target: a.ctx.target,
            tags: &tags,
            requirements: &a.inputs.requirements,
            project_dir: &a.ctx.project.dir,
            vendor: vendor_provides(&a.ctx, &a.vendor_wheels),
            layers,
            exclude_packages: a.inputs.exclude_packages.clone(),
            pre: a.inputs.settings.pre,
            allow_shadow: false,
            allow_missing: b.allow_missing,
            builder: None,
            prefer_binary: a.inputs.settings.prefer_binary,
        };
        crate::dependencies::resolve_for(&dep, client)
    };
    crate::suggest::suggest(&input, &resolve)
}

/// Less than 10% headroom: print which public layer would help, for the report too.
fn near_budget_suggestions(
    a: &Analysis,
    zips: &ZipPlans,
    budget: &Budget,
    b: &BuildOptions,
    ui: &Ui,
) -> Option<crate::suggest::Suggestions> {
    if !crate::suggest::budget_is_tight(budget) {
        return None;
    }
    let s = layer_suggestions(a, zips, budget, b, "near-budget");
    ui.warn(&format!(
        "less than 10% of Lambda's size limit is left\n{}",
        crate::suggest::render(&s).trim_end()
    ));
    Some(s)
}

/// The managed layer's line in the budget.
pub(crate) fn managed_layer_usage(unzipped: u64) -> LayerUsage {
    LayerUsage {
        arn: "managed-layer (layer-deployment.zip)".to_string(),
        unzipped_bytes: Some(unzipped),
        approximate: false,
    }
}

fn display_rel(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

/// Ex) `1.23 MiB`: the budget's one formatter, so every line has one unit.
pub fn human_bytes(n: u64) -> String {
    crate::budget::human_size(n)
}

//! From requirements.txt to checked wheels: resolution for the target with
//! the fixed inputs (vendor/, layers, the runtime, `exclude_packages`), then
//! parallel verified downloads into the cache.
//!
//! ```text
//! RequirementsFile + LayerSet + vendor ──resolve──▶ Resolution
//!     ──download_all_verified──▶ cache blobs ──WheelArchive::open/verify──▶ ShippedWheel
//! ```
//!
//! Resolution chooses versions as pip does when an interpreter can build
//! sdists: the newest allowed release wins, whether it has a wheel or only an
//! sdist (built during resolution). When such an sdist-only release cannot
//! be built for the target, `chalice package` would leave the project out
//! ("Could not install dependencies"); grail resolves again with that release
//! as a last resort ([`crate::resolver::ResolveRequest::unbuildable`]), at
//! most [`MAX_ROUNDS`] times, ships the newest release that works instead and
//! says so ([`NotBuilt`]).

pub mod sdist;
pub mod warm_hint;
pub mod wheel_source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use pep508_rs::pep440_rs::Version;
use rayon::prelude::*;

use crate::dependencies::wheel_source::{
    Artifact, DirectWheel, IndexSource, Missing, SdistBuilder,
};
use crate::error::{Context, ExitKind, Failure, Kind, Result};
use crate::index::{ClientSettings, DistFile, DistOrigin, IndexClient};
use crate::layers::{LayerSet, RUNTIME_PROVIDER};
use crate::names::normalize;
use crate::report::{ExcludedEntry, WheelSource};
use crate::requirements::{RequirementSource, RequirementsFile};
use crate::resolver::{
    resolve, FixedKind, FixedPackage, PackageOrigin, ResolveRequest, RootRequirement,
};
use crate::target::tags::Tags;
use crate::target::LambdaTarget;
use crate::wheel::WheelArchive;

/// A package to install from a wheel.
#[derive(Debug)]
pub struct ShippedWheel {
    /// Normalised name.
    pub name: String,
    /// Resolved version.
    pub version: Version,
    /// The opened, verified wheel.
    pub archive: WheelArchive,
    /// Where it came from (the report's `source`).
    pub source: WheelSource,
    /// The report's `required_by`.
    pub required_by: Vec<String>,
    /// The file chosen for it (what `grail lock` records).
    pub artifact: Artifact,
}

/// Everything resolution decided.
#[derive(Debug, Default)]
pub struct DependencyPlan {
    /// Wheels to install, sorted by name.
    pub wheels: Vec<ShippedWheel>,
    /// Packages kept out, for the report (bytes saved filled in).
    pub excluded: Vec<ExcludedEntry>,
    /// Packages that could not be installed (only with `--allow-missing`).
    pub missing: Vec<Missing>,
    /// Warnings to print.
    pub warnings: Vec<String>,
    /// Milliseconds resolving.
    pub resolve_ms: u64,
    /// Milliseconds downloading and verifying.
    pub download_ms: u64,
    /// `required_by` per resolved name (for `grail why`).
    pub required_by: BTreeMap<String, Vec<String>>,
    /// Sdist-only releases chosen first that could not be built, each with
    /// the version shipped instead (for the report and `grail why`).
    pub not_built: Vec<NotBuilt>,
}

/// How many times resolution runs at most: each round after the first
/// excludes the sdist-only releases whose build failed in the one before.
pub const MAX_ROUNDS: usize = 6;

/// An sdist-only release that resolution chose (the newest allowed, as pip
/// chooses) but that could not be built for the target, and what shipped
/// instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotBuilt {
    /// Normalised name. Ex) `atomicwrites`
    pub name: String,
    /// The release that could not be built. Ex) `1.4.1`
    pub version: Version,
    /// Why, as the builder said (may span lines).
    pub reason: String,
    /// The version shipped instead. Ex) `1.4.0`
    pub instead: Version,
}

impl NotBuilt {
    /// The report's entry.
    pub fn entry(&self) -> crate::report::NotBuiltEntry {
        crate::report::NotBuiltEntry {
            name: self.name.clone(),
            version: self.version.to_string(),
            shipped: self.instead.to_string(),
            reason: self.reason.clone(),
        }
    }

    /// The warning printed and put in the report.
    /// Ex) `atomicwrites: shipping 1.4.0; the newer 1.4.1 is published only as an sdist …`
    pub fn warning(&self, target: &str) -> String {
        format!(
            "{}: shipping {}; {}",
            self.name,
            self.instead,
            self.explanation(target)
        )
    }

    /// Why the newer release is not shipped, and what Chalice would do.
    pub fn explanation(&self, target: &str) -> String {
        let first = self.reason.lines().next().unwrap_or_default();
        let why = first.trim_end_matches("; last lines of pip's output:");
        format!(
            "the newer {version} is published only as an sdist and could not be built for \
             {target} ({why}). `chalice package` would list {name}=={version} under \"Could not \
             install dependencies\" and ship no {name} at all",
            name = self.name,
            version = self.version,
        )
    }
}

/// What dependency planning needs.
pub struct DependencyInput<'a> {
    /// The target.
    pub target: LambdaTarget,
    /// Its tags.
    pub tags: &'a Tags,
    /// The parsed requirements.txt.
    pub requirements: &'a RequirementsFile,
    /// Where requirements.txt is (for `origin` labels relative to the project).
    pub project_dir: &'a Path,
    /// Packages vendor/ provides: (normalised name, version).
    pub vendor: Vec<(String, Option<Version>)>,
    /// The attached layers.
    pub layers: &'a LayerSet,
    /// Config `exclude_packages`.
    pub exclude_packages: Vec<String>,
    /// `--pre` from requirements.txt.
    pub pre: bool,
    /// `--allow-shadow`.
    pub allow_shadow: bool,
    /// `--allow-missing`.
    pub allow_missing: bool,
    /// Builds sdist-only projects, when an interpreter is available.
    pub builder: Option<&'a dyn SdistBuilder>,
    /// `--prefer-binary` is in effect: a release with a wheel wins over a
    /// newer sdist-only one, as pip then chooses.
    pub prefer_binary: bool,
}

/// The index source for `input`: its builder, direct references and flags.
fn source_for<'a>(input: &DependencyInput<'a>, client: &'a IndexClient) -> IndexSource<'a> {
    let mut source = IndexSource::new(client, input.tags)
        .allow_missing(input.allow_missing)
        .prefer_binary(input.prefer_binary);
    if let Some(b) = input.builder {
        source = source.with_builder(b);
    }
    for (name, d) in direct_wheels(input.requirements) {
        source = source.with_direct(&name, d);
    }
    source
}

/// Resolve (without downloading); `source` remembers which artifact each
/// version maps to. An sdist-only release that was chosen but could not be
/// built is excluded and resolution runs again (see the module docs).
fn resolve_rounds(
    input: &DependencyInput<'_>,
    source: &IndexSource<'_>,
) -> Result<(crate::resolver::Resolution, Vec<NotBuilt>)> {
    let mut request = request_for(input);
    let mut failed: Vec<(String, Version, String)> = Vec::new();
    let mut round = 1;
    loop {
        let resolution = resolve(&request, source)?;
        let fresh = if round < MAX_ROUNDS {
            unbuilt_choices(&resolution, source, &request)
        } else {
            Vec::new()
        };
        if fresh.is_empty() {
            failed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            let not_built = failed
                .into_iter()
                .filter_map(|(name, version, reason)| {
                    let instead = chosen_version(&resolution, &name)?.clone();
                    (instead != version).then_some(NotBuilt {
                        name,
                        version,
                        reason,
                        instead,
                    })
                })
                .collect();
            return Ok((resolution, not_built));
        }
        for (name, version, reason) in fresh {
            tracing::debug!(round, package = %name, %version, "resolving again without an sdist that did not build");
            request.unbuildable.push((name.clone(), version.clone()));
            failed.push((name, version, reason));
        }
        round += 1;
    }
}

/// The version of `name` that `resolution` ships, if any.
fn chosen_version<'r>(
    resolution: &'r crate::resolver::Resolution,
    name: &str,
) -> Option<&'r Version> {
    resolution
        .packages
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.version.as_ref())
}

/// `name==version` of a [`Missing`] identifier.
fn split_identifier(identifier: &str) -> Option<(String, Version)> {
    let (name, version) = identifier.split_once("==")?;
    Some((name.to_string(), crate::guard::version(version).ok()?))
}

/// The sdist-only releases `resolution` chose, that did not build, and that
/// another release (with a wheel) might replace: only when the source could
/// build, so they were chosen on version rather than as a last resort.
fn unbuilt_choices(
    resolution: &crate::resolver::Resolution,
    source: &IndexSource<'_>,
    request: &ResolveRequest,
) -> Vec<(String, Version, String)> {
    let out: Vec<(String, Version, String)> = source
        .missing()
        .into_iter()
        .filter_map(|m| {
            let (name, version) = split_identifier(&m.identifier)?;
            let chosen = chosen_version(resolution, &name) == Some(&version);
            let known = request
                .unbuildable
                .iter()
                .any(|(n, v)| *n == name && *v == version);
            (chosen && !known && source.sdist_only_among_wheels(&name, &version))
                .then_some((name, version, m.reason))
        })
        .collect();
    if out.is_empty() || !crate::resolver::PackageSource::builds_sdists(source) {
        return Vec::new();
    }
    out
}

/// The failures of the packages `resolution` ships: a release tried and
/// then dropped (an earlier round, the "what if" pass) is not missing.
fn chosen_missing(
    source: &IndexSource<'_>,
    resolution: &crate::resolver::Resolution,
) -> Vec<Missing> {
    source
        .missing()
        .into_iter()
        .filter(|m| {
            split_identifier(&m.identifier)
                .is_some_and(|(n, v)| chosen_version(resolution, &n) == Some(&v))
        })
        .collect()
}

/// Resolve only (no downloads, no "what if" pass): what would ship with
/// these inputs. `grail suggest-layers` calls it once per candidate layer;
/// a [`crate::resolver::ResolveError::NoSolution`] means the candidate's
/// pins conflict with the requirements.
pub fn resolve_for(
    input: &DependencyInput<'_>,
    client: &IndexClient,
) -> std::result::Result<crate::resolver::Resolution, crate::resolver::ResolveError> {
    let source = source_for(input, client);
    let mut request = request_for(input);
    request.what_if = false;
    resolve(&request, &source)
}

/// The resolver's request for these inputs.
fn request_for(input: &DependencyInput<'_>) -> ResolveRequest {
    let mut request = ResolveRequest::new(&input.target);
    for e in &input.requirements.requirements {
        let file = e
            .location
            .file
            .strip_prefix(input.project_dir)
            .unwrap_or(&e.location.file);
        request.requirements.push(RootRequirement {
            requirement: e.requirement.clone(),
            origin: format!("{}:{}", file.display(), e.location.line),
        });
    }
    request.constraints = input
        .requirements
        .constraints
        .iter()
        .map(|c| c.requirement.clone())
        .collect();
    request.pre = input.pre;
    request.allow_shadow = input.allow_shadow;
    for (name, version) in &input.vendor {
        request.fixed.push(FixedPackage {
            name: name.clone(),
            version: version.clone(),
            kind: FixedKind::Vendor,
        });
    }
    for name in &input.exclude_packages {
        request.fixed.push(FixedPackage {
            name: normalize(name),
            version: None,
            kind: FixedKind::Excluded,
        });
    }
    for (name, p) in &input.layers.provided {
        let kind = if p.provided_by == RUNTIME_PROVIDER {
            FixedKind::Runtime
        } else {
            FixedKind::Layer {
                arn: p.provided_by.clone(),
            }
        };
        request.fixed.push(FixedPackage {
            name: name.clone(),
            version: p.version.clone(),
            kind,
        });
    }
    request
}

/// The direct references that carry credentials: the client sends them as
/// basic auth to their origin, so no [`DistFile`] URL needs to hold them.
pub fn direct_credentials(requirements: &RequirementsFile) -> Vec<crate::secrets::SecretUrl> {
    requirements
        .requirements
        .iter()
        .filter_map(|e| match &e.source {
            RequirementSource::WheelUrl { url, .. } if url.has_credentials() => Some(url.clone()),
            _ => None,
        })
        .collect()
}

/// Direct references of requirements.txt as source overrides (their URLs
/// without credentials: see [`direct_credentials`]).
pub fn direct_wheels(requirements: &RequirementsFile) -> Vec<(String, DirectWheel)> {
    let mut out = Vec::new();
    for e in &requirements.requirements {
        let name = e.requirement.name.to_string();
        match &e.source {
            RequirementSource::Registry => {}
            RequirementSource::LocalWheel { path } => {
                out.push((name, DirectWheel::Path(path.clone())))
            }
            RequirementSource::WheelUrl { url, filename } => {
                let mut hashes = BTreeMap::new();
                if let Some(h) = &e.url_hash {
                    hashes.insert(h.algorithm.as_str().to_string(), h.digest.clone());
                }
                out.push((
                    name,
                    DirectWheel::Url(Box::new(DistFile {
                        filename: filename.clone(),
                        url: url.without_credentials(),
                        hashes,
                        requires_python: None,
                        yanked: None,
                        core_metadata: None,
                        size: None,
                        origin: DistOrigin::Direct(url.without_credentials()),
                    })),
                ));
            }
        }
    }
    out
}

/// The pages resolution needed: every package resolved or kept out that
/// the client listed (not what a hint only prefetched).
fn needed_pages(resolution: &crate::resolver::Resolution, client: &IndexClient) -> Vec<String> {
    let listed = client.listed_names();
    let mut names: Vec<String> = resolution
        .packages
        .iter()
        .map(|p| p.name.clone())
        .chain(resolution.excluded.iter().map(|e| e.name.clone()))
        .filter(|n| listed.binary_search(n).is_ok())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A resolved index package and the file chosen for it, to download and open.
struct Job {
    /// Normalised name.
    name: String,
    /// Resolved version.
    version: Version,
    /// The report's `required_by`.
    required_by: Vec<String>,
    /// The wheel (or built sdist) to install.
    artifact: Artifact,
}

/// Resolve, download, verify: the full dependency plan.
pub fn plan(input: &DependencyInput<'_>, client: &IndexClient) -> Result<DependencyPlan> {
    let started = Instant::now();
    let source = source_for(input, client);
    let hint_key = warm_hint::key(input.requirements, &input.target);
    let hinted = warm_hint::load(client.cache(), &hint_key);
    if let Some((first, rest)) = hinted.split_first() {
        // All pages the last resolution needed, in parallel, before the
        // resolver asks for them level by level. One first, alone: until a
        // connection is up (and known to speak HTTP/2), every parallel
        // request would open its own, each with its own DNS lookup.
        use crate::resolver::PackageSource;
        source.prefetch_candidates(std::slice::from_ref(first));
        source.prefetch_candidates(rest);
    }
    let (resolution, not_built) = resolve_rounds(input, &source)?;
    warm_hint::store(
        client.cache(),
        &hint_key,
        &hinted,
        &needed_pages(&resolution, client),
    );
    let packages = resolution.packages.len();
    client
        .progress()
        .event(&crate::progress::Event::Resolved { packages });
    let mut plan = DependencyPlan {
        warnings: resolution.warnings.clone(),
        resolve_ms: started.elapsed().as_millis() as u64,
        ..Default::default()
    };
    let target = format!("{} {}", input.target.runtime(), input.target.arch.machine());
    plan.warnings
        .extend(not_built.iter().map(|n| n.warning(&target)));
    plan.not_built = not_built;
    for p in &resolution.packages {
        plan.required_by
            .insert(p.name.clone(), p.required_by.clone());
    }
    plan.missing = chosen_missing(&source, &resolution);
    if !plan.missing.is_empty() && !input.allow_missing {
        return Err(Failure::msg(
            ExitKind::Dependencies,
            missing_error(&plan.missing),
        ));
    }

    let download_started = Instant::now();
    let jobs = download_jobs(&resolution, &source, &plan.missing)?;
    let paths = download(input, client, &jobs)?;
    plan.wheels = open_wheels(client, jobs, &paths)?;
    plan.download_ms = download_started.elapsed().as_millis() as u64;
    add_excluded(&mut plan, input, client, &source, &resolution);
    if let Some(w) = chalice_requirement_warning(&plan) {
        plan.warnings.push(w);
    }
    Ok(plan)
}

/// The packages shipped only because of `chalice`: chalice itself and what
/// no other requirement needs (click, pyyaml, inquirer, blessed, …), by name.
fn only_for_chalice(plan: &DependencyPlan) -> Vec<&ShippedWheel> {
    const ROOT: &str = "<requirements.txt>";
    let mut needed: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    loop {
        let before = needed.len();
        for w in plan.wheels.iter().filter(|w| w.name != "chalice") {
            let parents = plan.required_by.get(&w.name).unwrap_or(&w.required_by);
            if parents
                .iter()
                .any(|p| p == ROOT || (p != "chalice" && needed.contains(p.as_str())))
            {
                needed.insert(&w.name);
            }
        }
        if needed.len() == before {
            break;
        }
    }
    plan.wheels
        .iter()
        .filter(|w| !needed.contains(w.name.as_str()))
        .collect()
}

/// With `chalice` in requirements.txt, Chalice installs it and its
/// dependencies, leaves its `chalice/` directory out and writes its own
/// runtime files; grail does the same and says what that costs.
fn chalice_requirement_warning(plan: &DependencyPlan) -> Option<String> {
    let chalice = plan.wheels.iter().find(|w| w.name == "chalice")?;
    let extra = only_for_chalice(plan);
    let bytes: u64 = extra
        .iter()
        .flat_map(|w| w.archive.entries.iter())
        .filter_map(|e| match &e.target {
            crate::wheel::InstallAction::Install(t)
                if !crate::install::is_chalice_package_file(t) =>
            {
                Some(e.uncompressed_size)
            }
            _ => None,
        })
        .sum();
    let others: Vec<String> = extra
        .iter()
        .filter(|w| w.name != "chalice")
        .map(|w| w.name.clone())
        .collect();
    let list = match others.len() {
        0 => String::new(),
        1 => format!(" and the package only it needs ({})", others[0]),
        n => format!(
            " and the {n} packages only it needs ({})",
            others.join(", ")
        ),
    };
    Some(format!(
        "chalice {} is listed in requirements.txt: as `chalice package` does, its chalice/ \
         directory is left out (the chalice runtime files are written instead), but its \
         dist-info{list} are shipped, {} bytes ({}) unzipped; remove chalice from \
         requirements.txt to save them (the deployed app does not need the chalice CLI)",
        chalice.version,
        crate::budget::group_digits(bytes),
        crate::budget::human_size(bytes)
    ))
}

/// What to download: every shipped index package with a wheel artifact.
fn download_jobs(
    resolution: &crate::resolver::Resolution,
    source: &IndexSource<'_>,
    missing: &[Missing],
) -> Result<Vec<Job>> {
    let missing_names: std::collections::BTreeSet<String> = missing
        .iter()
        .filter_map(|m| m.identifier.split("==").next().map(str::to_string))
        .collect();
    let mut jobs = Vec::new();
    for p in &resolution.packages {
        if p.origin != PackageOrigin::Index || missing_names.contains(&p.name) {
            continue;
        }
        let Some(version) = &p.version else { continue };
        let artifact = source.artifact(&p.name, version).ok_or_else(|| {
            Failure::msg(
                ExitKind::Dependencies,
                format!("internal: no file chosen for {}=={version}", p.name),
            )
        })?;
        jobs.push(Job {
            name: p.name.clone(),
            version: version.clone(),
            required_by: p.required_by.clone(),
            artifact,
        });
    }
    Ok(jobs)
}

/// Download every index wheel (checking `--hash` pins in hash-checking
/// mode), in parallel; returns the cached path by filename.
fn download(
    input: &DependencyInput<'_>,
    client: &IndexClient,
    jobs: &[Job],
) -> Result<BTreeMap<String, PathBuf>> {
    let hash_mode = input.requirements.hash_checking();
    let mut downloads: Vec<(DistFile, Vec<String>)> = Vec::new();
    for Job {
        name,
        version,
        artifact,
        ..
    } in jobs
    {
        if let Artifact::Wheel(f) = artifact {
            let required: Vec<String> = match pep508_rs::PackageName::new(name.clone()) {
                Ok(pn) => input
                    .requirements
                    .hashes_for(&pn)
                    .iter()
                    .map(|h| h.to_string())
                    .collect(),
                Err(_) => Vec::new(),
            };
            if hash_mode && required.is_empty() {
                return Err(Failure::msg(
                    ExitKind::Dependencies,
                    format!(
                        "hash-checking mode is on (requirements.txt has --hash), but {name}=={version} has no --hash: \
                         pin it with `{name}=={version} --hash=sha256:…` in requirements.txt (as pip requires)"
                    ),
                ));
            }
            downloads.push((f.clone(), required));
        }
    }
    let results = client.download_all_verified(&downloads);
    let mut paths: BTreeMap<String, PathBuf> = BTreeMap::new();
    for ((f, _), r) in downloads.iter().zip(results) {
        let path = r?;
        paths.insert(f.filename.clone(), path);
    }
    Ok(paths)
}

/// Open and verify every wheel against its RECORD, on all cores; sorted by name.
fn open_wheels(
    client: &IndexClient,
    jobs: Vec<Job>,
    paths: &BTreeMap<String, PathBuf>,
) -> Result<Vec<ShippedWheel>> {
    let opened: Vec<Result<ShippedWheel>> = jobs
        .into_par_iter()
        .map(|job| open_wheel(client, job, paths))
        .collect();
    let mut wheels = opened.into_iter().collect::<Result<Vec<_>>>()?;
    wheels.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(wheels)
}

fn open_wheel(
    client: &IndexClient,
    job: Job,
    paths: &BTreeMap<String, PathBuf>,
) -> Result<ShippedWheel> {
    let filename = job.artifact.filename();
    let path = match &job.artifact {
        Artifact::Wheel(_) => paths
            .get(&filename)
            .cloned()
            .ok_or_else(|| Failure::msg(ExitKind::Usage, "download missing"))?,
        Artifact::LocalWheel(p) | Artifact::Built { wheel: p, .. } => p.clone(),
        Artifact::Sdist(_) => {
            return Err(Failure::msg(
                ExitKind::Usage,
                format!("internal: sdist {filename} was not built"),
            ))
        }
    };
    let archive = open_verified(client, &path, &filename)?;
    Ok(ShippedWheel {
        name: job.name,
        version: job.version,
        archive,
        source: job.artifact.source(),
        required_by: job.required_by,
        artifact: job.artifact,
    })
}

/// Open the wheel at `path` (named `filename`) and check its RECORD. A
/// cached blob is immutable: once its RECORD checked out, later runs skip
/// decompressing it again.
pub(crate) fn open_verified(
    client: &IndexClient,
    path: &Path,
    filename: &str,
) -> Result<WheelArchive> {
    let archive = WheelArchive::open_named(path, filename).context(filename)?;
    let blob = client.cache().blob_sha256(path);
    if !blob
        .as_ref()
        .is_some_and(|h| client.cache().check_passed("record", h))
    {
        archive.verify().context(filename)?;
        if let Some(h) = &blob {
            let _ = client.cache().set_check_passed("record", h);
        }
    }
    Ok(archive)
}

/// The packages kept out, with the bytes each saves: a scanned layer's own
/// figure, else the size of the wheel the index has for that version
/// (fetched in parallel when the metadata path did not reveal it), else any
/// version's size we saw.
fn add_excluded(
    plan: &mut DependencyPlan,
    input: &DependencyInput<'_>,
    client: &IndexClient,
    source: &IndexSource<'_>,
    resolution: &crate::resolver::Resolution,
) {
    let sizes: Vec<u64> = resolution
        .excluded
        .par_iter()
        .map(|e| {
            if let Some(b) = layer_package_bytes(input.layers, &e.name) {
                return b;
            }
            let size_of = |v: &Version| {
                source
                    .unzipped_bytes(&e.name, v)
                    .or_else(|| match source.artifact(&e.name, v) {
                        Some(Artifact::Wheel(f)) => client.unzipped_size(&f).ok().flatten(),
                        _ => None,
                    })
            };
            e.version
                .as_ref()
                .and_then(size_of)
                .or_else(|| source.newest_fetched(&e.name).as_ref().and_then(size_of))
                .or_else(|| source.unzipped_bytes_any(&e.name))
                .unwrap_or(0)
        })
        .collect();
    for (e, saved) in resolution.excluded.iter().zip(sizes) {
        plan.required_by
            .entry(e.name.clone())
            .or_insert_with(|| e.required_by.clone());
        let provided_by = e.provided_by.clone().or_else(|| match e.reason {
            crate::resolver::ExcludeReason::Runtime
            | crate::resolver::ExcludeReason::RuntimeForLayer => Some(RUNTIME_PROVIDER.to_string()),
            crate::resolver::ExcludeReason::OnlyNeededByExcluded => e.required_by.first().cloned(),
            _ => None,
        });
        plan.excluded.push(ExcludedEntry {
            name: e.name.clone(),
            version: e.version.as_ref().map(|v| v.to_string()),
            reason: e.reason,
            provided_by,
            saved_bytes: saved,
        });
    }
}

/// A scanned layer's per-package size, when it has one.
fn layer_package_bytes(layers: &LayerSet, name: &str) -> Option<u64> {
    layers
        .layers
        .iter()
        .filter_map(|l| l.manifest.as_ref())
        .flat_map(|m| m.packages.iter())
        .find(|p| p.name == name)
        .and_then(|p| p.unzipped_bytes)
}

/// The exit-2 message listing every package that cannot be installed.
pub fn missing_error(missing: &[Missing]) -> String {
    let items: Vec<(String, String)> = missing
        .iter()
        .map(|m| (m.identifier.clone(), m.reason.clone()))
        .collect();
    crate::dependencies::sdist::missing_dependencies_error(&items)
}

/// Chalice's missing-dependency warning, byte for byte (§5.7).
pub fn chalice_missing_warning(missing: &[Missing]) -> String {
    let ids: Vec<String> = missing.iter().map(|m| m.identifier.clone()).collect();
    crate::dependencies::sdist::missing_dependencies_warning(&ids)
}

/// Build the index client from requirements.txt, `PIP_*` and the CLI.
pub fn client(
    settings: &crate::index::IndexOptions,
    offline: bool,
    refresh: bool,
    cache_dir: Option<&Path>,
    credentials: Vec<crate::secrets::SecretUrl>,
) -> Result<IndexClient> {
    let mut index_urls = Vec::new();
    for u in &settings.index_urls {
        let mut u = u.clone();
        if !u.ends_with('/') {
            u.push('/');
        }
        index_urls.push(
            url::Url::parse(&u).kind(ExitKind::Usage).with_context(|| {
                format!("invalid index URL {:?}", crate::secrets::redact_text(&u))
            })?,
        );
    }
    let cache_dir = match cache_dir {
        Some(d) => d.to_path_buf(),
        None => crate::cache::Cache::default_dir().ok_or_else(|| {
            Failure::msg(
                ExitKind::Usage,
                "no cache directory: set GRAIL_CACHE_DIR or pass --cache-dir DIR",
            )
        })?,
    };
    let cache = crate::cache::Cache::new(&cache_dir)?;
    let s = ClientSettings {
        index_urls,
        find_links: settings.find_links.clone(),
        no_index: settings.no_index,
        offline,
        refresh,
        credentials,
        ..ClientSettings::default()
    };
    Ok(IndexClient::new(s, cache)?)
}

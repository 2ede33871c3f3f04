//! Dependency resolution for one Lambda target, with pubgrub.
//!
//! The resolver turns the root requirements (requirements.txt) into the set
//! of distributions to ship, for exactly one target environment: markers are
//! evaluated for Lambda (linux, CPython, the runtime's Python, x86_64 or
//! aarch64), `Requires-Python` is honoured, and only versions that have a
//! wheel for the target are considered, so python3.11 gets numpy 2.2.6 rather
//! than a numpy it would have to compile.
//!
//! A release published only as an sdist ([`Candidate::sdist_only`]) is built
//! by the source. When the source can build
//! ([`PackageSource::builds_sdists`]), such a release competes with wheel
//! releases on version alone, as pip's choice does (`atomicwrites` 1.4.1 over
//! 1.4.0); otherwise it is a last resort, taken only when no release in range
//! has a wheel, and a warning names the newer release that was passed over.
//! A release whose build failed in an earlier round
//! ([`ResolveRequest::unbuildable`]) is a last resort again, so the caller can
//! resolve once more and fall back to the newest release with a wheel.
//!
//! Packages that are already present at run time are **fixed inputs**
//! ([`FixedPackage`]): `vendor/` copies, layer contents, the runtime's own
//! packages and the names in `exclude_packages`. A pinned layer version that
//! satisfies every specifier reaching it is used as-is: it is not shipped and
//! the resolution does not expand it. Its own dependencies are then followed
//! through the layer's version (`provided`): each must be in a layer, in the
//! runtime's own packages ([`ResolveRequest::runtime`], after the layers on
//! `sys.path`) or in the zip; what none has is added to the zip, with a
//! warning that the layer is broken for this runtime.
//!
//! Call sequence (the CLI wires this):
//!
//! 1. implement [`PackageSource`] over the index client and the wheel-tag
//!    filter (candidates already flagged for the target's tags);
//! 2. build a [`ResolveRequest`] with [`ResolveRequest::new`], then fill
//!    `requirements`, `constraints`, `fixed`, `pre`, `allow_shadow`;
//! 3. call [`resolve`]; on error, [`ResolveError`]'s [`Classify::exit_kind`] gives exit 2 and
//!    the `Display` is the explanation to print;
//! 4. ship [`Resolution::packages`] with [`PackageOrigin::Index`], copy the
//!    vendor ones, list [`Resolution::excluded`] in the report (the caller adds
//!    the bytes saved from wheel sizes) and print [`Resolution::warnings`].
//!
//! ```
//! use std::str::FromStr;
//! use grail::metadata::CoreMetadata;
//! use grail::resolver::{resolve, Candidate, PackageSource, ResolveRequest, RootRequirement, SourceError};
//! use grail::target::{Arch, LambdaTarget, PythonVersion};
//! use pep508_rs::pep440_rs::Version;
//!
//! /// One project, `six`, with two releases.
//! struct Index;
//! impl PackageSource for Index {
//!     fn candidates(&self, name: &str) -> Result<Vec<Candidate>, SourceError> {
//!         Ok(match name {
//!             "six" => vec![Candidate::new(Version::from_str("1.16.0").unwrap()),
//!                           Candidate::new(Version::from_str("1.17.0").unwrap())],
//!             _ => vec![],
//!         })
//!     }
//!     fn metadata(&self, name: &str, version: &Version) -> Result<CoreMetadata, SourceError> {
//!         let text = format!("Name: {name}\nVersion: {version}\n");
//!         CoreMetadata::parse(text.as_bytes()).map_err(SourceError::new)
//!     }
//! }
//!
//! let target = LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64);
//! let mut request = ResolveRequest::new(&target);
//! request.requirements.push(RootRequirement::parse("six<1.17", "requirements.txt:1").unwrap());
//! let resolution = resolve(&request, &Index).unwrap();
//! assert_eq!(resolution.packages[0].name, "six");
//! assert_eq!(resolution.packages[0].version.as_ref().unwrap().to_string(), "1.16.0");
//! assert_eq!(resolution.packages[0].required_by, ["<requirements.txt>"]);
//! ```
//!
//! Policies (pip-compatible where pip has one):
//! - **pre-releases** are skipped unless `pre` is set, or a specifier reaching
//!   the package (requirement, dependency or constraint) names a pre-release
//!   (`>=2.0rc1`, `==3.0b2`), or no final release in the allowed range is
//!   usable (pip's fallback). `<2` never admits `2.0rc1` (PEP 440);
//! - **yanked** releases (PEP 592) are used only when pinned to exactly that
//!   version (`==` / `===`);
//! - **extras** are virtual packages `name[extra]` that depend on
//!   `name==<same version>` plus the `Requires-Dist` entries that only apply
//!   with `extra == "<extra>"`;
//! - **constraints** narrow every dependency edge to the constrained name but
//!   never add a package by themselves;
//! - a **direct URL** requirement (`pkg @ https://…`) is treated as "any
//!   version of pkg": the [`PackageSource`] is expected to offer the URL's
//!   single candidate under that name.

mod provided;
mod provider;
mod ranges;
mod report;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, Requirement, VerbatimUrl};
use pubgrub::PubGrubError;

use crate::error::{Classify, ExitKind};
use crate::layers::LambdaRuntime;
use crate::metadata::CoreMetadata;
use crate::target::LambdaTarget;

/// Where versions and their metadata come from: the index client plus the
/// wheel-tag filter, or an in-memory table in tests.
///
/// The resolver calls [`PackageSource::candidates`] once per project it
/// reaches, and [`PackageSource::metadata`] only for versions it actually
/// tries (these are network calls; the resolver caches both). The `prefetch_*`
/// hooks announce what is likely to be asked next so an implementation can
/// fetch in parallel; they may do nothing.
pub trait PackageSource {
    /// Every release of the project `name` (PEP 503-normalised), in any
    /// order. An unknown project is `Ok(vec![])`.
    fn candidates(&self, name: &str) -> Result<Vec<Candidate>, SourceError>;

    /// The core metadata of one release (from the wheel's `.dist-info/METADATA`
    /// or the index's PEP 658 metadata file).
    fn metadata(&self, name: &str, version: &Version) -> Result<CoreMetadata, SourceError>;

    /// Projects whose candidates will probably be asked for soon.
    fn prefetch_candidates(&self, _names: &[String]) {}

    /// Releases whose metadata will probably be asked for soon.
    fn prefetch_metadata(&self, _items: &[(String, Version)]) {}

    /// Whether [`Candidate::sdist_only`] releases can be built here (an
    /// interpreter is available). When `true` they compete with wheel
    /// releases on version alone, as pip's do; when `false` (the default)
    /// they are last resorts. Asked only when it matters (an sdist-only
    /// release in range is newer than the best one with a wheel), so an
    /// implementation may wait for a slow probe here.
    fn builds_sdists(&self) -> bool {
        false
    }

    /// The metadata of a version something outside the zip already has
    /// installed (a layer's pandas 3.0.3), to follow its own dependencies;
    /// `None` when the source cannot read it without side effects (no such
    /// release, or only an sdist that would have to be built).
    fn provided_metadata(&self, name: &str, version: &Version) -> Option<CoreMetadata> {
        let candidates = self.candidates(name).ok()?;
        candidates
            .iter()
            .find(|c| &c.version == version && c.has_compatible_wheel && !c.last_resort)?;
        self.metadata(name, version).ok()
    }
}

/// One release of a project as the index lists it, already judged against
/// the target's wheel tags by the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Ex) `2.2.6`
    pub version: Version,
    /// Every file of this release is yanked (PEP 592).
    pub yanked: bool,
    /// The release's `Requires-Python` (from the index's
    /// `data-requires-python`), if the index gives one.
    pub requires_python: Option<VersionSpecifiers>,
    /// At least one wheel of this release is installable on the target.
    pub has_compatible_wheel: bool,
    /// Why no wheel fits, for error messages.
    ///
    /// Ex) `only manylinux_2_28_x86_64 wheels (python3.11 has glibc 2.26)`
    pub incompatibility_note: Option<String>,
    /// Usable only when no release in range has a wheel for the target: the
    /// source builds it from its sdist (or, with `--allow-missing`, reports
    /// it missing). Ex) `twilio==6.45.3`, published only as an sdist while
    /// other releases have wheels. For an [`Candidate::sdist_only`] release
    /// this holds only while the source cannot build
    /// ([`PackageSource::builds_sdists`]) or the release is in
    /// [`ResolveRequest::unbuildable`].
    pub last_resort: bool,
    /// The release has no wheel for the target, only an sdist the source
    /// would build. Ex) `atomicwrites` 1.4.1
    pub sdist_only: bool,
}

impl Candidate {
    /// A usable, not yanked release with no `Requires-Python`.
    pub fn new(version: Version) -> Self {
        Candidate {
            version,
            yanked: false,
            requires_python: None,
            has_compatible_wheel: true,
            incompatibility_note: None,
            last_resort: false,
            sdist_only: false,
        }
    }
}

/// A failure inside a [`PackageSource`] (network, cache, bad metadata file).
/// The resolver adds which package and version it was fetching.
///
/// It prints the error and each of its causes on one line (`a: b: c`), since
/// the resolver's message embeds it; so it has no `source()` of its own.
#[derive(Debug)]
pub struct SourceError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {}

impl SourceError {
    /// Wrap any error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        SourceError(error.into())
    }

    /// Whether the release's metadata was fetched but is invalid (a
    /// [`crate::metadata::MetadataError`]): the resolver then skips that
    /// version, as pip does, instead of failing.
    pub fn is_invalid_metadata(&self) -> bool {
        self.0
            .downcast_ref::<crate::metadata::MetadataError>()
            .is_some()
    }
}

/// One line of the user's requirements, with where it came from.
#[derive(Debug, Clone)]
pub struct RootRequirement {
    /// Ex) `alpaca-py==0.21.1`
    pub requirement: Requirement<VerbatimUrl>,
    /// Ex) `requirements.txt:3`
    pub origin: String,
}

impl RootRequirement {
    /// Parse a PEP 508 requirement string (convenience for callers and tests).
    pub fn parse(
        requirement: &str,
        origin: &str,
    ) -> Result<Self, pep508_rs::Pep508Error<VerbatimUrl>> {
        Ok(RootRequirement {
            requirement: Requirement::from_str(requirement)?,
            origin: origin.to_string(),
        })
    }
}

/// Why a package is already present and must not be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FixedKind {
    /// Copied from the project's `vendor/` directory: shipped as-is, its
    /// dependencies are the user's business.
    Vendor,
    /// Installed by an attached layer under `/opt/python`.
    ///
    /// Ex) `arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29`
    Layer {
        /// The layer version ARN.
        arn: String,
    },
    /// Shipped by the Lambda runtime itself (boto3 and friends).
    Runtime,
    /// Named in `exclude_packages`: never shipped, never checked.
    Excluded,
}

/// A package that resolution must take as given.
///
/// When one name is given several times, the strongest kind wins:
/// vendor > exclude_packages > layer (first listed) > runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedPackage {
    /// Project name (normalised by the resolver).
    pub name: String,
    /// The installed version. `None` means "satisfies any specifier" (a
    /// versionless runtime manifest, a vendor directory without dist-info).
    /// Ignored for [`FixedKind::Excluded`].
    pub version: Option<Version>,
    /// Where it comes from.
    pub kind: FixedKind,
}

/// Everything one resolution needs.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    /// The root requirements, in file order.
    pub requirements: Vec<RootRequirement>,
    /// Constraints (`-c`): narrow versions, never add packages.
    pub constraints: Vec<Requirement<VerbatimUrl>>,
    /// The target's marker environment.
    pub env: MarkerEnvironment,
    /// The target's full Python version, for `Requires-Python`.
    ///
    /// Ex) `3.12.99`
    pub python: Version,
    /// How the target is named in messages.
    ///
    /// Ex) `python3.12 x86_64`
    pub target_label: String,
    /// Allow pre-releases everywhere (`--pre`).
    pub pre: bool,
    /// Vendor, layer, runtime and excluded packages.
    pub fixed: Vec<FixedPackage>,
    /// Ship the user's version of a layer package that conflicts, with a
    /// warning, instead of failing (`--allow-shadow`).
    pub allow_shadow: bool,
    /// Run a second resolution without the runtime and `exclude_packages`
    /// pins to find what only those packages need (`only-needed-by-excluded`),
    /// and read the size of what the runtime keeps out for layer packages.
    /// Costs extra metadata fetches; on by default.
    pub what_if: bool,
    /// Sdist-only releases (normalised name, version) whose build failed in
    /// an earlier round: last resorts again, taken only when no release in
    /// range has a wheel. Ex) `("atomicwrites", 1.4.1)`
    pub unbuildable: Vec<(String, Version)>,
    /// The runtime's own packages (boto3 and friends), after the zip and
    /// the layers on `sys.path`: what a layer package may rely on.
    pub runtime: LambdaRuntime,
}

impl ResolveRequest {
    /// An empty request for `target`.
    pub fn new(target: &LambdaTarget) -> Self {
        let python = Version::new([
            u64::from(target.python.major),
            u64::from(target.python.minor),
            99,
        ]);
        ResolveRequest {
            requirements: Vec::new(),
            constraints: Vec::new(),
            env: target.marker_env(),
            python,
            target_label: format!("{} {}", target.runtime(), target.arch.machine()),
            pre: false,
            fixed: Vec::new(),
            allow_shadow: false,
            what_if: true,
            unbuildable: Vec::new(),
            runtime: LambdaRuntime::for_python(target.python),
        }
    }
}

/// Where a package in [`Resolution::packages`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageOrigin {
    /// To be downloaded from the index (or find-links) and shipped.
    Index,
    /// Already in `vendor/`; shipped from there.
    Vendor,
}

/// One package that ends up in the deployment package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// Normalised name. Ex) `charset-normalizer`
    pub name: String,
    /// The chosen version; `None` only for a vendor package of unknown version.
    pub version: Option<Version>,
    /// The extras that were activated, normalised and sorted.
    pub extras: Vec<String>,
    /// Who requires it: normalised package names and `<requirements.txt>`, sorted.
    pub required_by: Vec<String>,
    /// Index or vendor.
    pub origin: PackageOrigin,
}

/// Why a package is listed in [`Resolution::excluded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExcludeReason {
    /// An attached layer provides it. Ex) `layer`
    Layer,
    /// The Lambda runtime provides it. Ex) `runtime`
    Runtime,
    /// The user named it in `exclude_packages`. Ex) `exclude_packages`
    ExcludePackages,
    /// Only excluded packages need it. Ex) `only-needed-by-excluded`
    OnlyNeededByExcluded,
    /// Only layer packages need it, no layer has it, and the Lambda runtime
    /// itself does (`/var/runtime`, after the layers on `sys.path`).
    /// Ex) `runtime-for-layer`
    RuntimeForLayer,
}

impl ExcludeReason {
    /// The report's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ExcludeReason::Layer => "layer",
            ExcludeReason::Runtime => "runtime",
            ExcludeReason::ExcludePackages => "exclude_packages",
            ExcludeReason::OnlyNeededByExcluded => "only-needed-by-excluded",
            ExcludeReason::RuntimeForLayer => "runtime-for-layer",
        }
    }
}

impl fmt::Display for ExcludeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the report's exclusion reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown exclusion reason {input:?}: expected layer, runtime, exclude_packages, only-needed-by-excluded or runtime-for-layer")]
pub struct ExcludeReasonError {
    /// The offending input.
    pub input: String,
}

impl FromStr for ExcludeReason {
    type Err = ExcludeReasonError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "layer" => Ok(ExcludeReason::Layer),
            "runtime" => Ok(ExcludeReason::Runtime),
            "exclude_packages" => Ok(ExcludeReason::ExcludePackages),
            "only-needed-by-excluded" => Ok(ExcludeReason::OnlyNeededByExcluded),
            "runtime-for-layer" => Ok(ExcludeReason::RuntimeForLayer),
            _ => Err(ExcludeReasonError {
                input: s.to_string(),
            }),
        }
    }
}

/// A package that is needed (or would be) but is not shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    /// Normalised name.
    pub name: String,
    /// The layer's pinned version, else the version a resolution without
    /// exclusions picked (the one whose wheel size is the bytes saved); for
    /// [`ExcludeReason::RuntimeForLayer`], the runtime's known floor.
    pub version: Option<Version>,
    /// Why it is not shipped.
    pub reason: ExcludeReason,
    /// The layer ARN for [`ExcludeReason::Layer`]; else `None`.
    pub provided_by: Option<String>,
    /// Who requires it, as in [`ResolvedPackage::required_by`] (for
    /// `only-needed-by-excluded`: taken from the resolution without exclusions).
    pub required_by: Vec<String>,
}

/// The outcome of [`resolve`]. Every list is sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// What goes into the deployment package.
    pub packages: Vec<ResolvedPackage>,
    /// What is needed but provided elsewhere or deliberately left out.
    pub excluded: Vec<Excluded>,
    /// Things to tell the user (shadowed layer packages, missing extras, …).
    pub warnings: Vec<String>,
}

/// Why resolution failed. Every variant maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The requirements cannot all be met on the target; the explanation
    /// names the requirement chains and the fixed versions involved.
    #[error("{explanation}")]
    NoSolution {
        /// A multi-line explanation for a person.
        explanation: String,
    },
    /// The package source failed while fetching something.
    #[error("could not get {what} of {}: {error}", crate::names::shown(package))]
    Source {
        /// The normalised project name.
        package: String,
        /// `the list of versions` or `the metadata of version X`.
        what: String,
        /// The source's error.
        /// Printed in the message; not a `#[source]`, so `{:#}` chains do
        /// not print it twice.
        error: SourceError,
    },
}

impl Classify for ResolveError {
    /// The exit code class: [`ExitKind::Dependencies`] (2), except that an
    /// index client failure keeps its own (a full cache disk is not the
    /// dependencies' fault).
    fn exit_kind(&self) -> ExitKind {
        match self {
            ResolveError::Source { error, .. } => error
                .0
                .downcast_ref::<crate::index::IndexError>()
                .map_or(ExitKind::Dependencies, Classify::exit_kind),
            _ => ExitKind::Dependencies,
        }
    }
}

/// Resolve `request` against `source`. See the module documentation.
pub fn resolve(
    request: &ResolveRequest,
    source: &dyn PackageSource,
) -> Result<Resolution, ResolveError> {
    let main = solve(request, source, true)?;
    // Every dependency of a layer package must be met by a layer, the
    // runtime or the zip: follow the provided versions' own metadata.
    let settled = provided::settle(request, source, main);
    let main = &settled.main;
    let mut resolution = Resolution {
        warnings: main.warnings.clone(),
        ..Resolution::default()
    };
    resolution.warnings.extend(settled.warnings.iter().cloned());
    let parents_of = |name: &str, own: &std::collections::BTreeSet<String>| -> Vec<String> {
        let mut all = own.clone();
        all.extend(settled.parents.get(name).into_iter().flatten().cloned());
        all.into_iter().collect()
    };

    for (name, node) in &main.nodes {
        let required_by = parents_of(name, &node.required_by);
        match &node.fixed {
            Some(FixedKind::Vendor) => resolution.packages.push(ResolvedPackage {
                name: name.clone(),
                version: node.version.clone(),
                extras: node.extras.iter().cloned().collect(),
                required_by,
                origin: PackageOrigin::Vendor,
            }),
            Some(kind) => resolution.excluded.push(Excluded {
                name: name.clone(),
                version: node.version.clone(),
                reason: reason_of(kind),
                provided_by: provided_by(kind),
                required_by,
            }),
            None => resolution.packages.push(ResolvedPackage {
                name: name.clone(),
                version: node.version.clone(),
                extras: node.extras.iter().cloned().collect(),
                required_by,
                origin: PackageOrigin::Index,
            }),
        }
    }
    for e in settled.excluded.values() {
        let mut e = e.clone();
        e.required_by = parents_of(&e.name, &Default::default());
        resolution.excluded.push(e);
    }

    let any_excluded = !resolution.excluded.is_empty();
    if request.what_if && any_excluded {
        what_if(request, source, main, &mut resolution);
    }
    resolution.packages.sort_by(|a, b| a.name.cmp(&b.name));
    resolution.excluded.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(resolution)
}

/// Run pubgrub for `request`; a conflict becomes the explanation a person reads.
/// Without `sdist_builds`, sdist-only releases stay last resorts (the "what
/// if" pass sizes what is kept out and builds nothing it can avoid).
fn solve(
    request: &ResolveRequest,
    source: &dyn PackageSource,
    sdist_builds: bool,
) -> Result<provider::Solved, ResolveError> {
    let mut provider = provider::Provider::new(request, source);
    if !sdist_builds {
        provider = provider.without_sdist_builds();
    }
    match pubgrub::resolve(&provider, provider::Pkg::Root, provider::root_version()) {
        Ok(selection) => Ok(provider.solved(selection.into_iter().collect())),
        Err(PubGrubError::NoSolution(tree)) => Err(ResolveError::NoSolution {
            explanation: report::explain(&provider, tree),
        }),
        Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
        | Err(PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(PubGrubError::ErrorInShouldCancel(source)) => Err(source),
    }
}

/// Resolve again with only the vendor pins; whatever that pulls in that the
/// real resolution neither ships nor excludes is needed only by excluded
/// packages. Best effort: a failure becomes a warning.
fn what_if(
    request: &ResolveRequest,
    source: &dyn PackageSource,
    main: &provider::Solved,
    resolution: &mut Resolution,
) {
    let full = match solve_unpinned(request, source) {
        Ok(full) => full,
        Err(e) => {
            let why: Vec<String> = e
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            resolution.warnings.push(format!(
                "could not work out what the excluded packages would have pulled in \
                 (the excluded list is incomplete): {}",
                why.join(" ")
            ));
            return;
        }
    };
    // exclude_packages pins no version: say which one would have shipped
    // (the one whose size is the bytes saved). A runtime package without a
    // version stays unknown: the index's version is not the runtime's.
    for e in resolution.excluded.iter_mut() {
        if e.version.is_none() && e.reason == ExcludeReason::ExcludePackages {
            e.version = full.nodes.get(&e.name).and_then(|n| n.version.clone());
        }
    }
    for extra in only_in_unpinned(request, main, &full) {
        // Found by the walk through layer packages too: keep that reason
        // (the more specific one), add who else needs it.
        match resolution
            .excluded
            .iter_mut()
            .find(|e| e.name == extra.name)
        {
            Some(known) => {
                known.required_by.extend(extra.required_by);
                known.required_by.sort();
                known.required_by.dedup();
            }
            None => resolution.excluded.push(extra),
        }
    }
}

/// `request` with the runtime and `exclude_packages` pins dropped, solved.
/// Vendor and layer pins stay: what a layer package needs is followed
/// through the layer's own versions ([`provided`]), not the index's.
fn solve_unpinned(
    request: &ResolveRequest,
    source: &dyn PackageSource,
) -> Result<provider::Solved, ResolveError> {
    let mut unpinned = request.clone();
    unpinned
        .fixed
        .retain(|f| matches!(f.kind, FixedKind::Vendor | FixedKind::Layer { .. }));
    unpinned.allow_shadow = false;
    let attempt = solve(&unpinned, source, false);
    if attempt.is_ok() {
        return attempt;
    }
    // A provided package the index does not have (the runtime's boto3 on
    // a private index, say) cannot be "unpinned": keep those pinned.
    let keep: Vec<FixedPackage> = request
        .fixed
        .iter()
        .filter(|f| matches!(f.kind, FixedKind::Runtime | FixedKind::Excluded))
        .filter(|f| {
            source
                .candidates(&f.name)
                .map(|c| !c.iter().any(|c| c.has_compatible_wheel))
                .unwrap_or(true)
        })
        .cloned()
        .collect();
    if keep.is_empty() {
        return attempt;
    }
    unpinned.fixed.extend(keep);
    solve(&unpinned, source, false)
}

/// The packages the unpinned resolution `full` reaches that the real one
/// (`main`) does not: excluded because a layer holds them, or needed only by
/// excluded packages.
fn only_in_unpinned(
    request: &ResolveRequest,
    main: &provider::Solved,
    full: &provider::Solved,
) -> impl Iterator<Item = Excluded> {
    let effective = provider::effective_fixed(&request.fixed);
    let mut extra: BTreeMap<String, Excluded> = BTreeMap::new();
    for (name, node) in &full.nodes {
        if main.nodes.contains_key(name) {
            continue;
        }
        let required_by: Vec<String> = node.required_by.iter().cloned().collect();
        // A package the layer itself contains is excluded because of the
        // layer, even if only another layer package needs it.
        let entry = match effective.get(name) {
            Some(f) if f.kind != FixedKind::Vendor => Excluded {
                name: name.clone(),
                version: f.version.clone().or_else(|| node.version.clone()),
                reason: reason_of(&f.kind),
                provided_by: provided_by(&f.kind),
                required_by,
            },
            _ => Excluded {
                name: name.clone(),
                version: node.version.clone(),
                reason: ExcludeReason::OnlyNeededByExcluded,
                provided_by: None,
                required_by,
            },
        };
        extra.insert(name.clone(), entry);
    }
    extra.into_values()
}

pub(crate) fn reason_of(kind: &FixedKind) -> ExcludeReason {
    match kind {
        FixedKind::Layer { .. } => ExcludeReason::Layer,
        FixedKind::Runtime => ExcludeReason::Runtime,
        FixedKind::Excluded | FixedKind::Vendor => ExcludeReason::ExcludePackages,
    }
}

fn provided_by(kind: &FixedKind) -> Option<String> {
    match kind {
        FixedKind::Layer { arn } => Some(arn.clone()),
        _ => None,
    }
}

//! The pubgrub [`DependencyProvider`]: candidate filtering, lazy metadata,
//! extras as virtual packages, fixed (vendor/layer/runtime/excluded) pins.

use std::cell::{OnceCell, RefCell};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use pep508_rs::pep440_rs::Version;
use pep508_rs::{ExtraName, Requirement, VerbatimUrl, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics, Ranges,
};

use super::ranges::specifiers_to_ranges;
use super::{Candidate, FixedKind, FixedPackage, PackageSource, ResolveError, ResolveRequest};
use crate::metadata::CoreMetadata;
use crate::names::normalize;

/// A node of the pubgrub problem.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Pkg {
    /// The user's requirements as one virtual package.
    Root,
    /// A real project, by normalised name. Ex) `pandas`
    Name(String),
    /// A project with one extra active. Ex) `pandas[excel]`
    Extra(String, String),
}

impl Pkg {
    /// The project behind this node (`None` for the root).
    pub(crate) fn base(&self) -> Option<&str> {
        match self {
            Pkg::Root => None,
            Pkg::Name(n) | Pkg::Extra(n, _) => Some(n),
        }
    }
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("your requirements"),
            Pkg::Name(n) => f.write_str(n),
            Pkg::Extra(n, e) => write!(f, "{n}[{e}]"),
        }
    }
}

/// The placeholder version of [`Pkg::Root`].
pub(crate) fn root_version() -> Version {
    Version::new([0u64])
}

/// One requirement edge as written in metadata or requirements.txt, kept
/// for `required_by` and for explanations.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    /// Normalised target project.
    pub(crate) target: String,
    /// Normalised extras requested on the target.
    pub(crate) extras: Vec<String>,
    /// The versions the edge allows (constraints applied).
    pub(crate) range: Ranges<Version>,
    /// `false` when the target is fixed without a version check (excluded,
    /// or provided at any version): the edge does not reach pubgrub.
    pub(crate) emitted: bool,
}

/// One project in a finished resolution.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub(crate) version: Option<Version>,
    pub(crate) extras: BTreeSet<String>,
    pub(crate) required_by: BTreeSet<String>,
    /// `Some` when the project is taken as given rather than downloaded.
    pub(crate) fixed: Option<FixedKind>,
}

/// The result of one pubgrub run, before it is split into shipped/excluded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Solved {
    pub(crate) nodes: BTreeMap<String, Node>,
    pub(crate) warnings: Vec<String>,
}

/// Collapse duplicate fixed entries: vendor > excluded > layer > runtime,
/// first listed wins among equals.
pub(crate) fn effective_fixed(fixed: &[FixedPackage]) -> HashMap<String, FixedPackage> {
    fn rank(kind: &FixedKind) -> u8 {
        match kind {
            FixedKind::Vendor => 0,
            FixedKind::Excluded => 1,
            FixedKind::Layer { .. } => 2,
            FixedKind::Runtime => 3,
        }
    }
    let mut out: HashMap<String, FixedPackage> = HashMap::new();
    for f in fixed {
        let name = normalize(&f.name);
        let replace = match out.get(&name) {
            Some(existing) => rank(&f.kind) < rank(&existing.kind),
            None => true,
        };
        if replace {
            let mut f = f.clone();
            f.name = name.clone();
            out.insert(name, f);
        }
    }
    out
}

/// What one package version expands to: its requirement edges, plus
/// constraints that are not requirements (an extra's `name==version`).
type Expansion = (Vec<Edge>, Vec<(Pkg, Ranges<Version>)>);

/// Why a candidate cannot be used (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Skip {
    NoWheel,
    RequiresPython,
    Yanked,
    PreRelease,
}

pub(crate) struct Provider<'a> {
    pub(crate) req: &'a ResolveRequest,
    source: &'a dyn PackageSource,
    pub(crate) fixed: HashMap<String, FixedPackage>,
    constraints: HashMap<String, Ranges<Version>>,
    /// Root requirements by target: (origin, requirement as written),
    /// Ex) (`requirements.txt:1`, `alpaca-py==0.21.1`).
    pub(crate) root_origins: HashMap<String, Vec<(String, String)>>,
    candidates: RefCell<HashMap<String, Rc<Vec<Candidate>>>>,
    metadata: RefCell<HashMap<(String, Version), Rc<CoreMetadata>>>,
    edges: RefCell<HashMap<(Pkg, Version), Vec<Edge>>>,
    explicit_pre: RefCell<HashSet<String>>,
    order: RefCell<HashMap<Pkg, u32>>,
    warnings: RefCell<Vec<String>>,
    /// Whether sdist-only releases compete on version (see
    /// [`Provider::builds`]); `false` keeps them last resorts.
    promote_sdists: bool,
    /// The source's [`PackageSource::builds_sdists`], asked once, lazily.
    builds: OnceCell<bool>,
}

impl<'a> Provider<'a> {
    pub(crate) fn new(req: &'a ResolveRequest, source: &'a dyn PackageSource) -> Self {
        let mut explicit_pre = HashSet::new();
        let mut constraints: HashMap<String, Ranges<Version>> = HashMap::new();
        for c in &req.constraints {
            if !c.evaluate_markers(&req.env, &[]) {
                continue;
            }
            if let Some(VersionOrUrl::VersionSpecifier(specs)) = &c.version_or_url {
                let name = normalize(c.name.as_ref());
                if specs.iter().any(|s| s.any_prerelease()) {
                    explicit_pre.insert(name.clone());
                }
                let range = specifiers_to_ranges(specs);
                let entry = constraints.entry(name).or_insert_with(Ranges::full);
                *entry = entry.intersection(&range);
            }
        }
        let mut root_origins: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for r in &req.requirements {
            root_origins
                .entry(normalize(r.requirement.name.as_ref()))
                .or_default()
                .push((r.origin.clone(), r.requirement.to_string()));
        }
        Provider {
            req,
            source,
            fixed: effective_fixed(&req.fixed),
            constraints,
            root_origins,
            candidates: RefCell::default(),
            metadata: RefCell::default(),
            edges: RefCell::default(),
            explicit_pre: RefCell::new(explicit_pre),
            order: RefCell::default(),
            warnings: RefCell::default(),
            promote_sdists: true,
            builds: OnceCell::new(),
        }
    }

    /// Keep sdist-only releases last resorts even when the source can build
    /// them (the "what if" pass only sizes what is kept out: no builds).
    pub(crate) fn without_sdist_builds(mut self) -> Self {
        self.promote_sdists = false;
        self
    }

    /// Whether sdist-only releases compete with wheel releases on version.
    fn builds(&self) -> bool {
        self.promote_sdists && *self.builds.get_or_init(|| self.source.builds_sdists())
    }

    /// Whether `name==version` failed to build in an earlier round.
    fn unbuildable(&self, name: &str, version: &Version) -> bool {
        self.req
            .unbuildable
            .iter()
            .any(|(n, v)| v == version && normalize(n) == name)
    }

    /// Whether `c` waits until no release in range has a wheel: a release
    /// with no usable file, or an sdist-only one that cannot be built here
    /// (no interpreter) or whose build failed before.
    fn deferred(&self, name: &str, c: &Candidate) -> bool {
        if !c.last_resort {
            return false;
        }
        if !c.sdist_only {
            return true;
        }
        self.unbuildable(name, &c.version) || !self.builds()
    }

    /// The version a fixed package is pinned at, if it takes part in
    /// version checks (excluded and versionless ones do not).
    pub(crate) fn pin(&self, name: &str) -> Option<(&Version, &FixedKind)> {
        let f = self.fixed.get(name)?;
        if f.kind == FixedKind::Excluded {
            return None;
        }
        f.version.as_ref().map(|v| (v, &f.kind))
    }

    /// Whether a conflicting pin may be replaced by an index version.
    pub(crate) fn may_shadow(&self, kind: &FixedKind) -> bool {
        self.req.allow_shadow && matches!(kind, FixedKind::Layer { .. } | FixedKind::Runtime)
    }

    /// Fixed without any version check: edges to it stop here.
    fn unchecked(&self, name: &str) -> bool {
        self.fixed
            .get(name)
            .is_some_and(|f| f.kind == FixedKind::Excluded || f.version.is_none())
    }

    /// The releases of `name`, newest first, fetched once.
    pub(crate) fn candidates(&self, name: &str) -> Result<Rc<Vec<Candidate>>, ResolveError> {
        if let Some(c) = self.candidates.borrow().get(name) {
            return Ok(c.clone());
        }
        let mut list = self
            .source
            .candidates(name)
            .map_err(|error| ResolveError::Source {
                package: name.to_string(),
                what: "the list of versions".to_string(),
                error,
            })?;
        list.sort_by(|a, b| b.version.cmp(&a.version));
        let list = Rc::new(list);
        self.candidates
            .borrow_mut()
            .insert(name.to_string(), list.clone());
        Ok(list)
    }

    /// Cached candidates, without fetching (for explanations).
    pub(crate) fn known_candidates(&self, name: &str) -> Option<Rc<Vec<Candidate>>> {
        self.candidates.borrow().get(name).cloned()
    }

    fn metadata(&self, name: &str, version: &Version) -> Result<Rc<CoreMetadata>, ResolveError> {
        let key = (name.to_string(), version.clone());
        if let Some(m) = self.metadata.borrow().get(&key) {
            return Ok(m.clone());
        }
        let m = self
            .source
            .metadata(name, version)
            .map_err(|error| ResolveError::Source {
                package: name.to_string(),
                what: format!("the metadata of version {version}"),
                error,
            })?;
        let m = Rc::new(m);
        self.metadata.borrow_mut().insert(key, m.clone());
        Ok(m)
    }

    /// The metadata of `name==version`, or why that release is skipped.
    /// Invalid metadata (chalice 1.15.0's `Requires-Dist: pyyaml
    /// (<6.0.0wheel,>=5.3.1)`) makes pip (24.1 and later) ignore the version
    /// with a warning and try another; so does grail. Any other failure
    /// (network, cache) stops resolution.
    fn usable_metadata(
        &self,
        name: &str,
        version: &Version,
    ) -> Result<Result<Rc<CoreMetadata>, String>, ResolveError> {
        match self.metadata(name, version) {
            Ok(md) => Ok(Ok(md)),
            Err(ResolveError::Source { error, .. }) if error.is_invalid_metadata() => {
                self.warn(format!(
                    "ignoring {name} {version}: its metadata is invalid ({error}); another \
                     version is used instead, as pip does"
                ));
                Ok(Err(format!("has invalid metadata ({error})")))
            }
            Err(e) => Err(e),
        }
    }

    /// Why `c` may not be picked from `range` (`None`: usable). The
    /// pre-release rule is checked separately (it has a fallback).
    pub(crate) fn skip_reason(&self, c: &Candidate, range: &Ranges<Version>) -> Option<Skip> {
        if !c.has_compatible_wheel {
            return Some(Skip::NoWheel);
        }
        if let Some(rp) = &c.requires_python {
            if !rp.contains(&self.req.python) {
                return Some(Skip::RequiresPython);
            }
        }
        if c.yanked && range.as_singleton() != Some(&c.version) {
            return Some(Skip::Yanked);
        }
        None
    }

    pub(crate) fn pre_allowed(&self, name: &str) -> bool {
        self.req.pre || self.explicit_pre.borrow().contains(name)
    }

    /// The newest usable release of `name` in `range`: final releases
    /// first, pre-releases only when allowed or when nothing else fits.
    /// [`Provider::deferred`] releases only when no other in range fits.
    fn pick<'c>(
        &self,
        name: &str,
        candidates: &'c [Candidate],
        range: &Ranges<Version>,
    ) -> Option<&'c Candidate> {
        self.pick_tier(name, candidates, range, false)
            .or_else(|| self.pick_tier(name, candidates, range, true))
    }

    /// Chalice (pip) would take the newest release and build its sdist;
    /// without an interpreter grail takes the newest with a wheel. Say so
    /// when they differ. (A release whose build failed is reported by the
    /// caller that resolved again without it.)
    fn warn_newer_sdist(
        &self,
        name: &str,
        chosen: &Candidate,
        candidates: &[Candidate],
        range: &Ranges<Version>,
    ) {
        // Only a newer sdist-only release in range can make a difference:
        // without one, the build question (and the probe) is never asked.
        // (A pre-release only when pre-releases are allowed: pip would not
        // pick one either.)
        let pre = self.pre_allowed(name) || chosen.version.any_prerelease();
        let newer_sdist = candidates.iter().any(|c| {
            c.sdist_only
                && c.version > chosen.version
                && range.contains(&c.version)
                && (pre || !c.version.any_prerelease())
        });
        if !newer_sdist {
            return;
        }
        let newer = self.pick_tier(name, candidates, range, true).filter(|c| {
            c.version > chosen.version && c.sdist_only && !self.unbuildable(name, &c.version)
        });
        if let Some(n) = newer {
            self.warn(format!(
                "{name}: shipping {}, the newest release with a wheel for the target; {} is \
                 published only as an sdist (`chalice package` would build it; pin \
                 {name}=={} to do the same)",
                chosen.version, n.version, n.version
            ));
        }
    }

    /// [`Provider::pick`] among the candidates that are [`Provider::deferred`]
    /// (`tier`) or not.
    fn pick_tier<'c>(
        &self,
        name: &str,
        candidates: &'c [Candidate],
        range: &Ranges<Version>,
        tier: bool,
    ) -> Option<&'c Candidate> {
        // Deferral last: it may ask the source whether it can build, which
        // waits for the interpreter probe. Final releases are looked at
        // before pre-releases for the same reason: an sdist-only pre-release
        // must not make the answer wait when a final release is picked.
        let usable = |c: &&Candidate| {
            range.contains(&c.version)
                && self.skip_reason(c, range).is_none()
                && self.deferred(name, c) == tier
        };
        if self.pre_allowed(name) {
            return candidates.iter().find(usable);
        }
        let pre = |c: &&Candidate| c.version.any_prerelease();
        candidates
            .iter()
            .filter(|c| !pre(c))
            .find(usable)
            .or_else(|| candidates.iter().filter(pre).find(usable))
    }

    fn edge(&self, r: &Requirement<VerbatimUrl>) -> Edge {
        let target = normalize(r.name.as_ref());
        let mut range = match &r.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specs)) => {
                if specs.iter().any(|s| s.any_prerelease()) {
                    self.explicit_pre.borrow_mut().insert(target.clone());
                }
                specifiers_to_ranges(specs)
            }
            // A direct URL: the source offers its one candidate under the name.
            Some(VersionOrUrl::Url(_)) | None => Ranges::full(),
        };
        if let Some(c) = self.constraints.get(&target) {
            range = range.intersection(c);
        }
        Edge {
            extras: r.extras.iter().map(|e| e.to_string()).collect(),
            emitted: !self.unchecked(&target),
            target,
            range,
        }
    }

    fn warn(&self, message: String) {
        let mut w = self.warnings.borrow_mut();
        if !w.contains(&message) {
            w.push(message);
        }
    }

    /// Edges and extra pubgrub constraints of `pkg` at `version`, or the
    /// reason the version cannot be used.
    fn dependencies_of(
        &self,
        pkg: &Pkg,
        version: &Version,
    ) -> Result<Result<Expansion, String>, ResolveError> {
        let env = &self.req.env;
        match pkg {
            Pkg::Root => {
                let edges = self
                    .req
                    .requirements
                    .iter()
                    .filter(|r| r.requirement.evaluate_markers(env, &[]))
                    .map(|r| self.edge(&r.requirement))
                    .collect();
                Ok(Ok((edges, Vec::new())))
            }
            Pkg::Name(name) => {
                if self.pin(name).is_some_and(|(pin, _)| pin == version) {
                    // Provided as installed; its own dependencies come with it.
                    return Ok(Ok((Vec::new(), Vec::new())));
                }
                let md = match self.usable_metadata(name, version)? {
                    Ok(md) => md,
                    Err(reason) => return Ok(Err(reason)),
                };
                if let Some(rp) = &md.requires_python {
                    if !rp.contains(&self.req.python) {
                        return Ok(Err(format!(
                            "requires Python {rp} (the target is {})",
                            self.req.target_label
                        )));
                    }
                }
                let edges = md
                    .requires_dist
                    .iter()
                    .filter(|r| r.evaluate_markers(env, &[]))
                    .map(|r| self.edge(r))
                    .collect();
                Ok(Ok((edges, Vec::new())))
            }
            Pkg::Extra(name, extra) => self.extra_dependencies(name, extra, version),
        }
    }

    /// The edges `name[extra]` adds to `name` at `version`, plus the
    /// constraint that `name` itself is at that same version.
    fn extra_dependencies(
        &self,
        name: &str,
        extra: &str,
        version: &Version,
    ) -> Result<Result<Expansion, String>, ResolveError> {
        let env = &self.req.env;
        let same = vec![(
            Pkg::Name(name.to_string()),
            Ranges::singleton(version.clone()),
        )];
        let md = match self.pin(name) {
            Some((_, FixedKind::Vendor)) => return Ok(Ok((Vec::new(), same))),
            Some((pin, kind)) if pin == version => {
                // The layer has the package but maybe not its extra's
                // dependencies: expand them if the metadata is at hand.
                match self.metadata(name, version) {
                    Ok(md) => md,
                    Err(e) => {
                        self.warn(format!(
                            "{name}[{extra}]: {name} {pin} comes from {}, and its \
                             metadata could not be read ({e}); the dependencies of the \
                             extra {extra:?} are assumed to be present",
                            describe_kind(kind)
                        ));
                        return Ok(Ok((Vec::new(), same)));
                    }
                }
            }
            _ => match self.usable_metadata(name, version)? {
                Ok(md) => md,
                Err(reason) => return Ok(Err(reason)),
            },
        };
        let Ok(extra_name) = ExtraName::new(extra.to_string()) else {
            return Ok(Ok((Vec::new(), same)));
        };
        let with = [extra_name];
        let edges: Vec<Edge> = md
            .requires_dist
            .iter()
            .filter(|r| r.evaluate_markers(env, &with) && !r.evaluate_markers(env, &[]))
            .map(|r| self.edge(r))
            .collect();
        let provided = md.provides_extra.iter().any(|e| normalize(e) == extra);
        if edges.is_empty() && !provided {
            self.warn(format!(
                "{name} {version} does not provide the extra {extra:?}"
            ));
        }
        Ok(Ok((edges, same)))
    }

    /// Announce the likely next fetches to the source.
    fn prefetch(&self, deps: &[(Pkg, Ranges<Version>)]) {
        let names: Vec<String> = deps
            .iter()
            .filter_map(|(p, _)| match p {
                Pkg::Name(n)
                    if !self.candidates.borrow().contains_key(n) && self.pin(n).is_none() =>
                {
                    Some(n.clone())
                }
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return;
        }
        self.source.prefetch_candidates(&names);
        let mut items = Vec::new();
        for (p, range) in deps {
            let Pkg::Name(n) = p else { continue };
            if !names.contains(n) {
                continue;
            }
            // Errors surface later, when pubgrub really asks for this package.
            if let Ok(cands) = self.candidates(n) {
                if let Some(c) = self.pick(n, &cands, range) {
                    if !self
                        .metadata
                        .borrow()
                        .contains_key(&(n.clone(), c.version.clone()))
                    {
                        items.push((n.clone(), c.version.clone()));
                    }
                }
            }
        }
        if !items.is_empty() {
            self.source.prefetch_metadata(&items);
        }
    }

    /// Turn pubgrub's selection into per-project nodes with `required_by`.
    pub(crate) fn solved(&self, selection: Vec<(Pkg, Version)>) -> Solved {
        let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
        for (pkg, version) in &selection {
            match pkg {
                Pkg::Root => {}
                Pkg::Name(n) => {
                    let node = nodes.entry(n.clone()).or_default();
                    node.version = Some(version.clone());
                    match self.pin(n) {
                        Some((pin, kind)) if pin == version => node.fixed = Some(kind.clone()),
                        Some((pin, kind)) => {
                            let other = match kind {
                                FixedKind::Runtime => "the runtime's own packages",
                                _ => "/opt",
                            };
                            self.warn(format!(
                                "shipping {n} {version} although {} provides {n} {pin}: \
                                 /var/task comes before {other} on sys.path, so your copy \
                                 shadows it (mixing compiled packages such as numpy, pandas or \
                                 pyarrow across the two can break imports)",
                                describe_kind(kind)
                            ))
                        }
                        None => {}
                    }
                }
                Pkg::Extra(n, e) => {
                    nodes.entry(n.clone()).or_default().extras.insert(e.clone());
                }
            }
        }
        let edges = self.edges.borrow();
        for (pkg, version) in &selection {
            let parent = pkg.base();
            let label = parent.unwrap_or("<requirements.txt>").to_string();
            for edge in edges
                .get(&(pkg.clone(), version.clone()))
                .into_iter()
                .flatten()
            {
                if Some(edge.target.as_str()) == parent {
                    continue;
                }
                let node = nodes.entry(edge.target.clone()).or_default();
                node.required_by.insert(label.clone());
                if !edge.emitted {
                    if let Some(f) = self.fixed.get(&edge.target) {
                        node.fixed = Some(f.kind.clone());
                        node.version = f.version.clone();
                    }
                }
            }
        }
        Solved {
            nodes,
            warnings: self.warnings.borrow().clone(),
        }
    }
}

/// How a fixed package's provider is named in messages.
pub(crate) fn describe_kind(kind: &FixedKind) -> String {
    match kind {
        FixedKind::Vendor => "vendor/".to_string(),
        FixedKind::Layer { arn } => format!("the layer {arn}"),
        FixedKind::Runtime => "the Lambda runtime".to_string(),
        FixedKind::Excluded => "exclude_packages".to_string(),
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Err = ResolveError;
    /// (class, conflicts, earliest discovered first).
    type Priority = (u8, u32, Reverse<u32>);

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let class = match package {
            Pkg::Root => 9,
            // Decided in one step: settle them first, they only narrow things.
            _ if range.as_singleton().is_some() => 4,
            Pkg::Name(n) | Pkg::Extra(n, _) if self.fixed.contains_key(n) => 3,
            Pkg::Extra(..) => 2,
            Pkg::Name(_) => 1,
        };
        let mut order = self.order.borrow_mut();
        let next = u32::try_from(order.len()).unwrap_or(u32::MAX);
        let seen = *order.entry(package.clone()).or_insert(next);
        (class, stats.conflict_count(), Reverse(seen))
    }

    fn choose_version(
        &self,
        package: &Pkg,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ResolveError> {
        let Some(name) = package.base() else {
            return Ok(Some(root_version()));
        };
        if let Some((pin, kind)) = self.pin(name) {
            if range.contains(pin) {
                tracing::debug!(package = %name, version = %pin, "pinned by a fixed input");
                return Ok(Some(pin.clone()));
            }
            if !self.may_shadow(kind) {
                tracing::debug!(package = %name, pinned = %pin, "the fixed version is out of range");
                return Ok(None);
            }
        }
        let candidates = self.candidates(name)?;
        let picked = self.pick(name, &candidates, range);
        if let Some(c) = picked.filter(|c| !self.deferred(name, c)) {
            self.warn_newer_sdist(name, c, &candidates, range);
        }
        let chosen = picked.map(|c| c.version.clone());
        match &chosen {
            Some(v) => {
                tracing::debug!(package = %name, version = %v, "chose the newest allowed version")
            }
            None => {
                tracing::debug!(package = %name, candidates = candidates.len(), "no candidate in range")
            }
        }
        Ok(chosen)
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Ranges<Version>, String>, ResolveError> {
        let (edges, mut extra) = match self.dependencies_of(package, version)? {
            Ok(x) => x,
            Err(reason) => {
                tracing::debug!(package = %package, version = %version, %reason, "dependencies unavailable");
                return Ok(Dependencies::Unavailable(reason));
            }
        };
        let parent = package.base();
        let mut deps: BTreeMap<Pkg, Ranges<Version>> = BTreeMap::new();
        let mut add = |p: Pkg, r: &Ranges<Version>| {
            let entry = deps.entry(p).or_insert_with(Ranges::full);
            *entry = entry.intersection(r);
        };
        for (p, r) in extra.drain(..) {
            add(p, &r);
        }
        for edge in edges.iter().filter(|e| e.emitted) {
            if Some(edge.target.as_str()) == parent {
                // `a[x]` requiring `a[y]`: the same release with another extra.
                let same = Ranges::singleton(version.clone());
                for e in &edge.extras {
                    add(Pkg::Extra(edge.target.clone(), e.clone()), &same);
                }
                continue;
            }
            add(Pkg::Name(edge.target.clone()), &edge.range);
            for e in &edge.extras {
                add(Pkg::Extra(edge.target.clone(), e.clone()), &edge.range);
            }
        }
        self.edges
            .borrow_mut()
            .insert((package.clone(), version.clone()), edges);
        let deps: Vec<(Pkg, Ranges<Version>)> = deps.into_iter().collect();
        self.prefetch(&deps);
        Ok(Dependencies::Available(DependencyConstraints::from_iter(
            deps,
        )))
    }
}

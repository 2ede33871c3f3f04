//! What layer-provided packages need, followed through the provided
//! versions' own metadata.
//!
//! Lambda imports from `/var/task` (the zip), then the layers
//! (`/opt/python/lib/pythonX.Y/site-packages`, `/opt/python`), then the
//! runtime's own packages (`/var/runtime`). The main resolution takes a
//! layer package as given and does not expand it; so every dependency of a
//! layer package must be met by a layer, the runtime or the zip. This walk
//! checks that with the layer's version (pandas 3.0.3 from the layer, not the
//! index's newest) and sorts each dependency:
//!
//! - in the zip or otherwise decided by the main resolution: nothing to do
//!   (a zip version outside what the layer package asks for is a warning);
//! - another layer's (or the same layer's) package: kept out, and walked;
//! - the runtime's (urllib3, which the AWS SDK for pandas layer deletes):
//!   kept out as [`ExcludeReason::RuntimeForLayer`], its requirement checked
//!   against the runtime's known floor;
//! - nobody's: the layer is broken for this runtime; the package is added to
//!   the resolution so it ships in the zip, with a warning.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pep508_rs::pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerTree, Requirement, VerbatimUrl, VersionOrUrl};
use pubgrub::Ranges;

use super::provider::{effective_fixed, Solved};
use super::ranges::specifiers_to_ranges;
use super::{
    reason_of, solve, ExcludeReason, Excluded, FixedKind, FixedPackage, PackageSource,
    ResolveRequest, RootRequirement,
};
use crate::layers::RuntimePackage;
use crate::names::normalize;

/// How many times a resolution is redone to add what layers lack (each
/// added package may reach more layer packages).
const MAX_ROUNDS: usize = 3;

/// The main resolution after the walk.
pub(crate) struct Settled {
    /// The resolution, redone when packages had to be added for a layer.
    pub(crate) main: Solved,
    /// Extra parents found through layer packages' own metadata:
    /// child → layer packages requiring it.
    pub(crate) parents: BTreeMap<String, BTreeSet<String>>,
    /// Packages only layer packages reach, kept out (by name);
    /// `required_by` is left for the caller to fill from `parents`.
    pub(crate) excluded: BTreeMap<String, Excluded>,
    /// Broken layers, runtime floors that do not fit, zip versions that
    /// shadow what a layer package needs.
    pub(crate) warnings: Vec<String>,
}

/// One dependency no layer and not the runtime provides.
#[derive(Clone)]
struct Missing {
    /// Normalised name.
    name: String,
    /// The requirement as the layer package states it.
    requirement: Requirement<VerbatimUrl>,
    /// `pandas 3.0.3`
    parent: String,
    /// The layer's ARN.
    arn: String,
}

/// One pass over the layer packages of `main`.
#[derive(Default)]
struct Walk {
    parents: BTreeMap<String, BTreeSet<String>>,
    excluded: BTreeMap<String, Excluded>,
    missing: Vec<Missing>,
    warnings: Vec<String>,
    /// Runtime packages kept out → the versions the layer packages allow.
    runtime_ranges: BTreeMap<String, Ranges<Version>>,
}

/// Walk the layer packages of `main`; when some dependency is nobody's,
/// resolve again with it added (shipped in the zip), and walk again.
/// A resolution that fails with the additions keeps `main` and says why.
pub(crate) fn settle(
    request: &ResolveRequest,
    source: &dyn PackageSource,
    main: Solved,
) -> Settled {
    let effective = effective_fixed(&request.fixed);
    let mut main = main;
    let mut added: Vec<Missing> = Vec::new();
    let mut warnings = Vec::new();
    let mut walk = walk_once(request, source, &main, &effective);
    for _ in 0..MAX_ROUNDS {
        if walk.missing.is_empty() {
            break;
        }
        let mut next = request.clone();
        let mut all = added.clone();
        all.extend(walk.missing.iter().cloned());
        next.requirements.extend(all.iter().map(root_requirement));
        match solve(&next, source, true) {
            Ok(solved) => {
                main = solved;
                added = all;
                walk = walk_once(request, source, &main, &effective);
            }
            Err(e) => {
                let why = format!(
                    "grail could not add it to the zip: {}",
                    one_line(&e.to_string())
                );
                warnings.extend(walk.missing.iter().map(|m| broken(request, m, &why)));
                walk.missing.clear();
                break;
            }
        }
    }
    // Still missing after MAX_ROUNDS re-resolutions: say so rather than drop it.
    let why = "grail did not add it to the zip (add it to requirements.txt)";
    warnings.extend(walk.missing.iter().map(|m| broken(request, m, why)));
    for m in &added {
        let version = main
            .nodes
            .get(&m.name)
            .and_then(|n| n.version.as_ref())
            .map_or(String::new(), |v| format!(" {v}"));
        let why = format!("grail ships {}{version} in the zip", m.name);
        warnings.push(broken(request, m, &why));
        relabel(&mut main, request, m);
    }
    if request.what_if {
        read_sizes(source, &walk.runtime_ranges);
    }
    warnings.extend(walk.warnings);
    warnings.dedup();
    Settled {
        main,
        parents: walk.parents,
        excluded: walk.excluded,
        warnings,
    }
}

/// The warning for a layer package's dependency that nothing provides,
/// ending with what grail did about it.
fn broken(request: &ResolveRequest, m: &Missing, what_grail_did: &str) -> String {
    format!(
        "layer {} is broken for {}: its {} needs {}, which no attached layer and not {} \
         provide; {what_grail_did}",
        m.arn,
        request.runtime_label(),
        m.parent,
        m.requirement,
        request.runtime.label(),
    )
}

impl ResolveRequest {
    /// Ex) `python3.12`
    fn runtime_label(&self) -> String {
        format!("python{}", self.runtime.python)
    }
}

/// The requirement that makes the resolution ship `m` (its markers were
/// already evaluated for the layer package, extras included).
fn root_requirement(m: &Missing) -> RootRequirement {
    let mut requirement = m.requirement.clone();
    requirement.marker = MarkerTree::TRUE;
    RootRequirement {
        requirement,
        origin: format!("{} (layer {})", m.parent, m.arn),
    }
}

/// A package added for a layer is required by the layer package, not by
/// requirements.txt (unless the user also names it there).
fn relabel(main: &mut Solved, request: &ResolveRequest, m: &Missing) {
    let user_names_it = request
        .requirements
        .iter()
        .any(|r| normalize(r.requirement.name.as_ref()) == m.name);
    if let Some(node) = main.nodes.get_mut(&m.name) {
        if !user_names_it {
            node.required_by.remove("<requirements.txt>");
        }
        if let Some((parent, _)) = m.parent.split_once(' ') {
            node.required_by.insert(parent.to_string());
        }
    }
}

/// Follow every layer package of `main` through its own metadata.
fn walk_once(
    request: &ResolveRequest,
    source: &dyn PackageSource,
    main: &Solved,
    effective: &HashMap<String, FixedPackage>,
) -> Walk {
    let mut walk = Walk::default();
    let mut queue = layer_seeds(main);
    let mut seen: HashMap<String, BTreeSet<String>> = HashMap::new();
    while let Some(Item {
        name,
        version,
        arn,
        extras,
    }) = queue.pop()
    {
        // Each package once, again only when more of its extras are needed.
        let extras = match seen.get_mut(&name) {
            Some(known) if extras.is_subset(known) => continue,
            Some(known) => {
                known.extend(extras);
                known.clone()
            }
            None => {
                seen.insert(name.clone(), extras.clone());
                extras
            }
        };
        let Some((version, md, exact)) = metadata_of(request, source, &name, version.as_ref())
        else {
            continue;
        };
        let with: Vec<ExtraName> = extras
            .iter()
            .filter_map(|e| ExtraName::new(e.clone()).ok())
            .collect();
        let parent = Parent {
            name: &name,
            version: &version,
            arn: &arn,
            exact,
        };
        for r in md
            .requires_dist
            .iter()
            .filter(|r| r.evaluate_markers(&request.env, &with))
        {
            let dep = normalize(r.name.as_ref());
            if dep == name {
                continue;
            }
            walk.parents
                .entry(dep.clone())
                .or_default()
                .insert(name.clone());
            let next = classify(request, main, effective, &parent, r, &dep, &mut walk);
            if let Some((version, arn)) = next {
                let extras = r.extras.iter().map(|e| e.to_string()).collect();
                queue.push(Item {
                    name: dep,
                    version,
                    arn,
                    extras,
                });
            }
        }
    }
    walk
}

/// The layer packages the main resolution reached, at the layer's versions.
fn layer_seeds(main: &Solved) -> Vec<Item> {
    main.nodes
        .iter()
        .filter_map(|(name, node)| match (&node.fixed, &node.version) {
            (Some(FixedKind::Layer { arn }), Some(v)) => Some(Item {
                name: name.clone(),
                version: Some(v.clone()),
                arn: arn.clone(),
                extras: node.extras.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// A package to follow: a layer's (at its version), or one only a layer
/// package needs (`version: None`, when the layer's own metadata was not
/// at hand).
struct Item {
    name: String,
    version: Option<Version>,
    arn: String,
    extras: BTreeSet<String>,
}

/// The metadata to follow `name` with: the provided version's, else (with
/// `what_if`) the newest release's, marked inexact.
fn metadata_of(
    request: &ResolveRequest,
    source: &dyn PackageSource,
    name: &str,
    version: Option<&Version>,
) -> Option<(Version, crate::metadata::CoreMetadata, bool)> {
    if let Some(v) = version {
        if let Some(md) = source.provided_metadata(name, v) {
            return Some((v.clone(), md, true));
        }
        tracing::debug!(package = %name, version = %v, "no metadata for the provided version");
    }
    if !request.what_if {
        return None;
    }
    let newest = source
        .candidates(name)
        .ok()?
        .into_iter()
        .filter(|c| c.has_compatible_wheel && !c.last_resort && !c.yanked)
        .filter(|c| !c.version.any_prerelease())
        .map(|c| c.version)
        .max()?;
    let md = source.provided_metadata(name, &newest)?;
    Some((version.cloned().unwrap_or(newest), md, false))
}

/// The layer package whose dependencies are being sorted.
struct Parent<'a> {
    name: &'a str,
    version: &'a Version,
    arn: &'a str,
    /// False when its dependencies come from another release than the one
    /// installed (the layer's was not on the index): then nothing is
    /// shipped or warned about on their account.
    exact: bool,
}

/// Sort one dependency `dep` (requirement `r`) of a layer package; returns
/// the layer package to walk next, if `dep` is one.
fn classify(
    request: &ResolveRequest,
    main: &Solved,
    effective: &HashMap<String, FixedPackage>,
    parent: &Parent<'_>,
    r: &Requirement<VerbatimUrl>,
    dep: &str,
    walk: &mut Walk,
) -> Option<(Option<Version>, String)> {
    if let Some(node) = main.nodes.get(dep) {
        match (&node.fixed, &node.version) {
            (Some(FixedKind::Layer { arn }), Some(v)) => {
                return Some((Some(v.clone()), arn.clone()))
            }
            (None, Some(v)) if parent.exact && !allows(r, v) => walk.warnings.push(format!(
                "{dep} {v} in the zip shadows the {dep} that layer {}'s {} {} needs ({r}): \
                 /var/task comes first on sys.path",
                parent.arn, parent.name, parent.version
            )),
            _ => {}
        }
        return None;
    }
    let fixed = effective.get(dep);
    if let Some(f) = fixed.filter(|f| f.kind != FixedKind::Vendor) {
        walk.excluded.entry(dep.to_string()).or_insert(Excluded {
            name: dep.to_string(),
            version: f.version.clone(),
            reason: reason_of(&f.kind),
            provided_by: match &f.kind {
                FixedKind::Layer { arn } => Some(arn.clone()),
                _ => None,
            },
            required_by: Vec::new(),
        });
        return match (&f.kind, &f.version) {
            (FixedKind::Layer { arn }, Some(v)) => Some((Some(v.clone()), arn.clone())),
            _ => None,
        };
    }
    if fixed.is_some() {
        // In vendor/: shipped from there whatever needs it.
        return None;
    }
    if let Some(rp) = request.runtime.get(dep) {
        from_the_runtime(request, parent, r, rp, walk);
        return None;
    }
    if !parent.exact {
        // Known only from another release's metadata: kept out as today
        // (only excluded packages need it), and followed the same way.
        walk.excluded.entry(dep.to_string()).or_insert(Excluded {
            name: dep.to_string(),
            version: None,
            reason: ExcludeReason::OnlyNeededByExcluded,
            provided_by: None,
            required_by: Vec::new(),
        });
        return Some((None, parent.arn.to_string()));
    }
    walk.missing.push(Missing {
        name: dep.to_string(),
        requirement: r.clone(),
        parent: format!("{} {}", parent.name, parent.version),
        arn: parent.arn.to_string(),
    });
    None
}

/// Read the metadata of the release that would ship for each runtime
/// package kept out (the newest final release with a wheel that the layer
/// packages allow), so the report can say what keeping it out saves.
fn read_sizes(source: &dyn PackageSource, ranges: &BTreeMap<String, Ranges<Version>>) {
    let names: Vec<String> = ranges.keys().cloned().collect();
    source.prefetch_candidates(&names);
    for (name, range) in ranges {
        let Ok(candidates) = source.candidates(name) else {
            continue;
        };
        let best = candidates
            .iter()
            .filter(|c| c.has_compatible_wheel && !c.last_resort && !c.yanked)
            .filter(|c| !c.version.any_prerelease() && range.contains(&c.version))
            .map(|c| c.version.clone())
            .max();
        if let Some(v) = best {
            let _ = source.provided_metadata(name, &v);
        }
    }
}

/// Keep `rp` out: Lambda imports the runtime's copy for the layer package.
fn from_the_runtime(
    request: &ResolveRequest,
    parent: &Parent<'_>,
    r: &Requirement<VerbatimUrl>,
    rp: &RuntimePackage,
    walk: &mut Walk,
) {
    if let Some(w) = floor_warning(request, parent, r, rp).filter(|_| parent.exact) {
        walk.warnings.push(w);
    }
    let range = match &r.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) => specifiers_to_ranges(specs),
        _ => Ranges::full(),
    };
    let allowed = walk
        .runtime_ranges
        .entry(rp.name.clone())
        .or_insert_with(Ranges::full);
    *allowed = allowed.intersection(&range);
    walk.excluded.entry(rp.name.clone()).or_insert(Excluded {
        name: rp.name.clone(),
        version: rp.floor.as_ref().map(|f| f.version.clone()),
        reason: ExcludeReason::RuntimeForLayer,
        provided_by: None,
        required_by: Vec::new(),
    });
}

/// Whether `r` accepts version `v` (a requirement without specifiers does).
fn allows(r: &Requirement<VerbatimUrl>, v: &Version) -> bool {
    match &r.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specs)) => specifiers_to_ranges(specs).contains(v),
        _ => true,
    }
}

/// A layer package's requirement on a runtime package, against the
/// runtime's known floor: the runtime only moves forward, so a floor above
/// the requirement's range is a sure conflict, and a floor below it may be.
fn floor_warning(
    request: &ResolveRequest,
    parent: &Parent<'_>,
    r: &Requirement<VerbatimUrl>,
    rp: &RuntimePackage,
) -> Option<String> {
    let floor = rp.floor.as_ref()?;
    let Some(VersionOrUrl::VersionSpecifier(specs)) = &r.version_or_url else {
        return None;
    };
    let range = specifiers_to_ranges(specs);
    if range.contains(&floor.version) {
        return None;
    }
    let newer = range.intersection(&Ranges::higher_than(floor.version.clone()));
    let who = format!(
        "layer {}'s {} {} needs {r}",
        parent.arn, parent.name, parent.version
    );
    let runtime = request.runtime.label();
    Some(if newer == Ranges::empty() {
        format!(
            "{who}, but {runtime} has {} {} or newer (as of {}): the layer's {} may fail to import there",
            rp.name, floor.version, floor.as_of, parent.name
        )
    } else {
        format!(
            "{who}; {runtime} had {} {} as of {} (Lambda updates it, so it may be newer now): \
             if it is still older, add {r} to requirements.txt to ship it in the zip",
            rp.name, floor.version, floor.as_of
        )
    })
}

/// An error's lines joined into one.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

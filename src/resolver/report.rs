//! Turning pubgrub's derivation tree into an explanation a person can act
//! on: our package names, specifier-style version sets, why versions were
//! skipped (no wheel for the target, `Requires-Python`, yanked,
//! pre-release) and, for pins from layers/vendor/runtime, the requirement
//! chains that collide with them.

use std::collections::{BTreeMap, BTreeSet};

use pep508_rs::pep440_rs::Version;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, ReportFormatter,
    Reporter, Term,
};

use super::provider::{describe_kind, Pkg, Provider, Skip};
use super::ranges::display_ranges;
use super::FixedKind;

type Tree = DerivationTree<Pkg, Ranges<Version>, String>;
type Ext = External<Pkg, Ranges<Version>, String>;

/// The full explanation of a failed resolution.
pub(crate) fn explain(provider: &Provider<'_>, mut tree: Tree) -> String {
    collapse_empty_no_versions(provider, &mut tree);
    let formatter = Formatter { provider };
    let body = DefaultStringReporter::report_with_formatter(&tree, &formatter);
    let mut out = format!(
        "the requirements cannot be satisfied for {}:\n",
        provider.req.target_label
    );
    for line in body.lines() {
        if line.trim().is_empty() {
            continue;
        }
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    let mut externals = Vec::new();
    collect_externals(&tree, &mut externals);
    let conflicts = pin_conflicts(provider, &externals);
    for (name, lines) in &conflicts {
        let Some((pin, kind)) = provider.pin(name) else {
            continue;
        };
        out.push_str(&format!(
            "{name} is fixed at {pin} by {}, but:\n",
            describe_kind(kind)
        ));
        for l in lines {
            out.push_str(&format!("  {l}\n"));
        }
        out.push_str(&hint(name, pin, kind));
        out.push('\n');
    }
    out.trim_end().to_string()
}

fn hint(name: &str, pin: &Version, kind: &FixedKind) -> String {
    match kind {
        FixedKind::Vendor => format!(
            "hint: vendor/ holds {name} {pin}; update the copy in vendor/ or relax the requirement"
        ),
        FixedKind::Layer { .. } => format!(
            "hint: relax the requirement, attach a layer version whose {name} matches, or pass \
             --allow-shadow to ship your own {name} (it then shadows the layer's {pin}: /var/task \
             comes before /opt on sys.path)"
        ),
        FixedKind::Runtime | FixedKind::Excluded => format!(
            "hint: relax the requirement, or pass --allow-shadow to ship your own {name} (it then \
             shadows the runtime's {pin})"
        ),
    }
}

/// The versions pubgrub could have picked for `pkg`, ascending.
fn versions_of(provider: &Provider<'_>, pkg: &Pkg) -> Option<Vec<Version>> {
    let name = pkg.base()?;
    if let Some((pin, kind)) = provider.pin(name) {
        if !provider.may_shadow(kind) {
            return Some(vec![pin.clone()]);
        }
    }
    let mut versions: Vec<Version> = provider
        .known_candidates(name)?
        .iter()
        .map(|c| c.version.clone())
        .collect();
    versions.sort();
    Some(versions)
}

/// A `NoVersions` whose set holds no release at all says nothing a person
/// needs ("no version of b in <1.0 or >1.0, <1.1"). Like pubgrub's
/// `collapse_no_versions`, fold it into the dependency it is paired with,
/// but keep the informative ones: a pinned package, or releases that exist
/// and were skipped (no wheel, Requires-Python, yanked, pre-release).
fn collapse_empty_no_versions(provider: &Provider<'_>, tree: &mut Tree) {
    let DerivationTree::Derived(derived) = tree else {
        return;
    };
    let empty = |t: &Tree| -> Option<(Pkg, Ranges<Version>)> {
        let DerivationTree::External(External::NoVersions(p, r)) = t else {
            return None;
        };
        let versions = versions_of(provider, p)?;
        if versions.is_empty() || versions.iter().any(|v| r.contains(v)) {
            return None;
        }
        if p.base().is_some_and(|n| provider.pin(n).is_some()) {
            return None;
        }
        Some((p.clone(), r.clone()))
    };
    let (trivial, other) = if let Some(t) = empty(&derived.cause1) {
        (t, std::sync::Arc::make_mut(&mut derived.cause2))
    } else if let Some(t) = empty(&derived.cause2) {
        (t, std::sync::Arc::make_mut(&mut derived.cause1))
    } else {
        collapse_empty_no_versions(provider, std::sync::Arc::make_mut(&mut derived.cause1));
        collapse_empty_no_versions(provider, std::sync::Arc::make_mut(&mut derived.cause2));
        return;
    };
    collapse_empty_no_versions(provider, other);
    let (p, r) = trivial;
    let replacement = match other {
        DerivationTree::External(External::FromDependencyOf(p1, r1, p2, r2)) => {
            if *p1 == p {
                Some(External::FromDependencyOf(
                    p1.clone(),
                    r1.union(&r),
                    p2.clone(),
                    r2.clone(),
                ))
            } else if *p2 == p {
                Some(External::FromDependencyOf(
                    p1.clone(),
                    r1.clone(),
                    p2.clone(),
                    r2.union(&r),
                ))
            } else {
                None
            }
        }
        _ => None,
    };
    match replacement {
        Some(e) => *tree = DerivationTree::External(e),
        None => {
            if let DerivationTree::Derived(_) = other {
                *tree = other.clone();
            }
        }
    }
}

fn collect_externals<'t>(tree: &'t Tree, out: &mut Vec<&'t Ext>) {
    match tree {
        DerivationTree::External(e) => out.push(e),
        DerivationTree::Derived(d) => {
            collect_externals(&d.cause1, out);
            collect_externals(&d.cause2, out);
        }
    }
}

/// For every pinned package whose pin was rejected (a `NoVersions` on a
/// pinned name), the requirement chains from the root that reach it.
fn pin_conflicts(provider: &Provider<'_>, externals: &[&Ext]) -> BTreeMap<String, Vec<String>> {
    // dependent → (dependency, its version set), from the tree's edges.
    let mut parents: BTreeMap<Pkg, Vec<(Pkg, Ranges<Version>)>> = BTreeMap::new();
    for e in externals {
        if let External::FromDependencyOf(p, _, d, dr) = e {
            parents
                .entry(d.clone())
                .or_default()
                .push((p.clone(), dr.clone()));
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in externals {
        let External::NoVersions(p, _) = e else {
            continue;
        };
        let Some(name) = p.base() else { continue };
        let Some((pin, kind)) = provider.pin(name) else {
            continue;
        };
        if provider.may_shadow(kind) {
            continue;
        }
        let mut lines = BTreeSet::new();
        for target in [Pkg::Name(name.to_string()), p.clone()] {
            for (parent, range) in parents.get(&target).into_iter().flatten() {
                if range.contains(pin) {
                    continue;
                }
                if *parent == Pkg::Root {
                    // A direct requirement: the line itself is the chain.
                    for (origin, req) in provider.root_origins.get(name).into_iter().flatten() {
                        lines.insert(format!("{origin} {req}"));
                    }
                    continue;
                }
                let step = format!("{target} {}", display_ranges(range));
                let mut seen = BTreeSet::new();
                for chain in chains_to_root(provider, &parents, parent, &mut seen, 0) {
                    lines.insert(format!("{chain} → {step}"));
                }
            }
        }
        if !lines.is_empty() {
            out.entry(name.to_string()).or_default().extend(lines);
        }
    }
    out
}

/// Every rendered path from the root requirements down to `pkg`.
fn chains_to_root(
    provider: &Provider<'_>,
    parents: &BTreeMap<Pkg, Vec<(Pkg, Ranges<Version>)>>,
    pkg: &Pkg,
    seen: &mut BTreeSet<Pkg>,
    depth: usize,
) -> Vec<String> {
    if *pkg == Pkg::Root {
        return vec!["your requirements".to_string()];
    }
    if depth > 30 || !seen.insert(pkg.clone()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (parent, range) in parents.get(pkg).into_iter().flatten() {
        if *parent == Pkg::Root {
            match pkg.base().and_then(|n| provider.root_origins.get(n)) {
                Some(origins) => out.extend(origins.iter().map(|(o, r)| format!("{o} {r}"))),
                None => out.push(format!(
                    "your requirements → {pkg} {}",
                    display_ranges(range)
                )),
            }
        } else {
            // `a[x]` → `a` is the same release, not a new requirement step.
            let same_base = parent.base() == pkg.base();
            for chain in chains_to_root(provider, parents, parent, seen, depth + 1) {
                if same_base {
                    out.push(chain);
                } else {
                    out.push(format!("{chain} → {pkg} {}", display_ranges(range)));
                }
            }
        }
        if out.len() >= 5 {
            break;
        }
    }
    seen.remove(pkg);
    out
}

/// A version set as the subject of a sentence: `pandas 3.0.3`,
/// `pandas >=2, <3`, or just `pandas`. The set is first simplified against
/// the releases that exist, so "1.0 or 1.1" of a two-release project reads
/// as the project itself.
fn subject(provider: &Provider<'_>, pkg: &Pkg, range: &Ranges<Version>) -> String {
    if *pkg == Pkg::Root {
        return "your requirements".to_string();
    }
    let range = match versions_of(provider, pkg) {
        Some(versions) => range.simplify(versions.iter()),
        None => range.clone(),
    };
    let range = &range;
    if range == &Ranges::full() {
        return pkg.to_string();
    }
    match range.as_singleton() {
        Some(v) => format!("{pkg} {v}"),
        None => format!("{pkg} {}", display_ranges(range)),
    }
}

/// Versions as a short list: `2.4.6, 2.4.5 and 3 more`.
fn version_list(versions: &[&Version]) -> String {
    const SHOWN: usize = 3;
    let shown: Vec<String> = versions.iter().take(SHOWN).map(|v| v.to_string()).collect();
    if versions.len() > SHOWN {
        format!("{} and {} more", shown.join(", "), versions.len() - SHOWN)
    } else {
        shown.join(", ")
    }
}

struct Formatter<'p, 'a> {
    provider: &'p Provider<'a>,
}

impl Formatter<'_, '_> {
    /// `NoVersions`: explain what the set contained and why none was usable.
    fn no_versions(&self, pkg: &Pkg, range: &Ranges<Version>) -> String {
        let Some(name) = pkg.base() else {
            return "your requirements cannot be used".to_string();
        };
        let p = self.provider;
        let target = &p.req.target_label;
        if let Some((pin, kind)) = p.pin(name) {
            if !p.may_shadow(kind) {
                return format!(
                    "{} provides {name} {pin}, which does not match {}",
                    describe_kind(kind),
                    display_ranges(range)
                );
            }
        }
        let want = if range == &Ranges::full() {
            String::new()
        } else {
            format!(" {}", display_ranges(range))
        };
        let Some(candidates) = p.known_candidates(name) else {
            return format!("no version of {name}{want} is available");
        };
        if candidates.is_empty() {
            return format!("{name} was not found on the package index");
        }
        let in_range: Vec<_> = candidates
            .iter()
            .filter(|c| range.contains(&c.version))
            .collect();
        if in_range.is_empty() {
            let newest = &candidates[0].version;
            return format!("no version of {name} matches{want} (newest is {newest})");
        }
        let mut by_reason: BTreeMap<Skip, Vec<&Version>> = BTreeMap::new();
        let mut notes: BTreeMap<Skip, String> = BTreeMap::new();
        for c in &in_range {
            let reason = match p.skip_reason(c, range) {
                Some(r) => r,
                None if c.version.any_prerelease() && !p.pre_allowed(name) => Skip::PreRelease,
                None => continue,
            };
            let first = !by_reason.contains_key(&reason);
            by_reason.entry(reason).or_default().push(&c.version);
            if first {
                let note = match reason {
                    Skip::NoWheel => c.incompatibility_note.clone().unwrap_or_default(),
                    Skip::RequiresPython => c
                        .requires_python
                        .as_ref()
                        .map(|s| format!("Python {s}"))
                        .unwrap_or_default(),
                    Skip::Yanked | Skip::PreRelease => String::new(),
                };
                notes.insert(reason, note);
            }
        }
        let pinned = range.as_singleton().is_some();
        render_skips(name, &want, target, pinned, &by_reason, &notes)
    }

    fn dependency(&self, p: &Pkg, pr: &Ranges<Version>, d: &Pkg, dr: &Ranges<Version>) -> String {
        let dep = if dr == &Ranges::full() {
            d.to_string()
        } else {
            format!("{d} {}", display_ranges(dr))
        };
        if *p == Pkg::Root {
            if let Some(origins) = d.base().and_then(|n| self.provider.root_origins.get(n)) {
                let asks: Vec<String> = origins
                    .iter()
                    .map(|(o, r)| format!("{o} asks for {r}"))
                    .collect();
                return asks.join(" and ");
            }
            return format!("your requirements need {dep}");
        }
        if let (Pkg::Extra(n, e), Pkg::Name(m)) = (p, d) {
            if n == m {
                return format!(
                    "{} is {} with the extra {e:?}",
                    subject(self.provider, p, pr),
                    dep
                );
            }
        }
        format!("{} depends on {dep}", subject(self.provider, p, pr))
    }
}

/// The explanation for versions that were all skipped, grouped by reason.
fn render_skips(
    name: &str,
    want: &str,
    target: &impl std::fmt::Display,
    pinned: bool,
    by_reason: &BTreeMap<Skip, Vec<&Version>>,
    notes: &BTreeMap<Skip, String>,
) -> String {
    if by_reason.len() == 1 && by_reason.contains_key(&Skip::NoWheel) {
        let versions = &by_reason[&Skip::NoWheel];
        let newest = versions[0];
        let note = &notes[&Skip::NoWheel];
        // A pin: name the release, not "newest".
        let (label, sep) = if pinned {
            (String::new(), ": ")
        } else {
            ("newest: ".to_string(), ", ")
        };
        let note = if note.is_empty() {
            String::new()
        } else {
            format!("{sep}{note}")
        };
        return format!(
            "no version of {name}{want} has a wheel compatible with {target} \
             ({label}{newest}{note})"
        );
    }
    let mut parts = Vec::new();
    for (reason, versions) in by_reason {
        let list = version_list(versions);
        let note = &notes[reason];
        parts.push(match reason {
            Skip::NoWheel if note.is_empty() => format!("{list}: no wheel for {target}"),
            Skip::NoWheel => format!("{list}: no wheel for {target} ({note})"),
            Skip::RequiresPython if versions.len() == 1 => format!("{list}: requires {note}"),
            Skip::RequiresPython => format!("{list}: require {note}"),
            Skip::Yanked => format!("{list}: yanked (pin with == to use)"),
            Skip::PreRelease => {
                format!("{list}: pre-release (pass --pre or name it in a specifier)")
            }
        });
    }
    if parts.is_empty() {
        format!("no usable version of {name}{want}")
    } else {
        format!("no usable version of {name}{want} ({})", parts.join("; "))
    }
}

impl ReportFormatter<Pkg, Ranges<Version>, String> for Formatter<'_, '_> {
    type Output = String;

    fn format_external(&self, external: &Ext) -> String {
        match external {
            External::NotRoot(_, _) => "we are resolving your requirements".to_string(),
            External::NoVersions(p, r) => self.no_versions(p, r),
            External::Custom(p, r, reason) => format!("{} {reason}", subject(self.provider, p, r)),
            External::FromDependencyOf(p, pr, d, dr) => self.dependency(p, pr, d, dr),
        }
    }

    fn format_terms(&self, terms: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        let mut terms: Vec<_> = terms.iter().collect();
        // "your requirements and b are incompatible" says no more than "b
        // cannot be used": the root is always selected.
        if terms.len() > 1 {
            terms.retain(|(p, t)| !(**p == Pkg::Root && matches!(t, Term::Positive(_))));
        }
        if terms.len() > 1 && terms.iter().all(|(_, t)| matches!(t, Term::Positive(_))) {
            let parts: Vec<String> = terms
                .iter()
                .filter_map(|(p, t)| match t {
                    Term::Positive(r) => Some(subject(self.provider, p, r)),
                    Term::Negative(_) => None,
                })
                .collect();
            return format!("{} cannot be used together", parts.join(" and "));
        }
        match terms.as_slice() {
            [] | [(Pkg::Root, Term::Positive(_))] => format!(
                "your requirements cannot be satisfied on {}",
                self.provider.req.target_label
            ),
            [(p, Term::Positive(r))] => format!("{} cannot be used", subject(self.provider, p, r)),
            [(p, Term::Negative(r))] => format!("{} is needed", subject(self.provider, p, r)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => {
                self.dependency(p1, r1, p2, r2)
            }
            slice => {
                let parts: Vec<String> = slice
                    .iter()
                    .map(|(p, t)| match t {
                        Term::Positive(r) => subject(self.provider, p, r),
                        Term::Negative(r) => format!("not {}", subject(self.provider, p, r)),
                    })
                    .collect();
                format!("{} cannot all hold", parts.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        e1: &Ext,
        e2: &Ext,
        terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(e1),
            self.format_external(e2),
            self.format_terms(terms)
        )
    }

    fn explain_both_ref(
        &self,
        id1: usize,
        d1: &Derived<Pkg, Ranges<Version>, String>,
        id2: usize,
        d2: &Derived<Pkg, Ranges<Version>, String>,
        terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({id1}) and {} ({id2}), {}.",
            self.format_terms(&d1.terms),
            self.format_terms(&d2.terms),
            self.format_terms(terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        id: usize,
        d: &Derived<Pkg, Ranges<Version>, String>,
        e: &Ext,
        terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({id}) and {}, {}.",
            self.format_terms(&d.terms),
            self.format_external(e),
            self.format_terms(terms)
        )
    }

    fn and_explain_external(&self, e: &Ext, terms: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(e),
            self.format_terms(terms)
        )
    }

    fn and_explain_ref(
        &self,
        id: usize,
        d: &Derived<Pkg, Ranges<Version>, String>,
        terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} ({id}), {}.",
            self.format_terms(&d.terms),
            self.format_terms(terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior: &Ext,
        e: &Ext,
        terms: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior),
            self.format_external(e),
            self.format_terms(terms)
        )
    }
}

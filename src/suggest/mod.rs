//! "Over the budget? Which public layer would make it fit": for each known
//! public layer published for the target (region, runtime, architecture),
//! resolve again with it attached; if that resolves (its pins satisfy every
//! requirement), the packages no longer shipped are the bytes it saves, and
//! the new total is function − saved + the layer's own size.
//!
//! The caller supplies the current state ([`SuggestInput`]) and a `resolve`
//! callback (the real resolution with one more layer), so this module only
//! weighs and ranks. [`render`] turns the result into text; the struct
//! serialises to the report's `suggestions` object.

pub mod region;
mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::budget::{Budget, LayerUsage, LAMBDA_UNZIPPED_LIMIT};
use crate::layers::{
    known_public_layers, AttachedLayer, LayerSet, ManifestSource, PublicLayer, MAX_LAYERS,
};
use crate::resolver::{PackageOrigin, Resolution, ResolveError};
use crate::target::LambdaTarget;

pub use region::{detect_region, Region, RegionSource};
pub use render::render;

/// The region assumed when none is configured (the templates assume it too).
pub const ASSUMED_REGION: &str = "us-east-1";

/// Suggestions are made when the headroom is below this share of the limit.
pub const NEAR_BUDGET_DIVISOR: u64 = 10;

/// True when the budget is over, or leaves less than 10% of the limit.
pub fn budget_is_tight(budget: &Budget) -> bool {
    budget.headroom_bytes < (LAMBDA_UNZIPPED_LIMIT / NEAR_BUDGET_DIVISOR) as i64
}

/// One package shipped today and its bytes in the zip.
#[derive(Clone, Debug)]
pub struct ShippedPackage {
    /// Normalised name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Unzipped bytes in the zip that carries it.
    pub bytes: u64,
}

/// The current state of the build.
pub struct SuggestInput<'a> {
    /// Why the analysis runs: `over-budget`, `near-budget` or `on-demand`.
    pub trigger: &'static str,
    /// Runtime and architecture.
    pub target: LambdaTarget,
    /// The deploy region, if known.
    pub region: Option<Region>,
    /// Layer entries attached today (config order).
    pub attached: &'a [String],
    /// Dependencies shipped today.
    pub shipped: Vec<ShippedPackage>,
    /// The budget today.
    pub budget: &'a Budget,
    /// Dependencies ship in the managed layer (`automatic_layer`), whose
    /// budget line is the first of `budget.layers`.
    pub deps_in_managed_layer: bool,
    /// The layers every function has (what resolution counts as provided).
    pub common_layers: &'a LayerSet,
}

/// One candidate layer that resolves, with what it would change.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    /// Ex) `AWS SDK for pandas`
    pub title: String,
    /// Ex) `aws-sdk-pandas`
    pub family: String,
    /// Ex) `3.17.0`
    pub release: String,
    /// The layer version ARN to attach.
    pub arn: String,
    /// The layer's own unzipped size (`null` when unknown).
    pub layer_unzipped_bytes: Option<u64>,
    /// The layer size is a reported figure.
    pub layer_size_approximate: bool,
    /// Packages it provides that ship today: name → version in the layer.
    pub provides: BTreeMap<String, String>,
    /// Packages that would no longer ship: those in `provides`, and those
    /// only they need (the layer's packages come with their dependencies).
    pub removed: Vec<String>,
    /// Bytes they take in the zip today.
    pub removes_bytes: u64,
    /// Function plus layers afterwards.
    pub total_bytes: u64,
    /// Limit minus that total (negative: still over).
    pub headroom_bytes: i64,
    /// Whether the total fits the limit.
    pub fits: bool,
    /// The config line to paste. Ex) `"layers": ["arn:…"]`
    pub config_line: String,
}

/// A matching layer that is not suggested, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Rejected {
    /// Ex) `AWS SDK for pandas 3.17.0`
    pub title: String,
    /// The layer version ARN.
    pub arn: String,
    /// Ex) `its versions conflict with the requirements: …`
    pub reason: String,
}

/// The whole analysis: the report's `suggestions` object.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestions {
    /// `over-budget`, `near-budget` or `on-demand`.
    pub trigger: &'static str,
    /// The region the ARNs are for.
    pub region: String,
    /// Where it came from, or `assumed (no region configured)`.
    pub region_source: String,
    /// True when no region is configured and [`ASSUMED_REGION`] was used.
    pub region_assumed: bool,
    /// Ex) `python3.12`
    pub runtime: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Function plus layers today.
    pub total_bytes: u64,
    /// Lambda's limit.
    pub limit_bytes: u64,
    /// The best one or two layers whose total fits, best first.
    pub suggested: Vec<Candidate>,
    /// Matching layers not suggested (conflicts, still too big, nothing to save).
    pub not_suggested: Vec<Rejected>,
    /// The largest shipped packages (name, bytes), biggest first.
    pub largest_packages: Vec<(String, u64)>,
}

/// Weigh every known public layer for this target. `resolve` resolves the
/// requirements with the given layers attached.
pub fn suggest(
    input: &SuggestInput<'_>,
    resolve: &dyn Fn(&LayerSet) -> Result<Resolution, ResolveError>,
) -> Suggestions {
    let (region, region_source, region_assumed) = match &input.region {
        Some(r) => (r.name.clone(), r.source.to_string(), false),
        None => (
            ASSUMED_REGION.to_string(),
            "assumed: no region is configured".to_string(),
            true,
        ),
    };
    let mut out = Suggestions {
        trigger: input.trigger,
        region: region.clone(),
        region_source,
        region_assumed,
        runtime: input.target.runtime(),
        architecture: input.target.arch.to_string(),
        total_bytes: input.budget.total_bytes,
        limit_bytes: input.budget.limit_bytes,
        suggested: Vec::new(),
        not_suggested: Vec::new(),
        largest_packages: largest(&input.shipped, 5),
    };
    let mut fitting = Vec::new();
    for group in candidates(input, &region) {
        // Newest version first: the first that resolves speaks for the name.
        for layer in group {
            match weigh(input, &layer, resolve) {
                Ok(c) if c.fits => {
                    fitting.push(c);
                    break;
                }
                Ok(c) => {
                    out.not_suggested.push(Rejected {
                        title: format!("{} {}", layer.title, layer.release),
                        arn: layer.arn.to_string(),
                        reason: format!(
                            "with it the total would be {} bytes, still over the limit (it would save {} bytes)",
                            crate::budget::group_digits(c.total_bytes),
                            crate::budget::group_digits(c.removes_bytes)
                        ),
                    });
                    break;
                }
                Err(reason) => out.not_suggested.push(Rejected {
                    title: format!("{} {}", layer.title, layer.release),
                    arn: layer.arn.to_string(),
                    reason,
                }),
            }
        }
    }
    fitting.sort_by(|a, b| {
        b.removes_bytes
            .cmp(&a.removes_bytes)
            .then(a.total_bytes.cmp(&b.total_bytes))
    });
    fitting.truncate(2);
    out.suggested = fitting;
    out
}

/// Known public layers published in `region` for this runtime and
/// architecture, not attached already, grouped by layer name, newest first.
fn candidates(input: &SuggestInput<'_>, region: &str) -> Vec<Vec<PublicLayer>> {
    let attached: BTreeSet<String> = input
        .attached
        .iter()
        .filter_map(|a| a.parse::<crate::layers::LayerArn>().ok())
        .map(|a| a.name)
        .collect();
    let mut groups: BTreeMap<String, Vec<PublicLayer>> = BTreeMap::new();
    for l in known_public_layers() {
        let m = &l.manifest;
        let matches = l.arn.region == region
            && m.python == Some(input.target.python)
            && m.architecture == Some(input.target.arch)
            && !attached.contains(&l.arn.name);
        if matches {
            groups.entry(l.arn.name.clone()).or_default().push(l);
        }
    }
    groups
        .into_values()
        .map(|mut g| {
            g.sort_by_key(|l| std::cmp::Reverse(l.arn.version));
            g
        })
        .collect()
}

/// Resolve with `layer` attached and work out what it saves; `Err` says
/// why it cannot be suggested.
fn weigh(
    input: &SuggestInput<'_>,
    layer: &PublicLayer,
    resolve: &dyn Fn(&LayerSet) -> Result<Resolution, ResolveError>,
) -> Result<Candidate, String> {
    if input.attached.len() >= MAX_LAYERS {
        return Err(format!(
            "{} layers are attached already; Lambda allows at most {MAX_LAYERS}",
            input.attached.len()
        ));
    }
    let arn = layer.arn.to_string();
    let set = input.common_layers.with_layer(AttachedLayer {
        entry: arn.clone(),
        arn: Some(layer.arn.clone()),
        manifest: Some(layer.manifest.clone()),
        source: ManifestSource::Catalogue(layer.release.clone()),
        usable: true,
    });
    let resolution = resolve(&set).map_err(|e| match e {
        ResolveError::NoSolution { explanation } => format!(
            "its versions conflict with the requirements: {}",
            conflict_reason(&explanation, &arn)
        ),
        other => format!("could not check it: {}", one_line(&other.to_string())),
    })?;
    let still: BTreeSet<&str> = resolution
        .packages
        .iter()
        .filter(|p| p.origin == PackageOrigin::Index)
        .map(|p| p.name.as_str())
        .collect();
    let removed: Vec<&ShippedPackage> = input
        .shipped
        .iter()
        .filter(|p| !still.contains(p.name.as_str()))
        .collect();
    if removed.is_empty() {
        return Err("it provides none of the packages shipped today".to_string());
    }
    // What the layer itself has (at its version); the rest of `removed` is
    // only needed by those packages, which the layer brings with them.
    let provides: BTreeMap<String, String> = layer
        .manifest
        .packages
        .iter()
        .filter(|p| removed.iter().any(|r| r.name == p.name))
        .map(|p| {
            let v = p
                .version
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default();
            (p.name.clone(), v)
        })
        .collect();
    let removes_bytes = removed.iter().fold(0u64, |a, p| a.saturating_add(p.bytes));
    let budget = budget_with(input, removes_bytes, layer);
    let mut layers: Vec<String> = input.attached.to_vec();
    layers.push(arn.clone());
    Ok(Candidate {
        title: layer.title.clone(),
        family: layer.family.clone(),
        release: layer.release.clone(),
        arn,
        layer_unzipped_bytes: layer.manifest.known_size(),
        layer_size_approximate: layer.manifest.size_approximate,
        provides,
        removed: removed.iter().map(|p| p.name.clone()).collect(),
        removes_bytes,
        total_bytes: budget.total_bytes,
        headroom_bytes: budget.headroom_bytes,
        fits: budget.headroom_bytes >= 0,
        config_line: format!(
            "\"layers\": {}",
            serde_json::to_string(&layers).unwrap_or_default()
        ),
    })
}

/// The budget with `removed` bytes gone from whichever zip carries the
/// dependencies, and `layer` attached.
fn budget_with(input: &SuggestInput<'_>, removed: u64, layer: &PublicLayer) -> Budget {
    let b = input.budget;
    let mut function = b.function_unzipped_bytes;
    let mut usages: Vec<LayerUsage> = b
        .layers
        .iter()
        .map(|l| LayerUsage {
            arn: l.arn.clone(),
            unzipped_bytes: l.unzipped_bytes,
            approximate: l.approximate,
        })
        .collect();
    match usages.first_mut() {
        Some(managed) if input.deps_in_managed_layer => {
            managed.unzipped_bytes = managed.unzipped_bytes.map(|u| u.saturating_sub(removed));
        }
        _ => function = function.saturating_sub(removed),
    }
    usages.push(LayerUsage {
        arn: layer.arn.to_string(),
        unzipped_bytes: layer.manifest.known_size(),
        approximate: layer.manifest.size_approximate,
    });
    Budget::compute(function, 0, &usages)
}

/// The `n` biggest shipped packages.
fn largest(shipped: &[ShippedPackage], n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = shipped.iter().map(|p| (p.name.clone(), p.bytes)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// The resolver's explanation, short: the "X is fixed at V by the layer,
/// but: <requirement>" part when there is one, without hints (they are about
/// an attached layer, `--allow-shadow` would not apply to a suggestion).
fn conflict_reason(explanation: &str, arn: &str) -> String {
    let lines: Vec<&str> = explanation
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    let start = lines.iter().position(|l| l.contains(" is fixed at "));
    let kept = match start {
        Some(i) => &lines[i..],
        None => &lines[..],
    };
    kept.join(" ")
        .replace(&format!("the layer {arn}"), "the layer")
        .replace(arn, "the layer")
}

/// A multi-line explanation on one line.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;
    use crate::layers::{Catalogue, LayerSetInput};
    use crate::resolver::{ExcludeReason, Excluded, ResolvedPackage};
    use crate::target::{Arch, PythonVersion};

    fn empty_set(target: LambdaTarget) -> LayerSet {
        LayerSet::build(LayerSetInput {
            attached: &[],
            user_manifests: &Default::default(),
            runtime_provided: false,
            target,
            catalogue: Catalogue::embedded(),
        })
        .unwrap()
    }

    fn shipped(name: &str, bytes: u64) -> ShippedPackage {
        ShippedPackage {
            name: name.into(),
            version: "1".into(),
            bytes,
        }
    }

    /// A resolution that ships `keep` and says the newest layer provides pandas.
    fn resolution(keep: &[&str], layers: &LayerSet) -> Resolution {
        let arn = layers.layers.last().unwrap().entry.clone();
        Resolution {
            packages: keep
                .iter()
                .map(|n| ResolvedPackage {
                    name: n.to_string(),
                    version: None,
                    extras: vec![],
                    required_by: vec![],
                    origin: PackageOrigin::Index,
                })
                .collect(),
            excluded: vec![Excluded {
                name: "pandas".into(),
                version: None,
                reason: ExcludeReason::Layer,
                provided_by: Some(arn),
                required_by: vec![],
            }],
            warnings: vec![],
        }
    }

    #[test]
    fn tight_means_over_or_under_ten_percent_headroom() {
        let tenth = LAMBDA_UNZIPPED_LIMIT / 10;
        assert!(!budget_is_tight(&Budget::compute(
            LAMBDA_UNZIPPED_LIMIT - tenth,
            0,
            &[]
        )));
        assert!(budget_is_tight(&Budget::compute(
            LAMBDA_UNZIPPED_LIMIT - tenth + 1,
            0,
            &[]
        )));
        assert!(budget_is_tight(&Budget::compute(
            LAMBDA_UNZIPPED_LIMIT + 1,
            0,
            &[]
        )));
    }

    #[test]
    fn saves_from_the_managed_layer_with_automatic_layer() {
        let target = LambdaTarget::new(PythonVersion::new(3, 13), Arch::Arm64);
        let common = empty_set(target);
        let managed = LayerUsage {
            arn: "managed-layer (layer-deployment.zip)".into(),
            unzipped_bytes: Some(200_000_000),
            approximate: false,
        };
        let budget = Budget::compute(1_000, 0, &[managed]);
        let input = SuggestInput {
            trigger: "on-demand",
            target,
            region: None,
            attached: &[],
            shipped: vec![shipped("pandas", 150_000_000), shipped("six", 10)],
            budget: &budget,
            deps_in_managed_layer: true,
            common_layers: &common,
        };
        let s = suggest(&input, &|l| Ok(resolution(&["six"], l)));
        assert!(s.region_assumed && s.region == ASSUMED_REGION);
        assert_eq!(s.suggested.len(), 1, "{s:#?}");
        let c = &s.suggested[0];
        assert_eq!(
            c.arn,
            "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python313-Arm64:14"
        );
        assert_eq!(c.removes_bytes, 150_000_000);
        // function 1,000 + managed 50,000,000 + the layer 175,112,192.
        assert_eq!(c.total_bytes, 1_000 + 50_000_000 + 175_112_192);
        assert_eq!(c.removed, ["pandas"]);
    }

    #[test]
    fn nothing_to_save_and_too_many_layers_are_not_suggested() {
        let target = LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64);
        let common = empty_set(target);
        let budget = Budget::compute(10, 0, &[]);
        let region = Some(Region {
            name: "eu-west-1".into(),
            source: RegionSource::Env("AWS_REGION"),
        });
        let mut input = SuggestInput {
            trigger: "on-demand",
            target,
            region,
            attached: &[],
            shipped: vec![shipped("six", 10)],
            budget: &budget,
            deps_in_managed_layer: false,
            common_layers: &common,
        };
        let s = suggest(&input, &|l| Ok(resolution(&["six"], l)));
        assert!(s.suggested.is_empty());
        assert_eq!(
            s.not_suggested.len(),
            2,
            "eu-west-1 knows two versions with contents (3.16.1, 3.17.0)"
        );
        assert!(s.not_suggested[0].reason.contains("none of the packages"));
        let five: Vec<String> = (1..=5)
            .map(|i| format!("arn:aws:lambda:eu-west-1:123456789012:layer:l{i}:1"))
            .collect();
        input.attached = &five;
        let s = suggest(&input, &|l| Ok(resolution(&[], l)));
        assert!(s.not_suggested[0].reason.contains("at most 5"), "{s:#?}");
        assert_eq!(
            largest(&[shipped("a", 1), shipped("b", 2)], 1),
            [("b".to_string(), 2)]
        );
    }
}

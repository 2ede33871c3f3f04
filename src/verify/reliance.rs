//! What the artifact relies on that `verify` cannot import here: packages
//! grail kept out of the zip because an attached layer (whose archive grail
//! does not have) or the Lambda runtime's own `/var/runtime` provides them.
//! They come from the packaging plan, so `grail package --verify` lists
//! every one, not only those an import happened to reach.
//!
//! ```
//! use grail::report::ExcludedEntry;
//! use grail::resolver::ExcludeReason;
//! use grail::verify::reliance::{reliances, Provider};
//! let layer = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";
//! let excluded = vec![
//!     ExcludedEntry {
//!         name: "requests".into(),
//!         version: Some("2.32.3".into()),
//!         reason: ExcludeReason::Layer,
//!         provided_by: Some(layer.into()),
//!         saved_bytes: 0,
//!     },
//!     ExcludedEntry {
//!         name: "urllib3".into(),
//!         version: Some("2.2.3".into()),
//!         reason: ExcludeReason::OnlyNeededByExcluded,
//!         provided_by: Some("requests".into()),
//!         saved_bytes: 0,
//!     },
//! ];
//! let r = reliances(&excluded, &Default::default());
//! assert_eq!(r[0].provider, Provider::Layer(layer.into()));
//! // The layer strips urllib3: on Lambda it is the runtime's.
//! assert_eq!(r[1].provider, Provider::Runtime);
//! assert!(r[1].note.contains("needed by requests, which the layer provides without it"));
//! ```
//!
//! For `runtime-for-layer` the entry's `provided_by` is `runtime`; the
//! layer packages that need the package come from the plan's `required_by`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::layers::RUNTIME_PACKAGES;
use crate::report::ExcludedEntry;
use crate::resolver::ExcludeReason;

/// Who provides a package on Lambda.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// An attached layer, by ARN.
    Layer(String),
    /// The runtime's `/var/runtime`.
    Runtime,
    /// Nothing grail knows of: the package is needed only by a layer's
    /// package, and neither that layer (per its manifest) nor the runtime
    /// ships it.
    Nobody,
}

/// One package the artifact relies on without shipping it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reliance {
    /// Normalised name. Ex) `urllib3`
    pub package: String,
    /// The version the provider has, when known.
    pub version: Option<String>,
    /// Who provides it on Lambda.
    pub provider: Provider,
    /// Who needs it, and why it is expected there.
    pub note: String,
}

/// The reliances of a packaging plan's exclusions (`exclude_packages`
/// aside: the user chose to drop those). `required_by` is the plan's (who
/// needs each package): it names the layer packages a `runtime-for-layer`
/// package is there for.
pub fn reliances(
    excluded: &[ExcludedEntry],
    required_by: &BTreeMap<String, Vec<String>>,
) -> Vec<Reliance> {
    excluded
        .iter()
        .filter_map(|e| {
            // For `only-needed-by-excluded`, `provided_by` is the excluded
            // package that needs it.
            let needed_by = format!(
                "needed by {}",
                e.provided_by.as_deref().unwrap_or("an excluded package")
            );
            let (provider, note) = match e.reason {
                ExcludeReason::Layer => (
                    Provider::Layer(e.provided_by.clone().unwrap_or_default()),
                    String::new(),
                ),
                ExcludeReason::Runtime => (Provider::Runtime, String::new()),
                // `provided_by` is "runtime" here: the layer packages that
                // need it are the plan's `required_by`.
                ExcludeReason::RuntimeForLayer => (
                    Provider::Runtime,
                    format!(
                        "needed by {}, which the layer provides without it",
                        layer_parents(required_by, &e.name)
                    ),
                ),
                ExcludeReason::OnlyNeededByExcluded if is_runtime_package(&e.name) => (
                    Provider::Runtime,
                    format!("{needed_by}, which the layer provides without it"),
                ),
                ExcludeReason::OnlyNeededByExcluded => (
                    Provider::Nobody,
                    format!(
                        "{needed_by} as resolved without exclusions; neither the provider of \
                         that (per its manifest) nor the runtime ships {}",
                        e.name
                    ),
                ),
                ExcludeReason::ExcludePackages => return None,
            };
            // The runtime's version is not the one resolution picked.
            let version = match provider {
                Provider::Runtime => None,
                _ => e.version.clone(),
            };
            Some(Reliance {
                package: e.name.clone(),
                version,
                provider,
                note,
            })
        })
        .collect()
}

/// The packages needing `name`, for a note. Ex) `pandas, python-dateutil`
pub fn layer_parents(required_by: &BTreeMap<String, Vec<String>>, name: &str) -> String {
    match required_by.get(name).filter(|p| !p.is_empty()) {
        Some(parents) => parents.join(", "),
        None => "layer packages".to_string(),
    }
}

/// boto3, urllib3, …: what every Lambda Python runtime's `/var/runtime` has.
fn is_runtime_package(name: &str) -> bool {
    RUNTIME_PACKAGES.iter().any(|(n, _)| *n == name)
}

/// The human lines: one per provider, packages with versions.
pub fn render(relies: &[Reliance]) -> String {
    let mut s = String::new();
    let mut layers: Vec<&str> = Vec::new();
    for r in relies {
        if let Provider::Layer(arn) = &r.provider {
            if !layers.contains(&arn.as_str()) {
                layers.push(arn);
            }
        }
    }
    let named = |r: &Reliance| match &r.version {
        Some(v) => format!("{} {v}", r.package),
        None => r.package.clone(),
    };
    for arn in layers {
        let names: Vec<String> = relies
            .iter()
            .filter(|r| r.provider == Provider::Layer(arn.to_string()))
            .map(named)
            .collect();
        s.push_str(&format!(
            "  relies on layer {arn} (not verified: grail does not have its archive): {}\n",
            names.join(", ")
        ));
    }
    for (provider, head) in [
        (
            Provider::Runtime,
            "relies on the runtime's own packages (/var/runtime, not verified)",
        ),
        (
            Provider::Nobody,
            "needed by a layer's package but provided by nothing grail knows",
        ),
    ] {
        let names: Vec<String> = relies
            .iter()
            .filter(|r| r.provider == provider)
            .map(|r| match r.note.as_str() {
                "" => named(r),
                note => format!("{} ({note})", named(r)),
            })
            .collect();
        if !names.is_empty() {
            s.push_str(&format!("  {head}: {}\n", names.join("; ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime_for_layer(name: &str) -> ExcludedEntry {
        ExcludedEntry {
            name: name.into(),
            version: None,
            reason: ExcludeReason::RuntimeForLayer,
            provided_by: Some("runtime".into()),
            saved_bytes: 0,
        }
    }

    #[test]
    fn a_runtime_for_layer_package_names_the_layer_packages_needing_it() {
        let required_by = BTreeMap::from([(
            "urllib3".to_string(),
            vec!["botocore".to_string(), "requests".to_string()],
        )]);
        let r = reliances(
            &[runtime_for_layer("urllib3"), runtime_for_layer("six")],
            &required_by,
        );
        assert_eq!(r[0].provider, Provider::Runtime);
        assert_eq!(
            r[0].note,
            "needed by botocore, requests, which the layer provides without it"
        );
        // Nothing recorded: the generic words, never an empty list.
        assert_eq!(
            r[1].note,
            "needed by layer packages, which the layer provides without it"
        );
        assert!(render(&r).contains("urllib3 (needed by botocore, requests, which"));
    }
}

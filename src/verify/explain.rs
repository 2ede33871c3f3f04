//! grail's explanation of a failed import: which distribution it belongs
//! to, and whether an attached layer or the runtime was expected to provide
//! the missing module (then it is *not verified*: grail has no archive for
//! the layer, and no copy of the runtime's `/var/runtime`).

use super::interpreter::Found;
use super::run::{RawFailure, RawOutcome};
use super::{Outcome, VerifyFailure};
use crate::layers::{LayerSet, RUNTIME_PACKAGES};
use crate::target::Arch;

/// What the attached layers and the runtime provide, by import name.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    /// `(layer ARN, import roots it provides)`; an empty list means grail
    /// does not know the layer's contents.
    pub layers: Vec<(String, Vec<String>)>,
    /// The target's machine. Ex) `x86_64`
    pub machine: String,
}

impl Expectations {
    /// What each attached layer provides, by import root; a layer without
    /// a manifest provides "unknown" (an empty list).
    pub fn from_layers(layers: &LayerSet, arch: Arch) -> Expectations {
        Expectations {
            machine: arch.machine().to_string(),
            layers: layers
                .layers
                .iter()
                .map(|l| {
                    let roots = l
                        .manifest
                        .iter()
                        .flat_map(|m| m.packages.iter())
                        .flat_map(|p| p.top_level.iter().cloned())
                        .collect();
                    (l.entry.clone(), roots)
                })
                .collect(),
        }
    }
}

/// Sort the bridge's failures into failures and not-verified, explained.
pub fn explain(raw: RawOutcome, py: &Found, exp: &Expectations) -> Outcome {
    let mut failures = Vec::new();
    let mut not_verified = Vec::new();
    let mut package_own = Vec::new();
    for f in raw.failures {
        let root = f
            .missing
            .as_deref()
            .map(|m| m.split('.').next().unwrap_or(m).to_string());
        // What the zip ships shadows the layers and the runtime.
        let provider = root
            .as_deref()
            .filter(|_| !f.missing_shipped)
            .and_then(|r| provider(r, exp));
        let own = f.own.clone().filter(|_| provider.is_none());
        let (explanation, expected) = match (&root, provider, &own) {
            (_, Some(p), _) => (p, true),
            (_, None, Some(why)) => (why.clone(), false),
            (Some(r), None, None) => (missing_explanation(&f, r, exp), false),
            (None, None, None) => (own_explanation(&f, exp), false),
        };
        let entry = VerifyFailure {
            module: f.module,
            distribution: f.distribution,
            stage: f.stage,
            exception: f.exception,
            explanation,
        };
        if expected {
            not_verified.push(entry);
        } else if own.is_some() {
            package_own.push(entry);
        } else {
            failures.push(entry);
        }
    }
    Outcome {
        interpreter: py.describe(),
        imported: raw.imported,
        routes: raw
            .routes
            .iter()
            .map(|r| match r.status {
                Some(s) => format!("{} -> {s}", r.route),
                None => format!("{} -> no status", r.route),
            })
            .collect(),
        failures,
        not_verified,
        package_own,
        relies_on: Vec::new(),
    }
}

/// Who would provide import root `root` on Lambda, if grail knows.
fn provider(root: &str, exp: &Expectations) -> Option<String> {
    for (arn, roots) in &exp.layers {
        if roots.iter().any(|r| r == root) {
            return Some(format!(
                "relies on layer {arn} (not verified: grail does not have its archive)"
            ));
        }
    }
    RUNTIME_PACKAGES
        .iter()
        .find(|(_, import)| *import == root)
        .map(|(name, _)| {
            format!("{name} is provided by the runtime (/var/runtime) (not verified here)")
        })
}

/// A module that nothing shipped or expected provides.
fn missing_explanation(f: &RawFailure, root: &str, exp: &Expectations) -> String {
    if f.missing_shipped {
        let missing = f.missing.as_deref().unwrap_or(root);
        return format!(
            "`{missing}` is not in the shipped `{root}` (its version lacks it; Lambda imports \
             the zip's copy first)"
        );
    }

    let whose = match &f.distribution {
        Some(d) => format!("{d} (shipped) imports `{root}`"),
        None => format!("`{}` imports `{root}`", f.module),
    };
    let unknown: Vec<&str> = exp
        .layers
        .iter()
        .filter(|(_, roots)| roots.is_empty())
        .map(|(a, _)| a.as_str())
        .collect();
    if unknown.is_empty() {
        format!("{whose}, which is not in the zip, an attached layer or the runtime")
    } else {
        format!(
            "{whose}, which is not in the zip; it may come from layer {} (not verified: grail \
             does not know its contents)",
            unknown.join(", ")
        )
    }
}

/// A failure that is not a missing module: the package's own, or a
/// binary built for another platform.
fn own_explanation(f: &RawFailure, exp: &Expectations) -> String {
    let e = &f.exception;
    let whose = f
        .distribution
        .as_deref()
        .map(|d| format!("in {d}: "))
        .unwrap_or_default();
    if let Some(b) = &f.binary {
        let machine = b.machine.as_deref().unwrap_or("an unknown machine");
        if machine != exp.machine {
            return format!(
                "{whose}{} is built for {machine}, but the target runs {}",
                b.path, exp.machine
            );
        }
    }
    if e.contains("wrong ELF class")
        || e.contains("cannot open shared object") && e.contains("ELF")
        || e.contains("invalid ELF header")
        || e.contains("exec format")
    {
        format!("{whose}a compiled extension is built for another architecture or platform")
    } else if e.contains("partially initialized module") {
        "a circular import: a module imports a name from one that is still being imported".into()
    } else if e.contains("GLIBC_") {
        format!("{whose}a compiled extension needs a newer glibc than Lambda's")
    } else if f.stage == "handler" {
        "the handler raised".to_string()
    } else {
        format!("{whose}the module raised while importing")
    }
}

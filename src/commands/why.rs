//! `grail why PACKAGE`: which requirement chain pulled a package in, its
//! version, where it comes from (the zip, a layer, vendor/, the runtime, or
//! kept out) and what it costs in bytes.
//!
//! It runs the same analysis as `grail package` (resolution, layers,
//! downloads into the cache) and writes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use crate::budget::group_digits;
use crate::commands::package::{analyze, Analysis};
use crate::layers::LambdaRuntime;
use crate::options::WhyOptions;
use crate::report::ExcludedEntry;
use crate::resolver::ExcludeReason;
use crate::target::LambdaTarget;
use crate::ui::Ui;

/// `grail why PACKAGE`: which requirement chain pulled it in, its version,
/// where it comes from and what it costs.
pub fn run(project_dir: &Path, args: &WhyOptions, ui: &Ui) -> crate::error::Result<()> {
    let quiet_ui = Ui { quiet: true, ..*ui };
    let a = analyze(project_dir, &args.build, &quiet_ui, &[])?;
    let name = crate::names::normalize(&args.package);
    let mut out = explain(&a, &name);
    let chains = why_chains(&a.deps.required_by, &name);
    if !chains.is_empty() {
        out.push_str("  required by:\n");
        for c in chains {
            out.push_str(&format!("    {c}\n"));
        }
    }
    print!("{}", crate::secrets::redact_text(&out));
    Ok(())
}

/// Where `name` comes from and what it costs: shipped from the index, kept
/// out, shipped from vendor/, or not needed at all.
fn explain(a: &Analysis, name: &str) -> String {
    let target = a.ctx.target;
    // With automatic_layer, dependencies ship in the managed layer.
    let zip = if a.ctx.automatic_layer {
        "layer-deployment.zip"
    } else {
        "deployment.zip"
    };
    if let Some(w) = a.deps.wheels.iter().find(|w| w.name == name) {
        let chosen = match a.deps.not_built.iter().find(|n| n.name == name) {
            Some(n) => format!(
                "the newest version that could be installed: {}",
                n.explanation(&target.to_string())
            ),
            None if w.source == crate::report::WheelSource::SdistBuild => format!(
                "the newest version allowed by every requirement; it has no wheel for {target}, so it was built from its sdist, as pip does"
            ),
            None => format!("the newest version allowed by every requirement that has a wheel for {target}"),
        };
        format!(
            "{name} {}: shipped in {zip} ({} bytes unzipped)\n  from: {} ({})\n  chosen: {chosen}\n",
            w.version,
            group_digits(w.archive.unzipped_bytes()),
            w.archive.filename,
            w.source.as_str(),
        )
    } else if let Some(e) = a.deps.excluded.iter().find(|e| e.name == name) {
        explain_excluded(name, e, a, target)
    } else if let Some(w) = a
        .vendor_wheels
        .iter()
        .find(|w| w.filename.normalized_name() == name)
    {
        format!(
            "{name} {}: shipped from vendor/{} ({} bytes unzipped); vendor/ is the user's choice and is never resolved\n",
            w.filename.version,
            w.filename,
            group_digits(w.unzipped_bytes())
        )
    } else if let Some(p) = a
        .ctx
        .sources
        .vendor_packages
        .iter()
        .find(|p| p.name == name)
    {
        format!(
            "{name} {}: shipped from vendor/{} ({} bytes unzipped)\n",
            p.version,
            p.dist_info,
            group_digits(p.unzipped_bytes)
        )
    } else {
        format!(
            "{name} is not part of the package for {target}: nothing in requirements.txt needs it\n"
        )
    }
}

/// Why a package is kept out, and what that saves.
fn explain_excluded(name: &str, e: &ExcludedEntry, a: &Analysis, target: LambdaTarget) -> String {
    let layers = &a.layers;
    let by = || e.provided_by.clone().unwrap_or_default();
    let what = match e.reason {
        ExcludeReason::Layer => match layers.provider_note(&by()) {
            Some(note) => format!("provided by layer {} ({note})", by()),
            None => format!("provided by layer {}", by()),
        },
        ExcludeReason::Runtime => "provided by the Lambda runtime (runtime_provided)".to_string(),
        ExcludeReason::ExcludePackages => {
            "named in exclude_packages (.chalice/config.json)".to_string()
        }
        ExcludeReason::OnlyNeededByExcluded => {
            format!("only needed by packages that are not shipped ({})", by())
        }
        ExcludeReason::RuntimeForLayer => {
            let parents = crate::verify::reliance::layer_parents(&a.deps.required_by, name);
            return runtime_for_layer(name, e, target, &parents);
        }
    };
    format!(
        "{name} {}: not shipped: {what}\n  saves: {} bytes unzipped{}\n",
        e.version
            .clone()
            .unwrap_or_else(|| "(any version)".to_string()),
        group_digits(e.saved_bytes),
        if e.saved_bytes == 0 {
            " (size unknown)"
        } else {
            ""
        },
    )
}

/// A package only layer packages need, which Lambda imports from the
/// runtime (after the zip and the layers): its known floor, or "version
/// unknown".
fn runtime_for_layer(name: &str, e: &ExcludedEntry, target: LambdaTarget, parents: &str) -> String {
    let runtime = LambdaRuntime::for_python(target.python);
    let version = runtime
        .get(name)
        .map_or("version unknown".to_string(), |p| p.version_text());
    format!(
        "{name}: not shipped: provided by {}, {version}; only layer packages need it ({parents}) and no attached layer has it\n  saves: {} bytes unzipped{}\n",
        runtime.label(),
        group_digits(e.saved_bytes),
        if e.saved_bytes == 0 {
            " (size unknown)"
        } else {
            ""
        },
    )
}

/// Every path from the requirements file down to `name`, rendered
/// `requirements.txt → a → b → name`; at most 10, shortest first.
fn why_chains(required_by: &BTreeMap<String, Vec<String>>, name: &str) -> Vec<String> {
    let mut done: Vec<Vec<String>> = Vec::new();
    let mut stack: Vec<Vec<String>> = vec![vec![name.to_string()]];
    while let Some(path) = stack.pop() {
        if done.len() >= 10 {
            break;
        }
        let head = &path[path.len() - 1];
        let parents = required_by.get(head).cloned().unwrap_or_default();
        if parents.is_empty() {
            // A lone name is no chain: nothing requires the package.
            if path.len() > 1 {
                done.push(path);
            }
            continue;
        }
        for p in parents {
            if path.contains(&p) {
                continue;
            }
            let mut next = path.clone();
            next.push(p);
            stack.push(next);
        }
    }
    done.sort_by_key(|p| (p.len(), p.clone()));
    done.into_iter()
        .map(|mut p| {
            p.reverse();
            p.iter()
                .map(|s| {
                    if s.starts_with('<') {
                        s.trim_matches(|c| c == '<' || c == '>').to_string()
                    } else {
                        s.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect()
}

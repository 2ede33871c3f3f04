//! `grail layer fetch ARN… [-o PATH] [--profile P] [--keep-archive DIR]`:
//! ask AWS Lambda for layer versions, scan their archives and write their
//! grail-layer-manifest/1 manifests (see [`crate::layers::fetch`]).
//!
//! One ARN: its manifest goes to stdout, or to the file `-o` names. Several:
//! a JSON array of manifests to stdout, or one `<name>-<version>.json` per
//! layer in the directory `-o` names. Every manifest is also cached, so
//! `grail package` finds it without asking AWS again.

use std::path::Path;

use crate::error::{Context, ExitKind, Kind, Result};
use crate::layers::fetch::{fetch_layer, Chain, FetchRequest, Fetched};
use crate::layers::LayerArn;
use crate::options::FetchOptions;

/// `grail layer fetch`.
pub fn run(args: &FetchOptions) -> Result<()> {
    let arns = args
        .arns
        .iter()
        .map(|a| {
            a.parse::<LayerArn>()
                .kind(ExitKind::Usage)
                .with_context(|| format!("{a:?}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let request = FetchRequest {
        profile: args.profile.clone(),
        cache_dir: args.cache_dir.clone(),
        keep_archive: args.keep_archive.clone(),
        chain: Chain::Standard,
    };
    let mut fetched = Vec::new();
    for arn in &arns {
        let f = fetch_layer(arn, &request)?;
        for w in &f.warnings {
            eprintln!("warning: {arn}: {w}");
        }
        eprintln!("{}", summary(&f));
        fetched.push(f);
    }
    write_output(&fetched, args.output.as_deref())
}

/// The one line said for each layer.
fn summary(f: &Fetched) -> String {
    let how = if f.from_cache {
        "from the cache".to_string()
    } else {
        format!(
            "downloaded {} bytes, sha256 verified",
            crate::budget::group_digits(f.code_size)
        )
    };
    let kept = f
        .archive
        .as_ref()
        .map(|p| format!("; archive kept at {}", p.display()))
        .unwrap_or_default();
    format!(
        "{}: {} packages, {} bytes unzipped ({how}{kept}).",
        f.arn,
        f.manifest.packages.len(),
        crate::budget::group_digits(f.manifest.unzipped_bytes)
    )
}

fn write_output(fetched: &[Fetched], output: Option<&Path>) -> Result<()> {
    match (fetched, output) {
        ([one], None) => print!("{}", one.manifest.to_json()),
        ([one], Some(path)) => write_file(path, &one.manifest.to_json())?,
        (many, None) => {
            let values: Vec<serde_json::Value> = many
                .iter()
                .filter_map(|f| serde_json::from_str(&f.manifest.to_json()).ok())
                .collect();
            let text = serde_json::to_string_pretty(&values).unwrap_or_default();
            println!("{text}");
        }
        (many, Some(dir)) => {
            for f in many {
                let name = format!("{}-{}.json", f.arn.name, f.arn.version);
                write_file(&dir.join(name), &f.manifest.to_json())?;
            }
        }
    }
    Ok(())
}

/// [`super::layer_scan::write_manifest`], then say so.
fn write_file(path: &Path, text: &str) -> Result<()> {
    super::layer_scan::write_manifest(path, text)?;
    eprintln!("Wrote {}.", path.display());
    Ok(())
}

//! `grail layer show ARN [--layer-manifest FILE] [--json] [--cache-dir DIR]`:
//! what grail knows about one layer version and where that knowledge comes
//! from.
//!
//! Sources, strongest first: a manifest the user gives (a scan or a fetch),
//! then a manifest `grail layer fetch` (or `package --fetch-layers`) cached
//! for this very ARN (exact: scanned from the archive AWS Lambda serves),
//! then the built-in data (the pandas catalogue, the Powertools and Klayers
//! families). The family, release, target and account check always come
//! from the built-in data, so a manifest does not hide a look-alike ARN.
//! Nothing here contacts AWS: the cache is only read.

use std::path::Path;

use serde_json::{json, Value};

use crate::error::{ExitKind, Kind, Result};
use crate::layers::fetch::{cached_fetch, Fetched};
use crate::layers::{identify, Contents, Identified, LayerArn, LayerManifest};
use crate::options::ShowOptions;

/// The `schema` value of `grail layer show --json`.
pub const SHOW_SCHEMA: &str = "grail-layer-show/1";

/// A manifest that describes the layer better than the built-in data.
#[derive(Clone, Copy, Debug)]
pub enum Evidence<'a> {
    /// `--layer-manifest FILE`.
    Given {
        /// The manifest.
        manifest: &'a LayerManifest,
        /// Its file.
        path: &'a Path,
    },
    /// A fetch of this ARN found in the cache.
    Fetched(&'a Fetched),
}

/// `grail layer show ARN`: prints text, or JSON with `--json`.
pub fn run(args: &ShowOptions) -> Result<()> {
    let arn: LayerArn = args.arn.parse().kind(ExitKind::Usage)?;
    let given = args
        .manifest
        .as_deref()
        .map(LayerManifest::load)
        .transpose()?;
    // A given manifest wins; only without one is the cache worth reading.
    let fetched = match given {
        Some(_) => None,
        None => cached_fetch(&arn, args.cache_dir.as_deref()),
    };
    let evidence = match (&given, &args.manifest, &fetched) {
        (Some(manifest), Some(path), _) => Some(Evidence::Given { manifest, path }),
        (_, _, Some(f)) => Some(Evidence::Fetched(f)),
        _ => None,
    };
    let view = describe(&arn, identify(&arn).as_ref(), evidence);
    if args.json {
        // A Value's alternate Display is pretty JSON and cannot fail.
        println!("{view:#}");
    } else {
        print!("{}", render_text(&view));
    }
    Ok(())
}

/// The description of `arn` as the JSON value `--json` prints.
pub fn describe(arn: &LayerArn, id: Option<&Identified>, evidence: Option<Evidence<'_>>) -> Value {
    let (m, contents, source) = pick_source(id, evidence);
    let (size, bytes) = match m.and_then(LayerManifest::known_size) {
        Some(b) if m.is_some_and(|m| m.size_approximate) => ("approximate", Some(b)),
        Some(b) => ("exact", Some(b)),
        None => ("unknown", None),
    };
    let packages: Vec<Value> = m
        .map(|m| {
            m.packages
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "version": p.version.as_ref().map(ToString::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "schema": SHOW_SCHEMA,
        "arn": arn.to_string(),
        "partition": arn.partition,
        "region": arn.region,
        "account": arn.account,
        "name": arn.name,
        "version": arn.version,
        "family": id.map(|i| json!({"id": i.family, "title": i.title})),
        "release": id.and_then(|i| i.release.clone()),
        "broken": id.and_then(|i| i.broken.clone()),
        "python": m.and_then(|m| m.python).or(id.and_then(|i| i.python))
            .or(arn.hints().python).map(|p| p.to_string()),
        "architecture": m.and_then(|m| m.architecture).or(id.and_then(|i| i.arch))
            .or(arn.hints().arch).map(|a| a.to_string()),
        "account_check": id.map(|i| &i.account),
        "contents": contents,
        "packages": packages,
        "size": size,
        "unzipped_bytes": bytes,
        "size_source": m.and_then(|m| m.size_source.clone()),
        "source": source,
    })
}

/// The manifest to show, how well it knows the contents, and the source
/// as JSON: the user's manifest, else a cached fetch, else the built-in
/// data, else nothing.
fn pick_source<'a>(
    id: Option<&'a Identified>,
    evidence: Option<Evidence<'a>>,
) -> (Option<&'a LayerManifest>, Contents, Value) {
    match evidence {
        Some(Evidence::Given { manifest, path }) => {
            let note = match manifest.provenance {
                crate::layers::Provenance::Scanned => "a layer manifest scanned from the layer zip",
                crate::layers::Provenance::Derived => {
                    "a layer manifest derived from how the layer is built"
                }
            };
            let source =
                json!({"kind": "manifest", "path": path.display().to_string(), "note": note});
            return (Some(manifest), Contents::Exact, source);
        }
        Some(Evidence::Fetched(f)) => {
            let source = json!({
                "kind": "fetched",
                "code_sha256": f.code_sha256,
                "code_size": f.code_size,
                "path": f.manifest_path.display().to_string(),
                "note": "scanned from the archive AWS Lambda serves for this layer version \
                         (`grail layer fetch`), read from the cache",
            });
            return (Some(&f.manifest), Contents::Exact, source);
        }
        None => {}
    }
    match id {
        Some(id) => {
            let builtin = id.usable_manifest();
            let contents = if builtin.is_some() {
                id.contents
            } else {
                Contents::Unknown
            };
            let source = json!({"kind": "builtin", "data_file": id.data_file, "note": id.note});
            (builtin, contents, source)
        }
        None => (
            None,
            Contents::Unknown,
            json!({
                "kind": "none",
                "note": "not a layer family grail knows, no manifest given and none fetched: \
                         fetch it (`grail layer fetch ARN`), or scan the layer \
                         (`grail layer scan LAYER.zip --arn ARN`) and pass it with --layer-manifest",
            }),
        ),
    }
}

/// The human form of [`describe`]'s value.
pub fn render_text(v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("unknown").to_string();
    let mut out = format!("{}\n", s("arn"));
    let family = match &v["family"] {
        Value::Null => "unknown (not a built-in family)".to_string(),
        f => format!(
            "{} ({})",
            f["title"].as_str().unwrap_or(""),
            f["id"].as_str().unwrap_or("")
        ),
    };
    let mut line = |k: &str, val: String| out.push_str(&format!("  {k:<9} {val}\n"));
    line("family:", family);
    line("release:", s("release"));
    if let Some(b) = v["broken"].as_str() {
        line("broken:", b.to_string());
    }
    line(
        "target:",
        format!("python {} / {}", s("python"), s("architecture")),
    );
    line("account:", account_text(v));
    let n = v["packages"].as_array().map_or(0, Vec::len);
    let noun = if n == 1 { "package" } else { "packages" };
    line(
        "contents:",
        format!("{} ({n} {noun})", contents_text(&v["contents"])),
    );
    let size = match v["unzipped_bytes"].as_u64() {
        Some(b) => format!("{} ({})", crate::budget::human_size(b), s("size")),
        None => "unknown".to_string(),
    };
    line("size:", size);
    if let Some(src) = v["size_source"].as_str() {
        line("", format!("size source: {src}"));
    }
    line("source:", source_text(&v["source"]));
    for p in v["packages"].as_array().into_iter().flatten() {
        let version = p["version"].as_str().unwrap_or("(version unknown)");
        out.push_str(&format!(
            "    {} {version}\n",
            p["name"].as_str().unwrap_or("")
        ));
    }
    out
}

fn contents_text(c: &Value) -> &str {
    match c.as_str() {
        Some("names_only") => "names only, versions unknown",
        Some(other) => other,
        None => "unknown",
    }
}

fn account_text(v: &Value) -> String {
    let (account, region) = (
        v["account"].as_str().unwrap_or(""),
        v["region"].as_str().unwrap_or(""),
    );
    let check = &v["account_check"];
    match check["status"].as_str() {
        Some("ok") => format!("{account} publishes this family in {region}"),
        Some("mismatch") => format!(
            "{account} is NOT the publisher in {region} (expected {}): contents not trusted",
            check["expected"].as_str().unwrap_or("")
        ),
        Some("unknown_region") => {
            format!("{account}: the family is not known to be published in {region}")
        }
        _ => format!("{account} (no family to check against)"),
    }
}

fn source_text(src: &Value) -> String {
    let note = src["note"].as_str().unwrap_or("");
    match src["kind"].as_str() {
        Some("builtin") => format!(
            "built-in, {}: {note}",
            src["data_file"].as_str().unwrap_or("")
        ),
        Some("manifest") => format!("{}: {note}", src["path"].as_str().unwrap_or("")),
        Some("fetched") => format!(
            "fetched (CodeSha256 {}): {note}; {}",
            src["code_sha256"].as_str().unwrap_or(""),
            src["path"].as_str().unwrap_or("")
        ),
        _ => format!("none: {note}"),
    }
}

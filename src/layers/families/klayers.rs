//! Klayers: one community layer per PyPI package,
//! `Klayers-p3XX[-arm64]-<package>` (older `Klayers-python3X-<package>`).
//!
//! The versions behind each layer version number are not kept, so a
//! Klayers layer provides its package at an unknown version: a bare
//! requirement is left out of the zip, a version-constrained one is left
//! out with a warning ([`unversioned_constraint_warnings`]).

use super::data::families;
use super::{check_account, AccountCheck, Contents, Identified};
use crate::layers::{LayerArn, LayerManifest, LayerPackage, LayerSet, Provenance};
use crate::layers::{MANIFEST_SCHEMA, RUNTIME_PROVIDER};
use crate::requirements::RequirementsFile;
use crate::target::{Arch, PythonVersion};

const DATA_FILE: &str = "data/klayers.toml";

/// `(python, arch, package)` from a Klayers layer name.
///
/// Ex) `Klayers-p312-arm64-requests` → `(3.12, arm64, "requests")`
fn parse_name(name: &str) -> Option<(PythonVersion, Arch, String)> {
    let k = &families().klayers;
    let rest = name.strip_prefix(&k.name_prefix)?;
    let rest = k.python_tokens.iter().find_map(|t| rest.strip_prefix(t))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let minor: u8 = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix('-')?;
    let (arch, package) = match rest.strip_prefix(&k.arm64_token) {
        Some(p) => (Arch::Arm64, p),
        None => (Arch::X86_64, rest),
    };
    if package.is_empty() {
        return None;
    }
    Some((
        PythonVersion::new(3, minor),
        arch,
        crate::names::normalize(package),
    ))
}

/// A Klayers layer, whatever its account.
pub(super) fn identify(arn: &LayerArn) -> Option<Identified> {
    let k = &families().klayers;
    let (python, arch, package) = parse_name(&arn.name)?;
    let expected = k
        .partitions
        .contains(&arn.partition)
        .then_some(k.account.as_str());
    let mut id = Identified {
        family: k.family.clone(),
        title: k.title.clone(),
        release: None,
        python: Some(python),
        arch: Some(arch),
        account: check_account(arn, expected),
        manifest: None,
        contents: Contents::Unknown,
        broken: None,
        data_file: DATA_FILE,
        note: String::new(),
    };
    if id.account != AccountCheck::Ok {
        id.note = "not published by the Klayers account: grail does not vouch for its contents"
            .to_string();
        return Some(id);
    }
    id.manifest = Some(LayerManifest {
        schema: MANIFEST_SCHEMA.to_string(),
        arn: Some(arn.clone()),
        python: Some(python),
        architecture: Some(arch),
        site_dir: "python".to_string(),
        unzipped_bytes: 0,
        size_approximate: false,
        size_source: None,
        provenance: Provenance::Derived,
        packages: vec![LayerPackage {
            top_level: Vec::new(),
            name: package.clone(),
            version: None,
            unzipped_bytes: None,
        }],
        native_libs: Vec::new(),
    });
    id.contents = Contents::NamesOnly;
    id.note = format!(
        "the layer name says it provides {package} (and its dependencies, not listed); \
         versions and size need a fetched or scanned manifest"
    );
    Some(id)
}

/// Warnings for requirements that constrain the version of a package a
/// layer provides at an unknown version (a Klayers layer without a
/// manifest): grail leaves the package out of the zip on the layer's word,
/// but cannot check the layer's version against the requirement.
pub fn unversioned_constraint_warnings(
    layers: &LayerSet,
    requirements: &RequirementsFile,
) -> Vec<String> {
    let mut out = Vec::new();
    for e in &requirements.requirements {
        let r = &e.requirement;
        if r.version_or_url.is_none() {
            continue;
        }
        let name = crate::names::normalize(r.name.as_ref());
        let Some(p) = layers.provided.get(&name) else {
            continue;
        };
        if p.version.is_some() || p.provided_by == RUNTIME_PROVIDER {
            continue;
        }
        out.push(format!(
            "requirement {r} is left out of the zip because layer {} provides {name}, but grail \
             does not know that layer's {name} version, so it cannot check it meets the \
             requirement: run `grail layer scan` on the layer (or `grail layer fetch`) and pass \
             the manifest with --layer-manifest",
            p.provided_by
        ));
    }
    out
}

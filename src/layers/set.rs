//! The layers attached to one function, with their manifests, what they
//! provide and what to warn about.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pep508_rs::pep440_rs::Version;

use super::{
    identify, runtime_manifest, AccountCheck, Catalogue, Contents, LayerArn, LayerError,
    LayerManifest,
};
use crate::budget::{LayerUsage, SizeItem};
use crate::target::LambdaTarget;

/// Lambda's limit on layers per function.
pub const MAX_LAYERS: usize = 5;

/// The `provided_by` value for packages the runtime ships.
pub const RUNTIME_PROVIDER: &str = "runtime";

/// What `LayerSet::build` needs.
#[derive(Debug)]
pub struct LayerSetInput<'a> {
    /// The function's layer entries, in attach order (config `layers`,
    /// resolved by config.rs with Chalice's precedence). An entry that is not
    /// a layer version ARN (a placeholder, a Terraform or CDK reference, a
    /// malformed ARN) is a warning and a layer of unknown contents and size:
    /// Chalice copies entries into the template without checking them.
    pub attached: &'a [String],
    /// User manifests: ARN → file, already merged (CLI `--layer-manifest`
    /// beats config `layer_manifests`) and resolved to real paths.
    pub user_manifests: &'a BTreeMap<String, PathBuf>,
    /// Config `runtime_provided`.
    pub runtime_provided: bool,
    /// The function's runtime and architecture.
    pub target: LambdaTarget,
    /// Usually [`Catalogue::embedded`].
    pub catalogue: &'a Catalogue,
}

/// Where an attached layer's manifest came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestSource {
    /// A user file. Ex) `.chalice/layers/pandas.json`
    User(PathBuf),
    /// The embedded catalogue, with the upstream release. Ex) `3.17.0`
    Catalogue(String),
    /// Another built-in family (Powertools, Klayers: see [`super::identify`]).
    Family {
        /// Ex) `powertools-python-v3`
        family: String,
        /// Ex) `3.2.0`; `None` when the family does not map versions to releases.
        release: Option<String>,
        /// How well the contents are known (approximate, names only).
        contents: Contents,
    },
    /// None: contents and size unknown.
    Missing,
}

/// One attached layer.
#[derive(Clone, Debug)]
pub struct AttachedLayer {
    /// The entry as written in config. Ex) `${aws_lambda_layer_version.deps.arn}`
    pub entry: String,
    /// Its ARN, when the entry is one; `None` for a layer grail cannot name
    /// (it provides nothing and its size is unknown).
    pub arn: Option<LayerArn>,
    /// Its manifest, when one is known.
    pub manifest: Option<LayerManifest>,
    /// Where `manifest` came from.
    pub source: ManifestSource,
    /// False when the layer is built for another Python or architecture:
    /// its packages then do not count as provided.
    pub usable: bool,
}

impl AttachedLayer {
    /// This layer's line in the size budget.
    pub fn usage(&self) -> LayerUsage {
        let m = self.manifest.as_ref();
        LayerUsage {
            arn: self.entry.clone(),
            unzipped_bytes: m.and_then(LayerManifest::known_size),
            approximate: m.is_some_and(|m| m.size_approximate),
        }
    }
}

impl AttachedLayer {
    /// This layer's rows for the "largest packages" table: one per package
    /// when the manifest has per-package sizes (a scan) plus the rest of the
    /// layer, else one row for the whole layer; nothing when the size is unknown.
    pub fn size_items(&self) -> Vec<SizeItem> {
        let Some(m) = &self.manifest else {
            return Vec::new();
        };
        let Some(total) = m.known_size() else {
            return Vec::new();
        };
        let location = format!("layer {}", self.entry);
        let mut items: Vec<SizeItem> = m
            .packages
            .iter()
            .filter_map(|p| {
                p.unzipped_bytes.map(|bytes| SizeItem {
                    name: p.name.clone(),
                    bytes,
                    location: location.clone(),
                })
            })
            .collect();
        let attributed = items.iter().fold(0u64, |a, i| a.saturating_add(i.bytes));
        let rest = total.saturating_sub(attributed);
        if rest > 0 {
            let name = if items.is_empty() {
                if m.size_approximate {
                    "(whole layer, approximate)"
                } else {
                    "(whole layer)"
                }
            } else {
                "(other layer files)"
            };
            items.push(SizeItem {
                name: name.to_string(),
                bytes: rest,
                location,
            });
        }
        items
    }
}

/// A package something outside the zip provides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provided {
    /// `None` = any version (the runtime's boto3).
    pub version: Option<Version>,
    /// The layer ARN, or [`RUNTIME_PROVIDER`].
    pub provided_by: String,
    /// Import roots.
    pub top_level: Vec<String>,
}

/// The attached layers of a function, resolved against manifests.
#[derive(Clone, Debug)]
pub struct LayerSet {
    /// In attach order.
    pub layers: Vec<AttachedLayer>,
    /// Normalised name → provider. Later layers overwrite earlier ones (Lambda
    /// extracts them in order into /opt), and any layer beats the runtime.
    pub provided: BTreeMap<String, Provided>,
    /// Human-readable warnings, in a stable order.
    pub warnings: Vec<String>,
}

impl LayerSet {
    /// Parse the ARNs, pick each layer's manifest (user file, else the
    /// catalogue), check it fits the target and merge what is provided.
    ///
    /// Errors (exit 1): a `layer_manifests` key that is not a layer version
    /// ARN, an unreadable or invalid manifest file.
    pub fn build(input: LayerSetInput<'_>) -> Result<LayerSet, LayerError> {
        let mut warnings = Vec::new();
        let entries: Vec<(String, Option<LayerArn>)> = input
            .attached
            .iter()
            .map(|s| match s.parse::<LayerArn>() {
                Ok(arn) => (s.clone(), Some(arn)),
                Err(e) => {
                    warnings.push(not_an_arn_warning(s, &e));
                    (s.clone(), None)
                }
            })
            .collect();
        let attached: Vec<LayerArn> = entries.iter().filter_map(|(_, a)| a.clone()).collect();
        let mut user: BTreeMap<LayerArn, PathBuf> = BTreeMap::new();
        for (key, path) in input.user_manifests {
            let arn: LayerArn = key.parse().map_err(|error| LayerError::ManifestKey {
                path: path.clone(),
                error,
            })?;
            if !attached.contains(&arn) {
                warnings.push(format!(
                    "layer manifest {} is for {arn}, which is not attached to the function; ignored",
                    path.display()
                ));
            }
            user.insert(arn, path.clone());
        }
        if entries.len() > MAX_LAYERS {
            warnings.push(format!(
                "{} layers are attached; Lambda allows at most {MAX_LAYERS} per function",
                entries.len()
            ));
        }

        let mut layers = Vec::new();
        for (entry, arn) in entries {
            let Some(arn) = arn else {
                layers.push(AttachedLayer {
                    entry,
                    arn: None,
                    manifest: None,
                    source: ManifestSource::Missing,
                    usable: false,
                });
                continue;
            };
            layers.push(attach(entry, arn, &user, &input, &mut warnings)?);
        }

        let mut provided = BTreeMap::new();
        if input.runtime_provided {
            merge(&mut provided, &runtime_manifest(), RUNTIME_PROVIDER);
        }
        for layer in layers.iter().filter(|l| l.usable) {
            if let Some(m) = &layer.manifest {
                merge(&mut provided, m, &layer.entry);
            }
        }
        Ok(LayerSet {
            layers,
            provided,
            warnings,
        })
    }

    /// This set with one more layer attached last (a candidate that
    /// `grail suggest-layers` weighs): its packages count as provided
    /// over the earlier layers', as Lambda extracts it last.
    pub fn with_layer(&self, layer: AttachedLayer) -> LayerSet {
        let mut set = self.clone();
        if let Some(m) = layer.manifest.as_ref().filter(|_| layer.usable) {
            merge(&mut set.provided, m, &layer.entry);
        }
        set.layers.push(layer);
        set
    }

    /// Every layer's rows for [`crate::budget::render_breakdown`].
    pub fn size_items(&self) -> Vec<SizeItem> {
        self.layers
            .iter()
            .flat_map(AttachedLayer::size_items)
            .collect()
    }

    /// How sure grail is of what layer `entry` provides, when it is less
    /// than a manifest's word: for `grail why`. Ex) `approximate: …`
    pub fn provider_note(&self, entry: &str) -> Option<&'static str> {
        let layer = self.layers.iter().find(|l| l.entry == entry)?;
        match &layer.source {
            ManifestSource::Family {
                contents: Contents::Approximate,
                ..
            } => Some("approximate: the layer's contents are derived, not scanned"),
            ManifestSource::Family {
                contents: Contents::NamesOnly,
                ..
            } => Some("the layer's version of it is unknown until the layer is scanned"),
            _ => None,
        }
    }

    /// The budget lines, in attach order.
    pub fn usages(&self) -> Vec<LayerUsage> {
        self.layers.iter().map(AttachedLayer::usage).collect()
    }
}

/// One attached layer with a valid ARN: its manifest (the user's file, else
/// the catalogue's) and whether it fits the target.
fn attach(
    entry: String,
    arn: LayerArn,
    user: &BTreeMap<LayerArn, PathBuf>,
    input: &LayerSetInput<'_>,
    warnings: &mut Vec<String>,
) -> Result<AttachedLayer, LayerError> {
    let (manifest, source) = if let Some(path) = user.get(&arn) {
        let m = LayerManifest::load(path)?;
        if let Some(other) = m.arn.as_ref().filter(|a| **a != arn) {
            warnings.push(format!(
                "layer manifest {} describes {other} but is given for {arn}; using it for {arn}",
                path.display()
            ));
        }
        (Some(m), ManifestSource::User(path.clone()))
    } else if let Some(hit) = input.catalogue.lookup(&arn) {
        (Some(hit.manifest), ManifestSource::Catalogue(hit.release))
    } else if let Some((m, source)) = family_manifest(&arn, warnings) {
        (Some(m), source)
    } else {
        warnings.push(missing_manifest_warning(input.catalogue, &arn));
        (None, ManifestSource::Missing)
    };
    let usable = match mismatch(&arn, manifest.as_ref(), input.target) {
        Some(w) => {
            warnings.push(w);
            false
        }
        None => true,
    };
    Ok(AttachedLayer {
        entry,
        arn: Some(arn),
        manifest,
        source,
        usable,
    })
}

/// The manifest of a built-in family other than the pandas catalogue, when
/// its contents are at least partly known; an approximate one is a warning.
fn family_manifest(
    arn: &LayerArn,
    warnings: &mut Vec<String>,
) -> Option<(LayerManifest, ManifestSource)> {
    let id = identify(arn)?;
    let m = id.usable_manifest()?.clone();
    if id.contents == Contents::Approximate {
        warnings.push(format!(
            "layer {arn} is {} {}: the packages grail counts as provided are approximate ({}); \
             for exact contents scan the layer (`grail layer scan LAYER.zip --arn {arn}`) and pass \
             the manifest with --layer-manifest",
            id.title,
            id.release.as_deref().unwrap_or("(unknown release)"),
            id.note
        ));
    }
    let source = ManifestSource::Family {
        family: id.family,
        release: id.release,
        contents: id.contents,
    };
    Some((m, source))
}

fn merge(into: &mut BTreeMap<String, Provided>, m: &LayerManifest, by: &str) {
    for p in &m.packages {
        into.insert(
            p.name.clone(),
            Provided {
                version: p.version.clone(),
                provided_by: by.to_string(),
                top_level: p.top_level.clone(),
            },
        );
    }
}

/// The warning for a layer entry that is not a layer version ARN: what
/// Chalice does with it (copies it into the template unchecked) and what
/// grail does (a layer of unknown contents and size).
fn not_an_arn_warning(entry: &str, e: &super::LayerArnError) -> String {
    let what = if entry.trim().starts_with("arn:") {
        format!(
            "is not a valid layer version ARN ({}): Chalice copies it into the template unchecked, \
and Lambda will refuse it at deploy time",
            e.kind
        )
    } else {
        "is not a layer version ARN (a placeholder, or a reference filled in later?): Chalice \
copies it into the template as is"
            .to_string()
    };
    format!(
        "layer {entry:?} in .chalice/config.json {what}; grail cannot tell what it provides or \
its size, so nothing is kept out of the zip for it and the budget counts it as unknown"
    )
}

/// The "no manifest" warning, telling the user how to supply one.
fn missing_manifest_warning(catalogue: &Catalogue, arn: &LayerArn) -> String {
    let identified = identify(arn);
    let why = match (identified, catalogue.family_of(arn)) {
        (Some(id), _) if id.account != AccountCheck::Ok => {
            format!("is named like a layer of {}, but {}", id.title, id.note)
        }
        (Some(id), _) if id.release.is_some() => format!(
            "is {} {}, but grail does not know that release's contents ({})",
            id.title,
            id.release.as_deref().unwrap_or_default(),
            id.note
        ),
        (_, Some(family)) => {
            let known = catalogue.known_versions(arn);
            let known = if known.is_empty() {
                "none for this name and region".to_string()
            } else {
                known
                    .iter()
                    .map(|(v, r)| format!("{v} ({r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "is a {family} layer, but grail's catalogue does not know version {} in {} (known: {known})",
                arn.version, arn.region
            )
        }
        (Some(id), None) => format!("is a layer of {}, but {}", id.title, id.note),
        (None, None) => "has no manifest".to_string(),
    };
    format!(
        "layer {arn} {why}: grail cannot tell which packages it provides (they are bundled) nor its size (the budget counts it as unknown). \
To supply one: `grail layer fetch {arn}` (or `grail package --fetch-layers`) fetches it with your AWS credentials and caches its manifest; \
or download the layer (`aws lambda get-layer-version-by-arn --arn {arn} --query Content.Location --output text` prints a URL), \
run `grail layer scan LAYER.zip --arn {arn} -o layer.json`, then pass `--layer-manifest {arn}=layer.json` \
or add it to \"layer_manifests\" in .chalice/config.json"
    )
}

/// A warning when the layer's Python or architecture (from its manifest,
/// else its name) differs from the function's.
fn mismatch(arn: &LayerArn, m: Option<&LayerManifest>, target: LambdaTarget) -> Option<String> {
    let hints = arn.hints();
    let python = m
        .and_then(|m| m.site_dir_python().or(m.python))
        .or(hints.python);
    let arch = m.and_then(|m| m.architecture).or(hints.arch);
    let py_bad = python.is_some_and(|p| p != target.python);
    let arch_bad = arch.is_some_and(|a| a != target.arch);
    if !py_bad && !arch_bad {
        return None;
    }
    let layer_target = format!(
        "{} ({})",
        python.map_or("python (unknown version)".to_string(), |p| format!(
            "python{p}"
        )),
        arch.map_or("unknown architecture".to_string(), |a| a.to_string())
    );
    Some(format!(
        "layer {arn} is built for {layer_target} but the function runs {target}: \
its compiled packages will not load there, so grail does not count its packages as provided; \
attach the layer built for {target}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, PythonVersion};

    const PANDAS_312: &str =
        "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";

    fn build(
        attached: &[&str],
        user: &[(&str, PathBuf)],
        runtime: bool,
        target: LambdaTarget,
    ) -> Result<LayerSet, LayerError> {
        let attached: Vec<String> = attached.iter().map(|s| s.to_string()).collect();
        let user: BTreeMap<String, PathBuf> = user
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        LayerSet::build(LayerSetInput {
            attached: &attached,
            user_manifests: &user,
            runtime_provided: runtime,
            target,
            catalogue: Catalogue::embedded(),
        })
    }

    fn py312() -> LambdaTarget {
        LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64)
    }

    #[test]
    fn catalogue_layer_provides_pandas() {
        let set = build(&[PANDAS_312], &[], false, py312()).unwrap();
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
        assert_eq!(
            set.layers[0].source,
            ManifestSource::Catalogue("3.17.0".into())
        );
        let pandas = &set.provided["pandas"];
        assert_eq!(pandas.version.as_ref().unwrap().to_string(), "3.0.3");
        assert_eq!(pandas.provided_by, PANDAS_312);
        assert!(!set.provided.contains_key("boto3"));
        let u = set.usages();
        assert_eq!(u[0].unzipped_bytes, Some(175_112_192));
        assert!(u[0].approximate);
        let items = set.size_items();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].name, "(whole layer, approximate)");
        assert_eq!(items[0].location, format!("layer {PANDAS_312}"));
    }

    #[test]
    fn unknown_layer_warns_how_to_supply_a_manifest() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:my-deps:4";
        let set = build(&[arn], &[], false, py312()).unwrap();
        assert_eq!(set.layers[0].source, ManifestSource::Missing);
        assert_eq!(set.usages()[0].unzipped_bytes, None);
        let w = &set.warnings[0];
        for needle in [
            arn,
            "has no manifest",
            "get-layer-version-by-arn",
            "grail layer scan",
            "--layer-manifest",
            "layer_manifests",
        ] {
            assert!(w.contains(needle), "{needle}: {w}");
        }
        // A pandas layer version the catalogue does not know.
        let old = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:20";
        let set = build(&[old], &[], false, py312()).unwrap();
        assert!(
            set.warnings[0].contains("known: 24 (3.16.0), 27 (3.16.1), 29 (3.17.0)"),
            "{}",
            set.warnings[0]
        );
    }

    #[test]
    fn powertools_layer_provides_an_approximate_set() {
        let pt = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3";
        let set = build(&[pt], &[], false, py312()).unwrap();
        assert_eq!(
            set.layers[0].source,
            ManifestSource::Family {
                family: "powertools-python-v3".into(),
                release: Some("3.2.0".into()),
                contents: Contents::Approximate
            }
        );
        let p = &set.provided["aws-lambda-powertools"];
        assert_eq!(p.version.as_ref().unwrap().to_string(), "3.2.0");
        assert_eq!(p.provided_by, pt);
        assert!(set.provided.contains_key("pydantic"));
        assert_eq!(set.warnings.len(), 1);
        assert!(
            set.warnings[0].contains("approximate"),
            "{}",
            set.warnings[0]
        );
        assert_eq!(set.usages()[0].unzipped_bytes, None);
        // The arm64 layer's set is derived too.
        let arm = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:3";
        let arm_target = LambdaTarget::new(PythonVersion::new(3, 12), Arch::Arm64);
        let set = build(&[arm], &[], false, arm_target).unwrap();
        assert_eq!(set.provided["aws-lambda-powertools"].provided_by, arm);
        // python3.8 is known by release only: a missing-manifest warning naming it.
        let py38 = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python38-arm64:3";
        let py38_target = LambdaTarget::new(PythonVersion::new(3, 8), Arch::Arm64);
        let set = build(&[py38], &[], false, py38_target).unwrap();
        assert!(set.provided.is_empty());
        assert!(
            set.warnings[0].contains(
                "is Powertools for AWS Lambda (Python) v3 3.2.0, but grail does not know"
            ),
            "{}",
            set.warnings[0]
        );
    }

    #[test]
    fn klayers_layer_provides_its_package_at_any_version() {
        let k = "arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-requests:21";
        let set = build(&[k], &[], false, py312()).unwrap();
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
        let p = &set.provided["requests"];
        assert_eq!((p.version.as_ref(), p.provided_by.as_str()), (None, k));
        // Built for another Python: not provided.
        let k311 = "arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p311-requests:18";
        let set = build(&[k311], &[], false, py312()).unwrap();
        assert!(set.provided.is_empty());
        assert!(
            set.warnings[0].contains("python3.11"),
            "{}",
            set.warnings[0]
        );
    }

    #[test]
    fn mismatch_names_both_targets() {
        let arm = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python311-Arm64:33";
        let set = build(&[arm], &[], false, py312()).unwrap();
        assert!(!set.layers[0].usable);
        assert!(set.provided.is_empty());
        let w = &set.warnings[0];
        assert!(
            w.contains("python3.11 (arm64)") && w.contains("python3.12 (x86_64)"),
            "{w}"
        );
        // An unknown layer's name is enough to warn.
        let set = build(
            &["arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:4"],
            &[],
            false,
            py312(),
        )
        .unwrap();
        assert_eq!(set.warnings.len(), 2);
        assert!(set.warnings[1].contains("python3.13 (x86_64)"));
    }

    #[test]
    fn user_manifest_beats_catalogue_and_later_layers_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.json");
        let mine = "arn:aws:lambda:us-east-1:123456789012:layer:mine:1";
        std::fs::write(
            &path,
            r#"{"schema": "grail-layer-manifest/1", "site_dir": "python", "provenance": "scanned",
                "unzipped_bytes": 10, "packages": [{"name": "Pandas", "version": "2.0.0"}, {"name": "six", "version": "1.0"}]}"#,
        )
        .unwrap();
        let set = build(&[PANDAS_312, mine], &[(mine, path.clone())], true, py312()).unwrap();
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
        assert_eq!(set.layers[1].source, ManifestSource::User(path.clone()));
        assert_eq!(set.provided["pandas"].provided_by, mine);
        assert_eq!(set.provided["numpy"].provided_by, PANDAS_312);
        // Layers beat the runtime; the runtime fills in the rest, versionless.
        assert_eq!(set.provided["six"].provided_by, mine);
        assert_eq!(set.provided["boto3"].provided_by, RUNTIME_PROVIDER);
        assert_eq!(set.provided["boto3"].version, None);
        // No per-package sizes in this manifest: one row for the whole layer.
        let rows = set.layers[1].size_items();
        assert_eq!(
            (rows[0].name.as_str(), rows[0].bytes),
            ("(whole layer)", 10)
        );

        // A manifest for a layer that is not attached is a warning.
        let set = build(&[PANDAS_312], &[(mine, path)], false, py312()).unwrap();
        assert!(set.warnings[0].contains("not attached"));
    }

    #[test]
    fn entries_that_are_not_arns_are_unknown_layers() {
        // Seen in real configs: a placeholder, a Terraform reference, a CDK
        // token, a CloudFormation object (as JSON text), a malformed ARN.
        let odd = [
            "{{{REPLACE THIS WITH THE LAMBDA LAYER ARN RETURNED BY TERRAFORM}}}",
            "${aws_lambda_layer_version.deps.arn}",
            "${Token[TOKEN.89]}",
            r#"{"Ref":"DepsLayer"}"#,
            "arn:aws:lambda:us-east-1:1:layer:x:1",
        ];
        let set = build(&[&[PANDAS_312][..], &odd[..]].concat(), &[], false, py312()).unwrap();
        assert_eq!(set.layers.len(), 6);
        // The ARN still provides; the others provide nothing.
        assert_eq!(set.provided["pandas"].provided_by, PANDAS_312);
        let usages = set.usages();
        for (i, entry) in odd.iter().enumerate() {
            let l = &set.layers[i + 1];
            assert_eq!((l.entry.as_str(), l.arn.is_none()), (*entry, true));
            assert_eq!(usages[i + 1].arn, *entry);
            assert_eq!(usages[i + 1].unzipped_bytes, None, "{entry}");
            assert!(l.size_items().is_empty());
        }
        // One warning per odd entry, then Lambda's 5-layer limit.
        assert_eq!(set.warnings.len(), 6, "{:#?}", set.warnings);
        assert!(set.warnings[5].contains("6 layers are attached"));
        let placeholder = &set.warnings[0];
        assert!(
            placeholder.contains("{{{REPLACE THIS")
                && placeholder.contains("placeholder")
                && placeholder.contains("as is")
                && placeholder.contains("unknown"),
            "{placeholder}"
        );
        let malformed = &set.warnings[4];
        assert!(
            malformed.contains("account must be 12 digits")
                && malformed.contains("unchecked")
                && malformed.contains("nothing is kept out"),
            "{malformed}"
        );
    }

    #[test]
    fn errors_name_the_input() {
        let err = build(
            &[PANDAS_312],
            &[("pandas", PathBuf::from("p.json"))],
            false,
            py312(),
        )
        .map_err(crate::error::Failure::from)
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("p.json") && err.contains("\"pandas\""),
            "{err}"
        );
        let err = build(
            &[PANDAS_312],
            &[(PANDAS_312, PathBuf::from("/nonexistent/p.json"))],
            false,
            py312(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/nonexistent/p.json"), "{err}");
    }

    #[test]
    fn scanned_layer_gives_per_package_rows() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("vendor-fixtures/layers/sample-layer.zip");
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:sample:3";
        let scanned = crate::layers::scan_layer_zip(&fixture, Some(&arn.parse().unwrap())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.json");
        std::fs::write(&path, scanned.manifest.to_json()).unwrap();
        let set = build(&[arn], &[(arn, path)], false, py312()).unwrap();
        assert!(set.warnings.is_empty(), "{:?}", set.warnings);
        assert_eq!(set.usages()[0].unzipped_bytes, Some(1_002_110));
        let items = set.size_items();
        let numpy = items.iter().find(|i| i.name == "numpy").unwrap();
        assert_eq!(numpy.bytes, 1_000_430);
        let other = items
            .iter()
            .find(|i| i.name == "(other layer files)")
            .unwrap();
        assert_eq!(other.bytes, 18, "lib/libfoo.so.1 + lib/libbar.so");
        let sum: u64 = items.iter().map(|i| i.bytes).sum();
        assert_eq!(sum, 1_002_110);
        let table = crate::budget::render_breakdown(&items, 1);
        assert!(
            table.starts_with("   1  0.95 MiB  numpy  layer arn:aws:lambda"),
            "{table}"
        );
    }
}

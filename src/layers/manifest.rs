//! The `grail-layer-manifest/1` file: what a layer provides and how big it is.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;
use serde::{Deserialize, Serialize};

use super::{LayerArn, LayerError};
use crate::target::{Arch, PythonVersion};

/// The `schema` value of a layer manifest.
pub const MANIFEST_SCHEMA: &str = "grail-layer-manifest/1";

/// Where a manifest's contents come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Read from a real layer zip (`grail layer scan`).
    ///
    /// Ex) `scanned`
    Scanned,
    /// Reconstructed from how the layer is built (the embedded catalogue,
    /// the runtime's boto3 set).
    ///
    /// Ex) `derived`
    Derived,
}

/// One distribution a layer provides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPackage {
    /// PEP 503-normalised name. Ex) `python-dateutil`
    pub name: String,
    /// The exact version; `None` means "provided at any version" (the runtime's boto3).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_str")]
    pub version: Option<Version>,
    /// Import roots. Ex) `["dateutil"]`
    #[serde(default)]
    pub top_level: Vec<String>,
    /// Bytes of this package's files (its import roots and metadata dir),
    /// when scanned; an addition to the contract's example, used for the
    /// "largest packages" table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unzipped_bytes: Option<u64>,
}

/// A layer manifest, schema `grail-layer-manifest/1` (see the CLI contract).
///
/// `unzipped_bytes` is 0 when not known; use [`LayerManifest::known_size`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerManifest {
    /// Always [`MANIFEST_SCHEMA`].
    pub schema: String,
    /// The layer version this describes; absent for a scan without `--arn`.
    #[serde(default, with = "opt_str")]
    pub arn: Option<LayerArn>,
    /// The runtime the layer was built for, when known. Ex) `3.12`
    #[serde(default, with = "opt_str")]
    pub python: Option<PythonVersion>,
    /// Ex) `x86_64`
    #[serde(default, with = "opt_str")]
    pub architecture: Option<Arch>,
    /// Where the packages live in the zip. Ex) `python`, `python/lib/python3.12/site-packages`
    pub site_dir: String,
    /// Sum of the zip's uncompressed entry sizes; 0 = unknown.
    #[serde(default)]
    pub unzipped_bytes: u64,
    /// Scanned or derived.
    pub provenance: Provenance,
    /// Sorted by name, names normalised.
    pub packages: Vec<LayerPackage>,
    /// Shared libraries under `lib/`. Ex) `lib/libxslt.so.1`
    #[serde(default)]
    pub native_libs: Vec<String>,
    /// The size is a reported figure, not a measurement.
    #[serde(default, skip_serializing_if = "is_false")]
    pub size_approximate: bool,
    /// Where an approximate size comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_source: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl LayerManifest {
    /// `Some(bytes)` when the layer's unzipped size is known.
    pub fn known_size(&self) -> Option<u64> {
        (self.unzipped_bytes > 0).then_some(self.unzipped_bytes)
    }

    /// The Python minor version of `site_dir` when it is
    /// `python/lib/python3.X/site-packages` (visible only to that runtime).
    pub fn site_dir_python(&self) -> Option<PythonVersion> {
        site_packages_python(&self.site_dir)
    }

    /// Read and validate a user manifest (`--layer-manifest ARN=PATH`,
    /// config `layer_manifests`). Errors name the file (exit 1).
    pub fn load(path: &Path) -> Result<LayerManifest, LayerError> {
        let text =
            crate::textfile::read_user_text(path).map_err(|source| LayerError::ManifestRead {
                path: path.to_path_buf(),
                source,
            })?;
        Self::from_json(&text).map_err(|message| LayerError::ManifestInvalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parse and validate manifest JSON; the error is a human message
    /// (JSON line/column or the offending field).
    pub fn from_json(text: &str) -> Result<LayerManifest, String> {
        let mut m: LayerManifest = serde_json::from_str(text).map_err(|e| e.to_string())?;
        m.validate()?;
        Ok(m)
    }

    /// Check the invariants a hand-written file may break, and normalise
    /// package names and ordering.
    pub fn validate(&mut self) -> Result<(), String> {
        if self.schema != MANIFEST_SCHEMA {
            return Err(format!(
                "schema is {:?}, expected {MANIFEST_SCHEMA:?}",
                self.schema
            ));
        }
        let site = self.site_dir.trim_end_matches('/').to_string();
        if site != "python" && site_packages_python(&site).is_none() {
            return Err(format!(
                "site_dir {:?} must be \"python\" or \"python/lib/python3.X/site-packages\"",
                self.site_dir
            ));
        }
        if let (Some(dir_py), Some(py)) = (site_packages_python(&site), self.python) {
            if dir_py != py {
                return Err(format!(
                    "site_dir {site:?} is for Python {dir_py} but python is {py}"
                ));
            }
        }
        self.site_dir = site;
        for p in &mut self.packages {
            if p.name.trim().is_empty() {
                return Err("a package has an empty name".to_string());
            }
            p.name = crate::names::normalize(p.name.trim());
        }
        self.packages.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = self.packages.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(format!("package {:?} is listed twice", w[0].name));
        }
        if self.size_approximate && self.unzipped_bytes == 0 {
            return Err("size_approximate is true but unzipped_bytes is 0".to_string());
        }
        self.native_libs.sort();
        self.native_libs.dedup();
        Ok(())
    }

    /// Pretty JSON with a trailing newline, as `grail layer scan -o` writes it.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and lists cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// `python/lib/python3.X/site-packages` → `3.X`.
pub(crate) fn site_packages_python(dir: &str) -> Option<PythonVersion> {
    let rest = dir.strip_prefix("python/lib/python")?;
    let ver = rest.strip_suffix("/site-packages")?;
    let v = PythonVersion::from_str(ver).ok()?;
    (v.to_string() == ver).then_some(v)
}

/// The packages every Lambda Python runtime ships, with their import roots.
pub const RUNTIME_PACKAGES: [(&str, &str); 7] = [
    ("boto3", "boto3"),
    ("botocore", "botocore"),
    ("jmespath", "jmespath"),
    ("python-dateutil", "dateutil"),
    ("s3transfer", "s3transfer"),
    ("six", "six"),
    ("urllib3", "urllib3"),
];

/// What the Lambda Python runtime itself ships (config `runtime_provided`):
/// boto3 and its dependencies, versionless because AWS moves them per
/// runtime update and region. Not a layer: `arn` is `None`, size 0.
pub fn runtime_manifest() -> LayerManifest {
    LayerManifest {
        schema: MANIFEST_SCHEMA.to_string(),
        arn: None,
        python: None,
        architecture: None,
        site_dir: "python".to_string(),
        unzipped_bytes: 0,
        provenance: Provenance::Derived,
        packages: RUNTIME_PACKAGES
            .iter()
            .map(|(name, import)| LayerPackage {
                name: name.to_string(),
                version: None,
                top_level: vec![import.to_string()],
                unzipped_bytes: None,
            })
            .collect(),
        native_libs: Vec::new(),
        size_approximate: false,
        size_source: None,
    }
}

/// serde for `Option<T>` written as a string (or null) through `Display`/`FromStr`.
mod opt_str {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<T: fmt::Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: fmt::Display,
        D: Deserializer<'de>,
    {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => T::from_str(&s).map(Some).map_err(|e| {
                // Not every FromStr error quotes its input; make sure it is there.
                let msg = e.to_string();
                if msg.contains(&s) {
                    serde::de::Error::custom(msg)
                } else {
                    serde::de::Error::custom(format!("{s:?}: {msg}"))
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
      "schema": "grail-layer-manifest/1",
      "arn": "arn:aws:lambda:us-east-1:123456789012:layer:mine:3",
      "python": "3.12", "architecture": "arm64", "site_dir": "python",
      "unzipped_bytes": 1234, "provenance": "scanned",
      "packages": [{"name": "Zeta_Pkg", "version": "1.0", "top_level": ["zeta"]},
                   {"name": "alpha", "version": "2.0.post1"}],
      "native_libs": ["lib/libz.so.1"], "extra_field_from_the_future": 1
    }"#;

    #[test]
    fn parses_and_normalises() {
        let m = LayerManifest::from_json(GOOD).unwrap();
        assert_eq!(m.arn.as_ref().unwrap().name, "mine");
        assert_eq!(m.architecture, Some(Arch::Arm64));
        let names: Vec<_> = m.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta-pkg"]);
        assert_eq!(m.known_size(), Some(1234));
        // Round trip through our own writer.
        let again = LayerManifest::from_json(&m.to_json()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn validation_errors_say_what_is_wrong() {
        let cases = [
            (GOOD.replace("grail-layer-manifest/1", "v2"), "schema"),
            (GOOD.replace("\"2.0.post1\"", "\"two\""), "two"),
            (GOOD.replace("\"3.12\"", "\"twelve\""), "twelve"),
            (GOOD.replace("arm64", "sparc"), "sparc"),
            (
                GOOD.replace(":layer:mine:3", ":layer:mine"),
                "not a layer version",
            ),
            (
                GOOD.replace("\"site_dir\": \"python\"", "\"site_dir\": \"lib\""),
                "site_dir",
            ),
            (
                GOOD.replace(
                    "\"site_dir\": \"python\"",
                    "\"site_dir\": \"python/lib/python3.11/site-packages\"",
                ),
                "Python 3.11",
            ),
            (GOOD.replace("Zeta_Pkg", "ALPHA"), "listed twice"),
            (
                GOOD.replace("\"provenance\": \"scanned\"", "\"provenance\": \"guessed\""),
                "guessed",
            ),
            ("{".to_string(), "EOF"),
        ];
        for (text, needle) in cases {
            let err = LayerManifest::from_json(&text).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, GOOD.replace("grail-layer-manifest/1", "nope")).unwrap();
        let err = LayerManifest::load(&path).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("schema"), "{err}");
        let err = LayerManifest::load(&dir.path().join("missing.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.json"), "{err}");
    }

    #[test]
    fn runtime_manifest_is_versionless() {
        let m = runtime_manifest();
        let names: Vec<_> = m.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "boto3",
                "botocore",
                "jmespath",
                "python-dateutil",
                "s3transfer",
                "six",
                "urllib3"
            ]
        );
        assert!(m.packages.iter().all(|p| p.version.is_none()));
        assert!(m.to_json().contains("\"dateutil\""));
        assert!(!m.to_json().contains("\"version\""));
    }

    #[test]
    fn site_packages_dirs() {
        assert_eq!(
            site_packages_python("python/lib/python3.12/site-packages"),
            Some(PythonVersion::new(3, 12))
        );
        assert_eq!(site_packages_python("python"), None);
        assert_eq!(
            site_packages_python("python/lib/python3.12.1/site-packages"),
            None
        );
    }
}

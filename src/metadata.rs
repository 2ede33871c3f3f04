//! Core metadata (`METADATA` / `PKG-INFO`): the RFC 822-style header block
//! that names a distribution and its dependencies.
//!
//! ```
//! use grail::metadata::CoreMetadata;
//! let text = "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nRequires-Dist: six>=1.0\nRequires-Dist: pytest; extra == 'test'\nRequires-Python: >=3.8\n\nLong description\n";
//! let m = CoreMetadata::parse(text.as_bytes()).unwrap();
//! assert_eq!(m.name, "Foo_Bar");
//! assert_eq!(m.normalized_name(), "foo-bar");
//! assert_eq!(m.version.to_string(), "1.0");
//! assert_eq!(m.requires_dist.len(), 2);
//! ```

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{Requirement, VerbatimUrl};

/// Why a metadata file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// A required header is absent.
    #[error("metadata has no {0} field")]
    Missing(&'static str),
    /// `Version:` is not PEP 440.
    #[error("metadata Version {value:?} is not a valid PEP 440 version: {message}")]
    BadVersion {
        /// The header value.
        value: String,
        /// The parser's explanation.
        message: String,
    },
    /// A `Requires-Dist:` is not PEP 508.
    #[error("metadata Requires-Dist {value:?} is not a valid PEP 508 requirement: {message}")]
    BadRequirement {
        /// The header value.
        value: String,
        /// The parser's explanation.
        message: String,
    },
}

/// The fields of core metadata that packaging decisions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadata {
    /// `Name:` as written (use [`CoreMetadata::normalized_name`] to compare).
    pub name: String,
    /// `Version:`
    pub version: Version,
    /// Every `Requires-Dist:`, markers included.
    pub requires_dist: Vec<Requirement<VerbatimUrl>>,
    /// `Requires-Python:`, if any.
    pub requires_python: Option<VersionSpecifiers>,
    /// Every `Provides-Extra:`.
    pub provides_extra: Vec<String>,
}

impl CoreMetadata {
    /// Parse the header block of a METADATA or PKG-INFO file.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let headers = parse_headers(bytes);
        let get = |key: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        let name = get("Name").ok_or(MetadataError::Missing("Name"))?;
        let version_str = get("Version").ok_or(MetadataError::Missing("Version"))?;
        let version =
            crate::guard::version(&version_str).map_err(|message| MetadataError::BadVersion {
                value: version_str.clone(),
                message,
            })?;
        let mut requires_dist = Vec::new();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("Requires-Dist") {
                let req = crate::guard::requirement(v).map_err(|message| {
                    MetadataError::BadRequirement {
                        value: v.clone(),
                        message,
                    }
                })?;
                requires_dist.push(req);
            }
        }
        // An invalid Requires-Python (old wheels wrote `>=3.5.*`) is ignored,
        // as pip does ("has an invalid Requires-Python"), instead of making
        // the release unusable.
        let requires_python = match get("Requires-Python") {
            Some(v) if !v.trim().is_empty() => match crate::guard::specifiers(v.trim()) {
                Ok(spec) => Some(spec),
                Err(message) => {
                    tracing::warn!(value = %v, %message, "invalid Requires-Python ignored");
                    None
                }
            },
            _ => None,
        };
        let provides_extra = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Provides-Extra"))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(CoreMetadata {
            name,
            version,
            requires_dist,
            requires_python,
            provides_extra,
        })
    }

    /// The PEP 503-normalised name.
    pub fn normalized_name(&self) -> String {
        crate::names::normalize(&self.name)
    }
}

/// Split an RFC 822 header block into `(key, value)` pairs, in order.
/// Continuation lines (leading whitespace) are joined with a space; parsing
/// stops at the first blank line (the body is the long description).
pub fn parse_headers(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Only a truly empty line ends the headers: a whitespace-only line is
        // a continuation (meson-python and maturin put whole licence texts,
        // blank lines included, in `License:`), as Python's email parser says.
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_name_is_an_error() {
        let err = CoreMetadata::parse(b"Version: 1.0\n").unwrap_err();
        assert!(err.to_string().contains("Name"));
    }

    #[test]
    fn bad_requirement_names_the_value() {
        let err = CoreMetadata::parse(b"Name: a\nVersion: 1\nRequires-Dist: ???\n").unwrap_err();
        assert!(err.to_string().contains("???"));
    }

    #[test]
    fn whitespace_only_lines_continue_a_header() {
        let m = CoreMetadata::parse(
            b"Name: x\nVersion: 1\nLicense: MIT\n        \n        text\nRequires-Dist: numpy\n\nbody",
        )
        .unwrap();
        assert_eq!(m.requires_dist.len(), 1);
        assert_eq!(m.requires_dist[0].name.to_string(), "numpy");
    }

    #[test]
    fn continuation_and_body() {
        let m = CoreMetadata::parse(
            b"Name: a\nVersion: 2.0.post1\nRequires-Python: >=3.8,\n  <4\n\nRequires-Dist: notaheader\n",
        )
        .unwrap();
        assert!(m.requires_dist.is_empty());
        assert_eq!(m.requires_python.unwrap().to_string(), ">=3.8, <4");
        // pip ignores an invalid Requires-Python (pylint 2.5.2 has `>=3.5.*`).
        let m = CoreMetadata::parse(b"Name: a\nVersion: 1\nRequires-Python: >=3.5.*\n\n").unwrap();
        assert!(m.requires_python.is_none());
    }
}

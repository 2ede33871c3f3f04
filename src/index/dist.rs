//! What an index lists: distribution files, where each was listed, and their core metadata.

use std::collections::BTreeMap;
use std::fmt;

use url::Url;

use super::simple::sdist_stem;

/// Where a [`DistFile`] was listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DistOrigin {
    /// A simple-API index (credentials stripped).
    /// Ex) `https://pypi.org/simple/`
    Index(Url),
    /// A find-links directory or page, as given (credentials stripped).
    /// Ex) `./wheelhouse`
    FindLinks(String),
    /// A direct reference in requirements.txt, not listed by any index.
    /// Ex) `https://example.org/wheels/foo-1.0-py3-none-any.whl`
    Direct(Url),
}

impl fmt::Display for DistOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistOrigin::Index(url) => write!(f, "index {url}"),
            DistOrigin::FindLinks(s) => write!(f, "find-links {s}"),
            DistOrigin::Direct(url) => write!(f, "direct reference {url}"),
        }
    }
}

/// One downloadable file of a project, as an index or find-links listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFile {
    /// Ex) `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
    pub filename: String,
    /// Absolute URL without credentials and without the `#hash` fragment
    /// (`file://` for local find-links).
    pub url: Url,
    /// Hash algorithm → lowercase hex digest, as listed. Ex) `sha256` → `ab12…`
    pub hashes: BTreeMap<String, String>,
    /// `requires-python` as listed (HTML-unescaped). Ex) `>=3.9`
    pub requires_python: Option<String>,
    /// `None`: not yanked; `Some(reason)`: yanked (reason may be empty).
    pub yanked: Option<String>,
    /// PEP 658/714: `None` when no `.metadata` file is offered, `Some(None)`
    /// when offered without a hash, `Some(Some(sha256))` with one.
    pub core_metadata: Option<Option<String>>,
    /// Size in bytes, when listed (JSON API 1.1+).
    pub size: Option<u64>,
    /// Where it was listed.
    pub origin: DistOrigin,
}

impl DistFile {
    /// The listed sha256, if any.
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256").map(String::as_str)
    }

    /// Whether this is a wheel (`.whl`).
    pub fn is_wheel(&self) -> bool {
        self.filename.to_ascii_lowercase().ends_with(".whl")
    }

    /// Whether this is a source distribution (`.tar.gz`, `.zip`, …).
    pub fn is_sdist(&self) -> bool {
        !self.is_wheel() && sdist_stem(&self.filename).is_some()
    }

    /// Whether the file is yanked (PEP 592).
    pub fn is_yanked(&self) -> bool {
        self.yanked.is_some()
    }
}

/// Core metadata of a remote distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMetadata {
    /// The `*.dist-info/METADATA` bytes.
    pub metadata: Vec<u8>,
    /// Sum of the uncompressed sizes of the wheel's entries, when the central
    /// directory was read (Range or full download; not with PEP 658).
    pub unzipped_bytes: Option<u64>,
}

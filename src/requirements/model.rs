//! The parsed file: requirements, constraints, index options and warnings, each with its location.

use std::fmt;
use std::path::PathBuf;

use pep508_rs::pep440_rs::Operator;
use pep508_rs::{MarkerEnvironment, PackageName, Requirement, VerbatimUrl, VersionOrUrl};

use super::error::{RequirementsError, RequirementsErrorKind};
use super::hash::Hash;
use super::location::Location;

/// Where a requirement's distribution comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequirementSource {
    /// Resolved from the index and find-links; name, extras and specifiers are
    /// in [`RequirementEntry::requirement`].
    ///
    /// Ex) `requests[socks]>=2.31`
    Registry,
    /// A wheel downloaded from an http(s) URL (the fragment is kept).
    ///
    /// Ex) `attrs @ https://files.example.com/attrs-23.2.0-py3-none-any.whl#sha256=…`
    WheelUrl {
        /// The URL as written (after `${VAR}` expansion); its credentials
        /// are sent with the download and never printed.
        url: crate::secrets::SecretUrl,
        /// The wheel's file name, percent-decoded.
        filename: String,
    },
    /// A wheel on the local file system (exists when parsed).
    ///
    /// Ex) `./wheels/attrs-23.2.0-py3-none-any.whl`, `attrs @ file:///w/attrs-23.2.0-py3-none-any.whl`
    LocalWheel {
        /// Absolute path (relative paths are joined to the requirements file's directory).
        path: PathBuf,
    },
}

/// One requirement (or constraint) line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementEntry {
    /// The PEP 508 requirement. Direct references carry a `file://` or
    /// `https://` URL; bare wheel paths get the name from the wheel file name.
    pub requirement: Requirement<VerbatimUrl>,
    /// `--hash` values of this line, in order; any one matching is enough.
    pub hashes: Vec<Hash>,
    /// A strong hash in the URL fragment (`#sha256=…`); pip checks it too and
    /// accepts it in hash-checking mode for direct URLs.
    pub url_hash: Option<Hash>,
    /// Where the line is.
    pub location: Location,
    /// Registry, wheel URL or local wheel.
    pub source: RequirementSource,
}

impl RequirementEntry {
    /// Every hash a downloaded file may match (`--hash` values and the URL fragment).
    fn allowed_hashes(&self) -> Vec<&Hash> {
        self.hashes.iter().chain(self.url_hash.as_ref()).collect()
    }

    /// `==`/`===` with a single specifier and no wildcard (pip's `is_pinned`).
    pub(crate) fn is_pinned(&self) -> bool {
        match &self.requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specs)) => {
                specs.len() == 1
                    && matches!(specs[0].operator(), Operator::Equal | Operator::ExactEqual)
            }
            _ => false,
        }
    }
}

/// An index-related option line of a requirements file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileIndexOption {
    /// Ex) `--no-index`: drops every index, including later ones.
    NoIndex,
    /// Ex) `-i https://example.com/simple`: replaces every index set so far.
    IndexUrl(String),
    /// Ex) `--extra-index-url https://example.com/simple`
    ExtraIndexUrl(String),
    /// Ex) `-f ./wheels` (resolved against the file's directory when that exists, as pip does)
    FindLinks(String),
    /// Ex) `--pre`
    Pre,
    /// Ex) `--prefer-binary` (grail already prefers wheels)
    PreferBinary,
    /// Ex) `--only-binary :all:` (the raw value)
    OnlyBinary(String),
    /// Ex) `--trusted-host example.com`
    TrustedHost(String),
}

/// A [`FileIndexOption`] and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOption {
    /// Where.
    pub location: Location,
    /// What.
    pub option: FileIndexOption,
}

/// Something accepted but ignored, to be shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub location: Location,
    /// What was ignored and why.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A parsed requirements file with everything it includes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementsFile {
    /// Requirements in file order (includes expanded in place).
    pub requirements: Vec<RequirementEntry>,
    /// Constraints (`-c` files) in file order.
    pub constraints: Vec<RequirementEntry>,
    /// Index options in the order pip applies them.
    pub options: Vec<FileOption>,
    /// A `--require-hashes` line was seen.
    pub require_hashes: bool,
    /// Options accepted but ignored.
    pub warnings: Vec<Warning>,
}

impl RequirementsFile {
    /// No requirements (constraints alone install nothing).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// pip's hash-checking mode: `--require-hashes`, or any requirement or
    /// constraint with a `--hash`. In this mode every distribution installed,
    /// dependencies included, must match a hash given in the files.
    pub fn hash_checking(&self) -> bool {
        self.require_hashes
            || self
                .requirements
                .iter()
                .chain(&self.constraints)
                .any(|e| !e.hashes.is_empty())
    }

    /// The hashes a distribution named `name` may match (requirements and
    /// constraints together, as pip merges them). Empty when none are given.
    pub fn hashes_for(&self, name: &PackageName) -> Vec<&Hash> {
        self.requirements
            .iter()
            .chain(&self.constraints)
            .filter(|e| &e.requirement.name == name)
            .flat_map(|e| e.allowed_hashes())
            .collect()
    }

    /// In hash-checking mode, pip's up-front rules for the requirements that
    /// apply to `env` (markers evaluated, no extras): each needs a hash
    /// (pip's `HashMissing`) and registry requirements must be pinned with
    /// `==`/`===` (pip's `HashUnpinned`). A constraint of the same name may
    /// supply either. Outside hash-checking mode this does nothing. The
    /// resolver must still require a hash for every dependency it adds.
    pub fn check_hashes(&self, env: &MarkerEnvironment) -> Result<(), RequirementsError> {
        if !self.hash_checking() {
            return Ok(());
        }
        for entry in &self.requirements {
            if !entry.requirement.evaluate_markers(env, &[]) {
                continue;
            }
            let name = &entry.requirement.name;
            let constraints: Vec<_> = self
                .constraints
                .iter()
                .filter(|c| &c.requirement.name == name)
                .collect();
            let err = |kind| RequirementsError::at(&entry.location, kind);
            if entry.allowed_hashes().is_empty()
                && constraints.iter().all(|c| c.allowed_hashes().is_empty())
            {
                return Err(err(RequirementsErrorKind::HashMissing {
                    requirement: entry.requirement.to_string(),
                }));
            }
            if entry.source == RequirementSource::Registry
                && !entry.is_pinned()
                && !constraints.iter().any(|c| c.is_pinned())
            {
                return Err(err(RequirementsErrorKind::HashUnpinned {
                    requirement: entry.requirement.to_string(),
                }));
            }
        }
        Ok(())
    }
}

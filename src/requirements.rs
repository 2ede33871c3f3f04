//! `requirements.txt` as pip reads it.
//!
//! The parser follows pip's `pip/_internal/req/req_file.py` (pip 23–25) step by
//! step, so a file that works with `chalice package` means the same thing here:
//!
//! 1. split into lines (Python's `str.splitlines`), join lines that end in `\`
//!    (not comment lines), keeping the number of the first physical line;
//! 2. strip comments: a `#` at the start of a line or preceded by whitespace
//!    (`pkg @ https://host/a.whl#sha256=…` keeps its fragment);
//! 3. expand `${NAME}` (NAME made of `A-Z`, `0-9`, `_`) from the environment;
//!    unset or empty variables are left as written;
//! 4. split the line at the first space-separated token starting with `-`:
//!    the part before is the requirement, the rest is split like a shell
//!    (`shlex`) and parsed like pip's optparse parser (`--opt=value`,
//!    `--opt value`, `-ovalue`, `-o value`, unique abbreviations of long names).
//!
//! What grail supports, and what it does with the rest:
//!
//! | line | effect |
//! | --- | --- |
//! | `name[extra]>=1 ; marker` | a registry requirement |
//! | `name @ https://host/name-1.0-py3-none-any.whl` | a wheel URL |
//! | `./wheels/name-1.0-py3-none-any.whl`, `name @ file:///abs/name.whl` | a local wheel (relative paths against the requirements file's directory) |
//! | `-r FILE`, `-c FILE` | include requirements / constraints, relative to the including file |
//! | `-i/--index-url`, `--extra-index-url`, `-f/--find-links`, `--no-index`, `--pre` | recorded in order in [`RequirementsFile::options`], merged by [`effective_index_settings`] |
//! | `--hash=sha256:…` (also sha384, sha512), `--require-hashes` | hash-checking mode, as pip: every requirement needs a hash |
//! | `--trusted-host`, `--prefer-binary`, `--only-binary` | recorded ([`FileIndexOption`]) |
//! | `--no-binary`, `--use-feature`, `--global-option`, `-C/--config-settings` | accepted and ignored with a [`Warning`] (grail installs wheels, nothing is built) |
//! | `-e/--editable`, VCS URLs (`git+…`), directories, sdists, `ftp:` | an error saying what to do instead |
//! | options pip does not know in requirements files | an error (pip fails on them too) |
//!
//! Every error carries the file and the 1-based line number ([`RequirementsError`]).
//!
//! Intended call sequence (the CLI):
//!
//! 1. `if !has_at_least_one_package_file(&requirements_path(project))?` → nothing to
//!    resolve (Chalice does not even run pip then);
//! 2. [`parse_requirements`] with the process environment;
//! 3. [`RequirementsFile::check_hashes`] with the target's marker environment;
//! 4. [`effective_index_settings`] with the CLI flags, the environment and the file.
//!
//! ```
//! use grail::requirements::{parse_str, RequirementSource};
//! use std::path::Path;
//!
//! let text = "\
//! --extra-index-url https://example.com/simple  # private index
//! requests[socks]>=2.31 ; python_version >= \"3.8\"
//! attrs==23.2.0 \\
//!     --hash=sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1
//! ";
//! let file = parse_str(text, Path::new("requirements.txt"), &|_| None).unwrap();
//! assert_eq!(file.requirements.len(), 2);
//! assert_eq!(file.requirements[0].requirement.name.as_ref(), "requests");
//! assert_eq!(file.requirements[1].location.line, 3);
//! assert_eq!(file.requirements[1].source, RequirementSource::Registry);
//! assert!(file.hash_checking());
//! // Hash-checking mode: `requests` has no --hash, exactly what pip refuses.
//! let env = grail::target::LambdaTarget::new(
//!     "3.12".parse().unwrap(), grail::target::Arch::X86_64).marker_env();
//! let err = file.check_hashes(&env).unwrap_err();
//! assert_eq!(err.line, Some(2));
//! ```

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use once_cell::sync::Lazy;
use pep508_rs::pep440_rs::Operator;
use pep508_rs::{MarkerEnvironment, PackageName, Requirement, VerbatimUrl, VersionOrUrl};
use regex::Regex;
use url::Url;

use crate::error::ExitKind;

/// pip's default index (PyPI's simple API). Join project names as pip does:
/// `{index}/{normalized-name}/` with exactly one `/` between the parts.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

/// The requirements file of a Chalice project: always `<project>/requirements.txt`.
pub fn requirements_path(project_dir: &Path) -> PathBuf {
    project_dir.join("requirements.txt")
}

/// Chalice's "has at least one package" test (`DependencyBuilder`): some line,
/// stripped, is non-empty and does not start with `#`. Lines that hold only
/// options count. When it is false Chalice does not run pip at all.
pub fn has_at_least_one_package(text: &str) -> bool {
    // Python text mode splits on universal newlines.
    text.split(['\n', '\r']).any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#')
    })
}

/// [`has_at_least_one_package`] for a file; a missing file has no package.
pub fn has_at_least_one_package_file(path: &Path) -> io::Result<bool> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(has_at_least_one_package(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------
// Public data types
// ---------------------------------------------------------------------------

/// Where a logical line starts: the file as it was reached (top-level path
/// joined with `-r`/`-c` paths) and the 1-based number of its first physical line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The requirements or constraints file.
    pub file: PathBuf,
    /// 1-based line number of the first physical line of a continued line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A hash algorithm pip accepts for `--hash` (pip's `STRONG_HASHES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// Ex) `sha256`
    Sha256,
    /// Ex) `sha384`
    Sha384,
    /// Ex) `sha512`
    Sha512,
}

impl HashAlgorithm {
    /// The name as written in `--hash=<name>:<digest>`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha384 => 96,
            HashAlgorithm::Sha512 => 128,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashAlgorithm {
    type Err = HashParseError;

    /// Case-sensitive, like pip (`SHA256` is refused by pip too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(HashAlgorithm::Sha256),
            "sha384" => Ok(HashAlgorithm::Sha384),
            "sha512" => Ok(HashAlgorithm::Sha512),
            _ => Err(HashParseError {
                input: s.to_string(),
                kind: HashParseErrorKind::Algorithm,
            }),
        }
    }
}

/// An expected file hash.
///
/// Ex) `sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1`
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// Lower-case hex digest of the right length for the algorithm.
    pub digest: String,
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    /// Parses `algo:hexdigest`. Upper-case hex is accepted and lower-cased
    /// (pip would only fail later, with a mismatch).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |kind| HashParseError {
            input: s.to_string(),
            kind,
        };
        let (algo, digest) = s.split_once(':').ok_or(err(HashParseErrorKind::Format))?;
        let algorithm: HashAlgorithm = algo
            .parse()
            .map_err(|_| err(HashParseErrorKind::Algorithm))?;
        if digest.len() != algorithm.hex_len() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(HashParseErrorKind::Digest(algorithm)));
        }
        Ok(Hash {
            algorithm,
            digest: digest.to_ascii_lowercase(),
        })
    }
}

/// A `--hash` value that cannot be used: the input plus what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash `{input}`: {kind}")]
pub struct HashParseError {
    /// The text given to `--hash`.
    pub input: String,
    /// What is wrong.
    pub kind: HashParseErrorKind,
}

/// Why a `--hash` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashParseErrorKind {
    /// No `:` (pip's message).
    #[error(
        "arguments to --hash must be a hash name followed by a value, like --hash=sha256:abcde..."
    )]
    Format,
    /// Not one of pip's strong hashes (pip's message).
    #[error("allowed hash algorithms for --hash are sha256, sha384, sha512")]
    Algorithm,
    /// Not hex, or not the algorithm's length.
    #[error("a {0} digest is {len} hexadecimal digits", len = .0.hex_len())]
    Digest(HashAlgorithm),
}

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
        /// The URL as written (after `${VAR}` expansion).
        url: Url,
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
    pub fn allowed_hashes(&self) -> Vec<&Hash> {
        self.hashes.iter().chain(self.url_hash.as_ref()).collect()
    }

    /// `==`/`===` with a single specifier and no wildcard (pip's `is_pinned`).
    pub fn is_pinned(&self) -> bool {
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

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A requirements file that grail cannot use: the file, the line (when the
/// problem is on one), and what is wrong.
#[derive(Debug, thiserror::Error)]
pub struct RequirementsError {
    /// The requirements file (for a missing `-r` target: the including file).
    pub file: PathBuf,
    /// 1-based line number, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong and what to do. Not exposed as `source()`: the message
    /// already contains it, and `anyhow`'s `{:#}` would print it twice.
    pub kind: RequirementsErrorKind,
}

impl fmt::Display for RequirementsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.kind),
            None => write!(f, "{}: {}", self.file.display(), self.kind),
        }
    }
}

impl RequirementsError {
    fn at(location: &Location, kind: RequirementsErrorKind) -> Self {
        RequirementsError {
            file: location.file.clone(),
            line: Some(location.line),
            kind,
        }
    }

    /// Every requirements problem is bad input: exit code 1.
    pub fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

const BUILD_A_WHEEL: &str = "build a wheel (`pip wheel --no-deps -w wheels/ <source>`) and list \
                             the .whl path (`./wheels/<name>-<version>-….whl`) or add `--find-links wheels/`";

/// What is wrong with a requirements file.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsErrorKind {
    /// The file exists but cannot be read.
    #[error("cannot read the requirements file: {0}")]
    Io(#[source] io::Error),
    /// The bytes are not UTF-8.
    #[error("the requirements file is not valid UTF-8; save it as UTF-8")]
    NotUtf8,
    /// A `-r`/`-c` target cannot be opened.
    #[error("cannot open `{}` given to {option}: {source}; the path is relative to the including file", path.display())]
    Include {
        /// `-r` or `-c`.
        option: &'static str,
        /// The joined path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// `-r`/`-c` with an http(s) URL.
    #[error("`{url}` given to {option} is remote; grail does not fetch requirements files, download it and give its local path")]
    RemoteInclude {
        /// `-r` or `-c`.
        option: &'static str,
        /// The URL.
        url: String,
    },
    /// A file includes itself, directly or not.
    #[error("`{}` includes itself (through -r/-c); remove the cycle", path.display())]
    IncludeCycle {
        /// The file reached again.
        path: PathBuf,
    },
    /// Unbalanced quotes or a trailing backslash in the options part.
    #[error("could not split options `{options}`: {reason}")]
    Split {
        /// The options part of the line.
        options: String,
        /// shlex's complaint.
        reason: &'static str,
    },
    /// An option pip does not accept in requirements files either.
    #[error("no such option: {option} (options allowed in requirements files: -r, -c, -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --pre, --hash, --require-hashes, --trusted-host, --only-binary, --prefer-binary)")]
    UnknownOption {
        /// The option as written.
        option: String,
    },
    /// An abbreviation matching several options.
    #[error("ambiguous option: {option} ({candidates}?)")]
    AmbiguousOption {
        /// The abbreviation.
        option: String,
        /// The options it could mean, comma-separated.
        candidates: String,
    },
    /// An option without its value.
    #[error("{option} option requires 1 argument")]
    MissingValue {
        /// The option.
        option: String,
    },
    /// `--flag=value` for a flag.
    #[error("{option} option does not take a value")]
    UnexpectedValue {
        /// The option.
        option: String,
    },
    /// A bad `--hash`.
    #[error(transparent)]
    Hash(#[from] HashParseError),
    /// An option pip supports that grail does not.
    #[error("{option} is not supported by grail: {hint}")]
    UnsupportedOption {
        /// The option.
        option: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// Not a PEP 508 requirement (the pep508 message underlines the spot).
    #[error("invalid requirement `{text}`: {source}")]
    InvalidRequirement {
        /// The requirement part of the line.
        text: String,
        /// The parser's message.
        source: Box<pep508_rs::Pep508Error<VerbatimUrl>>,
    },
    /// A direct reference grail cannot install.
    #[error("`{text}` is {what}, which grail cannot install: {hint}")]
    UnsupportedReference {
        /// The requirement part of the line.
        text: String,
        /// Ex) "a VCS URL", "a directory", "a source archive".
        what: &'static str,
        /// What to do instead.
        hint: String,
    },
    /// A `.whl` name that is not `name-version(-build)?-py-abi-platform.whl`.
    #[error("`{filename}` is not a valid wheel file name (expected name-version-pythontag-abitag-platformtag.whl)")]
    InvalidWheelFilename {
        /// The file name.
        filename: String,
    },
    /// `name @ url` whose wheel file is for another project.
    #[error("`{text}` names `{name}` but the wheel file is for `{wheel_name}`")]
    WheelNameMismatch {
        /// The requirement part of the line.
        text: String,
        /// The requirement's name.
        name: String,
        /// The name in the wheel file name.
        wheel_name: String,
    },
    /// A local wheel that does not exist.
    #[error("wheel `{}` does not exist (relative paths are relative to the requirements file)", path.display())]
    WheelNotFound {
        /// The resolved path.
        path: PathBuf,
    },
    /// A constraint with extras (pip refuses it too).
    #[error("constraints cannot have extras: `{text}`; constrain `{name}` without extras and request the extras in requirements.txt")]
    ConstraintWithExtras {
        /// The line.
        text: String,
        /// The project name.
        name: String,
    },
    /// Hash-checking mode and no hash for a requirement.
    #[error("Hashes are required in --require-hashes mode, but they are missing from some requirements: `{requirement}` has no --hash (add `--hash=sha256:<digest>` to the line, or remove every --hash and --require-hashes to turn hash checking off)")]
    HashMissing {
        /// The requirement.
        requirement: String,
    },
    /// Hash-checking mode and a registry requirement that is not `==`.
    #[error("In --require-hashes mode, all requirements must have their versions pinned with ==: `{requirement}` is not")]
    HashUnpinned {
        /// The requirement.
        requirement: String,
    },
}

// ---------------------------------------------------------------------------
// Parsing entry points
// ---------------------------------------------------------------------------

/// Reads `path` and every file it includes. A missing top-level file is an
/// empty file (Chalice). `env` gives environment variables for `${NAME}`.
pub fn parse_requirements(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, RequirementsError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(RequirementsFile::default()),
        Err(e) => {
            return Err(RequirementsError {
                file: path.to_path_buf(),
                line: None,
                kind: RequirementsErrorKind::Io(e),
            })
        }
    };
    let mut parser = Parser::new(env);
    parser.stack.push(identity(path));
    let text = decode(&bytes, path)?;
    parser.parse_text(&text, path, false)?;
    Ok(parser.out)
}

/// Parses `text` as if it were the file `path` (includes are read from disk
/// relative to `path`'s directory).
pub fn parse_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RequirementsFile, RequirementsError> {
    let mut parser = Parser::new(env);
    parser.stack.push(identity(path));
    parser.parse_text(text, path, false)?;
    Ok(parser.out)
}

fn decode(bytes: &[u8], path: &Path) -> Result<String, RequirementsError> {
    // pip's auto_decode drops a BOM; UTF-8 is the only encoding grail reads.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| RequirementsError {
        file: path.to_path_buf(),
        line: None,
        kind: RequirementsErrorKind::NotUtf8,
    })
}

/// A key for cycle detection: the canonical path when it exists.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

struct Parser<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    out: RequirementsFile,
    /// Files being read, for cycle detection.
    stack: Vec<PathBuf>,
}

impl<'a> Parser<'a> {
    fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Parser {
            env,
            out: RequirementsFile::default(),
            stack: Vec::new(),
        }
    }

    fn warn(&mut self, location: &Location, message: String) {
        self.out.warnings.push(Warning {
            location: location.clone(),
            message,
        });
    }

    fn parse_text(
        &mut self,
        text: &str,
        file: &Path,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        for (line_no, line) in preprocess(text, self.env) {
            let location = Location {
                file: file.to_path_buf(),
                line: line_no,
            };
            self.parse_line(&line, &location, constraint)?;
        }
        Ok(())
    }

    fn parse_line(
        &mut self,
        line: &str,
        loc: &Location,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let err = |kind| RequirementsError::at(loc, kind);
        let (args, options) = break_args_options(line);
        let tokens = shlex_split(&options).map_err(|reason| {
            err(RequirementsErrorKind::Split {
                options: options.clone(),
                reason,
            })
        })?;
        let opts = LineOptions::parse(&tokens).map_err(err)?;
        if !opts.positional.is_empty() {
            self.warn(
                loc,
                format!(
                    "ignored `{}` after the options (pip ignores it too)",
                    opts.positional.join(" ")
                ),
            );
        }
        if !opts.editables.is_empty() {
            return Err(err(RequirementsErrorKind::UnsupportedOption {
                option: "-e/--editable",
                hint: BUILD_A_WHEEL,
            }));
        }

        if !args.is_empty() {
            // A requirement line: only --hash, --global-option and
            // --config-settings apply to it; pip silently ignores the rest.
            let ignored: Vec<&str> = opts
                .present()
                .into_iter()
                .filter(|o| !matches!(*o, "--hash" | "--global-option" | "--config-settings"))
                .collect();
            if !ignored.is_empty() {
                self.warn(
                    loc,
                    format!(
                        "{} ignored on a requirement line (pip ignores it too); put it on a line of its own",
                        ignored.join(", ")
                    ),
                );
            }
            if !opts.global_options.is_empty() || !opts.config_settings.is_empty() {
                self.warn(
                    loc,
                    "--global-option/--config-settings ignored: grail installs wheels, nothing is built".into(),
                );
            }
            let base = loc.file.parent().unwrap_or(Path::new(""));
            let (requirement, source, url_hash) = parse_requirement(&args, base).map_err(err)?;
            if constraint && !requirement.extras.is_empty() {
                return Err(err(RequirementsErrorKind::ConstraintWithExtras {
                    text: args.clone(),
                    name: requirement.name.to_string(),
                }));
            }
            let entry = RequirementEntry {
                requirement,
                hashes: opts.hashes,
                url_hash,
                location: loc.clone(),
                source,
            };
            if constraint {
                self.out.constraints.push(entry);
            } else {
                self.out.requirements.push(entry);
            }
            return Ok(());
        }

        if let Some((option, target, nested_constraint)) = opts
            .requirements
            .first()
            .map(|t| ("-r", t, false))
            .or_else(|| opts.constraints.first().map(|t| ("-c", t, true)))
        {
            // pip reads the nested file and ignores every other option on this line.
            let ignored: Vec<&str> = opts
                .present()
                .into_iter()
                .filter(|o| *o != "-r" && *o != "-c")
                .collect();
            if !ignored.is_empty() || opts.requirements.len() + opts.constraints.len() > 1 {
                self.warn(
                    loc,
                    format!("only `{option} {target}` is used on this line (pip ignores the other options on it)"),
                );
            }
            return self.include(option, target, loc, nested_constraint);
        }

        self.option_line(opts, loc);
        Ok(())
    }

    fn include(
        &mut self,
        option: &'static str,
        target: &str,
        loc: &Location,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let err = |kind| RequirementsError::at(loc, kind);
        let path = match url_scheme(target).as_deref() {
            Some("http" | "https") => {
                return Err(err(RequirementsErrorKind::RemoteInclude {
                    option,
                    url: target.to_string(),
                }))
            }
            Some("file") => Url::parse(target)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .unwrap_or_else(|| PathBuf::from(target)),
            _ => loc.file.parent().unwrap_or(Path::new("")).join(target),
        };
        let bytes = std::fs::read(&path).map_err(|source| {
            err(RequirementsErrorKind::Include {
                option,
                path: path.clone(),
                source,
            })
        })?;
        let id = identity(&path);
        if self.stack.contains(&id) {
            return Err(err(RequirementsErrorKind::IncludeCycle { path }));
        }
        let text = decode(&bytes, &path)?;
        self.stack.push(id);
        let result = self.parse_text(&text, &path, constraint);
        self.stack.pop();
        result
    }

    /// pip's `handle_option_line`, recorded in the order pip applies it.
    fn option_line(&mut self, opts: LineOptions, loc: &Location) {
        if !opts.hashes.is_empty() {
            self.warn(
                loc,
                "--hash without a requirement is ignored (as pip does)".into(),
            );
        }
        if opts.require_hashes {
            self.out.require_hashes = true;
        }
        for feature in &opts.use_features {
            self.warn(
                loc,
                format!("--use-feature={feature} ignored: it selects pip internals"),
            );
        }
        for value in &opts.no_binary {
            if value != ":none:" {
                self.warn(
                    loc,
                    format!("--no-binary {value} ignored: grail installs wheels (Chalice also ends up with Lambda-compatible wheels)"),
                );
            }
        }
        if !opts.global_options.is_empty() || !opts.config_settings.is_empty() {
            self.warn(
                loc,
                "--global-option/--config-settings ignored without a requirement".into(),
            );
        }
        let mut push = |option| {
            self.out.options.push(FileOption {
                location: loc.clone(),
                option,
            })
        };
        if opts.no_index {
            push(FileIndexOption::NoIndex);
        }
        if let Some(url) = opts.index_url.clone() {
            push(FileIndexOption::IndexUrl(url));
        }
        for url in &opts.extra_index_urls {
            push(FileIndexOption::ExtraIndexUrl(url.clone()));
        }
        if let Some(value) = opts.find_links.first() {
            // pip: a path relative to the requirements file wins when it exists.
            let dir = std::path::absolute(&loc.file)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            let joined = dir.join(value);
            let value = if joined.exists() {
                joined.to_string_lossy().into_owned()
            } else {
                value.clone()
            };
            push(FileIndexOption::FindLinks(value));
        }
        if opts.pre {
            push(FileIndexOption::Pre);
        }
        if opts.prefer_binary {
            push(FileIndexOption::PreferBinary);
        }
        for value in &opts.only_binary {
            push(FileIndexOption::OnlyBinary(value.clone()));
        }
        for host in &opts.trusted_hosts {
            push(FileIndexOption::TrustedHost(host.clone()));
        }
        if opts.find_links.len() > 1 {
            self.warn(
                loc,
                format!(
                    "only the first --find-links on a line is used (as pip does); ignored: {}; put each on a line of its own",
                    opts.find_links[1..].join(", ")
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Preprocessing: lines, continuations, comments, ${VAR}
// ---------------------------------------------------------------------------

/// Python's `str.splitlines()`.
fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end_of_line = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if end_of_line {
            lines.push(&text[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// pip's `COMMENT_RE.match`: the line is a comment (optional whitespace, `#`).
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// pip's `COMMENT_RE.sub("", line)`: cut at the first `#` that starts the line
/// or follows whitespace.
fn strip_comment(line: &str) -> &str {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            return &line[..i];
        }
        prev_ws = c.is_whitespace();
    }
    line
}

static ENV_VAR_RE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\$\{([A-Z0-9_]+)\}").expect("valid regex"));

/// pip's `preprocess`: join continuations, drop comments and blank lines,
/// expand `${NAME}`. Yields (first physical line number, logical line).
fn preprocess(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<(usize, String)> {
    // join_lines
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut primary = 0;
    let mut pending: Option<String> = None;
    for (index, line) in splitlines(text).into_iter().enumerate() {
        let number = index + 1;
        if !line.ends_with('\\') || is_comment_line(line) {
            // A comment ends a continuation; the leading space makes sure it
            // is still recognised as a comment once joined.
            let line = if is_comment_line(line) {
                format!(" {line}")
            } else {
                line.to_string()
            };
            match pending.take() {
                Some(mut acc) => {
                    acc.push_str(&line);
                    joined.push((primary, acc));
                }
                None => joined.push((number, line)),
            }
        } else {
            let piece = line.trim_matches('\\');
            match pending.as_mut() {
                Some(acc) => acc.push_str(piece),
                None => {
                    primary = number;
                    pending = Some(piece.to_string());
                }
            }
        }
    }
    if let Some(acc) = pending {
        joined.push((primary, acc));
    }

    joined
        .into_iter()
        .filter_map(|(number, line)| {
            let line = strip_comment(&line).trim();
            if line.is_empty() {
                return None;
            }
            // expand_env_variables: names found in the line, replaced one by one;
            // unset or empty variables stay as written.
            let mut expanded = line.to_string();
            for caps in ENV_VAR_RE.captures_iter(line) {
                if let Some(value) = env(&caps[1]).filter(|v| !v.is_empty()) {
                    expanded = expanded.replace(&caps[0], &value);
                }
            }
            Some((number, expanded))
        })
        .collect()
}

/// pip's `break_args_options`: split on single spaces; the requirement is
/// every token before the first one starting with `-`.
fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    (
        tokens[..split].join(" ").trim().to_string(),
        tokens[split..].join(" "),
    )
}

/// Python's `shlex.split(s)` (POSIX mode, no comments).
fn shlex_split(s: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or("No escaped character")?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash only escapes `"` and `\`.
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => return Err("No closing quotation"),
                        },
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

// ---------------------------------------------------------------------------
// Options (pip's optparse parser for requirement lines)
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opt {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

/// pip's `SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ`, long names.
const LONG_OPTIONS: &[(&str, Opt)] = &[
    ("--index-url", Opt::IndexUrl),
    ("--pypi-url", Opt::IndexUrl),
    ("--extra-index-url", Opt::ExtraIndexUrl),
    ("--no-index", Opt::NoIndex),
    ("--constraint", Opt::Constraint),
    ("--requirement", Opt::Requirement),
    ("--editable", Opt::Editable),
    ("--find-links", Opt::FindLinks),
    ("--no-binary", Opt::NoBinary),
    ("--only-binary", Opt::OnlyBinary),
    ("--prefer-binary", Opt::PreferBinary),
    ("--require-hashes", Opt::RequireHashes),
    ("--pre", Opt::Pre),
    ("--trusted-host", Opt::TrustedHost),
    ("--use-feature", Opt::UseFeature),
    ("--global-option", Opt::GlobalOption),
    ("--hash", Opt::Hash),
    ("--config-settings", Opt::ConfigSettings),
];

const SHORT_OPTIONS: &[(char, Opt)] = &[
    ('i', Opt::IndexUrl),
    ('c', Opt::Constraint),
    ('r', Opt::Requirement),
    ('e', Opt::Editable),
    ('f', Opt::FindLinks),
    ('C', Opt::ConfigSettings),
];

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Opt::NoIndex | Opt::PreferBinary | Opt::RequireHashes | Opt::Pre
        )
    }
}

/// The options of one line, like pip's optparse `Values`.
#[derive(Debug, Default)]
struct LineOptions {
    index_url: Option<String>,
    extra_index_urls: Vec<String>,
    no_index: bool,
    constraints: Vec<String>,
    requirements: Vec<String>,
    editables: Vec<String>,
    find_links: Vec<String>,
    no_binary: Vec<String>,
    only_binary: Vec<String>,
    prefer_binary: bool,
    require_hashes: bool,
    pre: bool,
    trusted_hosts: Vec<String>,
    use_features: Vec<String>,
    global_options: Vec<String>,
    hashes: Vec<Hash>,
    config_settings: Vec<String>,
    positional: Vec<String>,
}

impl LineOptions {
    /// optparse's `_process_args` with interspersed arguments.
    fn parse(args: &[String]) -> Result<Self, RequirementsErrorKind> {
        let mut opts = LineOptions::default();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            if arg == "--" {
                opts.positional.extend(args[i..].iter().cloned());
                break;
            } else if let Some(body) = arg.strip_prefix("--") {
                let (name, explicit) = match body.split_once('=') {
                    Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                    None => (arg.clone(), None),
                };
                let (full, opt) = match_long(&name)?;
                let value = if opt.takes_value() {
                    match explicit {
                        Some(v) => Some(v),
                        None => {
                            let v = args.get(i).cloned().ok_or(
                                RequirementsErrorKind::MissingValue {
                                    option: full.to_string(),
                                },
                            )?;
                            i += 1;
                            Some(v)
                        }
                    }
                } else if explicit.is_some() {
                    return Err(RequirementsErrorKind::UnexpectedValue {
                        option: full.to_string(),
                    });
                } else {
                    None
                };
                opts.apply(opt, value)?;
            } else if arg.len() > 1 && arg.starts_with('-') {
                let mut rest = arg[1..].chars();
                while let Some(c) = rest.next() {
                    let opt = SHORT_OPTIONS
                        .iter()
                        .find(|(s, _)| *s == c)
                        .map(|(_, o)| *o)
                        .ok_or_else(|| RequirementsErrorKind::UnknownOption {
                            option: format!("-{c}"),
                        })?;
                    // Every short option takes a value: the rest of the word, or the next word.
                    let attached: String = rest.by_ref().collect();
                    let value = if attached.is_empty() {
                        let v =
                            args.get(i)
                                .cloned()
                                .ok_or(RequirementsErrorKind::MissingValue {
                                    option: format!("-{c}"),
                                })?;
                        i += 1;
                        v
                    } else {
                        attached
                    };
                    opts.apply(opt, Some(value))?;
                }
            } else {
                opts.positional.push(arg.clone());
            }
        }
        Ok(opts)
    }

    fn apply(&mut self, opt: Opt, value: Option<String>) -> Result<(), RequirementsErrorKind> {
        let v = value.unwrap_or_default();
        match opt {
            Opt::IndexUrl => self.index_url = Some(v),
            Opt::ExtraIndexUrl => self.extra_index_urls.push(v),
            Opt::NoIndex => self.no_index = true,
            Opt::Constraint => self.constraints.push(v),
            Opt::Requirement => self.requirements.push(v),
            Opt::Editable => self.editables.push(v),
            Opt::FindLinks => self.find_links.push(v),
            Opt::NoBinary => self.no_binary.push(v),
            Opt::OnlyBinary => self.only_binary.push(v),
            Opt::PreferBinary => self.prefer_binary = true,
            Opt::RequireHashes => self.require_hashes = true,
            Opt::Pre => self.pre = true,
            Opt::TrustedHost => self.trusted_hosts.push(v),
            Opt::UseFeature => self.use_features.push(v),
            Opt::GlobalOption => self.global_options.push(v),
            Opt::Hash => self.hashes.push(v.parse()?),
            Opt::ConfigSettings => self.config_settings.push(v),
        }
        Ok(())
    }

    /// Names of the options present (for "ignored" warnings).
    fn present(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |cond: bool, name| {
            if cond {
                out.push(name)
            }
        };
        add(self.index_url.is_some(), "--index-url");
        add(!self.extra_index_urls.is_empty(), "--extra-index-url");
        add(self.no_index, "--no-index");
        add(!self.requirements.is_empty(), "-r");
        add(!self.constraints.is_empty(), "-c");
        add(!self.find_links.is_empty(), "--find-links");
        add(!self.no_binary.is_empty(), "--no-binary");
        add(!self.only_binary.is_empty(), "--only-binary");
        add(self.prefer_binary, "--prefer-binary");
        add(self.require_hashes, "--require-hashes");
        add(self.pre, "--pre");
        add(!self.trusted_hosts.is_empty(), "--trusted-host");
        add(!self.use_features.is_empty(), "--use-feature");
        add(!self.global_options.is_empty(), "--global-option");
        add(!self.hashes.is_empty(), "--hash");
        add(!self.config_settings.is_empty(), "--config-settings");
        out
    }
}

/// optparse's `_match_abbrev`: an exact name, else a unique prefix.
fn match_long(name: &str) -> Result<(&'static str, Opt), RequirementsErrorKind> {
    if let Some(&(full, opt)) = LONG_OPTIONS.iter().find(|(n, _)| *n == name) {
        return Ok((full, opt));
    }
    let candidates: Vec<_> = LONG_OPTIONS
        .iter()
        .filter(|(n, _)| n.starts_with(name))
        .collect();
    match candidates.as_slice() {
        [] => Err(RequirementsErrorKind::UnknownOption {
            option: name.to_string(),
        }),
        [(full, opt)] => Ok((full, *opt)),
        many => {
            // optparse lists them sorted.
            let mut names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            Err(RequirementsErrorKind::AmbiguousOption {
                option: name.to_string(),
                candidates: names.join(", "),
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Requirements: PEP 508, bare paths and URLs
// ---------------------------------------------------------------------------

/// pip's `get_url_scheme`: the text before the first `:`, lower-cased.
fn url_scheme(s: &str) -> Option<String> {
    s.split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

fn is_vcs_scheme(scheme: &str) -> bool {
    matches!(scheme, "git" | "svn" | "hg" | "bzr")
        || ["git+", "svn+", "hg+", "bzr+"]
            .iter()
            .any(|p| scheme.starts_with(p))
}

/// pip's `is_url`.
fn is_url(s: &str) -> bool {
    url_scheme(s).is_some_and(|s| {
        matches!(s.as_str(), "http" | "https" | "file" | "ftp") || is_vcs_scheme(&s)
    })
}

/// pip's `_looks_like_path`.
fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains(std::path::MAIN_SEPARATOR) || s.starts_with('.')
}

const SDIST_EXTENSIONS: &[&str] = &[
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// pip's `is_archive_file`, split into wheel / other.
fn archive_kind(name: &str) -> Option<bool> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".whl") {
        Some(true)
    } else if SDIST_EXTENSIONS.iter().any(|e| lower.ends_with(e)) {
        Some(false)
    } else {
        None
    }
}

/// The project name in a wheel file name.
fn wheel_name(filename: &str) -> Result<PackageName, RequirementsErrorKind> {
    let invalid = || RequirementsErrorKind::InvalidWheelFilename {
        filename: filename.to_string(),
    };
    let stem = filename
        .strip_suffix(".whl")
        .or_else(|| filename.strip_suffix(".WHL"))
        .ok_or_else(invalid)?;
    let parts: Vec<&str> = stem.split('-').collect();
    if !(parts.len() == 5 || parts.len() == 6) || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid());
    }
    PackageName::from_str(parts[0]).map_err(|_| invalid())
}

type Parsed = (Requirement<VerbatimUrl>, RequirementSource, Option<Hash>);

fn unsupported(text: &str, what: &'static str, hint: impl Into<String>) -> RequirementsErrorKind {
    RequirementsErrorKind::UnsupportedReference {
        text: text.to_string(),
        what,
        hint: hint.into(),
    }
}

/// Parses the requirement part of a line, the way pip's
/// `install_req_from_line` tells URLs, paths and PEP 508 apart.
fn parse_requirement(text: &str, base: &Path) -> Result<Parsed, RequirementsErrorKind> {
    if is_url(text) {
        // A bare URL; pip splits markers on "; " for URLs.
        let (url, marker) = match text.split_once("; ") {
            Some((u, m)) => (u.trim(), Some(m.trim())),
            None => (text.trim(), None),
        };
        return direct_reference(text, url, None, "", marker, base);
    }

    // A bare path (pip: `_strip_extras`, `_get_url_from_path`).
    let (name, marker) = match text.split_once(';') {
        Some((n, m)) => (n.trim(), Some(m.trim())),
        None => (text.trim(), None),
    };
    static EXTRAS_RE: Lazy<Regex> =
        Lazy::new(|| Regex::new(r"^(.+)(\[[^\]]+\])$").expect("valid regex"));
    let (path_part, extras) = match EXTRAS_RE.captures(name) {
        Some(c) => (
            c.get(1).map_or("", |m| m.as_str()),
            c.get(2).map_or("", |m| m.as_str()),
        ),
        None => (name, ""),
    };
    let path = base.join(path_part);
    if looks_like_path(name) && path.is_dir() {
        return Err(unsupported(
            text,
            "a directory (a source tree)",
            format!("grail installs wheels only; {BUILD_A_WHEEL}"),
        ));
    }
    if archive_kind(path_part).is_some() {
        let at_pep508 = name
            .split_once('@')
            .is_some_and(|(before, _)| !looks_like_path(before));
        if path.is_file() || !at_pep508 {
            let url = file_url(&path)?;
            return direct_reference(text, url.as_str(), None, extras, marker, base);
        }
    }

    // PEP 508.
    let requirement: Requirement<VerbatimUrl> =
        Requirement::from_str(text).map_err(|e| RequirementsErrorKind::InvalidRequirement {
            text: text.to_string(),
            source: Box::new(e),
        })?;
    match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => {
            let given = url.given().unwrap_or(url.as_str()).to_string();
            let name = requirement.name.clone();
            let extras: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
            let extras = if extras.is_empty() {
                String::new()
            } else {
                format!("[{}]", extras.join(","))
            };
            let marker = requirement.marker.contents().map(|m| m.to_string());
            direct_reference(text, &given, Some(name), &extras, marker.as_deref(), base)
        }
        _ => Ok((requirement, RequirementSource::Registry, None)),
    }
}

/// An absolute, lexically normalised path (pip: `normpath(abspath(p))`).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A `file://` URL for a local path.
fn file_url(path: &Path) -> Result<Url, RequirementsErrorKind> {
    Url::from_file_path(absolute(path)).map_err(|()| RequirementsErrorKind::WheelNotFound {
        path: path.to_path_buf(),
    })
}

/// Checks a direct reference (URL or file) and builds its requirement.
fn direct_reference(
    text: &str,
    url: &str,
    name: Option<PackageName>,
    extras: &str,
    marker: Option<&str>,
    base: &Path,
) -> Result<Parsed, RequirementsErrorKind> {
    let scheme = url_scheme(url).unwrap_or_default();
    if is_vcs_scheme(&scheme) {
        return Err(unsupported(
            text,
            "a VCS URL",
            format!("grail does not check out repositories; {BUILD_A_WHEEL}"),
        ));
    }
    let parsed =
        Url::parse(url).map_err(|e| unsupported(text, "not a valid URL", e.to_string()))?;
    let (filename, source) = match scheme.as_str() {
        "http" | "https" => {
            let last = parsed
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("");
            let filename = urlencoding_decode(last);
            let source = RequirementSource::WheelUrl {
                url: parsed.clone(),
                filename: filename.clone(),
            };
            (filename, source)
        }
        "file" => {
            let path = parsed.to_file_path().map_err(|_| {
                unsupported(
                    text,
                    "a file URL grail cannot read",
                    "use an absolute file:/// URL or a plain path",
                )
            })?;
            let path = absolute(&if path.is_absolute() {
                path
            } else {
                base.join(path)
            });
            if path.is_dir() {
                return Err(unsupported(
                    text,
                    "a directory (a source tree)",
                    format!("grail installs wheels only; {BUILD_A_WHEEL}"),
                ));
            }
            let filename = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            (filename, RequirementSource::LocalWheel { path })
        }
        _ => {
            return Err(unsupported(
                text,
                "a URL with an unsupported scheme",
                "use an https:// URL to a .whl file, or download the wheel and give its path",
            ))
        }
    };
    match archive_kind(&filename) {
        Some(true) => {}
        Some(false) => {
            return Err(unsupported(
                text,
                "a source archive",
                format!("grail installs wheels only; {BUILD_A_WHEEL}"),
            ))
        }
        None => {
            return Err(unsupported(
                text,
                "not a link to a .whl file",
                "point the URL at a .whl file, or use --find-links for a page of links",
            ))
        }
    }
    let from_wheel = wheel_name(&filename)?;
    if let Some(name) = &name {
        if *name != from_wheel {
            return Err(RequirementsErrorKind::WheelNameMismatch {
                text: text.to_string(),
                name: name.to_string(),
                wheel_name: from_wheel.to_string(),
            });
        }
    }
    if let RequirementSource::LocalWheel { path } = &source {
        if !path.is_file() {
            return Err(RequirementsErrorKind::WheelNotFound { path: path.clone() });
        }
    }

    // Build the requirement from name, extras and marker, then attach the URL
    // (pep508_rs would re-resolve file paths against the process directory).
    let spec = match marker {
        Some(m) if !m.is_empty() => format!("{from_wheel}{extras} ; {m}"),
        _ => format!("{from_wheel}{extras}"),
    };
    let mut requirement: Requirement<VerbatimUrl> =
        Requirement::from_str(&spec).map_err(|e| RequirementsErrorKind::InvalidRequirement {
            text: text.to_string(),
            source: Box::new(e),
        })?;
    let verbatim = match &source {
        RequirementSource::LocalWheel { path } => VerbatimUrl::from_url(file_url(path)?),
        _ => VerbatimUrl::from_url(parsed.clone()),
    }
    .with_given(url.to_string());
    requirement.version_or_url = Some(VersionOrUrl::Url(verbatim));
    Ok((requirement, source, fragment_hash(&parsed)))
}

/// `#sha256=<hex>` (or sha384/sha512) in a URL fragment.
fn fragment_hash(url: &Url) -> Option<Hash> {
    url.fragment()?.split('&').find_map(|pair| {
        let (algo, digest) = pair.split_once('=')?;
        format!("{algo}:{digest}").parse().ok()
    })
}

/// Percent-decoding of one URL path segment (pip's `Link.filename` unquotes).
fn urlencoding_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

// ---------------------------------------------------------------------------
// Effective index settings: CLI flags, PIP_* variables, file options
// ---------------------------------------------------------------------------

/// The index flags given on grail's command line (pip's names and meaning).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexArgs {
    /// `--index-url URL`
    pub index_url: Option<String>,
    /// `--extra-index-url URL`, repeatable
    pub extra_index_urls: Vec<String>,
    /// `--find-links DIR|URL`, repeatable (relative paths: the caller resolves
    /// them against the working directory, as pip does)
    pub find_links: Vec<String>,
    /// `--no-index`
    pub no_index: bool,
}

/// Where to look for distributions, after pip's precedence rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSettings {
    /// Index URLs in priority order; empty with `--no-index`.
    pub index_urls: Vec<String>,
    /// Find-links directories, files or URLs, in order.
    pub find_links: Vec<String>,
    /// `--no-index` is in effect.
    pub no_index: bool,
    /// `--pre`: pre-releases are allowed everywhere.
    pub pre: bool,
    /// `--prefer-binary` was given (grail prefers wheels anyway).
    pub prefer_binary: bool,
    /// `--only-binary` values, raw.
    pub only_binary: Vec<String>,
    /// `--trusted-host` values.
    pub trusted_hosts: Vec<String>,
}

/// A `PIP_*` variable whose value pip refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a valid value for {name}, please specify a boolean value like yes/no, true/false or 1/0 instead")]
pub struct EnvVarError {
    /// The variable.
    pub name: String,
    /// Its value.
    pub value: String,
}

impl EnvVarError {
    /// Bad input: exit code 1.
    pub fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// pip's `strtobool`.
fn strtobool(name: &str, value: &str) -> Result<bool, EnvVarError> {
    match value.to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Ok(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Ok(false),
        _ => Err(EnvVarError {
            name: name.to_string(),
            value: value.to_string(),
        }),
    }
}

/// Merges grail's CLI flags, `PIP_*` variables and the file's options exactly
/// as pip does (`pip download -r requirements.txt` as Chalice runs it):
///
/// 1. `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL` and `PIP_FIND_LINKS`
///    (whitespace-separated lists), `PIP_NO_INDEX` and `PIP_PRE` (pip's
///    booleans: 1/true/yes/on/y/t, 0/false/no/off/n/f, any case) are defaults;
///    empty values count as unset;
/// 2. CLI flags beat them: `--index-url` replaces `PIP_INDEX_URL`;
///    `--extra-index-url` and `--find-links` are *added after* the
///    variables' lists; `--no-index` sets it;
/// 3. indexes = `[index_url or DEFAULT_INDEX_URL] + extra_index_urls`, none
///    with no-index;
/// 4. the file's options, in file order: `--no-index` drops every index
///    (also later ones); `--index-url` *replaces* every index set so far
///    (CLI and variables included) unless no-index; `--extra-index-url` adds
///    unless no-index; `--find-links` adds; `--pre`, `--prefer-binary`,
///    `--only-binary`, `--trusted-host` add.
///
/// pip's configuration files (`pip.conf`) are not read.
pub fn effective_index_settings(
    cli: &IndexArgs,
    env: &dyn Fn(&str) -> Option<String>,
    file: &RequirementsFile,
) -> Result<IndexSettings, EnvVarError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let list = |name: &str| -> Vec<String> {
        var(name)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let boolean = |name: &str| -> Result<bool, EnvVarError> {
        var(name).map_or(Ok(false), |v| strtobool(name, v.trim()))
    };

    let index_url = cli
        .index_url
        .clone()
        .or_else(|| var("PIP_INDEX_URL"))
        .unwrap_or_else(|| DEFAULT_INDEX_URL.to_string());
    let mut extra = list("PIP_EXTRA_INDEX_URL");
    extra.extend(cli.extra_index_urls.iter().cloned());
    let mut find_links = list("PIP_FIND_LINKS");
    find_links.extend(cli.find_links.iter().cloned());
    let mut no_index = cli.no_index || boolean("PIP_NO_INDEX")?;
    let mut pre = boolean("PIP_PRE")?;

    let mut index_urls = if no_index {
        Vec::new()
    } else {
        std::iter::once(index_url).chain(extra).collect()
    };
    let mut settings_extra = (false, Vec::new(), Vec::new());
    for option in &file.options {
        match &option.option {
            FileIndexOption::NoIndex => {
                no_index = true;
                index_urls.clear();
            }
            FileIndexOption::IndexUrl(url) if !no_index => index_urls = vec![url.clone()],
            FileIndexOption::ExtraIndexUrl(url) if !no_index => index_urls.push(url.clone()),
            FileIndexOption::IndexUrl(_) | FileIndexOption::ExtraIndexUrl(_) => {}
            FileIndexOption::FindLinks(link) => find_links.push(link.clone()),
            FileIndexOption::Pre => pre = true,
            FileIndexOption::PreferBinary => settings_extra.0 = true,
            FileIndexOption::OnlyBinary(v) => settings_extra.1.push(v.clone()),
            FileIndexOption::TrustedHost(h) => settings_extra.2.push(h.clone()),
        }
    }
    // pip de-duplicates nothing, but asking an index twice is pointless.
    let mut seen = HashSet::new();
    index_urls.retain(|u| seen.insert(u.clone()));
    Ok(IndexSettings {
        index_urls,
        find_links,
        no_index,
        pre,
        prefer_binary: settings_extra.0,
        only_binary: settings_extra.1,
        trusted_hosts: settings_extra.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, LambdaTarget};
    use std::collections::HashMap;
    use std::fs;

    const H1: &str = "sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1";
    const H2: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<RequirementsFile, RequirementsError> {
        parse_str(text, Path::new("requirements.txt"), &no_env)
    }

    fn names(file: &RequirementsFile) -> Vec<String> {
        file.requirements
            .iter()
            .map(|e| e.requirement.to_string())
            .collect()
    }

    fn lambda_env() -> MarkerEnvironment {
        LambdaTarget::new("3.12".parse().unwrap(), Arch::X86_64).marker_env()
    }

    #[test]
    fn preprocess_matches_pip() {
        let env = |name: &str| match name {
            "TOKEN" => Some("s3cr3t".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        // (input, expected logical lines with their first line numbers)
        let cases: &[(&str, &[(usize, &str)])] = &[
            ("a\nb\n", &[(1, "a"), (2, "b")]),
            ("a\r\nb\rc", &[(1, "a"), (2, "b"), (3, "c")]),
            ("# full comment\n  # indented\n\n   \na", &[(5, "a")]),
            ("a # trailing", &[(1, "a")]),
            ("a\t# tab comment", &[(1, "a")]),
            // `#` not preceded by whitespace is not a comment (URL fragments).
            (
                "x @ https://h/x-1-py3-none-any.whl#sha256=ab",
                &[(1, "x @ https://h/x-1-py3-none-any.whl#sha256=ab")],
            ),
            ("a#b", &[(1, "a#b")]),
            // Continuations take the first line's number; backslashes are stripped, no space added.
            (
                "foo==1.0 \\\n    --hash=sha256:aa\nbar",
                &[(1, "foo==1.0     --hash=sha256:aa"), (3, "bar")],
            ),
            ("fo\\\no\\\n==1", &[(1, "foo==1")]),
            // A comment ends a continuation and is dropped.
            ("foo \\\n# c\nbar", &[(1, "foo"), (3, "bar")]),
            // A comment line ending in `\` does not continue.
            ("# c \\\nfoo", &[(2, "foo")]),
            // Trailing continuation at end of file.
            ("foo\\", &[(1, "foo")]),
            // `\` followed by a space is not a continuation (pip's TODO).
            ("foo \\ \nbar", &[(1, "foo \\"), (2, "bar")]),
            // ${VAR}: only upper-case names, unset/empty left as is.
            (
                "https://${TOKEN}@h/ $TOKEN ${token} ${MISSING} ${EMPTY}",
                &[(1, "https://s3cr3t@h/ $TOKEN ${token} ${MISSING} ${EMPTY}")],
            ),
            // Comments are stripped before expansion.
            ("a ${TOKEN} # ${TOKEN}", &[(1, "a s3cr3t")]),
        ];
        for (input, expected) in cases {
            let got = preprocess(input, &env);
            let want: Vec<(usize, String)> =
                expected.iter().map(|(n, l)| (*n, l.to_string())).collect();
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn shlex_split_like_python() {
        let cases: &[(&str, Result<&[&str], &str>)] = &[
            (
                "--hash=sha256:a  --hash sha256:b",
                Ok(&["--hash=sha256:a", "--hash", "sha256:b"]),
            ),
            ("-i 'https://h/a b'", Ok(&["-i", "https://h/a b"])),
            (r#"-f "a\"b" c\ d"#, Ok(&["-f", "a\"b", "c d"])),
            (r#""a\nb""#, Ok(&["a\\nb"])),
            ("''", Ok(&[""])),
            ("'abc", Err("No closing quotation")),
            ("abc\\", Err("No escaped character")),
        ];
        for (input, want) in cases {
            let got = shlex_split(input);
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn break_args_options_splits_at_first_dash_token() {
        let cases = [
            (
                "foo>=1 ; python_version < '3.9' --hash=sha256:a",
                ("foo>=1 ; python_version < '3.9'", "--hash=sha256:a"),
            ),
            ("--pre", ("", "--pre")),
            ("foo", ("foo", "")),
            ("foo-bar==1 -r x", ("foo-bar==1", "-r x")),
        ];
        for (line, (args, opts)) in cases {
            assert_eq!(
                break_args_options(line),
                (args.to_string(), opts.to_string()),
                "{line}"
            );
        }
    }

    #[test]
    fn option_forms_and_errors() {
        // (line, expected option list or error substring)
        let ok: &[(&str, &[FileIndexOption])] = &[
            (
                "-i https://a/simple",
                &[FileIndexOption::IndexUrl("https://a/simple".into())],
            ),
            (
                "-ihttps://a/simple",
                &[FileIndexOption::IndexUrl("https://a/simple".into())],
            ),
            (
                "--index-url=https://a/simple",
                &[FileIndexOption::IndexUrl("https://a/simple".into())],
            ),
            (
                "--pypi-url https://a/simple",
                &[FileIndexOption::IndexUrl("https://a/simple".into())],
            ),
            // optparse abbreviations
            (
                "--index https://a/simple",
                &[FileIndexOption::IndexUrl("https://a/simple".into())],
            ),
            (
                "--extra https://b/simple",
                &[FileIndexOption::ExtraIndexUrl("https://b/simple".into())],
            ),
            // store: last wins
            (
                "-i https://a/ -i https://b/",
                &[FileIndexOption::IndexUrl("https://b/".into())],
            ),
            // pip's order within a line: no-index, index-url, extras
            (
                "--extra-index-url https://x/ --index-url https://a/ --no-index",
                &[
                    FileIndexOption::NoIndex,
                    FileIndexOption::IndexUrl("https://a/".into()),
                    FileIndexOption::ExtraIndexUrl("https://x/".into()),
                ],
            ),
            ("--pre", &[FileIndexOption::Pre]),
            (
                "--prefer-binary --only-binary :all:",
                &[
                    FileIndexOption::PreferBinary,
                    FileIndexOption::OnlyBinary(":all:".into()),
                ],
            ),
            (
                "--trusted-host example.com",
                &[FileIndexOption::TrustedHost("example.com".into())],
            ),
            (
                "-f https://h/links.html",
                &[FileIndexOption::FindLinks("https://h/links.html".into())],
            ),
            ("--no-binary :none:", &[]),
            ("--require-hashes", &[]),
        ];
        for (line, want) in ok {
            let file = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let got: Vec<_> = file.options.iter().map(|o| o.option.clone()).collect();
            assert_eq!(&got, want, "{line}");
        }

        let bad: &[(&str, &str)] = &[
            ("--no-deps", "no such option: --no-deps"),
            ("-x foo", "no such option: -x"),
            ("--no", "ambiguous option: --no (--no-binary, --no-index?)"),
            ("--index-url", "--index-url option requires 1 argument"),
            ("-i", "-i option requires 1 argument"),
            ("--pre=yes", "--pre option does not take a value"),
            (
                "--hash=sha1:abc",
                "allowed hash algorithms for --hash are sha256, sha384, sha512",
            ),
            ("--hash=SHA256:abc", "allowed hash algorithms"),
            ("--hash=abc", "must be a hash name followed by a value"),
            (
                "foo --hash=sha256:abc",
                "a sha256 digest is 64 hexadecimal digits",
            ),
            ("-i 'https://a", "No closing quotation"),
            ("-e .", "-e/--editable is not supported by grail"),
            (
                "--editable=git+https://h/r.git#egg=r",
                "-e/--editable is not supported",
            ),
            (
                "--install-option=--prefix=/x",
                "no such option: --install-option",
            ),
        ];
        for (text, want) in bad {
            let err = parse(&format!("ok==1\n{text}")).expect_err(text);
            assert_eq!(err.line, Some(2), "{text}");
            assert_eq!(err.file, PathBuf::from("requirements.txt"));
            let msg = err.to_string();
            assert!(msg.starts_with("requirements.txt:2: "), "{msg}");
            assert!(msg.contains(want), "{text}: {msg}");
            assert_eq!(err.exit_kind(), ExitKind::Usage);
        }
    }

    #[test]
    fn ignored_options_warn() {
        let cases: &[(&str, &str)] = &[
            (
                "--use-feature=truststore",
                "--use-feature=truststore ignored",
            ),
            ("--no-binary :all:", "--no-binary :all: ignored"),
            (
                "foo==1 --global-option=x",
                "--global-option/--config-settings ignored",
            ),
            ("foo==1 -C k=v", "--global-option/--config-settings ignored"),
            (
                "foo==1 --index-url https://a/",
                "--index-url ignored on a requirement line",
            ),
            (
                "--hash=sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1",
                "--hash without a requirement",
            ),
            ("-f a -f b", "only the first --find-links"),
            ("--pre stray", "ignored `stray`"),
        ];
        for (line, want) in cases {
            let file = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert!(
                file.warnings
                    .iter()
                    .any(|w| w.message.contains(want) && w.location.line == 1),
                "{line}: {:?}",
                file.warnings
            );
        }
        // A requirement line's index options have no effect (pip ignores them).
        let file = parse("foo==1 --index-url https://a/").unwrap();
        assert!(file.options.is_empty());
    }

    #[test]
    fn registry_requirements_with_extras_and_markers() {
        let text = "\
requests[socks,security] >= 2.31, <3 ; python_version >= \"3.8\"
Django==4.2.*
attrs
foo-bar.baz_qux===1.0
";
        let file = parse(text).unwrap();
        assert_eq!(file.requirements.len(), 4);
        let r = &file.requirements[0];
        assert_eq!(r.requirement.name.as_ref(), "requests");
        assert_eq!(r.requirement.extras.len(), 2);
        assert!(r.requirement.marker.contents().is_some());
        assert_eq!(r.source, RequirementSource::Registry);
        assert_eq!(r.location.line, 1);
        assert_eq!(
            file.requirements[3].requirement.name.as_ref(),
            "foo-bar-baz-qux"
        );
        assert!(!file.requirements[0].is_pinned());
        assert!(
            !file.requirements[1].is_pinned(),
            "== with a wildcard is not pinned"
        );
        assert!(file.requirements[3].is_pinned(), "=== pins");
        assert!(!file.hash_checking());
        file.check_hashes(&lambda_env()).unwrap();
    }

    #[test]
    fn invalid_requirement_reports_line_text_and_pep508_message() {
        let err = parse("ok==1\n\nfoo >=< 1\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        let msg = err.to_string();
        assert!(
            msg.starts_with("requirements.txt:3: invalid requirement `foo >=< 1`"),
            "{msg}"
        );
        assert!(msg.contains('^'), "pep508 underline: {msg}");
        // Through anyhow (as the CLI prints errors) the message appears once.
        let chained = format!("{:#}", anyhow::Error::new(err));
        assert_eq!(
            chained.matches("invalid requirement").count(),
            1,
            "{chained}"
        );
    }

    #[test]
    fn direct_references() {
        let dir = tempfile::tempdir().unwrap();
        let wheels = dir.path().join("wheels");
        fs::create_dir(&wheels).unwrap();
        fs::write(wheels.join("local_pkg-1.0-py3-none-any.whl"), b"PK").unwrap();
        fs::write(wheels.join("src_pkg-1.0.tar.gz"), b"").unwrap();
        fs::create_dir(dir.path().join("srcdir")).unwrap();
        let req = dir.path().join("requirements.txt");
        let local = wheels.join("local_pkg-1.0-py3-none-any.whl");

        let ok: &[(&str, &str, RequirementSource)] = &[
            (
                "attrs @ https://files.example.com/p/attrs-23.2.0-py3-none-any.whl",
                "attrs",
                RequirementSource::WheelUrl {
                    url: Url::parse("https://files.example.com/p/attrs-23.2.0-py3-none-any.whl")
                        .unwrap(),
                    filename: "attrs-23.2.0-py3-none-any.whl".into(),
                },
            ),
            (
                "https://files.example.com/p/attrs-23.2.0-py3-none-any.whl ; python_version >= '3'",
                "attrs",
                RequirementSource::WheelUrl {
                    url: Url::parse("https://files.example.com/p/attrs-23.2.0-py3-none-any.whl")
                        .unwrap(),
                    filename: "attrs-23.2.0-py3-none-any.whl".into(),
                },
            ),
            (
                "./wheels/local_pkg-1.0-py3-none-any.whl",
                "local-pkg",
                RequirementSource::LocalWheel {
                    path: local.clone(),
                },
            ),
            (
                "wheels/local_pkg-1.0-py3-none-any.whl[extra]",
                "local-pkg",
                RequirementSource::LocalWheel {
                    path: local.clone(),
                },
            ),
            (
                "wheels/../wheels/local_pkg-1.0-py3-none-any.whl;sys_platform=='linux'",
                "local-pkg",
                RequirementSource::LocalWheel {
                    path: local.clone(),
                },
            ),
        ];
        for (line, name, source) in ok {
            let file = parse_str(line, &req, &no_env).unwrap_or_else(|e| panic!("{line}: {e}"));
            let entry = &file.requirements[0];
            assert_eq!(entry.requirement.name.as_ref(), *name, "{line}");
            assert_eq!(&entry.source, source, "{line}");
            assert!(
                matches!(entry.requirement.version_or_url, Some(VersionOrUrl::Url(_))),
                "{line}"
            );
        }
        // file: URL to an absolute path
        let line = format!("local-pkg @ {}", Url::from_file_path(&local).unwrap());
        let file = parse_str(&line, &req, &no_env).unwrap();
        assert_eq!(
            file.requirements[0].source,
            RequirementSource::LocalWheel {
                path: local.clone()
            }
        );
        // extras survive on bare paths
        let file = parse_str(
            "wheels/local_pkg-1.0-py3-none-any.whl[extra]",
            &req,
            &no_env,
        )
        .unwrap();
        assert_eq!(file.requirements[0].requirement.extras.len(), 1);
        // URL fragment hash is kept
        let line = format!(
            "attrs @ https://h/attrs-23.2.0-py3-none-any.whl#{}",
            H1.replacen(':', "=", 1)
        );
        let file = parse_str(&line, &req, &no_env).unwrap();
        assert_eq!(file.requirements[0].url_hash, Some(H1.parse().unwrap()));

        let bad: &[(&str, &str)] = &[
            ("pkg @ git+https://github.com/o/pkg.git@v1", "is a VCS URL"),
            ("git+https://github.com/o/pkg.git#egg=pkg", "is a VCS URL"),
            ("./srcdir", "is a directory"),
            ("wheels/src_pkg-1.0.tar.gz", "is a source archive"),
            (
                "src-pkg @ https://h/src_pkg-1.0.tar.gz",
                "is a source archive",
            ),
            ("pkg @ https://h/simple/pkg/", "not a link to a .whl file"),
            ("ftp://h/pkg-1.0-py3-none-any.whl", "unsupported scheme"),
            (
                "pkg @ ftp://h/pkg-1.0-py3-none-any.whl",
                "invalid requirement",
            ),
            ("./wheels/missing-1.0-py3-none-any.whl", "does not exist"),
            (
                "other @ https://h/attrs-23.2.0-py3-none-any.whl",
                "names `other` but the wheel file is for `attrs`",
            ),
            ("https://h/not-a-wheel.whl", "not a valid wheel file name"),
        ];
        for (line, want) in bad {
            let err = parse_str(&format!("# header\n{line}"), &req, &no_env).expect_err(line);
            assert_eq!(err.line, Some(2), "{line}");
            let msg = err.to_string();
            assert!(msg.contains(want), "{line}: {msg}");
        }
        // The advice says what to do.
        let err = parse_str("./srcdir", &req, &no_env).unwrap_err();
        assert!(err.to_string().contains("pip wheel --no-deps"), "{err}");
    }

    #[test]
    fn includes_are_relative_to_the_including_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        fs::write(
            dir.path().join("requirements.txt"),
            "a==1\n-r sub/base.txt\n--constraint=sub/constraints.txt\nd\n",
        )
        .unwrap();
        fs::write(sub.join("base.txt"), "# base\nb==2\n-r more.txt\n").unwrap();
        fs::write(sub.join("more.txt"), "c==3\n").unwrap();
        fs::write(sub.join("constraints.txt"), "d<5\n-r more2.txt\n").unwrap();
        fs::write(sub.join("more2.txt"), "e==1\n").unwrap();
        let file = parse_requirements(&dir.path().join("requirements.txt"), &no_env).unwrap();
        assert_eq!(names(&file), ["a==1", "b==2", "c==3", "e==1", "d"]);
        assert_eq!(
            file.requirements[1].location,
            Location {
                file: dir
                    .path()
                    .join("requirements.txt")
                    .parent()
                    .unwrap()
                    .join("sub/base.txt"),
                line: 2
            }
        );
        assert_eq!(
            file.requirements[2].location.file,
            dir.path()
                .join("sub/base.txt")
                .parent()
                .unwrap()
                .join("more.txt")
        );
        // `-r` inside a constraints file yields requirements (pip does the same).
        assert_eq!(file.constraints.len(), 1);
        assert_eq!(file.constraints[0].requirement.to_string(), "d<5");

        // A missing include names the including file and line.
        fs::write(dir.path().join("broken.txt"), "a\n\n-r nope.txt\n").unwrap();
        let err = parse_requirements(&dir.path().join("broken.txt"), &no_env).unwrap_err();
        assert_eq!(err.file, dir.path().join("broken.txt"));
        assert_eq!(err.line, Some(3));
        assert!(err.to_string().contains("nope.txt"), "{err}");

        // Remote includes are refused.
        let err = parse("-r https://example.com/req.txt").unwrap_err();
        assert!(err.to_string().contains("is remote"), "{err}");

        // Cycles are caught.
        fs::write(dir.path().join("x.txt"), "-r y.txt\n").unwrap();
        fs::write(dir.path().join("y.txt"), "a\n-r x.txt\n").unwrap();
        let err = parse_requirements(&dir.path().join("x.txt"), &no_env).unwrap_err();
        assert!(err.to_string().contains("includes itself"), "{err}");
        assert_eq!(err.line, Some(2));

        // Constraints cannot have extras.
        fs::write(dir.path().join("c.txt"), "req[extra]==1\n").unwrap();
        let err = parse_str("-c c.txt", &dir.path().join("r.txt"), &no_env).unwrap_err();
        assert!(
            err.to_string().contains("constraints cannot have extras"),
            "{err}"
        );
        assert_eq!(err.file, dir.path().join("c.txt"));
    }

    #[test]
    fn missing_top_level_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = parse_requirements(&dir.path().join("requirements.txt"), &no_env).unwrap();
        assert!(file.is_empty());
        assert_eq!(file, RequirementsFile::default());
    }

    #[test]
    fn bom_and_non_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("requirements.txt");
        fs::write(&p, b"\xef\xbb\xbfattrs==1\n").unwrap();
        assert_eq!(
            names(&parse_requirements(&p, &no_env).unwrap()),
            ["attrs==1"]
        );
        fs::write(&p, b"attrs==1 \xff\n").unwrap();
        let err = parse_requirements(&p, &no_env).unwrap_err();
        assert!(matches!(err.kind, RequirementsErrorKind::NotUtf8));
    }

    #[test]
    fn env_var_expansion_in_requirements_and_options() {
        let env = |name: &str| match name {
            "INDEX" => Some("https://user:pw@private.example/simple".to_string()),
            "VER" => Some("2.0".to_string()),
            _ => None,
        };
        let file = parse_str(
            "--extra-index-url ${INDEX}\nfoo==${VER}\n",
            Path::new("r.txt"),
            &env,
        )
        .unwrap();
        assert_eq!(
            file.options[0].option,
            FileIndexOption::ExtraIndexUrl("https://user:pw@private.example/simple".into())
        );
        assert_eq!(names(&file), ["foo==2.0"]);
    }

    #[test]
    fn hash_checking_mode() {
        let env = lambda_env();
        let hashed = format!("a==1 --hash={H1} --hash={H2}\n");
        // (text, hash mode?, Ok or error line + substring)
        type Expect = Option<(usize, &'static str)>;
        let cases: Vec<(String, bool, Expect)> = vec![
            (hashed.clone(), true, None),
            (
                format!("{hashed}b==2\n"),
                true,
                Some((2, "Hashes are required in --require-hashes mode")),
            ),
            (
                format!("{hashed}b>=2 --hash={H1}\n"),
                true,
                Some((2, "must have their versions pinned with ==")),
            ),
            (
                "--require-hashes\nb==2\n".into(),
                true,
                Some((2, "`b==2` has no --hash")),
            ),
            // a marker that does not apply to the target: no hash needed (pip ignores the line)
            (
                format!("{hashed}b==2 ; sys_platform == 'win32'\n"),
                true,
                None,
            ),
            // direct URL with a fragment hash: fine and needs no pin
            (
                format!(
                    "{hashed}attrs @ https://h/attrs-1-py3-none-any.whl#sha256={}\n",
                    &H1[7..]
                ),
                true,
                None,
            ),
            // unhashed direct URL
            (
                format!("{hashed}attrs @ https://h/attrs-1-py3-none-any.whl\n"),
                true,
                Some((2, "has no --hash")),
            ),
            ("b==2\nc>1\n".into(), false, None),
        ];
        for (text, mode, want) in cases {
            let file = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(file.hash_checking(), mode, "{text}");
            match (file.check_hashes(&env), want) {
                (Ok(()), None) => {}
                (Err(e), Some((line, msg))) => {
                    assert_eq!(e.line, Some(line), "{text}");
                    assert!(e.to_string().contains(msg), "{text}: {e}");
                }
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        // Constraints can supply hashes and pins (pip merges them).
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("c.txt"), format!("b==2 --hash={H2}\n")).unwrap();
        let file = parse_str(
            &format!("-c c.txt\n{hashed}b\n"),
            &dir.path().join("r.txt"),
            &no_env,
        )
        .unwrap();
        file.check_hashes(&env).unwrap();
        let b: PackageName = "b".parse().unwrap();
        assert_eq!(file.hashes_for(&b), vec![&H2.parse::<Hash>().unwrap()]);
        // Line of a continued requirement is its first physical line.
        let file = parse(&format!("a==1 \\\n  --hash={H1} \\\n  --hash={H2}\n")).unwrap();
        assert_eq!(file.requirements[0].hashes.len(), 2);
        assert_eq!(file.requirements[0].location.line, 1);
    }

    #[test]
    fn hash_round_trips() {
        for s in [
            H1.to_string(),
            "sha384:".to_string() + &"ab".repeat(48),
            "sha512:".to_string() + &"0f".repeat(64),
        ]
        .iter()
        .map(|s| s.to_string())
        {
            let h: Hash = s.parse().unwrap();
            assert_eq!(h.to_string(), s);
        }
        let upper: Hash = H1
            .to_ascii_uppercase()
            .replace("SHA256", "sha256")
            .parse()
            .unwrap();
        assert_eq!(upper.to_string(), H1);
        let err = "md5:abc".parse::<Hash>().unwrap_err();
        assert_eq!(err.input, "md5:abc");
        assert_eq!(err.kind, HashParseErrorKind::Algorithm);
        assert_eq!(
            "sha256:zz".parse::<Hash>().unwrap_err().kind,
            HashParseErrorKind::Digest(HashAlgorithm::Sha256)
        );
        for a in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(a.to_string().parse::<HashAlgorithm>().unwrap(), a);
        }
    }

    #[test]
    fn find_links_relative_to_the_file_when_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("wheels")).unwrap();
        let req = dir.path().join("requirements.txt");
        let file = parse_str(
            "-f wheels\n--find-links=elsewhere\n-f https://h/links/",
            &req,
            &no_env,
        )
        .unwrap();
        let got: Vec<_> = file.options.iter().map(|o| o.option.clone()).collect();
        assert_eq!(
            got,
            [
                FileIndexOption::FindLinks(
                    dir.path().join("wheels").to_string_lossy().into_owned()
                ),
                FileIndexOption::FindLinks("elsewhere".into()),
                FileIndexOption::FindLinks("https://h/links/".into()),
            ]
        );
    }

    #[test]
    fn index_precedence_follows_pip() {
        struct Case {
            name: &'static str,
            cli: IndexArgs,
            env: &'static [(&'static str, &'static str)],
            file: &'static str,
            index_urls: &'static [&'static str],
            find_links: &'static [&'static str],
            no_index: bool,
        }
        let cli = |i: Option<&str>, extra: &[&str], f: &[&str], no_index: bool| IndexArgs {
            index_url: i.map(String::from),
            extra_index_urls: extra.iter().map(|s| s.to_string()).collect(),
            find_links: f.iter().map(|s| s.to_string()).collect(),
            no_index,
        };
        let cases = [
            Case {
                name: "default",
                cli: IndexArgs::default(),
                env: &[],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "env index",
                cli: IndexArgs::default(),
                env: &[("PIP_INDEX_URL", "https://env/")],
                file: "",
                index_urls: &["https://env/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "cli beats env index",
                cli: cli(Some("https://cli/"), &[], &[], false),
                env: &[("PIP_INDEX_URL", "https://env/")],
                file: "",
                index_urls: &["https://cli/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "empty env is unset",
                cli: IndexArgs::default(),
                env: &[("PIP_INDEX_URL", ""), ("PIP_NO_INDEX", "")],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "lists accumulate: env then cli",
                cli: cli(None, &["https://c/"], &["z"], false),
                env: &[
                    ("PIP_EXTRA_INDEX_URL", "https://a/  https://b/"),
                    ("PIP_FIND_LINKS", "x\ty"),
                ],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL, "https://a/", "https://b/", "https://c/"],
                find_links: &["x", "y", "z"],
                no_index: false,
            },
            Case {
                name: "file extra adds after cli/env",
                cli: cli(None, &["https://c/"], &[], false),
                env: &[],
                file: "--extra-index-url https://f/",
                index_urls: &[DEFAULT_INDEX_URL, "https://c/", "https://f/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "file index-url replaces everything before it",
                cli: cli(Some("https://cli/"), &["https://c/"], &[], false),
                env: &[("PIP_EXTRA_INDEX_URL", "https://e/")],
                file:
                    "--extra-index-url https://f1/\n-i https://file/\n--extra-index-url https://f2/",
                index_urls: &["https://file/", "https://f2/"],
                find_links: &[],
                no_index: false,
            },
            Case {
                name: "file no-index drops all, later indexes too, keeps find-links",
                cli: cli(None, &[], &["cli-links"], false),
                env: &[],
                file:
                    "--no-index\n-i https://file/\n--extra-index-url https://f/\n-f https://links/",
                index_urls: &[],
                find_links: &["cli-links", "https://links/"],
                no_index: true,
            },
            Case {
                name: "cli no-index ignores file indexes",
                cli: cli(None, &[], &[], true),
                env: &[],
                file: "-i https://file/",
                index_urls: &[],
                find_links: &[],
                no_index: true,
            },
            Case {
                name: "env no-index",
                cli: IndexArgs::default(),
                env: &[("PIP_NO_INDEX", "Yes")],
                file: "",
                index_urls: &[],
                find_links: &[],
                no_index: true,
            },
            Case {
                name: "env no-index off",
                cli: IndexArgs::default(),
                env: &[("PIP_NO_INDEX", "off")],
                file: "",
                index_urls: &[DEFAULT_INDEX_URL],
                find_links: &[],
                no_index: false,
            },
        ];
        for case in cases {
            let vars: HashMap<String, String> = case
                .env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let env = |name: &str| vars.get(name).cloned();
            let file = parse(case.file).unwrap();
            let got = effective_index_settings(&case.cli, &env, &file).unwrap();
            assert_eq!(got.index_urls, case.index_urls, "{}", case.name);
            assert_eq!(got.find_links, case.find_links, "{}", case.name);
            assert_eq!(got.no_index, case.no_index, "{}", case.name);
        }

        let env = |name: &str| (name == "PIP_NO_INDEX").then(|| "maybe".to_string());
        let err =
            effective_index_settings(&IndexArgs::default(), &env, &RequirementsFile::default())
                .unwrap_err();
        assert_eq!(err.to_string(), "maybe is not a valid value for PIP_NO_INDEX, please specify a boolean value like yes/no, true/false or 1/0 instead");

        let env = |name: &str| (name == "PIP_PRE").then(|| "1".to_string());
        assert!(
            effective_index_settings(&IndexArgs::default(), &env, &RequirementsFile::default())
                .unwrap()
                .pre
        );
        let file = parse("--pre\n--trusted-host h\n--prefer-binary").unwrap();
        let got = effective_index_settings(&IndexArgs::default(), &no_env, &file).unwrap();
        assert!(got.pre && got.prefer_binary);
        assert_eq!(got.trusted_hosts, ["h"]);
    }

    #[test]
    fn chalice_has_at_least_one_package() {
        let cases = [
            ("", false),
            ("\n\n   \n", false),
            ("# only a comment\n   # another\n", false),
            ("\r\n#x\r\n", false),
            ("--index-url https://x/\n", true),
            ("  requests\n", true),
            ("# c\nboto3", true),
            ("\\\n", true),
        ];
        for (text, want) in cases {
            assert_eq!(has_at_least_one_package(text), want, "{text:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_at_least_one_package_file(&dir.path().join("requirements.txt")).unwrap());
        fs::write(requirements_path(dir.path()), "attrs\n").unwrap();
        assert!(has_at_least_one_package_file(&requirements_path(dir.path())).unwrap());
    }
}

//! What can be wrong with a requirements file, always with the file and line.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::error::{Classify, ExitKind};

use super::hash::HashParseError;
use super::location::Location;

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
    pub(super) fn at(location: &Location, kind: RequirementsErrorKind) -> Self {
        RequirementsError {
            file: location.file.clone(),
            line: Some(location.line),
            kind,
        }
    }
}

/// Every requirements problem is bad input: exit code 1.
impl Classify for RequirementsError {
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

pub(super) const BUILD_A_WHEEL: &str = "build a wheel (`pip wheel --no-deps -w wheels/ <source>`) and list \
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
    #[error("invalid requirement `{text}`: {message}")]
    InvalidRequirement {
        /// The requirement part of the line.
        text: String,
        /// The parser's message.
        message: String,
    },
    /// A project name longer than [`crate::names::MAX_NAME_CHARS`].
    #[error(transparent)]
    NameTooLong(#[from] crate::names::NameTooLong),
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

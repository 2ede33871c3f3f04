//! Wheels (PEP 427, PEP 491): filenames, the `WHEEL` and `RECORD` files, path
//! safety, and the plan for installing a wheel into the deployment root.
//!
//! Call sequence for the assembler:
//!
//! 1. `WheelFilename::from_str` on each candidate file name (tags are matched
//!    by [`crate::tags::Tags::compatibility`]);
//! 2. [`WheelArchive::open`] on the downloaded file: reads the central
//!    directory, the `.dist-info` (`WHEEL`, `METADATA`, `RECORD`), checks every
//!    path and computes [`WheelArchive::entries`], the install plan;
//! 3. [`WheelArchive::verify`]: decompresses everything and checks it against
//!    `RECORD` (sha256 and size) — run once per downloaded file;
//! 4. copy each [`WheelEntry`] whose [`InstallAction`] is `Install(path)` into
//!    the zip at `path` (raw copy of zip index [`WheelEntry::index`]).
//!
//! `*.data/purelib/` and `*.data/platlib/` are mapped to the root (Lambda's
//! `/var/task` is the site-packages root); `*.data/scripts|headers|data/` are
//! dropped (Chalice leaves them under `*.data/`, where nothing imports them).
//!
//! ```
//! use grail::wheel::{install_action, DataScheme, InstallAction, WheelFilename};
//!
//! let w: WheelFilename = "Foo.Bar-1.0-1build-py2.py3-none-any.whl".parse().unwrap();
//! assert_eq!(w.normalized_name(), "foo-bar");
//! assert_eq!(w.build.as_ref().unwrap().number, 1);
//! assert_eq!(w.python_tags, ["py2", "py3"]);
//! assert_eq!(w.to_string(), "Foo.Bar-1.0-1build-py2.py3-none-any.whl");
//!
//! let err = "foo-1.0-py3-none.whl".parse::<WheelFilename>().unwrap_err();
//! assert!(err.to_string().contains("expected 5 or 6 '-'-separated parts"));
//!
//! let data = Some("foo-1.0.data");
//! assert_eq!(install_action("foo-1.0.data/platlib/foo/_x.so", data).unwrap(),
//!            InstallAction::Install("foo/_x.so".into()));
//! assert_eq!(install_action("foo-1.0.data/scripts/foo", data).unwrap(),
//!            InstallAction::Drop(DataScheme::Scripts));
//! assert!(install_action("../etc/passwd", data).is_err());
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use pep440_rs::Version;
use rayon::prelude::*;
use sha2::Digest;

use crate::metadata::{CoreMetadata, MetadataError};
use crate::tags::{PlatformTag, Tag, TagParseError};

// ---------------------------------------------------------------------------
// Filenames

/// A build tag: an optional tie-breaker between otherwise identical wheels.
/// Ordered as the tuple `(number, rest)`, as PEP 427 says.
///
/// Ex) `1build` → `(1, "build")`
#[derive(Clone, Debug)]
pub struct BuildTag {
    /// The leading digits. Ex) `1`
    pub number: u64,
    /// Whatever follows. Ex) `build`
    pub rest: String,
    raw: String,
}

impl PartialEq for BuildTag {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for BuildTag {}
impl Ord for BuildTag {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.number, &self.rest).cmp(&(other.number, &other.rest))
    }
}
impl PartialOrd for BuildTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A parsed wheel filename.
///
/// Ex) `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelFilename {
    /// The distribution name as written. Ex) `Foo_Bar`
    pub name: String,
    /// The PEP 440 version.
    pub version: Version,
    version_raw: String,
    /// The optional build tag.
    pub build: Option<BuildTag>,
    /// Interpreter tags (a compressed set, `.`-separated in the name). Ex) `["py2", "py3"]`
    pub python_tags: Vec<String>,
    /// ABI tags. Ex) `["cp312"]`
    pub abi_tags: Vec<String>,
    /// Platform tags. Ex) `manylinux_2_17_x86_64`, `manylinux2014_x86_64`
    pub platform_tags: Vec<PlatformTag>,
}

/// A file name that is not a valid wheel name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wheel filename {input:?}: {kind}")]
pub struct WheelFilenameError {
    /// The offending file name.
    pub input: String,
    /// What is wrong with it.
    pub kind: WheelFilenameErrorKind,
}

/// What is wrong with a wheel filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelFilenameErrorKind {
    /// Ex) `foo-1.0.tar.gz`
    #[error("not a .whl file")]
    NotAWheel,
    /// Ex) `foo-1.0-py3-none.whl`
    #[error(
        "expected 5 or 6 '-'-separated parts (name-version[-build]-python-abi-platform), got {0}"
    )]
    PartCount(usize),
    /// Ex) `fo o-1.0-py3-none-any.whl`
    #[error("invalid distribution name {0:?} (letters, digits, '_' and '.' only)")]
    InvalidName(String),
    /// Ex) `foo-one-py3-none-any.whl`
    #[error("invalid version {version:?}: {message}")]
    InvalidVersion {
        /// The version field.
        version: String,
        /// The PEP 440 parser's explanation.
        message: String,
    },
    /// Ex) `foo-1.0-build1-py3-none-any.whl`
    #[error("build tag {0:?} must start with a digit")]
    InvalidBuildTag(String),
    /// Ex) `foo-1.0-py3..py2-none-any.whl`
    #[error("{0}")]
    InvalidTag(TagParseError),
}

fn split_tag_set(
    field: &str,
    err: &impl Fn(WheelFilenameErrorKind) -> WheelFilenameError,
) -> Result<Vec<String>, WheelFilenameError> {
    field
        .split('.')
        .map(|t| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                let kind = if t.is_empty() {
                    crate::tags::TagParseErrorKind::Empty
                } else {
                    crate::tags::TagParseErrorKind::InvalidCharacter
                };
                Err(err(WheelFilenameErrorKind::InvalidTag(TagParseError {
                    input: field.to_string(),
                    kind,
                })))
            } else {
                Ok(t.to_string())
            }
        })
        .collect()
}

impl FromStr for WheelFilename {
    type Err = WheelFilenameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |kind| WheelFilenameError {
            input: s.to_string(),
            kind,
        };
        let stem = s
            .strip_suffix(".whl")
            .ok_or_else(|| err(WheelFilenameErrorKind::NotAWheel))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts[..] {
            [n, v, p, a, pl] => (n, v, None, p, a, pl),
            [n, v, b, p, a, pl] => (n, v, Some(b), p, a, pl),
            _ => return Err(err(WheelFilenameErrorKind::PartCount(parts.len()))),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(err(WheelFilenameErrorKind::InvalidName(name.to_string())));
        }
        // A local version's `-` is written as `_` in file names.
        let parsed_version = Version::from_str(&version.replace('_', "-")).map_err(|e| {
            err(WheelFilenameErrorKind::InvalidVersion {
                version: version.to_string(),
                message: e.to_string(),
            })
        })?;
        let build = match build {
            None => None,
            Some(b) => {
                let digits = b.bytes().take_while(u8::is_ascii_digit).count();
                let number = b[..digits]
                    .parse::<u64>()
                    .map_err(|_| err(WheelFilenameErrorKind::InvalidBuildTag(b.to_string())))?;
                Some(BuildTag {
                    number,
                    rest: b[digits..].to_string(),
                    raw: b.to_string(),
                })
            }
        };
        let python_tags = split_tag_set(py, &err)?;
        let abi_tags = split_tag_set(abi, &err)?;
        let platform_tags = split_tag_set(plat, &err)?
            .iter()
            .map(|p| {
                p.parse::<PlatformTag>()
                    .map_err(|e| err(WheelFilenameErrorKind::InvalidTag(e)))
            })
            .collect::<Result<_, _>>()?;
        Ok(WheelFilename {
            name: name.to_string(),
            version: parsed_version,
            version_raw: version.to_string(),
            build,
            python_tags,
            abi_tags,
            platform_tags,
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version_raw)?;
        if let Some(b) = &self.build {
            write!(f, "-{b}")?;
        }
        let plats: Vec<String> = self.platform_tags.iter().map(|p| p.to_string()).collect();
        write!(
            f,
            "-{}-{}-{}.whl",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            plats.join(".")
        )
    }
}

impl WheelFilename {
    /// The PEP 503-normalised distribution name. Ex) `foo-bar`
    pub fn normalized_name(&self) -> String {
        crate::names::normalize(&self.name)
    }

    /// Every tag of the compressed tag sets (their cartesian product).
    pub fn tags(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for py in &self.python_tags {
            for abi in &self.abi_tags {
                for plat in &self.platform_tags {
                    out.push(Tag {
                        python: py.clone(),
                        abi: abi.clone(),
                        platform: plat.clone(),
                    });
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// WHEEL

/// The `*.dist-info/WHEEL` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelInfo {
    /// `Wheel-Version:` as `(major, minor)`. Ex) `(1, 0)`
    pub wheel_version: (u32, u32),
    /// `Root-Is-Purelib:` (irrelevant for Lambda, where both libs are the root).
    pub root_is_purelib: bool,
    /// `Tag:` lines.
    pub tags: Vec<String>,
    /// `Build:`, if any.
    pub build: Option<String>,
}

/// Why a `WHEEL` file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelInfoError {
    /// No `Wheel-Version:` header.
    #[error("WHEEL has no Wheel-Version")]
    MissingVersion,
    /// Ex) `Wheel-Version: one`
    #[error("WHEEL has an invalid Wheel-Version {0:?} (expected MAJOR.MINOR)")]
    BadVersion(String),
    /// Ex) `Wheel-Version: 2.0`
    #[error("Wheel-Version {0} is not supported (this installer reads 1.x)")]
    UnsupportedVersion(String),
    /// Ex) `Root-Is-Purelib: maybe`
    #[error("WHEEL has an invalid Root-Is-Purelib {0:?} (expected true or false)")]
    BadPurelib(String),
}

impl WheelInfo {
    /// Parse a `WHEEL` file.
    pub fn parse(bytes: &[u8]) -> Result<WheelInfo, WheelInfoError> {
        let headers = crate::metadata::parse_headers(bytes);
        let get = |k: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let v = get("Wheel-Version").ok_or(WheelInfoError::MissingVersion)?;
        let (major, minor) = v
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
            .ok_or_else(|| WheelInfoError::BadVersion(v.to_string()))?;
        if major != 1 {
            return Err(WheelInfoError::UnsupportedVersion(v.to_string()));
        }
        let root_is_purelib = match get("Root-Is-Purelib").map(str::to_ascii_lowercase) {
            None => false,
            Some(s) if s == "true" => true,
            Some(s) if s == "false" => false,
            Some(s) => return Err(WheelInfoError::BadPurelib(s)),
        };
        let tags = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Tag"))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(WheelInfo {
            wheel_version: (major, minor),
            root_is_purelib,
            tags,
            build: get("Build").map(str::to_string),
        })
    }

    /// A warning when the wheel uses a newer 1.x format than this reader knows.
    pub fn warning(&self) -> Option<String> {
        (self.wheel_version.1 > 0).then(|| {
            format!(
                "Wheel-Version {}.{} is newer than 1.0; installing anyway",
                self.wheel_version.0, self.wheel_version.1
            )
        })
    }
}

// ---------------------------------------------------------------------------
// RECORD

/// One `RECORD` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// Path inside the wheel. Ex) `six.py`
    pub path: String,
    /// `(algorithm, digest bytes)`; `None` for RECORD itself and its signatures.
    pub hash: Option<(String, Vec<u8>)>,
    /// Size in bytes, if given.
    pub size: Option<u64>,
}

/// The `*.dist-info/RECORD` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Rows in file order.
    pub entries: Vec<RecordEntry>,
}

/// A malformed `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RECORD line {line}: {message}")]
pub struct RecordError {
    /// 1-based row number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Split CSV text into rows of fields (RFC 4180 quoting, as Python's csv writes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => in_quotes = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn is_record_file(path: &str) -> bool {
    path.ends_with("/RECORD") || path.ends_with("/RECORD.jws") || path.ends_with("/RECORD.p7s")
}

impl Record {
    /// Parse `RECORD` text. Hashes are `<algorithm>=<urlsafe base64, no padding>`.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        let text = std::str::from_utf8(bytes).map_err(|e| RecordError {
            line: 0,
            message: format!("not UTF-8: {e}"),
        })?;
        let mut entries = Vec::new();
        for (i, row) in csv_rows(text).into_iter().enumerate() {
            let line = i + 1;
            let err = |message: String| RecordError { line, message };
            if row.iter().all(|f| f.is_empty()) {
                continue;
            }
            if row.len() != 3 {
                return Err(err(format!("expected 3 fields, got {}", row.len())));
            }
            let hash = if row[1].is_empty() {
                None
            } else {
                let (algo, b64) = row[1]
                    .split_once('=')
                    .ok_or_else(|| err(format!("hash {:?} is not ALGO=DIGEST", row[1])))?;
                let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(b64.trim_end_matches('='))
                    .map_err(|e| err(format!("hash {:?} is not base64: {e}", row[1])))?;
                Some((algo.to_ascii_lowercase(), digest))
            };
            let size = if row[2].is_empty() {
                None
            } else {
                Some(
                    row[2]
                        .parse::<u64>()
                        .map_err(|_| err(format!("size {:?} is not a number", row[2])))?,
                )
            };
            entries.push(RecordEntry {
                path: row[0].clone(),
                hash,
                size,
            });
        }
        Ok(Record { entries })
    }
}

/// Hash `bytes` with a RECORD algorithm; `None` if the algorithm is not allowed.
fn digest(algorithm: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        "sha256" => Some(sha2::Sha256::digest(bytes).to_vec()),
        "sha384" => Some(sha2::Sha384::digest(bytes).to_vec()),
        "sha512" => Some(sha2::Sha512::digest(bytes).to_vec()),
        _ => None,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---------------------------------------------------------------------------
// Paths and the install plan

/// An archive entry path that could escape the install root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsafe path {path:?} in archive: {kind}")]
pub struct UnsafePath {
    /// The entry name.
    pub path: String,
    /// Why it is unsafe.
    pub kind: UnsafePathKind,
}

/// Why a path is unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnsafePathKind {
    /// Ex) `/etc/passwd`
    #[error("absolute path")]
    Absolute,
    /// Ex) `foo/../../etc`
    #[error("'..' component")]
    ParentDir,
    /// Ex) `C:evil.py`
    #[error("drive letter")]
    DriveLetter,
    /// Ex) `foo\bar.py`: a separator on Windows, a surprise everywhere.
    #[error("backslash")]
    Backslash,
    /// Ex) `foo\0.py`, or an empty name.
    #[error("empty name or NUL byte")]
    Invalid,
}

/// Reject entry paths that are absolute, contain `..`, a drive letter, a
/// backslash or a NUL byte.
pub fn check_entry_path(path: &str) -> Result<(), UnsafePath> {
    let fail = |kind| {
        Err(UnsafePath {
            path: path.to_string(),
            kind,
        })
    };
    if path.is_empty() || path.contains('\0') {
        return fail(UnsafePathKind::Invalid);
    }
    if path.contains('\\') {
        return fail(UnsafePathKind::Backslash);
    }
    if path.starts_with('/') {
        return fail(UnsafePathKind::Absolute);
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return fail(UnsafePathKind::DriveLetter);
    }
    if path.split('/').any(|c| c == "..") {
        return fail(UnsafePathKind::ParentDir);
    }
    Ok(())
}

/// A `*.data/<scheme>/` directory of a wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataScheme {
    /// Ex) `foo-1.0.data/purelib/foo.py` → `foo.py`
    Purelib,
    /// Ex) `foo-1.0.data/platlib/_foo.so` → `_foo.so`
    Platlib,
    /// Console scripts: not importable, dropped.
    Scripts,
    /// C headers: dropped.
    Headers,
    /// Data files for `sys.prefix`: dropped.
    Data,
}

impl FromStr for DataScheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "purelib" => Ok(DataScheme::Purelib),
            "platlib" => Ok(DataScheme::Platlib),
            "scripts" => Ok(DataScheme::Scripts),
            "headers" => Ok(DataScheme::Headers),
            "data" => Ok(DataScheme::Data),
            other => Err(other.to_string()),
        }
    }
}

/// What to do with one wheel entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallAction {
    /// Put it at this path in the deployment root (unchanged, or remapped
    /// from `.data/purelib|platlib/`). Ex) `foo/__init__.py`
    Install(String),
    /// Leave it out.
    Drop(DataScheme),
}

/// An entry under `*.data/` whose scheme is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallPathError {
    /// See [`UnsafePath`].
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    /// Ex) `foo-1.0.data/bin/x`
    #[error("unknown .data scheme {scheme:?} for {path:?} (expected purelib, platlib, scripts, headers or data)")]
    UnknownScheme {
        /// The entry.
        path: String,
        /// The scheme directory.
        scheme: String,
    },
}

/// Decide where `entry` goes. `data_dir` is the wheel's `{name}-{version}.data`
/// directory, if it has one.
pub fn install_action(
    entry: &str,
    data_dir: Option<&str>,
) -> Result<InstallAction, InstallPathError> {
    check_entry_path(entry)?;
    let inside = data_dir.and_then(|d| entry.strip_prefix(d)?.strip_prefix('/'));
    let Some(rest) = inside else {
        return Ok(InstallAction::Install(entry.to_string()));
    };
    let (scheme, path) = rest.split_once('/').unwrap_or((rest, ""));
    let scheme =
        DataScheme::from_str(scheme).map_err(|scheme| InstallPathError::UnknownScheme {
            path: entry.to_string(),
            scheme,
        })?;
    Ok(match scheme {
        DataScheme::Purelib | DataScheme::Platlib => InstallAction::Install(path.to_string()),
        other => InstallAction::Drop(other),
    })
}

// ---------------------------------------------------------------------------
// Archives

/// Why a wheel archive cannot be installed. Every variant names the wheel.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    /// The file cannot be read.
    #[error("cannot read wheel {path}: {source}")]
    Io {
        /// The wheel file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The zip structure is broken (or an entry's CRC is wrong).
    #[error("wheel {wheel} is not a valid zip archive: {message}")]
    Zip {
        /// The wheel file name.
        wheel: String,
        /// The zip reader's explanation.
        message: String,
    },
    /// See [`WheelFilenameError`].
    #[error(transparent)]
    Filename(#[from] WheelFilenameError),
    /// Missing, ambiguous or mismatching `.dist-info` directory.
    #[error("wheel {wheel}: {message}")]
    DistInfo {
        /// The wheel file name.
        wheel: String,
        /// What is wrong.
        message: String,
    },
    /// A bad `WHEEL` file.
    #[error("wheel {wheel}: {source}")]
    WheelInfo {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: WheelInfoError,
    },
    /// A bad `METADATA` file.
    #[error("wheel {wheel}: METADATA: {source}")]
    Metadata {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: MetadataError,
    },
    /// A bad `RECORD` file.
    #[error("wheel {wheel}: {source}")]
    Record {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: RecordError,
    },
    /// An unsafe or unmappable entry path.
    #[error("wheel {wheel}: {source}")]
    Path {
        /// The wheel file name.
        wheel: String,
        /// The path error.
        source: InstallPathError,
    },
    /// Two entries install to the same path.
    #[error("wheel {wheel}: two entries install to {path:?}")]
    Duplicate {
        /// The wheel file name.
        wheel: String,
        /// The target path.
        path: String,
    },
    /// An entry's content does not match RECORD.
    #[error("wheel {wheel}: {entry} does not match RECORD: {message}; the download is corrupt or the wheel was modified")]
    Mismatch {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
        /// Expected vs actual.
        message: String,
    },
    /// A file in the archive is not listed in RECORD.
    #[error("wheel {wheel}: {entry} is not listed in RECORD")]
    NotInRecord {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
    },
    /// A RECORD row names a file the archive lacks.
    #[error("wheel {wheel}: RECORD lists {entry}, which is not in the archive")]
    MissingFile {
        /// The wheel file name.
        wheel: String,
        /// The RECORD path.
        entry: String,
    },
}

/// One file entry of a wheel and what to do with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelEntry {
    /// Index in the zip's central directory (for raw copy).
    pub index: usize,
    /// Name in the archive.
    pub name: String,
    /// Where it goes.
    pub target: InstallAction,
    /// Uncompressed size in bytes.
    pub uncompressed_size: u64,
    /// CRC-32 from the central directory.
    pub crc32: u32,
}

/// An opened, checked wheel and its install plan.
#[derive(Debug)]
pub struct WheelArchive {
    /// The wheel file on disk.
    pub path: PathBuf,
    /// Its parsed file name.
    pub filename: WheelFilename,
    /// `{name}-{version}.dist-info` as found in the archive.
    pub dist_info: String,
    /// The parsed `WHEEL`.
    pub wheel_info: WheelInfo,
    /// The parsed `METADATA`.
    pub metadata: CoreMetadata,
    /// The parsed `RECORD`.
    pub record: Record,
    /// Every file entry (directories excluded), in archive order.
    pub entries: Vec<WheelEntry>,
}

/// `name-version` of a `.dist-info` / `.data` directory.
fn split_name_version(stem: &str) -> Option<(&str, &str)> {
    stem.rsplit_once('-')
}

impl WheelArchive {
    /// Open a wheel: read its central directory and `.dist-info`, check paths,
    /// and plan the install. Does not decompress payload files (see
    /// [`WheelArchive::verify`]).
    pub fn open(path: &Path) -> Result<WheelArchive, WheelError> {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        Self::open_named(path, file_name)
    }

    /// Like [`WheelArchive::open`], for a file stored under another name
    /// (Ex: a content-addressed cache); `file_name` is the wheel's real name.
    pub fn open_named(path: &Path, file_name: &str) -> Result<WheelArchive, WheelError> {
        let io = |source| WheelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let filename: WheelFilename = file_name.parse()?;
        let file_name = file_name.to_string();
        let wheel = file_name.clone();
        let zip_err = |e: zip::result::ZipError| WheelError::Zip {
            wheel: wheel.clone(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_err)?;

        let mut names = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let name = zip
                .name_for_index(i)
                .ok_or_else(|| WheelError::Zip {
                    wheel: wheel.clone(),
                    message: format!("entry {i} has no name"),
                })?
                .map_err(zip_err)?
                .into_owned();
            names.push(name);
        }

        let dist_info = Self::find_dist_info(&wheel, &filename, &names)?;
        let read = |zip: &mut zip::ZipArchive<_>, file: &str| -> Result<Vec<u8>, WheelError> {
            let full = format!("{dist_info}/{file}");
            let mut entry = zip.by_name(&full).map_err(|_| WheelError::DistInfo {
                wheel: wheel.clone(),
                message: format!("{full} is missing"),
            })?;
            let mut buf = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut buf).map_err(|e| WheelError::Zip {
                wheel: wheel.clone(),
                message: format!("{full}: {e}"),
            })?;
            Ok(buf)
        };
        let wheel_info = WheelInfo::parse(&read(&mut zip, "WHEEL")?).map_err(|source| {
            WheelError::WheelInfo {
                wheel: wheel.clone(),
                source,
            }
        })?;
        let metadata = CoreMetadata::parse(&read(&mut zip, "METADATA")?).map_err(|source| {
            WheelError::Metadata {
                wheel: wheel.clone(),
                source,
            }
        })?;
        if metadata.normalized_name() != filename.normalized_name() {
            return Err(WheelError::DistInfo {
                wheel,
                message: format!(
                    "METADATA names {:?}, the file name says {:?}",
                    metadata.name, filename.name
                ),
            });
        }
        let record =
            Record::parse(&read(&mut zip, "RECORD")?).map_err(|source| WheelError::Record {
                wheel: wheel.clone(),
                source,
            })?;

        // The `.data` directory shares the dist-info's stem.
        let stem = dist_info.trim_end_matches(".dist-info");
        let data_dir = format!("{stem}.data");
        let mut entries = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (index, name) in names.into_iter().enumerate() {
            let path_err = |source| WheelError::Path {
                wheel: wheel.clone(),
                source,
            };
            check_entry_path(&name).map_err(|e| path_err(e.into()))?;
            let entry = zip.by_index_raw(index).map_err(zip_err)?;
            if entry.is_dir() || name.ends_with('/') {
                continue;
            }
            let target = install_action(&name, Some(&data_dir)).map_err(path_err)?;
            if let InstallAction::Install(p) = &target {
                if p.is_empty() || !seen.insert(p.clone()) {
                    return Err(WheelError::Duplicate {
                        wheel,
                        path: p.clone(),
                    });
                }
            }
            entries.push(WheelEntry {
                index,
                name,
                target,
                uncompressed_size: entry.size(),
                crc32: entry.crc32(),
            });
        }
        Ok(WheelArchive {
            path: path.to_path_buf(),
            filename,
            dist_info,
            wheel_info,
            metadata,
            record,
            entries,
        })
    }

    /// The single top-level `*.dist-info` whose name and version match the file name.
    fn find_dist_info(
        wheel: &str,
        filename: &WheelFilename,
        names: &[String],
    ) -> Result<String, WheelError> {
        let dirs: BTreeSet<&str> = names
            .iter()
            .filter_map(|n| n.split_once('/').map(|(top, _)| top))
            .filter(|top| top.ends_with(".dist-info"))
            .collect();
        let err = |message: String| WheelError::DistInfo {
            wheel: wheel.to_string(),
            message,
        };
        let dir = match dirs.len() {
            0 => return Err(err("no .dist-info directory".into())),
            1 => dirs.into_iter().next().unwrap_or_default(),
            _ => {
                let all: Vec<&str> = dirs.into_iter().collect();
                return Err(err(format!(
                    "more than one .dist-info directory: {}",
                    all.join(", ")
                )));
            }
        };
        let stem = dir.trim_end_matches(".dist-info");
        let (name, version) = split_name_version(stem)
            .ok_or_else(|| err(format!("{dir} is not NAME-VERSION.dist-info")))?;
        if crate::names::normalize(name) != filename.normalized_name() {
            return Err(err(format!(
                "{dir} does not match the file name's project {:?}",
                filename.name
            )));
        }
        let same_version = Version::from_str(&version.replace('_', "-"))
            .map(|v| v == filename.version)
            .unwrap_or(false);
        if !same_version {
            return Err(err(format!(
                "{dir} does not match the file name's version {}",
                filename.version
            )));
        }
        Ok(dir.to_string())
    }

    /// Total uncompressed bytes of the files that get installed.
    pub fn unzipped_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| matches!(e.target, InstallAction::Install(_)))
            .map(|e| e.uncompressed_size)
            .sum()
    }

    /// The import roots this wheel installs: first path segment of each
    /// installed file, `.dist-info` excluded, `.py` and extension-module
    /// suffixes stripped. Ex) `{"six"}`, `{"yaml", "_yaml"}`
    pub fn top_level_names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in &self.entries {
            let InstallAction::Install(p) = &e.target else {
                continue;
            };
            match p.split_once('/') {
                Some((dir, _)) => {
                    if !dir.ends_with(".dist-info") && !dir.ends_with(".data") {
                        out.insert(dir.to_string());
                    }
                }
                None => {
                    if let Some(m) = p.strip_suffix(".py") {
                        out.insert(m.to_string());
                    } else if p.ends_with(".so") || p.ends_with(".pyd") {
                        // foo.cpython-312-x86_64-linux-gnu.so → foo
                        let m = p.split('.').next().unwrap_or(p);
                        out.insert(m.to_string());
                    }
                }
            }
        }
        out
    }

    /// Decompress every entry and check it against RECORD (hash and size; the
    /// zip reader also checks each CRC). Files missing from RECORD (other than
    /// RECORD and its signatures) and RECORD rows missing from the archive are
    /// errors. Reads the wheel into memory once and hashes on all cores.
    pub fn verify(&self) -> Result<(), WheelError> {
        let wheel = self.filename.to_string();
        let bytes = std::fs::read(&self.path).map_err(|source| WheelError::Io {
            path: self.path.clone(),
            source,
        })?;
        let zip =
            zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|e| WheelError::Zip {
                wheel: wheel.clone(),
                message: e.to_string(),
            })?;
        let mut by_path: HashMap<&str, &RecordEntry> = HashMap::new();
        for r in &self.record.entries {
            by_path.insert(r.path.as_str(), r);
        }
        let in_archive: HashSet<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
        if let Some(missing) = self
            .record
            .entries
            .iter()
            .find(|r| !in_archive.contains(r.path.as_str()))
        {
            return Err(WheelError::MissingFile {
                wheel,
                entry: missing.path.clone(),
            });
        }
        self.entries
            .par_iter()
            .map_init(
                || zip.clone(),
                |zip, entry| self.verify_entry(zip, entry, &by_path, &wheel),
            )
            .collect::<Result<Vec<()>, WheelError>>()?;
        Ok(())
    }

    fn verify_entry(
        &self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        entry: &WheelEntry,
        record: &HashMap<&str, &RecordEntry>,
        wheel: &str,
    ) -> Result<(), WheelError> {
        let mismatch = |message: String| WheelError::Mismatch {
            wheel: wheel.to_string(),
            entry: entry.name.clone(),
            message,
        };
        let Some(row) = record.get(entry.name.as_str()) else {
            if is_record_file(&entry.name) {
                return Ok(());
            }
            return Err(WheelError::NotInRecord {
                wheel: wheel.to_string(),
                entry: entry.name.clone(),
            });
        };
        let mut file = zip.by_index(entry.index).map_err(|e| WheelError::Zip {
            wheel: wheel.to_string(),
            message: format!("{}: {e}", entry.name),
        })?;
        let mut buf = Vec::with_capacity(entry.uncompressed_size as usize);
        file.read_to_end(&mut buf).map_err(|e| WheelError::Zip {
            wheel: wheel.to_string(),
            message: format!("{}: {e}", entry.name),
        })?;
        if let Some(size) = row.size {
            if size != buf.len() as u64 {
                return Err(mismatch(format!(
                    "RECORD size {size}, actual {}",
                    buf.len()
                )));
            }
        }
        match &row.hash {
            None if is_record_file(&entry.name) => Ok(()),
            None => Err(mismatch("RECORD has no hash for it".into())),
            Some((algo, want)) => match digest(algo, &buf) {
                None => Err(mismatch(format!(
                    "unsupported hash algorithm {algo:?} (sha256, sha384 or sha512 expected)"
                ))),
                Some(got) if &got != want => Err(mismatch(format!(
                    "RECORD {algo}={}, actual {algo}={}",
                    b64(want),
                    b64(&got)
                ))),
                Some(_) => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn filename_round_trip() {
        for s in [
            "six-1.17.0-py2.py3-none-any.whl",
            "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "Foo.Bar-1.0-1build-py3-none-any.whl",
            "foo-1.0+local_1-py3-none-any.whl",
            "cryptography-44.0.0-cp39-abi3-musllinux_1_2_aarch64.whl",
        ] {
            let w: WheelFilename = s.parse().unwrap();
            assert_eq!(w.to_string(), s);
        }
        let w: WheelFilename = "foo-1.0+local_1-py3-none-any.whl".parse().unwrap();
        assert_eq!(w.version.to_string(), "1.0+local.1");
        let w: WheelFilename =
            "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
                .parse()
                .unwrap();
        assert_eq!(w.tags().len(), 2);
        assert_eq!(w.tags()[1].to_string(), "cp312-cp312-manylinux2014_x86_64");
    }

    type KindCheck = fn(&WheelFilenameErrorKind) -> bool;

    #[test]
    fn filename_errors() {
        let cases: &[(&str, KindCheck)] = &[
            ("foo-1.0.tar.gz", |k| {
                *k == WheelFilenameErrorKind::NotAWheel
            }),
            ("foo-1.0-py3-none.whl", |k| {
                *k == WheelFilenameErrorKind::PartCount(4)
            }),
            ("a-b-1.0-1-py3-none-any.whl", |k| {
                *k == WheelFilenameErrorKind::PartCount(7)
            }),
            ("foo-one-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidVersion { .. })
            }),
            ("foo-1.0-b1-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidBuildTag(_))
            }),
            ("fo o-1.0-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidName(_))
            }),
            ("-1.0-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidName(_))
            }),
            ("foo-1.0-py3..py2-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidTag(_))
            }),
        ];
        for (input, check) in cases {
            let e = input.parse::<WheelFilename>().unwrap_err();
            assert_eq!(e.input, *input);
            assert!(check(&e.kind), "{input}: {e}");
            assert!(e.to_string().contains(input));
        }
    }

    #[test]
    fn build_tag_ordering() {
        let b = |s: &str| {
            format!("foo-1.0-{s}-py3-none-any.whl")
                .parse::<WheelFilename>()
                .unwrap()
                .build
                .unwrap()
        };
        assert!(b("2") > b("1"));
        assert!(b("10") > b("9"));
        assert!(b("1b") > b("1a"));
        assert!(b("1a") > b("1"));
        assert_eq!(b("01"), b("1"));
        assert_eq!(b("01").to_string(), "01");
    }

    #[test]
    fn wheel_info() {
        let w = WheelInfo::parse(
            b"Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_x86_64\nTag: cp312-cp312-manylinux2014_x86_64\n",
        )
        .unwrap();
        assert_eq!(w.wheel_version, (1, 0));
        assert!(!w.root_is_purelib);
        assert_eq!(w.tags.len(), 2);
        assert!(w.warning().is_none());
        let newer = WheelInfo::parse(b"Wheel-Version: 1.9\nRoot-Is-Purelib: true\n").unwrap();
        assert!(newer.warning().unwrap().contains("1.9"));
        assert_eq!(
            WheelInfo::parse(b"Wheel-Version: 2.0\n").unwrap_err(),
            WheelInfoError::UnsupportedVersion("2.0".into())
        );
        assert_eq!(
            WheelInfo::parse(b"Generator: x\n").unwrap_err(),
            WheelInfoError::MissingVersion
        );
    }

    #[test]
    fn path_safety() {
        for ok in [
            "foo/bar.py",
            "foo..bar/x",
            "a/.../b",
            "foo-1.0.dist-info/RECORD",
        ] {
            assert!(check_entry_path(ok).is_ok(), "{ok}");
        }
        for (bad, kind) in [
            ("/etc/passwd", UnsafePathKind::Absolute),
            ("../x.py", UnsafePathKind::ParentDir),
            ("foo/../../x.py", UnsafePathKind::ParentDir),
            ("foo/..", UnsafePathKind::ParentDir),
            ("C:evil.py", UnsafePathKind::DriveLetter),
            ("c:/evil.py", UnsafePathKind::DriveLetter),
            ("foo\\..\\x.py", UnsafePathKind::Backslash),
            ("", UnsafePathKind::Invalid),
            ("a\0b", UnsafePathKind::Invalid),
        ] {
            let e = check_entry_path(bad).unwrap_err();
            assert_eq!(e.kind, kind, "{bad:?}");
            assert_eq!(e.path, bad);
        }
    }

    #[test]
    fn data_mapping() {
        let d = Some("foo-1.0.data");
        let act = |p| install_action(p, d).unwrap();
        assert_eq!(act("foo/x.py"), InstallAction::Install("foo/x.py".into()));
        assert_eq!(
            act("foo-1.0.data/purelib/foo/x.py"),
            InstallAction::Install("foo/x.py".into())
        );
        assert_eq!(
            act("foo-1.0.data/platlib/_foo.so"),
            InstallAction::Install("_foo.so".into())
        );
        assert_eq!(
            act("foo-1.0.data/headers/x.h"),
            InstallAction::Drop(DataScheme::Headers)
        );
        assert_eq!(
            act("foo-1.0.data/data/share/x"),
            InstallAction::Drop(DataScheme::Data)
        );
        assert_eq!(
            act("foo-1.0.data/scripts/foo"),
            InstallAction::Drop(DataScheme::Scripts)
        );
        // Another project's `.data` is an ordinary directory.
        assert_eq!(
            act("bar-1.0.data/purelib/x.py"),
            InstallAction::Install("bar-1.0.data/purelib/x.py".into())
        );
        assert!(matches!(
            install_action("foo-1.0.data/bin/x", d).unwrap_err(),
            InstallPathError::UnknownScheme { .. }
        ));
        assert!(install_action("/abs", d).is_err());
    }

    #[test]
    fn record_parsing() {
        let r = Record::parse(
            b"foo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\nfoo-1.0.dist-info/RECORD,,\n",
        )
        .unwrap();
        assert_eq!(r.entries.len(), 3);
        assert_eq!(r.entries[1].path, "a,b.py");
        assert_eq!(
            r.entries[0].hash.as_ref().unwrap().1,
            sha2::Sha256::digest(b"").to_vec()
        );
        assert_eq!(r.entries[2].hash, None);
        let e = Record::parse(b"x.py,sha256=abc\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Record::parse(b"ok,,\nx.py,sha256=abc,big\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    /// Build a wheel in `dir`; `tamper` may edit RECORD rows before writing.
    fn build_wheel(
        dir: &Path,
        file_name: &str,
        files: &[(&str, &[u8])],
        tamper: impl Fn(&mut Vec<String>),
    ) -> PathBuf {
        let path = dir.join(file_name);
        let w: WheelFilename = file_name.parse().unwrap();
        let di = format!("{}-{}.dist-info", w.name, w.version);
        let mut all: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect();
        all.push((
            format!("{di}/METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
                w.name, w.version
            )
            .into_bytes(),
        ));
        all.push((
            format!("{di}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ));
        let mut rows: Vec<String> = all
            .iter()
            .map(|(n, b)| format!("{n},sha256={},{}", b64(&sha2::Sha256::digest(b)), b.len()))
            .collect();
        rows.push(format!("{di}/RECORD,,"));
        tamper(&mut rows);
        all.push((format!("{di}/RECORD"), rows.join("\n").into_bytes()));
        let mut zw = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in &all {
            zw.start_file(n.as_str(), opts).unwrap();
            zw.write_all(b).unwrap();
        }
        zw.finish().unwrap();
        path
    }

    const FILES: &[(&str, &[u8])] = &[
        ("demo/__init__.py", b"x = 1\n"),
        (
            "demo/_speed.cpython-312-x86_64-linux-gnu.so",
            b"\x7fELF fake",
        ),
        ("demo_helper.py", b"y = 2\n"),
        ("demo-1.0.data/platlib/_demo_ext.so", b"ext"),
        ("demo-1.0.data/scripts/demo", b"#!python\n"),
    ];

    #[test]
    fn open_plans_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let w = WheelArchive::open(&path).unwrap();
        assert_eq!(w.dist_info, "demo-1.0.dist-info");
        assert_eq!(w.metadata.name, "demo");
        let installs: Vec<&str> = w
            .entries
            .iter()
            .filter_map(|e| match &e.target {
                InstallAction::Install(p) => Some(p.as_str()),
                InstallAction::Drop(_) => None,
            })
            .collect();
        assert!(installs.contains(&"_demo_ext.so"));
        assert!(installs.contains(&"demo-1.0.dist-info/RECORD"));
        assert!(!installs.iter().any(|p| p.contains("scripts")));
        let names: Vec<String> = w.top_level_names().into_iter().collect();
        assert_eq!(names, ["_demo_ext", "demo", "demo_helper"]);
        let dropped = 9; // b"#!python\n"
        let total: u64 = w.entries.iter().map(|e| e.uncompressed_size).sum();
        assert_eq!(w.unzipped_bytes(), total - dropped);
        w.verify().unwrap();
    }

    #[test]
    fn record_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let name = "demo-1.0-py3-none-any.whl";
        // Wrong hash.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows[0] = format!(
                "demo/__init__.py,sha256={},6",
                b64(&sha2::Sha256::digest(b"x"))
            );
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(matches!(e, WheelError::Mismatch { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(name) && msg.contains("demo/__init__.py"),
            "{msg}"
        );
        // Wrong size.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows[2] = rows[2].replace(",6", ",7");
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(e.to_string().contains("size 7, actual 6"), "{e}");
        // Not in RECORD.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows.remove(1);
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(matches!(e, WheelError::NotInRecord { .. }), "{e}");
        // In RECORD, not in the archive.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows.push("demo/ghost.py,sha256=abc,1".into());
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(e.to_string().contains("demo/ghost.py"), "{e}");
    }

    #[test]
    fn open_rejects_bad_archives() {
        let dir = tempfile::tempdir().unwrap();
        let p = build_wheel(
            dir.path(),
            "demo-1.0-py3-none-any.whl",
            &[("../evil.py", b"x")],
            |_| {},
        );
        let e = WheelArchive::open(&p).unwrap_err();
        assert!(e.to_string().contains("'..'"), "{e}");
        let p = build_wheel(
            dir.path(),
            "demo-1.0-py3-none-any.whl",
            &[("demo-1.0.data/platlib/x.py", b"x"), ("x.py", b"x")],
            |_| {},
        );
        assert!(matches!(
            WheelArchive::open(&p).unwrap_err(),
            WheelError::Duplicate { .. }
        ));
        // A wheel cached under another name opens with its real name.
        let p = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let cached = dir.path().join("0123abcd");
        std::fs::rename(&p, &cached).unwrap();
        let w = WheelArchive::open_named(&cached, "demo-1.0-py3-none-any.whl").unwrap();
        w.verify().unwrap();
        assert!(WheelArchive::open(&cached).is_err());
        // dist-info version does not match the file name.
        let p = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let renamed = dir.path().join("demo-2.0-py3-none-any.whl");
        std::fs::rename(&p, &renamed).unwrap();
        let e = WheelArchive::open(&renamed).unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");
        let not_zip = dir.path().join("junk-1.0-py3-none-any.whl");
        std::fs::write(&not_zip, b"hello").unwrap();
        assert!(matches!(
            WheelArchive::open(&not_zip).unwrap_err(),
            WheelError::Zip { .. }
        ));
    }
}

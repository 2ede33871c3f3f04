//! The requirement part of a line: PEP 508, bare paths and URLs, direct references to wheels.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;

use pep508_rs::{PackageName, Requirement, VerbatimUrl, VersionOrUrl};
use regex::Regex;
use url::Url;

use crate::secrets::SecretUrl;

use super::error::{RequirementsErrorKind, BUILD_A_WHEEL};
use super::hash::Hash;
use super::model::RequirementSource;

/// pip's `get_url_scheme`: the text before the first `:`, lower-cased.
pub(super) fn url_scheme(s: &str) -> Option<String> {
    s.split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase())
}

pub(super) fn is_vcs_scheme(scheme: &str) -> bool {
    matches!(scheme, "git" | "svn" | "hg" | "bzr")
        || ["git+", "svn+", "hg+", "bzr+"]
            .iter()
            .any(|p| scheme.starts_with(p))
}

/// pip's `is_url`.
pub(super) fn is_url(s: &str) -> bool {
    url_scheme(s).is_some_and(|s| {
        matches!(s.as_str(), "http" | "https" | "file" | "ftp") || is_vcs_scheme(&s)
    })
}

/// pip's `_looks_like_path`.
pub(super) fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains(std::path::MAIN_SEPARATOR) || s.starts_with('.')
}

pub(super) const SDIST_EXTENSIONS: &[&str] = &[
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
pub(super) fn archive_kind(name: &str) -> Option<bool> {
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
pub(super) fn wheel_name(filename: &str) -> Result<PackageName, RequirementsErrorKind> {
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

pub(super) type Parsed = (Requirement<VerbatimUrl>, RequirementSource, Option<Hash>);

pub(super) fn unsupported(
    text: &str,
    what: &'static str,
    hint: impl Into<String>,
) -> RequirementsErrorKind {
    RequirementsErrorKind::UnsupportedReference {
        text: text.to_string(),
        what,
        hint: hint.into(),
    }
}

/// Parses the requirement part of a line, the way pip's
/// `install_req_from_line` tells URLs, paths and PEP 508 apart.
pub(super) fn parse_requirement(text: &str, base: &Path) -> Result<Parsed, RequirementsErrorKind> {
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
    static EXTRAS_RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(.+)(\[[^\]]+\])$").expect("valid regex"));
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
        crate::guard::requirement(text).map_err(|message| {
            RequirementsErrorKind::InvalidRequirement {
                text: text.to_string(),
                message,
            }
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
pub(super) fn absolute(path: &Path) -> PathBuf {
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
pub(super) fn file_url(path: &Path) -> Result<Url, RequirementsErrorKind> {
    Url::from_file_path(absolute(path)).map_err(|()| RequirementsErrorKind::WheelNotFound {
        path: path.to_path_buf(),
    })
}

/// Checks a direct reference (URL or file) and builds its requirement.
pub(super) fn direct_reference(
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
    let (filename, source) = reference_target(text, &scheme, &parsed, base)?;
    let from_wheel = check_wheel(text, &filename, name.as_ref(), &source)?;
    let requirement = wheel_requirement(text, &from_wheel, extras, marker)?;
    Ok((
        with_url(requirement, &source, &parsed, url)?,
        source,
        fragment_hash(&parsed),
    ))
}

/// The file name and source a direct reference points at: an `http(s)` URL's
/// last path segment, or a local file (relative to `base`).
fn reference_target(
    text: &str,
    scheme: &str,
    parsed: &Url,
    base: &Path,
) -> Result<(String, RequirementSource), RequirementsErrorKind> {
    Ok(match scheme {
        "http" | "https" => {
            let last = parsed
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("");
            let filename = urlencoding_decode(last);
            let source = RequirementSource::WheelUrl {
                url: SecretUrl::new(parsed.clone()),
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
    })
}

/// The referenced file must be a wheel (existing, when local) whose project
/// name matches the name written before `@`.
fn check_wheel(
    text: &str,
    filename: &str,
    name: Option<&PackageName>,
    source: &RequirementSource,
) -> Result<PackageName, RequirementsErrorKind> {
    match archive_kind(filename) {
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
    let from_wheel = wheel_name(filename)?;
    if let Some(name) = name {
        if *name != from_wheel {
            return Err(RequirementsErrorKind::WheelNameMismatch {
                text: text.to_string(),
                name: name.to_string(),
                wheel_name: from_wheel.to_string(),
            });
        }
    }
    if let RequirementSource::LocalWheel { path } = source {
        if !path.is_file() {
            return Err(RequirementsErrorKind::WheelNotFound { path: path.clone() });
        }
    }
    Ok(from_wheel)
}

/// The requirement from the wheel's name, the extras and the marker; the URL
/// is attached afterwards (pep508_rs would re-resolve file paths against the
/// process directory).
fn wheel_requirement(
    text: &str,
    from_wheel: &PackageName,
    extras: &str,
    marker: Option<&str>,
) -> Result<Requirement<VerbatimUrl>, RequirementsErrorKind> {
    let spec = match marker {
        Some(m) if !m.is_empty() => format!("{from_wheel}{extras} ; {m}"),
        _ => format!("{from_wheel}{extras}"),
    };
    crate::guard::requirement(&spec).map_err(|message| RequirementsErrorKind::InvalidRequirement {
        text: text.to_string(),
        message,
    })
}

/// Attaches the reference's URL, as written, to `requirement`.
fn with_url(
    mut requirement: Requirement<VerbatimUrl>,
    source: &RequirementSource,
    parsed: &Url,
    url: &str,
) -> Result<Requirement<VerbatimUrl>, RequirementsErrorKind> {
    let verbatim = match &source {
        RequirementSource::LocalWheel { path } => VerbatimUrl::from_url(file_url(path)?),
        _ => VerbatimUrl::from_url(parsed.clone()),
    }
    .with_given(url.to_string());
    requirement.version_or_url = Some(VersionOrUrl::Url(verbatim));
    Ok(requirement)
}

/// `#sha256=<hex>` (or sha384/sha512) in a URL fragment.
pub(super) fn fragment_hash(url: &Url) -> Option<Hash> {
    url.fragment()?.split('&').find_map(|pair| {
        let (algo, digest) = pair.split_once('=')?;
        format!("{algo}:{digest}").parse().ok()
    })
}

/// Percent-decoding of one URL path segment (pip unquotes link filenames).
pub(super) fn urlencoding_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

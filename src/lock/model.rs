//! The parts of a PEP 751 `pylock.toml` grail reads and writes, and the
//! reader: a user file, so it is size-capped, parsed without panicking, and
//! every problem names the file and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::LockError;

/// The lock format version grail writes in `[tool.grail]`; a lock with
/// another one is treated as stale (its inputs cannot be compared).
pub const GRAIL_LOCK_FORMAT: u32 = 1;

/// The most packages a lock may list: far above any Lambda deployment.
pub const MAX_PACKAGES: usize = 20_000;

/// A `pylock.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PyLock {
    /// `lock-version`. Ex) `1.0`
    pub lock_version: String,
    /// `created-by`. Ex) `grail`, `uv`
    pub created_by: Option<String>,
    /// `requires-python`. Ex) `>=3.12`
    pub requires_python: Option<String>,
    /// `environments`: markers; when present, one must hold for the target.
    pub environments: Vec<String>,
    /// `[[packages]]`, in file order.
    pub packages: Vec<LockedPackage>,
    /// `[tool.grail]`: absent in a lock another tool wrote.
    pub grail: Option<GrailTool>,
}

/// One `[[packages]]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockedPackage {
    /// `name`, as written.
    pub name: String,
    /// `version` (optional in PEP 751).
    pub version: Option<String>,
    /// `marker`: the entry applies only where it holds.
    pub marker: Option<String>,
    /// `requires-python`.
    pub requires_python: Option<String>,
    /// `index`: the simple-API index it came from.
    pub index: Option<String>,
    /// `wheels`.
    pub wheels: Vec<LockedFile>,
    /// `sdist`.
    pub sdist: Option<LockedFile>,
    /// `vcs`, `directory` or `archive` when the entry uses one (grail
    /// installs only wheels and sdists from a lock).
    pub other_source: Option<String>,
}

/// A wheel or sdist of a package: where it is and its hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockedFile {
    /// `name`: the file name (derived from `url`/`path` when absent).
    pub name: String,
    /// `url`.
    pub url: Option<String>,
    /// `path` (relative to the lock file's directory unless absolute).
    pub path: Option<String>,
    /// `size` in bytes.
    pub size: Option<u64>,
    /// `hashes`: algorithm → lowercase hex digest.
    pub hashes: BTreeMap<String, String>,
}

/// `[tool.grail]`: what a grail lock was made from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrailTool {
    /// `lock-format`: [`GRAIL_LOCK_FORMAT`] when grail wrote it.
    pub lock_format: u32,
    /// `inputs`: each requirements input file (relative to the project) and its sha256.
    pub inputs: Vec<InputFile>,
    /// `targets`: what was locked.
    pub targets: Vec<LockedTarget>,
}

/// One requirements input of a grail lock.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputFile {
    /// Relative to the project directory. Ex) `requirements.txt`
    pub path: String,
    /// Its content's sha256.
    pub sha256: String,
}

/// One locked target of a grail lock.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockedTarget {
    /// Ex) `python3.12-x86_64`
    pub target: String,
    /// The stage whose settings it was resolved with. Ex) `dev`
    pub stage: String,
    /// sha256 of what fixes packages for that stage (layers' packages,
    /// `exclude_packages`, vendor/): see [`super::inputs::settings_digest`].
    pub settings_sha256: String,
}

// ----- reading ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLock {
    lock_version: Option<String>,
    created_by: Option<String>,
    requires_python: Option<String>,
    #[serde(default)]
    environments: Vec<String>,
    #[serde(default)]
    packages: Vec<RawPackage>,
    tool: Option<RawTool>,
}

#[derive(Deserialize)]
struct RawTool {
    grail: Option<RawGrail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawGrail {
    lock_format: Option<u32>,
    #[serde(default)]
    inputs: Vec<RawInput>,
    #[serde(default)]
    targets: Vec<RawTarget>,
}

#[derive(Deserialize)]
struct RawInput {
    path: String,
    sha256: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawTarget {
    target: String,
    stage: String,
    settings_sha256: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    requires_python: Option<String>,
    index: Option<String>,
    #[serde(default)]
    wheels: Vec<RawFile>,
    sdist: Option<RawFile>,
    vcs: Option<toml::Value>,
    directory: Option<toml::Value>,
    archive: Option<toml::Value>,
}

#[derive(Deserialize)]
struct RawFile {
    name: Option<String>,
    url: Option<String>,
    path: Option<String>,
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

/// Read and check the lock at `path` (at most
/// [`crate::textfile::MAX_TEXT_FILE_BYTES`], a regular file).
pub fn read_lock(path: &Path) -> Result<PyLock, LockError> {
    let text = crate::textfile::read_user_text(path).map_err(|e| LockError::Read {
        file: path.to_path_buf(),
        source: e,
    })?;
    parse_lock(&text, path)
}

/// Parse lock text (`path` names it in errors).
pub fn parse_lock(text: &str, path: &Path) -> Result<PyLock, LockError> {
    let bad = |message: String| LockError::Invalid {
        file: path.to_path_buf(),
        message,
    };
    let raw: RawLock = crate::guard::catch(|| toml::from_str::<RawLock>(text))
        .map_err(|_| bad("the TOML parser cannot read it".into()))?
        .map_err(|e| bad(format!("not a PEP 751 lock file: {}", e.message())))?;
    let lock_version = raw
        .lock_version
        .ok_or_else(|| bad("no lock-version (is it a pylock.toml?)".into()))?;
    if lock_version.split('.').next() != Some("1") {
        return Err(bad(format!(
            "lock-version {lock_version:?} is not supported (grail reads 1.x)"
        )));
    }
    if raw.packages.len() > MAX_PACKAGES {
        return Err(bad(format!(
            "{} packages, more than the {MAX_PACKAGES} grail reads",
            raw.packages.len()
        )));
    }
    let packages = raw
        .packages
        .into_iter()
        .enumerate()
        .map(|(i, p)| package(p).map_err(|m| bad(format!("packages[{i}]: {m}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PyLock {
        lock_version,
        created_by: raw.created_by,
        requires_python: raw.requires_python,
        environments: raw.environments,
        packages,
        grail: raw.tool.and_then(|t| t.grail).map(grail_tool),
    })
}

fn grail_tool(g: RawGrail) -> GrailTool {
    GrailTool {
        lock_format: g.lock_format.unwrap_or(0),
        inputs: g
            .inputs
            .into_iter()
            .map(|i| InputFile {
                path: i.path,
                sha256: i.sha256,
            })
            .collect(),
        targets: g
            .targets
            .into_iter()
            .map(|t| LockedTarget {
                target: t.target,
                stage: t.stage,
                settings_sha256: t.settings_sha256,
            })
            .collect(),
    }
}

fn package(p: RawPackage) -> Result<LockedPackage, String> {
    if p.name.trim().is_empty() {
        return Err("empty name".into());
    }
    let other_source = [
        ("vcs", p.vcs.is_some()),
        ("directory", p.directory.is_some()),
        ("archive", p.archive.is_some()),
    ]
    .into_iter()
    .find(|(_, has)| *has)
    .map(|(k, _)| k.to_string());
    let name = p.name;
    let wheels = p
        .wheels
        .into_iter()
        .enumerate()
        .map(|(i, w)| file(w).map_err(|m| format!("{name}: wheels[{i}]: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let sdist = p
        .sdist
        .map(file)
        .transpose()
        .map_err(|m| format!("{name}: sdist: {m}"))?;
    Ok(LockedPackage {
        name,
        version: p.version,
        marker: p.marker,
        requires_python: p.requires_python,
        index: p.index,
        wheels,
        sdist,
        other_source,
    })
}

fn file(f: RawFile) -> Result<LockedFile, String> {
    let name = match f.name {
        Some(n) => n,
        None => f
            .url
            .as_deref()
            .or(f.path.as_deref())
            .and_then(|u| u.rsplit('/').next())
            .map(|n| {
                percent_encoding::percent_decode_str(n)
                    .decode_utf8_lossy()
                    .to_string()
            })
            .filter(|n| !n.is_empty())
            .ok_or("no name, url or path")?,
    };
    if name.contains('/') || name.contains('\\') || name == ".." {
        return Err(format!("file name {name:?} is not a plain file name"));
    }
    if f.url.is_none() && f.path.is_none() {
        return Err(format!("{name} has neither url nor path"));
    }
    let hashes: BTreeMap<String, String> = f
        .hashes
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
        .collect();
    if hashes.is_empty() {
        return Err(format!("{name} has no hashes (PEP 751 requires one)"));
    }
    if let Some(h) = hashes.get("sha256") {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{name}: sha256 {h:?} is not 64 hex digits"));
        }
    }
    Ok(LockedFile {
        name,
        url: f.url,
        path: f.path,
        size: f.size,
        hashes,
    })
}

impl LockedFile {
    /// Where the file is: a URL, or a path made absolute against the lock's directory.
    pub fn location(&self, lock_dir: &Path) -> Result<url::Url, String> {
        if let Some(u) = &self.url {
            let url = url::Url::parse(u).map_err(|e| format!("{}: url {u:?}: {e}", self.name))?;
            return match url.scheme() {
                "http" | "https" | "file" => Ok(url),
                s => Err(format!(
                    "{}: url scheme {s:?} is not http(s) or file",
                    self.name
                )),
            };
        }
        let p = self.path.as_deref().unwrap_or_default();
        let p = PathBuf::from(p);
        let abs = if p.is_absolute() { p } else { lock_dir.join(p) };
        url::Url::from_file_path(&abs)
            .map_err(|_| format!("{}: path {} is not usable", self.name, abs.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PyLock, String> {
        parse_lock(text, Path::new("pylock.toml")).map_err(|e| e.to_string())
    }

    const MINIMAL: &str = r#"lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.12"

[[packages]]
name = "six"
version = "1.17.0"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.example/six-1.17.0-py2.py3-none-any.whl", size = 11050, hashes = { sha256 = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274" } }]
"#;

    #[test]
    fn a_foreign_lock_reads_and_names_derive_from_urls() {
        let l = parse(MINIMAL).unwrap();
        assert_eq!(l.created_by.as_deref(), Some("uv"));
        assert!(l.grail.is_none());
        assert_eq!(
            l.packages[0].wheels[0].name,
            "six-1.17.0-py2.py3-none-any.whl"
        );
        assert_eq!(l.packages[0].wheels[0].size, Some(11050));
    }

    #[test]
    fn bad_locks_are_errors_naming_the_file_and_the_entry() {
        for (text, want) in [
            ("lock-version = \"2.0\"\n", "not supported"),
            ("created-by = \"x\"\n", "no lock-version"),
            ("lock-version = \"1.0\"\n[[packages]]\n", "not a PEP 751"),
            ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\" }]\n", "no hashes"),
            ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nwheels = [{ name = \"../x.whl\", url = \"https://h/x\", hashes = { sha256 = \"00\" } }]\n", "plain file name"),
            ("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\", hashes = { sha256 = \"00\" } }]\n", "64 hex"),
            ("lock-version = [", "not a PEP 751"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with("pylock.toml: ") && e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn relative_paths_are_against_the_lock_directory() {
        let f = LockedFile {
            name: "a-1-py3-none-any.whl".into(),
            path: Some("wheels/a-1-py3-none-any.whl".into()),
            ..LockedFile::default()
        };
        let u = f.location(Path::new("/proj")).unwrap();
        assert_eq!(u.as_str(), "file:///proj/wheels/a-1-py3-none-any.whl");
        let f = LockedFile {
            name: "a".into(),
            url: Some("ftp://h/a".into()),
            ..LockedFile::default()
        };
        assert!(f.location(Path::new("/")).unwrap_err().contains("ftp"));
    }
}

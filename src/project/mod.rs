//! The Chalice project on disk: which files go into the deployment package.
//!
//! Chalice ships `app.py`, everything under `chalicelib/` (stored under
//! `chalicelib/…`) and everything under `vendor/` (stored at the zip root),
//! and nothing else from the project. grail collects the same files, with
//! three deliberate differences:
//!
//! - `__pycache__/`, `*.pyc` and `.DS_Store` are never collected (Chalice
//!   ships them, aws/chalice#1065);
//! - `vendor/*.whl` files are wheels to install, not files to copy;
//! - `vendor/<pkg>-<ver>.dist-info/` marks `<pkg>` as provided by vendor/.
//!
//! ```no_run
//! use grail::project::Project;
//! let project = Project::open(std::path::Path::new("myapp")).unwrap();
//! let sources = project.collect().unwrap();
//! for f in &sources.files {
//!     println!("{} <- {}", f.zip_name, f.path.display());
//! }
//! ```
//!
//! Symlinks follow Chalice (§6.1): under `chalicelib/` a symlink to a file
//! is shipped with its target's content, a symlink to a directory is not
//! descended; under `vendor/` every symlink is followed.

pub mod config;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::{Classify, ExitKind};

/// Where a project file comes from; decides precedence on collisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileOrigin {
    /// Ex) `app.py`
    App,
    /// Ex) `chalicelib/db.py`
    Chalicelib,
    /// Ex) `vendor/six.py`, shipped as `six.py`
    Vendor,
}

impl FileOrigin {
    /// A short label for messages and the report.
    pub fn label(self) -> &'static str {
        match self {
            FileOrigin::App => "app.py",
            FileOrigin::Chalicelib => "chalicelib/",
            FileOrigin::Vendor => "vendor/",
        }
    }
}

/// One file to ship, with its name inside the zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFile {
    /// `/`-separated name inside the zip. Ex) `chalicelib/db.py`
    pub zip_name: String,
    /// The file on disk (the symlink itself when it is one; reads follow it).
    pub path: PathBuf,
    /// 0o755 when any execute bit is set on the (followed) file, else 0o644.
    pub mode: u32,
    /// Which part of the project it belongs to.
    pub origin: FileOrigin,
}

/// A package that `vendor/` provides as an unpacked wheel
/// (`vendor/<pkg>/` + `vendor/<pkg>-<ver>.dist-info/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorPackage {
    /// PEP 503-normalised name. Ex) `cryptography`
    pub name: String,
    /// The version from its METADATA. Ex) `1.9`
    pub version: pep508_rs::pep440_rs::Version,
    /// The dist-info directory name. Ex) `cryptography-1.9.dist-info`
    pub dist_info: String,
    /// Bytes of the files its RECORD lists that exist under vendor/.
    pub unzipped_bytes: u64,
}

/// Everything the project contributes to the package, before dependencies.
#[derive(Clone, Debug, Default)]
pub struct ProjectSources {
    /// `app.py`, `chalicelib/**` and loose `vendor/**` files, in walk order.
    pub files: Vec<ProjectFile>,
    /// `vendor/*.whl`: wheels to install into the package.
    pub vendor_wheels: Vec<PathBuf>,
    /// Unpacked packages found in `vendor/`.
    pub vendor_packages: Vec<VendorPackage>,
    /// Files that were left out on purpose (`__pycache__`, `*.pyc`, `.DS_Store`).
    pub skipped: Vec<PathBuf>,
    /// Things grail tolerated as Chalice does (it never reads vendor/'s
    /// metadata), each naming the file. Ex) an unparseable `Requires-Dist`.
    pub warnings: Vec<String>,
}

/// Why the project's files could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The project directory does not exist.
    #[error("project directory {0} does not exist (pass --project-dir DIR)")]
    NoProjectDir(PathBuf),
    /// No `app.py`.
    #[error("{0} not found: a Chalice project needs an app.py next to .chalice/ (is --project-dir right?)")]
    NoApp(PathBuf),
    /// A file or directory could not be read.
    #[error("cannot read {path} (fix its permissions or remove it)")]
    Unreadable {
        /// What could not be read.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A FIFO, device or socket (symlinks followed) where a file is shipped.
    #[error("cannot ship {path}: {reason}; remove it or replace it with a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// A symlink points nowhere.
    #[error("{0} is a broken symlink; remove it or point it at a file")]
    BrokenSymlink(PathBuf),
    /// A symlink leads back to itself or to a folder above it.
    #[error(
        "{0} is a symlink loop (it leads back to itself or a folder above it); remove the link"
    )]
    SymlinkLoop(PathBuf),
    /// A path cannot be stored in a zip (not UTF-8).
    #[error("{0} has a name that is not valid UTF-8; rename it")]
    NonUtf8(PathBuf),
}

impl Classify for ProjectError {
    /// The project is the user's input: exit 1.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// A Chalice project directory.
#[derive(Clone, Debug)]
pub struct Project {
    /// Absolute project directory.
    pub dir: PathBuf,
}

impl Project {
    /// Open a project directory (made absolute).
    pub fn open(dir: &Path) -> Result<Project, ProjectError> {
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|source| ProjectError::Unreadable {
                    path: dir.to_path_buf(),
                    source,
                })?
                .join(dir)
        };
        if !dir.is_dir() {
            return Err(ProjectError::NoProjectDir(dir));
        }
        Ok(Project { dir })
    }

    /// `<project>/requirements.txt` (the name is not configurable in Chalice).
    pub fn requirements_path(&self) -> PathBuf {
        self.dir.join("requirements.txt")
    }

    /// `<project>/.chalice/`.
    pub fn chalice_dir(&self) -> PathBuf {
        self.dir.join(".chalice")
    }

    /// Collect app.py, chalicelib/ and vendor/.
    pub fn collect(&self) -> Result<ProjectSources, ProjectError> {
        self.collect_except(&[])
    }

    /// Collect app.py, chalicelib/ and vendor/, never shipping `not_shipped`
    /// (OUT: a previous run's zips must not end up inside the next one) nor
    /// grail's `.grail-out-*` staging directories; each one met is a warning.
    pub fn collect_except(&self, not_shipped: &[PathBuf]) -> Result<ProjectSources, ProjectError> {
        let excluded = Excluded::new(not_shipped);
        let mut out = ProjectSources::default();
        let app = self.dir.join("app.py");
        match (fs::symlink_metadata(&app), fs::metadata(&app)) {
            (Err(_), _) => return Err(ProjectError::NoApp(app)),
            (Ok(_), Err(_)) => return Err(ProjectError::BrokenSymlink(app)),
            (Ok(_), Ok(m)) if !m.is_file() => return Err(ProjectError::NoApp(app)),
            _ => {}
        }
        check_readable(&app)?;
        out.files.push(ProjectFile {
            zip_name: "app.py".to_string(),
            mode: mode_of(&app)?,
            path: app,
            origin: FileOrigin::App,
        });

        let chalicelib = self.dir.join("chalicelib");
        if chalicelib.is_dir() {
            let origin = FileOrigin::Chalicelib;
            walk(&chalicelib, "chalicelib/", origin, &excluded, &mut out)?;
        }

        let vendor = self.dir.join("vendor");
        if vendor.is_dir() {
            walk(&vendor, "", FileOrigin::Vendor, &excluded, &mut out)?;
            out.vendor_packages = vendor_packages(&vendor, &mut out.warnings)?;
        }
        Ok(out)
    }
}

/// Files Chalice ships but grail never does (compatibility section of README).
pub fn is_junk(rel: &Path) -> bool {
    rel.components().any(|c| c.as_os_str() == "__pycache__")
        || rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".pyc") || n == ".DS_Store")
}

/// Paths that are never shipped, known by identity (device and inode) so
/// that a symlink or `..` cannot smuggle them in under another name.
struct Excluded {
    ids: Vec<(u64, u64)>,
}

/// The prefix of grail's staging directories (a run writes OUT there first).
pub const STAGING_PREFIX: &str = ".grail-out-";

impl Excluded {
    fn new(paths: &[PathBuf]) -> Excluded {
        use std::os::unix::fs::MetadataExt;
        // A path that does not exist yet cannot be inside the sources.
        let ids = paths
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| (m.dev(), m.ino()))
            .collect();
        Excluded { ids }
    }

    /// Whether `entry` is OUT or a staging directory.
    fn matches(&self, entry: &walkdir::DirEntry) -> bool {
        use std::os::unix::fs::MetadataExt;
        let staging = entry.file_type().is_dir()
            && entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(STAGING_PREFIX));
        staging
            || (!self.ids.is_empty()
                && fs::metadata(entry.path()).is_ok_and(|m| self.ids.contains(&(m.dev(), m.ino()))))
    }
}

/// Walk one shipped folder. vendor/ follows symlinks (as Chalice does);
/// chalicelib/ ships a linked file's target but skips linked directories.
fn walk(
    root: &Path,
    prefix: &str,
    origin: FileOrigin,
    excluded: &Excluded,
    out: &mut ProjectSources,
) -> Result<(), ProjectError> {
    let mut met = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(origin == FileOrigin::Vendor)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            let keep = !excluded.matches(e);
            if !keep {
                met.push(e.path().to_path_buf());
            }
            keep
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.to_path_buf());
            if e.loop_ancestor().is_some() {
                return ProjectError::SymlinkLoop(path);
            }
            match e.into_io_error() {
                Some(source) => io_problem(path, source),
                None => ProjectError::SymlinkLoop(path),
            }
        })?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(path);
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            // Only reached when not following links (chalicelib/): a link to
            // a file ships its target, a link to a directory is skipped.
            match fs::metadata(path) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => {}
                Err(e) => return Err(io_problem(path.to_path_buf(), e)),
            }
        }
        if is_junk(rel) {
            out.skipped.push(path.to_path_buf());
            continue;
        }
        let rel_str = rel
            .to_str()
            .ok_or_else(|| ProjectError::NonUtf8(path.to_path_buf()))?;
        let rel_str = rel_str.replace(std::path::MAIN_SEPARATOR, "/");
        check_readable(path)?;
        if origin == FileOrigin::Vendor && !rel_str.contains('/') && rel_str.ends_with(".whl") {
            out.vendor_wheels.push(path.to_path_buf());
            continue;
        }
        out.files.push(ProjectFile {
            zip_name: format!("{prefix}{rel_str}"),
            path: path.to_path_buf(),
            mode: mode_of(path)?,
            origin,
        });
    }
    for path in met {
        out.warnings.push(format!(
            "{} is grail's output (OUT or a staging directory), not a source: not shipped; write OUT outside chalicelib/ and vendor/",
            path.display()
        ));
    }
    Ok(())
}

/// What an I/O error on a project path means: a link to nothing, a link
/// loop (ELOOP), or a file grail may not read.
fn io_problem(path: PathBuf, source: std::io::Error) -> ProjectError {
    // ELOOP (`ErrorKind::FilesystemLoop` is not stable yet).
    const ELOOP: i32 = if cfg!(target_os = "linux") { 40 } else { 62 };
    match source.kind() {
        std::io::ErrorKind::NotFound => ProjectError::BrokenSymlink(path),
        _ if source.raw_os_error() == Some(ELOOP) => ProjectError::SymlinkLoop(path),
        _ => ProjectError::Unreadable { path, source },
    }
}

/// The file is a regular file (symlinks followed) that can be opened: a FIFO
/// would hang the zip writer, a device would never end.
fn check_readable(path: &Path) -> Result<(), ProjectError> {
    crate::textfile::open_regular(path)
        .map(|_| ())
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::InvalidInput => ProjectError::NotRegular {
                path: path.to_path_buf(),
                reason: source.to_string(),
            },
            _ => io_problem(path.to_path_buf(), source),
        })
}

fn mode_of(path: &Path) -> Result<u32, ProjectError> {
    let m = fs::metadata(path).map_err(|source| ProjectError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(if m.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    })
}

/// Unpacked packages in vendor/: every top-level `*.dist-info` with a
/// METADATA naming the package and its version.
///
/// Chalice never reads these files (it copies vendor/ as is), so nothing in
/// them is fatal: a METADATA without a usable name or version is a warning
/// (the directory is shipped but provides no package to resolution), and an
/// unparseable `Requires-Dist` (a 2017 `pytz (>=2011k)`) is a warning naming
/// the line, which is skipped.
fn vendor_packages(
    vendor: &Path,
    warnings: &mut Vec<String>,
) -> Result<Vec<VendorPackage>, ProjectError> {
    let mut found = Vec::new();
    let rd = fs::read_dir(vendor).map_err(|source| ProjectError::Unreadable {
        path: vendor.to_path_buf(),
        source,
    })?;
    for entry in rd {
        let entry = entry.map_err(|source| ProjectError::Unreadable {
            path: vendor.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.ends_with(".dist-info") || !entry.path().is_dir() {
            continue;
        }
        let meta_path = entry.path().join("METADATA");
        let bytes = match crate::textfile::read_user_file(
            &meta_path,
            crate::textfile::MAX_TEXT_FILE_BYTES,
        ) {
            Ok(b) => b,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                warnings.push(format!(
                    "{}: missing; vendor/{name} is shipped but does not count as providing a package",
                    meta_path.display()
                ));
                continue;
            }
            Err(source) => {
                return Err(ProjectError::Unreadable {
                    path: meta_path,
                    source,
                })
            }
        };
        match name_and_version(&bytes) {
            Ok((pkg, version)) => {
                warn_bad_requirements(&meta_path, &bytes, warnings);
                found.push(VendorPackage {
                    name: crate::names::normalize(&pkg),
                    version,
                    dist_info: name.to_string(),
                    unzipped_bytes: record_bytes(vendor, &entry.path().join("RECORD")),
                });
            }
            Err(why) => warnings.push(format!(
                "{}: {why}; vendor/{name} is shipped but does not count as providing a package",
                meta_path.display()
            )),
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// `Name:` and a PEP 440 `Version:` from a METADATA header block.
fn name_and_version(bytes: &[u8]) -> Result<(String, pep508_rs::pep440_rs::Version), String> {
    let headers = crate::metadata::parse_headers(bytes);
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let name = get("Name").ok_or("no Name field")?;
    let version = get("Version").ok_or("no Version field")?;
    let parsed = crate::guard::version(&version)
        .map_err(|e| format!("Version {version:?} is not a PEP 440 version ({e})"))?;
    Ok((name, parsed))
}

/// Warn about each `Requires-Dist` of the header block that is not PEP 508,
/// naming the file and line (grail does not use them; Chalice never reads them).
fn warn_bad_requirements(path: &Path, bytes: &[u8], warnings: &mut Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // the body (long description) starts here
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("Requires-Dist") {
            continue;
        }
        let value = value.trim();
        if let Err(first) = crate::guard::requirement(value) {
            let first = first.lines().next().unwrap_or_default();
            warnings.push(format!(
                "{}:{}: Requires-Dist {value:?} is not a valid requirement ({first}); skipped \
(Chalice never reads it)",
                path.display(),
                i + 1
            ));
        }
    }
}

/// Sum the sizes of the files a vendored RECORD lists (best effort: a
/// missing or odd RECORD counts what can be found).
fn record_bytes(vendor: &Path, record: &Path) -> u64 {
    let Ok(text) = crate::textfile::read_user_text(record) else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.split(',').next())
        .filter(|p| !p.is_empty() && !p.contains(".."))
        .filter_map(|p| fs::metadata(vendor.join(p)).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(p: &Path, s: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, s).unwrap();
    }

    /// OUT (a directory, or a `--single-file` zip) and staging directories
    /// are never sources, whatever name reaches them (a vendor/ symlink).
    #[test]
    fn out_and_staging_are_never_collected() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(&d.join("app.py"), "app");
        write(&d.join("chalicelib/a.py"), "a");
        write(&d.join("chalicelib/out/deployment.zip"), "old run");
        write(&d.join("chalicelib/app.zip"), "old single file");
        write(&d.join("chalicelib/.grail-out-x1/deployment.zip"), "staged");
        write(&d.join("vendor/.grail-out-x2/deployment.zip"), "staged");
        symlink(d.join("chalicelib/out"), d.join("vendor/alias")).unwrap();
        let project = Project::open(d).unwrap();
        let got = project
            .collect_except(&[d.join("chalicelib/out"), d.join("chalicelib/app.zip")])
            .unwrap();
        let names: Vec<_> = got.files.iter().map(|f| f.zip_name.as_str()).collect();
        assert_eq!(names, ["app.py", "chalicelib/a.py"]);
        assert_eq!(got.warnings.len(), 5, "{:?}", got.warnings);
        assert!(got.warnings.iter().all(|w| w.contains("not shipped")));
        // Without OUT named, only the staging directories are left out.
        let all = project.collect().unwrap();
        assert_eq!(all.files.len(), 5, "{:?}", all.files);
    }

    #[test]
    fn collects_like_chalice_minus_junk() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(&d.join("app.py"), "app");
        write(&d.join("other.py"), "not shipped");
        write(&d.join("chalicelib/a.py"), "a");
        write(&d.join("chalicelib/sub/b.py"), "b");
        write(&d.join("chalicelib/__pycache__/a.cpython-312.pyc"), "junk");
        write(&d.join("chalicelib/.DS_Store"), "junk");
        write(&d.join("vendor/six.py"), "six");
        write(&d.join("vendor/pkg/__init__.py"), "pkg");
        write(
            &d.join("vendor/pkg-1.0.dist-info/METADATA"),
            "Name: Pkg\nVersion: 1.0\n",
        );
        write(&d.join("vendor/thing-1.0-py3-none-any.whl"), "wheel");
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("linked/x.py"), "x");
        symlink(outside.path().join("linked"), d.join("vendor/linked")).unwrap();
        symlink(
            outside.path().join("linked"),
            d.join("chalicelib/linkeddir"),
        )
        .unwrap();
        symlink(d.join("chalicelib/a.py"), d.join("chalicelib/alias.py")).unwrap();

        let s = Project::open(d).unwrap().collect().unwrap();
        let names: Vec<&str> = s.files.iter().map(|f| f.zip_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "app.py",
                "chalicelib/a.py",
                "chalicelib/alias.py",
                "chalicelib/sub/b.py",
                "linked/x.py",
                "pkg/__init__.py",
                "pkg-1.0.dist-info/METADATA",
                "six.py",
            ]
        );
        assert_eq!(s.vendor_wheels.len(), 1);
        assert_eq!(s.vendor_packages[0].name, "pkg");
        assert_eq!(s.skipped.len(), 2);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn odd_vendor_metadata_is_a_warning() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(&d.join("app.py"), "app");
        // A 2017 METADATA: `(>=2011k)` is not PEP 440.
        write(
            &d.join("vendor/babel-2.5.1.dist-info/METADATA"),
            "Metadata-Version: 2.0\nName: Babel\nVersion: 2.5.1\nRequires-Dist: pytz (>=0a)\nRequires-Dist: pytz (>=2011k)\n\nRequires-Dist: body\n",
        );
        write(
            &d.join("vendor/nameless-1.0.dist-info/METADATA"),
            "Version: 1.0\n",
        );
        fs::create_dir_all(d.join("vendor/nometa-1.0.dist-info")).unwrap();
        let s = Project::open(d).unwrap().collect().unwrap();
        let names: Vec<&str> = s.vendor_packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["babel"]);
        assert_eq!(s.warnings.len(), 3, "{:#?}", s.warnings);
        let req = s.warnings.iter().find(|w| w.contains("2011k")).unwrap();
        assert!(
            req.contains("babel-2.5.1.dist-info/METADATA:5:") && req.contains("skipped"),
            "{req}"
        );
        assert!(s.warnings.iter().any(|w| w.contains("no Name field")));
        assert!(s
            .warnings
            .iter()
            .any(|w| w.contains("nometa-1.0.dist-info/METADATA: missing")));
    }

    #[test]
    fn missing_app_is_named() {
        let t = tempfile::tempdir().unwrap();
        let err = Project::open(t.path()).unwrap().collect().unwrap_err();
        assert!(err.to_string().contains("app.py not found"), "{err}");
    }

    #[test]
    fn exec_bit_is_kept() {
        let t = tempfile::tempdir().unwrap();
        write(&t.path().join("app.py"), "app");
        write(&t.path().join("vendor/bin/tool"), "#!/bin/sh");
        fs::set_permissions(
            t.path().join("vendor/bin/tool"),
            fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let s = Project::open(t.path()).unwrap().collect().unwrap();
        assert_eq!(s.files[1].mode, 0o755);
        assert_eq!(s.files[0].mode, 0o644);
    }
}

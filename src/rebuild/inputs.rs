//! The fingerprint of everything that feeds `grail package`'s outputs.
//!
//! One sha256 over a canonical, sorted list of records. Project files are
//! hashed by content (a size + mtime shortcut could miss an edit made within
//! one mtime tick, or a `git checkout` that restores old times); files that
//! are not the project's (find-links directories) are stamped by name, size
//! and mtime. Anything the fingerprint cannot capture makes the run
//! ineligible for a no-op instead of guessing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::options::PackageOptions;
use crate::project::Project;

/// Why a run cannot be a no-op (it then builds as usual and records nothing).
pub type Ineligible = String;

/// The inputs, collected as `kind\tname\tvalue` records.
#[derive(Default)]
struct Records(BTreeSet<String>);

impl Records {
    fn add(&mut self, kind: &str, name: &str, value: &str) {
        self.0.insert(format!("{kind}\t{name}\t{value}"));
    }

    /// Content hash of a file, streamed; a missing file is recorded as
    /// missing. Only regular files are read (a FIFO would hang the check, a
    /// device never end): anything else is recorded as unreadable, and the
    /// build that follows refuses it with its own message.
    fn file(&mut self, kind: &str, path: &Path) {
        let hashed = crate::textfile::open_regular(path).and_then(|mut f| {
            let mut h = Sha256::new();
            std::io::copy(&mut f, &mut h)?;
            Ok(h.finalize())
        });
        let value = match hashed {
            Ok(digest) => format!("{}:{}", mode_of(path), hex::encode(digest)),
            Err(e) => format!("unreadable:{:?}", e.kind()),
        };
        self.add(kind, &path.display().to_string(), &value);
    }

    /// The digest of every record whose kind `keep` accepts.
    fn digest(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut h = Sha256::new();
        for r in self
            .0
            .iter()
            .filter(|r| keep(r.split('\t').next().unwrap_or("")))
        {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

pub use crate::assemble::file_stamp as stamp;

/// Environment variables grail, pip's settings, the interpreter search and
/// the project's chalice read. Requirements files may expand any `${VAR}`:
/// those are recorded as the parser asks for them.
fn env_relevant(name: &str) -> bool {
    const PREFIXES: [&str; 5] = ["PIP_", "GRAIL_", "AWS_", "PYTHON", "UV_"];
    const NAMES: [&str; 8] = [
        "VIRTUAL_ENV",
        "PATH",
        "HOME",
        "XDG_CACHE_HOME",
        "SOURCE_DATE_EPOCH",
        "NETRC",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

/// The records that only say what the project ships (its files' names,
/// modes and content): a change there alone is an incremental build.
const PROJECT_KINDS: [&str; 2] = ["source", "zipname"];

/// A run's inputs, digested twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// Every input: equal means nothing changed (a no-op).
    pub all: String,
    /// Every input but the shipped project files' names and content:
    /// equal means the dependencies are what they were (an incremental
    /// build). It still covers which packages vendor/ provides, its wheels,
    /// `.chalice/`, requirements, options, environment and grail itself.
    pub base: String,
}

/// The fingerprint of a `grail package` run's inputs, or why it has none.
pub fn fingerprint(project_dir: &Path, args: &PackageOptions) -> Result<Fingerprint, Ineligible> {
    if args.build.refresh {
        return Err("--refresh re-resolves".into());
    }
    if args.wants_report() || args.chalice_cache {
        return Err("--report, --report-html and --chalice-cache always run".into());
    }
    let mut r = Records::default();
    r.add("grail", env!("CARGO_PKG_VERSION"), "");
    if let Ok(exe) = std::env::current_exe() {
        r.add("exe", &exe.display().to_string(), &stamp(&exe));
    }
    r.add("options", &format!("{args:?}"), "");
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    r.add("cwd", &cwd.display().to_string(), "");
    for (k, v) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if env_relevant(&k) {
            r.add("env", &k, &v.to_string_lossy());
        }
    }
    let project = Project::open(project_dir).map_err(|e| e.to_string())?;
    for (name, value) in crate::layers::fetch::rebuild_inputs(args.build.cache_dir.as_deref()) {
        r.add("layer-fetch", &name, &value);
    }
    project_files(&mut r, &project)?;
    requirements(&mut r, &project.dir)?;
    // The other dependency inputs: pyproject.toml and the lock file.
    r.file(
        "pyproject",
        &crate::requirements::pyproject::pyproject_path(&project.dir),
    );
    let lock = args.build.lock_path.as_deref();
    r.file("lock", &crate::lock::apply::lock_path(&project.dir, lock));
    option_files(&mut r, &project.dir, &cwd, args);
    Ok(Fingerprint {
        all: r.digest(|_| true),
        base: r.digest(|kind| !PROJECT_KINDS.contains(&kind)),
    })
}

/// What ships from the project (as the build collects it), and `.chalice/`
/// (config, policies: the templates read them) except Chalice's own caches.
fn project_files(r: &mut Records, project: &Project) -> Result<(), Ineligible> {
    let sources = project.collect().map_err(|e| e.to_string())?;
    for f in &sources.files {
        r.file("source", &f.path);
        r.add("zipname", &f.zip_name, &format!("{:o}", f.mode));
    }
    for w in &sources.vendor_wheels {
        r.file("vendor-wheel", w);
    }
    // What vendor/ provides is fixed for resolution: a change resolves again.
    for p in &sources.vendor_packages {
        r.add("vendor-provides", &p.name, &p.version.to_string());
    }
    let chalice = project.chalice_dir();
    for e in walkdir::WalkDir::new(&chalice)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != "deployments")
    {
        let e = e.map_err(|e| e.to_string())?;
        if e.file_type().is_file() {
            r.file("chalice-dir", e.path());
        }
    }
    Ok(())
}

/// requirements.txt, every file it includes (`-r`, `-c`), local wheels it
/// names and the environment variables it expands.
fn requirements(r: &mut Records, project_dir: &Path) -> Result<(), Ineligible> {
    let top = crate::requirements::requirements_path(project_dir);
    let mut files = BTreeSet::new();
    included_files(&top, &mut files)?;
    for f in &files {
        r.file("requirements", f);
    }
    let asked: Mutex<BTreeMap<String, Option<String>>> = Mutex::default();
    let env = |k: &str| {
        let v = std::env::var(k).ok();
        if let Ok(mut a) = asked.lock() {
            a.insert(k.to_string(), v.clone());
        }
        v
    };
    // An unparseable file fails the real build with its own message.
    let parsed = crate::requirements::parse_requirements(&top, &env).map_err(|e| e.to_string())?;
    for (k, v) in asked.into_inner().unwrap_or_default() {
        r.add("requirements-env", &k, &v.unwrap_or_default());
    }
    for o in &parsed.options {
        if let crate::requirements::FileIndexOption::FindLinks(link) = &o.option {
            let dir = o.location.file.parent().unwrap_or(Path::new("."));
            let link = link.strip_prefix("file://").unwrap_or(link);
            // pip: relative to the file's directory when that exists, else the working directory.
            find_links(r, &dir.join(link));
            find_links(r, Path::new(link));
        }
    }
    for e in parsed.requirements.iter().chain(&parsed.constraints) {
        r.add(
            "requirements-file",
            &e.location.file.display().to_string(),
            "",
        );
        if let crate::requirements::RequirementSource::LocalWheel { path } = &e.source {
            r.file("local-wheel", path);
        }
    }
    Ok(())
}

/// `path` and, recursively, the files its `-r`/`-c` lines name (relative
/// to the including file, as pip reads them).
fn included_files(path: &Path, seen: &mut BTreeSet<PathBuf>) -> Result<(), Ineligible> {
    if !seen.insert(path.to_path_buf()) {
        return Ok(());
    }
    let Ok(text) = crate::textfile::read_user_text(path) else {
        return Ok(()); // recorded as missing/unreadable by the caller
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    for line in text.lines() {
        let line = line.trim();
        let rest = ["--requirement", "--constraint", "-r", "-c"]
            .iter()
            .find_map(|flag| line.strip_prefix(flag));
        let Some(rest) = rest else { continue };
        let name = rest.trim_start_matches('=').trim();
        let name = name.split(" #").next().unwrap_or(name).trim();
        if name.is_empty() || name.contains("${") || name.contains("://") {
            return Err(format!("{} includes {line:?}", path.display()));
        }
        included_files(&dir.join(name), seen)?;
    }
    Ok(())
}

/// Files the options name: layer manifests, the merge template, and
/// find-links directories (stamped, not hashed: they hold wheels).
fn option_files(r: &mut Records, project_dir: &Path, cwd: &Path, args: &PackageOptions) {
    let both = |p: &Path| [cwd.join(p), project_dir.join(p)];
    for m in &args.build.layer_manifests {
        if let Some((_, path)) = m.split_once('=') {
            for p in both(Path::new(path)) {
                r.file("layer-manifest", &p);
            }
        }
    }
    if let Some(t) = &args.merge_template {
        for p in both(t) {
            r.file("merge-template", &p);
        }
    }
    let from_env = std::env::var("PIP_FIND_LINKS").unwrap_or_default();
    for link in args
        .build
        .find_links
        .iter()
        .map(String::as_str)
        .chain(from_env.split_whitespace())
    {
        find_links(r, &cwd.join(link.strip_prefix("file://").unwrap_or(link)));
    }
}

/// A local find-links directory (its wheels stamped, not hashed) or page.
fn find_links(r: &mut Records, path: &Path) {
    if path.is_dir() {
        for e in walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            r.add(
                "find-links",
                &e.path().display().to_string(),
                &stamp(e.path()),
            );
        }
    } else if path.is_file() {
        r.file("find-links", path);
    }
}

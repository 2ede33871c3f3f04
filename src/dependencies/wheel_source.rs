//! Where a resolved package's wheel comes from: the resolver's view of the package index for one
//! Lambda target.
//!
//! [`IndexSource`] implements [`crate::resolver::PackageSource`] over the
//! index client: it groups a project's files by version, keeps for each
//! version the wheel whose tag the target ranks best, and flags versions
//! without one (so python3.11 never picks a numpy it would have to compile).
//! Metadata is read lazily (PEP 658 file, else HTTP Range into the wheel)
//! and prefetched in parallel when the resolver announces what it will try.
//!
//! A version with no compatible wheel but an sdist is still a candidate
//! ([`crate::resolver::Candidate::sdist_only`]). When a [`SdistBuilder`] is
//! available (an interpreter was found) and requirements.txt does not say
//! `--prefer-binary`, it competes with the wheel releases on version alone, as
//! pip's choice does ([`IndexSource::builds_sdists`]); otherwise it is a *last
//! resort* (see [`crate::resolver::Candidate::last_resort`]) when other
//! versions have wheels, taken only when the range needs it (a pin such as
//! `twilio==6.45.3`). The builder turns it into a wheel on demand; a build
//! that fails is recorded in [`IndexSource::missing`] rather than aborting,
//! so the caller can resolve again without that release, or list every such
//! package at once. With `--allow-missing`, versions with no usable file at
//! all are last resorts too, reported missing if chosen.
//!
//! Direct references (`name @ https://…/x.whl`, local `.whl` paths) are
//! offered as the single candidate under their name.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

use pep508_rs::pep440_rs::Version;

use crate::index::{DistFile, DistOrigin, IndexClient};
use crate::metadata::CoreMetadata;
use crate::names::normalize;
use crate::report::WheelSource;
use crate::resolver::{Candidate, PackageSource, SourceError};
use crate::target::tags::{TagPriority, Tags};
use crate::wheel::{WheelArchive, WheelFilename};

/// Builds a wheel from a downloaded sdist; returns the built wheel's path.
pub trait SdistBuilder: Sync {
    /// Build `sdist` (a file on disk whose real name is `file.filename`).
    fn build(&self, file: &DistFile, sdist: &std::path::Path) -> Result<PathBuf, String>;

    /// Whether builds can run at all (an interpreter was found). May wait
    /// for a probe; asked only when an sdist-only release could be chosen.
    fn available(&self) -> bool {
        true
    }
}

/// What the chosen artifact for one version is.
#[derive(Clone, Debug)]
pub enum Artifact {
    /// The best-ranked compatible wheel from the index or find-links.
    Wheel(DistFile),
    /// An sdist to build (no compatible wheel exists in any version).
    Sdist(DistFile),
    /// A local wheel named by a direct reference.
    LocalWheel(PathBuf),
    /// A wheel built from an sdist during resolution.
    Built {
        /// The sdist it was built from.
        sdist: DistFile,
        /// The built wheel.
        wheel: PathBuf,
    },
}

impl Artifact {
    /// The file name shown in the report. Ex) `six-1.17.0-py2.py3-none-any.whl`
    pub fn filename(&self) -> String {
        match self {
            Artifact::Wheel(f) | Artifact::Sdist(f) => f.filename.clone(),
            Artifact::LocalWheel(p) | Artifact::Built { wheel: p, .. } => p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        }
    }

    /// Where it comes from, for the report.
    pub fn source(&self) -> WheelSource {
        match self {
            Artifact::Wheel(f) => match &f.origin {
                DistOrigin::FindLinks(_) => WheelSource::FindLinks,
                DistOrigin::Index(_) => WheelSource::Index,
                DistOrigin::Direct(_) => WheelSource::Url,
            },
            Artifact::Sdist(_) | Artifact::Built { .. } => WheelSource::SdistBuild,
            Artifact::LocalWheel(_) => WheelSource::Url,
        }
    }
}

/// A direct reference from requirements.txt.
#[derive(Clone, Debug)]
pub enum DirectWheel {
    /// `name @ https://…/x.whl` (hashes from `--hash` or the URL fragment).
    Url(Box<DistFile>),
    /// A local wheel file.
    Path(PathBuf),
}

/// A package that could not be turned into a wheel for the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// `name==version` (normalised name), as Chalice prints it.
    pub identifier: String,
    /// Why.
    pub reason: String,
}

/// Metadata of one version and its wheel's unzipped size, when known.
type MetadataEntry = (CoreMetadata, Option<u64>);

/// Index pages fetched at once when prefetching: requests are network
/// bound (HTTP/2 multiplexes them over one connection), so more than the
/// cores, but not so many that a large resolution opens a thread per name.
const PREFETCH_THREADS: usize = 16;

/// The index, filtered and ranked for one target.
pub struct IndexSource<'a> {
    client: &'a IndexClient,
    tags: &'a Tags,
    builder: Option<&'a dyn SdistBuilder>,
    direct: HashMap<String, DirectWheel>,
    allow_missing: bool,
    prefer_binary: bool,
    versions: Mutex<HashMap<String, BTreeMap<Version, Artifact>>>,
    metadata: Mutex<HashMap<(String, Version), MetadataEntry>>,
    missing: Mutex<Vec<Missing>>,
}

/// The files of one version, as [`IndexSource::rank`] groups them.
struct Best {
    /// The best wheel so far: priority, build tag, file.
    wheel: Option<(TagPriority, Option<crate::wheel::BuildTag>, DistFile)>,
    /// The sdist, if any.
    sdist: Option<DistFile>,
    /// Whether every file of the version is yanked.
    all_yanked: bool,
    /// `Requires-Python` of the chosen file.
    requires_python: Option<String>,
    /// Refused wheels, explained (closest miss first) only if nothing fits.
    refused: Vec<WheelFilename>,
}

impl<'a> IndexSource<'a> {
    /// A source over `client` for `tags`' target.
    pub fn new(client: &'a IndexClient, tags: &'a Tags) -> Self {
        IndexSource {
            client,
            tags,
            builder: None,
            direct: HashMap::new(),
            allow_missing: false,
            prefer_binary: false,
            versions: Mutex::new(HashMap::new()),
            metadata: Mutex::new(HashMap::new()),
            missing: Mutex::new(Vec::new()),
        }
    }

    /// Build sdist-only projects with `builder`.
    pub fn with_builder(mut self, builder: &'a dyn SdistBuilder) -> Self {
        self.builder = Some(builder);
        self
    }

    /// Offer `wheel` as the only candidate for `name`.
    pub fn with_direct(mut self, name: &str, wheel: DirectWheel) -> Self {
        self.direct.insert(normalize(name), wheel);
        self
    }

    /// With `--allow-missing`: a project with no usable version resolves to
    /// a placeholder that is reported missing instead of failing.
    pub fn allow_missing(mut self, yes: bool) -> Self {
        self.allow_missing = yes;
        self
    }

    /// `--prefer-binary` (requirements.txt or `PIP_PREFER_BINARY`): as pip
    /// then does, an older release with a wheel wins over a newer sdist-only
    /// one even when it could be built.
    pub fn prefer_binary(mut self, yes: bool) -> Self {
        self.prefer_binary = yes;
        self
    }

    /// Whether `name==version` is a release published only as an sdist while
    /// other releases of `name` have a wheel for the target: a build failure
    /// there can fall back to one of those.
    pub fn sdist_only_among_wheels(&self, name: &str, version: &Version) -> bool {
        let Ok(versions) = self.versions.lock() else {
            return false;
        };
        let Some(map) = versions.get(&normalize(name)) else {
            return false;
        };
        let sdist = matches!(
            map.get(version),
            Some(Artifact::Sdist(_) | Artifact::Built { .. })
        );
        sdist && map.values().any(|a| matches!(a, Artifact::Wheel(_)))
    }

    /// The artifact chosen for `name==version`, once resolution has asked for it.
    pub fn artifact(&self, name: &str, version: &Version) -> Option<Artifact> {
        let versions = self.versions.lock().ok()?;
        versions.get(&normalize(name))?.get(version).cloned()
    }

    /// Unzipped size of `name==version`'s wheel when it is known (from the
    /// central directory read for its metadata).
    pub fn unzipped_bytes(&self, name: &str, version: &Version) -> Option<u64> {
        let meta = self.metadata.lock().ok()?;
        meta.get(&(normalize(name), version.clone()))?.1
    }

    /// Unzipped size of some version of `name` whose metadata was read (the
    /// what-if resolution reads the version it would have shipped): an
    /// estimate of what keeping `name` out saves.
    pub fn unzipped_bytes_any(&self, name: &str) -> Option<u64> {
        let meta = self.metadata.lock().ok()?;
        let name = normalize(name);
        meta.iter()
            .filter(|((n, _), _)| *n == name)
            .filter_map(|((_, v), (_, size))| size.map(|s| (v.clone(), s)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, s)| s)
    }

    /// The newest version of `name` whose metadata was read (by either
    /// resolution): the version that would have shipped.
    pub fn newest_fetched(&self, name: &str) -> Option<Version> {
        let meta = self.metadata.lock().ok()?;
        let name = normalize(name);
        meta.keys()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .max()
    }

    /// Packages that could not be built or had no usable file.
    pub fn missing(&self) -> Vec<Missing> {
        let mut m = self.missing.lock().map(|m| m.clone()).unwrap_or_default();
        m.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        m.dedup();
        m
    }

    fn record_missing(&self, name: &str, version: &Version, reason: String) {
        if let Ok(mut m) = self.missing.lock() {
            m.push(Missing {
                identifier: format!("{}=={version}", normalize(name)),
                reason,
            });
        }
    }

    fn direct_candidates(
        &self,
        name: &str,
        direct: &DirectWheel,
    ) -> Result<Vec<Candidate>, SourceError> {
        let filename = match direct {
            DirectWheel::Url(f) => f.filename.clone(),
            DirectWheel::Path(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        };
        let wf = WheelFilename::from_str(&filename).map_err(SourceError::new)?;
        let mut c = Candidate::new(wf.version.clone());
        if let Err(inc) = wf.compatibility_local(self.tags) {
            c.has_compatible_wheel = false;
            c.incompatibility_note = Some(inc.to_string());
        }
        let artifact = match direct {
            DirectWheel::Url(f) => Artifact::Wheel((**f).clone()),
            DirectWheel::Path(p) => Artifact::LocalWheel(p.clone()),
        };
        let mut map = BTreeMap::new();
        map.insert(wf.version.clone(), artifact);
        if let Ok(mut v) = self.versions.lock() {
            v.insert(name.to_string(), map);
        }
        Ok(vec![c])
    }

    /// Group a project's files by version and pick each version's artifact.
    fn rank(
        &self,
        name: &str,
        files: Vec<DistFile>,
    ) -> (Vec<Candidate>, BTreeMap<Version, Artifact>) {
        let by_version = self.group_by_version(name, files);
        self.choose(by_version)
    }

    /// Each version's best wheel for the target, its sdist, and the wheels refused.
    fn group_by_version(&self, name: &str, files: Vec<DistFile>) -> BTreeMap<Version, Best> {
        let mut by_version: BTreeMap<Version, Best> = BTreeMap::new();
        for f in files {
            let (version, wheel) = if f.is_wheel() {
                match WheelFilename::from_str(&f.filename) {
                    Ok(w) if w.normalized_name() == name => (w.version.clone(), Some(w)),
                    _ => continue,
                }
            } else if f.is_sdist() {
                match sdist_version(name, &f.filename) {
                    Some(v) => (v, None),
                    None => continue,
                }
            } else {
                continue;
            };
            let best = by_version.entry(version).or_insert(Best {
                wheel: None,
                sdist: None,
                all_yanked: true,
                requires_python: None,
                refused: Vec::new(),
            });
            if !f.is_yanked() {
                best.all_yanked = false;
            }
            match wheel {
                Some(w) => match w.priority(self.tags) {
                    Some(p) => {
                        let better = match &best.wheel {
                            None => true,
                            Some((bp, bb, _)) => (p, w.build.clone()) > (*bp, bb.clone()),
                        };
                        if better {
                            best.requires_python = f.requires_python.clone();
                            best.wheel = Some((p, w.build.clone(), f));
                        }
                    }
                    None => {
                        tracing::debug!(
                            wheel = %w,
                            reason = %self.tags.closest_mismatch(&w.python_tags, &w.abi_tags, &w.platform_tags),
                            "wheel refused for the target"
                        );
                        best.refused.push(w)
                    }
                },
                None => {
                    if best.requires_python.is_none() {
                        best.requires_python = f.requires_python.clone();
                    }
                    best.sdist = Some(f);
                }
            }
        }
        by_version
    }

    /// One candidate per version, and the artifact each would install.
    fn choose(
        &self,
        by_version: BTreeMap<Version, Best>,
    ) -> (Vec<Candidate>, BTreeMap<Version, Artifact>) {
        // sdists are only a fallback for projects with no usable wheel at all.
        let any_wheel = by_version.values().any(|b| b.wheel.is_some());
        let mut candidates = Vec::new();
        let mut artifacts = BTreeMap::new();
        for (version, best) in by_version {
            let mut c = Candidate::new(version.clone());
            c.yanked = best.all_yanked;
            c.requires_python = best
                .requires_python
                .as_deref()
                .and_then(|s| crate::guard::specifiers(s).ok());
            match (best.wheel, best.sdist) {
                (Some((_, _, f)), _) => {
                    artifacts.insert(version, Artifact::Wheel(f));
                }
                // Without a builder too: `build_sdist` then records it as
                // missing, so it is listed with Chalice's advice (or skipped
                // with --allow-missing) instead of failing resolution. When
                // other releases have wheels, this one is a last resort unless
                // the source can build (see `builds_sdists`): then it competes
                // on version, as pip chooses and Chalice builds.
                (None, Some(s)) => {
                    c.last_resort = any_wheel;
                    c.sdist_only = true;
                    artifacts.insert(version, Artifact::Sdist(s));
                }
                (None, None) => {
                    c.has_compatible_wheel = false;
                    let note = best
                        .refused
                        .iter()
                        .filter_map(|w| w.compatibility(self.tags).err())
                        .map(|inc| inc.reason)
                        .min();
                    c.incompatibility_note = Some(match note {
                        Some(n) => n.to_string(),
                        None => "no usable file".to_string(),
                    });
                    if self.allow_missing {
                        // Chalice's behaviour on request: a release the range
                        // needs is reported missing instead of failing.
                        c.has_compatible_wheel = true;
                        c.last_resort = true;
                    }
                }
            }
            candidates.push(c);
        }
        (candidates, artifacts)
    }

    fn load_metadata(
        &self,
        name: &str,
        version: &Version,
    ) -> Result<(CoreMetadata, Option<u64>), SourceError> {
        let key = (name.to_string(), version.clone());
        if let Some(hit) = self.metadata.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(hit);
        }
        let artifact = self.artifact(name, version);
        let result = match artifact {
            Some(Artifact::Wheel(f)) => {
                let remote = self.client.metadata(&f).map_err(SourceError::new)?;
                let meta = CoreMetadata::parse(&remote.metadata).map_err(SourceError::new)?;
                (meta, remote.unzipped_bytes)
            }
            Some(Artifact::LocalWheel(p)) | Some(Artifact::Built { wheel: p, .. }) => {
                let w = WheelArchive::open(&p).map_err(SourceError::new)?;
                let size = w.unzipped_bytes();
                (w.metadata, Some(size))
            }
            Some(Artifact::Sdist(f)) => self.build_sdist(name, version, f)?,
            None => {
                // No usable file (only reachable with --allow-missing).
                self.record_missing(
                    name,
                    version,
                    "no wheel for the target and no sdist to build".to_string(),
                );
                (placeholder(name, version)?, None)
            }
        };
        if let Ok(mut m) = self.metadata.lock() {
            m.insert(key, result.clone());
        }
        Ok(result)
    }

    fn build_sdist(
        &self,
        name: &str,
        version: &Version,
        f: DistFile,
    ) -> Result<(CoreMetadata, Option<u64>), SourceError> {
        let Some(builder) = self.builder else {
            self.record_missing(
                name,
                version,
                "only an sdist is available, and no Python interpreter was found to build it (see --python)"
                    .to_string(),
            );
            return Ok((placeholder(name, version)?, None));
        };
        let sdist = self.client.download(&f).map_err(SourceError::new)?;
        match builder.build(&f, &sdist) {
            Ok(wheel) => {
                let w = WheelArchive::open(&wheel).map_err(SourceError::new)?;
                let size = w.unzipped_bytes();
                if let Ok(mut v) = self.versions.lock() {
                    if let Some(map) = v.get_mut(name) {
                        map.insert(version.clone(), Artifact::Built { sdist: f, wheel });
                    }
                }
                Ok((w.metadata, Some(size)))
            }
            Err(reason) => {
                self.record_missing(name, version, reason);
                Ok((placeholder(name, version)?, None))
            }
        }
    }
}

/// Metadata with no dependencies, for a package that cannot be installed.
fn placeholder(name: &str, version: &Version) -> Result<CoreMetadata, SourceError> {
    CoreMetadata::parse(format!("Name: {name}\nVersion: {version}\n").as_bytes())
        .map_err(SourceError::new)
}

/// The version in an sdist file name. Ex) `foo_bar-1.0.tar.gz` → `1.0`
pub fn sdist_version(name: &str, filename: &str) -> Option<Version> {
    crate::index::sdist_version(name, filename)
}

impl PackageSource for IndexSource<'_> {
    fn candidates(&self, name: &str) -> Result<Vec<Candidate>, SourceError> {
        let name = normalize(name);
        if let Some(d) = self.direct.get(&name).cloned() {
            return self.direct_candidates(&name, &d);
        }
        let files = self
            .client
            .project_for(&name, self.tags)
            .map_err(SourceError::new)?;
        let (candidates, artifacts) = self.rank(&name, files);
        if let Ok(mut v) = self.versions.lock() {
            // Asked again by a later resolution (another round, the "what
            // if" pass): a wheel built in an earlier one stays chosen, its
            // metadata having been read from it.
            let known = v.entry(name).or_default();
            for (version, artifact) in artifacts {
                if !matches!(known.get(&version), Some(Artifact::Built { .. })) {
                    known.insert(version, artifact);
                }
            }
        }
        Ok(candidates)
    }

    fn metadata(&self, name: &str, version: &Version) -> Result<CoreMetadata, SourceError> {
        self.load_metadata(&normalize(name), version)
            .map(|(m, _)| m)
    }

    /// A builder is there, it can run (an interpreter was found), and
    /// `--prefer-binary` is not in effect.
    fn builds_sdists(&self) -> bool {
        !self.prefer_binary && self.builder.is_some_and(|b| b.available())
    }

    fn prefetch_candidates(&self, names: &[String]) {
        let todo: Vec<String> = names
            .iter()
            .map(|n| normalize(n))
            .filter(|n| !self.direct.contains_key(n))
            .collect();
        // Warm the client's page memo in parallel; errors resurface later.
        // Workers take the next name from a shared queue, so one large page
        // (pydantic-core's is 7 MB) does not hold back the names behind it.
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..todo.len().min(PREFETCH_THREADS) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(n) = todo.get(i) else { break };
                    let _ = self.client.project_for(n, self.tags);
                });
            }
        });
    }

    fn provided_metadata(&self, name: &str, version: &Version) -> Option<CoreMetadata> {
        let name = normalize(name);
        let known = self
            .versions
            .lock()
            .map(|v| v.contains_key(&name))
            .unwrap_or(false);
        if !known {
            self.candidates(&name).ok()?;
        }
        // Only a wheel's metadata: an sdist would be built (or reported
        // missing) for a package that is not even shipped.
        match self.artifact(&name, version)? {
            Artifact::Wheel(_) | Artifact::LocalWheel(_) | Artifact::Built { .. } => {
                self.load_metadata(&name, version).ok().map(|(m, _)| m)
            }
            Artifact::Sdist(_) => None,
        }
    }

    fn prefetch_metadata(&self, items: &[(String, Version)]) {
        let todo: Vec<(String, Version)> = items
            .iter()
            .map(|(n, v)| (normalize(n), v.clone()))
            .filter(|(n, v)| matches!(self.artifact(n, v), Some(Artifact::Wheel(_))))
            .filter(|k| {
                self.metadata
                    .lock()
                    .map(|m| !m.contains_key(k))
                    .unwrap_or(false)
            })
            .collect();
        if todo.len() < 2 {
            return;
        }
        std::thread::scope(|s| {
            for chunk in todo.chunks(todo.len().div_ceil(8).max(1)) {
                s.spawn(move || {
                    for (n, v) in chunk {
                        let _ = self.load_metadata(n, v);
                    }
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdist_versions() {
        assert_eq!(
            sdist_version("foo-bar", "foo_bar-1.0.tar.gz")
                .unwrap()
                .to_string(),
            "1.0"
        );
        assert_eq!(
            sdist_version("foo-bar", "Foo.Bar-2.0rc1.zip")
                .unwrap()
                .to_string(),
            "2.0rc1"
        );
        assert!(sdist_version("foo", "bar-1.0.tar.gz").is_none());
        assert!(sdist_version("foo", "foo-1.0.exe").is_none());
    }
}

//! Fetched manifests in grail's cache (`<cache>/v1/layers/`):
//!
//! - `manifests/<CodeSha256 hex>.json`: the scan's manifest, without an ARN
//!   (the same archive published in two regions is one entry);
//! - `arns/<sha256 of the ARN>.json`: `{"arn", "code_sha256", "code_size"}`,
//!   so a layer version fetched once is never asked of AWS again (a
//!   published layer version never changes);
//! - `tmp/`: archives being downloaded.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::aws::LayerVersion;
use super::{FetchError, Fetched};
use crate::layers::{LayerArn, LayerManifest};

/// The cache's layer directory.
pub(super) struct Store {
    dir: PathBuf,
}

/// One `arns/` record.
#[derive(Serialize, Deserialize)]
struct ArnRecord {
    arn: String,
    code_sha256: String,
    code_size: u64,
}

/// The layer directory under `cache_dir` (else grail's default cache).
fn layers_dir(cache_dir: Option<&Path>) -> Option<PathBuf> {
    let dir = cache_dir
        .map(Path::to_path_buf)
        .or_else(crate::cache::Cache::default_dir)?;
    Some(dir.join("v1").join("layers"))
}

impl Store {
    /// Open the store, creating its directories.
    pub(super) fn open(cache_dir: Option<&Path>) -> Result<Store, FetchError> {
        let dir = layers_dir(cache_dir).ok_or_else(|| FetchError::Io {
            action: "find a cache directory (set GRAIL_CACHE_DIR or pass --cache-dir) for",
            path: PathBuf::from("fetched layer manifests"),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })?;
        for sub in ["manifests", "arns", "tmp"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path).map_err(|source| FetchError::Io {
                action: "create directory",
                path,
                source,
            })?;
        }
        Ok(Store { dir })
    }

    /// Where downloads go while they are checked and scanned.
    pub(super) fn scratch_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    fn arn_path(&self, arn: &LayerArn) -> PathBuf {
        arn_path(&self.dir, arn)
    }

    fn manifest_path(&self, code_sha256: &str) -> PathBuf {
        self.dir
            .join("manifests")
            .join(format!("{code_sha256}.json"))
    }

    /// The cached manifest of `arn`, if it was fetched before.
    pub(super) fn lookup(&self, arn: &LayerArn) -> Option<Fetched> {
        let text = std::fs::read_to_string(self.arn_path(arn)).ok()?;
        let record: ArnRecord = serde_json::from_str(&text).ok()?;
        if record.arn != arn.to_string() || !is_sha256_hex(&record.code_sha256) {
            return None;
        }
        self.by_sha(arn, &record.code_sha256, record.code_size)
    }

    /// The cached manifest with this `CodeSha256`, presented for `arn`.
    pub(super) fn by_sha(&self, arn: &LayerArn, code_sha256: &str, size: u64) -> Option<Fetched> {
        let path = self.manifest_path(code_sha256);
        let mut manifest = LayerManifest::load(&path).ok()?;
        manifest.arn = Some(arn.clone());
        Some(Fetched {
            arn: arn.clone(),
            code_sha256: code_sha256.to_string(),
            code_size: size,
            manifest,
            manifest_path: path,
            warnings: Vec::new(),
            from_cache: true,
            archive: None,
        })
    }

    /// Record that `arn` is the archive `version`.
    pub(super) fn remember(
        &self,
        arn: &LayerArn,
        version: &LayerVersion,
    ) -> Result<(), FetchError> {
        let record = ArnRecord {
            arn: arn.to_string(),
            code_sha256: version.code_sha256_hex.clone(),
            code_size: version.code_size,
        };
        let json = serde_json::to_string_pretty(&record).unwrap_or_default();
        write_atomic(&self.arn_path(arn), json.as_bytes())
    }

    /// Store a fresh scan's manifest (without its ARN) and the ARN's record;
    /// returns the manifest's path.
    pub(super) fn save(
        &self,
        arn: &LayerArn,
        version: &LayerVersion,
        manifest: &LayerManifest,
    ) -> Result<PathBuf, FetchError> {
        let mut keyed = manifest.clone();
        keyed.arn = None;
        let path = self.manifest_path(&version.code_sha256_hex);
        write_atomic(&path, keyed.to_json().as_bytes())?;
        self.remember(arn, version)?;
        Ok(path)
    }
}

fn arn_path(layers: &Path, arn: &LayerArn) -> PathBuf {
    let key = crate::cache::sha256_hex(arn.to_string().as_bytes());
    layers.join("arns").join(format!("{key}.json"))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Write through a temporary file in the same directory, then rename: a
/// reader never sees half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let failed = |source| FetchError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".grail-")
        .tempfile_in(dir)
        .map_err(failed)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// The cached manifest file for `arn`, when it was fetched before: reading
/// two small files, never contacting AWS (`--offline` uses it too).
pub fn cached_manifest(arn: &LayerArn, cache_dir: Option<&Path>) -> Option<PathBuf> {
    cached_fetch(arn, cache_dir).map(|f| f.manifest_path)
}

/// The whole cached fetch of `arn` (manifest, `CodeSha256`, `CodeSize`),
/// when it was fetched before; like [`cached_manifest`], it never contacts
/// AWS and never creates the cache directory (`grail layer show` reads it).
pub fn cached_fetch(arn: &LayerArn, cache_dir: Option<&Path>) -> Option<Fetched> {
    let dir = layers_dir(cache_dir)?;
    Store { dir }.lookup(arn)
}

/// The AWS profile files the SDK reads (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
/// `~/.aws/credentials`).
pub(super) fn profile_files() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    [
        ("AWS_CONFIG_FILE", "config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .iter()
    .filter_map(|(var, name)| match std::env::var_os(var) {
        Some(p) => Some(PathBuf::from(p)),
        None => home.as_ref().map(|h| h.join(".aws").join(name)),
    })
    .collect()
}

/// What the decision to fetch depends on beyond the options, the
/// environment and `.chalice/` (which the no-op check already records):
/// the profile files (they make credentials available) and which layer
/// versions have a cached manifest. `(name, value)` pairs.
pub fn rebuild_inputs(cache_dir: Option<&Path>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = profile_files()
        .iter()
        .map(|p| {
            let there = std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0);
            (p.display().to_string(), there.to_string())
        })
        .collect();
    if let Some(dir) = layers_dir(cache_dir) {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("arns"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        out.push(("fetched".to_string(), names.join(",")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(sha: &str) -> LayerVersion {
        LayerVersion {
            code_sha256_hex: sha.to_string(),
            code_size: 10,
            location: "http://127.0.0.1/x".to_string(),
        }
    }

    #[test]
    fn a_saved_manifest_is_found_by_arn_and_shared_by_content() {
        let cache = tempfile::tempdir().unwrap();
        let store = Store::open(Some(cache.path())).unwrap();
        let a: LayerArn = "arn:aws:lambda:us-east-1:123456789012:layer:a:1"
            .parse()
            .unwrap();
        let b: LayerArn = "arn:aws:lambda:eu-west-1:123456789012:layer:a:1"
            .parse()
            .unwrap();
        let sha = "ab".repeat(32);
        assert!(store.lookup(&a).is_none());
        let mut m = crate::layers::runtime_manifest();
        m.arn = Some(a.clone());
        let path = store.save(&a, &version(&sha), &m).unwrap();
        let hit = store.lookup(&a).unwrap();
        assert_eq!((hit.from_cache, hit.manifest_path), (true, path.clone()));
        assert_eq!(hit.manifest.arn.as_ref(), Some(&a));
        // Keyed by content: the file itself names no ARN.
        assert!(LayerManifest::load(&path).unwrap().arn.is_none());
        assert!(store.lookup(&b).is_none());
        assert_eq!(
            store.by_sha(&b, &sha, 10).unwrap().manifest.arn,
            Some(b.clone())
        );
        assert_eq!(cached_manifest(&a, Some(cache.path())), Some(path.clone()));
        let cached = cached_fetch(&a, Some(cache.path())).unwrap();
        assert_eq!((cached.code_sha256, cached.code_size), (sha.clone(), 10));
        assert!(cached_fetch(&b, Some(cache.path())).is_none());
        let inputs = rebuild_inputs(Some(cache.path()));
        assert!(inputs
            .iter()
            .any(|(k, v)| k == "fetched" && v.ends_with(".json")));
    }

    #[test]
    fn a_damaged_arn_record_is_a_miss() {
        let cache = tempfile::tempdir().unwrap();
        let store = Store::open(Some(cache.path())).unwrap();
        let a: LayerArn = "arn:aws:lambda:us-east-1:123456789012:layer:a:1"
            .parse()
            .unwrap();
        std::fs::write(store.arn_path(&a), "{\"arn\": 1}").unwrap();
        assert!(store.lookup(&a).is_none());
        let other = r#"{"arn": "arn:aws:lambda:us-east-1:123456789012:layer:b:1", "code_sha256": "../x", "code_size": 1}"#;
        std::fs::write(store.arn_path(&a), other).unwrap();
        assert!(store.lookup(&a).is_none());
    }
}

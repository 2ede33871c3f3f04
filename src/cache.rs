//! The on-disk cache shared by every grail run: downloaded distributions
//! (content-addressed by sha256), index pages (with their HTTP validators) and
//! core metadata read out of remote wheels.
//!
//! Layout (versioned, so a future format can live next to this one):
//!
//! ```text
//! <dir>/v1/blobs/sha256/<first two hex>/<sha256 hex>   distribution files
//! <dir>/v1/urls/<sha256 of url>                        url → sha256 hex (files the index gave no hash for)
//! <dir>/v1/listings/<sha256 of url>.bin              a parsed index page: its files + HTTP validators
//! <dir>/v1/pages/<sha256 of url>.json                  (older grails) index page body; read once, converted
//! <dir>/v1/metadata/<key>.json                         METADATA bytes + unzipped size of the wheel
//! <dir>/v1/tmp/                                         temporary files, renamed into place
//! ```
//!
//! Every write goes to a temporary file under `tmp/` (same file system) and is
//! then renamed into place, so concurrent grail runs can share one cache and an
//! interrupted run never leaves a partial file behind. A blob's name is the
//! sha256 of content that was verified while it was written, so reading a blob
//! needs no re-verification.
//!
//! Listings are binary [`Record`]s: a magic, the format
//! version of the payload, its length and its CRC-32, then the payload. A
//! record that is truncated, corrupt or of another format version reads as
//! absent (a cache miss), so deleting or damaging any file here costs at most
//! a refetch.
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let cache = grail::cache::Cache::new(dir.path()).unwrap();
//! let mut writer = cache.blob_writer().unwrap();
//! writer.write_all(b"hello").unwrap();
//! let blob = writer.finish().unwrap();
//! let sha = blob.sha256().to_string();
//! let path = blob.persist().unwrap();
//! assert_eq!(cache.blob(&sha), Some(path));
//! ```

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::error::{Classify, ExitKind};

/// The version directory below the cache root; bump when the layout changes.
const LAYOUT: &str = "v1";

/// A cache operation failed.
#[derive(Debug, thiserror::Error)]
#[error("cache {action} {path}")]
pub struct CacheError {
    /// What was being done, e.g. "cannot create directory".
    pub action: &'static str,
    /// The file or directory involved.
    pub path: PathBuf,
    /// The underlying I/O error.
    #[source]
    pub source: io::Error,
}

/// The cache directory is unusable (permissions, a full disk, a file in the
/// way): bad input (exit 1), fixed by `--cache-dir` or `GRAIL_CACHE_DIR`.
impl Classify for CacheError {
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

impl CacheError {
    fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        CacheError {
            action,
            path: path.to_path_buf(),
            source: without_path(source),
        }
    }
}

/// A temporary file's error without the `at path "…"` it appends (its
/// inner error is not reachable): the message names the path once, itself.
fn without_path(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(i) if e.get_ref().is_some() => io::Error::new(e.kind(), &text[..i]),
        _ => e,
    }
}

/// The first bytes of every binary record in the cache.
const RECORD_MAGIC: &[u8; 8] = b"grail\0rc";
/// Magic, format, length, CRC-32.
const RECORD_HEADER: usize = 8 + 4 + 8 + 4;

/// A payload in a checksummed, versioned envelope, as binary cache files
/// hold it: `RECORD_MAGIC`, the payload's format (u32 LE), its length (u64
/// LE) and CRC-32 (u32 LE), then the payload.
///
/// The checksum catches damage (a torn write, a bad disk); it is no defence
/// against someone who can write the cache, who could as well replace a
/// blob's METADATA. What a payload holds is checked where it is used
/// (downloads against their sha256).
///
/// ```
/// use grail::cache::Record;
/// let sealed = Record::seal(3, b"payload");
/// assert_eq!(sealed.payload(), b"payload");
/// let bytes = sealed.into_bytes();
/// assert!(Record::open(bytes.clone(), 3).is_some());
/// assert!(Record::open(bytes.clone(), 4).is_none());
/// assert!(Record::open(bytes[..bytes.len() - 1].to_vec(), 3).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The whole envelope, header included.
    bytes: Vec<u8>,
}

impl Record {
    /// `payload` sealed as payload format `format`.
    pub fn seal(format: u32, payload: &[u8]) -> Record {
        let mut bytes = Vec::with_capacity(RECORD_HEADER + payload.len());
        bytes.extend_from_slice(RECORD_MAGIC);
        bytes.extend_from_slice(&format.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        Record { bytes }
    }

    /// The record in `bytes`, or `None` when they are not one of payload
    /// format `format`, are truncated or extended, or fail the checksum.
    /// Never panics, whatever the bytes.
    pub fn open(bytes: Vec<u8>, format: u32) -> Option<Record> {
        let (header, payload) = bytes.split_at_checked(RECORD_HEADER)?;
        let (magic, rest) = header.split_at(RECORD_MAGIC.len());
        let (version, rest) = rest.split_at(4);
        let (length, crc) = rest.split_at(8);
        let intact = magic == RECORD_MAGIC
            && version == format.to_le_bytes()
            && length == (payload.len() as u64).to_le_bytes()
            && crc == crc32fast::hash(payload).to_le_bytes();
        intact.then_some(Record { bytes })
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(RECORD_HEADER..).unwrap_or_default()
    }

    /// The whole envelope, as stored.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// An index page (or find-links page) as older grails cached it: the raw
/// body and the validators needed to revalidate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPage {
    /// The page URL, without credentials.
    pub url: String,
    /// The response `Content-Type`, used to choose the JSON or HTML parser.
    pub content_type: Option<String>,
    /// The response `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The response `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// When the page was fetched or last revalidated (seconds since the Unix epoch).
    pub fetched_at: u64,
    /// `Cache-Control: max-age`, if the server allowed caching without revalidation.
    pub max_age: Option<u64>,
    /// The response body.
    pub body: String,
    /// The URL the page was finally served from (after redirects), which
    /// relative links resolve against; `None` means [`CachedPage::url`].
    #[serde(default)]
    pub final_url: Option<String>,
    /// The server answered 404: the project does not exist there (cached so
    /// `--offline` runs with several indexes still work).
    #[serde(default)]
    pub not_found: bool,
}

/// Core metadata read from a distribution, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedMetadata {
    /// The `METADATA` file, base64-encoded (it is not guaranteed to be UTF-8).
    metadata_b64: String,
    /// Sum of the uncompressed sizes of the wheel's entries, when known.
    pub unzipped_bytes: Option<u64>,
}

impl CachedMetadata {
    /// Wrap METADATA bytes and the optional unzipped size.
    pub fn new(metadata: &[u8], unzipped_bytes: Option<u64>) -> Self {
        use base64::Engine;
        CachedMetadata {
            metadata_b64: base64::engine::general_purpose::STANDARD.encode(metadata),
            unzipped_bytes,
        }
    }

    /// The METADATA bytes (`None` if the cache entry is corrupt).
    pub fn metadata(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(&self.metadata_b64)
            .ok()
    }
}

/// The grail cache directory; cheap to clone and safe to share between threads.
#[derive(Debug, Clone)]
pub struct Cache {
    /// `<dir>/v1`.
    root: PathBuf,
}

impl Cache {
    /// Open (creating if needed) the cache rooted at `dir`.
    pub fn new(dir: impl AsRef<Path>) -> Result<Cache, CacheError> {
        let root = dir.as_ref().join(LAYOUT);
        for sub in [
            "blobs/sha256",
            "urls",
            "listings",
            "metadata",
            "checks",
            "hints",
            "tmp",
        ] {
            let path = root.join(sub);
            fs::create_dir_all(&path)
                .map_err(|e| CacheError::new("cannot create directory", &path, e))?;
        }
        remove_stale_temp_files(&root.join("tmp"));
        Ok(Cache { root })
    }

    /// The default cache directory: `$GRAIL_CACHE_DIR`, else the platform
    /// cache directory (`$XDG_CACHE_HOME/grail` or `~/.cache/grail` on Linux,
    /// `~/Library/Caches/grail` on macOS, `%LOCALAPPDATA%\grail\cache` on
    /// Windows). `None` when no home directory can be found.
    pub fn default_dir() -> Option<PathBuf> {
        default_dir_from(|key| std::env::var_os(key))
    }

    /// The versioned root (`<dir>/v1`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this sha256 lives (whether or not it exists).
    fn blob_path(&self, sha256_hex: &str) -> PathBuf {
        let hex = sha256_hex.to_ascii_lowercase();
        let prefix = hex.get(..2).unwrap_or("xx");
        self.root.join("blobs/sha256").join(prefix).join(hex)
    }

    /// The cached blob with this sha256, if present.
    pub fn blob(&self, sha256_hex: &str) -> Option<PathBuf> {
        let path = self.blob_path(sha256_hex);
        path.is_file().then_some(path)
    }

    /// Start writing a new blob; its name is decided by its content.
    pub fn blob_writer(&self) -> Result<BlobWriter, CacheError> {
        let tmp_dir = self.root.join("tmp");
        let file = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(|e| CacheError::new("cannot create a temporary file in", &tmp_dir, e))?;
        Ok(BlobWriter {
            cache: self.clone(),
            file: io::BufWriter::new(file),
            sha256: Sha256::new(),
            sha384: Sha384::new(),
            sha512: Sha512::new(),
            len: 0,
        })
    }

    /// The sha256 recorded for a URL whose index gave no hash.
    pub fn url_sha256(&self, url: &str) -> Option<String> {
        let text = fs::read_to_string(self.url_path(url)).ok()?;
        let hex = text.trim();
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_string())
    }

    /// Remember that `url` served the blob `sha256_hex`.
    pub fn set_url_sha256(&self, url: &str, sha256_hex: &str) -> Result<(), CacheError> {
        self.write_atomic(&self.url_path(url), sha256_hex.as_bytes())
    }

    /// The page for `url` (credentials already stripped) as an older grail
    /// cached it (raw body in JSON), if any. Newer grails store listings
    /// ([`Cache::listing`]) and read these only to convert them.
    pub fn legacy_page(&self, url: &str) -> Option<CachedPage> {
        let bytes = fs::read(self.page_path(url)).ok()?;
        let page: CachedPage = serde_json::from_slice(&bytes).ok()?;
        (page.url == url).then_some(page)
    }

    /// Forget the legacy page for `url` (best effort: it is only garbage).
    pub fn remove_legacy_page(&self, url: &str) {
        let _ = fs::remove_file(self.page_path(url));
    }

    /// Store a page in the legacy form (tests of the conversion use it).
    pub fn set_legacy_page(&self, page: &CachedPage) -> Result<(), CacheError> {
        let path = self.page_path(&page.url);
        fs::create_dir_all(self.root.join("pages"))
            .map_err(|e| CacheError::new("cannot create directory", &path, e))?;
        let json = serde_json::to_vec(page).map_err(|e| {
            CacheError::new("cannot serialise page for", &path, io::Error::other(e))
        })?;
        self.write_atomic(&path, &json)
    }

    /// The listing stored for `url` in payload format `format`, if present
    /// and intact (see [`Record::open`]).
    pub fn listing(&self, url: &str, format: u32) -> Option<Record> {
        Record::open(fs::read(self.listing_path(url)).ok()?, format)
    }

    /// Store the listing for `url` (replacing any older one atomically).
    pub fn set_listing(&self, url: &str, record: &Record) -> Result<(), CacheError> {
        self.write_atomic(&self.listing_path(url), &record.bytes)
    }

    /// The resolution hint stored under `key`, if present and intact in
    /// payload format `format` (see [`crate::dependencies`]' warm hints:
    /// which pages a previous resolution of the same inputs needed).
    pub fn hint(&self, key: &str, format: u32) -> Option<Record> {
        Record::open(fs::read(self.hint_path(key)).ok()?, format)
    }

    /// Store the resolution hint for `key` (replacing any older one).
    pub fn set_hint(&self, key: &str, record: &Record) -> Result<(), CacheError> {
        self.write_atomic(&self.hint_path(key), &record.bytes)
    }

    /// Cached metadata under `key` (see [`Cache::metadata_key`]).
    pub fn metadata(&self, key: &str) -> Option<CachedMetadata> {
        let bytes = fs::read(self.root.join("metadata").join(format!("{key}.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Store metadata under `key`.
    pub fn set_metadata(&self, key: &str, value: &CachedMetadata) -> Result<(), CacheError> {
        let path = self.root.join("metadata").join(format!("{key}.json"));
        let json = serde_json::to_vec(value).map_err(|e| {
            CacheError::new("cannot serialise metadata for", &path, io::Error::other(e))
        })?;
        self.write_atomic(&path, &json)
    }

    /// Whether the check `kind` (Ex: `record`, `audit-python3.12-x86_64`)
    /// already passed for the blob `sha256_hex`. Blobs are immutable, so a
    /// passed check never needs repeating.
    pub fn check_passed(&self, kind: &str, sha256_hex: &str) -> bool {
        self.check_path(kind, sha256_hex).is_file()
    }

    /// Record that check `kind` passed for blob `sha256_hex`.
    pub fn set_check_passed(&self, kind: &str, sha256_hex: &str) -> Result<(), CacheError> {
        let path = self.check_path(kind, sha256_hex);
        self.write_atomic(&path, b"ok\n")
    }

    fn check_path(&self, kind: &str, sha256_hex: &str) -> PathBuf {
        let kind: String = kind
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root
            .join("checks")
            .join(format!("{kind}-{}", sha256_hex.to_ascii_lowercase()))
    }

    /// The sha256 of a blob path inside this cache (its file name), if it is one.
    pub fn blob_sha256(&self, path: &Path) -> Option<String> {
        let blobs = self.root.join("blobs/sha256");
        if !path.starts_with(&blobs) {
            return None;
        }
        let name = path.file_name()?.to_str()?;
        (name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())).then(|| name.to_string())
    }

    /// The metadata key of a distribution: its sha256 when known, else a hash of its URL.
    pub fn metadata_key(sha256: Option<&str>, url: &str) -> String {
        match sha256 {
            Some(hex) => format!("sha256-{}", hex.to_ascii_lowercase()),
            None => format!("url-{}", sha256_hex(url.as_bytes())),
        }
    }

    fn url_path(&self, url: &str) -> PathBuf {
        self.root.join("urls").join(sha256_hex(url.as_bytes()))
    }

    fn listing_path(&self, url: &str) -> PathBuf {
        self.root
            .join("listings")
            .join(format!("{}.bin", sha256_hex(url.as_bytes())))
    }

    fn hint_path(&self, key: &str) -> PathBuf {
        self.root
            .join("hints")
            .join(format!("{}.bin", sha256_hex(key.as_bytes())))
    }

    fn page_path(&self, url: &str) -> PathBuf {
        self.root
            .join("pages")
            .join(format!("{}.json", sha256_hex(url.as_bytes())))
    }

    /// Write `bytes` to `path` via a temporary file and a rename.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        let tmp_dir = self.root.join("tmp");
        let mut file = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(|e| CacheError::new("cannot create a temporary file in", &tmp_dir, e))?;
        file.write_all(bytes)
            .map_err(|e| CacheError::new("cannot write", file.path(), e))?;
        file.persist(path)
            .map_err(|e| CacheError::new("cannot rename into", path, e.error))?;
        Ok(())
    }
}

/// Temp files of killed runs (a live write finishes in seconds): remove those
/// older than an hour. Best effort.
fn remove_stale_temp_files(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > hour);
        if old {
            tracing::debug!(path = %e.path().display(), "cache: removing a stale temporary file");
            let _ = fs::remove_file(e.path());
        }
    }
}

/// [`Cache::default_dir`] with the environment passed in (testable).
fn default_dir_from(lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let env = |key: &str| lookup(key).filter(|v| !v.is_empty());
    if let Some(dir) = env("GRAIL_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if cfg!(windows) {
        return env("LOCALAPPDATA").map(|d| PathBuf::from(d).join("grail").join("cache"));
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map(|h| PathBuf::from(h).join("Library/Caches/grail"));
    }
    if let Some(xdg) = env("XDG_CACHE_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(PathBuf::from(xdg).join("grail"));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".cache").join("grail"))
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A blob being written: bytes go to a temporary file while their digests are
/// computed. Dropping it (or the [`FinishedBlob`]) deletes the temporary file.
pub struct BlobWriter {
    cache: Cache,
    file: io::BufWriter<tempfile::NamedTempFile>,
    sha256: Sha256,
    sha384: Sha384,
    sha512: Sha512,
    len: u64,
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.sha384.update(&buf[..n]);
        self.sha512.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl BlobWriter {
    /// Append `buf`; a failure (a full disk) is the cache's, naming the
    /// temporary file, never mistaken for a network error.
    pub fn append(&mut self, buf: &[u8]) -> Result<(), CacheError> {
        io::Write::write_all(self, buf).map_err(|e| {
            let path = self.file.get_ref().path().to_path_buf();
            CacheError::new("cannot write", &path, e)
        })
    }

    /// Flush and compute the digests; the blob is not yet visible in the cache.
    pub fn finish(self) -> Result<FinishedBlob, CacheError> {
        let file = self.file.into_inner().map_err(|e| {
            let err = io::Error::new(e.error().kind(), e.error().to_string());
            CacheError::new("cannot write", e.into_inner().get_ref().path(), err)
        })?;
        Ok(FinishedBlob {
            cache: self.cache,
            file,
            sha256: hex::encode(self.sha256.finalize()),
            sha384: hex::encode(self.sha384.finalize()),
            sha512: hex::encode(self.sha512.finalize()),
            len: self.len,
        })
    }
}

/// A fully written blob whose digests are known: check them, then
/// [`persist`](FinishedBlob::persist) it (or drop it to discard it).
pub struct FinishedBlob {
    cache: Cache,
    file: tempfile::NamedTempFile,
    sha256: String,
    sha384: String,
    sha512: String,
    len: u64,
}

impl FinishedBlob {
    /// The lowercase hex sha256 of the content.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The lowercase hex digest for `algorithm` (`sha256`, `sha384`, `sha512`),
    /// or `None` for an algorithm grail does not compute.
    pub fn digest(&self, algorithm: &str) -> Option<&str> {
        match algorithm.to_ascii_lowercase().as_str() {
            "sha256" => Some(&self.sha256),
            "sha384" => Some(&self.sha384),
            "sha512" => Some(&self.sha512),
            _ => None,
        }
    }

    /// The content length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Move the blob into place and return its path. If another run stored the
    /// same content meanwhile, that copy is kept (it is byte-identical).
    pub fn persist(self) -> Result<PathBuf, CacheError> {
        let path = self.cache.blob_path(&self.sha256);
        if path.is_file() {
            return Ok(path);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| CacheError::new("cannot create directory", parent, e))?;
        }
        match self.file.persist_noclobber(&path) {
            Ok(_) => Ok(path),
            Err(_) if path.is_file() => Ok(path),
            Err(e) => Err(CacheError::new("cannot rename into", &path, e.error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_and_digests() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path()).unwrap();
        let mut w = cache.blob_writer().unwrap();
        w.write_all(b"abc").unwrap();
        let blob = w.finish().unwrap();
        assert_eq!(
            blob.sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(blob.digest("SHA512").map(str::len), Some(128));
        assert_eq!(blob.digest("md5"), None);
        assert_eq!(blob.len(), 3);
        let sha = blob.sha256().to_string();
        assert!(cache.blob(&sha).is_none());
        let path = blob.persist().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"abc");
        assert_eq!(cache.blob(&sha), Some(path));
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(cache.root().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn dropped_blob_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path()).unwrap();
        let mut w = cache.blob_writer().unwrap();
        w.write_all(b"partial").unwrap();
        drop(w.finish().unwrap());
        assert_eq!(fs::read_dir(cache.root().join("tmp")).unwrap().count(), 0);
        assert!(cache.blob(&sha256_hex(b"partial")).is_none());
    }

    #[test]
    fn pages_metadata_and_urls() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path()).unwrap();
        let page = CachedPage {
            url: "https://example.org/simple/a/".into(),
            content_type: Some("text/html".into()),
            etag: Some("\"x\"".into()),
            last_modified: None,
            fetched_at: 1,
            max_age: None,
            body: "<a href='a-1.whl'>a-1.whl</a>".into(),
            final_url: None,
            not_found: false,
        };
        assert!(cache.legacy_page(&page.url).is_none());
        cache.set_legacy_page(&page).unwrap();
        assert_eq!(cache.legacy_page(&page.url), Some(page.clone()));
        cache.remove_legacy_page(&page.url);
        assert!(cache.legacy_page(&page.url).is_none());

        assert!(cache.listing(&page.url, 1).is_none());
        cache
            .set_listing(&page.url, &Record::seal(1, b"files"))
            .unwrap();
        let record = cache.listing(&page.url, 1).unwrap();
        assert_eq!(record.payload(), b"files");
        assert!(cache.listing(&page.url, 2).is_none());

        let key = Cache::metadata_key(None, "https://example.org/a-1.whl");
        assert!(key.starts_with("url-"));
        cache
            .set_metadata(&key, &CachedMetadata::new(b"Name: a\n", Some(10)))
            .unwrap();
        let got = cache.metadata(&key).unwrap();
        assert_eq!(got.metadata().unwrap(), b"Name: a\n");
        assert_eq!(got.unzipped_bytes, Some(10));

        let sha = sha256_hex(b"x");
        cache.set_url_sha256("https://e/x", &sha).unwrap();
        assert_eq!(cache.url_sha256("https://e/x"), Some(sha));
        assert_eq!(cache.url_sha256("https://e/y"), None);
    }

    #[test]
    fn damaged_records_read_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path()).unwrap();
        let url = "https://example.org/simple/a/";
        cache
            .set_listing(url, &Record::seal(1, b"0123456789"))
            .unwrap();
        let path = cache.listing_path(url);
        let good = fs::read(&path).unwrap();
        assert!(Record::open(good.clone(), 1).is_some());
        // Every truncation, every single-bit change, and trailing bytes.
        for cut in 0..good.len() {
            assert_eq!(Record::open(good[..cut].to_vec(), 1), None, "cut at {cut}");
        }
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                assert_eq!(Record::open(bad, 1), None, "byte {i} bit {bit}");
            }
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(Record::open(longer, 1), None);
        fs::write(&path, b"not a record").unwrap();
        assert!(cache.listing(url, 1).is_none());
    }

    #[test]
    fn default_dir_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let all = env(&[
            ("GRAIL_CACHE_DIR", "/g"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
            ("LOCALAPPDATA", "/l"),
        ]);
        assert_eq!(default_dir_from(all), Some(PathBuf::from("/g")));
        if cfg!(target_os = "linux") {
            let xdg = env(&[
                ("GRAIL_CACHE_DIR", ""),
                ("XDG_CACHE_HOME", "/x"),
                ("HOME", "/h"),
            ]);
            assert_eq!(default_dir_from(xdg), Some(PathBuf::from("/x/grail")));
            let home = env(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/h")]);
            assert_eq!(
                default_dir_from(home),
                Some(PathBuf::from("/h/.cache/grail"))
            );
            assert_eq!(default_dir_from(env(&[])), None);
        }
    }
}

//! The package index client: lists a project's files on simple-API indexes
//! (PEP 691 JSON or PEP 503 HTML) and find-links locations, reads their core
//! metadata as cheaply as possible, and downloads them into the
//! content-addressed [`Cache`].
//!
//! Intended call sequence (the resolver and the CLI drive it):
//!
//! 1. [`IndexClient::new`] once per run, from [`IndexSettings`] (CLI flags,
//!    requirements.txt options, `PIP_*` variables) and a [`Cache`].
//! 2. [`IndexClient::project`] for each project name the resolver meets: every
//!    [`DistFile`] on every index and find-links location, yanked files included
//!    (the resolver decides, PEP 592).
//! 3. [`IndexClient::metadata`] for the candidate file the resolver picked:
//!    `METADATA` from the cache, else the PEP 658 `.metadata` file, else HTTP
//!    Range requests into the remote wheel, else a full download.
//! 4. [`IndexClient::download_all`] (or [`IndexClient::download_verified`] in
//!    `--require-hashes` mode) for the final set: parallel, sha256-verified,
//!    stored atomically in the cache; returns the blob paths.
//!
//! Errors are [`IndexError`]s; [`IndexError::exit_kind`] gives the exit code.
//! URLs in errors and cache keys never carry the credentials of
//! `https://user:token@host/simple/`; those are sent as basic auth to that
//! host only.
//!
//! ```
//! use grail::cache::Cache;
//! use grail::index::{IndexClient, IndexSettings};
//! let dir = tempfile::tempdir().unwrap();
//! // A find-links directory works offline, with no index at all.
//! let settings = IndexSettings {
//!     find_links: vec!["vendor-fixtures/index/six".to_string()],
//!     no_index: true,
//!     offline: true,
//!     ..IndexSettings::default()
//! };
//! let client = IndexClient::new(settings, Cache::new(dir.path()).unwrap()).unwrap();
//! let files = client.project("Six").unwrap();
//! let wheel = files.iter().find(|f| f.is_wheel()).unwrap();
//! assert_eq!(wheel.filename, "six-1.17.0-py2.py3-none-any.whl");
//! let meta = client.metadata(wheel).unwrap();
//! assert!(meta.metadata.starts_with(b"Metadata-Version"));
//! let path = client.download(wheel).unwrap();
//! assert!(path.starts_with(dir.path()));
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header;
use reqwest::StatusCode;
use url::Url;

use crate::cache::{sha256_hex, Cache, CacheError, CachedMetadata, CachedPage, FinishedBlob};
use crate::error::ExitKind;
use crate::names::normalize;

mod remote_zip;
mod simple;

use remote_zip::{read_local_wheel, read_wheel_metadata, Sparse, ZipFailure};
use simple::{filename_project, list_directory, page_base, parse_html, parse_page, sdist_stem};

/// The `Accept` header for project pages (PEP 691 content negotiation).
const ACCEPT_SIMPLE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
/// How much of a wheel's tail the first Range request asks for: enough for
/// the end-of-central-directory record, a maximal comment, and usually the
/// whole central directory.
const TAIL_BYTES: u64 = 64 * 1024;
/// The base delay between retries; doubled after each attempt.
const BACKOFF: Duration = Duration::from_millis(200);

/// Where and how to look for distributions.
#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// Simple-API base URLs, primary first, then `--extra-index-url`s.
    /// Ex) `https://pypi.org/simple/`, `https://user:token@host/pypi/simple/`
    pub index_urls: Vec<Url>,
    /// `--find-links` entries: a local directory (or file) path, or an HTML
    /// page URL whose anchors are distributions.
    pub find_links: Vec<String>,
    /// Ignore `index_urls` (find-links only).
    pub no_index: bool,
    /// Use only the cache and local find-links; never touch the network.
    pub offline: bool,
    /// Re-fetch index pages instead of revalidating or trusting cached ones.
    pub refresh: bool,
    /// Per-operation network timeout (connect, read, write).
    pub timeout: Duration,
    /// Attempts per request on 5xx, connection errors and timeouts (at least 1).
    pub attempts: u32,
    /// Worker threads for [`IndexClient::download_all`].
    pub concurrency: usize,
}

impl Default for IndexSettings {
    /// PyPI, no find-links, online, 30 s timeout, 3 attempts, 8 workers.
    fn default() -> Self {
        IndexSettings {
            index_urls: vec![Url::parse("https://pypi.org/simple/").expect("static URL")],
            find_links: Vec::new(),
            no_index: false,
            offline: false,
            refresh: false,
            timeout: Duration::from_secs(30),
            attempts: 3,
            concurrency: 8,
        }
    }
}

/// Where a [`DistFile`] was listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A simple-API index (credentials stripped).
    /// Ex) `https://pypi.org/simple/`
    Index(Url),
    /// A find-links directory or page, as given (credentials stripped).
    /// Ex) `./wheelhouse`
    FindLinks(String),
    /// A direct reference in requirements.txt, not listed by any index.
    /// Ex) `https://example.org/wheels/foo-1.0-py3-none-any.whl`
    Direct(Url),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Index(url) => write!(f, "index {url}"),
            Origin::FindLinks(s) => write!(f, "find-links {s}"),
            Origin::Direct(url) => write!(f, "direct reference {url}"),
        }
    }
}

/// One downloadable file of a project, as an index or find-links listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFile {
    /// Ex) `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
    pub filename: String,
    /// Absolute URL without credentials and without the `#hash` fragment
    /// (`file://` for local find-links).
    pub url: Url,
    /// Hash algorithm → lowercase hex digest, as listed. Ex) `sha256` → `ab12…`
    pub hashes: BTreeMap<String, String>,
    /// `requires-python` as listed (HTML-unescaped). Ex) `>=3.9`
    pub requires_python: Option<String>,
    /// `None`: not yanked; `Some(reason)`: yanked (reason may be empty).
    pub yanked: Option<String>,
    /// PEP 658/714: `None` when no `.metadata` file is offered, `Some(None)`
    /// when offered without a hash, `Some(Some(sha256))` with one.
    pub core_metadata: Option<Option<String>>,
    /// Size in bytes, when listed (JSON API 1.1+).
    pub size: Option<u64>,
    /// Where it was listed.
    pub origin: Origin,
}

impl DistFile {
    /// The listed sha256, if any.
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256").map(String::as_str)
    }

    /// Whether this is a wheel (`.whl`).
    pub fn is_wheel(&self) -> bool {
        self.filename.to_ascii_lowercase().ends_with(".whl")
    }

    /// Whether this is a source distribution (`.tar.gz`, `.zip`, …).
    pub fn is_sdist(&self) -> bool {
        !self.is_wheel() && sdist_stem(&self.filename).is_some()
    }

    /// Whether the file is yanked (PEP 592).
    pub fn is_yanked(&self) -> bool {
        self.yanked.is_some()
    }
}

/// Core metadata of a remote distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMetadata {
    /// The `*.dist-info/METADATA` bytes.
    pub metadata: Vec<u8>,
    /// Sum of the uncompressed sizes of the wheel's entries, when the central
    /// directory was read (Range or full download; not with PEP 658).
    pub unzipped_bytes: Option<u64>,
}

/// Why the index client failed. Messages name the URL (never credentials) or
/// the file, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An index or find-links URL does not parse.
    #[error("invalid index URL {input:?}: {message}")]
    InvalidUrl {
        /// The offending input.
        input: String,
        /// The parser's explanation.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url} returned HTTP {status}{}", status_hint(*status))]
    Http {
        /// The URL (credentials stripped).
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The server could not be reached (after retries).
    #[error("cannot fetch {url}: {message} (after {attempts} attempt(s); check the network, or use --offline with a warm cache)")]
    Network {
        /// The URL (credentials stripped).
        url: String,
        /// The transport error.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// `--offline` and the thing is not cached.
    #[error("{what} is not in the cache; run once without --offline")]
    NotCached {
        /// What was needed. Ex) `the index page https://pypi.org/simple/six/`
        what: String,
    },
    /// A downloaded file does not match its expected hash; nothing was stored.
    #[error("hash mismatch for {filename} from {url}: expected {expected}, got {actual}; the file was not stored (the index or the --hash pins are wrong, or the download was tampered with)")]
    HashMismatch {
        /// The distribution file name.
        filename: String,
        /// Where it came from (credentials stripped).
        url: String,
        /// The expected digest(s). Ex) `sha256:ab12…`
        expected: String,
        /// The actual digest. Ex) `sha256:cd34…`
        actual: String,
    },
    /// An index page is malformed.
    #[error("cannot parse the index page {url}: {message}")]
    BadPage {
        /// The page URL (credentials stripped).
        url: String,
        /// What is wrong.
        message: String,
    },
    /// An index speaks a simple-API major version grail does not know.
    #[error("{url} uses simple repository API version {version}; grail supports 1.x")]
    UnsupportedApiVersion {
        /// The page URL (credentials stripped).
        url: String,
        /// The version the page declared.
        version: String,
    },
    /// A wheel is not a readable zip or has no `.dist-info/METADATA`.
    #[error("cannot read METADATA from {filename}: {message}")]
    BadWheel {
        /// The wheel file name.
        filename: String,
        /// What is wrong.
        message: String,
    },
    /// Metadata was asked for a source distribution.
    #[error("{filename} is not a wheel; its metadata needs a build")]
    NotAWheel {
        /// The file name.
        filename: String,
    },
    /// A local file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The cache could not be written.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            " (check the credentials in the index URL, e.g. https://user:token@host/simple/)"
        }
        429 => " (rate limited; try again later)",
        500..=599 => " (server error, after retries)",
        _ => "",
    }
}

impl IndexError {
    /// The exit code class: bad URLs are usage errors (1), everything else is
    /// a dependency failure (2).
    pub fn exit_kind(&self) -> ExitKind {
        match self {
            IndexError::InvalidUrl { .. } => ExitKind::Usage,
            _ => ExitKind::Dependencies,
        }
    }
}

/// Basic-auth credentials for one origin (scheme, host, port).
#[derive(Debug, Clone)]
struct Credential {
    origin: String,
    username: String,
    password: Option<String>,
}

/// A configured find-links location.
#[derive(Debug, Clone)]
enum FindLinks {
    Path(PathBuf),
    Page(Url),
}

/// The index client; share one per run (it is `Sync`).
pub struct IndexClient {
    settings: IndexSettings,
    indexes: Vec<Url>,
    find_links: Vec<(FindLinks, String)>,
    credentials: Vec<Credential>,
    cache: Cache,
    http: Client,
    projects: Mutex<HashMap<String, Vec<DistFile>>>,
    pages: Mutex<HashMap<String, Vec<DistFile>>>,
}

impl fmt::Debug for IndexClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexClient")
            .field("indexes", &self.indexes)
            .field("find_links", &self.find_links)
            .field("offline", &self.settings.offline)
            .finish_non_exhaustive()
    }
}

impl IndexClient {
    /// Build a client. Credentials in URL userinfo are kept aside (sent as
    /// basic auth to the same origin) and stripped from every URL.
    pub fn new(settings: IndexSettings, cache: Cache) -> Result<IndexClient, IndexError> {
        let mut credentials = Vec::new();
        let mut indexes = Vec::new();
        for url in &settings.index_urls {
            let mut url = url.clone();
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            remember_credentials(&url, &mut credentials);
            indexes.push(strip_credentials(&url));
        }
        let mut find_links = Vec::new();
        for entry in &settings.find_links {
            let location = match Url::parse(entry) {
                Ok(url) if url.scheme() == "file" => {
                    FindLinks::Path(url.to_file_path().map_err(|()| IndexError::InvalidUrl {
                        input: entry.clone(),
                        message: "not a local file URL".into(),
                    })?)
                }
                Ok(url) if matches!(url.scheme(), "http" | "https") => {
                    remember_credentials(&url, &mut credentials);
                    FindLinks::Page(strip_credentials(&url))
                }
                // Anything else (including Windows drive letters) is a path.
                _ => FindLinks::Path(PathBuf::from(entry)),
            };
            let label = match &location {
                FindLinks::Page(url) => url.to_string(),
                FindLinks::Path(_) => entry.clone(),
            };
            find_links.push((location, label));
        }
        let http = Client::builder()
            .user_agent(concat!("grail/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| IndexError::Client(error_chain(&e)))?;
        Ok(IndexClient {
            settings,
            indexes,
            find_links,
            credentials,
            cache,
            http,
            projects: Mutex::new(HashMap::new()),
            pages: Mutex::new(HashMap::new()),
        })
    }

    /// The cache this client reads and writes.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Every file of project `name` on every index (unless `no_index`) and
    /// every find-links location, in that order. A project an index does not
    /// know (404) contributes nothing; an empty result means "not found".
    /// Results are memoised for the life of the client.
    pub fn project(&self, name: &str) -> Result<Vec<DistFile>, IndexError> {
        let norm = normalize(name);
        if let Some(files) = lock(&self.projects).get(&norm) {
            return Ok(files.clone());
        }
        let mut files = Vec::new();
        if !self.settings.no_index {
            for index in &self.indexes {
                let page_url =
                    index
                        .join(&format!("{norm}/"))
                        .map_err(|e| IndexError::InvalidUrl {
                            input: format!("{index}{norm}/"),
                            message: e.to_string(),
                        })?;
                let Some(page) = self.page(&page_url, ACCEPT_SIMPLE)? else {
                    continue;
                };
                files.extend(parse_page(&page, &Origin::Index(index.clone()))?);
            }
        }
        for (location, label) in &self.find_links {
            let listed = match location {
                FindLinks::Path(path) => list_directory(path, label)?,
                FindLinks::Page(url) => self.find_links_page(url, label)?,
            };
            files.extend(
                listed
                    .into_iter()
                    .filter(|f| filename_project(&f.filename).as_deref() == Some(norm.as_str())),
            );
        }
        lock(&self.projects).insert(norm, files.clone());
        Ok(files)
    }

    /// The core metadata of `file`: from the cache; else the PEP 658
    /// `.metadata` file (hash-verified); else Range requests into the remote
    /// wheel; else a full download (kept in the cache). Cached afterwards
    /// under the file's sha256 (or its URL when the index gave no hash).
    pub fn metadata(&self, file: &DistFile) -> Result<RemoteMetadata, IndexError> {
        let key = Cache::metadata_key(file.sha256(), file.url.as_str());
        if let Some(cached) = self.cache.metadata(&key) {
            if let Some(metadata) = cached.metadata() {
                return Ok(RemoteMetadata {
                    metadata,
                    unzipped_bytes: cached.unzipped_bytes,
                });
            }
        }
        if !file.is_wheel() {
            return Err(IndexError::NotAWheel {
                filename: file.filename.clone(),
            });
        }
        let found = self.fetch_metadata(file)?;
        self.cache.set_metadata(
            &key,
            &CachedMetadata::new(&found.metadata, found.unzipped_bytes),
        )?;
        Ok(found)
    }

    /// The total unzipped size of a wheel, for "bytes saved" figures. Free
    /// when its metadata came through Range requests or a download; after a
    /// PEP 658 `.metadata` fetch it costs Range requests for the central
    /// directory (remembered in the metadata cache). `None` when unknowable.
    pub fn unzipped_size(&self, file: &DistFile) -> Result<Option<u64>, IndexError> {
        let key = Cache::metadata_key(file.sha256(), file.url.as_str());
        if let Some(size) = self.cache.metadata(&key).and_then(|c| c.unzipped_bytes) {
            return Ok(Some(size));
        }
        if !file.is_wheel() {
            return Ok(None);
        }
        if let Some(path) = file.sha256().and_then(|h| self.cache.blob(h)) {
            return Ok(read_local_wheel(&path, &file.filename)?.unzipped_bytes);
        }
        if self.settings.offline {
            return Ok(None);
        }
        let found = match self.range_metadata(file)? {
            Some(found) => found,
            None => return Ok(None),
        };
        self.cache.set_metadata(
            &key,
            &CachedMetadata::new(&found.metadata, found.unzipped_bytes),
        )?;
        Ok(found.unzipped_bytes)
    }

    /// Download `file` into the cache (verifying the listed hashes) and
    /// return the blob path. A cache hit makes no request.
    pub fn download(&self, file: &DistFile) -> Result<PathBuf, IndexError> {
        self.download_verified(file, &[])
    }

    /// Like [`IndexClient::download`], and the file must also match at least
    /// one of `required` (pip `--hash` form). Ex) `sha256:ab12…`
    /// On mismatch nothing is written to the cache.
    pub fn download_verified(
        &self,
        file: &DistFile,
        required: &[String],
    ) -> Result<PathBuf, IndexError> {
        let known = file
            .sha256()
            .map(str::to_ascii_lowercase)
            .or_else(|| self.cache.url_sha256(file.url.as_str()));
        if let Some(path) = known.as_deref().and_then(|sha| self.cache.blob(sha)) {
            check_cached(file, &path, required)?;
            return Ok(path);
        }
        let blob = if file.url.scheme() == "file" {
            self.copy_local(file)?
        } else {
            if self.settings.offline {
                return Err(IndexError::NotCached {
                    what: format!("{} ({})", file.filename, file.url),
                });
            }
            self.retrying(&file.url, |response| {
                let status = response.status();
                if !status.is_success() {
                    return Err(Attempt::Fatal(http_error(&file.url, status)));
                }
                self.store_body(response, file)
            })?
        };
        self.verify_and_persist(blob, file, required)
    }

    /// Download many files with a bounded pool of
    /// [`IndexSettings::concurrency`] workers; results are in input order.
    pub fn download_all(&self, files: &[DistFile]) -> Vec<Result<PathBuf, IndexError>> {
        self.parallel(files, |file| self.download(file))
    }

    /// [`IndexClient::download_verified`] for many `(file, required hashes)`
    /// pairs, in parallel; results are in input order.
    pub fn download_all_verified(
        &self,
        files: &[(DistFile, Vec<String>)],
    ) -> Vec<Result<PathBuf, IndexError>> {
        self.parallel(files, |(file, required)| {
            self.download_verified(file, required)
        })
    }

    /// [`IndexClient::metadata`] for many files, in parallel (prefetching
    /// candidates); results are in input order.
    pub fn metadata_all(&self, files: &[DistFile]) -> Vec<Result<RemoteMetadata, IndexError>> {
        self.parallel(files, |file| self.metadata(file))
    }

    fn parallel<T: Sync, R: Send>(&self, items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
        let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.settings.concurrency.clamp(1, items.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    *lock(&slots[i]) = Some(result);
                });
            }
        });
        slots
            .into_iter()
            .filter_map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    // ----- pages -----------------------------------------------------------

    /// A page, from the cache when fresh or still valid (304), else fetched.
    /// `Ok(None)` when the server says 404.
    fn page(&self, url: &Url, accept: &str) -> Result<Option<CachedPage>, IndexError> {
        let key = url.as_str();
        let cached = self.cache.page(key);
        if self.settings.offline {
            return match cached {
                Some(page) if page.not_found => Ok(None),
                Some(page) => Ok(Some(page)),
                None => Err(IndexError::NotCached {
                    what: format!("the index page {url}"),
                }),
            };
        }
        let cached = cached.filter(|_| !self.settings.refresh);
        if let Some(page) = &cached {
            if page
                .max_age
                .is_some_and(|age| now().saturating_sub(page.fetched_at) < age)
            {
                return Ok((!page.not_found).then(|| page.clone()));
            }
        }
        let page = self.retrying_with(
            url,
            |response| {
                let status = response.status();
                if status == StatusCode::NOT_MODIFIED {
                    if let Some(mut page) = cached.clone() {
                        page.fetched_at = now();
                        page.max_age = max_age(response.headers()).or(page.max_age);
                        return Ok(page);
                    }
                }
                let header = |name: header::HeaderName| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let mut page = CachedPage {
                    url: key.to_string(),
                    content_type: header(header::CONTENT_TYPE),
                    etag: header(header::ETAG),
                    last_modified: header(header::LAST_MODIFIED),
                    fetched_at: now(),
                    max_age: max_age(response.headers()),
                    body: String::new(),
                    final_url: Some(response.url().as_str().to_string()).filter(|u| u != key),
                    not_found: false,
                };
                if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
                    page.not_found = true;
                    return Ok(page);
                }
                if !status.is_success() {
                    return Err(Attempt::Fatal(http_error(url, status)));
                }
                page.body = response
                    .text()
                    .map_err(|e| Attempt::Transient(e, url.clone()))?;
                Ok(page)
            },
            |request| {
                let mut request = request.header(header::ACCEPT, accept);
                if let Some(page) = &cached {
                    if let Some(etag) = &page.etag {
                        request = request.header(header::IF_NONE_MATCH, etag);
                    }
                    if let Some(modified) = &page.last_modified {
                        request = request.header(header::IF_MODIFIED_SINCE, modified);
                    }
                }
                request
            },
        )?;
        self.cache.set_page(&page)?;
        Ok((!page.not_found).then_some(page))
    }

    fn find_links_page(&self, url: &Url, label: &str) -> Result<Vec<DistFile>, IndexError> {
        if let Some(files) = lock(&self.pages).get(url.as_str()) {
            return Ok(files.clone());
        }
        let page = self
            .page(url, "text/html")?
            .ok_or_else(|| http_error(url, StatusCode::NOT_FOUND))?;
        let base = page_base(&page)?;
        let files = parse_html(&page.body, &base, &Origin::FindLinks(label.to_string()))?;
        lock(&self.pages).insert(url.as_str().to_string(), files.clone());
        Ok(files)
    }

    // ----- HTTP ------------------------------------------------------------

    /// GET `url` with credentials for its origin and up to
    /// [`IndexSettings::attempts`] attempts with exponential backoff on 5xx,
    /// connection errors and timeouts; `handle` turns a response into a value.
    fn retrying<T>(
        &self,
        url: &Url,
        handle: impl FnMut(Response) -> Result<T, Attempt>,
    ) -> Result<T, IndexError> {
        self.retrying_with(url, handle, |r| r)
    }

    fn retrying_with<T>(
        &self,
        url: &Url,
        mut handle: impl FnMut(Response) -> Result<T, Attempt>,
        customize: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, IndexError> {
        let attempts = self.settings.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            let outcome = match customize(self.get(url)).send() {
                Ok(response) if response.status().is_server_error() && !last => None,
                Ok(response) => match handle(response) {
                    Ok(value) => return Ok(value),
                    Err(Attempt::Fatal(e)) => return Err(e),
                    // A body cut short mid-way is always worth another try.
                    Err(Attempt::Transient(e, u)) => Some((e, u, true)),
                },
                Err(e) => {
                    let retry = is_transient(&e);
                    Some((e, url.clone(), retry))
                }
            };
            if let Some((e, u, retry)) = outcome {
                if last || !retry {
                    return Err(IndexError::Network {
                        url: u.to_string(),
                        message: error_chain(&e),
                        attempts: attempt,
                    });
                }
            }
            std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
        }
    }

    /// A GET request with basic auth for the URL's origin, if configured.
    fn get(&self, url: &Url) -> RequestBuilder {
        let request = self.http.get(url.clone());
        let origin = url.origin().ascii_serialization();
        match self.credentials.iter().find(|c| c.origin == origin) {
            Some(c) => request.basic_auth(&c.username, c.password.as_deref()),
            None => request,
        }
    }

    // ----- downloads -------------------------------------------------------

    /// Stream a response body into a new (unverified) blob.
    fn store_body(&self, mut response: Response, file: &DistFile) -> Result<FinishedBlob, Attempt> {
        let mut writer = self
            .cache
            .blob_writer()
            .map_err(|e| Attempt::Fatal(e.into()))?;
        response
            .copy_to(&mut writer)
            .map_err(|e| Attempt::Transient(e, file.url.clone()))?;
        writer.finish().map_err(|e| Attempt::Fatal(e.into()))
    }

    fn copy_local(&self, file: &DistFile) -> Result<FinishedBlob, IndexError> {
        let path = file
            .url
            .to_file_path()
            .map_err(|()| IndexError::InvalidUrl {
                input: file.url.to_string(),
                message: "not a local file URL".into(),
            })?;
        let io_err = |source| IndexError::Io {
            path: path.clone(),
            source,
        };
        let mut source = fs::File::open(&path).map_err(io_err)?;
        let mut writer = self.cache.blob_writer()?;
        std::io::copy(&mut source, &mut writer).map_err(io_err)?;
        Ok(writer.finish()?)
    }

    /// Check a freshly written blob against the listed and required hashes;
    /// store it only when they match.
    fn verify_and_persist(
        &self,
        blob: FinishedBlob,
        file: &DistFile,
        required: &[String],
    ) -> Result<PathBuf, IndexError> {
        verify_hashes(file, required, |alg| blob.digest(alg).map(str::to_string))?;
        let sha = blob.sha256().to_string();
        let path = blob.persist()?;
        if file.sha256().is_none() {
            self.cache.set_url_sha256(file.url.as_str(), &sha)?;
        }
        Ok(path)
    }

    // ----- metadata --------------------------------------------------------

    fn fetch_metadata(&self, file: &DistFile) -> Result<RemoteMetadata, IndexError> {
        // A wheel already in the cache (or on local disk) is read directly.
        let cached_blob = file
            .sha256()
            .map(str::to_string)
            .or_else(|| self.cache.url_sha256(file.url.as_str()))
            .and_then(|sha| self.cache.blob(&sha));
        if let Some(path) = cached_blob {
            return read_local_wheel(&path, &file.filename);
        }
        if file.url.scheme() == "file" || self.settings.offline {
            let path = self.download(file)?;
            return read_local_wheel(&path, &file.filename);
        }
        if let Some(hash) = &file.core_metadata {
            if let Some(found) = self.pep658(file, hash.as_deref())? {
                return Ok(found);
            }
        }
        match self.range_metadata(file)? {
            Some(found) => Ok(found),
            None => {
                let path = self.download(file)?;
                read_local_wheel(&path, &file.filename)
            }
        }
    }

    /// The PEP 658 `.metadata` file; `Ok(None)` if the server does not have it.
    fn pep658(
        &self,
        file: &DistFile,
        sha256: Option<&str>,
    ) -> Result<Option<RemoteMetadata>, IndexError> {
        let mut url = file.url.clone();
        url.set_path(&format!("{}.metadata", file.url.path()));
        let body = self.retrying(&url, |response| {
            let status = response.status();
            if status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(Attempt::Fatal(http_error(&url, status)));
            }
            let bytes = response
                .bytes()
                .map_err(|e| Attempt::Transient(e, url.clone()))?;
            Ok(Some(bytes.to_vec()))
        })?;
        let Some(body) = body else { return Ok(None) };
        if let Some(expected) = sha256 {
            let actual = sha256_hex(&body);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(IndexError::HashMismatch {
                    filename: format!("{}.metadata", file.filename),
                    url: url.to_string(),
                    expected: format!("sha256:{expected}"),
                    actual: format!("sha256:{actual}"),
                });
            }
        }
        Ok(Some(RemoteMetadata {
            metadata: body,
            unzipped_bytes: None,
        }))
    }

    /// Read METADATA with Range requests. `Ok(None)` means "download the
    /// whole wheel instead" (Range unsupported or the zip is unusual); if the
    /// server ignored Range and sent the whole file, it is kept as the download.
    fn range_metadata(&self, file: &DistFile) -> Result<Option<RemoteMetadata>, IndexError> {
        let url = &file.url;
        let tail = self.retrying_with(
            url,
            |response| match response.status() {
                StatusCode::PARTIAL_CONTENT => {
                    let total = response
                        .headers()
                        .get(header::CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(content_range_total);
                    let bytes = response
                        .bytes()
                        .map_err(|e| Attempt::Transient(e, url.clone()))?;
                    Ok(match total {
                        Some(total) => Tail::Partial(total, bytes.to_vec()),
                        None => Tail::Unusable,
                    })
                }
                StatusCode::OK => Ok(Tail::Whole(self.store_body(response, file)?)),
                _ => Ok(Tail::Unusable),
            },
            |request| request.header(header::RANGE, format!("bytes=-{TAIL_BYTES}")),
        )?;
        let (total, tail) = match tail {
            Tail::Partial(total, tail) => (total, tail),
            Tail::Whole(blob) => {
                let path = self.verify_and_persist(blob, file, &[])?;
                return read_local_wheel(&path, &file.filename).map(Some);
            }
            Tail::Unusable => return Ok(None),
        };
        let mut fetch = |start: u64, end: u64| -> Result<Vec<u8>, IndexError> {
            self.retrying_with(
                url,
                |response| {
                    if response.status() != StatusCode::PARTIAL_CONTENT {
                        return Err(Attempt::Fatal(http_error(url, response.status())));
                    }
                    let bytes = response
                        .bytes()
                        .map_err(|e| Attempt::Transient(e, url.clone()))?;
                    Ok(bytes.to_vec())
                },
                |request| request.header(header::RANGE, format!("bytes={start}-{}", end - 1)),
            )
        };
        let mut source = Sparse {
            total,
            tail_start: total.saturating_sub(tail.len() as u64),
            tail,
            fetch: &mut fetch,
        };
        match read_wheel_metadata(&mut source, &file.filename) {
            Ok(found) => Ok(Some(found)),
            // A network failure mid-way: the full download will retry properly.
            Err(ZipFailure::Fetch(_)) => Ok(None),
            Err(ZipFailure::Bad(message)) => Err(IndexError::BadWheel {
                filename: file.filename.clone(),
                message,
            }),
        }
    }
}

/// The outcome of handling one response inside [`IndexClient::retrying`].
enum Attempt {
    /// Give up now with this error.
    Fatal(IndexError),
    /// A transport error mid-body: retry.
    Transient(reqwest::Error, Url),
}

impl From<IndexError> for Attempt {
    fn from(e: IndexError) -> Self {
        Attempt::Fatal(e)
    }
}

enum Tail {
    Partial(u64, Vec<u8>),
    Whole(FinishedBlob),
    Unusable,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_transient(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

/// A reqwest error and its causes on one line, without the URL (which may
/// carry nothing secret here, but the caller names the URL itself).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        let text = err.to_string();
        // reqwest's own Display repeats the URL; keep only the message.
        let text = match text.split_once(" for url (") {
            Some((head, _)) => head.to_string(),
            None => text,
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = err.source();
    }
    parts.join(": ")
}

fn http_error(url: &Url, status: StatusCode) -> IndexError {
    IndexError::Http {
        url: url.to_string(),
        status: status.as_u16(),
    }
}

/// `Cache-Control: max-age=N`, unless the response forbids reuse.
fn max_age(headers: &header::HeaderMap) -> Option<u64> {
    let value = headers.get(header::CACHE_CONTROL)?.to_str().ok()?;
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return None;
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            age = n.trim_matches('"').parse().ok();
        }
    }
    age
}

/// The total length from `Content-Range: bytes a-b/total`.
fn content_range_total(value: &str) -> Option<u64> {
    value
        .trim()
        .strip_prefix("bytes ")?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

fn remember_credentials(url: &Url, out: &mut Vec<Credential>) {
    if url.username().is_empty() && url.password().is_none() {
        return;
    }
    let origin = url.origin().ascii_serialization();
    if out.iter().any(|c| c.origin == origin) {
        return;
    }
    out.push(Credential {
        origin,
        username: percent_decode(url.username()),
        password: url.password().map(percent_decode),
    });
}

fn strip_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Both only fail for URLs that cannot have credentials anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ----- hashes -------------------------------------------------------------------

/// Listed hashes must all match (for algorithms grail computes); when
/// `required` is not empty, at least one of them must match too.
fn verify_hashes(
    file: &DistFile,
    required: &[String],
    digest: impl Fn(&str) -> Option<String>,
) -> Result<(), IndexError> {
    let mismatch = |expected: String, actual: String| IndexError::HashMismatch {
        filename: file.filename.clone(),
        url: file.url.to_string(),
        expected,
        actual,
    };
    for (alg, expected) in &file.hashes {
        if let Some(actual) = digest(alg) {
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(mismatch(
                    format!("{alg}:{expected}"),
                    format!("{alg}:{actual}"),
                ));
            }
        }
    }
    if required.is_empty() {
        return Ok(());
    }
    let matched = required.iter().any(|pin| {
        pin.split_once([':', '='])
            .and_then(|(alg, hex)| {
                digest(alg).map(|actual| actual.eq_ignore_ascii_case(hex.trim()))
            })
            .unwrap_or(false)
    });
    if matched {
        Ok(())
    } else {
        let actual = digest("sha256").unwrap_or_default();
        Err(mismatch(required.join(" or "), format!("sha256:{actual}")))
    }
}

/// Verify a cache hit against `required` (re-hashing only for non-sha256 pins).
fn check_cached(file: &DistFile, path: &Path, required: &[String]) -> Result<(), IndexError> {
    if required.is_empty() {
        return Ok(());
    }
    let io_err = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = fs::read(path).map_err(io_err)?;
    use sha2::Digest;
    verify_hashes(file, required, |alg| {
        match alg.to_ascii_lowercase().as_str() {
            "sha256" => Some(hex::encode(sha2::Sha256::digest(&bytes))),
            "sha384" => Some(hex::encode(sha2::Sha384::digest(&bytes))),
            "sha512" => Some(hex::encode(sha2::Sha512::digest(&bytes))),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::Index(Url::parse("https://example.org/simple/").unwrap())
    }

    fn dist(hashes: &[(&str, &str)]) -> DistFile {
        DistFile {
            filename: "a-1.0-py3-none-any.whl".into(),
            url: Url::parse("https://example.org/a-1.0-py3-none-any.whl").unwrap(),
            hashes: hashes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: None,
            origin: origin(),
        }
    }

    #[test]
    fn hash_verification_rules() {
        let digest = |alg: &str| (alg == "sha256").then(|| "aa".to_string());
        assert!(verify_hashes(&dist(&[("sha256", "aa"), ("md5", "zz")]), &[], digest).is_ok());
        let err = verify_hashes(&dist(&[("sha256", "bb")]), &[], digest).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("a-1.0-py3-none-any.whl")
                && text.contains("sha256:bb")
                && text.contains("sha256:aa"),
            "{text}"
        );
        let pins = ["sha256:cc".to_string(), "sha256:AA".to_string()];
        assert!(verify_hashes(&dist(&[]), &pins, digest).is_ok());
        let err = verify_hashes(&dist(&[]), &pins[..1], digest).unwrap_err();
        assert!(err.to_string().contains("sha256:cc"));
        // A pin with an algorithm grail cannot compute never matches.
        assert!(verify_hashes(&dist(&[]), &["md5:aa".to_string()], digest).is_err());
    }
}

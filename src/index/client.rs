//! The client: project pages, metadata and downloads, cached and retried.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header;
use reqwest::StatusCode;
use url::Url;

use crate::cache::{Cache, CachedMetadata, CachedPage, FinishedBlob, Record};
use crate::names::normalize;
use crate::progress::{Event, Progress};
use crate::target::tags::Tags;
use crate::target::LambdaTarget;

use super::credentials::{remember_credentials, strip_credentials, Credential};
use super::dist::{DistFile, DistOrigin, RemoteMetadata};
use super::error::{http_error, IndexError};
use super::failures::{Failures, GaveUp};
use super::for_target;
use super::hashes::{check_cached, verify_hashes};
use super::listing::{self, Validators};
use super::remote_zip::read_local_wheel;
use super::settings::ClientSettings;
use super::simple::{filename_project, list_directory, page_base, parse_html, parse_page};
use super::{ACCEPT_SIMPLE, BACKOFF};

/// A configured find-links location.
#[derive(Debug, Clone)]
enum FindLinks {
    Path(PathBuf),
    Page(Url),
}

/// A normalised project name and, when filtered, the target.
type ProjectKey = (String, Option<LambdaTarget>);

/// The index client; share one per run (it is `Sync`).
pub struct IndexClient {
    pub(super) settings: ClientSettings,
    indexes: Vec<Url>,
    find_links: Vec<(FindLinks, String)>,
    credentials: Vec<Credential>,
    pub(super) cache: Cache,
    pub(super) http: Client,
    /// Listed files by project and, for `project_for`, target.
    projects: Mutex<HashMap<ProjectKey, Vec<DistFile>>>,
    pages: Mutex<HashMap<String, Vec<DistFile>>>,
    failures: Failures,
    progress: Progress,
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
    pub fn new(settings: ClientSettings, cache: Cache) -> Result<IndexClient, IndexError> {
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
        for url in &settings.credentials {
            remember_credentials(url.expose(), &mut credentials);
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
            failures: Failures::default(),
            progress: Progress::default(),
        })
    }

    /// Report listings and downloads to `progress` (silent by default).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Where this client reports progress.
    pub fn progress(&self) -> Progress {
        self.progress
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
        self.listed(name, None)
    }

    /// Like [`IndexClient::project`], without the files that cannot matter
    /// for `tags`' target: wheels it cannot load in releases that have one
    /// it can (see the rule in `for_target`). Ranking the result for that
    /// target gives what ranking every file gives, at a fraction of the
    /// cost for projects with thousands of wheels.
    pub fn project_for(&self, name: &str, tags: &Tags) -> Result<Vec<DistFile>, IndexError> {
        self.listed(name, Some(tags))
    }

    /// The (normalised) names of every project this client has listed so
    /// far, sorted: what a resolution needed (see
    /// [`crate::dependencies::warm_hint`]).
    pub fn listed_names(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.projects)
            .keys()
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn listed(&self, name: &str, tags: Option<&Tags>) -> Result<Vec<DistFile>, IndexError> {
        crate::names::check_length(name)?;
        let norm = normalize(name);
        let key = (norm.clone(), tags.map(|t| *t.target()));
        if let Some(files) = lock(&self.projects).get(&key) {
            return Ok(files.clone());
        }
        let mut pages = Vec::new();
        if !self.settings.no_index {
            for index in &self.indexes {
                let page_url =
                    index
                        .join(&format!("{norm}/"))
                        .map_err(|e| IndexError::InvalidUrl {
                            input: format!("{index}{norm}/"),
                            message: e.to_string(),
                        })?;
                let origin = DistOrigin::Index(index.clone());
                let parse = |page: &CachedPage| parse_page(page, &origin);
                if let Some(payload) = self.listing(&page_url, ACCEPT_SIMPLE, &parse)? {
                    pages.push((payload, origin, page_url));
                }
            }
        }
        let mut linked = Vec::new();
        for (location, label) in &self.find_links {
            let listed = match location {
                FindLinks::Path(path) => list_directory(path, label)?,
                FindLinks::Page(url) => self.find_links_page(url, label)?,
            };
            linked.extend(
                listed
                    .into_iter()
                    .filter(|f| filename_project(&f.filename).as_deref() == Some(norm.as_str())),
            );
        }
        let files = select(&norm, &pages, linked, tags)?;
        self.progress.event(&Event::Listed { name: &norm });
        lock(&self.projects).insert(key, files.clone());
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
                tracing::debug!(file = %file.filename, "metadata: cache hit");
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
            tracing::debug!(file = %file.filename, "download: cache hit");
            self.progress.event(&Event::Cached { bytes: file.size });
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
    /// [`ClientSettings::concurrency`] workers; results are in input order.
    pub fn download_all(&self, files: &[DistFile]) -> Vec<Result<PathBuf, IndexError>> {
        self.parallel(files, |file| self.download(file))
    }

    /// [`IndexClient::download_verified`] for many `(file, required hashes)`
    /// pairs, in parallel; results are in input order.
    pub fn download_all_verified(
        &self,
        files: &[(DistFile, Vec<String>)],
    ) -> Vec<Result<PathBuf, IndexError>> {
        let sizes: Option<u64> = files.iter().map(|(f, _)| f.size).sum();
        self.progress.event(&Event::DownloadStart {
            files: files.len(),
            bytes: sizes,
        });
        self.parallel(files, |(file, required)| {
            let result = self.download_verified(file, required);
            let filename = &file.filename;
            self.progress.event(&Event::Downloaded { filename });
            result
        })
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

    /// The listing payload of a page (see [`listing`](super::listing)):
    /// from the cache when fresh (`max-age`) or still valid (304), else
    /// fetched and parsed with `parse`. `Ok(None)` when the server says 404.
    fn listing(
        &self,
        url: &Url,
        accept: &str,
        parse: ParsePage,
    ) -> Result<Option<Record>, IndexError> {
        let key = url.as_str();
        let cached = self.cached_listing(key, parse);
        if self.settings.offline {
            return match cached {
                Some((v, _)) if v.not_found => Ok(None),
                Some((_, payload)) => Ok(Some(payload)),
                None => Err(IndexError::NotCached {
                    what: format!("the index page {url}"),
                }),
            };
        }
        let cached = cached.filter(|_| !self.settings.refresh);
        if let Some((v, payload)) = &cached {
            if v.fresh(now()) {
                tracing::debug!(%url, "index page: fresh in the cache");
                return Ok((!v.not_found).then(|| payload.clone()));
            }
        }
        let (validators, payload, changed) = self.retrying_with(
            url,
            |response| listing_from_response(url, cached.as_ref(), response, parse),
            |request| {
                let mut request = request.header(header::ACCEPT, accept);
                if let Some((v, _)) = &cached {
                    if let Some(etag) = &v.etag {
                        request = request.header(header::IF_NONE_MATCH, etag);
                    }
                    if let Some(modified) = &v.last_modified {
                        request = request.header(header::IF_MODIFIED_SINCE, modified);
                    }
                }
                request
            },
        )?;
        if changed {
            self.cache.set_listing(key, &payload)?;
        }
        Ok((!validators.not_found).then_some(payload))
    }

    /// The cached listing of `key` and its validators; a raw page an older
    /// grail cached is parsed (once) into a listing.
    fn cached_listing(&self, key: &str, parse: ParsePage) -> Option<(Validators, Record)> {
        if let Some(payload) = self.cache.listing(key, listing::FORMAT) {
            if let Some(found) = listing::decode(&payload, key) {
                return Some((found.validators(), payload));
            }
        }
        let page = self.cache.legacy_page(key)?;
        let validators = Validators {
            url: page.url.clone(),
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            fetched_at: page.fetched_at,
            max_age: page.max_age,
            not_found: page.not_found,
            body_sha256: None,
        };
        let files = if page.not_found {
            Vec::new()
        } else {
            parse(&page).ok()?
        };
        let payload = listing::encode(&validators, &files);
        if self.cache.set_listing(key, &payload).is_ok() {
            self.cache.remove_legacy_page(key);
        }
        Some((validators, payload))
    }

    fn find_links_page(&self, url: &Url, label: &str) -> Result<Vec<DistFile>, IndexError> {
        if let Some(files) = lock(&self.pages).get(url.as_str()) {
            return Ok(files.clone());
        }
        let origin = DistOrigin::FindLinks(label.to_string());
        let parse = |page: &CachedPage| parse_html(&page.body, &page_base(page)?, &origin);
        let payload = self
            .listing(url, "text/html", &parse)?
            .ok_or_else(|| http_error(url, StatusCode::NOT_FOUND))?;
        let found = listing::decode(&payload, url.as_str()).ok_or_else(|| unreadable(url))?;
        let files: Vec<DistFile> = found
            .files
            .iter()
            .filter_map(|f| f.to_dist(&origin))
            .collect();
        lock(&self.pages).insert(url.as_str().to_string(), files.clone());
        Ok(files)
    }

    // ----- HTTP ------------------------------------------------------------

    /// GET `url` with credentials for its origin and up to
    /// [`ClientSettings::attempts`] attempts with exponential backoff on 5xx,
    /// connection errors and timeouts; `handle` turns a response into a value.
    pub(super) fn retrying<T>(
        &self,
        url: &Url,
        handle: impl FnMut(Response) -> Result<T, Attempt>,
    ) -> Result<T, IndexError> {
        self.retrying_with(url, handle, |r| r)
    }

    pub(super) fn retrying_with<T>(
        &self,
        url: &Url,
        mut handle: impl FnMut(Response) -> Result<T, Attempt>,
        customize: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, IndexError> {
        let attempts = self.settings.attempts.max(1);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            // A host given up on (by this caller or another thread) is not
            // waited on again.
            if let Some(e) = self.failures.of(url) {
                return Err(e);
            }
            attempt += 1;
            let last = attempt >= attempts;
            let outcome = match customize(self.get(url)).send() {
                Ok(response) if response.status().is_server_error() && !last => {
                    let reason = format!("HTTP {}", response.status().as_u16());
                    tracing::debug!(%url, attempt, attempts, %reason, "retrying");
                    None
                }
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
                    let failure = GaveUp {
                        url: crate::secrets::redact_url(&u),
                        message: crate::secrets::redact_text(&error_chain(&e)),
                        attempts: attempt,
                        waited: started.elapsed(),
                    };
                    if !unreachable(&e) {
                        return Err(failure.error());
                    }
                    return Err(self.failures.give_up(url, failure));
                }
                tracing::debug!(url = %u, attempt, attempts, reason = %error_chain(&e), "retrying");
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
    pub(super) fn store_body(
        &self,
        mut response: Response,
        file: &DistFile,
    ) -> Result<FinishedBlob, Attempt> {
        let writer = self
            .cache
            .blob_writer()
            .map_err(|e| Attempt::Fatal(e.into()))?;
        let mut sink = BlobSink {
            writer,
            failed: None,
            progress: self.progress,
        };
        if let Err(e) = response.copy_to(&mut sink) {
            // A write that failed is the disk's problem: not retried, not
            // blamed on the network. Anything else is the transfer's.
            return Err(match sink.failed {
                Some(cache) => Attempt::Fatal(cache.into()),
                None => Attempt::Transient(e, file.url.clone()),
            });
        }
        sink.writer.finish().map_err(|e| Attempt::Fatal(e.into()))
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
    pub(super) fn verify_and_persist(
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
}

/// Parses a fetched page into its files.
type ParsePage<'a> = &'a dyn Fn(&CachedPage) -> Result<Vec<DistFile>, IndexError>;

/// A page's listing from a response: the cached one under refreshed
/// validators on 304, a not-found marker on 404/410, else the body parsed
/// with `parse` (unless it is the body the cached listing was parsed
/// from), with its validators; `true` when the cache needs the new record.
fn listing_from_response(
    url: &Url,
    cached: Option<&(Validators, Record)>,
    response: Response,
    parse: ParsePage,
) -> Result<(Validators, Record, bool), Attempt> {
    let key = url.as_str();
    let status = response.status();
    let header = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let arrived = now().saturating_sub(age(response.headers()));
    if status == StatusCode::NOT_MODIFIED {
        if let Some((old, payload)) = cached {
            if let Some(found) = listing::decode(payload, key) {
                tracing::debug!(%url, "index page: revalidated (304 Not Modified)");
                let validators = Validators {
                    etag: header(header::ETAG).or_else(|| old.etag.clone()),
                    last_modified: header(header::LAST_MODIFIED)
                        .or_else(|| old.last_modified.clone()),
                    fetched_at: arrived,
                    max_age: max_age(response.headers()).or(old.max_age),
                    ..old.clone()
                };
                let payload = found.reencode(&validators);
                return Ok((validators, payload, true));
            }
        }
    }
    let mut validators = Validators {
        url: key.to_string(),
        etag: header(header::ETAG),
        last_modified: header(header::LAST_MODIFIED),
        fetched_at: arrived,
        max_age: max_age(response.headers()),
        not_found: false,
        body_sha256: None,
    };
    tracing::debug!(%url, status = status.as_u16(), "index page: fetched");
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        validators.not_found = true;
        return Ok((validators.clone(), listing::encode(&validators, &[]), true));
    }
    if !status.is_success() {
        return Err(Attempt::Fatal(http_error(url, status)));
    }
    let page = CachedPage {
        url: key.to_string(),
        content_type: header(header::CONTENT_TYPE),
        etag: None,
        last_modified: None,
        fetched_at: arrived,
        max_age: None,
        body: String::new(),
        final_url: Some(response.url().as_str().to_string()).filter(|u| u != key),
        not_found: false,
    };
    let body = capped_body(response, MAX_PAGE_BYTES, url, "an index page")?;
    validators.body_sha256 = Some(body_digest(&page, &body));
    if let Some(same) = unchanged_body(url, cached, &validators) {
        return Ok(same);
    }
    let page = CachedPage {
        body: String::from_utf8_lossy(&body).into_owned(),
        ..page
    };
    let files = parse(&page)?;
    let payload = listing::encode(&validators, &files);
    Ok((validators, payload, true))
}

/// The sha256 of what a listing is parsed from: the body, its content type
/// and the URL its links resolve against, and the grail that parses it (a
/// newer grail may parse the same body differently).
fn body_digest(page: &CachedPage, body: &[u8]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let parser = Some(concat!("grail ", env!("CARGO_PKG_VERSION")));
    for part in [
        parser,
        page.content_type.as_deref(),
        page.final_url.as_deref(),
    ] {
        h.update(part.unwrap_or("").as_bytes());
        h.update([0]);
    }
    h.update(body);
    hex::encode(h.finalize())
}

/// The cached listing when the page came back byte for byte as it was
/// parsed: its files under the new validators (rewritten only when the
/// validators say more than when it was fetched).
fn unchanged_body(
    url: &Url,
    cached: Option<&(Validators, Record)>,
    validators: &Validators,
) -> Option<(Validators, Record, bool)> {
    let (old, payload) = cached?;
    if old.not_found || old.body_sha256.is_none() || old.body_sha256 != validators.body_sha256 {
        return None;
    }
    tracing::debug!(%url, "index page: unchanged since it was parsed");
    let same = old.etag == validators.etag
        && old.last_modified == validators.last_modified
        && old.max_age.is_none()
        && validators.max_age.is_none();
    if same {
        // `cached` decoded when it was read: keep it as it is.
        return Some((old.clone(), payload.clone(), false));
    }
    let found = listing::decode(payload, url.as_str())?;
    Some((validators.clone(), found.reencode(validators), true))
}

/// The files of a project from its index listings (each decoded from the
/// payload, built only when kept) and its find-links files, in that order;
/// with `tags`, only those that can matter for the target.
fn select(
    norm: &str,
    pages: &[(Record, DistOrigin, Url)],
    linked: Vec<DistFile>,
    tags: Option<&Tags>,
) -> Result<Vec<DistFile>, IndexError> {
    let mut listings = Vec::with_capacity(pages.len());
    for (payload, origin, url) in pages {
        let found = listing::decode(payload, url.as_str()).ok_or_else(|| unreadable(url))?;
        listings.push((found, origin));
    }
    let keep = {
        let names: Vec<(&str, bool)> = listings
            .iter()
            .flat_map(|(l, _)| l.files.iter().map(|f| (f.filename, f.yanked)))
            .chain(linked.iter().map(|f| (f.filename.as_str(), f.is_yanked())))
            .collect();
        match tags {
            Some(tags) => for_target::usable(norm, &names, tags),
            None => vec![true; names.len()],
        }
    };
    let mut keep = keep.into_iter();
    let mut files = Vec::new();
    for (found, origin) in &listings {
        for f in &found.files {
            if keep.next() == Some(true) {
                files.extend(f.to_dist(origin));
            }
        }
    }
    files.extend(linked.into_iter().filter(|_| keep.next() == Some(true)));
    Ok(files)
}

/// A listing that passed its checksum but does not decode: only a forged
/// cache file gets here.
fn unreadable(url: &Url) -> IndexError {
    IndexError::BadPage {
        url: url.to_string(),
        message: "the cached listing is unreadable; run again with --refresh".to_string(),
    }
}

/// The response's `Age` in seconds (0 when absent): how long a shared cache
/// on the way (PyPI's CDN) already held it, which its `max-age` counts too.
fn age(headers: &header::HeaderMap) -> u64 {
    headers
        .get(header::AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The most grail reads of an index page. The largest honest pages (every
/// file of every release of a big project, as JSON) are a few tens of MB.
pub(super) const MAX_PAGE_BYTES: u64 = 64 << 20;

/// The body of `response`, refused past `cap` bytes without holding more
/// than `cap + 1` of them: a declared `Content-Length` over the cap is
/// refused before reading, and an endless (chunked) body stops at the cap.
/// A transport error mid-body stays retryable.
pub(super) fn capped_body(
    response: Response,
    cap: u64,
    url: &Url,
    what: &'static str,
) -> Result<Vec<u8>, Attempt> {
    use std::io::Read;
    let too_large = || {
        Attempt::Fatal(IndexError::BodyTooLarge {
            url: crate::secrets::redact_url(url),
            what,
            cap,
        })
    };
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    if let Err(e) = response.take(cap + 1).read_to_end(&mut body) {
        // reqwest's reader wraps its own error; unwrap it so the retry
        // loop classifies it as it does for `bytes()`.
        let message = e.to_string();
        return Err(
            match e
                .into_inner()
                .map(|inner| inner.downcast::<reqwest::Error>())
            {
                Some(Ok(re)) => Attempt::Transient(*re, url.clone()),
                _ => Attempt::Fatal(IndexError::BodyRead {
                    url: crate::secrets::redact_url(url),
                    message,
                }),
            },
        );
    }
    if body.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(body)
}

/// The outcome of handling one response inside [`IndexClient::retrying`].
pub(super) enum Attempt {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A blob being written from a response, remembering why a write failed
/// (reqwest reports it as a body error otherwise).
struct BlobSink {
    writer: crate::cache::BlobWriter,
    failed: Option<crate::cache::CacheError>,
    progress: Progress,
}

impl std::io::Write for BlobSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.append(buf) {
            Ok(()) => {
                self.progress.event(&Event::Bytes(buf.len() as u64));
                Ok(buf.len())
            }
            Err(e) => {
                let io = std::io::Error::new(e.source.kind(), e.source.to_string());
                self.failed = Some(e);
                Err(io)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// The host did not answer in time or refused the connection: give up on
/// it for the run (a broken body of one file says nothing about the host).
fn unreachable(e: &reqwest::Error) -> bool {
    e.is_timeout() || e.is_connect()
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

/// `Cache-Control: max-age=N`, unless the response forbids reuse.
pub(super) fn max_age(headers: &header::HeaderMap) -> Option<u64> {
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
pub(super) fn content_range_total(value: &str) -> Option<u64> {
    value
        .trim()
        .strip_prefix("bytes ")?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

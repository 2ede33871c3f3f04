//! Core metadata of a remote wheel, as cheaply as possible: a cached wheel,
//! the PEP 658 `.metadata` file, Range requests into the remote zip, and
//! only then a full download.

use reqwest::header;
use reqwest::StatusCode;

use crate::cache::{sha256_hex, FinishedBlob};

use super::client::{capped_body, content_range_total, Attempt, IndexClient};
use super::dist::{DistFile, RemoteMetadata};
use super::error::{http_error, IndexError};
use super::remote_zip::{read_local_wheel, read_wheel_metadata, Sparse, ZipFailure};
use super::TAIL_BYTES;

/// The most grail reads of a PEP 658 `.metadata` file: as much as of a
/// METADATA inside a wheel.
const MAX_METADATA_BYTES: u64 = crate::wheel::MAX_TEXT_ENTRY_BYTES;

/// The most grail reads of one Range reply: the zip tail, or one METADATA
/// member with its local header (both far smaller than this).
const MAX_RANGE_BYTES: u64 = crate::wheel::MAX_TEXT_ENTRY_BYTES + 4 * TAIL_BYTES;

impl IndexClient {
    pub(super) fn fetch_metadata(&self, file: &DistFile) -> Result<RemoteMetadata, IndexError> {
        // A wheel already in the cache (or on local disk) is read directly.
        let cached_blob = file
            .sha256()
            .map(str::to_string)
            .or_else(|| self.cache.url_sha256(file.url.as_str()))
            .and_then(|sha| self.cache.blob(&sha));
        if let Some(path) = cached_blob {
            tracing::debug!(file = %file.filename, "metadata: read from the cached wheel");
            return read_local_wheel(&path, &file.filename);
        }
        if file.url.scheme() == "file" || self.settings.offline {
            let path = self.download(file)?;
            return read_local_wheel(&path, &file.filename);
        }
        if let Some(hash) = &file.core_metadata {
            if let Some(found) = self.pep658(file, hash.as_deref())? {
                tracing::debug!(file = %file.filename, "metadata: PEP 658 file");
                return Ok(found);
            }
        }
        match self.range_metadata(file)? {
            Some(found) => {
                tracing::debug!(file = %file.filename, "metadata: Range requests");
                Ok(found)
            }
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
            let bytes = capped_body(response, MAX_METADATA_BYTES, &url, "a .metadata file")?;
            Ok(Some(bytes))
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
    pub(super) fn range_metadata(
        &self,
        file: &DistFile,
    ) -> Result<Option<RemoteMetadata>, IndexError> {
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
                    let bytes = capped_body(response, MAX_RANGE_BYTES, url, "a Range reply")?;
                    Ok(match total {
                        Some(total) => Tail::Partial(total, bytes),
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
            Tail::Unusable => {
                tracing::debug!(file = %file.filename, "Range requests unusable: full download");
                return Ok(None);
            }
        };
        let mut fetch = |start: u64, end: u64| -> Result<Vec<u8>, IndexError> {
            self.retrying_with(
                url,
                |response| {
                    if response.status() != StatusCode::PARTIAL_CONTENT {
                        return Err(Attempt::Fatal(http_error(url, response.status())));
                    }
                    capped_body(response, MAX_RANGE_BYTES, url, "a Range reply")
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
            Err(ZipFailure::Fetch(e)) => {
                tracing::debug!(file = %file.filename, error = %e, "Range read failed: full download");
                Ok(None)
            }
            Err(ZipFailure::Bad(message)) => Err(IndexError::BadWheel {
                filename: file.filename.clone(),
                message,
            }),
        }
    }
}

/// The answer to the first Range request for a wheel's tail.
enum Tail {
    Partial(u64, Vec<u8>),
    Whole(FinishedBlob),
    Unusable,
}

//! Why the index client failed, with the URL (never credentials) and what to do.

use std::path::PathBuf;

use reqwest::StatusCode;
use url::Url;

use crate::cache::CacheError;
use crate::error::{Classify, ExitKind};

/// Why the index client failed. Messages name the URL (never credentials) or
/// the file, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An index or find-links URL does not parse.
    #[error(
        "invalid index URL {:?}: {message}",
        crate::secrets::redact_text(input)
    )]
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
    /// The server could not be reached (after retries); the host is not
    /// asked again in this run.
    #[error("cannot fetch {url}: {message} (gave up after {attempts} attempt(s) in {waited_secs:.0} s; check the network, or use --offline with a warm cache)")]
    Network {
        /// The URL (credentials stripped).
        url: String,
        /// The transport error.
        message: String,
        /// How many attempts were made.
        attempts: u32,
        /// Seconds spent on them, backoff included.
        waited_secs: f64,
    },
    /// `--offline` and the thing is not cached.
    #[error("{what} is not in the cache; run once without --offline")]
    NotCached {
        /// What was needed. Ex) `the index page https://pypi.org/simple/six/`
        what: String,
    },
    /// A response body could not be read (not a transport error reqwest
    /// names, so not retried).
    #[error("cannot read the response from {url}: {message}")]
    BodyRead {
        /// The URL, credentials redacted.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A response body larger than grail reads for its kind (an index page,
    /// a `.metadata` file): a hostile or broken index cannot make grail hold
    /// an endless body.
    #[error("{url} sent more than {cap} bytes for {what}; grail reads at most that much (is this a package index?)")]
    BodyTooLarge {
        /// The URL, credentials redacted.
        url: String,
        /// What was being read.
        what: &'static str,
        /// The cap in bytes.
        cap: u64,
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
    #[error("cannot read {path}")]
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
    /// A project name too long to ask an index for (a hostile METADATA).
    #[error(transparent)]
    NameTooLong(#[from] crate::names::NameTooLong),
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

/// Bad URLs and an unusable cache are usage errors (1), everything else is
/// a dependency failure (2).
impl Classify for IndexError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            IndexError::InvalidUrl { .. } => ExitKind::Usage,
            // A full or unwritable cache is the machine's, not the index's.
            IndexError::Cache(e) => e.exit_kind(),
            _ => ExitKind::Dependencies,
        }
    }
}

pub(super) fn http_error(url: &Url, status: StatusCode) -> IndexError {
    IndexError::Http {
        url: crate::secrets::redact_url(url),
        status: status.as_u16(),
    }
}

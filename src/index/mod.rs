//! The package index client: lists a project's files on simple-API indexes
//! (PEP 691 JSON or PEP 503 HTML) and find-links locations, reads their core
//! metadata as cheaply as possible, and downloads them into the
//! content-addressed [`Cache`](crate::cache::Cache).
//!
//! Intended call sequence (the resolver and the CLI drive it):
//!
//! 1. [`IndexClient::new`] once per run, from [`ClientSettings`] (CLI flags,
//!    requirements.txt options, `PIP_*` variables) and a [`Cache`](crate::cache::Cache).
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
//! Errors are [`IndexError`]s; their [`Classify`](crate::error::Classify) impl gives the exit code.
//! URLs in errors and cache keys never carry the credentials of
//! `https://user:token@host/simple/`; those are sent as basic auth to that
//! host only.
//!
//! ```
//! use grail::cache::Cache;
//! use grail::index::{ClientSettings, IndexClient};
//! let dir = tempfile::tempdir().unwrap();
//! // A find-links directory works offline, with no index at all.
//! let settings = ClientSettings {
//!     find_links: vec!["vendor-fixtures/index/six".to_string()],
//!     no_index: true,
//!     offline: true,
//!     ..ClientSettings::default()
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

use std::time::Duration;

mod client;
mod credentials;
mod dist;
mod error;
mod failures;
mod for_target;
mod hashes;
mod listing;
mod metadata;
mod options;
mod remote_zip;
mod settings;
mod simple;

pub use client::IndexClient;
pub use dist::{DistFile, DistOrigin, RemoteMetadata};
pub use error::IndexError;
pub use options::{
    effective_index_options, EnvVarError, IndexArgs, IndexOptions, DEFAULT_INDEX_URL,
};
pub use settings::ClientSettings;
pub use simple::sdist_version;

use credentials::{percent_decode, strip_credentials};

/// The `Accept` header for project pages (PEP 691 content negotiation).
const ACCEPT_SIMPLE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
/// How much of a wheel's tail the first Range request asks for: enough for
/// the end-of-central-directory record, a maximal comment, and usually the
/// whole central directory.
const TAIL_BYTES: u64 = 64 * 1024;
/// The base delay between retries; doubled after each attempt.
const BACKOFF: Duration = Duration::from_millis(200);

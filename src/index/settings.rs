//! How the client runs: which indexes and find-links it asks, online or not, timeouts, retries, workers.

use std::time::Duration;

use url::Url;

use crate::secrets::SecretUrl;

/// Where and how to look for distributions.
#[derive(Debug, Clone)]
pub struct ClientSettings {
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
    /// Worker threads for [`IndexClient::download_all`](super::IndexClient::download_all).
    pub concurrency: usize,
    /// URLs whose credentials are sent as basic auth to their origin
    /// (direct references in requirements.txt; index URLs carry their own).
    pub credentials: Vec<SecretUrl>,
}

impl Default for ClientSettings {
    /// PyPI, no find-links, online, 15 s timeout (pip's), 3 attempts, 8 workers.
    fn default() -> Self {
        ClientSettings {
            index_urls: vec![Url::parse("https://pypi.org/simple/").expect("static URL")],
            find_links: Vec::new(),
            no_index: false,
            offline: false,
            refresh: false,
            timeout: Duration::from_secs(15),
            attempts: 3,
            concurrency: 8,
            credentials: Vec::new(),
        }
    }
}

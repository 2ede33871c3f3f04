//! Hosts given up on for the run: once every attempt to reach a host has
//! failed (timeout, refused connection), later requests to it fail at once
//! with the same error instead of waiting through the attempts again. This
//! is what bounds a run against a stalled index to one round of attempts,
//! whichever caller (resolver, prefetch, download) asks next.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use url::Url;

use super::IndexError;

/// A transport failure after every attempt, as reported the first time.
#[derive(Clone, Debug)]
pub(super) struct GaveUp {
    /// The URL that failed (credentials redacted).
    pub(super) url: String,
    /// The transport error.
    pub(super) message: String,
    /// Attempts made.
    pub(super) attempts: u32,
    /// Time spent on them, backoff included.
    pub(super) waited: Duration,
}

impl GaveUp {
    /// The error to report (again).
    pub(super) fn error(&self) -> IndexError {
        self.error_for(&self.url)
    }

    /// The error for `url`, not tried because its host was given up on.
    fn error_for(&self, url: &str) -> IndexError {
        let message = if url == self.url {
            self.message.clone()
        } else {
            format!(
                "not tried, its host was given up on: {}: {}",
                self.url, self.message
            )
        };
        IndexError::Network {
            url: url.to_string(),
            message,
            attempts: self.attempts,
            waited_secs: self.waited.as_secs_f64(),
        }
    }
}

/// The hosts (origins) given up on, shared by every thread of the client.
#[derive(Debug, Default)]
pub(super) struct Failures(Mutex<HashMap<String, GaveUp>>);

impl Failures {
    /// The earlier failure of `url`'s host, if it was given up on.
    pub(super) fn of(&self, url: &Url) -> Option<IndexError> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&url.origin().ascii_serialization())
            .map(|g| g.error_for(&crate::secrets::redact_url(url)))
    }

    /// Give up on `url`'s host for the rest of the run (the first failure is kept).
    pub(super) fn give_up(&self, url: &Url, failure: GaveUp) -> IndexError {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(url.origin().ascii_serialization())
            .or_insert(failure)
            .error()
    }
}

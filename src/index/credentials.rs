//! Credentials in index URLs: remembered per origin for basic auth, stripped from everything shown or cached.

use url::Url;

/// Basic-auth credentials for one origin (scheme, host, port).
#[derive(Debug, Clone)]
pub(super) struct Credential {
    pub(super) origin: String,
    pub(super) username: String,
    pub(super) password: Option<String>,
}

pub(super) fn remember_credentials(url: &Url, out: &mut Vec<Credential>) {
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

pub(super) fn strip_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Both only fail for URLs that cannot have credentials anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Percent-decodes URL userinfo or a path segment; invalid escapes stay as written
/// and bytes that are not UTF-8 become U+FFFD.
pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

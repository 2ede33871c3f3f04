//! Credentials never reach a message, a log line, a report or a cache key.
//!
//! Index URLs and direct references may carry `user:password@` (pip's way of
//! passing a token). grail keeps such a URL in a [`SecretUrl`], whose
//! `Display` and `Debug` print `user:****@host` as pip does, so a message
//! that formats it cannot leak the password; only [`SecretUrl::expose`]
//! gives the real URL, for the request itself. Text that may quote a URL
//! grail did not parse (a requirement line echoed in an error, a tool's
//! output) goes through [`redact_text`] at the edges: every message, warning
//! and log line the binary prints, and the report.
//!
//! ```
//! use grail::secrets::{redact_text, SecretUrl};
//!
//! let url = SecretUrl::parse("https://me:t0ken@example.org/simple/").unwrap();
//! assert_eq!(url.to_string(), "https://me:****@example.org/simple/");
//! assert!(!format!("{url:?}").contains("t0ken"));
//! assert_eq!(url.without_credentials().as_str(), "https://example.org/simple/");
//! assert_eq!(
//!     redact_text("cannot fetch http://me:t0ken@host/x.whl: 404"),
//!     "cannot fetch http://me:****@host/x.whl: 404"
//! );
//! ```

use std::fmt;

use url::Url;

/// A URL that may carry credentials: printing it (`Display`, `Debug`) never
/// shows the password (or a token given as the user name).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretUrl(Url);

impl SecretUrl {
    /// Wrap a parsed URL.
    pub fn new(url: Url) -> SecretUrl {
        SecretUrl(url)
    }

    /// Parse a URL; the error never quotes the input.
    pub fn parse(s: &str) -> Result<SecretUrl, url::ParseError> {
        Url::parse(s).map(SecretUrl)
    }

    /// The URL with its credentials, for sending the request (and nothing else).
    pub fn expose(&self) -> &Url {
        &self.0
    }

    /// The URL without credentials: what may be shown, cached or reported.
    pub fn without_credentials(&self) -> Url {
        let mut url = self.0.clone();
        // Both only fail for URLs that cannot have credentials anyway.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url
    }

    /// Whether the URL carries a user name or a password.
    pub fn has_credentials(&self) -> bool {
        !self.0.username().is_empty() || self.0.password().is_some()
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", redact_url(&self.0))
    }
}

/// `url` as pip shows it: `user:****@host` with a password, `****@host`
/// with only a user name (often a token), unchanged without credentials.
pub fn redact_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    let ok = if url.password().is_some() {
        shown.set_password(Some("****")).is_ok()
    } else {
        shown.set_username("****").is_ok()
    };
    if ok {
        shown.to_string()
    } else {
        redact_text(url.as_str())
    }
}

/// Replace the credentials of every `scheme://userinfo@` in `text` with
/// `user:****` (or `****` when there is no password), without parsing:
/// works on text that quotes an invalid URL too.
pub fn redact_text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#', whitespace or quote;
        // its userinfo is what comes before its last '@'.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":****");
                    }
                    None => out.push_str("****"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_show_no_secret() {
        for (given, shown) in [
            ("https://u:p%40ss@h/simple/", "https://u:****@h/simple/"),
            ("https://tok3n@h:8080/x", "https://****@h:8080/x"),
            ("https://h/simple/", "https://h/simple/"),
            ("https://u:@h/", "https://****@h/"),
        ] {
            let url = SecretUrl::parse(given).unwrap();
            assert_eq!(url.to_string(), shown, "{given}");
            assert!(!format!("{url:?}").contains("p%40ss"));
            assert!(!format!("{url:?}").contains("tok3n"));
        }
    }

    #[test]
    fn text_is_redacted_even_when_the_url_is_invalid() {
        for (given, shown) in [
            (
                r#"invalid index URL "http://u:s3cret@[bad/": x"#,
                r#"invalid index URL "http://u:****@[bad/": x"#,
            ),
            ("a @ https://u:p@ss@h/a.whl", "a @ https://u:****@h/a.whl"),
            (
                "x https://tok@h/ y http://h/ z",
                "x https://****@h/ y http://h/ z",
            ),
            ("no urls here", "no urls here"),
            ("cut off http://u:pw", "cut off http://u:pw"),
            (
                "e-mail me@x.org and https://h/p@q",
                "e-mail me@x.org and https://h/p@q",
            ),
        ] {
            assert_eq!(redact_text(given), shown, "{given}");
        }
    }
}

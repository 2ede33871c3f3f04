//! PEP 503 name normalisation, shared by every module that compares names.
//!
//! ```
//! assert_eq!(grail::names::normalize("Charset_Normalizer"), "charset-normalizer");
//! assert_eq!(grail::names::dist_info_stem("charset-normalizer"), "charset_normalizer");
//! ```

/// The longest project name grail accepts, in characters. No standard sets
/// one; real names are far shorter, and a longer one is a mistake or an
/// attack (a 70,000-character name would be sent as a URL and echoed whole).
pub const MAX_NAME_CHARS: usize = 256;

/// `name` as shown in a message: whole when short, else its first 40
/// characters and its length, so hostile input is never echoed whole.
///
/// ```
/// assert_eq!(grail::names::shown("six"), "six");
/// assert_eq!(grail::names::shown(&"a".repeat(70_000)), format!("{}… (70000 characters)", "a".repeat(40)));
/// ```
pub fn shown(name: &str) -> String {
    const KEEP: usize = 40;
    let count = name.chars().count();
    if count <= MAX_NAME_CHARS {
        return name.to_string();
    }
    let head: String = name.chars().take(KEEP).collect();
    format!("{head}… ({count} characters)")
}

/// A project name over [`MAX_NAME_CHARS`], from requirements.txt or an
/// index's METADATA: one error, one message, wherever it is met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the project name `{}` is too long; grail refuses names over {} characters",
    shown(&self.0),
    MAX_NAME_CHARS
)]
pub struct NameTooLong(pub String);

/// `Err` when `name` is longer than grail accepts.
///
/// ```
/// assert!(grail::names::check_length("six").is_ok());
/// assert!(grail::names::check_length(&"a".repeat(300)).is_err());
/// ```
pub fn check_length(name: &str) -> Result<(), NameTooLong> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameTooLong(name.to_string()));
    }
    Ok(())
}

/// Lower-case, with every run of `-`, `_` and `.` replaced by one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// The form used in wheel and `.dist-info` file names: normalised, `-` → `_`.
pub fn dist_info_stem(name: &str) -> String {
    normalize(name).replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_runs_and_case() {
        for (input, want) in [
            ("Foo", "foo"),
            ("foo_bar", "foo-bar"),
            ("foo.-_bar", "foo-bar"),
            ("Friendly-Bard", "friendly-bard"),
            ("FRIENDLY-BARD", "friendly-bard"),
            ("friendly.bard", "friendly-bard"),
            ("friendly_bard", "friendly-bard"),
            ("friendly--bard", "friendly-bard"),
            ("FrIeNdLy-._.-bArD", "friendly-bard"),
        ] {
            assert_eq!(normalize(input), want, "{input}");
        }
    }
}

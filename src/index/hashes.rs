//! Hash checks for downloads: the index's listed digests always, `--hash` pins in hash-checking mode.

use std::fs;
use std::path::Path;

use super::dist::DistFile;
use super::error::IndexError;

/// Listed hashes must all match (for algorithms grail computes); when
/// `required` is not empty, at least one of them must match too.
pub(super) fn verify_hashes(
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
pub(super) fn check_cached(
    file: &DistFile,
    path: &Path,
    required: &[String],
) -> Result<(), IndexError> {
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
    use super::super::dist::DistOrigin;
    use super::*;
    use url::Url;

    fn origin() -> DistOrigin {
        DistOrigin::Index(Url::parse("https://example.org/simple/").unwrap())
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

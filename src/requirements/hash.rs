//! Hashes as `--hash=<algorithm>:<hex digest>` writes them.

use std::fmt;
use std::str::FromStr;

/// A hash algorithm pip accepts for `--hash` (pip's `STRONG_HASHES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// Ex) `sha256`
    Sha256,
    /// Ex) `sha384`
    Sha384,
    /// Ex) `sha512`
    Sha512,
}

impl HashAlgorithm {
    /// The name as written in `--hash=<name>:<digest>`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex digest.
    fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha384 => 96,
            HashAlgorithm::Sha512 => 128,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashAlgorithm {
    type Err = HashParseError;

    /// Case-sensitive, like pip (`SHA256` is refused by pip too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha256" => Ok(HashAlgorithm::Sha256),
            "sha384" => Ok(HashAlgorithm::Sha384),
            "sha512" => Ok(HashAlgorithm::Sha512),
            _ => Err(HashParseError {
                input: s.to_string(),
                kind: HashParseErrorKind::Algorithm,
            }),
        }
    }
}

/// An expected file hash.
///
/// Ex) `sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1`
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// Lower-case hex digest of the right length for the algorithm.
    pub digest: String,
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    /// Parses `algo:hexdigest`. Upper-case hex is accepted and lower-cased
    /// (pip would only fail later, with a mismatch).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |kind| HashParseError {
            input: s.to_string(),
            kind,
        };
        let (algo, digest) = s.split_once(':').ok_or(err(HashParseErrorKind::Format))?;
        let algorithm: HashAlgorithm = algo
            .parse()
            .map_err(|_| err(HashParseErrorKind::Algorithm))?;
        if digest.len() != algorithm.hex_len() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(HashParseErrorKind::Digest(algorithm)));
        }
        Ok(Hash {
            algorithm,
            digest: digest.to_ascii_lowercase(),
        })
    }
}

/// A `--hash` value that cannot be used: the input plus what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash `{input}`: {kind}")]
pub struct HashParseError {
    /// The text given to `--hash`.
    pub input: String,
    /// What is wrong.
    pub kind: HashParseErrorKind,
}

/// Why a `--hash` value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashParseErrorKind {
    /// No `:` (pip's message).
    #[error(
        "arguments to --hash must be a hash name followed by a value, like --hash=sha256:abcde..."
    )]
    Format,
    /// Not one of pip's strong hashes (pip's message).
    #[error("allowed hash algorithms for --hash are sha256, sha384, sha512")]
    Algorithm,
    /// Not hex, or not the algorithm's length.
    #[error("a {0} digest is {len} hexadecimal digits", len = .0.hex_len())]
    Digest(HashAlgorithm),
}

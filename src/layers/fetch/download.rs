//! The archive download: the presigned URL, streamed to a temporary file
//! with its sha256 computed on the way, never past `CodeSize`.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::aws::LayerVersion;
use super::FetchError;
use crate::layers::LayerArn;

/// A layer archive can never be larger than what it unzips to, and that is
/// capped by Lambda's unzipped limit.
const MAX_ARCHIVE_BYTES: u64 = crate::budget::LAMBDA_UNZIPPED_LIMIT;

/// The presigned URL is valid for ten minutes: a download may take that long.
const TIMEOUT: Duration = Duration::from_secs(600);

/// Download `version`'s archive into a temporary file under `dir` and
/// check it against `CodeSha256`. The file is deleted when dropped.
pub(super) fn download(
    arn: &LayerArn,
    version: &LayerVersion,
    dir: &Path,
) -> Result<tempfile::NamedTempFile, FetchError> {
    let failed = |detail: String| FetchError::Download {
        arn: arn.to_string(),
        detail,
    };
    if version.code_size > MAX_ARCHIVE_BYTES {
        return Err(failed(format!(
            "CodeSize is {} bytes, over Lambda's limit of {MAX_ARCHIVE_BYTES}",
            version.code_size
        )));
    }
    let client = reqwest::blocking::Client::builder()
        .user_agent(concat!("grail/", env!("CARGO_PKG_VERSION")))
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    // The URL carries its signature: it is never printed.
    let response = client.get(&version.location).send().map_err(|e| {
        failed(format!(
            "{} (connecting to the download URL)",
            e.without_url()
        ))
    })?;
    let status = response.status();
    if matches!(status.as_u16(), 400 | 401 | 403) {
        return Err(FetchError::UrlRefused {
            arn: arn.to_string(),
            status: status.as_u16(),
        });
    }
    if !status.is_success() {
        return Err(failed(format!("HTTP {status} from the download URL")));
    }
    if let Some(n) = response
        .content_length()
        .filter(|n| *n != version.code_size)
    {
        return Err(failed(format!(
            "the download URL announces {n} bytes but CodeSize is {}",
            version.code_size
        )));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io {
            action: "write",
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut file = tempfile::Builder::new()
        .prefix(".layer-")
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    let (bytes, sha) = copy_hashing(response.take(version.code_size + 1), file.as_file_mut())
        .map_err(|e| match e {
            Copy::Read(e) => failed(format!("reading the body: {e}")),
            Copy::Write(e) => io(dir)(e),
        })?;
    if bytes != version.code_size || sha != version.code_sha256_hex {
        return Err(FetchError::ChecksumMismatch {
            arn: arn.to_string(),
            expected: version.code_sha256_hex.clone(),
            actual: sha,
            bytes,
        });
    }
    Ok(file)
}

enum Copy {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Copy `from` into `to`, returning the byte count and the hex sha256.
fn copy_hashing(mut from: impl Read, to: &mut std::fs::File) -> Result<(u64, String), Copy> {
    let mut to = std::io::BufWriter::new(to);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).map_err(Copy::Write)?;
        total += n as u64;
    }
    to.flush().map_err(Copy::Write)?;
    Ok((total, hex::encode(hasher.finalize())))
}

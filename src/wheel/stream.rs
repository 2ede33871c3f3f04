//! Reading zip entries without trusting what the archive declares.
//!
//! A zip's central directory states each entry's uncompressed size, and
//! nothing makes it true: a sub-kilobyte wheel can claim a 2^63-byte member.
//! So no buffer is ever sized from a declared length, every read is capped,
//! and content is hashed as it streams instead of being held whole.
//!
//! ```
//! use grail::wheel::read_capped;
//! assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
//! assert!(read_capped(&b"abcd"[..], 3).is_err());
//! ```

use std::io::{self, Read};

use sha2::Digest;

/// The most grail reads of a text file inside an archive (METADATA, RECORD,
/// WHEEL, top_level.txt): far above any real one, far below memory trouble.
pub const MAX_TEXT_ENTRY_BYTES: u64 = 16 << 20;

/// How much is read per step while streaming.
const CHUNK: usize = 64 << 10;

/// Every byte of `r`, refusing (as `InvalidData`) more than `cap` bytes;
/// memory grows with what is actually read, never with a declared size.
pub fn read_capped(r: impl Read, cap: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let read = r.take(cap.saturating_add(1)).read_to_end(&mut out)?;
    if read as u64 > cap {
        return Err(too_long(cap));
    }
    Ok(out)
}

fn too_long(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("more than {cap} bytes (larger than the archive declares)"),
    )
}

/// A RECORD hash algorithm, fed chunk by chunk.
enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: &str) -> Option<Hasher> {
        match algorithm {
            "sha256" => Some(Hasher::Sha256(sha2::Sha256::new())),
            "sha384" => Some(Hasher::Sha384(sha2::Sha384::new())),
            "sha512" => Some(Hasher::Sha512(sha2::Sha512::new())),
            _ => None,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// The digest (when `algorithm` is given and known) and length of `r`,
/// streamed in fixed chunks; more than `cap` bytes is an `InvalidData` error.
/// An unknown algorithm gives `Ok((None, len))`.
pub fn digest_capped(
    mut r: impl Read,
    algorithm: Option<&str>,
    cap: u64,
) -> io::Result<(Option<Vec<u8>>, u64)> {
    let mut hasher = algorithm.and_then(Hasher::new);
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        len += n as u64;
        if len > cap {
            return Err(too_long(cap));
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..n]);
        }
    }
    Ok((hasher.map(Hasher::finish), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of `n` zero bytes that never allocates them.
    fn zeros(n: u64) -> impl Read {
        io::repeat(0).take(n)
    }

    #[test]
    fn reads_are_capped_whatever_the_source_claims() {
        assert_eq!(read_capped(zeros(10), 10).unwrap().len(), 10);
        let e = read_capped(zeros(u64::MAX), 1 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(read_capped(zeros(0), u64::MAX).unwrap().is_empty());
    }

    #[test]
    fn digests_stream_and_stop_at_the_cap() {
        let (d, n) = digest_capped(&b"abc"[..], Some("sha256"), 3).unwrap();
        assert_eq!(n, 3);
        assert_eq!(d.unwrap(), sha2::Sha256::digest(b"abc").to_vec());
        let (d, n) = digest_capped(&b"abc"[..], Some("md5"), 3).unwrap();
        assert!(d.is_none() && n == 3);
        // 4 GiB of zeros is refused after 1 MiB, not read whole.
        assert!(digest_capped(zeros(4 << 30), Some("sha512"), 1 << 20).is_err());
    }
}

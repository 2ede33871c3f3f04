//! Reading `*.dist-info/METADATA` (and the total unzipped size) out of a
//! wheel of which only some byte ranges are at hand: the tail, plus whatever
//! a fetch function returns (HTTP Range requests, or seeks in a local file).

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::simple::filename_project;
use super::{IndexError, RemoteMetadata, TAIL_BYTES};
use crate::names::normalize;

/// Why METADATA could not be read from a zip.
#[derive(Debug)]
pub(super) enum ZipFailure {
    /// Fetching a byte range failed.
    Fetch(IndexError),
    /// The zip is malformed or has no METADATA.
    Bad(String),
}

/// A zip file of which only some byte ranges are at hand: the tail, and
/// whatever `fetch(start, end_exclusive)` returns.
pub(super) struct Sparse<'a> {
    pub(super) total: u64,
    pub(super) tail_start: u64,
    pub(super) tail: Vec<u8>,
    pub(super) fetch: &'a mut dyn FnMut(u64, u64) -> Result<Vec<u8>, IndexError>,
}

impl Sparse<'_> {
    fn read(&mut self, start: u64, end: u64) -> Result<Vec<u8>, ZipFailure> {
        if end > self.total || start > end {
            return Err(ZipFailure::Bad(format!(
                "range {start}..{end} is outside the {}-byte file",
                self.total
            )));
        }
        if start >= self.tail_start {
            let from = (start - self.tail_start) as usize;
            let to = (end - self.tail_start) as usize;
            return Ok(self.tail[from..to].to_vec());
        }
        let bytes = (self.fetch)(start, end).map_err(ZipFailure::Fetch)?;
        if bytes.len() as u64 != end - start {
            return Err(ZipFailure::Fetch(IndexError::BadWheel {
                filename: String::new(),
                message: format!("asked for {} bytes, got {}", end - start, bytes.len()),
            }));
        }
        Ok(bytes)
    }
}

pub(super) fn le16(b: &[u8], at: usize) -> u64 {
    u16::from_le_bytes([b[at], b[at + 1]]) as u64
}

pub(super) fn le32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as u64
}

pub(super) fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// One central-directory entry.
#[derive(Debug)]
pub(super) struct CdEntry {
    name: String,
    method: u64,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
}

/// Read METADATA (and the total unzipped size) from a zip via `source`.
pub(super) fn read_wheel_metadata(
    source: &mut Sparse<'_>,
    filename: &str,
) -> Result<RemoteMetadata, ZipFailure> {
    let bad = |m: &str| ZipFailure::Bad(m.to_string());
    let tail = &source.tail;
    // End of central directory: the last "PK\x05\x06" with room for its 22 bytes.
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == *b"PK\x05\x06")
        .ok_or_else(|| bad("no end-of-central-directory record (not a zip file?)"))?;
    let mut cd_size = le32(tail, eocd + 12);
    let mut cd_offset = le32(tail, eocd + 16);
    let eocd_abs = source.tail_start + eocd as u64;
    if cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF || le16(tail, eocd + 10) == 0xFFFF {
        // zip64: the locator sits just before the EOCD and points at the zip64 record.
        let locator_at = eocd_abs
            .checked_sub(20)
            .ok_or_else(|| bad("zip64 locator missing"))?;
        let locator = source.read(locator_at, eocd_abs)?;
        if locator[..4] != *b"PK\x06\x07" {
            return Err(bad("zip64 locator missing"));
        }
        let record_at = le64(&locator, 8);
        let record = source.read(record_at, record_at.saturating_add(56))?;
        if record[..4] != *b"PK\x06\x06" {
            return Err(bad("zip64 end-of-central-directory record missing"));
        }
        cd_size = le64(&record, 40);
        cd_offset = le64(&record, 48);
    }
    // Declared offsets and sizes are untrusted: additions saturate (and then
    // fall outside the file), METADATA is read only when its size is sane.
    let cd = source.read(cd_offset, cd_offset.saturating_add(cd_size))?;
    let entries = parse_central_directory(&cd)?;
    let unzipped: u64 = entries
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.uncompressed));
    let entry = pick_metadata(&entries, filename)
        .ok_or_else(|| bad("no *.dist-info/METADATA in the wheel"))?;
    // The local header's name/extra lengths may differ from the central ones.
    let header = source.read(entry.local_offset, entry.local_offset.saturating_add(30))?;
    if header[..4] != *b"PK\x03\x04" {
        return Err(bad("bad local file header for METADATA"));
    }
    if entry.compressed > crate::wheel::MAX_TEXT_ENTRY_BYTES
        || entry.uncompressed > crate::wheel::MAX_TEXT_ENTRY_BYTES
    {
        return Err(bad("METADATA declares an impossible size"));
    }
    let data_at = (entry.local_offset + 30 + le16(&header, 26)).saturating_add(le16(&header, 28));
    let raw = source.read(data_at, data_at.saturating_add(entry.compressed))?;
    let metadata = inflate(entry, &raw)?;
    Ok(RemoteMetadata {
        metadata,
        unzipped_bytes: Some(unzipped),
    })
}

pub(super) fn parse_central_directory(cd: &[u8]) -> Result<Vec<CdEntry>, ZipFailure> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 46 <= cd.len() && cd[at..at + 4] == *b"PK\x01\x02" {
        let name_len = le16(cd, at + 28) as usize;
        let extra_len = le16(cd, at + 30) as usize;
        let comment_len = le16(cd, at + 32) as usize;
        let end = at + 46 + name_len + extra_len + comment_len;
        if end > cd.len() {
            return Err(ZipFailure::Bad("truncated central directory".into()));
        }
        let name = String::from_utf8_lossy(&cd[at + 46..at + 46 + name_len]).into_owned();
        let mut entry = CdEntry {
            name,
            method: le16(cd, at + 10),
            crc: le32(cd, at + 16) as u32,
            compressed: le32(cd, at + 20),
            uncompressed: le32(cd, at + 24),
            local_offset: le32(cd, at + 42),
        };
        // zip64 extended information (0x0001): present fields in this order.
        let mut extra = &cd[at + 46 + name_len..at + 46 + name_len + extra_len];
        while extra.len() >= 4 {
            let id = le16(extra, 0);
            let size = (le16(extra, 2) as usize).min(extra.len() - 4);
            if id == 1 {
                let mut field = &extra[4..4 + size];
                for value in [
                    &mut entry.uncompressed,
                    &mut entry.compressed,
                    &mut entry.local_offset,
                ] {
                    if *value == 0xFFFF_FFFF && field.len() >= 8 {
                        *value = le64(field, 0);
                        field = &field[8..];
                    }
                }
            }
            extra = &extra[4 + size..];
        }
        entries.push(entry);
        at = end;
    }
    if entries.is_empty() {
        return Err(ZipFailure::Bad(
            "empty or unreadable central directory".into(),
        ));
    }
    Ok(entries)
}

/// The top-level `*.dist-info/METADATA`, preferring the one named after the wheel.
pub(super) fn pick_metadata<'a>(entries: &'a [CdEntry], filename: &str) -> Option<&'a CdEntry> {
    let candidates: Vec<&CdEntry> = entries
        .iter()
        .filter(|e| {
            e.name
                .strip_suffix(".dist-info/METADATA")
                .is_some_and(|dir| !dir.contains('/'))
        })
        .collect();
    let project = filename_project(filename);
    candidates
        .iter()
        .find(|e| {
            let dir = e.name.split('/').next().unwrap_or("");
            dir.split('-').next().map(normalize) == project
        })
        .or(candidates.first())
        .copied()
}

pub(super) fn inflate(entry: &CdEntry, raw: &[u8]) -> Result<Vec<u8>, ZipFailure> {
    let data = match entry.method {
        0 => raw.to_vec(),
        8 => crate::wheel::read_capped(
            flate2::read::DeflateDecoder::new(raw),
            entry.uncompressed.min(crate::wheel::MAX_TEXT_ENTRY_BYTES),
        )
        .map_err(|e| ZipFailure::Bad(format!("cannot inflate METADATA: {e}")))?,
        other => {
            return Err(ZipFailure::Bad(format!(
                "METADATA uses unsupported compression method {other}"
            )))
        }
    };
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    if crc.sum() != entry.crc {
        return Err(ZipFailure::Bad("METADATA fails its CRC check".into()));
    }
    Ok(data)
}

/// Read METADATA from a wheel on local disk (same parser as the Range path).
pub(super) fn read_local_wheel(path: &Path, filename: &str) -> Result<RemoteMetadata, IndexError> {
    let io_err = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io_err)?;
    let total = file.metadata().map_err(io_err)?.len();
    let tail_start = total.saturating_sub(TAIL_BYTES);
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(tail_start)).map_err(io_err)?;
    file.read_to_end(&mut tail).map_err(io_err)?;
    let mut fetch = |start: u64, end: u64| -> Result<Vec<u8>, IndexError> {
        let mut buf = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(io_err)?;
        Ok(buf)
    };
    let mut source = Sparse {
        total,
        tail_start,
        tail,
        fetch: &mut fetch,
    };
    read_wheel_metadata(&mut source, filename).map_err(|e| match e {
        ZipFailure::Fetch(e) => e,
        ZipFailure::Bad(message) => IndexError::BadWheel {
            filename: filename.to_string(),
            message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Build a wheel-like zip with the zip crate.
    fn wheel(method: zip::CompressionMethod, large_file: bool, payload: usize) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zw = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::DEFAULT
            .compression_method(method)
            .large_file(large_file);
        zw.start_file("pkg/__init__.py", opts).unwrap();
        let filler: Vec<u8> = (0..payload).map(|i| (i * 7919 % 251) as u8).collect();
        zw.write_all(&filler).unwrap();
        zw.start_file("other-1.0.dist-info/METADATA", opts).unwrap();
        zw.write_all(b"Name: other\n").unwrap();
        zw.start_file("pkg-1.0.dist-info/METADATA", opts).unwrap();
        zw.write_all(b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
            .unwrap();
        zw.start_file("pkg-1.0.dist-info/RECORD", opts).unwrap();
        zw.finish().unwrap();
        buf.into_inner()
    }

    fn read_sparse(bytes: &[u8], tail_len: usize) -> (Result<RemoteMetadata, ZipFailure>, usize) {
        let total = bytes.len() as u64;
        let tail_start = bytes.len().saturating_sub(tail_len);
        let mut fetches = 0;
        let result = {
            let mut fetch = |start: u64, end: u64| {
                fetches += 1;
                Ok(bytes[start as usize..end as usize].to_vec())
            };
            let mut source = Sparse {
                total,
                tail_start: tail_start as u64,
                tail: bytes[tail_start..].to_vec(),
                fetch: &mut fetch,
            };
            read_wheel_metadata(&mut source, "pkg-1.0-py3-none-any.whl")
        };
        (result, fetches)
    }

    #[test]
    fn sparse_zip_reading_all_shapes() {
        for (method, large) in [
            (zip::CompressionMethod::Deflated, false),
            (zip::CompressionMethod::Stored, false),
            (zip::CompressionMethod::Deflated, true),
        ] {
            let bytes = wheel(method, large, 5000);
            // Whole file in the tail: no extra fetches.
            let (found, fetches) = read_sparse(&bytes, bytes.len());
            let found = found.unwrap();
            assert_eq!(
                found.metadata,
                b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
            );
            assert_eq!(found.unzipped_bytes, Some(5000 + 12 + 45));
            assert_eq!(fetches, 0);
            // A tiny tail: the central directory and METADATA need their own fetches.
            let (found_small, fetches) = read_sparse(&bytes, 40);
            assert_eq!(found_small.unwrap(), found, "{method:?} large={large}");
            assert!(fetches >= 2, "{fetches}");
        }
    }

    #[test]
    fn sparse_zip_errors() {
        let (result, _) = read_sparse(b"definitely not a zip file at all, no sir", 100);
        assert!(
            matches!(result, Err(ZipFailure::Bad(m)) if m.contains("end-of-central-directory"))
        );
        let mut bytes = wheel(zip::CompressionMethod::Stored, false, 10);
        // Corrupt METADATA's content: the CRC check must catch it.
        let at = bytes.windows(7).position(|w| w == b"Version").unwrap();
        bytes[at] = b'X';
        let (result, _) = read_sparse(&bytes, bytes.len());
        assert!(matches!(result, Err(ZipFailure::Bad(m)) if m.contains("CRC")));
    }
}

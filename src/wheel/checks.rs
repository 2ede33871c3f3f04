//! What a wheel's central directory must satisfy before anything in it is
//! inflated: only regular files (no symlinks, devices or FIFOs), no two
//! entries with one name (zip readers silently keep one of them), and
//! declared sizes that could fit in a Lambda function at all.
//!
//! The declared sizes are all a reader has before inflating: refusing on them
//! first means an archive claiming 2 GiB (honestly or not) is turned away
//! without decompressing a byte; the streaming readers
//! ([`super::read_capped`], [`super::digest_capped`]) then make sure no entry
//! yields more than it declared.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::budget::LAMBDA_UNZIPPED_LIMIT;

/// File-type bits of a unix mode (`S_IFMT`), a regular file and a directory.
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

/// Why an archive's directory is refused (the caller names the wheel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryProblem {
    /// An entry is a symlink or another non-regular file.
    NotRegular {
        /// The entry name.
        entry: String,
        /// Ex) "a symlink"
        kind: &'static str,
    },
    /// Two entries share a name.
    Duplicate(String),
    /// The declared uncompressed sizes exceed Lambda's limit.
    TooLarge {
        /// The largest entry.
        entry: String,
        /// The total declared bytes (saturating).
        total: u64,
    },
}

/// What a unix mode's file-type bits say, when they say something other than
/// a regular file or directory (no type bits, as DOS-made zips have, count as
/// regular).
pub fn non_regular_kind(mode: u32) -> Option<&'static str> {
    match mode & S_IFMT {
        0 | S_IFREG | S_IFDIR => None,
        0o120000 => Some("a symlink"),
        0o010000 => Some("a FIFO"),
        0o020000 | 0o060000 => Some("a device"),
        0o140000 => Some("a socket"),
        _ => Some("not a regular file"),
    }
}

/// Check every entry's type and the declared total, and look for duplicate
/// names (re-reading the raw directory of the archive at `path`, as the zip
/// reader has already collapsed them).
pub fn check_directory<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    path: &Path,
) -> Result<(), DirectoryProblem> {
    let mut total = 0u64;
    let mut largest = (0u64, String::new());
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            continue; // the caller's own reads report a broken entry
        };
        let name = || String::from_utf8_lossy(entry.name_raw()).into_owned();
        if let Some(kind) = entry.unix_mode().and_then(non_regular_kind) {
            return Err(DirectoryProblem::NotRegular {
                entry: name(),
                kind,
            });
        }
        total = total.saturating_add(entry.size());
        if entry.size() > largest.0 {
            largest = (entry.size(), name());
        }
    }
    if total > LAMBDA_UNZIPPED_LIMIT {
        return Err(DirectoryProblem::TooLarge {
            entry: largest.1,
            total,
        });
    }
    if zip.has_duplicate_names() {
        let start = zip.central_directory_start() + zip.offset();
        let name = std::fs::File::open(path)
            .ok()
            .and_then(|f| duplicate_name(std::io::BufReader::new(f), start))
            .unwrap_or_else(|| "(an entry)".to_string());
        return Err(DirectoryProblem::Duplicate(name));
    }
    Ok(())
}

/// The first name that occurs twice in the raw central directory (the zip
/// reader keeps one entry per name, so they are read from the bytes).
fn duplicate_name(mut reader: impl Read + Seek, start: u64) -> Option<String> {
    reader.seek(SeekFrom::Start(start)).ok()?;
    // The central directory is small (46 bytes + name per entry); cap anyway.
    let bytes = super::read_capped(reader.take(64 << 20), 64 << 20).ok()?;
    let mut seen = HashSet::new();
    let mut at = 0usize;
    while bytes.get(at..at + 4)? == [0x50, 0x4b, 0x01, 0x02] {
        let u16_at = |o: usize| {
            let b = bytes.get(at + o..at + o + 2)?;
            Some(usize::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let (name_len, extra, comment) = (u16_at(28)?, u16_at(30)?, u16_at(32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        let name = String::from_utf8_lossy(name).into_owned();
        if !seen.insert(name.clone()) {
            return Some(name);
        }
        at += 46 + name_len + extra + comment;
    }
    None
}

//! Incremental zip writing: entries that did not change since the previous
//! zip are raw-copied out of it instead of being compressed again.
//!
//! Every planned entry gets a *key* naming exactly what its bytes in the zip
//! are made of:
//!
//! - a file or in-memory entry: its mode and the sha256 of its content (the
//!   writer compresses it with fixed options, so equal content gives equal
//!   compressed bytes);
//! - a wheel entry: its mode, the wheel file (path, size, mtime), its index
//!   in the wheel and whether it is recompressed.
//!
//! [`ZipPlan::write`](super::ZipPlan::write) returns the key of every entry
//! it wrote ([`super::ZipSummary::entry_keys`]); whoever keeps them (the
//! rebuild state) hands them back next time as a [`PreviousZip`], and every
//! entry whose name and key match is raw-copied from that zip with the same
//! fixed time and mode a clean write gives it. The caller must make sure the
//! file is the one those keys describe (grail checks its size and sha256):
//! a raw copy trusts the previous zip's bytes.
//!
//! ```
//! use grail::assemble::{Entry, Origin, PreviousZip, ZipPlan};
//! let dir = tempfile::tempdir().unwrap();
//! let plan = |text: &[u8]| {
//!     let mut p = ZipPlan::default();
//!     p.add(Entry::bytes("app.py", text.to_vec(), 0o644, Origin::ChaliceRuntime)).unwrap();
//!     p.add(Entry::bytes("lib.py", b"x = 1\n".to_vec(), 0o644, Origin::ChaliceRuntime)).unwrap();
//!     p
//! };
//! let old = dir.path().join("old.zip");
//! let first = plan(b"print(1)\n").write(&old).unwrap();
//!
//! let mut next = plan(b"print(2)\n");
//! next.reuse(PreviousZip::new(old, &first.entry_keys));
//! let second = next.write(&dir.path().join("new.zip")).unwrap();
//! assert_eq!((second.reused, second.entries), (1, 2));
//!
//! // Byte-identical to a clean write of the same plan.
//! let clean = plan(b"print(2)\n").write(&dir.path().join("clean.zip")).unwrap();
//! assert_eq!(clean.sha256, second.sha256);
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::{AssembleError, Entry, EntrySource};

/// A zip written by [`ZipPlan::write`](super::ZipPlan::write), with the
/// entry keys it returned: the entries a new write may raw-copy.
#[derive(Debug)]
pub struct PreviousZip {
    /// The zip file.
    pub path: PathBuf,
    /// The file as opened when it was checked: another run replacing
    /// `path` meanwhile cannot change what is copied.
    file: Option<File>,
    /// Entry name → (index in the zip, key).
    by_name: HashMap<String, (usize, String)>,
}

impl PreviousZip {
    /// The zip at `path`, whose entries (in order) had these `(name, key)`s.
    pub fn new(path: PathBuf, entry_keys: &[(String, String)]) -> PreviousZip {
        let by_name = entry_keys
            .iter()
            .enumerate()
            .map(|(i, (name, key))| (name.clone(), (i, key.clone())))
            .collect();
        PreviousZip {
            path,
            file: None,
            by_name,
        }
    }

    /// [`PreviousZip::new`] for a zip already open (and checked) as `file`.
    pub fn opened(file: File, path: PathBuf, entry_keys: &[(String, String)]) -> PreviousZip {
        PreviousZip {
            file: Some(file),
            ..PreviousZip::new(path, entry_keys)
        }
    }

    /// The zip, read from the handle it was checked through when there is one.
    pub(crate) fn open(&self) -> Result<ZipArchive<BufReader<File>>, AssembleError> {
        let file = match &self.file {
            Some(f) => f.try_clone(),
            None => File::open(&self.path),
        }
        .map_err(|source| AssembleError::Read {
            path: self.path.clone(),
            source,
        })?;
        ZipArchive::new(BufReader::new(file)).map_err(|e| AssembleError::Wheel {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    /// The index of the previous entry `name` when it had this `key`.
    pub(crate) fn lookup(&self, name: &str, key: &str) -> Option<usize> {
        self.by_name
            .get(name)
            .filter(|(_, k)| k == key)
            .map(|(i, _)| *i)
    }

    /// How many entries the previous zip had.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the previous zip was empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Size and mtime of each wheel the entries read from, looked up once per
/// wheel (thousands of entries share a few wheels).
pub(crate) fn wheel_stamps(entries: &[&Entry]) -> HashMap<Arc<PathBuf>, String> {
    let mut stamps = HashMap::new();
    for e in entries {
        if let EntrySource::WheelEntry { wheel, .. } = &e.source {
            if !stamps.contains_key(wheel) {
                stamps.insert(wheel.clone(), super::file_stamp(wheel));
            }
        }
    }
    stamps
}

/// The key of an entry written from `data` (a file, bytes, or a
/// recompressed wheel entry read out).
pub(crate) fn data_key(mode: u32, data: &[u8]) -> String {
    short(&[
        b"data",
        format!("{mode:o}").as_bytes(),
        &Sha256::digest(data),
    ])
}

/// The key of a wheel entry, `None` for other entries.
pub(crate) fn wheel_key(e: &Entry, stamps: &HashMap<Arc<PathBuf>, String>) -> Option<String> {
    let EntrySource::WheelEntry {
        wheel,
        index,
        recompress,
    } = &e.source
    else {
        return None;
    };
    let stamp = stamps.get(wheel).map(String::as_str).unwrap_or("missing");
    Some(short(&[
        b"wheel",
        format!("{:o}", e.mode).as_bytes(),
        wheel.as_os_str().as_encoded_bytes(),
        stamp.as_bytes(),
        index.to_string().as_bytes(),
        if *recompress { b"recompress" } else { b"raw" },
    ]))
}

/// 128 bits of sha256 over length-prefixed parts: plenty to tell versions
/// of one entry apart, and half the state's size.
fn short(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..16])
}

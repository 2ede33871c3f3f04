//! Zip assembly: a plan of entries from every source, written as one
//! byte-reproducible deployment package.
//!
//! Every source (project files, the Chalice runtime files, installed wheels)
//! adds [`Entry`]s to a [`ZipPlan`]. The plan keeps one entry per path
//! (sorted bytewise) and applies the collision rules:
//!
//! - `vendor/` beats every other source, with a warning naming the path
//!   (Chalice writes both entries);
//! - two wheels writing identical bytes to one path is fine (first kept);
//! - anything else writing one path twice is an error naming both sources.
//!
//! [`ZipPlan::write`] then writes the archive to a temp file beside the
//! destination and renames it into place, so a failed run leaves the old
//! file untouched. Output is deterministic: sorted entries, no directory
//! entries, every timestamp 1980-01-01 00:00:00, modes 0644 or 0755, DEFLATE
//! level 6 with the pinned zlib-rs backend; wheel entries are raw-copied
//! (their deflate stream is reused as-is, no recompression).
//!
//! ```
//! use grail::assemble::{Entry, Origin, ZipPlan};
//! let dir = tempfile::tempdir().unwrap();
//! let mut plan = ZipPlan::default();
//! plan.add(Entry::bytes("app.py", b"print('hi')\n".to_vec(), 0o644, Origin::ChaliceRuntime)).unwrap();
//! let summary = plan.write(&dir.path().join("deployment.zip")).unwrap();
//! assert_eq!(summary.entries, 1);
//! ```

pub mod chalice_cache;
mod fail_once;
pub mod reuse;
pub mod templates;

pub use reuse::PreviousZip;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, PreparedZipFile, System, ZipArchive, ZipWriter};

use crate::error::{Classify, ExitKind};
use crate::project::FileOrigin;

/// The deflate level every written (not raw-copied) entry uses. Part of the
/// byte-reproducibility promise together with the pinned zip/zlib-rs crates.
pub const DEFLATE_LEVEL: i64 = 6;

/// Where an entry comes from: decides collision precedence and where its
/// bytes are counted in the report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// `app.py`, `chalicelib/…` or `vendor/…`.
    Project(FileOrigin),
    /// `chalice/app.py` and `chalice/__init__.py`.
    ChaliceRuntime,
    /// A file installed from a wheel.
    Wheel {
        /// Normalised package name. Ex) `six`
        package: String,
        /// The wheel file name. Ex) `six-1.17.0-py2.py3-none-any.whl`
        file: String,
        /// Whether the wheel itself came from `vendor/`.
        vendored: bool,
    },
}

impl Origin {
    /// Whether this entry came from the user's `vendor/` directory.
    pub fn is_vendor(&self) -> bool {
        matches!(
            self,
            Origin::Project(FileOrigin::Vendor) | Origin::Wheel { vendored: true, .. }
        )
    }

    /// A human description. Ex) `wheel six-1.17.0-py2.py3-none-any.whl`
    pub fn describe(&self) -> String {
        match self {
            Origin::Project(o) => o.label().to_string(),
            Origin::ChaliceRuntime => "the chalice runtime".to_string(),
            Origin::Wheel { file, vendored, .. } => {
                if *vendored {
                    format!("vendor/{file}")
                } else {
                    format!("wheel {file}")
                }
            }
        }
    }

    /// The bucket this entry's bytes are counted under. Ex) `six`, `<app>`
    pub fn bucket(&self) -> String {
        match self {
            Origin::Project(FileOrigin::Vendor) => "<vendor>".to_string(),
            Origin::Project(_) => "<app>".to_string(),
            Origin::ChaliceRuntime => "<chalice-runtime>".to_string(),
            Origin::Wheel { package, .. } => package.clone(),
        }
    }
}

/// Where an entry's bytes are read from.
#[derive(Clone, Debug)]
pub enum EntrySource {
    /// A file on disk (symlinks followed).
    File(PathBuf),
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
    /// Entry `index` of the wheel at `wheel`: raw-copied (its compressed
    /// bytes reused) unless `recompress` is set, which it must be when the
    /// entry is remapped (`.data/purelib/…`) or not Stored/Deflated.
    WheelEntry {
        /// The wheel file.
        wheel: Arc<PathBuf>,
        /// Index in the wheel's central directory.
        index: usize,
        /// Decompress and write anew instead of raw-copying.
        recompress: bool,
    },
}

/// One file of the deployment package.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `/`-separated path in the zip. Ex) `chalicelib/db.py`
    pub name: String,
    /// Where the bytes come from.
    pub source: EntrySource,
    /// 0o644 or 0o755.
    pub mode: u32,
    /// Which source added it.
    pub origin: Origin,
    /// `(crc32, size)` when known up front (wheel entries), to tell
    /// identical duplicates from conflicting ones.
    pub fingerprint: Option<(u32, u64)>,
}

impl Entry {
    /// An entry with in-memory content.
    pub fn bytes(name: &str, data: Vec<u8>, mode: u32, origin: Origin) -> Entry {
        Entry {
            name: name.to_string(),
            fingerprint: Some((crc32(&data), data.len() as u64)),
            source: EntrySource::Bytes(Arc::new(data)),
            mode,
            origin,
        }
    }

    /// An entry read from a file on disk.
    pub fn file(name: &str, path: PathBuf, mode: u32, origin: Origin) -> Entry {
        Entry {
            name: name.to_string(),
            source: EntrySource::File(path),
            mode,
            origin,
            fingerprint: None,
        }
    }
}

impl Entry {
    /// Uncompressed size, known before writing: in-memory length, the wheel's
    /// central directory, or the file's metadata (0 if it cannot be read; the
    /// write then reports the error).
    pub fn unzipped_size(&self) -> u64 {
        match &self.source {
            EntrySource::Bytes(b) => b.len() as u64,
            EntrySource::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            EntrySource::WheelEntry { .. } => self.fingerprint.map(|f| f.1).unwrap_or(0),
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut h = flate2::Crc::new();
    h.update(data);
    h.sum()
}

/// Why the package could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// Two sources write different content to one path.
    #[error("{path} is written by both {first} and {second} with different content; remove one of them (or put the one you want in vendor/, which wins)")]
    Conflict {
        /// The zip path.
        path: String,
        /// The first source.
        first: String,
        /// The second source.
        second: String,
    },
    /// A source file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A wheel could not be read as a zip.
    #[error("cannot read wheel {path}: {message}")]
    Wheel {
        /// The wheel.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The destination.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl Classify for AssembleError {
    /// What goes into the zip is the project's choice (its files, vendor/): exit 1.
    fn exit_kind(&self) -> ExitKind {
        ExitKind::Usage
    }
}

/// The entries of one zip, keyed and sorted by path.
#[derive(Debug, Default)]
pub struct ZipPlan {
    entries: BTreeMap<String, Entry>,
    warnings: Vec<String>,
    /// A previous zip to raw-copy unchanged entries from ([`reuse`]).
    previous: Option<PreviousZip>,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipSummary {
    /// The final path.
    pub path: PathBuf,
    /// Size of the zip file.
    pub zipped_bytes: u64,
    /// Sum of the entries' uncompressed sizes.
    pub unzipped_bytes: u64,
    /// Number of entries.
    pub entries: usize,
    /// Lower-case hex sha256 of the zip file.
    pub sha256: String,
    /// Unzipped bytes per [`Origin::bucket`].
    pub bytes_by_bucket: BTreeMap<String, u64>,
    /// `(name, key)` of every entry, in zip order (see [`reuse`]): what a
    /// later write needs to raw-copy from this zip.
    pub entry_keys: Vec<(String, String)>,
    /// Entries raw-copied from the [`PreviousZip`] (0 without one).
    pub reused: usize,
}

impl ZipPlan {
    /// Add an entry, applying the collision rules.
    pub fn add(&mut self, entry: Entry) -> Result<(), AssembleError> {
        let Some(existing) = self.entries.get(&entry.name) else {
            self.entries.insert(entry.name.clone(), entry);
            return Ok(());
        };
        let (old_vendor, new_vendor) = (existing.origin.is_vendor(), entry.origin.is_vendor());
        if new_vendor && !old_vendor {
            self.warnings.push(format!(
                "{} from {} overrides the copy from {}",
                entry.name,
                entry.origin.describe(),
                existing.origin.describe()
            ));
            self.entries.insert(entry.name.clone(), entry);
            return Ok(());
        }
        if old_vendor && !new_vendor {
            self.warnings.push(format!(
                "{} from {} overrides the copy from {}",
                entry.name,
                existing.origin.describe(),
                entry.origin.describe()
            ));
            return Ok(());
        }
        if existing.fingerprint.is_some() && existing.fingerprint == entry.fingerprint {
            return Ok(());
        }
        Err(AssembleError::Conflict {
            path: entry.name.clone(),
            first: existing.origin.describe(),
            second: entry.origin.describe(),
        })
    }

    /// The same plan with every path under `prefix` (a Lambda layer's
    /// `python/lib/python3.X/site-packages/`). Wheel entries are then
    /// recompressed: a raw copy cannot both rename and re-time an entry.
    pub fn into_prefixed(self, prefix: &str) -> ZipPlan {
        let entries = self
            .entries
            .into_values()
            .map(|mut e| {
                e.name = format!("{prefix}{}", e.name);
                if let EntrySource::WheelEntry { recompress, .. } = &mut e.source {
                    *recompress = true;
                }
                (e.name.clone(), e)
            })
            .collect();
        ZipPlan {
            entries,
            warnings: self.warnings,
            previous: self.previous,
        }
    }

    /// Raw-copy every entry whose name and key match one of `previous`'s
    /// (see [`reuse`]); the output is the same as without it.
    pub fn reuse(&mut self, previous: PreviousZip) {
        self.previous = Some(previous);
    }

    /// Warnings produced by collisions so far.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The planned entries, sorted by path.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Sum of the planned entries' uncompressed sizes (for the budget,
    /// before anything is written).
    pub fn unzipped_bytes(&self) -> u64 {
        self.entries.values().map(Entry::unzipped_size).sum()
    }

    /// Number of planned entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Write the zip to `dest` atomically (temp file in the same directory,
    /// then rename).
    pub fn write(&self, dest: &Path) -> Result<ZipSummary, AssembleError> {
        let werr = |message: String| AssembleError::Write {
            path: dest.to_path_buf(),
            message,
        };
        let dir = dest.parent().unwrap_or(Path::new("."));
        let tmp = artifact_tempfile(dir, ".grail-", ".zip.tmp").map_err(|e| werr(e.to_string()))?;

        // Decide each entry (reuse, raw wheel copy, or compress) on all
        // cores, in plan order (an ordered collect keeps the output
        // deterministic).
        let entries: Vec<&Entry> = self.entries.values().collect();
        let stamps = reuse::wheel_stamps(&entries);
        let previous = self.previous.as_ref();
        let planned: Vec<(Action, String)> = entries
            .par_iter()
            .map(|e| plan_entry(e, previous, &stamps))
            .collect::<Result<_, _>>()?;

        let file = tmp.as_file().try_clone().map_err(|e| werr(e.to_string()))?;
        // FailOnce: a full disk is reported once, by us, not again by the
        // zip writer's drop.
        let file = fail_once::FailOnce::new(BufWriter::with_capacity(1 << 20, file));
        let mut zip = ZipWriter::new(file);
        let mut sources = Sources::default();
        let mut old = previous.map(PreviousZip::open).transpose()?;
        let mut unzipped = 0u64;
        let mut by_bucket: BTreeMap<String, u64> = BTreeMap::new();
        let mut entry_keys = Vec::with_capacity(entries.len());
        let mut reused = 0;
        for (entry, (action, key)) in entries.iter().zip(planned) {
            let size = match action {
                Action::Prepared(p) => {
                    let size = p.uncompressed_size();
                    zip.add_prepared_file(p).map_err(|e| werr(e.to_string()))?;
                    size
                }
                Action::RawWheel { wheel, index } => {
                    let archive = sources.open(&wheel)?;
                    copy_raw(&mut zip, archive, &wheel, index, entry.mode, dest)?
                }
                Action::Reuse(index) => {
                    reused += 1;
                    let (Some(archive), Some(p)) = (old.as_mut(), previous) else {
                        unreachable!("only entries of a previous zip are reused")
                    };
                    copy_raw(&mut zip, archive, &p.path, index, entry.mode, dest)?
                }
            };
            unzipped += size;
            *by_bucket.entry(entry.origin.bucket()).or_default() += size;
            entry_keys.push((entry.name.clone(), key));
        }
        let mut w = zip.finish().map_err(|e| werr(e.to_string()))?;
        w.flush().map_err(|e| werr(e.to_string()))?;
        drop(w);
        // No fsync: the rename is atomic for readers and for an interrupted
        // run; durability across power loss is not worth ~100 ms per build.

        let (zipped_bytes, sha256) = hash_file(tmp.path()).map_err(|e| werr(e.to_string()))?;
        tmp.persist(dest).map_err(|e| werr(e.error.to_string()))?;
        Ok(ZipSummary {
            path: dest.to_path_buf(),
            zipped_bytes,
            unzipped_bytes: unzipped,
            entries: entries.len(),
            sha256,
            bytes_by_bucket: by_bucket,
            entry_keys,
            reused,
        })
    }
}

/// How one entry gets into the zip.
enum Action {
    /// Compressed here (in memory, on any core).
    Prepared(PreparedZipFile),
    /// Raw-copied from its wheel.
    RawWheel {
        /// The wheel.
        wheel: Arc<PathBuf>,
        /// Its index there.
        index: usize,
    },
    /// Raw-copied from the previous zip (its index there).
    Reuse(usize),
}

/// The zips entries are raw-copied from, each opened once.
#[derive(Default)]
struct Sources(HashMap<Arc<PathBuf>, ZipArchive<BufReader<File>>>);

impl Sources {
    fn open(
        &mut self,
        path: &Arc<PathBuf>,
    ) -> Result<&mut ZipArchive<BufReader<File>>, AssembleError> {
        if !self.0.contains_key(path) {
            let a = open_wheel(path)?;
            self.0.insert(path.clone(), a);
        }
        self.0.get_mut(path).ok_or_else(|| AssembleError::Wheel {
            path: path.to_path_buf(),
            message: "internal: not opened".into(),
        })
    }
}

/// Raw-copy entry `index` of `archive` with the fixed time and `mode`;
/// returns its uncompressed size.
fn copy_raw<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    archive: &mut ZipArchive<BufReader<File>>,
    from: &Path,
    index: usize,
    mode: u32,
    dest: &Path,
) -> Result<u64, AssembleError> {
    let f = archive
        .by_index_raw(index)
        .map_err(|e| AssembleError::Wheel {
            path: from.to_path_buf(),
            message: e.to_string(),
        })?;
    let size = f.size();
    zip.raw_copy_file_touch(f, DateTime::DEFAULT, Some(mode))
        .map_err(|e| AssembleError::Write {
            path: dest.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(size)
}

/// Decide how `entry` is written: reused from `previous` when its key
/// matches, raw-copied from its wheel, or compressed now. Returns its key.
fn plan_entry(
    entry: &Entry,
    previous: Option<&PreviousZip>,
    stamps: &HashMap<Arc<PathBuf>, String>,
) -> Result<(Action, String), AssembleError> {
    let reused = |key: &str| previous.and_then(|p| p.lookup(&entry.name, key));
    if let Some(key) = reuse::wheel_key(entry, stamps) {
        if let Some(i) = reused(&key) {
            return Ok((Action::Reuse(i), key));
        }
        if let EntrySource::WheelEntry {
            wheel,
            index,
            recompress: false,
        } = &entry.source
        {
            let (wheel, index) = (wheel.clone(), *index);
            return Ok((Action::RawWheel { wheel, index }, key));
        }
        let data = read_data(entry)?;
        return Ok((Action::Prepared(compress(entry, &data)?), key));
    }
    let data = read_data(entry)?;
    let key = reuse::data_key(entry.mode, &data);
    match reused(&key) {
        Some(i) => Ok((Action::Reuse(i), key)),
        None => Ok((Action::Prepared(compress(entry, &data)?), key)),
    }
}

/// The options every written entry uses.
/// A temp file for an artifact that is renamed into place when complete.
///
/// A temp file is created 0600 by default, so a renamed artifact would stay
/// unreadable to anyone else (a CI step or container running as another
/// user), while Chalice's plain writes give 0644 under a 022 umask. Asking
/// for 0666 at creation lets the kernel apply the process umask (and any
/// default ACL) exactly as it does for a plain `File::create`, with no need
/// to read the umask (reading it means setting it, which races with other
/// threads creating files).
pub fn artifact_tempfile(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

fn options(mode: u32) -> SimpleFileOptions {
    SimpleFileOptions::DEFAULT
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(DateTime::DEFAULT)
        .system(System::Unix)
        .unix_permissions(mode)
}

fn open_wheel(path: &Path) -> Result<ZipArchive<BufReader<File>>, AssembleError> {
    let f = File::open(path).map_err(|source| AssembleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    ZipArchive::new(BufReader::new(f)).map_err(|e| AssembleError::Wheel {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The uncompressed content of an entry that is written (not raw-copied).
fn read_data(entry: &Entry) -> Result<Vec<u8>, AssembleError> {
    match &entry.source {
        EntrySource::File(path) => std::fs::read(path).map_err(|source| AssembleError::Read {
            path: path.clone(),
            source,
        }),
        EntrySource::Bytes(b) => Ok(b.to_vec()),
        EntrySource::WheelEntry { wheel, index, .. } => {
            let mut archive = open_wheel(wheel)?;
            let mut f = archive.by_index(*index).map_err(|e| AssembleError::Wheel {
                path: wheel.to_path_buf(),
                message: e.to_string(),
            })?;
            // Never more than the entry declared (checked against the budget).
            let declared = f.size();
            crate::wheel::read_capped(&mut f, declared).map_err(|e| AssembleError::Wheel {
                path: wheel.to_path_buf(),
                message: format!("entry {index}: {e}"),
            })
        }
    }
}

/// Compress an entry in memory.
fn compress(entry: &Entry, data: &[u8]) -> Result<PreparedZipFile, AssembleError> {
    PreparedZipFile::from_data(&entry.name, options(entry.mode), data).map_err(|e| {
        AssembleError::Write {
            path: PathBuf::from(&entry.name),
            message: e.to_string(),
        }
    })
}

/// Size and modification time of a file, `missing` when it cannot be read:
/// a cheap stamp for files that are not hashed (wheels in the cache, the
/// interpreter, grail itself). Ex) `1234:1700000000000000000`
pub fn file_stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{}:{mtime}", m.len())
        }
        Err(_) => "missing".to_string(),
    }
}

/// Size and lower-case hex sha256 of a file.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    f.rewind()?;
    Ok((n, hex::encode(h.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &Path) -> Vec<(String, u32, DateTime)> {
        let mut a = ZipArchive::new(File::open(path).unwrap()).unwrap();
        (0..a.len())
            .map(|i| {
                let f = a.by_index(i).unwrap();
                (
                    f.name().unwrap().to_string(),
                    f.unix_mode().unwrap(),
                    f.last_modified().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn sorted_fixed_time_modes_and_reproducible() {
        let t = tempfile::tempdir().unwrap();
        let build = |dest: &Path| {
            let mut plan = ZipPlan::default();
            // Added out of order on purpose.
            plan.add(Entry::bytes(
                "b.py",
                b"b".to_vec(),
                0o644,
                Origin::Project(FileOrigin::Chalicelib),
            ))
            .unwrap();
            plan.add(Entry::bytes(
                "a/x.sh",
                b"#!".to_vec(),
                0o755,
                Origin::Project(FileOrigin::Vendor),
            ))
            .unwrap();
            plan.add(Entry::bytes(
                "B.py",
                b"B".to_vec(),
                0o644,
                Origin::Project(FileOrigin::App),
            ))
            .unwrap();
            plan.write(dest).unwrap()
        };
        let s1 = build(&t.path().join("one.zip"));
        let s2 = build(&t.path().join("two.zip"));
        assert_eq!(s1.sha256, s2.sha256);
        let got = names(&t.path().join("one.zip"));
        let order: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(order, ["B.py", "a/x.sh", "b.py"]);
        assert_eq!(got[1].1 & 0o777, 0o755);
        assert_eq!(got[0].1 & 0o777, 0o644);
        assert!(got.iter().all(|g| g.2 == DateTime::DEFAULT));
    }

    #[test]
    fn vendor_wins_with_warning_and_conflicts_are_errors() {
        let mut plan = ZipPlan::default();
        let wheel = Origin::Wheel {
            package: "six".into(),
            file: "six-1.17.0-py2.py3-none-any.whl".into(),
            vendored: false,
        };
        plan.add(Entry::bytes(
            "six.py",
            b"wheel".to_vec(),
            0o644,
            wheel.clone(),
        ))
        .unwrap();
        plan.add(Entry::bytes(
            "six.py",
            b"mine".to_vec(),
            0o644,
            Origin::Project(FileOrigin::Vendor),
        ))
        .unwrap();
        assert_eq!(plan.warnings().len(), 1);
        assert!(plan.warnings()[0].contains("six.py"));
        // Identical duplicate from another wheel: fine.
        plan.add(Entry::bytes("x.py", b"same".to_vec(), 0o644, wheel.clone()))
            .unwrap();
        let other = Origin::Wheel {
            package: "other".into(),
            file: "other-1-py3-none-any.whl".into(),
            vendored: false,
        };
        plan.add(Entry::bytes("x.py", b"same".to_vec(), 0o644, other.clone()))
            .unwrap();
        let err = plan
            .add(Entry::bytes("x.py", b"different".to_vec(), 0o644, other))
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("x.py") && msg.contains("six-1.17.0") && msg.contains("other-1"),
            "{msg}"
        );
    }

    #[test]
    fn failed_write_leaves_destination_untouched() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("deployment.zip");
        std::fs::write(&dest, b"old").unwrap();
        let mut plan = ZipPlan::default();
        plan.add(Entry::file(
            "gone.py",
            t.path().join("does-not-exist.py"),
            0o644,
            Origin::Project(FileOrigin::Chalicelib),
        ))
        .unwrap();
        let err = plan.write(&dest).unwrap_err();
        assert!(err.to_string().contains("does-not-exist.py"));
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        let leftovers: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }

    #[test]
    fn raw_copies_wheel_entries() {
        let t = tempfile::tempdir().unwrap();
        let whl = t.path().join("w-1.0-py3-none-any.whl");
        {
            let mut z = ZipWriter::new(File::create(&whl).unwrap());
            z.start_file("w/__init__.py", SimpleFileOptions::DEFAULT)
                .unwrap();
            z.write_all(b"hello").unwrap();
            z.start_file("w-1.0.data/purelib/extra.py", SimpleFileOptions::DEFAULT)
                .unwrap();
            z.write_all(b"extra").unwrap();
            z.finish().unwrap();
        }
        let wheel = Arc::new(whl);
        let origin = Origin::Wheel {
            package: "w".into(),
            file: "w-1.0-py3-none-any.whl".into(),
            vendored: false,
        };
        let mut plan = ZipPlan::default();
        for (index, name, renamed) in [(0, "w/__init__.py", false), (1, "extra.py", true)] {
            plan.add(Entry {
                name: name.into(),
                source: EntrySource::WheelEntry {
                    wheel: wheel.clone(),
                    index,
                    recompress: renamed,
                },
                mode: 0o644,
                origin: origin.clone(),
                fingerprint: None,
            })
            .unwrap();
        }
        let s = plan.write(&t.path().join("d.zip")).unwrap();
        assert_eq!(s.unzipped_bytes, 10);
        assert_eq!(s.bytes_by_bucket["w"], 10);
        let mut a = ZipArchive::new(File::open(t.path().join("d.zip")).unwrap()).unwrap();
        let mut out = String::new();
        a.by_name("extra.py")
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "extra");
        assert_eq!(
            a.by_name("w/__init__.py").unwrap().last_modified().unwrap(),
            DateTime::DEFAULT
        );
    }

    /// A wheel with two entries written by another tool's options (an
    /// extended timestamp, stored and deflated), for raw copies.
    fn sample_wheel(dir: &Path) -> Arc<PathBuf> {
        let whl = dir.join("w-1.0-py3-none-any.whl");
        let mut z = ZipWriter::new(File::create(&whl).unwrap());
        let opts = SimpleFileOptions::DEFAULT
            .last_modified_time(DateTime::from_date_and_time(2020, 5, 6, 7, 8, 10).unwrap());
        z.start_file("w/__init__.py", opts).unwrap();
        z.write_all(&b"hello ".repeat(100)).unwrap();
        z.start_file(
            "w/stored.txt",
            opts.compression_method(CompressionMethod::Stored),
        )
        .unwrap();
        z.write_all(b"stored").unwrap();
        z.start_file("w-1.0.data/purelib/extra.py", opts).unwrap();
        z.write_all(b"extra").unwrap();
        z.finish().unwrap();
        Arc::new(whl)
    }

    fn mixed_plan(wheel: &Arc<PathBuf>, app: &[u8], with_lib: bool) -> ZipPlan {
        let origin = Origin::Wheel {
            package: "w".into(),
            file: "w-1.0-py3-none-any.whl".into(),
            vendored: false,
        };
        let mut plan = ZipPlan::default();
        for (index, name, recompress) in [
            (0, "w/__init__.py", false),
            (1, "w/stored.txt", false),
            (2, "extra.py", true),
        ] {
            plan.add(Entry {
                name: name.into(),
                source: EntrySource::WheelEntry {
                    wheel: wheel.clone(),
                    index,
                    recompress,
                },
                mode: 0o644,
                origin: origin.clone(),
                fingerprint: None,
            })
            .unwrap();
        }
        let project = Origin::Project(FileOrigin::App);
        plan.add(Entry::bytes("app.py", app.to_vec(), 0o644, project.clone()))
            .unwrap();
        if with_lib {
            plan.add(Entry::bytes(
                "chalicelib/x.sh",
                b"#!".to_vec(),
                0o755,
                project,
            ))
            .unwrap();
        }
        plan
    }

    #[test]
    fn reusing_a_previous_zip_is_byte_identical_to_a_clean_write() {
        let t = tempfile::tempdir().unwrap();
        let wheel = sample_wheel(t.path());
        let old = t.path().join("old.zip");
        let first = mixed_plan(&wheel, b"v1", true).write(&old).unwrap();
        for (app, lib, reused) in [
            (&b"v1"[..], true, 5),  // nothing changed: every entry reused
            (&b"v2"[..], true, 4),  // app.py changed
            (&b"v2"[..], false, 3), // and chalicelib/x.sh deleted
            (&b"v1"[..], false, 4),
        ] {
            let clean = mixed_plan(&wheel, app, lib)
                .write(&t.path().join("clean.zip"))
                .unwrap();
            let mut plan = mixed_plan(&wheel, app, lib);
            plan.reuse(PreviousZip::new(old.clone(), &first.entry_keys));
            let inc = plan.write(&t.path().join("inc.zip")).unwrap();
            assert_eq!(inc.reused, reused, "{app:?} {lib}");
            assert_eq!(
                std::fs::read(t.path().join("inc.zip")).unwrap(),
                std::fs::read(t.path().join("clean.zip")).unwrap(),
                "{app:?} {lib}"
            );
            assert_eq!(
                (inc.sha256, inc.entry_keys),
                (clean.sha256, clean.entry_keys)
            );
        }
        // The same for a layer's prefixed (recompressed) plan.
        let layer = |app: &[u8]| mixed_plan(&wheel, app, true).into_prefixed("python/");
        let old_layer = t.path().join("old-layer.zip");
        let first = layer(b"v1").write(&old_layer).unwrap();
        let clean = layer(b"v2").write(&t.path().join("clean.zip")).unwrap();
        let mut plan = layer(b"v2");
        plan.reuse(PreviousZip::new(old_layer, &first.entry_keys));
        let inc = plan.write(&t.path().join("inc.zip")).unwrap();
        assert_eq!((inc.reused, inc.sha256), (4, clean.sha256));
    }

    #[test]
    fn a_changed_wheel_file_is_not_reused() {
        let t = tempfile::tempdir().unwrap();
        let wheel = sample_wheel(t.path());
        let old = t.path().join("old.zip");
        let first = mixed_plan(&wheel, b"v1", true).write(&old).unwrap();
        // Rewritten wheel (another size): its entries are copied from it again.
        std::fs::remove_file(wheel.as_path()).unwrap();
        {
            let mut z = ZipWriter::new(File::create(wheel.as_path()).unwrap());
            for name in [
                "w/__init__.py",
                "w/stored.txt",
                "w-1.0.data/purelib/extra.py",
            ] {
                z.start_file(name, SimpleFileOptions::DEFAULT).unwrap();
                z.write_all(b"new content").unwrap();
            }
            z.finish().unwrap();
        }
        let mut plan = mixed_plan(&wheel, b"v1", true);
        plan.reuse(PreviousZip::new(old, &first.entry_keys));
        let inc = plan.write(&t.path().join("inc.zip")).unwrap();
        assert_eq!(inc.reused, 2);
        let mut a = ZipArchive::new(File::open(t.path().join("inc.zip")).unwrap()).unwrap();
        let mut out = String::new();
        a.by_name("extra.py")
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "new content");
    }
}

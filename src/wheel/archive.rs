//! Opening a wheel archive, planning its install, and verifying it against RECORD.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::checks::{check_directory, DirectoryProblem};
use super::filename::{WheelFilename, WheelFilenameError};
use super::info::{WheelInfo, WheelInfoError};
use super::layout::{check_entry_path, install_action, InstallAction, InstallPathError};
use super::record::{b64, is_record_file, Record, RecordEntry, RecordError};
use super::stream::{digest_capped, read_capped, MAX_TEXT_ENTRY_BYTES};
use crate::error::ExitKind;
use crate::metadata::{CoreMetadata, MetadataError};

/// Why a wheel archive cannot be installed. Every variant names the wheel.
#[derive(Debug, thiserror::Error)]
pub enum WheelError {
    /// The file cannot be read.
    #[error("cannot read wheel {path}")]
    Io {
        /// The wheel file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The zip structure is broken (or an entry's CRC is wrong).
    #[error("wheel {wheel} is not a valid zip archive: {message}")]
    Zip {
        /// The wheel file name.
        wheel: String,
        /// The zip reader's explanation.
        message: String,
    },
    /// See [`WheelFilenameError`].
    #[error(transparent)]
    Filename(#[from] WheelFilenameError),
    /// Missing, ambiguous or mismatching `.dist-info` directory.
    #[error("wheel {wheel}: {message}")]
    DistInfo {
        /// The wheel file name.
        wheel: String,
        /// What is wrong.
        message: String,
    },
    /// A bad `WHEEL` file.
    #[error("wheel {wheel}")]
    WheelInfo {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: WheelInfoError,
    },
    /// A bad `METADATA` file.
    #[error("wheel {wheel}: METADATA")]
    Metadata {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: MetadataError,
    },
    /// A bad `RECORD` file.
    #[error("wheel {wheel}")]
    Record {
        /// The wheel file name.
        wheel: String,
        /// The parse error.
        source: RecordError,
    },
    /// An unsafe or unmappable entry path.
    #[error("wheel {wheel}")]
    Path {
        /// The wheel file name.
        wheel: String,
        /// The path error.
        source: InstallPathError,
    },
    /// Two entries install to the same path.
    #[error("wheel {wheel}: two entries install to {path:?}")]
    Duplicate {
        /// The wheel file name.
        wheel: String,
        /// The target path.
        path: String,
    },
    /// An entry's content does not match RECORD.
    #[error("wheel {wheel}: {entry} does not match RECORD: {message}; the download is corrupt or the wheel was modified")]
    Mismatch {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
        /// Expected vs actual.
        message: String,
    },
    /// A file in the archive is not listed in RECORD.
    #[error("wheel {wheel}: {entry} is not listed in RECORD")]
    NotInRecord {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
    },
    /// A symlink, FIFO or device entry: only regular files are installed.
    #[error("wheel {wheel}: entry {entry} is {kind}; a wheel may only contain regular files, so it is refused")]
    NotRegular {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
        /// Ex) "a symlink"
        kind: &'static str,
    },
    /// Two entries with one name (a zip reader would silently keep one).
    #[error("wheel {wheel}: entry {entry} appears more than once in the archive; refused (which copy is real cannot be told)")]
    DuplicateEntry {
        /// The wheel file name.
        wheel: String,
        /// The entry.
        entry: String,
    },
    /// The declared uncompressed sizes cannot fit in a Lambda function.
    #[error("wheel {wheel} declares {total} bytes uncompressed (largest entry {entry}), more than Lambda's 262,144,000-byte limit; refused before unpacking it")]
    TooLarge {
        /// The wheel file name.
        wheel: String,
        /// The largest entry.
        entry: String,
        /// Declared total.
        total: u64,
    },
    /// A RECORD row names a file the archive lacks.
    #[error("wheel {wheel}: RECORD lists {entry}, which is not in the archive")]
    MissingFile {
        /// The wheel file name.
        wheel: String,
        /// The RECORD path.
        entry: String,
    },
}

/// A wheel that cannot be used, as downloaded or built: a dependency
/// failure (exit 2); one in vendor/ is the project's input: wrapped in
/// [`crate::install::Vendored`], it is exit 1. An archive too large for
/// Lambda is a budget failure (3) wherever it comes from.
impl crate::error::Classify for WheelError {
    fn exit_kind(&self) -> ExitKind {
        match self {
            WheelError::TooLarge { .. } => ExitKind::Budget,
            _ => ExitKind::Dependencies,
        }
    }
}

/// The [`WheelError`] for a refused central directory.
fn directory_error(wheel: &str, problem: DirectoryProblem) -> WheelError {
    let wheel = wheel.to_string();
    match problem {
        DirectoryProblem::NotRegular { entry, kind } => {
            WheelError::NotRegular { wheel, entry, kind }
        }
        DirectoryProblem::Duplicate(entry) => WheelError::DuplicateEntry { wheel, entry },
        DirectoryProblem::TooLarge { entry, total } => WheelError::TooLarge {
            wheel,
            entry,
            total,
        },
    }
}

/// One file entry of a wheel and what to do with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelEntry {
    /// Index in the zip's central directory (for raw copy).
    pub index: usize,
    /// Name in the archive.
    pub name: String,
    /// Where it goes.
    pub target: InstallAction,
    /// Uncompressed size in bytes.
    pub uncompressed_size: u64,
    /// CRC-32 from the central directory.
    pub crc32: u32,
}

/// An opened, checked wheel and its install plan.
#[derive(Debug)]
pub struct WheelArchive {
    /// The wheel file on disk.
    pub path: PathBuf,
    /// Its parsed file name.
    pub filename: WheelFilename,
    /// `{name}-{version}.dist-info` as found in the archive.
    pub dist_info: String,
    /// The parsed `WHEEL`.
    pub wheel_info: WheelInfo,
    /// The parsed `METADATA`.
    pub metadata: CoreMetadata,
    /// The parsed `RECORD`.
    pub record: Record,
    /// Every file entry (directories excluded), in archive order.
    pub entries: Vec<WheelEntry>,
}

/// `name-version` of a `.dist-info` / `.data` directory.
fn split_name_version(stem: &str) -> Option<(&str, &str)> {
    stem.rsplit_once('-')
}

impl WheelArchive {
    /// Open a wheel: read its central directory and `.dist-info`, check paths,
    /// and plan the install. Does not decompress payload files (see
    /// [`WheelArchive::verify`]).
    pub fn open(path: &Path) -> Result<WheelArchive, WheelError> {
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        Self::open_named(path, file_name)
    }

    /// Like [`WheelArchive::open`], for a file stored under another name
    /// (Ex: a content-addressed cache); `file_name` is the wheel's real name.
    ///
    /// A panic inside the zip reader (on an archive grail did not write) is
    /// an error naming the wheel, never a crash.
    pub fn open_named(path: &Path, file_name: &str) -> Result<WheelArchive, WheelError> {
        crate::guard::catch(|| Self::open_unguarded(path, file_name))
            .unwrap_or_else(|panic| Err(zip_error(file_name, reader_failed(&panic))))
    }

    fn open_unguarded(path: &Path, file_name: &str) -> Result<WheelArchive, WheelError> {
        let filename: WheelFilename = file_name.parse()?;
        let wheel = file_name;
        let file = std::fs::File::open(path).map_err(|source| WheelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut zip =
            zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| zip_error(wheel, e))?;
        check_directory(&mut zip, path).map_err(|p| directory_error(wheel, p))?;
        let names = entry_names(&zip, wheel)?;
        let dist_info = Self::find_dist_info(wheel, &filename, &names)?;
        let (wheel_info, metadata, record) =
            read_dist_info(&mut zip, wheel, &filename, &dist_info)?;
        // The `.data` directory shares the dist-info's stem.
        let data_dir = format!("{}.data", dist_info.trim_end_matches(".dist-info"));
        let entries = plan_entries(&mut zip, wheel, names, &data_dir)?;
        Ok(WheelArchive {
            path: path.to_path_buf(),
            filename,
            dist_info,
            wheel_info,
            metadata,
            record,
            entries,
        })
    }

    /// The single top-level `*.dist-info` whose name and version match the file name.
    fn find_dist_info(
        wheel: &str,
        filename: &WheelFilename,
        names: &[String],
    ) -> Result<String, WheelError> {
        let dirs: BTreeSet<&str> = names
            .iter()
            .filter_map(|n| n.split_once('/').map(|(top, _)| top))
            .filter(|top| top.ends_with(".dist-info"))
            .collect();
        let err = |message: String| WheelError::DistInfo {
            wheel: wheel.to_string(),
            message,
        };
        let dir = match dirs.len() {
            0 => return Err(err("no .dist-info directory".into())),
            1 => dirs.into_iter().next().unwrap_or_default(),
            _ => {
                let all: Vec<&str> = dirs.into_iter().collect();
                return Err(err(format!(
                    "more than one .dist-info directory: {}",
                    all.join(", ")
                )));
            }
        };
        let stem = dir.trim_end_matches(".dist-info");
        let (name, version) = split_name_version(stem)
            .ok_or_else(|| err(format!("{dir} is not NAME-VERSION.dist-info")))?;
        if crate::names::normalize(name) != filename.normalized_name() {
            return Err(err(format!(
                "{dir} does not match the file name's project {:?}",
                filename.name
            )));
        }
        let same_version = crate::guard::version(&version.replace('_', "-"))
            .map(|v| v == filename.version)
            .unwrap_or(false);
        if !same_version {
            return Err(err(format!(
                "{dir} does not match the file name's version {}",
                filename.version
            )));
        }
        Ok(dir.to_string())
    }

    /// Total uncompressed bytes of the files that get installed.
    pub fn unzipped_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| matches!(e.target, InstallAction::Install(_)))
            .map(|e| e.uncompressed_size)
            .sum()
    }

    /// The import roots this wheel installs: first path segment of each
    /// installed file, `.dist-info` excluded, `.py` and extension-module
    /// suffixes stripped. Ex) `{"six"}`, `{"yaml", "_yaml"}`
    pub fn top_level_names(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in &self.entries {
            let InstallAction::Install(p) = &e.target else {
                continue;
            };
            match p.split_once('/') {
                Some((dir, _)) => {
                    if !dir.ends_with(".dist-info") && !dir.ends_with(".data") {
                        out.insert(dir.to_string());
                    }
                }
                None => {
                    if let Some(m) = p.strip_suffix(".py") {
                        out.insert(m.to_string());
                    } else if p.ends_with(".so") || p.ends_with(".pyd") {
                        // foo.cpython-312-x86_64-linux-gnu.so → foo
                        let m = p.split('.').next().unwrap_or(p);
                        out.insert(m.to_string());
                    }
                }
            }
        }
        out
    }

    /// Decompress every entry and check it against RECORD (hash and size; the
    /// zip reader also checks each CRC). Files missing from RECORD (other than
    /// RECORD and its signatures) and RECORD rows missing from the archive are
    /// errors. Streams each entry through its hash (never more than its
    /// declared size, never held whole), on all cores with one open file each.
    pub fn verify(&self) -> Result<(), WheelError> {
        crate::guard::catch(|| self.verify_unguarded()).unwrap_or_else(|panic| {
            Err(zip_error(&self.filename.to_string(), reader_failed(&panic)))
        })
    }

    fn verify_unguarded(&self) -> Result<(), WheelError> {
        let wheel = self.filename.to_string();
        let open = || -> Result<zip::ZipArchive<BufReader<File>>, String> {
            let file = File::open(&self.path).map_err(|e| e.to_string())?;
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| e.to_string())
        };
        // Open once here so an unreadable file is reported plainly.
        drop(open().map_err(|message| WheelError::Zip {
            wheel: wheel.clone(),
            message,
        })?);
        let mut by_path: HashMap<&str, &RecordEntry> = HashMap::new();
        for r in &self.record.entries {
            by_path.insert(r.path.as_str(), r);
        }
        let in_archive: HashSet<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
        if let Some(missing) = self
            .record
            .entries
            .iter()
            .find(|r| !in_archive.contains(r.path.as_str()))
        {
            return Err(WheelError::MissingFile {
                wheel,
                entry: missing.path.clone(),
            });
        }
        self.entries
            .par_iter()
            .map_init(open, |zip, entry| match zip {
                // Each worker thread contains its own panics.
                Ok(zip) => crate::guard::catch(|| self.verify_entry(zip, entry, &by_path, &wheel))
                    .unwrap_or_else(|panic| Err(zip_error(&wheel, reader_failed(&panic)))),
                Err(message) => Err(zip_error(&wheel, message.as_str())),
            })
            .collect::<Result<Vec<()>, WheelError>>()?;
        Ok(())
    }

    fn verify_entry(
        &self,
        zip: &mut zip::ZipArchive<BufReader<File>>,
        entry: &WheelEntry,
        record: &HashMap<&str, &RecordEntry>,
        wheel: &str,
    ) -> Result<(), WheelError> {
        let mismatch = |message: String| WheelError::Mismatch {
            wheel: wheel.to_string(),
            entry: entry.name.clone(),
            message,
        };
        let Some(row) = record.get(entry.name.as_str()) else {
            if is_record_file(&entry.name) {
                return Ok(());
            }
            return Err(WheelError::NotInRecord {
                wheel: wheel.to_string(),
                entry: entry.name.clone(),
            });
        };
        let mut file = zip.by_index(entry.index).map_err(|e| WheelError::Zip {
            wheel: wheel.to_string(),
            message: format!("{}: {e}", entry.name),
        })?;
        let algo = row.hash.as_ref().map(|(a, _)| a.as_str());
        let (got, len) = digest_capped(&mut file, algo, entry.uncompressed_size).map_err(|e| {
            WheelError::Zip {
                wheel: wheel.to_string(),
                message: format!("{}: {e}", entry.name),
            }
        })?;
        if let Some(size) = row.size {
            if size != len {
                return Err(mismatch(format!("RECORD size {size}, actual {len}")));
            }
        }
        match &row.hash {
            None if is_record_file(&entry.name) => Ok(()),
            None => Err(mismatch("RECORD has no hash for it".into())),
            Some((algo, want)) => match got {
                None => Err(mismatch(format!(
                    "unsupported hash algorithm {algo:?} (sha256, sha384 or sha512 expected)"
                ))),
                Some(got) if &got != want => Err(mismatch(format!(
                    "RECORD {algo}={}, actual {algo}={}",
                    b64(want),
                    b64(&got)
                ))),
                Some(_) => Ok(()),
            },
        }
    }
}

/// The message for a panic contained while reading an archive.
fn reader_failed(panic: &str) -> String {
    format!("the zip reader failed on it ({panic}); the archive is malformed")
}

/// A zip reader error, naming the wheel.
fn zip_error(wheel: &str, e: impl std::fmt::Display) -> WheelError {
    WheelError::Zip {
        wheel: wheel.to_string(),
        message: e.to_string(),
    }
}

/// The names of every entry, in central-directory order.
fn entry_names<R: Read + std::io::Seek>(
    zip: &zip::ZipArchive<R>,
    wheel: &str,
) -> Result<Vec<String>, WheelError> {
    (0..zip.len())
        .map(|i| {
            let name = zip
                .name_for_index(i)
                .ok_or_else(|| zip_error(wheel, format!("entry {i} has no name")))?
                .map_err(|e| zip_error(wheel, e))?;
            Ok(name.into_owned())
        })
        .collect()
}

/// The bytes of `{dist_info}/{file}`; a missing file is a `.dist-info` error.
fn read_dist_info_file<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    wheel: &str,
    dist_info: &str,
    file: &str,
) -> Result<Vec<u8>, WheelError> {
    let full = format!("{dist_info}/{file}");
    let mut entry = zip.by_name(&full).map_err(|_| WheelError::DistInfo {
        wheel: wheel.to_string(),
        message: format!("{full} is missing"),
    })?;
    if entry.size() > MAX_TEXT_ENTRY_BYTES {
        return Err(zip_error(
            wheel,
            format!(
                "{full} declares {} bytes, more than any real one",
                entry.size()
            ),
        ));
    }
    let cap = entry.size();
    read_capped(&mut entry, cap).map_err(|e| zip_error(wheel, format!("{full}: {e}")))
}

/// The parsed `WHEEL`, `METADATA` and `RECORD` of the wheel's `.dist-info`;
/// `METADATA` must name the project the file name names.
fn read_dist_info<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    wheel: &str,
    filename: &WheelFilename,
    dist_info: &str,
) -> Result<(WheelInfo, CoreMetadata, Record), WheelError> {
    let mut read = |file| read_dist_info_file(zip, wheel, dist_info, file);
    let wheel_info = WheelInfo::parse(&read("WHEEL")?).map_err(|source| WheelError::WheelInfo {
        wheel: wheel.to_string(),
        source,
    })?;
    let metadata =
        CoreMetadata::parse(&read("METADATA")?).map_err(|source| WheelError::Metadata {
            wheel: wheel.to_string(),
            source,
        })?;
    if metadata.normalized_name() != filename.normalized_name() {
        return Err(WheelError::DistInfo {
            wheel: wheel.to_string(),
            message: format!(
                "METADATA names {:?}, the file name says {:?}",
                metadata.name, filename.name
            ),
        });
    }
    let record = Record::parse(&read("RECORD")?).map_err(|source| WheelError::Record {
        wheel: wheel.to_string(),
        source,
    })?;
    Ok((wheel_info, metadata, record))
}

/// The install plan: every file entry with its target, after checking each
/// path is safe and that no two entries install to the same place.
fn plan_entries<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    wheel: &str,
    names: Vec<String>,
    data_dir: &str,
) -> Result<Vec<WheelEntry>, WheelError> {
    let path_err = |source| WheelError::Path {
        wheel: wheel.to_string(),
        source,
    };
    let mut entries = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (index, name) in names.into_iter().enumerate() {
        check_entry_path(&name).map_err(|e| path_err(e.into()))?;
        let entry = zip.by_index_raw(index).map_err(|e| zip_error(wheel, e))?;
        if entry.is_dir() || name.ends_with('/') {
            continue;
        }
        let target = install_action(&name, Some(data_dir)).map_err(path_err)?;
        if let InstallAction::Install(p) = &target {
            if p.is_empty() || !seen.insert(p.clone()) {
                return Err(WheelError::Duplicate {
                    wheel: wheel.to_string(),
                    path: p.clone(),
                });
            }
        }
        entries.push(WheelEntry {
            index,
            name,
            target,
            uncompressed_size: entry.size(),
            crc32: entry.crc32(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;
    use std::io::Write;

    /// Build a wheel in `dir`; `tamper` may edit RECORD rows before writing.
    fn build_wheel(
        dir: &Path,
        file_name: &str,
        files: &[(&str, &[u8])],
        tamper: impl Fn(&mut Vec<String>),
    ) -> PathBuf {
        let path = dir.join(file_name);
        let w: WheelFilename = file_name.parse().unwrap();
        let di = format!("{}-{}.dist-info", w.name, w.version);
        let mut all: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec()))
            .collect();
        all.push((
            format!("{di}/METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
                w.name, w.version
            )
            .into_bytes(),
        ));
        all.push((
            format!("{di}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ));
        let mut rows: Vec<String> = all
            .iter()
            .map(|(n, b)| format!("{n},sha256={},{}", b64(&sha2::Sha256::digest(b)), b.len()))
            .collect();
        rows.push(format!("{di}/RECORD,,"));
        tamper(&mut rows);
        all.push((format!("{di}/RECORD"), rows.join("\n").into_bytes()));
        let mut zw = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in &all {
            zw.start_file(n.as_str(), opts).unwrap();
            zw.write_all(b).unwrap();
        }
        zw.finish().unwrap();
        path
    }

    const FILES: &[(&str, &[u8])] = &[
        ("demo/__init__.py", b"x = 1\n"),
        (
            "demo/_speed.cpython-312-x86_64-linux-gnu.so",
            b"\x7fELF fake",
        ),
        ("demo_helper.py", b"y = 2\n"),
        ("demo-1.0.data/platlib/_demo_ext.so", b"ext"),
        ("demo-1.0.data/scripts/demo", b"#!python\n"),
    ];

    #[test]
    fn open_plans_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let w = WheelArchive::open(&path).unwrap();
        assert_eq!(w.dist_info, "demo-1.0.dist-info");
        assert_eq!(w.metadata.name, "demo");
        let installs: Vec<&str> = w
            .entries
            .iter()
            .filter_map(|e| match &e.target {
                InstallAction::Install(p) => Some(p.as_str()),
                InstallAction::Drop(_) => None,
            })
            .collect();
        assert!(installs.contains(&"_demo_ext.so"));
        assert!(installs.contains(&"demo-1.0.dist-info/RECORD"));
        assert!(!installs.iter().any(|p| p.contains("scripts")));
        let names: Vec<String> = w.top_level_names().into_iter().collect();
        assert_eq!(names, ["_demo_ext", "demo", "demo_helper"]);
        let dropped = 9; // b"#!python\n"
        let total: u64 = w.entries.iter().map(|e| e.uncompressed_size).sum();
        assert_eq!(w.unzipped_bytes(), total - dropped);
        w.verify().unwrap();
    }

    #[test]
    fn record_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let name = "demo-1.0-py3-none-any.whl";
        // Wrong hash.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows[0] = format!(
                "demo/__init__.py,sha256={},6",
                b64(&sha2::Sha256::digest(b"x"))
            );
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(matches!(e, WheelError::Mismatch { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(name) && msg.contains("demo/__init__.py"),
            "{msg}"
        );
        // Wrong size.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows[2] = rows[2].replace(",6", ",7");
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(e.to_string().contains("size 7, actual 6"), "{e}");
        // Not in RECORD.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows.remove(1);
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(matches!(e, WheelError::NotInRecord { .. }), "{e}");
        // In RECORD, not in the archive.
        let p = build_wheel(dir.path(), name, FILES, |rows| {
            rows.push("demo/ghost.py,sha256=abc,1".into());
        });
        let e = WheelArchive::open(&p).unwrap().verify().unwrap_err();
        assert!(e.to_string().contains("demo/ghost.py"), "{e}");
    }

    #[test]
    fn open_rejects_bad_archives() {
        let dir = tempfile::tempdir().unwrap();
        let p = build_wheel(
            dir.path(),
            "demo-1.0-py3-none-any.whl",
            &[("../evil.py", b"x")],
            |_| {},
        );
        // The chain printer (as the CLI prints errors) shows the cause.
        let e = crate::error::Failure::from(WheelArchive::open(&p).unwrap_err());
        assert!(e.to_string().contains("'..'"), "{e}");
        let p = build_wheel(
            dir.path(),
            "demo-1.0-py3-none-any.whl",
            &[("demo-1.0.data/platlib/x.py", b"x"), ("x.py", b"x")],
            |_| {},
        );
        assert!(matches!(
            WheelArchive::open(&p).unwrap_err(),
            WheelError::Duplicate { .. }
        ));
        // A wheel cached under another name opens with its real name.
        let p = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let cached = dir.path().join("0123abcd");
        std::fs::rename(&p, &cached).unwrap();
        let w = WheelArchive::open_named(&cached, "demo-1.0-py3-none-any.whl").unwrap();
        w.verify().unwrap();
        assert!(WheelArchive::open(&cached).is_err());
        // dist-info version does not match the file name.
        let p = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", FILES, |_| {});
        let renamed = dir.path().join("demo-2.0-py3-none-any.whl");
        std::fs::rename(&p, &renamed).unwrap();
        let e = WheelArchive::open(&renamed).unwrap_err();
        assert!(e.to_string().contains("version"), "{e}");
        let not_zip = dir.path().join("junk-1.0-py3-none-any.whl");
        std::fs::write(&not_zip, b"hello").unwrap();
        assert!(matches!(
            WheelArchive::open(&not_zip).unwrap_err(),
            WheelError::Zip { .. }
        ));
    }

    #[test]
    fn an_entry_yielding_more_than_it_declared_is_refused_while_streaming() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![0u8; 1 << 20];
        let files: &[(&str, &[u8])] = &[("demo/big.py", &big)];
        let p = build_wheel(dir.path(), "demo-1.0-py3-none-any.whl", files, |rows| {
            // RECORD agrees with the lie, so only the cap can catch it.
            rows[0] = rows[0].replace(",1048576", ",100");
        });
        // Rewrite the declared size (central directory and local header) to 100.
        let mut bytes = std::fs::read(&p).unwrap();
        let name = b"demo/big.py";
        for (sig, size_at) in [(b"PK\x01\x02", 24), (b"PK\x03\x04", 22)] {
            let at = (0..bytes.len() - 4)
                .find(|&i| {
                    &bytes[i..i + 4] == sig && bytes[i..].starts_with(sig) && {
                        let n = if sig == b"PK\x01\x02" { 46 } else { 30 };
                        bytes[i + n..].starts_with(name)
                    }
                })
                .unwrap();
            bytes[at + size_at..at + size_at + 4].copy_from_slice(&100u32.to_le_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        let w = WheelArchive::open(&p).unwrap();
        let e = w.verify().unwrap_err();
        assert!(matches!(e, WheelError::Zip { .. }), "{e}");
        assert!(e.to_string().contains("demo/big.py"), "{e}");
    }
}

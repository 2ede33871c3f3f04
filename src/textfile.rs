//! Reading a file the user controls: only regular files, never unbounded.
//!
//! grail reads text it did not write (requirements files and their `-r`
//! includes, `.chalice/config.json`, layer manifests, vendored METADATA and
//! RECORD). A FIFO there would block forever and `/dev/zero` would grow
//! memory until the kernel kills the process, so every such read goes
//! through [`read_user_file`]: anything that is not a regular file after
//! following symlinks is refused, the open never blocks, and more than a cap
//! is refused. Errors are `io::Error`s (so callers keep naming the file and
//! treating `NotFound` as they did) whose text says what is wrong.
//!
//! ```
//! use grail::textfile::{read_user_file, MAX_TEXT_FILE_BYTES};
//! let dir = tempfile::tempdir().unwrap();
//! let p = dir.path().join("requirements.txt");
//! std::fs::write(&p, "six\n").unwrap();
//! assert_eq!(read_user_file(&p, MAX_TEXT_FILE_BYTES).unwrap(), b"six\n");
//! let e = read_user_file(std::path::Path::new("/dev/zero"), MAX_TEXT_FILE_BYTES).unwrap_err();
//! assert!(e.to_string().contains("a character device, not a regular file"));
//! ```

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The most grail reads of one user text file (requirements, config,
/// manifests, METADATA, RECORD): far above any real one.
pub const MAX_TEXT_FILE_BYTES: u64 = 32 << 20;

/// What a file is when it is not a regular file or a directory.
fn kind_of(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(m: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {}, not a regular file (grail reads only regular files)",
            kind_of(m)
        ),
    )
}

/// The metadata of `path` (symlinks followed) when it is a regular file;
/// otherwise an `InvalidInput` error saying what it is.
pub fn check_regular(path: &Path) -> io::Result<Metadata> {
    let m = std::fs::metadata(path)?;
    if m.is_file() {
        Ok(m)
    } else {
        Err(not_regular(&m))
    }
}

/// Open a regular file for reading without ever blocking on a FIFO swapped
/// in after the check (non-blocking open, then the open file is re-checked).
pub fn open_regular(path: &Path) -> io::Result<File> {
    check_regular(path)?;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_regular(&m));
    }
    Ok(f)
}

/// The bytes of the user's file `path`: a regular file (after following
/// symlinks) of at most `cap` bytes, else an error saying which rule failed.
pub fn read_user_file(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let f = open_regular(path)?;
    let mut out = Vec::new();
    f.take(cap.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {cap} bytes, more than grail reads of such a file"),
        ));
    }
    Ok(out)
}

/// [`read_user_file`] with the shared cap, as UTF-8 (an `InvalidData` error
/// otherwise).
pub fn read_user_text(path: &Path) -> io::Result<String> {
    let bytes = read_user_file(path, MAX_TEXT_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_and_directories_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other effect.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read_user_file(&fifo, 10).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        // A symlink to a device is followed, then refused.
        let link = dir.path().join("requirements.txt");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_user_file(&link, 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let e = read_user_file(dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        // Missing stays NotFound (callers treat it specially).
        let e = read_user_file(&dir.path().join("nope"), 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn size_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, [b'x'; 11]).unwrap();
        assert!(read_user_file(&p, 10)
            .unwrap_err()
            .to_string()
            .contains("larger than 10"));
        assert_eq!(read_user_file(&p, 11).unwrap().len(), 11);
    }
}

//! A writer that fails once: after its first error it accepts and discards
//! everything. A `ZipWriter` dropped after a failed write finalizes its
//! archive on drop and prints that second failure itself (`ZipWriter::drop:
//! failed to finalize archive: Io(…)`); with this below it, the drop writes
//! into nothing and the caller reports the first error alone. The archive
//! being written is a temporary file that is discarded on error anyway.

use std::io::{self, Seek, SeekFrom, Write};

/// Wraps `W`; see the module docs.
pub(super) struct FailOnce<W> {
    inner: W,
    failed: bool,
}

impl<W> FailOnce<W> {
    pub(super) fn new(inner: W) -> FailOnce<W> {
        FailOnce {
            inner,
            failed: false,
        }
    }

    fn note<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        self.failed |= result.is_err();
        result
    }
}

impl<W: Write> Write for FailOnce<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.note(result)
    }
}

impl<W: Seek> Seek for FailOnce<W> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        if self.failed {
            return Ok(0);
        }
        let result = self.inner.seek(pos);
        self.note(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a full device the first error is returned, then everything is
    /// swallowed; a zip written there fails with that error.
    #[test]
    fn a_full_device_fails_once() {
        let open = || std::fs::OpenOptions::new().write(true).open("/dev/full");
        let Ok(full) = open() else {
            return; // not Linux: nothing to test against
        };
        let mut w = FailOnce::new(full);
        let err = w.write(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "{err}");
        assert_eq!(w.write(b"more").unwrap(), 4);
        assert!(w.flush().is_ok());

        let mut zip = zip::ZipWriter::new(FailOnce::new(io::BufWriter::new(open().unwrap())));
        let result = (|| -> zip::result::ZipResult<()> {
            zip.start_file("a", zip::write::SimpleFileOptions::default())?;
            zip.write_all(&vec![7u8; 4 << 20])?;
            Ok(())
        })();
        let err = result.unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        // The drop finalizes into nothing: silent (checked end to end).
        drop(zip);
    }
}

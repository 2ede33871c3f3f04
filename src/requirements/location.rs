//! Where a line of a requirements file is: the file as reached and the line number.
//!
//! Errors and warnings both point here, so it sits below both.

use std::fmt;
use std::path::PathBuf;

/// Where a logical line starts: the file as it was reached (top-level path
/// joined with `-r`/`-c` paths) and the 1-based number of its first physical line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The requirements or constraints file.
    pub file: PathBuf,
    /// 1-based line number of the first physical line of a continued line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

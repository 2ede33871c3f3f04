//! `requirements.txt` as pip reads it.
//!
//! The parser follows pip's own requirements-file reader (pip 23–25) step by
//! step, so a file that works with `chalice package` means the same thing here:
//!
//! 1. split into lines (Python's `str.splitlines`), join lines that end in `\`
//!    (not comment lines), keeping the number of the first physical line;
//! 2. strip comments: a `#` at the start of a line or preceded by whitespace
//!    (`pkg @ https://host/a.whl#sha256=…` keeps its fragment);
//! 3. expand `${NAME}` (NAME made of `A-Z`, `0-9`, `_`) from the environment;
//!    unset or empty variables are left as written;
//! 4. split the line at the first space-separated token starting with `-`:
//!    the part before is the requirement, the rest is split like a shell
//!    (`shlex`) and parsed like pip's optparse parser (`--opt=value`,
//!    `--opt value`, `-ovalue`, `-o value`, unique abbreviations of long names).
//!
//! What grail supports, and what it does with the rest:
//!
//! | line | effect |
//! | --- | --- |
//! | `name[extra]>=1 ; marker` | a registry requirement |
//! | `name @ https://host/name-1.0-py3-none-any.whl` | a wheel URL |
//! | `./wheels/name-1.0-py3-none-any.whl`, `name @ file:///abs/name.whl` | a local wheel (relative paths against the requirements file's directory) |
//! | `-r FILE`, `-c FILE` | include requirements / constraints, relative to the including file |
//! | `-i/--index-url`, `--extra-index-url`, `-f/--find-links`, `--no-index`, `--pre` | recorded in order in [`RequirementsFile::options`], merged by [`crate::index::effective_index_options`] |
//! | `--hash=sha256:…` (also sha384, sha512), `--require-hashes` | hash-checking mode, as pip: every requirement needs a hash |
//! | `--trusted-host`, `--prefer-binary`, `--only-binary` | recorded ([`FileIndexOption`]) |
//! | `--no-binary`, `--use-feature`, `--global-option`, `-C/--config-settings` | accepted and ignored with a [`Warning`] (grail installs wheels, nothing is built) |
//! | `-e/--editable`, VCS URLs (`git+…`), directories, sdists, `ftp:` | an error saying what to do instead |
//! | options pip does not know in requirements files | an error (pip fails on them too) |
//!
//! Every error carries the file and the 1-based line number ([`RequirementsError`]).
//!
//! Intended call sequence (the CLI):
//!
//! 1. `if !has_at_least_one_package_file(&requirements_path(project))?` → nothing to
//!    resolve (Chalice does not even run pip then);
//! 2. [`parse_requirements`] with the process environment;
//! 3. [`RequirementsFile::check_hashes`] with the target's marker environment;
//! 4. [`crate::index::effective_index_options`] with the CLI flags, the environment and the file.
//!
//! ```
//! use grail::requirements::{parse_str, RequirementSource};
//! use std::path::Path;
//!
//! let text = "\
//! --extra-index-url https://example.com/simple  # private index
//! requests[socks]>=2.31 ; python_version >= \"3.8\"
//! attrs==23.2.0 \\
//!     --hash=sha256:99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1
//! ";
//! let file = parse_str(text, Path::new("requirements.txt"), &|_| None).unwrap();
//! assert_eq!(file.requirements.len(), 2);
//! assert_eq!(file.requirements[0].requirement.name.as_ref(), "requests");
//! assert_eq!(file.requirements[1].location.line, 3);
//! assert_eq!(file.requirements[1].source, RequirementSource::Registry);
//! assert!(file.hash_checking());
//! // Hash-checking mode: `requests` has no --hash, exactly what pip refuses.
//! let env = grail::target::LambdaTarget::new(
//!     "3.12".parse().unwrap(), grail::target::Arch::X86_64).marker_env();
//! let err = file.check_hashes(&env).unwrap_err();
//! assert_eq!(err.line, Some(2));
//! ```

mod error;
mod hash;
mod lines;
mod location;
mod model;
mod options;
mod parser;
pub mod pyproject;
mod reference;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

pub use error::{RequirementsError, RequirementsErrorKind};
pub use hash::{Hash, HashAlgorithm, HashParseError, HashParseErrorKind};
pub use location::Location;
pub use model::{
    FileIndexOption, FileOption, RequirementEntry, RequirementSource, RequirementsFile, Warning,
};
pub use parser::{parse_requirements, parse_str};

/// The requirements file of a Chalice project: always `<project>/requirements.txt`.
pub fn requirements_path(project_dir: &Path) -> PathBuf {
    project_dir.join("requirements.txt")
}

/// Chalice's "has at least one package" test (`DependencyBuilder`): some line,
/// stripped, is non-empty and does not start with `#`. Lines that hold only
/// options count. When it is false Chalice does not run pip at all.
pub fn has_at_least_one_package(text: &str) -> bool {
    // Python text mode splits on universal newlines.
    text.split(['\n', '\r']).any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#')
    })
}

/// [`has_at_least_one_package`] for a file; a missing file has no package.
pub fn has_at_least_one_package_file(path: &Path) -> io::Result<bool> {
    match crate::textfile::read_user_file(path, crate::textfile::MAX_TEXT_FILE_BYTES) {
        Ok(bytes) => Ok(has_at_least_one_package(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

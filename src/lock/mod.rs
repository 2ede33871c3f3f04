//! PEP 751 lock files (`pylock.toml`): `grail lock` writes one for the
//! project's Lambda targets, and `grail package` installs from one instead
//! of resolving.
//!
//! ```text
//! grail lock:     resolve per target ──make──▶ PyLock ──render──▶ pylock.toml
//! grail package:  pylock.toml ──read──▶ PyLock ──decide (in date? --locked/--frozen)──▶
//!                 select (markers, tags) ──install──▶ DependencyPlan (downloads verified by sha256)
//! ```
//!
//! A lock grail writes is a standard lock any PEP 751 installer reads (one
//! `[[packages]]` entry per name and version, a `marker` selecting the
//! targets it applies to when several are locked, the wheel chosen for each
//! target with its URL, size and sha256, the sdist for packages built from
//! one), plus `[tool.grail]`: the requirements inputs' sha256, each target
//! and the stage settings it was resolved with, and grail's lock format.
//! Locks other tools wrote (`uv export --format pylock.toml`, `pip lock`)
//! are read too; they have no `[tool.grail]`, so drift cannot be checked.
//!
//! ```
//! use std::path::Path;
//! use grail::lock::{model::parse_lock, render::render};
//! let text = "lock-version = \"1.0\"\ncreated-by = \"uv\"\n\n[[packages]]\nname = \"six\"\nversion = \"1.17.0\"\n\
//!             wheels = [{ url = \"https://h/six-1.17.0-py2.py3-none-any.whl\", \
//!             hashes = { sha256 = \"4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\" } }]\n";
//! let lock = parse_lock(text, Path::new("pylock.toml")).unwrap();
//! assert!(lock.grail.is_none());
//! assert!(render(&lock).contains("name = \"six-1.17.0-py2.py3-none-any.whl\""));
//! ```

pub mod apply;
pub mod inputs;
pub mod install;
pub mod make;
pub mod model;
pub mod render;
pub mod select;

use std::path::PathBuf;

use crate::error::{Classify, ExitKind};

/// How `grail package` treats a lock file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LockMode {
    /// Use `pylock.toml` when present and in date; when stale, resolve
    /// again and warn (the lock is not rewritten).
    #[default]
    Auto,
    /// `--locked`: a lock must exist and match the inputs (exit 2 otherwise).
    Locked,
    /// `--frozen`: use the lock as it is, without checking it.
    Frozen,
    /// Never use a lock (what `grail lock` itself resolves with).
    Ignore,
}

/// A lock file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", file.display())]
    Read {
        /// The lock file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a lock grail can use.
    #[error("{}: {message}", file.display())]
    Invalid {
        /// The lock file.
        file: PathBuf,
        /// What is wrong, naming the key or package.
        message: String,
    },
    /// `--locked` or `--frozen` without a lock file.
    #[error("{}: no such lock file; run `grail lock` first (or drop --locked/--frozen)", file.display())]
    Missing {
        /// Where it was looked for.
        file: PathBuf,
    },
    /// The lock does not cover the target being packaged.
    #[error("{}: not usable for {target}: {why}; run `grail lock` for this target", file.display())]
    NotForTarget {
        /// The lock file.
        file: PathBuf,
        /// Ex) `python3.12 (x86_64)`
        target: String,
        /// Why.
        why: String,
    },
    /// `--locked` and the inputs changed since the lock was made.
    #[error("{} is out of date (--locked): {}; run `grail lock` to update it", file.display(), changes.join("; "))]
    Stale {
        /// The lock file.
        file: PathBuf,
        /// What changed.
        changes: Vec<String>,
    },
}

impl Classify for LockError {
    /// An unreadable or malformed lock, or a missing one, is bad input (1);
    /// a lock that does not fit the build's inputs or target is a
    /// dependency failure (2).
    fn exit_kind(&self) -> ExitKind {
        match self {
            LockError::Read { .. } | LockError::Invalid { .. } | LockError::Missing { .. } => {
                ExitKind::Usage
            }
            LockError::NotForTarget { .. } | LockError::Stale { .. } => ExitKind::Dependencies,
        }
    }
}

//! Whether a `grail package` run installs from a lock: the lock file to
//! read, and what `--locked`, `--frozen` and the default do with a lock
//! that no longer matches the project.
//!
//! | lock | default | `--locked` | `--frozen` |
//! | --- | --- | --- | --- |
//! | none | resolve | error (1) | error (1) |
//! | grail's, in date | use it | use it | use it |
//! | grail's, stale | warn, resolve (lock untouched) | error naming what changed (2) | use it |
//! | another tool's | use it | warn (cannot check), use it | use it |

use std::path::{Path, PathBuf};

use super::inputs::{changes, Current};
use super::model::{read_lock, PyLock};
use super::{LockError, LockMode};

/// The lock file name `grail package` looks for in the project directory.
pub const LOCK_FILE: &str = "pylock.toml";

/// What to install from.
#[derive(Debug)]
pub enum Decision {
    /// Resolve from the requirements.
    Resolve,
    /// Install what the lock lists.
    Use {
        /// The lock.
        lock: Box<PyLock>,
        /// Its path.
        path: PathBuf,
    },
}

/// The lock a run reads: `--lock PATH` (relative to the project directory),
/// else `pylock.toml` in it.
pub fn lock_path(project_dir: &Path, explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => project_dir.join(p),
        None => project_dir.join(LOCK_FILE),
    }
}

/// Decide per the module table; `warn` receives the warnings.
pub fn decide(
    project_dir: &Path,
    explicit: Option<&Path>,
    mode: LockMode,
    now: &Current<'_>,
    warn: &mut dyn FnMut(String),
) -> Result<Decision, LockError> {
    if mode == LockMode::Ignore {
        return Ok(Decision::Resolve);
    }
    let path = lock_path(project_dir, explicit);
    if explicit.is_none() && mode == LockMode::Auto && !path.exists() {
        return Ok(Decision::Resolve);
    }
    if !path.exists() {
        return Err(LockError::Missing { file: path });
    }
    let lock = read_lock(&path)?;
    let Some(tool) = &lock.grail else {
        if mode == LockMode::Locked {
            warn(format!(
                "{} was not written by grail (created-by {}): --locked cannot check it against the \
                 requirements, so it is used as it is (as with --frozen)",
                path.display(),
                lock.created_by.as_deref().unwrap_or("unknown")
            ));
        }
        return Ok(Decision::Use {
            lock: Box::new(lock),
            path,
        });
    };
    let drift = changes(tool, now);
    if drift.is_empty() || mode == LockMode::Frozen {
        return Ok(Decision::Use {
            lock: Box::new(lock),
            path,
        });
    }
    if mode == LockMode::Locked {
        return Err(LockError::Stale {
            file: path,
            changes: drift,
        });
    }
    warn(format!(
        "{} is out of date ({}): resolving from the requirements instead; run `grail lock` to \
         update it (or pass --frozen to install from it anyway)",
        path.display(),
        drift.join("; ")
    ));
    Ok(Decision::Resolve)
}

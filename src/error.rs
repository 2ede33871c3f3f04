//! Exit codes from the CLI contract, and how an error carries one.
//!
//! Modules return their own typed errors (`thiserror`). Where a typed error
//! crosses into the CLI it is wrapped with [`Failure`] (or one of the helper
//! constructors) so `main` can pick the exit code the contract promises:
//!
//! ```
//! use grail::error::{ExitKind, Failure};
//! let err: anyhow::Error = Failure::new(ExitKind::Dependencies, anyhow::anyhow!("no wheel for foo")).into();
//! assert_eq!(grail::error::exit_code(&err), 2);
//! ```

use std::fmt;

/// The exit codes of the CLI contract (`docs/cli-contract.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitKind {
    /// 1: bad usage or bad project input (CLI, config.json, app.py, vendor/, manifests).
    Usage = 1,
    /// 2: dependencies cannot be satisfied, downloaded, verified or built for the target.
    Dependencies = 2,
    /// 3: the size budget is exceeded.
    Budget = 3,
    /// 4: app introspection failed (the user's app.py raised or chalice is missing).
    Introspection = 4,
}

impl ExitKind {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error tagged with the exit code it must produce.
#[derive(Debug)]
pub struct Failure {
    /// Which exit code this error maps to.
    pub kind: ExitKind,
    /// The underlying error, printed as-is.
    pub error: anyhow::Error,
}

impl Failure {
    /// Tag `error` with `kind`.
    pub fn new(kind: ExitKind, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            kind,
            error: error.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` prints the whole context chain on one line, "a: b: c".
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Failure {}

/// An error that knows which exit code of the contract it maps to.
///
/// Every typed error of the library implements this; `?` then turns it into a
/// [`Failure`] carrying the right code (the blanket `From` below), so no call
/// site has to remember to classify it.
///
/// ```
/// use grail::error::{Classify, ExitKind, Failure};
/// #[derive(Debug, thiserror::Error)]
/// #[error("no wheel for foo")]
/// struct NoWheel;
/// impl Classify for NoWheel {
///     fn exit_kind(&self) -> ExitKind { ExitKind::Dependencies }
/// }
/// fn find() -> Result<(), Failure> { Err(NoWheel)? }
/// assert_eq!(find().unwrap_err().kind, ExitKind::Dependencies);
/// ```
pub trait Classify: std::error::Error + Send + Sync + 'static {
    /// Which exit code this error produces.
    fn exit_kind(&self) -> ExitKind;
}

impl<E: Classify> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            kind: error.exit_kind(),
            error: error.into(),
        }
    }
}

/// Shorthand: tag an error as bad user input (exit 1).
pub fn usage(error: impl Into<anyhow::Error>) -> anyhow::Error {
    Failure::new(ExitKind::Usage, error).into()
}

/// Shorthand: tag an error as a dependency failure (exit 2).
pub fn deps(error: impl Into<anyhow::Error>) -> anyhow::Error {
    Failure::new(ExitKind::Dependencies, error).into()
}

/// The exit code for an error: the first [`Failure`] in its chain decides,
/// anything unclassified is treated as bad input (1).
pub fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.kind.code();
        }
    }
    ExitKind::Usage.code()
}

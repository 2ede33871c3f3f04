//! Exit codes from the CLI contract (`docs/cli-contract.md`), and how an
//! error carries one.
//!
//! Modules return their own typed errors (`thiserror`), and every one of them
//! implements [`Classify`]: it knows which exit code it produces. Functions
//! that cross module boundaries return [`Result`] (errors are [`Failure`]s),
//! and `?` does the classification, so no call site can forget it:
//!
//! ```
//! use grail::error::{Classify, Context, ExitKind, Result};
//! #[derive(Debug, thiserror::Error)]
//! #[error("no wheel for foo")]
//! struct NoWheel;
//! impl Classify for NoWheel {
//!     fn exit_kind(&self) -> ExitKind { ExitKind::Dependencies }
//! }
//! fn find() -> std::result::Result<(), NoWheel> { Err(NoWheel) }
//! fn plan() -> Result<()> {
//!     // The context is said once, before the cause; the kind is kept.
//!     find().context("planning app")?;
//!     Ok(())
//! }
//! let err = plan().unwrap_err();
//! assert_eq!(err.kind, ExitKind::Dependencies);
//! assert_eq!(err.to_string(), "planning app: no wheel for foo");
//! ```
//!
//! Errors from outside the library (I/O, URL parsing) have no class of their
//! own: [`Kind::kind`] gives them one where they happen.

use std::error::Error as StdError;
use std::fmt;

/// The exit codes of the CLI contract.
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
    /// 5: `grail verify` found a module or handler in the artifact that does not import.
    Verify = 5,
}

impl ExitKind {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// A boxed error of any type (what a [`Failure`] wraps).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The library's result type: errors are [`Failure`]s.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// An error tagged with the exit code it must produce.
///
/// It prints as one line, the context first and then each cause, `a: b: c`.
#[derive(Debug)]
pub struct Failure {
    /// Which exit code this error maps to.
    pub kind: ExitKind,
    /// What was being done, said before the cause.
    context: Option<String>,
    /// The cause.
    source: Option<BoxError>,
}

impl Failure {
    /// Tag `error` (a typed error, or a message) with `kind`.
    pub fn new(kind: ExitKind, error: impl Into<BoxError>) -> Self {
        Failure {
            kind,
            context: None,
            source: Some(error.into()),
        }
    }

    /// An error that is only a message.
    pub fn msg(kind: ExitKind, message: impl fmt::Display) -> Self {
        Failure {
            kind,
            context: Some(message.to_string()),
            source: None,
        }
    }

    /// Say what was being done when this failed; the kind is kept.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Failure {
            kind: self.kind,
            context: Some(context.to_string()),
            source: Some(Box::new(self)),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(c) = &self.context {
            f.write_str(c)?;
            sep = ": ";
        }
        // A nested Failure prints its own chain and has no `source()`, so
        // each cause is printed once.
        let mut next: Option<&(dyn StdError + 'static)> = match &self.source {
            Some(s) => Some(s.as_ref()),
            None => None,
        };
        while let Some(e) = next {
            write!(f, "{sep}{e}")?;
            sep = ": ";
            next = e.source();
        }
        Ok(())
    }
}

impl StdError for Failure {}

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
pub trait Classify: StdError + Send + Sync + 'static {
    /// Which exit code this error produces.
    fn exit_kind(&self) -> ExitKind;
}

impl<E: Classify> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::new(error.exit_kind(), error)
    }
}

/// Context and classification on results.
pub trait Context<T> {
    /// Say what was being done when this failed, keeping the error's kind.
    fn context(self, context: impl fmt::Display) -> Result<T>
    where
        Self: Sized;

    /// [`Context::context`], with the message built only on failure.
    fn with_context<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T>
    where
        Self: Sized;
}

impl<T, E: Into<Failure>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.into().context(context()))
    }
}

/// Give an error from outside the library (I/O, URL parsing) its exit code.
pub trait Kind<T> {
    /// Tag the error with `kind`.
    fn kind(self, kind: ExitKind) -> Result<T>;
}

impl<T, E: Into<BoxError>> Kind<T> for std::result::Result<T, E> {
    fn kind(self, kind: ExitKind) -> Result<T> {
        self.map_err(|e| Failure::new(kind, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    impl Classify for Outer {
        fn exit_kind(&self) -> ExitKind {
            ExitKind::Budget
        }
    }

    #[test]
    fn prints_context_then_each_cause_once() {
        let io = std::io::Error::other("inner");
        let r: std::result::Result<(), Outer> = Err(Outer(io));
        let err = r.context("a").context("b").unwrap_err();
        assert_eq!(err.kind, ExitKind::Budget);
        assert_eq!(err.to_string(), "b: a: outer: inner");
    }

    #[test]
    fn library_errors_name_their_cause_once() {
        let io = || std::io::Error::other("disk on fire");
        let p = std::path::PathBuf::from("f");
        let errors: Vec<Failure> = vec![
            crate::wheel::WheelError::Io {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::project::ProjectError::Unreadable {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::assemble::AssembleError::Read {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::layers::LayerError::ManifestRead {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::python::PythonError::NotRunnable {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::index::IndexError::Io {
                path: p.clone(),
                source: io(),
            }
            .into(),
            crate::cache::CacheError {
                action: "cannot write",
                path: p.clone(),
                source: io(),
            }
            .into(),
        ];
        for e in errors {
            let text = e.to_string();
            assert_eq!(text.matches("disk on fire").count(), 1, "{text}");
        }
    }

    #[test]
    fn foreign_errors_get_a_kind() {
        let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::other("gone"));
        let err = r
            .kind(ExitKind::Usage)
            .context("cannot read x")
            .unwrap_err();
        assert_eq!(err.kind, ExitKind::Usage);
        assert_eq!(err.to_string(), "cannot read x: gone");
        assert_eq!(Failure::msg(ExitKind::Dependencies, "m").to_string(), "m");
    }
}

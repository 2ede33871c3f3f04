//! Containing panics in code grail did not write.
//!
//! Some parsers grail depends on (PEP 508 requirements, PEP 440 versions)
//! panic on certain malformed input instead of returning an error: a name
//! ending in `-` right before `/` (`a-/`) is one such input. Text from a
//! user or an index must never crash grail, so every call into such a parser
//! goes through [`catch`], which turns a panic into an `Err` and keeps the
//! panic message off stderr (the process-wide hook installed by the CLI
//! checks [`is_quiet`]).
//!
//! ```
//! let ok = grail::guard::catch(|| "1.0".parse::<pep508_rs::pep440_rs::Version>());
//! assert!(ok.unwrap().is_ok());
//! let caught = grail::guard::catch(|| -> u8 { panic!("parser bug") });
//! assert_eq!(caught.unwrap_err(), "parser bug");
//! ```
//!
//! [`dependency_work`] marks the part of a run that resolves and fetches
//! dependencies, so that a panic escaping anyway can still be reported with
//! the contract's exit code (2 there, 1 elsewhere).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{Requirement, VerbatimUrl};

thread_local! {
    /// Depth of [`catch`] calls on this thread: a panic inside is expected.
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

static DEPENDENCY_WORK: AtomicBool = AtomicBool::new(false);

/// Run `f`; a panic inside becomes `Err(message)` and prints nothing (when
/// the CLI's hook is installed). Use it around third-party parsers fed
/// untrusted text.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    QUIET.with(|q| q.set(q.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    result.map_err(|payload| panic_message(payload.as_ref()))
}

/// Whether the current thread is inside [`catch`] (the panic hook stays silent).
pub fn is_quiet() -> bool {
    QUIET.with(|q| q.get() > 0)
}

/// The text of a panic payload (`panic!` with a string or a format).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Run `f` as dependency work (resolution, downloads, builds): a panic that
/// escapes it is reported with exit code 2.
pub fn dependency_work<T>(f: impl FnOnce() -> T) -> T {
    let before = DEPENDENCY_WORK.swap(true, Ordering::SeqCst);
    let out = f();
    DEPENDENCY_WORK.store(before, Ordering::SeqCst);
    out
}

/// Whether [`dependency_work`] is running (read by the CLI after a panic).
pub fn in_dependency_work() -> bool {
    DEPENDENCY_WORK.load(Ordering::SeqCst)
}

/// Parse `text` with `T`'s parser, rendering its error message inside the
/// guard too (some parsers' messages panic while being formatted). A panic
/// becomes `Err("the WHAT parser cannot read it")`.
fn parse_guarded<T: FromStr>(text: &str, what: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    catch(|| T::from_str(text).map_err(|e| e.to_string()))
        .unwrap_or_else(|_| Err(format!("the {what} parser cannot read it")))
}

/// A PEP 508 requirement from untrusted text, never panicking; the error is
/// the parser's message. Ex) `a-/` → `Err(..)`
pub fn requirement(text: &str) -> Result<Requirement<VerbatimUrl>, String> {
    parse_guarded(text, "PEP 508")
}

/// A PEP 440 version from untrusted text, never panicking.
pub fn version(text: &str) -> Result<Version, String> {
    parse_guarded(text, "PEP 440")
}

/// A PEP 440 specifier set from untrusted text, never panicking.
pub fn specifiers(text: &str) -> Result<VersionSpecifiers, String> {
    parse_guarded(text, "PEP 440")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_turns_a_panic_into_an_error_and_nests() {
        assert_eq!(catch(|| 5).unwrap(), 5);
        let inner = catch(|| catch(|| panic!("deep {}", 1)).unwrap_err());
        assert_eq!(inner.unwrap(), "deep 1");
        assert!(!is_quiet());
    }

    #[test]
    fn requirement_names_that_panic_the_parser_are_errors() {
        // Each of these panicked inside the PEP 508 parser or its messages.
        for text in [
            "a-/",
            "a_/",
            "a./",
            "a- b",
            "a[b-]",
            "a[b_]",
            "a; os_name == \"x\" \u{e9}",
            "a; os_name == \"x\"t\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(requirement(text).is_err(), "{text:?}");
        }
        assert_eq!(requirement("six>=1").unwrap().name.as_ref(), "six");
        assert!(version("1.0").is_ok() && version("x/").is_err());
        assert!(specifiers(">=3.8").is_ok() && specifiers(">=").is_err());
    }

    #[test]
    fn dependency_work_is_scoped() {
        assert!(dependency_work(in_dependency_work));
        let _ = catch(|| dependency_work(|| panic!("x")));
        // A panic inside leaves the flag set: the edge reports it as such.
        DEPENDENCY_WORK.store(false, Ordering::SeqCst);
    }
}

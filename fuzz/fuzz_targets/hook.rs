//! The panic hook every target installs.
//!
//! libFuzzer's hook aborts on any panic, even one that grail's
//! `guard::catch` contains and turns into an ordinary error (the PEP 508
//! crate panics on some names). Those are handled input, not crashes: this
//! hook lets them unwind to the guard, and aborts (a crash for libFuzzer) on
//! every other panic.

/// Install the hook once per process.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if grail::guard::is_quiet() {
                return;
            }
            eprintln!("{info}");
            std::process::abort();
        }));
    });
}

//! requirements.txt text → `grail::requirements::parse_str`.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    hook::install();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `-r`/`-c` read files from disk; relative ones resolve under a directory
    // that does not exist, so only absolute paths reach the disk. Device and
    // process files (`/dev/zero`, `/dev/stdin`) are issue 9's class 4, covered
    // by its own fixtures: here they would only stall the fuzzer.
    if ["/dev", "/proc", "/sys", "/run"]
        .iter()
        .any(|p| text.contains(p))
    {
        return;
    }
    let _ = grail::requirements::parse_str(
        text,
        Path::new("/nonexistent-grail-fuzz/requirements.txt"),
        &|_| None,
    );
});

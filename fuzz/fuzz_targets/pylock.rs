//! `pylock.toml` text → `grail::lock::model::parse_lock`, then the selection
//! for two Lambda targets (markers, requires-python, wheel tags) and a
//! render → parse round trip of what parsed (locks of wheels and sdists).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::path::Path;

use grail::target::tags::Tags;
use grail::target::{Arch, LambdaTarget, PythonVersion};

fuzz_target!(|data: &[u8]| {
    hook::install();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-grail-fuzz/pylock.toml");
    let Ok(lock) = grail::lock::model::parse_lock(text, path) else {
        return;
    };
    for arch in [Arch::X86_64, Arch::Arm64] {
        let tags = Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), arch));
        let _ = grail::lock::select::select(&lock, &tags, path);
    }
    // grail renders only what it writes itself (no vcs/directory/archive).
    if lock.packages.iter().all(|p| p.other_source.is_none()) {
        let again = grail::lock::model::parse_lock(&grail::lock::render::render(&lock), path)
            .expect("a rendered lock parses");
        assert_eq!(again, lock, "render → parse changed the lock");
    }
});

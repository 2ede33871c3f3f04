//! A wheel from an index or vendor/: `WheelArchive::open_named` (central
//! directory, METADATA, WHEEL, RECORD, install plan), `verify` (inflate and
//! check RECORD) and `install::add_wheel` (the deployment zip's plan).
//!
//! Input: the wheel's file name, a newline, then the zip bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("grail-fuzz-wheel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    hook::install();
    let Some(nl) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let Ok(name) = std::str::from_utf8(&data[..nl]) else {
        return;
    };
    let path = scratch().join("input.whl");
    std::fs::write(&path, &data[nl + 1..]).expect("write scratch wheel");
    let Ok(wheel) = grail::wheel::WheelArchive::open_named(&path, name) else {
        return;
    };
    let _ = (wheel.unzipped_bytes(), wheel.top_level_names());
    let _ = wheel.verify();
    let mut plan = grail::assemble::ZipPlan::default();
    let _ = grail::install::add_wheel(&mut plan, &wheel, true);
});

//! A layer zip → `grail::layers::scan_layer_zip` (what
//! `grail layer scan` reads from a downloaded layer).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("grail-fuzz-layer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    hook::install();
    let path = scratch().join("layer.zip");
    std::fs::write(&path, data).expect("write scratch layer");
    let _ = grail::layers::scan_layer_zip(&path, None);
});

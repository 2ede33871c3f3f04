//! The `.dist-info` text files of a wheel: METADATA
//! (`grail::metadata::CoreMetadata::parse`), WHEEL and RECORD.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;

fuzz_target!(|data: &[u8]| {
    hook::install();
    let _ = grail::metadata::CoreMetadata::parse(data);
    let _ = grail::wheel::WheelInfo::parse(data);
    let _ = grail::wheel::Record::parse(data);
});

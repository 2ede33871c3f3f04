//! Wheel file names and tags: `WheelFilename`, `Tag`, `PlatformTag`, and the
//! compatibility check a resolver makes for every file an index lists.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::sync::OnceLock;

use grail::target::tags::{PlatformTag, Tag, Tags};
use grail::target::{Arch, LambdaTarget, PythonVersion};
use grail::wheel::WheelFilename;

fn tags() -> &'static Tags {
    static TAGS: OnceLock<Tags> = OnceLock::new();
    TAGS.get_or_init(|| {
        Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64))
    })
}

fuzz_target!(|data: &[u8]| {
    hook::install();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = text.parse::<Tag>();
    let _ = text.parse::<PlatformTag>();
    if let Ok(wheel) = text.parse::<WheelFilename>() {
        // Display must give back a name that parses to the same wheel.
        let again: WheelFilename = wheel
            .to_string()
            .parse()
            .expect("a displayed wheel file name parses");
        assert_eq!(again, wheel);
        let _ = wheel.tags();
        let _ = wheel.compatibility(tags());
    }
});

//! Wheels (PEP 427, PEP 491): filenames, the `WHEEL` and `RECORD` files, path
//! safety, and the plan for installing a wheel into the deployment root.
//!
//! Call sequence for the assembler:
//!
//! 1. `WheelFilename::from_str` on each candidate file name, then
//!    [`WheelFilename::compatibility`] asks the target's [`crate::target::tags::Tags`]
//!    whether its tag sets fit;
//! 2. [`WheelArchive::open`] on the downloaded file: reads the central
//!    directory, the `.dist-info` (`WHEEL`, `METADATA`, `RECORD`), checks every
//!    path and computes [`WheelArchive::entries`], the install plan;
//!    — and refuses, before inflating anything, symlinks and other non-regular
//!    entries, duplicate entry names, and archives whose declared sizes could
//!    not fit in a Lambda function;
//! 3. [`WheelArchive::verify`]: streams every entry through its `RECORD`
//!    hash (sha256 and size, never more than the declared size) — run once per
//!    downloaded file;
//! 4. copy each [`WheelEntry`] whose [`InstallAction`] is `Install(path)` into
//!    the zip at `path` (raw copy of zip index [`WheelEntry::index`]).
//!
//! `*.data/purelib/` and `*.data/platlib/` are mapped to the root (Lambda's
//! `/var/task` is the site-packages root); `*.data/scripts|headers|data/` are
//! dropped (Chalice leaves them under `*.data/`, where nothing imports them).
//!
//! ```
//! use grail::wheel::{install_action, DataScheme, InstallAction, WheelFilename};
//!
//! let w: WheelFilename = "Foo.Bar-1.0-1build-py2.py3-none-any.whl".parse().unwrap();
//! assert_eq!(w.normalized_name(), "foo-bar");
//! assert_eq!(w.build.as_ref().unwrap().number, 1);
//! assert_eq!(w.python_tags, ["py2", "py3"]);
//! assert_eq!(w.to_string(), "Foo.Bar-1.0-1build-py2.py3-none-any.whl");
//!
//! let err = "foo-1.0-py3-none.whl".parse::<WheelFilename>().unwrap_err();
//! assert!(err.to_string().contains("expected 5 or 6 '-'-separated parts"));
//!
//! let data = Some("foo-1.0.data");
//! assert_eq!(install_action("foo-1.0.data/platlib/foo/_x.so", data).unwrap(),
//!            InstallAction::Install("foo/_x.so".into()));
//! assert_eq!(install_action("foo-1.0.data/scripts/foo", data).unwrap(),
//!            InstallAction::Drop(DataScheme::Scripts));
//! assert!(install_action("../etc/passwd", data).is_err());
//! ```

mod archive;
mod checks;
mod filename;
mod info;
mod layout;
mod record;
mod stream;

pub use archive::{WheelArchive, WheelEntry, WheelError};
pub use filename::{BuildTag, WheelFilename, WheelFilenameError, WheelFilenameErrorKind};
pub use info::{WheelInfo, WheelInfoError};
pub use layout::{
    check_entry_path, install_action, DataScheme, InstallAction, InstallPathError, UnsafePath,
    UnsafePathKind,
};
pub use record::{Record, RecordEntry, RecordError};
pub use stream::{digest_capped, read_capped, MAX_TEXT_ENTRY_BYTES};

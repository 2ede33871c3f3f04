//! The commands the CLI drives, each taking plain settings
//! ([`crate::options`]) and a [`crate::ui::Ui`]:
//!
//! - [`package`]: `grail package OUT`, the whole pipeline;
//! - [`why`]: `grail why PACKAGE`, the same analysis, explained;
//! - [`layer_scan`]: `grail layer scan LAYER.zip`, a layer manifest.

pub mod layer_scan;
pub mod outcome;
pub mod package;
pub mod why;

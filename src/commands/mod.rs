//! The commands the CLI drives, each taking plain settings
//! ([`crate::options`]) and a [`crate::ui::Ui`]:
//!
//! - [`package`]: `grail package OUT`, the whole pipeline;
//! - [`why`]: `grail why PACKAGE`, the same analysis, explained;
//! - [`suggest_layers`]: `grail suggest-layers`, which public layer would help;
//! - [`verify`]: `grail verify [OUT]`, import the artifact as Lambda will;
//! - [`layer_scan`]: `grail layer scan LAYER.zip`, a layer manifest;
//! - [`layer_fetch`]: `grail layer fetch ARN…`, a layer manifest from AWS Lambda;
//! - [`layer_show`]: `grail layer show ARN`, what grail knows about a layer.

pub mod layer_fetch;
pub mod layer_scan;
pub mod layer_show;
pub mod lock;
pub mod outcome;
pub mod package;
mod progress_hooks;
pub mod suggest_layers;
pub mod verify;
pub mod why;

//! grail: a fast, layer-aware, reproducible drop-in replacement for `chalice package`.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! project/config → target/tags → requirements → index/cache → resolver
//!     → layers/budget → assemble (zip) → report
//! ```
//!
//! [`suggest`] sits beside the budget: given the shipped packages and a way to
//! resolve again, it weighs the known public layers (`grail suggest-layers`).
//!
//! The commands on top ([`commands`]) take plain settings ([`options`]); the
//! binary (`src/main.rs`, `src/cli/`) parses the command line with clap, turns
//! it into those settings, and is the only place that uses `anyhow`.

#![deny(missing_docs)]

pub mod assemble;
pub mod budget;
pub mod cache;
pub mod commands;
pub mod dependencies;
pub mod error;
pub mod index;
pub mod install;
pub mod layers;
pub mod metadata;
pub mod names;
pub mod options;
pub mod project;
pub mod python;
pub mod report;
pub mod requirements;
pub mod resolver;
pub mod suggest;
pub mod target;
pub mod ui;
pub mod verify;
pub mod wheel;

#[cfg(test)]
mod proptests;

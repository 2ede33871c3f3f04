//! grail: a fast, layer-aware, reproducible drop-in replacement for `chalice package`.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! options → BuildContext (project/config, target/tags) → requirements
//!     → resolution (index/cache, resolver) → DependencyPlan (dependencies)
//!     → ZipPlan (install, assemble) → audit → budget → staged outputs
//!     → publish → report
//! ```
//!
//! [`suggest`] sits beside the budget: given the shipped packages and a way to
//! resolve again, it weighs the known public layers (`grail suggest-layers`).
//!
//! The commands on top ([`commands`]) take plain settings ([`options`]); the
//! binary (`src/main.rs`, `src/cli/`) parses the command line with clap, turns
//! it into those settings, and is the only place that uses `anyhow`. Errors
//! get their exit code from their type ([`error::Classify`]). The repository's
//! `docs/architecture.md` shows which module owns each step.

#![deny(missing_docs)]

pub mod assemble;
pub mod budget;
pub mod cache;
pub mod commands;
pub mod dependencies;
pub mod error;
pub mod guard;
pub mod index;
pub mod install;
pub mod layers;
pub mod lock;
pub mod metadata;
pub mod names;
pub mod options;
pub mod progress;
pub mod project;
pub mod python;
pub mod rebuild;
pub mod report;
pub mod report_html;
pub mod requirements;
pub mod resolver;
pub mod secrets;
pub mod suggest;
pub mod target;
pub mod textfile;
pub mod ui;
pub mod verify;
pub mod wheel;

#[cfg(test)]
mod proptests;

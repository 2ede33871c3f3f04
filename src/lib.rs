//! grail: a fast, layer-aware, reproducible drop-in replacement for `chalice package`.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! project/config → target/tags → requirements → index/cache → resolver
//!     → layers/budget → assemble (zip) → report
//! ```
//!
//! The binary (`src/main.rs`) is a thin `anyhow` edge around [`cli::run`].

#![deny(missing_docs)]

pub mod assemble;
pub mod audit;
pub mod budget;
pub mod build;
pub mod cache;
pub mod chalice_cache;
pub mod cli;
pub mod config;
pub mod dependencies;
pub mod error;
pub mod index;
pub mod install;
pub mod layers;
pub mod metadata;
pub mod names;
pub mod package;
pub mod project;
pub mod python;
pub mod report;
pub mod requirements;
pub mod resolver;
pub mod source;
pub mod tags;
pub mod target;
pub mod templates;
pub mod wheel;
pub mod why;

#[cfg(test)]
mod proptests;

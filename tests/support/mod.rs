//! Shared helpers for integration tests: `mod support;` then
//! `support::IndexServer::start(...)`.
#![allow(dead_code, unused_imports)]

pub mod index_server;

pub use index_server::{IndexServer, IndexServerOptions, Mode, RequestRecord};

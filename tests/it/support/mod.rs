//! What the integration tests share: [`project`] (a temporary Chalice
//! project and the `grail` command to run in it, zip readers, wheel
//! builders) and [`index_server`] (a loopback package index).
#![allow(dead_code, unused_imports)]

pub mod index_server;
pub mod project;

pub use index_server::{fixtures_root, IndexServer, IndexServerOptions, Mode, RequestRecord};
pub use project::*;

//! What the integration tests share: [`project`] (a temporary Chalice
//! project and the `grail` command to run in it, zip readers, wheel
//! builders), [`index_server`] (a loopback package index), [`indexed`] (a
//! project with its own index and cache), [`snapshot`]
//! (insta settings that hide what varies between runs) and [`pty`] (a run
//! under a pseudo-terminal).
#![allow(dead_code, unused_imports)]

pub mod index_server;
pub mod indexed;
pub mod lambda_server;
pub mod project;
pub mod pty;
pub mod snapshot;

pub use index_server::{
    fixtures_root, shared_fixture_index, IndexServer, IndexServerOptions, Mode, RequestRecord,
};
pub use indexed::{IndexedProject, Server};
pub use project::*;
pub use snapshot::{report_for_snapshot, run_text, snapshot_settings};

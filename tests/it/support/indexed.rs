//! A test project with a loopback index and a cache of its own: what every
//! index-backed end-to-end test starts from.

use std::ops::Deref;
use std::process::Output;

use assert_cmd::Command;
use serde_json::{json, Value};

use super::index_server::IndexServer;
use super::project::{without, TestProject, PROXY_ENV};

/// The index a project talks to: its own, or one shared by a test file.
pub enum Server {
    /// Started for this project.
    Owned(IndexServer),
    /// Shared by every test of a file.
    Shared(&'static IndexServer),
}

impl Deref for Server {
    type Target = IndexServer;
    fn deref(&self) -> &IndexServer {
        match self {
            Server::Owned(s) => s,
            Server::Shared(s) => s,
        }
    }
}

/// One project, its index and its cache.
pub struct IndexedProject {
    /// The project.
    pub p: TestProject,
    /// Its index.
    pub server: Server,
    /// Its `--cache-dir`.
    pub cache: tempfile::TempDir,
}

impl IndexedProject {
    /// A project requiring `requirements`, with `config` merged over the
    /// minimal config.json (e.g. `{"layers": [...]}`).
    pub fn new(requirements: &str, config: Value, server: Server) -> IndexedProject {
        let p = TestProject::new();
        p.write("requirements.txt", requirements);
        let s = IndexedProject {
            p,
            server,
            cache: tempfile::tempdir().unwrap(),
        };
        s.config(config);
        s
    }

    /// Rewrite `.chalice/config.json`: `extra` merged over the minimal one.
    pub fn config(&self, extra: Value) {
        let mut c = json!({"version": "2.0", "app_name": "t", "stages": {"dev": {}}});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        self.p.write(
            ".chalice/config.json",
            &serde_json::to_string_pretty(&c).unwrap(),
        );
    }

    /// `grail <command> <first> --index-url … --cache-dir … --python python3
    /// --python-version 3.12 <extra>` with the stand-in chalice.
    pub fn grail(&self, command: &str, first: &str, extra: &[&str]) -> Output {
        self.command(command, first, extra).output().unwrap()
    }

    /// The command [`IndexedProject::grail`] runs, not yet run.
    pub fn command(&self, command: &str, first: &str, extra: &[&str]) -> Command {
        let mut cmd = self.p.grail();
        without(&mut cmd, PROXY_ENV);
        cmd.args([
            command,
            first,
            "--index-url",
            &self.server.url(),
            "--cache-dir",
        ])
        .arg(self.cache.path())
        .args(["--python", "python3", "--python-version", "3.12"])
        .args(extra);
        cmd
    }
}

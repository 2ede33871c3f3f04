//! Shared helpers for grail's end-to-end tests: temporary Chalice projects,
//! a stand-in `chalice` package for the host interpreter, and zip readers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A temporary Chalice project.
pub struct TestProject {
    pub dir: tempfile::TempDir,
    /// A directory holding a stand-in `chalice` package for PYTHONPATH.
    pub fake_chalice: tempfile::TempDir,
}

pub const FAKE_CHALICE_APP: &str =
    "# stand-in chalice/app.py for tests\nclass Chalice:\n    pass\n";
pub const FAKE_CHALICE_INIT: &str = "__version__ = '1.34.0'\nfrom chalice.app import Chalice\n";

impl TestProject {
    /// A minimal project: app.py and a config.json.
    pub fn new() -> TestProject {
        let dir = tempfile::tempdir().unwrap();
        let fake = tempfile::tempdir().unwrap();
        write(&fake.path().join("chalice/__init__.py"), FAKE_CHALICE_INIT);
        write(&fake.path().join("chalice/app.py"), FAKE_CHALICE_APP);
        let p = TestProject {
            dir,
            fake_chalice: fake,
        };
        p.write(
            "app.py",
            "from chalice import Chalice\napp = Chalice(app_name='t')\n",
        );
        p.write(
            ".chalice/config.json",
            r#"{"version": "2.0", "app_name": "t", "stages": {"dev": {}}}"#,
        );
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) {
        write(&self.dir.path().join(rel), content);
    }

    /// `grail --project-dir <project> package <args…>` with the stand-in chalice.
    pub fn grail(&self) -> Command {
        let mut cmd = Command::cargo_bin("grail").unwrap();
        cmd.env("PYTHONPATH", self.fake_chalice.path())
            .env_remove("VIRTUAL_ENV")
            .env("NO_COLOR", "1")
            .arg("--project-dir")
            .arg(self.dir.path());
        cmd
    }

    pub fn out(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

pub fn write(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// name → (bytes, unix mode) for every entry of a zip, in archive order.
pub fn zip_contents(path: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut a = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            (
                f.name().unwrap().to_string(),
                buf,
                f.unix_mode().unwrap_or(0),
            )
        })
        .collect()
}

/// name → bytes, last entry wins (as `unzip` extracts duplicates).
pub fn zip_map(path: &Path) -> BTreeMap<String, Vec<u8>> {
    zip_contents(path)
        .into_iter()
        .map(|(n, b, _)| (n, b))
        .collect()
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

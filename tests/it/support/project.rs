//! Shared helpers for grail's end-to-end tests: temporary Chalice projects,
//! a stand-in `chalice` package for the host interpreter, and zip readers.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use std::process::Output;

use assert_cmd::Command;

use super::run_text;

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

    /// `grail --project-dir <project> …` with the stand-in chalice and none
    /// of the [`GRAIL_ENV`] variables of the machine running the tests.
    pub fn grail(&self) -> Command {
        let mut cmd = Command::cargo_bin("grail").unwrap();
        without(&mut cmd, GRAIL_ENV);
        isolate_from_aws(&mut cmd);
        cmd.env("PYTHONPATH", self.fake_chalice.path())
            .env("NO_COLOR", "1")
            .arg("--project-dir")
            .arg(self.dir.path());
        cmd
    }

    pub fn out(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `grail package OUT --python python3 EXTRA…` (the host interpreter
    /// with the stand-in chalice).
    pub fn package(&self, out: &str, extra: &[&str]) -> Output {
        self.grail()
            .args(["package", out, "--python", "python3"])
            .args(extra)
            .output()
            .unwrap()
    }

    /// [`TestProject::package`], which must exit 0.
    pub fn package_ok(&self, out: &str, extra: &[&str]) -> Output {
        let o = self.package(out, extra);
        assert_eq!(o.status.code(), Some(0), "{}", run_text(&o));
        o
    }

    /// The report a run wrote to `rel`.
    pub fn report(&self, rel: &str) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.out(rel)).unwrap()).unwrap()
    }
}

/// What grail reads from the environment besides the project: pip's index
/// variables (this machine sets `PIP_FIND_LINKS`), the cache dir and the venv.
pub const GRAIL_ENV: &[&str] = &[
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_PRE",
    "GRAIL_CACHE_DIR",
    "VIRTUAL_ENV",
];

/// AWS settings of the machine running the tests: removed, so no test can
/// reach real AWS with them (a test that fetches layers sets its own).
pub const AWS_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_STS",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// No credentials from the machine (environment or `~/.aws`), and never the
/// instance metadata service (waiting on it off EC2 costs seconds).
pub fn isolate_from_aws(cmd: &mut Command) {
    without(cmd, AWS_ENV);
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
}

/// Proxy variables: cleared for tests that talk to a loopback index (kept
/// for the network tests, which may need them).
pub const PROXY_ENV: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Remove `vars` from `cmd`'s environment.
pub fn without(cmd: &mut Command, vars: &[&str]) {
    for k in vars {
        cmd.env_remove(k);
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

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `n` with thousands separators, as grail prints byte counts: `1,234,567`.
pub fn grouped(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Build a real wheel (valid RECORD with sha256s) from `(path, bytes)` files.
/// The `.dist-info` (METADATA, WHEEL, RECORD) is added; `tag` is e.g.
/// `cp37-abi3-manylinux2014_x86_64`. Returns the wheel's path in `dir`.
pub fn build_wheel(
    dir: &Path,
    name: &str,
    version: &str,
    tag: &str,
    files: &[(&str, &[u8])],
    requires: &[&str],
) -> PathBuf {
    use base64::Engine;
    use sha2::Digest;
    use std::io::Write;
    let stem = name.replace('-', "_");
    let filename = format!("{stem}-{version}-{tag}.whl");
    let dist_info = format!("{stem}-{version}.dist-info");
    let mut meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        meta.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let wheel_file =
        format!("Wheel-Version: 1.0\nGenerator: grail-tests\nRoot-Is-Purelib: false\nTag: {tag}\n");
    let mut all: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect();
    all.push((format!("{dist_info}/METADATA"), meta.into_bytes()));
    all.push((format!("{dist_info}/WHEEL"), wheel_file.into_bytes()));
    let mut record = String::new();
    for (p, b) in &all {
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(b));
        record.push_str(&format!("{p},sha256={h},{}\n", b.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    all.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    let path = dir.join(&filename);
    let mut z = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    for (p, b) in &all {
        z.start_file(p.as_str(), zip::write::SimpleFileOptions::DEFAULT)
            .unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap();
    path
}

/// Unzip a wheel into `dest` (as Chalice's docs tell users to do with vendor/).
pub fn unzip_into(wheel: &Path, dest: &Path) {
    let mut a = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let out = dest.join(f.name().unwrap().to_string());
        fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        fs::write(out, buf).unwrap();
    }
}

/// A tiny ELF fixture from vendor-fixtures/elf/.
pub fn elf_fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("vendor-fixtures/elf")
            .join(name),
    )
    .unwrap()
}

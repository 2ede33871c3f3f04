//! No-op rebuilds: a second `grail package` into the same OUT with nothing
//! changed writes nothing and never asks the index; any change to what
//! feeds the artifacts gives exactly what a clean build gives.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

const NOTHING_CHANGED: &str = "Nothing changed since the last build";
const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:layer:mine:1";

/// A project with requirements on the fixture index and its own cache.
struct World {
    p: TestProject,
    server: Option<IndexServer>,
    cache: tempfile::TempDir,
    index_url: String,
}

impl World {
    fn new(requirements: &str) -> World {
        let p = TestProject::new();
        p.write("requirements.txt", requirements);
        p.write("chalicelib/__init__.py", "");
        p.write("chalicelib/db.py", "DB = 1\n");
        p.write("vendor/tool.py", "TOOL = 1\n");
        let server = IndexServer::start(IndexServerOptions::default());
        let index_url = server.url();
        World {
            p,
            server: Some(server),
            cache: tempfile::tempdir().unwrap(),
            index_url,
        }
    }

    /// `grail package OUT --index-url … --cache-dir CACHE EXTRA…`.
    fn package(&self, out: &str, cache: &Path, extra: &[&str]) -> Output {
        let mut cmd = self.p.grail();
        without(&mut cmd, PROXY_ENV);
        cmd.args(["package", out, "--python", "python3", "--index-url"])
            .arg(&self.index_url)
            .arg("--cache-dir")
            .arg(cache)
            .args(extra);
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", run_text(&o));
        o
    }

    /// Into `out`, with the world's cache: what it printed on stdout.
    fn build(&self, extra: &[&str]) -> String {
        stdout_of(&self.package("out", self.cache.path(), extra))
    }

    /// The files of `rel` (OUT) by name, with their bytes.
    fn files(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(self.p.out(rel))
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    }

    /// A clean build (new OUT, empty cache) gives what `out` holds, and the
    /// run that wrote `out` did build (said `stderr`).
    fn assert_clean(&self, stdout: &str, extra: &[&str], what: &str) {
        assert!(!stdout.contains(NOTHING_CHANGED), "{what}: {stdout}");
        let clean_cache = tempfile::tempdir().unwrap();
        let clean = format!("clean-{}", what.replace(' ', "-"));
        self.package(&clean, clean_cache.path(), extra);
        assert_eq!(self.files("out"), self.files(&clean), "{what}");
        // And the same inputs again are a no-op.
        assert!(self.build(extra).contains(NOTHING_CHANGED), "{what}");
    }
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.path(), e.metadata().unwrap().modified().unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn unchanged_project_is_a_no_op_that_never_asks_the_index() {
    let mut w = World::new("six\n");
    let first = w.build(&[]);
    assert!(!first.contains(NOTHING_CHANGED), "{first}");
    let before = w.files("out");
    let times = mtimes(&w.p.out("out"));
    // The index is gone (no --offline): a no-op must not need it.
    drop(w.server.take());
    let second = w.build(&[]);
    let lines: Vec<&str> = second.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {second}");
    assert!(lines[0].contains(NOTHING_CHANGED), "{second}");
    assert!(lines[0].contains("--refresh"), "{second}");
    assert_eq!(w.files("out"), before);
    assert_eq!(mtimes(&w.p.out("out")), times, "nothing rewritten");
    // --refresh re-resolves, and needs the index (which is gone): it fails.
    let mut cmd = w.p.grail();
    without(&mut cmd, PROXY_ENV);
    let o = cmd
        .args([
            "package",
            "out",
            "--python",
            "python3",
            "--refresh",
            "--index-url",
        ])
        .arg(&w.index_url)
        .arg("--cache-dir")
        .arg(w.cache.path())
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", run_text(&o));
}

#[test]
fn out_edited_or_deleted_by_hand_is_rebuilt() {
    let w = World::new("six\n");
    w.build(&[]);
    let built = w.files("out");
    let zip = w.p.out("out/deployment.zip");
    let mut bytes = fs::read(&zip).unwrap();
    bytes.push(0);
    fs::write(&zip, bytes).unwrap();
    assert!(!w.build(&[]).contains(NOTHING_CHANGED));
    assert_eq!(w.files("out"), built);
    fs::remove_file(&zip).unwrap();
    assert!(!w.build(&[]).contains(NOTHING_CHANGED));
    assert_eq!(w.files("out"), built);
    // A deleted state is only a rebuild.
    fs::remove_dir_all(w.cache.path().join("rebuild")).unwrap();
    assert!(!w.build(&[]).contains(NOTHING_CHANGED));
    assert_eq!(w.files("out"), built);
}

#[test]
fn every_kind_of_change_gives_a_clean_build() {
    let w = World::new("six\nidna\n");
    w.build(&[]);
    assert!(w.build(&[]).contains(NOTHING_CHANGED));

    w.p.write(
        "app.py",
        "from chalice import Chalice\napp = Chalice(app_name='t2')\n",
    );
    w.assert_clean(&w.build(&[]), &[], "app.py");

    w.p.write("chalicelib/db.py", "DB = 2\n");
    w.assert_clean(&w.build(&[]), &[], "chalicelib");
    w.p.write("chalicelib/new.py", "NEW = 1\n");
    w.assert_clean(&w.build(&[]), &[], "chalicelib file added");

    w.p.write("vendor/tool.py", "TOOL = 2\n");
    w.assert_clean(&w.build(&[]), &[], "vendor");

    w.p.write("requirements.txt", "six\n");
    w.assert_clean(&w.build(&[]), &[], "requirements");
    w.p.write("requirements.txt", "six\n-r more.txt\n");
    w.p.write("more.txt", "");
    w.assert_clean(&w.build(&[]), &[], "included file");
    w.p.write("more.txt", "idna\n");
    w.assert_clean(&w.build(&[]), &[], "included file edited");

    // The interpreter's chalice (its runtime files ship in the zip).
    write(
        &w.p.fake_chalice.path().join("chalice/app.py"),
        "# another chalice\nclass Chalice:\n    pass\n",
    );
    w.assert_clean(&w.build(&[]), &[], "chalice upgraded");

    let target = ["--python-version", "3.11"];
    w.assert_clean(&w.build(&target), &target, "target");

    w.p.write(
        ".chalice/config.json",
        r#"{"version": "2.0", "app_name": "t", "automatic_layer": true, "stages": {"dev": {}}}"#,
    );
    w.assert_clean(&w.build(&[]), &[], "config");
    assert!(w.files("out").contains_key("layer-deployment.zip"));
}

fn manifest(package: &str) -> String {
    serde_json::json!({
        "schema": "grail-layer-manifest/1",
        "arn": ARN,
        "python": "3.12",
        "architecture": "x86_64",
        "site_dir": "python/lib/python3.12/site-packages",
        "unzipped_bytes": 100_000,
        "provenance": "scanned",
        "packages": [{"name": package, "version": "1.0", "top_level": [package]}],
    })
    .to_string()
}

#[test]
fn a_layer_manifest_change_gives_a_clean_build() {
    let w = World::new("six\nidna\n");
    w.p.write(
        ".chalice/config.json",
        &format!(r#"{{"version": "2.0", "app_name": "t", "layers": ["{ARN}"], "stages": {{"dev": {{}}}}}}"#),
    );
    let path = w.p.out("layer.json");
    fs::write(&path, manifest("six")).unwrap();
    let flag = format!("{ARN}={}", path.display());
    let args = ["--layer-manifest", flag.as_str(), "--allow-shadow"];
    w.build(&args);
    assert!(w.build(&args).contains(NOTHING_CHANGED));
    fs::write(&path, manifest("idna")).unwrap();
    w.assert_clean(&w.build(&args), &args, "layer manifest");
}

#[test]
fn a_new_wheel_in_a_find_links_directory_gives_a_clean_build() {
    let w = World::new("tiny\n");
    let links = w.p.out("wheels");
    fs::create_dir_all(&links).unwrap();
    let tag = "py3-none-any";
    build_wheel(&links, "tiny", "1.0", tag, &[("tiny.py", b"V = 1\n")], &[]);
    let flag = links.display().to_string();
    let args = ["--no-index", "--find-links", flag.as_str()];
    w.build(&args);
    assert!(w.build(&args).contains(NOTHING_CHANGED));
    build_wheel(&links, "tiny", "2.0", tag, &[("tiny.py", b"V = 2\n")], &[]);
    w.assert_clean(&w.build(&args), &args, "find-links");
    assert_eq!(
        zip_map(&w.p.out("out/deployment.zip"))["tiny.py"],
        b"V = 2\n"
    );
}

//! Hermetic end-to-end tests of dependency resolution: the `grail` binary
//! against a loopback index (`support::index_server`) serving `vendor-fixtures/index/`
//! (built by `scripts/gen-fixture-index.py`).
//!
//! Every run passes `--index-url <loopback>` and a fresh `--cache-dir`, and
//! clears the `PIP_*` variables, so nothing outside the test is consulted.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;
use assert_cmd::Command;
use serde_json::Value;

/// The alpaca-py release in the fixture index.
const ALPACA: &str = "alpaca-py==0.43.2";

fn server(mode: Mode, metadata_files: bool, range: bool) -> IndexServer {
    IndexServer::start(IndexServerOptions {
        mode,
        metadata_files,
        range,
        ..IndexServerOptions::default()
    })
}

fn fixture(project: &str, file: &str) -> PathBuf {
    fixtures_root().join(project).join(file)
}

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A project with `requirements` and the stand-in chalice (host python3).
fn project(requirements: &str) -> TestProject {
    let p = TestProject::new();
    if !requirements.is_empty() {
        p.write("requirements.txt", requirements);
    }
    p
}

/// `grail --project-dir P package out --index-url … --cache-dir … ARGS`,
/// with the host python3 and the stand-in chalice.
fn package(p: &TestProject, index_url: &str, cache: &Path, args: &[&str]) -> Output {
    let mut cmd = p.grail();
    hermetic(&mut cmd);
    cmd.env("PYTHONPATH", p.fake_chalice.path());
    run(cmd, index_url, cache, args)
}

/// The same with no Python at all: PATH is an empty directory.
fn package_without_python(p: &TestProject, index_url: &str, cache: &Path, args: &[&str]) -> Output {
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("grail").unwrap();
    hermetic(&mut cmd);
    cmd.env("PATH", empty.path())
        .env_remove("PYTHONPATH")
        .env("NO_COLOR", "1")
        .arg("--project-dir")
        .arg(p.path());
    run(cmd, index_url, cache, args)
}

fn hermetic(cmd: &mut Command) {
    without(cmd, GRAIL_ENV);
    without(cmd, PROXY_ENV);
}

fn run(mut cmd: Command, index_url: &str, cache: &Path, args: &[&str]) -> Output {
    cmd.args(["package", "out", "--report", "report.json", "--index-url"])
        .arg(index_url)
        .arg("--cache-dir")
        .arg(cache)
        .args(args);
    cmd.output().unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout_of(out),
        stderr_of(out)
    );
}

/// The common run: Python 3.12 against `s`.
fn package_312(p: &TestProject, s: &IndexServer, cache: &Path) -> Output {
    package(p, &s.url(), cache, &["--python-version", "3.12"])
}

/// [`package_312`], and it must succeed.
fn package_312_ok(p: &TestProject, s: &IndexServer, cache: &Path) {
    ok(&package_312(p, s, cache));
}

fn failed_with(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout_of(out),
        stderr_of(out)
    );
    stderr_of(out)
}

fn report(p: &TestProject) -> Value {
    serde_json::from_slice(&fs::read(p.out("report.json")).unwrap()).unwrap()
}

/// name → version of the report's shipped packages.
fn shipped(p: &TestProject) -> BTreeMap<String, String> {
    report(p)["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn package_entry(p: &TestProject, name: &str) -> Value {
    report(p)["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in the report: {}", report(p)["packages"]))
        .clone()
}

fn zip_bytes(p: &TestProject) -> Vec<u8> {
    fs::read(p.out("out/deployment.zip")).unwrap()
}

/// Files under the cache's blob store and its tmp dir.
fn cache_files(cache: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let list = |d: PathBuf| -> Vec<PathBuf> {
        if !d.exists() {
            return Vec::new();
        }
        walkdir::WalkDir::new(d)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    };
    (list(cache.join("v1/blobs")), list(cache.join("v1/tmp")))
}

fn set(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The alpaca-py graph for python3.12 on x86_64 (Amazon Linux 2023, glibc
/// 2.34: the manylinux_2_28 numpy 2.4.1 and pandas wheels fit).
fn alpaca_312() -> BTreeMap<String, String> {
    set(&[
        ("alpaca-py", "0.43.2"),
        ("annotated-types", "0.7.0"),
        ("certifi", "2025.8.3"),
        ("charset-normalizer", "3.4.3"),
        ("idna", "3.10"),
        ("msgpack", "1.1.1"),
        ("numpy", "2.4.1"),
        ("pandas", "2.3.3"),
        ("pydantic", "2.11.7"),
        ("pydantic-core", "2.33.2"),
        ("python-dateutil", "2.9.0.post0"),
        ("pytz", "2025.2"),
        ("requests", "2.32.5"),
        ("six", "1.17.0"),
        ("sseclient-py", "1.8.0"),
        ("typing-extensions", "4.15.0"),
        ("typing-inspection", "0.4.1"),
        ("tzdata", "2025.2"),
        ("urllib3", "2.5.0"),
        ("websockets", "15.0.1"),
    ])
}

#[test]
fn alpaca_graph_is_identical_in_every_index_mode() {
    let modes = [
        ("json+metadata", Mode::Json, true, true),
        ("json+range", Mode::Json, false, true),
        ("html+range", Mode::Html, false, true),
        ("html, full downloads", Mode::Html, false, false),
    ];
    let mut zips: Vec<(&str, Vec<u8>)> = Vec::new();
    for (label, mode, metadata, range) in modes {
        let s = server(mode, metadata, range);
        let cache = tempfile::tempdir().unwrap();
        let p = project(&format!("{ALPACA}\n"));
        let out = package_312(&p, &s, cache.path());
        ok(&out);
        assert_eq!(shipped(&p), alpaca_312(), "{label}");
        // Every wheel is in the zip.
        let names: Vec<String> = zip_map(&p.out("out/deployment.zip")).into_keys().collect();
        for (stem, top) in [
            ("alpaca_py-0.43.2", "alpaca/__init__.py"),
            ("numpy-2.4.1", "numpy/__init__.py"),
            ("sseclient_py-1.8.0", "sseclient/__init__.py"),
        ] {
            assert!(names.iter().any(|n| n == top), "{label}: no {top}");
            assert!(
                names
                    .iter()
                    .any(|n| n == &format!("{stem}.dist-info/RECORD")),
                "{label}: no {stem}.dist-info"
            );
        }

        let log = s.requests();
        let metadata_files = log.iter().filter(|r| r.path.ends_with(".metadata")).count();
        let ranged = log.iter().filter(|r| r.status == 206).count();
        let full_wheels = log
            .iter()
            .filter(|r| r.path.ends_with(".whl") && r.status == 200)
            .count();
        match label {
            "json+metadata" => {
                // METADATA came from PEP 658 files, never from inside a wheel.
                assert!(metadata_files >= alpaca_312().len(), "{label}: {log:#?}");
                assert_eq!(ranged, 0, "{label}: {log:#?}");
            }
            "json+range" | "html+range" => {
                assert_eq!(metadata_files, 0, "{label}: {log:#?}");
                assert!(ranged >= alpaca_312().len(), "{label}: {log:#?}");
            }
            _ => {
                assert_eq!(metadata_files, 0, "{label}: {log:#?}");
                assert_eq!(ranged, 0, "{label}: {log:#?}");
            }
        }
        // Each shipped wheel is downloaded whole exactly once, whatever the mode.
        assert_eq!(full_wheels, alpaca_312().len(), "{label}: {log:#?}");
        assert!(
            log.iter().all(|r| r.status < 400),
            "{label}: failed requests {log:#?}"
        );
        zips.push((label, zip_bytes(&p)));
    }
    for (label, z) in &zips[1..] {
        assert!(
            z == &zips[0].1,
            "{label} built a different deployment.zip than {}",
            zips[0].0
        );
    }
}

#[test]
fn debug_shows_the_index_events_on_stderr_and_a_plain_run_does_not() {
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("six\n");
    let plain = package_312(&p, &s, cache.path());
    ok(&plain);
    assert!(
        !stderr_of(&plain).contains("grail::index"),
        "{}",
        stderr_of(&plain)
    );
    let debug = package(
        &p,
        &s.url(),
        cache.path(),
        &["--python-version", "3.12", "--debug"],
    );
    ok(&debug);
    let err = stderr_of(&debug);
    assert!(
        err.contains("grail::index::client") && err.contains("index page: "),
        "{err}"
    );
    assert!(!stdout_of(&debug).contains("grail::index"));
}

#[test]
fn markers_are_evaluated_for_the_lambda_target() {
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    // colorama is only for Windows; the helpers are per platform_machine.
    let p = project("click\narchpick\n");
    package_312_ok(&p, &s, cache.path());
    assert_eq!(
        shipped(&p),
        set(&[
            ("amd64-helper", "1.0"),
            ("archpick", "1.0"),
            ("click", "8.2.1")
        ])
    );
    assert_eq!(s.count(|r| r.path.contains("colorama")), 0);

    let out = package(
        &p,
        &s.url(),
        cache.path(),
        &["--python-version", "3.12", "--arch", "arm64"],
    );
    ok(&out);
    assert_eq!(
        shipped(&p),
        set(&[
            ("archpick", "1.0"),
            ("arm64-helper", "1.0"),
            ("click", "8.2.1")
        ])
    );
    assert_eq!(report(&p)["architecture"], "arm64");
}

#[test]
fn extras_pull_in_their_dependencies() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let plain = project("requests\n");
    package_312_ok(&plain, &s, cache.path());
    assert!(!shipped(&plain).contains_key("pysocks"));

    let socks = project("requests[socks]\n");
    package_312_ok(&socks, &s, cache.path());
    let names = shipped(&socks);
    assert_eq!(names.get("pysocks").map(String::as_str), Some("1.7.1"));
    assert_eq!(
        package_entry(&socks, "pysocks")["required_by"],
        serde_json::json!(["requests"])
    );
    assert!(zip_map(&socks.out("out/deployment.zip")).contains_key("socks/__init__.py"));
}

#[test]
fn yanked_releases_are_used_only_when_pinned() {
    let _s = snapshot_settings().bind_to_scope();
    let s = server(Mode::Html, false, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("urllib3\n");
    package_312_ok(&p, &s, cache.path());
    assert_eq!(shipped(&p), set(&[("urllib3", "2.5.0")]));
    // The yanked wheel was never fetched.
    assert_eq!(s.count(|r| r.path.contains("urllib3-2.6.0")), 0);

    let pinned = project("urllib3==2.6.0\n");
    package_312_ok(&pinned, &s, cache.path());
    assert_eq!(shipped(&pinned), set(&[("urllib3", "2.6.0")]));
    // A range that only the yanked release satisfies is unsatisfiable.
    let ranged = project("urllib3>2.5\n");
    let out = package_312(&ranged, &s, cache.path());
    let err = failed_with(&out, 2);
    insta::assert_snapshot!("only_a_yanked_release_fits", err);
}

#[test]
fn requires_python_selects_the_newest_release_for_the_runtime() {
    let _s = snapshot_settings().bind_to_scope();
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    for (python, version) in [("3.12", "1.0"), ("3.13", "2.0")] {
        let p = project("newpy\n");
        ok(&package(
            &p,
            &s.url(),
            cache.path(),
            &["--python-version", python],
        ));
        assert_eq!(shipped(&p), set(&[("newpy", version)]), "python{python}");
    }
    let p = project("newpy>=2\n");
    let err = failed_with(&package_312(&p, &s, cache.path()), 2);
    insta::assert_snapshot!("requires_python_excludes_every_release", err);
}

#[test]
fn numpy_follows_the_runtime_glibc() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    for (python, version, file) in [
        // python3.10/3.11 run on Amazon Linux 2 (glibc 2.26): 2.4.1 only has
        // manylinux_2_28 wheels, so the older release is chosen.
        (
            "3.10",
            "2.2.6",
            "numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        (
            "3.11",
            "2.2.6",
            "numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
        (
            "3.12",
            "2.4.1",
            "numpy-2.4.1-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        ),
    ] {
        let p = project("numpy\n");
        ok(&package(
            &p,
            &s.url(),
            cache.path(),
            &["--python-version", python],
        ));
        let e = package_entry(&p, "numpy");
        assert_eq!(e["version"], version, "python{python}");
        assert_eq!(e["file"], file, "python{python}");
    }
    // The skipped release's wheels (and the musllinux/macOS ones) were never downloaded.
    assert_eq!(
        s.count(|r| r.path.contains("musllinux") || r.path.contains("macosx")),
        0
    );
}

#[test]
fn hash_mismatch_fails_and_writes_nothing() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("badhash\n");
    p.write("out/deployment.zip", "previous build\n");
    let out = package_312(&p, &s, cache.path());
    let err = failed_with(&out, 2);
    let file = "badhash-1.0-py3-none-any.whl";
    let actual = sha256_of(&fs::read(fixture("badhash", file)).unwrap());
    let sidecar: Value =
        serde_json::from_slice(&fs::read(fixture("badhash", "index.json")).unwrap()).unwrap();
    let listed = sidecar["files"][file]["listed-sha256"].as_str().unwrap();
    assert!(err.contains(file), "{err}");
    assert!(err.contains(listed), "expected hash not named: {err}");
    assert!(err.contains(&actual), "actual hash not named: {err}");
    assert_eq!(
        fs::read_to_string(p.out("out/deployment.zip")).unwrap(),
        "previous build\n"
    );
    // The report records the failure and names the file.
    let r = report(&p);
    assert_eq!(r["outcome"], "unsatisfiable");
    assert!(
        r["error"]["message"].as_str().unwrap().contains(file),
        "{r:#}"
    );
    let (blobs, tmp) = cache_files(cache.path());
    assert!(
        blobs.iter().all(|b| !b.ends_with(&actual)),
        "the bad file was stored: {blobs:?}"
    );
    assert!(tmp.is_empty(), "temporary files left behind: {tmp:?}");

    // A fresh OUT is not created either.
    let q = project("badhash\n");
    failed_with(&package_312(&q, &s, cache.path()), 2);
    assert!(!q.out("out/deployment.zip").exists());
}

#[test]
fn hash_checking_mode_verifies_every_download() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let wheel = "six-1.17.0-py2.py3-none-any.whl";
    let good = sha256_of(&fs::read(fixture("six", wheel)).unwrap());
    let p = project(&format!("six==1.17.0 --hash=sha256:{good}\n"));
    package_312_ok(&p, &s, cache.path());
    assert_eq!(package_entry(&p, "six")["file"], wheel);

    // A wrong pin fails even though the index's own hash matches the file.
    let bad = "0".repeat(64);
    let fresh = tempfile::tempdir().unwrap();
    let q = project(&format!("six==1.17.0 --hash=sha256:{bad}\n"));
    let err = failed_with(&package_312(&q, &s, fresh.path()), 2);
    assert!(err.contains(wheel) && err.contains(&bad), "{err}");
    assert!(!q.out("out/deployment.zip").exists());
    let (blobs, tmp) = cache_files(fresh.path());
    assert!(blobs.is_empty() && tmp.is_empty(), "{blobs:?} {tmp:?}");

    // The wrong pin also fails when the file is already in the cache.
    let err = failed_with(&package_312(&q, &s, cache.path()), 2);
    assert!(err.contains(&bad), "{err}");

    // Hash-checking mode: an unpinned dependency is refused.
    let r = project(&format!(
        "python-dateutil==2.9.0.post0 --hash=sha256:{}\n",
        sha256_of(
            &fs::read(fixture(
                "python-dateutil",
                "python_dateutil-2.9.0.post0-py2.py3-none-any.whl"
            ))
            .unwrap()
        )
    ));
    let err = failed_with(&package_312(&r, &s, cache.path()), 2);
    assert!(err.contains("six"), "{err}");
}

#[test]
fn unsatisfiable_sets_explain_the_chain_and_the_target() {
    let _s = snapshot_settings().bind_to_scope();
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    // alpaca-py needs numpy>=1.24.
    let p = project(&format!("{ALPACA}\nnumpy<1.24\n"));
    let err = failed_with(&package_312(&p, &s, cache.path()), 2);
    insta::assert_snapshot!("conflict_with_a_dependency", err);
    assert!(!p.out("out/deployment.zip").exists());

    // numpy>=2.3 exists, but only as manylinux_2_28 wheels that python3.11's
    // Amazon Linux 2 cannot load.
    let q = project("numpy>=2.3\n");
    let err = failed_with(
        &package(&q, &s.url(), cache.path(), &["--python-version", "3.11"]),
        2,
    );
    insta::assert_snapshot!("no_wheel_for_the_target", err);
    // The closest miss (glibc), not the first incompatible file (aarch64).
    assert!(err.contains("glibc 2.27") && err.contains("2.26"), "{err}");
    assert!(!err.contains("aarch64"), "{err}");
    assert!(!q.out("out/deployment.zip").exists());

    // A project the index does not have.
    let r = project("no-such-project\n");
    let err = failed_with(&package_312(&r, &s, cache.path()), 2);
    insta::assert_snapshot!("unknown_project", err);
}

#[test]
fn sdist_only_package_without_a_builder_is_missing() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("sdistonly\nsix\n");
    let out = package_without_python(&p, &s.url(), cache.path(), &["--python-version", "3.12"]);
    let err = failed_with(&out, 2);
    assert!(err.contains("sdistonly==0.1"), "{err}");
    assert!(
        err.contains("vendor/") && err.contains("--allow-missing"),
        "{err}"
    );
    assert!(!p.out("out/deployment.zip").exists());

    let out = package_without_python(
        &p,
        &s.url(),
        cache.path(),
        &["--python-version", "3.12", "--allow-missing"],
    );
    ok(&out);
    // Chalice's warning, byte for byte, on stdout (chalice-package.md §5.7).
    let chalice_text = "\nCould not install dependencies:\nsdistonly==0.1\n\
        You will have to build these yourself and vendor them in\n\
        the chalice vendor folder.\n\n\
        Your deployment will continue but may not work correctly\n\
        if missing dependencies are not present. For more information:\n\
        http://aws.github.io/chalice/topics/packaging.html\n";
    assert!(
        stdout_of(&out).contains(chalice_text),
        "stdout:\n{}",
        stdout_of(&out)
    );
    let names = shipped(&p);
    assert!(!names.contains_key("sdistonly"), "{names:?}");
    assert_eq!(names.get("six").map(String::as_str), Some("1.17.0"));
    let zip = zip_map(&p.out("out/deployment.zip"));
    assert!(
        zip.keys().all(|k| !k.starts_with("sdistonly")),
        "{:?}",
        zip.keys()
    );
    assert!(zip.contains_key("six/__init__.py"));
    // six has a wheel and an sdist: the wheel is used.
    assert_eq!(package_entry(&p, "six")["source"], "index");
    assert_eq!(s.count(|r| r.path.ends_with("six-1.17.0.tar.gz")), 0);
}

#[test]
fn offline_runs_reuse_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let p = project(&format!("{ALPACA}\nrequests[socks]\n"));
    let url = {
        let s = server(Mode::Json, false, true);
        package_312_ok(&p, &s, cache.path());
        s.url()
    }; // the server is gone
    let first = zip_bytes(&p);
    fs::remove_dir_all(p.out("out")).unwrap();
    let out = package(
        &p,
        &url,
        cache.path(),
        &["--python-version", "3.12", "--offline"],
    );
    ok(&out);
    assert!(zip_bytes(&p) == first, "the offline build differs");

    // Offline with an empty cache fails and says how to fix it.
    let empty = tempfile::tempdir().unwrap();
    let q = project(&format!("{ALPACA}\n"));
    let err = failed_with(
        &package(
            &q,
            &url,
            empty.path(),
            &["--python-version", "3.12", "--offline"],
        ),
        2,
    );
    assert!(
        err.contains("not in the cache") && err.contains("without --offline"),
        "{err}"
    );
    assert!(!q.out("out/deployment.zip").exists());
}

#[test]
fn concurrent_runs_share_one_cache() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let projects = [
        project(&format!("{ALPACA}\n")),
        project(&format!("{ALPACA}\n")),
    ];
    let children: Vec<_> = projects
        .iter()
        .map(|p| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("grail"));
            for k in GRAIL_ENV.iter().chain(PROXY_ENV) {
                cmd.env_remove(k);
            }
            cmd.env("PYTHONPATH", p.fake_chalice.path())
                .env("NO_COLOR", "1")
                .arg("--project-dir")
                .arg(p.path())
                .args(["package", "out", "--report", "report.json", "--index-url"])
                .arg(s.url())
                .arg("--cache-dir")
                .arg(cache.path())
                .args(["--python-version", "3.12"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    // Both processes run at once; wait for both.
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        ok(out);
    }
    assert!(zip_bytes(&projects[0]) == zip_bytes(&projects[1]));
    assert_eq!(shipped(&projects[0]), alpaca_312());
    let (blobs, tmp) = cache_files(cache.path());
    assert!(tmp.is_empty(), "{tmp:?}");
    for b in &blobs {
        let name = b.file_name().unwrap().to_str().unwrap();
        assert_eq!(sha256_of(&fs::read(b).unwrap()), name, "corrupt blob {b:?}");
    }
    assert!(blobs.len() >= alpaca_312().len(), "{blobs:?}");
}

#[test]
fn report_lists_each_package_with_its_origin() {
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("requests[socks]==2.32.5\n");
    package_312_ok(&p, &s, cache.path());
    let r = report(&p);
    let packages: Vec<(String, String, String, String, Value)> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["version"].as_str().unwrap().to_string(),
                e["source"].as_str().unwrap().to_string(),
                e["file"].as_str().unwrap().to_string(),
                e["required_by"].clone(),
            )
        })
        .collect();
    let row = |n: &str, v: &str, f: &str, by: Value| {
        (
            n.to_string(),
            v.to_string(),
            "index".to_string(),
            f.to_string(),
            by,
        )
    };
    use serde_json::json;
    assert_eq!(
        packages,
        vec![
            row("certifi", "2025.8.3", "certifi-2025.8.3-py3-none-any.whl", json!(["requests"])),
            // The target's compiled wheel beats the pure one.
            row(
                "charset-normalizer",
                "3.4.3",
                "charset_normalizer-3.4.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                json!(["requests"])
            ),
            row("idna", "3.10", "idna-3.10-py3-none-any.whl", json!(["requests"])),
            row("pysocks", "1.7.1", "pysocks-1.7.1-py3-none-any.whl", json!(["requests"])),
            row(
                "requests",
                "2.32.5",
                "requests-2.32.5-py3-none-any.whl",
                json!(["<requirements.txt>"])
            ),
            row("urllib3", "2.5.0", "urllib3-2.5.0-py3-none-any.whl", json!(["requests"])),
        ]
    );
    for e in r["packages"].as_array().unwrap() {
        assert_eq!(e["in_zip"], "deployment.zip");
        assert!(e["unzipped_bytes"].as_u64().unwrap() > 0, "{e}");
    }
    assert_eq!(r["runtime"], "python3.12");
    assert_eq!(r["chalice_runtime"]["version"], "1.34.0");
}

#[test]
fn direct_wheel_references_are_installed_from_their_url() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let wheels = tempfile::tempdir().unwrap();
    let local = build_wheel(
        wheels.path(),
        "localpkg",
        "1.0",
        "py3-none-any",
        &[("localpkg/__init__.py", b"LOCAL = 1\n")],
        &["six>=1.5"],
    );
    let p = project(&format!("localpkg @ file://{}\n", local.display()));
    package_312_ok(&p, &s, cache.path());
    let e = package_entry(&p, "localpkg");
    assert_eq!(e["source"], "url");
    assert_eq!(e["file"], "localpkg-1.0-py3-none-any.whl");
    assert_eq!(
        package_entry(&p, "six")["required_by"],
        serde_json::json!(["localpkg"])
    );
    let zip = zip_map(&p.out("out/deployment.zip"));
    assert_eq!(zip["localpkg/__init__.py"], b"LOCAL = 1\n");
    assert!(zip.contains_key("six/__init__.py"));

    // A plain path, relative to requirements.txt.
    let q = project("");
    fs::create_dir_all(q.out("wheels")).unwrap();
    fs::copy(&local, q.out("wheels/localpkg-1.0-py3-none-any.whl")).unwrap();
    q.write(
        "requirements.txt",
        "./wheels/localpkg-1.0-py3-none-any.whl\n",
    );
    package_312_ok(&q, &s, cache.path());
    assert_eq!(package_entry(&q, "localpkg")["source"], "url");

    // An https-style direct reference (here the loopback server's file URL).
    let six = "six-1.17.0-py2.py3-none-any.whl";
    let r = project(&format!("six @ {}/files/six/{six}\n", s.base()));
    package_312_ok(&r, &s, cache.path());
    let e = package_entry(&r, "six");
    assert_eq!(e["file"], six);
    assert_eq!(e["source"], "url");
}

#[test]
fn chalice_runtime_comes_from_the_index_without_python() {
    let s = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    let fixture_app = |v: &str| format!("# fixture chalice {v} app.py\nclass Chalice:\n    pass\n");

    // No interpreter on PATH: the newest final release (not 1.35.0b1).
    let p = project("six\n");
    let out = package_without_python(&p, &s.url(), cache.path(), &["--python-version", "3.12"]);
    ok(&out);
    assert!(
        stdout_of(&out).contains("from chalice 1.34.0 (chalice-1.34.0-py3-none-any.whl"),
        "which release was used is not said:\n{}",
        stdout_of(&out)
    );
    let zip = zip_map(&p.out("out/deployment.zip"));
    assert_eq!(zip["chalice/app.py"], fixture_app("1.34.0").as_bytes());
    assert_eq!(
        zip["chalice/__init__.py"],
        b"__version__ = '1.34.0'\nfrom chalice.app import Chalice\n"
    );
    assert!(zip.contains_key("six/__init__.py"));
    let r = report(&p);
    assert_eq!(r["chalice_runtime"]["version"], "1.34.0");
    assert_eq!(
        r["chalice_runtime"]["source"],
        "chalice-1.34.0-py3-none-any.whl"
    );
    // chalice itself is not a dependency of the app.
    assert!(!shipped(&p).contains_key("chalice"));
    assert!(
        zip.keys().all(|k| !k.starts_with("chalice-")),
        "{:?}",
        zip.keys()
    );

    // --chalice-version picks a release; no requirements.txt needed.
    let q = project("");
    let out = package_without_python(
        &q,
        &s.url(),
        cache.path(),
        &["--python-version", "3.12", "--chalice-version", "1.33.0"],
    );
    ok(&out);
    let zip = zip_map(&q.out("out/deployment.zip"));
    assert_eq!(zip["chalice/app.py"], fixture_app("1.33.0").as_bytes());
    assert_eq!(report(&q)["chalice_runtime"]["version"], "1.33.0");

    // An interpreter without chalice (`-S`: no site-packages) also gets it
    // from the index, and still sets the runtime when none is given.
    let bin = tempfile::tempdir().unwrap();
    let wrapper = bin.path().join("python-without-chalice");
    fs::write(&wrapper, "#!/bin/sh\nexec python3 -S \"$@\"\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = project("");
    let mut cmd = r.grail();
    hermetic(&mut cmd);
    cmd.env_remove("PYTHONPATH")
        .args(["package", "out", "--report", "report.json", "--index-url"])
        .arg(s.url())
        .arg("--cache-dir")
        .arg(cache.path())
        .arg("--python")
        .arg(&wrapper);
    let out = cmd.output().unwrap();
    ok(&out);
    let zip = zip_map(&r.out("out/deployment.zip"));
    assert_eq!(zip["chalice/app.py"], fixture_app("1.34.0").as_bytes());
    assert_eq!(report(&r)["chalice_runtime"]["version"], "1.34.0");

    // An unknown release is an error naming it.
    let out = package_without_python(
        &q,
        &s.url(),
        cache.path(),
        &["--python-version", "3.12", "--chalice-version", "9.9.9"],
    );
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("9.9.9"), "{}", stderr_of(&out));

    // Without --python-version and no Python, grail says what to pass.
    let out = package_without_python(&q, &s.url(), cache.path(), &[]);
    let err = failed_with(&out, 1);
    assert!(err.contains("--python-version"), "{err}");
}

/// Bytes saved are known even when metadata came from PEP 658 `.metadata`
/// files (as on PyPI), which carry no size: grail reads the wheel's central
/// directory with Range requests for the excluded packages only.
#[test]
fn bytes_saved_are_known_with_pep658_metadata() {
    let server = server(Mode::Json, true, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("requests\n");
    p.write(
        ".chalice/config.json",
        r#"{"version": "2.0", "app_name": "t", "runtime_provided": true}"#,
    );
    package_312_ok(&p, &server, cache.path());
    let r = report(&p);
    let urllib3 = r["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "urllib3")
        .cloned()
        .expect("urllib3 is provided by the runtime");
    assert_eq!(urllib3["reason"], "runtime");
    assert!(urllib3["saved_bytes"].as_u64().unwrap() > 0, "{urllib3}");
    // Only urllib3's wheel was read for its size: it is never downloaded whole.
    let whole = server
        .count(|r| r.path.contains("urllib3") && r.path.ends_with(".whl") && r.range.is_none());
    assert_eq!(whole, 0);
}

/// A warm run fetches every page the last resolution of the same
/// requirements needed up front, in parallel (the warm hint), instead of
/// level by level behind the resolver; the artifact is the same.
#[test]
fn warm_runs_fetch_the_pages_the_last_resolution_needed_up_front() {
    let s = server(Mode::Json, false, true);
    let cache = tempfile::tempdir().unwrap();
    let p = project("requests\n");
    let pages = |s: &IndexServer| -> Vec<String> {
        s.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/simple/"))
            .map(|r| r.path)
            .collect()
    };
    package_312_ok(&p, &s, cache.path());
    let cold = pages(&s);
    assert_eq!(cold.first().map(String::as_str), Some("/simple/requests/"));
    let first = zip_bytes(&p);

    s.clear_requests();
    fs::remove_dir_all(p.out("out")).unwrap();
    package_312_ok(&p, &s, cache.path());
    let warm = pages(&s);
    // The hint's names in order: certifi first, alone (it opens the
    // connection), then the rest at once.
    assert_eq!(
        warm.first().map(String::as_str),
        Some("/simple/certifi/"),
        "{warm:?}"
    );
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(warm), sorted(cold));
    assert!(zip_bytes(&p) == first, "the warm build differs");
}

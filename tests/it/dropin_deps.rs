//! Drop-in on real projects, the dependency classes (issue 15, classes 1 and
//! 2): minimal projects of our own, resolved against the loopback index
//! serving `vendor-fixtures/index/`, that reproduce what real projects pin.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use crate::support::*;

/// `grail package out` against the loopback index, with the host python3
/// and the stand-in chalice, a fresh cache and a report.
fn package(p: &TestProject, s: &IndexServer, cache: &Path, extra: &[&str]) -> Output {
    let mut cmd = p.grail();
    without(&mut cmd, PROXY_ENV);
    cmd.args(["package", "out", "--python", "python3"])
        .args(["--report", "out/report.json", "--index-url"])
        .arg(s.url())
        .arg("--cache-dir")
        .arg(cache)
        .args(extra);
    cmd.output().unwrap()
}

fn exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", run_text(out));
}

/// name → (version, source) from the report.
fn shipped(p: &TestProject) -> BTreeMap<String, (String, String)> {
    p.report("out/report.json")["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                (
                    e["version"].as_str().unwrap().to_string(),
                    e["source"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn project(requirements: &str) -> TestProject {
    let p = TestProject::new();
    p.write("requirements.txt", requirements);
    p
}

/// Class 2: `twilio==6.45.3` is published only as an sdist while other
/// releases have wheels. The pin is built (a pure wheel is fine on any
/// host); without the pin the release with a wheel is taken, unbuilt.
#[test]
fn pinned_sdist_only_release_is_built() {
    let s = IndexServer::start(IndexServerOptions::default());
    let cache = tempfile::tempdir().unwrap();
    let p = project("pinsdist==1.0\n");
    let out = package(&p, &s, cache.path(), &[]);
    exit(&out, 0);
    assert_eq!(
        shipped(&p)["pinsdist"],
        ("1.0".to_string(), "sdist-build".to_string())
    );
    let zip = zip_map(&p.out("out/deployment.zip"));
    assert_eq!(zip["pinsdist/__init__.py"], b"__version__ = \"1.0\"\n");

    let p = project("pinsdist\n");
    exit(&package(&p, &s, cache.path(), &[]), 0);
    assert_eq!(
        shipped(&p)["pinsdist"],
        ("2.0".to_string(), "index".to_string())
    );
    assert_eq!(s.count(|r| r.path.ends_with("pinsdist-1.0.tar.gz")), 1);
}

/// Class 2, native: a pinned sdist-only release that compiles an extension
/// follows the host-match rule (this host's glibc is newer than the
/// runtime's), with the command that builds it; the message names the pin,
/// not a "newest" release. `--allow-missing` skips it with Chalice's warning.
#[test]
fn pinned_native_sdist_is_refused_with_what_to_do_or_skipped() {
    let s = IndexServer::start(IndexServerOptions::default());
    let cache = tempfile::tempdir().unwrap();
    let p = project("pinnative==1.0\nsix\n");
    let out = package(&p, &s, cache.path(), &["--python-version", "3.12"]);
    exit(&out, 2);
    let err = stderr_of(&out);
    for needle in [
        "pinnative==1.0",
        "cannot run on python3.12",
        "CC=/var/false",
        "public.ecr.aws/sam/build-python3.12:latest-x86_64 pip wheel --no-deps --wheel-dir /out pinnative==1.0",
        "--allow-missing",
    ] {
        assert!(err.contains(needle), "{needle}:\n{err}");
    }
    assert!(!err.contains("newest"), "{err}");

    let out = package(
        &p,
        &s,
        cache.path(),
        &["--python-version", "3.12", "--allow-missing"],
    );
    exit(&out, 0);
    assert!(
        stdout_of(&out).contains("\nCould not install dependencies:\npinnative==1.0\n"),
        "{}",
        stdout_of(&out)
    );
    let names = shipped(&p);
    assert!(!names.contains_key("pinnative"), "{names:?}");
    assert!(names.contains_key("six"));
}

/// Class 2, optional C extension (`PyYAML==5.3.1` on python3.12): the host
/// cannot build for the runtime, so the sdist is rebuilt with `CC=/var/false`
/// as Chalice's last pass does, and the pure result ships, with a warning.
#[test]
fn optional_c_extension_ships_its_pure_fallback() {
    let s = IndexServer::start(IndexServerOptions::default());
    let cache = tempfile::tempdir().unwrap();
    let p = project("optionalc==1.0\n");
    let out = package(&p, &s, cache.path(), &["--python-version", "3.12"]);
    exit(&out, 0);
    let err = stderr_of(&out);
    assert!(
        err.contains("optionalc 1.0: built from its sdist without a C compiler (CC=/var/false"),
        "{err}"
    );
    assert_eq!(
        shipped(&p)["optionalc"],
        ("1.0".to_string(), "sdist-build".to_string())
    );
    let zip = zip_map(&p.out("out/deployment.zip"));
    assert!(zip.contains_key("optionalc/__init__.py"));
    assert!(zip.keys().all(|k| !k.ends_with(".so")), "{:?}", zip.keys());
    assert!(zip.contains_key("optionalc-1.0.dist-info/WHEEL"));
    let wheel = String::from_utf8_lossy(&zip["optionalc-1.0.dist-info/WHEEL"]).to_string();
    assert!(wheel.contains("Tag: py3-none-any"), "{wheel}");
}

/// Class 1: `chalice==1.26.6` in requirements.txt (the runtime's chalice is
/// another release). As Chalice does: resolved and installed like any other
/// requirement, its `chalice/` directory left out (no `chalice/cli/…`, no
/// "written by both"), the runtime files written, its dist-info and its
/// dependencies shipped, and a warning says what they cost.
#[test]
fn chalice_in_requirements_ships_like_chalice_package() {
    let s = IndexServer::start(IndexServerOptions::default());
    let cache = tempfile::tempdir().unwrap();
    let p = project("chalice==1.26.6\nsix\n");
    let out = package(&p, &s, cache.path(), &[]);
    exit(&out, 0);
    let zip = zip_map(&p.out("out/deployment.zip"));
    let chalice_paths: Vec<&String> = zip.keys().filter(|k| k.starts_with("chalice/")).collect();
    assert_eq!(chalice_paths, ["chalice/__init__.py", "chalice/app.py"]);
    assert_eq!(zip["chalice/app.py"], FAKE_CHALICE_APP.as_bytes());
    assert_eq!(zip["chalice/__init__.py"], FAKE_CHALICE_INIT.as_bytes());
    for shipped in [
        "chalice-1.26.6.dist-info/METADATA",
        "click/__init__.py",
        "six/__init__.py",
    ] {
        assert!(zip.contains_key(shipped), "{shipped}: {:?}", zip.keys());
    }
    // six is also a requirement of its own: only click and chalice's
    // dist-info are there because of chalice.
    let cost: usize = zip
        .iter()
        .filter(|(k, _)| {
            k.starts_with("chalice-1.26.6.dist-info/")
                || k.starts_with("click/")
                || k.starts_with("click-8.2.1.dist-info/")
        })
        .map(|(_, v)| v.len())
        .sum();
    let err = stderr_of(&out);
    let expected = format!(
        "chalice 1.26.6 is listed in requirements.txt: as `chalice package` does, its chalice/ \
         directory is left out (the chalice runtime files are written instead), but its \
         dist-info and the package only it needs (click) are shipped, {} bytes",
        grouped(cost as u64)
    );
    assert!(err.contains(&expected), "{expected}\n{err}");
    assert!(
        err.contains("remove chalice from requirements.txt"),
        "{err}"
    );
}

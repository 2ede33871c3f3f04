//! Lock files: `grail lock` writes a PEP 751 pylock.toml for every stage's
//! target; `grail package` installs from it without reading an index page
//! (the same zip as a resolving build), `--locked` names what drifted,
//! `--frozen` trusts it, a tampered hash is refused. Also pyproject.toml as
//! the requirements input. The uv interop test needs uv (`scripts/test`
//! installs it) and is ignored otherwise.

use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::support::*;

/// A project on its own loopback index; `stages` merged into config.
fn project(requirements: &str, stages: serde_json::Value) -> IndexedProject {
    let p = IndexedProject::new(
        requirements,
        json!({}),
        Server::Owned(IndexServer::start(IndexServerOptions::default())),
    );
    p.config(json!({ "stages": stages }));
    p
}

/// `grail ARGS… --index-url … --cache-dir CACHE --python python3 --python-version 3.12`.
fn grail(p: &IndexedProject, cache: &Path, args: &[&str]) -> Output {
    grail_for(p, cache, "3.12", args)
}

/// [`grail`] for another runtime.
fn grail_for(p: &IndexedProject, cache: &Path, python: &str, args: &[&str]) -> Output {
    let mut cmd = p.p.grail();
    without(&mut cmd, PROXY_ENV);
    cmd.args(args)
        .args(["--index-url", &p.server.url(), "--cache-dir"])
        .arg(cache)
        .args(["--python", "python3", "--python-version", python]);
    cmd.output().unwrap()
}

fn ok(o: Output) -> Output {
    assert_eq!(o.status.code(), Some(0), "{}", run_text(&o));
    o
}

fn lock_text(p: &IndexedProject) -> String {
    fs::read_to_string(p.p.out("pylock.toml")).unwrap()
}

/// The dist-info directories of a zip, sorted.
fn dist_infos(zip: &Path) -> Vec<String> {
    let mut v: Vec<String> = zip_map(zip)
        .keys()
        .filter_map(|k| k.split('/').next())
        .filter(|d| d.ends_with(".dist-info"))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

const TWO_STAGES: &str = r#"{"dev": {}, "prod": {"lambda_architecture": "arm64"}}"#;

#[test]
fn lock_covers_every_stage_and_a_build_from_it_equals_a_resolving_build() {
    let p = project(
        "requests==2.32.5\nnumpy==2.2.6\n",
        serde_json::from_str(TWO_STAGES).unwrap(),
    );
    let out = ok(grail(&p, p.cache.path(), &["lock"]));
    assert!(
        stdout_of(&out).starts_with("Wrote ")
            && stdout_of(&out)
                .contains("pylock.toml (6 packages for python3.12 (x86_64), python3.12 (arm64))"),
        "{}",
        run_text(&out)
    );
    let text = lock_text(&p);
    for want in [
        "lock-version = \"1.0\"",
        "created-by = \"grail\"",
        "requires-python = \">=3.12\"",
        "platform_machine == \"aarch64\"",
        "[tool.grail]",
        "lock-format = 1",
        "{ path = \"requirements.txt\", sha256 = ",
        "target = \"python3.12-x86_64\", stage = \"dev\"",
        "target = \"python3.12-arm64\", stage = \"prod\"",
        "numpy-2.2.6-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ] {
        assert!(text.contains(want), "{want} missing from\n{text}");
    }
    // The same package set on both targets: no entry needs a marker.
    assert!(!text.contains("\nmarker = "), "{text}");
    // Locking again writes the same bytes.
    ok(grail(&p, p.cache.path(), &["lock"]));
    assert_eq!(lock_text(&p), text);

    // From the lock, with an empty cache: files only, never an index page.
    let fresh = tempfile::tempdir().unwrap();
    p.server.clear_requests();
    ok(grail(
        &p,
        fresh.path(),
        &["package", "out-lock", "--locked"],
    ));
    let pages = p.server.count(|r| r.path.contains("/simple/"));
    assert_eq!(pages, 0, "{:?}", p.server.requests());
    assert!(p.server.count(|r| r.path.contains("/files/")) > 0);
    // And for the other stage's target.
    ok(grail(
        &p,
        fresh.path(),
        &["package", "out-arm", "--locked", "--stage", "prod"],
    ));
    let arm = zip_map(&p.p.out("out-arm/deployment.zip"));
    let wheel = String::from_utf8_lossy(&arm["numpy-2.2.6.dist-info/WHEEL"]).to_string();
    assert!(wheel.contains("aarch64"), "{wheel}");

    // Without the lock: resolution gives byte-identical artifacts.
    fs::rename(p.p.out("pylock.toml"), p.p.out("saved.toml")).unwrap();
    ok(grail(&p, p.cache.path(), &["package", "out-resolve"]));
    assert_eq!(
        fs::read(p.p.out("out-lock/deployment.zip")).unwrap(),
        fs::read(p.p.out("out-resolve/deployment.zip")).unwrap()
    );
    // --lock PATH names another file.
    ok(grail(
        &p,
        fresh.path(),
        &["package", "out-path", "--lock", "saved.toml", "--locked"],
    ));
    assert_eq!(
        fs::read(p.p.out("out-path/deployment.zip")).unwrap(),
        fs::read(p.p.out("out-resolve/deployment.zip")).unwrap()
    );
}

#[test]
fn locked_names_the_drift_frozen_ignores_it_and_the_default_resolves() {
    let p = project("requests==2.32.5\n", json!({"dev": {}}));
    ok(grail(&p, p.cache.path(), &["lock"]));
    p.p.write("requirements.txt", "requests==2.32.5\nsix==1.17.0\n");

    let o = grail(&p, p.cache.path(), &["package", "out", "--locked"]);
    assert_eq!(o.status.code(), Some(2), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("out of date") && err.contains("requirements.txt changed"),
        "{err}"
    );

    ok(grail(
        &p,
        p.cache.path(),
        &["package", "frozen", "--frozen"],
    ));
    assert!(!dist_infos(&p.p.out("frozen/deployment.zip"))
        .iter()
        .any(|d| d.starts_with("six-")));

    let o = ok(grail(&p, p.cache.path(), &["package", "auto"]));
    assert!(stderr_of(&o).contains("is out of date"), "{}", run_text(&o));
    assert!(dist_infos(&p.p.out("auto/deployment.zip"))
        .iter()
        .any(|d| d.starts_with("six-")));
    // The default run never rewrites the lock.
    assert!(!lock_text(&p).contains("six"));

    // A target the lock does not have.
    p.p.write("requirements.txt", "requests==2.32.5\n");
    ok(grail(&p, p.cache.path(), &["package", "same", "--locked"]));
    let o = grail(
        &p,
        p.cache.path(),
        &["package", "arm", "--locked", "--arch", "arm64"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains("python3.12-arm64 is not locked (the lock has python3.12-x86_64)"),
        "{}",
        run_text(&o)
    );

    // No lock at all.
    fs::remove_file(p.p.out("pylock.toml")).unwrap();
    let o = grail(&p, p.cache.path(), &["package", "none", "--frozen"]);
    assert_eq!(o.status.code(), Some(1), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains("no such lock file"),
        "{}",
        run_text(&o)
    );
}

#[test]
fn a_lock_whose_hash_does_not_match_the_file_is_refused() {
    let p = project("six==1.17.0\n", json!({"dev": {}}));
    ok(grail(&p, p.cache.path(), &["lock"]));
    let text = lock_text(&p);
    let at = text.find("sha256 = \"").unwrap() + 10;
    let good = text[at..at + 64].to_string();
    let bad = "0".repeat(64);
    p.p.write("pylock.toml", &text.replacen(&good, &bad, 1));
    let fresh = tempfile::tempdir().unwrap();
    let o = grail(&p, fresh.path(), &["package", "out", "--frozen"]);
    assert_eq!(o.status.code(), Some(2), "{}", run_text(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("pylock.toml")
            && err.contains("six-1.17.0-py2.py3-none-any.whl")
            && err.contains(&bad)
            && err.contains(&good),
        "{err}"
    );
    // A lock that is not TOML names the file.
    p.p.write("pylock.toml", "lock-version = [\n");
    let o = grail(&p, fresh.path(), &["package", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", run_text(&o));
    assert!(
        stderr_of(&o).contains("pylock.toml: not a PEP 751 lock file"),
        "{}",
        run_text(&o)
    );
}

#[test]
fn pyproject_dependencies_are_the_requirements_when_there_is_no_requirements_txt() {
    let p = project("", json!({"dev": {}}));
    fs::remove_file(p.p.out("requirements.txt")).unwrap();
    p.p.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"0\"\ndependencies = [\"six==1.17.0\"]\n\
         [project.optional-dependencies]\nweb = [\"idna\"]\n",
    );
    let o = ok(grail(&p, p.cache.path(), &["package", "out"]));
    assert!(
        stderr_of(&o).contains("`chalice package` reads only requirements.txt"),
        "{}",
        run_text(&o)
    );
    assert_eq!(
        dist_infos(&p.p.out("out/deployment.zip")),
        ["six-1.17.0.dist-info"]
    );

    p.config(json!({"stages": {"dev": {}}, "pyproject_extras": ["web"]}));
    ok(grail(&p, p.cache.path(), &["package", "web"]));
    let d = dist_infos(&p.p.out("web/deployment.zip"));
    assert!(d.iter().any(|x| x.starts_with("idna-")), "{d:?}");
    // A lock records pyproject.toml as its input.
    ok(grail(&p, p.cache.path(), &["lock"]));
    assert!(lock_text(&p).contains("{ path = \"pyproject.toml\", sha256 = "));
}

#[test]
fn requirements_txt_wins_over_a_disagreeing_pyproject_as_in_chalice_with_a_warning() {
    let p = project("requests==2.32.5\n", json!({"dev": {}}));
    p.p.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\ndependencies = [\"six==1.17.0\"]\n",
    );
    // `chalice package` reads requirements.txt only: grail does the same
    // (never a refusal where Chalice packages) and says how to choose.
    let o = ok(grail(&p, p.cache.path(), &["package", "out"]));
    let err = stderr_of(&o);
    assert!(
        err.contains("list different requirements")
            && err.contains("requirements_from")
            && err.contains("--requirements-from"),
        "{err}"
    );
    let d = dist_infos(&p.p.out("out/deployment.zip"));
    assert!(d.iter().any(|x| x.starts_with("requests-")), "{d:?}");
    assert!(!d.iter().any(|x| x.starts_with("six-")), "{d:?}");
    // An unreadable pyproject.toml is set aside the same way...
    p.p.write("pyproject.toml", "[project\nbroken");
    let o = ok(grail(&p, p.cache.path(), &["package", "broken"]));
    assert!(
        stderr_of(&o).contains("using requirements.txt"),
        "{}",
        run_text(&o)
    );
    // ...unless the user asked for it: then it is an error naming it.
    let o = grail(
        &p,
        p.cache.path(),
        &["package", "asked", "--requirements-from", "pyproject.toml"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", run_text(&o));
    assert!(stderr_of(&o).contains("pyproject.toml"), "{}", run_text(&o));
    p.p.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\ndependencies = [\"six==1.17.0\"]\n",
    );
    ok(grail(
        &p,
        p.cache.path(),
        &["package", "txt", "--requirements-from", "requirements.txt"],
    ));
    assert!(dist_infos(&p.p.out("txt/deployment.zip"))
        .iter()
        .any(|d| d.starts_with("requests-")));
    p.config(json!({"stages": {"dev": {}}, "requirements_from": "pyproject.toml"}));
    ok(grail(&p, p.cache.path(), &["package", "py"]));
    assert_eq!(
        dist_infos(&p.p.out("py/deployment.zip")),
        ["six-1.17.0.dist-info"]
    );
    // The same requirements in both files are no conflict.
    p.config(json!({"stages": {"dev": {}}}));
    p.p.write("requirements.txt", "six == 1.17.0\n");
    ok(grail(&p, p.cache.path(), &["package", "same"]));
}

/// uv from the venv `scripts/test` makes (`GRAIL_UV`).
fn uv() -> std::process::Command {
    let uv = std::env::var_os("GRAIL_UV")
        .expect("GRAIL_UV is not set: run scripts/test, which installs uv into integration/.work");
    let mut cmd = std::process::Command::new(uv);
    for k in PROXY_ENV {
        cmd.env_remove(k);
    }
    for k in [
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_EXTRA_INDEX_URL",
        "UV_FIND_LINKS",
        "PIP_FIND_LINKS",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("UV_NO_CONFIG", "1")
        .env("UV_PYTHON_DOWNLOADS", "never");
    cmd
}

fn uv_ok(cmd: &mut std::process::Command) -> Output {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{cmd:?}\n{}", run_text(&o));
    o
}

/// The dist-info directories uv installed into `dir`.
fn installed(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".dist-info"))
        .collect();
    v.sort();
    v
}

/// The host python3's X.Y (numpy 2.2.6's fixture wheels cover 3.10 to 3.13).
fn host_python() -> String {
    let o = std::process::Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
#[ignore = "needs uv (scripts/test installs it and sets GRAIL_UV)"]
fn uv_installs_what_grail_locked_and_grail_installs_what_uv_exported() {
    let p = project(
        "requests==2.32.5\nnumpy==2.2.6\n",
        serde_json::from_str(TWO_STAGES).unwrap(),
    );
    // uv checks the lock's requires-python against the interpreter it
    // runs: lock for the Lambda runtime of the host's python3.
    let py = host_python();
    let grail = |p: &IndexedProject, cache: &Path, args: &[&str]| grail_for(p, cache, &py, args);
    ok(grail(&p, p.cache.path(), &["lock"]));
    ok(grail(&p, p.cache.path(), &["package", "x86", "--locked"]));
    ok(grail(
        &p,
        p.cache.path(),
        &["package", "arm", "--locked", "--stage", "prod"],
    ));
    let work = tempfile::tempdir().unwrap();
    // (a) uv installs grail's lock, downloading from the loopback index.
    for (platform, out) in [
        ("x86_64-manylinux_2_34", "x86"),
        ("aarch64-manylinux_2_34", "arm"),
    ] {
        let target = work.path().join(out);
        p.server.clear_requests();
        uv_ok(
            uv().args(["pip", "install", "-r"])
                .arg(p.p.out("pylock.toml"))
                .arg("--target")
                .arg(&target)
                .args([
                    "--python",
                    "python3",
                    "--python-version",
                    &py,
                    "--python-platform",
                    platform,
                    "--cache-dir",
                ])
                .arg(work.path().join("uv-cache")),
        );
        assert!(
            p.server.count(|r| r.path.contains("/files/")) > 0,
            "uv did not download from 127.0.0.1"
        );
        let grail_set = dist_infos(&p.p.out(&format!("{out}/deployment.zip")));
        assert_eq!(installed(&target), grail_set, "{platform}");
        let wheel = fs::read_to_string(target.join("numpy-2.2.6.dist-info/WHEEL")).unwrap();
        assert!(
            wheel.contains(platform.split('-').next().unwrap()),
            "{wheel}"
        );
    }

    // (b) uv locks the same requirements and exports a pylock.toml; grail
    // packages from it the same set a resolving build ships.
    let uvp = work.path().join("uvproject");
    write(
        &uvp.join("pyproject.toml"),
        &format!(
            "[project]\nname = \"app\"\nversion = \"0\"\nrequires-python = \">={py}\"\n\
         dependencies = [\"requests==2.32.5\", \"numpy==2.2.6\"]\n"
        ),
    );
    uv_ok(
        uv().current_dir(&uvp)
            .args(["lock", "--default-index", &p.server.url(), "--cache-dir"])
            .arg(work.path().join("uv-cache")),
    );
    uv_ok(
        uv().current_dir(&uvp)
            .args([
                "export",
                "--format",
                "pylock.toml",
                "--no-emit-project",
                "--frozen",
                "-o",
            ])
            .arg(p.p.out("pylock.toml")),
    );
    let text = lock_text(&p);
    assert!(
        text.contains("created-by = \"uv\"") && !text.contains("[tool.grail]"),
        "{text}"
    );
    let o = ok(grail(
        &p,
        p.cache.path(),
        &["package", "from-uv", "--locked"],
    ));
    assert!(
        stderr_of(&o).contains("--locked cannot check it"),
        "{}",
        run_text(&o)
    );
    fs::remove_file(p.p.out("pylock.toml")).unwrap();
    ok(grail(&p, p.cache.path(), &["package", "resolved"]));
    assert_eq!(
        dist_infos(&p.p.out("from-uv/deployment.zip")),
        dist_infos(&p.p.out("resolved/deployment.zip"))
    );
}

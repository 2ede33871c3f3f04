//! Hermetic end-to-end tests of `grail why`, of unpacked `vendor/` packages
//! satisfying requirements, and of sdist-only packages built with the
//! project's Python. The `grail` binary runs against a loopback index
//! (`support::index_server`) serving `vendor-fixtures/index/`, with a fresh
//! `--cache-dir` and the `PIP_*` variables cleared.

use std::fs;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

use crate::support::*;

/// The AWS SDK for pandas layer of vendor-fixtures/layers/fixture-pandas-layer.json.
const PANDAS_312: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";

/// A JSON (PEP 691) index answering range requests but serving no PEP 658
/// metadata files, so grail learns every wheel's unzipped size from its
/// central directory without downloading it.
fn server() -> IndexServer {
    IndexServer::start(IndexServerOptions {
        mode: Mode::Json,
        metadata_files: false,
        range: true,
        ..IndexServerOptions::default()
    })
}

/// One project, its index and its cache.
struct World(IndexedProject);

impl Deref for World {
    type Target = IndexedProject;
    fn deref(&self) -> &IndexedProject {
        &self.0
    }
}

impl World {
    /// A project requiring `requirements`, with `config` merged over the
    /// minimal config.json.
    fn new(requirements: &str, config: Value) -> World {
        World(IndexedProject::new(
            requirements,
            config,
            Server::Owned(server()),
        ))
    }

    /// `grail why PACKAGE`; requires exit 0 and a quiet stderr; returns stdout's lines.
    fn why(&self, package: &str, extra: &[&str]) -> Vec<String> {
        let out = self.grail("why", package, extra);
        assert_eq!(
            out.status.code(),
            Some(0),
            "why {package}:\nstdout:\n{}\nstderr:\n{}",
            stdout_of(&out),
            stderr_of(&out)
        );
        stdout_of(&out).lines().map(str::to_string).collect()
    }

    /// `grail package out --report report.json`.
    fn package(&self, extra: &[&str]) -> Output {
        let mut args = vec!["--report", "report.json"];
        args.extend_from_slice(extra);
        self.grail("package", "out", &args)
    }

    fn package_ok(&self, extra: &[&str]) -> Output {
        let out = self.package(extra);
        assert_eq!(
            out.status.code(),
            Some(0),
            "package:\nstdout:\n{}\nstderr:\n{}",
            stdout_of(&out),
            stderr_of(&out)
        );
        out
    }

    fn package_fails(&self, extra: &[&str], code: i32) -> String {
        let out = self.package(extra);
        let err = stderr_of(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "package:\nstdout:\n{}\nstderr:\n{err}",
            stdout_of(&out)
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(!self.p.out("out").exists(), "out/ was written on failure");
        err
    }

    fn report(&self) -> Value {
        serde_json::from_slice(&fs::read(self.p.out("report.json")).unwrap()).unwrap()
    }

    fn entry(&self, list: &str, name: &str) -> Value {
        let r = self.report();
        r[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in `{list}`: {:#}", r[list]))
            .clone()
    }

    /// Zip entry names, in archive order (duplicates kept).
    fn zip_names(&self) -> Vec<String> {
        zip_contents(&self.p.out("out/deployment.zip"))
            .into_iter()
            .map(|(n, _, _)| n)
            .collect()
    }

    /// Paths of requests for a distribution file (wheel, sdist, metadata) of `project`.
    fn file_requests(&self, project: &str) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| {
                let file = p.rsplit('/').next().unwrap_or_default();
                file.starts_with(&format!("{project}-"))
            })
            .collect()
    }
}

/// A file of the fixture index.
fn index_file(project: &str, file: &str) -> PathBuf {
    fixtures_root().join(project).join(file)
}

fn layer_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor-fixtures/layers/fixture-pandas-layer.json")
}

/// A wheel's unzipped size as grail counts it: every entry's uncompressed
/// size (the fixture wheels have no `.data/` directory to drop from).
fn wheel_unzipped_bytes(wheel: &Path) -> u64 {
    let mut a = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
    (0..a.len())
        .map(|i| {
            let f = a.by_index(i).unwrap();
            assert!(!f.name().unwrap().contains(".data/"), "{wheel:?}");
            f.size()
        })
        .sum()
}

fn lines(text: &[&str]) -> Vec<String> {
    text.iter().map(|s| s.to_string()).collect()
}

/// An alpaca-py project with the pandas layer attached (config `layers`),
/// its contents given by `--layer-manifest`.
fn alpaca_with_pandas_layer() -> (World, String) {
    let w = World::new("alpaca-py==0.43.2\n", json!({"layers": [PANDAS_312]}));
    let flag = format!("{PANDAS_312}={}", layer_manifest().display());
    (w, flag)
}

#[test]
fn why_explains_shipped_layer_and_orphaned_packages() {
    let (w, flag) = alpaca_with_pandas_layer();
    let layer = ["--layer-manifest", flag.as_str()];

    let alpaca = wheel_unzipped_bytes(&index_file(
        "alpaca-py",
        "alpaca_py-0.43.2-py3-none-any.whl",
    ));
    assert_eq!(
        w.why("alpaca-py", &layer),
        lines(&[
            &format!(
                "alpaca-py 0.43.2: shipped in deployment.zip ({} bytes unzipped)",
                grouped(alpaca)
            ),
            "  from: alpaca_py-0.43.2-py3-none-any.whl (index)",
            "  chosen: the newest version allowed by every requirement that has a wheel for python3.12 (x86_64)",
            "  required by:",
            "    requirements.txt → alpaca-py",
        ])
    );

    // The layer's pinned version and size come from the manifest.
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!(
        "why_pandas_in_the_layer",
        w.why("pandas", &layer).join("\n")
    );
    // numpy: the layer's 2.2.6, not the 2.4.1 the index would give python3.12.
    assert_eq!(
        w.why("numpy", &layer)[0],
        format!("numpy 2.2.6: not shipped: provided by layer {PANDAS_312}")
    );
    // Names are normalised; the shortest chain goes through python-dateutil.
    insta::assert_snapshot!("why_six_in_the_layer", w.why("Six", &layer).join("\n"));

    // urllib3 is not in the layer, but only requests (in the layer) needs
    // it, and Lambda imports it from the runtime (after the zip and /opt).
    let urllib3 = wheel_unzipped_bytes(&index_file("urllib3", "urllib3-2.5.0-py3-none-any.whl"));
    assert_eq!(
        w.why("urllib3", &layer),
        lines(&[
            "urllib3: not shipped: provided by the python3.12 runtime (/var/runtime), version unknown; only layer packages need it (requests) and no attached layer has it",
            &format!("  saves: {} bytes unzipped", grouped(urllib3)),
            "  required by:",
            "    requirements.txt → alpaca-py → requests → urllib3",
        ])
    );

    // Not needed at all: exit 0, says so, and invents no chain.
    insta::assert_snapshot!("why_flask_not_needed", w.why("Flask", &layer).join("\n"));

    // `why` wrote nothing into the project.
    assert!(!w.p.out("out").exists());
    assert!(!w.p.out(".chalice/deployments").exists());

    // Without the layer, pandas ships from the index.
    let w = World::new("alpaca-py==0.43.2\n", json!({}));
    let pandas = w.why("pandas", &[]);
    assert!(
        pandas[0].starts_with("pandas 2.3.3: shipped in deployment.zip ("),
        "{pandas:#?}"
    );
    assert_eq!(
        pandas[1],
        "  from: pandas-2.3.3-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl (index)"
    );
    assert_eq!(
        pandas[pandas.len() - 1],
        "    requirements.txt → alpaca-py → pandas"
    );
}

/// The manifest without tzdata, written into the project.
fn manifest_without_tzdata(w: &World) -> String {
    let mut m: Value =
        serde_json::from_str(&fs::read_to_string(layer_manifest()).unwrap()).unwrap();
    m["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] != "tzdata");
    let path = w.p.out("layer.json");
    fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
    format!("{PANDAS_312}={}", path.display())
}

#[test]
fn why_walks_the_layers_own_versions() {
    // find-links offers python-dateutil 3.0.0, which needs tzdata; the
    // layer has python-dateutil 2.9.0.post0, which does not. On Lambda the
    // layer's copy is imported, so no chain goes through python-dateutil.
    let w = World::new(
        "--find-links ./wheels\nalpaca-py==0.43.2\n",
        json!({"layers": [PANDAS_312]}),
    );
    let wheels = w.p.out("wheels");
    fs::create_dir_all(&wheels).unwrap();
    build_wheel(
        &wheels,
        "python-dateutil",
        "3.0.0",
        "py3-none-any",
        &[("dateutil/__init__.py", b"")],
        &["six>=1.5", "tzdata"],
    );
    let flag = manifest_without_tzdata(&w);
    let layer = ["--layer-manifest", flag.as_str()];
    let tzdata = w.why("tzdata", &layer);
    assert!(
        tzdata[0].starts_with("tzdata 2025.2: shipped in deployment.zip ("),
        "{tzdata:#?}"
    );
    let chains: Vec<&String> = tzdata.iter().filter(|l| l.contains(" → ")).collect();
    assert_eq!(
        chains,
        ["    requirements.txt → alpaca-py → pandas → tzdata"],
        "{tzdata:#?}"
    );
    // The layer's pandas needs tzdata, the layer lacks it and the runtime
    // has none: the layer is broken for python3.12 and grail ships tzdata.
    let out = w.package(&layer);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let warning = format!(
        "layer {PANDAS_312} is broken for python3.12: its pandas 2.3.3 needs tzdata>=2022.7"
    );
    assert!(stderr_of(&out).contains(&warning), "{}", stderr_of(&out));
    assert_eq!(
        w.entry("packages", "tzdata")["required_by"],
        json!(["pandas"])
    );
    assert!(w.zip_names().iter().any(|n| n.starts_with("tzdata/")));
    // six: the layer's python-dateutil needs it, the layer has it.
    assert_eq!(
        w.why("six", &layer).last().unwrap(),
        "    requirements.txt → alpaca-py → pandas → python-dateutil → six"
    );
}

#[test]
fn why_follows_config_layer_manifests_exclude_packages_and_runtime_provided() {
    // layer_manifests in config (relative to .chalice/) works like the flag.
    let w = World::new("alpaca-py==0.43.2\n", json!({"layers": [PANDAS_312]}));
    fs::copy(layer_manifest(), w.p.out(".chalice/pandas.json")).unwrap();
    w.p.write(
        ".chalice/config.json",
        &serde_json::to_string(&json!({
            "version": "2.0", "app_name": "t", "stages": {"dev": {}},
            "layers": [PANDAS_312],
            "layer_manifests": {PANDAS_312: "pandas.json"},
        }))
        .unwrap(),
    );
    assert_eq!(
        w.why("tzdata", &[])[0],
        format!("tzdata 2025.2: not shipped: provided by layer {PANDAS_312}")
    );

    let six = wheel_unzipped_bytes(&index_file("six", "six-1.17.0-py2.py3-none-any.whl"));
    let w = World::new("python-dateutil\n", json!({"exclude_packages": ["six"]}));
    assert_eq!(
        w.why("six", &[]),
        lines(&[
            "six 1.17.0: not shipped: named in exclude_packages (.chalice/config.json)",
            &format!("  saves: {} bytes unzipped", grouped(six)),
            "  required by:",
            "    requirements.txt → python-dateutil → six",
        ])
    );
    assert_eq!(
        w.why("python-dateutil", &[])[0..2],
        lines(&[
            &format!(
                "python-dateutil 2.9.0.post0: shipped in deployment.zip ({} bytes unzipped)",
                grouped(wheel_unzipped_bytes(&index_file(
                    "python-dateutil",
                    "python_dateutil-2.9.0.post0-py2.py3-none-any.whl"
                )))
            ),
            "  from: python_dateutil-2.9.0.post0-py2.py3-none-any.whl (index)",
        ])
    );
    // The package agrees: six is excluded, with the same saving.
    w.package_ok(&[]);
    let e = w.entry("excluded", "six");
    assert_eq!(e["reason"], "exclude_packages");
    assert_eq!(e["saved_bytes"], six);
    assert!(!w.zip_names().iter().any(|n| n.starts_with("six")));

    let w = World::new("python-dateutil\n", json!({"runtime_provided": true}));
    let why = w.why("six", &[]);
    assert_eq!(
        why[0], "six 1.17.0: not shipped: provided by the Lambda runtime (runtime_provided)",
        "{why:#?}"
    );
    assert_eq!(
        why[why.len() - 2..],
        lines(&[
            "  required by:",
            "    requirements.txt → python-dateutil → six"
        ])
    );
    let why = w.why("python-dateutil", &[]);
    assert!(
        why[0].starts_with("python-dateutil ")
            && why[0].contains(": not shipped: provided by the Lambda runtime (runtime_provided)"),
        "{why:#?}"
    );
}

/// Unpack a six wheel of `version` into the project's vendor/ (as Chalice's
/// docs tell users to), returning the bytes its RECORD lists.
fn vendor_six(p: &TestProject, version: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("# vendored six {version}\n__version__ = '{version}'\n");
    let wheel = build_wheel(
        dir.path(),
        "six",
        version,
        "py2.py3-none-any",
        &[("six.py", body.as_bytes())],
        &[],
    );
    unzip_into(&wheel, &p.out("vendor"));
    wheel_unzipped_bytes(&wheel)
}

#[test]
fn vendored_package_satisfies_requirements_and_wins_over_the_index() {
    let w = World::new("six\npython-dateutil\n", json!({}));
    let bytes = vendor_six(&w.p, "1.16.0");

    w.package_ok(&[]);
    // Nothing of six was fetched: not the wheel, not the sdist, not its metadata.
    assert_eq!(w.file_requests("six"), Vec::<String>::new());
    assert!(!w.file_requests("python_dateutil").is_empty());

    // The vendored files, once each; no trace of the index's 1.17.0.
    let names = w.zip_names();
    for f in [
        "six.py",
        "six-1.16.0.dist-info/METADATA",
        "six-1.16.0.dist-info/RECORD",
    ] {
        assert_eq!(
            names.iter().filter(|n| *n == f).count(),
            1,
            "{f} in {names:#?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with("six-1.17.0")),
        "{names:#?}"
    );
    let zip = zip_map(&w.p.out("out/deployment.zip"));
    assert!(String::from_utf8_lossy(&zip["six.py"]).contains("vendored six 1.16.0"));
    assert!(zip.contains_key("dateutil/__init__.py"));

    let six = w.entry("packages", "six");
    assert_eq!(six["source"], "vendor", "{six:#}");
    assert_eq!(six["version"], "1.16.0", "{six:#}");
    assert_eq!(six["unzipped_bytes"], bytes, "{six:#}");
    assert_eq!(w.entry("packages", "python-dateutil")["source"], "index");

    // `why` agrees, and fetches nothing of six either.
    let why = w.why("six", &[]);
    assert_eq!(
        why,
        lines(&[
            &format!(
                "six 1.16.0: shipped from vendor/six-1.16.0.dist-info ({} bytes unzipped)",
                grouped(bytes)
            ),
            "  required by:",
            "    requirements.txt → six",
            "    requirements.txt → python-dateutil → six",
        ])
    );

    assert_eq!(w.file_requests("six"), Vec::<String>::new());
    assert!(
        !w.report()["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "six"),
        "{:#}",
        w.report()
    );
}

#[test]
fn a_requirement_the_vendored_version_does_not_meet_is_exit_2() {
    let w = World::new("six>=99\n", json!({}));
    vendor_six(&w.p, "1.16.0");
    let err = w.package_fails(&[], 2);
    assert!(
        err.contains("six") && err.contains("vendor/") && err.contains("1.16.0"),
        "{err}"
    );
    assert!(err.contains("requirements.txt:1 six>=99"), "{err}");
    assert!(
        err.contains(
            "hint: vendor/ holds six 1.16.0; update the copy in vendor/ or relax the requirement"
        ),
        "{err}"
    );
    // Nor does the index's 1.17.0 get a say: vendor/ is the user's choice.
    assert_eq!(w.file_requests("six"), Vec::<String>::new());

    // A transitive requirement that vendor/ does not meet names the chain too.
    let w = World::new("python-dateutil\n", json!({}));
    vendor_six(&w.p, "1.4.0");
    let err = w.package_fails(&[], 2);
    assert!(
        err.contains("six is fixed at 1.4.0 by vendor/, but:\n  requirements.txt:1 python-dateutil → six >=1.5"),
        "{err}"
    );
}

#[test]
fn sdist_only_pure_package_is_built_with_the_projects_python() {
    let w = World::new("sdistonly\n", json!({}));
    w.package_ok(&[]);
    let names = w.zip_names();
    for f in [
        "sdistonly/__init__.py",
        "sdistonly-0.1.dist-info/METADATA",
        "sdistonly-0.1.dist-info/RECORD",
        "sdistonly-0.1.dist-info/WHEEL",
    ] {
        assert_eq!(
            names.iter().filter(|n| *n == f).count(),
            1,
            "{f} in {names:#?}"
        );
    }
    let e = w.entry("packages", "sdistonly");
    assert_eq!(e["source"], "sdist-build", "{e:#}");
    assert_eq!(e["version"], "0.1", "{e:#}");
    assert_eq!(e["file"], "sdistonly-0.1-py3-none-any.whl", "{e:#}");

    // `why` tells the same story.
    let why = w.why("sdistonly", &[]);
    assert!(
        why[0].starts_with("sdistonly 0.1: shipped in deployment.zip ("),
        "{why:#?}"
    );
    assert_eq!(
        why[1],
        "  from: sdistonly-0.1-py3-none-any.whl (sdist-build)"
    );
}

#[test]
fn native_sdist_cannot_be_built_for_lambda() {
    let w = World::new("nativeonly\n", json!({}));
    let err = w.package_fails(&[], 2);
    assert!(err.contains("nativeonly==0.1"), "{err}");
    // Built with the host's python3, the wheel cannot run on the target; the
    // reason (glibc newer than the runtime's, or another Python) is named.
    assert!(
        err.contains("the wheel built from its sdist, nativeonly-0.1-cp"),
        "{err}"
    );
    assert!(err.contains("cannot run on python3.12 (x86_64)"), "{err}");
    assert!(
        err.contains("glibc") || err.contains("built with Python"),
        "{err}"
    );
    assert!(err.contains("vendor/"), "{err}");
    assert!(err.contains("--allow-missing"), "{err}");
    assert!(w.report_failed_with(2), "no failure report");

    // Chalice's behaviour on request: its warning on stdout, and go on.
    let out = w.package_ok(&["--allow-missing"]);
    let stdout = stdout_of(&out);
    assert!(
        stdout.contains(
            "\nCould not install dependencies:\nnativeonly==0.1\nYou will have to build these yourself and vendor them in\nthe chalice vendor folder.\n\nYour deployment will continue but may not work correctly\nif missing dependencies are not present. For more information:\nhttp://aws.github.io/chalice/topics/packaging.html\n\n"
        ),
        "{stdout}"
    );
    let names = w.zip_names();
    assert!(
        !names.iter().any(|n| n.starts_with("nativeonly")),
        "{names:#?}"
    );
    assert!(w.report()["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("nativeonly==0.1")));
}

impl World {
    /// The report exists and records exit `code`.
    fn report_failed_with(&self, code: i32) -> bool {
        self.p.out("report.json").exists() && self.report()["exit_code"] == code
    }
}

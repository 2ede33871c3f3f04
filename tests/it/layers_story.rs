//! The layer story end to end, through the `grail` binary against the
//! loopback fixture index: a Chalice project attaching the AWS SDK for pandas
//! layer and requiring alpaca-py gets a zip with alpaca-py and its small
//! dependencies only, and a report that accounts for every package. Around
//! it: conflicts with layer pins, `--allow-shadow`, `exclude_packages`,
//! `runtime_provided`, scanned manifests, the size budget, unknown and
//! mismatched layers, malformed ARNs.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

use crate::support::*;

/// The AWS SDK for pandas layer of the story (awswrangler 3.17.0, py3.12, x86_64).
const PANDAS_312: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";
/// Lambda's unzipped limit, function plus layers.
const LIMIT: u64 = 262_144_000;

/// What alpaca-py pulls in from the fixture index with no layer attached.
const NO_LAYER_SET: &[&str] = &[
    "alpaca-py",
    "annotated-types",
    "certifi",
    "charset-normalizer",
    "idna",
    "msgpack",
    "numpy",
    "pandas",
    "pydantic",
    "pydantic-core",
    "python-dateutil",
    "pytz",
    "requests",
    "six",
    "sseclient-py",
    "typing-extensions",
    "typing-inspection",
    "tzdata",
    "urllib3",
    "websockets",
];

/// alpaca-py and the dependencies the pandas layer does not provide.
const SMALL_SET: &[&str] = &[
    "alpaca-py",
    "annotated-types",
    "msgpack",
    "pydantic",
    "pydantic-core",
    "sseclient-py",
    "typing-inspection",
    "websockets",
];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vendor-fixtures/layers")
        .join(rel)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// One test's world: a project, the loopback index and an empty cache.
struct Story(IndexedProject);

impl Deref for Story {
    type Target = IndexedProject;
    fn deref(&self) -> &IndexedProject {
        &self.0
    }
}

use crate::support::shared_fixture_index as server;

/// Every file in a cache directory whose name is the sha256 of `file`.
fn cached_copies(cache: &Path, file: &Path) -> Vec<PathBuf> {
    use sha2::Digest;
    let hex = hex::encode(sha2::Sha256::digest(fs::read(file).unwrap()));
    walkdir::WalkDir::new(cache)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str() == Some(hex.as_str()))
        .map(|e| e.path().to_path_buf())
        .collect()
}

impl Story {
    /// A project requiring `requirements`, with `config` merged over the
    /// minimal config.json (e.g. `{"layers": [...]}`).
    fn new(requirements: &str, config: Value) -> Story {
        Story(IndexedProject::new(
            requirements,
            config,
            Server::Shared(server()),
        ))
    }

    /// Put a manifest in the project (path relative to the project dir).
    fn manifest(&self, rel: &str, m: &Value) {
        self.p.write(rel, &serde_json::to_string_pretty(m).unwrap());
    }

    /// `grail package OUT --report OUT.json` with the hermetic flags.
    fn package(&self, out: &str, extra: &[&str]) -> Output {
        let report = format!("{out}.json");
        let mut args = vec!["--report", report.as_str()];
        args.extend_from_slice(extra);
        self.grail("package", out, &args)
    }

    /// Run and require exit 0; returns (report, distributions in the zip, stderr).
    fn package_ok(&self, out: &str, extra: &[&str]) -> (Value, BTreeSet<String>, String) {
        let o = self.package(out, extra);
        let stderr = stderr_of(&o);
        assert_eq!(o.status.code(), Some(0), "grail package failed:\n{stderr}");
        let report: Value =
            serde_json::from_str(&fs::read_to_string(self.p.out(&format!("{out}.json"))).unwrap())
                .unwrap();
        let zip = self.p.out(out).join("deployment.zip");
        (report, zip_dists(&zip), stderr)
    }

    /// Run and require `code`; OUT and the report must not have been written.
    fn package_fails(&self, out: &str, extra: &[&str], code: i32) -> String {
        let o = self.package(out, extra);
        let stderr = stderr_of(&o);
        assert_eq!(
            o.status.code(),
            Some(code),
            "expected exit {code}:\n{stderr}"
        );
        assert!(!self.p.out(out).exists(), "{out}/ was written on failure");
        // The report records the failure (issue 14).
        let report: Value =
            serde_json::from_str(&fs::read_to_string(self.p.out(&format!("{out}.json"))).unwrap())
                .unwrap();
        assert_eq!(report["exit_code"], code, "{report:#}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        stderr
    }
}

/// The distributions in a zip, by the `Name:` of each `*.dist-info/METADATA`.
fn zip_dists(zip: &Path) -> BTreeSet<String> {
    let mut a = zip::ZipArchive::new(fs::File::open(zip).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let parts: Vec<&str> = name.split('/').collect();
        if parts.len() == 2 && parts[0].ends_with(".dist-info") && parts[1] == "METADATA" {
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            let n = text
                .lines()
                .find_map(|l| l.strip_prefix("Name: "))
                .unwrap_or_else(|| panic!("{name} has no Name"));
            out.insert(normalize(n));
        }
    }
    out
}

/// The top-level directories of a zip.
fn zip_roots(zip: &Path) -> BTreeSet<String> {
    zip_map(zip)
        .keys()
        .filter_map(|n| n.split_once('/').map(|(root, _)| root.to_string()))
        .collect()
}

fn normalize(n: &str) -> String {
    let mut out = String::new();
    for c in n.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn names(report: &Value, list: &str) -> BTreeSet<String> {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

fn entry<'a>(report: &'a Value, list: &str, name: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in `{list}`: {:#}", report[list]))
}

/// Every package the no-layer resolution ships is either shipped or
/// excluded (never both), and every exclusion with a size the index or the
/// manifest knows says how many bytes it saved.
fn assert_accounts_for_everything(report: &Value, no_layer: &BTreeSet<String>) {
    let shipped = names(report, "packages");
    let excluded = names(report, "excluded");
    assert!(
        shipped.is_disjoint(&excluded),
        "shipped and excluded: {:?}",
        shipped.intersection(&excluded)
    );
    let seen: BTreeSet<String> = shipped.union(&excluded).cloned().collect();
    let lost: Vec<&String> = no_layer.difference(&seen).collect();
    assert!(lost.is_empty(), "the report does not account for {lost:?}");
    for e in report["excluded"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        if fixtures_root().join(name).is_dir() {
            assert!(
                e["saved_bytes"].as_u64().unwrap() > 0,
                "{name}: saved_bytes unknown: {e}"
            );
        }
    }
    // Sorted by name, as the contract says.
    for list in ["packages", "excluded"] {
        let v: Vec<&str> = report[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(v, sorted, "{list} is not sorted");
    }
}

/// The fixture layer manifest as JSON (versions match the fixture index).
fn fixture_manifest() -> Value {
    serde_json::from_str(&fs::read_to_string(fixture("fixture-pandas-layer.json")).unwrap())
        .unwrap()
}

/// The fixture manifest without the packages in `drop`.
fn fixture_manifest_without(drop: &[&str]) -> Value {
    let mut m = fixture_manifest();
    m["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| !drop.contains(&p["name"].as_str().unwrap()));
    m
}

/// What alpaca-py ships with no layer (checked by the baseline test).
fn no_layer_packages() -> BTreeSet<String> {
    set(NO_LAYER_SET)
}

#[test]
fn no_layer_baseline_ships_the_whole_alpaca_graph() {
    let s = Story::new("alpaca-py\n", json!({}));
    let (report, dists, _) = s.package_ok("out", &[]);
    assert_eq!(dists, set(NO_LAYER_SET));
    assert_eq!(names(&report, "packages"), set(NO_LAYER_SET));
    assert!(report["excluded"].as_array().unwrap().is_empty());
    assert_eq!(report["budget"]["layers"], json!([]));
}

#[test]
fn story_with_a_fixture_manifest_ships_only_what_the_layer_lacks() {
    // The user's project: the layer in config.json, alpaca-py in
    // requirements.txt; the manifest is given through `layer_manifests`.
    let s = Story::new(
        "alpaca-py\n",
        json!({"layers": [PANDAS_312], "layer_manifests": {PANDAS_312: "layers/pandas.json"}}),
    );
    s.manifest(".chalice/layers/pandas.json", &fixture_manifest());
    let (report, dists, stderr) = s.package_ok("out", &[]);

    assert_eq!(dists, set(SMALL_SET), "{stderr}");
    assert_eq!(names(&report, "packages"), set(SMALL_SET));
    let roots = zip_roots(&s.p.out("out/deployment.zip"));
    for layer_root in [
        "pandas", "numpy", "requests", "dateutil", "pytz", "tzdata", "six.py", "urllib3", "idna",
        "certifi",
    ] {
        assert!(
            !roots.contains(layer_root),
            "{layer_root} is in the zip: {roots:?}"
        );
    }
    assert!(
        roots.contains("alpaca") && roots.contains("pydantic_core"),
        "{roots:?}"
    );

    // Every layer package alpaca-py needs is excluded, with the layer's version and size.
    let manifest = fixture_manifest();
    for p in manifest["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let e = entry(&report, "excluded", name);
        assert_eq!(e["reason"], "layer", "{e}");
        assert_eq!(e["provided_by"], PANDAS_312, "{e}");
        assert_eq!(e["version"], p["version"], "{e}");
        assert_eq!(e["saved_bytes"], p["unzipped_bytes"], "{e}");
    }
    // The layer lacks urllib3 (as the real one does); only requests (in the
    // layer) needs it, and Lambda imports it from the runtime.
    let u = entry(&report, "excluded", "urllib3");
    assert_eq!(u["reason"], "runtime-for-layer", "{u}");
    assert_eq!(u["provided_by"], "runtime", "{u}");
    assert!(u["saved_bytes"].as_u64().unwrap() > 0, "{u}");
    assert_accounts_for_everything(&report, &no_layer_packages());

    // The budget counts the layer's measured size.
    let b = &report["budget"];
    assert_eq!(
        b["layers"],
        json!([{"arn": PANDAS_312, "unzipped_bytes": 150_000_000u64, "known": true}])
    );
    let function = b["function_unzipped_bytes"].as_u64().unwrap();
    assert_eq!(
        function,
        report["artifacts"][0]["unzipped_bytes"].as_u64().unwrap()
    );
    assert_eq!(b["total_bytes"].as_u64().unwrap(), function + 150_000_000);
    assert_eq!(
        b["headroom_bytes"].as_i64().unwrap(),
        (LIMIT - function - 150_000_000) as i64
    );
    assert!(b.get("approximate").is_none(), "{b}");
    for pkg in report["packages"].as_array().unwrap() {
        assert!(pkg["unzipped_bytes"].as_u64().unwrap() > 0, "{pkg}");
        assert_eq!(pkg["source"], "index");
    }
}

#[test]
fn story_with_the_embedded_catalogue_needs_no_pins_on_the_index() {
    // No manifest: the catalogue knows this layer. Its pins (pandas 3.0.3,
    // numpy 2.5.0, requests 2.34.2, …) are not on the fixture index, and need
    // not be: they satisfy alpaca-py's specifiers and are never downloaded.
    let s = Story::new("alpaca-py\n", json!({"layers": [PANDAS_312]}));
    let (report, dists, stderr) = s.package_ok("out", &[]);
    assert_eq!(dists, set(SMALL_SET), "{stderr}");
    for (name, version) in [
        ("pandas", "3.0.3"),
        ("numpy", "2.5.0"),
        ("requests", "2.34.2"),
    ] {
        let e = entry(&report, "excluded", name);
        assert_eq!(e["reason"], "layer", "{e}");
        assert_eq!(e["version"], version, "{e}");
        assert_eq!(e["provided_by"], PANDAS_312, "{e}");
    }
    assert_accounts_for_everything(&report, &no_layer_packages());
    let b = &report["budget"];
    assert_eq!(b["layers"][0]["known"], true);
    assert_eq!(b["layers"][0]["approximate"], true, "{b}");
    assert_eq!(b["approximate"], true, "{b}");
    // Sizes of what the layer saves come from reading a wheel's central
    // directory (a ranged read), never from downloading a layer package.
    let alpaca = fixtures_root().join("alpaca-py/alpaca_py-0.43.2-py3-none-any.whl");
    assert!(
        !cached_copies(s.cache.path(), &alpaca).is_empty(),
        "the cache layout changed"
    );
    for project in ["pandas", "numpy", "requests"] {
        for wheel in fs::read_dir(fixtures_root().join(project)).unwrap() {
            let wheel = wheel.unwrap().path();
            let copies = cached_copies(s.cache.path(), &wheel);
            assert!(
                copies.is_empty(),
                "{} was downloaded: {copies:?}",
                wheel.display()
            );
        }
    }
}

#[test]
fn requirement_conflicting_with_the_layer_names_the_chain_and_the_layer() {
    let s = Story::new("alpaca-py\npandas<2\n", json!({"layers": [PANDAS_312]}));
    let err = s.package_fails("out", &[], 2);
    for needle in [
        "pandas",
        "<2",
        "requirements.txt:2",
        PANDAS_312,
        "3.0.3",
        "--allow-shadow",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn transitive_conflict_with_the_layer_names_the_whole_chain() {
    // A layer with an old pandas: alpaca-py (requirements.txt:1) needs pandas>=1.5.3.
    let s = Story::new(
        "alpaca-py\n",
        json!({"layers": [PANDAS_312], "layer_manifests": {PANDAS_312: "layers/old.json"}}),
    );
    let mut m = fixture_manifest();
    for p in m["packages"].as_array_mut().unwrap() {
        if p["name"] == "pandas" {
            p["version"] = json!("1.4.0");
        }
    }
    s.manifest(".chalice/layers/old.json", &m);
    let err = s.package_fails("out", &[], 2);
    for needle in [
        "requirements.txt:1 alpaca-py → pandas >=1.5.3",
        "1.4.0",
        PANDAS_312,
        "--allow-shadow",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn allow_shadow_ships_the_apps_pandas_with_a_warning() {
    // pandas<3 conflicts with the catalogue's pandas 3.0.3; the index has 2.3.3.
    let s = Story::new("alpaca-py\npandas<3\n", json!({"layers": [PANDAS_312]}));
    let err = s.package_fails("out", &[], 2);
    assert!(err.contains("--allow-shadow"), "{err}");

    let (report, dists, stderr) = s.package_ok("out", &["--allow-shadow"]);
    assert!(dists.contains("pandas"), "{dists:?}");
    let pandas = entry(&report, "packages", "pandas");
    assert_eq!(pandas["version"], "2.3.3");
    assert!(!names(&report, "excluded").contains("pandas"));
    // The rest of the layer still counts: numpy 2.5.0 satisfies pandas' numpy>=1.26.
    assert_eq!(entry(&report, "excluded", "numpy")["reason"], "layer");
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|w| w.contains("pandas") && w.contains("/var/task") && w.contains("/opt"))
        .unwrap_or_else(|| panic!("no shadow warning in {:#}", report["warnings"]));
    assert!(stderr.contains(warning), "warning not printed:\n{stderr}");
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn a_dependency_of_layer_and_app_stays_when_the_layer_lacks_it() {
    // numpy: needed by pandas (in the layer) and by alpaca-py; this layer has
    // no numpy, so it ships. urllib3: needed by requests (in the layer) and
    // listed by the app; the layer lacks it, so it ships too.
    let s = Story::new(
        "alpaca-py\nurllib3\n",
        json!({"layers": [PANDAS_312], "layer_manifests": {PANDAS_312: "layers/nonumpy.json"}}),
    );
    s.manifest(
        ".chalice/layers/nonumpy.json",
        &fixture_manifest_without(&["numpy"]),
    );
    let (report, dists, _) = s.package_ok("out", &[]);
    assert!(
        dists.contains("numpy") && dists.contains("urllib3"),
        "{dists:?}"
    );
    assert!(!dists.contains("pandas"), "{dists:?}");
    let numpy = entry(&report, "packages", "numpy");
    assert!(
        numpy["required_by"]
            .as_array()
            .unwrap()
            .contains(&json!("alpaca-py")),
        "{numpy}"
    );
    let urllib3 = entry(&report, "packages", "urllib3");
    assert!(
        urllib3["required_by"]
            .as_array()
            .unwrap()
            .contains(&json!("<requirements.txt>")),
        "{urllib3}"
    );
    assert_eq!(entry(&report, "excluded", "pandas")["reason"], "layer");
    let mut expected = set(SMALL_SET);
    expected.extend(set(&["numpy", "urllib3"]));
    assert_eq!(dists, expected);
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn exclude_packages_drops_the_package_and_what_only_it_needs() {
    let s = Story::new("alpaca-py\n", json!({"exclude_packages": ["Pandas"]}));
    let (report, dists, _) = s.package_ok("out", &[]);
    let pandas = entry(&report, "excluded", "pandas");
    assert_eq!(pandas["reason"], "exclude_packages", "{pandas}");
    assert!(pandas["saved_bytes"].as_u64().unwrap() > 0, "{pandas}");
    // Only pandas needs these (six only through python-dateutil).
    for name in ["python-dateutil", "pytz", "tzdata", "six"] {
        let e = entry(&report, "excluded", name);
        assert_eq!(e["reason"], "only-needed-by-excluded", "{e}");
        assert!(!dists.contains(name), "{name} shipped");
    }
    // numpy is needed by alpaca-py as well: it stays.
    assert!(
        dists.contains("numpy") && !dists.contains("pandas"),
        "{dists:?}"
    );
    let expected: BTreeSet<String> = set(NO_LAYER_SET)
        .into_iter()
        .filter(|n| !["pandas", "python-dateutil", "pytz", "tzdata", "six"].contains(&n.as_str()))
        .collect();
    assert_eq!(dists, expected);
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn runtime_provided_keeps_the_runtimes_packages_out() {
    let s = Story::new("alpaca-py\n", json!({"runtime_provided": true}));
    let (report, dists, _) = s.package_ok("out", &[]);
    // urllib3 (requests), python-dateutil (pandas) and six (python-dateutil).
    for name in ["urllib3", "python-dateutil", "six"] {
        let e = entry(&report, "excluded", name);
        assert_eq!(e["reason"], "runtime", "{e}");
        assert_eq!(e["provided_by"], "runtime", "{e}");
        assert!(!dists.contains(name), "{name} shipped");
    }
    assert!(
        dists.contains("pandas") && dists.contains("requests"),
        "{dists:?}"
    );
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn runtime_provided_boto3_need_not_be_on_the_index() {
    // boto3 is not on the fixture index: with runtime_provided it need not be.
    let s = Story::new("alpaca-py\nboto3\n", json!({"runtime_provided": true}));
    let (report, dists, stderr) = s.package_ok("out", &[]);
    let boto3 = entry(&report, "excluded", "boto3");
    assert_eq!(boto3["reason"], "runtime", "{boto3}");
    assert_eq!(boto3["provided_by"], "runtime", "{boto3}");
    assert!(
        boto3.get("version").is_none(),
        "the runtime's boto3 has no version: {boto3}"
    );
    assert!(
        !dists.contains("boto3") && !dists.contains("urllib3"),
        "{dists:?}\n{stderr}"
    );
}

/// Known bug (resolver.rs `what_if`): the what-if resolution unpins every
/// runtime/layer/excluded package, so one that the index lacks (boto3 here)
/// makes it fail; the report then misses six (needed only by the runtime's
/// python-dateutil), saved_bytes are 0 for urllib3 and python-dateutil, and
/// the warning shows only the first line of the resolver error.
#[test]

fn runtime_provided_boto3_missing_from_the_index_still_accounts_for_everything() {
    let s = Story::new("alpaca-py\nboto3\n", json!({"runtime_provided": true}));
    let (report, _, _) = s.package_ok("out", &[]);
    assert!(
        !report["warnings"]
            .to_string()
            .contains("could not work out"),
        "{:#}",
        report["warnings"]
    );
    assert_eq!(entry(&report, "excluded", "six")["reason"], "runtime");
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn a_scanned_layer_zip_manifest_is_used() {
    let arn = "arn:aws:lambda:us-east-1:123456789012:layer:sample:1";
    let s = Story::new("alpaca-py\n", json!({"layers": [arn]}));
    let manifest = s.p.out("sample.json");
    let scan = assert_cmd::Command::cargo_bin("grail")
        .unwrap()
        .args(["layer", "scan"])
        .arg(fixture("sample-layer.zip"))
        .args(["--arn", arn, "-o"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(0), "{}", stderr_of(&scan));
    let m: Value = serde_json::from_str(&fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(m["provenance"], "scanned");
    assert_eq!(m["arn"], arn);
    let layer_bytes = m["unzipped_bytes"].as_u64().unwrap();
    assert_eq!(layer_bytes, 1_002_110, "the sum of the zip's entry sizes");

    let spec = format!("{arn}={}", manifest.display());
    let (report, dists, stderr) = s.package_ok("out", &["--layer-manifest", &spec]);
    // The sample layer has numpy 2.5.0, requests 2.34.2 and six, but no pandas.
    let numpy = entry(&report, "excluded", "numpy");
    assert_eq!(
        (numpy["reason"].as_str(), numpy["version"].as_str()),
        (Some("layer"), Some("2.5.0"))
    );
    let scanned_numpy = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "numpy")
        .unwrap();
    assert_eq!(numpy["saved_bytes"], scanned_numpy["unzipped_bytes"]);
    assert_eq!(entry(&report, "excluded", "requests")["version"], "2.34.2");
    assert_eq!(entry(&report, "excluded", "six")["reason"], "layer");
    // The layer's requests 2.34.2 is not on the fixture index: its
    // dependencies come from the index's newest release, so what no layer
    // has is kept out as "only needed by excluded packages" (nothing is
    // shipped on a guess), except urllib3, which the runtime has.
    for name in ["idna", "certifi", "charset-normalizer"] {
        assert_eq!(
            entry(&report, "excluded", name)["reason"],
            "only-needed-by-excluded"
        );
    }
    assert_eq!(
        entry(&report, "excluded", "urllib3")["reason"],
        "runtime-for-layer"
    );
    assert!(
        dists.contains("pandas") && dists.contains("pytz"),
        "{dists:?}\n{stderr}"
    );
    assert!(!dists.contains("numpy") && !dists.contains("requests") && !dists.contains("six"));
    assert_eq!(
        report["budget"]["layers"],
        json!([{"arn": arn, "unzipped_bytes": layer_bytes, "known": true}])
    );
    assert_accounts_for_everything(&report, &no_layer_packages());
}

#[test]
fn over_budget_says_by_how_much_and_what_fits_and_writes_nothing() {
    let s = Story::new(
        "alpaca-py\n",
        json!({"layers": [PANDAS_312], "layer_manifests": {PANDAS_312: "layers/pandas.json"}}),
    );
    // First a build that fits, to learn the function's size.
    s.manifest(".chalice/layers/pandas.json", &fixture_manifest());
    let (report, _, _) = s.package_ok("fits", &[]);
    let function = report["budget"]["function_unzipped_bytes"]
        .as_u64()
        .unwrap();

    // The same layer, now claimed to leave 1,234 bytes too few.
    assert!(function > 1_234);
    let layer = LIMIT - function + 1_234;
    let mut m = fixture_manifest();
    m["unzipped_bytes"] = json!(layer);
    s.manifest(".chalice/layers/pandas.json", &m);
    let err = s.package_fails("out", &[], 3);
    let function_max = LIMIT - layer;
    for needle in [
        "by 1,234 bytes".to_string(),
        format!("Unzipped size must be smaller than {function_max} bytes"),
        format!("at most {}", grouped(function_max)),
        PANDAS_312.to_string(),
    ] {
        assert!(err.contains(&needle), "missing {needle:?} in:\n{err}");
    }
    assert!(
        err.contains("alpaca-py") || err.contains("pydantic"),
        "no breakdown:\n{err}"
    );
}

#[test]
fn layers_alone_over_the_limit_say_no_function_fits() {
    let s = Story::new(
        "alpaca-py\n",
        json!({"layers": [PANDAS_312], "layer_manifests": {PANDAS_312: "layers/huge.json"}}),
    );
    let mut m = fixture_manifest();
    m["unzipped_bytes"] = json!(300_000_000u64);
    s.manifest(".chalice/layers/huge.json", &m);
    let err = s.package_fails("out", &[], 3);
    assert!(err.contains("no function code fits"), "{err}");
}

#[test]
fn unknown_layers_warn_how_to_supply_a_manifest() {
    let custom = "arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3";
    let future = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:999";
    let s = Story::new("alpaca-py\n", json!({"layers": [custom, future]}));
    let (report, dists, stderr) = s.package_ok("out", &[]);
    for arn in [custom, future] {
        let w = report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .find(|w| w.contains(arn) && w.contains("grail layer scan"))
            .unwrap_or_else(|| panic!("no warning for {arn} in {:#}", report["warnings"]));
        assert!(w.contains(&format!("--layer-manifest {arn}=")), "{w}");
        assert!(w.contains("layer_manifests"), "{w}");
        assert!(stderr.contains(w), "not printed:\n{stderr}");
    }
    assert!(
        stderr.contains("catalogue does not know version 999"),
        "{stderr}"
    );
    // Nothing is assumed provided: the whole graph ships.
    assert_eq!(dists, set(NO_LAYER_SET));
    assert!(report["excluded"].as_array().unwrap().is_empty());
    let b = &report["budget"];
    assert_eq!(
        b["layers"],
        json!([
            {"arn": custom, "unzipped_bytes": null, "known": false},
            {"arn": future, "unzipped_bytes": null, "known": false}
        ])
    );
    assert_eq!(b["total_bytes"], b["function_unzipped_bytes"]);
    assert!(stderr.contains("size budget is incomplete"), "{stderr}");
}

#[test]
fn a_layer_for_another_python_or_arch_warns_and_provides_nothing() {
    for (arn, needle) in [
        (
            "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python311:33",
            "python3.11",
        ),
        (
            "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312-Arm64:29",
            "arm64",
        ),
    ] {
        let s = Story::new("alpaca-py\n", json!({"layers": [arn]}));
        let (report, dists, stderr) = s.package_ok("out", &[]);
        let w = report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .find(|w| w.contains(arn) && w.contains(needle))
            .unwrap_or_else(|| panic!("no mismatch warning for {arn} in {:#}", report["warnings"]));
        assert!(w.contains("python3.12"), "{w}");
        assert!(stderr.contains(w), "not printed:\n{stderr}");
        assert_eq!(dists, set(NO_LAYER_SET), "{arn}");
        assert!(report["excluded"].as_array().unwrap().is_empty(), "{arn}");
        // Its size still counts: it is attached.
        assert_eq!(report["budget"]["layers"][0]["known"], true);
    }
}

#[test]
fn a_malformed_layer_arn_in_config_is_a_warning_and_an_unknown_layer() {
    // Chalice copies layers into the template unchecked; Lambda refuses the
    // ARN at deploy time. grail warns and packages as for an unknown layer.
    let bad = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312";
    let s = Story::new("alpaca-py\n", json!({"layers": [bad]}));
    let (report, dists, stderr) = s.package_ok("out", &[]);
    assert!(
        stderr.contains(bad) && stderr.contains("not a valid layer version ARN"),
        "{stderr}"
    );
    // Nothing is kept out for it: pandas ships.
    assert!(dists.contains("pandas"), "{dists:?}");
    assert_eq!(report["budget"]["layers"][0]["arn"], bad);
    assert_eq!(report["budget"]["layers"][0]["known"], false);
}

#[test]
fn a_malformed_layer_manifest_flag_is_bad_input() {
    let s = Story::new("alpaca-py\n", json!({"layers": [PANDAS_312]}));
    let err = s.package_fails("out", &["--layer-manifest", "pandas.json"], 1);
    assert!(err.contains("ARN=PATH"), "{err}");
    let missing = format!("{PANDAS_312}=nowhere.json");
    let err = s.package_fails("out", &["--layer-manifest", &missing], 1);
    assert!(err.contains("nowhere.json"), "{err}");
}

#[test]
fn a_function_without_the_layer_keeps_its_packages_in_the_shared_zip() {
    // The stage attaches the pandas layer, but `worker` overrides `layers`
    // with none: one deployment.zip serves both, so pandas must ship; the
    // budget still counts the layer (api_handler has it).
    let s = Story::new(
        "alpaca-py\n",
        json!({
            "layers": [PANDAS_312],
            "layer_manifests": {PANDAS_312: "layers/pandas.json"},
            "lambda_functions": {"worker": {"layers": []}},
        }),
    );
    s.manifest(".chalice/layers/pandas.json", &fixture_manifest());
    let (report, dists, stderr) = s.package_ok("out", &[]);
    assert!(
        dists.contains("pandas") && dists.contains("numpy"),
        "{dists:?}"
    );
    assert!(
        stderr.contains("function worker has its own \"layers\""),
        "{stderr}"
    );
    assert_eq!(report["budget"]["layers"][0]["arn"], PANDAS_312);
    assert!(!names(&report, "excluded").contains("pandas"));
}

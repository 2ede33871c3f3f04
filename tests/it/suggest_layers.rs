//! Issue 13: over (or near) the size budget, grail says which known public
//! layer would make it fit, for the project's region, runtime and
//! architecture, and never one whose pins conflict with the requirements.
//!
//! The budget is tested for real: the loopback index serves big-ish wheels
//! (a file of zeros inside, so they are small on disk but their unzipped size
//! is what a real pandas/numpy/pyarrow stack weighs, ~269 MB in total), next
//! to the committed fixtures. No test-only limit.

use std::fs;
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

const PANDAS_312: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";

/// (name, version, payload bytes, requires)
const BIG: &[(&str, &str, usize, &[&str])] = &[
    (
        "pandas",
        "3.0.3",
        70_000_000,
        &["numpy>=1.26", "python-dateutil>=2.8.2"],
    ),
    (
        "pandas",
        "1.5.3",
        70_000_000,
        &["numpy<2", "python-dateutil>=2.8.1"],
    ),
    ("numpy", "2.5.0", 40_000_000, &[]),
    ("numpy", "1.26.4", 35_000_000, &[]),
    ("pyarrow", "24.0.0", 150_000_000, &[]),
    ("openpyxl", "3.1.5", 9_000_000, &["et-xmlfile"]),
    ("et-xmlfile", "2.0.0", 100_000, &[]),
];

/// The committed fixture index, with pandas and numpy replaced by the big
/// wheels above (and pyarrow, openpyxl, et-xmlfile added); one server.
fn server() -> &'static IndexServer {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    static SERVER: OnceLock<IndexServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let root = ROOT.get_or_init(|| tempfile::tempdir().unwrap()).path();
        for e in fs::read_dir(fixtures_root()).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            if !BIG.iter().any(|b| b.0 == name) {
                std::os::unix::fs::symlink(e.path(), root.join(&name)).unwrap();
            }
        }
        for (name, version, bytes, requires) in BIG {
            let dir = root.join(name);
            fs::create_dir_all(&dir).unwrap();
            let payload = vec![0u8; *bytes];
            let module = format!("{}/__init__.py", name.replace('-', "_"));
            let blob = format!("{}/_blob.bin", name.replace('-', "_"));
            build_wheel(
                &dir,
                name,
                version,
                "py3-none-any",
                &[(module.as_str(), b"".as_slice()), (blob.as_str(), &payload)],
                requires,
            );
        }
        IndexServer::start(IndexServerOptions {
            root: root.to_path_buf(),
            mode: Mode::Json,
            ..IndexServerOptions::default()
        })
    })
}

fn cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn project(requirements: &str, config: &str) -> TestProject {
    let p = TestProject::new();
    p.write("requirements.txt", requirements);
    p.write(".chalice/config.json", config);
    p
}

const CONFIG: &str = r#"{"version": "2.0", "app_name": "t", "stages": {"dev": {}}}"#;

/// `grail CMD…` (python3.12 unless `extra` says otherwise) against the big index, in `region`
/// (None: no region anywhere), hermetic AWS settings.
fn grail(p: &TestProject, cmd: &[&str], region: Option<&str>, extra: &[&str]) -> Output {
    let mut c = p.grail();
    without(&mut c, PROXY_ENV);
    without(&mut c, &["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"]);
    c.env("AWS_CONFIG_FILE", p.out("aws-config"));
    if let Some(r) = region {
        c.env("AWS_DEFAULT_REGION", r);
    }
    c.args(cmd);
    if !extra.contains(&"--python-version") {
        c.args(["--python-version", "3.12"]);
    }
    c.args(["--index-url", &server().url(), "--cache-dir"])
        .arg(cache())
        .args(["--python", "python3"])
        .args(extra)
        .output()
        .unwrap()
}

fn suggest(p: &TestProject, region: Option<&str>, extra: &[&str]) -> String {
    let o = grail(p, &["suggest-layers"], region, extra);
    assert_eq!(o.status.code(), Some(0), "{}", run_text(&o));
    stdout_of(&o)
}

#[test]
fn over_budget_suggests_the_pandas_layer_with_arn_savings_and_total() {
    let p = project("pandas\npyarrow\nopenpyxl\n", CONFIG);
    let o = grail(&p, &["package", "out"], Some("us-east-1"), &[]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!p.out("out").exists());
    for needle in [
        "over Lambda's limit",
        "Public layers for python3.12 x86_64 in us-east-1 (from AWS_DEFAULT_REGION)",
        &format!("1. AWS SDK for pandas 3.17.0: {PANDAS_312}"),
        "provides et-xmlfile 2.0.0, numpy 2.5.0, openpyxl 3.1.5, pandas 3.0.3, pyarrow 24.0.0",
        "the layer takes 175,112,192 bytes (167.00 MiB) (approximate)",
        &format!("add to .chalice/config.json: \"layers\": [\"{PANDAS_312}\"]"),
    ] {
        assert!(err.contains(needle), "{needle}\n---\n{err}");
    }
    // The numbers: everything but the small deps and the app goes.
    let saves: u64 = 70_000_000 + 40_000_000 + 150_000_000 + 9_000_000 + 100_000;
    let line = err.lines().find(|l| l.contains("saves ")).unwrap();
    let saved: u64 = line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(saved > saves && saved < saves + 1_000_000, "{line}");
    let total_line = err.lines().find(|l| l.contains("total then")).unwrap();
    assert!(total_line.contains("headroom"), "{total_line}");
}

#[test]
fn suggest_layers_on_the_pandas_layer_example_without_its_layer() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("integration/examples/pandas-layer");
    let mut config: Value =
        serde_json::from_str(&fs::read_to_string(example.join(".chalice/config.json")).unwrap())
            .unwrap();
    config.as_object_mut().unwrap().remove("layers");
    // The fixture index has alpaca-py 0.43.2, not the example's 0.21.1 pin.
    let p = project("alpaca-py\n", &config.to_string());
    p.write(
        "app.py",
        &fs::read_to_string(example.join("app.py")).unwrap(),
    );
    let out = suggest(&p, Some("us-east-1"), &[]);
    assert!(
        out.contains(&format!("1. AWS SDK for pandas 3.17.0: {PANDAS_312}")),
        "{out}"
    );
    assert!(out.contains("pandas 3.0.3"), "{out}");
}

#[test]
fn a_conflicting_pin_is_never_suggested_and_the_message_says_why() {
    let p = project("pandas<2\npyarrow\nopenpyxl\n", CONFIG);
    let o = grail(&p, &["package", "out"], Some("us-east-1"), &[]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!err.contains("add to .chalice/config.json"), "{err}");
    assert!(err.contains("No known public layer makes it fit."), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains(&format!("AWS SDK for pandas 3.17.0 ({PANDAS_312})")))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.ends_with(
            "its versions conflict with the requirements: pandas is fixed at 3.0.3 by the layer, \
             but: requirements.txt:1 pandas<2"
        ),
        "{line}"
    );
    assert!(
        err.contains("The biggest packages shipped:\n    pyarrow: 150,"),
        "{err}"
    );
}

#[test]
fn region_python_and_architecture_filters() {
    let p = project("pandas\n", CONFIG);
    // Another region: its own account and version number.
    let out = suggest(&p, Some("ap-east-1"), &[]);
    assert!(
        out.contains("arn:aws:lambda:ap-east-1:839552336658:layer:AWSSDKPandas-Python312:26"),
        "{out}"
    );
    assert!(!out.contains("us-east-1:336392948345"), "{out}");
    // arm64: the -Arm64 layer only.
    let out = suggest(&p, Some("us-east-1"), &["--arch", "arm64"]);
    assert!(
        out.contains("layer:AWSSDKPandas-Python312-Arm64:29") && !out.contains("Python312:29"),
        "{out}"
    );
    // python3.11: the Python311 layer.
    let out = suggest(&p, Some("us-east-1"), &["--python-version", "3.11"]);
    assert!(out.contains("layer:AWSSDKPandas-Python311:33"), "{out}");
    assert!(!out.contains("Python312"), "{out}");
    // A region with no known layer: nothing suggested, and it says so.
    let out = suggest(&p, Some("us-gov-west-1"), &[]);
    assert!(
        out.contains("No known public layer would keep packages out of the zip and still fit")
            && out.contains("grail knows no public layer published in us-gov-west-1"),
        "{out}"
    );
    assert!(!out.contains("arn:"), "{out}");
    // The profile's region in the AWS config file.
    p.write(
        "aws-config",
        "[default]\nregion = us-west-2\n[profile prod]\nregion = eu-west-1\n",
    );
    let out = suggest(&p, None, &["--profile", "prod"]);
    assert!(
        out.contains("in eu-west-1 (from profile prod in ")
            && out
                .contains("arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:29"),
        "{out}"
    );
    let out = suggest(&p, None, &[]);
    assert!(
        out.contains("in us-west-2 (from profile default in "),
        "{out}"
    );
    fs::remove_file(p.out("aws-config")).unwrap();
    // No region anywhere: us-east-1, clearly marked as an assumption.
    let out = suggest(&p, None, &[]);
    assert!(
        out.contains("in us-east-1 (assumed: no region is configured"),
        "{out}"
    );
    assert!(out.contains(PANDAS_312), "{out}");
}

#[test]
fn near_budget_warns_and_the_report_carries_suggestions() {
    // A layer of our own takes most of the budget: six is tiny, so less
    // than 10% is left, and adding the pandas layer cannot fit.
    let p = project(
        "six\n",
        r#"{"version": "2.0", "app_name": "t", "layers": ["arn:aws:lambda:us-east-1:123456789012:layer:big:1"],
            "layer_manifests": {"arn:aws:lambda:us-east-1:123456789012:layer:big:1": "big.json"},
            "stages": {"dev": {}}}"#,
    );
    p.write(
        ".chalice/big.json",
        r#"{"schema": "grail-layer-manifest/1", "site_dir": "python", "provenance": "scanned",
            "unzipped_bytes": 250000000, "packages": []}"#,
    );
    let o = grail(&p, &["package", "out", "--report", "r.json"], None, &[]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("less than 10% of Lambda's size limit is left"),
        "{err}"
    );
    // The attached layer tells the region.
    assert!(
        err.contains("in us-east-1 (from the attached layers' ARNs)"),
        "{err}"
    );
    let r = p.report("r.json");
    let s = &r["suggestions"];
    assert_eq!(s["trigger"], "near-budget");
    assert_eq!(s["region"], "us-east-1");
    assert_eq!(s["region_assumed"], false);
    assert_eq!(s["suggested"], serde_json::json!([]));
    let rejected = &s["not_suggested"][0];
    assert_eq!(rejected["arn"], PANDAS_312);
    assert!(
        rejected["reason"].as_str().unwrap().contains("still over"),
        "{s:#}"
    );
}

#[test]
fn far_from_the_limit_no_suggestions_in_the_report() {
    let p = project("six\n", CONFIG);
    let o = grail(
        &p,
        &["package", "out", "--report", "r.json"],
        Some("us-east-1"),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", run_text(&o));
    assert!(p.report("r.json").get("suggestions").is_none());
    assert!(!stderr_of(&o).contains("Public layers"));
}

/// The wording of `grail suggest-layers`, as a snapshot: one suggestion
/// (pandas, python3.12, us-east-1) and one conflict (`pandas<2`).
#[test]
fn suggest_layers_output_snapshot() {
    let _s = snapshot_settings().bind_to_scope();
    let p = project("pandas\npyarrow\nopenpyxl\n", CONFIG);
    insta::assert_snapshot!("suggest_fits", suggest(&p, Some("us-east-1"), &[]));
    p.write("requirements.txt", "pandas<2\npyarrow\nopenpyxl\n");
    insta::assert_snapshot!("suggest_conflict", suggest(&p, Some("us-east-1"), &[]));
}

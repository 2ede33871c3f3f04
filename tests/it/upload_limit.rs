//! Lambda's other limit (issue 14): a zip over 52,428,800 bytes zipped is
//! refused on a direct upload (`chalice deploy`), so grail warns for each
//! zip it writes over it and says what works instead.

use std::fs;

use crate::support::*;

/// `CodeSizeZipped`, the direct-upload limit.
const LIMIT: u64 = 52_428_800;

/// `n` bytes no deflate can shrink (xorshift64: deterministic, no dependency).
fn incompressible(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// A project whose vendor/ holds a package just over the limit, packaged
/// with `config` merged in; returns (stderr, report).
fn package_big(automatic_layer: bool) -> (TestProject, String, serde_json::Value) {
    let p = TestProject::new();
    let path = p.out("vendor/bigpkg/blob.bin");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, incompressible(LIMIT as usize + 1_000_000)).unwrap();
    p.write("vendor/bigpkg/__init__.py", "");
    p.write(
        ".chalice/config.json",
        &serde_json::json!({"version": "2.0", "app_name": "t", "stages": {"dev": {}},
                            "automatic_layer": automatic_layer})
        .to_string(),
    );
    let out = p.package_ok("out", &["--python-version", "3.12", "--report", "r.json"]);
    let report = p.report("r.json");
    (p, stderr_of(&out), report)
}

/// The warning for `zip`, from stderr, checked to be in the report too.
fn warning_for(zip: &str, stderr: &str, report: &serde_json::Value) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("warning: {zip} is ")))
        .unwrap_or_else(|| panic!("no direct-upload warning for {zip}:\n{stderr}"))
        .to_string();
    let in_report = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| line.ends_with(w.as_str().unwrap()));
    assert!(in_report, "{line}\nnot in {report:#}");
    line
}

#[test]
fn a_function_zip_over_50_mb_warns_and_names_what_works() {
    let (p, stderr, report) = package_big(false);
    let zipped = fs::metadata(p.out("out/deployment.zip")).unwrap().len();
    assert!(zipped > LIMIT, "{zipped}");
    let w = warning_for("deployment.zip", &stderr, &report);
    for needle in [
        grouped(zipped).as_str(),
        "52,428,800 bytes",
        "chalice deploy",
        "through S3",
        "sam deploy",
        "s3_bucket",
        "layer",
    ] {
        assert!(w.contains(needle), "{needle:?} missing: {w}");
    }
    assert!(!stderr.contains("layer-deployment.zip is"), "{stderr}");
}

#[test]
fn a_managed_layer_over_50_mb_warns_too() {
    let (p, stderr, report) = package_big(true);
    let zipped = fs::metadata(p.out("out/layer-deployment.zip"))
        .unwrap()
        .len();
    assert!(zipped > LIMIT, "{zipped}");
    let w = warning_for("layer-deployment.zip", &stderr, &report);
    assert!(w.contains(&grouped(zipped)), "{w}");
    // The function zip is small now: no warning for it.
    assert!(!stderr.contains("warning: deployment.zip is"), "{stderr}");
}

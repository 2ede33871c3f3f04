//! `grail package` with the built-in public layer families other than the
//! pandas catalogue's known releases: Powertools v3 (approximate contents),
//! Klayers (a package at an unknown version) and a pandas release that is
//! recognised without contents.

use std::fs;
use std::process::Output;

use serde_json::{json, Value};

use crate::support::{stderr_of, IndexedProject, Server};

const POWERTOOLS: &str =
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3";
const KLAYERS: &str = "arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-requests:21";
const PANDAS_3160: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:24";

use crate::support::shared_fixture_index as server;

/// Package `requirements` with `layers` attached; returns the report and stderr.
fn package(requirements: &str, layers: &[&str]) -> (Value, String) {
    let s = IndexedProject::new(
        requirements,
        json!({ "layers": layers }),
        Server::Shared(server()),
    );
    let o: Output = s.grail("package", "out", &["--report", "out.json"]);
    let stderr = stderr_of(&o);
    assert_eq!(o.status.code(), Some(0), "grail package failed:\n{stderr}");
    let report = fs::read_to_string(s.p.out("out.json")).unwrap();
    (serde_json::from_str(&report).unwrap(), stderr)
}

fn excluded<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
}

fn shipped(report: &Value, name: &str) -> bool {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == name)
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn powertools_layer_keeps_its_packages_out_approximately() {
    let (report, stderr) = package("pydantic\nrequests\n", &[POWERTOOLS]);
    let e = excluded(&report, "pydantic").unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(e["reason"], "layer", "{e}");
    assert_eq!(e["provided_by"], POWERTOOLS, "{e}");
    assert_eq!(e["version"], "2.14.4", "{e}");
    assert!(!shipped(&report, "pydantic") && shipped(&report, "requests"));
    let w = warnings(&report);
    assert!(
        w.iter()
            .any(|w| w.contains(POWERTOOLS) && w.contains("approximate")),
        "{w:?}\n{stderr}"
    );
    let layer = &report["budget"]["layers"][0];
    assert_eq!(layer["known"], false, "size unknown: {layer}");
}

#[test]
fn klayers_constrained_requirement_is_excluded_with_a_warning() {
    let (report, _) = package("requests>=2.30\n", &[KLAYERS]);
    let e = excluded(&report, "requests").unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(e["provided_by"], KLAYERS, "{e}");
    assert!(!shipped(&report, "requests"));
    // The layer bundles requests' dependencies: nothing else needs them.
    for dep in ["urllib3", "idna", "certifi", "charset-normalizer"] {
        assert!(!shipped(&report, dep), "{dep} shipped: {report:#}");
    }
    let w = warnings(&report);
    assert!(
        w.iter()
            .any(|w| w.contains("requests>=2.30") && w.contains(KLAYERS)),
        "{w:?}"
    );
    // A bare requirement: excluded, no warning.
    let (report, _) = package("requests\n", &[KLAYERS]);
    assert!(excluded(&report, "requests").is_some());
    assert!(
        !warnings(&report)
            .iter()
            .any(|w| w.contains("requirement requests")),
        "{:?}",
        warnings(&report)
    );
}

#[test]
fn recognised_pandas_release_without_contents_ships_everything() {
    let (report, _) = package("requests\n", &[PANDAS_3160]);
    assert!(shipped(&report, "requests"));
    let w = warnings(&report);
    assert!(
        w.iter().any(|w| w.contains(PANDAS_3160)
            && w.contains("is AWS SDK for pandas 3.16.0, but grail does not know")),
        "{w:?}"
    );
}

#[test]
fn why_says_approximate_and_unknown_version() {
    let why = |requirements: &str, layer: &str, package: &str| {
        let s = IndexedProject::new(
            requirements,
            json!({ "layers": [layer] }),
            Server::Shared(server()),
        );
        let o = s.grail("why", package, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let text = why("pydantic\n", POWERTOOLS, "pydantic");
    assert!(
        text.contains(&format!("provided by layer {POWERTOOLS} (approximate"))
            && text.contains("pydantic 2.14.4"),
        "{text}"
    );
    let text = why("requests\n", KLAYERS, "requests");
    assert!(
        text.contains("requests (any version): not shipped")
            && text.contains("version of it is unknown"),
        "{text}"
    );
}

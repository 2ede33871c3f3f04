//! `grail layer show ARN`: what grail knows about a layer and where it
//! comes from, for each built-in family, a look-alike and an unknown layer.

use assert_cmd::Command;

use crate::support::{run_text, snapshot_settings, write};

/// `grail layer show ARGS` with an empty cache: no fetched manifest from
/// the machine's own cache can change the answer.
fn show(args: &[&str]) -> std::process::Output {
    let cache = tempfile::tempdir().unwrap();
    Command::cargo_bin("grail")
        .unwrap()
        .env("GRAIL_CACHE_DIR", cache.path())
        .args(["layer", "show"])
        .args(args)
        .output()
        .unwrap()
}

const PANDAS: &str = "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29";
const POWERTOOLS: &str =
    "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:3";
const POWERTOOLS_37: &str =
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:37";
const KLAYERS: &str = "arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-arm64-requests:21";
const UNKNOWN: &str = "arn:aws:lambda:eu-west-1:123456789012:layer:deps-python312:4";

#[test]
fn pandas_layer() {
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("layer_show_pandas", run_text(&show(&[PANDAS])));
}

#[test]
fn powertools_layer() {
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("layer_show_powertools", run_text(&show(&[POWERTOOLS])));
}

/// Real ARNs of later Powertools layer versions (numbers sourced in the
/// data file): both architectures, python3.11 to 3.13, China's account.
#[test]
fn powertools_later_numbers_text_and_json() {
    for (arn, release, python, arch) in [
        (POWERTOOLS_37, "3.34.0", "3.13", "x86_64"),
        (
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:25",
            "3.22.0",
            "3.12",
            "arm64",
        ),
        (
            "arn:aws:lambda:ap-southeast-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:12",
            "3.10.0",
            "3.13",
            "arm64",
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:23",
            "3.20.0",
            "3.11",
            "x86_64",
        ),
    ] {
        let out = show(&[arn, "--json"]);
        assert!(out.status.success(), "{}", run_text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["release"], release, "{arn}");
        assert_eq!((&v["python"], &v["architecture"]), (&python.into(), &arch.into()));
        assert_eq!(v["account_check"]["status"], "ok", "{arn}");
        assert_eq!(v["contents"], "approximate", "{arn}");
        assert_eq!(v["source"]["kind"], "builtin", "{arn}");
        let powertools = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "aws-lambda-powertools")
            .unwrap();
        assert_eq!(powertools["version"], release, "{arn}");
        let text = String::from_utf8_lossy(&show(&[arn]).stdout).into_owned();
        assert!(text.contains(&format!("release:  {release}\n")), "{text}");
        assert!(
            text.contains(&format!("target:   python {python} / {arch}\n")),
            "{text}"
        );
    }
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!(
        "layer_show_powertools_3_34_0",
        run_text(&show(&[POWERTOOLS_37]))
    );
}

#[test]
fn klayers_layer() {
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("layer_show_klayers", run_text(&show(&[KLAYERS])));
}

#[test]
fn unknown_layer() {
    let _s = snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("layer_show_unknown", run_text(&show(&[UNKNOWN])));
}

#[test]
fn json_for_machines() {
    let out = show(&[POWERTOOLS, "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!("layer_show_powertools_json", v);
    let out = show(&[UNKNOWN, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"]["kind"], "none");
    assert_eq!(v["contents"], "unknown");
    assert_eq!(v["python"], "3.12", "from the name's token");
}

#[test]
fn recognised_release_unknown_version_and_look_alike() {
    // 3.16.0: the release is known, its contents are not.
    let out = show(&[
        "arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python312:24",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["release"].as_str(), v["contents"].as_str()),
        (Some("3.16.0"), Some("unknown"))
    );
    // A Powertools number past the data: the family, no release.
    let out = show(&[
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:77",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["family"]["id"], "powertools-python-v3");
    assert!(v["release"].is_null());
    assert_eq!(v["architecture"], "arm64");
    // The pandas name under another account: not trusted.
    let out = show(&["arn:aws:lambda:us-east-1:111122223333:layer:AWSSDKPandas-Python312:29"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("111122223333 is NOT the publisher in us-east-1 (expected 336392948345)"),
        "{text}"
    );
    assert!(text.contains("contents: unknown (0 packages)"), "{text}");
}

#[test]
fn a_given_manifest_wins_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deps.json");
    write(
        &path,
        &format!(
            r#"{{"schema": "grail-layer-manifest/1", "arn": "{UNKNOWN}", "python": "3.12",
"architecture": "x86_64", "site_dir": "python", "unzipped_bytes": 1048576,
"provenance": "scanned", "packages": [{{"name": "requests", "version": "2.32.3", "top_level": ["requests"]}}]}}"#
        ),
    );
    let out = show(&[
        UNKNOWN,
        "--layer-manifest",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", run_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"]["kind"], "manifest");
    assert_eq!(v["size"], "exact");
    assert_eq!(v["unzipped_bytes"], 1048576);
    assert_eq!(v["packages"][0]["version"], "2.32.3");
}

#[test]
fn invalid_arn_is_a_usage_error() {
    let out = show(&["arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add \":VERSION\""));
}

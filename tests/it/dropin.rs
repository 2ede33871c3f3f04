//! Drop-in on real projects: each test is a minimal project of our own that
//! reproduces a case seen in a real public Chalice project, where
//! `chalice package` succeeds.

use crate::support::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

/// `grail --project-dir <p> ARGS…` run through `sh` with `umask` set first,
/// with the same environment as [`TestProject::grail`].
fn grail_with_umask(p: &TestProject, umask: &str, args: &[&str]) -> assert_cmd::Command {
    let bin = assert_cmd::cargo::cargo_bin("grail");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(bin)
        .arg("--project-dir")
        .arg(p.path())
        .args(args);
    for v in GRAIL_ENV.iter().chain(AWS_ENV) {
        cmd.env_remove(v);
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    cmd.env("PYTHONPATH", p.fake_chalice.path())
        .env("NO_COLOR", "1");
    assert_cmd::Command::from_std(cmd)
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Class 7: artifacts were 0600 (temp files renamed into place); Chalice's
/// plain writes follow the umask.
#[test]
fn artifacts_follow_the_umask() {
    let p = TestProject::new();
    p.write(
        ".chalice/config.json",
        r#"{"version": "2.0", "app_name": "t", "stages": {"dev": {"automatic_layer": true}}}"#,
    );
    p.write("vendor/six.py", "# vendored\n");
    for (umask, expected) in [("022", 0o644), ("027", 0o640)] {
        let out = format!("out-{umask}");
        grail_with_umask(
            &p,
            umask,
            &[
                "package",
                &out,
                "--python",
                "python3",
                "--report",
                &format!("{out}/report.json"),
            ],
        )
        .assert()
        .success();
        for f in ["deployment.zip", "layer-deployment.zip", "report.json"] {
            let path = p.out(&format!("{out}/{f}"));
            assert_eq!(mode(&path), expected, "{f} under umask {umask}");
        }
    }
}

/// Class 3: layer entries that are not literal ARNs (a placeholder, a
/// Terraform reference, a CDK token): Chalice copies them into the template;
/// grail warns, counts them as unknown in the budget and goes on.
#[test]
fn layer_placeholders_are_unknown_layers() {
    let p = TestProject::new();
    p.write(
        ".chalice/config.json",
        r#"{"version": "2.0", "app_name": "t", "stages": {"dev": {"layers": [
            "{{{REPLACE THIS WITH THE LAMBDA LAYER ARN RETURNED BY TERRAFORM}}}",
            "${aws_lambda_layer_version.deps.arn}",
            "${Token[TOKEN.89]}"]}}}"#,
    );
    let out = p
        .grail()
        .args(["package", "out", "--python", "python3"])
        .args(["--report", "out/report.json"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    for needle in [
        "{{{REPLACE THIS",
        "${aws_lambda_layer_version.deps.arn}",
        "${Token[TOKEN.89]}",
        "not a layer version ARN",
    ] {
        assert!(stderr.contains(needle), "{needle}:\n{stderr}");
    }
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(p.out("out/report.json")).unwrap()).unwrap();
    let layers = r["budget"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for l in layers {
        assert_eq!(l["known"], false, "{l}");
        assert_eq!(l["unzipped_bytes"], serde_json::Value::Null);
    }
    assert_eq!(
        r["budget"]["total_bytes"],
        r["budget"]["function_unzipped_bytes"]
    );
}

/// Class 6: a vendored 2017 `.dist-info` whose METADATA has a requirement
/// today's parsers reject; Chalice never reads it.
#[test]
fn unparseable_vendor_metadata_is_a_warning() {
    let p = TestProject::new();
    p.write("vendor/babel/__init__.py", "");
    p.write(
        "vendor/Babel-2.5.1.dist-info/METADATA",
        "Metadata-Version: 2.0\nName: Babel\nVersion: 2.5.1\nRequires-Dist: pytz (>=2011k)\n",
    );
    let out = p
        .grail()
        .args(["package", "out", "--python", "python3"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("Babel-2.5.1.dist-info/METADATA:4:") && stderr.contains("2011k"),
        "{stderr}"
    );
    let names: Vec<String> = zip_contents(&p.out("out/deployment.zip"))
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(names.contains(&"Babel-2.5.1.dist-info/METADATA".to_string()));
}

/// Class 4: config values Chalice tolerates (seen in real projects) are
/// warnings naming the key path; the package is written.
#[test]
fn config_values_chalice_tolerates_are_warnings() {
    let p = TestProject::new();
    p.write(
        ".chalice/config.json",
        r#"{"version": "2.0", "app_name": "t",
            "lambda_functions": {"automatic_layer": true},
            "automatic_layers": "true",
            "stages": {"production": {
                "manage_iam_role": "false",
                "iam_role_arn": {"Fn::Sub": "arn:aws:iam::${AWS_ACCOUNT_ID}:role/r"}}}}"#,
    );
    let out = p
        .grail()
        .args(["package", "out", "--python", "python3"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    for needle in [
        "`lambda_functions.automatic_layer`",
        "`automatic_layers` is not a Chalice or grail setting (did you mean automatic_layer?)",
        "`stages.production.manage_iam_role`",
        "`stages.production.iam_role_arn`",
    ] {
        assert!(stderr.contains(needle), "{needle}:\n{stderr}");
    }
    assert!(p.out("out/deployment.zip").is_file());
}

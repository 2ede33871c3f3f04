//! Drop-in on real projects: each test is a minimal project of our own that
//! reproduces a case seen in a real public Chalice project, where
//! `chalice package` succeeds.

mod common;

use common::*;
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
    for v in GRAIL_ENV {
        cmd.env_remove(v);
    }
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

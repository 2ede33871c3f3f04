//! Issue 9, classes 5–8: OUT never ships inside itself, secrets never reach
//! stderr or the report, a stalled index is given up on within the stated
//! bound, and each failure names its real problem once.

use crate::support::*;
use std::fs;

fn names(zip: &std::path::Path) -> Vec<String> {
    zip_contents(zip).into_iter().map(|e| e.0).collect()
}

/// OUT inside chalicelib/ or vendor/: a second run ships neither the first
/// run's zips nor a staging directory, says so, and is byte-identical.
#[test]
fn out_inside_a_shipped_folder_is_never_shipped() {
    for out in ["chalicelib/out", "vendor/out"] {
        let p = TestProject::new();
        p.write("chalicelib/db.py", "DB = 1\n");
        p.write("vendor/six.py", "# six\n");
        // A staging directory left by a killed run.
        p.write(&format!("{out}/../.grail-out-dead/deployment.zip"), "stale");
        p.package_ok(out, &[]);
        let zip = p.out(&format!("{out}/deployment.zip"));
        let first = fs::read(&zip).unwrap();
        let second_run = p.package_ok(out, &[]);
        let listed = names(&zip);
        assert!(
            listed
                .iter()
                .all(|n| !n.contains("deployment.zip") && !n.contains(".grail-out-")),
            "{out}: {listed:?}"
        );
        assert_eq!(fs::read(&zip).unwrap(), first, "{out}: the zip grew");
        let err = stderr_of(&second_run);
        assert!(err.contains("not shipped"), "{out}: {err}");
        assert!(err.contains(out), "{out}: {err}");
    }
}

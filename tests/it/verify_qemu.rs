//! `grail verify` for the other architecture: an arm64 CPython from an arm64
//! Debian root, run by `qemu-aarch64-static`. `scripts/test` builds the root
//! once (integration/.work/arm64-trixie) and exports its path as
//! `GRAIL_VERIFY_ARM64_ROOT`; without it the hermetic tests here skip
//! saying so, and the network test (numpy + pandas on both architectures)
//! fails. Only meaningful on an x86_64 host.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

/// The arm64 root, or `None` (and why) when this machine cannot run the tests.
fn arm64_root() -> Option<PathBuf> {
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("SKIPPED: the qemu tests emulate arm64 on an x86_64 host");
        return None;
    }
    match std::env::var_os("GRAIL_VERIFY_ARM64_ROOT") {
        Some(r) => Some(PathBuf::from(r)),
        None => {
            eprintln!(
                "SKIPPED: GRAIL_VERIFY_ARM64_ROOT is not set (scripts/test builds the arm64 root)"
            );
            None
        }
    }
}

/// A project whose OUT/deployment.zip holds `files` and a stand-in chalice,
/// configured for arm64 with the root in `verify_sysroot`.
fn arm64_project(root: &Path, files: &[(&str, &[u8])]) -> TestProject {
    let p = TestProject::new();
    p.write(
        ".chalice/config.json",
        &format!(
            r#"{{"version": "2.0", "app_name": "t", "lambda_architecture": "arm64",
                "verify_sysroot": {}, "stages": {{"dev": {{}}}}}}"#,
            serde_json::Value::String(root.display().to_string())
        ),
    );
    let path = p.out("out/deployment.zip");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut z = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let chalice: [(&str, &[u8]); 2] = [
        ("chalice/__init__.py", b"from chalice.app import Chalice\n"),
        ("chalice/app.py", MINI_CHALICE.as_bytes()),
    ];
    for (name, bytes) in chalice.iter().chain(files) {
        z.start_file(*name, zip::write::SimpleFileOptions::DEFAULT)
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
    p
}

/// A Chalice stand-in whose app answers a REST event with the view's JSON.
const MINI_CHALICE: &str = r#"
import json
class Chalice:
    def __init__(self, app_name):
        self.routes, self.debug = {}, False
    def route(self, path):
        def deco(f):
            self.routes[path] = {"GET": f}
            return f
        return deco
    def __call__(self, event, context):
        view = self.routes[event["resource"]][event["httpMethod"]]
        return {"statusCode": 200, "body": json.dumps(view())}
"#;

fn verify_313(p: &TestProject) -> Output {
    p.grail()
        .args(["verify", "out", "--python-version", "3.13"])
        .output()
        .unwrap()
}

#[test]
fn arm64_without_a_root_is_exit_4_saying_what_to_install() {
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("SKIPPED: needs an x86_64 host");
        return;
    }
    let p = TestProject::new();
    p.write("out/deployment.zip", "");
    let o = p
        .grail()
        .args([
            "verify",
            "out",
            "--python-version",
            "3.13",
            "--arch",
            "arm64",
        ])
        .output()
        .unwrap();
    let text = run_text(&o);
    assert_eq!(o.status.code(), Some(4), "{text}");
    assert!(
        text.contains("cannot verify: no python3.13 for arm64 here: this machine is x86_64"),
        "{text}"
    );
    assert!(
        text.contains(
            "install qemu-user-static and build a root with `mmdebstrap --variant=extract \
             --architectures=arm64 --include=python3,libstdc++6,libgcc-s1 trixie DIR`"
        ),
        "{text}"
    );
    assert!(text.contains("pass --sysroot DIR"), "{text}");
}

#[test]
fn an_arm64_zip_verifies_under_qemu_with_the_configured_root() {
    let Some(root) = arm64_root() else { return };
    let app = "from chalice import Chalice\nimport platform\napp = Chalice(app_name='t')\n\
@app.route('/')\ndef index():\n    return {'machine': platform.machine()}\n";
    let p = arm64_project(&root, &[("app.py", app.as_bytes())]);
    let o = verify_313(&p);
    let text = run_text(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("1 route(s) called"), "{text}");
    assert!(
        text.contains("/usr/bin/python3.13 (3.13.")
            && text.contains("under ")
            && text.contains("qemu-aarch64-static"),
        "{text}"
    );
}

#[test]
fn an_x86_64_extension_in_an_arm64_zip_fails_under_qemu_naming_the_architecture() {
    let Some(root) = arm64_root() else { return };
    let so = elf_fixture("x86_64-glibc2.17.so");
    let p = arm64_project(
        &root,
        &[
            ("app.py", b"import fastext\napp = None\n"),
            ("fastext.so", &so),
            (
                "fastext-1.0.dist-info/RECORD",
                b"fastext.so,,\nfastext-1.0.dist-info/RECORD,,\n",
            ),
        ],
    );
    let o = verify_313(&p);
    let text = run_text(&o);
    assert_eq!(o.status.code(), Some(5), "{text}");
    assert!(
        text.contains(
            "in fastext: var/task/fastext.so is built for x86_64, but the target runs aarch64"
        ),
        "{text}"
    );
}

/// The first Python 3.13 for x86_64 here, as `grail verify` finds one.
fn host_313() -> bool {
    let v = "3.13".parse().unwrap();
    match grail::verify::interpreter::find(&Default::default(), v, grail::target::Arch::X86_64) {
        Ok(found) => {
            eprintln!("x86_64 verify uses {}", found.describe());
            true
        }
        Err(e) => {
            eprintln!("SKIPPED x86_64: {e}");
            false
        }
    }
}

/// NETWORK (PyPI) + the arm64 root: a numpy + pandas project packaged for
/// python3.13 on x86_64 (with this machine's python3.13, when it has one)
/// and on arm64 (under qemu), each `--verify`d: both import and the route
/// answers with pandas' result.
#[test]
#[ignore = "network: needs PyPI and the arm64 root; run scripts/test"]
fn numpy_and_pandas_verify_on_both_architectures() {
    let root = PathBuf::from(
        std::env::var_os("GRAIL_VERIFY_ARM64_ROOT")
            .expect("GRAIL_VERIFY_ARM64_ROOT is not set: run scripts/test"),
    );
    let p = TestProject::new();
    p.write("requirements.txt", "numpy\npandas\n");
    p.write(
        "app.py",
        "from chalice import Chalice\nimport numpy as np\nimport pandas as pd\n\
app = Chalice(app_name='t')\n@app.route('/')\n\
def index():\n    return {'sum': int(pd.DataFrame({'a': np.arange(5)})['a'].sum())}\n",
    );
    let mut archs = vec![("arm64", "out-arm64")];
    if host_313() {
        archs.push(("x86_64", "out-x86"));
    }
    for (arch, out) in archs {
        let report = format!("{out}.json");
        let mut args = vec!["--python-version", "3.13", "--arch", arch, "--verify"];
        args.extend(["--report", &report]);
        let root_arg = root.display().to_string();
        if arch == "arm64" {
            args.extend(["--sysroot", &root_arg]);
        }
        // No stand-in chalice: the runtime files come from chalice's wheel.
        let o = p
            .grail()
            .env_remove("PYTHONPATH")
            .arg("package")
            .arg(out)
            .args(&args)
            .output()
            .unwrap();
        let text = run_text(&o);
        assert_eq!(o.status.code(), Some(0), "{arch}: {text}");
        let r = p.report(&report);
        let verify = &r["verify"];
        assert_eq!(verify["failures"], serde_json::json!([]), "{arch}: {r}");
        assert_eq!(
            verify["routes"],
            serde_json::json!(["GET / -> 200"]),
            "{arch}: {r}"
        );
        let imported = verify["imported"].as_array().unwrap();
        for m in ["numpy", "pandas", "app"] {
            assert!(imported.iter().any(|i| i == m), "{arch}: {m} in {verify}");
        }
        assert!(
            verify["interpreter"].as_str().unwrap().contains("3.13."),
            "{arch}: {verify}"
        );
        eprintln!("{arch}: {}", verify["interpreter"]);
    }
}

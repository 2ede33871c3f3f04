//! vendor/ wheels: Chalice's "Cryptography Example" done both ways (an
//! unpacked wheel in vendor/, and the `.whl` itself dropped into vendor/),
//! target checks, RECORD verification and the shared-object audit.

use crate::support::*;
use std::fs;

fn crypto_files(so: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "cryptoish/__init__.py",
            b"from cryptoish._native import *\n".to_vec(),
        ),
        ("cryptoish/hazmat/primitives.py", b"PRIMS = 1\n".to_vec()),
        ("cryptoish/_native.abi3.so", so.to_vec()),
    ]
}

fn make_wheel(dir: &std::path::Path, tag: &str, so: &[u8]) -> std::path::PathBuf {
    let files = crypto_files(so);
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    build_wheel(dir, "cryptoish", "1.9", tag, &refs, &["cffi>=1.7"])
}

#[test]
fn unpacked_and_whl_in_vendor_give_identical_zips() {
    let wheels = tempfile::tempdir().unwrap();
    let whl = make_wheel(
        wheels.path(),
        "cp37-abi3-manylinux2014_x86_64",
        &elf_fixture("x86_64-glibc2.17.so"),
    );

    let unpacked = TestProject::new();
    unzip_into(&whl, &unpacked.out("vendor"));
    unpacked.package_ok("out", &["--python-version", "3.11", "--report", "r.json"]);

    let dropped = TestProject::new();
    fs::create_dir_all(dropped.out("vendor")).unwrap();
    fs::copy(&whl, dropped.out("vendor").join(whl.file_name().unwrap())).unwrap();
    dropped.package_ok("out", &["--python-version", "3.11", "--report", "r.json"]);

    let a = zip_map(&unpacked.out("out/deployment.zip"));
    let b = zip_map(&dropped.out("out/deployment.zip"));
    assert!(a.contains_key("cryptoish/_native.abi3.so"));
    assert!(a.contains_key("cryptoish-1.9.dist-info/RECORD"));
    assert!(
        !b.keys().any(|k| k.ends_with(".whl")),
        "the .whl itself is not shipped"
    );
    assert_eq!(a, b);

    for p in [&unpacked, &dropped] {
        let r = p.report("r.json");
        let pkg = &r["packages"][0];
        assert_eq!(pkg["name"], "cryptoish");
        assert_eq!(pkg["version"], "1.9");
        assert_eq!(pkg["source"], "vendor");
    }
}

#[test]
fn wrong_platform_wheel_in_vendor_is_refused_naming_file_and_tags() {
    let p = TestProject::new();
    fs::create_dir_all(p.out("vendor")).unwrap();
    make_wheel(
        &p.out("vendor"),
        "cp312-cp312-macosx_11_0_arm64",
        b"\xcf\xfa\xed\xfe",
    );
    let out = p.package("out", &["--python-version", "3.12"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("vendor/cryptoish-1.9-cp312-cp312-macosx_11_0_arm64.whl"),
        "{err}"
    );
    assert!(err.contains("macosx_11_0_arm64"), "{err}");
    assert!(
        err.contains("manylinux"),
        "should say what the target accepts: {err}"
    );
    assert!(!p.out("out/deployment.zip").exists());
}

#[test]
fn arm64_wheel_is_fine_for_an_arm64_target_only() {
    let p = TestProject::new();
    fs::create_dir_all(p.out("vendor")).unwrap();
    make_wheel(
        &p.out("vendor"),
        "cp37-abi3-manylinux2014_aarch64",
        &elf_fixture("aarch64-glibc2.17.so"),
    );
    p.package_ok("out", &["--python-version", "3.12", "--arch", "arm64"]);
    let out = p.package("out2", &["--python-version", "3.12", "--arch", "x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("aarch64"), "{}", stderr_of(&out));
}

#[test]
fn audit_catches_a_mislabelled_shared_object() {
    // Tagged manylinux2014 (glibc 2.17) but the .so needs glibc 2.35: python3.12 has 2.34.
    let p = TestProject::new();
    fs::create_dir_all(p.out("vendor")).unwrap();
    make_wheel(
        &p.out("vendor"),
        "cp37-abi3-manylinux2014_x86_64",
        &elf_fixture("x86_64-glibc2.35.so"),
    );
    let out = p.package("out", &["--python-version", "3.12"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cryptoish/_native.abi3.so"), "{err}");
    assert!(err.contains("2.35"), "{err}");
    assert!(
        err.contains("cryptoish-1.9-cp37-abi3-manylinux2014_x86_64.whl"),
        "names the wheel: {err}"
    );
}

#[test]
fn loose_vendor_shared_object_is_audited_too() {
    let p = TestProject::new();
    fs::create_dir_all(p.out("vendor/native")).unwrap();
    fs::write(p.out("vendor/native/_mac.so"), elf_fixture("macho.so")).unwrap();
    let out = p.package("out", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("Mach-O"), "{}", stderr_of(&out));
}

#[test]
fn record_mismatch_in_a_vendored_wheel_is_refused() {
    let wheels = tempfile::tempdir().unwrap();
    let whl = make_wheel(wheels.path(), "py3-none-any", b"not really an so");
    // Rewrite one file's bytes without updating RECORD.
    let mut contents = zip_contents(&whl);
    let p = TestProject::new();
    fs::create_dir_all(p.out("vendor")).unwrap();
    let dest = p.out("vendor").join(whl.file_name().unwrap());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(fs::File::create(&dest).unwrap());
        for (name, bytes, _) in contents.iter_mut() {
            if name == "cryptoish/hazmat/primitives.py" {
                *bytes = b"PRIMS = 2  # tampered\n".to_vec();
            }
            z.start_file(name.as_str(), zip::write::SimpleFileOptions::DEFAULT)
                .unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    let out = p.package("out", &[]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cryptoish/hazmat/primitives.py"), "{err}");
}

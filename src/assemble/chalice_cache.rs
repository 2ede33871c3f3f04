//! Chalice's own deployment cache (`.chalice/deployments/`), for
//! `--chalice-cache`: grail writes its zip under the name Chalice computes,
//! so a later `chalice deploy` finds it and prints "Reusing existing
//! deployment package." instead of building its own.
//!
//! The name is `<md5>-<runtime><arch>.zip` (§6.3 of the Chalice notes). The
//! MD5 covers, in this order and with no separators: requirements.txt (or
//! nothing), `chalice/app.py`, `chalice/__init__.py`, `app.py`, every file of
//! `chalicelib/` and then of `vendor/` in Python `os.walk` order (per
//! directory: its files in readdir order, then each subdirectory in readdir
//! order; `vendor/` follows symlinks, `chalicelib/` does not descend into
//! linked directories). Only contents are hashed, never names.
//!
//! ```no_run
//! # use grail::assemble::chalice_cache::deployment_name;
//! # use grail::target::{Arch, LambdaTarget};
//! let t = LambdaTarget::new("3.12".parse().unwrap(), Arch::X86_64);
//! let name = deployment_name(std::path::Path::new("myapp"), b"app", b"init", &t).unwrap();
//! assert!(name.ends_with("-python3.12.zip"));
//! ```

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

use crate::target::LambdaTarget;

/// The cache file name Chalice's default packager uses for this project.
pub fn deployment_name(
    project_dir: &Path,
    chalice_app_py: &[u8],
    chalice_init_py: &[u8],
    target: &LambdaTarget,
) -> io::Result<String> {
    let mut h = Md5::new();
    hash_requirements(&mut h, project_dir)?;
    h.update(chalice_app_py);
    h.update(chalice_init_py);
    hash_app(&mut h, project_dir)?;
    hash_vendor(&mut h, project_dir)?;
    Ok(zip_name("", h, target, true))
}

/// With `automatic_layer`: the app-only zip's name,
/// `appcode-<md5>-<runtime>.zip` (Chalice 1.34 adds no architecture suffix
/// here): md5 of the chalice files, app.py and chalicelib/.
pub fn app_only_name(
    project_dir: &Path,
    chalice_app_py: &[u8],
    chalice_init_py: &[u8],
    target: &LambdaTarget,
) -> io::Result<String> {
    let mut h = Md5::new();
    h.update(chalice_app_py);
    h.update(chalice_init_py);
    hash_app(&mut h, project_dir)?;
    Ok(zip_name("appcode-", h, target, false))
}

/// With `automatic_layer`: the managed layer's name,
/// `managed-layer-<md5>-<runtime><arch>.zip`: md5 of requirements.txt and vendor/.
pub fn layer_name(project_dir: &Path, target: &LambdaTarget) -> io::Result<String> {
    let mut h = Md5::new();
    hash_requirements(&mut h, project_dir)?;
    hash_vendor(&mut h, project_dir)?;
    Ok(zip_name("managed-layer-", h, target, true))
}

/// `<prefix><md5>-<runtime>[<arch suffix>].zip`, the shape of every name.
fn zip_name(prefix: &str, h: Md5, target: &LambdaTarget, arch_suffix: bool) -> String {
    let suffix = if arch_suffix {
        target.arch.chalice_suffix()
    } else {
        ""
    };
    format!(
        "{prefix}{}-{}{suffix}.zip",
        hex::encode(h.finalize()),
        target.runtime()
    )
}

/// requirements.txt's bytes, or nothing when it is missing.
fn hash_requirements(h: &mut Md5, project_dir: &Path) -> io::Result<()> {
    let path = project_dir.join("requirements.txt");
    match crate::textfile::read_user_file(&path, crate::textfile::MAX_TEXT_FILE_BYTES) {
        Ok(b) => h.update(&b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// app.py, then chalicelib/ (linked directories not entered).
fn hash_app(h: &mut Md5, project_dir: &Path) -> io::Result<()> {
    hash_file(h, &project_dir.join("app.py"))?;
    let chalicelib = project_dir.join("chalicelib");
    if chalicelib.is_dir() {
        walk(h, &chalicelib, false)?;
    }
    Ok(())
}

/// vendor/, following links.
fn hash_vendor(h: &mut Md5, project_dir: &Path) -> io::Result<()> {
    let vendor = project_dir.join("vendor");
    if vendor.is_dir() {
        walk(h, &vendor, true)?;
    }
    Ok(())
}

fn hash_file(h: &mut Md5, path: &Path) -> io::Result<()> {
    let mut f = fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        h.update(&buf[..n]);
    }
}

/// `os.walk(top, followlinks=…)`: files of a directory in readdir order,
/// then its subdirectories in readdir order.
fn walk(h: &mut Md5, dir: &Path, follow_links: bool) -> io::Result<()> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // os.walk classifies with is_dir() (following links); a link to a
        // directory is listed as a directory but only entered with followlinks.
        if path.is_dir() {
            let is_link = entry.file_type()?.is_symlink();
            if follow_links || !is_link {
                dirs.push(path);
            }
        } else {
            files.push(path);
        }
    }
    for f in files {
        hash_file(h, &f)?;
    }
    for d in dirs {
        walk(h, &d, follow_links)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, PythonVersion};

    #[test]
    fn name_depends_on_contents_runtime_and_arch() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("app.py"), "app").unwrap();
        let x86 = LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64);
        let arm = LambdaTarget::new(PythonVersion::new(3, 12), Arch::Arm64);
        let a = deployment_name(t.path(), b"A", b"I", &x86).unwrap();
        // md5("" + "A" + "I" + "app")
        assert_eq!(
            a,
            format!("{}-python3.12.zip", hex::encode(Md5::digest(b"AIapp")))
        );
        assert!(deployment_name(t.path(), b"A", b"I", &arm)
            .unwrap()
            .ends_with("-python3.12-arm64.zip"));
        fs::write(t.path().join("requirements.txt"), "six\n").unwrap();
        assert_ne!(deployment_name(t.path(), b"A", b"I", &x86).unwrap(), a);
    }
}

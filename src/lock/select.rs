//! Which packages of a lock one Lambda target installs, and which file of
//! each: entries whose `marker` is false for the target are skipped, and
//! among an entry's `wheels` the one whose tags the target ranks best is
//! taken (as resolution would); with no fitting wheel, the `sdist`.

use std::path::Path;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;
use pep508_rs::MarkerTree;

use super::model::{LockedFile, LockedPackage, PyLock};
use super::LockError;
use crate::target::tags::{TagPriority, Tags};
use crate::target::LambdaTarget;
use crate::wheel::WheelFilename;

/// The file a target installs for one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// A wheel whose tags fit the target.
    Wheel(LockedFile),
    /// The sdist, to build (no listed wheel fits).
    Sdist(LockedFile),
}

/// One package the target installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// Normalised name.
    pub name: String,
    /// The locked version, when the lock says (else read from the wheel).
    pub version: Option<Version>,
    /// The file.
    pub choice: Choice,
}

/// A PEP 508 marker from the lock, parsed without panicking.
pub fn parse_marker(text: &str) -> Result<MarkerTree, String> {
    crate::guard::catch(|| MarkerTree::from_str(text).map_err(|e| e.to_string()))
        .unwrap_or_else(|_| Err("the PEP 508 parser cannot read it".into()))
}

/// Whether `marker` holds for `target`.
fn holds(marker: &str, target: &LambdaTarget) -> Result<bool, String> {
    let tree = parse_marker(marker).map_err(|e| format!("marker {marker:?}: {e}"))?;
    Ok(tree.evaluate(&target.marker_env(), &[]))
}

/// Whether a `requires-python` specifier admits the target.
fn python_ok(spec: &str, target: &LambdaTarget) -> Result<bool, String> {
    let specs =
        crate::guard::specifiers(spec).map_err(|e| format!("requires-python {spec:?}: {e}"))?;
    let v = crate::guard::version(&target.python_full_version())?;
    Ok(specs.contains(&v))
}

/// The packages `tags`' target installs from `lock` (`file` names it in
/// errors), sorted by name.
pub fn select(lock: &PyLock, tags: &Tags, file: &Path) -> Result<Vec<Selected>, LockError> {
    let target = tags.target();
    let bad = |message: String| LockError::Invalid {
        file: file.to_path_buf(),
        message,
    };
    if let Some(rp) = &lock.requires_python {
        if !python_ok(rp, target).map_err(bad)? {
            return Err(LockError::NotForTarget {
                file: file.to_path_buf(),
                target: target.to_string(),
                why: format!("its requires-python is {rp:?}"),
            });
        }
    }
    if !lock.environments.is_empty() {
        let mut any = false;
        for e in &lock.environments {
            any |= holds(e, target).map_err(|m| bad(format!("environments: {m}")))?;
        }
        if !any {
            return Err(LockError::NotForTarget {
                file: file.to_path_buf(),
                target: target.to_string(),
                why: format!(
                    "none of its environments holds ({})",
                    lock.environments.join("; ")
                ),
            });
        }
    }
    let mut out: Vec<Selected> = Vec::new();
    for p in &lock.packages {
        if let Some(s) = select_one(p, tags).map_err(|m| bad(format!("package {}: {m}", p.name)))? {
            if out.iter().any(|o| o.name == s.name) {
                return Err(bad(format!(
                    "package {} is listed more than once for {target} (markers overlap)",
                    p.name
                )));
            }
            out.push(s);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn select_one(p: &LockedPackage, tags: &Tags) -> Result<Option<Selected>, String> {
    let target = tags.target();
    if let Some(m) = &p.marker {
        if !holds(m, target)? {
            return Ok(None);
        }
    }
    if let Some(rp) = &p.requires_python {
        if !python_ok(rp, target)? {
            return Err(format!("its requires-python {rp:?} excludes {target}"));
        }
    }
    let name = crate::names::normalize(&p.name);
    let version = p
        .version
        .as_deref()
        .map(|v| crate::guard::version(v).map_err(|e| format!("version {v:?}: {e}")))
        .transpose()?;
    if let Some(kind) = &p.other_source {
        return Err(format!(
            "it is locked as a {kind} source; grail installs only wheels and sdists from a lock"
        ));
    }
    let mut best: Option<(TagPriority, &LockedFile)> = None;
    for w in &p.wheels {
        let Ok(Ok(parsed)) = crate::guard::catch(|| WheelFilename::from_str(&w.name)) else {
            return Err(format!("{} is not a wheel file name", w.name));
        };
        if crate::names::normalize(&parsed.name) != name {
            return Err(format!("wheel {} is not a {} wheel", w.name, p.name));
        }
        if let Some(prio) = parsed.priority(tags) {
            if best.as_ref().is_none_or(|(b, _)| prio > *b) {
                best = Some((prio, w));
            }
        }
    }
    let choice = match (best, &p.sdist) {
        (Some((_, w)), _) => Choice::Wheel(w.clone()),
        (None, Some(sd)) => Choice::Sdist(sd.clone()),
        (None, None) => {
            let names: Vec<&str> = p.wheels.iter().map(|w| w.name.as_str()).collect();
            return Err(format!(
                "no wheel fits {target} (the lock lists {}) and there is no sdist; lock again for this target (`grail lock`)",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ));
        }
    };
    Ok(Some(Selected {
        name,
        version,
        choice,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::model::parse_lock;
    use super::*;
    use crate::target::{Arch, PythonVersion};

    const H: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn lock(body: &str) -> PyLock {
        let text = format!("lock-version = \"1.0\"\n{}", body.replace("HASH", H));
        parse_lock(&text, Path::new("pylock.toml")).unwrap()
    }

    fn tags(py: u8, arch: Arch) -> Tags {
        Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, py), arch))
    }

    const TWO: &str = r#"
[[packages]]
name = "Native_Pkg"
version = "1.0"
wheels = [
  { url = "https://h/native_pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hashes = { sha256 = "HASH" } },
  { url = "https://h/native_pkg-1.0-cp312-cp312-manylinux_2_17_aarch64.whl", hashes = { sha256 = "HASH" } },
  { url = "https://h/native_pkg-1.0-py3-none-any.whl", hashes = { sha256 = "HASH" } },
]
[[packages]]
name = "only-arm"
version = "2.0"
marker = "platform_machine == 'aarch64'"
sdist = { url = "https://h/only-arm-2.0.tar.gz", hashes = { sha256 = "HASH" } }
"#;

    #[test]
    fn the_best_wheel_for_the_target_and_markers_decide() {
        let l = lock(TWO);
        let x86 = select(&l, &tags(12, Arch::X86_64), Path::new("pylock.toml")).unwrap();
        assert_eq!(x86.len(), 1);
        assert_eq!(x86[0].name, "native-pkg");
        let Choice::Wheel(w) = &x86[0].choice else {
            panic!()
        };
        assert!(w.name.ends_with("x86_64.whl"));
        let arm = select(&l, &tags(12, Arch::Arm64), Path::new("pylock.toml")).unwrap();
        assert_eq!(arm.len(), 2);
        assert!(matches!(&arm[1].choice, Choice::Sdist(s) if s.name == "only-arm-2.0.tar.gz"));
        // python3.11: the cp312 wheels do not fit, the pure one does.
        let py311 = select(&l, &tags(11, Arch::X86_64), Path::new("pylock.toml")).unwrap();
        let Choice::Wheel(w) = &py311[0].choice else {
            panic!()
        };
        assert!(w.name.ends_with("none-any.whl"));
    }

    #[test]
    fn environments_and_requires_python_refuse_other_targets() {
        let l = lock(&format!("requires-python = \">=3.13\"\n{TWO}"));
        let e = select(&l, &tags(12, Arch::X86_64), Path::new("pylock.toml")).unwrap_err();
        assert!(e.to_string().contains("python3.12 (x86_64)"), "{e}");
        let l = lock(&format!(
            "environments = [\"platform_machine == 'aarch64'\"]\n{TWO}"
        ));
        assert!(select(&l, &tags(12, Arch::X86_64), Path::new("pylock.toml")).is_err());
        assert!(select(&l, &tags(12, Arch::Arm64), Path::new("pylock.toml")).is_ok());
    }

    #[test]
    fn hostile_entries_are_errors_not_panics() {
        for body in [
            "[[packages]]\nname = \"a\"\nmarker = \"python_version >>> '3'\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\", hashes = { sha256 = \"HASH\" } }]\n",
            "[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/not-a-wheel.zip\", hashes = { sha256 = \"HASH\" } }]\n",
            "[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/b-1-py3-none-any.whl\", hashes = { sha256 = \"HASH\" } }]\n",
            "[[packages]]\nname = \"a\"\nversion = \"a-/\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\", hashes = { sha256 = \"HASH\" } }]\n",
            "[[packages]]\nname = \"a\"\nvcs = { type = \"git\", url = \"https://h/a.git\", commit-id = \"abc\" }\n",
            "[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/a-1-cp312-cp312-win_amd64.whl\", hashes = { sha256 = \"HASH\" } }]\n",
            "[[packages]]\nname = \"a\"\nwheels = [{ url = \"https://h/a-1-py3-none-any.whl\", hashes = { sha256 = \"HASH\" } }]\n[[packages]]\nname = \"A\"\nwheels = [{ url = \"https://h/a-2-py3-none-any.whl\", hashes = { sha256 = \"HASH\" } }]\n",
        ] {
            let e = select(&lock(body), &tags(12, Arch::X86_64), Path::new("pylock.toml")).unwrap_err();
            assert!(e.to_string().starts_with("pylock.toml: "), "{body}: {e}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::super::model::parse_lock;
    use super::super::render::render;
    use super::*;
    use crate::target::{Arch, PythonVersion};
    use proptest::prelude::*;

    /// Pieces of lock syntax, so random locks reach real branches.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("platform_machine == 'aarch64'".to_string()),
            Just("python_version >= \"3.12\"".to_string()),
            Just(" and ".to_string()),
            Just(" or ".to_string()),
            Just("extra == 'x'".to_string()),
            Just("(".to_string()),
            Just("a-/".to_string()),
            Just("1.0".to_string()),
            Just("\\u0000".to_string()),
            "[a-z0-9._ -]{0,8}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..5).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn locks_never_panic_and_round_trip(
            name in text(), version in text(), marker in text(), rp in text(),
            wheel in text(), hash in "[0-9a-f]{64}|[a-z]{0,4}",
        ) {
            let body = format!(
                "lock-version = \"1.0\"\nrequires-python = {rp:?}\n[[packages]]\nname = {name:?}\nversion = {version:?}\n\
                 marker = {marker:?}\nwheels = [{{ name = {wheel:?}, url = \"https://h/x.whl\", hashes = {{ sha256 = {hash:?} }} }}]\n"
            );
            let path = Path::new("pylock.toml");
            if let Ok(lock) = parse_lock(&body, path) {
                for arch in [Arch::X86_64, Arch::Arm64] {
                    let tags = Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), arch));
                    let _ = select(&lock, &tags, path);
                }
                prop_assert_eq!(parse_lock(&render(&lock), path).unwrap(), lock);
            }
        }
    }
}

//! Writing a [`PyLock`] as TOML: fixed key order, packages sorted by name,
//! version and marker, wheels by file name, one wheel per line, so the same
//! lock is always the same bytes and a diff shows what moved.

use std::fmt::Write;

use super::model::{LockedFile, LockedPackage, PyLock};

/// A TOML basic string (quoted and escaped).
fn s(v: &str) -> String {
    toml::Value::String(v.to_string()).to_string()
}

fn file_inline(f: &LockedFile) -> String {
    let mut parts = vec![format!("name = {}", s(&f.name))];
    if let Some(u) = &f.url {
        parts.push(format!("url = {}", s(u)));
    }
    if let Some(p) = &f.path {
        parts.push(format!("path = {}", s(p)));
    }
    if let Some(n) = f.size {
        parts.push(format!("size = {n}"));
    }
    let hashes: Vec<String> = f
        .hashes
        .iter()
        .map(|(k, v)| format!("{k} = {}", s(v)))
        .collect();
    parts.push(format!("hashes = {{ {} }}", hashes.join(", ")));
    format!("{{ {} }}", parts.join(", "))
}

fn package(out: &mut String, p: &LockedPackage) {
    out.push_str("\n[[packages]]\n");
    let _ = writeln!(out, "name = {}", s(&p.name));
    if let Some(v) = &p.version {
        let _ = writeln!(out, "version = {}", s(v));
    }
    if let Some(m) = &p.marker {
        let _ = writeln!(out, "marker = {}", s(m));
    }
    if let Some(r) = &p.requires_python {
        let _ = writeln!(out, "requires-python = {}", s(r));
    }
    if let Some(i) = &p.index {
        let _ = writeln!(out, "index = {}", s(i));
    }
    if let Some(sd) = &p.sdist {
        let _ = writeln!(out, "sdist = {}", file_inline(sd));
    }
    if !p.wheels.is_empty() {
        let mut wheels: Vec<&LockedFile> = p.wheels.iter().collect();
        wheels.sort_by(|a, b| a.name.cmp(&b.name));
        out.push_str("wheels = [\n");
        for w in wheels {
            let _ = writeln!(out, "    {},", file_inline(w));
        }
        out.push_str("]\n");
    }
}

/// The lock as `pylock.toml` text.
pub fn render(lock: &PyLock) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "lock-version = {}", s(&lock.lock_version));
    if !lock.environments.is_empty() {
        out.push_str("environments = [\n");
        for e in &lock.environments {
            let _ = writeln!(out, "    {},", s(e));
        }
        out.push_str("]\n");
    }
    if let Some(r) = &lock.requires_python {
        let _ = writeln!(out, "requires-python = {}", s(r));
    }
    if let Some(c) = &lock.created_by {
        let _ = writeln!(out, "created-by = {}", s(c));
    }
    let mut packages: Vec<&LockedPackage> = lock.packages.iter().collect();
    packages.sort_by(|a, b| {
        let key = |p: &LockedPackage| {
            (
                crate::names::normalize(&p.name),
                p.version
                    .as_deref()
                    .and_then(|v| crate::guard::version(v).ok()),
                p.marker.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    for p in packages {
        package(&mut out, p);
    }
    if let Some(g) = &lock.grail {
        out.push_str("\n[tool.grail]\n");
        let _ = writeln!(out, "lock-format = {}", g.lock_format);
        out.push_str("inputs = [\n");
        for i in &g.inputs {
            let _ = writeln!(
                out,
                "    {{ path = {}, sha256 = {} }},",
                s(&i.path),
                s(&i.sha256)
            );
        }
        out.push_str("]\ntargets = [\n");
        for t in &g.targets {
            let _ = writeln!(
                out,
                "    {{ target = {}, stage = {}, settings-sha256 = {} }},",
                s(&t.target),
                s(&t.stage),
                s(&t.settings_sha256)
            );
        }
        out.push_str("]\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{parse_lock, GrailTool, InputFile, LockedTarget};
    use super::*;
    use std::path::Path;

    fn sample() -> PyLock {
        let wheel = |n: &str| LockedFile {
            name: n.into(),
            url: Some(format!("https://h/files/{n}")),
            size: Some(12),
            hashes: [("sha256".to_string(), "ab".repeat(32))].into(),
            ..LockedFile::default()
        };
        PyLock {
            lock_version: "1.0".into(),
            created_by: Some("grail".into()),
            requires_python: Some(">=3.12".into()),
            environments: vec!["python_version == \"3.12\"".into()],
            packages: vec![
                LockedPackage {
                    name: "zeta".into(),
                    version: Some("1.0".into()),
                    wheels: vec![wheel("zeta-1.0-py3-none-any.whl")],
                    ..LockedPackage::default()
                },
                LockedPackage {
                    name: "alpha".into(),
                    version: Some("10.0".into()),
                    marker: Some("platform_machine == \"x86_64\"".into()),
                    wheels: vec![
                        wheel("alpha-10.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
                        wheel("alpha-10.0-cp312-abi3-any.whl"),
                    ],
                    sdist: Some(LockedFile {
                        name: "alpha-10.0.tar.gz".into(),
                        path: Some("sd/alpha-10.0.tar.gz".into()),
                        hashes: [("sha256".to_string(), "cd".repeat(32))].into(),
                        ..LockedFile::default()
                    }),
                    ..LockedPackage::default()
                },
                LockedPackage {
                    name: "alpha".into(),
                    version: Some("9.0".into()),
                    wheels: vec![wheel("alpha-9.0-py3-none-any.whl")],
                    ..LockedPackage::default()
                },
            ],
            grail: Some(GrailTool {
                lock_format: 1,
                inputs: vec![InputFile {
                    path: "requirements.txt".into(),
                    sha256: "ef".repeat(32),
                }],
                targets: vec![LockedTarget {
                    target: "python3.12-x86_64".into(),
                    stage: "dev".into(),
                    settings_sha256: "01".repeat(32),
                }],
            }),
        }
    }

    #[test]
    fn rendering_sorts_and_round_trips() {
        let lock = sample();
        let text = render(&lock);
        let names: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("version = "))
            .collect();
        assert_eq!(
            names,
            [
                "version = \"9.0\"",
                "version = \"10.0\"",
                "version = \"1.0\""
            ]
        );
        let back = parse_lock(&text, Path::new("pylock.toml")).unwrap();
        assert_eq!(render(&back), text);
        assert_eq!(back.grail, lock.grail);
        let alpha10 = back
            .packages
            .iter()
            .find(|p| p.version.as_deref() == Some("10.0"))
            .unwrap();
        assert_eq!(alpha10.wheels[0].name, "alpha-10.0-cp312-abi3-any.whl");
        assert_eq!(
            alpha10.sdist.as_ref().unwrap().path.as_deref(),
            Some("sd/alpha-10.0.tar.gz")
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut lock = sample();
        lock.packages[0].marker = Some("extra == \"a\\\"b\"\n".into());
        let back = parse_lock(&render(&lock), Path::new("pylock.toml")).unwrap();
        assert!(back
            .packages
            .iter()
            .any(|p| p.marker.as_deref() == Some("extra == \"a\\\"b\"\n")));
    }
}

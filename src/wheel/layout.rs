//! Where each wheel entry installs: path safety and the `*.data/` mapping.

use std::str::FromStr;

/// An archive entry path that could escape the install root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsafe path {path:?} in archive: {kind}")]
pub struct UnsafePath {
    /// The entry name.
    pub path: String,
    /// Why it is unsafe.
    pub kind: UnsafePathKind,
}

/// Why a path is unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnsafePathKind {
    /// Ex) `/etc/passwd`
    #[error("absolute path")]
    Absolute,
    /// Ex) `foo/../../etc`
    #[error("'..' component")]
    ParentDir,
    /// Ex) `C:evil.py`
    #[error("drive letter")]
    DriveLetter,
    /// Ex) `foo\bar.py`: a separator on Windows, a surprise everywhere.
    #[error("backslash")]
    Backslash,
    /// Ex) `foo\0.py`, or an empty name.
    #[error("empty name or NUL byte")]
    Invalid,
}

/// Reject entry paths that are absolute, contain `..`, a drive letter, a
/// backslash or a NUL byte.
pub fn check_entry_path(path: &str) -> Result<(), UnsafePath> {
    let fail = |kind| {
        Err(UnsafePath {
            path: path.to_string(),
            kind,
        })
    };
    if path.is_empty() || path.contains('\0') {
        return fail(UnsafePathKind::Invalid);
    }
    if path.contains('\\') {
        return fail(UnsafePathKind::Backslash);
    }
    if path.starts_with('/') {
        return fail(UnsafePathKind::Absolute);
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return fail(UnsafePathKind::DriveLetter);
    }
    if path.split('/').any(|c| c == "..") {
        return fail(UnsafePathKind::ParentDir);
    }
    Ok(())
}

/// A `*.data/<scheme>/` directory of a wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataScheme {
    /// Ex) `foo-1.0.data/purelib/foo.py` → `foo.py`
    Purelib,
    /// Ex) `foo-1.0.data/platlib/_foo.so` → `_foo.so`
    Platlib,
    /// Console scripts: not importable, dropped.
    Scripts,
    /// C headers: dropped.
    Headers,
    /// Data files for `sys.prefix`: dropped.
    Data,
}

impl FromStr for DataScheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "purelib" => Ok(DataScheme::Purelib),
            "platlib" => Ok(DataScheme::Platlib),
            "scripts" => Ok(DataScheme::Scripts),
            "headers" => Ok(DataScheme::Headers),
            "data" => Ok(DataScheme::Data),
            other => Err(other.to_string()),
        }
    }
}

/// What to do with one wheel entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallAction {
    /// Put it at this path in the deployment root (unchanged, or remapped
    /// from `.data/purelib|platlib/`). Ex) `foo/__init__.py`
    Install(String),
    /// Leave it out.
    Drop(DataScheme),
}

/// An entry under `*.data/` whose scheme is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallPathError {
    /// See [`UnsafePath`].
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    /// Ex) `foo-1.0.data/bin/x`
    #[error("unknown .data scheme {scheme:?} for {path:?} (expected purelib, platlib, scripts, headers or data)")]
    UnknownScheme {
        /// The entry.
        path: String,
        /// The scheme directory.
        scheme: String,
    },
}

/// Decide where `entry` goes. `data_dir` is the wheel's `{name}-{version}.data`
/// directory, if it has one.
pub fn install_action(
    entry: &str,
    data_dir: Option<&str>,
) -> Result<InstallAction, InstallPathError> {
    check_entry_path(entry)?;
    let inside = data_dir.and_then(|d| entry.strip_prefix(d)?.strip_prefix('/'));
    let Some(rest) = inside else {
        return Ok(InstallAction::Install(entry.to_string()));
    };
    let (scheme, path) = rest.split_once('/').unwrap_or((rest, ""));
    let scheme =
        DataScheme::from_str(scheme).map_err(|scheme| InstallPathError::UnknownScheme {
            path: entry.to_string(),
            scheme,
        })?;
    Ok(match scheme {
        DataScheme::Purelib | DataScheme::Platlib => InstallAction::Install(path.to_string()),
        other => InstallAction::Drop(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_safety() {
        for ok in [
            "foo/bar.py",
            "foo..bar/x",
            "a/.../b",
            "foo-1.0.dist-info/RECORD",
        ] {
            assert!(check_entry_path(ok).is_ok(), "{ok}");
        }
        for (bad, kind) in [
            ("/etc/passwd", UnsafePathKind::Absolute),
            ("../x.py", UnsafePathKind::ParentDir),
            ("foo/../../x.py", UnsafePathKind::ParentDir),
            ("foo/..", UnsafePathKind::ParentDir),
            ("C:evil.py", UnsafePathKind::DriveLetter),
            ("c:/evil.py", UnsafePathKind::DriveLetter),
            ("foo\\..\\x.py", UnsafePathKind::Backslash),
            ("", UnsafePathKind::Invalid),
            ("a\0b", UnsafePathKind::Invalid),
        ] {
            let e = check_entry_path(bad).unwrap_err();
            assert_eq!(e.kind, kind, "{bad:?}");
            assert_eq!(e.path, bad);
        }
    }

    #[test]
    fn data_mapping() {
        let d = Some("foo-1.0.data");
        let act = |p| install_action(p, d).unwrap();
        assert_eq!(act("foo/x.py"), InstallAction::Install("foo/x.py".into()));
        assert_eq!(
            act("foo-1.0.data/purelib/foo/x.py"),
            InstallAction::Install("foo/x.py".into())
        );
        assert_eq!(
            act("foo-1.0.data/platlib/_foo.so"),
            InstallAction::Install("_foo.so".into())
        );
        assert_eq!(
            act("foo-1.0.data/headers/x.h"),
            InstallAction::Drop(DataScheme::Headers)
        );
        assert_eq!(
            act("foo-1.0.data/data/share/x"),
            InstallAction::Drop(DataScheme::Data)
        );
        assert_eq!(
            act("foo-1.0.data/scripts/foo"),
            InstallAction::Drop(DataScheme::Scripts)
        );
        // Another project's `.data` is an ordinary directory.
        assert_eq!(
            act("bar-1.0.data/purelib/x.py"),
            InstallAction::Install("bar-1.0.data/purelib/x.py".into())
        );
        assert!(matches!(
            install_action("foo-1.0.data/bin/x", d).unwrap_err(),
            InstallPathError::UnknownScheme { .. }
        ));
        assert!(install_action("/abs", d).is_err());
    }
}

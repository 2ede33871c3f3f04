//! The Lambda target: Python runtime version and architecture.
//!
//! A [`LambdaTarget`] fixes everything that decides whether a wheel loads on
//! the real runtime: the CPython minor version (hence the ABI tag), the CPU
//! architecture and the glibc of the runtime's base image.
//!
//! ```
//! use grail::target::{Arch, LambdaTarget, PythonVersion};
//! let t = LambdaTarget::new("3.12".parse().unwrap(), Arch::Arm64);
//! assert_eq!(t.runtime(), "python3.12");
//! assert_eq!(t.abi_tag(), "cp312");
//! assert_eq!(t.glibc(), (2, 34));
//! assert_eq!(t.arch.machine(), "aarch64");
//! assert_eq!(t.python.to_string(), "3.12");
//! ```

pub mod tags;

use std::fmt;
use std::str::FromStr;

/// The oldest runtime grail packages for.
pub const MIN_PYTHON: PythonVersion = PythonVersion {
    major: 3,
    minor: 10,
};
/// The newest runtime grail packages for.
pub const MAX_PYTHON: PythonVersion = PythonVersion {
    major: 3,
    minor: 14,
};

/// A CPython `major.minor` version.
///
/// Ex) `3.12`
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    /// Always 3 for Lambda runtimes.
    pub major: u8,
    /// Ex) `12` for Python 3.12.
    pub minor: u8,
}

impl PythonVersion {
    /// A version from its parts.
    pub const fn new(major: u8, minor: u8) -> Self {
        PythonVersion { major, minor }
    }

    /// Whether Lambda has (or grail supports) a runtime for this version.
    pub fn is_supported_runtime(self) -> bool {
        self >= MIN_PYTHON && self <= MAX_PYTHON
    }

    /// Clamp a host interpreter's version onto the supported runtimes, as
    /// Chalice does when it picks a runtime: older → 3.10, newer → the newest supported.
    pub fn clamp_to_runtime(self) -> Self {
        self.clamp(MIN_PYTHON, MAX_PYTHON)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A `--python-version` or `lambda_python_version` value that is not `3.N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid Python version {input:?}: expected MAJOR.MINOR such as \"3.12\" (or \"python3.12\")"
)]
pub struct PythonVersionError {
    /// The offending input.
    pub input: String,
}

impl FromStr for PythonVersion {
    type Err = PythonVersionError;

    /// Accepts `3.12`, `python3.12` and `3.12.4` (the patch is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PythonVersionError {
            input: s.to_string(),
        };
        let t = s.trim();
        let t = t.strip_prefix("python").unwrap_or(t);
        let mut parts = t.split('.');
        let major = parts
            .next()
            .and_then(|p| p.parse::<u8>().ok())
            .ok_or_else(err)?;
        let minor = parts
            .next()
            .and_then(|p| p.parse::<u8>().ok())
            .ok_or_else(err)?;
        if let Some(patch) = parts.next() {
            if patch.is_empty() || !patch.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(err());
            }
        }
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(PythonVersion { major, minor })
    }
}

/// A Lambda instruction-set architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Arch {
    /// Ex) `x86_64` (machine `x86_64`)
    #[default]
    X86_64,
    /// Ex) `arm64` (machine `aarch64`, AWS Graviton)
    Arm64,
}

impl Arch {
    /// The `platform.machine()` / wheel-tag spelling.
    ///
    /// Ex) `x86_64`, `aarch64`
    pub fn machine(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }

    /// The suffix Chalice (1.34) adds to cache names: empty or `-arm64`.
    pub fn chalice_suffix(self) -> &'static str {
        match self {
            Arch::X86_64 => "",
            Arch::Arm64 => "-arm64",
        }
    }
}

impl fmt::Display for Arch {
    /// The Lambda API spelling: `x86_64` or `arm64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        })
    }
}

/// An architecture name that is not `x86_64` or `arm64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lambda_architecture must be one of x86_64, arm64 (got {input:?})")]
pub struct ArchError {
    /// The offending input.
    pub input: String,
}

impl FromStr for Arch {
    type Err = ArchError;

    /// Accepts the Lambda names `x86_64` and `arm64`, and `aarch64` as an alias.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "x86_64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            _ => Err(ArchError {
                input: s.to_string(),
            }),
        }
    }
}

/// One Lambda runtime on one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LambdaTarget {
    /// Ex) `3.12`
    pub python: PythonVersion,
    /// Ex) `x86_64`
    pub arch: Arch,
}

impl LambdaTarget {
    /// A target from its parts.
    pub fn new(python: PythonVersion, arch: Arch) -> Self {
        LambdaTarget { python, arch }
    }

    /// The Lambda runtime identifier.
    ///
    /// Ex) `python3.12`
    pub fn runtime(&self) -> String {
        format!("python{}", self.python)
    }

    /// The CPython ABI tag.
    ///
    /// Ex) `cp312`
    pub fn abi_tag(&self) -> String {
        format!("cp{}{}", self.python.major, self.python.minor)
    }

    /// The glibc of the runtime's base image: Amazon Linux 2 (2.26) for
    /// 3.10 and 3.11, AL2023 (2.34) for 3.12 and later.
    pub fn glibc(&self) -> (u16, u16) {
        if self.python.minor <= 11 {
            (2, 26)
        } else {
            (2, 34)
        }
    }

    /// The full Python version used for markers and `Requires-Python`.
    /// Lambda moves patch levels with runtime updates; a high patch keeps
    /// `python_full_version >= "3.12.4"`-style markers true.
    pub fn python_full_version(&self) -> String {
        format!("{}.{}.99", self.python.major, self.python.minor)
    }
}

impl fmt::Display for LambdaTarget {
    /// Ex) `python3.12 (x86_64)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.runtime(), self.arch)
    }
}

impl crate::error::Classify for PythonVersionError {
    /// A bad `--python-version` or config value is bad input (1).
    fn exit_kind(&self) -> crate::error::ExitKind {
        crate::error::ExitKind::Usage
    }
}

impl crate::error::Classify for ArchError {
    /// A bad `--arch` or config value is bad input (1).
    fn exit_kind(&self) -> crate::error::ExitKind {
        crate::error::ExitKind::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_version_round_trips() {
        for s in ["3.10", "3.11", "3.12", "3.13", "3.14"] {
            let v: PythonVersion = s.parse().unwrap();
            assert_eq!(v.to_string(), s);
        }
        assert_eq!(
            "python3.12".parse::<PythonVersion>().unwrap(),
            PythonVersion::new(3, 12)
        );
        assert_eq!(
            "3.12.4".parse::<PythonVersion>().unwrap(),
            PythonVersion::new(3, 12)
        );
    }

    #[test]
    fn python_version_errors_carry_input() {
        for bad in ["", "3", "three.twelve", "3.x", "3.12.4.5", "3.12."] {
            let err = bad.parse::<PythonVersion>().unwrap_err();
            assert_eq!(err.input, bad);
            assert!(err.to_string().contains("MAJOR.MINOR"));
        }
    }

    #[test]
    fn clamping_follows_chalice() {
        assert_eq!(
            PythonVersion::new(3, 8).clamp_to_runtime(),
            PythonVersion::new(3, 10)
        );
        assert_eq!(
            PythonVersion::new(3, 13).clamp_to_runtime(),
            PythonVersion::new(3, 13)
        );
        assert_eq!(
            PythonVersion::new(3, 15).clamp_to_runtime(),
            PythonVersion::new(3, 14)
        );
    }

    #[test]
    fn arch_round_trips() {
        for s in ["x86_64", "arm64"] {
            assert_eq!(s.parse::<Arch>().unwrap().to_string(), s);
        }
        assert_eq!("aarch64".parse::<Arch>().unwrap(), Arch::Arm64);
        assert!("i686"
            .parse::<Arch>()
            .unwrap_err()
            .to_string()
            .contains("x86_64, arm64"));
    }

    #[test]
    fn glibc_per_runtime() {
        let g = |m| LambdaTarget::new(PythonVersion::new(3, m), Arch::X86_64).glibc();
        assert_eq!(g(10), (2, 26));
        assert_eq!(g(11), (2, 26));
        assert_eq!(g(12), (2, 34));
        assert_eq!(g(13), (2, 34));
        assert_eq!(g(14), (2, 34));
    }
}

impl LambdaTarget {
    /// The PEP 508 marker environment of this runtime: linux, CPython,
    /// the runtime's Python version and machine.
    pub fn marker_env(&self) -> pep508_rs::MarkerEnvironment {
        let python_version = self.python.to_string();
        let full = self.python_full_version();
        let builder = pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name: "posix",
            platform_machine: self.arch.machine(),
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: &full,
            python_version: &python_version,
            sys_platform: "linux",
        };
        // Both version strings are built from two small integers above.
        pep508_rs::MarkerEnvironment::try_from(builder).expect("valid generated versions")
    }
}

#[cfg(test)]
mod marker_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn markers_evaluate_for_lambda() {
        let t = LambdaTarget::new(PythonVersion::new(3, 11), Arch::Arm64);
        let env = t.marker_env();
        let yes = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(
            "foo; sys_platform == 'linux' and platform_machine == 'aarch64' and python_version < '3.12'",
        )
        .unwrap();
        assert!(yes.evaluate_markers(&env, &[]));
        let no = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(
            "foo; sys_platform == 'win32'",
        )
        .unwrap();
        assert!(!no.evaluate_markers(&env, &[]));
    }
}

//! Wheel file names (PEP 427): `name-version[-build]-python-abi-platform.whl`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;

use crate::target::tags::{
    LocalCompatibility, Mismatch, PlatformTag, Tag, TagParseError, TagPriority, Tags,
};

/// A build tag: an optional tie-breaker between otherwise identical wheels.
/// Ordered as the tuple `(number, rest)`, as PEP 427 says.
///
/// Ex) `1build` → `(1, "build")`
#[derive(Clone, Debug)]
pub struct BuildTag {
    /// The leading digits. Ex) `1`
    pub number: u64,
    /// Whatever follows. Ex) `build`
    pub rest: String,
    raw: String,
}

impl PartialEq for BuildTag {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for BuildTag {}
impl Ord for BuildTag {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.number, &self.rest).cmp(&(other.number, &other.rest))
    }
}
impl PartialOrd for BuildTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A parsed wheel filename.
///
/// Ex) `numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelFilename {
    /// The distribution name as written. Ex) `Foo_Bar`
    pub name: String,
    /// The PEP 440 version.
    pub version: Version,
    version_raw: String,
    /// The optional build tag.
    pub build: Option<BuildTag>,
    /// Interpreter tags (a compressed set, `.`-separated in the name). Ex) `["py2", "py3"]`
    pub python_tags: Vec<String>,
    /// ABI tags. Ex) `["cp312"]`
    pub abi_tags: Vec<String>,
    /// Platform tags. Ex) `manylinux_2_17_x86_64`, `manylinux2014_x86_64`
    pub platform_tags: Vec<PlatformTag>,
}

/// A file name that is not a valid wheel name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wheel filename {input:?}: {kind}")]
pub struct WheelFilenameError {
    /// The offending file name.
    pub input: String,
    /// What is wrong with it.
    pub kind: WheelFilenameErrorKind,
}

/// A dependency whose file name is not a wheel's is a dependency failure
/// (exit 2); one in vendor/ is wrapped in [`crate::install::Vendored`] (exit 1).
impl crate::error::Classify for WheelFilenameError {
    fn exit_kind(&self) -> crate::error::ExitKind {
        crate::error::ExitKind::Dependencies
    }
}

/// What is wrong with a wheel filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelFilenameErrorKind {
    /// Ex) `foo-1.0.tar.gz`
    #[error("not a .whl file")]
    NotAWheel,
    /// Ex) `foo-1.0-py3-none.whl`
    #[error(
        "expected 5 or 6 '-'-separated parts (name-version[-build]-python-abi-platform), got {0}"
    )]
    PartCount(usize),
    /// Ex) `fo o-1.0-py3-none-any.whl`
    #[error("invalid distribution name {0:?} (letters, digits, '_' and '.' only)")]
    InvalidName(String),
    /// Ex) `foo-one-py3-none-any.whl`
    #[error("invalid version {version:?}: {message}")]
    InvalidVersion {
        /// The version field.
        version: String,
        /// The PEP 440 parser's explanation.
        message: String,
    },
    /// Ex) `foo-1.0-build1-py3-none-any.whl`
    #[error("build tag {0:?} must start with a digit")]
    InvalidBuildTag(String),
    /// Ex) `foo-1.0-py3..py2-none-any.whl`
    #[error("{0}")]
    InvalidTag(TagParseError),
}

fn split_tag_set(
    field: &str,
    err: &impl Fn(WheelFilenameErrorKind) -> WheelFilenameError,
) -> Result<Vec<String>, WheelFilenameError> {
    field
        .split('.')
        .map(|t| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                let kind = if t.is_empty() {
                    crate::target::tags::TagParseErrorKind::Empty
                } else {
                    crate::target::tags::TagParseErrorKind::InvalidCharacter
                };
                Err(err(WheelFilenameErrorKind::InvalidTag(TagParseError {
                    input: field.to_string(),
                    kind,
                })))
            } else {
                Ok(t.to_string())
            }
        })
        .collect()
}

impl FromStr for WheelFilename {
    type Err = WheelFilenameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |kind| WheelFilenameError {
            input: s.to_string(),
            kind,
        };
        let stem = s
            .strip_suffix(".whl")
            .ok_or_else(|| err(WheelFilenameErrorKind::NotAWheel))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, py, abi, plat) = match parts[..] {
            [n, v, p, a, pl] => (n, v, None, p, a, pl),
            [n, v, b, p, a, pl] => (n, v, Some(b), p, a, pl),
            _ => return Err(err(WheelFilenameErrorKind::PartCount(parts.len()))),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(err(WheelFilenameErrorKind::InvalidName(name.to_string())));
        }
        // A local version's `-` is written as `_` in file names.
        let parsed_version =
            crate::guard::version(&version.replace('_', "-")).map_err(|message| {
                err(WheelFilenameErrorKind::InvalidVersion {
                    version: version.to_string(),
                    message,
                })
            })?;
        let build = match build {
            None => None,
            Some(b) => {
                let digits = b.bytes().take_while(u8::is_ascii_digit).count();
                let number = b[..digits]
                    .parse::<u64>()
                    .map_err(|_| err(WheelFilenameErrorKind::InvalidBuildTag(b.to_string())))?;
                Some(BuildTag {
                    number,
                    rest: b[digits..].to_string(),
                    raw: b.to_string(),
                })
            }
        };
        let python_tags = split_tag_set(py, &err)?;
        let abi_tags = split_tag_set(abi, &err)?;
        let platform_tags = split_tag_set(plat, &err)?
            .iter()
            .map(|p| {
                p.parse::<PlatformTag>()
                    .map_err(|e| err(WheelFilenameErrorKind::InvalidTag(e)))
            })
            .collect::<Result<_, _>>()?;
        Ok(WheelFilename {
            name: name.to_string(),
            version: parsed_version,
            version_raw: version.to_string(),
            build,
            python_tags,
            abi_tags,
            platform_tags,
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version_raw)?;
        if let Some(b) = &self.build {
            write!(f, "-{b}")?;
        }
        let plats: Vec<String> = self.platform_tags.iter().map(|p| p.to_string()).collect();
        write!(
            f,
            "-{}-{}-{}.whl",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            plats.join(".")
        )
    }
}

impl WheelFilename {
    /// The PEP 503-normalised distribution name. Ex) `foo-bar`
    pub fn normalized_name(&self) -> String {
        crate::names::normalize(&self.name)
    }

    /// Every tag of the compressed tag sets (their cartesian product).
    pub fn tags(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for py in &self.python_tags {
            for abi in &self.abi_tags {
                for plat in &self.platform_tags {
                    out.push(Tag {
                        python: py.clone(),
                        abi: abi.clone(),
                        platform: plat.clone(),
                    });
                }
            }
        }
        out
    }

    /// Whether a wheel from an index fits the target, and how well.
    /// `linux_<machine>` wheels are refused (see [`WheelFilename::compatibility_local`]).
    pub fn compatibility(&self, tags: &Tags) -> Result<TagPriority, Box<Incompatible>> {
        self.priority(tags).ok_or_else(|| self.incompatible(tags))
    }

    /// The wheel's priority for the target, without explaining a refusal
    /// (cheap: ranking a big index page calls this for every file).
    pub fn priority(&self, tags: &Tags) -> Option<TagPriority> {
        tags.priority(&self.python_tags, &self.abi_tags, &self.platform_tags)
    }

    /// Like [`WheelFilename::compatibility`], for wheels from `vendor/` or built
    /// from an sdist: `linux_<machine>` is also accepted, with a warning due.
    pub fn compatibility_local(
        &self,
        tags: &Tags,
    ) -> Result<LocalCompatibility, Box<Incompatible>> {
        tags.priority_local(&self.python_tags, &self.abi_tags, &self.platform_tags)
            .ok_or_else(|| self.incompatible(tags))
    }

    fn incompatible(&self, tags: &Tags) -> Box<Incompatible> {
        let target = tags.target();
        Box::new(Incompatible {
            wheel: self.to_string(),
            reason: tags.closest_mismatch(&self.python_tags, &self.abi_tags, &self.platform_tags),
            runtime: target.runtime(),
            arch: target.arch.to_string(),
            wheel_tags: self
                .tags()
                .iter()
                .map(Tag::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            accepts: tags.summary(),
        })
    }
}

/// A wheel none of whose tags the target accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{wheel} is not compatible with {runtime} ({arch}): {reason}; wheel tags: {wheel_tags}; \
     {runtime} accepts {accepts}"
)]
pub struct Incompatible {
    /// The wheel filename.
    pub wheel: String,
    /// The closest miss among the wheel's tags.
    pub reason: Mismatch,
    /// Ex) `python3.12`
    pub runtime: String,
    /// Ex) `x86_64`
    pub arch: String,
    /// The wheel's expanded tags, comma-separated.
    pub wheel_tags: String,
    /// A summary of what the target accepts.
    pub accepts: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_round_trip() {
        for s in [
            "six-1.17.0-py2.py3-none-any.whl",
            "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "Foo.Bar-1.0-1build-py3-none-any.whl",
            "foo-1.0+local_1-py3-none-any.whl",
            "cryptography-44.0.0-cp39-abi3-musllinux_1_2_aarch64.whl",
        ] {
            let w: WheelFilename = s.parse().unwrap();
            assert_eq!(w.to_string(), s);
        }
        let w: WheelFilename = "foo-1.0+local_1-py3-none-any.whl".parse().unwrap();
        assert_eq!(w.version.to_string(), "1.0+local.1");
        let w: WheelFilename =
            "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
                .parse()
                .unwrap();
        assert_eq!(w.tags().len(), 2);
        assert_eq!(w.tags()[1].to_string(), "cp312-cp312-manylinux2014_x86_64");
    }

    type KindCheck = fn(&WheelFilenameErrorKind) -> bool;

    #[test]
    fn filename_errors() {
        let cases: &[(&str, KindCheck)] = &[
            ("foo-1.0.tar.gz", |k| {
                *k == WheelFilenameErrorKind::NotAWheel
            }),
            ("foo-1.0-py3-none.whl", |k| {
                *k == WheelFilenameErrorKind::PartCount(4)
            }),
            ("a-b-1.0-1-py3-none-any.whl", |k| {
                *k == WheelFilenameErrorKind::PartCount(7)
            }),
            ("foo-one-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidVersion { .. })
            }),
            ("foo-1.0-b1-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidBuildTag(_))
            }),
            ("fo o-1.0-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidName(_))
            }),
            ("-1.0-py3-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidName(_))
            }),
            ("foo-1.0-py3..py2-none-any.whl", |k| {
                matches!(k, WheelFilenameErrorKind::InvalidTag(_))
            }),
        ];
        for (input, check) in cases {
            let e = input.parse::<WheelFilename>().unwrap_err();
            assert_eq!(e.input, *input);
            assert!(check(&e.kind), "{input}: {e}");
            assert!(e.to_string().contains(input));
        }
    }

    #[test]
    fn build_tag_ordering() {
        let b = |s: &str| {
            format!("foo-1.0-{s}-py3-none-any.whl")
                .parse::<WheelFilename>()
                .unwrap()
                .build
                .unwrap()
        };
        assert!(b("2") > b("1"));
        assert!(b("10") > b("9"));
        assert!(b("1b") > b("1a"));
        assert!(b("1a") > b("1"));
        assert_eq!(b("01"), b("1"));
        assert_eq!(b("01").to_string(), "01");
    }

    use crate::target::tags::Mismatch;
    use crate::target::{Arch, LambdaTarget, PythonVersion};

    fn target(minor: u8, arch: Arch) -> LambdaTarget {
        LambdaTarget::new(PythonVersion::new(3, minor), arch)
    }

    fn wheel(s: &str) -> WheelFilename {
        s.parse().unwrap()
    }

    fn compat(tags: &Tags, w: &WheelFilename) -> Result<TagPriority, Box<Incompatible>> {
        w.compatibility(tags)
    }

    #[test]
    fn abi3_forward_compatibility() {
        let tags = Tags::for_target(&target(12, Arch::X86_64));
        let old = wheel("cryptography-44.0.0-cp37-abi3-manylinux_2_28_x86_64.whl");
        let exact = wheel("foo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl");
        assert!(compat(&tags, &exact).unwrap() > compat(&tags, &old).unwrap());
        let newer = wheel("foo-1.0-cp313-abi3-manylinux_2_17_x86_64.whl");
        let err = compat(&tags, &newer).unwrap_err();
        assert!(matches!(err.reason, Mismatch::Abi3TooNew { .. }), "{err}");
        let other_abi = wheel("foo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl");
        let err = compat(&tags, &other_abi).unwrap_err();
        assert!(
            err.to_string().contains("cp313 ABI, target is cp312"),
            "{err}"
        );
    }

    #[test]
    fn glibc_ceiling_per_runtime() {
        let w = wheel("numpy-2.3.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl");
        let err = compat(&Tags::for_target(&target(11, Arch::X86_64)), &w).unwrap_err();
        assert!(
            err.to_string()
                .contains("needs glibc 2.27, python3.11 has 2.26"),
            "{err}"
        );
        assert!(err.to_string().contains("manylinux_2_28_x86_64"));
        let w12 = wheel("numpy-2.3.0-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl");
        let tags = Tags::for_target(&target(12, Arch::X86_64));
        let p = compat(&tags, &w12).unwrap();
        // manylinux_2_28 is the 7th platform (2_34 … 2_28) in the cp312 block.
        assert_eq!(p.rank(), 6);
        let too_new = wheel("foo-1-cp312-cp312-manylinux_2_35_x86_64.whl");
        assert!(compat(&tags, &too_new).is_err());
    }

    #[test]
    fn architecture_checks() {
        let w = wheel("foo-1.0-cp311-cp311-manylinux2014_aarch64.whl");
        assert!(compat(&Tags::for_target(&target(11, Arch::Arm64)), &w).is_ok());
        let err = compat(&Tags::for_target(&target(11, Arch::X86_64)), &w).unwrap_err();
        assert!(
            err.to_string()
                .contains("built for aarch64, target is x86_64"),
            "{err}"
        );
        // manylinux1 never existed for aarch64.
        let m1 = wheel("foo-1.0-cp311-cp311-manylinux1_aarch64.whl");
        let err = compat(&Tags::for_target(&target(11, Arch::Arm64)), &m1).unwrap_err();
        assert!(matches!(err.reason, Mismatch::BelowFloor(_)));
        let m1x = wheel("foo-1.0-cp311-cp311-manylinux1_x86_64.whl");
        assert!(compat(&Tags::for_target(&target(11, Arch::X86_64)), &m1x).is_ok());
        let i686 = wheel("foo-1.0-cp311-cp311-manylinux2014_i686.whl");
        assert!(compat(&Tags::for_target(&target(11, Arch::X86_64)), &i686).is_err());
    }

    #[test]
    fn foreign_platforms_rejected() {
        for minor in 10..=14 {
            for arch in [Arch::X86_64, Arch::Arm64] {
                let tags = Tags::for_target(&target(minor, arch));
                let m = arch.machine();
                for (file, reason) in [
                    (
                        format!("f-1-cp3{minor}-cp3{minor}-musllinux_1_2_{m}.whl"),
                        "musllinux",
                    ),
                    (
                        format!("f-1-cp3{minor}-cp3{minor}-macosx_11_0_arm64.whl"),
                        "macOS",
                    ),
                    (
                        format!("f-1-cp3{minor}-cp3{minor}-win_amd64.whl"),
                        "Windows",
                    ),
                    (format!("f-1-cp3{minor}-cp3{minor}-win32.whl"), "Windows"),
                    (
                        format!("f-1-cp3{minor}-cp3{minor}-manylinux_2_17_ppc64le.whl"),
                        "built for ppc64le",
                    ),
                    (
                        format!("f-1-pp3{minor}-pypy3{minor}_pp73-manylinux_2_17_{m}.whl"),
                        "another interpreter",
                    ),
                    (
                        format!("f-1-cp3{minor}-cp3{minor}-linux_{m}.whl"),
                        "locally built",
                    ),
                ] {
                    let err = compat(&tags, &wheel(&file)).unwrap_err();
                    assert!(err.to_string().contains(reason), "{file}: {err}");
                }
                let pure = wheel("six-1.17.0-py2.py3-none-any.whl");
                assert!(compat(&tags, &pure).is_ok());
                let any3 = wheel("attrs-25.1.0-py3-none-any.whl");
                assert!(compat(&tags, &any3).is_ok());
                assert!(compat(&tags, &wheel("old-1-py2-none-any.whl")).is_err());
            }
        }
    }

    #[test]
    fn linux_tag_only_for_local_sources() {
        let tags = Tags::for_target(&target(12, Arch::X86_64));
        let local = wheel("mylib-0.1-cp312-cp312-linux_x86_64.whl");
        assert!(compat(&tags, &local).is_err());
        let c = local.compatibility_local(&tags).unwrap();
        assert!(matches!(c, LocalCompatibility::LocallyBuilt(_)));
        assert!(c.warning(&local, &tags).unwrap().contains("linux_x86_64"));
        let portable = wheel("mylib-0.1-cp312-cp312-manylinux_2_17_x86_64.whl");
        let c = portable.compatibility_local(&tags).unwrap();
        assert_eq!(
            c,
            LocalCompatibility::Portable(compat(&tags, &portable).unwrap())
        );
        assert!(c.warning(&portable, &tags).is_none());
        let arm = wheel("mylib-0.1-cp312-cp312-linux_aarch64.whl");
        assert!(arm.compatibility_local(&tags).is_err());
    }

    #[test]
    fn priority_order_prefers_specific_tags() {
        let tags = Tags::for_target(&target(13, Arch::Arm64));
        let order = [
            "f-1-cp313-cp313-manylinux_2_34_aarch64.whl",
            "f-1-cp313-cp313-manylinux2014_aarch64.whl",
            "f-1-cp313-abi3-manylinux_2_17_aarch64.whl",
            "f-1-cp39-abi3-manylinux_2_28_aarch64.whl",
            "f-1-py3-none-manylinux_2_17_aarch64.whl",
            "f-1-cp313-none-any.whl",
            "f-1-py3-none-any.whl",
        ];
        let prios: Vec<TagPriority> = order
            .iter()
            .map(|w| compat(&tags, &wheel(w)).unwrap())
            .collect();
        for pair in prios.windows(2) {
            assert!(pair[0] > pair[1], "{pair:?}");
        }
    }
}

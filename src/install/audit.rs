//! Post-build audit of native code: every shared object in the final zip must
//! be an ELF file for the target's machine whose newest required `GLIBC_x.y`
//! symbol version is within the runtime's glibc (2.26 on python3.10/3.11,
//! 2.34 on python3.12+).
//!
//! Wheel tags promise this, but wheels in `vendor/`, sdist builds, or
//! mis-tagged uploads can break the promise; on Lambda that shows up only at
//! import time as `GLIBC_2.xx not found` or `invalid ELF header`.
//!
//! Call sequence: for each zip entry with [`should_audit`] true, call
//! [`audit_shared_object`] with its bytes; an error names the file (the
//! caller adds which wheel it came from).
//!
//! The ELF reader is hand-written (ELF32/ELF64, either byte order): it reads
//! the header's `e_machine` and walks the `SHT_GNU_verneed` section
//! (`.gnu.version_r`), the same table `readelf -V` prints.
//!
//! ```
//! use grail::install::audit::{audit_shared_object, should_audit};
//! use grail::target::{Arch, LambdaTarget, PythonVersion};
//!
//! assert!(should_audit("numpy.libs/libscipy_openblas64_-ff651d7f.so"));
//! assert!(should_audit("lib/libffi.so.8.1.0"));
//! assert!(!should_audit("six.py"));
//!
//! let target = LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64);
//! let err = audit_shared_object("x.so", b"MZ\x90\x00", &target).unwrap_err();
//! assert_eq!(err.to_string(), "x.so: is a Windows (PE) binary, not a Linux ELF shared object");
//! ```

use std::fmt;

use crate::target::{Arch, LambdaTarget};

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

/// Whether a zip entry is native code to audit: `*.so` and versioned
/// `*.so.N[.M…]` files (auditwheel's `<pkg>.libs/` contents are named so).
pub fn should_audit(entry: &str) -> bool {
    let base = entry.rsplit('/').next().unwrap_or(entry);
    if base.ends_with(".so") {
        return true;
    }
    // libfoo.so.1.2.3
    match base.find(".so.") {
        Some(i) => base[i + 4..]
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

/// What the audit learned about a valid shared object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedObjectInfo {
    /// ELF `e_machine`. Ex) 62 (x86-64)
    pub machine: u16,
    /// The newest `GLIBC_x.y` version required, if any. Ex) `(2, 28)`
    pub max_glibc: Option<(u16, u16)>,
    /// Every `(library, version)` requirement. Ex) `("libc.so.6", "GLIBC_2.28")`
    pub version_needs: Vec<(String, String)>,
}

/// A shared object that would not load on the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {kind}")]
pub struct AuditError {
    /// The file's path in the zip.
    pub file: String,
    /// What is wrong.
    pub kind: AuditErrorKind,
}

/// On its own (where the file came from unknown) a shared object that will
/// not load is a dependency failure; [`super::InstallError::Audit`] knows
/// whether it came from vendor/ and says exit 1 then.
impl crate::error::Classify for AuditError {
    fn exit_kind(&self) -> crate::error::ExitKind {
        crate::error::ExitKind::Dependencies
    }
}

/// What is wrong with a shared object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditErrorKind {
    /// Magic `0xfeedface`, `0xfeedfacf`, `0xcafebabe` (either byte order).
    #[error("is a macOS (Mach-O) binary, not a Linux ELF shared object")]
    MachO,
    /// Starts with `MZ`.
    #[error("is a Windows (PE) binary, not a Linux ELF shared object")]
    Pe,
    /// No ELF magic at all.
    #[error("is not an ELF shared object (no ELF header)")]
    NotElf,
    /// ELF magic, but the structures do not fit in the file.
    #[error("is a malformed ELF file: {0}")]
    Malformed(String),
    /// ELF for another CPU.
    #[error("is built for {found}, but the target {runtime} runs on {expected}")]
    WrongMachine {
        /// Ex) `aarch64 (EM 183)`
        found: String,
        /// Ex) `x86_64 (EM 62)`
        expected: String,
        /// Ex) `python3.12 (x86_64)`
        runtime: String,
    },
    /// Requires symbols from a newer glibc than the runtime has.
    #[error(
        "requires GLIBC_{}.{} but {runtime} has glibc {}.{}; use a wheel tagged \
         manylinux_{}_{} or older (or rebuild it on Amazon Linux)",
        required.0, required.1, ceiling.0, ceiling.1, ceiling.0, ceiling.1
    )]
    GlibcTooNew {
        /// Ex) `(2, 35)`
        required: (u16, u16),
        /// Ex) `(2, 34)`
        ceiling: (u16, u16),
        /// Ex) `python3.12`
        runtime: String,
    },
}

/// A human name for an ELF machine.
struct Machine(u16);

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            EM_386 => "i386",
            EM_X86_64 => "x86_64",
            EM_AARCH64 => "aarch64",
            8 => "mips",
            20 => "ppc",
            21 => "ppc64",
            22 => "s390x",
            40 => "arm",
            243 => "riscv",
            _ => "an unknown machine",
        };
        write!(f, "{name} (EM {})", self.0)
    }
}

fn expected_machine(arch: Arch) -> u16 {
    match arch {
        Arch::X86_64 => EM_X86_64,
        Arch::Arm64 => EM_AARCH64,
    }
}

/// Bounds-checked reads in the file's byte order and class.
struct Reader<'a> {
    bytes: &'a [u8],
    big_endian: bool,
    is64: bool,
}

type ParseResult<T> = Result<T, String>;

impl Reader<'_> {
    fn slice(&self, off: u64, len: u64) -> ParseResult<&[u8]> {
        let start = usize::try_from(off).map_err(|_| "offset too large".to_string())?;
        let len = usize::try_from(len).map_err(|_| "length too large".to_string())?;
        start
            .checked_add(len)
            .and_then(|end| self.bytes.get(start..end))
            .ok_or_else(|| format!("{len} bytes at offset {off} are past the end of the file"))
    }

    fn u16(&self, off: u64) -> ParseResult<u16> {
        let b: [u8; 2] = self.slice(off, 2)?.try_into().map_err(|_| "short")?;
        Ok(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&self, off: u64) -> ParseResult<u32> {
        let b: [u8; 4] = self.slice(off, 4)?.try_into().map_err(|_| "short")?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64(&self, off: u64) -> ParseResult<u64> {
        let b: [u8; 8] = self.slice(off, 8)?.try_into().map_err(|_| "short")?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A native-word field (`u32` in ELF32, `u64` in ELF64).
    fn word(&self, off: u64) -> ParseResult<u64> {
        if self.is64 {
            self.u64(off)
        } else {
            self.u32(off).map(u64::from)
        }
    }

    /// A NUL-terminated string starting at `off`.
    fn cstr(&self, off: u64) -> ParseResult<String> {
        let start = usize::try_from(off).map_err(|_| "offset too large".to_string())?;
        let rest = self
            .bytes
            .get(start..)
            .ok_or_else(|| format!("string offset {off} is past the end of the file"))?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("unterminated string at offset {off}"))?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
}

/// A section header's fields the audit needs.
struct Section {
    kind: u32,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
}

fn sections(r: &Reader<'_>) -> ParseResult<Vec<Section>> {
    let (shoff, shentsize, shnum) = if r.is64 {
        (r.u64(0x28)?, r.u16(0x3a)?, r.u16(0x3c)?)
    } else {
        (u64::from(r.u32(0x20)?), r.u16(0x2e)?, r.u16(0x30)?)
    };
    if shoff == 0 || shnum == 0 {
        return Ok(Vec::new());
    }
    let min_entsize = if r.is64 { 64 } else { 40 };
    if shentsize < min_entsize {
        return Err(format!("section header size {shentsize} is too small"));
    }
    // The whole table must be in the file, not just the fields read below.
    r.slice(shoff, u64::from(shnum) * u64::from(shentsize))?;
    let mut out = Vec::with_capacity(usize::from(shnum));
    for i in 0..u64::from(shnum) {
        let base = shoff + i * u64::from(shentsize);
        // sh_name(4) sh_type(4) sh_flags(w) sh_addr(w) sh_offset(w) sh_size(w) sh_link(4) sh_info(4)
        let w = if r.is64 { 8 } else { 4 };
        out.push(Section {
            kind: r.u32(base + 4)?,
            offset: r.word(base + 8 + 2 * w)?,
            size: r.word(base + 8 + 3 * w)?,
            link: r.u32(base + 8 + 4 * w)?,
            info: r.u32(base + 12 + 4 * w)?,
        });
    }
    Ok(out)
}

/// Walk every `SHT_GNU_verneed` section: `(library, version)` pairs.
fn version_needs(r: &Reader<'_>) -> ParseResult<Vec<(String, String)>> {
    let secs = sections(r)?;
    let mut out = Vec::new();
    for sec in secs.iter().filter(|s| s.kind == SHT_GNU_VERNEED) {
        let strtab = secs.get(sec.link as usize).ok_or_else(|| {
            format!(
                "version-needs section links to missing section {}",
                sec.link
            )
        })?;
        let string = |off: u32| -> ParseResult<String> {
            if u64::from(off) >= strtab.size {
                return Err(format!("string {off} is outside its string table"));
            }
            r.cstr(strtab.offset + u64::from(off))
        };
        let end = sec.offset.saturating_add(sec.size);
        let mut need = sec.offset;
        // sh_info is the entry count; bound the walk by it so a cycle cannot hang us.
        for _ in 0..sec.info {
            if need >= end {
                return Err("version-needs entry outside its section".into());
            }
            // Verneed: vn_version(2) vn_cnt(2) vn_file(4) vn_aux(4) vn_next(4)
            let count = r.u16(need + 2)?;
            let file = string(r.u32(need + 4)?)?;
            let mut aux = need + u64::from(r.u32(need + 8)?);
            for _ in 0..count {
                // Vernaux: vna_hash(4) vna_flags(2) vna_other(2) vna_name(4) vna_next(4)
                out.push((file.clone(), string(r.u32(aux + 8)?)?));
                let next = r.u32(aux + 12)?;
                if next == 0 {
                    break;
                }
                aux += u64::from(next);
            }
            let next = r.u32(need + 12)?;
            if next == 0 {
                break;
            }
            need += u64::from(next);
        }
    }
    Ok(out)
}

/// `GLIBC_2.28` → `(2, 28)`; `GLIBC_2.2.5` → `(2, 2)`; `GLIBC_ABI_DT_RELR` →
/// `(2, 36)`; `GLIBC_PRIVATE`,
/// `GLIBCXX_3.4` → `None`.
fn glibc_version(name: &str) -> Option<(u16, u16)> {
    // Objects linked with packed relative relocations (`-z pack-relative-relocs`)
    // need this marker version, which glibc defines since 2.36.
    if name == "GLIBC_ABI_DT_RELR" {
        return Some((2, 36));
    }
    let v = name.strip_prefix("GLIBC_")?;
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Check one shared object's bytes against `target`.
pub fn audit_shared_object(
    name: &str,
    bytes: &[u8],
    target: &LambdaTarget,
) -> Result<SharedObjectInfo, AuditError> {
    let fail = |kind| AuditError {
        file: name.to_string(),
        kind,
    };
    let magic = bytes.get(..4).unwrap_or(bytes);
    if magic != b"\x7fELF" {
        let m = magic.try_into().map(u32::from_be_bytes).unwrap_or_default();
        let kind = match m {
            0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe | 0xcafe_babe | 0xbeba_feca => {
                AuditErrorKind::MachO
            }
            _ if bytes.starts_with(b"MZ") => AuditErrorKind::Pe,
            _ => AuditErrorKind::NotElf,
        };
        return Err(fail(kind));
    }
    let malformed = |msg: String| fail(AuditErrorKind::Malformed(msg));
    let (is64, big_endian) = match (bytes.get(4), bytes.get(5)) {
        (Some(1), Some(d @ (1 | 2))) => (false, *d == 2),
        (Some(2), Some(d @ (1 | 2))) => (true, *d == 2),
        _ => return Err(malformed("unknown ELF class or byte order".into())),
    };
    let r = Reader {
        bytes,
        big_endian,
        is64,
    };
    let machine = r.u16(0x12).map_err(malformed)?;
    let expected = expected_machine(target.arch);
    if machine != expected {
        return Err(fail(AuditErrorKind::WrongMachine {
            found: Machine(machine).to_string(),
            expected: Machine(expected).to_string(),
            runtime: target.to_string(),
        }));
    }
    let version_needs = version_needs(&r).map_err(malformed)?;
    let max_glibc = version_needs
        .iter()
        .filter_map(|(_, v)| glibc_version(v))
        .max();
    if let Some(required) = max_glibc {
        let ceiling = target.glibc();
        if required > ceiling {
            return Err(fail(AuditErrorKind::GlibcTooNew {
                required,
                ceiling,
                runtime: target.runtime(),
            }));
        }
    }
    Ok(SharedObjectInfo {
        machine,
        max_glibc,
        version_needs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::PythonVersion;

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("vendor-fixtures/elf")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn t(minor: u8, arch: Arch) -> LambdaTarget {
        LambdaTarget::new(PythonVersion::new(3, minor), arch)
    }

    #[test]
    fn glibc_ceiling_per_runtime_and_arch() {
        for (arch, prefix) in [(Arch::X86_64, "x86_64"), (Arch::Arm64, "aarch64")] {
            for minor in 10..=14 {
                let target = t(minor, arch);
                let ceiling = target.glibc();
                for (file, needs) in [
                    ("glibc2.17", (2, 17)),
                    ("glibc2.28", (2, 28)),
                    ("glibc2.35", (2, 35)),
                ] {
                    let name = format!("{prefix}-{file}.so");
                    let result = audit_shared_object(&name, &fixture(&name), &target);
                    if needs <= ceiling {
                        let info = result.unwrap();
                        assert_eq!(info.max_glibc, Some(needs), "{name}");
                        assert_eq!(info.machine, expected_machine(arch));
                    } else {
                        let err = result.unwrap_err();
                        assert_eq!(err.file, name);
                        assert_eq!(
                            err.kind,
                            AuditErrorKind::GlibcTooNew {
                                required: needs,
                                ceiling,
                                runtime: target.runtime()
                            }
                        );
                        assert!(err.to_string().contains(&format!(
                            "requires GLIBC_2.{} but python3.{minor} has glibc 2.{}",
                            needs.1, ceiling.1
                        )));
                    }
                }
            }
        }
    }

    #[test]
    fn walks_every_library_and_ignores_glibcxx() {
        let info = audit_shared_object(
            "a.so",
            &fixture("x86_64-glibc2.28.so"),
            &t(12, Arch::X86_64),
        )
        .unwrap();
        assert_eq!(info.max_glibc, Some((2, 28)));
        let libs: Vec<&str> = info.version_needs.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            libs,
            [
                "libc.so.6",
                "libc.so.6",
                "libc.so.6",
                "libm.so.6",
                "libstdc++.so.6",
                "libstdc++.so.6"
            ]
        );
        assert!(info
            .version_needs
            .contains(&("libstdc++.so.6".into(), "GLIBCXX_3.4.30".into())));
        let none = audit_shared_object(
            "n.so",
            &fixture("x86_64-noversions.so"),
            &t(10, Arch::X86_64),
        )
        .unwrap();
        assert_eq!(none.max_glibc, None);
        assert!(none.version_needs.is_empty());
    }

    #[test]
    fn wrong_machine_names_both() {
        let err = audit_shared_object(
            "pkg/_x.so",
            &fixture("aarch64-glibc2.17.so"),
            &t(12, Arch::X86_64),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "pkg/_x.so: is built for aarch64 (EM 183), but the target python3.12 (x86_64) runs on x86_64 (EM 62)"
        );
        let err = audit_shared_object("x.so", &fixture("x86_64-glibc2.17.so"), &t(11, Arch::Arm64))
            .unwrap_err();
        assert!(matches!(err.kind, AuditErrorKind::WrongMachine { .. }));
        let err = audit_shared_object("x.so", &fixture("i386-glibc2.0.so"), &t(11, Arch::X86_64))
            .unwrap_err();
        assert!(err.to_string().contains("i386 (EM 3)"), "{err}");
    }

    #[test]
    fn foreign_formats() {
        let target = t(13, Arch::Arm64);
        for (file, kind) in [
            ("macho.so", AuditErrorKind::MachO),
            ("macho-universal.so", AuditErrorKind::MachO),
            ("pe.pyd", AuditErrorKind::Pe),
            ("text.so", AuditErrorKind::NotElf),
        ] {
            let err = audit_shared_object(file, &fixture(file), &target).unwrap_err();
            assert_eq!(err.kind, kind, "{file}");
        }
        assert_eq!(
            audit_shared_object("e.so", b"", &target).unwrap_err().kind,
            AuditErrorKind::NotElf
        );
    }

    #[test]
    fn truncated_elf_is_malformed() {
        let bytes = fixture("x86_64-glibc2.28.so");
        let target = t(12, Arch::X86_64);
        // Cut inside the section table, inside the header, and after the magic.
        for len in [bytes.len() - 10, 30, 5] {
            let err = audit_shared_object("t.so", &bytes[..len], &target).unwrap_err();
            assert!(
                matches!(err.kind, AuditErrorKind::Malformed(_)),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn which_entries_are_audited() {
        for yes in [
            "a.so",
            "pkg/_core.cpython-312-x86_64-linux-gnu.so",
            "numpy.libs/libgfortran-040039e1.so.5.0.0",
            "lib/libz.so.1",
        ] {
            assert!(should_audit(yes), "{yes}");
        }
        for no in [
            "a.py",
            "so",
            "pkg/x.so.py",
            "libfoo.so.1a",
            "libfoo.so.",
            "a.dylib",
            "b.pyd",
        ] {
            assert!(!should_audit(no), "{no}");
        }
    }

    #[test]
    fn glibc_version_names() {
        assert_eq!(glibc_version("GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(glibc_version("GLIBC_2.34"), Some((2, 34)));
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version("GLIBC_ABI_DT_RELR"), Some((2, 36)));
        assert_eq!(glibc_version("GLIBCXX_3.4.30"), None);
    }
}

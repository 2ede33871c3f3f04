//! The `*.dist-info/WHEEL` file: format version and root-is-purelib.

/// The `*.dist-info/WHEEL` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelInfo {
    /// `Wheel-Version:` as `(major, minor)`. Ex) `(1, 0)`
    pub wheel_version: (u32, u32),
    /// `Root-Is-Purelib:` (irrelevant for Lambda, where both libs are the root).
    pub root_is_purelib: bool,
    /// `Tag:` lines.
    pub tags: Vec<String>,
    /// `Build:`, if any.
    pub build: Option<String>,
}

/// Why a `WHEEL` file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelInfoError {
    /// No `Wheel-Version:` header.
    #[error("WHEEL has no Wheel-Version")]
    MissingVersion,
    /// Ex) `Wheel-Version: one`
    #[error("WHEEL has an invalid Wheel-Version {0:?} (expected MAJOR.MINOR)")]
    BadVersion(String),
    /// Ex) `Wheel-Version: 2.0`
    #[error("Wheel-Version {0} is not supported (this installer reads 1.x)")]
    UnsupportedVersion(String),
    /// Ex) `Root-Is-Purelib: maybe`
    #[error("WHEEL has an invalid Root-Is-Purelib {0:?} (expected true or false)")]
    BadPurelib(String),
}

impl WheelInfo {
    /// Parse a `WHEEL` file.
    pub fn parse(bytes: &[u8]) -> Result<WheelInfo, WheelInfoError> {
        let headers = crate::metadata::parse_headers(bytes);
        let get = |k: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let v = get("Wheel-Version").ok_or(WheelInfoError::MissingVersion)?;
        let (major, minor) = v
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
            .ok_or_else(|| WheelInfoError::BadVersion(v.to_string()))?;
        if major != 1 {
            return Err(WheelInfoError::UnsupportedVersion(v.to_string()));
        }
        let root_is_purelib = match get("Root-Is-Purelib").map(str::to_ascii_lowercase) {
            None => false,
            Some(s) if s == "true" => true,
            Some(s) if s == "false" => false,
            Some(s) => return Err(WheelInfoError::BadPurelib(s)),
        };
        let tags = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Tag"))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(WheelInfo {
            wheel_version: (major, minor),
            root_is_purelib,
            tags,
            build: get("Build").map(str::to_string),
        })
    }

    /// A warning when the wheel uses a newer 1.x format than this reader knows.
    pub fn warning(&self) -> Option<String> {
        (self.wheel_version.1 > 0).then(|| {
            format!(
                "Wheel-Version {}.{} is newer than 1.0; installing anyway",
                self.wheel_version.0, self.wheel_version.1
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_info() {
        let w = WheelInfo::parse(
            b"Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_x86_64\nTag: cp312-cp312-manylinux2014_x86_64\n",
        )
        .unwrap();
        assert_eq!(w.wheel_version, (1, 0));
        assert!(!w.root_is_purelib);
        assert_eq!(w.tags.len(), 2);
        assert!(w.warning().is_none());
        let newer = WheelInfo::parse(b"Wheel-Version: 1.9\nRoot-Is-Purelib: true\n").unwrap();
        assert!(newer.warning().unwrap().contains("1.9"));
        assert_eq!(
            WheelInfo::parse(b"Wheel-Version: 2.0\n").unwrap_err(),
            WheelInfoError::UnsupportedVersion("2.0".into())
        );
        assert_eq!(
            WheelInfo::parse(b"Generator: x\n").unwrap_err(),
            WheelInfoError::MissingVersion
        );
    }
}

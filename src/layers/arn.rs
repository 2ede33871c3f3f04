//! Lambda layer version ARNs, and what a layer's name says about its target.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use std::sync::LazyLock;

use crate::target::{Arch, PythonVersion};

/// A Lambda layer **version** ARN, the form a function attaches.
///
/// Ex) `arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29`
///
/// ```
/// use grail::layers::LayerArn;
/// let s = "arn:aws-cn:lambda:cn-north-1:406640652441:layer:AWSSDKPandas-Python312-Arm64:10";
/// let arn: LayerArn = s.parse().unwrap();
/// assert_eq!((arn.partition.as_str(), arn.region.as_str(), arn.version), ("aws-cn", "cn-north-1", 10));
/// assert_eq!(arn.to_string(), s);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerArn {
    /// Ex) `aws`, `aws-cn`, `aws-us-gov`
    pub partition: String,
    /// Ex) `us-east-1`
    pub region: String,
    /// The publishing account, 12 digits. Ex) `336392948345`
    pub account: String,
    /// Ex) `AWSSDKPandas-Python312`
    pub name: String,
    /// Ex) `29`
    pub version: u64,
}

/// Why a string is not a layer version ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerArnErrorKind {
    /// It does not start with `arn:`.
    NotAnArn,
    /// A layer ARN without `:VERSION`; functions attach versions.
    MissingVersion,
    /// Not 8 `:`-separated fields; carries the count found.
    FieldCount(usize),
    /// The partition is not `aws` or `aws-…`.
    Partition,
    /// The service is not `lambda`.
    Service,
    /// The region is empty or not like `us-east-1`.
    Region,
    /// The account is not 12 digits.
    Account,
    /// The resource type is not `layer`.
    ResourceType,
    /// The name is empty, too long or has characters Lambda refuses.
    Name,
    /// The version is not a positive integer.
    Version,
}

impl fmt::Display for LayerArnErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnArn => f.write_str("a layer ARN starts with \"arn:\""),
            Self::MissingVersion => f.write_str(
                "this names a layer, not a layer version: add \":VERSION\" (functions attach a version)",
            ),
            Self::FieldCount(n) => write!(
                f,
                "expected 8 colon-separated fields (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION), found {n}"
            ),
            Self::Partition => f.write_str("partition must be aws, aws-cn, aws-us-gov or another aws-… partition"),
            Self::Service => f.write_str("service must be lambda"),
            Self::Region => f.write_str("region must look like us-east-1"),
            Self::Account => f.write_str("account must be 12 digits"),
            Self::ResourceType => f.write_str("resource type must be layer"),
            Self::Name => f.write_str(
                "layer name must be 1 to 140 letters, digits, '-' or '_'",
            ),
            Self::Version => f.write_str("version must be a number (1 or more)"),
        }
    }
}

/// A malformed layer ARN: the input and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid layer ARN {input:?}: {kind}")]
pub struct LayerArnError {
    /// The offending input.
    pub input: String,
    /// What is wrong.
    pub kind: LayerArnErrorKind,
}

impl FromStr for LayerArn {
    type Err = LayerArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |kind| LayerArnError {
            input: s.to_string(),
            kind,
        };
        let t = s.trim();
        if !t.starts_with("arn:") {
            return Err(err(LayerArnErrorKind::NotAnArn));
        }
        let f: Vec<&str> = t.split(':').collect();
        if f.len() == 7 && f[5] == "layer" {
            return Err(err(LayerArnErrorKind::MissingVersion));
        }
        if f.len() != 8 {
            return Err(err(LayerArnErrorKind::FieldCount(f.len())));
        }
        let (partition, service, region, account, rtype, name, version) =
            (f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
        let lower_dash = |x: &str| {
            x.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !(partition == "aws" || partition.starts_with("aws-")) || !lower_dash(partition) {
            return Err(err(LayerArnErrorKind::Partition));
        }
        if service != "lambda" {
            return Err(err(LayerArnErrorKind::Service));
        }
        if region.is_empty()
            || !lower_dash(region)
            || !region.ends_with(|c: char| c.is_ascii_digit())
        {
            return Err(err(LayerArnErrorKind::Region));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(LayerArnErrorKind::Account));
        }
        if rtype != "layer" {
            return Err(err(LayerArnErrorKind::ResourceType));
        }
        if name.is_empty()
            || name.len() > 140
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(LayerArnErrorKind::Name));
        }
        let version = match version.parse::<u64>() {
            Ok(v) if v >= 1 && version.bytes().all(|b| b.is_ascii_digit()) => v,
            _ => return Err(err(LayerArnErrorKind::Version)),
        };
        Ok(LayerArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
            version,
        })
    }
}

impl fmt::Display for LayerArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:lambda:{}:{}:layer:{}:{}",
            self.partition, self.region, self.account, self.name, self.version
        )
    }
}

/// What a layer's name says about the runtime it was built for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayerHints {
    /// Ex) `3.12` from `AWSSDKPandas-Python312` or `…PythonV3-python313-x86_64`.
    pub python: Option<PythonVersion>,
    /// Ex) `arm64` from `AWSSDKPandas-Python312-Arm64`.
    pub arch: Option<Arch>,
}

static PANDAS_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^AWSSDKPandas-Python3(\d{1,2})(-Arm64)?$").expect("static regex")
});
static PYTHON_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)python-?3[._-]?(\d{1,2})(?:[^0-9]|$)").expect("static regex")
});
static ARCH_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[-_])(x86_64|x86-64|arm64|aarch64)(?:[-_]|$)").expect("static regex")
});

impl LayerArn {
    /// The Python version and architecture the layer's **name** claims.
    ///
    /// Knows the AWS SDK for pandas names (no suffix means x86_64) and the
    /// Powertools style (`…-python313-arm64`); anything else yields what
    /// tokens it has, possibly nothing.
    ///
    /// ```
    /// use grail::layers::LayerArn;
    /// let arn: LayerArn = "arn:aws:lambda:eu-west-1:336392948345:layer:AWSSDKPandas-Python313-Arm64:14".parse().unwrap();
    /// let hints = arn.hints();
    /// assert_eq!(hints.python.unwrap().to_string(), "3.13");
    /// assert_eq!(hints.arch.unwrap().to_string(), "arm64");
    /// ```
    pub fn hints(&self) -> LayerHints {
        if let Some(c) = PANDAS_NAME.captures(&self.name) {
            let python = c[1].parse::<u8>().ok().map(|m| PythonVersion::new(3, m));
            let arch = Some(if c.get(2).is_some() {
                Arch::Arm64
            } else {
                Arch::X86_64
            });
            return LayerHints { python, arch };
        }
        let python = PYTHON_TOKEN
            .captures(&self.name)
            .and_then(|c| c[1].parse::<u8>().ok())
            .map(|m| PythonVersion::new(3, m));
        let arch =
            ARCH_TOKEN
                .captures(&self.name)
                .map(|c| match c[1].to_ascii_lowercase().as_str() {
                    "arm64" | "aarch64" => Arch::Arm64,
                    _ => Arch::X86_64,
                });
        LayerHints { python, arch }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:29",
            "arn:aws:lambda:ca-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:4",
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:my_layer:1",
        ] {
            let arn: LayerArn = s.parse().unwrap();
            assert_eq!(arn.to_string(), s);
        }
    }

    #[test]
    fn errors_carry_input_and_kind() {
        use LayerArnErrorKind as K;
        for (bad, kind) in [
            ("AWSSDKPandas-Python312:29", K::NotAnArn),
            (
                "arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312",
                K::MissingVersion,
            ),
            (
                "arn:aws:lambda:us-east-1:336392948345:layer",
                K::FieldCount(6),
            ),
            (
                "arn:gcp:lambda:us-east-1:336392948345:layer:x:1",
                K::Partition,
            ),
            ("arn:aws:s3:us-east-1:336392948345:layer:x:1", K::Service),
            ("arn:aws:lambda::336392948345:layer:x:1", K::Region),
            ("arn:aws:lambda:us-east-1:33639294834:layer:x:1", K::Account),
            (
                "arn:aws:lambda:us-east-1:336392948345:function:x:1",
                K::ResourceType,
            ),
            ("arn:aws:lambda:us-east-1:336392948345:layer:a b:1", K::Name),
            (
                "arn:aws:lambda:us-east-1:336392948345:layer:x:latest",
                K::Version,
            ),
            (
                "arn:aws:lambda:us-east-1:336392948345:layer:x:0",
                K::Version,
            ),
            (
                "arn:aws:lambda:us-east-1:336392948345:layer:x:+3",
                K::Version,
            ),
        ] {
            let err = bad.parse::<LayerArn>().unwrap_err();
            assert_eq!(err.input, bad);
            assert_eq!(err.kind, kind, "{bad}");
            assert!(err.to_string().contains(bad));
        }
        let err = "arn:aws:lambda:us-east-1:1:layer:x:v"
            .parse::<LayerArn>()
            .unwrap_err();
        assert!(err.to_string().contains("account must be 12 digits"));
        let err = "arn:aws:lambda:us-east-1:336392948345:layer:x:v"
            .parse::<LayerArn>()
            .unwrap_err();
        assert!(err.to_string().contains("version must be a number"));
    }

    #[test]
    fn hints_from_names() {
        let h = |name: &str| {
            LayerArn {
                partition: "aws".into(),
                region: "us-east-1".into(),
                account: "123456789012".into(),
                name: name.into(),
                version: 1,
            }
            .hints()
        };
        let py = |m| Some(PythonVersion::new(3, m));
        assert_eq!(
            h("AWSSDKPandas-Python312"),
            LayerHints {
                python: py(12),
                arch: Some(Arch::X86_64)
            }
        );
        assert_eq!(
            h("AWSSDKPandas-Python310-Arm64"),
            LayerHints {
                python: py(10),
                arch: Some(Arch::Arm64)
            }
        );
        assert_eq!(
            h("AWSLambdaPowertoolsPythonV3-python313-arm64"),
            LayerHints {
                python: py(13),
                arch: Some(Arch::Arm64)
            }
        );
        assert_eq!(
            h("AWSLambdaPowertoolsPythonV3-python311-x86_64"),
            LayerHints {
                python: py(11),
                arch: Some(Arch::X86_64)
            }
        );
        assert_eq!(h("my-shared-code"), LayerHints::default());
        assert_eq!(h("deps-python3-12").python, py(12));
    }
}

//! Which AWS region the project deploys to, as the AWS tools would find it.
//!
//! Public layers are published per region (with per-region version numbers),
//! so a suggestion needs the region. Sources, first hit wins:
//!
//! 1. `AWS_REGION`, then `AWS_DEFAULT_REGION`;
//! 2. the profile's `region` in the AWS config file (`AWS_CONFIG_FILE`, else
//!    `~/.aws/config`); the profile is `--profile`, else `AWS_PROFILE`, else
//!    `default`;
//! 3. the region of the layer ARNs already attached (a layer must live in
//!    the function's region).
//!
//! ```
//! use grail::suggest::region::{detect_region, RegionSource};
//! let env = |k: &str| (k == "AWS_DEFAULT_REGION").then(|| "eu-west-1".to_string());
//! let r = detect_region(&env, None, &[]).unwrap();
//! assert_eq!((r.name.as_str(), r.source), ("eu-west-1", RegionSource::Env("AWS_DEFAULT_REGION")));
//! ```

use std::fmt;
use std::path::PathBuf;

use crate::layers::LayerArn;

/// A region and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Ex) `us-east-1`
    pub name: String,
    /// Where it came from.
    pub source: RegionSource,
}

/// Where the region came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionSource {
    /// An environment variable. Ex) `AWS_DEFAULT_REGION`
    Env(&'static str),
    /// A profile in the AWS config file.
    Profile {
        /// The profile. Ex) `default`
        profile: String,
        /// The config file.
        file: PathBuf,
    },
    /// The attached layers' ARNs.
    AttachedLayers,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionSource::Env(v) => write!(f, "from {v}"),
            RegionSource::Profile { profile, file } => {
                write!(f, "from profile {profile} in {}", file.display())
            }
            RegionSource::AttachedLayers => f.write_str("from the attached layers' ARNs"),
        }
    }
}

/// The region, or `None` when nothing says.
///
/// `env` reads the environment (a closure so tests stay hermetic), `profile`
/// is `--profile`, `attached` the layer entries in config.
pub fn detect_region(
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&str>,
    attached: &[String],
) -> Option<Region> {
    let set = |k: &str| {
        env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(name) = set(var) {
            return Some(Region {
                name,
                source: RegionSource::Env(var),
            });
        }
    }
    let profile = profile
        .map(str::to_string)
        .or_else(|| set("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    let file = set("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|h| PathBuf::from(h).join(".aws/config")));
    if let Some(file) = file {
        if let Some(name) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| profile_region(&text, &profile))
        {
            return Some(Region {
                name,
                source: RegionSource::Profile { profile, file },
            });
        }
    }
    let mut regions = attached
        .iter()
        .filter_map(|a| a.parse::<LayerArn>().ok())
        .map(|a| a.region);
    let first = regions.next()?;
    regions.all(|r| r == first).then_some(Region {
        name: first,
        source: RegionSource::AttachedLayers,
    })
}

/// `region` of `profile` in an AWS config file. Hand-parsed because the
/// format nests: an indented line belongs to the key above it (`s3 =` then
/// `  region = …` is not the profile's region), which generic INI readers
/// do not know.
fn profile_region(text: &str, profile: &str) -> Option<String> {
    let wanted = if profile == "default" {
        vec!["default".to_string(), "profile default".to_string()]
    } else {
        vec![format!("profile {profile}")]
    };
    let mut in_section = false;
    let mut found = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            in_section = wanted.contains(&name);
            continue;
        }
        if !in_section || line.starts_with(char::is_whitespace) {
            continue;
        }
        if let Some((k, v)) = trimmed.split_once('=') {
            if k.trim() == "region" && !v.trim().is_empty() {
                found = Some(v.trim().to_string());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn aws_region_beats_aws_default_region() {
        let env = env_of(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ]);
        let r = detect_region(&env, None, &[]).unwrap();
        assert_eq!(r.name, "eu-west-1");
        assert_eq!(r.source.to_string(), "from AWS_REGION");
    }

    #[test]
    fn profile_region_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(
            &file,
            "[default]\nregion = us-west-2\n\n[profile prod]\ns3 =\n  region = nope-1\nregion=ap-east-1 \n# region = x\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let env = move |k: &str| (k == "AWS_CONFIG_FILE").then(|| path.clone());
        let r = detect_region(&env, Some("prod"), &[]).unwrap();
        assert_eq!(r.name, "ap-east-1");
        assert!(r.source.to_string().contains("profile prod"));
        assert_eq!(detect_region(&env, None, &[]).unwrap().name, "us-west-2");
        assert_eq!(detect_region(&env, Some("missing"), &[]), None);
    }

    #[test]
    fn attached_layers_say_the_region_when_nothing_else_does() {
        let env = |_: &str| None;
        let a = "arn:aws:lambda:eu-central-1:123456789012:layer:x:1".to_string();
        let r = detect_region(&env, None, std::slice::from_ref(&a)).unwrap();
        assert_eq!(
            (r.name.as_str(), r.source),
            ("eu-central-1", RegionSource::AttachedLayers)
        );
        let b = "arn:aws:lambda:us-east-1:123456789012:layer:y:1".to_string();
        assert_eq!(detect_region(&env, None, &[a, b]), None, "layers disagree");
        assert_eq!(detect_region(&env, None, &["${ref}".to_string()]), None);
    }
}

//! PEP 440 specifiers as pubgrub version sets, and how those sets are shown
//! to a person.
//!
//! pubgrub reasons about sets of versions ([`Ranges`]); a specifier set such
//! as `>=1.2,!=1.3.*,<2` becomes the intersection of one range per clause.
//! The internal `min`/`max` markers of [`Version`] express PEP 440's
//! exclusive-comparison rules exactly:
//!
//! - `<2` must not admit `2.0rc1` (a pre-release *of* 2): its upper bound is
//!   `2min0`, which sorts below every `2` release, pre-release and dev-release;
//! - `>2` must not admit `2.post1` or `2+local`: its lower bound is `2max0`,
//!   which sorts above all of them.
//!
//! Known approximation: `==1.0` does not match the local version `1.0+cpu`
//! (PyPI does not accept local versions; find-links users pin them exactly).

use std::ops::Bound;

use pep508_rs::pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

/// The set of versions a specifier set admits (pre-release policy aside: that
/// is a candidate filter, not part of the set).
pub(crate) fn specifiers_to_ranges(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |acc, s| {
        acc.intersection(&specifier_to_ranges(s))
    })
}

/// The set of versions one specifier clause admits.
pub(crate) fn specifier_to_ranges(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version().clone();
    match specifier.operator() {
        Operator::Equal | Operator::ExactEqual => Ranges::singleton(version),
        Operator::NotEqual => Ranges::singleton(version).complement(),
        Operator::TildeEqual => {
            // `~=2.2.1` means `>=2.2.1, ==2.2.*`: drop the last release
            // segment and bump the one before it.
            let release = version.release();
            if release.len() < 2 {
                return Ranges::higher_than(version);
            }
            let mut upper: Vec<u64> = release[..release.len() - 1].to_vec();
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            let upper = Version::new(upper)
                .with_epoch(version.epoch())
                .with_min(Some(0));
            Ranges::from_range_bounds(version..upper)
        }
        Operator::LessThan => {
            if version.any_prerelease() || version.is_post() || version.is_local() {
                Ranges::strictly_lower_than(version)
            } else {
                Ranges::strictly_lower_than(version.with_min(Some(0)))
            }
        }
        Operator::LessThanEqual => Ranges::lower_than(version),
        Operator::GreaterThan => {
            if version.is_dev() || version.is_post() || version.is_local() {
                Ranges::strictly_higher_than(version)
            } else {
                Ranges::strictly_higher_than(version.with_max(Some(0)))
            }
        }
        Operator::GreaterThanEqual => Ranges::higher_than(version),
        Operator::EqualStar => prefix_range(&version),
        Operator::NotEqualStar => prefix_range(&version).complement(),
    }
}

/// `==1.2.*`: every version whose release starts with `1.2`, including its
/// pre-, post- and dev-releases: `[1.2min0, 1.3min0)`.
fn prefix_range(version: &Version) -> Ranges<Version> {
    let release = version.release().to_vec();
    let mut upper = release.clone();
    if let Some(last) = upper.last_mut() {
        *last += 1;
    }
    let low = Version::new(release)
        .with_epoch(version.epoch())
        .with_min(Some(0));
    let high = Version::new(upper)
        .with_epoch(version.epoch())
        .with_min(Some(0));
    Ranges::from_range_bounds(low..high)
}

/// A version set in specifier language: `==2.2.6`, `>=1.0, <2`,
/// `<1 or >=3`, `any version`.
pub(crate) fn display_ranges(ranges: &Ranges<Version>) -> String {
    if ranges.is_empty() {
        return "no version".to_string();
    }
    if ranges == &Ranges::full() {
        return "any version".to_string();
    }
    if let Some(v) = ranges.as_singleton() {
        return format!("=={v}");
    }
    let complement = ranges.complement();
    if let Some(v) = complement.as_singleton() {
        return format!("!={v}");
    }
    let parts: Vec<String> = ranges
        .iter()
        .map(|(lo, hi)| {
            let lo = match lo {
                Bound::Included(v) => Some(format!(">={v}")),
                Bound::Excluded(v) => Some(format!(">{v}")),
                Bound::Unbounded => None,
            };
            let hi = match hi {
                Bound::Included(v) => Some(format!("<={v}")),
                Bound::Excluded(v) => Some(format!("<{v}")),
                Bound::Unbounded => None,
            };
            match (lo, hi) {
                (Some(l), Some(h)) => format!("{l}, {h}"),
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => "any version".to_string(),
            }
        })
        .collect();
    parts.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    /// The range must agree with `VersionSpecifiers::contains` (the PEP 440
    /// reference implementation in pep440_rs) on every probe version.
    #[test]
    fn ranges_agree_with_pep440_contains() {
        let probes = [
            "0.9",
            "1.0.dev1",
            "1.0a1",
            "1.0",
            "1.0.post1",
            "1.1",
            "1.2",
            "1.2.1",
            "1.2.5",
            "1.3.dev0",
            "1.3a1",
            "1.3",
            "1.9",
            "2.0.dev1",
            "2.0rc1",
            "2.0",
            "2.0.post1",
            "2.1",
            "3.0",
            "1!1.0",
        ];
        let specs = [
            "==1.2",
            "!=1.2",
            "~=1.2",
            "~=1.2.1",
            "<2",
            "<=2",
            ">1.0",
            ">1.0.post1",
            ">=1.2",
            "==1.2.*",
            "!=1.2.*",
            ">=1.0,<2,!=1.3",
            "===1.0",
            ">=1.0a1,<2",
        ];
        for spec in specs {
            let specs = VersionSpecifiers::from_str(spec).unwrap();
            let ranges = specifiers_to_ranges(&specs);
            for probe in probes {
                let pv = v(probe);
                assert_eq!(
                    ranges.contains(&pv),
                    specs.contains(&pv),
                    "{spec} vs {probe} (ranges {ranges})"
                );
            }
        }
    }

    /// pep440_rs rejects every pre-release of 2.0 for `<2.0rc2`; PEP 440 and
    /// `packaging` only reject them when the bound is a final release.
    #[test]
    fn less_than_a_pre_release_admits_earlier_pre_releases() {
        let r = specifiers_to_ranges(&VersionSpecifiers::from_str("<2.0rc2").unwrap());
        assert!(r.contains(&v("2.0.dev1")));
        assert!(r.contains(&v("2.0rc1")));
        assert!(!r.contains(&v("2.0rc2")));
        let r = specifiers_to_ranges(&VersionSpecifiers::from_str("<2.0").unwrap());
        assert!(!r.contains(&v("2.0.dev1")));
        assert!(!r.contains(&v("2.0rc1")));
        assert!(r.contains(&v("1.9")));
    }

    #[test]
    fn display_reads_like_specifiers() {
        let show = |s: &str| {
            display_ranges(&specifiers_to_ranges(
                &VersionSpecifiers::from_str(s).unwrap(),
            ))
        };
        assert_eq!(show("==2.2.6"), "==2.2.6");
        assert_eq!(show(">=1.0,<2"), ">=1.0, <2");
        assert_eq!(show("!=1.5"), "!=1.5");
        assert_eq!(show(""), "any version");
        assert_eq!(show(">1"), ">1");
        assert_eq!(display_ranges(&Ranges::empty()), "no version");
    }
}

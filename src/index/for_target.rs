//! Which of a project's files can matter for one Lambda target, decided
//! from file names alone, before any [`DistFile`](super::DistFile) is built.
//!
//! A big project lists thousands of wheels (numpy: every CPython, every
//! platform, every release); a python3.12 x86_64 target can load a handful
//! per release. The resolver's source ranks each release's files: it takes
//! the best wheel the target can load, else the sdist, else explains why
//! nothing fits (from the wheels it refused), and treats a release as yanked
//! when every file of it is. [`usable`] drops exactly the files that ranking
//! could never look at, so ranking what is left gives the same answer:
//!
//! * a wheel whose name does not parse, or names another project: the
//!   ranking ignores it anyway;
//! * a wheel the target cannot load, in a release that has a *primary* (a
//!   wheel it can load, or an sdist), when the dropped wheel is yanked or the
//!   release has a primary that is not (so "every file is yanked" comes out
//!   the same).
//!
//! Everything else is kept: primaries, files the ranking skips for other
//! reasons, and the refused wheels of releases without a primary (they
//! explain the refusal).
//!
//! The work is per distinct spelling, not per file: numpy's thousands of
//! wheels share a few hundred version strings and tag triples, each parsed
//! once; only wheels the target can load are parsed in full.
//!
//! ```text
//! let keep = usable("numpy", &[("numpy-2.2.6-cp312-cp312-win_amd64.whl", false)], &tags);
//! assert_eq!(keep, [true]); // the only file of its release: it explains the refusal
//! ```

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;

use super::simple::{sdist_stem, sdist_version};
#[cfg(doc)]
use crate::names::normalize;
use crate::target::tags::Tags;
use crate::wheel::WheelFilename;

/// How one file name relates to the target.
enum Class {
    /// Kept without further thought (the ranking skips it or decides).
    Keep,
    /// Never looked at by the ranking.
    Drop,
    /// A file the ranking may choose for this release: yanked or not.
    Primary(Version, bool),
    /// A wheel the target cannot load: of this release, yanked or not.
    Refused(Version, bool),
}

/// Parses and compatibility answers, each computed once per spelling.
struct Memo<'a> {
    tags: &'a Tags,
    /// Version as written in a wheel name → parsed (`None`: invalid).
    versions: HashMap<&'a str, Option<Version>>,
    /// `python-abi-platform` → whether the target loads it (`None`: invalid).
    triples: HashMap<&'a str, Option<bool>>,
}

impl<'a> Memo<'a> {
    fn version(&mut self, raw: &'a str) -> Option<Version> {
        self.versions
            .entry(raw)
            // As `WheelFilename` reads it: a local version's `-` is `_`.
            .or_insert_with(|| crate::guard::version(&raw.replace('_', "-")).ok())
            .clone()
    }

    fn loads(&mut self, triple: &'a str) -> Option<bool> {
        let tags = self.tags;
        *self.triples.entry(triple).or_insert_with(|| {
            let probe = WheelFilename::from_str(&format!("x-0-{triple}.whl")).ok()?;
            Some(probe.priority(tags).is_some())
        })
    }

    fn classify(&mut self, name: &str, filename: &'a str, yanked: bool) -> Class {
        let Some(stem) = filename.strip_suffix(".whl") else {
            if filename.to_ascii_lowercase().ends_with(".whl") {
                return Class::Drop; // `.WHL`: not a wheel name the ranking accepts
            }
            return match sdist_stem(filename).and(sdist_version(name, filename)) {
                Some(version) => Class::Primary(version, yanked),
                None => Class::Keep,
            };
        };
        // name-version[-build]-python-abi-platform
        let dashes = stem.bytes().filter(|&b| b == b'-').count();
        let mut parts = stem.split('-');
        let (Some(project), Some(raw_version)) = (parts.next(), parts.next()) else {
            return Class::Drop;
        };
        if !(4..=5).contains(&dashes) || !is_named(project, name) {
            return Class::Drop;
        }
        let head = stem.rsplitn(4, '-').nth(3).unwrap_or_default();
        let triple = stem.get(head.len() + 1..).unwrap_or_default();
        let (Some(version), Some(loads)) = (self.version(raw_version), self.loads(triple)) else {
            return Class::Drop;
        };
        if !loads {
            return Class::Refused(version, yanked);
        }
        // A primary licenses dropping others: make sure the ranking agrees.
        match WheelFilename::from_str(filename) {
            Ok(w) if w.normalized_name() == name && w.version == version => {
                Class::Primary(version, yanked)
            }
            _ => Class::Drop,
        }
    }
}

/// Whether `raw` normalises to `norm` (as [`normalize`] would have it,
/// without building the string).
fn is_named(raw: &str, norm: &str) -> bool {
    let mut want = norm.chars();
    let mut in_separator = false;
    for c in raw.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator && want.next() != Some('-') {
                return false;
            }
            in_separator = true;
        } else {
            if !c.to_lowercase().all(|l| want.next() == Some(l)) {
                return false;
            }
            in_separator = false;
        }
    }
    want.next().is_none()
}

/// For each `(file name, yanked)` of project `name` (normalised), whether
/// to keep it for `tags`' target; see the module docs for the rule.
pub(super) fn usable(name: &str, files: &[(&str, bool)], tags: &Tags) -> Vec<bool> {
    let mut memo = Memo {
        tags,
        versions: HashMap::new(),
        triples: HashMap::new(),
    };
    // Releases with a primary, and those with a primary not yanked.
    let mut primary: HashSet<Version> = HashSet::new();
    let mut primary_live: HashSet<Version> = HashSet::new();
    let classes: Vec<Class> = files
        .iter()
        .map(|&(filename, yanked)| {
            let class = memo.classify(name, filename, yanked);
            if let Class::Primary(version, yanked) = &class {
                if !yanked {
                    primary_live.insert(version.clone());
                }
                primary.insert(version.clone());
            }
            class
        })
        .collect();
    classes
        .into_iter()
        .map(|class| match class {
            Class::Keep | Class::Primary(..) => true,
            Class::Drop => false,
            Class::Refused(version, yanked) => {
                !(primary.contains(&version) && (yanked || primary_live.contains(&version)))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Arch, LambdaTarget, PythonVersion};

    fn tags() -> Tags {
        Tags::for_target(&LambdaTarget::new(PythonVersion::new(3, 12), Arch::X86_64))
    }

    fn kept<'a>(files: &[(&'a str, bool)]) -> Vec<&'a str> {
        let keep = usable("numpy", files, &tags());
        files
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|((f, _), _)| *f)
            .collect()
    }

    const LINUX: &str = "numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    const WINDOWS: &str = "numpy-2.0-cp312-cp312-win_amd64.whl";
    const OLD_WINDOWS: &str = "numpy-1.0-cp312-cp312-win_amd64.whl";
    const OLDER_WINDOWS: &str = "numpy-0.9-1-cp312-cp312-win_amd64.whl";

    #[test]
    fn unloadable_wheels_go_when_the_release_has_a_primary() {
        let files = [
            (WINDOWS, false),
            (LINUX, false),
            ("numpy-2.0.tar.gz", false),
            ("numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", false),
            ("README.txt", false),
            ("numpy-2.0-bad.whl", false),
            ("numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.WHL", false),
            ("scipy-2.0-cp312-cp312-manylinux_2_17_x86_64.whl", false),
            (OLD_WINDOWS, false),
            (OLDER_WINDOWS, false),
            ("numpy-0.9.zip", false),
            ("numpy-0.8-cp312-cp312-win_amd64.whl", false),
            ("numpy-0.8.exe", false),
        ];
        assert_eq!(
            kept(&files),
            [
                LINUX,
                "numpy-2.0.tar.gz",
                "README.txt",
                OLD_WINDOWS,
                "numpy-0.9.zip",
                "numpy-0.8-cp312-cp312-win_amd64.whl",
                "numpy-0.8.exe",
            ]
        );
    }

    #[test]
    fn yanked_status_of_a_release_is_kept() {
        // The loadable wheel is yanked, the other is not: the release is not
        // entirely yanked, so the unloadable wheel stays to say so.
        assert_eq!(kept(&[(WINDOWS, false), (LINUX, true)]), [WINDOWS, LINUX]);
        // Both yanked: dropping the unloadable one changes nothing.
        assert_eq!(kept(&[(WINDOWS, true), (LINUX, true)]), [LINUX]);
        // A yanked unloadable wheel next to a live primary goes.
        assert_eq!(kept(&[(WINDOWS, true), (LINUX, false)]), [LINUX]);
        assert_eq!(
            kept(&[(WINDOWS, true), ("numpy-2.0.tar.gz", false)]),
            ["numpy-2.0.tar.gz"]
        );
    }

    #[test]
    fn names_compare_as_normalised() {
        for raw in ["Foo_Bar", "foo.bar", "FOO--bar", "foo-_.bar", "Ünï_x"] {
            let norm = crate::names::normalize(raw);
            assert!(is_named(raw, &norm), "{raw}");
            assert!(!is_named(raw, &format!("{norm}x")), "{raw}");
            assert!(!is_named(&format!("{raw}x"), &norm), "{raw}");
        }
        assert!(!is_named("foo", "bar"));
    }

    #[test]
    fn versions_are_compared_as_versions() {
        // `2.0.0` and `2.0` are one release to the ranking.
        let other = "numpy-2.0.0-cp312-cp312-win_amd64.whl";
        assert_eq!(kept(&[(other, false), (LINUX, false)]), [LINUX]);
    }

    /// Best wheel, sdist, all yanked, refused wheels (when nothing fits).
    type Summary = (Option<String>, Option<String>, bool, Vec<String>);

    /// What the resolver's ranking makes of a project's files, per release:
    /// the best wheel, the sdist, whether all files are yanked, and (when
    /// nothing fits) the refused wheels. A model of `group_by_version`.
    fn ranking(
        files: &[(&str, bool)],
        tags: &Tags,
    ) -> std::collections::BTreeMap<Version, Summary> {
        use crate::target::tags::TagPriority;
        type Best = (
            Option<(TagPriority, String)>,
            Option<String>,
            bool,
            Vec<String>,
        );
        let mut by: std::collections::BTreeMap<Version, Best> = Default::default();
        for &(f, yanked) in files {
            let (version, wheel) = if f.to_ascii_lowercase().ends_with(".whl") {
                match WheelFilename::from_str(f) {
                    Ok(w) if w.normalized_name() == "numpy" => (w.version.clone(), Some(w)),
                    _ => continue,
                }
            } else if sdist_stem(f).is_some() {
                match sdist_version("numpy", f) {
                    Some(v) => (v, None),
                    None => continue,
                }
            } else {
                continue;
            };
            let best = by.entry(version).or_insert((None, None, true, Vec::new()));
            best.2 &= yanked;
            match wheel.map(|w| (w.priority(tags), w)) {
                Some((Some(p), _)) if best.0.as_ref().is_none_or(|(bp, _)| p > *bp) => {
                    best.0 = Some((p, f.to_string()))
                }
                Some((Some(_), _)) => {}
                Some((None, _)) => best.3.push(f.to_string()),
                None => best.1 = Some(f.to_string()),
            }
        }
        by.into_iter()
            .map(|(v, (w, s, y, r))| {
                let refused = if w.is_none() && s.is_none() {
                    r
                } else {
                    Vec::new()
                };
                (v, (w.map(|(_, f)| f), s, y, refused))
            })
            .collect()
    }

    #[test]
    fn ranking_what_is_kept_equals_ranking_everything() {
        let triples = [
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            "cp312-cp312-manylinux_2_28_x86_64",
            "cp312-cp312-manylinux_2_39_x86_64",
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp312-cp312-win_amd64",
            "cp312-cp312-musllinux_1_1_x86_64",
            "py3-none-any",
            "cp312-abi3-manylinux_2_17_aarch64",
        ];
        let versions = ["1.0", "1.0.0", "1.1", "2.0rc1", "2.0", "2.0.post1"];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let tags = tags();
        for _ in 0..400 {
            let mut names = Vec::new();
            for _ in 0..next(14) {
                let v = versions[next(versions.len() as u64) as usize];
                let name = match next(10) {
                    0 => format!("numpy-{v}.tar.gz"),
                    1 => format!("numpy-{v}-{}-{}.whl", next(3), triples[next(8) as usize]),
                    _ => format!("numpy-{v}-{}.whl", triples[next(8) as usize]),
                };
                names.push((name, next(4) == 0));
            }
            let files: Vec<(&str, bool)> = names.iter().map(|(n, y)| (n.as_str(), *y)).collect();
            let keep = usable("numpy", &files, &tags);
            let kept: Vec<(&str, bool)> = files
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(f, _)| *f)
                .collect();
            assert_eq!(ranking(&kept, &tags), ranking(&files, &tags), "{files:?}");
        }
    }
}

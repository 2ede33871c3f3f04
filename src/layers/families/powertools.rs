//! Powertools for AWS Lambda (Python) v3 layers:
//! `AWSLambdaPowertoolsPythonV3-python3XX-{x86_64|arm64}`.

use regex::Regex;
use std::sync::LazyLock;

use super::data::{families, Powertools};
use super::{check_account, AccountCheck, Contents, Identified};
use crate::layers::LayerArn;
use crate::target::{Arch, PythonVersion};

const DATA_FILE: &str = "data/powertools-python-v3.toml";

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^AWSLambdaPowertoolsPythonV3-python3(\d{1,2})-(x86_64|arm64)$")
        .expect("static regex")
});

/// The account publishing Powertools in this partition and region.
fn publisher<'a>(p: &'a Powertools, arn: &LayerArn) -> Option<&'a str> {
    let by_region = p.accounts.get(&arn.partition)?;
    by_region
        .get(&arn.region)
        .or_else(|| by_region.get("*"))
        .map(String::as_str)
}

/// A Powertools v3 layer, whatever its account.
pub(super) fn identify(arn: &LayerArn) -> Option<Identified> {
    let p = &families().powertools;
    if !arn.name.starts_with(&p.name_prefix) {
        return None;
    }
    let c = NAME.captures(&arn.name)?;
    let minor: u8 = c[1].parse().ok()?;
    let python = PythonVersion::new(3, minor);
    let arch = if &c[2] == "arm64" {
        Arch::Arm64
    } else {
        Arch::X86_64
    };
    let mut id = Identified {
        family: p.id.clone(),
        title: p.title.clone(),
        release: None,
        python: Some(python),
        arch: Some(arch),
        account: check_account(arn, publisher(p, arn)),
        manifest: None,
        contents: Contents::Unknown,
        broken: None,
        data_file: DATA_FILE,
        note: String::new(),
    };
    if id.account != AccountCheck::Ok {
        id.note = "not published by the Powertools account for this region: \
                   grail does not vouch for its contents"
            .to_string();
        return Some(id);
    }
    let Some((release, origin)) = release_of(p, arn) else {
        id.note = format!(
            "layer version {} is not in the data (known: {}); release unknown",
            arn.version,
            known_numbers(p)
        );
        return Some(id);
    };
    id.release = Some(release.clone());
    if !p.pythons.contains(&python.to_string()) {
        id.note = format!("Powertools v3 publishes no layer for python{python}");
        return Some(id);
    }
    id.manifest = p
        .manifests
        .get(&release)
        .and_then(|m| m.get(&python.to_string()))
        .and_then(|m| m.get(arch.to_string().as_str()))
        .cloned()
        .map(|mut m| {
            m.arn = Some(arn.clone());
            m
        });
    id.contents = if id.manifest.is_some() {
        Contents::Approximate
    } else {
        Contents::Unknown
    };
    let source = origin.describe();
    id.note = if id.manifest.is_some() {
        format!(
            "{source}; contents derived by resolving {}=={release} for python{python} ({arch}) \
             and dropping the runtime's packages: approximate until scanned",
            p.requirement
        )
    } else {
        format!("{source}; contents not derived for python{python} ({arch}): unknown until scanned")
    };
    Some(id)
}

/// Where a layer version number's release comes from (see the data file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The project's own layer table or examples say so.
    Documented,
    /// Between two documented numbers, from PyPI's release order.
    Inferred,
}

impl Origin {
    fn describe(self) -> &'static str {
        match self {
            Origin::Documented => "release from the project's layer table",
            Origin::Inferred => {
                "release inferred from PyPI's release order between two layer versions the \
                 project documents (one layer version per release)"
            }
        }
    }
}

/// The release of layer version `arn.version`: a documented number, else one
/// inferred between documented numbers. Inferred numbers hold in the
/// commercial partition only: GovCloud's numbers stopped following the
/// commercial ones after :6.
fn release_of(p: &Powertools, arn: &LayerArn) -> Option<(String, Origin)> {
    let n = arn.version.to_string();
    if let Some(r) = p.numbers.get(&n) {
        return Some((r.clone(), Origin::Documented));
    }
    if arn.partition != "aws" {
        return None;
    }
    p.inferred_numbers
        .get(&n)
        .map(|r| (r.clone(), Origin::Inferred))
}

/// The layer version numbers the data maps (documented or inferred), as
/// runs: the data has gaps (numbers no source tied to a release).
/// Ex) `1 to 37`
fn known_numbers(p: &Powertools) -> String {
    let mut numbers: Vec<u64> = p
        .numbers
        .keys()
        .chain(p.inferred_numbers.keys())
        .filter_map(|k| k.parse().ok())
        .collect();
    numbers.sort_unstable();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a} to {b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

//! The public layer families grail recognises by ARN, and what it knows
//! about each layer version: AWS SDK for pandas (the embedded catalogue),
//! Powertools for AWS Lambda (Python) v3 and Klayers.
//!
//! [`identify`] answers "what is this layer?" for `grail layer show` and for
//! [`crate::layers::LayerSet::build`] when no user manifest is given: the
//! family, the release when the layer version number maps to one, the
//! publishing account check, and a manifest when the contents are known
//! (exactly, or approximately for Powertools' derived sets).
//!
//! ```
//! use grail::layers::{identify, Contents, LayerArn};
//! let arn: LayerArn = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3"
//!     .parse().unwrap();
//! let id = identify(&arn).unwrap();
//! assert_eq!((id.family.as_str(), id.release.as_deref()), ("powertools-python-v3", Some("3.2.0")));
//! assert_eq!(id.contents, Contents::Approximate);
//! ```

mod data;
mod klayers;
mod pandas;
mod powertools;

pub use klayers::unversioned_constraint_warnings;

use super::{LayerArn, LayerManifest};
use crate::target::{Arch, PythonVersion};

/// How well grail knows the packages a layer provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Contents {
    /// Every package and version, reconstructed from how the layer is built.
    Exact,
    /// A reproduction (e.g. resolving the layer's requirement today): the
    /// set and versions may differ from the published layer until scanned.
    Approximate,
    /// The family names the packages but not their versions (Klayers).
    NamesOnly,
    /// Nothing is known about the contents.
    Unknown,
}

impl Contents {
    /// The word reports use. Ex) `approximate`
    pub fn as_str(self) -> &'static str {
        match self {
            Contents::Exact => "exact",
            Contents::Approximate => "approximate",
            Contents::NamesOnly => "names only",
            Contents::Unknown => "unknown",
        }
    }
}

/// Whether the ARN's account publishes the family in its region.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AccountCheck {
    /// The account is the family's publisher there.
    Ok,
    /// Another account publishes the family there: a copy or a look-alike.
    Mismatch {
        /// The publishing account for this partition and region.
        expected: String,
    },
    /// The family is not known to be published in this partition or region.
    UnknownRegion,
}

/// What grail knows about one layer version of a known family.
#[derive(Clone, Debug)]
pub struct Identified {
    /// The family id. Ex) `powertools-python-v3`
    pub family: String,
    /// The family as people call it. Ex) `Powertools for AWS Lambda (Python) v3`
    pub title: String,
    /// The upstream release, when the layer version number maps to one.
    pub release: Option<String>,
    /// The runtime the layer is built for (from the data or the name).
    pub python: Option<PythonVersion>,
    /// Its architecture (from the data or the name).
    pub arch: Option<Arch>,
    /// The publishing-account check.
    pub account: AccountCheck,
    /// The contents, when known (`arn` filled in); `None` when
    /// [`Identified::contents`] is [`Contents::Unknown`] or the account check fails.
    pub manifest: Option<LayerManifest>,
    /// How well the contents are known.
    pub contents: Contents,
    /// Why the release is known to be broken, when it is.
    pub broken: Option<String>,
    /// The data file the knowledge comes from. Ex) `data/klayers.toml`
    pub data_file: &'static str,
    /// Where the data comes from and what it lacks, in one sentence.
    pub note: String,
}

impl Identified {
    /// The manifest to use for packaging: only for the real publisher.
    pub fn usable_manifest(&self) -> Option<&LayerManifest> {
        (self.account == AccountCheck::Ok)
            .then_some(self.manifest.as_ref())
            .flatten()
    }
}

/// What grail knows about `arn`, when its name belongs to a known family
/// (whatever the account: [`Identified::account`] says whether it is the
/// publisher's).
pub fn identify(arn: &LayerArn) -> Option<Identified> {
    pandas::identify(arn)
        .or_else(|| powertools::identify(arn))
        .or_else(|| klayers::identify(arn))
}

/// The account check against one expected publisher.
fn check_account(arn: &LayerArn, expected: Option<&str>) -> AccountCheck {
    match expected {
        None => AccountCheck::UnknownRegion,
        Some(e) if e == arn.account => AccountCheck::Ok,
        Some(e) => AccountCheck::Mismatch {
            expected: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;

//! The public layers grail knows: what `grail suggest-layers` may propose.
//!
//! Today that is the AWS SDK for pandas catalogue; other families (issue 11:
//! Powertools, Klayers) join by chaining their entries into
//! [`known_public_layers`], so every consumer sees one flat list.
//!
//! ```
//! use grail::layers::known_public_layers;
//! let n = known_public_layers()
//!     .filter(|l| l.arn.region == "us-east-1" && l.arn.name == "AWSSDKPandas-Python312")
//!     .count();
//! assert_eq!(n, 2); // 3.16.1 (27) and 3.17.0 (29)
//! ```

use super::{Catalogue, LayerArn, LayerManifest};

/// One published layer version anyone can attach.
#[derive(Clone, Debug)]
pub struct PublicLayer {
    /// The family id. Ex) `aws-sdk-pandas`
    pub family: String,
    /// The family as people call it. Ex) `AWS SDK for pandas`
    pub title: String,
    /// The upstream release it packages. Ex) `3.17.0`
    pub release: String,
    /// The layer version ARN.
    pub arn: LayerArn,
    /// What it provides, its target and size (`arn` filled in).
    pub manifest: LayerManifest,
}

/// Every known public layer version, from every source grail embeds.
pub fn known_public_layers() -> impl Iterator<Item = PublicLayer> {
    Catalogue::embedded().entries().map(|(arn, e)| PublicLayer {
        title: family_title(&e.family),
        family: e.family,
        release: e.release,
        arn,
        manifest: e.manifest,
    })
}

/// The name users know a family by.
fn family_title(id: &str) -> String {
    match id {
        "aws-sdk-pandas" => "AWS SDK for pandas".to_string(),
        other => other.to_string(),
    }
}

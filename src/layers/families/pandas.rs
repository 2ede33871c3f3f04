//! AWS SDK for pandas layers, through the embedded [`Catalogue`].

use super::{check_account, AccountCheck, Contents, Identified};
use crate::layers::{Catalogue, LayerArn};

const FAMILY: &str = "aws-sdk-pandas";
const DATA_FILE: &str = "data/aws-sdk-pandas.toml";

/// An `AWSSDKPandas-Python3XX[-Arm64]` layer, whatever its account.
pub(super) fn identify(arn: &LayerArn) -> Option<Identified> {
    if !arn.name.starts_with("AWSSDKPandas-Python") {
        return None;
    }
    let catalogue = Catalogue::embedded();
    let hints = arn.hints();
    let expected = catalogue.publisher(FAMILY, &arn.partition, &arn.region);
    let account = check_account(arn, expected);
    let mut id = Identified {
        family: FAMILY.to_string(),
        title: "AWS SDK for pandas".to_string(),
        release: None,
        python: hints.python,
        arch: hints.arch,
        account,
        manifest: None,
        contents: Contents::Unknown,
        broken: None,
        data_file: DATA_FILE,
        note: String::new(),
    };
    if id.account != AccountCheck::Ok {
        id.note = "not published by the AWS SDK for pandas account for this region: \
                   grail does not vouch for its contents"
            .to_string();
        return Some(id);
    }
    let Some(r) = catalogue.recognise(arn) else {
        let known = catalogue
            .known_versions(arn)
            .iter()
            .map(|(v, r)| format!("{v} ({r})"))
            .collect::<Vec<_>>();
        id.note = format!(
            "layer version {} is not in the catalogue (known here: {}); release unknown",
            arn.version,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
        return Some(id);
    };
    id.release = Some(r.release.clone());
    id.broken = r.info.broken.clone();
    id.manifest = catalogue.lookup(arn).map(|e| e.manifest);
    id.contents = if id.manifest.is_some() {
        Contents::Exact
    } else {
        Contents::Unknown
    };
    id.note = match &r.info.contents_note {
        Some(n) if id.manifest.is_none() => n.clone(),
        _ => format!(
            "layer version numbers from the layer table at release tag {}; contents reconstructed \
             from how the layer is built (derived, not scanned)",
            r.release
        ),
    };
    Some(id)
}

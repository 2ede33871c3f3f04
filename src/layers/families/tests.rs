//! Recognition against the real ARN formats of each family.

use super::*;

fn id(arn: &str) -> Option<Identified> {
    identify(&arn.parse().unwrap())
}

fn version_of(m: &LayerManifest, name: &str) -> Option<String> {
    m.packages
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.version.as_ref().map(|v| v.to_string()))
}

#[test]
fn pandas_release_with_contents() {
    let i =
        id("arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312-Arm64:29").unwrap();
    assert_eq!(i.family, "aws-sdk-pandas");
    assert_eq!(i.release.as_deref(), Some("3.17.0"));
    assert_eq!(i.arch, Some(Arch::Arm64));
    assert_eq!(i.account, AccountCheck::Ok);
    assert_eq!(i.contents, Contents::Exact);
    assert_eq!(
        version_of(i.usable_manifest().unwrap(), "pandas").as_deref(),
        Some("3.0.3")
    );
}

#[test]
fn pandas_recognised_release_without_contents() {
    let i =
        id("arn:aws-cn:lambda:cn-north-1:406640652441:layer:AWSSDKPandas-Python310:26").unwrap();
    assert_eq!(i.release.as_deref(), Some("3.16.0"));
    assert_eq!(i.contents, Contents::Unknown);
    assert!(i.manifest.is_none());
    assert!(i.note.contains("3.16.0"), "{}", i.note);
}

#[test]
fn pandas_unknown_number_and_wrong_account() {
    let i = id("arn:aws:lambda:us-east-1:336392948345:layer:AWSSDKPandas-Python312:99").unwrap();
    assert_eq!((i.release, i.contents), (None, Contents::Unknown));
    assert!(
        i.note.contains("24 (3.16.0), 27 (3.16.1), 29 (3.17.0)"),
        "{}",
        i.note
    );
    let i = id("arn:aws:lambda:ap-east-1:336392948345:layer:AWSSDKPandas-Python312:26").unwrap();
    assert_eq!(
        i.account,
        AccountCheck::Mismatch {
            expected: "839552336658".into()
        }
    );
    assert!(i.usable_manifest().is_none());
}

#[test]
fn powertools_numbers_map_to_releases() {
    for (n, release) in [(1, "3.0.0"), (2, "3.1.0"), (3, "3.2.0")] {
        let arn = format!(
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:{n}"
        );
        let i = id(&arn).unwrap();
        assert_eq!(i.release.as_deref(), Some(release));
        assert_eq!(i.contents, Contents::Approximate);
        let m = i.usable_manifest().unwrap();
        assert_eq!(m.arn.as_ref().unwrap().to_string(), arn);
        assert_eq!(
            version_of(m, "aws-lambda-powertools").as_deref(),
            Some(release)
        );
        assert!(version_of(m, "pydantic").is_some());
        // The runtime's packages are not in the layer.
        assert!(version_of(m, "boto3").is_none() && version_of(m, "botocore").is_none());
        assert_eq!(m.known_size(), None);
    }
}

/// Numbers past the first snapshot, each from a "layer docs update" commit
/// (see the data file's header): real ARNs, both architectures.
#[test]
fn powertools_later_numbers_map_to_releases() {
    for (arn, release) in [
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:4", "3.3.0"),
        ("arn:aws:lambda:eu-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-arm64:6", "3.4.1"),
        ("arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:12", "3.10.0"),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:23", "3.20.0"),
        ("arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:25", "3.22.0"),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:32", "3.28.0"),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:34", "3.30.0"),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:37", "3.34.0"),
    ] {
        let i = id(arn).unwrap();
        assert_eq!(i.release.as_deref(), Some(release), "{arn}");
        assert_eq!(i.contents, Contents::Approximate, "{arn}");
        let m = i.usable_manifest().unwrap();
        assert_eq!(m.architecture, i.arch, "{arn}");
        assert_eq!(
            version_of(m, "aws-lambda-powertools").as_deref(),
            Some(release)
        );
    }
    // After the last documented number: the family, no release, the known
    // numbers named.
    let i = id(
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:38",
    )
    .unwrap();
    assert_eq!((i.release, i.contents), (None, Contents::Unknown));
    assert!(
        i.note.contains("(known: 1 to 37); release unknown"),
        "{}",
        i.note
    );
}

/// Between two documented numbers, the release is inferred from PyPI's
/// release order (3.32.0 and 3.33.0 were never published: :36 is 3.31.1,
/// :37 the documented 3.34.0), said so, and only in the commercial
/// partition: GovCloud's numbers diverged.
#[test]
fn powertools_numbers_between_documented_ones_are_inferred() {
    for (arn, release) in [
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7", "3.5.0"),
        ("arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:18", "3.15.1"),
        ("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:27", "3.23.0"),
        ("arn:aws:lambda:ap-south-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:36", "3.31.1"),
    ] {
        let i = id(arn).unwrap();
        assert_eq!(i.release.as_deref(), Some(release), "{arn}");
        assert!(i.note.starts_with("release inferred from PyPI's release order"), "{}", i.note);
        assert_eq!(i.contents, Contents::Approximate, "{arn}");
        let m = i.usable_manifest().unwrap();
        assert_eq!(version_of(m, "aws-lambda-powertools").as_deref(), Some(release));
    }
    let documented = id(
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:37",
    )
    .unwrap();
    assert!(documented
        .note
        .starts_with("release from the project's layer table"));
    let gov = id(
        "arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:27",
    )
    .unwrap();
    assert_eq!(gov.release, None, "{}", gov.note);
}

#[test]
fn powertools_arm64_govcloud_and_unknown_number() {
    let i = id(
        "arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:3",
    )
    .unwrap();
    assert_eq!(i.account, AccountCheck::Ok);
    assert_eq!(i.release.as_deref(), Some("3.2.0"));
    assert_eq!(
        (i.arch, i.contents),
        (Some(Arch::Arm64), Contents::Approximate)
    );
    let i = id(
        "arn:aws-us-gov:lambda:us-gov-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3",
    )
    .unwrap();
    assert_eq!(
        i.account,
        AccountCheck::Mismatch {
            expected: "165087284144".into()
        }
    );
    // China has its own account; no other China region is documented.
    let i = id(
        "arn:aws-cn:lambda:cn-north-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3",
    )
    .unwrap();
    assert_eq!(
        i.account,
        AccountCheck::Mismatch {
            expected: "498634801083".into()
        }
    );
    let i = id(
        "arn:aws-cn:lambda:cn-northwest-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:3",
    )
    .unwrap();
    assert_eq!(i.account, AccountCheck::UnknownRegion);
    let i = id(
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:40",
    )
    .unwrap();
    assert_eq!(
        (i.family.as_str(), i.release, i.contents),
        ("powertools-python-v3", None, Contents::Unknown)
    );
    assert!(i.note.contains("not in the data"), "{}", i.note);
    // Powertools v2 and look-alike names are not this family.
    assert!(
        id("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:79").is_none()
    );
}

#[test]
fn klayers_names() {
    let i =
        id("arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-arm64-requests:21").unwrap();
    assert_eq!(i.family, "klayers");
    assert_eq!(i.python, Some(PythonVersion::new(3, 12)));
    assert_eq!(i.arch, Some(Arch::Arm64));
    assert_eq!(i.contents, Contents::NamesOnly);
    let m = i.usable_manifest().unwrap();
    assert_eq!(m.packages.len(), 1);
    assert_eq!(
        (m.packages[0].name.as_str(), &m.packages[0].version),
        ("requests", &None)
    );
    let i = id("arn:aws:lambda:ap-south-1:770693421928:layer:Klayers-p311-Pillow:9").unwrap();
    assert_eq!(i.arch, Some(Arch::X86_64));
    assert_eq!(i.manifest.unwrap().packages[0].name, "pillow");
    let i = id("arn:aws:lambda:eu-west-2:770693421928:layer:Klayers-python38-Pillow:14").unwrap();
    assert_eq!(i.python, Some(PythonVersion::new(3, 8)));
    let i = id("arn:aws:lambda:us-east-1:123456789012:layer:Klayers-p312-requests:21").unwrap();
    assert_eq!(
        i.account,
        AccountCheck::Mismatch {
            expected: "770693421928".into()
        }
    );
    assert!(i.usable_manifest().is_none());
    assert!(id("arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-:1").is_none());
    assert!(id("arn:aws:lambda:us-east-1:123456789012:layer:my-deps:1").is_none());
}

/// The committed JSON matches its sources (the pandas catalogue's test runs
/// the same check, which covers both outputs).
#[test]
fn families_file_loads() {
    let f = data::families();
    assert_eq!(f.powertools.numbers.len(), 12);
    assert_eq!(f.powertools.inferred_numbers.len(), 25);
    for by_python in f.powertools.manifests.values() {
        for by_arch in by_python.values() {
            for m in by_arch.values() {
                let mut check = m.clone();
                check.validate().unwrap();
                assert_eq!(&check, m, "family manifests are normalised");
            }
        }
    }
}

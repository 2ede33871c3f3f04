//! `grail layer fetch`: a layer's manifest from AWS Lambda itself.
//!
//! For a layer version ARN, grail asks Lambda for the version
//! (GetLayerVersionByArn, falling back to GetLayerVersion with the name and
//! version from the ARN when an endpoint does not offer the former), which
//! answers with the archive's `CodeSha256` (base64), `CodeSize` and a
//! presigned download URL valid for ten minutes. The archive is downloaded
//! (never more than `CodeSize` bytes, never more than Lambda's unzipped
//! limit), its sha256 computed while it streams to disk and checked, then
//! scanned exactly as `grail layer scan` scans a zip. The manifest is cached
//! under `CodeSha256`; the archive is deleted unless the caller asks to
//! keep it.
//!
//! A layer version never changes once published, so the cache also maps
//! the ARN to its `CodeSha256`: the second fetch of an ARN reads two small
//! files and contacts nobody.
//!
//! Credentials and the endpoint come from the AWS SDK's standard chain
//! (environment, `~/.aws` profiles, SSO, container and instance roles; the
//! `AWS_ENDPOINT_URL_LAMBDA` / `AWS_ENDPOINT_URL` overrides); the region
//! always comes from the ARN. [`Chain::Configured`] is the same chain
//! without the instance metadata service, for fetches nobody asked for
//! explicitly: probing it off EC2 costs seconds.
//!
//! ```no_run
//! use grail::layers::fetch::{fetch_layer, Chain, FetchRequest};
//! let arn = "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3".parse().unwrap();
//! let fetched = fetch_layer(&arn, &FetchRequest {
//!     profile: None,
//!     cache_dir: None,
//!     keep_archive: None,
//!     chain: Chain::Standard,
//! })
//! .unwrap();
//! println!("{} packages", fetched.manifest.packages.len());
//! ```

use std::path::{Path, PathBuf};

use super::{LayerArn, LayerError, LayerManifest};
use crate::error::{Classify, ExitKind};

mod aws;
mod download;
mod store;

pub use store::{cached_fetch, cached_manifest, rebuild_inputs};

/// Which credential chain to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chain {
    /// The SDK's default chain, instance metadata included (`grail layer
    /// fetch`, `--fetch-layers`, config `fetch_layers: true`).
    Standard,
    /// Environment, profile files, web identity and container credentials
    /// only: never the instance metadata service (an implicit fetch).
    Configured,
}

/// What [`fetch_layer`] needs.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The AWS profile (`--profile`; else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// The cache directory (`None`: grail's default).
    pub cache_dir: Option<PathBuf>,
    /// Keep the downloaded archive in this directory (as `<name>-<version>.zip`).
    pub keep_archive: Option<PathBuf>,
    /// The credential chain.
    pub chain: Chain,
}

/// A fetched (or cached) layer.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The layer version.
    pub arn: LayerArn,
    /// `CodeSha256` as lowercase hex (the cache key).
    pub code_sha256: String,
    /// `CodeSize`: the archive's size in bytes.
    pub code_size: u64,
    /// The scan's manifest, `arn` set to [`Fetched::arn`].
    pub manifest: LayerManifest,
    /// The cached manifest file (without an ARN: it is keyed by content).
    pub manifest_path: PathBuf,
    /// The scan's warnings (empty for a cache hit).
    pub warnings: Vec<String>,
    /// True when nothing was asked of AWS.
    pub from_cache: bool,
    /// Where the archive was kept (`--keep-archive`).
    pub archive: Option<PathBuf>,
}

/// Everything that can go wrong fetching a layer. Problems with the
/// caller's AWS setup are bad input (exit 1); a download that fails or does
/// not match its checksum is exit 2, like a package that cannot be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No credentials anywhere in the chain.
    #[error("no AWS credentials to fetch {arn} with ({detail}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile NAME (or set AWS_PROFILE), or run `aws sso login`; without AWS access, download the layer zip and run `grail layer scan LAYER.zip --arn {arn}`")]
    NoCredentials {
        /// The layer version ARN.
        arn: String,
        /// What the chain said.
        detail: String,
    },
    /// The caller may not read this layer version.
    #[error("access denied: the identity these credentials belong to needs lambda:GetLayerVersion on {arn} ({detail})")]
    AccessDenied {
        /// The layer version ARN.
        arn: String,
        /// What Lambda said.
        detail: String,
    },
    /// A layer of another account that is not shared with the caller.
    #[error("layer {arn} belongs to account {owner}, not yours ({caller}), and is not public: its owner must share it (`aws lambda add-layer-version-permission --layer-name {name} --version-number {version} --statement-id grail --action lambda:GetLayerVersion --principal {caller}`), or give you the zip to scan with `grail layer scan LAYER.zip --arn {arn}`")]
    NotShared {
        /// The layer version ARN.
        arn: String,
        /// The layer's account.
        owner: String,
        /// The caller's account.
        caller: String,
        /// The layer name.
        name: String,
        /// The layer version number.
        version: u64,
    },
    /// The layer version does not exist (in the caller's own account).
    #[error("layer version {arn} does not exist (deleted, or a typo in the name, version or region?); `aws lambda list-layer-versions --layer-name {name} --region {region}` lists the versions there are")]
    NotFound {
        /// The layer version ARN.
        arn: String,
        /// The layer name.
        name: String,
        /// The region.
        region: String,
    },
    /// Any other failure of the Lambda API (network, throttling, a service error).
    #[error("cannot get layer version {arn} from AWS Lambda: {detail}")]
    Api {
        /// The layer version ARN.
        arn: String,
        /// What failed.
        detail: String,
    },
    /// The presigned download URL was refused (it lasts ten minutes).
    #[error("the download URL of {arn} was refused (HTTP {status}: expired or forbidden; Lambda's URLs last 10 minutes): run the command again for a fresh one")]
    UrlRefused {
        /// The layer version ARN.
        arn: String,
        /// The HTTP status.
        status: u16,
    },
    /// The archive could not be downloaded.
    #[error("cannot download the archive of {arn}: {detail}")]
    Download {
        /// The layer version ARN.
        arn: String,
        /// What failed.
        detail: String,
    },
    /// The archive does not match `CodeSha256`.
    #[error("the archive of {arn} does not match its CodeSha256 (expected sha256 {expected}, got {actual}, {bytes} bytes): the download was damaged or altered; run the command again")]
    ChecksumMismatch {
        /// The layer version ARN.
        arn: String,
        /// `CodeSha256`, hex.
        expected: String,
        /// The download's sha256, hex.
        actual: String,
        /// Bytes received.
        bytes: u64,
    },
    /// The downloaded archive is not a layer zip grail can read.
    #[error("the archive of {arn} cannot be scanned")]
    Scan {
        /// The layer version ARN.
        arn: String,
        /// The scanner's error.
        source: LayerError,
    },
    /// The cache (or the `--keep-archive` directory) cannot be written.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done. Ex) `write`
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Classify for FetchError {
    /// Setup problems are exit 1; transfer problems exit 2.
    fn exit_kind(&self) -> ExitKind {
        match self {
            FetchError::Api { .. }
            | FetchError::UrlRefused { .. }
            | FetchError::Download { .. }
            | FetchError::ChecksumMismatch { .. } => ExitKind::Dependencies,
            _ => ExitKind::Usage,
        }
    }
}

/// The manifest of `arn`: from the cache when it was fetched before, else
/// from AWS (see the module docs).
pub fn fetch_layer(arn: &LayerArn, req: &FetchRequest) -> Result<Fetched, FetchError> {
    let store = store::Store::open(req.cache_dir.as_deref())?;
    if req.keep_archive.is_none() {
        if let Some(hit) = store.lookup(arn) {
            return Ok(hit);
        }
    }
    let version = aws::describe(arn, req.profile.as_deref(), req.chain)?;
    if req.keep_archive.is_none() {
        if let Some(hit) = store.by_sha(arn, &version.code_sha256_hex, version.code_size) {
            store.remember(arn, &version)?;
            return Ok(hit);
        }
    }
    let archive = download::download(arn, &version, &store.scratch_dir())?;
    let scanned =
        super::scan_layer_zip(archive.path(), Some(arn)).map_err(|source| FetchError::Scan {
            arn: arn.to_string(),
            source,
        })?;
    let manifest_path = store.save(arn, &version, &scanned.manifest)?;
    let kept = match &req.keep_archive {
        Some(dir) => Some(keep(archive, dir, arn)?),
        None => None,
    };
    let mut manifest = scanned.manifest;
    manifest.arn = Some(arn.clone());
    Ok(Fetched {
        arn: arn.clone(),
        code_sha256: version.code_sha256_hex,
        code_size: version.code_size,
        manifest,
        manifest_path,
        warnings: scanned.warnings,
        from_cache: false,
        archive: kept,
    })
}

/// Move the downloaded archive to `dir/<name>-<version>.zip`.
fn keep(
    archive: tempfile::NamedTempFile,
    dir: &Path,
    arn: &LayerArn,
) -> Result<PathBuf, FetchError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io("create directory", dir))?;
    let dest = dir.join(format!("{}-{}.zip", arn.name, arn.version));
    // A copy, not a rename: the cache and DIR may be on different filesystems.
    std::fs::copy(archive.path(), &dest).map_err(io("write", &dest))?;
    Ok(dest)
}

/// Whether AWS credentials are configured where finding them costs nothing:
/// access keys in the environment, a profile file, web identity or
/// container credentials. The instance metadata service is never counted
/// (asking it off EC2 takes seconds): on EC2, pass `--fetch-layers`.
pub fn credentials_configured() -> bool {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let keys = env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some();
    let role = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
    keys || role || store::profile_files().iter().any(|f| nonempty(f))
}

fn nonempty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// How `grail package` (and `why`, `verify`, `suggest-layers`) may fetch
/// attached layers nothing else describes.
#[derive(Clone, Debug, Default)]
pub struct FetchPolicy {
    /// `--fetch-layers` or config `fetch_layers: true`: fetch with the
    /// standard chain, and a failure is an error.
    pub explicit: bool,
    /// `--offline`: only manifests already in the cache.
    pub offline: bool,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--cache-dir`.
    pub cache_dir: Option<PathBuf>,
}

/// What is known about an attached layer before fetching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// A user manifest, or an exact catalogue entry: never fetched.
    Described,
    /// A catalogue entry whose size is an estimate: a cached manifest is
    /// used, and an explicit policy fetches it.
    Estimated,
    /// Nothing: fetched when the policy allows.
    Unknown,
}

/// What [`fetch_unknown`] found.
#[derive(Debug, Default)]
pub struct FetchedManifests {
    /// Layer version ARN → cached manifest file, for the layer set's
    /// `user_manifests`.
    pub manifests: std::collections::BTreeMap<String, PathBuf>,
    /// Progress lines (what was fetched or read from the cache).
    pub notes: Vec<String>,
    /// Implicit fetches that failed (the layer stays unknown).
    pub warnings: Vec<String>,
}

/// Manifests for the `attached` layers `known` does not describe: from the
/// cache when they were fetched before (even offline); else fetched when the
/// policy is explicit, or (for [`Known::Unknown`] layers) when credentials
/// are configured where finding them costs nothing
/// ([`credentials_configured`]); else none (the layer set warns, naming
/// `grail layer fetch` and `--fetch-layers`).
///
/// Errors only for an explicit policy; an implicit fetch that fails is a
/// warning.
pub fn fetch_unknown(
    attached: &[LayerArn],
    known: impl Fn(&LayerArn) -> Known,
    policy: &FetchPolicy,
) -> Result<FetchedManifests, FetchError> {
    let mut out = FetchedManifests::default();
    let cache = policy.cache_dir.as_deref();
    let mut implicit = None;
    for arn in attached {
        let known = known(arn);
        if known == Known::Described {
            continue;
        }
        if let Some(path) = cached_manifest(arn, cache) {
            out.notes
                .push(format!("layer {arn}: manifest from the cache"));
            out.manifests.insert(arn.to_string(), path);
            continue;
        }
        if policy.offline {
            continue;
        }
        let chain = if policy.explicit {
            Chain::Standard
        } else if known == Known::Unknown && *implicit.get_or_insert_with(credentials_configured) {
            Chain::Configured
        } else {
            continue;
        };
        let request = FetchRequest {
            profile: policy.profile.clone(),
            cache_dir: policy.cache_dir.clone(),
            keep_archive: None,
            chain,
        };
        match fetch_layer(arn, &request) {
            Ok(f) => {
                out.notes.push(format!(
                    "layer {arn}: fetched from AWS Lambda ({} packages)",
                    f.manifest.packages.len()
                ));
                out.warnings
                    .extend(f.warnings.iter().map(|w| format!("layer {arn}: {w}")));
                out.manifests.insert(arn.to_string(), f.manifest_path);
            }
            Err(e) if !policy.explicit => out.warnings.push(format!(
                "could not fetch layer {arn} with the AWS credentials configured here: {}; \
its packages are bundled and its size is unknown (pass --fetch-layers to make this an error)",
                crate::error::Failure::from(e)
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

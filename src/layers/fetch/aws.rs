//! The Lambda API calls, through the AWS SDK on a current-thread runtime
//! that lives for one call: the rest of grail is synchronous.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::types::LayerVersionContentOutput;
use base64::Engine;

use super::{Chain, FetchError};
use crate::layers::LayerArn;

/// What Lambda says about a layer version's archive.
#[derive(Clone, Debug)]
pub(super) struct LayerVersion {
    /// `CodeSha256`, decoded to lowercase hex.
    pub code_sha256_hex: String,
    /// `CodeSize` in bytes.
    pub code_size: u64,
    /// The presigned download URL.
    pub location: String,
}

/// GetLayerVersionByArn (else GetLayerVersion) for `arn`, in its region.
pub(super) fn describe(
    arn: &LayerArn,
    profile: Option<&str>,
    chain: Chain,
) -> Result<LayerVersion, FetchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FetchError::Api {
            arn: arn.to_string(),
            detail: format!("cannot start the async runtime: {e}"),
        })?;
    runtime.block_on(describe_async(arn, profile, chain))
}

async fn describe_async(
    arn: &LayerArn,
    profile: Option<&str>,
    chain: Chain,
) -> Result<LayerVersion, FetchError> {
    let conf = load_config(arn, profile, chain).await;
    let credentials = credentials(&conf, arn).await?;
    let lambda_conf = aws_sdk_lambda::config::Builder::from(&conf)
        .credentials_provider(credentials.clone())
        .build();
    let client = aws_sdk_lambda::Client::from_conf(lambda_conf);
    let content = match by_arn(&client, arn).await {
        Ok(Some(content)) => Ok(content),
        Ok(None) => by_name(&client, arn).await,
        Err(failure) => Err(failure),
    };
    match content {
        Ok(content) => version_of(arn, &content),
        Err(failure) => Err(refine(arn, failure, &conf, credentials).await),
    }
}

/// The shared config: the standard chain (or [`Chain::Configured`]'s),
/// the profile, the region of the ARN.
async fn load_config(arn: &LayerArn, profile: Option<&str>, chain: Chain) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .region(Region::new(arn.region.clone()));
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if chain == Chain::Configured {
        let mut from_profile = aws_config::profile::ProfileFileCredentialsProvider::builder();
        if let Some(p) = profile {
            from_profile = from_profile.profile_name(p);
        }
        let configured = CredentialsProviderChain::first_try(
            "Environment",
            EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else("Profile", from_profile.build())
        .or_else(
            "WebIdentityToken",
            aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder().build(),
        )
        .or_else(
            "EcsContainer",
            aws_config::ecs::EcsCredentialsProvider::builder().build(),
        );
        loader = loader.credentials_provider(configured);
    }
    loader.load().await
}

/// Resolve the credentials once, up front: "none found" is its own error,
/// and the calls that follow reuse them.
async fn credentials(conf: &SdkConfig, arn: &LayerArn) -> Result<Credentials, FetchError> {
    let none = |detail: String| FetchError::NoCredentials {
        arn: arn.to_string(),
        detail,
    };
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| none("no credential provider is configured".into()))?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| none(DisplayErrorContext(&e).to_string()))
}

/// Why a call failed, before the caller's account is known.
#[derive(Debug)]
enum CallFailure {
    Denied(String),
    NotFound,
    Other(String),
}

/// GetLayerVersionByArn. `Ok(None)`: the endpoint does not implement it
/// (an unknown operation, or an answer without the archive's details).
async fn by_arn(
    client: &aws_sdk_lambda::Client,
    arn: &LayerArn,
) -> Result<Option<LayerVersionContentOutput>, CallFailure> {
    match client
        .get_layer_version_by_arn()
        .arn(arn.to_string())
        .send()
        .await
    {
        Ok(out) => Ok(out.content().filter(|c| c.code_sha256().is_some()).cloned()),
        // An answer that is not the operation's (an endpoint serving
        // something else on that route) means the same.
        Err(SdkError::ResponseError(_)) => Ok(None),
        Err(e) if unknown_operation(&e) => Ok(None),
        Err(e) => Err(call_failure(&e)),
    }
}

/// GetLayerVersion with the layer's name (its ARN without the version) and version.
async fn by_name(
    client: &aws_sdk_lambda::Client,
    arn: &LayerArn,
) -> Result<LayerVersionContentOutput, CallFailure> {
    let layer = format!(
        "arn:{}:lambda:{}:{}:layer:{}",
        arn.partition, arn.region, arn.account, arn.name
    );
    let version = i64::try_from(arn.version).unwrap_or(i64::MAX);
    let out = client
        .get_layer_version()
        .layer_name(layer)
        .version_number(version)
        .send()
        .await
        .map_err(|e| call_failure(&e))?;
    out.content()
        .cloned()
        .ok_or_else(|| CallFailure::Other("Lambda answered without the archive's Content".into()))
}

fn not_found(arn: &LayerArn) -> FetchError {
    FetchError::NotFound {
        arn: arn.to_string(),
        name: arn.name.clone(),
        region: arn.region.clone(),
    }
}

/// An endpoint that does not know the operation: no error code it would
/// give for a real layer, and a status that means "no such route".
fn unknown_operation<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    let status = status_of(e);
    let code = e.code().unwrap_or_default();
    code == "UnknownOperationException"
        || (matches!(status, Some(404 | 405 | 501)) && !code.ends_with("NotFoundException"))
}

fn call_failure<E>(e: &SdkError<E>) -> CallFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = status_of(e);
    let code = e.code().unwrap_or_default();
    if code == "AccessDeniedException" || status == Some(403) {
        let message = e.message().unwrap_or("AccessDeniedException").to_string();
        CallFailure::Denied(message)
    } else if code == "ResourceNotFoundException" || status == Some(404) {
        CallFailure::NotFound
    } else {
        CallFailure::Other(DisplayErrorContext(e).to_string())
    }
}

/// A refusal is told apart by whose layer it is: a layer of another account
/// that is refused or "not found" is a layer not shared with the caller.
async fn refine(
    arn: &LayerArn,
    failure: CallFailure,
    conf: &SdkConfig,
    credentials: Credentials,
) -> FetchError {
    let denied = match failure {
        CallFailure::Other(detail) => {
            return FetchError::Api {
                arn: arn.to_string(),
                detail,
            }
        }
        CallFailure::Denied(detail) => Some(detail),
        CallFailure::NotFound => None,
    };
    match (caller_account(conf, credentials).await, denied) {
        (Some(caller), _) if caller != arn.account => FetchError::NotShared {
            arn: arn.to_string(),
            owner: arn.account.clone(),
            caller,
            name: arn.name.clone(),
            version: arn.version,
        },
        (_, Some(detail)) => FetchError::AccessDenied {
            arn: arn.to_string(),
            detail,
        },
        (_, None) => not_found(arn),
    }
}

/// The caller's account (STS GetCallerIdentity), when it can be had.
async fn caller_account(conf: &SdkConfig, credentials: Credentials) -> Option<String> {
    let sts_conf = aws_sdk_sts::config::Builder::from(conf)
        .credentials_provider(credentials)
        .build();
    let client = aws_sdk_sts::Client::from_conf(sts_conf);
    let out = client.get_caller_identity().send().await.ok()?;
    out.account().map(str::to_string)
}

/// The parts of the answer grail uses, checked.
fn version_of(
    arn: &LayerArn,
    content: &LayerVersionContentOutput,
) -> Result<LayerVersion, FetchError> {
    let bad = |what: &str| FetchError::Api {
        arn: arn.to_string(),
        detail: format!("Lambda answered without {what}"),
    };
    let sha = content
        .code_sha256()
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter(|digest| digest.len() == 32)
        .ok_or_else(|| bad("a valid CodeSha256"))?;
    let code_size = u64::try_from(content.code_size()).map_err(|_| bad("a valid CodeSize"))?;
    let location = content
        .location()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| bad("a download URL (Content.Location)"))?;
    Ok(LayerVersion {
        code_sha256_hex: hex::encode(sha),
        code_size,
        location: location.to_string(),
    })
}

/// The HTTP status of the answer, when there was one.
fn status_of<E>(e: &SdkError<E>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

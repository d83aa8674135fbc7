//! AWS adapters: the domain's ports over DynamoDB (records, rate limits), S3 (blobs) and SQS (jobs). They run the
//! same conformance suites as the embedded adapters, against a local AWS-protocol server in tests.
//!
//! Configuration comes from the standard AWS environment (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL` for a local server), read once by [`sdk_config`].

pub mod blocklist;
pub mod dynamo;
pub mod registrations;
pub mod s3;
pub mod secrets;
pub mod sqs;

/// The shared SDK configuration from the standard AWS environment variables and profiles (the
/// default provider chain: environment, profiles, SSO, web identity, ECS, instance metadata). For
/// the operator CLI and the single-node server, which may run anywhere.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}

/// The SDK configuration inside Lambda, where the runtime puts everything in the environment:
/// `AWS_REGION`, the function role's temporary credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), and `AWS_ENDPOINT_URL` when pointed at a local
/// server. Skipping the default provider chain keeps its STS, SSO, profile and instance-metadata
/// code out of the function binaries and its lookups out of the cold start.
pub fn lambda_sdk_config() -> Result<aws_config::SdkConfig, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or("AWS_REGION is not set")?;
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    let mut builder = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(credentials));
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(url);
    }
    Ok(builder.build())
}

/// An SDK failure as a storage error, with its whole cause chain (logged, never shown to callers).
pub(crate) fn backend<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> smartenroll_domain::error::StoreError {
    smartenroll_domain::error::StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

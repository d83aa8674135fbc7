//! AWS adapters: the domain's ports over DynamoDB (records, rate limits), S3 (blobs) and SQS (jobs). They run the
//! same conformance suites as the embedded adapters, against a local AWS-protocol server in tests.
//!
//! Configuration comes from the standard AWS environment (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL` for a local server), read once by [`sdk_config`].

pub mod dynamo;
pub mod s3;
pub mod secrets;
pub mod sqs;

/// The shared SDK configuration from the standard AWS environment variables and profiles.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}

/// An SDK failure as a storage error, with its whole cause chain (logged, never shown to callers).
pub(crate) fn backend<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> smartenroll_domain::error::StoreError {
    smartenroll_domain::error::StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

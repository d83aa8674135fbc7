//! AWS adapters: the domain's ports over DynamoDB (and, as they land, S3 and SQS). They run the
//! same conformance suites as the embedded adapters, against a local AWS-protocol server in tests.
//!
//! Configuration comes from the standard AWS environment (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL` for a local server), read once by [`sdk_config`].

pub mod dynamo;
pub mod secrets;

/// The shared SDK configuration from the standard AWS environment variables and profiles.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}

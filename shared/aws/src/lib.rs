//! AWS adapters: the domain's ports over DynamoDB (records, rate limits), S3 (blobs) and SQS (jobs). They run the
//! same conformance suites as the embedded adapters, against a local AWS-protocol server in tests.
//!
//! Configuration comes from the standard AWS environment (`AWS_REGION`, credentials,
//! `AWS_ENDPOINT_URL` for a local server), read once by [`sdk_config`].

pub mod blocklist;
pub mod dynamo;
pub mod idempotency;
pub mod registrations;
pub mod s3;
pub mod secrets;
pub mod sqs;
pub mod webhooks;

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
        .http_client(lambda_http_client(var(TLS_ROOTS_ENV).as_deref())?)
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(credentials));
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(url);
    }
    Ok(builder.build())
}

/// `SMARTENROLL_TLS_ROOTS=native`: trust the platform's certificate store instead of the AWS roots.
pub const TLS_ROOTS_ENV: &str = "SMARTENROLL_TLS_ROOTS";

/// The roots every AWS service endpoint chains to (Amazon Trust Services and its Starfield cross-signer).
pub const AWS_TRUST_ROOTS: &str = include_str!("aws-trust-roots.pem");

/// The SDK's own HTTP client (hyper, rustls with aws-lc), trusting only the AWS roots: the functions
/// talk to nothing but AWS endpoints, and parsing the platform's whole store (~150 certificates in
/// a bundle plus a directory of them) took ~8 ms of every cold start here. `native` restores the
/// platform store, for endpoints behind a TLS-inspecting proxy or another CA.
fn lambda_http_client(roots: Option<&str>) -> Result<aws_sdk_dynamodb::config::SharedHttpClient, String> {
    use aws_smithy_http_client::tls;
    let store = match roots {
        None | Some("aws") => tls::TrustStore::empty().with_pem_certificate(AWS_TRUST_ROOTS),
        Some("native") => tls::TrustStore::default(),
        Some(other) => return Err(format!("{TLS_ROOTS_ENV} must be `aws` or `native`, not {other:?}")),
    };
    let context = tls::TlsContext::builder().with_trust_store(store).build().map_err(|e| e.to_string())?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// An SDK failure as a storage error, with its whole cause chain (logged, never shown to callers).
pub(crate) fn backend<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> smartenroll_domain::error::StoreError {
    smartenroll_domain::error::StoreError::Backend(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_trust_roots_are_the_five_aws_roots() {
        use rustls_pki_types::pem::PemObject;
        let certs = rustls_pki_types::CertificateDer::pem_slice_iter(super::AWS_TRUST_ROOTS.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("every block parses");
        assert_eq!(certs.len(), 5);
        assert!(super::lambda_http_client(Some("aws")).is_ok() && super::lambda_http_client(Some("native")).is_ok());
        assert!(super::lambda_http_client(Some("all")).is_err());
    }
}

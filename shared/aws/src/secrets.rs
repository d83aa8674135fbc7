//! Secrets at cold start: the template passes a Secrets Manager ARN, never the secret itself, and
//! the function reads the value once per process.

/// The secret string stored under `arn`.
pub async fn secret_string(conf: &aws_config::SdkConfig, arn: &str) -> Result<String, String> {
    let client = aws_sdk_secretsmanager::Client::new(conf);
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| format!("reading secret {arn}: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(e)))?;
    out.secret_string().map(str::to_string).ok_or_else(|| format!("secret {arn} has no string value"))
}

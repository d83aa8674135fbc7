//! Lambda function `webhooks-rotate-secret`: POST /v2/webhooks/{id}/rotate-secret.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-rotate-secret", smartenroll_api::handler!(smartenroll_api::webhooks::rotate_secret), aws::WEBHOOK_STORE).await
}

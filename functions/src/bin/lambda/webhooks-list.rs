//! Lambda function `webhooks-list`: GET /v2/webhooks.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-list", smartenroll_api::handler!(smartenroll_api::webhooks::list), aws::WEBHOOK_STORE).await
}

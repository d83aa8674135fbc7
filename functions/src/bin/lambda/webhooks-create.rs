//! Lambda function `webhooks-create`: POST /v2/webhooks.

use smartenroll_functions::aws;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::run_lambda("webhooks-create", smartenroll_api::handler!(smartenroll_api::webhooks::create), aws::WEBHOOK_DESTINATIONS).await
}
